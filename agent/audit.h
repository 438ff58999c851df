/*
 * The audit log: one JSON Lines file per day (audit-YYYY-MM-DD.jsonl), one record per event,
 * each record chained to the one before by a SHA-256 (or HMAC-SHA-256 with a key only the agent
 * can read). A record's line is its canonical JSON (keys sorted, no spaces) with
 * ,"hash":"<hex>"} appended, and the hash covers exactly the bytes before it, so any change to
 * any byte of a line, a missing line or lines out of order is found by audit_verify(). This room
 * knows nothing of claims beyond the JSON it is handed: record.c writes the records and reads
 * back what the log says about claims.
 */
#ifndef FORMAGENT_AUDIT_H
#define FORMAGENT_AUDIT_H

#include <jansson.h>
#include <stdio.h>

struct audit;

/* In the audit folder: locked by the one process writing the log, holding its pid. */
#define AUDIT_LOCK ".formagent.lock"

/*
 * Opens the log in dir (created 0750 if missing), continuing the chain from the newest file. A
 * last line cut short by a crash (no newline: never fsynced, so never relied on) is removed.
 * key_file, when not NULL, holds the HMAC key and must not be readable by group or others. The
 * log has one writer: the folder stays locked until audit_close(), and a second audit_open() of
 * it, in any process, is refused with the first one's pid. Returns NULL with *cause.
 */
struct audit *audit_open(const char *dir, const char *key_file, char **cause);
/*
 * From now on keeps the log's head (SEQ:HASH) in path after every append, and checks first that
 * the log holds the head path kept before, verifying the whole chain with key_file. A log cut or
 * rewritten while the agent was stopped fails: 1 with *cause saying what verify found. 0 when it
 * holds (or nothing was kept yet), -1 with *cause when path cannot be read.
 */
int audit_keep_head(struct audit *a, const char *path, const char *key_file, char **cause);
void audit_close(struct audit *a);

/*
 * Appends a record for event with the members of rec (borrowed), adding seq, time, prev and
 * hash, and fsyncs it. Returns 0, or -1 with *cause; then nothing was appended that a later
 * append would chain to, and the caller must not act as if it had been recorded.
 */
int audit_append(struct audit *a, const char *event, json_t *rec, char **cause);
/*
 * audit_append() without the fsync: the record is durable with the next audit_append(). For the
 * parts of a large record, which count only with the record that follows them.
 */
int audit_append_unsynced(struct audit *a, const char *event, json_t *rec, char **cause);

/*
 * Verifies files (in the order given, which should be date order) as one chain. Prints
 * "OK: N records, first SEQ, last SEQ, head SEQ:HASH" to out and returns 0, or prints the first
 * problem (file, line, sequence, what is wrong) and returns 1. head ("SEQ:HASH", or NULL) must be
 * found in the log. key_file is needed for an HMAC-chained log. The chain must start at record 1
 * unless partial (a later part of the log given on purpose).
 */
int audit_verify(char *const *files, size_t n, const char *head, const char *key_file, int partial,
                 FILE *out);
/*
 * Calls fn with each record of files in order (parsed, not verified: audit_verify() does that;
 * the record is borrowed). Stops when fn returns non-zero. Returns 0, or -1 if a file cannot be
 * read.
 */
int audit_each(char *const *files, size_t n, int (*fn)(void *ctx, json_t *rec), void *ctx);

/* Prints the last record's SEQ:HASH; 0, or 1 when the log is empty or unreadable. */
int audit_head(char *const *files, size_t n, FILE *out);

/* The log's files in dir, sorted by date; *n gets the count. Free with audit_files_free(). */
char **audit_files(const char *dir, size_t *n);
/* Frees audit_files()'s list of n; accepts NULL. */
void audit_files_free(char **files, size_t n);

/* The current time as RFC 3339 with the local offset: 2024-04-01T09:30:00+09:00. */
void audit_now(char buf[32]);

#endif
