/*
 * test-token.c - unit tests of token.c: reply-address tokens (HMAC) and
 * the classification of recipient addresses.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "token.h"

#define LOCAL "support"
#define DOMAIN "desk.example"

static GBytes *
test_secret(guint8 seed)
{
	guint8 key[32];
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (guint8)(seed + i * 7);
	return g_bytes_new(key, sizeof(key));
}

/* The token as the header defines it, computed independently. */
static char *
test_expected_token(GBytes *secret, gint64 ticket, const char *role)
{
	gsize len;
	const guchar *key = g_bytes_get_data(secret, &len);
	char *input = g_strdup_printf("%" G_GINT64_FORMAT ":%s", ticket, role);
	char *full = g_compute_hmac_for_string(G_CHECKSUM_SHA256, key, len,
	    input, -1);
	char *token = g_strndup(full, TOKEN_LENGTH);

	g_free(full);
	g_free(input);
	return token;
}

static void
test_make_format(void)
{
	GBytes *secret = test_secret(1);
	char *t = token_make(secret, 42, TOKEN_ROLE_CUSTOMER);
	size_t i;

	g_assert_cmpuint(strlen(t), ==, TOKEN_LENGTH);
	for (i = 0; t[i] != '\0'; i++)
		g_assert_true(g_ascii_isxdigit(t[i]) &&
		    !g_ascii_isupper(t[i]));
	g_free(t);
	g_bytes_unref(secret);
}

static void
test_make_matches_hmac(void)
{
	static const char *const roles[TOKEN_ROLE_COUNT] = {
		"customer", "staff", "confirm", "bounce"
	};
	GBytes *secret = test_secret(3);
	int role;

	for (role = 0; role < TOKEN_ROLE_COUNT; role++) {
		char *t = token_make(secret, 1234, role);
		char *want = test_expected_token(secret, 1234, roles[role]);

		g_assert_cmpstr(t, ==, want);
		g_free(t);
		g_free(want);
	}
	g_bytes_unref(secret);
}

static void
test_make_deterministic(void)
{
	GBytes *s1 = test_secret(5), *s2 = test_secret(5);
	char *a = token_make(s1, 7, TOKEN_ROLE_STAFF);
	char *b = token_make(s2, 7, TOKEN_ROLE_STAFF);

	g_assert_cmpstr(a, ==, b);
	g_free(a);
	g_free(b);
	g_bytes_unref(s1);
	g_bytes_unref(s2);
}

static void
test_make_differs(void)
{
	GBytes *s1 = test_secret(5), *s2 = test_secret(6);
	char *base = token_make(s1, 7, TOKEN_ROLE_CUSTOMER);
	char *other_ticket = token_make(s1, 8, TOKEN_ROLE_CUSTOMER);
	char *other_role = token_make(s1, 7, TOKEN_ROLE_CONFIRM);
	char *other_secret = token_make(s2, 7, TOKEN_ROLE_CUSTOMER);
	int r1, r2;

	g_assert_cmpstr(base, !=, other_ticket);
	g_assert_cmpstr(base, !=, other_role);
	g_assert_cmpstr(base, !=, other_secret);
	/* every pair of roles differs */
	for (r1 = 0; r1 < TOKEN_ROLE_COUNT; r1++)
		for (r2 = r1 + 1; r2 < TOKEN_ROLE_COUNT; r2++) {
			char *a = token_make(s1, 7, r1);
			char *b = token_make(s1, 7, r2);

			g_assert_cmpstr(a, !=, b);
			g_free(a);
			g_free(b);
		}
	g_free(base);
	g_free(other_ticket);
	g_free(other_role);
	g_free(other_secret);
	g_bytes_unref(s1);
	g_bytes_unref(s2);
}

