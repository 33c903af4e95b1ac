/*
 * test-conf.c - unit tests of conf.c: deskgate.conf(5) loading, defaults,
 * comments, every class of error (which must name FILE:LINE and the
 * [section] key) and conf_is_valid_address().
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "conf.h"
#include "error.h"
#include "intake.h"
#include "mime-message.h"
#include "test-util.h"

#define SECRET_HEX \
	"000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f"

/* The smallest valid file: the two required keys. */
#define MINIMAL \
	"[desk]\n" \
	"address = support@desk.example\n" \
	"secret = " SECRET_HEX "\n"

static void
tmp_setup(struct test_tmp *t, gconstpointer data)
{
	test_tmp_init(t, "test-conf-XXXXXX", "deskgate.conf", NULL);
}

static struct desk_conf *
load_text(struct test_tmp *t, const char *text, GError **error)
{
	test_write_file(t->path, text, -1);
	return conf_load(t->path, error);
}

static struct desk_conf *
load_ok(struct test_tmp *t, const char *text)
{
	GError *error = NULL;
	struct desk_conf *conf = load_text(t, text, &error);

	g_assert_no_error(error);
	g_assert_nonnull(conf);
	return conf;
}

/*
 * Loading TEXT must fail with DESK_ERROR_CONFIG and a message that begins
 * "PATH:LINE: " and contains every string of the NULL-terminated list.
 */
static void
expect_error(struct test_tmp *t, const char *text, int line, ...)
{
	GError *error = NULL;
	struct desk_conf *conf = load_text(t, text, &error);
	char *prefix = g_strdup_printf("%s:%d: ", t->path, line);
	const char *want;
	va_list ap;

	g_assert_null(conf);
	conf_free(conf);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	if (error == NULL) {
		g_free(prefix);
		return;
	}
	g_test_message("error: %s", error->message);
	if (!g_str_has_prefix(error->message, prefix))
		g_test_fail_printf("\"%s\" does not start with \"%s\"",
		    error->message, prefix);
	va_start(ap, line);
	while ((want = va_arg(ap, const char *)) != NULL)
		if (strstr(error->message, want) == NULL)
			g_test_fail_printf("\"%s\" lacks \"%s\"",
			    error->message, want);
	va_end(ap);
	g_error_free(error);
	g_free(prefix);
}

