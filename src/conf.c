/*
 * conf.c - read deskgate.conf(5) through one declarative table of keys.
 *
 * GKeyFile parses the values; a small pre-scan of our own keeps the line
 * number of every section and key, because GKeyFile reports none, and
 * strips trailing " # comment" text, which GKeyFile would keep as part of
 * the value. A '#' starts a comment only at the start of a line or after
 * white space, so "https://x.example/#contact" survives.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "error.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

enum conf_type {
	CONF_STRING,
	CONF_ADDRESS,		/* one mailbox address, lower-cased */
	CONF_ADDRESS_LIST,	/* ';'-separated mailbox addresses */
	CONF_ADDRESS_MAP,	/* ';'-separated ADDRESS=ADDRESS pairs */
	CONF_INT,
	CONF_SIZE,		/* bytes, with optional K/M/G suffix */
	CONF_SECRET,		/* hex, at least 32 bytes */
	CONF_HOURS,		/* HH:MM-HH:MM */
	CONF_TIMEZONE,		/* +HH:MM / -HH:MM / UTC */
	CONF_LANGUAGES,		/* ';'-separated from {en, ru} */
	CONF_ACTION,		/* reject | reply */
	CONF_SIGN,		/* name | none */
	CONF_CLOSED_REPLY,	/* reopen | new */
};

struct conf_key {
	const char *section;
	const char *key;
	enum conf_type type;
	size_t offset;
	const char *fallback;	/* NULL: the key is required */
	gint64 min, max;	/* for CONF_INT and CONF_SIZE */
	const char *help;
};

#define OFF(f) offsetof(struct desk_conf, f)

