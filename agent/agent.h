/*
 * The daemon: `formagent run` watches every spool's inbox, claims each file once it has settled,
 * takes it through the pipeline, records the outcome in the audit log and only then moves the
 * input to done/ or rejected/. Files found in work/ at start are finished first. `formagent
 * status` reads the small status file the agent keeps.
 */
#ifndef FORMAGENT_AGENT_H
#define FORMAGENT_AGENT_H

#include <stdio.h>

struct agent_opts {
	int once; /* stop when every inbox and work folder is empty (for scripts and the demo) */
};

/* Runs until SIGTERM or SIGINT (or, with once, until idle). Returns the exit status. */
int agent_run(const char *config_path, const struct agent_opts *o);
/* Prints the agent's status for the configuration; returns the exit status. */
int agent_status(const char *config_path, FILE *out);

#endif
