/*
 * bounce.h - what a bounce says about one of our notices.
 *
 * Delivery reports come in every shape (RFC 3464 multipart/report, qmail
 * and Exim plain text, provider-specific HTML), but nearly all of them
 * quote the header of the message that bounced. Our notices carry a
 * Message-ID at the desk's domain, so the report names the notice
 * whatever its shape; the RFC 3464 Status and Diagnostic-Code fields,
 * when present, say why.
 */
#ifndef DESK_BOUNCE_H
#define DESK_BOUNCE_H

#include <stdint.h>
#include <glib.h>

struct bounce_info {
	GPtrArray *message_ids;	/* char *, ids at DOMAIN, without <> */
	char *status;		/* "5.1.1", or NULL */
	char *diagnostic;	/* the Diagnostic-Code line, or NULL */
};

/*
 * bounce_scan - read the report in FD (SIZE bytes, read with pread, so
 * the offset is kept) for Message-IDs at DOMAIN and the DSN fields.
 * Returns 0, or -1 with ERROR (DESK_ERROR_TEMP) when reading fails.
 */
int bounce_scan(int fd, int64_t size, const char *domain,
    struct bounce_info *info, GError **error);
void bounce_info_clear(struct bounce_info *info);

/* bounce_reason - "5.1.1 smtp; 550 no such user" or the like. (full) */
char *bounce_reason(const struct bounce_info *info);

#endif
