#!/bin/bash
# 0010-intake.t - deskgate run as pipe(8) runs it (argv + stdin) against a
# fresh store: tickets, acknowledgments, strangers, robots, duplicates,
# malformed and oversized mail, unknown recipients, charsets.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk"
main_dir=$DESK_DIR main_conf=$DESK_CONF
desk_customer bob@customer.example --name "Bob Smith"
desk_customer ivan@magazin.example --lang ru
desk_customer petrov@magazin.example --lang ru
desk_ctl customer add nolicense@customer.example > /dev/null
desk_customer pre@customer.example --preapprove

count() { desk_sql "SELECT count(*) FROM $1"; }

# --- a license owner opens a ticket
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
is "$DESK_RC" 0 "license owner: exit 0"
is "$DESK_OUT" "" "license owner: nothing on stdout"
is "$(desk_sql "SELECT id, status, subject FROM tickets")" \
    "1|new|Shipping methods disappear at checkout" "ticket 1 is new with the subject"
is "$(desk_sql "SELECT direction, author, message_id FROM messages WHERE direction = 'in'")" \
    "in|customer|CAF4kQ2x1a@mail.customer.example" "the message is stored in the ticket"
is "$(desk_sql "SELECT length(raw) = size AND size = $(wc -c < "$(desk_sample 01-question.eml)") FROM messages JOIN message_raw ON message_row = id WHERE direction = 'in'")" \
    1 "the raw message is stored whole"
ack=$(desk_ctl outbox list --json)
is "$(echo "$ack" | jq -r '.[0].to')" bob@customer.example "acknowledgment queued to the customer"
like "$(echo "$ack" | jq -r '.[0].reply_to')" '^support\+1-[0-9a-f]{16}@desk\.test$' "Reply-To is the ticket's reply address"
like "$(echo "$ack" | jq -r '.[0].subject')" '^\[#1\] Shipping methods' "the subject carries the ticket tag"
body=$(echo "$ack" | jq -r '.[0].body')
like "$body" '09:00-18:00 \(UTC\+04:00\)' "the acknowledgment gives the hours and time zone"
like "$body" '5 credits' "the acknowledgment explains category 1"
like "$body" '20 credits' "the acknowledgment explains category 3"
like "$body" 'confirm' "not pre-approved: categories 2 and 3 wait for confirmation"
raw=$(desk_sql "SELECT raw FROM outbox WHERE id = 1" | tr -d '\r')
like "$raw" '^Auto-Submitted: auto-replied$' "the notice is marked Auto-Submitted"
like "$raw" '^X-Auto-Response-Suppress: All$' "the notice suppresses Exchange auto-replies"
like "$raw" '^In-Reply-To: <CAF4kQ2x1a@mail.customer.example>$' "the notice answers the customer's message"
like "$raw" '^Message-I[dD]: <[^>]+@desk\.test>$' "the notice has a Message-ID of the desk"
is "$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'out' AND ticket_id = 1")" 1 \
    "the notice's Message-ID is recorded for threading"
is "$(desk_ctl ticket list --json | jq -c '.[0] | [.id, .status, .customer, .category, .charged, .messages]')" \
    '[1,"new","bob@customer.example",null,0,2]' "ticket list --json gives the contract's fields"

# --- the same message again (a postfix retry) changes nothing
before=$(count messages)/$(count tickets)/$(count outbox)
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
is "$DESK_RC" 0 "duplicate: exit 0"
is "$(count messages)/$(count tickets)/$(count outbox)" "$before" "duplicate: nothing changes"
# ... even when a relay re-sent it with one more Received: line
{ echo "Received: from relay.example by mx.desk.test; Wed, 25 Nov 2026 09:20:00 +0000"
  cat "$(desk_sample 01-question.eml)"; } > "$tmp/resent.eml"
desk_gate bob@customer.example support@desk.test < "$tmp/resent.eml"
is "$(count messages)/$(count tickets)/$(count outbox)" "$before" "re-sent with a new Received line: still a duplicate"

