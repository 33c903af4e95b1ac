# bigstore.sh - case (4) of bench/run.sh: a store that already holds
# 1,000,000 messages in 100,000 tickets (sourced after bench/lib.sh).
#
#   big_store       the cached store, made when missing: sets big_db,
#                   big_made (the seconds its generation took, or
#                   "cached") and big_bytes
#   fresh_big NAME  a copy of it in $tmp/run-NAME with the base store's
#                   rows added (their ids as they are): sets run_conf and
#                   run_db, as fresh_desk does
#
# The store is generated once by bench/bigstore.sql (not through deskgate
# one message at a time, which would take hours) and kept in
# BENCH_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/deskgate-bench),
# named after the schema version and a checksum of bigstore.sql's
# statements (its comment lines left out), so that a new schema or a
# changed generator makes it again (and the stale stores are removed).
# It is built in a temporary file and renamed.

big_store() {
	local dir sum version tmpdb idx drop
	dir=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deskgate-bench}
	version=$(sqlite3 -batch "$tmp/base/desk.db" "PRAGMA user_version")
	# the statements, not the comments
	sum=$(grep -v '^--' "$top/bench/bigstore.sql" | cksum | cut -d ' ' -f 1)
	big_db=$dir/store-1M-v$version-$sum.db
	if [ -f "$big_db" ]; then
		big_made=cached
	else
		mkdir -p "$dir"
		say "bench: (4) generating the 1,000,000-message store once: $big_db"
		tmpdb=$big_db.tmp.$$
		rm -f "$tmpdb" "$tmpdb"-*
		sed "s|^path = .*/desk.db\$|path = $tmpdb|" "$base_conf" \
		    > "$tmp/big.conf"
		"$DESKCTL" -c "$tmp/big.conf" init > /dev/null
		big_made=$(date +%s.%N)
		# the indexes are made again after the rows: much faster than
		# keeping them up to date row by row (the UNIQUE constraints'
		# own indexes stay)
		idx=$(sqlite3 -batch "$tmpdb" "SELECT sql || ';' FROM
		    sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
		drop=$(sqlite3 -batch "$tmpdb" "SELECT 'DROP INDEX ' || name
		    || ';' FROM sqlite_master WHERE type = 'index'
		    AND sql IS NOT NULL")
		{
			echo "PRAGMA journal_mode = OFF;"
			echo "PRAGMA synchronous = OFF;"
			echo "PRAGMA cache_size = -1000000;"
			echo "PRAGMA temp_store = FILE;"
			echo "BEGIN;"
			printf '%s\n' "$drop"
			cat "$top/bench/bigstore.sql"
			printf '%s\n' "$idx"
			echo "COMMIT;"
			echo "PRAGMA journal_mode = WAL;"
		} | SQLITE_TMPDIR=$dir sqlite3 -batch -bail "$tmpdb" > /dev/null ||
		    { rm -f "$tmpdb"*; echo "bench: generating the store failed" >&2; exit 1; }
		big_made=$(awk -v a="$big_made" -v b="$(date +%s.%N)" \
		    'BEGIN { printf "%.0f", b - a }')
		[ "$(sqlite3 -batch "$tmpdb" "SELECT count(*) FROM messages")" \
		    -eq 1000000 ] ||
		    { rm -f "$tmpdb"*; echo "bench: the generated store is not 1,000,000 messages" >&2; exit 1; }
		rm -f "$dir"/store-1M-*.db "$dir"/store-1M-*.db-*
		mv "$tmpdb" "$big_db"
		rm -f "$tmpdb"*
		say "bench: (4) generated in $big_made s"
	fi
	big_bytes=$(wc -c < "$big_db")
}

fresh_big() {
	local d=$tmp/run-$1 t over
	rm -rf "$d"
	mkdir -p "$d"
	cp "$big_db" "$d/desk.db"
	sed "s|$tmp/base/|$d/|" "$base_conf" > "$d/deskgate.conf"
	run_conf=$d/deskgate.conf run_db=$d/desk.db
	# the base store's rows beside the history, ids as they are (every
	# id of the history is above 1,000,000; bigstore.sql)
	over=$(sqlite3 -batch "$tmp/base/desk.db" "SELECT
	    (SELECT coalesce(max(id), 0) FROM messages) >= 1000000 OR
	    (SELECT coalesce(max(id), 0) FROM outbox) >= 1000000 OR
	    (SELECT coalesce(max(id), 0) FROM audit) >= 1000000")
	[ "$over" -eq 0 ] ||
	    { echo "bench: the base store is too big to merge" >&2; exit 1; }
	{
		echo "ATTACH '$tmp/base/desk.db' AS base;"
		echo "BEGIN;"
		for t in $(sqlite3 -batch "$tmp/base/desk.db" "SELECT name FROM
		    sqlite_master WHERE type = 'table' AND name NOT LIKE
		    'sqlite_%' ORDER BY rowid"); do
			echo "INSERT INTO main.$t SELECT * FROM base.$t;"
		done
		echo "COMMIT;"
		echo "PRAGMA wal_checkpoint(TRUNCATE);"
	} | sqlite3 -batch -bail "$run_db" > /dev/null
}
