/*
 * test-util.h - what the unit tests share: finding the source tree and
 * the public corpus, checking strings, temporary directories and files,
 * a migrated store, a raw SQLite connection and a loaded configuration.
 */
#ifndef DESK_TEST_UTIL_H
#define DESK_TEST_UTIL_H

#include <glib.h>
#include <sqlite3.h>

struct desk_conf;
struct store;

/*
 * test_srcdir_path - REL in the source tree: $top_srcdir, else
 * $G_TEST_SRCDIR/.., else relative to this file. (transfer full)
 */
char *test_srcdir_path(const char *rel);

/*
 * test_corpus_path - REL in ../shared/corpus beside the source tree (or
 * $DESK_CORPUS), or NULL when the corpus is absent. (transfer full)
 */
char *test_corpus_path(const char *rel);

/*
 * test_normalise - TEXT as the corpus README compares reply texts: CRLF
 * to LF, trailing blanks dropped, runs of blank lines folded, ends
 * stripped. (transfer full)
 */
char *test_normalise(const char *text);

/* test_check_contains - fail unless S holds NEEDLE (S shown escaped). */
void test_check_contains(const char *s, const char *needle);

/* test_check_lacks - fail if S holds NEEDLE (S shown escaped). */
void test_check_lacks(const char *s, const char *needle);

/* test_tmpdir_new - a new directory from the template TMPL. (transfer full) */
char *test_tmpdir_new(const char *tmpl);

/* test_tmpdir_remove - DIR and its files; with LEFT a file fails the test. */
void test_tmpdir_remove(const char *dir, const char *left);

/* struct test_tmp - a fixture: a temporary directory, a file name in it. */
struct test_tmp {
	char *dir;
	char *path;		/* DIR/FILE, or NULL */
	const char *left;	/* test_tmpdir_remove()'s LEFT */
};

/* test_tmp_init - T->dir from TMPL, T->path DIR/FILE or NULL, T->left. */
void test_tmp_init(struct test_tmp *t, const char *tmpl, const char *file,
    const char *left);

/* test_tmp_teardown - unlink T->path, test_tmpdir_remove(), free T's. */
void test_tmp_teardown(struct test_tmp *t, gconstpointer data);

/* test_write_file - LEN bytes of DATA (-1: a string) to PATH, asserted. */
void test_write_file(const char *path, const char *data, gssize len);

/* test_unlinked_file - an fd of DATA, unlinked from DIR, at its end. */
int test_unlinked_file(const char *dir, const void *data, gsize len);

/* test_store_new - the store PATH, made and migrated. (transfer full) */
struct store *test_store_new(const char *path, int busy_timeout_ms);

/* test_sqlite_open - a raw connection to PATH, 2 s busy. (transfer full) */
sqlite3 *test_sqlite_open(const char *path);

/* test_conf_load - TEXT loaded as DIR/deskgate.conf. (transfer full) */
struct desk_conf *test_conf_load(const char *dir, const char *text);

#endif