# --- HTML only, an attachment, an upper-case From address
desk_gate bob@customer.example support@desk.test < "$(desk_sample 03-html-attachment.eml)"
is "$DESK_RC" 0 "html mail: exit 0"
show=$(desk_ctl ticket show 2 --json)
is "$(echo "$show" | jq -r '.subject')" "Import fails — screenshot attached" "RFC 2047 subject decoded"
text=$(echo "$show" | jq -r '.messages[0].text')
like "$text" 'the product import stops at row 1,204' "HTML turned into text"
like "$text" 'documented <https://docs.cs-cart.com/latest/>' "links keep their target"
check "no markup or style in the text" sh -c "! printf '%s' \"\$1\" | grep -q -e '<p>' -e 'color:red'" - "$text"
is "$(echo "$show" | jq -c '.messages[0].attachments')" \
    '[{"filename":"import-error.png","content_type":"image/png","size":70}]' "attachment kept with name, type and size"
is "$(desk_sql "SELECT hex(substr(content, 1, 8)) FROM attachments")" 89504E470D0A1A0A "attachment content decoded (PNG signature)"

# --- Russian, windows-1251, agrees to the assessment in advance
desk_gate ivan@magazin.example support@desk.test < "$(desk_sample 02-russian.eml)"
is "$DESK_RC" 0 "windows-1251 mail: exit 0"
is "$(desk_sql "SELECT subject || '|' || preapproved || '|' || lang FROM tickets WHERE id = 3")" \
    "Ошибка 500 при оплате заказа|1|ru" "Cyrillic subject; 'Оценка: согласен' pre-approves"
like "$(desk_sql "SELECT text FROM messages WHERE ticket_id = 3 AND direction = 'in'")" \
    'появляется ошибка 500' "windows-1251 body converted to UTF-8"
rutext=$(desk_sql "SELECT text FROM outbox WHERE ticket_id = 3")
like "$rutext" 'Здравствуйте' "a Russian customer gets the Russian acknowledgment"
like "$rutext" 'заранее согласились' "... which confirms the pre-approval"
like "$(desk_sql "SELECT raw FROM outbox WHERE ticket_id = 3" | tr -d '\r')" \
    '^Subject: \[#3\] =\?(utf-8|UTF-8)\?' "the Russian subject goes out as an RFC 2047 encoded word"

desk_gate petrov@magazin.example support@desk.test < "$(desk_fixture russian-koi8r.eml)"
is "$(desk_sql "SELECT subject FROM tickets WHERE id = 4")" "Проблема KOI8" "KOI8-R encoded word decoded"
like "$(desk_sql "SELECT text FROM messages WHERE ticket_id = 4 AND direction = 'in'")" \
    'Не работает поиск' "KOI8-R body converted"

# --- pre-approval: by the customer's setting, and not by a mere mention
desk_gate bob@customer.example support@desk.test < "$(desk_fixture no-assessment.eml)"
is "$(desk_sql "SELECT preapproved FROM tickets WHERE id = 5")" 0 "mentioning 'Assessment' is not agreeing"
sed 's/bob@customer.example/pre@customer.example/; s/q-noassess/q-pre/' \
    "$(desk_fixture no-assessment.eml)" > "$tmp/pre.eml"
desk_gate pre@customer.example support@desk.test < "$tmp/pre.eml"
is "$(desk_sql "SELECT preapproved FROM tickets WHERE id = 6")" 1 "--preapprove customer: pre-approved"

# --- a stranger: no ticket, one polite notice, not two
tickets=$(count tickets)
desk_gate visitor@somewhere.example support@desk.test < "$(desk_sample 04-stranger.eml)"
is "$DESK_RC" 0 "stranger: exit 0"
is "$(count tickets)" "$tickets" "stranger: no ticket"
is "$(desk_sql "SELECT author FROM messages WHERE from_addr = 'visitor@somewhere.example'")" stranger \
    "stranger: the message is kept"
