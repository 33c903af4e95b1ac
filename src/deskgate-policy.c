/*
 * deskgate-policy.c - postfix SMTP access policy service for the guard
 * (SMTPD_POLICY_README: the policy delegation protocol).
 *
 *	deskgate-policy [-c CONF]
 *
 * postfix's spawn(8) runs one per SMTP client connection, with the
 * connection on stdin and stdout: requests of "name=value" lines ended
 * by an empty line, each answered with "action=..." and an empty line.
 * At RCPT time a license owner's envelope sender to a guarded address is
 * refused with 550 5.7.1 and the Help Desk pointer, so no bounce is ever
 * generated; anything else is DUNNO. The service sees only the envelope,
 * so it asks guard_table() with the From unknown; deskgate itself is the
 * second line, with the whole message.
 *
 * It never blocks mail because the Help Desk is broken: a bad config, a
 * missing or locked store, any error of its own is DUNNO and a log line.
 * The store is opened read-only, once, on the first request that needs it.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "guard.h"
#include "log.h"
#include "store.h"

/* A request line longer than this is not postfix's: the request is DUNNO. */
#define POLICY_LINE_MAX 8192
/* How long a store lookup may wait for a writer, in milliseconds. */
#define POLICY_BUSY_MS 2000

struct policy {
	struct desk_conf *conf;	/* NULL: no usable configuration */
	struct store *store;	/* opened on first need */
	GHashTable *attrs;	/* of the request being read */
	bool too_long;		/* a line of it was too long */
};

/* The decision for the request in P->attrs, as the "action=" value. */
static char *
policy_decide(struct policy *p)
{
	const char *state = g_hash_table_lookup(p->attrs, "protocol_state");
	const char *sender = g_hash_table_lookup(p->attrs, "sender");
	const char *recipient = g_hash_table_lookup(p->attrs, "recipient");
	struct guard_facts f = { -1, 0, false, false, false };
	struct guard_decision d;
	GError *error = NULL;
	int64_t open = 0;
	char *text, *action;

	if (p->conf == NULL || p->too_long || recipient == NULL ||
	    sender == NULL || (state != NULL && strcmp(state, "RCPT") != 0) ||
	    !guard_is_guarded(p->conf, recipient))
		return g_strdup("DUNNO");
	f.null_sender = *sender == '\0';
	if (!f.null_sender) {
		if (p->store == NULL && (p->store = store_open_readonly(
		    p->conf->store_path, POLICY_BUSY_MS, &error)) == NULL)
			goto fail;
		if ((f.envelope_owner = guard_owner(p->store, sender,
		    &error)) < 0)
			goto fail;
	}
	/* with action = reply the pipe keeps the mail: let it through */
	guard_table(&f, p->conf->guard_action, &d);
	if (d.verdict != GUARD_REJECT)
		return g_strdup("DUNNO");
	if ((open = store_ticket_open_of(p->store, d.customer, &error)) < 0)
		goto fail;
	text = guard_reject_text(p->conf, recipient, open);
	action = g_strdup_printf("550 %s", text);
	g_free(text);
	{
		char *s = log_field(sender), *r = log_field(recipient);

		log_info("sender=<%s> recipient=<%s> action=reject rule=%s",
		    s, r, d.rule);
		g_free(s);
		g_free(r);
	}
	return action;
fail:
	log_warn("%s: answering DUNNO", error->message);
	g_error_free(error);
	/* a store that failed once may be back for the next request */
	store_close(p->store);
	p->store = NULL;
	return g_strdup("DUNNO");
}

/* Read one line of at most POLICY_LINE_MAX into LINE; false at EOF. */
static bool
policy_read_line(FILE *in, GString *line, bool *too_long_r)
{
	int c;

	g_string_truncate(line, 0);
	*too_long_r = false;
	while ((c = getc(in)) != EOF && c != '\n') {
		if (line->len < POLICY_LINE_MAX)
			g_string_append_c(line, (char)c);
		else
			*too_long_r = true;
	}
	return c != EOF || line->len > 0;
}

int
main(int argc, char **argv)
{
	const char *conf_path = DESK_DEFAULT_CONFIG;
	struct policy p = { 0 };
	GString *line = g_string_new(NULL);
	GError *error = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch == 'c')
			conf_path = optarg;
		else {
			fprintf(stderr, "usage: deskgate-policy [-c CONF]\n");
			return 1;
		}
	}
	if ((p.conf = conf_load(conf_path, &error)) == NULL) {
		log_open("deskgate-policy", "syslog");
		log_err("configuration: %s; answering DUNNO to everything",
		    error->message);
		g_clear_error(&error);
	} else {
		log_open("deskgate-policy", p.conf->log_target);
	}
	p.attrs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    g_free);
	for (;;) {
		bool too_long, more = policy_read_line(stdin, line, &too_long);
		char *eq;

		p.too_long |= too_long;
		if (more && line->len > 0) {
			if ((eq = strchr(line->str, '=')) != NULL)
				g_hash_table_replace(p.attrs, g_strndup(
				    line->str, (gsize)(eq - line->str)),
				    g_strdup(eq + 1));
			continue;
		}
		/* an empty line ends a request; EOF ends the connection */
		if (g_hash_table_size(p.attrs) > 0) {
			char *action = policy_decide(&p);

			if (printf("action=%s\n\n", action) < 0 ||
			    fflush(stdout) != 0) {
				g_free(action);
				break;
			}
			g_free(action);
		}
		g_hash_table_remove_all(p.attrs);
		p.too_long = false;
		if (!more)
			break;
	}
	g_hash_table_destroy(p.attrs);
	g_string_free(line, TRUE);
	store_close(p.store);
	conf_free(p.conf);
	log_close();
	return 0;
}
