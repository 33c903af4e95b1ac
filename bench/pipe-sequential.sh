#!/bin/bash
# pipe-sequential.sh - time per message for N messages piped into deskgate
# one after another, as postfix would (a fresh process per message, a
# store that grows), and the peak memory for one 20 MB message.
#
#   bench/pipe-sequential.sh [BUILD_DIR] [N]
#
# Prints the median, p90, p99 and max of the per-message wall time, the
# machine, and the peak RSS (GNU time) of deskgate on a 20 MB message.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
n=${2:-1000}
export top_srcdir=$top top_builddir=$build
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/desk.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# one sender writes them all: lift the loop limit
desk_setup "$tmp/desk" "loop_limit = 100000"
desk_customer bob@customer.example
desk_customer ivan@magazin.example --lang ru

# three kinds of mail in turn: plain text, HTML with an attachment, Russian
samples=("$(desk_sample 01-question.eml)" "$(desk_sample 03-html-attachment.eml)" \
    "$(desk_sample 02-russian.eml)")
senders=(bob@customer.example bob@customer.example ivan@magazin.example)
mkdir "$tmp/mail"
for i in $(seq 1 "$n"); do
	k=$((i % 3))
	sed "s/^Message-ID: <\(.\)/Message-ID: <bench$i-\1/" "${samples[$k]}" > "$tmp/mail/$i.eml"
done

times=()
for i in $(seq 1 "$n"); do
	k=$((i % 3))
	t0=$EPOCHREALTIME
	"$DESKGATE" -c "$DESK_CONF" -f "${senders[$k]}" -- support@desk.test < "$tmp/mail/$i.eml"
	t1=$EPOCHREALTIME
	times+=("$(( (${t1/./} - ${t0/./}) ))")	# microseconds
done
[ "$(desk_sql 'SELECT count(*) FROM tickets')" -eq "$n" ] ||
    { echo "bench: not every message became a ticket" >&2; exit 1; }

printf '%s\n' "${times[@]}" | sort -n > "$tmp/t"
pick() { sed -n "$(( ($1 * n + 99) / 100 ))p" "$tmp/t"; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
echo "deskgate, $n messages piped in sequence (plain, HTML+attachment, windows-1251 in turn)"
echo "  median $(ms "$(pick 50)"), p90 $(ms "$(pick 90)"), p99 $(ms "$(pick 99)"), max $(ms "$(tail -n 1 "$tmp/t")")"
echo "  store after the run: $(du -h "$tmp/desk/desk.db" | cut -f1) for $n tickets"

# one 20 MB message: a 14.5 MB attachment is 20 MB in base64
{
	sed '/^------=_Part_17_1--$/d' "$(desk_sample 03-html-attachment.eml)" |
	    sed 's/^Message-ID: <a8d9/Message-ID: <big-a8d9/'
	printf '\n------=_Part_17_1\nContent-Type: application/octet-stream; name="dump.bin"\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	head -c 15200000 /dev/urandom | base64
	printf '\n------=_Part_17_1--\n'
} > "$tmp/big.eml"
size=$(wc -c < "$tmp/big.eml")
/usr/bin/time -f '%M %e' -o "$tmp/rss" "$DESKGATE" -c "$DESK_CONF" \
    -f bob@customer.example -- support@desk.test < "$tmp/big.eml"
read -r rss secs < "$tmp/rss"
echo "one message of $(awk -v b="$size" 'BEGIN { printf "%.1f MB", b / 1048576 }'): peak RSS $(awk -v k="$rss" 'BEGIN { printf "%.1f MB", k / 1024 }'), $secs s"
/usr/bin/time -f '%M' -o "$tmp/rss0" "$DESKGATE" -c "$DESK_CONF" \
    -f bob@customer.example -- support@desk.test < "$(desk_sample 01-question.eml)"
echo "  (a 1 KB message, for comparison: peak RSS $(awk -v k="$(cat "$tmp/rss0")" 'BEGIN { printf "%.1f MB", k / 1024 }'))"
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME")"
