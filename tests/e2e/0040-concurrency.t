#!/bin/bash
# 0040-concurrency.t - many deskgate processes at once (postfix runs up to
# 20 pipes), and a write lock held elsewhere: a delivery that cannot get
# the lock in time defers with 4.3.0 and exit 75, and succeeds later.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk" "[store]" "path = $tmp/desk/desk.db" "busy_timeout = 30000"
desk_customer bob@customer.example
mail=$(desk_sample 03-html-attachment.eml)

n=20
for i in $(seq 1 $n); do
	sed "s/^Message-ID: <a8d9/Message-ID: <par$i-a8d9/" "$mail" |
	    "$DESKGATE" -c "$DESK_CONF" -f bob@customer.example -- support@desk.test \
	    > "$tmp/out.$i"; echo $? > "$tmp/rc.$i" &
done
wait
is "$(cat "$tmp"/rc.* | sort -u | tr '\n' ' ')" "0 " "$n parallel deliveries all exit 0"
is "$(desk_sql "SELECT count(*) FROM tickets")" $n "$n tickets"
is "$(desk_sql "SELECT count(DISTINCT id) FROM tickets WHERE id BETWEEN 1 AND $n")" $n \
    "ticket numbers are distinct and dense"
is "$(desk_sql "SELECT count(*) FROM outbox")" $n "one acknowledgment each"
is "$(desk_sql 'PRAGMA integrity_check')" ok "the store is intact"

# the same message delivered by 10 processes at once: stored once
for i in $(seq 1 10); do
	"$DESKGATE" -c "$DESK_CONF" -f bob@customer.example -- support@desk.test \
	    < "$(desk_sample 01-question.eml)" > /dev/null &
done
wait
is "$(desk_sql "SELECT count(*) FROM messages WHERE message_id = 'CAF4kQ2x1a@mail.customer.example'")" 1 \
    "10 simultaneous redeliveries store the message once"

# a writer holds the lock longer than our busy timeout
desk_setup "$tmp/locked" "[store]" "path = $tmp/locked/desk.db" "busy_timeout = 300"
desk_customer bob@customer.example
sqlite3 "$tmp/locked/desk.db" "BEGIN IMMEDIATE; SELECT 1;" ".shell sleep 3" "COMMIT;" > /dev/null &
holder=$!
sleep 0.5
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
is "$DESK_RC" 75 "lock held past busy_timeout: EX_TEMPFAIL"
like "$DESK_OUT" '^4\.3\.0 ' "... with one 4.3.0 line"
is "$(echo "$DESK_OUT" | wc -l)" 1 "... and nothing else on stdout"
like "$(cat "$tmp/locked/deskgate.log")" 'database is locked' "the log says the store was locked"
wait $holder
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
is "$DESK_RC/$(desk_sql "SELECT count(*) FROM tickets")" "0/1" "once the lock is free the retry stores it"

done_testing
tap_status
