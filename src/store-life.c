/*
 * store-life.c - the rows of the engineers' side: staff, a ticket's
 * assessment and engineer, confirmations, held notices.
 */
#include "config.h"

#include <string.h>

#include "store-private.h"

void
staff_clear(struct staff *s)
{
	g_free(s->email);
	g_free(s->name);
	memset(s, 0, sizeof(*s));
}

char *
store_license_summary(struct store *store, int64_t customer_id,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_LICENSE_SUMMARY, error);
	char *summary = NULL;

	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, customer_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		summary = store_column_dup(st, 0);
		if (summary == NULL)
			summary = g_strdup("");
	} else {
		store_fail(store, error, "listing licenses");
	}
	store_stmt_done(st);
	return summary;
}

static int
store_staff_row(struct store *store, sqlite3_stmt *st, struct staff *s,
    GError **error)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		s->id = sqlite3_column_int64(st, 0);
		s->email = store_column_dup(st, 1);
		s->name = store_column_dup(st, 2);
		store_stmt_done(st);
		return 1;
	}
	store_stmt_done(st);
	if (rc == SQLITE_DONE)
		return 0;
	store_fail(store, error, "reading staff");
	return -1;
}

int
store_staff_get(struct store *store, const char *address, struct staff *s,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_STAFF_GET_BY_ADDRESS, error);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, address);
	return store_staff_row(store, st, s, error);
}

int
store_staff_get_id(struct store *store, int64_t id, struct staff *s,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_STAFF_GET_BY_ID, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return store_staff_row(store, st, s, error);
}

int
store_ticket_assess(struct store *store, int64_t id, int category,
    int charged, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_TICKET_ASSESS, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, category);
	sqlite3_bind_int(st, 3, charged);
	return store_step_done(store, st, "assessing a ticket", error);
}

int
store_ticket_set_engineer(struct store *store, int64_t id, int64_t staff_id,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_TICKET_SET_ENGINEER, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, staff_id);
	return store_step_done(store, st, "setting a ticket's engineer",
	    error);
}

int
store_ticket_set_flags(struct store *store, int64_t id, const char *flags,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_TICKET_SET_FLAGS, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, flags);
	return store_step_done(store, st, "flagging a ticket", error);
}

GArray *
store_ticket_awaiting_credits(struct store *store, int64_t customer_id,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_TICKET_AWAITING_CREDITS,
	    error);
	GArray *ids;
	int rc;

	if (st == NULL)
		return NULL;
	ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	sqlite3_bind_int64(st, 1, customer_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		g_array_append_val(ids, id);
	}
	store_stmt_done(st);
	if (rc != SQLITE_DONE) {
		store_fail(store, error, "listing tickets awaiting credits");
		g_array_unref(ids);
		return NULL;
	}
	return ids;
}

int
store_ticket_last_customer_message(struct store *store, int64_t id,
    char **message_id_r, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_TICKET_LAST_IN_MESSAGE,
	    error);
	int rc;

	*message_id_r = NULL;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*message_id_r = store_column_dup(st, 0);
	store_stmt_done(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_fail(store, error, "reading a ticket's messages");
	return -1;
}

int64_t
store_confirmation_next_id(struct store *store, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_CONFIRMATION_NEXT_ID, error);
	int64_t id = -1;

	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else
		store_fail(store, error, "numbering a confirmation");
	store_stmt_done(st);
	return id;
}

int
store_confirmation_add(struct store *store, int64_t id, int64_t ticket,
    int category, int credits, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_CONFIRMATION_INSERT, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, ticket);
	sqlite3_bind_int(st, 3, category);
	sqlite3_bind_int(st, 4, credits);
	return store_step_done(store, st, "recording a confirmation", error);
}

static int
store_confirmation_row(struct store *store, sqlite3_stmt *st,
    struct confirmation *c, GError **error)
{
	int rc = sqlite3_step(st);

	memset(c, 0, sizeof(*c));
	if (rc == SQLITE_ROW) {
		const unsigned char *status = sqlite3_column_text(st, 4);

		c->id = sqlite3_column_int64(st, 0);
		c->ticket_id = sqlite3_column_int64(st, 1);
		c->category = sqlite3_column_int(st, 2);
		c->credits = sqlite3_column_int(st, 3);
		g_strlcpy(c->status, status ? (const char *)status : "",
		    sizeof(c->status));
		store_stmt_done(st);
		return 1;
	}
	store_stmt_done(st);
	if (rc == SQLITE_DONE)
		return 0;
	store_fail(store, error, "reading a confirmation");
	return -1;
}

int
store_confirmation_get(struct store *store, int64_t id,
    struct confirmation *c, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_CONFIRMATION_BY_ID, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return store_confirmation_row(store, st, c, error);
}

int
store_confirmation_pending(struct store *store, int64_t ticket,
    struct confirmation *c, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_CONFIRMATION_PENDING, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ticket);
	return store_confirmation_row(store, st, c, error);
}

int
store_confirmation_decide(struct store *store, int64_t id,
    const char *status, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_CONFIRMATION_DECIDE, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, status);
	if (store_step_done(store, st, "deciding a confirmation", error) < 0)
		return -1;
	return sqlite3_changes(store->db) > 0 ? 1 : 0;
}

int
store_confirmation_supersede(struct store *store, int64_t ticket,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_CONFIRMATION_SUPERSEDE,
	    error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ticket);
	if (store_step_done(store, st, "superseding a confirmation",
	    error) < 0)
		return -1;
	/* a notice not sent yet asks for nothing any more: not sent */
	if ((st = store_stmt(store, SQL_OUTBOX_CANCEL_CONFIRM, error)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ticket);
	store_bind_text(st, 2, "cancelled: the confirmation was superseded");
	return store_step_done(store, st, "cancelling a confirmation notice",
	    error);
}

/* The ticket's held answers in messages too: FLAGS "" or "cancelled". */
static int
store_held_messages(struct store *store, int64_t ticket, const char *flags,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_MESSAGE_SET_FLAGS_HELD,
	    error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ticket);
	store_bind_text(st, 2, flags);
	return store_step_done(store, st, "releasing held messages", error);
}

int
store_outbox_release(struct store *store, int64_t ticket, int64_t now,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_OUTBOX_RELEASE, error);
	int n;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ticket);
	sqlite3_bind_int64(st, 2, now);
	if (store_step_done(store, st, "releasing held notices", error) < 0)
		return -1;
	n = sqlite3_changes(store->db);
	if (store_held_messages(store, ticket, "", error) < 0)
		return -1;
	return n;
}

int
store_outbox_cancel(struct store *store, int64_t ticket, const char *why,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_OUTBOX_CANCEL, error);
	int n;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ticket);
	store_bind_text(st, 2, why);
	if (store_step_done(store, st, "cancelling held notices", error) < 0)
		return -1;
	n = sqlite3_changes(store->db);
	if (store_held_messages(store, ticket, "cancelled", error) < 0)
		return -1;
	return n;
}

int
store_outbox_held(struct store *store, int64_t ticket, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_OUTBOX_HELD_COUNT, error);
	int n = -1;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ticket);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	else
		store_fail(store, error, "counting held notices");
	store_stmt_done(st);
	return n;
}
