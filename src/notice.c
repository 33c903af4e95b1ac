/*
 * notice.c - build notices with GMime.
 *
 * Callers: intake.c (acknowledgments and other automatic notices) and
 * the engineer's answers with their files. Invariants: the result is
 * 7-bit (g_mime_object_encode with GMIME_ENCODING_CONSTRAINT_7BIT; files
 * always base64) with CRLF line ends; no text from a sender reaches a
 * header unencoded or with a line break in it. RFC 5322 (format), RFC
 * 3834 (Auto-Submitted), RFC 2046 5.1.3 (multipart/mixed), RFC 2183 and
 * RFC 2231 (the attachment's file name).
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "error.h"
#include "notice.h"

/* RFC 5322 limits a line to 998 octets; an id longer than this is junk. */
#define NOTICE_ID_MAX 250

char *
notice_cut_text(const char *text, size_t max)
{
	GString *out = g_string_new(NULL);
	const char *p;
	size_t n = 0;

	for (p = text ? text : ""; *p != '\0' && n < max;
	    p = g_utf8_next_char(p), n++) {
		gunichar c = g_utf8_get_char_validated(p, -1);

		if (c == (gunichar)-1 || c == (gunichar)-2)
			break;
		if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029)
			g_string_append_c(out, ' ');
		else
			g_string_append_unichar(out, c);
	}
	if (*p != '\0')
		g_string_append(out, "...");
	return g_string_free(out, FALSE);
}

char *
notice_cut_quote(const char *text, size_t max, const char *where)
{
	size_t len = text ? strlen(text) : 0, cut;
	const char *nl;

	if (len <= max)
		return g_strdup(text ? text : "");
	/* the text is valid UTF-8: back off to the start of a character */
	cut = (size_t)(g_utf8_find_prev_char(text, text + max + 1) - text);
	for (nl = text + cut; nl > text + cut - cut / 4 && nl[-1] != '\n'; nl--)
		;
	if (nl > text + cut - cut / 4)
		cut = (size_t)(nl - text);
	return g_strdup_printf("%.*s\n[... %zu more bytes not shown here: %s]\n",
	    (int)cut, text, len - cut, where);
}

/*
 * A character a file name must not carry: C0, DEL and C1 controls, the
 * Unicode line and paragraph separators, and the bidirectional controls
 * that make "gpj.exe" look like "exe.jpg" (CVE-2021-42574 class).
 */
static bool
notice_is_filename_junk(gunichar c)
{
	return g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029 ||
	    c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069);
}

/*
 * A name Windows opens as a device whatever its extension: CON, PRN,
 * AUX, NUL, COM0-9, LPT0-9 before the first dot (blanks before it
 * ignored, any case). A customer who saves "con.txt" or "aux.tar.gz"
 * gets an error or writes to the console instead of a file.
 */
static bool
notice_is_device_name(const char *name)
{
	static const char *const devices[] = { "con", "prn", "aux", "nul" };
	size_t len = strcspn(name, "."), i;

	while (len > 0 && name[len - 1] == ' ')
		len--;
	for (i = 0; i < G_N_ELEMENTS(devices); i++)
		if (len == 3 && g_ascii_strncasecmp(name, devices[i], 3) == 0)
			return true;
	return len == 4 && (g_ascii_strncasecmp(name, "com", 3) == 0 ||
	    g_ascii_strncasecmp(name, "lpt", 3) == 0) &&
	    g_ascii_isdigit(name[3]);
}

