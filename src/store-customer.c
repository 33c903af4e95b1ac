/*
 * store-customer.c - customers and their addresses, licenses, staff and
 * the credit ledger.
 *
 * The ledger is append-only (triggers refuse UPDATE and DELETE); the
 * balance is always its sum, never a stored number.
 */
#include "config.h"

#include <string.h>

#include "error.h"
#include "store-private.h"

void
customer_clear(struct customer *c)
{
	g_free(c->email);
	g_free(c->name);
	g_free(c->lang);
	memset(c, 0, sizeof(*c));
}

int64_t
store_customer_add(struct store *store, const char *email, const char *name,
    const char *lang, bool preapprove, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_CUSTOMER_INSERT, error);
	int64_t id;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, email);
	store_bind_text(st, 2, name);
	store_bind_text(st, 3, lang ? lang : "en");
	sqlite3_bind_int(st, 4, preapprove);
	if (store_step_done(store, st, "adding a customer", error) < 0)
		return -1;
	id = sqlite3_last_insert_rowid(store->db);
	if (store_address_add(store, id, email, error) < 0)
		return -1;
	return id;
}

static int
store_customer_row(struct store *store, sqlite3_stmt *st,
    struct customer *c, GError **error)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		c->id = sqlite3_column_int64(st, 0);
		c->email = store_column_dup(st, 1);
		c->name = store_column_dup(st, 2);
		c->lang = store_column_dup(st, 3);
		c->preapprove = sqlite3_column_int(st, 4) != 0;
		store_stmt_done(st);
		return 1;
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, error, "looking up a customer");
		store_stmt_done(st);
		return -1;
	}
	store_stmt_done(st);
	return 0;
}

int
store_customer_find(struct store *store, const char *address,
    struct customer *c, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_CUSTOMER_BY_ADDRESS, error);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, address);
	return store_customer_row(store, st, c, error);
}

int
store_customer_get(struct store *store, int64_t id, struct customer *c,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_CUSTOMER_BY_ID, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return store_customer_row(store, st, c, error);
}

int
store_customer_find_domain(struct store *store, const char *domain,
    struct customer *c, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_CUSTOMER_BY_DOMAIN, error);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, domain);
	return store_customer_row(store, st, c, error);
}

int
store_domain_add(struct store *store, int64_t customer_id,
    const char *domain, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_DOMAIN_INSERT, error);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, domain);
	sqlite3_bind_int64(st, 2, customer_id);
	return store_step_done(store, st, "adding a customer's domain", error);
}

int
store_address_add(struct store *store, int64_t customer_id,
    const char *address, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_ADDRESS_INSERT, error);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, address);
	sqlite3_bind_int64(st, 2, customer_id);
	return store_step_done(store, st, "adding an address", error);
}

char **
store_address_list(struct store *store, int64_t customer_id, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_ADDRESS_LIST, error);
	GPtrArray *out;
	int rc;

	if (st == NULL)
		return NULL;
	out = g_ptr_array_new();
	sqlite3_bind_int64(st, 1, customer_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(out, store_column_dup(st, 0));
	if (rc != SQLITE_DONE) {
		store_fail(store, error, "listing addresses");
		store_stmt_done(st);
		g_ptr_array_add(out, NULL);
		g_strfreev((char **)g_ptr_array_free(out, FALSE));
		return NULL;
	}
	store_stmt_done(st);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

int64_t
store_license_add(struct store *store, int64_t customer_id,
    const char *product, const char *kind, int credits, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_LICENSE_INSERT, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, customer_id);
	store_bind_text(st, 2, product);
	store_bind_text(st, 3, kind);
	sqlite3_bind_int(st, 4, credits);
	if (store_step_done(store, st, "adding a license", error) < 0)
		return -1;
	return sqlite3_last_insert_rowid(store->db);
}

static int
store_count(struct store *store, sqlite3_stmt *st, const char *what,
    GError **error)
{
	int rc = sqlite3_step(st), n = -1;

	if (rc == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	else
		store_fail(store, error, what);
	store_stmt_done(st);
	return n;
}

int
store_license_count(struct store *store, int64_t customer_id,
    const char *product, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, product ?
	    SQL_LICENSE_COUNT_PRODUCT : SQL_LICENSE_COUNT, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, customer_id);
	if (product != NULL)
		store_bind_text(st, 2, product);
	return store_count(store, st, "counting licenses", error);
}

