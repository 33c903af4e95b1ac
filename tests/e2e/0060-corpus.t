#!/bin/bash
# 0060-corpus.t - every mail of the public corpus (../shared/corpus: MIME
# edge cases, broken mail, charsets, denial-of-service traps, bounces)
# goes through "deskctl inspect" and through deskgate itself: each must
# exit 0 within 10 seconds with valid JSON, and the store must stay
# intact. Under the sanitizer build a report makes the process fail.
# Skips where the corpus is absent (a user's clone has no ../shared).
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

corpus=${DESK_CORPUS:-$top_srcdir/../shared/corpus}
[ -d "$corpus" ] || plan_skip "no corpus at $corpus"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk"

for set in parse/mimekit parse/gmime-charsets parse/ruby-mail-fixtures \
    parse/nodemailer-mailparser parse/rt-emails bounce/sisimai/maildir \
    bounce/sisimai/not-bounce labelled trim; do
	[ -d "$corpus/$set" ] || continue
	bad=""
	files=0
	while IFS= read -r -d '' f; do
		files=$((files + 1))
		set +e
		json=$(timeout 10 "$DESKCTL" -c "$DESK_CONF" inspect "$f" 2> "$tmp/err")
		rc=$?
		set -e
		if [ $rc -ne 0 ] || ! printf '%s' "$json" | jq -e '.class' > /dev/null 2>&1; then
			bad="$bad inspect:${f#"$corpus"/}($rc)"
			continue
		fi
		set +e
		timeout 10 "$DESKGATE" -c "$DESK_CONF" -f someone@example.org -- \
		    support@desk.test < "$f" > "$tmp/out" 2> "$tmp/err"
		rc=$?
		set -e
		[ $rc -eq 0 ] || bad="$bad deskgate:${f#"$corpus"/}($rc:$(head -c 200 "$tmp/out" "$tmp/err" | tr '\n' ' '))"
	done < <(find "$corpus/$set" -type f ! -name '*.md' ! -name '*.tsv' \
	    ! -name 'LICENSE*' ! -name '*.txt' -print0 | sort -z)
	is "${bad:-none}" none "$set: $files files parse and store cleanly"
done
is "$(desk_sql 'PRAGMA integrity_check')" ok "the store is intact after the corpus"

done_testing
tap_status
