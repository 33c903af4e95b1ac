/*
 * test-rules.c - unit tests of rules.c: rule-file parsing, ${variables}
 * (quoted), errors with file:line, bounded matching (catastrophic
 * backtracking, invalid UTF-8), and the shipped filters/ rule files.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "error.h"
#include "rules.h"
#include "test-util.h"

static void
tmp_setup(struct test_tmp *t, gconstpointer data)
{
	test_tmp_init(t, "test-rules-XXXXXX", "test.rules", NULL);
}

static GHashTable *
desk_vars(const char *address)
{
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);

	g_hash_table_insert(vars, (gpointer)"desk_address", (gpointer)address);
	return vars;
}

static struct rules *
load_text(struct test_tmp *t, const char *text, GHashTable *vars,
    GError **error)
{
	test_write_file(t->path, text, -1);
	return rules_load(t->path, vars, error);
}

static struct rules *
load_ok(struct test_tmp *t, const char *text, GHashTable *vars)
{
	GError *error = NULL;
	struct rules *r = load_text(t, text, vars, &error);

	g_assert_no_error(error);
	g_assert_nonnull(r);
	g_clear_error(&error);
	return r;
}

/* Loading must fail; the message must start with "PATH:LINE" + SUFFIX. */
static void
expect_error(struct test_tmp *t, const char *text, GHashTable *vars, int line,
    const char *suffix, const char *what)
{
	GError *error = NULL;
	struct rules *r = load_text(t, text, vars, &error);
	char *prefix = g_strdup_printf("%s:%d%s", t->path, line, suffix);

	g_assert_null(r);
	rules_free(r);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	if (error != NULL) {
		g_test_message("error: %s", error->message);
		if (!g_str_has_prefix(error->message, prefix))
			g_test_fail_printf("\"%s\" does not start with "
			    "\"%s\"", error->message, prefix);
		if (what != NULL && strstr(error->message, what) == NULL)
			g_test_fail_printf("\"%s\" lacks \"%s\"",
			    error->message, what);
	}
	g_clear_error(&error);
	g_free(prefix);
}

static bool
match(struct rules *r, guint i, const char *subject)
{
	if (r == NULL || i >= rules_count(r))
		return false;
	return rules_match(r, rules_get(r, i), subject, strlen(subject),
	    NULL, NULL);
}

static void
test_parse(struct test_tmp *t, gconstpointer data)
{
	struct rules *r = load_ok(t,
	    "autoreply   subject\t  (?i)out of  the office \n"
	    "list header:List-Id .\n", NULL);
	const struct rule *rule;
	char *where;

	if (r == NULL)
		return;
	g_assert_cmpuint(rules_count(r), ==, 2);
	rule = rules_get(r, 0);
	g_assert_cmpstr(rule->label, ==, "autoreply");
	g_assert_cmpstr(rule->field, ==, "subject");
	g_assert_cmpstr(rule->pattern, ==, "(?i)out of  the office");
	where = g_strdup_printf("%s:1", t->path);
	g_assert_cmpstr(rule->where, ==, where);
	g_free(where);
	g_assert_nonnull(rule->code);
	rule = rules_get(r, 1);
	g_assert_cmpstr(rule->label, ==, "list");
	g_assert_cmpstr(rule->field, ==, "header:List-Id");
	g_assert_cmpstr(rule->pattern, ==, ".");
	/* the two spaces inside the pattern matter */
	g_assert_true(match(r, 0, "I am OUT OF  THE OFFICE today"));
	g_assert_false(match(r, 0, "I am out of the office today"));
	rules_free(r);
}

static void
test_comments(struct test_tmp *t, gconstpointer data)
{
	struct rules *r = load_ok(t,
	    "# a comment\n"
	    "\n"
	    "   \t  \n"
	    "    # an indented comment\n"
	    "x text foo # not a comment: part of the pattern\n"
	    "\n", NULL);
	char *where;

	if (r == NULL)
		return;
	g_assert_cmpuint(rules_count(r), ==, 1);
	where = g_strdup_printf("%s:5", t->path);
	g_assert_cmpstr(rules_get(r, 0)->where, ==, where);
	g_free(where);
	g_assert_cmpstr(rules_get(r, 0)->pattern, ==,
	    "foo # not a comment: part of the pattern");
	rules_free(r);

	r = load_ok(t, "", NULL);
	if (r != NULL)
		g_assert_cmpuint(rules_count(r), ==, 0);
	rules_free(r);
}

