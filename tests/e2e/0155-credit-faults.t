#!/bin/bash
# 0155-credit-faults.t - the credit paths killed at every write point
# (issue 11, 2): a customer's confirmation, an engineer's #category answer
# (the first charge, and a change of category that charges the
# difference), and "deskctl credits buy --reference" resuming two
# tickets.
#
# Each path starts from a store prepared once (copied for every run). An
# uninterrupted run gives the reference. Then, for each point the path
# passes (DESKGATE_FAULT=POINT, or POINT:N for its N-th pass), the action
# is killed there: the store must be intact and hold nothing of it (no
# ledger row without its ticket change, no answer released without its
# charge), and the retry, as postfix makes it (or the operator), must
# end exactly as the uninterrupted run: charged once. Killed after the
# commit, the retry of a mail is a duplicate and changes nothing, and so
# is the retry of a purchase with the same --reference (schema 6: it
# says "already recorded").
#
# Without fault injection (desk_has_faults) each kill is a visible skip.
# Also, during a confirmation: the store read-only (deskgate run as
# nobody when the test runs as root, else the file made read-only) and
# the write lock held past busy_timeout by another sqlite3: exit 75,
# nothing changed, and the retry works.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

# without the crash points only the read-only and lock cases run; each
# kill is a visible skip
if desk_has_faults; then FAULTS=1; else FAULTS=0; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DESK_MAIL=$tmp/m.eml
NOTIFY=engineers@vendor.example
ALICE="Alice Engineer <alice@vendor.example>"
QUOTE_HEADER="On Thu, 26 Nov 2026 at 10:00, Help Desk <support@desk.test> wrote:"

# snap: the store as text, without what differs between two equal runs
# (times, and the Message-IDs deskgate makes for its notices)
snap() {
	desk_sql "
	SELECT 'ticket', id, status, category, charged, preapproved, flags,
	    engineer_id FROM tickets ORDER BY id;
	SELECT 'ledger', id, customer_id, delta, reason, ticket_id, price_cents,
	    reference FROM ledger ORDER BY id;
	SELECT 'confirmation', id, ticket_id, category, credits, status
	    FROM confirmations ORDER BY id;
	SELECT 'outbox', id, ticket_id, kind, rcpt, subject, reply_to, status,
	    attempts FROM outbox ORDER BY id;
	SELECT 'message', id, ticket_id, direction, author,
	    CASE direction WHEN 'in' THEN message_id END, recipient, class, flags
	    FROM messages ORDER BY id;
	SELECT 'raw', count(*) FROM message_raw;
	SELECT 'audit', id, actor, action, ticket_id FROM audit ORDER BY id;"
}
# half: what must never be seen, whatever was killed: a ticket whose
# charge is not what its ledger rows say, an answer released (queued)
# for a ticket not charged its category's cost
half() {
	desk_sql "SELECT
	    (SELECT count(*) FROM tickets t WHERE t.charged != -(SELECT
	        coalesce(sum(delta), 0) FROM ledger WHERE ticket_id = t.id))
	    || ' tickets off their ledger, ' ||
	    (SELECT count(*) FROM outbox o JOIN tickets t ON t.id = o.ticket_id
	        WHERE o.kind = 'answer' AND o.status = 'queued' AND t.charged !=
	        CASE t.category WHEN 1 THEN 5 WHEN 2 THEN 10 WHEN 3 THEN 20
	        ELSE 0 END)
	    || ' answers released uncharged'"
}
HALF_NONE="0 tickets off their ledger, 0 answers released uncharged"

# ---- the mail ----

