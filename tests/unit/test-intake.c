/*
 * test-intake.c - unit tests of intake_deliver() against a real temporary
 * store with the shipped rules (filters/) and templates (etc/templates),
 * each mail prepared as deskgate's main() prepares it: spooled, parsed,
 * classified, trimmed, its language and fingerprint taken, a bounce
 * scanned. Covers new requests, strangers, duplicates and redeliveries,
 * replies by token, the bounce token, robots, quarantine, loops, foreign
 * recipients, and the plan made again under the lock when another
 * delivery took the predicted ticket number meanwhile.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "bounce.h"
#include "classify.h"
#include "conf.h"
#include "intake.h"
#include "language.h"
#include "mime-message.h"
#include "quote.h"
#include "spool.h"
#include "store.h"
#include "test-util.h"
#include "token.h"

#define SECRET_HEX \
	"000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f"

#define DESK "support@desk.test"
#define ANN "ann@shop.example"		/* a license owner */
#define OLGA "olga@other.example"	/* a customer without license */

#define REQUEST "Hello,\n\nafter the upgrade the shopping cart does not " \
	"update the total\nwhen a customer changes the quantity of a " \
	"product. Could you please\nhave a look at it and tell us what " \
	"we should change?\n\nThank you,\nAnn\n"

struct fx {
	char *dir;
	char *store_path;
	struct store *store;
	struct desk_conf *conf;
	struct intake in;
	sqlite3 *db;		/* to look at what was written */
	int64_t ann, olga;
};

static void
fx_open(struct fx *f, const char *templates)
{
	GError *error = NULL;
	char *filters = test_srcdir_path("filters");
	char *tpl = templates ? g_strdup(templates) :
	    test_srcdir_path("etc/templates");
	char *text = g_strdup_printf("[desk]\nname = Test Help Desk\n"
	    "address = " DESK "\nsecret = " SECRET_HEX "\n"
	    "templates = %s\nfilters = %s\n"
	    "contact_url = https://vendor.example/contact\n"
	    "loop_repeats = 3\n[store]\npath = %s\n", tpl, filters,
	    f->store_path);

	f->conf = test_conf_load(f->dir, text);
	g_free(text);
	g_free(tpl);
	g_free(filters);
	f->in.conf = f->conf;
	f->in.store = f->store;
	g_assert_cmpint(intake_load_rules(&f->in, &error), ==, 0);
	g_assert_no_error(error);
}

static void
fx_setup(struct fx *f, gconstpointer data)
{
	GError *error = NULL;

	f->dir = test_tmpdir_new("test-intake-XXXXXX");
	f->store_path = g_build_filename(f->dir, "desk.db", NULL);
	f->store = test_store_new(f->store_path, 20000);
	f->db = test_sqlite_open(f->store_path);
	f->ann = store_customer_add(f->store, ANN, "Ann Lee", "en", false,
	    &error);
	g_assert_no_error(error);
	g_assert_cmpint(store_license_add(f->store, f->ann, "cs-cart",
	    "first", 10, &error), >, 0);
	g_assert_no_error(error);
	f->olga = store_customer_add(f->store, OLGA, "Olga", "en", false,
	    &error);
	g_assert_no_error(error);
	if (data == NULL)
		fx_open(f, NULL);
}

static void
fx_teardown(struct fx *f, gconstpointer data)
{
	intake_free_rules(&f->in);
	sqlite3_close(f->db);
	store_close(f->store);
	conf_free(f->conf);
	test_tmpdir_remove(f->dir, NULL);
	g_free(f->store_path);
	g_free(f->dir);
}

