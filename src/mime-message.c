/*
 * mime-message.c - parse one mail with GMime and pick out what the help
 * desk needs: sender, subject, threading ids, the best text and the
 * attachments.
 *
 * Bounds: MIME depth (MAIL_MAX_DEPTH), number of parts (MAIL_MAX_PARTS)
 * and the amount of body text kept (MAIL_MAX_TEXT) are capped, because
 * senders control all three. The raw message is always stored whole by
 * the caller, so a cap never loses anything.
 *
 * Charsets (RFC 2045, RFC 2047): the declared charset is used when iconv
 * knows it and the bytes fit; otherwise an ISO label is retried as its
 * Windows superset, undeclared 8-bit text is guessed among windows-1251,
 * KOI8-R and windows-1252 (the desk's languages are English and
 * Russian), and as a last resort invalid bytes are replaced.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "html.h"
#include "mime-message.h"
#include "spool.h"

#define MAIL_MAX_DEPTH	32
#define MAIL_MAX_PARTS	1000
#define MAIL_MAX_TEXT	(2 * 1024 * 1024)

struct mail_walk {
	struct mail *mail;
	const char *tmpdir;	/* NULL and !keep: size only */
	bool keep;		/* decode attachments into files */
	int parts;
	GString *text;
	GError *error;		/* first transient failure */
};

void
mail_init(void)
{
	g_mime_init();
}

void
mail_shutdown(void)
{
	g_mime_shutdown();
}

static void
mail_attachment_free(gpointer p)
{
	struct mail_attachment *a = p;

	if (a->fd >= 0)
		close(a->fd);
	g_free(a->filename);
	g_free(a->content_type);
	g_free(a);
}

void
mail_free(struct mail *mail)
{
	if (mail == NULL)
		return;
	if (mail->message != NULL)
		g_object_unref(mail->message);
	g_free(mail->malformed_why);
	g_free(mail->from_addr);
	g_free(mail->from_name);
	g_free(mail->subject);
	g_free(mail->message_id);
	g_free(mail->in_reply_to);
	g_ptr_array_unref(mail->references);
	g_free(mail->text);
	g_free(mail->html);
	g_free(mail->charset);
	g_ptr_array_unref(mail->attachments);
	g_free(mail);
}

const char *
mail_header(const struct mail *mail, const char *name)
{
	GMimeObject *body;
	const char *value;

	if (mail->message == NULL)
		return NULL;
	value = g_mime_object_get_header((GMimeObject *)mail->message, name);
	/* GMime keeps Content-* headers on the top-level part */
	if (value == NULL && (body = g_mime_message_get_mime_part(
	    mail->message)) != NULL)
		value = g_mime_object_get_header(body, name);
	return value;
}

/* Guess the charset of undeclared 8-bit text; see the file comment. */
static const char *
mail_guess_charset(const unsigned char *s, size_t len)
{
	size_t i, letters = 0, high = 0, c0_df = 0, e0_ff = 0;

	for (i = 0; i < len; i++) {
		if (g_ascii_isalpha(s[i]))
			letters++;
		else if (s[i] >= 0xc0) {
			high++;
			if (s[i] < 0xe0)
				c0_df++;
			else
				e0_ff++;
		}
	}
	if (high * 10 < (letters + high) * 3)
		return "windows-1252";
	/* Russian text is mostly lower case: KOI8-R keeps it in C0-DF. */
	return c0_df > e0_ff ? "koi8-r" : "windows-1251";
}

/* NULs would cut the text short in C strings and in SQLite TEXT. */
static void
mail_strip_nul(char *s, size_t *len)
{
	size_t i, j;

	for (i = j = 0; i < *len; i++)
		if (s[i] != '\0')
			s[j++] = s[i];
	s[j] = '\0';
	*len = j;
}

