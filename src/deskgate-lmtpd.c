/*
 * deskgate-lmtpd.c - the Help Desk intake as an LMTP service (RFC 2033),
 * for postfix's lmtp(8): "lmtp:unix:PATH" or "lmtp:inet:HOST:PORT".
 *
 *	deskgate-lmtpd [-c CONF] [-v] -l unix:PATH|inet:HOST:PORT
 *
 * It runs in the foreground (systemd or a supervisor runs it); with
 * systemd socket activation (LISTEN_PID, LISTEN_FDS) it serves the first
 * socket passed and -l may be left out. Each recipient of each message
 * goes through deliver_one(), the code deskgate (the pipe) runs, so a
 * message ends in the same state either way; its reply is written only
 * after intake_deliver() returned, i.e. after the commit: 250 means
 * durable, a kill -9 loses only what was not yet answered, and postfix
 * sends that again.
 *
 * One thread and a poll() loop: SQLite serialises writers anyway, so
 * threads would only wait for each other's lock, and one thread keeps
 * the prepared statements, the compiled rules and GMime single-threaded
 * without locks. GLib's main loop would do the same with more machinery
 * and no control over when a message's delivery runs. While one message
 * is delivered the other connections wait; their input waits in the
 * kernel's socket buffers.
 *
 * Group commit ([lmtp] group_commit_wait, 2 ms by default): a received
 * message is parsed at once and then waits, unanswered, until the first
 * waiting one has waited that long or no other connection is inside a
 * transaction;
 * then all of them are committed in one transaction (one fsync), one
 * savepoint each, and answered. A message that fails gets its 451 and
 * the others are committed; a batch that is lost is delivered again one
 * message at a time.
 *
 * SIGTERM (and SIGINT): the listening socket is closed, idle sessions
 * get 421 4.3.2, sessions in a transaction finish it (the replies after
 * DATA included) and get 421 at their next command; then it exits 0.
 * Limits: [lmtp] max_connections, [lmtp] command_time_limit, and
 * [desk] time_limit for one message's delivery (the process exits, as
 * the pipe does, and loses only the unanswered message).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
#include "exitcode.h"
#include "lmtp.h"
#include "log.h"

#define LMTPD_READ_SIZE	(64 * 1024)
/* stop reading a client that does not read its replies past this */
#define LMTPD_OUT_MAX	(64 * 1024)
#define SD_LISTEN_FDS_START 3

struct lmtpd_conn {
	int fd;
	struct lmtp_session *session;
	gint64 last;		/* monotonic time of the last input, us */
};

/* A received message waiting for the group commit. */
struct lmtpd_pending {
	struct lmtp_session *session;
	char *const *rcpts;	/* the session's, valid while it waits */
	unsigned n_rcpt;
	struct deliver_message msg;
	char **replies;		/* n_rcpt + 1 */
	bool *passed_on;	/* n_rcpt: done outside the store */
};

struct lmtpd {
	struct desk_conf *conf;
	struct deliver deliver;
	int listen_fd;		/* -1 once closed */
	char *unix_path;	/* to unlink at the end; NULL for inet */
	GPtrArray *conns;	/* struct lmtpd_conn * */
	char *hostname;
	GPtrArray *pending;	/* struct lmtpd_pending *, in arrival order */
	gint64 pending_since;	/* monotonic us of the first of them */
	unsigned long messages, commits;
};

static volatile sig_atomic_t lmtpd_stop;

static void
lmtpd_on_signal(int sig)
{
	(void)sig;
	lmtpd_stop = 1;
}

static void
lmtpd_timeout(int sig)
{
	static const char line[] =
	    "deskgate-lmtpd: [desk] time_limit exceeded in a delivery\n";
	ssize_t ignored = write(STDERR_FILENO, line, sizeof(line) - 1);

	(void)sig;
	(void)ignored;
	_exit(DESK_EXIT_TEMPFAIL);
}

