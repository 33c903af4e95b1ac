/*
 * thread.c - find the ticket a message belongs to.
 *
 * Spoofing a From: address is easy; guessing a 64-bit token is not. So the
 * weaker the key, the more it asks of the sender: a token is enough on its
 * own; a Message-ID of ours must come from the ticket's customer (or an
 * engineer); a subject tag also wants the envelope sender to be the
 * customer's, which a stranger forging the From: line does not have.
 */
#include "config.h"

#include <string.h>

#include "bounce.h"
#include "thread.h"
#include "token.h"

static const char *const rule_names[] = {
	[THREAD_NEW] = "new",
	[THREAD_REPLY_ADDRESS] = "reply-address",
	[THREAD_MESSAGE_ID] = "message-id",
	[THREAD_SUBJECT_TAG] = "subject-tag",
	[THREAD_BOUNCE] = "bounce",
};

const char *
thread_rule_name(enum thread_rule rule)
{
	return rule_names[rule];
}

void
thread_ref_clear(struct thread_ref *ref)
{
	g_free(ref->note);
	memset(ref, 0, sizeof(*ref));
}

const char *
thread_author(const struct intake_mail *m)
{
	if (*m->mail->from_addr != '\0')
		return m->mail->from_addr;
	return m->sender ? m->sender : "";
}

int64_t
thread_subject_tag(const char *subject)
{
	const char *p = subject;

	while ((p = strstr(p, "[#")) != NULL) {
		const char *q = p + 2;
		int64_t n = 0;
		int digits = 0;

		while (*q == ' ')
			q++;
		while (g_ascii_isdigit(*q) && digits < 12) {
			n = n * 10 + (*q++ - '0');
			digits++;
		}
		while (*q == ' ')
			q++;
		if (digits > 0 && digits < 12 && *q == ']' && n > 0)
			return n;
		p += 2;
	}
	return 0;
}

enum thread_whose { THREAD_NOBODY, THREAD_CUSTOMER, THREAD_STAFF };

/* Whose is the author of ID's message to a ticket of CUSTOMER_ID? */
static enum thread_whose
thread_whose(const struct identity *id, int64_t customer_id)
{
	if (identity_speaker_customer(id) == customer_id)
		return THREAD_CUSTOMER;
	return identity_speaker_staff(id) ? THREAD_STAFF : THREAD_NOBODY;
}

/* Ticket T's customer id, 0 when there is no ticket T, -1 on error. */
static int64_t
thread_ticket_customer(struct intake *in, int64_t ticket, GError **error)
{
	struct ticket *t = NULL;
	int64_t customer;
	int found = store_ticket_get(in->store, ticket, &t, error);

	if (found <= 0)
		return found;
	customer = t->customer_id;
	ticket_free(t);
	return customer;
}

/* The reports of our notices: the VERP address, then the Message-IDs. */
static int
thread_bounce(struct intake *in, const struct intake_mail *m,
    const struct address_info *addr, struct thread_ref *ref, GError **error)
{
	const struct bounce_info *info = m->bounce;
	int64_t customer;
	guint i;

	for (i = 0; info != NULL && i < info->message_ids->len; i++) {
		int64_t notice, ticket;
		int found = store_outbox_find(in->store,
		    g_ptr_array_index(info->message_ids, i), &notice, &ticket,
		    error);

		if (found < 0)
			return -1;
		if (found) {
			ref->rule = THREAD_BOUNCE;
			ref->notice = notice;
			ref->ticket = ticket;
			ref->note = bounce_reason(info);
			return 0;
		}
	}
	if (addr->kind == ADDRESS_REPLY && addr->role == TOKEN_ROLE_BOUNCE) {
		if ((customer = thread_ticket_customer(in, addr->ticket,
		    error)) < 0)
			return -1;
		if (customer > 0) {
			ref->rule = THREAD_BOUNCE;
			ref->ticket = addr->ticket;
			ref->note = info != NULL ? bounce_reason(info) :
			    g_strdup("bounce address");
		}
	}
	return 0;
}

