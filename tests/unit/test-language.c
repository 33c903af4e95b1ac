/*
 * test-language.c - language.c with the shipped filters/languages.words,
 * and the rate on the corpus's labelled language samples.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

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
	g_assert_null(language_load("/nonexistent/x.words", &error));
	g_clear_error(&error);
	g_remove(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

static void
test_corpus(void)
{
	char *dir = test_corpus_path("labelled/lang"), *labels, *text = NULL;
	char **lines;
	int i, pass = 0, total = 0;

	if (dir == NULL) {
		g_test_skip("no ../shared/corpus");
		return;
	}
	labels = g_build_filename(dir, "labels.tsv", NULL);
	g_assert_true(g_file_get_contents(labels, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (i = 1; lines[i] != NULL; i++) {
		char **f = g_strsplit(lines[i], "\t", 3), *path, *sample = NULL;

		if (g_strv_length(f) >= 2) {
			path = g_build_filename(dir, f[0], NULL);
			if (g_file_get_contents(path, &sample, NULL, NULL)) {
				const char *got = language_detect(model, sample);

				total++;
				if (strcmp(got, f[1]) == 0)
					pass++;
				else
					g_test_message("%s: %s, labelled %s",
					    f[0], got, f[1]);
				g_free(sample);
			}
			g_free(path);
		}
		g_strfreev(f);
	}
	g_test_message("languages right: %d of %d (%.1f %%)", pass, total,
	    100.0 * pass / MAX(total, 1));
	g_assert_cmpint(total, >, 20);
	g_assert_cmpfloat(100.0 * pass / total, >=, 90.0);
	g_strfreev(lines);
	g_free(text);
	g_free(labels);
	g_free(dir);
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
	g_test_add_func("/language/corpus", test_corpus);
	rc = g_test_run();
	language_free(model);
	return rc;
}