static void
test_full(struct test_tmp *t, gconstpointer data)
{
	static const char text[] =
	    "# a full configuration\n"
	    "[desk]\n"
	    "name = Acme Help Desk\n"
	    "address = Support@Desk.Example\n"
	    "secret = 00112233445566778899AABBCCDDEEFF"
	    "00112233445566778899aabbccddeeff\n"
	    "hours = 08:30-17:00\n"
	    "timezone = +03:00\n"
	    "languages = ru; en\n"
	    "contact_url = https://shop.example/contact\n"
	    "templates = /srv/desk/templates\n"
	    "filters = /srv/desk/filters\n"
	    "max_message_size = 10M\n"
	    "time_limit = 120\n"
	    "stranger_notice_hours = 12\n"
	    "\n"
	    "[store]\n"
	    "path = /srv/desk/desk.db\n"
	    "busy_timeout = 5000\n"
	    "[relay]\n"
	    "host = relay.example\n"
	    "port = 2525\n"
	    "timeout = 30\n"
	    "retry_first = 120\n"
	    "retry_max = 3600\n"
	    "give_up = 86400\n"
	    "[staff]\n"
	    "notify = Engineers@Vendor.Example\n"
	    "[guard]\n"
	    "addresses = Alice@Vendor.Example; contact@vendor.example,"
	    "bob@vendor.example\n"
	    "pass_to = alice@vendor.example=Alice@Mbox.Vendor.Example;"
	    "contact@vendor.example=contact@mbox.vendor.example;"
	    "bob@vendor.example=bob@mbox.vendor.example\n"
	    "action = reply\n"
	    "[log]\n"
	    "target = stderr\n";
	static const guint8 secret[32] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	struct desk_conf *c = load_ok(t, text);
	gsize len = 0;
	const guint8 *bytes;

	if (c == NULL)
		return;
	g_assert_cmpstr(c->path, ==, t->path);
	g_assert_cmpstr(c->name, ==, "Acme Help Desk");
	g_assert_cmpstr(c->address, ==, "support@desk.example");
	g_assert_cmpstr(c->address_local, ==, "support");
	g_assert_cmpstr(c->domain, ==, "desk.example");
	g_assert_nonnull(c->secret);
	bytes = g_bytes_get_data(c->secret, &len);
	g_assert_cmpmem(bytes, len, secret, sizeof(secret));
	g_assert_cmpstr(c->hours, ==, "08:30-17:00");
	g_assert_cmpstr(c->timezone, ==, "+03:00");
	g_assert_nonnull(c->languages);
	g_assert_cmpuint(g_strv_length(c->languages), ==, 2);
	g_assert_cmpstr(c->languages[0], ==, "ru");
	g_assert_cmpstr(c->languages[1], ==, "en");
	g_assert_cmpstr(c->contact_url, ==, "https://shop.example/contact");
	g_assert_cmpstr(c->templates, ==, "/srv/desk/templates");
	g_assert_cmpstr(c->filters, ==, "/srv/desk/filters");
	g_assert_cmpint(c->max_message_size, ==, 10 * 1024 * 1024);
	g_assert_cmpint(c->time_limit, ==, 120);
	g_assert_cmpint(c->stranger_notice_hours, ==, 12);
	g_assert_cmpstr(c->store_path, ==, "/srv/desk/desk.db");
	g_assert_cmpint(c->busy_timeout, ==, 5000);
	g_assert_cmpstr(c->relay_host, ==, "relay.example");
	g_assert_cmpint(c->relay_port, ==, 2525);
	g_assert_cmpint(c->relay_timeout, ==, 30);
	g_assert_cmpint(c->retry_first, ==, 120);
	g_assert_cmpint(c->retry_max, ==, 3600);
	g_assert_cmpint(c->retry_give_up, ==, 86400);
	g_assert_cmpstr(c->staff_notify, ==, "engineers@vendor.example");
	g_assert_nonnull(c->guard_addresses);
	g_assert_cmpuint(g_strv_length(c->guard_addresses), ==, 3);
	g_assert_cmpstr(c->guard_addresses[0], ==, "alice@vendor.example");
	g_assert_cmpstr(c->guard_addresses[1], ==, "contact@vendor.example");
	g_assert_cmpstr(c->guard_addresses[2], ==, "bob@vendor.example");
	g_assert_cmpstr(c->guard_action, ==, "reply");
	g_assert_cmpuint(g_strv_length(c->guard_pass_to), ==, 3);
	g_assert_cmpstr(c->guard_pass_to[0], ==,
	    "alice@vendor.example=alice@mbox.vendor.example");
	g_assert_cmpstr(c->log_target, ==, "stderr");
	conf_free(c);
}

static void
test_defaults(struct test_tmp *t, gconstpointer data)
{
	struct desk_conf *c = load_ok(t, MINIMAL);

	if (c == NULL)
		return;
	g_assert_cmpstr(c->name, ==, "Help Desk");
	g_assert_cmpstr(c->address, ==, "support@desk.example");
	g_assert_cmpuint(g_bytes_get_size(c->secret), ==, 32);
	g_assert_cmpstr(c->hours, ==, "09:00-18:00");
	g_assert_cmpstr(c->timezone, ==, "+04:00");
	g_assert_nonnull(c->languages);
	g_assert_cmpuint(g_strv_length(c->languages), ==, 2);
	g_assert_cmpstr(c->languages[0], ==, "en");
	g_assert_cmpstr(c->languages[1], ==, "ru");
	g_assert_cmpstr(c->contact_url, ==,
	    "https://www.cs-cart.com/contact-us.html");
	g_assert_cmpstr(c->templates, ==, SYSCONFDIR "/deskgate/templates");
	g_assert_cmpstr(c->filters, ==, SYSCONFDIR "/deskgate/filters");
	g_assert_cmpint(c->max_message_size, ==, 25 * 1024 * 1024);
	g_assert_cmpint(c->time_limit, ==, 300);
	g_assert_cmpint(c->stranger_notice_hours, ==, 24);
	g_assert_cmpstr(c->store_path, ==, "/var/lib/deskgate/desk.db");
	g_assert_cmpint(c->busy_timeout, ==, 20000);
	g_assert_cmpstr(c->relay_host, ==, "127.0.0.1");
	g_assert_cmpint(c->relay_port, ==, 25);
	g_assert_cmpint(c->relay_timeout, ==, 60);
	g_assert_cmpint(c->retry_first, ==, 60);
	g_assert_cmpint(c->retry_max, ==, 14400);
	g_assert_cmpint(c->retry_give_up, ==, 432000);
	g_assert_cmpstr(c->staff_notify, ==, "");
	g_assert_nonnull(c->guard_addresses);
	if (c->guard_addresses != NULL)
		g_assert_null(c->guard_addresses[0]);
	g_assert_cmpstr(c->guard_action, ==, "reject");
	g_assert_cmpstr(c->log_target, ==, "syslog");
	conf_free(c);
}

