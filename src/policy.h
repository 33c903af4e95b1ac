/*
 * policy.h - the numbers of the support policy (seed/support-policy.txt):
 * credits granted per license, the credit packages for sale and the cost
 * of each request category. Kept in one place so that the code, the
 * notices and the documentation cannot drift apart.
 */
#ifndef DESK_POLICY_H
#define DESK_POLICY_H

#include <stdbool.h>
#include <stdint.h>

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

/*
 * policy_category_of_cost - the category whose cost is CREDITS (what a
 * ticket was charged), 0 for none (nothing charged, or free).
 */
int policy_category_of_cost(int credits);

/* policy_category_needs_confirmation - categories 2 and 3 do. */
bool policy_category_needs_confirmation(int category);

/*
 * policy_category_text - what category 1, 2 or 3 covers, in the policy's
 * words, in LANG ("en" or "ru"; anything else gets English). (static)
 */
const char *policy_category_text(int category, const char *lang);

/* What assessing a ticket costs now (policy_price). */
enum policy_verdict {
	POLICY_CHARGE,		/* charge DELTA (a refund when negative) */
	POLICY_CONFIRM,		/* ask the customer first */
	POLICY_SHORT,		/* the balance does not cover DELTA */
};

struct policy_price {
	int cost;		/* of the category: what the ticket costs */
	int delta;		/* cost minus what was charged so far */
	enum policy_verdict verdict;
};

/*
 * policy_price - what assessing a ticket at CATEGORY (1..3; 0: free, as
 * a security bug or a declined custom request) costs when CHARGED credits
 * were charged for it already, the customer agreed to the assessment in
 * advance (PREAPPROVED) or not, and has BALANCE credits. An increase to
 * category 2 or 3 needs the customer's confirmation unless agreed in
 * advance (CONFIRMED: the customer has just confirmed it); the balance
 * never goes below zero.
 */
void policy_price(int category, int charged, bool preapproved,
    bool confirmed, int64_t balance, struct policy_price *price);

#endif
