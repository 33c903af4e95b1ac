/*
 * language.c - guess the language of a text from word, ending and letter
 * counts.
 *
 * Deliberately simple: a support request is short, mixes code, logs and
 * product terms into its sentences, and needs only "en", "ru" or "other".
 * Function words survive all of that (a PHP stack trace has few "и" and
 * "the"), and a handful of letters tell Cyrillic languages apart.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "cache.h"
#include "error.h"
#include "language.h"

struct language_model {
	GPtrArray *codes;	/* char *, index = language number */
	GBytes *blob;		/* the saved form, which words point into */
	const char **words;	/* sorted (strcmp), NUL-terminated */
	const uint8_t **runs;	/* [i]: u32 N, then N u32 language numbers */
	guint nwords;
	int ru;			/* the number of "ru", or -1 */
	GHashTable *letter_runs;	/* gunichar -> its run ("letters") */
	GHashTable *endings;	/* suffix (into the blob) -> its run */
	GHashTable *inside;	/* sequence (into the blob) -> its run */
	GHashTable *inside_first;	/* the first letter of each sequence */
	guint longest_ending, longest_inside;	/* in letters */
	GHashTable *letters;	/* LANGUAGE_SCRIPT | script (or, in a form
				 * saved before stop 17, a gunichar)
				 * -> language number + 1 */
};

/*
 * A "scripts" line shares the letters table: its keys are the script
 * (GUnicodeScript) with this bit, above every code point, so the saved
 * form is the same as for letters.
 */
#define LANGUAGE_SCRIPT	0x80000000u

/*
 * An "endings" or "inside" line's pieces are saved with the words, their
 * keys marked by a first character no word has; the model finds them in
 * hash tables of their own, since a word no list knows is looked up by
 * each of its endings and by the letters inside it.
 */
#define LANGUAGE_ENDING	'-'
#define LANGUAGE_INSIDE	'+'
#define LANGUAGE_LETTER	'='	/* a "letters" line's letter, lower case */
#define LANGUAGE_STEM_MIN	3	/* letters of a word before its ending */

/*
 * language_load() reads the file into these tables first, then packs
 * them as language_save() does and builds the model with
 * language_restore(): one way to build it, from the file or the cache.
 * The model is the packed form itself with a sorted index into it: no
 * allocation and no hashing per word when it is restored.
 */
struct language_parse {
	GPtrArray *codes;	/* char * */
	GPtrArray *order;	/* the words, in the order first seen */
	GHashTable *words;	/* word -> GArray of language numbers */
	GHashTable *letters;	/* LANGUAGE_SCRIPT | script -> number + 1 */
};

static void
language_array_free(gpointer p)
{
	g_array_unref(p);
}

static guint
language_code(struct language_parse *m, const char *code)
{
	guint i;

	for (i = 0; i < m->codes->len; i++)
		if (strcmp(g_ptr_array_index(m->codes, i), code) == 0)
			return i;
	g_ptr_array_add(m->codes, g_strdup(code));
	return m->codes->len - 1;
}

/* WORD (taken) is listed for LANG. */
static void
language_parse_add(struct language_parse *m, char *word, guint lang)
{
	GArray *langs = g_hash_table_lookup(m->words, word);

	if (langs == NULL) {
		langs = g_array_new(FALSE, FALSE, sizeof(guint));
		g_hash_table_insert(m->words, word, langs);
		g_ptr_array_add(m->order, word);
	} else
		g_free(word);
	g_array_append_val(langs, lang);
}

static void
language_parse_clear(struct language_parse *m)
{
	g_ptr_array_unref(m->codes);
	g_ptr_array_unref(m->order);
	g_hash_table_destroy(m->words);
	g_hash_table_destroy(m->letters);
}

