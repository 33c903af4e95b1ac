#!/bin/bash
# 0190-bench-store.t - bench/bigstore.sql, the generator of make bench's
# 1,000,000-message store, still fits the schema "deskctl init" makes:
# run at a thousandth of its size (25 customers, 100 tickets) into a
# fresh store, then read back through deskctl. Without this a schema
# step that drops or renames a column breaks only "make bench".
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk"

sed -e 's/^    25000 AS ncust,$/    25 AS ncust,/' \
    -e 's/^    100000 AS ntick;$/    100 AS ntick;/' \
    "$top_srcdir/bench/bigstore.sql" > "$tmp/small.sql"
is "$(grep -c -e '^    25 AS ncust,$' -e '^    100 AS ntick;$' "$tmp/small.sql")" 2 \
    "the generator's two sizes were found and scaled down"
set +e
{ echo "BEGIN;"; cat "$tmp/small.sql"; echo "COMMIT;"; } |
    sqlite3 -batch -bail "$tmp/desk/desk.db" > "$tmp/out" 2>&1
rc=$?
set -e
is "$rc" 0 "bigstore.sql runs into a fresh store"
[ "$rc" -eq 0 ] || diag "$(head -c 400 "$tmp/out")"
is "$(desk_sql "SELECT count(*) FROM tickets")/$(desk_sql "SELECT count(*) FROM messages")/$(desk_sql "SELECT count(*) FROM customers")" \
    100/1000/25 "100 tickets, 1000 messages (10 a ticket), 25 customers"
is "$(desk_sql "SELECT count(*) FROM messages m LEFT JOIN message_raw r ON r.message_row = m.id WHERE m.direction = 'in' AND (r.raw IS NULL OR length(r.raw) <> m.size)")" \
    0 "every inbound message has its raw bytes, of its size"
is "$(desk_sql "PRAGMA foreign_key_check" | wc -l)" 0 "no row breaks a foreign key"
is "$(desk_sql "PRAGMA integrity_check")" ok "the store is intact"
is "$(desk_ctl ticket list --json | jq length)" 100 "deskctl lists the 100 tickets"
is "$(desk_ctl ticket show 1000001 --json | jq -r '.messages | length')" \
    "$(desk_sql "SELECT count(*) FROM messages WHERE ticket_id = 1000001")" \
    "deskctl shows a generated ticket with all its messages"
done_testing
