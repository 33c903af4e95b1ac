/*
 * spool.c - stdin to a temporary file, hashed on the way.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "spool.h"

int
spool_tmpfile(const char *dir, GError **error)
{
	char *path;
	int fd;

	if (dir == NULL)
		dir = g_get_tmp_dir();
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	path = g_build_filename(dir, "deskgate.XXXXXX", NULL);
	fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "creating a spool file in %s: %s", dir, g_strerror(errno));
		g_free(path);
		return -1;
	}
	unlink(path);
	g_free(path);
	return fd;
}

static int
spool_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Find where the header ends: the first empty line, "\n\n" or "\n\r\n".
 * STATE carries the last bytes seen across buffers: 0 start of a line
 * (nothing else on it yet), 1 inside a line, 2 saw '\r' at line start.
 * Returns the offset in BUF just past the empty line, or -1.
 */
static ssize_t
spool_header_end(int *state, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		switch (*state) {
		case 0:
			if (c == '\n')
				return (ssize_t)i + 1;
			*state = c == '\r' ? 2 : 1;
			break;
		case 1:
			if (c == '\n')
				*state = 0;
			break;
		case 2:
			if (c == '\n')
				return (ssize_t)i + 1;
			*state = 1;
			break;
		}
	}
	return -1;
}

struct spool *
spool_new(int64_t limit, const char *dir, GError **error)
{
	struct spool *spool = g_new0(struct spool, 1);

	spool->limit = limit;
	spool->fd = spool_tmpfile(dir, error);
	if (spool->fd < 0) {
		spool_free(spool);
		return NULL;
	}
	spool->body_hash = g_checksum_new(G_CHECKSUM_SHA256);
	return spool;
}

int
spool_append(struct spool *spool, const char *buf, size_t len,
    GError **error)
{
	size_t start = 0;

	if (spool->too_big || len == 0)
		return 0;
	if (spool->size + (int64_t)len > spool->limit) {
		spool->too_big = true;
		return 0;
	}
	if (spool_write_all(spool->fd, buf, len) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "writing the spool file: %s", g_strerror(errno));
		return -1;
	}
	if (!spool->in_body) {
		ssize_t end = spool_header_end(&spool->header_state, buf, len);

		if (end >= 0) {
			spool->in_body = true;
			start = (size_t)end;
		}
	}
	if (spool->in_body && len > start)
		g_checksum_update(spool->body_hash,
		    (const guchar *)buf + start, (gssize)(len - start));
	spool->size += (int64_t)len;
	return 0;
}

int
spool_finish(struct spool *spool, GError **error)
{
	if (spool->body_hash != NULL) {
		spool->body_sha256 =
		    g_strdup(g_checksum_get_string(spool->body_hash));
		g_checksum_free(spool->body_hash);
		spool->body_hash = NULL;
	}
	return spool_rewind(spool, error);
}

struct spool *
spool_read(int fd, int64_t limit, const char *dir, GError **error)
{
	struct spool *spool;
	enum { BUFSIZE = 64 * 1024 };
	char *buf;

	if ((spool = spool_new(limit, dir, error)) == NULL)
		return NULL;
	buf = g_malloc(BUFSIZE);
	for (;;) {
		ssize_t n = read(fd, buf, BUFSIZE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
			    "reading the message: %s", g_strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		/* past the limit this only drains: the writer sees no EPIPE */
		if (spool_append(spool, buf, (size_t)n, error) < 0)
			goto fail;
	}
	g_free(buf);
	if (spool_finish(spool, error) < 0) {
		spool_free(spool);
		return NULL;
	}
	return spool;
fail:
	g_free(buf);
	spool_free(spool);
	return NULL;
}

char *
spool_sha256(const struct spool *spool, GError **error)
{
	GChecksum *all;
	enum { BUFSIZE = 64 * 1024 };
	char *buf, *hex;
	int64_t done = 0;

	all = g_checksum_new(G_CHECKSUM_SHA256);
	buf = g_malloc(BUFSIZE);
	while (done < spool->size) {
		ssize_t n = pread(spool->fd, buf, BUFSIZE, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
			    "reading the spool file: %s",
			    n < 0 ? g_strerror(errno) : "short file");
			g_checksum_free(all);
			g_free(buf);
			return NULL;
		}
		g_checksum_update(all, (const guchar *)buf, n);
		done += n;
	}
	hex = g_strdup(g_checksum_get_string(all));
	g_checksum_free(all);
	g_free(buf);
	return hex;
}

int
spool_rewind(struct spool *spool, GError **error)
{
	if (lseek(spool->fd, 0, SEEK_SET) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "rewinding the spool file: %s", g_strerror(errno));
		return -1;
	}
	return 0;
}

void
spool_free(struct spool *spool)
{
	if (spool == NULL)
		return;
	if (spool->fd >= 0)
		close(spool->fd);
	if (spool->body_hash != NULL)
		g_checksum_free(spool->body_hash);
	g_free(spool->body_sha256);
	g_free(spool);
}
