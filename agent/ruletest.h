/*
 * Rule tests: `formagent test` runs the cases in rules/<name>.test.yaml through the real
 * pipeline in a temporary folder and compares what came out with what the administrator
 * expects: each row's mapped fields or the reason it was rejected, cells of the form, lines of
 * the import file. Every failed expectation is printed with its file:line.
 */
#ifndef FORMAGENT_RULETEST_H
#define FORMAGENT_RULETEST_H

#include <stdio.h>

#include "config.h"

/*
 * Runs the tests of the named rules (all rules when n is 0), printing failures and the closing
 * line "N passed, N failed" (N test cases) to out. Returns the number of failed cases, or -1
 * when a named rule does not exist.
 */
int ruletest_run(const struct config *c, char *const *rules, size_t n, FILE *out);

/* The keys a test file accepts, for the documentation test. */
extern const char *const ruletest_keys[];
extern const char *const ruletest_case_keys[];
extern const char *const ruletest_row_keys[];
extern const char *const ruletest_cell_keys[];

#endif
