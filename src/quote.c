/*
 * quote.c - cut quoted history and signatures off a reply.
 *
 * Callers: deskgate and deskctl inspect (quote_reply_text), intake.c
 * (quote_rule_is_known, when it loads filters/quotes.rules), the tests.
 *
 * The text is normalised once into one buffer (CR LF and a lone CR become
 * LF) and described by an array of lines that point into it; no line is
 * copied. One pass over the lines decides for each whether it is new
 * text, quoted history (">"), a quote header, the start of the history
 * for good, or the start of a forwarded mail; a second step takes the
 * signature and the sender's sign-off off the end of the new text.
 *
 * A quote header is recognised by its shape, with the rules of
 * filters/quotes.rules as evidence (doc/ARCHITECTURE.md, "Trimming"):
 *   - an attribution: a line, or two or three lines a client folded,
 *     that ends in a colon and holds a date or time token. With an
 *     address and the word a client writes ("wrote", "schrieb") as well,
 *     the history follows whether it is quoted or not; with one of them,
 *     only when ">" lines follow; with the date alone, only when a ">"
 *     line follows at once (Thunderbird, Apple Mail);
 *   - a header block: 2 to 8 "Label: value" lines where one value holds a
 *     date and either the first value an address, or the labels are the
 *     ones clients use (From, Von, De, Od, 差出人...);
 *   - a separator line ("-----Original Message-----", a line of "_", a
 *     Zoho "---- On ... wrote ----") before a header block, or holding a
 *     date and an address, or the words of an "Original Message" line.
 * A forward marker ("---------- Forwarded message ---------", "Begin
 * forwarded message:"), or a header block in a mail whose subject says it
 * is a forward, starts a forwarded mail: it is the customer's text too.
 *
 * Invariants: every line is looked at a bounded number of times and every
 * pattern runs on at most QUOTE_WINDOW_MAX bytes, so time and memory are
 * linear in the text; nothing before the first new text is cut; when
 * nothing is left, the whole text is the reply.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "html.h"
#include "quote.h"

#define QUOTE_SIGNATURE_TAIL	12	/* non-blank lines of a signature */
#define QUOTE_LINE_MAX		400	/* longer lines are never headers */
#define QUOTE_FOLD_MAX		3	/* lines of a folded attribution */
#define QUOTE_BLOCK_MAX		8	/* lines of a header block */
#define QUOTE_TEXT_LINES	5	/* lines a "text" rule sees */
#define QUOTE_WINDOW_MAX	4096	/* bytes a "text" rule sees */
#define QUOTE_LABEL_MAX		40	/* bytes of a header-block label */
#define QUOTE_MARKER_MAX	120	/* bytes of a forward marker line */
#define QUOTE_MARKER_WORDS	6	/* words of one ("Begin forwarded message:") */
#define QUOTE_ORIGINAL_WORDS	3	/* of "Original Message" with no rule */
#define QUOTE_SENT_WORDS	8	/* words of a "Sent from my ..." line */
#define QUOTE_SIGNOFF_WIDTH	60	/* characters of a sign-off line */
#define QUOTE_CASELESS_SIGNOFF	15	/* letters without case in one */
#define QUOTE_CONTACT_WIDTH	100	/* of one with " | " between fields */
#define QUOTE_SIGNOFF_ABOVE	2	/* closings above the sender's name */
#define QUOTE_SHORT_NAME	3	/* letters of a first name's short form */
#define QUOTE_CONTACT_LINES	6	/* lines of a contact block */
#define QUOTE_MARKERS_ASKED	32	/* answer markers looked for */
#define QUOTE_ANSWERS_SAID	30	/* lines read for how they are marked */
#define QUOTE_NOTICE_LINES	12	/* lines of a legal notice paragraph */
#define QUOTE_NOTICE_STACK	3	/* notice paragraphs one under another */

enum quote_label {
	QL_ORIGINAL, QL_HEADER, QL_HEADER_QUOTED, QL_DATE, QL_ADDRESS,
	QL_WROTE, QL_FIELD, QL_SEPARATOR, QL_FORWARD, QL_FORWARD_SUBJECT,
	QL_DELIMITER, QL_SIGNATURE, QL_SENT, QL_DEVICE, QL_DECORATION,
	QL_VALEDICTION, QL_PASTED, QL_DISCLAIMER, QL_FOOTER, QL_CAPITALS,
	QL_COLOUR, QL_THANKS, QL_ANSWERS, QL_COUNT
};

/* Each label of quotes.rules and the field quote.c reads it on. */
static const struct {
	const char *label, *field;
} quote_labels[QL_COUNT] = {
	[QL_ORIGINAL] = { "original", "text" },
	[QL_HEADER] = { "header", "text" },
	[QL_HEADER_QUOTED] = { "header-quoted", "text" },
	[QL_DATE] = { "date", "line" },
	[QL_ADDRESS] = { "address", "line" },
	[QL_WROTE] = { "wrote", "line" },
	[QL_FIELD] = { "field", "line" },
	[QL_SEPARATOR] = { "separator", "line" },
	[QL_FORWARD] = { "forward", "line" },
	[QL_FORWARD_SUBJECT] = { "forward", "subject" },
	[QL_DELIMITER] = { "delimiter", "line" },
	[QL_SIGNATURE] = { "signature", "line" },
	[QL_SENT] = { "sent", "line" },
	[QL_DEVICE] = { "device", "line" },
	[QL_DECORATION] = { "decoration", "line" },
	[QL_VALEDICTION] = { "valediction", "line" },
	[QL_PASTED] = { "pasted", "line" },
	[QL_DISCLAIMER] = { "disclaimer", "text" },
	[QL_FOOTER] = { "footer", "line" },
	[QL_CAPITALS] = { "capitals", "line" },
	[QL_COLOUR] = { "colour", "line" },
	[QL_THANKS] = { "thanks", "line" },
	[QL_ANSWERS] = { "answers", "line" },
};

/*
 * One line, 24 bytes: a 1 MB text of empty lines has a million of them,
 * and their pages are most of what trimming it costs. A text is cut to
 * the text size limit long before a line's length needs more than 32
 * bits; a label and its value lie within QUOTE_LINE_MAX bytes.
 */
struct quote_line {
	const char *s;		/* into the buffer; not NUL-terminated */
	uint32_t len;		/* without trailing blanks */
	unsigned short value;	/* offset of the value */
	unsigned short name;	/* offset and length of the label */
	unsigned char name_len;
	bool quoted : 1, blank : 1;
	bool initials : 1;	/* quoted after initials ("СП> "), not ">" */
	signed char label;	/* a "Label: value" line; -1: not known yet */
	signed char ev_addr;	/* its value holds an address; -1: unknown */
	signed char ev_date;	/* its value holds a date; -1: unknown */
	signed char ev_field;	/* its label is a known one; -1: unknown */
	signed char ev_pasted;	/* one only raw headers have; -1: unknown */
};
G_STATIC_ASSERT(sizeof(struct quote_line) <= 24);
G_STATIC_ASSERT(QUOTE_LINE_MAX <= USHRT_MAX);	/* value, name */
G_STATIC_ASSERT(QUOTE_LABEL_MAX <= UCHAR_MAX);	/* name_len */

struct quote_doc {
	struct rules *rules;
	struct quote_index *ix;
	GPtrArray **by;		/* [QL_COUNT] of const struct rule * */
	bool grouped;		/* long: match through ix's groups */
	struct quote_line *line;
	int n;
	int *next_text;		/* first non-blank line at or after i, or n */
	GString *join;		/* a folded attribution, joined */
	GString *scratch;	/* a candidate without invisible characters */
	int pasted_until;	/* blocks before it are pasted ones, known */
};

/* enum quote_kind - what a line begins. */
enum quote_kind {
	QK_NONE,
	QK_QUOTED,	/* a header, when ">" lines follow */
	QK_QUOTED_NOW,	/* a header, when a ">" line follows at once */
	QK_HISTORY,	/* the history: the rest goes unless ">" lines follow */
	QK_FORWARD,	/* a forwarded mail: the rest is kept as it is */
};

struct quote_hit {
	enum quote_kind kind;
	int span;		/* lines the header covers */
	bool block;		/* a header block or separator (a forward's) */
	bool bare;		/* a header block with no separator over it, or an
				 * attribution: what a customer may paste */
};

bool
quote_rule_is_known(const char *label, const char *field)
{
	int l;

	for (l = 0; l < QL_COUNT; l++)
		if (strcmp(label, quote_labels[l].label) == 0 &&
		    strcmp(field, quote_labels[l].field) == 0)
			return true;
	return false;
}

/* ---- evidence ---- */

/*
 * The quote rules by label, the same for every message; with the
 * alternation of each label's rules (rules_group_new) once a long text
 * asks for it: one match a label instead of one a rule. Compiling them
 * costs about what the rules' own compiling does, more than a short
 * reply's matching, hence QUOTE_GROUP_LINES (quote.h).
 */
struct quote_index {
	GPtrArray *by[QL_COUNT];	/* const struct rule *, per label */
	struct rules_group *group[QL_COUNT];	/* NULL: not built yet */
	GPtrArray *explicit;	/* original, header, header-quoted */
	struct rules_group *explicit_group;	/* NULL: not built yet */
};

static struct rules_group *
quote_group(struct quote_doc *d, enum quote_label l)
{
	if (d->ix->group[l] == NULL)
		d->ix->group[l] = rules_group_new(d->rules, d->by[l], true);
	return d->ix->group[l];
}

/*
 * S without the invisible format characters some clients put between the
 * digits of a date (U+200B-U+200F, U+2060, U+FEFF, U+00AD), in SCRATCH
 * when it has any; else S itself. *LEN is updated.
 */
static const char *
quote_visible(GString *scratch, const char *s, size_t *len)
{
	size_t i;

	for (i = 0; i < *len; i++)
		if ((unsigned char)s[i] == 0xe2 ||
		    (unsigned char)s[i] == 0xef || (unsigned char)s[i] == 0xc2)
			break;
	if (i == *len)
		return s;
	g_string_truncate(scratch, 0);
	for (i = 0; i < *len; i++) {
		const unsigned char *u = (const unsigned char *)s + i;
		size_t left = *len - i;

		if (left >= 3 && u[0] == 0xe2 && ((u[1] == 0x80 &&
		    u[2] >= 0x8b && u[2] <= 0x8f) || (u[1] == 0x81 &&
		    u[2] == 0xa0))) {
			i += 2;
			continue;
		}
		if (left >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
			i += 2;
			continue;
		}
		if (left >= 2 && u[0] == 0xc2 && u[1] == 0xad) {
			i++;
			continue;
		}
		g_string_append_c(scratch, s[i]);
	}
	*len = scratch->len;
	return scratch->str;
}

/* Does any rule labelled L match S (LEN bytes, at most a window)? */
static bool
quote_any(struct quote_doc *d, enum quote_label l, const char *s, size_t len)
{
	guint r;

	if (len > QUOTE_WINDOW_MAX)
		len = QUOTE_WINDOW_MAX;
	if (d->by[l]->len == 0)
		return false;
	s = quote_visible(d->scratch, s, &len);
	if (d->grouped)
		return rules_group_match(d->rules, quote_group(d, l), s, len,
		    false, NULL);
	for (r = 0; r < d->by[l]->len; r++)
		if (rules_match(d->rules, g_ptr_array_index(d->by[l], r), s,
		    len, NULL, NULL))
			return true;
	return false;
}

/* What a "text" rule sees at line I: the line and the next ones (they
 * are contiguous in the buffer), QUOTE_WINDOW_MAX bytes at most. */
static size_t
quote_text_window(struct quote_doc *d, int i)
{
	int last = MIN(i + QUOTE_TEXT_LINES, d->n) - 1;
	size_t len = (size_t)(d->line[last].s + d->line[last].len -
	    d->line[i].s);

	return MIN(len, QUOTE_WINDOW_MAX);
}

/*
 * Could an explicit rule (original, header, header-quoted) match at line
 * I? On a long text one match of all of them first, as most lines are no
 * header; on a short one always yes (the rules are tried one by one).
 */
static bool
quote_explicit_is_possible(struct quote_doc *d, int i)
{
	if (!d->grouped)
		return true;
	if (d->ix->explicit_group == NULL)
		d->ix->explicit_group = rules_group_new(d->rules,
		    d->ix->explicit, true);
	return rules_group_match(d->rules, d->ix->explicit_group,
	    d->line[i].s, quote_text_window(d, i), true, NULL);
}

