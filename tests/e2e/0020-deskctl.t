#!/bin/bash
# 0020-deskctl.t - the operator's commands: customers, licenses and the
# credits they grant, packages, staff, and the errors an operator sees.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk"

# run_ctl ARGS...: sets CTL_RC, CTL_OUT, CTL_ERR
run_ctl() {
	set +e
	CTL_OUT=$(desk_ctl "$@" 2> "$tmp/err")
	CTL_RC=$?
	set -e
	CTL_ERR=$(cat "$tmp/err")
}
balance() { desk_ctl credits show "$1" --json | jq .balance; }

run_ctl customer add alice@shop.example --name "Alice Shop"
is "$CTL_RC" 0 "customer add"
run_ctl license add alice@shop.example --product cs-cart --kind first
is "$CTL_RC" 0 "CS-Cart first license"
is "$(balance alice@shop.example)" 50 "credits show: 50 after a CS-Cart first license"
run_ctl license add alice@shop.example --product cs-cart --kind additional
is "$(balance alice@shop.example)" 80 "credits show: 80 after an additional one"
run_ctl license add alice@shop.example --product cs-cart --kind storefront
is "$(balance alice@shop.example)" 110 "an additional storefront license adds 30"
run_ctl license add alice@shop.example --product multi-vendor --kind storefront
is "$CTL_RC" 1 "a Multi-Vendor storefront license is refused"
like "$CTL_ERR" 'Multi-Vendor has no additional storefront license' "... with a clear error"
is "$(balance alice@shop.example)" 110 "... and grants nothing"
run_ctl license add alice@shop.example --product multi-vendor --kind additional
is "$CTL_RC" 1 "an additional license before a first one is refused"
run_ctl license add alice@shop.example --product multi-vendor --kind first
is "$(balance alice@shop.example)" 210 "Multi-Vendor first license: 100"
run_ctl license add alice@shop.example --product multi-vendor --kind additional
is "$(balance alice@shop.example)" 310 "Multi-Vendor additional license: 100"
run_ctl license add alice@shop.example --product cs-cart --kind first
is "$CTL_RC" 1 "a second first license of the same product is refused"
run_ctl license add alice@shop.example --product shopify --kind first
like "$CTL_ERR" 'unknown product' "unknown product refused"

run_ctl credits buy alice@shop.example --package 50
is "$CTL_RC" 0 "credits buy 50"
like "$CTL_OUT" '\$85\.00' "the 50-credit package costs \$85"
is "$(balance alice@shop.example)" 360 "bought credits are added"
for p in 25:4500 100:16500 200:29500; do
	desk_ctl credits buy alice@shop.example --package "${p%%:*}" > /dev/null
done
is "$(desk_ctl credits show alice@shop.example --json | jq -c '[.ledger[] | .price_cents | select(. != null)]')" \
    '[8500,4500,16500,29500]' "every package is recorded with its price"
is "$(balance alice@shop.example)" 685 "balance is the sum of the ledger"
run_ctl credits buy alice@shop.example --package 30
is "$CTL_RC" 1 "a package that does not exist is refused"
like "$CTL_ERR" '25, 50, 100 or 200' "... naming the packages there are"
is "$(desk_ctl credits show alice@shop.example --json | jq -c '.ledger[0] | keys')" \
    '["delta","price_cents","reason","reference","ticket"]' "ledger entries have delta, reason, ticket, price and reference"

check "the ledger is append-only (UPDATE refused)" sh -c "! sqlite3 '$tmp/desk/desk.db' 'UPDATE ledger SET delta = 1000' 2>/dev/null"
check "the ledger is append-only (DELETE refused)" sh -c "! sqlite3 '$tmp/desk/desk.db' 'DELETE FROM ledger' 2>/dev/null"

# credits are shared by every address of one customer
run_ctl customer address add alice@shop.example billing@shop.example
is "$CTL_RC" 0 "customer address add"
is "$(balance billing@shop.example)" 685 "another address of the customer sees the same credits"
run_ctl customer add Billing@Shop.Example
is "$CTL_RC" 1 "an address that belongs to a customer cannot start another one"
like "$CTL_ERR" 'already belongs to a customer' "... with a clear error"
run_ctl customer address add nobody@shop.example x@shop.example
like "$CTL_ERR" 'no customer has the address nobody@shop.example' "address add for an unknown customer"
run_ctl credits show nobody@shop.example
is "$CTL_RC" 1 "credits show for an unknown customer fails"
run_ctl customer add 'not an address'
like "$CTL_ERR" 'is not a mail address' "a bad address is refused"
run_ctl customer add ru@shop.example --lang de
like "$CTL_ERR" 'must be en or ru' "an unknown language is refused"

