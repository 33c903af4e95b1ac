#!/bin/bash
# 0140-postfix-engineers.t - an engineer answers by mail, end to end through
# a real postfix, with real mail clients (s-nail in batch mode) on both sides:
#   - Bob's request goes out as an announcement to the engineers' address
#     ([staff] notify), with the staff reply address as its Reply-To;
#   - Alice, a registered engineer, replies to the announcement from her own
#     client: "#category 2" on the first line, then her answer;
#   - category 2 is not agreed in advance: her answer is held and Bob gets
#     the confirmation notice; he replies "confirm" with s-nail;
#   - then 10 credits are charged, Bob gets the answer (signed with Alice's
#     name, never her address: not in any header or body of anything he got),
#     the ticket is answered, and Alice and the engineers hear it was
#     confirmed.
# With DESK_TRANSPORT=lmtp (0189) postfix delivers to deskgate-lmtpd.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"
. "$(dirname "$0")/../lib/postfix.sh"

pf_available || plan_skip "needs root, postfix and swaks"
command -v s-nail > /dev/null || plan_skip "needs s-nail"
command -v jq > /dev/null || plan_skip "needs jq"

tmp=$(mktemp -d)
trap 'pf_stop; [ "$tap_failed" -eq 0 ] && rm -rf "$tmp"' EXIT
BOB=bob@customer.example
ALICE=alice@vendor.example
ENGINEERS=engineers@vendor.example	# [staff] notify

# vendor.example is a virtual mailbox domain of the private postfix, with
# Maildirs for the engineers' address and Alice's own
desk_with_postfix "$tmp" "$BOB" "$ALICE" "$ENGINEERS"
printf '[staff]\nnotify = %s\n' "$ENGINEERS" >> "$DESK_CONF"
pf_deskgate_reload || { echo "Bail out! deskgate-lmtpd did not restart"; exit 1; }
desk_customer "$BOB" --name "Bob Smith"
is "$(desk_ctl staff add "$ALICE" --name "Alice Engineer")" "staff 1 added" \
    "alice is registered as an engineer"
chown -R nobody: "$tmp/desk"

ANSWER1="Open Administration -> Shipping and taxes -> Shipping methods and set"
ANSWER2="the rate area of each method to All countries again."

# the end of the log: what went wrong, for a failed run
report() {
	[ "$tap_failed" -ne 0 ] || return 0
	diag "s-nail said:"; cat "$tmp"/s-nail-*.out 2>/dev/null | sed 's/^/# /'
	diag "outbox:"; desk_ctl outbox list 2>&1 | sed 's/^/# /'
	diag "postfix log:"; tail -n 40 "$tmp/pf/maillog" | sed 's/^/# /'
	diag "deskgate log:"; sed 's/^/# /' "$tmp/desk/deskgate.log"
}

# need WHAT COMMAND...: the rest cannot run unless COMMAND succeeds
need() {
	local what=$1
	shift
	"$@" && return 0
	tap_failed=$((tap_failed + 1))
	report
	echo "Bail out! no $what: the rest cannot run"
	exit 1
}

# mail_file ADDRESS HEADER ERE: the one message file of ADDRESS's Maildir
# whose HEADER matches ERE (empty when none or several)
mail_file() {
	local f found=
	for f in $(pf_maildir_files "$1"); do
		if tr -d '\r' < "$f" | sed '/^$/q' | grep -Eqi "^$2: .*$3"; then
			[ -z "$found" ] || return 0
			found=$f
		fi
	done
	[ -z "$found" ] || echo "$found"
}

# header FILE NAME: the first NAME header's value
header() { tr -d '\r' < "$1" | sed '/^$/q' | grep -im1 "^$2:" | sed 's/^[^:]*: *//'; }

# body FILE: the body, without CRs
body() { tr -d '\r' < "$1" | sed '1,/^$/d'; }

# decoded FILE...: every header and text part of each message, decoded
decoded() {
	python3 -c '
import email, email.policy, sys
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    for part in msg.walk():
        for name, value in part.items():
            print("%s: %s" % (name, value))
        if part.get_content_maintype() == "text":
            print(part.get_content())
' "$@"
}

