/*
 * test-util.c - helpers shared by the unit tests (see test-util.h).
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "conf.h"
#include "store.h"
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

void
test_check_contains(const char *s, const char *needle)
{
	char *es, *en;

	if (s != NULL && strstr(s, needle) != NULL)
		return;
	es = g_strescape(s ? s : "(null)", NULL);
	en = g_strescape(needle, NULL);
	g_test_fail_printf("\"%s\" lacks \"%s\"", es, en);
	g_free(es);
	g_free(en);
}

void
test_check_lacks(const char *s, const char *needle)
{
	char *es, *en;

	if (s == NULL || strstr(s, needle) == NULL)
		return;
	es = g_strescape(s, NULL);
	en = g_strescape(needle, NULL);
	g_test_fail_printf("\"%s\" has \"%s\"", es, en);
	g_free(es);
	g_free(en);
}

char *
test_tmpdir_new(const char *tmpl)
{
	GError *error = NULL;
	char *dir = g_dir_make_tmp(tmpl, &error);

	g_assert_no_error(error);
	g_clear_error(&error);
	return dir;
}

void
test_tmpdir_remove(const char *dir, const char *left)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);

		if (left != NULL)
			g_test_fail_printf("file left in the %s: %s", left,
			    name);
		g_unlink(path);
		g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(dir);
}

void
test_tmp_init(struct test_tmp *t, const char *tmpl, const char *file,
    const char *left)
{
	t->dir = test_tmpdir_new(tmpl);
	t->path = file ? g_build_filename(t->dir, file, NULL) : NULL;
	t->left = left;
}

void
test_tmp_teardown(struct test_tmp *t, gconstpointer data)
{
	if (t->path != NULL)
		g_unlink(t->path);
	test_tmpdir_remove(t->dir, t->left);
	g_free(t->path);
	g_free(t->dir);
}

void
test_write_file(const char *path, const char *data, gssize len)
{
	GError *error = NULL;

	g_file_set_contents(path, data, len, &error);
	g_assert_no_error(error);
	g_clear_error(&error);
}

int
test_unlinked_file(const char *dir, const void *data, gsize len)
{
	char *path = g_build_filename(dir, "test-XXXXXX", NULL);
	int fd = g_mkstemp(path);

	g_assert_cmpint(fd, >=, 0);
	g_unlink(path);
	g_free(path);
	g_assert_cmpint(write(fd, data, len), ==, (ssize_t)len);
	return fd;
}

struct store *
test_store_new(const char *path, int busy_timeout_ms)
{
	GError *error = NULL;
	struct store *store = store_open(path, busy_timeout_ms, true, &error);

	g_assert_no_error(error);
	g_assert_nonnull(store);
	g_clear_error(&error);
	if (store == NULL)
		return NULL;
	g_assert_cmpint(store_migrate(store, &error), ==, 0);
	g_assert_no_error(error);
	g_clear_error(&error);
	return store;
}

sqlite3 *
test_sqlite_open(const char *path)
{
	sqlite3 *db = NULL;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	return db;
}

struct desk_conf *
test_conf_load(const char *dir, const char *text)
{
	char *path = g_build_filename(dir, "deskgate.conf", NULL);
	GError *error = NULL;
	struct desk_conf *conf;

	test_write_file(path, text, -1);
	conf = conf_load(path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(conf);
	g_clear_error(&error);
	g_unlink(path);
	g_free(path);
	return conf;
}
