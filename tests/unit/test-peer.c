/*
 * test-peer.c - the scripted SMTP peer of test-peer.h.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "test-peer.h"

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

/*
 * Say nothing until the client closes the connection, or PEER_HANG_MAX
 * seconds have passed: a relay that accepted and went silent.
 */
static void
peer_hang(int fd)
{
	gint64 end = g_get_monotonic_time() + PEER_HANG_MAX * G_USEC_PER_SEC;
	char buf[512];

	while (g_get_monotonic_time() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 100) > 0 && recv(fd, buf, sizeof(buf), 0) <= 0)
			return;		/* the client hung up */
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
	if (strcmp(text, "HANG") == 0) {
		peer_hang(fd);
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
			const char *answer = rule && rule->data ? rule->data :
			    s->data ? s->data :
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
				if (s->on_message != NULL)
					s->on_message(s->hook_data);
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

/* Nothing listens there: it did a moment ago. */
int
peer_dead_port(void)
{
	int port, fd = listen_local(&port);

	close(fd);
	return port;
}

struct peer *
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

void
peer_stop(struct peer *p)
{
	if (p->thread == NULL)
		return;
	g_atomic_int_set(&p->stop, 1);
	g_thread_join(p->thread);
	p->thread = NULL;
	close(p->fd);
}

void
peer_free(struct peer *p)
{
	if (p == NULL)
		return;
	peer_stop(p);
	g_string_free(p->log, TRUE);
	g_ptr_array_unref(p->messages);
	g_free(p);
}

char **
peer_lines(struct peer *p)
{
	return g_strsplit(p->log->str, "\n", -1);
}

int
peer_count_prefix(char **lines, const char *prefix)
{
	int i, n = 0;

	for (i = 0; lines[i] != NULL; i++)
		n += g_str_has_prefix(lines[i], prefix);
	return n;
}
