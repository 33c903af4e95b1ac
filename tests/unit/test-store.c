/*
 * test-store.c - unit tests of the SQLite store (store.c, store-*.c):
 * opening and migrating, schema versions, every table's functions, the
 * append-only ledger, raw bytes in BLOBs, the outbox life cycle, and the
 * classification of errors (busy -> TEMP, UNIQUE -> EXISTS).
 */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <sqlite3.h>

#include "error.h"
#include "store.h"
#include "store-schema.h"
#include "store-sql.h"
#include "test-util.h"

struct fx {
	char *dir;
	char *path;
	struct store *store;	/* created and migrated */
};

static void
fx_setup(struct fx *f, gconstpointer data)
{
	f->dir = test_tmpdir_new("test-store-XXXXXX");
	f->path = g_build_filename(f->dir, "desk.db", NULL);
	f->store = test_store_new(f->path, 1000);
}

static void
fx_teardown(struct fx *f, gconstpointer data)
{
	store_close(f->store);
	test_tmpdir_remove(f->dir, NULL);
	g_free(f->path);
	g_free(f->dir);
}

/* The first column of the first row of SQL, as text (transfer full). */
static char *
raw_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		g_test_fail_printf("%s: %s", sql, sqlite3_errmsg(db));
		return NULL;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = g_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static gint64
raw_int(sqlite3 *db, const char *sql)
{
	char *s = raw_text(db, sql);
	gint64 v = s ? g_ascii_strtoll(s, NULL, 10) : -1;

	g_free(s);
	return v;
}

/* The BLOB of SQL's first row (transfer full). */
static GBytes *
raw_blob(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	GBytes *out = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		g_test_fail_printf("%s: %s", sql, sqlite3_errmsg(db));
		return NULL;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		out = g_bytes_new(sqlite3_column_blob(st, 0),
		    sqlite3_column_bytes(st, 0));
	sqlite3_finalize(st);
	return out;
}

/* An unlinked file of LEN pseudo-random bytes (NULs included). */
static int
data_file(const char *dir, gsize len, GBytes **data_r)
{
	guint8 *buf = g_malloc(len);
	guint32 x = (guint32)len;
	gsize i;
	int fd;

	for (i = 0; i < len; i++) {
		x = x * 1664525 + 1013904223;
		buf[i] = (guint8)(x >> 24);
	}
	fd = test_unlinked_file(dir, buf, len);
	g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
	*data_r = g_bytes_new_take(buf, len);
	return fd;
}

static void
check_bytes(GBytes *got, GBytes *want)
{
	g_assert_nonnull(got);
	if (got != NULL)
		g_assert_true(g_bytes_equal(got, want));
}

/* ---- opening, versions, transactions ---- */

static void
test_open_wal(struct fx *f, gconstpointer data)
{
	sqlite3 *db = test_sqlite_open(f->path);
	char *mode = raw_text(db, "PRAGMA journal_mode");

	g_assert_cmpstr(mode, ==, "wal");
	g_assert_cmpint(raw_int(db, "PRAGMA user_version"), ==,
	    STORE_SCHEMA_VERSION);
	g_free(mode);
	sqlite3_close(db);
}

static void
test_open_missing(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	char *missing = g_build_filename(f->dir, "none.db", NULL);
	struct store *s = store_open(missing, 100, false, &error);

	g_assert_null(s);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
	g_clear_error(&error);
	store_close(s);
	g_assert_false(g_file_test(missing, G_FILE_TEST_EXISTS));
	g_free(missing);
}

static void
test_migrate_twice(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t c;

	c = store_customer_add(f->store, "kept@example.com", "K", "en", false,
	    &error);
	g_assert_no_error(error);
	g_assert_cmpint(store_migrate(f->store, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(store_check_version(f->store, &error), ==, 0);
	g_assert_no_error(error);
	/* the data survives */
	{
		struct customer cu = { 0 };

		g_assert_cmpint(store_customer_get(f->store, c, &cu, &error),
		    ==, 1);
		g_assert_cmpstr(cu.email, ==, "kept@example.com");
		customer_clear(&cu);
	}
	g_assert_no_error(error);
}

/* The columns of TABLE, comma-separated (transfer full). */
static char *
raw_columns(sqlite3 *db, const char *table)
{
	char *sql = g_strdup_printf("SELECT group_concat(name, ',') FROM"
	    " pragma_table_info('%s')", table);
	char *out = raw_text(db, sql);

	g_free(sql);
	return out;
}

/*
 * deskctl migrate from schema 5, with data in every table step 6 makes
 * again or changes: the rows survive, the ledger gains its reference
 * column (NULL in the old rows) and keeps its triggers, the leftovers
 * are gone.
 */
static void
test_migrate_from_5(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	char *old = g_build_filename(f->dir, "v5.db", NULL);
	const char *const *steps;
	int nsteps = store_schema_steps(&steps), i;
	struct ledger_entry seen = { 0 };
	struct store *s;
	sqlite3 *db;
	char *cols;
	int64_t balance = -1;

	g_assert_cmpint(nsteps, ==, 6);
	db = test_sqlite_open(old);
	for (i = 0; i < 5; i++)
		g_assert_cmpint(sqlite3_exec(db, steps[i], NULL, NULL, NULL),
		    ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db,
	    "INSERT INTO customers VALUES (1, 'a@example.com', 'A', 'en', 0,"
	    "  1700000000);"
	    "INSERT INTO tickets (id, customer_id, subject, status, created,"
	    "  updated) VALUES (1, 1, 'Blank page', 'answered', 1, 2);"
	    "INSERT INTO messages (id, ticket_id, direction, author,"
	    "  message_id, dedup_key, text, created, reply_text, language,"
	    "  announced, fingerprint) VALUES (1, 1, 'in', 'customer',"
	    "  'q@example.com', 'k1', 'the text', 3, 'new', 'en', 1, 'fp');"
	    "INSERT INTO message_raw VALUES (1, x'00ff0d0a');"
	    "INSERT INTO outbox (id, ticket_id, kind, env_from, rcpt, subject,"
	    "  message_id, text, raw, status, next_attempt, created) VALUES"
	    "  (1, 1, 'ack', '', 'a@example.com', 's', 'n1@desk', 't', x'41',"
	    "  'held', 0, 4);"
	    "INSERT INTO ledger (customer_id, delta, reason, price_cents,"
	    "  created) VALUES (1, 50, 'package', 8500, 5), (1, -10,"
	    "  'category 2', NULL, 6);"
	    "PRAGMA user_version = 5;", NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(db);

	s = store_open(old, 1000, false, &error);
	g_assert_no_error(error);
	g_assert_nonnull(s);
	if (s == NULL)
		goto out;
	g_assert_cmpint(store_check_version(s, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	g_clear_error(&error);
	g_assert_cmpint(store_migrate(s, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(store_check_version(s, &error), ==, 0);
	g_assert_no_error(error);

	db = test_sqlite_open(old);
	g_assert_cmpint(raw_int(db, "PRAGMA user_version"), ==, 6);
	cols = raw_text(db, "PRAGMA integrity_check");
	g_assert_cmpstr(cols, ==, "ok");
	g_free(cols);
	cols = raw_columns(db, "messages");
	g_assert_cmpstr(cols, ==, "id,ticket_id,direction,author,message_id,"
	    "dedup_key,envelope_from,recipient,from_addr,subject,class,flags,"
	    "text,size,created,reply_text,language,fingerprint");
	g_free(cols);
	cols = raw_columns(db, "ledger");
	g_assert_true(cols != NULL && g_str_has_suffix(cols,
	    ",created,reference"));
	g_free(cols);
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM sqlite_schema"
	    " WHERE name = 'outbox_by_message_id'"), ==, 0);
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM sqlite_schema"
	    " WHERE name = 'ledger_by_reference' AND sql LIKE '%UNIQUE%'"),
	    ==, 1);
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM sqlite_schema"
	    " WHERE type = 'trigger' AND tbl_name = 'ledger'"), ==, 2);
	/* the rows */
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM messages WHERE"
	    " text = 'the text' AND reply_text = 'new' AND fingerprint = 'fp'"
	    " AND dedup_key = 'k1'"), ==, 1);
	g_assert_cmpint(raw_int(db, "SELECT length(raw) FROM message_raw"),
	    ==, 4);
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM outbox WHERE"
	    " status = 'held' AND message_id = 'n1@desk'"), ==, 1);
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM ledger WHERE"
	    " reference IS NULL"), ==, 2);
	g_assert_cmpint(sqlite3_exec(db, "DELETE FROM ledger", NULL, NULL,
	    NULL), !=, SQLITE_OK);
	sqlite3_close(db);

	/* and the migrated store takes a purchase with a reference, once */
	g_assert_cmpint(store_begin(s, &error), ==, 0);
	g_assert_cmpint(store_ledger_add_purchase(s, 1, 25, "package", 4500,
	    "pay-9", &seen, &error), >, 0);
	g_assert_cmpint(store_ledger_add_purchase(s, 1, 25, "package", 4500,
	    "pay-9", &seen, &error), ==, 0);
	g_assert_no_error(error);
	ledger_entry_clear(&seen);
	g_assert_cmpint(store_commit(s, &error), ==, 0);
	g_assert_cmpint(store_ledger_balance(s, 1, &balance, &error), ==, 0);
	g_assert_cmpint(balance, ==, 65);
	/* migrating again changes nothing */
	g_assert_cmpint(store_migrate(s, &error), ==, 0);
	g_assert_no_error(error);
	store_close(s);