/* A "text" rule labelled L at line I: the lines the match spans, or 0. */
static int
quote_text_rule(struct quote_doc *d, enum quote_label l, int i)
{
	const char *s = d->line[i].s;
	size_t len = quote_text_window(d, i), end, k;
	int spans;
	guint r;

	if (d->by[l]->len == 0)
		return 0;
	if (d->grouped) {
		if (!rules_group_match(d->rules, quote_group(d, l), s, len,
		    true, &end))
			return 0;
	} else {
		for (r = 0; r < d->by[l]->len; r++)
			if (rules_match_anchored(d->rules,
			    g_ptr_array_index(d->by[l], r), s, len, &end))
				break;
		if (r == d->by[l]->len)
			return 0;
	}
	spans = 1;
	for (k = 0; k + 1 < end && k < len; k++)
		spans += s[k] == '\n';
	return spans;
}

static bool
quote_ends_colon(const char *s, size_t len)
{
	return (len >= 1 && s[len - 1] == ':') ||
	    (len >= 3 && memcmp(s + len - 3, "\xef\xbc\x9a", 3) == 0);
}

/* The line ends a sentence: . ! ? or their CJK forms (the last byte
 * first: this runs on most lines). */
static bool
quote_ends_sentence(const char *s, size_t len)
{
	if (len == 0)
		return false;
	switch ((unsigned char)s[len - 1]) {
	case '.': case '!': case '?':
		return true;
	case 0x82:	/* U+3002 */
		return len >= 3 && memcmp(s + len - 3, "\xe3\x80\x82", 3) == 0;
	case 0x81:	/* U+FF01 */
		return len >= 3 && memcmp(s + len - 3, "\xef\xbc\x81", 3) == 0;
	case 0x9f:	/* U+FF1F */
		return len >= 3 && memcmp(s + len - 3, "\xef\xbc\x9f", 3) == 0;
	default:
		return false;
	}
}

/*
 * Does the line end in an abbreviation of letters and points, as a
 * company's form does ("A.Ş.", "S.p.A.", "e.V.", "B.V.")? Its last
 * word is runs of at most three letters, each with its point: the
 * point ends no sentence.
 */
static bool
quote_ends_abbreviation(const char *s, size_t len)
{
	size_t start = len;
	int points = 0, run = 0;
	const char *p;

	while (start > 0 && s[start - 1] != ' ' && s[start - 1] != '\t')
		start--;
	for (p = s + start; p < s + len; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char_validated(p, (gssize)(s + len - p));

		if (c == '.') {
			if (run == 0)
				return false;
			points++;
			run = 0;
		} else if (c != (gunichar)-1 && c != (gunichar)-2 &&
		    g_unichar_isalpha(c) && ++run <= 3)
			continue;
		else
			return false;
	}
	return points >= 2 && run == 0;
}

/*
 * Skip blanks from I: spaces, tabs and the no-break spaces (U+00A0, the
 * narrow U+202F, the figure space U+2007) that French typography puts
 * before a colon ("De\u202f: ", as Outlook for Mac writes a label).
 */
