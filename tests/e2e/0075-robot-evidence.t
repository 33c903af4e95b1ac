#!/bin/bash
# 0075-robot-evidence.t - no paid request is swallowed (issue 6, part 3):
# through deskgate, a license owner's plain request whose subject reads
# like a robot's ("Delivery failed ...", "Out of office ...", "Returned
# mail ...", "Undeliverable ...") opens a ticket and gets an
# acknowledgment queued; the same subjects with protocol evidence (an
# Auto-Submitted: auto-replied header, a null envelope sender) open no
# ticket and queue no notice.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk"
owner=olga@shop.example
desk_customer "$owner" --name "Olga Smirnova"

subjects=(
	"Delivery failed for our order confirmation emails"
	"Out of office reply not working"
	"Returned mail from our shop"
	"Undeliverable invoices"
)
count() { desk_sql "SELECT count(*) FROM $1"; }

# mail N SUBJECT [EXTRA HEADER]: a plain request as a mail client writes it
mail() {
	printf 'Return-Path: <%s>\n' "$owner"
	printf 'From: Olga Smirnova <%s>\n' "$owner"
	printf 'To: Help Desk <support@desk.test>\n'
	printf 'Subject: %s\n' "$2"
	printf 'Date: Mon, 8 Jan 2024 10:%02d:00 +0000\n' "$1"
	printf 'Message-ID: <req-%s@mail.shop.example>\n' "$1"
	[ -z "${3:-}" ] || printf '%s\n' "$3"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=utf-8\n'
	printf 'User-Agent: Mozilla Thunderbird\n\n'
	printf 'Hello,\n\nsince the update on Monday our store has a problem: %s.\n' "$2"
	printf 'Our customers are waiting, could you please have a look?\n'
	printf 'This is message %s.\n\nThank you,\nOlga Smirnova\n' "$1"
}

# --- plain requests: a ticket and an acknowledgment each
n=0 tickets_ok=0 acks_ok=0 missed=""
for s in "${subjects[@]}"; do
	n=$((n + 1))
	tickets=$(count tickets)
	mail "$n" "$s" > "$tmp/req-$n.eml"
	desk_gate "$owner" support@desk.test < "$tmp/req-$n.eml"
	id=$(desk_sql "SELECT ticket_id FROM messages WHERE message_id = 'req-$n@mail.shop.example'")
	got=$DESK_RC/$(count tickets)/$(desk_sql "SELECT class || '|' || author FROM messages WHERE message_id = 'req-$n@mail.shop.example'")
	is "$got" "0/$((tickets + 1))/human|customer" \
	    "request $n of ${#subjects[@]} (\"$s\"): exit 0, 1 new ticket, stored human from the customer"
	[ "$got" != "0/$((tickets + 1))/human|customer" ] || tickets_ok=$((tickets_ok + 1))
	ack=$(desk_sql "SELECT kind || '|' || rcpt FROM outbox WHERE ticket_id = '${id:-none}'")
	is "$ack" "ack|$owner" \
	    "request $n of ${#subjects[@]} (\"$s\"): 1 acknowledgment queued to the owner"
	if [ "$ack" = "ack|$owner" ]; then acks_ok=$((acks_ok + 1)); else missed="$missed $n"; fi
	like "$(desk_sql "SELECT subject FROM tickets WHERE id = '${id:-none}'")" "^$s\$" \
	    "request $n of ${#subjects[@]}: the ticket has the subject"
done
is "$tickets_ok/$acks_ok/$n" "4/4/4" \
    "4 of 4 robot-like subjects from a license owner opened a ticket and were acknowledged${missed:+ (missed:$missed)}"

# --- the same subjects with protocol evidence: stored, no ticket, no notice
robot_case() { # N SUBJECT SENDER HEADER WANT_CLASS WHAT
	local tickets outbox got
	tickets=$(count tickets) outbox=$(count outbox)
	mail "$1" "$2" "$4" > "$tmp/robot-$1.eml"
	desk_gate "$3" support@desk.test < "$tmp/robot-$1.eml"
	got=$DESK_RC/$(count tickets)/$(count outbox)/$(desk_sql "SELECT class FROM messages WHERE message_id = 'req-$1@mail.shop.example'")
	is "$got" "0/$tickets/$outbox/$5" "$6"
	[ "$got" = "0/$tickets/$outbox/$5" ]
}
auto_ok=0 null_ok=0 i=0
for s in "${subjects[@]}"; do
	i=$((i + 1))
	robot_case $((10 + i)) "$s" "$owner" "Auto-Submitted: auto-replied" autoreply \
	    "\"$s\" ($i of ${#subjects[@]}) with Auto-Submitted: auto-replied: exit 0, 0 new tickets, 0 notices, stored autoreply" &&
	    auto_ok=$((auto_ok + 1))
	robot_case $((20 + i)) "$s" "" "" bounce \
	    "\"$s\" ($i of ${#subjects[@]}) from the null sender <>: exit 0, 0 new tickets, 0 notices, stored bounce" &&
	    null_ok=$((null_ok + 1))
done
is "$auto_ok/$null_ok/$i" "4/4/4" \
    "4 of 4 subjects with Auto-Submitted and 4 of 4 from <> opened no ticket and queued no notice"

done_testing
tap_status