static int
language_cmp_ptr(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The saved form of the parsed tables (see language_save). */
static GBytes *
language_parse_pack(const struct language_parse *m)
{
	GByteArray *out = g_byte_array_new();
	GHashTableIter it;
	gpointer key, value;
	guint i, k;

	cache_pack_u32(out, m->codes->len);
	for (i = 0; i < m->codes->len; i++)
		cache_pack_str(out, g_ptr_array_index(m->codes, i));
	g_ptr_array_sort(m->order, language_cmp_ptr);
	cache_pack_u32(out, m->order->len);
	for (i = 0; i < m->order->len; i++) {
		const char *word = g_ptr_array_index(m->order, i);
		GArray *langs = g_hash_table_lookup(m->words, word);

		/* with its NUL: the model points into the packed form */
		cache_pack_bytes(out, word, (uint32_t)strlen(word) + 1);
		cache_pack_u32(out, langs->len);
		for (k = 0; k < langs->len; k++)
			cache_pack_u32(out, g_array_index(langs, guint, k));
	}
	cache_pack_u32(out, g_hash_table_size(m->letters));
	g_hash_table_iter_init(&it, m->letters);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		cache_pack_u32(out, GPOINTER_TO_UINT(key));
		cache_pack_u32(out, GPOINTER_TO_UINT(value));
	}
	return g_byte_array_free_to_bytes(out);
}

/* The script an ISO 15924 code ("Hani", "Grek") names, or UNKNOWN. */
static GUnicodeScript
language_script_code(const char *code)
{
	guint32 iso = 0;
	int i;

	if (strlen(code) != 4)
		return G_UNICODE_SCRIPT_UNKNOWN;
	for (i = 0; i < 4; i++) {
		if (!g_ascii_isalpha(code[i]))
			return G_UNICODE_SCRIPT_UNKNOWN;
		iso = iso << 8 | (guint8)code[i];
	}
	return g_unicode_script_from_iso15924(iso);
}

struct language_model *
language_load(const char *path, GError **error)
{
	struct language_model *model;
	GError *local = NULL;
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, &local)) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "language file: %s", local->message);
		g_error_free(local);
		return NULL;
	}
	model = language_load_text(path, text, error);
	g_free(text);
	return model;
}

struct language_model *
language_load_text(const char *path, const char *text, GError **error)
{
	struct language_parse m;
	struct language_model *model = NULL;
	char **lines;
	GBytes *packed;
	int i;

	m.codes = g_ptr_array_new_with_free_func(g_free);
	m.order = g_ptr_array_new();
	m.words = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    language_array_free);
	m.letters = g_hash_table_new(g_direct_hash, g_direct_equal);
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
		    strcmp(v[1], "endings") != 0 &&
		    strcmp(v[1], "inside") != 0 &&
		    strcmp(v[1], "letters") != 0 &&
		    strcmp(v[1], "scripts") != 0) ||
		    !g_utf8_validate(lines[i], -1, NULL)) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s:%d: want \"LANG words WORD...\", \"LANG "
			    "endings SUFFIX...\", \"LANG inside LETTERS...\", "
			    "\"LANG letters CHARS\" or \"LANG scripts "
			    "ISO15924...\"",
			    path, i + 1);
			g_ptr_array_unref(words);
			g_strfreev(w);
			goto out;
		}
		lang = language_code(&m, v[0]);
		for (k = 2; k < n; k++) {
			if (strcmp(v[1], "inside") == 0 &&
			    g_utf8_strlen(v[k], -1) < 2) {
				g_set_error(error, DESK_ERROR,
				    DESK_ERROR_CONFIG, "%s:%d: \"%s\" is "
				    "one letter: an \"inside\" run has two "
				    "or more (a letter goes on a \"letters\" "
				    "line)", path, i + 1, v[k]);
				g_ptr_array_unref(words);
				g_strfreev(w);
				goto out;
			}
			if (strcmp(v[1], "words") == 0 ||
			    strcmp(v[1], "endings") == 0 ||
			    strcmp(v[1], "inside") == 0) {
				char *down = g_utf8_strdown(v[k], -1);
				char *word = v[1][0] == 'w' ? down :
				    g_strdup_printf("%c%s", v[1][0] == 'e' ?
				    LANGUAGE_ENDING : LANGUAGE_INSIDE, down);

				if (word != down)
					g_free(down);
				language_parse_add(&m, word, lang);
			} else if (strcmp(v[1], "scripts") == 0) {
				GUnicodeScript script =
				    language_script_code(v[k]);

				if (script == G_UNICODE_SCRIPT_INVALID_CODE ||
				    script == G_UNICODE_SCRIPT_UNKNOWN) {
					g_set_error(error, DESK_ERROR,
					    DESK_ERROR_CONFIG, "%s:%d: \"%s\" "
					    "is no ISO 15924 script code (as "
					    "Hani, Grek)", path, i + 1, v[k]);
					g_ptr_array_unref(words);
					g_strfreev(w);
					goto out;
				}
				g_hash_table_insert(m.letters,
				    GUINT_TO_POINTER(LANGUAGE_SCRIPT |
				    (guint)script), GUINT_TO_POINTER(lang + 1));
			} else {
				const char *p;

				/* each letter a key of its own, which several
				 * languages may list (Belarusian ы as Russian) */
				for (p = v[k]; *p != '\0';
				    p = g_utf8_next_char(p))
					language_parse_add(&m, g_strdup_printf(
					    "%c%.*s", LANGUAGE_LETTER,
					    (int)(g_utf8_next_char(p) - p), p),
					    lang);
			}
		}
		g_ptr_array_unref(words);
		g_strfreev(w);
	}
	packed = language_parse_pack(&m);
	model = language_restore(packed);
	g_bytes_unref(packed);
	g_assert(model != NULL);
