/*
 * mime-message.c - parse one mail with GMime and pick out what the help
 * desk needs: sender, subject, threading ids, the best text and the
 * attachments.
 *
 * Bounds (struct mail_limits, deskgate.conf(5) [limits]): a sender
 * controls the nesting, the parts, the header fields and their length,
 * the text and the attachments, and each costs GMime memory or time (a
 * 3 MB message of a million empty header fields took it 635 MB, a 1 MB
 * Content-Type of 100,000 parameters 200 s). So, before GMime reads a
 * byte, one pass over the raw message (mail_scan) finds where the parser
 * must stop (too many lines that begin with "--") and which header
 * fields are too long; those are cut in a copy GMime reads instead (the
 * view). GMime's header callback stops the stream after max_headers
 * fields. The walk over the parts then stops at max_depth, max_parts,
 * max_text_size, max_attachments and max_attachment_size. Each limit
 * reached is listed in mail->over_limit, and the caller stores the raw
 * message whole, so a limit never loses anything and never cuts
 * silently.
 *
 * Charsets (RFC 2045, RFC 2047): the declared charset is used when iconv
 * knows it and the bytes fit; otherwise an ISO label is retried as its
 * Windows superset, undeclared 8-bit text is guessed among windows-1251,
 * KOI8-R and windows-1252 (the desk's languages are English and
 * Russian), and as a last resort invalid bytes are replaced.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "html.h"
#include "mime-message.h"
#include "spool.h"

struct mail_walk {
	struct mail *mail;
	const struct mail_limits *limits;
	const char *tmpdir;	/* NULL and !keep: size only */
	bool keep;		/* decode attachments into files */
	int parts;
	int too_deep;		/* subtrees below max_depth, not read */
	bool text_cut;		/* body text beyond max_text_size */
	int unkept;		/* attachments beyond max_attachments */
	int too_big;		/* attachments over max_attachment_size */
	char *too_big_name;	/* the first of them, for the note */
	GString *text;
	GError *error;		/* first transient failure */
};

void
mail_limits_default(struct mail_limits *limits)
{
	/* keep in step with conf.c's [limits] (test-conf checks) */
	limits->max_depth = 32;
	limits->max_parts = 1000;
	limits->max_headers = 10000;
	limits->max_header_line = 16 * 1024;
	limits->max_header_size = 512 * 1024;
	limits->max_text_size = 2 * 1024 * 1024;
	limits->max_attachments = 100;
	limits->max_attachment_size = 25 * 1024 * 1024;
}

static void
mail_over_limit_free(gpointer p)
{
	struct mail_over_limit *o = p;

	g_free(o->what);
	g_free(o);
}

/*
 * Note that KEY was reached: WHAT is added to its entry, which is made
 * when KEY is new.
 */
static void mail_over(struct mail *mail, const char *key, const char *fmt,
    ...) G_GNUC_PRINTF(3, 4);

static void
mail_over(struct mail *mail, const char *key, const char *fmt, ...)
{
	struct mail_over_limit *o = NULL;
	va_list ap;
	char *what;
	guint i;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	for (i = 0; i < mail->over_limit->len && o == NULL; i++)
		if (strcmp(((struct mail_over_limit *)g_ptr_array_index(
		    mail->over_limit, i))->key, key) == 0)
			o = g_ptr_array_index(mail->over_limit, i);
	if (o == NULL) {
		o = g_new0(struct mail_over_limit, 1);
		o->key = key;
		o->what = what;
		g_ptr_array_add(mail->over_limit, o);
		return;
	}
	{
		char *both = g_strdup_printf("%s; %s", o->what, what);

		g_free(o->what);
		o->what = both;
		g_free(what);
	}
}

char *
mail_over_limit_keys(const struct mail *mail)
{
	GString *keys;
	guint i;

	if (mail->over_limit->len == 0)
		return NULL;
	keys = g_string_new(NULL);
	for (i = 0; i < mail->over_limit->len; i++)
		g_string_append_printf(keys, "%s%s", i ? "," : "",
		    ((struct mail_over_limit *)g_ptr_array_index(
		    mail->over_limit, i))->key);
	return g_string_free(keys, FALSE);
}

/*
 * A name from the message for a note: valid UTF-8, no control
 * characters, at most 60 characters. (transfer full)
 */
