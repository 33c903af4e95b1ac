#!/bin/bash
# 0150-load.t - the whole mission mixed, under load and under kills,
# through the real deskgate as postfix's pipe(8) runs it (issue 11, 1).
#
# DESK_LOAD_N messages (default 200; "make check-load" runs 2000) are
# piped into deskgate, DESK_LOAD_P (20) at a time, in four waves; each
# wave is made from what the store says after the one before (the reply,
# staff and confirmation addresses are read from "deskctl outbox list
# --json"):
#   1  new tickets from many customers;
#   2  the engineers' answers (#category 1/2/3, #security, a bad
#      command) to the staff reply addresses, customers' replies by token;
#   3  confirmations and declines to the confirmation addresses,
#      customers' replies to answered tickets, engineers' #close and late
#      answers, a category 3 that the balance does not cover;
#   4  "deskctl credits buy" for half of the customers left waiting for
#      credits, while wave 4's mail goes in.
# Every wave also carries auto-replies (to the intake and into tickets),
# bounces (of an acknowledgment, or of nothing we sent), strangers,
# forgers on the staff reply address, and mail to the guarded addresses
# (passed on by a sendmail stand-in that appends to a file, or refused
# with 77 for a license owner).
#
# Some tickets get two messages at once on purpose: an answer and the
# customer's reply, two engineers' #category 1, the same confirmation
# twice, a confirmation and #close, a confirmation and a new #category 3,
# three confirmations for more than the balance, a purchase and a reply.
#
# Postfix's side is played by the test: a delivery that exits 75 or dies
# of a signal is delivered again in the next round, until it exits 0 (or
# the 77 a guarded owner gets); some stored mail is delivered a second
# time on purpose. [store] busy_timeout is DESK_LOAD_BUSY (250 ms), so
# that some deliveries defer under contention. Meanwhile deliveries die:
# with fault injection (desk_has_faults) a share of them gets
# DESKGATE_FAULT at a random point (the credit paths' points for the mail
# that takes them), and a killer SIGKILLs random running deskgate
# processes (by the pids this test started, checked in /proc first).
#
# The test keeps its own model of every ticket, fed only by the messages
# that finally exited 0, and compares it with the store at the end:
# status, category, charge and answers of each ticket (for a race, either
# order's end state), balances, the ledger. DESK_LOAD_SEED makes the mix
# (not the timing) repeatable; the seed is printed.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

N=${DESK_LOAD_N:-200}
P=${DESK_LOAD_P:-20}
# a short lock wait, so that some deliveries defer (75) under contention
BUSY=${DESK_LOAD_BUSY:-250}
SEED=${DESK_LOAD_SEED:-$((($$ * 7919 + $(date +%s)) % 32768))}
RANDOM=$SEED
T0=$(date +%s%N)

command -v flock > /dev/null || plan_skip "flock(1) is needed for the sendmail stand-in"
[ "$N" -ge 50 ] || plan_skip "DESK_LOAD_N=$N: at least 50 messages make a mix"

tmp=$(mktemp -d)
killer=
cleanup() {
	[ -z "$killer" ] || { kill "$killer" 2> /dev/null; wait "$killer" 2> /dev/null; } || true
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/run" "$tmp/mail" "$tmp/spool"

if desk_has_faults; then
	FAULTS=1
	# every write point of the intake, and those of the credit paths for
	# the mail that takes them (engineers', confirmations, declines)
	points=(before-begin after-ticket after-message-row after-outbox
	    before-commit after-commit)
	credit_points=(after-message-row after-change after-ledger after-outbox
	    before-commit after-commit)
else
	FAULTS=0
	points=() credit_points=()
fi

NOTIFY=engineers@vendor.example
cat > "$tmp/sendmail" <<SH
#!/bin/sh
# [guard] sendmail -i -f SENDER -- MAILBOX: append to one file, one at a time
exec 9>> "$tmp/guard.lock"
flock -x 9
{ printf 'From %s %s\n' "\${3:-<>}" "\$5"; cat; echo; } >> "$tmp/guard.mbox"
SH
chmod +x "$tmp/sendmail"
desk_setup "$tmp/desk" "[staff]" "notify = $NOTIFY" "[guard]" \
    "addresses = sales@vendor.example;eng1@vendor.example" \
    "pass_to = sales@vendor.example=sales@mbox.vendor.example;eng1@vendor.example=eng1@mbox.vendor.example" \
    "sendmail = $tmp/sendmail" "action = reject" \
    "[store]" "path = $tmp/desk/desk.db" "busy_timeout = $BUSY"
: > "$tmp/guard.mbox"

# ---- the mix: tickets, customers, engineers ----

words=(zero one two three four five six seven eight nine)
# spell K: the digits of K as words ("four two"), so that no two subjects
# or texts have the same letters (the loop fingerprint ignores digits)
spell() {
	local k=$1 out="" i
	for ((i = 0; i < ${#k}; i++)); do out="$out${out:+ }${words[${k:i:1}]}"; done
	echo "$out"
}
cost() { case $1 in 1) echo 5;; 2) echo 10;; 3) echo 20;; *) echo 0;; esac; }

T=$((N * 30 / 100))		# tickets: about 2.7 messages each
declare -A cust_of pre_of credits0 scen w3 subj tid staff_addr cust_addr \
    ack_mid ann_mid confirm_addr confirm_mid
