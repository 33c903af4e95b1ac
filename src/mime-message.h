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
 *
 * What is read of a message is bounded (struct mail_limits, the [limits]
 * of deskgate.conf(5)): a sender controls the nesting, the number of
 * parts and of header fields, their length and the size of the text, and
 * GMime's memory and time grow with each. What a limit leaves unread is
 * listed in over_limit; the caller stores the raw message whole, so
 * nothing is lost, and says what was not read.
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

/*
 * What mail_parse reads of one message at most. The parser itself is fed
 * the message only up to the (max_headers + 1)-th header field and up to
 * the field that takes the header fields past max_header_size bytes, up
 * to the (10 * max_parts + 1)-th line that begins with "--" (each part
 * but the first needs such a line), and of a header field only its first
 * max_header_line bytes: that bounds GMime's memory (about 1.3 KB a part,
 * 0.7 KB a header field, and up to 40 times the bytes of a parameter or
 * address list) and its time (a parameter list costs it the square of
 * its length).
 */
struct mail_limits {
	int max_depth;		/* MIME nesting walked (0: the top part) */
	int max_parts;		/* MIME parts walked, multiparts included */
	int max_headers;	/* header fields parsed, all blocks together */
	int64_t max_header_line; /* bytes of one field, its folded lines too */
	int64_t max_header_size; /* bytes of all fields, all blocks together */
	int64_t max_text_size;	/* decoded bytes of body text kept */
	int max_attachments;	/* attachments kept */
	int64_t max_attachment_size; /* decoded bytes of one kept attachment */
};

/* How many lines that begin with "--" the parser reads, per part. */
#define MAIL_DASH_LINES_PER_PART 10

/* A limit MESSAGE reached: KEY is its [limits] key (static). */
struct mail_over_limit {
	const char *key;	/* "max_parts", ... */
	char *what;		/* what was not read, one line of UTF-8 */
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
	char *html_marked;	/* html's text with quotes marked, for
				 * quote_reply_text(); NULL with html */
	char *html_alternative;	/* the text/html alternative of the body's
				 * text/plain, as UTF-8, unparsed; or NULL:
				 * quote_reply_text() reads its colours */
	const char *text_type;	/* "text/plain", "text/html" or "none" */
	char *charset;		/* how the text was decoded: see mail_parse */
	GPtrArray *attachments;	/* struct mail_attachment * */
	GPtrArray *over_limit;	/* struct mail_over_limit *, in the order met;
				 * empty when all of it was read */
	int view_fd;		/* what GMime read when fields were cut, -1 */
};

/* mail_limits_default - the defaults of deskgate.conf(5) [limits]. */
void mail_limits_default(struct mail_limits *limits);

/*
 * mail_parse - parse the message in FD (seekable; read from offset 0),
 * reading at most LIMITS of it (NULL: the defaults). Attachments are
 * decoded into unlinked files in TMPDIR (NULL: the temporary
 * directory), and so is the copy GMime parses when a header field is too
 * long. Fails only for transient reasons (a full disk), with ERROR set
 * (DESK_ERROR_TEMP). (transfer full)
 *
 * charset is one of "declared:NAME", "assumed:utf-8", "guessed:NAME" or
 * "repaired" (invalid bytes replaced), for the text's provenance.
 */
struct mail *mail_parse(int fd, const char *tmpdir,
    const struct mail_limits *limits, GError **error);

/*
 * mail_parse_bytes - the same for a message in memory (tests, fuzzing),
 * with the default limits; attachments are sized but not kept (fd -1).
 * mail_parse_bytes_limited - the same with LIMITS.
 */
struct mail *mail_parse_bytes(const char *data, size_t len);
struct mail *mail_parse_bytes_limited(const char *data, size_t len,
    const struct mail_limits *limits);

/*
 * mail_over_limit_keys - the keys of MAIL's over_limit, comma-separated,
 * or NULL when it reached none. (transfer full)
 */
char *mail_over_limit_keys(const struct mail *mail);

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
