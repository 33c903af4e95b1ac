/*
 * test-smtp.c - unit tests of smtp-send.c and outbox.c against a scripted
 * SMTP peer on 127.0.0.1 (a thread of this program): the commands sent,
 * the message received (dot-stuffing undone), the classification of
 * replies (5xx PERM, 4xx and broken connections TEMP), and the outbox
 * runner end to end with a temporary store.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <sqlite3.h>

#include "conf.h"
#include "error.h"
#include "outbox.h"
#include "smtp-send.h"
#include "store.h"
#include "test-util.h"

#define SECRET_HEX \
	"000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f"

/* ---- the scripted peer ---- */

/* The reply to a recipient whose RCPT line contains MATCH. */
struct peer_rule {
	const char *match;
	const char *rcpt;	/* NULL: the script's rcpt reply */
	const char *dot;	/* NULL: the script's dot reply */
};

/*
 * What the peer answers; NULL means the usual positive reply. A reply
 * "CLOSE" closes the connection instead of answering, "SLEEP" waits
 * three seconds and then closes. Multi-line replies are written with
 * "\r\n" between their lines.
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

struct reader {
	int fd;
	char buf[4096];
	size_t len;
};

/* One line without its CRLF, or NULL at the end. (transfer full) */
static GString *
reader_line(struct reader *r)
{
	GString *line = g_string_new(NULL);

	for (;;) {
		char *nl = memchr(r->buf, '\n', r->len);
		ssize_t n;

		if (nl != NULL) {
			size_t take = nl - r->buf + 1;

			g_string_append_len(line, r->buf, take);
			memmove(r->buf, r->buf + take, r->len - take);
			r->len -= take;
			g_string_truncate(line, line->len - 1);
			if (line->len > 0 && line->str[line->len - 1] == '\r')
				g_string_truncate(line, line->len - 1);
			return line;
		}
		g_string_append_len(line, r->buf, r->len);
		r->len = 0;
		n = recv(r->fd, r->buf, sizeof(r->buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_string_free(line, TRUE);
			return NULL;
		}
		r->len = (size_t)n;
	}
}

/* Answer TEXT (default DEFAULT); false when the connection is to end. */
static bool
peer_reply(int fd, const char *text, const char *fallback)
{
	char *line;
	ssize_t n;

	if (text == NULL)
		text = fallback;
	if (strcmp(text, "CLOSE") == 0)
		return false;
	if (strcmp(text, "SLEEP") == 0) {
		g_usleep(3 * G_USEC_PER_SEC);
		return false;
	}
	line = g_strdup_printf("%s\r\n", text);
	n = send(fd, line, strlen(line), MSG_NOSIGNAL);
	g_free(line);
	return n >= 0;
}

static const struct peer_rule *
peer_rule_for(const struct peer_script *s, const char *line)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(s->rules); i++)
		if (s->rules[i].match != NULL &&
		    strstr(line, s->rules[i].match) != NULL)
			return &s->rules[i];
	return NULL;
}

static void
peer_session(struct peer *p, int fd)
{
	const struct peer_script *s = p->script;
	struct reader r = { .fd = fd };
	const struct peer_rule *rule = NULL;
	GString *line;

	if (!peer_reply(fd, s->greeting, "220 peer.example ESMTP test"))
		return;
	while ((line = reader_line(&r)) != NULL) {
		char verb[5] = "";
		bool go_on = true;

		g_string_append_printf(p->log, "%s\n", line->str);
		strncpy(verb, line->str, 4);
		if (g_ascii_strcasecmp(verb, "EHLO") == 0)
			go_on = peer_reply(fd, s->ehlo,
			    "250-peer.example\r\n250-PIPELINING\r\n"
			    "250 8BITMIME");
		else if (g_ascii_strcasecmp(verb, "HELO") == 0)
			go_on = peer_reply(fd, s->helo, "250 peer.example");
		else if (g_ascii_strcasecmp(verb, "MAIL") == 0) {
			rule = NULL;
			go_on = peer_reply(fd, s->mail, "250 2.1.0 Ok");
		} else if (g_ascii_strcasecmp(verb, "RCPT") == 0) {
			const struct peer_rule *ru = peer_rule_for(s,
			    line->str);

			if (ru != NULL)
				rule = ru;
			go_on = peer_reply(fd, ru && ru->rcpt ? ru->rcpt :
			    s->rcpt, "250 2.1.5 Ok");
		} else if (g_ascii_strcasecmp(verb, "DATA") == 0) {
			const char *answer = s->data ? s->data :
			    "354 End data with <CR><LF>.<CR><LF>";
			GString *msg = g_string_new(NULL);
			GString *l;

			go_on = peer_reply(fd, answer, answer);
			if (go_on && g_str_has_prefix(answer, "354")) {
				while ((l = reader_line(&r)) != NULL &&
				    strcmp(l->str, ".") != 0) {
					/* undo dot-stuffing */
					g_string_append(msg, l->str[0] == '.' ?
					    l->str + 1 : l->str);
					g_string_append(msg, "\r\n");
					g_string_free(l, TRUE);
				}
				if (l != NULL)
					g_string_free(l, TRUE);
				g_ptr_array_add(p->messages,
				    g_string_free_to_bytes(msg));
				msg = NULL;
				go_on = peer_reply(fd, rule && rule->dot ?
				    rule->dot : s->dot, "250 2.0.0 Ok: queued");
			}
			if (msg != NULL)
				g_string_free(msg, TRUE);
		} else if (g_ascii_strcasecmp(verb, "RSET") == 0)
			go_on = peer_reply(fd, NULL, "250 2.0.0 Ok");
		else if (g_ascii_strcasecmp(verb, "QUIT") == 0) {
			peer_reply(fd, NULL, "221 2.0.0 Bye");
			go_on = false;
		} else
			go_on = peer_reply(fd, NULL, "502 5.5.2 unknown");
		g_string_free(line, TRUE);
		if (!go_on)
			break;
	}
}

