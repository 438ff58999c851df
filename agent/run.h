/*
 * One file in the pipeline: the state the pipeline's rooms share while they work on it
 * (pipeline.c for exports, scanclaim.c for scanned claims, review.c for their corrections), and
 * the steps they share. Private to those rooms: nothing outside the pipeline includes it.
 */
#ifndef FORMAGENT_RUN_H
#define FORMAGENT_RUN_H

#include <time.h>

#include "buf.h"
#include "mapper.h"
#include "outputs.h"
#include "pipeline.h"
#include "preview.h"
#include "reader.h"

struct found;

/* A correction file's values for one claim: a page, or 0 for the whole file. */
struct fixset {
	unsigned long claim;
	char **vals; /* per field: the clerk's value, or NULL */
	int *lines;  /* per field: the line of the correction file that set it */
};

struct run {
	const struct config *c;
	const struct pipeline_opts *o;
	struct file_result *res;
	const struct admitted *in; /* the file the gate let through */
	const char *base;          /* the input's file name, as UTF-8 text */
	char *base_owned;          /* base when it had to be repaired */
	char *stem;                /* without its extension: {_input} */
	const struct rule *r;
	struct binding bind;
	struct decoder *dc;
	struct outputs out;
	struct buf reasons; /* the reason file's lines */

	/* An export: its header, and its rejected rows (<input>.rejected.csv). */
	const struct record *hdr;
	struct buf hdr_raw; /* the header line as read, for the rejected file */
	struct outfile rej;
	int rej_open;
	struct buf rejbuf;

	struct progress progress; /* its total: claims in the file, from the first pass */
	unsigned long paid;       /* claims refused as paid before with the same values */
	unsigned long conflicts;  /* claims refused as paid before with other values */
	char *allowance;          /* the allowance the last claim entered used, or NULL */
	int64_t amounts;          /* the claim amounts of the claims produced */
	int stop_seen;            /* a stop request was seen, at stop_at */
	struct timespec stop_at;

	/* A correction file's values: per claim, per field (review.c). */
	struct fixset *fixes;
	size_t nfixes;
	struct buf fixlines;    /* for the review file: the correction file's lines to start from */
	unsigned char *doubted; /* when not NULL: per field, put in doubt by a claim checked */
};

/* A file name without its extension ({_input}); caller frees. */
char *run_stem(const char *base);
/* The rule the file goes by, from here on. */
void run_set_rule(struct run *run, const struct rule *r);
/* The file refused whole as kind (rejected, or a duplicate), with its reason file; takes cause. */
enum outcome run_refuse(struct run *run, enum outcome kind, char *cause);
/* run_refuse() as rejected. */
enum outcome run_fail(struct run *run, char *cause);
/* An output could not be written: not the file's fault, nothing said to the clerk; takes cause. */
enum outcome run_io_fail(struct run *run, char *cause);
/* Reads the whole of fd into raw; OUTCOME_PRODUCED, or the outcome of a file that cannot be. */
enum outcome run_read_all(struct run *run, int fd, struct buf *raw);
/*
 * A text file a clerk or an administrator wrote (a correction, an allowance): read whole and
 * decoded as Notepad writes it, UTF-8 or CP932, into *text (caller frees); OUTCOME_PRODUCED, or
 * the outcome of a file that cannot be (empty, neither encoding: refused with the reason).
 */
enum outcome run_read_text(struct run *run, int fd, char **text);
/*
 * A claim that passed its checks, through the register and every output. 0; 1 when an output
 * refused it, 2 when it was already paid (its reason added to m either way); -1 with *cause.
 */
int run_claim(struct run *run, struct mapped *m, char **cause);
/* Closes the outputs, the rejected rows and the reason file. 0, or -1 with *cause. */
int run_finish(struct run *run, char **cause);

/* scanclaim.c: a scanned file's claims (the fixes in run when it is being corrected). */
enum outcome scan_file(struct run *run, int fd);

/* allow.c: an administrator's allowance of one more payment of a claim (NAME.allow.txt). */
enum outcome allow_file(struct run *run, int fd);

/* review.c: */
/* A correction file: the claim it names, waiting in review, read again with its values. */
enum outcome review_fix_file(struct run *run, int fd);
/* Frees a fixset's values and lines (nfields of each). */
void review_fixset_clear(struct fixset *fs, size_t nfields);
/* The clerk's values for claim (page, or 1), or NULL. */
const struct fixset *review_fixes_for(const struct run *run, unsigned long claim);
/* Keeps what the clerk put right, for the audit record: values only of audited fields. */
void review_correction(struct run *run, unsigned long claim, size_t field, const char *read,
                       const char *fixed);
/* The .review.txt lines for one claim that is not sure enough to pay; into b. */
void review_lines(const struct rule *r, const struct mapped *m, const struct found *found,
                  int pages, struct buf *b);
/* The lines a correction file for this claim starts from, into run->fixlines. */
void review_fix_lines(struct run *run, const struct mapped *m, const struct found *found,
                      unsigned long claim);
/* How to put the claim right, at the end of its .review.txt. */
void review_advice(struct run *run, struct buf *b);
/*
 * Marks in doubted (one per field) the fields m's reasons put in doubt: the field of each
 * reason, the fields read from the same printed label, and every field a failed check reads.
 */
void review_doubted(const struct rule *r, const struct mapped *m, unsigned char *doubted);

#endif
