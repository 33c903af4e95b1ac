/*
 * test-templates-shipped.c - the notice templates of issue 7 as shipped
 * in etc/templates/{en,ru}: announce, answer, confirm, credits,
 * category, custom, split, confirmed, declined and command-error.
 *
 * For every kind and language: the file exists (no silent fallback to
 * en/), it uses only the variables of its kind (template_check, strict),
 * it renders with every variable set and with the optional ones empty,
 * its subject starts with "[#TICKET] " so that it threads, no directive
 * is left over and no run of blank lines either; and the facts each kind
 * must tell (the confirm/decline words, the marks, the charge line...)
 * are there. The variable lists below are the contract with the code
 * that fills them (plan7.md); every file of etc/templates is installed.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "error.h"
#include "template.h"
#include "test-util.h"

/* Every notice template may use these (intake_notice_common_vars). */
static const char *const common_vars[] = {
	"desk_name", "desk_address", "hours", "timezone", "hours_text",
	"contact_url", "cost1", "cost2", "cost3", NULL,
};

static const char *const announce_vars[] = {
	"ticket", "subject", "customer_name", "customer_email", "balance",
	"licenses", "category", "status", "marks", "new_text", "full_text",
	"staff_reply_address", "preapproved", "commands", NULL,
};
static const char *const announce_optional[] = {
	"category", "marks", "preapproved", NULL,
};
static const char *const answer_vars[] = {
	"ticket", "subject", "answer", "signature", "reply_address",
	"charge_line", NULL,
};
static const char *const answer_optional[] = { "charge_line", NULL };
static const char *const confirm_vars[] = {
	"ticket", "subject", "category", "category_text", "credits", "total",
	"balance", "confirm_address", "customer_name", NULL,
};
static const char *const credits_vars[] = {
	"ticket", "subject", "needed", "balance", "packages",
	"customer_name", NULL,
};
static const char *const category_vars[] = {
	"ticket", "subject", "old_category", "category", "category_text",
	"delta_text", "balance", "customer_name", NULL,
};
static const char *const custom_vars[] = {
	"ticket", "subject", "answer", "customer_name", NULL,
};
static const char *const custom_optional[] = { "answer", NULL };
static const char *const split_vars[] = {
	"ticket", "subject", "old_ticket", "old_subject", "reply_address",
	"customer_name", NULL,
};
static const char *const confirmed_vars[] = {
	"ticket", "subject", "customer_email", "category", "credits",
	"balance", NULL,
};
static const char *const command_error_vars[] = {
	"ticket", "subject", "errors", "commands", "staff_reply_address",
	NULL,
};
static const char *const none[] = { NULL };

/* Flags: tested for truth, never shown. */
static const char *const flag_vars[] = { "preapproved", NULL };

struct render;
typedef void (*check_fn)(const struct render *r);

struct kind {
	const char *name;
	const char *const *vars;
	const char *const *optional;	/* may be "" */
	check_fn check;			/* what this kind must say */
};

/* One rendering: which template, with which values, and what came out. */
struct render {
	const struct kind *kind;
	const char *lang;
	bool full;		/* every optional variable set */
	GHashTable *vars;
	char *subject;
	char *body;
};

/* Sample values, each distinct enough to be found in the output. */
static const struct {
	const char *name, *value;
} samples[] = {
	{ "desk_name", "Acme Help Desk" },
	{ "desk_address", "support@desk.example" },
	{ "hours", "09:00-18:00" },
	{ "timezone", "+04:00" },
	{ "hours_text", "09:00-18:00 (UTC+04:00)" },
	{ "contact_url", "https://shop.example/contact" },
	{ "cost1", "5" },
	{ "cost2", "10" },
	{ "cost3", "20" },
	{ "ticket", "4321" },
	{ "subject", "Checkout is broken" },
	{ "customer_name", "Ivan Petrov" },
	{ "customer_email", "ivan@shop.example" },
	{ "balance", "37" },
	{ "licenses", "cs-cart first, multi-vendor additional" },
	{ "category", "2" },
	{ "status", "open" },
	{ "marks", "SUPPRESSED: classed as an auto-reply" },
	{ "new_text", "The payment step shows a blank page.\n"
	    "It started after the upgrade." },
	{ "full_text", "FULL: Hello, the checkout is broken.\n\n"
	    "FULL: The payment step shows a blank page." },
	{ "staff_reply_address", "support+4321-fedcba9876543210@desk.example" },
	{ "preapproved", "1" },
	{ "commands", "#category 1|2|3  #security  #custom  #note  "
	    "#split SUBJECT  #close  #reopen" },
	{ "answer", "Open Settings > Checkout and enable the gateway.\n"
	    "Then clear the cache." },
	{ "signature", "Anna Smirnova" },
	{ "reply_address", "support+4321-0123456789abcdef@desk.example" },
	{ "charge_line", "Category 2: 10 credits were deducted; your balance "
	    "is 37 credits." },
	{ "category_text", "Resolving problems caused by incorrect settings "
	    "of CS-Cart functionality." },
	{ "credits", "10" },
	{ "total", "15" },
	{ "confirm_address", "support+4321.7-0123456789abcdef@desk.example" },
	{ "needed", "12" },
	{ "packages", "  25 credits - $45\n  50 credits - $85\n"
	    "  100 credits - $165\n  200 credits - $295" },
	{ "old_category", "1" },
	{ "delta_text", "5 credits were deducted" },
	{ "old_ticket", "4300" },
	{ "old_subject", "Shipping rates" },
	{ "errors", "  line 1: \"#categry 2\": unknown command" },
};

