#!/bin/bash
# 0135-deskctl-act.t - the operator does by CLI what an engineer does by
# mail (issue 7), through the same code (act.c):
#
#   deskctl ticket answer N [--category C] [--close] [--as ENGINEER] < TEXT
#   deskctl ticket category N C [--as ENGINEER]
#   deskctl ticket close N
#   deskctl ticket note N < TEXT
#   deskctl credits buy EMAIL --package P   (resumes tickets awaiting credits)
#
# Customers' requests and replies go through deskgate as real mail; what the
# operator does goes through deskctl; everything is observed through
# deskctl's JSON (ticket show, credits show, outbox list), desk_sql only for
# the raw bytes of a notice and the audit log. The last part does one
# sequence once by mail (alice's replies to the staff reply address, as in
# 0130-engineers.t) and once by CLI on an identical ticket of an identical
# customer, and compares the two after every step.
#
# Each scenario has a customer of its own (cN@customer.example, "Customer
# N", a first cs-cart license: 50 credits), so that no scenario's credits or
# notices leak into another's checks.
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
items() {
	ob '[.[] | select(.ticket == $t and .kind == $k)] | length' \
	    --argjson t "${1:-0}" --arg k "$2"
}
items_status() {
	ob '[.[] | select(.ticket == $t and .kind == $k) | .status] | join(",")' \
	    --argjson t "${1:-0}" --arg k "$2"
}
outbox_count() { ob 'length'; }
tk() {
	local t=${1:-0} f=$2; shift 2
	{ desk_ctl ticket show "$t" --json 2> /dev/null || echo '{}'; } |
	    jq -r "$@" "$f" 2> /dev/null || true
}
status_of() { tk "$1" '.status // empty'; }
charged_of() { tk "$1" '.charged // empty'; }
# state_of T: status/category/charged of ticket T
state_of() { tk "$1" '"\(.status)/\(.category)/\(.charged)"'; }
ticket_of() {
	{ desk_ctl ticket list --json 2> /dev/null || echo '[]'; } |
	    jq -r --arg c "$1" --arg s "$2" \
	    '[.[] | select(.customer == $c and .subject == $s) | .id] | max // 0' \
	    2> /dev/null || echo 0
}
cr() {
	local e=$1 f=$2; shift 2
	{ desk_ctl credits show "$e" --json 2> /dev/null || echo '{}'; } |
	    jq -r "$@" "$f" 2> /dev/null || true
}
balance() { cr "$1" '.balance // empty'; }
ledger_sum() { cr "$1" '[.ledger[]?.delta] | add // 0'; }
trows() { cr "$1" '[.ledger[]? | select(.ticket == $t)] | length' --argjson t "${2:-0}"; }
treasons() { cr "$1" '[.ledger[]? | select(.ticket == $t) | .reason] | join("; ")' --argjson t "${2:-0}"; }
tdeltas() { cr "$1" '[.ledger[]? | select(.ticket == $t) | .delta | tostring] | join(",")' --argjson t "${2:-0}"; }
balance_is() {
	is "$(balance "$1")/$(ledger_sum "$1")" "$2/$2" \
	    "$3: $1's balance is $2 credits and equals the sum of its ledger deltas"
}
raw_of() {
	local id
	id=$(item "$1" "$2" id)
	[ -n "$id" ] || return 0
	desk_sql "SELECT CAST(raw AS TEXT) FROM outbox WHERE id = $id" | tr -d '\r' || true
}
header_of() {
	awk -v h="$(printf '%s' "$1" | tr 'A-Z' 'a-z')" '
	    /^$/ { exit }
	    /^[ \t]/ { if (on) v = v $0; next }
	    { if (on) exit; n = tolower(substr($0, 1, index($0, ":") - 1));
	      if (n == h) { on = 1; v = substr($0, index($0, ":") + 1) } }
	    END { sub(/^[ \t]+/, "", v); print v }'
}
# customer_bytes EMAIL: everything queued to EMAIL, raw (quoted-printable
# soft line breaks joined), as deskctl inspect decodes it, and the bodies
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

