/*
 * The claims register: what a payment is, in SQL written once for both databases (regdb.h).
 * Which database, where, and which agent this is come from the configuration here; the pipeline
 * and the commands see only reg_*().
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"
#include "record.h"
#include "regdb.h"
#include "register.h"
#include "spool.h"
#include "xmalloc.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS payments ("
    " key TEXT NOT NULL,"    /* the claim kind and key fields (mapped_claim_key()) */
    " seq BIGINT NOT NULL,"  /* 1, then one more for each payment an allowance let through */
    " kind TEXT NOT NULL,"   /* the rule's claim kind */
    " fields TEXT NOT NULL," /* the audited fields it was paid with, canonical JSON */
    " claim TEXT NOT NULL,"  /* the claim id of the file that paid it */
    " input TEXT NOT NULL,"  /* that file's name */
    " row_no BIGINT NOT NULL,"
    " paid_at TEXT NOT NULL,"
    " agent TEXT NOT NULL," /* host and audit folder of the agent that entered it */
    " allowance TEXT,"      /* the claim id of the allowance it used */
    " PRIMARY KEY (key, seq));"
    "CREATE INDEX IF NOT EXISTS payments_claim ON payments (claim);"
    "CREATE TABLE IF NOT EXISTS allowances ("
    " key TEXT NOT NULL,"
    " claim TEXT NOT NULL," /* the claim id of the .allow.txt file */
    " reason TEXT NOT NULL,"
    " by_user TEXT NOT NULL,"
    " input TEXT NOT NULL,"
    " at TEXT NOT NULL,"
    " agent TEXT NOT NULL,"
    " used_by TEXT," /* the claim id of the payment that used it */
    " PRIMARY KEY (key, claim));";

#define PAYMENT_COLUMNS "key, seq, kind, fields, claim, input, row_no, paid_at, agent, allowance"

static const char sql_find[] =
    "SELECT p.key, p.seq, p.kind, p.fields, p.claim, p.input, p.row_no, p.paid_at, p.agent,"
    " p.allowance, a.claim, a.by_user, a.reason FROM payments p LEFT JOIN allowances a"
    " ON a.key = p.key AND a.used_by IS NULL WHERE p.key = $1 ORDER BY p.seq DESC LIMIT 1";
static const char sql_add[] =
    "INSERT INTO payments (" PAYMENT_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
static const char sql_use[] = "UPDATE allowances SET used_by = $1 WHERE key = $2 AND claim = $3";
static const char sql_pending[] = "SELECT claim FROM allowances WHERE key = $1 AND used_by IS NULL";
static const char sql_allow[] = "INSERT INTO allowances (key, claim, reason, by_user, input, at,"
                                " agent, used_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
static const char sql_claims[] = "SELECT DISTINCT claim FROM payments WHERE agent = $1 UNION "
                                 "SELECT claim FROM allowances WHERE agent = $1";
static const char sql_unuse[] = "UPDATE allowances SET used_by = NULL WHERE used_by = $1";
/* A claim id names one file on one host: what it entered is its own, whichever agent's name. */
static const char sql_unpay[] = "DELETE FROM payments WHERE claim = $1";
static const char sql_unallow[] = "DELETE FROM allowances WHERE claim = $1";
static const char sql_all[] = "SELECT " PAYMENT_COLUMNS " FROM payments ORDER BY paid_at, key, seq";
static const char sql_allowances[] = "SELECT key, claim, reason, by_user, input, at, agent, used_by"
                                     " FROM allowances ORDER BY at, key";
static const char sql_unuse_mine[] = "UPDATE allowances SET used_by = NULL WHERE used_by IN"
                                     " (SELECT claim FROM payments WHERE agent = $1)";
static const char sql_clear_payments[] = "DELETE FROM payments WHERE agent = $1";
static const char sql_clear_allowances[] = "DELETE FROM allowances WHERE agent = $1";

struct reg {
	const struct regdb *db;
	void *h;
	char *where; /* for messages */
	char *agent;
	int deferred; /* reg_begin_later(): the transaction begins at the first statement */
	int locked;   /* this connection holds txn_lock */
};

