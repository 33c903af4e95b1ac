/*
 * test-outbox.c - unit tests of the outbox: the state machine of
 * store-outbox.c (claim, claim lost, the runner's verdicts moving only a
 * "sending" item so that a bounce's "failed" stands, back-off, give up)
 * and the runner of outbox.c against the scripted SMTP peer of
 * test-peer.h with a temporary store: one bad notice never blocks the
 * others, invalid addresses never reach the relay, and a relay that never
 * greets costs one timeout, not 300 s.
 */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <sqlite3.h>

#include "conf.h"
#include "error.h"
#include "outbox.h"
#include "store.h"
#include "test-peer.h"
#include "test-util.h"

#define SECRET_HEX \
	"000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f"


struct fx {
	char *dir;
	char *store_path;
	struct store *store;
	struct desk_conf *conf;
	struct peer *peer;
	int64_t now;
	int timeout;		/* [relay] timeout; 0: 5 s */
};

static struct desk_conf *
fx_conf(struct fx *f, int port)
{
	char *text = g_strdup_printf("[desk]\n"
	    "address = support@desk.example\nsecret = " SECRET_HEX "\n"
	    "[store]\npath = %s\n"
	    "[relay]\nhost = 127.0.0.1\nport = %d\ntimeout = %d\n"
	    "retry_first = 60\nretry_max = 3600\ngive_up = 86400\n",
	    f->store_path, port, f->timeout > 0 ? f->timeout : 5);
	struct desk_conf *conf = test_conf_load(f->dir, text);

	g_free(text);
	return conf;
}

/* Start the peer with SCRIPT (NULL: a port where nobody listens). */
static void
fx_relay(struct fx *f, const struct peer_script *script)
{
	if (script != NULL)
		f->peer = peer_start(script);
	conf_free(f->conf);
	f->conf = fx_conf(f, script ? f->peer->port : peer_dead_port());
}

static void
fx_setup(struct fx *f, gconstpointer data)
{
	f->dir = test_tmpdir_new("test-smtp-XXXXXX");
	f->store_path = g_build_filename(f->dir, "desk.db", NULL);
	f->store = test_store_new(f->store_path, 2000);
	/* items are due from their insertion; run a little later */
	f->now = (int64_t)time(NULL) + 10;
}

static void
fx_teardown(struct fx *f, gconstpointer data)
{
	if (f->peer != NULL)
		peer_free(f->peer);
	conf_free(f->conf);
	store_close(f->store);
	test_tmpdir_remove(f->dir, NULL);
	g_free(f->store_path);
	g_free(f->dir);
}

static int64_t queue_from(struct fx *f, const char *from, const char *rcpt);

static int64_t
queue(struct fx *f, const char *rcpt)
{
	return queue_from(f, "support+1-0123456789abcdef@desk.example", rcpt);
}

/* Queue a notice from the envelope sender FROM to RCPT. */
static int64_t
queue_from(struct fx *f, const char *from, const char *rcpt)
{
	static int serial;
	struct outbox_new o = { 0 };
	char *id = g_strdup_printf("n%d.%d@desk.example", ++serial,
	    (int)getpid());
	char *raw = g_strdup_printf("From: support@desk.example\r\n"
	    "To: %s\r\nSubject: notice\r\nMessage-ID: <%s>\r\n\r\n"
	    "body line\r\n.dot line\r\n", rcpt, id);
	GBytes *bytes = g_bytes_new_take(raw, strlen(raw));
	GError *error = NULL;
	int64_t row;

	o.kind = "ack";
	o.env_from = from;
	o.rcpt = rcpt;
	o.subject = "notice";
	o.message_id = id;
	o.text = "body line\n";
	o.raw = bytes;
	row = store_outbox_add(f->store, &o, &error);
	g_assert_no_error(error);
	g_assert_cmpint(row, >, 0);
	g_bytes_unref(bytes);
	g_free(id);
	return row;
}

static struct outbox_item *
item(struct fx *f, int64_t id)
{
	GPtrArray *list = store_outbox_list(f->store, NULL);
	struct outbox_item *found = NULL;
	guint i;

	for (i = 0; list != NULL && i < list->len; i++)
		if (((struct outbox_item *)g_ptr_array_index(list, i))->id ==
		    id)
			found = g_ptr_array_steal_index(list, i);
	if (list != NULL)
		g_ptr_array_unref(list);
	if (found == NULL)
		g_test_fail_printf("no outbox item %" G_GINT64_FORMAT,
		    (gint64)id);
	return found;
}

