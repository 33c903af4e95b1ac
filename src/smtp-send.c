/*
 * smtp-send.c - a small SMTP client over libetpan's mailsmtp.
 *
 * libetpan returns its own error enums; the server's reply code is in
 * session->response_code. 5xx is permanent, everything else (4xx, a
 * timeout, a dropped connection) is worth another try later.
 *
 * Timeouts. mailsmtp_set_timeout() alone is not enough in libetpan 1.9.4:
 * mailsmtp_socket_connect() uses it for the TCP connect but opens the
 * stream with mailstream_socket_open(), whose timeout 0 means the global
 * mailstream_network_delay (300 s) for every later read and write, the
 * greeting first. So we connect ourselves (a non-blocking connect()
 * bounded by poll()) and hand the socket to
 * mailstream_socket_open_timeout(): libetpan's socket driver then
 * select()s at most TIMEOUT seconds before each read and each write, for
 * the greeting, EHLO/HELO, MAIL, RCPT, DATA, the message and QUIT alike.
 * The timeout bounds each wait for the relay, as Postfix's smtp_*_timeout
 * do, not a whole command. No signals (alarm) are involved, so nothing
 * else in the process is disturbed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libetpan/libetpan.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "error.h"
#include "smtp-send.h"
#include "store.h"		/* store_fault_point, in a test build */

struct smtp_client {
	mailsmtp *session;
	bool esmtp;
	bool broken;
#ifdef DESK_FAULT_INJECTION
	bool mid_data_passed;	/* the crash point, once per message */
#endif
};

#ifdef DESK_FAULT_INJECTION
/*
 * The crash point "outbox-mid-data" of the tests' builds. libetpan calls
 * this every 4096 bytes of a message it writes after DATA (its progress
 * callback); the first time in each message, what it has buffered is
 * flushed to the relay and the point is passed: a test can kill the
 * runner with part of a message on the wire and none of its final dot.
 * A message shorter than 4096 bytes never reaches the point.
 */
static void
smtp_fault_progress(size_t current, size_t maximum, void *context)
{
	struct smtp_client *c = context;

	(void)current;
	(void)maximum;
	if (c->mid_data_passed)
		return;
	c->mid_data_passed = true;
	/* a failed flush shows in the write that follows */
	if (mailstream_flush(c->session->stream) < 0)
		return;
	store_fault_point("outbox-mid-data");
}
#endif

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

/*
 * Connect a TCP socket to one address of AI within TIMEOUT seconds: a
 * non-blocking connect() and poll() for its end. The socket is back in
 * blocking mode on return, as libetpan's socket stream wants it. -1 with
 * errno on failure (ETIMEDOUT when the time ran out).
 */
static int
smtp_connect_one(const struct addrinfo *ai, int timeout)
{
	struct pollfd pfd;
	int fd, flags, r, err = 0;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd < 0)
		return -1;
	if ((flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			r = poll(&pfd, 1, timeout * 1000);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			goto fail;
		if (r == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, flags) < 0)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/*
 * A connected socket to HOST:PORT, trying each address of the name in
 * turn, within TIMEOUT seconds in all. -1 with ERROR (TEMP).
 */
static int
smtp_connect(const char *host, int port, int timeout, GError **error)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char service[16];
	time_t deadline = time(NULL) + timeout;
	int fd = -1, r, err = ECONNREFUSED;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
	g_snprintf(service, sizeof(service), "%d", port);
	r = getaddrinfo(host, service, &hints, &res);
	if (r != 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "connecting to %s:%d: %s", host, port, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		int left = (int)(deadline - time(NULL));

		if (left <= 0) {
			err = ETIMEDOUT;
			break;
		}
		if ((fd = smtp_connect_one(ai, left)) < 0)
			err = errno;
	}
	freeaddrinfo(res);
	if (fd < 0)
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "connecting to %s:%d: %s", host, port,
		    err == ETIMEDOUT ? "no connection within the timeout" :
		    g_strerror(err));
	return fd;
}

struct smtp_client *
smtp_open(const char *host, int port, int timeout, GError **error)
{
	struct smtp_client *c = g_new0(struct smtp_client, 1);
	mailstream *stream;
	int fd, r;

	c->session = mailsmtp_new(0, NULL);
	if (c->session == NULL) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "mailsmtp_new failed");
		g_free(c);
		return NULL;
	}
	/* for what libetpan connects itself (STARTTLS, should we use it) */
	mailsmtp_set_timeout(c->session, timeout);
#ifdef DESK_FAULT_INJECTION
	mailsmtp_set_progress_callback(c->session, smtp_fault_progress, c);
#endif
	if ((fd = smtp_connect(host, port, timeout, error)) < 0) {
		c->broken = true;
		smtp_close(c);
		return NULL;
	}
	stream = mailstream_socket_open_timeout(fd, timeout);
	if (stream == NULL) {
		close(fd);
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "mailstream_socket_open_timeout failed");
		c->broken = true;
		smtp_close(c);
		return NULL;
	}
	/* mailsmtp_connect owns the stream from here, and closes it when
	 * the greeting is not 220 */
	r = mailsmtp_connect(c->session, stream);
	if (r != MAILSMTP_NO_ERROR) {
		smtp_fail(c, r, "greeting", error);
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

/*
 * True (and ERROR, PERM) when ADDRESS may not go into an SMTP command:
 * address_check() refuses it. NULL_OK lets "" through: the null
 * reverse-path <> of RFC 5321 4.5.5.
 */
static bool
smtp_address_refused(const char *address, bool null_ok, const char *what,
    GError **error)
{
	const char *why = NULL;

	if (address != NULL && ((null_ok && *address == '\0') ||
	    address_check(address, &why)))
		return false;
	g_set_error(error, DESK_ERROR, DESK_ERROR_PERM,
	    "invalid %s address: %s", what, why ? why : "none");
	return true;
}

int
smtp_send(struct smtp_client *c, const char *from, const char *rcpt,
    const void *data, size_t len, GError **error)
{
	int r;

	/* libetpan cuts a command at 512 bytes, CRLF and all, and then
	 * waits for a reply that never comes: nothing unchecked goes out */
	if (smtp_address_refused(from, true, "sender", error) ||
	    smtp_address_refused(rcpt, false, "recipient", error))
		return -1;
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
#ifdef DESK_FAULT_INJECTION
	c->mid_data_passed = false;
#endif
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