# everything an error must leave as it was: the whole outbox, customer
# EMAIL's credits, ticket T, and the number of messages and audit rows
snapshot() {
	desk_ctl outbox list --json 2>&1 || true
	desk_ctl credits show "$1" --json 2>&1 || true
	desk_ctl ticket show "$2" --json 2>&1 || true
	desk_sql "SELECT count(*) FROM messages; SELECT count(*) FROM audit;" || true
}

# twin_state T EMAIL: what the equivalence compares: status/category/
# charged; the ticket's ledger deltas; its outbox items in order as
# kind:status:recipient, the recipient as a role (customer, alice, notify)
twin_state() {
	printf '%s | %s | ' "$(state_of "$1")" "$(tdeltas "$2" "$1")"
	ob '[.[] | select(.ticket == $t) | "\(.kind):\(.status):\(
	    if .to == $c then "customer" elif .to == "alice@vendor.example" then
	    "alice" elif .to == $n then "notify" else .to end)"] | join(" ")' \
	    --argjson t "${1:-0}" --arg c "$2" --arg n "$NOTIFY"
}
# twin_msgs T: the ticket's messages as direction:author:flags, in order
twin_msgs() {
	tk "$1" '[.messages[]? | "\(.direction):\(.author):\(.flags)"] | join(" ")'
}

re_of() { printf '%s' "$1" | sed 's/[][\.+*?^$(){}|]/\\&/g'; }

# ---- the operator's commands ----

# op [ARGS...] < TEXT: deskctl ARGS; sets OP_RC, OP_OUT, OP_ERR
op() {
	set +e
	desk_ctl "$@" > "$tmp/op.out" 2> "$tmp/op.err"
	OP_RC=$?
	set -e
	OP_OUT=$(cat "$tmp/op.out")
	OP_ERR=$(cat "$tmp/op.err")
}
# op_text TEXT ARGS...: op ARGS with TEXT on standard input
op_text() {
	local text=$1; shift
	printf '%s\n' "$text" > "$tmp/op.in"
	op "$@" < "$tmp/op.in"
}

# ---- writing mail ----

customer() {
	local n=$1; shift
	desk_customer "c$n@customer.example" --name "Customer $n" "$@"
}
request() {
	printf '%s\n' "$4" > "$DESK_MAIL.body"
	desk_mail "Customer $1 <c$1@customer.example>" "c$1@customer.example" \
	    support@desk.test "$3" "$2" < "$DESK_MAIL.body"
	T=$(ticket_of "c$1@customer.example" "$3")
}
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
# eng T MSGID NEW: alice's reply to ticket T's announcement, by mail
eng() {
	local t=$1 id=$2 new=$3
	reply "$ALICE" alice@vendor.example "$(staff_addr "$t")" \
	    "Re: $(item "$t" announce subject first)" "$id" \
	    "$(item "$t" announce message_id first)" \
	    "$(item "$t" announce body first)" "$new"
}
# answer_notice T KIND N MSGID NEW [TO]: customer N replies to ticket T's
# newest notice of KIND, to its Reply-To unless TO is given
answer_notice() {
	local t=$1 kind=$2 n=$3 id=$4 new=$5 to
	to=${6:-$(item "$t" "$kind" reply_to)}
	reply "Customer $n <c$n@customer.example>" "c$n@customer.example" \
	    "${to:-support+$t.0-0000000000000000@desk.test}" \
	    "Re: $(item "$t" "$kind" subject)" "$id" \
	    "$(item "$t" "$kind" message_id)" "$(item "$t" "$kind" body)" "$new"
}

desk_setup "$tmp/desk" "[staff]" "notify = $NOTIFY"
grep -qx "notify = $NOTIFY" "$DESK_CONF" ||
    { echo "Bail out! desk_setup did not write [staff] notify"; exit 1; }
desk_ctl staff add alice@vendor.example --name "Alice Engineer" > /dev/null

ANSWER1="Hello,

the zone of your store's own country has no rates. Open Administration,
Shipping methods, and add a rate for that zone.

Best regards"

# ==== 1: category 1 by CLI: answered, charged, signed by the desk ====
customer 1
request 1 s1-q@customer.example "Shipping rates are zero" \
"Hello,

since I changed the shipping zones every rate shows 0.00 at checkout.