static void
check_item(struct fx *f, int64_t id, const char *status, int attempts,
    int64_t next_attempt, const char *error_text)
{
	struct outbox_item *o = item(f, id);

	if (o == NULL)
		return;
	g_assert_cmpstr(o->status, ==, status);
	g_assert_cmpint(o->attempts, ==, attempts);
	if (next_attempt > 0)
		g_assert_cmpint(o->next_attempt, ==, next_attempt);
	if (error_text != NULL)
		test_check_contains(o->last_error, error_text);
	outbox_item_free(o);
}

static void
run(struct fx *f, int64_t now, struct outbox_report *report)
{
	GError *error = NULL;

	memset(report, 0xff, sizeof(*report));
	g_assert_cmpint(outbox_run(f->conf, f->store, now, report, &error),
	    ==, 0);
	g_assert_no_error(error);
	g_clear_error(&error);
	g_test_message("sent %d deferred %d failed %d busy %d", report->sent,
	    report->deferred, report->failed, report->busy);
}

static void
check_report(const struct outbox_report *r, int sent, int deferred,
    int failed)
{
	g_assert_cmpint(r->sent, ==, sent);
	g_assert_cmpint(r->deferred, ==, deferred);
	g_assert_cmpint(r->failed, ==, failed);
	g_assert_false(r->busy);
}

static void
test_run_sent(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = { 0 };
	struct outbox_report r;
	int64_t a, b;
	char **lines;

	fx_relay(f, &script);
	a = queue(f, "a@example.com");
	b = queue(f, "b@example.com");
	run(f, f->now, &r);
	check_report(&r, 2, 0, 0);
	check_item(f, a, "sent", 1, 0, NULL);
	check_item(f, b, "sent", 1, 0, NULL);
	peer_stop(f->peer);
	/* one session for both */
	g_assert_cmpint(f->peer->sessions, ==, 1);
	g_assert_cmpuint(f->peer->messages->len, ==, 2);
	lines = peer_lines(f->peer);
	g_assert_cmpint(peer_count_prefix(lines, "EHLO"), ==, 1);
	g_assert_cmpint(peer_count_prefix(lines,
	    "MAIL FROM:<support+1-0123456789abcdef@desk.example>"), ==, 2);
	g_assert_cmpint(peer_count_prefix(lines, "RCPT TO:<a@example.com>"), ==, 1);
	g_assert_cmpint(peer_count_prefix(lines, "RCPT TO:<b@example.com>"), ==, 1);
	g_assert_cmpint(peer_count_prefix(lines, "QUIT"), ==, 1);
	g_strfreev(lines);
	if (f->peer->messages->len == 2) {
		GBytes *m = g_ptr_array_index(f->peer->messages, 0);
		char *text = g_strndup(g_bytes_get_data(m, NULL),
		    g_bytes_get_size(m));

		test_check_contains(text, "To: a@example.com\r\n");
		test_check_contains(text, "\r\n\r\nbody line\r\n.dot line\r\n");
		g_free(text);
	}
	/* nothing is due any more: a second run sends nothing */
	run(f, f->now + 1, &r);
	check_report(&r, 0, 0, 0);
}

static void
test_run_deferred(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.rules = { { "temp", "451 4.3.0 try later", NULL } },
	};
	struct outbox_report r;
	int64_t a;

	fx_relay(f, &script);
	a = queue(f, "temp@example.com");
	run(f, f->now, &r);
	check_report(&r, 0, 1, 0);
	check_item(f, a, "queued", 1, f->now + 60, "451");
	/* not due before its time */
	run(f, f->now + 59, &r);
	check_report(&r, 0, 0, 0);
	check_item(f, a, "queued", 1, f->now + 60, NULL);
	/* the second failure waits twice as long */
	run(f, f->now + 60, &r);
	check_report(&r, 0, 1, 0);
	check_item(f, a, "queued", 2, f->now + 60 + 120, "451");
	run(f, f->now + 180, &r);
	check_item(f, a, "queued", 3, f->now + 180 + 240, NULL);
}

