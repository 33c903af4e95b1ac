/*
 * test-address.c - unit tests of address.c: which addresses a notice may
 * go to.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "address.h"

static void
test_good(void)
{
	static const char *const good[] = {
		"bob@customer.example", "Bob.Smith+tag@mail.customer.example",
		"o'brien@shop.example", "a@b.co", "\"john doe\"@example.org",
		"x-y_z@sub-domain.example.com", "1@2.example",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(good); i++) {
		const char *why = "unset";

		if (!address_check(good[i], &why))
			g_error("%s refused: %s", good[i], why);
		g_assert_null(why);
	}
}

static void
test_bad(void)
{
	static const char *const bad[][2] = {
		{ "", "empty address" },
		{ "root", "no @domain" },
		{ "ali", "no @domain" },
		{ "root@localhost", "domain is not a fully qualified name" },
		{ "alice@a.example'", "character not allowed in a domain" },
		{ "@a.example", "empty local part" },
		{ "a..b@a.example", "misplaced dot in the local part" },
		{ ".a@a.example", "misplaced dot in the local part" },
		{ "a b@a.example", "character not allowed in a local part" },
		{ "a\r\nRCPT TO:<x@y.example>@a.example",
		  "control or non-ASCII character" },
		{ "a@[127.0.0.1]", "address literal" },
		{ "a@-x.example", "domain label starts with a hyphen" },
		{ "a@x-.example", "empty or bad domain label" },
		{ "a@x..example", "empty or bad domain label" },
		{ "a@x.example.", "empty or bad domain label" },
		{ "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@x.example",
		  "control or non-ASCII character" },
		{ "\"a\"b\"@x.example", "bad quoted local part" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		const char *why = NULL;

		if (address_check(bad[i][0], &why))
			g_error("%s accepted", bad[i][0]);
		g_assert_cmpstr(why, ==, bad[i][1]);
	}
	g_assert_false(address_check(NULL, NULL));
}

static void
test_limits(void)
{
	GString *s = g_string_new(NULL);
	const char *why = NULL;

	while (s->len < 64)
		g_string_append_c(s, 'a');
	g_string_append(s, "@x.example");
	g_assert_true(address_check(s->str, NULL));
	g_string_prepend_c(s, 'a');	/* 65 octets of local part */
	g_assert_false(address_check(s->str, &why));
	g_assert_cmpstr(why, ==, "local part longer than 64 octets");

	/* a 500-character address (the RCPT line that stalled the runner) */
	g_string_truncate(s, 0);
	g_string_append(s, "a@");
	while (s->len < 500)
		g_string_append(s, "abcdefghi.");
	g_string_append(s, "example");
	g_assert_false(address_check(s->str, &why));
	g_assert_cmpstr(why, ==, "address longer than 254 octets");

	/* a 64-octet domain label */
	g_string_truncate(s, 0);
	g_string_append(s, "a@");
	while (s->len < 2 + 64)
		g_string_append_c(s, 'b');
	g_string_append(s, ".example");
	g_assert_false(address_check(s->str, &why));
	g_assert_cmpstr(why, ==, "domain label longer than 63 octets");
	g_string_free(s, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/address/good", test_good);
	g_test_add_func("/address/bad", test_bad);
	g_test_add_func("/address/limits", test_limits);
	return g_test_run();
}