customers=()
poor=()
k=0 c=0 rushes=0
while [ "$k" -lt "$T" ]; do
	c=$((c + 1))
	cu=c$c@customer.example
	customers+=("$cu")
	r=$((RANDOM % 10))
	if [ "$r" -eq 0 ] && [ $((k + 3)) -le "$T" ]; then
		# poor soon: agreed in advance, two category 3 tickets leave
		# 10 credits, and the third (wave 3) waits for credits
		pre_of[$cu]=1 credits0[$cu]=50
		poor+=("$cu")
		k=$((k + 1)); cust_of[$k]=$cu scen[$k]=cat3 w3[$k]=none
		k=$((k + 1)); cust_of[$k]=$cu scen[$k]=cat3 w3[$k]=reply
		k=$((k + 1)); cust_of[$k]=$cu scen[$k]=short w3[$k]=none
		continue
	fi
	if [ "$r" -eq 1 ] && [ $((k + 4)) -le "$T" ]; then
		# a rush: category 1 paid (45 left), then three confirmations
		# of category 3 at once (wave 3): two are charged, one waits
		pre_of[$cu]=0 credits0[$cu]=50 rushes=$((rushes + 1))
		k=$((k + 1)); cust_of[$k]=$cu scen[$k]=cat1 w3[$k]=none
		for j in 1 2 3; do
			k=$((k + 1)); cust_of[$k]=$cu scen[$k]=cat3 w3[$k]=rush
		done
		continue
	fi
	pre_of[$cu]=$((r <= 4 ? 1 : 0)) credits0[$cu]=50
	budget=50
	for ((j = 1 + RANDOM % 3; j > 0 && k < T; j--)); do
		k=$((k + 1)); cust_of[$k]=$cu
		r=$((RANDOM % 100))
		if [ "$r" -lt 16 ]; then s=cat1
		elif [ "$r" -lt 36 ]; then s=cat2
		elif [ "$r" -lt 54 ]; then s=cat3
		elif [ "$r" -lt 61 ]; then s=sec
		elif [ "$r" -lt 73 ]; then s=late
		elif [ "$r" -lt 82 ]; then s=err
		elif [ "$r" -lt 91 ]; then s=race_reply	# answer and reply at once
		else s=twoeng				# two engineers at once
		fi
		r=$((RANDOM % 20))
		case $s in
		cat1) w3[$k]=$( ((r < 8)) && echo reply || { ((r < 14)) && echo close || echo none; });;
		cat2|cat3)
			if [ "${pre_of[$cu]}" = 1 ]; then
				w3[$k]=$( ((r < 10)) && echo reply || echo none)
			else
				case $r in
				0|1|2|3|4|5) w3[$k]=confirm;;
				6|7|8) w3[$k]=confirm2;;	# twice, at once
				9|10|11) w3[$k]=decline;;
				12|13|14) w3[$k]=close_race;;	# confirm and #close at once
				15|16|17) w3[$k]=$([ "$s" = cat2 ] && echo reassess || echo confirm);;
				*) w3[$k]=none;;
				esac
			fi;;
		sec) w3[$k]=$( ((r < 10)) && echo reply || echo none);;
		*) w3[$k]=none;;
		esac
		# the customer's tickets never cost more than the balance
		case $s/${w3[$k]} in
		*/reassess|cat3/*) need=20;; cat2/*) need=10;; cat1/*|late/*|race_reply/*|twoeng/*) need=5;;
		*) need=0;;
		esac
		if [ "$need" -gt "$budget" ]; then s=sec need=0 w3[$k]=none; fi
		budget=$((budget - need))
		scen[$k]=$s
	done
done
C=${#customers[@]}
E=$((T / 8 + 2))		# engineers: each writes well under loop_limit
for ((e = 1; e <= E; e++)); do
	desk_ctl staff add "eng$e@vendor.example" --name "Engineer $e" > /dev/null
done
for cu in "${customers[@]}"; do
	desk_ctl customer add "$cu" --name "Customer ${cu%%@*}" \
	    $([ "${pre_of[$cu]}" = 1 ] && echo --preapprove) > /dev/null
	desk_ctl license add "$cu" --product cs-cart --kind first > /dev/null
done

# ---- writing mail ----

declare -A m_wave m_type m_key m_expect m_file m_sender m_rcpt
mids=()
QUOTE_HEADER="On Thu, 26 Nov 2026 at 10:00, Help Desk <support@desk.test> wrote:"

# mail WAVE TYPE KEY EXPECT MID FROM ENVELOPE TO SUBJECT [HEADER...] < BODY
mail() {
	local wave=$1 type=$2 key=$3 expect=$4 mid=$5 from=$6 env=$7 to=$8 subject=$9 h
	local f=$tmp/mail/$mid.eml
	shift 9
	{
		echo "From: $from"
		echo "To: $to"
		echo "Subject: $subject"
		echo "Date: Thu, 26 Nov 2026 10:00:00 +0000"
		echo "Message-ID: <$mid>"
		for h in "$@"; do echo "$h"; done
		echo "MIME-Version: 1.0"
		case "$*" in
		*Content-Type:*) ;;
		*) echo "Content-Type: text/plain; charset=utf-8";;
		esac
		echo
		cat
	} > "$f"
	m_wave[$mid]=$wave m_type[$mid]=$type m_key[$mid]=$key m_expect[$mid]=$expect
	m_file[$mid]=$f m_sender[$mid]=${env:-<>} m_rcpt[$mid]=$to
	mids+=("$mid")
	echo "$mid" >> "$tmp/wave$wave"
}
# reply body: NEW, then the quote of what it answers
quoted() { printf '%s\n\n%s\n> %s\n' "$1" "$QUOTE_HEADER" "$2"; }

request() {	# W1: ticket K's request
	local k=$1 cu=${cust_of[$1]} sp
	sp=$(spell "$k")
	subj[$k]="The shop fails at step $sp"
	mail 1 open "$k" 0 "ld1-t$k@customer.example" "Customer ${cu%%@*} <$cu>" "$cu" \
	    support@desk.test "${subj[$k]}" <<EOF
Hello,

since yesterday my shop fails at step $sp of the checkout: the page
stays blank and the order is not created. What can I do?

Customer ${cu%%@*}
EOF
}
eng_mail() {	# WAVE K TYPE COMMANDS: an engineer's reply to ticket K's announcement
	local w=$1 k=$2 type=$3 cmd=$4 e=$((($2 + ${E2:-0}) % E + 1)) tag=${E2:+f} text
	text="$cmd

Hello,

about step $(spell "$k"): clear the cache and check the payment settings.

Best regards"
	[ "$type" != eng_close ] || text=$cmd
	quoted "$text" "The shop fails at step $(spell "$k")" |
	    mail "$w" "$type" "$k" 0 "ld$w-${tag:-e}$k@vendor.example" "Engineer $e <eng$e@vendor.example>" \
	    "eng$e@vendor.example" "${staff_addr[$k]:-support+${tid[$k]:-0}-0000000000000000@desk.test}" \
	    "Re: [#${tid[$k]:-0}] ${subj[$k]}" "In-Reply-To: <${ann_mid[$k]:-none@desk.test}>"
}
cust_reply() {	# WAVE K: the customer writes again to the reply address
	local w=$1 k=$2 cu=${cust_of[$2]}
	quoted "Thank you. One more detail about step $(spell "$k"): it fails only for guests." \
	    "${subj[$k]}" |
	    mail "$w" reply "$k" 0 "ld$w-r$k@customer.example" "Customer ${cu%%@*} <$cu>" "$cu" \
	    "${cust_addr[$k]:-support+${tid[$k]:-0}-0000000000000000@desk.test}" \
	    "Re: [#${tid[$k]:-0}] ${subj[$k]}" "In-Reply-To: <${ack_mid[$k]:-none@desk.test}>"
}
decide() {	# WAVE K TYPE WORD [N]: to ticket K's confirmation address
	local w=$1 k=$2 type=$3 word=$4 n=${5:-} cu=${cust_of[$2]}
	quoted "$word

Customer ${cu%%@*}" "Please confirm" |
	    mail "$w" "$type" "$k" 0 "ld$w-c$k$n@customer.example" "Customer ${cu%%@*} <$cu>" "$cu" \
	    "${confirm_addr[$k]:-support+${tid[$k]:-0}.0-0000000000000000@desk.test}" \
	    "Re: [#${tid[$k]:-0}] Please confirm" "In-Reply-To: <${confirm_mid[$k]:-none@desk.test}>"
}

# robots, strangers, forgers and guarded-address mail: I is a serial
extra() {
	local w=$1 i=$2 r=$((RANDOM % 100)) k cu sp
	sp=$(spell "$i")
	k=$((1 + RANDOM % T)) cu=${cust_of[$k]}
	# before wave 2 no ticket has addresses to write to
	[ "$w" -gt 1 ] || [ "$r" -ge 30 ] || r=$((r + 30))
	if [ "$r" -lt 10 ]; then	# a customer's auto-reply into a ticket
		mail "$w" robot_ticket "$k" 0 "ld$w-x$i@customer.example" "Customer ${cu%%@*} <$cu>" "$cu" \
		    "${cust_addr[$k]:-support@desk.test}" "Out of office: Re: [#${tid[$k]:-0}] ${subj[$k]}" \
		    "Auto-Submitted: auto-replied" <<< "I am away until Monday, mail $sp."
	elif [ "$r" -lt 20 ]; then	# a bounce of ticket K's acknowledgment
		mail "$w" bounce_ack "$k" 0 "ld$w-x$i@mx.customer.example" \
		    "Mail Delivery System <MAILER-DAEMON@mx.customer.example>" "" support@desk.test \
		    "Undelivered Mail Returned to Sender" \
		    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b$i\"" <<EOF
--b$i
Content-Type: text/plain

The mail could not be delivered ($sp).

--b$i
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example

Final-Recipient: rfc822; $cu
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--b$i
Content-Type: text/rfc822-headers

From: support@desk.test
To: $cu
Message-ID: <${ack_mid[$k]:-none@desk.test}>
Subject: [#${tid[$k]:-0}] ${subj[$k]}

--b$i--
EOF
	elif [ "$r" -lt 30 ]; then	# a forger on the staff reply address
		quoted "#category 1

Answered, $sp." "x" |
		    mail "$w" forger "$k" 0 "ld$w-x$i@evil.example" "Mallory $i <m$i@evil.example>" \
		    "m$i@evil.example" "${staff_addr[$k]:-support@desk.test}" "Re: [#${tid[$k]:-0}] ${subj[$k]}"
	elif [ "$r" -lt 45 ]; then	# a robot to the intake address
		mail "$w" robot_intake - 0 "ld$w-x$i@robot.example" "Robot $i <robot$i@robot.example>" \
		    "robot$i@robot.example" support@desk.test "Automatic reply: $sp" \
		    "Auto-Submitted: auto-generated" "Precedence: bulk" <<< "This is an automatic message ($sp)."
	elif [ "$r" -lt 55 ]; then	# a bounce of nothing we sent
		mail "$w" bounce_none - 0 "ld$w-x$i@mx.other.example" \
		    "Mail Delivery System <MAILER-DAEMON@mx.other.example>" "" support@desk.test \
		    "Undelivered Mail Returned to Sender" "Auto-Submitted: auto-replied" <<< \
		    "Your message to nobody@other.example ($sp) could not be delivered."
	elif [ "$r" -lt 72 ]; then	# a stranger asks
		mail "$w" stranger - 0 "ld$w-x$i@elsewhere.example" "Visitor $i <v$i@elsewhere.example>" \
		    "v$i@elsewhere.example" support@desk.test "Do you sell licenses, $sp?" <<< \
		    "Hello, how much is a license ($sp)?"
	elif [ "$r" -lt 90 ]; then	# a prospect to a guarded address: passed on
		mail "$w" guard_pass - 0 "ld$w-x$i@prospect.example" "Pat $i <p$i@prospect.example>" \
		    "p$i@prospect.example" "$( ((r % 2)) && echo sales || echo eng1)@vendor.example" \
		    "Prices, $sp" <<< "Hello, a price question ($sp)."
	else				# a license owner to a guarded address: 77
		mail "$w" guard_owner "$k" 77 "ld$w-x$i@customer.example" "Customer ${cu%%@*} <$cu>" "$cu" \
		    sales@vendor.example "Quick question, $sp" <<< "Hello sales, a question ($sp)."
	fi
}

# ---- delivering as postfix does ----

# one delivery: ID SENDER RCPT FAULT ROUND (FAULT "-": none)
cat > "$tmp/deliver" <<SH
#!/bin/bash
exec 2> /dev/null	# no "Killed" job notices: the log line says it
mid=\$1 sender=\$2 rcpt=\$3 fault=\$4 round=\$5
[ "\$sender" != "<>" ] || sender=
[ "\$fault" != - ] || fault=
TMPDIR="$tmp/spool" DESKGATE_FAULT=\$fault "$DESKGATE" -c "$DESK_CONF" -f "\$sender" -- "\$rcpt" \
    < "$tmp/mail/\$mid.eml" > /dev/null 2>&1 &
pid=\$!
: > "$tmp/run/\$pid"
wait \$pid 2> /dev/null
rc=\$?
rm -f "$tmp/run/\$pid"
echo "\$mid \$round \$rc \$pid \${fault:--}" >> "$tmp/deliveries"
SH
chmod +x "$tmp/deliver"
: > "$tmp/deliveries"
: > "$tmp/killed"

# the killer: SIGKILL a random running deskgate of ours now and then
kill_loop() {
	local pids p
	while :; do
		sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
		pids=("$tmp"/run/*)
		[ -e "${pids[0]}" ] || continue
		p=${pids[RANDOM % ${#pids[@]}]##*/}
		# still ours and still deskgate (never a reused pid)
		[ "$(cat "/proc/$p/comm" 2> /dev/null)" = deskgate ] || continue
		kill -9 "$p" 2> /dev/null && echo "$p" >> "$tmp/killed"
	done
}

