/*
 * conf.h - the configuration file, deskgate.conf(5).
 *
 * GLib key-file syntax with sections. Every key is declared in one table
 * in conf.c (name, type, default, range); an unknown section or key, a
 * value of the wrong type and a missing required key are errors that name
 * the file, the line and the key.
 */
#ifndef DESK_CONF_H
#define DESK_CONF_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>

#ifndef DESK_DEFAULT_CONFIG
#define DESK_DEFAULT_CONFIG "/etc/deskgate/deskgate.conf"
#endif

struct desk_conf {
	char *path;		/* the file this was read from */

	/* [desk] */
	char *name;		/* shown in notices */
	char *address;		/* intake address, lower case */
	char *address_local;	/* its local part: "support" */
	char *domain;		/* its domain: "desk.example" */
	GBytes *secret;		/* token key, decoded from hex */
	char *hours;		/* "09:00-18:00" as written */
	char *timezone;		/* "+04:00" as written */
	char **languages;	/* NULL-terminated, e.g. {"en","ru"} */
	char *contact_url;	/* where non-owners are sent */
	char *templates;	/* directory with en/ and ru/ */
	char *filters;		/* directory of *.rules files */
	char *cache_dir;	/* the compiled rules cache; default: the
				 * store's directory */
	gint64 max_message_size; /* bytes */
	int time_limit;		/* seconds, well under command_time_limit */
	int stranger_notice_hours; /* one notice per stranger per this */
	int loop_limit;		/* messages a sender an hour with notices */
	int loop_repeats;	/* the same text this often an hour: a loop */
	char *closed_reply;	/* "reopen" or "new" */

	/* [store] */
	char *store_path;
	int busy_timeout;	/* milliseconds */

	/* [relay] */
	char *relay_host;
	int relay_port;
	int relay_timeout;	/* seconds */
	int retry_first;	/* seconds before the first retry */
	int retry_max;		/* the longest delay between retries */
	int retry_give_up;	/* seconds after queueing to give up */

	/* [staff] */
	char *staff_notify;
	char *staff_sign;	/* name | none */

	/* [guard] */
	char **guard_addresses;	/* lower case */
	char *guard_action;	/* "reject" or "reply" */
	char **guard_pass_to;	/* "guarded=mailbox", lower case */
	char *guard_sendmail;	/* passes the others' mail on */
	int guard_notice_hours;	/* action = reply: one notice per this */

	/* [trust] */
	char *authserv_id;	/* "" when Authentication-Results is ignored */

	/* [lmtp]: deskgate-lmtpd */
	int lmtp_max_connections;
	int lmtp_command_time_limit; /* seconds */
	int lmtp_group_commit_wait; /* milliseconds, 0: no group commit */

	/* [log] */
	char *log_target;	/* syslog, stderr or a file path */

	/* [limits]: what deskgate reads of one message (mail_limits) */
	int max_depth;		/* MIME nesting read */
	int max_parts;		/* MIME parts read */
	int max_headers;	/* header fields parsed, all blocks together */
	gint64 max_header_line;	/* bytes of one header field, folded */
	gint64 max_header_size;	/* bytes of all header fields */
	gint64 max_text_size;	/* bytes of body text kept */
	int max_attachments;	/* attachments kept */
	gint64 max_attachment_size; /* decoded bytes of one kept attachment */
};

/*
 * conf_load - read and check PATH. Returns NULL with ERROR set (code
 * DESK_ERROR_CONFIG, message "FILE:LINE: [section] key: problem").
 * (transfer full)
 */
struct desk_conf *conf_load(const char *path, GError **error);
void conf_free(struct desk_conf *conf);

/*
 * conf_is_valid_address - whether S looks like a mailbox address
 * local@domain with no spaces or brackets.
 */
bool conf_is_valid_address(const char *s);

/*
 * conf_print_keys - print every key with its default and a line of help,
 * for "deskctl config --defaults".
 */
void conf_print_keys(FILE *out);

#endif