static void
test_fields(struct test_tmp *t, gconstpointer data)
{
	struct rules *r = load_ok(t,
	    "a subject x\nb from x\nc sender x\nd line x\ne text x\n"
	    "f header:X-Anything x\n", NULL);

	if (r != NULL)
		g_assert_cmpuint(rules_count(r), ==, 6);
	rules_free(r);
}

static void
test_variable_quoted(struct test_tmp *t, gconstpointer data)
{
	GHashTable *vars = desk_vars("support@desk.example");
	struct rules *r = load_ok(t,
	    "loop from (?i)^${desk_address}$\n"
	    "loop header:X-Loop ^\\s*${desk_address}\\s*$\n", vars);

	if (r != NULL) {
		g_assert_true(match(r, 0, "support@desk.example"));
		g_assert_true(match(r, 0, "SUPPORT@DESK.EXAMPLE"));
		/* the '.' of the address is no wildcard */
		g_assert_false(match(r, 0, "support@deskXexample"));
		g_assert_false(match(r, 0, "xsupport@desk.example"));
		g_assert_true(match(r, 1, "  support@desk.example "));
		g_assert_false(match(r, 1, "support@desk-example"));
	}
	rules_free(r);
	g_hash_table_unref(vars);
}

/*
 * A value is quoted whatever it holds: "\E" inside it must not end the
 * quoting and turn the rest of the value into pattern syntax.
 */
static void
test_variable_quoted_backslash_e(struct test_tmp *t, gconstpointer data)
{
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	struct rules *r;

	g_hash_table_insert(vars, (gpointer)"v", (gpointer)"a\\E.b(");
	r = load_ok(t, "x subject ^${v}$\n", vars);
	if (r != NULL) {
		g_assert_true(match(r, 0, "a\\E.b("));
		g_assert_false(match(r, 0, "aXb("));
	}
	rules_free(r);
	g_hash_table_unref(vars);
}

static void
test_variable_unclosed(struct test_tmp *t, gconstpointer data)
{
	/* "${" without "}" is left as written */
	struct rules *r = load_ok(t, "x subject a\\${5\n", NULL);

	if (r != NULL)
		g_assert_true(match(r, 0, "a${5"));
	rules_free(r);
}

static void
test_error_unknown_variable(struct test_tmp *t, gconstpointer data)
{
	GHashTable *vars = desk_vars("support@desk.example");

	expect_error(t, "# c\nx subject ${nope}\n", vars, 2, ":", "nope");
	/* without any variables, ${desk_address} is unknown too */
	expect_error(t, "\nloop from ^${desk_address}$\n", NULL, 2, ":",
	    "desk_address");
	g_hash_table_unref(vars);
}

static void
test_error_unknown_field(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, "a subject x\nb body x\n", NULL, 2, ":", "body");
	expect_error(t, "a header: x\n", NULL, 1, ":", NULL);
}

static void
test_error_short_line(struct test_tmp *t, gconstpointer data)
{
	expect_error(t, "\n\nlabel subject\n", NULL, 3, ":", NULL);
	expect_error(t, "onlylabel\n", NULL, 1, ":", NULL);
}

static void
test_error_bad_pattern(struct test_tmp *t, gconstpointer data)
{
	GError *error = NULL;
	struct rules *r;
	char *prefix;

	expect_error(t, "a subject ok\nb subject (unclosed\n", NULL, 2, ":",
	    NULL);
	/* the message names the column: FILE:LINE:COL */
	r = load_text(t, "b subject abc(def\n", NULL, &error);
	g_assert_null(r);
	rules_free(r);
	prefix = g_strdup_printf("%s:1:", t->path);
	if (error != NULL) {
		const char *col = error->message + strlen(prefix);

		g_assert_true(g_str_has_prefix(error->message, prefix));
		g_assert_true(g_ascii_isdigit(*col));
	}
	g_clear_error(&error);
	g_free(prefix);
	expect_error(t, "b subject [z-a]\n", NULL, 1, ":", NULL);
	expect_error(t, "b subject \\\n", NULL, 1, ":", NULL);
}

