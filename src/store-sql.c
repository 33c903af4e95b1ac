/*
 * store-sql.c - the text of every statement the programs run.
 *
 * Times are bound by the caller (tests can pin them); "now" in SQL is
 * used only where the store itself stamps a row.
 */
#include "config.h"

#include <glib.h>

#include "store-sql.h"

#define NOW "CAST(strftime('%s', 'now') AS INTEGER)"

static const char *const store_sql[SQL_COUNT] = {
	[SQL_CUSTOMER_INSERT] =
	    "INSERT INTO customers (email, name, lang, preapprove, created)"
	    " VALUES (?1, ?2, ?3, ?4, " NOW ")",
	[SQL_CUSTOMER_BY_ADDRESS] =
	    "SELECT c.id, c.email, c.name, c.lang, c.preapprove"
	    " FROM customer_addresses a JOIN customers c"
	    " ON c.id = a.customer_id WHERE a.address = ?1",
	[SQL_CUSTOMER_BY_ID] =
	    "SELECT id, email, name, lang, preapprove FROM customers"
	    " WHERE id = ?1",
	[SQL_DOMAIN_INSERT] =
	    "INSERT INTO customer_domains (domain, customer_id) VALUES (?1, ?2)",
	[SQL_CUSTOMER_BY_DOMAIN] =
	    "SELECT c.id, c.email, c.name, c.lang, c.preapprove"
	    " FROM customer_domains d JOIN customers c"
	    " ON c.id = d.customer_id WHERE d.domain = ?1",
	[SQL_ADDRESS_INSERT] =
	    "INSERT INTO customer_addresses (address, customer_id)"
	    " VALUES (?1, ?2)",
	[SQL_ADDRESS_LIST] =
	    "SELECT address FROM customer_addresses WHERE customer_id = ?1"
	    " ORDER BY rowid",
	[SQL_LICENSE_INSERT] =
	    "INSERT INTO licenses (customer_id, product, kind, credits,"
	    " created) VALUES (?1, ?2, ?3, ?4, " NOW ")",
	[SQL_LICENSE_COUNT] =
	    "SELECT count(*) FROM licenses WHERE customer_id = ?1",
	[SQL_LICENSE_COUNT_PRODUCT] =
	    "SELECT count(*) FROM licenses WHERE customer_id = ?1"
	    " AND product = ?2",
	[SQL_STAFF_INSERT] =
	    "INSERT INTO staff (email, name, created) VALUES (?1, ?2, " NOW ")",
	[SQL_STAFF_BY_ADDRESS] =
	    "SELECT id FROM staff WHERE email = ?1",
	[SQL_LEDGER_INSERT] =
	    "INSERT INTO ledger (customer_id, delta, reason, ticket_id,"
	    " license_id, price_cents, reference, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, " NOW ")",
	[SQL_LEDGER_BY_REFERENCE] =
	    "SELECT id, delta, reason, ticket_id, license_id, price_cents,"
	    " created, reference, customer_id FROM ledger WHERE reference = ?1",
	[SQL_LEDGER_BALANCE] =
	    "SELECT coalesce(sum(delta), 0) FROM ledger WHERE customer_id = ?1",
	[SQL_LEDGER_LIST] =
	    "SELECT id, delta, reason, ticket_id, license_id, price_cents,"
	    " created, reference, customer_id FROM ledger"
	    " WHERE customer_id = ?1 ORDER BY id",
	[SQL_TICKET_INSERT] =
	    "INSERT INTO tickets (id, customer_id, subject, status, preapproved,"
	    " lang, flags, created, updated)"
	    " VALUES (?7, ?1, ?2, ?3, ?4, ?5, ?6, " NOW ", " NOW ")",
	[SQL_TICKET_OPEN_OF_CUSTOMER] =
	    "SELECT coalesce(max(id), 0) FROM tickets WHERE customer_id = ?1"
	    " AND status <> 'closed'",
	[SQL_TICKET_NEXT_ID] =
	    "SELECT coalesce(max(id), 0) + 1 FROM tickets",
	[SQL_TICKET_BY_ID] =
	    "SELECT t.id, t.customer_id, c.email, t.subject, t.status,"
	    " t.category, t.charged, t.preapproved, t.lang, t.flags,"
	    " (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id),"
	    " t.created, t.updated, coalesce(t.engineer_id, 0)"
	    " FROM tickets t JOIN customers c ON c.id = t.customer_id"
	    " WHERE t.id = ?1",
	[SQL_TICKET_LIST] =
	    "SELECT t.id, t.customer_id, c.email, t.subject, t.status,"
	    " t.category, t.charged, t.preapproved, t.lang, t.flags,"
	    " (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id),"
	    " t.created, t.updated, coalesce(t.engineer_id, 0)"
	    " FROM tickets t JOIN customers c ON c.id = t.customer_id"
	    " ORDER BY t.id",
	[SQL_TICKET_SET_STATUS] =
	    "UPDATE tickets SET status = ?2, updated = " NOW " WHERE id = ?1",
	[SQL_TICKET_SET_PREAPPROVED] =
	    "UPDATE tickets SET preapproved = 1, updated = " NOW
	    " WHERE id = ?1",
	[SQL_MESSAGE_INSERT] =
	    "INSERT INTO messages (ticket_id, direction, author, message_id,"
	    " dedup_key, envelope_from, recipient, from_addr, subject, class,"
	    " flags, text, reply_text, language, size, fingerprint, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " ?14, ?15, ?13, ?16, " NOW ")",
	[SQL_MESSAGE_RAW_INSERT] =
	    "INSERT INTO message_raw (message_row, raw) VALUES (?1, zeroblob(?2))",
	[SQL_MESSAGE_BY_DEDUP] =
	    "SELECT id FROM messages WHERE dedup_key = ?1",
	[SQL_MESSAGE_BY_MESSAGE_ID] =
	    "SELECT ticket_id FROM messages WHERE message_id = ?1"
	    " AND ticket_id IS NOT NULL ORDER BY id LIMIT 1",
	[SQL_MESSAGE_COUNT_SENDER] =
	    "SELECT count(*) FROM messages WHERE direction = 'in'"
	    " AND from_addr = lower(?1) AND lower(envelope_from) = lower(?2)"
	    " AND created >= ?3",
	[SQL_MESSAGE_COUNT_FINGERPRINT] =
	    "SELECT count(*) FROM messages WHERE fingerprint = ?1"
	    " AND created >= ?2",
	[SQL_MESSAGE_ID_STORED] =
	    "SELECT count(*) FROM messages WHERE message_id = ?1"
	    " AND direction = 'in' AND lower(recipient) = lower(?2)",
	[SQL_MESSAGE_LIST_BY_TICKET] =
	    "SELECT id, ticket_id, direction, author, message_id, from_addr,"
	    " recipient, subject, class, flags, text, size, created,"
	    " reply_text, language"
	    " FROM messages WHERE ticket_id = ?1 ORDER BY id",
	[SQL_MESSAGE_LIST_UNFILED] =
	    "SELECT id, ticket_id, direction, author, message_id, from_addr,"
	    " recipient, subject, class, flags, text, size, created,"
	    " reply_text, language"
	    " FROM messages WHERE ticket_id IS NULL ORDER BY id",
	/* flags is a comma-separated list of words */
	[SQL_MESSAGE_LIST_SUPPRESSED] =
	    "SELECT id, ticket_id, direction, author, message_id, from_addr,"
	    " recipient, subject, class, flags, text, size, created,"
	    " reply_text, language"
	    " FROM messages WHERE ',' || replace(flags, ' ', '') || ','"
	    " LIKE '%,suppressed,%' ORDER BY id",
	[SQL_ATTACHMENT_INSERT] =
	    "INSERT INTO attachments (message_row, filename, content_type,"
	    " size, content) VALUES (?1, ?2, ?3, ?4, zeroblob(?4))",
	[SQL_ATTACHMENT_LIST] =
	    "SELECT id, filename, content_type, size FROM attachments"
	    " WHERE message_row = ?1 ORDER BY id",
	[SQL_OUTBOX_INSERT] =
	    "INSERT INTO outbox (ticket_id, kind, env_from, rcpt, subject,"
	    " reply_to, message_id, text, raw, status, next_attempt, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, " NOW ", "
	    NOW ")",
	[SQL_OUTBOX_LIST] =
	    "SELECT id, ticket_id, kind, env_from, rcpt, subject, reply_to,"
	    " message_id, text, NULL, status, attempts, next_attempt,"
	    " last_error, created FROM outbox ORDER BY id",
	[SQL_OUTBOX_DUE] =
	    "SELECT id, ticket_id, kind, env_from, rcpt, subject, reply_to,"
	    " message_id, text, raw, status, attempts, next_attempt,"
	    " last_error, created FROM outbox"
	    " WHERE (status = 'queued' AND next_attempt <= ?1)"
	    " OR (status = 'sending' AND next_attempt <= ?1 - ?2)"
	    " ORDER BY id",
	/* the WHERE clause is SQL_OUTBOX_DUE's: an item another runner
	 * claimed after we read the due list is no longer ours to take */
	[SQL_OUTBOX_CLAIM] =
	    "UPDATE outbox SET status = 'sending', attempts = attempts + 1,"
	    " next_attempt = ?2 WHERE id = ?1"
	    " AND ((status = 'queued' AND next_attempt <= ?2)"
	    " OR (status = 'sending' AND next_attempt <= ?2 - ?3))",
	[SQL_OUTBOX_SENT] =
	    "UPDATE outbox SET status = 'sent', sent = ?2, last_error = NULL"
	    " WHERE id = ?1 AND status = 'sending'",
	[SQL_OUTBOX_RETRY] =
	    "UPDATE outbox SET status = 'queued', next_attempt = ?2,"
	    " last_error = ?3 WHERE id = ?1 AND status = 'sending'",
	[SQL_OUTBOX_GIVE_UP] =
	    "UPDATE outbox SET status = 'failed', last_error = ?2"
	    " WHERE id = ?1 AND status = 'sending'",
	[SQL_OUTBOX_FAILED] =
	    "UPDATE outbox SET status = 'failed', last_error = ?2"
	    " WHERE id = ?1 AND status NOT IN ('held', 'cancelled')",
	[SQL_OUTBOX_REQUEUE] =
	    "UPDATE outbox SET status = 'queued', next_attempt = ?2"
	    " WHERE id = ?1 AND status IN ('queued', 'failed')",
	[SQL_OUTBOX_RECENT_TO] =
	    "SELECT count(*) FROM outbox WHERE rcpt = ?1 AND kind = ?2"
	    " AND created >= ?3",
	[SQL_OUTBOX_BY_MESSAGE_ID] =
	    "SELECT id, ticket_id FROM outbox WHERE message_id = ?1",
	[SQL_LICENSE_SUMMARY] =
	    "SELECT group_concat(product || ' ' || kind, ', ') FROM"
	    " (SELECT product, kind FROM licenses WHERE customer_id = ?1"
	    " ORDER BY id)",
	[SQL_STAFF_GET_BY_ADDRESS] =
	    "SELECT id, email, name FROM staff WHERE email = ?1",
	[SQL_STAFF_GET_BY_ID] =
	    "SELECT id, email, name FROM staff WHERE id = ?1",
	[SQL_TICKET_ASSESS] =
	    "UPDATE tickets SET category = nullif(?2, 0), charged = ?3,"
	    " updated = " NOW " WHERE id = ?1",
	[SQL_TICKET_SET_ENGINEER] =
	    "UPDATE tickets SET engineer_id = ?2, updated = " NOW
	    " WHERE id = ?1",
	[SQL_TICKET_SET_FLAGS] =
	    "UPDATE tickets SET flags = ?2, updated = " NOW " WHERE id = ?1",
	[SQL_TICKET_AWAITING_CREDITS] =
	    "SELECT id FROM tickets WHERE customer_id = ?1"
	    " AND status = 'awaiting_credits' ORDER BY id",
	[SQL_TICKET_LAST_IN_MESSAGE] =
	    "SELECT message_id FROM messages WHERE ticket_id = ?1"
	    " AND direction = 'in' AND author = 'customer'"
	    " AND message_id IS NOT NULL ORDER BY id DESC LIMIT 1",
	[SQL_CONFIRMATION_NEXT_ID] =
	    "SELECT coalesce(max(id), 0) + 1 FROM confirmations",
	[SQL_CONFIRMATION_INSERT] =
	    "INSERT INTO confirmations (id, ticket_id, category, credits,"
	    " created) VALUES (?1, ?2, ?3, ?4, " NOW ")",
	[SQL_CONFIRMATION_BY_ID] =
	    "SELECT id, ticket_id, category, credits, status FROM confirmations"
	    " WHERE id = ?1",
	[SQL_CONFIRMATION_PENDING] =
	    "SELECT id, ticket_id, category, credits, status FROM confirmations"
	    " WHERE ticket_id = ?1 AND status = 'pending' ORDER BY id DESC"
	    " LIMIT 1",
	[SQL_CONFIRMATION_DECIDE] =
	    "UPDATE confirmations SET status = ?2, decided = " NOW
	    " WHERE id = ?1 AND status = 'pending'",
	[SQL_CONFIRMATION_SUPERSEDE] =
	    "UPDATE confirmations SET status = 'superseded', decided = " NOW
	    " WHERE ticket_id = ?1 AND status = 'pending'",
	[SQL_OUTBOX_RELEASE] =
	    "UPDATE outbox SET status = 'queued', next_attempt = ?2"
	    " WHERE ticket_id = ?1 AND status = 'held'",
	[SQL_OUTBOX_CANCEL] =
	    "UPDATE outbox SET status = 'cancelled', last_error = ?2"
	    " WHERE ticket_id = ?1 AND status = 'held'",
	[SQL_OUTBOX_CANCEL_CONFIRM] =
	    "UPDATE outbox SET status = 'cancelled', last_error = ?2"
	    " WHERE ticket_id = ?1 AND kind = 'confirm' AND status = 'queued'",
	[SQL_OUTBOX_HELD_COUNT] =
	    "SELECT count(*) FROM outbox WHERE ticket_id = ?1"
	    " AND status = 'held'",
	[SQL_MESSAGE_SET_FLAGS_HELD] =
	    "UPDATE messages SET flags = ?2 WHERE ticket_id = ?1"
	    " AND direction = 'out' AND flags = 'held'",
	/* a prepared statement each, not sqlite3_exec(): prepared once */
	[SQL_BEGIN] = "BEGIN IMMEDIATE",
	[SQL_COMMIT] = "COMMIT",
	[SQL_ROLLBACK] = "ROLLBACK",
	/* a batch's message (store.c): one savepoint each */
	[SQL_SAVEPOINT] = "SAVEPOINT deliver",
	[SQL_RELEASE] = "RELEASE deliver",
	[SQL_DATA_VERSION] = "PRAGMA data_version",
	[SQL_AUDIT_INSERT] =
	    "INSERT INTO audit (at, actor, action, ticket_id, detail)"
	    " VALUES (" NOW ", ?1, ?2, ?3, ?4)",
};

const char *
store_sql_text(enum store_stmt s)
{
	g_assert(s < SQL_COUNT && store_sql[s] != NULL);
	return store_sql[s];
}