# has_lines TEXT LINE...: TEXT has each LINE as a line of its own
has_lines() {
	local text=$1 line
	shift
	for line; do
		grep -qxF -- "$line" <<< "$text" || return 1
	done
}

# lacks TEXT ERE: no line of TEXT matches ERE (case ignored)
lacks() { ! grep -qiE -- "$2" <<< "$1"; }

# bare ADDRESS-OR-NAME-ADDR: the address itself
bare() { sed 's/.*<\(.*\)>.*/\1/' <<< "$1"; }

# snail ADDRESS FROM SCRIPT: s-nail in batch mode on ADDRESS's Maildir, as
# FROM, sending through the private postfix
n_snail=0
snail() {
	n_snail=$((n_snail + 1))
	printf '%s\n' "$3" | HOME=$tmp MAILRC=/dev/null s-nail -# -S from="$2" \
	    -S quote=allbodies -S mta="smtp://127.0.0.1:$PF_PORT" \
	    -f "maildir://$(pf_maildir "$1")" > "$tmp/s-nail-$n_snail.out" 2>&1
}

# snail_number ADDRESS FILE: s-nail's number of that message in ADDRESS's
# Maildir, found by its Message-ID (empty unless exactly one matches).  The
# search is an anchored regex with every other character in brackets, so
# "+" or "." in the ID stand for themselves (s-nail takes a search with
# such a character for a regex, and a plain one did not match here).
snail_number() {
	local id spec nums
	id=$(header "$2" Message-ID)
	[ -n "$id" ] || return 0
	spec="^$(printf '%s' "$id" | sed 's/[^[:alnum:]@_<>-]/[&]/g')\$"
	nums=$(printf 'from @message-id@%s\n' "$spec" |
	    HOME=$tmp MAILRC=/dev/null s-nail -# -S 'headline=%m' \
	    -f "maildir://$(pf_maildir "$1")" 2> /dev/null |
	    tr -d ' ' | grep -xE '[0-9]+')
	[ "$(printf '%s' "$nums" | grep -c .)" != 1 ] || echo "$nums"
}

ticket() { desk_ctl ticket show 1 --json | jq -r "$1"; }
balance() { desk_ctl credits show "$BOB" --json | jq .balance; }

is "$(balance)" 50 "bob starts with the 50 credits of a first cs-cart license"

# --- Bob's request: the acknowledgment to him, the announcement to the engineers
desk_as_test "$(desk_sample 01-question.eml)" > "$tmp/q.eml"
pf_send_file "$BOB" support@desk.test "$tmp/q.eml"
check "the request reached deskgate" pf_wait_queue_empty 30
is "$(ticket .status)" new "ticket 1 is new"
is "$(desk_ctl outbox run 2>/dev/null)" "sent 2, deferred 0, failed 0" \
    "the outbox sends the acknowledgment and the announcement"
check "the acknowledgment is in Bob's Maildir" pf_wait_maildir "$BOB" 1 30
ack=$(pf_maildir_files "$BOB" | head -n 1)
like "$(body "$ack")" 'registered as ticket #1' "the acknowledgment names ticket 1"
customer_reply=$(bare "$(header "$ack" Reply-To)")
like "$customer_reply" '^support\+1-[0-9a-f]{16}@desk\.test$' \
    "the acknowledgment's Reply-To is the customer reply address of ticket 1"

check "the announcement is in the engineers' Maildir" pf_wait_maildir "$ENGINEERS" 1 30
need "empty queue after the outbox run" pf_wait_queue_empty 30
is "$(pf_maildir_files "$ENGINEERS" | wc -l)" 1 "one announcement"
ann=$(pf_maildir_files "$ENGINEERS" | head -n 1)
need "announcement to reply to" test -n "$ann"
staff_reply=$(bare "$(header "$ann" Reply-To)")
like "$staff_reply" '^support\+1-[0-9a-f]{16}@desk\.test$' \
    "the announcement's Reply-To is a reply address of ticket 1"
check "... the staff reply address, not the customer's" test "$staff_reply" != "$customer_reply"
like "$(header "$ann" Auto-Submitted)" '^auto-' "the announcement is Auto-Submitted"
like "$(body "$ann")" 'No shipping options available' "the announcement carries Bob's text"
is "$(pf_maildir_files "$ALICE" | wc -l)" 0 \
    "Alice is nobody's engineer yet: nothing in her own Maildir"

