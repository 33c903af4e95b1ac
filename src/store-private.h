/*
 * store-private.h - what the store-*.c files share; not for callers.
 */
#ifndef DESK_STORE_PRIVATE_H
#define DESK_STORE_PRIVATE_H

#include <stdbool.h>
#include <sqlite3.h>

#include "store.h"
#include "store-sql.h"

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmts[SQL_COUNT];
	bool batch;		/* store_batch_begin: begin/commit are savepoints */
};

/*
 * store_stmt - statement S, prepared on first use and ready to bind.
 * NULL with ERROR set on failure. (transfer none)
 */
sqlite3_stmt *store_stmt(struct store *store, enum store_stmt s,
    GError **error);

/* store_stmt_done - reset ST and clear its bindings for the next use. */
void store_stmt_done(sqlite3_stmt *st);

/*
 * store_fail - set ERROR from the connection's last error, classified:
 * busy, locked, full, I/O and the like are DESK_ERROR_TEMP; a UNIQUE
 * violation is DESK_ERROR_EXISTS; the rest DESK_ERROR_PERM.
 */
void store_fail(struct store *store, GError **error, const char *what);

/* Run ST (bound) expecting no rows; 0 or -1. Resets ST either way. */
int store_step_done(struct store *store, sqlite3_stmt *st, const char *what,
    GError **error);

/* A copy of column I, NULL when SQL NULL. (transfer full) */
char *store_column_dup(sqlite3_stmt *st, int i);

/* Bind a C string or SQL NULL. */
int store_bind_text(sqlite3_stmt *st, int i, const char *s);

/*
 * store_blob_fill - copy SIZE bytes from FD into column COLUMN of row
 * ROWID of TABLE, a zeroblob of that size, in bounded chunks.
 */
int store_blob_fill(struct store *store, const char *table,
    const char *column, int64_t rowid, int fd, int64_t size, GError **error);

#endif