# request N MSGID SUBJECT: customer N's new request (ticket T)
request() {
	desk_mail "Customer $1 <c$1@customer.example>" "c$1@customer.example" \
	    support@desk.test "$3" "$2" <<EOF
Hello,

$3: the checkout page stays blank since yesterday. What can I do?

Customer $1
EOF
	T=$(desk_sql "SELECT max(id) FROM tickets")
}
ob() { desk_sql "SELECT $3 FROM outbox WHERE ticket_id = $1 AND kind = '$2' ORDER BY id ${4:-DESC} LIMIT 1"; }
# eng_file T MSGID COMMAND FILE: alice's answer to ticket T's announcement
eng_file() {
	{
		echo "From: $ALICE"
		echo "To: $(ob "$1" announce reply_to ASC)"
		echo "Subject: Re: $(ob "$1" announce subject ASC)"
		echo "Date: Thu, 26 Nov 2026 11:00:00 +0000"
		echo "Message-ID: <$2>"
		echo "In-Reply-To: <$(ob "$1" announce message_id ASC)>"
		echo "MIME-Version: 1.0"
		echo "Content-Type: text/plain; charset=utf-8"
		echo
		printf '%s\n\nHello,\n\nclear the cache of ticket %s and try again.\n\nBest regards\n\n' "$3" "$1"
		echo "$QUOTE_HEADER"
		echo "> the checkout page stays blank"
	} > "$4"
}
# confirm_file T N MSGID FILE: customer N confirms ticket T's pending notice
confirm_file() {
	{
		echo "From: Customer $2 <c$2@customer.example>"
		echo "To: $(ob "$1" confirm reply_to)"
		echo "Subject: Re: $(ob "$1" confirm subject)"
		echo "Date: Thu, 26 Nov 2026 12:00:00 +0000"
		echo "Message-ID: <$3>"
		echo "In-Reply-To: <$(ob "$1" confirm message_id)>"
		echo "MIME-Version: 1.0"
		echo "Content-Type: text/plain; charset=utf-8"
		echo
		printf 'confirm\n\nCustomer %s\n\n%s\n> Please confirm\n' "$2" "$QUOTE_HEADER"
	} > "$4"
}
# gate FILE SENDER RCPT: deliver FILE as pipe(8) would (DESK_RC, DESK_OUT)
gate() { desk_gate "$2" "$3" < "$1"; }
rcpt_of() { sed -n 's/^To: //p' "$1" | head -n 1; }

# ---- the prepared stores ----

# base NAME: a desk in $tmp/base-NAME (the current desk afterwards)
base() {
	desk_setup "$tmp/base-$1" "[staff]" "notify = $NOTIFY"
	desk_ctl staff add alice@vendor.example --name "Alice Engineer" > /dev/null
}
# seal: the current desk, checkpointed, to copy
seal() { desk_sql "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null; }
# fresh NAME RUN: a copy of base NAME in $tmp/RUN, as the current desk
fresh() {
	rm -rf "$tmp/$2"
	cp -r "$tmp/base-$1" "$tmp/$2"
	sed -i "s|$tmp/base-$1|$tmp/$2|g" "$tmp/$2/deskgate.conf"
	rm -f "$tmp/$2/deskgate.log"
	DESK_DIR=$tmp/$2 DESK_CONF=$tmp/$2/deskgate.conf
}

# confirm: ticket 1 of customer 1 (not agreed in advance), category 2
# asked, the answer held; the action is the customer's "confirm"
base confirm
desk_customer c1@customer.example --name "Customer 1"
request 1 q1@customer.example "Blank checkout page"
eng_file "$T" a1@vendor.example "#category 2" "$tmp/a1.eml"
gate "$tmp/a1.eml" alice@vendor.example "$(rcpt_of "$tmp/a1.eml")"
confirm_file "$T" 1 c1@customer.example "$tmp/confirm.eml"
is "$DESK_RC/$(desk_sql "SELECT status || '/' || charged FROM tickets WHERE id = $T")/$(ob "$T" answer status)" \
    0/awaiting_confirmation/0/held "confirm: the prepared ticket awaits confirmation, its answer held"
seal

# engineer: customer 2 agreed in advance; the action is alice's
# "#category 2" with the answer: charged at once, the answer queued
base engineer
desk_customer c2@customer.example --name "Customer 2" --preapprove
request 2 q2@customer.example "Blank checkout page"
eng_file "$T" a2@vendor.example "#category 2" "$tmp/engineer.eml"
seal

# recategorise: customer 3 agreed in advance, ticket answered as category
# 1 (5 charged); the action is "#category 3" with a second answer: 15
# more, the answer and a category notice
base recategorise
desk_customer c3@customer.example --name "Customer 3" --preapprove
request 3 q3@customer.example "Blank checkout page"
eng_file "$T" a3@vendor.example "#category 1" "$tmp/a3.eml"
gate "$tmp/a3.eml" alice@vendor.example "$(rcpt_of "$tmp/a3.eml")"
eng_file "$T" a3b@vendor.example "#category 3" "$tmp/recategorise.eml"
is "$DESK_RC/$(desk_sql "SELECT status || '/' || category || '/' || charged FROM tickets WHERE id = $T")" \
    0/answered/1/5 "recategorise: the prepared ticket is answered, category 1, 5 charged"
seal

# buy: customer 4 agreed in advance, two category 3 tickets paid (10
# credits left), two more wait for credits; the action is "deskctl
# credits buy --package 50 --reference pay-4-50", which resumes both
base buy
desk_customer c4@customer.example --name "Customer 4" --preapprove
for i in 1 2 3 4; do
	request 4 "q4-$i@customer.example" "Blank page number $(echo one two three four | cut -d' ' -f$i)"
	eng_file "$T" "a4-$i@vendor.example" "#category 3" "$tmp/a4.eml"
	gate "$tmp/a4.eml" alice@vendor.example "$(rcpt_of "$tmp/a4.eml")"
done
is "$(desk_sql "SELECT group_concat(status || '/' || charged, ' ') FROM tickets")" \
    "answered/20 answered/20 awaiting_credits/0 awaiting_credits/0" \
    "buy: the prepared customer has two tickets paid and two waiting for credits"
seal

# act PATH [FAULT]: the path's action (DESK_RC; deskctl's status too)
act() {
	local f
	case $1 in
	confirm) f=$tmp/confirm.eml;;
	engineer) f=$tmp/engineer.eml;;
	recategorise) f=$tmp/recategorise.eml;;
	buy)
		set +e
		{ DESKGATE_FAULT=${2:-} "$DESKCTL" -c "$DESK_CONF" credits buy \
		    c4@customer.example --package 50 --reference pay-4-50 \
		    > "$tmp/buy.out" 2>&1; } 2> /dev/null
		DESK_RC=$?
		set -e
		return 0;;
	esac
	set +e
	DESK_OUT=$(DESKGATE_FAULT=${2:-} "$DESKGATE" -c "$DESK_CONF" \
	    -f "$(sed -n 's/^From: .*<\(.*\)>$/\1/p' "$f" | head -n 1)" -- "$(rcpt_of "$f")" \
	    < "$f" 2> /dev/null)
	DESK_RC=$?
	set -e
}

