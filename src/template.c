/*
 * template.c - the small template language of the notices.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "error.h"
#include "template.h"

static bool
template_is_true(GHashTable *vars, const char *name)
{
	const char *v = g_hash_table_lookup(vars, name);

	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

/*
 * A directive alone on its line takes the line with it: drop the blanks
 * written before it and skip those after it and the newline. END is just
 * past the directive; *NEXT_R is where copying resumes.
 */
static void
template_line_bounds(const char *end, GString *out, const char **next_r)
{
	const char *q = end;
	size_t back = out->len;

	while (back > 0 && (out->str[back - 1] == ' ' ||
	    out->str[back - 1] == '\t'))
		back--;
	while (*q == ' ' || *q == '\t')
		q++;
	if ((back == 0 || out->str[back - 1] == '\n') &&
	    (*q == '\n' || *q == '\0')) {
		g_string_truncate(out, back);
		*next_r = *q == '\n' ? q + 1 : q;
	} else
		*next_r = end;
}

/*
 * template_expand for TEXT that starts on line FIRST_LINE of NAME. STRICT
 * also refuses an {{if}} on a variable VARS does not have (at run time
 * such a condition is only false; deskctl check-config wants to know).
 */
static char *
template_expand_at(const char *text, const char *name, int first_line,
    GHashTable *vars, bool strict, GError **error)
{
	GString *out = g_string_new(NULL);
	const char *p = text;
	int line = first_line;
	enum { TOP, IN_IF, IN_ELSE } state = TOP;
	bool keep = true, cond = false;

	while (*p != '\0') {
		const char *open = strstr(p, "{{"), *close, *next;
		char *word;

		if (open == NULL) {
			if (keep)
				g_string_append(out, p);
			break;
		}
		if (keep)
			g_string_append_len(out, p, open - p);
		for (; p < open; p++)
			line += *p == '\n';
		close = strstr(open, "}}");
		if (close == NULL) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s:%d: \"{{\" without \"}}\"", name, line);
			goto fail;
		}
		word = g_strndup(open + 2, close - open - 2);
		g_strstrip(word);
		next = close + 2;
		if (g_str_has_prefix(word, "if ")) {
			if (state != TOP) {
				g_set_error(error, DESK_ERROR,
				    DESK_ERROR_CONFIG,
				    "%s:%d: nested {{if}}", name, line);
				g_free(word);
				goto fail;
			}
			g_strstrip(word + 3);
			if (strict && !g_hash_table_contains(vars, word + 3)) {
				g_set_error(error, DESK_ERROR,
				    DESK_ERROR_CONFIG,
				    "%s:%d: unknown variable {{if %s}}", name,
				    line, word + 3);
				g_free(word);
				goto fail;
			}
			cond = template_is_true(vars, word + 3);
			keep = cond;
			state = IN_IF;
			template_line_bounds(next, out, &next);
		} else if (strcmp(word, "else") == 0) {
			if (state != IN_IF) {
				g_set_error(error, DESK_ERROR,
				    DESK_ERROR_CONFIG,
				    "%s:%d: {{else}} outside {{if}}", name,
				    line);
				g_free(word);
				goto fail;
			}
			keep = true;	/* to let line_bounds trim */
			template_line_bounds(next, out, &next);
			keep = !cond;
			state = IN_ELSE;
		} else if (strcmp(word, "end") == 0) {
			if (state == TOP) {
				g_set_error(error, DESK_ERROR,
				    DESK_ERROR_CONFIG,
				    "%s:%d: {{end}} outside {{if}}", name,
				    line);
				g_free(word);
				goto fail;
			}
			keep = true;
			template_line_bounds(next, out, &next);
			state = TOP;
		} else {
			const char *value = g_hash_table_lookup(vars, word);

			if (value == NULL) {
				g_set_error(error, DESK_ERROR,
				    DESK_ERROR_CONFIG,
				    "%s:%d: unknown variable {{%s}}", name,
				    line, word);
				g_free(word);
				goto fail;
			}
			if (keep)
				g_string_append(out, value);
		}
		g_free(word);
		for (p = open; p < next; p++)
			line += *p == '\n';
		p = next;
	}
	if (state != TOP) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "%s: {{if}} without {{end}}", name);
		goto fail;
	}
	return g_string_free(out, FALSE);
fail:
	g_string_free(out, TRUE);
	return NULL;
}

/*
 * The template is split into its Subject line and body before anything is
 * expanded, so that no variable (a customer's subject, say) can move the
 * split and write into the body; newlines in the expanded subject become
 * spaces.
 */
char *
template_expand(const char *text, const char *name, GHashTable *vars,
    GError **error)
{
	return template_expand_at(text, name, 1, vars, false, error);
}

/* Render TEXT, the contents of the template file PATH. */
static int
template_render_text(const char *path, const char *text, GHashTable *vars,
    bool strict, char **subject_r, char **body_r, GError **error)
{
	char *head = NULL, *subject = NULL, *body = NULL, *p;
	const char *split;
	int rc = -1;

	if (!g_utf8_validate(text, -1, NULL)) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "%s: not UTF-8", path);
		goto out;
	}
	if (!g_str_has_prefix(text, "Subject:") ||
	    (split = strstr(text, "\n\n")) == NULL ||
	    memchr(text, '\n', split - text) != NULL) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "%s: must start with one \"Subject:\" line and an empty "
		    "line", path);
		goto out;
	}
	head = g_strndup(text + 8, split - text - 8);
	if ((subject = template_expand_at(head, path, 1, vars, strict,
	    error)) == NULL || (body = template_expand_at(split + 2, path, 3,
	    vars, strict, error)) == NULL)
		goto out;
	for (p = subject; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	*subject_r = g_strdup(g_strstrip(subject));
	*body_r = body;
	body = NULL;
	rc = 0;
out:
	g_free(subject);
	g_free(body);
	g_free(head);
	return rc;
}

int
template_render(const char *dir, const char *lang, const char *name,
    GHashTable *vars, char **subject_r, char **body_r, GError **error)
{
	char *file = g_strdup_printf("%s.txt", name);
	char *path = g_build_filename(dir, lang, file, NULL);
	char *text = NULL;
	GError *local = NULL;
	int rc = -1;

	if (!g_file_get_contents(path, &text, NULL, &local)) {
		g_free(path);
		path = g_build_filename(dir, "en", file, NULL);
		g_clear_error(&local);
		if (!g_file_get_contents(path, &text, NULL, &local)) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "notice template: %s", local->message);
			goto out;
		}
	}
	rc = template_render_text(path, text, vars, false, subject_r, body_r,
	    error);
out:
	g_clear_error(&local);
	g_free(text);
	g_free(path);
	g_free(file);
	return rc;
}

int
template_check(const char *path, GHashTable *vars, GError **error)
{
	char *text = NULL, *subject = NULL, *body = NULL;
	GError *local = NULL;
	int rc;

	if (!g_file_get_contents(path, &text, NULL, &local)) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "notice template: %s", local->message);
		g_clear_error(&local);
		return -1;
	}
	rc = template_render_text(path, text, vars, true, &subject, &body,
	    error);
	g_free(subject);
	g_free(body);
	g_free(text);
	return rc;
}
