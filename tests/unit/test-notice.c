/*
 * test-notice.c - unit tests of notice.c: the notices deskgate writes
 * are complete, 7-bit, CRLF messages with the headers that mark them as
 * automatic (except a person's answer), and GMime reads back exactly the
 * subject, text and attached files given.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "classify.h"
#include "conf.h"
#include "error.h"
#include "mime-message.h"
#include "notice.h"
#include "rules.h"
#include "test-util.h"

#define SECRET_HEX \
	"000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f"

/* "[#42] Вопрос о доставке" */
#define RU_SUBJECT "[#42] \xd0\x92\xd0\xbe\xd0\xbf\xd1\x80\xd0\xbe" \
	"\xd1\x81 \xd0\xbe \xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2" \
	"\xd0\xba\xd0\xb5"
/* "Здравствуйте!\nВаш запрос #42 принят.\n" */
#define RU_BODY "\xd0\x97\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2\xd1\x81\xd1\x82" \
	"\xd0\xb2\xd1\x83\xd0\xb9\xd1\x82\xd0\xb5!\n\xd0\x92\xd0\xb0\xd1\x88 " \
	"\xd0\xb7\xd0\xb0\xd0\xbf\xd1\x80\xd0\xbe\xd1\x81 #42 \xd0\xbf" \
	"\xd1\x80\xd0\xb8\xd0\xbd\xd1\x8f\xd1\x82.\n"
/* "Иван Петров" */
#define RU_NAME "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82" \
	"\xd1\x80\xd0\xbe\xd0\xb2"

struct fx {
	char *dir;
	struct desk_conf *conf;
};

static void
fx_setup(struct fx *f, gconstpointer data)
{
	f->dir = test_tmpdir_new("test-notice-XXXXXX");
	f->conf = test_conf_load(f->dir, "[desk]\n"
	    "name = Acme Help Desk\n"
	    "address = support@desk.example\n"
	    "secret = " SECRET_HEX "\n");
}

static void
fx_teardown(struct fx *f, gconstpointer data)
{
	conf_free(f->conf);
	g_rmdir(f->dir);
	g_free(f->dir);
}

struct built {
	char *id;
	GBytes *raw;
	char *text;		/* raw as a C string */
	GHashTable *headers;	/* lower-case name -> unfolded value */
	char *body;		/* the raw body */
};

static void
built_free(struct built *b)
{
	g_free(b->id);
	if (b->raw != NULL)
		g_bytes_unref(b->raw);
	g_free(b->text);
	if (b->headers != NULL)
		g_hash_table_unref(b->headers);
	g_free(b->body);
}

/* Split the raw header into unfolded fields (the first of each name). */
static GHashTable *
split_headers(const char *header)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    g_free);
	char **lines = g_strsplit(header, "\r\n", -1);
	GString *cur = NULL;
	int i;

	for (i = 0;; i++) {
		const char *line = lines[i];

		if (line != NULL && (*line == ' ' || *line == '\t') &&
		    cur != NULL) {
			g_string_append(cur, line);
			continue;
		}
		if (cur != NULL) {
			char *colon = strchr(cur->str, ':');

			if (colon != NULL) {
				char *name = g_ascii_strdown(cur->str,
				    colon - cur->str);

				if (g_hash_table_contains(h, name))
					g_free(name);
				else
					g_hash_table_insert(h, name,
					    g_strstrip(g_strdup(colon + 1)));
			}
			g_string_free(cur, TRUE);
			cur = NULL;
		}
		if (line == NULL)
			break;
		if (*line != '\0')
			cur = g_string_new(line);
	}
	g_strfreev(lines);
	return h;
}

static bool
build(const struct desk_conf *conf, const struct notice *n, struct built *b)
{
	GError *error = NULL;
	const char *data, *sep;
	gsize len;
	int rc;

	memset(b, 0, sizeof(*b));
	rc = notice_build(conf, n, &b->id, &b->raw, &error);
	g_assert_no_error(error);
	g_assert_cmpint(rc, ==, 0);
	g_clear_error(&error);
	if (rc != 0 || b->raw == NULL)
		return false;
	data = g_bytes_get_data(b->raw, &len);
	b->text = g_strndup(data, len);
	g_assert_cmpuint(strlen(b->text), ==, len);
	sep = strstr(b->text, "\r\n\r\n");
	g_assert_nonnull(sep);
	if (sep == NULL)
		return false;
	{
		char *header = g_strndup(b->text, sep - b->text + 2);

		b->headers = split_headers(header);
		g_free(header);
	}
	b->body = g_strdup(sep + 4);
	return true;
}

static const char *
header(const struct built *b, const char *name)
{
	return b->headers ? g_hash_table_lookup(b->headers, name) : NULL;
}

