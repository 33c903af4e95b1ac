#!/bin/sh
# run.sh - build the libFuzzer targets with clang and run each for a while.
#
#   fuzz/run.sh [SECONDS_PER_TARGET]      (default 60; 0 = only replay seeds)
#
# fuzz-html and fuzz-command, small parsers, get half of SECONDS.
# The targets are fuzz/fuzz-{mail,html,command,intake}.c; FUZZ_TARGETS
# (e.g. "intake mail") runs some of them. The mail seeds are etc/samples,
# tests/fixtures/mail, tests/fixtures/fuzz and, when present, the public
# corpus in ../shared/corpus; fuzz-intake gets them too, and copies of a
# few with its envelope byte (fuzz-intake.c). fuzz/mail.dict is the
# dictionary of the mail targets. With FUZZ_KEEP_CORPUS=1 ("make fuzz")
# what a run finds is kept in _build-fuzz/corpus/TARGET for the next;
# else each run starts from the seeds. Crashes are kept in fuzz/crashes/.
# Needs clang and libclang-rt-14-dev (Debian).
#
# Exit status is non-zero if a target crashes, leaks, times out, runs out
# of memory or trips a sanitizer: the fuzzer's own exit status decides.
# The log then shows the fuzzer's error lines and the reproducer: its
# file name, size and the first 4 KB in base64 ("base64 -d > repro",
# then "_build-fuzz/fuzz-TARGET repro" replays it).
#
# Crash files left in fuzz/crashes/ by an earlier run are re-run first,
# as reproducers: one that still fails fails this run too (the bug is
# not fixed), one that passes now is moved to fuzz/crashes/fixed/ and
# does not count.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
out=${FUZZ_BUILD:-$top/_build-fuzz}
mkdir -p "$out" "$top/fuzz/crashes"

cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-I$top/src -I$out $(pkg-config --cflags gmime-3.0 sqlite3 libpcre2-8 libxml-2.0)"
libs="$(pkg-config --libs gmime-3.0 sqlite3 libpcre2-8 libxml-2.0)"
[ -f "$out/config.h" ] || echo '#define _GNU_SOURCE 1' > "$out/config.h"
# libdesk's sources: all of src/ but the main()s, deskctl's ctl-*.c and the SMTP side
objs=""
for c in "$top"/src/*.c; do
	s=$(basename "$c" .c)
	case "$s" in deskgate|deskgate-*|deskctl|ctl|ctl-*|smtp-send|outbox) continue ;; esac
	clang $cflags -c "$c" -o "$out/$s.o" || exit 1
	objs="$objs $out/$s.o"
done

seeds="$out/seeds"
rm -rf "$seeds"
mkdir -p "$seeds/mail" "$seeds/html" "$seeds/command" "$seeds/intake"
cp "$top"/etc/samples/*.eml "$top"/tests/fixtures/mail/*.eml \
    "$top"/tests/fixtures/fuzz/*.eml "$seeds/mail/"
corpus="$top/../shared/corpus"
if [ -d "$corpus/parse" ]; then
	find "$corpus/parse" "$corpus/bounce" -type f -size -200k ! -name '*.md' \
	    ! -name 'LICENSE*' ! -name '*.tsv' | head -n 400 |
	    while read -r f; do cp "$f" "$seeds/mail/$(echo "$f" | md5sum | cut -c1-16)"; done
fi
cp "$seeds"/mail/* "$seeds/intake/"
# fuzz-intake's envelope byte (envelopes[] there): 1 the customer to
# ticket 1's token address, 2 the engineer to its staff address, 4 the
# customer to ticket 2's confirmation address, 5 a bounce to the VERP one,
# 11 and 12 an address from the next line
envelope_seed() {
	{ printf "\\$(printf '%03o' "$1")"; cat "$2"; } > "$seeds/intake/env$1-$(basename "$2")"
}
envelope_seed 1 "$top/tests/fixtures/mail/reply-to-ticket.eml"
envelope_seed 2 "$top/tests/fixtures/mail/reply-to-ticket.eml"
envelope_seed 2 "$top/etc/samples/01-question.eml"
envelope_seed 4 "$top/etc/samples/01-question.eml"
envelope_seed 5 "$top/tests/fixtures/mail/bounce-dsn.eml"
# 11 and 12 take the next line as the envelope sender, the extension
{ printf '\013"Ann Lee"@shop.example\n'; cat "$top/etc/samples/01-question.eml"; } \
    > "$seeds/intake/env11-01-question.eml"
{ printf '\0141-0b3050c6fd5b4a38\n'; cat "$top/tests/fixtures/mail/reply-to-ticket.eml"; } \
    > "$seeds/intake/env12-reply-to-ticket.eml"
printf '<p>a<br>b</p><blockquote>q</blockquote><div class="gmail_quote">x</div>' > "$seeds/html/1"
printf '<table><tr><td>1</td><td>2</td></tr></table><pre> a\n b</pre><a href="https://x">y</a>' > "$seeds/html/2"
printf '#category 2\n#close\n\nThe answer.\n> #note\n' > "$seeds/command/1"
printf '\r\n#split: Another question\r\n#категория=3\r\n#frob x\r\n#123 text\n' > "$seeds/command/2"

# show_repro FILE: name, size and (up to 4 KB of) the bytes of a reproducer
show_repro() {
	echo "reproducer: $1 ($(wc -c < "$1") bytes); first 4096 bytes, base64:"
	head -c 4096 "$1" | base64
}

# show_errors LOG: the fuzzer's and the sanitizers' report lines
show_errors() {
	grep -E '^(==[0-9]+==(ERROR|WARNING)|SUMMARY|ERROR: libFuzzer|.*runtime error:|    #[0-9]+ |artifact_prefix|Test unit written|Base64:|\*\*|ALARM|==[0-9]+== ERROR)' \
	    "$1" | head -n 80
}

status=0
mkdir -p "$top/fuzz/crashes/fixed"
for t in ${FUZZ_TARGETS:-mail html command intake}; do
	clang $cflags "$top/fuzz/fuzz-$t.c" $objs $libs -o "$out/fuzz-$t"
	dict=""
	case "$t" in mail|intake) dict="-dict=$top/fuzz/mail.dict" ;; esac
	run() {
		(cd "$top" && DESK_FUZZ_FILTERS="$top/filters" DESK_FUZZ_TOP="$top" \
		    "$out/fuzz-$t" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		    $dict "$@")
	}
	corpus_dirs="$seeds/$t"
	if [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ]; then
		mkdir -p "$out/corpus/$t"
		corpus_dirs="$out/corpus/$t $seeds/$t"
	fi

	# crash files of earlier runs: replay each once
	for old in "$top/fuzz/crashes/$t-"*; do
		[ -f "$old" ] || continue
		set +e
		run "$old" > "$out/replay.log" 2>&1
		rc=$?
		set -e
		if [ $rc -eq 0 ]; then
			echo "== fuzz-$t: $(basename "$old") from an earlier run passes now; moved to fuzz/crashes/fixed/"
			mv "$old" "$top/fuzz/crashes/fixed/"
		else
			echo "== fuzz-$t: $(basename "$old") from an earlier run still fails (exit $rc)"
			show_errors "$out/replay.log"
			show_repro "$old"
			status=1
		fi
	done

	# the two small parsers get half: the four stay at three minutes
	# of "bootstrap check" (60 s each for mail and intake)
	t_secs=$secs
	case "$t" in html|command) t_secs=$((secs / 2)) ;; esac
	echo "== fuzz-$t: $t_secs s"
	log="$out/fuzz-$t.log"
	set +e
	run -max_total_time="$t_secs" -runs=$([ "$t_secs" -eq 0 ] && echo 0 || echo -1) \
	    -artifact_prefix="$top/fuzz/crashes/$t-" $corpus_dirs > "$log" 2>&1
	rc=$?
	set -e
	grep -E '^(Done|INFO: seed)' "$log" || true
	if [ $rc -ne 0 ]; then
		echo "== fuzz-$t: FAILED (exit $rc); full log in $log"
		show_errors "$log"
		repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		if [ -n "$repro" ] && [ -f "$repro" ]; then
			show_repro "$repro"
		else
			echo "reproducer: none written (see the log above)"
		fi
		status=1
	fi
done
exit $status
