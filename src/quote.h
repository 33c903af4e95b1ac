/*
 * quote.h - the new text of a reply, without quoted history and signature.
 *
 * The rules are in filters/quotes.rules (see its comment for the labels).
 * The full original text is always stored; only the text shown to people
 * is trimmed. When in doubt the text is kept: a quote header counts only
 * when the history it announces follows it, a signature only when a few
 * lines follow it, and nothing is cut at the first line.
 */
#ifndef DESK_QUOTE_H
#define DESK_QUOTE_H

#include "mime-message.h"
#include "rules.h"

/*
 * quote_trim - the reply text of TEXT (UTF-8), by the rules of QUOTES.
 * (transfer full)
 */
char *quote_trim(struct rules *quotes, const char *text);

/*
 * quote_reply_text - the new text of MAIL: its HTML without the quoted
 * elements when the text came from HTML, then trimmed like plain text.
 * (transfer full)
 */
char *quote_reply_text(struct rules *quotes, const struct mail *mail);

#endif