/* CRLF only, 7-bit only, no over-long line. */
static void
check_wire_format(const struct built *b)
{
	gsize len, i, line = 0;
	const unsigned char *p = g_bytes_get_data(b->raw, &len);
	int bad_eol = 0, high = 0, nul = 0, long_lines = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			bad_eol++;
		if (p[i] == '\r' && (i + 1 == len || p[i + 1] != '\n'))
			bad_eol++;
		if (p[i] >= 0x80)
			high++;
		if (p[i] == 0)
			nul++;
		if (p[i] == '\n')
			line = 0;
		else if (++line > 998)
			long_lines++;
	}
	g_assert_cmpint(bad_eol, ==, 0);
	g_assert_cmpint(high, ==, 0);
	g_assert_cmpint(nul, ==, 0);
	g_assert_cmpint(long_lines, ==, 0);
	g_assert_true(len >= 2 && p[len - 2] == '\r' && p[len - 1] == '\n');
}

static struct notice
full_notice(GPtrArray *refs)
{
	struct notice n = { 0 };

	n.to = "kunde@example.com";
	n.to_name = RU_NAME;
	n.subject = RU_SUBJECT;
	n.body = RU_BODY;
	n.reply_to = "support+42-0123456789abcdef@desk.example";
	n.in_reply_to = "orig@example.com";
	n.references = refs;
	n.ticket = 42;
	return n;
}

static GPtrArray *
refs_new(int count)
{
	GPtrArray *refs = g_ptr_array_new_with_free_func(g_free);
	int i;

	for (i = 0; i < count; i++)
		g_ptr_array_add(refs, g_strdup_printf("r%d@x.example", i));
	return refs;
}

static void
test_headers(struct fx *f, gconstpointer data)
{
	GPtrArray *refs = refs_new(2);
	struct notice n = full_notice(refs);
	struct built b;
	char *want;
	const char *v;

	if (!build(f->conf, &n, &b))
		goto out;
	check_wire_format(&b);
	v = header(&b, "from");
	test_check_contains(v, "Acme Help Desk");
	test_check_contains(v, "<support@desk.example>");
	v = header(&b, "to");
	test_check_contains(v, "<kunde@example.com>");
	test_check_contains(v, "=?");
	v = header(&b, "reply-to");
	test_check_contains(v, "<support+42-0123456789abcdef@desk.example>");
	v = header(&b, "subject");
	g_assert_nonnull(v);
	if (v != NULL) {
		char *lower = g_ascii_strdown(v, -1);

		test_check_contains(lower, "=?utf-8?");
		g_free(lower);
	}
	/* the Message-ID, returned without <>, at the desk's domain */
	g_assert_nonnull(b.id);
	if (b.id != NULL) {
		g_assert_true(g_str_has_suffix(b.id, "@desk.example"));
		g_assert_null(strchr(b.id, '<'));
		g_assert_null(strchr(b.id, '>'));
		want = g_strdup_printf("<%s>", b.id);
		g_assert_cmpstr(header(&b, "message-id"), ==, want);
		g_free(want);
	}
	v = header(&b, "date");
	g_assert_nonnull(v);
	if (v != NULL) {
		GDateTime *date = g_mime_utils_header_decode_date(v);
		gint64 now = (gint64)time(NULL);

		g_assert_nonnull(date);
		if (date != NULL) {
			g_assert_cmpint(g_date_time_to_unix(date), >=,
			    now - 60);
			g_assert_cmpint(g_date_time_to_unix(date), <=,
			    now + 60);
			g_date_time_unref(date);
		}
	}
	g_assert_cmpstr(header(&b, "in-reply-to"), ==, "<orig@example.com>");
	v = header(&b, "references");
	g_assert_nonnull(v);
	if (v != NULL) {
		g_assert_true(g_str_has_suffix(v, "<orig@example.com>"));
		test_check_contains(v, "<r0@x.example>");
		test_check_contains(v, "<r1@x.example>");
		g_assert_true(strstr(v, "<r0@x.example>") <
		    strstr(v, "<r1@x.example>"));
	}
	g_assert_cmpstr(header(&b, "auto-submitted"), ==, "auto-replied");
	g_assert_cmpstr(header(&b, "x-auto-response-suppress"), ==, "All");
	g_assert_cmpstr(header(&b, "x-loop"), ==, "support@desk.example");
	g_assert_cmpstr(header(&b, "x-deskgate-ticket"), ==, "42");
	g_assert_cmpstr(header(&b, "mime-version"), ==, "1.0");
	v = header(&b, "content-type");
	test_check_contains(v, "text/plain");
	test_check_contains(v, "utf-8");
out:
	built_free(&b);
	g_ptr_array_unref(refs);
}

