/*
 * deliver.c - a spooled message through the intake for each recipient,
 * with the pipe's exit statuses and DSN lines (see deliver.h).
 *
 * Callers: deskgate.c (one message per process) and deskgate-lmtpd.c
 * (many per process: the rules compiled once, the store kept open).
 * Invariant: what deskgate did between reading the spool and printing
 * its status line is done here, in the same order, so a message piped
 * and a message delivered by LMTP end in the same state.
 */
#include "config.h"

#include <string.h>

#include "deliver.h"
#include "error.h"
#include "exitcode.h"
#include "guard.h"
#include "language.h"
#include "log.h"
#include "quote.h"
#include "store.h"

void
deliver_init(struct deliver *d, const struct desk_conf *conf)
{
	memset(d, 0, sizeof(*d));
	d->conf = conf;
	d->in.conf = conf;
}

void
deliver_deinit(struct deliver *d)
{
	deliver_close_store(d);
	intake_free_rules(&d->in);
	d->rules_loaded = false;
}

int
deliver_load_rules(struct deliver *d, GError **error)
{
	if (d->rules_loaded)
		return 0;
	if (intake_load_rules(&d->in, error) < 0)
		return -1;
	d->rules_loaded = true;
	return 0;
}

int
deliver_open_store(struct deliver *d, GError **error)
{
	if (d->in.store != NULL)
		return 0;
	if (d->in_batch) {
		/* a new connection would not be in the batch's transaction */
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "the batch was lost");
		return -1;
	}
	d->in.store = store_open(d->conf->store_path, d->conf->busy_timeout,
	    false, error);
	if (d->in.store == NULL)
		return -1;
	if (store_check_version(d->in.store, error) < 0) {
		deliver_close_store(d);
		return -1;
	}
	return 0;
}

void
deliver_close_store(struct deliver *d)
{
	store_close(d->in.store);
	d->in.store = NULL;
}

char *
deliver_line(const char *dsn, const char *text)
{
	char *clean = log_field(text);
	char *line = g_strdup_printf("%s %s", dsn, clean);

	g_free(clean);
	return line;
}

int
deliver_error(GError *error, char **line_r)
{
	if (error->domain == DESK_ERROR && error->code == DESK_ERROR_CONFIG) {
		log_err("configuration: %s", error->message);
		*line_r = deliver_line("4.3.5",
		    "Help Desk configuration error, try again later");
	} else {
		log_err("temporary failure: %s", error->message);
		*line_r = deliver_line("4.3.0",
		    "Help Desk temporarily unavailable, try again later");
	}
	g_error_free(error);
	return DESK_EXIT_TEMPFAIL;
}

int
deliver_too_big(const struct desk_conf *conf, const char *queue_id,
    const char *sender, char **line_r)
{
	char *why = g_strdup_printf("message too big for the Help Desk "
	    "(limit %" G_GINT64_FORMAT " bytes); please send large "
	    "files as a link", (gint64)conf->max_message_size);
	char *from = log_field(sender);

	log_info("queue_id=%s from=<%s> action=refused "
	    "reason=too-big limit=%" G_GINT64_FORMAT, queue_id, from,
	    (gint64)conf->max_message_size);
	g_free(from);
	*line_r = deliver_line("5.3.4", why);
	g_free(why);
	return DESK_EXIT_TOOBIG;
}

int
deliver_parse(struct deliver *d, struct deliver_message *msg,
    const char *queue_id, const char *sender, struct spool *spool,
    GError **error)
{
	struct mail_limits limits;

	memset(msg, 0, sizeof(*msg));
	msg->queue_id = queue_id;
	msg->sender = sender;
	msg->spool = spool;
	msg->started = g_get_monotonic_time();
	intake_mail_limits(d->conf, &limits);
	if ((msg->mail = mail_parse(spool->fd, NULL, &limits, error)) == NULL)
		return -1;
	if (deliver_load_rules(d, error) < 0)
		return -1;
	classify_mail(d->in.robots, msg->mail, sender, &msg->class);
	/* the new text and its language, before the store is locked */
	msg->reply_text = quote_reply_text(d->in.quotes, msg->mail,
	    d->conf->address);
	msg->language = msg->mail->malformed ? "unknown" :
	    language_detect(d->in.languages, msg->reply_text);
	/* a delivery report is read here, not under the store's lock */
	if (msg->class.class == MAIL_CLASS_BOUNCE) {
		if (bounce_scan(spool->fd, spool->size, d->conf->domain,
		    &msg->class.bounce, &msg->bounce, error) < 0)
			return -1;
		msg->bounce_scanned = true;
	}
	{
		struct intake_mail m = { sender, "", spool, msg->mail,
		    &msg->class, msg->reply_text, msg->language, NULL, NULL };

		msg->fingerprint = intake_fingerprint(&m);
	}
	return 0;
}

