/*
 * notice.h - the mail deskgate writes: acknowledgments and notices.
 *
 * A notice is a complete RFC 5322 message built with GMime, 7-bit clean
 * (quoted-printable or base64 for UTF-8 text, RFC 2047 words in headers)
 * with CRLF line ends, ready for SMTP. Every notice says it is automatic
 * (Auto-Submitted: auto-replied, RFC 3834; X-Auto-Response-Suppress: All
 * for Exchange) and carries X-Loop with the desk address, so that it is
 * never answered by a robot and never answered by us. The one exception
 * is an engineer's answer (human): a person wrote it, so it is not marked
 * automatic (RFC 3834 3.1.7 leaves a person's reply unmarked), and the
 * customer's auto-responder may answer it; X-Loop stays.
 *
 * A notice with attachments is multipart/mixed (RFC 2046 5.1.3): the text
 * first, then each file base64, Content-Disposition: attachment with the
 * file name (RFC 2183; RFC 2231 parameter encoding when not ASCII).
 */
#ifndef DESK_NOTICE_H
#define DESK_NOTICE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "conf.h"

struct notice {
	const char *to;		/* address */
	const char *to_name;	/* may be NULL or "" */
	const char *subject;
	const char *body;	/* UTF-8 text */
	const char *reply_to;	/* may be NULL */
	const char *in_reply_to; /* Message-ID without <>, may be NULL */
	GPtrArray *references;	/* char *, may be NULL */
	int64_t ticket;		/* 0: none */
	bool human;		/* a person's answer: not marked automatic */
	GPtrArray *attachments;	/* struct notice_attachment *, may be NULL */
};

/*
 * A file sent with a notice (an engineer's attachment). The strings and
 * bytes are the caller's (transfer none); FILENAME and CONTENT_TYPE are
 * taken as untrusted (see notice_attachment_filename and
 * notice_attachment_type); CONTENT NULL is an empty file.
 */
struct notice_attachment {
	const char *filename;	/* may be NULL */
	const char *content_type; /* "type/subtype", may be NULL */
	GBytes *content;
};

/* How much of a sender's subject or name a notice repeats, in characters. */
#define NOTICE_SUBJECT_MAX 200
#define NOTICE_NAME_MAX 100

/*
 * notice_cut_text - TEXT for a notice's header or body: control
 * characters (CR, LF, TAB, ...) turned into blanks, and at most MAX
 * characters, cut at a character boundary and ended with "..." when it
 * was longer. A 1 MB Subject must not make a 1 MB header line (RFC 5322
 * 2.1.1: 998). (transfer full)
 */
char *notice_cut_text(const char *text, size_t max);

/* How much of a customer's text an announcement repeats, in bytes. */
#define NOTICE_QUOTE_MAX (256 * 1024)

/*
 * notice_cut_quote - TEXT for a notice's body: all of it when it is at
 * most MAX bytes, else its first MAX bytes at most, cut after a line end
 * (or, with none in the last quarter, at a character boundary), and a
 * line saying how many bytes are not shown and where they are (WHERE,
 * e.g. "deskctl ticket show 12"). A 2 MB text must not make each
 * announcement of it 4 MB (its new text and its full text) and cost the
 * delivery 100 MB of memory. (transfer full)
 */
char *notice_cut_quote(const char *text, size_t max, const char *where);

/* How long a file name a notice repeats, in characters. */
#define NOTICE_FILENAME_MAX 200

/*
 * notice_attachment_filename - NAME as the file name of an attachment we
 * send: its last path component only (after the last "/" or "\\", so
 * "../../etc/passwd" is "passwd"), invalid UTF-8 repaired, control
 * characters, Unicode line separators and bidirectional controls removed,
 * blanks at the ends stripped, at most NOTICE_FILENAME_MAX characters (an
 * extension of up to 16 is kept when it is cut); "attachment" when
 * nothing is left or it is "." or ".."; a Windows device name ("con.txt",
 * "AUX.tar.gz", "lpt1") gets a "_" before it. (transfer full)
 */
char *notice_attachment_filename(const char *name);

/*
 * notice_attachment_type - TYPE's "type/subtype" in lower case (any
 * parameters dropped) when both are RFC 2045 tokens, else
 * "application/octet-stream". (transfer full)
 */
char *notice_attachment_type(const char *type);

/*
 * notice_build - the message for N from CONF's desk. *MESSAGE_ID_R gets
 * its Message-ID without <> and *RAW_R the bytes (both transfer full).
 */
int notice_build(const struct desk_conf *conf, const struct notice *n,
    char **message_id_r, GBytes **raw_r, GError **error);

#endif
