/*
 * The thread pool behind workers.h: pthreads, one mutex over a queue per lane and the list of
 * ended jobs, and an eventfd the loop polls. The queues are short (the agent claims a file only
 * when a thread can soon take it), so they are arrays.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "workers.h"
#include "xmalloc.h"

struct job {
	void (*fn)(void *arg, unsigned slot);
	void *arg;
	int heavy;
	int detached; /* workers_run(): its end is fn's to tell */
};

struct queue {
	struct job *v;
	size_t n, cap;
};

struct thread {
	struct workers *w;
	unsigned slot;
	pthread_t id;
};

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job was queued, or the pool ends */
	struct queue light, heavy, ended;
	unsigned n, started, heavy_running, heavy_max;
	size_t pending;
	int ending;
	int efd;
	void (*thread_end)(void);
	struct thread *t;
};

static void
push(struct queue *q, struct job j)
{
	xgrow(&q->v, &q->cap, q->n, sizeof *q->v);
	q->v[q->n++] = j;
}

static struct job
pop(struct queue *q)
{
	struct job j = q->v[0];

	memmove(q->v, q->v + 1, --q->n * sizeof *q->v);
	return j;
}

/* The next job a thread may start: light first; heavy while fewer than heavy_max run. */
static int
next_job(struct workers *w, struct job *j)
{
	if (w->light.n > 0) {
		*j = pop(&w->light);
		return 1;
	}
	if (w->heavy.n > 0 && w->heavy_running < w->heavy_max) {
		*j = pop(&w->heavy);
		w->heavy_running++;
		return 1;
	}
	return 0;
}

static void *
run(void *p)
{
	struct thread *t = p;
	struct workers *w = t->w;
	uint64_t one = 1;
	struct job j;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->ending && !next_job(w, &j))
			pthread_cond_wait(&w->work, &w->lock);
		if (w->ending)
			break;
		pthread_mutex_unlock(&w->lock);
		j.fn(j.arg, t->slot);
		pthread_mutex_lock(&w->lock);
		if (j.heavy) {
			w->heavy_running--;
			/* A heavy job waiting for this one's place may go now. */
			pthread_cond_broadcast(&w->work);
		}
		if (j.detached)
			continue;
		push(&w->ended, j);
		/* Only fails when the counter would overflow: it is read far sooner. */
		if (write(w->efd, &one, sizeof one) == -1)
			continue;
	}
	pthread_mutex_unlock(&w->lock);
	if (w->thread_end != NULL)
		w->thread_end();
	return NULL;
}

struct workers *
workers_new(unsigned n, void (*thread_end)(void), char **cause)
{
	struct workers *w = xcalloc(1, sizeof *w);
	sigset_t all, old;
	int e = 0;

	w->n = n > 0 ? n : 1;
	w->heavy_max = w->n > 1 ? w->n - 1 : 1;
	w->thread_end = thread_end;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	w->t = xcalloc(w->n, sizeof *w->t);
	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot make an eventfd: %s", strerror(errno));
		w->n = 0;
		workers_free(w);
		return NULL;
	}
	/* The threads inherit the mask: every signal stays with the loop's ppoll. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (w->started = 0; w->started < w->n; w->started++) {
		w->t[w->started].w = w;
		w->t[w->started].slot = w->started;
		if ((e = pthread_create(&w->t[w->started].id, NULL, run, &w->t[w->started])) != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		*cause = xasprintf("cannot start %u worker threads: %s", w->n, strerror(e));
		workers_free(w);
		return NULL;
	}
	return w;
}

void
workers_free(struct workers *w)
{
	unsigned i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->ending = 1;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->started; i++)
		pthread_join(w->t[i].id, NULL);
	if (w->efd != -1)
		close(w->efd);
	free(w->t);
	free(w->light.v);
	free(w->heavy.v);
	free(w->ended.v);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

unsigned
workers_count(const struct workers *w)
{
	return w->n;
}

void
workers_submit(struct workers *w, void (*fn)(void *arg, unsigned slot), void *arg, int heavy)
{
	struct job j = {fn, arg, heavy, 0};

	pthread_mutex_lock(&w->lock);
	push(heavy ? &w->heavy : &w->light, j);
	w->pending++;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
}

void
workers_run(struct workers *w, void (*fn)(void *arg, unsigned slot), void *arg)
{
	struct job j = {fn, arg, 0, 1};

	pthread_mutex_lock(&w->lock);
	push(&w->light, j);
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
}

int
workers_fd(const struct workers *w)
{
	return w->efd;
}

void *
workers_done(struct workers *w)
{
	uint64_t count;
	void *arg = NULL;

	pthread_mutex_lock(&w->lock);
	if (w->ended.n > 0) {
		arg = pop(&w->ended).arg;
		w->pending--;
	}
	/* Cleared only once none waits: the loop polls it level-triggered. */
	if (w->ended.n == 0 && read(w->efd, &count, sizeof count) == -1)
		count = 0; /* EAGAIN: it was clear */
	pthread_mutex_unlock(&w->lock);
	return arg;
}

void *
workers_unstart(struct workers *w)
{
	void *arg = NULL;

	pthread_mutex_lock(&w->lock);
	if (w->light.n > 0)
		arg = pop(&w->light).arg;
	else if (w->heavy.n > 0)
		arg = pop(&w->heavy).arg;
	if (arg != NULL)
		w->pending--;
	pthread_mutex_unlock(&w->lock);
	return arg;
}

size_t
workers_pending(struct workers *w)
{
	size_t n;

	pthread_mutex_lock(&w->lock);
	n = w->pending;
	pthread_mutex_unlock(&w->lock);
	return n;
}
