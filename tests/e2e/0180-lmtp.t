#!/bin/bash
# 0180-lmtp.t - deskgate-lmtpd driven by an LMTP client on its UNIX
# socket: the same messages piped into one store and delivered by LMTP
# into another end in the same rows; separate replies per recipient;
# a 12 MB message in bounded memory; a fully pipelined connection; 451 while the store is locked, and the
# same service delivers once it is free; SIGTERM inside a message (it is
# finished, new connections are refused); SIGKILL before and after the
# commit, then the retry stores the message exactly once; group commit
# (parallel connections, failing messages among them); the connection
# limit and the command time limit; TCP on loopback; a socket passed by
# systemd-socket-activate, with swaks --protocol LMTP as the client.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"
. "$(dirname "$0")/../lib/lmtpd.sh"

command -v python3 > /dev/null || plan_skip "needs python3 (the LMTP client)"

tmp=$(mktemp -d)
trap 'lmtpd_stop; rm -rf "$tmp"' EXIT
sock=$tmp/lmtp.sock

customers() {
	desk_customer bob@customer.example --name "Bob Smith"
	desk_customer ivan@magazin.example --lang ru
	desk_customer petrov@magazin.example --lang ru
}

# The rows a delivery writes, without the times and random Message-IDs.
dump() {
	desk_sql "
	SELECT 'T', id, customer_id, subject, status, category, charged,
	    preapproved, lang, flags FROM tickets ORDER BY id;
	SELECT 'M', id, ticket_id, direction, author,
	    CASE direction WHEN 'in' THEN message_id END, dedup_key,
	    envelope_from, recipient, from_addr, subject, class, flags,
	    quote(text), size, quote(reply_text), language FROM messages
	    ORDER BY id;
	SELECT 'R', message_row, hex(raw) FROM message_raw ORDER BY 2;
	SELECT 'A', id, message_row, filename, content_type, size,
	    hex(content) FROM attachments ORDER BY id;
	SELECT 'O', id, ticket_id, kind, env_from, rcpt, subject, reply_to,
	    quote(text), status FROM outbox ORDER BY id;
	SELECT 'L', id, customer_id, delta, reason, ticket_id FROM ledger
	    ORDER BY id;
	SELECT 'U', id, actor, action, ticket_id, detail FROM audit
	    ORDER BY id;"
}

# --- the same mail piped and delivered by LMTP: the same store
desk_setup "$tmp/pipe"
customers
pipe_dir=$DESK_DIR
desk_setup "$tmp/lmtp"
customers
check "deskgate-lmtpd listens on its UNIX socket" lmtpd_start "$DESK_CONF" "$sock"

mails="bob@customer.example:$(desk_sample 01-question.eml)
ivan@magazin.example:$(desk_sample 02-russian.eml)
bob@customer.example:$(desk_sample 03-html-attachment.eml)
visitor@somewhere.example:$(desk_sample 04-stranger.eml)
bob@customer.example:$(desk_sample 05-out-of-office.eml)
bob@customer.example:$(desk_sample 06-garbage.eml)
:$(desk_fixture bounce-dsn.eml)
announce@lists.example:$(desk_fixture list-mail.eml)
bob@customer.example:$(desk_fixture reply-to-ticket.eml)
petrov@magazin.example:$(desk_fixture russian-koi8r.eml)
bob@customer.example:$(desk_sample 01-question.eml)"
n=0 same=0
# SMTP and LMTP cannot carry a message without a final line end: postfix
# hands the pipe one with it too, so each file is given one
while IFS=: read -r from file; do
	n=$((n + 1))
	sed -e '$a\' "$file" > "$tmp/in-$n.eml"
	file=$tmp/in-$n.eml
	for rcpt in support@desk.test nobody@desk.test; do
		DESK_DIR=$pipe_dir DESK_CONF=$pipe_dir/deskgate.conf \
		    desk_gate "$from" "$rcpt" < "$file"
		case $DESK_RC in
		0) want="250 2.0.0 <$rcpt> delivered" ;;
		67) want="550 $DESK_OUT" ;;
		*) want="rc $DESK_RC $DESK_OUT" ;;
		esac
		got=$(lmtp "$sock" -q -f "$from" -t "$rcpt" "$file")
		if [ "$got" = "$want" ]; then
			same=$((same + 1))
		else
			diag "$file to $rcpt: pipe '$want', LMTP '$got'"
		fi
	done
