/*
 * identity.h - who sent a message, on what evidence, and what that
 * evidence allows (doc/ARCHITECTURE.md, "Who may do what").
 *
 * From: and the envelope sender are hints anyone can forge. A reply token
 * is a capability for one ticket and one role. identity_find() gathers
 * the evidence once per message, before any handler runs; identity_may()
 * is the one table that says which evidence an action needs. Handlers ask
 * it and never look a sender up again.
 */
#ifndef DESK_IDENTITY_H
#define DESK_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "mime-message.h"
#include "store.h"
#include "token.h"

/* What our own MTA's Authentication-Results said of the sender. */
enum identity_auth {
	IDENTITY_AUTH_NONE,	/* not configured, or no verdict of ours */
	IDENTITY_AUTH_PASS,	/* DMARC or SPF pass, and no fail */
	IDENTITY_AUTH_FAIL,	/* DMARC or SPF fail */
};

struct identity {
	const char *from;	/* the From address ("" if none) */
	const char *envelope;	/* the envelope sender ("" for <>) */

	/* whose registered addresses From: and the envelope are */
	int64_t from_customer;	/* 0: no customer's */
	int64_t envelope_customer;
	bool from_staff;
	bool envelope_staff;

	/* the customer the message speaks for: From's, else the envelope's
	 * when there is no From address; id 0 when none */
	struct customer customer;
	int licenses;		/* of that customer */

	/* the recipient: intake, a reply token (ticket, role), a forgery */
	struct address_info token;

	enum identity_auth auth;
	char *auth_note;	/* the verdict as read, or NULL */
};

/* The actions that need evidence, each a row of identity_may()'s table. */
enum identity_action {
	IDENTITY_OPEN_TICKET,	/* a new request opens a ticket */
	IDENTITY_PREAPPROVE_NEW, /* "Assessment: agree" in a new request */
	IDENTITY_AGREE,		/* agree to the assessment of ticket T */
	IDENTITY_CONFIRM,	/* confirm or decline a held answer of T */
	IDENTITY_COMMAND,	/* an engineer's #command on ticket T */
	IDENTITY_ACT_AS_STAFF,	/* be filed as the engineers' answer in T */
	IDENTITY_ACTION_COUNT
};

/*
 * identity_find - the evidence of M's sender: the owners of its From and
 * envelope addresses, the reply token of RECIPIENT, and (when [trust]
 * authserv_id is set) our MTA's authentication verdict. Reads the store
 * only. Free with identity_clear(). -1 on a store error.
 */
int identity_find(const struct desk_conf *conf, struct store *store,
    const struct mail *mail, const char *envelope, const char *recipient,
    struct identity *id, GError **error);
void identity_clear(struct identity *id);

/*
 * identity_may - whether ID's evidence allows ACTION on the ticket
 * TICKET of customer TICKET_CUSTOMER (both 0 for actions without a
 * ticket). When not, *WHY_R (if not NULL) says what was missing (static
 * storage).
 */
bool identity_may(const struct identity *id, enum identity_action action,
    int64_t ticket, int64_t ticket_customer, const char **why_r);

const char *identity_action_name(enum identity_action action);

/*
 * identity_speaker_customer / _staff - the customer whose registered
 * address the author is (the From address, else the envelope sender when
 * there is no From), 0 when none; whether the author is an engineer.
 */
int64_t identity_speaker_customer(const struct identity *id);
bool identity_speaker_staff(const struct identity *id);

/*
 * identity_auth_verdict - what the Authentication-Results headers of MAIL
 * written by AUTHSERV_ID say (RFC 8601): FAIL when dmarc or spf failed,
 * PASS when one passed and none failed, else NONE. Headers of any other
 * authserv-id are ignored: anybody can write one. *NOTE_R gets the
 * results read, or NULL. (transfer full)
 */
enum identity_auth identity_auth_verdict(const struct mail *mail,
    const char *authserv_id, char **note_r);

/*
 * identity_notice_address - where an automatic response to this sender
 * may go (RFC 3834 section 4): the envelope sender, when it is not null,
 * is a sendable address (address.c), the From address is one too, and the
 * two belong to the same organisation (the same domain, or one a
 * subdomain of the other's parent). NULL otherwise, with *WHY_R saying
 * why (static storage). (transfer none: points into ID)
 */
const char *identity_notice_address(const struct identity *id,
    const char **why_r);

#endif
