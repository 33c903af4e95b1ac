/*
 * test-bounce.c - bounce.c: our Message-IDs and the DSN fields found in
 * reports of every shape.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "bounce.h"
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

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bounce/rfc3464", test_rfc3464);
	g_test_add_func("/bounce/plain-text", test_plain_text);
	g_test_add_func("/bounce/none", test_none);
	return g_test_run();
}
