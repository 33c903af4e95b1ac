/*
 * test-spool.c - unit tests of spool.c: a message read from a pipe or a
 * file lands byte for byte in an unlinked temporary file, hashed whole
 * and from the first empty line on; the size limit drains the input.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "error.h"
#include "spool.h"
#include "test-util.h"

#define READ_BUFFER (64 * 1024)	/* spool.c's read size */

/* The spool leaves no names behind: the directory must be empty. */
static void
tmp_setup(struct test_tmp *t, gconstpointer data)
{
	test_tmp_init(t, "test-spool-XXXXXX", NULL, "spool directory");
}

struct writer {
	int fd;
	GBytes *data;
	gsize written;
	int error;		/* errno of a failed write, or 0 */
};

static gpointer
writer_thread(gpointer p)
{
	struct writer *w = p;
	gsize len;
	const char *data = g_bytes_get_data(w->data, &len);

	while (w->written < len) {
		/* odd chunk sizes, so reads see arbitrary boundaries */
		gsize chunk = MIN(len - w->written, 7919);
		ssize_t n = write(w->fd, data + w->written, chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			w->error = errno;
			break;
		}
		w->written += (gsize)n;
	}
	close(w->fd);
	return NULL;
}

/* Spool DATA through a pipe written by a thread. */
static struct spool *
spool_from_pipe(const char *dir, GBytes *data, gint64 limit,
    struct writer *w, GError **error)
{
	int fds[2];
	GThread *thread;
	struct spool *s;

	g_assert_cmpint(pipe(fds), ==, 0);
	w->fd = fds[1];
	w->data = data;
	w->written = 0;
	w->error = 0;
	thread = g_thread_new("writer", writer_thread, w);
	s = spool_read(fds[0], limit, dir, error);
	g_thread_join(thread);
	close(fds[0]);
	return s;
}

/* Spool DATA from a regular file: reads come in full 64 KiB blocks. */
static struct spool *
spool_from_file(const char *dir, GBytes *data, gint64 limit, GError **error)
{
	char *path = g_build_filename(dir, "input", NULL);
	gsize len;
	const char *bytes = g_bytes_get_data(data, &len);
	struct spool *s;
	int fd;

	test_write_file(path, bytes, (gssize)len);
	fd = open(path, O_RDONLY);
	g_assert_cmpint(fd, >=, 0);
	g_unlink(path);
	g_free(path);
	s = spool_read(fd, limit, dir, error);
	close(fd);
	return s;
}

/* The part of DATA after its first empty line ("\n\n" or "\n\r\n"). */
static GBytes *
body_of(GBytes *data)
{
	gsize len, i;
	const char *p = g_bytes_get_data(data, &len);

	/* an empty line at the very start ends an empty header */
	if (len >= 1 && p[0] == '\n')
		return g_bytes_new_from_bytes(data, 1, len - 1);
	if (len >= 2 && p[0] == '\r' && p[1] == '\n')
		return g_bytes_new_from_bytes(data, 2, len - 2);
	for (i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return g_bytes_new_from_bytes(data, i + 2,
			    len - i - 2);
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return g_bytes_new_from_bytes(data, i + 3,
			    len - i - 3);
	}
	return g_bytes_new(NULL, 0);
}

static char *
sha256_of(GBytes *b)
{
	gsize len;
	const guchar *p = g_bytes_get_data(b, &len);

	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, p, len);
}

