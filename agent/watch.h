/*
 * Watching one inbox: which files are candidates, and which of them are ready, meaning their size
 * and mtime have not changed for settle_ms. Candidates come from inotify (IN_CLOSE_WRITE,
 * IN_MOVED_TO; IN_MODIFY restarts the settle timer) and from full scans: once at start, after an
 * inotify queue overflow, every rescan_s, and, in polling mode, every poll interval. This room
 * only says "this file is ready"; what happens to it is the agent's business.
 */
#ifndef FORMAGENT_WATCH_H
#define FORMAGENT_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/inotify.h>

enum watch_mode { WATCH_AUTO, WATCH_INOTIFY, WATCH_POLL };

struct watch;

/*
 * Starts watching inbox on the shared inotify descriptor ifd (unless polling). mode AUTO polls when
 * the inbox is on a network or FUSE filesystem, where inotify does not see other clients' writes.
 * ignore holds the spool's own glob patterns, on top of the built-in ones. NULL with *cause.
 */
struct watch *watch_new(const char *inbox, enum watch_mode mode, int settle_ms, int rescan_s,
                        char *const *ignore, size_t nignore, int ifd, char **cause);
void watch_free(struct watch *w, int ifd);
/* Whether polling was chosen (for the start-up log line), and why. */
int watch_polling(const struct watch *w, const char **why);
/* Takes an inotify event if it belongs to this watch; returns 1 if it did. */
int watch_event(struct watch *w, const struct inotify_event *ev, int64_t now_ms);
/* Adds every file of the inbox as a candidate. */
void watch_scan(struct watch *w, int64_t now_ms);
/*
 * Checks the candidates (stat) and returns the name of one that is ready, or NULL. With take, only
 * a candidate take(ctx, name) accepts: the others wait for a later call. The name stays valid
 * until watch_done() or the next call.
 */
const char *watch_ready(struct watch *w, int64_t now_ms, int (*take)(void *ctx, const char *name),
                        void *ctx);
/* The agent has taken (or given up on) name: it is no longer a candidate. */
void watch_done(struct watch *w, const char *name);
/* Milliseconds until this watch wants attention again (-1: only on events). */
int watch_next_ms(const struct watch *w, int64_t now_ms);
/* Candidates waiting, for status. */
size_t watch_pending(const struct watch *w);

/* Whether a file name is never claimed: dot files, ~$ lock files, *.tmp and the like. */
int watch_ignored(const char *name, char *const *ignore, size_t nignore);
/* Monotonic milliseconds. */
int64_t now_ms(void);

#endif