/* Parse the notice back: subject, text and ids come back exactly. */
static void
test_round_trip(struct fx *f, gconstpointer data)
{
	GPtrArray *refs = refs_new(2);
	struct notice n = full_notice(refs);
	struct built b;
	struct mail *m = NULL;

	if (!build(f->conf, &n, &b))
		goto out;
	m = mail_parse_bytes(g_bytes_get_data(b.raw, NULL),
	    g_bytes_get_size(b.raw));
	g_assert_nonnull(m);
	if (m == NULL)
		goto out;
	g_assert_false(m->malformed);
	g_assert_cmpstr(m->subject, ==, RU_SUBJECT);
	g_assert_cmpstr(m->text, ==, RU_BODY);
	g_assert_cmpstr(m->from_addr, ==, "support@desk.example");
	g_assert_cmpstr(m->from_name, ==, "Acme Help Desk");
	g_assert_cmpstr(m->message_id, ==, b.id);
	g_assert_cmpstr(m->in_reply_to, ==, "orig@example.com");
	g_assert_cmpuint(m->references->len, ==, 3);
	if (m->references->len == 3)
		g_assert_cmpstr(g_ptr_array_index(m->references, 2), ==,
		    "orig@example.com");
	g_assert_cmpstr(m->charset, ==, "declared:utf-8");
	g_assert_cmpuint(m->attachments->len, ==, 0);
	{
		InternetAddressList *to = g_mime_message_get_to(m->message);
		InternetAddress *ia = to && internet_address_list_length(to) ?
		    internet_address_list_get_address(to, 0) : NULL;

		g_assert_nonnull(ia);
		if (ia != NULL)
			g_assert_cmpstr(internet_address_get_name(ia), ==,
			    RU_NAME);
	}
out:
	mail_free(m);
	built_free(&b);
	g_ptr_array_unref(refs);
}

/* Long Cyrillic subjects and long body lines survive the encoders. */
static void
test_round_trip_long(struct fx *f, gconstpointer data)
{
	GString *subject = g_string_new("Re: ");
	GString *body = g_string_new(NULL);
	struct notice n = { 0 };
	struct built b;
	struct mail *m = NULL;
	int i;

	for (i = 0; i < 12; i++)
		g_string_append(subject, "\xd0\xb4\xd0\xbb\xd0\xb8\xd0\xbd"
		    "\xd0\xbd\xd0\xb0\xd1\x8f \xd1\x82\xd0\xb5\xd0\xbc"
		    "\xd0\xb0 ");
	g_string_append(subject, "end");
	for (i = 0; i < 300; i++)
		g_string_append(body, "\xd1\x81\xd0\xbb\xd0\xbe\xd0\xb2\xd0"
		    "\xbe ");
	g_string_append(body, "\n.a line with a leading dot\nFrom here\n"
	    "trailing spaces   \n\tand a tab\n");
	n.to = "kunde@example.com";
	n.subject = subject->str;
	n.body = body->str;
	if (!build(f->conf, &n, &b))
		goto out;
	check_wire_format(&b);
	m = mail_parse_bytes(g_bytes_get_data(b.raw, NULL),
	    g_bytes_get_size(b.raw));
	if (m != NULL) {
		g_assert_cmpstr(m->subject, ==, subject->str);
		g_assert_cmpstr(m->text, ==, body->str);
	}
out:
	mail_free(m);
	built_free(&b);
	g_string_free(subject, TRUE);
	g_string_free(body, TRUE);
}

static void
test_minimal(struct fx *f, gconstpointer data)
{
	struct notice n = { 0 };
	struct built b;

	n.to = "kunde@example.com";
	n.subject = "Re: hello";
	n.body = "plain ascii\n";
	if (!build(f->conf, &n, &b))
		goto out;
	check_wire_format(&b);
	g_assert_null(header(&b, "reply-to"));
	g_assert_null(header(&b, "in-reply-to"));
	g_assert_null(header(&b, "references"));
	g_assert_null(header(&b, "x-deskgate-ticket"));
	g_assert_cmpstr(header(&b, "auto-submitted"), ==, "auto-replied");
	g_assert_cmpstr(header(&b, "x-loop"), ==, "support@desk.example");
	g_assert_cmpstr(header(&b, "subject"), ==, "Re: hello");
	test_check_contains(header(&b, "to"), "kunde@example.com");
out:
	built_free(&b);
}

/* Root plus the last nine references, then the message answered. */
static void
test_references_cut(struct fx *f, gconstpointer data)
{
	GPtrArray *refs = refs_new(15);
	struct notice n = full_notice(refs);
	struct built b;
	const char *v;
	int i;

	if (!build(f->conf, &n, &b))
		goto out;
	v = header(&b, "references");
	g_assert_nonnull(v);
	for (i = 0; v != NULL && i < 15; i++) {
		char *id = g_strdup_printf("<r%d@x.example>", i);
		bool want = i == 0 || i >= 6;

		if ((strstr(v, id) != NULL) != want)
			g_test_fail_printf("%s %s in %s", id,
			    want ? "missing" : "present", v);
		g_free(id);
	}
	if (v != NULL)
		g_assert_true(g_str_has_suffix(v, "<orig@example.com>"));
out:
	built_free(&b);
	g_ptr_array_unref(refs);
}