/* LEN bytes of S, NULs and all, plus a terminating NUL. */
static char *
mail_memdup(const char *s, size_t len)
{
	char *copy = g_malloc(len + 1);

	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

/* BYTES in CHARSET as UTF-8, or NULL when iconv cannot do all of it. */
static char *
mail_convert(const char *bytes, size_t len, const char *charset,
    size_t *outlen_r)
{
	const char *iconv_name = g_mime_charset_iconv_name(charset);
	gsize read = 0, written = 0;
	char *out;

	out = g_convert(bytes, len, "UTF-8", iconv_name, &read, &written,
	    NULL);
	if (out != NULL && read != len) {
		g_free(out);
		return NULL;
	}
	*outlen_r = written;
	return out;
}

/*
 * Mostly UTF-8 with a few broken bytes (a truncated paste, a relay that
 * cut a line): repairing it keeps the text, guessing a single-byte
 * charset would turn every Cyrillic letter into two wrong ones.
 */
static bool
mail_looks_utf8(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	size_t good = 0, bad = 0;

	while (p < end) {
		gunichar c;

		if ((unsigned char)*p < 0x80) {
			p++;
			continue;
		}
		c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			bad++;
			p++;
		} else {
			good++;
			p = g_utf8_next_char(p);
		}
	}
	return good > 0 && good >= bad * 4;
}

static bool
mail_charset_is(const char *charset, const char *name)
{
	return g_ascii_strcasecmp(g_mime_charset_canon_name(charset),
	    g_mime_charset_canon_name(name)) == 0;
}

char *
mail_text_to_utf8(const char *bytes, size_t len, const char *charset,
    char **how_r)
{
	bool declared = charset != NULL && *charset != '\0' &&
	    !mail_charset_is(charset, "us-ascii");
	size_t outlen = 0;
	char *out, *valid;

	if (len == 0) {
		*how_r = g_strdup("none");
		return g_strdup("");
	}
	if (declared && !mail_charset_is(charset, "utf-8")) {
		const char *win = g_mime_charset_iso_to_windows(charset);

		if ((out = mail_convert(bytes, len, charset, &outlen)) != NULL) {
			*how_r = g_ascii_strdown(charset, -1);
			g_strstrip(*how_r);
			valid = g_strdup_printf("declared:%s", *how_r);
			g_free(*how_r);
			*how_r = valid;
			goto done;
		}
		/* ISO-8859-x labels often carry Windows-125x bytes. */
		if (win != NULL && !mail_charset_is(win, charset) &&
		    (out = mail_convert(bytes, len, win, &outlen)) != NULL) {
			*how_r = g_strdup_printf("guessed:%s", win);
			goto done;
		}
	}
	if (g_utf8_validate(bytes, len, NULL)) {
		size_t i;

		out = mail_memdup(bytes, len);
		outlen = len;
		for (i = 0; i < len && (unsigned char)bytes[i] < 0x80; i++)
			;
		if (i == len && charset != NULL && !declared)
			*how_r = g_strdup("declared:us-ascii");
		else if (declared && mail_charset_is(charset, "utf-8"))
			*how_r = g_strdup("declared:utf-8");
		else
			*how_r = g_strdup("assumed:utf-8");
		goto done;
	}
	if (!declared || !mail_charset_is(charset, "utf-8")) {
		if (!mail_looks_utf8(bytes, len)) {
			const char *guess = mail_guess_charset(
			    (const unsigned char *)bytes, len);

			if ((out = mail_convert(bytes, len, guess, &outlen)) !=
			    NULL) {
				*how_r = g_strdup_printf("guessed:%s", guess);
				goto done;
			}
		}
	}
	out = mail_memdup(bytes, len);
	outlen = len;
	*how_r = g_strdup("repaired");
done:
	mail_strip_nul(out, &outlen);
	if (!g_utf8_validate(out, outlen, NULL)) {
		valid = g_utf8_make_valid(out, outlen);
		g_free(out);
		out = valid;
	}
	return out;
}

static char *
mail_mime_type(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	char *lower;

	if (type == NULL)
		return g_strdup("application/octet-stream");
	lower = g_ascii_strdown(type, -1);
	g_free(type);
	return lower;
}

/* The transfer-decoded bytes of PART, at most LIMIT of them. */
static GByteArray *
mail_part_bytes(GMimePart *part, size_t limit)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *mem, *filtered;
	GByteArray *bytes;

	bytes = g_byte_array_new();
	if (content == NULL)
		return bytes;
	mem = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	filtered = mem;
	if (g_mime_data_wrapper_write_to_stream(content, filtered) < 0)
		g_byte_array_set_size(bytes, 0);
	g_object_unref(mem);
	if (bytes->len > limit)
		g_byte_array_set_size(bytes, limit);
	return bytes;
}