static size_t
quote_skip_blanks(const char *s, size_t i, size_t len)
{
	for (;;) {
		const unsigned char *u = (const unsigned char *)s + i;

		if (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		else if (i + 2 <= len && u[0] == 0xc2 && u[1] == 0xa0)
			i += 2;
		else if (i + 3 <= len && u[0] == 0xe2 && u[1] == 0x80 &&
		    (u[2] == 0xaf || u[2] == 0x87))
			i += 3;
		else
			return i;
	}
}

/*
 * Is L a "Label: value" line? A label is one to three words of letters
 * (QUOTE_LABEL_MAX bytes at most, maybe in "*bold*"), then a colon (or
 * a full-width one), then the value, which may be empty. The result and
 * the offsets are kept in L.
 */
static bool
quote_label_parse(struct quote_line *l)
{
	const char *s = l->s;
	size_t len = l->len, p, name, name_end, k;
	int words = 1;

	if (l->label >= 0)
		return l->label > 0;
	l->label = 0;
	if (l->quoted || l->blank || len > QUOTE_LINE_MAX)
		return false;
	p = quote_skip_blanks(s, 0, len);
	if (p < len && s[p] == '*')
		p++;
	name = p;
	while (p < len) {
		gunichar c;

		if (g_ascii_isalpha(s[p])) {	/* most labels: no decoding */
			p++;
			continue;
		}
		c = (unsigned char)s[p] < 0x80 ? (gunichar)s[p] :
		    g_utf8_get_char_validated(s + p, (gssize)(len - p));
		if (c == (gunichar)-1 || c == (gunichar)-2)
			return false;
		if (c >= 0x80 && (g_unichar_isalpha(c) ||
		    g_unichar_ismark(c))) {
			p = (size_t)(g_utf8_next_char(s + p) - s);
			continue;
		}
		if (p == name)
			return false;
		if (c == ' ' || c == '.' || c == '-' || c == '\'') {
			p++;
			continue;
		}
		break;
	}
	name_end = p;
	while (name_end > name && (s[name_end - 1] == ' ' ||
	    s[name_end - 1] == '.'))
		name_end--;
	if (name_end == name || name_end - name > QUOTE_LABEL_MAX)
		return false;
	for (k = name; k < name_end; k++)
		if (s[k] == ' ' && s[k - 1] != ' ')
			words++;
	if (words > 3)
		return false;
	p = quote_skip_blanks(s, p, len);
	if (p < len && s[p] == '*')
		p++;
	if (p < len && s[p] == ':')
		p++;
	else if (p + 3 <= len && memcmp(s + p, "\xef\xbc\x9a", 3) == 0)
		p += 3;
	else
		return false;
	if (p + 1 < len && s[p] == '/' && s[p + 1] == '/')
		return false;		/* "http://" */
	if (p < len && s[p] == '*')
		p++;
	p = quote_skip_blanks(s, p, len);
	l->label = 1;
	l->name = (unsigned short)name;
	l->name_len = (unsigned char)(name_end - name);
	l->value = (unsigned short)p;
	return true;
}

static bool
quote_value_has(struct quote_doc *d, struct quote_line *l, signed char *ev,
    enum quote_label label)
{
	if (*ev < 0) {
		if (label == QL_FIELD || label == QL_PASTED)
			*ev = quote_any(d, label, l->s + l->name, l->name_len);
		else
			*ev = l->len > l->value &&
			    quote_any(d, label, l->s + l->value,
			    l->len - l->value);
	}
	return *ev > 0;
}

/*
 * The header block at line I: how many "Label: value" lines it has
 * (0: none, fewer than 2, or headers the customer pasted: a `pasted`
 * label in the block or among the labels just above it), and in
 * *ACCEPT_R whether it is one by its values and labels: a date, and an
 * address in the first value or in any with two known labels, or four
 * known labels (Outlook with names only).
 * *SOME_R (may be NULL): it has a date, an address or two known labels,
 * enough after a separator line.
 */
static int
quote_block_at(struct quote_doc *d, int i, bool *accept_r, bool *some_r)
{
	int j, count = 0, known = 0;
	bool addr = false, date = false, first_addr = false, pasted = false;

	*accept_r = false;
	for (j = i; j < d->n && j < i + 2; j++)
		if (!quote_label_parse(&d->line[j]))
			return 0;	/* no block: spare the rules */
	for (j = i; j < d->n && count < QUOTE_BLOCK_MAX; j++) {
		struct quote_line *l = &d->line[j];
		bool a;

		if (!quote_label_parse(l))
			break;
		count++;
		a = quote_value_has(d, l, &l->ev_addr, QL_ADDRESS);
		if (j == i)
			first_addr = a;
		addr |= a;
		date |= quote_value_has(d, l, &l->ev_date, QL_DATE);
		known += quote_value_has(d, l, &l->ev_field, QL_FIELD);
		pasted |= quote_value_has(d, l, &l->ev_pasted, QL_PASTED);
	}
	if (count < 2)
		return 0;
	/* the lines of the same block above I, which a caller may skip */
	for (j = i - 1; j >= 0 && j >= i - QUOTE_BLOCK_MAX && !pasted &&
	    quote_label_parse(&d->line[j]); j--)
		pasted = quote_value_has(d, &d->line[j],
		    &d->line[j].ev_pasted, QL_PASTED);
	/*
	 * Message-ID:, Received:, Return-Path: ... are in a mail's raw
	 * header, never in the header a client puts over a quote: the
	 * customer pasted them, and they are the customer's text.
	 */
	if (pasted) {
		if (some_r != NULL)
			*some_r = false;
		return 0;
	}
	*accept_r = date && ((addr && known >= 2) || known >= 4 ||
	    (count >= 3 && first_addr));
	if (some_r != NULL)
		*some_r = date || addr || known >= 2;
	return count;
}

/*
 * The shape of a separator line: 1 for a rule of punctuation only
 * ("_____", "-----"), 2 for words between runs of it ("-----Original
 * Message-----"), with the words in *INNER_R and *INNER_LEN_R; 0 for none.
 */
static int
quote_separator_shape(const struct quote_line *l, const char **inner_r,
    size_t *inner_len_r)
{
	static const char marks[] = "-_=*~";
	const char *s = l->s;
	size_t len = l->len, p, lead, end, trail, k;
	bool letter = false;

	if (l->quoted || l->blank || len > QUOTE_LINE_MAX)
		return 0;
	p = quote_skip_blanks(s, 0, len);
	for (lead = 0; p + lead < len && strchr(marks, s[p + lead]) != NULL &&
	    s[p + lead] != '\0'; lead++)
		;
	if (lead < 2)
		return 0;
	k = quote_skip_blanks(s, p + lead, len);
	if (k == len)
		return lead >= 5 ? 1 : 0;
	for (trail = 0, end = len; end > k && strchr(marks, s[end - 1]) !=
	    NULL && s[end - 1] != '\0'; end--, trail++)
		;
	if (trail < 2)
		return 0;
	while (end > k && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	for (p = k; p < end && !letter; p++)
		letter = g_ascii_isalpha(s[p]) || (unsigned char)s[p] >= 0x80;
	if (!letter)
		return 0;
	*inner_r = s + k;
	*inner_len_r = end - k;
	return 2;
}

enum quote_attr { QA_NONE, QA_DATE, QA_WEAK, QA_STRONG };

static enum quote_attr
quote_attr_of(struct quote_doc *d, const char *s, size_t len)
{
	bool date = quote_any(d, QL_DATE, s, len);
	bool addr = quote_any(d, QL_ADDRESS, s, len);
	bool wrote;

	if (!date && !addr)
		return QA_NONE;		/* "wrote" alone is no header */
	wrote = quote_any(d, QL_WROTE, s, len);

	if (date && addr && wrote)
		return QA_STRONG;
	if ((date && addr) || (wrote && (date || addr)))
		return QA_WEAK;
	return date ? QA_DATE : QA_NONE;
}

/* Lines I to LAST (inclusive) joined with spaces, in D->join. */
static void
quote_join(struct quote_doc *d, int i, int last)
{
	int k;

	g_string_truncate(d->join, 0);
	for (k = i; k <= last; k++) {
		const struct quote_line *l = &d->line[k];
		size_t p = quote_skip_blanks(l->s, 0, l->len);

		if (k > i)
			g_string_append_c(d->join, ' ');
		g_string_append_len(d->join, l->s + p, l->len - p);
	}
}

/*
 * The attribution at line I ("On ... wrote:"), maybe folded over up to
 * QUOTE_FOLD_MAX lines: its strength, and in *SPAN_R its lines. A folded
 * one begins where its evidence begins: when the lines after I make as
 * strong a header alone, line I is the customer's.
 */
static enum quote_attr
quote_attribution_at(struct quote_doc *d, int i, int *span_r)
{
	enum quote_attr kind;
	int k, last = -1;

	for (k = i; k < d->n && k < i + QUOTE_FOLD_MAX; k++) {
		const struct quote_line *l = &d->line[k];

		if (l->quoted || l->blank || l->len > QUOTE_LINE_MAX)
			return QA_NONE;
		if (quote_ends_colon(l->s, l->len)) {
			last = k;
			break;
		}
	}
	if (last < 0)
		return QA_NONE;
	quote_join(d, i, last);
	kind = quote_attr_of(d, d->join->str, d->join->len);
	if (kind == QA_NONE)
		return QA_NONE;
	if (last > i) {
		if (quote_ends_sentence(d->line[i].s, d->line[i].len))
			return QA_NONE;
		quote_join(d, i + 1, last);
		if (quote_attr_of(d, d->join->str, d->join->len) >= kind)
			return QA_NONE;
	}
	*span_r = last - i + 1;
	return kind;
}

/* The words of S, runs apart by blanks. */
static int
quote_words(const char *s, size_t len)
{
	int words = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && (i == 0 ||
		    s[i - 1] == ' ' || s[i - 1] == '\t'))
			words++;
	return words;
}

/* The first non-blank line after I, if it is at most 2 lines on. */
static int
quote_near_text(struct quote_doc *d, int i)
{
	int next = i + 1 < d->n ? d->next_text[i + 1] : d->n;

	return next < d->n && next <= i + 2 ? next : -1;
}

/* What line I begins, into *HIT. */
static void
quote_hit_at(struct quote_doc *d, int i, struct quote_hit *hit)
{
	struct quote_line *l = &d->line[i];
	const char *inner = NULL;
	size_t inner_len = 0;
	int shape, span, next, count;
	bool accept, some = false;
	enum quote_attr attr;

	memset(hit, 0, sizeof(*hit));
	hit->span = 1;
	/* the explicit rules first */
	if (quote_explicit_is_possible(d, i)) {
		if ((span = quote_text_rule(d, QL_ORIGINAL, i)) > 0 ||
		    (span = quote_text_rule(d, QL_HEADER, i)) > 0) {
			hit->kind = QK_HISTORY;
			hit->span = span;
			return;
		}
		if ((span = quote_text_rule(d, QL_HEADER_QUOTED, i)) > 0) {
			hit->kind = QK_QUOTED;
			hit->span = span;
			return;
		}
	}
	/* a separator line, and the header block it introduces */
	if ((shape = quote_separator_shape(l, &inner, &inner_len)) > 0) {
		next = quote_near_text(d, i);
		count = next >= 0 ? quote_block_at(d, next, &accept, &some) :
		    0;
		hit->block = true;
		if (shape == 2 && quote_any(d, QL_FORWARD, inner, inner_len)) {
			hit->kind = QK_FORWARD;
			return;
		}
		if (shape == 2 && quote_any(d, QL_DATE, inner, inner_len) &&
		    quote_any(d, QL_ADDRESS, inner, inner_len)) {
			hit->kind = QK_HISTORY;
			return;
		}
		/* under a bare rule ("_____", "-----") the block's first
		 * line must name a sender or a known label: console output
		 * draws such rules over "Status : EXPIRED (2026-11-30)" */
		if (count > 0 && some && shape == 1 &&
		    !quote_value_has(d, &d->line[next], &d->line[next].ev_addr,
		    QL_ADDRESS) && !quote_value_has(d, &d->line[next],
		    &d->line[next].ev_field, QL_FIELD))
			some = false;
		if ((count > 0 && some) || (shape == 2 && quote_any(d,
		    QL_SEPARATOR, inner, inner_len))) {
			hit->kind = QK_HISTORY;
			hit->span = count > 0 ? next + count - i : 1;
			return;
		}
		if (shape == 1 && next >= 0 &&
		    quote_label_parse(&d->line[next]) &&
		    !quote_value_has(d, &d->line[next],
		    &d->line[next].ev_pasted, QL_PASTED) &&
		    (quote_value_has(d, &d->line[next],
		    &d->line[next].ev_addr, QL_ADDRESS) ||
		    quote_value_has(d, &d->line[next],
		    &d->line[next].ev_field, QL_FIELD))) {
			hit->kind = QK_HISTORY;
			hit->span = next + 1 - i;
			return;
		}
		hit->block = false;
	}
	/* the words of an Original Message line with no rule around them
	 * ("Messaggio originale", as a webmail's plain text has it), a line
	 * of at most three words, over a header block whose first line
	 * names a sender or a known label ("I resent my original message"
	 * over "Order: 12345" is a sentence) */
	if (shape == 0 && l->len <= QUOTE_MARKER_MAX &&
	    !quote_label_parse(l) && (next = quote_near_text(d, i)) >= 0 &&
	    (count = quote_block_at(d, next, &accept, &some)) > 0 && some &&
	    !quote_ends_sentence(l->s, l->len) &&
	    quote_words(l->s, l->len) <= QUOTE_ORIGINAL_WORDS &&
	    (quote_value_has(d, &d->line[next], &d->line[next].ev_addr,
	    QL_ADDRESS) || quote_value_has(d, &d->line[next],
	    &d->line[next].ev_field, QL_FIELD)) &&
	    quote_any(d, QL_SEPARATOR, l->s, l->len)) {
		hit->kind = QK_HISTORY;
		hit->span = next + count - i;
		hit->block = true;
		return;
	}
	/* "Begin forwarded message:" and a header block after it (the
	 * marker parses as a label, but one with no value): a line of its
	 * own, not the end of a sentence ("..., que notre comptable m'a
	 * transférée :") */
	if (l->len <= QUOTE_MARKER_MAX && quote_ends_colon(l->s, l->len) &&
	    (i == 0 || d->line[i - 1].blank) &&
	    quote_words(l->s, l->len) <= QUOTE_MARKER_WORDS &&
	    !(quote_label_parse(l) && l->value < l->len) &&
	    (next = quote_near_text(d, i)) >= 0 &&
	    quote_block_at(d, next, &accept, NULL) > 0 &&
	    quote_any(d, QL_FORWARD, l->s, l->len) &&
	    !quote_any(d, QL_DATE, l->s, l->len)) {
		hit->kind = QK_FORWARD;
		return;
	}
	/* a header block */
	if (quote_label_parse(l) &&
	    (count = quote_block_at(d, i, &accept, NULL)) > 0 &&
	    accept) {
		hit->kind = QK_HISTORY;
		hit->span = count;
		hit->block = true;
		hit->bare = true;
		return;
	}
	/* an attribution */
	attr = quote_attribution_at(d, i, &span);
	if (attr == QA_NONE)
		return;
	hit->span = span;
	hit->kind = attr == QA_STRONG ? QK_HISTORY : attr == QA_WEAK ?
	    QK_QUOTED : QK_QUOTED_NOW;
	hit->bare = attr == QA_STRONG;
}

/* ---- signatures ---- */

static bool
quote_line_is(struct quote_doc *d, enum quote_label l, int i)
{
	const struct quote_line *line = &d->line[i];
	size_t p = quote_skip_blanks(line->s, 0, line->len);

	return quote_any(d, l, line->s + p, line->len - p);
}

/*
 * LEN less a trailing "<http...>" or "<https...>": the plain-text form
 * of a linked signature ("Get Outlook for iOS<https://aka.ms/o0ukef>",
 * "Von Outlook für Android gesendet<https://aka.ms/...>"), so that the
 * "sent" rules anchored at the end of the line see the words alone.
 */
static size_t
quote_without_link(const char *s, size_t len)
{
	size_t k;

	if (len < 2 || s[len - 1] != '>')
		return len;
	for (k = len - 1; k > 0; k--)
		if (s[k - 1] == '<')
			break;
	if (k == 0 || len - k < 6 ||
	    g_ascii_strncasecmp(s + k, "http", 4) != 0)
		return len;
	k--;			/* the '<' */
	while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		k--;
	return k;
}

/* A line that starts a signature: a rule, or "Sent from my <device>". */
static bool
quote_is_signature(struct quote_doc *d, int i)
{
	const struct quote_line *l = &d->line[i];
	size_t p, len;

	if (l->len > QUOTE_LINE_MAX)
		return false;
	if (quote_line_is(d, QL_SIGNATURE, i))
		return true;
	p = quote_skip_blanks(l->s, 0, l->len);
	len = quote_without_link(l->s + p, l->len - p);
	return len > 0 && quote_words(l->s + p, len) <= QUOTE_SENT_WORDS &&
	    quote_any(d, QL_SENT, l->s + p, len) &&
	    quote_any(d, QL_DEVICE, l->s + p, len);
}

/* A line at the end that is no content: blank, a rule, a decoration. */
static bool
quote_is_decoration(struct quote_doc *d, int i)
{
	const struct quote_line *l = &d->line[i];
	const char *inner;
	size_t inner_len;

	return l->blank || (l->len <= QUOTE_LINE_MAX &&
	    (quote_separator_shape(l, &inner, &inner_len) == 1 ||
	    quote_line_is(d, QL_DECORATION, i)));
}

/* NAME folded to compare; NULL when nothing is left. (transfer full) */
static char *
quote_fold(const char *s, size_t len)
{
	static const char trim[] = " \t-_*~,.;:!#\"'()<>[]/";
	char *folded;

	while (len > 0 && strchr(trim, s[0]) != NULL)
		s++, len--;
	while (len > 0 && strchr(trim, s[len - 1]) != NULL)
		len--;
	/* "—" and "–" before a name */
	while (len >= 3 && ((unsigned char)s[0] == 0xe2 &&
	    (unsigned char)s[1] == 0x80 && ((unsigned char)s[2] == 0x94 ||
	    (unsigned char)s[2] == 0x93))) {
		s += 3;
		len -= 3;
		while (len > 0 && s[0] == ' ')
			s++, len--;
	}
	if (len == 0 || !g_utf8_validate(s, (gssize)len, NULL))
		return NULL;
	folded = g_utf8_casefold(s, (gssize)len);
	return folded;
}

/*
 * The consonants of a folded name, in Latin letters, each word's apart:
 * a name written in another script or spelling than the From field's
 * ("Natalia Lehtinen" and "Наталья Лехтинен", "Ірина" and "Ирина")
 * has the same. Cyrillic goes to Latin by the usual transliterations,
 * digraphs to one letter (sh, ch, zh, kh, ts), g and h count as one
 * (Ukrainian г is h), vowels and doubled letters go. GLib has no
 * transliteration of Cyrillic, so the table is here.
 */
static char *
quote_name_skeleton(const char *folded)
{
	static const char *const cyrillic[] = {
		/* а..я, U+0430..U+044F */
		"a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l",
		"m", "n", "o", "p", "r", "s", "t", "u", "f", "h", "ts", "ch",
		"sh", "sh", "", "y", "", "e", "yu", "ya",
	};
	GString *latin = g_string_new(NULL), *out = g_string_new(NULL);
	const char *p;
	char *ascii;
	size_t i;

	for (p = folded; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c >= 0x430 && c <= 0x44f)
			g_string_append(latin, cyrillic[c - 0x430]);
		else if (c == 0x451 || c == 0x454)	/* ё є */
			g_string_append_c(latin, 'e');
		else if (c == 0x456 || c == 0x457)	/* і ї */
			g_string_append_c(latin, 'i');
		else if (c == 0x491)			/* ґ */
			g_string_append_c(latin, 'g');
		else if (c == 0x45e)			/* ў */
			g_string_append_c(latin, 'u');
		else
			g_string_append_unichar(latin, c);
	}
	/* Latin letters without their marks (ö, č, ł) */
	ascii = g_str_to_ascii(latin->str, "C");
	for (i = 0; ascii[i] != '\0'; i++) {
		char c = g_ascii_tolower(ascii[i]), next = ascii[i + 1];

		if (c == ' ') {
			if (out->len > 0 && out->str[out->len - 1] != ' ')
				g_string_append_c(out, ' ');
			continue;
		}
		if (!g_ascii_isalpha(c) || strchr("aeiouyj", c) != NULL)
			continue;
		next = g_ascii_tolower(next);
		if ((c == 's' || c == 'c' || c == 'z' || c == 'k') &&
		    next == 'h') {
			c = c == 'k' ? 'h' : c;
			i++;
		} else if ((c == 't' && (next == 's' || next == 'z')) ||
		    (c == 'c' && next == 'k')) {
			c = c == 't' ? 'c' : 'k';
			i++;
		}
		if (c == 'g')
			c = 'h';
		else if (c == 'w')
			c = 'v';
		if (out->len == 0 || out->str[out->len - 1] != c)
			g_string_append_c(out, c);
	}
	g_free(ascii);
	g_string_free(latin, TRUE);
	while (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

struct quote_sender {
	char *full;		/* "bob smith" (folded), or NULL */
	char *first;		/* "bob", or NULL */
	char *addr;		/* "bob@shop.example", or NULL */
	bool full_words;	/* FULL has two words or more */
};

static void
quote_sender_init(struct quote_sender *who, const struct quote_context *ctx)
{
	const char *name = ctx != NULL ? ctx->from_name : NULL;
	char *swapped = NULL;

	memset(who, 0, sizeof(*who));
	if (ctx != NULL && ctx->from_addr != NULL && *ctx->from_addr != '\0')
		who->addr = quote_fold(ctx->from_addr, strlen(ctx->from_addr));
	if (name == NULL || *name == '\0')
		return;
	/* "Smith, Bob" is Bob Smith */
	if (strchr(name, ',') != NULL) {
		const char *comma = strchr(name, ',');

		swapped = g_strdup_printf("%s %.*s", comma + 1,
		    (int)(comma - name), name);
		name = g_strstrip(swapped);
	}
	who->full = quote_fold(name, strlen(name));
	if (who->full != NULL) {
		char *space = strchr(who->full, ' ');

		who->full_words = space != NULL;
		who->first = space != NULL ?
		    g_strndup(who->full, (gsize)(space - who->full)) : NULL;
	}
	g_free(swapped);
}

static void
quote_sender_deinit(struct quote_sender *who)
{
	g_free(who->full);
	g_free(who->first);
	g_free(who->addr);
}

/* Is S[0..N), its leading blanks left out, a valediction rule's? */
static bool
quote_valediction_in(struct quote_doc *d, const char *s, size_t n)
{
	size_t p = quote_skip_blanks(s, 0, n);

	return quote_any(d, QL_VALEDICTION, s + p, n - p);
}

/*
 * Is L a closing and the sender's name on one line ("Mvh Mette",
 * "Thanks, Tom")? The name is its last words (NAME folded, of NWORDS
 * words); what is before them must be a valediction.
 */
static bool
quote_closing_with_name(struct quote_doc *d, const struct quote_line *l,
    const char *name, int nwords)
{
	size_t end = l->len, start;
	char *tail;
	bool same;
	int w;

	while (end > 0 && strchr(" \t.!", l->s[end - 1]) != NULL)
		end--;
	start = end;
	for (w = 0; w < nwords; w++) {
		while (start > 0 && l->s[start - 1] != ' ' &&
		    l->s[start - 1] != '\t')
			start--;
		if (w + 1 < nwords)
			while (start > 0 && (l->s[start - 1] == ' ' ||
			    l->s[start - 1] == '\t'))
				start--;
	}
	if (start == 0 || start == end)
		return false;
	if ((tail = quote_fold(l->s + start, end - start)) == NULL)
		return false;
	same = strcmp(tail, name) == 0;
	g_free(tail);
	while (start > 0 && strchr(" \t,", l->s[start - 1]) != NULL)
		start--;
	return same && start > 0 && quote_valediction_in(d, l->s, start);
}

/*
 * Does line I name the sender? 2: it holds the full name (two words or
 * more) or the address, so the lines around it are a contact block; 1: it
 * is the name or the first name alone, or after a closing on its line;
 * 0: no.
 */
/*
 * Is LINE (folded) the short form of the first name FIRST, its first
 * three letters or more ("rob" of "robert", "alex" of "alexander")?
 */
static bool
quote_is_short_name(const char *line, const char *first)
{
	return first != NULL && strchr(line, ' ') == NULL &&
	    g_utf8_strlen(line, -1) >= QUOTE_SHORT_NAME &&
	    g_str_has_prefix(first, line);
}

static int
quote_names_sender(struct quote_doc *d, const struct quote_sender *who, int i)
{
	const struct quote_line *l = &d->line[i];
	char *line = quote_fold(l->s, l->len);
	int names = 0;

	if (line == NULL)
		return 0;
	/*
	 * the address with two words besides at most ("E-mail: bob@x"), the
	 * full name with three ("Dr. Bob Smith, CEO"): more is a sentence
	 * that names the sender ("Please reply to bob@x", "Bob Smith will
	 * call you")
	 */
	if ((who->addr != NULL && strstr(line, who->addr) != NULL &&
	    quote_words(line, strlen(line)) <= 3) ||
	    (who->full_words && strstr(line, who->full) != NULL &&
	    quote_words(line, strlen(line)) <= quote_words(who->full,
	    strlen(who->full)) + 3))
		names = 2;
	else if ((who->full != NULL && strcmp(line, who->full) == 0) ||
	    (who->first != NULL && strcmp(line, who->first) == 0) ||
	    quote_is_short_name(line, who->first != NULL ? who->first :
	    who->full))
		names = 1;
	else if ((who->first != NULL &&
	    quote_closing_with_name(d, l, who->first, 1)) ||
	    (who->full != NULL && quote_closing_with_name(d, l, who->full,
	    quote_words(who->full, strlen(who->full)))))
		names = 1;
	/* the name alone, in another script or spelling: of two words or
	 * more and six letters of its skeleton at least */
	else if (who->full_words && quote_words(line, strlen(line)) ==
	    quote_words(who->full, strlen(who->full))) {
		char *theirs = quote_name_skeleton(who->full);
		char *skeleton = quote_name_skeleton(line);

		names = strlen(theirs) >= 6 && strcmp(skeleton, theirs) == 0;
		g_free(skeleton);
		g_free(theirs);
	}
	g_free(line);
	return names;
}

/* A short line that is no sentence: what a sign-off is made of. */
static bool
quote_is_signoff_line(struct quote_doc *d, int i)
{
	const struct quote_line *l = &d->line[i];
	int lower = 0, caseless = 0;
	size_t k;
	glong width;

	if (l->blank)
		return true;
	if (l->len > 4 * QUOTE_CONTACT_WIDTH || !g_utf8_validate(l->s,
	    (gssize)l->len, NULL))
		return false;
	/* a contact line's fields apart by " | " run longer ("Tel. ... |
	 * www... ", "Geschäftsführer: ... | HRB ...") */
	width = g_utf8_strlen(l->s, (gssize)l->len);
	if (width > QUOTE_CONTACT_WIDTH || (width > QUOTE_SIGNOFF_WIDTH &&
	    g_strstr_len(l->s, (gssize)l->len, " | ") == NULL))
		return false;
	if (!quote_ends_sentence(l->s, l->len))
		return true;
	/*
	 * "Please let me know what you see." has lower-case words; a line of
	 * a script without case (Japanese, Chinese) is a sentence by its
	 * length ("よろしくお願いいたします。" is still a closing)
	 */
	for (k = 0; k < l->len; k = (size_t)(g_utf8_next_char(l->s + k) -
	    l->s)) {
		gunichar c = g_utf8_get_char(l->s + k);

		if ((k == 0 || l->s[k - 1] == ' ') && g_unichar_islower(c))
			lower++;
		if (g_unichar_isalpha(c) && !g_unichar_islower(c) &&
		    !g_unichar_isupper(c) && !g_unichar_istitle(c))
			caseless++;
	}
	return lower < 3 && caseless <= QUOTE_CASELESS_SIGNOFF;
}

/* Line I says a closing: a valediction rule's ("Best regards"), or two
 * in two languages ("Mit freundlichen Grüßen / Kind regards"). */
static bool
quote_closing_words(struct quote_doc *d, int i)
{
	const struct quote_line *l = &d->line[i];
	const char *slash;

	if (quote_line_is(d, QL_VALEDICTION, i))
		return true;
	slash = g_strstr_len(l->s, (gssize)l->len, " / ");
	return slash != NULL &&
	    quote_valediction_in(d, l->s, (size_t)(slash - l->s));
}

/*
 * Is line I a closing above the sender's name: its words, or a short
 * line ending in a comma ("Thanks again," "Всего хорошего,")?
 */
static bool
quote_is_closing(struct quote_doc *d, int i)
{
	const struct quote_line *l = &d->line[i];

	if (l->blank)
		return false;
	/* a valediction rule holds the whole line: a closing however many
	 * letters without case it has ("お手数ですが、ご確認のほど…") */
	if (quote_line_is(d, QL_VALEDICTION, i))
		return true;
	if (!quote_is_signoff_line(d, i))
		return false;
	return quote_closing_words(d, i) ||
	    (l->len > 0 && l->s[l->len - 1] == ',') ||
	    (l->len >= 3 && memcmp(l->s + l->len - 3, "\xef\xbc\x8c", 3) == 0);
}

/*
 * Is KEPT[P] a closing that goes with no name next to it: its words
 * (not any line ending in a comma: "please cancel order 123,"), with a
 * sentence somewhere above it (a long line, or one ending as a sentence
 * does that is no closing), so that a short reply ("Hello,\nThank you!")
 * keeps its words.
 */
static bool
quote_is_valediction(struct quote_doc *d, const int *kept, int first, int p)
{
	int k;

	if (d->line[kept[p]].blank || (!quote_line_is(d, QL_VALEDICTION,
	    kept[p]) && (!quote_is_signoff_line(d, kept[p]) ||
	    !quote_closing_words(d, kept[p]))))
		return false;
	for (k = p - 1; k >= first; k--) {
		const struct quote_line *l = &d->line[kept[k]];

		if (l->blank)
			continue;
		if (!quote_is_signoff_line(d, kept[k]) ||
		    (quote_ends_sentence(l->s, l->len) &&
		    !quote_closing_words(d, kept[k])))
			return true;
	}
	return false;
}

/*
 * The sender's sign-off at the end of KEPT[FIRST..*M): the last lines, at
 * most QUOTE_SIGNATURE_TAIL of them and all short, among which a line
 * names the sender. It starts at that line; above it go a closing
 * ("Best regards,"), the rest of a contact block around the full name or
 * the address, and a rule line right above.
 */
/*
 * Does the kept line P begin a paragraph (a blank line above it)? A
 * closing that ends the text's last paragraph ("...nuovo.\nGrazie
 * mille!") is the text's, not a sign-off's.
 */
/*
 * Is kept line P a closing formula glued under the sentence that ends the
 * text ("...ありがとうございました。" / "引き続きよろしくお願いいたします。")?
 * Thanks are the text's ("Funziona di nuovo." / "Grazie mille!"); a
 * closing of regards is not.
 */
static bool
quote_is_glued_closing(struct quote_doc *d, const int *kept, int first, int p)
{
	const struct quote_line *l = &d->line[kept[p]], *above;

	if (p - 1 < first || d->line[kept[p - 1]].blank)
		return false;
	above = &d->line[kept[p - 1]];
	return quote_ends_sentence(above->s, above->len) &&
	    !quote_any(d, QL_THANKS, l->s, l->len);
}

static bool
quote_starts_paragraph(struct quote_doc *d, const int *kept, int first,
    int p)
{
	return p > first && d->line[kept[p - 1]].blank;
}

static void
quote_cut_signoff(struct quote_doc *d, const struct quote_context *ctx,
    const int *kept, int first, int *m)
{
	struct quote_sender who;
	int p, count = 0, name = -1, names = 0, start, above;

	quote_sender_init(&who, ctx);
	if (who.full == NULL && who.addr == NULL)
		goto out;
	for (p = *m - 1; p > first; p--) {
		int k;

		if (!quote_is_signoff_line(d, kept[p]))
			break;
		if (d->line[kept[p]].blank)
			continue;
		if (++count > QUOTE_SIGNATURE_TAIL)
			break;
		if ((k = quote_names_sender(d, &who, kept[p])) > 0) {
			name = p;
			names = k;
		}
	}
	if (name < 0)
		goto out;
	start = name;
	if (names == 2) {
		/* the whole contact block */
		for (above = 0; start - 1 > first && above <
		    QUOTE_CONTACT_LINES && !d->line[kept[start - 1]].blank &&
		    quote_is_signoff_line(d, kept[start - 1]); above++)
			start--;
	} else {
		for (above = 0; start - 1 > first && above <
		    QUOTE_SIGNOFF_ABOVE && !d->line[kept[start - 1]].blank;
		    above++) {
			int up = kept[start - 1];

			if (!quote_is_closing(d, up))
				break;
			start--;
		}
	}
	/* a rule of dashes a few short lines above ("----" in a signature) */
	for (p = start - 1, count = 0; p > first && count < 3; p--) {
		const char *inner;
		size_t inner_len;

		if (!quote_is_signoff_line(d, kept[p]))
			break;
		if (quote_separator_shape(&d->line[kept[p]], &inner,
		    &inner_len) == 1) {
			start = p;
			break;
		}
		count += !d->line[kept[p]].blank;
	}
	/* a closing a blank line above the name, or above the rule over it
	 * ("Bien cordialement," / "" / "Nathalie Lefèvre") */
	if (start - 2 > first && d->line[kept[start - 1]].blank &&
	    quote_is_valediction(d, kept, first, start - 2)) {
		int top = start - 2;

		/* a closing of two lines ("此致" / "敬礼") */
		if (top - 1 > first && !d->line[kept[top - 1]].blank &&
		    quote_is_closing(d, kept[top - 1]))
			top--;
		if (quote_starts_paragraph(d, kept, first, top))
			start = top;
	}
	if (start > first)
		*m = start;
out:
	quote_sender_deinit(&who);
}

/* Does L hold contact data: a phone number, an address or a link? */
static bool
quote_is_contact_data(const struct quote_line *l)
{
	size_t i, digits = 0;

	for (i = 0; i < l->len; i++)
		digits += g_ascii_isdigit(l->s[i]);
	return digits >= 5 || memchr(l->s, '@', l->len) != NULL ||
	    g_strstr_len(l->s, (gssize)l->len, "www.") != NULL ||
	    g_strstr_len(l->s, (gssize)l->len, "://") != NULL;
}

/*
 * Are the kept lines FIRST..M all the sender's contact block: a line
 * that names the sender first, then short lines that are no sentence
 * and do not begin in lower case, one of them a phone, an address or a
 * link (Outlook's signature over a forward without a comment)?
 */
static bool
quote_is_contact_block(struct quote_doc *d, const struct quote_context *ctx,
    const int *kept, int first, int m)
{
	struct quote_sender who;
	bool block, contact = false;
	int p;

	if (m <= first || m - first > QUOTE_CONTACT_LINES)
		return false;
	quote_sender_init(&who, ctx);
	block = quote_names_sender(d, &who, kept[first]) > 0;
	for (p = first + 1; p < m && block; p++) {
		const struct quote_line *l = &d->line[kept[p]];
		gunichar c = l->blank ? 0 : g_utf8_get_char(l->s +
		    quote_skip_blanks(l->s, 0, l->len));

		/* a comment's line ("please see below") is no contact line */
		block = quote_is_signoff_line(d, kept[p]) &&
		    !g_unichar_islower(c) && !quote_ends_sentence(l->s, l->len);
		contact = contact || quote_is_contact_data(l);
	}
	quote_sender_deinit(&who);
	return block && contact;
}

/* Does S begin a postscript: "P.S.", "PS:", "P.P.S.", "П.С.", "ЗЫ"? */
static bool
quote_is_postscript(const char *s, size_t len)
{
	static const char *const marks[] = {
		"p.s", "ps:", "ps ", "p.p.s", "pps", "п.с", "П.С", "П.с",
		"п.п.с", "П.П.С", "зы", "ЗЫ", "Зы",
	};
	size_t i, n = quote_skip_blanks(s, 0, len);

	for (i = 0; i < G_N_ELEMENTS(marks); i++) {
		size_t k = strlen(marks[i]);

		if (len - n >= k && g_ascii_strncasecmp(s + n, marks[i], k) == 0)
			return true;
	}
	return false;
}

/*
 * The paragraph of kept lines that ends at LAST (not blank): its first
 * line, or -1 when it is not a legal notice ("This e-mail is
 * confidential...", "Diese E-Mail enthält vertrauliche..."), a
 * `disclaimer` rule's, of at most QUOTE_NOTICE_LINES lines in one run.
 * A postscript ("P.S. ... confidential") is the customer's.
 */
static int
quote_notice_at(struct quote_doc *d, const int *kept, int first, int last,
    const struct quote_sender *who)
{
	int top = last;
	bool opener, named;
	const struct quote_line *a, *z;

	while (top - 1 > first && !d->line[kept[top - 1]].blank &&
	    last - top + 1 < QUOTE_NOTICE_LINES)
		top--;
	if (top - 1 <= first || !d->line[kept[top - 1]].blank ||
	    kept[last] - kept[top] != last - top)
		return -1;	/* no text above, too long, or not one run */
	a = &d->line[kept[top]];
	z = &d->line[kept[last]];
	if (quote_is_postscript(a->s, a->len) || !quote_any(d, QL_DISCLAIMER,
	    a->s, (size_t)(z->s + z->len - a->s)))
		return -1;
	/*
	 * A notice glued under the sign-off, no blank line between
	 * ("Regards,\nName\nCompany\nThis email is confidential..."), or
	 * under a signature box drawn with rule lines (as Japanese business
	 * mail has it), or under the sender's name (Chinese clients): it
	 * begins at the lowest line from which it still matches, when the
	 * paragraph opens with a closing, a rule line or the sender's name
	 * and no line above the notice ends a sentence.
	 */
	opener = quote_closing_words(d, kept[top]) || quote_is_decoration(d,
	    kept[top]);
	named = !opener && who != NULL && !quote_ends_sentence(
	    d->line[kept[top]].s, d->line[kept[top]].len) &&
	    quote_names_sender(d, who, kept[top]) > 0;
	if (opener || named) {
		int t, k;

		for (t = last; t > top; t--) {
			a = &d->line[kept[t]];
			if (quote_any(d, QL_DISCLAIMER, a->s,
			    (size_t)(z->s + z->len - a->s)))
				break;
		}
		/* a sign-off's lines above it, and no postscript from the
		 * customer among the notice's */
		for (k = top; k < t; k++)
			if (!quote_is_signoff_line(d, kept[k]) ||
			    (quote_ends_sentence(d->line[kept[k]].s,
			    d->line[kept[k]].len) && !quote_ends_abbreviation(
			    d->line[kept[k]].s, d->line[kept[k]].len)))
				break;
		/* under the name alone, a contact line between: "Bob\nThe
		 * message you sent is confidential..." is a sentence */
		if (t > top + (named ? 1 : 0) && k == t) {
			for (k = t; k <= last; k++)
				if (quote_is_postscript(d->line[kept[k]].s,
				    d->line[kept[k]].len))
					return -1;
			return t;
		}
	}
	return top;
}

/*
 * Cut the legal notices that end the kept lines (KEPT[FIRST..*M)), one
 * paragraph each and QUOTE_NOTICE_STACK at most (a few languages; and each
 * try is bounded, as the signature's loop tries again), when they are
 * under a sign-off or signature (a short line that ends no sentence) with
 * a paragraph of text above that: a company appends them under every mail,
 * and a customer's own paragraph under "Hello," or under a sentence is
 * never one.
 */
static bool
quote_cut_notice(struct quote_doc *d, const int *kept, int first, int *m,
    const struct quote_sender *who)
{
	int last = *m - 1, cut = -1, top, notices = 0;

	while (last > first && d->line[kept[last]].blank)
		last--;
	while (last > first && notices++ < QUOTE_NOTICE_STACK &&
	    (top = quote_notice_at(d, kept, first, last, who)) > 0) {
		cut = top;
		for (last = top - 1; last > first && d->line[kept[last]].blank;
		    last--)
			;
	}
	if (cut < 0 || !quote_is_signoff_line(d, kept[last]) ||
	    (quote_ends_sentence(d->line[kept[last]].s,
	    d->line[kept[last]].len) && !quote_ends_abbreviation(
	    d->line[kept[last]].s, d->line[kept[last]].len)))
		return false;
	while (last > first && !d->line[kept[last]].blank)
		last--;
	if (last <= first)
		return false;
	*m = cut;
	return true;
}

/* Is line I only a link or a host name ("https://webmail.example")? */
static bool
quote_is_link_line(struct quote_doc *d, int i)
{
	const struct quote_line *l = &d->line[i];
	size_t p = quote_skip_blanks(l->s, 0, l->len), k;

	for (k = p; k < l->len; k++)
		if (l->s[k] == ' ' || l->s[k] == '\t')
			return false;
	/* bounded: the line is not NUL-terminated */
	return (l->len - p > 7 && g_strstr_len(l->s + p, (gssize)(l->len - p),
	    "://") != NULL) || (l->len - p > 4 && memcmp(l->s + p, "www.", 4) ==
	    0);
}

/*
 * A webmail's footer ending the kept lines: a line right under a rule
 * line, the last one or with only a link under it, short, that a
 * `footer` rule matches ("This message was sent using IMP...") and that
 * names a mail program (a `device` rule). Cut from the rule line: a
 * customer's sentence like it elsewhere, or with more text under it, or
 * without the rule over it, stays.
 */
/*
 * Does line I link to the sender's own mail domain, DOMAIN, or a host
 * under it ("http://link.interia.pl/..." from x@interia.pl)?
 */
static bool
quote_links_domain(struct quote_doc *d, int i, const char *domain)
{
	const struct quote_line *l = &d->line[i];
	const char *p = l->s, *end = l->s + l->len, *hit;
	size_t n = strlen(domain);

	while (n > 0 && p < end && (hit = memmem(p, (size_t)(end - p), "://",
	    3)) != NULL) {
		const char *host = hit + 3, *h = host;

		while (h < end && (g_ascii_isalnum(*h) || *h == '.' ||
		    *h == '-'))
			h++;
		if ((size_t)(h - host) >= n &&
		    g_ascii_strncasecmp(h - n, domain, n) == 0 &&
		    (h - n == host || h[-(ptrdiff_t)n - 1] == '.'))
			return true;
		p = h > hit ? h : hit + 3;
	}
	return false;
}

/*
 * A webmail's footer ending the kept lines: a line right under a rule
 * line, the last one or with only a link under it, short, that a
 * `footer` rule matches ("This message was sent using IMP...") and that
 * names a mail program (a `device` rule); or, as the last line of the
 * whole mail, one that links to the sender's own mail domain: the
 * advertisement a free webmail appends under a rule (Interia, o2, WP).
 * Cut from the rule line: a customer's sentence like it elsewhere, or
 * with more text under it, or without the rule over it, stays.
 */
static bool
quote_cut_footer(struct quote_doc *d, const int *kept, int first, int *m,
    const struct quote_sender *who)
{
	int last = *m - 1, q;
	const char *inner, *domain;
	size_t inner_len;
	bool ad;

	while (last > first && d->line[kept[last]].blank)
		last--;
	q = last;
	if (q > first + 2 && kept[q - 1] == kept[q] - 1 &&
	    !d->line[kept[q - 1]].blank && quote_is_link_line(d, kept[q]))
		q--;
	if (q <= first + 1 || kept[q - 1] != kept[q] - 1 ||
	    quote_separator_shape(&d->line[kept[q - 1]], &inner,
	    &inner_len) != 1 || d->line[kept[q]].len > QUOTE_CONTACT_WIDTH)
		return false;
	domain = who->addr != NULL ? strchr(who->addr, '@') : NULL;
	ad = q == last && domain != NULL && d->next_text[kept[q] + 1] >= d->n &&
	    quote_links_domain(d, kept[q], domain + 1);
	if (!ad && (!quote_line_is(d, QL_FOOTER, kept[q]) ||
	    !quote_line_is(d, QL_DEVICE, kept[q])))
		return false;
	*m = q - 1;
	return true;
}

/* Line I is a signature delimiter by the `delimiter` rules ("--"). */
static bool
quote_is_delimiter(struct quote_doc *d, int i)
{
	return !d->line[i].blank && d->line[i].len <= QUOTE_LINE_MAX &&
	    quote_line_is(d, QL_DELIMITER, i);
}

/* Did the line have the space of "-- " (RFC 3676) before its end? */
static bool
quote_delimiter_has_space(const struct quote_line *l)
{
	return l->s[l->len] == ' ';
}

/* Is line I (if any) a "-- text" line, an SQL or Lua comment? */
static bool
quote_is_dash_comment(struct quote_doc *d, int i)
{
	const struct quote_line *l;

	if (i < 0 || i >= d->n)
		return false;
	l = &d->line[i];
	return l->len > 3 && l->s[0] == '-' && l->s[1] == '-' &&
	    l->s[2] == ' ' && !g_ascii_isspace(l->s[3]);
}

static void
quote_cut_signature(struct quote_doc *d, const struct quote_context *ctx,
    const int *kept, int first, int *m)
{
	int p, count, cut, before, bare, first_bare, spaced;
	bool signature = false;
	struct quote_sender who;

	quote_sender_init(&who, ctx);
	/*
	 * The first "-- " (RFC 3676) ends the text. "--" without its space
	 * (clients strip it) does when there is no "-- ", it is the only
	 * one, and a signature's few lines follow it: two or more are
	 * grep's group separators or SQL comments. Neither counts next to
	 * a "-- comment" line: an empty SQL comment. One pass.
	 */
	for (p = first + 1, bare = 0, first_bare = -1, spaced = -1; p < *m;
	    p++) {
		if (!quote_is_delimiter(d, kept[p]))
			continue;
		/* among SQL's "-- comment" lines, an empty comment: a
		 * signature does not begin so, with or without the space */
		if (quote_is_dash_comment(d, kept[p] - 1) ||
		    quote_is_dash_comment(d, kept[p] + 1))
			continue;
		if (quote_delimiter_has_space(&d->line[kept[p]])) {
			spaced = p;
			break;
		}
		if (bare++ == 0)
			first_bare = p;
	}
	if (spaced < 0 && bare == 1) {
		for (p = first_bare + 1, count = 0; p < *m; p++)
			count += !d->line[kept[p]].blank;
		if (count <= QUOTE_SIGNATURE_TAIL)
			spaced = first_bare;
	}
	if (spaced > 0) {
		*m = spaced;
		signature = true;
	}
	/* then legal notices and signature starts, from the bottom up */
	do {
		while (*m > first + 1 && quote_is_decoration(d, kept[*m - 1]))
			(*m)--;
		if (quote_cut_footer(d, kept, first, m, &who) ||
		    quote_cut_notice(d, kept, first, m, &who)) {
			signature = true;
			cut = 1;
			continue;
		}
		cut = -1;
		for (p = *m - 1, count = 0; p > first; p--) {
			if (d->line[kept[p]].blank)
				continue;
			if (++count > QUOTE_SIGNATURE_TAIL)
				break;
			if (quote_is_signature(d, kept[p])) {
				cut = p;
				break;
			}
		}
		if (cut > 0) {
			*m = cut;
			signature = true;
		}
	} while (cut > 0);
	before = *m;
	quote_cut_signoff(d, ctx, kept, first, m);
	/* a closing left above a cut signature ("Abraço," / "-- " / name),
	 * a paragraph of its own */
	if (signature || *m < before) {
		for (p = *m; p > first + 1 && d->line[kept[p - 1]].blank; p--)
			;
		if (p > first + 1 && quote_is_valediction(d, kept, first,
		    p - 1) && (quote_starts_paragraph(d, kept, first, p - 1) ||
		    quote_is_glued_closing(d, kept, first, p - 1)))
			*m = p - 1;
	}
	quote_sender_deinit(&who);
}

/*
 * Is an address in S (LEN bytes) the desk's, DESK ("support@desk"), with
 * or without a "+extension" of its local part?
 */
static bool
quote_is_desk_address(const char *desk, const char *s, size_t len)
{
	const char *at = strchr(desk, '@');
	size_t local_len, domain_len, i;

	if (at == NULL)
		return false;
	local_len = (size_t)(at - desk);
	domain_len = strlen(at + 1);
	for (i = 0; i < len; i++) {
		size_t start = i, end, plus;

		if (s[i] != '@')
			continue;
		while (start > 0 && (g_ascii_isalnum(s[start - 1]) ||
		    strchr("._%+'-", s[start - 1]) != NULL))
			start--;
		for (plus = start; plus < i && s[plus] != '+'; plus++)
			;
		for (end = i + 1; end < len && (g_ascii_isalnum(s[end]) ||
		    s[end] == '.' || s[end] == '-'); end++)
			;
		while (end > i + 1 && s[end - 1] == '.')
			end--;
		if (plus - start == local_len &&
		    g_ascii_strncasecmp(s + start, desk, local_len) == 0 &&
		    end - i - 1 == domain_len &&
		    g_ascii_strncasecmp(s + i + 1, at + 1, domain_len) == 0)
			return true;
	}
	return false;
}

/*
 * Is the mail forwarded at line I the desk's own (a notice of ours)? The
 * first address in the header block that starts at I, or right after it,
 * says.
 */
static bool
quote_forward_is_ours(struct quote_doc *d, const struct quote_context *ctx,
    int i)
{
	int j, labels = 0;

	if (ctx == NULL || ctx->desk_addr == NULL || *ctx->desk_addr == '\0')
		return false;
	/* the block starts at I itself (a forward known by its subject), or
	 * after the marker line I */
	for (j = i; j < d->n && j < i + QUOTE_BLOCK_MAX + 3; j++) {
		struct quote_line *l = &d->line[j];

		if (l->quoted || (l->blank && labels == 0))
			continue;
		if (!quote_label_parse(l)) {
			if (j == i)
				continue;	/* the marker */
			break;
		}
		labels++;
		if (quote_value_has(d, l, &l->ev_addr, QL_ADDRESS))
			return quote_is_desk_address(ctx->desk_addr,
			    l->s + l->value, l->len - l->value);
	}
	return false;
}

/*
 * The first quote header at or after line FROM, skipping ">" and blank
 * lines, or -1; *NEXT_R gets the first line of text under it.
 */
static int
quote_next_header(struct quote_doc *d, int from, struct quote_hit *hit,
    int *next_r)
{
	int j;

	for (j = from; j < d->n; j++) {
		if (d->line[j].quoted || d->line[j].blank)
			continue;
		quote_hit_at(d, j, hit);
		if (hit->kind == QK_NONE)
			continue;
		*next_r = j + hit->span < d->n ? d->next_text[j + hit->span] :
		    d->n;
		return j;
	}
	return -1;
}

/*
 * The first quote header at or below line FROM with ">" lines under it,
 * or -2. The quote is what that header introduces: ">" lines above it,
 * under new text, are the customer's own ("> deskagent start", a shell's
 * prompt); a client quotes under its attribution, not above it. Called
 * once a text, from its first such ">" line.
 */
static int
quote_header_below(struct quote_doc *d, int from)
{
	struct quote_hit hit;
	int next = 0, j = quote_next_header(d, from, &hit, &next);

	return j >= 0 && next < d->n && d->line[next].quoted ? j : -2;
}

/*
 * The first quote header at or after FROM when the history under it is
 * not quoted (an Outlook block, Yahoo's attribution), else -2. Each call
 * scans to the first header only.
 */
static int
quote_history_below(struct quote_doc *d, int from)
{
	struct quote_hit hit;
	int next = 0, j = quote_next_header(d, from, &hit, &next);

	return j >= 0 && hit.kind == QK_HISTORY && next < d->n &&
	    !d->line[next].quoted ? j : -2;
}

/*
 * Is the run of ">" lines at FROM brought in by the line of text above
 * it (a blank line between or not) ending in a colon, with no quote
 * header below, or one with unquoted history under it further down?
 */
static bool
quote_is_introduced(struct quote_doc *d, int from)
{
	struct quote_hit hit;
	int up = from - 1, next = 0, j;

	while (up >= 0 && d->line[up].blank)
		up--;
	if (up < 0 || d->line[up].quoted ||
	    !quote_ends_colon(d->line[up].s, d->line[up].len))
		return false;
	j = quote_next_header(d, from, &hit, &next);
	return j < 0 || (hit.kind == QK_HISTORY && next < d->n &&
	    !d->line[next].quoted);
}

/*
 * Does line I, right under ">" lines, close the quote: a separator with
 * an address ("----- Ende der Nachricht von NAME <ADDR> -----", Horde's
 * end of the message it quoted)?
 */
static bool
quote_ends_quote(struct quote_doc *d, int i)
{
	const char *inner;
	size_t inner_len;

	return quote_separator_shape(&d->line[i], &inner, &inner_len) == 2 &&
	    quote_any(d, QL_ADDRESS, inner, inner_len);
}

/* Keep PASTED, the verdict for the blocks up to line END, and return it. */
static bool
quote_pasted_to(struct quote_doc *d, int end, bool pasted)
{
	if (pasted && end > d->pasted_until)
		d->pasted_until = end;
	return pasted;
}

/*
 * Does a line among the last non-blank ones in [FROM, TO) name the
 * sender (a sign-off: the name, the address, a closing and the name)?
 */
static bool
quote_signed_between(struct quote_doc *d, const struct quote_context *ctx,
    int from, int to)
{
	struct quote_sender who;
	int j, seen = 0;
	bool named = false;

	quote_sender_init(&who, ctx);
	if (who.full != NULL || who.addr != NULL)
		for (j = to - 1; j >= from && !named &&
		    seen < QUOTE_SIGNATURE_TAIL; j--) {
			if (d->line[j].blank || d->line[j].quoted)
				continue;
			seen++;
			named = quote_names_sender(d, &who, j) > 0;
		}
	quote_sender_deinit(&who);
	return named;
}

/*
 * Is the bare header block at line I (SPAN lines) one the customer
 * pasted into the text? A client writes its header over the history it
 * leaves unquoted, so history never goes on into new text and then
 * into a ">"-quoted reply under an attribution: when text follows the
 * block and a quote of that other kind follows the text, the block is
 * the customer's. The mail it heads must be a third party's (neither
 * the desk's nor the sender's own): an Outlook reply quotes the desk's
 * answer with the customer's older Gmail reply inside it. Unquoted
 * history of the same kind may follow instead when it is the desk's and
 * the text above it ends with the sender's sign-off: history quotes
 * the desk's mail first, never a third party's above the sender's name.
 */
static bool
quote_block_is_pasted(struct quote_doc *d, const struct quote_context *ctx,
    int i, int span)
{
	struct quote_sender who;
	char *value;
	bool third = false, found = false;
	int j, text = 0;

	if (ctx == NULL || ctx->desk_addr == NULL || *ctx->desk_addr == '\0')
		return false;
	/* the first address of the block's values, or of the attribution */
	for (j = i; j < i + span; j++) {
		struct quote_line *l = &d->line[j];
		const char *s = l->s;
		size_t len = l->len;

		if (quote_label_parse(l)) {
			if (!quote_value_has(d, l, &l->ev_addr, QL_ADDRESS))
				continue;
			s += l->value;
			len -= l->value;
		} else if (!quote_any(d, QL_ADDRESS, s, len))
			continue;
		if (quote_is_desk_address(ctx->desk_addr, s, len))
			return false;
		quote_sender_init(&who, ctx);
		value = quote_fold(s, len);
		third = value != NULL && (who.addr == NULL ||
		    strstr(value, who.addr) == NULL);
		g_free(value);
		quote_sender_deinit(&who);
		break;
	}
	if (!third)
		return false;
	/* one scan found it for the blocks pasted together: linear time */
	if (i < d->pasted_until)
		return true;
	for (j = i + span; j < d->n && !found; j++) {
		struct quote_hit hit;
		int next;

		if (d->line[j].quoted)
			return quote_pasted_to(d, j, text > 0);
		if (d->line[j].blank)
			continue;
		quote_hit_at(d, j, &hit);
		if (hit.kind == QK_NONE) {
			text++;
			continue;
		}
		/* more history of the same kind, unless it is the desk's
		 * answer under the sender's own sign-off: the customer's
		 * text went on under the block */
		if (hit.block && quote_forward_is_ours(d, ctx, j))
			return quote_pasted_to(d, j, text > 0 &&
			    quote_signed_between(d, ctx, i + span, j));
		/* another third party's block: pasted with this one, or a
		 * thread that the desk's header ends without a sign-off */
		if (hit.block) {
			j += hit.span - 1;
			continue;
		}
		next = j + hit.span < d->n ? d->next_text[j + hit.span] : d->n;
		found = next < d->n && d->line[next].quoted;
	}
	return quote_pasted_to(d, j, found && text > 0);
}

/*
 * LINE's text past its quote marks and blanks, as a line that is not
 * quoted, its evidence not known yet: what a header inside a quote
 * reads like.
 */
static struct quote_line
quote_unquoted(const struct quote_line *l)
{
	struct quote_line v = *l;
	size_t p = 0;

	while (p < v.len && (v.s[p] == '>' || v.s[p] == ' ' ||
	    v.s[p] == '\t'))
		p++;
	v.s += p;
	v.len -= (uint32_t)p;
	v.quoted = v.initials = false;
	v.blank = v.len == 0;
	v.label = v.ev_addr = v.ev_date = v.ev_field = v.ev_pasted = -1;
	return v;
}

/*
 * Does line I begin a forwarded mail that is quoted, as Apple Mail's
 * plain text has it ("Begin forwarded message:", itself quoted or not,
 * then "> From: ...")? The marker's words alone on the line, ending in a
 * colon, no date; then, within a few lines, two quoted "Label: value"
 * lines, one with a known label or an address.
 */
static bool
quote_quoted_forward_at(struct quote_doc *d, int i)
{
	struct quote_line marker = quote_unquoted(&d->line[i]), v;
	int j, labels = 0, known = 0;

	/* the shape first, the rules last: most lines fail early */
	if (marker.blank || marker.len > QUOTE_MARKER_MAX ||
	    !quote_ends_colon(marker.s, marker.len) ||
	    quote_words(marker.s, marker.len) > QUOTE_MARKER_WORDS)
		return false;
	for (j = i + 1; j < d->n && j <= i + 3 && d->line[j].blank; j++)
		;
	if (j >= d->n || j > i + 3 || !d->line[j].quoted ||
	    !quote_any(d, QL_FORWARD, marker.s, marker.len) ||
	    quote_any(d, QL_DATE, marker.s, marker.len))
		return false;
	for (j = i + 1; j < d->n && j <= i + 3 + labels &&
	    labels < QUOTE_BLOCK_MAX; j++) {
		if (!d->line[j].quoted && !d->line[j].blank)
			return false;
		v = quote_unquoted(&d->line[j]);
		if (v.blank) {
			if (labels > 0)
				return false;
			continue;
		}
		if (!quote_label_parse(&v))
			return false;
		labels++;
		known += quote_value_has(d, &v, &v.ev_field, QL_FIELD) ||
		    quote_value_has(d, &v, &v.ev_addr, QL_ADDRESS);
		if (labels >= 2 && known >= 1)
			return true;
	}
	return false;
}

/*
 * Is the attribution at line I (HIT) one the customer cites in the text
 * ("I got only this line:" over "On ..., Help Desk wrote:")? The text
 * above it ends in a colon, text that is not quoted follows it, and a
 * real quote header, with ">" lines under it, comes further down: a
 * client's own attribution heads the history it quotes, never more of
 * the customer's words.
 */
static bool
quote_attribution_is_cited(struct quote_doc *d, int i,
    const struct quote_hit *hit)
{
	int above = i - 1, below;

	if (hit->block || hit->span < 1)
		return false;
	while (above >= 0 && d->line[above].blank)
		above--;
	below = i + hit->span < d->n ? d->next_text[i + hit->span] : d->n;
	if (above < 0 || d->line[above].quoted || !quote_ends_colon(
	    d->line[above].s, d->line[above].len) || below >= d->n ||
	    d->line[below].quoted)
		return false;
	return quote_header_below(d, below) >= 0;
}

/* ---- the pass ---- */

static void
quote_index_free(gpointer p)
{
	struct quote_index *ix = p;
	int l;

	for (l = 0; l < QL_COUNT; l++) {
		rules_group_free(ix->group[l]);
		g_ptr_array_unref(ix->by[l]);
	}
	rules_group_free(ix->explicit_group);
	g_ptr_array_unref(ix->explicit);
	g_free(ix);
}

/* QUOTES grouped by label, built at the first use and kept with them. */
static struct quote_index *
quote_index_of(struct rules *quotes)
{
	GQuark key = g_quark_from_static_string("deskgate-quote-index");
	struct quote_index *ix = rules_get_qdata(quotes, key);
	guint r;
	int l;

	if (ix != NULL)
		return ix;
	ix = g_new0(struct quote_index, 1);
	for (l = 0; l < QL_COUNT; l++)
		ix->by[l] = g_ptr_array_new();
	for (r = 0; r < rules_count(quotes); r++) {
		const struct rule *rule = rules_get(quotes, r);

		for (l = 0; l < QL_COUNT; l++)
			if (strcmp(rule->label, quote_labels[l].label) == 0 &&
			    strcmp(rule->field, quote_labels[l].field) == 0)
				g_ptr_array_add(ix->by[l], (gpointer)rule);
	}
	ix->explicit = g_ptr_array_new();
	g_ptr_array_extend(ix->explicit, ix->by[QL_ORIGINAL], NULL, NULL);
	g_ptr_array_extend(ix->explicit, ix->by[QL_HEADER], NULL, NULL);
	g_ptr_array_extend(ix->explicit, ix->by[QL_HEADER_QUOTED], NULL, NULL);
	rules_set_qdata_full(quotes, key, ix, quote_index_free);
	return ix;
}

/*
 * Does the line S (LEN bytes, from its first non-blank) quote? ">", or
 * the initials of the author before it ("СП> ", "JS>"), as The Bat! and
 * SuperCite-style clients quote: one to three capital letters.
 */
static bool
quote_is_quoted(const char *s, size_t len)
{
	size_t k = 0;
	int letters = 0;

	/* three letters of four bytes at most come before the ">" */
	if (memchr(s, '>', MIN(len, 13)) == NULL)
		return false;
	while (k < len && letters <= 3 && s[k] != '>') {
		gunichar c = g_utf8_get_char_validated(s + k, (gssize)(len - k));

		if (c == (gunichar)-1 || c == (gunichar)-2 ||
		    !g_unichar_isupper(c))
			return false;
		letters++;
		k = (size_t)(g_utf8_next_char(s + k) - s);
	}
	return k < len && s[k] == '>' && letters <= 3;
}

static void
quote_doc_init(struct quote_doc *d, struct rules *quotes, char *buf)
{
	char *p = buf, *end = buf + strlen(buf);
	int i, n = 1;

	memset(d, 0, sizeof(*d));
	d->rules = quotes;
	d->ix = quote_index_of(quotes);
	d->by = d->ix->by;
	/*
	 * The lines counted first, so the array is allocated once: a plain
	 * loop, which the compiler makes wide, where a memchr call a line
	 * would cost more than the bytes of a short one.
	 */
	for (p = buf; p < end; p++)
		n += *p == '\n';
	d->line = g_new0(struct quote_line, n);
	for (i = 0, p = buf; i < n; i++) {
		struct quote_line *line = &d->line[i];
		char *eol = p < end && *p != '\n' ? memchr(p, '\n',
		    (size_t)(end - p)) : p;
		size_t len, k;

		if (eol == NULL)
			eol = end;
		len = (size_t)(eol - p);

		line->s = p;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' ||
		    p[len - 1] == '\f' || p[len - 1] == '\v'))
			len--;
		line->len = (uint32_t)len;
		k = quote_skip_blanks(p, 0, len);
		line->blank = k == len;
		line->quoted = !line->blank && quote_is_quoted(p + k, len - k);
		line->initials = line->quoted && p[k] != '>';
		line->label = line->ev_addr = line->ev_date = line->ev_field =
		    line->ev_pasted = -1;
		p = eol + 1;
	}
	d->n = n;
	d->grouped = d->n >= QUOTE_GROUP_LINES;
	d->next_text = g_new(int, d->n + 1);
	d->next_text[d->n] = d->n;
	for (i = d->n - 1; i >= 0; i--)
		d->next_text[i] = d->line[i].blank ? d->next_text[i + 1] : i;
	d->join = g_string_new(NULL);
	d->scratch = g_string_new(NULL);
}

