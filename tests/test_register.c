/*
 * The claims register (register.c): a key is found with where it was paid, a file's entries
 * are kept only when its transaction commits, and the entries of a claim the audit log has no
 * completion of are removed at start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit.h"
#include "record.h"
#include "register.h"
#include "testutil.h"

static void
test_find_add_rollback(void **state)
{
	char *dir = tmpdir_new(), *path = pathf("%s/claims.sqlite", dir), *cause = NULL;
	struct reg_entry e;
	struct reg *g;

	(void)state;
	g = reg_open(path, &cause);
	assert_non_null(g);
	assert_int_equal(reg_find(g, "transport|0101-00231|2024-04-01", &e, &cause), 0);
	assert_int_equal(reg_begin(g, &cause), 0);
	assert_int_equal(reg_add(g, "transport", "transport|0101-00231|2024-04-01",
	                         "{\"amount\":2000}", "c1", "a.csv", 2, &cause),
	                 0);
	/* Within the transaction, the file sees its own entries: a repeat in one file is found. */
	assert_int_equal(reg_find(g, "transport|0101-00231|2024-04-01", &e, &cause), 1);
	reg_entry_clear(&e);
	reg_rollback(g);
	assert_int_equal(reg_find(g, "transport|0101-00231|2024-04-01", &e, &cause), 0);
	assert_int_equal(reg_begin(g, &cause), 0);
	assert_int_equal(reg_add(g, "transport", "transport|0101-00231|2024-04-01",
	                         "{\"amount\":2000}", "c1", "a.csv", 2, &cause),
	                 0);
	assert_int_equal(reg_commit(g, &cause), 0);
	reg_close(g);
	/* Committed is durable: another opening finds it, with where it was paid. */
	g = reg_open(path, &cause);
	assert_int_equal(reg_find(g, "transport|0101-00231|2024-04-01", &e, &cause), 1);
	assert_string_equal(e.claim, "c1");
	assert_string_equal(e.input, "a.csv");
	assert_int_equal(e.row, 2);
	assert_string_equal(e.fields, "{\"amount\":2000}");
	assert_int_equal(strlen(e.paid_at), 25);
	reg_entry_clear(&e);
	/* The same key twice is refused by the register itself, whatever the caller does. */
	assert_int_equal(reg_begin(g, &cause), 0);
	assert_int_equal(reg_add(g, "transport", "transport|0101-00231|2024-04-01", "{}", "c2",
	                         "b.csv", 2, &cause),
	                 -1);
	free(cause);
	cause = NULL;
	reg_rollback(g);
	reg_close(g);
	free(path);
	rmtree(dir);
	free(dir);
}

static void
test_reconcile(void **state)
{
	char *dir = tmpdir_new(), *path = pathf("%s/claims.sqlite", dir), *cause = NULL;
	char *logdir = pathf("%s/audit", dir);
	struct audit *a = audit_open(logdir, NULL, &cause);
	json_t *rec = json_pack("{s:s, s:s, s:s}", "claim", "c1", "outcome", "produced", "result",
	                        "produced");
	struct history *h;
	struct reg_entry e;
	struct reg *g;

	(void)state;
	assert_int_equal(audit_append(a, "completed", rec, &cause), 0);
	json_decref(rec);
	audit_close(a);
	h = history_load(logdir, &cause);
	g = reg_open(path, &cause);
	assert_int_equal(reg_begin(g, &cause), 0);
	assert_int_equal(reg_add(g, "t", "t|1", "{}", "c1", "a.csv", 2, &cause), 0);
	assert_int_equal(reg_add(g, "t", "t|2", "{}", "c2", "b.csv", 2, &cause), 0);
	assert_int_equal(reg_add(g, "t", "t|3", "{}", "c2", "b.csv", 3, &cause), 0);
	assert_int_equal(reg_commit(g, &cause), 0);
	/* c2 was entered but never recorded (a crash between the two): its entries go. */
	assert_int_equal(reg_reconcile(g, h, &cause), 1);
	assert_int_equal(reg_find(g, "t|1", &e, &cause), 1);
	reg_entry_clear(&e);
	assert_int_equal(reg_find(g, "t|2", &e, &cause), 0);
	assert_int_equal(reg_find(g, "t|3", &e, &cause), 0);
	assert_int_equal(reg_reconcile(g, h, &cause), 0);
	reg_close(g);
	history_free(h);
	free(logdir);
	free(path);
	rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find_add_rollback),
	    cmocka_unit_test(test_reconcile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