Customer 1"
s1=$T
is "$DESK_RC/$(status_of "$s1")" 0/new "1: the request opens ticket $s1 (new)"
op_text "$ANSWER1" ticket answer "$s1" --category 1
is "$OP_RC" 0 "1: deskctl ticket answer $s1 --category 1 exits 0"
like "$OP_OUT" "^ticket $s1: .*category 1" "1: ... and says what it did ('$OP_OUT')"
is "$(items "$s1" answer)/$(item "$s1" answer status)/$(item "$s1" answer to)" \
    "1/queued/c1@customer.example" "1: one answer is queued to the customer"
is "$(state_of "$s1")" answered/1/5 "1: ticket $s1 is answered, category 1, 5 charged"
is "$(trows c1@customer.example "$s1")/$(tdeltas c1@customer.example "$s1")" 1/-5 \
    "1: one ledger row for ticket $s1, -5"
like "$(treasons c1@customer.example "$s1")" "category 1" "1: ... its reason names the category"
s1_body=$(item "$s1" answer body)
like "$s1_body" "add a rate for that zone" "1: the answer's body holds the operator's text"
check "1: without --as it is signed with the desk name alone (a line 'Test Help Desk')" \
    eval 'printf "%s\n" "$s1_body" | grep -qx "Test Help Desk"'
check "1: ... and names no engineer" eval '! printf "%s" "$s1_body" | grep -q "Alice"'
s1_raw=$(raw_of "$s1" answer)
like "$(printf '%s\n' "$s1_raw" | header_of From)" "support@desk\\.test" \
    "1: the answer is from the desk address"
like "$(printf '%s\n' "$s1_raw" | header_of Reply-To)" "<?$(re_of "$(cust_addr "$s1")")>?\$" \
    "1: its Reply-To is the customer reply address of ticket $s1"
is "$(printf '%s\n' "$s1_raw" | header_of In-Reply-To)" "<s1-q@customer.example>" \
    "1: it is In-Reply-To the customer's request"
like "$(printf '%s\n' "$s1_raw" | header_of Subject)" "^\\[#$s1\\] " \
    "1: its subject is tagged [#$s1]"
is "$(printf '%s\n' "$s1_raw" | header_of Auto-Submitted)" "" \
    "1: it is not marked Auto-Submitted (a person wrote it)"
is "$(tk "$s1" '[.messages[]? | select(.direction == "in" and .author == "staff") | .text] | length')" 1 \
    "1: what the operator wrote is filed in ticket $s1 as the staff's"
balance_is c1@customer.example 45 "1"

# ---- 1b: the same with --as alice: her name, never her address ----
customer 2
request 2 s2-q@customer.example "Menu is gone" \
"Hello,

the top menu disappeared after the upgrade.

Customer 2"
s2=$T
op_text "Hello,

the menu is hidden in Design, Layouts; switch it on again.

Best regards" ticket answer "$s2" --category 1 --as alice@vendor.example
is "$OP_RC/$(state_of "$s2")/$(item "$s2" answer status)" 0/answered/1/5/queued \
    "1b: ticket answer $s2 --category 1 --as alice: exit 0, answered, 5 charged, answer queued"
s2_body=$(item "$s2" answer body)
like "$s2_body" "Alice Engineer, Test Help Desk" "1b: the answer is signed 'Alice Engineer, Test Help Desk'"
check "1b: nothing queued to the customer names alice@vendor.example" \
    eval '! customer_bytes c2@customer.example | grep -qi "alice@vendor\.example"'
# she is the ticket's engineer now: the customer's next reply is hers too
answer_notice "$s2" answer 2 s2-r@customer.example "Thank you, it is back. And the footer?"
is "$DESK_RC/$(status_of "$s2")" 0/open "1b: the customer's reply reopens ticket $s2"
is "$(ob '[.[] | select(.ticket == $t and .kind == "announce") | .to] | .[1:] | sort | join(",")' --argjson t "$s2")" \
    "alice@vendor.example,$NOTIFY" \
    "1b: the reply is announced to alice (the ticket's engineer by --as) and to notify"
balance_is c2@customer.example 45 "1b"

# ==== 2: category 2, not agreed, by CLI: confirmation, then by mail ====
customer 3
request 3 s3-q@customer.example "Payment page error" \
"Hello,

