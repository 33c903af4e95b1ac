/*
 * bounce.c - is a mail a delivery report (its structure, scored), which
 * recipients failed and why, and which of our notices it reports.
 *
 * Callers: classify.c (bounce_evidence_read, for the class), deskgate.c
 * and ctl-inspect.c (bounce_scan, once the mail is a bounce).
 *
 * The structure is read from the MIME tree, never from one MTA's wording:
 * RFC 3464 (multipart/report, message/delivery-status and its
 * per-recipient fields), RFC 3462/6522 (text/rfc822-headers), RFC 3463
 * status codes and RFC 5321 reply codes. The returned message is not
 * read: its text is the notice's, not the report's. Every scan is linear
 * and bounded (BOUNCE_TEXT_MAX), so a 1 MB body stays cheap.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "error.h"

#define BOUNCE_SCAN_MAX	(4 * 1024 * 1024)	/* reports quote headers */
#define BOUNCE_IDS_MAX	20
#define BOUNCE_TEXT_MAX	(256 * 1024)	/* of each text read */
#define BOUNCE_RCPTS_MAX 20
#define BOUNCE_DEPTH	16		/* MIME nesting walked */
#define BOUNCE_PARTS	200		/* MIME parts walked */
#define BOUNCE_BEFORE	3	/* lines an address may precede its code by */
#define BOUNCE_AFTER	2	/* lines an address may follow its code by */

static size_t bounce_status_at(const char *start, const char *s,
    const char *end);

/* The first line from BUF on that starts with NAME, or NULL. */
static char *
bounce_find_line(char *buf, const char *end, const char *name)
{
	size_t len = strlen(name);
	char *p = buf;

	while (p < end) {
		char *nl = memchr(p, '\n', end - p);
		char *stop = nl ? nl : (char *)end;

		if ((size_t)(stop - p) > len &&
		    g_ascii_strncasecmp(p, name, len) == 0)
			return p;
		p = stop + 1;
	}
	return NULL;
}

/* The value of the first field NAME from BUF on, or NULL. (full) */
static char *
bounce_field(char *buf, const char *end, const char *name)
{
	char *p = bounce_find_line(buf, end, name), *nl, *value, *valid;

	if (p == NULL)
		return NULL;
	nl = memchr(p, '\n', end - p);
	value = g_strndup(p + strlen(name), (nl ? nl : end) - p -
	    strlen(name));
	valid = g_utf8_make_valid(value, -1);
	g_free(value);
	return g_strstrip(valid);
}

int
bounce_scan(int fd, int64_t size, const char *domain,
    const struct bounce_evidence *ev, struct bounce_info *info,
    GError **error)
{
	size_t len = size > BOUNCE_SCAN_MAX ? BOUNCE_SCAN_MAX : (size_t)size;
	char *buf = g_malloc(len + 1), *p, *end;
	size_t got = 0, dlen = strlen(domain);

	memset(info, 0, sizeof(*info));
	info->message_ids = g_ptr_array_new_with_free_func(g_free);
	info->recipients = g_ptr_array_new_with_free_func(g_free);
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
			    "reading the report: %s", g_strerror(errno));
			g_free(buf);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	end = buf + got;

	/* <local@DOMAIN>: the ids GMime made for our notices */
	for (p = buf; p < end && info->message_ids->len < BOUNCE_IDS_MAX;) {
		char *open = memchr(p, '<', end - p), *close, *at;
		char *id;
		guint i;
		bool seen = false;

		if (open == NULL)
			break;
		close = memchr(open, '>', MIN(end - open, 256));
		if (close == NULL) {
			p = open + 1;
			continue;
		}
		at = memchr(open, '@', close - open);
		if (at == NULL || (size_t)(close - at - 1) != dlen ||
		    g_ascii_strncasecmp(at + 1, domain, dlen) != 0 ||
		    memchr(open + 1, ' ', close - open - 1) != NULL) {
			p = open + 1;
			continue;
		}
		id = g_strndup(open + 1, close - open - 1);
		for (i = 0; i < info->message_ids->len; i++)
			seen |= strcmp(g_ptr_array_index(info->message_ids,
			    i), id) == 0;
		if (seen)
			g_free(id);
		else
			g_ptr_array_add(info->message_ids, id);
		p = close + 1;
	}
	/*
	 * The per-recipient fields of RFC 3464 follow a Final-Recipient:
	 * line; looking there first keeps a "Status:" of the prose or of
	 * the returned message from speaking for the report.
	 */
	p = bounce_find_line(buf, end, "Final-Recipient:");
	info->status = bounce_field(p ? p : buf, end, "Status:");
	info->diagnostic = bounce_field(p ? p : buf, end, "Diagnostic-Code:");
	if (info->status == NULL && p != NULL)
		info->status = bounce_field(buf, end, "Status:");
	/* the code alone; a mailbox's "Status: RO" is no RFC 3463 status */
	if (info->status != NULL) {
		size_t n = bounce_status_at(info->status, info->status,
		    info->status + strlen(info->status));

		if (n == 0)
			g_clear_pointer(&info->status, g_free);
		else
			info->status[n] = '\0';
	}
	g_free(buf);
	/* the structure, decoded, knows better than the raw bytes */
	if (ev != NULL) {
		guint i;

		for (i = 0; i < ev->recipients->len; i++)
			g_ptr_array_add(info->recipients, g_strdup(
			    g_ptr_array_index(ev->recipients, i)));
		if (ev->status != NULL) {
			g_free(info->status);
			info->status = g_strdup(ev->status);
		}
		if (ev->diagnostic != NULL) {
			g_free(info->diagnostic);
			info->diagnostic = g_strdup(ev->diagnostic);
		}
		info->delayed = ev->delayed;
	}
	return 0;
}