declare -A last_rc attempts
# deliver WAVE: every message of the wave, in rounds, until each ends
deliver() {
	local w=$1 round=1 list fault mid next
	list=$tmp/wave$w.r1
	cp "$tmp/wave$w" "$list"
	while [ -s "$list" ] && [ "$round" -le 30 ]; do
		while read -r mid; do
			fault=-
			# faults and kills in the first rounds; later ones converge
			if [ "$FAULTS" = 1 ] && [ "$round" -le 3 ] && [ $((RANDOM % 100)) -lt 12 ]; then
				case ${m_type[$mid]} in
				eng_*|confirm|decline)
					fault=${credit_points[RANDOM % ${#credit_points[@]}]};;
				*)	fault=${points[RANDOM % ${#points[@]}]};;
				esac
			fi
			echo "$mid ${m_sender[$mid]} ${m_rcpt[$mid]} $fault $w.$round"
		done < "$list" > "$list.jobs"
		if [ "$round" -le 2 ]; then
			kill_loop & killer=$!
		fi
		xargs -P "$P" -L 1 "$tmp/deliver" < "$list.jobs"
		if [ -n "$killer" ]; then
			kill "$killer" 2> /dev/null || true
			wait "$killer" 2> /dev/null || true
			killer=
		fi
		while read -r mid r rc pid f; do
			last_rc[$mid]=$rc
			attempts[$mid]=$((${attempts[$mid]:-0} + 1))
		done < <(grep " $w\\.$round " "$tmp/deliveries")
		round=$((round + 1))
		next=$tmp/wave$w.r$round
		: > "$next"
		while read -r mid; do
			case ${last_rc[$mid]:-137} in
			75|13[0-9]|1[4-9][0-9]) echo "$mid" >> "$next";;
			esac
		done < "$list"
		if [ "$round" = 2 ]; then
			# postfix delivers twice now and then: some stored mail again
			while read -r mid; do
				case ${m_type[$mid]} in guard_*) continue;; esac
				if [ "${last_rc[$mid]}" = 0 ] && [ $((RANDOM % 100)) -lt 5 ]; then
					echo "$mid" >> "$next"
					echo "$mid" >> "$tmp/dups"
				fi
			done < "$list"
		fi
		list=$next
	done
}

# tickets and addresses from the store, for the next wave
read_outbox() {
	local t kind rt mid k
	declare -gA by_subject=()
	while IFS=$'\t' read -r t s; do by_subject[$s]=$t; done < <(desk_ctl ticket list --json |
	    jq -r '.[] | [.id, .subject] | @tsv')
	for ((k = 1; k <= T; k++)); do tid[$k]=${by_subject[${subj[$k]}]:-0}; done
	declare -gA tkey=()
	for ((k = 1; k <= T; k++)); do tkey[${tid[$k]}]=$k; done
	while IFS=$'\t' read -r t kind rt mid; do
		k=${tkey[$t]:-}
		[ -n "$k" ] || continue
		case $kind in
		announce) [ -n "${staff_addr[$k]:-}" ] || { staff_addr[$k]=$rt; ann_mid[$k]=$mid; };;
		ack) cust_addr[$k]=$rt ack_mid[$k]=$mid;;
		confirm) confirm_addr[$k]=$rt confirm_mid[$k]=$mid;;
		esac
	done < <(desk_ctl outbox list --json |
	    jq -r '.[] | select(.ticket != null) | [.ticket, .kind, .reply_to // "", .message_id] | @tsv')
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
x=0