the payment page says 'Invalid configuration'.

Customer 3"
s3=$T
op_text "Hello,

the payment method has no currency set; set it in its settings.

Best regards" ticket answer "$s3" --category 2
is "$OP_RC" 0 "2: ticket answer $s3 --category 2 exits 0"
is "$(state_of "$s3")" awaiting_confirmation/2/0 \
    "2: ticket $s3 awaits confirmation, category 2 shown, nothing charged"
is "$(items "$s3" answer)/$(item "$s3" answer status)/$(trows c3@customer.example "$s3")" 1/held/0 \
    "2: the answer is held, no ledger row"
is "$(items "$s3" confirm)/$(item "$s3" confirm to)/$(item "$s3" confirm status)" \
    1/c3@customer.example/queued "2: one confirm notice is queued to the customer"
s3_confirm=$(item "$s3" confirm reply_to)
like "$s3_confirm" "^support\\+$s3\\.[0-9]+-[0-9a-f]{16}@desk\\.test\$" \
    "2: its Reply-To is a confirmation address of ticket $s3"
like "$(item "$s3" confirm body)" "(^|[^0-9])10 credits" "2: ... and it asks for 10 credits"
balance_is c3@customer.example 50 "2 (before confirming)"
answer_notice "$s3" confirm 3 s3-c@customer.example "confirm"
is "$DESK_RC/$(state_of "$s3")" 0/answered/2/10 \
    "2: the customer's mailed 'confirm' to $s3_confirm: answered, category 2, 10 charged"
is "$(tdeltas c3@customer.example "$s3")/$(items_status "$s3" answer)" -10/queued \
    "2: one ledger row, -10; the held answer is released"
is "$(items "$s3" confirmed)/$(item "$s3" confirmed to)" "1/$NOTIFY" \
    "2: the engineers ([staff] notify: the operator is no engineer) hear of the confirmation"
balance_is c3@customer.example 40 "2"
# ... the same by mail, on an identical ticket of an identical customer
customer 4
request 4 s4-q@customer.example "Payment page error" \
"Hello,

the payment page says 'Invalid configuration'.

Customer 4"
s4=$T
eng "$s4" s4-a@vendor.example "#category 2

Hello,

the payment method has no currency set; set it in its settings.

Best regards"
answer_notice "$s4" confirm 4 s4-c@customer.example "confirm"
is "$(state_of "$s4")" answered/2/10 "2: by mail: ticket $s4 is answered, category 2, 10 charged"
is "$(state_of "$s3") | $(tdeltas c3@customer.example "$s3") | $(ob '[.[] | select(.ticket == $t and .to == $c) | "\(.kind):\(.status)"] | join(" ")' --argjson t "$s3" --arg c c3@customer.example)" \
    "$(state_of "$s4") | $(tdeltas c4@customer.example "$s4") | $(ob '[.[] | select(.ticket == $t and .to == $c) | "\(.kind):\(.status)"] | join(" ")' --argjson t "$s4" --arg c c4@customer.example)" \
    "2: by CLI and by mail the same end state: ticket, ledger, what the customer gets"
balance_is c4@customer.example 40 "2 (by mail)"

# ==== 3: ticket note: stored, flagged note, nothing sent ====
customer 5
request 5 s5-q@customer.example "Images are not resized" \
"Hello,

thumbnails are not generated for new products.

Customer 5"
s5=$T
s5_before=$(state_of "$s5")
s5_outbox=$(desk_ctl outbox list --json)
s5_ledger=$(desk_ctl credits show c5@customer.example --json)
op_text "Looks like GD is missing on their server; ask hosting." ticket note "$s5"
is "$OP_RC" 0 "3: deskctl ticket note $s5 exits 0"
like "$OP_OUT" "note" "3: ... and says a note was stored ('$OP_OUT')"
is "$(tk "$s5" '[.messages[]? | select(.flags == "note")] | length')" 1 \
    "3: ticket $s5 has one message flagged note"
like "$(tk "$s5" '[.messages[]? | select(.flags == "note") | .full_text // .text] | first // empty')" \
    "GD is missing on their server" "3: ... holding the note's text"
