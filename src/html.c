/*
 * html.c - walk libxml2's HTML tree and write text.
 *
 * libxml2's HTML parser is a tolerant, real parser (what browsers call
 * tag soup comes out as a tree); regular expressions over markup are not
 * used anywhere. Recursion is bounded so that a deeply nested document
 * cannot exhaust the stack.
 *
 * libxml2 is opened with dlopen() on the first HTML text, not linked,
 * when configure defines DESK_LIBXML2_SONAME (its default): it brings
 * ICU and libstdc++ along, and loading them cost about 1 ms at every
 * start of deskgate, which starts once per message, while most mail has
 * a text/plain part. Only htmlReadMemory() and xmlFreeDoc() are called;
 * the tree is read through its public structs, which the headers fix.
 * "configure --disable-lazy-libxml2" (and the fuzz build) links it.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#ifdef DESK_LIBXML2_SONAME
#include <dlfcn.h>
#endif

#include "error.h"
#include "html.h"
#include "log.h"

#define HTML_MAX_DEPTH 256

#ifdef DESK_LIBXML2_SONAME
static htmlDocPtr (*html_read_memory)(const char *, int, const char *,
    const char *, int);
static void (*html_free_doc)(xmlDocPtr);
static char *html_load_error;	/* why libxml2 could not be opened */

static gpointer
html_open(gpointer unused)
{
	const char *name = DESK_LIBXML2_SONAME;
	void *lib;

#ifdef DESK_FAULT_INJECTION
	/* the tests' stand-in for an installation without libxml2 */
	const char *fault = g_getenv("DESKGATE_FAULT");

	if (fault != NULL && strcmp(fault, "no-libxml2") == 0)
		name = "libxml2-missing.so";
#endif
	lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL) {
		html_load_error = g_strdup_printf("dlopen(%s) failed: %s",
		    name, dlerror());
		return NULL;
	}
	*(void **)&html_read_memory = dlsym(lib, "htmlReadMemory");
	*(void **)&html_free_doc = dlsym(lib, "xmlFreeDoc");
	if (html_read_memory == NULL || html_free_doc == NULL) {
		html_load_error = g_strdup_printf("dlsym(%s) failed: %s",
		    DESK_LIBXML2_SONAME, "htmlReadMemory or xmlFreeDoc missing");
		return NULL;
	}
	/* never closed: the process ends, or reads more HTML */
	return lib;
}

int
html_load(GError **error)
{
	static GOnce once = G_ONCE_INIT;

	if (g_once(&once, html_open, NULL) != NULL)
		return 0;
	g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP, "HTML text: %s",
	    html_load_error);
	return -1;
}
#else
#define html_read_memory htmlReadMemory
#define html_free_doc xmlFreeDoc

int
html_load(GError **error)
{
	return 0;
}
#endif

struct html_out {
	GString *text;
	unsigned flags;
	bool stopped;		/* the history began: write nothing more */
	int quote;		/* quote levels (HTML_MARK_QUOTES) */
	int pre;		/* inside <pre> */
	bool space;		/* a space is pending */
	int newlines;		/* newlines at the end of text */
};

/* NAME, in lower case, is NODE's name in any case. The first letters
 * are compared inline: most names differ there, and a call for each of
 * the names a node is asked about adds up on 1 MB. */
static bool
html_name_is(const xmlNode *node, const char *name)
{
	unsigned char c = node->name != NULL ? node->name[0] : 0;

	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	return c != 0 && c == (unsigned char)name[0] &&
	    g_ascii_strcasecmp((const char *)node->name, name) == 0;
}

static bool
html_is_block(const xmlNode *node)
{
	static const char *const blocks[] = {
		"p", "div", "table", "tr", "ul", "ol", "li", "h1", "h2",
		"h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "dl",
		"dt", "dd", "address", "center", "form", "section",
		"article", "header", "footer", "nav", "aside", "main",
		"figure", "title", NULL
	};
	int i;

	for (i = 0; blocks[i] != NULL; i++)
		if (html_name_is(node, blocks[i]))
			return true;
	return false;
}

static void
html_newlines(struct html_out *out, int want)
{
	out->space = false;
	if (out->text->len == 0)
		return;
	while (out->newlines < want) {
		g_string_append_c(out->text, '\n');
		out->newlines++;
	}
}

