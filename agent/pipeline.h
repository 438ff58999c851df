/*
 * One input file through read → map → render → commit: the single path every claim file takes,
 * for the one-shot `process` command now and the daemon later, so the two cannot drift apart.
 * The file's rows that pass become forms, a ledger and an import file; the rows that fail go,
 * with the header, to <input>.rejected.csv beside <input>.reason.txt.
 */
#ifndef FORMAGENT_PIPELINE_H
#define FORMAGENT_PIPELINE_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"

#define PIPELINE_MAX_BYTES (64L * 1024 * 1024)

struct pipeline_opts {
	const char *out_dir;    /* forms, ledger, import file */
	const char *reject_dir; /* rejected rows and the reason file */
	const char *tmpdir;     /* libxlsxwriter's scratch files; NULL for the default */
	const char *rule;       /* use this rule instead of matching, or NULL */
	int dry_run;            /* write nothing; print each row's fields to preview */
	int json;               /* with dry_run: JSON Lines instead of a table */
	FILE *preview;
	int progress; /* rows, rate and time left on stderr */
};

struct file_result {
	const struct rule *rule;
	unsigned long rows, produced, rejected;
	int failed;     /* the file as a whole could not be processed */
	char *reason;   /* why, when failed */
	int64_t total;  /* the sum of the ledger's totalled column */
	char **outputs; /* the names written in out_dir and reject_dir */
	size_t noutputs;
};

/*
 * Processes the file at path. Returns 0 when every row produced its outputs, 1 when some rows
 * were rejected, 2 when the file could not be processed (res->reason says why; a reason file is
 * written unless dry_run). Free res with file_result_free().
 */
int pipeline_file(const struct config *c, const char *path, const struct pipeline_opts *o,
                  struct file_result *res);
void file_result_free(struct file_result *res);

#endif
