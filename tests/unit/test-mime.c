/*
 * test-mime.c - unit tests of mime-message.c (what deskgate reads out of
 * a mail: decoded headers, the body text, attachments, charset
 * decisions, robustness on bad mail) and of classify.c with the shipped
 * filters/robots.rules.
 */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "classify.h"
#include "error.h"
#include "mime-message.h"
#include "rules.h"
#include "test-util.h"

#define HDR \
	"From: Ivan Petrov <ivan@example.com>\n" \
	"To: support@desk.example\n" \
	"Date: Mon, 1 Jan 2024 10:00:00 +0000\n" \
	"Message-ID: <m1@example.com>\n"

/* "Привет, мир! Это тестовое письмо." */
#define RU_UTF8 \
	"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xbc\xd0\xb8" \
	"\xd1\x80! \xd0\xad\xd1\x82\xd0\xbe \xd1\x82\xd0\xb5\xd1\x81\xd1\x82" \
	"\xd0\xbe\xd0\xb2\xd0\xbe\xd0\xb5 \xd0\xbf\xd0\xb8\xd1\x81\xd1\x8c" \
	"\xd0\xbc\xd0\xbe."
#define RU_CP1251 \
	"\xcf\xf0\xe8\xe2\xe5\xf2, \xec\xe8\xf0! \xdd\xf2\xee \xf2\xe5\xf1" \
	"\xf2\xee\xe2\xee\xe5 \xef\xe8\xf1\xfc\xec\xee."
#define RU_KOI8R \
	"\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2! \xfc\xd4\xcf \xd4\xc5\xd3" \
	"\xd4\xcf\xd7\xcf\xc5 \xd0\xc9\xd3\xd8\xcd\xcf."
/* "Привет" */
#define PRIVET "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"

/* The decoded bytes of the PDF attachment below. */
static const char pdf_bytes[] = "%PDF-1.4 fake pdf\0\1\2 end";
#define PDF_B64 "JVBERi0xLjQgZmFrZSBwZGYAAQIgZW5k"
#define PDF_LEN 24

static struct mail *
parse(const char *text)
{
	struct mail *m = mail_parse_bytes(text, strlen(text));

	g_assert_nonnull(m);
	return m;
}

/* Every struct mail, however bad the input, keeps these promises. */
static void
check_invariants(const struct mail *m)
{
	guint i;

	g_assert_nonnull(m);
	if (m == NULL)
		return;
	g_assert_nonnull(m->from_addr);
	g_assert_nonnull(m->from_name);
	g_assert_nonnull(m->subject);
	g_assert_nonnull(m->text);
	g_assert_nonnull(m->text_type);
	/* the marked text comes with the HTML it was made from */
	g_assert_true((m->html == NULL) == (m->html_marked == NULL));
	/* charset is set whenever GMime found a message */
	if (m->message != NULL)
		g_assert_nonnull(m->charset);
	g_assert_nonnull(m->references);
	g_assert_nonnull(m->attachments);
	if (m->from_addr != NULL)
		g_assert_true(g_utf8_validate(m->from_addr, -1, NULL));
	if (m->from_name != NULL)
		g_assert_true(g_utf8_validate(m->from_name, -1, NULL));
	if (m->subject != NULL)
		g_assert_true(g_utf8_validate(m->subject, -1, NULL));
	if (m->text != NULL)
		g_assert_true(g_utf8_validate(m->text, -1, NULL));
	g_assert_true(m->malformed == (m->malformed_why != NULL));
	for (i = 0; m->attachments != NULL && i < m->attachments->len; i++) {
		const struct mail_attachment *a =
		    g_ptr_array_index(m->attachments, i);

		g_assert_nonnull(a->content_type);
		g_assert_cmpint(a->size, >=, 0);
		if (a->filename != NULL)
			g_assert_true(g_utf8_validate(a->filename, -1, NULL));
	}
}

static const struct mail_attachment *
attachment(const struct mail *m, guint i)
{
	if (m == NULL || i >= m->attachments->len) {
		g_test_fail_printf("no attachment %u", i);
		return NULL;
	}
	return g_ptr_array_index(m->attachments, i);
}

/* ---- headers ---- */