# ---- the uninterrupted runs ----

declare -A ref
fresh confirm ref-confirm
act confirm
ref[confirm]=$(snap)
is "$DESK_RC/$(desk_sql "SELECT status || '/' || category || '/' || charged FROM tickets WHERE id = 1")/$(desk_sql "SELECT group_concat(delta) FROM ledger WHERE ticket_id = 1")/$(ob 1 answer status)/$(desk_sql "SELECT status FROM confirmations")" \
    0/answered/2/10/-10/queued/confirmed \
    "confirm, uninterrupted: answered, category 2, one ledger row -10, the answer released, the confirmation decided"

fresh engineer ref-engineer
act engineer
ref[engineer]=$(snap)
is "$DESK_RC/$(desk_sql "SELECT status || '/' || category || '/' || charged FROM tickets WHERE id = 1")/$(desk_sql "SELECT group_concat(delta) FROM ledger WHERE ticket_id = 1")/$(ob 1 answer status)" \
    0/answered/2/10/-10/queued \
    "engineer, uninterrupted: answered, category 2, one ledger row -10, the answer queued"

fresh recategorise ref-recategorise
act recategorise
ref[recategorise]=$(snap)
is "$DESK_RC/$(desk_sql "SELECT status || '/' || category || '/' || charged FROM tickets WHERE id = 1")/$(desk_sql "SELECT group_concat(delta) FROM ledger WHERE ticket_id = 1")/$(desk_sql "SELECT group_concat(status) FROM outbox WHERE ticket_id = 1 AND kind = 'answer'")/$(desk_sql "SELECT count(*) FROM outbox WHERE kind = 'category'")" \
    0/answered/3/20/-5,-15/queued,queued/1 \
    "recategorise, uninterrupted: category 3, 20 charged in two rows (-5, -15), a second answer, one category notice"

