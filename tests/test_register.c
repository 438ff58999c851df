/*
 * The claims register (register.c), on SQLite and on a real PostgreSQL server alike (each test
 * runs on both): a key is found with where it was paid, a file's entries are kept only when its
 * transaction commits, one writer at a time, the entries of a claim the audit log has no
 * completion of are removed at start (this agent's only), and an allowance lets one more payment
 * through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "config.h"
#include "record.h"
#include "register.h"
#include "testutil.h"

#define KEY "transport|0101-00231|2024-04-01"

/* A configuration with only what the register reads: on the backend the test was given. */
struct where {
	char *dir;
	struct config c;
};

static void
where_new(struct where *w, void **state, const char *audit)
{
	memset(w, 0, sizeof *w);
	w->dir = tmpdir_new();
	w->c.state_dir = w->dir;
	w->c.audit_dir = pathf("%s/%s", w->dir, audit);
	if (strcmp(*state, "postgresql") == 0) {
		w->c.register_pg = pg_database();
		assert_non_null(w->c.register_pg);
	}
}

/* The same register as w, for another agent (another audit folder). */
static void
where_other(struct where *w, const struct where *of)
{
	memset(w, 0, sizeof *w);
	w->c = of->c;
	w->c.audit_dir = pathf("%s/audit2", of->dir);
	w->c.register_sqlite = pathf("%s/claims.sqlite", of->dir);
}

static void
where_free(struct where *w, int owner)
{
	free(w->c.audit_dir);
	if (owner) {
		free(w->c.register_pg);
		rmtree(w->dir);
		free(w->dir);
	} else
		free(w->c.register_sqlite);
}

/* Whether claim is the one in work/ (ctx). */
static int
in_work(void *ctx, const char *claim)
{
	return strcmp(ctx, claim) == 0;
}

static int
add(struct reg *g, const char *key, const char *fields, const char *claim, unsigned long row,
    unsigned long seq, const char *allowance)
{
	struct reg_entry e = {.key = (char *)key,
	                      .kind = "transport",
	                      .seq = seq,
	                      .fields = (char *)fields,
	                      .claim = (char *)claim,
	                      .input = "a.csv",
	                      .row = row,
	                      .allowance = (char *)allowance};
	char *cause = NULL;
	int rc = reg_add(g, &e, &cause);

	free(cause);
	return rc;
}

static void
test_find_add_rollback(void **state)
{
	struct where w;
	char *cause = NULL;
	struct reg_entry e;
	struct reg *g;

	where_new(&w, state, "audit");
	g = reg_open(&w.c, 0, &cause);
	assert_non_null(g);
	assert_int_equal(reg_find(g, KEY, &e, &cause), 0);
	assert_int_equal(reg_begin(g, &cause), 0);
	assert_int_equal(add(g, KEY, "{\"amount\":2000}", "c1", 2, 1, NULL), 0);
	/* Within the transaction, the file sees its own entries: a repeat in one file is found. */
	assert_int_equal(reg_find(g, KEY, &e, &cause), 1);
	reg_entry_clear(&e);
	reg_rollback(g);
	assert_int_equal(reg_find(g, KEY, &e, &cause), 0);
	assert_int_equal(reg_begin(g, &cause), 0);
	assert_int_equal(add(g, KEY, "{\"amount\":2000}", "c1", 2, 1, NULL), 0);
	assert_int_equal(reg_commit(g, &cause), 0);
	reg_close(g);
	/* Committed is durable: another opening finds it, with where it was paid. */
	g = reg_open(&w.c, REG_READONLY, &cause);
	assert_non_null(g);
	assert_int_equal(reg_find(g, KEY, &e, &cause), 1);
	assert_string_equal(e.key, KEY);
	assert_string_equal(e.kind, "transport");
	assert_int_equal(e.seq, 1);
	assert_string_equal(e.claim, "c1");
	assert_string_equal(e.input, "a.csv");
	assert_int_equal(e.row, 2);
	assert_string_equal(e.fields, "{\"amount\":2000}");
	assert_int_equal(strlen(e.paid_at), 25);
	assert_null(e.allowed);
	reg_entry_clear(&e);
	reg_close(g);
	/* The same key twice is refused by the register itself, whatever the caller does. */
	g = reg_open(&w.c, 0, &cause);
	assert_int_equal(reg_begin(g, &cause), 0);
	assert_int_equal(add(g, KEY, "{}", "c2", 2, 1, NULL), -1);
	reg_rollback(g);
	reg_close(g);
	where_free(&w, 1);
}