static void
test_subject_rfc2047(void)
{
	static const struct {
		const char *header;
		const char *want;
	} cases[] = {
		{ "=?UTF-8?B?0J/RgNC40LLQtdGC?=", PRIVET },
		{ "=?utf-8?b?0J/RgNC40LLQtdGC?=", PRIVET },
		{ "=?KOI8-R?Q?=F0=D2=C9=D7=C5=D4?=", PRIVET },
		{ "=?windows-1251?Q?=CF=F0=E8=E2=E5=F2?=", PRIVET },
		{ "=?windows-1251?B?z/Do4uXy?=", PRIVET },
		{ "Re: =?UTF-8?B?0J/RgNC40LLQtdGC?= "
		  "=?UTF-8?Q?_=D0=BC=D0=B8=D1=80?=",
		  "Re: " PRIVET " \xd0\xbc\xd0\xb8\xd1\x80" },
		{ "plain ascii subject", "plain ascii subject" },
		/* undeclared 8-bit: the fallback charsets */
		{ "\xcf\xf0\xe8\xe2\xe5\xf2", PRIVET },
		{ PRIVET " raw utf-8", PRIVET " raw utf-8" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *text = g_strdup_printf(HDR "Subject: %s\n\nbody\n",
		    cases[i].header);
		struct mail *m = parse(text);

		check_invariants(m);
		if (m != NULL)
			g_assert_cmpstr(m->subject, ==, cases[i].want);
		mail_free(m);
		g_free(text);
	}
}

/*
 * Subject folded over lines comes back unfolded; a decoded subject is one
 * line of text: an encoded word that decodes to line breaks must not
 * bring them into the subject (it ends up in notice subjects, templates
 * and log lines).
 */
static void
test_subject_folding(void)
{
	struct mail *m = parse(HDR "Subject: a long subject\n"
	    "\tfolded over two lines\n\nbody\n");

	/* unfolding removes the line break; the tab shows as a space */
	if (m != NULL)
		g_assert_cmpstr(m->subject, ==,
		    "a long subject folded over two lines");
	mail_free(m);
	m = parse(HDR "Subject: =?UTF-8?B?bGluZQoKSW5qZWN0ZWQ=?=\n\nbody\n");
	check_invariants(m);
	if (m != NULL) {
		test_check_lacks(m->subject, "\n");
		test_check_lacks(m->subject, "\r");
		test_check_contains(m->subject, "Injected");
	}
	mail_free(m);
}

/*
 * Adjacent base64 words of one charset, each padded: every word counts.
 * Thunderbird, Gmail and GMime's own encoder (notice.c) write these for
 * long subjects.
 */
static void
test_subject_adjacent_b_words(void)
{
	static const struct {
		const char *header;
		const char *want;
	} cases[] = {
		{ "=?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=", "Hello world" },
		{ "=?UTF-8?B?YQ==?= =?UTF-8?B?Yg==?=", "ab" },
		{ "=?UTF-8?B?0J/RgNC40LLQtdGC?=\n =?UTF-8?B?LCDQvNC40YA=?=\n"
		  " =?UTF-8?B?IQ==?=", PRIVET ", \xd0\xbc\xd0\xb8\xd1\x80!" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *text = g_strdup_printf(HDR "Subject: %s\n\nbody\n",
		    cases[i].header);
		struct mail *m = parse(text);

		if (m != NULL)
			g_assert_cmpstr(m->subject, ==, cases[i].want);
		mail_free(m);
		g_free(text);
	}
}

static void
test_from(void)
{
	struct mail *m = parse("From: \"Ivan Petrov\" "
	    "<Ivan.Petrov@Example.COM>\n"
	    "Date: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: x\n\nbody\n");

	if (m != NULL) {
		g_assert_cmpstr(m->from_addr, ==, "ivan.petrov@example.com");
		g_assert_cmpstr(m->from_name, ==, "Ivan Petrov");
		g_assert_false(m->malformed);
	}
	mail_free(m);
	m = parse("From: =?UTF-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= "
	    "<IVAN@EXAMPLE.COM>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nx\n");
	if (m != NULL) {
		g_assert_cmpstr(m->from_addr, ==, "ivan@example.com");
		g_assert_cmpstr(m->from_name, ==, "\xd0\x98\xd0\xb2\xd0\xb0"
		    "\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe"
		    "\xd0\xb2");
	}
	mail_free(m);
	/* a bare address, and a group before the first mailbox */
	m = parse("From: bare@example.org\nDate: Mon, 1 Jan 2024 10:00:00 "
	    "+0000\n\nx\n");
	if (m != NULL) {
		g_assert_cmpstr(m->from_addr, ==, "bare@example.org");
		g_assert_cmpstr(m->from_name, ==, "");
	}
	mail_free(m);
	m = parse("From: Team: ; Real <real@example.org>\nDate: Mon, 1 Jan "
	    "2024 10:00:00 +0000\n\nx\n");
	if (m != NULL)
		g_assert_cmpstr(m->from_addr, ==, "real@example.org");
	mail_free(m);
}

static void
test_no_from(void)
{
	struct mail *m = parse("Subject: x\nDate: Mon, 1 Jan 2024 10:00:00 "
	    "+0000\n\nbody\n");

	check_invariants(m);
	if (m != NULL) {
		g_assert_cmpstr(m->from_addr, ==, "");
		g_assert_cmpstr(m->from_name, ==, "");
		g_assert_false(m->malformed);
	}
	mail_free(m);
	/* neither From: nor Date: */
	m = parse("Subject: x\n\nbody\n");
	check_invariants(m);
	if (m != NULL)
		g_assert_true(m->malformed);
	mail_free(m);
}

static void
test_threading_ids(void)
{
	struct mail *m = parse("From: a@b.example\n"
	    "Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
	    "Message-ID: <abc.123@mail.example>\n"
	    "In-Reply-To: <parent@desk.example>\n"
	    "References: <root@x.example> <r2@x.example>\n"
	    "\t<parent@desk.example>\n"
	    "Subject: Re: x\n\nbody\n");

	if (m == NULL)
		return;
	g_assert_cmpstr(m->message_id, ==, "abc.123@mail.example");
	g_assert_cmpstr(m->in_reply_to, ==, "parent@desk.example");
	g_assert_cmpuint(m->references->len, ==, 3);
	if (m->references->len == 3) {
		g_assert_cmpstr(g_ptr_array_index(m->references, 0), ==,
		    "root@x.example");
		g_assert_cmpstr(g_ptr_array_index(m->references, 1), ==,
		    "r2@x.example");
		g_assert_cmpstr(g_ptr_array_index(m->references, 2), ==,
		    "parent@desk.example");
	}
	mail_free(m);

	m = parse("From: a@b.example\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n"
	    "\nno ids\n");
	if (m != NULL) {
		g_assert_null(m->message_id);
		g_assert_null(m->in_reply_to);
		g_assert_cmpuint(m->references->len, ==, 0);
	}
	mail_free(m);
	/* In-Reply-To with a comment and two ids: the first id counts */
	m = parse("From: a@b.example\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n"
	    "In-Reply-To: (comment) <one@x.example> <two@x.example>\n\nx\n");
	if (m != NULL)
		g_assert_cmpstr(m->in_reply_to, ==, "one@x.example");
	mail_free(m);
}

static void
test_mail_header(void)
{
	struct mail *m = parse(HDR "X-Custom: value one\n"
	    "X-Custom: value two\nSubject: s\n\nbody\n");

	if (m != NULL) {
		g_assert_cmpstr(mail_header(m, "X-Custom"), ==, "value one");
		g_assert_cmpstr(mail_header(m, "x-custom"), ==, "value one");
		g_assert_null(mail_header(m, "X-Missing"));
	}
	mail_free(m);
}

/* ---- the body ---- */

static void
test_plain(void)
{
	struct mail *m = parse(HDR "Subject: s\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n"
	    "Hello,\n\nthe shop is down.\n");

	check_invariants(m);
	if (m == NULL)
		return;
	g_assert_cmpstr(m->text, ==, "Hello,\n\nthe shop is down.\n");
	g_assert_cmpstr(m->text_type, ==, "text/plain");
	g_assert_null(m->html);
	g_assert_cmpuint(m->attachments->len, ==, 0);
	g_assert_false(m->malformed);
	mail_free(m);
}

static void
test_alternative(void)
{
	static const char text[] = HDR "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=\"b1\"\n\n"
	    "--b1\nContent-Type: text/html; charset=utf-8\n\n"
	    "<p>the <b>HTML</b> version</p>\n"
	    "--b1\nContent-Type: text/plain; charset=utf-8\n\n"
	    "the plain version\n"
	    "--b1--\n";
	struct mail *m = parse(text);

	check_invariants(m);
	if (m == NULL)
		return;
	g_assert_cmpstr(m->text, ==, "the plain version");
	g_assert_cmpstr(m->text_type, ==, "text/plain");
	test_check_lacks(m->text, "HTML");
	g_assert_cmpuint(m->attachments->len, ==, 0);
	/* the HTML alternative is kept unparsed, for its colours */
	g_assert_null(m->html);
	g_assert_cmpstr(m->html_alternative, ==,
	    "<p>the <b>HTML</b> version</p>");
	mail_free(m);
}

static void
test_html_only(void)
{
	struct mail *m = parse(HDR "Subject: s\n"
	    "Content-Type: text/html; charset=utf-8\n\n"
	    "<html><body><p>Hello <b>world</b></p><p>Second &amp; last</p>"
	    "<blockquote>old</blockquote></body></html>\n");

	check_invariants(m);
	if (m == NULL)
		return;
	g_assert_cmpstr(m->text, ==, "Hello world\n\nSecond & last\n\nold");
	g_assert_cmpstr(m->text_type, ==, "text/html");
	test_check_contains(m->html, "<b>world</b>");
	/* the reply text's form, from the same parse (html_to_texts) */
	g_assert_cmpstr(m->html_marked, ==,
	    "Hello world\n\nSecond & last\n\n> old");
	g_assert_null(m->html_alternative);
	g_assert_cmpuint(m->attachments->len, ==, 0);
	mail_free(m);
}

static void
test_alternative_html_only(void)
{
	struct mail *m = parse(HDR "Subject: s\n"
	    "Content-Type: multipart/alternative; boundary=b\n\n"
	    "--b\nContent-Type: text/html\n\n<div>only html</div>\n"
	    "--b--\n");

	if (m != NULL) {
		g_assert_cmpstr(m->text, ==, "only html");
		g_assert_cmpstr(m->text_type, ==, "text/html");
	}
	mail_free(m);
}

static void
test_mixed_attachments(void)
{
	static const char text[] = HDR "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"mix\"\n\n"
	    "--mix\nContent-Type: text/plain; charset=utf-8\n\n"
	    "see the files\n"
	    "--mix\nContent-Type: application/pdf; name=\"report.pdf\"\n"
	    "Content-Disposition: attachment; filename=\"report.pdf\"\n"
	    "Content-Transfer-Encoding: base64\n\n" PDF_B64 "\n"
	    "--mix\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Disposition: attachment;\n"
	    " filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.txt\n\n"
	    "file text\n"
	    "--mix\nContent-Type: application/pdf;\n"
	    " name=\"=?UTF-8?B?0L7RgtGH0ZHRgi5wZGY=?=\"\n"
	    "Content-Transfer-Encoding: base64\n\n" PDF_B64 "\n"
	    "--mix\nContent-Type: Application/X-Unknown\n"
	    "Content-Disposition: attachment\n\nraw\n"
	    "--mix--\n";
	struct mail *m = parse(text);
	const struct mail_attachment *a;

	check_invariants(m);
	if (m == NULL)
		return;
	g_assert_cmpstr(m->text, ==, "see the files");
	g_assert_cmpuint(m->attachments->len, ==, 4);
	if ((a = attachment(m, 0)) != NULL) {
		g_assert_cmpstr(a->filename, ==, "report.pdf");
		g_assert_cmpstr(a->content_type, ==, "application/pdf");
		g_assert_cmpint(a->size, ==, PDF_LEN);
		g_assert_cmpint(a->fd, ==, -1);
	}
	if ((a = attachment(m, 1)) != NULL) {
		/* RFC 2231 */
		g_assert_cmpstr(a->filename, ==, "\xd0\xbe\xd1\x82\xd1\x87"
		    "\xd1\x91\xd1\x82.txt");
		g_assert_cmpstr(a->content_type, ==, "text/plain");
		/* "file text": the newline before a boundary is the
		 * boundary's (RFC 2046) */
		g_assert_cmpint(a->size, ==, 9);
	}
	if ((a = attachment(m, 2)) != NULL) {
		/* RFC 2047 in a parameter, as Outlook writes it */
		g_assert_cmpstr(a->filename, ==, "\xd0\xbe\xd1\x82\xd1\x87"
		    "\xd1\x91\xd1\x82.pdf");
		g_assert_cmpint(a->size, ==, PDF_LEN);
	}
	if ((a = attachment(m, 3)) != NULL) {
		g_assert_null(a->filename);
		g_assert_cmpstr(a->content_type, ==, "application/x-unknown");
		g_assert_cmpint(a->size, ==, 3);
	}
	mail_free(m);
}

/*
 * A text part that holds binary is a file, not text: a PNG labelled
 * text/plain; charset=ISO-8859-1 (NUL bytes), and bytes a fifth of which
 * are C0 controls without any NUL. A text with a stray ESC stays text,
 * and so does UTF-16, NULs and all, ISO-2022-JP, whose every line
 * shifts with ESC $ B and ESC ( B, ISO-2022-KR (SO, SI) and ISO-2022-CN
 * (ESC N before a character of the second set).
 */
static void
test_binary_text_part(void)
{
	static const char png[] = HDR "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=ISO-8859-1\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ\n";
	static const char mixed[] = HDR "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	    "--b\nContent-Type: text/plain; charset=utf-8\n\n"
	    "the log is attached\n"
	    "--b\nContent-Type: text/plain; charset=us-ascii\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "YWIBAmFiAQJhYgECYWIBAmFiAQJhYgECYWIBAmFiAQJhYgECYWIBAg==\n"
	    "--b\nContent-Type: text/plain; charset=utf-8\n\n"
	    "a pasted log line \x1b[31mred\x1b[0m and more of the text here,"
	    " long enough\n"
	    "--b\nContent-Type: text/plain; charset=utf-16le\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "SABlAGwAbABvACwAIAB3AG8AcgBsAGQA\n"
	    "--b--\n";
	struct mail *m = parse(png);
	const struct mail_attachment *a;

	check_invariants(m);
	g_assert_cmpstr(m->text, ==, "");
	g_assert_cmpuint(m->attachments->len, ==, 1);
	if ((a = attachment(m, 0)) != NULL) {
		g_assert_cmpstr(a->content_type, ==, "text/plain");
		g_assert_cmpint(a->size, ==, 33);
	}
	mail_free(m);

	m = parse(HDR "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=ISO-2022-JP\n\n"
	    "\x1b$B$*@$OC$K$J$C$F$*$j$^$9!#\x1b(B\n"
	    "\x1b$B2hA|$O\x1b(B 1.2MB \x1b$B$N\x1b(B JPEG "
	    "\x1b$B$G$9!#\x1b(B\n");
	check_invariants(m);
	test_check_contains(m->text, "お世話になっております。");
	test_check_contains(m->text, "画像は 1.2MB の JPEG です。");
	g_assert_cmpuint(m->attachments->len, ==, 0);
	mail_free(m);

	/* ISO-2022-KR: SO and SI are its shifts, not controls */
	m = parse(HDR "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=ISO-2022-KR\n\n"
	    "\x1b$)C\x0e>H3gGO<<?d\x0f. \x0e" "FD@O@;\x0f \x0e" "C7:NGU4O4Y\x0f.\n"
	    "\x0e" "0(;gGU4O4Y\x0f.\n");
	check_invariants(m);
	test_check_contains(m->text, "안녕하세요. 파일을 첨부합니다.");
	test_check_contains(m->text, "감사합니다.");
	g_assert_cmpuint(m->attachments->len, ==, 0);
	mail_free(m);

	/* ISO-2022-CN: ESC N (SS2) before each character of CNS plane 2,
	 * as RFC 1922 writes it, is no control either */
	m = parse(HDR "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=ISO-2022-CN\n\n"
	    "\x1b$)A\x0e" "2?JW#:\x1b$*H\x1bN!!\x1bN\"j\x1bN!g\x1bNHu#,"
	    "\x1bN!!\x1bN\"j\x1bN!g\x1bNHu!#\x0f\n");
	check_invariants(m);
	test_check_contains(m->text, "部首：乂艸禸黽，乂艸禸黽。");
	g_assert_cmpuint(m->attachments->len, ==, 0);
	mail_free(m);

	m = parse(mixed);
	check_invariants(m);
	test_check_contains(m->text, "the log is attached");
	test_check_contains(m->text, "a pasted log line \x1b[31mred");
	test_check_contains(m->text, "Hello, world");
	test_check_lacks(m->text, "ab\x01");
	g_assert_cmpuint(m->attachments->len, ==, 1);
	if ((a = attachment(m, 0)) != NULL) {
		g_assert_cmpstr(a->content_type, ==, "text/plain");
		g_assert_cmpint(a->size, ==, 40);
	}
	mail_free(m);
}

/*
 * format=flowed (RFC 3676): the one space a sender stuffs before a line
 * that begins with a space, "From " or a ">" that is no quote comes off;
 * a soft break (a line ending in a space) joins the next line of the
 * same quote depth, its space dropped with DelSp=yes; "-- ", another
 * depth and an empty line end a paragraph; a part that is not flowed
 * keeps its lines and spaces.
 */
static void
test_flowed_decoded(void)
{
	static const char flowed[] = HDR "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8; Format=Flowed\n\n"
	    "The import stops at row 120 \n"
	    "since the update.\n"
	    "The log says:\n"
	    "    2026-11-25 ERROR import\n"
	    " From the second server too \n"
	    "\n"
	    " >not a quote\n"
	    "> On Tue, Help Desk wrote: \n"
	    ">> an old \n"
	    ">> line\n"
	    "-- \n"
	    "Bob\n";
	static const char delsp[] = HDR "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8; format=flowed; "
	    "delsp=yes\n\n"
	    "Lizenz-\r\n"
	    "schl\xc3\xbc \r\n"
	    "ssel\r\n";
	static const char fixed[] = HDR "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n\n"
	    "The log says: \n"
	    "    2026-11-25 ERROR import\n";
	struct mail *m = parse(flowed);

	check_invariants(m);
	test_check_contains(m->text, "The import stops at row 120 since the "
	    "update.\nThe log says:\n   2026-11-25 ERROR import\n"
	    "From the second server too \n\n>not a quote\n"
	    "> On Tue, Help Desk wrote: \n>> an old line\n-- \nBob");
	mail_free(m);
	m = parse(delsp);
	check_invariants(m);
	test_check_contains(m->text, "Lizenz-\nschlüssel");
	mail_free(m);
	m = parse(fixed);
	check_invariants(m);
	test_check_contains(m->text, "The log says: \n    2026-11-25 ERROR "
	    "import");
	mail_free(m);
}

static void
test_inline_image(void)
{
	static const char text[] = HDR "Subject: s\n"
	    "Content-Type: multipart/related; boundary=rel\n\n"
	    "--rel\nContent-Type: text/html; charset=utf-8\n\n"
	    "<p>look: <img src=\"cid:img1\" alt=\"chart\"></p>\n"
	    "--rel\nContent-Type: image/png\nContent-ID: <img1>\n"
	    "Content-Disposition: inline\n"
	    "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
	    "--rel--\n";
	struct mail *m = parse(text);
	const struct mail_attachment *a;

	check_invariants(m);
	if (m == NULL)
		return;
	g_assert_cmpstr(m->text, ==, "look: [chart]");
	g_assert_cmpuint(m->attachments->len, ==, 1);
	if ((a = attachment(m, 0)) != NULL) {
		g_assert_cmpstr(a->content_type, ==, "image/png");
		g_assert_cmpint(a->size, ==, 8);
	}
	mail_free(m);
}

/*
 * The usual shape of a mail with pictures in it (Apple Mail, Outlook):
 * alternative { text/plain, related { text/html, image } }. The text is
 * the plain part; the picture is a file; the HTML alternative is the
 * same text again, not a file of the mail.
 */
static void
test_alternative_related(void)
{
	static const char text[] = HDR "Subject: s\n"
	    "Content-Type: multipart/alternative; boundary=alt\n\n"
	    "--alt\nContent-Type: text/plain; charset=utf-8\n\n"
	    "plain with a picture\n"
	    "--alt\nContent-Type: multipart/related; boundary=rel\n\n"
	    "--rel\nContent-Type: text/html; charset=utf-8\n\n"
	    "<p>html with a picture <img src=\"cid:p\"></p>\n"
	    "--rel\nContent-Type: image/png; name=\"p.png\"\n"
	    "Content-ID: <p>\nContent-Transfer-Encoding: base64\n\n"
	    "iVBORw0KGgo=\n"
	    "--rel--\n"
	    "--alt--\n";
	struct mail *m = parse(text);
	guint i;

	check_invariants(m);
	if (m == NULL)
		return;
	g_assert_cmpstr(m->text, ==, "plain with a picture");
	g_assert_cmpstr(m->text_type, ==, "text/plain");
	for (i = 0; i < m->attachments->len; i++) {
		const struct mail_attachment *a = attachment(m, i);

		g_test_message("attachment %u: %s %s", i, a->content_type,
		    a->filename ? a->filename : "(no name)");
	}
	g_assert_cmpuint(m->attachments->len, ==, 1);
	if (m->attachments->len > 0)
		g_assert_cmpstr(attachment(m, 0)->content_type, ==,
		    "image/png");
	mail_free(m);
}

static void
test_rfc822_attachment(void)
{
	static const char text[] = HDR "Subject: Fwd: order\n"
	    "Content-Type: multipart/mixed; boundary=out\n\n"
	    "--out\nContent-Type: text/plain\n\nforwarding this\n"
	    "--out\nContent-Type: message/rfc822\n\n"
	    "From: shop@vendor.example\nSubject: Your order\n"
	    "Date: Sun, 31 Dec 2023 09:00:00 +0000\n\n"
	    "inner body text\n"
	    "--out--\n";
	struct mail *m = parse(text);
	const struct mail_attachment *a;

	check_invariants(m);
	if (m == NULL)
		return;
	g_assert_cmpstr(m->text, ==, "forwarding this");
	test_check_lacks(m->text, "inner body");
	g_assert_cmpuint(m->attachments->len, ==, 1);
	if ((a = attachment(m, 0)) != NULL) {
		g_assert_cmpstr(a->content_type, ==, "message/rfc822");
		g_assert_cmpstr(a->filename, ==, "message.eml");
		g_assert_cmpint(a->size, >, 40);
	}
	mail_free(m);
}

static void
test_only_attachment(void)
{
	struct mail *m = parse(HDR "Subject: s\n"
	    "Content-Type: application/pdf; name=a.pdf\n"
	    "Content-Transfer-Encoding: base64\n\n" PDF_B64 "\n");

	check_invariants(m);
	if (m != NULL) {
		g_assert_cmpstr(m->text, ==, "");
		g_assert_cmpstr(m->text_type, ==, "none");
		g_assert_cmpuint(m->attachments->len, ==, 1);
	}
	mail_free(m);
}

static void
test_nul_in_text(void)
{
	static const char text[] = HDR "Subject: s\n"
	    "Content-Type: text/plain; charset=utf-8\n\nab\0cd\n";
	struct mail *m = mail_parse_bytes(text, sizeof(text) - 1);

	check_invariants(m);
	if (m != NULL)
		g_assert_cmpstr(m->text, ==, "abcd\n");
	mail_free(m);
}

/* mail_text_to_utf8 drops NUL bytes and keeps what follows them. */
static void
test_text_to_utf8_nul(void)
{
	static const char *const charsets[] = {
		"utf-8", "windows-1251", NULL,
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(charsets); i++) {
		char *how = NULL;
		char *out = mail_text_to_utf8("ab\0cd", 5, charsets[i], &how);

		g_test_message("%s: %s", charsets[i] ? charsets[i] : "none",
		    how);
		g_assert_cmpstr(out, ==, "abcd");
		g_free(out);
		g_free(how);
	}
}

/* ---- charsets ---- */

static void
check_charset(const char *headers, const char *body, const char *want_text,
    const char *want_charset)
{
	char *text = g_strdup_printf(HDR "Subject: s\n%s\n%s", headers, body);
	struct mail *m = parse(text);

	check_invariants(m);
	if (m != NULL) {
		g_test_message("charset %s", m->charset);
		g_assert_cmpstr(m->text, ==, want_text);
		g_assert_cmpstr(m->charset, ==, want_charset);
	}
	mail_free(m);
	g_free(text);
}

static void
test_charset_declared(void)
{
	check_charset("Content-Type: text/plain; charset=windows-1251\n"
	    "Content-Transfer-Encoding: 8bit\n", RU_CP1251 "\n",
	    RU_UTF8 "\n", "declared:windows-1251");
	check_charset("Content-Type: text/plain; charset=\"KOI8-R\"\n"
	    "Content-Transfer-Encoding: 8bit\n", RU_KOI8R "\n",
	    RU_UTF8 "\n", "declared:koi8-r");
	check_charset("Content-Type: text/plain; charset=koi8-r\n"
	    "Content-Transfer-Encoding: quoted-printable\n",
	    "=F0=D2=C9=D7=C5=D4\n", PRIVET "\n", "declared:koi8-r");
	check_charset("Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n", "0J/RgNC40LLQtdGC\n",
	    PRIVET, "declared:utf-8");
}

/* A Cyrillic ISO charset, and a label in another case. */
static void
test_charset_declared_iso(void)
{
	check_charset("Content-Type: text/plain; charset=ISO-8859-5\n"
	    "Content-Transfer-Encoding: 8bit\n",
	    "\xbf\xe0\xd8\xd2\xd5\xe2\n", PRIVET "\n", "declared:iso-8859-5");
}

/*
 * Charset names iconv does not know but mail carries: Python 2's
 * "eucgb2312_cn" for GB2312, in a header's encoded words and as a
 * part's charset; Java's "x-gbk". The text is read as the charset it is
 * (the part reports the name it declared).
 */
static void
test_charset_aliases(void)
{
	struct mail *m = parse("From: =?eucgb2312_cn?b?zfXOsA==?= "
	    "<wang@x.example>\nTo: s@desk.test\n"
	    "Subject: =?x-gbk?b?0O2/ydak0tG8pLvu?=\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=\"eucgb2312_cn\"\n"
	    "Content-Transfer-Encoding: base64\n\n0O2/ydak0tG8pLvu\n");

	check_invariants(m);
	if (m == NULL)
		return;
	g_assert_cmpstr(m->from_name, ==, "王伟");
	g_assert_cmpstr(m->subject, ==, "许可证已激活");
	test_check_contains(m->text, "许可证已激活");
	g_assert_cmpstr(m->charset, ==, "declared:eucgb2312_cn");
	mail_free(m);
	/* an RFC 2231 language after the name; the address stays GMime's,
	 * whatever the rest of the field holds */
	m = parse("From: =?x-gbk*zh-CN?b?zfXOsA==?= <Wang@X.example> "
	    "(via <list@y.example>)\nTo: s@desk.test\nSubject: s\n\nhi\n");
	check_invariants(m);
	if (m == NULL)
		return;
	g_assert_cmpstr(m->from_name, ==, "王伟");
	g_assert_cmpstr(m->from_addr, ==, "wang@x.example");
	mail_free(m);
}

static void
test_charset_guessed(void)
{
	check_charset("Content-Transfer-Encoding: 8bit\n", RU_CP1251 "\n",
	    RU_UTF8 "\n", "guessed:windows-1251");
	check_charset("Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: 8bit\n", RU_KOI8R "\n",
	    RU_UTF8 "\n", "guessed:koi8-r");
	/* undeclared valid UTF-8 is taken as UTF-8 */
	check_charset("Content-Transfer-Encoding: 8bit\n", RU_UTF8 "\n",
	    RU_UTF8 "\n", "assumed:utf-8");
}

/*
 * Text declared UTF-8 with one bad byte is repaired: the bad byte is
 * replaced, the rest (valid UTF-8 Cyrillic) stays as written, not
 * re-read as a single-byte charset.
 */
static void
test_charset_repaired(void)
{
	char *text = g_strdup_printf(HDR "Subject: s\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n%s\n",
	    RU_UTF8 " \xff " PRIVET);
	struct mail *m = parse(text);

	check_invariants(m);
	if (m != NULL) {
		g_test_message("charset %s text %s", m->charset, m->text);
		test_check_contains(m->text, RU_UTF8);
		test_check_contains(m->text, PRIVET);
		g_assert_cmpstr(m->charset, ==, "repaired");
	}
	mail_free(m);
	g_free(text);
}

static void
test_text_to_utf8(void)
{
	char *how = NULL, *out;

	out = mail_text_to_utf8(RU_CP1251, strlen(RU_CP1251), "cp1251", &how);
	g_assert_cmpstr(out, ==, RU_UTF8);
	g_assert_true(g_str_has_prefix(how, "declared:"));
	g_free(out);
	g_free(how);
	out = mail_text_to_utf8("plain", 5, NULL, &how);
	g_assert_cmpstr(out, ==, "plain");
	g_assert_cmpstr(how, ==, "assumed:utf-8");
	g_free(out);
	g_free(how);
	out = mail_text_to_utf8("plain", 5, "us-ascii", &how);
	g_assert_cmpstr(out, ==, "plain");
	g_assert_cmpstr(how, ==, "declared:us-ascii");
	g_free(out);
	g_free(how);
	/* an unknown charset does not stop valid text */
	out = mail_text_to_utf8(RU_UTF8, strlen(RU_UTF8), "x-no-such-charset",
	    &how);
	g_assert_cmpstr(out, ==, RU_UTF8);
	g_assert_true(g_utf8_validate(out, -1, NULL));
	g_free(out);
	g_free(how);
	/* LEN bounds the input; bytes after it are not read */
	out = mail_text_to_utf8("abcdef", 3, NULL, &how);
	g_assert_cmpstr(out, ==, "abc");
	g_free(out);
	g_free(how);
}

/* ---- bad mail ---- */

static void
test_empty_input(void)
{
	struct mail *m = mail_parse_bytes("", 0);

	check_invariants(m);
	if (m != NULL)
		g_assert_true(m->malformed || *m->text == '\0');
	mail_free(m);
}

static void
test_garbage(void)
{
	static const char *const inputs[] = {
		"\x00\x01\x02\x03\x04\x05",
		"no colon here at all\njust text\n",
		":\n:\n:\n\n",
		"From:\nDate:\nContent-Type:\n\n",
		"Content-Type: multipart/mixed\n\nno boundary parameter\n",
		"Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\n--\n",
		"Content-Type: multipart/mixed; boundary=x\n\n--x\n"
		    "Content-Type: text/plain\n\nunterminated",
		"Content-Type: text/plain; charset=\"\n\nbroken quote\n",
		"Content-Transfer-Encoding: base64\n\n!!!not base64!!!\n",
		"Content-Transfer-Encoding: quoted-printable\n\n=ZZ=\n=",
		"Subject: =?utf-8?B?####?= =?bogus?Q?x?= =?utf-8?Q?=FF?=\n\nx",
		"From: <<<@@@>>>\nTo: ,,,;;;\n\nx\n",
		"\n\n\n\n",
		"\r\n\r\n",
		"Subject: \xff\xfe\xfd\n\n\xff\xfe\n",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(inputs); i++) {
		size_t len = i == 0 ? 6 : strlen(inputs[i]);
		struct mail *m = mail_parse_bytes(inputs[i], len);

		check_invariants(m);
		mail_free(m);
	}
}

static void
test_random_bytes(void)
{
	GRand *rand = g_rand_new_with_seed(7);
	int round;

	for (round = 0; round < 200; round++) {
		gsize len = g_rand_int_range(rand, 0, 3000), i;
		char *buf = g_malloc(len + 1);
		struct mail *m;

		for (i = 0; i < len; i++)
			buf[i] = (char)g_rand_int_range(rand, 0, 256);
		m = mail_parse_bytes(buf, len);
		check_invariants(m);
		mail_free(m);
		g_free(buf);
	}
	g_rand_free(rand);
}

static void
test_deep_nesting(void)
{
	GString *s = g_string_new(HDR "Subject: deep\n");
	struct mail *m;
	int i;

	for (i = 0; i < 200; i++)
		g_string_append_printf(s, "Content-Type: multipart/mixed; "
		    "boundary=b%d\n\n--b%d\n", i, i);
	g_string_append(s, "Content-Type: text/plain\n\ndeep text\n");
	for (i = 199; i >= 0; i--)
		g_string_append_printf(s, "--b%d--\n", i);
	m = mail_parse_bytes(s->str, s->len);
	check_invariants(m);
	if (m != NULL)
		g_assert_cmpint(m->warnings, >, 0);
	mail_free(m);
	g_string_free(s, TRUE);
}

static void
test_many_parts(void)
{
	GString *s = g_string_new(HDR "Subject: many\n"
	    "Content-Type: multipart/mixed; boundary=m\n\n");
	struct mail *m;
	int i;

	for (i = 0; i < 1500; i++)
		g_string_append_printf(s, "--m\nContent-Type: application/"
		    "octet-stream; name=f%d.bin\n\nx\n", i);
	g_string_append(s, "--m--\n");
	m = mail_parse_bytes(s->str, s->len);
	check_invariants(m);
	if (m != NULL) {
		g_assert_cmpuint(m->attachments->len, <=, 1000);
		g_assert_cmpint(m->warnings, >, 0);
	}
	mail_free(m);
	g_string_free(s, TRUE);
}

/* ---- [limits] ---- */

/* The what of the over_limit entry KEY, or NULL. */
static const char *
over(const struct mail *m, const char *key)
{
	guint i;

	for (i = 0; i < m->over_limit->len; i++) {
		const struct mail_over_limit *o = g_ptr_array_index(
		    m->over_limit, i);

		if (strcmp(o->key, key) == 0)
			return o->what;
	}
	return NULL;
}

static struct mail *
parse_limited(const GString *s, const struct mail_limits *l)
{
	struct mail *m = mail_parse_bytes_limited(s->str, s->len, l);

	check_invariants(m);
	return m;
}

static void
test_limits_none(void)
{
	struct mail *m = parse(HDR "Subject: fine\n"
	    "Content-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: text/plain\n\nhello\n-- \nBob\n"
	    "--m\nContent-Type: application/pdf; name=a.pdf\n\nx\n--m--\n");

	check_invariants(m);
	g_assert_cmpuint(m->over_limit->len, ==, 0);
	g_assert_null(mail_over_limit_keys(m));
	mail_free(m);
}

static void
test_limits_depth(void)
{
	GString *s = g_string_new(HDR "Subject: deep\n");
	struct mail_limits l;
	struct mail *m;
	char *keys;
	int i;

	mail_limits_default(&l);
	l.max_depth = 5;
	for (i = 0; i < 10; i++)
		g_string_append_printf(s, "Content-Type: multipart/mixed; "
		    "boundary=b%d\n\n--b%d\n", i, i);
	g_string_append(s, "Content-Type: text/plain\n\ndeep text\n");
	for (i = 9; i >= 0; i--)
		g_string_append_printf(s, "--b%d--\n", i);
	m = parse_limited(s, &l);
	g_assert_cmpstr(m->text, ==, "");
	g_assert_nonnull(over(m, "max_depth"));
	keys = mail_over_limit_keys(m);
	g_assert_cmpstr(keys, ==, "max_depth");
	g_free(keys);
	mail_free(m);
	l.max_depth = 10;
	m = parse_limited(s, &l);
	g_assert_cmpstr(m->text, ==, "deep text");
	g_assert_null(over(m, "max_depth"));
	mail_free(m);
	g_string_free(s, TRUE);
}

static void
test_limits_parts(void)
{
	GString *s = g_string_new(HDR "Subject: many\n"
	    "Content-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: text/plain\n\nfirst\n");
	struct mail_limits l;
	struct mail *m;
	int i;

	mail_limits_default(&l);
	l.max_parts = 20;
	l.max_attachments = 5;
	for (i = 0; i < 100; i++)
		g_string_append_printf(s, "--m\nContent-Type: application/"
		    "octet-stream; name=f%d.bin\n\nx\n", i);
	g_string_append(s, "--m--\n");
	m = parse_limited(s, &l);
	g_assert_cmpstr(m->text, ==, "first");
	g_assert_cmpuint(m->attachments->len, ==, 5);
	/* 20 parts: the multipart, the text, 18 files, 13 of them unkept */
	test_check_contains(over(m, "max_parts"), "82 not read");
	test_check_contains(over(m, "max_attachments"), "13 attachments");
	/* 10 lines of "--" a part: 200 here, the parser stops at the 201st */
	g_assert_null(strstr(over(m, "max_parts"), "byte"));
	mail_free(m);
	l.max_parts = 5;
	m = parse_limited(s, &l);
	test_check_contains(over(m, "max_parts"), "more than 50 lines begin");
	mail_free(m);
	g_string_free(s, TRUE);
}

/* A long field is cut; the fields after it and the body are read. */
static void
test_limits_header_line(void)
{
	static const char *const ends[] = { "\n", "\r\n" };
	struct mail_limits l;
	size_t e;

	mail_limits_default(&l);
	l.max_header_line = 1024;
	for (e = 0; e < G_N_ELEMENTS(ends); e++) {
		const char *nl = ends[e];
		GString *s = g_string_new(NULL);
		struct mail *m;
		int i;

		g_string_append_printf(s, "From: Ivan <ivan@example.com>%s"
		    "Subject: ", nl);
		for (i = 0; i < 5000; i++)
			g_string_append(s, "word ");
		g_string_append_printf(s, "%sX-Folded: a%s", nl, nl);
		for (i = 0; i < 3000; i++)
			g_string_append_printf(s, " folded line %d%s", i, nl);
		g_string_append_printf(s, "Date: Mon, 1 Jan 2024 10:00:00 "
		    "+0000%sMessage-ID: <long@example.com>%s%sthe body%s", nl,
		    nl, nl, nl);
		m = parse_limited(s, &l);
		g_assert_cmpint(strlen(m->subject), <=, 1024);
		g_assert_cmpint(strlen(m->subject), >, 900);
		g_assert_cmpstr(m->from_addr, ==, "ivan@example.com");
		g_assert_cmpstr(m->message_id, ==, "long@example.com");
		g_assert_nonnull(mail_header(m, "Date"));
		g_assert_cmpint(strlen(mail_header(m, "X-Folded")), <=, 1024);
		test_check_contains(m->text, "the body");
		test_check_contains(over(m, "max_header_line"),
		    "2 header fields longer than 1024 bytes");
		test_check_contains(over(m, "max_header_line"), "Subject");
		g_assert_false(m->malformed);
		mail_free(m);
		g_string_free(s, TRUE);
	}
}

static void
test_limits_headers(void)
{
	GString *s = g_string_new(HDR "Subject: headers\n");
	struct mail_limits l;
	struct mail *m;
	int i;

	mail_limits_default(&l);
	l.max_headers = 100;
	for (i = 0; i < 5000; i++)
		g_string_append_printf(s, "X-H%d: v\n", i);
	g_string_append(s, "\nbody\n");
	m = parse_limited(s, &l);
	g_assert_false(m->malformed);
	g_assert_cmpstr(m->subject, ==, "headers");
	g_assert_cmpstr(m->from_addr, ==, "ivan@example.com");
	test_check_contains(over(m, "max_headers"), "more than 100");
	g_assert_nonnull(mail_header(m, "X-H90"));
	g_assert_null(mail_header(m, "X-H4999"));
	mail_free(m);
	/* the bytes of all of them */
	l.max_headers = 100000;
	l.max_header_size = 16 * 1024;
	m = parse_limited(s, &l);
	test_check_contains(over(m, "max_header_size"), "more than 16384");
	g_assert_null(over(m, "max_headers"));
	mail_free(m);
	g_string_free(s, TRUE);
}

static void
test_limits_text(void)
{
	GString *s = g_string_new(HDR "Subject: text\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n\n");
	GString *text = g_string_new(NULL);
	struct mail_limits l;
	struct mail *m;
	char *b64;
	int i;

	mail_limits_default(&l);
	l.max_text_size = 64 * 1024;
	for (i = 0; i < 20000; i++)
		g_string_append(text, "0123456789\n");
	b64 = g_base64_encode((const guchar *)text->str, text->len);
	for (i = 0; (size_t)i < strlen(b64); i += 76)
		g_string_append_printf(s, "%.76s\n", b64 + i);
	m = parse_limited(s, &l);
	g_assert_cmpint(strlen(m->text), ==, 64 * 1024);
	g_assert_true(g_str_has_prefix(m->text, "0123456789\n0123"));
	test_check_contains(over(m, "max_text_size"), "65536");
	mail_free(m);
	/* a text exactly at the limit is not cut */
	l.max_text_size = (int64_t)text->len;
	m = parse_limited(s, &l);
	g_assert_cmpint(strlen(m->text), ==, text->len);
	g_assert_null(over(m, "max_text_size"));
	mail_free(m);
	g_free(b64);
	g_string_free(text, TRUE);
	g_string_free(s, TRUE);
}

/* ---- mail_parse on a file ---- */

/* No file may be left behind in the directory. */
static void
tmp_setup(struct test_tmp *t, gconstpointer data)
{
	test_tmp_init(t, "test-mime-XXXXXX", NULL, "temporary directory");
}

static void
check_fd_content(int fd, const void *want, size_t len)
{
	char *buf = g_malloc(len + 16);
	struct stat st;
	ssize_t n;

	g_assert_cmpint(fd, >=, 0);
	if (fd < 0)
		goto out;
	g_assert_cmpint(lseek(fd, 0, SEEK_CUR), ==, 0);
	g_assert_cmpint(fstat(fd, &st), ==, 0);
	g_assert_cmpint(st.st_nlink, ==, 0);
	n = read(fd, buf, len + 16);
	g_assert_cmpint(n, ==, (ssize_t)len);
	if (n == (ssize_t)len)
		g_assert_cmpmem(buf, len, want, len);
out:
	g_free(buf);
}

static void
test_parse_fd(struct test_tmp *t, gconstpointer data)
{
	static const char text[] = HDR "Subject: files\n"
	    "Content-Type: multipart/mixed; boundary=mix\n\n"
	    "--mix\nContent-Type: text/plain; charset=koi8-r\n"
	    "Content-Transfer-Encoding: 8bit\n\n" RU_KOI8R "\n"
	    "--mix\nContent-Type: application/pdf; name=report.pdf\n"
	    "Content-Transfer-Encoding: base64\n\n" PDF_B64 "\n"
	    "--mix\nContent-Type: text/csv; name=data.csv\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "a,b=3Dc\n1,2\n"
	    "--mix\nContent-Type: message/rfc822\n\n"
	    "From: x@y.example\nSubject: inner\n\ninner text\n"
	    "--mix--\n";
	GError *error = NULL;
	int fd = test_unlinked_file(t->dir, text, sizeof(text) - 1);
	struct mail *m = mail_parse(fd, t->dir, NULL, &error);
	const struct mail_attachment *a;

	g_assert_no_error(error);
	check_invariants(m);
	if (m == NULL)
		goto out;
	g_assert_cmpstr(m->text, ==, RU_UTF8);
	g_assert_cmpstr(m->charset, ==, "declared:koi8-r");
	g_assert_cmpuint(m->attachments->len, ==, 3);
	if ((a = attachment(m, 0)) != NULL) {
		g_assert_cmpint(a->size, ==, PDF_LEN);
		check_fd_content(a->fd, pdf_bytes, PDF_LEN);
	}
	if ((a = attachment(m, 1)) != NULL) {
		g_assert_cmpstr(a->filename, ==, "data.csv");
		g_assert_cmpint(a->size, ==, 9);
		check_fd_content(a->fd, "a,b=c\n1,2", 9);
	}
	if ((a = attachment(m, 2)) != NULL) {
		char buf[64] = "";
		ssize_t n;

		g_assert_cmpstr(a->content_type, ==, "message/rfc822");
		g_assert_cmpint(a->fd, >=, 0);
		n = a->fd >= 0 ? read(a->fd, buf, sizeof(buf) - 1) : -1;
		g_assert_cmpint(n, >, 0);
		test_check_contains(buf, "Subject: inner");
	}
	/* the attachment files outlive the parse: read them again */
	if ((a = attachment(m, 0)) != NULL && a->fd >= 0) {
		g_assert_cmpint(lseek(a->fd, 0, SEEK_SET), ==, 0);
		check_fd_content(a->fd, pdf_bytes, PDF_LEN);
	}
out:
	mail_free(m);
	close(fd);
}

static void
test_parse_fd_offset(struct test_tmp *t, gconstpointer data)
{
	static const char text[] = HDR "Subject: offset\n\nbody\n";
	int fd = test_unlinked_file(t->dir, text, sizeof(text) - 1);
	struct mail *m;

	/* the descriptor is at its end: mail_parse reads from offset 0 */
	m = mail_parse(fd, NULL, NULL, NULL);
	check_invariants(m);
	if (m != NULL) {
		g_assert_cmpstr(m->subject, ==, "offset");
		g_assert_cmpstr(m->text, ==, "body\n");
	}
	mail_free(m);
	close(fd);
}

static void
test_parse_fd_no_tmpdir(struct test_tmp *t, gconstpointer data)
{
	static const char text[] = HDR "Subject: s\n"
	    "Content-Type: application/pdf; name=a.pdf\n"
	    "Content-Transfer-Encoding: base64\n\n" PDF_B64 "\n";
	char *missing = g_build_filename(t->dir, "missing", NULL);
	GError *error = NULL;
	int fd = test_unlinked_file(t->dir, text, sizeof(text) - 1);
	struct mail *m = mail_parse(fd, missing, NULL, &error);

	/* no room for the attachment: transient, the mail waits */
	g_assert_null(m);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
	g_clear_error(&error);
	mail_free(m);
	close(fd);
	g_free(missing);
}

static void
test_parse_bad_fd(void)
{
	GError *error = NULL;
	struct mail *m = mail_parse(-1, NULL, NULL, &error);

	g_assert_null(m);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
	g_clear_error(&error);
	mail_free(m);
}

/* A file over max_attachment_size is not kept; the others are. */
static void
test_limits_attachment_size(struct test_tmp *t, gconstpointer data)
{
	GString *s = g_string_new(HDR "Subject: sizes\n"
	    "Content-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: text/plain\n\nsee the files\n"
	    "--m\nContent-Type: application/pdf; name=small.pdf\n"
	    "Content-Transfer-Encoding: base64\n\n" PDF_B64 "\n"
	    "--m\nContent-Type: application/zip; name=big.zip\n\n");
	struct mail_limits l;
	GError *error = NULL;
	struct mail *m;
	int fd, i;

	for (i = 0; i < 2000; i++)
		g_string_append(s, "0123456789abcdef\n");
	g_string_append(s, "--m--\n");
	fd = test_unlinked_file(t->dir, s->str, s->len);
	mail_limits_default(&l);
	l.max_attachment_size = 1000;
	m = mail_parse(fd, t->dir, &l, &error);
	g_assert_no_error(error);
	check_invariants(m);
	if (m != NULL) {
		g_assert_cmpuint(m->attachments->len, ==, 1);
		if (attachment(m, 0) != NULL)
			g_assert_cmpstr(attachment(m, 0)->filename, ==,
			    "small.pdf");
		test_check_contains(over(m, "max_attachment_size"),
		    "1 attachment larger than 1000 bytes not kept (the "
		    "first: big.zip)");
		g_assert_cmpstr(m->text, ==, "see the files");
	}
	mail_free(m);
	close(fd);
	g_string_free(s, TRUE);
}

/* A header field cut in a file: GMime reads a copy, the file is whole. */
static void
test_limits_view_fd(struct test_tmp *t, gconstpointer data)
{
	GString *s = g_string_new(HDR "Subject: ");
	struct mail_limits l;
	GError *error = NULL;
	struct mail *m;
	struct stat st;
	int fd, i;

	for (i = 0; i < 1000; i++)
		g_string_append(s, "long ");
	g_string_append(s, "\nContent-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: text/plain\n\ntext\n"
	    "--m\nContent-Type: application/pdf; name=a.pdf\n"
	    "Content-Transfer-Encoding: base64\n\n" PDF_B64 "\n--m--\n");
	fd = test_unlinked_file(t->dir, s->str, s->len);
	mail_limits_default(&l);
	l.max_header_line = 1024;
	m = mail_parse(fd, t->dir, &l, &error);
	g_assert_no_error(error);
	check_invariants(m);
	if (m != NULL) {
		g_assert_cmpint(m->view_fd, >=, 0);
		g_assert_cmpstr(m->text, ==, "text");
		g_assert_cmpuint(m->attachments->len, ==, 1);
		if (attachment(m, 0) != NULL)
			check_fd_content(attachment(m, 0)->fd, pdf_bytes,
			    PDF_LEN);
		g_assert_nonnull(over(m, "max_header_line"));
	}
	g_assert_cmpint(fstat(fd, &st), ==, 0);
	g_assert_cmpint(st.st_size, ==, (gint64)s->len);
	mail_free(m);
	close(fd);
	g_string_free(s, TRUE);
}

/* ---- classify ---- */

static struct rules *
robots_rules(void)
{
	char *path = test_srcdir_path("filters/robots.rules");
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	GError *error = NULL;
	struct rules *r;

	g_hash_table_insert(vars, (gpointer)"desk_address",
	    (gpointer)"support@desk.example");
	r = rules_load(path, vars, &error);
	g_assert_no_error(error);
	g_assert_nonnull(r);
	g_clear_error(&error);
	g_hash_table_unref(vars);
	g_free(path);
	return r;
}

static void
expect_class(struct rules *robots, const char *text, const char *sender,
    enum mail_class want)
{
	struct mail *m = parse(text);
	struct classification c = { 0 };

	if (robots == NULL || m == NULL) {
		mail_free(m);
		return;
	}
	classify_mail(robots, m, sender, &c);
	g_test_message("%s <- %s", mail_class_name(c.class), c.reason);
	if (c.class != want)
		g_test_fail_printf("class %s (%s), want %s",
		    mail_class_name(c.class), c.reason, mail_class_name(want));
	g_assert_nonnull(c.reason);
	if (want == MAIL_CLASS_HUMAN)
		g_assert_cmpstr(c.reason, ==, "human");
	else {
		test_check_contains(c.reason, "robots.rules:");
		test_check_contains(c.reason, mail_class_name(want));
	}
	classification_clear(&c);
	g_assert_null(c.reason);
	mail_free(m);
}

#define HUMAN HDR "Subject: My store is broken\n\nPlease help.\n"

static void
test_classify(void)
{
	struct rules *robots = robots_rules();

	expect_class(robots, HUMAN, "ivan@example.com", MAIL_CLASS_HUMAN);
	expect_class(robots, HDR "Auto-Submitted: auto-replied\n"
	    "Subject: Re: x\n\nI am away.\n", "ivan@example.com",
	    MAIL_CLASS_AUTOREPLY);
	expect_class(robots, HDR "Auto-Submitted: auto-generated\n"
	    "Subject: x\n\ny\n", "ivan@example.com", MAIL_CLASS_AUTOREPLY);
	expect_class(robots, HDR "Auto-Submitted: no\nSubject: x\n\ny\n",
	    "ivan@example.com", MAIL_CLASS_HUMAN);
	expect_class(robots, HDR "Auto-Submitted: No (a person)\n"
	    "Subject: x\n\ny\n", "ivan@example.com", MAIL_CLASS_HUMAN);
	expect_class(robots, HUMAN, "", MAIL_CLASS_BOUNCE);
	expect_class(robots, HDR "X-Autoreply: yes\nSubject: x\n\ny\n",
	    "ivan@example.com", MAIL_CLASS_AUTOREPLY);
	expect_class(robots, HDR "Precedence: bulk\nSubject: x\n\ny\n",
	    "ivan@example.com", MAIL_CLASS_AUTOREPLY);
	expect_class(robots, HDR "Precedence: list\nSubject: x\n\ny\n",
	    "ivan@example.com", MAIL_CLASS_LIST);
	expect_class(robots, HDR "List-Id: Developers <dev.lists.example>\n"
	    "Subject: x\n\ny\n", "dev-bounces@lists.example",
	    MAIL_CLASS_LIST);
	expect_class(robots, HDR "X-Loop: support@desk.example\n"
	    "Subject: x\n\ny\n", "ivan@example.com", MAIL_CLASS_LOOP);
	expect_class(robots, HDR "X-Loop: SUPPORT@desk.example \n"
	    "Subject: x\n\ny\n", "ivan@example.com", MAIL_CLASS_LOOP);
	expect_class(robots, HDR "X-Loop: support@deskXexample\n"
	    "Subject: x\n\ny\n", "ivan@example.com", MAIL_CLASS_HUMAN);
	expect_class(robots, "From: Help Desk <support@desk.example>\n"
	    "Date: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: x\n\ny\n",
	    "support@desk.example", MAIL_CLASS_LOOP);
	expect_class(robots, HDR "Subject: Out of Office: Re: order 42\n\n"
	    "I am away until Monday.\n", "ivan@example.com",
	    MAIL_CLASS_AUTOREPLY);
	/* a subject alone is a hint, never a robot (test-classify.c) */
	expect_class(robots, HDR "Subject: Automatic reply: question\n\nx\n",
	    "ivan@example.com", MAIL_CLASS_HUMAN);
	/* "Автоответ: Re: вопрос" */
	expect_class(robots, HDR "Subject: =?UTF-8?B?0JDQstGC0L7QvtGC0LLQtd"
	    "GCOiBSZTog0LLQvtC/0YDQvtGB?=\n\nx\n", "ivan@example.com",
	    MAIL_CLASS_HUMAN);
	expect_class(robots, "From: Mail Delivery System "
	    "<MAILER-DAEMON@mx.example>\nDate: Mon, 1 Jan 2024 10:00:00 "
	    "+0000\nSubject: Undelivered Mail\n\nx\n", "",
	    MAIL_CLASS_BOUNCE);
	rules_free(robots);
}

/* A delivery report from a sender no other rule knows. */
static void
test_classify_dsn(void)
{
	static const char text[] =
	    "From: Delivery Subsystem <delivery@relay.example>\n"
	    "To: support@desk.example\n"
	    "Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
	    "Subject: Delivery Status Notification (Failure)\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"dsn\"\n\n"
	    "--dsn\nContent-Type: text/plain\n\nDelivery failed.\n"
	    "--dsn\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; relay.example\n\n"
	    "Final-Recipient: rfc822; nobody@customer.example\n"
	    "Action: failed\nStatus: 5.1.1\n"
	    "--dsn--\n";
	struct rules *robots = robots_rules();

	expect_class(robots, text, "bounce-handler@relay.example",
	    MAIL_CLASS_BOUNCE);
	expect_class(robots, "From: Delivery <delivery@relay.example>\n"
	    "Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
	    "Subject: Delivery Status Notification\n"
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=dsn\n\n--dsn\n\nDelivery failed.\n--dsn--\n",
	    "bounce-handler@relay.example", MAIL_CLASS_BOUNCE);
	rules_free(robots);
}

/* NULL sender: not known; rules on the envelope sender do not fire. */
static void
test_classify_unknown_sender(void)
{
	struct rules *robots = robots_rules();

	expect_class(robots, HUMAN, NULL, MAIL_CLASS_HUMAN);
	expect_class(robots, HDR "Auto-Submitted: auto-replied\n"
	    "Subject: x\n\ny\n", NULL, MAIL_CLASS_AUTOREPLY);
	rules_free(robots);
}

static void
test_classify_first_match(void)
{
	char *path = test_srcdir_path("filters/assessment.rules");
	struct rules *r = rules_load(path, NULL, NULL);
	struct mail *m = parse(HDR "Subject: s\n\nPlease fix the cart.\n"
	    "Assessment: agree\nThanks\n");
	struct mail *none = parse(HUMAN);
	char *matched = NULL;
	const struct rule *rule;

	g_assert_nonnull(r);
	if (r == NULL || m == NULL || none == NULL)
		goto out;
	rule = classify_first_match(r, m, "ivan@example.com", "agree",
	    &matched);
	g_assert_nonnull(rule);
	g_assert_cmpstr(matched, ==, "Assessment: agree");
	g_free(matched);
	matched = NULL;
	g_assert_null(classify_first_match(r, m, NULL, "other-label",
	    &matched));
	g_assert_null(classify_first_match(r, none, NULL, "agree", NULL));
out:
	g_free(matched);
	mail_free(m);
	mail_free(none);
	rules_free(r);
	g_free(path);
}

static void
test_class_names(void)
{
	g_assert_cmpstr(mail_class_name(MAIL_CLASS_HUMAN), ==, "human");
	g_assert_cmpstr(mail_class_name(MAIL_CLASS_AUTOREPLY), ==,
	    "autoreply");
	g_assert_cmpstr(mail_class_name(MAIL_CLASS_BOUNCE), ==, "bounce");
	g_assert_cmpstr(mail_class_name(MAIL_CLASS_LIST), ==, "list");
	g_assert_cmpstr(mail_class_name(MAIL_CLASS_LOOP), ==, "loop");
}

#define ADD(path, fn) \
	g_test_add(path, struct test_tmp, NULL, tmp_setup, fn, \
	    test_tmp_teardown)

/* A From: whose encoded name decodes to ESC, CR, LF keeps its address. */
static void
test_from_control_name(void)
{
	static const char msg[] =
	    "From: =?utf-8?q?Evil=1B[2J=0D=0AName?= <Esc@Shop.example>\r\n"
	    "To: support@desk.test\r\nSubject: x\r\n"
	    "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nhi\r\n";
	struct mail *m = mail_parse_bytes(msg, sizeof(msg) - 1);

	g_assert_cmpstr(m->from_addr, ==, "esc@shop.example");
	test_check_contains(m->from_name, "Evil");
	test_check_lacks(m->from_name, "\x1b");
	test_check_lacks(m->from_name, "\n");
	mail_free(m);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	mail_init();
	g_test_add_func("/mime/headers/subject-rfc2047",
	    test_subject_rfc2047);
	g_test_add_func("/mime/headers/subject-one-line",
	    test_subject_folding);
	g_test_add_func("/mime/headers/subject-adjacent-b-words",
	    test_subject_adjacent_b_words);
	g_test_add_func("/mime/headers/from", test_from);
	g_test_add_func("/mime/charset/aliases", test_charset_aliases);
	g_test_add_func("/mime/headers/no-from", test_no_from);
	g_test_add_func("/mime/headers/threading-ids", test_threading_ids);
	g_test_add_func("/mime/headers/mail-header", test_mail_header);
	g_test_add_func("/mime/body/plain", test_plain);
	g_test_add_func("/mime/body/alternative", test_alternative);
	g_test_add_func("/mime/body/html-only", test_html_only);
	g_test_add_func("/mime/body/alternative-html-only",
	    test_alternative_html_only);
	g_test_add_func("/mime/body/mixed-attachments",
	    test_mixed_attachments);
	g_test_add_func("/mime/body/inline-image", test_inline_image);
	g_test_add_func("/mime/body/flowed", test_flowed_decoded);
	g_test_add_func("/mime/body/binary-text-part", test_binary_text_part);
	g_test_add_func("/mime/body/alternative-related",
	    test_alternative_related);
	g_test_add_func("/mime/body/rfc822-attachment",
	    test_rfc822_attachment);
	g_test_add_func("/mime/body/only-attachment", test_only_attachment);
	g_test_add_func("/mime/body/nul", test_nul_in_text);
	g_test_add_func("/mime/charset/declared", test_charset_declared);
	g_test_add_func("/mime/charset/declared-iso",
	    test_charset_declared_iso);
	g_test_add_func("/mime/charset/guessed", test_charset_guessed);
	g_test_add_func("/mime/charset/repaired", test_charset_repaired);
	g_test_add_func("/mime/charset/text-to-utf8", test_text_to_utf8);
	g_test_add_func("/mime/charset/text-to-utf8-nul",
	    test_text_to_utf8_nul);
	g_test_add_func("/mime/bad/empty", test_empty_input);
	g_test_add_func("/mime/bad/garbage", test_garbage);
	g_test_add_func("/mime/bad/random-bytes", test_random_bytes);
	g_test_add_func("/mime/bad/deep-nesting", test_deep_nesting);
	g_test_add_func("/mime/bad/many-parts", test_many_parts);
	g_test_add_func("/mime/limits/none", test_limits_none);
	g_test_add_func("/mime/limits/depth", test_limits_depth);
	g_test_add_func("/mime/limits/parts", test_limits_parts);
	g_test_add_func("/mime/limits/header-line", test_limits_header_line);
	g_test_add_func("/mime/limits/headers", test_limits_headers);
	g_test_add_func("/mime/limits/text", test_limits_text);
	ADD("/mime/limits/attachment-size", test_limits_attachment_size);
	ADD("/mime/limits/view-fd", test_limits_view_fd);
	ADD("/mime/fd/attachments", test_parse_fd);
	ADD("/mime/fd/offset", test_parse_fd_offset);
	ADD("/mime/fd/no-tmpdir", test_parse_fd_no_tmpdir);
	g_test_add_func("/mime/fd/bad-fd", test_parse_bad_fd);
	g_test_add_func("/mime/headers/from-control-name", test_from_control_name);
	g_test_add_func("/classify/robots", test_classify);
	g_test_add_func("/classify/dsn", test_classify_dsn);
	g_test_add_func("/classify/unknown-sender",
	    test_classify_unknown_sender);
	g_test_add_func("/classify/first-match", test_classify_first_match);
	g_test_add_func("/classify/class-names", test_class_names);
	rc = g_test_run();
	mail_shutdown();
	return rc;
}