static void
test_run_failed(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.rules = { { "perm", "550 5.1.1 no such user", NULL } },
	};
	struct outbox_report r;
	int64_t a;

	fx_relay(f, &script);
	a = queue(f, "perm@example.com");
	run(f, f->now, &r);
	check_report(&r, 0, 0, 1);
	check_item(f, a, "failed", 1, 0, "550");
	/* never tried again */
	run(f, f->now + 100000, &r);
	check_report(&r, 0, 0, 0);
}

static void
test_run_give_up(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.rules = { { "temp", "451 4.3.0 try later", NULL } },
	};
	struct outbox_report r;
	sqlite3 *db;
	char *sql;
	int64_t a, young;

	fx_relay(f, &script);
	a = queue(f, "temp@example.com");
	young = queue(f, "temp2@example.com");
	db = test_sqlite_open(f->store_path);
	sql = g_strdup_printf("UPDATE outbox SET created = %" G_GINT64_FORMAT
	    " WHERE id = %" G_GINT64_FORMAT, (gint64)(f->now - 86400 - 1),
	    (gint64)a);
	g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==,
	    SQLITE_OK);
	g_free(sql);
	sqlite3_close(db);
	run(f, f->now, &r);
	check_report(&r, 0, 1, 1);
	check_item(f, a, "failed", 1, 0, "451");
	check_item(f, young, "queued", 1, f->now + 60, NULL);
}

/*
 * 451 to one notice's RCPT, 550 to another's, 451 to a third's DATA
 * command, among 3 that go: the two 4xx deferred (queued, due in
 * retry_first), the 5xx failed, the 3 others sent, all in one run and
 * one session.
 */
static void
test_run_mixed(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.rules = {
			{ "temp", "451 4.3.0 try later", NULL, NULL },
			{ "perm", "550 5.1.1 no such user", NULL, NULL },
			{ "later", NULL, NULL, "451 4.3.0 not now" },
		},
	};
	struct outbox_report r;
	int64_t ok, temp, perm, ok2, later, ok3;

	fx_relay(f, &script);
	ok = queue(f, "ok@example.com");
	temp = queue(f, "temp@example.com");
	perm = queue(f, "perm@example.com");
	ok2 = queue(f, "ok2@example.com");
	later = queue(f, "later@example.com");
	ok3 = queue(f, "ok3@example.com");
	run(f, f->now, &r);
	check_report(&r, 3, 2, 1);
	check_item(f, ok, "sent", 1, 0, NULL);
	check_item(f, temp, "queued", 1, f->now + 60, NULL);
	check_item(f, perm, "failed", 1, 0, NULL);
	check_item(f, ok2, "sent", 1, 0, NULL);
	check_item(f, later, "queued", 1, f->now + 60, "DATA: 451 4.3.0");
	check_item(f, ok3, "sent", 1, 0, NULL);
	peer_stop(f->peer);
	g_assert_cmpint(f->peer->sessions, ==, 1);
	g_assert_cmpuint(f->peer->messages->len, ==, 3);
}

/* The connection breaks in the middle: the next item reconnects. */
static void
test_run_broken(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.rules = { { "drop", NULL, "CLOSE" } },
	};
	struct outbox_report r;
	int64_t drop, ok;

	fx_relay(f, &script);
	drop = queue(f, "drop@example.com");
	ok = queue(f, "ok@example.com");
	run(f, f->now, &r);
	check_report(&r, 1, 1, 0);
	check_item(f, drop, "queued", 1, f->now + 60, NULL);
	check_item(f, ok, "sent", 1, 0, NULL);
	peer_stop(f->peer);
	g_assert_cmpint(f->peer->sessions, ==, 2);
}

static void
test_run_relay_down(struct fx *f, gconstpointer data)
{
	struct outbox_report r;
	int64_t a, b;

	fx_relay(f, NULL);
	a = queue(f, "a@example.com");
	b = queue(f, "b@example.com");
	run(f, f->now, &r);
	check_report(&r, 0, 2, 0);
	check_item(f, a, "queued", 1, f->now + 60, NULL);
	check_item(f, b, "queued", 1, f->now + 60, NULL);
}

/* A relay that refuses the connection defers the mail; none is lost. */
static void
test_run_relay_refuses(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.greeting = "554 5.3.2 no SMTP service here",
	};
	struct outbox_report r;
	int64_t a, b;

	fx_relay(f, &script);
	a = queue(f, "a@example.com");
	b = queue(f, "b@example.com");
	run(f, f->now, &r);
	check_report(&r, 0, 2, 0);
	check_item(f, a, "queued", 1, f->now + 60, NULL);
	check_item(f, b, "queued", 1, f->now + 60, NULL);
}

