/*
 * What auditors read out of the audit log: `formagent audit show` (a table on a terminal, with
 * Japanese text aligned by display width, or JSON) and `formagent audit export` (an xlsx workbook
 * they can filter and sum in Excel: one row per claim, one per file, and totals per day and rule
 * with a chart). Records are read as they are; audit_verify() is what proves them.
 */
#ifndef FORMAGENT_AUDITVIEW_H
#define FORMAGENT_AUDITVIEW_H

#include <stdio.h>

struct audit_filter {
	const char *since, *until; /* YYYY-MM-DD, inclusive; NULL for open */
	const char *rule;          /* a rule name */
	const char *event;         /* started, claimed, completed, ... */
	const char *case_no;       /* records whose rows hold this case number */
};

/* Prints the records that pass f. Returns 0, or 1 if a file cannot be read. */
int audit_show(char *const *files, size_t n, const struct audit_filter *f, int json, FILE *out);
/* Writes the workbook to path. Returns 0, or -1 with *cause. */
int audit_export(char *const *files, size_t n, const struct audit_filter *f, const char *path,
                 char **cause);

#endif
