/*
 * store.c - the SQLite connection: opening, pragmas, the statement cache,
 * transactions, error classes and schema versions.
 *
 * Order at open matters: the busy timeout is set before any PRAGMA,
 * because changing the journal mode needs a lock. synchronous = FULL
 * because exit 0 tells postfix to delete its copy of the mail: a commit
 * must survive a power loss.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "store-private.h"
#include "store-schema.h"

static bool
store_code_is_temp(int code)
{
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_NOMEM:
	case SQLITE_PROTOCOL:
	case SQLITE_READONLY:
	case SQLITE_CORRUPT:	/* the mail waits while the DB is repaired */
	case SQLITE_NOTADB:
		return true;
	}
	return false;
}

void
store_fail(struct store *store, GError **error, const char *what)
{
	int code = sqlite3_extended_errcode(store->db);
	enum desk_status status = DESK_ERROR_PERM;

	if (store_code_is_temp(code))
		status = DESK_ERROR_TEMP;
	else if (code == SQLITE_CONSTRAINT_UNIQUE ||
	    code == SQLITE_CONSTRAINT_PRIMARYKEY)
		status = DESK_ERROR_EXISTS;
	g_set_error(error, DESK_ERROR, status, "%s: %s (sqlite %d)", what,
	    sqlite3_errmsg(store->db), code);
}

static struct store *store_open_flags(const char *path,
    int busy_timeout_ms, int flags, GError **error);

struct store *
store_open(const char *path, int busy_timeout_ms, bool create, GError **error)
{
	return store_open_flags(path, busy_timeout_ms, SQLITE_OPEN_READWRITE |
	    (create ? SQLITE_OPEN_CREATE : 0), error);
}

struct store *
store_open_readonly(const char *path, int busy_timeout_ms, GError **error)
{
	return store_open_flags(path, busy_timeout_ms, SQLITE_OPEN_READONLY,
	    error);
}

static struct store *
store_open_flags(const char *path, int busy_timeout_ms, int flags,
    GError **error)
{
	struct store *store = g_new0(struct store, 1);
	bool create = (flags & SQLITE_OPEN_CREATE) != 0;
	int rc;

	store->path = g_strdup(path);
	rc = sqlite3_open_v2(path, &store->db, flags, NULL);
	if (rc != SQLITE_OK) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "cannot open the store %s: %s%s", path,
		    store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc),
		    create ? "" : " (run \"deskctl init\" first?)");
		goto fail;
	}
	sqlite3_extended_result_codes(store->db, 1);
	sqlite3_busy_timeout(store->db, busy_timeout_ms);
	if (sqlite3_exec(store->db, "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = FULL;", NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(store, error, "setting pragmas");
		goto fail;
	}
	if (create && sqlite3_exec(store->db, "PRAGMA journal_mode = WAL;",
	    NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(store, error, "switching to WAL");
		goto fail;
	}
	return store;
fail:
	store_close(store);
	return NULL;
}

void
store_close(struct store *store)
{
	int i;

	if (store == NULL)
		return;
	for (i = 0; i < SQL_COUNT; i++)
		sqlite3_finalize(store->stmts[i]);
	if (store->db != NULL)
		sqlite3_close(store->db);
	g_free(store->path);
	g_free(store);
}

sqlite3_stmt *
store_stmt(struct store *store, enum store_stmt s, GError **error)
{
	if (store->stmts[s] == NULL &&
	    sqlite3_prepare_v3(store->db, store_sql_text(s), -1,
	    SQLITE_PREPARE_PERSISTENT, &store->stmts[s], NULL) != SQLITE_OK) {
		store_fail(store, error, "preparing a statement");
		return NULL;
	}
	return store->stmts[s];
}

void
store_stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int
store_step_done(struct store *store, sqlite3_stmt *st, const char *what,
    GError **error)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_fail(store, error, what);
		store_stmt_done(st);
		return -1;
	}
	store_stmt_done(st);
	return 0;
}

char *
store_column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? g_strdup((const char *)s) : NULL;
}

int
store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static int
store_exec(struct store *store, const char *sql, GError **error)
{
	if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(store, error, sql);
		return -1;
	}
	return 0;
}

/* Run the cached statement S, which returns no rows. */
static int
store_run(struct store *store, enum store_stmt s, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, s, error);

	if (st == NULL)
		return -1;
	return store_step_done(store, st, store_sql_text(s), error);
}

int
store_begin(struct store *store, GError **error)
{
	store_fault_point("before-begin");
	if (store->batch)
		return store_run(store, SQL_SAVEPOINT, error);
	return store_run(store, SQL_BEGIN, error);
}

/* COMMIT, the durable end of a transaction or of a batch. */
static int
store_commit_durable(struct store *store, GError **error)
{
	store_fault_point("before-commit");
	if (store_run(store, SQL_COMMIT, error) < 0) {
		store_rollback(store);
		return -1;
	}
	store_fault_point("after-commit");
	return 0;
}

