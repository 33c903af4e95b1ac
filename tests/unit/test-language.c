/*
 * test-language.c - language.c with the shipped filters/languages.words,
 * and the exact figures on the corpus's labelled language samples, a
 * development set and a held-out set; on the held-out samples of
 * tests/fixtures/lang (many languages, short replies, transliteration);
 * and, measured against them, libexttextcat (issue 9 item 4), where the
 * build has it.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <glib/gstdio.h>

#ifdef HAVE_EXTTEXTCAT
#include <textcat.h>
#endif

#include "language.h"
#include "test-util.h"

static struct language_model *model;

static void
test_basic(void)
{
	g_assert_cmpstr(language_detect(model, "Hello, the checkout page "
	    "does not work since the upgrade."), ==, "en");
	g_assert_cmpstr(language_detect(model, "Здравствуйте! После "
	    "обновления не работает оплата."), ==, "ru");
	/* Russian in Latin letters is Russian */
	g_assert_cmpstr(language_detect(model, "Zdravstvuyte, u nas ne "
	    "rabotaet oplata posle obnovleniya, pomogite pozhaluysta"), ==,
	    "ru");
	g_assert_cmpstr(language_detect(model, "Добрий день! Дякую за "
	    "відповідь, але оплата не працює."), ==, "other");
	g_assert_cmpstr(language_detect(model, "Hallo, leider funktioniert "
	    "der Versand nach Österreich nicht."), ==, "other");
	g_assert_cmpstr(language_detect(model, ""), ==, "unknown");
	g_assert_cmpstr(language_detect(model, "12345 :+1:"), ==, "unknown");
	/* code and logs do not outvote the sentence around them */
	g_assert_cmpstr(language_detect(model, "При оформлении заказа "
	    "ошибка: PHP Fatal error: Uncaught Error in /var/www/app.php on "
	    "line 12, что делать?"), ==, "ru");
	g_assert_cmpstr(language_best(model, "Hola, el pago con tarjeta no "
	    "funciona"), ==, "es");
	/* a script of its own tells a language without any listed word,
	 * and outvotes the English terms in it */
	g_assert_cmpstr(language_best(model, "決済ページでエラー"), ==, "ja");
	g_assert_cmpstr(language_detect(model, "the checkout 页面打不开了，"
	    "请帮忙看一下"), ==, "other");
	g_assert_cmpstr(language_best(model, "Ευχαριστώ πολύ"), ==, "el");
}

/*
 * Words beyond ASCII that no list knows are another language; ASCII
 * words or none at all tell nothing, nor do letters in code.
 */
static void
test_no_evidence(void)
{
	GError *error = NULL;
	struct language_model *m = language_load_text("mini.words",
	    "en words the\nru words и\n", &error);

	g_assert_no_error(error);
	g_assert_cmpstr(language_detect(m, "the"), ==, "en");
	g_assert_cmpstr(language_best(m, "Kiitos paljon, hyvää päivää"), ==,
	    NULL);
	g_assert_cmpstr(language_detect(m, "Kiitos paljon, hyvää päivää"),
	    ==, "other");
	g_assert_cmpstr(language_detect(m, "License renewal"), ==, "unknown");
	g_assert_cmpstr(language_detect(m, "see /var/www/заказ.php"), ==,
	    "unknown");
	g_assert_cmpstr(language_detect(m, "Рахмет!"), ==, "other");
	g_assert_cmpstr(language_detect(m, "42 :) ..."), ==, "unknown");
	language_free(m);
}

/*
 * A tie goes to the language first in the file, Russian before its
 * neighbours: words Russian shares are Russian ("Я хочу вернуть товар",
 * a lone "да"); but when the neighbour has a word of its own, the tie
 * goes to it.
 */
/*
 * Endings and letters inside: evidence for the words no list knows,
 * never for a listed one; the longest ending; the first sequence.
 */