static void
test_error_missing_file(struct test_tmp *t, gconstpointer data)
{
	GError *error = NULL;
	struct rules *r = rules_load(t->path, NULL, &error);

	g_assert_null(r);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	g_clear_error(&error);
	rules_free(r);
}

static void
test_match_offsets(struct test_tmp *t, gconstpointer data)
{
	struct rules *r = load_ok(t,
	    "a subject wor+ld\nb subject ^\nc subject (?<=x)y*\n", NULL);
	size_t start = 99, end = 99;
	const char *s = "hello world!";

	if (r == NULL)
		return;
	g_assert_true(rules_match(r, rules_get(r, 0), s, strlen(s), &start,
	    &end));
	g_assert_cmpuint(start, ==, 6);
	g_assert_cmpuint(end, ==, 11);
	/* an empty match at the start */
	g_assert_true(rules_match(r, rules_get(r, 1), s, strlen(s), &start,
	    &end));
	g_assert_cmpuint(start, ==, 0);
	g_assert_cmpuint(end, ==, 0);
	g_assert_true(rules_match(r, rules_get(r, 2), "axyyb", 5, &start,
	    &end));
	g_assert_cmpuint(start, ==, 2);
	g_assert_cmpuint(end, ==, 4);
	/* the offsets may be NULL */
	g_assert_true(rules_match(r, rules_get(r, 0), s, strlen(s), NULL,
	    NULL));
	/* the subject need not be NUL-terminated: LEN bounds it */
	g_assert_false(rules_match(r, rules_get(r, 0), s, 8, NULL, NULL));
	g_assert_true(rules_match(r, rules_get(r, 0), s, 11, NULL, NULL));
	rules_free(r);
}

static void
test_match_utf8(struct test_tmp *t, gconstpointer data)
{
	struct rules *r = load_ok(t,
	    "a subject (?i)^автоответ\nb subject ^.$\nc subject hello\n",
	    NULL);

	if (r == NULL)
		return;
	g_assert_true(match(r, 0, "АВТООТВЕТ: в отпуске"));
	g_assert_true(match(r, 0, "Автоответ"));
	/* one character, two bytes */
	g_assert_true(match(r, 1, "Ж"));
	/* invalid UTF-8 is no error: the valid parts still match */
	g_assert_false(match(r, 1, "\xff"));
	g_assert_false(match(r, 1, "\xd0"));
	g_assert_true(match(r, 2, "\xff\xfe hello \xc3"));
	g_assert_false(match(r, 0, "\xd0\xd0\xd0\xd0"));
	rules_free(r);
}

static void
test_match_backtracking(struct test_tmp *t, gconstpointer data)
{
	struct rules *r = load_ok(t,
	    "a subject ^(a+)+$\nb subject ^(\\w+\\s?)*$\n"
	    "c subject (x+x+)+y\n", NULL);
	GString *s = g_string_new(NULL);
	gint64 start;
	double took;
	int i;

	if (r == NULL)
		return;
	for (i = 0; i < 50000; i++)
		g_string_append_c(s, 'a');
	g_string_append_c(s, '!');
	start = g_get_monotonic_time();
	g_assert_false(rules_match(r, rules_get(r, 0), s->str, s->len, NULL,
	    NULL));
	g_assert_false(rules_match(r, rules_get(r, 1), s->str, s->len, NULL,
	    NULL));
	g_string_truncate(s, 0);
	for (i = 0; i < 5000; i++)
		g_string_append_c(s, 'x');
	g_assert_false(rules_match(r, rules_get(r, 2), s->str, s->len, NULL,
	    NULL));
	took = (g_get_monotonic_time() - start) / 1e6;
	g_test_message("three hopeless matches in %.3f s", took);
	g_assert_cmpfloat(took, <, 10.0);
	/* the same rules still work on an ordinary subject */
	g_assert_true(match(r, 0, "aaaa"));
	g_assert_true(match(r, 1, "two words"));
	g_string_free(s, TRUE);
	rules_free(r);
}

