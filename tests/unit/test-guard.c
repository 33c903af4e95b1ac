/*
 * test-guard.c - unit tests of guard.c: the whole decision table, the
 * owner of an address (registered address or domain), the pass_to map
 * and the rejection text.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "conf.h"
#include "guard.h"
#include "store.h"
#include "test-util.h"

/* Every row: from owner, envelope owner, null sender, robot -> verdict. */
static void
test_table(void)
{
	static const struct {
		int64_t from, env;
		bool null_sender, robot, auth_failed;
		enum guard_verdict reject, reply;
		const char *rule;
	} rows[] = {
		{ 7, 7, false, false, false, GUARD_REJECT, GUARD_KEEP, "owner" },
		{ -1, 7, false, false, false, GUARD_REJECT, GUARD_KEEP,
		  "envelope-owner" },
		{ 7, 0, false, false, false, GUARD_PASS, GUARD_PASS, "from-only" },
		{ 7, 8, false, false, false, GUARD_PASS, GUARD_PASS, "envelope-only" },
		{ 0, 7, false, false, false, GUARD_PASS, GUARD_PASS, "envelope-only" },
		{ 0, 0, false, false, false, GUARD_PASS, GUARD_PASS, "not-owner" },
		{ -1, 0, false, false, false, GUARD_PASS, GUARD_PASS, "not-owner" },
		{ 7, 7, false, true, false, GUARD_PASS, GUARD_PASS, "robot" },
		{ 7, 7, true, false, false, GUARD_PASS, GUARD_PASS, "null-sender" },
		{ 7, 7, true, true, false, GUARD_PASS, GUARD_PASS, "null-sender" },
		{ 0, 0, false, true, false, GUARD_PASS, GUARD_PASS, "robot" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct guard_facts f = { rows[i].from, rows[i].env,
		    rows[i].null_sender, rows[i].robot, rows[i].auth_failed };
		struct guard_decision d;

		guard_table(&f, "reject", &d);
		g_assert_cmpint(d.verdict, ==, rows[i].reject);
		g_assert_cmpstr(d.rule, ==, rows[i].rule);
		g_assert_cmpint(d.customer, ==,
		    d.verdict == GUARD_PASS ? 0 : rows[i].env);
		guard_table(&f, "reply", &d);
		g_assert_cmpint(d.verdict, ==, rows[i].reply);
	}
}

static void
test_owner_and_conf(void)
{
	char *dir = test_tmpdir_new("test-guard-XXXXXX");
	char *db = g_build_filename(dir, "desk.db", NULL);
	char *text = g_strdup_printf("[desk]\naddress = support@desk.test\n"
	    "secret = 00112233445566778899aabbccddeeff00112233445566778899aabb"
	    "ccddeeff\n[store]\npath = %s\n[guard]\naddresses = "
	    "Alice@Vendor.example;sales@vendor.example\npass_to = "
	    "alice@vendor.example=alice@mbox.vendor.example;"
	    "sales@vendor.example=Sales@Mbox.vendor.example\n", db);
	struct desk_conf *conf = test_conf_load(dir, text);
	struct store *store = test_store_new(db, 1000);
	GError *error = NULL;
	int64_t bob, ann;
	char *reject;

	g_assert_true(guard_is_guarded(conf, "ALICE@vendor.example"));
	g_assert_false(guard_is_guarded(conf, "alice@mbox.vendor.example"));
	g_assert_cmpstr(guard_pass_target(conf, "alice@vendor.example"), ==,
	    "alice@mbox.vendor.example");
	g_assert_cmpstr(guard_pass_target(conf, "sales@vendor.example"), ==,
	    "sales@mbox.vendor.example");
	g_assert_null(guard_pass_target(conf, "al@vendor.example"));

	bob = store_customer_add(store, "bob@customer.example", NULL, "en",
	    false, &error);
	ann = store_customer_add(store, "ann@shop.example", NULL, "en", false,
	    &error);
	g_assert_no_error(error);
	g_assert_cmpint(store_domain_add(store, ann, "shop.example", &error),
	    ==, 0);
	g_assert_cmpint(guard_owner(store, "bob@customer.example", &error),
	    ==, bob);
	g_assert_cmpint(guard_owner(store, "BOB@customer.example", &error),
	    ==, bob);
	g_assert_cmpint(guard_owner(store, "other@customer.example", &error),
	    ==, 0);
	g_assert_cmpint(guard_owner(store, "anyone@SHOP.example", &error), ==,
	    ann);
	g_assert_cmpint(guard_owner(store, "x@sub.shop.example", &error), ==,
	    0);
	g_assert_cmpint(guard_owner(store, "", &error), ==, 0);
	g_assert_cmpint(guard_owner(store, "root", &error), ==, 0);
	g_assert_no_error(error);

	reject = guard_reject_text(conf, "alice@vendor.example", 12);
	g_assert_true(g_str_has_prefix(reject, "5.7.1 <alice@vendor.example>"));
	test_check_contains(reject, "support@desk.test");
	test_check_contains(reject, "#12");
	g_free(reject);
	reject = guard_reject_text(conf, "alice@vendor.example", 0);
	test_check_lacks(reject, "#");
	g_free(reject);

	store_close(store);
	conf_free(conf);
	g_unlink(db);
	test_tmpdir_remove(dir, NULL);
	g_free(text);
	g_free(db);
	g_free(dir);
}

/* A guarded address that passes to nowhere, or to itself, is refused. */
static void
test_conf_errors(void)
{
	static const char *const bad[][2] = {
		{ "addresses = a@v.example\n", "no mailbox for" },
		{ "addresses = a@v.example;b@v.example\npass_to = "
		  "a@v.example=b@v.example;b@v.example=x@m.example\n",
		  "guarded or the desk's" },
		{ "addresses = a@v.example\npass_to = a@v.example="
		  "x@desk.test\n", "guarded or the desk's" },
		{ "addresses = a@v.example\npass_to = a@v.example="
		  "x@m.example;c@v.example=y@m.example\n", "does not list" },
		{ "addresses = a@v.example\npass_to = a@v.example\n",
		  "GUARDED=MAILBOX" },
		{ "addresses = a@v.example\npass_to = a@v.example=x@desk.test;"
		  "a@v.example=y@m.example\n", "given twice" },
		{ "addresses = a@v.example\npass_to = a@v.example=y@m.example;"
		  "a@v.example=z@m.example\n", "given twice" },
	};
	char *dir = test_tmpdir_new("test-guard-XXXXXX");
	char *path = g_build_filename(dir, "deskgate.conf", NULL);
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *text = g_strdup_printf("[desk]\naddress = "
		    "support@desk.test\nsecret = 00112233445566778899aabbccdd"
		    "eeff00112233445566778899aabbccddeeff\n[guard]\n%s",
		    bad[i][0]);
		GError *error = NULL;
		struct desk_conf *conf;

		test_write_file(path, text, -1);
		conf = conf_load(path, &error);
		g_assert_null(conf);
		g_assert_nonnull(error);
		if (error != NULL)
			test_check_contains(error->message, bad[i][1]);
		g_clear_error(&error);
		conf_free(conf);
		g_free(text);
	}
	g_unlink(path);
	test_tmpdir_remove(dir, NULL);
	g_free(path);
	g_free(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/guard/table", test_table);
	g_test_add_func("/guard/owner-and-conf", test_owner_and_conf);
	g_test_add_func("/guard/conf-errors", test_conf_errors);
	return g_test_run();
}
