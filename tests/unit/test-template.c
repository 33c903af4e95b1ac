/*
 * test-template.c - unit tests of template.c: variables, {{if}} /
 * {{else}} / {{end}}, directive-only lines, errors with file:line, and
 * the real notice templates of etc/templates rendered as intake.c does.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "error.h"
#include "template.h"
#include "test-util.h"

static GHashTable *
vars_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
vars_set(GHashTable *vars, const char *name, const char *value)
{
	g_hash_table_replace(vars, g_strdup(name), g_strdup(value));
}

static void
expect_expand(const char *text, GHashTable *vars, const char *want)
{
	GError *error = NULL;
	char *out = template_expand(text, "t.txt", vars, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(out, ==, want);
	g_clear_error(&error);
	g_free(out);
}

/* Expansion must fail with a message starting with PREFIX, holding WHAT. */
static void
expect_fail(const char *text, GHashTable *vars, const char *prefix,
    const char *what)
{
	GError *error = NULL;
	char *out = template_expand(text, "t.txt", vars, &error);

	g_assert_null(out);
	g_free(out);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	if (error == NULL)
		return;
	g_test_message("error: %s", error->message);
	if (!g_str_has_prefix(error->message, prefix))
		g_test_fail_printf("\"%s\" does not start with \"%s\"",
		    error->message, prefix);
	if (what != NULL && strstr(error->message, what) == NULL)
		g_test_fail_printf("\"%s\" lacks \"%s\"", error->message,
		    what);
	g_error_free(error);
}

static void
test_variables(void)
{
	GHashTable *vars = vars_new();

	vars_set(vars, "name", "World");
	vars_set(vars, "n", "42");
	vars_set(vars, "empty", "");
	expect_expand("Hello {{name}}!", vars, "Hello World!");
	expect_expand("{{ name }} #{{n}} [{{empty}}]\n", vars,
	    "World #42 []\n");
	expect_expand("no directives at all\n", vars,
	    "no directives at all\n");
	expect_expand("", vars, "");
	expect_expand("{{n}}{{n}}", vars, "4242");
	/* a value is not expanded again */
	vars_set(vars, "tricky", "{{name}}");
	expect_expand("<{{tricky}}>", vars, "<{{name}}>");
	/* a single brace is text */
	expect_expand("a { b } c", vars, "a { b } c");
	g_hash_table_unref(vars);
}

static void
test_if_branches(void)
{
	static const char text[] = "<{{if flag}}yes{{else}}no{{end}}>";
	GHashTable *vars = vars_new();

	vars_set(vars, "flag", "1");
	expect_expand(text, vars, "<yes>");
	vars_set(vars, "flag", "anything");
	expect_expand(text, vars, "<yes>");
	vars_set(vars, "flag", "");
	expect_expand(text, vars, "<no>");
	vars_set(vars, "flag", "0");
	expect_expand(text, vars, "<no>");
	g_hash_table_remove(vars, "flag");
	expect_expand(text, vars, "<no>");
	/* without an else */
	vars_set(vars, "flag", "1");
	expect_expand("a{{if flag}}b{{end}}c", vars, "abc");
	vars_set(vars, "flag", "");
	expect_expand("a{{if flag}}b{{end}}c", vars, "ac");
	g_hash_table_unref(vars);
}

static void
test_directive_lines(void)
{
	static const char text[] =
	    "A\n"
	    "{{if flag}}\n"
	    "B {{x}}\n"
	    "{{else}}\n"
	    "C\n"
	    "{{end}}\n"
	    "D\n";
	GHashTable *vars = vars_new();

	vars_set(vars, "x", "x");
	vars_set(vars, "flag", "1");
	expect_expand(text, vars, "A\nB x\nD\n");
	vars_set(vars, "flag", "");
	expect_expand(text, vars, "A\nC\nD\n");

	/* blanks around a directive alone on its line go with it */
	vars_set(vars, "flag", "1");
	expect_expand("A\n  {{if flag}}  \nB\n\t{{end}}\t\nD\n", vars,
	    "A\nB\nD\n");
	/* a directive at the very end, without a newline */
	expect_expand("A\n{{if flag}}\nB\n{{end}}", vars, "A\nB\n");
	/* empty lines inside a branch stay */
	expect_expand("A\n{{if flag}}\n\nB\n{{end}}\n\nC\n", vars,
	    "A\n\nB\n\nC\n");
	vars_set(vars, "flag", "");
	expect_expand("A\n{{if flag}}\n\nB\n{{end}}\n\nC\n", vars,
	    "A\n\nC\n");
	/* a directive that shares its line keeps the line */
	vars_set(vars, "flag", "1");
	expect_expand("x {{if flag}}y{{end}} z\n", vars, "x y z\n");
	vars_set(vars, "flag", "");
	expect_expand("x {{if flag}}y{{end}} z\n", vars, "x  z\n");
	g_hash_table_unref(vars);
}

