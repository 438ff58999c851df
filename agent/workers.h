/*
 * A pool of threads for the agent's slow work: a claimed file's reading, OCR, mapping and
 * outputs. The agent's loop stays the one thread that claims, records and moves; it hands a job
 * here and learns of its end through a descriptor it polls beside inotify, so nothing here calls
 * back into the loop.
 *
 * Two lanes: a heavy job (a scanned claim, seconds of OCR) runs on at most n - 1 threads at once
 * when there are two or more, and a light one is always started first. So with two threads or
 * more, an export dropped behind any number of scans starts at once.
 */
#ifndef FORMAGENT_WORKERS_H
#define FORMAGENT_WORKERS_H

#include <stddef.h>

struct workers;

/*
 * Starts n threads (at least 1), each with every signal blocked: signals go to the loop. Each
 * calls thread_end (when not NULL) as it ends, for its own caches (OCR's model). NULL with
 * *cause. Free with workers_free().
 */
struct workers *workers_new(unsigned n, void (*thread_end)(void), char **cause);
/*
 * Waits for the running jobs to end and the threads to exit. Jobs still queued and ended jobs
 * not yet taken are dropped: take them first with workers_unstart() and workers_done().
 */
void workers_free(struct workers *w);
unsigned workers_count(const struct workers *w);
/* Queues fn(arg, slot) to run on a thread; slot (0 .. n-1) names the thread, for its own state. */
void workers_submit(struct workers *w, void (*fn)(void *arg, unsigned slot), void *arg, int heavy);
/*
 * Queues fn(arg, slot) as a light job whose end fn itself makes known (a condition variable of
 * the caller's): it never comes back through workers_done() and is never pending. For drawing a
 * file's forms, on a pool of its own (a pool whose jobs wait for its own jobs could deadlock),
 * never used with workers_unstart().
 */
void workers_run(struct workers *w, void (*fn)(void *arg, unsigned slot), void *arg);
/* Readable while an ended job waits for workers_done(). */
int workers_fd(const struct workers *w);
/* An ended job's arg, in the order they ended, or NULL when none has ended. */
void *workers_done(struct workers *w);
/* A queued job not started yet, taken back (its arg), or NULL: on a stop. */
void *workers_unstart(struct workers *w);
/* Jobs submitted whose arg has not come back through workers_done() or workers_unstart(). */
size_t workers_pending(struct workers *w);

#endif