static void
test_run_busy(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = { 0 };
	struct outbox_report r;
	char *lock = g_strdup_printf("%s.outbox-lock", f->store_path);
	int64_t a;
	int fd;

	fx_relay(f, &script);
	a = queue(f, "a@example.com");
	fd = open(lock, O_RDWR | O_CREAT, 0600);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(flock(fd, LOCK_EX | LOCK_NB), ==, 0);
	memset(&r, 0, sizeof(r));
	g_assert_cmpint(outbox_run(f->conf, f->store, f->now, &r, NULL), ==,
	    0);
	g_assert_true(r.busy);
	g_assert_cmpint(r.sent, ==, 0);
	check_item(f, a, "queued", 0, 0, NULL);
	/* once the other runner is done, the item goes */
	close(fd);
	run(f, f->now, &r);
	check_report(&r, 1, 0, 0);
	check_item(f, a, "sent", 1, 0, NULL);
	peer_stop(f->peer);
	g_assert_cmpint(f->peer->sessions, ==, 1);
	g_free(lock);
}

/* An item left "sending" by a dead runner waits out the lease. */
static void
test_run_lease(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = { 0 };
	struct outbox_report r;
	int64_t a;

	fx_relay(f, &script);
	a = queue(f, "a@example.com");
	g_assert_cmpint(store_outbox_claim(f->store, a, f->now,
	    OUTBOX_LEASE, NULL), ==, OUTBOX_CLAIMED);
	run(f, f->now + 1, &r);
	check_report(&r, 0, 0, 0);
	check_item(f, a, "sending", 1, 0, NULL);
	run(f, f->now + OUTBOX_LEASE - 1, &r);
	check_report(&r, 0, 0, 0);
	run(f, f->now + OUTBOX_LEASE, &r);
	check_report(&r, 1, 0, 0);
	check_item(f, a, "sent", 2, 0, NULL);
}

/* ---- the state machine of store-outbox.c ---- */

/* Run SQL on the store file through a connection of its own. */
static void
fx_sql(struct fx *f, const char *sql)
{
	sqlite3 *db = test_sqlite_open(f->store_path);
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		g_test_fail_printf("%s: %s", sql, msg);
	sqlite3_free(msg);
	sqlite3_close(db);
}

/*
 * Claim: a queued item becomes ours ("sending", attempt 1); claiming it
 * again after it was sent, or an item a bounce failed, or one that does
 * not exist, is OUTBOX_CLAIM_LOST and changes nothing: 4 claims checked.
 */
static void
test_store_claim(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t a = queue(f, "a@example.com");
	int64_t b = queue(f, "b@example.com");

	g_assert_cmpint(store_outbox_claim(f->store, a, f->now,
	    OUTBOX_LEASE, &error), ==, OUTBOX_CLAIMED);
	check_item(f, a, "sending", 1, f->now, NULL);
	g_assert_cmpint(store_outbox_sent(f->store, a, f->now, &error), ==,
	    OUTBOX_MARKED);
	g_assert_cmpint(store_outbox_claim(f->store, a, f->now + 1,
	    OUTBOX_LEASE, &error), ==, OUTBOX_CLAIM_LOST);
	check_item(f, a, "sent", 1, 0, NULL);
	/* failed by a bounce while queued: lost, attempts unchanged */
	g_assert_cmpint(store_outbox_failed(f->store, b, "bounced", &error),
	    ==, 0);
	g_assert_cmpint(store_outbox_claim(f->store, b, f->now,
	    OUTBOX_LEASE, &error), ==, OUTBOX_CLAIM_LOST);
	check_item(f, b, "failed", 0, 0, "bounced");
	g_assert_cmpint(store_outbox_claim(f->store, 9999, f->now,
	    OUTBOX_LEASE, &error), ==, OUTBOX_CLAIM_LOST);
	g_assert_no_error(error);
}

/* The ids in DUE, a due list. */
static bool
due_has(GPtrArray *due, int64_t id)
{
	guint i;

	for (i = 0; due != NULL && i < due->len; i++)
		if (((struct outbox_item *)g_ptr_array_index(due, i))->id == id)
			return true;
	return false;
}

