/*
 * ctl.h - what deskctl's command files (ctl-*.c) share.
 *
 * deskctl.c parses the command line into a struct ctl and calls one
 * command function; the command files hold those functions, grouped as
 * deskctl(1) groups the commands. These files are deskctl's own sources,
 * not part of libdesk.a.
 */
#ifndef DESK_CTL_H
#define DESK_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "error.h"
#include "store.h"

struct desk_conf;

struct ctl {
	const char *conf_path;
	struct desk_conf *conf;
	struct store *store;	/* open when the command needs_store */
	GPtrArray *args;	/* positional arguments after the words */
	GHashTable *opts;	/* --name -> value ("" for flags) */
	bool json;		/* --json was given */
	GPtrArray *scratch;	/* strings of ctl_plain*, freed at exit */
};

/* ---- errors, options, arguments (ctl.c) ---- */

/* Set ERROR to CODE and the formatted message; returns -1. */
int ctl_fail(GError **error, enum desk_status code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* The value of --NAME ("" for a flag), NULL when it was not given. */
const char *ctl_opt(struct ctl *ctl, const char *name);

/* Positional argument I, NULL past the last. (transfer none) */
const char *ctl_arg(struct ctl *ctl, guint i);

/* T as "YYYY-MM-DD HH:MM:SSZ", "-" when out of range. (transfer full) */
char *ctl_time(int64_t t);

/* ---- plain output (ctl.c) ---- */

/*
 * ctl_plain - S made safe to print on a terminal, on one line: every C0
 * control, DEL and C1 control (U+0080..U+009F, 8-bit CSI among them) is
 * shown as an escape (\r, \n, \t, \x1b, \u009b), every byte that is not
 * UTF-8 as \xNN; a backslash stays as it is. NULL gives "". Every plain
 * (non-JSON) output passes sender-controlled text through it, so mail
 * cannot move the cursor, clear the screen or retitle the window.
 * (transfer none: the string lives until deskctl exits)
 */
const char *ctl_plain(struct ctl *ctl, const char *s);

/* ctl_plain_text - the same for multi-line text: LF and TAB stay. */
const char *ctl_plain_text(struct ctl *ctl, const char *s);

/* ---- JSON output (ctl.c) ---- */

/*
 * ctl_json_strict - TEXT, JSON from json-glib, with every raw control
 * byte inside a string escaped and every byte that is not UTF-8 replaced
 * by \ufffd, so that strict parsers accept it. (transfer full)
 */
char *ctl_json_strict(const char *text);

/* Print the builder's root, pretty, strict (above), and a newline. */
void ctl_print_json(JsonBuilder *b);

/* Member NAME: V, or null when V <= 0. */
void ctl_json_int_or_null(JsonBuilder *b, const char *name, int64_t v);

/* Member NAME: V, or null when V is NULL. */
void ctl_json_string(JsonBuilder *b, const char *name, const char *v);

/* ---- the store (ctl.c) ---- */

/* The customer whose address is ADDRESS into *C, or an error naming it. */
int ctl_customer(struct ctl *ctl, const char *address, struct customer *c,
    GError **error);

/* An error unless ADDRESS is a mail address. */
int ctl_check_address(const char *address, GError **error);

/* End a write transaction: commit when RC is 0, else roll back. */
int ctl_tx_end(struct ctl *ctl, int rc, GError **error);

/* ---- the commands: each returns 0, or -1 with ERROR set ---- */

/* ctl-config.c */
int ctl_init(struct ctl *ctl, GError **error);
int ctl_secret(struct ctl *ctl, GError **error);
int ctl_check_config(struct ctl *ctl, GError **error);
int ctl_config_defaults(struct ctl *ctl, GError **error);
int ctl_version(struct ctl *ctl, GError **error);

/* ctl-customer.c */
int ctl_customer_add(struct ctl *ctl, GError **error);
int ctl_address_add(struct ctl *ctl, GError **error);
int ctl_domain_add(struct ctl *ctl, GError **error);
int ctl_license_add(struct ctl *ctl, GError **error);
int ctl_staff_add(struct ctl *ctl, GError **error);

/* ctl-credits.c */
int ctl_credits_buy(struct ctl *ctl, GError **error);
int ctl_credits_show(struct ctl *ctl, GError **error);

/* ctl-ticket.c */
int ctl_ticket_list(struct ctl *ctl, GError **error);
int ctl_ticket_show(struct ctl *ctl, GError **error);

/* ---- ctl-act.c ---- */

int ctl_ticket_answer(struct ctl *ctl, GError **error);
int ctl_ticket_category(struct ctl *ctl, GError **error);
int ctl_ticket_close(struct ctl *ctl, GError **error);
int ctl_ticket_note(struct ctl *ctl, GError **error);
int ctl_credits_resume(struct ctl *ctl, int64_t customer, GString *report,
    GError **error);
int ctl_message_unfiled(struct ctl *ctl, GError **error);

/* ctl-outbox.c */
int ctl_outbox_list(struct ctl *ctl, GError **error);
int ctl_outbox_retry(struct ctl *ctl, GError **error);
int ctl_outbox_run(struct ctl *ctl, GError **error);

/* ctl-inspect.c */
int ctl_inspect(struct ctl *ctl, GError **error);

#endif