out:
	language_parse_clear(&m);
	g_strfreev(lines);
	return model;
}

/*
 * The saved form: the language codes; the words, sorted, each with its
 * NUL and its language numbers (a word may be listed more than once for
 * a language: each counts), with the endings, sequences and letters
 * among them under their marks; the scripts, each with its language
 * number + 1. The model keeps it, so saving is a reference.
 */
GBytes *
language_save(const struct language_model *m)
{
	return g_bytes_ref(m->blob);
}

/* Index the marked KEY (ending "-ння", run "+ър", letter "=ы") and RUN. */
static bool
language_index_key(struct language_model *m, const char *key,
    const uint8_t *run)
{
	const char *piece = key + 1;
	guint chars;

	if (!g_utf8_validate(piece, -1, NULL) || *piece == '\0')
		return false;
	chars = (guint)g_utf8_strlen(piece, -1);
	if (key[0] == LANGUAGE_INSIDE && chars < 2)
		return false;	/* a letter alone: a "letters" line's */
	if (key[0] == LANGUAGE_LETTER) {
		if (chars != 1)
			return false;
		g_hash_table_insert(m->letter_runs,
		    GUINT_TO_POINTER(g_unichar_tolower(g_utf8_get_char(piece))),
		    (gpointer)run);
	} else if (key[0] == LANGUAGE_ENDING) {
		g_hash_table_insert(m->endings, (gpointer)piece, (gpointer)run);
		m->longest_ending = MAX(m->longest_ending, chars);
	} else {
		g_hash_table_insert(m->inside, (gpointer)piece, (gpointer)run);
		g_hash_table_add(m->inside_first,
		    GUINT_TO_POINTER(g_utf8_get_char(piece)));
		m->longest_inside = MAX(m->longest_inside, chars);
	}
	return true;
}

