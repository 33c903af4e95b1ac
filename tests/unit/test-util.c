/*
 * test-util.c - helpers shared by the unit tests.
 */
#include "config.h"

#include <string.h>

#include "test-util.h"

char *
test_srcdir_path(const char *rel)
{
	const char *top = g_getenv("top_srcdir");
	const char *tests = g_getenv("G_TEST_SRCDIR");
	char *dir, *path;

	if (top != NULL)
		return g_build_filename(top, rel, NULL);
	if (tests != NULL)
		return g_build_filename(tests, "..", rel, NULL);
	dir = g_path_get_dirname(__FILE__);
	path = g_build_filename(dir, "..", "..", rel, NULL);
	g_free(dir);
	return path;
}

char *
test_corpus_path(const char *rel)
{
	const char *env = g_getenv("DESK_CORPUS");
	char *base = env ? g_strdup(env) :
	    test_srcdir_path("../shared/corpus");
	char *path = g_build_filename(base, rel, NULL);

	g_free(base);
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_free(path);
		return NULL;
	}
	return path;
}

char *
test_normalise(const char *text)
{
	char **lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);
	int i, blank = 0;

	for (i = 0; lines[i] != NULL; i++) {
		g_strchomp(lines[i]);	/* also the \r of CRLF */
		if (*lines[i] == '\0') {
			blank++;
			continue;
		}
		if (out->len > 0)
			g_string_append(out, blank ? "\n\n" : "\n");
		blank = 0;
		g_string_append(out, lines[i]);
	}
	g_strfreev(lines);
	return g_string_free(out, FALSE);
}
