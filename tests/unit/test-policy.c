/*
 * test-policy.c - unit tests of policy.c: the support policy's numbers
 * (credits per license, credit packages, category costs).
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "policy.h"

struct license_case {
	const char *product;
	const char *kind;
	int credits;
};

static void
test_license_credits(void)
{
	static const struct license_case cases[] = {
		{ "cs-cart", "first", 50 },
		{ "cs-cart", "additional", 30 },
		{ "cs-cart", "storefront", 30 },
		{ "multi-vendor", "first", 100 },
		{ "multi-vendor", "additional", 100 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *why = NULL;

		g_test_message("%s/%s", cases[i].product, cases[i].kind);
		g_assert_cmpint(policy_license_credits(cases[i].product,
		    cases[i].kind, &why), ==, cases[i].credits);
	}
}

static void
test_license_mv_storefront(void)
{
	const char *why = NULL;

	g_assert_cmpint(policy_license_credits("multi-vendor", "storefront",
	    &why), ==, -1);
	g_assert_true(why != NULL && strstr(why, "Multi-Vendor") != NULL);
}

static void
test_license_unknown(void)
{
	const char *why = NULL;

	g_assert_cmpint(policy_license_credits("shopify", "first", &why), ==,
	    -1);
	g_assert_true(why != NULL && strstr(why, "product") != NULL);

	why = NULL;
	g_assert_cmpint(policy_license_credits("cs-cart", "gold", &why), ==,
	    -1);
	g_assert_true(why != NULL && strstr(why, "kind") != NULL);

	/* the tables are case-sensitive, as written in the policy */
	why = NULL;
	g_assert_cmpint(policy_license_credits("", "", &why), ==, -1);
	g_assert_nonnull(why);
}

static void
test_package_prices(void)
{
	static const int bad[] = { -1, 0, 1, 24, 26, 75, 150, 199, 201, 400 };
	size_t i;

	g_assert_cmpint(policy_package_price(25), ==, 4500);
	g_assert_cmpint(policy_package_price(50), ==, 8500);
	g_assert_cmpint(policy_package_price(100), ==, 16500);
	g_assert_cmpint(policy_package_price(200), ==, 29500);
	for (i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_cmpint(policy_package_price(bad[i]), ==, -1);
}

static void
test_package_list(void)
{
	static const int want[] = { 25, 50, 100, 200 };
	const int *p = policy_packages();
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(want); i++)
		g_assert_cmpint(p[i], ==, want[i]);
	g_assert_cmpint(p[i], ==, 0);
	/* every listed package has a price */
	for (p = policy_packages(); *p != 0; p++)
		g_assert_cmpint(policy_package_price(*p), >, 0);
}

static void
test_category_cost(void)
{
	g_assert_cmpint(policy_category_cost(1), ==, 5);
	g_assert_cmpint(policy_category_cost(2), ==, 10);
	g_assert_cmpint(policy_category_cost(3), ==, 20);
	g_assert_cmpint(policy_category_cost(0), ==, -1);
	g_assert_cmpint(policy_category_cost(4), ==, -1);
	g_assert_cmpint(policy_category_cost(-1), ==, -1);
}

static void
test_category_confirmation(void)
{
	g_assert_false(policy_category_needs_confirmation(0));
	g_assert_false(policy_category_needs_confirmation(1));
	g_assert_true(policy_category_needs_confirmation(2));
	g_assert_true(policy_category_needs_confirmation(3));
	g_assert_false(policy_category_needs_confirmation(4));
	g_assert_false(policy_category_needs_confirmation(-2));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/policy/license/credits", test_license_credits);
	g_test_add_func("/policy/license/mv-storefront-refused",
	    test_license_mv_storefront);
	g_test_add_func("/policy/license/unknown", test_license_unknown);
	g_test_add_func("/policy/package/prices", test_package_prices);
	g_test_add_func("/policy/package/list", test_package_list);
	g_test_add_func("/policy/category/cost", test_category_cost);
	g_test_add_func("/policy/category/confirmation",
	    test_category_confirmation);
	return g_test_run();
}
