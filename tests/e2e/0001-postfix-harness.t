#!/bin/bash
#
# 0001-postfix-harness.t - the private postfix of tests/lib/postfix.sh works.
#
# A stand-in for deskgate sits behind the deskgate pipe(8) transport and
# records its argv and the message, so this checks what deskgate will be
# given: "-c CONF -q QUEUE_ID -f SENDER -- RECIPIENT" with the +extension intact, an
# empty argument for a bounce's null sender, the Delivered-To loop check,
# and delivery to a virtual Maildir.  Output is TAP.
#
# Environment: PF_PORT (default: a free port from 2525 + pid % 1000),
# PF_KEEP=1 keeps the instance directory even when every check passes.

set -u

# find_lib NAME: tests/lib/NAME, for automake (srcdir is the top or the
# tests/ directory, maybe of a VPATH build) or a test run by hand.
find_lib() {
	local cand
	for cand in ${srcdir:+"$srcdir/tests/lib/$1" "$srcdir/lib/$1"} \
	    "$(dirname "$0")/../lib/$1"; do
		if [[ -r $cand ]]; then
			printf '%s\n' "$cand"
			return 0
		fi
	done
	echo "Bail out! tests/lib/$1 not found"
	exit 1
}

tap_lib=$(find_lib tap.sh)
pf_lib=$(find_lib postfix.sh)
# shellcheck source=SCRIPTDIR/../lib/tap.sh
. "$tap_lib"
# shellcheck source=SCRIPTDIR/../lib/postfix.sh
. "$pf_lib"
# what this checks is the pipe's wiring, whatever DESK_TRANSPORT says
DESK_TRANSPORT=pipe

pf_available || plan_skip "needs root, postfix and swaks"

DESK=desk.test
CUSTOMER=bob@customer.example
SHOP=alice@shop.example

bail() {
	tap_failed=$((tap_failed + 1)) # keep the instance directory for a look
	echo "Bail out! $*"
	diag "$(pf_log 2>/dev/null | tail -n 30)"
	exit 1
}

cleanup() {
	pf_stop
	if ((tap_failed == 0)) && [[ ${PF_KEEP:-0} != 1 ]]; then
		rm -rf "$work"
	else
		diag "instance left in $work"
	fi
}

# The stand-in runs as nobody with PATH=/usr/bin:/bin; one file per call so
# parallel deliveries cannot interleave: "uid=", "argv=<a><b>...", message.
write_standin() {
	mkdir -m 777 "$work/calls"
	cat >"$work/deskgate-standin" <<-'EOF'
	#!/bin/sh
	out=$(mktemp "$(dirname "$0")/calls/call.XXXXXX") || exit 75
	{
		printf 'uid=%s\n' "$(id -u)"
		printf 'argv='
		for arg in "$@"; do printf '<%s>' "$arg"; done
		printf '\n'
		cat
	} >"$out" || exit 75
	EOF
	chmod 755 "$work/deskgate-standin"
}

# The recorded call whose message has this exact Subject.
call_with_subject() {
	grep -lx "Subject: $1" "$work"/calls/call.* 2>/dev/null | head -n 1
}

# has_line FILE LINE: FILE has exactly this line (diagnostics if not).
has_line() {
	if [[ -n $1 ]] && grep -qxF -- "$2" "$1"; then
		return 0
	fi
	diag "expected line: $2" "in ${1:-(no file)}:" "$([[ -z $1 ]] || cat "$1")"
	return 1
}

send_messages() {
	pf_send "$SHOP" "support+12-abc@$DESK" "ticket 12" "Hello desk" &&
	    pf_send "" "support+12-abc@$DESK" "bounce" "A bounce" &&
	    pf_send "$SHOP" "$CUSTOMER" "to bob" "Hello bob"
}

# A prepared message, and one already delivered to the same desk address.
send_files() {
	cat >"$work/file.eml" <<-EOF
	From: Alice <$SHOP>
	To: support@$DESK
	Subject: from a file
	Message-ID: <file-1@shop.example>

	.a leading dot and %DATE% stay as written
	EOF
	cat >"$work/loop.eml" <<-EOF
	Delivered-To: support@$DESK
	From: Alice <$SHOP>
	Subject: looping

	loop
	EOF
	pf_send_file "$SHOP" "support@$DESK" "$work/file.eml" &&
	    pf_send_file "$SHOP" "support@$DESK" "$work/loop.eml"
}

owned_by_nobody() {
	[[ -n $1 && $(stat -c %u:%g "$1") == 65534:65534 ]]
}

# swaks itself would have expanded %DATE% and kept the dot-stuffing.
sent_as_written() {
	local call
	call=$(call_with_subject "from a file")
	has_line "$call" "Message-ID: <file-1@shop.example>" &&
	    has_line "$call" ".a leading dot and %DATE% stay as written"
}

loop_bounced() {
	pf_wait_maildir "$SHOP" 1 30 &&
	    grep -q "mail forwarding loop for support@$DESK" "$(pf_maildir_files "$SHOP")" &&
	    [[ -z $(call_with_subject looping) ]]
}

unknown_domain_refused() {
	! pf_send "$SHOP" nobody@elsewhere.example "nowhere" "x" 2>/dev/null
}

stop_frees_port() {
	pf_stop && [[ $(pf_free_port "$port") == "$port" ]]
}

work=$(mktemp -d "${TMPDIR:-/tmp}/deskgate-e2e.XXXXXX") || bail "mktemp failed"
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

port=${PF_PORT:-$(pf_free_port $((2525 + $$ % 1000)))} || bail "no free port"
conf=$work/deskgate.conf
write_standin

plan 12

pf_setup "$work" "$port" "$DESK" "$work/deskgate-standin" "$conf" \
    "$CUSTOMER" "$SHOP" || bail "pf_setup failed"
check "private postfix answers on 127.0.0.1:$port" pf_start
((tap_failed == 0)) || bail "postfix does not start on port $port"

send_messages || bail "swaks could not send"
pf_wait_queue_empty 30 || bail "mail not delivered"

call=$(call_with_subject "ticket 12")
check "pipe gets -c CONF -q QUEUE_ID -f SENDER -- RECIPIENT with the extension" \
    grep -qE "^argv=<-c><$conf><-q><[0-9A-Za-z]+><-f><$SHOP><--><support\\+12-abc@$DESK>\$" "$call"
check "pipe runs as nobody" has_line "$call" "uid=65534"
check "D flag adds Delivered-To" has_line "$call" "Delivered-To: support+12-abc@$DESK"
check "R flag adds Return-Path" has_line "$call" "Return-Path: <$SHOP>"

call=$(call_with_subject "bounce")
check "null sender arrives as an empty -f argument" \
    grep -qE "^argv=<-c><$conf><-q><[0-9A-Za-z]+><-f><><--><support\\+12-abc@$DESK>\$" "$call"

pf_wait_maildir "$CUSTOMER" 1 30
mail=$(pf_maildir_files "$CUSTOMER" | head -n 1)
check "virtual mailbox gets its mail" has_line "$mail" "Hello bob"
check "Maildir message is owned by 65534" owned_by_nobody "$mail"

send_files || bail "swaks could not send a file"
pf_wait_queue_empty 30 || bail "mail not delivered"
check "pf_send_file delivers the message as written" sent_as_written
check "a Delivered-To loop bounces to the sender instead of reaching deskgate" \
    loop_bounced
check "mail to an unknown domain is refused at once" unknown_domain_refused
check "pf_stop frees the port" stop_frees_port

tap_status