/*
 * Under HTML_MARK_QUOTES a line of quoted history starts with "> " for
 * each level, as a plain text client writes it: the text trimmer then
 * sees the shape it knows (an attribution, then quoted lines, with the
 * customer's inline answers between them) whichever client wrote it.
 */
static void
html_line_start(struct html_out *out)
{
	int i;

	if (out->quote == 0 || (out->text->len > 0 &&
	    out->text->str[out->text->len - 1] != '\n'))
		return;
	for (i = 0; i < out->quote; i++)
		g_string_append(out->text, "> ");
}

static void
html_word_text(struct html_out *out, const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (out->pre) {
			if (*p != '\n')
				html_line_start(out);
			g_string_append_c(out->text, *p);
			out->newlines = *p == '\n' ? out->newlines + 1 : 0;
			continue;
		}
		if (g_ascii_isspace(*p)) {
			if (out->text->len > 0 && out->newlines == 0)
				out->space = true;
			continue;
		}
		/* U+00A0 no-break space counts as a space */
		if ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa0) {
			if (out->text->len > 0 && out->newlines == 0)
				out->space = true;
			p++;
			continue;
		}
		html_line_start(out);
		if (out->space)
			g_string_append_c(out->text, ' ');
		out->space = false;
		g_string_append_c(out->text, *p);
		out->newlines = 0;
	}
}

/*
 * The value of NODE's attribute NAME (no namespace), or NULL: what
 * xmlGetProp() returns, read from the tree, so that libxml2's allocator
 * (xmlFree, a variable) is not needed. The HTML parser has already
 * replaced the entities of the value. (transfer full)
 */
static char *
html_attr(const xmlNode *node, const char *name)
{
	const xmlAttr *a;
	const xmlNode *t;
	GString *value;

	for (a = node->properties; a != NULL; a = a->next)
		if (a->ns == NULL && a->name != NULL &&
		    strcmp((const char *)a->name, name) == 0)
			break;
	if (a == NULL)
		return NULL;
	value = g_string_new(NULL);
	for (t = a->children; t != NULL; t = t->next)
		if ((t->type == XML_TEXT_NODE ||
		    t->type == XML_CDATA_SECTION_NODE) && t->content != NULL)
			g_string_append(value, (const char *)t->content);
	return g_string_free(value, FALSE);
}

static bool
html_attr_has_class(xmlNode *node, const char *attr, const char *word)
{
	char *value = html_attr(node, attr);
	bool found = false;

	if (value != NULL) {
		char **words = g_strsplit_set((const char *)value, " \t\r\n",
		    -1);
		int i;

		for (i = 0; words[i] != NULL && !found; i++)
			found = strcmp(words[i], word) == 0;
		g_strfreev(words);
		g_free(value);
	}
	return found;
}

/* Does NODE's attribute ATTR hold NEEDLE, in any case? */
static bool
html_attr_contains(xmlNode *node, const char *attr, const char *needle)
{
	char *value = html_attr(node, attr);
	bool found = false;

	if (value != NULL) {
		char *lower = g_ascii_strdown(value, -1);

		found = strstr(lower, needle) != NULL;
		g_free(lower);
		g_free(value);
	}
	return found;
}

/* The markers mail clients put around quoted history (HTML_DROP_QUOTES). */
static bool
html_is_quote(xmlNode *node)
{
	if (html_name_is(node, "blockquote"))
		return true;
	return html_attr_has_class(node, "class", "gmail_quote") ||
	    html_attr_has_class(node, "class", "gmail_extra") ||
	    html_attr_contains(node, "class", "yahoo_quoted") ||
	    html_attr_has_class(node, "class", "moz-cite-prefix") ||
	    html_attr_has_class(node, "id", "mail-editor-reference-message-container");
}

/*
 * Under HTML_MARK_QUOTES only what is itself the quoted text is marked:
 * a blockquote, or Yahoo's quote div, which holds the old message in
 * plain divs. Gmail's, Proton's and Thunderbird's wrappers also hold the
 * attribution line, or a forwarded mail that is the customer's text;
 * they pass through unmarked for the text trimmer to judge.
 */
static bool
html_is_quoted_text(xmlNode *node)
{
	return html_name_is(node, "blockquote") ||
	    html_attr_contains(node, "class", "yahoo_quoted");
}

