/*
 * One input file through read → map → render → commit: the single path every claim file takes,
 * for the one-shot `process` command and the daemon alike, so the two cannot drift apart. The
 * file's rows that pass become forms, a ledger and an import file; the rows that fail go, with
 * the header, to <input>.rejected.csv beside <input>.reason.txt.
 */
#ifndef FORMAGENT_PIPELINE_H
#define FORMAGENT_PIPELINE_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"

#define PIPELINE_MAX_BYTES (64LL * 1024 * 1024)

struct mapped;

struct pipeline_opts {
	const char *out_dir;      /* forms, ledger, import file */
	const char *reject_dir;   /* rejected rows and the reason file */
	const char *review_dir;   /* text claims a person must look at (NULL: reject_dir) */
	const char *tmpdir;       /* libxlsxwriter's scratch files; NULL for the default */
	const char *rule;         /* use this rule instead of matching, or NULL */
	const char *input_name;   /* the name the file was dropped as, when path is a work name */
	long long max_bytes;      /* 0 for PIPELINE_MAX_BYTES */
	int single_link;          /* refuse a file with more than one hard link */
	const char *input_sha256; /* the input's SHA-256 when the caller has it, or NULL */
	int dry_run;              /* write nothing; print each row's fields to preview */
	int json;                 /* with dry_run: JSON Lines instead of a table */
	unsigned long only_row;   /* with dry_run: show this row only (0: all) */
	int cells; /* with dry_run: show the row's form cells as they would be filled */
	FILE *preview;
	int progress; /* rows, rate and time left on stderr */
	/* Asked between rows: non-zero abandons the file (outputs removed, input untouched). */
	int (*cancelled)(void *ctx);
	/* Told every row's mapping, after its outputs are written: for the audit record. */
	void (*on_row)(void *ctx, const struct mapped *m);
	void *ctx;
};

struct output {
	char *name; /* in out_dir, or reject_dir for the rejected rows and the reason */
	char sha256[65];
	long long size;
};

/* A value a clerk put right in a correction file (NAME.fix.txt), as the audit log keeps it. */
struct correction {
	char *field;
	unsigned long claim; /* the page, for a rule of one claim per page; else 1 */
	char *read;  /* what OCR read, or NULL when nothing was, or the field is not audited */
	char *fixed; /* the clerk's value, or NULL when the field is not audited */
};

struct file_result {
	const struct rule *rule;
	unsigned long rows, produced, rejected;
	int failed;    /* the file as a whole could not be processed */
	int io_error;  /* an output could not be written: not the file's fault, try again later */
	int cancelled; /* abandoned on request */
	int review;    /* a text claim not sure enough to pay: its .review.txt says why */
	char *reason;  /* why, when failed */
	int64_t total; /* the sum of the ledger's totalled column */
	struct output *outputs;
	size_t noutputs;
	char sha256[65]; /* the input's */
	long long size;
	unsigned uid; /* the input's owner: who dropped it */
	/*
	 * For a correction file: the scanned claim in review_dir it corrected (its name there and
	 * SHA-256), once its forms are made, and what was put right. The caller moves the claim
	 * out of review.
	 */
	char *corrects;
	char corrects_sha256[65];
	struct correction *corrections;
	size_t ncorrections;
};

/* A file named like this corrects the scanned claim in review named by the rest of its name. */
#define PIPELINE_FIX_SUFFIX ".fix.txt"

/*
 * Processes the file at path. Returns 0 when every row produced its outputs, 1 when some rows
 * were rejected, 2 when the file could not be processed (res->reason says why; a reason file is
 * written unless dry_run or io_error), 3 when cancelled, 4 when a text claim goes to review
 * (res->review; its .review.txt is in review_dir). Free res with file_result_free().
 */
int pipeline_file(const struct config *c, const char *path, const struct pipeline_opts *o,
                  struct file_result *res);
void file_result_free(struct file_result *res);

#endif