static const struct conf_key conf_keys[] = {
	{ "desk", "name", CONF_STRING, OFF(name), "Help Desk", 0, 0,
	  "name shown in notices" },
	{ "desk", "address", CONF_ADDRESS, OFF(address), NULL, 0, 0,
	  "intake address; reply addresses are LOCAL+...@DOMAIN" },
	{ "desk", "secret", CONF_SECRET, OFF(secret), NULL, 0, 0,
	  "hex key (32+ bytes) of the reply-address tokens" },
	{ "desk", "hours", CONF_HOURS, OFF(hours), "09:00-18:00", 0, 0,
	  "when engineers answer" },
	{ "desk", "timezone", CONF_TIMEZONE, OFF(timezone), "+04:00", 0, 0,
	  "time zone of the hours" },
	{ "desk", "languages", CONF_LANGUAGES, OFF(languages), "en;ru", 0, 0,
	  "languages support is given in" },
	{ "desk", "contact_url", CONF_STRING, OFF(contact_url),
	  "https://www.cs-cart.com/contact-us.html", 0, 0,
	  "where senders who own no license are sent" },
	{ "desk", "templates", CONF_STRING, OFF(templates),
	  SYSCONFDIR "/deskgate/templates", 0, 0,
	  "directory of notice templates (en/, ru/)" },
	{ "desk", "filters", CONF_STRING, OFF(filters),
	  SYSCONFDIR "/deskgate/filters", 0, 0,
	  "directory of *.rules files" },
	{ "desk", "cache_dir", CONF_STRING, OFF(cache_dir), "", 0, 0,
	  "directory of the compiled rules cache (written by deskgate); "
	  "empty: the store's directory" },
	{ "desk", "max_message_size", CONF_SIZE, OFF(max_message_size),
	  "25M", 1024, G_GINT64_CONSTANT(1) << 30,
	  "larger messages are refused (5.3.4)" },
	{ "desk", "time_limit", CONF_INT, OFF(time_limit), "300", 5, 900,
	  "seconds per message before deskgate gives up (4.3.0)" },
	{ "desk", "stranger_notice_hours", CONF_INT,
	  OFF(stranger_notice_hours), "24", 0, 24 * 365,
	  "at most one non-owner notice per address in this many hours" },
	{ "desk", "loop_limit", CONF_INT, OFF(loop_limit), "20", 1, 100000,
	  "after this many messages in an hour from one sender (From and "
	  "envelope) it gets no more automatic notices; its mail is still "
	  "handled" },
	{ "desk", "loop_repeats", CONF_INT, OFF(loop_repeats), "5", 2, 1000,
	  "the same text from one sender this many times in an hour is a "
	  "suspected loop: stored and shown, not answered" },
	{ "desk", "closed_reply", CONF_CLOSED_REPLY, OFF(closed_reply),
	  "reopen", 0, 0, "a reply to a closed ticket reopens it, or opens "
	  "a new one (new)" },
	{ "store", "path", CONF_STRING, OFF(store_path),
	  "/var/lib/deskgate/desk.db", 0, 0, "the SQLite database" },
	{ "store", "busy_timeout", CONF_INT, OFF(busy_timeout), "20000", 0,
	  600000, "milliseconds to wait for the write lock" },
	{ "relay", "host", CONF_STRING, OFF(relay_host), "127.0.0.1", 0, 0,
	  "SMTP relay for outbound notices" },
	{ "relay", "port", CONF_INT, OFF(relay_port), "25", 1, 65535,
	  "its port" },
	{ "relay", "timeout", CONF_INT, OFF(relay_timeout), "60", 1, 3600,
	  "seconds per SMTP command" },
	{ "relay", "retry_first", CONF_INT, OFF(retry_first), "60", 1, 86400,
	  "seconds before the first retry" },
	{ "relay", "retry_max", CONF_INT, OFF(retry_max), "14400", 1,
	  7 * 86400, "longest delay between retries" },
	{ "relay", "give_up", CONF_INT, OFF(retry_give_up), "432000", 60,
	  60 * 86400, "seconds after which a notice is marked failed" },
	{ "staff", "notify", CONF_ADDRESS, OFF(staff_notify),
	  "", 0, 0, "where new tickets and replies are announced" },
	{ "staff", "sign", CONF_SIGN, OFF(staff_sign), "name", 0, 0,
	  "an answer is signed with the engineer's name, or none (the desk's "
	  "name only)" },
	{ "guard", "addresses", CONF_ADDRESS_LIST, OFF(guard_addresses), "",
	  0, 0, "addresses license owners must not write to directly" },
	{ "guard", "action", CONF_ACTION, OFF(guard_action), "reject", 0, 0,
	  "reject (bounce) or reply (mail kept, one notice to the sender)" },
	{ "guard", "pass_to", CONF_ADDRESS_MAP, OFF(guard_pass_to), "", 0, 0,
	  "GUARDED=MAILBOX;...: where mail from anyone else to a guarded "
	  "address goes on to, unchanged (an address postfix does not route "
	  "through deskgate)" },
	{ "guard", "sendmail", CONF_STRING, OFF(guard_sendmail),
	  "/usr/sbin/sendmail", 0, 0,
	  "the sendmail program that passes guarded mail on" },
	{ "guard", "notice_hours", CONF_INT, OFF(guard_notice_hours), "24",
	  1, 24 * 365, "action = reply: at most one notice per sender and "
	  "guarded address in this many hours" },
	{ "trust", "authserv_id", CONF_STRING, OFF(authserv_id), "", 0, 0,
	  "authserv-id of our own MTA's Authentication-Results (RFC 8601); "
	  "empty: the header is not read" },
	{ "lmtp", "max_connections", CONF_INT, OFF(lmtp_max_connections),
	  "20", 1, 1000, "deskgate-lmtpd: connections served at once; one "
	  "more is answered 421 4.3.2 and closed" },
	{ "lmtp", "command_time_limit", CONF_INT,
	  OFF(lmtp_command_time_limit), "300", 1, 3600,
	  "deskgate-lmtpd: seconds a client may take to send a command or "
	  "the next piece of a message before 421 4.4.2" },
	{ "lmtp", "group_commit_wait", CONF_INT, OFF(lmtp_group_commit_wait),
	  "2", 0, 100, "deskgate-lmtpd: milliseconds a received message "
	  "may wait for messages of other connections to be committed in "
	  "the same transaction; 0: each message alone" },
	{ "log", "target", CONF_STRING, OFF(log_target), "syslog", 0, 0,
	  "syslog, stderr, or an absolute path of a log file" },
	/*
	 * What deskgate reads of one message. Over a limit the message is
	 * still stored whole, flagged over-limit, and what was not read is
	 * named in the audit log. Keep the defaults in step with
	 * mail_limits_default() (test-conf checks).
	 */
	{ "limits", "max_depth", CONF_INT, OFF(max_depth), "32", 1, 1024,
	  "MIME nesting read; deeper parts are not read" },
	{ "limits", "max_parts", CONF_INT, OFF(max_parts), "1000", 1, 100000,
	  "MIME parts read; the parser stops after ten times as many lines "
	  "that begin with \"--\"" },
	{ "limits", "max_headers", CONF_INT, OFF(max_headers), "10000", 100,
	  1000000, "header fields parsed, in all header blocks together; "
	  "the parser stops at the next one" },
	{ "limits", "max_header_line", CONF_SIZE, OFF(max_header_line), "16K",
	  1024, 1024 * 1024, "bytes of one header field (its folded lines "
	  "together); the rest of a longer one is not read" },
	{ "limits", "max_header_size", CONF_SIZE, OFF(max_header_size), "512K",
	  16 * 1024, 64 * 1024 * 1024, "bytes of all header fields, in all "
	  "header blocks together; the parser stops at the field past it" },
	{ "limits", "max_text_size", CONF_SIZE, OFF(max_text_size), "2M",
	  64 * 1024, 64 * 1024 * 1024, "bytes of body text kept" },
	{ "limits", "max_attachments", CONF_INT, OFF(max_attachments), "100",
	  0, 100000, "attachments kept as files of the message" },
	{ "limits", "max_attachment_size", CONF_SIZE,
	  OFF(max_attachment_size), "25M", 0, G_GINT64_CONSTANT(1) << 30,
	  "decoded bytes of one attachment kept; a larger one is not kept" },
};

