/*
 * intake.h - what deskgate does with one received message for one
 * recipient: the routing, the ticket decisions and the single
 * transaction that records them.
 *
 * Everything one message causes (the message row, its attachments, a new
 * ticket or a ticket change, the notices it triggers, the audit entry) is
 * written in one BEGIN IMMEDIATE transaction, so a crash at any point
 * leaves either all of it or none of it, and postfix's retry finds a
 * clean store. A redelivery (same Message-ID and body, same recipient)
 * is recognised and changes nothing.
 *
 * What the message causes is decided and its notices are built before
 * BEGIN IMMEDIATE; under the lock the decision is made again from the
 * store as it is then, and the prepared notices are written only when it
 * is the same (else they are built again), so the lock is held for the
 * writes and a few reads. When no other connection has committed since
 * the first decision (SQLite's data_version), it is not made again.
 */
#ifndef DESK_INTAKE_H
#define DESK_INTAKE_H

#include <stdint.h>

#include "bounce.h"
#include "cache.h"
#include "classify.h"
#include "conf.h"
#include "language.h"
#include "mime-message.h"
#include "rules.h"
#include "spool.h"
#include "store.h"

struct intake {
	const struct desk_conf *conf;
	struct store *store;
	struct rules *robots;		/* filters/robots.rules */
	struct rules *assessment;	/* filters/assessment.rules */
	struct rules *quotes;		/* filters/quotes.rules */
	struct language_model *languages; /* filters/languages.words */
	/* where intake_load_rules() found them (tests, debug log) */
	enum cache_state cache;	/* what the cache held */
	bool cache_written;	/* compiled, and the cache written again */
};

enum intake_action {
	INTAKE_CREATED,		/* a new ticket */
	INTAKE_UPDATED,		/* filed in an existing ticket */
	INTAKE_DUPLICATE,	/* delivered before: nothing changed */
	INTAKE_STRANGER,	/* no license owner: stored, no ticket */
	INTAKE_ROBOT,		/* auto-reply, bounce, list, loop: stored */
	INTAKE_QUARANTINED,	/* unparseable: stored raw and flagged */
	INTAKE_NOUSER,		/* not an address of the desk */
	INTAKE_GUARD_REJECT,	/* a license owner to a guarded address: 77 */
	INTAKE_GUARD_KEEP,	/* ... kept, with a notice (action = reply) */
	INTAKE_GUARD_PASS,	/* anyone else: on to pass_to, unchanged */
};

struct intake_result {
	enum intake_action action;
	int64_t ticket;		/* 0: none */
	int notices;		/* notices queued */
	char *dsn;		/* INTAKE_NOUSER, _GUARD_REJECT: the line for
				 * postfix */
	const char *pass_to;	/* INTAKE_GUARD_PASS: the mailbox (conf's) */
	char *detail;		/* for the log line, may be NULL */
};

/* What arrived: the envelope and the parsed message. */
struct intake_mail {
	const char *sender;	/* envelope sender, "" for <> */
	const char *recipient;
	const struct spool *spool;
	const struct mail *mail;
	const struct classification *class;
	const char *reply_text;	/* the new text (quote_reply_text) */
	const char *language;	/* of the new text: en, ru, other, unknown */
	const struct bounce_info *bounce; /* a bounce's scan, else NULL */
	const char *fingerprint; /* intake_fingerprint(), for loops */
};


const char *intake_action_name(enum intake_action action);

/* intake_mail_limits - CONF's [limits] for mail_parse. */
void intake_mail_limits(const struct desk_conf *conf,
    struct mail_limits *limits);

/*
 * The notices intake sends and the variables each template gets, beside
 * intake_notice_common_vars (desk_name, hours, ...), for "deskctl
 * check-config". Kept here, beside the code that sets them.
 */
struct intake_notice {
	const char *name;		/* the template is NAME.txt */
	const char *const *vars;	/* NULL-terminated */
};
extern const char *const *const intake_notice_common_vars;
/* intake_notices - the table, ended by a NULL name. */
const struct intake_notice *intake_notices(void);
/* intake_notice_names - "ack, language, ..." (transfer full) */
char *intake_notice_names(void);

/*
 * intake_load_rules - the rule files IN needs from the conf's filters
 * directory (robots, assessment, quotes, languages), from the compiled
 * cache in [desk] cache_dir while it matches the files, else compiled
 * (and the cache written again when it can be; see cache.h). Errors are
 * the rule files' own (DESK_ERROR_CONFIG); the cache never fails it.
 */
int intake_load_rules(struct intake *in, GError **error);
/* intake_cache_name - the cache's file name in [desk] cache_dir. (transfer full) */
char *intake_cache_name(const struct desk_conf *conf);
void intake_free_rules(struct intake *in);
/*
 * intake_jit_rules - JIT-compile the loaded rules (rules_jit), for a
 * process that delivers many messages. Returns how many patterns took.
 */
guint intake_jit_rules(struct intake *in);

/*
 * intake_deliver - route, decide and store M. Returns 0 with RES filled
 * (free with intake_result_clear), or -1 with ERROR: DESK_ERROR_TEMP
 * means "try again later", anything else is a configuration problem
 * (the caller defers too: the postmaster's mistake must not bounce mail).
 */
int intake_deliver(struct intake *in, const struct intake_mail *m,
    struct intake_result *res, GError **error);
void intake_result_clear(struct intake_result *res);

/*
 * intake_dedup_key - the duplicate-detection key of M: SHA-256 over the
 * Message-ID, the recipient, the envelope sender, the From address, the
 * header fields but trace fields (Received, Return-Path, ...) and the
 * body hash; the whole message's hash (spool_sha256) when GMime found no
 * message. Only
 * the same delivery again has the same key. (transfer full)
 */
char *intake_dedup_key(const struct intake_mail *m, GError **error);

/*
 * intake_fingerprint - what M repeats if it is a loop: SHA-256 over the
 * envelope sender, the From address, and the letters (no digits, blanks
 * or punctuation) of the subject without reply prefixes and of the new
 * text. (transfer full)
 */
char *intake_fingerprint(const struct intake_mail *m);

#endif
