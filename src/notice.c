/*
 * notice.c - build notices with GMime.
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
	g_mime_object_set_header(obj, "Auto-Submitted", "auto-replied", NULL);
	g_mime_object_set_header(obj, "X-Auto-Response-Suppress", "All",
	    NULL);
	g_mime_object_set_header(obj, "X-Loop", conf->address, NULL);
	if (n->ticket > 0) {
		ticket = g_strdup_printf("%" G_GINT64_FORMAT, (gint64)n->ticket);
		g_mime_object_set_header(obj, "X-Deskgate-Ticket", ticket,
		    NULL);
	}

	part = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(part, n->body);
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
