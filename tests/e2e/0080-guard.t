#!/bin/bash
# 0080-guard.t - mail to a guarded address through deskgate as pipe(8)
# runs it: a license owner is sent to the Help Desk (5.7.1, exit 77; or,
# with action = reply, kept with one notice a day), anyone else passes on
# unchanged through [guard] sendmail (here a recording stand-in; the real
# postfix is in 0120-postfix-guard.t).
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# a sendmail that records its arguments and the message it was given
cat > "$tmp/sendmail" <<SH
#!/bin/sh
n=\$(ls "$tmp"/passed.*.args 2>/dev/null | wc -l)
printf '%s\n' "\$@" > "$tmp/passed.\$n.args"
cat > "$tmp/passed.\$n.eml"
exit \${FAKE_SENDMAIL_EXIT:-0}
SH
chmod +x "$tmp/sendmail"
passed() { ls "$tmp"/passed.*.args 2>/dev/null | wc -l; }

guard_conf() {
	desk_setup "$tmp/$1" "[guard]" "addresses = alice@vendor.example;contact@vendor.example" \
	    "pass_to = alice@vendor.example=alice@mbox.vendor.example;contact@vendor.example=contact@mbox.vendor.example" \
	    "sendmail = $tmp/sendmail" "action = $2"
}
# mail: desk_mail (tests/lib/desk.sh) into $tmp/m.eml
DESK_MAIL=$tmp/m.eml
mail() { desk_mail "$@" <<< "Hello Alice, a question about my store."; }

guard_conf reject reject
desk_customer bob@customer.example
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
mail "Bob <bob@customer.example>" bob@customer.example alice@vendor.example "Help" g1@customer.example
is "$DESK_RC/$(passed)" 77/0 "a license owner to a guarded address: exit 77, nothing passed on"
like "$DESK_OUT" '^5\.7\.1 <alice@vendor\.example>: .*support@desk\.test.*#1' \
    "... one 5.7.1 line with the Help Desk address and the open ticket #1"
is "$(echo "$DESK_OUT" | wc -l)" 1 "... and nothing else on stdout"
is "$(desk_sql "SELECT count(*) FROM messages WHERE message_id = 'g1@customer.example'")/$(desk_sql "SELECT count(*) FROM audit WHERE action = 'guard-rejected'")" \
    0/1 "... not stored; the rejection is audited"

mail "Pat <pat@prospect.example>" pat@prospect.example alice@vendor.example "Prices" g2@prospect.example
is "$DESK_RC/$(passed)" 0/1 "a prospect's mail to the guarded address passes (exit 0, sendmail run once)"
is "$(tr '\n' ' ' < "$tmp/passed.0.args")" "-i -f pat@prospect.example -- alice@mbox.vendor.example " \
    "... with the envelope sender, to the pass_to mailbox"
check "... byte for byte" cmp -s "$tmp/m.eml" "$tmp/passed.0.eml"
is "$(desk_sql "SELECT count(*) FROM messages WHERE message_id = 'g2@prospect.example'")" 0 "... and nothing is stored"

mail "Bob <bob@customer.example>" bob@customer.example contact@vendor.example "Away" g3@customer.example \
    "Auto-Submitted: auto-replied"
is "$DESK_RC/$(passed)" 0/2 "a license owner's auto-reply passes: never bounced"
mail "Bob <bob@customer.example>" bounce@esp.example alice@vendor.example "News" g4@customer.example
is "$DESK_RC/$(passed)" 0/3 "From: bob with another envelope passes (a bounce would reach someone else)"
mail "Eve <eve@evil.example>" bob@customer.example alice@vendor.example "Hi" g5@evil.example
is "$DESK_RC/$(passed)" 0/4 "bob's envelope with another From passes (someone else's words)"
mail "Pat <pat@prospect.example>" '' alice@vendor.example "Report" g6@prospect.example
is "$DESK_RC/$(tail -n 3 "$tmp/passed.4.args" | head -n 1)" "0/<>" "the null sender passes as <>"
FAKE_SENDMAIL_EXIT=75 mail "Pat <pat@prospect.example>" pat@prospect.example alice@vendor.example "Again" g7@prospect.example
is "$DESK_RC" 75 "sendmail failing: deferred (75), postfix keeps the mail"
like "$DESK_OUT" '^4\.3\.0 ' "... with a 4.3.0 line"

# a guarded and a desk recipient in one delivery: one exit status cannot
# answer both, so nothing is done and postfix keeps it
set +e
out=$("$DESKGATE" -c "$DESK_CONF" -f bob@customer.example -- alice@vendor.example \
    support@desk.test < "$tmp/m.eml")
rc=$?
set -e
is "$rc/$(passed)/$(desk_sql "SELECT count(*) FROM tickets")" 75/6/1 \
    "a guarded and a desk recipient together: deferred (75), nothing passed or opened"