static char *
mail_note_name(const char *name)
{
	char *valid, *p, *cut;

	if (name == NULL)
		return g_strdup("(unnamed)");
	valid = g_utf8_make_valid(name, -1);
	for (p = valid; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (g_utf8_strlen(valid, -1) <= 60)
		return valid;
	cut = g_utf8_substring(valid, 0, 57);
	g_free(valid);
	valid = g_strconcat(cut, "...", NULL);
	g_free(cut);
	return valid;
}

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
	/* after the message: its parts read the view */
	if (mail->view_fd >= 0)
		close(mail->view_fd);
	g_free(mail->malformed_why);
	g_free(mail->from_addr);
	g_free(mail->from_name);
	g_free(mail->subject);
	g_free(mail->message_id);
	g_free(mail->in_reply_to);
	g_ptr_array_unref(mail->references);
	g_free(mail->text);
	g_free(mail->html);
	g_free(mail->html_marked);
	g_free(mail->html_alternative);
	g_free(mail->charset);
	g_ptr_array_unref(mail->attachments);
	g_ptr_array_unref(mail->over_limit);
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

/*
 * Names of charsets that mail carries and iconv does not know, and the
 * charset each is (a superset where the name's own is a subset, so that
 * no character is lost): Python 2's email package labels GB2312 text
 * "eucgb2312_cn", Java and Microsoft's MLang write "x-gbk", "x-sjis",
 * "big5_tw", "x-windows-949". The keys are lower case without "-", "_"
 * and blanks. GMime knows some others (ks_c_5601-1987) by itself.
 */
static const struct {
	const char *key, *iconv;
} mail_charset_aliases[] = {
	{ "eucgb2312cn", "GB18030" }, { "gb231280", "GB18030" },
	{ "gb23121980", "GB18030" }, { "csiso58gb231280", "GB18030" },
	{ "isoir58", "GB18030" }, { "chinese", "GB18030" },
	{ "xgbk", "GB18030" }, { "xeuccn", "GB18030" },
	{ "xcp936", "GB18030" }, { "big5tw", "BIG5-HKSCS" },
	{ "xxbig5", "BIG5-HKSCS" }, { "csbig5", "BIG5-HKSCS" },
	{ "xbig5", "BIG5-HKSCS" }, { "xsjis", "CP932" },
	{ "xshiftjis", "CP932" }, { "xmscp932", "CP932" },
	{ "windows31j", "CP932" }, { "xeucjp", "EUC-JP" },
	{ "xwindows949", "CP949" }, { "xuhc", "CP949" },
	{ "xmaccyrillic", "MACCYRILLIC" }, { "xmacukrainian", "MACUKRAINIAN" },
	{ "xcp1251", "WINDOWS-1251" }, { "xcp1252", "WINDOWS-1252" },
};

/*
 * Does CHARSET, less "-", "_", blanks and case, up to an RFC 2231
 * language ("x-gbk*zh-CN"), spell KEY? Compared in place: this runs for
 * every encoded word and part.
 */
static bool
mail_charset_is_spelled(const char *charset, const char *key)
{
	const char *p;

	for (p = charset; *p != '\0' && *p != '*'; p++) {
		if (*p == '-' || *p == '_' || *p == ' ')
			continue;
		if (g_ascii_tolower(*p) != *key)
			return false;
		key++;
	}
	return *key == '\0';
}

/*
 * The name iconv knows for CHARSET when the table above has CHARSET,
 * else NULL. Every entry is the charset or a superset of it, so the
 * alias stands even where this iconv knows a spelling itself: the answer
 * never depends on which spelling a process met first.
 */
static const char *
mail_charset_alias(const char *charset)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(mail_charset_aliases); i++)
		if (mail_charset_is_spelled(charset,
		    mail_charset_aliases[i].key))
			return mail_charset_aliases[i].iconv;
	return NULL;
}

/* BYTES in CHARSET as UTF-8, or NULL when iconv cannot do all of it. */
static char *
mail_convert(const char *bytes, size_t len, const char *charset,
    size_t *outlen_r)
{
	const char *alias = mail_charset_alias(charset);
	const char *iconv_name = alias != NULL ? alias :
	    g_mime_charset_iconv_name(charset);
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

/*
 * The transfer-decoded bytes of PART, at most LIMIT of them; *CUT_R (may
 * be NULL) says whether it has more. Read through GMime's decoding
 * filter a block at a time and no further than LIMIT, so a 20 MB text
 * part costs LIMIT bytes of memory, not 20 MB (and a 64 KB sample of it
 * 64 KB). Nothing when it cannot be read.
 */
static GByteArray *
mail_part_bytes(GMimePart *part, size_t limit, bool *cut_r)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeContentEncoding encoding;
	GMimeStream *source, *decoded;
	GByteArray *bytes = g_byte_array_new();
	char buf[16 * 1024];
	ssize_t n = 0;

	if (cut_r != NULL)
		*cut_r = false;
	if (content == NULL ||
	    (source = g_mime_data_wrapper_get_stream(content)) == NULL)
		return bytes;
	encoding = g_mime_data_wrapper_get_encoding(content);
	decoded = g_mime_stream_filter_new(source);
	if (encoding == GMIME_CONTENT_ENCODING_BASE64 ||
	    encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    encoding == GMIME_CONTENT_ENCODING_UUENCODE) {
		GMimeFilter *filter = g_mime_filter_basic_new(encoding, FALSE);

		g_mime_stream_filter_add(GMIME_STREAM_FILTER(decoded), filter);
		g_object_unref(filter);
	}
	if (g_mime_stream_reset(decoded) < 0)
		n = -1;
	while (n >= 0 && bytes->len <= limit &&
	    (n = g_mime_stream_read(decoded, buf, sizeof(buf))) > 0)
		g_byte_array_append(bytes, (const guint8 *)buf, (guint)n);
	g_object_unref(decoded);
	if (n < 0)
		g_byte_array_set_size(bytes, 0);
	else if (bytes->len > limit) {
		g_byte_array_set_size(bytes, (guint)limit);
		if (cut_r != NULL)
			*cut_r = true;
	}
	return bytes;
}