struct language_model *
language_restore(GBytes *blob)
{
	struct language_model *m = g_new0(struct language_model, 1);
	struct cache_unpack u;
	uint32_t n, i, k;

	m->codes = g_ptr_array_new_with_free_func(g_free);
	m->letters = g_hash_table_new(g_direct_hash, g_direct_equal);
	m->endings = g_hash_table_new(g_str_hash, g_str_equal);
	m->inside = g_hash_table_new(g_str_hash, g_str_equal);
	m->letter_runs = g_hash_table_new(g_direct_hash, g_direct_equal);
	m->inside_first = g_hash_table_new(g_direct_hash, g_direct_equal);
	m->blob = g_bytes_ref(blob);
	cache_unpack_init(&u, blob);
	n = cache_unpack_u32(&u);
	for (i = 0; i < n && !u.bad; i++) {
		char *code = cache_unpack_str(&u);

		if (code != NULL)
			g_ptr_array_add(m->codes, code);
	}
	m->ru = -1;
	for (i = 0; i < m->codes->len; i++)
		if (strcmp(g_ptr_array_index(m->codes, i), "ru") == 0)
			m->ru = (int)i;
	n = cache_unpack_u32(&u);
	if (!u.bad && n > (size_t)(u.end - u.p) / 9)	/* 9: the least a word takes */
		u.bad = true;
	if (!u.bad) {
		m->words = g_new(const char *, n);
		m->runs = g_new(const uint8_t *, n);
	}
	for (i = 0; i < n && !u.bad; i++) {
		uint32_t len, nlangs;
		const char *word = cache_unpack_bytes(&u, &len);

		m->runs[i] = u.p;
		nlangs = cache_unpack_u32(&u);
		if (u.bad || len == 0 || memchr(word, '\0', len) !=
		    word + len - 1 || (i > 0 && strcmp(m->words[i - 1],
		    word) >= 0) || nlangs > 1000) {
			u.bad = true;
			break;
		}
		m->words[i] = word;
		for (k = 0; k < nlangs; k++)
			u.bad |= cache_unpack_u32(&u) >= m->codes->len;
		m->nwords = i + 1;
		if (word[0] == LANGUAGE_ENDING || word[0] == LANGUAGE_INSIDE ||
		    word[0] == LANGUAGE_LETTER)
			u.bad |= !language_index_key(m, word, m->runs[i]);
	}
	n = cache_unpack_u32(&u);
	for (i = 0; i < n && !u.bad; i++) {
		guint c = cache_unpack_u32(&u), lang = cache_unpack_u32(&u);

		u.bad |= lang == 0 || lang > m->codes->len;
		g_hash_table_insert(m->letters, GUINT_TO_POINTER(c),
		    GUINT_TO_POINTER(lang));
	}
	if (u.bad || u.p != u.end) {
		language_free(m);
		return NULL;
	}
	return m;
}

void
language_free(struct language_model *m)
{
	if (m == NULL)
		return;
	g_ptr_array_unref(m->codes);
	g_free(m->words);
	g_free(m->runs);
	if (m->blob != NULL)
		g_bytes_unref(m->blob);
	g_hash_table_destroy(m->letters);
	g_hash_table_destroy(m->endings);
	g_hash_table_destroy(m->inside);
	g_hash_table_destroy(m->letter_runs);
	g_hash_table_destroy(m->inside_first);
	g_free(m);
}