char *
notice_attachment_filename(const char *name)
{
	char *valid = g_utf8_make_valid(name ? name : "", -1);
	const char *base = valid, *p;
	GString *out = g_string_new(NULL);

	for (p = valid; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	for (p = base; *p != '\0'; p = g_utf8_next_char(p))
		if (!notice_is_filename_junk(g_utf8_get_char(p)))
			g_string_append_unichar(out, g_utf8_get_char(p));
	g_free(valid);
	g_strstrip(out->str);
	g_string_set_size(out, strlen(out->str));
	if (g_utf8_strlen(out->str, -1) > NOTICE_FILENAME_MAX) {
		/* keep a short extension: the file still opens with its program */
		const char *dot = strrchr(out->str, '.');
		const char *ext = dot != NULL && g_utf8_strlen(dot, -1) <= 16 ?
		    dot : "";
		const char *end = g_utf8_offset_to_pointer(out->str,
		    NOTICE_FILENAME_MAX - g_utf8_strlen(ext, -1));
		char *cut = g_strdup_printf("%.*s%s", (int)(end - out->str),
		    out->str, ext);

		g_string_assign(out, cut);
		g_free(cut);
	}
	if (out->len == 0 || strcmp(out->str, ".") == 0 ||
	    strcmp(out->str, "..") == 0)
		g_string_assign(out, "attachment");
	else if (notice_is_device_name(out->str))
		g_string_prepend_c(out, '_');
	return g_string_free(out, FALSE);
}

/* An RFC 2045 token: ASCII, no blank, no control, no tspecial. */
static bool
notice_is_token(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?=", s[i]) != NULL)
			return false;
	return true;
}

char *
notice_attachment_type(const char *type)
{
	const char *p = type ? type : "", *slash, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strcspn(p, ";");
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	slash = memchr(p, '/', end - p);
	if (slash == NULL || !notice_is_token(p, slash - p) ||
	    !notice_is_token(slash + 1, end - slash - 1))
		return g_strdup("application/octet-stream");
	return g_ascii_strdown(p, end - p);
}

/*
 * Encode the parameter NAME of LIST (if it is not ASCII) as UTF-8. GMime
 * would pick the smallest charset that holds it (iso-8859-5 for Russian),
 * which RFC 2231 allows but fewer mail programs read than UTF-8.
 */
static void
notice_param_utf8(GMimeParamList *list, const char *name)
{
	GMimeParam *param = list ? g_mime_param_list_get_parameter(list,
	    name) : NULL;
	const char *p;

	if (param == NULL)
		return;
	for (p = g_mime_param_get_value(param); *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80) {
			g_mime_param_set_charset(param, "utf-8");
			return;
		}
}

/* The MIME part of the file A: base64, an attachment, its name. */
static GMimeObject *
notice_attachment_part(const struct notice_attachment *a)
{
	char *type = notice_attachment_type(a->content_type);
	char *name = notice_attachment_filename(a->filename);
	char *slash = strchr(type, '/');
	GMimePart *part;
	GMimeStream *stream;
	GMimeDataWrapper *content;
	gconstpointer data = NULL;
	gsize len = 0;

	*slash = '\0';
	part = g_mime_part_new_with_type(type, slash + 1);
	g_mime_object_set_disposition((GMimeObject *)part,
	    GMIME_DISPOSITION_ATTACHMENT);
	g_mime_part_set_filename(part, name);
	notice_param_utf8(g_mime_content_disposition_get_parameters(
	    g_mime_object_get_content_disposition((GMimeObject *)part)),
	    "filename");
	notice_param_utf8(g_mime_content_type_get_parameters(
	    g_mime_object_get_content_type((GMimeObject *)part)), "name");
	if (a->content != NULL)
		data = g_bytes_get_data(a->content, &len);
	stream = g_mime_stream_mem_new_with_buffer(data ? data : "", len);
	content = g_mime_data_wrapper_new_with_stream(stream,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, content);
	/* base64 even for text: the bytes come back exactly, line ends too */
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_object_unref(content);
	g_object_unref(stream);
	g_free(name);
	g_free(type);
	return (GMimeObject *)part;
}

/* An id we may repeat in In-Reply-To or References. */
static bool
notice_id_ok(const char *id)
{
	return id != NULL && strlen(id) <= NOTICE_ID_MAX;
}

/* References: the customer's chain plus the message we answer. */
static char *
notice_references(const struct notice *n)
{
	GString *refs = g_string_new(NULL);
	guint i, first = 0;

	/* keep the chain short: the root and the last few */
	if (n->references != NULL && n->references->len > 10)
		first = n->references->len - 9;
	if (n->references != NULL && n->references->len > 0) {
		if (first > 0 && notice_id_ok(g_ptr_array_index(
		    n->references, 0)))
			g_string_append_printf(refs, "<%s>",
			    (char *)g_ptr_array_index(n->references, 0));
		for (i = first; i < n->references->len; i++)
			if (notice_id_ok(g_ptr_array_index(n->references, i)))
				g_string_append_printf(refs, "%s<%s>",
				    refs->len ? " " : "", (char *)
				    g_ptr_array_index(n->references, i));
	}
	if (notice_id_ok(n->in_reply_to))
		g_string_append_printf(refs, "%s<%s>", refs->len ? " " : "",
		    n->in_reply_to);
	return g_string_free(refs, refs->len == 0);
}

int
notice_build(const struct desk_conf *conf, const struct notice *n,
    char **message_id_r, GBytes **raw_r, GError **error)
{
	GMimeMessage *msg = g_mime_message_new(TRUE);
	GMimeTextPart *part;
	GMimeFormatOptions *fo;
	GDateTime *now;
	GMimeObject *obj = (GMimeObject *)msg;
	char *id, *refs, *ticket = NULL, *raw, *in_reply_to = NULL;
	/* whatever the template made of them, sender text stays short */
	char *to_name = notice_cut_text(n->to_name, NOTICE_NAME_MAX);
	char *subject = notice_cut_text(n->subject, NOTICE_SUBJECT_MAX + 100);

	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, conf->name,
	    conf->address);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO,
	    *to_name ? to_name : NULL, n->to);
	if (n->reply_to != NULL)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO,
		    conf->name, n->reply_to);
	g_mime_message_set_subject(msg, subject, "utf-8");
	now = g_date_time_new_now_utc();
	g_mime_message_set_date(msg, now);
	g_date_time_unref(now);
	id = g_mime_utils_generate_message_id(conf->domain);
	g_mime_message_set_message_id(msg, id);
	if (notice_id_ok(n->in_reply_to)) {
		in_reply_to = g_strdup_printf("<%s>", n->in_reply_to);
		g_mime_object_set_header(obj, "In-Reply-To", in_reply_to,
		    NULL);
	}
	if ((refs = notice_references(n)) != NULL)
		g_mime_object_set_header(obj, "References", refs, NULL);
	if (!n->human) {
		g_mime_object_set_header(obj, "Auto-Submitted",
		    "auto-replied", NULL);
		g_mime_object_set_header(obj, "X-Auto-Response-Suppress",
		    "All", NULL);
	}
	g_mime_object_set_header(obj, "X-Loop", conf->address, NULL);
	if (n->ticket > 0) {
		ticket = g_strdup_printf("%" G_GINT64_FORMAT, (gint64)n->ticket);
		g_mime_object_set_header(obj, "X-Deskgate-Ticket", ticket,
		    NULL);
	}

	part = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(part, n->body);
	if (n->attachments != NULL && n->attachments->len > 0) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype(
		    "mixed");
		guint i;

		g_mime_multipart_add(mixed, (GMimeObject *)part);
		for (i = 0; i < n->attachments->len; i++) {
			const struct notice_attachment *a = g_ptr_array_index(
			    n->attachments, i);
			GMimeObject *file;

			if (a == NULL)
				continue;
			file = notice_attachment_part(a);
			g_mime_multipart_add(mixed, file);
			g_object_unref(file);
		}
		g_mime_message_set_mime_part(msg, (GMimeObject *)mixed);
		g_object_unref(mixed);
	} else
		g_mime_message_set_mime_part(msg, (GMimeObject *)part);
	g_object_unref(part);
	g_mime_object_encode(obj, GMIME_ENCODING_CONSTRAINT_7BIT);

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	raw = g_mime_object_to_string(obj, fo);
	g_mime_format_options_free(fo);
	g_object_unref(msg);
	g_free(ticket);
	g_free(refs);
	g_free(to_name);
	g_free(subject);
	g_free(in_reply_to);
	if (raw == NULL) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "GMime could not write the notice");
		g_free(id);
		return -1;
	}
	*raw_r = g_bytes_new_take(raw, strlen(raw));
	*message_id_r = id;
	return 0;
}
