/*
 * Helpers shared by the test programs: temporary folders, whole-file reads and writes, and
 * running the real formagent binary ($FORMAGENT) with its output captured. Everything returned
 * is the caller's to free.
 */
#ifndef FORMAGENT_TESTUTIL_H
#define FORMAGENT_TESTUTIL_H

#include <stddef.h>
#include <stdio.h>

/* A new empty folder under $TMPDIR or /tmp; removed by rmtree(). */
char *tmpdir_new(void);
void rmtree(const char *dir);
/* The file's bytes (NUL-terminated; *len set when len is not NULL), or NULL if it cannot be read.
 */
char *slurp(const char *path, size_t *len);
void spit(const char *path, const void *buf, size_t len);
/* spit() for a NUL-terminated string. */
void spits(const char *path, const char *s);
/* printf into a new string (paths, commands). */
char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* All of fp's bytes, NUL-terminated (*len set when not NULL); NULL if there are none. */
char *slurp_fp(FILE *fp, size_t *len);
/* A path under the source tree ($SRCDIR, or the current folder). */
char *srcpath(const char *rel);
/*
 * The example configuration (formagent.yaml) as a new file in dir, with its rules and
 * templates from the source tree and its demo folders, audit log and claims register under
 * dir: what one test pays is not another's, nor what `make demo` paid. Its print PDFs come
 * from the stand-in LibreOffice (tests/fixtures/office/soffice).
 */
char *example_config(const char *dir);
/* The shared samples folder (../shared/samples beside the checkout). */
char *samplepath(const char *name);
/*
 * Runs "$FORMAGENT args" through the shell in dir (NULL: the current folder), with stdout and
 * stderr captured into *out and *err (either may be NULL). Returns the exit status.
 */
int run_agent(const char *dir, char **out, char **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Counts the entries of dir whose names end in suffix ("" for all, hidden ones included). */
int count_files(const char *dir, const char *suffix);
/*
 * A new empty database on the test PostgreSQL server (tests/pgserver, FORMAGENT_TEST_PG), as a
 * conninfo; NULL, with the reason on stderr, when there is no server.
 */
char *pg_database(void);
/*
 * Runs `formagent claims check -c cfg` (bin: the binary) and counts its differences: payments
 * the audit log records that the register lacks (*log_only), entries the log has no record of
 * or with other values (*reg_only). Returns the command's exit status (0: none; -1: not run).
 */
int claims_differences(const char *bin, const char *cfg, int *log_only, int *reg_only);
/* Converts CP932 bytes to UTF-8 through iconv; NULL if they are not valid CP932. */
char *from_cp932(const char *s, size_t len);

/*
 * How many processes have pattern in their command line. Its first character goes in brackets,
 * so the shell that runs pgrep (whose command line holds the pattern) is not counted.
 */
int processes_running(const char *pattern);
/*
 * "workers: N\n" when $WORKERS says N (make crashtest, faulttest and badinput run with 1 and with
 * several), else "" (the agent's default, the cores). Static storage.
 */
const char *workers_line(void);

#endif
