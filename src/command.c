/*
 * command.c - read an engineer's commands from the top of the new text of
 * a reply (see command.h for the syntax).
 *
 * Callers: the reply path of intake (issue 7) and deskctl's ticket
 * commands, which give the text after quote trimming.
 *
 * The text comes from mail: any bytes, any line length. Lines are walked
 * in place (no fixed buffers); a command line must be valid UTF-8 and is
 * an error otherwise; anything copied out is cut to a bounded length, so
 * a megabyte line costs a scan, not a megabyte notice. The keywords are
 * one table, indexed by kind; the usage line below must list the same
 * words (test-command checks it).
 */
#include "config.h"

#include <string.h>

#include "command.h"

enum command_arg {
	COMMAND_ARG_NONE,	/* no argument allowed */
	COMMAND_ARG_CATEGORY,	/* exactly 1, 2 or 3 */
	COMMAND_ARG_SUBJECT,	/* any text, at least one character */
};

struct command_word {
	const char *name;	/* English, lower case (its own case fold) */
	const char *alias;	/* Russian, lower case (its own case fold) */
	enum command_arg arg;
	const char *form;	/* how it is written, for error messages */
};

static const struct command_word command_words[COMMAND_KIND_COUNT] = {
	[COMMAND_CATEGORY] = { "category", "категория", COMMAND_ARG_CATEGORY,
	    "#category 1|2|3" },
	[COMMAND_SECURITY] = { "security", "безопасность", COMMAND_ARG_NONE,
	    "#security" },
	[COMMAND_CUSTOM] = { "custom", "доработка", COMMAND_ARG_NONE,
	    "#custom" },
	[COMMAND_NOTE] = { "note", "заметка", COMMAND_ARG_NONE, "#note" },
	[COMMAND_SPLIT] = { "split", "отделить", COMMAND_ARG_SUBJECT,
	    "#split SUBJECT" },
	[COMMAND_CLOSE] = { "close", "закрыть", COMMAND_ARG_NONE, "#close" },
	[COMMAND_REOPEN] = { "reopen", "открыть", COMMAND_ARG_NONE,
	    "#reopen" },
};

static const char command_usage_line[] =
    "#category 1|2|3 (#категория), #security (#безопасность), "
    "#custom (#доработка), #note (#заметка), "
    "#split SUBJECT (#отделить), #close (#закрыть), #reopen (#открыть)";

const char *
command_name(enum command_kind kind)
{
	g_assert((unsigned)kind < COMMAND_KIND_COUNT);
	return command_words[kind].name;
}

const char *
command_alias(enum command_kind kind)
{
	g_assert((unsigned)kind < COMMAND_KIND_COUNT);
	return command_words[kind].alias;
}

const char *
command_usage(void)
{
	return command_usage_line;
}

bool
command_is_assessment(enum command_kind kind)
{
	return kind == COMMAND_CATEGORY || kind == COMMAND_SECURITY ||
	    kind == COMMAND_CUSTOM;
}

/*
 * The length of the blank at P (before END), 0 when there is none: ASCII
 * blanks, the no-break space that HTML mail turns &nbsp; into, and a byte
 * order mark.
 */
