/*
 * lmtp.c - the LMTP server protocol (RFC 2033) of one connection, as a
 * state machine over the bytes the client sent (see lmtp.h).
 *
 * Implemented: LHLO with PIPELINING (RFC 2920), ENHANCEDSTATUSCODES
 * (RFC 2034, 3463), 8BITMIME (RFC 6152) and SIZE (RFC 1870); MAIL FROM
 * with SIZE= and BODY=; RCPT TO; DATA with one reply per recipient after
 * the final "." (RFC 2033 4.2); RSET, NOOP, QUIT; VRFY answers 252
 * (RFC 5321 3.5.3). Not implemented: BDAT/CHUNKING, DSN parameters
 * (neither is advertised, so a client does not send them).
 *
 * Limits: a command line is at most LMTP_LINE_MAX octets (500 5.5.2;
 * the rest of it is skipped unread); a line of a message at most
 * LMTP_TEXT_LINE_MAX (each recipient gets 552 5.3.4 after the "."); a
 * message at most max_size (552 5.3.4, the pipe's text). Past a limit
 * the bytes are read and thrown away, so memory stays bounded.
 *
 * Tolerated: a bare LF ends a line as CRLF does, in commands and in the
 * message, and ".\n" ends a message (deskgate-lmtpd(8)).
 */
#include "config.h"

#include <string.h>

#include "error.h"
#include "exitcode.h"
#include "lmtp.h"
#include "log.h"

enum lmtp_data_state {
	DATA_LINE_START,	/* at the start of a line */
	DATA_DOT,		/* a line began with "." */
	DATA_DOT_CR,		/* ... and then CR */
	DATA_TEXT,		/* inside a line */
	DATA_CR,		/* inside a line, after a CR */
};

struct lmtp_session {
	struct lmtp_params params;
	char *hostname;
	lmtp_deliver_fn deliver;
	void *ctx;
	GString *out;
	GString *line;		/* the command line being read */
	bool line_overlong;	/* ... past LMTP_LINE_MAX: skipped */
	bool greeted;		/* LHLO seen */
	bool done;		/* QUIT or 421 answered */
	bool closing;		/* lmtp_session_shutdown */
	/* the transaction */
	char *sender;		/* NULL: no MAIL yet */
	GPtrArray *rcpts;	/* char * */
	/* DATA */
	bool in_data;
	enum lmtp_data_state dstate;
	struct spool *spool;
	GError *spool_error;	/* writing the spool failed: 451 each */
	size_t text_line;	/* octets of the message line so far */
	bool text_overlong;
	GByteArray *chunk;	/* unstuffed bytes on their way to the spool */
	bool waiting;		/* for lmtp_session_complete */
	GByteArray *held;	/* input that came while waiting */
};