/* The integer SQL (printf-style) gives; -1 when there is no row. */
static G_GNUC_PRINTF(2, 3) int64_t
fx_int(struct fx *f, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	va_list ap;
	char *sql;

	va_start(ap, fmt);
	sql = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_assert_cmpint(sqlite3_prepare_v2(f->db, sql, -1, &st, NULL), ==,
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	g_free(sql);
	return v;
}

/* The text SQL gives, "" for NULL, NULL when no row. (transfer full) */
static G_GNUC_PRINTF(2, 3) char *
fx_text(struct fx *f, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL, *sql;
	va_list ap;

	va_start(ap, fmt);
	sql = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_assert_cmpint(sqlite3_prepare_v2(f->db, sql, -1, &st, NULL), ==,
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = g_strdup(sqlite3_column_text(st, 0) ?
		    (const char *)sqlite3_column_text(st, 0) : "");
	sqlite3_finalize(st);
	g_free(sql);
	return v;
}

/* A mail as a sender writes it. (transfer full) */
static char *
mail_new(const char *from, const char *to, const char *subject,
    const char *msgid, const char *headers, const char *body)
{
	return g_strdup_printf("%sFrom: %s\nTo: %s\nSubject: %s\n"
	    "Date: Thu, 26 Nov 2026 10:00:00 +0000\nMessage-ID: <%s>\n"
	    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s",
	    headers ? headers : "", from, to, subject, msgid, body);
}

/*
 * Deliver TEXT from envelope SENDER to RCPT as deskgate's main() does;
 * RES filled (the caller clears it). Returns its action.
 */
static enum intake_action
fx_deliver(struct fx *f, const char *sender, const char *rcpt,
    const char *text, struct intake_result *res)
{
	GError *error = NULL;
	char *path = g_build_filename(f->dir, "mail.eml", NULL);
	struct classification class = { 0 };
	struct bounce_info bounce = { 0 };
	bool scanned = false;
	struct spool *spool;
	struct mail *mail;
	char *reply_text, *fingerprint;
	const char *language;
	int fd;

	test_write_file(path, text, -1);
	fd = open(path, O_RDONLY);
	g_assert_cmpint(fd, >=, 0);
	spool = spool_read(fd, f->conf->max_message_size, f->dir, &error);
	g_assert_no_error(error);
	g_assert_nonnull(spool);
	g_assert_cmpint(close(fd), ==, 0);
	g_assert_cmpint(g_unlink(path), ==, 0);
	g_free(path);
	mail = mail_parse(spool->fd, f->dir, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(mail);
	classify_mail(f->in.robots, mail, sender, &class);
	reply_text = quote_reply_text(f->in.quotes, mail, f->in.conf->address);
	language = mail->malformed ? "unknown" :
	    language_detect(f->in.languages, reply_text);
	if (class.class == MAIL_CLASS_BOUNCE) {
		g_assert_cmpint(bounce_scan(spool->fd, spool->size,
		    f->conf->domain, &class.bounce, &bounce, &error), ==, 0);
		g_assert_no_error(error);
		scanned = true;
	}
	{
		struct intake_mail m = { sender, "", spool, mail, &class,
		    reply_text, language, NULL, NULL };

		fingerprint = intake_fingerprint(&m);
	}
	{
		struct intake_mail m = { sender, rcpt, spool, mail, &class,
		    reply_text, language, scanned ? &bounce : NULL,
		    fingerprint };

		int rc = intake_deliver(&f->in, &m, res, &error);

		g_assert_no_error(error);
		g_assert_cmpint(rc, ==, 0);
	}
	g_test_message("%s -> %s: %s ticket %" G_GINT64_FORMAT " notices %d "
	    "class %s lang %s (%s)", sender, rcpt,
	    intake_action_name(res->action), (gint64)res->ticket, res->notices,
	    mail_class_name(class.class), language,
	    res->detail ? res->detail : "");
	if (scanned)
		bounce_info_clear(&bounce);
	classification_clear(&class);
	g_free(fingerprint);
	g_free(reply_text);
	mail_free(mail);
	spool_free(spool);
	return res->action;
}

/* Deliver and clear the result: only the action matters. */
static enum intake_action
fx_send(struct fx *f, const char *sender, const char *rcpt,
    const char *text)
{
	struct intake_result res;
	enum intake_action a = fx_deliver(f, sender, rcpt, text, &res);

	intake_result_clear(&res);
	return a;
}

/* Ann's first request: ticket 1 and its acknowledgment. */
static int64_t
fx_first_ticket(struct fx *f)
{
	char *text = mail_new("Ann Lee <" ANN ">", DESK, "Cart total",
	    "req1@shop.example", NULL, REQUEST);

	g_assert_cmpint(fx_send(f, ANN, DESK, text), ==, INTAKE_CREATED);
	g_free(text);
	return fx_int(f, "SELECT max(id) FROM tickets");
}

static void
test_new_request(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	struct intake_result res;
	int64_t predicted = store_ticket_next_id(f->store, &error);
	char *text = mail_new("Ann Lee <" ANN ">", DESK, "Cart total",
	    "req1@shop.example", NULL, REQUEST), *s, *want;

	g_assert_no_error(error);
	g_assert_cmpint(predicted, ==, 1);
	g_assert_cmpint(fx_deliver(f, ANN, DESK, text, &res), ==,
	    INTAKE_CREATED);
	g_assert_cmpint(res.ticket, ==, predicted);
	g_assert_cmpint(res.notices, ==, 1);
	intake_result_clear(&res);
	g_free(text);

	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM tickets"), ==, 1);
	g_assert_cmpint(fx_int(f, "SELECT customer_id FROM tickets WHERE "
	    "id = 1"), ==, f->ann);
	s = fx_text(f, "SELECT author || ' ' || coalesce(ticket_id, 0) || ' "
	    "' || class FROM messages WHERE direction = 'in'");
	g_assert_cmpstr(s, ==, "customer 1 human");
	g_free(s);
	/* one acknowledgment, to the From address, naming ticket 1 */
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM outbox"), ==, 1);
	s = fx_text(f, "SELECT kind || ' ' || rcpt || ' ' || ticket_id "
	    "FROM outbox");
	g_assert_cmpstr(s, ==, "ack " ANN " 1");
	g_free(s);
	s = fx_text(f, "SELECT subject FROM outbox");
	test_check_contains(s, "[#1]");
	g_free(s);
	s = fx_text(f, "SELECT text FROM outbox");
	test_check_contains(s, "ticket #1");
	test_check_contains(s, "Ann Lee");
	g_free(s);
	want = token_address(f->conf->secret, "support", "desk.test", 1,
	    TOKEN_ROLE_CUSTOMER);
	s = fx_text(f, "SELECT reply_to FROM outbox");
	g_assert_cmpstr(s, ==, want);
	g_free(s);
	g_free(want);
	/* its envelope is the ticket's VERP address */
	want = token_address(f->conf->secret, "support", "desk.test", 1,
	    TOKEN_ROLE_BOUNCE);
	s = fx_text(f, "SELECT env_from FROM outbox");
	g_assert_cmpstr(s, ==, want);
	g_free(s);
	g_free(want);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM audit WHERE action "
	    "= 'ticket-opened' AND ticket_id = 1"), ==, 1);
}

static void
test_stranger(struct fx *f, gconstpointer data)
{
	struct intake_result res;
	char *text = mail_new("Eve <eve@evil.example>", DESK, "Prices?",
	    "s1@evil.example", NULL, REQUEST), *s;

	g_assert_cmpint(fx_deliver(f, "eve@evil.example", DESK, text, &res),
	    ==, INTAKE_STRANGER);
	g_assert_cmpint(res.ticket, ==, 0);
	g_assert_cmpint(res.notices, ==, 1);
	intake_result_clear(&res);
	g_free(text);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM tickets"), ==, 0);
	s = fx_text(f, "SELECT author || ' ' || coalesce(ticket_id, 0) "
	    "FROM messages");
	g_assert_cmpstr(s, ==, "stranger 0");
	g_free(s);
	s = fx_text(f, "SELECT kind || ' ' || rcpt FROM outbox");
	g_assert_cmpstr(s, ==, "stranger eve@evil.example");
	g_free(s);
	s = fx_text(f, "SELECT text FROM outbox");
	test_check_lacks(s, "Your address is known to us");
	g_free(s);

	/* RFC 3834: the notice goes to the envelope sender, not the From */
	text = mail_new("bob@shop2.example", DESK, "Prices?",
	    "s2@shop2.example", NULL, REQUEST);
	g_assert_cmpint(fx_deliver(f, "bounces@mail.shop2.example", DESK, text,
	    &res), ==, INTAKE_STRANGER);
	g_assert_cmpint(res.notices, ==, 1);
	intake_result_clear(&res);
	g_free(text);
	s = fx_text(f, "SELECT rcpt FROM outbox ORDER BY id DESC LIMIT 1");
	g_assert_cmpstr(s, ==, "bounces@mail.shop2.example");
	g_free(s);

	/* ... and nowhere when the two are of different organisations */
	text = mail_new("carl@shop3.example", DESK, "Prices?",
	    "s3@shop3.example", NULL, REQUEST);
	g_assert_cmpint(fx_deliver(f, "spam@elsewhere.example", DESK, text,
	    &res), ==, INTAKE_STRANGER);
	g_assert_cmpint(res.notices, ==, 0);
	intake_result_clear(&res);
	g_free(text);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM audit WHERE action "
	    "= 'notice-refused' AND detail LIKE '%%spam@elsewhere.example%%'"),
	    ==, 1);

	/* a stranger's second mail within the hours gets no second notice */
	text = mail_new("Eve <eve@evil.example>", DESK, "Prices again",
	    "s4@evil.example", NULL, "Hello?\n");
	g_assert_cmpint(fx_deliver(f, "eve@evil.example", DESK, text, &res),
	    ==, INTAKE_STRANGER);
	g_assert_cmpint(res.notices, ==, 0);
	intake_result_clear(&res);
	g_free(text);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM outbox"), ==, 2);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM messages"), ==, 4);
}