void
bounce_info_clear(struct bounce_info *info)
{
	if (info->message_ids != NULL)
		g_ptr_array_unref(info->message_ids);
	if (info->recipients != NULL)
		g_ptr_array_unref(info->recipients);
	g_free(info->status);
	g_free(info->diagnostic);
	memset(info, 0, sizeof(*info));
}

char *
bounce_reason(const struct bounce_info *info)
{
	GString *why = g_string_new("bounced");

	if (info->status != NULL)
		g_string_append_printf(why, ": %s", info->status);
	if (info->diagnostic != NULL)
		g_string_append_printf(why, "%s%s", info->status ? " " : ": ",
		    info->diagnostic);
	if (why->len > 300)
		g_string_truncate(why, 300);
	return g_string_free(why, FALSE);
}

/* ---- the structure of a report, scored ---- */

void
bounce_evidence_add(struct bounce_evidence *ev, int weight, const char *what)
{
	ev->score += weight;
	g_string_append_printf(ev->why, "%s%s %+d", ev->why->len ? ", " : "",
	    what, weight);
}

bool
bounce_evidence_decides(const struct bounce_evidence *ev)
{
	return ev->report && ev->score >= BOUNCE_THRESHOLD;
}

void
bounce_evidence_clear(struct bounce_evidence *ev)
{
	if (ev->why != NULL)
		g_string_free(ev->why, TRUE);
	if (ev->recipients != NULL)
		g_ptr_array_unref(ev->recipients);
	g_free(ev->status);
	g_free(ev->diagnostic);
	memset(ev, 0, sizeof(*ev));
}

/* Add ADDR (LEN bytes) to the failed recipients, lower case, once. */
static void
bounce_add_recipient(struct bounce_evidence *ev, const char *addr, size_t len)
{
	char *lower;
	guint i;

	while (len > 0 && (*addr == '<' || *addr == ' ' || *addr == '\t')) {
		addr++;
		len--;
	}
	while (len > 0 && strchr("> \t\r.,;:", addr[len - 1]) != NULL)
		len--;
	if (len == 0 || memchr(addr, '@', len) == NULL ||
	    ev->recipients->len >= BOUNCE_RCPTS_MAX)
		return;
	lower = g_ascii_strdown(addr, (gssize)len);
	for (i = 0; i < ev->recipients->len; i++)
		if (strcmp(g_ptr_array_index(ev->recipients, i), lower) == 0) {
			g_free(lower);
			return;
		}
	g_ptr_array_add(ev->recipients, lower);
}

/*
 * An RFC 3463 status at S (END): class 2, 4 or 5, then two numbers of one
 * to three digits, not inside a longer dotted number (an IP address, a
 * version). Returns its length, or 0.
 */
static size_t
bounce_status_at(const char *start, const char *s, const char *end)
{
	const char *p = s + 1;
	int part, digits;

	if (s >= end || (*s != '2' && *s != '4' && *s != '5'))
		return 0;
	if (s > start && (g_ascii_isalnum(s[-1]) || s[-1] == '.'))
		return 0;
	for (part = 0; part < 2; part++) {
		if (p >= end || *p != '.')
			return 0;
		p++;
		for (digits = 0; p < end && g_ascii_isdigit(*p) && digits < 4;
		    p++)
			digits++;
		if (digits < 1 || digits > 3)
			return 0;
	}
	if (p < end && (g_ascii_isalnum(*p) ||
	    (*p == '.' && p + 1 < end && g_ascii_isdigit(p[1]))))
		return 0;
	return (size_t)(p - s);
}

/*
 * An SMTP reply code (RFC 5321 4.2: 4yz or 5yz, y 0 to 5) at S: a number
 * of its own, followed by a space, "-" or ":" and then text or a status,
 * not by more digits, and not the third group of digits of a phone
 * number ("+7 495 550 12 34", "550-11-22").
 */
