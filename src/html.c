/*
 * html.c - turn HTML into text: libxml2's HTML parser, html.c's walk.
 *
 * libxml2's HTML parser is a tolerant, real parser (what browsers call
 * tag soup comes out as a tree); regular expressions over markup are not
 * used anywhere. html.c takes the parser's SAX events into a compact
 * tree of its own (see struct html_tree) and walks that. Recursion is
 * bounded so that a deeply nested document cannot exhaust the stack.
 *
 * libxml2 is opened with dlopen() on the first HTML text, not linked,
 * when configure defines DESK_LIBXML2_SONAME (its default): it brings
 * ICU and libstdc++ along, and loading them cost about 1 ms at every
 * start of deskgate, which starts once per message, while most mail has
 * a text/plain part. Only the four functions below html_open() takes
 * are called; the parser context and SAX handler are set through their
 * public structs, which the headers fix. "configure
 * --disable-lazy-libxml2" (and the fuzz build) links it.
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

/* libxml2's entry points html.c calls (see the note above) */
#ifdef DESK_LIBXML2_SONAME
static htmlParserCtxtPtr (*html_new_parser_ctxt)(void);
static htmlDocPtr (*html_ctxt_read_memory)(htmlParserCtxtPtr, const char *,
    int, const char *, const char *, int);
static void (*html_free_parser_ctxt)(htmlParserCtxtPtr);
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
	*(void **)&html_new_parser_ctxt = dlsym(lib, "htmlNewParserCtxt");
	*(void **)&html_ctxt_read_memory = dlsym(lib, "htmlCtxtReadMemory");
	*(void **)&html_free_parser_ctxt = dlsym(lib, "htmlFreeParserCtxt");
	*(void **)&html_free_doc = dlsym(lib, "xmlFreeDoc");
	if (html_new_parser_ctxt == NULL || html_ctxt_read_memory == NULL ||
	    html_free_parser_ctxt == NULL || html_free_doc == NULL) {
		html_load_error = g_strdup_printf("dlsym(%s) failed: %s",
		    DESK_LIBXML2_SONAME, "htmlNewParserCtxt, "
		    "htmlCtxtReadMemory, htmlFreeParserCtxt or xmlFreeDoc "
		    "missing");
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
#define html_new_parser_ctxt htmlNewParserCtxt
#define html_ctxt_read_memory htmlCtxtReadMemory
#define html_free_parser_ctxt htmlFreeParserCtxt
#define html_free_doc xmlFreeDoc

int
html_load(GError **error)
{
	return 0;
}
#endif

/*
 * The tree html.c walks. libxml2 builds its own tree from the same SAX
 * events, but a node of it costs several allocations and most of the
 * parse's time on 1 MB of tag soup (the tree took 45 ms where the events
 * alone take 30); html.c needs of an element only what it is (one of the
 * tags below), a few attributes and its children, so it keeps them in
 * two arrays and one buffer of strings.
 */
enum html_tag {
	TAG_OTHER, TAG_A, TAG_BLOCKQUOTE, TAG_BR, TAG_DIV,
	TAG_HEAD, TAG_IMG, TAG_LI, TAG_NOSCRIPT, TAG_P, TAG_PRE, TAG_SCRIPT,
	TAG_STYLE, TAG_TD, TAG_TH, TAG_BLOCK
};

enum html_kind { NODE_ELEMENT, NODE_TEXT, NODE_OTHER };

/* the attributes html.c reads; the others are not kept */
enum html_attr_name {
	ATTR_CLASS, ATTR_ID, ATTR_STYLE, ATTR_HREF, ATTR_ALT,
	ATTR_SIGNATURE_WIDGET, ATTR_COLOR, ATTR_COUNT
};

static const char *const html_attr_names[ATTR_COUNT] = {
	"class", "id", "style", "href", "alt", "data-signature-widget",
	"color",
};

/* html_coloured_answers(): only the text in colour after the history */
#define HTML_COLOURED 0x100

#define NONE G_MAXUINT32

struct html_node {
	guint8 kind;		/* enum html_kind */
	guint8 tag;		/* enum html_tag */
	guint8 block;		/* ends lines */
	guint32 first, last;	/* children */
	guint32 next;		/* the next sibling */
	guint32 data;		/* text: offset in strings; element: attrs */
};

struct html_kind_of {
	guint8 tag, block;
};

struct html_kind_cache {
	const xmlChar *name;
	struct html_kind_of kind;
};

struct html_tree {
	GArray *nodes;		/* struct html_node; 0 is the document */
	GString *strings;	/* NUL-terminated texts and attribute values */
	GArray *attrs;		/* guint32 offsets, ATTR_COUNT per element */
	GArray *open;		/* guint32: the open elements, innermost last */
	bool too_big;		/* over 4 GB of strings: the rest is dropped */
	struct html_kind_cache kinds[64];	/* html_tree_kind_of() */
};

static const struct {
	const char *name;
	guint8 tag;
} html_tags[] = {
	{ "a", TAG_A }, { "blockquote", TAG_BLOCKQUOTE }, { "br", TAG_BR },
	{ "div", TAG_DIV }, { "head", TAG_HEAD },
	{ "img", TAG_IMG }, { "li", TAG_LI }, { "noscript", TAG_NOSCRIPT },
	{ "p", TAG_P }, { "pre", TAG_PRE }, { "script", TAG_SCRIPT },
	{ "style", TAG_STYLE }, { "td", TAG_TD }, { "th", TAG_TH },
};

/* elements that end a line of text */
static const char *const html_blocks[] = {
	"p", "div", "table", "tr", "ul", "ol", "li", "h1", "h2", "h3", "h4",
	"h5", "h6", "blockquote", "pre", "hr", "dl", "dt", "dd", "address",
	"center", "form", "section", "article", "header", "footer", "nav",
	"aside", "main", "figure", "title",
};


/* What an element of NAME is: two short lists, asked once per name */
static struct html_kind_of
html_kind_of(const char *name)
{
	struct html_kind_of k = { TAG_OTHER, 0 };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(html_tags); i++)
		if (strcmp(name, html_tags[i].name) == 0)
			k.tag = html_tags[i].tag;
	for (i = 0; i < G_N_ELEMENTS(html_blocks); i++)
		if (strcmp(name, html_blocks[i]) == 0) {
			k.block = 1;
			if (k.tag == TAG_OTHER)
				k.tag = TAG_BLOCK;
		}
	return k;
}

