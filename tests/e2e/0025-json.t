#!/bin/bash
# 0025-json.t - every --json output of deskctl is strict JSON (RFC 8259),
# as python3's json module reads it: no raw control character in a
# string, nothing that is not UTF-8. json-glib 1.6 leaves U+001F raw, so
# a mail carrying it is the first case; then "deskctl inspect" of every
# file of the corpus sets (skipped visibly where ../shared is absent).
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

strict="python3 $top_srcdir/tests/lib/json-strict.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk"
desk_customer ctl@shop.example --name "Control Shop"

# Subject and body hold U+001F, U+0001 and ESC; the From name an encoded
# NUL. The same mail from a stranger lands among the unfiled messages.
mail() {
	printf 'From: =?utf-8?q?Ali=00ce_=1F?= <%s>\n' "$1"
	printf 'To: support@desk.test\n'
	printf 'Subject: =?utf-8?q?unit=1Fsep_=01start_=1B[2J?= raw\x1f\x01\x1b[31m\n'
	printf 'Date: Mon, 1 Jan 2024 10:00:00 +0000\n'
	printf 'Message-ID: <ctl-%s@shop.example>\n' "$1"
	printf 'Content-Type: text/plain; charset=utf-8\n\n'
	printf 'The log says\x1f field\x01 and \x1b[2J then a bad byte \xff here.\n'
	printf 'Please help with the order export, it stops at line 20.\n'
}
mail ctl@shop.example > "$tmp/customer.eml"
mail stranger@else.example > "$tmp/stranger.eml"
desk_gate ctl@shop.example support@desk.test < "$tmp/customer.eml"
is "$DESK_RC" 0 "the mail with control characters is stored"
desk_gate stranger@else.example support@desk.test < "$tmp/stranger.eml"

n=0
for cmd in "inspect $tmp/customer.eml" "ticket list --json" \
    "ticket show 1 --json" "message unfiled --json" "outbox list --json" \
    "credits show ctl@shop.example --json"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	desk_ctl $cmd > "$tmp/out$n.json"
	check "deskctl $cmd: strict JSON" $strict "$tmp/out$n.json"
done
# the parser turns the subject's controls into blanks; the text keeps them
is "$(jq -r .text "$tmp/out1.json" | tr -dc '\037\001\033' | od -An -tx1 | tr -d ' \n')" \
    1f011b "inspect: the text's 3 control characters survive, as escapes"
is "$(jq -r '.messages[0].full_text' "$tmp/out3.json" | tr -dc '\037\001\033' | od -An -tx1 | tr -d ' \n')" \
    1f011b "ticket show --json: the text's 3 control characters survive, as escapes"

corpus=${DESK_CORPUS:-$top_srcdir/../shared/corpus}
if [ ! -d "$corpus" ]; then
	echo "ok $((tap_n + 1)) # SKIP corpus: no corpus at $corpus"
	tap_n=$((tap_n + 1))
else
	for set in parse bounce/sisimai labelled trim/talon; do
		files=0
		fails=""
		mkdir -p "$tmp/c"
		rm -f "$tmp/c"/*
		while IFS= read -r -d '' f; do
			files=$((files + 1))
			# generous: 0060-corpus.t holds the time limit
			timeout 60 "$DESKCTL" -c "$DESK_CONF" inspect "$f" \
			    > "$tmp/c/$files.json" 2> /dev/null ||
			    fails="$fails ${f#"$corpus"/}(exit $?)"
			echo "${f#"$corpus"/}" > "$tmp/c/$files.name"
		done < <(find "$corpus/$set" -type f -print0 | sort -z)
		if [ "$files" -eq 0 ]; then
			check "$set: inspect of 0 files (an empty set is a failure)" false
			continue
		fi
		if ! $strict "$tmp"/c/*.json > "$tmp/c/bad" 2>&1; then
			while IFS=: read -r path _; do
				fails="$fails $(cat "${path%.json}.name")"
			done < "$tmp/c/bad"
		fi
		is "${fails:-none}" none "$set: inspect of all $files files prints strict JSON"
	done
fi

done_testing
tap_status
