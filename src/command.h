/*
 * command.h - an engineer's commands in the new text of a reply.
 *
 * Commands are lines of their own at the very top of the new text (the
 * text after quote trimming): leading blank lines are skipped, then each
 * line that begins with '#' and a letter (after optional blanks) is a
 * command line, blank lines between them allowed; the first other line
 * ends the block and starts the rest of the text. A '#' followed by a
 * digit or by anything but a letter ("#123 is the order", "#!/bin/sh",
 * "# heading") is text, and so is a quoted line ("> #close").
 *
 *	#category 1|2|3		#категория N	assess the ticket
 *	#security		#безопасность	a security bug: free
 *	#custom			#доработка	custom development: declined
 *	#note			#заметка	the whole mail is internal
 *	#split SUBJECT		#отделить S	the text is a new ticket
 *	#close			#закрыть	close the ticket
 *	#reopen			#открыть	reopen a closed ticket
 *
 * Keywords ignore case (Unicode case folding); the argument may follow a
 * blank, ':' or '=' ("#category 2", "#category: 2", "#category=2"). The
 * module is pure: no I/O, no configuration, no state of the ticket. What
 * a ticket's state allows is the caller's business.
 */
#ifndef DESK_COMMAND_H
#define DESK_COMMAND_H

#include <stdbool.h>
#include <glib.h>

/* Longest #split subject, in characters; a longer one is cut there. */
#define COMMAND_SUBJECT_MAX	200
/* Longest line quoted back in command.text/command_error.text. */
#define COMMAND_TEXT_MAX	200

enum command_kind {
	COMMAND_CATEGORY,
	COMMAND_SECURITY,
	COMMAND_CUSTOM,
	COMMAND_NOTE,
	COMMAND_SPLIT,
	COMMAND_CLOSE,
	COMMAND_REOPEN,
	COMMAND_KIND_COUNT
};

struct command {
	enum command_kind kind;
	int category;		/* COMMAND_CATEGORY: 1..3, else 0 */
	char *argument;		/* COMMAND_SPLIT: the subject, else NULL */
	int line;		/* 1-based line in the text */
	char *text;		/* the line as written, for notices */
};

struct command_error {
	int line;		/* 1-based line in the text */
	char *text;		/* the line as written */
	char *why;		/* what was wrong and what would work */
};

struct command_list {
	GPtrArray *commands;	/* struct command *, in text order */
	GPtrArray *errors;	/* struct command_error *, by line */
	char *rest;		/* the text after the command lines, leading
				 * blank lines removed; "" when none */
};

/*
 * command_parse - the commands at the top of TEXT (UTF-8; NULL reads as
 * ""). Fills OUT, which need not be initialised; free it with
 * command_list_clear(). A command line that is wrong (unknown keyword,
 * bad or missing argument, not valid UTF-8) gives an error instead of a
 * command and the block goes on. Never fails.
 *
 * Every string in OUT is valid UTF-8 except REST, which is TEXT's own
 * bytes after the block. In ARGUMENT and in the TEXT fields control
 * characters (C0, DEL, C1, line and paragraph separators, bidirectional
 * overrides) are blanks, and blanks at either end are dropped; TEXT is
 * cut at COMMAND_TEXT_MAX characters, with "..." when cut.
 */
void command_parse(const char *text, struct command_list *out);

/*
 * command_check - the errors that depend on the combination, appended to
 * L->errors, which is then sorted by line: two assessments (#category,
 * #security, #custom) in one mail; #note together with any other command;
 * #split together with an assessment; #close together with #reopen; the
 * same command twice (an alias counts as its command). Each error is on
 * the line of the later command and names the earlier line. Call once
 * per parsed list.
 */
void command_check(struct command_list *l);

/* command_list_clear - free what L holds; L may be cleared again. */
void command_list_clear(struct command_list *l);

/*
 * command_list_find - the first command of KIND in L, or NULL.
 * (transfer none)
 */
const struct command *command_list_find(const struct command_list *l,
    enum command_kind kind);

/* command_is_assessment - #category, #security and #custom are. */
bool command_is_assessment(enum command_kind kind);

/* command_name - the English keyword of KIND, "category"... (static) */
const char *command_name(enum command_kind kind);

/* command_alias - the Russian keyword of KIND, "категория"... (static) */
const char *command_alias(enum command_kind kind);

/*
 * command_usage - one line listing every command with its Russian alias,
 * for error notices. (static)
 */
const char *command_usage(void);

#endif