/*
 * The same, remembered by the name's address: libxml2 hands each name
 * out of its dictionary, so one parse asks about each name about once.
 */
static struct html_kind_of
html_tree_kind_of(struct html_tree *tree, const xmlChar *name)
{
	/* the dictionary packs names a few bytes apart: mix all the bits */
	guint64 slot = (guint64)(guintptr)name *
	    G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
	struct html_kind_cache *c = &tree->kinds[slot >> 58];

	if (c->name != name) {
		c->name = name;
		c->kind = html_kind_of((const char *)name);
	}
	return c->kind;
}

static inline struct html_node *
html_node(const struct html_tree *tree, guint32 i)
{
	return &g_array_index(tree->nodes, struct html_node, i);
}

/* A copy of S (LEN bytes) in the strings, as an offset; NONE when full */
static guint32
html_keep_string(struct html_tree *tree, const char *s, size_t len)
{
	size_t at = tree->strings->len;

	if (at + len + 1 >= NONE) {
		tree->too_big = true;
		return NONE;
	}
	g_string_append_len(tree->strings, s, (gssize)len);
	g_string_append_c(tree->strings, '\0');
	return (guint32)at;
}

static guint32
html_parent(const struct html_tree *tree)
{
	return tree->open->len == 0 ? 0 :
	    g_array_index(tree->open, guint32, tree->open->len - 1);
}

static guint32
html_add_node(struct html_tree *tree, struct html_node node)
{
	guint32 parent = html_parent(tree), i = tree->nodes->len;
	struct html_node *p;

	node.first = node.last = node.next = NONE;
	g_array_append_val(tree->nodes, node);
	/* the append may have moved the array */
	p = html_node(tree, parent);
	if (p->last != NONE)
		html_node(tree, p->last)->next = i;
	else
		p->first = i;
	p->last = i;
	return i;
}