static bool
bounce_reply_at(const char *start, const char *s, const char *end)
{
	const char *p = s + 3;

	if (end - s < 4 || (*s != '4' && *s != '5') || s[1] < '0' ||
	    s[1] > '5' || !g_ascii_isdigit(s[2]))
		return false;
	if (s > start && (g_ascii_isalnum(s[-1]) ||
	    strchr(".,+-/_=", s[-1]) != NULL))
		return false;
	if (s - start >= 2 && s[-1] == ' ' && g_ascii_isdigit(s[-2]))
		return false;
	if (*p != ' ' && *p != '-' && *p != ':')
		return false;
	while (p < end && (*p == ' ' || *p == '-' || *p == ':'))
		p++;
	if (p >= end)
		return false;
	if (g_ascii_isdigit(*p))
		return bounce_status_at(start, p, end) > 0;
	return true;
}

/* The first address in LINE (END) at or after P: its start and length. */
static const char *
bounce_address_in(const char *p, const char *end, size_t *len_r)
{
	static const char local[] = "._%+-'=/!#$&*?^`{|}~";

	while (p < end) {
		const char *at = memchr(p, '@', end - p), *a, *b, *dot = NULL;

		if (at == NULL)
			return NULL;
		for (a = at; a > p && (g_ascii_isalnum(a[-1]) ||
		    strchr(local, a[-1]) != NULL); a--)
			;
		for (b = at + 1; b < end && (g_ascii_isalnum(*b) || *b == '-' ||
		    (*b == '.' && b + 1 < end && g_ascii_isalnum(b[1]))); b++)
			if (*b == '.')
				dot = b;
		if (a < at && dot != NULL && b - dot > 2) {
			*len_r = (size_t)(b - a);
			return a;
		}
		p = at + 1;
	}
	return NULL;
}

/* Is the address A (LEN) a report's own: mailer-daemon, postmaster? */
static bool
bounce_is_robot_address(const char *a, size_t len)
{
	static const char *const robots[] = {
		"mailer-daemon", "mailerdaemon", "mailer_daemon",
		"mail-daemon", "postmaster", "post_master",
	};
	const char *at = memchr(a, '@', len);
	guint i;

	for (i = 0; at != NULL && i < G_N_ELEMENTS(robots); i++)
		if ((size_t)(at - a) == strlen(robots[i]) &&
		    g_ascii_strncasecmp(a, robots[i], at - a) == 0)
			return true;
	return false;
}

/*
 * The header fields a returned message shows when a report quotes it in
 * its text; the MTA's own (Received, Message-ID...) tell it from the
 * "From: Sent: To: Subject:" block a mail client puts above a quote.
 */
static const char *const bounce_header_names[] = {
	"received", "message-id", "return-path", "dkim-signature",
	"mime-version", "from", "to", "cc", "subject", "date", "reply-to",
	"sender", "references", "in-reply-to", "content-type",
	"content-transfer-encoding", "x-mailer", "user-agent",
};
#define BOUNCE_MTA_HEADERS	5	/* the first five above */

/* Is LINE (END) a header field of those: 0 no, 1 yes, 2 an MTA's. */
static int
bounce_header_line(const char *line, const char *end)
{
	const char *colon = memchr(line, ':', MIN(end - line, 40));
	guint i;

	if (colon == NULL || colon == line || colon + 1 >= end ||
	    (colon[1] != ' ' && colon[1] != '\t'))
		return 0;
	for (i = 0; i < G_N_ELEMENTS(bounce_header_names); i++)
		if ((size_t)(colon - line) == strlen(bounce_header_names[i]) &&
		    g_ascii_strncasecmp(line, bounce_header_names[i],
		    colon - line) == 0)
			return i < BOUNCE_MTA_HEADERS ? 2 : 1;
	return 0;
}

/* The DSN fields (RFC 3464 2.2, 2.3) read per recipient. */
static const char *const bounce_dsn_fields[] = {
	"final-recipient", "original-recipient", "action", "status",
	"diagnostic-code", "reporting-mta", "remote-mta",
};

/* Which DSN field LINE (END) is, or -1. */
static int
bounce_dsn_field(const char *line, const char *end)
{
	guint i;

	while (line < end && (*line == ' ' || *line == '\t'))
		line++;
	for (i = 0; i < G_N_ELEMENTS(bounce_dsn_fields); i++) {
		size_t n = strlen(bounce_dsn_fields[i]);

		if ((size_t)(end - line) > n && line[n] == ':' &&
		    g_ascii_strncasecmp(line, bounce_dsn_fields[i], n) == 0)
			return (int)i;
	}
	return -1;
}

/* One recipient block of a DSN. */
struct bounce_dsn_rcpt {
	char *final, *original, *action, *status, *diagnostic;
};

static void
bounce_dsn_rcpt_clear(struct bounce_dsn_rcpt *r)
{
	g_free(r->final);
	g_free(r->original);
	g_free(r->action);
	g_free(r->status);
	g_free(r->diagnostic);
	memset(r, 0, sizeof(*r));
}

