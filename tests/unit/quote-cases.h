/*
 * quote-cases.h - the texts that must trim in linear time: what
 * tests/unit/test-quote.c checks for linearity at two sizes and what
 * bench/quote-time.c times at 1 MB against the 50 ms target: plain text
 * (quote_trim_with) and HTML (quote_html_reply). A case is HEAD, then
 * UNIT repeated up to the size, then TAIL.
 */
#ifndef DESK_QUOTE_CASES_H
#define DESK_QUOTE_CASES_H

#include <glib.h>
#include <malloc.h>

struct linear_case {
	const char *what;
	const char *head, *unit, *tail;
};

static const struct linear_case linear_cases[] G_GNUC_UNUSED = {
	{ "a reply with a long quote", "Thanks, that works.\n\n",
	  "> On Wed, Nov 25, 2026 at 10:00 AM Help Desk <s@desk.test> wrote:\n"
	  "> Dear Bob, please try again at 10:00.\n>\n", "" },
	{ "a reply of new text only", "",
	  "The import stops at row 120 at 10:00, see error@log.example:\n"
	  "From: the cron job\n\n", "\nBob\n" },
	{ "one line without an end", "", "aaaaaaaaaaaaaaaaaaaaaaaa", "" },
	{ "one line of '>'", "Hi\n", ">>>>>>>>>>>>>>>>>>>>>>>>", "" },
	{ "a pasted log", "The import fails:\n\n",
	  "2026-11-26 07:55:01 ERROR import: row 120: cannot connect\n", "" },
	{ "a '>' on each line", "Hi\n", ">\n", "" },
	{ "blank lines", "Hi\n", "\n", "-- \nBob\n" },
	{ "lines ending in a colon with a date", "Hi\n",
	  "On 25.11.2026 10:00 Help Desk <s@desk.test>:\n", "" },
	{ "label lines", "Hi\n", "From: Help Desk <s@desk.test>\n", "" },
	{ "separator lines", "Hi\n", "-----Original Message-----\n", "" },
	{ "short lines", "Hi\n", "Bob\n", "" },
	{ "an attribution folded forever", "Hi\n",
	  "On Wed, Nov 25, 2026 at 10:00 AM Help Desk <\n", "" },
	{ "a very long label", "Hi\n",
	  "From From From From From From From From From From From: x\n", "" },
	{ "legal notices and signature lines under a sentence", "Hi.\n\n",
	  "This email is confidential.\nSent from my iPhone\n\n", "" },
	{ "pasted header blocks, then the sign-off and the desk's",
	  "Look:\n\n", "From: Ann <ann@x.example>\nDate: 24 Nov 2026 03:00\n"
	  "Subject: x\n\nSee.\n\n", "Bob Smith\n\nFrom: Help Desk "
	  "<s@desk.test>\nDate: 23 Nov 2026 03:00\nSubject: x\n\nAnswer.\n" },
};

/* HTML replies, trimmed by quote_html_reply(): the tree and the text */
static const struct linear_case html_cases[] G_GNUC_UNUSED = {
	{ "HTML: a reply with a long blockquote",
	  "<html><body><div>Thanks, that works.</div><blockquote type=\"cite\">",
	  "<p>On Wed, Nov 25, 2026 at 10:00 AM Help Desk &lt;s@desk.test&gt; "
	  "wrote:</p><p>Dear Bob, please try again.</p>",
	  "</blockquote></body></html>" },
	{ "HTML: paragraphs of new text", "<html><body>",
	  "<div>The import stops at row 120, see <b>the log</b> at "
	  "<a href=\"https://x.example/log\">the link</a>.</div>",
	  "</body></html>" },
	{ "HTML: empty lines", "<html><body>", "<div><br></div>",
	  "</body></html>" },
	{ "HTML: table rows", "<html><body><table>",
	  "<tr><td>a</td><td>b</td></tr>", "</table></body></html>" },
	{ "HTML: nested blockquotes", "<html><body><div>Hi</div>",
	  "<blockquote>", "</body></html>" },
};

static char *repeat_text(const char *head, const char *unit, size_t size,
    const char *tail) G_GNUC_UNUSED;

/* A text of about SIZE bytes: UNIT repeated, then TAIL. (transfer full) */
static char *
repeat_text(const char *head, const char *unit, size_t size, const char *tail)
{
	GString *out = g_string_new(head);

	while (out->len < size)
		g_string_append(out, unit);
	g_string_append(out, tail);
	return g_string_free(out, FALSE);
}

/*
 * Each large block from fresh pages, as in a process that trims one
 * message (deskgate runs once a mail): glibc would otherwise keep a
 * freed block below its adaptive mmap threshold (at most 32 MB) and
 * serve the next run from pages already touched, so that the smaller
 * size ran without the page faults the larger one still pays, and the
 * ratio of the two measured the allocator, not the trimmer.
 */
static void quote_cases_fresh_pages(void) G_GNUC_UNUSED;
static void
quote_cases_fresh_pages(void)
{
#ifdef M_MMAP_THRESHOLD		/* glibc's */
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
#endif
}

#endif