# a DMARC fail under our own authserv-id: a forgery, never bounced to bob
printf '[trust]\nauthserv_id = mx.desk.test\n' >> "$DESK_CONF"
mail "Bob <bob@customer.example>" bob@customer.example alice@vendor.example "Forged" af1@customer.example \
    "Authentication-Results: mx.desk.test; dmarc=fail header.from=customer.example"
is "$DESK_RC/$(passed)" 0/7 "bob's address failing DMARC: passes like a stranger's, no bounce to bob"
sed -i '/^\[trust\]$/,$d' "$DESK_CONF"

# a whole domain registered for a customer
desk_ctl customer domain add bob@customer.example shop.customer.example > /dev/null
mail "Ann <ann@shop.customer.example>" ann@shop.customer.example alice@vendor.example "Help" d1@shop.customer.example
is "$DESK_RC/$(passed)" 77/7 "an address in a domain registered for bob (customer domain add) is bob's: 77"
set +e
out=$(desk_ctl customer domain add bob@customer.example not_a_domain 2>&1)
rc=$?
set -e
is "$rc" 1 "customer domain add refuses \"not_a_domain\""

# deskctl inspect shows the guard's decision and its rule
is "$(desk_ctl inspect --from bob@customer.example --to alice@vendor.example "$tmp/m.eml" | jq -r '.guard.verdict + " " + .guard.rule')" \
    "reject owner" "inspect: bob's mail to alice would be rejected (rule owner)"
is "$(desk_ctl inspect --from pat@prospect.example --to alice@vendor.example "$tmp/m.eml" | jq -r '.guard.verdict + " " + .guard.pass_to')" \
    "pass alice@mbox.vendor.example" "inspect: pat's would pass to alice's mailbox"
is "$(desk_ctl inspect --from pat@prospect.example "$tmp/m.eml" | jq -r '.guard')" null \
    "inspect: no guard for the intake address"

# action = reply: kept, one notice a day for three mails
guard_conf reply reply
desk_customer bob@customer.example --lang ru
for i in 1 2 3; do
	mail "Bob <bob@customer.example>" bob@customer.example alice@vendor.example "Вопрос $i" r$i@customer.example
	[ "$DESK_RC" = 0 ] || break
done
is "$DESK_RC/$(passed)" 0/7 "action = reply: three mails from bob exit 0 and none passes on"
is "$(desk_sql "SELECT count(*) FROM messages WHERE flags = 'outside-help-desk' AND ticket_id IS NULL")" 3 \
    "... all three are kept, flagged outside-help-desk"
is "$(desk_sql "SELECT count(*) || ' ' || rcpt FROM outbox WHERE kind = 'guard:alice@vendor.example'")" \
    "1 bob@customer.example" "... exactly one notice, to bob"
like "$(desk_sql "SELECT text FROM outbox LIMIT 1")" 'support@desk\.test' "... which names the Help Desk address"
mail "Bob <bob@customer.example>" bob@customer.example Alice@Vendor.Example "Case" r3b@customer.example
is "$(desk_sql "SELECT count(*) FROM outbox")" 1 "... the same address in other case gets no second notice"
mail "Bob <bob@customer.example>" bob@customer.example contact@vendor.example "Another" r4@customer.example
is "$(desk_sql "SELECT count(*) FROM outbox")" 2 "... a second guarded address gets its own notice"

# action = reply with an open ticket: the engineers see the kept mail
guard_conf announce reply
printf '[staff]\nnotify = engineers@vendor.example\n' >> "$DESK_CONF"
desk_customer bob@customer.example
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
before=$(desk_sql "SELECT count(*) FROM outbox WHERE kind = 'announce'")
mail "Bob <bob@customer.example>" bob@customer.example alice@vendor.example "Direct" k1@customer.example
is "$DESK_RC/$(passed)/$(desk_sql "SELECT count(*) FROM outbox WHERE kind = 'announce'")" "0/7/$((before + 1))" \
    "action = reply: kept, and announced to the engineers once (announcements before: $before)"
like "$(desk_sql "SELECT rcpt || ' ' || ticket_id || ' ' || subject FROM outbox WHERE kind = 'announce' ORDER BY id DESC LIMIT 1")" \
    '^engineers@vendor\.example 1 \[#1\] \[!\]' "... to notify, in bob's open ticket 1, marked [!]"
like "$(desk_sql "SELECT text FROM outbox WHERE kind = 'announce' ORDER BY id DESC LIMIT 1")" \
    'OUTSIDE THE HELP DESK: written to alice@vendor\.example' "... saying where it was written and that it was kept"

# a guarded address must pass on somewhere that is not itself
guard_conf badconf reject
sed -i '/^pass_to = /d' "$DESK_CONF"
set +e
out=$("$DESKCTL" -c "$DESK_CONF" check-config 2>&1)
rc=$?
set -e
like "$rc: $out" '^[1-9].*pass_to.*alice@vendor\.example' "a guarded address without pass_to is a configuration error"

done_testing
tap_status
