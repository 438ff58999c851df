/*
 * The claims register on SQLite. Every statement is prepared once; every SQLite result is turned
 * into 0 / -1 with a cause here and goes no further (STYLE.md 3).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "record.h"
#include "register.h"
#include "spool.h"
#include "xmalloc.h"

#define BUSY_MS 10000

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS claims ("
    " key TEXT PRIMARY KEY," /* the claim kind and key fields (mapped_claim_key()) */
    " kind TEXT NOT NULL,"   /* the rule's claim kind */
    " fields TEXT NOT NULL," /* the audited fields it was paid with, canonical JSON */
    " claim TEXT NOT NULL,"  /* the claim id of the file that paid it */
    " input TEXT NOT NULL,"  /* that file's name */
    " row INTEGER NOT NULL," /* its row (or page) */
    " paid_at TEXT NOT NULL" /* when it was entered */
    ");"
    "CREATE INDEX IF NOT EXISTS claims_claim ON claims(claim);";

struct reg {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *find, *add;
};

static int
fail(struct reg *g, const char *what, char **cause)
{
	*cause = xasprintf("the claims register %s: %s: %s", g->path, what, sqlite3_errmsg(g->db));
	return -1;
}

void
reg_close(struct reg *g)
{
	if (g == NULL)
		return;
	sqlite3_finalize(g->find);
	sqlite3_finalize(g->add);
	sqlite3_close(g->db);
	free(g->path);
	free(g);
}

struct reg *
reg_open(const char *path, char **cause)
{
	struct reg *g = xcalloc(1, sizeof *g);
	char *dir = xstrdup(path), *slash = strrchr(dir, '/'), *err = NULL;
	const char *remote;

	g->path = xstrdup(path);
	if (slash != NULL)
		*slash = '\0';
	remote = spool_remote_fs(slash != NULL ? dir : ".");
	free(dir);
	if (remote != NULL) {
		*cause = xasprintf("the claims register %s is on %s, where SQLite's locking is not "
		                   "safe: put the state folder on a local disk, or use PostgreSQL",
		                   path, remote);
		reg_close(g);
		return NULL;
	}
	if (sqlite3_open_v2(path, &g->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	        SQLITE_OK ||
	    sqlite3_busy_timeout(g->db, BUSY_MS) != SQLITE_OK) {
		fail(g, "cannot open", cause);
		reg_close(g);
		return NULL;
	}
	if (sqlite3_exec(g->db, schema, NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_prepare_v2(
	        g->db, "SELECT fields, claim, input, row, paid_at FROM claims WHERE key = ?", -1,
	        &g->find, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(g->db,
	                       "INSERT INTO claims (key, kind, fields, claim, input, row, paid_at) "
	                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
	                       -1, &g->add, NULL) != SQLITE_OK) {
		fail(g, "cannot set up", cause);
		sqlite3_free(err);
		reg_close(g);
		return NULL;
	}
	return g;
}

static int
exec(struct reg *g, const char *sql, char **cause)
{
	return sqlite3_exec(g->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(g, sql, cause);
}

int
reg_begin(struct reg *g, char **cause)
{
	/* The write lock now, not at the first insert: one file's look-ups and entries are one. */
	return exec(g, "BEGIN IMMEDIATE", cause);
}

int
reg_commit(struct reg *g, char **cause)
{
	return exec(g, "COMMIT", cause);
}

void
reg_rollback(struct reg *g)
{
	if (!sqlite3_get_autocommit(g->db))
		sqlite3_exec(g->db, "ROLLBACK", NULL, NULL, NULL);
}

static char *
column(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return xstrdup(s != NULL ? (const char *)s : "");
}

int
reg_find(struct reg *g, const char *key, struct reg_entry *e, char **cause)
{
	int rc;

	memset(e, 0, sizeof *e);
	sqlite3_reset(g->find);
	sqlite3_bind_text(g->find, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(g->find)) == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return fail(g, "cannot look a claim up", cause);
	e->fields = column(g->find, 0);
	e->claim = column(g->find, 1);
	e->input = column(g->find, 2);
	e->row = (unsigned long)sqlite3_column_int64(g->find, 3);
	e->paid_at = column(g->find, 4);
	sqlite3_reset(g->find);
	return 1;
}

int
reg_add(struct reg *g, const char *kind, const char *key, const char *fields, const char *claim,
        const char *input, unsigned long row, char **cause)
{
	char now[32];
	int rc;

	audit_now(now);
	sqlite3_reset(g->add);
	sqlite3_bind_text(g->add, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(g->add, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(g->add, 3, fields, -1, SQLITE_STATIC);
	sqlite3_bind_text(g->add, 4, claim, -1, SQLITE_STATIC);
	sqlite3_bind_text(g->add, 5, input, -1, SQLITE_STATIC);
	sqlite3_bind_int64(g->add, 6, (sqlite3_int64)row);
	sqlite3_bind_text(g->add, 7, now, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(g->add);
	sqlite3_reset(g->add);
	return rc == SQLITE_DONE ? 0 : fail(g, "cannot enter a claim", cause);
}

int
reg_reconcile(struct reg *g, const struct history *h, char **cause)
{
	sqlite3_stmt *claims = NULL, *del = NULL;
	char **gone = NULL;
	size_t n = 0, cap = 0, i;
	const char *c;
	int rc = 0;

	if (sqlite3_prepare_v2(g->db, "SELECT DISTINCT claim FROM claims", -1, &claims, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(g->db, "DELETE FROM claims WHERE claim = ?", -1, &del, NULL) !=
	        SQLITE_OK) {
		rc = fail(g, "cannot read", cause);
		goto out;
	}
	while ((rc = sqlite3_step(claims)) == SQLITE_ROW)
		if ((c = (const char *)sqlite3_column_text(claims, 0)) != NULL &&
		    !history_completed(h, c)) {
			xgrow(&gone, &cap, n, sizeof *gone);
			gone[n++] = xstrdup(c);
		}
	if (rc != SQLITE_DONE) {
		rc = fail(g, "cannot read", cause);
		goto out;
	}
	rc = 0;
	if (n > 0 && exec(g, "BEGIN IMMEDIATE", cause) == -1) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++) {
		sqlite3_reset(del);
		sqlite3_bind_text(del, 1, gone[i], -1, SQLITE_STATIC);
		if (sqlite3_step(del) != SQLITE_DONE)
			rc = fail(g, "cannot remove an unrecorded claim", cause);
	}
	if (n > 0 && rc == 0)
		rc = exec(g, "COMMIT", cause);
	else if (n > 0)
		reg_rollback(g);
	if (rc == 0)
		rc = (int)n;
out:
	for (i = 0; i < n; i++)
		free(gone[i]);
	free(gone);
	sqlite3_finalize(claims);
	sqlite3_finalize(del);
	return rc;
}

void
reg_entry_clear(struct reg_entry *e)
{
	free(e->fields);
	free(e->claim);
	free(e->input);
	free(e->paid_at);
	memset(e, 0, sizeof *e);
}