/*
 * The text of a format=flowed part (RFC 3676, as Thunderbird, Horde,
 * Roundcube, K-9 and Apple Mail send), as the customer's client shows
 * it: the space a sender stuffs before a line that begins with a space,
 * "From " or ">" comes off (section 4.4), and a line that ends in a
 * space (a soft break; "-- " is none) is joined with the next of the
 * same quote depth, its space kept or, with DelSp=yes, dropped (4.5).
 * A quoted line comes out as ">" per level and a space. Unlike the RFC,
 * a soft break before an empty line keeps the empty line: it is the
 * paragraph's end the sender saw. (transfer full)
 */
static char *
mail_decode_flowed(const char *text, bool delsp)
{
	GString *out = g_string_sized_new(strlen(text));
	const char *p = text;
	bool joining = false;	/* the last line ended in a soft break */
	int depth_was = 0;

	while (*p != '\0') {
		const char *eol = strchr(p, '\n'), *end, *c;
		int depth = 0, k;
		bool soft;

		end = eol != NULL ? eol : p + strlen(p);
		if (end > p && end[-1] == '\r')
			end--;
		for (c = p; c < end && *c == '>'; c++)
			depth++;
		if (c < end && *c == ' ')
			c++;		/* the stuffing */
		soft = end > c && end[-1] == ' ' && !(end - c == 3 &&
		    memcmp(c, "-- ", 3) == 0);
		/* a soft break before an empty line, or before another
		 * depth, ends the paragraph there */
		if (joining && (depth != depth_was || c == end))
			g_string_append_c(out, '\n');
		if (!joining || depth != depth_was || c == end) {
			for (k = 0; k < depth; k++)
				g_string_append_c(out, '>');
			if (depth > 0 && c < end)
				g_string_append_c(out, ' ');
		}
		g_string_append_len(out, c, (gssize)(end - c - (soft &&
		    delsp ? 1 : 0)));
		joining = soft;
		depth_was = depth;
		if (!soft && eol != NULL)
			g_string_append_c(out, '\n');
		p = eol != NULL ? eol + 1 : end + strlen(end);
	}
	return g_string_free(out, FALSE);
}

static void
mail_add_text(struct mail_walk *w, GMimePart *part, bool html)
{
	GMimeContentType *ct = g_mime_object_get_content_type(
	    (GMimeObject *)part);
	const char *charset = ct ?
	    g_mime_content_type_get_parameter(ct, "charset") : NULL;
	const char *format = ct ?
	    g_mime_content_type_get_parameter(ct, "format") : NULL;
	GByteArray *bytes;
	char *text, *how = NULL;
	bool cut = false;

	if ((int64_t)w->text->len >= w->limits->max_text_size) {
		w->text_cut = true;
		return;
	}
	/* no text without libxml2: the message waits rather than lose it */
	if (html && w->keep &&
	    html_load(w->error == NULL ? &w->error : NULL) < 0)
		return;
	bytes = mail_part_bytes(part, (size_t)(w->limits->max_text_size -
	    (int64_t)w->text->len), &cut);
	if (cut)
		w->text_cut = true;
	text = mail_text_to_utf8((const char *)bytes->data, bytes->len,
	    charset, &how);
	g_byte_array_unref(bytes);
	if (!html && format != NULL && g_ascii_strcasecmp(format,
	    "flowed") == 0) {
		const char *delsp = g_mime_content_type_get_parameter(ct,
		    "delsp");
		char *flowed = mail_decode_flowed(text, delsp != NULL &&
		    g_ascii_strcasecmp(delsp, "yes") == 0);

		g_free(text);
		text = flowed;
	}
	if (html) {
		char *plain;

		/* the reply text's marked form too: one parse (html.h) */
		if (w->mail->html == NULL) {
			html_to_texts(text, strlen(text), &plain,
			    &w->mail->html_marked);
			w->mail->html = text;
		} else {
			html_to_texts(text, strlen(text), &plain, NULL);
			g_free(text);
		}
		text = plain;
		w->mail->text_type = "text/html";
	} else if (strcmp(w->mail->text_type, "none") == 0)
		w->mail->text_type = "text/plain";
	if (w->mail->charset == NULL)
		w->mail->charset = how;
	else
		g_free(how);
	if (*text != '\0') {
		int64_t max = w->limits->max_text_size, room;
		size_t n = strlen(text);

		if (w->text->len > 0)
			g_string_append(w->text, "\n\n");
		/* bytes were cut above; UTF-8 (windows-1251 doubles) here */
		room = MAX(max - (int64_t)w->text->len, 0);
		if ((int64_t)n > room) {
			n = (size_t)(g_utf8_find_prev_char(text, text + room +
			    1) - text);
			w->text_cut = true;
		}
		g_string_append_len(w->text, text, (gssize)n);
	}
	g_free(text);
}