static void
html_start_element(void *data, const xmlChar *name, const xmlChar **atts)
{
	struct html_tree *tree = data;
	struct html_kind_of k = html_tree_kind_of(tree, name);
	struct html_node node = {
		.kind = NODE_ELEMENT, .tag = k.tag, .block = k.block,
		.data = NONE,
	};
	guint32 i;

	if (tree->too_big)
		return;
	if (atts != NULL) {
		guint32 values[ATTR_COUNT];
		bool any = false;
		int a, n;

		for (a = 0; a < ATTR_COUNT; a++)
			values[a] = NONE;
		for (n = 0; atts[n] != NULL; n += 2)
			for (a = 0; a < ATTR_COUNT; a++) {
				const char *v = (const char *)atts[n + 1];

				if (values[a] != NONE || strcmp((const char *)
				    atts[n], html_attr_names[a]) != 0)
					continue;
				/* a name without a value holds "" */
				if (v == NULL)
					v = "";
				values[a] = html_keep_string(tree, v,
				    strlen(v));
				any = true;
			}
		if (any) {
			node.data = tree->attrs->len;
			g_array_append_vals(tree->attrs, values, ATTR_COUNT);
		}
	}
	i = html_add_node(tree, node);
	g_array_append_val(tree->open, i);
}

static void
html_end_element(void *data, const xmlChar *name)
{
	struct html_tree *tree = data;

	/* libxml2 ends each element it started, the implied ones too */
	if (tree->open->len > 0)
		g_array_set_size(tree->open, tree->open->len - 1);
}

static void
html_characters(void *data, const xmlChar *s, int len)
{
	struct html_tree *tree = data;
	guint32 parent = html_parent(tree), last;
	struct html_node node = { .kind = NODE_TEXT };

	/* libxml2's tree has no text outside the elements either */
	if (tree->too_big || len <= 0 || tree->open->len == 0)
		return;
	last = html_node(tree, parent)->last;
	/*
	 * Text next to text is one node, as in libxml2's tree; its string
	 * is the last in the buffer, as nothing was added after it.
	 */
	if (last != NONE && html_node(tree, last)->kind == NODE_TEXT) {
		if (tree->strings->len + (size_t)len >= NONE) {
			tree->too_big = true;
			return;
		}
		g_string_truncate(tree->strings, tree->strings->len - 1);
		g_string_append_len(tree->strings, (const char *)s, len);
		g_string_append_c(tree->strings, '\0');
		return;
	}
	node.data = html_keep_string(tree, (const char *)s, (size_t)len);
	if (node.data != NONE)
		html_add_node(tree, node);
}

static void
html_comment(void *data, const xmlChar *value)
{
	struct html_tree *tree = data;
	struct html_node node = { .kind = NODE_OTHER, .data = NONE };

	if (!tree->too_big)
		html_add_node(tree, node);
}

static void
html_tree_free(struct html_tree *tree)
{
	g_array_free(tree->nodes, TRUE);
	g_string_free(tree->strings, TRUE);
	g_array_free(tree->attrs, TRUE);
	g_array_free(tree->open, TRUE);
	g_free(tree);
}