notice=$(desk_sql "SELECT text FROM outbox WHERE kind = 'stranger' AND rcpt = 'visitor@somewhere.example'")
like "$notice" 'license owners only' "stranger: told the desk is for license owners"
like "$notice" 'https://vendor.example/contact' "stranger: pointed to the contact form"
sed 's/q1@somewhere/q2@somewhere/' "$(desk_sample 04-stranger.eml)" > "$tmp/s2.eml"
desk_gate visitor@somewhere.example support@desk.test < "$tmp/s2.eml"
is "$(desk_sql "SELECT count(*) FROM outbox WHERE rcpt = 'visitor@somewhere.example'")" 1 \
    "stranger writing again the same day: no second notice"
sed 's/visitor@somewhere.example/nolicense@customer.example/; s/q1@/q3@/' \
    "$(desk_sample 04-stranger.eml)" > "$tmp/s3.eml"
desk_gate nolicense@customer.example support@desk.test < "$tmp/s3.eml"
is "$(count tickets)" "$tickets" "a customer without a license opens no ticket"
like "$(desk_sql "SELECT text FROM outbox WHERE rcpt = 'nolicense@customer.example'")" \
    'no license is registered to your' "... and is told that no license is registered"

# --- robots: stored, never answered, never a ticket
outbox=$(count outbox)
desk_gate bob@customer.example support@desk.test < "$(desk_sample 05-out-of-office.eml)"
is "$DESK_RC/$(count tickets)/$(count outbox)" "0/$tickets/$outbox" "out-of-office: exit 0, no ticket, no notice"
desk_gate "" support@desk.test < "$(desk_fixture bounce-dsn.eml)"
is "$DESK_RC/$(count tickets)/$(count outbox)" "0/$tickets/$outbox" "bounce (null sender): no ticket, no notice"
desk_gate announce-bounces@lists.example support@desk.test < "$(desk_fixture list-mail.eml)"
is "$DESK_RC/$(count tickets)/$(count outbox)" "0/$tickets/$outbox" "list mail: no ticket, no notice"
is "$(desk_sql "SELECT group_concat(class, ',') FROM messages WHERE author = 'robot' ORDER BY id")" \
    "autoreply,bounce,list" "robots are stored with their class"

# --- garbage: stored raw and flagged, not bounced
desk_gate someone@example.net support@desk.test < "$(desk_sample 06-garbage.eml)"
is "$DESK_RC" 0 "garbage: exit 0 (never bounced for being malformed)"
is "$(desk_sql "SELECT flags FROM messages WHERE author = 'unknown'")" malformed "garbage: flagged malformed"
is "$(desk_sql "SELECT hex(raw) FROM messages JOIN message_raw ON message_row = id WHERE author = 'unknown'")" \
    "$(od -An -v -tx1 "$(desk_sample 06-garbage.eml)" | tr -d ' \n' | tr a-f A-F)" "garbage: raw bytes kept exactly"
like "$(desk_ctl message unfiled)" 'malformed' "deskctl message unfiled shows it"

# --- not our address
desk_gate bob@customer.example someone@desk.test < "$(desk_sample 01-question.eml)"
is "$DESK_RC" 67 "unknown recipient: EX_NOUSER"
like "$DESK_OUT" '^5\.1\.1 <someone@desk\.test>' "unknown recipient: one 5.1.1 line"
desk_gate bob@customer.example support@other.test < "$(desk_sample 01-question.eml)"
is "$DESK_RC" 67 "other domain: EX_NOUSER"

# --- too big: refused with a clear text, nothing stored
desk_setup "$tmp/small" "max_message_size = 2K"
desk_ctl customer add bob@customer.example > /dev/null
head -c 5000 /dev/zero | tr '\0' 'x' | fold -w 70 > "$tmp/big.txt"
cat "$(desk_sample 01-question.eml)" "$tmp/big.txt" > "$tmp/big.eml"
desk_gate bob@customer.example support@desk.test < "$tmp/big.eml"
is "$DESK_RC" 69 "too big: refused"
like "$DESK_OUT" '^5\.3\.4 message too big .*limit 2048 bytes' "too big: a 5.3.4 line names the limit"
is "$(desk_sql 'SELECT count(*) FROM messages')" 0 "too big: nothing stored"

