/*
 * The gate. The file is looked at with lstat() before it is opened, so a device or a pipe is
 * never opened (opening a tape rewinds it), and opened with O_NOFOLLOW and compared with what
 * lstat() saw, so a link put in its place between the two is caught.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admit.h"
#include "i18n.h"
#include "pipeline.h"
#include "record.h"
#include "spool.h"
#include "utf8.h"
#include "xmalloc.h"

static const char *const refusal_names[ADMIT_COUNT] = {
    [ADMIT_OK] = "ok",
    [ADMIT_SYMLINK] = "symlink",
    [ADMIT_FOLDER] = "folder",
    [ADMIT_SPECIAL] = "special",
    [ADMIT_LINKS] = "links",
    [ADMIT_TOO_LARGE] = "too_large",
    [ADMIT_UNREADABLE] = "unreadable",
    [ADMIT_DUPLICATE] = "duplicate",
    [ADMIT_IN_REVIEW] = "in_review",
    [ADMIT_SETTLED] = "settled",
};

const char *
admit_refusal_name(enum refusal r)
{
	return (unsigned)r < ADMIT_COUNT && refusal_names[r] != NULL ? refusal_names[r] : "unknown";
}

/* -1 with *cause "what path: error", errno kept for the caller. */
static int
fail(char **cause, const char *what, const char *path)
{
	int e = errno;

	*cause = xasprintf("%s %s: %s", what, path, strerror(e));
	errno = e;
	return -1;
}

static int
refuse(struct admitted *ad, enum refusal r, char *reason)
{
	ad->refusal = r;
	ad->reason = reason;
	if (ad->fd != -1)
		close(ad->fd);
	ad->fd = -1;
	return 0;
}

/* The refusal for a file that is not a plain regular file, or ADMIT_OK. */
static enum refusal
kind_of(const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return ADMIT_SYMLINK;
	if (S_ISDIR(st->st_mode))
		return ADMIT_FOLDER;
	if (!S_ISREG(st->st_mode))
		return ADMIT_SPECIAL;
	return ADMIT_OK;
}

static char *
kind_reason(enum refusal r)
{
	switch (r) {
	case ADMIT_SYMLINK:
		return xstrdup(_("it is a symbolic link; links are not followed"));
	case ADMIT_FOLDER:
		return xstrdup(_("it is a folder, not a file"));
	default:
		return xstrdup(_("it is not a regular file (a pipe, socket or device)"));
	}
}

/* Whether a file of this name waits in the review folder. */
static int
waits_in_review(const char *review_dir, const char *name)
{
	char *p;
	struct stat st;
	int waits;

	if (review_dir == NULL)
		return 0;
	p = xasprintf("%s/%s", review_dir, name);
	waits = lstat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return waits;
}

/*
 * For a correction file (NAME.fix.txt): whether the claim NAME in review was settled by another
 * correction, which made its forms. A correction settled under its own claim is being resumed
 * after a crash before its move, and is done again (its forms come out the same bytes).
 */
static int
settled(struct admitted *ad, const struct admit_opts *o)
{
	char *orig, *path, *shown, sha[HASH_HEX];
	const char *by;
	int fd, rc = 0;

	if (o->history == NULL || o->review_dir == NULL || !pipeline_is_fix(ad->name))
		return 0;
	orig = xstrndup(ad->name, strlen(ad->name) - strlen(PIPELINE_FIX_SUFFIX));
	path = xasprintf("%s/%s", o->review_dir, orig);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	free(path);
	if (fd != -1 && hash_fd(fd, sha, NULL) == 0 &&
	    (by = history_settled(o->history, sha)) != NULL &&
	    (o->claim == NULL || strcmp(by, o->claim) != 0)) {
		shown = utf8_repair(orig);
		refuse(ad, ADMIT_SETTLED,
		       xasprintf(_("%s was settled by the correction of claim %s, which made its "
		                   "forms; it is not corrected twice"),
		                 shown, by));
		free(shown);
		ad->settled = orig;
		orig = NULL;
		rc = 1;
	}
	if (fd != -1)
		close(fd);
	free(orig);
	return rc;
}

