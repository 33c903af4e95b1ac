/*
 * lmtp.h - the server side of one LMTP connection (RFC 2033), without
 * the socket: bytes in, replies out, and a callback for each message.
 *
 * deskgate-lmtpd owns the socket and feeds what it reads to
 * lmtp_session_input; the replies collect in lmtp_session_output, in
 * the order of the commands, however many the client pipelined
 * (RFC 2920). The message of a DATA command goes, dot-unstuffed and with
 * CRLF turned into LF (what pipe(8) hands deskgate), into a spool file:
 * nothing but one command line (at most LMTP_LINE_MAX) is held in memory.
 * Once the final "." is in, the deliver callback gets the envelope and
 * the spool and gives one reply per recipient (RFC 2033 4.2); those
 * replies are written only then, so a 250 goes out after the commit.
 */
#ifndef DESK_LMTP_H
#define DESK_LMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "spool.h"

/* RFC 5321 4.5.3.1.4 and 4.5.3.1.6: with the CRLF */
#define LMTP_LINE_MAX		512
#define LMTP_TEXT_LINE_MAX	1000
#define LMTP_RCPT_MAX		1000	/* recipients of one transaction */

struct lmtp_session;

/*
 * What the message of one transaction gets: REPLIES is an array of
 * N_RCPT slots, to be filled with one reply line each, without CRLF
 * ("250 2.0.0 ...", "451 4.3.0 ...") (transfer full: the session frees
 * them). SPOOL is at offset 0; too_big is set when more than the limit
 * came (transfer none). Returns true when REPLIES is filled; false
 * when the replies come later (group commit): REPLIES is then the
 * callback's, to be filled and handed back to lmtp_session_complete;
 * until then the session reads no further, and SENDER, RCPTS and SPOOL
 * stay valid.
 */
typedef bool (*lmtp_deliver_fn)(void *ctx, struct lmtp_session *s,
    const char *sender, char *const *rcpts, unsigned n_rcpt,
    struct spool *spool, char **replies);

struct lmtp_params {
	const char *hostname;	/* in the greeting and the LHLO reply */
	gint64 max_size;	/* SIZE, and the spool's limit */
	const char *spool_dir;	/* NULL: the temporary directory */
};


/* lmtp_session_new - a session; PARAMS is copied. (transfer full) */
struct lmtp_session *lmtp_session_new(const struct lmtp_params *params,
    lmtp_deliver_fn deliver, void *ctx);
void lmtp_session_free(struct lmtp_session *s);

/* lmtp_session_greet - queue the 220 greeting. */
void lmtp_session_greet(struct lmtp_session *s);

/*
 * lmtp_session_input - handle LEN bytes the client sent: every complete
 * command and every piece of a message, calling the deliver callback at
 * each final ".". After QUIT, a 421 or an error the rest is ignored.
 */
void lmtp_session_input(struct lmtp_session *s, const char *buf, size_t len);

/*
 * lmtp_session_output - the replies not yet written (transfer none):
 * the caller writes from the front and erases what it wrote.
 */
GString *lmtp_session_output(struct lmtp_session *s);

/* lmtp_session_is_done - QUIT, or a 421, was answered: close once written. */
bool lmtp_session_is_done(const struct lmtp_session *s);

/*
 * lmtp_session_complete - the replies the deliver callback left for
 * later: the array it was given, filled (transfer full), queued in
 * order; then the input that came after the message is handled.
 */
void lmtp_session_complete(struct lmtp_session *s, char **replies);

/* lmtp_session_is_waiting - a message waits for lmtp_session_complete. */
bool lmtp_session_is_waiting(const struct lmtp_session *s);

/* lmtp_session_in_transaction - MAIL was accepted and not yet ended. */
bool lmtp_session_in_transaction(const struct lmtp_session *s);

/* lmtp_session_in_data - inside a message (between 354 and the "."). */
bool lmtp_session_in_data(const struct lmtp_session *s);

/*
 * lmtp_session_shutdown - the service stops: an idle session gets 421
 * at once; one in a transaction finishes it (MAIL through the replies
 * after DATA) and gets 421 at its next command.
 */
void lmtp_session_shutdown(struct lmtp_session *s);

/* lmtp_session_timeout - the client was silent too long: 421 4.4.2. */
void lmtp_session_timeout(struct lmtp_session *s);

/*
 * lmtp_reply_status - the reply to RCPT for a delivery that the pipe
 * would have ended with exit STATUS (exitcode.h) and status line LINE
 * ("D.S.N text", NULL for 0): 250 2.0.0, 451 for a 4.x.x line, 550 for
 * 5.1.1 and 5.7.1, 552 for 5.3.4. (transfer full)
 */
char *lmtp_reply_status(int status, const char *line, const char *rcpt);

#endif
