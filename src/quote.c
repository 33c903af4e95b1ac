/*
 * quote.c - cut quoted history and signatures off a reply.
 *
 * One pass over the lines decides for each whether it is new text,
 * quoted history or a quote header, and where the history begins for
 * good; a second step takes the signature off the end. Interleaved
 * replies (answers between ">" quotes) keep every unquoted paragraph.
 */
#include "config.h"

#include <string.h>

#include "html.h"
#include "quote.h"

#define QUOTE_SIGNATURE_TAIL	12	/* lines a signature may have */
#define QUOTE_HEADER_LINES	3
#define QUOTE_ORIGINAL_LINES	5

static bool
quote_is_quoted(const char *line)
{
	line += strspn(line, " \t");
	return *line == '>';
}

static bool
quote_is_blank(const char *line)
{
	return line[strspn(line, " \t\r")] == '\0';
}

/* A line of only dashes, underscores, equal signs or stars. */
static bool
quote_is_separator(const char *line)
{
	const char *p = line + strspn(line, " \t");
	size_t n = strspn(p, "-_=*");

	if (n < 3)
		return strcmp(p, "\xe2\x80\x94") == 0;	/* an em dash alone */
	return p[n + strspn(p + n, " \t")] == '\0';
}

/*
 * Does a rule labelled LABEL match at line I, with up to MAX_LINES lines
 * joined? Returns how many lines the match spans (0: none).
 */
static int
quote_match_at(struct rules *quotes, const char *label, char **lines,
    int n, int i, int max_lines)
{
	GString *window = g_string_new(NULL);
	guint r;
	int k, spans = 0;

	for (k = 0; k < max_lines && i + k < n; k++) {
		if (k > 0)
			g_string_append_c(window, '\n');
		g_string_append(window, lines[i + k]);
	}
	for (r = 0; r < rules_count(quotes) && spans == 0; r++) {
		const struct rule *rule = rules_get(quotes, r);
		size_t end;

		if (strcmp(rule->label, label) != 0 ||
		    strcmp(rule->field, "text") != 0)
			continue;
		/* anchored: a window that does not begin with it is no match,
		 * and trying every offset made a long text quadratic */
		if (!rules_match_anchored(quotes, rule, window->str,
		    window->len, &end))
			continue;
		/* the lines the match covers */
		spans = 1;
		for (k = 0; k < (int)end && k < (int)window->len; k++)
			if (window->str[k] == '\n' && (size_t)k + 1 < end)
				spans++;
	}
	g_string_free(window, TRUE);
	return spans;
}

static bool
quote_line_matches(struct rules *quotes, const char *label, const char *line)
{
	guint r;

	for (r = 0; r < rules_count(quotes); r++) {
		const struct rule *rule = rules_get(quotes, r);

		if (strcmp(rule->label, label) == 0 &&
		    strcmp(rule->field, "line") == 0 &&
		    rules_match(quotes, rule, line, strlen(line), NULL, NULL))
			return true;
	}
	return false;
}

/* The first non-blank line at or after I, or N. */
static int
quote_next_text(char **lines, int n, int i)
{
	while (i < n && quote_is_blank(lines[i]))
		i++;
	return i;
}

/* Non-blank lines from I to the end of KEPT. */
static int
quote_tail_lines(GPtrArray *kept, guint i)
{
	int count = 0;

	for (; i < kept->len; i++)
		count += !quote_is_blank(g_ptr_array_index(kept, i));
	return count;
}

/* Is there any text in KEPT before index I? */
static bool
quote_text_before(GPtrArray *kept, guint i)
{
	guint k;

	for (k = 0; k < i; k++)
		if (!quote_is_blank(g_ptr_array_index(kept, k)))
			return true;
	return false;
}

