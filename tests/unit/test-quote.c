/*
 * test-quote.c - quote.c with the shipped filters/quotes.rules: the quote
 * headers and signatures of the common mail clients, the cases where
 * text must be kept, and the rate on the public trim corpus (at least
 * 95 % of the expected replies, whitespace-normalised).
 */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "html.h"
#include "quote.h"
#include "test-util.h"

static struct rules *quotes;

static void
expect_trim(const char *text, const char *want)
{
	char *got = quote_trim(quotes, text);
	char *a = test_normalise(got), *b = test_normalise(want);

	g_assert_cmpstr(a, ==, b);
	g_free(a);
	g_free(b);
	g_free(got);
}

/* One client's reply: NEW TEXT above, its quote header and history. */
struct client_case {
	const char *client;
	const char *text;
	const char *want;
};

static const struct client_case client_cases[] = {
	{ "gmail",
	  "Thanks, that fixed it.\n\nOn Wed, Nov 25, 2026 at 10:00 AM Help Desk "
	  "<support+1-a1b2c3d4e5f60708@desk.test> wrote:\n\n> Dear Bob,\n> "
	  "try this.\n", "Thanks, that fixed it." },
	{ "gmail, header folded over two lines",
	  "Thanks.\n\nOn Wed, Nov 25, 2026 at 10:00 AM Help Desk <\n"
	  "support+1-a1b2c3d4e5f60708@desk.test> wrote:\n\n> old\n", "Thanks." },
	{ "gmail in Russian",
	  "Спасибо, заработало.\n\nср, 25 нояб. 2026 г. в 10:00, Служба "
	  "поддержки <support+1-a1b2c3d4e5f60708@desk.test>:\n\n> Здравствуйте\n",
	  "Спасибо, заработало." },
	{ "outlook desktop",
	  "It still fails.\n\nFrom: Help Desk <support@desk.test>\nSent: "
	  "Wednesday, November 25, 2026 10:00 AM\nTo: Bob <bob@x.example>\n"
	  "Subject: [#1] Cart\n\nDear Bob,\nplease try this.\n",
	  "It still fails." },
	{ "outlook web, separator line",
	  "It still fails.\n\n________________________________\nFrom: Help Desk "
	  "<support@desk.test>\nSent: Wednesday, November 25, 2026 10:00\n\n"
	  "old\n", "It still fails." },
	{ "outlook in Russian",
	  "Ошибка осталась.\n\nОт: Служба поддержки <support@desk.test>\n"
	  "Отправлено: 25 ноября 2026 г. 10:00\nКому: Иван\nТема: [#1] Ошибка\n"
	  "\nЗдравствуйте, Иван!\n", "Ошибка осталась." },
	{ "outlook, original message",
	  "See below.\n\n-----Original Message-----\nFrom: x\nSent: y\n\nold\n",
	  "See below." },
	{ "apple mail",
	  "Works now.\n\n> On 25 Nov 2026, at 10:00, Help Desk <support@desk.test>"
	  " wrote:\n> \n> old\n", "Works now." },
	{ "thunderbird",
	  "Done.\n\nOn 11/25/26 10:00, Help Desk wrote:\n> old\n", "Done." },
	{ "thunderbird in Russian",
	  "Готово.\n\n25.11.2026 10:00, Служба поддержки пишет:\n> старое\n",
	  "Готово." },
	{ "yandex",
	  "Готово.\n\n25.11.2026, 10:00, \"Служба поддержки\" "
	  "<support+1-a1b2c3d4e5f60708@desk.test>:\n> старое\n", "Готово." },
	{ "mail.ru",
	  "Готово.\n\nСреда, 25 ноября 2026, 10:00 +03:00 от Служба поддержки "
	  "<support+1-a1b2c3d4e5f60708@desk.test>:\n> старое\n", "Готово." },
	{ "iphone",
	  "Yes, go ahead.\n\nSent from my iPhone\n\n> On 25 Nov 2026, at 10:00,"
	  " Help Desk <support@desk.test> wrote:\n> old\n", "Yes, go ahead." },
	{ "iphone in Russian",
	  "Да, конечно.\n\nОтправлено с iPhone\n\n> 25 нояб. 2026 г., в 10:00,"
	  " Служба поддержки <support@desk.test> написал(а):\n> старое\n",
	  "Да, конечно." },
	{ "android gmail",
	  "OK.\n\nOn Wed, 25 Nov 2026, 10:00 Help Desk, <support@desk.test> "
	  "wrote:\n\n> old\n", "OK." },
	{ "s-nail and mailx, below the quote",
	  "Test Help Desk <support@desk.test> wrote:\n\n> Dear Bob,\n> old\n\n"
	  "New text below.\n", "New text below." },
	{ "signature delimiter",
	  "Here is the log.\n\n-- \nBob Smith\nShop Example\n",
	  "Here is the log." },
	{ "answers between the quotes",
	  "On Wed, Nov 25, 2026 at 10:00 AM Help Desk <support@desk.test> "
	  "wrote:\n> Which version?\n\n4.17.2\n\n> Which PHP?\n\nPHP 8.2\n",
	  "4.17.2\n\nPHP 8.2" },
};

