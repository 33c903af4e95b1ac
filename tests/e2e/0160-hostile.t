#!/bin/bash
# 0160-hostile.t - hostile mail (issue 11, parts 4 and 5): hand-made nasty
# cases, generated here (python3 and printf; nothing big is in the repo),
# each piped into deskgate as pipe(8) would, under /usr/bin/time.
#
# For every case: deskgate exits 0, in bounded time, the message is
# stored with its raw bytes complete (compared with cmp), a [limits] key
# that applies is named in the flags (over-limit, over-limit:KEY) and in
# an over-limit audit entry, and the peak RSS and the time are printed
# (a "# figures" line) and bounded: the case fails above 64 MB of RSS or
# above [desk] time_limit. The cases:
#
#   structure   100,000 nested MIME parts, 10,000 parts, 50,000 header
#               fields, a 1 MB header line (Subject, X-header, a
#               Content-Type of 100,000 parameters), 24 MB of header
#               fields, a 20 MB text part, an attachment over
#               max_attachment_size (the test's [limits] lowers it)
#   bytes       NUL bytes in names, addresses, file names and text;
#               invalid UTF-8 and bogus charsets
#   identity    encoded-word tricks in From (an encoded address, a name
#               hiding <support@desk.test> or the customer's address,
#               two From fields, a From list)
#   files       attachment names ../../etc/passwd, con.txt, with control
#               characters, 10,000 characters long, from the customer and
#               in an engineer's answer (which the customer receives)
#   headers     CRLF injection aimed at the notices' headers: a Subject
#               with encoded CR LF and Bcc:, a From name with CR LF, a
#               file name with CR LF (each outbox message is parsed: no
#               Bcc, one recipient, one line each)
#   tokens      a reply token for another ticket, another role (the
#               customer at the staff address, the engineer at the
#               customer's), a confirmation address with the serial or the
#               ticket changed, a confirmation from a stranger, a replayed
#               confirmation, an engineer's command in quoted text
#
# Nothing here needs the shared corpus or postfix.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

command -v python3 > /dev/null || plan_skip "python3 is needed to make the cases"
[ -x /usr/bin/time ] || plan_skip "/usr/bin/time (Debian package time) is needed"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DESK_MAIL=$tmp/m.eml
cases=$tmp/cases
mkdir -p "$cases"

TIME_LIMIT=60		# [desk] time_limit of this desk
RSS_LIMIT_KB=65536	# 64 MB
# AddressSanitizer's shadow memory and quarantine multiply the heap: the
# sanitizer build is held to four times the bound, and says so
if ldd "$DESKGATE" 2>/dev/null | grep -q libasan; then
	RSS_LIMIT_KB=$((4 * 65536))
fi
NOTIFY=engineers@vendor.example
ALICE="Alice Engineer <alice@vendor.example>"
QUOTE_HEADER="On Thu, 26 Nov 2026 at 10:00, Help Desk <support@desk.test> wrote:"

desk_setup "$tmp/desk" "time_limit = $TIME_LIMIT" \
    "[staff]" "notify = $NOTIFY" \
    "[limits]" "max_attachment_size = 1M"
desk_ctl staff add alice@vendor.example --name "Alice Engineer" > /dev/null
desk_customer bob@customer.test --name "Bob Customer"
desk_customer carol@customer.test --name "Carol Customer"

# ---- observing ----

ob() {
	local f=$1; shift
	{ desk_ctl outbox list --json 2> /dev/null || echo '[]'; } |
	    jq -r "$@" "$f" 2> /dev/null || true
}
# item T KIND FIELD [first|last]: FIELD of ticket T's outbox item of KIND
item() {
	ob "[.[] | select(.ticket == \$t and .kind == \$k)] | ${4:-last} | .$3 // empty" \
	    --argjson t "${1:-0}" --arg k "$2"
}
tk() {
	local t=${1:-0} f=$2; shift 2
	{ desk_ctl ticket show "$t" --json 2> /dev/null || echo '{}'; } |
	    jq -r "$@" "$f" 2> /dev/null || true
}
status_of() { tk "$1" '.status // empty'; }
ticket_of() {
	{ desk_ctl ticket list --json 2> /dev/null || echo '[]'; } |
	    jq -r --arg c "$1" --arg s "$2" \
	    '[.[] | select(.customer == $c and .subject == $s) | .id] | max // 0' \
	    2> /dev/null || echo 0
}
tickets_of() {
	{ desk_ctl ticket list --json 2> /dev/null || echo '[]'; } |
	    jq -r --arg c "$1" '[.[] | select(.customer == $c)] | length' \
	    2> /dev/null || echo 0
}
balance() {
	{ desk_ctl credits show "$1" --json 2> /dev/null || echo '{}'; } |
	    jq -r '.balance // empty' 2> /dev/null || true
}
ledger_rows() {
	{ desk_ctl credits show "$1" --json 2> /dev/null || echo '{}'; } |
	    jq -r --argjson t "${2:-0}" '[.ledger[]? | select(.ticket == $t)] | length' \
	    2> /dev/null || echo 0
}
# msg_field MSGID COLUMN: a column of the inbound message MSGID
msg_field() {
	desk_sql "SELECT $2 FROM messages WHERE direction = 'in' AND message_id = '$1' ORDER BY id DESC LIMIT 1" 2> /dev/null || true
}
msg_count() {
	desk_sql "SELECT count(*) FROM messages WHERE direction = 'in' AND message_id = '$1'" 2> /dev/null || echo 0
}
audit_of() {
	desk_sql "SELECT count(*) FROM audit WHERE action = '$1' AND detail LIKE '%$2%'" 2> /dev/null || echo 0
}
has_flag() { case ",$1," in *",$2,"*) return 0 ;; esac; return 1; }

