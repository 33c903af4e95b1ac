/*
 * fuzz-html.c - libFuzzer target for html_to_text(), as it is, with the
 * quoted history dropped and with it marked, and html_coloured_answers().
 * The input is made valid UTF-8 first, as
 * mime-message.c does before it calls html_to_text().
 */
#include "config.h"

#include <stdint.h>

#include <glib.h>

#include "html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *valid = g_utf8_make_valid((const char *)data, (gssize)size);
	char *a = html_to_text(valid, strlen(valid), 0);
	char *b = html_to_text(valid, strlen(valid), HTML_DROP_QUOTES);
	char *c = html_to_text(valid, strlen(valid), HTML_MARK_QUOTES);
	char *d = html_coloured_answers(valid, strlen(valid));

	g_assert(g_utf8_validate(a, -1, NULL));
	g_assert(g_utf8_validate(b, -1, NULL));
	g_assert(g_utf8_validate(c, -1, NULL));
	g_assert(g_utf8_validate(d, -1, NULL));
	g_free(a);
	g_free(b);
	g_free(c);
	g_free(d);
	g_free(valid);
	return 0;
}