/* Fill the N replies for RCPTS from one STATUS and LINE. */
static void
lmtpd_replies_all(char **replies, char *const *rcpts, unsigned n,
    int status, const char *line)
{
	unsigned i;

	for (i = 0; i < n; i++)
		replies[i] = lmtp_reply_status(status, line, rcpts[i]);
}

/* Deliver P's message to each recipient whose reply is not yet given. */
static void
lmtpd_deliver_each(struct lmtpd *l, struct lmtpd_pending *p)
{
	unsigned i;

	for (i = 0; i < p->n_rcpt; i++) {
		char *line = NULL;
		int status;

		if (p->replies[i] != NULL)
			continue;
		status = deliver_one(&l->deliver, &p->msg, p->rcpts[i], &line,
		    &p->passed_on[i]);
		p->replies[i] = lmtp_reply_status(status, line, p->rcpts[i]);
		g_free(line);
	}
}

static void
lmtpd_pending_free(struct lmtpd_pending *p)
{
	deliver_message_clear(&p->msg);
	g_free(p->passed_on);
	g_free(p);
}

/*
 * The group commit: every waiting message in one transaction (one
 * savepoint each, so one that fails does not take the others with it),
 * then the replies. When the batch itself is lost (it cannot begin, or
 * SQLite rolled it back, or the COMMIT fails), nothing of it is stored:
 * each message is delivered again alone, but for what was passed on
 * through sendmail, which is not done twice.
 */
static void
lmtpd_flush(struct lmtpd *l)
{
	GPtrArray *batch = l->pending;
	GError *error = NULL;
	bool lost = false;
	guint k;
	unsigned i;

	l->pending = g_ptr_array_new();
	alarm((unsigned)l->conf->time_limit);
	if (batch->len == 1)
		lost = true;	/* one message needs no batch */
	else if (deliver_batch_begin(&l->deliver, &error) < 0) {
		/* the store is busy or broken: each alone would wait again */
		char *line;
		int status = deliver_error(error, &line);

		for (k = 0; k < batch->len; k++) {
			struct lmtpd_pending *p = g_ptr_array_index(batch, k);

			lmtpd_replies_all(p->replies, p->rcpts, p->n_rcpt,
			    status, line);
		}
		g_free(line);
		goto answer;
	}
	for (k = 0; k < batch->len && !lost; k++) {
		lmtpd_deliver_each(l, g_ptr_array_index(batch, k));
		lost = deliver_batch_is_broken(&l->deliver);
	}
	if (!lost && deliver_batch_commit(&l->deliver, &error) < 0) {
		log_warn("group commit of %u messages failed: %s; delivering "
		    "them one by one", batch->len, error->message);
		g_clear_error(&error);
		lost = true;
	} else if (lost && l->deliver.in_batch)
		deliver_batch_rollback(&l->deliver);
	if (!lost)
		l->commits++;
	for (k = 0; k < batch->len && lost; k++) {
		struct lmtpd_pending *p = g_ptr_array_index(batch, k);

		for (i = 0; i < p->n_rcpt; i++) {
			if (p->passed_on[i])
				continue;
			g_free(p->replies[i]);
			p->replies[i] = NULL;
		}
		lmtpd_deliver_each(l, p);
		l->commits++;
	}
answer:
	alarm(0);
	/* completing a session may receive its next message: l->pending */
	for (k = 0; k < batch->len; k++) {
		struct lmtpd_pending *p = g_ptr_array_index(batch, k);

		lmtp_session_complete(p->session, p->replies);
		lmtpd_pending_free(p);
	}
	g_ptr_array_free(batch, TRUE);
}

/*
 * The lmtp_deliver_fn: the message in SPOOL for each recipient, as the
 * pipe would deliver it. Parsed at once; with [lmtp] group_commit_wait
 * it then waits for lmtpd_flush, else it is delivered now.
 */
