/*
 * test-html.c - unit tests of html.c: HTML to readable text (blocks,
 * lists, links, pre, tables, entities), dropping of scripts and of quoted
 * history, answers in colour, and robustness against deep nesting and
 * garbage.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <unistd.h>

#include "error.h"
#include "html.h"
#include "mime-message.h"
#include "test-util.h"

static char *
to_text(const char *html, unsigned flags)
{
	return html_to_text(html, strlen(html), flags);
}

static void
expect_text(const char *html, unsigned flags, const char *want)
{
	char *text = to_text(html, flags);

	g_test_message("%s -> \"%s\"", html, text);
	g_assert_cmpstr(text, ==, want);
	g_free(text);
}

static void
test_paragraphs(void)
{
	expect_text("<p>One</p><p>Two</p>", 0, "One\n\nTwo");
	expect_text("<html><body><p>One</p>\n\n<p>Two</p></body></html>", 0,
	    "One\n\nTwo");
	expect_text("<div>a</div><div>b</div>", 0, "a\nb");
	expect_text("<h1>Title</h1><p>Text</p>", 0, "Title\n\nText");
	expect_text("plain text only", 0, "plain text only");
}

/* An editor that writes blank lines as empty paragraphs has paragraphs
 * without a margin (Naver, Daum): each is a line. */
static void
test_paragraph_lines(void)
{
	expect_text("<p>One</p><p>&nbsp;</p><p>Two</p><p>Three</p>", 0,
	    "One\n\nTwo\nThree");
	/* <p><br></p> is a line break, not an empty paragraph */
	expect_text("<p>One</p><p><br></p><p>Two</p><p>Three</p>", 0,
	    "One\n\nTwo\n\nThree");
	/* an empty paragraph in the quoted history decides nothing */
	expect_text("<p>One</p><p>Two</p><blockquote><p>old</p><p>&nbsp;</p>"
	    "</blockquote>", 0, "One\n\nTwo\n\nold");
	/* Word's <o:p> is no paragraph of its own */
	expect_text("<p class=MsoNormal>a<o:p></o:p></p><p class=MsoNormal>"
	    "b<o:p></o:p></p>", 0, "a\nb");
}

static void
test_br(void)
{
	expect_text("a<br>b<br/>c", 0, "a\nb\nc");
	expect_text("<p>line one<br>line two</p>", 0, "line one\nline two");
	/* runs of breaks fold to one empty line */
	expect_text("a<br><br><br><br>b", 0, "a\n\nb");
}

static void
test_whitespace(void)
{
	expect_text("<p>a \n\t  b</p>", 0, "a b");
	expect_text("<p>  leading and trailing  </p>", 0,
	    "leading and trailing");
	expect_text("<p>x<b>bold</b>y <i>it</i></p>", 0, "xboldy it");
}

/* Wrap a fragment in a whole document. */
#define DOC(body) "<html><body>" body "</body></html>"

static void
test_lists(void)
{
	expect_text("<ul><li>first</li><li>second</li></ul>", 0,
	    "- first\n- second");
	expect_text(DOC("<p>Steps:</p><ol><li>one</li><li>two</li></ol>"
	    "<p>end</p>"), 0, "Steps:\n\n- one\n- two\n\nend");
	expect_text(DOC("<ul><li>a<ul><li>nested</li></ul></li></ul>"), 0,
	    "- a\n- nested");
}

static void
test_links(void)
{
	expect_text("<a href=\"https://e.example/x\">click here</a>", 0,
	    "click here <https://e.example/x>");
	/* the target is not repeated when the text shows it */
	expect_text("<a href=\"https://e.example/\">https://e.example/</a>", 0,
	    "https://e.example/");
	expect_text("<a href=\"mailto:a@b.example\">a@b.example</a>", 0,
	    "a@b.example");
	expect_text("<a href=\"mailto:a@b.example\">write us</a>", 0,
	    "write us <a@b.example>");
	/* in-page anchors and empty targets add nothing */
	expect_text("<a href=\"#top\">top</a>", 0, "top");
	expect_text("<a href=\"\">empty</a>", 0, "empty");
	expect_text("<a name=\"x\">anchor</a>", 0, "anchor");
}

static void
test_pre(void)
{
	expect_text(DOC("<p>code:</p><pre>if (x)\n    y();\n  z  w</pre>"
	    "<p>after</p>"), 0, "code:\n\nif (x)\n    y();\n  z  w\n\nafter");
	expect_text("<pre>  keep   spaces</pre>", 0, "  keep   spaces");
}