static const char *
sample(const char *name)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(samples); i++)
		if (strcmp(samples[i].name, name) == 0)
			return samples[i].value;
	g_test_fail_printf("no sample value for %s", name);
	return "?";
}

static bool
in_list(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

/* The variables of KIND: the common ones and its own (transfer full). */
static GHashTable *
vars_new(const struct kind *kind, bool full)
{
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	const char *const *v;

	for (v = common_vars; *v != NULL; v++)
		g_hash_table_insert(vars, (gpointer)*v, (gpointer)sample(*v));
	for (v = kind->vars; *v != NULL; v++)
		g_hash_table_insert(vars, (gpointer)*v, (gpointer)
		    (!full && in_list(kind->optional, *v) ? "" : sample(*v)));
	return vars;
}

/* PATH of the template of KIND in LANG, in the source tree. */
static char *
template_path(const struct kind *kind, const char *lang)
{
	char *file = g_strdup_printf("etc/templates/%s/%s.txt", lang,
	    kind->name);
	char *path = test_srcdir_path(file);

	g_free(file);
	return path;
}

/* Is NEEDLE in S before LATER? Both must be there. */
static void
check_order(const char *s, const char *needle, const char *later)
{
	const char *a = s ? strstr(s, needle) : NULL;
	const char *b = s ? strstr(s, later) : NULL;

	test_check_contains(s, needle);
	test_check_contains(s, later);
	if (a != NULL && b != NULL && a >= b)
		g_test_fail_printf("\"%s\" comes after \"%s\"", needle, later);
}

static bool
is_ru(const struct render *r)
{
	return strcmp(r->lang, "ru") == 0;
}

static const char *
var(const struct render *r, const char *name)
{
	return g_hash_table_lookup(r->vars, name);
}

static void
check_announce(const struct render *r)
{
	check_order(r->body, var(r, "new_text"), "\n---- full text ----\n");
	check_order(r->body, "\n---- full text ----\n", var(r, "full_text"));
	test_check_contains(r->body, var(r, "staff_reply_address"));
	test_check_contains(r->body, var(r, "commands"));
	test_check_contains(r->body, "#4321");
	test_check_contains(r->body, "<ivan@shop.example>");
	if (r->full) {
		/* the marks come first, where nobody misses them */
		g_assert_true(g_str_has_prefix(r->body,
		    "!!! SUPPRESSED: classed as an auto-reply !!!\n"));
		test_check_contains(r->subject, "[!]");
		test_check_contains(r->body, is_ru(r) ?
		    "согласована заранее" : "agreed in advance");
	} else {
		test_check_lacks(r->body, "!!!");
		test_check_lacks(r->subject, "[!]");
		test_check_contains(r->body, is_ru(r) ?
		    "ещё не назначена" : "not assessed yet");
		test_check_contains(r->body, is_ru(r) ?
		    "нужно подтверждение клиента" :
		    "needs the customer's confirmation");
	}
	if (is_ru(r))
		test_check_contains(r->body, "#категория");
}

static void
check_answer(const struct render *r)
{
	/* the answer, the signature, the charge line, then the footer */
	g_assert_true(g_str_has_prefix(r->body, var(r, "answer")));
	check_order(r->body, var(r, "answer"), "\n\nAnna Smirnova\n");
	if (r->full)
		check_order(r->body, "Anna Smirnova",
		    "\n\nCategory 2: 10 credits were deducted");
	check_order(r->body, "Anna Smirnova", var(r, "reply_address"));
	/* a person wrote it: it does not say it is automatic */
	test_check_lacks(r->body, "automatic");
	test_check_lacks(r->body, "Automatic");
	test_check_lacks(r->body, "автоматическ");
	test_check_lacks(r->body, "support@desk.example");
}

static void
check_confirm(const struct render *r)
{
	test_check_contains(r->body, var(r, "category_text"));
	test_check_contains(r->body, var(r, "confirm_address"));
	test_check_contains(r->body, is_ru(r) ? "кредитов: 10" :
	    "10 credits will be deducted");
	test_check_contains(r->body, "37");
	test_check_contains(r->body, "15");
	/* the words to write, each on a line of its own */
	if (is_ru(r)) {
		test_check_contains(r->body, "\n  подтверждаю\n");
		test_check_contains(r->body, "\n  отказываюсь\n");
		/* and the English words work too */
		test_check_contains(r->body, "confirm и decline");
		test_check_contains(r->body, "первой строке");
		test_check_contains(r->body, "закрыт");
	} else {
		test_check_contains(r->body, "\n  confirm\n");
		test_check_contains(r->body, "\n  decline\n");
		test_check_contains(r->body, "first line");
		test_check_contains(r->body, "nothing is\ncharged");
		test_check_contains(r->body, "after you confirm");
	}
}

static void
check_credits(const struct render *r)
{
	test_check_contains(r->body, var(r, "packages"));
	test_check_contains(r->body, "12");
	test_check_contains(r->body, "37");
	test_check_contains(r->body, var(r, "contact_url"));
}

static void
check_category(const struct render *r)
{
	test_check_contains(r->body, var(r, "delta_text"));
	test_check_contains(r->body, var(r, "category_text"));
	test_check_contains(r->body, is_ru(r) ?
	    "категории 1 в категорию 2:" : "from 1 to 2:");
}

static void
check_custom(const struct render *r)
{
	test_check_contains(r->body, var(r, "contact_url"));
	if (r->full)
		test_check_contains(r->body, var(r, "answer"));
	else
		test_check_lacks(r->body, is_ru(r) ? "Комментарий" :
		    "comment");
}

static void
check_split(const struct render *r)
{
	test_check_contains(r->body, "#4300");
	test_check_contains(r->body, "Shipping rates");
	test_check_contains(r->body, "#4321");
	test_check_contains(r->body, var(r, "reply_address"));
}

static void
check_engineer(const struct render *r)
{
	test_check_contains(r->body, "ivan@shop.example");
	test_check_contains(r->body, "37");
}

static void
check_command_error(const struct render *r)
{
	check_order(r->body, var(r, "errors"), var(r, "commands"));
	test_check_contains(r->body, var(r, "staff_reply_address"));
	test_check_contains(r->body, is_ru(r) ? "ничего не отправлено" :
	    "nothing was sent to the customer");
}

static const struct kind kinds[] = {
	{ "announce", announce_vars, announce_optional, check_announce },
	{ "answer", answer_vars, answer_optional, check_answer },
	{ "confirm", confirm_vars, none, check_confirm },
	{ "credits", credits_vars, none, check_credits },
	{ "category", category_vars, none, check_category },
	{ "custom", custom_vars, custom_optional, check_custom },
	{ "split", split_vars, none, check_split },
	{ "confirmed", confirmed_vars, none, check_engineer },
	{ "declined", confirmed_vars, none, check_engineer },
	{ "command-error", command_error_vars, none, check_command_error },
};

static const char *const langs[] = { "en", "ru" };

struct test_case {
	const struct kind *kind;
	const char *lang;
};

/*
 * The file itself (not the en/ fallback) passes the strict check with
 * exactly the variables of its kind: any other is an error.
 */
static void
test_strict(gconstpointer data)
{
	const struct test_case *tc = data;
	char *path = template_path(tc->kind, tc->lang);
	GHashTable *vars = vars_new(tc->kind, true);
	GError *error = NULL;

	g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	g_assert_cmpint(template_check(path, vars, &error), ==, 0);
	g_assert_no_error(error);
	g_clear_error(&error);
	g_hash_table_unref(vars);
	g_free(path);
}

static void
render_check(const struct test_case *tc, bool full)
{
	char *dir = test_srcdir_path("etc/templates");
	struct render r = { 0 };
	GError *error = NULL;
	const char *const *v;
	int rc;

	r.kind = tc->kind;
	r.lang = tc->lang;
	r.full = full;
	r.vars = vars_new(tc->kind, full);
	rc = template_render(dir, tc->lang, tc->kind->name, r.vars,
	    &r.subject, &r.body, &error);
	g_assert_no_error(error);
	g_assert_cmpint(rc, ==, 0);
	g_clear_error(&error);
	if (rc != 0)
		goto out;
	g_test_message("%s/%s subject: %s", tc->lang, tc->kind->name,
	    r.subject);
	g_test_message("body:\n%s", r.body);
	/* threads: "[#4321] " first, and one line */
	g_assert_true(g_str_has_prefix(r.subject, "[#"));
	g_assert_true(g_str_has_prefix(r.subject, "[#4321] "));
	test_check_lacks(r.subject, "\n");
	g_assert_cmpuint(strlen(r.subject), >, strlen("[#4321] "));
	g_assert_true(g_utf8_validate(r.subject, -1, NULL));
	g_assert_true(g_utf8_validate(r.body, -1, NULL));
	test_check_lacks(r.subject, "{{");
	test_check_lacks(r.body, "{{");
	test_check_lacks(r.body, "}}");
	g_assert_false(g_str_has_prefix(r.body, "\n"));
	g_assert_true(g_str_has_suffix(r.body, "\n"));
	g_assert_false(g_str_has_suffix(r.body, "\n\n"));
	/* no directive line left a run of blank lines behind */
	test_check_lacks(r.body, "\n\n\n");
	test_check_lacks(r.body, " \n");
	/* every fact of the kind is shown (flags are only tested) */
	for (v = tc->kind->vars; *v != NULL; v++) {
		const char *value = g_hash_table_lookup(r.vars, *v);

		if (in_list(flag_vars, *v) || *value == '\0')
			continue;
		if (strstr(r.subject, value) == NULL &&
		    strstr(r.body, value) == NULL)
			g_test_fail_printf("%s/%s does not show {{%s}}",
			    tc->lang, tc->kind->name, *v);
	}
	test_check_contains(r.body, "Acme Help Desk");
	tc->kind->check(&r);
out:
	g_free(r.subject);
	g_free(r.body);
	g_hash_table_unref(r.vars);
	g_free(dir);
}

static void
test_render_full(gconstpointer data)
{
	render_check(data, true);
}

static void
test_render_empty(gconstpointer data)
{
	render_check(data, false);
}

/* Every template of etc/templates is installed by Makefile.am. */
static void
test_installed(void)
{
	char *makefile = test_srcdir_path("Makefile.am");
	char *text = NULL;
	size_t l;

	g_assert_true(g_file_get_contents(makefile, &text, NULL, NULL));
	for (l = 0; text != NULL && l < G_N_ELEMENTS(langs); l++) {
		char *rel = g_strdup_printf("etc/templates/%s", langs[l]);
		char *dir = test_srcdir_path(rel);
		GDir *d = g_dir_open(dir, 0, NULL);
		const char *file;

		g_assert_nonnull(d);
		while (d != NULL && (file = g_dir_read_name(d)) != NULL) {
			char *want;

			if (!g_str_has_suffix(file, ".txt"))
				continue;
			want = g_strdup_printf("%s/%s", rel, file);
			if (strstr(text, want) == NULL)
				g_test_fail_printf("Makefile.am does not "
				    "install %s", want);
			g_free(want);
		}
		if (d != NULL)
			g_dir_close(d);
		g_free(dir);
		g_free(rel);
	}
	g_free(text);
	g_free(makefile);
}

int
main(int argc, char **argv)
{
	struct test_case cases[G_N_ELEMENTS(kinds) * G_N_ELEMENTS(langs)];
	size_t k, l, n = 0;
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	for (k = 0; k < G_N_ELEMENTS(kinds); k++)
		for (l = 0; l < G_N_ELEMENTS(langs); l++) {
			struct test_case *tc = &cases[n++];
			char *path;

			tc->kind = &kinds[k];
			tc->lang = langs[l];
			path = g_strdup_printf("/templates-shipped/%s/%s/strict",
			    kinds[k].name, langs[l]);
			g_test_add_data_func(path, tc, test_strict);
			g_free(path);
			path = g_strdup_printf("/templates-shipped/%s/%s/full",
			    kinds[k].name, langs[l]);
			g_test_add_data_func(path, tc, test_render_full);
			g_free(path);
			path = g_strdup_printf("/templates-shipped/%s/%s/empty",
			    kinds[k].name, langs[l]);
			g_test_add_data_func(path, tc, test_render_empty);
			g_free(path);
		}
	g_test_add_func("/templates-shipped/installed", test_installed);
	rc = g_test_run();
	return rc;
}
