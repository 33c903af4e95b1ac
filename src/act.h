/*
 * act.h - what an engineer's reply, a customer's confirmation and bought
 * credits do to a ticket, by the transition table of ticket-life.c and
 * the prices of policy.c, as a plan (plan.h) to be written in one
 * transaction. The mail path (intake.c) and deskctl use the same code.
 *
 * Every function here reads the store and writes nothing: the caller
 * builds the plan's notices and applies it under the lock.
 */
#ifndef DESK_ACT_H
#define DESK_ACT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "plan.h"
#include "store.h"

/* An engineer's reply to ticket T (or the operator's, by deskctl). */
struct act_reply {
	const struct ticket *ticket;
	const struct staff *engineer;	/* id 0: the operator */
	const char *text;		/* the new text: commands, answer */
	const char *commands;		/* NULL: read from TEXT's top; else
					 * the commands, and TEXT all answer
					 * (deskctl's options) */
	const char *message_id;		/* of the engineer's mail, or NULL */
	GPtrArray *attachments;		/* struct notice_attachment *, NULL */
};

/* What act_reply() made of it. */
struct act_outcome {
	bool note;			/* internal: stored, never sent */
	bool refused;			/* errors: nothing but the error notice */
	char *errors;			/* the errors, one a line, or NULL */
	char *summary;			/* for the log line and the CLI */
};

void act_outcome_clear(struct act_outcome *o);

/*
 * act_reply - plan what R does. With errors (unknown, malformed or not
 * allowed commands) nothing reaches the customer: the plan holds only a
 * command-error notice to the engineer (none for the operator, whose
 * errors are in OUT->errors). -1 only on a store error.
 */
int act_reply(const struct desk_conf *conf, struct store *store,
    const struct act_reply *r, struct plan *plan, struct act_outcome *out,
    GError **error);

/*
 * act_confirm - the customer's CONFIRM (true) or decline (false) of the
 * pending confirmation C of ticket T. The caller has checked the
 * evidence (identity_may IDENTITY_CONFIRM) and that C is T's pending one.
 */
int act_confirm(const struct desk_conf *conf, struct store *store,
    const struct ticket *t, const struct confirmation *c, bool confirm,
    const char *message_id, struct plan *plan, GError **error);

/*
 * act_credits_added - ticket T awaits credits and the customer's balance
 * is now BALANCE: charge and release when it covers. *RESUMED_R says
 * whether it did.
 */
int act_credits_added(const struct desk_conf *conf, struct store *store,
    const struct ticket *t, int64_t balance, struct plan *plan,
    bool *resumed_r, GError **error);

/*
 * act_announce - tell the engineers ([staff] notify and the ticket's
 * engineer) of the customer's message in ticket T: NEW_TEXT and
 * FULL_TEXT, MARKS ("" or why it is suspicious), answering MESSAGE_ID.
 */
int act_announce(const struct desk_conf *conf, struct store *store,
    const struct ticket *t, const char *new_text, const char *full_text,
    const char *marks, const char *message_id, struct plan *plan,
    GError **error);

/* The templates act.c sends and their variables (deskctl check-config). */
struct act_notice {
	const char *name;
	const char *const *vars;
};
const struct act_notice *act_notices(void);

#endif