/* The tree of HTML, or NULL (nothing to parse, or no libxml2). */
static struct html_tree *
html_parse(const char *html, size_t len)
{
	htmlSAXHandler sax;
	struct html_tree *tree;
	struct html_node document = {
		.kind = NODE_OTHER, .first = NONE, .last = NONE,
		.next = NONE, .data = NONE,
	};
	GError *error = NULL;
	htmlParserCtxtPtr ctxt;
	htmlDocPtr doc;

	if (len == 0 || len > INT32_MAX)
		return NULL;
	if (html_load(&error) < 0) {
		/* mail_parse() has tempfailed on this already */
		log_err("%s", error->message);
		g_error_free(error);
		return NULL;
	}
	ctxt = html_new_parser_ctxt();
	if (ctxt == NULL || ctxt->sax == NULL) {
		log_err("HTML text: libxml2 has no parser context");
		if (ctxt != NULL)
			html_free_parser_ctxt(ctxt);
		return NULL;
	}
	tree = g_new0(struct html_tree, 1);
	/* about a node for each 8 bytes of tag soup, 20 bytes each */
	tree->nodes = g_array_sized_new(FALSE, FALSE, sizeof(struct html_node),
	    (guint)MIN(len / 8 + 16, 1u << 20));
	g_array_append_val(tree->nodes, document);
	tree->strings = g_string_sized_new(len / 2 + 16);
	tree->attrs = g_array_new(FALSE, FALSE, sizeof(guint32));
	tree->open = g_array_new(FALSE, FALSE, sizeof(guint32));

	memset(&sax, 0, sizeof(sax));
	sax.startElement = html_start_element;
	sax.endElement = html_end_element;
	sax.characters = html_characters;
	sax.cdataBlock = html_characters;
	sax.comment = html_comment;
	memcpy(ctxt->sax, &sax, sizeof(sax));
	ctxt->userData = tree;
	/*
	 * Let libxml2 imply <html><body>: without them (NOIMPLIED) it
	 * nests every later top-level element of a fragment in the first.
	 * NOERROR and NOWARNING clear the handlers of its complaints.
	 * With no tree builder among the handlers libxml2 makes no
	 * document; were there one, it is freed.
	 */
	doc = html_ctxt_read_memory(ctxt, html, (int)len, NULL, "UTF-8",
	    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_NONET);
	if (doc != NULL)
		html_free_doc(doc);
	html_free_parser_ctxt(ctxt);
	return tree;
}

struct html_out {
	const struct html_tree *tree;
	GString *text;
	unsigned flags;
	bool stopped;		/* the history began: write nothing more */
	bool history;		/* the history began (HTML_COLOURED) */
	bool p_lines;		/* a paragraph is a line (html_paragraph_newlines) */
	int colour;		/* inside text in colour (HTML_COLOURED) */
	int quote;		/* quote levels (HTML_MARK_QUOTES) */
	int pre;		/* inside <pre> */
	bool space;		/* a space is pending */
	int newlines;		/* newlines at the end of text */
};

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

	if ((out->flags & HTML_COLOURED) && out->colour == 0)
		return;

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

static const char *
html_text_of(const struct html_tree *tree, const struct html_node *node)
{
	return tree->strings->str + node->data;
}

/* The value of NODE's attribute NAME, or NULL; "" for a bare name. */
static const char *
html_attr(const struct html_tree *tree, const struct html_node *node,
    enum html_attr_name name)
{
	guint32 at;

	if (node->kind != NODE_ELEMENT || node->data == NONE)
		return NULL;
	at = g_array_index(tree->attrs, guint32, node->data + name);
	return at == NONE ? NULL : tree->strings->str + at;
}

/* Is WORD one of the white-space separated words of NODE's ATTR? */
static bool
html_attr_has_class(const struct html_tree *tree,
    const struct html_node *node, enum html_attr_name attr, const char *word)
{
	const char *p = html_attr(tree, node, attr);
	size_t n = strlen(word);

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, " \t\r\n");

		if (len == n && memcmp(p, word, n) == 0)
			return true;
		p += len;
		p += strspn(p, " \t\r\n");
	}
	return false;
}

/* Does NODE's attribute ATTR hold NEEDLE (lower case), in any case? */
static bool
html_attr_contains(const struct html_tree *tree,
    const struct html_node *node, enum html_attr_name attr,
    const char *needle)
{
	const char *p = html_attr(tree, node, attr);
	size_t n = strlen(needle);

	for (; p != NULL && *p != '\0'; p++)
		if (g_ascii_strncasecmp(p, needle, n) == 0)
			return true;
	return false;
}

/* The markers mail clients put around quoted history (HTML_DROP_QUOTES). */
static bool
html_is_quote(const struct html_tree *tree, const struct html_node *node)
{
	if (node->tag == TAG_BLOCKQUOTE)
		return true;
	if (node->data == NONE)
		return false;
	return html_attr_has_class(tree, node, ATTR_CLASS, "gmail_quote") ||
	    html_attr_has_class(tree, node, ATTR_CLASS, "gmail_extra") ||
	    html_attr_contains(tree, node, ATTR_CLASS, "yahoo_quoted") ||
	    html_attr_has_class(tree, node, ATTR_CLASS, "moz-cite-prefix") ||
	    html_attr_has_class(tree, node, ATTR_ID,
	    "mail-editor-reference-message-container");
}

