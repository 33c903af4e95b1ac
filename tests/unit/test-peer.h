/*
 * test-peer.h - a scripted SMTP peer on 127.0.0.1 for the unit tests of
 * smtp-send.c and outbox.c: a thread of the test program that accepts
 * one connection after another, answers from a script, and records every
 * command line and every message (dot-stuffing undone).
 */
#ifndef DESK_TEST_PEER_H
#define DESK_TEST_PEER_H

#include <stdbool.h>

#include <glib.h>

/* How long a "HANG" reply holds the connection at most, in seconds. */
#define PEER_HANG_MAX 40

/* The replies in a transaction to a recipient whose RCPT line contains
 * MATCH. */
struct peer_rule {
	const char *match;
	const char *rcpt;	/* NULL: the script's rcpt reply */
	const char *dot;	/* NULL: the script's dot reply */
	const char *data;	/* NULL: the script's reply to DATA */
};

/*
 * What the peer answers; NULL means the usual positive reply. A reply
 * "CLOSE" closes the connection instead of answering, "SLEEP" waits
 * three seconds and then closes, "HANG" answers nothing and keeps the
 * connection open until the client closes it (at most PEER_HANG_MAX
 * seconds). Multi-line replies are written with "\r\n" between their
 * lines.
 */
struct peer_script {
	const char *greeting;
	const char *ehlo;
	const char *helo;
	const char *mail;
	const char *rcpt;
	const char *data;
	const char *dot;
	struct peer_rule rules[4];
	/* called with HOOK_DATA when a message has arrived, before the reply
	 * to its final dot (a test's hook into that window) */
	void (*on_message)(gpointer hook_data);
	gpointer hook_data;
};

struct peer {
	const struct peer_script *script;
	int fd;
	int port;
	GThread *thread;
	gint stop;
	GString *log;		/* every command line, "\n" after each */
	GPtrArray *messages;	/* GBytes: what came after DATA */
	int sessions;
};

/* peer_start - listen on a free port of 127.0.0.1 and serve SCRIPT. */
struct peer *peer_start(const struct peer_script *script);

/* peer_stop - stop the peer; after this its log and messages may be read. */
void peer_stop(struct peer *p);

/* peer_free - stop and free P (NULL-safe). */
void peer_free(struct peer *p);

/* peer_lines - the command lines the peer received. (transfer full) */
char **peer_lines(struct peer *p);

/* peer_count_prefix - how many of LINES begin with PREFIX. */
int peer_count_prefix(char **lines, const char *prefix);

/* peer_dead_port - a port of 127.0.0.1 where nothing listens. */
int peer_dead_port(void);

#endif