int
store_commit(struct store *store, GError **error)
{
	if (!store->batch)
		return store_commit_durable(store, error);
	/* durable with the batch's COMMIT (store_batch_commit) */
	if (store_run(store, SQL_RELEASE, error) < 0) {
		store_rollback(store);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *store)
{
	if (sqlite3_get_autocommit(store->db))
		return;
	if (store->batch) {
		/* this message's writes only; the batch goes on */
		if (sqlite3_exec(store->db, "ROLLBACK TO deliver; "
		    "RELEASE deliver", NULL, NULL, NULL) != SQLITE_OK)
			log_warn("rolling back a message of a batch: %s",
			    sqlite3_errmsg(store->db));
		return;
	}
	if (store_run(store, SQL_ROLLBACK, NULL) < 0)
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_batch_begin(struct store *store, GError **error)
{
	store_fault_point("before-begin");
	if (store_run(store, SQL_BEGIN, error) < 0)
		return -1;
	store->batch = true;
	return 0;
}

bool
store_batch_is_broken(const struct store *store)
{
	return store->batch && sqlite3_get_autocommit(store->db);
}

int
store_batch_commit(struct store *store, GError **error)
{
	store->batch = false;
	if (sqlite3_get_autocommit(store->db)) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "the batch's transaction was rolled back by SQLite");
		return -1;
	}
	return store_commit_durable(store, error);
}

void
store_batch_rollback(struct store *store)
{
	store->batch = false;
	store_rollback(store);
}

int
store_data_version(struct store *store, int64_t *version_r, GError **error)
{
	sqlite3_stmt *st = store_stmt(store, SQL_DATA_VERSION, error);

	if (st == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_fail(store, error, "PRAGMA data_version");
		store_stmt_done(st);
		return -1;
	}
	*version_r = sqlite3_column_int64(st, 0);
	store_stmt_done(st);
	return 0;
}

static int
store_user_version(struct store *store, int *version_r, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK) {
		store_fail(store, error, "reading the schema version");
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		store_fail(store, error, "reading the schema version");
		sqlite3_finalize(st);
		return -1;
	}
	*version_r = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int
store_check_version(struct store *store, GError **error)
{
	int version;

	if (store_user_version(store, &version, error) < 0)
		return -1;
	if (version != STORE_SCHEMA_VERSION) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "schema version %d of %s, expected %d: run \"deskctl "
		    "migrate\"", version, store->path, STORE_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

int
store_migrate(struct store *store, GError **error)
{
	const char *const *steps;
	int nsteps = store_schema_steps(&steps), version, i;
	char *set;

	g_assert(nsteps == STORE_SCHEMA_VERSION);
	if (store_begin(store, error) < 0)
		return -1;
	/* Read it inside the transaction: another process may have won. */
	if (store_user_version(store, &version, error) < 0)
		goto fail;
	if (version > nsteps) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_PERM,
		    "%s has schema version %d, newer than this program's %d",
		    store->path, version, nsteps);
		goto fail;
	}
	for (i = version; i < nsteps; i++)
		if (store_exec(store, steps[i], error) < 0)
			goto fail;
	set = g_strdup_printf("PRAGMA user_version = %d", nsteps);
	i = store_exec(store, set, error);
	g_free(set);
	if (i < 0)
		goto fail;
	return store_commit(store, error);
fail:
	store_rollback(store);
	return -1;
}

int
store_integrity_check(struct store *store, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(store->db, "PRAGMA integrity_check", -1, &st,
	    NULL) != SQLITE_OK) {
		store_fail(store, error, "integrity check");
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *answer = (const char *)sqlite3_column_text(st, 0);

		if (answer != NULL && strcmp(answer, "ok") == 0)
			rc = 0;
		else
			g_set_error(error, DESK_ERROR, DESK_ERROR_PERM,
			    "integrity check: %s", answer ? answer : "?");
	} else
		store_fail(store, error, "integrity check");
	sqlite3_finalize(st);
	return rc;
}

int
store_blob_fill(struct store *store, const char *table, const char *column,
    int64_t rowid, int fd, int64_t size, GError **error)
{
	sqlite3_blob *blob = NULL;
	enum { CHUNK = 64 * 1024 };
	char *buf = NULL;
	int64_t done = 0;
	int rc = -1;

	if (size == 0)
		return 0;
	if (sqlite3_blob_open(store->db, "main", table, column, rowid, 1,
	    &blob) != SQLITE_OK) {
		store_fail(store, error, "opening a blob");
		return -1;
	}
	buf = g_malloc(CHUNK);
	while (done < size) {
		size_t want = (size - done) < CHUNK ? (size_t)(size - done) :
		    CHUNK;
		ssize_t got = read(fd, buf, want);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
			    "reading the spool file: %s",
			    got < 0 ? g_strerror(errno) : "short file");
			goto out;
		}
		if (sqlite3_blob_write(blob, buf, (int)got, (int)done) !=
		    SQLITE_OK) {
			store_fail(store, error, "writing a blob");
			goto out;
		}
		done += got;
	}
	rc = 0;
out:
	g_free(buf);
	if (sqlite3_blob_close(blob) != SQLITE_OK && rc == 0) {
		store_fail(store, error, "closing a blob");
		rc = -1;
	}
	return rc;
}

#ifdef DESK_FAULT_INJECTION
/*
 * DESKGATE_FAULT is POINT (the first time the process reaches it) or
 * POINT:N (the N-th time: a plan with several ledger rows or notices
 * passes a point once for each). Only one point is counted, so a static
 * counter is enough.
 */
void
store_fault_point(const char *point)
{
	static unsigned long passed;
	const char *want = getenv("DESKGATE_FAULT"), *colon;
	size_t len;
	unsigned long nth = 1;

	if (want == NULL)
		return;
	colon = strchr(want, ':');
	len = colon != NULL ? (size_t)(colon - want) : strlen(want);
	if (strlen(point) != len || strncmp(want, point, len) != 0)
		return;
	if (colon != NULL && (nth = strtoul(colon + 1, NULL, 10)) == 0)
		nth = 1;
	if (++passed >= nth)
		kill(getpid(), SIGKILL);
}
#endif
