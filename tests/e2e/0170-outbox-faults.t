#!/bin/bash
# 0170-outbox-faults.t - the outbox runner under faults, against a real
# relay: postfix's smtp-sink, which dumps each mail transaction it
# accepted (its final dot received) to a file of its own and none that
# broke off. Counting those files per Message-ID is counting deliveries.
#
#   4xx at MAIL, RCPT, DATA        deferred each time, sent once at last
#   5xx at RCPT, at DATA           failed, never sent; nothing else waits
#   a relay that never greets      bounded by [relay] timeout, deferred
#   a relay that hangs up at RCPT  deferred (with and without a 421)
#   killed between 250 and commit  the one documented duplicate: sent
#                                  twice, the same bytes and Message-ID,
#                                  and only after the lease; the notice
#                                  behind it goes in the next run
#   killed in the middle of DATA   the relay accepted nothing; sent once
#   the relay's 250 to the dot late (past the timeout): the relay has it,
#                                  we do not know; sent twice (RFC 1047)
#   killed while the 250 is held back: the relay has it; sent twice, the
#                                  second after the lease
#   two runners at once            once each, with one lock file and with
#                                  two (a symlink to the store file)
# A 5xx to one notice among others (smtp-sink refuses all or none) is in
# tests/unit/test-outbox (/outbox/run/5xx-rcpt-data-dot-3-of-6).
#
# "The lease passes" is simulated by moving the claim's time back by
# OUTBOX_LEASE (600 s) in the store, and "the next try is due" by
# deskctl outbox retry: the test takes seconds, not minutes.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

sink_bin=
for b in /usr/sbin/smtp-sink /usr/lib/postfix/sbin/smtp-sink; do
	[ -x "$b" ] && { sink_bin=$b; break; }
done
[ -n "$sink_bin" ] || plan_skip "smtp-sink absent (Debian package postfix)"
command -v python3 > /dev/null || plan_skip "python3 absent (picks a free port)"
faults=true
desk_has_faults || faults=false

tmp=$(mktemp -d)
sink_pid=
trap '[ -z "$sink_pid" ] || kill "$sink_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
# smtp-sink drops to nobody when run as root: it writes the dumps there
chmod 755 "$tmp"
dumps=$tmp/dumps
mkdir -m 1777 "$dumps"
sink_user=
[ "$(id -u)" -ne 0 ] || sink_user="-u nobody"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

desk_setup "$tmp/desk" "[relay]" "host = 127.0.0.1" "port = $port" \
    "timeout = 2" "retry_first = 60" \
    "[staff]" "notify = engineers@vendor.example"

