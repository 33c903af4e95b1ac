/*
 * store.h - the SQLite store: connection, transactions and the rows of
 * every table (customers, addresses, licenses, staff, the credit ledger,
 * tickets, messages, attachments, the outbox and the audit log).
 *
 * One short-lived process per mail and many at once: every write runs in
 * BEGIN IMMEDIATE with a busy timeout, and every failure is classified
 * (DESK_ERROR_TEMP for what may go away: busy, I/O, full disk).
 * Times are seconds since the epoch, UTC.
 */
#ifndef DESK_STORE_H
#define DESK_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define STORE_SCHEMA_VERSION 6

struct store;

/*
 * store_open - open the database at PATH. With CREATE the file is made
 * if missing (only "deskctl init" does that). The schema version is not
 * checked here: see store_check_version() and store_migrate().
 * (transfer full)
 */
struct store *store_open(const char *path, int busy_timeout_ms, bool create,
    GError **error);
/*
 * store_open_readonly - the same, read-only (the policy service): no
 * pragma is set that would write.
 */
struct store *store_open_readonly(const char *path, int busy_timeout_ms,
    GError **error);
void store_close(struct store *store);

/* store_migrate - bring the schema to STORE_SCHEMA_VERSION. */
int store_migrate(struct store *store, GError **error);

/*
 * store_check_version - fail (DESK_ERROR_CONFIG: the operator's to fix;
 * deskgate defers the mail meanwhile) unless the schema is the one this
 * binary was built for.
 */
int store_check_version(struct store *store, GError **error);

/*
 * Transactions: store_begin() is BEGIN IMMEDIATE. Inside a batch they
 * are a savepoint instead: store_rollback() undoes that one message's
 * writes, and nothing is durable before store_batch_commit().
 */
int store_begin(struct store *store, GError **error);
int store_commit(struct store *store, GError **error);
void store_rollback(struct store *store);

/*
 * store_batch_begin, store_batch_commit, store_batch_rollback - group
 * commit (deskgate-lmtpd): one BEGIN IMMEDIATE ... COMMIT, one fsync,
 * around the transactions of several messages. store_batch_is_broken -
 * SQLite rolled the whole batch back itself (a full disk, an I/O error):
 * what was done in it is gone, and store_batch_commit fails.
 */
int store_batch_begin(struct store *store, GError **error);
int store_batch_commit(struct store *store, GError **error);
void store_batch_rollback(struct store *store);
bool store_batch_is_broken(const struct store *store);

/*
 * store_data_version - SQLite's data_version: the same number twice on
 * one connection means no other connection has committed in between.
 */
int store_data_version(struct store *store, int64_t *version_r,
    GError **error);

/* store_integrity_check - PRAGMA integrity_check is "ok". */
int store_integrity_check(struct store *store, GError **error);

/* ---- customers, licenses, staff ---- */

struct customer {
	int64_t id;
	char *email;
	char *name;
	char *lang;
	bool preapprove;
};

void customer_clear(struct customer *c);

/* store_customer_add - a customer and its first address. Returns the id. */
int64_t store_customer_add(struct store *store, const char *email,
    const char *name, const char *lang, bool preapprove, GError **error);

/*
 * store_customer_find - the customer one of whose addresses is ADDRESS.
 * Returns 1 and fills C, 0 when there is none, -1 on error.
 */
int store_customer_find(struct store *store, const char *address,
    struct customer *c, GError **error);
int store_customer_get(struct store *store, int64_t id, struct customer *c,
    GError **error);

/*
 * store_customer_find_domain - the customer a whole mail DOMAIN is
 * registered for (the guard counts any address there as the customer's):
 * 1 and *C, 0 when none, -1 on error.
 */
int store_customer_find_domain(struct store *store, const char *domain,
    struct customer *c, GError **error);
int store_domain_add(struct store *store, int64_t customer_id,
    const char *domain, GError **error);

int store_address_add(struct store *store, int64_t customer_id,
    const char *address, GError **error);
/* store_address_list - the customer's addresses. (transfer full) */
char **store_address_list(struct store *store, int64_t customer_id,
    GError **error);

