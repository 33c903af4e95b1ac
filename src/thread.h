/*
 * thread.h - which ticket a message belongs to.
 *
 * The keys, strongest first (DESIGN.md "Addresses"): the reply address
 * LOCAL+N-TOKEN@DOMAIN with a valid token; an In-Reply-To or References
 * naming a message stored or sent for a ticket, from that ticket's
 * customer (or staff); a subject tag "[#N]", only when both the From
 * address and the envelope sender are that ticket's customer's (or an
 * engineer's own). A wrong token never threads, a token threads only in
 * the role it was made for, and nothing here writes to the store. Who
 * owns the From and envelope addresses comes from identity.c; nothing
 * here looks a sender up again.
 */
#ifndef DESK_THREAD_H
#define DESK_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "identity.h"
#include "intake.h"

enum thread_rule {
	THREAD_NEW,		/* no key: a new request */
	THREAD_REPLY_ADDRESS,	/* a valid reply token */
	THREAD_MESSAGE_ID,	/* In-Reply-To/References */
	THREAD_SUBJECT_TAG,	/* [#N] */
	THREAD_BOUNCE,		/* a report naming one of our notices */
};

struct thread_ref {
	int64_t ticket;		/* 0: none */
	enum thread_rule rule;
	int64_t notice;		/* THREAD_BOUNCE: the outbox item, or 0 */
	enum token_role role;	/* THREAD_REPLY_ADDRESS: the token's role */
	char *note;		/* what decided, or why a key was not trusted */
	bool refused;		/* a key was there but not trusted */
	bool bad_token;		/* ... and it was a reply address's token */
};

const char *thread_rule_name(enum thread_rule rule);

/*
 * thread_find - the ticket of M from sender ID. Robots are threaded only
 * by our own keys (the reply address, a notice's Message-ID): a bounce is
 * matched to the notice it reports (M's bounce scan, made before the
 * transaction). A bounce token threads only robots; people's mail to it
 * is refused like a forged token. Free REF with thread_ref_clear(). -1 on
 * a store error.
 */
int thread_find(struct intake *in, const struct intake_mail *m,
    const struct identity *id, struct thread_ref *ref, GError **error);
void thread_ref_clear(struct thread_ref *ref);

/*
 * thread_subject_tag - the N of the first "[#N]" in SUBJECT, or 0.
 * Prefixes ("Re: Fwd: AW: Отв:") and blanks inside the brackets do not
 * matter.
 */
int64_t thread_subject_tag(const char *subject);

/* thread_author - the address that speaks for M: From, else the envelope. */
const char *thread_author(const struct intake_mail *m);

#endif