# expected messages per ticket, to size the extras to N in all
per_ticket=0
for ((k = 1; k <= T; k++)); do
	case ${scen[$k]} in
	late|err|short|race_reply|twoeng) per_ticket=$((per_ticket + 3));;
	*) per_ticket=$((per_ticket + 2));;
	esac
	case ${w3[$k]} in
	none) ;;
	confirm2|close_race|reassess) per_ticket=$((per_ticket + 2));;
	*) per_ticket=$((per_ticket + 1));;
	esac
done
# wave 4: a reply to each bought-for ticket, racing the purchase
bought=()
for ((i = 0; i < ${#poor[@]}; i += 2)); do bought+=("${poor[i]}"); done
per_ticket=$((per_ticket + ${#bought[@]}))
EXTRA=$((N - per_ticket))
[ "$EXTRA" -ge 4 ] || { echo "Bail out! N=$N leaves no room for robots ($per_ticket ticket messages)"; exit 1; }
extra_wave() { local w=$1 n=$((EXTRA / 4)) i; [ "$w" != 4 ] || n=$((EXTRA - 3 * (EXTRA / 4)));
	for ((i = 0; i < n; i++)); do x=$((x + 1)); extra "$w" "$x"; done; }

declare -A wave_ms
# wave 1: the requests
for ((k = 1; k <= T; k++)); do request "$k"; done
extra_wave 1
t=$(now_ms); deliver 1; wave_ms[1]=$(($(now_ms) - t))
read_outbox

# wave 2: the engineers answer; some customers write again first
for ((k = 1; k <= T; k++)); do
	case ${scen[$k]} in
	cat1) eng_mail 2 "$k" eng_cat1 "#category 1";;
	cat2) eng_mail 2 "$k" eng_cat2 "#category 2";;
	cat3) eng_mail 2 "$k" eng_cat3 "#category 3";;
	sec) eng_mail 2 "$k" eng_sec "#security";;
	err) eng_mail 2 "$k" eng_err "#frobnicate";;
	late|short) cust_reply 2 "$k";;
	race_reply) eng_mail 2 "$k" eng_cat1 "#category 1"; cust_reply 2 "$k";;
	twoeng) eng_mail 2 "$k" eng_cat1 "#category 1"
		E2=1 eng_mail 2 "$k" eng_cat1 "#category 1";;
	esac