/* Where each section and key was seen, for error messages. */
struct conf_lines {
	GHashTable *lines;	/* "section\nkey" or "section" -> line */
};

static void
conf_error(GError **error, const struct desk_conf *conf,
    struct conf_lines *where, const char *section, const char *key,
    const char *fmt, ...) G_GNUC_PRINTF(6, 7);

static void
conf_error(GError **error, const struct desk_conf *conf,
    struct conf_lines *where, const char *section, const char *key,
    const char *fmt, ...)
{
	va_list ap;
	char *what, *id;
	gpointer line = NULL;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	id = key ? g_strdup_printf("%s\n%s", section, key) : g_strdup(section);
	if (where != NULL)
		line = g_hash_table_lookup(where->lines, id);
	if (line == NULL && key != NULL && where != NULL)
		line = g_hash_table_lookup(where->lines, section);
	if (key != NULL)
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "%s:%d: [%s] %s: %s", conf->path, GPOINTER_TO_INT(line),
		    section, key, what);
	else
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "%s:%d: [%s]: %s", conf->path, GPOINTER_TO_INT(line),
		    section, what);
	g_free(id);
	g_free(what);
}

bool
conf_is_valid_address(const char *s)
{
	const char *at, *p;

	if (s == NULL || *s == '\0')
		return false;
	at = strrchr(s, '@');
	if (at == NULL || at == s || at[1] == '\0')
		return false;
	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || strchr("<>()[]\\,;:\"", c))
			return false;
		if (c == '@' && p != at)
			return false;
	}
	for (p = at + 1; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
			return false;
	return at[1] != '.' && p[-1] != '.';
}

/*
 * Strip comments, remember line numbers, and catch lines that are neither
 * a section, a key nor a comment.
 */
