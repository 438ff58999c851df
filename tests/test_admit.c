/*
 * The gate (admit.c) and the words of refusals and outcomes: each kind of refusal is found for
 * what it is, a file is refused as a duplicate only when the log holds its bytes under another
 * claim, and the string tables have a distinct word for every kind.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "admit.h"
#include "audit.h"
#include "outcome.h"
#include "record.h"
#include "testutil.h"

static void
test_tables(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < ADMIT_COUNT; i++) {
		assert_string_not_equal(admit_refusal_name((enum refusal)i), "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(admit_refusal_name((enum refusal)i),
			                        admit_refusal_name((enum refusal)j));
	}
	assert_string_equal(admit_refusal_name(ADMIT_COUNT), "unknown");
	for (i = 0; i < OUTCOME_COUNT; i++) {
		assert_string_not_equal(outcome_name((enum outcome)i), "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(outcome_name((enum outcome)i),
			                        outcome_name((enum outcome)j));
	}
	/* The audit log's words: written once, never changed. */
	assert_string_equal(outcome_name(OUTCOME_PRODUCED), "produced");
	assert_string_equal(outcome_name(OUTCOME_PARTLY_REJECTED), "partly_rejected");
	assert_string_equal(outcome_name(OUTCOME_REJECTED), "rejected");
	assert_string_equal(outcome_name(OUTCOME_REVIEW), "review");
	assert_string_equal(outcome_name(OUTCOME_DUPLICATE), "duplicate");
	assert_false(outcome_final(OUTCOME_RETRY));
	assert_false(outcome_final(OUTCOME_CANCELLED));
	assert_true(outcome_final(OUTCOME_DUPLICATE));
	/* What may have paid: its word read back from the log means the same. */
	for (i = 0; i < OUTCOME_COUNT; i++)
		assert_int_equal(outcome_name_paid(outcome_name((enum outcome)i)),
		                 outcome_paid((enum outcome)i));
	assert_true(outcome_paid(OUTCOME_REVIEW));
	assert_false(outcome_paid(OUTCOME_REJECTED));
	assert_false(outcome_paid(OUTCOME_DUPLICATE));
	assert_false(outcome_name_paid("resumed"));
	assert_int_equal(outcome_exit(OUTCOME_PRODUCED), 0);
	assert_int_equal(outcome_exit(OUTCOME_REVIEW), 1);
	assert_int_equal(outcome_exit(OUTCOME_DUPLICATE), 2);
}

static enum refusal
refusal_of(const char *path, const struct admit_opts *o, char **reason)
{
	struct admitted ad;
	char *cause = NULL;
	enum refusal r;

	assert_int_equal(admit(path, "x.csv", o, &ad, &cause), 0);
	r = ad.refusal;
	assert_true((r == ADMIT_OK) == (ad.fd != -1));
	*reason = ad.reason != NULL ? strdup(ad.reason) : NULL;
	admitted_clear(&ad);
	return r;
}

static void
test_kinds(void **state)
{
	char *dir = tmpdir_new(), *p = pathf("%s/a.csv", dir), *q, *reason, *cause = NULL;
	struct admit_opts o = {0};
	struct admitted ad;

	(void)state;
	spits(p, "a,b\n1,2\n");
	assert_int_equal(admit(p, "a.csv", &o, &ad, &cause), 0);
	assert_int_equal(ad.refusal, ADMIT_OK);
	assert_int_equal(ad.size, 8);
	/* sha256sum of "a,b\n1,2\n" */
	assert_string_equal(ad.sha256,
	                    "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470");
	assert_int_equal(lseek(ad.fd, 0, SEEK_CUR), 0);
	admitted_clear(&ad);

	o.max_bytes = 7;
	assert_int_equal(refusal_of(p, &o, &reason), ADMIT_TOO_LARGE);
	assert_non_null(strstr(reason, "8 bytes, more than the 7 allowed"));
	free(reason);
	o.max_bytes = 0;

	q = pathf("%s/link.csv", dir);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(refusal_of(q, &o, &reason), ADMIT_SYMLINK);
	free(reason);
	free(q);
	q = pathf("%s/hard.csv", dir);
	assert_int_equal(link(p, q), 0);
	assert_int_equal(refusal_of(q, &o, &reason), ADMIT_LINKS);
	free(reason);
	unlink(q);
	free(q);
	q = pathf("%s/fifo.csv", dir);
	assert_int_equal(mkfifo(q, 0600), 0);
	assert_int_equal(refusal_of(q, &o, &reason), ADMIT_SPECIAL);
	free(reason);
	free(q);
	q = pathf("%s/sub.csv", dir);
	assert_int_equal(mkdir(q, 0700), 0);
	assert_int_equal(refusal_of(q, &o, &reason), ADMIT_FOLDER);
	free(reason);
	free(q);
	q = pathf("%s/gone.csv", dir);
	assert_int_equal(admit(q, "gone.csv", &o, &ad, &cause), -1);
	assert_non_null(strstr(cause, "gone.csv"));
	free(cause);
	free(q);
	free(p);
	rmtree(dir);
	free(dir);
}

/* A log holding one completion of the bytes of a.csv, under claim c1. */
static struct history *
history_with_c1(const char *dir, const char *sha)
{
	char *cause = NULL, *logdir = pathf("%s/audit", dir);
	struct audit *a = audit_open(logdir, NULL, &cause);
	struct history *h;
	json_t *rec =
	    json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "claim", "c1", "outcome", "produced",
	              "result", "produced", "input", "name", "a.csv", "sha256", sha);

	assert_non_null(a);
	assert_int_equal(audit_append(a, "completed", rec, &cause), 0);
	json_decref(rec);
	audit_close(a);
	h = history_load(logdir, &cause);
	assert_non_null(h);
	free(logdir);
	return h;
}

static void
test_duplicate(void **state)
{
	char *dir = tmpdir_new(), *p = pathf("%s/a.csv", dir), *reason, *review;
	struct admit_opts o = {0};
	struct history *h;

	(void)state;
	spits(p, "a,b\n1,2\n");
	h = history_with_c1(dir,
	                    "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470");
	o.history = h;
	assert_int_equal(refusal_of(p, &o, &reason), ADMIT_DUPLICATE);
	assert_non_null(strstr(reason, "claim c1"));
	free(reason);
	/* Its own claim, resumed after a crash before the move, is no duplicate. */
	o.claim = "c1";
	assert_int_equal(refusal_of(p, &o, &reason), ADMIT_OK);
	o.claim = "c2";
	/* The same bytes waiting in review: the clerk is told to send a correction. */
	review = pathf("%s/review", dir);
	mkdir(review, 0700);
	o.review_dir = review;
	free(p);
	p = pathf("%s/x.csv", review);
	spits(p, "a,b\n1,2\n");
	assert_int_equal(refusal_of(p, &o, &reason), ADMIT_IN_REVIEW);
	assert_non_null(strstr(reason, "x.csv.fix.txt"));
	free(reason);
	history_free(h);
	free(review);
	free(p);
	rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tables),
	    cmocka_unit_test(test_kinds),
	    cmocka_unit_test(test_duplicate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