/*
 * Two runners that both got past their lock (a symlink to the store file
 * is another lock file) read the same due list over two connections:
 * each item is claimed by one of them only. Runner 2 claims a, runner 1
 * then loses a and wins b, runner 2 loses b; within the lease a stays
 * runner 2's (lost at now + LEASE - 1), at now + LEASE it is a dead
 * runner's and can be claimed again (attempt 2): 6 claims checked.
 */
static void
test_store_claim_race(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t a = queue(f, "a@example.com");
	int64_t b = queue(f, "b@example.com");
	struct store *other = store_open(f->store_path, 2000, false, &error);
	GPtrArray *due1, *due2;

	g_assert_no_error(error);
	g_assert_nonnull(other);
	due1 = store_outbox_due(f->store, f->now, OUTBOX_LEASE, &error);
	due2 = store_outbox_due(other, f->now, OUTBOX_LEASE, &error);
	g_assert_no_error(error);
	g_assert_true(due_has(due1, a) && due_has(due1, b));
	g_assert_true(due_has(due2, a) && due_has(due2, b));
	g_assert_cmpint(store_outbox_claim(other, a, f->now, OUTBOX_LEASE,
	    &error), ==, OUTBOX_CLAIMED);
	g_assert_cmpint(store_outbox_claim(f->store, a, f->now, OUTBOX_LEASE,
	    &error), ==, OUTBOX_CLAIM_LOST);
	g_assert_cmpint(store_outbox_claim(f->store, b, f->now, OUTBOX_LEASE,
	    &error), ==, OUTBOX_CLAIMED);
	g_assert_cmpint(store_outbox_claim(other, b, f->now, OUTBOX_LEASE,
	    &error), ==, OUTBOX_CLAIM_LOST);
	check_item(f, a, "sending", 1, f->now, NULL);
	check_item(f, b, "sending", 1, f->now, NULL);
	g_assert_cmpint(store_outbox_claim(f->store, a,
	    f->now + OUTBOX_LEASE - 1, OUTBOX_LEASE, &error), ==,
	    OUTBOX_CLAIM_LOST);
	g_assert_cmpint(store_outbox_claim(f->store, a, f->now + OUTBOX_LEASE,
	    OUTBOX_LEASE, &error), ==, OUTBOX_CLAIMED);
	check_item(f, a, "sending", 2, f->now + OUTBOX_LEASE, NULL);
	g_assert_no_error(error);
	g_clear_pointer(&due1, g_ptr_array_unref);
	g_clear_pointer(&due2, g_ptr_array_unref);
	store_close(other);
}

/*
 * A bounce marks a notice failed after the relay's 250 but before the
 * runner commits: the runner's sent, retry and give-up are each
 * OUTBOX_MARK_LOST and the item stays failed with the bounce's reason
 * (3 verdicts checked); an item never claimed cannot be marked sent.
 */
static void
test_store_sent_keeps_failed(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t a = queue(f, "a@example.com");
	int64_t b = queue(f, "b@example.com");

	g_assert_cmpint(store_outbox_claim(f->store, a, f->now,
	    OUTBOX_LEASE, &error), ==, OUTBOX_CLAIMED);
	g_assert_cmpint(store_outbox_failed(f->store, a, "5.1.1 bounced",
	    &error), ==, 0);
	g_assert_cmpint(store_outbox_sent(f->store, a, f->now, &error), ==,
	    OUTBOX_MARK_LOST);
	check_item(f, a, "failed", 1, 0, "5.1.1 bounced");
	g_assert_cmpint(store_outbox_retry(f->store, a, f->now + 60,
	    "451 later", &error), ==, OUTBOX_MARK_LOST);
	check_item(f, a, "failed", 1, 0, "5.1.1 bounced");
	g_assert_cmpint(store_outbox_give_up(f->store, a, "550 no", &error),
	    ==, OUTBOX_MARK_LOST);
	check_item(f, a, "failed", 1, 0, "5.1.1 bounced");
	/* only "sending" moves to "sent" */
	g_assert_cmpint(store_outbox_sent(f->store, b, f->now, &error), ==,
	    OUTBOX_MARK_LOST);
	check_item(f, b, "queued", 0, 0, NULL);
	g_assert_no_error(error);
}