/* A confirmation address names its notice, and only that one. */
static void
test_confirm_address(void)
{
	GBytes *secret = test_secret(11);
	char *a = token_confirm_address(secret, LOCAL, DOMAIN, 42, 7);
	char *b = token_confirm_address(secret, LOCAL, DOMAIN, 42, 8);
	char *plain = token_address(secret, LOCAL, DOMAIN, 42,
	    TOKEN_ROLE_CONFIRM);
	char *swapped, *dash;
	struct address_info info;

	g_assert_true(g_str_has_prefix(a, LOCAL "+42.7-"));
	token_parse_address(secret, LOCAL, DOMAIN, a, &info);
	g_assert_cmpint(info.kind, ==, ADDRESS_REPLY);
	g_assert_cmpint(info.role, ==, TOKEN_ROLE_CONFIRM);
	g_assert_cmpint(info.ticket, ==, 42);
	g_assert_cmpint(info.serial, ==, 7);
	/* notice 8's token under notice 7's number: a forgery */
	dash = strchr(b, '-');
	swapped = g_strdup_printf(LOCAL "+42.7%s", dash);
	token_parse_address(secret, LOCAL, DOMAIN, swapped, &info);
	g_assert_cmpint(info.kind, ==, ADDRESS_FORGED);
	/* a confirmation token without its serial is no token at all */
	token_parse_address(secret, LOCAL, DOMAIN, plain, &info);
	g_assert_cmpint(info.kind, ==, ADDRESS_FORGED);
	/* a serial on another role's token is a forgery too */
	g_free(plain);
	plain = token_make(secret, 42, TOKEN_ROLE_CUSTOMER);
	g_free(swapped);
	swapped = g_strdup_printf(LOCAL "+42.7-%s@" DOMAIN, plain);
	token_parse_address(secret, LOCAL, DOMAIN, swapped, &info);
	g_assert_cmpint(info.kind, ==, ADDRESS_FORGED);
	g_free(a);
	g_free(b);
	g_free(plain);
	g_free(swapped);
	g_bytes_unref(secret);
}

static void
test_address_format(void)
{
	GBytes *secret = test_secret(9);
	char *t = token_make(secret, 42, TOKEN_ROLE_CUSTOMER);
	char *want = g_strdup_printf(LOCAL "+42-%s@" DOMAIN, t);
	char *a = token_address(secret, LOCAL, DOMAIN, 42,
	    TOKEN_ROLE_CUSTOMER);

	g_assert_cmpstr(a, ==, want);
	g_free(a);
	g_free(want);
	g_free(t);
	g_bytes_unref(secret);
}

static void
test_parse(GBytes *secret, const char *address, enum address_kind kind,
    gint64 ticket)
{
	struct address_info info;

	memset(&info, 0xa5, sizeof(info));
	token_parse_address(secret, LOCAL, DOMAIN, address, &info);
	g_test_message("address %s: kind %d ticket %" G_GINT64_FORMAT,
	    address, info.kind, (gint64)info.ticket);
	g_assert_cmpint(info.kind, ==, kind);
	if (ticket >= 0)
		g_assert_cmpint(info.ticket, ==, ticket);
}

static void
test_parse_intake(void)
{
	GBytes *secret = test_secret(11);

	test_parse(secret, "support@desk.example", ADDRESS_INTAKE, 0);
	test_parse(secret, "SUPPORT@DESK.EXAMPLE", ADDRESS_INTAKE, 0);
	test_parse(secret, "Support@Desk.Example", ADDRESS_INTAKE, 0);
	g_bytes_unref(secret);
}

static void
test_parse_reply_roles(void)
{
	GBytes *secret = test_secret(13);
	int role;

	for (role = 0; role < TOKEN_ROLE_COUNT; role++) {
		char *a = role == TOKEN_ROLE_CONFIRM ? token_confirm_address(
		    secret, LOCAL, DOMAIN, 987654, 5) : token_address(secret,
		    LOCAL, DOMAIN, 987654, role);
		struct address_info info;

		token_parse_address(secret, LOCAL, DOMAIN, a, &info);
		g_assert_cmpint(info.kind, ==, ADDRESS_REPLY);
		g_assert_cmpint(info.ticket, ==, 987654);
		g_assert_cmpint(info.role, ==, role);
		g_free(a);
	}
	g_bytes_unref(secret);
}

static void
test_parse_reply_case(void)
{
	GBytes *secret = test_secret(15);
	char *a = token_address(secret, LOCAL, DOMAIN, 5, TOKEN_ROLE_STAFF);
	char *upper = g_ascii_strup(a, -1);
	struct address_info info;

	token_parse_address(secret, LOCAL, DOMAIN, upper, &info);
	g_assert_cmpint(info.kind, ==, ADDRESS_REPLY);
	g_assert_cmpint(info.ticket, ==, 5);
	g_assert_cmpint(info.role, ==, TOKEN_ROLE_STAFF);
	g_free(upper);
	g_free(a);
	g_bytes_unref(secret);
}