# raw_is MSGID FILE: the stored raw bytes of MSGID are FILE's, all of them
raw_is() {
	local row
	row=$(msg_field "$1" id)
	[ -n "$row" ] || return 1
	rm -f "$tmp/raw.out"
	desk_sql "SELECT writefile('$tmp/raw.out', raw) FROM message_raw WHERE message_row = $row" > /dev/null
	cmp -s "$tmp/raw.out" "$2"
}

# ---- delivering, measured ----

# hostile NAME SENDER RCPT FILE [FLAG...]: deliver FILE under /usr/bin/time;
# checks exit 0, the bounds, the raw stored whole (FILE's Message-ID is
# <NAME@hostile.test>) and each FLAG among the message's flags
figures=""
hostile() {
	local name=$1 sender=$2 rcpt=$3 file=$4 rc rss el size flags f
	shift 4
	size=$(wc -c < "$file")
	set +e
	/usr/bin/time -f '%M %e' -o "$tmp/time" "$DESKGATE" -c "$DESK_CONF" \
	    -f "$sender" -- "$rcpt" < "$file" > "$tmp/out" 2>&1
	rc=$?
	set -e
	read -r rss el < <(tail -n 1 "$tmp/time")
	DESK_RC=$rc
	DESK_OUT=$(cat "$tmp/out")
	figures="$figures$(printf '%-26s %9d bytes  exit %2d  %6d KB  %6s s' \
	    "$name" "$size" "$rc" "$rss" "$el")
"
	diag "figures: $name: $size bytes, exit $rc, peak RSS $rss KB, $el s"
	is "$rc" 0 "$name: deskgate exits 0${DESK_OUT:+ ($DESK_OUT)}"
	check "$name: peak RSS $rss KB is at most $((RSS_LIMIT_KB / 1024)) MB" [ "$rss" -le "$RSS_LIMIT_KB" ]
	check "$name: $el s is within time_limit ($TIME_LIMIT s)" \
	    awk -v e="$el" -v l="$TIME_LIMIT" 'BEGIN { exit !(e + 0 <= l + 0) }'
	is "$(msg_count "$name@hostile.test")" 1 "$name: stored once"
	check "$name: the raw message is stored complete ($size bytes)" \
	    raw_is "$name@hostile.test" "$file"
	flags=$(msg_field "$name@hostile.test" flags)
	for f in "$@"; do
		check "$name: flagged $f (flags: $flags)" has_flag "$flags" "$f"
	done
}

# a mail's header for the cases made by hand
head_of() { # NAME FROM [SUBJECT]
	printf 'From: %s\nTo: support@desk.test\nSubject: %s\nDate: Thu, 26 Nov 2026 10:00:00 +0000\nMessage-ID: <%s@hostile.test>\nMIME-Version: 1.0\n' \
	    "$2" "${3:-hostile $1}" "$1"
}

# ==== 1: structure: limits, memory and time ====

python3 - "$cases" <<'PY'
import base64, os, random, sys

out = sys.argv[1]
random.seed(160)

def head(name, extra="", subject=None):
    return ("From: Bob Customer <bob@customer.test>\nTo: support@desk.test\n"
            "Subject: %s\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n"
            "Message-ID: <%s@hostile.test>\nMIME-Version: 1.0\n%s"
            % (subject if subject is not None else "hostile " + name, name, extra))