static gpointer
peer_thread(gpointer data)
{
	struct peer *p = data;

	while (!g_atomic_int_get(&p->stop)) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
		struct timeval tv = { .tv_sec = 10 };
		int fd;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		fd = accept(p->fd, NULL, NULL);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		p->sessions++;
		peer_session(p, fd);
		close(fd);
	}
	return NULL;
}

/* A listening socket on 127.0.0.1 and a free port. */
static int
listen_local(int *port_r)
{
	struct sockaddr_in sin = { 0 };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	g_assert_cmpint(fd, >=, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
	g_assert_cmpint(listen(fd, 8), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sin, &len), ==, 0);
	*port_r = ntohs(sin.sin_port);
	return fd;
}

/* A port where nothing listens (it did a moment ago). */
static int
dead_port(void)
{
	int port, fd = listen_local(&port);

	close(fd);
	return port;
}

static struct peer *
peer_start(const struct peer_script *script)
{
	struct peer *p = g_new0(struct peer, 1);

	p->script = script;
	p->fd = listen_local(&p->port);
	p->log = g_string_new(NULL);
	p->messages = g_ptr_array_new_with_free_func(
	    (GDestroyNotify)g_bytes_unref);
	p->thread = g_thread_new("smtp-peer", peer_thread, p);
	return p;
}

/* Stop the peer; after this its log and messages may be read. */
static void
peer_stop(struct peer *p)
{
	if (p->thread == NULL)
		return;
	g_atomic_int_set(&p->stop, 1);
	g_thread_join(p->thread);
	p->thread = NULL;
	close(p->fd);
}

static void
peer_free(struct peer *p)
{
	peer_stop(p);
	g_string_free(p->log, TRUE);
	g_ptr_array_unref(p->messages);
	g_free(p);
}

/* The command lines the peer received. (transfer full) */
static char **
peer_lines(struct peer *p)
{
	return g_strsplit(p->log->str, "\n", -1);
}

static int
count_prefix(char **lines, const char *prefix)
{
	int i, n = 0;

	for (i = 0; lines[i] != NULL; i++)
		n += g_str_has_prefix(lines[i], prefix);
	return n;
}

/*
 * A message with lines that need dot-stuffing. It ends with CRLF, as
 * every notice does: the relay must receive exactly these bytes, with
 * no empty line added before the final dot.
 */
static const char message1[] =
	"From: Help Desk <support@desk.example>\r\n"
	"To: kunde@example.com\r\n"
	"Subject: test\r\n"
	"\r\n"
	"first line\r\n"
	".a line starting with a dot\r\n"
	"..two dots\r\n"
	".\r\n"
	"after a lone dot\r\n";

static struct smtp_client *
open_ok(struct peer *p)
{
	GError *error = NULL;
	struct smtp_client *c = smtp_open("127.0.0.1", p->port, 5, &error);

	g_assert_no_error(error);
	g_assert_nonnull(c);
	g_clear_error(&error);
	return c;
}