static void
quote_doc_deinit(struct quote_doc *d)
{
	g_free(d->line);
	g_free(d->next_text);
	g_string_free(d->join, TRUE);
	g_string_free(d->scratch, TRUE);
}

static bool
quote_is_forward_mail(struct quote_doc *d, const struct quote_context *ctx)
{
	guint r;

	if (ctx == NULL || ctx->subject == NULL)
		return false;
	for (r = 0; r < d->by[QL_FORWARD_SUBJECT]->len; r++)
		if (rules_match(d->rules, g_ptr_array_index(
		    d->by[QL_FORWARD_SUBJECT], r), ctx->subject,
		    strlen(ctx->subject), NULL, NULL))
			return true;
	return false;
}

static void
quote_append_line(GString *out, const struct quote_line *l, bool *blank)
{
	if (l->blank) {
		*blank = out->len > 0;
		return;
	}
	if (out->len > 0)
		g_string_append(out, *blank ? "\n\n" : "\n");
	*blank = false;
	g_string_append_len(out, l->s, (gssize)l->len);
}

/*
 * The length of the answer marker at S (LEN bytes), or 0: a bracketed
 * tag with a letter in it ("[GP]", not a footnote's "[1]"), initials
 * with ':' or '>' ("GP:"), a short word that is not in lower case with a
 * colon ("Resp:", "Отв:", "答："), or a short run of arrow signs ("-->",
 * "=>", "<<"), each followed by a blank or the end. *NAME_LEN is how much
 * of it the text above must name: initials are named without their ':'
 * or '>' ("answers marked BS"), a word with its colon.
 */
