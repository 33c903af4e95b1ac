/*
 * cache.c - the compiled-file cache (see cache.h).
 *
 * The file, in the host's byte order (it never leaves the machine, and
 * PCRE2's serialised patterns are host-specific anyway):
 *
 *	"deskcach"  u32 format  u32 count  u64 payload length  u64 checksum
 *	payload:    u32+bytes key, then COUNT times u32+bytes blob
 *
 * The checksum, a 64-bit FNV-1a variant, covers the 24 bytes before it
 * and the payload: not a defence
 * against someone who can write the cache directory (they could write
 * the store beside it), but any one changed byte, a truncation or a file
 * of zeros after a crash is caught. No fsync: a file torn by a crash
 * fails the checksum and is compiled again.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cache.h"
#include "error.h"

#define CACHE_MAGIC	"deskcach"
#define CACHE_FORMAT	1
#define CACHE_HEADER	32
#define CACHE_MAX_SIZE	(64 * 1024 * 1024)	/* larger: not ours */

struct cache {
	char *path;		/* DIR/NAME */
	char *key;		/* the caller's: salt and sources */
	guint n;
	GBytes **blobs;		/* [n]; the hit's, or those given */
	enum cache_state state;
};

/*
 * FNV-1a with 8 bytes a step and a fold after each multiplication. Each
 * step is a bijection of the state for a given word and of the word for
 * a given state, so that any change within one 8-byte word changes the
 * sum; eight times fewer steps than the bytewise FNV-1a.
 */
#define CACHE_SEED	0xcbf29ce484222325ULL	/* FNV-1a's offset basis */

static uint64_t
cache_checksum(uint64_t h, const uint8_t *p, size_t len)
{
	uint64_t w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h ^= w;
		h *= 0x100000001b3ULL;
		h ^= h >> 32;
	}
	while (len-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

char *
cache_source_read(GString *key, const char *path, gsize *len_r,
    GError **error)
{
	struct stat sb;
	char *buf = NULL;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "Failed to open file \u201c%s\u201d: %s", path,
		    g_strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > CACHE_MAX_SIZE) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "%s: not a regular file of at most %d bytes", path,
		    CACHE_MAX_SIZE);
		goto fail;
	}
	buf = g_malloc((size_t)sb.st_size + 1);
	for (;;) {
		ssize_t got = read(fd, buf + done, (size_t)sb.st_size - done);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "Failed to read from file \u201c%s\u201d: %s", path,
			    g_strerror(errno));
			goto fail;
		}
		done += (size_t)got;
		if (got == 0 || done == (size_t)sb.st_size)
			break;
	}
	buf[done] = '\0';
	close(fd);
	g_string_append_printf(key, "%s\t%zu\t%jd.%09ld\t%016" G_GINT64_MODIFIER
	    "x\n", path, done, (intmax_t)sb.st_mtim.tv_sec,
	    (long)sb.st_mtim.tv_nsec, (guint64)cache_checksum(
	    CACHE_SEED, (const uint8_t *)buf, done));
	*len_r = done;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	g_free(buf);
	return NULL;
}

/* Read the whole cache file, or NULL (and *STATE_R why). */
static GBytes *
cache_read_file(const char *path, enum cache_state *state_r)
{
	struct stat sb;
	uint8_t *buf = NULL;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*state_r = CACHE_CORRUPT;
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			*state_r = CACHE_MISSING;
		return NULL;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size < CACHE_HEADER || sb.st_size > CACHE_MAX_SIZE)
		goto fail;
	buf = g_malloc((size_t)sb.st_size);
	while (done < (size_t)sb.st_size) {
		ssize_t got = read(fd, buf + done, (size_t)sb.st_size - done);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			goto fail;
		done += (size_t)got;
	}
	close(fd);
	return g_bytes_new_take(buf, done);
fail:
	g_free(buf);
	close(fd);
	return NULL;
}

/* Check FILE against KEY and take its blobs; the state it is in. */
static enum cache_state
cache_parse(struct cache *cache, GBytes *file)
{
	gsize size;
	const uint8_t *data = g_bytes_get_data(file, &size);
	uint32_t format, count, keylen;
	uint64_t len, sum;
	struct cache_unpack u;
	const void *key;
	guint i;

	if (memcmp(data, CACHE_MAGIC, 8) != 0)
		return CACHE_CORRUPT;
	memcpy(&format, data + 8, 4);
	memcpy(&count, data + 12, 4);
	memcpy(&len, data + 16, 8);
	memcpy(&sum, data + 24, 8);
	if (format != CACHE_FORMAT || len != size - CACHE_HEADER ||
	    cache_checksum(cache_checksum(CACHE_SEED, data, 24),
	    data + CACHE_HEADER, len) != sum)
		return CACHE_CORRUPT;
	u.p = data + CACHE_HEADER;
	u.end = data + size;
	u.bad = false;
	key = cache_unpack_bytes(&u, &keylen);
	if (u.bad)
		return CACHE_CORRUPT;
	if (count != cache->n || keylen != strlen(cache->key) ||
	    memcmp(key, cache->key, keylen) != 0)
		return CACHE_STALE;
	for (i = 0; i < count; i++) {
		uint32_t blen;
		const uint8_t *b = cache_unpack_bytes(&u, &blen);

		if (u.bad)
			return CACHE_CORRUPT;
		cache->blobs[i] = g_bytes_new_from_bytes(file,
		    (gsize)(b - data), blen);
	}
	return u.p == u.end ? CACHE_HIT : CACHE_CORRUPT;
}

