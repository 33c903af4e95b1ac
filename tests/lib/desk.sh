# desk.sh - a throwaway desk for a shell test (sourced after tap.sh).
#
#   desk_setup DIR [EXTRA CONFIG LINES...]  config + initialised store
#   desk_gate SENDER RCPT < MAIL            run deskgate as pipe(8) would;
#                                           sets DESK_RC and DESK_OUT
#   desk_ctl ARGS...                        deskctl with the test's config
#   desk_class_unknown FILE                 its class, the envelope unknown
#   desk_sql SQL                            query the store
#   desk_fixture NAME                       path of tests/fixtures/mail/NAME
#   desk_has_faults                         true when built with the crash points
#
# Paths come from automake's test environment (top_srcdir, top_builddir)
# or, when a test is run by hand, from the script's own location.

# a pipe into desk_mail/desk_gate runs them in this shell, so that
# DESK_RC and DESK_OUT are those of that delivery, not of the one before
shopt -s lastpipe

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/_build}"
DESKGATE=$top_builddir/src/deskgate
DESKCTL=$top_builddir/src/deskctl
DESK_DIR=
DESK_CONF=

# desk_secret: a fixed secret keeps the tests' tokens stable
desk_secret=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

desk_setup() {
	DESK_DIR=$1; shift
	mkdir -p "$DESK_DIR"
	DESK_CONF=$DESK_DIR/deskgate.conf
	{
		echo "[desk]"
		echo "name = Test Help Desk"
		echo "address = support@desk.test"
		echo "secret = $desk_secret"
		echo "templates = $top_srcdir/etc/templates"
		echo "filters = $top_srcdir/filters"
		echo "contact_url = https://vendor.example/contact"
		# extra keys of [desk] first, then any further [sections]
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} > "$DESK_CONF"
	# sections given in the extra lines come after [desk]; add the store
	grep -q '^\[store\]' "$DESK_CONF" ||
	    printf '[store]\npath = %s/desk.db\n' "$DESK_DIR" >> "$DESK_CONF"
	grep -q '^\[log\]' "$DESK_CONF" ||
	    printf '[log]\ntarget = %s/deskgate.log\n' "$DESK_DIR" >> "$DESK_CONF"
	"$DESKCTL" -c "$DESK_CONF" init > /dev/null
}

desk_gate() {
	sender=$1; shift
	set +e
	DESK_OUT=$("$DESKGATE" -c "$DESK_CONF" -f "$sender" -- "$@")
	DESK_RC=$?
	set -e
}

desk_ctl() { "$DESKCTL" -c "$DESK_CONF" "$@"; }

# desk_class_unknown FILE: the class inspect gives FILE with its
# Return-Path removed, the envelope unknown (as a mail client saves mail)
desk_class_unknown() {
	sed '/^Return-Path:/Id' "$1" | desk_ctl inspect - | jq -r .class
}

desk_sql() { sqlite3 -batch "$DESK_DIR/desk.db" "$@"; }

# desk_has_faults: the build has the DESKGATE_FAULT crash points
# (configure --enable-fault-injection; "deskctl version" says)
desk_has_faults() { "$DESKCTL" version | grep -qx 'fault-injection: yes'; }

desk_fixture() { echo "$top_srcdir/tests/fixtures/mail/$1"; }

desk_sample() { echo "$top_srcdir/etc/samples/$1"; }

# desk_customer EMAIL [deskctl customer add options...]: with a license
desk_customer() {
	email=$1; shift
	desk_ctl customer add "$email" "$@" > /dev/null
	desk_ctl license add "$email" --product cs-cart --kind first > /dev/null
}

# desk_with_postfix DIR MAILBOX...: a desk in DIR/desk whose notices go to a
# private postfix (tests/lib/postfix.sh, sourced by the caller) in DIR/pf,
# started, with virtual Maildirs for MAILBOX... (of any domain but desk.test,
# e.g. a customer's and the engineers' vendor.example; see pf_setup);
# deskgate runs as nobody.  Further config sections can be appended to
# $DESK_CONF afterwards (the last one written is [log]); call
# pf_deskgate_reload after such a change.
# DESK_TRANSPORT=lmtp (see postfix.sh): postfix delivers to deskgate-lmtpd,
# started here as nobody, instead of the pipe.
# Sets PF_PORT; bails out (TAP) when postfix does not come up.
desk_with_postfix() {
	local dir=$1 port
	shift
	chmod 755 "$dir"
	port=$(pf_free_port $((3000 + $$ % 1000)))
	desk_setup "$dir/desk" "[relay]" "host = 127.0.0.1" "port = $port" \
	    "timeout = 20"
	pf_setup "$dir/pf" "$port" desk.test "$DESKGATE" "$DESK_CONF" "$@" ||
	    { echo "Bail out! pf_setup failed"; exit 1; }
	# the service opens the store and its log at start, as the user the
	# pipe runs deskgate as (the tests chown the desk again after adding
	# customers as root)
	[ "$PF_TRANSPORT" = pipe ] || chown -R "$PF_DESKGATE_USER": "$dir/desk"
	pf_start || { echo "Bail out! postfix did not start"; exit 1; }
}

# desk_as_test FILE: a sample mail addressed to the test desk's domain
desk_as_test() { sed 's/support@desk\.example/support@desk.test/g' "$1"; }

# desk_mail FROM ENVELOPE TO SUBJECT MESSAGE-ID [HEADER...] < BODY: write a
# plain UTF-8 mail to $DESK_MAIL (the caller's file) and deliver it with
# desk_gate from ENVELOPE to TO
desk_mail() {
	local from=$1 env=$2 to=$3 subject=$4 id=$5 h
	shift 5
	{
		echo "From: $from"
		echo "To: $to"
		echo "Subject: $subject"
		echo "Date: Thu, 26 Nov 2026 10:00:00 +0000"
		echo "Message-ID: <$id>"
		for h in "$@"; do echo "$h"; done
		echo "MIME-Version: 1.0"
		echo "Content-Type: text/plain; charset=utf-8"
		echo
		cat
	} > "$DESK_MAIL"
	desk_gate "$env" "$to" < "$DESK_MAIL"
}
