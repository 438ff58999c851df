/*
 * How one claimed file ended, as a value every room passes down and none turns back into a number:
 * the pipeline returns it, intake records it (its name is the audit record's "result"), the agent
 * acts on it, and `process` makes its exit status from it.
 */
#ifndef FORMAGENT_OUTCOME_H
#define FORMAGENT_OUTCOME_H

enum outcome {
	OUTCOME_PRODUCED,        /* every claim made its outputs */
	OUTCOME_PARTLY_REJECTED, /* some rows were rejected; the others made their outputs */
	OUTCOME_REJECTED,        /* the file was refused whole; its .reason.txt says why */
	OUTCOME_REVIEW,          /* a scanned claim a person must look at (.review.txt) */
	OUTCOME_DUPLICATE,       /* refused unread: the same file was already processed */
	OUTCOME_CANCELLED,       /* abandoned on request: finished at the next start */
	OUTCOME_RETRY, /* an output or a read failed, not by the file's fault: again later */
	OUTCOME_COUNT
};

/* The outcome's word, as the audit log, the status file and the log give it. */
const char *outcome_name(enum outcome o);
/* Whether the file is finished with it: recorded, and moved out of work/. */
int outcome_final(enum outcome o);
/*
 * Whether a file that ended so may have paid: its outputs published and its claims entered
 * (produced, partly rejected, or in review with its sure pages made). One refused whole, or
 * not finished, paid nothing.
 */
int outcome_paid(enum outcome o);
/* Whether the word (an audit record's "result") is of such an outcome. */
int outcome_name_paid(const char *word);
/* `process`'s exit status for it: 0 all made, 1 a person has work to do, 2 not processed. */
int outcome_exit(enum outcome o);

#endif
