/*
 * The claims register's two databases behind one small interface, private to register.c,
 * regsqlite.c and regpg.c: open, the file's writer lock, and a statement with text parameters
 * whose rows come back as text. register.c writes every statement once, with $1, $2...
 * placeholders, which both take.
 */
#ifndef FORMAGENT_REGDB_H
#define FORMAGENT_REGDB_H

/* Called with each row's columns (NULL for SQL NULL); non-zero stops the statement. */
typedef int (*regdb_row_fn)(void *ctx, char *const *col, int ncol);

struct regdb {
	const char *name; /* for messages */
	/*
	 * Opens where (a path, a conninfo) and makes the tables with schema unless readonly.
	 * NULL with *cause; with readonly, NULL and *cause NULL when there is no register yet.
	 */
	void *(*open)(const char *where, const char *schema, int readonly, char **cause);
	void (*close)(void *db);
	/* Begins a transaction holding the register's one writer lock. */
	int (*begin)(void *db, char **cause);
	int (*in_transaction)(void *db);
	/* Runs one statement; fn (or NULL) takes its rows. 0, fn's non-zero, or -1 with *cause. */
	int (*exec)(void *db, const char *sql, const char *const *param, int nparam,
	            regdb_row_fn fn, void *ctx, char **cause);
};

extern const struct regdb regdb_sqlite;
extern const struct regdb regdb_postgresql;

#endif