run_ctl staff add Eng@Vendor.Example --name "Eng One"
is "$CTL_RC" 0 "staff add"
is "$(desk_sql "SELECT email FROM staff")" eng@vendor.example "staff stored in lower case"
run_ctl staff add eng@vendor.example
is "$CTL_RC" 1 "the same engineer twice is refused"

run_ctl ticket show 99
like "$CTL_ERR" 'there is no ticket 99' "ticket show of a missing ticket"
run_ctl ticket list --jsn
is "$CTL_RC" 2 "an unknown option is a usage error (exit 2)"
run_ctl frobnicate
is "$CTL_RC" 2 "an unknown command is a usage error (exit 2)"
run_ctl license add alice@shop.example
like "$CTL_ERR" '--product cs-cart\|multi-vendor' "a missing option is explained"

# configuration errors name the file, the line and the key
printf '[desk]\naddress = support@desk.test\nsecret = %s\ncolour = blue\n' "$desk_secret" > "$tmp/c1.conf"
set +e; err=$("$DESKCTL" -c "$tmp/c1.conf" ticket list 2>&1); set -e
like "$err" "c1\.conf:4: \[desk\] colour: unknown key" "unknown key: file, line and key"
printf '[desk]\naddress = support@desk.test\nsecret = %s\n[extra]\nx = 1\n' "$desk_secret" > "$tmp/c2.conf"
set +e; err=$("$DESKCTL" -c "$tmp/c2.conf" ticket list 2>&1); set -e
like "$err" "c2\.conf:4: \[extra\]: unknown section" "unknown section: file and line"
printf '[desk]\naddress = support at desk\nsecret = %s\n' "$desk_secret" > "$tmp/c3.conf"
set +e; err=$("$DESKCTL" -c "$tmp/c3.conf" ticket list 2>&1); set -e
like "$err" "c3\.conf:2: \[desk\] address: \"support at desk\" is not a mail address" "bad address: file, line and key"
printf '[desk]\naddress = support@desk.test\n' > "$tmp/c4.conf"
set +e; err=$("$DESKCTL" -c "$tmp/c4.conf" ticket list 2>&1); set -e
like "$err" "c4\.conf:1: \[desk\] secret: the secret is missing" "missing secret named"
printf '[desk]\naddress =\nsecret = %s\n' "$desk_secret" > "$tmp/c5.conf"
set +e; err=$("$DESKCTL" -c "$tmp/c5.conf" ticket list 2>&1); set -e
like "$err" "c5\.conf:2: \[desk\] address: must not be empty" "an empty intake address is named, not a crash"
printf '[desk]\naddress = support@desk.test\nsecret = %s\ntimezone = Europe/Moscow\n' "$desk_secret" > "$tmp/c6.conf"
set +e; err=$("$DESKCTL" -c "$tmp/c6.conf" ticket list 2>&1); set -e
like "$err" "c6\.conf:4: \[desk\] timezone: .* offset" "time zones are offsets, as customers read them"
run_ctl credits buy alice@shop.example --package 25abc
is "$CTL_RC" 1 "a package number with trailing junk is refused"
run_ctl check-config
like "$CTL_OUT" ': ok$' "check-config accepts the test configuration"

