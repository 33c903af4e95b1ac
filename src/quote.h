/*
 * quote.h - the new text of a reply, without quoted history and signature.
 *
 * The evidence and the explicit rules are in filters/quotes.rules (see its
 * comment for the labels); how a quote header is recognised by its shape
 * is in doc/ARCHITECTURE.md ("Trimming"). The full original text is
 * always stored; only the text shown to people is trimmed. When in doubt
 * the text is kept: a quote header counts only when the history it
 * announces follows it, a signature only when a few lines follow it,
 * nothing is cut at the first line, a forwarded mail is kept, and a reply
 * that is nothing but a quote is kept whole.
 */
#ifndef DESK_QUOTE_H
#define DESK_QUOTE_H

#include "mime-message.h"
#include "rules.h"

/* Trim the quoted history only: leave signatures and sign-offs. */
#define QUOTE_KEEP_SIGNATURE	0x1

/*
 * struct quote_context - what the mail says about the text, all optional:
 * a forward's subject (Fwd:, WG:...) makes the first header block the
 * forwarded mail rather than history, unless the mail forwarded is the
 * desk's own (its first address is DESK_ADDR, with or without a
 * "+extension"); the sender's name or address lets a sign-off that ends
 * the text go ("Best regards,\nBob").
 */
struct quote_context {
	const char *subject;	/* or NULL */
	const char *from_name;	/* or NULL or "" */
	const char *from_addr;	/* or NULL or "" */
	const char *desk_addr;	/* "support@desk.example", or NULL */
	unsigned flags;		/* QUOTE_KEEP_SIGNATURE */
	const char *html;	/* the mail's HTML (UTF-8), or NULL: read
				 * only for answers marked by colour */
};

/*
 * quote_trim - the reply text of TEXT (UTF-8), by the rules of QUOTES,
 * without a context. (transfer full)
 */
char *quote_trim(struct rules *quotes, const char *text);

/*
 * quote_trim_with - the same with CTX (may be NULL). Time and memory are
 * linear in the length of TEXT. From QUOTE_GROUP_LINES lines on, each
 * label's rules match as one alternation (rules_group_new): the same
 * result, quicker on a long text, costlier to set up on a short one.
 * (transfer full)
 */
#define QUOTE_GROUP_LINES	1000
char *quote_trim_with(struct rules *quotes, const char *text,
    const struct quote_context *ctx);

/*
 * quote_html_reply - the reply text of HTML (LEN bytes): the text of the
 * tree without the elements that hold quoted history, trimmed like plain
 * text; TEXT (may be NULL), trimmed, when that leaves nothing.
 * (transfer full)
 */
char *quote_html_reply(struct rules *quotes, const char *html, size_t len,
    const char *text, const struct quote_context *ctx);

/*
 * quote_reply_text - the new text of MAIL: its HTML without the quoted
 * elements when the text came from HTML, then trimmed like plain text,
 * with the mail's subject and sender and the desk's address DESK_ADDR
 * (may be NULL) as the context. (transfer full)
 */
char *quote_reply_text(struct rules *quotes, const struct mail *mail,
    const char *desk_addr);

/*
 * quote_rule_is_known - whether quote.c reads rules labelled LABEL on
 * FIELD (intake.c refuses a quotes.rules with any other).
 */
bool quote_rule_is_known(const char *label, const char *field);

#endif