is "$(tk "$s5" '[.messages[]? | select(.flags == "note") | "\(.direction)/\(.author)"] | first // empty')" \
    in/staff "3: ... filed as the staff's"
check "3: the outbox is exactly as before (nothing sent to anyone)" \
    [ "$(desk_ctl outbox list --json)" = "$s5_outbox" ]
check "3: the ledger is exactly as before" \
    [ "$(desk_ctl credits show c5@customer.example --json)" = "$s5_ledger" ]
is "$(state_of "$s5")" "$s5_before" "3: ticket $s5's status/category/charged unchanged ($s5_before)"
# The operator gives the commands as options: TEXT is the note (or the
# answer) as it is, even when its first line starts with '#' and a letter.
op_text "#hashtags in product names break the search; see the shop's error log." \
    ticket note "$s5"
is "$OP_RC/$(tk "$s5" '[.messages[]? | select(.flags == "note")] | length')" 0/2 \
    "3: a note whose first line starts with '#hashtags' is stored as a note too${OP_ERR:+ (deskctl: $(printf '%s' "$OP_ERR" | head -c 120 | tr '\n' ' '))}"
check "3: ... and the outbox is still exactly as before" \
    [ "$(desk_ctl outbox list --json)" = "$s5_outbox" ]
balance_is c5@customer.example 50 "3"

# ==== 4: ticket close on a ticket awaiting confirmation ====
customer 6
request 6 s6-q@customer.example "Server is slow" \
"Hello,

since the move to a new server every page takes a minute.

Customer 6"
s6=$T
op_text "Hello,

the server has no opcache; switch it on in php.ini.

Best regards" ticket answer "$s6" --category 3
is "$OP_RC/$(state_of "$s6")/$(item "$s6" answer status)" 0/awaiting_confirmation/3/0/held \
    "4: category 3 by CLI: awaiting confirmation, the answer held"
s6_confirm=$(confirm_addr "$s6")
op ticket close "$s6" < /dev/null
is "$OP_RC" 0 "4: deskctl ticket close $s6 exits 0"
is "$(state_of "$s6")" closed/null/0 \
    "4: ticket $s6 is closed, the proposed category gone, nothing charged"
is "$(items_status "$s6" answer)" cancelled "4: the held answer is cancelled"
is "$(trows c6@customer.example "$s6")" 0 "4: no ledger row for ticket $s6"
answer_notice "$s6" confirm 6 s6-c@customer.example "confirm" "$s6_confirm"
diag "4: after the late confirm ticket $s6 is $(status_of "$s6")"
is "$DESK_RC/$(trows c6@customer.example "$s6")/$(charged_of "$s6")/$(items_status "$s6" answer)" \
    0/0/0/cancelled \
    "4: a later 'confirm' to the old confirmation address charges nothing, releases nothing"
balance_is c6@customer.example 50 "4"

# ==== 4b: answer --close: the answer goes, then the ticket closes ====
customer 11
request 11 s11-q1@customer.example "Logo is blurry" \
"Hello,

the shop's logo looks blurry on phones.

Customer 11"
s11a=$T
op_text "Hello,

upload the logo at twice its size; it is scaled down on screen.

Best regards" ticket answer "$s11a" --category 1 --close
is "$OP_RC/$(state_of "$s11a")/$(tdeltas c11@customer.example "$s11a")" 0/closed/1/5/-5 \
    "4b: ticket answer $s11a --category 1 --close: closed, category 1, -5"
is "$(items_status "$s11a" answer)" queued "4b: ... the answer is queued (sent before the close), not cancelled"
request 11 s11-q2@customer.example "Checkout is slow" \
"Hello,

the checkout page takes ten seconds to open.

Customer 11"
s11b=$T
op_text "Hello,

the shipping calculation calls an external service; enable its cache.

Best regards" ticket answer "$s11b" --category 2 --close
# a category 2 not agreed cannot be answered now; closing must not leave
# the answer waiting on a closed ticket. Refused (nothing changed) or
# closed with nothing left waiting would both be right.
s11b_held=$(ob '[.[] | select(.ticket == $t and .status == "held")] | length' --argjson t "$s11b")
s11b_confirm=$(ob '[.[] | select(.ticket == $t and .kind == "confirm" and .status != "cancelled")] | length' --argjson t "$s11b")
if [ "$OP_RC" -ne 0 ]; then
	is "$(state_of "$s11b")/$(items "$s11b" answer)/$(items "$s11b" confirm)" new/null/0/0/0 \
	    "4b: --category 2 --close (not agreed) refused: ticket $s11b unchanged"
