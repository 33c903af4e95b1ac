/*
 * bounce.c - scan a delivery report for our Message-IDs and its status.
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
    struct bounce_info *info, GError **error)
{
	size_t len = size > BOUNCE_SCAN_MAX ? BOUNCE_SCAN_MAX : (size_t)size;
	char *buf = g_malloc(len + 1), *p, *end;
	size_t got = 0, dlen = strlen(domain);

	memset(info, 0, sizeof(*info));
	info->message_ids = g_ptr_array_new_with_free_func(g_free);
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
	g_free(buf);
	return 0;
}

void
bounce_info_clear(struct bounce_info *info)
{
	if (info->message_ids != NULL)
		g_ptr_array_unref(info->message_ids);
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