fresh buy ref-buy
act buy
ref[buy]=$(snap)
is "$DESK_RC/$(desk_sql "SELECT group_concat(status || '/' || charged, ' ') FROM tickets")/$(desk_sql "SELECT sum(delta) FROM ledger")/$(desk_sql "SELECT group_concat(status) FROM outbox WHERE kind = 'answer'")" \
    "0/answered/20 answered/20 answered/20 answered/20/20/queued,queued,queued,queued" \
    "buy, uninterrupted: both waiting tickets charged 20 and answered, 20 credits left, their answers released"

# ---- killed at every point, then retried ----

# kill PATH POINT: killed at POINT, nothing half-written, the retry whole
kill_at() {
	local path=$1 point=$2 before
	if [ "$FAULTS" = 0 ]; then
		skip "$path/$point: deskgate built without --enable-fault-injection"
		return 0
	fi
	fresh "$path" "$path-$point"
	before=$(snap)
	act "$path" "$point"
	is "$DESK_RC" 137 "$path/$point: killed there (SIGKILL)"
	is "$(desk_sql 'PRAGMA integrity_check')/$(half)" "ok/$HALF_NONE" \
	    "$path/$point: the store is intact, nothing half-written"
	if [ "${point%:*}" = after-commit ]; then
		check "$path/$point: the committed action is whole" test "$(snap)" = "${ref[$path]}"
	else
		check "$path/$point: nothing of the action is in the store" test "$(snap)" = "$before"
	fi
	act "$path"
	is "$DESK_RC" 0 "$path/$point: the retry succeeds"
	if [ "$path" = buy ] && [ "${point%:*}" = after-commit ]; then
		# a purchase is no mail: nobody redelivers it; the operator
		# or the billing script runs it again with its reference
		like "$(cat "$tmp/buy.out")" '^reference pay-4-50 already recorded on .*: 50 credits to c4@customer\.example \(\$85\.00\); balance 20 credits; nothing changed$' \
		    "$path/$point: the retry with the same --reference says already recorded (balance 20)"
	elif [ "$path" = buy ]; then
		like "$(head -n 1 "$tmp/buy.out")" '^50 credits added to c4@customer\.example \(\$85\.00\), reference pay-4-50$' \
		    "$path/$point: the retry makes the purchase"
	fi
	if [ "$(snap)" = "${ref[$path]}" ]; then
		check "$path/$point: the retry ends exactly as the uninterrupted run (charged once)" true
	else
		check "$path/$point: the retry ends exactly as the uninterrupted run (charged once)" false
		diff <(echo "${ref[$path]}") <(snap) | sed 's/^/# /' | head -n 20
	fi
}

for p in before-begin after-message-row after-change after-ledger after-outbox \
    after-outbox:2 before-commit after-commit; do
	kill_at confirm "$p"
done
for p in after-message-row after-change after-ledger after-outbox before-commit \
    after-commit; do
	kill_at engineer "$p"
done
for p in after-change after-ledger after-outbox after-outbox:2 before-commit \
    after-commit; do
	kill_at recategorise "$p"
done
# POINT:N counts the passes: the engineer's answer queues one notice
if [ "$FAULTS" = 1 ]; then
	fresh engineer engineer-count
	act engineer after-outbox:2
	is "$DESK_RC" 0 "engineer/after-outbox:2: one notice, one pass: not killed"
	check "engineer/after-outbox:2: ... and the action is whole" test "$(snap)" = "${ref[engineer]}"
else
	skip "engineer/after-outbox:2: deskgate built without --enable-fault-injection"
fi
for p in before-begin after-change after-ledger after-change:2 after-ledger:2 \
    before-commit after-commit; do
	kill_at buy "$p"
done

# ---- the store read-only during a confirmation ----

