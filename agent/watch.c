/*
 * Inbox watching with settling. A scanner that writes a PDF page by page, or a Samba client that
 * closes and reopens a file, produces several IN_CLOSE_WRITE events for one file; a file is taken
 * only after its size and mtime have held still for settle_ms, so pages are never lost. Scans
 * backstop inotify: an overflowed queue or a missed event costs at most rescan_s.
 *
 * The candidates are an array (each checked in turn, from where the last ready one was found)
 * and a search tree by name (glibc's tsearch), so an event or a scan of an inbox holding 10,000
 * files costs a lookup in a tree, not a walk of every candidate.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "spool.h"
#include "watch.h"
#include "xmalloc.h"

#define POLL_MS 500

struct cand {
	char *name;
	size_t at; /* its place in the array */
	off_t size;
	struct timespec mtime;
	int64_t stable_since;
	int64_t last_check;
};

struct watch {
	char *inbox;
	int wd;
	int polling;
	const char *why;
	int settle_ms, rescan_s;
	char **ignore;
	size_t nignore;
	struct cand **c; /* in no order */
	size_t n, cap;
	void *by_name; /* the same candidates, by name (tsearch) */
	size_t next;   /* where watch_ready() looks first */
	int64_t last_scan;
	char *ready; /* the name last returned by watch_ready */
};

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
watch_ignored(const char *name, char *const *ignore, size_t nignore)
{
	static const char *const builtin[] = {".*",           "~$*",       "*.tmp",       "*.part",
	                                      "*.crdownload", "Thumbs.db", "desktop.ini", NULL};
	size_t i;

	for (i = 0; builtin[i] != NULL; i++)
		if (fnmatch(builtin[i], name, FNM_PERIOD | FNM_CASEFOLD) == 0 ||
		    (i == 0 && name[0] == '.'))
			return 1;
	/* The agent's own companion files, should someone drop one back. */
	for (i = 0; i < nignore; i++)
		if (fnmatch(ignore[i], name, FNM_CASEFOLD) == 0)
			return 1;
	return 0;
}

struct watch *
watch_new(const char *inbox, enum watch_mode mode, int settle_ms, int rescan_s, char *const *ignore,
          size_t nignore, int ifd, char **cause)
{
	struct watch *w = xcalloc(1, sizeof *w);
	size_t i;

	w->inbox = xstrdup(inbox);
	w->settle_ms = settle_ms;
	w->rescan_s = rescan_s;
	w->wd = -1;
	w->ignore = xcalloc(nignore + 1, sizeof *w->ignore);
	for (i = 0; i < nignore; i++)
		w->ignore[w->nignore++] = xstrdup(ignore[i]);
	w->polling = mode == WATCH_POLL;
	w->why = w->polling ? "configured" : NULL;
	/* inotify does not see writes made by other hosts there. */
	if (mode == WATCH_AUTO && (w->why = spool_remote_fs(inbox)) != NULL)
		w->polling = 1;
	if (!w->polling) {
		w->wd = inotify_add_watch(ifd, inbox,
		                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_CREATE |
		                              IN_ATTRIB | IN_ONLYDIR);
		if (w->wd == -1) {
			*cause = xasprintf("cannot watch %s: %s", inbox, strerror(errno));
			watch_free(w, ifd);
			return NULL;
		}
	}
	return w;
}

/* The tree holds the array's candidates, which are freed with the array. */
static void
noop(void *node)
{
	(void)node;
}

static int
by_name(const void *x, const void *y)
{
	return strcmp(((const struct cand *)x)->name, ((const struct cand *)y)->name);
}

void
watch_free(struct watch *w, int ifd)
{
	size_t i;

	if (w == NULL)
		return;
	if (w->wd != -1 && ifd != -1)
		inotify_rm_watch(ifd, w->wd);
	tdestroy(w->by_name, noop);
	for (i = 0; i < w->n; i++) {
		free(w->c[i]->name);
		free(w->c[i]);
	}
	for (i = 0; i < w->nignore; i++)
		free(w->ignore[i]);
	free(w->ignore);
	free(w->c);
	free(w->ready);
	free(w->inbox);
	free(w);
}

int
watch_polling(const struct watch *w, const char **why)
{
	*why = w->why;
	return w->polling;
}

static struct cand *
find(struct watch *w, const char *name)
{
	struct cand key = {.name = (char *)name};
	void *node = tfind(&key, &w->by_name, by_name);

	return node != NULL ? *(struct cand **)node : NULL;
}