/* The address of "rfc822; addr" (or of a bare address). (full) */
static char *
bounce_dsn_address(const char *value)
{
	const char *semi = strchr(value, ';');

	return g_strstrip(g_strdup(semi != NULL ? semi + 1 : value));
}

/*
 * How R fared, RFC 3464 2.3.3, 2.3.4: 2 failed, 1 still trying (delayed),
 * 0 anything else (delivered, relayed, expanded).
 */
static int
bounce_dsn_failed(const struct bounce_dsn_rcpt *r)
{
	if (r->action != NULL)
		return g_ascii_strncasecmp(r->action, "failed", 6) == 0 ? 2 :
		    g_ascii_strncasecmp(r->action, "delayed", 7) == 0 ? 1 : 0;
	if (r->status == NULL)
		return 0;
	return *r->status == '5' ? 2 : *r->status == '4' ? 1 : 0;
}

/*
 * Read the recipient blocks of the DSN fields in TEXT into EV: the
 * recipients that failed; when none did, the ones still being tried (a
 * delay report); when none is, all of them (a success report). A report
 * of both lists the failed only: a delayed address has not failed yet.
 * the Original-Recipient before the Final-Recipient (the address we sent
 * to, before any forwarding), the status and diagnostic of the first.
 * Fields are unfolded; a blank line or a new recipient field ends a block.
 * Returns the number of DSN fields seen.
 */
static int
bounce_dsn_read(struct bounce_evidence *ev, const char *text)
{
	GArray *rcpts = g_array_new(FALSE, TRUE,
	    sizeof(struct bounce_dsn_rcpt));
	struct bounce_dsn_rcpt cur = { 0 };
	char **lines = g_strsplit(text, "\n", -1);
	char **slot = NULL;	/* the field a folded line continues */
	int fields = 0, i, worst = 0;
	guint j;
	bool pass;

	for (i = 0; lines[i] != NULL; i++) {
		char *line = lines[i], *colon;
		int f;

		g_strchomp(line);
		if (*line == '\0') {
			if (cur.final != NULL || cur.original != NULL)
				g_array_append_val(rcpts, cur);
			else
				bounce_dsn_rcpt_clear(&cur);
			memset(&cur, 0, sizeof(cur));
			slot = NULL;
			continue;
		}
		if ((*line == ' ' || *line == '\t') && slot != NULL &&
		    *slot != NULL && strlen(*slot) < 1000) {
			char *joined = g_strconcat(*slot, " ", g_strstrip(line),
			    NULL);

			g_free(*slot);
			*slot = joined;
			continue;
		}
		slot = NULL;
		if ((f = bounce_dsn_field(line, line + strlen(line))) < 0)
			continue;
		fields++;
		colon = strchr(line, ':');
		/* a second recipient field without a blank line between */
		if ((f == 0 && cur.final != NULL) ||
		    (f == 1 && cur.original != NULL)) {
			g_array_append_val(rcpts, cur);
			memset(&cur, 0, sizeof(cur));
		}
		/* the fields of bounce_dsn_fields[] a block keeps, in order */
		{
			char **slots[] = { &cur.final, &cur.original,
			    &cur.action, &cur.status, &cur.diagnostic };

			if ((guint)f >= G_N_ELEMENTS(slots))
				continue;
			slot = slots[f];
		}
		g_free(*slot);
		*slot = g_strstrip(g_strdup(colon + 1));
	}
	if (cur.final != NULL || cur.original != NULL)
		g_array_append_val(rcpts, cur);
	else
		bounce_dsn_rcpt_clear(&cur);
	g_strfreev(lines);

	for (j = 0; j < rcpts->len; j++)
		worst = MAX(worst, bounce_dsn_failed(&g_array_index(rcpts,
		    struct bounce_dsn_rcpt, j)));
	/* "Action: failed" with a 4.x.x status (a queue's time run out) is
	 * final; only a report with no failed recipient is a delay */
	ev->delayed = rcpts->len > 0 && worst == 1;
	for (pass = false, j = 0; j < rcpts->len; j++) {
		struct bounce_dsn_rcpt *r = &g_array_index(rcpts,
		    struct bounce_dsn_rcpt, j);
		char *addr;

		if (bounce_dsn_failed(r) != worst)
			continue;
		addr = bounce_dsn_address(r->original != NULL ? r->original :
		    r->final);
		bounce_add_recipient(ev, addr, strlen(addr));
		g_free(addr);
		if (!pass) {
			const char *st = r->status;
			size_t n = st ? bounce_status_at(st, st, st +
			    strlen(st)) : 0;

			pass = true;
			if (n > 0 && ev->status == NULL)
				ev->status = g_strndup(st, n);
			if (r->diagnostic != NULL && ev->diagnostic == NULL)
				ev->diagnostic = g_strdup(r->diagnostic);
		}
	}
	for (j = 0; j < rcpts->len; j++)
		bounce_dsn_rcpt_clear(&g_array_index(rcpts,
		    struct bounce_dsn_rcpt, j));
	g_array_free(rcpts, TRUE);
	return fields;
}

