/*
 * test-bounce.c - bounce.c: our Message-IDs and the DSN fields found in
 * reports of every shape; the structure of a report scored, its failed
 * recipients and status read; numbers that are no status codes; the
 * returned headers' recipient, also of an empty part; a 1 MB
 * body read in linear time.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "mime-message.h"
#include "spool.h"

static void
scan(const char *text, struct bounce_info *info)
{
	GError *error = NULL;
	int fd = spool_tmpfile(NULL, &error);
	size_t len = strlen(text);

	g_assert_no_error(error);
	g_assert_cmpint(write(fd, text, len), ==, (ssize_t)len);
	g_assert_cmpint(bounce_scan(fd, (int64_t)len, "desk.test", NULL,
	    info, &error), ==, 0);
	g_assert_no_error(error);
	close(fd);
}

static void
test_rfc3464(void)
{
	struct bounce_info info;
	char *why;

	scan("From: MAILER-DAEMON@mx.example\r\nContent-Type: multipart/report;"
	    " report-type=delivery-status; boundary=b\r\n\r\n--b\r\n\r\nsorry"
	    "\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
	    "Final-Recipient: rfc822; gone@customer.example\r\nAction: failed"
	    "\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no such "
	    "user\r\n\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	    "Message-ID: <EU93PT.1YZ8@desk.test>\r\nIn-Reply-To: "
	    "<cust-1@customer.example>\r\n--b--\r\n", &info);
	g_assert_cmpuint(info.message_ids->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(info.message_ids, 0), ==,
	    "EU93PT.1YZ8@desk.test");
	g_assert_cmpstr(info.status, ==, "5.1.1");
	g_assert_cmpstr(info.diagnostic, ==, "smtp; 550 5.1.1 no such user");
	why = bounce_reason(&info);
	g_assert_cmpstr(why, ==, "bounced: 5.1.1 smtp; 550 5.1.1 no such user");
	g_free(why);
	bounce_info_clear(&info);
}

static void
test_plain_text(void)
{
	struct bounce_info info;
	char *why;

	/* qmail: prose, then the returned message; the id twice, once */
	scan("Hi. This is the qmail-send program.\n<gone@x.example>:\nSorry, "
	    "no mailbox here by that name.\n\n--- Below this line is a copy "
	    "of the message.\n\nMessage-Id: <A1@DESK.TEST>\nReferences: "
	    "<A1@DESK.TEST> <other@elsewhere.example> <b 2@desk.test>\n",
	    &info);
	g_assert_cmpuint(info.message_ids->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(info.message_ids, 0), ==,
	    "A1@DESK.TEST");
	g_assert_null(info.status);
	why = bounce_reason(&info);
	g_assert_cmpstr(why, ==, "bounced");
	g_free(why);
	bounce_info_clear(&info);
}

static void
test_none(void)
{
	struct bounce_info info;

	scan("no ids here, <a@b.example>, <@desk.test> <x@desk.test.evil>\n",
	    &info);
	g_assert_cmpuint(info.message_ids->len, ==, 1);	/* "<@desk.test>" */
	bounce_info_clear(&info);
	scan("", &info);
	g_assert_cmpuint(info.message_ids->len, ==, 0);
	bounce_info_clear(&info);
}

/* The evidence of TEXT from SENDER; the caller clears EV. */
static void
evidence(const char *text, const char *sender, struct bounce_evidence *ev)
{
	struct mail *m = mail_parse_bytes(text, strlen(text));

	g_assert_nonnull(m);
	bounce_evidence_read(m, sender, ev);
	g_test_message("score %d: %s", ev->score, ev->why->str);
	mail_free(m);
}

/* The recipients of EV, comma-separated. (full) */
static char *
recipients(const struct bounce_evidence *ev)
{
	GString *s = g_string_new("");
	guint i;

	for (i = 0; i < ev->recipients->len; i++)
		g_string_append_printf(s, "%s%s", i ? "," : "",
		    (char *)g_ptr_array_index(ev->recipients, i));
	return g_string_free(s, FALSE);
}

