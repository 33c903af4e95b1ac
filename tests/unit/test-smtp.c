/*
 * test-smtp.c - unit tests of smtp-send.c against the scripted SMTP peer
 * of test-peer.h: the commands sent, the message received (dot-stuffing
 * undone), the classification of replies (5xx PERM, 4xx and broken
 * connections TEMP), the timeout of every wait for the relay, and the
 * address check before any command. The outbox runner is tested in
 * test-outbox.c.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "error.h"
#include "smtp-send.h"
#include "test-peer.h"
#include "test-util.h"

/*
 * A message with lines that need dot-stuffing. It ends with CRLF, as
 * every notice does: the relay must receive exactly these bytes, with
 * no empty line added before the final dot.
 */
static const char message1[] =
	"From: Help Desk <support@desk.example>\r\n"
	"To: kunde@example.com\r\n"
	"Subject: test\r\n"
	"\r\n"
	"first line\r\n"
	".a line starting with a dot\r\n"
	"..two dots\r\n"
	".\r\n"
	"after a lone dot\r\n";

static struct smtp_client *
open_ok(struct peer *p)
{
	GError *error = NULL;
	struct smtp_client *c = smtp_open("127.0.0.1", p->port, 5, &error);

	g_assert_no_error(error);
	g_assert_nonnull(c);
	g_clear_error(&error);
	return c;
}

static void
test_session(void)
{
	static const struct peer_script script = { 0 };
	struct peer *p = peer_start(&script);
	struct smtp_client *c = open_ok(p);
	static const char message2[] = "Subject: 2\r\n\r\nsecond\r\n";
	GError *error = NULL;
	char **lines;

	if (c == NULL)
		goto out;
	g_assert_cmpint(smtp_send(c, "support@desk.example",
	    "kunde@example.com", message1, sizeof(message1) - 1, &error), ==,
	    0);
	g_assert_no_error(error);
	g_assert_false(smtp_is_broken(c));
	/* a second message on the same connection, from the null sender */
	g_assert_cmpint(smtp_send(c, "", "other@example.com", message2,
	    sizeof(message2) - 1, &error), ==, 0);
	g_assert_no_error(error);
	smtp_close(c);
	peer_stop(p);

	lines = peer_lines(p);
	g_assert_cmpuint(g_strv_length(lines), ==, 9);
	if (g_strv_length(lines) == 9) {
		g_assert_true(g_str_has_prefix(lines[0], "EHLO "));
		g_assert_cmpstr(lines[1], ==,
		    "MAIL FROM:<support@desk.example>");
		g_assert_cmpstr(lines[2], ==, "RCPT TO:<kunde@example.com>");
		g_assert_cmpstr(lines[3], ==, "DATA");
		g_assert_cmpstr(lines[4], ==, "MAIL FROM:<>");
		g_assert_cmpstr(lines[5], ==, "RCPT TO:<other@example.com>");
		g_assert_cmpstr(lines[6], ==, "DATA");
		g_assert_cmpstr(lines[7], ==, "QUIT");
		g_assert_cmpstr(lines[8], ==, "");
	}
	g_strfreev(lines);
	g_assert_cmpint(p->sessions, ==, 1);
	g_assert_cmpuint(p->messages->len, ==, 2);
	if (p->messages->len == 2) {
		GBytes *m = g_ptr_array_index(p->messages, 0);

		g_assert_cmpmem(g_bytes_get_data(m, NULL), g_bytes_get_size(m),
		    message1, sizeof(message1) - 1);
	}
out:
	peer_free(p);
}

