/*
 * store-ticket.c - tickets, the messages filed in them (inbound and
 * outbound, each with every Message-ID we saw or sent, for threading),
 * attachments and the audit log.
 *
 * Raw mail and attachment bodies go into BLOBs through incremental I/O
 * (zeroblob + sqlite3_blob_write), so a 20 MB message is never held in
 * memory whole.
 */
#include "config.h"

#include <string.h>

#include "error.h"
#include "store-private.h"

void
ticket_free(struct ticket *t)
{
	if (t == NULL)
		return;
	g_free(t->customer_email);
	g_free(t->subject);
	g_free(t->status);
	g_free(t->lang);
	g_free(t->flags);
	g_free(t);
}

int64_t
store_ticket_add(struct store *store, int64_t customer_id,
    const char *subject, const char *status, bool preapproved,
    const char *lang, const char *flags, GError **error)
{
	return store_ticket_add_as(store, 0, customer_id, subject, status,
	    preapproved, lang, flags, error);
}

int64_t
store_ticket_add_as(struct store *store, int64_t id, int64_t customer_id,
    const char *subject, const char *status, bool preapproved,
    const char *lang, const char *flags, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_TICKET_INSERT, error);

	if (st == NULL)
		return -1;
	if (id > 0)	/* else NULL: the next rowid */
		sqlite3_bind_int64(st, 7, id);
	sqlite3_bind_int64(st, 1, customer_id);
	store_bind_text(st, 2, subject);
	store_bind_text(st, 3, status);
	sqlite3_bind_int(st, 4, preapproved);
	store_bind_text(st, 5, lang);
	store_bind_text(st, 6, flags ? flags : "");
	if (store_step_done(store, st, "adding a ticket", error) < 0)
		return -1;
	return sqlite3_last_insert_rowid(store->db);
}

int
store_ticket_set_status(struct store *store, int64_t id, const char *status,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_TICKET_SET_STATUS, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, status);
	return store_step_done(store, st, "changing a ticket's status",
	    error);
}

int
store_ticket_set_preapproved(struct store *store, int64_t id, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_TICKET_SET_PREAPPROVED, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return store_step_done(store, st, "pre-approving a ticket", error);
}

static struct ticket *
store_ticket_row(sqlite3_stmt *st)
{
	struct ticket *t = g_new0(struct ticket, 1);

	t->id = sqlite3_column_int64(st, 0);
	t->customer_id = sqlite3_column_int64(st, 1);
	t->customer_email = store_column_dup(st, 2);
	t->subject = store_column_dup(st, 3);
	t->status = store_column_dup(st, 4);
	t->category = sqlite3_column_int(st, 5);
	t->charged = sqlite3_column_int(st, 6);
	t->preapproved = sqlite3_column_int(st, 7) != 0;
	t->lang = store_column_dup(st, 8);
	t->flags = store_column_dup(st, 9);
	t->messages = sqlite3_column_int(st, 10);
	t->created = sqlite3_column_int64(st, 11);
	t->updated = sqlite3_column_int64(st, 12);
	t->engineer_id = sqlite3_column_int64(st, 13);
	return t;
}

int
store_ticket_get(struct store *store, int64_t id, struct ticket **t_r,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_TICKET_BY_ID, error);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*t_r = store_ticket_row(st);
		store_stmt_done(st);
		return 1;
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, error, "reading a ticket");
		store_stmt_done(st);
		return -1;
	}
	store_stmt_done(st);
	return 0;
}

GPtrArray *
store_ticket_list(struct store *store, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_TICKET_LIST, error);
	GPtrArray *out;
	int rc;

	if (st == NULL)
		return NULL;
	out = g_ptr_array_new_with_free_func((GDestroyNotify)ticket_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(out, store_ticket_row(st));
	if (rc != SQLITE_DONE) {
		store_fail(store, error, "listing tickets");
		g_ptr_array_unref(out);
		out = NULL;
	}
	store_stmt_done(st);
	return out;
}

