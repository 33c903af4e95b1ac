/*
 * smtp-send.h - hand messages to the relay by SMTP (libetpan).
 *
 * Only the outbound runner links this: deskgate itself never talks to the
 * network (a dead relay must not bounce a customer's mail), and libetpan
 * costs start-up time deskgate pays per message.
 *
 * No TLS: the relay is meant to be the local postfix on loopback, which
 * does TLS onward (libetpan does not verify certificates).
 */
#ifndef DESK_SMTP_SEND_H
#define DESK_SMTP_SEND_H

#include <stddef.h>
#include <glib.h>

struct smtp_client;

/*
 * smtp_open - connect to HOST:PORT and greet it (EHLO, else HELO).
 * NULL with ERROR when it cannot; always DESK_ERROR_TEMP, even for a 5xx
 * greeting: a relay that refuses us says nothing about the messages.
 * TIMEOUT (seconds, > 0) bounds the connect and every later wait for the
 * relay on this client (each read of a reply, each write), the greeting
 * included; a wait that runs out breaks the client. (transfer full)
 */
struct smtp_client *smtp_open(const char *host, int port, int timeout,
    GError **error);

/*
 * smtp_send - one message, envelope FROM ("" for <>) to RCPT. 0 when the
 * relay took it (250 to the end of DATA); -1 with ERROR: DESK_ERROR_PERM
 * for a 5xx answer or an address address_check() refuses (then nothing
 * was sent and the client is as it was), DESK_ERROR_TEMP for a 4xx or a
 * broken connection (then smtp_is_broken() is true and the client must
 * be closed). After a refused command the transaction is reset (RSET),
 * so the client is ready for the next message.
 */
int smtp_send(struct smtp_client *c, const char *from, const char *rcpt,
    const void *data, size_t len, GError **error);

bool smtp_is_broken(const struct smtp_client *c);

/* smtp_close - QUIT (if the connection still works) and free. */
void smtp_close(struct smtp_client *c);

#endif
