#!/bin/bash
# 0120-postfix-guard.t - the guard end to end with a real postfix (built
# from etc/postfix's snippets): a license owner's mail to an engineer's
# address bounces back to the owner with the Help Desk pointer and never
# reaches the engineer; a prospect's mail arrives in the engineer's
# Maildir unchanged; with the policy service in smtpd_recipient_restrictions
# the owner gets 550 5.7.1 at RCPT time and no bounce is made; no loop.
# With DESK_TRANSPORT=lmtp (0188) deskgate-lmtpd is the guard instead.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"
. "$(dirname "$0")/../lib/postfix.sh"

pf_available || plan_skip "needs root, postfix and swaks"

tmp=$(mktemp -d)
trap 'pf_stop; [ "$tap_failed" -eq 0 ] && rm -rf "$tmp"' EXIT
BOB=bob@customer.example
PAT=pat@prospect.example
ALICE=alice@vendor.example
MBOX=alice@engineers.example

desk_with_postfix "$tmp" "$BOB" "$PAT" "$MBOX"
desk_customer "$BOB" --name "Bob Smith"
# A sendmail(1) for this private instance, for the guard's pass-through:
# postfix's own refuses -C DIR to users other than root unless the system
# main.cf lists DIR, so this one hands the message to its smtpd, byte for
# byte (SMTP framing only), with the arguments deskgate gives sendmail.
cat > "$tmp/sendmail" <<SH
#!/bin/sh
[ "\$1 \$2 \$4" = "-i -f --" ] || exit 64
{ perl -pe 's/\\r?\\n?\\z/\\r\\n/; s/^\\./../' && printf '.'; } |
    swaks --server 127.0.0.1:$PF_PORT --from "\$3" --to "\$5" \\
    --no-data-fixup --data - > /dev/null 2>&1
SH
chmod 755 "$tmp/sendmail"
printf '[guard]\naddresses = %s\npass_to = %s=%s\nsendmail = %s\n' \
    "$ALICE" "$ALICE" "$MBOX" "$tmp/sendmail" >> "$DESK_CONF"
chown -R nobody: "$tmp/desk"
pf_deskgate_reload || { echo "Bail out! deskgate-lmtpd did not restart"; exit 1; }
# the pipe's deskgate-guard: service, or the same LMTP socket (0188)
printf '%s %s\n' "$ALICE" "$PF_GUARD_TRANSPORT" >> "$PF_ETC/transport"
postmap -c "$PF_ETC" "hash:$PF_ETC/transport"
pf_postconf "relay_domains = desk.test vendor.example"

# --- a license owner writes to the engineer: bounced with the pointer
desk_gate "$BOB" support@desk.test < "$(desk_sample 01-question.eml)"
chown -R nobody: "$tmp/desk"
printf 'From: Bob Smith <%s>\nTo: %s\nSubject: Quick question\nDate: Thu, 26 Nov 2026 10:00:00 +0000\nMessage-ID: <g1@customer.example>\n\nAlice, can you look at my store?\n' \
    "$BOB" "$ALICE" > "$tmp/owner.eml"
pf_send_file "$BOB" "$ALICE" "$tmp/owner.eml"
check "postfix handed the owner's mail to deskgate and is done with it" pf_wait_queue_empty 30
check "a bounce reached the owner's Maildir" pf_wait_maildir "$BOB" 1 30
bounce=$(cat "$(pf_maildir_files "$BOB" | head -n 1)" | tr -d '\r')
like "$bounce" '^Status: 5\.7\.1' "the bounce reports status 5.7.1"
like "$(printf '%s' "$bounce" | tr -s ' \n' '  ')" 'license owners get support only through .*support@desk\.test.*ticket is #1' \
    "... with deskgate's text: the Help Desk address and the open ticket"
is "$(pf_maildir_files "$MBOX" | wc -l)" 0 "the engineer's mailbox got nothing"