int64_t store_license_add(struct store *store, int64_t customer_id,
    const char *product, const char *kind, int credits, GError **error);
/* Licenses of a customer (all products when PRODUCT is NULL); -1 on error. */
int store_license_count(struct store *store, int64_t customer_id,
    const char *product, GError **error);

int64_t store_staff_add(struct store *store, const char *email,
    const char *name, GError **error);
/* 1 when ADDRESS is staff, 0 when not, -1 on error. */
int store_staff_find(struct store *store, const char *address,
    GError **error);

/* ---- the credit ledger (append-only; the balance is the sum) ---- */

struct ledger_entry {
	int64_t id;
	int delta;
	char *reason;
	int64_t ticket_id;	/* 0: none */
	int64_t license_id;	/* 0: none */
	int price_cents;	/* -1: none */
	int64_t created;
	char *reference;	/* a purchase's payment id; NULL: none */
	int64_t customer_id;
};

/* ledger_entry_clear - free what E holds (not E itself); E may be zeroed. */
void ledger_entry_clear(struct ledger_entry *e);

int64_t store_ledger_add(struct store *store, int64_t customer_id,
    int delta, const char *reason, int64_t ticket_id, int64_t license_id,
    int price_cents, GError **error);
/*
 * store_ledger_add_purchase - a purchase of DELTA credits at PRICE_CENTS,
 * recorded once: REFERENCE is its payment's id in the billing system,
 * unique in the whole ledger. When a row holds REFERENCE already,
 * nothing is written and that row is put into *seen_r (ledger_entry_clear
 * it): the caller decides whether it is the same purchase (same customer,
 * DELTA and price) or another one's. Call it inside store_begin's write
 * transaction, so that the lookup and the insert are one step for every
 * other process. Returns the new row's id, 0 when REFERENCE was there,
 * -1 on error.
 */
int64_t store_ledger_add_purchase(struct store *store, int64_t customer_id,
    int delta, const char *reason, int price_cents, const char *reference,
    struct ledger_entry *seen_r, GError **error);
/*
 * store_ledger_by_reference - the row that recorded REFERENCE: 1 and
 * *entry_r filled (ledger_entry_clear it), 0 when there is none, -1 on
 * error.
 */
int store_ledger_by_reference(struct store *store, const char *reference,
    struct ledger_entry *entry_r, GError **error);
/* Returns 0 and sets *balance_r, or -1. */
int store_ledger_balance(struct store *store, int64_t customer_id,
    int64_t *balance_r, GError **error);
/* An array of struct ledger_entry *, oldest first. (transfer full) */
GPtrArray *store_ledger_list(struct store *store, int64_t customer_id,
    GError **error);

/* ---- tickets, messages, attachments ---- */

struct ticket {
	int64_t id;
	int64_t customer_id;
	char *customer_email;
	char *subject;
	char *status;
	int category;		/* 0: not assessed yet */
	int charged;
	bool preapproved;
	char *lang;
	char *flags;
	int messages;
	int64_t created;
	int64_t updated;
	int64_t engineer_id;	/* the engineer who answered; 0: none */
};

void ticket_free(struct ticket *t);

int64_t store_ticket_add(struct store *store, int64_t customer_id,
    const char *subject, const char *status, bool preapproved,
    const char *lang, const char *flags, GError **error);
/*
 * store_ticket_add_as - the same with the ticket number ID (0: the next
 * one), so a notice built before the transaction can name its ticket.
 */
int64_t store_ticket_add_as(struct store *store, int64_t id,
    int64_t customer_id, const char *subject, const char *status,
    bool preapproved, const char *lang, const char *flags, GError **error);
/* The customer's newest ticket that is not closed, 0: none; -1 on error. */
int64_t store_ticket_open_of(struct store *store, int64_t customer_id,
    GError **error);
/* The number the next ticket will get; -1 on error. */
int64_t store_ticket_next_id(struct store *store, GError **error);
/* 1 and a ticket in *T_R (transfer full), 0 when none, -1 on error. */
int store_ticket_get(struct store *store, int64_t id, struct ticket **t_r,
    GError **error);
