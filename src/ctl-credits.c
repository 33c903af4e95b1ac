/*
 * ctl-credits.c - deskctl credits buy, credits show (the ledger).
 */
#include "config.h"

#include <stdio.h>

#include "error.h"
#include "policy.h"

#include "ctl.h"

int
ctl_credits_buy(struct ctl *ctl, GError **error)
{
	struct customer c = { 0 };
	const char *package = ctl_opt(ctl, "package");
	char *end = NULL, *reason;
	int credits = package ? (int)g_ascii_strtoll(package, &end, 10) : 0;
	GString *report;
	int cents, rc = -1;

	if (end == NULL || *end != '\0' ||
	    (cents = policy_package_price(credits)) < 0)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "--package must be 25, 50, 100 or 200 credits");
	if (store_begin(ctl->store, error) < 0)
		return -1;
	report = g_string_new(NULL);
	if (ctl_customer(ctl, ctl_arg(ctl, 0), &c, error) < 0)
		goto out;
	reason = g_strdup_printf("package of %d credits bought for $%d.%02d",
	    credits, cents / 100, cents % 100);
	/* and the tickets that waited for credits go on, in this transaction */
	rc = store_ledger_add(ctl->store, c.id, credits, reason, 0, 0, cents,
	    error) < 0 || ctl_credits_resume(ctl, c.id, report,
	    error) < 0 ? -1 : 0;
	g_free(reason);
out:
	if (ctl_tx_end(ctl, rc, error) < 0)
		rc = -1;
	else
		printf("%d credits added to %s ($%d.%02d)\n%s", credits,
		    c.email, cents / 100, cents % 100, report->str);
	g_string_free(report, TRUE);
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
