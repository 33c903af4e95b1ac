/*
 * smtp-send.c - a small SMTP client over libetpan's mailsmtp.
 *
 * libetpan returns its own error enums; the server's reply code is in
 * session->response_code. 5xx is permanent, everything else (4xx, a
 * timeout, a dropped connection) is worth another try later.
 */
#include "config.h"

#include <libetpan/libetpan.h>
#include <stdbool.h>
#include <string.h>

#include "error.h"
#include "smtp-send.h"

struct smtp_client {
	mailsmtp *session;
	bool esmtp;
	bool broken;
};

static void
smtp_fail(struct smtp_client *c, int r, const char *step, GError **error)
{
	/* after a stream error the last code is that of an earlier reply */
	int code = (r == MAILSMTP_ERROR_STREAM ||
	    r == MAILSMTP_ERROR_CONNECTION_REFUSED ||
	    r == MAILSMTP_ERROR_HOSTNAME || r == MAILSMTP_ERROR_MEMORY) ? 0 :
	    c->session->response_code;
	const char *text = c->session->response;
	enum desk_status status = DESK_ERROR_TEMP;

	if (r == MAILSMTP_ERROR_STREAM ||
	    r == MAILSMTP_ERROR_CONNECTION_REFUSED ||
	    (r == MAILSMTP_ERROR_UNEXPECTED_CODE && code == 0))
		c->broken = true;
	if (code >= 500 && code < 600)
		status = DESK_ERROR_PERM;
	if (code > 0) {
		char *clean = g_strchomp(g_strdup(text ? text : ""));

		g_set_error(error, DESK_ERROR, status, "%s: %d %s", step,
		    code, clean);
		g_free(clean);
	} else
		g_set_error(error, DESK_ERROR, status, "%s: %s", step,
		    mailsmtp_strerror(r));
}

struct smtp_client *
smtp_open(const char *host, int port, int timeout, GError **error)
{
	struct smtp_client *c = g_new0(struct smtp_client, 1);
	int r;

	c->session = mailsmtp_new(0, NULL);
	if (c->session == NULL) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "mailsmtp_new failed");
		g_free(c);
		return NULL;
	}
	mailsmtp_set_timeout(c->session, timeout);
	r = mailsmtp_socket_connect(c->session, host, (uint16_t)port);
	if (r != MAILSMTP_NO_ERROR) {
		char *step = g_strdup_printf("connecting to %s:%d", host, port);

		smtp_fail(c, r, step, error);
		g_free(step);
		c->broken = true;
		smtp_close(c);
		goto temporary;
	}
	r = mailesmtp_ehlo(c->session);
	if (r == MAILSMTP_NO_ERROR)
		c->esmtp = true;
	else if (c->session->response_code >= 500 &&
	    c->session->response_code <= 504)	/* EHLO unknown: RFC 5321 */
		r = mailsmtp_helo(c->session);
	if (r != MAILSMTP_NO_ERROR) {
		smtp_fail(c, r, "EHLO", error);
		smtp_close(c);
		goto temporary;
	}
	return c;
temporary:
	/* a relay that refuses us says nothing about the messages */
	if (error != NULL && *error != NULL)
		(*error)->code = DESK_ERROR_TEMP;
	return NULL;
}

int
smtp_send(struct smtp_client *c, const char *from, const char *rcpt,
    const void *data, size_t len, GError **error)
{
	int r;

	r = c->esmtp ? mailesmtp_mail(c->session, from, 0, NULL) :
	    mailsmtp_mail(c->session, from);
	if (r != MAILSMTP_NO_ERROR) {
		smtp_fail(c, r, "MAIL FROM", error);
		goto reset;
	}
	r = c->esmtp ? mailesmtp_rcpt(c->session, rcpt,
	    MAILSMTP_DSN_NOTIFY_FAILURE, NULL) : mailsmtp_rcpt(c->session,
	    rcpt);
	/* a relay without the DSN extension refuses NOTIFY= */
	if (r != MAILSMTP_NO_ERROR && c->esmtp &&
	    c->session->response_code == 555)
		r = mailsmtp_rcpt(c->session, rcpt);
	if (r != MAILSMTP_NO_ERROR) {
		smtp_fail(c, r, "RCPT TO", error);
		goto reset;
	}
	r = mailsmtp_data(c->session);
	if (r != MAILSMTP_NO_ERROR) {
		smtp_fail(c, r, "DATA", error);
		goto reset;
	}
	/* libetpan ends DATA with CRLF.CRLF: our own final CRLF would add
	 * an empty line to every message */
	if (len >= 2 && memcmp((const char *)data + len - 2, "\r\n", 2) == 0)
		len -= 2;
	r = mailsmtp_data_message(c->session, data, len);
	if (r != MAILSMTP_NO_ERROR) {
		smtp_fail(c, r, "end of DATA", error);
		goto reset;
	}
	return 0;
reset:
	if (!c->broken && mailsmtp_reset(c->session) != MAILSMTP_NO_ERROR)
		c->broken = true;
	return -1;
}

bool
smtp_is_broken(const struct smtp_client *c)
{
	return c->broken;
}

void
smtp_close(struct smtp_client *c)
{
	if (c == NULL)
		return;
	if (!c->broken && c->session->stream != NULL)
		mailsmtp_quit(c->session);
	mailsmtp_free(c->session);
	g_free(c);
}