static int
language_cmp_word(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

/* The language numbers listing WORD: *N_R of them at the result. */
static const uint8_t *
language_word(const struct language_model *m, const char *word,
    uint32_t *n_r)
{
	const char **at = bsearch(word, m->words, m->nwords,
	    sizeof(*m->words), language_cmp_word);

	*n_r = 0;
	if (at == NULL)
		return NULL;
	memcpy(n_r, m->runs[at - m->words], 4);
	return m->runs[at - m->words] + 4;
}

/* A run as saved (u32 N, N language numbers): its languages, *N_R. */
static const uint8_t *
language_run(const uint8_t *run, uint32_t *n_r)
{
	if (run == NULL) {
		*n_r = 0;
		return NULL;
	}
	memcpy(n_r, run, 4);
	return run + 4;
}

/*
 * Count the languages of RUN (N of them) into CLAUSE: WEIGHT each (a
 * word 1, a letter half), and into CLAUSE[NL + lang] too when Russian
 * (RU) is not among them and OWN
 * (a word: an ending or letters inside a word are weaker evidence, which
 * does not decide a tie against Russian).
 */
static void
language_count(double *clause, guint nl, int ru, const uint8_t *run,
    uint32_t n, bool own, double weight)
{
	bool russian = false;
	uint32_t i, lang;

	for (i = 0; i < n; i++) {
		memcpy(&lang, run + 4 * i, 4);
		clause[lang] += weight;
		russian = russian || (int)lang == ru;
	}
	for (i = 0; i < n && !russian && own; i++) {
		memcpy(&lang, run + 4 * i, 4);
		clause[nl + lang] += weight;
	}
}

/*
 * A word no list knows: the evidence of its longest listed ending (the
 * word longer than it by three letters at least, "-ння" of "замовлення":
 * Russian "пицца" is no Belarusian "-цца")
 * or else of the first listed sequence inside it ("+ър" of "върна"). Word
 * lists hold the common words; these say what the rest of a language's
 * words look like ("-цца", "-ння" are no Russian's).
 */
static void
language_count_shape(const struct language_model *m, const char *word,
    double *clause, guint nl, int ru, GString *key)
{
	const char *p;
	const uint8_t *run;
	uint32_t n;
	glong chars, k, len;
	bool ending = false;

	if (g_hash_table_size(m->endings) > 0) {
		chars = g_utf8_strlen(word, -1);
		for (p = word, k = 0; k < chars; k++, p = g_utf8_next_char(p)) {
			if (k < LANGUAGE_STEM_MIN ||
			    chars - k > (glong)m->longest_ending)
				continue;
			run = language_run(g_hash_table_lookup(m->endings, p),
			    &n);
			if (run != NULL) {
				language_count(clause, nl, ru, run, n, false, 1);
				ending = true;
				break;
			}
		}
	}
	/* one point a word: "-ът" is an ending and letters inside too */
	if (ending || g_hash_table_size(m->inside) == 0)
		return;
	for (p = word; *p != '\0'; p = g_utf8_next_char(p)) {
		if (!g_hash_table_contains(m->inside_first,
		    GUINT_TO_POINTER(g_utf8_get_char(p))))
			continue;
		for (len = 2; len <= (glong)m->longest_inside; len++) {
			const char *end = p;

			for (k = 0; k < len && *end != '\0'; k++)
				end = g_utf8_next_char(end);
			if (k < len)
				break;
			g_string_truncate(key, 0);
			g_string_append_len(key, p, end - p);
			run = language_run(g_hash_table_lookup(m->inside,
			    key->str), &n);
			if (run != NULL) {
				language_count(clause, nl, ru, run, n, false, 1);
				return;
			}
		}
	}
}

/*
 * Is C, inside a clause, a sign of code: a path or URL, a call, a
 * variable, an assignment, a file name? A clause with one is a pasted
 * log line or code, whose English words ("in", "on", "for") must not
 * outvote the sentence around it.
 */
static bool
language_code_sign(const char *p, gunichar c, gunichar prev)
{
	gunichar next = p[0] != '\0' && p[1] != '\0' ?
	    g_utf8_get_char(g_utf8_next_char(p)) : 0;

	switch (c) {
	case '/':
	case '\\':
	case '_':
	case '=':
	case '.':
		/* inside a token: /var/www, fn.catalog.php, order_id, a=b */
		return g_unichar_isalnum(prev) && g_unichar_isalnum(next);
	case '(':
		return next == ')';
	case '$':
	case '{':
	case '}':
	case '[':
		return true;
	case ':':
		return next == ':';
	case '-':
		return next == '>';
	default:
		return false;
	}
}

/* Where a clause ends: a line, a sentence, a colon or semicolon. */
static bool
language_clause_end(gunichar c, const char *p)
{
	if (c == '\n' || c == '!' || c == '?' || c == ';' || c == 0)
		return true;
	/* "a.b" and "a::b" are tokens, ". " and ": " end a clause */
	return (c == '.' || c == ':') && (p[1] == ' ' || p[1] == '\n' ||
	    p[1] == '\t' || p[1] == '\r' || p[1] == '\0');
}

/* en and ru: the languages the desk answers in. */
static bool
language_of_desk(const char *code)
{
	return strcmp(code, "en") == 0 || strcmp(code, "ru") == 0;
}

/*
 * Score every language on TEXT; returns the winner or -1. The evidence
 * of a clause that holds code is kept apart and counts only when no
 * clause without code gave any. *FOREIGN_R tells whether a clause
 * without code has a letter beyond ASCII.
 */
static int
language_score(const struct language_model *m, const char *text,
    bool *foreign_r)
{
	guint nl = m->codes->len;
	/* [nl + i]: the points of language i that Russian does not share */
	double *score = g_new0(double, 2 * nl), *code = g_new0(double, 2 * nl);
	double *clause = g_new0(double, 2 * nl), *total = score;
	int ru = m->ru;
	GString *word = g_string_new(NULL), *key = g_string_new(NULL);
	const char *p = text;
	gunichar prev = 0;
	bool has_code = false, any = false, foreign = false;
	int best = -1;
	guint i;

	*foreign_r = false;
	for (;; p = g_utf8_next_char(p)) {
		gunichar c = *p ? g_utf8_get_char(p) : 0;

		if (c != 0 && (g_unichar_isalpha(c) || c == '\'')) {
			const uint8_t *run = g_hash_table_lookup(m->letter_runs,
			    GUINT_TO_POINTER(g_unichar_tolower(c)));
			gpointer lang = run != NULL ? NULL :
			    g_hash_table_lookup(m->letters,
			    GUINT_TO_POINTER(g_unichar_tolower(c)));

			if (run != NULL) {
				uint32_t n;
				const uint8_t *langs = language_run(run, &n);

				language_count(clause, nl, ru, langs, n, true,
				    0.5);
			}
			if (run == NULL && lang == NULL && c > 0x7f)
				lang = g_hash_table_lookup(m->letters,
				    GUINT_TO_POINTER(LANGUAGE_SCRIPT |
				    (guint)g_unichar_get_script(c)));
			if (c > 0x7f)
				foreign = true;

			/* half a word's weight: a name or a quoted term in
			 * another alphabet must not outvote the sentence */
			if (lang != NULL) {
				guint l = GPOINTER_TO_UINT(lang) - 1;

				clause[l] += 0.5;
				clause[nl + l] += 0.5;	/* its own letter */
			}
			g_string_append_unichar(word, g_unichar_tolower(c));
			prev = c;
			continue;
		}
		if (word->len > 0) {
			uint32_t n;
			const uint8_t *run = language_word(m, word->str, &n);

			if (run != NULL)
				language_count(clause, nl, ru, run, n, true, 1);
			else
				language_count_shape(m, word->str, clause, nl,
				    ru, key);
			g_string_truncate(word, 0);
		}
		if (language_code_sign(p, c, prev))
			has_code = true;
		if (language_clause_end(c, p)) {
			double *into = has_code ? code : score;

			*foreign_r = *foreign_r || (foreign && !has_code);
			foreign = false;
			for (i = 0; i < 2 * nl; i++) {
				into[i] += clause[i];
				any = any || (!has_code && i < nl && clause[i] > 0);
				clause[i] = 0;
			}
			has_code = false;
		}
		if (c == 0)
			break;
		prev = c;
	}
	if (!any)
		total = code;	/* all of it is code: it is all there is */
	for (i = 0; i < nl; i++)
		if (total[i] > 0 && (best < 0 || total[i] > total[best]))
			best = (int)i;
	/*
	 * A tie goes to the language first in the file, Russian before its
	 * neighbours: when every word the neighbour matched is Russian too
	 * ("Я хочу вернуть товар", a lone "да"), nothing speaks against the
	 * desk's language. But when the neighbour has words or letters of
	 * its own, equal totals mean Russian's own words are as many: the
	 * evidence conflicts, and calling a Ukrainian or Bulgarian text
	 * Russian is the worse mistake, so the neighbour wins.
	 */
	if (best >= 0 && best == ru)
		for (i = 0; i < nl; i++)
			if ((int)i != ru && total[i] == total[ru] &&
			    total[nl + i] > 0) {
				best = (int)i;
				break;
			}
	g_string_free(word, TRUE);
	g_string_free(key, TRUE);
	g_free(score);
	g_free(code);
	g_free(clause);
	return best;
}

const char *
language_best(const struct language_model *m, const char *text)
{
	bool foreign;
	int best = language_score(m, text, &foreign);

	return best < 0 ? NULL : g_ptr_array_index(m->codes, best);
}

const char *
language_detect(const struct language_model *m, const char *text)
{
	bool foreign;
	int n = language_score(m, text, &foreign);
	const char *best = n < 0 ? NULL : g_ptr_array_index(m->codes, n);

	/*
	 * Nothing any list knows. The lists hold the common words and
	 * short replies of English and Russian, so a sentence with letters
	 * beyond ASCII and none of those words is in another language
	 * ("Kiitos paljon!"). Plain ASCII stays unknown: there an English
	 * noun phrase or a product name is likelier, and calling it
	 * "other" would answer a new request with the language notice.
	 */
	if (best == NULL)
		return foreign ? "other" : "unknown";
	/* literals: the result outlives a model reloaded by the service */
	if (!language_of_desk(best))
		return "other";
	return strcmp(best, "en") == 0 ? "en" : "ru";
}
