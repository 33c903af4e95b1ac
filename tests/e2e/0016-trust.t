#!/bin/bash
# 0016-trust.t - headers are hints, not identity (doc/ARCHITECTURE.md,
# "Who may do what"): a forged From: and envelope can file a comment but
# never agree to be charged; a token works only in its own role; a forger
# cannot make a real message vanish or silence a customer; notices go only
# to addresses that are addresses, per RFC 3834, with headers of sane size.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

count() { desk_sql "SELECT count(*) FROM $1"; }
ticket_of() { desk_sql "SELECT coalesce(ticket_id, 0) FROM messages WHERE message_id = '$1'"; }
# mail: desk_mail (tests/lib/desk.sh) into $tmp/m.eml
DESK_MAIL=$tmp/m.eml
mail() { desk_mail "$@"; }

desk_setup "$tmp/desk"
desk_customer bob@customer.example --name "Bob Smith"
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
reply_to=$(desk_sql "SELECT reply_to FROM outbox WHERE ticket_id = 1")
ack_id=$(desk_sql "SELECT message_id FROM outbox WHERE ticket_id = 1")
verp=$(desk_sql "SELECT env_from FROM outbox WHERE ticket_id = 1")

# --- a forged From: + envelope with [#1] cannot agree to the assessment
printf 'Assessment: agree\n' | mail bob@customer.example bob@customer.example \
    support@desk.test "Re: [#1] Shipping" forged1@evil.example
is "$DESK_RC/$(ticket_of forged1@evil.example)" 0/1 \
    "a forged [#1] comment in bob's name is filed in ticket 1 (a subject tag threads)"
is "$(desk_sql "SELECT preapproved FROM tickets WHERE id = 1")" 0 \
    "... but its 'Assessment: agree' pre-approves nothing"
is "$(desk_sql "SELECT count(*) FROM audit WHERE action = 'action-refused' AND ticket_id = 1 AND detail LIKE '%reply address%'")" 1 \
    "... the refused action is audited with what was missing"
is "$(desk_sql "SELECT count(*) || ' ' || rcpt FROM outbox WHERE kind = 'agree-howto'")" \
    "1 bob@customer.example" "... and bob's registered address is told how to agree properly"
like "$(desk_sql "SELECT text FROM outbox WHERE kind = 'agree-howto'")" "$(printf '%s' "$reply_to" | sed 's/[+.]/\\&/g')" \
    "... the notice names the ticket's reply address"
printf 'Assessment: agree\n' | mail bob@customer.example bob@customer.example \
    support@desk.test "Re: [#1] Shipping" forged2@evil.example "In-Reply-To: <$ack_id>"
is "$(ticket_of forged2@evil.example)/$(desk_sql "SELECT preapproved FROM tickets WHERE id = 1")" 1/0 \
    "an In-Reply-To of our notice threads a forged agree, and pre-approves nothing either"
is "$(desk_sql "SELECT count(*) FROM outbox WHERE kind = 'agree-howto'")" 1 \
    "... the how-to notice goes at most once a day"

# --- the VERP (bounce) token is no reply key
printf 'Let me in.\n' | mail eve@evil.example eve@evil.example "$verp" "hello" verp1@evil.example
is "$DESK_RC/$(ticket_of verp1@evil.example)" 0/0 \
    "a person's mail to a notice's bounce address does not thread into its ticket"
is "$(desk_sql "SELECT count(*) FROM audit WHERE action = 'bad-reply-address' AND detail LIKE '%bounce address%'")" 1 \
    "... and is audited as a bad reply address"
printf 'I am out of the office.\n' | mail bob@customer.example '' "$verp" \
    "Out of office" verp2@customer.example "Auto-Submitted: auto-replied"
is "$(ticket_of verp2@customer.example)" 1 "an auto-reply to the bounce address is filed in its ticket"

# --- the customer's own token agrees
printf 'Assessment: agree\n' | mail "Bob Smith <bob@customer.example>" bob@customer.example \
    "$reply_to" "Re: [#1] Shipping" real1@customer.example
is "$(ticket_of real1@customer.example)/$(desk_sql "SELECT preapproved FROM tickets WHERE id = 1")" 1/1 \
    "the customer's reply to the customer token from bob's address pre-approves ticket 1"

# --- a stranger's reply token of the right ticket is still not bob's
desk_setup "$tmp/token"
desk_customer bob@customer.example
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
r=$(desk_sql "SELECT reply_to FROM outbox WHERE ticket_id = 1")
printf 'Assessment: agree\n' | mail eve@evil.example eve@evil.example "$r" "Re: [#1]" eve1@evil.example
is "$(ticket_of eve1@evil.example)/$(desk_sql "SELECT preapproved FROM tickets WHERE id = 1")/$(desk_sql "SELECT author FROM messages WHERE message_id = 'eve1@evil.example'")" \
    "1/0/other" "a stranger with the token is filed as 'other' and pre-approves nothing"
