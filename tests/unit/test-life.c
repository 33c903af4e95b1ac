/*
 * test-life.c - unit tests of ticket-life.c (the transition table) and
 * of policy_price() (what an assessment costs): each rule of the support
 * policy as the table and the price carry it out.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "policy.h"
#include "test-util.h"
#include "ticket-life.h"

/* No two rows answer the same (status, event, price): the table decides. */
static void
test_table_unambiguous(void)
{
	int n, s, e, p, i, checked = 0;
	const struct life_row *rows = life_table(&n);

	for (s = 0; s < LIFE_STATUS_COUNT; s++)
		for (e = 0; e < LIFE_EVENT_COUNT; e++)
			for (p = LIFE_PAID; p <= LIFE_SHORT; p++) {
				int matches = 0;

				for (i = 0; i < n; i++)
					if (rows[i].event == (enum life_event)e &&
					    (rows[i].from & (1u << s)) &&
					    (rows[i].price == LIFE_ANY ||
					    rows[i].price == (enum life_price)p))
						matches++;
				if (matches > 1)
					g_test_fail_printf("%s in %s at price %d: "
					    "%d rows", life_event_name(e),
					    life_status_name(s), p, matches);
				checked++;
			}
	g_test_message("%d (status, event, price) cases, %d rows", checked,
	    n);
	g_assert_cmpint(checked, ==, LIFE_STATUS_COUNT * LIFE_EVENT_COUNT * 3);
}

struct step_case {
	enum life_status from;
	enum life_event event;
	enum life_price price;
	int to;			/* -2: not allowed */
	enum life_ledger ledger;
	enum life_answer answer;
	unsigned notices;	/* that must be among the row's */
};

#define NO (-2)