static void
test_error_unknown_variable(void)
{
	GHashTable *vars = vars_new();

	vars_set(vars, "known", "k");
	expect_fail("line one\nline {{known}} two {{nope}}\n", vars,
	    "t.txt:2:", "nope");
	/* line numbers count the lines that directives removed */
	expect_fail("{{if known}}\nA\n{{else}}\nB\n{{end}}\n{{typo}}\n", vars,
	    "t.txt:6:", "typo");
	/* a typo in the branch not taken is still an error */
	expect_fail("{{if known}}ok{{else}}{{typo}}{{end}}", vars, "t.txt:1:",
	    "typo");
	expect_fail("{{}}", vars, "t.txt:1:", NULL);
	g_hash_table_unref(vars);
}

static void
test_error_nested_if(void)
{
	GHashTable *vars = vars_new();

	vars_set(vars, "a", "1");
	expect_fail("x\n{{if a}}\n{{if a}}y{{end}}\n{{end}}\n", vars,
	    "t.txt:3:", "nested");
	expect_fail("{{if a}}\n{{else}}\n{{if a}}{{end}}\n{{end}}\n", vars,
	    "t.txt:3:", "nested");
	g_hash_table_unref(vars);
}

static void
test_error_outside_if(void)
{
	GHashTable *vars = vars_new();

	expect_fail("a\n{{else}}\n", vars, "t.txt:2:", "else");
	expect_fail("a\nb\n{{end}}\n", vars, "t.txt:3:", "end");
	vars_set(vars, "a", "1");
	expect_fail("{{if a}}x{{else}}y{{else}}z{{end}}", vars, "t.txt:1:",
	    "else");
	expect_fail("{{if a}}x{{end}}{{end}}", vars, "t.txt:1:", "end");
	g_hash_table_unref(vars);
}

static void
test_error_unclosed(void)
{
	GHashTable *vars = vars_new();

	vars_set(vars, "a", "1");
	expect_fail("{{if a}}\nnever closed\n", vars, "t.txt", "{{end}}");
	expect_fail("{{if a}}x{{else}}y", vars, "t.txt", "{{end}}");
	expect_fail("a\nb {{a", vars, "t.txt:2:", "}}");
	g_hash_table_unref(vars);
}

/* The variables intake.c gives the ack and stranger templates. */
static GHashTable *
intake_vars(bool preapproved, bool known)
{
	GHashTable *vars = vars_new();

	vars_set(vars, "desk_name", "Acme Help Desk");
	vars_set(vars, "desk_address", "support@desk.example");
	vars_set(vars, "hours", "09:00-18:00");
	vars_set(vars, "timezone", "+04:00");
	vars_set(vars, "hours_text", "09:00-18:00 (UTC+04:00)");
	vars_set(vars, "contact_url", "https://shop.example/contact");
	vars_set(vars, "cost1", "5");
	vars_set(vars, "cost2", "10");
	vars_set(vars, "cost3", "20");
	vars_set(vars, "ticket", "4321");
	vars_set(vars, "subject", "Checkout is broken");
	vars_set(vars, "reply_address",
	    "support+4321-0123456789abcdef@desk.example");
	vars_set(vars, "customer_name", "Ivan Petrov");
	vars_set(vars, "preapproved", preapproved ? "1" : "");
	vars_set(vars, "balance", "65");
	vars_set(vars, "known_customer", known ? "1" : "");
	return vars;
}

static void
render(const char *lang, const char *name, GHashTable *vars,
    char **subject_r, char **body_r)
{
	char *dir = test_srcdir_path("etc/templates");
	GError *error = NULL;
	int rc;

	*subject_r = *body_r = NULL;
	rc = template_render(dir, lang, name, vars, subject_r, body_r,
	    &error);
	g_assert_no_error(error);
	g_assert_cmpint(rc, ==, 0);
	g_clear_error(&error);
	g_free(dir);
}

