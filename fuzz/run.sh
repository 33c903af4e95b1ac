#!/bin/sh
# run.sh - build the libFuzzer targets with clang and run each for a while.
#
#   fuzz/run.sh [SECONDS_PER_TARGET]      (default 60; 0 = only replay seeds)
#
# The seeds are etc/samples, tests/fixtures and, when present, the public
# corpus in ../shared/corpus; crashes are kept in fuzz/crashes/. Needs
# clang and libclang-rt-14-dev (Debian). Exit status is non-zero if a
# target crashes, leaks or trips a sanitizer.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
out=${FUZZ_BUILD:-$top/_build-fuzz}
mkdir -p "$out" "$top/fuzz/crashes"

cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-I$top/src -I$out $(pkg-config --cflags gmime-3.0 sqlite3 libpcre2-8 libxml-2.0)"
libs="$(pkg-config --libs gmime-3.0 sqlite3 libpcre2-8 libxml-2.0)"
[ -f "$out/config.h" ] || echo '#define _GNU_SOURCE 1' > "$out/config.h"
# libdesk's sources: all of src/ but the two main()s and the SMTP side
objs=""
for c in "$top"/src/*.c; do
	s=$(basename "$c" .c)
	case "$s" in deskgate|deskctl|smtp-send|outbox) continue ;; esac
	clang $cflags -c "$c" -o "$out/$s.o" || exit 1
	objs="$objs $out/$s.o"
done

seeds="$out/seeds"
rm -rf "$seeds"
mkdir -p "$seeds/mail" "$seeds/html"
cp "$top"/etc/samples/*.eml "$top"/tests/fixtures/mail/*.eml "$seeds/mail/"
corpus="$top/../shared/corpus"
if [ -d "$corpus/parse" ]; then
	find "$corpus/parse" "$corpus/bounce" -type f -size -200k ! -name '*.md' \
	    ! -name 'LICENSE*' ! -name '*.tsv' | head -n 400 |
	    while read -r f; do cp "$f" "$seeds/mail/$(echo "$f" | md5sum | cut -c1-16)"; done
fi
printf '<p>a<br>b</p><blockquote>q</blockquote><div class="gmail_quote">x</div>' > "$seeds/html/1"
printf '<table><tr><td>1</td><td>2</td></tr></table><pre> a\n b</pre><a href="https://x">y</a>' > "$seeds/html/2"

status=0
for t in mail html; do
	clang $cflags "$top/fuzz/fuzz-$t.c" $objs $libs -o "$out/fuzz-$t"
	echo "== fuzz-$t: $secs s"
	(cd "$top" && DESK_FUZZ_FILTERS="$top/filters" \
	    "$out/fuzz-$t" -max_total_time="$secs" -runs=$([ "$secs" -eq 0 ] && echo 0 || echo -1) \
	    -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$top/fuzz/crashes/$t-" "$seeds/$t" 2>&1 |
	    grep -E '^(Done|INFO: seed|==[0-9]+==ERROR|SUMMARY)' ) || true
	ls "$top/fuzz/crashes/$t-"* >/dev/null 2>&1 && status=1
done
exit $status
