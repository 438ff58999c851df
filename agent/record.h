/*
 * What the audit log says about claims: the records formagent writes (claimed, completed, and the
 * agent's own events) and what the log already holds about earlier files (the history). audit.c
 * chains and verifies JSON and knows nothing of claims; this room is the one that does, and the
 * one writer of records, so a record and the history it feeds never disagree.
 *
 * Rows are reported here, one by one, by the pipeline (a rowset), not to the agent: the completed
 * record is built from the rowset and the file's result.
 */
#ifndef FORMAGENT_RECORD_H
#define FORMAGENT_RECORD_H

#include <jansson.h>
#include <stdio.h>

#include "outcome.h"

struct config;
struct mapped;
struct file_result;

/*
 * The history: which claims completed, which inputs (by SHA-256) completed under which claim,
 * and which scanned claims a correction settled. Built from the log's files; kept current by
 * record_event().
 */
struct history;

/* Reads every file of the log in dir (none yet: an empty history). NULL with *cause. */
struct history *history_load(const char *dir, char **cause);
void history_free(struct history *h);
/* Whether a "completed" record for this claim id is in the log. */
int history_completed(const struct history *h, const char *claim);
/* The claim id of an earlier completion of an input with this SHA-256, or NULL (borrowed). */
const char *history_seen(const struct history *h, const char *sha256);
/*
 * The claim id of the correction that made the forms of the scanned claim with this SHA-256, or
 * NULL: such a claim is never corrected, and so paid, again.
 */
const char *history_settled(const struct history *h, const char *sha256);
/* Takes one record of the log (an event's JSON, borrowed) into the history. */
void history_add(struct history *h, json_t *rec);

/* The one writer of records: the audit log, its history, and who writes. */
struct recorder;

/* Opens the log in dir (see audit_open()) and reads its history. NULL with *cause. */
struct recorder *recorder_open(const char *dir, const char *key_file, char **cause);
void recorder_close(struct recorder *rc);
const struct history *recorder_history(const struct recorder *rc);
/* audit_keep_head() on the recorder's log. */
int recorder_keep_head(struct recorder *rc, const char *path, const char *key_file, char **cause);
/*
 * Appends a record of event with rec's members (rec is taken, and released) and who wrote it
 * (version, host, pid). 0, or -1 with *cause: then nothing was recorded.
 */
int record_event(struct recorder *rc, const char *event, json_t *rec, char **cause);

/* The claim's audited fields, as records and the register keep them (a new object). */
json_t *record_fields(const struct mapped *m);

/* A file's rows as its completed record holds them. */
struct rowset;

/*
 * keep: also keep each row's whole mapping, every field and every reason (for `formagent test`,
 * whose claims are fictional). The JSON holds only fields marked audit, and reasons that quote
 * nothing else, either way. Rows beyond the first part wait in a scratch file in tmpdir
 * ($TMPDIR when NULL): memory holds one part.
 */
struct rowset *rowset_new(int keep, const char *tmpdir);
void rowset_free(struct rowset *rs);
/*
 * Adds m's row; allowance: the claim id of the allowance its payment used, or NULL. 0, or -1
 * with *cause when the scratch file cannot be written.
 */
int rowset_add(struct rowset *rs, const struct mapped *m, const char *allowance, char **cause);
/* With keep: how many rows, and row i's mapping (borrowed; its input name is not kept). */
size_t rowset_count(const struct rowset *rs);
const struct mapped *rowset_mapped(const struct rowset *rs, size_t i);

/* The rules loaded, each by name and version (a new array): for records and the status file. */
json_t *record_rules(const struct config *c);

/* The "claimed" record of a file taken into work/; original is its name before it was cut. */
json_t *record_claimed(const char *spool, const char *claim, const char *name, const char *original,
                       long long size);
/*
 * The "rows" records of a file whose rows are more than one part, each part's in order: written
 * before its completed record, unsynced (that record's fsync makes them durable with it). A
 * crash between them leaves parts with no completion, which readers pass over: the file is done
 * again, and its parts written again from part 0. Nothing for a file of one part. 0, or -1 with
 * *cause (the file is then done again).
 */
int record_rows(struct recorder *rc, const char *spool, const char *claim, struct rowset *rs,
                char **cause);
/*
 * The "completed" record of a claimed file: its input, rule, totals, outputs, the reason when
 * refused, and what a correction put right; its rows, or after record_rows() the count and
 * SHA-256 of their parts (rs is borrowed). resumed: the log already holds a completion of this
 * claim (a crash came between the record and the move).
 */
json_t *record_completed(const char *spool, const char *claim, const char *name,
                         enum outcome result, int resumed, const struct file_result *res,
                         struct rowset *rs);

/*
 * audit_each() with each completed record whole: a large file's "rows" records are not given
 * to fn but joined to its completed record as its "rows", as a record of one part holds them.
 * A completion whose parts are missing or altered gets no rows (record_check_rows() names it).
 * Memory holds the rows of the file being joined.
 */
int record_each(char *const *files, size_t n, int (*fn)(void *ctx, json_t *rec), void *ctx);
/*
 * For audit verify: names on out each completed record whose rows records are not the parts
 * its row_records counts and hashes. 0 when every one matches (or the log has none), 1 if not.
 */
int record_check_rows(char *const *files, size_t n, FILE *out);

/*
 * What a completed record says was paid: one payment (a row with a claim key), or one
 * allowance (reason set). Strings borrowed, valid during the call.
 */
struct paid {
	const char *key;
	const char *fields; /* a payment's audited fields, as the register keeps them */
	const char *claim, *input, *at;
	unsigned long row;
	const char *allowance;   /* the claim id of the allowance the payment used, or NULL */
	const char *reason, *by; /* an allowance's */
};

/*
 * Calls fn with each payment and allowance the audit log in dir records, oldest first, as a
 * file that produced its outputs recorded them (a file completed twice, "resumed", gives its
 * payments twice). Stops at fn's first non-zero. 0, or -1 with *cause.
 */
int record_each_payment(const char *dir, int (*fn)(void *ctx, const struct paid *p), void *ctx,
                        char **cause);

#endif
