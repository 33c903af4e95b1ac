#!/bin/bash
# 0165-fuzz-regress.t - replay tests/fixtures/fuzz/ through the real
# deskgate (issue 11, part 4): the hand-made nasty seeds of the fuzzers
# and every crash, hang or leak fuzz/fuzz-intake.c has found (see that
# directory's README.md).
#
# The desk is fuzz-intake's: its tight [limits], ann@shop.example owns a
# license, alice is an engineer, ticket 1 is open and ticket 2 awaits
# ann's confirmation, each made through deskgate. Every fixture is
# delivered to a copy of that store, with the envelope its first byte
# picks as envelopes[] in fuzz/fuzz-intake.c does (that byte is not part
# of the mail; the two envelopes that take an address from the next line
# take it the same way), except that the guarded and the foreign
# envelopes, which store nothing by design, deliver to the desk's
# address instead. For each: deskgate is not killed by a signal, exits 0
# (75 would be a deferral that repeats until postfix bounces the mail)
# and the raw bytes are stored whole; delivered again, as postfix may, it
# adds no message and no notice. Under the sanitizer build (bootstrap
# check) a sanitizer report is an exit status other than 0, so it fails
# here too.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

fixtures=$top_srcdir/tests/fixtures/fuzz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

CUSTOMER=ann@shop.example
ENGINEER=alice@vendor.example
STRANGER=eve@evil.example

# fuzz-intake's tight [limits] (FUZZ_LIMITS there)
desk_setup "$tmp/desk" "[staff]" "notify = engineers@vendor.example" \
    "[limits]" "max_depth = 8" "max_parts = 20" "max_headers = 100" \
    "max_header_line = 1K" "max_header_size = 16K" "max_text_size = 64K" \
    "max_attachments = 2" "max_attachment_size = 2K"
desk_ctl staff add "$ENGINEER" --name "Alice Engineer" > /dev/null
desk_customer "$CUSTOMER" --name "Ann Lee"

# item T KIND FIELD: FIELD of ticket T's first outbox item of KIND
item() {
	{ desk_ctl outbox list --json 2> /dev/null || echo '[]'; } |
	    jq -r --argjson t "$1" --arg k "$2" \
	    "[.[] | select(.ticket == \$t and .kind == \$k)] | first | .$3 // empty" \
	    2> /dev/null || true
}
# setup_mail ENVELOPE RCPT SUBJECT ID TEXT: one mail of the setup
setup_mail() {
	printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s>\n\n%s\n' \
	    "$1" "$2" "$3" "$4" "$5" > "$tmp/setup.eml"
	desk_gate "$1" "$2" < "$tmp/setup.eml"
	[ "$DESK_RC" -eq 0 ] || bail "setup mail $4: exit $DESK_RC $DESK_OUT"
}
bail() { echo "Bail out! $*"; exit 1; }

setup_mail "$CUSTOMER" support@desk.test "Cart total" t1@shop.example \
    "The cart does not update the total."
setup_mail "$CUSTOMER" support@desk.test "Export fails" t2@shop.example \
    "The product export stops at 50%."
STAFF2=$(item 2 announce reply_to)
[ -n "$STAFF2" ] || bail "ticket 2 has no announcement"
setup_mail "$ENGINEER" "$STAFF2" "Re: [#2] Export fails" a2@vendor.example \
    "#category 2

This needs a change in the exporter."

REPLY1=$(item 1 ack reply_to)
STAFF1=$(item 1 announce reply_to)
CONFIRM2=$(item 2 confirm reply_to)
BOUNCE1=$(desk_sql "SELECT env_from FROM outbox
    WHERE ticket_id = 1 AND kind = 'ack' LIMIT 1")
for v in REPLY1 STAFF1 CONFIRM2 BOUNCE1; do
	[ -n "${!v}" ] || bail "no $v address in the outbox"
done

# envelope BYTE: "SENDER RCPT" for fuzz-intake's envelope byte (0: none)
envelope() {
	case $1 in
	0) echo "$CUSTOMER support@desk.test" ;;
	1) echo "$CUSTOMER $REPLY1" ;;
	2) echo "$ENGINEER $STAFF1" ;;
	3) echo "$ENGINEER support@desk.test" ;;
	4) echo "$CUSTOMER $CONFIRM2" ;;
	5) echo "<> $BOUNCE1" ;;
	6) echo "$CUSTOMER support@desk.test" ;;	# guarded there
	7) echo "$STRANGER support@desk.test" ;;	# guarded there
	8) echo "$STRANGER support@desk.test" ;;
	9) echo "$STRANGER $REPLY1" ;;
	10) echo "$CUSTOMER support@desk.test" ;;	# foreign there
	11) echo "LINE support@desk.test" ;;
	12) echo "$CUSTOMER support+LINE@desk.test" ;;
	esac
}
ENVELOPES=13