static void
test_session(void)
{
	static const struct peer_script script = { 0 };
	struct peer *p = peer_start(&script);
	struct smtp_client *c = open_ok(p);
	static const char message2[] = "Subject: 2\r\n\r\nsecond\r\n";
	GError *error = NULL;
	char **lines;

	if (c == NULL)
		goto out;
	g_assert_cmpint(smtp_send(c, "support@desk.example",
	    "kunde@example.com", message1, sizeof(message1) - 1, &error), ==,
	    0);
	g_assert_no_error(error);
	g_assert_false(smtp_is_broken(c));
	/* a second message on the same connection, from the null sender */
	g_assert_cmpint(smtp_send(c, "", "other@example.com", message2,
	    sizeof(message2) - 1, &error), ==, 0);
	g_assert_no_error(error);
	smtp_close(c);
	peer_stop(p);

	lines = peer_lines(p);
	g_assert_cmpuint(g_strv_length(lines), ==, 9);
	if (g_strv_length(lines) == 9) {
		g_assert_true(g_str_has_prefix(lines[0], "EHLO "));
		g_assert_cmpstr(lines[1], ==,
		    "MAIL FROM:<support@desk.example>");
		g_assert_cmpstr(lines[2], ==, "RCPT TO:<kunde@example.com>");
		g_assert_cmpstr(lines[3], ==, "DATA");
		g_assert_cmpstr(lines[4], ==, "MAIL FROM:<>");
		g_assert_cmpstr(lines[5], ==, "RCPT TO:<other@example.com>");
		g_assert_cmpstr(lines[6], ==, "DATA");
		g_assert_cmpstr(lines[7], ==, "QUIT");
		g_assert_cmpstr(lines[8], ==, "");
	}
	g_strfreev(lines);
	g_assert_cmpint(p->sessions, ==, 1);
	g_assert_cmpuint(p->messages->len, ==, 2);
	if (p->messages->len == 2) {
		GBytes *m = g_ptr_array_index(p->messages, 0);

		g_assert_cmpmem(g_bytes_get_data(m, NULL), g_bytes_get_size(m),
		    message1, sizeof(message1) - 1);
	}
out:
	peer_free(p);
}

/* Send MESSAGE1 to RCPT through a peer running SCRIPT. */
static void
expect_send_error(const struct peer_script *script, const char *rcpt,
    int code, const char *text, bool broken)
{
	struct peer *p = peer_start(script);
	struct smtp_client *c = open_ok(p);
	GError *error = NULL;

	if (c == NULL)
		goto out;
	g_assert_cmpint(smtp_send(c, "support@desk.example", rcpt, message1,
	    sizeof(message1) - 1, &error), ==, -1);
	g_assert_error(error, DESK_ERROR, code);
	if (error != NULL) {
		g_test_message("error: %s", error->message);
		if (text != NULL)
			test_check_contains(error->message, text);
	}
	g_clear_error(&error);
	g_assert_cmpint(smtp_is_broken(c), ==, broken);
	if (!broken) {
		/* the session was reset and still works */
		g_assert_cmpint(smtp_send(c, "support@desk.example",
		    "good@example.com", message1, sizeof(message1) - 1,
		    &error), ==, 0);
		g_assert_no_error(error);
		g_clear_error(&error);
	}
	smtp_close(c);
	peer_stop(p);
	if (!broken) {
		char **lines = peer_lines(p);

		g_assert_cmpint(count_prefix(lines, "RSET"), ==, 1);
		g_assert_cmpint(count_prefix(lines, "QUIT"), ==, 1);
		/* the good message arrived (and the refused one when it
		 * was refused only at the end of DATA) */
		g_assert_cmpuint(p->messages->len, >=, 1);
		g_strfreev(lines);
	}
out:
	peer_free(p);
}

static void
test_rcpt_550(void)
{
	static const struct peer_script script = {
		.rules = { { "nobody", "550 5.1.1 <nobody@example.com>: "
		    "Recipient address rejected", NULL } },
	};

	expect_send_error(&script, "nobody@example.com", DESK_ERROR_PERM,
	    "550", false);
}

static void
test_rcpt_451(void)
{
	static const struct peer_script script = {
		.rules = { { "later", "451 4.3.0 try again later", NULL } },
	};

	expect_send_error(&script, "later@example.com", DESK_ERROR_TEMP,
	    "451", false);
}

static void
test_rcpt_450(void)
{
	static const struct peer_script script = {
		.rules = { { "grey", "450 4.2.0 greylisted", NULL } },
	};

	expect_send_error(&script, "grey@example.com", DESK_ERROR_TEMP,
	    "450", false);
}