static void
test_no_license(struct fx *f, gconstpointer data)
{
	struct intake_result res;
	char *text = mail_new("Olga <" OLGA ">", DESK, "Help",
	    "o1@other.example", NULL, REQUEST), *s;

	g_assert_cmpint(fx_deliver(f, OLGA, DESK, text, &res), ==,
	    INTAKE_STRANGER);
	g_assert_cmpint(res.ticket, ==, 0);
	g_assert_cmpint(res.notices, ==, 1);
	intake_result_clear(&res);
	g_free(text);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM tickets"), ==, 0);
	s = fx_text(f, "SELECT kind || ' ' || rcpt FROM outbox");
	g_assert_cmpstr(s, ==, "stranger " OLGA);
	g_free(s);
	/* the notice knows she is a customer (known_customer) */
	s = fx_text(f, "SELECT text FROM outbox");
	test_check_contains(s, "Your address is known to us");
	g_free(s);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM messages WHERE "
	    "author = 'stranger' AND ticket_id IS NULL"), ==, 1);
}

static void
test_duplicates(struct fx *f, gconstpointer data)
{
	struct intake_result res;
	char *text = mail_new("Ann Lee <" ANN ">", DESK, "Cart total",
	    "dup@shop.example", NULL, REQUEST), *again, *flags;

	g_assert_cmpint(fx_send(f, ANN, DESK, text), ==, INTAKE_CREATED);

	/* the same delivery again: nothing new */
	g_assert_cmpint(fx_deliver(f, ANN, DESK, text, &res), ==,
	    INTAKE_DUPLICATE);
	g_assert_cmpint(res.notices, ==, 0);
	intake_result_clear(&res);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM messages WHERE "
	    "direction = 'in'"), ==, 1);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM tickets"), ==, 1);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM outbox"), ==, 1);

	/* ... with one more relay's Received: line: still the same */
	again = g_strdup_printf("Received: from mx2.shop.example by "
	    "mx.desk.test; Thu, 26 Nov 2026 10:05:00 +0000\n"
	    "X-Spam-Score: 0.1\n%s", text);
	g_assert_cmpint(fx_send(f, ANN, DESK, again), ==, INTAKE_DUPLICATE);
	g_free(again);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM messages WHERE "
	    "direction = 'in'"), ==, 1);

	/* ... from another envelope: a message of its own, flagged */
	g_assert_cmpint(fx_deliver(f, "eve@evil.example", DESK, text, &res),
	    !=, INTAKE_DUPLICATE);
	intake_result_clear(&res);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM messages WHERE "
	    "direction = 'in'"), ==, 2);
	flags = fx_text(f, "SELECT flags FROM messages WHERE direction = "
	    "'in' AND envelope_from = 'eve@evil.example'");
	test_check_contains(flags, "shared-message-id");
	g_free(flags);
	flags = fx_text(f, "SELECT flags FROM messages WHERE direction = "
	    "'in' AND envelope_from = '" ANN "'");
	test_check_lacks(flags, "shared-message-id");
	g_free(flags);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM audit WHERE action "
	    "= 'shared-message-id'"), ==, 1);

	/* ... and with another header (not a trace field): its own too */
	again = g_strdup_printf("X-Mailer: Other 1.0\n%s", text);
	g_assert_cmpint(fx_send(f, ANN, DESK, again), !=, INTAKE_DUPLICATE);
	g_free(again);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM messages WHERE "
	    "direction = 'in'"), ==, 3);
	g_free(text);
}