/* Set the status of ticket ID (and its time of change). */
int store_ticket_set_status(struct store *store, int64_t id,
    const char *status, GError **error);
/* The customer agreed to the assessment of ticket ID in advance. */
int store_ticket_set_preapproved(struct store *store, int64_t id,
    GError **error);
/* An array of struct ticket *, by id. (transfer full) */
GPtrArray *store_ticket_list(struct store *store, GError **error);

/* What deskgate knows of one message it stores or sends. */
struct message_new {
	int64_t ticket_id;	/* 0: none (stranger, quarantine) */
	const char *direction;	/* "in" or "out" */
	const char *author;	/* customer, staff, stranger, system, robot */
	const char *message_id;	/* without <>, may be NULL */
	const char *dedup_key;	/* may be NULL for outbound */
	const char *envelope_from;
	const char *recipient;
	const char *from_addr;
	const char *subject;
	const char *class;	/* human, autoreply, bounce, list, loop */
	const char *flags;	/* "" or e.g. "malformed" */
	const char *text;	/* UTF-8 text of the whole body */
	const char *reply_text;	/* the new text only (quotes cut), or NULL */
	const char *language;	/* en, ru, other, unknown; NULL */
	const char *fingerprint; /* sender and content, for loops; NULL */
	int raw_fd;		/* -1: no raw copy */
	int64_t raw_size;
};

struct message {
	int64_t id;
	int64_t ticket_id;
	char *direction;
	char *author;
	char *message_id;
	char *from_addr;
	char *recipient;
	char *subject;
	char *class;
	char *flags;
	char *text;
	char *reply_text;	/* NULL: the same as text */
	char *language;
	int64_t size;
	int64_t created;
};

void message_free(struct message *m);

int64_t store_message_add(struct store *store, const struct message_new *m,
    GError **error);
/* 1 when a message with DEDUP_KEY is stored, 0 when not, -1 on error. */
int store_message_seen(struct store *store, const char *dedup_key,
    GError **error);
/* Ticket of a stored or sent Message-ID: 1 and *TICKET_R, 0, or -1. */
int store_message_ticket(struct store *store, const char *message_id,
    int64_t *ticket_r, GError **error);
/*
 * Inbound messages with this From address and this envelope sender (any
 * case) stored since SINCE; -1 on error.
 */
int store_message_count_sender(struct store *store, const char *from_addr,
    const char *envelope, int64_t since, GError **error);
/* Inbound messages with FINGERPRINT stored since SINCE; -1 on error. */
int store_message_count_fingerprint(struct store *store,
    const char *fingerprint, int64_t since, GError **error);
/* Inbound messages stored with MESSAGE_ID for RECIPIENT; -1 on error. */
int store_message_id_stored(struct store *store, const char *message_id,
    const char *recipient, GError **error);
/* Messages of a ticket (TICKET 0: those of no ticket). (transfer full) */
GPtrArray *store_message_list(struct store *store, int64_t ticket_id,
    GError **error);
/*
 * store_message_list_suppressed - messages whose flags hold the word
 * "suppressed" (robot-classed mail from a license owner), filed in a
 * ticket or not, oldest first. (transfer full)
 */
GPtrArray *store_message_list_suppressed(struct store *store,
    GError **error);

/* Store SIZE bytes read from FD (at its current offset) as an attachment. */
int64_t store_attachment_add(struct store *store, int64_t message_row,
    const char *filename, const char *content_type, int fd, int64_t size,
    GError **error);

struct attachment {
	int64_t id;
	char *filename;
	char *content_type;
	int64_t size;
};

void attachment_free(struct attachment *a);
GPtrArray *store_attachment_list(struct store *store, int64_t message_row,
    GError **error);

/* ---- the outbox ---- */

