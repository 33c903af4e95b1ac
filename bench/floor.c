/*
 * floor.c - the least a pipe(8) command with deskgate's design can do
 * for one message: start with GMime, SQLite and PCRE2 linked, parse the
 * message on stdin with GMime, and commit it as one row (the raw bytes
 * too) in a WAL store with synchronous = FULL.
 *
 *	floor DB -f SENDER -- RECIPIENT < MESSAGE
 *	floor -i DB			create the store
 *
 * bench/run.sh measures deskgate against it: the ratio to the floor is
 * what deskgate's own work costs over its design's. stdin must be a file
 * (the bench gives files; deskgate spools a pipe to one first).
 *
 * Bench tool only; it is not installed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sqlite3.h>

static int
fail(sqlite3 *db, const char *what)
{
	printf("4.3.0 floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	return 75;
}

int
main(int argc, char **argv)
{
	const char *sender = "", *rcpt = "";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	sqlite3_blob *blob = NULL;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	const char *msgid;
	char version[32], buf[65536];
	struct stat sb;
	off_t done = 0;
	int i;

	if (argc == 3 && strcmp(argv[1], "-i") == 0) {
		if (sqlite3_open(argv[2], &db) != SQLITE_OK ||
		    sqlite3_exec(db, "PRAGMA journal_mode = WAL;"
		    "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY "
		    "KEY, message_id TEXT, sender TEXT, rcpt TEXT, size "
		    "INTEGER, raw BLOB)", NULL, NULL, NULL) != SQLITE_OK)
			return fail(db, "init");
		sqlite3_close(db);
		return 0;
	}
	if (argc < 2)
		return 75;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			sender = argv[++i];
		else if (strcmp(argv[i], "--") == 0 && i + 1 < argc)
			rcpt = argv[++i];
	}
	/* PCRE2 is linked as deskgate links it, and so needed */
	pcre2_config(PCRE2_CONFIG_VERSION, version);

	g_mime_init();
	if (fstat(0, &sb) < 0)
		return 75;
	stream = g_mime_stream_fs_new(dup(0));
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	msgid = msg ? g_mime_message_get_message_id(msg) : NULL;

	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		return fail(db, "open");
	sqlite3_busy_timeout(db, 30000);
	if (sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) !=
	    SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "begin");
	if (sqlite3_prepare_v2(db, "INSERT INTO messages (message_id, sender,"
	    " rcpt, size, raw) VALUES (?1, ?2, ?3, ?4, zeroblob(?4))", -1, &st,
	    NULL) != SQLITE_OK)
		return fail(db, "prepare");
	sqlite3_bind_text(st, 1, msgid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, sb.st_size);
	if (sqlite3_step(st) != SQLITE_DONE)
		return fail(db, "insert");
	if (sb.st_size > 0) {
		if (sqlite3_blob_open(db, "main", "messages", "raw",
		    sqlite3_last_insert_rowid(db), 1, &blob) != SQLITE_OK)
			return fail(db, "blob");
		while (done < sb.st_size) {
			ssize_t got = pread(0, buf, sizeof(buf), done);

			if (got <= 0)
				return fail(db, "read");
			if (sqlite3_blob_write(blob, buf, (int)got,
			    (int)done) != SQLITE_OK)
				return fail(db, "blob write");
			done += got;
		}
		sqlite3_blob_close(blob);
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "commit");
	sqlite3_close(db);
	if (msg != NULL)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(stream);
	g_mime_shutdown();
	return 0;
}