void
deliver_message_clear(struct deliver_message *msg)
{
	classification_clear(&msg->class);
	if (msg->bounce_scanned)
		bounce_info_clear(&msg->bounce);
	g_free(msg->fingerprint);
	g_free(msg->reply_text);
	mail_free(msg->mail);
	memset(msg, 0, sizeof(*msg));
}

/* The one LOG_INFO line of a delivery (STYLE 33). */
static void
deliver_log(const struct deliver_message *msg, const char *recipient,
    const struct intake_result *res)
{
	char *msgid = log_field(msg->mail->message_id);
	char *from = log_field(msg->sender);
	char *rcpt = log_field(recipient);
	char *detail = log_field(res->detail);
	char *over = mail_over_limit_keys(msg->mail);

	log_info("queue_id=%s msgid=<%s> from=<%s> rcpt=<%s> "
	    "ticket=%" G_GINT64_FORMAT " action=%s class=%s lang=%s "
	    "notices=%d delay=%.3f%s%s%s%s", msg->queue_id, msgid, from,
	    rcpt, (gint64)res->ticket, intake_action_name(res->action),
	    mail_class_name(msg->class.class), msg->language, res->notices,
	    (g_get_monotonic_time() - msg->started) / 1e6,
	    over ? " over-limit=" : "", over ? over : "",
	    res->detail ? " detail=" : "", detail);
	g_free(over);
	g_free(detail);
	g_free(msgid);
	g_free(from);
	g_free(rcpt);
}

int
deliver_one(struct deliver *d, const struct deliver_message *msg,
    const char *recipient, char **line_r, bool *passed_on_r)
{
	struct intake_mail m = { msg->sender, recipient, msg->spool,
	    msg->mail, &msg->class, msg->reply_text, msg->language,
	    msg->bounce_scanned ? &msg->bounce : NULL, msg->fingerprint };
	struct intake_result res;
	GError *error = NULL;
	int status = DESK_EXIT_OK;

	*line_r = NULL;
	if (passed_on_r != NULL)
		*passed_on_r = false;
	if (deliver_open_store(d, &error) < 0 ||
	    intake_deliver(&d->in, &m, &res, &error) < 0) {
		/* a batch goes on past one message's failure */
		if (!d->in_batch || deliver_batch_is_broken(d))
			deliver_close_store(d);
		return deliver_error(error, line_r);
	}
	deliver_log(msg, recipient, &res);
	if (passed_on_r != NULL)
		*passed_on_r = res.action == INTAKE_GUARD_PASS;
	if (res.action == INTAKE_NOUSER) {
		*line_r = g_strdup(res.dsn);
		status = DESK_EXIT_NOUSER;
	} else if (res.action == INTAKE_GUARD_REJECT) {
		/* res.dsn is "5.7.1 TEXT" */
		*line_r = deliver_line("5.7.1", res.dsn + strlen("5.7.1 "));
		status = DESK_EXIT_NOPERM;
	} else if (res.action == INTAKE_GUARD_PASS &&
	    guard_pass_on(d->conf, msg->spool->fd, msg->sender, res.pass_to,
	    &error) < 0) {
		status = deliver_error(error, line_r);
	}
	intake_result_clear(&res);
	return status;
}

int
deliver_batch_begin(struct deliver *d, GError **error)
{
	if (deliver_open_store(d, error) < 0)
		return -1;
	if (store_batch_begin(d->in.store, error) < 0) {
		deliver_close_store(d);
		return -1;
	}
	d->in_batch = true;
	return 0;
}

bool
deliver_batch_is_broken(const struct deliver *d)
{
	return d->in_batch && (d->in.store == NULL ||
	    store_batch_is_broken(d->in.store));
}

int
deliver_batch_commit(struct deliver *d, GError **error)
{
	d->in_batch = false;
	if (d->in.store == NULL) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "the store was closed inside a batch");
		return -1;
	}
	if (store_batch_commit(d->in.store, error) < 0) {
		deliver_close_store(d);
		return -1;
	}
	return 0;
}

void
deliver_batch_rollback(struct deliver *d)
{
	d->in_batch = false;
	if (d->in.store != NULL)
		store_batch_rollback(d->in.store);
}