/* In-Reply-To first, then References from the newest. */
static int
thread_message_id(struct intake *in, const struct intake_mail *m,
    const struct identity *who, bool robot, struct thread_ref *ref,
    GError **error)
{
	const struct mail *mail = m->mail;
	GPtrArray *ids = g_ptr_array_new();
	int rc = 0;
	guint i;

	if (mail->in_reply_to != NULL)
		g_ptr_array_add(ids, mail->in_reply_to);
	for (i = mail->references->len; i-- > 0;)
		g_ptr_array_add(ids, g_ptr_array_index(mail->references, i));
	for (i = 0; i < ids->len; i++) {
		const char *id = g_ptr_array_index(ids, i);
		int64_t ticket, customer;
		int64_t notice, notice_ticket;
		int found, owns, ours = 0;

		found = store_message_ticket(in->store, id, &ticket, error);
		if (found < 0 || (found && (customer = thread_ticket_customer(
		    in, ticket, error)) < 0)) {
			rc = -1;
			break;
		}
		if (!found || customer == 0)
			continue;
		owns = thread_whose(who, customer);
		/* a robot answering our own notice needs no more proof */
		if (owns == THREAD_NOBODY && robot &&
		    (ours = store_outbox_find(in->store, id, &notice,
		    &notice_ticket, error)) < 0) {
			rc = -1;
			break;
		}
		if (owns != THREAD_NOBODY || ours == 1) {
			ref->rule = THREAD_MESSAGE_ID;
			ref->ticket = ticket;
			ref->refused = false;
			g_free(ref->note);
			ref->note = g_strdup_printf("<%s>", id);
			break;
		}
		ref->refused = true;
		g_free(ref->note);
		ref->note = g_strdup_printf("<%s> is of ticket %" G_GINT64_FORMAT
		    ", whose customer %s is not", id, (gint64)ticket,
		    thread_author(m));
	}
	g_ptr_array_unref(ids);
	return rc;
}

static int
thread_subject(struct intake *in, const struct intake_mail *m,
    const struct identity *who, struct thread_ref *ref, GError **error)
{
	int64_t tag = thread_subject_tag(m->mail->subject), customer;
	const char *from = thread_author(m);

	if (tag == 0)
		return 0;
	if ((customer = thread_ticket_customer(in, tag, error)) < 0)
		return -1;
	if (customer == 0)
		return 0;
	/*
	 * A forged From: comes with the forger's own envelope sender, so
	 * both must be the customer's; an engineer's envelope must be his
	 * From. (Not "the same domain": on gmail.com that is anybody.)
	 */
	if ((identity_speaker_customer(who) == customer &&
	    who->envelope_customer == customer) ||
	    identity_may(who, IDENTITY_ACT_AS_STAFF, tag, customer, NULL)) {
		ref->rule = THREAD_SUBJECT_TAG;
		ref->ticket = tag;
		ref->refused = false;
		g_free(ref->note);
		ref->note = g_strdup_printf("[#%" G_GINT64_FORMAT "]",
		    (gint64)tag);
		return 0;
	}
	ref->refused = true;
	g_free(ref->note);
	ref->note = g_strdup_printf("[#%" G_GINT64_FORMAT "] from %s "
	    "(envelope %s): not that ticket's customer", (gint64)tag, from,
	    *m->sender ? m->sender : "<>");
	return 0;
}

int
thread_find(struct intake *in, const struct intake_mail *m,
    const struct identity *id, struct thread_ref *ref, GError **error)
{
	bool robot = m->class->class != MAIL_CLASS_HUMAN;
	const struct address_info *a = &id->token;
	struct address_info addr = *a;

	memset(ref, 0, sizeof(*ref));
	if (m->class->class == MAIL_CLASS_BOUNCE)
		return thread_bounce(in, m, &addr, ref, error);
	/* the VERP token of a notice is for its reports, never a reply key */
	if (addr.kind == ADDRESS_REPLY && addr.role == TOKEN_ROLE_BOUNCE &&
	    !robot) {
		ref->refused = true;
		ref->bad_token = true;
		ref->note = g_strdup_printf("%s: a notice's bounce address "
		    "is no reply address", m->recipient);
		return 0;
	}
	if (addr.kind == ADDRESS_REPLY) {
		int64_t customer = thread_ticket_customer(in, addr.ticket,
		    error);

		if (customer < 0)
			return -1;
		if (customer > 0) {
			ref->rule = THREAD_REPLY_ADDRESS;
			ref->ticket = addr.ticket;
			ref->role = addr.role;
			ref->note = g_strdup(m->recipient);
			return 0;
		}
	}
	if (addr.kind == ADDRESS_FORGED ||
	    (addr.kind == ADDRESS_REPLY && ref->ticket == 0)) {
		/* a wrong token never threads, by any other key either */
		ref->refused = true;
		ref->bad_token = true;
		ref->note = g_strdup_printf("%s: no valid reply token",
		    m->recipient);
		return 0;
	}
	if (thread_message_id(in, m, id, robot, ref, error) < 0)
		return -1;
	if (ref->ticket > 0 || robot)
		return 0;
	return thread_subject(in, m, id, ref, error);
}