/*
 * Under HTML_MARK_QUOTES only what is itself the quoted text is marked:
 * a blockquote, or Yahoo's quote div, which holds the old message in
 * plain divs. Gmail's, Proton's and Thunderbird's wrappers also hold the
 * attribution line, or a forwarded mail that is the customer's text;
 * they pass through unmarked for the text trimmer to judge.
 */
static bool
html_is_quoted_text(const struct html_tree *tree,
    const struct html_node *node)
{
	return node->tag == TAG_BLOCKQUOTE ||
	    html_attr_contains(tree, node, ATTR_CLASS, "yahoo_quoted");
}

/*
 * A signature the client marked as one (Gmail, Thunderbird, Proton,
 * Outlook mobile, Samsung, Mail.ru): not the customer's message.
 */
static bool
html_is_signature(const struct html_tree *tree, const struct html_node *node)
{
	return html_attr_contains(tree, node, ATTR_CLASS, "signature") ||
	    html_attr_contains(tree, node, ATTR_ID, "signature") ||
	    html_attr(tree, node, ATTR_SIGNATURE_WIDGET) != NULL;
}

/*
 * Is NODE an empty line, a block holding only white space with a no-break
 * space in it (<p>&nbsp;</p>, <div>&nbsp;</div>), or one plain space and
 * nothing else (<div> </div>, as Yandex's composer writes a blank line)?
 * Clients write blank lines so; a block with other white space only (a
 * source's indentation) shows nothing.
 */
