/*
 * store-outbox.c - the transactional outbox.
 *
 * deskgate queues notices in the same transaction as the message that
 * caused them; the runner (deskctl outbox run) claims an item (status
 * "sending", one attempt more, committed) before it talks SMTP and marks
 * it "sent" right after the relay's 250 to the end of DATA. An item left
 * in "sending" is retried only after a lease, so a second runner cannot
 * send it again while the first is still at it. The claim is one UPDATE
 * whose WHERE clause is the due condition itself (queued and due, or
 * sending past the lease), not a check made before: of two runners that
 * read the same due list, the first claim commits and the second changes
 * no row (OUTBOX_CLAIM_LOST), whatever their lock files.
 *
 * States: queued -> sending (claim) -> sent | queued (retry) | failed
 * (give up). The runner's moves out of "sending" name "sending" in their
 * WHERE clause: a bounce (store_outbox_failed, from deskgate) may mark
 * the item failed at any moment, and the runner must not undo that.
 */
#include "config.h"

#include "error.h"
#include "store-private.h"

void
outbox_item_free(struct outbox_item *o)
{
	if (o == NULL)
		return;
	g_free(o->kind);
	g_free(o->env_from);
	g_free(o->rcpt);
	g_free(o->subject);
	g_free(o->reply_to);
	g_free(o->message_id);
	g_free(o->text);
	if (o->raw != NULL)
		g_bytes_unref(o->raw);
	g_free(o->status);
	g_free(o->last_error);
	g_free(o);
}

int64_t
store_outbox_add(struct store *store, const struct outbox_new *o,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_OUTBOX_INSERT, error);
	gsize len;
	gconstpointer raw;

	if (st == NULL)
		return -1;
	raw = g_bytes_get_data(o->raw, &len);
	if (o->ticket_id > 0)
		sqlite3_bind_int64(st, 1, o->ticket_id);
	store_bind_text(st, 2, o->kind);
	store_bind_text(st, 3, o->env_from);
	store_bind_text(st, 4, o->rcpt);
	store_bind_text(st, 5, o->subject);
	store_bind_text(st, 6, o->reply_to);
	store_bind_text(st, 7, o->message_id);
	store_bind_text(st, 8, o->text);
	sqlite3_bind_blob64(st, 9, raw, len, SQLITE_STATIC);
	store_bind_text(st, 10, o->status ? o->status : "queued");
	if (store_step_done(store, st, "queueing a notice", error) < 0)
		return -1;
	return sqlite3_last_insert_rowid(store->db);
}

static GPtrArray *
store_outbox_rows(struct store *store, sqlite3_stmt *st, GError **error)
{
	GPtrArray *out;
	int rc;

	out = g_ptr_array_new_with_free_func((GDestroyNotify)outbox_item_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct outbox_item *o = g_new0(struct outbox_item, 1);

		o->id = sqlite3_column_int64(st, 0);
		o->ticket_id = sqlite3_column_int64(st, 1);
		o->kind = store_column_dup(st, 2);
		o->env_from = store_column_dup(st, 3);
		o->rcpt = store_column_dup(st, 4);
		o->subject = store_column_dup(st, 5);
		o->reply_to = store_column_dup(st, 6);
		o->message_id = store_column_dup(st, 7);
		o->text = store_column_dup(st, 8);
		if (sqlite3_column_type(st, 9) != SQLITE_NULL)
			o->raw = g_bytes_new(sqlite3_column_blob(st, 9),
			    sqlite3_column_bytes(st, 9));
		o->status = store_column_dup(st, 10);
		o->attempts = sqlite3_column_int(st, 11);
		o->next_attempt = sqlite3_column_int64(st, 12);
		o->last_error = store_column_dup(st, 13);
		o->created = sqlite3_column_int64(st, 14);
		g_ptr_array_add(out, o);
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, error, "reading the outbox");
		g_ptr_array_unref(out);
		out = NULL;
	}
	store_stmt_done(st);
	return out;
}