static void
test_table(void)
{
	expect_text("<table><tr><td>a</td><td>b</td></tr>"
	    "<tr><td>c</td><td>d</td></tr></table>", 0, "a b\nc d");
	expect_text("<p>before</p><table><tr><th>Name</th><th>Qty</th></tr>"
	    "<tr><td>Widget</td><td>3</td></tr></table><p>after</p>", 0,
	    "before\n\nName Qty\nWidget 3\n\nafter");
}

static void
test_script_style(void)
{
	expect_text(DOC("<style>p { color: red }</style>"
	    "<script>alert('x')</script><p>visible</p>"
	    "<noscript>no js</noscript>"), 0, "visible");
	expect_text("<html><head><title>T</title><style>x{}</style></head>"
	    "<body>body text</body></html>", 0, "body text");
	expect_text("<p>before</p><script>var a = '<p>no</p>';</script>", 0,
	    "before");
}

/*
 * Mail bodies are often fragments without <html> and <body>. Elements
 * that follow each other at the top level are siblings: a leading
 * <style> must not take the rest of the text with it, a leading quote
 * dropped with HTML_DROP_QUOTES must not take the reply with it, and a
 * paragraph followed by a list or <pre> still ends with an empty line.
 */
static void
test_fragment_siblings(void)
{
	expect_text("<style>p { color: red }</style><p>visible</p>", 0,
	    "visible");
	expect_text("<script>x()</script>Hello there", 0, "Hello there");
	expect_text("<blockquote>old</blockquote><p>new reply</p>",
	    HTML_DROP_QUOTES, "new reply");
	expect_text("<div class=\"gmail_quote\">quoted</div><p>tail</p>",
	    HTML_DROP_QUOTES, "tail");
	expect_text("<p>Steps:</p><ol><li>one</li><li>two</li></ol>", 0,
	    "Steps:\n\n- one\n- two");
	expect_text("<p>code:</p><pre>x</pre>", 0, "code:\n\nx");
}

