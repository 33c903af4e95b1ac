#!/bin/bash
# 0085-policy.t - deskgate-policy answers postfix's policy delegation
# protocol as spawn(8) runs it (requests on stdin, answers on stdout, one
# connection, several requests): a license owner's envelope sender to a
# guarded address gets 550 5.7.1 at RCPT time, anyone else DUNNO, and any
# error of its own is DUNNO with a log line.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

POLICY=$top_builddir/src/deskgate-policy
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

desk_setup "$tmp/desk" "[guard]" "addresses = alice@vendor.example" \
    "pass_to = alice@vendor.example=alice@mbox.vendor.example"
desk_customer bob@customer.example
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"

# request SENDER RECIPIENT [STATE]: one request as postfix writes it
request() {
	printf 'request=smtpd_access_policy\nprotocol_state=%s\nprotocol_name=ESMTP\n' "${3:-RCPT}"
	printf 'client_address=127.0.0.1\nhelo_name=mx.example\nqueue_id=\n'
	printf 'sender=%s\nrecipient=%s\nrecipient_count=0\nsize=1200\n\n' "$1" "$2"
}
{
	request bob@customer.example alice@vendor.example
	request pat@prospect.example alice@vendor.example
	request bob@customer.example someone@vendor.example
	request '' alice@vendor.example
	request BOB@customer.example alice@vendor.example MAIL
} | "$POLICY" -c "$DESK_CONF" > "$tmp/answers"
answers=$(cat "$tmp/answers")
is "$(grep -c '^action=' "$tmp/answers")" 5 "five requests on one connection, five answers"
is "$(grep -c '^$' "$tmp/answers")" 5 "... each ended by an empty line"
like "$(printf '%s\n' "$answers" | sed -n 1p)" \
    '^action=550 5\.7\.1 <alice@vendor\.example>: .*support@desk\.test.*#1' \
    "a license owner's envelope to a guarded address: 550 5.7.1 with the Help Desk and ticket #1"
is "$(printf '%s\n' "$answers" | grep '^action=' | sed -n '2,5p' | tr '\n' ' ')" \
    "action=DUNNO action=DUNNO action=DUNNO action=DUNNO " \
    "a prospect, an unguarded recipient, the null sender and a MAIL-time request: DUNNO"

sed 's/^\[guard\]$/[guard]\naction = reply/' "$DESK_CONF" > "$tmp/reply.conf"
is "$(request bob@customer.example alice@vendor.example | "$POLICY" -c "$tmp/reply.conf" | head -n 1)" \
    action=DUNNO "with action = reply the owner is let through (the pipe keeps the mail)"

mv "$tmp/desk/desk.db" "$tmp/desk/gone.db"
is "$(request bob@customer.example alice@vendor.example | "$POLICY" -c "$DESK_CONF" | head -n 1)" \
    action=DUNNO "the store missing: DUNNO"
like "$(cat "$tmp/desk/deskgate.log")" 'deskgate-policy.*answering DUNNO' "... with a log line"
is "$(request bob@customer.example alice@vendor.example | "$POLICY" -c "$tmp/no-such.conf" 2>/dev/null | head -n 1)" \
    action=DUNNO "no usable configuration: DUNNO"
long=$(head -c 20000 /dev/zero | tr '\0' a)
is "$( { printf 'sender=bob@customer.example\nrecipient=alice@vendor.example\nx=%s\n\n' "$long"; } |
    "$POLICY" -c "$DESK_CONF" | head -n 1)" action=DUNNO "a request line over 8 KB: DUNNO, not a crash"

done_testing
tap_status