static void
test_unique_ids(struct fx *f, gconstpointer data)
{
	struct notice n = { 0 };
	struct built a, b;

	n.to = "kunde@example.com";
	n.subject = "s";
	n.body = "b\n";
	if (build(f->conf, &n, &a) && build(f->conf, &n, &b))
		g_assert_cmpstr(a.id, !=, b.id);
	built_free(&a);
	built_free(&b);
}

/*
 * Customer-controlled text (a subject, a display name) must not add
 * header fields: line breaks in them are encoded or folded away.
 */
static void
test_header_injection(struct fx *f, gconstpointer data)
{
	struct notice n = { 0 };
	struct built b;
	struct mail *m = NULL;

	n.to = "kunde@example.com";
	n.to_name = "Evil\r\nX-Injected-Name: 1";
	n.subject = "Re: hi\r\nBcc: victim@example.org\nX-Injected: 1";
	n.body = "body\n";
	if (!build(f->conf, &n, &b))
		goto out;
	check_wire_format(&b);
	g_assert_null(header(&b, "bcc"));
	g_assert_null(header(&b, "x-injected"));
	g_assert_null(header(&b, "x-injected-name"));
	m = mail_parse_bytes(g_bytes_get_data(b.raw, NULL),
	    g_bytes_get_size(b.raw));
	if (m != NULL) {
		g_assert_null(mail_header(m, "Bcc"));
		g_assert_null(mail_header(m, "X-Injected"));
	}
out:
	mail_free(m);
	built_free(&b);
}

/* Our notice, delivered back to us, is recognised as a loop. */
static void
test_classified_as_loop(struct fx *f, gconstpointer data)
{
	char *path = test_srcdir_path("filters/robots.rules");
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	struct notice n = { 0 };
	struct classification c = { 0 };
	struct rules *robots;
	struct built b;
	struct mail *m = NULL;

	g_hash_table_insert(vars, (gpointer)"desk_address",
	    (gpointer)f->conf->address);
	robots = rules_load(path, vars, NULL);
	g_assert_nonnull(robots);
	n.to = "kunde@example.com";
	n.subject = "s";
	n.body = "b\n";
	if (robots == NULL || !build(f->conf, &n, &b))
		goto out;
	m = mail_parse_bytes(g_bytes_get_data(b.raw, NULL),
	    g_bytes_get_size(b.raw));
	if (m != NULL) {
		classify_mail(robots, m, "support@desk.example", &c);
		g_assert_cmpint(c.class, ==, MAIL_CLASS_LOOP);
		classification_clear(&c);
	}
out:
	mail_free(m);
	built_free(&b);
	rules_free(robots);
	g_hash_table_unref(vars);
	g_free(path);
}

/* A desk name in Cyrillic is encoded in From and Reply-To. */
static void
test_cyrillic_desk_name(struct fx *f, gconstpointer data)
{
	struct desk_conf *conf = test_conf_load(f->dir, "[desk]\n"
	    "name = \xd0\xa1\xd0\xbb\xd1\x83\xd0\xb6\xd0\xb1\xd0\xb0 "
	    "\xd0\xbf\xd0\xbe\xd0\xb4\xd0\xb4\xd0\xb5\xd1\x80\xd0\xb6\xd0"
	    "\xba\xd0\xb8\n"
	    "address = support@desk.example\nsecret = " SECRET_HEX "\n");
	struct notice n = { 0 };
	struct built b;
	struct mail *m = NULL;

	n.to = "kunde@example.com";
	n.subject = "s";
	n.body = "b\n";
	n.reply_to = "support+1-0123456789abcdef@desk.example";
	if (conf == NULL || !build(conf, &n, &b))
		goto out;
	check_wire_format(&b);
	m = mail_parse_bytes(g_bytes_get_data(b.raw, NULL),
	    g_bytes_get_size(b.raw));
	if (m != NULL)
		g_assert_cmpstr(m->from_name, ==, conf->name);
out:
	mail_free(m);
	built_free(&b);
	conf_free(conf);
}