out:
	g_free(old);
}

/*
 * A schema of another version is the operator's to fix (store.h:
 * DESK_ERROR_CONFIG; deskgate defers the mail meanwhile).
 */
static void
test_check_version(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	char *fresh = g_build_filename(f->dir, "fresh.db", NULL);
	struct store *s = store_open(fresh, 100, true, &error);
	sqlite3 *db;

	g_assert_no_error(error);
	g_assert_nonnull(s);
	if (s != NULL) {
		g_assert_cmpint(store_check_version(s, &error), ==, -1);
		g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
		g_clear_error(&error);
	}
	store_close(s);
	g_free(fresh);

	g_assert_cmpint(store_check_version(f->store, &error), ==, 0);
	g_assert_no_error(error);
	db = test_sqlite_open(f->path);
	g_assert_cmpint(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(db);
	g_assert_cmpint(store_check_version(f->store, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	g_clear_error(&error);
	/* a newer schema is never "migrated" down */
	g_assert_cmpint(store_migrate(f->store, &error), ==, -1);
	g_assert_nonnull(error);
	g_clear_error(&error);
}

static void
test_transaction(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	struct customer c = { 0 };

	g_assert_cmpint(store_begin(f->store, &error), ==, 0);
	g_assert_cmpint(store_customer_add(f->store, "gone@example.com", NULL,
	    NULL, false, &error), >, 0);
	store_rollback(f->store);
	g_assert_cmpint(store_customer_find(f->store, "gone@example.com", &c,
	    &error), ==, 0);
	g_assert_cmpint(store_begin(f->store, &error), ==, 0);
	g_assert_cmpint(store_customer_add(f->store, "kept@example.com", NULL,
	    NULL, false, &error), >, 0);
	g_assert_cmpint(store_commit(f->store, &error), ==, 0);
	g_assert_cmpint(store_customer_find(f->store, "kept@example.com", &c,
	    &error), ==, 1);
	customer_clear(&c);
	/* rollback outside a transaction is harmless */
	store_rollback(f->store);
	g_assert_no_error(error);
	g_assert_cmpint(store_integrity_check(f->store, &error), ==, 0);
	g_assert_no_error(error);
}

static void
test_busy(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	struct store *other = store_open(f->path, 100, false, &error);
	sqlite3 *db = test_sqlite_open(f->path);
	gint64 start;

	g_assert_no_error(error);
	g_assert_nonnull(other);
	if (other == NULL)
		goto out;
	g_assert_cmpint(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    ==, SQLITE_OK);
	start = g_get_monotonic_time();
	g_assert_cmpint(store_begin(other, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
	g_clear_error(&error);
	/* it waited for the busy timeout, not much longer */
	g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
	/* reads still work in WAL mode */
	{
		struct customer c = { 0 };

		g_assert_cmpint(store_customer_find(other, "x@example.com",
		    &c, &error), ==, 0);
		g_assert_no_error(error);
	}
	/* a store holding the lock makes the other one busy as well */
	g_assert_cmpint(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), ==,
	    SQLITE_OK);
	g_assert_cmpint(store_begin(f->store, &error), ==, 0);
	g_assert_cmpint(store_begin(other, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
	g_clear_error(&error);
	store_rollback(f->store);
	g_assert_cmpint(store_begin(other, &error), ==, 0);
	g_assert_no_error(error);
	store_rollback(other);
out:
	store_close(other);
	sqlite3_close(db);
}

/* ---- customers, addresses, licenses, staff ---- */

static void
test_customers(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	struct customer c = { 0 };
	int64_t id, id2;
	char **list;

	id = store_customer_add(f->store, "Alice@Example.com", "Alice", "ru",
	    true, &error);
	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	id2 = store_customer_add(f->store, "bob@example.com", NULL, NULL,
	    false, &error);
	g_assert_cmpint(id2, >, id);

	g_assert_cmpint(store_customer_find(f->store, "alice@EXAMPLE.com", &c,
	    &error), ==, 1);
	g_assert_cmpint(c.id, ==, id);
	g_assert_cmpstr(c.email, ==, "Alice@Example.com");
	g_assert_cmpstr(c.name, ==, "Alice");
	g_assert_cmpstr(c.lang, ==, "ru");
	g_assert_true(c.preapprove);
	customer_clear(&c);
	g_assert_null(c.email);

	g_assert_cmpint(store_customer_get(f->store, id2, &c, &error), ==, 1);
	g_assert_cmpstr(c.email, ==, "bob@example.com");
	g_assert_null(c.name);
	g_assert_cmpstr(c.lang, ==, "en");
	g_assert_false(c.preapprove);
	customer_clear(&c);
	g_assert_cmpint(store_customer_get(f->store, 9999, &c, &error), ==, 0);
	g_assert_cmpint(store_customer_find(f->store, "nobody@example.com",
	    &c, &error), ==, 0);

	/* a second address finds the same customer */
	g_assert_cmpint(store_address_add(f->store, id, "a.work@corp.example",
	    &error), ==, 0);
	g_assert_cmpint(store_customer_find(f->store, "A.WORK@corp.example",
	    &c, &error), ==, 1);
	g_assert_cmpint(c.id, ==, id);
	customer_clear(&c);
	list = store_address_list(f->store, id, &error);
	g_assert_nonnull(list);
	if (list != NULL) {
		g_assert_cmpuint(g_strv_length(list), ==, 2);
		g_assert_cmpstr(list[0], ==, "Alice@Example.com");
		g_assert_cmpstr(list[1], ==, "a.work@corp.example");
	}
	g_strfreev(list);
	g_assert_no_error(error);
}

static void
test_unique(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t id = store_customer_add(f->store, "alice@example.com", NULL,
	    NULL, false, &error);

	g_assert_no_error(error);
	/* the same address in another case is the same address */
	g_assert_cmpint(store_customer_add(f->store, "ALICE@example.com",
	    NULL, NULL, false, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_EXISTS);
	g_clear_error(&error);
	g_assert_cmpint(store_address_add(f->store, id, "Alice@Example.COM",
	    &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_EXISTS);
	g_clear_error(&error);
	g_assert_cmpint(store_staff_add(f->store, "eng@vendor.example", NULL,
	    &error), >, 0);
	g_assert_cmpint(store_staff_add(f->store, "ENG@vendor.example", NULL,
	    &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_EXISTS);
	g_clear_error(&error);
	/* a CHECK violation is no "exists" */
	g_assert_cmpint(store_customer_add(f->store, "x@example.com", NULL,
	    "de", false, &error), ==, -1);
	g_assert_nonnull(error);
	if (error != NULL)
		g_assert_cmpint(error->code, !=, DESK_ERROR_EXISTS);
	g_clear_error(&error);
}

static void
test_licenses(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t a = store_customer_add(f->store, "a@example.com", NULL, NULL,
	    false, &error);
	int64_t b = store_customer_add(f->store, "b@example.com", NULL, NULL,
	    false, &error);

	g_assert_cmpint(store_license_count(f->store, a, NULL, &error), ==, 0);
	g_assert_cmpint(store_license_add(f->store, a, "cs-cart", "first", 50,
	    &error), >, 0);
	g_assert_cmpint(store_license_add(f->store, a, "cs-cart", "additional",
	    30, &error), >, 0);
	g_assert_cmpint(store_license_add(f->store, a, "multi-vendor",
	    "first", 100, &error), >, 0);
	g_assert_cmpint(store_license_add(f->store, b, "cs-cart", "first", 50,
	    &error), >, 0);
	g_assert_no_error(error);
	g_assert_cmpint(store_license_count(f->store, a, NULL, &error), ==, 3);
	g_assert_cmpint(store_license_count(f->store, a, "cs-cart", &error),
	    ==, 2);
	g_assert_cmpint(store_license_count(f->store, a, "multi-vendor",
	    &error), ==, 1);
	g_assert_cmpint(store_license_count(f->store, b, NULL, &error), ==, 1);
	g_assert_no_error(error);
	g_assert_cmpint(store_license_add(f->store, a, "shopify", "first", 1,
	    &error), ==, -1);
	g_assert_nonnull(error);
	g_clear_error(&error);
}

static void
test_staff(struct fx *f, gconstpointer data)
{
	GError *error = NULL;

	g_assert_cmpint(store_staff_find(f->store, "eng@vendor.example",
	    &error), ==, 0);
	g_assert_cmpint(store_staff_add(f->store, "Eng@Vendor.example",
	    "Engineer", &error), >, 0);
	g_assert_cmpint(store_staff_find(f->store, "eng@vendor.example",
	    &error), ==, 1);
	g_assert_cmpint(store_staff_find(f->store, "other@vendor.example",
	    &error), ==, 0);
	g_assert_no_error(error);
}

/* ---- the ledger ---- */

static void
test_ledger(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t c = store_customer_add(f->store, "a@example.com", NULL, NULL,
	    false, &error);
	int64_t lic = store_license_add(f->store, c, "cs-cart", "first", 50,
	    &error);
	int64_t t = store_ticket_add(f->store, c, "s", "new", false, "en", "",
	    &error);
	int64_t other = store_customer_add(f->store, "b@example.com", NULL,
	    NULL, false, &error);
	int64_t balance = -1;
	GPtrArray *list;

	g_assert_no_error(error);
	g_assert_cmpint(store_ledger_balance(f->store, c, &balance, &error),
	    ==, 0);
	g_assert_cmpint(balance, ==, 0);
	g_assert_cmpint(store_ledger_add(f->store, c, 50, "license", 0, lic,
	    -1, &error), >, 0);
	g_assert_cmpint(store_ledger_add(f->store, c, -10, "category 2", t, 0,
	    -1, &error), >, 0);
	g_assert_cmpint(store_ledger_add(f->store, c, 25, "package", 0, 0,
	    4500, &error), >, 0);
	g_assert_cmpint(store_ledger_add(f->store, other, 7, "other", 0, 0, 0,
	    &error), >, 0);
	g_assert_no_error(error);
	g_assert_cmpint(store_ledger_balance(f->store, c, &balance, &error),
	    ==, 0);
	g_assert_cmpint(balance, ==, 65);
	list = store_ledger_list(f->store, c, &error);
	g_assert_no_error(error);
	g_assert_nonnull(list);
	if (list != NULL && list->len == 3) {
		struct ledger_entry *e0 = g_ptr_array_index(list, 0);
		struct ledger_entry *e1 = g_ptr_array_index(list, 1);
		struct ledger_entry *e2 = g_ptr_array_index(list, 2);

		g_assert_cmpint(e0->delta, ==, 50);
		g_assert_cmpstr(e0->reason, ==, "license");
		g_assert_cmpint(e0->license_id, ==, lic);
		g_assert_cmpint(e0->ticket_id, ==, 0);
		g_assert_cmpint(e0->price_cents, ==, -1);
		g_assert_cmpint(e0->created, >, 1600000000);
		g_assert_cmpint(e1->delta, ==, -10);
		g_assert_cmpint(e1->ticket_id, ==, t);
		g_assert_cmpint(e1->license_id, ==, 0);
		g_assert_cmpint(e2->price_cents, ==, 4500);
		g_assert_cmpint(e0->id, <, e1->id);
		g_assert_cmpint(e1->id, <, e2->id);
	} else
		g_test_fail_printf("ledger list of %u entries",
		    list ? list->len : 0);
	if (list != NULL)
		g_ptr_array_unref(list);
	/* a zero price is a price, not "none" */
	list = store_ledger_list(f->store, other, &error);
	if (list != NULL && list->len == 1)
		g_assert_cmpint(((struct ledger_entry *)
		    g_ptr_array_index(list, 0))->price_cents, ==, 0);
	if (list != NULL)
		g_ptr_array_unref(list);
}

static void
test_ledger_append_only(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t c = store_customer_add(f->store, "a@example.com", NULL, NULL,
	    false, &error);
	sqlite3 *db;
	char *msg = NULL;
	int64_t balance;

	g_assert_cmpint(store_ledger_add(f->store, c, 50, "license", 0, 0, -1,
	    &error), >, 0);
	g_assert_no_error(error);
	db = test_sqlite_open(f->path);
	g_assert_cmpint(sqlite3_exec(db, "UPDATE ledger SET delta = 5000",
	    NULL, NULL, &msg), !=, SQLITE_OK);
	g_assert_true(msg != NULL && strstr(msg, "append-only") != NULL);
	sqlite3_free(msg);
	msg = NULL;
	g_assert_cmpint(sqlite3_exec(db, "DELETE FROM ledger", NULL, NULL,
	    &msg), !=, SQLITE_OK);
	g_assert_true(msg != NULL && strstr(msg, "append-only") != NULL);
	sqlite3_free(msg);
	sqlite3_close(db);
	g_assert_cmpint(store_ledger_balance(f->store, c, &balance, &error),
	    ==, 0);
	g_assert_cmpint(balance, ==, 50);
}

/*
 * A purchase with a reference is recorded once: the second call finds
 * the first row and writes nothing, whoever asks; the store itself
 * refuses a second row with the reference; rows without one are many.
 */
static void
test_ledger_reference(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t c = store_customer_add(f->store, "a@example.com", NULL, NULL,
	    false, &error);
	int64_t other = store_customer_add(f->store, "b@example.com", NULL,
	    NULL, false, &error);
	struct ledger_entry seen = { 0 };
	int64_t row, balance = -1;
	GPtrArray *list;
	sqlite3 *db;
	char *msg = NULL;

	g_assert_no_error(error);
	g_assert_cmpint(store_begin(f->store, &error), ==, 0);
	g_assert_cmpint(store_ledger_by_reference(f->store, "pay-1", &seen,
	    &error), ==, 0);
	row = store_ledger_add_purchase(f->store, c, 50, "package", 8500,
	    "pay-1", &seen, &error);
	g_assert_no_error(error);
	g_assert_cmpint(row, >, 0);
	g_assert_null(seen.reference);	/* not filled when inserted */
	/* again, in the same transaction or the next: the first row */
	g_assert_cmpint(store_ledger_add_purchase(f->store, c, 50, "package",
	    8500, "pay-1", &seen, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(seen.id, ==, row);
	ledger_entry_clear(&seen);
	g_assert_cmpint(store_commit(f->store, &error), ==, 0);
	g_assert_cmpint(store_begin(f->store, &error), ==, 0);
	g_assert_cmpint(store_ledger_add_purchase(f->store, other, 25, "x",
	    4500, "pay-1", &seen, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(seen.id, ==, row);
	g_assert_cmpint(seen.customer_id, ==, c);
	g_assert_cmpint(seen.delta, ==, 50);
	g_assert_cmpint(seen.price_cents, ==, 8500);
	g_assert_cmpstr(seen.reason, ==, "package");
	g_assert_cmpstr(seen.reference, ==, "pay-1");
	g_assert_cmpint(seen.created, >, 1600000000);
	ledger_entry_clear(&seen);
	g_assert_null(seen.reason);
	/* references are compared byte for byte */
	g_assert_cmpint(store_ledger_add_purchase(f->store, c, 50, "package",
	    8500, "PAY-1", &seen, &error), >, 0);
	g_assert_cmpint(store_ledger_add(f->store, c, 5, "no reference", 0, 0,
	    -1, &error), >, 0);
	g_assert_cmpint(store_ledger_add(f->store, c, 5, "no reference", 0, 0,
	    -1, &error), >, 0);
	g_assert_no_error(error);
	g_assert_cmpint(store_commit(f->store, &error), ==, 0);
	g_assert_cmpint(store_ledger_by_reference(f->store, "pay-2", &seen,
	    &error), ==, 0);
	g_assert_cmpint(store_ledger_by_reference(f->store, "pay-1", &seen,
	    &error), ==, 1);
	g_assert_cmpint(seen.id, ==, row);
	ledger_entry_clear(&seen);
	g_assert_no_error(error);
	g_assert_cmpint(store_ledger_balance(f->store, c, &balance, &error),
	    ==, 0);
	g_assert_cmpint(balance, ==, 110);
	g_assert_cmpint(store_ledger_balance(f->store, other, &balance,
	    &error), ==, 0);
	g_assert_cmpint(balance, ==, 0);
	list = store_ledger_list(f->store, c, &error);
	g_assert_nonnull(list);
	if (list != NULL && list->len == 4) {
		g_assert_cmpstr(((struct ledger_entry *)g_ptr_array_index(list,
		    0))->reference, ==, "pay-1");
		g_assert_null(((struct ledger_entry *)g_ptr_array_index(list,
		    2))->reference);
	} else
		g_test_fail_printf("ledger list of %u entries",
		    list ? list->len : 0);
	if (list != NULL)
		g_ptr_array_unref(list);
	/* the unique index, under any program that writes the file */
	db = test_sqlite_open(f->path);
	g_assert_cmpint(sqlite3_exec(db, "INSERT INTO ledger (customer_id,"
	    " delta, reason, reference, created) VALUES (2, 50, 'x', 'pay-1',"
	    " 0)", NULL, NULL, &msg), ==, SQLITE_CONSTRAINT);
	g_assert_true(msg != NULL && strstr(msg, "UNIQUE") != NULL);
	sqlite3_free(msg);
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM ledger WHERE"
	    " reference = 'pay-1'"), ==, 1);
	sqlite3_close(db);
}

/* ---- tickets, messages, attachments ---- */

static void
test_tickets(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t c = store_customer_add(f->store, "a@example.com", NULL, "ru",
	    false, &error);
	int64_t t1, t2;
	struct ticket *t = NULL;
	GPtrArray *list;
	time_t now = time(NULL);

	t1 = store_ticket_add(f->store, c, "Checkout broken", "new", true,
	    "ru", "malformed", &error);
	t2 = store_ticket_add(f->store, c, "Second", "open", false, "en",
	    NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(t1, >, 0);
	g_assert_cmpint(t2, >, t1);
	g_assert_cmpint(store_ticket_get(f->store, t1, &t, &error), ==, 1);
	g_assert_nonnull(t);
	if (t != NULL) {
		g_assert_cmpint(t->id, ==, t1);
		g_assert_cmpint(t->customer_id, ==, c);
		g_assert_cmpstr(t->customer_email, ==, "a@example.com");
		g_assert_cmpstr(t->subject, ==, "Checkout broken");
		g_assert_cmpstr(t->status, ==, "new");
		g_assert_cmpint(t->category, ==, 0);
		g_assert_cmpint(t->charged, ==, 0);
		g_assert_true(t->preapproved);
		g_assert_cmpstr(t->lang, ==, "ru");
		g_assert_cmpstr(t->flags, ==, "malformed");
		g_assert_cmpint(t->messages, ==, 0);
		g_assert_cmpint(t->created, >=, now - 5);
		g_assert_cmpint(t->created, <=, now + 5);
	}
	ticket_free(t);
	t = NULL;
	g_assert_cmpint(store_ticket_get(f->store, 9999, &t, &error), ==, 0);
	g_assert_null(t);

	g_assert_cmpint(store_ticket_set_status(f->store, t1, "answered",
	    &error), ==, 0);
	g_assert_cmpint(store_ticket_get(f->store, t1, &t, &error), ==, 1);
	if (t != NULL)
		g_assert_cmpstr(t->status, ==, "answered");
	ticket_free(t);
	g_assert_cmpint(store_ticket_set_status(f->store, t1, "bogus",
	    &error), ==, -1);
	g_assert_nonnull(error);
	g_clear_error(&error);

	list = store_ticket_list(f->store, &error);
	g_assert_nonnull(list);
	if (list != NULL) {
		g_assert_cmpuint(list->len, ==, 2);
		if (list->len == 2) {
			g_assert_cmpint(((struct ticket *)
			    g_ptr_array_index(list, 0))->id, ==, t1);
			g_assert_cmpstr(((struct ticket *)
			    g_ptr_array_index(list, 1))->flags, ==, "");
		}
		g_ptr_array_unref(list);
	}
	/* a ticket of no customer is refused (foreign key) */
	g_assert_cmpint(store_ticket_add(f->store, 12345, "x", "new", false,
	    "en", "", &error), ==, -1);
	g_assert_nonnull(error);
	g_clear_error(&error);
}

static struct message_new
message_row(int64_t ticket, const char *message_id, const char *dedup)
{
	struct message_new m = { 0 };

	m.ticket_id = ticket;
	m.direction = "in";
	m.author = "customer";
	m.message_id = message_id;
	m.dedup_key = dedup;
	m.envelope_from = "a@example.com";
	m.recipient = "support@desk.example";
	m.from_addr = "a@example.com";
	m.subject = "subject";
	m.class = "human";
	m.flags = "";
	m.text = "text of the message";
	m.raw_fd = -1;
	return m;
}

static void
test_messages(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t c = store_customer_add(f->store, "a@example.com", NULL, NULL,
	    false, &error);
	int64_t t = store_ticket_add(f->store, c, "s", "new", false, "en", "",
	    &error);
	struct message_new m = message_row(t, "mid-1@example.com", "key-1");
	GBytes *raw = NULL, *got;
	int64_t id, id2, id3, ticket = 0;
	GPtrArray *list;
	sqlite3 *db;
	char *sql;

	/* 200 KB of raw bytes: more than one blob chunk, NULs included */
	m.raw_fd = data_file(f->dir, 200 * 1024 + 3, &raw);
	m.raw_size = (int64_t)g_bytes_get_size(raw);
	id = store_message_add(f->store, &m, &error);
	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	close(m.raw_fd);

	db = test_sqlite_open(f->path);
	sql = g_strdup_printf("SELECT raw FROM message_raw WHERE message_row = %"
	    G_GINT64_FORMAT, (gint64)id);
	got = raw_blob(db, sql);
	check_bytes(got, raw);
	g_free(sql);
	if (got != NULL)
		g_bytes_unref(got);
	sql = g_strdup_printf("SELECT size FROM messages WHERE id = %"
	    G_GINT64_FORMAT, (gint64)id);
	g_assert_cmpint(raw_int(db, sql), ==, m.raw_size);
	g_free(sql);

	g_assert_cmpint(store_message_seen(f->store, "key-1", &error), ==, 1);
	g_assert_cmpint(store_message_seen(f->store, "key-2", &error), ==, 0);
	g_assert_cmpint(store_message_ticket(f->store, "mid-1@example.com",
	    &ticket, &error), ==, 1);
	g_assert_cmpint(ticket, ==, t);
	g_assert_cmpint(store_message_ticket(f->store, "unknown@example.com",
	    &ticket, &error), ==, 0);
	g_assert_no_error(error);

	/* the same dedup key again: EXISTS */
	m = message_row(t, "mid-1@example.com", "key-1");
	g_assert_cmpint(store_message_add(f->store, &m, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_EXISTS);
	g_clear_error(&error);

	/* an unfiled message (no ticket) and an outbound one (no key) */
	m = message_row(0, "stranger@example.com", "key-2");
	m.author = "stranger";
	id2 = store_message_add(f->store, &m, &error);
	m = message_row(t, "out-1@desk.example", NULL);
	m.direction = "out";
	m.author = "system";
	id3 = store_message_add(f->store, &m, &error);
	g_assert_no_error(error);
	g_assert_cmpint(id2, >, id);
	g_assert_cmpint(id3, >, id2);
	/* a Message-ID of no ticket threads nowhere */
	g_assert_cmpint(store_message_ticket(f->store, "stranger@example.com",
	    &ticket, &error), ==, 0);
	g_assert_cmpint(store_message_ticket(f->store, "out-1@desk.example",
	    &ticket, &error), ==, 1);
	g_assert_cmpint(ticket, ==, t);

	list = store_message_list(f->store, t, &error);
	g_assert_nonnull(list);
	if (list != NULL && list->len == 2) {
		struct message *m0 = g_ptr_array_index(list, 0);
		struct message *m1 = g_ptr_array_index(list, 1);

		g_assert_cmpint(m0->id, ==, id);
		g_assert_cmpint(m0->ticket_id, ==, t);
		g_assert_cmpstr(m0->direction, ==, "in");
		g_assert_cmpstr(m0->author, ==, "customer");
		g_assert_cmpstr(m0->message_id, ==, "mid-1@example.com");
		g_assert_cmpstr(m0->from_addr, ==, "a@example.com");
		g_assert_cmpstr(m0->recipient, ==, "support@desk.example");
		g_assert_cmpstr(m0->subject, ==, "subject");
		g_assert_cmpstr(m0->class, ==, "human");
		g_assert_cmpstr(m0->text, ==, "text of the message");
		g_assert_cmpint(m0->size, ==, 200 * 1024 + 3);
		g_assert_cmpstr(m1->direction, ==, "out");
		g_assert_cmpint(m1->size, ==, 0);
	} else
		g_test_fail_printf("%u messages in the ticket",
		    list ? list->len : 0);
	if (list != NULL)
		g_ptr_array_unref(list);
	list = store_message_list(f->store, 0, &error);
	if (list != NULL) {
		g_assert_cmpuint(list->len, ==, 1);
		if (list->len == 1)
			g_assert_cmpint(((struct message *)
			    g_ptr_array_index(list, 0))->id, ==, id2);
		g_ptr_array_unref(list);
	}
	/* the ticket counts its messages */
	{
		struct ticket *tk = NULL;

		g_assert_cmpint(store_ticket_get(f->store, t, &tk, &error),
		    ==, 1);
		if (tk != NULL)
			g_assert_cmpint(tk->messages, ==, 2);
		ticket_free(tk);
	}
	g_assert_no_error(error);
	sqlite3_close(db);
	g_bytes_unref(raw);
}

/* A raw copy that is shorter than promised is an error, not a hole. */
static void
test_message_short_file(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	struct message_new m = message_row(0, NULL, "short");
	GBytes *raw = NULL;

	m.raw_fd = data_file(f->dir, 100, &raw);
	m.raw_size = 1000;
	g_assert_cmpint(store_begin(f->store, &error), ==, 0);
	g_assert_cmpint(store_message_add(f->store, &m, &error), ==, -1);
	g_assert_nonnull(error);
	g_clear_error(&error);
	store_rollback(f->store);
	close(m.raw_fd);
	g_bytes_unref(raw);
}

static void
test_attachments(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	struct message_new m = message_row(0, NULL, "k");
	GBytes *a1 = NULL, *a2 = NULL, *got;
	int64_t msg, id1, id2;
	int fd1, fd2;
	GPtrArray *list;
	sqlite3 *db;
	char *sql;

	msg = store_message_add(f->store, &m, &error);
	g_assert_no_error(error);
	fd1 = data_file(f->dir, 150000, &a1);
	fd2 = data_file(f->dir, 10, &a2);
	id1 = store_attachment_add(f->store, msg, "report.pdf",
	    "application/pdf", fd1, (int64_t)g_bytes_get_size(a1), &error);
	id2 = store_attachment_add(f->store, msg, NULL, "image/png", fd2, 10,
	    &error);
	g_assert_no_error(error);
	g_assert_cmpint(id1, >, 0);
	g_assert_cmpint(id2, >, id1);
	close(fd1);
	close(fd2);

	list = store_attachment_list(f->store, msg, &error);
	g_assert_nonnull(list);
	if (list != NULL && list->len == 2) {
		struct attachment *x = g_ptr_array_index(list, 0);
		struct attachment *y = g_ptr_array_index(list, 1);

		g_assert_cmpint(x->id, ==, id1);
		g_assert_cmpstr(x->filename, ==, "report.pdf");
		g_assert_cmpstr(x->content_type, ==, "application/pdf");
		g_assert_cmpint(x->size, ==, 150000);
		g_assert_null(y->filename);
		g_assert_cmpint(y->size, ==, 10);
	} else
		g_test_fail_printf("%u attachments", list ? list->len : 0);
	if (list != NULL)
		g_ptr_array_unref(list);
	list = store_attachment_list(f->store, msg + 100, &error);
	if (list != NULL) {
		g_assert_cmpuint(list->len, ==, 0);
		g_ptr_array_unref(list);
	}

	db = test_sqlite_open(f->path);
	sql = g_strdup_printf("SELECT content FROM attachments WHERE id = %"
	    G_GINT64_FORMAT, (gint64)id1);
	got = raw_blob(db, sql);
	check_bytes(got, a1);
	if (got != NULL)
		g_bytes_unref(got);
	g_free(sql);
	sql = g_strdup_printf("SELECT content FROM attachments WHERE id = %"
	    G_GINT64_FORMAT, (gint64)id2);
	got = raw_blob(db, sql);
	check_bytes(got, a2);
	if (got != NULL)
		g_bytes_unref(got);
	g_free(sql);
	sqlite3_close(db);
	g_bytes_unref(a1);
	g_bytes_unref(a2);
}

static void
test_audit(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	sqlite3 *db;
	char *detail;

	g_assert_cmpint(store_audit(f->store, "deskctl", "ticket-closed", 0,
	    "by hand", &error), ==, 0);
	g_assert_no_error(error);
	db = test_sqlite_open(f->path);
	detail = raw_text(db, "SELECT actor || ' ' || action || ' ' || "
	    "coalesce(ticket_id, 'none') || ' ' || detail FROM audit");
	g_assert_cmpstr(detail, ==, "deskctl ticket-closed none by hand");
	g_free(detail);
	sqlite3_close(db);
}

/* ---- the outbox ---- */

static int64_t
outbox_add(struct fx *f, const char *rcpt, const char *kind,
    const char *message_id, GError **error)
{
	static const char raw[] = "From: support@desk.example\r\n\r\nhi\r\n";
	struct outbox_new o = { 0 };
	GBytes *bytes = g_bytes_new_static(raw, sizeof(raw) - 1);
	int64_t id;

	o.kind = kind;
	o.env_from = "support@desk.example";
	o.rcpt = rcpt;
	o.subject = "Re: x";
	o.reply_to = NULL;
	o.message_id = message_id;
	o.text = "hi";
	o.raw = bytes;
	id = store_outbox_add(f->store, &o, error);
	g_bytes_unref(bytes);
	return id;
}

/* The outbox item ID, or NULL. (transfer full) */
static struct outbox_item *
outbox_get(struct fx *f, int64_t id)
{
	GError *error = NULL;
	GPtrArray *list = store_outbox_list(f->store, &error);
	struct outbox_item *found = NULL;
	guint i;

	g_assert_no_error(error);
	for (i = 0; list != NULL && i < list->len; i++) {
		struct outbox_item *o = g_ptr_array_index(list, i);

		if (o->id == id)
			found = g_ptr_array_steal_index(list, i);
	}
	if (list != NULL)
		g_ptr_array_unref(list);
	return found;
}

static bool
due_has(struct fx *f, int64_t now, int lease, int64_t id)
{
	GError *error = NULL;
	GPtrArray *due = store_outbox_due(f->store, now, lease, &error);
	bool found = false;
	guint i;

	g_assert_no_error(error);
	for (i = 0; due != NULL && i < due->len; i++) {
		struct outbox_item *o = g_ptr_array_index(due, i);

		if (o->id == id) {
			found = true;
			/* due items carry the raw message */
			g_assert_nonnull(o->raw);
			if (o->raw != NULL)
				g_assert_cmpuint(g_bytes_get_size(o->raw), ==,
				    34);
		}
	}
	if (due != NULL)
		g_ptr_array_unref(due);
	return found;
}

static void
test_outbox(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t now = (int64_t)time(NULL);
	int64_t a, b;
	struct outbox_item *o;

	a = outbox_add(f, "a@example.com", "ack", "n1@desk.example", &error);
	b = outbox_add(f, "b@example.com", "stranger", "n2@desk.example",
	    &error);
	g_assert_no_error(error);
	g_assert_cmpint(b, >, a);

	o = outbox_get(f, a);
	g_assert_nonnull(o);
	if (o != NULL) {
		g_assert_cmpstr(o->status, ==, "queued");
		g_assert_cmpint(o->attempts, ==, 0);
		g_assert_cmpstr(o->kind, ==, "ack");
		g_assert_cmpstr(o->rcpt, ==, "a@example.com");
		g_assert_cmpstr(o->env_from, ==, "support@desk.example");
		g_assert_cmpstr(o->message_id, ==, "n1@desk.example");
		g_assert_cmpstr(o->text, ==, "hi");
		g_assert_null(o->reply_to);
		g_assert_cmpint(o->ticket_id, ==, 0);
		g_assert_cmpint(o->created, >=, now - 5);
		g_assert_cmpint(o->next_attempt, <=, now + 5);
	}
	outbox_item_free(o);

	/* due once its time has come */
	g_assert_false(due_has(f, now - 1000, 600, a));
	g_assert_true(due_has(f, now + 5, 600, a));
	g_assert_true(due_has(f, now + 5, 600, b));

	/* claimed: "sending", one attempt, out of "due" for the lease */
	g_assert_cmpint(store_outbox_claim(f->store, a, now + 5, 600, &error),
	    ==, 0);
	o = outbox_get(f, a);
	if (o != NULL) {
		g_assert_cmpstr(o->status, ==, "sending");
		g_assert_cmpint(o->attempts, ==, 1);
	}
	outbox_item_free(o);
	g_assert_false(due_has(f, now + 5, 600, a));
	g_assert_false(due_has(f, now + 5 + 599, 600, a));
	g_assert_true(due_has(f, now + 5 + 600, 600, a));

	/* sent: never due again */
	g_assert_cmpint(store_outbox_sent(f->store, a, now + 6, &error), ==,
	    0);
	o = outbox_get(f, a);
	if (o != NULL) {
		g_assert_cmpstr(o->status, ==, "sent");
		g_assert_null(o->last_error);
	}
	outbox_item_free(o);
	g_assert_false(due_has(f, now + 100000, 600, a));
	/* a sent item cannot be claimed again */
	g_assert_cmpint(store_outbox_claim(f->store, a, now + 7, 600, &error),
	    ==, 1);
	o = outbox_get(f, a);
	if (o != NULL)
		g_assert_cmpstr(o->status, ==, "sent");
	outbox_item_free(o);

	/* retry: queued again, due at WHEN */
	g_assert_cmpint(store_outbox_claim(f->store, b, now + 5, 600, &error),
	    ==, 0);
	g_assert_cmpint(store_outbox_retry(f->store, b, now + 65,
	    "451 try later", &error), ==, 0);
	o = outbox_get(f, b);
	if (o != NULL) {
		g_assert_cmpstr(o->status, ==, "queued");
		g_assert_cmpint(o->attempts, ==, 1);
		g_assert_cmpint(o->next_attempt, ==, now + 65);
		g_assert_cmpstr(o->last_error, ==, "451 try later");
	}
	outbox_item_free(o);
	g_assert_false(due_has(f, now + 64, 600, b));
	g_assert_true(due_has(f, now + 65, 600, b));

	/* failed: never due again */
	g_assert_cmpint(store_outbox_failed(f->store, b, "550 no such user",
	    &error), ==, 0);
	o = outbox_get(f, b);
	if (o != NULL) {
		g_assert_cmpstr(o->status, ==, "failed");
		g_assert_cmpstr(o->last_error, ==, "550 no such user");
	}
	outbox_item_free(o);
	g_assert_false(due_has(f, now + 100000, 600, b));
	g_assert_no_error(error);
	/* updates of an unknown item change nothing */
	g_assert_cmpint(store_outbox_sent(f->store, 9999, now, &error), ==, 1);
	g_assert_no_error(error);
}

static void
test_outbox_recent(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t now = (int64_t)time(NULL);

	outbox_add(f, "s@example.com", "stranger", "r1@desk.example", &error);
	outbox_add(f, "s@example.com", "stranger", "r2@desk.example", &error);
	outbox_add(f, "s@example.com", "ack", "r3@desk.example", &error);
	outbox_add(f, "t@example.com", "stranger", "r4@desk.example", &error);
	g_assert_no_error(error);
	g_assert_cmpint(store_outbox_recent(f->store, "stranger",
	    "s@example.com", now - 3600, &error), ==, 2);
	g_assert_cmpint(store_outbox_recent(f->store, "ack", "s@example.com",
	    now - 3600, &error), ==, 1);
	g_assert_cmpint(store_outbox_recent(f->store, "stranger",
	    "u@example.com", now - 3600, &error), ==, 0);
	g_assert_cmpint(store_outbox_recent(f->store, "stranger",
	    "s@example.com", now + 3600, &error), ==, 0);
	g_assert_no_error(error);
}

static void
test_outbox_requeue(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t now = (int64_t)time(NULL);
	int64_t failed = outbox_add(f, "a@example.com", "ack", "q1@desk",
	    &error);
	int64_t sent = outbox_add(f, "b@example.com", "ack", "q2@desk",
	    &error);
	struct outbox_item *o;

	g_assert_no_error(error);
	g_assert_cmpint(store_outbox_failed(f->store, failed, "550 no",
	    &error), ==, 0);
	g_assert_cmpint(store_outbox_claim(f->store, sent, now + 5, 600,
	    &error), ==, 0);
	g_assert_cmpint(store_outbox_sent(f->store, sent, now, &error), ==, 0);
	g_assert_false(due_has(f, now + 100, 600, failed));
	/* a failed item is queued again, due at NOW */
	g_assert_cmpint(store_outbox_requeue(f->store, failed, now + 100,
	    &error), ==, 0);
	o = outbox_get(f, failed);
	if (o != NULL) {
		g_assert_cmpstr(o->status, ==, "queued");
		g_assert_cmpint(o->next_attempt, ==, now + 100);
	}
	outbox_item_free(o);
	g_assert_false(due_has(f, now + 99, 600, failed));
	g_assert_true(due_has(f, now + 100, 600, failed));
	/* a sent item is not sent twice; an unknown one is not there */
	g_assert_cmpint(store_outbox_requeue(f->store, sent, now, &error), ==,
	    1);
	o = outbox_get(f, sent);
	if (o != NULL)
		g_assert_cmpstr(o->status, ==, "sent");
	outbox_item_free(o);
	g_assert_cmpint(store_outbox_requeue(f->store, 9999, now, &error), ==,
	    1);
	g_assert_no_error(error);
}

static void
test_outbox_duplicate_id(struct fx *f, gconstpointer data)
{
	GError *error = NULL;

	g_assert_cmpint(outbox_add(f, "a@example.com", "ack", "same@desk",
	    &error), >, 0);
	g_assert_cmpint(outbox_add(f, "b@example.com", "ack", "same@desk",
	    &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_EXISTS);
	g_clear_error(&error);
}

#define ADD(path, fn) \
	g_test_add(path, struct fx, NULL, fx_setup, fn, fx_teardown)

/*
 * The plan of every statement of store-sql.c on a migrated store: the
 * lookups of threading and intake use the index meant for them, and no
 * statement reads a whole table but the operator's listings, which want
 * every row (or filter on the text of the flags).
 */
static const struct {
	enum store_stmt s;
	const char *uses;	/* in the plan: the index that must serve */
} sql_index[] = {
	{ SQL_MESSAGE_BY_DEDUP, "INDEX sqlite_autoindex_messages_1 (dedup_key=?)" },
	{ SQL_MESSAGE_BY_MESSAGE_ID, "INDEX messages_by_message_id (message_id=?)" },
	{ SQL_MESSAGE_ID_STORED, "INDEX messages_by_message_id (message_id=?)" },
	{ SQL_MESSAGE_COUNT_SENDER, "INDEX messages_by_sender (from_addr=? AND created>?)" },
	{ SQL_MESSAGE_COUNT_FINGERPRINT, "INDEX messages_by_fingerprint (fingerprint=? AND created>?)" },
	{ SQL_MESSAGE_LIST_BY_TICKET, "INDEX messages_by_ticket (ticket_id=?)" },
	{ SQL_TICKET_LAST_IN_MESSAGE, "INDEX messages_by_ticket (ticket_id=?)" },
	{ SQL_MESSAGE_SET_FLAGS_HELD, "INDEX messages_by_ticket (ticket_id=?)" },
	{ SQL_TICKET_BY_ID, "INDEX messages_by_ticket (ticket_id=?)" },
	{ SQL_TICKET_BY_ID, "t USING INTEGER PRIMARY KEY (rowid=?)" },
	{ SQL_TICKET_OPEN_OF_CUSTOMER, "INDEX tickets_by_customer (customer_id=?)" },
	{ SQL_TICKET_AWAITING_CREDITS, "INDEX tickets_by_customer (customer_id=?)" },
	{ SQL_CUSTOMER_BY_ADDRESS, "INDEX sqlite_autoindex_customer_addresses_1 (address=?)" },
	{ SQL_CUSTOMER_BY_DOMAIN, "INDEX sqlite_autoindex_customer_domains_1 (domain=?)" },
	{ SQL_STAFF_BY_ADDRESS, "INDEX sqlite_autoindex_staff_1 (email=?)" },
	{ SQL_LICENSE_COUNT, "INDEX licenses_by_customer (customer_id=?)" },
	{ SQL_LEDGER_BALANCE, "INDEX ledger_by_customer (customer_id=?)" },
	{ SQL_LEDGER_BY_REFERENCE, "INDEX ledger_by_reference (reference=?)" },
	{ SQL_OUTBOX_RECENT_TO, "INDEX outbox_by_rcpt (rcpt=? AND kind=? AND created>?)" },
	{ SQL_OUTBOX_BY_MESSAGE_ID, "INDEX sqlite_autoindex_outbox_1 (message_id=?)" },
	{ SQL_OUTBOX_DUE, "INDEX outbox_due (status=? AND next_attempt<?)" },
	{ SQL_OUTBOX_RELEASE, "INDEX outbox_by_ticket (ticket_id=? AND status=?)" },
	{ SQL_OUTBOX_CANCEL, "INDEX outbox_by_ticket (ticket_id=? AND status=?)" },
	{ SQL_OUTBOX_HELD_COUNT, "INDEX outbox_by_ticket (ticket_id=? AND status=?)" },
	{ SQL_CONFIRMATION_PENDING, "INDEX confirmations_by_ticket (ticket_id=? AND status=?)" },
};

/* deskctl's listings: a whole table, and so it should be */
static bool
sql_may_scan(enum store_stmt s)
{
	return s == SQL_TICKET_LIST || s == SQL_OUTBOX_LIST ||
	    s == SQL_MESSAGE_LIST_SUPPRESSED;
}

/* The plan of S, one line per step ("SEARCH m USING ..."). */
static char *
sql_plan(sqlite3 *db, enum store_stmt s)
{
	char *sql = g_strdup_printf("EXPLAIN QUERY PLAN %s", store_sql_text(s));
	GString *plan = g_string_new(NULL);
	sqlite3_stmt *st = NULL;

	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==,
	    SQLITE_OK);
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		g_string_append_printf(plan, "%s\n",
		    (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	g_free(sql);
	return g_string_free(plan, FALSE);
}

static void
test_query_plans(struct fx *f, gconstpointer data)
{
	sqlite3 *db = test_sqlite_open(f->path);
	GRegex *scan = g_regex_new("^SCAN (?!\\(subquery)", G_REGEX_MULTILINE,
	    0, NULL);
	int s, scans = 0;
	size_t i;

	for (s = 0; s < SQL_COUNT; s++) {
		char *plan = sql_plan(db, s);
		bool scanned = g_regex_match(scan, plan, 0, NULL);

		if (scanned && !sql_may_scan(s))
			g_test_fail_printf("a full scan in %s\nplan:\n%s",
			    store_sql_text(s), plan);
		scans += scanned;
		g_free(plan);
	}
	g_assert_cmpint(scans, ==, 3);	/* the listings' */
	for (i = 0; i < G_N_ELEMENTS(sql_index); i++) {
		char *plan = sql_plan(db, sql_index[i].s);

		if (strstr(plan, sql_index[i].uses) == NULL)
			g_test_fail_printf("%s\nshould use %s; plan:\n%s",
			    store_sql_text(sql_index[i].s), sql_index[i].uses,
			    plan);
		g_free(plan);
	}
	g_regex_unref(scan);
	sqlite3_close(db);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	ADD("/store/open/wal", test_open_wal);
	ADD("/store/sql/query-plans", test_query_plans);
	ADD("/store/open/missing", test_open_missing);
	ADD("/store/migrate/twice", test_migrate_twice);
	ADD("/store/migrate/from-5", test_migrate_from_5);
	ADD("/store/migrate/check-version", test_check_version);
	ADD("/store/transaction/commit-rollback", test_transaction);
	ADD("/store/transaction/busy", test_busy);
	ADD("/store/customer/find", test_customers);
	ADD("/store/customer/unique", test_unique);
	ADD("/store/license/count", test_licenses);
	ADD("/store/staff", test_staff);
	ADD("/store/ledger/balance", test_ledger);
	ADD("/store/ledger/append-only", test_ledger_append_only);
	ADD("/store/ledger/reference", test_ledger_reference);
	ADD("/store/ticket/life", test_tickets);
	ADD("/store/message/raw", test_messages);
	ADD("/store/message/short-file", test_message_short_file);
	ADD("/store/attachment/content", test_attachments);
	ADD("/store/audit", test_audit);
	ADD("/store/outbox/life", test_outbox);
	ADD("/store/outbox/recent", test_outbox_recent);
	ADD("/store/outbox/requeue", test_outbox_requeue);
	ADD("/store/outbox/duplicate-id", test_outbox_duplicate_id);
	return g_test_run();
}