static void
test_clients(void)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(client_cases); i++) {
		g_test_message("%s", client_cases[i].client);
		expect_trim(client_cases[i].text, client_cases[i].want);
	}
}

/* When in doubt, the text stays. */
static void
test_keeps_text(void)
{
	/* "On ... wrote:" in the customer's own words is no quote header */
	expect_trim("On the checkout page I see an error.\nThe cron job "
	    "wrote:\n  Fatal error: x\n\nThanks\n", "On the checkout page I see "
	    "an error.\nThe cron job wrote:\n  Fatal error: x\n\nThanks");
	/* a date, an address and a colon count only before a quote */
	expect_trim("At 10:00 the shop sent a mail to admin@shop.example:\n"
	    "Order 12 failed.\n", "At 10:00 the shop sent a mail to "
	    "admin@shop.example:\nOrder 12 failed.");
	/* nothing but a quote: keep it all rather than show nothing */
	expect_trim("> only a quote\n", "> only a quote");
	/* a signature needs text above it */
	expect_trim("-- \nBob\n", "-- \nBob");
	/* "Sent from my ..." with more than a device name is a sentence */
	expect_trim("Works.\n\nSent from my desk, which is easier than my "
	    "phone.\n", "Works.\n\nSent from my desk, which is easier than my "
	    "phone.");
	/* a dash inside a line is no signature */
	expect_trim("Fix -- not a signature.\n\nBye\n",
	    "Fix -- not a signature.\n\nBye");
	/* a long text after "-Name" is not a signature */
	expect_trim("Top\n-Bob\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n",
	    "Top\n-Bob\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13");
}

static void
test_reply_text_html(void)
{
	static const char html_mail[] =
	    "From: a@b.example\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n\r\n"
	    "<div>New answer</div><div class=\"gmail_quote\"><div>On Wed, "
	    "Nov 25, 2026 wrote:</div><blockquote>old</blockquote></div>\r\n";
	struct mail *mail = mail_parse_bytes(html_mail, strlen(html_mail));
	char *reply = quote_reply_text(quotes, mail);

	g_assert_cmpstr(reply, ==, "New answer");
	g_assert_nonnull(strstr(mail->text, "old"));
	g_free(reply);
	mail_free(mail);
}

/* ---- the public corpus ---- */

static char *
read_text(const char *path)
{
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return text;
}

/* expected/NAME.txt against emails/NAME.txt; counts into PASS and TOTAL */
static void
score_expected(const char *set, int *pass, int *total)
{
	char *dir = g_build_filename(set, "expected", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *want_path = g_build_filename(dir, name, NULL);
		char *mail_path = g_build_filename(set, "emails", name, NULL);
		char *want = read_text(want_path), *text = read_text(mail_path);

		if (want != NULL && text != NULL) {
			char *got = quote_trim(quotes, text);
			char *a = test_normalise(got), *b = test_normalise(want);

			(*total)++;
			if (strcmp(a, b) == 0)
				(*pass)++;
			else
				g_test_message("trim mismatch %s/%s:\n%s\n--- want\n%s",
				    set, name, a, b);
			g_free(a);
			g_free(b);
			g_free(got);
		}
		g_free(want);
		g_free(text);
		g_free(want_path);
		g_free(mail_path);
	}
	if (d != NULL)
		g_dir_close(d);
	g_free(dir);
}