done
extra_wave 2
t=$(now_ms); deliver 2; wave_ms[2]=$(($(now_ms) - t))
read_outbox

# wave 3: confirmations, declines, replies, late answers, closes
for ((k = 1; k <= T; k++)); do
	case ${scen[$k]} in
	late) eng_mail 3 "$k" eng_cat1 "#category 1";;
	short) eng_mail 3 "$k" eng_cat3 "#category 3";;
	err) cust_reply 3 "$k";;
	esac
	case ${w3[$k]} in
	reply) cust_reply 3 "$k";;
	close) eng_mail 3 "$k" eng_close "#close";;
	confirm) decide 3 "$k" confirm "$( ((k % 3)) && echo confirm || echo подтверждаю)";;
	confirm2) decide 3 "$k" confirm confirm a; decide 3 "$k" confirm "I confirm" b;;
	rush) decide 3 "$k" confirm "Confirmed";;
	decline) decide 3 "$k" decline "$( ((k % 3)) && echo decline || echo отказываюсь)";;
	close_race) decide 3 "$k" confirm confirm; eng_mail 3 "$k" eng_close "#close";;
	reassess) decide 3 "$k" confirm confirm; eng_mail 3 "$k" eng_cat3 "#category 3";;
	esac
done
extra_wave 3
t=$(now_ms); deliver 3; wave_ms[3]=$(($(now_ms) - t))
read_outbox

# wave 4: the operator sells credits to half of the poor while their
# waiting tickets get a reply, and other mail goes on
for cu in "${bought[@]}"; do
	for ((k = 1; k <= T; k++)); do
		[ "${cust_of[$k]}" != "$cu" ] || [ "${scen[$k]}" != short ] || cust_reply 4 "$k"
	done
done
extra_wave 4
t=$(now_ms)
(
	# as an operator would: a purchase refused for a locked store (no
	# package in the ledger) is made again
	packages() {
		desk_ctl credits show "$1" --json |
		    jq '[.ledger[] | select(.reason | startswith("package"))] | length'
	}
	for cu in "${bought[@]}"; do
		n0=$(packages "$cu")
		for i in 1 2 3 4 5 6 7 8 9 10; do
			desk_ctl credits buy "$cu" --package 25 > /dev/null 2>> "$tmp/buy.err" && break
			[ "$(packages "$cu")" = "$n0" ] || break
			echo "$cu" >> "$tmp/buy.retried"
		done
		[ "$(packages "$cu")" = $((n0 + 1)) ] || echo "$cu" >> "$tmp/buy.failed"
	done
) &
buyer=$!
deliver 4
wait "$buyer"
wave_ms[4]=$(($(now_ms) - t))

# ---- the model: what the mail that got in implies ----
#
# For each ticket: status, category, charge, and its answers in the
# outbox (their statuses, oldest first); for each customer the balance.
# Within a wave at most one message decides a ticket, except the races:
# there both orders are right, so the model takes the messages in the
# order they were written and keeps the end state of the other order in
# alt[] (and what that order leaves in the balance in alt_bal[]).

