/*
 * plan.h - the writes of one transaction beyond the message row: the
 * notices to queue, the changes to tickets and credits, the audit lines.
 *
 * A plan is made while reading the store (intake.c for a mail, act.c for
 * what an engineer or a customer's confirmation does), its notices are
 * built before the lock is taken (plan_build), and it is written inside
 * BEGIN IMMEDIATE (plan_apply). plan_digest() tells whether a plan made
 * again under the lock says the same.
 */
#ifndef DESK_PLAN_H
#define DESK_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "conf.h"
#include "mime-message.h"
#include "store.h"

struct plan_notice {
	const char *kind;	/* the template, and the outbox kind */
	char *outbox_kind;	/* NULL: KIND */
	char *lang;
	char *to;
	char *to_name;
	int64_t ticket;		/* 0: none */
	char *reply_to;		/* may be NULL */
	GHashTable *vars;	/* const char * -> char * */
	const char *status;	/* NULL: queued; "held" */
	bool human;		/* an engineer's answer, not automatic */
	const char *author;	/* of its row in the ticket: NULL "system" */
	char *in_reply_to;	/* NULL: the mail's (plan_build) */
	GPtrArray *attachments;	/* struct notice_attachment *, or NULL */
	/* made by plan_build() */
	char *subject;
	char *body;
	char *message_id;
	char *env_from;
	GBytes *raw;
};

struct plan_audit {
	const char *action;
	int64_t ticket;
	char *detail;
};

struct plan_ledger {
	int64_t customer;
	int delta;
	char *reason;
	int64_t ticket;
};

/* What happens to one ticket (act.c fills these from ticket-life). */
struct plan_change {
	int64_t ticket;
	char *status;		/* NULL: unchanged */
	bool assess;		/* set CATEGORY (0: none) and CHARGED */
	int category;
	int charged;
	int64_t engineer;	/* 0: unchanged */
	char *flags;		/* NULL: unchanged */
	bool release_held;	/* held answers queued */
	bool cancel_held;	/* ... or cancelled */
	bool supersede;		/* pending confirmations void */
	int64_t confirmation;	/* a new pending confirmation, numbered */
	int confirmation_category;
	int confirmation_credits;
	int64_t decide;		/* confirmation decided: DECISION */
	const char *decision;
	/* a question split into a new ticket SPLIT of the same customer */
	int64_t split;
	int64_t split_customer;
	char *split_subject;
	char *split_lang;
	char *split_text;
};

struct plan {
	GPtrArray *notices;	/* struct plan_notice * */
	GPtrArray *audits;	/* struct plan_audit * */
	GPtrArray *ledger;	/* struct plan_ledger * */
	GPtrArray *changes;	/* struct plan_change * */
};

void plan_init(struct plan *p);
void plan_clear(struct plan *p);

/* A notice to queue; VARS is taken (transfer full). (transfer none) */
struct plan_notice *plan_notice(struct plan *p, const char *kind,
    const char *lang, const char *to, const char *to_name, int64_t ticket,
    const char *reply_to, GHashTable *vars);
/* An audit line; takes DETAIL (transfer full). */
void plan_audit(struct plan *p, const char *action, int64_t ticket,
    char *detail);
/* A credit movement; REASON is copied. */
void plan_ledger(struct plan *p, int64_t customer, int delta,
    const char *reason, int64_t ticket);
/* The change of TICKET, made on first use. (transfer none) */
struct plan_change *plan_change(struct plan *p, int64_t ticket);

/*
 * plan_attachments - MAIL's attachments as struct notice_attachment *
 * (their bytes read from the spool), for a notice that passes them on:
 * an engineer's answer. What is not for the customer (a forwarded
 * message, a vCard, TNEF, signatures and keys, unnamed images) is left
 * out and counted in *DROPPED_R. (transfer full) NULL on error.
 */
GPtrArray *plan_attachments(const struct mail *mail, int *dropped_r,
    GError **error);

/* Variables every notice template may use (desk_name, hours, ...). */
GHashTable *plan_vars_new(const struct desk_conf *conf);
/* Set a variable; VALUE is taken (transfer full). */
void plan_var(GHashTable *vars, const char *name, char *value);
/* plan_common_vars - the names plan_vars_new() sets, NULL-terminated. */
extern const char *const plan_common_vars[];

/*
 * plan_build - render and build every notice of P; a notice without its
 * own in_reply_to answers IN_REPLY_TO (may be NULL) with REFERENCES.
 * No lock is held for this.
 */
int plan_build(const struct desk_conf *conf, struct plan *p,
    const char *in_reply_to, GPtrArray *references, GError **error);

/* plan_apply - write P: changes, credits, notices, audit; in a transaction. */
int plan_apply(const struct desk_conf *conf, struct store *store,
    const struct plan *p, const char *actor, GError **error);

/* plan_digest - everything P decides, appended to D as text. */
void plan_digest(const struct plan *p, GString *d);

#endif