/* Adds name as a candidate, or restarts its settle timer. */
static void
touch(struct watch *w, const char *name, int64_t now)
{
	struct cand *c;

	if (watch_ignored(name, w->ignore, w->nignore))
		return;
	if ((c = find(w, name)) == NULL) {
		c = xcalloc(1, sizeof *c);
		c->name = xstrdup(name);
		c->size = -1;
		if (tsearch(c, &w->by_name, by_name) == NULL)
			xalloc_die();
		xgrow(&w->c, &w->cap, w->n, sizeof *w->c);
		c->at = w->n;
		w->c[w->n++] = c;
	}
	c->stable_since = now;
}

int
watch_event(struct watch *w, const struct inotify_event *ev, int64_t now)
{
	if (ev->wd != w->wd)
		return 0;
	if (ev->len > 0 && (ev->mask & IN_ISDIR) == 0)
		touch(w, ev->name, now);
	else if (ev->len > 0 && (ev->mask & (IN_MOVED_TO | IN_CREATE)))
		touch(w, ev->name, now); /* a folder dropped in: it is rejected, not ignored */
	return 1;
}

void
watch_scan(struct watch *w, int64_t now)
{
	struct dirent *de;
	DIR *dp;

	w->last_scan = now;
	if ((dp = opendir(w->inbox)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    find(w, de->d_name) == NULL)
			touch(w, de->d_name, now);
	closedir(dp);
}

static void
drop(struct watch *w, size_t i)
{
	struct cand *c = w->c[i];

	tdelete(c, &w->by_name, by_name);
	free(c->name);
	free(c);
	w->c[i] = w->c[--w->n];
	if (i < w->n)
		w->c[i]->at = i;
}

const char *
watch_ready(struct watch *w, int64_t now, int (*take)(void *ctx, const char *name), void *ctx)
{
	struct stat st;
	struct cand *c;
	char *path;
	size_t i, k;

	if ((w->polling && now - w->last_scan >= POLL_MS) ||
	    (w->rescan_s > 0 && now - w->last_scan >= (int64_t)w->rescan_s * 1000))
		watch_scan(w, now);
	/*
	 * From where the last ready one was: a burst of files still settling at the front would
	 * otherwise be walked past again for every file taken.
	 */
	for (k = 0; k < w->n; k++) {
		i = (w->next + k) % w->n;
		c = w->c[i];
		/* One the caller has no room for stays a candidate, for a later call. */
		if (take != NULL && !take(ctx, c->name))
			continue;
		/* A burst of files would otherwise be stat'ed once per file taken. */
		if (c->last_check != 0 && now - c->last_check < 50 &&
		    now - c->stable_since < w->settle_ms)
			continue;
		c->last_check = now;
		path = xasprintf("%s/%s", w->inbox, c->name);
		if (lstat(path, &st) == -1) {
			free(path);
			drop(w, i); /* gone: taken by another agent, or removed */
			k--;        /* the last candidate took its place */
			continue;
		}
		free(path);
		if (st.st_size != c->size || st.st_mtim.tv_sec != c->mtime.tv_sec ||
		    st.st_mtim.tv_nsec != c->mtime.tv_nsec) {
			c->size = st.st_size;
			c->mtime = st.st_mtim;
			c->stable_since = now;
		}
		if (now - c->stable_since >= w->settle_ms) {
			free(w->ready);
			w->ready = xstrdup(c->name);
			w->next = i;
			return w->ready;
		}
	}
	return NULL;
}

void
watch_done(struct watch *w, const char *name)
{
	struct cand *c = find(w, name);

	if (c != NULL)
		drop(w, c->at);
}

int
watch_next_ms(const struct watch *w, int64_t now)
{
	int64_t next = -1, t;
	size_t i;

	for (i = 0; i < w->n; i++) {
		/* Re-stat pending candidates at least every 100 ms so a change restarts the timer.
		 */
		t = w->c[i]->stable_since + w->settle_ms - now;
		if (t > 100)
			t = 100;
		if (next == -1 || t < next)
			next = t;
	}
	if (w->polling) {
		t = w->last_scan + POLL_MS - now;
		if (next == -1 || t < next)
			next = t;
	}
	if (w->rescan_s > 0) {
		t = w->last_scan + (int64_t)w->rescan_s * 1000 - now;
		if (next == -1 || t < next)
			next = t;
	}
	if (next < 0 && next != -1)
		next = 0;
	return (int)next;
}

size_t
watch_pending(const struct watch *w)
{
	return w->n;
}
