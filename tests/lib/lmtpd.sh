# lmtpd.sh - deskgate-lmtpd for a shell test (sourced after desk.sh).
#
#   lmtpd_start CONF SOCKET [VAR=VALUE...]  start it in the background (with
#                                           the environment VARs) and wait
#                                           for its socket; sets LMTPD_PID
#   lmtpd_stop                              SIGTERM, and wait for the exit;
#                                           sets LMTPD_RC
#   lmtpd_wait_exit SECONDS                 wait for it to exit by itself;
#                                           sets LMTPD_RC (-1: still running)
#   lmtp SOCKET ARGS...                     tests/lib/lmtp-client.py
#   wait_for SECONDS COMMAND...             poll COMMAND until it succeeds

DESKGATE_LMTPD=$top_builddir/src/deskgate-lmtpd
LMTPD_AS=		# e.g. "setpriv --reuid=nobody ...": the user it runs as
LMTPD_PID=
LMTPD_RC=

wait_for() {
	local limit=$1 deadline
	shift
	deadline=$((SECONDS + limit))
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}

lmtpd_start() {
	local conf=$1 sock=$2
	shift 2
	rm -f "$sock"
	$LMTPD_AS env "$@" "$DESKGATE_LMTPD" -c "$conf" -l "unix:$sock" \
	    2>> "${conf%/*}/lmtpd.stderr" &
	LMTPD_PID=$!
	wait_for 20 test -S "$sock"
}

# alive and not a zombie (a child not yet waited for)
_lmtpd_alive() {
	local st
	st=$(ps -o stat= -p "$LMTPD_PID" 2> /dev/null) || return 1
	[[ $st != Z* ]]
}

lmtpd_wait_exit() {
	local limit=$1
	if wait_for "$limit" eval '! _lmtpd_alive'; then
		set +e
		wait "$LMTPD_PID"
		LMTPD_RC=$?
		set -e
	else
		LMTPD_RC=-1
	fi
}

lmtpd_stop() {
	[ -n "$LMTPD_PID" ] || return 0
	kill -TERM "$LMTPD_PID" 2> /dev/null || true
	lmtpd_wait_exit 30
	LMTPD_PID=
}

lmtp() {
	local sock=$1
	shift
	python3 "$top_srcdir/tests/lib/lmtp-client.py" -s "$sock" "$@"
}