static void
mail_add_text(struct mail_walk *w, GMimePart *part, bool html)
{
	GMimeContentType *ct = g_mime_object_get_content_type(
	    (GMimeObject *)part);
	const char *charset = ct ?
	    g_mime_content_type_get_parameter(ct, "charset") : NULL;
	GByteArray *bytes;
	char *text, *how = NULL;

	if (w->text->len >= MAIL_MAX_TEXT)
		return;
	/* no text without libxml2: the message waits rather than lose it */
	if (html && w->keep &&
	    html_load(w->error == NULL ? &w->error : NULL) < 0)
		return;
	bytes = mail_part_bytes(part, MAIL_MAX_TEXT - w->text->len);
	text = mail_text_to_utf8((const char *)bytes->data, bytes->len,
	    charset, &how);
	g_byte_array_unref(bytes);
	if (html) {
		char *plain = html_to_text(text, strlen(text), 0);

		if (w->mail->html == NULL)
			w->mail->html = text;
		else
			g_free(text);
		text = plain;
		w->mail->text_type = "text/html";
	} else if (strcmp(w->mail->text_type, "none") == 0)
		w->mail->text_type = "text/plain";
	if (w->mail->charset == NULL)
		w->mail->charset = how;
	else
		g_free(how);
	if (*text != '\0') {
		if (w->text->len > 0)
			g_string_append(w->text, "\n\n");
		g_string_append(w->text, text);
	}
	g_free(text);
}

static void
mail_add_attachment(struct mail_walk *w, GMimeObject *obj)
{
	struct mail_attachment *a = g_new0(struct mail_attachment, 1);
	GMimeStream *out = NULL;
	GMimeContentDisposition *disp;
	gint64 written = -1;

	a->fd = -1;
	a->content_type = mail_mime_type(obj);
	if (GMIME_IS_PART(obj)) {
		const char *name = g_mime_part_get_filename((GMimePart *)obj);

		if (name != NULL)
			a->filename = g_strdup(name);
	} else if ((disp = g_mime_object_get_content_disposition(obj)) !=
	    NULL) {
		const char *name = g_mime_content_disposition_get_parameter(
		    disp, "filename");

		if (name != NULL)
			a->filename = g_strdup(name);
	}
	if (a->filename != NULL && !g_utf8_validate(a->filename, -1, NULL)) {
		char *valid = g_utf8_make_valid(a->filename, -1);

		g_free(a->filename);
		a->filename = valid;
	}
	if (w->keep) {
		GError *error = NULL;

		a->fd = spool_tmpfile(w->tmpdir, &error);
		if (a->fd < 0) {
			if (w->error == NULL)
				w->error = error;
			else
				g_error_free(error);
			mail_attachment_free(a);
			return;
		}
		/*
		 * A pipe stream, not an fs stream, on the file: the same
		 * write(2)s, but GMime's flush of an fs stream is an fsync(2),
		 * one a part (a disk's seek each), for a scratch file that is
		 * already unlinked and dies with the process.
		 */
		out = g_mime_stream_pipe_new(a->fd);
		g_mime_stream_pipe_set_owner(GMIME_STREAM_PIPE(out), FALSE);
	} else {
		out = g_mime_stream_null_new();
	}
	if (GMIME_IS_PART(obj)) {
		GMimeDataWrapper *content = g_mime_part_get_content(
		    (GMimePart *)obj);

		written = content ?
		    g_mime_data_wrapper_write_to_stream(content, out) : 0;
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(
		    (GMimeMessagePart *)obj);

		written = inner ? g_mime_object_write_to_stream(
		    (GMimeObject *)inner, NULL, out) : 0;
		if (a->filename == NULL)
			a->filename = g_strdup("message.eml");
	} else {
		written = g_mime_object_write_to_stream(obj, NULL, out);
	}
	if (written < 0 || g_mime_stream_flush(out) < 0) {
		if (w->keep && w->error == NULL)
			g_set_error(&w->error, DESK_ERROR, DESK_ERROR_TEMP,
			    "decoding an attachment into a file: %s",
			    g_strerror(errno));
		written = 0;
	}
	/*
	 * What the writers return is not always the byte count (a message
	 * part counts differently): measure what actually landed.
	 */
	if (a->fd >= 0) {
		struct stat st;

		if (fstat(a->fd, &st) < 0 || lseek(a->fd, 0, SEEK_SET) < 0) {
			if (w->error == NULL)
				g_set_error(&w->error, DESK_ERROR,
				    DESK_ERROR_TEMP, "measuring an attachment "
				    "file: %s", g_strerror(errno));
			written = 0;
		} else
			written = st.st_size;
	} else if (written > 0)
		written = (gint64)GMIME_STREAM_NULL(out)->written;
	a->size = written;
	g_object_unref(out);
	g_ptr_array_add(w->mail->attachments, a);
}