static void
test_mail_550(void)
{
	static const struct peer_script script = {
		.mail = "550 5.7.1 sender refused",
	};
	struct peer *p = peer_start(&script);
	struct smtp_client *c = open_ok(p);
	GError *error = NULL;

	if (c != NULL) {
		g_assert_cmpint(smtp_send(c, "support@desk.example",
		    "kunde@example.com", message1, sizeof(message1) - 1,
		    &error), ==, -1);
		g_assert_error(error, DESK_ERROR, DESK_ERROR_PERM);
		g_clear_error(&error);
		g_assert_false(smtp_is_broken(c));
		smtp_close(c);
	}
	peer_free(p);
}

static void
test_dot_452(void)
{
	static const struct peer_script script = {
		.rules = { { "full", NULL, "452 4.3.1 insufficient storage" } },
	};

	expect_send_error(&script, "full@example.com", DESK_ERROR_TEMP,
	    "452", false);
}

static void
test_dot_554(void)
{
	static const struct peer_script script = {
		.rules = { { "spam", NULL, "554 5.7.1 rejected as spam" } },
	};

	expect_send_error(&script, "spam@example.com", DESK_ERROR_PERM,
	    "554", false);
}

static void
test_closed_at_mail(void)
{
	static const struct peer_script script = { .mail = "CLOSE" };

	expect_send_error(&script, "kunde@example.com", DESK_ERROR_TEMP,
	    NULL, true);
}

static void
test_closed_at_rcpt(void)
{
	static const struct peer_script script = { .rcpt = "CLOSE" };

	expect_send_error(&script, "kunde@example.com", DESK_ERROR_TEMP,
	    NULL, true);
}

static void
test_closed_in_data(void)
{
	static const struct peer_script script = { .dot = "CLOSE" };

	expect_send_error(&script, "kunde@example.com", DESK_ERROR_TEMP,
	    NULL, true);
}

/* A relay without DSN refuses NOTIFY= with 555: send again without. */
static void
test_dsn_555(void)
{
	static const struct peer_script script = {
		.ehlo = "250-peer.example\r\n250-DSN\r\n250 8BITMIME",
		.rules = { { "NOTIFY", "555 5.5.4 unsupported parameter",
		    NULL } },
	};
	struct peer *p = peer_start(&script);
	struct smtp_client *c = open_ok(p);
	GError *error = NULL;
	char **lines;

	if (c != NULL) {
		g_assert_cmpint(smtp_send(c, "support@desk.example",
		    "kunde@example.com", message1, sizeof(message1) - 1,
		    &error), ==, 0);
		g_assert_no_error(error);
		g_clear_error(&error);
		smtp_close(c);
	}
	peer_stop(p);
	lines = peer_lines(p);
	g_assert_cmpint(count_prefix(lines, "RCPT TO:<kunde@example.com>"),
	    ==, 2);
	g_assert_cmpint(count_prefix(lines, "RCPT TO:<kunde@example.com> "
	    "NOTIFY=FAILURE"), ==, 1);
	g_assert_cmpuint(p->messages->len, ==, 1);
	g_strfreev(lines);
	peer_free(p);
}

static void
expect_open_error(const struct peer_script *script, int timeout)
{
	struct peer *p = peer_start(script);
	GError *error = NULL;
	gint64 start = g_get_monotonic_time();
	struct smtp_client *c = smtp_open("127.0.0.1", p->port, timeout,
	    &error);

	g_assert_null(c);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
	if (error != NULL)
		g_test_message("error: %s", error->message);
	g_clear_error(&error);
	g_assert_cmpint(g_get_monotonic_time() - start, <,
	    10 * G_USEC_PER_SEC);
	if (c != NULL)
		smtp_close(c);
	peer_free(p);
}

static void
test_open_refused(void)
{
	GError *error = NULL;
	struct smtp_client *c = smtp_open("127.0.0.1", dead_port(), 5,
	    &error);

	g_assert_null(c);
	g_assert_error(error, DESK_ERROR, DESK_ERROR_TEMP);
	g_clear_error(&error);
	if (c != NULL)
		smtp_close(c);
}

static void
test_open_closed_at_greeting(void)
{
	static const struct peer_script script = { .greeting = "CLOSE" };

	expect_open_error(&script, 5);
}

static void
test_open_greeting_421(void)
{
	static const struct peer_script script = {
		.greeting = "421 4.3.2 service not available",
	};

	expect_open_error(&script, 5);
}

/*
 * A relay that turns the connection away (554 at the greeting) is no
 * verdict on any message: smtp_open fails with TEMP, as smtp-send.h
 * promises, so that the outbox keeps its mail for a later try.
 */