/* Send MESSAGE1 to RCPT through a peer running SCRIPT. */
static void
expect_send_error(const struct peer_script *script, const char *rcpt,
    int code, const char *text, bool broken)
{
	struct peer *p = peer_start(script);
	struct smtp_client *c = open_ok(p);
	GError *error = NULL;

	if (c == NULL)
		goto out;
	g_assert_cmpint(smtp_send(c, "support@desk.example", rcpt, message1,
	    sizeof(message1) - 1, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, code);
	if (error != NULL) {
		g_test_message("error: %s", error->message);
		if (text != NULL)
			test_check_contains(error->message, text);
	}
	g_clear_error(&error);
	g_assert_cmpint(smtp_is_broken(c), ==, broken);
	if (!broken) {
		/* the session was reset and still works */
		g_assert_cmpint(smtp_send(c, "support@desk.example",
		    "good@example.com", message1, sizeof(message1) - 1,
		    &error), ==, 0);
		g_assert_no_error(error);
		g_clear_error(&error);
	}
	smtp_close(c);
	peer_stop(p);
	if (!broken) {
		char **lines = peer_lines(p);

		g_assert_cmpint(peer_count_prefix(lines, "RSET"), ==, 1);
		g_assert_cmpint(peer_count_prefix(lines, "QUIT"), ==, 1);
		/* the good message arrived (and the refused one when it
		 * was refused only at the end of DATA) */
		g_assert_cmpuint(p->messages->len, >=, 1);
		g_strfreev(lines);
	}
out:
	peer_free(p);
}

static void
test_rcpt_550(void)
{
	static const struct peer_script script = {
		.rules = { { "nobody", "550 5.1.1 <nobody@example.com>: "
		    "Recipient address rejected", NULL } },
	};

	expect_send_error(&script, "nobody@example.com", DESK_ERROR_PERM,
	    "550", false);
}

static void
test_rcpt_451(void)
{
	static const struct peer_script script = {
		.rules = { { "later", "451 4.3.0 try again later", NULL } },
	};

	expect_send_error(&script, "later@example.com", DESK_ERROR_TEMP,
	    "451", false);
}

static void
test_rcpt_450(void)
{
	static const struct peer_script script = {
		.rules = { { "grey", "450 4.2.0 greylisted", NULL } },
	};

	expect_send_error(&script, "grey@example.com", DESK_ERROR_TEMP,
	    "450", false);
}

static void
test_mail_550(void)
{
	static const struct peer_script script = {
		.mail = "550 5.7.1 sender refused",
	};
	struct peer *p = peer_start(&script);
	struct smtp_client *c = open_ok(p);
	GError *error = NULL;

	if (c != NULL) {
		g_assert_cmpint(smtp_send(c, "support@desk.example",
		    "kunde@example.com", message1, sizeof(message1) - 1,
		    &error), ==, -1);
		g_assert_error(error, DESK_ERROR, DESK_ERROR_PERM);
		g_clear_error(&error);
		g_assert_false(smtp_is_broken(c));
		smtp_close(c);
	}
	peer_free(p);
}

static void
test_dot_452(void)
{
	static const struct peer_script script = {
		.rules = { { "full", NULL, "452 4.3.1 insufficient storage" } },
	};

	expect_send_error(&script, "full@example.com", DESK_ERROR_TEMP,
	    "452", false);
}

static void
test_dot_554(void)
{
	static const struct peer_script script = {
		.rules = { { "spam", NULL, "554 5.7.1 rejected as spam" } },
	};

	expect_send_error(&script, "spam@example.com", DESK_ERROR_PERM,
	    "554", false);
}

static void
test_closed_at_mail(void)
{
	static const struct peer_script script = { .mail = "CLOSE" };

	expect_send_error(&script, "kunde@example.com", DESK_ERROR_TEMP,
	    NULL, true);
}

static void
test_closed_at_rcpt(void)
{
	static const struct peer_script script = { .rcpt = "CLOSE" };

	expect_send_error(&script, "kunde@example.com", DESK_ERROR_TEMP,
	    NULL, true);
}

static void
test_closed_in_data(void)
{
	static const struct peer_script script = { .dot = "CLOSE" };

	expect_send_error(&script, "kunde@example.com", DESK_ERROR_TEMP,
	    NULL, true);
}

/* A relay without DSN refuses NOTIFY= with 555: send again without. */
static void
test_dsn_555(void)
{
	static const struct peer_script script = {
		.ehlo = "250-peer.example\r\n250-DSN\r\n250 8BITMIME",
		.rules = { { "NOTIFY", "555 5.5.4 unsupported parameter",
		    NULL } },
	};
	struct peer *p = peer_start(&script);
	struct smtp_client *c = open_ok(p);
	GError *error = NULL;
	char **lines;

	if (c != NULL) {
		g_assert_cmpint(smtp_send(c, "support@desk.example",
		    "kunde@example.com", message1, sizeof(message1) - 1,
		    &error), ==, 0);
		g_assert_no_error(error);
		g_clear_error(&error);
		smtp_close(c);
	}
	peer_stop(p);
	lines = peer_lines(p);
	g_assert_cmpint(peer_count_prefix(lines, "RCPT TO:<kunde@example.com>"),
	    ==, 2);
	g_assert_cmpint(peer_count_prefix(lines, "RCPT TO:<kunde@example.com> "
	    "NOTIFY=FAILURE"), ==, 1);
	g_assert_cmpuint(p->messages->len, ==, 1);
	g_strfreev(lines);
	peer_free(p);
}

static void
expect_open_error(const struct peer_script *script, int timeout)
{
	struct peer *p = peer_start(script);
	GError *error = NULL;
	gint64 start = g_get_monotonic_time();
	struct smtp_client *c = smtp_open("127.0.0.1", p->port, timeout,
	    &error);

	g_assert_null(c);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
	if (error != NULL)
		g_test_message("error: %s", error->message);
	g_clear_error(&error);
	/* generous for a slow machine, but well under PEER_HANG_MAX */
	g_assert_cmpint(g_get_monotonic_time() - start, <,
	    20 * G_USEC_PER_SEC);
	if (c != NULL)
		smtp_close(c);
	peer_free(p);
}

static void
test_open_refused(void)
{
	GError *error = NULL;
	struct smtp_client *c = smtp_open("127.0.0.1", peer_dead_port(), 5,
	    &error);

	g_assert_null(c);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
	g_clear_error(&error);
	if (c != NULL)
		smtp_close(c);
}

static void
test_open_closed_at_greeting(void)
{
	static const struct peer_script script = { .greeting = "CLOSE" };

	expect_open_error(&script, 5);
}

static void
test_open_greeting_421(void)
{
	static const struct peer_script script = {
		.greeting = "421 4.3.2 service not available",
	};

	expect_open_error(&script, 5);
}

/*
 * A relay that turns the connection away (554 at the greeting) is no
 * verdict on any message: smtp_open fails with TEMP, as smtp-send.h
 * promises, so that the outbox keeps its mail for a later try.
 */
static void
test_open_greeting_554(void)
{
	static const struct peer_script script = {
		.greeting = "554 5.3.2 no SMTP service here",
	};

	expect_open_error(&script, 5);
}

/*
 * A relay that accepts the connection and never greets: with timeout 1,
 * smtp_open gives up (TEMP) long before the peer would (PEER_HANG_MAX,
 * 40 s), and before libetpan's own 300 s default.
 */
static void
test_open_never_greets(void)
{
	static const struct peer_script script = { .greeting = "HANG" };

	expect_open_error(&script, 1);
}

/* A relay that greets and then never answers EHLO: the same bound. */
static void
test_open_ehlo_hangs(void)
{
	static const struct peer_script script = { .ehlo = "HANG" };

	expect_open_error(&script, 1);
}

/*
 * "EHLO, else HELO": a server without ESMTP answers EHLO with 500 or
 * 502 (RFC 5321 4.1.4), and the client then greets with HELO.
 */
static void
test_open_helo_fallback(void)
{
	static const struct peer_script script = {
		.ehlo = "502 5.5.2 Error: command not recognized",
	};
	struct peer *p = peer_start(&script);
	GError *error = NULL;
	struct smtp_client *c = smtp_open("127.0.0.1", p->port, 5, &error);
	char **lines;

	g_assert_no_error(error);
	g_assert_nonnull(c);
	g_clear_error(&error);
	if (c != NULL) {
		g_assert_cmpint(smtp_send(c, "support@desk.example",
		    "kunde@example.com", message1, sizeof(message1) - 1,
		    &error), ==, 0);
		g_assert_no_error(error);
		g_clear_error(&error);
		smtp_close(c);
	}
	peer_stop(p);
	lines = peer_lines(p);
	g_assert_cmpint(peer_count_prefix(lines, "HELO "), ==, 1);
	g_strfreev(lines);
	peer_free(p);
}

/*
 * A relay that stops answering in the middle of a transaction (at RCPT,
 * at DATA, after the message): smtp_send fails TEMP within the timeout
 * and the client is broken, for each of the 3 steps.
 */
static void
test_send_hangs(void)
{
	static const struct peer_script scripts[] = {
		{ .rcpt = "HANG" }, { .data = "HANG" }, { .dot = "HANG" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(scripts); i++) {
		struct peer *p = peer_start(&scripts[i]);
		GError *error = NULL;
		struct smtp_client *c = smtp_open("127.0.0.1", p->port, 1,
		    &error);
		gint64 start = g_get_monotonic_time();

		g_assert_no_error(error);
		g_clear_error(&error);
		if (c != NULL) {
			g_assert_cmpint(smtp_send(c, "support@desk.example",
			    "kunde@example.com", message1,
			    sizeof(message1) - 1, &error), ==, -1);
			g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
			g_clear_error(&error);
			g_assert_true(smtp_is_broken(c));
			smtp_close(c);
		}
		g_assert_cmpint(g_get_monotonic_time() - start, <,
		    20 * G_USEC_PER_SEC);
		peer_free(p);
	}
}

/* N times C, then DOMAIN. (transfer full) */
static char *
long_address(char c, gsize n, const char *domain)
{
	char *local = g_strnfill(n, c);
	char *address = g_strconcat(local, domain, NULL);

	g_free(local);
	return address;
}

/*
 * Addresses address_check refuses never reach the relay: a 500-character
 * recipient (libetpan would cut its RCPT line at 512 bytes, without CRLF),
 * a domain-less one, one with a quote after the domain, and a 300-character
 * sender. smtp_send fails PERM for each of the 4, the peer sees no MAIL
 * and no RCPT, and the session still works for a good message after them.
 */
static void
test_send_invalid_address(void)
{
	static const struct peer_script script = { 0 };
	struct peer *p = peer_start(&script);
	struct smtp_client *c = open_ok(p);
	char *long_rcpt = long_address('a', 488, "@example.com");
	char *long_from = long_address('b', 286, "@desk.example");
	struct {
		const char *from, *rcpt;
	} bad[] = {
		{ "support@desk.example", long_rcpt },
		{ "support@desk.example", "root" },
		{ "support@desk.example", "alice@a.example'" },
		{ long_from, "kunde@example.com" },
	};
	GError *error = NULL;
	char **lines;
	size_t i;

	g_assert_cmpuint(strlen(long_rcpt), ==, 500);
	for (i = 0; c != NULL && i < G_N_ELEMENTS(bad); i++) {
		g_assert_cmpint(smtp_send(c, bad[i].from, bad[i].rcpt,
		    message1, sizeof(message1) - 1, &error), ==, -1);
		g_assert_error(error, DESK_ERROR, DESK_ERROR_PERM);
		if (error != NULL)
			test_check_contains(error->message, "invalid");
		g_clear_error(&error);
		g_assert_false(smtp_is_broken(c));
	}
	if (c != NULL) {
		g_assert_cmpint(smtp_send(c, "support@desk.example",
		    "good@example.com", message1, sizeof(message1) - 1,
		    &error), ==, 0);
		g_assert_no_error(error);
		g_clear_error(&error);
		smtp_close(c);
	}
	peer_stop(p);
	lines = peer_lines(p);
	g_assert_cmpint(peer_count_prefix(lines, "MAIL"), ==, 1);
	g_assert_cmpint(peer_count_prefix(lines, "RCPT"), ==, 1);
	g_assert_cmpint(peer_count_prefix(lines, "RCPT TO:<good@example.com>"),
	    ==, 1);
	g_assert_cmpuint(p->messages->len, ==, 1);
	g_strfreev(lines);
	peer_free(p);
	g_free(long_rcpt);
	g_free(long_from);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/smtp/send/session", test_session);
	g_test_add_func("/smtp/send/rcpt-550", test_rcpt_550);
	g_test_add_func("/smtp/send/rcpt-451", test_rcpt_451);
	g_test_add_func("/smtp/send/rcpt-450", test_rcpt_450);
	g_test_add_func("/smtp/send/mail-550", test_mail_550);
	g_test_add_func("/smtp/send/dot-452", test_dot_452);
	g_test_add_func("/smtp/send/dot-554", test_dot_554);
	g_test_add_func("/smtp/send/closed-at-mail", test_closed_at_mail);
	g_test_add_func("/smtp/send/closed-at-rcpt", test_closed_at_rcpt);
	g_test_add_func("/smtp/send/closed-in-data", test_closed_in_data);
	g_test_add_func("/smtp/send/dsn-555-fallback", test_dsn_555);
	g_test_add_func("/smtp/send/hangs-3-steps", test_send_hangs);
	g_test_add_func("/smtp/send/invalid-address-4", test_send_invalid_address);
	g_test_add_func("/smtp/open/refused", test_open_refused);
	g_test_add_func("/smtp/open/closed-at-greeting",
	    test_open_closed_at_greeting);
	g_test_add_func("/smtp/open/greeting-421", test_open_greeting_421);
	g_test_add_func("/smtp/open/greeting-554", test_open_greeting_554);
	g_test_add_func("/smtp/open/never-greets", test_open_never_greets);
	g_test_add_func("/smtp/open/ehlo-hangs", test_open_ehlo_hangs);
	g_test_add_func("/smtp/open/helo-fallback", test_open_helo_fallback);
	return g_test_run();
}