static size_t
quote_marker_len(const char *s, size_t len, size_t *name_len)
{
	size_t k = 0;
	bool letter = false, arrow = false;

	if (len > 0 && s[0] == '[') {
		for (k = 1; k < len && k <= 21 && s[k] != ']' &&
		    !g_ascii_isspace(s[k]); k++)
			letter = letter || !g_ascii_isdigit(s[k]);
		if (k >= len || s[k] != ']' || k == 1 || !letter)
			return 0;
		k++;
		*name_len = k;
	} else if (len > 0 && g_ascii_isupper(s[0]) && len > 1 &&
	    (g_ascii_isupper(s[1]) || s[1] == ':' || s[1] == '>')) {
		while (k < len && k < 5 && g_ascii_isupper(s[k]))
			k++;
		if (k > 4 || k >= len || (s[k] != ':' && s[k] != '>'))
			return 0;
		*name_len = k;
		k++;
	} else if (len > 0 && ((unsigned char)s[0] >= 0x80 ||
	    g_ascii_isalpha(s[0]))) {
		/* up to 6 letters; the first a capital or of a script
		 * without case (CJK) */
		const char *p = s, *end = s + len;
		int letters = 0;
		gunichar c = g_utf8_get_char_validated(p, end - p);

		if (c == (gunichar)-1 || c == (gunichar)-2 ||
		    g_unichar_islower(c))
			return 0;
		while (p < end && letters <= 6) {
			c = g_utf8_get_char_validated(p, end - p);
			if (c == (gunichar)-1 || c == (gunichar)-2 ||
			    !g_unichar_isalpha(c))
				break;
			letters++;
			p = g_utf8_next_char(p);
		}
		if (letters == 0 || letters > 6 || p >= end)
			return 0;
		k = (size_t)(p - s);
		/* the full-width colon (U+FF1A): CJK text goes on without
		 * a blank after it */
		if (end - p >= 3 && memcmp(p, "\xef\xbc\x9a", 3) == 0) {
			*name_len = k + 3;
			return k + 3;
		}
		if (*p != ':')
			return 0;
		*name_len = ++k;
	} else {
		while (k < len && k < 6 && strchr("-=<>~", s[k]) != NULL) {
			arrow = arrow || s[k] == '<' || s[k] == '>';
			k++;
		}
		if (k < 2 || k > 5 || !arrow)
			return 0;
		*name_len = k;
	}
	return k == len || g_ascii_isspace(s[k]) ? k : 0;
}