static void
test_reply_by_token(struct fx *f, gconstpointer data)
{
	struct intake_result res;
	int64_t t = fx_first_ticket(f);
	char *reply_to = fx_text(f, "SELECT reply_to FROM outbox WHERE "
	    "ticket_id = %" G_GINT64_FORMAT, (gint64)t);
	char *text = mail_new("Ann Lee <" ANN ">", reply_to, "Re: something",
	    "r1@shop.example", NULL, "Here is the log you asked for.\n"), *s;

	g_assert_cmpint(fx_deliver(f, ANN, reply_to, text, &res), ==,
	    INTAKE_UPDATED);
	g_assert_cmpint(res.ticket, ==, t);
	g_assert_cmpint(res.notices, ==, 0);
	intake_result_clear(&res);
	g_free(text);
	s = fx_text(f, "SELECT author || ' ' || ticket_id FROM messages "
	    "WHERE message_id = 'r1@shop.example'");
	g_assert_cmpstr(s, ==, "customer 1");
	g_free(s);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM tickets"), ==, 1);

	/* a stranger's mail to the same token is filed, as "other" */
	text = mail_new("eve@evil.example", reply_to, "Re: something",
	    "r2@evil.example", NULL, "Me too.\n");
	g_assert_cmpint(fx_deliver(f, "eve@evil.example", reply_to, text,
	    &res), ==, INTAKE_UPDATED);
	intake_result_clear(&res);
	g_free(text);
	s = fx_text(f, "SELECT author FROM messages WHERE message_id = "
	    "'r2@evil.example'");
	g_assert_cmpstr(s, ==, "other");
	g_free(s);
	g_free(reply_to);
}

