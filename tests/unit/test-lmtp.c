/*
 * test-lmtp.c - unit tests of lmtp.c, the LMTP protocol without a
 * socket: replies in order for pipelined commands, one reply per
 * recipient after DATA, dot-unstuffing and CRLF to LF into the spool,
 * input split at any byte, the line and size limits, the order of
 * commands, parameters, shutdown and time-out, and the mapping of the
 * pipe's exit statuses to replies.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "exitcode.h"
#include "lmtp.h"
#include "test-util.h"

/* What the deliver callback saw. */
struct seen {
	int calls;
	char *sender;
	GPtrArray *rcpts;
	GString *message;	/* the spool's bytes */
	bool too_big;
	const char *reply;	/* NULL: "250 2.0.0 <rcpt> ok" */
	bool later;		/* answer through lmtp_session_complete */
	char **later_replies;	/* the array to hand back */
};

static bool
fake_deliver(void *ctx, struct lmtp_session *s, const char *sender,
    char *const *rcpts, unsigned n_rcpt, struct spool *spool,
    char **replies)
{
	struct seen *seen = ctx;
	char buf[4096];
	ssize_t n;
	unsigned i;

	seen->calls++;
	g_free(seen->sender);
	seen->sender = g_strdup(sender);
	g_ptr_array_set_size(seen->rcpts, 0);
	g_string_truncate(seen->message, 0);
	seen->too_big = spool->too_big;
	g_assert_cmpint(lseek(spool->fd, 0, SEEK_CUR), ==, 0);
	while ((n = read(spool->fd, buf, sizeof(buf))) > 0)
		g_string_append_len(seen->message, buf, n);
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpint((gint64)seen->message->len, ==, spool->size);
	for (i = 0; i < n_rcpt; i++) {
		g_ptr_array_add(seen->rcpts, g_strdup(rcpts[i]));
		if (seen->later)
			continue;
		replies[i] = seen->reply ? g_strdup(seen->reply) :
		    g_strdup_printf("250 2.0.0 <%s> ok", rcpts[i]);
	}
	(void)s;
	if (seen->later)
		seen->later_replies = replies;
	return !seen->later;
}

struct fixture {
	struct seen seen;
	struct lmtp_session *s;
};

static void
fixture_setup(struct fixture *f, gconstpointer data)
{
	struct lmtp_params params = { "lmtp.test", 4096, NULL };

	(void)data;
	memset(f, 0, sizeof(*f));
	f->seen.rcpts = g_ptr_array_new_with_free_func(g_free);
	f->seen.message = g_string_new(NULL);
	f->s = lmtp_session_new(&params, fake_deliver, &f->seen);
}

static void
fixture_teardown(struct fixture *f, gconstpointer data)
{
	(void)data;
	lmtp_session_free(f->s);
	g_free(f->seen.sender);
	g_ptr_array_free(f->seen.rcpts, TRUE);
	g_string_free(f->seen.message, TRUE);
}

/* Feed TEXT (a C string); return the replies since the last call. */
static char *
feed(struct fixture *f, const char *text)
{
	GString *out = lmtp_session_output(f->s);
	char *got;

	lmtp_session_input(f->s, text, strlen(text));
	got = g_strdup(out->str);
	g_string_truncate(out, 0);
	return got;
}

static void
check_feed(struct fixture *f, const char *text, const char *want)
{
	char *got = feed(f, text);

	g_assert_cmpstr(got, ==, want);
	g_free(got);
}

#define LHLO_REPLY "250-lmtp.test\r\n250-PIPELINING\r\n250-SIZE 4096\r\n" \
	"250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"

static const char pipelined[] =
    "LHLO client.test\r\n"
    "MAIL FROM:<bob@customer.example> SIZE=120 BODY=8BITMIME\r\n"
    "RCPT TO:<support@desk.test>\r\n"
    "RCPT TO:<nobody@desk.test>\r\n"
    "DATA\r\n"
    "Subject: dots\r\n"
    "\r\n"
    "..leading dot\r\n"
    ".\r\n"
    "QUIT\r\n";

static const char pipelined_reply[] =
    LHLO_REPLY
    "250 2.1.0 sender ok\r\n"
    "250 2.1.5 recipient ok\r\n"
    "250 2.1.5 recipient ok\r\n"
    "354 2.0.0 go ahead, end with <CRLF>.<CRLF>\r\n"
    "250 2.0.0 <support@desk.test> ok\r\n"
    "250 2.0.0 <nobody@desk.test> ok\r\n"
    "221 2.0.0 lmtp.test closing connection\r\n";

