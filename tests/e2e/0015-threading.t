#!/bin/bash
# 0015-threading.t - replies land in the right ticket and never in anyone
# else's; robots are filed and never answered; a bounce marks its notice
# failed; loops stop; the ticket shows only the new text; the language
# picks the notice.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk"
desk_customer bob@customer.example --name "Bob Smith"
desk_customer alice@other.example
desk_ctl staff add eng@vendor.example > /dev/null

count() { desk_sql "SELECT count(*) FROM $1"; }
ticket_of() { desk_sql "SELECT ticket_id FROM messages WHERE message_id = '$1'"; }
# mail: desk_mail (tests/lib/desk.sh) into $tmp/m.eml
DESK_MAIL=$tmp/m.eml
mail() { desk_mail "$@"; }

desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
ack_id=$(desk_sql "SELECT message_id FROM outbox WHERE ticket_id = 1")
reply_to=$(desk_sql "SELECT reply_to FROM outbox WHERE ticket_id = 1")

# --- In-Reply-To names our acknowledgment, from the customer
printf 'Here is more detail.\n\nOn Wed, Nov 25, 2026 at 9:20 AM Test Help Desk <%s> wrote:\n> Dear Bob Smith,\n> Thank you for writing\n' \
    "$reply_to" | mail "Bob Smith <bob@customer.example>" bob@customer.example \
    support@desk.test "Re: [#1] Shipping" r1@customer.example "In-Reply-To: <$ack_id>"
is "$DESK_RC/$(ticket_of r1@customer.example)" 0/1 "In-Reply-To of our notice threads into ticket 1"
is "$(desk_ctl inspect "$tmp/m.eml" | jq -r '.ticket_ref.rule')" message-id \
    "inspect names the rule: message-id"
show=$(desk_ctl ticket show 1 --json)
is "$(echo "$show" | jq -r '.messages[-1].text')" "Here is more detail." \
    "the ticket shows only the new text"
like "$(echo "$show" | jq -r '.messages[-1].full_text')" 'Thank you for writing' \
    "... and keeps the whole text"
is "$(count tickets)/$(count outbox)" "1/1" "no new ticket, no notice for a reply"

# --- a subject tag, mangled by several clients, from the customer
printf 'And one more thing.\n' | mail bob@customer.example bob@customer.example \
    support@desk.test "Re: Fwd: AW: Отв: [#1] Shipping" r2@customer.example
is "$(ticket_of r2@customer.example)" 1 "a [#1] tag behind Re: Fwd: AW: Отв: threads, from the customer"

# --- a stranger forging the customer's From, without a token
printf 'Please send me the admin password.\n' | mail bob@customer.example \
    eve@evil.example support@desk.test "Re: [#1] Shipping" forged@evil.example
is "$DESK_RC" 0 "forged Re: [#1]: exit 0"
check "forged From with a foreign envelope does not reach ticket 1" \
    test "$(ticket_of forged@evil.example)" != 1
like "$(desk_sql "SELECT detail FROM audit WHERE action = 'thread-refused'")" \
    'envelope eve@evil.example.*not that ticket' "the refusal is in the audit log"

# --- the same domain is not the same sender (think gmail.com)
printf 'Hello.\n' | mail bob@customer.example eve@customer.example \
    support@desk.test "Re: [#1] Shipping" samedomain@customer.example
check "a forged From with an envelope of the same domain does not reach ticket 1" \
    test "$(ticket_of samedomain@customer.example)" != 1

# --- another customer cannot write into ticket 1, by tag or by Message-ID
printf 'Hi.\n' | mail alice@other.example alice@other.example support@desk.test \
    "Re: [#1] Shipping" alice1@other.example
check "another customer's [#1] opens her own ticket" \
    test "$(ticket_of alice1@other.example)" != 1
printf 'Hi.\n' | mail alice@other.example alice@other.example support@desk.test \
    "Question" alice2@other.example "In-Reply-To: <$ack_id>"
check "another customer's In-Reply-To of ticket 1's notice opens her own" \
    test "$(ticket_of alice2@other.example)" != 1

# --- a refused key does not taint a message another key threads
alice_ack=$(desk_sql "SELECT o.message_id FROM outbox o JOIN tickets t ON t.id = o.ticket_id JOIN customers c ON c.id = t.customer_id WHERE c.email = 'alice@other.example' LIMIT 1")
audits=$(desk_sql "SELECT count(*) FROM audit WHERE action = 'thread-refused'")
printf 'More.\n' | mail alice@other.example alice@other.example support@desk.test \
    "More" alice3@other.example "In-Reply-To: <$ack_id>" "References: <$alice_ack>"
is "$(ticket_of alice3@other.example)" "$(ticket_of alice1@other.example)" \
    "References of her own ticket thread even when In-Reply-To names another's"
is "$(desk_sql "SELECT count(*) FROM audit WHERE action = 'thread-refused'")" "$audits" \
    "... and no refusal is logged for a message that was threaded"

