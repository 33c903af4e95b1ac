/*
 * test-cache.c - unit tests of cache.c, the compiled-file cache, and of
 * intake_load_rules() through it: a hit gives what compiling gives; a
 * stale cache (a rule file edited, even in place to the same size at
 * once), a corrupt one
 * (any byte changed, truncated, empty, garbage), a missing directory and
 * a read-only one all fall back to compiling, and never to a wrong
 * match; a broken rule file is reported whatever the cache holds.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cache.h"
#include "classify.h"
#include "conf.h"
#include "error.h"
#include "intake.h"
#include "language.h"
#include "mime-message.h"
#include "rules.h"
#include "test-util.h"

#define SECRET_HEX \
	"000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f"

struct fx {
	char *dir;		/* the test's directory */
	char *src[2];		/* two source files */
	char *cache_dir;	/* DIR/cache */
};

static void
fx_setup(struct fx *f, gconstpointer data)
{
	f->dir = test_tmpdir_new("test-cache-XXXXXX");
	f->src[0] = g_build_filename(f->dir, "a.rules", NULL);
	f->src[1] = g_build_filename(f->dir, "b.words", NULL);
	f->cache_dir = g_build_filename(f->dir, "cache", NULL);
	test_write_file(f->src[0], "first source\n", -1);
	test_write_file(f->src[1], "second source\n", -1);
	g_assert_cmpint(g_mkdir(f->cache_dir, 0700), ==, 0);
}

/* Remove DIR and what is in it, one level of subdirectories too. */
static void
remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
			g_chmod(path, 0700);
			test_tmpdir_remove(path, NULL);
		} else
			g_unlink(path);
		g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(dir);
}

static void
fx_teardown(struct fx *f, gconstpointer data)
{
	remove_tree(f->dir);
	g_free(f->src[0]);
	g_free(f->src[1]);
	g_free(f->cache_dir);
	g_free(f->dir);
}

/* The key of SALT and the sources as they are now. (transfer full) */
static char *
key_of(struct fx *f, const char *salt)
{
	GString *key = g_string_new(salt);
	guint i;

	g_string_append_c(key, '\n');
	for (i = 0; i < 2; i++) {
		GError *error = NULL;
		gsize len;
		char *text = cache_source_read(key, f->src[i], &len, &error);

		if (text == NULL) {	/* gone: a key no cache was made for */
			g_string_append_printf(key, "%s\t-\n", f->src[i]);
			g_clear_error(&error);
		}
		g_free(text);
	}
	return g_string_free(key, FALSE);
}

static struct cache *
open_cache_in(struct fx *f, const char *dir, const char *salt)
{
	char *key = key_of(f, salt);
	struct cache *c = cache_open(dir, "t.cache", key, 2);

	g_free(key);
	return c;
}

static struct cache *
open_cache(struct fx *f, const char *salt)
{
	return open_cache_in(f, f->cache_dir, salt);
}

/* Overwrite PATH in place (same inode) with TEXT. */
static void
overwrite(const char *path, const char *text)
{
	FILE *fp = fopen(path, "r+");

	g_assert_nonnull(fp);
	g_assert_cmpint(fwrite(text, 1, strlen(text), fp), ==, strlen(text));
	g_assert_cmpint(fclose(fp), ==, 0);
}

/* Write a cache of the blobs "blob 0" and "blob 1" for the sources. */
static void
write_cache(struct fx *f)
{
	struct cache *c = open_cache(f, "salt");
	GError *error = NULL;
	guint i;

	for (i = 0; i < 2; i++) {
		char *text = g_strdup_printf("blob %u", i);
		GBytes *b = g_bytes_new_take(text, strlen(text));

		cache_set(c, i, b);
		g_bytes_unref(b);
	}
	g_assert_cmpint(cache_write(c, &error), ==, 0);
	g_assert_no_error(error);
	cache_free(c);
}

static void
expect_state(struct fx *f, const char *salt, enum cache_state want)
{
	struct cache *c = open_cache(f, salt);

	g_assert_cmpstr(cache_state_name(cache_state(c)), ==,
	    cache_state_name(want));
	if (want != CACHE_HIT) {
		g_assert_null(cache_get(c, 0));
		g_assert_null(cache_get(c, 1));
	}
	cache_free(c);
}

