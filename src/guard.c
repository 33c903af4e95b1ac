/*
 * guard.c - the guard's decision table and what it needs to know.
 *
 * Headers are hints: a From: anyone can write must never make a stranger's
 * mail bounce, or a notice of ours reach a customer who wrote nothing. So
 * only a message whose envelope sender is a license owner's (the address a
 * bounce or a notice goes to) is sent away, and only when its From: is the
 * same owner's too (or the message is not seen, for the policy service).
 * Robots and the null sender always pass: they are never answered, never
 * bounced.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "guard.h"

void
guard_table(const struct guard_facts *f, const char *action,
    struct guard_decision *d)
{
	bool reply = action != NULL && strcmp(action, "reply") == 0;

	memset(d, 0, sizeof(*d));
	d->verdict = GUARD_PASS;
	if (f->null_sender) {
		d->rule = "null-sender";	/* a report: never bounced */
		return;
	}
	if (f->robot) {
		d->rule = "robot";		/* never answered, never bounced */
		return;
	}
	if (f->auth_failed) {
		/* a forgery: a bounce or notice would reach the owner */
		d->rule = "auth-failed";
		return;
	}
	if (f->envelope_owner <= 0) {
		d->rule = f->from_owner > 0 ? "from-only" : "not-owner";
		return;
	}
	if (f->from_owner >= 0 && f->from_owner != f->envelope_owner) {
		d->rule = "envelope-only";	/* another's words, relayed */
		return;
	}
	d->verdict = reply ? GUARD_KEEP : GUARD_REJECT;
	d->rule = f->from_owner < 0 ? "envelope-owner" : "owner";
	d->customer = f->envelope_owner;
}

bool
guard_is_guarded(const struct desk_conf *conf, const char *recipient)
{
	char **g;

	for (g = conf->guard_addresses; g != NULL && *g != NULL; g++)
		if (g_ascii_strcasecmp(*g, recipient) == 0)
			return true;
	return false;
}

const char *
guard_pass_target(const struct desk_conf *conf, const char *recipient)
{
	size_t len = strlen(recipient);
	char **p;

	for (p = conf->guard_pass_to; p != NULL && *p != NULL; p++)
		if (g_ascii_strncasecmp(*p, recipient, len) == 0 &&
		    (*p)[len] == '=')
			return *p + len + 1;
	return NULL;
}

int64_t
guard_owner(struct store *store, const char *address, GError **error)
{
	struct customer c = { 0 };
	const char *at;
	int found;
	int64_t id = 0;

	if (address == NULL || (at = strrchr(address, '@')) == NULL)
		return 0;
	if ((found = store_customer_find(store, address, &c, error)) < 0)
		return -1;
	if (!found && (found = store_customer_find_domain(store, at + 1, &c,
	    error)) < 0)
		return -1;
	if (found)
		id = c.id;
	customer_clear(&c);
	return id;
}

char *
guard_reject_text(const struct desk_conf *conf, const char *recipient,
    int64_t open_ticket)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "5.7.1 <%s>: license owners get support "
	    "only through the %s: please write to %s", recipient, conf->name,
	    conf->address);
	if (open_ticket > 0)
		g_string_append_printf(s, " (your open ticket is #%"
		    G_GINT64_FORMAT ": reply to its notices)",
		    (gint64)open_ticket);
	return g_string_free(s, FALSE);
}

int
guard_pass_on(const struct desk_conf *conf, int fd, const char *sender,
    const char *target, GError **error)
{
	/* postfix's sendmail takes "<>" for the null sender */
	const char *argv[] = { conf->guard_sendmail, "-i", "-f",
	    *sender != '\0' ? sender : "<>",
	    "--", target, NULL };
	GError *local = NULL;
	GPid pid;
	int devnull, status, rc = -1;

	if (target == NULL) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "[guard] pass_to names no mailbox");
		return -1;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "rewinding the spool: %s", g_strerror(errno));
		return -1;
	}
	/* stdout and stderr are postfix's DSN text: sendmail gets neither */
	if ((devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "open(/dev/null) failed: %s", g_strerror(errno));
		return -1;
	}
	if (!g_spawn_async_with_fds(NULL, (char **)argv, NULL,
	    G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, fd, devnull, devnull,
	    &local)) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "running %s failed: %s", conf->guard_sendmail,
		    local->message);
		g_error_free(local);
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
			    "waitpid(%s) failed: %s", conf->guard_sendmail,
			    g_strerror(errno));
			goto out;
		}
	}
	g_spawn_close_pid(pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "%s -f %s -- %s: %s %d", conf->guard_sendmail, sender,
		    target, WIFEXITED(status) ? "exit" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status));
		goto out;
	}
	rc = 0;
out:
	close(devnull);
	return rc;
}