static void
test_open_greeting_554(void)
{
	static const struct peer_script script = {
		.greeting = "554 5.3.2 no SMTP service here",
	};

	expect_open_error(&script, 5);
}

static void
test_open_timeout(void)
{
	static const struct peer_script script = { .greeting = "SLEEP" };

	expect_open_error(&script, 1);
}

/*
 * "EHLO, else HELO": a server without ESMTP answers EHLO with 500 or
 * 502 (RFC 5321 4.1.4), and the client then greets with HELO.
 */
static void
test_open_helo_fallback(void)
{
	static const struct peer_script script = {
		.ehlo = "502 5.5.2 Error: command not recognized",
	};
	struct peer *p = peer_start(&script);
	GError *error = NULL;
	struct smtp_client *c = smtp_open("127.0.0.1", p->port, 5, &error);
	char **lines;

	g_assert_no_error(error);
	g_assert_nonnull(c);
	g_clear_error(&error);
	if (c != NULL) {
		g_assert_cmpint(smtp_send(c, "support@desk.example",
		    "kunde@example.com", message1, sizeof(message1) - 1,
		    &error), ==, 0);
		g_assert_no_error(error);
		g_clear_error(&error);
		smtp_close(c);
	}
	peer_stop(p);
	lines = peer_lines(p);
	g_assert_cmpint(count_prefix(lines, "HELO "), ==, 1);
	g_strfreev(lines);
	peer_free(p);
}

/* ---- the outbox runner ---- */

struct fx {
	char *dir;
	char *store_path;
	struct store *store;
	struct desk_conf *conf;
	struct peer *peer;
	int64_t now;
};

static struct desk_conf *
fx_conf(struct fx *f, int port)
{
	char *text = g_strdup_printf("[desk]\n"
	    "address = support@desk.example\nsecret = " SECRET_HEX "\n"
	    "[store]\npath = %s\n"
	    "[relay]\nhost = 127.0.0.1\nport = %d\ntimeout = 5\n"
	    "retry_first = 60\nretry_max = 3600\ngive_up = 86400\n",
	    f->store_path, port);
	struct desk_conf *conf = test_conf_load(f->dir, text);

	g_free(text);
	return conf;
}

/* Start the peer with SCRIPT (NULL: a port where nobody listens). */
static void
fx_relay(struct fx *f, const struct peer_script *script)
{
	if (script != NULL)
		f->peer = peer_start(script);
	conf_free(f->conf);
	f->conf = fx_conf(f, script ? f->peer->port : dead_port());
}

static void
fx_setup(struct fx *f, gconstpointer data)
{
	f->dir = test_tmpdir_new("test-smtp-XXXXXX");
	f->store_path = g_build_filename(f->dir, "desk.db", NULL);
	f->store = test_store_new(f->store_path, 2000);
	/* items are due from their insertion; run a little later */
	f->now = (int64_t)time(NULL) + 10;
}

static void
fx_teardown(struct fx *f, gconstpointer data)
{
	if (f->peer != NULL)
		peer_free(f->peer);
	conf_free(f->conf);
	store_close(f->store);
	test_tmpdir_remove(f->dir, NULL);
	g_free(f->store_path);
	g_free(f->dir);
}

static int64_t
queue(struct fx *f, const char *rcpt)
{
	static int serial;
	struct outbox_new o = { 0 };
	char *id = g_strdup_printf("n%d.%d@desk.example", ++serial,
	    (int)getpid());
	char *raw = g_strdup_printf("From: support@desk.example\r\n"
	    "To: %s\r\nSubject: notice\r\nMessage-ID: <%s>\r\n\r\n"
	    "body line\r\n.dot line\r\n", rcpt, id);
	GBytes *bytes = g_bytes_new_take(raw, strlen(raw));
	GError *error = NULL;
	int64_t row;

	o.kind = "ack";
	o.env_from = "support+1-0123456789abcdef@desk.example";
	o.rcpt = rcpt;
	o.subject = "notice";
	o.message_id = id;
	o.text = "body line\n";
	o.raw = bytes;
	row = store_outbox_add(f->store, &o, &error);
	g_assert_no_error(error);
	g_assert_cmpint(row, >, 0);
	g_bytes_unref(bytes);
	g_free(id);
	return row;
}