is "$(desk_sql "SELECT count(*) FROM audit WHERE action = 'action-refused' AND detail LIKE 'agree from eve@evil.example%'")/$(desk_sql "SELECT count(*) FROM outbox WHERE kind = 'agree-howto'")" \
    1/0 "... the refusal is audited, and bob is not bothered with a how-to notice"

# --- a new request's agreement needs the envelope to be the customer's too
printf 'Please help.\n\nAssessment: agree\n' | mail bob@customer.example eve@evil.example \
    support@desk.test "New problem" new1@evil.example
is "$(ticket_of new1@evil.example)/$(desk_sql "SELECT preapproved FROM tickets WHERE id = 2")" 2/0 \
    "a request with bob's From and a foreign envelope opens a ticket, not pre-approved"
printf 'Please help.\n\nAssessment: agree\n' | mail bob@customer.example bob@customer.example \
    support@desk.test "Another problem" new2@customer.example
is "$(ticket_of new2@customer.example)/$(desk_sql "SELECT preapproved FROM tickets WHERE id = 3")" 3/1 \
    "... from bob's From and envelope it is pre-approved"

# --- no From: at all: the envelope alone opens nothing and agrees to nothing
printf 'To: support@desk.test\nSubject: Charge me\nDate: Thu, 26 Nov 2026 10:00:00 +0000\nMessage-ID: <nofrom1@evil.example>\n\nAssessment: agree\n' |
    desk_gate bob@customer.example support@desk.test
is "$DESK_RC/$(ticket_of nofrom1@evil.example)/$(count tickets)" 0/0/3 \
    "a mail without From: and bob's envelope opens no ticket and pre-approves nothing"

# --- a forged engineer From: is not filed as the engineers' words
desk_ctl staff add eng@vendor.example > /dev/null
printf 'Closing this.\n' | mail eng@vendor.example eve@evil.example "$r" "Re: [#1]" fakeeng@evil.example
is "$(desk_sql "SELECT author FROM messages WHERE message_id = 'fakeeng@evil.example'")" other \
    "an engineer's From with a foreign envelope on the customer token is filed as 'other'"

# --- a forger cannot make the real message vanish
desk_setup "$tmp/dup"
desk_customer bob@customer.example
desk_gate eve@evil.example support@desk.test < "$(desk_sample 01-question.eml)"
is "$DESK_RC/$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'in'")" 0/1 \
    "a forger sends bob's Message-ID and text first (From: bob, envelope eve): stored"
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
is "$DESK_RC/$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'in'")/$(count tickets)" 0/2/2 \
    "bob's own message is no 'duplicate': stored, with a ticket of its own"
is "$(desk_sql "SELECT flags FROM messages WHERE ticket_id = 2 AND direction = 'in'")" shared-message-id \
    "... flagged as sharing a Message-ID"
{ echo "Received: from relay2.example by mx.desk.test; Thu, 26 Nov 2026 10:05:00 +0000"
  cat "$(desk_sample 01-question.eml)"; } | desk_gate bob@customer.example support@desk.test
is "$DESK_RC/$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'in'")" 0/2 \
    "the same delivery again with one more Received: line is a duplicate"

# --- a forger cannot silence a customer, nor can a busy customer be
desk_setup "$tmp/busy" "loop_limit = 5"
desk_customer bob@customer.example
for i in 1 2 3 4 5 6 7; do
	printf 'Question number %s: %s\n' $i "$(printf 'x%.0s' $(seq 1 $i))" |
	    mail bob@customer.example bob@customer.example support@desk.test \
	    "Topic $(printf 'abcdefg' | cut -c$i)" busy$i@customer.example
done
is "$(count tickets)/$(desk_sql "SELECT count(*) FROM messages WHERE class = 'human' AND direction = 'in'")" 7/7 \
    "7 different requests in an hour (loop_limit = 5) open 7 tickets, none called a loop"
is "$(desk_sql "SELECT count(*) FROM outbox WHERE kind = 'ack'")" 5 \
    "... automatic acknowledgments stop at loop_limit"
is "$(desk_sql "SELECT count(*) FROM audit WHERE action = 'notice-limit'")" 1 \
    "... and that is audited once"

# --- automatic responses (RFC 3834 4): to the envelope sender, and sane ones only
desk_setup "$tmp/notice"
printf 'Hi.\n' | mail "Pat <pat@prospect.example>" bounces@prospect.example support@desk.test "Price?" s1@prospect.example
is "$(desk_sql "SELECT group_concat(rcpt) FROM outbox")" bounces@prospect.example \
    "a stranger notice goes to the envelope sender (Return-Path), not the From address"