# --- an engineer replying from his own client
printf 'We are on it.\n' | mail eng@vendor.example eng@vendor.example \
    support@desk.test "Re: [#1] Shipping" eng1@vendor.example "In-Reply-To: <$ack_id>"
is "$(desk_sql "SELECT ticket_id || '|' || author FROM messages WHERE message_id = 'eng1@vendor.example'")" \
    "1|staff" "an engineer's reply is filed in ticket 1 as staff"
printf 'Done on our side.\n' | mail eng@vendor.example eng@vendor.example \
    support@desk.test "Re: [#1] Shipping" eng2@vendor.example
is "$(ticket_of eng2@vendor.example)" 1 "an engineer's [#1] from his own client threads"
printf 'Sneaky.\n' | mail eng@vendor.example eve@evil.example \
    support@desk.test "Re: [#1] Shipping" eng3@evil.example
check "a forged engineer's From with a foreign envelope does not" \
    test "$(ticket_of eng3@evil.example)" != 1

# --- a closed ticket reopens
desk_sql "UPDATE tickets SET status = 'closed' WHERE id = 1"
printf 'It broke again.\n' | mail bob@customer.example bob@customer.example \
    "$reply_to" "Re: [#1] Shipping" r3@customer.example
is "$(ticket_of r3@customer.example)/$(desk_sql "SELECT status FROM tickets WHERE id = 1")" \
    "1/open" "a reply to a closed ticket reopens it"

# --- robots: filed where they belong, never answered
outbox=$(count outbox) tickets=$(count tickets)
printf 'I am out of the office until Monday.\n' | mail bob@customer.example \
    bob@customer.example "$reply_to" "Automatic reply: [#1] Shipping" \
    oof1@customer.example "In-Reply-To: <$ack_id>" "Auto-Submitted: auto-replied"
is "$(desk_sql "SELECT ticket_id || '|' || author || '|' || class FROM messages WHERE message_id = 'oof1@customer.example'")" \
    "1|robot|autoreply" "an out-of-office reply to our notice is filed in ticket 1 as a robot"
is "$(count outbox)/$(count tickets)/$(desk_sql "SELECT status FROM tickets WHERE id = 1")" \
    "$outbox/$tickets/open" "... gets no answer, opens nothing, changes nothing"

