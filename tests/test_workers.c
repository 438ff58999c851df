/*
 * Tests for workers.c: every job submitted runs once and comes back once; a light job starts
 * while heavy ones hold all but one thread, and heavy ones never take the last; with one thread,
 * a light job queued behind heavy ones goes first; a job not started can be taken back; the
 * descriptor is readable exactly while an ended job waits.
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "workers.h"

/* Jobs that wait until the test lets them go, and say which ran, in what order, on which slot. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int released, running, heavy_running, most_heavy, order[64], norder;

struct job {
	int id, heavy, hold;
	unsigned slot;
};

static void
run(void *arg, unsigned slot)
{
	struct job *j = arg;

	pthread_mutex_lock(&lock);
	j->slot = slot;
	running++;
	if (j->heavy && ++heavy_running > most_heavy)
		most_heavy = heavy_running;
	pthread_cond_broadcast(&changed);
	while (j->hold && !released)
		pthread_cond_wait(&changed, &lock);
	if (norder < 64)
		order[norder++] = j->id;
	running--;
	heavy_running -= j->heavy;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static void
reset(void)
{
	released = running = heavy_running = most_heavy = norder = 0;
}

/* Waits until n jobs (n heavy ones, with heavy) are running. */
static void
wait_running(int n, int heavy)
{
	pthread_mutex_lock(&lock);
	while ((heavy ? heavy_running : running) < n)
		pthread_cond_wait(&changed, &lock);
	pthread_mutex_unlock(&lock);
}

static void
release(void)
{
	pthread_mutex_lock(&lock);
	released = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

/* The next ended job, waiting on the descriptor as the agent's loop does. */
static struct job *
next_done(struct workers *w)
{
	struct pollfd p = {workers_fd(w), POLLIN, 0};
	struct job *j;

	while ((j = workers_done(w)) == NULL)
		assert_int_equal(poll(&p, 1, 10000), 1);
	return j;
}

static int
readable(struct workers *w)
{
	struct pollfd p = {workers_fd(w), POLLIN, 0};

	return poll(&p, 1, 0) == 1;
}

/* Three threads, four scans and an export: two scans run, the export at once on the third. */
static void
test_light_never_waits_for_heavy(void **state)
{
	struct job j[5] = {{1, 1, 1, 0}, {2, 1, 1, 0}, {3, 1, 1, 0}, {4, 1, 1, 0}, {5, 0, 0, 0}};
	char *cause = NULL;
	struct workers *w = workers_new(3, NULL, &cause);
	int i, seen[6] = {0};
	struct job *d;

	(void)state;
	reset();
	assert_non_null(w);
	for (i = 0; i < 5; i++)
		workers_submit(w, run, &j[i], j[i].heavy);
	assert_int_equal(workers_pending(w), 5);
	/* The export ends while the scans still hold their threads (none can end before). */
	d = next_done(w);
	assert_int_equal(d->id, 5);
	/* Two scans run (the third thread's place is the export's), and no third (most_heavy). */
	wait_running(2, 1);
	assert_false(readable(w));
	assert_int_equal(workers_pending(w), 4);
	release();
	for (i = 0; i < 4; i++) {
		d = next_done(w);
		assert_true(d->heavy);
		assert_true(d->slot < 3);
		seen[d->id]++;
	}
	for (i = 1; i <= 4; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(most_heavy, 2);
	assert_int_equal(workers_pending(w), 0);
	assert_null(workers_done(w));
	workers_free(w);
}

/* One thread: a scan running, two more queued, then an export: the export goes next. */
static void
test_one_thread_light_first(void **state)
{
	struct job j[4] = {{1, 1, 1, 0}, {2, 1, 0, 0}, {3, 1, 0, 0}, {4, 0, 0, 0}};
	char *cause = NULL;
	struct workers *w = workers_new(1, NULL, &cause);
	int i;

	(void)state;
	reset();
	workers_submit(w, run, &j[0], 1);
	wait_running(1, 0);
	for (i = 1; i < 4; i++)
		workers_submit(w, run, &j[i], j[i].heavy);
	release();
	for (i = 0; i < 4; i++)
		assert_int_equal(next_done(w)->slot, 0);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 4);
	assert_int_equal(order[2], 2);
	assert_int_equal(order[3], 3);
	workers_free(w);
}

/* A stop: what has not started is taken back, once; the running one ends and comes back. */
static void
test_unstart(void **state)
{
	struct job j[3] = {{1, 0, 1, 0}, {2, 0, 0, 0}, {3, 1, 0, 0}};
	char *cause = NULL;
	struct workers *w = workers_new(1, NULL, &cause);
	struct job *a, *b;

	(void)state;
	reset();
	workers_submit(w, run, &j[0], 0);
	wait_running(1, 0);
	workers_submit(w, run, &j[1], 0);
	workers_submit(w, run, &j[2], 1);
	a = workers_unstart(w);
	b = workers_unstart(w);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->id + b->id, 5);
	assert_null(workers_unstart(w));
	assert_int_equal(workers_pending(w), 1);
	release();
	assert_int_equal(next_done(w)->id, 1);
	assert_int_equal(norder, 1);
	assert_int_equal(workers_pending(w), 0);
	workers_free(w);
}

static int ended_threads;

static void
count_end(void)
{
	__atomic_add_fetch(&ended_threads, 1, __ATOMIC_SEQ_CST);
}

/* Many small jobs on four threads: each comes back once; every thread says it ended. */
static void
test_many_jobs(void **state)
{
	enum { N = 2000 };
	struct job *j = calloc(N, sizeof *j);
	char *cause = NULL;
	struct workers *w = workers_new(4, count_end, &cause);
	int *seen = calloc(N + 1, sizeof *seen), i;

	(void)state;
	reset();
	for (i = 0; i < N; i++) {
		j[i].id = i + 1;
		j[i].heavy = i % 3 == 0;
		workers_submit(w, run, &j[i], j[i].heavy);
	}
	for (i = 0; i < N; i++)
		seen[next_done(w)->id]++;
	for (i = 1; i <= N; i++)
		assert_int_equal(seen[i], 1);
	assert_true(most_heavy <= 3);
	workers_free(w);
	assert_int_equal(ended_threads, 4);
	free(seen);
	free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_light_never_waits_for_heavy),
	    cmocka_unit_test(test_one_thread_light_first),
	    cmocka_unit_test(test_unstart),
	    cmocka_unit_test(test_many_jobs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
