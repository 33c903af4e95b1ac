/*
 * outbox.c - the outbound runner.
 *
 * One item at a time: claim it in a committed transaction (status
 * "sending", one attempt more), send it, and commit "sent" as soon as the
 * relay has answered 250 to the end of DATA. A crash between that 250 and
 * the commit is the only way a notice can go out twice; the item then
 * waits out OUTBOX_LEASE and is sent again with the same Message-ID, which
 * receiving systems use to drop duplicates. A lock file keeps a second
 * runner from working the same queue at the same time.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "outbox.h"
#include "smtp-send.h"

int
outbox_next_delay(int attempts, int first, int max)
{
	int64_t delay = first;
	int i;

	for (i = 1; i < attempts && delay < max; i++)
		delay *= 2;
	return delay > max ? max : (int)delay;
}

static int
outbox_lock(const char *store_path, GError **error)
{
	char *path = g_strdup_printf("%s.outbox-lock", store_path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "open(%s) failed: %s", path, g_strerror(errno));
		g_free(path);
		return -1;
	}
	g_free(path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int saved = errno;

		close(fd);
		if (saved == EWOULDBLOCK)
			return -2;
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "flock(%s.outbox-lock) failed: %s", store_path,
		    g_strerror(saved));
		return -1;
	}
	return fd;
}

/* Run one small write transaction around F. */
#define OUTBOX_TX(store, error, call)					\
	(store_begin((store), (error)) < 0 ? -1 :			\
	    (call) < 0 ? (store_rollback(store), -1) :			\
	    store_commit((store), (error)))

static int
outbox_after_failure(const struct desk_conf *conf, struct store *store,
    const struct outbox_item *o, int64_t now, GError *why,
    struct outbox_report *report, GError **error)
{
	int attempts = o->attempts + 1;
	bool give_up = why->code != DESK_ERROR_TEMP ||
	    now - o->created >= conf->retry_give_up;
	int rc;

	if (give_up) {
		log_warn("outbox id=%" G_GINT64_FORMAT " to=<%s> failed: %s",
		    (gint64)o->id, o->rcpt, why->message);
		rc = OUTBOX_TX(store, error, store_outbox_failed(store, o->id,
		    why->message, error));
		report->failed++;
	} else {
		int delay = outbox_next_delay(attempts, conf->retry_first,
		    conf->retry_max);

		log_info("outbox id=%" G_GINT64_FORMAT " to=<%s> deferred "
		    "%ds: %s", (gint64)o->id, o->rcpt, delay, why->message);
		rc = OUTBOX_TX(store, error, store_outbox_retry(store, o->id,
		    now + delay, why->message, error));
		report->deferred++;
	}
	return rc;
}

int
outbox_run(const struct desk_conf *conf, struct store *store, int64_t now,
    struct outbox_report *report, GError **error)
{
	struct smtp_client *smtp = NULL;
	GError *down = NULL;	/* the relay could not be reached */
	GPtrArray *due;
	int lock, claimed, rc = -1;
	guint i;

	memset(report, 0, sizeof(*report));
	lock = outbox_lock(conf->store_path, error);
	if (lock == -2) {
		report->busy = true;
		return 0;
	}
	if (lock < 0)
		return -1;
	if ((due = store_outbox_due(store, now, OUTBOX_LEASE, error)) == NULL)
		goto out;
	for (i = 0; i < due->len; i++) {
		struct outbox_item *o = g_ptr_array_index(due, i);
		GError *why = NULL;
		gsize len;
		gconstpointer data = g_bytes_get_data(o->raw, &len);

		claimed = 0;
		if (OUTBOX_TX(store, error, (claimed = store_outbox_claim(
		    store, o->id, now, error))) < 0)
			goto out;
		if (claimed != 0)	/* another runner changed it meanwhile */
			continue;
		if (down != NULL)
			why = g_error_copy(down);
		else if (smtp == NULL && (smtp = smtp_open(conf->relay_host,
		    conf->relay_port, conf->relay_timeout, &why)) == NULL)
			down = g_error_copy(why);
		if (smtp != NULL && smtp_send(smtp, o->env_from, o->rcpt,
		    data, len, &why) == 0) {
			store_fault_point("outbox-after-send");
			if (OUTBOX_TX(store, error, store_outbox_sent(store,
			    o->id, now, error)) < 0)
				goto out;
			log_info("outbox id=%" G_GINT64_FORMAT " to=<%s> "
			    "msgid=<%s> sent", (gint64)o->id, o->rcpt,
			    o->message_id);
			report->sent++;
			continue;
		}
		if (smtp != NULL && smtp_is_broken(smtp)) {
			smtp_close(smtp);
			smtp = NULL;
		}
		rc = outbox_after_failure(conf, store, o, now, why, report,
		    error);
		g_error_free(why);
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	if (down != NULL)
		g_error_free(down);
	smtp_close(smtp);
	if (due != NULL)
		g_ptr_array_unref(due);
	close(lock);
	return rc;
}
