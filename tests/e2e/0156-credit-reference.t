#!/bin/bash
# 0156-credit-reference.t - "deskctl credits buy --reference REF" records
# a purchase once (schema 6): the same command again, as a billing
# script retries it, changes nothing and says "already recorded"; the
# reference with another package or customer is refused and writes
# nothing; two runs started at once write one row; and "deskctl migrate"
# takes a schema-5 store with data to 6. (A purchase killed at each of
# its fault points and retried: 0155-credit-faults.t.)
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk"

# run_ctl ARGS...: sets CTL_RC, CTL_OUT, CTL_ERR
run_ctl() {
	set +e
	CTL_OUT=$(desk_ctl "$@" 2> "$tmp/err")
	CTL_RC=$?
	set -e
	CTL_ERR=$(cat "$tmp/err")
}
balance() { desk_ctl credits show "$1" --json | jq .balance; }
# snap: everything a purchase may write
snap() {
	desk_sql "SELECT * FROM ledger ORDER BY id; SELECT * FROM audit ORDER BY id;
	    SELECT id, status FROM tickets ORDER BY id; SELECT id, status FROM outbox ORDER BY id"
}
rows() { desk_sql "SELECT count(*) FROM ledger WHERE reference = '$1'"; }

desk_customer c1@customer.example --name "Customer 1"
desk_ctl customer address add c1@customer.example billing@customer.example > /dev/null
desk_customer c2@other.example --name "Customer 2"

# ---- the same purchase twice ----

run_ctl credits buy c1@customer.example --package 50 --reference pay-1001
is "$CTL_RC/$CTL_OUT" "0/50 credits added to c1@customer.example (\$85.00), reference pay-1001" \
    "buy --reference pay-1001: exit 0, the purchase and its reference printed"
is "$(rows pay-1001)/$(balance c1@customer.example)" 1/100 "... one ledger row with the reference, balance 100 (50 + 50)"
before=$(snap)
run_ctl credits buy c1@customer.example --package 50 --reference pay-1001
is "$CTL_RC" 0 "the same purchase again: exit 0 (a billing script may simply retry)"
like "$CTL_OUT" '^reference pay-1001 already recorded on [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}Z: 50 credits to c1@customer\.example \(\$85\.00\); balance 100 credits; nothing changed$' \
    "... it says already recorded, with the first row's date, its credits and the balance"
check "... and nothing changed: ledger, audit, tickets, outbox as before ($(rows pay-1001) row)" \
    test "$(snap)" = "$before"
run_ctl credits buy billing@customer.example --package 50 --reference pay-1001
like "$CTL_RC/$CTL_OUT" '^0/reference pay-1001 already recorded .*balance 100 credits' \
    "through another address of the same customer: the same purchase, already recorded"
check "... nothing changed" test "$(snap)" = "$before"

# ---- the reference of another purchase ----

run_ctl credits buy c1@customer.example --package 25 --reference pay-1001
is "$CTL_RC/$CTL_OUT" 1/ "the reference with another package: exit 1, nothing on stdout"
like "$CTL_ERR" 'reference pay-1001 is already recorded, for another purchase: 50 credits to c1@customer\.example on .*; nothing bought' \
    "... the error names the purchase the reference belongs to"
check "... nothing written" test "$(snap)" = "$before"
run_ctl credits buy c2@other.example --package 50 --reference pay-1001
is "$CTL_RC" 1 "the reference for another customer: exit 1"
like "$CTL_ERR" 'already recorded, for another purchase: 50 credits to c1@customer\.example' "... the error says whose it is"
check "... nothing written, balance of c2 still $(balance c2@other.example)" test "$(snap)" = "$before"

# ---- references refused before the store is touched ----

n=0
for r in "" " pay" "pay " "$(printf 'pay\t1')" "$(printf 'pay\0331')" "$(head -c 201 /dev/zero | tr '\0' x)"; do
	run_ctl credits buy c2@other.example --package 50 --reference "$r"
	if [ "$CTL_RC" = 1 ] && printf '%s' "$CTL_ERR" | grep -q -- '--reference must be'; then
		n=$((n + 1))
	fi
done
is "$n" 6 "6 malformed references (empty, blank at an end, a TAB, an ESC, 201 bytes) refused with exit 1"
check "... nothing written" test "$(snap)" = "$before"
run_ctl credits buy c2@other.example --package 50 --reference
is "$CTL_RC" 2 "--reference without its value: a usage error (2)"
r200=$(head -c 200 /dev/zero | tr '\0' y)
run_ctl credits buy c2@other.example --package 25 --reference "$r200"
is "$CTL_RC/$(rows "$r200")" 0/1 "a reference of 200 bytes is taken"
run_ctl credits buy c2@other.example --package 25 --reference "оплата №7"
is "$CTL_RC/$(rows "оплата №7")" 0/1 "a UTF-8 reference is taken"
run_ctl credits buy c2@other.example --package 25 --reference PAY-1001
is "$CTL_RC/$(rows PAY-1001)/$(rows pay-1001)" 0/1/1 "references are compared exactly: PAY-1001 is not pay-1001"

# ---- what credits show says ----

is "$(desk_ctl credits show c1@customer.example --json | jq -c '[.ledger[] | .reference]')" \
    '[null,"pay-1001"]' "credits show --json: \"reference\" of each row (null for the license)"
like "$(desk_ctl credits show c1@customer.example)" '\+50  package of 50 credits bought for \$85\.00 \(reference pay-1001\)' \
    "credits show: the purchase's line names its reference"

# ---- without a reference every run buys (the reason for --reference) ----

