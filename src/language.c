/*
 * language.c - guess the language of a text from word and letter counts.
 *
 * Deliberately simple: a support request is short, mixes code, logs and
 * product terms into its sentences, and needs only "en", "ru" or "other".
 * Function words survive all of that (a PHP stack trace has few "и" and
 * "the"), and a handful of letters tell Cyrillic languages apart.
 */
#include "config.h"

#include <string.h>

#include "error.h"
#include "language.h"

struct language_model {
	GPtrArray *codes;	/* char *, index = language number */
	GHashTable *words;	/* word -> GArray of language numbers */
	GHashTable *letters;	/* gunichar -> language number + 1 */
};

static void
language_array_free(gpointer p)
{
	g_array_unref(p);
}

static guint
language_code(struct language_model *m, const char *code)
{
	guint i;

	for (i = 0; i < m->codes->len; i++)
		if (strcmp(g_ptr_array_index(m->codes, i), code) == 0)
			return i;
	g_ptr_array_add(m->codes, g_strdup(code));
	return m->codes->len - 1;
}

struct language_model *
language_load(const char *path, GError **error)
{
	struct language_model *m = g_new0(struct language_model, 1);
	char *text = NULL, **lines;
	GError *local = NULL;
	int i;

	m->codes = g_ptr_array_new_with_free_func(g_free);
	m->words = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    language_array_free);
	m->letters = g_hash_table_new(g_direct_hash, g_direct_equal);
	if (!g_file_get_contents(path, &text, NULL, &local)) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "language file: %s", local->message);
		g_error_free(local);
		language_free(m);
		return NULL;
	}
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		char **w = g_strsplit_set(g_strstrip(lines[i]), " \t", -1);
		GPtrArray *words = g_ptr_array_new();
		guint lang, k, n;
		char **v;

		for (k = 0; w[k] != NULL; k++)
			if (*w[k] != '\0')
				g_ptr_array_add(words, w[k]);
		n = words->len;
		v = (char **)words->pdata;
		if (n == 0 || v[0][0] == '#') {
			g_ptr_array_unref(words);
			g_strfreev(w);
			continue;
		}
		if (n < 3 || (strcmp(v[1], "words") != 0 &&
		    strcmp(v[1], "letters") != 0) ||
		    !g_utf8_validate(lines[i], -1, NULL)) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s:%d: want \"LANG words WORD...\" or \"LANG "
			    "letters CHARS\"", path, i + 1);
			g_ptr_array_unref(words);
			g_strfreev(w);
			g_strfreev(lines);
			g_free(text);
			language_free(m);
			return NULL;
		}
		lang = language_code(m, v[0]);
		for (k = 2; k < n; k++) {
			if (strcmp(v[1], "words") == 0) {
				char *word = g_utf8_strdown(v[k], -1);
				GArray *langs = g_hash_table_lookup(m->words,
				    word);

				if (langs == NULL) {
					langs = g_array_new(FALSE, FALSE,
					    sizeof(guint));
					g_hash_table_insert(m->words,
					    g_strdup(word), langs);
				}
				g_array_append_val(langs, lang);
				g_free(word);
			} else {
				const char *p;

				for (p = v[k]; *p != '\0';
				    p = g_utf8_next_char(p))
					g_hash_table_insert(m->letters,
					    GUINT_TO_POINTER(g_unichar_tolower(
					    g_utf8_get_char(p))),
					    GUINT_TO_POINTER(lang + 1));
			}
		}
		g_ptr_array_unref(words);
		g_strfreev(w);
	}
	g_strfreev(lines);
	g_free(text);
	return m;
}

void
language_free(struct language_model *m)
{
	if (m == NULL)
		return;
	g_ptr_array_unref(m->codes);
	g_hash_table_destroy(m->words);
	g_hash_table_destroy(m->letters);
	g_free(m);
}

/* Score every language on TEXT; returns the winner or -1. */
static int
language_score(const struct language_model *m, const char *text)
{
	double *score = g_new0(double, m->codes->len);
	GString *word = g_string_new(NULL);
	const char *p = text;
	int best = -1;
	guint i;

	for (;; p = g_utf8_next_char(p)) {
		gunichar c = *p ? g_utf8_get_char(p) : 0;

		if (c != 0 && (g_unichar_isalpha(c) || c == '\'')) {
			gpointer lang = g_hash_table_lookup(m->letters,
			    GUINT_TO_POINTER(g_unichar_tolower(c)));

			/* half a word's weight: a name or a quoted term in
			 * another alphabet must not outvote the sentence */
			if (lang != NULL)
				score[GPOINTER_TO_UINT(lang) - 1] += 0.5;
			g_string_append_unichar(word, g_unichar_tolower(c));
			continue;
		}
		if (word->len > 0) {
			GArray *langs = g_hash_table_lookup(m->words,
			    word->str);

			for (i = 0; langs != NULL && i < langs->len; i++)
				score[g_array_index(langs, guint, i)] += 1;
			g_string_truncate(word, 0);
		}
		if (c == 0)
			break;
	}
	for (i = 0; i < m->codes->len; i++)
		if (score[i] > 0 && (best < 0 || score[i] > score[best]))
			best = (int)i;
	g_string_free(word, TRUE);
	g_free(score);
	return best;
}

const char *
language_best(const struct language_model *m, const char *text)
{
	int best = language_score(m, text);

	return best < 0 ? NULL : g_ptr_array_index(m->codes, best);
}

const char *
language_detect(const struct language_model *m, const char *text)
{
	const char *best = language_best(m, text);

	if (best == NULL)
		return "unknown";
	if (strcmp(best, "en") == 0)
		return "en";
	if (strcmp(best, "ru") == 0)
		return "ru";
	return "other";
}