static bool
mail_is_type(GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

/*
 * Does a text part hold binary, say a PNG labelled text/plain; charset=
 * ISO-8859-1? Measured on the first MAIL_BINARY_SAMPLE decoded bytes:
 * it does when at least MAIL_BINARY_MIN of them, and more than one in
 * MAIL_BINARY_SHARE, are NUL or another C0 control than TAB, LF, FF and
 * CR. Random bytes have about one in 10 of those, a PNG's header a third;
 * a text with a stray NUL or a few ESCs of a pasted log stays text (the
 * NUL is dropped later, see mail_strip_nul). UTF-16 and UTF-32 text is
 * full of NULs and is not measured. The verdict is kept on the part, as
 * the walk asks more than once.
 */
#define MAIL_BINARY_SAMPLE	(64 * 1024)
#define MAIL_BINARY_MIN		4
#define MAIL_BINARY_SHARE	20
static bool
mail_part_is_binary(GMimePart *part)
{
	static const char key[] = "deskgate-binary";
	GMimeContentType *ct = g_mime_object_get_content_type(
	    (GMimeObject *)part);
	const char *charset = ct ?
	    g_mime_content_type_get_parameter(ct, "charset") : NULL;
	gpointer seen = g_object_get_data(G_OBJECT(part), key);
	GByteArray *bytes;
	size_t controls = 0, i;
	bool binary = false;

	if (seen != NULL)
		return GPOINTER_TO_INT(seen) == 2;
	if (charset != NULL && (g_ascii_strncasecmp(charset, "utf-16", 6) ==
	    0 || g_ascii_strncasecmp(charset, "utf-32", 6) == 0 ||
	    g_ascii_strncasecmp(charset, "ucs-", 4) == 0 ||
	    g_ascii_strncasecmp(charset, "unicode", 7) == 0))
		goto out;
	bytes = mail_part_bytes(part, MAIL_BINARY_SAMPLE);
	for (i = 0; i < bytes->len; i++) {
		unsigned char c = bytes->data[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\f' &&
		    c != '\r')
			controls++;	/* NUL among them */
	}
	binary = controls >= MAIL_BINARY_MIN &&
	    controls * MAIL_BINARY_SHARE > bytes->len;
	g_byte_array_unref(bytes);
out:
	g_object_set_data(G_OBJECT(part), key, GINT_TO_POINTER(binary ? 2 :
	    1));
	return binary;
}

/* A leaf that reads as body text rather than as a file. */
static bool
mail_is_body_text(GMimeObject *obj)
{
	GMimePart *part;

	if (!GMIME_IS_PART(obj))
		return false;
	part = (GMimePart *)obj;
	if (!mail_is_type(obj, "text", "plain") &&
	    !mail_is_type(obj, "text", "html"))
		return false;
	if (g_mime_part_is_attachment(part))
		return false;
	return g_mime_part_get_filename(part) == NULL &&
	    !mail_part_is_binary(part);
}

/* Does OBJ hold any body text we could show? */
static bool
mail_has_text(GMimeObject *obj, int depth)
{
	int i, n;

	if (depth > MAIL_MAX_DEPTH)
		return false;
	if (mail_is_body_text(obj))
		return true;
	if (!GMIME_IS_MULTIPART(obj))
		return false;
	n = g_mime_multipart_get_count((GMimeMultipart *)obj);
	for (i = 0; i < n; i++)
		if (mail_has_text(g_mime_multipart_get_part(
		    (GMimeMultipart *)obj, i), depth + 1))
			return true;
	return false;
}

static void mail_walk_object(struct mail_walk *w, GMimeObject *obj,
    int depth, bool body);

/*
 * multipart/alternative: text/plain first, then text/html, then the
 * first other alternative that holds text (e.g. multipart/related).
 * Files inside the alternatives not taken are still kept.
 */
static void
mail_walk_alternative(struct mail_walk *w, GMimeMultipart *mp, int depth,
    bool body)
{
	int i, n = g_mime_multipart_get_count(mp), chosen = -1;

	for (i = 0; i < n && chosen < 0; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);

		if (mail_is_body_text(child) &&
		    mail_is_type(child, "text", "plain"))
			chosen = i;
	}
	for (i = 0; i < n && chosen < 0; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);

		if (mail_is_body_text(child))
			chosen = i;
	}
	for (i = 0; i < n && chosen < 0; i++)
		if (mail_has_text(g_mime_multipart_get_part(mp, i), depth + 1))
			chosen = i;
	for (i = 0; i < n; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);

		if (i == chosen)
			mail_walk_object(w, child, depth + 1, body);
		else if (!mail_is_body_text(child))
			mail_walk_object(w, child, depth + 1, false);
	}
}