n0=$(desk_sql "SELECT count(*) FROM ledger WHERE customer_id = 2")
desk_ctl credits buy c2@other.example --package 25 > /dev/null
desk_ctl credits buy c2@other.example --package 25 > /dev/null
is "$(desk_sql "SELECT count(*) FROM ledger WHERE customer_id = 2") " "$((n0 + 2)) " \
    "without --reference the same command twice buys twice (2 rows)"

# ---- two runs at once ----

# race REF: two deskctl processes started together with REF; their
# outputs in $tmp/race.1 and .2, their statuses in RC1 and RC2
race() {
	set +e
	desk_ctl credits buy c1@customer.example --package 100 --reference "$1" > "$tmp/race.1" 2>&1 &
	p1=$!
	desk_ctl credits buy c1@customer.example --package 100 --reference "$1" > "$tmp/race.2" 2>&1 &
	p2=$!
	wait "$p1"; RC1=$?
	wait "$p2"; RC2=$?
	set -e
}
# one_each: one run bought, the other found its row
one_each() {
	[ "$RC1/$RC2" = 0/0 ] &&
	    [ "$(cat "$tmp/race.1" "$tmp/race.2" | grep -c '^100 credits added')" = 1 ] &&
	    [ "$(cat "$tmp/race.1" "$tmp/race.2" | grep -c ' already recorded on ')" = 1 ]
}
b0=$(balance c1@customer.example)
ok_rows=0 ok_out=0
for i in $(seq 1 20); do
	race "race-$i"
	[ "$(rows "race-$i")" = 1 ] && ok_rows=$((ok_rows + 1))
	one_each && ok_out=$((ok_out + 1)) || { echo "# $RC1/$RC2"; sed "s/^/# /" "$tmp/race.1" "$tmp/race.2"; }
done
is "$ok_rows" 20 "20 pairs of runs started at once with one reference: one ledger row each time"
is "$ok_out" 20 "... both runs exit 0, one says credits added and the other already recorded, each time"
# both held at BEGIN IMMEDIATE by another writer, then let go together
hold() {
	local i
	rm -f "$tmp/lock-held"
	sqlite3 "$DESK_DIR/desk.db" "BEGIN IMMEDIATE; SELECT 1;" \
	    ".shell touch $tmp/lock-held" ".shell sleep 1" "COMMIT;" > /dev/null &
	holder=$!
	for i in $(seq 1 50); do [ -e "$tmp/lock-held" ] && break; sleep 0.1; done
	[ -e "$tmp/lock-held" ] || { echo "Bail out! the lock holder did not start"; exit 1; }
}
ok_rows=0 ok_out=0
for i in $(seq 1 5); do
	hold
	race "held-$i"
	wait "$holder"
	[ "$(rows "held-$i")" = 1 ] && ok_rows=$((ok_rows + 1))
	one_each && ok_out=$((ok_out + 1)) || { echo "# $RC1/$RC2"; sed "s/^/# /" "$tmp/race.1" "$tmp/race.2"; }
done
is "$ok_rows/$ok_out" 5/5 "5 pairs that both waited for the write lock, then ran: one row, one 'added' and one 'already recorded' each time"
is "$(balance c1@customer.example)" $((b0 + 25 * 100)) "the balance grew by 25 purchases of 100 credits, not 50"

# ---- deskctl migrate from schema 5 ----

# A store made schema 5 again by hand (step 6 undone), with a ticket, a
# message and purchases; test-store migrates one built by steps 1-5.
desk_setup "$tmp/old"
desk_customer c3@customer.example --name "Customer 3"
DESK_MAIL=$tmp/m.eml
desk_mail "Customer 3 <c3@customer.example>" c3@customer.example support@desk.test \
    "Blank page" q3@customer.example <<EOF
Hello, the checkout page is blank.
EOF
is "$DESK_RC" 0 "migrate: the old store has a ticket from a mail"
desk_ctl credits buy c3@customer.example --package 25 > /dev/null
desk_sql "DROP INDEX ledger_by_reference; ALTER TABLE ledger DROP COLUMN reference;
    ALTER TABLE messages ADD COLUMN announced INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX outbox_by_message_id ON outbox(message_id); PRAGMA user_version = 5;"
kept() {
	desk_sql "SELECT id, customer_id, delta, reason, ticket_id, license_id, price_cents,
	    created FROM ledger; SELECT id, ticket_id, message_id, text FROM messages;
	    SELECT id, message_id, status FROM outbox; SELECT * FROM tickets"
}
old=$(kept)
run_ctl credits show c3@customer.example
like "$CTL_RC/$CTL_ERR" '^1/.*schema version 5 .* expected 6: run "deskctl migrate"' \
    "schema 5: deskctl refuses to work and says to run deskctl migrate"
run_ctl migrate
is "$CTL_RC/$(desk_sql "PRAGMA user_version")/$(desk_sql "PRAGMA integrity_check")" 0/6/ok \
    "deskctl migrate: exit 0, schema 6, the store intact"
check "... every ledger row ($(desk_sql "SELECT count(*) FROM ledger")), message, notice and ticket kept" \
    test "$(kept)" = "$old"
is "$(desk_sql "SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'announced'")/$(desk_sql "SELECT count(*) FROM sqlite_schema WHERE name = 'outbox_by_message_id'")/$(desk_sql "SELECT count(*) FROM pragma_table_info('ledger') WHERE name = 'reference'")" \
    0/0/1 "... messages.announced and outbox_by_message_id gone, ledger.reference there"
run_ctl credits buy c3@customer.example --package 25 --reference pay-3
run_ctl credits buy c3@customer.example --package 25 --reference pay-3
is "$CTL_RC/$(rows pay-3)/$(balance c3@customer.example)" 0/1/100 \
    "... and a purchase with a reference made twice is recorded once (balance 50 + 25 + 25)"

done_testing
tap_status