static struct outbox_item *
item(struct fx *f, int64_t id)
{
	GPtrArray *list = store_outbox_list(f->store, NULL);
	struct outbox_item *found = NULL;
	guint i;

	for (i = 0; list != NULL && i < list->len; i++)
		if (((struct outbox_item *)g_ptr_array_index(list, i))->id ==
		    id)
			found = g_ptr_array_steal_index(list, i);
	if (list != NULL)
		g_ptr_array_unref(list);
	if (found == NULL)
		g_test_fail_printf("no outbox item %" G_GINT64_FORMAT,
		    (gint64)id);
	return found;
}

static void
check_item(struct fx *f, int64_t id, const char *status, int attempts,
    int64_t next_attempt, const char *error_text)
{
	struct outbox_item *o = item(f, id);

	if (o == NULL)
		return;
	g_assert_cmpstr(o->status, ==, status);
	g_assert_cmpint(o->attempts, ==, attempts);
	if (next_attempt > 0)
		g_assert_cmpint(o->next_attempt, ==, next_attempt);
	if (error_text != NULL)
		test_check_contains(o->last_error, error_text);
	outbox_item_free(o);
}

static void
run(struct fx *f, int64_t now, struct outbox_report *report)
{
	GError *error = NULL;

	memset(report, 0xff, sizeof(*report));
	g_assert_cmpint(outbox_run(f->conf, f->store, now, report, &error),
	    ==, 0);
	g_assert_no_error(error);
	g_clear_error(&error);
	g_test_message("sent %d deferred %d failed %d busy %d", report->sent,
	    report->deferred, report->failed, report->busy);
}

static void
check_report(const struct outbox_report *r, int sent, int deferred,
    int failed)
{
	g_assert_cmpint(r->sent, ==, sent);
	g_assert_cmpint(r->deferred, ==, deferred);
	g_assert_cmpint(r->failed, ==, failed);
	g_assert_false(r->busy);
}

static void
test_run_sent(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = { 0 };
	struct outbox_report r;
	int64_t a, b;
	char **lines;

	fx_relay(f, &script);
	a = queue(f, "a@example.com");
	b = queue(f, "b@example.com");
	run(f, f->now, &r);
	check_report(&r, 2, 0, 0);
	check_item(f, a, "sent", 1, 0, NULL);
	check_item(f, b, "sent", 1, 0, NULL);
	peer_stop(f->peer);
	/* one session for both */
	g_assert_cmpint(f->peer->sessions, ==, 1);
	g_assert_cmpuint(f->peer->messages->len, ==, 2);
	lines = peer_lines(f->peer);
	g_assert_cmpint(count_prefix(lines, "EHLO"), ==, 1);
	g_assert_cmpint(count_prefix(lines,
	    "MAIL FROM:<support+1-0123456789abcdef@desk.example>"), ==, 2);
	g_assert_cmpint(count_prefix(lines, "RCPT TO:<a@example.com>"), ==, 1);
	g_assert_cmpint(count_prefix(lines, "RCPT TO:<b@example.com>"), ==, 1);
	g_assert_cmpint(count_prefix(lines, "QUIT"), ==, 1);
	g_strfreev(lines);
	if (f->peer->messages->len == 2) {
		GBytes *m = g_ptr_array_index(f->peer->messages, 0);
		char *text = g_strndup(g_bytes_get_data(m, NULL),
		    g_bytes_get_size(m));

		test_check_contains(text, "To: a@example.com\r\n");
		test_check_contains(text, "\r\n\r\nbody line\r\n.dot line\r\n");
		g_free(text);
	}
	/* nothing is due any more: a second run sends nothing */
	run(f, f->now + 1, &r);
	check_report(&r, 0, 0, 0);
}

static void
test_run_deferred(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.rules = { { "temp", "451 4.3.0 try later", NULL } },
	};
	struct outbox_report r;
	int64_t a;

	fx_relay(f, &script);
	a = queue(f, "temp@example.com");
	run(f, f->now, &r);
	check_report(&r, 0, 1, 0);
	check_item(f, a, "queued", 1, f->now + 60, "451");
	/* not due before its time */
	run(f, f->now + 59, &r);
	check_report(&r, 0, 0, 0);
	check_item(f, a, "queued", 1, f->now + 60, NULL);
	/* the second failure waits twice as long */
	run(f, f->now + 60, &r);
	check_report(&r, 0, 1, 0);
	check_item(f, a, "queued", 2, f->now + 60 + 120, "451");
	run(f, f->now + 180, &r);
	check_item(f, a, "queued", 3, f->now + 180 + 240, NULL);
}