static void
test_reply_to_bounce_token(struct fx *f, gconstpointer data)
{
	struct intake_result res;
	int64_t t = fx_first_ticket(f);
	char *verp = fx_text(f, "SELECT env_from FROM outbox WHERE "
	    "ticket_id = %" G_GINT64_FORMAT, (gint64)t);
	char *text = mail_new("Ann Lee <" ANN ">", verp, "Re: [#1] Cart total",
	    "b1@shop.example", NULL, "A person writing to the VERP "
	    "address.\n");

	g_assert_cmpint(fx_deliver(f, ANN, verp, text, &res), !=,
	    INTAKE_UPDATED);
	g_assert_cmpint(res.ticket, !=, t);
	intake_result_clear(&res);
	g_free(text);
	g_assert_cmpint(fx_int(f, "SELECT coalesce(ticket_id, 0) FROM "
	    "messages WHERE message_id = 'b1@shop.example'"), !=, t);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM audit WHERE action "
	    "= 'bad-reply-address' AND detail LIKE '%%bounce address%%'"), ==,
	    1);

	/* an auto-reply to it is a robot's and is filed in its ticket */
	text = mail_new(ANN, verp, "Out of office", "b2@shop.example",
	    "Auto-Submitted: auto-replied\n", "I am away.\n");
	g_assert_cmpint(fx_deliver(f, "", verp, text, &res), ==,
	    INTAKE_ROBOT);
	g_assert_cmpint(res.ticket, ==, t);
	intake_result_clear(&res);
	g_free(text);
	g_free(verp);
}

static void
test_robot(struct fx *f, gconstpointer data)
{
	struct intake_result res;
	char *text = mail_new(ANN, DESK, "Automatic reply: Cart total",
	    "a1@shop.example", "Auto-Submitted: auto-replied\n",
	    "I am out of the office until Monday.\n"), *s;

	g_assert_cmpint(fx_deliver(f, ANN, DESK, text, &res), ==,
	    INTAKE_ROBOT);
	g_assert_cmpint(res.ticket, ==, 0);
	g_assert_cmpint(res.notices, ==, 0);
	intake_result_clear(&res);
	g_free(text);
	s = fx_text(f, "SELECT author || ' ' || class || ' ' || flags FROM "
	    "messages WHERE message_id = 'a1@shop.example'");
	g_assert_cmpstr(s, ==, "robot autoreply suppressed");
	g_free(s);

	/* a stranger's robot is not hidden from anyone: not "suppressed" */
	text = mail_new("eve@evil.example", DESK, "Automatic reply",
	    "a2@evil.example", "Auto-Submitted: auto-replied\n",
	    "I am out of the office until Monday.\n");
	g_assert_cmpint(fx_send(f, "eve@evil.example", DESK, text), ==,
	    INTAKE_ROBOT);
	g_free(text);
	s = fx_text(f, "SELECT flags FROM messages WHERE message_id = "
	    "'a2@evil.example'");
	test_check_lacks(s, "suppressed");
	g_free(s);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM outbox"), ==, 0);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM tickets"), ==, 0);
}

