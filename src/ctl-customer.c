/*
 * ctl-customer.c - deskctl customer add, customer address add,
 * license add (which grants the license's credits), staff add.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "policy.h"

#include "ctl.h"

int
ctl_customer_add(struct ctl *ctl, GError **error)
{
	const char *email = ctl_arg(ctl, 0), *lang = ctl_opt(ctl, "lang");
	char *lower;
	int64_t id;

	if (ctl_check_address(email, error) < 0)
		return -1;
	if (lang == NULL)
		lang = "en";
	if (strcmp(lang, "en") != 0 && strcmp(lang, "ru") != 0)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "--lang must be en or ru, not \"%s\"", lang);
	lower = g_ascii_strdown(email, -1);
	if (store_begin(ctl->store, error) < 0) {
		g_free(lower);
		return -1;
	}
	id = store_customer_add(ctl->store, lower, ctl_opt(ctl, "name"), lang,
	    ctl_opt(ctl, "preapprove") != NULL, error);
	if (id < 0 && (*error)->code == DESK_ERROR_EXISTS) {
		g_clear_error(error);
		ctl_fail(error, DESK_ERROR_EXISTS,
		    "the address %s already belongs to a customer", lower);
	}
	g_free(lower);
	if (ctl_tx_end(ctl, id < 0 ? -1 : 0, error) < 0)
		return -1;
	printf("customer %" G_GINT64_FORMAT " added\n", (gint64)id);
	return 0;
}

/*
 * Give the customer of CUSTOMER_EMAIL one more VALUE (an address or a
 * domain, in lower case) with ADD; WHAT names it in messages.
 */
static int
ctl_customer_attach(struct ctl *ctl, const char *customer_email,
    const char *value, const char *what,
    int (*add)(struct store *, int64_t, const char *, GError **),
    GError **error)
{
	struct customer c = { 0 };
	char *lower;
	int rc;

	if (store_begin(ctl->store, error) < 0)
		return -1;
	if (ctl_customer(ctl, customer_email, &c, error) < 0) {
		store_rollback(ctl->store);
		return -1;
	}
	lower = g_ascii_strdown(value, -1);
	rc = add(ctl->store, c.id, lower, error);
	if (rc < 0 && (*error)->code == DESK_ERROR_EXISTS) {
		g_clear_error(error);
		ctl_fail(error, DESK_ERROR_EXISTS,
		    "the %s %s already belongs to a customer", what, lower);
	}
	if (ctl_tx_end(ctl, rc, error) < 0)
		rc = -1;
	else if (strcmp(what, "domain") == 0)
		printf("every address at %s is now %s's for the guard\n",
		    lower, c.email);
	else
		printf("%s is now an address of %s\n", lower, c.email);
	g_free(lower);
	customer_clear(&c);
	return rc;
}

int
ctl_address_add(struct ctl *ctl, GError **error)
{
	const char *other = ctl_arg(ctl, 1);

	if (ctl_check_address(other, error) < 0)
		return -1;
	return ctl_customer_attach(ctl, ctl_arg(ctl, 0), other, "address",
	    store_address_add, error);
}

/*
 * A whole mail domain of a customer: the guard counts every address
 * there as the customer's (a company writing from many mailboxes).
 */
int
ctl_domain_add(struct ctl *ctl, GError **error)
{
	const char *domain = ctl_arg(ctl, 1);
	char *probe = g_strdup_printf("postmaster@%s", domain);
	int rc;

	/* a domain is valid where an address in it is */
	rc = ctl_check_address(probe, error);
	g_free(probe);
	if (rc < 0 || strchr(domain, '@') != NULL) {
		g_clear_error(error);
		return ctl_fail(error, DESK_ERROR_PERM,
		    "\"%s\" is not a mail domain", domain);
	}
	return ctl_customer_attach(ctl, ctl_arg(ctl, 0), domain, "domain",
	    store_domain_add, error);
}

int
ctl_license_add(struct ctl *ctl, GError **error)
{
	struct customer c = { 0 };
	const char *product = ctl_opt(ctl, "product");
	const char *kind = ctl_opt(ctl, "kind"), *why = NULL;
	int credits, existing;
	int64_t license;
	char *reason;
	int rc = -1;

	if (product == NULL || kind == NULL)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "license add needs --product cs-cart|multi-vendor and "
		    "--kind first|additional|storefront");
	if ((credits = policy_license_credits(product, kind, &why)) < 0)
		return ctl_fail(error, DESK_ERROR_PERM, "license refused: %s",
		    why);
	if (store_begin(ctl->store, error) < 0)
		return -1;
	if (ctl_customer(ctl, ctl_arg(ctl, 0), &c, error) < 0)
		goto out;
	existing = store_license_count(ctl->store, c.id, product, error);
	if (existing < 0)
		goto out;
	if (strcmp(kind, "first") == 0 && existing > 0) {
		ctl_fail(error, DESK_ERROR_PERM, "license refused: %s already "
		    "has a %s license; add it as --kind additional", c.email,
		    product);
		goto out;
	}
	if (strcmp(kind, "first") != 0 && existing == 0) {
		ctl_fail(error, DESK_ERROR_PERM, "license refused: %s has no "
		    "%s license yet; the first one is --kind first", c.email,
		    product);
		goto out;
	}
	license = store_license_add(ctl->store, c.id, product, kind, credits,
	    error);
	if (license < 0)
		goto out;
	reason = g_strdup_printf("license %" G_GINT64_FORMAT ": %s %s",
	    (gint64)license, product, kind);
	rc = store_ledger_add(ctl->store, c.id, credits, reason, 0, license,
	    -1, error) < 0 ? -1 : 0;
	g_free(reason);
	if (rc == 0)
		rc = store_audit(ctl->store, "deskctl", "license-added", 0,
		    c.email, error);
out:
	if (ctl_tx_end(ctl, rc, error) < 0)
		rc = -1;
	else
		printf("license %s %s for %s: %d credits\n", product, kind,
		    c.email, credits);
	customer_clear(&c);
	return rc;
}

int
ctl_staff_add(struct ctl *ctl, GError **error)
{
	const char *email = ctl_arg(ctl, 0);
	char *lower;
	int64_t id;

	if (ctl_check_address(email, error) < 0)
		return -1;
	if (store_begin(ctl->store, error) < 0)
		return -1;
	lower = g_ascii_strdown(email, -1);
	id = store_staff_add(ctl->store, lower, ctl_opt(ctl, "name"), error);
	if (id < 0 && (*error)->code == DESK_ERROR_EXISTS) {
		g_clear_error(error);
		ctl_fail(error, DESK_ERROR_EXISTS, "%s is already staff",
		    lower);
	}
	g_free(lower);
	if (ctl_tx_end(ctl, id < 0 ? -1 : 0, error) < 0)
		return -1;
	printf("staff %" G_GINT64_FORMAT " added\n", (gint64)id);
	return 0;
}