/*
 * Back-off and give up in the store: retry puts a claimed item back to
 * "queued" due at WHEN (not due one second before, due at WHEN), and
 * give-up fails a claimed item for good (not due 10^5 s later).
 */
static void
test_store_retry_give_up(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t a = queue(f, "a@example.com");
	GPtrArray *due;

	g_assert_cmpint(store_outbox_claim(f->store, a, f->now,
	    OUTBOX_LEASE, &error), ==, OUTBOX_CLAIMED);
	g_assert_cmpint(store_outbox_retry(f->store, a, f->now + 60,
	    "451 later", &error), ==, OUTBOX_MARKED);
	check_item(f, a, "queued", 1, f->now + 60, "451 later");
	due = store_outbox_due(f->store, f->now + 59, OUTBOX_LEASE, &error);
	g_assert_nonnull(due);
	if (due != NULL)
		g_assert_cmpuint(due->len, ==, 0);
	g_clear_pointer(&due, g_ptr_array_unref);
	due = store_outbox_due(f->store, f->now + 60, OUTBOX_LEASE, &error);
	g_assert_nonnull(due);
	if (due != NULL)
		g_assert_cmpuint(due->len, ==, 1);
	g_clear_pointer(&due, g_ptr_array_unref);
	/* give up only moves a claimed item */
	g_assert_cmpint(store_outbox_give_up(f->store, a, "550 no", &error),
	    ==, OUTBOX_MARK_LOST);
	check_item(f, a, "queued", 1, 0, NULL);
	g_assert_cmpint(store_outbox_claim(f->store, a, f->now + 60,
	    OUTBOX_LEASE, &error), ==, OUTBOX_CLAIMED);
	g_assert_cmpint(store_outbox_give_up(f->store, a, "550 no", &error),
	    ==, OUTBOX_MARKED);
	check_item(f, a, "failed", 2, 0, "550 no");
	due = store_outbox_due(f->store, f->now + 100000, OUTBOX_LEASE,
	    &error);
	g_assert_nonnull(due);
	if (due != NULL)
		g_assert_cmpuint(due->len, ==, 0);
	g_clear_pointer(&due, g_ptr_array_unref);
	g_assert_no_error(error);
}

/* ---- the runner: one bad notice never blocks the others ---- */

/*
 * A relay that accepts and never greets, timeout = 2: the run of 3 items
 * ends in under 30 s (libetpan's default would be 300 s; the peer itself
 * gives up after PEER_HANG_MAX = 40 s), all 3 are deferred (queued, one
 * attempt, the greeting named), none failed, and only one connection was
 * tried.
 */
static void
test_run_never_greets(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = { .greeting = "HANG" };
	struct outbox_report r;
	int64_t a, b, c;
	gint64 start;

	f->timeout = 2;
	fx_relay(f, &script);
	a = queue(f, "a@example.com");
	b = queue(f, "b@example.com");
	c = queue(f, "c@example.com");
	start = g_get_monotonic_time();
	run(f, f->now, &r);
	g_assert_cmpint(g_get_monotonic_time() - start, <,
	    30 * G_USEC_PER_SEC);
	check_report(&r, 0, 3, 0);
	check_item(f, a, "queued", 1, f->now + 60, "greeting");
	check_item(f, b, "queued", 1, f->now + 60, "greeting");
	check_item(f, c, "queued", 1, f->now + 60, "greeting");
	peer_stop(f->peer);
	g_assert_cmpint(f->peer->sessions, ==, 1);
}

/*
 * A 5xx to one notice's RCPT, to another's DATA command and to a third's
 * end of DATA, each with a notice queued behind it, 6 in one run and one
 * session: the 3 refused are failed (the code in last_error), the 3
 * behind them sent in the same run; the transaction was reset (RSET)
 * after each refusal (3), the peer read the text of 4 messages (the one
 * refused at its end of DATA included) and 5 DATA commands.
 */