static void
test_entities(void)
{
	expect_text("&lt;b&gt; &amp; &quot;q&quot; &eacute; &#1046; &#x416; "
	    "&copy;", 0, "<b> & \"q\" \xc3\xa9 \xd0\x96 \xd0\x96 \xc2\xa9");
	expect_text("<p>\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82</p>",
	    0, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
}

static void
test_nbsp(void)
{
	expect_text("a&nbsp;b", 0, "a b");
	expect_text("a&nbsp;&nbsp;&nbsp;b", 0, "a b");
	expect_text("<p>&nbsp;</p><p>x</p>", 0, "x");
	expect_text("a\xc2\xa0 \xc2\xa0z", 0, "a z");
}

static void
test_img(void)
{
	expect_text("<p>see <img src=\"cid:1\" alt=\"diagram\"> here</p>", 0,
	    "see [diagram] here");
	expect_text("<p>logo<img src=\"x.png\"></p>", 0, "logo");
}

static void
test_drop_quotes(void)
{
	static const char *const quoted[] = {
		"<blockquote>OLD</blockquote>",
		"<blockquote type=\"cite\"><p>OLD</p></blockquote>",
		"<div class=\"gmail_quote\">On Mon, X wrote:<br>OLD</div>",
		"<div class=\"gmail_extra gmail_quote\">OLD</div>",
		"<div class=\"yahoo_quoted\">OLD</div>",
		"<div class=\"moz-cite-prefix\">On 1/1/2024 X wrote: OLD</div>",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(quoted); i++) {
		char *html = g_strdup_printf("<p>TOP reply</p>%s"
		    "<p>BOTTOM signature</p>", quoted[i]);
		char *kept = to_text(html, 0);
		char *dropped = to_text(html, HTML_DROP_QUOTES);

		g_test_message("%s -> \"%s\"", quoted[i], dropped);
		test_check_contains(kept, "OLD");
		test_check_contains(kept, "TOP reply");
		test_check_lacks(dropped, "OLD");
		test_check_contains(dropped, "TOP reply");
		test_check_contains(dropped, "BOTTOM signature");
		g_free(kept);
		g_free(dropped);
		g_free(html);
	}
	/*
	 * Outlook puts no container around the history: its header block
	 * (divRplyFwdMsg, or a div with a thin top border) is followed by
	 * the old message as siblings, so everything from it on goes.
	 */
	expect_text("<p>TOP reply</p><div id=\"appendonsend\"></div><hr>"
	    "<div id=\"divRplyFwdMsg\"><b>From:</b> x<br><b>Sent:</b> y</div>"
	    "<div>OLD message</div><p>OLD signature</p>", HTML_DROP_QUOTES,
	    "TOP reply");
	expect_text("<div class=\"WordSection1\"><p>TOP reply</p><div><div "
	    "style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt "
	    "0cm 0cm 0cm\"><p><b>From:</b> x</p></div></div><p>OLD</p></div>",
	    HTML_DROP_QUOTES, "TOP reply");
	/* a class that merely contains the marker as a substring stays */
	expect_text("<div class=\"not_gmail_quote_really\">keep</div>",
	    HTML_DROP_QUOTES, "keep");
}

/*
 * HTML_MARK_QUOTES writes quoted history as a plain text client would,
 * "> " per level, and keeps what the quote wrappers hold besides (an
 * attribution, a forwarded mail, inline answers) for the text trimmer.
 */
static void
test_mark_quotes(void)
{
	expect_text("<p>new</p><blockquote>old<br>older</blockquote>",
	    HTML_MARK_QUOTES, "new\n\n> old\n> older");
	expect_text("<div>a</div><blockquote><div>q1</div><blockquote>q2"
	    "</blockquote></blockquote>", HTML_MARK_QUOTES,
	    "a\n\n> q1\n\n> > q2");
	expect_text("<blockquote><pre>l1\nl2</pre></blockquote>",
	    HTML_MARK_QUOTES, "> l1\n> l2");
	/* Gmail's wrapper: the attribution and an inline answer stay */
	expect_text("<div class=\"gmail_quote\"><div class=\"gmail_attr\">"
	    "On X wrote:<br></div><blockquote class=\"gmail_quote\">Q?"
	    "</blockquote><div>A.</div></div>", HTML_MARK_QUOTES,
	    "On X wrote:\n\n> Q?\n\nA.");
	/* Yahoo's quote holds the old message in plain divs: all marked */
	expect_text("<div>new</div><div class=\"ydp12yahoo_quoted\"><div>On X "
	    "wrote:</div><div>old</div></div>", HTML_MARK_QUOTES,
	    "new\n> On X wrote:\n> old");
	/* the Outlook header block stays as text: a forward may follow */
	expect_text("<div>new</div><div id=\"divRplyFwdMsg\"><b>From:</b> x"
	    "</div><div>body</div>", HTML_MARK_QUOTES,
	    "new\nFrom: x\nbody");
	/* a signature the client marked is not the message */
	expect_text("<div>new</div><div class=\"gmail_signature\">Name</div>"
	    "<div id=\"ms-outlook-mobile-signature\">Get Outlook</div>"
	    "<div data-signature-widget=\"container\">--<br>N</div>",
	    HTML_MARK_QUOTES, "new");
	expect_text("<div>new</div><div class=\"gmail_signature\">Name</div>",
	    0, "new\nName");
}

/* A block of only a no-break space is a blank line; Word's are lines. */
static void
test_blank_lines(void)
{
	expect_text("<div>a</div><div>&nbsp;</div><div>b</div>", 0,
	    "a\n\nb");
	/* one plain space is Yandex's blank line; indentation is nothing */
	expect_text("<div>a</div><div> </div><div>b</div>", 0, "a\n\nb");
	expect_text("<div>a</div><div>\n  </div><div>b</div>", 0, "a\nb");
	expect_text("<p class=MsoNormal>a<o:p></o:p></p><p class=MsoNormal>b"
	    "</p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>c"
	    "</p>", 0, "a\nb\n\nc");
	expect_text("<p>a</p><p>b</p>", 0, "a\n\nb");
}

/* Time a conversion; it must finish and not crash. */
static void
check_bounded(const char *html, size_t len, double max_seconds)
{
	gint64 start = g_get_monotonic_time();
	char *text = html_to_text(html, len, 0);
	double took = (g_get_monotonic_time() - start) / 1e6;

	g_test_message("%zu bytes in %.3f s", len, took);
	g_assert_nonnull(text);
	if (text != NULL)
		g_assert_true(g_utf8_validate(text, -1, NULL));
	g_assert_cmpfloat(took, <, max_seconds);
	g_free(text);
}

static void
test_deep_nesting(void)
{
	enum { DEPTH = 100000 };
	GString *html = g_string_new(NULL);
	int i;

	for (i = 0; i < DEPTH; i++)
		g_string_append(html, "<div>");
	g_string_append(html, "deep");
	for (i = 0; i < DEPTH; i++)
		g_string_append(html, "</div>");
	check_bounded(html->str, html->len, 10.0);

	/*
	 * Text nested deeper than the walk goes is not shown, but the text
	 * after it is: the parse goes on (libxml2's own tree would stop it
	 * at 256 levels and lose the rest).
	 */
	g_string_truncate(html, 0);
	g_string_append(html, "<p>head</p>");
	for (i = 0; i < 1000; i++)
		g_string_append(html, "<div>");
	g_string_append(html, "deep");
	for (i = 0; i < 1000; i++)
		g_string_append(html, "</div>");
	g_string_append(html, "<p>tail</p>");
	expect_text(html->str, 0, "head\n\ntail");

	/* unclosed nesting of other elements */
	g_string_truncate(html, 0);
	for (i = 0; i < DEPTH; i++)
		g_string_append(html, "<blockquote><b>");
	g_string_append(html, "x");
	check_bounded(html->str, html->len, 10.0);

	g_string_truncate(html, 0);
	for (i = 0; i < DEPTH; i++)
		g_string_append(html, "<table><tr><td>");
	check_bounded(html->str, html->len, 10.0);
	g_string_free(html, TRUE);
}

static void
test_empty(void)
{
	char *text = html_to_text("", 0, 0);

	g_assert_cmpstr(text, ==, "");
	g_free(text);
	/* a length of 0 means nothing, whatever the pointer shows */
	text = html_to_text("<p>ignored</p>", 0, 0);
	g_assert_cmpstr(text, ==, "");
	g_free(text);
	expect_text("<html><body></body></html>", 0, "");
	expect_text("<p></p><div> </div><br>", 0, "");
	expect_text("<!-- only a comment -->", 0, "");
	expect_text("<script>only(a, script)</script>", 0, "");
	expect_text("   \n\t  ", 0, "");
}

static void
test_garbage(void)
{
	static const char *const inputs[] = {
		"<", ">", "<<<<", "<!", "<!--", "<?xml", "<a href=", "&",
		"&#;", "&#xFFFFFFFF;", "&#0;", "&#xD800;", "&#x110000;",
		"<p <p <p", "<table><td><tr>", "<!DOCTYPE", "]]>",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(inputs); i++) {
		char *text = to_text(inputs[i], 0);

		g_assert_nonnull(text);
		if (text != NULL && !g_utf8_validate(text, -1, NULL))
			g_test_fail_printf("%s: invalid UTF-8", inputs[i]);
		g_free(text);
	}
	/* markup that holds no text gives nothing */
	expect_text("<", 0, "");
	expect_text("</p></div></table>", 0, "");
	expect_text("<!---->", 0, "");
	expect_text("&#xD800;&#0;", 0, "");
	{
		char *text = html_to_text("\0\0\0", 3, 0);

		g_assert_cmpstr(text, ==, "");
		g_free(text);
	}
}

/*
 * Random valid UTF-8 made of markup characters, entities and letters:
 * the text must come back, valid UTF-8, whatever the soup.
 */
static void
test_random_soup(void)
{
	static const char *const atoms[] = {
		"<", ">", "/", "&", ";", "#", "\"", "'", "=", " ", "\n",
		"p", "div", "br", "li", "a href", "pre", "blockquote", "td",
		"&nbsp;", "&amp;", "&#1046;", "&#xD800;", "\xc2\xa0",
		"\xd0\x96", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "x",
		"<!--", "-->", "<script>", "</style>",
	};
	GRand *rand = g_rand_new_with_seed(20240601);
	int round, bad = 0;

	for (round = 0; round < 500; round++) {
		GString *html = g_string_new(NULL);
		int n = g_rand_int_range(rand, 1, 300), i;
		char *text;

		for (i = 0; i < n; i++)
			g_string_append(html, atoms[g_rand_int_range(rand, 0,
			    G_N_ELEMENTS(atoms))]);
		text = html_to_text(html->str, html->len,
		    round % 2 ? HTML_DROP_QUOTES : 0);
		if (text == NULL || !g_utf8_validate(text, -1, NULL))
			bad++;
		g_free(text);
		g_string_free(html, TRUE);
	}
	g_assert_cmpint(bad, ==, 0);
	g_rand_free(rand);
}

/*
 * Where libxml2 is opened on first use and cannot be (DESKGATE_FAULT
 * no-libxml2 in a fault-injection build), a message whose only text is
 * HTML is a transient failure: it waits, its text is not lost.
 */
static void
test_libxml2_missing(void)
{
#if defined(DESK_LIBXML2_SONAME) && defined(DESK_FAULT_INJECTION)
	static const char mail[] = "From: a@b.example\r\nDate: Thu, 26 Nov "
	    "2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: "
	    "text/html; charset=utf-8\r\n\r\n<p>Hello</p>\r\n";

	if (g_test_subprocess()) {
		char path[] = "/tmp/test-html-XXXXXX";
		int fd = g_mkstemp(path);
		GError *error = NULL;
		struct mail *m;

		g_assert_cmpint(fd, >=, 0);
		unlink(path);
		g_assert_cmpint(write(fd, mail, sizeof(mail) - 1), ==,
		    (int)sizeof(mail) - 1);
		g_setenv("DESKGATE_FAULT", "no-libxml2", TRUE);
		mail_init();
		m = mail_parse(fd, NULL, NULL, &error);
		g_assert_null(m);
		g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
		g_assert_nonnull(strstr(error->message, "libxml2"));
		g_clear_error(&error);
		/* html_to_text() itself never fails: it gives nothing */
		{
			char *text = html_to_text("<p>x</p>", 8, 0);

			g_assert_cmpstr(text, ==, "");
			g_free(text);
		}
		g_assert_cmpint(html_load(&error), ==, -1);
		g_clear_error(&error);
		mail_shutdown();
		close(fd);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
#else
	g_test_skip("libxml2 is linked, or no fault injection in this build");
#endif
}

/*
 * The answers a customer wrote in colour into Outlook's history: the
 * text in colour after the header block, each run a paragraph.
 */
static void
test_coloured_answers(void)
{
#define BLOCK "<div style=\"border:none;border-top:solid #E1E1E1 1.0pt\">" \
	"<p><b>From:</b> Help Desk</p></div>"
	static const struct {
		const char *html, *want;
	} cases[] = {
		/* the answers; the questions and the reply's own colour go */
		{ "<p style=\"color:#1F497D\">See my answers in blue.</p>"
		  BLOCK "<p>Which version?</p><p><span style=\"color:#0070C0\">"
		  "4.2</span></p><p>Any proxy?</p><p><span style=\"COLOR: "
		  "blue\">No.</span> <span style=\"color:blue\">Direct.</span>"
		  "</p>", "4.2\n\nNo.\n\nDirect." },
		/* <font color>, and a run over several paragraphs */
		{ BLOCK "<p>Q?</p><font color=red><p>yes,</p><p>twice</p></font>",
		  "yes,\n\ntwice" },
		/* black, a background and a border are no colour of text */
		{ BLOCK "<p style=\"color:#000000\">a</p><p style=\"color: "
		  "windowtext !important\">b</p><p style=\"background-color:"
		  "yellow;border-color:red\">c</p>", "" },
		/* no header block: no history, so no answers */
		{ "<p><span style=\"color:red\">x</span></p>", "" },
		/* greys, a link's blue and a signature's colours mark no
		 * answer; a link inside an answer stays; an older mail's
		 * header block ends the answers */
		{ BLOCK "<p style=\"color:#222222\">q</p><p style=\"color:"
		  "rgb(128, 128, 128)\">d</p><a style=\"color:#0563C1\" "
		  "href=\"http://x.example\">l</a><div class=\"signature\" "
		  "style=\"color:#c00000\">sig</div><p style=\"color:red\">"
		  "see <a href=\"http://y.example\">y.example</a></p>" BLOCK
		  "<p style=\"color:red\">older</p>",
		  "see y.example <http://y.example>" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *text = html_coloured_answers(cases[i].html,
		    strlen(cases[i].html));

		g_test_message("%s -> \"%s\"", cases[i].html, text);
		g_assert_cmpstr(text, ==, cases[i].want);
		g_free(text);
	}
#undef BLOCK
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/html/paragraphs", test_paragraphs);
	g_test_add_func("/html/br", test_br);
	g_test_add_func("/html/paragraph-lines", test_paragraph_lines);
	g_test_add_func("/html/whitespace", test_whitespace);
	g_test_add_func("/html/lists", test_lists);
	g_test_add_func("/html/links", test_links);
	g_test_add_func("/html/pre", test_pre);
	g_test_add_func("/html/table", test_table);
	g_test_add_func("/html/script-style", test_script_style);
	g_test_add_func("/html/fragment/siblings", test_fragment_siblings);
	g_test_add_func("/html/entities", test_entities);
	g_test_add_func("/html/nbsp", test_nbsp);
	g_test_add_func("/html/img-alt", test_img);
	g_test_add_func("/html/drop-quotes", test_drop_quotes);
	g_test_add_func("/html/mark-quotes", test_mark_quotes);
	g_test_add_func("/html/blank-lines", test_blank_lines);
	g_test_add_func("/html/deep-nesting", test_deep_nesting);
	g_test_add_func("/html/empty", test_empty);
	g_test_add_func("/html/garbage", test_garbage);
	g_test_add_func("/html/coloured-answers", test_coloured_answers);
	g_test_add_func("/html/random-soup", test_random_soup);
	g_test_add_func("/html/libxml2-missing", test_libxml2_missing);
	return g_test_run();
}