def write(name, text):
    with open(os.path.join(out, name + ".eml"), "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())

# 100,000 nested multiparts, the text at the bottom
n = 100000
parts = [head("nested")]
for i in range(n):
    parts.append("Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i))
parts.append("Content-Type: text/plain\n\nthe deepest text\n")
for i in range(n - 1, -1, -1):
    parts.append("--b%d--\n" % i)
write("nested", "".join(parts))

# 10,000 parts: a text and 9,999 files
parts = [head("parts", "Content-Type: multipart/mixed; boundary=m\n\n"),
         "--m\nContent-Type: text/plain\n\nmany files attached\n"]
for i in range(9999):
    parts.append("--m\nContent-Type: application/octet-stream; name=f%d.bin\n\nx\n" % i)
parts.append("--m--\n")
write("parts", "".join(parts))

# 50,000 header fields
write("headers", head("headers", "".join("X-Header-%d: value %d\n" % (i, i)
                                         for i in range(50000)))
      + "Content-Type: text/plain\n\nafter 50,000 header fields\n")

# a 1 MB header line: a Subject of words, an X- field without a blank,
# a Content-Type of 100,000 parameters (GMime: the square of its length)
write("subject-1m", head("subject-1m", subject="word " * (200 * 1024))
      + "Content-Type: text/plain\n\na 1 MB subject\n")
write("xheader-1m", head("xheader-1m", "X-Long: " + "a" * (1024 * 1024) + "\n")
      + "Content-Type: text/plain\n\na 1 MB header line\n")
write("params-1m", head("params-1m", "Content-Type: text/plain; "
      + "; ".join("p%d=v" % i for i in range(100000)) + "\n")
      + "\na Content-Type of 100,000 parameters\n")

# 24 MB of 16 KB header fields (max_header_size)
field = "X-Filler: " + "a" * 16300 + "\n"
write("header-bytes", head("header-bytes", field * 1500) + "\nbody\n")

# a 20 MB text part (max_text_size), base64
words = ["the", "shop", "order", "cart", "payment", "error", "please",
         "help", "checkout", "price"]
text = " ".join(random.choice(words) for _ in range(3300000))[:15000000]
write("text-20m", head("text-20m", "Content-Type: text/plain; charset=utf-8\n"
                       "Content-Transfer-Encoding: base64\n\n")
      + base64.encodebytes(text.encode()).decode())

# a 2 MB attachment over max_attachment_size (1M here), and a small one
blob = bytes(random.getrandbits(8) for _ in range(2 * 1024 * 1024))
write("big-file", head("big-file", "Content-Type: multipart/mixed; boundary=m\n\n")
      + "--m\nContent-Type: text/plain\n\nthe dump is attached\n"
      + "--m\nContent-Type: application/zip; name=dump.zip\n"
      + "Content-Transfer-Encoding: base64\n\n"
      + base64.encodebytes(blob).decode()
      + "--m\nContent-Type: text/csv; name=small.csv\n\na,b\n"
      + "--m--\n")

# NUL bytes in names and addresses, in a file name and in the text
write("nul", b"From: \"Bob\x00Evil\" <bob@customer.test\x00.evil.test>\n"
      b"To: support@desk.test\x00, x@evil.test\n"
      b"Subject: nul\x00here\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n"
      b"Message-ID: <nul@hostile.test>\nMIME-Version: 1.0\n"
      b"Content-Type: multipart/mixed; boundary=b\n\n"
      b"--b\nContent-Type: text/plain\n\nhel\x00lo\n"
      b"--b\nContent-Type: application/octet-stream; name=\"a\x00b.txt\"\n\nx\n"
      b"--b--\n")
write("nul-address", b"From: bob@customer.test\x00@evil.test\n"
      b"To: support@desk.test\nSubject: nul in the address\n"
      b"Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
      b"Message-ID: <nul-address@hostile.test>\n\nhello\n")

# invalid UTF-8 and bogus charsets
write("charsets", (head("charsets",
      "Content-Type: multipart/mixed; boundary=c\n",
      subject="=?x-bogus-42?B?SGVsbG8=?= =?utf-8?B?/w==?= \xff\xfe") + "\n"
      "--c\nContent-Type: text/plain; charset=x-bogus-42\n"
      "Content-Transfer-Encoding: 8bit\n\n\xcf\xf0\xe8\xe2\xe5\xf2 \xff\xfe\n"
      "--c\nContent-Type: text/plain; charset=utf-8\n\n\xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80\n"
      "--c\nContent-Type: text/plain; charset=utf-7\n\n+ADw-script+AD4-\n"
      "--c\nContent-Type: text/plain; charset=\"\"\n\n\x80\x81\n"
      "--c--\n").encode("latin-1"))
PY

hostile nested bob@customer.test support@desk.test "$cases/nested.eml" \
    over-limit over-limit:max_depth over-limit:max_parts
hostile parts bob@customer.test support@desk.test "$cases/parts.eml" \
    over-limit over-limit:max_parts over-limit:max_attachments
is "$(desk_sql "SELECT count(*) FROM attachments WHERE message_row = $(msg_field parts@hostile.test id)")" \
    100 "parts: 100 attachments kept (max_attachments)"
hostile headers bob@customer.test support@desk.test "$cases/headers.eml" \
    over-limit over-limit:max_headers
hostile subject-1m bob@customer.test support@desk.test "$cases/subject-1m.eml" \
    over-limit over-limit:max_header_line
check "subject-1m: the stored subject is at most 16 KB ($(msg_field subject-1m@hostile.test 'length(subject)'))" \
    [ "$(msg_field subject-1m@hostile.test 'length(subject)')" -le 16384 ]
T=$(ticket_of bob@customer.test "$(msg_field subject-1m@hostile.test subject)")
check "subject-1m: the acknowledgment's Subject is one short line" \
    eval '[ "$T" -gt 0 ] && [ "$(item "$T" ack subject | wc -c)" -le 260 ]'
hostile xheader-1m bob@customer.test support@desk.test "$cases/xheader-1m.eml" \
    over-limit over-limit:max_header_line
hostile params-1m bob@customer.test support@desk.test "$cases/params-1m.eml" \
    over-limit over-limit:max_header_line
hostile header-bytes bob@customer.test support@desk.test "$cases/header-bytes.eml" \
    over-limit over-limit:max_header_size
hostile text-20m bob@customer.test support@desk.test "$cases/text-20m.eml" \
    over-limit over-limit:max_text_size
is "$(msg_field text-20m@hostile.test 'length(text)')" 2097152 \
    "text-20m: 2 MiB of text kept (max_text_size)"
hostile big-file bob@customer.test support@desk.test "$cases/big-file.eml" \
    over-limit over-limit:max_attachment_size
is "$(desk_sql "SELECT group_concat(filename) FROM attachments WHERE message_row = $(msg_field big-file@hostile.test id)")" \
    small.csv "big-file: the small file is kept, the 2 MB one (over 1M) is not"
check "big-file: the audit entry names the file not kept" \
    [ "$(audit_of over-limit 'max_attachment_size: 1 attachment larger than 1048576 bytes not kept (the first: dump.zip)')" -ge 1 ]
check "big-file: the engineers' announcement says not all was read" \
    eval 'T=$(msg_field big-file@hostile.test ticket_id); item "$T" announce body | grep -q "NOT ALL READ: over \[limits\] max_attachment_size"'
check "over-limit: every over-limit message has an audit entry saying the raw is whole" \
    [ "$(desk_sql "SELECT count(*) FROM audit WHERE action = 'over-limit' AND detail LIKE '%the raw message is stored whole'")" \
    -eq "$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'in' AND ',' || flags || ',' LIKE '%,over-limit,%'")" ]

hostile nul bob@customer.test support@desk.test "$cases/nul.eml"
hostile nul-address x@evil.test support@desk.test "$cases/nul-address.eml"
hostile charsets bob@customer.test support@desk.test "$cases/charsets.eml"
T=$(msg_field charsets@hostile.test ticket_id)
tk "$T" . > "$tmp/charsets.json"
check "charsets: deskctl ticket show --json is strict JSON (valid UTF-8, no raw controls)" \
    python3 "$top_srcdir/tests/lib/json-strict.py" "$tmp/charsets.json"
check "charsets: the text was read, not dropped ($(msg_field charsets@hostile.test 'length(text)') bytes)" \
    [ "$(msg_field charsets@hostile.test 'length(text)')" -gt 10 ]

# ==== 2: identity: encoded-word tricks in From ====

enc() { printf '%s' "$1" | base64 -w0; }
from_case() { # NAME FROM-FIELD...
	local name=$1 f
	shift
	{
		for f in "$@"; do echo "From: $f"; done
		echo "To: support@desk.test"
		echo "Subject: hostile $name"
		echo "Date: Thu, 26 Nov 2026 10:00:00 +0000"
		echo "Message-ID: <$name@hostile.test>"
		echo
		echo "Please open a ticket for me."
	} > "$cases/$name.eml"
}
bob_tickets=$(tickets_of bob@customer.test)
from_case from-encoded-addr "=?utf-8?b?$(enc bob@customer.test)?="
from_case from-name-desk "=?utf-8?b?$(enc 'Support <support@desk.test>')?= <evil@evil.test>"
from_case from-name-customer "=?utf-8?b?$(enc 'Bob Customer <bob@customer.test>')?= <evil@evil.test>"
from_case from-encoded-desk "=?utf-8?b?$(enc '<support@desk.test>')?="
from_case from-two "Evil <evil@evil.test>" "Bob Customer <bob@customer.test>"
from_case from-list "Evil <evil@evil.test>, Bob Customer <bob@customer.test>"
for c in from-encoded-addr from-name-desk from-name-customer from-encoded-desk \
    from-two from-list; do
	hostile "$c" evil@evil.test support@desk.test "$cases/$c.eml"
	check "$c: not taken for the customer (From read as '$(msg_field "$c@hostile.test" from_addr)')" \
	    eval '[ "$(msg_field "$c@hostile.test" from_addr)" != bob@customer.test ] &&
	    [ "$(msg_field "$c@hostile.test" from_addr)" != support@desk.test ] &&
	    [ -z "$(msg_field "$c@hostile.test" ticket_id)" ]'
done
is "$(tickets_of bob@customer.test)" "$bob_tickets" \
    "From tricks: no ticket opened in the customer's name"
is "$(ob '[.[] | select(.to == "support@desk.test" or .to == "bob@customer.test") | select(.subject | test("from-"))] | length')" 0 \
    "From tricks: nothing queued to the desk's own address or to the customer"
is "$(ob '[.[] | select(.to != "evil@evil.test") | select(.subject | test("hostile from-"))] | length')" 0 \
    "From tricks: a notice goes only to the envelope sender"

# ==== 3: CRLF injection aimed at the notices' headers ====

{
	echo "From: =?utf-8?q?Bob=0D=0ABcc=3A_victim1=40evil=2Etest?= <bob@customer.test>"
	echo "To: support@desk.test"
	echo "Subject: =?utf-8?q?Hello=0D=0ABcc=3A_victim2=40evil=2Etest=0D=0A=0D=0Ainjected_body?="
	echo "Date: Thu, 26 Nov 2026 10:00:00 +0000"
	echo "Message-ID: <crlf@hostile.test>"
	echo "References: <ref1@hostile.test>"
	echo
	echo "The CR LF of this mail's header must reach no notice's header."
} > "$cases/crlf.eml"
hostile crlf bob@customer.test support@desk.test "$cases/crlf.eml"
T_CRLF=$(msg_field crlf@hostile.test ticket_id)

# headers_ok FILE...: each outbox message parses with exactly one To
# address, no Bcc or Cc field, no recipient at evil.test (a display name
# may say anything: it is quoted), no bare LF, the injected text in no
# field of its own
cat > "$tmp/headers_ok.py" <<'PY'
import email, email.policy, sys
bad = 0
for path in sys.argv[1:]:
    raw = open(path, "rb").read()
    head = raw.split(b"\r\n\r\n", 1)[0]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    why = []
    names = [l.split(b":", 1)[0].lower() for l in head.split(b"\r\n")
             if l and l[:1] not in (b" ", b"\t")]
    for n in (b"bcc", b"cc"):
        if n in names:
            why.append("has %s" % n.decode())
    for field in ("To", "Cc", "Bcc"):
        for value in msg.get_all(field) or []:
            for a in value.addresses:
                if "evil.test" in a.addr_spec:
                    why.append("%s is sent to %s" % (field, a.addr_spec))
    to = msg.get_all("To") or []
    if len(to) != 1 or len(msg["To"].addresses) != 1:
        why.append("To is not one address: %r" % to)
    if b"\n" in head.replace(b"\r\n", b""):
        why.append("a bare LF in the header")
    if b"injected" in head and b"Subject:" not in [l[:8] for l in head.split(b"\r\n") if b"injected" in l]:
        why.append("the injected text reaches a header field of its own")
    if why:
        bad += 1
        print("%s: %s" % (path, "; ".join(why)))
sys.exit(1 if bad else 0)
PY
outbox_raws() { # T: ticket T's outbox messages, one file each
	local id n=0
	for id in $(ob '.[] | select(.ticket == $t) | .id' --argjson t "${1:-0}"); do
		desk_sql "SELECT writefile('$tmp/outbox-$id.eml', raw) FROM outbox WHERE id = $id" > /dev/null
		echo "$tmp/outbox-$id.eml"
		n=$((n + 1))
	done
}
crlf_raws=$(outbox_raws "$T_CRLF")
check "crlf: ticket $T_CRLF queued notices ($(echo $crlf_raws | wc -w))" [ -n "$crlf_raws" ]
check "crlf: no notice of ticket $T_CRLF has an injected header (Bcc, a second To, a bare LF)" \
    python3 "$tmp/headers_ok.py" $crlf_raws
check "crlf: the stored subject is one line" \
    eval '[ "$(msg_field crlf@hostile.test subject | wc -l)" -eq 1 ]'

# ==== 4: attachment names, from the customer ====

python3 - "$cases" <<'PY'
import os, sys, urllib.parse
out = sys.argv[1]
names = [
    ("dotdot", 'name="../../etc/passwd"'),
    ("con", 'name="con.txt"'),
    ("ctl", "name*=utf-8''" + urllib.parse.quote("evil\r\nBcc: x@evil.test\x1b[31m\x07.txt")),
    ("long", 'name="' + "n" * 10000 + '.txt"'),
    ("rtl", "name*=utf-8''" + urllib.parse.quote("invoice\u202etxt.exe")),
]
parts = ["From: Bob Customer <bob@customer.test>\nTo: support@desk.test\n"
         "Subject: hostile files\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n"
         "Message-ID: <files@hostile.test>\nMIME-Version: 1.0\n"
         "Content-Type: multipart/mixed; boundary=f\n\n"
         "--f\nContent-Type: text/plain\n\nfiles with bad names\n"]
for tag, param in names:
    parts.append("--f\nContent-Type: application/octet-stream\n"
                 "Content-Disposition: attachment; %s\n\n%s\n" % (param.replace("name", "filename", 1), tag))
parts.append("--f--\n")
open(os.path.join(out, "files.eml"), "w").write("".join(parts))
PY
hostile files bob@customer.test support@desk.test "$cases/files.eml"
T_FILES=$(msg_field files@hostile.test ticket_id)
is "$(desk_sql "SELECT count(*) FROM attachments WHERE message_row = $(msg_field files@hostile.test id)")" 5 \
    "files: the five files are kept, under the names given"
desk_ctl ticket show "$T_FILES" > "$tmp/files.txt" 2>&1 || true
check "files: deskctl ticket show prints no raw control character" \
    eval '! LC_ALL=C grep -q "[[:cntrl:]]" <(tr -d "\n\t" < "$tmp/files.txt")'
tk "$T_FILES" . > "$tmp/files.json"
check "files: deskctl ticket show --json is strict JSON" \
    python3 "$top_srcdir/tests/lib/json-strict.py" "$tmp/files.json"

# ==== 5: tokens, roles, confirmations, quoted commands ====

# reply FROM ENVELOPE TO SUBJECT MSGID IN-REPLY-TO NEW [QUOTED]: a mail
# client's reply, QUOTED below an "On ... wrote:" line
reply() {
	local from=$1 env=$2 to=$3 subject=$4 id=$5 irt=$6 new=$7 quoted=${8:-}
	{
		echo "From: $from"
		echo "To: $to"
		echo "Subject: $subject"
		echo "Date: Thu, 26 Nov 2026 10:00:00 +0000"
		echo "Message-ID: <$id@hostile.test>"
		[ -z "$irt" ] || { echo "In-Reply-To: <$irt>"; echo "References: <$irt>"; }
		echo "MIME-Version: 1.0"
		echo "Content-Type: text/plain; charset=utf-8"
		echo
		printf '%s\n' "$new"
		if [ -n "$quoted" ]; then
			echo
			echo "$QUOTE_HEADER"
			printf '%s\n' "$quoted" | sed -e 's/^/> /'
		fi
	} > "$cases/$id.eml"
	hostile "$id" "$env" "$to" "$cases/$id.eml"
}
request() { # WHO MSGID SUBJECT: WHO's new request; T is its ticket
	reply "$1 <$1>" "$1" support@desk.test "$3" "$2" "" "Hello, my cart is broken."
	T=$(ticket_of "$1" "$3")
}

request bob@customer.test tok-bob "Bob's cart"
T_BOB=$T
request carol@customer.test tok-carol "Carol's cart"
T_CAROL=$T
check "tokens: two tickets, bob's $T_BOB and carol's $T_CAROL" \
    [ "$T_BOB" -gt 0 -a "$T_CAROL" -gt 0 -a "$T_BOB" != "$T_CAROL" ]
bob_cust=$(item "$T_BOB" ack reply_to first)
bob_staff=$(item "$T_BOB" announce reply_to first)
carol_cust=$(item "$T_CAROL" ack reply_to first)
tok_bob=${bob_cust#*-}; tok_bob=${tok_bob%@*}

# the token of one ticket with the number of another
reply "Bob Customer <bob@customer.test>" bob@customer.test \
    "support+$T_CAROL-$tok_bob@desk.test" "Re: Carol's cart" tok-swap "" "confirm"
check "tokens: bob's token with carol's ticket number files nothing in ticket $T_CAROL (handled as new: ticket $(msg_field tok-swap@hostile.test ticket_id))" \
    [ "$(msg_field tok-swap@hostile.test ticket_id)" != "$T_CAROL" ]
check "tokens: ... and is audited as a bad reply address" \
    [ "$(desk_sql "SELECT count(*) FROM audit WHERE action = 'bad-reply-address'")" -ge 1 ]

# another customer's valid token: filed there as someone else, acts on nothing
reply "Bob Customer <bob@customer.test>" bob@customer.test "$carol_cust" \
    "Re: Carol's cart" tok-other "" "#close
Assessment: agree"
check "tokens: bob at carol's reply address is not carol (author $(msg_field tok-other@hostile.test author))" \
    [ "$(msg_field tok-other@hostile.test author)" != customer ]
check "tokens: ... and closes or pre-approves nothing" \
    eval '[ "$(status_of "$T_CAROL")" != closed ] && [ "$(tk "$T_CAROL" .preapproved)" != true ]'

# the customer at the staff reply address: no engineer's command
reply "Bob Customer <bob@customer.test>" bob@customer.test "$bob_staff" \
    "Re: Bob's cart" tok-staff-role "" "#category 1
#close"
check "tokens: bob's #category 1 / #close to the staff address acts on nothing (status $(status_of "$T_BOB"))" \
    eval '[ "$(status_of "$T_BOB")" != closed ] && [ -z "$(tk "$T_BOB" ".category // empty")" ] &&
    [ "$(ledger_rows bob@customer.test "$T_BOB")" -eq 0 ]'
check "tokens: ... and is not filed as the engineers'" \
    [ "$(msg_field tok-staff-role@hostile.test author)" != staff ]

# the engineer at the customer's reply address: commands are not read there
reply "$ALICE" alice@vendor.example "$bob_cust" "Re: Bob's cart" tok-cust-role "" "#close"
check "tokens: alice's #close to the customer's reply address closes nothing" \
    [ "$(status_of "$T_BOB")" != closed ]

# a confirmation: alice assesses category 2, bob is asked first
reply "$ALICE" alice@vendor.example "$bob_staff" "Re: [#$T_BOB] Bob's cart" conf-assess \
    "$(item "$T_BOB" announce message_id first)" "#category 2

Hello Bob, clear the cache in Administration, Storage.

Best regards"
is "$(status_of "$T_BOB")" awaiting_confirmation "confirm: category 2 waits for bob's confirmation"
confirm=$(item "$T_BOB" confirm reply_to)
like "$confirm" "^support\\+$T_BOB\\.[0-9]+-[0-9a-f]{16}@desk\\.test\$" \
    "confirm: the confirmation address is support+$T_BOB.S-TOKEN"
serial=${confirm#support+$T_BOB.}; serial=${serial%%-*}
ctoken=${confirm#*-}; ctoken=${ctoken%@*}
before=$(balance bob@customer.test)

# forged: the serial changed, the ticket changed, a stranger, a plain "yes"
reply "Bob Customer <bob@customer.test>" bob@customer.test \
    "support+$T_BOB.$((serial + 1))-$ctoken@desk.test" "Re: confirm" conf-serial "" "confirm"
reply "Bob Customer <bob@customer.test>" bob@customer.test \
    "support+$T_CAROL.$serial-$ctoken@desk.test" "Re: confirm" conf-ticket "" "confirm"
reply "Evil <evil@evil.test>" evil@evil.test "$confirm" "Re: confirm" conf-stranger "" "confirm"
reply "Bob Customer <evil@evil.test>" evil@evil.test "$confirm" "Re: confirm" conf-envelope "" "confirm"
is "$(status_of "$T_BOB")/$(balance bob@customer.test)" "awaiting_confirmation/$before" \
    "confirm: a changed serial or ticket, a stranger, a forged From: none confirms, nothing charged"

# the real one, then replayed: charged once
reply "Bob Customer <bob@customer.test>" bob@customer.test "$confirm" "Re: confirm" conf-real "" "confirm"
is "$(status_of "$T_BOB")/$(balance bob@customer.test)" "answered/$((before - 10))" \
    "confirm: bob's own confirmation answers the ticket and charges 10"
reply "Bob Customer <bob@customer.test>" bob@customer.test "$confirm" "Re: confirm" conf-replay "" "confirm"
check "confirm: a second confirmation is filed stale ($(msg_field conf-replay@hostile.test flags))" \
    has_flag "$(msg_field conf-replay@hostile.test flags)" stale-confirmation
set +e
"$DESKGATE" -c "$DESK_CONF" -f bob@customer.test -- "$confirm" < "$cases/conf-real.eml" > /dev/null
rc=$?
set -e
is "$rc/$(msg_count conf-real@hostile.test)" 0/1 "confirm: the same mail delivered again is a duplicate"
is "$(balance bob@customer.test)/$(ledger_rows bob@customer.test "$T_BOB")" "$((before - 10))/1" \
    "confirm: replays charge nothing more: one ledger row"

# an engineer's answer with hostile file names reaches the customer clean
python3 - "$cases" "$bob_staff" "$T_BOB" <<'PY'
import os, sys, urllib.parse
out, to, t = sys.argv[1], sys.argv[2], sys.argv[3]
names = ['"../../etc/passwd"', '"con.txt"', '"AUX.tar.gz"',
         "utf-8''" + urllib.parse.quote("evil\r\nBcc: x@evil.test\x1b[31m.txt"),
         '"' + "n" * 10000 + '.txt"',
         "utf-8''" + urllib.parse.quote("invoice\u202etxt.exe")]
parts = ["From: Alice Engineer <alice@vendor.example>\nTo: %s\n"
         "Subject: Re: [#%s] files\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n"
         "Message-ID: <eng-files@hostile.test>\nMIME-Version: 1.0\n"
         "Content-Type: multipart/mixed; boundary=f\n\n"
         "--f\nContent-Type: text/plain\n\nHere are the files you need.\n" % (to, t)]
for i, n in enumerate(names):
    star = "*" if n.startswith("utf-8''") else ""
    parts.append("--f\nContent-Type: application/octet-stream\n"
                 "Content-Disposition: attachment; filename%s=%s\n\nfile %d\n" % (star, n, i))
parts.append("--f--\n")
open(os.path.join(out, "eng-files.eml"), "w").write("".join(parts))
PY
hostile eng-files alice@vendor.example "$bob_staff" "$cases/eng-files.eml"
answer_id=$(ob '[.[] | select(.ticket == $t and .kind == "answer")] | last | .id // empty' --argjson t "$T_BOB")
check "files: alice's answer with the files is queued to bob" [ -n "$answer_id" ]
desk_sql "SELECT writefile('$tmp/answer.eml', raw) FROM outbox WHERE id = ${answer_id:-0}" > /dev/null
cat > "$tmp/names.py" <<'PY'
import email, email.policy, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
for part in msg.iter_attachments():
    print(part.get_filename())
PY
python3 "$tmp/names.py" "$tmp/answer.eml" > "$tmp/names.txt" 2>&1 || true
diag "the answer's file names: $(cut -c1-40 "$tmp/names.txt" | tr '\n' '|')"
is "$(wc -l < "$tmp/names.txt")" 6 "files: the answer carries the six files"
check "files: no name has a path, a control character or a bidi override" \
    eval '! grep -q "[/\\]" "$tmp/names.txt" && ! LC_ALL=C grep -q "[[:cntrl:]]" <(tr -d "\n" < "$tmp/names.txt") &&
    ! grep -q "$(printf "\342\200\256")" "$tmp/names.txt"'
check "files: ../../etc/passwd is sent as passwd" grep -qx passwd "$tmp/names.txt"
check "files: no name is a Windows device name (con.txt, AUX.tar.gz)" \
    eval '! grep -Eiqx "(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?" "$tmp/names.txt"'
check "files: the 10,000-character name is cut to at most 200 characters" \
    eval '[ "$(awk "{ if (length(\$0) > m) m = length(\$0) } END { print m + 0 }" "$tmp/names.txt")" -le 200 ]'
check "files: the answer has no injected header" python3 "$tmp/headers_ok.py" "$tmp/answer.eml"
check "every notice queued in this test has no injected header" \
    python3 "$tmp/headers_ok.py" $(for t in $(ob '[.[].ticket | select(. != null)] | unique | .[]'); do outbox_raws "$t"; done)

# an engineer's commands in quoted text: read only at the top of the new
# text (the ticket is answered, so an answer alone is a valid reply)
reply "$ALICE" alice@vendor.example "$bob_staff" "Re: [#$T_BOB] Bob's cart" tok-quoted \
    "$(item "$T_BOB" announce message_id first)" "One more hint: clear the browser cache too." "#close
#category 3"
check "quoted: '> #close' and '> #category 3' in alice's quote change nothing (status $(status_of "$T_BOB"), category $(tk "$T_BOB" ".category // empty"))" \
    eval '[ "$(status_of "$T_BOB")" = answered ] && [ "$(tk "$T_BOB" ".category // empty")" = 2 ] &&
    [ "$(ledger_rows bob@customer.test "$T_BOB")" -eq 1 ]'
# the control: the same #close at the top of alice's new text closes
reply "$ALICE" alice@vendor.example "$bob_staff" "Re: [#$T_BOB] Bob's cart" tok-close \
    "$(item "$T_BOB" announce message_id first)" "#close"
is "$(status_of "$T_BOB")" closed \
    "quoted: the control: #close at the top of alice's reply to the staff address closes ticket $T_BOB"

# ==== the figures ====
diag "peak RSS and time per case (limit 64 MB, $TIME_LIMIT s):"
diag "$(printf '%s' "$figures")"
check "the store is intact" eval '[ "$(desk_sql "PRAGMA integrity_check")" = ok ]'

done_testing
tap_status