static void
test_roundtrip(struct fx *f, gconstpointer data)
{
	struct cache *c;
	guint i;

	expect_state(f, "salt", CACHE_MISSING);
	write_cache(f);
	c = open_cache(f, "salt");
	g_assert_cmpint(cache_state(c), ==, CACHE_HIT);
	for (i = 0; i < 2; i++) {
		char *want = g_strdup_printf("blob %u", i);
		gsize len;
		const char *got = g_bytes_get_data(cache_get(c, i), &len);

		g_assert_cmpmem(got, len, want, strlen(want));
		g_free(want);
	}
	cache_free(c);
	/* only the cache file is left, no temporary one beside it */
	{
		GDir *d = g_dir_open(f->cache_dir, 0, NULL);
		int n = 0;

		while (g_dir_read_name(d) != NULL)
			n++;
		g_dir_close(d);
		g_assert_cmpint(n, ==, 1);
	}
}

static void
test_stale(struct fx *f, gconstpointer data)
{
	write_cache(f);
	expect_state(f, "salt", CACHE_HIT);
	expect_state(f, "another salt", CACHE_STALE);
	/* the same size, other bytes, in place, at once: the sum tells */
	overwrite(f->src[0], "first SOURCE\n");
	expect_state(f, "salt", CACHE_STALE);
	write_cache(f);
	expect_state(f, "salt", CACHE_HIT);
	overwrite(f->src[0], "first source\n");
	expect_state(f, "salt", CACHE_STALE);
	write_cache(f);
	expect_state(f, "salt", CACHE_HIT);
	/* replaced by another file (a new inode), or gone */
	test_write_file(f->src[1], "second source, longer\n", -1);
	expect_state(f, "salt", CACHE_STALE);
	write_cache(f);
	g_assert_cmpint(g_unlink(f->src[1]), ==, 0);
	expect_state(f, "salt", CACHE_STALE);
}

static void
test_corrupt(struct fx *f, gconstpointer data)
{
	char *path = g_build_filename(f->cache_dir, "t.cache", NULL);
	char *good = NULL;
	gsize len, i;

	write_cache(f);
	g_assert_true(g_file_get_contents(path, &good, &len, NULL));
	/* every single byte changed, in turn */
	for (i = 0; i < len; i++) {
		char *bad = g_memdup2(good, len);

		bad[i] ^= 0x5a;
		test_write_file(path, bad, (gssize)len);
		expect_state(f, "salt", CACHE_CORRUPT);
		g_free(bad);
	}
	/* cut short, grown, empty, garbage, a directory */
	test_write_file(path, good, (gssize)len - 1);
	expect_state(f, "salt", CACHE_CORRUPT);
	{
		char *more = g_malloc(len + 1);

		memcpy(more, good, len);
		more[len] = 'X';
		test_write_file(path, more, (gssize)len + 1);
		expect_state(f, "salt", CACHE_CORRUPT);
		g_free(more);
	}
	test_write_file(path, "", 0);
	expect_state(f, "salt", CACHE_CORRUPT);
	test_write_file(path, "deskcach and then some garbage, long enough "
	    "for a header", -1);
	expect_state(f, "salt", CACHE_CORRUPT);
	g_unlink(path);
	g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
	expect_state(f, "salt", CACHE_CORRUPT);
	g_rmdir(path);
	/* and written again, it is good again */
	test_write_file(path, good, (gssize)len);
	expect_state(f, "salt", CACHE_HIT);
	g_free(good);
	g_free(path);
}

/*
 * A directory this process cannot write to: mode 0555, or, for root
 * (who writes through modes, and the tests run as root), /proc.
 */
static const char *
read_only_dir(const char *dir)
{
	g_assert_cmpint(g_chmod(dir, 0555), ==, 0);
	return access(dir, W_OK) == 0 ? "/proc" : dir;
}

static void
test_unwritable(struct fx *f, gconstpointer data)
{
	char *missing = g_build_filename(f->dir, "no-such-dir", NULL);
	const char *dirs[] = { missing, read_only_dir(f->cache_dir) };
	guint i;

	for (i = 0; i < G_N_ELEMENTS(dirs); i++) {
		struct cache *c = open_cache_in(f, dirs[i], "salt");
		GBytes *b = g_bytes_new_static("x", 1);
		GError *error = NULL;

		g_assert_cmpint(cache_state(c), ==, CACHE_MISSING);
		cache_set(c, 0, b);
		cache_set(c, 1, b);
		g_assert_cmpint(cache_write(c, &error), ==, -1);
		g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
		g_clear_error(&error);
		g_bytes_unref(b);
		cache_free(c);
	}
	/* a good cache in a directory that became read-only is still read */
	g_chmod(f->cache_dir, 0700);
	write_cache(f);
	read_only_dir(f->cache_dir);
	expect_state(f, "salt", CACHE_HIT);
	g_chmod(f->cache_dir, 0700);
	g_free(missing);
}

