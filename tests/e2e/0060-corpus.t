#!/bin/bash
# 0060-corpus.t - the public corpus (../shared/corpus: MIME edge cases,
# broken mail, charsets, denial-of-service traps, bounces, replies) goes
# through "deskctl inspect" and through deskgate itself: each input must
# exit 0 within 10 seconds with valid JSON, and the store must stay
# intact. Under the sanitizer build a report makes the process fail.
#
# What an input is, per set (each line says which and how many):
#   - mails: the files of a set that are messages (.eml, the mails that
#     MimeKit and RT keep without that suffix, mboxes), fed as they are;
#     never LICENSE/COPYING files, expected outputs or tables;
#   - bodies: reply bodies (trim/reply-parser-*/emails/*.txt), HTML
#     replies and signature cases of talon, and the labelled language
#     samples are not mails: each is wrapped in a minimal mail (From,
#     To, Subject, Date, Message-ID, Content-Type) so that inspect and
#     deskgate really see it; the reply texts of the wrapped reply-parser
#     bodies must equal expected/NAME.txt (scored exactly in test-quote);
#   - charset samples (parse/gmime-charsets/filters/NAME.CHARSET.txt):
#     wrapped with their charset; where NAME.utf-8.txt exists, the text
#     deskctl inspect shows must equal it; where that reference holds
#     characters the charset cannot encode (Big5), it must equal what
#     iconv(1) decodes from the sample;
#   - the rest of gmime-charsets is filter and encoding test data (gzip,
#     JPEG, base64, HTML), no mail at all: fed as raw input, which must
#     not crash or be refused either.
# A set with no input is a failure; a set that is absent is a TAP skip.
# Skips as a whole where the corpus is absent (a user's clone has no
# ../shared).
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

corpus=${DESK_CORPUS:-$top_srcdir/../shared/corpus}
[ -d "$corpus" ] || plan_skip "no corpus at $corpus"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desk_setup "$tmp/desk"

# feed FILE NAME: inspect and store FILE; a failure is added to $bad.
# Leaves inspect's JSON in $json.
feed() {
	local f=$1 name=$2 rc
	set +e
	json=$(timeout 10 "$DESKCTL" -c "$DESK_CONF" inspect "$f" 2> "$tmp/err")
	rc=$?
	set -e
	if [ $rc -ne 0 ] || ! printf '%s' "$json" | jq -e '.class' > /dev/null 2>&1; then
		bad="$bad inspect:$name($rc)"
		json=
		return 0
	fi
	set +e
	timeout 10 "$DESKGATE" -c "$DESK_CONF" -f someone@example.org -- \
	    support@desk.test < "$f" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	set -e
	[ $rc -eq 0 ] || bad="$bad deskgate:$name($rc:$(head -c 200 "$tmp/out" "$tmp/err" | tr '\n' ' '))"
}

# wrap FILE TYPE CHARSET: FILE as the body of a minimal mail, in $tmp/wrapped
wrapped=0
wrap() {
	wrapped=$((wrapped + 1))
	{
		printf 'From: Someone <someone@example.org>\nTo: support@desk.test\n'
		printf 'Subject: corpus body %d\n' "$wrapped"
		printf 'Date: Wed, 25 Nov 2026 10:00:00 +0000\n'
		printf 'Message-ID: <wrapped%d@corpus.example>\n' "$wrapped"
		printf 'MIME-Version: 1.0\nContent-Type: %s; charset=%s\n' "$2" "$3"
		printf 'Content-Transfer-Encoding: 8bit\n\n'
		cat "$1"
	} > "$tmp/wrapped"
}

# the corpus README's whitespace normalisation (as test_normalise)
normalise() {
	awk '{ sub(/[ \t\r\f\v]+$/, "") }
	    $0 == "" { blank++; next }
	    { if (n++) printf "%s", (blank ? "\n\n" : "\n"); blank = 0; printf "%s", $0 }
	    END { print "" }'
}

# run_set SET WHAT FIND-ARGS...: feed every file find selects in SET
run_set() {
	local set=$1 what=$2 f
	shift 2
	if [ ! -d "$corpus/$set" ]; then
		skip "$set: not in this corpus"
		return 0
	fi
	bad=""
	files=0
	while IFS= read -r -d '' f; do
		files=$((files + 1))
		feed "$f" "${f#"$corpus"/}"
	done < <(find "$corpus/$set" -type f "$@" -print0 | sort -z)
	[ "$files" -gt 0 ] || bad="no input found"
	is "${bad:-none}" none "$set: $files $what parse and store cleanly"
}

run_set parse/mimekit "mails and mboxes (all but LICENSE and the 2 MIME-tree summaries)" \
    ! -name 'LICENSE*' ! -name '*-summary.txt'
