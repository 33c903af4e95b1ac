/*
 * html.h - HTML to readable plain text, from libxml2's HTML parser.
 *
 * Block elements end lines, list items get a dash, links keep their
 * target when it differs from their text, scripts and styles vanish,
 * white space is folded outside <pre>. With HTML_DROP_QUOTES the quoted
 * history that mail clients wrap in known elements (blockquote,
 * gmail_quote, yahoo_quoted, moz-cite-prefix) is dropped, and the text
 * ends where Outlook's reply header block (divRplyFwdMsg, or the desktop
 * program's bordered div) begins the history. With HTML_MARK_QUOTES the
 * quoted lines are written "> " per level instead, the rest stays as
 * text, and signatures the client marks are left out: the text trimmer
 * (quote.c) then reads it as plain text.
 */
#ifndef DESK_HTML_H
#define DESK_HTML_H

#include <stddef.h>
#include <glib.h>

#define HTML_DROP_QUOTES 0x1
#define HTML_MARK_QUOTES 0x2

/*
 * html_load - have libxml2 ready. Where it is opened on first use (see
 * html.c), opens it now; 0, or -1 with ERROR (DESK_ERROR_TEMP: a message
 * with HTML waits until libxml2 can be loaded). Cheap after the first
 * call; thread-safe.
 */
int html_load(GError **error);

/*
 * html_to_text - the text of the UTF-8 HTML document HTML (LEN bytes).
 * Never fails: unparseable input gives the empty string, and so does
 * any input when libxml2 cannot be loaded (logged; callers that must
 * not lose the text ask html_load() first). (transfer full)
 */
char *html_to_text(const char *html, size_t len, unsigned flags);

/*
 * html_to_texts - html_to_text() with flags 0 into PLAIN and, when
 * MARKED is not NULL, with HTML_MARK_QUOTES into MARKED, from one parse:
 * a mail's HTML gives its stored text and its reply text, and the parse
 * is most of the cost. (transfer full)
 */
void html_to_texts(const char *html, size_t len, char **plain,
    char **marked);

/*
 * html_coloured_answers - the text HTML writes in a colour (not black)
 * after Outlook's header block, each run of it a paragraph: the answers
 * a customer wrote in colour into the history. "" without such a block.
 * (transfer full)
 */
char *html_coloured_answers(const char *html, size_t len);

#endif
