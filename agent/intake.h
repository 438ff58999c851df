/*
 * One file of a spool, from the inbox to its end: claimed into work/ under a claim id, through
 * the gate and the pipeline, recorded, and moved to done/, rejected/ or review/. The order is
 * the crash-safety order: the claimed record; outputs committed and their folders synced; the
 * claims register's entries committed; the completed record; then the move and the inbox's sync. A
 * crash anywhere leaves the file in the inbox or in work/, and work/ is finished first at the next
 * start; outputs are deterministic, so doing a file again gives the same bytes, and the log marks
 * the second completion "resumed".
 *
 * Intake reports what happened as a value. It never calls back into the agent, which decides
 * from the result whether to suspend intake.
 */
#ifndef FORMAGENT_INTAKE_H
#define FORMAGENT_INTAKE_H

#include <signal.h>

#include "config.h"
#include "outcome.h"

struct recorder;

struct intake {
	const struct config *cfg;
	struct recorder *rec;
	const char *host_tag; /* this host in claim ids: no '.', which ends a claim id */
	unsigned long seq;    /* claims taken by this process */
	/* The pipeline's stop request (see pipeline_opts.stop), or NULL. */
	const volatile sig_atomic_t *stop;
	struct reg *reg; /* the claims register */
};

enum intake_next {
	INTAKE_DONE,    /* the file is finished: recorded and moved; outcome says how */
	INTAKE_STOPPED, /* abandoned on a stop request: it waits in work/ for the next start */
	INTAKE_SUSPEND, /* an output, the log, a read or a move failed: intake must wait */
	INTAKE_LATER, /* not claimed (the share refused the move): look at the inbox again later */
	INTAKE_SKIPPED, /* gone, or another agent took it first: nothing to do */
};

struct intake_result {
	enum intake_next next;
	enum outcome outcome; /* with INTAKE_DONE */
	char *name;           /* the file's name as text, for the status file */
	char *cause;          /* with INTAKE_SUSPEND: why, for the log and the audit record */
	int log_failed;       /* with INTAKE_SUSPEND: the audit log itself could not be written */
};

/* Claims the settled inbox file name and finishes it. Release r with intake_result_clear(). */
void intake_take(struct intake *in, const struct spool *sp, const char *name,
                 struct intake_result *r);
/* Finishes the claimed file wname in work/ (as at start, for what a crash left there). */
void intake_finish(struct intake *in, const struct spool *sp, const char *wname,
                   struct intake_result *r);
void intake_result_clear(struct intake_result *r);

/*
 * Whether a work file is this host's claim. Several hosts may share one spool: a claim in hand
 * on another host is not ours to finish, and that host finishes its own at its next start.
 */
int intake_ours(const struct intake *in, const char *wname);
/* The claim id of a file in work/, named "CLAIM.NAME"; caller frees. */
char *intake_claim_of(const char *wname);

#endif