/* Does the text of line L hold the MARKER (LEN bytes) as a word? */
static bool
quote_line_names(const struct quote_line *l, const char *marker, size_t len)
{
	const char *p = l->s, *end = l->s + l->len, *hit;

	while (len > 0 && p < end && (hit = memmem(p, (size_t)(end - p),
	    marker, len)) != NULL) {
		bool before = hit == l->s || !g_ascii_isalnum(hit[-1]);
		bool after = hit + len == end || !g_ascii_isalnum(hit[len]);

		if (before && after)
			return true;
		p = hit + 1;
	}
	return false;
}

/* Does line L begin with the answer MARKER (LEN bytes)? */
static bool
quote_starts_with_marker(const struct quote_line *l, const char *marker,
    size_t len)
{
	size_t at = quote_skip_blanks(l->s, 0, l->len), name_len;

	return l->len - at >= len && memcmp(l->s + at, marker, len) == 0 &&
	    quote_marker_len(l->s + at, l->len - at, &name_len) == len;
}

/*
 * Is line L written in capitals: two capital letters or more, and none
 * in lower case ("SIM, NO DIA 19.")?
 */
static bool
quote_is_shouted(struct quote_doc *d, const struct quote_line *l)
{
	const char *p = l->s, *end = l->s + l->len;
	int upper = 0, lower = 0, letters = 0;

	while (p < end) {
		const char *word = p, *stop;

		while (p < end && *p != ' ' && *p != '\t')
			p++;
		stop = p;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		/* an address or a link keeps its case */
		if (memchr(word, '@', (size_t)(stop - word)) != NULL ||
		    g_strstr_len(word, stop - word, "://") != NULL)
			continue;
		for (; word < stop; word = g_utf8_next_char(word)) {
			gunichar c = g_utf8_get_char_validated(word,
			    stop - word);

			if (c == (gunichar)-1 || c == (gunichar)-2)
				return false;
			upper += g_unichar_isupper(c);
			lower += g_unichar_islower(c);
			letters += g_unichar_isalpha(c);
		}
	}
	/* all capitals, or nearly ("USE v4.2 PLEASE"); a one-letter answer
	 * ("N") on a line of its own */
	if (upper == 0 || lower * 5 > upper ||
	    (upper == 1 && (letters > 1 || l->len > 3)))
		return false;
	/* a notice in capitals in the history is none of the answers */
	return !quote_any(d, QL_DISCLAIMER, l->s, l->len);
}