/* Take the signature off the end of KEPT. */
static void
quote_cut_signature(struct rules *quotes, GPtrArray *kept)
{
	guint i;
	bool again = true;

	for (i = 0; i < kept->len; i++)
		if (quote_line_matches(quotes, "delimiter",
		    g_ptr_array_index(kept, i)) && quote_text_before(kept, i)) {
			g_ptr_array_set_size(kept, i);
			break;
		}
	/* then signature starts, from the bottom up, while they are short */
	while (again) {
		again = false;
		for (i = kept->len; i-- > 0;) {
			const char *line = g_ptr_array_index(kept, i);

			if (quote_tail_lines(kept, i) > QUOTE_SIGNATURE_TAIL)
				break;
			if (quote_line_matches(quotes, "signature", line) &&
			    quote_text_before(kept, i)) {
				g_ptr_array_set_size(kept, i);
				again = true;
				break;
			}
		}
	}
}

char *
quote_trim(struct rules *quotes, const char *text)
{
	char **lines, *copy = g_strdup(text), *p;
	GPtrArray *kept = g_ptr_array_new();
	GString *out = g_string_new(NULL);
	int n, i;

	/* CRLF and lone CR become LF */
	for (p = copy; *p != '\0'; p++)
		if (*p == '\r')
			*p = p[1] == '\n' ? ' ' : '\n';
	lines = g_strsplit(copy, "\n", -1);
	n = (int)g_strv_length(lines);
	for (i = 0; i < n; i++)
		g_strchomp(lines[i]);

	for (i = 0; i < n; i++) {
		int span, next;

		if (quote_is_quoted(lines[i]))
			continue;
		if (kept->len > 0 && quote_text_before(kept, kept->len) &&
		    quote_match_at(quotes, "original", lines, n, i,
		    QUOTE_ORIGINAL_LINES) > 0)
			break;
		if ((span = quote_match_at(quotes, "header", lines, n, i,
		    QUOTE_HEADER_LINES)) > 0) {
			next = quote_next_text(lines, n, i + span);
			if (next < n && !quote_is_quoted(lines[next]) &&
			    quote_text_before(kept, kept->len))
				break;		/* unquoted history follows */
			i += span - 1;		/* drop the header */
			continue;
		}
		if ((span = quote_match_at(quotes, "header-quoted", lines, n, i,
		    QUOTE_HEADER_LINES)) > 0) {
			next = quote_next_text(lines, n, i + span);
			if (next >= n || quote_is_quoted(lines[next])) {
				i += span - 1;
				continue;
			}
		}
		g_ptr_array_add(kept, lines[i]);
	}
	quote_cut_signature(quotes, kept);
	/* no blank or separator lines at the end */
	while (kept->len > 0 && (quote_is_blank(g_ptr_array_index(kept,
	    kept->len - 1)) || quote_is_separator(g_ptr_array_index(kept,
	    kept->len - 1))))
		g_ptr_array_set_size(kept, kept->len - 1);
	for (i = 0; i < (int)kept->len; i++) {
		const char *line = g_ptr_array_index(kept, i);

		/* runs of blank lines fold into one */
		if (quote_is_blank(line) && i > 0 &&
		    quote_is_blank(g_ptr_array_index(kept, i - 1)))
			continue;
		if (out->len > 0 || !quote_is_blank(line)) {
			if (out->len > 0)
				g_string_append_c(out, '\n');
			g_string_append(out, line);
		}
	}
	/* nothing left (a reply that only quotes): keep it all */
	if (out->len == 0 && text[strspn(text, " \t\r\n")] != '\0') {
		g_string_assign(out, text);
		g_strstrip(out->str);
		out->len = strlen(out->str);
	}
	g_ptr_array_unref(kept);
	g_strfreev(lines);
	g_free(copy);
	return g_string_free(out, FALSE);
}

char *
quote_reply_text(struct rules *quotes, const struct mail *mail)
{
	char *reply, *text;

	if (mail->html == NULL || strcmp(mail->text_type, "text/html") != 0)
		return quote_trim(quotes, mail->text);
	text = html_to_text(mail->html, strlen(mail->html), HTML_DROP_QUOTES);
	reply = quote_trim(quotes, text);
	g_free(text);
	/* dropping the quotes left nothing: show the text as it is */
	if (*reply == '\0') {
		g_free(reply);
		reply = quote_trim(quotes, mail->text);
	}
	return reply;
}