struct outbox_new {
	int64_t ticket_id;	/* 0: none */
	const char *kind;	/* ack, stranger, ... */
	const char *env_from;
	const char *rcpt;
	const char *subject;
	const char *reply_to;
	const char *message_id;
	const char *text;	/* the body, for people */
	GBytes *raw;		/* the whole message, CRLF */
	const char *status;	/* NULL: "queued"; "held": an answer that
				 * waits for a confirmation or credits */
};

struct outbox_item {
	int64_t id;
	int64_t ticket_id;
	char *kind;
	char *env_from;
	char *rcpt;
	char *subject;
	char *reply_to;
	char *message_id;
	char *text;
	GBytes *raw;
	char *status;
	int attempts;
	int64_t next_attempt;
	char *last_error;
	int64_t created;
};

void outbox_item_free(struct outbox_item *o);

int64_t store_outbox_add(struct store *store, const struct outbox_new *o,
    GError **error);
/* Everything in the outbox, oldest first. (transfer full) */
GPtrArray *store_outbox_list(struct store *store, GError **error);
/*
 * store_outbox_due - items queued whose time has come, and items left in
 * "sending" by a runner that died more than LEASE seconds ago.
 */
GPtrArray *store_outbox_due(struct store *store, int64_t now, int lease,
    GError **error);
/* What store_outbox_claim() did. */
enum outbox_claim {
	OUTBOX_CLAIM_ERROR = -1,	/* the store failed: ERROR is set */
	OUTBOX_CLAIMED = 0,		/* ours: "sending", one attempt more */
	OUTBOX_CLAIM_LOST = 1,		/* sent, failed or gone meanwhile */
};

/*
 * store_outbox_claim - mark item ID "sending", one attempt more,
 * next_attempt NOW, before it goes out, if it is still due: "queued" with
 * next_attempt <= NOW, or "sending" claimed more than LEASE seconds
 * before NOW (its runner died). The condition is in the UPDATE itself,
 * so two runners can never both claim one item. OUTBOX_CLAIM_LOST
 * changes nothing: leave the item alone (sent, failed, or claimed by
 * another runner since it was read).
 */
enum outbox_claim store_outbox_claim(struct store *store, int64_t id,
    int64_t now, int lease, GError **error);

/*
 * What the runner's verdict on a claimed item did. The runner only moves
 * an item out of "sending": a bounce may have marked it "failed" between
 * the relay's 250 and our commit, and that verdict stands.
 */
enum outbox_mark {
	OUTBOX_MARK_ERROR = -1,		/* the store failed: ERROR is set */
	OUTBOX_MARKED = 0,		/* was "sending", now moved */
	OUTBOX_MARK_LOST = 1,		/* no longer "sending": unchanged */
};

/* store_outbox_sent - "sending" to "sent" at NOW. */
enum outbox_mark store_outbox_sent(struct store *store, int64_t id,
    int64_t now, GError **error);
/* store_outbox_retry - "sending" back to "queued", due at WHEN. */
enum outbox_mark store_outbox_retry(struct store *store, int64_t id,
    int64_t when, const char *why, GError **error);
/* store_outbox_give_up - "sending" to "failed" because of WHY. */
enum outbox_mark store_outbox_give_up(struct store *store, int64_t id,
    const char *why, GError **error);
/*
 * store_outbox_failed - mark an item "failed" whatever its state (a
 * bounce says it did not arrive): 0, 1 when there is no such item, -1.
 */
int store_outbox_failed(struct store *store, int64_t id, const char *why,
    GError **error);
/* Queue a failed or waiting item again, due at NOW; 1 if not there. */
int store_outbox_requeue(struct store *store, int64_t id, int64_t now,
    GError **error);
/*
 * store_outbox_find - the outbox item whose Message-ID is MESSAGE_ID:
 * 1 with its id and ticket, 0 when none, -1 on error.
 */
int store_outbox_find(struct store *store, const char *message_id,
    int64_t *id_r, int64_t *ticket_r, GError **error);
/* Notices of KIND to RCPT queued since SINCE: a count, or -1. */
int store_outbox_recent(struct store *store, const char *kind,
    const char *rcpt, int64_t since, GError **error);

/* ---- the engineers' side (store-life.c) ---- */