/* What the walk of the MIME tree found. */
struct bounce_walk {
	int parts;
	bool report_type;	/* multipart/report, delivery-status */
	bool report_part;	/* message/(global-)delivery-status */
	char *returned;		/* the type of the returned message, or NULL */
	char *returned_to;	/* its first To address, or NULL */
	GString *dsn;		/* the delivery-status parts' text */
	GString *text;		/* text/plain attachments: transcripts, logs */
};

/* The first address of the first To: field in the header block TEXT.
 * An empty part's bytes are a NULL pointer, where even NULL + 0 is
 * undefined, so no arithmetic is done on it. */
static char *
bounce_header_to(const char *text, size_t len)
{
	const char *p, *end;

	if (text == NULL || len == 0)
		return NULL;
	p = text;
	end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *stop = nl ? nl : end, *a;
		size_t alen;

		if (stop - p > 3 && g_ascii_strncasecmp(p, "to:", 3) == 0 &&
		    (a = bounce_address_in(p + 3, stop, &alen)) != NULL)
			return g_strndup(a, alen);
		if (p == stop || *p == '\r')	/* the header's end */
			break;
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

/* The decoded content of the leaf OBJ, at most MAX bytes. (full) */
static GByteArray *
bounce_part_bytes(GMimeObject *obj, size_t max)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(obj));
	GByteArray *bytes = g_byte_array_new();
	GByteArray *all;

	if (content != NULL &&
	    g_mime_data_wrapper_write_to_stream(content, mem) >= 0) {
		all = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		g_byte_array_append(bytes, all->data, MIN(all->len, max));
	}
	g_object_unref(mem);
	return bytes;
}

/* Append the text of the leaf OBJ to OUT, valid UTF-8, bounded. */
static void
bounce_append_text(GMimeObject *obj, GString *out)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *charset = ct ? g_mime_content_type_get_parameter(ct,
	    "charset") : NULL;
	GByteArray *bytes;
	char *text, *how = NULL;

	if (out->len >= BOUNCE_TEXT_MAX)
		return;
	bytes = bounce_part_bytes(obj, BOUNCE_TEXT_MAX - out->len);
	text = mail_text_to_utf8((const char *)bytes->data, bytes->len,
	    charset, &how);
	g_string_append(out, text);
	g_string_append_c(out, '\n');
	g_free(text);
	g_free(how);
	g_byte_array_unref(bytes);
}

/*
 * Walk OBJ: the report's own parts, not those of a returned message (an
 * enclosed message is one part, whatever it holds).
 */
static void
bounce_walk_object(struct bounce_walk *w, GMimeObject *obj, int depth)
{
	GMimeContentType *ct;

	if (obj == NULL || depth > BOUNCE_DEPTH || ++w->parts > BOUNCE_PARTS ||
	    (ct = g_mime_object_get_content_type(obj)) == NULL)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		const char *rt = g_mime_content_type_get_parameter(ct,
		    "report-type");
		int i, n = g_mime_multipart_get_count(mp);

		if (g_mime_content_type_is_type(ct, "multipart", "report") &&
		    rt != NULL && (g_ascii_strcasecmp(rt,
		    "delivery-status") == 0 || g_ascii_strcasecmp(rt,
		    "global-delivery-status") == 0))
			w->report_type = true;
		for (i = 0; i < n; i++)
			bounce_walk_object(w, g_mime_multipart_get_part(mp, i),
			    depth + 1);
		return;
	}
	if (g_mime_content_type_is_type(ct, "message", "delivery-status") ||
	    g_mime_content_type_is_type(ct, "message",
	    "global-delivery-status")) {
		w->report_part = true;
		if (GMIME_IS_PART(obj))
			bounce_append_text(obj, w->dsn);
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj) ||
	    g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
	    g_mime_content_type_is_type(ct, "message", "global-headers")) {
		if (w->returned != NULL)
			return;
		w->returned = g_mime_content_type_get_mime_type(ct);
		/* whom the returned message was for: the last resort */
		if (GMIME_IS_MESSAGE_PART(obj)) {
			GMimeMessage *inner = g_mime_message_part_get_message(
			    GMIME_MESSAGE_PART(obj));
			InternetAddressList *to = inner ?
			    g_mime_message_get_addresses(inner,
			    GMIME_ADDRESS_TYPE_TO) : NULL;
			InternetAddress *ia = to != NULL &&
			    internet_address_list_length(to) > 0 ?
			    internet_address_list_get_address(to, 0) : NULL;

			if (ia != NULL && INTERNET_ADDRESS_IS_MAILBOX(ia))
				w->returned_to = g_strdup(
				    internet_address_mailbox_get_addr(
				    INTERNET_ADDRESS_MAILBOX(ia)));
		} else if (GMIME_IS_PART(obj)) {
			GByteArray *b = bounce_part_bytes(obj, 64 * 1024);

			w->returned_to = bounce_header_to((const char *)
			    b->data, b->len);
			g_byte_array_unref(b);
		}
		return;
	}
	/* the body text is the mail's; attached text is read here */
	if (GMIME_IS_PART(obj) &&
	    g_mime_content_type_is_type(ct, "text", "plain") &&
	    (g_mime_part_is_attachment(GMIME_PART(obj)) ||
	    g_mime_part_get_filename(GMIME_PART(obj)) != NULL))
		bounce_append_text(obj, w->text);
}