/* Sender text is cut to a sane length at a character boundary. */
static void
test_cut_text(struct fx *f, gconstpointer data)
{
	GString *big = g_string_new(NULL);
	char *cut;
	int i;

	cut = notice_cut_text("short", 10);
	g_assert_cmpstr(cut, ==, "short");
	g_free(cut);
	cut = notice_cut_text("line\r\nbreak\ttab\x1b[2J", 100);
	g_assert_cmpstr(cut, ==, "line  break tab [2J");
	g_free(cut);
	cut = notice_cut_text("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", 3);
	g_assert_cmpstr(cut, ==, "\xd0\x9f\xd1\x80\xd0\xb8...");	/* "При..." */
	g_free(cut);
	cut = notice_cut_text(NULL, 5);
	g_assert_cmpstr(cut, ==, "");
	g_free(cut);
	for (i = 0; i < 100000; i++)
		g_string_append(big, "ab ");
	cut = notice_cut_text(big->str, NOTICE_SUBJECT_MAX);
	g_assert_cmpuint(g_utf8_strlen(cut, -1), ==, NOTICE_SUBJECT_MAX + 3);
	g_free(cut);
	g_string_free(big, TRUE);
}

/* A long customer text in a notice's body: cut, and said so. */
static void
test_cut_quote(struct fx *f, gconstpointer data)
{
	GString *big = g_string_new(NULL);
	char *cut;
	int i;

	cut = notice_cut_quote("short\ntext", 100, "deskctl ticket show 1");
	g_assert_cmpstr(cut, ==, "short\ntext");
	g_free(cut);
	cut = notice_cut_quote(NULL, 100, "x");
	g_assert_cmpstr(cut, ==, "");
	g_free(cut);
	/* at a line end */
	for (i = 0; i < 1000; i++)
		g_string_append(big, "0123456789\n");
	cut = notice_cut_quote(big->str, 1005, "deskctl ticket show 7");
	g_assert_true(g_str_has_prefix(cut, "0123456789\n"));
	test_check_contains(cut, "789\n\n[... 9999 more bytes not shown "
	    "here: deskctl ticket show 7]\n");
	g_free(cut);
	/* no line end: at a character boundary, never inside one */
	g_string_truncate(big, 0);
	for (i = 0; i < 1000; i++)
		g_string_append(big, "\xd1\x84");	/* "ф" */
	cut = notice_cut_quote(big->str, 1001, "there");
	g_assert_true(g_utf8_validate(cut, -1, NULL));
	test_check_contains(cut, "\xd1\x84\n[... 1000 more bytes not shown "
	    "here: there]");
	g_free(cut);
	g_string_free(big, TRUE);
}

/* A 300 KB subject and name make no header line over 998 octets. */
static void
test_long_subject(struct fx *f, gconstpointer data)
{
	GString *big = g_string_new(NULL);
	struct notice n = { 0 };
	struct built b;
	const char *p, *nl;
	size_t longest = 0;
	int i;

	for (i = 0; i < 300000; i++)
		g_string_append_c(big, 'a');
	n.to = "kunde@example.com";
	n.to_name = big->str;
	n.subject = big->str;
	n.body = "b\n";
	n.in_reply_to = big->str;	/* a hostile Message-ID is left out */
	if (!build(f->conf, &n, &b))
		goto out;
	check_wire_format(&b);
	for (p = b.text; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p) - 1;
		longest = MAX(longest, (size_t)(nl - p + 1));
		if (nl[1] == '\0')
			break;
	}
	g_assert_cmpuint(longest, <=, 1000);	/* 998 and CRLF */
	g_assert_null(header(&b, "in-reply-to"));
out:
	built_free(&b);
	g_string_free(big, TRUE);
}

/*
 * An engineer's answer is a person's mail: no Auto-Submitted and no
 * X-Auto-Response-Suppress, but X-Loop and the rest as in any notice.
 */
static void
test_human(struct fx *f, gconstpointer data)
{
	GPtrArray *refs = refs_new(2);
	struct notice n = full_notice(refs);
	struct built auto_b, human_b;
	struct mail *m = NULL;

	memset(&auto_b, 0, sizeof(auto_b));
	if (!build(f->conf, &n, &auto_b))
		goto out;
	n.human = true;
	if (!build(f->conf, &n, &human_b))
		goto out;
	check_wire_format(&human_b);
	/* the default is still an automatic notice */
	g_assert_cmpstr(header(&auto_b, "auto-submitted"), ==,
	    "auto-replied");
	g_assert_cmpstr(header(&auto_b, "x-auto-response-suppress"), ==,
	    "All");
	g_assert_null(header(&human_b, "auto-submitted"));
	g_assert_null(header(&human_b, "x-auto-response-suppress"));
	test_check_lacks(human_b.text, "Auto-Submitted");
	test_check_lacks(human_b.text, "X-Auto-Response-Suppress");
	g_assert_cmpstr(header(&human_b, "x-loop"), ==,
	    "support@desk.example");
	g_assert_cmpstr(header(&human_b, "x-deskgate-ticket"), ==, "42");
	g_assert_cmpstr(header(&human_b, "in-reply-to"), ==,
	    "<orig@example.com>");
	test_check_contains(header(&human_b, "reply-to"),
	    "<support+42-0123456789abcdef@desk.example>");
	m = mail_parse_bytes(g_bytes_get_data(human_b.raw, NULL),
	    g_bytes_get_size(human_b.raw));
	g_assert_nonnull(m);
	if (m != NULL) {
		g_assert_cmpstr(m->subject, ==, RU_SUBJECT);
		g_assert_cmpstr(m->text, ==, RU_BODY);
	}
out:
	mail_free(m);
	built_free(&auto_b);
	built_free(&human_b);
	g_ptr_array_unref(refs);
}

