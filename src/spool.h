/*
 * spool.h - copy the message from a pipe into an unlinked temporary file.
 *
 * postfix hands deskgate a pipe, which cannot seek; with a seekable file
 * GMime keeps parts as ranges of the stream instead of copies in memory,
 * and the raw bytes can be stored in chunks. While copying, the spool
 * hashes the body (everything after the first empty line), for
 * duplicate detection that survives a relay adding a Received: line on a
 * re-send; the hash of the whole message, which only mail GMime cannot
 * parse needs, is taken on demand (spool_sha256): SHA-256 costs about
 * 5.5 ms a megabyte here, twice that for both.
 */
#ifndef DESK_SPOOL_H
#define DESK_SPOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

struct spool {
	int fd;			/* read/write, unlinked; at offset 0 */
	int64_t size;		/* bytes spooled (all of them if !too_big) */
	bool too_big;		/* more than the limit came; rest drained */
	char *body_sha256;	/* of the bytes after the header, hex */
	/* while being written (spool_new .. spool_finish); spool.c's own */
	GChecksum *body_hash;
	int header_state;	/* spool_header_end() */
	bool in_body;
	int64_t limit;
};

/*
 * spool_read - read FD to its end into a new spool in DIR (NULL: the
 * temporary directory). Past LIMIT bytes the input is drained and thrown
 * away and too_big is set. NULL with ERROR (DESK_ERROR_TEMP) when the
 * disk or the pipe fails. (transfer full)
 */
struct spool *spool_read(int fd, int64_t limit, const char *dir,
    GError **error);

/*
 * spool_new, spool_append, spool_finish - the same, written piece by
 * piece by a caller that reads the message itself (deskgate-lmtpd's DATA).
 * spool_new makes an empty spool in DIR (NULL: the temporary directory)
 * that takes at most LIMIT bytes, or NULL with ERROR (transfer full).
 * spool_append adds LEN bytes of BUF; past the limit it keeps nothing
 * more and sets too_big. spool_finish ends the body hash and rewinds.
 * Both return 0, or -1 with ERROR (DESK_ERROR_TEMP) when the disk fails.
 */
struct spool *spool_new(int64_t limit, const char *dir, GError **error);
int spool_append(struct spool *spool, const char *buf, size_t len,
    GError **error);
int spool_finish(struct spool *spool, GError **error);

/*
 * spool_sha256 - SHA-256 (hex) of all the spooled bytes, read again from
 * the file (its offset unchanged), or NULL with ERROR (DESK_ERROR_TEMP).
 * (transfer full)
 */
char *spool_sha256(const struct spool *spool, GError **error);

/* spool_rewind - seek back to the start; 0 or -1 with ERROR. */
int spool_rewind(struct spool *spool, GError **error);

void spool_free(struct spool *spool);

/* spool_tmpfile - an unlinked read/write file in DIR; -1 with ERROR. */
int spool_tmpfile(const char *dir, GError **error);

#endif