struct cache *
cache_open(const char *dir, const char *name, const char *key, guint n)
{
	struct cache *cache = g_new0(struct cache, 1);
	GBytes *file;
	guint i;

	cache->path = g_build_filename(dir, name, NULL);
	cache->key = g_strdup(key);
	cache->n = n;
	cache->blobs = g_new0(GBytes *, n);
	file = cache_read_file(cache->path, &cache->state);
	if (file != NULL) {
		cache->state = cache_parse(cache, file);
		g_bytes_unref(file);
	}
	if (cache->state != CACHE_HIT)
		for (i = 0; i < n; i++)
			g_clear_pointer(&cache->blobs[i], g_bytes_unref);
	return cache;
}

void
cache_free(struct cache *cache)
{
	guint i;

	if (cache == NULL)
		return;
	for (i = 0; i < cache->n; i++)
		if (cache->blobs[i] != NULL)
			g_bytes_unref(cache->blobs[i]);
	g_free(cache->blobs);
	g_free(cache->key);
	g_free(cache->path);
	g_free(cache);
}

enum cache_state
cache_state(const struct cache *cache)
{
	return cache->state;
}

const char *
cache_state_name(enum cache_state state)
{
	static const char *const names[] = {
		[CACHE_HIT] = "hit",
		[CACHE_MISSING] = "missing",
		[CACHE_STALE] = "stale",
		[CACHE_CORRUPT] = "corrupt",
	};

	return names[state];
}

GBytes *
cache_get(const struct cache *cache, guint i)
{
	g_assert(i < cache->n);
	return cache->state == CACHE_HIT ? cache->blobs[i] : NULL;
}

void
cache_set(struct cache *cache, guint i, GBytes *blob)
{
	g_assert(i < cache->n);
	if (cache->blobs[i] != NULL)
		g_bytes_unref(cache->blobs[i]);
	cache->blobs[i] = g_bytes_ref(blob);
}

static int
cache_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t put = write(fd, p, len);

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return -1;
		p += put;
		len -= (size_t)put;
	}
	return 0;
}

int
cache_write(struct cache *cache, GError **error)
{
	GByteArray *out = g_byte_array_new();
	char *dir = g_path_get_dirname(cache->path);
	char *base = g_path_get_basename(cache->path);
	char *name = g_strdup_printf(".%s.XXXXXX", base);
	char *tmp = g_build_filename(dir, name, NULL);
	uint32_t format = CACHE_FORMAT, count = cache->n;
	uint64_t len, sum;
	int fd = -1, rc = -1;
	guint i;

	g_byte_array_set_size(out, CACHE_HEADER);
	cache_pack_str(out, cache->key);
	for (i = 0; i < cache->n; i++) {
		gsize blen;
		const void *b;

		g_assert(cache->blobs[i] != NULL);
		b = g_bytes_get_data(cache->blobs[i], &blen);
		g_assert(blen <= UINT32_MAX);
		cache_pack_bytes(out, b, (uint32_t)blen);
	}
	len = out->len - CACHE_HEADER;
	memcpy(out->data, CACHE_MAGIC, 8);
	memcpy(out->data + 8, &format, 4);
	memcpy(out->data + 12, &count, 4);
	memcpy(out->data + 16, &len, 8);
	sum = cache_checksum(cache_checksum(CACHE_SEED, out->data, 24),
	    out->data + CACHE_HEADER, len);
	memcpy(out->data + 24, &sum, 8);

	if ((fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600)) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "cache %s: %s", tmp, g_strerror(errno));
		goto out;
	}
	if (cache_write_all(fd, out->data, out->len) < 0 || close(fd) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "cache %s: %s", tmp, g_strerror(errno));
		fd = -1;
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, cache->path) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "cache %s: rename: %s", cache->path, g_strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	g_byte_array_unref(out);
	g_free(tmp);
	g_free(name);
	g_free(base);
	g_free(dir);
	return rc;
}

void
cache_pack_u32(GByteArray *out, uint32_t v)
{
	g_byte_array_append(out, (const guint8 *)&v, 4);
}

void
cache_pack_bytes(GByteArray *out, const void *data, uint32_t len)
{
	cache_pack_u32(out, len);
	if (len > 0)
		g_byte_array_append(out, data, len);
}

void
cache_pack_str(GByteArray *out, const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;

	g_assert(len <= UINT32_MAX);
	cache_pack_bytes(out, s, (uint32_t)len);
}

void
cache_unpack_init(struct cache_unpack *u, GBytes *blob)
{
	gsize size;

	u->p = g_bytes_get_data(blob, &size);
	u->end = u->p + size;
	u->bad = u->p == NULL && size > 0;
}

uint32_t
cache_unpack_u32(struct cache_unpack *u)
{
	uint32_t v = 0;

	if (u->bad || u->end - u->p < 4) {
		u->bad = true;
		return 0;
	}
	memcpy(&v, u->p, 4);
	u->p += 4;
	return v;
}

const void *
cache_unpack_bytes(struct cache_unpack *u, uint32_t *len_r)
{
	uint32_t len = cache_unpack_u32(u);
	const void *p = u->p;

	*len_r = 0;
	if (u->bad || (size_t)(u->end - u->p) < len) {
		u->bad = true;
		return NULL;
	}
	u->p += len;
	*len_r = len;
	return p;
}

char *
cache_unpack_str(struct cache_unpack *u)
{
	uint32_t len;
	const char *p = cache_unpack_bytes(u, &len);

	if (u->bad || memchr(p, '\0', len) != NULL) {
		u->bad = true;
		return NULL;
	}
	return g_strndup(p, len);
}