done <<< "$mails"
is "$same" $((n * 2)) "$n messages to 2 recipients: each LMTP reply says what the pipe's exit status said"
is "$(DESK_DIR=$pipe_dir desk_sql 'SELECT count(*) FROM tickets')" 4 "the pipe's store holds 4 tickets"
lmtp_rows=$(dump)
pipe_rows=$(DESK_DIR=$pipe_dir dump)
is "$(printf '%s\n' "$lmtp_rows" | wc -l)" "$(printf '%s\n' "$pipe_rows" | wc -l)" "both stores have as many rows"
if [ "$lmtp_rows" = "$pipe_rows" ]; then same=yes; else
	same=no
	diff <(printf '%s\n' "$pipe_rows") <(printf '%s\n' "$lmtp_rows") | head -20 | sed 's/^/# /'
fi
is "$same" yes "tickets, messages, raw bytes, attachments, notices, ledger and audit are the same by pipe and by LMTP"

# --- several recipients: one reply each, in order, after the message
out=$(lmtp "$sock" -q -f bob@customer.example -t support@desk.test \
    -t nobody@desk.test -t support@desk.test \
    "$(desk_fixture no-assessment.eml)")
is "$(printf '%s\n' "$out" | cut -c1-9 | tr '\n' ' ')" \
    "250 2.0.0 550 5.1.1 250 2.0.0 " "3 recipients: 3 replies after DATA (250, 550 5.1.1, 250)"
like "$(printf '%s\n' "$out" | sed -n 2p)" '^550 5\.1\.1 <nobody@desk\.test>' "the 550 names the recipient, as the pipe's DSN does"

# --- a 12 MB message: spooled as it comes, not held in memory
python3 -c '
import base64, random, sys
random.seed(1)
data = random.randbytes(9 * 1024 * 1024)
sys.stdout.write("From: Bob Smith <bob@customer.example>\nTo: support@desk.test\n"
    "Subject: a big log\nMessage-ID: <big@mail.customer.example>\n"
    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
    "--b\nContent-Type: text/plain\n\nThe log is attached.\n--b\n"
    "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
    "Content-Disposition: attachment; filename=big.log\n\n")
sys.stdout.write(base64.encodebytes(data).decode())
sys.stdout.write("--b--\n")' > "$tmp/big.eml"
out=$(lmtp "$sock" -q -f bob@customer.example -t support@desk.test "$tmp/big.eml")
rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$LMTPD_PID/status")
# ASan's shadow memory: the sanitizer build is held to four times the bound
bound=32
ldd "$DESKGATE_LMTPD" 2> /dev/null | grep -q libasan && bound=128
is "$out/$(desk_sql "SELECT size FROM attachments WHERE filename = 'big.log'")" \
    "250 2.0.0 <support@desk.test> delivered/9437184" "a $(($(wc -c < "$tmp/big.eml") / 1048576)) MB message is stored whole"
check "the service's peak RSS after it is under $bound MB ($((rss / 1024)) MB)" \
    test "$rss" -lt $((bound * 1024))

# --- LHLO and a fully pipelined connection
out=$(lmtp "$sock" --blast -n 5 -f bob@customer.example -t support@desk.test \
    "$(desk_sample 01-question.eml)")
for ext in PIPELINING ENHANCEDSTATUSCODES 8BITMIME 'SIZE 26214400'; do
	like "$out" "^250[- ]$ext\$" "LHLO advertises $ext"
done
is "$(printf '%s\n' "$out" | grep -c '^354 ')/$(printf '%s\n' "$out" | grep -c '^250 2\.0\.0 <')" \
    5/5 "5 pipelined transactions in one write: 5 times 354 and 250 2.0.0"
like "$(printf '%s\n' "$out" | tail -2 | tr '\n' ' ')" '^221 2\.0\.0 .* closing connection EOF $' "the pipelined QUIT is answered last, then the service closes"
lmtpd_stop
is "$LMTPD_RC" 0 "SIGTERM on an idle service: exit 0"
check "the socket is removed" test ! -e "$sock"

# --- the store locked by another writer: 451, then the same service delivers
desk_setup "$tmp/locked" "[store]" "path = $tmp/locked/desk.db" "busy_timeout = 300"
customers
lmtpd_start "$DESK_CONF" "$sock" || { echo "Bail out! deskgate-lmtpd did not open $sock"; exit 1; }
# the lock is held until the test lets it go, however slow the machine
sqlite3 "$DESK_DIR/desk.db" ".timeout 20000" "BEGIN IMMEDIATE; SELECT 1;" \
    ".shell while [ ! -e '$tmp/unlock' ]; do sleep 0.05; done" "COMMIT;" > /dev/null &
lock=$!
locked() { ! desk_sql "BEGIN IMMEDIATE; ROLLBACK;" > /dev/null 2>&1; }
wait_for 60 locked || { echo "Bail out! the other writer never held the lock"; exit 1; }
out=$(lmtp "$sock" -q -f bob@customer.example -t support@desk.test "$(desk_sample 01-question.eml)")
: > "$tmp/unlock"
is "$out" \
    "451 4.3.0 Help Desk temporarily unavailable, try again later" "store locked: 451 4.3.0, the pipe's text"
