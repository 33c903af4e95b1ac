#!/bin/bash
# 0050-outbox.t - the outbox runner when the relay is down: nothing is
# lost, each try is counted, the delay between tries grows, and the
# operator can ask for a try now. (Delivery to a real relay is in
# 0100-postfix.t; SMTP replies 4xx/5xx are in tests/unit/test-smtp.)
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# a port nothing listens on: bind it, note it, close it
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 1)
desk_setup "$tmp/desk" "[relay]" "host = 127.0.0.1" "port = $port" "retry_first = 60" "retry_max = 200"
desk_customer bob@customer.example
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"

item() { desk_ctl outbox list --json | jq -r ".[0].$1"; }
due_in() { desk_sql "SELECT next_attempt - CAST(strftime('%s', 'now') AS INTEGER) FROM outbox WHERE id = 1"; }

is "$(desk_ctl outbox run 2>/dev/null)" "sent 0, deferred 1, failed 0" "relay down: the notice is deferred"
is "$(item status)/$(item attempts)" "queued/1" "still queued, one attempt counted"
like "$(item last_error)" 'connect' "the last error says what failed"
like "$(due_in)" '^(59|60)$' "next try in retry_first (60 s)"
is "$(desk_ctl outbox run 2>/dev/null)" "sent 0, deferred 0, failed 0" "not due yet: nothing is tried"
is "$(desk_ctl outbox retry 1)" "outbox item 1 queued again" "outbox retry makes it due now"
desk_ctl outbox run > /dev/null 2>&1
is "$(item attempts)" 2 "second attempt counted"
like "$(due_in)" '^(119|120)$' "the delay doubles (120 s)"
desk_ctl outbox retry 1 > /dev/null
desk_ctl outbox run > /dev/null 2>&1
like "$(due_in)" '^(199|200)$' "and is capped at retry_max (200 s)"
set +e
err=$(desk_ctl outbox retry 99 2>&1)
rc=$?
set -e
is "$rc" 1 "retry of an item that does not exist fails"
like "$err" 'outbox item 99 does not exist' "... saying so"

# give up after give_up seconds: make the item old
desk_sql "UPDATE outbox SET created = created - 500000, next_attempt = 0"
desk_ctl outbox run > /dev/null 2>&1
is "$(item status)" failed "past give_up the notice is marked failed"
desk_ctl outbox retry 1 > /dev/null
is "$(item status)" queued "a failed notice can be queued again by hand"

# two runners at once: the second one does nothing
exec 9> "$tmp/desk/desk.db.outbox-lock"
flock 9
is "$(desk_ctl outbox run)" "another outbox runner is at work; nothing done" "the lock keeps a second runner out"
exec 9>&-

done_testing
tap_status