/*
 * Does the text of line L name the word marker (a word and its colon)
 * in quotes ("marked \"Resp:\"", "以“答：”开头")? A label a line merely
 * begins with ("Tel: 555") names nothing.
 */
static bool
quote_line_names_quoted(const struct quote_line *l, const char *marker,
    size_t len)
{
	static const char *const opening[] = {
		"\"", "'", "(", "\xe2\x80\x9c", "\xe2\x80\x98", "\xc2\xab",
		"\xe2\x80\x9e", "\xe3\x80\x8c", "\xe3\x80\x8e",
	};
	const char *p = l->s, *end = l->s + l->len, *hit;
	size_t i;

	while (len > 0 && p < end && (hit = memmem(p, (size_t)(end - p),
	    marker, len)) != NULL) {
		for (i = 0; i < G_N_ELEMENTS(opening); i++) {
			size_t n = strlen(opening[i]);

			if ((size_t)(hit - l->s) >= n &&
			    memcmp(hit - n, opening[i], n) == 0)
				return true;
		}
		p = hit + 1;
	}
	return false;
}

/*
 * Outlook and OWA do not quote the history, so customers answer inside
 * it, each answer under its question, starting with a marker their text
 * above names ("answers below, marked [GP]", "mit --> markiert"): the
 * trimmer's cut at the quote header would take the answers with the
 * history. From line FROM on, the lines that begin with a marker one of
 * the kept lines names, with the lines glued under each, are appended to
 * OUT, a blank line between them: the answers without the questions, as
 * for answers between ">" lines. A marker is judged by its shape and its
 * mention, not by words of a language.
 */
/* The kept line after K that is read for how answers are marked: the
 * lines from SAID_TOP to SAID_END (-1: none) are skipped. */
