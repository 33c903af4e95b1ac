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

int
policy_category_of_cost(int credits)
{
	int c;

	for (c = 1; c <= 3; c++)
		if (policy_category_cost(c) == credits)
			return c;
	return 0;
}

bool
policy_category_needs_confirmation(int category)
{
	return category == 2 || category == 3;
}

/* The support policy's own words for each category. */
static const char *const policy_category_words[][2] = {
	[1] = {
		"explanation of setting up standard functionality; general "
		"questions about setting up (not problems)",
		"объяснение настройки стандартной функциональности; общие "
		"вопросы о настройке (не проблемы)",
	},
	[2] = {
		"resolving problems caused by incorrect settings; setting up "
		"standard functionality; consultations on the architecture "
		"and basic customization",
		"решение проблем, вызванных неверными настройками; настройка "
		"стандартной функциональности; консультации по архитектуре и "
		"базовой доработке",
	},
	[3] = {
		"investigating problems caused by server settings and/or "
		"modified files",
		"исследование проблем, вызванных настройками сервера и/или "
		"изменёнными файлами",
	},
};

const char *
policy_category_text(int category, const char *lang)
{
	bool ru = lang != NULL && strcmp(lang, "ru") == 0;

	if (category < 1 || category > 3)
		return ru ? "бесплатно" : "free of charge";
	return policy_category_words[category][ru ? 1 : 0];
}

void
policy_price(int category, int charged, bool preapproved, bool confirmed,
    int64_t balance, struct policy_price *price)
{
	price->cost = category >= 1 && category <= 3 ?
	    policy_category_cost(category) : 0;
	price->delta = price->cost - charged;
	if (price->delta <= 0)
		price->verdict = POLICY_CHARGE;
	else if (policy_category_needs_confirmation(category) &&
	    !preapproved && !confirmed)
		price->verdict = POLICY_CONFIRM;
	else if (balance < price->delta)
		price->verdict = POLICY_SHORT;
	else
		price->verdict = POLICY_CHARGE;
}