static void lmtp_reply(struct lmtp_session *s, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/* Queue one reply line; FMT has no CRLF. */
static void
lmtp_reply(struct lmtp_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_string_append_vprintf(s->out, fmt, ap);
	va_end(ap);
	g_string_append(s->out, "\r\n");
}

struct lmtp_session *
lmtp_session_new(const struct lmtp_params *params, lmtp_deliver_fn deliver,
    void *ctx)
{
	struct lmtp_session *s = g_new0(struct lmtp_session, 1);

	s->params = *params;
	s->hostname = g_strdup(params->hostname ? params->hostname :
	    "localhost");
	s->params.hostname = s->hostname;
	s->deliver = deliver;
	s->ctx = ctx;
	s->out = g_string_new(NULL);
	s->line = g_string_sized_new(LMTP_LINE_MAX);
	s->rcpts = g_ptr_array_new_with_free_func(g_free);
	s->chunk = g_byte_array_sized_new(64 * 1024);
	s->held = g_byte_array_new();
	return s;
}

/* Forget the transaction (MAIL, RCPT, a message's spool). */
static void
lmtp_transaction_reset(struct lmtp_session *s)
{
	g_free(s->sender);
	s->sender = NULL;
	g_ptr_array_set_size(s->rcpts, 0);
	spool_free(s->spool);
	s->spool = NULL;
	g_clear_error(&s->spool_error);
	s->in_data = false;
	g_byte_array_set_size(s->chunk, 0);
}

void
lmtp_session_free(struct lmtp_session *s)
{
	if (s == NULL)
		return;
	lmtp_transaction_reset(s);
	g_ptr_array_free(s->rcpts, TRUE);
	g_byte_array_free(s->chunk, TRUE);
	g_byte_array_free(s->held, TRUE);
	g_string_free(s->line, TRUE);
	g_string_free(s->out, TRUE);
	g_free(s->hostname);
	g_free(s);
}

void
lmtp_session_greet(struct lmtp_session *s)
{
	lmtp_reply(s, "220 %s LMTP deskgate-lmtpd ready", s->hostname);
}

GString *
lmtp_session_output(struct lmtp_session *s)
{
	return s->out;
}

bool
lmtp_session_is_done(const struct lmtp_session *s)
{
	return s->done;
}

bool
lmtp_session_in_data(const struct lmtp_session *s)
{
	return s->in_data;
}

bool
lmtp_session_in_transaction(const struct lmtp_session *s)
{
	return s->sender != NULL || s->in_data;
}

bool
lmtp_session_is_waiting(const struct lmtp_session *s)
{
	return s->waiting;
}

void
lmtp_session_shutdown(struct lmtp_session *s)
{
	s->closing = true;
	if (!s->done && s->sender == NULL && !s->in_data && !s->waiting) {
		lmtp_reply(s, "421 4.3.2 %s shutting down, try again later",
		    s->hostname);
		s->done = true;
	}
}

void
lmtp_session_timeout(struct lmtp_session *s)
{
	if (s->done)
		return;
	lmtp_reply(s, "421 4.4.2 %s timeout, closing the connection",
	    s->hostname);
	s->done = true;
}

char *
lmtp_reply_status(int status, const char *line, const char *rcpt)
{
	const char *code;

	switch (status) {
	case DESK_EXIT_OK:
		return g_strdup_printf("250 2.0.0 <%s> delivered", rcpt);
	case DESK_EXIT_NOUSER:
	case DESK_EXIT_NOPERM:
		code = "550";
		break;
	case DESK_EXIT_TOOBIG:
		code = "552";
		break;
	default:
		code = "451";
		break;
	}
	/* a status line that contradicts its status is deferred */
	if (line == NULL || (code[0] == '4') != (line[0] == '4'))
		return g_strdup_printf("451 4.3.0 <%s> temporary failure", rcpt);
	return g_strdup_printf("%s %s", code, line);
}

/* Whether S (length LEN) begins with the word PREFIX, case aside. */
static bool
lmtp_has_prefix(const char *s, const char *prefix)
{
	return g_ascii_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Parse "<path> params" after "FROM:" or "TO:" in ARG: *PATH_R gets the
 * address without the brackets (transfer full), *REST_R points at the
 * parameters. A quoted local part may hold ">" (RFC 5321 4.1.2). Returns
 * false for a syntax error.
 */
static bool
lmtp_parse_path(const char *arg, char **path_r, const char **rest_r)
{
	const char *p = arg, *start;
	bool quoted = false;

	while (*p == ' ')
		p++;
	if (*p != '<')
		return false;
	start = ++p;
	for (; *p != '\0'; p++) {
		if (*p == '\\' && quoted && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == '>' && !quoted)
			break;
	}
	if (*p != '>')
		return false;
	*path_r = g_strndup(start, (gsize)(p - start));
	p++;
	while (*p == ' ')
		p++;
	*rest_r = p;
	return true;
}

static void
lmtp_cmd_lhlo(struct lmtp_session *s, const char *arg)
{
	if (*arg == '\0') {
		lmtp_reply(s, "501 5.5.4 LHLO needs a domain");
		return;
	}
	lmtp_transaction_reset(s);
	s->greeted = true;
	lmtp_reply(s, "250-%s", s->hostname);
	lmtp_reply(s, "250-PIPELINING");
	lmtp_reply(s, "250-SIZE %" G_GINT64_FORMAT, s->params.max_size);
	lmtp_reply(s, "250-8BITMIME");
	lmtp_reply(s, "250 ENHANCEDSTATUSCODES");
}

static void
lmtp_cmd_mail(struct lmtp_session *s, const char *arg)
{
	char *path = NULL, **params = NULL;
	const char *rest;
	int i;

	if (!s->greeted) {
		lmtp_reply(s, "503 5.5.1 LHLO first");
		return;
	}
	if (s->sender != NULL) {
		lmtp_reply(s, "503 5.5.1 nested MAIL command");
		return;
	}
	if (!lmtp_has_prefix(arg, "FROM:") ||
	    !lmtp_parse_path(arg + 5, &path, &rest)) {
		lmtp_reply(s, "501 5.5.4 syntax: MAIL FROM:<address>");
		goto out;
	}
	params = g_strsplit(rest, " ", -1);
	for (i = 0; params[i] != NULL; i++) {
		const char *v = params[i];

		if (*v == '\0')
			continue;
		if (lmtp_has_prefix(v, "SIZE=")) {
			char *end;
			guint64 size = g_ascii_strtoull(v + 5, &end, 10);

			if (end == v + 5 || *end != '\0') {
				lmtp_reply(s, "501 5.5.4 bad SIZE parameter");
				goto out;
			}
			if (size > (guint64)s->params.max_size) {
				lmtp_reply(s, "552 5.3.4 message too big for "
				    "the Help Desk (limit %" G_GINT64_FORMAT
				    " bytes)", s->params.max_size);
				goto out;
			}
		} else if (lmtp_has_prefix(v, "BODY=")) {
			if (g_ascii_strcasecmp(v + 5, "7BIT") != 0 &&
			    g_ascii_strcasecmp(v + 5, "8BITMIME") != 0) {
				lmtp_reply(s, "501 5.5.4 bad BODY parameter");
				goto out;
			}
		} else {
			lmtp_reply(s, "555 5.5.4 unsupported parameter");
			goto out;
		}
	}
	s->sender = path;
	path = NULL;
	lmtp_reply(s, "250 2.1.0 sender ok");
out:
	g_strfreev(params);
	g_free(path);
}

static void
lmtp_cmd_rcpt(struct lmtp_session *s, const char *arg)
{
	char *path = NULL;
	const char *rest;

	if (s->sender == NULL) {
		lmtp_reply(s, "503 5.5.1 MAIL first");
		return;
	}
	if (!lmtp_has_prefix(arg, "TO:") ||
	    !lmtp_parse_path(arg + 3, &path, &rest)) {
		lmtp_reply(s, "501 5.5.4 syntax: RCPT TO:<address>");
		goto out;
	}
	if (*rest != '\0') {
		lmtp_reply(s, "555 5.5.4 unsupported parameter");
		goto out;
	}
	if (*path == '\0') {
		lmtp_reply(s, "501 5.1.3 empty recipient");
		goto out;
	}
	if (s->rcpts->len >= LMTP_RCPT_MAX) {
		lmtp_reply(s, "452 4.5.3 too many recipients");
		goto out;
	}
	g_ptr_array_add(s->rcpts, path);
	path = NULL;
	lmtp_reply(s, "250 2.1.5 recipient ok");
out:
	g_free(path);
}

static void
lmtp_cmd_data(struct lmtp_session *s, const char *arg)
{
	if (s->sender == NULL) {
		lmtp_reply(s, "503 5.5.1 MAIL first");
		return;
	}
	if (s->rcpts->len == 0) {
		lmtp_reply(s, "554 5.5.1 no valid recipients");
		return;
	}
	if (*arg != '\0') {
		lmtp_reply(s, "501 5.5.4 DATA takes no argument");
		return;
	}
	s->spool = spool_new(s->params.max_size, s->params.spool_dir,
	    &s->spool_error);
	if (s->spool == NULL) {
		/* the error is the operator's to see: the client retries */
		log_err("LMTP DATA: %s", s->spool_error->message);
		g_clear_error(&s->spool_error);
		lmtp_reply(s, "451 4.3.0 cannot spool the message, try again "
		    "later");
		return;
	}
	s->in_data = true;
	s->dstate = DATA_LINE_START;
	s->text_line = 0;
	s->text_overlong = false;
	lmtp_reply(s, "354 2.0.0 go ahead, end with <CRLF>.<CRLF>");
}

/* One command line, without its line end. */
static void
lmtp_command(struct lmtp_session *s, const char *line)
{
	const char *sp = strchr(line, ' ');
	size_t vlen = sp ? (size_t)(sp - line) : strlen(line);
	const char *arg = sp ? sp + 1 : "";

	if (s->closing && s->sender == NULL) {
		lmtp_reply(s, "421 4.3.2 %s shutting down, try again later",
		    s->hostname);
		s->done = true;
		return;
	}
#define IS(verb) (vlen == strlen(verb) && \
	g_ascii_strncasecmp(line, verb, vlen) == 0)
	if (IS("LHLO"))
		lmtp_cmd_lhlo(s, arg);
	else if (IS("MAIL"))
		lmtp_cmd_mail(s, arg);
	else if (IS("RCPT"))
		lmtp_cmd_rcpt(s, arg);
	else if (IS("DATA"))
		lmtp_cmd_data(s, arg);
	else if (IS("RSET")) {
		lmtp_transaction_reset(s);
		lmtp_reply(s, "250 2.0.0 ok");
	} else if (IS("NOOP"))
		lmtp_reply(s, "250 2.0.0 ok");
	else if (IS("QUIT")) {
		lmtp_reply(s, "221 2.0.0 %s closing connection", s->hostname);
		s->done = true;
	} else if (IS("VRFY"))
		lmtp_reply(s, "252 2.5.0 cannot verify, but will try");
	else if (IS("HELO") || IS("EHLO"))
		lmtp_reply(s, "500 5.5.1 this is LMTP: use LHLO");
	else
		lmtp_reply(s, "500 5.5.2 command not recognized");
#undef IS
}

/* Move the unstuffed bytes gathered in chunk into the spool. */
static void
lmtp_data_flush(struct lmtp_session *s)
{
	if (s->chunk->len == 0)
		return;
	if (s->spool_error == NULL)
		(void)spool_append(s->spool, (const char *)s->chunk->data,
		    s->chunk->len, &s->spool_error);
	g_byte_array_set_size(s->chunk, 0);
}

/* Append LEN message bytes without line ends to the chunk. */
static void
lmtp_data_bytes(struct lmtp_session *s, const char *p, size_t len)
{
	g_byte_array_append(s->chunk, (const guint8 *)p, (guint)len);
	s->text_line += len;
	if (s->text_line > LMTP_TEXT_LINE_MAX - 2)
		s->text_overlong = true;
	if (s->chunk->len >= 64 * 1024)
		lmtp_data_flush(s);
}

static void
lmtp_data_newline(struct lmtp_session *s)
{
	guint8 lf = '\n';

	g_byte_array_append(s->chunk, &lf, 1);
	s->text_line = 0;
	s->dstate = DATA_LINE_START;
}

/* Byte C inside a line (DATA_TEXT or DATA_CR). */
static void
lmtp_data_text(struct lmtp_session *s, char c)
{
	if (s->dstate == DATA_CR) {
		if (c == '\n') {	/* CRLF: LF, as pipe(8) gives */
			lmtp_data_newline(s);
			return;
		}
		lmtp_data_bytes(s, "\r", 1);
		if (c == '\r')
			return;
		s->dstate = DATA_TEXT;
	}
	if (c == '\r')
		s->dstate = DATA_CR;
	else if (c == '\n')
		lmtp_data_newline(s);
	else
		lmtp_data_bytes(s, &c, 1);
}

/* Queue the N replies after a message (transfer full) and end it. */
static void
lmtp_data_replies(struct lmtp_session *s, char **replies)
{
	unsigned i, n = s->rcpts->len;

	for (i = 0; i < n; i++) {
		lmtp_reply(s, "%s", replies[i] ? replies[i] :
		    "451 4.3.0 internal error, try again later");
		g_free(replies[i]);
	}
	g_free(replies);
	lmtp_transaction_reset(s);
}

/* The final "." came: deliver, one reply per recipient. */
static void
lmtp_data_end(struct lmtp_session *s)
{
	char **replies;
	unsigned i, n = s->rcpts->len;

	lmtp_data_flush(s);
	s->in_data = false;
	if (s->spool_error == NULL)
		(void)spool_finish(s->spool, &s->spool_error);
	replies = g_new0(char *, n + 1);
	if (s->spool_error != NULL) {
		log_err("LMTP DATA: %s", s->spool_error->message);
		for (i = 0; i < n; i++)
			replies[i] = g_strdup("451 4.3.0 cannot spool the "
			    "message, try again later");
	} else if (s->text_overlong) {
		for (i = 0; i < n; i++)
			replies[i] = g_strdup_printf("552 5.3.4 a line of "
			    "the message is longer than %d octets",
			    LMTP_TEXT_LINE_MAX);
	} else if (!s->deliver(s->ctx, s, s->sender,
	    (char *const *)s->rcpts->pdata, n, s->spool, replies)) {
		/* REPLIES is the callback's until lmtp_session_complete */
		s->waiting = true;
		return;
	}
	lmtp_data_replies(s, replies);
}

void
lmtp_session_complete(struct lmtp_session *s, char **replies)
{
	GByteArray *held;

	g_return_if_fail(s->waiting);
	s->waiting = false;
	lmtp_data_replies(s, replies);
	if (s->held->len == 0)
		return;
	held = s->held;
	s->held = g_byte_array_new();
	lmtp_session_input(s, (const char *)held->data, held->len);
	g_byte_array_free(held, TRUE);
}

/*
 * Feed message bytes from BUF; returns how many were used (up to the
 * line after the final ".", or all of them).
 */
static size_t
lmtp_data_input(struct lmtp_session *s, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		switch (s->dstate) {
		case DATA_LINE_START:
			if (c == '.') {
				s->dstate = DATA_DOT;
				continue;
			}
			s->dstate = DATA_TEXT;
			break;
		case DATA_DOT:
			if (c == '\r') {
				s->dstate = DATA_DOT_CR;
				continue;
			}
			if (c == '\n') {
				lmtp_data_end(s);
				return i + 1;
			}
			s->dstate = DATA_TEXT;	/* a stuffed dot: dropped */
			break;
		case DATA_DOT_CR:
			if (c == '\n') {
				lmtp_data_end(s);
				return i + 1;
			}
			s->dstate = DATA_CR;	/* "." CR text: the CR is text */
			break;
		case DATA_TEXT:
		case DATA_CR:
			break;
		}
		if (s->dstate == DATA_TEXT && c != '\r' && c != '\n') {
			/*
			 * The run of plain bytes up to the line's end, found
			 * with memchr (a CR in a line is rare, its LF is not
			 * far): a byte-at-a-time loop here cost 100,000
			 * instructions a message.
			 */
			const char *nl = memchr(buf + i, '\n', len - i);
			size_t stop = nl != NULL ? (size_t)(nl - buf) : len;
			const char *cr = memchr(buf + i, '\r', stop - i);
			size_t j = cr != NULL ? (size_t)(cr - buf) : stop;

			lmtp_data_bytes(s, buf + i, j - i);
			i = j - 1;
			continue;
		}
		lmtp_data_text(s, c);
	}
	lmtp_data_flush(s);
	return len;
}