# --- Alice answers the announcement with s-nail.  Like 0110's Bob, she
# writes below the quoted announcement (s-nail puts the attribution line and
# the quote first): "#category 2" is the first line of her new text.
n=$(snail_number "$ENGINEERS" "$ann")
is "$n" 1 "s-nail finds the announcement as message 1 of the engineers' Maildir"
need "number of the announcement" test -n "$n"
snail "$ENGINEERS" "Alice Engineer <$ALICE>" \
    "$(printf 'reply %s\n#category 2\n\n%s\n%s\n~.\n' "$n" "$ANSWER1" "$ANSWER2")"
check "s-nail sent Alice's answer" pf_wait_queue_empty 30
staff_in=$(desk_ctl ticket show 1 --json |
    jq -c '[.messages[] | select(.direction == "in" and .author == "staff")]')
is "$(jq length <<< "$staff_in")" 1 "Alice's answer is filed in ticket 1 as staff"
is "$(jq -r '.[0].to' <<< "$staff_in")" "$staff_reply" "s-nail answered the staff reply address"
like "$(jq -r '.[0].text' <<< "$staff_in")" "^$ANSWER1\$" "the ticket keeps her answer"
is "$(ticket .status)/$(ticket .category)/$(ticket .charged)" "awaiting_confirmation/2/0" \
    "category 2, not agreed in advance: the ticket awaits Bob's confirmation, nothing charged"
is "$(balance)" 50 "Bob's balance is untouched"
is "$(desk_ctl outbox list --json | jq -r '[.[] | select(.status == "queued" or .status == "held") | "\(.kind):\(.to):\(.status)"] | sort | join(" ")')" \
    "answer:$BOB:held confirm:$BOB:queued" \
    "the answer is held, the confirmation notice queued for Bob"

# --- the confirmation notice; Bob confirms with s-nail
is "$(desk_ctl outbox run 2>/dev/null)" "sent 1, deferred 0, failed 0" \
    "the outbox sends the confirmation notice"
check "the confirmation notice is in Bob's Maildir" pf_wait_maildir "$BOB" 2 30
confirm=$(mail_file "$BOB" Reply-To '<?support\+1\.[0-9]+-[0-9a-f]+@desk\.test>?$')
check "one message in Bob's Maildir has a confirmation address as Reply-To" test -n "$confirm"
need "confirmation notice" test -n "$confirm"
like "$(header "$confirm" Subject)" '\[#1\]' "the confirmation notice's subject has the ticket tag"
like "$(header "$confirm" Auto-Submitted)" '^auto-' "the confirmation notice is Auto-Submitted"
cbody=$(body "$confirm" | tr -s ' \n' '  ')
like "$cbody" '[Cc]ategory[: ]+2([^0-9]|$)' "the notice names category 2"
like "$cbody" '(^|[^0-9])10([^0-9]|$)' "... the 10 credits to deduct"
like "$cbody" '(^|[^0-9])50([^0-9]|$)' "... and the balance of 50"
like "$cbody" '[Cc]onfirm' "... and how to confirm"
is "$(grep -lF "$ANSWER1" /dev/null $(pf_maildir_files "$BOB") | wc -l)" 0 \
    "the held answer has not reached Bob"
n=$(snail_number "$BOB" "$confirm")
is "$n" 2 "s-nail finds the confirmation notice as message 2 of Bob's Maildir"
need "number of the confirmation notice" test -n "$n"
snail "$BOB" "Bob Smith <$BOB>" "$(printf 'reply %s\nconfirm\n~.\n' "$n")"
check "s-nail sent Bob's confirmation" pf_wait_queue_empty 30
is "$(desk_ctl ticket show 1 --json | jq '[.messages[] | select(.author == "customer" and ((.to // "") | test("^support\\+1\\.[0-9]+-")))] | length')" 1 \
    "Bob's confirmation is filed in ticket 1, sent to the confirmation address"