void
message_free(struct message *m)
{
	if (m == NULL)
		return;
	g_free(m->direction);
	g_free(m->author);
	g_free(m->message_id);
	g_free(m->from_addr);
	g_free(m->recipient);
	g_free(m->subject);
	g_free(m->class);
	g_free(m->flags);
	g_free(m->text);
	g_free(m->reply_text);
	g_free(m->language);
	g_free(m);
}

int64_t
store_message_add(struct store *store, const struct message_new *m,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_MESSAGE_INSERT, error);
	int64_t id, size = m->raw_fd >= 0 ? m->raw_size : 0;

	if (st == NULL)
		return -1;
	if (m->ticket_id > 0)
		sqlite3_bind_int64(st, 1, m->ticket_id);
	store_bind_text(st, 2, m->direction);
	store_bind_text(st, 3, m->author);
	store_bind_text(st, 4, m->message_id);
	store_bind_text(st, 5, m->dedup_key);
	store_bind_text(st, 6, m->envelope_from);
	store_bind_text(st, 7, m->recipient);
	store_bind_text(st, 8, m->from_addr);
	store_bind_text(st, 9, m->subject);
	store_bind_text(st, 10, m->class ? m->class : "human");
	store_bind_text(st, 11, m->flags ? m->flags : "");
	store_bind_text(st, 12, m->text);
	sqlite3_bind_int64(st, 13, size);
	store_bind_text(st, 14, m->reply_text);
	store_bind_text(st, 15, m->language);
	store_bind_text(st, 16, m->fingerprint);
	if (store_step_done(store, st, "storing a message", error) < 0)
		return -1;
	id = sqlite3_last_insert_rowid(store->db);
	store_fault_point("after-message-row");
	if (m->raw_fd < 0)
		return id;
	if ((st = store_stmt(store, SQL_MESSAGE_RAW_INSERT, error)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, size);
	if (store_step_done(store, st, "storing a raw message", error) < 0)
		return -1;
	if (size > 0 && store_blob_fill(store, "message_raw", "raw", id,
	    m->raw_fd, size, error) < 0)
		return -1;
	return id;
}

int
store_message_seen(struct store *store, const char *dedup_key,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_MESSAGE_BY_DEDUP, error);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, dedup_key);
	rc = sqlite3_step(st);
	store_stmt_done(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_fail(store, error, "looking for a duplicate");
	return -1;
}

int
store_message_ticket(struct store *store, const char *message_id,
    int64_t *ticket_r, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_MESSAGE_BY_MESSAGE_ID, error);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, message_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ticket_r = sqlite3_column_int64(st, 0);
	store_stmt_done(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_fail(store, error, "looking up a Message-ID");
	return -1;
}

/* Run ST (bound), whose one row is one integer; -1 on error. */
static int64_t
store_count(struct store *store, sqlite3_stmt *st, const char *what,
    GError **error)
{
	int64_t n = -1;
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		store_fail(store, error, what);
	store_stmt_done(st);
	return n;
}

int
store_message_count_sender(struct store *store, const char *from_addr,
    const char *envelope, int64_t since, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_MESSAGE_COUNT_SENDER, error);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, from_addr);
	store_bind_text(st, 2, envelope);
	sqlite3_bind_int64(st, 3, since);
	return (int)store_count(store, st, "counting a sender's messages",
	    error);
}

int
store_message_count_fingerprint(struct store *store, const char *fingerprint,
    int64_t since, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_MESSAGE_COUNT_FINGERPRINT,
	    error);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, fingerprint);
	sqlite3_bind_int64(st, 2, since);
	return (int)store_count(store, st, "counting repeated messages",
	    error);
}

int
store_message_id_stored(struct store *store, const char *message_id,
    const char *recipient, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_MESSAGE_ID_STORED, error);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, message_id);
	store_bind_text(st, 2, recipient);
	return (int)store_count(store, st, "looking up a Message-ID", error);
}

int64_t
store_ticket_open_of(struct store *store, int64_t customer_id,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_TICKET_OPEN_OF_CUSTOMER,
	    error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, customer_id);
	return store_count(store, st, "finding an open ticket", error);
}