/*
 * [limits]: the defaults of the table are those of mail_limits_default()
 * (what mail_parse_bytes and the fuzz targets use), and a file sets them.
 */
static void
test_limits(struct test_tmp *t, gconstpointer data)
{
	struct desk_conf *c = load_ok(t, MINIMAL);
	struct mail_limits want, got;

	if (c == NULL)
		return;
	mail_limits_default(&want);
	intake_mail_limits(c, &got);
	g_assert_cmpint(got.max_depth, ==, want.max_depth);
	g_assert_cmpint(got.max_parts, ==, want.max_parts);
	g_assert_cmpint(got.max_headers, ==, want.max_headers);
	g_assert_cmpint(got.max_header_line, ==, want.max_header_line);
	g_assert_cmpint(got.max_header_size, ==, want.max_header_size);
	g_assert_cmpint(got.max_text_size, ==, want.max_text_size);
	g_assert_cmpint(got.max_attachments, ==, want.max_attachments);
	g_assert_cmpint(got.max_attachment_size, ==,
	    want.max_attachment_size);
	g_assert_cmpint(want.max_depth, ==, 32);
	g_assert_cmpint(want.max_parts, ==, 1000);
	g_assert_cmpint(want.max_header_line, ==, 16 * 1024);
	conf_free(c);
	c = load_ok(t, MINIMAL "[limits]\nmax_depth = 8\nmax_parts = 50\n"
	    "max_headers = 200\nmax_header_line = 2K\nmax_header_size = 64K\n"
	    "max_text_size = 128K\nmax_attachments = 0\n"
	    "max_attachment_size = 1M\n");
	if (c == NULL)
		return;
	g_assert_cmpint(c->max_depth, ==, 8);
	g_assert_cmpint(c->max_parts, ==, 50);
	g_assert_cmpint(c->max_headers, ==, 200);
	g_assert_cmpint(c->max_header_line, ==, 2048);
	g_assert_cmpint(c->max_header_size, ==, 64 * 1024);
	g_assert_cmpint(c->max_text_size, ==, 128 * 1024);
	g_assert_cmpint(c->max_attachments, ==, 0);
	g_assert_cmpint(c->max_attachment_size, ==, 1024 * 1024);
	conf_free(c);
	/* GMime nests no deeper than 1024: more would be a promise broken */
	test_write_file(t->path, MINIMAL "[limits]\nmax_depth = 2000\n", -1);
	{
		GError *error = NULL;

		g_assert_null(conf_load(t->path, &error));
		g_assert_nonnull(error);
		if (error != NULL) {
			g_assert_nonnull(strstr(error->message,
			    "[limits] max_depth"));
			g_error_free(error);
		}
	}
}

