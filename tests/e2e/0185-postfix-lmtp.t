#!/bin/bash
# 0185-postfix-lmtp.t - a real postfix delivering the desk domain to
# deskgate-lmtpd (transport lmtp:unix:PATH) instead of the pipe: a license
# owner's request opens a ticket, a stranger gets a notice, a redelivery
# changes nothing, a message to a good and a bad recipient in one LMTP
# transaction is stored for one and bounced (5.1.1) for the other, the
# service killed after its commit is retried by postfix and the message
# stored once, and SIGTERM while postfix holds a cached connection.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"
. "$(dirname "$0")/../lib/postfix.sh"
. "$(dirname "$0")/../lib/lmtpd.sh"
# it rewires the pipe's setup to LMTP itself, whatever DESK_TRANSPORT says
DESK_TRANSPORT=pipe

pf_available || plan_skip "needs root, postfix and swaks"
command -v setpriv > /dev/null || plan_skip "needs setpriv (util-linux)"

tmp=$(mktemp -d)
trap 'lmtpd_stop; pf_stop; [ "$tap_failed" -eq 0 ] && rm -rf "$tmp"' EXIT
BOB=bob@customer.example
VISITOR=visitor@stranger.example

desk_with_postfix "$tmp" "$BOB" "$VISITOR"
desk_customer "$BOB" --name "Bob Smith"
chown -R nobody: "$tmp/desk"
sock=$tmp/desk/lmtp.sock
# as pipe(8) runs deskgate: an unprivileged user
LMTPD_AS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
check "deskgate-lmtpd runs as nobody" lmtpd_start "$DESK_CONF" "$sock"

# the desk domain goes to the LMTP service (etc/postfix/main.cf.lmtp.snippet)
printf 'desk.test lmtp:unix:%s\n' "$sock" > "$PF_ETC/transport"
_pf_backdate "$PF_ETC/transport"
postmap -c "$PF_ETC" "hash:$PF_ETC/transport"
pf_postconf "lmtp_destination_recipient_limit = 50" > /dev/null

# --- a license owner's request becomes ticket 1
desk_as_test "$(desk_sample 01-question.eml)" > "$tmp/q.eml"
pf_send_file "$BOB" support@desk.test "$tmp/q.eml"
check "postfix delivered the request over LMTP" pf_wait_queue_empty 30
is "$(desk_sql "SELECT id || '|' || status FROM tickets")" "1|new" "ticket 1 stored"
like "$(pf_log)" "to=<support@desk.test>, relay=[^ ]*\[$sock\].*status=sent \(250 2\.0\.0 <support@desk\.test> delivered\)" \
    "postfix logged lmtp's 250 2.0.0 for the recipient"
like "$(cat "$tmp/desk/deskgate.log")" "deskgate-lmtpd.*msgid=<CAF4kQ2x1a@mail.customer.example> from=<$BOB> rcpt=<support@desk.test> ticket=1 action=created" \
    "the service logged the delivery"
is "$(desk_sql "SELECT count(*) FROM messages m JOIN message_raw r ON r.message_row = m.id WHERE m.direction = 'in' AND instr(r.raw, char(13)) = 0")" 1 \
    "the stored message has LF line ends, as the pipe stores it"

# --- a stranger gets a notice, no ticket
desk_as_test "$(desk_sample 04-stranger.eml)" | sed "s/visitor@somewhere.example/$VISITOR/" > "$tmp/s.eml"
pf_send_file "$VISITOR" support@desk.test "$tmp/s.eml"
check "the stranger's mail delivered" pf_wait_queue_empty 30
is "$(desk_sql "SELECT count(*) FROM tickets")/$(desk_sql "SELECT count(*) FROM outbox WHERE rcpt = '$VISITOR'")" "1/1" \
    "stranger: no ticket, one notice queued"

# --- the same message again (new queue id, new Received line)
pf_send_file "$BOB" support@desk.test "$tmp/q.eml"
check "the duplicate delivered" pf_wait_queue_empty 30
is "$(desk_sql "SELECT count(*) FROM tickets")/$(desk_sql "SELECT count(*) FROM outbox")" "1/2" \
    "duplicate redelivery: no ticket, no notice"

# --- one transaction, two recipients: one stored, one bounced with 5.1.1
sed 's/^Message-ID: <CAF4kQ2x1a@/Message-ID: <two-rcpts@/; s/^Subject: .*/Subject: Two recipients/' \
    "$tmp/q.eml" > "$tmp/q2.eml"
pf_send_file "$BOB" support@desk.test,nobody@desk.test "$tmp/q2.eml"
check "the two-recipient message left the queue" pf_wait_queue_empty 30
is "$(desk_sql "SELECT group_concat(subject, '|') FROM tickets")" \
    "Shipping methods disappear at checkout|Two recipients" "support@ got ticket 2"
like "$(pf_log)" 'to=<nobody@desk\.test>, relay=.*status=bounced \(host .* said: 550 5\.1\.1 <nobody@desk\.test>' \
    "nobody@ bounced with the pipe's 5.1.1 text"
check "the bounce reached the sender" pf_wait_maildir "$BOB" 1 30

# --- killed after the commit, before its reply: postfix retries, stored once
if desk_has_faults; then
	lmtpd_stop
	lmtpd_start "$DESK_CONF" "$sock" DESKGATE_FAULT=after-commit
	sed 's/^Message-ID: <CAF4kQ2x1a@/Message-ID: <killed@/; s/^Subject: .*/Subject: Killed after commit/' \
	    "$tmp/q.eml" > "$tmp/q3.eml"
	pf_send_file "$BOB" support@desk.test "$tmp/q3.eml"
	lmtpd_wait_exit 30
	is "$LMTPD_RC" 137 "the service died of SIGKILL after the commit"
	check "postfix defers the unanswered delivery" wait_for 30 \
	    grep -q 'to=<support@desk.test>.*status=deferred' "$tmp/pf/maillog"
	lmtpd_start "$DESK_CONF" "$sock"
	pf_flush
	check "the retry is delivered" pf_wait_queue_empty 30
	is "$(desk_sql "SELECT count(*) FROM tickets WHERE subject = 'Killed after commit'")/$(desk_sql "SELECT count(*) FROM messages WHERE message_id = 'killed@mail.customer.example'")" \
	    "1/1" "the retry found the committed message: stored exactly once"
	like "$(cat "$tmp/desk/deskgate.log")" 'msgid=<killed@mail.customer.example> .*action=duplicate' \
	    "the retry was recognised as a duplicate"
else
	for i in 1 2 3 4 5; do skip "fault injection: built without --enable-fault-injection"; done
fi

# --- SIGTERM with postfix's connection cached: a clean exit
lmtpd_stop
is "$LMTPD_RC" 0 "SIGTERM: the service exits 0"

if [ "$tap_failed" -ne 0 ]; then
	diag "postfix log:"
	tail -n 40 "$tmp/pf/maillog" | sed 's/^/# /'
	diag "deskgate log:"
	sed 's/^/# /' "$tmp/desk/deskgate.log"
fi
done_testing
tap_status
