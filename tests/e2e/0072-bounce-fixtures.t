#!/bin/bash
# 0072-bounce-fixtures.t - delivery reports of MTAs the public corpus does
# not hold (Exchange 2003 to Office 365, mail gateways, old sendmail,
# qmail, Exim, Postfix, Domino, GroupWise, webmail providers, Russian
# ones), and auto-replies and human mails that quote an address or an
# error code, through "deskctl inspect".
#
# tests/fixtures/bounce/{dev,held-out,held-out-2,held-out-3}/labels.tsv give each file's class,
# its failed recipients and its RFC 3463 status. The dev part is what the
# structure scoring of bounce.c was tuned on; the held-out part was
# written first and never tuned on (tests/README.md): a held-out miss is
# named, never shown. Per part, three figures are enforced exactly:
#   class:      the class inspect gives equals the label;
#   recipients: for bounces, the failed recipients read from the report
#               (inspect's bounce.recipients, in order) equal the label;
#   status:     for bounces, bounce.status equals the label ("-": none);
#   unknown:    the class is the label's with the Return-Path line
#               removed, as a mail client or the IMAP fetcher saves a
#               mail: the envelope unknown, only the structure speaks.
# The counts below are the measured ones: one miss more fails, one fewer
# asks for the figure to be raised. The held-out part's first measurement,
# before bounce.c read recipients (the classifier of issue 6): class
# 24/24, recipients 0/18, status 4/18 (the four without one); with the
# scoring as first written, before any tuning on dev: 24/24, 18/18,
# 17/18 (the envelope-unknown figure, added after the first tuning
# round, was 24/24 when first measured). held-out-2 (stop 15, 33 files
# of MTAs the other parts lack, by a second author who saw no rule and
# no fixture) as first measured (recipients 22/23), nothing tuned on it
# since; at stop 17 a mixed report lists its failed recipients only, not
# the delayed ones beside them (RFC 3464's Action), which was what the
# known miss was: 23/23 from then, no longer a clean figure for that.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

fixtures=$top_srcdir/tests/fixtures/bounce
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk"

# want_PART: class recipients status, each "passed/total"
want_dev="class=25/25 recipients=19/19 status=19/19 unknown=25/25"
want_held_out="class=24/24 recipients=18/18 status=17/18 unknown=24/24"
# held-out-2: a second author's, written blind (no rule, no other fixture)
want_held_out_2="class=33/33 recipients=23/23 status=23/23 unknown=33/33"
# held-out-3: a third author's, written blind (stop 18), as first
# measured; its two misses are delay warnings that the brief had labelled
# autoreply, which deskgate classes bounce with "delayed" (never
# answered, no notice marked failed)
want_held_out_3="class=34/36 recipients=26/26 status=26/26 unknown=34/36"

# score PART: run every labelled file of PART; prints the figures
score() {
	local part=$1 file class rcpts status got json n=0
	local c_ok=0 c_n=0 r_ok=0 r_n=0 s_ok=0 s_n=0 e_ok=0
	local c_miss="" r_miss="" s_miss="" e_miss=""
	while IFS=$'\t' read -r file class rcpts status; do
		case $file in ''|'#'*) continue ;; esac
		n=$((n + 1))
		json=$(desk_ctl inspect "$fixtures/$part/$file")
		got=$(printf '%s' "$json" | jq -r .class)
		c_n=$((c_n + 1))
		if [ "$got" = "$class" ]; then
			c_ok=$((c_ok + 1))
		else
			c_miss="$c_miss $part/$file:$got"
		fi
		got=$(desk_class_unknown "$fixtures/$part/$file")
		if [ "$got" = "$class" ]; then
			e_ok=$((e_ok + 1))
		else
			e_miss="$e_miss $part/$file:$got"
		fi
		[ "$class" = bounce ] || continue
		r_n=$((r_n + 1)) s_n=$((s_n + 1))
		got=$(printf '%s' "$json" |
		    jq -r '[.bounce.recipients // [] | .[]] | if length == 0 then "-" else join(",") end')
		if [ "$got" = "$rcpts" ]; then
			r_ok=$((r_ok + 1))
		else
			r_miss="$r_miss $part/$file:$got"
		fi
		got=$(printf '%s' "$json" | jq -r '.bounce.status // "-"')
		if [ "$got" = "$status" ]; then
			s_ok=$((s_ok + 1))
		else
			s_miss="$s_miss $part/$file:$got"
		fi
	done < "$fixtures/$part/labels.tsv"
	[ "$n" -gt 0 ] || c_miss=" no labelled file"
	{
		diag "bounce $part: class $c_ok/$c_n${c_miss:+ (miss:$c_miss)}"
		diag "bounce $part: recipients $r_ok/$r_n${r_miss:+ (miss:$r_miss)}"
		diag "bounce $part: status $s_ok/$s_n${s_miss:+ (miss:$s_miss)}"
		diag "bounce $part: class with the envelope unknown $e_ok/$c_n${e_miss:+ (miss:$e_miss)}"
	} > "$tmp/diag"
	echo "class=$c_ok/$c_n recipients=$r_ok/$r_n status=$s_ok/$s_n unknown=$e_ok/$c_n"
}

for part in dev held-out held-out-2 held-out-3; do
	if [ ! -f "$fixtures/$part/labels.tsv" ]; then
		is missing present "bounce $part: $fixtures/$part/labels.tsv"
		continue
	fi
	got=$(score "$part")
	cat "$tmp/diag"
	want=want_${part//-/_}
	is "$got" "${!want}" "bounce $part: classes, failed recipients and statuses of $(grep -vc '^#' "$fixtures/$part/labels.tsv") labelled files (want ${!want})"
done

done_testing
tap_status