static void
test_greeting(struct fixture *f, gconstpointer data)
{
	GString *out = lmtp_session_output(f->s);

	(void)data;
	lmtp_session_greet(f->s);
	g_assert_cmpstr(out->str, ==, "220 lmtp.test LMTP deskgate-lmtpd "
	    "ready\r\n");
	g_string_truncate(out, 0);
	check_feed(f, "LHLO client.test\r\n", LHLO_REPLY);
	check_feed(f, "LHLO\r\n", "501 5.5.4 LHLO needs a domain\r\n");
	g_assert_false(lmtp_session_is_done(f->s));
}

/* The whole transaction in one write: the replies in order. */
static void
test_pipelined(struct fixture *f, gconstpointer data)
{
	(void)data;
	check_feed(f, pipelined, pipelined_reply);
	g_assert_cmpint(f->seen.calls, ==, 1);
	g_assert_cmpstr(f->seen.sender, ==, "bob@customer.example");
	g_assert_cmpuint(f->seen.rcpts->len, ==, 2);
	g_assert_cmpstr(f->seen.rcpts->pdata[1], ==, "nobody@desk.test");
	g_assert_cmpstr(f->seen.message->str, ==,
	    "Subject: dots\n\n.leading dot\n");
	g_assert_false(f->seen.too_big);
	g_assert_true(lmtp_session_is_done(f->s));
	/* after QUIT nothing more is read */
	check_feed(f, "NOOP\r\n", "");
}

/* The same bytes one at a time give the same replies and message. */
static void
test_split(struct fixture *f, gconstpointer data)
{
	GString *out = lmtp_session_output(f->s);
	size_t i;

	(void)data;
	for (i = 0; pipelined[i] != '\0'; i++)
		lmtp_session_input(f->s, pipelined + i, 1);
	g_assert_cmpstr(out->str, ==, pipelined_reply);
	g_assert_cmpstr(f->seen.message->str, ==,
	    "Subject: dots\n\n.leading dot\n");
}

/* Line ends and dots: CRLF becomes LF, a lone CR stays, ".\n" ends. */
static void
test_unstuffing(struct fixture *f, gconstpointer data)
{
	(void)data;
	g_free(feed(f, "LHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\n"));
	check_feed(f, "a\rb\r\n..\r\n.\rx\r\n\r\r\nbare\n...\n.\n",
	    "250 2.0.0 <a@b> ok\r\n");
	g_assert_cmpstr(f->seen.sender, ==, "");
	g_assert_cmpstr(f->seen.message->str, ==,
	    "a\rb\n.\n\rx\n\r\nbare\n..\n");
	/* the session is ready for the next transaction, same connection */
	check_feed(f, "MAIL FROM:<c@d>\r\nRCPT TO:<e@f>\r\nDATA\r\n.\r\n",
	    "250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n"
	    "354 2.0.0 go ahead, end with <CRLF>.<CRLF>\r\n"
	    "250 2.0.0 <e@f> ok\r\n");
	g_assert_cmpint(f->seen.calls, ==, 2);
	g_assert_cmpstr(f->seen.message->str, ==, "");
}

static void
test_order(struct fixture *f, gconstpointer data)
{
	(void)data;
	check_feed(f, "MAIL FROM:<a@b>\r\n", "503 5.5.1 LHLO first\r\n");
	g_free(feed(f, "LHLO c\r\n"));
	check_feed(f, "RCPT TO:<a@b>\r\n", "503 5.5.1 MAIL first\r\n");
	check_feed(f, "DATA\r\n", "503 5.5.1 MAIL first\r\n");
	check_feed(f, "MAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\n",
	    "250 2.1.0 sender ok\r\n503 5.5.1 nested MAIL command\r\n");
	check_feed(f, "DATA\r\n", "554 5.5.1 no valid recipients\r\n");
	check_feed(f, "RSET\r\nRCPT TO:<a@b>\r\n",
	    "250 2.0.0 ok\r\n503 5.5.1 MAIL first\r\n");
	g_assert_cmpint(f->seen.calls, ==, 0);
}

static void
test_parameters(struct fixture *f, gconstpointer data)
{
	(void)data;
	g_free(feed(f, "LHLO c\r\n"));
	check_feed(f, "MAIL FROM:<a@b> SIZE=4097\r\n",
	    "552 5.3.4 message too big for the Help Desk (limit 4096 "
	    "bytes)\r\n");
	check_feed(f, "MAIL FROM:<a@b> BODY=BINARYMIME\r\n",
	    "501 5.5.4 bad BODY parameter\r\n");
	check_feed(f, "MAIL FROM:<a@b> SIZE=x\r\n",
	    "501 5.5.4 bad SIZE parameter\r\n");
	check_feed(f, "MAIL FROM:<a@b> RET=FULL\r\n",
	    "555 5.5.4 unsupported parameter\r\n");
	check_feed(f, "MAIL FROM:a@b\r\n",
	    "501 5.5.4 syntax: MAIL FROM:<address>\r\n");
	check_feed(f, "mail from:<\"x>y\"@b> body=7bit size=10\r\n",
	    "250 2.1.0 sender ok\r\n");
	check_feed(f, "RCPT TO:<a@b> NOTIFY=NEVER\r\n",
	    "555 5.5.4 unsupported parameter\r\n");
	check_feed(f, "RCPT TO:<>\r\n", "501 5.1.3 empty recipient\r\n");
	check_feed(f, "rcpt to:<x@y>\r\nDATA\r\n.\r\n",
	    "250 2.1.5 recipient ok\r\n"
	    "354 2.0.0 go ahead, end with <CRLF>.<CRLF>\r\n"
	    "250 2.0.0 <x@y> ok\r\n");
	g_assert_cmpstr(f->seen.sender, ==, "\"x>y\"@b");
}