/* What the lines of the report's text hold. */
struct bounce_lines {
	GPtrArray *exclude;	/* char *: the report's own From and To */
	char *first_addr;	/* the first address of the text, or NULL */
	char *first_status;	/* the first status of the text, or NULL */
	char *headers_to;	/* the To of the returned header block */
	size_t report_len;	/* bytes of text before that block */
	bool headers;		/* a returned header block (MTA fields) */
	int dsn_fields;		/* distinct DSN fields seen */
	bool status;		/* an RFC 3463 status paired with an address */
	bool reply;		/* an SMTP reply paired with an address */
	GString *dsn;		/* the DSN field lines, for bounce_dsn_read */
};

/* Is A (LEN) the report's own address, or one of its From and To? */
static bool
bounce_is_excluded(const struct bounce_lines *bl, const char *a, size_t len)
{
	guint i;

	if (bounce_is_robot_address(a, len))
		return true;
	for (i = 0; i < bl->exclude->len; i++) {
		const char *x = g_ptr_array_index(bl->exclude, i);

		if (strlen(x) == len && g_ascii_strncasecmp(x, a, len) == 0)
			return true;
	}
	return false;
}

/* Is LINE (END) an address alone, as reports list failed recipients? */
static bool
bounce_address_alone(const char *line, const char *end, const char *a,
    size_t alen)
{
	const char *before = line, *after = a + alen;

	while (before < a && (*before == '<' || *before == ' '))
		before++;
	while (after < end && strchr(">:;,. ", *after) != NULL)
		after++;
	return before == a && after == end;
}

/* The status or reply code in LINE (END): 2 status, 1 reply, 0 none. */
static int
bounce_code_in(const char *line, const char *end, const char **status_r,
    size_t *len_r)
{
	const char *p;
	int found = 0;

	*status_r = NULL;
	for (p = line; p < end; p++) {
		size_t n;

		if (!g_ascii_isdigit(*p))
			continue;
		if ((*p == '4' || *p == '5') &&
		    (n = bounce_status_at(line, p, end)) > 0) {
			*status_r = p;
			*len_r = n;
			return 2;
		}
		if (found == 0 && bounce_reply_at(line, p, end))
			found = 1;
	}
	return found;
}

/*
 * Read TEXT (LEN) line by line: a failed address is one beside a status
 * or reply code, on the same line, up to BOUNCE_BEFORE lines above it or
 * BOUNCE_AFTER below it, with no blank line between (a report lays out
 * an address and its reason as one paragraph; qmail, Exchange and
 * sendmail put them on neighbouring lines). Header lines are no failed
 * address: they are the returned message's. The scan stops at the first
 * returned header block: what follows is the returned message.
 */