else
	is "$(status_of "$s11b")/$s11b_held/$s11b_confirm" closed/0/0 \
	    "4b: --category 2 --close (not agreed): ticket $s11b closed with no answer held and no confirm notice pending"
fi
is "$(trows c11@customer.example "$s11b")/$(charged_of "$s11b")" 0/0 "4b: ... nothing charged for ticket $s11b"
# the customer writes again: the ticket reopens and is answered anew
answer_notice "$s11b" ack 11 s11-r@customer.example "It is still slow, please have a look."
like "$DESK_RC/$(status_of "$s11b")" '^0/(new|open)$' "4b: the customer's reply leaves ticket $s11b to the engineers (new if the close was refused, else reopened)"
op_text "Hello,

it was the external service: it is fixed now.

Best regards" ticket answer "$s11b" --category 1
is "$OP_RC/$(state_of "$s11b")/$(tdeltas c11@customer.example "$s11b")" 0/answered/1/5/-5 \
    "4b: ticket answer $s11b --category 1: answered, -5"
# nothing held when the ticket closed comes out with the new answer
is "$(ob '[.[] | select(.ticket == $t and .kind == "answer" and (.status == "queued" or .status == "sent")) | .body] | map(select(test("external service: it is fixed") | not)) | length' --argjson t "$s11b")" 0 \
    "4b: only the new answer goes to the customer, not the one held when the ticket closed"
balance_is c11@customer.example 40 "4b"

# ==== 5: errors: non-zero, the reason named, nothing changed ====
customer 7
request 7 s7-q@customer.example "Coupon not applied" \
"Hello,

the coupon code is accepted but the total does not change.

Customer 7"
s7=$T
# err NAME REGEX TICKET COMMAND...: run deskctl COMMAND (stdin: an answer)
# and check it fails, says REGEX, and leaves everything as it was
err() {
	local name=$1 re=$2 t=$3 before
	shift 3
	before=$(snapshot c7@customer.example "$t")
	op_text "Hello, the coupon needs a condition.

Best regards" "$@"
	check "5 ($name): deskctl $* exits non-zero (got $OP_RC)" [ "$OP_RC" -ne 0 ]
	like "$OP_ERR" "$re" "5 ($name): ... and says what was wrong"
	check "5 ($name): ... the outbox, the credits and ticket $t are as before" \
	    [ "$(snapshot c7@customer.example "$t")" = "$before" ]
}
err "category 7" '#category 7.*1, 2 or 3' "$s7" ticket category "$s7" 7
err "no category" 'no category' "$s7" ticket answer "$s7"
err "unknown ticket" 'no ticket 9999' "$s7" ticket answer 9999 --category 1
err "unregistered --as" 'mallory@vendor\.example.*(no|not a) registered engineer' "$s7" \
    ticket answer "$s7" --category 1 --as mallory@vendor.example
err "no ticket number" '"abc".*no ticket number' "$s7" ticket close abc
is "$(state_of "$s7")" new/null/0 "5: ticket $s7 is still new and unassessed"
op ticket close "$s7" < /dev/null
is "$OP_RC/$(status_of "$s7")" 0/closed "5: ticket close $s7 closes it"
err "answer on closed" 'closed' "$s7" ticket answer "$s7" --category 1
err "close on closed" 'closed' "$s7" ticket close "$s7"
err "category on closed" 'closed' "$s7" ticket category "$s7" 1 --as alice@vendor.example
is "$(trows c7@customer.example "$s7")/$(items "$s7" answer)" 0/0 \
    "5: no ledger row, no answer for ticket $s7 after all the errors"
balance_is c7@customer.example 50 "5"

# ==== 6: credits buy resumes the older ticket awaiting credits ====
customer 8 --preapprove
for i in 1 2; do
	request 8 "s8-q$i@customer.example" "Server problem $i" \
"Hello,

after the hosting change part $i of my shop is broken.