static void
test_shapes(void)
{
	GError *error = NULL;
	struct language_model *m = language_load_text("shapes.words",
	    "en words 'tis ok\nru words тестиння да где\nuk endings ння\n"
	    "be endings ення цца\nbg inside ър ъл\n", &error), *again;
	GBytes *blob;

	g_assert_no_error(error);
	g_assert_cmpstr(language_best(m, "завдання"), ==, "uk");
	/* "-ення" is longer than "-ння" */
	g_assert_cmpstr(language_best(m, "забезпечення"), ==, "be");
	/* the word must be three letters longer than the ending */
	g_assert_null(language_best(m, "ння"));
	g_assert_null(language_best(m, "луння"));
	g_assert_cmpstr(language_best(m, "плуння"), ==, "uk");
	g_assert_cmpstr(language_best(m, "где пицца"), ==, "ru");
	g_assert_cmpstr(language_best(m, "запускаецца"), ==, "be");
	/* a listed word is a word, not an ending */
	g_assert_cmpstr(language_best(m, "тестиння"), ==, "ru");
	g_assert_cmpstr(language_best(m, "върна"), ==, "bg");
	g_assert_cmpstr(language_best(m, "ър"), ==, "bg");
	/* one point a word, not one a sequence */
	g_assert_cmpstr(language_best(m, "да, да, търпълъв"), ==, "ru");
	g_assert_cmpstr(language_best(m, "да, търпълъв върна"), ==, "bg");
	g_assert_cmpstr(language_detect(m, "да, търпълъв върна"), ==, "other");
	/* a word's shape does not decide a tie against Russian */
	g_assert_cmpstr(language_detect(m, "да, върна"), ==, "ru");
	g_assert_cmpstr(language_best(m, "'tis"), ==, "en");
	/* the saved form keeps them */
	blob = language_save(m);
	again = language_restore(blob);
	g_assert_nonnull(again);
	g_assert_cmpstr(language_best(again, "завдання върна върна"), ==,
	    "bg");
	g_bytes_unref(blob);
	language_free(again);
	language_free(m);
}

/*
 * Russian that looks like a neighbour's by one word's shape or letter
 * stays Russian (the review's cases), and a letter two languages list
 * counts for both.
 */
static void
test_russian_shapes(void)
{
	static const char *const russian[] = {
		"Курьер опоздал, что ожидаемо", "Оплатил, жду. Неприемлемо",
		"Код на Си не компилируется", "Ошибка при сборке на Си",
		"Где пицца?", "Вы выдали ключ",
	};
	GError *error = NULL;
	struct language_model *m;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(russian); i++) {
		g_test_message("%s", russian[i]);
		g_assert_cmpstr(language_detect(model, russian[i]), ==, "ru");
	}
	g_assert_cmpstr(language_detect(model, "Праграма не запускаецца, "
	    "выдае памылку."), ==, "other");
	m = language_load_text("letters.words", "ru words да\nru letters ы\n"
	    "be letters ыў\n", &error);
	g_assert_no_error(error);
	/* ы: half a point each; Russian's too, so not the neighbour's own */
	g_assert_cmpstr(language_best(m, "ы"), ==, "ru");
	g_assert_cmpstr(language_best(m, "ў"), ==, "be");
	g_assert_cmpstr(language_best(m, "ў ы"), ==, "be");
	language_free(m);
}

static void
test_ties(void)
{
	GError *error = NULL;
	struct language_model *m = language_load_text("ties.words",
	    "en words ok\nru words да так не хорошо я хочу товар\n"
	    "uk words так не можна я хочу товар\nbg words да добре\n", &error);

	g_assert_no_error(error);
	g_assert_cmpstr(language_detect(m, "Да"), ==, "ru");
	g_assert_cmpstr(language_detect(m, "так"), ==, "ru");
	g_assert_cmpstr(language_detect(m, "Я хочу вернуть товар"), ==, "ru");
	/* ru: так, хорошо; uk: так, можна */
	g_assert_cmpstr(language_best(m, "так, можна, хорошо"), ==, "uk");
	g_assert_cmpstr(language_detect(m, "так, можна, хорошо"), ==, "other");
	g_assert_cmpstr(language_detect(m, "так, не хорошо"), ==, "ru");
	g_assert_cmpstr(language_best(m, "да, добре"), ==, "bg");
	language_free(m);
}

