/*
 * The agent's status for people: status.json in the state folder (rewritten every few seconds and
 * soon after each outcome), and `formagent status`, which reads it back beside what the spools'
 * folders hold now. Nothing here is durable or audited: the audit log is the record.
 */
#ifndef FORMAGENT_STATUS_H
#define FORMAGENT_STATUS_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

struct status;

/* Who is running: fixed for the life of the process. Strings are borrowed. */
struct status_info {
	const char *config_path;
	const char *started; /* RFC 3339 */
};

struct status *status_new(const struct status_info *info);
void status_free(struct status *st);
/* Remembers a file's outcome among the spool's last few (by spool name: it survives a reload). */
void status_note(struct status *st, const char *spool, const char *name, const char *outcome);
/*
 * Writes status.json for c (rules loaded at loaded; suspended: why intake is suspended, or NULL)
 * and gives the files waiting in the inboxes and in work/. 0, or -1 with *cause.
 */
int status_write(struct status *st, const struct config *c, const char *loaded,
                 const char *suspended, size_t *waiting, size_t *work, char **cause);
/* Prints the agent's status for the configuration; returns the exit status. */
int status_print(const char *config_path, FILE *out);
/* Entries in dir not starting with '.' (0 when it cannot be read). */
size_t status_count_dir(const char *dir);

#endif