static void
test_other_commands(struct fixture *f, gconstpointer data)
{
	(void)data;
	check_feed(f, "NOOP\r\nVRFY a@b\r\nHELO c\r\nEHLO c\r\nXYZZY\r\n\r\n",
	    "250 2.0.0 ok\r\n"
	    "252 2.5.0 cannot verify, but will try\r\n"
	    "500 5.5.1 this is LMTP: use LHLO\r\n"
	    "500 5.5.1 this is LMTP: use LHLO\r\n"
	    "500 5.5.2 command not recognized\r\n"
	    "500 5.5.2 command not recognized\r\n");
	check_feed(f, "NOOP\n", "250 2.0.0 ok\r\n");
}

/* An overlong command line is answered once and skipped, not kept. */
static void
test_long_line(struct fixture *f, gconstpointer data)
{
	GString *line = g_string_new("NOOP ");
	char *got;

	(void)data;
	while (line->len < 100000)
		g_string_append_c(line, 'x');
	got = feed(f, line->str);
	g_assert_cmpstr(got, ==, "");
	g_free(got);
	check_feed(f, "\r\nNOOP\r\n", "500 5.5.2 line too long (limit 512 "
	    "octets)\r\n250 2.0.0 ok\r\n");
	/* 510 octets and the CRLF still pass */
	g_string_assign(line, "NOOP ");
	while (line->len < LMTP_LINE_MAX - 2)
		g_string_append_c(line, 'x');
	g_string_append(line, "\r\n");
	check_feed(f, line->str, "250 2.0.0 ok\r\n");
	g_string_free(line, TRUE);
}

/* A message line over 1000 octets: 552 for each, nothing delivered. */
static void
test_long_text_line(struct fixture *f, gconstpointer data)
{
	GString *msg = g_string_new("x\r\n");
	char *got;

	(void)data;
	while (msg->len < 3 + 999)
		g_string_append_c(msg, 'y');
	g_string_append(msg, "\r\n.\r\n");
	g_free(feed(f, "LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
	    "RCPT TO:<e@f>\r\nDATA\r\n"));
	got = feed(f, msg->str);
	g_assert_cmpstr(got, ==, "552 5.3.4 a line of the message is longer "
	    "than 1000 octets\r\n552 5.3.4 a line of the message is longer "
	    "than 1000 octets\r\n");
	g_free(got);
	g_assert_cmpint(f->seen.calls, ==, 0);
	g_string_free(msg, TRUE);
}

/* Past max_size the rest is drained; the callback sees too_big. */
static void
test_too_big(struct fixture *f, gconstpointer data)
{
	GString *msg = g_string_new(NULL);

	(void)data;
	while (msg->len < 10000)
		g_string_append(msg, "0123456789012345678901234567890\r\n");
	g_string_append(msg, ".\r\nNOOP\r\n");
	g_free(feed(f, "LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
	    "DATA\r\n"));
	check_feed(f, msg->str, "250 2.0.0 <c@d> ok\r\n250 2.0.0 ok\r\n");
	g_assert_true(f->seen.too_big);
	g_assert_cmpuint(f->seen.message->len, <=, 4096);
	g_string_free(msg, TRUE);
}

static void
test_shutdown(struct fixture *f, gconstpointer data)
{
	(void)data;
	g_free(feed(f, "LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
	    "DATA\r\nbody\r\n"));
	/* inside a transaction: it goes on to the end */
	lmtp_session_shutdown(f->s);
	g_assert_false(lmtp_session_is_done(f->s));
	g_assert_true(lmtp_session_in_data(f->s));
	check_feed(f, ".\r\nNOOP\r\n", "250 2.0.0 <c@d> ok\r\n"
	    "421 4.3.2 lmtp.test shutting down, try again later\r\n");
	g_assert_true(lmtp_session_is_done(f->s));
	g_assert_cmpint(f->seen.calls, ==, 1);
}

