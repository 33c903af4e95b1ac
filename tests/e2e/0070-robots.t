#!/bin/bash
# 0070-robots.t - robot detection on the public corpus, through "deskctl
# inspect": the exact counts, enforced; every miss is named, and one miss
# more fails.
#   bounces: 337 of 337 files of sisimai/maildir classed right (vacation
#            as autoreply, feedback as bounce), none of the 3 files of
#            not-bounce/ a bounce; the same with the Return-Path line
#            removed (the envelope unknown, as a mail client saves it);
#            the status read (inspect's bounce.status) equal to sisimai's
#            where sisimai gives a plain RFC 3463 code (not its own
#            x.0.9xx, and it refines a report's 5.0.0 from the wording of
#            the diagnostic, which the report's own Status field does not)
#   auto-replies: 14 of 14 of labelled/autoreply, none of the 12 labelled
#            humans a robot
# Skips where ../shared/corpus is absent.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

corpus=${DESK_CORPUS:-$top_srcdir/../shared/corpus}
[ -d "$corpus/bounce" ] || plan_skip "no corpus at $corpus"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk"
# class FILE: its class; a class that two hints decided (no protocol
# evidence) is noted in $tmp/hinted, for the figures
class() {
	desk_ctl inspect "$1" > "$tmp/json"
	jq -r '.class, .reason' "$tmp/json" > "$tmp/one"
	! sed -n 2p "$tmp/one" | grep -q ' + ' ||
	    echo "$(basename "$1"):$(sed -n 1p "$tmp/one")" >> "$tmp/hinted"
	sed -n 1p "$tmp/one"
}
: > "$tmp/hinted"
# the counts the corpus gives and this classifier reaches
want_bounces=337 want_not_bounce=3 want_autoreplies=14 want_humans=12
want_unknown=336 want_status=218/236

# --- bounces
awk -F'\t' '!/^#/ { print $1, ($5 == "vacation" ? "autoreply" : "bounce") }' \
    "$corpus/bounce/sisimai/expected.tsv" | sort -u -k1,1 > "$tmp/want"
awk -F'\t' '!/^#/ && $3 ~ /^[245]\.[0-9]+\.[0-9]+$/ && $3 !~ /\.9[0-9][0-9]$/ {
    print $1, $3 }' "$corpus/bounce/sisimai/expected.tsv" | sort -u -k1,1 > "$tmp/status"
pass=0 total=0 missed="" unknown=0 unknown_missed="" st_pass=0 st_n=0 st_missed=""
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
	want_st=$(awk -v f="$name" '$1 == f { print $2 }' "$tmp/status")
	if [ -n "$want_st" ]; then
		st_n=$((st_n + 1))
		got_st=$(jq -r '.bounce.status // "-"' "$tmp/json")
		if [ "$got_st" = "$want_st" ]; then
			st_pass=$((st_pass + 1))
		else
			st_missed="$st_missed $name:$got_st"
		fi
	fi
	if [ "$(desk_class_unknown "$f")" = "${want:-bounce}" ]; then
		unknown=$((unknown + 1))
	else
		unknown_missed="$unknown_missed $name"
	fi
done
diag "bounces: $pass of $total classed right${missed:+; missed:$missed}"
is "$pass/$total${missed:+ missed:$missed}" "$want_bounces/$want_bounces" \
    "bounces: $pass of $total sisimai/maildir files classed right (want $want_bounces of $want_bounces)"
diag "envelope unknown: $unknown of $total classed right${unknown_missed:+; missed:$unknown_missed}"
is "$unknown/$total" "$want_unknown/$want_bounces" \
    "bounces, the Return-Path removed: $unknown of $total classed right (want $want_unknown of $want_bounces)"
diag "statuses: $st_pass of $st_n equal to sisimai's${st_missed:+; differ:$st_missed}"
is "$st_pass/$st_n" "$want_status" \
    "statuses: $st_pass of the $st_n files with a plain RFC 3463 code in expected.tsv read as that code (want $want_status)"
wrong="" n=0
for f in "$corpus"/bounce/sisimai/not-bounce/*; do
	n=$((n + 1))
	[ "$(class "$f")" != bounce ] || wrong="$wrong $(basename "$f")"
done
is "$n:${wrong:-none}" "$want_not_bounce:none" \
    "none of the $n look-alikes in not-bounce/ is classed bounce (want $want_not_bounce checked)"

# --- auto-replies and the humans that look like robots
pass=0 total=0 missed="" robots="" humans=0
while IFS=$'\t' read -r file label _; do
	got=$(class "$corpus/labelled/$file")
	if [ "$label" = autoreply ]; then
		total=$((total + 1))
		if [ "$got" = autoreply ]; then pass=$((pass + 1)); else missed="$missed $file:$got"; fi
	else
		humans=$((humans + 1))
		[ "$got" = human ] || robots="$robots $file:$got"
	fi
done < <(tail -n +2 "$corpus/labelled/labels.tsv")
diag "auto-replies: $pass of $total recognised${missed:+; missed:$missed}"
is "$pass/$total${missed:+ missed:$missed}" "$want_autoreplies/$want_autoreplies" \
    "auto-replies: $pass of $total of labelled/autoreply recognised (want $want_autoreplies of $want_autoreplies)"
is "$humans:${robots:-none}" "$want_humans:none" \
    "none of the $humans human messages of labelled/ is classed a robot (want $want_humans checked)"

diag "decided by two hints, no protocol evidence: $(wc -l < "$tmp/hinted") files:$(tr '\n' ' ' < "$tmp/hinted")"

done_testing
tap_status