# --- the postmaster's mistakes defer (75), never bounce
printf '[desk]\naddress = support@desk.test\n' > "$tmp/bad.conf"
set +e
out=$("$DESKGATE" -c "$tmp/bad.conf" -f a@b.example -- support@desk.test < "$(desk_sample 01-question.eml)")
rc=$?
set -e
is "$rc" 75 "missing secret: EX_TEMPFAIL"
like "$out" '^4\.3\.5 ' "missing secret: a 4.3.5 line"
desk_setup "$tmp/fresh"
rm "$tmp/fresh/desk.db"*
sqlite3 "$tmp/fresh/desk.db" "CREATE TABLE x(y)"
desk_gate bob@customer.example support@desk.test < "$(desk_sample 01-question.eml)"
is "$DESK_RC" 75 "store without the schema: EX_TEMPFAIL"
like "$DESK_OUT" '^4\.3\.5 ' "store without the schema: a 4.3.5 line (the operator's to fix)"
like "$(cat "$tmp/fresh/deskgate.log")" 'schema version 0 .* expected [0-9]+: run "deskctl migrate"' "the log says why"
set +e
out=$("$DESKGATE" -c "$DESK_CONF" < /dev/null)
rc=$?
set -e
is "$rc" 75 "no arguments: EX_TEMPFAIL, not a bounce"

# --- a reply through the ticket's reply address files into the ticket
DESK_DIR=$main_dir DESK_CONF=$main_conf
reply=$(desk_sql "SELECT reply_to FROM outbox WHERE ticket_id = 1")
sed "s/@REPLY@/$reply/" "$(desk_fixture reply-to-ticket.eml)" > "$tmp/reply.eml"
tickets=$(desk_sql "SELECT count(*) FROM tickets")
desk_gate bob@customer.example "$reply" < "$tmp/reply.eml"
is "$DESK_RC" 0 "reply: exit 0"
is "$(desk_sql "SELECT count(*) FROM tickets")" "$tickets" "reply: no new ticket"
is "$(desk_sql "SELECT author || '|' || ticket_id FROM messages WHERE message_id = 'reply-1@customer.example'")" \
    "customer|1" "reply: filed in ticket 1 as the customer's"
is "$(desk_sql "SELECT preapproved FROM tickets WHERE id = 1")" 0 "ticket 1 is not pre-approved yet"
sed "s/@REPLY@/$reply/; s/reply-1@/reply-2@/; s/^Here is.*/Assessment: agree/" \
    "$(desk_fixture reply-to-ticket.eml)" > "$tmp/agree.eml"
desk_gate bob@customer.example "$reply" < "$tmp/agree.eml"
is "$(desk_sql "SELECT preapproved FROM tickets WHERE id = 1")" 1 \
    "a reply with 'Assessment: agree' pre-approves the ticket, as the acknowledgment says"
forged=$(echo "$reply" | sed 's/-[0-9a-f]\{16\}@/-0000000000000000@/')
sed "s/@REPLY@/$forged/; s/reply-1@/forged-1@/" "$(desk_fixture reply-to-ticket.eml)" > "$tmp/forged.eml"
desk_gate bob@customer.example "$forged" < "$tmp/forged.eml"
is "$DESK_RC/$(desk_sql "SELECT ticket_id FROM messages WHERE message_id = 'forged-1@customer.example'")" \
    "0/$((tickets + 1))" "a wrong token never threads: handled as a new request"
like "$(desk_sql "SELECT action || ' ' || detail FROM audit WHERE action = 'bad-reply-address'")" \
    "bad-reply-address from=bob@customer.example: ${forged/+/\\+}: no valid reply token" "the attempt is in the audit log"
done_testing
tap_status