#define REPORT_HDR \
	"From: Mail Delivery System <MAILER-DAEMON@mx.example>\n" \
	"To: support@desk.test\nSubject: Undelivered Mail\n"

/*
 * The DSN part speaks for the report: only the recipients that failed
 * (not the delayed one beside them), the Original-Recipient before the Final-Recipient, the first one's
 * status and (unfolded) diagnostic; the prose's addresses are not added.
 */
static void
test_evidence_dsn(void)
{
	static const char text[] = REPORT_HDR
	    "MIME-Version: 1.0\nContent-Type: multipart/report; "
	    "report-type=delivery-status; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\n"
	    "<other@x.example>: 550 5.1.1 no such user\n"
	    "--b\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx.example\n\n"
	    "Final-Recipient: rfc822; ok@x.example\nAction: delivered\n"
	    "Status: 2.0.0\n\n"
	    "Original-Recipient: rfc822;Alias@X.example\n"
	    "Final-Recipient: rfc822; mailbox@x.example\nAction: failed\n"
	    "Status: 5.2.2 (mailbox full)\n"
	    "Diagnostic-Code: smtp; 552 5.2.2 over\n    quota\n\n"
	    "Final-Recipient: rfc822; late@x.example\nAction: delayed\n"
	    "Status: 4.4.1\n"
	    "--b--\n";
	struct bounce_evidence ev;
	char *r;

	evidence(text, "", &ev);
	r = recipients(&ev);
	g_assert_cmpstr(r, ==, "alias@x.example");
	g_assert_cmpstr(ev.status, ==, "5.2.2");
	g_assert_false(ev.delayed);
	g_assert_cmpstr(ev.diagnostic, ==, "smtp; 552 5.2.2 over quota");
	g_assert_true(bounce_evidence_decides(&ev));
	g_assert_nonnull(strstr(ev.why->str,
	    "report part message/delivery-status +10"));
	g_assert_nonnull(strstr(ev.why->str, "null sender +2"));
	g_free(r);
	bounce_evidence_clear(&ev);
}

/* A delay report lists the addresses still tried, not the delivered. */
static void
test_evidence_dsn_delay(void)
{
	static const char text[] = REPORT_HDR
	    "MIME-Version: 1.0\nContent-Type: multipart/report; "
	    "report-type=delivery-status; boundary=b\n\n"
	    "--b\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx.example\n\n"
	    "Final-Recipient: rfc822; ok@x.example\nAction: delivered\n"
	    "Status: 2.0.0\n\n"
	    "Final-Recipient: rfc822; late@x.example\nStatus: 4.4.1\n"
	    "--b--\n";
	struct bounce_evidence ev;
	char *r;

	evidence(text, "", &ev);
	r = recipients(&ev);
	g_assert_cmpstr(r, ==, "late@x.example");
	g_assert_cmpstr(ev.status, ==, "4.4.1");
	g_assert_true(ev.delayed);
	g_free(r);
	bounce_evidence_clear(&ev);
}

/* "Action: failed" with a 4.x.x status: the queue gave up, final. */
static void
test_evidence_dsn_expired(void)
{
	static const char text[] = REPORT_HDR
	    "MIME-Version: 1.0\nContent-Type: multipart/report; "
	    "report-type=delivery-status; boundary=b\n\n"
	    "--b\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx.example\n\n"
	    "Final-Recipient: rfc822; gone@x.example\nAction: failed\n"
	    "Status: 4.4.7\n"
	    "--b--\n";
	struct bounce_evidence ev;
	char *r;

	evidence(text, "", &ev);
	r = recipients(&ev);
	g_assert_cmpstr(r, ==, "gone@x.example");
	g_assert_cmpstr(ev.status, ==, "4.4.7");
	g_assert_false(ev.delayed);
	g_free(r);
	bounce_evidence_clear(&ev);
}

