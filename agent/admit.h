/*
 * The one gate a claim file passes before anything reads it, for `run` and `process` alike: it
 * is looked at without following a link, opened without following one, and must be a regular
 * file with one link and no more bytes than allowed; then it is hashed, and refused when the
 * audit log says the same bytes were already processed, or (for a correction file) that its
 * claim was already settled. Each refusal is a kind with one wording, so both commands refuse a
 * file with the same reason.
 */
#ifndef FORMAGENT_ADMIT_H
#define FORMAGENT_ADMIT_H

#include <time.h>

#include "hash.h"

struct history;

enum refusal {
	ADMIT_OK,
	ADMIT_SYMLINK,    /* a symbolic link: links are not followed */
	ADMIT_FOLDER,     /* a folder */
	ADMIT_SPECIAL,    /* a pipe, socket or device */
	ADMIT_LINKS,      /* more than one hard link: the file is also elsewhere */
	ADMIT_TOO_LARGE,  /* more bytes than the spool allows */
	ADMIT_UNREADABLE, /* the service may not open or read it (a clerk's to fix) */
	ADMIT_DUPLICATE,  /* the same bytes were already processed under another claim */
	ADMIT_IN_REVIEW,  /* the same bytes wait in review: only a correction file settles them */
	ADMIT_SETTLED,    /* a correction of a claim another correction already settled */
	ADMIT_COUNT
};

/* The refusal's short name, for the log and tests ("symlink", "duplicate", ...). */
const char *admit_refusal_name(enum refusal r);

struct admit_opts {
	long long max_bytes;           /* 0: PIPELINE_MAX_BYTES */
	const struct history *history; /* the audit log's, or NULL: nothing is a duplicate */
	const char *claim;      /* this file's own claim id: its own record is no duplicate */
	const char *review_dir; /* where scanned claims wait for their corrections, or NULL */
};

/* A file through the gate. */
struct admitted {
	int fd;           /* open read-only at offset 0 when admitted, else -1 */
	const char *name; /* the name it was dropped as (borrowed from the caller) */
	char sha256[HASH_HEX];
	long long size;        /* the bytes the hash covers */
	struct timespec mtime; /* when it was last written, as the gate saw it */
	unsigned uid;          /* its owner: who dropped it */
	enum refusal refusal;
	char *reason; /* the clerk's text for the refusal, or NULL */
	/*
	 * With ADMIT_SETTLED: the name in review of the claim that was settled. It should leave
	 * review: a crash may have left it there after the correction that settled it.
	 */
	char *settled;
};

/*
 * Looks at path, the file dropped as name. Returns 0 with ad filled: admitted (ad->refusal is
 * ADMIT_OK and ad->fd is open) or refused (the refusal and its reason); or -1 with *cause, and
 * errno saying why, when the file cannot be looked at: gone, or an I/O error that is not the
 * file's (spool_transient()), after which it must wait, since the duplicate check cannot be
 * skipped. Release ad with admitted_clear().
 */
int admit(const char *path, const char *name, const struct admit_opts *o, struct admitted *ad,
          char **cause);
void admitted_clear(struct admitted *ad);

/*
 * Whether the admitted file is still what the gate hashed: the same size, time and SHA-256.
 * A copy that paused longer than the settle time and went on writing after the file was taken
 * is not: its outputs must not be published, and the file is done again from the start.
 * 0 unchanged, 1 changed (*cause says how), -1 with *cause when it cannot be read.
 */
int admit_still(const struct admitted *ad, char **cause);

#endif
