# lib.sh - what bench/run.sh and bench/compare.sh share (sourced after
# tests/lib/desk.sh, with top, tmp, n and say set): the helpers built,
# a base store with customers and the tickets the replies answer, and
# N generated messages.
#
#   bench_setup     builds $tmp/{floor,drive,lmtp-drive,genmail}; $tmp/base is the
#                   store (base_conf, base_tickets, base_in), $tmp/mail.list
#                   drive's list of $n messages (mail_bytes in all)
#   fresh_desk NAME a copy of the base store in $tmp/run-NAME: sets
#                   run_conf and run_db
#   fresh_floor     an empty floor store, $tmp/floor.db

bench_setup() {
	# the helpers, built as deskgate is (-O2)
	local cc=${CC:-cc} i lang name email
	say "bench: building the floor, the driver and the mail generator"
	# shellcheck disable=SC2046
	$cc -O2 -g -o "$tmp/floor" "$top/bench/floor.c" \
	    $(pkg-config --cflags --libs gmime-3.0 sqlite3 libpcre2-8)
	$cc -O2 -o "$tmp/drive" "$top/bench/drive.c"
	$cc -O2 -pthread -o "$tmp/lmtp-drive" "$top/bench/lmtp-drive.c"
	$cc -O2 -o "$tmp/genmail" "$top/bench/genmail.c"

	# the base store: customers and the tickets the replies answer
	say "bench: setting up a store with customers and tickets"
	desk_setup "$tmp/base"
	base_conf=$DESK_CONF
	ncust=$(( n / 12 < 20 ? 20 : n / 12 ))
	: > "$tmp/customers.tsv"
	for i in $(seq 1 "$ncust"); do
		if [ $((i % 3)) -eq 0 ]; then
			lang=ru name="Иван Петров $i"
		else
			lang=en name="Bob Smith $i"
		fi
		email="c$i@customer$((i % 17)).example"
		desk_ctl customer add "$email" --name "$name" --lang "$lang" > /dev/null
		desk_ctl license add "$email" --product cs-cart --kind first > /dev/null
		printf '%s\t%s\t%s\n' "$email" "$lang" "$name" >> "$tmp/customers.tsv"
	done
	mkdir "$tmp/first"
	"$tmp/genmail" -n "$((ncust * 2))" -s 1 -o "$tmp/first" \
	    -c "$tmp/customers.tsv" -D desk.test > "$tmp/first.list"
	"$tmp/drive" "$tmp/first.list" -- "$DESKGATE" -c "$base_conf" -f %f -- %r \
	    > /dev/null 2> "$tmp/first.total"
	desk_sql "SELECT o.ticket_id, c.email, o.reply_to, o.env_from,
	    o.message_id, t.subject, t.lang FROM outbox o
	    JOIN tickets t ON t.id = o.ticket_id
	    JOIN customers c ON c.id = t.customer_id
	    WHERE o.kind = 'ack' ORDER BY o.id" |
	    tr '|' '\t' > "$tmp/tickets.tsv"
	[ -s "$tmp/tickets.tsv" ] ||
	    { echo "bench: the first requests opened no ticket" >&2; exit 1; }
	desk_sql "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
	base_tickets=$(desk_sql "SELECT count(*) FROM tickets")
	base_in=$(desk_sql "SELECT count(*) FROM messages WHERE direction = 'in'")

	# the messages
	mkdir "$tmp/mail"
	"$tmp/genmail" -n "$n" -s 2 -o "$tmp/mail" -c "$tmp/customers.tsv" \
	    -t "$tmp/tickets.tsv" -D desk.test > "$tmp/mail.list"
	mail_bytes=$(cat "$tmp"/mail/*.eml | wc -c)
}

# a fresh copy of the base store for a deskgate run: sets run_conf, run_db
fresh_desk() {
	local d=$tmp/run-$1
	rm -rf "$d"
	mkdir -p "$d"
	cp "$tmp/base/desk.db" "$d/desk.db"
	sed "s|$tmp/base/|$d/|" "$base_conf" > "$d/deskgate.conf"
	run_conf=$d/deskgate.conf run_db=$d/desk.db
}
fresh_floor() {
	rm -f "$tmp/floor.db"*
	"$tmp/floor" -i "$tmp/floor.db"
}

