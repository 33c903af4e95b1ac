/*
 * mime-message.h - what deskgate reads out of one mail, through GMime.
 *
 * Headers come back decoded (RFC 2047) and in UTF-8; the body is the best
 * text: the inline text/plain parts, else text/html made readable; every
 * other leaf (files, inline images, forwarded messages) is an attachment,
 * decoded into a temporary file of its own.
 *
 * Nothing here fails on bad mail. A message GMime cannot make sense of
 * comes back with malformed set and a reason, so the caller can store it
 * raw and flag it.
 */
#ifndef DESK_MIME_MESSAGE_H
#define DESK_MIME_MESSAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <gmime/gmime.h>

struct mail_attachment {
	char *filename;		/* NULL when the part names none */
	char *content_type;	/* "type/subtype", lower case */
	int64_t size;		/* decoded bytes */
	int fd;			/* decoded content at offset 0; -1 if none */
};

struct mail {
	GMimeMessage *message;	/* NULL when unparseable */
	bool malformed;
	char *malformed_why;	/* NULL unless malformed */
	int warnings;		/* parser warnings seen */

	char *from_addr;	/* lower case; "" when there is none */
	char *from_name;	/* "" when there is none */
	char *subject;		/* UTF-8; "" when there is none */
	char *message_id;	/* without <>; NULL when there is none */
	char *in_reply_to;	/* without <>; NULL */
	GPtrArray *references;	/* char *, without <>, oldest first */

	char *text;		/* UTF-8 text of the body */
	char *html;		/* the HTML the text came from, or NULL */
	const char *text_type;	/* "text/plain", "text/html" or "none" */
	char *charset;		/* how the text was decoded: see mail_parse */
	GPtrArray *attachments;	/* struct mail_attachment * */
};

/*
 * mail_parse - parse the message in FD (seekable; read from offset 0).
 * Attachments are decoded into unlinked files in TMPDIR (NULL: the
 * temporary directory). Fails only for transient reasons (a full disk),
 * with ERROR set (DESK_ERROR_TEMP). (transfer full)
 *
 * charset is one of "declared:NAME", "assumed:utf-8", "guessed:NAME" or
 * "repaired" (invalid bytes replaced), for the text's provenance.
 */
struct mail *mail_parse(int fd, const char *tmpdir, GError **error);

/*
 * mail_parse_bytes - the same for a message in memory (tests, fuzzing);
 * attachments are sized but not kept (fd -1).
 */
struct mail *mail_parse_bytes(const char *data, size_t len);

void mail_free(struct mail *mail);

/*
 * mail_header - the decoded value of the first header NAME of the message
 * (or of its top-level MIME part, where GMime keeps Content-*), or NULL.
 * (transfer none)
 */
const char *mail_header(const struct mail *mail, const char *name);

/*
 * mail_text_to_utf8 - BYTES (LEN) in CHARSET (NULL: undeclared) as valid
 * UTF-8; *HOW_R says how, as for struct mail's charset. (transfer full)
 */
char *mail_text_to_utf8(const char *bytes, size_t len, const char *charset,
    char **how_r);

/* mail_init / mail_shutdown - once per process, around any parsing. */
void mail_init(void);
void mail_shutdown(void);

#endif
