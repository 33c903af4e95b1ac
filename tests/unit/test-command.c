/*
 * test-command.c - unit tests of command.c: each command and its Russian
 * alias, the spellings of an argument, each error, the block rule (only
 * the top of the new text, never quoted text, "#123" is text), the
 * combination checks, the rest of the text, CRLF, invalid UTF-8, long
 * lines and empty text.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "command.h"
#include "test-util.h"

/*
 * Name the case TEXT in the log, on one line: controls escaped, UTF-8
 * shown as it is (bytes that are not UTF-8 escaped), cut at 60 characters.
 */
static void
note(const char *text)
{
	static char high[129];
	const char *s = text != NULL ? text : "(null)";
	bool valid = g_utf8_validate(s, -1, NULL);
	size_t len = strlen(s), keep = len;
	char *cut, *esc;
	int i;

	for (i = 0; i < 128; i++)
		high[i] = (char)(0x80 + i);
	if (valid && g_utf8_strlen(s, -1) > 60)
		keep = (size_t)(g_utf8_offset_to_pointer(s, 60) - s);
	else if (!valid && len > 60)
		keep = 60;
	cut = g_strndup(s, keep);
	esc = g_strescape(cut, valid ? high : NULL);
	g_test_message("%s%s", esc, keep < len ? "..." : "");
	g_free(esc);
	g_free(cut);
}

/* TEXT must give exactly one command, of KIND, on LINE, and no error. */
static const struct command *
expect_one(struct command_list *l, const char *text, enum command_kind kind,
    int line)
{
	const struct command *c;

	note(text);
	command_parse(text, l);
	g_assert_cmpuint(l->errors->len, ==, 0);
	g_assert_cmpuint(l->commands->len, ==, 1);
	if (l->commands->len != 1)
		return NULL;
	c = g_ptr_array_index(l->commands, 0);
	g_assert_cmpint(c->kind, ==, kind);
	g_assert_cmpint(c->line, ==, line);
	return c;
}

/* TEXT must give no command and exactly one error on LINE, saying WHY. */
static const struct command_error *
expect_error(struct command_list *l, const char *text, int line,
    const char *why)
{
	const struct command_error *e;

	note(text);
	command_parse(text, l);
	g_assert_cmpuint(l->commands->len, ==, 0);
	g_assert_cmpuint(l->errors->len, ==, 1);
	if (l->errors->len != 1)
		return NULL;
	e = g_ptr_array_index(l->errors, 0);
	g_assert_cmpint(e->line, ==, line);
	test_check_contains(e->why, why);
	g_assert_true(g_utf8_validate(e->text, -1, NULL));
	g_assert_true(g_utf8_validate(e->why, -1, NULL));
	return e;
}

/* TEXT must give neither commands nor errors, and REST. */
static void
expect_text(const char *text, const char *rest)
{
	struct command_list l;

	note(text);
	command_parse(text, &l);
	g_assert_cmpuint(l.commands->len, ==, 0);
	g_assert_cmpuint(l.errors->len, ==, 0);
	g_assert_cmpstr(l.rest, ==, rest);
	command_list_clear(&l);
}

/* The commands of TEXT, checked; ERRORS errors in all. */
static void
parse_checked(struct command_list *l, const char *text, guint commands,
    guint errors)
{
	note(text);
	command_parse(text, l);
	command_check(l);
	g_assert_cmpuint(l->commands->len, ==, commands);
	g_assert_cmpuint(l->errors->len, ==, errors);
}

static const struct command_error *
error_at(const struct command_list *l, guint i)
{
	g_assert_cmpuint(i, <, l->errors->len);
	return i < l->errors->len ? g_ptr_array_index(l->errors, i) : NULL;
}

static void
test_empty(void)
{
	expect_text("", "");
	expect_text(NULL, "");
}

static void
test_blank_only(void)
{
	expect_text("\n", "");
	expect_text("\n  \n\t\n\r\n", "");
	expect_text("   ", "");
}