static void
test_run_5xx_one_each(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.rules = {
			{ "perm", "550 5.1.1 no such user", NULL, NULL },
			{ "refused-data", NULL, NULL, "554 5.7.1 not from you" },
			{ "refused-dot", NULL, "554 5.6.0 bad content", NULL },
		},
	};
	static const char *const rcpt[] = { "perm@example.com",
	    "ok@example.com", "refused-data@example.com", "ok2@example.com",
	    "refused-dot@example.com", "ok3@example.com" };
	static const char *const why[] = { "550 5.1.1", NULL, "554 5.7.1",
	    NULL, "554 5.6.0", NULL };
	struct outbox_report r;
	int64_t id[G_N_ELEMENTS(rcpt)];
	char **lines;
	guint i;

	fx_relay(f, &script);
	for (i = 0; i < G_N_ELEMENTS(rcpt); i++)
		id[i] = queue(f, rcpt[i]);
	run(f, f->now, &r);
	check_report(&r, 3, 0, 3);
	for (i = 0; i < G_N_ELEMENTS(rcpt); i++)
		check_item(f, id[i], why[i] ? "failed" : "sent", 1, 0, why[i]);
	peer_stop(f->peer);
	g_assert_cmpint(f->peer->sessions, ==, 1);
	g_assert_cmpuint(f->peer->messages->len, ==, 4);
	lines = peer_lines(f->peer);
	g_assert_cmpint(peer_count_prefix(lines, "RSET"), ==, 3);
	g_assert_cmpint(peer_count_prefix(lines, "DATA"), ==, 5);
	g_assert_cmpint(peer_count_prefix(lines, "RCPT TO:<ok@example.com>"),
	    ==, 1);
	g_strfreev(lines);
}

/*
 * The relay closes the connection when it sees the first item's RCPT:
 * that item is deferred (not failed), the second item goes out over a
 * new session (2 sessions), in the same run.
 */
static void
test_run_closed_after_rcpt(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.rules = { { "drop", "CLOSE", NULL } },
	};
	struct outbox_report r;
	int64_t drop, ok;

	fx_relay(f, &script);
	drop = queue(f, "drop@example.com");
	ok = queue(f, "ok@example.com");
	run(f, f->now, &r);
	check_report(&r, 1, 1, 0);
	check_item(f, drop, "queued", 1, f->now + 60, "RCPT");
	check_item(f, ok, "sent", 1, 0, NULL);
	peer_stop(f->peer);
	g_assert_cmpint(f->peer->sessions, ==, 2);
	g_assert_cmpuint(f->peer->messages->len, ==, 1);
}

/*
 * 4 items with envelopes address_check refuses (a 500-character
 * recipient, a domain-less "root", "alice@a.example'", a sender with a
 * 65-character local part) and 1 good one: the 4 are failed at once in
 * the first run (attempt 1, last_error says which address and why), the
 * good one is sent, and the peer sees exactly 1 MAIL and 1 RCPT.
 */
static void
test_run_invalid_addresses(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = { 0 };
	struct outbox_report r;
	char *local = g_strnfill(488, 'x');
	char *long_rcpt = g_strconcat(local, "@example.com", NULL);
	char *local65 = g_strnfill(65, 's');
	char *long_from = g_strconcat(local65, "@desk.example", NULL);
	int64_t bad[4], ok;
	char **lines;
	int i;

	g_assert_cmpuint(strlen(long_rcpt), ==, 500);
	fx_relay(f, &script);
	bad[0] = queue(f, long_rcpt);
	bad[1] = queue(f, "root");
	ok = queue(f, "ok@example.com");
	bad[2] = queue(f, "alice@a.example'");
	bad[3] = queue_from(f, long_from, "kunde@example.com");
	run(f, f->now, &r);
	check_report(&r, 1, 0, 4);
	for (i = 0; i < 3; i++)
		check_item(f, bad[i], "failed", 1, 0,
		    "invalid recipient address");
	check_item(f, bad[3], "failed", 1, 0, "invalid sender address");
	check_item(f, ok, "sent", 1, 0, NULL);
	peer_stop(f->peer);
	lines = peer_lines(f->peer);
	g_assert_cmpint(peer_count_prefix(lines, "MAIL"), ==, 1);
	g_assert_cmpint(peer_count_prefix(lines, "RCPT"), ==, 1);
	g_assert_cmpint(peer_count_prefix(lines, "RCPT TO:<ok@example.com>"),
	    ==, 1);
	g_strfreev(lines);
	g_free(local);
	g_free(long_rcpt);
	g_free(local65);
	g_free(long_from);
}

/*
 * Only invalid items due: the run fails the 1 item without connecting
 * to the relay at all (0 sessions).
 */