static void
check_ack(const char *lang, bool preapproved)
{
	GHashTable *vars = intake_vars(preapproved, false);
	char *subject, *body;

	render(lang, "ack", vars, &subject, &body);
	g_test_message("%s ack subject: %s", lang, subject);
	test_check_contains(subject, "[#4321]");
	test_check_contains(subject, "Checkout is broken");
	test_check_lacks(subject, "\n");
	test_check_contains(body, "support+4321-0123456789abcdef@desk.example");
	test_check_contains(body, "09:00-18:00 (UTC+04:00)");
	test_check_contains(body, "#4321");
	test_check_contains(body, "Ivan Petrov");
	test_check_contains(body, "Acme Help Desk");
	test_check_contains(body, "65");
	test_check_contains(body, ": 5 ");
	test_check_contains(body, ": 10 ");
	test_check_contains(body, ": 20 ");
	test_check_lacks(body, "{{");
	test_check_lacks(body, "}}");
	/* the directive lines left no blank runs behind */
	test_check_lacks(body, "\n\n\n");
	if (body != NULL)
		g_assert_false(g_str_has_prefix(body, "\n"));
	if (strcmp(lang, "en") == 0) {
		if (preapproved) {
			test_check_contains(body, "agreed in advance");
			test_check_lacks(body, "Assessment: agree");
		} else {
			test_check_contains(body, "Assessment: agree");
			test_check_lacks(body, "agreed in advance");
		}
	} else {
		if (preapproved) {
			test_check_contains(body, "заранее согласились");
			test_check_lacks(body, "Оценка: согласен");
		} else {
			test_check_contains(body, "Оценка: согласен");
			test_check_lacks(body, "заранее согласились");
		}
	}
	g_assert_true(body == NULL || g_utf8_validate(body, -1, NULL));
	g_free(subject);
	g_free(body);
	g_hash_table_unref(vars);
}

static void
test_render_ack_en(void)
{
	check_ack("en", false);
	check_ack("en", true);
}

static void
test_render_ack_ru(void)
{
	check_ack("ru", false);
	check_ack("ru", true);
}

static void
check_stranger(const char *lang, bool known, const char *known_text)
{
	GHashTable *vars = intake_vars(false, known);
	char *subject, *body;

	render(lang, "stranger", vars, &subject, &body);
	test_check_contains(subject, "Checkout is broken");
	test_check_contains(body, "https://shop.example/contact");
	test_check_contains(body, "Acme Help Desk");
	test_check_lacks(body, "{{");
	test_check_lacks(body, "\n\n\n");
	if (known)
		test_check_contains(body, known_text);
	else
		test_check_lacks(body, known_text);
	g_free(subject);
	g_free(body);
	g_hash_table_unref(vars);
}

static void
test_render_stranger(void)
{
	check_stranger("en", false, "Your address is known");
	check_stranger("en", true, "Your address is known");
	check_stranger("ru", false, "Ваш адрес нам известен");
	check_stranger("ru", true, "Ваш адрес нам известен");
}

static void
test_render_fallback(void)
{
	GHashTable *vars = intake_vars(false, false);
	char *s_en, *b_en, *s_de, *b_de;

	render("en", "ack", vars, &s_en, &b_en);
	render("de", "ack", vars, &s_de, &b_de);
	g_assert_cmpstr(s_de, ==, s_en);
	g_assert_cmpstr(b_de, ==, b_en);
	g_free(s_en);
	g_free(b_en);
	g_free(s_de);
	g_free(b_de);
	g_hash_table_unref(vars);
}