# Plain output escapes control characters: mail must not drive the
# operator's terminal (ESC[2J clears it; CR rewrites the line).
desk_customer esc@shop.example --name "Esc Shop"
{
	printf 'From: =?utf-8?q?Evil=1B[2J=0D=0AName?= <esc@shop.example>\n'
	printf 'To: support@desk.test\n'
	printf 'Subject: =?utf-8?q?clear=1B[2J_cr=0D_lf=0A_end?=\n'
	printf 'Date: Mon, 1 Jan 2024 10:00:00 +0000\n'
	printf 'Message-ID: <esc-1@shop.example>\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary=b\n\n'
	printf -- '--b\nContent-Type: text/plain; charset=utf-8\n\n'
	printf 'first line\x1b[2J\rsecond\tcolumn\nthird line\n'
	printf -- '--b\nContent-Type: application/octet-stream\n'
	printf "Content-Disposition: attachment; filename*=utf-8''a%%1B%%5B2J%%0D%%0Ab.bin\n\n"
	printf 'data\n--b--\n'
} > "$tmp/esc.eml"
desk_gate esc@shop.example support@desk.test < "$tmp/esc.eml"
is "$DESK_RC" 0 "a mail with ESC, CR and LF in name, subject and file name is stored"
esc_ticket=$(desk_sql "SELECT ticket_id FROM messages WHERE message_id = 'esc-1@shop.example'")
# whatever the parser keeps, the store may hold raw controls: put them in
# every field the plain listings print (customer subject, From, outbox)
raw="'x' || char(27) || '[2J' || char(13) || char(10) || char(155) || 'y'"
desk_sql "UPDATE tickets SET subject = $raw WHERE id = $esc_ticket;
    UPDATE messages SET subject = $raw, from_addr = $raw WHERE ticket_id = $esc_ticket;
    UPDATE outbox SET subject = $raw, reply_to = $raw WHERE ticket_id = $esc_ticket;
    INSERT INTO messages (direction, author, from_addr, subject, class, flags, created)
        SELECT direction, 'stranger', $raw, $raw, class, flags, created
        FROM messages WHERE ticket_id = $esc_ticket" 2> "$tmp/sqlerr" || diag "$(cat "$tmp/sqlerr")"
n=0
for cmd in "ticket show $esc_ticket" "ticket list" "message unfiled" "outbox list"; do
	# shellcheck disable=SC2086
	out=$(desk_ctl $cmd | od -An -tx1 -v | tr -s ' \n' '  ')
	n=$((n + 1))
	check "$cmd: no raw ESC, CR or 8-bit CSI in the plain output" \
	    sh -c "! printf '%s' '$out' | grep -Eq ' (1b|0d|c2 9b)( |\$)'"
done
show=$(desk_ctl ticket show "$esc_ticket")
like "$show" 'Ticket #[0-9]+: x\\x1b\[2J\\r\\n\\u009by$' "ticket show: the subject's ESC, CR, LF and CSI shown as 4 escapes"
like "$show" '\[attachment: a\\x1b\[2J\\r\\nb\.bin, ' "ticket show: the attachment name's ESC, CR, LF shown as escapes"
# (GMime has made the lone CR a newline by now)
like "$show" '^first line\\x1b\[2J$' "ticket show: the text's ESC is escaped"
like "$show" '^second	column$' "ticket show: the text keeps its TAB"
like "$show" '^third line$' "ticket show: the text keeps its real newlines"
like "$(desk_ctl message unfiled)" 'x\\x1b\[2J\\r\\n\\u009by +x\\x1b' "message unfiled: From and subject escaped"

# Robot-classed mail from license owners is listed as suppressed, filed
# or not (intake sets the word "suppressed" in messages.flags).
ins() {	# TICKET FLAGS SUBJECT: an inbound robot row; prints its id
	desk_sql "INSERT INTO messages (ticket_id, direction, author, from_addr,
	    subject, class, flags, created) VALUES ($1, 'in', 'robot',
	    'esc@shop.example', '$3', 'autoreply', '$2', 1700000000);
	    SELECT last_insert_rowid()"
}
s1=$(ins NULL suppressed 'Out of office reply not working')
s2=$(ins "$esc_ticket" 'malformed, suppressed' 'Delivery failed for our order confirmation emails')
d1=$(ins NULL suppressedx 'decoy: not the word')
unfiled=$(desk_ctl message unfiled)
section=$(printf '%s\n' "$unfiled" | sed -n '/^Suppressed: /,$p')
like "$section" '^Suppressed: robot-classed mail from license owners \(2\)$' "message unfiled: a suppressed section counting 2"
like "$(printf '%s\n' "$section" | awk '{print $1}' | tr '\n' ' ')" "^Suppressed: $s1 $s2 \$" "... listing the unfiled one and the one filed in a ticket"
like "$section" "^$s2 +#$esc_ticket " "... with the ticket of the filed one"
like "$(printf '%s\n' "$unfiled" | sed '/^Suppressed: /,$d' | awk 'NF {print $1}' | tr '\n' ' ')" " $d1 \$" "... the decoy flag 'suppressedx' stays among the unfiled"
check "... and a suppressed message is not listed twice" \
    sh -c "[ \$(printf '%s\n' '$unfiled' | grep -c '^$s1 ') -eq 1 ]"
is "$(desk_ctl message unfiled --json | jq -c '[.[] | select(.suppressed) | [.id, .ticket]]')" \
    "[[$s1,null],[$s2,$esc_ticket]]" "message unfiled --json: 2 suppressed, with their tickets"