printf 'Hi.\n' | mail "Pat <pat@prospect.example>" spam@elsewhere.example support@desk.test "Price?" s2@prospect.example
is "$(count outbox)" 1 "none when From and envelope are of different domains"
printf 'Hi.\n' | mail root root support@desk.test "cron" s3@local
is "$(count outbox)" 1 "none for a domain-less From: root"
printf 'Hi.\n' | mail "alice@a.example'" "alice@a.example'" support@desk.test "x" s4@a.example
is "$(count outbox)" 1 "none to alice@a.example' (not an address)"
printf 'From: "Ali\0ce" <alice@b.example>\nTo: support@desk.test\nSubject: nul\nDate: Thu, 26 Nov 2026 10:00:00 +0000\nMessage-ID: <s5@b.example>\n\nHi.\n' |
    desk_gate alice@b.example support@desk.test
is "$DESK_RC/$(desk_sql "SELECT count(*) FROM outbox WHERE rcpt NOT LIKE '%_@_%._%'")" 0/0 \
    "a NUL in a From name queues no notice to a non-address"
bad=$(desk_sql "SELECT count(*) FROM audit WHERE action = 'notice-refused'")
check "refused notices are audited ($bad)" [ "$bad" -ge 2 ]
printf 'Hi.\n' | mail "Pat <pat@prospect.example>" '' support@desk.test "Price?" s6@prospect.example
is "$(count outbox)" 1 "none to the null sender"

# --- a 1 MB Subject makes no 1 MB header line
desk_setup "$tmp/long"
desk_customer bob@customer.example
long=$(head -c 1000000 /dev/zero | tr '\0' 'a')
printf 'Hello.\n' | mail bob@customer.example bob@customer.example support@desk.test "$long" long1@customer.example
desk_sql "SELECT raw FROM outbox WHERE id = 1" > "$tmp/ack.eml"
longest=$(awk '{ if (length($0) > n) n = length($0) } END { print n + 0 }' "$tmp/ack.eml")
check "the acknowledgment's longest line is $longest octets (<= 998)" [ "$longest" -le 998 -a "$longest" -gt 0 ]
is "$(grep -c '^Subject:' "$tmp/ack.eml")" 1 "... it has one Subject header"

# --- several recipients, some not ours: nothing dropped, nothing stored
desk_setup "$tmp/rcpts"
desk_customer bob@customer.example
set +e
out=$("$DESKGATE" -c "$DESK_CONF" -f bob@customer.example -- support@desk.test \
    nobody@elsewhere.example < "$(desk_sample 01-question.eml)")
rc=$?
set -e
is "$rc/$(count messages)" 75/0 "one ours and one not: deferred (75), nothing stored"
like "$out" '^4\.3\.5 ' "... with one 4.3.5 line"
desk_gate bob@customer.example nobody@elsewhere.example < "$(desk_sample 01-question.eml)"
is "$DESK_RC" 67 "a recipient that is not ours alone: 67 (5.1.1)"

# --- Authentication-Results of our own MTA, and only of ours
desk_setup "$tmp/auth" "[trust]" "authserv_id = mx.desk.test"
desk_customer bob@customer.example
printf 'Help.\n' | mail bob@customer.example bob@customer.example support@desk.test "x1" a1@e.example \
    "Authentication-Results: mx.desk.test; dmarc=fail (p=reject) header.from=customer.example"
is "$(count tickets)/$(count outbox)" 0/0 "a DMARC fail from our authserv-id: no ticket, no notice"
is "$(desk_sql "SELECT flags FROM messages WHERE message_id = 'a1@e.example'")" auth-failed,suppressed \
    "... stored, flagged auth-failed and suppressed"
printf 'Help.\n' | mail bob@customer.example bob@customer.example support@desk.test "x2" a2@e.example \
    "Authentication-Results: mx.evil.example; dmarc=fail" \
    "Authentication-Results: mx.desk.test; spf=pass smtp.mailfrom=customer.example"
is "$(count tickets)" 1 "a fail from another authserv-id is ignored, our pass counts: a ticket"

# --- building notices happens before the write lock is taken
desk_setup "$tmp/lock" "templates = $tmp/tpl" "[store]" "path = $tmp/lock/desk.db" "busy_timeout = 60000"
desk_customer bob@customer.example
mkdir -p "$tmp/tpl/en"
cp "$top_srcdir"/etc/templates/en/*.txt "$tmp/tpl/en/"
printf 'Subject: x\n\n{{no_such_variable}}\n' > "$tmp/tpl/en/ack.txt"
sqlite3 "$tmp/lock/desk.db" "BEGIN IMMEDIATE; SELECT 1;" ".shell sleep 8" "COMMIT;" > /dev/null &
holder=$!
sleep 0.5
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
held=no
kill -0 "$holder" 2> /dev/null && held=yes
is "$DESK_RC/$held" 75/yes "a broken template defers (75) while another process still holds the lock"
wait "$holder"

# --- running as root is a warning, not a debug line
if [ "$(id -u)" -eq 0 ]; then
	like "$(grep -c 'warning.*running as root' "$tmp/desk/deskgate.log" || true)" '^[1-9]' \
	    "as root, deskgate logs a warning"
else
	echo "ok $((tap_n += 1)) # SKIP not root: the root warning is not logged"
fi

done_testing
tap_status