static size_t
command_blank_len(const char *p, const char *end)
{
	size_t left = (size_t)(end - p);

	if (left == 0)
		return 0;
	if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\v' || *p == '\f')
		return 1;
	if (left >= 2 && memcmp(p, "\xc2\xa0", 2) == 0)
		return 2;
	if (left >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		return 3;
	return 0;
}

static const char *
command_skip_blanks(const char *p, const char *end)
{
	size_t n;

	while ((n = command_blank_len(p, end)) > 0)
		p += n;
	return p;
}

static bool
command_is_blank_line(const char *p, const char *end)
{
	return command_skip_blanks(p, end) == end;
}

/*
 * Is the line P..END a command line: blanks, '#' and a letter? Bytes
 * that are not UTF-8 after the '#' make it text.
 */
static bool
command_is_command_line(const char *p, const char *end)
{
	gunichar c;

	p = command_skip_blanks(p, end);
	if (p == end || *p != '#')
		return false;
	p++;
	if (p == end)
		return false;
	c = g_utf8_get_char_validated(p, end - p);
	if (c == (gunichar)-1 || c == (gunichar)-2)
		return false;
	return g_unichar_isalpha(c);
}

/*
 * Characters that must not reach a header or a notice: C0 and C1 controls,
 * DEL, line and paragraph separators, bidirectional embeddings, overrides
 * and isolates (which can make a subject read as something else), and a
 * stray byte order mark.
 */
static bool
command_is_control(gunichar c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 ||
	    c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

/*
 * The valid UTF-8 P..END with control characters as blanks, blanks at
 * either end dropped, cut after MAX characters (*CUT_R then true).
 * (transfer full)
 */
static char *
command_clean(const char *p, const char *end, size_t max, bool *cut_r)
{
	GString *s = g_string_new(NULL);
	size_t chars = 0;

	*cut_r = false;
	while (p < end) {
		gunichar c = g_utf8_get_char(p);

		p = g_utf8_next_char(p);
		if (command_is_control(c))
			c = ' ';
		if (s->len == 0 && (c == ' ' || c == 0xa0))
			continue;
		if (chars == max) {
			*cut_r = true;
			break;
		}
		g_string_append_unichar(s, c);
		chars++;
	}
	for (;;) {
		if (s->len >= 1 && s->str[s->len - 1] == ' ')
			g_string_truncate(s, s->len - 1);
		else if (s->len >= 2 &&
		    memcmp(s->str + s->len - 2, "\xc2\xa0", 2) == 0)
			g_string_truncate(s, s->len - 2);
		else
			break;
	}
	return g_string_free(s, FALSE);
}

/* The line P..END for a notice: valid UTF-8, cleaned, bounded. */
static char *
command_line_text(const char *p, const char *end)
{
	char *valid = NULL, *text;
	bool cut;

	if (!g_utf8_validate(p, end - p, NULL)) {
		valid = g_utf8_make_valid(p, end - p);
		p = valid;
		end = valid + strlen(valid);
	}
	text = command_clean(p, end, COMMAND_TEXT_MAX, &cut);
	g_free(valid);
	if (cut) {
		char *dots = g_strconcat(text, "...", NULL);

		g_free(text);
		text = dots;
	}
	return text;
}

static void
command_free(gpointer data)
{
	struct command *c = data;

	g_free(c->argument);
	g_free(c->text);
	g_free(c);
}

static void
command_error_free(gpointer data)
{
	struct command_error *e = data;

	g_free(e->text);
	g_free(e->why);
	g_free(e);
}

/* Add an error on LINE, quoting TEXT (transfer full) and saying WHY. */
static void
command_error_add(GPtrArray *errors, int line, char *text, char *why)
{
	struct command_error *e = g_new0(struct command_error, 1);

	e->line = line;
	e->text = text;
	e->why = why;
	g_ptr_array_add(errors, e);
}

/* The kind whose name or alias is the case fold FOLDED, or -1. */
static int
command_lookup(const char *folded)
{
	int k;

	for (k = 0; k < COMMAND_KIND_COUNT; k++)
		if (strcmp(folded, command_words[k].name) == 0 ||
		    strcmp(folded, command_words[k].alias) == 0)
			return k;
	return -1;
}

/*
 * Parse the command line P..END (LINE) into OUT: a command, or an error
 * that says what was wrong and what would work.
 */
static void
command_parse_line(struct command_list *out, const char *p, const char *end,
    int line)
{
	const struct command_word *w;
	const char *hash, *word, *q, *a;
	struct command *c;
	char *folded, *arg, *why = NULL;
	bool cut;
	int kind;

	if (!g_utf8_validate(p, end - p, NULL)) {
		command_error_add(out->errors, line, command_line_text(p, end),
		    g_strdup("The line is not valid UTF-8 text, so it cannot "
		    "be read as a command. Write the command again in plain "
		    "text."));
		return;
	}
	hash = command_skip_blanks(p, end);
	word = q = hash + 1;
	while (q < end && g_unichar_isalpha(g_utf8_get_char(q)))
		q = g_utf8_next_char(q);
	folded = g_utf8_casefold(word, q - word);
	kind = command_lookup(folded);
	g_free(folded);
	if (kind < 0) {
		const char *t = q;
		char *token;

		/* name what was written up to a blank, as in "#re-open" */
		while (t < end && command_blank_len(t, end) == 0 &&
		    *t != ':' && *t != '=')
			t = g_utf8_next_char(t);
		token = command_clean(hash, t, 40, &cut);
		command_error_add(out->errors, line, command_line_text(p, end),
		    g_strdup_printf("%s%s is not a command. The commands "
		    "are: %s.", token, cut ? "..." : "", command_usage_line));
		g_free(token);
		return;
	}
	w = &command_words[kind];
	a = command_skip_blanks(q, end);
	if (a < end && (*a == ':' || *a == '='))
		a++;
	arg = command_clean(a, end, COMMAND_SUBJECT_MAX, &cut);
	switch (w->arg) {
	case COMMAND_ARG_NONE:
		if (*arg != '\0')
			why = g_strdup_printf("#%s takes no argument. Write %s "
			    "on a line of its own.", w->name, w->form);
		break;
	case COMMAND_ARG_CATEGORY:
		if ((arg[0] < '1' || arg[0] > '3') || arg[1] != '\0')
			why = g_strdup("category must be 1, 2 or 3: "
			    "#category 1|2|3");
		break;
	case COMMAND_ARG_SUBJECT:
		if (*arg == '\0')
			why = g_strdup_printf("#%s needs the subject of the new "
			    "ticket on its line: %s.", w->name, w->form);
		break;
	}
	if (why != NULL) {
		command_error_add(out->errors, line, command_line_text(p, end),
		    why);
		g_free(arg);
		return;
	}
	c = g_new0(struct command, 1);
	c->kind = kind;
	c->line = line;
	c->text = command_line_text(p, end);
	if (w->arg == COMMAND_ARG_CATEGORY)
		c->category = arg[0] - '0';
	if (w->arg == COMMAND_ARG_SUBJECT) {
		c->argument = arg;	/* cut at COMMAND_SUBJECT_MAX */
		arg = NULL;
	}
	g_free(arg);
	g_ptr_array_add(out->commands, c);
}

void
command_parse(const char *text, struct command_list *out)
{
	const char *p = text != NULL ? text : "";
	const char *rest = NULL;
	int line = 0;

	out->commands = g_ptr_array_new_with_free_func(command_free);
	out->errors = g_ptr_array_new_with_free_func(command_error_free);
	out->rest = NULL;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		const char *next = nl != NULL ? nl + 1 : p + strlen(p);
		const char *end = nl != NULL ? nl : next;

		line++;
		if (end > p && end[-1] == '\r')
			end--;
		if (!command_is_blank_line(p, end)) {
			if (!command_is_command_line(p, end)) {
				rest = p;
				break;
			}
			command_parse_line(out, p, end, line);
		}
		p = next;
	}
	out->rest = g_strdup(rest != NULL ? rest : "");
}

/* Add a combination error on C's line, saying WHY (transfer full). */
static void
command_conflict(struct command_list *l, const struct command *c, char *why)
{
	command_error_add(l->errors, c->line, g_strdup(c->text), why);
}

static gint
command_error_cmp(gconstpointer a, gconstpointer b)
{
	const struct command_error *x = *(struct command_error *const *)a;
	const struct command_error *y = *(struct command_error *const *)b;

	return (x->line > y->line) - (x->line < y->line);
}

void
command_check(struct command_list *l)
{
	const struct command *first[COMMAND_KIND_COUNT] = { NULL };
	const struct command *assessment = NULL, *other = NULL;
	bool note_told = false, split_told = false, close_told = false;
	guint i;

	for (i = 0; i < l->commands->len; i++) {
		const struct command *c = g_ptr_array_index(l->commands, i);
		const struct command *e;

		if ((e = first[c->kind]) != NULL) {
			command_conflict(l, c, c->kind == COMMAND_CATEGORY ?
			    g_strdup_printf("#category is already on line "
			    "%d: one assessment per mail. Keep the one you "
			    "mean.", e->line) :
			    g_strdup_printf("#%s is already on line %d. "
			    "Write each command once.",
			    command_words[c->kind].name, e->line));
			continue;
		}
		first[c->kind] = c;
		if (command_is_assessment(c->kind)) {
			if (assessment != NULL)
				command_conflict(l, c, g_strdup_printf("Only "
				    "one assessment per mail: #category, "
				    "#security and #custom exclude each "
				    "other, and line %d already assesses. "
				    "Keep the one you mean.",
				    assessment->line));
			else
				assessment = c;
		}
		if (!note_told && c->kind == COMMAND_NOTE && other != NULL) {
			command_conflict(l, c, g_strdup_printf("#note makes "
			    "the whole mail an internal note, so it cannot go "
			    "with the command on line %d. Send the note in a "
			    "mail of its own.", other->line));
			note_told = true;
		} else if (!note_told && c->kind != COMMAND_NOTE &&
		    first[COMMAND_NOTE] != NULL) {
			command_conflict(l, c, g_strdup_printf("#note on "
			    "line %d makes the whole mail an internal note, "
			    "so no other command can go with it. Send the "
			    "note in a mail of its own.",
			    first[COMMAND_NOTE]->line));
			note_told = true;
		}
		if (c->kind != COMMAND_NOTE && other == NULL)
			other = c;
		if (!split_told && c->kind == COMMAND_SPLIT &&
		    assessment != NULL) {
			command_conflict(l, c, g_strdup_printf("#split "
			    "cannot go with the assessment on line %d: the "
			    "split-off question becomes a new ticket. Assess "
			    "it when you answer it.", assessment->line));
			split_told = true;
		} else if (!split_told && command_is_assessment(c->kind) &&
		    first[COMMAND_SPLIT] != NULL) {
			command_conflict(l, c, g_strdup_printf("An "
			    "assessment cannot go with #split on line %d: the "
			    "split-off question becomes a new ticket. Assess "
			    "it when you answer it.",
			    first[COMMAND_SPLIT]->line));
			split_told = true;
		}
		if (!close_told && ((c->kind == COMMAND_CLOSE &&
		    (e = first[COMMAND_REOPEN]) != NULL) ||
		    (c->kind == COMMAND_REOPEN &&
		    (e = first[COMMAND_CLOSE]) != NULL))) {
			command_conflict(l, c, g_strdup_printf("#close and "
			    "#reopen contradict each other (line %d). Write "
			    "only the one you mean.", e->line));
			close_told = true;
		}
	}
	/* stable since GLib 2.32: same-line errors keep their order */
	g_ptr_array_sort(l->errors, command_error_cmp);
}

const struct command *
command_list_find(const struct command_list *l, enum command_kind kind)
{
	guint i;

	for (i = 0; l->commands != NULL && i < l->commands->len; i++) {
		const struct command *c = g_ptr_array_index(l->commands, i);

		if (c->kind == kind)
			return c;
	}
	return NULL;
}

void
command_list_clear(struct command_list *l)
{
	if (l->commands != NULL)
		g_ptr_array_free(l->commands, TRUE);
	if (l->errors != NULL)
		g_ptr_array_free(l->errors, TRUE);
	g_free(l->rest);
	l->commands = NULL;
	l->errors = NULL;
	l->rest = NULL;
}