/*
 * One transaction at a time in this process, whichever connection holds it: the agent's workers
 * each have their own, and SQLite would keep the second waiting only BUSY_MS, then fail it. The
 * database's own writer lock still orders this process against others.
 */
static pthread_mutex_t txn_lock = PTHREAD_MUTEX_INITIALIZER;

static void
unlock(struct reg *g)
{
	if (g->locked) {
		g->locked = 0;
		pthread_mutex_unlock(&txn_lock);
	}
}

static int
fail(struct reg *g, char **cause)
{
	char *inner = *cause;

	*cause = xasprintf("the claims register (%s): %s", g->where, inner);
	free(inner);
	return -1;
}

const char *
reg_where(const struct reg *g)
{
	return g->where;
}

const char *
reg_agent(const struct reg *g)
{
	return g->agent;
}

/*
 * This agent, as its entries name it: the host and its audit folder, whose log is the truth of
 * them. The folder's real path, so that `claims check -c formagent.yaml` run in the
 * configuration's folder names the agent systemd runs with /etc/formagent/formagent.yaml.
 */
static char *
agent_name(const struct config *c)
{
	char host[256], *dir = c->audit_dir != NULL ? spool_folder_path(c->audit_dir) : NULL;
	char *name;

	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "unknown");
	host[sizeof host - 1] = '\0';
	name = xasprintf("%s:%s", host, dir != NULL ? dir : "");
	free(dir);
	return name;
}

struct reg *
reg_open(const struct config *c, int flags, char **cause)
{
	struct reg *g = xcalloc(1, sizeof *g);
	char *path = NULL, *dir, *slash;
	const char *remote;

	*cause = NULL;
	if (c->register_pg != NULL) {
		g->db = &regdb_postgresql;
		g->where = xstrdup("PostgreSQL");
	} else {
		g->db = &regdb_sqlite;
		path = c->register_sqlite != NULL ? xstrdup(c->register_sqlite)
		                                  : xasprintf("%s/claims.sqlite", c->state_dir);
		g->where = xasprintf("SQLite %s", path);
		dir = xstrdup(path);
		slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = '\0';
		remote = spool_remote_fs(slash != NULL ? dir : ".");
		free(dir);
		if (remote != NULL) {
			*cause =
			    xasprintf("the claims register %s is on %s, where SQLite's locking "
			              "is not safe: put it on a local disk, or use PostgreSQL",
			              path, remote);
			free(path);
			reg_close(g);
			return NULL;
		}
	}
	g->agent = agent_name(c);
	g->h =
	    g->db->open(path != NULL ? path : c->register_pg, schema, flags & REG_READONLY, cause);
	free(path);
	if (g->h == NULL) {
		if (*cause != NULL)
			fail(g, cause);
		reg_close(g);
		return NULL;
	}
	return g;
}

void
reg_close(struct reg *g)
{
	if (g == NULL)
		return;
	if (g->h != NULL)
		g->db->close(g->h);
	free(g->where);
	free(g->agent);
	free(g);
}

static int
exec(struct reg *g, const char *sql, const char *const *param, int nparam, regdb_row_fn fn,
     void *ctx, char **cause)
{
	int rc = g->db->exec(g->h, sql, param, nparam, fn, ctx, cause);

	return rc == -1 ? fail(g, cause) : rc;
}

int
reg_begin(struct reg *g, char **cause)
{
	pthread_mutex_lock(&txn_lock);
	g->locked = 1;
	if (g->db->begin(g->h, cause) == -1) {
		unlock(g);
		return fail(g, cause);
	}
	return 0;
}

void
reg_begin_later(struct reg *g)
{
	g->deferred = 1;
}

/* Begins the transaction reg_begin_later() put off, before a file's first statement. */
static int
begun(struct reg *g, char **cause)
{
	if (!g->deferred)
		return 0;
	g->deferred = 0;
	return reg_begin(g, cause);
}

int
reg_commit(struct reg *g, char **cause)
{
	int rc;

	if (g->deferred) {
		g->deferred = 0; /* never begun: nothing to commit */
		return 0;
	}
	rc = exec(g, "COMMIT", NULL, 0, NULL, NULL, cause);
	if (!g->db->in_transaction(g->h))
		unlock(g);
	return rc;
}