static void
test_no_commands(void)
{
	expect_text("Hello,\nthe cart works again.\n",
	    "Hello,\nthe cart works again.\n");
	expect_text("\n\nHello\n", "Hello\n");
}

static void
test_category_values(void)
{
	static const char *const texts[] = {
		"#category 1", "#category 2", "#category 3",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(texts); i++) {
		struct command_list l;
		const struct command *c = expect_one(&l, texts[i],
		    COMMAND_CATEGORY, 1);

		if (c != NULL) {
			g_assert_cmpint(c->category, ==, (int)i + 1);
			g_assert_null(c->argument);
		}
		command_list_clear(&l);
	}
}

static void
test_category_spellings(void)
{
	static const char *const texts[] = {
		"#category 2", "#category: 2", "#category=2", "#Category 2",
		"#CATEGORY 2", "#category : 2", "#category = 2",
		"   #category   2   ", "\t#category\t2", "#category2",
		"#category:2",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(texts); i++) {
		struct command_list l;
		const struct command *c = expect_one(&l, texts[i],
		    COMMAND_CATEGORY, 1);

		if (c != NULL)
			g_assert_cmpint(c->category, ==, 2);
		command_list_clear(&l);
	}
}

static void
test_category_russian(void)
{
	static const struct { const char *text; int category; } cases[] = {
		{ "#категория 3", 3 },
		{ "#КАТЕГОРИЯ 1", 1 },
		{ "#Категория: 2", 2 },
		{ "#кАтЕгОрИя=3", 3 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct command_list l;
		const struct command *c = expect_one(&l, cases[i].text,
		    COMMAND_CATEGORY, 1);

		if (c != NULL)
			g_assert_cmpint(c->category, ==, cases[i].category);
		command_list_clear(&l);
	}
}

static void
test_category_bad(void)
{
	static const char *const texts[] = {
		"#category 4", "#category", "#category two", "#category 0",
		"#category 2 3", "#category 1.5", "#category -1",
		"#category 02", "#category:", "#категория", "#категория два",
		"#category 2.",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(texts); i++) {
		struct command_list l;

		expect_error(&l, texts[i], 1,
		    "category must be 1, 2 or 3: #category 1|2|3");
		command_list_clear(&l);
	}
}

/* The commands without an argument, by each of their two names. */
struct plain_case {
	const char *text;
	enum command_kind kind;
};

static void
expect_plain(const struct plain_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct command_list l;
		const struct command *c = expect_one(&l, cases[i].text,
		    cases[i].kind, 1);

		if (c != NULL) {
			g_assert_cmpint(c->category, ==, 0);
			g_assert_null(c->argument);
		}
		command_list_clear(&l);
	}
}

static void
test_security(void)
{
	static const struct plain_case cases[] = {
		{ "#security", COMMAND_SECURITY },
		{ "#Security", COMMAND_SECURITY },
		{ "#безопасность", COMMAND_SECURITY },
		{ "#БЕЗОПАСНОСТЬ", COMMAND_SECURITY },
		{ "#security:", COMMAND_SECURITY },
	};

	expect_plain(cases, G_N_ELEMENTS(cases));
}

static void
test_custom(void)
{
	static const struct plain_case cases[] = {
		{ "#custom", COMMAND_CUSTOM },
		{ "#CUSTOM  ", COMMAND_CUSTOM },
		{ "#доработка", COMMAND_CUSTOM },
		{ "#Доработка", COMMAND_CUSTOM },
	};

	expect_plain(cases, G_N_ELEMENTS(cases));
}

static void
test_note(void)
{
	static const struct plain_case cases[] = {
		{ "#note", COMMAND_NOTE },
		{ "#Note", COMMAND_NOTE },
		{ "#заметка", COMMAND_NOTE },
		{ "#ЗАМЕТКА", COMMAND_NOTE },
	};

	expect_plain(cases, G_N_ELEMENTS(cases));
}