GPtrArray *
store_outbox_list(struct store *store, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_OUTBOX_LIST, error);

	return st ? store_outbox_rows(store, st, error) : NULL;
}

GPtrArray *
store_outbox_due(struct store *store, int64_t now, int lease, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_OUTBOX_DUE, error);

	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, lease);
	return store_outbox_rows(store, st, error);
}

/*
 * Run the UPDATE S on item ID (WHEN, WHY and, for the claim, LEASE are
 * its parameters): 0 when it changed the row, 1 when the
 * row was not there or not in the state S's WHERE clause asks for, -1 on
 * error. The state is in the WHERE clause, not checked before, so no
 * other writer can slip in between the check and the change.
 */
static int
store_outbox_update(struct store *store, enum store_stmt s, int64_t id,
    int64_t when, const char *why, int lease, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, s, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (s == SQL_OUTBOX_FAILED || s == SQL_OUTBOX_GIVE_UP) {
		store_bind_text(st, 2, why);
	} else {
		sqlite3_bind_int64(st, 2, when);
		if (s == SQL_OUTBOX_RETRY)
			store_bind_text(st, 3, why);
		else if (s == SQL_OUTBOX_CLAIM)
			sqlite3_bind_int(st, 3, lease);
	}
	if (store_step_done(store, st, "updating the outbox", error) < 0)
		return -1;
	return sqlite3_changes(store->db) == 1 ? 0 : 1;
}

enum outbox_claim
store_outbox_claim(struct store *store, int64_t id, int64_t now, int lease,
    GError **error)
{
	switch (store_outbox_update(store, SQL_OUTBOX_CLAIM, id, now, NULL,
	    lease, error)) {
	case 0:
		return OUTBOX_CLAIMED;
	case 1:
		return OUTBOX_CLAIM_LOST;
	default:
		return OUTBOX_CLAIM_ERROR;
	}
}

static enum outbox_mark
store_outbox_mark(int rc)
{
	return rc == 0 ? OUTBOX_MARKED : rc == 1 ? OUTBOX_MARK_LOST :
	    OUTBOX_MARK_ERROR;
}

enum outbox_mark
store_outbox_sent(struct store *store, int64_t id, int64_t now,
    GError **error)
{
	return store_outbox_mark(store_outbox_update(store, SQL_OUTBOX_SENT,
	    id, now, NULL, 0, error));
}

enum outbox_mark
store_outbox_retry(struct store *store, int64_t id, int64_t when,
    const char *why, GError **error)
{
	return store_outbox_mark(store_outbox_update(store, SQL_OUTBOX_RETRY,
	    id, when, why, 0, error));
}

enum outbox_mark
store_outbox_give_up(struct store *store, int64_t id, const char *why,
    GError **error)
{
	return store_outbox_mark(store_outbox_update(store,
	    SQL_OUTBOX_GIVE_UP, id, 0, why, 0, error));
}

int
store_outbox_failed(struct store *store, int64_t id, const char *why,
    GError **error)
{
	return store_outbox_update(store, SQL_OUTBOX_FAILED, id, 0, why, 0,
	    error);
}

int
store_outbox_requeue(struct store *store, int64_t id, int64_t now,
    GError **error)
{
	return store_outbox_update(store, SQL_OUTBOX_REQUEUE, id, now, NULL, 0,
	    error);
}

int
store_outbox_find(struct store *store, const char *message_id, int64_t *id_r,
    int64_t *ticket_r, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_OUTBOX_BY_MESSAGE_ID, error);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, message_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(st, 0);
		*ticket_r = sqlite3_column_int64(st, 1);
	}
	store_stmt_done(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_fail(store, error, "looking up a notice");
	return -1;
}

int
store_outbox_recent(struct store *store, const char *kind, const char *rcpt,
    int64_t since, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_OUTBOX_RECENT_TO, error);
	int rc, n = -1;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, rcpt);
	store_bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, since);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	else
		store_fail(store, error, "counting recent notices");
	store_stmt_done(st);
	return n;
}
