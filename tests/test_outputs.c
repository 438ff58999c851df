/*
 * The table of output kinds and the commit every output shares (outputs.c): each kind has the
 * parts a kind must have, a kind that may refuse a claim comes before those that write as they
 * go, and an output is named, committed, listed with the SHA-256 of its bytes and its folder
 * synced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "outputs.h"
#include "testutil.h"

static void
test_table(void **state)
{
	const char *const *keys = output_section_keys();
	size_t i, j;
	int named, listed;

	(void)state;
	assert_string_equal(keys[0], "created");
	for (i = 0; output_kinds[i] != NULL; i++) {
		const struct output_kind *k = output_kinds[i];

		assert_non_null(k->load);
		assert_non_null(k->free);
		assert_non_null(k->open);
		assert_non_null(k->row);
		assert_non_null(k->close);
		assert_non_null(k->abort);
		assert_non_null(k->example);
		for (named = 0, j = 0; k->keys[j] != NULL; j++)
			named |= strcmp(k->keys[j], "name") == 0;
		assert_true(named);
		for (listed = 0, j = 0; keys[j] != NULL; j++)
			listed |= strcmp(keys[j], k->key) == 0;
		assert_true(listed);
		/* Nothing written as it goes may come before a kind that may refuse the claim. */
		for (j = 0; j < i; j++)
			assert_false(k->refuses && !output_kinds[j]->refuses);
	}
	/* import, form, ledger and print */
	assert_int_equal(i, 4);
	assert_true(output_kinds[0]->refuses);
}

static void
test_note_and_commit(void **state)
{
	char *dir = tmpdir_new(), *cause = NULL, *p, *text;
	struct outputs o;
	struct buf body = {0};

	(void)state;
	outputs_init(&o, dir, dir, NULL, NULL, "申請 4月.csv");
	buf_add(&body, "row 2: why\n", 11);
	assert_int_equal(outputs_note(&o, &o.rejected, ".reason.txt", "file: x\n", &body, &cause),
	                 0);
	assert_int_equal(o.n, 1);
	/* The name made safe, the head then the body. */
	assert_string_equal(o.list[0].name, "申請_4月.csv.reason.txt");
	p = pathf("%s/%s", dir, o.list[0].name);
	text = slurp(p, NULL);
	assert_string_equal(text, "file: x\nrow 2: why\n");
	assert_int_equal(o.list[0].size, 19);
	/* sha256sum of "file: x\nrow 2: why\n" */
	assert_string_equal(o.list[0].sha256,
	                    "aea3d4f0ae009fecfb6ca5f178334a708f72786f806ba0d397c220fb71f1a113");
	assert_true(o.rejected.renamed);
	assert_false(o.out.renamed);
	assert_int_equal(outputs_sync(&o, &cause), 0);
	assert_false(o.rejected.renamed);
	/* Review falls back to the rejected folder. */
	assert_string_equal(o.review.dir, dir);
	outputs_clear(&o);
	free(text);
	free(p);
	free(body.p);
	rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_note_and_commit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