int64_t
store_ticket_next_id(struct store *store, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_TICKET_NEXT_ID, error);

	if (st == NULL)
		return -1;
	return store_count(store, st, "numbering a ticket", error);
}

/* The rows of ST (bound; the columns of SQL_MESSAGE_LIST_*) as messages. */
static GPtrArray *
store_message_rows(struct store *store, sqlite3_stmt *st, const char *what,
    GError **error)
{
	GPtrArray *out;
	int rc;

	out = g_ptr_array_new_with_free_func((GDestroyNotify)message_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct message *m = g_new0(struct message, 1);

		m->id = sqlite3_column_int64(st, 0);
		m->ticket_id = sqlite3_column_int64(st, 1);
		m->direction = store_column_dup(st, 2);
		m->author = store_column_dup(st, 3);
		m->message_id = store_column_dup(st, 4);
		m->from_addr = store_column_dup(st, 5);
		m->recipient = store_column_dup(st, 6);
		m->subject = store_column_dup(st, 7);
		m->class = store_column_dup(st, 8);
		m->flags = store_column_dup(st, 9);
		m->text = store_column_dup(st, 10);
		m->size = sqlite3_column_int64(st, 11);
		m->created = sqlite3_column_int64(st, 12);
		m->reply_text = store_column_dup(st, 13);
		m->language = store_column_dup(st, 14);
		g_ptr_array_add(out, m);
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, error, what);
		g_ptr_array_unref(out);
		out = NULL;
	}
	store_stmt_done(st);
	return out;
}

GPtrArray *
store_message_list(struct store *store, int64_t ticket_id, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, ticket_id > 0 ?
	    SQL_MESSAGE_LIST_BY_TICKET : SQL_MESSAGE_LIST_UNFILED, error);

	if (st == NULL)
		return NULL;
	if (ticket_id > 0)
		sqlite3_bind_int64(st, 1, ticket_id);
	return store_message_rows(store, st, "listing messages", error);
}

GPtrArray *
store_message_list_suppressed(struct store *store, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_MESSAGE_LIST_SUPPRESSED,
	    error);

	if (st == NULL)
		return NULL;
	return store_message_rows(store, st, "listing suppressed messages",
	    error);
}

int64_t
store_attachment_add(struct store *store, int64_t message_row,
    const char *filename, const char *content_type, int fd, int64_t size,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_ATTACHMENT_INSERT, error);
	int64_t id;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, message_row);
	store_bind_text(st, 2, filename);
	store_bind_text(st, 3, content_type);
	sqlite3_bind_int64(st, 4, size);
	if (store_step_done(store, st, "storing an attachment", error) < 0)
		return -1;
	id = sqlite3_last_insert_rowid(store->db);
	if (store_blob_fill(store, "attachments", "content", id, fd, size,
	    error) < 0)
		return -1;
	return id;
}

void
attachment_free(struct attachment *a)
{
	if (a == NULL)
		return;
	g_free(a->filename);
	g_free(a->content_type);
	g_free(a);
}

GPtrArray *
store_attachment_list(struct store *store, int64_t message_row,
    GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_ATTACHMENT_LIST, error);
	GPtrArray *out;
	int rc;

	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, message_row);
	out = g_ptr_array_new_with_free_func((GDestroyNotify)attachment_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct attachment *a = g_new0(struct attachment, 1);

		a->id = sqlite3_column_int64(st, 0);
		a->filename = store_column_dup(st, 1);
		a->content_type = store_column_dup(st, 2);
		a->size = sqlite3_column_int64(st, 3);
		g_ptr_array_add(out, a);
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, error, "listing attachments");
		g_ptr_array_unref(out);
		out = NULL;
	}
	store_stmt_done(st);
	return out;
}

int
store_audit(struct store *store, const char *actor, const char *action,
    int64_t ticket_id, const char *detail, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_AUDIT_INSERT, error);

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, actor);
	store_bind_text(st, 2, action);
	if (ticket_id > 0)
		sqlite3_bind_int64(st, 3, ticket_id);
	store_bind_text(st, 4, detail);
	return store_step_done(store, st, "writing the audit log", error);
}