/* One line of assertions.tsv; returns -1 when the kind is not ours. */
static int
check_assertion(const char *set, char **f)
{
	char *path = g_strdup_printf("%s/emails/%s.txt", set, f[0]);
	char *text = read_text(path), *got, *want = NULL;
	JsonNode *node = json_from_string(f[2], NULL);
	int ok = -1;
	gint64 start = g_get_monotonic_time();

	if (node != NULL && JSON_NODE_HOLDS_VALUE(node))
		want = g_strdup(json_node_get_string(node));
	if (node != NULL)
		json_node_unref(node);
	if (text == NULL || want == NULL) {
		g_free(text);
		g_free(want);
		g_free(path);
		return -1;
	}
	got = quote_trim(quotes, text);
	if (strcmp(f[1], "reply_equals") == 0) {
		char *a = test_normalise(got), *b = test_normalise(want);

		ok = strcmp(a, b) == 0;
		g_free(a);
		g_free(b);
	} else if (strcmp(f[1], "reply_starts_with") == 0)
		ok = g_str_has_prefix(got, want);
	else if (strcmp(f[1], "reply_contains") == 0)
		ok = strstr(got, want) != NULL;
	else if (strcmp(f[1], "reply_not_contains") == 0)
		ok = strstr(got, want) == NULL;
	else if (strcmp(f[1], "finishes_within_seconds") == 0)
		ok = (g_get_monotonic_time() - start) / 1e6 <
		    g_ascii_strtod(want, NULL);
	if (ok == 0)
		g_test_message("assertion failed %s/%s %s %s", set, f[0], f[1],
		    f[2]);
	g_free(got);
	g_free(want);
	g_free(text);
	g_free(path);
	return ok;
}

static void
score_assertions(const char *set, int *pass, int *total)
{
	char *path = g_build_filename(set, "assertions.tsv", NULL);
	char *text = read_text(path), **lines;
	int i;

	g_free(path);
	if (text == NULL)
		return;
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		char **f = g_strsplit(lines[i], "\t", 3);
		int ok;

		if (lines[i][0] != '#' && g_strv_length(f) == 3 &&
		    (ok = check_assertion(set, f)) >= 0) {
			(*total)++;
			*pass += ok;
		}
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(text);
}

static void
test_corpus(void)
{
	static const char *const sets[] = {
		"trim/reply-parser-github", "trim/reply-parser-zapier",
	};
	int pass = 0, total = 0, apass = 0, atotal = 0;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(sets); i++) {
		char *set = test_corpus_path(sets[i]);

		if (set == NULL) {
			g_test_skip("no ../shared/corpus");
			return;
		}
		score_expected(set, &pass, &total);
		score_assertions(set, &apass, &atotal);
		g_free(set);
	}
	g_test_message("trimmed replies equal to the expected text: %d of %d "
	    "(%.1f %%)", pass, total, 100.0 * pass / MAX(total, 1));
	g_test_message("assertions.tsv checks that hold: %d of %d (%.1f %%)",
	    apass, atotal, 100.0 * apass / MAX(atotal, 1));
	g_assert_cmpint(total, >, 0);
	g_assert_cmpfloat(100.0 * pass / total, >=, 95.0);
	g_assert_cmpfloat(100.0 * apass / MAX(atotal, 1), >=, 95.0);
}

int
main(int argc, char **argv)
{
	char *path = test_srcdir_path("filters/quotes.rules");
	GError *error = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	mail_init();
	quotes = rules_load(path, NULL, &error);
	g_assert_no_error(error);
	g_free(path);
	g_test_add_func("/quote/clients", test_clients);
	g_test_add_func("/quote/keeps-text", test_keeps_text);
	g_test_add_func("/quote/reply-text-html", test_reply_text_html);
	g_test_add_func("/quote/corpus", test_corpus);
	rc = g_test_run();
	rules_free(quotes);
	mail_shutdown();
	return rc;
}
