/*
 * policy.c - the support policy's tables.
 */
#include "config.h"

#include <string.h>

#include "policy.h"

struct policy_license {
	const char *product;
	const char *kind;
	int credits;		/* -1: not sold */
};

static const struct policy_license policy_licenses[] = {
	{ "cs-cart", "first", 50 },
	{ "cs-cart", "additional", 30 },
	{ "cs-cart", "storefront", 30 },
	{ "multi-vendor", "first", 100 },
	{ "multi-vendor", "additional", 100 },
	{ "multi-vendor", "storefront", -1 },
};

struct policy_package {
	int credits;
	int cents;
};

static const struct policy_package policy_package_list[] = {
	{ 25, 4500 },
	{ 50, 8500 },
	{ 100, 16500 },
	{ 200, 29500 },
};

static const int policy_package_sizes[] = { 25, 50, 100, 200, 0 };

int
policy_license_credits(const char *product, const char *kind,
    const char **why_r)
{
	size_t i;
	bool known_product = false;

	for (i = 0; i < sizeof(policy_licenses) / sizeof(*policy_licenses);
	    i++) {
		const struct policy_license *l = &policy_licenses[i];

		if (strcmp(l->product, product) != 0)
			continue;
		known_product = true;
		if (strcmp(l->kind, kind) != 0)
			continue;
		if (l->credits < 0) {
			*why_r = "Multi-Vendor has no additional storefront "
			    "license (the support policy marks it n/a)";
			return -1;
		}
		return l->credits;
	}
	*why_r = known_product ?
	    "unknown license kind (first, additional or storefront)" :
	    "unknown product (cs-cart or multi-vendor)";
	return -1;
}

int
policy_package_price(int credits)
{
	size_t i;

	for (i = 0; i < sizeof(policy_package_list) /
	    sizeof(*policy_package_list); i++)
		if (policy_package_list[i].credits == credits)
			return policy_package_list[i].cents;
	return -1;
}

const int *
policy_packages(void)
{
	return policy_package_sizes;
}

int
policy_category_cost(int category)
{
	switch (category) {
	case 1: return 5;
	case 2: return 10;
	case 3: return 20;
	}
	return -1;
}

bool
policy_category_needs_confirmation(int category)
{
	return category == 2 || category == 3;
}
