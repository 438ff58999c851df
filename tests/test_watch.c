/*
 * Tests for watch.c's candidates: every file of an inbox of thousands is offered exactly once,
 * a file removed meanwhile is forgotten, a file written to again waits its settle time anew,
 * and an ignored name is never offered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "watch.h"

#define FILES 3000

/* An inbox of FILES files, named f0000 … f2999, and a polling watch on it. */
static struct watch *
inbox(char **dir)
{
	char *cause = NULL, *p, name[32];
	struct watch *w;
	int i;

	*dir = tmpdir_new();
	for (i = 0; i < FILES; i++) {
		snprintf(name, sizeof name, "f%04d", i);
		p = pathf("%s/%s", *dir, name);
		spits(p, name);
		free(p);
	}
	w = watch_new(*dir, WATCH_POLL, 0, 0, NULL, 0, -1, &cause);
	assert_non_null(w);
	watch_scan(w, now_ms());
	return w;
}

static void
test_each_file_once(void **state)
{
	char *dir, *p, *seen = calloc(FILES, 1);
	const char *name;
	struct watch *w = inbox(&dir);
	int n = 0, k;

	(void)state;
	/* A second scan finds only files it knows: nothing is offered twice. */
	watch_scan(w, now_ms());
	assert_int_equal(watch_pending(w), FILES);
	/* Every tenth file goes before it is taken: it is dropped, not offered. */
	for (k = 0; k < FILES; k += 10) {
		p = pathf("%s/f%04d", dir, k);
		assert_int_equal(unlink(p), 0);
		free(p);
	}
	while ((name = watch_ready(w, now_ms(), NULL, NULL)) != NULL) {
		assert_int_equal(sscanf(name, "f%d", &k), 1);
		assert_true(k >= 0 && k < FILES && k % 10 != 0);
		assert_int_equal(seen[k], 0);
		seen[k] = 1;
		n++;
		p = pathf("%s/%s", dir, name);
		unlink(p); /* taken */
		free(p);
		watch_done(w, name);
	}
	assert_int_equal(n, FILES - FILES / 10);
	assert_int_equal(watch_pending(w), 0);
	watch_free(w, -1);
	rmtree(dir);
	free(dir);
	free(seen);
}

static void
test_settling_and_ignored(void **state)
{
	char *cause = NULL, *dir = tmpdir_new(), *p;
	struct watch *w = watch_new(dir, WATCH_POLL, 60000, 0, NULL, 0, -1, &cause);
	int64_t t0 = now_ms();

	(void)state;
	p = pathf("%s/claims.csv", dir);
	spits(p, "a");
	free(p);
	p = pathf("%s/~$claims.xlsx", dir);
	spits(p, "lock");
	free(p);
	watch_scan(w, t0);
	/* Only the CSV is a candidate; seen first at t0 + 1 s, it must hold still for a minute. */
	assert_int_equal(watch_pending(w), 1);
	assert_null(watch_ready(w, t0 + 1000, NULL, NULL));
	assert_null(watch_ready(w, t0 + 60000, NULL, NULL));
	assert_non_null(watch_ready(w, t0 + 61000, NULL, NULL));
	assert_string_equal(watch_ready(w, t0 + 61000, NULL, NULL), "claims.csv");
	/* Written to again: it waits its minute anew. */
	p = pathf("%s/claims.csv", dir);
	spits(p, "ab");
	free(p);
	assert_null(watch_ready(w, t0 + 61100, NULL, NULL));
	assert_null(watch_ready(w, t0 + 121000, NULL, NULL));
	assert_non_null(watch_ready(w, t0 + 121100, NULL, NULL));
	watch_done(w, "claims.csv");
	watch_done(w, "not a candidate");
	assert_int_equal(watch_pending(w), 0);
	watch_free(w, -1);
	rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_file_once),
	    cmocka_unit_test(test_settling_and_ignored),
	};

	return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}