# The file cannot be written, the directory can (SQLite makes its -wal
# and -shm there): deskgate reads, plans, takes the lock, and the first
# write fails, under the lock.
fresh confirm readonly
before=$(snap)
: > "$DESK_DIR/deskgate.log"
chmod 666 "$DESK_DIR/deskgate.log"
ro=yes
if [ "$(id -u)" -eq 0 ]; then
	# root writes anyway: deskgate as nobody, who may read the store,
	# the config, the rules and the templates, and not write the store
	how="deskgate as nobody, the file root's 644"
	chmod 755 "$tmp"
	chmod 777 "$DESK_DIR"
	chmod 644 "$DESK_CONF" "$DESK_DIR/desk.db"
	nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
	if nobody sh -c 'cat "$1" "$2" "$3" > /dev/null && test -x "$4"' - "$DESK_CONF" \
	    "$top_srcdir/filters/robots.rules" "$top_srcdir/etc/templates/en/confirmed.txt" \
	    "$DESKGATE" 2> /dev/null; then
		set +e
		DESK_OUT=$(nobody "$DESKGATE" -c "$DESK_CONF" -f c1@customer.example -- \
		    "$(rcpt_of "$tmp/confirm.eml")" < "$tmp/confirm.eml" 2> /dev/null)
		DESK_RC=$?
		set -e
	else
		ro="nobody cannot read the build tree or the sources (umask?)"
	fi
	chmod 700 "$tmp" "$DESK_DIR"
else
	how="chmod a-w on the file"
	chmod a-w "$DESK_DIR/desk.db"
	act confirm
	chmod u+w "$DESK_DIR/desk.db"
fi
if [ "$ro" = yes ]; then
	is "$DESK_RC" 75 "read-only store ($how): the confirmation defers (75)"
	like "$DESK_OUT" '^4\.3\.0 ' "... with a 4.3.0 line"
	is "$(echo "$DESK_OUT" | wc -l)" 1 "... and nothing else on stdout"
	like "$(cat "$DESK_DIR/deskgate.log")" 'readonly database' \
	    "... the log says the store could not be written"
	is "$(desk_sql 'PRAGMA integrity_check')/$(half)" "ok/$HALF_NONE" \
	    "read-only store: the store is intact, nothing half-written"
	check "read-only store: nothing changed" test "$(snap)" = "$before"
	act confirm
	is "$DESK_RC" 0 "read-only store: the retry once it is writable succeeds"
	check "read-only store: the retry ends exactly as the uninterrupted run (charged once)" \
	    test "$(snap)" = "${ref[confirm]}"
else
	skip "read-only store: $ro"
fi

# ---- the write lock held past busy_timeout ----

# hold: another sqlite3 holds BEGIN IMMEDIATE for 3 s (pid in $holder)
hold() {
	rm -f "$tmp/lock-held"
	sqlite3 "$DESK_DIR/desk.db" "BEGIN IMMEDIATE; SELECT 1;" \
	    ".shell touch $tmp/lock-held" ".shell sleep 3" "COMMIT;" > /dev/null &
	holder=$!
	for i in $(seq 1 50); do [ -e "$tmp/lock-held" ] && break; sleep 0.1; done
	[ -e "$tmp/lock-held" ] || { echo "Bail out! the lock holder did not start"; exit 1; }
}
fresh confirm locked
sed -i 's|^\[store\]$|[store]\nbusy_timeout = 300|' "$DESK_CONF"
grep -qx 'busy_timeout = 300' "$DESK_CONF" || { echo "Bail out! no busy_timeout set"; exit 1; }
before=$(snap)
hold
act confirm
is "$DESK_RC" 75 "lock held past busy_timeout: the confirmation defers (75)"
like "$DESK_OUT" '^4\.3\.0 ' "... with a 4.3.0 line"
like "$(cat "$DESK_DIR/deskgate.log")" 'database is locked' "... the log says the store was locked"
wait "$holder"
check "lock held: nothing changed" test "$(snap)" = "$before"
act confirm
is "$DESK_RC" 0 "lock held: the retry once the lock is free succeeds"
check "lock held: the retry ends exactly as the uninterrupted run (charged once)" \
    test "$(snap)" = "${ref[confirm]}"

fresh buy locked-buy
sed -i 's|^\[store\]$|[store]\nbusy_timeout = 300|' "$DESK_CONF"
before=$(snap)
hold
act buy
check "lock held: deskctl credits buy fails (status $DESK_RC) and says the store was locked" \
    eval '[ "$DESK_RC" -ne 0 ] && grep -q "locked" "$tmp/buy.out"'
wait "$holder"
check "lock held: nothing was bought" test "$(snap)" = "$before"
act buy
is "$DESK_RC" 0 "lock held: the purchase again once the lock is free succeeds"
check "lock held: ... and ends exactly as the uninterrupted purchase" test "$(snap)" = "${ref[buy]}"

done_testing
tap_status
