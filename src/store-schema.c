/*
 * store-schema.c - the schema, as an ordered list of migration steps.
 *
 * Step N moves the schema from version N-1 to N (PRAGMA user_version).
 * A step that has shipped is never edited; a change is a new step.
 */
#include "config.h"

#include "store-schema.h"

static const char *const schema_steps[] = {
	/* 1: the foundation */
	"CREATE TABLE customers ("
	"  id INTEGER PRIMARY KEY,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT,"
	"  lang TEXT NOT NULL DEFAULT 'en' CHECK (lang IN ('en', 'ru')),"
	"  preapprove INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE customer_addresses ("
	"  address TEXT PRIMARY KEY COLLATE NOCASE,"
	"  customer_id INTEGER NOT NULL REFERENCES customers(id));"
	"CREATE INDEX customer_addresses_by_customer"
	"  ON customer_addresses(customer_id);"
	"CREATE TABLE licenses ("
	"  id INTEGER PRIMARY KEY,"
	"  customer_id INTEGER NOT NULL REFERENCES customers(id),"
	"  product TEXT NOT NULL CHECK (product IN ('cs-cart', 'multi-vendor')),"
	"  kind TEXT NOT NULL"
	"    CHECK (kind IN ('first', 'additional', 'storefront')),"
	"  credits INTEGER NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE INDEX licenses_by_customer ON licenses(customer_id);"
	"CREATE TABLE staff ("
	"  id INTEGER PRIMARY KEY,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE tickets ("
	"  id INTEGER PRIMARY KEY,"
	"  customer_id INTEGER NOT NULL REFERENCES customers(id),"
	"  subject TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('new', 'open',"
	"    'awaiting_confirmation', 'awaiting_credits', 'answered',"
	"    'closed')),"
	"  category INTEGER CHECK (category IN (1, 2, 3)),"
	"  charged INTEGER NOT NULL DEFAULT 0,"
	"  preapproved INTEGER NOT NULL DEFAULT 0,"
	"  lang TEXT NOT NULL DEFAULT 'en',"
	"  flags TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE INDEX tickets_by_customer ON tickets(customer_id);"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
	"  author TEXT NOT NULL,"
	"  message_id TEXT,"
	"  dedup_key TEXT UNIQUE,"
	"  envelope_from TEXT,"
	"  recipient TEXT,"
	"  from_addr TEXT,"
	"  subject TEXT,"
	"  class TEXT NOT NULL DEFAULT 'human',"
	"  flags TEXT NOT NULL DEFAULT '',"
	"  text TEXT,"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	"CREATE INDEX messages_by_message_id ON messages(message_id);"
	"CREATE INDEX messages_by_ticket ON messages(ticket_id);"
	/*
	 * The raw bytes in a table of their own: SQLite leaves a zeroblob()
	 * unexpanded only as the last field of a record, and a column added
	 * to messages later would otherwise put 20 MB messages into RAM.
	 */
	"CREATE TABLE message_raw ("
	"  message_row INTEGER PRIMARY KEY REFERENCES messages(id),"
	"  raw BLOB NOT NULL);"
	"CREATE TABLE attachments ("
	"  id INTEGER PRIMARY KEY,"
	"  message_row INTEGER NOT NULL REFERENCES messages(id),"
	"  filename TEXT,"
	"  content_type TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  content BLOB NOT NULL);"
	"CREATE INDEX attachments_by_message ON attachments(message_row);"
	"CREATE TABLE ledger ("
	"  id INTEGER PRIMARY KEY,"
	"  customer_id INTEGER NOT NULL REFERENCES customers(id),"
	"  delta INTEGER NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  license_id INTEGER REFERENCES licenses(id),"
	"  price_cents INTEGER,"
	"  created INTEGER NOT NULL);"
	"CREATE INDEX ledger_by_customer ON ledger(customer_id);"
	"CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger"
	"  BEGIN SELECT RAISE(ABORT, 'the credit ledger is append-only'); END;"
	"CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger"
	"  BEGIN SELECT RAISE(ABORT, 'the credit ledger is append-only'); END;"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  kind TEXT NOT NULL,"
	"  env_from TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  reply_to TEXT,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  text TEXT NOT NULL,"
	"  raw BLOB NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (status IN ('queued', 'sending', 'sent', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  created INTEGER NOT NULL,"
	"  sent INTEGER);"
	"CREATE INDEX outbox_due ON outbox(status, next_attempt);"
	"CREATE INDEX outbox_by_rcpt ON outbox(rcpt, kind, created);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  ticket_id INTEGER,"
	"  detail TEXT);",

	/* 2: replies (the new text, the language) and robot hygiene */
	"ALTER TABLE messages ADD COLUMN reply_text TEXT;"
	"ALTER TABLE messages ADD COLUMN language TEXT;"
	/* the engineers' announcement of this message is still to be sent */
	"ALTER TABLE messages ADD COLUMN announced INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX messages_by_sender ON messages(from_addr, created);"
	"CREATE INDEX outbox_by_message_id ON outbox(message_id);",

	/*
	 * 3: loops are repetition, not volume: a fingerprint of the sender
	 * and of what the message says, to count the same text again
	 */
	"ALTER TABLE messages ADD COLUMN fingerprint TEXT;"
	"CREATE INDEX messages_by_fingerprint ON messages(fingerprint, created);",

	/* 4: a whole mail domain registered for a customer (the guard) */
	"CREATE TABLE customer_domains ("
	"  domain TEXT PRIMARY KEY COLLATE NOCASE,"
	"  customer_id INTEGER NOT NULL REFERENCES customers(id));",

	/*
	 * 5: the engineers' side: held and cancelled notices (a held answer
	 * is released by the confirmation, not copied), the ticket's
	 * engineer, and the confirmation notices with their serial numbers.
	 * SQLite cannot change a CHECK: the outbox is made again.
	 */
	"CREATE TABLE outbox_v5 ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  kind TEXT NOT NULL,"
	"  env_from TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  reply_to TEXT,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  text TEXT NOT NULL,"
	"  raw BLOB NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (status IN ('queued', 'sending', 'sent', 'failed',"
	"    'held', 'cancelled')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  created INTEGER NOT NULL,"
	"  sent INTEGER);"
	"INSERT INTO outbox_v5 SELECT id, ticket_id, kind, env_from, rcpt,"
	"  subject, reply_to, message_id, text, raw, status, attempts,"
	"  next_attempt, last_error, created, sent FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_v5 RENAME TO outbox;"
	"CREATE INDEX outbox_due ON outbox(status, next_attempt);"
	"CREATE INDEX outbox_by_rcpt ON outbox(rcpt, kind, created);"
	"CREATE INDEX outbox_by_message_id ON outbox(message_id);"
	"CREATE INDEX outbox_by_ticket ON outbox(ticket_id, status);"
	"ALTER TABLE tickets ADD COLUMN engineer_id INTEGER"
	"  REFERENCES staff(id);"
	"CREATE TABLE confirmations ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  category INTEGER NOT NULL CHECK (category IN (1, 2, 3)),"
	"  credits INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN"
	"    ('pending', 'confirmed', 'declined', 'superseded')),"
	"  created INTEGER NOT NULL,"
	"  decided INTEGER);"
	"CREATE INDEX confirmations_by_ticket"
	"  ON confirmations(ticket_id, status);",

	/*
	 * 6: a purchase is recorded once: the payment's id in the billing
	 * system (deskctl credits buy --reference). Unique over the whole
	 * ledger, not per customer: one payment pays for one purchase, so
	 * the same id for a second customer is refused by the store itself,
	 * not only by deskctl's lookup. Rows without one (charges, licenses,
	 * purchases made without --reference) stay NULL and are not indexed.
	 * And two leftovers go: outbox_by_message_id duplicates the index of
	 * outbox.message_id's UNIQUE constraint (the planner uses that one),
	 * and messages.announced was never read or written (announcements
	 * are queued in the message's own transaction). DROP COLUMN needs
	 * SQLite 3.35; no index, trigger or view names the column.
	 */
	"ALTER TABLE ledger ADD COLUMN reference TEXT;"
	"CREATE UNIQUE INDEX ledger_by_reference ON ledger(reference)"
	"  WHERE reference IS NOT NULL;"
	"DROP INDEX outbox_by_message_id;"
	"ALTER TABLE messages DROP COLUMN announced;",
};

int
store_schema_steps(const char *const **steps_r)
{
	*steps_r = schema_steps;
	return (int)G_N_ELEMENTS(schema_steps);
}
