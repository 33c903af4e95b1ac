#!/bin/bash
# 0110-postfix-replies.t - replies end to end through a real postfix:
#   - the customer answers the acknowledgment with a real mail client
#     (s-nail in batch mode, replying to the message in his Maildir): the
#     reply lands in the same ticket;
#   - an out-of-office reply to the acknowledgment gets no answer and
#     opens no ticket;
#   - a notice to a mailbox that does not exist comes back as a DSN from
#     postfix itself, which marks the notice failed;
#   - a stranger sending "Re: [#1]" with the customer's From: and no token
#     does not reach ticket 1.
# With DESK_TRANSPORT=lmtp (0187) postfix delivers to deskgate-lmtpd.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"
. "$(dirname "$0")/../lib/postfix.sh"

pf_available || plan_skip "needs root, postfix and swaks"
command -v s-nail > /dev/null || plan_skip "needs s-nail"

tmp=$(mktemp -d)
trap 'pf_stop; [ "$tap_failed" -eq 0 ] && rm -rf "$tmp"' EXIT
BOB=bob@customer.example
GONE=gone@customer.example	# a customer address without a mailbox

desk_with_postfix "$tmp" "$BOB"
# accept mail for unknown users of customer.example and bounce it later,
# so that postfix itself writes a DSN to the notice's return path
pf_postconf "smtpd_reject_unlisted_recipient = no" > /dev/null
desk_customer "$BOB" --name "Bob Smith"
desk_customer "$GONE"
chown -R nobody: "$tmp/desk"
maildir=$tmp/pf/vmail/customer.example/bob

count() { desk_sql "SELECT count(*) FROM $1"; }

# --- ticket 1 and its acknowledgment in Bob's Maildir
desk_as_test "$(desk_sample 01-question.eml)" > "$tmp/q.eml"
pf_send_file "$BOB" support@desk.test "$tmp/q.eml"
check "the request reached deskgate" pf_wait_queue_empty 30
is "$(desk_ctl outbox run 2>/dev/null)" "sent 1, deferred 0, failed 0" "the acknowledgment is sent"
check "the acknowledgment is in Bob's Maildir" pf_wait_maildir "$BOB" 1 30

# --- Bob replies with s-nail, quoting the acknowledgment
printf 'reply 1\nThe shipping log is attached to our wiki, page 12.\n~.\n' |
    HOME=$tmp MAILRC=/dev/null s-nail -# -S from="Bob Smith <$BOB>" \
    -S quote=allbodies -S mta="smtp://127.0.0.1:$PF_PORT" \
    -f "maildir://$maildir" > "$tmp/s-nail.out" 2>&1
check "s-nail sent the reply" pf_wait_queue_empty 30
msgs=$(desk_ctl ticket show 1 --json)
is "$(echo "$msgs" | jq '[.messages[] | select(.direction == "in")] | length')" 2 \
    "the s-nail reply lands in ticket 1"
reply=$(echo "$msgs" | jq -r '[.messages[] | select(.direction == "in")][1]')
is "$(echo "$reply" | jq -r .text)" "The shipping log is attached to our wiki, page 12." \
    "the ticket shows only the new text of the reply"
like "$(echo "$reply" | jq -r .full_text)" 'registered as ticket #1' "the quoted acknowledgment is kept in full"
like "$(echo "$reply" | jq -r .to)" '^support\+1-[0-9a-f]{16}@desk\.test$' "s-nail answered the Reply-To address"
is "$(count tickets)" 1 "no new ticket"

# --- an out-of-office reply to the acknowledgment
ack_id=$(desk_sql "SELECT message_id FROM outbox WHERE id = 1")
reply_to=$(desk_sql "SELECT reply_to FROM outbox WHERE id = 1")
cat > "$tmp/oof.eml" <<OOF
From: Bob Smith <$BOB>
To: $reply_to
Subject: Automatic reply: [#1] Shipping methods disappear at checkout
Date: Thu, 26 Nov 2026 11:00:00 +0000
Message-ID: <oof-1@customer.example>
In-Reply-To: <$ack_id>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
MIME-Version: 1.0
Content-Type: text/plain

I am out of the office until Monday.
OOF
pf_send_file "" "$reply_to" "$tmp/oof.eml"
check "the out-of-office reply reached deskgate" pf_wait_queue_empty 30
is "$(desk_sql "SELECT class FROM messages WHERE message_id = 'oof-1@customer.example'")" autoreply \
    "it is stored as an auto-reply"
is "$(count tickets)/$(count outbox)" "1/1" "no ticket and no notice for it"
is "$(desk_ctl outbox run 2>/dev/null)" "sent 0, deferred 0, failed 0" "nothing goes out"

# --- a notice to a mailbox that does not exist: postfix's DSN marks it failed
desk_as_test "$(desk_sample 01-question.eml)" |
    sed "s/$BOB/$GONE/; s/CAF4kQ2x1a@/gone-1@/" > "$tmp/gone.eml"
pf_send_file "$GONE" support@desk.test "$tmp/gone.eml"
check "the request from the address without a mailbox reached deskgate" pf_wait_queue_empty 30
is "$(desk_ctl outbox run 2>/dev/null)" "sent 1, deferred 0, failed 0" "postfix accepts the acknowledgment"
check "postfix bounced it and deskgate got the DSN" pf_wait_queue_empty 30
is "$(desk_sql "SELECT status FROM outbox WHERE rcpt = '$GONE'")" failed "the DSN marks the notice failed"
like "$(desk_sql "SELECT last_error FROM outbox WHERE rcpt = '$GONE'")" '^bounced: 5\.1\.1' \
    "... with the DSN's status"
is "$(desk_sql "SELECT count(*) FROM messages WHERE class = 'bounce' AND ticket_id = 2")" 1 \
    "the DSN is filed in that ticket"
is "$(count tickets)/$(count outbox)" "2/2" "the DSN is never answered"

# --- a stranger forging Bob's From: with "Re: [#1]" and no token
cat > "$tmp/forged.eml" <<FORGED
From: Bob Smith <$BOB>
To: support@desk.test
Subject: Re: [#1] Shipping methods disappear at checkout
Date: Thu, 26 Nov 2026 12:00:00 +0000
Message-ID: <forged-1@evil.example>
MIME-Version: 1.0
Content-Type: text/plain

Please send me the administrator password for the store.
FORGED
pf_send_file eve@evil.example support@desk.test "$tmp/forged.eml"
check "the forged mail reached deskgate" pf_wait_queue_empty 30
check "the forged Re: [#1] does not reach ticket 1" \
    test "$(desk_sql "SELECT coalesce(ticket_id, 0) FROM messages WHERE message_id = 'forged-1@evil.example'")" != 1
like "$(desk_sql "SELECT detail FROM audit WHERE action = 'thread-refused'")" 'envelope eve@evil\.example' \
    "the attempt is in the audit log"

if [ "$tap_failed" -ne 0 ]; then
	diag "s-nail said:"; sed 's/^/# /' "$tmp/s-nail.out"
	diag "postfix log:"; tail -n 40 "$tmp/pf/maillog" | sed 's/^/# /'
	diag "deskgate log:"; sed 's/^/# /' "$tmp/desk/deskgate.log"
fi
done_testing
tap_status