/* "Отчёт за март.txt" */
#define RU_FILENAME "\xd0\x9e\xd1\x82\xd1\x87\xd1\x91\xd1\x82 \xd0\xb7\xd0" \
	"\xb0 \xd0\xbc\xd0\xb0\xd1\x80\xd1\x82.txt"

/* The decoded content of PART. (transfer full) */
static GBytes *
part_bytes(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *array;
	GBytes *bytes;

	g_assert_nonnull(content);
	if (content != NULL)
		g_assert_cmpint(g_mime_data_wrapper_write_to_stream(content,
		    mem), >=, 0);
	array = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)mem);
	bytes = g_bytes_new(array->data, array->len);
	g_object_unref(mem);
	return bytes;
}

/* RAW parsed by GMime itself. (transfer full) */
static GMimeMessage *
parse_message(GBytes *raw)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(
	    g_bytes_get_data(raw, NULL), g_bytes_get_size(raw));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(stream);
	g_assert_nonnull(msg);
	return msg;
}

/* Check the attachment at INDEX of MIXED: type, name, bytes. */
static void
check_attachment(GMimeMultipart *mixed, int index, const char *type,
    const char *name, GBytes *want)
{
	GMimeObject *obj = g_mime_multipart_get_part(mixed, index);
	GMimePart *part;
	GBytes *got;
	char *ct;

	g_assert_true(GMIME_IS_PART(obj));
	if (!GMIME_IS_PART(obj))
		return;
	part = (GMimePart *)obj;
	ct = g_mime_content_type_get_mime_type(
	    g_mime_object_get_content_type(obj));
	g_assert_cmpstr(ct, ==, type);
	g_free(ct);
	g_assert_true(g_mime_part_is_attachment(part));
	g_assert_cmpstr(g_mime_object_get_disposition(obj), ==,
	    GMIME_DISPOSITION_ATTACHMENT);
	g_assert_cmpstr(g_mime_part_get_filename(part), ==, name);
	g_assert_cmpint(g_mime_part_get_content_encoding(part), ==,
	    GMIME_CONTENT_ENCODING_BASE64);
	got = part_bytes(part);
	g_assert_true(g_bytes_equal(got, want));
	g_bytes_unref(got);
}

/*
 * Two files: multipart/mixed, the text first, then each file base64
 * with its name (RFC 2231 for the Cyrillic one) and its exact bytes.
 */
