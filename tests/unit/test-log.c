/*
 * test-log.c - log.c: sender-controlled text made fit for one log line,
 * and a log file's line format.
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "test-util.h"

static void
test_field(void)
{
	char *s = log_field("a\r\nb\tc\x7f" "d");
	char *big = g_strnfill(500, 'x'), *cut;

	g_assert_cmpstr(s, ==, "a??b?c?d");
	g_free(s);
	s = log_field(NULL);
	g_assert_cmpstr(s, ==, "");
	g_free(s);
	cut = log_field(big);
	g_assert_cmpuint(strlen(cut), ==, 200);
	g_free(cut);
	g_free(big);
}

static void
test_file(void)
{
	char *dir = test_tmpdir_new("test-log-XXXXXX");
	char *path = g_build_filename(dir, "desk.log", NULL), *text = NULL;

	log_open("deskgate", path);
	log_set_verbose(false);
	log_info("queue_id=%s action=%s", "ABC", "created");
	log_debug("not written unless verbose");
	log_set_verbose(true);
	log_debug("now written");
	log_close();
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_assert_true(g_regex_match_simple("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:"
	    "\\d\\d deskgate\\[\\d+\\]: info: queue_id=ABC action=created\\n",
	    text, 0, 0));
	g_assert_null(strstr(text, "not written"));
	g_assert_nonnull(strstr(text, "debug: now written"));
	g_free(text);
	test_tmpdir_remove(dir, NULL);
	g_free(path);
	g_free(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/log/field", test_field);
	g_test_add_func("/log/file", test_file);
	return g_test_run();
}