static void
test_run_failed(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.rules = { { "perm", "550 5.1.1 no such user", NULL } },
	};
	struct outbox_report r;
	int64_t a;

	fx_relay(f, &script);
	a = queue(f, "perm@example.com");
	run(f, f->now, &r);
	check_report(&r, 0, 0, 1);
	check_item(f, a, "failed", 1, 0, "550");
	/* never tried again */
	run(f, f->now + 100000, &r);
	check_report(&r, 0, 0, 0);
}

static void
test_run_give_up(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.rules = { { "temp", "451 4.3.0 try later", NULL } },
	};
	struct outbox_report r;
	sqlite3 *db;
	char *sql;
	int64_t a, young;

	fx_relay(f, &script);
	a = queue(f, "temp@example.com");
	young = queue(f, "temp2@example.com");
	db = test_sqlite_open(f->store_path);
	sql = g_strdup_printf("UPDATE outbox SET created = %" G_GINT64_FORMAT
	    " WHERE id = %" G_GINT64_FORMAT, (gint64)(f->now - 86400 - 1),
	    (gint64)a);
	g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==,
	    SQLITE_OK);
	g_free(sql);
	sqlite3_close(db);
	run(f, f->now, &r);
	check_report(&r, 0, 1, 1);
	check_item(f, a, "failed", 1, 0, "451");
	check_item(f, young, "queued", 1, f->now + 60, NULL);
}

static void
test_run_mixed(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.rules = {
			{ "temp", "451 4.3.0 try later", NULL },
			{ "perm", "550 5.1.1 no such user", NULL },
		},
	};
	struct outbox_report r;
	int64_t ok, temp, perm, ok2;

	fx_relay(f, &script);
	ok = queue(f, "ok@example.com");
	temp = queue(f, "temp@example.com");
	perm = queue(f, "perm@example.com");
	ok2 = queue(f, "ok2@example.com");
	run(f, f->now, &r);
	check_report(&r, 2, 1, 1);
	check_item(f, ok, "sent", 1, 0, NULL);
	check_item(f, temp, "queued", 1, f->now + 60, NULL);
	check_item(f, perm, "failed", 1, 0, NULL);
	check_item(f, ok2, "sent", 1, 0, NULL);
	peer_stop(f->peer);
	g_assert_cmpint(f->peer->sessions, ==, 1);
	g_assert_cmpuint(f->peer->messages->len, ==, 2);
}

/* The connection breaks in the middle: the next item reconnects. */
static void
test_run_broken(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.rules = { { "drop", NULL, "CLOSE" } },
	};
	struct outbox_report r;
	int64_t drop, ok;

	fx_relay(f, &script);
	drop = queue(f, "drop@example.com");
	ok = queue(f, "ok@example.com");
	run(f, f->now, &r);
	check_report(&r, 1, 1, 0);
	check_item(f, drop, "queued", 1, f->now + 60, NULL);
	check_item(f, ok, "sent", 1, 0, NULL);
	peer_stop(f->peer);
	g_assert_cmpint(f->peer->sessions, ==, 2);
}

static void
test_run_relay_down(struct fx *f, gconstpointer data)
{
	struct outbox_report r;
	int64_t a, b;

	fx_relay(f, NULL);
	a = queue(f, "a@example.com");
	b = queue(f, "b@example.com");
	run(f, f->now, &r);
	check_report(&r, 0, 2, 0);
	check_item(f, a, "queued", 1, f->now + 60, NULL);
	check_item(f, b, "queued", 1, f->now + 60, NULL);
}

/* A relay that refuses the connection defers the mail; none is lost. */
static void
test_run_relay_refuses(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = {
		.greeting = "554 5.3.2 no SMTP service here",
	};
	struct outbox_report r;
	int64_t a, b;

	fx_relay(f, &script);
	a = queue(f, "a@example.com");
	b = queue(f, "b@example.com");
	run(f, f->now, &r);
	check_report(&r, 0, 2, 0);
	check_item(f, a, "queued", 1, f->now + 60, NULL);
	check_item(f, b, "queued", 1, f->now + 60, NULL);
}

static void
test_run_busy(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = { 0 };
	struct outbox_report r;
	char *lock = g_strdup_printf("%s.outbox-lock", f->store_path);
	int64_t a;
	int fd;

	fx_relay(f, &script);
	a = queue(f, "a@example.com");
	fd = open(lock, O_RDWR | O_CREAT, 0600);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(flock(fd, LOCK_EX | LOCK_NB), ==, 0);
	memset(&r, 0, sizeof(r));
	g_assert_cmpint(outbox_run(f->conf, f->store, f->now, &r, NULL), ==,
	    0);
	g_assert_true(r.busy);
	g_assert_cmpint(r.sent, ==, 0);
	check_item(f, a, "queued", 0, 0, NULL);
	/* once the other runner is done, the item goes */
	close(fd);
	run(f, f->now, &r);
	check_report(&r, 1, 0, 0);
	check_item(f, a, "sent", 1, 0, NULL);
	peer_stop(f->peer);
	g_assert_cmpint(f->peer->sessions, ==, 1);
	g_free(lock);
}

