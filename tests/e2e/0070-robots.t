#!/bin/bash
# 0070-robots.t - robot detection on the public corpus, through "deskctl
# inspect": the rates the issue asks for, printed and enforced.
#   bounces: >= 99 % of sisimai/maildir classed bounce (vacation as
#            autoreply, feedback as bounce), none of not-bounce/ a bounce
#   auto-replies: >= 97 % of labelled/autoreply, no labelled human a robot
# Skips where ../shared/corpus is absent.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

corpus=${DESK_CORPUS:-$top_srcdir/../shared/corpus}
[ -d "$corpus/bounce" ] || plan_skip "no corpus at $corpus"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk"
class() { desk_ctl inspect "$1" | jq -r .class; }
rate() { awk -v p="$1" -v t="$2" 'BEGIN { printf "%.1f", t ? 100 * p / t : 0 }'; }
at_least() { awk -v r="$1" -v min="$2" 'BEGIN { exit !(r >= min) }'; }

# --- bounces
awk -F'\t' '!/^#/ { print $1, ($5 == "vacation" ? "autoreply" : "bounce") }' \
    "$corpus/bounce/sisimai/expected.tsv" | sort -u -k1,1 > "$tmp/want"
pass=0 total=0 missed=""
for f in "$corpus"/bounce/sisimai/maildir/*.eml; do
	name=maildir/$(basename "$f")
	want=$(awk -v f="$name" '$1 == f { print $2 }' "$tmp/want")
	got=$(class "$f")
	total=$((total + 1))
	if [ "$got" = "${want:-bounce}" ]; then
		pass=$((pass + 1))
	else
		missed="$missed $name:$got"
	fi
done
r=$(rate $pass $total)
diag "bounces: $pass of $total classed right ($r %)${missed:+; missed:$missed}"
check "bounce detection >= 99 % ($r %)" at_least "$r" 99
wrong=""
for f in "$corpus"/bounce/sisimai/not-bounce/*; do
	[ "$(class "$f")" != bounce ] || wrong="$wrong $(basename "$f")"
done
is "${wrong:-none}" none "no look-alike in not-bounce/ is classed bounce"

# --- auto-replies and the humans that look like robots
pass=0 total=0 missed="" robots=""
while IFS=$'\t' read -r file label _; do
	got=$(class "$corpus/labelled/$file")
	if [ "$label" = autoreply ]; then
		total=$((total + 1))
		if [ "$got" = autoreply ]; then pass=$((pass + 1)); else missed="$missed $file:$got"; fi
	elif [ "$got" != human ]; then
		robots="$robots $file:$got"
	fi
done < <(tail -n +2 "$corpus/labelled/labels.tsv")
r=$(rate $pass $total)
diag "auto-replies: $pass of $total recognised ($r %)${missed:+; missed:$missed}"
check "auto-reply detection >= 97 % ($r %)" at_least "$r" 97
is "${robots:-none}" none "no human message of labelled/ is classed a robot"

done_testing
tap_status