static void
mail_walk_object(struct mail_walk *w, GMimeObject *obj, int depth, bool body)
{
	if (++w->parts > MAIL_MAX_PARTS) {
		if (w->parts == MAIL_MAX_PARTS + 1)
			w->mail->warnings++;
		return;
	}
	if (depth > MAIL_MAX_DEPTH) {
		w->mail->warnings++;
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = (GMimeMultipart *)obj;
		int i, n = g_mime_multipart_get_count(mp);

		if (GMIME_IS_MULTIPART_ENCRYPTED(obj)) {
			if (body)
				g_string_append(w->text,
				    "[encrypted message: see the raw mail]");
			return;
		}
		if (mail_is_type(obj, "multipart", "alternative")) {
			mail_walk_alternative(w, mp, depth, body);
			return;
		}
		for (i = 0; i < n; i++) {
			GMimeObject *child = g_mime_multipart_get_part(mp, i);

			/* the signature of multipart/signed is no file */
			if (GMIME_IS_MULTIPART_SIGNED(obj) && i > 0)
				break;
			mail_walk_object(w, child, depth + 1, body);
		}
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		mail_add_attachment(w, obj);
		return;
	}
	/* !body: an alternative not chosen, whose text we already have */
	if (mail_is_body_text(obj)) {
		if (body)
			mail_add_text(w, (GMimePart *)obj,
			    mail_is_type(obj, "text", "html"));
		return;
	}
	if (GMIME_IS_PART(obj))
		mail_add_attachment(w, obj);
}

static void
mail_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
    gpointer data)
{
	struct mail *mail = data;

	mail->warnings++;
}

/*
 * A header value fit to show and to put into a notice: valid UTF-8, one
 * line (an encoded word can hide CR and LF; a subject with an empty line
 * in it must not reach a template), no other control characters.
 */
static char *
mail_clean_header(const char *value)
{
	char *copy, *p;

	if (value == NULL)
		return g_strdup("");
	copy = g_utf8_make_valid(value, -1);
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	g_strstrip(copy);
	return copy;
}

/*
 * Decode an unstructured header (RFC 2047) one encoded word at a time.
 * GMime 3.2.13 joins adjacent base64 words of one charset before it
 * decodes them, so a first word that ends in '=' padding swallows the
 * rest: "=?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=" reads "Hello".
 * Real clients (and GMime itself, for long subjects) write such words.
 * White space between two encoded words is dropped (RFC 2047, 6.2).
 */