run_set parse/ruby-mail-fixtures "mails (*.eml)" -name '*.eml'
run_set parse/nodemailer-mailparser "mails (*.eml)" -name '*.eml'
run_set parse/rt-emails "mails (emails/*)" -path '*/emails/*'
run_set bounce/sisimai/maildir "bounces (*.eml)" -name '*.eml'
run_set bounce/sisimai/not-bounce "mails (*.eml)" -name '*.eml'
run_set labelled "auto-replies and human mails (*.eml)" -name '*.eml'
run_set trim/talon "replies (*.eml)" -name '*.eml'
run_set parse/gmime-charsets "non-mail files (filter and encoding data, fed raw)" \
    ! -name COPYING ! -path '*/filters/*.*.txt'

# wrap_set SET WHAT TYPE FIND-ARGS...: wrap every file and feed it
wrap_set() {
	local set=$1 what=$2 type=$3 f
	shift 3
	if [ ! -d "$corpus/$set" ]; then
		skip "$set: not in this corpus"
		return 0
	fi
	bad=""
	files=0
	while IFS= read -r -d '' f; do
		files=$((files + 1))
		wrap "$f" "$type" utf-8
		feed "$tmp/wrapped" "${f#"$corpus"/}"
	done < <(find "$corpus/$set" -type f "$@" -print0 | sort -z)
	[ "$files" -gt 0 ] || bad="no input found"
	is "${bad:-none}" none "$set: $files $what, each wrapped in a mail, parse and store cleanly"
}

wrap_set trim/talon "HTML replies (*.html)" text/html -name '*.html'
wrap_set trim/talon "signature bodies (signature/emails/*, no *_sender or *_signature)" \
    text/plain -path '*/signature/emails/*' ! -name '*_sender' ! -name '*_signature'
wrap_set labelled/lang "language samples (*.txt)" text/plain -name '*.txt'

# the reply-parser bodies: stored cleanly, and where expected/NAME.txt
# exists the reply text deskctl inspect shows is that text
for set in trim/reply-parser-github trim/reply-parser-zapier; do
	if [ ! -d "$corpus/$set/emails" ]; then
		skip "$set: not in this corpus"
		skip "$set: not in this corpus"
		continue
	fi
	bad=""
	files=0
	wrong=""
	compared=0
	for f in "$corpus/$set"/emails/*.txt; do
		[ -f "$f" ] || continue
		name=$(basename "$f")
		files=$((files + 1))
		wrap "$f" text/plain utf-8
		feed "$tmp/wrapped" "$set/emails/$name"
		[ -f "$corpus/$set/expected/$name" ] || continue
		compared=$((compared + 1))
		if [ "$(printf '%s\n' "$json" | jq -r '.reply_text // empty' | normalise)" != \
		    "$(normalise < "$corpus/$set/expected/$name")" ]; then
			wrong="$wrong $name"
		fi
	done
	[ "$files" -gt 0 ] || bad="no input found"
	is "${bad:-none}" none "$set: $files reply bodies (emails/*.txt), each wrapped in a mail, parse and store cleanly"
	[ "$compared" -gt 0 ] || wrong="nothing compared"
	is "${wrong:-none}" none "$set: the reply text of $compared of them equals expected/NAME.txt"
done

# charset samples: NAME.CHARSET.txt decodes to NAME.utf-8.txt
set=parse/gmime-charsets
if [ -d "$corpus/$set/filters" ]; then
	bad=""
	wrong=""
	files=0
	compared=0
	lossy=0
	for f in "$corpus/$set"/filters/*.*.txt; do
		[ -f "$f" ] || continue
		base=$(basename "$f" .txt)
		charset=${base##*.}
		ref="$corpus/$set/filters/${base%.*}.utf-8.txt"
		files=$((files + 1))
		wrap "$f" text/plain "$charset"
		feed "$tmp/wrapped" "$set/filters/$base.txt"
		[ "$charset" != utf-8 ] && [ -f "$ref" ] || continue
		compared=$((compared + 1))
		# a reference with characters CHARSET cannot encode (the Big5
		# sample lacks the Japanese-only kanji) is no exact pair: the
		# sample must then decode as glibc's iconv decodes it
		if ! iconv -f utf-8 -t "$charset" < "$ref" > /dev/null 2>&1; then
			lossy=$((lossy + 1))
			iconv -f "$charset" -t utf-8 < "$f" > "$tmp/ref"
		else
			cp "$ref" "$tmp/ref"
		fi
		[ "$(printf '%s\n' "$json" | jq -r '.text // empty' | normalise)" = \
		    "$(normalise < "$tmp/ref")" ] || wrong="$wrong $base.txt"
	done
	[ "$files" -gt 0 ] || bad="no input found"
	is "${bad:-none}" none "$set: $files charset samples (NAME.CHARSET.txt), each wrapped in a mail, parse and store cleanly"
	[ "$compared" -gt 0 ] || wrong="nothing compared"
	is "${wrong:-none}" none "$set: the text of the $compared of them that have a NAME.utf-8.txt is that text (or, for $lossy whose reference holds characters the charset cannot encode, iconv's decoding)"
else
	skip "$set/filters: not in this corpus"
	skip "$set/filters: not in this corpus"
fi

is "$(desk_sql 'PRAGMA integrity_check')" ok "the store is intact after the corpus"

done_testing
tap_status