/*
 * A signature the client marked as one (Gmail, Thunderbird, Proton,
 * Outlook mobile, Samsung, Mail.ru): not the customer's message.
 */
static bool
html_is_signature(xmlNode *node)
{
	char *widget;

	if (html_attr_contains(node, "class", "signature") ||
	    html_attr_contains(node, "id", "signature"))
		return true;
	widget = html_attr(node, "data-signature-widget");
	g_free(widget);
	return widget != NULL;
}

/*
 * Is NODE an empty line, a block holding only white space with a no-break
 * space in it (<p>&nbsp;</p>, <div>&nbsp;</div>), or one plain space and
 * nothing else (<div> </div>, as Yandex's composer writes a blank line)?
 * Clients write blank lines so; a block with other white space only (a
 * source's indentation) shows nothing.
 */
static bool
html_is_blank_line(const xmlNode *node, bool *nbsp, int depth)
{
	const xmlNode *c;

	if (depth > HTML_MAX_DEPTH)
		return false;
	for (c = node->children; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			if (html_name_is(c, "br") || html_name_is(c, "img") ||
			    !html_is_blank_line(c, nbsp, depth + 1))
				return false;
		} else if ((c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) && c->content != NULL) {
			const unsigned char *p;

			for (p = c->content; *p != '\0'; p++) {
				if (p[0] == 0xc2 && p[1] == 0xa0) {
					*nbsp = true;
					p++;
				} else if (!g_ascii_isspace(*p))
					return false;
			}
		}
	}
	return true;
}

/* Does NODE hold one text node of one plain space, nothing else? */
static bool
html_is_one_space(const xmlNode *node)
{
	const xmlNode *c = node->children;

	return c != NULL && c->next == NULL && c->type == XML_TEXT_NODE &&
	    c->content != NULL && strcmp((const char *)c->content, " ") == 0;
}

/*
 * Outlook does not wrap the history: it puts a header block (divRplyFwdMsg
 * in Outlook on the web, a div with a thin top border in the desktop
 * program) before the old message, which follows as plain siblings.
 * Under HTML_DROP_QUOTES everything from that block on is history; under
 * HTML_MARK_QUOTES the block stays as text, where the trimmer tells a
 * reply's history from a forward by its header block and the subject.
 */
static bool
html_starts_history(xmlNode *node)
{
	char *style;
	bool border = false;

	if (html_attr_has_class(node, "id", "divRplyFwdMsg") ||
	    html_attr_has_class(node, "id", "appendonsend"))
		return true;
	if (!html_name_is(node, "div"))
		return false;
	style = html_attr(node, "style");
	if (style != NULL) {
		char *lower = g_ascii_strdown(style, -1);

		border = strstr(lower, "border-top:solid #e1e1e1") != NULL ||
		    strstr(lower, "border-top:solid #b5c4df") != NULL ||
		    strstr(lower, "border-top: solid #e1e1e1") != NULL;
		g_free(lower);
		g_free(style);
	}
	return border;
}

/* Word's paragraphs (class MsoNormal) have no margin: each is a line. */
static int
html_paragraph_newlines(xmlNode *node)
{
	if (html_name_is(node, "p"))
		return html_attr_has_class(node, "class", "MsoNormal") ? 1 : 2;
	return html_name_is(node, "blockquote") ? 2 : 1;
}

static void html_walk(struct html_out *out, xmlNode *node, int depth);