int
admit(const char *path, const char *name, const struct admit_opts *o, struct admitted *ad,
      char **cause)
{
	long long max = o->max_bytes > 0 ? o->max_bytes : PIPELINE_MAX_BYTES;
	struct stat lst, st;
	enum refusal r;
	const char *seen;
	char *shown;
	off_t hashed;

	memset(ad, 0, sizeof *ad);
	ad->fd = -1;
	ad->name = name;
	if (lstat(path, &lst) == -1)
		return fail(cause, "cannot look at", path);
	ad->size = (long long)lst.st_size;
	ad->uid = (unsigned)lst.st_uid;
	if ((r = kind_of(&lst)) != ADMIT_OK)
		return refuse(ad, r, kind_reason(r));
	if ((ad->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (errno == ELOOP)
			return refuse(ad, ADMIT_SYMLINK, kind_reason(ADMIT_SYMLINK));
		if (spool_transient(errno))
			return fail(cause, "cannot open", path);
		return refuse(ad, ADMIT_UNREADABLE,
		              xasprintf(_("cannot open: %s"), strerror(errno)));
	}
	/* What was opened is what was looked at: not something put in its place since. */
	if (fstat(ad->fd, &st) == -1 || st.st_ino != lst.st_ino || st.st_dev != lst.st_dev)
		return refuse(ad, ADMIT_SYMLINK, kind_reason(ADMIT_SYMLINK));
	ad->size = (long long)st.st_size;
	ad->uid = (unsigned)st.st_uid;
	if (st.st_nlink > 1)
		return refuse(ad, ADMIT_LINKS,
		              xstrdup(_("it has more than one hard link: a file that is also "
		                        "elsewhere is not taken")));
	if (st.st_size > max)
		return refuse(ad, ADMIT_TOO_LARGE,
		              xasprintf(_("the file is %lld bytes, more than the %lld allowed"),
		                        (long long)st.st_size, max));
	ad->mtime = st.st_mtim;
	if (hash_fd(ad->fd, ad->sha256, &hashed) == -1 || lseek(ad->fd, 0, SEEK_SET) == -1) {
		if (spool_transient(errno)) {
			close(ad->fd);
			ad->fd = -1;
			return fail(cause, "cannot read", path);
		}
		ad->sha256[0] = '\0';
		return refuse(ad, ADMIT_UNREADABLE,
		              xasprintf(_("cannot read: %s"), strerror(errno)));
	}
	ad->size = (long long)hashed; /* what the hash covers, should the file grow meanwhile */
	/* A file already completed under another claim would be paid twice. */
	if (o->history != NULL && (seen = history_seen(o->history, ad->sha256)) != NULL &&
	    (o->claim == NULL || strcmp(seen, o->claim) != 0)) {
		if (!waits_in_review(o->review_dir, name))
			return refuse(
			    ad, ADMIT_DUPLICATE,
			    xasprintf(_("the same file (SHA-256 %.16s...) was already "
			                "processed as claim %s; it is not processed twice"),
			              ad->sha256, seen));
		shown = utf8_repair(name);
		refuse(ad, ADMIT_IN_REVIEW,
		       xasprintf(_("this claim already waits in review; to correct it, drop %s%s "
		                   "alone"),
		                 shown, PIPELINE_FIX_SUFFIX));
		free(shown);
		return 0;
	}
	settled(ad, o);
	return 0;
}

int
admit_still(const struct admitted *ad, char **cause)
{
	char sha[HASH_HEX];
	struct stat st;
	off_t n;

	if (fstat(ad->fd, &st) == -1 || hash_fd(ad->fd, sha, &n) == -1) {
		*cause = xasprintf("cannot read it again: %s", strerror(errno));
		return -1;
	}
	if ((long long)n != ad->size || strcmp(sha, ad->sha256) != 0 ||
	    st.st_mtim.tv_sec != ad->mtime.tv_sec || st.st_mtim.tv_nsec != ad->mtime.tv_nsec) {
		*cause =
		    xasprintf("it changed while it was read (%lld bytes then, %lld now): a copy "
		              "that was still being written",
		              ad->size, (long long)n);
		return 1;
	}
	return 0;
}

void
admitted_clear(struct admitted *ad)
{
	if (ad->fd != -1)
		close(ad->fd);
	free(ad->reason);
	free(ad->settled);
	memset(ad, 0, sizeof *ad);
	ad->fd = -1;
}