/* An item left "sending" by a dead runner waits out the lease. */
static void
test_run_lease(struct fx *f, gconstpointer data)
{
	static const struct peer_script script = { 0 };
	struct outbox_report r;
	int64_t a;

	fx_relay(f, &script);
	a = queue(f, "a@example.com");
	g_assert_cmpint(store_outbox_claim(f->store, a, f->now, NULL), ==, 0);
	run(f, f->now + 1, &r);
	check_report(&r, 0, 0, 0);
	check_item(f, a, "sending", 1, 0, NULL);
	run(f, f->now + OUTBOX_LEASE - 1, &r);
	check_report(&r, 0, 0, 0);
	run(f, f->now + OUTBOX_LEASE, &r);
	check_report(&r, 1, 0, 0);
	check_item(f, a, "sent", 2, 0, NULL);
}

static void
test_next_delay(void)
{
	g_assert_cmpint(outbox_next_delay(1, 60, 3600), ==, 60);
	g_assert_cmpint(outbox_next_delay(2, 60, 3600), ==, 120);
	g_assert_cmpint(outbox_next_delay(3, 60, 3600), ==, 240);
	g_assert_cmpint(outbox_next_delay(6, 60, 3600), ==, 1920);
	g_assert_cmpint(outbox_next_delay(7, 60, 3600), ==, 3600);
	g_assert_cmpint(outbox_next_delay(8, 60, 3600), ==, 3600);
	g_assert_cmpint(outbox_next_delay(1000000, 60, 14400), ==, 14400);
	g_assert_cmpint(outbox_next_delay(0, 60, 3600), ==, 60);
	g_assert_cmpint(outbox_next_delay(1, 7200, 3600), ==, 3600);
	g_assert_cmpint(outbox_next_delay(40, 86400, 7 * 86400), ==,
	    7 * 86400);
}

#define ADD(path, fn) \
	g_test_add(path, struct fx, NULL, fx_setup, fn, fx_teardown)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/smtp/send/session", test_session);
	g_test_add_func("/smtp/send/rcpt-550", test_rcpt_550);
	g_test_add_func("/smtp/send/rcpt-451", test_rcpt_451);
	g_test_add_func("/smtp/send/rcpt-450", test_rcpt_450);
	g_test_add_func("/smtp/send/mail-550", test_mail_550);
	g_test_add_func("/smtp/send/dot-452", test_dot_452);
	g_test_add_func("/smtp/send/dot-554", test_dot_554);
	g_test_add_func("/smtp/send/closed-at-mail", test_closed_at_mail);
	g_test_add_func("/smtp/send/closed-at-rcpt", test_closed_at_rcpt);
	g_test_add_func("/smtp/send/closed-in-data", test_closed_in_data);
	g_test_add_func("/smtp/send/dsn-555-fallback", test_dsn_555);
	g_test_add_func("/smtp/open/refused", test_open_refused);
	g_test_add_func("/smtp/open/closed-at-greeting",
	    test_open_closed_at_greeting);
	g_test_add_func("/smtp/open/greeting-421", test_open_greeting_421);
	g_test_add_func("/smtp/open/greeting-554", test_open_greeting_554);
	g_test_add_func("/smtp/open/timeout", test_open_timeout);
	g_test_add_func("/smtp/open/helo-fallback", test_open_helo_fallback);
	ADD("/outbox/run/sent", test_run_sent);
	ADD("/outbox/run/deferred", test_run_deferred);
	ADD("/outbox/run/failed", test_run_failed);
	ADD("/outbox/run/give-up", test_run_give_up);
	ADD("/outbox/run/mixed", test_run_mixed);
	ADD("/outbox/run/broken-connection", test_run_broken);
	ADD("/outbox/run/relay-down", test_run_relay_down);
	ADD("/outbox/run/relay-refuses", test_run_relay_refuses);
	ADD("/outbox/run/busy", test_run_busy);
	ADD("/outbox/run/lease", test_run_lease);
	g_test_add_func("/outbox/next-delay", test_next_delay);
	return g_test_run();
}