/* A trial run against a register never written opens nothing and finds nothing paid. */
static void
test_readonly_none(void **state)
{
	struct where w;
	char *cause = NULL;

	where_new(&w, state, "audit");
	assert_null(reg_open(&w.c, REG_READONLY, &cause));
	assert_null(cause);
	where_free(&w, 1);
}

static void
test_reconcile(void **state)
{
	struct where w, other;
	char *cause = NULL;
	struct audit *a;
	json_t *rec = json_pack("{s:s, s:s, s:s}", "claim", "c1", "outcome", "produced", "result",
	                        "produced");
	struct history *h;
	struct reg_entry e;
	struct reg *g, *g2;
	unsigned long kept;

	where_new(&w, state, "audit");
	where_other(&other, &w);
	if (w.c.register_pg == NULL) /* both agents on one SQLite file */
		w.c.register_sqlite = other.c.register_sqlite;
	a = audit_open(w.c.audit_dir, NULL, &cause);
	assert_int_equal(audit_append(a, "completed", rec, &cause), 0);
	json_decref(rec);
	audit_close(a);
	h = history_load(w.c.audit_dir, &cause);
	g = reg_open(&w.c, 0, &cause);
	g2 = reg_open(&other.c, 0, &cause);
	assert_non_null(g2);
	assert_int_equal(reg_begin(g, &cause), 0);
	assert_int_equal(add(g, "t|1", "{}", "c1", 2, 1, NULL), 0);
	assert_int_equal(add(g, "t|2", "{}", "c2", 2, 1, NULL), 0);
	assert_int_equal(add(g, "t|3", "{}", "c2", 3, 1, NULL), 0);
	assert_int_equal(reg_commit(g, &cause), 0);
	/* Another agent's claim, which this agent's log never heard of: not this agent's to drop.
	 */
	assert_int_equal(reg_begin(g2, &cause), 0);
	assert_int_equal(add(g2, "t|4", "{}", "c9", 2, 1, NULL), 0);
	assert_int_equal(reg_commit(g2, &cause), 0);
	/* c7 too, but its file is not in work/: its record was lost some other way. */
	assert_int_equal(reg_begin(g, &cause), 0);
	assert_int_equal(add(g, "t|7", "{}", "c7", 2, 1, NULL), 0);
	assert_int_equal(reg_commit(g, &cause), 0);
	/* c2 was entered but never recorded (a crash between the two): its entries go. */
	assert_int_equal(reg_reconcile(g, h, in_work, (void *)"c2", &kept, &cause), 1);
	assert_int_equal(kept, 1);
	assert_int_equal(reg_find(g, "t|1", &e, &cause), 1);
	reg_entry_clear(&e);
	assert_int_equal(reg_find(g, "t|2", &e, &cause), 0);
	assert_int_equal(reg_find(g, "t|3", &e, &cause), 0);
	assert_int_equal(reg_find(g, "t|4", &e, &cause), 1);
	reg_entry_clear(&e);
	/* c7 stays: were it removed, its claim would be paid again. */
	assert_int_equal(reg_find(g, "t|7", &e, &cause), 1);
	reg_entry_clear(&e);
	assert_int_equal(reg_reconcile(g, h, in_work, (void *)"c2", &kept, &cause), 0);
	reg_close(g);
	reg_close(g2);
	history_free(h);
	if (w.c.register_pg == NULL)
		w.c.register_sqlite = NULL;
	where_free(&other, 0);
	where_free(&w, 1);
}

/*
 * An allowance lets exactly one more payment of its key through; a second one waits until the
 * first is used; a payment that used one and is then reconciled away gives it back.
 */