/* The spool file must hold exactly DATA, at offset 0, with no name. */
static void
check_spool(struct spool *s, GBytes *data)
{
	gsize len;
	const char *want = g_bytes_get_data(data, &len);
	GBytes *body = body_of(data);
	char *sum = sha256_of(data), *body_sum = sha256_of(body);
	char *got = g_malloc(len + 1);
	struct stat st;
	ssize_t n;

	g_assert_nonnull(s);
	if (s == NULL)
		goto out;
	g_assert_false(s->too_big);
	g_assert_cmpint(s->size, ==, (gint64)len);
	{
		char *all = spool_sha256(s, NULL);

		g_assert_cmpstr(all, ==, sum);
		g_free(all);
	}
	g_assert_cmpstr(s->body_sha256, ==, body_sum);
	g_assert_cmpint(fstat(s->fd, &st), ==, 0);
	g_assert_cmpint(st.st_nlink, ==, 0);
	g_assert_cmpint(st.st_size, ==, (off_t)len);
	g_assert_cmpint(st.st_mode & 077, ==, 0);
	g_assert_cmpint(lseek(s->fd, 0, SEEK_CUR), ==, 0);
	n = read(s->fd, got, len + 1);
	g_assert_cmpint(n, ==, (ssize_t)len);
	if (n == (ssize_t)len)
		g_assert_cmpmem(got, len, want, len);
	/* rewind works after reading */
	g_assert_cmpint(spool_rewind(s, NULL), ==, 0);
	g_assert_cmpint(lseek(s->fd, 0, SEEK_CUR), ==, 0);
out:
	g_free(got);
	g_free(sum);
	g_free(body_sum);
	g_bytes_unref(body);
}

static GBytes *
bytes_of(const char *s)
{
	return g_bytes_new(s, strlen(s));
}

static void
check_pipe(struct test_tmp *t, GBytes *data)
{
	struct writer w;
	GError *error = NULL;
	struct spool *s = spool_from_pipe(t->dir, data, G_MAXINT64, &w,
	    &error);

	g_assert_no_error(error);
	g_assert_cmpint(w.error, ==, 0);
	check_spool(s, data);
	spool_free(s);
}

static void
check_file(struct test_tmp *t, GBytes *data)
{
	GError *error = NULL;
	struct spool *s = spool_from_file(t->dir, data, G_MAXINT64, &error);

	g_assert_no_error(error);
	check_spool(s, data);
	spool_free(s);
}

static void
test_pipe_lf(struct test_tmp *t, gconstpointer data)
{
	GBytes *b = bytes_of("From: a@b.example\nSubject: hi\n\nbody line\n"
	    "\nsecond paragraph\n");

	check_pipe(t, b);
	g_bytes_unref(b);
}

static void
test_pipe_crlf(struct test_tmp *t, gconstpointer data)
{
	GBytes *b = bytes_of("From: a@b.example\r\nSubject: hi\r\n\r\n"
	    "body line\r\n");

	check_pipe(t, b);
	g_bytes_unref(b);
}

/* A Received: line added on a re-send changes the hash, not the body's. */
static void
test_body_hash_ignores_header(struct test_tmp *t, gconstpointer data)
{
	GBytes *a = bytes_of("Subject: x\n\nthe same body\n");
	GBytes *b = bytes_of("Received: from relay\nSubject: x\n\n"
	    "the same body\n");
	struct writer w;
	struct spool *sa = spool_from_pipe(t->dir, a, G_MAXINT64, &w, NULL);
	struct spool *sb = spool_from_pipe(t->dir, b, G_MAXINT64, &w, NULL);

	g_assert_nonnull(sa);
	g_assert_nonnull(sb);
	if (sa != NULL && sb != NULL) {
		char *ha = spool_sha256(sa, NULL), *hb = spool_sha256(sb, NULL);

		g_assert_cmpstr(ha, !=, hb);
		g_free(ha);
		g_free(hb);
		g_assert_cmpstr(sa->body_sha256, ==, sb->body_sha256);
	}
	spool_free(sa);
	spool_free(sb);
	g_bytes_unref(a);
	g_bytes_unref(b);
}

static void
test_no_body(struct test_tmp *t, gconstpointer data)
{
	GBytes *b = bytes_of("Subject: only a header\nX-A: b\n");
	GBytes *empty = bytes_of("");

	check_pipe(t, b);
	check_pipe(t, empty);
	g_bytes_unref(b);
	g_bytes_unref(empty);
}

static void
test_empty_header(struct test_tmp *t, gconstpointer data)
{
	GBytes *lf = bytes_of("\nbody only\n");
	GBytes *crlf = bytes_of("\r\nbody only\r\n");

	check_pipe(t, lf);
	check_pipe(t, crlf);
	g_bytes_unref(lf);
	g_bytes_unref(crlf);
}