static void
html_element(struct html_out *out, xmlNode *node, int depth)
{
	bool block = html_is_block(node), quoted = false, nbsp = false;
	char *href = NULL;
	size_t link_start = 0;

	if (html_name_is(node, "script") || html_name_is(node, "style") ||
	    html_name_is(node, "head") || html_name_is(node, "noscript"))
		return;
	if (out->flags & HTML_DROP_QUOTES) {
		if (html_starts_history(node))
			out->stopped = true;
		if (out->stopped || html_is_quote(node))
			return;
	}
	if (out->flags & HTML_MARK_QUOTES) {
		if (html_is_signature(node))
			return;
		quoted = html_is_quoted_text(node);
	}
	if (block && html_is_blank_line(node, &nbsp, 0)) {
		if (nbsp || html_is_one_space(node))
			html_newlines(out, 2);
		return;
	}
	if (html_name_is(node, "br")) {
		g_string_append_c(out->text, '\n');
		out->newlines++;
		out->space = false;
		return;
	}
	if (html_name_is(node, "img")) {
		char *alt = html_attr(node, "alt");

		if (alt != NULL && *alt != '\0') {
			html_word_text(out, " [");
			html_word_text(out, alt);
			html_word_text(out, "]");
		}
		g_free(alt);
		return;
	}
	if (block)
		html_newlines(out, html_paragraph_newlines(node));
	if (html_name_is(node, "li"))
		html_word_text(out, "- ");
	if (html_name_is(node, "td") || html_name_is(node, "th"))
		out->space = out->text->len > 0 && out->newlines == 0;
	if (html_name_is(node, "pre"))
		out->pre++;
	if (html_name_is(node, "a")) {
		href = html_attr(node, "href");
		link_start = out->text->len;
	}

	out->quote += quoted;
	html_walk(out, node->children, depth + 1);
	out->quote -= quoted;

	if (href != NULL) {
		const char *target = href;
		const char *shown = out->text->str + link_start;

		if (g_str_has_prefix(target, "mailto:"))
			target += 7;
		if (*target != '\0' && *target != '#' &&
		    strstr(shown, target) == NULL) {
			html_word_text(out, " <");
			html_word_text(out, target);
			html_word_text(out, ">");
		}
		g_free(href);
	}
	if (html_name_is(node, "pre"))
		out->pre--;
	if (block)
		html_newlines(out, html_paragraph_newlines(node));
}

static void
html_walk(struct html_out *out, xmlNode *node, int depth)
{
	if (depth > HTML_MAX_DEPTH)
		return;
	for (; node != NULL && !out->stopped; node = node->next) {
		switch (node->type) {
		case XML_ELEMENT_NODE:
			html_element(out, node, depth);
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (node->content != NULL)
				html_word_text(out, (const char *)node->content);
			break;
		default:
			break;
		}
	}
}

/*
 * Fold runs of blank lines and strip trailing spaces and blank ends: one
 * pass over the text, no copy of each line.
 */
static char *
html_tidy(GString *text)
{
	GString *out = g_string_sized_new(text->len);
	const char *p = text->str, *end = text->str + text->len;
	int blank = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *stop = eol != NULL ? eol : end;

		while (stop > p && g_ascii_isspace(stop[-1]))
			stop--;
		if (stop == p)
			blank++;
		else {
			if (out->len > 0)
				g_string_append(out, blank ? "\n\n" : "\n");
			blank = 0;
			g_string_append_len(out, p, stop - p);
		}
		p = eol != NULL ? eol + 1 : end;
	}
	return g_string_free(out, FALSE);
}

/* The parse tree of HTML, or NULL (nothing to parse, or no libxml2). */
static htmlDocPtr
html_parse(const char *html, size_t len)
{
	GError *error = NULL;

	if (len == 0 || len > INT32_MAX)
		return NULL;
	if (html_load(&error) < 0) {
		/* mail_parse() has tempfailed on this already */
		log_err("%s", error->message);
		g_error_free(error);
		return NULL;
	}
	/*
	 * Let libxml2 imply <html><body>: without them (NOIMPLIED) it
	 * nests every later top-level element of a fragment in the first.
	 */
	return html_read_memory(html, (int)len, NULL, "UTF-8",
	    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_NONET);
}

/* DOC's text under FLAGS; "" without a DOC. */
static char *
html_doc_text(htmlDocPtr doc, unsigned flags)
{
	struct html_out out = { 0 };
	char *text;

	if (doc == NULL)
		return g_strdup("");
	out.text = g_string_new(NULL);
	out.flags = flags;
	html_walk(&out, doc->children, 0);
	text = html_tidy(out.text);
	g_string_free(out.text, TRUE);
	return text;
}

char *
html_to_text(const char *html, size_t len, unsigned flags)
{
	htmlDocPtr doc = html_parse(html, len);
	char *text = html_doc_text(doc, flags);

	if (doc != NULL)
		html_free_doc(doc);
	return text;
}

void
html_to_texts(const char *html, size_t len, char **plain, char **marked)
{
	htmlDocPtr doc = html_parse(html, len);

	*plain = html_doc_text(doc, 0);
	if (marked != NULL)
		*marked = html_doc_text(doc, HTML_MARK_QUOTES);
	if (doc != NULL)
		html_free_doc(doc);
}