# report ID SUBJECT PROSE ACTION STATUS DIAGNOSTIC: a DSN from the
# customer's MX on our acknowledgment, as postfix writes one
report() {
	cat <<DSN
From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>
To: support+1-0000@desk.test
Subject: $2
Date: Thu, 26 Nov 2026 10:05:00 +0000
Message-ID: <$1@mx.customer.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

$3

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example
Final-Recipient: rfc822; bob@customer.example
Action: $4
Status: $5
Diagnostic-Code: smtp; $6

--b
Content-Type: text/rfc822-headers

From: Test Help Desk <support@desk.test>
To: bob@customer.example
Message-ID: <$ack_id>
Subject: [#1] Shipping methods disappear at checkout

--b--
DSN
}

# --- a delay warning on our acknowledgment does not mark it failed
ack_status=$(desk_sql "SELECT status FROM outbox WHERE id = 1")
report dsn0 "Delayed Mail (still being retried)" \
    "Your message could not be delivered for 4 hours. It will be retried." \
    delayed 4.4.7 "451 4.4.7 try again later" > "$tmp/delay.eml"
desk_gate "" "$(desk_sql "SELECT env_from FROM outbox WHERE id = 1")" < "$tmp/delay.eml"
is "$DESK_RC" 0 "the delay warning is accepted"
is "$(desk_sql "SELECT status FROM outbox WHERE id = 1")" "$ack_status" "a delay warning leaves our notice as it was ($ack_status)"
is "$(desk_sql "SELECT ticket_id || '|' || class FROM messages WHERE message_id = 'dsn0@mx.customer.example'")" \
    "1|bounce" "the delay warning is filed in the notice's ticket"
is "$(desk_sql "SELECT count(*) FROM audit WHERE ticket_id = 1 AND action = 'notice-delayed'")" 1 "the audit log records the delay"

# --- a bounce of our acknowledgment marks it failed
report dsn1 "Undelivered Mail Returned to Sender" \
    "Your message could not be delivered." \
    failed 5.2.2 "552 5.2.2 mailbox full" > "$tmp/dsn.eml"
bounce_to=$(desk_sql "SELECT env_from FROM outbox WHERE id = 1")
desk_gate "" "$bounce_to" < "$tmp/dsn.eml"
is "$DESK_RC" 0 "the DSN is accepted"
is "$(desk_sql "SELECT status || '|' || last_error FROM outbox WHERE id = 1")" \
    "failed|bounced: 5.2.2 smtp; 552 5.2.2 mailbox full" "the DSN marks our notice failed, with the reason"
is "$(desk_sql "SELECT ticket_id || '|' || class FROM messages WHERE message_id = 'dsn1@mx.customer.example'")" \
    "1|bounce" "the DSN is filed in the notice's ticket"
is "$(count outbox)/$(count tickets)" "$outbox/$tickets" "a bounce is never answered and opens no ticket"
like "$(desk_sql "SELECT action FROM audit WHERE ticket_id = 1")" 'notice-bounced' "the audit log records it"

# --- language: a German request gets the bilingual notice, Russian the Russian one
printf 'Hallo, leider funktioniert der Versand nach Österreich nicht. Können Sie bitte helfen?\n' |
    mail bob@customer.example bob@customer.example support@desk.test "Versand" de1@customer.example
t=$(ticket_of de1@customer.example)
is "$(desk_sql "SELECT kind FROM outbox WHERE ticket_id = $t")" language "another language: the language notice instead of the acknowledgment"
notice=$(desk_sql "SELECT text FROM outbox WHERE ticket_id = $t")
like "$notice" 'English and Russian only' "... saying in English that support is in English and Russian"
like "$notice" 'только на английском и русском' "... and saying it in Russian"
is "$(desk_sql "SELECT language FROM messages WHERE message_id = 'de1@customer.example'")" other "the message's language is stored"
printf 'Здравствуйте! Не работает оплата картой, помогите пожалуйста.\n' |
    mail bob@customer.example bob@customer.example support@desk.test "Оплата" ru1@customer.example
t=$(ticket_of ru1@customer.example)
like "$(desk_sql "SELECT text FROM outbox WHERE ticket_id = $t")" 'Здравствуйте' \
    "a Russian request of an English-speaking customer is acknowledged in Russian"

# --- loops are repetition: the same text again and again from one sender
desk_setup "$tmp/loop" "loop_repeats = 3"
desk_customer bob@customer.example
for i in 1 2 3 4 5; do
	printf 'Your message %s has been received and will be processed.\n' $((100 + i)) |
	    mail bob@customer.example bob@customer.example \
	    support@desk.test "Received: request $((100 + i))" loop$i@customer.example
done
is "$(count tickets)/$(count outbox)" "2/2" \
    "the same text (but for numbers) 3 times in an hour: no third ticket or notice"
is "$(desk_sql "SELECT group_concat(class) FROM messages WHERE message_id IN ('loop3@customer.example', 'loop4@customer.example', 'loop5@customer.example')")" \
    "loop,loop,loop" "the 3 repeated ones are stored as loop"
is "$(desk_sql "SELECT count(*) FROM messages WHERE class = 'loop' AND flags LIKE '%suspected-loop%' AND flags LIKE '%suppressed%'")" 3 \
    "... flagged suspected-loop and suppressed (a license owner's), so engineers find them"
is "$(desk_sql "SELECT count(*) FROM audit WHERE action = 'loop'")" 1 "the loop is logged once"

# --- closed_reply = new: a reply to a closed ticket opens a new one
desk_setup "$tmp/new" "closed_reply = new"
desk_customer bob@customer.example
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
desk_sql "UPDATE tickets SET status = 'closed'"
r=$(desk_sql "SELECT reply_to FROM outbox WHERE ticket_id = 1")
printf 'Again.\n' | mail bob@customer.example bob@customer.example "$r" "Re: [#1] x" again@customer.example
is "$(ticket_of again@customer.example)/$(desk_sql "SELECT status FROM tickets WHERE id = 1")" \
    "2/closed" "closed_reply = new: a reply to a closed ticket opens ticket 2"
desk_ctl staff add eng@vendor.example > /dev/null
printf 'Closing note.\n' | mail eng@vendor.example eng@vendor.example "$r" "Re: [#1] x" engclosed@vendor.example
is "$(ticket_of engclosed@vendor.example)/$(count outbox)" "1/2" \
    "... but an engineer's note is filed in the closed ticket, and nobody is told off"

# --- a loop of mail without a From: counted by its envelope sender
desk_setup "$tmp/loop2" "loop_repeats = 2"
for i in 1 2 3; do
	printf 'From: \nTo: support@desk.test\nSubject: x%s\nDate: Thu, 26 Nov 2026 10:00:00 +0000\nMessage-ID: <nf%s@x.example>\n\nbody\n' $i $i |
	    "$DESKGATE" -c "$DESK_CONF" -f Robot@X.example -- support@desk.test > /dev/null
done
is "$(desk_sql "SELECT group_concat(class) FROM messages WHERE message_id IN ('nf2@x.example', 'nf3@x.example')")" loop,loop \
    "mail without From: repeats for its envelope sender, in any case"

# --- a quotes.rules label quote.c does not know is an error, not ignored
mkdir "$tmp/filters"
cp "$top_srcdir"/filters/* "$tmp/filters/"
echo "headr text (?i)^On .* wrote:$" >> "$tmp/filters/quotes.rules"
desk_setup "$tmp/badrules" "filters = $tmp/filters"
set +e; err=$(desk_ctl check-config 2>&1); set -e
like "$err" 'quotes.rules:[0-9]+: "headr text" is none of' "a mistyped quotes.rules label is reported with file and line"

done_testing
tap_status