declare -A st cat ch bal answer confirm_n alt alt_bal
for cu in "${customers[@]}"; do bal[$cu]=${credits0[$cu]}; done
# ok MID: the message's last delivery ended as it should
ok() { [ "${last_rc[$1]:-x}" = "${m_expect[$1]}" ]; }
outcome() { echo "${st[$1]}/${cat[$1]}/${ch[$1]}/${answer[$1]}"; }
add_answer() { answer[$1]=${answer[$1]:+${answer[$1]},}$2; }
charge() {	# K CATEGORY: charged what the category costs, the difference
	local k=$1 cu=${cust_of[$1]} n
	n=$(cost "$2")
	bal[$cu]=$((${bal[$cu]} - n + ${ch[$k]})) ch[$k]=$n cat[$k]=$2
}
release() { answer[$1]=${answer[$1]//held/queued}; }
drop() { answer[$1]=${answer[$1]//held/cancelled}; }
apply() {	# MID
	local mid=$1 k=${m_key[$1]} type=${m_type[$1]} w=${m_wave[$1]} cu K
	[ "$k" != - ] || return 0
	cu=${cust_of[$k]}
	[ "$type" = open ] || [ -n "${st[$k]:-}" ] || return 0
	case $type in
	open) st[$k]=new cat[$k]=0 ch[$k]=0 answer[$k]= confirm_n[$k]=0;;
	eng_cat?)
		K=${type#eng_cat}
		case ${st[$k]}/${cat[$k]} in
		new/*)
			if [ "$K" = 1 ] || [ "${pre_of[$cu]}" = 1 ]; then
				if [ "${bal[$cu]}" -ge "$(cost "$K")" ]; then
					charge "$k" "$K"; st[$k]=answered; add_answer "$k" queued
				else
					st[$k]=awaiting_credits cat[$k]=$K; add_answer "$k" held
				fi
			else
				st[$k]=awaiting_confirmation cat[$k]=$K; add_answer "$k" held
				confirm_n[$k]=$((${confirm_n[$k]} + 1))
			fi;;
		answered/1)	# twoeng: the second #category 1 costs nothing more
			[ "$K" != 1 ] || add_answer "$k" queued;;
		answered/2)	# reassess after the confirmation: the rise is asked
			[ "$K" = 3 ] || return 0
			# (the other order: category 3 first, the confirmation stale)
			alt[$k]="awaiting_confirmation/3/0/held,held" alt_bal[$k]=${ch[$k]}
			st[$k]=awaiting_confirmation cat[$k]=3; add_answer "$k" held
			confirm_n[$k]=$((${confirm_n[$k]} + 1));;
		esac;;
	eng_sec) [ "${st[$k]}" != new ] || { st[$k]=answered; add_answer "$k" queued; };;
	eng_close)
		case ${st[$k]} in
		answered)
			# close_race, the other order: closed before the confirmation
			[ "${w3[$k]}" != close_race ] ||
			    alt[$k]="closed/0/0/${answer[$k]//queued/cancelled}" alt_bal[$k]=${ch[$k]}
			st[$k]=closed;;
		awaiting_*) st[$k]=closed cat[$k]=0; drop "$k";;
		new|open) st[$k]=closed;;
		esac;;
	confirm)
		[ "${st[$k]}" = awaiting_confirmation ] || return 0
		if [ "${bal[$cu]}" -ge $(($(cost "${cat[$k]}") - ${ch[$k]})) ]; then
			# a rush, the other order: this one came last and waits
			[ "${w3[$k]}" != rush ] ||
			    alt[$k]="awaiting_credits/${cat[$k]}/${ch[$k]}/${answer[$k]}" \
			    alt_bal[$k]=$(($(cost "${cat[$k]}") - ${ch[$k]}))
			charge "$k" "${cat[$k]}"; st[$k]=answered; release "$k"
		else
			st[$k]=awaiting_credits
			# a rush, the other order: this one came first, is paid
			[ "${w3[$k]}" != rush ] ||
			    alt[$k]="answered/${cat[$k]}/$(cost "${cat[$k]}")/${answer[$k]//held/queued}" \
			    alt_bal[$k]=$((${ch[$k]} - $(cost "${cat[$k]}")))
		fi;;
	decline)
		[ "${st[$k]}" != awaiting_confirmation ] || { st[$k]=closed cat[$k]=0; drop "$k"; };;
	reply)
		case ${st[$k]} in
		answered|closed)
			# the answer (wave 2) or the purchase (wave 4) raced it
			if [ "${scen[$k]}/$w" = race_reply/2 ] || [ "$w" = 4 ]; then
				alt[$k]=$(outcome "$k") alt_bal[$k]=0
			fi
			st[$k]=open;;
		esac;;
	esac
}
for w in 1 2 3 4; do
	while read -r mid; do ok "$mid" && apply "$mid"; done < "$tmp/wave$w"
	[ "$w" = 3 ] || continue
	# the purchases, in the model before wave 4's replies
	for cu in "${bought[@]}"; do
		[ -e "$tmp/buy.failed" ] && grep -qx "$cu" "$tmp/buy.failed" && continue
		bal[$cu]=$((${bal[$cu]} + 25))
		for ((k = 1; k <= T; k++)); do
			[ "${cust_of[$k]}" = "$cu" ] && [ "${st[$k]:-}" = awaiting_credits ] || continue
			[ "${bal[$cu]}" -ge $(($(cost "${cat[$k]}") - ${ch[$k]})) ] || continue
			charge "$k" "${cat[$k]}"; st[$k]=answered; release "$k"
		done
	done
done

# ---- figures ----

deliveries=$(wc -l < "$tmp/deliveries")
ndups=$( [ -e "$tmp/dups" ] && wc -l < "$tmp/dups" || echo 0)
killed_random=$(awk 'NR == FNR { k[$1] = 1; next } $3 == 137 && ($4 in k)' \
    "$tmp/killed" "$tmp/deliveries" | wc -l)
killed_fault=$(awk 'NR == FNR { k[$1] = 1; next } $3 == 137 && !($4 in k) && $5 != "-"' \
    "$tmp/killed" "$tmp/deliveries" | wc -l)
faults_set=$(awk '$5 != "-"' "$tmp/deliveries" | wc -l)
tempfails=$(awk '$3 == 75' "$tmp/deliveries" | wc -l)
by_point=$(awk 'NR == FNR { k[$1] = 1; next } $3 == 137 && !($4 in k) && $5 != "-" { n[$5]++ }
    END { for (p in n) print p, n[p] }' "$tmp/killed" "$tmp/deliveries" | sort | paste -sd, - | sed 's/,/, /g')
buy_retries=$( [ -e "$tmp/buy.retried" ] && wc -l < "$tmp/buy.retried" || echo 0)
retries=$((deliveries - ${#mids[@]} - ndups))
duplicates_logged=$(grep -c 'action=duplicate' "$DESK_DIR/deskgate.log" || true)
elapsed=$(( ($(date +%s%N) - T0) / 1000000 ))
diag "seed $SEED: $N messages ($T tickets of $C customers, ${#poor[@]} of them running short, $rushes confirming more than they have; $E engineers; $EXTRA robots, strangers, forgers, guarded), $P in parallel"
diag "deliveries $deliveries: ${#mids[@]} first, $retries retries (postfix's redelivery after 75 or a signal), $ndups deliberate second deliveries"
diag "kills: $((killed_random + killed_fault)) ($killed_fault at a DESKGATE_FAULT point, of $faults_set deliveries given one; $killed_random by kill -9); $tempfails exits 75 (busy_timeout $BUSY ms)"
diag "killed at: ${by_point:-no point}"
diag "credits buy: ${#bought[@]} purchases during wave 4, $buy_retries made again after a locked store"
diag "deskgate found $duplicates_logged deliveries already stored (the second deliveries, and retries of deliveries killed after their commit)"
diag "time: wave 1 ${wave_ms[1]} ms, wave 2 ${wave_ms[2]} ms, wave 3 ${wave_ms[3]} ms, wave 4 ${wave_ms[4]} ms; $elapsed ms in all"

# ---- the checks ----

if [ "$FAULTS" = 1 ]; then
	check "fault injection: $killed_fault deliveries died at a DESKGATE_FAULT point" \
	    test "$killed_fault" -gt 0
else
	skip "fault injection: deskgate built without --enable-fault-injection (only kill -9)"
fi
check "kills: $((killed_random + killed_fault)) deliveries were SIGKILLed and redelivered" \
    test $((killed_random + killed_fault)) -gt 0

bad=
for mid in "${mids[@]}"; do ok "$mid" || bad="$bad $mid(${last_rc[$mid]:-none}/${attempts[$mid]:-0})"; done
owners=$(printf '%s\n' "${m_type[@]}" | grep -c '^guard_owner$' || true)
is "${bad:-none}" none \
    "deliveries: all ${#mids[@]} messages ended as postfix needs (exit 0, or 77 for the $owners guarded owners' mails) after $retries retries"

# stored exactly once, by Message-ID
desk_sql "SELECT message_id, count(*) FROM messages WHERE direction = 'in' AND message_id IS NOT NULL GROUP BY message_id" |
    tr '|' ' ' > "$tmp/stored"
declare -A stored_n
while read -r mid n; do stored_n[$mid]=$n; done < "$tmp/stored"
want=0 bad=
for mid in "${mids[@]}"; do
	case ${m_type[$mid]} in
	guard_*) [ -z "${stored_n[$mid]:-}" ] || bad="$bad $mid(${stored_n[$mid]}, guarded)";;
	*)	want=$((want + 1))
		[ "${stored_n[$mid]:-0}" = 1 ] || bad="$bad $mid(${stored_n[$mid]:-0})";;
	esac
done
extra_rows=$(awk '!/^ld[1-4]-/' "$tmp/stored" | wc -l)
is "${bad:-none}/$extra_rows" none/0 \
    "stored exactly once: $want messages by Message-ID (guarded mail not at all), $ndups second deliveries stored nothing"
is "$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'in'")" "$want" \
    "the store holds exactly those $want inbound messages"

# every ticket as its messages imply
tickets=$(desk_ctl ticket list --json)
printf '%s' "$tickets" | jq -r '.[] | [.id, .status, (.category // 0), .charged, .customer, .flags] | @tsv' > "$tmp/tickets"
declare -A got_st got_cat got_ch got_cu got_flags got_ans
while IFS=$'\t' read -r t s ca chg cu fl; do
	got_st[$t]=$s got_cat[$t]=$ca got_ch[$t]=$chg got_cu[$t]=$cu got_flags[$t]=$fl
done < "$tmp/tickets"
desk_ctl outbox list --json > "$tmp/outbox.json"
jq -r '.[] | select(.kind == "answer") | [.ticket, .status] | @tsv' "$tmp/outbox.json" > "$tmp/answers"
while IFS=$'\t' read -r t s; do got_ans[$t]="${got_ans[$t]:+${got_ans[$t]},}$s"; done < "$tmp/answers"
bad= bada= n=0 raced=0 other=0
declare -A by_status races flipped
for ((k = 1; k <= T; k++)); do
	[ -n "${st[$k]:-}" ] || continue	# its request never got in
	n=$((n + 1))
	t=${tid[$k]}
	want=$(outcome "$k")
	got="${got_st[$t]:-}/${got_cat[$t]:-}/${got_ch[$t]:-}/${got_ans[$t]:-}"
	race=
	if [ -n "${alt[$k]:-}" ]; then
		raced=$((raced + 1))
		case ${scen[$k]}/${w3[$k]} in
		*/close_race|*/reassess|*/rush) race=${w3[$k]};;
		race_reply/*) race=answer+reply;;
		short/*) race=buy+reply;;
		*) race=other;;
		esac
		races[$race]=$((${races[$race]:-0} + 1))
	fi
	[ "${scen[$k]}" != twoeng ] || races[two-engineers]=$((${races[two-engineers]:-0} + 1))
	if [ "$got" = "$want" ]; then
		:
	elif [ -n "${alt[$k]:-}" ] && [ "$got" = "${alt[$k]}" ]; then
		other=$((other + 1))
		flipped[$race]=$((${flipped[$race]:-0} + 1))
		bal[${cust_of[$k]}]=$((${bal[${cust_of[$k]}]} + ${alt_bal[$k]}))
	elif [ "${got%/*}" = "${want%/*}" ] || { [ -n "${alt[$k]:-}" ] && [ "${got%/*}" = "${alt[$k]%/*}" ]; }; then
		bada="$bada #$t(${scen[$k]},${w3[$k]}: answers ${got##*/}, want ${want##*/}${alt[$k]:+ or ${alt[$k]##*/}})"
	else
		bad="$bad #$t(${scen[$k]},${w3[$k]}: $got, want $want${alt[$k]:+ or ${alt[$k]}})"
	fi
	s=${got_st[$t]:-none}
	by_status[$s]=$((${by_status[$s]:-0} + 1))
done
summary=$(for s in "${!by_status[@]}"; do echo "${by_status[$s]} $s"; done | sort -k2 | paste -sd, - | sed 's/,/, /g')
diag "races (tickets; in brackets how many ended in the other order): $(for r in "${!races[@]}"; do
	echo "$r ${races[$r]} (${flipped[$r]:-0})"; done | sort | paste -sd, - | sed 's/,/, /g')"
is "${bad:-none}" none \
    "every ticket in the state its messages imply: $n tickets ($summary); $raced raced, $other of them ended in the other order"
is "${bada:-none}" none \
    "each ticket's answers are queued, held or cancelled as its messages imply, none twice ($n tickets, $(wc -l < "$tmp/answers") answers)"
is "$(wc -l < "$tmp/tickets")" "$n" "no robot, stranger, forger or guarded mail opened a ticket ($n tickets)"

# the ledger: per ticket, per customer
bad= badc= rows=0
for cu in "${customers[@]}"; do
	desk_ctl credits show "$cu" --json > "$tmp/credits.json"
	b=$(jq -r '.balance' "$tmp/credits.json")
	sum=$(jq -r '[.ledger[].delta] | add // 0' "$tmp/credits.json")
	[ "$b" = "$sum" ] && [ "$b" = "${bal[$cu]}" ] || badc="$badc $cu(balance $b, ledger $sum, want ${bal[$cu]})"
	while IFS=$'\t' read -r t d r; do
		rows=$((rows + 1))
		echo "$t $d" >> "$tmp/ticket-ledger"
	done < <(jq -r '.ledger[] | select(.ticket != null) | [.ticket, .delta, .reason] | @tsv' "$tmp/credits.json")
done
declare -A tsum trows
[ -e "$tmp/ticket-ledger" ] && while read -r t d; do
	tsum[$t]=$((${tsum[$t]:-0} + d)) trows[$t]=$((${trows[$t]:-0} + 1))
done < "$tmp/ticket-ledger"
for t in "${!got_st[@]}"; do
	chg=${got_ch[$t]} c=$(cost "${got_cat[$t]}")
	# while a rise waits, the category shown is the one proposed
	case ${got_st[$t]} in
	awaiting_*) fits=$( [ "$chg" -lt "$c" ] && case $chg in 0|5|10) echo y;; esac);;
	*) fits=$( { [ "$chg" = 0 ] || [ "$chg" = "$c" ]; } && echo y);;
	esac
	[ "$((-${tsum[$t]:-0}))" = "$chg" ] && [ "$fits" = y ] && [ "${trows[$t]:-0}" -le 1 ] ||
	    bad="$bad #$t(${got_st[$t]}: charged $chg, ledger ${tsum[$t]:-0} in ${trows[$t]:-0} rows, category ${got_cat[$t]})"