/* ---- intake_load_rules() through the cache ---- */

struct rfx {
	char *dir;
	char *filters;		/* a copy of filters/ */
	char *cache_dir;
	struct desk_conf *conf;
};

static void
copy_file(const char *from, const char *to)
{
	char *text = NULL;
	gsize len;

	g_assert_true(g_file_get_contents(from, &text, &len, NULL));
	test_write_file(to, text, (gssize)len);
	g_free(text);
}

static struct desk_conf *
rfx_conf(struct rfx *f, const char *cache_dir)
{
	char *text = g_strdup_printf("[desk]\naddress = support@desk.test\n"
	    "secret = " SECRET_HEX "\nfilters = %s\n%s%s%s[store]\n"
	    "path = %s/desk.db\n", f->filters,
	    cache_dir ? "cache_dir = " : "", cache_dir ? cache_dir : "",
	    cache_dir ? "\n" : "", f->dir);
	struct desk_conf *conf = test_conf_load(f->dir, text);

	g_free(text);
	return conf;
}

static void
rfx_setup(struct rfx *f, gconstpointer data)
{
	static const char *const files[] = {
		"robots.rules", "assessment.rules", "quotes.rules",
		"languages.words",
	};
	char *shipped = test_srcdir_path("filters");
	size_t i;

	f->dir = test_tmpdir_new("test-cache-rules-XXXXXX");
	f->filters = g_build_filename(f->dir, "filters", NULL);
	f->cache_dir = g_build_filename(f->dir, "cache", NULL);
	g_assert_cmpint(g_mkdir(f->filters, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(f->cache_dir, 0700), ==, 0);
	for (i = 0; i < G_N_ELEMENTS(files); i++) {
		char *from = g_build_filename(shipped, files[i], NULL);
		char *to = g_build_filename(f->filters, files[i], NULL);

		copy_file(from, to);
		g_free(from);
		g_free(to);
	}
	g_free(shipped);
	f->conf = rfx_conf(f, f->cache_dir);
}

static void
rfx_teardown(struct rfx *f, gconstpointer data)
{
	conf_free(f->conf);
	remove_tree(f->dir);
	g_free(f->filters);
	g_free(f->cache_dir);
	g_free(f->dir);
}

/* The class deskgate would give a mail with SUBJECT and HEADER. */
static enum mail_class
class_of(struct intake *in, const char *subject, const char *header)
{
	char *text = g_strdup_printf("From: Ann <ann@shop.example>\r\n"
	    "To: support@desk.test\r\nSubject: %s\r\nDate: Thu, 26 Nov 2026 "
	    "10:00:00 +0000\r\nMessage-ID: <m1@shop.example>\r\n%s"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\nHello, the "
	    "cart does not update the total.\r\n", subject, header);
	struct mail *m = mail_parse_bytes(text, strlen(text));
	struct classification c = { 0 };
	enum mail_class class;

	classify_mail(in->robots, m, "ann@shop.example", &c);
	class = c.class;
	classification_clear(&c);
	mail_free(m);
	g_free(text);
	return class;
}

/*
 * Load the rules with CONF; they must be what compiling gives: the
 * shipped robots rules (an auto-reply is one), the word list, and
 * MARKER's subject classed as WANT. Returns the cache's state.
 */
static enum cache_state
load_and_check(struct desk_conf *conf, const char *marker,
    enum mail_class want, bool *written_r)
{
	struct intake in = { 0 };
	GError *error = NULL;
	enum cache_state state;

	in.conf = conf;
	g_assert_cmpint(intake_load_rules(&in, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(class_of(&in, "Question about the cart", ""), ==,
	    MAIL_CLASS_HUMAN);
	g_assert_cmpint(class_of(&in, "Out of office",
	    "Auto-Submitted: auto-replied\r\n"), ==, MAIL_CLASS_AUTOREPLY);
	g_assert_cmpint(class_of(&in, marker, ""), ==, want);
	g_assert_cmpstr(language_detect(in.languages, "what is the price of "
	    "the licence and where do I find it"), ==, "en");
	g_assert_cmpstr(language_detect(in.languages, "подскажите, пожалуйста,"
	    " как это сделать и где найти"), ==, "ru");
	g_assert_cmpuint(rules_count(in.quotes), >, 0);
	g_assert_cmpuint(rules_count(in.assessment), >, 0);
	state = in.cache;
	*written_r = in.cache_written;
	intake_free_rules(&in);
	return state;
}

#define MARKER "zzz-cache-marker"

static void
add_marker_rule(struct rfx *f, const char *word)
{
	char *path = g_build_filename(f->filters, "robots.rules", NULL);
	char *text = NULL, *more;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	more = g_strdup_printf("%sautoreply decisive subject ^%s$\n", text,
	    word);
	test_write_file(path, more, -1);
	g_free(more);
	g_free(text);
	g_free(path);
}

/* Replace the first FROM in robots.rules by TO, of the same length. */
static void
edit_robots(struct rfx *f, const char *from, const char *to)
{
	char *path = g_build_filename(f->filters, "robots.rules", NULL);
	char *text = NULL, *at;

	g_assert_cmpuint(strlen(from), ==, strlen(to));
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	at = strstr(text, from);
	g_assert_nonnull(at);
	memcpy(at, to, strlen(to));
	test_write_file(path, text, -1);
	g_free(text);
	g_free(path);
}

static char *
cache_file(struct rfx *f)
{
	GDir *d = g_dir_open(f->cache_dir, 0, NULL);
	const char *name = d ? g_dir_read_name(d) : NULL;
	char *path = name ? g_build_filename(f->cache_dir, name, NULL) : NULL;

	if (d != NULL)
		g_dir_close(d);
	return path;
}

static void
test_rules_hit_and_stale(struct rfx *f, gconstpointer data)
{
	bool written;

	g_assert_cmpint(load_and_check(f->conf, MARKER, MAIL_CLASS_HUMAN,
	    &written), ==, CACHE_MISSING);
	g_assert_true(written);
	g_assert_cmpint(load_and_check(f->conf, MARKER, MAIL_CLASS_HUMAN,
	    &written), ==, CACHE_HIT);
	g_assert_false(written);
	/* a rule added: compiled again, and it counts at once */
	add_marker_rule(f, MARKER);
	g_assert_cmpint(load_and_check(f->conf, MARKER, MAIL_CLASS_AUTOREPLY,
	    &written), ==, CACHE_STALE);
	g_assert_true(written);
	g_assert_cmpint(load_and_check(f->conf, MARKER, MAIL_CLASS_AUTOREPLY,
	    &written), ==, CACHE_HIT);
	/* the same size, another pattern: never the old match */
	edit_robots(f, "^" MARKER "$", "^yyy-cache-marker$");
	g_assert_cmpint(load_and_check(f->conf, MARKER, MAIL_CLASS_HUMAN,
	    &written), ==, CACHE_STALE);
	g_assert_cmpint(load_and_check(f->conf, "yyy-cache-marker",
	    MAIL_CLASS_AUTOREPLY, &written), ==, CACHE_HIT);
	/* another desk address is another cache: patterns hold it */
	{
		char *path = cache_file(f), *text = g_strdup_printf("[desk]\n"
		    "address = help@other.test\nsecret = " SECRET_HEX "\n"
		    "filters = %s\ncache_dir = %s\n[store]\npath = %s/desk.db\n",
		    f->filters, f->cache_dir, f->dir);
		struct desk_conf *other = test_conf_load(f->dir, text);

		g_assert_nonnull(path);
		g_assert_cmpint(load_and_check(other, "yyy-cache-marker",
		    MAIL_CLASS_AUTOREPLY, &written), ==, CACHE_MISSING);
		g_assert_true(written);
		/* and the first is still there, still good */
		g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
		g_assert_cmpint(load_and_check(f->conf, "yyy-cache-marker",
		    MAIL_CLASS_AUTOREPLY, &written), ==, CACHE_HIT);
		conf_free(other);
		g_free(text);
		g_free(path);
	}
}

static void
test_rules_corrupt(struct rfx *f, gconstpointer data)
{
	char *path, *text = NULL;
	gsize len, at;
	bool written;

	add_marker_rule(f, MARKER);
	load_and_check(f->conf, MARKER, MAIL_CLASS_AUTOREPLY, &written);
	path = cache_file(f);
	g_assert_nonnull(path);
	g_assert_true(g_file_get_contents(path, &text, &len, NULL));
	/* bytes in the middle (in the compiled patterns) and at the end */
	for (at = len / 2; at < len; at += len / 4 + 1) {
		text[at] ^= 0x01;
		test_write_file(path, text, (gssize)len);
		g_assert_cmpint(load_and_check(f->conf, MARKER,
		    MAIL_CLASS_AUTOREPLY, &written), ==, CACHE_CORRUPT);
		g_assert_true(written);
		text[at] ^= 0x01;
	}
	test_write_file(path, text, (gssize)len / 3);
	g_assert_cmpint(load_and_check(f->conf, MARKER, MAIL_CLASS_AUTOREPLY,
	    &written), ==, CACHE_CORRUPT);
	g_assert_cmpint(load_and_check(f->conf, MARKER, MAIL_CLASS_AUTOREPLY,
	    &written), ==, CACHE_HIT);
	g_free(text);
	g_free(path);
}

static void
test_rules_no_cache_dir(struct rfx *f, gconstpointer data)
{
	char *missing = g_build_filename(f->dir, "no-such-dir", NULL);
	struct desk_conf *conf = rfx_conf(f, missing);
	bool written;
	int i;

	for (i = 0; i < 2; i++) {
		g_assert_cmpint(load_and_check(conf, MARKER, MAIL_CLASS_HUMAN,
		    &written), ==, CACHE_MISSING);
		g_assert_false(written);
	}
	g_assert_false(g_file_test(missing, G_FILE_TEST_EXISTS));
	conf_free(conf);
	conf = rfx_conf(f, read_only_dir(f->cache_dir));
	for (i = 0; i < 2; i++) {
		g_assert_cmpint(load_and_check(conf, MARKER, MAIL_CLASS_HUMAN,
		    &written), ==, CACHE_MISSING);
		g_assert_false(written);
	}
	g_chmod(f->cache_dir, 0700);
	conf_free(conf);
	g_free(missing);
}

/* A broken rule file is an error whatever the cache holds. */
static void
test_rules_broken_file(struct rfx *f, gconstpointer data)
{
	struct intake in = { 0 };
	GError *error = NULL;
	bool written;

	load_and_check(f->conf, MARKER, MAIL_CLASS_HUMAN, &written);
	add_marker_rule(f, "(unclosed");
	in.conf = f->conf;
	g_assert_cmpint(intake_load_rules(&in, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "robots.rules:"));
	g_clear_error(&error);
}

/* Without cache_dir the cache is beside the store. */
static void
test_rules_default_dir(struct rfx *f, gconstpointer data)
{
	struct desk_conf *conf = rfx_conf(f, NULL);
	bool written;
	char *name;
	GDir *d;

	g_assert_cmpstr(conf->cache_dir, ==, f->dir);
	load_and_check(conf, MARKER, MAIL_CLASS_HUMAN, &written);
	g_assert_true(written);
	d = g_dir_open(f->dir, 0, NULL);
	name = NULL;
	{
		const char *n;

		while ((n = g_dir_read_name(d)) != NULL)
			if (g_str_has_prefix(n, "deskgate-filters-") &&
			    g_str_has_suffix(n, ".cache"))
				name = g_strdup(n);
	}
	g_dir_close(d);
	g_assert_nonnull(name);
	g_assert_cmpint(load_and_check(conf, MARKER, MAIL_CLASS_HUMAN,
	    &written), ==, CACHE_HIT);
	g_free(name);
	conf_free(conf);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	mail_init();	/* once: GMime cannot start again after shutdown */
	g_test_add("/cache/roundtrip", struct fx, NULL, fx_setup,
	    test_roundtrip, fx_teardown);
	g_test_add("/cache/stale", struct fx, NULL, fx_setup, test_stale,
	    fx_teardown);
	g_test_add("/cache/corrupt", struct fx, NULL, fx_setup, test_corrupt,
	    fx_teardown);
	g_test_add("/cache/unwritable", struct fx, NULL, fx_setup,
	    test_unwritable, fx_teardown);
	g_test_add("/cache/rules/hit-and-stale", struct rfx, NULL, rfx_setup,
	    test_rules_hit_and_stale, rfx_teardown);
	g_test_add("/cache/rules/corrupt", struct rfx, NULL, rfx_setup,
	    test_rules_corrupt, rfx_teardown);
	g_test_add("/cache/rules/no-cache-dir", struct rfx, NULL, rfx_setup,
	    test_rules_no_cache_dir, rfx_teardown);
	g_test_add("/cache/rules/broken-file", struct rfx, NULL, rfx_setup,
	    test_rules_broken_file, rfx_teardown);
	g_test_add("/cache/rules/default-dir", struct rfx, NULL, rfx_setup,
	    test_rules_default_dir, rfx_teardown);
	rc = g_test_run();
	mail_shutdown();
	return rc;
}
