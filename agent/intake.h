/*
 * One file of a spool, from the inbox to its end: claimed into work/ under a claim id, through
 * the gate and the pipeline, recorded, and moved to done/, rejected/ or review/. The order is
 * the crash-safety order: the claimed record; outputs committed and their folders synced; the
 * claims register's entries committed; (for a rule that prints, the PDF made and committed while
 * the file waits, parked, in work/;) the completed record; then the move and the inbox's sync. A
 * crash anywhere leaves the file in the inbox or in work/, and work/ is finished first at the next
 * start; outputs are deterministic (but for the PDF, whose bytes LibreOffice dates), so doing a
 * file again gives the same bytes, and the log marks the second completion "resumed".
 *
 * The gate, the records and the moves run on the agent's one loop thread; the pipeline, between
 * them, on a worker thread (intake_work()), several files at once. The order holds per file.
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
struct reg;
struct workers;

struct intake {
	const struct config *cfg;
	struct recorder *rec;
	const char *host_tag; /* this host in claim ids: no '.', which ends a claim id */
	unsigned long seq;    /* claims taken by this process */
	/* The pipeline's stop request (see pipeline_opts.stop), or NULL. */
	const volatile sig_atomic_t *stop;
	/* LibreOffice for the rules' print outputs, or NULL when none prints. */
	struct office *office;
	/* The files in hand, from their claim to their end (intake_holds()). */
	struct intake_parked **held;
	size_t nheld, capheld;
};

/*
 * A file whose outputs are written and whose claims are entered in the register, waiting in
 * work/ for its print PDF: the caller converts intake_parked_xlsx() into intake_parked_pdf()
 * (office.h) while it goes on with other files, then hands it to intake_printed(). A crash or
 * stop meanwhile leaves it in work/, finished again at the next start like any claimed file.
 */
struct intake_parked;

enum intake_next {
	INTAKE_DONE,    /* the file is finished: recorded and moved; outcome says how */
	INTAKE_STOPPED, /* abandoned on a stop request: it waits in work/ for the next start */
	INTAKE_SUSPEND, /* an output, the log, a read or a move failed: intake must wait */
	INTAKE_LATER, /* not claimed (the share refused the move): look at the inbox again later */
	INTAKE_SKIPPED,  /* gone, or another agent took it first: nothing to do */
	INTAKE_PRINTING, /* waiting for its print PDF: parked says what to convert */
	INTAKE_WORK,     /* through the gate: parked goes to intake_work(), then intake_worked() */
	INTAKE_TWIN,     /* the same bytes are in hand: parked waits for intake_regate() */
};

struct intake_result {
	enum intake_next next;
	enum outcome outcome; /* with INTAKE_DONE */
	char *name;           /* the file's name as text, for the status file */
	char *cause;          /* with INTAKE_SUSPEND: why, for the log and the audit record */
	int log_failed;       /* with INTAKE_SUSPEND: the audit log itself could not be written */
	struct intake_parked *parked; /* with PRINTING, WORK, TWIN: the caller's to go on with */
	int heavy;                    /* with INTAKE_WORK: a scan's OCR, seconds of work */
};

/*
 * Claims the settled inbox file name, records the claim and takes it through the gate (admit.c,
 * which asks the history: so on the thread that records). Release r with intake_result_clear().
 */
void intake_take(struct intake *in, const struct spool *sp, const char *name,
                 struct intake_result *r);
/* The gate for the claimed file wname in work/ (as at start, for what a crash left there). */
void intake_resume(struct intake *in, const struct spool *sp, const char *wname,
                   struct intake_result *r);
/* The gate again for a file that waited for its twin (INTAKE_TWIN). */
void intake_regate(struct intake *in, struct intake_parked *f, struct intake_result *r);
/*
 * The pipeline and the register's commit for a file through the gate, on any thread: it touches
 * nothing of in but what does not change while files are in hand (the configuration), and the
 * register connection reg, which is this thread's alone. Its forms are drawn on render (NULL:
 * in turn). Then intake_worked().
 */
void intake_work(struct intake_parked *f, struct reg *reg, struct workers *render);
/*
 * On the recording thread, after intake_work(): the completed record and the move, or the file
 * parked for its PDF (INTAKE_PRINTING), or how it ended otherwise. Frees f unless parked.
 */
void intake_worked(struct intake *in, struct intake_parked *f, struct intake_result *r);
/* Whether wname in sp's work/ is a file in hand: claimed here, and not ended. */
int intake_holds(const struct intake *in, const struct spool *sp, const char *wname);
/* How many files are in hand. */
size_t intake_held(const struct intake *in);
/* Whether a file of this name is heavy work (a scan's or a correction's OCR), by its name. */
int intake_heavy(const struct intake *in, const char *name);
/* How many files in hand, heavy or not, are not waiting for their PDF. */
size_t intake_held_working(const struct intake *in, int heavy);
void intake_result_clear(struct intake_result *r);

const char *intake_parked_xlsx(const struct intake_parked *f);
const char *intake_parked_pdf(const struct intake_parked *f);
const struct spool *intake_parked_spool(const struct intake_parked *f);
/*
 * Finishes a parked file once its conversion has ended: with its PDF, or, when failed says why
 * there is none, with a note in rejected/ (print.c); then recorded and moved. With io, the
 * failure was the agent's own (office_failed_io()): intake is suspended and the file, still in
 * work/, is done again. Frees f.
 */
void intake_printed(struct intake *in, struct intake_parked *f, const char *failed, int io,
                    struct intake_result *r);
/* Abandons a file in hand (a stop): it stays in work/ for the next start. Accepts NULL. */
void intake_parked_free(struct intake_parked *f);

/*
 * Whether a work file is this host's claim. Several hosts may share one spool: a claim in hand
 * on another host is not ours to finish, and that host finishes its own at its next start.
 */
int intake_ours(const struct intake *in, const char *wname);
/* The name a file in work/ ("CLAIM.NAME") had in the inbox: within wname. */
const char *intake_name_of(const char *wname);
/* The claim id of a file in work/, named "CLAIM.NAME"; caller frees. */
char *intake_claim_of(const char *wname);

#endif
