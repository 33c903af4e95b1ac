#!/bin/bash
# valgrind-corpus.t - deskgate itself under valgrind's memcheck over real
# mail (issue 11, 6): the shipped samples, the test fixtures, and every
# DESK_VALGRIND_EVERY-th file (10 by default; 1 for all of it) of the
# corpus's parse and bounce sets, in their sorted order, delivered from a
# registered customer to the Help Desk so that the whole path runs
# (parse, classify, trim, identity, ticket, notices). Any memory error or
# definite leak in any delivery fails, named; so does a delivery that
# does not store its mail.
#
# Not part of "make check" (about 3 s a message): "./bootstrap check" runs
# it in its valgrind stage, and "make -C _build check-valgrind-corpus"
# runs it alone.
set -eu
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/desk.sh"

command -v valgrind > /dev/null || plan_skip "valgrind is not installed"
every=${DESK_VALGRIND_EVERY:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

desk_setup "$tmp/desk"
desk_customer bob@customer.example

list=$tmp/list
ls "$top_srcdir"/etc/samples/*.eml "$top_srcdir"/tests/fixtures/mail/*.eml > "$list"
mine=$(wc -l < "$list")
corpus=$top_srcdir/../shared/corpus
from_corpus=0
if [ -d "$corpus/parse" ]; then
	find "$corpus/parse" "$corpus/bounce" -type f ! -name '*.md' \
	    ! -name '*.tsv' ! -name 'LICENSE*' ! -name '*.txt' | LC_ALL=C sort |
	    awk -v n="$every" '(NR - 1) % n == 0' > "$tmp/corpus"
	from_corpus=$(wc -l < "$tmp/corpus")
	cat "$tmp/corpus" >> "$list"
fi

# one delivery: N FILE -> $tmp/N.rc, $tmp/N.vg (valgrind's report)
deliver() {
	local rc=0
	G_SLICE=always-malloc G_DEBUG=gc-friendly valgrind -q \
	    --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite \
	    --suppressions="$top_srcdir/tests/lib/valgrind.supp" \
	    --log-file="$tmp/$1.vg" \
	    "$DESKGATE" -c "$DESK_CONF" -f bob@customer.example -- \
	    support@desk.test < "$2" > "$tmp/$1.out" 2>&1 || rc=$?
	echo "$rc" > "$tmp/$1.rc"
}

before=$(desk_sql "SELECT count(*) FROM messages")
# two at a time (two cores); each message is a distinct delivery
n=0
while read -r f; do
	n=$((n + 1))
	deliver "$n" "$f" &
	[ $((n % 2)) -ne 0 ] || wait
done < "$list"
wait

total=$n bad=0 notstored=0 names="" nsnames=""
n=0
while read -r f; do
	n=$((n + 1))
	rc=$(cat "$tmp/$n.rc")
	case "$rc" in
	99)	bad=$((bad + 1))
		names="$names ${f#"$top_srcdir"/}"
		diag "valgrind on ${f#"$top_srcdir"/}:"
		diag "$(head -n 40 "$tmp/$n.vg")" ;;
	0)	;;
	*)	notstored=$((notstored + 1))
		nsnames="$nsnames ${f#"$top_srcdir"/} (exit $rc: $(head -c 200 "$tmp/$n.out"))" ;;
	esac
done < "$list"
after=$(desk_sql "SELECT count(*) FROM messages")

check "valgrind: $total deliveries ($mine of the project's, $from_corpus of the corpus, every $every-th)" \
    test "$total" -gt "$mine" -o "$from_corpus" -eq 0
[ "$from_corpus" -gt 0 ] || skip "valgrind: no ../shared/corpus here: only the project's $mine mails"
is "$bad" 0 "valgrind: memory errors or definite leaks in $bad of $total deliveries${names:+:$names}"
is "$notstored" 0 "valgrind: $((total - notstored)) of $total deliveries exit 0 (stored)${nsnames:+; not:$nsnames}"
check "valgrind: the store grew by $((after - before)) rows for $total deliveries (a repeated Message-ID is stored once)" \
    test "$after" -gt "$before"
is "$(desk_sql 'PRAGMA integrity_check')" ok "valgrind: the store is intact after $total deliveries"

done_testing
tap_status
