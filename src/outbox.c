/*
 * outbox.c - the outbound runner.
 *
 * One item at a time: claim it in a committed transaction (status
 * "sending", one attempt more), send it, and commit "sent" as soon as the
 * relay has answered 250 to the end of DATA. A notice goes out twice in
 * two windows only (doc/ARCHITECTURE.md, "The delivery guarantee"): a
 * crash after the final dot and before that commit (the item then waits
 * out OUTBOX_LEASE and is sent again), and a reply to the dot that is
 * lost or later than [relay] timeout (deferred, sent again: RFC 1047).
 * Both resend the same bytes with the same Message-ID, which receiving
 * systems use to drop duplicates; tests/e2e/0170-outbox-faults.t counts
 * them at a real relay. A lock file keeps a second
 * runner from working the same queue at the same time. The lock file is
 * named after [store] path, so two runners that reach the store through
 * different files (a symlink to the store file, a hard link) both get
 * one; then the claim decides: one UPDATE whose WHERE clause is the due
 * condition (store_outbox_claim), so only one of them takes each item
 * and the other skips it.
 *
 * One bad notice never holds up the others: its addresses are checked
 * (address_check) before any SMTP, a 5xx or an invalid address fails it
 * alone, a 4xx or a broken session defers it alone (the next item opens a
 * new session), and only a relay that cannot be reached or will not greet
 * us defers the rest of the run. All items share one SMTP session while
 * it works; smtp-send.c resets the transaction after a refused command.
 * Every wait for the relay is bounded by [relay] timeout.
 *
 * The runner moves an item only out of "sending" (store.h, enum
 * outbox_mark): a bounce that marked it failed meanwhile stands.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "address.h"
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

/*
 * Record a failed try of the claimed item O: "failed" for a permanent
 * failure (WHY is not TEMP) or past give_up, else "queued" again after
 * the back-off. Only an item still "sending" is moved: when a bounce has
 * marked it failed meanwhile, that stays.
 */
static int
outbox_after_failure(const struct desk_conf *conf, struct store *store,
    const struct outbox_item *o, int64_t now, GError *why,
    struct outbox_report *report, GError **error)
{
	int attempts = o->attempts + 1;
	bool give_up = why->code != DESK_ERROR_TEMP ||
	    now - o->created >= conf->retry_give_up;
	enum outbox_mark mark;
	int rc;

	if (give_up) {
		log_warn("outbox id=%" G_GINT64_FORMAT " to=<%s> failed: %s",
		    (gint64)o->id, o->rcpt, why->message);
		rc = OUTBOX_TX(store, error, (mark = store_outbox_give_up(
		    store, o->id, why->message, error)));
		report->failed++;
	} else {
		int delay = outbox_next_delay(attempts, conf->retry_first,
		    conf->retry_max);

		log_info("outbox id=%" G_GINT64_FORMAT " to=<%s> deferred "
		    "%ds: %s", (gint64)o->id, o->rcpt, delay, why->message);
		rc = OUTBOX_TX(store, error, (mark = store_outbox_retry(store,
		    o->id, now + delay, why->message, error)));
		report->deferred++;
	}
	if (rc == 0 && mark == OUTBOX_MARK_LOST)
		log_info("outbox id=%" G_GINT64_FORMAT " changed meanwhile "
		    "(a bounce?); left as it is", (gint64)o->id);
	return rc;
}

/*
 * Are O's envelope addresses fit for SMTP? Checked before any SMTP: an
 * address libetpan would cut at 512 bytes stalls the session, and an
 * address that is no address is mail to nobody. False with WHY (PERM).
 */