/*
 * Without a report part: the address beside its code on the same line,
 * up to three lines above it (Exchange 2003, qmail), or below it; an
 * address listed alone; the report's own From and To never.
 */
static void
test_evidence_text(void)
{
	static const struct {
		const char *what, *body, *rcpts, *status;
		bool decides;
	} cases[] = {
		{ "same line", "<a@x.example>: host mx said: 550 5.1.1 gone\n",
		  "a@x.example", "5.1.1", false },
		{ "three lines above (Exchange 2003)",
		  "      a@x.example on 3/3/2026 10:12 AM\n"
		  "            The e-mail account does not exist.\n"
		  "            Check the address.\n"
		  "            <mx.x.example #5.1.1>\n", "a@x.example", "5.1.1",
		  false },
		{ "a code, then the address", "Reason: 554 5.7.1 blocked\n"
		  "Recipient: a@x.example\n", "a@x.example", "5.7.1", false },
		{ "a blank line between: no pair, the first of each",
		  "a@x.example\n\nsomething 550 5.1.1\n", "a@x.example",
		  "5.1.1", false },
		{ "our own address on the code's line",
		  "Recipient: it@x.example\n"
		  "Rejection reason: 550 Rejected, sender support@desk.test\n",
		  "it@x.example", NULL, false },
		{ "listed alone, and a pair",
		  "<one@x.example>:\nno such user [0]\n\n<two@x.example>:\n"
		  "554 delivery error: dd disabled\n", "one@x.example,"
		  "two@x.example", NULL, false },
		{ "returned headers: the scan stops there",
		  "<a@x.example>:\nSorry. (#5.1.1)\n\n--- copy:\n\n"
		  "Received: from mx.desk.test by mx.x.example\n"
		  "From: support@desk.test\nTo: a@x.example\n"
		  "Message-ID: <n.1@desk.test>\n\n"
		  "b@x.example said 550 5.7.1 in the returned text\n",
		  "a@x.example", "5.1.1", true },
	};
	guint i, passed = 0;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *text = g_strconcat(REPORT_HDR, "\n", cases[i].body,
		    NULL);
		struct bounce_evidence ev;
		char *r;
		bool ok;

		evidence(text, NULL, &ev);
		r = recipients(&ev);
		ok = strcmp(r, cases[i].rcpts) == 0 &&
		    g_strcmp0(ev.status, cases[i].status) == 0 &&
		    bounce_evidence_decides(&ev) == cases[i].decides;
		if (!ok)
			g_test_fail_printf("%s: recipients %s status %s "
			    "decides %d, want %s %s %d", cases[i].what, r,
			    ev.status ? ev.status : "-",
			    bounce_evidence_decides(&ev), cases[i].rcpts,
			    cases[i].status ? cases[i].status : "-",
			    cases[i].decides);
		passed += ok;
		g_free(r);
		g_free(text);
		bounce_evidence_clear(&ev);
	}
	g_test_message("%u of %zu text layouts read right", passed,
	    G_N_ELEMENTS(cases));
	g_assert_cmpuint(passed, ==, G_N_ELEMENTS(cases));
}

/*
 * Phone numbers, IP addresses, versions, prices and dates beside an
 * address are no status codes; a person's mail with them is no report.
 */