Customer 8"
	op_text "Hello,

your server's configuration was the cause; we fixed it.

Best regards" ticket answer "$T" --category 3 --as alice@vendor.example
	is "$OP_RC/$(state_of "$T")" 0/answered/3/20 \
	    "6: category 3 by CLI on pre-approved ticket $T: answered, 20 charged"
done
balance_is c8@customer.example 10 "6 (two tickets charged)"
for i in 3 4; do
	request 8 "s8-q$i@customer.example" "Server problem $i" \
"Hello,

and now part $i fails on the new server.

Customer 8"
	eval "s8_$i=\$T"
	op_text "Hello,

the cron user has no access to the var directory; fix its owner.

Best regards" ticket answer "$T" --category 3
	is "$OP_RC/$(state_of "$T")/$(item "$T" answer status)" \
	    0/awaiting_credits/3/0/held \
	    "6: category 3 with 10 credits: ticket $T awaits credits, its answer held"
	is "$(items "$T" credits)/$(item "$T" credits to)/$(trows c8@customer.example "$T")" \
	    1/c8@customer.example/0 "6: ... a credits notice to the customer, no ledger row"
done
balance_is c8@customer.example 10 "6 (two tickets waiting)"
op credits buy c8@customer.example --package 25 < /dev/null
is "$OP_RC" 0 "6: deskctl credits buy c8@customer.example --package 25 exits 0"
like "$OP_OUT" "ticket $s8_3 resumed" "6: ... and says ticket $s8_3 resumed"
check "6: ... and not ticket $s8_4" eval '! printf "%s" "$OP_OUT" | grep -q "ticket $s8_4 resumed"'
is "$(state_of "$s8_3")/$(tdeltas c8@customer.example "$s8_3")/$(items_status "$s8_3" answer)" \
    answered/3/20/-20/queued \
    "6: the older ticket $s8_3 is charged 20 in the same command, answered, its answer released"
is "$(state_of "$s8_4")/$(trows c8@customer.example "$s8_4")/$(items_status "$s8_4" answer)" \
    awaiting_credits/3/0/0/held \
    "6: the newer ticket $s8_4 (20 needed, 15 left) still awaits credits, its answer held"
balance_is c8@customer.example 15 "6 (one package)"
op credits buy c8@customer.example --package 25 < /dev/null
is "$OP_RC/$(state_of "$s8_4")/$(tdeltas c8@customer.example "$s8_4")/$(items_status "$s8_4" answer)" \
    0/answered/3/20/-20/queued "6: a second package resumes ticket $s8_4 too"
balance_is c8@customer.example 20 "6"

# ==== 7: the same sequence by mail and by CLI ends the same ====
# customer 9's ticket by mail (alice), customer 10's by CLI (--as alice)
customer 9
customer 10
for n in 9 10; do
	request "$n" "s$n-q@customer.example" "Search finds nothing" \
"Hello,

the search finds no products at all since yesterday.

Customer $n"
	eval "s$n=\$T"
done
# step NAME: compare the twins, and their messages
step() {
	is "$(twin_state "$s10" c10@customer.example)" "$(twin_state "$s9" c9@customer.example)" \
	    "7 ($1): by CLI ticket $s10 = by mail ticket $s9 (status, ledger, outbox kinds/statuses)"
}
step "the requests"
# (a) an assessment that needs confirmation, with an answer
A_TEXT="Hello,

rebuild the search index in Settings, Search.

Best regards"
eng "$s9" s9-a1@vendor.example "#category 2

$A_TEXT"
op_text "$A_TEXT" ticket answer "$s10" --category 2 --as alice@vendor.example
is "$OP_RC/$(state_of "$s10")" 0/awaiting_confirmation/2/0 "7: #category 2 by CLI: awaiting confirmation"
step "#category 2 with an answer"
# (b) both customers confirm by mail
answer_notice "$s9" confirm 9 s9-c1@customer.example "confirm"
answer_notice "$s10" confirm 10 s10-c1@customer.example "confirm"
is "$(state_of "$s10")" answered/2/10 "7: confirmed: ticket $s10 answered, 10 charged"
step "the customer's confirm"
# (c) the customers write again
for n in 9 10; do
	eval "t=\$s$n"
	answer_notice "$t" answer "$n" "s$n-r1@customer.example" \
	    "The index is rebuilt, but the search is still empty."
