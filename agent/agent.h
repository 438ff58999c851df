/*
 * The daemon: `formagent run` watches every spool's inbox and hands each file, once it has
 * settled, to intake (claim, gate, pipeline, record, move). Files found in work/ at start are
 * finished first. Stop and reload requests come as signals.
 */
#ifndef FORMAGENT_AGENT_H
#define FORMAGENT_AGENT_H

#include <stdio.h>

struct agent_opts {
	int once; /* stop when every inbox and work folder is empty (for scripts and the demo) */
};

/* Runs until SIGTERM or SIGINT (or, with once, until idle). Returns the exit status. */
int agent_run(const char *config_path, const struct agent_opts *o);

#endif