/* A lone CR inside a line or "\r\r\n" is no empty line. */
static void
test_cr_inside_lines(struct test_tmp *t, gconstpointer data)
{
	GBytes *b = bytes_of("Subject: a\rb\r\r\nX: y\n\r\nbody\n");

	check_pipe(t, b);
	g_bytes_unref(b);
}

/*
 * A header of about 64 KiB whose empty line ("\n\n" or "\r\n\r\n")
 * straddles the end of the first read buffer, at every split point.
 */
static GBytes *
straddling_message(const char *eol, int shift)
{
	GString *m = g_string_new("Subject: long header\n");
	size_t eol_len = strlen(eol);
	/* place the blank line so that the buffer ends SHIFT bytes into it */
	size_t blank_at = READ_BUFFER - (size_t)shift;
	size_t fill;
	int i;

	g_string_append(m, "X-Filler: ");
	fill = blank_at - m->len - eol_len;
	for (i = 0; (size_t)i < fill; i++)
		g_string_append_c(m, 'a' + i % 26);
	g_string_append(m, eol);	/* end of the X-Filler line */
	g_assert_cmpuint(m->len, ==, blank_at);
	g_string_append(m, eol);	/* the empty line */
	g_string_append(m, "body after the boundary\n");
	for (i = 0; i < 2000; i++)
		g_string_append(m, "more body text\n");
	return g_string_free_to_bytes(m);
}

static void
test_boundary_across_buffer(struct test_tmp *t, gconstpointer data)
{
	int shift;

	for (shift = -1; shift <= 3; shift++) {
		GBytes *lf = straddling_message("\n", shift);
		GBytes *crlf = straddling_message("\r\n", shift);

		g_test_message("shift %d", shift);
		check_file(t, lf);
		check_file(t, crlf);
		check_pipe(t, lf);
		check_pipe(t, crlf);
		g_bytes_unref(lf);
		g_bytes_unref(crlf);
	}
}

static GBytes *
big_message(gsize size)
{
	GString *m = g_string_new("Subject: big\n\n");
	guint32 x = 12345;

	while (m->len < size) {
		x = x * 1103515245 + 12345;
		g_string_append_c(m, (char)(x >> 16));
	}
	g_string_truncate(m, size);
	return g_string_free_to_bytes(m);
}

static void
test_large(struct test_tmp *t, gconstpointer data)
{
	GBytes *b = big_message(3 * 1024 * 1024 + 17);

	check_pipe(t, b);
	check_file(t, b);
	g_bytes_unref(b);
}

static void
test_limit(struct test_tmp *t, gconstpointer data)
{
	GBytes *b = big_message(1024 * 1024);
	struct writer w;
	GError *error = NULL;
	struct spool *s = spool_from_pipe(t->dir, b, 100 * 1024, &w, &error);
	struct stat st;

	g_assert_no_error(error);
	g_assert_nonnull(s);
	/* the writer could write everything: the rest was drained */
	g_assert_cmpint(w.error, ==, 0);
	g_assert_cmpuint(w.written, ==, g_bytes_get_size(b));
	if (s != NULL) {
		g_assert_true(s->too_big);
		g_assert_cmpint(s->size, <=, 100 * 1024);
		g_assert_cmpint(fstat(s->fd, &st), ==, 0);
		g_assert_cmpint(st.st_nlink, ==, 0);
		g_assert_cmpint(st.st_size, ==, s->size);
	}
	spool_free(s);
	g_clear_error(&error);
	g_bytes_unref(b);
}

static void
test_limit_exact(struct test_tmp *t, gconstpointer data)
{
	GBytes *b = big_message(200000);
	struct writer w;
	struct spool *s;

	s = spool_from_pipe(t->dir, b, 200000, &w, NULL);
	check_spool(s, b);
	spool_free(s);
	s = spool_from_pipe(t->dir, b, 199999, &w, NULL);
	g_assert_nonnull(s);
	if (s != NULL)
		g_assert_true(s->too_big);
	spool_free(s);
	g_bytes_unref(b);
}