static void
mail_add_attachment(struct mail_walk *w, GMimeObject *obj)
{
	struct mail_attachment *a;
	GMimeStream *out = NULL;
	GMimeContentDisposition *disp;
	gint64 written = -1, max_size = w->limits->max_attachment_size;
	bool ok;

	if (w->mail->attachments->len >= (guint)w->limits->max_attachments) {
		w->unkept++;
		return;
	}
	a = g_new0(struct mail_attachment, 1);
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
		/* no further than one byte past the limit: that tells */
		g_mime_stream_set_bounds(out, 0, max_size + 1);
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
	ok = written >= 0 && g_mime_stream_flush(out) >= 0;
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
	g_object_unref(out);
	if (written > max_size) {
		/* the file stopped at the bound: not a failure, too big */
		if (w->too_big++ == 0)
			w->too_big_name = mail_note_name(a->filename);
		mail_attachment_free(a);
		return;
	}
	if (!ok) {
		if (w->keep && w->error == NULL)
			g_set_error(&w->error, DESK_ERROR, DESK_ERROR_TEMP,
			    "decoding an attachment into a file: %s",
			    g_strerror(errno));
		written = 0;
	}
	a->size = written;
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
 * ISO-8859-1? Measured on the first MAIL_BINARY_SAMPLE decoded bytes: it
 * does when at least MAIL_BINARY_MIN of them, and more than one in
 * MAIL_BINARY_SHARE, are NUL or another C0 control than TAB, LF, FF and
 * CR. Random bytes have about one in 10 of those, a PNG's header a third;
 * a text with a stray NUL or a few ESCs of a pasted log stays text (the
 * NUL is dropped later, see mail_strip_nul). UTF-16 and UTF-32 text is
 * full of NULs and is not measured; the ESC of an ISO 2022 designation
 * (ESC $ or ESC (, as every ISO-2022-JP line has) is no control, nor are
 * SO and SI in a part whose charset is ISO-2022-* (KR and CN shift with
 * them), nor ESC N and ESC O there (CN's single shifts). The verdict is
 * kept on the part, as the walk asks more than once.
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
	bool binary = false, shifts;

	if (seen != NULL)
		return GPOINTER_TO_INT(seen) == 2;
	if (charset != NULL && (g_ascii_strncasecmp(charset, "utf-16", 6) ==
	    0 || g_ascii_strncasecmp(charset, "utf-32", 6) == 0 ||
	    g_ascii_strncasecmp(charset, "ucs-", 4) == 0 ||
	    g_ascii_strncasecmp(charset, "unicode", 7) == 0))
		goto out;
	/* ISO-2022-KR and -CN shift in and out with SO and SI */
	shifts = charset != NULL && g_ascii_strncasecmp(charset, "iso-2022-",
	    9) == 0;
	bytes = mail_part_bytes(part, MAIL_BINARY_SAMPLE, NULL);
	for (i = 0; i < bytes->len; i++) {
		unsigned char c = bytes->data[i];

		/* ISO-2022-JP text shifts with ESC $ B and ESC ( B */
		if (c == 0x1b && i + 1 < bytes->len &&
		    (bytes->data[i + 1] == '$' || bytes->data[i + 1] == '('))
			continue;
		if (shifts && (c == 0x0e || c == 0x0f))
			continue;
		/* ... and CN's second and third sets one character at a
		 * time, each after SS2 (ESC N) or SS3 (ESC O), designated
		 * with ESC $ * and ESC $ + (RFC 1922) */
		if (shifts && c == 0x1b && i + 1 < bytes->len &&
		    (bytes->data[i + 1] == 'N' || bytes->data[i + 1] == 'O'))
			continue;
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

/* Does OBJ hold any body text we could show, within max_depth? */
static bool
mail_has_text(const struct mail_walk *w, GMimeObject *obj, int depth)
{
	int i, n;

	if (depth > w->limits->max_depth)
		return false;
	if (mail_is_body_text(obj))
		return true;
	if (!GMIME_IS_MULTIPART(obj))
		return false;
	n = g_mime_multipart_get_count((GMimeMultipart *)obj);
	for (i = 0; i < n; i++)
		if (mail_has_text(w, g_mime_multipart_get_part(
		    (GMimeMultipart *)obj, i), depth + 1))
			return true;
	return false;
}

/*
 * The HTML alternative of a text/plain body, kept unparsed: Outlook
 * marks answers inside its history by colour only, which the text part
 * loses (quote.c reads the colours when the text says so). Within the
 * text's size limit; a part cut short is not kept.
 */
static void
mail_keep_alternative(struct mail_walk *w, GMimePart *part)
{
	GMimeContentType *ct = g_mime_object_get_content_type(
	    (GMimeObject *)part);
	const char *charset = g_mime_content_type_get_parameter(ct,
	    "charset");
	GByteArray *bytes;
	bool cut = false;
	char *how = NULL;

	bytes = mail_part_bytes(part, (size_t)w->limits->max_text_size, &cut);
	if (!cut && bytes->len > 0)
		w->mail->html_alternative = mail_text_to_utf8(
		    (const char *)bytes->data, bytes->len, charset, &how);
	g_free(how);
	g_byte_array_unref(bytes);
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
		if (mail_has_text(w, g_mime_multipart_get_part(mp, i),
		    depth + 1))
			chosen = i;
	for (i = 0; i < n; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);

		if (i == chosen)
			mail_walk_object(w, child, depth + 1, body);
		else if (!mail_is_body_text(child))
			mail_walk_object(w, child, depth + 1, false);
		else if (body && chosen >= 0 && w->mail->html_alternative ==
		    NULL && mail_is_type(child, "text", "html") &&
		    mail_is_type(g_mime_multipart_get_part(mp, chosen),
		    "text", "plain"))
			mail_keep_alternative(w, (GMimePart *)child);
	}
}

static void
mail_walk_object(struct mail_walk *w, GMimeObject *obj, int depth, bool body)
{
	if (++w->parts > w->limits->max_parts) {
		if (w->parts == w->limits->max_parts + 1)
			w->mail->warnings++;
		return;
	}
	if (depth > w->limits->max_depth) {
		w->too_deep++;
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
			char *charset = g_strndup(p + 2, q1 - p - 2);
			const char *alias = mail_charset_alias(charset);
			size_t name = strcspn(charset, "*");
			/* a charset iconv does not know, named as it knows it
			 * (an RFC 2231 language kept): else GMime decodes the
			 * word by its fallbacks */
			char *word = alias != NULL ? g_strdup_printf("=?%s%.*s",
			    alias, (int)(end - (p + 2 + name)), p + 2 + name) :
			    g_strndup(p, end - p);
			char *text = g_mime_utils_header_decode_text(opts, word);

			g_free(charset);

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

/* Does RAW hold an encoded word in a charset of mail_charset_aliases? */
static bool
mail_header_has_alias(const char *raw)
{
	const char *p = raw, *q;

	while (p != NULL && (p = strstr(p, "=?")) != NULL) {
		bool found;
		char *charset;

		if ((q = strchr(p + 2, '?')) == NULL)
			break;
		charset = g_strndup(p + 2, (gsize)(q - p - 2));
		found = mail_charset_alias(charset) != NULL;
		g_free(charset);
		if (found)
			return true;
		p = q + 1;
	}
	return false;
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

/* The From name: the LEN bytes of RAW before its address, decoded as
 * the Subject is, without the quotes around it. */
static void
mail_set_from_name(struct mail *mail, GMimeParserOptions *opts,
    const char *raw, size_t len)
{
	char *name = g_strndup(raw, len);
	char *decoded = mail_decode_header(opts, name);

	g_free(mail->from_name);
	mail->from_name = mail_clean_header(decoded);
	g_strstrip(g_strdelimit(mail->from_name, "\"", ' '));
	g_free(decoded);
	g_free(name);
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
	char *addr;

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
	mail_set_from_name(mail, opts, raw, (size_t)(lt - raw));
}

/*
 * GMime decoded the From name by its fallbacks where iconv did not know
 * the charset: the name before the first "<", decoded again as the
 * Subject is; the address stays GMime's.
 */
static void
mail_from_name_again(struct mail *mail, GMimeParserOptions *opts)
{
	const char *raw = mail_raw_header((GMimeObject *)mail->message, "From");
	const char *lt = raw != NULL ? strchr(raw, '<') : NULL;

	if (lt == NULL)
		return;
	mail_set_from_name(mail, opts, raw, (size_t)(lt - raw));
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
	else if (mail_header_has_alias(mail_raw_header((GMimeObject *)msg,
	    "From")))
		mail_from_name_again(mail, opts);
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
	mail->over_limit = g_ptr_array_new_with_free_func(
	    mail_over_limit_free);
	mail->text_type = "none";
	mail->view_fd = -1;
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

/* ---- the view: what GMime is given to read ---- */

struct mail_cut {
	int64_t from, to;	/* the bytes [from, to) are left out */
};

/*
 * One pass over the raw message, a line at a time, before GMime reads
 * it. A header block is the start of the message, or what follows a
 * line that begins with "--" (a part's header comes only after its
 * boundary), up to an empty line. That may take a signature or a pasted
 * text for a part's header; it costs nothing there but the cut of a line
 * longer than max_header_line. A field longer than max_header_line is
 * cut there: the rest of its line is left out (the line end stays) and
 * so are its further folded lines, whole, so that no empty line ends the
 * header block early. The lines that begin with "--" are counted, and
 * the parser stops at the one past MAIL_DASH_LINES_PER_PART * max_parts.
 */
struct mail_scan {
	const struct mail_limits *limits;
	int64_t dash_cap;	/* lines beginning with "--" the parser reads */
	int64_t offset;		/* bytes scanned */
	int64_t line_start;
	int64_t line_len;	/* bytes of the line so far, its LF not counted */
	char head[48];		/* its first bytes (line_len of them at most) */
	bool last_cr;		/* its last byte so far is a CR */
	bool in_header;
	int64_t field_len;	/* bytes of the field so far, unfolded */
	bool field_cut;
	char field_name[41];	/* printable, for the note */
	int64_t dash_lines;
	int64_t end;		/* where the parser stops; -1: at the end */
	GArray *cuts;		/* struct mail_cut, in order */
	int cut_fields;		/* fields longer than max_header_line */
	char first_cut[41];	/* the name of the first */
	int64_t first_cut_len;	/* and its whole length */
};

static void
mail_scan_init(struct mail_scan *s, const struct mail_limits *limits)
{
	memset(s, 0, sizeof(*s));
	s->limits = limits;
	s->dash_cap = (int64_t)MAIL_DASH_LINES_PER_PART * limits->max_parts;
	s->in_header = true;
	s->end = -1;
	s->cuts = g_array_new(FALSE, FALSE, sizeof(struct mail_cut));
}

static void
mail_scan_cut(struct mail_scan *s, int64_t from, int64_t to)
{
	struct mail_cut c = { from, to };

	if (to <= from)
		return;
	if (s->cuts->len > 0 && g_array_index(s->cuts, struct mail_cut,
	    s->cuts->len - 1).to == from)
		g_array_index(s->cuts, struct mail_cut, s->cuts->len - 1).to =
		    to;
	else
		g_array_append_val(s->cuts, c);
}

static void
mail_scan_field_end(struct mail_scan *s)
{
	if (s->field_cut && s->cut_fields == 1 && s->first_cut_len == 0)
		s->first_cut_len = s->field_len;
	s->field_cut = false;
	s->field_len = 0;
}

/*
 * The line at s->line_start ends at END: its LF when HAS_LF, else the
 * end of the message. false: the parser stops at this line.
 */
static bool
mail_scan_line(struct mail_scan *s, int64_t end, bool has_lf)
{
	int64_t content = s->line_len - (s->last_cr ? 1 : 0);
	int64_t cap = s->limits->max_header_line, before;

	if (s->line_len >= 2 && s->head[0] == '-' && s->head[1] == '-') {
		if (++s->dash_lines > s->dash_cap) {
			s->end = s->line_start;
			return false;
		}
		mail_scan_field_end(s);
		s->in_header = true;
		return true;
	}
	if (!s->in_header)
		return true;
	if (content <= 0) {
		mail_scan_field_end(s);
		s->in_header = false;
		return true;
	}
	if (s->head[0] != ' ' && s->head[0] != '\t') {
		size_t i, n = (size_t)MIN(s->line_len,
		    (int64_t)sizeof(s->field_name) - 1);

		mail_scan_field_end(s);
		for (i = 0; i < n && s->head[i] != ':'; i++)
			s->field_name[i] = s->head[i] > ' ' &&
			    s->head[i] < 0x7f ? s->head[i] : '?';
		s->field_name[i] = '\0';
	}
	before = s->field_len;
	s->field_len += content;
	if (s->field_len > cap) {
		if (!s->field_cut && s->cut_fields++ == 0)
			memcpy(s->first_cut, s->field_name,
			    sizeof(s->first_cut));
		s->field_cut = true;
		if (before >= cap)
			mail_scan_cut(s, s->line_start, has_lf ? end + 1 : end);
		else
			mail_scan_cut(s, s->line_start + (cap - before),
			    s->line_start + content);
	}
	return true;
}

/* Scan LEN more bytes; false once the parser's end is found. */
static bool
mail_scan_feed(struct mail_scan *s, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((lf != NULL ? lf : end) - p);

		if (s->line_len < (int64_t)sizeof(s->head))
			memcpy(s->head + s->line_len, p, MIN(n,
			    sizeof(s->head) - (size_t)s->line_len));
		if (n > 0)
			s->last_cr = p[n - 1] == '\r';
		s->line_len += (int64_t)n;
		s->offset += (int64_t)n;
		if (lf == NULL)
			break;
		if (!mail_scan_line(s, s->offset, true))
			return false;
		s->offset++;
		s->line_start = s->offset;
		s->line_len = 0;
		s->last_cr = false;
		p = lf + 1;
	}
	return true;
}

/* The message ended (without a line end, maybe). */
static void
mail_scan_finish(struct mail_scan *s)
{
	if (s->end < 0 && s->line_len > 0)
		(void)mail_scan_line(s, s->offset, false);
	mail_scan_field_end(s);
}

/* What the scan found, as notes on MAIL. */
static void
mail_scan_notes(const struct mail_scan *s, struct mail *mail)
{
	if (s->cut_fields > 0)
		mail_over(mail, "max_header_line", "%d header field%s longer "
		    "than %" G_GINT64_FORMAT " bytes, cut there (the first: "
		    "%s, %" G_GINT64_FORMAT " bytes)", s->cut_fields,
		    s->cut_fields == 1 ? "" : "s",
		    (gint64)s->limits->max_header_line, *s->first_cut ?
		    s->first_cut : "(no name)", (gint64)s->first_cut_len);
	if (s->end >= 0)
		mail_over(mail, "max_parts", "more than %" G_GINT64_FORMAT
		    " lines begin with \"--\" (%d a part): the message is "
		    "read up to byte %" G_GINT64_FORMAT " only",
		    (gint64)s->dash_cap, MAIL_DASH_LINES_PER_PART,
		    (gint64)s->end);
}

static int
mail_write_all(int fd, const char *buf, size_t len)
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
 * Scan FD and, when header fields are to be cut, write the view into a
 * new file in TMPDIR: *VIEW_FD_R (-1: GMime reads FD itself, up to
 * *END_R; -1: all of it). 0, or -1 with ERROR (DESK_ERROR_TEMP).
 */
static int
mail_view_fd(int fd, const struct mail_limits *limits, const char *tmpdir,
    struct mail *mail, int *view_fd_r, int64_t *end_r, GError **error)
{
	enum { BUFSIZE = 64 * 1024 };
	struct mail_scan s;
	char *buf = g_malloc(BUFSIZE);
	int64_t pos = 0, stop;
	int view = -1, rc = -1;
	guint i = 0;

	mail_scan_init(&s, limits);
	for (;;) {
		ssize_t n = pread(fd, buf, BUFSIZE, (off_t)pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
			    "reading the message: %s", g_strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		pos += n;
		if (!mail_scan_feed(&s, buf, (size_t)n))
			break;
	}
	mail_scan_finish(&s);
	mail_scan_notes(&s, mail);
	*end_r = s.end;
	*view_fd_r = -1;
	if (s.cuts->len == 0) {
		rc = 0;
		goto out;
	}
	if ((view = spool_tmpfile(tmpdir, error)) < 0)
		goto out;
	stop = s.end >= 0 ? s.end : s.offset;
	for (pos = 0; pos < stop;) {
		int64_t upto = stop;
		ssize_t n;

		if (i < s.cuts->len) {
			const struct mail_cut *c = &g_array_index(s.cuts,
			    struct mail_cut, i);

			if (c->from <= pos) {
				pos = c->to;
				i++;
				continue;
			}
			upto = MIN(upto, c->from);
		}
		n = pread(fd, buf, (size_t)MIN(upto - pos, BUFSIZE),
		    (off_t)pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || mail_write_all(view, buf, (size_t)n) < 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
			    "writing the parser's copy of the message: %s",
			    n == 0 ? "it got shorter" : g_strerror(errno));
			goto out;
		}
		pos += n;
	}
	if (lseek(view, 0, SEEK_SET) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "rewinding the parser's copy of the message: %s",
		    g_strerror(errno));
		goto out;
	}
	*view_fd_r = view;
	*end_r = -1;
	view = -1;
	rc = 0;
out:
	if (view >= 0)
		close(view);
	g_array_free(s.cuts, TRUE);
	g_free(buf);
	return rc;
}

/* The same for a message in memory: the view's bytes. (transfer full) */
static GByteArray *
mail_view_bytes(const char *data, size_t len,
    const struct mail_limits *limits, struct mail *mail)
{
	struct mail_scan s;
	GByteArray *view = g_byte_array_new();
	int64_t pos = 0, stop;
	guint i;

	mail_scan_init(&s, limits);
	if (mail_scan_feed(&s, data, len))
		mail_scan_finish(&s);
	else
		mail_scan_field_end(&s);
	mail_scan_notes(&s, mail);
	stop = s.end >= 0 ? s.end : (int64_t)len;
	for (i = 0; i < s.cuts->len; i++) {
		const struct mail_cut *c = &g_array_index(s.cuts,
		    struct mail_cut, i);

		g_byte_array_append(view, (const guint8 *)data + pos,
		    (guint)(c->from - pos));
		pos = c->to;
	}
	if (stop > pos)
		g_byte_array_append(view, (const guint8 *)data + pos,
		    (guint)(stop - pos));
	g_array_free(s.cuts, TRUE);
	return view;
}

/*
 * Where the line that goes on at FROM in STREAM (a file or memory
 * stream) ends: just past its LF, or the end. The stream is not moved.
 */
static gint64
mail_line_end(GMimeStream *stream, gint64 from)
{
	if (from > 0 && GMIME_IS_STREAM_MEM(stream)) {
		GByteArray *b = GMIME_STREAM_MEM(stream)->buffer;
		const guint8 *lf;

		if (b == NULL || from >= (gint64)b->len)
			return from;
		lf = memchr(b->data + from - 1, '\n', b->len - (from - 1));
		return lf ? (gint64)(lf - b->data) + 1 : (gint64)b->len;
	}
	if (from > 0 && GMIME_IS_STREAM_FS(stream)) {
		int fd = GMIME_STREAM_FS(stream)->fd;
		char buf[4096];
		gint64 pos = from - 1;
		ssize_t n;

		while ((n = pread(fd, buf, sizeof(buf), (off_t)pos)) > 0 ||
		    (n < 0 && errno == EINTR)) {
			const char *lf = n > 0 ? memchr(buf, '\n', (size_t)n) :
			    NULL;

			if (lf != NULL)
				return pos + (lf - buf) + 1;
			pos += MAX(n, 0);
		}
		return pos;
	}
	return from;
}

/*
 * Counts the header fields GMime parses and their bytes; stops it past
 * max_headers or max_header_size.
 */
struct mail_header_count {
	struct mail *mail;
	GMimeStream *stream;
	const struct mail_limits *limits;
	int seen;
	int64_t bytes;
	bool stopped;
};

static void
mail_header_seen(GMimeParser *parser, const char *name, const char *value,
    gint64 offset, gpointer data)
{
	struct mail_header_count *hc = data;
	gint64 end;

	hc->seen++;
	hc->bytes += (int64_t)strlen(name) + 1 + (int64_t)strlen(value);
	if (hc->stopped || (hc->seen <= hc->limits->max_headers &&
	    hc->bytes <= hc->limits->max_header_size))
		return;
	hc->stopped = true;
	/*
	 * GMime reads on to the end of what it has read ahead (a few KB),
	 * and to the end of that line, no further. The bound must not be
	 * before that: the stream would seek back, and GMime's offsets
	 * would no longer fit its buffer. Nor in a line: GMime makes no
	 * message of a header that ends in a name without a colon.
	 */
	end = mail_line_end(hc->stream, MAX(offset,
	    g_mime_stream_tell(hc->stream)));
	if (hc->stream->bound_end != -1 && end > hc->stream->bound_end)
		end = hc->stream->bound_end;	/* the scan's end stays */
	g_mime_stream_set_bounds(hc->stream, 0, end);
	if (hc->seen > hc->limits->max_headers)
		mail_over(hc->mail, "max_headers", "more than %d header "
		    "fields: none from the %d-th on is read, nor anything "
		    "after it", hc->limits->max_headers,
		    hc->limits->max_headers + 1);
	else
		mail_over(hc->mail, "max_header_size", "more than %"
		    G_GINT64_FORMAT " bytes of header fields: none from the "
		    "%d-th field on is read, nor anything after it",
		    (gint64)hc->limits->max_header_size, hc->seen);
}

/* What the walk over the parts left out, as notes on MAIL. */
static void
mail_walk_notes(const struct mail_walk *w)
{
	const struct mail_limits *l = w->limits;

	if (w->too_deep > 0)
		mail_over(w->mail, "max_depth", "%d part%s nested deeper than "
		    "%d levels not read", w->too_deep, w->too_deep == 1 ?
		    "" : "s", l->max_depth);
	if (w->parts > l->max_parts)
		mail_over(w->mail, "max_parts", "more than %d MIME parts: %d "
		    "not read", l->max_parts, w->parts - l->max_parts);
	if (w->text_cut)
		mail_over(w->mail, "max_text_size", "the body text is cut at "
		    "%" G_GINT64_FORMAT " bytes", (gint64)l->max_text_size);
	if (w->unkept > 0)
		mail_over(w->mail, "max_attachments", "%d attachment%s beyond "
		    "the first %d not kept", w->unkept, w->unkept == 1 ? "" :
		    "s", l->max_attachments);
	if (w->too_big > 0)
		mail_over(w->mail, "max_attachment_size", "%d attachment%s "
		    "larger than %" G_GINT64_FORMAT " bytes not kept (the "
		    "first: %s)", w->too_big, w->too_big == 1 ? "" : "s",
		    (gint64)l->max_attachment_size, w->too_big_name);
}

/* Parse STREAM into MAIL (made by mail_new, the scan's notes on it). */
static struct mail *
mail_parse_stream(struct mail *mail, GMimeStream *stream,
    const char *tmpdir, bool keep, const struct mail_limits *limits,
    GError **error)
{
	GMimeParserOptions *opts = mail_parser_options(mail);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	struct mail_header_count hc = { mail, stream, limits, 0, 0, false };
	struct mail_walk w = { 0 };
	GMimeObject *body;

	g_mime_parser_set_persist_stream(parser, TRUE);
	g_mime_parser_set_header_regex(parser, "^", mail_header_seen, &hc);
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
	w.limits = limits;
	w.tmpdir = tmpdir;
	w.keep = keep;
	w.text = g_string_new(NULL);
	body = g_mime_message_get_mime_part(mail->message);
	if (body != NULL)
		mail_walk_object(&w, body, 0, true);
	mail->text = g_string_free(w.text, FALSE);
	mail_walk_notes(&w);
	g_free(w.too_big_name);
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
mail_parse(int fd, const char *tmpdir, const struct mail_limits *limits,
    GError **error)
{
	struct mail_limits defaults;
	GMimeStream *stream;
	struct mail *mail;
	int64_t end = -1;
	int view = -1;

	if (limits == NULL) {
		mail_limits_default(&defaults);
		limits = &defaults;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "rewinding the message: %s", g_strerror(errno));
		return NULL;
	}
	mail = mail_new();
	if (mail_view_fd(fd, limits, tmpdir, mail, &view, &end, error) < 0) {
		mail_free(mail);
		return NULL;
	}
	mail->view_fd = view;
	if (view >= 0)
		stream = g_mime_stream_fs_new(view);
	else
		stream = g_mime_stream_fs_new_with_bounds(fd, 0, end);
	g_mime_stream_fs_set_owner(GMIME_STREAM_FS(stream), FALSE);
	mail = mail_parse_stream(mail, stream, tmpdir, true, limits, error);
	g_object_unref(stream);
	return mail;
}

struct mail *
mail_parse_bytes_limited(const char *data, size_t len,
    const struct mail_limits *limits)
{
	struct mail *mail = mail_new();
	GByteArray *view = mail_view_bytes(data, len, limits, mail);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(view->len ?
	    (const char *)view->data : "", view->len);

	g_byte_array_unref(view);
	mail = mail_parse_stream(mail, stream, NULL, false, limits, NULL);
	g_object_unref(stream);
	return mail;
}

struct mail *
mail_parse_bytes(const char *data, size_t len)
{
	struct mail_limits defaults;

	mail_limits_default(&defaults);
	return mail_parse_bytes_limited(data, len, &defaults);
}