static void
test_attachments(struct fx *f, gconstpointer data)
{
	static const char text[] = "line one\nline two\r\nno final newline";
	GPtrArray *refs = refs_new(1);
	GPtrArray *files = g_ptr_array_new();
	struct notice n = full_notice(refs);
	struct notice_attachment a1 = { 0 }, a2 = { 0 };
	unsigned char binary[512];
	struct built b;
	struct mail *m = NULL;
	GMimeMessage *msg = NULL;
	GMimeObject *top;
	char *lower;
	size_t i;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < sizeof(binary); i++)
		binary[i] = (unsigned char)(i * 7);
	a1.filename = "dump.bin";
	a1.content_type = "application/x-Custom";
	a1.content = g_bytes_new(binary, sizeof(binary));
	a2.filename = RU_FILENAME;
	a2.content_type = "text/plain; charset=utf-8";
	a2.content = g_bytes_new_static(text, strlen(text));
	g_ptr_array_add(files, &a1);
	g_ptr_array_add(files, &a2);
	n.attachments = files;
	n.human = true;
	if (!build(f->conf, &n, &b))
		goto out;
	check_wire_format(&b);
	test_check_contains(header(&b, "content-type"), "multipart/mixed");
	g_assert_null(header(&b, "auto-submitted"));
	/* the Cyrillic name as an RFC 2231 parameter, in UTF-8 */
	lower = g_ascii_strdown(b.text, -1);
	g_assert_true(g_regex_match_simple("filename\\*(0\\*)?=utf-8''%d0%9e",
	    lower, 0, 0));
	test_check_contains(lower, "filename=dump.bin");
	g_free(lower);

	msg = parse_message(b.raw);
	if (msg == NULL)
		goto out;
	top = g_mime_message_get_mime_part(msg);
	g_assert_true(GMIME_IS_MULTIPART(top));
	if (!GMIME_IS_MULTIPART(top))
		goto out;
	g_assert_true(g_mime_content_type_is_type(
	    g_mime_object_get_content_type(top), "multipart", "mixed"));
	g_assert_cmpint(g_mime_multipart_get_count((GMimeMultipart *)top),
	    ==, 3);
	if (g_mime_multipart_get_count((GMimeMultipart *)top) != 3)
		goto out;
	{
		GMimeObject *first = g_mime_multipart_get_part(
		    (GMimeMultipart *)top, 0);
		char *body;

		g_assert_true(GMIME_IS_TEXT_PART(first));
		if (GMIME_IS_TEXT_PART(first)) {
			g_assert_false(g_mime_part_is_attachment(
			    (GMimePart *)first));
			body = g_mime_text_part_get_text(
			    (GMimeTextPart *)first);
			g_assert_cmpstr(body, ==, RU_BODY);
			g_free(body);
		}
	}
	check_attachment((GMimeMultipart *)top, 1, "application/x-custom",
	    "dump.bin", a1.content);
	check_attachment((GMimeMultipart *)top, 2, "text/plain",
	    RU_FILENAME, a2.content);

	/* and deskgate's own reader sees the text and two files */
	m = mail_parse_bytes(g_bytes_get_data(b.raw, NULL),
	    g_bytes_get_size(b.raw));
	g_assert_nonnull(m);
	if (m == NULL)
		goto out;
	g_assert_false(m->malformed);
	g_assert_cmpstr(m->text, ==, RU_BODY);
	g_assert_cmpuint(m->attachments->len, ==, 2);
	if (m->attachments->len == 2) {
		struct mail_attachment *m1 = g_ptr_array_index(
		    m->attachments, 0);
		struct mail_attachment *m2 = g_ptr_array_index(
		    m->attachments, 1);

		g_assert_cmpstr(m1->filename, ==, "dump.bin");
		g_assert_cmpint(m1->size, ==, sizeof(binary));
		g_assert_cmpstr(m2->filename, ==, RU_FILENAME);
		g_assert_cmpint(m2->size, ==, strlen(text));
	}
out:
	if (msg != NULL)
		g_object_unref(msg);
	mail_free(m);
	built_free(&b);
	g_bytes_unref(a1.content);
	g_bytes_unref(a2.content);
	g_ptr_array_unref(files);
	g_ptr_array_unref(refs);
}

/*
 * A hostile name and type: the name loses its directories, the type
 * falls back; an empty file and a NULL entry are fine; an empty array
 * is the plain single-part notice.
 */
static void
test_attachment_hostile(struct fx *f, gconstpointer data)
{
	GPtrArray *files = g_ptr_array_new();
	struct notice n = { 0 };
	struct notice_attachment a1 = { 0 }, a2 = { 0 };
	struct built b, plain;
	GMimeMessage *msg = NULL;
	GMimeObject *top;
	GBytes *empty = g_bytes_new_static("", 0);

	memset(&b, 0, sizeof(b));
	memset(&plain, 0, sizeof(plain));
	n.to = "kunde@example.com";
	n.subject = "s";
	n.body = "b\n";
	n.attachments = files;
	if (!build(f->conf, &n, &plain))
		goto out;
	test_check_contains(header(&plain, "content-type"), "text/plain");
	test_check_lacks(plain.text, "multipart");

	a1.filename = "../../etc/passwd";
	a1.content_type = "text/plain\r\nX-Injected: 1";
	a1.content = g_bytes_new_static("root:x:0:0\n", 11);
	a2.filename = NULL;
	a2.content_type = NULL;
	a2.content = NULL;
	g_ptr_array_add(files, &a1);
	g_ptr_array_add(files, NULL);
	g_ptr_array_add(files, &a2);
	if (!build(f->conf, &n, &b))
		goto out;
	check_wire_format(&b);
	test_check_lacks(b.text, "etc/passwd");
	test_check_lacks(b.text, "X-Injected");
	g_assert_cmpstr(header(&b, "auto-submitted"), ==, "auto-replied");
	msg = parse_message(b.raw);
	if (msg == NULL)
		goto out;
	top = g_mime_message_get_mime_part(msg);
	g_assert_true(GMIME_IS_MULTIPART(top));
	if (!GMIME_IS_MULTIPART(top))
		goto out;
	g_assert_cmpint(g_mime_multipart_get_count((GMimeMultipart *)top),
	    ==, 3);
	if (g_mime_multipart_get_count((GMimeMultipart *)top) != 3)
		goto out;
	check_attachment((GMimeMultipart *)top, 1,
	    "application/octet-stream", "passwd", a1.content);
	check_attachment((GMimeMultipart *)top, 2,
	    "application/octet-stream", "attachment", empty);
out:
	if (msg != NULL)
		g_object_unref(msg);
	built_free(&b);
	built_free(&plain);
	if (a1.content != NULL)
		g_bytes_unref(a1.content);
	g_bytes_unref(empty);
	g_ptr_array_unref(files);
}