static void
test_sizes(struct test_tmp *t, gconstpointer data)
{
	static const struct {
		const char *value;
		gint64 bytes;
	} cases[] = {
		{ "512K", 512 * 1024 },
		{ "512k", 512 * 1024 },
		{ "3M", 3 * 1024 * 1024 },
		{ "3MB", 3 * 1024 * 1024 },
		{ "1G", G_GINT64_CONSTANT(1) << 30 },
		{ "4096", 4096 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *text = g_strdup_printf(MINIMAL "max_message_size = %s\n",
		    cases[i].value);
		struct desk_conf *c = load_ok(t, text);

		if (c != NULL)
			g_assert_cmpint(c->max_message_size, ==,
			    cases[i].bytes);
		conf_free(c);
		g_free(text);
	}
}

static void
test_comments(struct test_tmp *t, gconstpointer data)
{
	static const char text[] =
	    "# leading comment\n"
	    "   # indented comment\n"
	    "[desk]   # a section comment\n"
	    "name = Acme Desk # the name\n"
	    "address = support@desk.example\t# tab before the hash\n"
	    "secret = " SECRET_HEX " # key\n"
	    "contact_url = https://x.example/#frag\n"
	    "[relay]\n"
	    "port = 2525 # not 25\n";
	struct desk_conf *c = load_ok(t, text);

	if (c == NULL)
		return;
	g_assert_cmpstr(c->name, ==, "Acme Desk");
	g_assert_cmpstr(c->address, ==, "support@desk.example");
	g_assert_cmpstr(c->contact_url, ==, "https://x.example/#frag");
	g_assert_cmpint(c->relay_port, ==, 2525);
	conf_free(c);
}

static void
test_crlf(struct test_tmp *t, gconstpointer data)
{
	struct desk_conf *c = load_ok(t, "[desk]\r\n"
	    "address = support@desk.example\r\n"
	    "secret = " SECRET_HEX "\r\n"
	    "name = Windows Desk\r\n");

	if (c == NULL)
		return;
	g_assert_cmpstr(c->name, ==, "Windows Desk");
	g_assert_cmpuint(g_bytes_get_size(c->secret), ==, 32);
	conf_free(c);
}

static void
test_error_unreadable(struct test_tmp *t, gconstpointer data)
{
	GError *error = NULL;
	char *missing = g_build_filename(t->dir, "nope.conf", NULL);
	struct desk_conf *c = conf_load(missing, &error);

	g_assert_null(c);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	if (error != NULL)
		g_assert_nonnull(strstr(error->message, missing));
	g_clear_error(&error);
	conf_free(c);
	g_free(missing);
}

static void
test_error_unknown_section(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, MINIMAL "[relay]\nport = 25\n[nope]\nx = 1\n", 6,
	    "[nope]", "unknown section", NULL);
}

static void
test_error_unknown_key(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, MINIMAL "# comment\n\nbogus = 1\n", 6,
	    "[desk] bogus:", "unknown key", NULL);
	/* a key of another section */
	expect_error(t, MINIMAL "[relay]\nhost = h\nname = x\n", 6,
	    "[relay] name:", "unknown key", NULL);
}

static void
test_error_bad_address(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, "[desk]\nsecret = " SECRET_HEX "\n"
	    "address = not an address\n", 3, "[desk] address:", NULL);
	expect_error(t, "[desk]\nsecret = " SECRET_HEX "\n"
	    "address = <support@desk.example>\n", 3, "[desk] address:", NULL);
	expect_error(t, MINIMAL "[staff]\nnotify = nobody\n", 5,
	    "[staff] notify:", NULL);
	expect_error(t, MINIMAL "[guard]\naddresses = a@b.example; junk\n", 5,
	    "[guard] addresses:", "junk", NULL);
}

static void
test_error_missing_address(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, "[desk]\nsecret = " SECRET_HEX "\n", 1,
	    "[desk] address:", "missing", NULL);
}

/*
 * "address =" with an empty value: the intake address is required, so
 * this must be a configuration error, not a crash. Run in a subprocess
 * so that a crash fails this case only.
 */
static void
test_error_empty_address(struct test_tmp *t, gconstpointer data)
{
	if (g_test_subprocess()) {
		expect_error(t, "[desk]\nsecret = " SECRET_HEX "\n"
		    "address =\n", 3, "[desk] address:", NULL);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
}

static void
test_error_missing_secret(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, "[desk]\naddress = support@desk.example\n", 1,
	    "[desk] secret:", "missing", NULL);
	expect_error(t, "[desk]\naddress = support@desk.example\nsecret =\n",
	    3, "[desk] secret:", "missing", NULL);
}