static void
bounce_read_lines(struct bounce_evidence *ev, struct bounce_lines *bl,
    const char *text, size_t len)
{
	const char *p = text, *end = text + MIN(len, BOUNCE_TEXT_MAX);
	const char *addr = NULL;	/* the last address line's address */
	size_t addr_len = 0;
	int addr_age = 99;		/* lines since it */
	int code_age = 99, code_kind = 0;	/* an unpaired code */
	const char *code_status = NULL;
	size_t code_len = 0;
	int run = 0, run_mta = 0;	/* header lines in a row */
	const char *run_at = NULL;	/* where the run began */
	unsigned seen_fields = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *stop = nl ? nl : end, *s = p, *a, *st;
		size_t alen = 0, stlen = 0;
		bool folded = *p == ' ' || *p == '\t';
		int h, f, kind;

		p = nl ? nl + 1 : end;
		while (stop > s && (stop[-1] == '\r' || stop[-1] == ' '))
			stop--;
		while (s < stop && (*s == ' ' || *s == '\t' || *s == '>'))
			s++;
		addr_age++;
		code_age++;
		if (s == stop) {	/* a blank line ends a paragraph */
			addr_age = code_age = 99;
			run = run_mta = 0;
			if (bl->headers)
				break;
			g_clear_pointer(&bl->headers_to, g_free);
			continue;
		}
		if (run > 0 && folded)
			continue;	/* a header field's folded line */
		if ((h = bounce_header_line(s, stop)) > 0) {
			if (bl->headers_to == NULL && stop - s > 3 &&
			    g_ascii_strncasecmp(s, "to:", 3) == 0)
				bl->headers_to = bounce_header_to(s,
				    (size_t)(stop - s));
			if (run++ == 0)
				run_at = s;
			run_mta += h == 2;
			if (run >= 3 && run_mta > 0 && !bl->headers) {
				bl->headers = true;
				bl->report_len = (size_t)(run_at - text);
			}
			continue;
		}
		if (bl->headers) {
			if (folded)
				continue;
			break;	/* the returned header block ended */
		}
		/* a client's "From: Sent: To:" block is no returned one */
		run = run_mta = 0;
		g_clear_pointer(&bl->headers_to, g_free);
		if ((f = bounce_dsn_field(s, stop)) >= 0) {
			seen_fields |= 1u << f;
			g_string_append_len(bl->dsn, s, stop - s);
			g_string_append_c(bl->dsn, '\n');
		}
		kind = bounce_code_in(s, stop, &st, &stlen);
		a = bounce_address_in(s, stop, &alen);
		if (a != NULL && bounce_is_excluded(bl, a, alen)) {
			/* "Sender Address: ours, Recipient: theirs" */
			const char *b = bounce_address_in(a + alen, stop,
			    &alen);

			a = b != NULL && !bounce_is_excluded(bl, b, alen) ?
			    b : NULL;
		}
		if (a != NULL && bl->first_addr == NULL)
			bl->first_addr = g_strndup(a, alen);
		if (kind == 2 && bl->first_status == NULL)
			bl->first_status = g_strndup(st, stlen);
		/* a line that is an address alone lists a failed recipient */
		if (a != NULL && kind == 0 &&
		    bounce_address_alone(s, stop, a, alen))
			bounce_add_recipient(ev, a, alen);
		if (kind > 0 && a == NULL && addr_age <= BOUNCE_BEFORE) {
			a = addr;
			alen = addr_len;
		}
		if (kind == 0 && a != NULL && code_age <= BOUNCE_AFTER) {
			kind = code_kind;
			st = code_status;
			stlen = code_len;
		}
		if (kind > 0 && a != NULL) {
			bounce_add_recipient(ev, a, alen);
			if (kind == 2) {
				bl->status = true;
				if (ev->status == NULL)
					ev->status = g_strndup(st, stlen);
			} else
				bl->reply = true;
			code_age = 99;
		} else if (kind > 0) {
			code_age = 0;
			code_kind = kind;
			code_status = st;
			code_len = stlen;
		}
		if (a != NULL) {
			addr = a;
			addr_len = alen;
			addr_age = 0;
		}
	}
	for (bl->dsn_fields = 0; seen_fields != 0; seen_fields >>= 1)
		bl->dsn_fields += seen_fields & 1;
	if (!bl->headers)
		bl->report_len = (size_t)(end - text);
}

/* Does TEXT (LEN) name ADDR, in any case? */
static bool
bounce_text_names(const char *text, size_t len, const char *addr)
{
	char *lower = g_ascii_strdown(text, (gssize)len);
	char *want = g_ascii_strdown(addr, -1);
	bool found = strstr(lower, want) != NULL;

	g_free(want);
	g_free(lower);
	return found;
}

/* Is the envelope sender or the From address a report's own? */
static bool
bounce_robot_sender(const struct mail *mail, const char *sender)
{
	return (sender != NULL && *sender != '\0' &&
	    bounce_is_robot_address(sender, strlen(sender))) ||
	    bounce_is_robot_address(mail->from_addr, strlen(mail->from_addr));
}

/*
 * The report's own addresses, which are never a failed recipient: its
 * From, its envelope sender and its To (the sender of the mail that
 * bounced: a report goes back to it).
 */
static void
bounce_exclude_own(const struct mail *mail, const char *sender,
    GPtrArray *exclude)
{
	const char *to = mail_header(mail, "To"), *p, *a;
	size_t len;

	if (*mail->from_addr != '\0')
		g_ptr_array_add(exclude, g_strdup(mail->from_addr));
	if (sender != NULL && *sender != '\0')
		g_ptr_array_add(exclude, g_strdup(sender));
	for (p = to; p != NULL && exclude->len < 20 &&
	    (a = bounce_address_in(p, p + strlen(p), &len)) != NULL;
	    p = a + len)
		g_ptr_array_add(exclude, g_strndup(a, len));
}

void
bounce_evidence_read(const struct mail *mail, const char *sender,
    struct bounce_evidence *ev)
{
	struct bounce_walk w = { 0 };
	struct bounce_lines bl = { 0 };
	struct bounce_evidence scratch = { 0 }, *into = ev;
	const char *auto_submitted;
	size_t report_len;
	char *what;