static void
expect_filename(const char *name, const char *want)
{
	char *got = notice_attachment_filename(name);

	g_assert_cmpstr(got, ==, want);
	g_free(got);
}

static void
test_attachment_filename(struct fx *f, gconstpointer data)
{
	GString *big = g_string_new(NULL);
	char *got;
	int i;

	expect_filename("../../etc/passwd", "passwd");
	expect_filename("/etc/passwd", "passwd");
	expect_filename("C:\\Users\\ivan\\report.doc", "report.doc");
	expect_filename("a/b\\c", "c");
	expect_filename("report.pdf", "report.pdf");
	expect_filename(RU_FILENAME, RU_FILENAME);
	expect_filename("  spaced name.txt ", "spaced name.txt");
	expect_filename("a\r\nb\t\x01" "c\x7f.txt", "abc.txt");
	expect_filename("evil\xe2\x80\xae" "gpj.exe", "evilgpj.exe");
	expect_filename("bad\xff.txt", "bad\xef\xbf\xbd.txt");
	expect_filename(NULL, "attachment");
	expect_filename("", "attachment");
	expect_filename("dir/", "attachment");
	expect_filename("..", "attachment");
	expect_filename("../..", "attachment");
	expect_filename(".", "attachment");
	expect_filename("\r\n", "attachment");
	/* Windows device names, whatever the extension or the case */
	expect_filename("con.txt", "_con.txt");
	expect_filename("CON", "_CON");
	expect_filename("AUX.tar.gz", "_AUX.tar.gz");
	expect_filename("nul .txt", "_nul .txt");
	expect_filename("lpt1.log", "_lpt1.log");
	expect_filename("COM9", "_COM9");
	expect_filename("../../con.txt", "_con.txt");
	expect_filename("console.txt", "console.txt");
	expect_filename("com10.txt", "com10.txt");
	expect_filename("icon.png", "icon.png");
	for (i = 0; i < 1000; i++)
		g_string_append(big, "\xd1\x84");	/* "ф" */
	g_string_append(big, ".pdf");
	got = notice_attachment_filename(big->str);
	g_assert_cmpuint(g_utf8_strlen(got, -1), ==, NOTICE_FILENAME_MAX);
	g_assert_true(g_str_has_suffix(got, "\xd1\x84.pdf"));
	g_assert_true(g_utf8_validate(got, -1, NULL));
	g_free(got);
	g_string_free(big, TRUE);
}

static void
expect_type(const char *type, const char *want)
{
	char *got = notice_attachment_type(type);

	g_assert_cmpstr(got, ==, want);
	g_free(got);
}

static void
test_attachment_type(struct fx *f, gconstpointer data)
{
	expect_type("image/png", "image/png");
	expect_type("Image/PNG", "image/png");
	expect_type(" text/plain ; charset=utf-8", "text/plain");
	expect_type("application/vnd.ms-excel", "application/vnd.ms-excel");
	expect_type("application/x-tar+gzip", "application/x-tar+gzip");
	expect_type(NULL, "application/octet-stream");
	expect_type("", "application/octet-stream");
	expect_type("garbage", "application/octet-stream");
	expect_type("text/", "application/octet-stream");
	expect_type("/plain", "application/octet-stream");
	expect_type("a/b/c", "application/octet-stream");
	expect_type("te xt/plain", "application/octet-stream");
	expect_type("text/plain\r\nBcc: x", "application/octet-stream");
	expect_type("text/pl\xc3\xa4in", "application/octet-stream");
}

#define ADD(path, fn) \
	g_test_add(path, struct fx, NULL, fx_setup, fn, fx_teardown)

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	mail_init();
	ADD("/notice/headers", test_headers);
	ADD("/notice/round-trip", test_round_trip);
	ADD("/notice/round-trip-long", test_round_trip_long);
	ADD("/notice/minimal", test_minimal);
	ADD("/notice/references-cut", test_references_cut);
	ADD("/notice/unique-ids", test_unique_ids);
	ADD("/notice/header-injection", test_header_injection);
	ADD("/notice/classified-as-loop", test_classified_as_loop);
	ADD("/notice/cyrillic-desk-name", test_cyrillic_desk_name);
	ADD("/notice/cut-text", test_cut_text);
	ADD("/notice/cut-quote", test_cut_quote);
	ADD("/notice/long-subject", test_long_subject);
	ADD("/notice/human", test_human);
	ADD("/notice/attachments", test_attachments);
	ADD("/notice/attachment-hostile", test_attachment_hostile);
	ADD("/notice/attachment-filename", test_attachment_filename);
	ADD("/notice/attachment-type", test_attachment_type);
	rc = g_test_run();
	mail_shutdown();
	return rc;
}
