/*
 * The claims register on SQLite: one file in WAL mode, synchronous FULL, whose one writer is
 * the transaction BEGIN IMMEDIATE takes. Statements are prepared once and kept, by the address
 * of their text (register.c's are constants). Every SQLite result is turned into 0 / -1 with a
 * cause here and goes no further (STYLE.md 3).
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "regdb.h"
#include "xmalloc.h"

#define BUSY_MS 10000
#define NKEPT   16

struct lite {
	sqlite3 *db;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} kept[NKEPT];
};

static int
fail(struct lite *l, const char *what, char **cause)
{
	*cause = xasprintf("%s: %s", what, sqlite3_errmsg(l->db));
	return -1;
}

static void
lite_close(void *db)
{
	struct lite *l = db;
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < NKEPT; i++)
		sqlite3_finalize(l->kept[i].st);
	sqlite3_close(l->db);
	free(l);
}

static int
counted(void *ctx, int n, char **col, char **names)
{
	(void)n;
	(void)names;
	*(int *)ctx = col[0] != NULL && strcmp(col[0], "0") != 0;
	return 0;
}

static int
has_tables(struct lite *l)
{
	int yes = 0;

	sqlite3_exec(l->db, "SELECT count(*) FROM sqlite_master WHERE name = 'payments'", counted,
	             &yes, NULL);
	return yes;
}

static void *
lite_open(const char *where, const char *schema, int readonly, char **cause)
{
	struct lite *l = xcalloc(1, sizeof *l);
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	*cause = NULL;
	if (readonly && access(where, F_OK) == -1 && errno == ENOENT) {
		free(l);
		return NULL; /* nothing was ever paid */
	}
	if (sqlite3_open_v2(where, &l->db, flags, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(l->db, BUSY_MS) != SQLITE_OK) {
		fail(l, "cannot open", cause);
		lite_close(l);
		return NULL;
	}
	if (readonly && !has_tables(l)) {
		lite_close(l);
		return NULL; /* made, but nothing was ever entered */
	}
	if (!readonly && (sqlite3_exec(l->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
	                               NULL, NULL, NULL) != SQLITE_OK ||
	                  sqlite3_exec(l->db, schema, NULL, NULL, NULL) != SQLITE_OK)) {
		fail(l, "cannot set up", cause);
		lite_close(l);
		return NULL;
	}
	return l;
}

static int
lite_begin(void *db, char **cause)
{
	struct lite *l = db;

	/* The write lock now, not at the first insert: one file's look-ups and entries are one. */
	if (sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(l, "cannot begin", cause);
	return 0;
}

static int
lite_in_transaction(void *db)
{
	return !sqlite3_get_autocommit(((struct lite *)db)->db);
}

static sqlite3_stmt *
prepared(struct lite *l, const char *sql, char **cause)
{
	size_t i;

	for (i = 0; i < NKEPT && l->kept[i].sql != NULL; i++)
		if (l->kept[i].sql == sql)
			return l->kept[i].st;
	if (i == NKEPT) {
		*cause = xstrdup("too many statements (NKEPT)");
		return NULL;
	}
	if (sqlite3_prepare_v2(l->db, sql, -1, &l->kept[i].st, NULL) != SQLITE_OK) {
		fail(l, "cannot prepare", cause);
		return NULL;
	}
	l->kept[i].sql = sql;
	return l->kept[i].st;
}

static int
lite_exec(void *db, const char *sql, const char *const *param, int nparam, regdb_row_fn fn,
          void *ctx, char **cause)
{
	struct lite *l = db;
	sqlite3_stmt *st;
	char name[16], *col[16];
	int i, n, rc, stop = 0;

	if (nparam == 0 && fn == NULL)
		return sqlite3_exec(l->db, sql, NULL, NULL, NULL) == SQLITE_OK
		           ? 0
		           : fail(l, "cannot run a statement", cause);
	if ((st = prepared(l, sql, cause)) == NULL)
		return -1;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (i = 0; i < nparam; i++) {
		snprintf(name, sizeof name, "$%d", i + 1);
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, name), param[i], -1,
		                  SQLITE_STATIC);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn == NULL)
			continue;
		n = sqlite3_column_count(st);
		if (n > 16)
			n = 16;
		for (i = 0; i < n; i++)
			col[i] = (char *)sqlite3_column_text(st, i);
		if ((stop = fn(ctx, col, n)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		fail(l, "cannot run a statement", cause);
	sqlite3_reset(st);
	return stop != 0 ? stop : rc == SQLITE_DONE ? 0 : -1;
}

const struct regdb regdb_sqlite = {
    .name = "SQLite",
    .open = lite_open,
    .close = lite_close,
    .begin = lite_begin,
    .in_transaction = lite_in_transaction,
    .exec = lite_exec,
};