static void
test_quarantine(struct fx *f, gconstpointer data)
{
	struct intake_result res;
	char *s;

	/* no From: and no Date: */
	g_assert_cmpint(fx_deliver(f, ANN, DESK, "Subject: x\n\nbody\n",
	    &res), ==, INTAKE_QUARANTINED);
	g_assert_cmpint(res.ticket, ==, 0);
	g_assert_cmpint(res.notices, ==, 0);
	intake_result_clear(&res);
	s = fx_text(f, "SELECT author || ' ' || flags FROM messages");
	g_assert_cmpstr(s, ==, "unknown malformed");
	g_free(s);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM audit WHERE action "
	    "= 'quarantined'"), ==, 1);
	g_assert_cmpint(fx_int(f, "SELECT length(raw) FROM message_raw"), ==,
	    (int64_t)strlen("Subject: x\n\nbody\n"));
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM outbox"), ==, 0);
}

static void
test_loop(struct fx *f, gconstpointer data)
{
	struct intake_result res;
	int i;
	char *s;

	/* loop_repeats = 3: the third time the same text is a loop */
	for (i = 1; i <= 4; i++) {
		char *id = g_strdup_printf("loop%d@shop.example", i);
		char *subject = g_strdup_printf("Order %d received", i);
		char *text = mail_new(ANN, DESK, subject, id, NULL,
		    "Your order 123 has been received.\n");

		g_assert_cmpint(fx_deliver(f, ANN, DESK, text, &res), ==,
		    i < 3 ? INTAKE_CREATED : INTAKE_ROBOT);
		g_assert_cmpint(res.notices, ==, i < 3 ? 1 : 0);
		intake_result_clear(&res);
		g_free(text);
		g_free(subject);
		g_free(id);
	}
	s = fx_text(f, "SELECT group_concat(class || '/' || flags, ' ') FROM "
	    "(SELECT class, flags FROM messages WHERE direction = 'in' "
	    "ORDER BY id)");
	g_assert_cmpstr(s, ==, "human/ human/ loop/suspected-loop,suppressed "
	    "loop/suspected-loop,suppressed");
	g_free(s);
	/* audited once, when the limit is reached */
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM audit WHERE action "
	    "= 'loop'"), ==, 1);

	/* another text from the same sender is no loop */
	s = mail_new(ANN, DESK, "Another question", "loop5@shop.example",
	    NULL, REQUEST);
	g_assert_cmpint(fx_send(f, ANN, DESK, s), ==, INTAKE_CREATED);
	g_free(s);
}

static void
test_nouser(struct fx *f, gconstpointer data)
{
	struct intake_result res;
	char *text = mail_new(ANN, "sales@desk.test", "Hello",
	    "n1@shop.example", NULL, REQUEST);

	g_assert_cmpint(fx_deliver(f, ANN, "sales@desk.test", text, &res), ==,
	    INTAKE_NOUSER);
	g_assert_nonnull(res.dsn);
	g_assert_true(g_str_has_prefix(res.dsn, "5.1.1 "));
	test_check_contains(res.dsn, "sales@desk.test");
	intake_result_clear(&res);
	g_assert_cmpint(fx_send(f, ANN, "support@elsewhere.example", text), ==,
	    INTAKE_NOUSER);
	g_free(text);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM messages"), ==, 0);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM audit"), ==, 0);
}

/* Two requests one after the other: each ack names its own ticket. */
static void
test_two_requests(struct fx *f, gconstpointer data)
{
	struct intake_result res;
	char *a = mail_new(ANN, DESK, "First", "t1@shop.example", NULL,
	    REQUEST);
	char *b = mail_new(ANN, DESK, "Second", "t2@shop.example", NULL,
	    "A second question: the product page shows the wrong price\n"
	    "for the customers of the wholesale group. What is wrong?\n");
	char *s;

	g_assert_cmpint(fx_deliver(f, ANN, DESK, a, &res), ==,
	    INTAKE_CREATED);
	g_assert_cmpint(res.ticket, ==, 1);
	intake_result_clear(&res);
	g_assert_cmpint(fx_deliver(f, ANN, DESK, b, &res), ==,
	    INTAKE_CREATED);
	g_assert_cmpint(res.ticket, ==, 2);
	intake_result_clear(&res);
	s = fx_text(f, "SELECT subject FROM outbox WHERE ticket_id = 2");
	test_check_contains(s, "[#2] Second");
	g_free(s);
	s = fx_text(f, "SELECT text FROM outbox WHERE ticket_id = 2");
	test_check_contains(s, "ticket #2");
	test_check_lacks(s, "#1");
	g_free(s);
	g_assert_cmpint(fx_int(f, "SELECT subject = 'Second' FROM tickets "
	    "WHERE id = 2"), ==, 1);
	g_free(a);
	g_free(b);
}