is "$(ticket .status)/$(ticket .charged)" "answered/10" "confirmed: the ticket is answered, 10 credits charged"
credits=$(desk_ctl credits show "$BOB" --json)
is "$(jq .balance <<< "$credits")" 40 "Bob's balance is 40 (10 gone)"
is "$(jq -c '[.ledger[] | select(.ticket == 1) | {delta, reason, ticket}]' <<< "$credits")" \
    '[{"delta":-10,"reason":"category 2","ticket":1}]' "one ledger row for ticket 1: -10, category 2"

# --- the released answer to Bob; the engineers hear it was confirmed
queued=$(desk_ctl outbox list --json | jq '[.[] | select(.status == "queued")] | length')
is "$(desk_ctl outbox list --json | jq -r '[.[] | select(.status == "queued") | "\(.kind):\(.to)"] | sort | join(" ")')" \
    "answer:$BOB confirmed:$ALICE confirmed:$ENGINEERS" \
    "queued: the answer to Bob, 'confirmed' to Alice and the engineers"
is "$(desk_ctl outbox run 2>/dev/null)" "sent $queued, deferred 0, failed 0" "the outbox sends them"
check "the answer is in Bob's Maildir" pf_wait_maildir "$BOB" 3 30
check "the queue is empty" pf_wait_queue_empty 30
answers=$(grep -lF "$ANSWER1" /dev/null $(pf_maildir_files "$BOB"))
is "$(printf '%s' "$answers" | grep -c .)" 1 "one message in Bob's Maildir carries the answer"
answer=$(printf '%s\n' "$answers" | head -n 1)
need "answer in Bob's Maildir" test -n "$answer"
abody=$(body "$answer")
check "the answer has Alice's paragraph" has_lines "$abody" "$ANSWER1" "$ANSWER2"
like "$abody" 'Alice Engineer' "the answer is signed with Alice's name"
check "the command line is not in the answer" lacks "$abody" '#category'
like "$(header "$answer" From)" '^(.*<)?support@desk\.test>?$' "the answer comes from the desk address"
is "$(bare "$(header "$answer" Reply-To)")" "$customer_reply" "its Reply-To is the customer reply address"
like "$(header "$answer" Subject)" '\[#1\]' "its subject has the ticket tag"
bob_ids=$(desk_ctl ticket show 1 --json |
    jq -r '.messages[] | select(.author == "customer") | "<\(.message_id)>"')
check "it is In-Reply-To a message of Bob's" \
    grep -qxF -- "$(header "$answer" In-Reply-To)" <<< "$bob_ids"
is "$(header "$answer" Auto-Submitted)" "" "the answer is not Auto-Submitted: a person wrote it"

bob_files=$(pf_maildir_files "$BOB")
is "$(grep -c . <<< "$bob_files")" 3 "Bob got three messages: acknowledgment, confirmation notice, answer"
n_bob=$(grep -c . <<< "$bob_files")
is "$( ((n_bob > 0)) && grep -liF "$ALICE" /dev/null $bob_files | wc -l)" 0 \
    "Alice's address is in none of them, header or body ($n_bob files searched)"
# ... nor hidden by a transfer encoding (base64, quoted-printable, RFC 2047)
if command -v python3 > /dev/null; then
	is "$( ((n_bob > 0)) && decoded $bob_files | grep -ciF "$ALICE")" 0 \
	    "... nor in their decoded headers and text parts"
else
	skip "decoded headers and text parts: needs python3"
fi
is "$(ticket .status)" answered "the ticket stays answered"

check "Alice got the 'confirmed' notice" pf_wait_maildir "$ALICE" 1 30
check "the engineers got it too" pf_wait_maildir "$ENGINEERS" 2 30
for who in "$ALICE" "$ENGINEERS"; do
	f=$(pf_maildir_files "$who" | tail -n 1)
	got=$([ -n "$f" ] && tr -d '\r' < "$f")
	like "$got" '#1([^0-9]|$)' "the 'confirmed' notice to $who names ticket 1"
	like "$got" '[Cc]onfirm' "... and says Bob confirmed"
done
is "$(desk_ctl outbox list --json | jq -r '[.[].status] | unique | join(",")')" sent \
    "every notice is sent"

report
done_testing
tap_status
