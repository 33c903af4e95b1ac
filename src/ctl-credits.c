/*
 * ctl-credits.c - deskctl credits buy, credits show (the ledger).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "policy.h"

#include "ctl.h"

/* Longest --reference: a billing system's payment id is much shorter. */
#define CTL_REFERENCE_MAX 200

/*
 * A payment's id is printed and compared byte for byte: UTF-8 without
 * control characters or white space at either end, so what the billing
 * script passes and what the operator reads are the same string.
 */
static int
ctl_check_reference(const char *ref, GError **error)
{
	size_t len = strlen(ref);
	const char *p;

	if (len == 0 || len > CTL_REFERENCE_MAX || !g_utf8_validate(ref, -1,
	    NULL) || g_ascii_isspace(ref[0]) || g_ascii_isspace(ref[len - 1]))
		goto bad;
	for (p = ref; *p != '\0'; p = g_utf8_next_char(p))
		if (g_unichar_iscntrl(g_utf8_get_char(p)))
			goto bad;
	return 0;
bad:
	return ctl_fail(error, DESK_ERROR_PERM, "--reference must be 1 to %d "
	    "bytes of UTF-8 text, without control characters or white space "
	    "at either end", CTL_REFERENCE_MAX);
}

/*
 * The purchase's reference is in the ledger already, in row SEEN. The
 * same customer and package: returns the line that says so, to print
 * once the (empty) transaction is over (transfer full). Anything else:
 * the reference is another purchase's, NULL and an error.
 */
static char *
ctl_credits_seen(struct ctl *ctl, const struct customer *c, int credits,
    int cents, const struct ledger_entry *seen, GError **error)
{
	struct customer owner = { 0 };
	char *when = ctl_time(seen->created), *line = NULL;
	int64_t balance;

	if (seen->customer_id != c->id || seen->delta != credits ||
	    seen->price_cents != cents) {
		if (store_customer_get(ctl->store, seen->customer_id, &owner,
		    error) < 0)
			goto out;
		ctl_fail(error, DESK_ERROR_EXISTS, "reference %s is already "
		    "recorded, for another purchase: %d credits to %s on %s; "
		    "nothing bought", ctl_plain(ctl, seen->reference),
		    seen->delta, ctl_plain(ctl, owner.email ? owner.email :
		    "?"), when);
		goto out;
	}
	if (store_ledger_balance(ctl->store, c->id, &balance, error) < 0)
		goto out;
	line = g_strdup_printf("reference %s already recorded on %s: %d "
	    "credits to %s ($%d.%02d); balance %" G_GINT64_FORMAT " credits; "
	    "nothing changed\n", ctl_plain(ctl, seen->reference), when,
	    seen->delta, ctl_plain(ctl, c->email), cents / 100, cents % 100,
	    (gint64)balance);
out:
	customer_clear(&owner);
	g_free(when);
	return line;
}

int
ctl_credits_buy(struct ctl *ctl, GError **error)
{
	struct customer c = { 0 };
	struct ledger_entry seen = { 0 };
	const char *package = ctl_opt(ctl, "package");
	const char *reference = ctl_opt(ctl, "reference");
	char *end = NULL, *reason;
	int credits = package ? (int)g_ascii_strtoll(package, &end, 10) : 0;
	GString *report;
	char *seen_line = NULL;
	int64_t row;
	int cents, rc = -1;

	if (end == NULL || *end != '\0' ||
	    (cents = policy_package_price(credits)) < 0)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "--package must be 25, 50, 100 or 200 credits");
	if (reference != NULL && ctl_check_reference(reference, error) < 0)
		return -1;
	/*
	 * The lookup of the reference and the insert are under one BEGIN
	 * IMMEDIATE: a second run with the same reference waits for the
	 * first one's commit and then finds its row.
	 */
	if (store_begin(ctl->store, error) < 0)
		return -1;
	report = g_string_new(NULL);
	if (ctl_customer(ctl, ctl_arg(ctl, 0), &c, error) < 0)
		goto out;
	reason = g_strdup_printf("package of %d credits bought for $%d.%02d",
	    credits, cents / 100, cents % 100);
	if (reference == NULL)
		row = store_ledger_add(ctl->store, c.id, credits, reason, 0, 0,
		    cents, error);
	else
		row = store_ledger_add_purchase(ctl->store, c.id, credits,
		    reason, cents, reference, &seen, error);
	g_free(reason);
	if (row < 0)
		goto out;
	if (row == 0) {	/* bought before, or the reference is another's */
		if ((seen_line = ctl_credits_seen(ctl, &c, credits, cents,
		    &seen, error)) != NULL)
			rc = 0;
		goto out;
	}
	/* and the tickets that waited for credits go on, in this transaction */
	rc = ctl_credits_resume(ctl, c.id, report, error);
out:
	if (ctl_tx_end(ctl, rc, error) < 0)
		rc = -1;
	else if (seen_line != NULL)
		fputs(seen_line, stdout);
	else
		printf("%d credits added to %s ($%d.%02d)%s%s\n%s", credits,
		    c.email, cents / 100, cents % 100, reference ?
		    ", reference " : "", reference ? ctl_plain(ctl, reference) :
		    "", report->str);
	g_string_free(report, TRUE);
	g_free(seen_line);
	ledger_entry_clear(&seen);
	customer_clear(&c);
	return rc;
}

int
ctl_credits_show(struct ctl *ctl, GError **error)
{
	struct customer c = { 0 };
	GPtrArray *ledger = NULL;
	int64_t balance;
	guint i;
	int rc = -1;

	if (ctl_customer(ctl, ctl_arg(ctl, 0), &c, error) < 0)
		return -1;
	if (store_ledger_balance(ctl->store, c.id, &balance, error) < 0)
		goto out;
	if ((ledger = store_ledger_list(ctl->store, c.id, error)) == NULL)
		goto out;
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "customer");
		json_builder_add_string_value(b, c.email);
		json_builder_set_member_name(b, "balance");
		json_builder_add_int_value(b, balance);
		json_builder_set_member_name(b, "ledger");
		json_builder_begin_array(b);
		for (i = 0; i < ledger->len; i++) {
			struct ledger_entry *e = g_ptr_array_index(ledger, i);

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "delta");
			json_builder_add_int_value(b, e->delta);
			ctl_json_string(b, "reason", e->reason);
			ctl_json_int_or_null(b, "ticket", e->ticket_id);
			json_builder_set_member_name(b, "price_cents");
			if (e->price_cents >= 0)
				json_builder_add_int_value(b, e->price_cents);
			else
				json_builder_add_null_value(b);
			ctl_json_string(b, "reference", e->reference);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		ctl_print_json(b);
		g_object_unref(b);
	} else {
		printf("%s: %" G_GINT64_FORMAT " credits\n", ctl_plain(ctl,
		    c.email), (gint64)balance);
		for (i = 0; i < ledger->len; i++) {
			struct ledger_entry *e = g_ptr_array_index(ledger, i);
			char *when = ctl_time(e->created);

			printf("  %s  %+5d  %s", when, e->delta, ctl_plain(ctl,
			    e->reason));
			if (e->ticket_id > 0)
				printf(" (ticket %" G_GINT64_FORMAT ")",
				    (gint64)e->ticket_id);
			if (e->reference != NULL)
				printf(" (reference %s)", ctl_plain(ctl,
				    e->reference));
			printf("\n");
			g_free(when);
		}
	}
	rc = 0;
out:
	if (ledger != NULL)
		g_ptr_array_unref(ledger);
	customer_clear(&c);
	return rc;
}