is "$(desk_ctl message unfiled --json | jq -c "[.[] | select(.id == $d1) | .suppressed]")" \
    "[false]" "message unfiled --json: the decoy is not suppressed"

# "deskctl version" tells whether the crash points are built in, and
# deskgate agrees: the DESKGATE_FAULT name is in it only when they are.
faults=$("$DESKCTL" version | sed -n 's/^fault-injection: //p')
like "$faults" '^(yes|no)$' "deskctl version names the fault-injection build option"
if grep -q DESKGATE_FAULT "$DESKGATE"; then in_gate=yes; else in_gate=no; fi
is "$in_gate" "$faults" "deskgate holds DESKGATE_FAULT exactly when deskctl version says fault-injection: $faults"

# check-config renders every template of every language with sample
# values: a variable the code does not give, or a syntax error, fails.
# broken NAME FILE SED: a copy of the templates with FILE edited by SED;
# sets CTL_RC, CTL_ERR for check-config on it
broken() {
	rm -rf "$tmp/tpl-$1"
	cp -r "$top_srcdir/etc/templates" "$tmp/tpl-$1"
	chmod -R u+w "$tmp/tpl-$1"
	sed -i "$3" "$tmp/tpl-$1/$2"
	sed "s|^templates = .*|templates = $tmp/tpl-$1|" "$DESK_CONF" > "$tmp/tpl-$1.conf"
	set +e
	"$DESKCTL" -c "$tmp/tpl-$1.conf" check-config > /dev/null 2> "$tmp/err"
	CTL_RC=$?
	set -e
	CTL_ERR=$(cat "$tmp/err")
}
run_ctl check-config
like "$CTL_OUT" 'templates: 29 notice templates render' "check-config renders the 29 shipped templates (15 in en, 14 in ru)"
broken typo ru/ack.txt 's/{{customer_name}}/{{customer_nmae}}/'
is "$CTL_RC" 1 "check-config fails on a misspelt variable in ru/ack.txt"
like "$CTL_ERR" 'tpl-typo/ru/ack\.txt:[0-9]+: unknown variable \{\{customer_nmae\}\}' "... naming the file, line and variable"
broken wrongkind en/stranger.txt 's/^Hello,$/Hello, about ticket {{ticket}},/'
like "$CTL_ERR" 'en/stranger\.txt:[0-9]+: unknown variable \{\{ticket\}\}' "check-config: a stranger notice has no {{ticket}}"
broken cond en/ack.txt 's/{{if preapproved}}/{{if pre_approved}}/'
like "$CTL_ERR" 'en/ack\.txt:[0-9]+: unknown variable \{\{if pre_approved\}\}' "check-config: an {{if}} on an unknown variable fails"
broken syntax en/language.txt '0,/^--$/s//{{if ticket}}/'
is "$CTL_RC" 1 "check-config fails on an {{if}} without {{end}}"
like "$CTL_ERR" 'en/language\.txt: \{\{if\}\} without \{\{end\}\}' "... naming the file"
broken unknown ru/ack.txt 's/x/x/'
mv "$tmp/tpl-unknown/ru/ack.txt" "$tmp/tpl-unknown/ru/akc.txt"
set +e; err=$("$DESKCTL" -c "$tmp/tpl-unknown.conf" check-config 2>&1 >/dev/null); rc=$?; set -e
is "$rc/$(printf '%s\n' "$err" | grep -c 'akc\.txt: no notice of that name')" 1/1 "check-config: a template no notice uses (akc.txt) fails"
rm "$tmp/tpl-unknown/ru/akc.txt" "$tmp/tpl-unknown/en/ack.txt"
set +e; err=$("$DESKCTL" -c "$tmp/tpl-unknown.conf" check-config 2>&1 >/dev/null); set -e
like "$err" 'en/ack\.txt: missing' "check-config: en/ack.txt, the fallback, must exist"

# the shipped sample configuration loads once it has a secret and a store
sed -e "s/^secret = .*/secret = $desk_secret/" -e "s|^path = .*|path = $tmp/sample.db|" \
    "$top_srcdir/etc/deskgate.conf" > "$tmp/sample.conf"
set +e; out=$("$DESKCTL" -c "$tmp/sample.conf" init 2>&1); rc=$?; set -e
is "$rc" 0 "etc/deskgate.conf, with a secret and a store path, is a valid configuration${out:+ ($out)}"

done_testing
tap_status