static void
test_error_bad_secret(struct test_tmp *t, gconstpointer data)
{
	/* 31 bytes */
	expect_error(t, "[desk]\naddress = support@desk.example\n"
	    "secret = 000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e\n", 3, "[desk] secret:", NULL);
	/* an odd number of digits */
	expect_error(t, "[desk]\naddress = support@desk.example\n"
	    "secret = " SECRET_HEX "0\n", 3, "[desk] secret:", NULL);
	/* not hex */
	expect_error(t, "[desk]\naddress = support@desk.example\n"
	    "secret = 000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1zzz\n", 3, "[desk] secret:", "hex",
	    NULL);
	/* the sample file's placeholder */
	expect_error(t, "[desk]\naddress = support@desk.example\n"
	    "secret = CHANGE-ME-run-deskctl-secret\n", 3, "[desk] secret:",
	    NULL);
}

static void
test_error_bad_hours(struct test_tmp *t, gconstpointer data)
{
	static const char *const bad[] = {
		"25:00-26:00", "18:00-09:00", "09:00", "9-18", "09:00-09:00",
		"09:60-18:00", "09:00-18:00-20:00", "nine to five",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *text = g_strdup_printf(MINIMAL "hours = %s\n", bad[i]);

		expect_error(t, text, 4, "[desk] hours:", NULL);
		g_free(text);
	}
}

static void
test_error_bad_timezone(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, MINIMAL "timezone = Mars/Olympus\n", 4,
	    "[desk] timezone:", "Mars/Olympus", NULL);
	expect_error(t, MINIMAL "timezone = +25:00\n", 4,
	    "[desk] timezone:", NULL);
}

static void
test_error_unknown_language(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, MINIMAL "languages = en;de\n", 4,
	    "[desk] languages:", "de", NULL);
	expect_error(t, MINIMAL "languages = ;\n", 4, "[desk] languages:",
	    NULL);
}

static void
test_error_int_range(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, MINIMAL "time_limit = 3\n", 4, "[desk] time_limit:",
	    "range", NULL);
	expect_error(t, MINIMAL "time_limit = 901\n", 4,
	    "[desk] time_limit:", "range", NULL);
	expect_error(t, MINIMAL "[relay]\nport = 70000\n", 5,
	    "[relay] port:", "range", NULL);
	expect_error(t, MINIMAL "[relay]\nport = 0\n", 5, "[relay] port:",
	    NULL);
	expect_error(t, MINIMAL "[store]\nbusy_timeout = -1\n", 5,
	    "[store] busy_timeout:", NULL);
	expect_error(t, MINIMAL "max_message_size = 2G\n", 4,
	    "[desk] max_message_size:", "range", NULL);
	expect_error(t, MINIMAL "max_message_size = 1000\n", 4,
	    "[desk] max_message_size:", NULL);
}

static void
test_error_not_a_number(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, MINIMAL "time_limit = soon\n", 4,
	    "[desk] time_limit:", NULL);
	expect_error(t, MINIMAL "time_limit = 60s\n", 4,
	    "[desk] time_limit:", NULL);
	expect_error(t, MINIMAL "time_limit = 10K\n", 4,
	    "[desk] time_limit:", NULL);
	expect_error(t, MINIMAL "max_message_size = 10X\n", 4,
	    "[desk] max_message_size:", NULL);
}

/*
 * A size whose suffix multiplication overflows int64 must be refused,
 * not wrapped into a value that happens to be in range: 2^34+1 G is
 * 2^64 + 2^30 bytes, which wraps to exactly 1 GiB (the maximum).
 */
static void
test_error_size_overflow(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, MINIMAL "max_message_size = 17179869185G\n", 4,
	    "[desk] max_message_size:", NULL);
}

/*
 * A value GKeyFile cannot decode (an invalid backslash escape) must be an
 * error naming the key, never silently replaced by the default.
 */
static void
test_error_bad_escape(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, MINIMAL "name = C:\\desk\n", 4, "[desk] name:", NULL);
}

static void
test_error_bad_action(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, MINIMAL "[guard]\naction = bounce\n", 5,
	    "[guard] action:", NULL);
}

static void
test_error_plus_in_address(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, "[desk]\nsecret = " SECRET_HEX "\n"
	    "address = support+x@desk.example\n", 3, "[desk] address:", "+",
	    NULL);
}

static void
test_error_not_key_value(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, MINIMAL "just some words\n", 4, "key = value", NULL);
	expect_error(t, MINIMAL "= value without key\n", 4, "key = value",
	    NULL);
	expect_error(t, MINIMAL "[broken\n", 4, "section", NULL);
}