# --- a prospect writes to the engineer: delivered unchanged
printf 'From: Pat <%s>\nTo: %s\nSubject: Partnership\nDate: Thu, 26 Nov 2026 10:05:00 +0000\nMessage-ID: <p1@prospect.example>\nX-Custom: kept\n\nHello Alice,\nshall we talk?\n' \
    "$PAT" "$ALICE" > "$tmp/prospect.eml"
pf_send_file "$PAT" "$ALICE" "$tmp/prospect.eml"
check "the prospect's mail reached the engineer's Maildir" pf_wait_maildir "$MBOX" 1 30
got=$(pf_maildir_files "$MBOX" | head -n 1)
for h in From To Subject Date Message-ID X-Custom; do
	want=$(grep -m1 "^$h:" "$tmp/prospect.eml")
	is "$(tr -d '\r' < "$got" | grep -m1 "^$h:")" "$want" "passed on with $h unchanged"
done
is "$(tr -d '\r' < "$got" | sed '1,/^$/d')" "$(sed '1,/^$/d' "$tmp/prospect.eml")" "passed on with the body unchanged"
is "$(tr -d '\r' < "$got" | grep -c '^Delivered-To:')" 1 "one Delivered-To (the mailbox's own): deskgate added none"
check "the queue is empty" pf_wait_queue_empty 30
is "$(grep -c 'msgid=<p1@prospect.example>' "$tmp/desk/deskgate.log")" 1 \
    "the prospect's mail passed deskgate once: no loop"
is "$(grep -c 'action=guard-passed' "$tmp/desk/deskgate.log")/$(grep -c 'action=guard-rejected' "$tmp/desk/deskgate.log")" \
    1/1 "deskgate logged one pass and one rejection"

# --- at SMTP time: the policy service refuses the owner at RCPT
pf_postconf "smtpd_recipient_restrictions = check_policy_service unix:private/deskgate-policy, permit_mynetworks, reject_unauth_destination"
out=$(pf_send "$BOB" "$ALICE" "Again" "Alice, again." 2>&1) || true
like "$out" '<\*\* *550 5\.7\.1 <alice@vendor\.example>: .*support@desk\.test' "swaks sees 550 5.7.1 at RCPT with the pointer"
check "the prospect is accepted at RCPT and sent" pf_send "$PAT" "$ALICE" "Again" "Hello again."
check "the prospect's second mail arrives" pf_wait_maildir "$MBOX" 2 30
check "the queue is empty at the end" pf_wait_queue_empty 30
is "$(pf_maildir_files "$BOB" | wc -l)" 1 "the refusal at RCPT made no second bounce"

# --- action = reply: kept, and one notice for three mails in a row
pf_postconf "smtpd_recipient_restrictions ="
sed -i 's/^\[guard\]$/[guard]\naction = reply/' "$DESK_CONF"
pf_deskgate_reload || { echo "Bail out! deskgate-lmtpd did not restart"; exit 1; }
for i in 1 2 3; do
	check "reply mode: bob's mail $i accepted and handed to deskgate" \
	    pf_send "$BOB" "$ALICE" "Question $i" "Alice, question $i."
done
check "reply mode: the queue is empty" pf_wait_queue_empty 30
is "$(desk_sql "SELECT count(*) FROM messages WHERE flags = 'outside-help-desk'")" 3 \
    "reply mode: the three mails are kept in the store"
is "$(desk_ctl outbox run)" "sent 2, deferred 0, failed 0" \
    "the outbox sends the acknowledgment of ticket 1 and one guard notice"
check "bob's Maildir: the bounce and now the notice" pf_wait_maildir "$BOB" 3 30
is "$(grep -l 'not delivered' $(pf_maildir_files "$BOB") | wc -l)" 1 \
    "exactly one guard notice for three mails"
is "$(pf_maildir_files "$MBOX" | wc -l)" 2 "the engineer's mailbox still has only the prospect's two"
check "the queue is empty at the very end" pf_wait_queue_empty 30

done_testing
tap_status