done
is "${bad:-none}" none \
    "no ticket charged twice: ${#got_st[@]} tickets, $rows ledger rows, at most one each, summing to minus its charge: 0 or its category's cost (less while a rise waits)"
is "${badc:-none}" none "the ledger sums to the balances ($C customers, deskctl credits show --json), as the model says"
is "$(desk_sql 'PRAGMA integrity_check')" ok "PRAGMA integrity_check: ok"

# the answers in the outbox
bad= held=0
declare -A holds
while IFS=$'\t' read -r t s; do
	[ "$s" = held ] || continue
	held=$((held + 1)) holds[$t]=1
	case ${got_st[$t]:-} in awaiting_confirmation|awaiting_credits) ;; *) bad="$bad #$t(${got_st[$t]:-none})";; esac
done < "$tmp/answers"
waiting=0
while IFS=$'\t' read -r t s rest; do
	case $s in awaiting_*) waiting=$((waiting + 1)); [ -n "${holds[$t]:-}" ] || bad="$bad #$t(none held)";; esac
done < "$tmp/tickets"
is "${bad:-none}" none \
    "every held answer ($held) belongs to a ticket awaiting confirmation or credits, and each of the $waiting holds one"
bad=
jq -r '.[] | select(.kind == "answer" and (.status == "queued" or .status == "sent")) | .ticket' "$tmp/outbox.json" |
    while read -r t; do
	[ "${got_ch[$t]}" -gt 0 ] || case ,${got_flags[$t]}, in *,security,*) ;; *) bad="$bad #$t";; esac
