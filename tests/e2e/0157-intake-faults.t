#!/bin/bash
# 0157-intake-faults.t - the faults of issue 11 (2) that are not a kill:
# the store's disk full (a small tmpfs where the test may mount one, and
# RLIMIT_FSIZE always), the spool directory missing or no directory, a
# broken config, rule file or template, a store of a newer schema, and
# the store's directory gone. Each delivery must exit 75 with one
# enhanced status line (postfix keeps the mail), leave the store intact
# with nothing of the message in it, and the retry once the fault is
# mended must store it exactly once.
set -eu
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/desk.sh"

tmp=$(mktemp -d)
mounted=
cleanup() {
	[ -z "$mounted" ] || umount "$mounted" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# a mail of about 2 MB: a question with a log attached
big_mail() {
	printf 'From: Bob <bob@customer.example>\nTo: support@desk.test\n'
	printf 'Subject: Import log %s\nMessage-ID: <%s@customer.example>\n' "$1" "$1"
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n'
	printf -- '--b\nContent-Type: text/plain; charset=utf-8\n\n'
	printf 'Hello, the import fails, the log is attached.\n\n'
	printf -- '--b\nContent-Type: application/octet-stream; name="import.log"\n'
	printf 'Content-Transfer-Encoding: base64\n'
	printf 'Content-Disposition: attachment; filename="import.log"\n\n'
	head -c 1500000 /dev/urandom | base64 -w 76
	printf -- '--b--\n'
}

small_mail() {
	printf 'From: Bob <bob@customer.example>\nTo: support@desk.test\n'
	printf 'Subject: Question %s\nMessage-ID: <%s@customer.example>\n\n' "$1" "$1"
	printf 'Hello, the export stops at order %s.\n' "$1"
}

stored() { desk_sql "SELECT count(*) FROM messages WHERE message_id = '$1@customer.example'"; }
intact() { desk_sql "PRAGMA integrity_check"; }

# deferred WHAT ID: the last delivery exited 75 with one 4.x.x line and
# left the store intact without the message
deferred() {
	is "$DESK_RC" 75 "$1: the delivery defers (75)"
	like "$DESK_OUT" '^4\.[0-9]+\.[0-9]+ ' "$1: with one enhanced status line for postfix"
	is "$(printf '%s\n' "$DESK_OUT" | wc -l)/$(intact)/$(stored "$2")" "1/ok/0" \
	    "$1: one line, the store intact, nothing of the message stored"
}

# retried WHAT ID: the retry stored it exactly once
retried() {
	is "$DESK_RC/$(stored "$2")" "0/1" "$1: the retry once it is mended stores the message once"
}

# ---- the disk full: a tmpfs just big enough for the empty store ----
if mkdir -p "$tmp/small" && mount -t tmpfs -o size=1536k tmpfs "$tmp/small" 2>/dev/null; then
	mounted=$tmp/small
	desk_setup "$tmp/small/desk"
	desk_customer bob@customer.example
	small_mail warm | desk_gate bob@customer.example support@desk.test
	is "$DESK_RC" 0 "tmpfs of 1.5 MB: a small mail is stored"
	big_mail tmpfs-full > "$tmp/big-tmpfs.eml"
	TMPDIR=$tmp desk_gate bob@customer.example support@desk.test < "$tmp/big-tmpfs.eml"
	deferred "disk full (tmpfs)" tmpfs-full
	like "$(tail -n 3 "$DESK_DIR/deskgate.log")" 'full|space|disk' "disk full: the log says the disk is full"
	# mended: the operator makes room (here: the tmpfs grows)
	mount -o remount,size=16m "$mounted"
	TMPDIR=$tmp desk_gate bob@customer.example support@desk.test < "$tmp/big-tmpfs.eml"
	retried "disk full (tmpfs)" tmpfs-full
else
	for i in 1 2 3 4 5 6; do
		skip "disk full (tmpfs) $i/6: cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN); the RLIMIT_FSIZE case stands for it"
	done
fi

# ---- the disk full: RLIMIT_FSIZE below what the store must write ----
desk_setup "$tmp/fsize"
desk_customer bob@customer.example
small_mail warm | desk_gate bob@customer.example support@desk.test
big_mail fsize-full > "$tmp/big.eml"
# ulimit -f counts KB in bash: the spool (2 MB) fits, the store's writes do not
limit=$(( $(stat -c %s "$tmp/big.eml") / 1024 + 64 ))
set +e
DESK_OUT=$(ulimit -f "$limit"; "$DESKGATE" -c "$DESK_CONF" -f bob@customer.example -- support@desk.test < "$tmp/big.eml")
DESK_RC=$?
set -e
deferred "file size limit (RLIMIT_FSIZE ${limit} KB)" fsize-full
desk_gate bob@customer.example support@desk.test < "$tmp/big.eml"
retried "file size limit" fsize-full

# ---- the spool directory ----
desk_setup "$tmp/spool"
desk_customer bob@customer.example
small_mail spool-missing > "$tmp/m1.eml"
TMPDIR=$tmp/no-such-dir desk_gate bob@customer.example support@desk.test < "$tmp/m1.eml"
deferred "spool directory missing" spool-missing
desk_gate bob@customer.example support@desk.test < "$tmp/m1.eml"
retried "spool directory missing" spool-missing
touch "$tmp/a-file"
small_mail spool-notdir > "$tmp/m2.eml"
TMPDIR=$tmp/a-file desk_gate bob@customer.example support@desk.test < "$tmp/m2.eml"
deferred "spool directory is a file" spool-notdir
desk_gate bob@customer.example support@desk.test < "$tmp/m2.eml"
retried "spool directory is a file" spool-notdir

# ---- a broken config ----
desk_setup "$tmp/conf"
desk_customer bob@customer.example
cp "$DESK_CONF" "$tmp/conf.good"
printf '[desk\nthis is no key\n' >> "$DESK_CONF"
small_mail conf-broken > "$tmp/m3.eml"
desk_gate bob@customer.example support@desk.test < "$tmp/m3.eml"
deferred "config with a syntax error" conf-broken
like "$DESK_OUT" '^4\.3\.5 ' "config with a syntax error: 4.3.5, the system is not configured right"
cp "$tmp/conf.good" "$DESK_CONF"
desk_gate bob@customer.example support@desk.test < "$tmp/m3.eml"
retried "config with a syntax error" conf-broken

# ---- a broken rule file, a missing template ----
cp -r "$top_srcdir/filters" "$tmp/filters"
cp -r "$top_srcdir/etc/templates" "$tmp/templates"
sed -i "s|^filters = .*|filters = $tmp/filters|; s|^templates = .*|templates = $tmp/templates|" "$DESK_CONF"
cp "$tmp/filters/robots.rules" "$tmp/robots.good"
printf 'subject   header  (?i)unclosed[group\n' >> "$tmp/filters/robots.rules"
small_mail rules-broken > "$tmp/m4.eml"
desk_gate bob@customer.example support@desk.test < "$tmp/m4.eml"
deferred "a rule that does not compile" rules-broken
like "$(tail -n 3 "$DESK_DIR/deskgate.log")" 'robots\.rules' "a rule that does not compile: the log names the file"
cp "$tmp/robots.good" "$tmp/filters/robots.rules"
desk_gate bob@customer.example support@desk.test < "$tmp/m4.eml"
retried "a rule that does not compile" rules-broken

mv "$tmp/templates/en/ack.txt" "$tmp/ack.good"
small_mail template-missing > "$tmp/m5.eml"
desk_gate bob@customer.example support@desk.test < "$tmp/m5.eml"
deferred "the acknowledgment template missing" template-missing
mv "$tmp/ack.good" "$tmp/templates/en/ack.txt"
desk_gate bob@customer.example support@desk.test < "$tmp/m5.eml"
retried "the acknowledgment template missing" template-missing

# ---- a store of a newer schema (a newer deskgate ran migrate) ----
version=$(desk_sql "PRAGMA user_version")
desk_sql "PRAGMA user_version = $((version + 1))"
small_mail schema-newer > "$tmp/m6.eml"
desk_gate bob@customer.example support@desk.test < "$tmp/m6.eml"
is "$DESK_RC" 75 "schema version $((version + 1)), newer than this deskgate's $version: the delivery defers (75)"
like "$(tail -n 3 "$DESK_DIR/deskgate.log")" "schema version $((version + 1))" "newer schema: the log gives the version found"
desk_sql "PRAGMA user_version = $version"
is "$(stored schema-newer)/$(intact)" "0/ok" "newer schema: nothing of the message stored, the store intact"
desk_gate bob@customer.example support@desk.test < "$tmp/m6.eml"
retried "newer schema" schema-newer

# ---- the store's directory gone (a disk not mounted) ----
desk_setup "$tmp/gone"
desk_customer bob@customer.example
mv "$tmp/gone" "$tmp/gone.away"
# the config went with it: point a copy at the missing place
sed "s|$tmp/gone/|$tmp/gone/|" "$tmp/gone.away/deskgate.conf" > "$tmp/gone.conf"
small_mail store-gone > "$tmp/m7.eml"
set +e
DESK_OUT=$("$DESKGATE" -c "$tmp/gone.conf" -f bob@customer.example -- support@desk.test < "$tmp/m7.eml")
DESK_RC=$?
set -e
is "$DESK_RC" 75 "the store's directory missing: the delivery defers (75)"
like "$DESK_OUT" '^4\.[0-9]+\.[0-9]+ ' "the store's directory missing: with an enhanced status line"
mv "$tmp/gone.away" "$tmp/gone"
is "$(stored store-gone)" 0 "the store's directory missing: nothing was created in its place"
desk_gate bob@customer.example support@desk.test < "$tmp/m7.eml"
retried "the store's directory missing" store-gone

done_testing
tap_status
