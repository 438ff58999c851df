/*
 * Inbox watching with settling. A scanner that writes a PDF page by page, or a Samba client that
 * closes and reopens a file, produces several IN_CLOSE_WRITE events for one file; a file is taken
 * only after its size and mtime have held still for settle_ms, so pages are never lost. Scans
 * backstop inotify: an overflowed queue or a missed event costs at most rescan_s.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
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
	struct cand *c;
	size_t n, cap;
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

void
watch_free(struct watch *w, int ifd)
{
	size_t i;

	if (w == NULL)
		return;
	if (w->wd != -1 && ifd != -1)
		inotify_rm_watch(ifd, w->wd);
	for (i = 0; i < w->n; i++)
		free(w->c[i].name);
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
	size_t i;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->c[i].name, name) == 0)
			return &w->c[i];
	return NULL;
}

/* Adds name as a candidate, or restarts its settle timer. */
static void
touch(struct watch *w, const char *name, int64_t now)
{
	struct cand *c;

	if (watch_ignored(name, w->ignore, w->nignore))
		return;
	if ((c = find(w, name)) == NULL) {
		xgrow(&w->c, &w->cap, w->n, sizeof *w->c);
		c = &w->c[w->n++];
		memset(c, 0, sizeof *c);
		c->name = xstrdup(name);
		c->size = -1;
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
	free(w->c[i].name);
	w->c[i] = w->c[--w->n];
}

const char *
watch_ready(struct watch *w, int64_t now)
{
	struct stat st;
	struct cand *c;
	char *path;
	size_t i;

	if ((w->polling && now - w->last_scan >= POLL_MS) ||
	    (w->rescan_s > 0 && now - w->last_scan >= (int64_t)w->rescan_s * 1000))
		watch_scan(w, now);
	for (i = 0; i < w->n; i++) {
		c = &w->c[i];
		/* A burst of files would otherwise be stat'ed once per file taken. */
		if (c->last_check != 0 && now - c->last_check < 50 &&
		    now - c->stable_since < w->settle_ms)
			continue;
		c->last_check = now;
		path = xasprintf("%s/%s", w->inbox, c->name);
		if (lstat(path, &st) == -1) {
			free(path);
			drop(w, i--); /* gone: taken by another agent, or removed */
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
			return w->ready;
		}
	}
	return NULL;
}

void
watch_done(struct watch *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->c[i].name, name) == 0) {
			drop(w, i);
			return;
		}
}

int
watch_next_ms(const struct watch *w, int64_t now)
{
	int64_t next = -1, t;
	size_t i;

	for (i = 0; i < w->n; i++) {
		/* Re-stat pending candidates at least every 100 ms so a change restarts the timer.
		 */
		t = w->c[i].stable_since + w->settle_ms - now;
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