static bool
html_is_blank_line(const struct html_tree *tree, const struct html_node *node,
    bool *nbsp, int depth)
{
	guint32 i;

	if (depth > HTML_MAX_DEPTH)
		return false;
	for (i = node->first; i != NONE; i = html_node(tree, i)->next) {
		const struct html_node *c = html_node(tree, i);

		if (c->kind == NODE_ELEMENT) {
			if (c->tag == TAG_BR || c->tag == TAG_IMG ||
			    !html_is_blank_line(tree, c, nbsp, depth + 1))
				return false;
		} else if (c->kind == NODE_TEXT) {
			const unsigned char *p;

			for (p = (const unsigned char *)html_text_of(tree, c);
			    *p != '\0'; p++) {
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
html_is_one_space(const struct html_tree *tree, const struct html_node *node)
{
	const struct html_node *c;

	if (node->first == NONE || node->first != node->last)
		return false;
	c = html_node(tree, node->first);
	return c->kind == NODE_TEXT &&
	    strcmp(html_text_of(tree, c), " ") == 0;
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
html_starts_history(const struct html_tree *tree, const struct html_node *node)
{
	if (node->data == NONE)
		return false;
	if (html_attr_has_class(tree, node, ATTR_ID, "divRplyFwdMsg") ||
	    html_attr_has_class(tree, node, ATTR_ID, "appendonsend"))
		return true;
	return node->tag == TAG_DIV &&
	    (html_attr_contains(tree, node, ATTR_STYLE,
	    "border-top:solid #e1e1e1") ||
	    html_attr_contains(tree, node, ATTR_STYLE,
	    "border-top:solid #b5c4df") ||
	    html_attr_contains(tree, node, ATTR_STYLE,
	    "border-top: solid #e1e1e1"));
}

/*
 * Is VALUE (LEN bytes) a colour of plain text: black, a grey (Gmail's
 * #222222, a disclaimer's #808080) or a default, none that marks words?
 * A colour is plain when its channels lie close together.
 */
static bool
html_is_plain_colour(const char *value, size_t len)
{
	static const char *const plain[] = {
		"black", "windowtext", "inherit", "currentcolor", "initial",
		"auto", "", "gray", "grey", "dimgray", "dimgrey", "darkgray",
		"darkgrey", "silver", "white", "transparent",
	};
	char *v = g_ascii_strdown(value, (gssize)len), *w = v, *r;
	unsigned rgb[3] = { 0, 0, 0 };
	bool found = false, parsed = false;
	size_t i, n;

	/* without blanks and "!important" */
	for (r = v; *r != '\0'; r++)
		if (!g_ascii_isspace(*r))
			*w++ = *r;
	*w = '\0';
	if ((r = strstr(v, "!important")) != NULL)
		*r = '\0';
	n = strlen(v);
	for (i = 0; i < G_N_ELEMENTS(plain) && !found; i++)
		found = strcmp(v, plain[i]) == 0;
	if (!found && v[0] == '#' && (n == 4 || n == 7) &&
	    strspn(v + 1, "0123456789abcdef") == n - 1) {
		for (i = 0; i < 3; i++) {
			char hex[3] = { 0 };

			if (n == 4)
				hex[0] = hex[1] = v[1 + i];
			else
				memcpy(hex, v + 1 + 2 * i, 2);
			rgb[i] = (unsigned)strtoul(hex, NULL, 16);
		}
		parsed = true;
	} else if (!found && sscanf(v, "rgb(%u,%u,%u)", &rgb[0], &rgb[1],
	    &rgb[2]) == 3)
		parsed = true;
	if (parsed) {
		unsigned hi = MAX(rgb[0], MAX(rgb[1], rgb[2]));
		unsigned lo = MIN(rgb[0], MIN(rgb[1], rgb[2]));

		found = hi - lo < 48;
	}
	g_free(v);
	return found;
}

/*
 * Does NODE write its text in a colour ("color:#0070C0" in its style,
 * or <font color=red>)? Not background-color or border-color.
 */
static bool
html_sets_colour(const struct html_tree *tree, const struct html_node *node)
{
	const char *style = html_attr(tree, node, ATTR_STYLE);
	const char *font = html_attr(tree, node, ATTR_COLOR);
	char *lower, *p;
	bool coloured = false;

	if (font != NULL && !html_is_plain_colour(font, strlen(font)))
		return true;
	if (style == NULL)
		return false;
	lower = g_ascii_strdown(style, -1);
	for (p = lower; (p = strstr(p, "color")) != NULL; p += 5) {
		char *v;

		if (p > lower && (p[-1] == '-' || g_ascii_isalnum(p[-1])))
			continue;
		for (v = p + 5; g_ascii_isspace(*v); v++)
			;
		if (*v != ':')
			continue;
		v++;
		coloured = !html_is_plain_colour(v, strcspn(v, ";"));
		break;
	}
	g_free(lower);
	return coloured;
}

/*
 * Word's paragraphs (class MsoNormal) have no margin: each is a line.
 * So have the paragraphs of editors that write a blank line as an empty
 * paragraph (<p>&nbsp;</p>: Naver, Daum, Outlook's web composer):
 * were there a margin, they would not need one.
 */
static int
html_paragraph_newlines(const struct html_out *out,
    const struct html_node *node)
{
	if (node->tag == TAG_P)
		return out->p_lines || html_attr_has_class(out->tree, node,
		    ATTR_CLASS, "MsoNormal") ? 1 : 2;
	return node->tag == TAG_BLOCKQUOTE ? 2 : 1;
}

/*
 * Does the customer's part of TREE write a blank line as an empty
 * paragraph, <p>&nbsp;</p>? What is above the quoted history is read
 * (the nodes are in document order), so an old mail's editor in the
 * history decides nothing.
 */
static bool
html_has_blank_paragraphs(const struct html_tree *tree)
{
	guint32 i;

	for (i = 1; i < tree->nodes->len; i++) {
		const struct html_node *node = html_node(tree, i);
		bool nbsp = false;

		if (node->kind != NODE_ELEMENT)
			continue;
		if (html_starts_history(tree, node) ||
		    html_is_quote(tree, node))
			return false;
		if (node->tag == TAG_P &&
		    html_is_blank_line(tree, node, &nbsp, 0) && nbsp)
			return true;
	}
	return false;
}

static void html_walk(struct html_out *out, guint32 first, int depth);

static void
html_element(struct html_out *out, const struct html_node *node, int depth)
{
	const struct html_tree *tree = out->tree;
	bool quoted = false, nbsp = false, coloured = false;
	const char *href = NULL;
	size_t link_start = 0;

	switch (node->tag) {
	case TAG_SCRIPT:
	case TAG_STYLE:
	case TAG_HEAD:
	case TAG_NOSCRIPT:
		return;
	default:
		break;
	}
	if (out->flags & HTML_DROP_QUOTES) {
		if (html_starts_history(tree, node))
			out->stopped = true;
		if (out->stopped || html_is_quote(tree, node))
			return;
	}
	if (out->flags & HTML_MARK_QUOTES) {
		if (html_is_signature(tree, node))
			return;
		quoted = html_is_quoted_text(tree, node);
	}
	if (out->flags & HTML_COLOURED) {
		/* Outlook's header block: the history is what follows it, up
		 * to the next one (an older mail, the desk's) */
		if (html_starts_history(tree, node)) {
			if (out->history)
				out->stopped = true;
			out->history = true;
			return;
		}
		/* a signature's colours and a link's mark no answer */
		if (html_is_signature(tree, node))
			return;
		coloured = out->history && node->tag != TAG_A &&
		    html_sets_colour(tree, node);
	}
	if (node->block && html_is_blank_line(tree, node, &nbsp, 0)) {
		if (nbsp || html_is_one_space(tree, node))
			html_newlines(out, 2);
		return;
	}
	switch (node->tag) {
	case TAG_BR:
		g_string_append_c(out->text, '\n');
		out->newlines++;
		out->space = false;
		return;
	case TAG_IMG: {
		const char *alt = html_attr(tree, node, ATTR_ALT);

		if (alt != NULL && *alt != '\0') {
			html_word_text(out, " [");
			html_word_text(out, alt);
			html_word_text(out, "]");
		}
		return;
	}
	default:
		break;
	}
	if (node->block)
		html_newlines(out, html_paragraph_newlines(out, node));
	switch (node->tag) {
	case TAG_LI:
		html_word_text(out, "- ");
		break;
	case TAG_TD:
	case TAG_TH:
		out->space = out->text->len > 0 && out->newlines == 0;
		break;
	case TAG_PRE:
		out->pre++;
		break;
	case TAG_A:
		href = html_attr(tree, node, ATTR_HREF);
		link_start = out->text->len;
		break;
	default:
		break;
	}

	out->quote += quoted;
	out->colour += coloured;
	html_walk(out, node->first, depth + 1);
	out->colour -= coloured;
	out->quote -= quoted;
	/* each run of text in colour is an answer of its own */
	if (coloured && out->colour == 0)
		html_newlines(out, 2);

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
	}
	if (node->tag == TAG_PRE)
		out->pre--;
	if (node->block)
		html_newlines(out, html_paragraph_newlines(out, node));
}

static void
html_walk(struct html_out *out, guint32 first, int depth)
{
	guint32 i;

	if (depth > HTML_MAX_DEPTH)
		return;
	for (i = first; i != NONE && !out->stopped;
	    i = html_node(out->tree, i)->next) {
		const struct html_node *node = html_node(out->tree, i);

		if (node->kind == NODE_ELEMENT)
			html_element(out, node, depth);
		else if (node->kind == NODE_TEXT)
			html_word_text(out, html_text_of(out->tree, node));
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

/* TREE's text under FLAGS; "" without a TREE. */
static char *
html_tree_text(const struct html_tree *tree, unsigned flags)
{
	struct html_out out = { 0 };
	char *text;

	if (tree == NULL)
		return g_strdup("");
	out.tree = tree;
	out.text = g_string_new(NULL);
	out.flags = flags;
	out.p_lines = html_has_blank_paragraphs(tree);
	html_walk(&out, html_node(tree, 0)->first, 0);
	text = html_tidy(out.text);
	g_string_free(out.text, TRUE);
	return text;
}

char *
html_to_text(const char *html, size_t len, unsigned flags)
{
	struct html_tree *tree = html_parse(html, len);
	char *text = html_tree_text(tree, flags);

	if (tree != NULL)
		html_tree_free(tree);
	return text;
}

void
html_to_texts(const char *html, size_t len, char **plain, char **marked)
{
	struct html_tree *tree = html_parse(html, len);

	*plain = html_tree_text(tree, 0);
	if (marked != NULL)
		*marked = html_tree_text(tree, HTML_MARK_QUOTES);
	if (tree != NULL)
		html_tree_free(tree);
}

char *
html_coloured_answers(const char *html, size_t len)
{
	struct html_tree *tree = html_parse(html, len);
	char *text = html_tree_text(tree, HTML_COLOURED);

	if (tree != NULL)
		html_tree_free(tree);
	return text;
}
