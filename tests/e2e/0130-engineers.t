#!/bin/bash
# 0130-engineers.t - the engineers' side (issue 7), one scenario per rule of
# seed/support-policy.txt, driven end to end through deskgate with real mail
# text and observed only through deskctl's JSON (credits show, ticket show,
# ticket list, outbox list); desk_sql only for what the CLI does not show
# (the audit log, the raw bytes of a notice).
#
# Each scenario has a customer of its own (cN@customer.example, "Customer
# N"), so that no scenario's credits or notices leak into another's checks.
# Engineers answer the announcement from their own mail client: From: and
# envelope alice@vendor.example, to the announcement's Reply-To (the staff
# reply address), In-Reply-To the announcement, the commands on lines of
# their own at the top and the announcement quoted below an "On ... wrote:"
# line. Customers answer a confirmation notice the same way, to its
# Reply-To (the confirmation address).
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DESK_MAIL=$tmp/m.eml

ALICE="Alice Engineer <alice@vendor.example>"
NOTIFY=engineers@vendor.example
QUOTE_HEADER="On Thu, 26 Nov 2026 at 10:00, Help Desk <support@desk.test> wrote:"

# ---- observing (never fails: a missing feature reads as empty or 0) ----

# ob FILTER [JQ OPTIONS...]: jq -r FILTER over deskctl outbox list --json
ob() {
	local f=$1; shift
	{ desk_ctl outbox list --json 2> /dev/null || echo '[]'; } |
	    jq -r "$@" "$f" 2> /dev/null || true
}
# item T KIND FIELD [first|last]: FIELD of ticket T's outbox item of KIND
item() {
	ob "[.[] | select(.ticket == \$t and .kind == \$k)] | ${4:-last} | .$3 // empty" \
	    --argjson t "${1:-0}" --arg k "$2"
}
# items T KIND: how many outbox items of KIND ticket T has
items() {
	ob '[.[] | select(.ticket == $t and .kind == $k)] | length' \
	    --argjson t "${1:-0}" --arg k "$2"
}
# items_status T KIND: the statuses of ticket T's items of KIND, in order
items_status() {
	ob '[.[] | select(.ticket == $t and .kind == $k) | .status] | join(",")' \
	    --argjson t "${1:-0}" --arg k "$2"
}
# to_customer T EMAIL: items of ticket T to EMAIL beyond the acknowledgment
# (a cancelled item never leaves, so it does not count)
to_customer() {
	ob '[.[] | select(.ticket == $t and .to == $c and .kind != "ack" and
	    .status != "cancelled")] | length' --argjson t "${1:-0}" --arg c "$2"
}
# live T KIND: ticket T's items of KIND that are not cancelled
live() {
	ob '[.[] | select(.ticket == $t and .kind == $k and .status != "cancelled")] | length' \
	    --argjson t "${1:-0}" --arg k "$2"
}
# engineer_side T KIND: ticket T has items of KIND, all to alice or notify
engineer_side() {
	[ "$(ob '[.[] | select(.ticket == $t and .kind == $k) | .to] |
	    length > 0 and all(. == "alice@vendor.example" or . == $n)' \
	    --argjson t "${1:-0}" --arg k "$2" --arg n "$NOTIFY")" = true ]
}
# tk T FILTER [JQ OPTIONS...]: jq -r FILTER over deskctl ticket show T --json
tk() {
	local t=${1:-0} f=$2; shift 2
	{ desk_ctl ticket show "$t" --json 2> /dev/null || echo '{}'; } |
	    jq -r "$@" "$f" 2> /dev/null || true
}
status_of() { tk "$1" '.status // empty'; }
charged_of() { tk "$1" '.charged // empty'; }
# author_of T MSGID: who ticket T says wrote message MSGID ("" when not filed)
author_of() {
	tk "$1" '[.messages[]? | select(.message_id == $m) | .author] | first // empty' \
	    --arg m "$2"
}
# ticket_of EMAIL SUBJECT: the newest ticket of EMAIL with SUBJECT (0: none)
ticket_of() {
	{ desk_ctl ticket list --json 2> /dev/null || echo '[]'; } |
	    jq -r --arg c "$1" --arg s "$2" \
	    '[.[] | select(.customer == $c and .subject == $s) | .id] | max // 0' \
	    2> /dev/null || echo 0
}
# cr EMAIL FILTER [JQ OPTIONS...]: jq -r over deskctl credits show EMAIL --json
cr() {
	local e=$1 f=$2; shift 2
	{ desk_ctl credits show "$e" --json 2> /dev/null || echo '{}'; } |
	    jq -r "$@" "$f" 2> /dev/null || true
}
balance() { cr "$1" '.balance // empty'; }
ledger_sum() { cr "$1" '[.ledger[]?.delta] | add // 0'; }
# tdelta / trows / treasons EMAIL T: ticket T's rows in EMAIL's ledger
tdelta() { cr "$1" '[.ledger[]? | select(.ticket == $t) | .delta] | add // 0' --argjson t "${2:-0}"; }
trows() { cr "$1" '[.ledger[]? | select(.ticket == $t)] | length' --argjson t "${2:-0}"; }
treasons() { cr "$1" '[.ledger[]? | select(.ticket == $t) | .reason] | join("; ")' --argjson t "${2:-0}"; }
tdeltas() { cr "$1" '[.ledger[]? | select(.ticket == $t) | .delta | tostring] | join(",")' --argjson t "${2:-0}"; }

# balance_is EMAIL WANT WHAT: the balance is WANT, and is the ledger's sum
balance_is() {
	is "$(balance "$1")/$(ledger_sum "$1")" "$2/$2" \
	    "$3: $1's balance is $2 credits and equals the sum of its ledger deltas"
}

# raw_of T KIND: the bytes of ticket T's newest item of KIND, LF line ends
raw_of() {
	local id
	id=$(item "$1" "$2" id)
	[ -n "$id" ] || return 0
	desk_sql "SELECT CAST(raw AS TEXT) FROM outbox WHERE id = $id" | tr -d '\r' || true
}
# header_of NAME < RAW: the (unfolded) value of header NAME
header_of() {
	awk -v h="$(printf '%s' "$1" | tr 'A-Z' 'a-z')" '
	    /^$/ { exit }
	    /^[ \t]/ { if (on) v = v $0; next }
	    { if (on) exit; n = tolower(substr($0, 1, index($0, ":") - 1));
	      if (n == h) { on = 1; v = substr($0, index($0, ":") + 1) } }
	    END { sub(/^[ \t]+/, "", v); print v }'
}
# customer_bytes EMAIL: everything queued to EMAIL, raw (quoted-printable
# soft line breaks joined) and as deskctl inspect decodes it, so that an
# address hidden by an encoding is still seen
customer_bytes() {
	local id
	for id in $(ob '.[] | select(.to == $c) | .id' --arg c "$1"); do
		desk_sql "SELECT CAST(raw AS TEXT) FROM outbox WHERE id = $id" |
		    tr -d '\r' > "$tmp/raw.eml" || true
		sed -e ':a' -e '/=$/{N;s/=\n//;ba' -e '}' "$tmp/raw.eml"
		desk_ctl inspect "$tmp/raw.eml" 2> /dev/null |
		    jq -r '.text // empty, .reply_text // empty' 2> /dev/null || true
	done
	ob '.[] | select(.to == $c) | .body' --arg c "$1"
}
audit_count() {
	desk_sql "SELECT count(*) FROM audit WHERE action = '$1' AND ticket_id = ${2:-0}" || echo 0
}

# the staff reply address of ticket T (the announcement's Reply-To); a
# placeholder when there is none, so that the mail is still delivered
staff_addr() {
	local a
	a=$(item "$1" announce reply_to first)
	echo "${a:-support+$1-0000000000000000@desk.test}"
}
cust_addr() { item "$1" ack reply_to first; }
confirm_addr() {
	local a
	a=$(item "$1" confirm reply_to)
	echo "${a:-support+$1.0-0000000000000000@desk.test}"
}

# ---- writing mail ----

# customer N [deskctl customer add options...]: cN@customer.example with
# a first cs-cart license (50 credits)
customer() {
	local n=$1; shift
	desk_customer "c$n@customer.example" --name "Customer $n" "$@"
}
# request N MSGID SUBJECT TEXT: customer N's new request; T is its ticket
request() {
	printf '%s\n' "$4" > "$DESK_MAIL.body"
	desk_mail "Customer $1 <c$1@customer.example>" "c$1@customer.example" \
	    support@desk.test "$3" "$2" < "$DESK_MAIL.body"
	T=$(ticket_of "c$1@customer.example" "$3")
}
# reply FROM ENVELOPE TO SUBJECT MSGID IN-REPLY-TO QUOTED NEW [HEADER...]:
# a mail client's reply: NEW, the quote header, QUOTED as "> " lines
reply() {
	local from=$1 env=$2 to=$3 subject=$4 id=$5 irt=$6 quoted=$7 new=$8
	shift 8
	{
		printf '%s\n\n' "$new"
		echo "$QUOTE_HEADER"
		printf '%s\n' "$quoted" | sed -e 's/^/> /' -e 's/^> $/>/'
	} > "$DESK_MAIL.body"
	if [ -n "$irt" ]; then
		set -- "In-Reply-To: <$irt>" "References: <$irt>" "$@"
	fi
	desk_mail "$from" "$env" "$to" "$subject" "$id" "$@" < "$DESK_MAIL.body"
}
# eng T MSGID NEW [FROM [ENVELOPE [TO]]]: an engineer's reply to ticket T's
# announcement (alice, to the staff reply address, unless told otherwise)
eng() {
	local t=$1 id=$2 new=$3 from=${4:-$ALICE} env=${5:-alice@vendor.example} to
	to=${6:-$(staff_addr "$t")}
	reply "$from" "$env" "$to" "Re: $(item "$t" announce subject first)" "$id" \
	    "$(item "$t" announce message_id first)" \
	    "$(item "$t" announce body first)" "$new"
}
# answer_notice T KIND N MSGID NEW [TO [HEADER...]]: customer N replies to
# ticket T's newest notice of KIND (PICK=first: its oldest), to its
# Reply-To unless TO is given
answer_notice() {
	local t=$1 kind=$2 n=$3 id=$4 new=$5 to w=${PICK:-last}
	shift 5
	to=$(item "$t" "$kind" reply_to "$w")
	if [ $# -gt 0 ]; then to=$1; shift; fi
	reply "Customer $n <c$n@customer.example>" "c$n@customer.example" \
	    "${to:-support+$t.0-0000000000000000@desk.test}" \
	    "Re: $(item "$t" "$kind" subject "$w")" "$id" \
	    "$(item "$t" "$kind" message_id "$w")" "$(item "$t" "$kind" body "$w")" \
	    "$new" "$@"
}

re_of() { printf '%s' "$1" | sed 's/[][\.+*?^$(){}|]/\\&/g'; }

desk_setup "$tmp/desk" "[staff]" "notify = $NOTIFY"
grep -qx "notify = $NOTIFY" "$DESK_CONF" ||
    { echo "Bail out! desk_setup did not write [staff] notify"; exit 1; }
desk_ctl staff add alice@vendor.example --name "Alice Engineer" > /dev/null

# ==== 1: agreed in advance, category 2: answered and charged at once ====
customer 1
request 1 s1-q@customer.example "Shipping rates are zero" \
"Hello,

Since I changed the shipping zones every rate shows 0.00 at checkout.
What did I set wrong?

Assessment: agree

Customer 1"
is "$DESK_RC/$(tk "$T" .preapproved)" 0/true \
    "1: a request with an 'Assessment: agree' line opens ticket $T, pre-approved"
is "$(item "$T" announce to first)" "$NOTIFY" \
    "1: the new ticket is announced to [staff] notify"
s1_staff=$(item "$T" announce reply_to first)
s1_cust=$(cust_addr "$T")
like "$s1_staff" "^support\\+$T-[0-9a-f]{16}@desk\\.test\$" \
    "1: the announcement's Reply-To is a staff reply address of ticket $T"
check "1: the staff reply address differs from the customer's ($s1_cust)" \
    [ -n "$s1_staff" -a -n "$s1_cust" -a "$s1_staff" != "$s1_cust" ]
eng "$T" s1-a@vendor.example "#category 2

Hello,

the zone of your store's own country has no rates. Open Administration,
Shipping methods, and add a rate for that zone.

Best regards"
is "$DESK_RC/$(author_of "$T" s1-a@vendor.example)" 0/staff \
    "1: alice's reply to the staff address is filed in ticket $T as staff"
is "$(items "$T" answer)/$(item "$T" answer status)/$(item "$T" answer to)" \
    "1/queued/c1@customer.example" "1: one answer is queued to the customer"
is "$(status_of "$T")/$(tk "$T" .category)/$(charged_of "$T")" answered/2/10 \
    "1: ticket $T is answered, category 2, 10 credits charged"
is "$(trows c1@customer.example "$T")/$(tdelta c1@customer.example "$T")" 1/-10 \
    "1: one ledger row for ticket $T, -10"
like "$(treasons c1@customer.example "$T")" "category 2" \
    "1: the ledger row's reason names the category"
balance_is c1@customer.example 40 "1"
s1_body=$(item "$T" answer body)
like "$s1_body" "add a rate for that zone" "1: the answer carries alice's text"
like "$s1_body" "Alice Engineer" "1: the answer is signed with alice's name ([staff] sign = name)"
check "1: the answer carries neither the command line nor the quoted announcement" \
    eval '[ -n "$s1_body" ] && ! printf "%s\n" "$s1_body" | grep -Eq "^#category|^> " &&
    ! printf "%s\n" "$s1_body" | grep -qF "$QUOTE_HEADER"'
customer_bytes c1@customer.example > "$tmp/c1.txt"
check "1: nothing queued to the customer (raw or decoded) names alice@vendor.example" \
    eval '[ -s "$tmp/c1.txt" ] && ! grep -qi "alice@vendor\.example" "$tmp/c1.txt"'
check "1: nothing queued to the customer holds the staff reply address" \
    eval '[ -n "$s1_staff" ] && ! grep -qiF "$s1_staff" "$tmp/c1.txt"'
raw_of "$T" answer > "$tmp/s1.eml"
check "1: the answer's raw bytes do not contain alice@vendor.example" \
    eval '[ -s "$tmp/s1.eml" ] && ! grep -qi "alice@vendor\.example" "$tmp/s1.eml"'
like "$(header_of Subject < "$tmp/s1.eml")" "\\[#$T\\]" "1: the answer's Subject has [#$T]"
is "$(header_of In-Reply-To < "$tmp/s1.eml")" "<s1-q@customer.example>" \
    "1: the answer's In-Reply-To names the customer's message"
like "$(header_of From < "$tmp/s1.eml")" "<?support@desk\\.test>?\$" \
    "1: the answer is From the desk address"
like "$(header_of Reply-To < "$tmp/s1.eml")" "$(re_of "${s1_cust:-none}")" \
    "1: the answer's Reply-To is the customer reply address"
check "1: the answer (a person wrote it) is not marked Auto-Submitted" \
    eval '[ -s "$tmp/s1.eml" ] && [ -z "$(header_of Auto-Submitted < "$tmp/s1.eml")" ]'

# ==== 2: not agreed, category 2: confirmation first, then charged ====
customer 2
request 2 s2-q@customer.example "Product filters do not show" \
"Hello,

the product filters vanished from the category pages after I changed the
layout. How do I get them back?

Customer 2"
eng "$T" s2-a@vendor.example "#category 2

Hello,

the filters block was removed from the layout. Add it again in Design,
Layouts, Categories.

Best regards"
is "$DESK_RC/$(status_of "$T")" 0/awaiting_confirmation \
    "2: category 2 without agreement: ticket $T awaits confirmation"
is "$(items "$T" answer)/$(item "$T" answer status)" 1/held \
    "2: the answer is in the outbox, held"
is "$(items "$T" confirm)/$(item "$T" confirm to)" 1/c2@customer.example \
    "2: one confirmation notice to the customer"
like "$(item "$T" confirm reply_to)" "^support\\+$T\\.[0-9]+-[0-9a-f]{16}@desk\\.test\$" \
    "2: its Reply-To is a confirmation address support+$T.S-TOKEN"
s2_confirm=$(item "$T" confirm body)
like "$s2_confirm" "(^|[^0-9])10 credits" "2: the confirmation notice says 10 credits"
like "$s2_confirm" "(^|[^0-9])50([^0-9]|\$)" "2: ... and the balance, 50"
like "$s2_confirm" "[Cc]ategory 2" "2: ... and the category"
like "$s2_confirm" "[Cc]onfirm" "2: ... and how to confirm"
is "$(trows c2@customer.example "$T")/$(charged_of "$T")" 0/0 "2: nothing charged yet"
answer_notice "$T" confirm 2 s2-c@customer.example "confirm"
is "$DESK_RC/$(trows c2@customer.example "$T")/$(tdelta c2@customer.example "$T")" 0/1/-10 \
    "2: the customer's 'confirm' to the confirmation address charges -10, once"
is "$(items "$T" answer)/$(item "$T" answer status)" 1/queued \
    "2: the held answer is released (queued), not copied"
is "$(status_of "$T")/$(charged_of "$T")" answered/10 "2: ticket $T answered, 10 charged"
check "2: a 'confirmed' notice goes to the engineers' side, alice or notify ($(item "$T" confirmed to))" \
    engineer_side "$T" confirmed
is "$(to_customer "$T" c2@customer.example)" 2 \
    "2: the customer got the confirmation notice and the answer, nothing else"
balance_is c2@customer.example 40 "2"

# ==== 3: category 3 declined: nothing charged, closed ====
customer 3
request 3 s3-q@customer.example "Checkout is slow" \
"Hello,

after moving to the new server the checkout takes a minute.

Customer 3"
eng "$T" s3-a@vendor.example "#category 3

Hello,

your server's PHP has no opcache; enable it in php.ini.

Best regards"
is "$(status_of "$T")/$(item "$T" answer status)" awaiting_confirmation/held \
    "3: category 3 without agreement awaits confirmation, the answer held"
like "$(item "$T" confirm body)" "(^|[^0-9])20 credits" "3: the confirmation notice says 20 credits"
answer_notice "$T" confirm 3 s3-d@customer.example "decline"
is "$DESK_RC/$(trows c3@customer.example "$T")/$(charged_of "$T")" 0/0/0 \
    "3: the customer's 'decline' charges nothing"
is "$(status_of "$T")" closed "3: ticket $T is closed"
is "$(item "$T" answer status)" cancelled "3: the held answer is cancelled"
check "3: a 'declined' notice goes to the engineers' side, alice or notify ($(item "$T" declined to))" \
    engineer_side "$T" declined
balance_is c3@customer.example 50 "3"

# ==== 4: category 1 is answered at once, without asking ====
customer 4
request 4 s4-q@customer.example "How to add a language" \
"Hello,

how do I add a German storefront language?

Customer 4"
eng "$T" s4-a@vendor.example "#category 1

Hello,

install it in Administration, Languages, Manage languages.

Best regards"
is "$(items "$T" confirm)" 0 "4: category 1 needs no confirmation notice"
is "$(item "$T" answer status)/$(status_of "$T")/$(charged_of "$T")" queued/answered/5 \
    "4: the answer is queued, ticket $T answered, 5 charged"
is "$(tdeltas c4@customer.example "$T")" -5 "4: one ledger row, -5"
balance_is c4@customer.example 45 "4"

# ==== 5a: a pre-approved ticket changes category: 2 -> 3 -> 1 ====
customer 5
request 5 s5-q@customer.example "Images are not resized" \
"Hello,

thumbnails are not generated for new products.

Assessment: agree

Customer 5"
eng "$T" s5-a1@vendor.example "#category 2

Hello,

check the thumbnail settings in Settings, Thumbnails.

Best regards"
is "$(charged_of "$T")/$(tdelta c5@customer.example "$T")" 10/-10 "5a: category 2 charges 10"
eng "$T" s5-a2@vendor.example "#category 3

Hello,

the settings are right; your server lacks the GD extension. We are
looking into it further.

Best regards"
is "$(items "$T" confirm)/$(tk "$T" .category)/$(charged_of "$T")" 0/3/20 \
    "5a: 2 -> 3 on a pre-approved ticket: no confirmation, category 3, 20 charged"
is "$(tdeltas c5@customer.example "$T")" -10,-10 "5a: ... the difference is a second row, -10"
like "$(treasons c5@customer.example "$T")" "category 2 -> 3|2 -> 3" \
    "5a: ... whose reason names both categories"
is "$(items "$T" category)" 1 "5a: ... and the customer gets a 'category' notice"
eng "$T" s5-a3@vendor.example "#category 1

Hello,

it was simpler than it looked: only the thumbnail size was empty. Set it
to 300 and the images are resized.

Best regards"
is "$(tk "$T" .category)/$(charged_of "$T")/$(tdeltas c5@customer.example "$T")" \
    "1/5/-10,-10,15" "5a: 3 -> 1 refunds 15: category 1, 5 charged in all"
like "$(cr c5@customer.example '[.ledger[]? | select(.ticket == $t)] | last | .reason // empty' --argjson t "$T")" \
    "[Rr]efund|3 -> 1" "5a: the refund's reason says refund or names the categories"
is "$(items "$T" category)/$(item "$T" category to)" 2/c5@customer.example \
    "5a: a second 'category' notice tells the customer"
like "$(item "$T" category body)" "(^|[^0-9])15([^0-9]|\$)" "5a: ... of the 15 credits"
is "$(status_of "$T")" answered "5a: ticket $T is answered"
balance_is c5@customer.example 45 "5a"

# ==== 5b: a confirmed ticket goes 2 -> 3: a new confirmation ====
customer 6
request 6 s6-q@customer.example "Payment page error" \
"Hello,

the payment page says 'Invalid configuration'.

Customer 6"
eng "$T" s6-a1@vendor.example "#category 2

Hello,

the payment method has no currency set; set it in its settings.

Best regards"
answer_notice "$T" confirm 6 s6-c1@customer.example "confirm"
is "$(status_of "$T")/$(tdelta c6@customer.example "$T")" answered/-10 \
    "5b: category 2 confirmed: answered, -10"
s6_first=$(item "$T" confirm reply_to)
eng "$T" s6-a2@vendor.example "#category 3

Hello,

the error stays after the currency fix: the file of the payment script
was modified on your server. We need to look deeper.

Best regards"
is "$(status_of "$T")/$(items "$T" confirm)/$(tdelta c6@customer.example "$T")" \
    awaiting_confirmation/2/-10 \
    "5b: 2 -> 3 without agreement: a new confirmation, nothing more charged yet"
like "$(item "$T" confirm body)" "(^|[^0-9])10 credits" \
    "5b: the new confirmation asks for the difference, 10 credits"
check "5b: the new confirmation has an address of its own" \
    [ -n "$s6_first" -a "$(item "$T" confirm reply_to)" != "$s6_first" ]
answer_notice "$T" confirm 6 s6-c2@customer.example "confirm"
is "$(status_of "$T")/$(charged_of "$T")/$(tdeltas c6@customer.example "$T")" \
    "answered/20/-10,-10" "5b: confirmed: 20 charged in all, as two rows"
balance_is c6@customer.example 30 "5b"

# ==== 6: a security bug costs nothing ====
customer 7
request 7 s7-q@customer.example "XSS in the search box" \
"Hello,

searching for <script>alert(1)</script> runs the script.

Customer 7"
eng "$T" s7-a@vendor.example "#security

Hello,

thank you, this is a security bug; the fix is attached to the next release
and here is the patch for your version.

Best regards"
is "$(item "$T" answer status)/$(status_of "$T")" queued/answered \
    "6: #security: the answer is queued, ticket $T answered"
is "$(trows c7@customer.example "$T")/$(charged_of "$T")/$(items "$T" confirm)" 0/0/0 \
    "6: no ledger row, nothing charged, no confirmation"
balance_is c7@customer.example 50 "6"

# ==== 7: new functions are custom development ====
customer 8
request 8 s8-q@customer.example "Loyalty points" \
"Hello,

please add loyalty points for repeat buyers to my store.

Customer 8"
eng "$T" s8-a@vendor.example "#custom

Hello,

this is a new function; our custom development team can make it.

Best regards"
is "$(items "$T" custom)/$(item "$T" custom to)" 1/c8@customer.example \
    "7: #custom: one 'custom' notice to the customer"
is "$(status_of "$T")/$(trows c8@customer.example "$T")/$(charged_of "$T")" closed/0/0 \
    "7: ticket $T closed, no ledger row, nothing charged"
balance_is c8@customer.example 50 "7"

# ==== 8: an off-topic question is split into a ticket of its own ====
customer 9
request 9 s9-q@customer.example "Tax rates" \
"Hello,

how do I set a reduced tax rate for books?

And another thing: how do I connect PayPal?

Customer 9"
s9_status=$(status_of "$T")
s9=$T
eng "$T" s9-a@vendor.example "#split Connecting PayPal

How do I connect PayPal?"
s9_new=$(ticket_of c9@customer.example "Connecting PayPal")
check "8: #split opens a new ticket for the same customer (#$s9_new)" \
    [ "$s9_new" -gt "$s9" ]
like "$(tk "$s9_new" '[.messages[]? | select(.direction == "in") | .text] | join("\n")')" \
    "connect PayPal" "8: the new ticket holds the question"
# the split notice: filed under the old ticket or the new one
split() {
	ob "[.[] | select((.ticket == \$a or .ticket == \$b) and .kind == \"split\")] | $1" \
	    --argjson a "$s9" --argjson b "${s9_new:-0}"
}
is "$(split length)/$(split 'last | .to // empty')" 1/c9@customer.example \
    "8: a 'split' notice to the customer"
like "$(split 'last | .body // empty')" "#$s9_new([^0-9]|\$)" "8: ... naming the new ticket #$s9_new"
like "$(split 'last | .reply_to // empty')" "^support\\+$s9_new-[0-9a-f]{16}@desk\\.test\$" \
    "8: ... whose Reply-To is the new ticket's customer reply address"
n1=$(to_customer "$s9" c9@customer.example) n2=$(to_customer "$s9_new" c9@customer.example)
is "$((${n1:-0} + ${n2:-0}))/$(items "$s9" answer)" 1/0 \
    "8: nothing else goes to the customer (beyond acknowledgments), no answer on ticket $s9"
is "$(status_of "$s9")/$(charged_of "$s9")/$(trows c9@customer.example "$s9")" \
    "$s9_status/0/0" "8: ticket $s9 unchanged: status $s9_status, nothing charged"
balance_is c9@customer.example 50 "8"

# ==== 9: too few credits: awaiting credits, resumed by a purchase ====
customer 10 --preapprove
for i in 1 2; do
	request 10 "s10-q$i@customer.example" "Server problem $i" \
"Hello,

after the hosting change part $i of my shop is broken.

Customer 10"
	eng "$T" "s10-a$i@vendor.example" "#category 3

Hello,

your server's configuration was the cause; we fixed it.

Best regards"
done
is "$(balance c10@customer.example)" 10 "9: two category 3 tickets leave customer 10 with 10 credits"
request 10 s10-q3@customer.example "Server problem 3" \
"Hello,

and now the cron jobs fail on the new server.

Customer 10"
eng "$T" s10-a3@vendor.example "#category 3

Hello,

the cron user has no access to the var directory; fix its owner.

Best regards"
is "$(status_of "$T")/$(item "$T" answer status)/$(trows c10@customer.example "$T")" \
    awaiting_credits/held/0 \
    "9: category 3 with 10 credits: awaiting credits, answer held, nothing charged"
is "$(items "$T" credits)/$(item "$T" credits to)" 1/c10@customer.example \
    "9: a 'credits' notice to the customer"
s10_body=$(item "$T" credits body)
like "$s10_body" "25 credits" "9: ... listing the 25 credits package"
like "$s10_body" '\$45' "9: ... at \$45"
balance_is c10@customer.example 10 "9 (before buying)"
check "9: deskctl credits buy c10@customer.example --package 25 succeeds" \
    eval 'desk_ctl credits buy c10@customer.example --package 25 > /dev/null'
is "$(status_of "$T")/$(charged_of "$T")/$(tdeltas c10@customer.example "$T")" \
    answered/20/-20 "9: the same command charges ticket $T 20 and answers it"
is "$(item "$T" answer status)" queued "9: ... and releases the held answer"
balance_is c10@customer.example 15 "9"

# ==== 10: a customer cannot use the staff reply address ====
customer 11
request 11 s11-q@customer.example "Menu is gone" \
"Hello,

the top menu disappeared.

Customer 11"
s11_before=$(status_of "$T")
reply "Customer 11 <c11@customer.example>" c11@customer.example "$(staff_addr "$T")" \
    "Re: [#$T] Menu is gone" s11-x@customer.example "" "" "#category 1

Please just answer quickly."
is "$DESK_RC/$(status_of "$T")/$(tk "$T" .category)" "0/$s11_before/null" \
    "10: the customer's '#category 1' to the staff address changes nothing in ticket $T"
a=$(author_of "$T" s11-x@customer.example)
check "10: ... it is filed in ticket $T, not as the engineers' words (author '$a')" \
    [ -n "$a" -a "$a" != staff ]
is "$(to_customer "$T" c11@customer.example)/$(trows c11@customer.example "$T")" 0/0 \
    "10: no answer or notice to the customer, no ledger row"
check "10: an action-refused audit row for ticket $T" \
    [ "$(audit_count action-refused "$T")" -ge 1 ]
balance_is c11@customer.example 50 "10"

# ==== 11: strangers and forgers on the staff reply address ====
customer 12
request 12 s12-q@customer.example "Coupon not applied" \
"Hello,

the coupon code is accepted but the total does not change.

Customer 12"
eng "$T" s12-m1@vendor.example "#category 1

Hello, the coupon needs a condition; this is answered.

Best regards" "Mallory <mallory@vendor.example>" mallory@vendor.example
is "$DESK_RC/$(live "$T" answer)/$(trows c12@customer.example "$T")" 0/0/0 \
    "11: an unregistered mallory@vendor.example on the staff address: no answer, no charge"
eng "$T" s12-m2@vendor.example "#category 1

Hello, the coupon needs a condition; this is answered.

Best regards" "$ALICE" mallory@vendor.example
is "$DESK_RC/$(live "$T" answer)/$(trows c12@customer.example "$T")" 0/0/0 \
    "11: From: alice with envelope mallory: no answer, no charge"
a="$(author_of "$T" s12-m1@vendor.example)/$(author_of "$T" s12-m2@vendor.example)"
check "11: both are filed in ticket $T, neither as the engineers' words (authors '$a')" \
    eval 'case "$a" in /*|*/|*staff*) false;; *) true;; esac'
is "$(to_customer "$T" c12@customer.example)/$(tk "$T" .category)" 0/null \
    "11: nothing to the customer, ticket $T not assessed"
check "11: both refusals are audited" [ "$(audit_count action-refused "$T")" -ge 2 ]
balance_is c12@customer.example 50 "11"

# ==== 12: an unknown or malformed command: only the engineer hears ====
customer 13
request 13 s13-q@customer.example "Email notifications" \
"Hello,

customers get no order emails.

Customer 13"
eng "$T" s13-a1@vendor.example "#frobnicate

Hello, check the mail settings.

Best regards"
is "$(items "$T" command-error)/$(item "$T" command-error to)" 1/alice@vendor.example \
    "12: '#frobnicate': one 'command-error' notice, to alice"
like "$(item "$T" command-error body)" "#frobnicate" "12: ... naming the line"
eng "$T" s13-a2@vendor.example "#category 7

Hello, check the mail settings.

Best regards"
is "$(items "$T" command-error)/$(item "$T" command-error to)" 2/alice@vendor.example \
    "12: '#category 7': a second 'command-error' notice, to alice"
like "$(item "$T" command-error body)" "#category 7" "12: ... naming the line"
is "$(ob '[.[] | select(.ticket == $t and .kind == "command-error") | .to] | unique | join(",")' --argjson t "$T")" \
    alice@vendor.example "12: the command errors go to alice only, not to [staff] notify"
is "$(to_customer "$T" c13@customer.example)/$(live "$T" answer)/$(trows c13@customer.example "$T")" \
    0/0/0 "12: nothing reaches the customer, no answer waits in the outbox, no charge"
balance_is c13@customer.example 50 "12"

# ==== 13: an auto-reply to the confirmation notice confirms nothing ====
customer 14
request 14 s14-q@customer.example "Wrong order totals" \
"Hello,

the order totals are off by the tax.

Customer 14"
eng "$T" s14-a@vendor.example "#category 2

Hello, the tax is applied twice: set the price to include tax.

Best regards"
answer_notice "$T" confirm 14 s14-auto@customer.example "confirm

I am out of the office until Monday." "$(confirm_addr "$T")" \
    "Auto-Submitted: auto-replied"
is "$DESK_RC/$(status_of "$T")/$(trows c14@customer.example "$T")" 0/awaiting_confirmation/0 \
    "13: an auto-reply saying 'confirm' charges nothing; ticket $T still awaits confirmation"
is "$(item "$T" answer status)" held "13: ... the answer stays held"
answer_notice "$T" confirm 14 s14-c@customer.example "confirm"
is "$(status_of "$T")/$(tdeltas c14@customer.example "$T")" answered/-10 \
    "13: the confirmation address still works for the customer's own 'confirm': -10"
balance_is c14@customer.example 40 "13"

# ==== 14: replayed and superseded confirmations charge once ====
customer 15
request 15 s15-q@customer.example "Search finds nothing" \
"Hello,

the search finds no products at all.

Customer 15"
eng "$T" s15-a1@vendor.example "#category 2

Hello, rebuild the search index.

Best regards"
s15_old=$(confirm_addr "$T")
eng "$T" s15-a2@vendor.example "#category 3

Hello, the index cannot be rebuilt: the server's MySQL lacks full-text
support. We will look into it.

Best regards"
s15_new=$(confirm_addr "$T")
check "14: a re-assessment before the answer makes a second confirmation address" \
    [ "$s15_old" != "$s15_new" ]
PICK=first answer_notice "$T" confirm 15 s15-c0@customer.example "confirm" "$s15_old"
is "$(status_of "$T")/$(trows c15@customer.example "$T")" awaiting_confirmation/0 \
    "14: 'confirm' to the superseded confirmation address charges nothing"
answer_notice "$T" confirm 15 s15-c1@customer.example "confirm" "$s15_new"
is "$(status_of "$T")/$(tdeltas c15@customer.example "$T")" answered/-20 \
    "14: 'confirm' to the pending confirmation: answered, -20"
sed 's/^Message-ID: <s15-c1@/Message-ID: <s15-c2@/' "$DESK_MAIL" > "$tmp/s15-c2.eml"
desk_gate c15@customer.example "$s15_new" < "$tmp/s15-c2.eml"
is "$DESK_RC/$(tdeltas c15@customer.example "$T")/$(charged_of "$T")" 0/-20/20 \
    "14: the same confirmation again with a new Message-ID charges nothing more"
PICK=first answer_notice "$T" confirm 15 s15-c3@customer.example "confirm" "$s15_old"
is "$(tdeltas c15@customer.example "$T")/$(charged_of "$T")/$(status_of "$T")" -20/20/answered \
    "14: a later 'confirm' to the superseded address changes nothing"
balance_is c15@customer.example 30 "14"

# ==== 15: two confirmations at once charge once ====
customer 16
request 16 s16-q@customer.example "Cart empties itself" \
"Hello,

the cart empties when a customer logs in.

Customer 16"
eng "$T" s16-a@vendor.example "#category 2

Hello, the session cookie domain is wrong; set it to your domain.

Best regards"
s16_addr=$(confirm_addr "$T")
s16_subject="Re: $(item "$T" confirm subject)"
s16_irt=$(item "$T" confirm message_id)
s16_quote=$(item "$T" confirm body)
for i in 1 2; do
	(
		DESK_MAIL=$tmp/p$i.eml
		reply "Customer 16 <c16@customer.example>" c16@customer.example \
		    "$s16_addr" "$s16_subject" "s16-c$i@customer.example" \
		    "$s16_irt" "$s16_quote" "confirm"
		echo "$DESK_RC" > "$tmp/p$i.rc"
	) &
done
wait
is "$(cat "$tmp/p1.rc" "$tmp/p2.rc" 2> /dev/null | tr '\n' /)" 0/0/ \
    "15: two confirmations delivered at once both exit 0"
is "$(tdeltas c16@customer.example "$T")/$(charged_of "$T")/$(status_of "$T")" -10/10/answered \
    "15: ticket $T is charged exactly once (-10) and answered"
is "$(items "$T" answer)/$(item "$T" answer status)" 1/queued "15: one answer released"
balance_is c16@customer.example 40 "15"

# ==== 16: commands in quoted text are never read ====
customer 17 --preapprove
request 17 s17-q@customer.example "Order status mail" \
"#close
Hello,

how do I change the text of the order status mail?

Customer 17"
eng "$T" s17-a@vendor.example "#category 1

Hello, edit it in Design, Email templates.

Best regards"
# a second answer without commands, quoting text that starts with commands
reply "$ALICE" alice@vendor.example "$(staff_addr "$T")" \
    "Re: $(item "$T" announce subject first)" s17-a2@vendor.example \
    "$(item "$T" announce message_id first)" \
    "#close
#category 3

$(item "$T" announce body first)" "One more thing: the preview button shows the result before you save."
is "$DESK_RC/$(author_of "$T" s17-a2@vendor.example)" 0/staff \
    "16: alice's second reply (quoting '> #close' and '> #category 3') is filed as staff"
is "$(status_of "$T")/$(tk "$T" .category)/$(charged_of "$T")" answered/1/5 \
    "16: quoted '#close' and '#category 3' are not read: answered, category 1, 5 charged"
is "$(tdeltas c17@customer.example "$T")" -5 "16: one ledger row, -5"
balance_is c17@customer.example 45 "16"

# ==== 17: Russian commands and answers ====
customer 18 --lang ru
request 18 s18-q1@customer.example "Не работает корзина" \
"Здравствуйте!

После обновления не работает корзина: товары не добавляются.

Покупатель 18"
eng "$T" s18-a1@vendor.example "#категория 2

Здравствуйте!

Очистите кэш в панели администратора и проверьте настройки корзины.

С уважением"
is "$(status_of "$T")/$(items "$T" confirm)/$(items "$T" command-error)" awaiting_confirmation/1/0 \
    "17: '#категория 2' is read: ticket $T awaits confirmation"
like "$(item "$T" confirm body)" "(^|[^0-9])10([^0-9]|\$)" "17: the Russian notice names the 10 credits"
answer_notice "$T" confirm 18 s18-c1@customer.example "подтверждаю"
is "$(status_of "$T")/$(tdeltas c18@customer.example "$T")/$(item "$T" answer status)" \
    answered/-10/queued "17: 'подтверждаю' confirms: -10, the answer queued"
request 18 s18-q2@customer.example "Медленно работает сайт" \
"Здравствуйте!

После переезда на новый сервер сайт открывается минуту.

Покупатель 18"
eng "$T" s18-a2@vendor.example "#категория 3

Здравствуйте!

На сервере не включён opcache; включите его в php.ini.

С уважением"
is "$(status_of "$T")/$(items "$T" confirm)" awaiting_confirmation/1 \
    "17: '#категория 3' asks for confirmation"
answer_notice "$T" confirm 18 s18-d2@customer.example "отказываюсь"
is "$(status_of "$T")/$(trows c18@customer.example "$T")/$(item "$T" answer status)" \
    closed/0/cancelled "17: 'отказываюсь' declines: closed, nothing charged, the answer cancelled"
balance_is c18@customer.example 40 "17"

# ==== all together ====
all=$(desk_ctl ticket list --json 2> /dev/null || echo '[]')
n=0 bad=
for t in $(printf '%s' "$all" | jq -r '.[].id' 2> /dev/null); do
	c=$(printf '%s' "$all" | jq -r --argjson t "$t" '.[] | select(.id == $t) | .customer' || true)
	n=$((n + 1))
	d=$(tdelta "$c" "$t")
	[ "$(charged_of "$t")" = "$((-${d:-0}))" ] || bad="$bad #$t"
done
check "every ticket's charged equals minus its ledger rows ($n tickets)${bad:+; not:$bad}" \
    [ "$n" -ge 20 -a -z "$bad" ]
n=0 bad=
for c in $(printf '%s' "$all" | jq -r '[.[].customer] | unique | .[]' 2> /dev/null); do
	n=$((n + 1))
	if customer_bytes "$c" | grep -qi 'alice@vendor\.example'; then
		bad="$bad $c"
	fi
done
check "no customer's mail names alice@vendor.example ($n customers)${bad:+; not:$bad}" \
    [ "$n" -ge 18 -a -z "$bad" ]
is "$(ob '[.[] | select(.kind == "announce") | .reply_to | select(. != null)] as $s |
    [.[] | select((.to // "") | test("@customer\\.example$")) |
    select(.body as $b | .reply_to as $r | any($s[]; . as $a | ($b | contains($a)) or $r == $a))] | length')" 0 \
    "no staff reply address reaches a customer, in a body or a Reply-To"

done_testing
tap_status