static char *
conf_prescan(const struct desk_conf *conf, const char *text,
    struct conf_lines *where, GError **error)
{
	char **lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);
	char *section = NULL;
	int i;

	for (i = 0; lines[i] != NULL; i++) {
		char *line = lines[i], *p;
		int lineno = i + 1;

		for (p = line; *p != '\0'; p++)
			if (*p == '#' && (p == line || p[-1] == ' ' ||
			    p[-1] == '\t')) {
				*p = '\0';
				break;
			}
		g_strstrip(line);
		if (*line == '\0') {
			g_string_append_c(out, '\n');
			continue;
		}
		if (*line == '[') {
			size_t len = strlen(line);

			if (line[len - 1] != ']' || len < 3) {
				g_set_error(error, DESK_ERROR,
				    DESK_ERROR_CONFIG,
				    "%s:%d: bad section header \"%s\"",
				    conf->path, lineno, line);
				goto fail;
			}
			g_free(section);
			section = g_strndup(line + 1, len - 2);
			g_hash_table_insert(where->lines, g_strdup(section),
			    GINT_TO_POINTER(lineno));
		} else if ((p = strchr(line, '=')) != NULL && p != line) {
			char *key = g_strndup(line, p - line);

			g_strstrip(key);
			if (section == NULL) {
				g_set_error(error, DESK_ERROR,
				    DESK_ERROR_CONFIG,
				    "%s:%d: %s: key outside of any [section]",
				    conf->path, lineno, key);
				g_free(key);
				goto fail;
			}
			g_hash_table_insert(where->lines,
			    g_strdup_printf("%s\n%s", section, key),
			    GINT_TO_POINTER(lineno));
			g_free(key);
		} else {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s:%d: not a \"key = value\" line: \"%s\"",
			    conf->path, lineno, line);
			goto fail;
		}
		g_string_append(out, line);
		g_string_append_c(out, '\n');
	}
	g_free(section);
	g_strfreev(lines);
	return g_string_free(out, FALSE);
fail:
	g_free(section);
	g_strfreev(lines);
	g_string_free(out, TRUE);
	return NULL;
}

static const struct conf_key *
conf_key_find(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(conf_keys); i++)
		if (strcmp(conf_keys[i].section, section) == 0 &&
		    (key == NULL || strcmp(conf_keys[i].key, key) == 0))
			return &conf_keys[i];
	return NULL;
}

static bool
conf_parse_int(const char *s, gint64 *value_r, bool size)
{
	char *end;
	gint64 v;

	errno = 0;
	v = g_ascii_strtoll(s, &end, 10);
	if (errno != 0 || end == s)
		return false;
	if (size && *end != '\0') {
		gint64 unit;

		switch (g_ascii_toupper(*end)) {
		case 'K': unit = 1024; break;
		case 'M': unit = 1024 * 1024; break;
		case 'G': unit = 1024 * 1024 * 1024; break;
		default: return false;
		}
		if (__builtin_mul_overflow(v, unit, &v))
			return false;
		end++;
		if (g_ascii_toupper(*end) == 'B')
			end++;
	}
	if (*end != '\0')
		return false;
	*value_r = v;
	return true;
}

static bool
conf_parse_clock(const char *s, int *minutes_r)
{
	int h, m;
	char tail;

	if (sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2)
		return false;
	if (h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0))
		return false;
	*minutes_r = h * 60 + m;
	return true;
}