done
is "${bad:-none}" none "no answer released without a charge (or #security)"
declare -A acks confirms ack_status
while IFS=$'\t' read -r t kind s; do
	case $kind in
	ack) acks[$t]=$((${acks[$t]:-0} + 1)) ack_status[$t]=$s;;
	confirm) confirms[$t]=$((${confirms[$t]:-0} + 1));;
	esac
done < <(jq -r '.[] | select(.kind == "ack" or .kind == "confirm") | [.ticket, .kind, .status] | @tsv' "$tmp/outbox.json")
bad= n=0 asked=0
for ((k = 1; k <= T; k++)); do
	[ -n "${st[$k]:-}" ] || continue
	t=${tid[$k]} n=$((n + 1))
	a=${acks[$t]:-0} b=${confirms[$t]:-0}
	asked=$((asked + ${confirm_n[$k]:-0}))
	[ "$a/$b" = "1/${confirm_n[$k]:-0}" ] || bad="$bad #$t(ack $a, confirm $b)"
done
is "${bad:-none}" none "one acknowledgment per ticket ($n) and one confirmation notice per ticket asked ($asked)"

# robots, strangers, forgers, guarded mail
bounced=0 bad=
for mid in "${mids[@]}"; do
	[ "${m_type[$mid]}" = bounce_ack ] && ok "$mid" || continue
	t=${tid[${m_key[$mid]}]}
	bounced=$((bounced + 1))
	s=${ack_status[$t]:-none}
	[ "$s" = failed ] || bad="$bad #$t($s)"
done
is "${bad:-none}" none "every bounced acknowledgment ($bounced bounces) is marked failed"
strangers=$(for mid in "${mids[@]}"; do [ "${m_type[$mid]}" = stranger ] && echo "$mid"; done | wc -l)
is "$(jq '[.[] | select(.kind == "stranger")] | length' "$tmp/outbox.json")" "$strangers" \
    "each of the $strangers strangers got one stranger notice"
forgers=$(for mid in "${mids[@]}"; do [ "${m_type[$mid]}" = forger ] && echo "$mid"; done | wc -l)
is "$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'in' AND message_id LIKE '%@evil.example' AND author = 'other' AND flags LIKE '%action-refused%'")" \
    "$forgers" "the $forgers forgers on staff reply addresses are filed, refused, and changed nothing"
bad= passes=0
for mid in "${mids[@]}"; do
	[ "${m_type[$mid]}" = guard_pass ] || continue
	passes=$((passes + 1))
	got=$(grep -c "^Message-ID: <$mid>\$" "$tmp/guard.mbox" || true)
	[ "$got" -le 1 ] || twice=$((${twice:-0} + 1))
	[ "$got" -ge 1 ] && [ "$got" -le "${attempts[$mid]:-0}" ] || bad="$bad $mid($got of ${attempts[$mid]:-0})"
done
is "${bad:-none}" none \
    "the $passes prospects' mails to guarded addresses reached the mailbox, at least once and at most once per delivery (${twice:-0} twice: killed after passing it on)"
is "$(desk_sql "SELECT count(*) >= $owners FROM audit WHERE action = 'guard-rejected'")" 1 \
    "the $owners license owners' mails to a guarded address were refused (77) and audited"
is "$(find "$tmp/spool" -mindepth 1 | wc -l)" 0 \
    "no spool or attachment file is left behind by $deliveries deliveries, $((killed_random + killed_fault)) of them killed"

done_testing
tap_status