static void
test_allowance(void **state)
{
	struct reg_allowance al = {.key = KEY,
	                           .reason = "二回目の通院 (係長承認)",
	                           .by = "admin",
	                           .claim = "a1",
	                           .input = "again.allow.txt",
	                           .at = "2024-05-02T10:00:00+09:00"};
	struct where w;
	char *cause = NULL;
	struct reg_entry e;
	struct history *h;
	unsigned long kept;
	struct reg *g;

	where_new(&w, state, "audit");
	g = reg_open(&w.c, 0, &cause);
	assert_int_equal(reg_begin(g, &cause), 0);
	assert_int_equal(add(g, KEY, "{\"amount\":2000}", "c1", 2, 1, NULL), 0);
	assert_int_equal(reg_allow(g, &al, &cause), 0);
	assert_int_equal(reg_commit(g, &cause), 0);
	assert_int_equal(reg_find(g, KEY, &e, &cause), 1);
	assert_int_equal(e.seq, 1);
	assert_string_equal(e.allowed, "a1");
	assert_string_equal(e.allowed_by, "admin");
	assert_string_equal(e.allowed_why, "二回目の通院 (係長承認)");
	reg_entry_clear(&e);
	assert_int_equal(reg_begin(g, &cause), 0);
	al.claim = "a2";
	assert_int_equal(reg_allow(g, &al, &cause), -1);
	assert_non_null(strstr(cause, "has an allowance not used yet"));
	free(cause);
	cause = NULL;
	assert_int_equal(add(g, KEY, "{\"amount\":2000}", "c2", 5, 2, "a1"), 0);
	assert_int_equal(reg_commit(g, &cause), 0);
	assert_int_equal(reg_find(g, KEY, &e, &cause), 1);
	assert_int_equal(e.seq, 2);
	assert_string_equal(e.claim, "c2");
	assert_string_equal(e.allowance, "a1");
	assert_null(e.allowed); /* used up: a third arrival is refused again */
	reg_entry_clear(&e);
	/* c2 never reached the log (only c1 and a1 did): its payment goes, the allowance returns.
	 */
	{
		struct audit *a = audit_open(w.c.audit_dir, NULL, &cause);
		json_t *r1 = json_pack("{s:s, s:s}", "claim", "c1", "result", "produced");
		json_t *r2 = json_pack("{s:s, s:s}", "claim", "a1", "result", "produced");

		assert_int_equal(audit_append(a, "completed", r1, &cause), 0);
		assert_int_equal(audit_append(a, "completed", r2, &cause), 0);
		json_decref(r1);
		json_decref(r2);
		audit_close(a);
	}
	h = history_load(w.c.audit_dir, &cause);
	assert_int_equal(reg_reconcile(g, h, in_work, (void *)"c2", &kept, &cause), 1);
	assert_int_equal(reg_find(g, KEY, &e, &cause), 1);
	assert_int_equal(e.seq, 1);
	assert_string_equal(e.allowed, "a1");
	reg_entry_clear(&e);
	history_free(h);
	reg_close(g);
	where_free(&w, 1);
}

/*
 * One writer at a time: while one agent's file is in its transaction, another's waits, and then
 * sees what the first entered. Without the lock the second would look up, find nothing, and pay
 * the claim again.
 */
static void
test_one_writer(void **state)
{
	struct where w;
	char *cause = NULL, go;
	struct reg_entry e;
	struct reg *g;
	int ready[2], st;
	pid_t child;

	where_new(&w, state, "audit");
	/* Opened before the other begins: opening makes the tables, which waits for writers. */
	g = reg_open(&w.c, 0, &cause);
	assert_non_null(g);
	assert_int_equal(pipe(ready), 0);
	if ((child = fork()) == 0) {
		/* Its own connection; the parent's is left alone (closing it here would end it). */
		g = reg_open(&w.c, 0, &cause);
		if (g == NULL || reg_begin(g, &cause) == -1 ||
		    add(g, KEY, "{}", "c1", 2, 1, NULL) == -1)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		usleep(400000);
		_exit(reg_commit(g, &cause) == 0 ? 0 : 1);
	}
	assert_int_equal(read(ready[0], &go, 1), 1);
	assert_int_equal(reg_begin(g, &cause), 0);
	assert_int_equal(reg_find(g, KEY, &e, &cause), 1);
	assert_string_equal(e.claim, "c1");
	reg_entry_clear(&e);
	reg_rollback(g);
	reg_close(g);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(ready[0]);
	close(ready[1]);
	where_free(&w, 1);
}

static void
test_key_has(void **state)
{
	(void)state;
	assert_true(reg_key_has("transport|0101-00231|2024-04-01", "0101-00231"));
	assert_true(reg_key_has("transport|0101-00231|2024-04-01", "2024-04-01"));
	assert_false(reg_key_has("transport|0101-00231|2024-04-01", "0101-0023"));
	assert_false(reg_key_has("transport|0101-00231|2024-04-01", "0101-002311"));
	assert_false(reg_key_has("transport|0101-00231|2024-04-01", "transport"));
	assert_true(reg_key_has("t|a\\|b|c", "a|b"));
	assert_false(reg_key_has("t|a\\|b|c", "a"));
	assert_true(reg_key_has("t||c", ""));
}

#define BOTH(fn)                                                                                   \
	cmocka_unit_test_prestate(fn, "sqlite"), cmocka_unit_test_prestate(fn, "postgresql")

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    BOTH(test_find_add_rollback), BOTH(test_readonly_none), BOTH(test_reconcile),
	    BOTH(test_allowance),         BOTH(test_one_writer),    cmocka_unit_test(test_key_has),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