static void
test_real_robots(void)
{
	char *path = test_srcdir_path("filters/robots.rules");
	GHashTable *vars = desk_vars("support@desk.example");
	GError *error = NULL;
	struct rules *r = rules_load(path, vars, &error);
	guint i;

	g_assert_no_error(error);
	g_assert_nonnull(r);
	if (r == NULL)
		goto out;
	g_assert_cmpuint(rules_count(r), >=, 10);
	for (i = 0; i < rules_count(r); i++) {
		const struct rule *rule = rules_get(r, i);

		/* "human" is evidence against a report, a hint only */
		if (strcmp(rule->label, "human") == 0 ? !rule->hint :
		    strcmp(rule->label, "loop") != 0 &&
		    strcmp(rule->label, "bounce") != 0 &&
		    strcmp(rule->label, "autoreply") != 0 &&
		    strcmp(rule->label, "list") != 0)
			g_test_fail_printf("%s: label %s", rule->where,
			    rule->label);
		g_assert_true(g_str_has_prefix(rule->where, path));
	}
	/* the first rule is the X-Loop check with the address quoted */
	g_assert_cmpstr(rules_get(r, 0)->field, ==, "header:X-Loop");
	g_assert_true(match(r, 0, "support@desk.example"));
	g_assert_false(match(r, 0, "support@deskXexample"));
out:
	rules_free(r);
	g_clear_error(&error);
	/* without the variable the file does not load */
	r = rules_load(path, NULL, &error);
	g_assert_null(r);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	rules_free(r);
	g_clear_error(&error);
	g_hash_table_unref(vars);
	g_free(path);
}

/* Does any rule of LABEL match LINE? */
static bool
match_label(struct rules *r, const char *label, const char *line)
{
	guint j;

	for (j = 0; j < rules_count(r); j++)
		if (strcmp(rules_get(r, j)->label, label) == 0 &&
		    match(r, j, line))
			return true;
	return false;
}

/*
 * A customer's answer to a confirmation notice, on its first line: the
 * words the notices ask for, in both languages, and the common ways of
 * saying yes or no; a sentence that only mentions them decides nothing.
 */
static void
test_real_confirmation(void)
{
	char *path = test_srcdir_path("filters/assessment.rules");
	GHashTable *vars = desk_vars("support@desk.example");
	GError *error = NULL;
	struct rules *r = rules_load(path, vars, &error);
	static const char *const yes[] = {
		"confirm", "Confirm", "CONFIRM.", "I confirm", "confirmed!",
		"Yes, please go ahead", "подтверждаю", "Подтверждаю.",
		"Да, подтверждаю", "согласен",
	};
	static const char *const no[] = {
		"decline", "Decline.", "I decline", "no, thanks",
		"I do not confirm", "отказываюсь", "Отказываюсь, спасибо",
		"нет", "не согласен",
	};
	static const char *const neither[] = {
		"What does category 2 mean?", "Could you explain first?",
		"Почему так дорого?", "", "> confirm", "Confirm?",
		"Yes? What does it cover?", "Да, но сначала объясните",
		"yes, but only category 1", "No problem, go ahead",
	};
	size_t i;

	g_assert_no_error(error);
	if (r == NULL)
		goto out;
	for (i = 0; i < G_N_ELEMENTS(yes); i++)
		if (!match_label(r, "confirm", yes[i]) ||
		    match_label(r, "decline", yes[i]))
			g_test_fail_printf("\"%s\" is not a plain confirm",
			    yes[i]);
	for (i = 0; i < G_N_ELEMENTS(no); i++)
		if (!match_label(r, "decline", no[i]) ||
		    match_label(r, "confirm", no[i]))
			g_test_fail_printf("\"%s\" is not a plain decline",
			    no[i]);
	for (i = 0; i < G_N_ELEMENTS(neither); i++)
		if (match_label(r, "confirm", neither[i]) ||
		    match_label(r, "decline", neither[i]))
			g_test_fail_printf("\"%s\" decided something",
			    neither[i]);
	g_test_message("%zu confirms, %zu declines, %zu neither checked",
	    G_N_ELEMENTS(yes), G_N_ELEMENTS(no), G_N_ELEMENTS(neither));
out:
	rules_free(r);
	g_clear_error(&error);
	g_hash_table_unref(vars);
	g_free(path);
}

