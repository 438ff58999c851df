/*
 * The claims register on PostgreSQL, for several hosts on one inbox: each agent connects with
 * the configuration's conninfo, and a file's transaction holds one advisory lock, so the agents
 * write one at a time as SQLite's one writer does, and a claim two hosts take at the same moment
 * is looked up by the second only after the first has entered it. A connection lost (a server
 * restarted) is made again at the next file. libpq's results are turned into 0 / -1 with a cause
 * here (STYLE.md 3).
 */
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "regdb.h"
#include "xmalloc.h"

/* The advisory lock the agents share: any number, the same in every formagent. */
#define WRITER_LOCK "8023571180"

/* libpq's message, on one line: it ends in a newline and may hold more, with a tab after each. */
static int
fail(PGconn *pg, const char *what, char **cause)
{
	char *msg = xstrdup(PQerrorMessage(pg)), *p;
	size_t n = strlen(msg);

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	for (p = msg; (p = strchr(p, '\n')) != NULL;) {
		*p++ = ';';
		if (*p == '\t')
			*p = ' ';
	}
	*cause = xasprintf("%s: %s", what, msg);
	free(msg);
	return -1;
}

/* Runs sql with no rows wanted. 0, or -1 with *cause. */
static int
run(PGconn *pg, const char *sql, char **cause)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);

	PQclear(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return fail(pg, "cannot run a statement", cause);
	return 0;
}

static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* "relation already exists, skipping" and its kind are not news */
}

static void
pg_close(void *db)
{
	if (db != NULL)
		PQfinish(db);
}

static void *
pg_open(const char *where, const char *schema, int readonly, char **cause)
{
	PGconn *pg = PQconnectdb(where);
	PGresult *res;
	int none;

	*cause = NULL;
	if (PQstatus(pg) != CONNECTION_OK) {
		fail(pg, "cannot connect", cause);
		PQfinish(pg);
		return NULL;
	}
	PQsetNoticeProcessor(pg, quiet, NULL);
	if (readonly) {
		res = PQexec(pg, "SELECT to_regclass('payments') IS NULL");
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			PQclear(res);
			fail(pg, "cannot read", cause);
			PQfinish(pg);
			return NULL;
		}
		none = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (none) {
			PQfinish(pg);
			return NULL; /* nothing was ever paid */
		}
		return pg;
	}
	/* Two agents starting together would both create the tables: one at a time. */
	if (run(pg, "SELECT pg_advisory_lock(" WRITER_LOCK ")", cause) == -1 ||
	    run(pg, schema, cause) == -1 ||
	    run(pg, "SELECT pg_advisory_unlock(" WRITER_LOCK ")", cause) == -1) {
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

static int
pg_begin(void *db, char **cause)
{
	PGconn *pg = db;

	if (PQstatus(pg) != CONNECTION_OK) {
		PQreset(pg);
		if (PQstatus(pg) != CONNECTION_OK)
			return fail(pg, "cannot connect again", cause);
		PQsetNoticeProcessor(pg, quiet, NULL);
	}
	if (run(pg, "BEGIN", cause) == -1)
		return -1;
	if (run(pg, "SELECT pg_advisory_xact_lock(" WRITER_LOCK ")", cause) == -1) {
		PQclear(PQexec(pg, "ROLLBACK"));
		return -1;
	}
	return 0;
}

static int
pg_in_transaction(void *db)
{
	return PQtransactionStatus(db) != PQTRANS_IDLE &&
	       PQtransactionStatus(db) != PQTRANS_UNKNOWN;
}

static int
pg_exec(void *db, const char *sql, const char *const *param, int nparam, regdb_row_fn fn, void *ctx,
        char **cause)
{
	PGconn *pg = db;
	PGresult *res;
	ExecStatusType st;
	char *col[16];
	int i, j, n, stop = 0;

	if (nparam == 0 && fn == NULL)
		return run(pg, sql, cause);
	res = PQexecParams(pg, sql, nparam, NULL, param, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		PQclear(res);
		return fail(pg, "cannot run a statement", cause);
	}
	n = PQnfields(res) > 16 ? 16 : PQnfields(res);
	for (i = 0; fn != NULL && i < PQntuples(res) && stop == 0; i++) {
		for (j = 0; j < n; j++)
			col[j] = PQgetisnull(res, i, j) ? NULL : PQgetvalue(res, i, j);
		stop = fn(ctx, col, n);
	}
	PQclear(res);
	return stop;
}

const struct regdb regdb_postgresql = {
    .name = "PostgreSQL",
    .open = pg_open,
    .close = pg_close,
    .begin = pg_begin,
    .in_transaction = pg_in_transaction,
    .exec = pg_exec,
};