static char **
conf_split_list(const char *value)
{
	char **items = g_strsplit_set(value, ";,", -1);
	GPtrArray *out = g_ptr_array_new();
	int i;

	for (i = 0; items[i] != NULL; i++) {
		g_strstrip(items[i]);
		if (*items[i] != '\0')
			g_ptr_array_add(out, g_ascii_strdown(items[i], -1));
	}
	g_strfreev(items);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* Check and store one value. Returns false with *why set (transfer full). */
static bool
conf_set(struct desk_conf *conf, const struct conf_key *k,
    const char *value, char **why)
{
	void *field = (char *)conf + k->offset;
	gint64 n;
	int i;

	switch (k->type) {
	case CONF_STRING:
		*(char **)field = g_strdup(value);
		return true;
	case CONF_ADDRESS:
		if (*value == '\0' && k->fallback == NULL) {
			*why = g_strdup("must not be empty");
			return false;
		}
		if (*value != '\0' && !conf_is_valid_address(value)) {
			*why = g_strdup_printf("\"%s\" is not a mail address",
			    value);
			return false;
		}
		*(char **)field = g_ascii_strdown(value, -1);
		return true;
	case CONF_ADDRESS_LIST: {
		char **list = conf_split_list(value);

		for (i = 0; list[i] != NULL; i++)
			if (!conf_is_valid_address(list[i])) {
				*why = g_strdup_printf(
				    "\"%s\" is not a mail address", list[i]);
				g_strfreev(list);
				return false;
			}
		*(char ***)field = list;
		return true;
	}
	case CONF_ADDRESS_MAP: {
		char **list = conf_split_list(value);

		for (i = 0; list[i] != NULL; i++) {
			char *eq = strchr(list[i], '='), *pair;

			if (eq != NULL)
				*eq = '\0';
			if (eq == NULL ||
			    !conf_is_valid_address(g_strstrip(list[i])) ||
			    !conf_is_valid_address(g_strstrip(eq + 1))) {
				*why = g_strdup_printf("\"%s\" is not "
				    "GUARDED=MAILBOX", list[i]);
				g_strfreev(list);
				return false;
			}
			pair = g_strdup_printf("%s=%s", list[i], eq + 1);
			g_free(list[i]);
			list[i] = g_ascii_strdown(pair, -1);
			g_free(pair);
		}
		*(char ***)field = list;
		return true;
	}
	case CONF_INT:
	case CONF_SIZE:
		if (!conf_parse_int(value, &n, k->type == CONF_SIZE)) {
			*why = g_strdup_printf("\"%s\" is not a%s number",
			    value, k->type == CONF_SIZE ? " size or" : "");
			return false;
		}
		if (n < k->min || n > k->max) {
			*why = g_strdup_printf("%s is out of range %" G_GINT64_FORMAT
			    "..%" G_GINT64_FORMAT, value, k->min, k->max);
			return false;
		}
		if (k->type == CONF_SIZE)
			*(gint64 *)field = n;
		else
			*(int *)field = (int)n;
		return true;
	case CONF_SECRET: {
		size_t len = strlen(value), j;
		guint8 *bytes;

		if (len == 0) {
			*why = g_strdup("the secret is missing (make one with "
			    "\"openssl rand -hex 32\" or \"deskctl secret\")");
			return false;
		}
		if (len % 2 != 0 || len < 64) {
			*why = g_strdup("the secret must be at least 64 hex "
			    "digits (32 bytes)");
			return false;
		}
		bytes = g_malloc(len / 2);
		for (j = 0; j < len; j += 2) {
			int hi = g_ascii_xdigit_value(value[j]);
			int lo = g_ascii_xdigit_value(value[j + 1]);

			if (hi < 0 || lo < 0) {
				g_free(bytes);
				*why = g_strdup("the secret must be hex digits");
				return false;
			}
			bytes[j / 2] = (guint8)(hi << 4 | lo);
		}
		*(GBytes **)field = g_bytes_new_take(bytes, len / 2);
		return true;
	}
	case CONF_HOURS: {
		char **ends = g_strsplit(value, "-", 3);
		int from, to;
		bool ok = g_strv_length(ends) == 2 &&
		    conf_parse_clock(g_strstrip(ends[0]), &from) &&
		    conf_parse_clock(g_strstrip(ends[1]), &to) && from < to;

		g_strfreev(ends);
		if (!ok) {
			*why = g_strdup_printf("\"%s\" is not HH:MM-HH:MM",
			    value);
			return false;
		}
		*(char **)field = g_strdup(value);
		return true;
	}
	case CONF_TIMEZONE: {
		/* an offset, as customers read it: +HH:MM, -HH:MM or UTC */
		int h, m;
		char sign, tail;

		if (g_ascii_strcasecmp(value, "UTC") == 0) {
			*(char **)field = g_strdup("UTC");
			return true;
		}
		if (sscanf(value, "%c%2d:%2d%c", &sign, &h, &m, &tail) != 3 ||
		    (sign != '+' && sign != '-') || strlen(value) != 6 ||
		    h > 14 || m > 59) {
			*why = g_strdup_printf("\"%s\" is not a time zone "
			    "offset (write +HH:MM, -HH:MM or UTC)", value);
			return false;
		}
		*(char **)field = g_strdup(value);
		return true;
	}
	case CONF_LANGUAGES: {
		char **list = conf_split_list(value);

		for (i = 0; list[i] != NULL; i++)
			if (strcmp(list[i], "en") != 0 &&
			    strcmp(list[i], "ru") != 0) {
				*why = g_strdup_printf("unknown language "
				    "\"%s\" (en and ru are known)", list[i]);
				g_strfreev(list);
				return false;
			}
		if (list[0] == NULL) {
			*why = g_strdup("no language given");
			g_strfreev(list);
			return false;
		}
		*(char ***)field = list;
		return true;
	}
	case CONF_CLOSED_REPLY:
		if (strcmp(value, "reopen") != 0 && strcmp(value, "new") != 0) {
			*why = g_strdup_printf("\"%s\" is neither reopen nor "
			    "new", value);
			return false;
		}
		*(char **)field = g_strdup(value);
		return true;
	case CONF_SIGN:
		if (strcmp(value, "name") != 0 && strcmp(value, "none") != 0) {
			*why = g_strdup_printf("\"%s\" is neither name nor "
			    "none", value);
			return false;
		}
		*(char **)field = g_strdup(value);
		return true;
	case CONF_ACTION:
		if (strcmp(value, "reject") != 0 && strcmp(value, "reply") != 0) {
			*why = g_strdup_printf("\"%s\" is neither reject nor "
			    "reply", value);
			return false;
		}
		*(char **)field = g_strdup(value);
		return true;
	}
	g_assert_not_reached();
}

/*
 * Every guarded address passes on to a mailbox of its own that is neither
 * guarded nor the desk's: else a stranger's mail to it would be lost, or
 * come back to deskgate for ever.
 */
static int
conf_check_guard(const struct desk_conf *conf, struct conf_lines *where,
    GError **error)
{
	const char *const *guarded =
	    (const char *const *)conf->guard_addresses;
	char **g, **p;

	for (g = conf->guard_addresses; g != NULL && *g != NULL; g++) {
		const char *target = NULL;

		for (p = conf->guard_pass_to; p != NULL && *p != NULL; p++)
			if (g_str_has_prefix(*p, *g) && (*p)[strlen(*g)] == '=')
				target = *p + strlen(*g) + 1;
		if (target == NULL) {
			conf_error(error, conf, where, "guard", "pass_to",
			    "no mailbox for the guarded address %s (add "
			    "%s=MAILBOX)", *g, *g);
			return -1;
		}
		if (g_strv_contains(guarded, target) ||
		    g_ascii_strcasecmp(strrchr(target, '@') + 1,
		    conf->domain) == 0) {
			conf_error(error, conf, where, "guard", "pass_to",
			    "%s passes to %s, which is guarded or the desk's: "
			    "a loop", *g, target);
			return -1;
		}
	}
	for (p = conf->guard_pass_to; p != NULL && *p != NULL; p++) {
		char *name = g_strndup(*p, (gsize)(strchr(*p, '=') - *p));
		bool known = guarded != NULL && g_strv_contains(guarded, name);
		char **q;

		for (q = conf->guard_pass_to; q < p; q++)
			if (g_str_has_prefix(*q, name) &&
			    (*q)[strlen(name)] == '=') {
				conf_error(error, conf, where, "guard",
				    "pass_to", "%s is given twice", name);
				g_free(name);
				return -1;
			}

		g_free(name);
		if (!known) {
			conf_error(error, conf, where, "guard", "pass_to",
			    "%s is for an address that [guard] addresses does "
			    "not list", *p);
			return -1;
		}
	}
	return 0;
}

struct desk_conf *
conf_load(const char *path, GError **error)
{
	struct desk_conf *conf = g_new0(struct desk_conf, 1);
	struct conf_lines where;
	GKeyFile *kf = g_key_file_new();
	char *text = NULL, *clean = NULL, **groups = NULL, *at;
	GError *local = NULL;
	size_t i;
	int g;

	where.lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    NULL);
	conf->path = g_strdup(path);
	if (!g_file_get_contents(path, &text, NULL, &local)) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "%s: cannot read the configuration: %s", path,
		    local->message);
		goto fail;
	}
	if (!g_utf8_validate(text, -1, NULL)) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "%s: the file is not UTF-8", path);
		goto fail;
	}
	if ((clean = conf_prescan(conf, text, &where, error)) == NULL)
		goto fail;
	if (!g_key_file_load_from_data(kf, clean, -1, G_KEY_FILE_NONE,
	    &local)) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG, "%s: %s",
		    path, local->message);
		goto fail;
	}

	/* Every section and key in the file must be one we know. */
	groups = g_key_file_get_groups(kf, NULL);
	for (g = 0; groups[g] != NULL; g++) {
		char **keys;
		int k;

		if (conf_key_find(groups[g], NULL) == NULL) {
			conf_error(error, conf, &where, groups[g], NULL,
			    "unknown section");
			goto fail;
		}
		keys = g_key_file_get_keys(kf, groups[g], NULL, NULL);
		for (k = 0; keys != NULL && keys[k] != NULL; k++)
			if (conf_key_find(groups[g], keys[k]) == NULL) {
				conf_error(error, conf, &where, groups[g],
				    keys[k], "unknown key");
				g_strfreev(keys);
				goto fail;
			}
		g_strfreev(keys);
	}

	for (i = 0; i < G_N_ELEMENTS(conf_keys); i++) {
		const struct conf_key *k = &conf_keys[i];
		char *value, *why = NULL;

		value = g_key_file_get_string(kf, k->section, k->key, &local);
		/* GLib returns a bad escape's value and an error both */
		if (local != NULL &&
		    local->code != G_KEY_FILE_ERROR_KEY_NOT_FOUND &&
		    local->code != G_KEY_FILE_ERROR_GROUP_NOT_FOUND) {
			conf_error(error, conf, &where, k->section, k->key,
			    "bad value (a backslash starts an escape; write "
			    "\\\\ for one)");
			g_free(value);
			goto fail;
		}
		g_clear_error(&local);
		if (value == NULL && k->fallback == NULL) {
			if (k->type == CONF_SECRET)
				conf_error(error, conf, &where, k->section,
				    k->key, "the secret is missing (make one "
				    "with \"deskctl secret\")");
			else
				conf_error(error, conf, &where, k->section,
				    k->key, "required key is missing");
			goto fail;
		}
		if (value == NULL)
			value = g_strdup(k->fallback);
		g_strstrip(value);
		if (!conf_set(conf, k, value, &why)) {
			conf_error(error, conf, &where, k->section, k->key,
			    "%s", why);
			g_free(why);
			g_free(value);
			goto fail;
		}
		g_free(value);
	}

	if (*conf->cache_dir == '\0') {
		g_free(conf->cache_dir);
		conf->cache_dir = g_path_get_dirname(conf->store_path);
	}
	at = strrchr(conf->address, '@');
	conf->address_local = g_strndup(conf->address, at - conf->address);
	conf->domain = g_strdup(at + 1);
	if (strchr(conf->address_local, '+') != NULL) {
		conf_error(error, conf, &where, "desk", "address",
		    "the intake address must not contain '+' (it is the "
		    "recipient delimiter of reply addresses)");
		goto fail;
	}

	if (conf_check_guard(conf, &where, error) < 0)
		goto fail;

	g_strfreev(groups);
	g_free(clean);
	g_free(text);
	g_key_file_free(kf);
	g_hash_table_destroy(where.lines);
	return conf;