/*
 * The plan made before the lock predicts ticket 1; another connection
 * takes ticket 1 before our BEGIN IMMEDIATE. The ack template is a FIFO
 * served by a thread: the first read (building the notices of the plan
 * made before the lock) proves that plan is made, and only then does the
 * other connection commit its ticket. The plan made under the lock then
 * differs and the notices must be built again, so the template is read a
 * second time, and the ack names ticket 2.
 */
struct feeder {
	const char *fifo;
	const char *content;
	struct store *other;	/* holds an uncommitted ticket */
	int served;
	bool committed;
	gint delivered;		/* set when the delivery returned */
};

static gpointer
feeder_run(gpointer data)
{
	struct feeder *fd = data;
	int i;

	for (i = 0; i < 2; i++) {
		int out;
		size_t len = strlen(fd->content), done = 0;

		/*
		 * Until the reader opens the FIFO, or the delivery is over
		 * without a read more: no deadline, so a slow machine (valgrind,
		 * a busy CI) neither fails the test nor leaves the reader
		 * waiting for a writer that gave up.
		 */
		while ((out = open(fd->fifo, O_WRONLY | O_NONBLOCK)) < 0 &&
		    errno == ENXIO && !g_atomic_int_get(&fd->delivered))
			g_usleep(1000);
		if (out < 0)
			break;
		/* a blocking write for the rest */
		if (fcntl(out, F_SETFL, 0) < 0) {
			close(out);
			break;
		}
		while (done < len) {
			ssize_t n = write(out, fd->content + done, len - done);

			if (n <= 0)
				break;
			done += (size_t)n;
		}
		close(out);
		fd->served++;
		if (i == 0)
			fd->committed = store_commit(fd->other, NULL) == 0;
	}
	return NULL;
}

static void
test_replan_under_lock(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	char *tpl = g_build_filename(f->dir, "tpl", NULL);
	char *en = g_build_filename(tpl, "en", NULL);
	char *fifo = g_build_filename(en, "ack.txt", NULL);
	char *src = test_srcdir_path("etc/templates/en/ack.txt");
	char *content = NULL, *text, *s, *want;
	struct feeder fd = { 0 };
	struct intake_result res;
	GThread *thread;

	g_assert_true(g_file_get_contents(src, &content, NULL, NULL));
	g_assert_cmpint(g_mkdir_with_parents(en, 0700), ==, 0);
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	fx_open(f, tpl);

	/* another delivery holds the write lock with ticket 1 taken */
	fd.other = store_open(f->store_path, 2000, false, &error);
	g_assert_no_error(error);
	g_assert_cmpint(store_begin(fd.other, &error), ==, 0);
	g_assert_cmpint(store_ticket_add(fd.other, f->olga, "theirs", "new",
	    false, "en", "", &error), ==, 1);
	g_assert_no_error(error);
	fd.fifo = fifo;
	fd.content = content;
	thread = g_thread_new("feeder", feeder_run, &fd);

	text = mail_new(ANN, DESK, "Cart total", "race@shop.example", NULL,
	    REQUEST);
	g_assert_cmpint(fx_deliver(f, ANN, DESK, text, &res), ==,
	    INTAKE_CREATED);
	g_atomic_int_set(&fd.delivered, 1);
	g_thread_join(thread);
	g_assert_true(fd.committed);
	/* the notices were built twice: the plan was made again */
	g_assert_cmpint(fd.served, ==, 2);
	g_assert_cmpint(res.ticket, ==, 2);
	intake_result_clear(&res);
	g_free(text);

	g_assert_cmpint(fx_int(f, "SELECT customer_id FROM tickets WHERE "
	    "id = 1"), ==, f->olga);
	g_assert_cmpint(fx_int(f, "SELECT customer_id FROM tickets WHERE "
	    "id = 2"), ==, f->ann);
	s = fx_text(f, "SELECT ticket_id || ' ' || subject FROM outbox");
	g_assert_cmpstr(s, ==, "2 [#2] Cart total");
	g_free(s);
	s = fx_text(f, "SELECT text FROM outbox");
	test_check_contains(s, "ticket #2");
	test_check_lacks(s, "#1");
	g_free(s);
	want = token_address(f->conf->secret, "support", "desk.test", 2,
	    TOKEN_ROLE_CUSTOMER);
	s = fx_text(f, "SELECT reply_to FROM outbox");
	g_assert_cmpstr(s, ==, want);
	g_free(s);
	g_free(want);
	g_assert_cmpint(fx_int(f, "SELECT ticket_id FROM messages WHERE "
	    "message_id = 'race@shop.example'"), ==, 2);

	store_close(fd.other);
	g_unlink(fifo);
	g_rmdir(en);
	g_rmdir(tpl);
	g_free(content);
	g_free(src);
	g_free(fifo);
	g_free(en);
	g_free(tpl);
}

