#!/bin/bash
# compare.sh - which of several deskgate programs is faster on the same
# mail: an A/B (or A/B/C...) loop for measuring one change.
#
#   bench/compare.sh [-b BUILD_DIR] DESKGATE_A DESKGATE_B [...]
#
# The store, the customers and the mail are made as by bench/run.sh
# (deskctl of BUILD_DIR, default _build); BENCH_N (300) messages are
# piped in sequence into a fresh copy of the store by each program in
# turn (taking turns every BENCH_CHUNK, 25, messages), BENCH_ROUNDS (5)
# times, and each program's start alone (no
# arguments) BENCH_START (200) times a round. Prints, for each program,
# the median per message over all rounds, the median of the rounds'
# medians, and the median start. Interleaving the programs round by
# round spreads the load of other processes over all of them; on a busy
# machine, trust differences that hold in every round.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/_build
if [ "${1:-}" = "-b" ]; then
	build=$(cd "$2" && pwd)
	shift 2
fi
[ $# -ge 2 ] || { echo "usage: compare.sh [-b BUILD_DIR] DESKGATE_A DESKGATE_B..." >&2; exit 2; }
n=${BENCH_N:-300}
rounds=${BENCH_ROUNDS:-5}
nstart=${BENCH_START:-200}
export top_srcdir=$top top_builddir=$build
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/desk.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/deskcompare.XXXXXX")
if [ -n "${BENCH_KEEP:-}" ]; then
	echo "compare: keeping $tmp" >&2
else
	trap 'rm -rf "$tmp"' EXIT
fi
say() { printf '%s\n' "$*" >&2; }
. "$top/bench/lib.sh"
bench_setup

# BENCH_SELECT=REGEX: only the messages whose first Content-Type
# matches it (e.g. text/html: the HTML-only ones)
if [ -n "${BENCH_SELECT:-}" ]; then
	while IFS=$'\t' read -r f rest; do
		grep -m 1 -i '^Content-Type:' "$f" | grep -Eqi -- "$BENCH_SELECT" &&
		    printf '%s\t%s\n' "$f" "$rest"
	done < "$tmp/mail.list" > "$tmp/mail.selected"
	mv "$tmp/mail.selected" "$tmp/mail.list"
	n=$(wc -l < "$tmp/mail.list")
	[ "$n" -gt 0 ] || { echo "compare: no message matches $BENCH_SELECT" >&2; exit 1; }
fi
for i in $(seq 1 "$nstart"); do
	printf '/dev/null\tbob@customer.example\tsupport@desk.test\n'
done > "$tmp/start.list"
k=0
for prog in "$@"; do
	k=$((k + 1))
	: > "$tmp/p$k.times"
	: > "$tmp/p$k.medians"
	: > "$tmp/p$k.start"
done
# the programs take turns every BENCH_CHUNK (25) messages
split -l "${BENCH_CHUNK:-25}" -d -a 4 "$tmp/mail.list" "$tmp/chunk."
for r in $(seq 1 "$rounds"); do
	say "compare: round $r of $rounds"
	k=0
	for prog in "$@"; do
		k=$((k + 1))
		fresh_desk "p$k"
		cp "$run_conf" "$tmp/p$k.conf"
		: > "$tmp/p$k.r"
	done
	for c in "$tmp"/chunk.*; do
		k=0
		for prog in "$@"; do
			k=$((k + 1))
			"$tmp/drive" -o "$tmp/p$k.c" "$c" -- "$prog" \
			    -c "$tmp/p$k.conf" -f %f -- %r 2> /dev/null
			cat "$tmp/p$k.c" >> "$tmp/p$k.r"
		done
	done
	k=0
	for prog in "$@"; do
		k=$((k + 1))
		if awk '$2 != 0 { bad = 1 } END { exit !bad }' "$tmp/p$k.r"; then
			echo "compare: $prog failed on some messages (round $r)" >&2
			awk '$2 != 0 { print "exit", $2 }' "$tmp/p$k.r" | sort |
			    uniq -c >&2
		fi
		cat "$tmp/p$k.r" >> "$tmp/p$k.times"
		awk '{ print $1 }' "$tmp/p$k.r" | sort -n |
		    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' \
		    >> "$tmp/p$k.medians"
		"$tmp/drive" -o "$tmp/p$k.s" "$tmp/start.list" -- "$prog" \
		    2> /dev/null
		cat "$tmp/p$k.s" >> "$tmp/p$k.start"
	done
done

med() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] / 1000 }'; }
printf '%-44s %10s %14s %10s  %s\n' program "median ms" "round medians" "start ms" "rounds (ms)"
k=0
for prog in "$@"; do
	k=$((k + 1))
	printf '%-44s %10s %14s %10s  %s\n' "$prog" \
	    "$(awk '{ print $1 }' "$tmp/p$k.times" | med)" \
	    "$(med < "$tmp/p$k.medians")" \
	    "$(awk '{ print $1 }' "$tmp/p$k.start" | med)" \
	    "$(awk '{ printf "%.2f ", $1 / 1000 }' "$tmp/p$k.medians")"
done
echo "($n messages, $rounds rounds, load average $(cut -d ' ' -f 1-3 /proc/loadavg))"