static char *
mail_decode_header(GMimeParserOptions *opts, const char *raw)
{
	GString *out = g_string_new(NULL);
	GString *gap = g_string_new(NULL);	/* text since the last word */
	const char *p = raw;
	bool after_word = false;

	while (*p != '\0') {
		const char *q1, *q2, *end = NULL;

		if (p[0] == '=' && p[1] == '?' &&
		    (q1 = strchr(p + 2, '?')) != NULL &&
		    (q1[1] == 'B' || q1[1] == 'b' || q1[1] == 'Q' ||
		    q1[1] == 'q') && q1[2] == '?' &&
		    (q2 = strstr(q1 + 3, "?=")) != NULL &&
		    memchr(p, ' ', q2 - p) == NULL)
			end = q2 + 2;
		if (end != NULL) {
			char *word = g_strndup(p, end - p);
			char *text = g_mime_utils_header_decode_text(opts, word);

			/* keep the gap unless it is blanks between two words */
			if (!after_word || strspn(gap->str, " \t\r\n") !=
			    gap->len) {
				char *plain = g_mime_utils_header_decode_text(
				    opts, gap->str);

				g_string_append(out, plain);
				g_free(plain);
			}
			g_string_truncate(gap, 0);
			g_string_append(out, text);
			g_free(text);
			g_free(word);
			after_word = true;
			p = end;
			continue;
		}
		if (*p == '\r' || *p == '\n')	/* unfold (RFC 5322, 2.2.3) */
			p++;
		else
			g_string_append_c(gap, *p++);
	}
	if (gap->len > 0) {
		char *plain = g_mime_utils_header_decode_text(opts, gap->str);

		g_string_append(out, plain);
		g_free(plain);
	}
	g_string_free(gap, TRUE);
	return g_string_free(out, FALSE);
}

/* The raw value of the first header NAME of OBJ, or NULL. */
static const char *
mail_raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GMimeHeader *h = list ? g_mime_header_list_get_header(list, name) :
	    NULL;

	return h ? g_mime_header_get_raw_value(h) : NULL;
}

/*
 * GMime finds no mailbox in a From: whose encoded display name decodes to
 * control characters (ESC, CR, LF): the customer would become a stranger.
 * Then take the last <local@domain> of the raw header, and the decoded
 * text before it as the name.
 */
static void
mail_from_fallback(struct mail *mail, GMimeParserOptions *opts)
{
	const char *raw = mail_raw_header((GMimeObject *)mail->message, "From");
	const char *lt, *gt, *p;
	char *addr, *name, *decoded;

	if (raw == NULL || (lt = strrchr(raw, '<')) == NULL ||
	    (gt = strchr(lt, '>')) == NULL || gt - lt < 4)
		return;
	for (p = lt + 1; p < gt; p++)
		if (g_ascii_isspace(*p) || (unsigned char)*p < 0x21 ||
		    *p == '<' || *p == '"')
			return;
	addr = g_strndup(lt + 1, (gsize)(gt - lt - 1));
	if (strchr(addr, '@') == NULL) {
		g_free(addr);
		return;
	}
	g_free(mail->from_addr);
	mail->from_addr = g_ascii_strdown(addr, -1);
	g_free(addr);
	name = g_strndup(raw, (gsize)(lt - raw));
	decoded = mail_decode_header(opts, name);
	g_free(mail->from_name);
	mail->from_name = mail_clean_header(decoded);
	g_strstrip(g_strdelimit(mail->from_name, "\"", ' '));
	g_free(decoded);
	g_free(name);
}

static void
mail_read_headers(struct mail *mail, GMimeParserOptions *opts)
{
	GMimeMessage *msg = mail->message;
	InternetAddressList *from = g_mime_message_get_from(msg);
	const char *value;
	int i, n;

	n = from ? internet_address_list_length(from) : 0;
	for (i = 0; i < n && *mail->from_addr == '\0'; i++) {
		InternetAddress *ia = internet_address_list_get_address(from,
		    i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *addr = internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia));

			g_free(mail->from_addr);
			mail->from_addr = mail_clean_header(addr);
			{
				char *lower = g_utf8_strdown(mail->from_addr,
				    -1);

				g_free(mail->from_addr);
				mail->from_addr = lower;
			}
			g_free(mail->from_name);
			mail->from_name = mail_clean_header(
			    internet_address_get_name(ia));
		}
	}
	if (*mail->from_addr == '\0')
		mail_from_fallback(mail, opts);
	value = mail_raw_header((GMimeObject *)msg, "Subject");
	if (value != NULL) {
		char *decoded = mail_decode_header(opts, value);

		g_free(mail->subject);
		mail->subject = mail_clean_header(decoded);
		g_free(decoded);
	}
	value = g_mime_message_get_message_id(msg);
	if (value != NULL && *value != '\0')
		mail->message_id = mail_clean_header(value);
	value = g_mime_object_get_header((GMimeObject *)msg, "In-Reply-To");
	if (value != NULL) {
		GMimeReferences *refs = g_mime_references_parse(opts, value);

		if (refs != NULL && g_mime_references_length(refs) > 0)
			mail->in_reply_to = mail_clean_header(
			    g_mime_references_get_message_id(refs, 0));
		if (refs != NULL)
			g_mime_references_free(refs);
	}
	value = g_mime_object_get_header((GMimeObject *)msg, "References");
	if (value != NULL) {
		GMimeReferences *refs = g_mime_references_parse(opts, value);

		n = refs ? g_mime_references_length(refs) : 0;
		for (i = 0; i < n && i < 200; i++)
			g_ptr_array_add(mail->references, mail_clean_header(
			    g_mime_references_get_message_id(refs, i)));
		if (refs != NULL)
			g_mime_references_free(refs);
	}
}