int64_t
store_staff_add(struct store *store, const char *email, const char *name,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_STAFF_INSERT, error);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, email);
	store_bind_text(st, 2, name);
	if (store_step_done(store, st, "adding staff", error) < 0)
		return -1;
	return sqlite3_last_insert_rowid(store->db);
}

int
store_staff_find(struct store *store, const char *address, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_STAFF_BY_ADDRESS, error);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, address);
	rc = sqlite3_step(st);
	store_stmt_done(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_fail(store, error, "looking up staff");
	return -1;
}

/* Insert one ledger row; REFERENCE NULL for all but a purchase's. */
static int64_t
ledger_insert(struct store *store, int64_t customer_id, int delta,
    const char *reason, int64_t ticket_id, int64_t license_id,
    int price_cents, const char *reference, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_LEDGER_INSERT, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, customer_id);
	sqlite3_bind_int(st, 2, delta);
	store_bind_text(st, 3, reason);
	if (ticket_id > 0)
		sqlite3_bind_int64(st, 4, ticket_id);
	if (license_id > 0)
		sqlite3_bind_int64(st, 5, license_id);
	if (price_cents >= 0)
		sqlite3_bind_int(st, 6, price_cents);
	store_bind_text(st, 7, reference);
	if (store_step_done(store, st, "adding to the ledger", error) < 0)
		return -1;
	return sqlite3_last_insert_rowid(store->db);
}

int64_t
store_ledger_add(struct store *store, int64_t customer_id, int delta,
    const char *reason, int64_t ticket_id, int64_t license_id,
    int price_cents, GError **error)
{
	return ledger_insert(store, customer_id, delta, reason, ticket_id,
	    license_id, price_cents, NULL, error);
}

int
store_ledger_balance(struct store *store, int64_t customer_id,
    int64_t *balance_r, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_LEDGER_BALANCE, error);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, customer_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		store_fail(store, error, "summing the ledger");
		store_stmt_done(st);
		return -1;
	}
	*balance_r = sqlite3_column_int64(st, 0);
	store_stmt_done(st);
	return 0;
}

void
ledger_entry_clear(struct ledger_entry *e)
{
	g_free(e->reason);
	g_free(e->reference);
	memset(e, 0, sizeof *e);
}

static void
ledger_entry_free(gpointer p)
{
	ledger_entry_clear(p);
	g_free(p);
}

/* Fill E from a row of SQL_LEDGER_LIST or SQL_LEDGER_BY_REFERENCE. */
static void
ledger_entry_read(sqlite3_stmt *st, struct ledger_entry *e)
{
	e->id = sqlite3_column_int64(st, 0);
	e->delta = sqlite3_column_int(st, 1);
	e->reason = store_column_dup(st, 2);
	e->ticket_id = sqlite3_column_int64(st, 3);
	e->license_id = sqlite3_column_int64(st, 4);
	e->price_cents = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, 5);
	e->created = sqlite3_column_int64(st, 6);
	e->reference = store_column_dup(st, 7);
	e->customer_id = sqlite3_column_int64(st, 8);
}

int
store_ledger_by_reference(struct store *store, const char *reference,
    struct ledger_entry *entry_r, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_LEDGER_BY_REFERENCE, error);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, reference);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ledger_entry_read(st, entry_r);
	else if (rc != SQLITE_DONE)
		store_fail(store, error, "looking up a purchase's reference");
	store_stmt_done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int64_t
store_ledger_add_purchase(struct store *store, int64_t customer_id,
    int delta, const char *reason, int price_cents, const char *reference,
    struct ledger_entry *seen_r, GError **error)
{
	int found;

	g_assert(reference != NULL);
	g_assert(!sqlite3_get_autocommit(store->db));
	found = store_ledger_by_reference(store, reference, seen_r, error);
	if (found != 0)
		return found < 0 ? -1 : 0;
	return ledger_insert(store, customer_id, delta, reason, 0, 0,
	    price_cents, reference, error);
}

GPtrArray *
store_ledger_list(struct store *store, int64_t customer_id, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_LEDGER_LIST, error);
	GPtrArray *out;
	int rc;

	if (st == NULL)
		return NULL;
	out = g_ptr_array_new_with_free_func(ledger_entry_free);
	sqlite3_bind_int64(st, 1, customer_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ledger_entry *e = g_new0(struct ledger_entry, 1);

		ledger_entry_read(st, e);
		g_ptr_array_add(out, e);
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, error, "listing the ledger");
		g_ptr_array_unref(out);
		out = NULL;
	}
	store_stmt_done(st);
	return out;
}