static void
test_shutdown_idle(struct fixture *f, gconstpointer data)
{
	GString *out = lmtp_session_output(f->s);

	(void)data;
	lmtp_session_shutdown(f->s);
	g_assert_true(lmtp_session_is_done(f->s));
	g_assert_cmpstr(out->str, ==,
	    "421 4.3.2 lmtp.test shutting down, try again later\r\n");
}

static void
test_timeout(struct fixture *f, gconstpointer data)
{
	GString *out = lmtp_session_output(f->s);

	(void)data;
	lmtp_session_timeout(f->s);
	lmtp_session_timeout(f->s);
	g_assert_true(lmtp_session_is_done(f->s));
	g_assert_cmpstr(out->str, ==,
	    "421 4.4.2 lmtp.test timeout, closing the connection\r\n");
}

/* The callback's replies go out as they are: a 451 for one recipient. */
static void
test_callback_reply(struct fixture *f, gconstpointer data)
{
	(void)data;
	f->seen.reply = "451 4.3.0 Help Desk temporarily unavailable, try "
	    "again later";
	g_free(feed(f, "LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
	    "DATA\r\n"));
	check_feed(f, "x\r\n.\r\n", "451 4.3.0 Help Desk temporarily "
	    "unavailable, try again later\r\n");
}

/* Replies given later (group commit): the input after the message waits. */
static void
test_later(struct fixture *f, gconstpointer data)
{
	char **replies;

	(void)data;
	f->seen.later = true;
	check_feed(f, "LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"
	    "x\r\n.\r\nNOOP\r\nMAIL FROM:<e@f>\r\n", LHLO_REPLY
	    "250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n"
	    "354 2.0.0 go ahead, end with <CRLF>.<CRLF>\r\n");
	g_assert_true(lmtp_session_is_waiting(f->s));
	/* a shutdown waits for the message too */
	lmtp_session_shutdown(f->s);
	check_feed(f, "RSET\r\n", "");
	g_assert_false(lmtp_session_is_done(f->s));
	replies = f->seen.later_replies;
	replies[0] = g_strdup("250 2.0.0 <c@d> later");
	lmtp_session_complete(f->s, replies);
	g_assert_false(lmtp_session_is_waiting(f->s));
	check_feed(f, "", "250 2.0.0 <c@d> later\r\n"
	    "421 4.3.2 lmtp.test shutting down, try again later\r\n");
	g_assert_true(lmtp_session_is_done(f->s));
	g_assert_cmpstr(f->seen.message->str, ==, "x\n");
}

static void
test_reply_status(void)
{
	static const struct {
		int status;
		const char *line, *want;
	} cases[] = {
		{ DESK_EXIT_OK, NULL, "250 2.0.0 <r@d> delivered" },
		{ DESK_EXIT_TEMPFAIL, "4.3.0 busy", "451 4.3.0 busy" },
		{ DESK_EXIT_TEMPFAIL, "4.3.5 config", "451 4.3.5 config" },
		{ DESK_EXIT_NOUSER, "5.1.1 <r@d>: no", "550 5.1.1 <r@d>: no" },
		{ DESK_EXIT_NOPERM, "5.7.1 write to", "550 5.7.1 write to" },
		{ DESK_EXIT_TOOBIG, "5.3.4 too big", "552 5.3.4 too big" },
		/* a line that contradicts its status is deferred */
		{ DESK_EXIT_NOUSER, "4.3.0 odd", "451 4.3.0 <r@d> temporary "
		  "failure" },
		{ DESK_EXIT_TEMPFAIL, NULL, "451 4.3.0 <r@d> temporary "
		  "failure" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *got = lmtp_reply_status(cases[i].status, cases[i].line,
		    "r@d");

		g_assert_cmpstr(got, ==, cases[i].want);
		g_free(got);
	}
}

#define ADD(name, fn) g_test_add(name, struct fixture, NULL, \
	fixture_setup, fn, fixture_teardown)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	ADD("/lmtp/greeting", test_greeting);
	ADD("/lmtp/pipelined", test_pipelined);
	ADD("/lmtp/split", test_split);
	ADD("/lmtp/unstuffing", test_unstuffing);
	ADD("/lmtp/order", test_order);
	ADD("/lmtp/parameters", test_parameters);
	ADD("/lmtp/other-commands", test_other_commands);
	ADD("/lmtp/long-line", test_long_line);
	ADD("/lmtp/long-text-line", test_long_text_line);
	ADD("/lmtp/too-big", test_too_big);
	ADD("/lmtp/shutdown", test_shutdown);
	ADD("/lmtp/shutdown-idle", test_shutdown_idle);
	ADD("/lmtp/timeout", test_timeout);
	ADD("/lmtp/callback-reply", test_callback_reply);
	ADD("/lmtp/later", test_later);
	g_test_add_func("/lmtp/reply-status", test_reply_status);
	return g_test_run();
}