static void
test_real_assessment(void)
{
	char *path = test_srcdir_path("filters/assessment.rules");
	GHashTable *vars = desk_vars("support@desk.example");
	GError *error = NULL;
	struct rules *r = rules_load(path, vars, &error);
	static const char *const agree[] = {
		"Assessment: agree", "assessment:agreed",
		"  ASSESSMENT : I agree",
		"Assessment: yes", "Оценка: согласен", "оценка: я согласна",
		"ОЦЕНКА: ДА",
	};
	static const char *const other[] = {
		"I do not agree with the assessment", "Assessment: disagree",
		"Assessment: agreeable", "Оценка: не согласен",
	};
	size_t i, j;

	g_assert_no_error(error);
	g_assert_nonnull(r);
	if (r == NULL)
		goto out;
	g_assert_cmpuint(rules_count(r), >=, 2);
	for (i = 0; i < rules_count(r); i++) {
		const char *label = rules_get(r, i)->label;

		if (strcmp(label, "agree") != 0 &&
		    strcmp(label, "confirm") != 0 &&
		    strcmp(label, "decline") != 0)
			g_test_fail_printf("label %s is none of agree, "
			    "confirm, decline", label);
		g_assert_cmpstr(rules_get(r, i)->field, ==, "line");
	}
	for (i = 0; i < G_N_ELEMENTS(agree); i++)
		if (!match_label(r, "agree", agree[i]))
			g_test_fail_printf("\"%s\" is no agreement",
			    agree[i]);
	for (i = 0; i < G_N_ELEMENTS(other); i++)
		if (match_label(r, "agree", other[i]))
			g_test_fail_printf("\"%s\" taken as agreement",
			    other[i]);
	(void)j;
out:
	rules_free(r);
	g_clear_error(&error);
	g_hash_table_unref(vars);
	g_free(path);
}

/* ---- groups (rules_group_new): one alternation, the loop's results ---- */

/* The loop a group stands for: the first member that matches. */
static bool
loop_match(struct rules *r, GPtrArray *members, const char *s, size_t len,
    bool anchored, size_t *end_r)
{
	guint i;

	for (i = 0; i < members->len; i++) {
		const struct rule *rule = g_ptr_array_index(members, i);

		if (anchored ? rules_match_anchored(r, rule, s, len, end_r) :
		    rules_match(r, rule, s, len, NULL, end_r))
			return true;
	}
	return false;
}

static GPtrArray *
all_rules(struct rules *r)
{
	GPtrArray *members = g_ptr_array_new();
	guint i;

	for (i = 0; r != NULL && i < rules_count(r); i++)
		g_ptr_array_add(members, (gpointer)rules_get(r, i));
	return members;
}

/*
 * Members that would change meaning in one alternation (a numbered
 * back reference, an unclosed \Q, a (?x) comment, a different leading
 * option, a backtracking verb, a condition on a group's number, a verb
 * at the start that is no option) still match as they do alone; an
 * anchored match ends where the first matching member's does.
 */