done
is "$(status_of "$s10")" open "7: the customer's reply reopens ticket $s10"
step "the customer's reply"
# (d) a note
N_TEXT="Probably the MySQL full-text index; check their server."
eng "$s9" s9-a2@vendor.example "#note

$N_TEXT"
op_text "$N_TEXT" ticket note "$s10" --as alice@vendor.example
is "$OP_RC" 0 "7: ticket note $s10 --as alice exits 0"
step "a note"
# (e) an answer on the assessed ticket
B_TEXT="Hello,

please send us the output of SHOW VARIABLES LIKE 'ft%' from MySQL.

Best regards"
eng "$s9" s9-a3@vendor.example "$B_TEXT"
op_text "$B_TEXT" ticket answer "$s10" --as alice@vendor.example
is "$OP_RC/$(state_of "$s10")" 0/answered/2/10 "7: an answer without a category by CLI: answered"
step "an answer alone"
# (f) a lower category: the difference refunded
eng "$s9" s9-a4@vendor.example "#category 1"
op ticket category "$s10" 1 --as alice@vendor.example < /dev/null
is "$OP_RC/$(tk "$s10" .category)/$(charged_of "$s10")" 0/1/5 "7: ticket category $s10 1: 5 refunded"
step "#category 1 (a refund)"
# (g) a higher category, not agreed: a new confirmation, the answer held
C_TEXT="Hello,

your server's MySQL lacks full-text support; this needs a deeper look.

Best regards"
eng "$s9" s9-a5@vendor.example "#category 3

$C_TEXT"
op_text "$C_TEXT" ticket answer "$s10" --category 3 --as alice@vendor.example
is "$OP_RC/$(status_of "$s10")/$(item "$s10" answer status)" 0/awaiting_confirmation/held \
    "7: #category 3 by CLI: awaiting confirmation, the answer held"
step "#category 3 with an answer"
# (h) closed while waiting
eng "$s9" s9-a6@vendor.example "#close"
op ticket close "$s10" < /dev/null
is "$OP_RC/$(state_of "$s10")" 0/closed/1/5 "7: ticket close $s10: closed, category 1 as paid for"
step "#close"
diag "by mail: $(twin_state "$s9" c9@customer.example)" "msgs: $(twin_msgs "$s9")" \
    "by CLI:  $(twin_state "$s10" c10@customer.example)"
is "$(twin_msgs "$s10")" "$(twin_msgs "$s9")" \
    "7: the two tickets hold the same messages (direction:author:flags, in order)"
is "$(tdeltas c9@customer.example "$s9")/$(tdeltas c10@customer.example "$s10")" "-10,5/-10,5" \
    "7: both ledgers: -10, then 5 back"
balance_is c9@customer.example 45 "7 (by mail)"
balance_is c10@customer.example 45 "7 (by CLI)"

# ==== all together ====
all=$(desk_ctl ticket list --json 2> /dev/null || echo '[]')
n=0 bad=
for t in $(printf '%s' "$all" | jq -r '.[].id' 2> /dev/null); do
	c=$(printf '%s' "$all" | jq -r --argjson t "$t" '.[] | select(.id == $t) | .customer' || true)
	n=$((n + 1))
	d=$(cr "$c" '[.ledger[]? | select(.ticket == $t) | .delta] | add // 0' --argjson t "$t")
	[ "$(charged_of "$t")" = "$((-${d:-0}))" ] || bad="$bad #$t"
done
check "every ticket's charged equals minus its ledger rows ($n tickets)${bad:+; not:$bad}" \
    [ "$n" -ge 15 -a -z "$bad" ]
n=0 bad=
for c in $(printf '%s' "$all" | jq -r '[.[].customer] | unique | .[]' 2> /dev/null); do
	n=$((n + 1))
	if customer_bytes "$c" | grep -qi 'alice@vendor\.example'; then
		bad="$bad $c"
	fi
done
check "no customer's mail names alice@vendor.example ($n customers)${bad:+; not:$bad}" \
    [ "$n" -ge 11 -a -z "$bad" ]

done_testing
tap_status