static void
test_run_invalid_only(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = { 0 };
	struct outbox_report r;
	int64_t bad;

	fx_relay(f, &script);
	bad = queue(f, "root");
	run(f, f->now, &r);
	check_report(&r, 0, 0, 1);
	check_item(f, bad, "failed", 1, 0, "invalid recipient address");
	peer_stop(f->peer);
	g_assert_cmpint(f->peer->sessions, ==, 0);
}

struct bounce_hook {
	struct fx *fx;
	int64_t id;
};

/* What deskgate does when a bounce of the notice arrives. */
static void
bounce_now(gpointer data)
{
	struct bounce_hook *h = data;
	char *sql = g_strdup_printf("UPDATE outbox SET status = 'failed', "
	    "last_error = 'bounced meanwhile' WHERE id = %" G_GINT64_FORMAT,
	    (gint64)h->id);

	fx_sql(h->fx, sql);
	g_free(sql);
}

/*
 * The bounce of a notice is stored while the relay is still to answer
 * 250 to its DATA, before the runner commits "sent": the item stays
 * failed with the bounce's reason, and the run counts it as sent once.
 */
static void
test_run_bounce_before_commit(struct fx *f, gconstpointer data)
{
	struct bounce_hook hook = { .fx = f };
	struct peer_script script = { .on_message = bounce_now,
	    .hook_data = &hook };
	struct outbox_report r;

	fx_relay(f, &script);
	hook.id = queue(f, "a@example.com");
	run(f, f->now, &r);
	check_report(&r, 1, 0, 0);
	check_item(f, hook.id, "failed", 1, 0, "bounced meanwhile");
	peer_stop(f->peer);
	g_assert_cmpuint(f->peer->messages->len, ==, 1);
}

static void
test_next_delay(void)
{
	g_assert_cmpint(outbox_next_delay(1, 60, 3600), ==, 60);
	g_assert_cmpint(outbox_next_delay(2, 60, 3600), ==, 120);
	g_assert_cmpint(outbox_next_delay(3, 60, 3600), ==, 240);
	g_assert_cmpint(outbox_next_delay(6, 60, 3600), ==, 1920);
	g_assert_cmpint(outbox_next_delay(7, 60, 3600), ==, 3600);
	g_assert_cmpint(outbox_next_delay(8, 60, 3600), ==, 3600);
	g_assert_cmpint(outbox_next_delay(1000000, 60, 14400), ==, 14400);
	g_assert_cmpint(outbox_next_delay(0, 60, 3600), ==, 60);
	g_assert_cmpint(outbox_next_delay(1, 7200, 3600), ==, 3600);
	g_assert_cmpint(outbox_next_delay(40, 86400, 7 * 86400), ==,
	    7 * 86400);
}

#define ADD(path, fn) \
	g_test_add(path, struct fx, NULL, fx_setup, fn, fx_teardown)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	ADD("/outbox/store/claim-4", test_store_claim);
	ADD("/outbox/store/claim-race-6", test_store_claim_race);
	ADD("/outbox/store/sent-keeps-failed-3", test_store_sent_keeps_failed);
	ADD("/outbox/store/retry-give-up", test_store_retry_give_up);
	ADD("/outbox/run/sent", test_run_sent);
	ADD("/outbox/run/deferred", test_run_deferred);
	ADD("/outbox/run/failed", test_run_failed);
	ADD("/outbox/run/give-up", test_run_give_up);
	ADD("/outbox/run/mixed", test_run_mixed);
	ADD("/outbox/run/broken-connection", test_run_broken);
	ADD("/outbox/run/relay-down", test_run_relay_down);
	ADD("/outbox/run/relay-refuses", test_run_relay_refuses);
	ADD("/outbox/run/never-greets-3", test_run_never_greets);
	ADD("/outbox/run/5xx-rcpt-data-dot-3-of-6", test_run_5xx_one_each);
	ADD("/outbox/run/closed-after-rcpt", test_run_closed_after_rcpt);
	ADD("/outbox/run/invalid-addresses-4", test_run_invalid_addresses);
	ADD("/outbox/run/invalid-only-no-connection",
	    test_run_invalid_only);
	ADD("/outbox/run/bounce-before-commit",
	    test_run_bounce_before_commit);
	ADD("/outbox/run/busy", test_run_busy);
	ADD("/outbox/run/lease", test_run_lease);
	g_test_add_func("/outbox/next-delay", test_next_delay);
	return g_test_run();
}