static void
test_group_semantics(struct test_tmp *t, gconstpointer data)
{
	static const struct {
		const char *subject;
		bool anchored, match;
		size_t end;
	} cases[] = {
		{ "xx bc", false, true, 0 },	/* (b)(c) */
		{ "aa", false, true, 0 },	/* (a)\1: its own group 1 */
		{ "ba", false, false, 0 },
		{ "p|q", false, true, 0 },	/* \Qp|q, unclosed */
		{ "q", false, false, 0 },
		{ "zz", false, true, 0 },	/* (?x) z z # ) */
		{ "caf\xc3\xa9", false, true, 0 },	/* (*UCP)\w+\b */
		{ "abcd", true, true, 2 },	/* ^ab before ^abcd */
		{ "xabcd", true, false, 0 },
		{ "kab", false, true, 0 },	/* k(*COMMIT)x fails, (k)ab */
		{ "rb", false, true, 0 },	/* (q)?(?(1)a|b): its own 1 */
		{ "mq", false, true, 0 },	/* (*MARK:m)mq, no option */
	};
	struct rules *r = load_ok(t,
	    "l line (b)(c)\n"
	    "l line (a)\\1\n"
	    "l line \\Qp|q\n"
	    "l line (?x) z z # a comment )\n"
	    "l line (*UCP)^caf\\w\\b\n"
	    "l line ^ab\n"
	    "l line ^abcd\n"
	    "l line k(*COMMIT)x\n"
	    "l line (k)ab\n"
	    "l line (r)(q)?(?(2)a|b)\n"
	    "l line (*MARK:m)mq\n", NULL);
	GPtrArray *members = all_rules(r);
	int jit;
	size_t i;

	for (jit = 0; jit < 2; jit++) {
		struct rules_group *g = rules_group_new(r, members, jit);

		for (i = 0; i < G_N_ELEMENTS(cases); i++) {
			size_t end = 0, loop_end = 0;
			size_t len = strlen(cases[i].subject);
			bool got = rules_group_match(r, g, cases[i].subject,
			    len, cases[i].anchored, &end);
			bool loop = loop_match(r, members, cases[i].subject,
			    len, cases[i].anchored, &loop_end);

			if (got != cases[i].match || loop != cases[i].match)
				g_test_fail_printf("\"%s\" (jit %d): group %d, "
				    "loop %d, expected %d", cases[i].subject,
				    jit, got, loop, cases[i].match);
			if (cases[i].anchored && got &&
			    (end != cases[i].end || loop_end != cases[i].end))
				g_test_fail_printf("\"%s\": ends at %zu, loop "
				    "%zu, expected %zu", cases[i].subject,
				    end, loop_end, cases[i].end);
		}
		rules_group_free(g);
	}
	g_test_message("%zu subjects, interpreted and JIT",
	    G_N_ELEMENTS(cases));
	g_ptr_array_unref(members);
	rules_free(r);
}

/* Every line of the reply fixtures, and the five lines from each, into
 * TEXTS. */
static void
collect_reply_texts(GPtrArray *texts)
{
	char *root = test_srcdir_path("tests/fixtures/replies");
	GDir *sets = g_dir_open(root, 0, NULL);
	const char *set;

	g_assert_nonnull(sets);
	while (sets != NULL && (set = g_dir_read_name(sets)) != NULL) {
		char *dir = g_build_filename(root, set, NULL);
		GDir *files = g_dir_open(dir, 0, NULL);
		const char *name;

		while (files != NULL && (name = g_dir_read_name(files)) !=
		    NULL) {
			char *path = g_build_filename(dir, name, NULL), *text;
			char **lines;
			guint k, n;

			if (g_file_get_contents(path, &text, NULL, NULL)) {
				/* quote.c reads the UTF-8 mail_parse() made;
				 * a fixture's raw bytes may be GB18030 */
				char *valid = g_utf8_make_valid(text, -1);

				g_free(text);
				text = valid;
				lines = g_strsplit(text, "\n", -1);
				n = g_strv_length(lines);
				for (k = 0; k < n; k++) {
					GString *w = g_string_new(lines[k]);
					guint j;

					/* five lines, as quote.c's window */
					for (j = k + 1; j < MIN(k + 5, n); j++)
						g_string_append_printf(w,
						    "\n%s", lines[j]);
					g_ptr_array_add(texts,
					    g_strdup(lines[k]));
					g_ptr_array_add(texts,
					    g_string_free(w, FALSE));
				}
				g_strfreev(lines);
				g_free(text);
			}
			g_free(path);
		}
		if (files != NULL)
			g_dir_close(files);
		g_free(dir);
	}
	if (sets != NULL)
		g_dir_close(sets);
	g_free(root);
}