void
lmtp_session_input(struct lmtp_session *s, const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && !s->done) {
		const char *nl;
		size_t take;

		if (s->waiting) {
			/* after the message: handled once it is answered */
			g_byte_array_append(s->held, (const guint8 *)buf + i,
			    (guint)(len - i));
			return;
		}
		if (s->in_data) {
			i += lmtp_data_input(s, buf + i, len - i);
			continue;
		}
		nl = memchr(buf + i, '\n', len - i);
		take = nl ? (size_t)(nl - (buf + i)) : len - i;
		if (!s->line_overlong) {
			if (s->line->len + take + 1 > LMTP_LINE_MAX) {
				s->line_overlong = true;
				g_string_truncate(s->line, 0);
			} else
				g_string_append_len(s->line, buf + i,
				    (gssize)take);
		}
		i += take;
		if (nl == NULL)
			break;
		i++;		/* the LF */
		if (s->line_overlong) {
			lmtp_reply(s, "500 5.5.2 line too long (limit %d "
			    "octets)", LMTP_LINE_MAX);
			s->line_overlong = false;
		} else {
			if (s->line->len > 0 &&
			    s->line->str[s->line->len - 1] == '\r')
				g_string_truncate(s->line, s->line->len - 1);
			if (memchr(s->line->str, '\0', s->line->len) != NULL)
				lmtp_reply(s, "500 5.5.2 NUL in command");
			else
				lmtp_command(s, s->line->str);
		}
		g_string_truncate(s->line, 0);
	}
}