	memset(ev, 0, sizeof(*ev));
	ev->why = g_string_new("");
	ev->recipients = g_ptr_array_new_with_free_func(g_free);
	w.dsn = g_string_new("");
	w.text = g_string_new("");
	bl.dsn = g_string_new("");
	bl.exclude = g_ptr_array_new_with_free_func(g_free);
	bounce_exclude_own(mail, sender, bl.exclude);
	if (mail->message != NULL)
		bounce_walk_object(&w, g_mime_message_get_mime_part(
		    mail->message), 0);
	if (w.report_type || w.report_part) {
		bounce_evidence_add(ev, BOUNCE_W_REPORT, w.report_part ?
		    "report part message/delivery-status" :
		    "multipart/report; report-type=delivery-status");
		ev->report = true;
		bounce_dsn_read(ev, w.dsn->str);
	}
	/* the recipients of a DSN part are the report's; the text's not */
	if (ev->recipients->len > 0) {
		scratch.recipients = g_ptr_array_new_with_free_func(g_free);
		into = &scratch;
	}
	bounce_read_lines(into, &bl, mail->text, strlen(mail->text));
	report_len = bl.report_len;	/* of the body text */
	if (!bl.headers)
		bounce_read_lines(into, &bl, w.text->str, w.text->len);
	if (bl.dsn_fields >= 2) {
		bounce_dsn_read(into, bl.dsn->str);
		bounce_evidence_add(ev, BOUNCE_W_DSN_TEXT,
		    "DSN fields in the text");
		ev->report = true;
	} else if (bl.status || bl.reply) {
		bounce_evidence_add(ev, bl.status ? BOUNCE_W_STATUS :
		    BOUNCE_W_REPLY, bl.status ? "status beside an address" :
		    "SMTP reply beside an address");
		ev->report = true;
	}
	if (w.returned != NULL || bl.headers) {
		const char *to = w.returned_to ? w.returned_to : bl.headers_to;

		what = g_strdup_printf("returned %s", w.returned != NULL ?
		    w.returned : "headers in the text");
		bounce_evidence_add(ev, BOUNCE_W_RETURNED, what);
		g_free(what);
		ev->report = true;
		/*
		 * The report names whom the returned message was for, with no
		 * code beside it ("could not be delivered to: ADDR"): what a
		 * report says, in any language.
		 */
		if (!bl.status && !bl.reply && bl.dsn_fields < 2 &&
		    to != NULL && !bounce_is_excluded(&bl, to, strlen(to)) &&
		    bounce_text_names(mail->text, report_len, to))
			bounce_evidence_add(ev, BOUNCE_W_NAMED,
			    "the returned message's recipient named");
	}
	if (sender != NULL && *sender == '\0')
		bounce_evidence_add(ev, BOUNCE_W_ROBOT, "null sender");
	else if (bounce_robot_sender(mail, sender))
		bounce_evidence_add(ev, BOUNCE_W_ROBOT,
		    "mailer-daemon or postmaster sender");
	else if (sender != NULL)
		bounce_evidence_add(ev, BOUNCE_W_PERSON, "named sender");
	/*
	 * RFC 3834 5.2: "auto-replied" is a responder's word. Postfix, Exim
	 * and Exchange put it on their reports too, whose structure
	 * outweighs it; a notice with no more than the envelope's word and a
	 * quoted message (a "mailbox full" note) stays an auto-reply.
	 */
	if ((auto_submitted = mail_header(mail, "Auto-Submitted")) != NULL &&
	    g_ascii_strncasecmp(auto_submitted + strspn(auto_submitted,
	    " \t"), "auto-replied", 12) == 0)
		bounce_evidence_add(ev, BOUNCE_W_AUTOREPLIED,
		    "Auto-Submitted: auto-replied");
	/* Exim names the failed recipients in a header of its own */
	if (ev->recipients->len == 0 && mail_header(mail,
	    "X-Failed-Recipients") != NULL) {
		const char *v = mail_header(mail, "X-Failed-Recipients");
		char **list = g_strsplit_set(v, ", \t", -1);
		int i;

		for (i = 0; list[i] != NULL; i++)
			bounce_add_recipient(ev, list[i], strlen(list[i]));
		g_strfreev(list);
	}
	/* no address beside a code: whom the returned message was for */
	if (ev->recipients->len == 0) {
		const char *to = w.returned_to ? w.returned_to :
		    bl.headers_to ? bl.headers_to : bl.first_addr;

		if (to != NULL)
			bounce_add_recipient(ev, to, strlen(to));
	}
	if (ev->status == NULL && bl.first_status != NULL)
		ev->status = g_strdup(bl.first_status);
	if (scratch.recipients != NULL)
		bounce_evidence_clear(&scratch);
	g_ptr_array_unref(bl.exclude);
	g_free(bl.first_addr);
	g_free(bl.first_status);
	g_free(bl.headers_to);
	g_free(w.returned_to);
	g_string_free(bl.dsn, TRUE);
	g_string_free(w.dsn, TRUE);
	g_string_free(w.text, TRUE);
	g_free(w.returned);
}
