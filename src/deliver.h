/*
 * deliver.h - one spooled message through the intake, for each of its
 * recipients: what deskgate (the pipe) and deskgate-lmtpd (LMTP) share,
 * so that a message ends in the same state whichever way it came.
 *
 * The outcome of a delivery is said the way the pipe says it: an exit
 * status of exitcode.h and, for a non-zero one, the one "D.S.N text"
 * line pipe(8) puts into its DSN. deskgate prints them; deskgate-lmtpd
 * turns them into an LMTP reply (lmtp_reply_status).
 *
 * Usage: deliver_init once per process; per message deliver_parse (the
 * parse, classification, quote and language, bounce scan: nothing under
 * the store's lock), then deliver_one for each recipient, then
 * deliver_message_clear. The rules stay compiled and the store open
 * across messages; a transient failure closes the store, and the next
 * delivery opens it again.
 */
#ifndef DESK_DELIVER_H
#define DESK_DELIVER_H

#include <stdbool.h>
#include <glib.h>

#include "bounce.h"
#include "classify.h"
#include "conf.h"
#include "intake.h"
#include "mime-message.h"
#include "spool.h"

struct deliver {
	const struct desk_conf *conf;
	struct intake in;	/* in.store NULL: opened on the next message */
	bool rules_loaded;
	bool in_batch;		/* between deliver_batch_begin and its end */
};

/* One parsed message, shared by its recipients. */
struct deliver_message {
	const char *queue_id;	/* for the log line, "-" when unknown */
	const char *sender;	/* envelope sender, "" for <> */
	struct spool *spool;	/* (transfer none) */
	struct mail *mail;
	struct classification class;
	char *reply_text;
	const char *language;
	struct bounce_info bounce;
	bool bounce_scanned;
	char *fingerprint;
	gint64 started;		/* g_get_monotonic_time() at arrival */
};

/* deliver_init - D for CONF (transfer none; it must outlive D). */
void deliver_init(struct deliver *d, const struct desk_conf *conf);
void deliver_deinit(struct deliver *d);

/*
 * deliver_load_rules - compile (or read from the cache) the rule files
 * once; later calls do nothing. 0, or -1 with ERROR (DESK_ERROR_CONFIG).
 */
int deliver_load_rules(struct deliver *d, GError **error);

/*
 * deliver_open_store - open the store and check its schema version
 * unless it is open. 0, or -1 with ERROR.
 */
int deliver_open_store(struct deliver *d, GError **error);

/* deliver_close_store - close it (after an error); the next open reopens. */
void deliver_close_store(struct deliver *d);

/*
 * deliver_parse - parse SPOOL (not too_big; mail_init done) into MSG and
 * decide everything about it that needs no store: classification, the
 * new text and its language, a bounce's scan, the loop fingerprint.
 * Loads the rules if they are not loaded. 0, or -1 with ERROR; MSG is
 * cleared with deliver_message_clear either way.
 */
int deliver_parse(struct deliver *d, struct deliver_message *msg,
    const char *queue_id, const char *sender, struct spool *spool,
    GError **error);
void deliver_message_clear(struct deliver_message *msg);

/*
 * deliver_one - deliver MSG to RECIPIENT: intake_deliver (opening the
 * store if needed), the log line, and a guarded address's pass-on.
 * Returns the exit status the pipe gives for it (DESK_EXIT_OK,
 * _TEMPFAIL, _NOUSER, _NOPERM) and sets *LINE_R to its DSN line
 * ("4.3.0 ...", "5.1.1 ...", "5.7.1 ..."; NULL for DESK_EXIT_OK)
 * (transfer full). On a transient error the store is closed (inside a
 * batch only when the batch is lost). PASSED_ON_R, when not NULL, says
 * whether the message was passed on through sendmail (nothing stored:
 * not to be done again).
 */
int deliver_one(struct deliver *d, const struct deliver_message *msg,
    const char *recipient, char **line_r, bool *passed_on_r);

/*
 * deliver_batch_begin, deliver_batch_commit, deliver_batch_rollback -
 * group commit: the deliver_one calls in between are committed together
 * (store_batch_begin). deliver_batch_is_broken: the batch is lost and
 * its deliveries must be done again one by one. 0, or -1 with ERROR.
 */
int deliver_batch_begin(struct deliver *d, GError **error);
int deliver_batch_commit(struct deliver *d, GError **error);
void deliver_batch_rollback(struct deliver *d);
bool deliver_batch_is_broken(const struct deliver *d);

/*
 * deliver_error - log ERROR and free it; returns DESK_EXIT_TEMPFAIL with
 * *LINE_R the pipe's line for it (4.3.5 for a configuration error, else
 * 4.3.0) (transfer full).
 */
int deliver_error(GError *error, char **line_r);

/*
 * deliver_too_big - log the refusal of a too big message from SENDER;
 * returns DESK_EXIT_TOOBIG with *LINE_R the 5.3.4 line (transfer full).
 */
int deliver_too_big(const struct desk_conf *conf, const char *queue_id,
    const char *sender, char **line_r);

/*
 * deliver_line - "DSN TEXT" with TEXT's control characters taken out,
 * as the pipe prints it. (transfer full)
 */
char *deliver_line(const char *dsn, const char *text);

#endif