static void
test_close(void)
{
	static const struct plain_case cases[] = {
		{ "#close", COMMAND_CLOSE },
		{ "#CLOSE", COMMAND_CLOSE },
		{ "#закрыть", COMMAND_CLOSE },
		{ "#Закрыть", COMMAND_CLOSE },
		{ " #close", COMMAND_CLOSE },
	};

	expect_plain(cases, G_N_ELEMENTS(cases));
}

static void
test_reopen(void)
{
	static const struct plain_case cases[] = {
		{ "#reopen", COMMAND_REOPEN },
		{ "#ReOpen", COMMAND_REOPEN },
		{ "#открыть", COMMAND_REOPEN },
		{ "#ОТКРЫТЬ", COMMAND_REOPEN },
	};

	expect_plain(cases, G_N_ELEMENTS(cases));
}

static void
test_split(void)
{
	static const struct { const char *text, *subject; } cases[] = {
		{ "#split Checkout fails", "Checkout fails" },
		{ "#split: Checkout fails  ", "Checkout fails" },
		{ "#split=Checkout", "Checkout" },
		{ "#Split   Two  blanks inside", "Two  blanks inside" },
		{ "#отделить Ошибка оплаты", "Ошибка оплаты" },
		{ "#ОТДЕЛИТЬ: Ошибка", "Ошибка" },
		{ "#split #2 of the list: x=1", "#2 of the list: x=1" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct command_list l;
		const struct command *c = expect_one(&l, cases[i].text,
		    COMMAND_SPLIT, 1);

		if (c != NULL)
			g_assert_cmpstr(c->argument, ==, cases[i].subject);
		command_list_clear(&l);
	}
}

static void
test_split_no_subject(void)
{
	static const char *const texts[] = {
		"#split", "#split   ", "#split:", "#split = ", "#отделить",
		"#split \x01\x02",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(texts); i++) {
		struct command_list l;

		expect_error(&l, texts[i], 1, "#split SUBJECT");
		command_list_clear(&l);
	}
}

static void
test_split_long(void)
{
	GString *t = g_string_new("#split ");
	struct command_list l;
	const struct command *c;
	int i;

	for (i = 0; i < 300; i++)
		g_string_append(t, "ж");
	c = expect_one(&l, t->str, COMMAND_SPLIT, 1);
	if (c != NULL) {
		g_assert_true(g_utf8_validate(c->argument, -1, NULL));
		g_assert_cmpint(g_utf8_strlen(c->argument, -1), ==,
		    COMMAND_SUBJECT_MAX);
	}
	command_list_clear(&l);

	/* cut at 200, and blanks that end up at the cut are dropped */
	g_string_assign(t, "#split ");
	for (i = 0; i < 199; i++)
		g_string_append_c(t, 'a');
	g_string_append(t, "  tail");
	c = expect_one(&l, t->str, COMMAND_SPLIT, 1);
	if (c != NULL)
		g_assert_cmpuint(strlen(c->argument), ==, 199);
	command_list_clear(&l);
	g_string_free(t, TRUE);
}

static void
test_split_control(void)
{
	static const struct { const char *text, *subject; } cases[] = {
		{ "#split a\x01" "b\x1b[31mc", "a b [31mc" },
		{ "#split tab\there", "tab here" },
		{ "#split c1\xc2\x85next", "c1 next" },
		{ "#split del\x7f", "del" },
		{ "#split bidi\xe2\x80\xae" "evil", "bidi evil" },
		{ "#split line\xe2\x80\xa8sep", "line sep" },
		{ "#split\xc2\xa0no-break\xc2\xa0", "no-break" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct command_list l;
		const struct command *c = expect_one(&l, cases[i].text,
		    COMMAND_SPLIT, 1);

		if (c != NULL)
			g_assert_cmpstr(c->argument, ==, cases[i].subject);
		command_list_clear(&l);
	}
}

static void
test_no_argument(void)
{
	static const struct { const char *text, *why; } cases[] = {
		{ "#close now", "#close takes no argument" },
		{ "#close.", "#close takes no argument" },
		{ "#security 2", "#security takes no argument" },
		{ "#custom yes", "#custom takes no argument" },
		{ "#note: internal", "#note takes no argument" },
		{ "#reopen please", "#reopen takes no argument" },
		{ "#закрыть сейчас", "#close takes no argument" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct command_list l;
		const struct command_error *e = expect_error(&l,
		    cases[i].text, 1, cases[i].why);

		if (e != NULL)
			test_check_contains(e->why, "line of its own");
		command_list_clear(&l);
	}
}

static void
test_unknown(void)
{
	static const struct { const char *text, *name; } cases[] = {
		{ "#foo", "#foo is not a command" },
		{ "#closed", "#closed is not a command" },
		{ "#re-open", "#re-open is not a command" },
		{ "#urgent please", "#urgent is not a command" },
		{ "#категории 2", "#категории is not a command" },
		{ "#cat: 2", "#cat is not a command" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct command_list l;
		const struct command_error *e = expect_error(&l,
		    cases[i].text, 1, cases[i].name);

		/* it says what would work */
		if (e != NULL)
			test_check_contains(e->why, command_usage());
		command_list_clear(&l);
	}
}

static void
test_error_goes_on(void)
{
	struct command_list l;

	command_parse("#foo\n#category 9\n#close\nThanks", &l);
	g_assert_cmpuint(l.errors->len, ==, 2);
	g_assert_cmpuint(l.commands->len, ==, 1);
	g_assert_cmpint(error_at(&l, 0)->line, ==, 1);
	g_assert_cmpint(error_at(&l, 1)->line, ==, 2);
	g_assert_nonnull(command_list_find(&l, COMMAND_CLOSE));
	g_assert_cmpstr(l.rest, ==, "Thanks");
	command_list_clear(&l);
}

static void
test_error_text(void)
{
	struct command_list l;
	const struct command_error *e;

	e = expect_error(&l, "\n  #category four  \r\nText", 2, "category");
	if (e != NULL)
		g_assert_cmpstr(e->text, ==, "#category four");
	command_list_clear(&l);
}

static void
test_block_after_text(void)
{
	expect_text("Hello\n#close\n", "Hello\n#close\n");
	expect_text("Fixed.\n\n#category 1\n", "Fixed.\n\n#category 1\n");
}

static void
test_block_ends(void)
{
	struct command_list l;

	command_parse("#close\nThanks\n#reopen\n#foo\n", &l);
	g_assert_cmpuint(l.commands->len, ==, 1);
	g_assert_cmpuint(l.errors->len, ==, 0);
	g_assert_null(command_list_find(&l, COMMAND_REOPEN));
	g_assert_cmpstr(l.rest, ==, "Thanks\n#reopen\n#foo\n");
	command_list_clear(&l);
}

static void
test_block_quoted(void)
{
	struct command_list l;

	expect_text("> #close\n", "> #close\n");
	expect_text(">#close\n", ">#close\n");
	expect_one(&l, "#category 1\n> #close\n", COMMAND_CATEGORY, 1);
	g_assert_cmpstr(l.rest, ==, "> #close\n");
	command_list_clear(&l);
}

static void
test_block_number(void)
{
	expect_text("#123 is the order number\n#close\n",
	    "#123 is the order number\n#close\n");
	expect_text("#1", "#1");
}

static void
test_block_not_letter(void)
{
	expect_text("#!/bin/sh\necho hi\n", "#!/bin/sh\necho hi\n");
	expect_text("# close\n", "# close\n");
	expect_text("#\n#close\n", "#\n#close\n");
	expect_text("##close\n", "##close\n");
	expect_text("#-close\n", "#-close\n");
}

static void
test_block_blank_lines(void)
{
	struct command_list l;
	const struct command *c;

	command_parse("\n\n  \n#category 1\n\n\t\n#close\n\nDear Bob,\n", &l);
	g_assert_cmpuint(l.errors->len, ==, 0);
	g_assert_cmpuint(l.commands->len, ==, 2);
	c = command_list_find(&l, COMMAND_CATEGORY);
	g_assert_true(c != NULL && c->line == 4);
	c = command_list_find(&l, COMMAND_CLOSE);
	g_assert_true(c != NULL && c->line == 7);
	if (c != NULL)
		g_assert_cmpstr(c->text, ==, "#close");
	g_assert_cmpstr(l.rest, ==, "Dear Bob,\n");
	command_list_clear(&l);
}

static void
test_rest(void)
{
	struct command_list l;

	command_parse("#close\n\n\nDear Bob,\n\n  fixed.\n", &l);
	g_assert_cmpstr(l.rest, ==, "Dear Bob,\n\n  fixed.\n");
	command_list_clear(&l);
	command_parse("#close\n  indented\n", &l);
	g_assert_cmpstr(l.rest, ==, "  indented\n");
	command_list_clear(&l);
	command_parse("#close\n", &l);
	g_assert_cmpstr(l.rest, ==, "");
	command_list_clear(&l);
	command_parse("#close\n\n \n", &l);
	g_assert_cmpstr(l.rest, ==, "");
	command_list_clear(&l);
	command_parse("#split Other question\nHow do I add a tax?", &l);
	g_assert_cmpstr(l.rest, ==, "How do I add a tax?");
	command_list_clear(&l);
}

static void
test_crlf(void)
{
	struct command_list l;
	const struct command *c;

	command_parse("\r\n#category 2\r\n#split Tax\r\n\r\nText\r\n", &l);
	g_assert_cmpuint(l.errors->len, ==, 0);
	g_assert_cmpuint(l.commands->len, ==, 2);
	c = command_list_find(&l, COMMAND_CATEGORY);
	g_assert_true(c != NULL && c->category == 2 && c->line == 2);
	c = command_list_find(&l, COMMAND_SPLIT);
	if (c != NULL) {
		g_assert_cmpstr(c->argument, ==, "Tax");
		g_assert_cmpstr(c->text, ==, "#split Tax");
	}
	g_assert_cmpstr(l.rest, ==, "Text\r\n");
	command_list_clear(&l);
	expect_one(&l, "#close\r\n", COMMAND_CLOSE, 1);
	command_list_clear(&l);
	expect_one(&l, "#close\r", COMMAND_CLOSE, 1);
	command_list_clear(&l);
}

static void
test_invalid_utf8_keyword(void)
{
	struct command_list l;
	const struct command_error *e;

	/* not a letter after '#': text */
	expect_text("#\xff\xfe\n#close\n", "#\xff\xfe\n#close\n");
	expect_text("#\xd0\n", "#\xd0\n");
	/* a letter, then bytes that are not UTF-8: an error */
	e = expect_error(&l, "#cl\xffose\n", 1, "not valid UTF-8");
	if (e != NULL)
		test_check_contains(e->text, "#cl");
	command_list_clear(&l);
	expect_error(&l, "#\xd0\xb7\xd0\n", 1, "not valid UTF-8");
	command_list_clear(&l);
}

static void
test_invalid_utf8_argument(void)
{
	struct command_list l;

	expect_error(&l, "#split Ca\xc3\x28rt\nText", 1, "not valid UTF-8");
	g_assert_cmpstr(l.rest, ==, "Text");
	command_list_clear(&l);
	expect_error(&l, "#split \xe2\x82", 1, "not valid UTF-8");
	command_list_clear(&l);
	expect_error(&l, "#category \xc0\xb2", 1, "not valid UTF-8");
	command_list_clear(&l);
	/* overlong and surrogate encodings are not UTF-8 either */
	expect_error(&l, "#close \xed\xa0\x80", 1, "not valid UTF-8");
	command_list_clear(&l);
}

static void
test_invalid_utf8_rest(void)
{
	struct command_list l;

	expect_one(&l, "#close\n\xff\xfe text\n", COMMAND_CLOSE, 1);
	g_assert_cmpstr(l.rest, ==, "\xff\xfe text\n");
	command_list_clear(&l);
}

static void
test_long_line(void)
{
	GString *t = g_string_new("#foo");
	struct command_list l;
	const struct command_error *e;

	while (t->len < 1024 * 1024)
		g_string_append(t, "o");
	g_string_append(t, "\nText");
	e = expect_error(&l, t->str, 1, "is not a command");
	if (e != NULL) {
		g_assert_cmpint(g_utf8_strlen(e->text, -1), ==,
		    COMMAND_TEXT_MAX + 3);
		g_assert_true(g_str_has_suffix(e->text, "..."));
		g_assert_cmpuint(strlen(e->why), <, 1024);
	}
	g_assert_cmpstr(l.rest, ==, "Text");
	command_list_clear(&l);
	g_string_free(t, TRUE);
}

static void
test_many_lines(void)
{
	GString *t = g_string_new(NULL);
	struct command_list l;
	int i;

	for (i = 0; i < 10000; i++)
		g_string_append(t, "#close\n");
	parse_checked(&l, t->str, 10000, 9999);
	command_list_clear(&l);
	g_string_free(t, TRUE);
}

static void
test_check_ok(void)
{
	static const struct { const char *text; guint commands; } cases[] = {
		{ "#category 2\n#close", 2 }, { "#security\n#close", 2 },
		{ "#reopen\n#category 1", 2 }, { "#custom", 1 },
		{ "#note", 1 }, { "#split Tax\n#close", 2 },
		{ "#split Tax\n#reopen", 2 }, { "#close", 1 },
		{ "#категория 3\n#закрыть", 2 }, { "", 0 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct command_list l;

		parse_checked(&l, cases[i].text, cases[i].commands, 0);
		command_list_clear(&l);
	}
}

static void
test_check_assessments(void)
{
	static const char *const texts[] = {
		"#category 1\n#security", "#custom\n#category 2",
		"#security\n\n#доработка", "#category 3\n#close\n#custom",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(texts); i++) {
		struct command_list l;
		const struct command_error *e;

		note(texts[i]);
		command_parse(texts[i], &l);
		command_check(&l);
		g_assert_cmpuint(l.errors->len, ==, 1);
		e = error_at(&l, 0);
		if (e != NULL) {
			test_check_contains(e->why, "one assessment");
			test_check_contains(e->why, "line 1");
			g_assert_cmpint(e->line, >, 1);
		}
		command_list_clear(&l);
	}
}

static void
test_check_note(void)
{
	static const struct { const char *text; int line; } cases[] = {
		{ "#note\n#close", 2 },
		{ "#close\n#note", 2 },
		{ "#заметка\n#category 1", 2 },
		{ "#category 1\n#split x\n#note", 3 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct command_list l;
		const struct command_error *e;
		guint j, notes = 0;

		note(cases[i].text);
		command_parse(cases[i].text, &l);
		command_check(&l);
		for (j = 0; j < l.errors->len; j++) {
			e = error_at(&l, j);
			if (strstr(e->why, "#note") == NULL ||
			    strstr(e->why, "internal") == NULL)
				continue;
			notes++;
			g_assert_cmpint(e->line, ==, cases[i].line);
		}
		g_assert_cmpuint(notes, ==, 1);	/* told once */
		command_list_clear(&l);
	}
}

static void
test_check_split(void)
{
	static const char *const texts[] = {
		"#split Tax\n#category 1", "#category 1\n#split Tax",
		"#security\n#отделить Налог",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(texts); i++) {
		struct command_list l;
		const struct command_error *e;

		parse_checked(&l, texts[i], 2, 1);
		e = error_at(&l, 0);
		if (e != NULL) {
			test_check_contains(e->why, "#split");
			test_check_contains(e->why, "line 1");
			g_assert_cmpint(e->line, ==, 2);
		}
		command_list_clear(&l);
	}
}

static void
test_check_duplicate(void)
{
	static const struct { const char *text, *why; } cases[] = {
		{ "#close\n#close", "#close is already on line 1" },
		{ "#close\n#закрыть", "#close is already on line 1" },
		{ "#category 1\n#category 1",
		  "#category is already on line 1" },
		{ "#category 1\n#category 3",
		  "#category is already on line 1" },
		{ "#note\n#note", "#note is already on line 1" },
		{ "#split a\n#split b", "#split is already on line 1" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct command_list l;
		const struct command_error *e;

		/* one error each: not also "two assessments" */
		parse_checked(&l, cases[i].text, 2, 1);
		e = error_at(&l, 0);
		if (e != NULL) {
			test_check_contains(e->why, cases[i].why);
			g_assert_cmpint(e->line, ==, 2);
		}
		command_list_clear(&l);
	}
}

static void
test_check_close_reopen(void)
{
	struct command_list l;
	const struct command_error *e;

	parse_checked(&l, "#reopen\n#close", 2, 1);
	e = error_at(&l, 0);
	if (e != NULL) {
		test_check_contains(e->why, "contradict");
		g_assert_cmpint(e->line, ==, 2);
		g_assert_cmpstr(e->text, ==, "#close");
	}
	command_list_clear(&l);
}

static void
test_check_sorted(void)
{
	struct command_list l;
	guint i;

	/* a parse error on line 3, combination errors on lines 2 and 5 */
	parse_checked(&l, "#category 1\n#security\n#foo\n#close\n#close",
	    4, 3);
	for (i = 0; i + 1 < l.errors->len; i++)
		g_assert_cmpint(error_at(&l, i)->line, <=,
		    error_at(&l, i + 1)->line);
	g_assert_cmpint(error_at(&l, 0)->line, ==, 2);
	g_assert_cmpint(error_at(&l, 1)->line, ==, 3);
	g_assert_cmpint(error_at(&l, 2)->line, ==, 5);
	command_list_clear(&l);
}

static void
test_names(void)
{
	static const char *const want[][2] = {
		[COMMAND_CATEGORY] = { "category", "категория" },
		[COMMAND_SECURITY] = { "security", "безопасность" },
		[COMMAND_CUSTOM] = { "custom", "доработка" },
		[COMMAND_NOTE] = { "note", "заметка" },
		[COMMAND_SPLIT] = { "split", "отделить" },
		[COMMAND_CLOSE] = { "close", "закрыть" },
		[COMMAND_REOPEN] = { "reopen", "открыть" },
	};
	int k;

	G_STATIC_ASSERT(G_N_ELEMENTS(want) == COMMAND_KIND_COUNT);
	for (k = 0; k < COMMAND_KIND_COUNT; k++) {
		char *f;

		g_assert_cmpstr(command_name(k), ==, want[k][0]);
		g_assert_cmpstr(command_alias(k), ==, want[k][1]);
		/* the table compares case folds with itself */
		f = g_utf8_casefold(command_alias(k), -1);
		g_assert_cmpstr(f, ==, command_alias(k));
		g_free(f);
	}
	g_assert_true(command_is_assessment(COMMAND_CATEGORY));
	g_assert_true(command_is_assessment(COMMAND_SECURITY));
	g_assert_true(command_is_assessment(COMMAND_CUSTOM));
	g_assert_false(command_is_assessment(COMMAND_NOTE));
	g_assert_false(command_is_assessment(COMMAND_SPLIT));
	g_assert_false(command_is_assessment(COMMAND_CLOSE));
	g_assert_false(command_is_assessment(COMMAND_REOPEN));
}

static void
test_usage(void)
{
	const char *u = command_usage();
	int k;

	g_assert_null(strchr(u, '\n'));
	g_assert_true(g_utf8_validate(u, -1, NULL));
	for (k = 0; k < COMMAND_KIND_COUNT; k++) {
		char *name = g_strconcat("#", command_name(k), NULL);
		char *alias = g_strconcat("#", command_alias(k), NULL);

		test_check_contains(u, name);
		test_check_contains(u, alias);
		g_free(name);
		g_free(alias);
	}
	test_check_contains(u, "#category 1|2|3");
	test_check_contains(u, "#split SUBJECT");
}

static void
test_clear(void)
{
	struct command_list l;

	command_parse("#close\nText", &l);
	command_list_clear(&l);
	g_assert_null(l.commands);
	g_assert_null(l.errors);
	g_assert_null(l.rest);
	command_list_clear(&l);
	g_assert_null(command_list_find(&l, COMMAND_CLOSE));
}

static void
test_find(void)
{
	struct command_list l;
	const struct command *c;

	command_parse("#close\n#category 3\n#close", &l);
	c = command_list_find(&l, COMMAND_CLOSE);
	g_assert_true(c != NULL && c->line == 1);
	c = command_list_find(&l, COMMAND_CATEGORY);
	g_assert_true(c != NULL && c->category == 3);
	g_assert_null(command_list_find(&l, COMMAND_NOTE));
	command_list_clear(&l);
}

static void
test_blank_kinds(void)
{
	struct command_list l;

	/* a no-break space and a byte order mark are blanks too */
	expect_one(&l, "\xef\xbb\xbf#close", COMMAND_CLOSE, 1);
	command_list_clear(&l);
	expect_one(&l, "\xc2\xa0\n\xc2\xa0#close\xc2\xa0\nText", COMMAND_CLOSE,
	    2);
	g_assert_cmpstr(l.rest, ==, "Text");
	command_list_clear(&l);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/command/text/empty", test_empty);
	g_test_add_func("/command/text/blank-only", test_blank_only);
	g_test_add_func("/command/text/no-commands", test_no_commands);
	g_test_add_func("/command/category/values", test_category_values);
	g_test_add_func("/command/category/spellings",
	    test_category_spellings);
	g_test_add_func("/command/category/russian", test_category_russian);
	g_test_add_func("/command/category/bad", test_category_bad);
	g_test_add_func("/command/security", test_security);
	g_test_add_func("/command/custom", test_custom);
	g_test_add_func("/command/note", test_note);
	g_test_add_func("/command/close", test_close);
	g_test_add_func("/command/reopen", test_reopen);
	g_test_add_func("/command/split/subject", test_split);
	g_test_add_func("/command/split/no-subject", test_split_no_subject);
	g_test_add_func("/command/split/long", test_split_long);
	g_test_add_func("/command/split/control", test_split_control);
	g_test_add_func("/command/error/no-argument", test_no_argument);
	g_test_add_func("/command/error/unknown", test_unknown);
	g_test_add_func("/command/error/goes-on", test_error_goes_on);
	g_test_add_func("/command/error/text", test_error_text);
	g_test_add_func("/command/block/after-text", test_block_after_text);
	g_test_add_func("/command/block/ends", test_block_ends);
	g_test_add_func("/command/block/quoted", test_block_quoted);
	g_test_add_func("/command/block/number", test_block_number);
	g_test_add_func("/command/block/not-letter", test_block_not_letter);
	g_test_add_func("/command/block/blank-lines", test_block_blank_lines);
	g_test_add_func("/command/block/blank-kinds", test_blank_kinds);
	g_test_add_func("/command/rest", test_rest);
	g_test_add_func("/command/crlf", test_crlf);
	g_test_add_func("/command/utf8/keyword", test_invalid_utf8_keyword);
	g_test_add_func("/command/utf8/argument", test_invalid_utf8_argument);
	g_test_add_func("/command/utf8/rest", test_invalid_utf8_rest);
	g_test_add_func("/command/limits/long-line", test_long_line);
	g_test_add_func("/command/limits/many-lines", test_many_lines);
	g_test_add_func("/command/check/allowed", test_check_ok);
	g_test_add_func("/command/check/assessments", test_check_assessments);
	g_test_add_func("/command/check/note", test_check_note);
	g_test_add_func("/command/check/split", test_check_split);
	g_test_add_func("/command/check/duplicate", test_check_duplicate);
	g_test_add_func("/command/check/close-reopen",
	    test_check_close_reopen);
	g_test_add_func("/command/check/sorted", test_check_sorted);
	g_test_add_func("/command/names", test_names);
	g_test_add_func("/command/usage", test_usage);
	g_test_add_func("/command/list/clear", test_clear);
	g_test_add_func("/command/list/find", test_find);
	return g_test_run();
}
