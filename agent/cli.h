/*
 * The command line's shared parts: main.c runs the commands that take claims (check, process,
 * test, run, status) tools.c those for administrators and auditors (convert, scan, audit), and
 * claims.c the claims register's (claims show, check, rebuild).
 */
#ifndef FORMAGENT_CLI_H
#define FORMAGENT_CLI_H

#include <stdio.h>

struct config;

void cli_usage(FILE *fp);
/* The configuration file: opt, else $FORMAGENT_CONFIG, else the default. */
const char *cli_config_path(const char *opt);
/*
 * Loads the configuration at path, printing its problems (as JSON on stdout with json); NULL when
 * it cannot be used. Free with config_free().
 */
struct config *cli_load(const char *path, int json);

/* Each command takes its own argv (argv[0] is the command's name); returns the exit status. */
int cmd_convert(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_scan(int argc, char **argv);
/* claims.c: show, check and rebuild the claims register. */
int cmd_claims(int argc, char **argv);

#endif