# sink_start [OPTION...]: (re)start the relay with smtp-sink's fault
# options, and wait (at most 10 s) until it accepts connections
sink_start() {
	local i
	sink_stop
	# shellcheck disable=SC2086 # $sink_user is an option and its value
	"$sink_bin" $sink_user -d "$dumps/m." "$@" "127.0.0.1:$port" 64 \
	    >> "$tmp/sink.log" 2>&1 &
	sink_pid=$!
	for i in $(seq 100); do
		(exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && return 0
		kill -0 "$sink_pid" 2> /dev/null || break
		sleep 0.1
	done
	echo "Bail out! smtp-sink $* did not start: $(tail -3 "$tmp/sink.log")"
	exit 1
}
sink_stop() {
	[ -n "$sink_pid" ] || return 0
	kill "$sink_pid" 2> /dev/null || true
	wait "$sink_pid" 2> /dev/null || true
	sink_pid=
}

# copies ID: how many transactions the relay accepted for outbox item ID
# (files whose header names the item's Message-ID)
copies() {
	local mid
	mid=$(desk_sql "SELECT message_id FROM outbox WHERE id = $1")
	grep -lis -- "^message-id: *<$mid>" "$dumps"/m.* 2> /dev/null | wc -l
}
dump_total() { find "$dumps" -type f | wc -l; }
state() { desk_sql "SELECT status || '/' || attempts FROM outbox WHERE id = $1"; }
run() { desk_ctl outbox run 2> /dev/null; }
# retry ID...: the next try of each is due now
retry() { for i in "$@"; do desk_ctl outbox retry "$i" > /dev/null; done; }
# lease_passes ID: the runner that claimed ID died OUTBOX_LEASE s ago
lease_passes() {
	desk_sql "UPDATE outbox SET next_attempt = next_attempt - 600 WHERE id = $1 AND status = 'sending'"
}

# question NAME: a new customer asks a long question (its notice to the
# engineers quotes it: over 4096 bytes, for the mid-DATA crash point);
# sets A (the engineers' announce) and B (the customer's ack)
n_items=0
question() {
	local before
	before=$(desk_sql "SELECT coalesce(max(id), 0) FROM outbox")
	desk_customer "$1@customer.example"
	DESK_MAIL=$tmp/$1.eml
	for i in $(seq 100); do echo "Line $i: the checkout page fails when the cart holds a coupon."; done |
	    desk_mail "$1 <$1@customer.example>" "$1@customer.example" \
	    support@desk.test "Checkout fails ($1)" "$1@customer.example"
	A=$(desk_sql "SELECT id FROM outbox WHERE id > $before AND kind = 'announce'")
	B=$(desk_sql "SELECT id FROM outbox WHERE id > $before AND kind = 'ack'")
	n_items=$((n_items + 2))
	[ "$DESK_RC" = 0 ] && [ -n "$A" ] && [ -n "$B" ] ||
	    { echo "Bail out! $1: rc $DESK_RC, notices '$A' '$B'"; exit 1; }
}

# expected copies of each item at the end
declare -A want
# deferred LABEL: a run defers A and B, and says which command failed
deferred() {
	is "$(run)" "sent 0, deferred 2, failed 0" "$1: both notices deferred"
}
# recovers LABEL COPIES: the relay works again; the next try of A and B
# sends both, and the relay holds COPIES of each in all
recovers() {
	sink_start
	retry "$A" "$B"
	is "$(run)" "sent 2, deferred 0, failed 0" "$1, then the relay works: both sent"
	is "$(copies "$A")/$(copies "$B")" "$2/$2" "$1, then the relay works: $2 copies each"
	want[$A]=$2 want[$B]=$2
}

# ---- 4xx at MAIL, then RCPT, then DATA: deferred 3 times, then sent once
question c4xx
for cmd in MAIL RCPT DATA; do
	sink_start -r "$cmd"
	deferred "450 at $cmd"
	like "$(desk_sql "SELECT last_error FROM outbox WHERE id = $A")" "^$cmd.*450" "450 at $cmd: last_error names $cmd and the 450"
	retry "$A" "$B"
done
is "$(copies "$A")/$(copies "$B")" "0/0" "4xx: the relay accepted 0 copies meanwhile"
recovers "450 at MAIL, RCPT, DATA" 1
is "$(state "$A")/$(state "$B")" "sent/4/sent/4" "sent at the 4th attempt"
is "$(run)" "sent 0, deferred 0, failed 0" "nothing is left to send"

# ---- 5xx at RCPT, at DATA: failed for good, no copy
question c5rcpt
sink_start -f RCPT
is "$(run)" "sent 0, deferred 0, failed 2" "500 at RCPT: both notices failed"
is "$(state "$A")/$(state "$B")" "failed/1/failed/1" "500 at RCPT: failed after 1 attempt"
want[$A]=0 want[$B]=0
question c5data
sink_start -f DATA
is "$(run)" "sent 0, deferred 0, failed 2" "500 at DATA: both notices failed"
want[$A]=0 want[$B]=0
sink_start
is "$(run)" "sent 0, deferred 0, failed 0" "a failed notice is not tried again by the next run"

# ---- a relay that accepts and never greets (here: 20 s late)
question cgreet
sink_start -W connect:20
start=$(date +%s)
out=$(run)
took=$(( $(date +%s) - start ))
is "$out" "sent 0, deferred 2, failed 0" "silent greeting: both notices deferred, not failed"
check "silent greeting, timeout = 2: the run took under 15 s (${took} s)" [ "$took" -lt 15 ]
like "$(desk_sql "SELECT last_error FROM outbox WHERE id = $A")" "greeting" "silent greeting: last_error names the greeting"
recovers "silent greeting" 1

# ---- the relay hangs up after RCPT, without a word and with a 421
question cclose
sink_start -q RCPT
deferred "hang-up after RCPT"
like "$(desk_sql "SELECT last_error FROM outbox WHERE id = $A")" "RCPT" "hang-up after RCPT: last_error names RCPT"
retry "$A" "$B"
sink_start -Q RCPT
deferred "421 and hang-up after RCPT"
recovers "hang-ups after RCPT" 1

if $faults; then
	# ---- killed after the relay's 250, before "sent" is committed
	question ckill
	set +e
	DESKGATE_FAULT=outbox-after-send desk_ctl outbox run > /dev/null 2>&1
	rc=$?
	set -e
	is "$rc" 137 "outbox-after-send: the runner is killed (SIGKILL)"
	is "$(copies "$A")" 1 "the relay took the first notice once before the kill"
	is "$(state "$A")/$(state "$B")" "sending/1/queued/0" "the first is left sending, the one behind it untouched"
	is "$(run)" "sent 1, deferred 0, failed 0" "the next run sends the notice behind it ..."
	is "$(copies "$A")/$(copies "$B")" "1/1" "... and not the first again within the lease (1 copy each)"
	lease_passes "$A"
	is "$(run)" "sent 1, deferred 0, failed 0" "after the lease the first is sent again"
	is "$(copies "$A")" 2 "the documented window: 2 copies of the first, no more"
	is "$(state "$A")" "sent/2" "sent at the 2nd attempt"
	# the two copies: the same message, byte for byte, past smtp-sink's
	# own header lines (up to its three-line Received:)
	mid=$(desk_sql "SELECT message_id FROM outbox WHERE id = $A")
	i=0
	for f in $(grep -lis -- "^message-id: *<$mid>" "$dumps"/m.*); do
		i=$((i + 1))
		sed '1,/^Received:/d' "$f" | sed '1,2d' > "$tmp/copy$i"
		grep -ic "^message-id: *<$mid>" "$f" > "$tmp/ids$i"
	done
	check "the 2 copies are the same bytes ($(wc -c < "$tmp/copy1") each)" cmp -s "$tmp/copy1" "$tmp/copy2"
	is "$(cat "$tmp/ids1")/$(cat "$tmp/ids2")" "1/1" "each copy carries the one Message-ID <$mid>"
	want[$A]=2 want[$B]=1

	# ---- killed in the middle of DATA
	question cmid
	size=$(desk_sql "SELECT length(raw) FROM outbox WHERE id = $A")
	before=$(dump_total)
	set +e
	DESKGATE_FAULT=outbox-mid-data desk_ctl outbox run > /dev/null 2>&1
	rc=$?
	set -e
	is "$rc" 137 "outbox-mid-data: the runner is killed in the middle of a $size-byte message"
	is "$(dump_total)" "$before" "the relay accepted no transaction from the broken one"
	is "$(copies "$A")" 0 "0 copies of the notice cut off"
	is "$(state "$A")" "sending/1" "the notice cut off is left sending"
	is "$(run)" "sent 1, deferred 0, failed 0" "the next run sends the one behind it"
	lease_passes "$A"
	is "$(run)" "sent 1, deferred 0, failed 0" "after the lease the notice cut off is sent"
	is "$(copies "$A")/$(copies "$B")" "1/1" "mid-DATA kill: 1 copy each"
	want[$A]=1 want[$B]=1
else
	skip "crash points absent: configure --enable-fault-injection (outbox-after-send, outbox-mid-data)"
fi

# ---- the relay's 250 to the dot comes after [relay] timeout: the relay
# has the message, the runner cannot know; it defers, and sends again
question clate
sink_start -W .:4
deferred "250 to the dot later than the timeout"
like "$(desk_sql "SELECT last_error FROM outbox WHERE id = $A")" "end of DATA" "the last error names the end of DATA"
is "$(copies "$A")/$(copies "$B")" "1/1" "the relay kept both anyway (1 copy each)"
recovers "a lost 250 (the second window)" 2

# ---- killed while it waits for the 250 to the dot: the relay holds the
# answer back (-W .:30); as soon as it has the whole message (its dump
# file is there) the runner is killed from outside. The relay has it, the
# store says "sending": the first window again, entered at the dot
question cwait
sink_start -W .:30
# (deskctl itself, not a subshell around desk_ctl: the kill is for it;
# with timeout = 30, so that a slow poll here cannot see it give up)
sed 's/^timeout = 2$/timeout = 30/' "$DESK_CONF" > "$tmp/wait.conf"
check "the runner killed while it waits has timeout = 30" grep -qx 'timeout = 30' "$tmp/wait.conf"
"$DESKCTL" -c "$tmp/wait.conf" outbox run > /dev/null 2>&1 &
runner=$!
for i in $(seq 200); do
	[ "$(copies "$A")" -eq 0 ] || break
	sleep 0.05
done
kill -9 "$runner"
wait "$runner" 2> /dev/null || true
is "$(copies "$A")/$(state "$A")" "1/sending/1" "killed waiting for the 250: the relay has 1 copy, the notice is left sending"
sink_start
lease_passes "$A"
is "$(run)" "sent 2, deferred 0, failed 0" "after the lease it is sent again, with the one behind it"
is "$(copies "$A")/$(copies "$B")" "2/1" "killed after the dot: 2 copies of it, 1 of the one behind it"
want[$A]=2 want[$B]=1

# ---- two runners at once, one lock file: the relay answers DATA after
# 1 s so that the runs overlap
question crun1; r1=$A r2=$B
question crun2; r3=$A r4=$B
sink_start -w 1
desk_ctl outbox run > "$tmp/run1" 2> /dev/null &
p1=$!
desk_ctl outbox run > "$tmp/run2" 2> /dev/null &
p2=$!
wait "$p1" "$p2"
is "$(cat "$tmp/run1" "$tmp/run2" | sort | tr '\n' '|')" \
    "another outbox runner is at work; nothing done|sent 4, deferred 0, failed 0|" \
    "2 runners, one lock: one sends all 4, the other does nothing"
is "$(copies $r1)/$(copies $r2)/$(copies $r3)/$(copies $r4)" "1/1/1/1" "2 runners, one lock: 1 copy each"
want[$r1]=1 want[$r2]=1 want[$r3]=1 want[$r4]=1

# ---- two runners at once that do not share a lock file: the second
# reaches the store through a symlink; the claim keeps them apart
question crun3; r1=$A r2=$B
question crun4; r3=$A r4=$B
ln -s "$DESK_DIR/desk.db" "$tmp/alias.db"
sed "s|^path = .*|path = $tmp/alias.db|" "$DESK_CONF" > "$tmp/alias.conf"
desk_ctl outbox run > "$tmp/run1" 2> /dev/null &
p1=$!
"$DESKCTL" -c "$tmp/alias.conf" outbox run > "$tmp/run2" 2> /dev/null &
p2=$!
wait "$p1" "$p2"
sent=$(cat "$tmp/run1" "$tmp/run2" | awk '/^sent / { s += $2 } END { print s + 0 }')
diag "runner 1: $(cat "$tmp/run1"); runner 2 (symlink): $(cat "$tmp/run2")"
is "$sent" 4 "2 runners, two lock files: 4 sent between them"
check "2 runners, two lock files: both ran (neither saw the other's lock)" \
    [ "$(grep -c '^sent' "$tmp/run1" "$tmp/run2" | grep -c ':1$')" -eq 2 ]
is "$(copies $r1)/$(copies $r2)/$(copies $r3)/$(copies $r4)" "1/1/1/1" "2 runners, two lock files: 1 copy each"
want[$r1]=1 want[$r2]=1 want[$r3]=1 want[$r4]=1
sink_stop

# ---- every notice, counted at the relay
is "$(desk_sql "SELECT count(*) FROM outbox")" "$n_items" "$n_items notices queued in all"
bad=
total=0
for id in $(desk_sql "SELECT id FROM outbox ORDER BY id"); do
	[ -n "${want[$id]:-}" ] || continue
	got=$(copies "$id")
	total=$((total + got))
	[ "$got" = "${want[$id]}" ] || bad="$bad id=$id:$got/${want[$id]}"
done
is "$bad" "" "each notice reached the relay as often as counted above"
is "$(dump_total)" "$total" "the relay holds $total transactions, all of them those notices"
is "$(desk_sql "SELECT count(*) FROM outbox WHERE status NOT IN ('sent', 'failed')")" 0 "none is left queued or sending"

done_testing
tap_status