like "$(cat "$DESK_DIR/deskgate.log")" 'database is locked' "the log says the store was locked"
wait "$lock"
out=$(lmtp "$sock" -q -f bob@customer.example -t support@desk.test "$(desk_sample 01-question.eml)")
is "$out/$(desk_sql 'SELECT count(*) FROM tickets')" \
    "250 2.0.0 <support@desk.test> delivered/1" "lock released: the same service stores it"
lmtpd_stop

# --- SIGTERM in the middle of a message
desk_setup "$tmp/term"
customers
lmtpd_start "$DESK_CONF" "$sock"
lmtp "$sock" --pause "$tmp/paused" "$tmp/go" -f bob@customer.example \
    -t support@desk.test "$(desk_sample 03-html-attachment.eml)" > "$tmp/term.out" &
client=$!
wait_for 20 test -e "$tmp/paused"
kill -TERM "$LMTPD_PID"
check "SIGTERM: the socket goes, new connections are refused" wait_for 10 test ! -e "$sock"
check "SIGTERM: the service waits for the message it is receiving" _lmtpd_alive
: > "$tmp/go"
wait "$client" || true
lmtpd_wait_exit 20
is "$LMTPD_RC" 0 "SIGTERM: exit 0 once the transaction is done"
is "$(grep '^250 2\.0\.0 <' "$tmp/term.out")/$(desk_sql 'SELECT count(*) FROM tickets')" \
    "250 2.0.0 <support@desk.test> delivered/1" "SIGTERM: the message being received is stored and answered"
like "$(tail -1 "$tmp/term.out")" '^421 4\.3\.2 ' "SIGTERM: then 421 4.3.2"

# --- SIGKILL before and after the commit; postfix's retry stores it once
if desk_has_faults; then
	for point in before-commit after-commit; do
		desk_setup "$tmp/kill-$point"
		customers
		lmtpd_start "$DESK_CONF" "$sock" DESKGATE_FAULT=$point
		out=$(lmtp "$sock" -q -f bob@customer.example -t support@desk.test \
		    "$(desk_sample 03-html-attachment.eml)" || true)
		lmtpd_wait_exit 20
		is "$LMTPD_RC/$out" "137/EOF" \
		    "killed $point: no reply, the client will retry"
		lmtpd_start "$DESK_CONF" "$sock"
		out=$(lmtp "$sock" -q -f bob@customer.example -t support@desk.test \
		    "$(desk_sample 03-html-attachment.eml)")
		is "$out" "250 2.0.0 <support@desk.test> delivered" \
		    "killed $point: the retry gets 250"
		is "$(desk_sql "SELECT count(*) FROM tickets")/$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'in'")/$(desk_sql 'SELECT count(*) FROM attachments')" \
		    "1/1/1" "killed $point: stored exactly once"
		lmtpd_stop
	done
else
	for i in 1 2 3 4 5 6; do skip "fault injection: built without --enable-fault-injection"; done
fi

# --- group commit: 8 connections at once, each message answered after
# the commit of its batch; a message that fails does not fail the others
mkdir "$tmp/templates"
cp -r "$top_srcdir/etc/templates/en" "$top_srcdir/etc/templates/ru" "$tmp/templates/"
rm "$tmp/templates/en/stranger.txt"	# the stranger's notice cannot be built
desk_setup "$tmp/group" "templates = $tmp/templates" "[lmtp]" "group_commit_wait = 50"
customers
lmtpd_start "$DESK_CONF" "$sock"
pids=
for c in 1 2 3 4 5 6 7 8; do
	files=
	for m in 1 2 3 4 5; do
		sed "s/^Message-ID: <CAF4kQ2x1a@/Message-ID: <g$c-$m@/; s/^Subject: .*/Subject: group $c-$m/" \
		    "$(desk_sample 01-question.eml)" > "$tmp/g$c-$m.eml"
		files="$files $tmp/g$c-$m.eml"
	done
	# shellcheck disable=SC2086
	lmtp "$sock" -q -f bob@customer.example -t support@desk.test $files > "$tmp/g$c.out" &
	pids="$pids $!"
	lmtp "$sock" -q -f visitor@somewhere.example -t support@desk.test \
	    "$(desk_sample 04-stranger.eml)" > "$tmp/s$c.out" &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
is "$(cat "$tmp"/g?.out | grep -c '^250 2\.0\.0 <support@desk\.test> delivered')/$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'in' AND subject LIKE 'group %'")" \
    "40/40" "8 connections, 40 messages: 40 replies 250, 40 messages stored"