static bool
lmtpd_deliver(void *ctx, struct lmtp_session *s, const char *sender,
    char *const *rcpts, unsigned n_rcpt, struct spool *spool,
    char **replies)
{
	struct lmtpd *l = ctx;
	struct lmtpd_pending *p;
	GError *error = NULL;
	char *line = NULL;
	int status;

	l->messages++;
	if (spool->too_big) {
		status = deliver_too_big(l->conf, "-", sender, &line);
		lmtpd_replies_all(replies, rcpts, n_rcpt, status, line);
		g_free(line);
		return true;
	}
	p = g_new0(struct lmtpd_pending, 1);
	p->session = s;
	p->rcpts = rcpts;
	p->n_rcpt = n_rcpt;
	p->replies = replies;
	p->passed_on = g_new0(bool, n_rcpt);
	alarm((unsigned)l->conf->time_limit);
	if (deliver_parse(&l->deliver, &p->msg, "-", sender, spool,
	    &error) < 0) {
		alarm(0);
		status = deliver_error(error, &line);
		lmtpd_replies_all(replies, rcpts, n_rcpt, status, line);
		g_free(line);
		lmtpd_pending_free(p);
		return true;
	}
	alarm(0);
	if (l->conf->lmtp_group_commit_wait == 0) {
		alarm((unsigned)l->conf->time_limit);
		lmtpd_deliver_each(l, p);
		alarm(0);
		l->commits++;
		lmtpd_pending_free(p);
		return true;
	}
	if (l->pending->len == 0)
		l->pending_since = g_get_monotonic_time();
	g_ptr_array_add(l->pending, p);
	return false;
}

/*
 * Commit the waiting messages when the first has waited long enough, or
 * when no other connection is inside a transaction (MAIL sent, the
 * message not yet ended: one that would soon add a message; an idle
 * connection postfix keeps cached must not delay anyone), or on
 * shutdown. Returns the microseconds still to wait, or -1.
 */
static gint64
lmtpd_maybe_flush(struct lmtpd *l, gint64 now)
{
	gint64 left;
	guint i, busy = 0;

	if (l->pending->len == 0)
		return -1;
	for (i = 0; i < l->conns->len; i++) {
		struct lmtpd_conn *c = g_ptr_array_index(l->conns, i);

		busy += !lmtp_session_is_waiting(c->session) &&
		    !lmtp_session_is_done(c->session) &&
		    lmtp_session_in_transaction(c->session);
	}
	left = l->pending_since +
	    (gint64)l->conf->lmtp_group_commit_wait * 1000 - now;
	if (left > 0 && busy > 0 && !lmtpd_stop)
		return left;
	lmtpd_flush(l);
	return -1;
}

/* Set FD non-blocking and close-on-exec; 0 or -1 (errno). */
static int
lmtpd_fd_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int
lmtpd_listen_unix(struct lmtpd *l, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("listen(unix:%s) failed: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* a socket left by a killed service; anything else stays */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && unlink(path) < 0) {
		log_err("unlink(%s) failed: %s", path, g_strerror(errno));
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0) {
		log_err("socket(unix) failed: %s", g_strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, 128) < 0) {
		log_err("listen(unix:%s) failed: %s", path, g_strerror(errno));
		close(fd);
		return -1;
	}
	l->unix_path = g_strdup(path);
	return fd;
}