static void
test_policy_rows(void)
{
	static const struct step_case cases[] = {
		/* category 1 (or pre-approved): answered and charged now */
		{ LIFE_NEW, LIFE_ASSESS, LIFE_PAID, LIFE_ANSWERED,
		    LEDGER_CHARGE, ANSWER_SEND, 0 },
		/* category 2/3 not agreed: held, the customer asked */
		{ LIFE_NEW, LIFE_ASSESS, LIFE_ASK, LIFE_AWAITING_CONFIRMATION,
		    LEDGER_NONE, ANSWER_HOLD, NOTICE_CONFIRM },
		/* a balance short of the charge: held, the packages sent */
		{ LIFE_OPEN, LIFE_ASSESS, LIFE_SHORT, LIFE_AWAITING_CREDITS,
		    LEDGER_NONE, ANSWER_HOLD, NOTICE_CREDITS },
		/* a later change of category: the difference */
		{ LIFE_ANSWERED, LIFE_ASSESS, LIFE_PAID, LIFE_ANSWERED,
		    LEDGER_CHARGE, ANSWER_SEND, NOTICE_CATEGORY },
		{ LIFE_ANSWERED, LIFE_ASSESS, LIFE_ASK,
		    LIFE_AWAITING_CONFIRMATION, LEDGER_NONE, ANSWER_HOLD,
		    NOTICE_CONFIRM },
		/* a closed ticket is reopened first */
		{ LIFE_CLOSED, LIFE_ASSESS, LIFE_PAID, NO, 0, 0, 0 },
		{ LIFE_CLOSED, LIFE_ANSWER, LIFE_ANY, NO, 0, 0, 0 },
		{ LIFE_CLOSED, LIFE_REOPEN, LIFE_ANY, LIFE_OPEN, LEDGER_NONE,
		    ANSWER_NONE, 0 },
		{ LIFE_OPEN, LIFE_REOPEN, LIFE_ANY, NO, 0, 0, 0 },
		/* confirm / decline only while asked */
		{ LIFE_AWAITING_CONFIRMATION, LIFE_CONFIRM, LIFE_PAID,
		    LIFE_ANSWERED, LEDGER_CHARGE, ANSWER_SEND,
		    NOTICE_CONFIRMED },
		{ LIFE_AWAITING_CONFIRMATION, LIFE_CONFIRM, LIFE_SHORT,
		    LIFE_AWAITING_CREDITS, LEDGER_NONE, ANSWER_NONE,
		    NOTICE_CREDITS | NOTICE_CONFIRMED },
		{ LIFE_AWAITING_CONFIRMATION, LIFE_DECLINE, LIFE_ANY,
		    LIFE_CLOSED, LEDGER_NONE, ANSWER_CANCEL, NOTICE_DECLINED },
		{ LIFE_ANSWERED, LIFE_CONFIRM, LIFE_PAID, NO, 0, 0, 0 },
		{ LIFE_CLOSED, LIFE_DECLINE, LIFE_ANY, NO, 0, 0, 0 },
		/* credits bought: resumed only when they cover it */
		{ LIFE_AWAITING_CREDITS, LIFE_CREDITS_ADDED, LIFE_PAID,
		    LIFE_ANSWERED, LEDGER_CHARGE, ANSWER_SEND, 0 },
		{ LIFE_AWAITING_CREDITS, LIFE_CREDITS_ADDED, LIFE_SHORT,
		    LIFE_AWAITING_CREDITS, LEDGER_NONE, ANSWER_NONE, 0 },
		{ LIFE_ANSWERED, LIFE_CREDITS_ADDED, LIFE_PAID, NO, 0, 0, 0 },
		/* security: free; custom: declined, free, closed */
		{ LIFE_NEW, LIFE_SECURITY, LIFE_ANY, LIFE_ANSWERED,
		    LEDGER_REFUND, ANSWER_SEND, 0 },
		{ LIFE_OPEN, LIFE_CUSTOM, LIFE_ANY, LIFE_CLOSED, LEDGER_REFUND,
		    ANSWER_CANCEL, NOTICE_CUSTOM },
		/* an answer while the ticket waits joins the held ones */
		{ LIFE_AWAITING_CONFIRMATION, LIFE_ANSWER, LIFE_ANY,
		    LIFE_AWAITING_CONFIRMATION, LEDGER_NONE, ANSWER_HOLD, 0 },
		{ LIFE_OPEN, LIFE_ANSWER, LIFE_ANY, LIFE_ANSWERED, LEDGER_NONE,
		    ANSWER_SEND, 0 },
		/* the customer writes: the engineers hear; done is undone */
		{ LIFE_ANSWERED, LIFE_CUSTOMER_WRITES, LIFE_ANY, LIFE_OPEN,
		    LEDGER_NONE, ANSWER_NONE, NOTICE_ANNOUNCE },
		{ LIFE_AWAITING_CONFIRMATION, LIFE_CUSTOMER_WRITES, LIFE_ANY,
		    LIFE_AWAITING_CONFIRMATION, LEDGER_NONE, ANSWER_NONE,
		    NOTICE_ANNOUNCE },
		/* closing cancels what was held: it would never go */
		{ LIFE_AWAITING_CREDITS, LIFE_CLOSE, LIFE_ANY, LIFE_CLOSED,
		    LEDGER_NONE, ANSWER_CANCEL, 0 },
		{ LIFE_CLOSED, LIFE_CLOSE, LIFE_ANY, NO, 0, 0, 0 },
		{ LIFE_CLOSED, LIFE_NOTE, LIFE_ANY, LIFE_CLOSED, LEDGER_NONE,
		    ANSWER_NONE, 0 },
		{ LIFE_CLOSED, LIFE_SPLIT, LIFE_ANY, NO, 0, 0, 0 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct step_case *c = &cases[i];
		const struct life_row *r = life_step(c->from, c->event,
		    c->price);

		g_test_message("%s in %s", life_event_name(c->event),
		    life_status_name(c->from));
		if (c->to == NO) {
			g_assert_null(r);
			continue;
		}
		g_assert_nonnull(r);
		if (r == NULL)
			continue;
		g_assert_cmpint(life_next(r, c->from), ==, c->to);
		g_assert_cmpint(r->ledger, ==, c->ledger);
		g_assert_cmpint(r->answer, ==, c->answer);
		g_assert_cmpuint(r->notices & c->notices, ==, c->notices);
	}
	g_test_message("%zu transitions checked", G_N_ELEMENTS(cases));
}

struct price_case {
	int category, charged;
	bool preapproved, confirmed;
	int64_t balance;
	int delta;
	enum policy_verdict verdict;
};

static void
test_price(void)
{
	static const struct price_case cases[] = {
		{ 1, 0, false, false, 50, 5, POLICY_CHARGE },
		{ 2, 0, false, false, 50, 10, POLICY_CONFIRM },
		{ 3, 0, false, false, 50, 20, POLICY_CONFIRM },
		{ 2, 0, true, false, 50, 10, POLICY_CHARGE },
		{ 2, 0, false, true, 50, 10, POLICY_CHARGE },
		/* the balance never goes below zero */
		{ 3, 0, true, false, 19, 20, POLICY_SHORT },
		{ 3, 0, true, false, 20, 20, POLICY_CHARGE },
		{ 1, 0, false, false, 4, 5, POLICY_SHORT },
		/* an increase on a ticket not agreed in advance is asked */
		{ 3, 10, false, false, 50, 10, POLICY_CONFIRM },
		{ 2, 5, false, false, 50, 5, POLICY_CONFIRM },
		{ 3, 10, true, false, 50, 10, POLICY_CHARGE },
		/* a decrease is refunded without asking, whatever the balance */
		{ 1, 20, false, false, 0, -15, POLICY_CHARGE },
		/* free: everything charged comes back */
		{ 0, 10, false, false, 0, -10, POLICY_CHARGE },
		{ 2, 10, false, false, 0, 0, POLICY_CHARGE },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct price_case *c = &cases[i];
		struct policy_price p;

		policy_price(c->category, c->charged, c->preapproved,
		    c->confirmed, c->balance, &p);
		g_test_message("category %d, charged %d, balance %"
		    G_GINT64_FORMAT, c->category, c->charged,
		    (gint64)c->balance);
		g_assert_cmpint(p.delta, ==, c->delta);
		g_assert_cmpint(p.verdict, ==, c->verdict);
	}
	g_test_message("%zu prices checked", G_N_ELEMENTS(cases));
}

/* A row of the table as doc/ARCHITECTURE.md writes it. (transfer full) */
static char *
row_text(const struct life_row *r)
{
	static const char *const prices[] = { "any", "paid", "ask", "short" };
	static const char *const ledgers[] = { "-", "charge the difference",
		"refund all" };
	static const char *const answers[] = { "-", "send (held ones too)",
		"hold", "cancel held" };
	static const char *const notices[] = { "announce", "confirm",
		"credits", "category", "custom", "split", "confirmed",
		"declined" };
	GString *s = g_string_new("| ");
	int i, n = 0;

	for (i = 0; i < LIFE_STATUS_COUNT; i++)
		if (r->from & (1u << i))
			g_string_append_printf(s, "%s%s", n++ ? ", " : "",
			    life_status_name(i));
	g_string_append_printf(s, " | %s | %s | %s | %s | %s | ",
	    life_event_name(r->event), prices[r->price], r->to == LIFE_SAME ?
	    "same" : life_status_name(r->to), ledgers[r->ledger],
	    answers[r->answer]);
	for (i = 0, n = 0; i < (int)G_N_ELEMENTS(notices); i++)
		if (r->notices & (1u << i))
			g_string_append_printf(s, "%s%s", n++ ? ", " : "",
			    notices[i]);
	if (n == 0)
		g_string_append(s, "-");
	g_string_append_printf(s, " | %s |", r->supersede ? "yes" : "-");
	return g_string_free(s, FALSE);
}

/* doc/ARCHITECTURE.md shows the table as built, row for row. */
static void
test_table_in_doc(void)
{
	char *path = test_srcdir_path("doc/ARCHITECTURE.md");
	char *doc = NULL, *begin, *end;
	int n, i, rows = 0;
	const struct life_row *table = life_table(&n);

	if (!g_file_get_contents(path, &doc, NULL, NULL)) {
		g_test_fail_printf("cannot read %s", path);
		g_free(path);
		return;
	}
	begin = strstr(doc, "<!-- life-table -->");
	end = begin ? strstr(begin, "<!-- end life-table -->") : NULL;
	g_assert_nonnull(end);
	if (end == NULL)
		goto out;
	*end = '\0';
	for (i = 0; i < n; i++) {
		char *want = row_text(&table[i]);

		if (strstr(begin, want) == NULL) {
			g_test_message("row %d is not in the doc: %s", i, want);
			g_test_fail();
		}
		g_free(want);
	}
	for (char *p = begin; (p = strstr(p, "\n| ")) != NULL; p++)
		rows++;
	/* the header and its rule are two more lines starting "| " */
	g_assert_cmpint(rows - 1, ==, n);
	g_test_message("%d rows of the table found in %s", n, path);
out:
	g_free(doc);
	g_free(path);
}

static void
test_names(void)
{
	int s;

	for (s = 0; s < LIFE_STATUS_COUNT; s++)
		g_assert_cmpint(life_status_parse(life_status_name(s)), ==, s);
	g_assert_cmpint(life_status_parse("pending"), ==, -1);
	g_assert_cmpint(life_status_parse(NULL), ==, -1);
	g_assert_cmpstr(policy_category_text(2, "ru"), !=,
	    policy_category_text(2, "en"));
	g_assert_true(strstr(policy_category_text(3, "en"), "server") !=
	    NULL);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/life/table/unambiguous", test_table_unambiguous);
	g_test_add_func("/life/table/policy", test_policy_rows);
	g_test_add_func("/life/price", test_price);
	g_test_add_func("/life/table/doc", test_table_in_doc);
	g_test_add_func("/life/names", test_names);
	return g_test_run();
}