is "$(cat "$tmp"/s?.out | grep -c '^451 4\.3\.5 ')/$(desk_sql "SELECT count(*) FROM messages WHERE from_addr = 'visitor@somewhere.example'")" \
    "8/0" "the 8 that fail (no stranger template) get 451 4.3.5 and store nothing"
is "$(desk_sql 'PRAGMA integrity_check')" ok "the store is intact"
# 8 messages whose final "." comes at once are committed together
pids=
for c in 1 2 3 4 5 6 7 8; do
	sed "s/^Message-ID: <CAF4kQ2x1a@/Message-ID: <sync$c@/; s/^Subject: .*/Subject: sync $c/" \
	    "$(desk_sample 01-question.eml)" > "$tmp/sync$c.eml"
	lmtp "$sock" -q --pause "$tmp/ready$c" "$tmp/go" -f bob@customer.example \
	    -t support@desk.test "$tmp/sync$c.eml" > "$tmp/sync$c.out" &
	pids="$pids $!"
done
all_ready() { for c in 1 2 3 4 5 6 7 8; do [ -e "$tmp/ready$c" ] || return 1; done; }
wait_for 30 all_ready
before=$(grep -c 'action=' "$DESK_DIR/deskgate.log")
: > "$tmp/go"
# shellcheck disable=SC2086
wait $pids
is "$(cat "$tmp"/sync?.out | grep -c '^250 2\.0\.0 ')/$(desk_sql "SELECT count(*) FROM messages WHERE subject LIKE 'sync %'")" \
    "8/8" "8 messages ended at once: 8 replies 250, 8 stored"
lmtpd_stop
commits=$(sed -n 's/.*stopped after \([0-9]*\) messages in \([0-9]*\) commits.*/\1 \2/p' "$DESK_DIR/deskgate.log")
diag "group commit: messages and commits: $commits ($before deliveries logged before the 8)"
check "fewer commits than messages: the 8 were committed together, or some of them" \
    test "${commits#* }" -lt "${commits% *}"

# --- [lmtp] max_connections and command_time_limit
desk_setup "$tmp/limits" "[lmtp]" "max_connections = 1" "command_time_limit = 2"
lmtpd_start "$DESK_CONF" "$sock"
: > "$tmp/idle.out"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(30)
data = b""
while True:
    more = s.recv(4096)
    if not more:
        break
    data += more
    sys.stdout.write(more.decode()); sys.stdout.flush()
' "$sock" > "$tmp/idle.out" &
idle=$!
wait_for 10 grep -q '^220 ' "$tmp/idle.out"
out=$(lmtp "$sock" -t support@desk.test "$(desk_sample 01-question.eml)" || true)
like "$out" '^421 4\.3\.2 too many connections' "max_connections = 1: a second connection gets 421 4.3.2"
wait "$idle"
like "$(cat "$tmp/idle.out")" '^421 4\.4\.2 .*timeout' "command_time_limit = 2: a silent client gets 421 4.4.2 and is closed"
lmtpd_stop

# --- TCP on loopback, and a socket passed by systemd (swaks as the client)
desk_setup "$tmp/listen"
customers
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$DESKGATE_LMTPD" -c "$DESK_CONF" -l "inet:127.0.0.1:$port" 2>> "$DESK_DIR/lmtpd.stderr" &
LMTPD_PID=$!
tcp_up() { python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' "$port" 2> /dev/null; }
wait_for 20 tcp_up || true
out=$(python3 "$top_srcdir/tests/lib/lmtp-client.py" -i "127.0.0.1:$port" -q \
    -f bob@customer.example -t support@desk.test "$(desk_sample 01-question.eml)")
is "$out" "250 2.0.0 <support@desk.test> delivered" "-l inet:127.0.0.1:PORT: delivered over TCP"
lmtpd_stop
if command -v systemd-socket-activate > /dev/null && command -v swaks > /dev/null; then
	rm -f "$sock"
	systemd-socket-activate -l "$sock" "$DESKGATE_LMTPD" -c "$DESK_CONF" \
	    2>> "$DESK_DIR/lmtpd.stderr" &
	LMTPD_PID=$!
	wait_for 20 test -S "$sock" || true
	out=$(swaks --protocol LMTP --socket "$sock" --from bob@customer.example \
	    --to support@desk.test --data "$(desk_sample 02-russian.eml)" 2>&1 || true)
	like "$out" '<-  250 2\.0\.0 <support@desk\.test> delivered' \
	    "socket activation (LISTEN_FDS, no -l): swaks --protocol LMTP delivers"
	lmtpd_stop
	is "$LMTPD_RC" 0 "socket activation: SIGTERM, exit 0"
else
	skip "needs systemd-socket-activate and swaks"
	skip "needs systemd-socket-activate and swaks"
fi

done_testing
tap_status