desk_sql "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
cp "$DESK_DIR/desk.db" "$tmp/pristine.db"
restore() {
	rm -f "$DESK_DIR/desk.db-wal" "$DESK_DIR/desk.db-shm"
	cp "$tmp/pristine.db" "$DESK_DIR/desk.db"
}

shopt -s nullglob
files=("$fixtures"/*.eml)
plan 3

# the envelope table above is fuzz-intake's
n=$(grep -cE '^[[:space:]]*\{ [A-Z"]+, RCPT_[A-Z]+ \},' \
    "$top_srcdir/fuzz/fuzz-intake.c" || true)
is "$n" "$ENVELOPES" "the replay knows fuzz-intake's $ENVELOPES envelopes"

replayed=0 stored=0 once=0 crashed=0 deferred=0 misses=""
for f in "${files[@]}"; do
	name=$(basename "$f" .eml)
	byte=$(head -c 1 "$f" | od -An -tu1 | tr -d ' ')
	byte=${byte:-0}
	if [ "$byte" -ge 1 ] && [ "$byte" -lt "$ENVELOPES" ]; then
		tail -c +2 "$f" > "$tmp/mail"
	else
		byte=0
		cp "$f" "$tmp/mail"
	fi
	read -r sender rcpt < <(envelope "$byte")
	[ "$sender" = "<>" ] && sender=""
	case "$sender $rcpt" in
	*LINE*)	# the first line, cut at a NUL or CR, is the address's
		line=$(head -n 1 "$tmp/mail" | tr '\000\r' '\n\n' | head -n 1)
		tail -n +2 "$tmp/mail" > "$tmp/rest"
		mv "$tmp/rest" "$tmp/mail"
		sender=${sender/LINE/$line}
		rcpt=${rcpt/LINE/$line}
		;;
	esac
	restore
	before=$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'in'")
	desk_gate "$sender" "$rcpt" < "$tmp/mail"
	replayed=$((replayed + 1))
	if [ "$DESK_RC" -gt 128 ]; then
		crashed=$((crashed + 1))
		misses="$misses $name(signal $((DESK_RC - 128)))"
		continue
	fi
	if [ "$DESK_RC" -ne 0 ]; then
		[ "$DESK_RC" -eq 75 ] && deferred=$((deferred + 1))
		misses="$misses $name(exit $DESK_RC: $DESK_OUT)"
		continue
	fi
	whole=$(desk_sql "SELECT count(*) FROM messages m JOIN message_raw r
	    ON r.message_row = m.id WHERE m.direction = 'in' AND
	    r.raw = readfile('$tmp/mail')")
	after=$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'in'")
	if [ "$whole" -ge 1 ] && [ "$after" -gt "$before" ]; then
		stored=$((stored + 1))
	else
		misses="$misses $name(not stored: $whole whole, $before->$after rows)"
		continue
	fi
	# postfix's retry of it changes nothing
	notices=$(desk_sql "SELECT count(*) FROM outbox")
	desk_gate "$sender" "$rcpt" < "$tmp/mail"
	again=$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'in'")
	if [ "$DESK_RC" -eq 0 ] && [ "$again" -eq "$after" ] &&
	    [ "$(desk_sql "SELECT count(*) FROM outbox")" -eq "$notices" ]; then
		once=$((once + 1))
	else
		misses="$misses $name(again: exit $DESK_RC, $after->$again rows)"
	fi
done
[ -z "$misses" ] || diag "misses:$misses"
check "fixtures to replay: ${#files[@]} in tests/fixtures/fuzz" \
    test "${#files[@]}" -gt 0
n=${#files[@]}
is "$replayed replayed: $stored stored, $once once, $crashed crashed, $deferred deferred" \
    "$n replayed: $n stored, $n once, 0 crashed, 0 deferred" \
    "$n fuzz regressions replayed through deskgate: $n stored whole, $n once when delivered again, 0 crashed, 0 deferred"
tap_status
