#!/bin/bash
# run.sh - the pipe's benchmark ("make bench"): deskgate against the floor
# of its design, measured side by side in the same run.
#
#   bench/run.sh [BUILD_DIR]
#
# Builds three helpers of its own (bench/*.c): the floor program (GMime,
# SQLite and PCRE2 linked; parses the message with GMime and commits one
# row, raw bytes included, in WAL mode with synchronous = FULL), the
# driver that spawns one process per message as pipe(8) does and times
# each, and the mail generator. Then, on a store with customers and
# tickets already in it:
#   (0) start-up only: deskgate with a bad argument, and the floor's
#       start, BENCH_START (200) times each;
#   (1) BENCH_N (2000) messages piped one after another;
#   (2) the same with 8 and 20 at once (BENCH_JOBS), the throughput;
#   (3) a BENCH_BIG_MB (20) MB attachment and a BENCH_PARTS (2000)-part
#       message, BENCH_REPEAT (3) times each: time and peak RSS;
#   (4) the same BENCH_N messages in sequence into a store that already
#       holds 1,000,000 messages in 100,000 tickets (bench/bigstore.sh:
#       generated once and cached), in turns with a copy of the small
#       store: the median against the small store's (measured, not
#       enforced);
#   (5) the same BENCH_N messages over LMTP to deskgate-lmtpd on 1, 8 and
#       20 connections, and on 8 without group commit (BENCH_LMTP_CONNS;
#       bench/lmtp-drive.c), each answered after its commit: the
#       throughput, the median latency, the commits and the service's
#       peak RSS (measured, not enforced);
#   (6) "deskctl outbox run" delivering BENCH_N notices (those case (1)
#       queued, copied with new Message-IDs up to BENCH_N) to postfix's
#       smtp-sink: notices/s and the SMTP sessions it counted (skipped,
#       with the reason printed, when smtp-sink is not installed);
#   (7) trimming a 1 MB reply, for each text of tests/unit/quote-cases.h
#       (bench/quote-time.c): the CPU time, best of several runs, marked
#       OVER above the 50 ms target (the suite checks only linearity).
# The floor and deskgate run in turns, in chunks of the same messages,
# so that the load of other programs on the machine falls on both alike.
# Prints a table, then the same as JSON (also written to BENCH_JSON,
# default BUILD_DIR/bench.json). Medians throughout; the figures of a
# busy machine vary, so compare ratios, not milliseconds. BENCH_KEEP=1
# keeps the stores, the mail and the times in the temporary directory.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/_build}" && pwd)
n=${BENCH_N:-2000}
jobs_list=${BENCH_JOBS:-8 20}
big_mb=${BENCH_BIG_MB:-20}
parts=${BENCH_PARTS:-2000}
repeat=${BENCH_REPEAT:-3}
nstart=${BENCH_START:-200}
chunks=${BENCH_CHUNKS:-4}
json_out=${BENCH_JSON:-$build/bench.json}
export top_srcdir=$top top_builddir=$build
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/desk.sh"