fail:
	g_clear_error(&local);
	g_strfreev(groups);
	g_free(clean);
	g_free(text);
	g_key_file_free(kf);
	g_hash_table_destroy(where.lines);
	conf_free(conf);
	return NULL;
}

void
conf_free(struct desk_conf *conf)
{
	size_t i;

	if (conf == NULL)
		return;
	for (i = 0; i < G_N_ELEMENTS(conf_keys); i++) {
		void *field = (char *)conf + conf_keys[i].offset;

		switch (conf_keys[i].type) {
		case CONF_ADDRESS_LIST:
		case CONF_ADDRESS_MAP:
		case CONF_LANGUAGES:
			g_strfreev(*(char ***)field);
			break;
		case CONF_SECRET:
			if (*(GBytes **)field != NULL)
				g_bytes_unref(*(GBytes **)field);
			break;
		case CONF_INT:
		case CONF_SIZE:
			break;
		default:
			g_free(*(char **)field);
		}
	}
	g_free(conf->address_local);
	g_free(conf->domain);
	g_free(conf->path);
	g_free(conf);
}

void
conf_print_keys(FILE *out)
{
	const char *section = "";
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(conf_keys); i++) {
		const struct conf_key *k = &conf_keys[i];

		if (strcmp(section, k->section) != 0) {
			fprintf(out, "%s[%s]\n", i ? "\n" : "", k->section);
			section = k->section;
		}
		fprintf(out, "# %s\n%s = %s\n", k->help, k->key,
		    k->fallback ? k->fallback : "(required)");
	}
}