static void
test_load_errors(void)
{
	char *dir = g_dir_make_tmp("test-language-XXXXXX", NULL);
	char *path = g_build_filename(dir, "bad.words", NULL);
	GError *error = NULL;

	g_assert_true(g_file_set_contents(path, "en words a\nen nouns b\n", -1,
	    NULL));
	g_assert_null(language_load(path, &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "bad.words:2"));
	g_clear_error(&error);
	/* a script is named by its ISO 15924 code */
	g_assert_null(language_load_text("s.words", "xx scripts Hani Qwxz\n",
	    &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "Qwxz"));
	g_clear_error(&error);
	g_assert_null(language_load_text("s.words", "xx scripts Han\n",
	    &error));
	g_clear_error(&error);
	/* a run inside a word is two letters or more */
	g_assert_null(language_load_text("i.words", "bg inside ър ъ\n",
	    &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "i.words:1"));
	g_clear_error(&error);
	g_assert_null(language_load("/nonexistent/x.words", &error));
	g_clear_error(&error);
	g_remove(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

/*
 * The labelled samples (../shared/corpus/labelled/lang) split once, by a
 * fixed rule chosen before any result was seen: the odd-numbered en and
 * ru samples and uk01, bg01, de01 are the development set, on which
 * filters/languages.words may be tuned; the even-numbered ones and kk01,
 * sr01, es01 are held out and never looked at for tuning. Every sample
 * of labels.tsv must be in exactly one list. Each set's figure is
 * enforced exactly as measured, each miss named (tests/README.md).
 */
static const char *const lang_dev[] = {
	"en01_checkout_http500.txt", "en03_upgrade_permissions.txt",
	"en05_thanks_works.txt", "en07_vendor_payouts.txt",
	"en09_close_ticket.txt", "en11_stripe_3ds.txt",
	"ru01_checkout_error.txt", "ru03_spasibo.txt",
	"ru05_upgrade_stuck.txt", "ru07_sber_settings.txt",
	"ru09_logo_emails.txt", "ru11_cron_cli.txt",
	"uk01_nova_poshta.txt", "bg01_checkout.txt", "de01_sperrgut.txt",
};
static const char *const lang_test[] = {
	"en02_paypal_settings.txt", "en04_ups_canada_rates.txt",
	"en06_russian_company_invoice.txt", "en08_eu_vat.txt",
	"en10_nonnative_yml_export.txt", "en12_smtp_settings.txt",
	"ru02_cdek_fatal_error_code.txt", "ru04_translit_yukassa.txt",
	"ru06_pochta_rates.txt", "ru08_sql_error.txt",
	"ru10_addons_english_terms.txt", "ru12_no_distinct_letters.txt",
	"kk01_kaspi_payment.txt", "sr01_card_payment.txt",
	"es01_card_payment.txt",
};
#define LANG_DEV_RIGHT		15	/* of 15 */
#define LANG_TEST_RIGHT		15	/* of 15 */

static bool
lang_listed(const char *const *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* Score the samples of LIST (N names); fail unless exactly WANT are right. */
static void
lang_score(const char *what, const char *const *list, size_t n, int want)
{
	char *dir = test_corpus_path("labelled/lang"), *labels, *text = NULL;
	GString *misses = g_string_new(NULL);
	char **lines;
	int i, pass = 0, total = 0;

	if (dir == NULL) {
		g_test_skip("no ../shared/corpus");
		g_string_free(misses, TRUE);
		return;
	}
	labels = g_build_filename(dir, "labels.tsv", NULL);
	g_assert_true(g_file_get_contents(labels, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (i = 1; lines[i] != NULL; i++) {
		char **f = g_strsplit(lines[i], "\t", 3), *path, *sample = NULL;
		bool dev, test;

		if (g_strv_length(f) < 2) {
			g_strfreev(f);
			continue;
		}
		dev = lang_listed(lang_dev, G_N_ELEMENTS(lang_dev), f[0]);
		test = lang_listed(lang_test, G_N_ELEMENTS(lang_test), f[0]);
		if (dev == test)
			g_string_append_printf(misses, "\n  %s: in %s of the "
			    "two lists", f[0], dev ? "both" : "neither");
		if (lang_listed(list, n, f[0])) {
			const char *got = "unreadable";

			path = g_build_filename(dir, f[0], NULL);
			total++;
			if (g_file_get_contents(path, &sample, NULL, NULL))
				got = language_detect(model, sample);
			if (strcmp(got, f[1]) == 0)
				pass++;
			else {
				g_test_message("miss: %s: %s, labelled %s",
				    f[0], got, f[1]);
				g_string_append_printf(misses, "\n  %s: %s, "
				    "labelled %s", f[0], got, f[1]);
			}
			g_free(sample);
			g_free(path);
		}
		g_strfreev(f);
	}
	g_test_message("%s: languages right: %d of %d", what, pass, total);
	if (total != (int)n || pass != want)
		g_test_fail_printf("%s: want %d of %zu right, got %d of %d; "
		    "misses:%s", what, want, n, pass, total,
		    misses->len ? misses->str : " none");
	g_string_free(misses, TRUE);
	g_strfreev(lines);
	g_free(text);
	g_free(labels);
	g_free(dir);
}

/* A detector under measurement: TEXT to "en", "ru", "other", "unknown". */
typedef const char *(*lang_detector)(void *ctx, const char *text);

static const char *
lang_words(void *ctx, const char *text)
{
	return language_detect(ctx, text);
}

/*
 * Score DETECT on the samples of DIR/labels.tsv ("file<TAB>language",
 * "#" comments). *RIGHT_R gets the right ones, *RU_R the samples of
 * Ukrainian, Belarusian, Bulgarian or Kazakh (their names begin uk-, be-,
 * bg-, kk- or uk01, bg01, kk01) called Russian, MISSES their names.
 * Returns the number of samples.
 */
static int
lang_measure(const char *dir, lang_detector detect, void *ctx, int *right_r,
    int *ru_r, GString *misses)
{
	char *labels = g_build_filename(dir, "labels.tsv", NULL), *text = NULL;
	char **lines;
	int i, total = 0;

	*right_r = *ru_r = 0;
	if (!g_file_get_contents(labels, &text, NULL, NULL)) {
		g_free(labels);
		return -1;
	}
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		char **f = g_strsplit(lines[i], "\t", 3), *path, *sample = NULL;
		const char *got = "unreadable";

		if (g_strv_length(f) < 2 || *f[0] == '#' ||
		    strcmp(f[0], "file") == 0) {
			g_strfreev(f);
			continue;
		}
		path = g_build_filename(dir, f[0], NULL);
		total++;
		if (g_file_get_contents(path, &sample, NULL, NULL))
			got = detect(ctx, sample);
		if (strcmp(got, f[1]) == 0)
			(*right_r)++;
		else
			g_string_append_printf(misses, " %s:%s", f[0], got);
		if (strcmp(got, "ru") == 0 && (g_str_has_prefix(f[0], "uk") ||
		    g_str_has_prefix(f[0], "be") ||
		    g_str_has_prefix(f[0], "bg") ||
		    g_str_has_prefix(f[0], "kk")))
			(*ru_r)++;
		g_free(sample);
		g_free(path);
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(text);
	g_free(labels);
	return total;
}

/*
 * Check DETECT (named WHO) on tests/fixtures/lang/SET: exactly WANT
 * right of TOTAL, exactly WANT_RU of uk/be/bg/kk called ru. The sets:
 * dev (the word lists may be tuned on it), held-out and held-out-2 (two
 * authors' sets, each written before any measurement and never tuned
 * on). Only the names of the misses are shown.
 */
static void
lang_check_fixtures(const char *who, const char *set, lang_detector detect,
    void *ctx, int want, int total, int want_ru)
{
	char *rel = g_build_filename("tests/fixtures/lang", set, NULL);
	char *dir = test_srcdir_path(rel);
	GString *misses = g_string_new(NULL);
	int right, ru, n = lang_measure(dir, detect, ctx, &right, &ru, misses);

	g_test_message("%s: tests/fixtures/lang/%s %d/%d (%.1f %%), "
	    "uk/be/bg/kk called ru: %d%s%s", who, set, right, n,
	    n > 0 ? 100.0 * right / n : 0.0, ru,
	    misses->len ? "; miss:" : "", misses->str);
	if (n != total || right != want || ru != want_ru)
		g_test_fail_printf("%s: %s: want %d of %d right and %d "
		    "uk/be/bg/kk called ru, got %d of %d and %d; miss:%s", who,
		    set, want, total, want_ru, right, n, ru,
		    misses->len ? misses->str : " none");
	g_string_free(misses, TRUE);
	g_free(dir);
	g_free(rel);
}

/* One set's figures: samples, right by the word lists and by exttextcat. */
struct lang_set {
	const char *name;
	int total;
	int words, words_ru;
	int textcat, textcat_ru;
	bool blind;	/* held out and never seen: the clean figure */
};

/*
 * The figures, each enforced exactly. First measurements, before any
 * tuning: held-out (41) by the word lists 38, exttextcat 35; dev (24)
 * 22 and 16; held-out-2 (35) 33 and 23. Stop 14 tuned the word lists on
 * dev only (a clause with code counts only when nothing else does;
 * Belarusian words): 39 and 34. Stop 15 added 49 dev samples (short
 * replies in 30 languages, Latin Serbian, scripts of their own), on which
 * the lists had 29 of 49, and words for them, scripts, and "other" for
 * unknown words beyond ASCII; then 17 more in Cyrillic (uk, be, bg, kk,
 * ru; short, and without the letters of their own), all right at once,
 * and each language's shared words (a shared word listed only for
 * Russian was a head start for it). The names of the three held-out
 * misses were known by then (a short Dutch reply, Latin Serbian, a short
 * Russian one), so from stop 15 held-out and held-out-2 are seen sets,
 * not clean ones. held-out-3 (a third author, blind) was first measured
 * after the first of those changes: 56 of 57, one Ukrainian text called
 * Russian; the shared words left it so. held-out-4 (a fourth author,
 * blind) was first measured after all of them: 50 of 50; held-out-5 (a
 * fifth author, blind, weighted to Ukrainian, Belarusian, Bulgarian and
 * Kazakh, short and without their own letters) too: 50 of 50. Stop 16
 * added dev-2 (60 samples by a sixth author, weighted to the hard
 * cases): 59 of 60 at once, a Ukrainian text called Russian on a tie;
 * the words every neighbour shares with Russian ("а", "може", "ако")
 * made it 60. held-out-6 (a seventh author, blind) was first measured
 * then: 48 of 50, one Ukrainian text called Russian, one Russian with a
 * log called English. A tie rule followed: first the neighbours before
 * Russian with a one-word tie to en or ru (it called held-out-2's
 * Russian ru-09 "other"), then, after a review showed plain Russian of
 * shared words going to a neighbour, Russian first again with a tie
 * going to the neighbour only when it has words of its own. Neither
 * changed held-out-6. Tie rules had been weighed at stop 15 knowing
 * held-out-3's Ukrainian miss, which they mend, so held-out-3 is a seen
 * set from stop 16. held-out-7 (an eighth author, blind, weighted to
 * short Russian replies and to the neighbours without their own
 * letters) was first measured under the first tie rule: 59 of 60, and
 * the same under the second. Stop 17 added dev-3 (60 by a ninth author,
 * Russian's neighbours, short, few letters of their own): 57 of 60, two
 * Belarusian texts and a Bulgarian one called Russian, which the
 * `endings` and `inside` lines and Bulgarian "си" made 60. They were
 * written knowing that held-out-6's miss was a Ukrainian text called
 * Russian (they mend it: 49 of 50), so held-out-6 is a seen set from
 * stop 17. held-out-8 (a tenth author, blind, weighted to Ukrainian and
 * Belarusian without their own letters) was committed before them and
 * first measured after them: 60 of 60 (and 60 under the lists before
 * them too). held-out-9 (an eleventh author, blind, the issue's mix:
 * short replies, transliteration, logs and signatures in the other
 * language, Russian's neighbours partly without their own letters) was
 * committed before stop 18 measured anything: 60 of 60 at its first
 * measurement (exttextcat 41, 8 of the neighbours called Russian).
 * held-out-10 (a twelfth author, blind, the same mix with Kyrgyz and
 * Mongolian among the neighbours) was committed before stop 19 measured
 * it: 57 of 60 at its first measurement (a Russian text called English,
 * a Kyrgyz and a Mongolian one called Russian; exttextcat 41, and 2 of
 * the uk/be/bg/kk texts called Russian).
 * Stop 20 added dev-4 (60 by a thirteenth author, weighted to Kyrgyz,
 * Mongolian, Tajik, Tatar and the other neighbours): 51 of 60 at once,
 * four Kyrgyz, four Mongolian and a Tatar text called Russian; word
 * lists for Kyrgyz, Mongolian, Tatar and Tajik (their function words,
 * greetings and help-desk words, from general knowledge) made it 60.
 * dev-4 was asked for knowing that held-out-10's misses were Kyrgyz and
 * Mongolian, so held-out-10 is a seen set from stop 20 (59 of 60 then).
 * What the misses are is printed by name.
 */
static const struct lang_set lang_sets[] = {
	{ "dev", 90, 90, 0, 68, 6, false },
	{ "dev-2", 60, 60, 0, 37, 8, false },
	{ "dev-3", 60, 60, 0, 45, 10, false },
	{ "dev-4", 60, 60, 0, 42, 5, false },
	{ "held-out", 41, 41, 0, 35, 1, false },
	{ "held-out-2", 35, 35, 0, 23, 2, false },
	{ "held-out-3", 57, 57, 0, 37, 4, false },
	{ "held-out-4", 50, 50, 0, 38, 1, true },
	{ "held-out-5", 50, 50, 0, 37, 4, true },
	{ "held-out-6", 50, 49, 0, 31, 7, false },
	{ "held-out-7", 60, 59, 0, 39, 8, true },
	{ "held-out-8", 60, 60, 0, 46, 8, true },
	{ "held-out-9", 60, 60, 0, 41, 8, true },
	{ "held-out-10", 60, 59, 0, 41, 2, false },
};

static void
test_fixtures_words(void)
{
	int right = 0, total = 0, ru = 0;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(lang_sets); i++) {
		const struct lang_set *set = &lang_sets[i];

		lang_check_fixtures("word lists", set->name, lang_words, model,
		    set->words, set->total, set->words_ru);
		if (set->blind) {
			right += set->words;
			total += set->total;
			ru += set->words_ru;
		}
	}
	/* the sets above are enforced one by one; this is their sum */
	g_test_message("word lists: the blind held-out sets together %d/%d "
	    "(%.1f %%), uk/be/bg/kk called ru: %d", right, total,
	    total > 0 ? 100.0 * right / total : 0.0, ru);
}

#ifdef HAVE_EXTTEXTCAT
/*
 * libexttextcat's first guess, its "xx--utf8" code cut to "xx": en and
 * ru are themselves, any other language "other", SHORT or UNKNOWN
 * "unknown".
 */
static const char *
lang_textcat(void *handle, const char *text)
{
	const char *guess = textcat_Classify(handle, text, strlen(text));

	if (guess == NULL || *guess != '[')
		return "unknown";
	if (strncmp(guess, "[en-", 4) == 0)
		return "en";
	if (strncmp(guess, "[ru-", 4) == 0)
		return "ru";
	return "other";
}

/*
 * exttextcat misses short English and Russian replies ("ok, thanks" as
 * Scots, "спасибо" as Rusyn), transliterated Russian (as Slovene),
 * Russian with a stack trace, and calls a Ukrainian text without і, ї, є
 * Russian; on the corpus's labelled samples it has 26 of 30 (the word
 * lists: 30 of 30, tuned on half of them). The word lists stay: exttextcat
 * is worse on what the desk needs most (short en/ru replies,
 * transliteration), and a combination could only be tuned on held-out
 * samples.
 */
#define LANG_CORPUS_TEXTCAT		26	/* of 30 */

static void
test_fixtures_textcat(void)
{
	void *handle = special_textcat_Init(EXTTEXTCAT_DATADIR "/fpdb.conf",
	    EXTTEXTCAT_DATADIR "/");
	char *corpus = test_corpus_path("labelled/lang");
	size_t i;

	if (handle == NULL) {
		g_test_fail_printf("special_textcat_Init(%s) failed",
		    EXTTEXTCAT_DATADIR "/fpdb.conf");
		g_free(corpus);
		return;
	}
	for (i = 0; i < G_N_ELEMENTS(lang_sets); i++)
		lang_check_fixtures("exttextcat", lang_sets[i].name,
		    lang_textcat, handle, lang_sets[i].textcat,
		    lang_sets[i].total, lang_sets[i].textcat_ru);
	if (corpus != NULL) {
		GString *misses = g_string_new(NULL);
		int right, ru, n = lang_measure(corpus, lang_textcat, handle,
		    &right, &ru, misses);

		g_test_message("exttextcat: labelled/lang %d/%d%s%s", right, n,
		    misses->len ? "; miss:" : "", misses->str);
		if (n != 30 || right != LANG_CORPUS_TEXTCAT)
			g_test_fail_printf("exttextcat: labelled/lang want %d "
			    "of 30, got %d of %d", LANG_CORPUS_TEXTCAT, right,
			    n);
		g_string_free(misses, TRUE);
	} else
		g_test_message("exttextcat: no ../shared/corpus, "
		    "labelled/lang not measured");
	g_free(corpus);
	textcat_Done(handle);
}
#else
static void
test_fixtures_textcat(void)
{
	g_test_skip("built without libexttextcat (libexttextcat-dev): "
	    "nothing to measure");
}
#endif

static void
test_corpus_dev(void)
{
	lang_score("development set", lang_dev, G_N_ELEMENTS(lang_dev),
	    LANG_DEV_RIGHT);
}

static void
test_corpus_test(void)
{
	lang_score("held-out set", lang_test, G_N_ELEMENTS(lang_test),
	    LANG_TEST_RIGHT);
}

int
main(int argc, char **argv)
{
	char *path = test_srcdir_path("filters/languages.words");
	GError *error = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	model = language_load(path, &error);
	g_assert_no_error(error);
	g_free(path);
	g_test_add_func("/language/basic", test_basic);
	g_test_add_func("/language/load-errors", test_load_errors);
	g_test_add_func("/language/no-evidence", test_no_evidence);
	g_test_add_func("/language/ties", test_ties);
	g_test_add_func("/language/shapes", test_shapes);
	g_test_add_func("/language/russian-shapes", test_russian_shapes);
	g_test_add_func("/language/corpus-dev", test_corpus_dev);
	g_test_add_func("/language/corpus-test", test_corpus_test);
	g_test_add_func("/language/fixtures/words", test_fixtures_words);
	g_test_add_func("/language/fixtures/exttextcat",
	    test_fixtures_textcat);
	rc = g_test_run();
	language_free(model);
	return rc;
}