[ -x "$DESKGATE" ] || { echo "bench: build first ($DESKGATE)" >&2; exit 1; }
for p in sqlite3 pkg-config; do
	command -v "$p" > /dev/null ||
	    { echo "bench: $p not found (./bootstrap installs it)" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/deskbench.XXXXXX")
sink_pid=	# case (6)'s smtp-sink, stopped however the run ends
# BENCH_KEEP=1 keeps the stores, the mail and the times
[ -z "${BENCH_KEEP:-}" ] || echo "bench: keeping $tmp" >&2
trap '[ -z "$sink_pid" ] || kill "$sink_pid" 2> /dev/null || true
    [ -n "${BENCH_KEEP:-}" ] || rm -rf "$tmp"' EXIT
say() { printf '%s\n' "$*" >&2; }

. "$top/bench/lib.sh"
bench_setup

# run_pair NAME JOBS LIST: floor and deskgate in turns over CHUNKS parts of
# LIST; writes $tmp/NAME.{floor,desk}.times ("USEC RC MAXRSS" lines) and
# .total (the summed wall time of the chunks, seconds)
run_pair() {
	local name=$1 j=$2 list=$3 k total_f=0 total_d=0 t
	fresh_desk "$name"
	fresh_floor
	split -n "l/$chunks" -d "$list" "$tmp/$name.chunk."
	: > "$tmp/$name.floor.times"
	: > "$tmp/$name.desk.times"
	for k in "$tmp/$name".chunk.*; do
		"$tmp/drive" -j "$j" -o "$k.f" "$k" -- "$tmp/floor" \
		    "$tmp/floor.db" -f %f -- %r 2> "$k.ft"
		"$tmp/drive" -j "$j" -o "$k.d" "$k" -- "$DESKGATE" \
		    -c "$run_conf" -f %f -- %r 2> "$k.dt"
		cat "$k.f" >> "$tmp/$name.floor.times"
		cat "$k.d" >> "$tmp/$name.desk.times"
		t=$(awk '{ print $2 }' "$k.ft"); total_f=$(awk -v a="$total_f" -v b="$t" 'BEGIN { print a + b }')
		t=$(awk '{ print $2 }' "$k.dt"); total_d=$(awk -v a="$total_d" -v b="$t" 'BEGIN { print a + b }')
	done
	echo "$total_f" > "$tmp/$name.floor.total"
	echo "$total_d" > "$tmp/$name.desk.total"
}

# stats FILE: "median p90 max_rss_kb fails deferred" of a times file
stats() {
	awk '{ print $1 }' "$1" | sort -n > "$1.sorted"
	local cnt med p90
	cnt=$(wc -l < "$1.sorted")
	med=$(sed -n "$(( (cnt + 1) / 2 ))p" "$1.sorted")
	p90=$(sed -n "$(( (cnt * 9 + 9) / 10 ))p" "$1.sorted")
	awk -v med="$med" -v p90="$p90" '
	    { if ($3 > rss) rss = $3; if ($2 != 0) fails++; if ($2 == 75) def++ }
	    END { printf "%d %d %d %d %d\n", med, p90, rss, fails, def }' "$1"
}

# median of the first column of FILE
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

json_cases=""
table=""
add_json() { json_cases="$json_cases${json_cases:+,
}    $1"; }
row() { table="$table$(printf '%-34s %12s %12s %8s' "$@")
"; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
mb() { [ -z "$1" ] || awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# ---- (0) start-up only
say "bench: (0) start-up only, $nstart runs each"
for i in $(seq 1 "$nstart"); do
	printf '/dev/null\tbob@customer.example\tsupport@desk.test\n'
done > "$tmp/start.list"
: > "$tmp/start.floor.times"
: > "$tmp/start.desk.times"
for k in 1 2 3 4; do
	# the floor without a store argument starts and exits (75)
	"$tmp/drive" -o "$tmp/s.f" "$tmp/start.list" -- "$tmp/floor" 2> /dev/null
	"$tmp/drive" -o "$tmp/s.d" "$tmp/start.list" -- "$DESKGATE" 2> /dev/null
	cat "$tmp/s.f" >> "$tmp/start.floor.times"
	cat "$tmp/s.d" >> "$tmp/start.desk.times"
done
read -r fmed _ _ _ _ < <(stats "$tmp/start.floor.times")
read -r dmed _ _ _ _ < <(stats "$tmp/start.desk.times")
row "(0) start-up only, median" "$(ms "$dmed")" "$(ms "$fmed")" "$(ratio "$dmed" "$fmed")"
add_json "{\"case\": \"start-only\", \"runs\": $((nstart * 4)), \"deskgate_median_us\": $dmed, \"floor_median_us\": $fmed, \"ratio\": $(ratio "$dmed" "$fmed")}"

# ---- (1) sequential
say "bench: (1) $n messages in sequence"
run_pair seq 1 "$tmp/mail.list"
read -r fmed fp90 frss _ _ < <(stats "$tmp/seq.floor.times")
read -r dmed dp90 drss dfail ddef < <(stats "$tmp/seq.desk.times")
stored=$(sqlite3 -batch "$run_db" "SELECT count(*) FROM messages WHERE direction = 'in'")
stored=$((stored - base_in))
seq_tp=$(awk -v n="$n" -v t="$(cat "$tmp/seq.desk.total")" 'BEGIN { printf "%.1f", n / t }')
seq_ftp=$(awk -v n="$n" -v t="$(cat "$tmp/seq.floor.total")" 'BEGIN { printf "%.1f", n / t }')
row "(1) sequential, median" "$(ms "$dmed")" "$(ms "$fmed")" "$(ratio "$dmed" "$fmed")"
row "    p90" "$(ms "$dp90")" "$(ms "$fp90")" "$(ratio "$dp90" "$fp90")"
row "    messages/s" "$seq_tp" "$seq_ftp" "$(ratio "$seq_tp" "$seq_ftp")"
row "    peak RSS, largest" "$(mb "$drss")" "$(mb "$frss")" ""
add_json "{\"case\": \"sequential\", \"messages\": $n, \"deskgate_median_us\": $dmed, \"floor_median_us\": $fmed, \"ratio\": $(ratio "$dmed" "$fmed"), \"deskgate_p90_us\": $dp90, \"floor_p90_us\": $fp90, \"deskgate_per_s\": $seq_tp, \"floor_per_s\": $seq_ftp, \"deskgate_max_rss_kb\": $drss, \"floor_max_rss_kb\": $frss, \"stored\": $stored, \"failed\": $dfail, \"deferred\": $ddef}"
desk_rss_med=$(awk '{ print $3 }' "$tmp/seq.desk.times" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
row "    peak RSS, median message" "$(mb "$desk_rss_med")" "" ""
seq_failed=$dfail
seq_dmed=$dmed

# ---- (2) parallel
for j in $jobs_list; do
	say "bench: (2) $n messages, $j at once"
	run_pair "par$j" "$j" "$tmp/mail.list"
	read -r fmed _ _ _ _ < <(stats "$tmp/par$j.floor.times")
	read -r dmed _ drss dfail ddef < <(stats "$tmp/par$j.desk.times")
	stored=$(sqlite3 -batch "$run_db" "SELECT count(*) FROM messages WHERE direction = 'in'")
	stored=$((stored - base_in))
	tp=$(awk -v n="$n" -v t="$(cat "$tmp/par$j.desk.total")" 'BEGIN { printf "%.1f", n / t }')
	ftp=$(awk -v n="$n" -v t="$(cat "$tmp/par$j.floor.total")" 'BEGIN { printf "%.1f", n / t }')
	row "(2) $j at once, messages/s" "$tp" "$ftp" "$(ratio "$tp" "$ftp")"
	row "    x sequential throughput" "$(ratio "$tp" "$seq_tp")" "$(ratio "$ftp" "$seq_ftp")" ""
	row "    median latency" "$(ms "$dmed")" "$(ms "$fmed")" "$(ratio "$dmed" "$fmed")"
	row "    stored / failed / deferred" "$stored/$dfail/$ddef" "" ""
	add_json "{\"case\": \"parallel\", \"jobs\": $j, \"messages\": $n, \"deskgate_per_s\": $tp, \"floor_per_s\": $ftp, \"ratio\": $(ratio "$tp" "$ftp"), \"x_sequential\": $(ratio "$tp" "$seq_tp"), \"deskgate_median_us\": $dmed, \"floor_median_us\": $fmed, \"stored\": $stored, \"failed\": $dfail, \"deferred\": $ddef}"
done

# ---- (3) big messages
big_case() {	# NAME LABEL GENMAIL-ARGS...
	local name=$1 label=$2 r
	shift 2
	: > "$tmp/$name.list"
	for r in $(seq 1 "$repeat"); do
		"$tmp/genmail" -s "$((100 + r))" -o "$tmp/$name.$r.eml" \
		    -c "$tmp/customers.tsv" -D desk.test "$@"
		printf '%s\t%s\tsupport@desk.test\n' "$tmp/$name.$r.eml" \
		    "$(head -n 1 "$tmp/customers.tsv" | cut -f 1)" >> "$tmp/$name.list"
	done
	fresh_desk "$name"
	fresh_floor
	"$tmp/drive" -o "$tmp/$name.floor.times" "$tmp/$name.list" -- \
	    "$tmp/floor" "$tmp/floor.db" -f %f -- %r 2> /dev/null
	"$tmp/drive" -o "$tmp/$name.desk.times" "$tmp/$name.list" -- \
	    "$DESKGATE" -c "$run_conf" -f %f -- %r 2> /dev/null
	read -r fmed _ frss _ _ < <(stats "$tmp/$name.floor.times")
	read -r dmed _ drss dfail _ < <(stats "$tmp/$name.desk.times")
	size=$(wc -c < "$tmp/$name.1.eml")
	row "(3) $label, time" "$(ms "$dmed")" "$(ms "$fmed")" "$(ratio "$dmed" "$fmed")"
	row "    peak RSS" "$(mb "$drss")" "$(mb "$frss")" "$(ratio "$drss" "$frss")"
	[ "$dfail" -eq 0 ] || row "    FAILED runs" "$dfail" "" ""
	add_json "{\"case\": \"$name\", \"bytes\": $size, \"runs\": $repeat, \"deskgate_median_us\": $dmed, \"floor_median_us\": $fmed, \"ratio\": $(ratio "$dmed" "$fmed"), \"deskgate_max_rss_kb\": $drss, \"floor_max_rss_kb\": $frss, \"failed\": $dfail}"
}
say "bench: (3) a $big_mb MB attachment and a $parts-part message"
big_case attachment "$big_mb MB attachment" -S -a "$big_mb"
big_case parts "$parts-part message" -P -p "$parts"

# ---- (4) the same messages into a store of 1,000,000
. "$top/bench/bigstore.sh"
big_store
say "bench: (4) $n messages in sequence into a store of 1,000,000 ($((big_bytes / 1048576)) MB; made: $big_made)"
copy_start=$(date +%s.%N)
fresh_big big
copy_secs=$(awk -v a="$copy_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
big_conf=$run_conf big_run_db=$run_db
fresh_desk small
small_conf=$run_conf
# in turns of BENCH_BIG_CHUNKS (20) parts, each store first every other
# part: the load of the machine changes from second to second
split -n "l/${BENCH_BIG_CHUNKS:-20}" -d "$tmp/mail.list" "$tmp/big.chunk."
: > "$tmp/big.times"
: > "$tmp/small.times"
order="small big"
for k in "$tmp"/big.chunk.*; do
	for s in $order; do
		if [ "$s" = small ]; then c=$small_conf; else c=$big_conf; fi
		"$tmp/drive" -o "$k.$s" "$k" -- "$DESKGATE" -c "$c" \
		    -f %f -- %r 2> /dev/null
		cat "$k.$s" >> "$tmp/$s.times"
	done
	if [ "$order" = "small big" ]; then order="big small"; else order="small big"; fi
done
read -r smed _ _ _ _ < <(stats "$tmp/small.times")
read -r bmed bp90 _ bfail bdef < <(stats "$tmp/big.times")
big_msgs=$(sqlite3 -batch "$big_run_db" "SELECT count(*) FROM messages")
row "(4) 1,000,000 stored, median" "$(ms "$bmed")" "" ""
row "    p90" "$(ms "$bp90")" "" ""
row "    small store, same turns" "$(ms "$smed")" "" ""
row "    x small store (target 1.2)" "$(ratio "$bmed" "$smed")" "" ""
row "    x (1) sequential median" "$(ratio "$bmed" "$seq_dmed")" "" ""
row "    failed / deferred" "$bfail/$bdef" "" ""
made=$big_made
[ "$made" = cached ] || made="made in $made s"
row "    store size, copy" "$((big_bytes / 1048576)) MB, $copy_secs s" "$made" ""
add_json "{\"case\": \"big-store\", \"messages\": $n, \"stored_before\": $((big_msgs - n)), \"deskgate_median_us\": $bmed, \"deskgate_p90_us\": $bp90, \"small_store_median_us\": $smed, \"x_small_store\": $(ratio "$bmed" "$smed"), \"x_sequential\": $(ratio "$bmed" "$seq_dmed"), \"store_bytes\": $big_bytes, \"generated_s\": \"$big_made\", \"copy_s\": $copy_secs, \"failed\": $bfail, \"deferred\": $bdef}"
rm -rf "$tmp/run-big" "$tmp/run-small"

# ---- (5) LMTP
. "$top/tests/lib/lmtpd.sh"
# "8:0": 8 connections with [lmtp] group_commit_wait = 0 (no group commit)
for jw in ${BENCH_LMTP_CONNS:-1 8 20 8:0}; do
	j=${jw%%:*} label="$j connections" gw=default
	say "bench: (5) $n messages over LMTP, $jw connections"
	fresh_desk "lmtp$j"
	if [ "$jw" != "$j" ]; then
		printf '[lmtp]\ngroup_commit_wait = %s\n' "${jw#*:}" >> "$run_conf"
		gw=${jw#*:} label="$label, wait ${jw#*:} ms"
	fi
	lmtpd_start "$run_conf" "$tmp/lmtp.sock" ||
	    { echo "bench: deskgate-lmtpd did not start" >&2; exit 1; }
	"$tmp/lmtp-drive" -j "$j" -o "$tmp/lmtp$j.times" -s "$tmp/lmtp.sock" \
	    "$tmp/mail.list" 2> "$tmp/lmtp$j.total" || true
	lrss=$(awk '/^VmHWM/ { print $2 }' "/proc/$LMTPD_PID/status")
	lmtpd_stop
	read -r _ secs _ _ _ lfail < "$tmp/lmtp$j.total"
	stored=$(sqlite3 -batch "$run_db" "SELECT count(*) FROM messages WHERE direction = 'in'")
	stored=$((stored - base_in))
	ltp=$(awk -v n="$n" -v t="$secs" 'BEGIN { printf "%.1f", n / t }')
	lmed=$(median <(awk '{ print $1 }' "$tmp/lmtp$j.times"))
	row "(5) LMTP, $label, msg/s" "$ltp" "" ""
	row "    x pipe sequential" "$(ratio "$ltp" "$seq_tp")" "" ""
	row "    median latency" "$(ms "$lmed")" "" ""
	row "    service peak RSS" "$(mb "$lrss")" "" ""
	row "    stored / not 250" "$stored/$lfail" "" ""
	commits=$(sed -n 's/.*stopped after [0-9]* messages in \([0-9]*\) commits.*/\1/p' "${run_conf%/*}/deskgate.log" | tail -n 1)
	row "    commits" "$commits" "" ""
	add_json "{\"case\": \"lmtp\", \"connections\": $j, \"group_commit_wait\": \"$gw\", \"commits\": ${commits:-0}, \"messages\": $n, \"deskgate_per_s\": $ltp, \"x_sequential\": $(ratio "$ltp" "$seq_tp"), \"deskgate_median_us\": $lmed, \"max_rss_kb\": $lrss, \"stored\": $stored, \"failed\": $lfail}"
done

# ---- (6) the outbox runner to a local sink
sink_bin=
for b in /usr/sbin/smtp-sink /usr/lib/postfix/sbin/smtp-sink; do
	[ -x "$b" ] && { sink_bin=$b; break; }
done
if [ -z "$sink_bin" ]; then
	why="smtp-sink not found (Debian package postfix)"
	say "bench: (6) skipped: $why"
	row "(6) outbox run: skipped" "" "" ""
	row "    ($why)" "" "" ""
	add_json "{\"case\": \"outbox\", \"skipped\": \"$why\"}"
else
	say "bench: (6) deskctl outbox run, $n notices to smtp-sink"
	rm -rf "$tmp/run-outbox"
	mkdir -p "$tmp/run-outbox"
	# the store case (1) filled, with the notices it queued
	cp "$tmp/run-seq/desk.db" "$tmp/run-outbox/desk.db"
	sed "s|$tmp/run-seq/|$tmp/run-outbox/|" "$tmp/run-seq/deskgate.conf" \
	    > "$tmp/run-outbox/deskgate.conf"
	run_conf=$tmp/run-outbox/deskgate.conf run_db=$tmp/run-outbox/desk.db
	due() { sqlite3 -batch "$run_db" "SELECT count(*) FROM outbox WHERE status = 'queued'"; }
	queued=$(due)
	# up to $n: copies of the queued notices, each with a Message-ID
	# of its own (in the row and in the header)
	k=0
	while [ "$(due)" -lt "$n" ] && [ "$queued" -gt 0 ]; do
		k=$((k + 1))
		sqlite3 -batch "$run_db" "INSERT INTO outbox (ticket_id, kind,
		    env_from, rcpt, subject, reply_to, message_id, text, raw,
		    status, next_attempt, created)
		    SELECT ticket_id, kind, env_from, rcpt, subject, reply_to,
		    'copy$k.' || message_id, text, CAST(replace(CAST(raw AS TEXT),
		    '<' || message_id || '>', '<copy$k.' || message_id || '>')
		    AS BLOB), 'queued', next_attempt, created FROM outbox
		    WHERE status = 'queued' AND message_id NOT GLOB 'copy[0-9]*'
		    ORDER BY id LIMIT $((n - $(due)))"
	done
	# and no more than $n
	sqlite3 -batch "$run_db" "UPDATE outbox SET status = 'cancelled'
	    WHERE status = 'queued' AND id NOT IN (SELECT id FROM outbox
	    WHERE status = 'queued' ORDER BY id LIMIT $n)"
	notices=$(due)
	# a port nothing listens on
	port=$((20000 + $$ % 20000))
	while (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; do
		port=$((port + 1))
	done
	printf '[relay]\nhost = 127.0.0.1\nport = %s\ntimeout = 20\n' "$port" \
	    >> "$run_conf"
	sink_user=
	[ "$(id -u)" -ne 0 ] || sink_user="-u nobody"
	# shellcheck disable=SC2086 # $sink_user is an option and its value
	"$sink_bin" -c $sink_user "127.0.0.1:$port" 100 > "$tmp/sink.out" 2>&1 &
	sink_pid=$!
	probes=0	# the connections that saw it was up: 0 or 1
	for i in $(seq 100); do
		if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
			probes=1
			break
		fi
		kill -0 "$sink_pid" 2> /dev/null || break
		sleep 0.1
	done
	[ "$probes" -eq 1 ] ||
	    say "bench: (6) smtp-sink did not start: $(cat "$tmp/sink.out")"
	t0=$(date +%s.%N)
	"$DESKCTL" -c "$run_conf" outbox run > "$tmp/outbox.out" 2>&1 ||
	    say "bench: (6) deskctl outbox run failed: $(cat "$tmp/outbox.out")"
	osecs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
	sleep 0.2	# smtp-sink counts the session when it ends
	kill "$sink_pid" 2> /dev/null || true
	wait "$sink_pid" 2> /dev/null || true
	sink_pid=
	# the counters' last state: "sess=N quit=N mesg=N"
	read -r sess mesg < <(tr '\r' '\n' < "$tmp/sink.out" |
	    sed -n 's/^sess=\([0-9]*\) quit=[0-9]* mesg=\([0-9]*\)$/\1 \2/p' |
	    tail -n 1)
	sent=$(sqlite3 -batch "$run_db" "SELECT count(*) FROM outbox WHERE status = 'sent'")
	otp=$(awk -v n="$sent" -v t="$osecs" 'BEGIN { printf "%.1f", (t > 0 ? n / t : 0) }')
	row "(6) outbox run, notices/s" "$otp" "" ""
	row "    sent / queued, seconds" "$sent/$notices, $osecs s" "" ""
	# less the connection that saw the sink was up
	[ -z "$sess" ] || sess=$((sess - probes))
	row "    SMTP sessions, at the sink" "${sess:-?} (${mesg:-?} mails)" "" ""
	add_json "{\"case\": \"outbox\", \"notices\": $notices, \"from_case_1\": $queued, \"sent\": $sent, \"seconds\": $osecs, \"per_s\": $otp, \"smtp_sessions\": ${sess:-null}, \"sink_messages\": ${mesg:-null}, \"report\": \"$(tr -d '\n"' < "$tmp/outbox.out")\"}"
fi

# ---- (7) trimming 1 MB replies, against the 50 ms target (issue 9)
say "bench: (7) trimming 1 MB replies (bench/quote-time)"
trim_over=0
if "$build/bench/quote-time" "$top/filters/quotes.rules" > "$tmp/trim.tsv"; then
	:
else
	trim_over=$?
fi
trim_worst=0
while IFS='	' read -r what bytes ms; do
	mark=""
	awk -v m="$ms" 'BEGIN { exit !(m > 50) }' && mark=" OVER"
	row "(7) trim: ${what:0:24}" "$ms ms$mark" "" ""
	trim_worst=$(awk -v a="$trim_worst" -v b="$ms" 'BEGIN { print (b > a ? b : a) }')
	add_json "{\"case\": \"trim\", \"text\": \"$what\", \"bytes\": $bytes, \"cpu_ms\": $ms, \"target_ms\": 50}"
done < "$tmp/trim.tsv"
row "    worst, target 50 ms" "$trim_worst ms" "" ""
[ "$trim_over" -le 1 ] || say "bench: (7) quote-time failed ($trim_over)"

machine="$(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME")"
load=$(cut -d ' ' -f 1-3 /proc/loadavg)
echo "deskgate pipe benchmark: $n messages ($((mail_bytes / n)) bytes on average; 60 % replies, 22 % new, 12 % robots, 6 % strangers; en/ru), a store of $base_tickets tickets"
echo "machine: $machine; load average at the end: $load"
printf '%-34s %12s %12s %8s\n' "case" "deskgate" "floor" "ratio"
printf '%s' "$table"
json="{
  \"machine\": \"$machine\",
  \"load_average\": \"$load\",
  \"messages\": $n,
  \"base_tickets\": $base_tickets,
  \"cases\": [
$json_cases
  ]
}"
printf '%s\n' "$json" > "$json_out"
printf '%s\n' "$json"
[ "$seq_failed" -eq 0 ] || { echo "bench: $seq_failed deliveries failed" >&2; exit 1; }