static void
test_tmpfile(struct test_tmp *t, gconstpointer data)
{
	GError *error = NULL;
	int fd = spool_tmpfile(t->dir, &error);
	struct stat st;

	g_assert_no_error(error);
	g_assert_cmpint(fd, >=, 0);
	if (fd < 0)
		return;
	g_assert_cmpint(fstat(fd, &st), ==, 0);
	g_assert_cmpint(st.st_nlink, ==, 0);
	g_assert_cmpint(st.st_mode & 077, ==, 0);
	g_assert_cmpint(write(fd, "abc", 3), ==, 3);
	close(fd);
}

static void
test_errors(struct test_tmp *t, gconstpointer data)
{
	GError *error = NULL;
	char *missing = g_build_filename(t->dir, "no", "such", "dir", NULL);
	int fds[2];
	struct spool *s;

	g_assert_cmpint(spool_tmpfile(missing, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
	g_clear_error(&error);

	s = spool_read(0, 1000, missing, &error);
	g_assert_null(s);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
	g_clear_error(&error);
	spool_free(s);

	/* reading a descriptor opened for writing fails */
	g_assert_cmpint(pipe(fds), ==, 0);
	s = spool_read(fds[1], 1000, t->dir, &error);
	g_assert_null(s);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
	g_clear_error(&error);
	spool_free(s);
	close(fds[0]);
	close(fds[1]);
	g_free(missing);
}

/*
 * spool_new/spool_append/spool_finish (deskgate-lmtpd's DATA): pieces of
 * every size, one byte included, give what spool_read gives; past the
 * limit nothing more is kept.
 */
static void
test_append(struct test_tmp *t, gconstpointer data)
{
	GBytes *b = big_message(300000);
	gsize len, done = 0, piece = 1;
	const char *bytes = g_bytes_get_data(b, &len);
	GError *error = NULL;
	struct spool *s = spool_new(1024 * 1024, t->dir, &error);

	(void)data;
	g_assert_no_error(error);
	g_assert_nonnull(s);
	while (s != NULL && done < len) {
		gsize n = MIN(piece, len - done);

		g_assert_cmpint(spool_append(s, bytes + done, n, &error), ==, 0);
		done += n;
		piece = piece * 3 + 1;	/* 1, 4, 13, ... bytes */
	}
	if (s != NULL) {
		g_assert_cmpint(spool_finish(s, &error), ==, 0);
		g_assert_no_error(error);
		check_spool(s, b);
	}
	spool_free(s);

	s = spool_new(1000, t->dir, &error);
	g_assert_nonnull(s);
	if (s != NULL) {
		g_assert_cmpint(spool_append(s, bytes, 600, &error), ==, 0);
		g_assert_cmpint(spool_append(s, bytes + 600, 600, &error), ==,
		    0);
		g_assert_cmpint(spool_append(s, bytes + 1200, 10, &error), ==,
		    0);
		g_assert_true(s->too_big);
		g_assert_cmpint(s->size, ==, 600);
		g_assert_cmpint(spool_finish(s, &error), ==, 0);
	}
	spool_free(s);
	g_bytes_unref(b);
}

#define ADD(path, fn) \
	g_test_add(path, struct test_tmp, NULL, tmp_setup, fn, \
	    test_tmp_teardown)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	/* a failed write must show up as w.error, not kill the test */
	signal(SIGPIPE, SIG_IGN);
	ADD("/spool/pipe/lf", test_pipe_lf);
	ADD("/spool/pipe/crlf", test_pipe_crlf);
	ADD("/spool/hash/body-ignores-header", test_body_hash_ignores_header);
	ADD("/spool/hash/no-body", test_no_body);
	ADD("/spool/hash/empty-header", test_empty_header);
	ADD("/spool/hash/cr-inside-lines", test_cr_inside_lines);
	ADD("/spool/hash/boundary-across-buffer",
	    test_boundary_across_buffer);
	ADD("/spool/large", test_large);
	ADD("/spool/limit/drains", test_limit);
	ADD("/spool/limit/exact", test_limit_exact);
	ADD("/spool/append", test_append);
	ADD("/spool/tmpfile", test_tmpfile);
	ADD("/spool/errors", test_errors);
	return g_test_run();
}