/*
 * Group commit (deskgate-lmtpd): deliveries inside a batch are
 * savepoints; a duplicate rolls back its own and the batch goes on;
 * nothing is seen by another connection before the batch's COMMIT, and
 * a batch rolled back leaves nothing.
 */
static void
test_batch(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	char *a = mail_new("Ann Lee <" ANN ">", DESK, "Cart total",
	    "batch-a@shop.example", NULL, REQUEST);
	char *b = mail_new("Ann Lee <" ANN ">", DESK, "Shipping rates",
	    "batch-b@shop.example", NULL, "Hello,\n\nthe shipping rates "
	    "are wrong for Canada since yesterday.\n\nAnn\n");
	char *c = mail_new("Ann Lee <" ANN ">", DESK, "Taxes",
	    "batch-c@shop.example", NULL, "Hello,\n\nthe taxes are not "
	    "added to the order total.\n\nAnn\n");

	(void)data;
	g_assert_cmpint(store_batch_begin(f->store, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(fx_send(f, ANN, DESK, a), ==, INTAKE_CREATED);
	g_assert_cmpint(fx_send(f, ANN, DESK, a), ==, INTAKE_DUPLICATE);
	g_assert_false(store_batch_is_broken(f->store));
	g_assert_cmpint(fx_send(f, ANN, DESK, b), !=, INTAKE_DUPLICATE);
	/* another connection sees nothing yet */
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM messages WHERE "
	    "direction = 'in'"), ==, 0);
	g_assert_cmpint(store_batch_commit(f->store, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM messages WHERE "
	    "direction = 'in'"), ==, 2);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM messages WHERE "
	    "message_id = 'batch-a@shop.example'"), ==, 1);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM outbox"), >=, 2);

	/* a batch rolled back: C is not stored, and is new afterwards */
	g_assert_cmpint(store_batch_begin(f->store, &error), ==, 0);
	g_assert_cmpint(fx_send(f, ANN, DESK, c), !=, INTAKE_DUPLICATE);
	store_batch_rollback(f->store);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM messages WHERE "
	    "message_id = 'batch-c@shop.example'"), ==, 0);
	g_assert_cmpint(fx_send(f, ANN, DESK, c), !=, INTAKE_DUPLICATE);
	g_assert_cmpint(fx_int(f, "SELECT count(*) FROM messages WHERE "
	    "message_id = 'batch-c@shop.example'"), ==, 1);
	g_free(a);
	g_free(b);
	g_free(c);
}

#define ADD(path, fn) \
	g_test_add(path, struct fx, NULL, fx_setup, fn, fx_teardown)

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	mail_init();
	ADD("/intake/new-request", test_new_request);
	ADD("/intake/stranger", test_stranger);
	ADD("/intake/no-license", test_no_license);
	ADD("/intake/duplicates", test_duplicates);
	ADD("/intake/reply-by-token", test_reply_by_token);
	ADD("/intake/reply-to-bounce-token", test_reply_to_bounce_token);
	ADD("/intake/robot", test_robot);
	ADD("/intake/quarantine", test_quarantine);
	ADD("/intake/loop", test_loop);
	ADD("/intake/nouser", test_nouser);
	ADD("/intake/two-requests", test_two_requests);
	ADD("/intake/batch", test_batch);
	g_test_add("/intake/replan-under-lock", struct fx, "", fx_setup,
	    test_replan_under_lock, fx_teardown);
	rc = g_test_run();
	mail_shutdown();
	return rc;
}
