/*
 * notice.h - the mail deskgate writes: acknowledgments and notices.
 *
 * A notice is a complete RFC 5322 message built with GMime, 7-bit clean
 * (quoted-printable or base64 for UTF-8 text, RFC 2047 words in headers)
 * with CRLF line ends, ready for SMTP. Every notice says it is automatic
 * (Auto-Submitted: auto-replied, RFC 3834; X-Auto-Response-Suppress: All
 * for Exchange) and carries X-Loop with the desk address, so that it is
 * never answered by a robot and never answered by us.
 */
#ifndef DESK_NOTICE_H
#define DESK_NOTICE_H

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

/*
 * notice_build - the message for N from CONF's desk. *MESSAGE_ID_R gets
 * its Message-ID without <> and *RAW_R the bytes (both transfer full).
 */
int notice_build(const struct desk_conf *conf, const struct notice *n,
    char **message_id_r, GBytes **raw_r, GError **error);

#endif
