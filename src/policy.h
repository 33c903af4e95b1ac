/*
 * policy.h - the numbers of the support policy (seed/support-policy.txt):
 * credits granted per license, the credit packages for sale and the cost
 * of each request category. Kept in one place so that the code, the
 * notices and the documentation cannot drift apart.
 */
#ifndef DESK_POLICY_H
#define DESK_POLICY_H

#include <stdbool.h>

/*
 * policy_license_credits - credits a license of PRODUCT ("cs-cart",
 * "multi-vendor") and KIND ("first", "additional", "storefront") grants.
 * Returns -1 when the policy has no such license, with *why_r set to a
 * sentence for the operator (static storage).
 */
int policy_license_credits(const char *product, const char *kind,
    const char **why_r);

/*
 * policy_package_price - price in cents of the credit package of CREDITS
 * credits (25, 50, 100, 200), or -1 when there is no such package.
 */
int policy_package_price(int credits);

/* policy_packages - the package sizes, 0-terminated. */
const int *policy_packages(void);

/* policy_category_cost - credits of category 1, 2 or 3; -1 otherwise. */
int policy_category_cost(int category);

/* policy_category_needs_confirmation - categories 2 and 3 do. */
bool policy_category_needs_confirmation(int category);

#endif