static void
test_render_missing(void)
{
	GHashTable *vars = intake_vars(false, false);
	char *dir = test_srcdir_path("etc/templates");
	char *subject = NULL, *body = NULL;
	GError *error = NULL;

	g_assert_cmpint(template_render(dir, "en", "no-such-template", vars,
	    &subject, &body, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	g_assert_null(subject);
	g_assert_null(body);
	g_clear_error(&error);
	g_free(dir);
	g_hash_table_unref(vars);
}

/* A template of our own in a temporary directory DIR/LANG/NAME.txt. */
static char *
write_template(const char *lang, const char *name, const char *text)
{
	char *dir = test_tmpdir_new("test-template-XXXXXX");
	char *sub, *file, *path;

	sub = g_build_filename(dir, lang, NULL);
	g_mkdir(sub, 0700);
	file = g_strdup_printf("%s.txt", name);
	path = g_build_filename(sub, file, NULL);
	test_write_file(path, text, -1);
	g_free(path);
	g_free(file);
	g_free(sub);
	return dir;
}

static void
remove_template(const char *dir, const char *lang, const char *name)
{
	char *file = g_strdup_printf("%s.txt", name);
	char *path = g_build_filename(dir, lang, file, NULL);
	char *sub = g_build_filename(dir, lang, NULL);

	g_unlink(path);
	g_rmdir(sub);
	g_rmdir(dir);
	g_free(sub);
	g_free(path);
	g_free(file);
}

static void
test_render_own(void)
{
	char *dir = write_template("en", "n",
	    "Subject:   Hello {{who}}  \n\nBody for {{who}}.\n");
	GHashTable *vars = vars_new();
	char *subject = NULL, *body = NULL;
	GError *error = NULL;

	vars_set(vars, "who", "Ann");
	g_assert_cmpint(template_render(dir, "en", "n", vars, &subject,
	    &body, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpstr(subject, ==, "Hello Ann");
	g_assert_cmpstr(body, ==, "Body for Ann.\n");
	g_free(subject);
	g_free(body);
	g_hash_table_unref(vars);
	remove_template(dir, "en", "n");
	g_free(dir);
}

static void
test_render_no_subject(void)
{
	char *dir = write_template("en", "bad", "Hello\n\nBody\n");
	GHashTable *vars = vars_new();
	char *subject = NULL, *body = NULL;
	GError *error = NULL;

	g_assert_cmpint(template_render(dir, "en", "bad", vars, &subject,
	    &body, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	if (error != NULL)
		test_check_contains(error->message, "bad.txt");
	g_clear_error(&error);
	g_free(subject);
	g_free(body);
	g_hash_table_unref(vars);
	remove_template(dir, "en", "bad");
	g_free(dir);
}

static void
test_render_error_names_file(void)
{
	char *dir = write_template("ru", "t",
	    "Subject: x\n\nline\n{{missing}}\n");
	GHashTable *vars = vars_new();
	char *subject = NULL, *body = NULL, *want;
	GError *error = NULL;

	g_assert_cmpint(template_render(dir, "ru", "t", vars, &subject,
	    &body, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	want = g_build_filename(dir, "ru", "t.txt:4:", NULL);
	if (error != NULL)
		test_check_contains(error->message, want);
	g_free(want);
	g_clear_error(&error);
	g_hash_table_unref(vars);
	remove_template(dir, "ru", "t");
	g_free(dir);
}

/*
 * The template's own first line is the Subject: line. A variable whose
 * value holds an empty line (a customer's subject can: RFC 2047 words
 * decode to any bytes) must not move the split between subject and
 * body: the body is the template's body, the subject keeps the value.
 */
static void
test_render_subject_newline(void)
{
	char *dir = write_template("en", "s",
	    "Subject: Re: {{subject}}\n\nThe body.\n");
	GHashTable *vars = vars_new();
	char *subject = NULL, *body = NULL;
	GError *error = NULL;

	vars_set(vars, "subject", "first\n\nInjected text");
	g_assert_cmpint(template_render(dir, "en", "s", vars, &subject,
	    &body, &error), ==, 0);
	g_assert_no_error(error);
	g_clear_error(&error);
	g_assert_cmpstr(body, ==, "The body.\n");
	test_check_contains(subject, "Injected text");
	g_free(subject);
	g_free(body);
	g_hash_table_unref(vars);
	remove_template(dir, "en", "s");
	g_free(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/template/expand/variables", test_variables);
	g_test_add_func("/template/expand/if-branches", test_if_branches);
	g_test_add_func("/template/expand/directive-lines",
	    test_directive_lines);
	g_test_add_func("/template/error/unknown-variable",
	    test_error_unknown_variable);
	g_test_add_func("/template/error/nested-if", test_error_nested_if);
	g_test_add_func("/template/error/outside-if", test_error_outside_if);
	g_test_add_func("/template/error/unclosed", test_error_unclosed);
	g_test_add_func("/template/render/ack-en", test_render_ack_en);
	g_test_add_func("/template/render/ack-ru", test_render_ack_ru);
	g_test_add_func("/template/render/stranger", test_render_stranger);
	g_test_add_func("/template/render/fallback-en", test_render_fallback);
	g_test_add_func("/template/render/missing", test_render_missing);
	g_test_add_func("/template/render/own", test_render_own);
	g_test_add_func("/template/render/no-subject",
	    test_render_no_subject);
	g_test_add_func("/template/render/error-names-file",
	    test_render_error_names_file);
	g_test_add_func("/template/render/subject-newline",
	    test_render_subject_newline);
	return g_test_run();
}
