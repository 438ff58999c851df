/*
 * One input file, once the gate (admit.h) has let it through, through match → read → map →
 * outputs: the single path every claim file takes, for `process`, `test` and the daemon alike,
 * so they cannot drift apart. The file's rows that pass go through the rule's outputs (forms, a
 * ledger, an import file); the rows that fail go, with the header, to <input>.rejected.csv beside
 * <input>.reason.txt. The pipeline knows nothing of spools, claims or signals: it is handed three
 * folders to write into, and says how the file ended as an outcome.
 */
#ifndef FORMAGENT_PIPELINE_H
#define FORMAGENT_PIPELINE_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "admit.h"
#include "config.h"
#include "outcome.h"
#include "outputs.h"

#define PIPELINE_MAX_BYTES (64LL * 1024 * 1024)

struct workers;
struct mapped;
struct rowset;

struct pipeline_opts {
	const char *out_dir;    /* the rule's outputs */
	const char *reject_dir; /* rejected rows and the reason file */
	const char *review_dir; /* text claims a person must look at (NULL: reject_dir) */
	const char *tmpdir;     /* libxlsxwriter's scratch files; NULL for the default */
	const char *rule;       /* use this rule instead of matching, or NULL */
	int dry_run;            /* write nothing; print each row's fields to preview */
	int json;               /* with dry_run: JSON Lines instead of a table */
	unsigned long only_row; /* with dry_run: show this row only (0: all) */
	int cells; /* with dry_run: show the row's form cells as they would be filled */
	FILE *preview;
	int progress; /* rows, rate and time left on stderr */
	/*
	 * Read between rows, set by the caller's signal handler: the number of stop requests. At
	 * two, or at one once stop_grace_ms have passed since the pipeline first saw it, the file
	 * is abandoned (outputs removed, input untouched). NULL: never.
	 */
	const volatile sig_atomic_t *stop;
	int stop_grace_ms;
	/* Every claim's mapping goes here once its outputs are written: for the audit record. */
	struct rowset *rows;
	/*
	 * The claims register, in a transaction the caller begins and ends, or NULL: a claim paid
	 * before (under another claim id than this file's) is refused, and every claim paid is
	 * entered.
	 */
	struct reg *reg;
	int trial; /* with reg: look claims up, enter none (process --out) */
	/*
	 * LibreOffice for a rule's print output, or NULL: no PDF is made. With print_later the
	 * conversion is not waited for but handed back in file_result.print.
	 */
	struct office *office;
	int print_later;
	const char *claim; /* this file's claim id, or NULL */
	/* Threads that draw forms several at once (forms.c; borrowed), or NULL. */
	struct workers *render;
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
	enum outcome outcome;
	unsigned long rows, produced, rejected;
	unsigned long paid; /* of the rejected: claims the register says were paid before */
	char *reason;       /* why the file was refused, waits in review, or must be done again */
	int changed;        /* with retry: the input was written to while it was read */
	int64_t total;      /* the sum of the ledger's totalled column */
	struct output *outputs;
	size_t noutputs;
	/*
	 * With pipeline_opts.print_later: the print PDF still to be made, or NULL. The caller
	 * converts it and ends it with print_end() before recording the file.
	 */
	struct print_job *print;
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
	/* For an allowance file: the key it let be paid once more, why, and who wrote it. */
	char *allowed_key, *allowed_why, *allowed_by;
	struct correction *corrections;
	size_t ncorrections;
};

/* A file named like this corrects the scanned claim in review named by the rest of its name. */
#define PIPELINE_FIX_SUFFIX ".fix.txt"
/* Whether name is a correction file's (NAME.fix.txt, with a NAME). */
int pipeline_is_fix(const char *name);
/* An administrator's allowance of one more payment of a claim (allow.c). */
#define PIPELINE_ALLOW_SUFFIX ".allow.txt"
int pipeline_is_allowance(const char *name);

/*
 * Processes the file the gate let through (in->fd), or writes the reason of its refusal. Returns
 * the outcome, also in res->outcome: rejected and duplicate with a reason file in reject_dir
 * (unless dry_run), review with the claim's .review.txt in review_dir, retry when an output could
 * not be written (nothing is said to the clerk then). res->reason says why. Free res with
 * file_result_free().
 */
enum outcome pipeline_file(const struct config *c, const struct admitted *in,
                           const struct pipeline_opts *o, struct file_result *res);
void file_result_free(struct file_result *res);

#endif