struct staff {
	int64_t id;
	char *email;
	char *name;		/* may be NULL */
};

void staff_clear(struct staff *s);
/* "cs-cart first, multi-vendor additional": the customer's licenses
 * ("" when none). (transfer full) NULL on error. */
char *store_license_summary(struct store *store, int64_t customer_id,
    GError **error);
/* The engineer registered as ADDRESS (or with ID): 1 and *S, 0, -1. */
int store_staff_get(struct store *store, const char *address,
    struct staff *s, GError **error);
int store_staff_get_id(struct store *store, int64_t id, struct staff *s,
    GError **error);

/*
 * store_ticket_assess - the ticket's category (0: none, as for a
 * security report) and the credits charged for it so far.
 */
int store_ticket_assess(struct store *store, int64_t id, int category,
    int charged, GError **error);
int store_ticket_set_engineer(struct store *store, int64_t id,
    int64_t staff_id, GError **error);
int store_ticket_set_flags(struct store *store, int64_t id,
    const char *flags, GError **error);
/* The customer's tickets awaiting credits, oldest first (int64_t
 * in a GArray). (transfer full) */
GArray *store_ticket_awaiting_credits(struct store *store,
    int64_t customer_id, GError **error);
/*
 * store_ticket_last_customer_message - the Message-ID of the customer's
 * newest message in ticket ID: 1 and *MESSAGE_ID_R (transfer full), 0
 * when none, -1 on error.
 */
int store_ticket_last_customer_message(struct store *store, int64_t id,
    char **message_id_r, GError **error);

struct confirmation {
	int64_t id;		/* the serial in the notice's reply address */
	int64_t ticket_id;
	int category;
	int credits;		/* to be charged on confirmation */
	char status[16];	/* pending, confirmed, declined, superseded */
};

/* The number the next confirmation will get; -1 on error. */
int64_t store_confirmation_next_id(struct store *store, GError **error);
int store_confirmation_add(struct store *store, int64_t id, int64_t ticket,
    int category, int credits, GError **error);
/* 1 and *C, 0 when there is none, -1 on error. */
int store_confirmation_get(struct store *store, int64_t id,
    struct confirmation *c, GError **error);
int store_confirmation_pending(struct store *store, int64_t ticket,
    struct confirmation *c, GError **error);
/*
 * store_confirmation_decide - "pending" to STATUS: 1 when it was
 * pending, 0 when not (decided before: nothing changed), -1 on error.
 */
int store_confirmation_decide(struct store *store, int64_t id,
    const char *status, GError **error);
/*
 * Every pending confirmation of TICKET is superseded, and its notice
 * cancelled if it is still queued.
 */
int store_confirmation_supersede(struct store *store, int64_t ticket,
    GError **error);

/*
 * store_outbox_release / _cancel - the held items of TICKET queued (due
 * at NOW) or cancelled (because of WHY); the count, or -1.
 */
int store_outbox_release(struct store *store, int64_t ticket, int64_t now,
    GError **error);
int store_outbox_cancel(struct store *store, int64_t ticket, const char *why,
    GError **error);
/* Held items of TICKET: a count, or -1. */
int store_outbox_held(struct store *store, int64_t ticket, GError **error);

/* ---- the audit log ---- */

int store_audit(struct store *store, const char *actor, const char *action,
    int64_t ticket_id, const char *detail, GError **error);

/* ---- for tests: fault injection ---- */

/*
 * store_fault_point - in a build configured with --enable-fault-injection
 * (DESK_FAULT_INJECTION in config.h): if the environment variable
 * DESKGATE_FAULT names POINT, kill the process on the spot (SIGKILL), as
 * a crash or the OOM killer would; "POINT:N" kills the N-th time the
 * process reaches POINT. Used by the crash-consistency tests.
 * In any other build it is an empty inline function: the environment
 * variable is never read, and no fault code is in the binary.
 */
#ifdef DESK_FAULT_INJECTION
void store_fault_point(const char *point);
#else
static inline void
store_fault_point(const char *point)
{
	(void)point;
}
#endif

#endif