/*
 * The shipped quotes.rules, grouped by label and field as quote.c groups
 * them for a long reply: on every line of every reply fixture, and on
 * the text from each line on, the group and the loop agree, found or
 * not and where an anchored match ends.
 */
static void
test_group_quotes(void)
{
	char *path = test_srcdir_path("filters/quotes.rules");
	GError *error = NULL;
	struct rules *r = rules_load(path, NULL, &error);
	GHashTable *by = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, (GDestroyNotify)g_ptr_array_unref);
	GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	gpointer key, value;
	guint i, compared = 0, matched = 0, groups = 0;
	/* under valgrind, every 16th subject: the same code, in minutes */
	guint step = g_getenv("DESK_VALGRIND") != NULL ? 16 : 1;

	g_assert_no_error(error);
	g_clear_error(&error);
	for (i = 0; r != NULL && i < rules_count(r); i++) {
		const struct rule *rule = rules_get(r, i);
		char *k = g_strconcat(rule->label, " ", rule->field, NULL);
		GPtrArray *members = g_hash_table_lookup(by, k);

		if (members == NULL) {
			members = g_ptr_array_new();
			g_hash_table_insert(by, g_strdup(k), members);
		}
		g_ptr_array_add(members, (gpointer)rule);
		g_free(k);
	}
	collect_reply_texts(texts);
	g_hash_table_iter_init(&it, by);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		GPtrArray *members = value;
		struct rules_group *g = rules_group_new(r, members, TRUE);
		int anchored;

		groups++;
		for (i = 0; i < texts->len; i += step) {
			const char *s = g_ptr_array_index(texts, i);
			size_t len = strlen(s);

			for (anchored = 0; anchored < 2; anchored++) {
				size_t end = 0, loop_end = 0;
				bool got = rules_group_match(r, g, s, len,
				    anchored, &end);
				bool loop = loop_match(r, members, s, len,
				    anchored, &loop_end);

				compared++;
				matched += got;
				if (got != loop || (anchored && got &&
				    end != loop_end))
					g_test_fail_printf("%s on \"%.60s\""
					    " (anchored %d): group %d at %zu, "
					    "loop %d at %zu", (char *)key, s,
					    anchored, got, end, loop,
					    loop_end);
			}
		}
		rules_group_free(g);
	}
	g_test_message("%u groups, %u subjects compared (every %u), %u matched",
	    groups, compared, step, matched);
	g_assert_cmpuint(groups, >=, 10);
	g_assert_cmpuint(compared, >=, 100000 / step);
	g_assert_cmpuint(matched, >=, 1000 / step);
	g_ptr_array_unref(texts);
	g_hash_table_unref(by);
	rules_free(r);
	g_free(path);
}

#define ADD(path, fn) \
	g_test_add(path, struct test_tmp, NULL, tmp_setup, fn, \
	    test_tmp_teardown)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	ADD("/rules/load/parse", test_parse);
	ADD("/rules/load/comments", test_comments);
	ADD("/rules/load/fields", test_fields);
	ADD("/rules/variable/quoted", test_variable_quoted);
	ADD("/rules/variable/quoted-backslash-e",
	    test_variable_quoted_backslash_e);
	ADD("/rules/variable/unclosed", test_variable_unclosed);
	ADD("/rules/error/unknown-variable", test_error_unknown_variable);
	ADD("/rules/error/unknown-field", test_error_unknown_field);
	ADD("/rules/error/short-line", test_error_short_line);
	ADD("/rules/error/bad-pattern", test_error_bad_pattern);
	ADD("/rules/error/missing-file", test_error_missing_file);
	ADD("/rules/match/offsets", test_match_offsets);
	ADD("/rules/match/utf8", test_match_utf8);
	ADD("/rules/match/backtracking", test_match_backtracking);
	ADD("/rules/group/semantics", test_group_semantics);
	g_test_add_func("/rules/group/quotes", test_group_quotes);
	g_test_add_func("/rules/real/robots", test_real_robots);
	g_test_add_func("/rules/real/assessment", test_real_assessment);
	g_test_add_func("/rules/real/confirmation", test_real_confirmation);
	return g_test_run();
}
