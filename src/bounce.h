/*
 * bounce.h - is a mail a delivery report, and what does a bounce say
 * about one of our notices?
 *
 * Delivery reports come in every shape (RFC 3464 multipart/report, qmail
 * and Exim plain text, Exchange and gateway prose, provider-specific
 * HTML) and in every language, but they are built of the same few
 * pieces: a report part (RFC 3464 message/delivery-status), the returned
 * message or its headers, a failed address with a status code (RFC 3463
 * "5.1.1", or an SMTP reply "550") beside it, and a null or mailer-daemon
 * sender. bounce_evidence_read() scores those pieces and reads the failed
 * recipients and the status from them; classify.c adds the wording of
 * filters/robots.rules and decides.
 *
 * Nearly all reports also quote the header of the message that bounced.
 * Our notices carry a Message-ID at the desk's domain, so the report names
 * the notice whatever its shape (bounce_scan).
 */
#ifndef DESK_BOUNCE_H
#define DESK_BOUNCE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "mime-message.h"

/*
 * The weights of the evidence, and the score from which a mail is a
 * report. A report part alone reaches it; without one it takes a failure
 * (a status beside an address, or DSN fields in the text) and more: the
 * returned message, a robot sender, a report's wording.
 */
#define BOUNCE_THRESHOLD	7
#define BOUNCE_W_REPORT		10	/* message/delivery-status, RFC 3464 */
#define BOUNCE_W_DSN_TEXT	4	/* DSN fields in the text */
#define BOUNCE_W_STATUS		4	/* RFC 3463 status beside an address */
#define BOUNCE_W_REPLY		3	/* SMTP reply code beside an address */
#define BOUNCE_W_RETURNED	3	/* the returned message or its headers */
#define BOUNCE_W_NAMED		2	/* its recipient named in the report */
#define BOUNCE_W_ROBOT		2	/* null, mailer-daemon, postmaster */
#define BOUNCE_W_PERSON		(-2)	/* any other envelope sender */
#define BOUNCE_W_AUTOREPLIED	(-2)	/* Auto-Submitted: auto-replied */

struct bounce_evidence {
	int score;		/* the sum of the weights found */
	bool report;		/* a report part, a failure or a returned
				 * message: what a report is made of */
	GString *why;		/* "what +N, what -N, ..." */
	GPtrArray *recipients;	/* char *, the failed addresses, lower case */
	char *status;		/* "5.1.1" (RFC 3463), or NULL */
	char *diagnostic;	/* the Diagnostic-Code, or NULL */
	bool delayed;		/* a DSN whose every recipient is delayed */
};

/*
 * bounce_evidence_read - score the structure of MAIL, delivered with
 * envelope SENDER ("" null, NULL unknown), as a delivery report, and read
 * its failed recipients and status: from the message/delivery-status
 * part (Original- or Final-Recipient, Status, Diagnostic-Code of the
 * recipients that failed), else from DSN fields in the text, else from
 * the address beside each status code. Fills EV; clear it with
 * bounce_evidence_clear(). Reads at most a bounded part of each text.
 */
void bounce_evidence_read(const struct mail *mail, const char *sender,
    struct bounce_evidence *ev);
/* bounce_evidence_add - add WEIGHT for WHAT (a short phrase) to EV. */
void bounce_evidence_add(struct bounce_evidence *ev, int weight,
    const char *what);
/* bounce_evidence_decides - is EV a report: report evidence, threshold? */
bool bounce_evidence_decides(const struct bounce_evidence *ev);
void bounce_evidence_clear(struct bounce_evidence *ev);

struct bounce_info {
	GPtrArray *message_ids;	/* char *, ids at DOMAIN, without <> */
	GPtrArray *recipients;	/* char *, failed addresses; may be empty */
	char *status;		/* "5.1.1", or NULL */
	char *diagnostic;	/* the Diagnostic-Code line, or NULL */
	bool delayed;		/* still being tried: bounce_evidence's */
};

/*
 * bounce_scan - read the report in FD (SIZE bytes, read with pread, so
 * the offset is kept) for Message-IDs at DOMAIN and the DSN fields. EV
 * (may be NULL), the structure classify_mail() read, gives the failed
 * recipients, and its status and diagnostic win over the raw scan's.
 * Returns 0, or -1 with ERROR (DESK_ERROR_TEMP) when reading fails.
 */
int bounce_scan(int fd, int64_t size, const char *domain,
    const struct bounce_evidence *ev, struct bounce_info *info,
    GError **error);
void bounce_info_clear(struct bounce_info *info);

/* bounce_reason - "5.1.1 smtp; 550 no such user" or the like. (full) */
char *bounce_reason(const struct bounce_info *info);

#endif