void
reg_rollback(struct reg *g)
{
	char *cause = NULL;

	g->deferred = 0;
	if (g->db->in_transaction(g->h) && exec(g, "ROLLBACK", NULL, 0, NULL, NULL, &cause) == -1)
		free(cause); /* a transaction a failed connection took with it */
	unlock(g);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* A payment row (PAYMENT_COLUMNS, then reg_find()'s allowance) into an entry. */
static void
entry_of(struct reg_entry *e, char *const *col, int ncol)
{
	memset(e, 0, sizeof *e);
	e->key = dup_or_null(col[0]);
	e->seq = strtoul(col[1] != NULL ? col[1] : "0", NULL, 10);
	e->kind = dup_or_null(col[2]);
	e->fields = dup_or_null(col[3]);
	e->claim = dup_or_null(col[4]);
	e->input = dup_or_null(col[5]);
	e->row = strtoul(col[6] != NULL ? col[6] : "0", NULL, 10);
	e->paid_at = dup_or_null(col[7]);
	e->agent = dup_or_null(col[8]);
	e->allowance = dup_or_null(col[9]);
	if (ncol >= 13) {
		e->allowed = dup_or_null(col[10]);
		e->allowed_by = dup_or_null(col[11]);
		e->allowed_why = dup_or_null(col[12]);
	}
}

static int
take_entry(void *ctx, char *const *col, int ncol)
{
	entry_of(ctx, col, ncol);
	return 1;
}

int
reg_find(struct reg *g, const char *key, struct reg_entry *e, char **cause)
{
	const char *p[] = {key};
	int rc;

	memset(e, 0, sizeof *e);
	if (begun(g, cause) == -1)
		return -1;
	rc = exec(g, sql_find, p, 1, take_entry, e, cause);
	return rc == 1 ? 1 : rc;
}

int
reg_add(struct reg *g, const struct reg_entry *e, char **cause)
{
	char seq[24], row[24], now[32];
	const char *p[] = {e->key,   seq, e->kind, e->fields, e->claim,
	                   e->input, row, now,     g->agent,  e->allowance};
	const char *u[] = {e->claim, e->key, e->allowance};

	if (begun(g, cause) == -1)
		return -1;
	snprintf(seq, sizeof seq, "%lu", e->seq);
	snprintf(row, sizeof row, "%lu", e->row);
	if (e->paid_at != NULL)
		snprintf(now, sizeof now, "%s", e->paid_at);
	else
		audit_now(now);
	if (exec(g, sql_add, p, 10, NULL, NULL, cause) == -1)
		return -1;
	return e->allowance != NULL ? exec(g, sql_use, u, 3, NULL, NULL, cause) : 0;
}

static int
found(void *ctx, char *const *col, int ncol)
{
	(void)col;
	(void)ncol;
	*(int *)ctx = 1;
	return 0;
}

int
reg_allow(struct reg *g, const struct reg_allowance *al, char **cause)
{
	const char *k[] = {al->key};
	const char *p[] = {al->key,   al->claim, al->reason, al->by,
	                   al->input, al->at,    g->agent,   al->used_by};
	int pending = 0;

	if (begun(g, cause) == -1 || exec(g, sql_pending, k, 1, found, &pending, cause) == -1)
		return -1;
	if (pending) {
		*cause = xasprintf("%s has an allowance not used yet", al->key);
		return -1;
	}
	return exec(g, sql_allow, p, 8, NULL, NULL, cause);
}

struct names {
	char **v;
	size_t n, cap;
	const struct history *h;
	int (*in_work)(void *ctx, const char *claim);
	void *ctx;
	unsigned long kept;
};

static int
take_unrecorded(void *ctx, char *const *col, int ncol)
{
	struct names *gone = ctx;

	(void)ncol;
	if (col[0] == NULL || history_completed(gone->h, col[0]))
		return 0;
	/*
	 * Only a claim whose file is still in work/ crashed between its entry and its record, and
	 * is done again. One whose file is not there lost its record some other way (the log's
	 * end cut, say): its entries stay, so that it is not paid again.
	 */
	if (!gone->in_work(gone->ctx, col[0])) {
		gone->kept++;
		return 0;
	}
	xgrow(&gone->v, &gone->cap, gone->n, sizeof *gone->v);
	gone->v[gone->n++] = xstrdup(col[0]);
	return 0;
}

int
reg_forget(struct reg *g, const char *claim, char **cause)
{
	const char *p[] = {claim};

	if (exec(g, sql_unuse, p, 1, NULL, NULL, cause) == -1 ||
	    exec(g, sql_unpay, p, 1, NULL, NULL, cause) == -1 ||
	    exec(g, sql_unallow, p, 1, NULL, NULL, cause) == -1)
		return -1;
	return 0;
}

int
reg_reconcile(struct reg *g, const struct history *h, int (*in_work)(void *ctx, const char *claim),
              void *ctx, unsigned long *kept, char **cause)
{
	const char *me[] = {g->agent};
	struct names gone = {.h = h, .in_work = in_work, .ctx = ctx};
	size_t i;
	int rc;

	if ((rc = reg_begin(g, cause)) == 0)
		rc = exec(g, sql_claims, me, 1, take_unrecorded, &gone, cause);
	for (i = 0; i < gone.n && rc == 0; i++)
		rc = reg_forget(g, gone.v[i], cause);
	if (rc == 0)
		rc = reg_commit(g, cause);
	reg_rollback(g);
	for (i = 0; i < gone.n; i++)
		free(gone.v[i]);
	free(gone.v);
	*kept = gone.kept;
	return rc == 0 ? (int)gone.n : -1;
}

struct each {
	int (*fn)(void *ctx, const struct reg_entry *e);
	void *ctx;
};

static int
each_row(void *ctx, char *const *col, int ncol)
{
	struct each *w = ctx;
	struct reg_entry e;
	int rc;

	entry_of(&e, col, ncol);
	rc = w->fn(w->ctx, &e);
	reg_entry_clear(&e);
	return rc;
}

int
reg_each(struct reg *g, int (*fn)(void *ctx, const struct reg_entry *e), void *ctx, char **cause)
{
	struct each w = {fn, ctx};

	return exec(g, sql_all, NULL, 0, each_row, &w, cause);
}

struct each_allowance {
	int (*fn)(void *ctx, const struct reg_allowance *al, const char *agent);
	void *ctx;
};

static int
each_allowance_row(void *ctx, char *const *col, int ncol)
{
	struct each_allowance *w = ctx;
	struct reg_allowance al = {col[0], col[2], col[3], col[1], col[4], col[5], col[7]};

	(void)ncol;
	return w->fn(w->ctx, &al, col[6] != NULL ? col[6] : "");
}

int
reg_each_allowance(struct reg *g,
                   int (*fn)(void *ctx, const struct reg_allowance *al, const char *agent),
                   void *ctx, char **cause)
{
	struct each_allowance w = {fn, ctx};

	return exec(g, sql_allowances, NULL, 0, each_allowance_row, &w, cause);
}

int
reg_clear_mine(struct reg *g, char **cause)
{
	const char *me[] = {g->agent};

	if (exec(g, sql_unuse_mine, me, 1, NULL, NULL, cause) == -1 ||
	    exec(g, sql_clear_payments, me, 1, NULL, NULL, cause) == -1)
		return -1;
	return exec(g, sql_clear_allowances, me, 1, NULL, NULL, cause);
}

int
reg_key_has(const char *key, const char *v)
{
	const char *p = strchr(key, '|'), *q;
	size_t n = strlen(v), i;

	while (p != NULL) {
		/* One value: up to the next unescaped bar, compared unescaped. */
		for (q = p + 1, i = 0; *q != '|' && *q != '\0'; q++) {
			if (*q == '\\' && q[1] != '\0')
				q++;
			i = i < n && *q == v[i] ? i + 1 : n + 1;
		}
		if (i == n)
			return 1;
		p = *q == '|' ? q : NULL;
	}
	return 0;
}

void
reg_entry_clear(struct reg_entry *e)
{
	free(e->key);
	free(e->kind);
	free(e->fields);
	free(e->claim);
	free(e->input);
	free(e->paid_at);
	free(e->agent);
	free(e->allowance);
	free(e->allowed);
	free(e->allowed_by);
	free(e->allowed_why);
	memset(e, 0, sizeof *e);
}