static void
test_parse_forged(void)
{
	GBytes *secret = test_secret(17), *other = test_secret(18);
	char *t = token_make(secret, 42, TOKEN_ROLE_CUSTOMER);
	char *wrong = g_strdup(t), *a;

	/* one hex digit changed */
	wrong[3] = wrong[3] == '0' ? '1' : '0';
	a = g_strdup_printf("support+42-%s@desk.example", wrong);
	test_parse(secret, a, ADDRESS_FORGED, 42);
	g_free(a);

	/* a valid token of another ticket */
	a = g_strdup_printf("support+43-%s@desk.example", t);
	test_parse(secret, a, ADDRESS_FORGED, 43);
	g_free(a);

	/* truncated and overlong tokens */
	a = g_strdup_printf("support+42-%.15s@desk.example", t);
	test_parse(secret, a, ADDRESS_FORGED, 42);
	g_free(a);
	a = g_strdup_printf("support+42-%s0@desk.example", t);
	test_parse(secret, a, ADDRESS_FORGED, 42);
	g_free(a);
	test_parse(secret, "support+42-@desk.example", ADDRESS_FORGED, 42);
	test_parse(secret, "support+42@desk.example", ADDRESS_FORGED, -1);

	/* non-numeric, zero and negative tickets */
	a = g_strdup_printf("support+abc-%s@desk.example", t);
	test_parse(secret, a, ADDRESS_FORGED, 0);
	g_free(a);
	a = g_strdup_printf("support+0-%s@desk.example", t);
	test_parse(secret, a, ADDRESS_FORGED, 0);
	g_free(a);
	a = g_strdup_printf("support+-42-%s@desk.example", t);
	test_parse(secret, a, ADDRESS_FORGED, 0);
	g_free(a);

	/* a ticket number too large for int64 must not crash */
	a = g_strdup_printf("support+99999999999999999999999-%s@desk.example",
	    t);
	test_parse(secret, a, ADDRESS_FORGED, -1);
	g_free(a);

	/* the right address made with another secret */
	a = token_address(other, LOCAL, DOMAIN, 42, TOKEN_ROLE_CUSTOMER);
	test_parse(secret, a, ADDRESS_FORGED, 42);
	g_free(a);

	g_free(wrong);
	g_free(t);
	g_bytes_unref(secret);
	g_bytes_unref(other);
}

static void
test_parse_other(void)
{
	GBytes *secret = test_secret(19);
	char *a = token_address(secret, LOCAL, "other.example", 42,
	    TOKEN_ROLE_CUSTOMER);

	test_parse(secret, "support@other.example", ADDRESS_OTHER, 0);
	test_parse(secret, a, ADDRESS_OTHER, 0);
	test_parse(secret, "sales@desk.example", ADDRESS_OTHER, 0);
	test_parse(secret, "supportx@desk.example", ADDRESS_OTHER, 0);
	test_parse(secret, "suppor@desk.example", ADDRESS_OTHER, 0);
	test_parse(secret, "xsupport@desk.example", ADDRESS_OTHER, 0);
	test_parse(secret, "support@desk.example.evil", ADDRESS_OTHER, 0);
	test_parse(secret, "support@sub.desk.example", ADDRESS_OTHER, 0);
	test_parse(secret, "support", ADDRESS_OTHER, 0);
	test_parse(secret, "", ADDRESS_OTHER, 0);
	test_parse(secret, "@desk.example", ADDRESS_OTHER, 0);
	g_free(a);
	g_bytes_unref(secret);
}

/*
 * "support+@desk.example": LOCAL+anything@DOMAIN is the desk's, so an
 * empty extension is a garbled reply address (token.h), not a stranger's.
 */
static void
test_parse_forged_empty_extension(void)
{
	GBytes *secret = test_secret(21);

	test_parse(secret, "support+@desk.example", ADDRESS_FORGED, 0);
	g_bytes_unref(secret);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/token/make/format", test_make_format);
	g_test_add_func("/token/make/hmac", test_make_matches_hmac);
	g_test_add_func("/token/make/deterministic", test_make_deterministic);
	g_test_add_func("/token/address/confirm", test_confirm_address);
	g_test_add_func("/token/make/differs", test_make_differs);
	g_test_add_func("/token/address/format", test_address_format);
	g_test_add_func("/token/parse/intake", test_parse_intake);
	g_test_add_func("/token/parse/reply-roles", test_parse_reply_roles);
	g_test_add_func("/token/parse/reply-uppercase",
	    test_parse_reply_case);
	g_test_add_func("/token/parse/forged", test_parse_forged);
	g_test_add_func("/token/parse/other", test_parse_other);
	g_test_add_func("/token/parse/forged-empty-extension",
	    test_parse_forged_empty_extension);
	return g_test_run();
}