static int
lmtpd_listen_inet(const char *spec)
{
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char *host;
	int fd = -1, on = 1, rc;

	if (colon == NULL) {
		log_err("listen(inet:%s) failed: HOST:PORT expected", spec);
		return -1;
	}
	host = g_strndup(spec, (gsize)(colon - spec));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		log_err("getaddrinfo(%s) failed: %s", spec, gai_strerror(rc));
		g_free(host);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == 0 && bind(fd, ai->ai_addr,
		    ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		log_err("listen(inet:%s) failed: %s", spec, g_strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	g_free(host);
	return fd;
}

/* The socket systemd passed (sd_listen_fds(3)), or -1. */
static int
lmtpd_listen_systemd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	if (pid == NULL || fds == NULL ||
	    g_ascii_strtoll(pid, NULL, 10) != (gint64)getpid() ||
	    g_ascii_strtoll(fds, NULL, 10) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return SD_LISTEN_FDS_START;
}

static void
lmtpd_conn_close(struct lmtpd *l, guint i)
{
	struct lmtpd_conn *c = g_ptr_array_index(l->conns, i);

	if (lmtp_session_in_data(c->session))
		log_warn("LMTP client went away inside a message; not "
		    "answered, so it is sent again");
	close(c->fd);
	lmtp_session_free(c->session);
	g_free(c);
	g_ptr_array_remove_index(l->conns, i);
}

static void
lmtpd_accept(struct lmtpd *l)
{
	static const char busy[] =
	    "421 4.3.2 too many connections, try again later\r\n";
	struct lmtp_params params = { l->hostname, l->conf->max_message_size,
	    NULL };
	struct lmtpd_conn *c;
	int fd = accept(l->listen_fd, NULL, NULL);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept() failed: %s", g_strerror(errno));
		return;
	}
	if (lmtpd_fd_flags(fd) < 0) {
		log_warn("fcntl() failed: %s", g_strerror(errno));
		close(fd);
		return;
	}
	if (l->conns->len >= (guint)l->conf->lmtp_max_connections) {
		ssize_t ignored = write(fd, busy, sizeof(busy) - 1);

		(void)ignored;
		log_warn("connection refused: [lmtp] max_connections = %d "
		    "reached", l->conf->lmtp_max_connections);
		close(fd);
		return;
	}
	c = g_new0(struct lmtpd_conn, 1);
	c->fd = fd;
	c->last = g_get_monotonic_time();
	c->session = lmtp_session_new(&params, lmtpd_deliver, l);
	lmtp_session_greet(c->session);
	g_ptr_array_add(l->conns, c);
}

/* Read what the client sent; false when the connection is to go. */
static bool
lmtpd_conn_read(struct lmtpd_conn *c, char *buf)
{
	ssize_t n = read(c->fd, buf, LMTPD_READ_SIZE);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR;
	if (n == 0)
		return false;
	c->last = g_get_monotonic_time();
	lmtp_session_input(c->session, buf, (size_t)n);
	return true;
}

/* Write the pending replies; false when the connection is to go. */
static bool
lmtpd_conn_write(struct lmtpd_conn *c)
{
	GString *out = lmtp_session_output(c->session);

	while (out->len > 0) {
		ssize_t n = write(c->fd, out->str, out->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		g_string_erase(out, 0, n);
	}
	return !lmtp_session_is_done(c->session);
}

static void
lmtpd_stop_listening(struct lmtpd *l)
{
	guint i;

	if (l->listen_fd >= 0) {
		close(l->listen_fd);
		l->listen_fd = -1;
		if (l->unix_path != NULL && unlink(l->unix_path) < 0)
			log_warn("unlink(%s) failed: %s", l->unix_path,
			    g_strerror(errno));
	}
	for (i = 0; i < l->conns->len; i++) {
		struct lmtpd_conn *c = g_ptr_array_index(l->conns, i);

		lmtp_session_shutdown(c->session);
	}
}

static int
lmtpd_run(struct lmtpd *l)
{
	GArray *pfds = g_array_new(FALSE, TRUE, sizeof(struct pollfd));
	char *buf = g_malloc(LMTPD_READ_SIZE);
	gint64 limit = (gint64)l->conf->lmtp_command_time_limit * G_USEC_PER_SEC;
	sigset_t none;
	guint i;

	sigemptyset(&none);
	for (;;) {
		gint64 now = g_get_monotonic_time(), wait = -1;
		struct timespec ts, *tsp = NULL;
		guint base;

		if (lmtpd_stop && l->listen_fd >= 0) {
			log_info("SIGTERM: refusing new connections; %u open "
			    "finish their transactions", l->conns->len);
			lmtpd_stop_listening(l);
		}
		wait = lmtpd_maybe_flush(l, now);
		if (l->listen_fd < 0 && l->conns->len == 0)
			break;
		g_array_set_size(pfds, 0);
		if (l->listen_fd >= 0) {
			struct pollfd p = { l->listen_fd, POLLIN, 0 };

			g_array_append_val(pfds, p);
		}
		base = pfds->len;
		for (i = 0; i < l->conns->len; i++) {
			struct lmtpd_conn *c = g_ptr_array_index(l->conns, i);
			GString *out = lmtp_session_output(c->session);
			struct pollfd p = { c->fd, 0, 0 };
			gint64 left = c->last + limit - now;

			if (!lmtp_session_is_done(c->session) &&
			    !lmtp_session_is_waiting(c->session) &&
			    out->len < LMTPD_OUT_MAX)
				p.events |= POLLIN;
			if (out->len > 0)
				p.events |= POLLOUT;
			/* a session that waits for the commit stays as it is */
			if (p.events == 0)
				p.fd = -1;
			g_array_append_val(pfds, p);
			if (p.fd < 0)
				continue;
			if (left < 0)
				left = 0;
			if (wait < 0 || left < wait)
				wait = left;
		}
		if (wait >= 0) {
			ts.tv_sec = wait / G_USEC_PER_SEC;
			ts.tv_nsec = (wait % G_USEC_PER_SEC) * 1000;
			tsp = &ts;
		}
		/* SIGTERM is blocked but here: no wake-up is lost */
		if (ppoll((struct pollfd *)(void *)pfds->data, pfds->len, tsp,
		    &none) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll() failed: %s", g_strerror(errno));
			g_array_free(pfds, TRUE);
			g_free(buf);
			return -1;
		}
		now = g_get_monotonic_time();
		/* connections first, by index from the end: closing shifts */
		for (i = l->conns->len; i-- > 0;) {
			struct lmtpd_conn *c = g_ptr_array_index(l->conns, i);
			struct pollfd *p = &g_array_index(pfds, struct pollfd,
			    base + i);
			bool keep = true;

			if (lmtp_session_is_waiting(c->session))
				continue;
			if (p->revents & (POLLIN | POLLHUP | POLLERR))
				keep = lmtpd_conn_read(c, buf);
			if (keep && lmtpd_stop)
				lmtp_session_shutdown(c->session);
			if (keep && now - c->last >= limit)
				lmtp_session_timeout(c->session);
			/* write at once: the replies need no POLLOUT round */
			if (keep)
				keep = lmtpd_conn_write(c);
			/* a client that reads no replies either: let it go */
			if (keep && lmtp_session_is_done(c->session) &&
			    now - c->last >= 2 * limit)
				keep = false;
			if (!keep)
				lmtpd_conn_close(l, i);
		}
		if (l->listen_fd >= 0 && base > 0 &&
		    (g_array_index(pfds, struct pollfd, 0).revents & POLLIN))
			lmtpd_accept(l);
	}
	g_array_free(pfds, TRUE);
	g_free(buf);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: deskgate-lmtpd [-c CONF] [-v] "
	    "-l unix:PATH|inet:HOST:PORT\n");
}

int
main(int argc, char **argv)
{
	const char *conf_path = DESK_DEFAULT_CONFIG, *listen_spec = NULL;
	struct lmtpd l = { 0 };
	struct sigaction sa = { 0 };
	sigset_t term;
	GError *error = NULL;
	bool verbose = false, gmime_up = false;
	int ch, status = EXIT_FAILURE;

	umask(077);
	while ((ch = getopt(argc, argv, "c:l:v")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'l':
			listen_spec = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
			return EXIT_FAILURE;
		}
	}
	l.listen_fd = -1;
	l.conns = g_ptr_array_new();
	l.pending = g_ptr_array_new();
	if ((l.conf = conf_load(conf_path, &error)) == NULL) {
		fprintf(stderr, "deskgate-lmtpd: %s\n", error->message);
		g_error_free(error);
		deliver_init(&l.deliver, NULL);
		goto out;
	}
	log_open("deskgate-lmtpd", l.conf->log_target);
	log_set_verbose(verbose);
	deliver_init(&l.deliver, l.conf);
	mail_init();
	gmime_up = true;
	if (deliver_load_rules(&l.deliver, &error) < 0) {
		log_err("configuration: %s", error->message);
		fprintf(stderr, "deskgate-lmtpd: %s\n", error->message);
		g_error_free(error);
		goto out;
	}
	/* compiled once here, matched for every message: JIT pays */
	log_debug("%u rule patterns JIT-compiled",
	    intake_jit_rules(&l.deliver.in));
	/* the store now, to say early what is wrong; a message retries it */
	if (deliver_open_store(&l.deliver, &error) < 0) {
		log_warn("the store: %s; opened again for each message",
		    error->message);
		g_clear_error(&error);
	}

	sa.sa_handler = lmtpd_on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    /* over RLIMIT_FSIZE a write fails and that message gets 451 */
	    signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
	    signal(SIGALRM, lmtpd_timeout) == SIG_ERR) {
		log_err("sigaction() failed: %s", g_strerror(errno));
		goto out;
	}
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	if (sigprocmask(SIG_BLOCK, &term, NULL) < 0) {
		log_err("sigprocmask() failed: %s", g_strerror(errno));
		goto out;
	}

	if ((l.listen_fd = lmtpd_listen_systemd()) >= 0)
		listen_spec = "systemd";
	else if (listen_spec == NULL) {
		usage();
		goto out;
	} else if (strncmp(listen_spec, "unix:", 5) == 0)
		l.listen_fd = lmtpd_listen_unix(&l, listen_spec + 5);
	else if (strncmp(listen_spec, "inet:", 5) == 0)
		l.listen_fd = lmtpd_listen_inet(listen_spec + 5);
	else {
		usage();
		goto out;
	}
	if (l.listen_fd < 0) {
		fprintf(stderr, "deskgate-lmtpd: cannot listen on %s (see the "
		    "log)\n", listen_spec);
		goto out;
	}
	if (lmtpd_fd_flags(l.listen_fd) < 0) {
		log_err("fcntl() failed: %s", g_strerror(errno));
		goto out;
	}
	if (getuid() == 0)
		log_warn("running as root; run it as a dedicated user");
	l.hostname = g_strdup(g_get_host_name());
	log_info("listening on %s, max_connections=%d", listen_spec,
	    l.conf->lmtp_max_connections);
	if (lmtpd_run(&l) == 0)
		status = EXIT_SUCCESS;
	log_info("stopped after %lu messages in %lu commits", l.messages,
	    l.commits);
out:
	/* only an error ends the loop with messages waiting: not answered */
	while (l.pending->len > 0) {
		struct lmtpd_pending *p = g_ptr_array_steal_index(l.pending, 0);
		unsigned i;

		for (i = 0; i < p->n_rcpt; i++)
			g_free(p->replies[i]);
		g_free(p->replies);
		lmtpd_pending_free(p);
	}
	g_ptr_array_free(l.pending, TRUE);
	while (l.conns->len > 0)
		lmtpd_conn_close(&l, l.conns->len - 1);
	g_ptr_array_free(l.conns, TRUE);
	if (l.listen_fd >= 0) {
		close(l.listen_fd);
		if (l.unix_path != NULL)
			(void)unlink(l.unix_path);
	}
	g_free(l.unix_path);
	g_free(l.hostname);
	deliver_deinit(&l.deliver);
	conf_free(l.conf);
	if (gmime_up)
		mail_shutdown();
	log_close();
	return status;
}
