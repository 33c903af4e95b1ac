#!/bin/bash
# 0040-concurrency.t - many deskgate processes at once (postfix runs up to
# 20 pipes), and a write lock held elsewhere: a delivery that cannot get
# the lock in time defers with 4.3.0 and exit 75, and succeeds later.
#
# Each delivery runs in its own background subshell and records when it
# started and ended (microseconds). The test proves they overlapped: at
# some moment at least two were running, and the deliveries' elapsed
# times add up to well over the wall time of the whole batch (run one
# after another, the sum can never exceed the wall time).
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk" "[store]" "path = $tmp/desk/desk.db" "busy_timeout = 30000"
desk_customer bob@customer.example
mail=$(desk_sample 03-html-attachment.eml)

now_us() { echo "${EPOCHREALTIME//[!0-9]/}"; }

# overlap DIR N WHAT: asserts that the N intervals DIR/time.* (each
# "START END" in microseconds) ran in parallel; WALL_US is the batch's time.
overlap() {
	local dir=$1 n=$2 what=$3 got sum peak
	got=$(cat "$dir"/time.* 2> /dev/null | wc -l)
	is "$got" "$n" "$what: $n delivery processes recorded their start and end"
	sum=$(awk '{ s += $2 - $1 } END { printf "%d", s }' "$dir"/time.*)
	# the most deliveries running at one moment (ends sort before starts)
	peak=$(awk '{ print $1, 1; print $2, -1 }' "$dir"/time.* | sort -k1,1n -k2,2n |
	    awk '{ c += $2; if (c > m) m = c } END { print m + 0 }')
	diag "$what: elapsed sum $((sum / 1000)) ms, wall $((WALL_US / 1000)) ms, at most $peak at once"
	check "$what: at least 2 of $n deliveries ran at the same time (peak $peak)" \
	    test "$peak" -ge 2
	check "$what: the $n elapsed times add up to over twice the wall time" \
	    test "$sum" -gt $((2 * WALL_US))
}

n=20
mkdir "$tmp/par"
t0=$(now_us)
for i in $(seq 1 $n); do
	(
		start=$(now_us)
		# each its own subject: the same text 20 times is a loop
		sed -e "s/^Message-ID: <a8d9/Message-ID: <par$i-a8d9/" \
		    -e "s/^Subject: /Subject: $(echo abcdefghijklmnopqrst | cut -c"$i") /" "$mail" |
		    "$DESKGATE" -c "$DESK_CONF" -f bob@customer.example -- \
		    support@desk.test > "$tmp/par/out.$i"
		rc=$?
		echo "$start $(now_us)" > "$tmp/par/time.$i"
		echo $rc > "$tmp/par/rc.$i"
	) &
done
wait
WALL_US=$(( $(now_us) - t0 ))
is "$(cat "$tmp"/par/rc.* | wc -l)/$(cat "$tmp"/par/rc.* | sort -u | tr '\n' ' ')" "$n/0 " \
    "$n parallel deliveries all exit 0"
overlap "$tmp/par" $n "$n deliveries"
is "$(desk_sql "SELECT count(*) FROM tickets")" $n "$n tickets"
is "$(desk_sql "SELECT count(DISTINCT id) FROM tickets WHERE id BETWEEN 1 AND $n")" $n \
    "ticket numbers are distinct and dense"
is "$(desk_sql "SELECT count(*) FROM outbox")" $n "one acknowledgment each"
is "$(desk_sql 'PRAGMA integrity_check')" ok "the store is intact"

# the same message delivered by 10 processes at once: stored once
mkdir "$tmp/redo"
t0=$(now_us)
for i in $(seq 1 10); do
	(
		start=$(now_us)
		"$DESKGATE" -c "$DESK_CONF" -f bob@customer.example -- \
		    support@desk.test < "$(desk_sample 01-question.eml)" > /dev/null
		rc=$?
		echo "$start $(now_us)" > "$tmp/redo/time.$i"
		echo $rc > "$tmp/redo/rc.$i"
	) &
done
wait
WALL_US=$(( $(now_us) - t0 ))
is "$(cat "$tmp"/redo/rc.* | wc -l)/$(cat "$tmp"/redo/rc.* | sort -u | tr '\n' ' ')" "10/0 " \
    "10 simultaneous redeliveries all exit 0"
overlap "$tmp/redo" 10 "10 redeliveries"
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