static struct mail *
mail_new(void)
{
	struct mail *mail = g_new0(struct mail, 1);

	mail->from_addr = g_strdup("");
	mail->from_name = g_strdup("");
	mail->subject = g_strdup("");
	mail->references = g_ptr_array_new_with_free_func(g_free);
	mail->attachments = g_ptr_array_new_with_free_func(
	    mail_attachment_free);
	mail->text_type = "none";
	return mail;
}

static GMimeParserOptions *
mail_parser_options(struct mail *mail)
{
	static const char *fallback[] = { "utf-8", "windows-1251", NULL };
	GMimeParserOptions *opts = g_mime_parser_options_new();

	g_mime_parser_options_set_fallback_charsets(opts, fallback);
	g_mime_parser_options_set_rfc2047_compliance_mode(opts,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(opts,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(opts,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_warning_callback(opts, mail_warning, mail);
	return opts;
}

static struct mail *
mail_parse_stream(GMimeStream *stream, const char *tmpdir, bool keep,
    GError **error)
{
	struct mail *mail = mail_new();
	GMimeParserOptions *opts = mail_parser_options(mail);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	struct mail_walk w = { 0 };
	GMimeObject *body;

	g_mime_parser_set_persist_stream(parser, TRUE);
	mail->message = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);
	if (mail->message == NULL) {
		mail->malformed = true;
		mail->malformed_why = g_strdup("GMime found no message in it");
		mail->text = g_strdup("");
		g_mime_parser_options_free(opts);
		return mail;
	}
	mail_read_headers(mail, opts);

	w.mail = mail;
	w.tmpdir = tmpdir;
	w.keep = keep;
	w.text = g_string_new(NULL);
	body = g_mime_message_get_mime_part(mail->message);
	if (body != NULL)
		mail_walk_object(&w, body, 0, true);
	mail->text = g_string_free(w.text, FALSE);
	if (mail->charset == NULL)
		mail->charset = g_strdup("none");
	/* RFC 5322 requires From: and Date:; with neither it is no mail */
	if (*mail->from_addr == '\0' && g_mime_object_get_header(
	    (GMimeObject *)mail->message, "Date") == NULL) {
		mail->malformed = true;
		mail->malformed_why = g_strdup("no From: and no Date: header");
	}
	g_mime_parser_options_free(opts);
	if (w.error != NULL) {
		g_propagate_error(error, w.error);
		mail_free(mail);
		return NULL;
	}
	return mail;
}

struct mail *
mail_parse(int fd, const char *tmpdir, GError **error)
{
	GMimeStream *stream;
	struct mail *mail;

	if (lseek(fd, 0, SEEK_SET) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "rewinding the message: %s", g_strerror(errno));
		return NULL;
	}
	stream = g_mime_stream_fs_new(fd);
	g_mime_stream_fs_set_owner(GMIME_STREAM_FS(stream), FALSE);
	mail = mail_parse_stream(stream, tmpdir, true, error);
	g_object_unref(stream);
	return mail;
}

struct mail *
mail_parse_bytes(const char *data, size_t len)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	struct mail *mail = mail_parse_stream(stream, NULL, false, NULL);

	g_object_unref(stream);
	return mail;
}
