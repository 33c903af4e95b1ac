#!/bin/bash
# 0030-crash.t - deskgate killed at any point leaves the store consistent,
# and the retry (postfix redelivers after a signal) stores the mail once.
# DESKGATE_FAULT=POINT makes deskgate SIGKILL itself at a named point of
# its transaction; then it is also killed at random moments.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

desk_has_faults ||
    plan_skip "fault injection: deskgate built without --enable-fault-injection"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mail=$(desk_sample 03-html-attachment.eml)

state() {
	desk_sql "SELECT (SELECT count(*) FROM tickets) || '/' ||
	    (SELECT count(*) FROM messages) || '/' ||
	    (SELECT count(*) FROM attachments) || '/' ||
	    (SELECT count(*) FROM outbox) || '/' ||
	    (SELECT count(*) FROM audit)"
}

for point in before-begin after-ticket after-message-row after-attachments \
    after-outbox before-commit after-commit; do
	desk_setup "$tmp/$point"
	desk_customer bob@customer.example
	empty=$(state)
	set +e
	{ DESKGATE_FAULT=$point "$DESKGATE" -c "$DESK_CONF" \
	    -f bob@customer.example -- support@desk.test < "$mail" > /dev/null; } \
	    2> /dev/null
	rc=$?
	set -e
	is "$rc" 137 "$point: deskgate died of SIGKILL"
	is "$(desk_sql 'PRAGMA integrity_check')" ok "$point: the store is intact"
	if [ "$point" = after-commit ]; then
		is "$(state)" "1/2/1/1/2" "$point: the committed delivery is whole"
	else
		is "$(state)" "$empty" "$point: nothing of the delivery is left"
	fi
	desk_gate bob@customer.example support@desk.test < "$mail"
	is "$DESK_RC" 0 "$point: the retry succeeds"
	is "$(state)" "1/2/1/1/2" "$point: the mail is stored exactly once"
done

# killed at random moments while storing a 3 MB attachment
desk_setup "$tmp/random"
desk_customer bob@customer.example
{
	sed '/^------=_Part_17_1--$/d' "$mail"
	printf '\n------=_Part_17_1\n'
	printf 'Content-Type: application/octet-stream; name="big.bin"\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	head -c 3000000 /dev/urandom | base64
	printf '\n------=_Part_17_1--\n'
} > "$tmp/big.eml"
# each run a distinct message, killed after a random 0-150 ms
consistent() {
	desk_sql "SELECT (SELECT count(*) FROM messages) = 2 * t AND
	    (SELECT count(*) FROM attachments) = 2 * t AND
	    (SELECT count(*) FROM outbox) = t AND
	    (SELECT count(*) FROM audit) = t + 1
	    FROM (SELECT count(*) AS t FROM tickets)"
}
for i in $(seq 1 12); do
	# a subject of its own too: twelve times the same text is a loop
	sed -e "s/^Message-ID: <a8d9/Message-ID: <run$i-a8d9/" \
	    -e "s/^Subject: /Subject: part $(echo abcdefghijkl | cut -c"$i") /" \
	    "$tmp/big.eml" > "$tmp/big$i.eml"
	"$DESKGATE" -c "$DESK_CONF" -f bob@customer.example -- support@desk.test \
	    < "$tmp/big$i.eml" > /dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' $((RANDOM % 150)))"
	kill -9 "$pid" 2> /dev/null || true
	wait "$pid" 2> /dev/null || true
	[ "$(consistent)" = 1 ] || break
done
stored=$(desk_sql "SELECT count(*) FROM tickets")
diag "$((12 - stored)) of 12 runs were killed before they committed"
is "$(desk_sql 'PRAGMA integrity_check')" ok "random kills: the store is intact"
is "$(consistent)" 1 "random kills: every delivery is all there or not at all"
for i in $(seq 1 12); do
	desk_gate bob@customer.example support@desk.test < "$tmp/big$i.eml"
done
is "$DESK_RC/$(desk_sql "SELECT count(*) FROM tickets")/$(consistent)" "0/12/1" \
    "random kills: the retries store each message exactly once"
is "$(desk_sql "SELECT count(*) FROM attachments WHERE filename = 'big.bin' AND size = 3000000")" 12 \
    "the 3 MB attachments are whole"

done_testing
tap_status