static int
quote_said_next(int k, int said_top, int said_end)
{
	return k + 1 == said_top ? said_end : k + 1;
}

static void
quote_history_answers(struct quote_doc *d, const struct quote_context *ctx,
    const int *kept, int first, int m, int from, GString *out)
{
	const char *marker = NULL;
	size_t marker_len = 0, name_len = 0;
	GHashTable *asked;	/* the markers looked for in the text */
	int i, k, said_top = -1, said_end = -1;
	bool blank, in_answer = false, capitals = false, colour = false;

	/*
	 * What says how the answers are marked is said near the top or the
	 * end of the text ("answers below in red"): only the first and last
	 * QUOTE_ANSWERS_SAID kept lines are read, so a long text costs no
	 * more than a short one.
	 */
	if (m - first > 2 * QUOTE_ANSWERS_SAID) {
		said_top = first + QUOTE_ANSWERS_SAID;
		said_end = m - QUOTE_ANSWERS_SAID;
	}
	/*
	 * Each distinct marker is looked for in the text once, and only so
	 * many of them: a pasted header block repeated over 1 MB has a
	 * "From:" on every few lines.
	 */
	asked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (i = from; i < d->n && marker == NULL &&
	    g_hash_table_size(asked) < QUOTE_MARKERS_ASKED; i++) {
		const struct quote_line *l = &d->line[i];
		size_t at = quote_skip_blanks(l->s, 0, l->len);
		size_t len = quote_marker_len(l->s + at, l->len - at,
		    &name_len);
		bool word;
		char *key;

		if (len == 0 || at == l->len)
			continue;
		key = g_strndup(l->s + at, name_len);
		if (!g_hash_table_add(asked, key))
			continue;	/* asked already */
		/* a word and its colon: named in quotes, and no label of
		 * a header block ("From:") */
		word = name_len == len && (g_ascii_isalpha(l->s[at]) ||
		    (unsigned char)l->s[at] >= 0x80);
		if (word && quote_any(d, QL_FIELD, l->s + at, len -
		    (l->s[at + len - 1] == ':' ? 1 : 3)))
			continue;
		for (k = first; k < m; k = quote_said_next(k, said_top,
		    said_end))
			if (word ? quote_line_names_quoted(&d->line[kept[k]],
			    l->s + at, name_len) :
			    quote_line_names(&d->line[kept[k]], l->s + at,
			    name_len))
				break;
		if (k < m) {
			marker = l->s + at;
			marker_len = len;
		}
	}
	g_hash_table_destroy(asked);
	/*
	 * Without a marker: "answered below in capitals" (a line that
	 * speaks of answers and of capitals) makes the lines in capitals
	 * the answers; "my answers in blue", the HTML's text in colour,
	 * which the text part lost.
	 */
	for (k = first; k < m && marker == NULL && !capitals;
	    k = quote_said_next(k, said_top, said_end)) {
		const struct quote_line *l = &d->line[kept[k]];

		if (quote_any(d, QL_ANSWERS, l->s, l->len)) {
			capitals = quote_any(d, QL_CAPITALS, l->s, l->len);
			colour = colour || (ctx != NULL && ctx->html != NULL &&
			    quote_any(d, QL_COLOUR, l->s, l->len));
		}
	}
	if (marker == NULL && !capitals && colour) {
		char *answers = html_coloured_answers(ctx->html,
		    strlen(ctx->html));

		if (*answers != '\0') {
			g_string_append(out, out->len > 0 ? "\n\n" : "");
			g_string_append(out, answers);
		}
		g_free(answers);
		return;
	}
	if (marker == NULL && !capitals)
		return;
	for (i = from; i < d->n; i++) {
		const struct quote_line *l = &d->line[i];

		if (l->blank) {
			in_answer = false;
			continue;
		}
		if (capitals ? quote_is_shouted(d, l) :
		    quote_starts_with_marker(l, marker, marker_len)) {
			/* an answer in capitals goes on over its lines */
			if (!capitals || !in_answer)
				blank = out->len > 0;
			in_answer = true;
		} else if (!in_answer || capitals) {
			in_answer = false;
			continue;
		}
		/* a line right above the next answer is its question */
		else if (i + 1 < d->n && quote_starts_with_marker(
		    &d->line[i + 1], marker, marker_len)) {
			in_answer = false;
			continue;
		}
		quote_append_line(out, l, &blank);
	}
}

/*
 * The new text of TEXT; a reply that only quotes gives all of TEXT with
 * KEEP_ALL, else the empty string (the HTML path then falls back to the
 * text without quote marks).
 */
static char *
quote_trim_lines(struct rules *quotes, const char *text,
    const struct quote_context *ctx, bool keep_all)
{
	struct quote_doc d;
	char *buf = g_strdup(text), *p, *w;
	GString *out = g_string_new(NULL);
	/* HEADER: -1 not looked for, -2 none, else its line */
	int *kept, m = 0, i, first, forward = -1, header = -1;
	/* HISTORY: the first quote header below with unquoted history
	 * under it; -1 not looked for, -2 none, else its line */
	int history = -1;
	int answers = -1;	/* where unquoted history begins, or -1 */
	bool glued = false;	/* ">" lines right under a line of text */
	bool forward_mail, blank = false, said = false, after_quote = false;
	bool headed = false;	/* a quote header went: initials quote */
	bool introduced = false;	/* a paragraph of cited ">" lines */

	/* a line's length is 32 bits: a text beyond (no limit of the
	 * configuration allows one) is kept whole, never cut short */
	if (strlen(text) > UINT32_MAX) {
		g_free(buf);
		g_string_free(out, TRUE);
		return g_strdup(text);
	}
	/* CR LF and a lone CR become LF, in place, in one pass (a " LF"
	 * would make a "--" the "-- " of a signature) */
	for (p = buf, w = buf; *p != '\0'; p++) {
		if (*p == '\r' && p[1] == '\n')
			continue;
		*w++ = *p == '\r' ? '\n' : *p;
	}
	*w = '\0';
	quote_doc_init(&d, quotes, buf);
	forward_mail = quote_is_forward_mail(&d, ctx);
	kept = g_new(int, d.n);
	for (i = 0; i < d.n; i++) {
		struct quote_hit hit;
		int next;

		/* a forwarded mail quoted under the customer's comment */
		if (said && !headed && !d.line[i].blank &&
		    quote_ends_colon(d.line[i].s, d.line[i].len) &&
		    quote_quoted_forward_at(&d, i) &&
		    !quote_forward_is_ours(&d, ctx, i)) {
			forward = i;
			break;
		}
		/* "SQL> select", "ERR> ..." with no quote header above are
		 * the text; The Bat! writes "Вы писали ...:" first */
		if (d.line[i].quoted && d.line[i].initials && !headed) {
			kept[m++] = i;
			said = true;
			after_quote = false;
			continue;
		}
		if (d.line[i].quoted) {
			after_quote = true;
			/* new text above, no header yet, the quote header
			 * below: a prompt */
			if (said && header == -1)
				header = quote_header_below(&d, i);
			if (said && i < header) {
				kept[m++] = i;
				continue;
			}
			/*
			 * ">" lines the customer's own line ending in a colon
			 * brings in ("the dialog says:", a REPL's ">>>"), with
			 * no quote header above and none but unquoted history
			 * below: a client quotes under its attribution, so
			 * these are cited by the customer; the paragraph
			 * stays
			 */
			if (!introduced && said && !headed && i > 0 &&
			    !d.line[i - 1].quoted)
				introduced = quote_is_introduced(&d, i);
			if (introduced) {
				kept[m++] = i;
				continue;
			}
			/* ">" lines glued under a line of text, over history
			 * that is not quoted: output the customer pasted (a
			 * shell's ">>" continuation), not a quote */
			glued = said && (glued || (i > 0 &&
			    !d.line[i - 1].blank && !d.line[i - 1].quoted));
			if (glued && history == -1)
				history = quote_history_below(&d, i);
			if (glued && i < history)
				kept[m++] = i;
			else
				glued = false;
			continue;
		}
		glued = false;
		if (d.line[i].blank) {
			introduced = false;
			kept[m++] = i;
			continue;
		}
		if (after_quote && quote_ends_quote(&d, i))
			continue;
		after_quote = false;
		quote_hit_at(&d, i, &hit);
		if (hit.kind == QK_FORWARD ||
		    (hit.kind == QK_HISTORY && hit.block && forward_mail)) {
			if (!quote_forward_is_ours(&d, ctx, i)) {
				forward = i;
				break;
			}
			hit.kind = QK_HISTORY;	/* our own notice, forwarded */
		}
		if (hit.kind == QK_HISTORY && (hit.bare || hit.block) &&
		    (quote_block_is_pasted(&d, ctx, i, hit.span) ||
		    (said && quote_attribution_is_cited(&d, i, &hit)))) {
			for (next = i; next < i + hit.span; next++)
				kept[m++] = next;
			i += hit.span - 1;
			continue;
		}
		if (hit.kind != QK_NONE) {
			if (header < i)
				header = -2;	/* the quote is below */
			next = i + hit.span < d.n ? d.next_text[i + hit.span] :
			    d.n;
			if (hit.kind == QK_QUOTED_NOW)
				next = i + hit.span;
			/*
			 * ">" lines follow, or nothing does (the quote was an
			 * HTML element, already dropped): the header goes
			 */
			if ((next < d.n && d.line[next].quoted) ||
			    (next >= d.n && hit.kind != QK_QUOTED_NOW)) {
				i += hit.span - 1;
				headed = true;
				continue;
			}
			if (hit.kind == QK_HISTORY) {
				answers = i + hit.span;
				break;		/* unquoted history follows */
			}
		}
		kept[m++] = i;
		said = true;	/* some new text */
	}
	for (first = 0; first < m && d.line[kept[first]].blank; first++)
		;
	if (first < m && !(ctx != NULL && ctx->flags & QUOTE_KEEP_SIGNATURE)) {
		quote_cut_signature(&d, ctx, kept, first, &m);
		/* a forward with no comment but the sender's signature */
		if (forward >= 0 && quote_is_contact_block(&d, ctx, kept,
		    first, m))
			m = first;
	}
	while (m > first && quote_is_decoration(&d, kept[m - 1]))
		m--;
	for (i = first; i < m; i++)
		quote_append_line(out, &d.line[kept[i]], &blank);
	if (answers >= 0)
		quote_history_answers(&d, ctx, kept, first, m, answers, out);
	if (forward >= 0) {
		blank = out->len > 0;
		for (i = forward; i < d.n; i++)
			quote_append_line(out, &d.line[i], &blank);
	}
	/* nothing left (a reply that only quotes): keep it all */
	if (keep_all && out->len == 0 && text[strspn(text, " \t\r\n")] != '\0') {
		g_string_assign(out, text);
		g_strstrip(out->str);
		out->len = strlen(out->str);
	}
	g_free(kept);
	quote_doc_deinit(&d);
	g_free(buf);
	return g_string_free(out, FALSE);
}

char *
quote_trim_with(struct rules *quotes, const char *text,
    const struct quote_context *ctx)
{
	return quote_trim_lines(quotes, text, ctx, true);
}

char *
quote_trim(struct rules *quotes, const char *text)
{
	return quote_trim_with(quotes, text, NULL);
}

/* quote_html_reply() on HTML's text with its quotes marked, MARKED */
static char *
quote_marked_reply(struct rules *quotes, const char *marked,
    const char *text, const struct quote_context *ctx)
{
	char *reply = quote_trim_lines(quotes, marked, ctx, false);

	/* only quotes: the whole text, as the client shows it */
	if (*reply == '\0' && text != NULL) {
		g_free(reply);
		reply = quote_trim_with(quotes, text, ctx);
	}
	return reply;
}

char *
quote_html_reply(struct rules *quotes, const char *html, size_t len,
    const char *text, const struct quote_context *ctx)
{
	char *reply, *marked;

	marked = html_to_text(html, len, HTML_MARK_QUOTES);
	reply = quote_marked_reply(quotes, marked, text, ctx);
	g_free(marked);
	return reply;
}

char *
quote_reply_text(struct rules *quotes, const struct mail *mail,
    const char *desk_addr)
{
	struct quote_context ctx = {
		.subject = mail->subject,
		.from_name = mail->from_name,
		.from_addr = mail->from_addr,
		.desk_addr = desk_addr,
		.html = mail->html != NULL ? mail->html :
		    mail->html_alternative,
	};

	if (mail->html == NULL || strcmp(mail->text_type, "text/html") != 0)
		return quote_trim_with(quotes, mail->text, &ctx);
	if (mail->html_marked != NULL)
		return quote_marked_reply(quotes, mail->html_marked,
		    mail->text, &ctx);
	return quote_html_reply(quotes, mail->html, strlen(mail->html),
	    mail->text, &ctx);
}