static void
test_error_key_outside_section(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, "# comment\nname = Desk\n" MINIMAL, 2, "name",
	    "outside", NULL);
}

static void
test_error_not_utf8(struct test_tmp *t, gconstpointer data)
{
	GError *error = NULL;
	struct desk_conf *c = load_text(t, MINIMAL "name = \xff\xfe\n",
	    &error);

	g_assert_null(c);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	g_clear_error(&error);
	conf_free(c);
}

static void
test_valid_address(void)
{
	static const char *const good[] = {
		"a@b.c", "support@desk.example", "first.last+tag@sub.x-y.org",
		"A@B.C", "x@localhost", "o'brien@example.com",
		"user_name@example.com",
	};
	static const char *const bad[] = {
		"", "nodomain", "@b.c", "a@", "a@b@c.d", "a b@c.d", "<a@b.c>",
		"a@b.c>", "a@.b", "a@b.", "a@b_c.d", "a,b@c.d", "a;b@c.d",
		"a@b.c\n", "\"a\"@b.c", "a@[1.2.3.4]", "\xc3\xa4@b.c",
		"a:b@c.d", "a(b)@c.d", "a\\b@c.d", "a\t@b.c",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(good); i++)
		if (!conf_is_valid_address(good[i]))
			g_test_fail_printf("\"%s\" refused", good[i]);
	for (i = 0; i < G_N_ELEMENTS(bad); i++)
		if (conf_is_valid_address(bad[i]))
			g_test_fail_printf("\"%s\" accepted", bad[i]);
	g_assert_false(conf_is_valid_address(NULL));
}

static void
test_print_keys(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	g_assert_nonnull(f);
	if (f == NULL)
		return;
	conf_print_keys(f);
	fclose(f);
	g_assert_nonnull(strstr(buf, "[desk]\n"));
	g_assert_nonnull(strstr(buf, "address = (required)\n"));
	g_assert_nonnull(strstr(buf, "max_message_size = 25M\n"));
	g_assert_nonnull(strstr(buf, "[relay]\n"));
	g_assert_nonnull(strstr(buf, "give_up = 432000\n"));
	free(buf);
}

#define ADD(path, fn) \
	g_test_add(path, struct test_tmp, NULL, tmp_setup, fn, \
	    test_tmp_teardown)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	ADD("/conf/load/full", test_full);
	ADD("/conf/load/defaults", test_defaults);
	ADD("/conf/load/limits", test_limits);
	ADD("/conf/load/sizes", test_sizes);
	ADD("/conf/load/comments", test_comments);
	ADD("/conf/load/crlf", test_crlf);
	ADD("/conf/error/unreadable", test_error_unreadable);
	ADD("/conf/error/unknown-section", test_error_unknown_section);
	ADD("/conf/error/unknown-key", test_error_unknown_key);
	ADD("/conf/error/bad-address", test_error_bad_address);
	ADD("/conf/error/missing-address", test_error_missing_address);
	ADD("/conf/error/empty-address", test_error_empty_address);
	ADD("/conf/error/missing-secret", test_error_missing_secret);
	ADD("/conf/error/bad-secret", test_error_bad_secret);
	ADD("/conf/error/bad-hours", test_error_bad_hours);
	ADD("/conf/error/bad-timezone", test_error_bad_timezone);
	ADD("/conf/error/unknown-language", test_error_unknown_language);
	ADD("/conf/error/int-range", test_error_int_range);
	ADD("/conf/error/not-a-number", test_error_not_a_number);
	ADD("/conf/error/size-overflow", test_error_size_overflow);
	ADD("/conf/error/bad-escape", test_error_bad_escape);
	ADD("/conf/error/bad-action", test_error_bad_action);
	ADD("/conf/error/plus-in-address", test_error_plus_in_address);
	ADD("/conf/error/not-key-value", test_error_not_key_value);
	ADD("/conf/error/key-outside-section",
	    test_error_key_outside_section);
	ADD("/conf/error/not-utf8", test_error_not_utf8);
	g_test_add_func("/conf/valid-address", test_valid_address);
	g_test_add_func("/conf/print-keys", test_print_keys);
	return g_test_run();
}
