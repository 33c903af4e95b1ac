/*
 * guard.h - mail to a guarded address (an engineer's own, contact, sales):
 * a license owner is sent to the Help Desk, anyone else passes unchanged.
 *
 * The decision is one table (guard_table), shared by deskgate (the pipe,
 * which sees the whole message) and by the SMTP policy service (which
 * sees only the envelope). doc/ARCHITECTURE.md, "The guard", has the same
 * table.
 */
#ifndef DESK_GUARD_H
#define DESK_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "conf.h"
#include "store.h"

enum guard_verdict {
	GUARD_PASS,		/* on to the address's mailbox, unchanged */
	GUARD_REJECT,		/* 5.7.1 with the Help Desk pointer (exit 77) */
	GUARD_KEEP,		/* stored, not delivered; one notice (reply) */
};

/* What is known of a message to a guarded address. */
struct guard_facts {
	int64_t from_owner;	/* customer whose address or domain the From
				 * is, 0: none; -1: the message is not seen
				 * (the policy service has only the envelope) */
	int64_t envelope_owner;	/* the same for the envelope sender */
	bool null_sender;	/* envelope <> */
	bool robot;		/* classified as anything but human */
	bool auth_failed;	/* our MTA found DMARC or SPF failing */
};

struct guard_decision {
	enum guard_verdict verdict;
	const char *rule;	/* the row of the table, for logs and inspect */
	int64_t customer;	/* the owner sent away, or 0 */
};

/*
 * guard_table - the decision for F under ACTION ("reject" or "reply").
 * Never fails.
 */
void guard_table(const struct guard_facts *f, const char *action,
    struct guard_decision *d);

/* guard_is_guarded - whether RECIPIENT is one of [guard] addresses. */
bool guard_is_guarded(const struct desk_conf *conf, const char *recipient);

/*
 * guard_pass_target - the mailbox [guard] pass_to names for the guarded
 * address RECIPIENT, or NULL. (transfer none)
 */
const char *guard_pass_target(const struct desk_conf *conf,
    const char *recipient);

/*
 * guard_owner - the customer whose registered address ADDRESS is, or whose
 * registered domain its domain is; 0 when none, -1 on a store error.
 */
int64_t guard_owner(struct store *store, const char *address,
    GError **error);

/*
 * guard_reject_text - the enhanced-status line for a license owner sent
 * away: "5.7.1 ..." naming the Help Desk address and, when OPEN_TICKET is
 * not 0, the customer's open ticket. No newline. (transfer full)
 */
char *guard_reject_text(const struct desk_conf *conf, const char *recipient,
    int64_t open_ticket);

/*
 * guard_pass_on - pass the message in FD (from offset 0) on to TARGET
 * unchanged, with envelope sender SENDER ("" for <>), through [guard]
 * sendmail (-i -f SENDER -- TARGET; no shell). Its output goes nowhere
 * (stdout is postfix's DSN text). 0 once sendmail exited 0; else -1 with
 * ERROR (DESK_ERROR_TEMP: postfix retries).
 */
int guard_pass_on(const struct desk_conf *conf, int fd, const char *sender,
    const char *target, GError **error);

#endif