static void
test_evidence_not_codes(void)
{
	static const char *const bodies[] = {
		"Call +7 495 550 12 34 or write to a@x.example\n",
		"a@x.example, tel. 8 800 550-11-22\n",
		"a@x.example, +44 20 7946 0550\n",
		"a@x.example is on 10.5.1.1 since version 5.1.1.2\n",
		"a@x.example paid 450.00 for 5 seats\n",
		"a@x.example: see ticket 4501, page 550-560\n",
		"a@x.example wrote on 2026-01-05 at 5.1.12pm\n",
	};
	guint i, passed = 0;

	for (i = 0; i < G_N_ELEMENTS(bodies); i++) {
		char *text = g_strconcat("From: Olga <olga@shop.example>\n"
		    "To: support@desk.test\nSubject: question\n\n",
		    bodies[i], NULL);
		struct bounce_evidence ev;
		bool ok;

		evidence(text, "olga@shop.example", &ev);
		ok = !ev.report && ev.status == NULL;
		if (!ok)
			g_test_fail_printf("%s: read as a report (%s)",
			    bodies[i], ev.why->str);
		passed += ok;
		g_free(text);
		bounce_evidence_clear(&ev);
	}
	g_test_message("%u of %zu numbers beside an address are no codes",
	    passed, G_N_ELEMENTS(bodies));
	g_assert_cmpuint(passed, ==, G_N_ELEMENTS(bodies));
}

/*
 * The returned headers' To is the last resort for the recipient; an
 * empty returned-headers part (its bytes a NULL pointer, which the
 * fuzzer found) names nobody and is still a returned part.
 */
static void
test_evidence_returned_headers(void)
{
	static const char *const headers[] = {
		"Message-ID: <x@desk.test>\nTo: Gone <gone@x.example>\n", ""
	};
	static const char *const want[] = { "gone@x.example", "" };
	guint i;

	for (i = 0; i < G_N_ELEMENTS(headers); i++) {
		char *text = g_strdup_printf(REPORT_HDR "MIME-Version: 1.0\n"
		    "Content-Type: multipart/report; report-type=delivery-"
		    "status; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
		    "Your message could not be delivered.\n"
		    "--b\nContent-Type: text/rfc822-headers\n\n%s--b--\n",
		    headers[i]);
		struct bounce_evidence ev;
		char *r;

		evidence(text, "", &ev);
		r = recipients(&ev);
		g_assert_cmpstr(r, ==, want[i]);
		g_assert_nonnull(strstr(ev.why->str,
		    "returned text/rfc822-headers"));
		g_free(r);
		bounce_evidence_clear(&ev);
		g_free(text);
	}
}

/* A 1 MB body of address and code lines is read in linear time. */
static void
test_evidence_big(void)
{
	GString *text = g_string_new(REPORT_HDR "\n");
	struct bounce_evidence ev;
	struct mail *m;
	gint64 t0;
	double ms;

	while (text->len < 1024 * 1024)
		g_string_append(text, "a@x.example b@x.example 550 5.1.1 "
		    "Received: x@y.example\n");
	m = mail_parse_bytes(text->str, text->len);
	g_assert_nonnull(m);
	t0 = g_get_monotonic_time();
	bounce_evidence_read(m, "", &ev);
	ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
	g_test_message("1 MB body read in %.1f ms, %u recipients kept", ms,
	    ev.recipients->len);
	g_assert_cmpuint(ev.recipients->len, <=, 20);
	/* generous for valgrind and sanitizers; quadratic would be minutes */
	g_assert_cmpfloat(ms, <, 5000.0);
	bounce_evidence_clear(&ev);
	mail_free(m);
	g_string_free(text, TRUE);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	mail_init();
	g_test_add_func("/bounce/evidence/dsn", test_evidence_dsn);
	g_test_add_func("/bounce/evidence/dsn-delay", test_evidence_dsn_delay);
	g_test_add_func("/bounce/evidence/dsn-expired",
	    test_evidence_dsn_expired);
	g_test_add_func("/bounce/evidence/text", test_evidence_text);
	g_test_add_func("/bounce/evidence/not-codes", test_evidence_not_codes);
	g_test_add_func("/bounce/evidence/big", test_evidence_big);
	g_test_add_func("/bounce/evidence/returned-headers",
	    test_evidence_returned_headers);
	g_test_add_func("/bounce/rfc3464", test_rfc3464);
	g_test_add_func("/bounce/plain-text", test_plain_text);
	g_test_add_func("/bounce/none", test_none);
	rc = g_test_run();
	mail_shutdown();
	return rc;
}