static bool
outbox_addresses_ok(const struct outbox_item *o, GError **why)
{
	const char *reason = NULL;

	/* "" is the null reverse-path <> */
	if (o->env_from == NULL || (*o->env_from != '\0' &&
	    !address_check(o->env_from, &reason))) {
		g_set_error(why, DESK_ERROR, DESK_ERROR_PERM,
		    "invalid sender address: %s", reason ? reason : "none");
		return false;
	}
	if (o->rcpt == NULL || !address_check(o->rcpt, &reason)) {
		g_set_error(why, DESK_ERROR, DESK_ERROR_PERM,
		    "invalid recipient address: %s", reason ? reason : "none");
		return false;
	}
	return true;
}

/* The relay took O: commit "sent", unless a bounce came first. */
static int
outbox_after_sent(struct store *store, const struct outbox_item *o,
    int64_t now, struct outbox_report *report, GError **error)
{
	enum outbox_mark mark = OUTBOX_MARK_ERROR;

	store_fault_point("outbox-after-send");
	if (OUTBOX_TX(store, error, (mark = store_outbox_sent(store, o->id,
	    now, error))) < 0)
		return -1;
	if (mark == OUTBOX_MARK_LOST)
		log_info("outbox id=%" G_GINT64_FORMAT " to=<%s> msgid=<%s> "
		    "sent, but marked failed meanwhile (a bounce); left "
		    "failed", (gint64)o->id, o->rcpt, o->message_id);
	else
		log_info("outbox id=%" G_GINT64_FORMAT " to=<%s> msgid=<%s> "
		    "sent", (gint64)o->id, o->rcpt, o->message_id);
	report->sent++;
	return 0;
}

/*
 * One try of the claimed item O over *SMTP (opened when NULL, closed and
 * set NULL when it breaks). 0 when the relay took it, else -1 with WHY.
 * Each item fails or is deferred on its own; only a relay that cannot be
 * reached or will not greet us sets *DOWN, which then defers the rest.
 */
static int
outbox_try(const struct desk_conf *conf, struct smtp_client **smtp,
    GError **down, const struct outbox_item *o, GError **why)
{
	gsize len = 0;
	gconstpointer data = o->raw ? g_bytes_get_data(o->raw, &len) : "";

	if (!outbox_addresses_ok(o, why))
		return -1;
	if (*down != NULL) {
		*why = g_error_copy(*down);
		return -1;
	}
	if (*smtp == NULL && (*smtp = smtp_open(conf->relay_host,
	    conf->relay_port, conf->relay_timeout, why)) == NULL) {
		*down = g_error_copy(*why);
		return -1;
	}
	if (smtp_send(*smtp, o->env_from, o->rcpt, data, len, why) == 0)
		return 0;
	/* a broken session is dropped; the next item reconnects */
	if (smtp_is_broken(*smtp)) {
		smtp_close(*smtp);
		*smtp = NULL;
	}
	return -1;
}

int
outbox_run(const struct desk_conf *conf, struct store *store, int64_t now,
    struct outbox_report *report, GError **error)
{
	struct smtp_client *smtp = NULL;
	GError *down = NULL;	/* the relay could not be reached or greeted */
	GPtrArray *due = NULL;
	enum outbox_claim claim;
	gint64 start = g_get_monotonic_time();
	int64_t claimed;
	int lock, rc = -1;
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
		int step;

		/* the claim is stamped with the time it is made, not the
		 * run's start: a long run must not hand the lease of its
		 * later items to another runner early */
		claimed = now + (g_get_monotonic_time() - start) /
		    G_USEC_PER_SEC;
		claim = OUTBOX_CLAIM_ERROR;
		if (OUTBOX_TX(store, error, (claim = store_outbox_claim(store,
		    o->id, claimed, OUTBOX_LEASE, error))) < 0)
			goto out;
		/* sent, failed or claimed by another runner meanwhile */
		if (claim == OUTBOX_CLAIM_LOST)
			continue;
		if (outbox_try(conf, &smtp, &down, o, &why) == 0) {
			if (outbox_after_sent(store, o, now, report, error) < 0)
				goto out;
			continue;
		}
		step = outbox_after_failure(conf, store, o, now, why, report,
		    error);
		g_error_free(why);
		if (step < 0)
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
