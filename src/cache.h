/*
 * cache.h - a cache of what is compiled from files (the rule files'
 * PCRE2 patterns, the word list), so that deskgate, which starts once
 * per message, does not compile them again at every start.
 *
 * One cache file holds one blob per source file, and is used only while
 * its key is the caller's: the caller reads each source whole with
 * cache_source_read(), which adds the source's path, size, modification
 * time and a checksum of the very bytes read to the key, and compiles
 * from those bytes, so that a blob is never taken for other bytes (not
 * even for a file rewritten to the same size within one tick of the
 * file system's clock). The key also holds a salt of the caller's (the
 * PCRE2 version, the values put into the patterns, the blob format). A
 * checksum covers the whole cache file. Anything unexpected (no file, a
 * stale key, a short or corrupt file, no permission) is a miss and
 * never an error: the caller compiles and hands the blobs back, and the
 * file is written again, atomically (a temporary file in the same
 * directory renamed over the old one), so that processes running at
 * once never read half a file. A cache that cannot be written costs
 * only the compiling.
 */
#ifndef DESK_CACHE_H
#define DESK_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

enum cache_state {
	CACHE_HIT,		/* every blob is there */
	CACHE_MISSING,		/* no cache file (or its directory) */
	CACHE_STALE,		/* a source or the salt changed */
	CACHE_CORRUPT,		/* unreadable, short, bad checksum or format */
};

struct cache;

/*
 * cache_source_read - the bytes of PATH (NUL-terminated; *LEN_R without
 * the NUL), its path, size, modification time and checksum added to
 * KEY. NULL with ERROR (DESK_ERROR_CONFIG) when it cannot be read.
 * (transfer full)
 */
char *cache_source_read(GString *key, const char *path, gsize *len_r,
    GError **error);

/*
 * cache_open - the N blobs of DIR/NAME when the file was written under
 * KEY. Never fails; see cache_state(). (transfer full)
 */
struct cache *cache_open(const char *dir, const char *name, const char *key,
    guint n);
void cache_free(struct cache *cache);

enum cache_state cache_state(const struct cache *cache);
const char *cache_state_name(enum cache_state state);

/* The blob of source I on a hit, else NULL. (transfer none) */
GBytes *cache_get(const struct cache *cache, guint i);

/* Give the blob compiled from source I (kept with a reference). */
void cache_set(struct cache *cache, guint i, GBytes *blob);

/*
 * cache_write - write the blobs given with cache_set() (every source's)
 * under the key cache_open() took. 0, or -1 with ERROR (the cache stays
 * as it was; the caller may log it and go on).
 */
int cache_write(struct cache *cache, GError **error);

/* ---- packing blobs: little helpers for the modules that make them ---- */

void cache_pack_u32(GByteArray *out, uint32_t v);
void cache_pack_bytes(GByteArray *out, const void *data, uint32_t len);
void cache_pack_str(GByteArray *out, const char *s);	/* NULL: "" */

/* Reads what the cache_pack_* wrote; any overrun sets BAD and sticks. */
struct cache_unpack {
	const uint8_t *p, *end;
	bool bad;
};

void cache_unpack_init(struct cache_unpack *u, GBytes *blob);
uint32_t cache_unpack_u32(struct cache_unpack *u);
/* (transfer none: points into the blob; NULL when bad) */
const void *cache_unpack_bytes(struct cache_unpack *u, uint32_t *len_r);
/* a new NUL-terminated copy, NULL when bad (transfer full) */
char *cache_unpack_str(struct cache_unpack *u);

#endif
