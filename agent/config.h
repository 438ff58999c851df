/*
 * The configuration (formagent.yaml): where rules and templates live, the audit directory, and
 * the spools (each an inbox with its work, out, done and rejected folders, and the rules it
 * accepts). config_load() loads everything the configuration points at, so a loaded config is a
 * complete, checked set: `formagent check` is config_load() with its diagnostics printed.
 */
#ifndef FORMAGENT_CONFIG_H
#define FORMAGENT_CONFIG_H

#include <stddef.h>

#include "diag.h"
#include "rules.h"
#include "template.h"
#include "transform.h"

struct spool {
	char *name;
	char *inbox, *work, *out, *done, *rejected; /* absolute or relative to the config file */
	char *review; /* text claims a person must look at; default: review/ beside rejected/ */
	char **rules;
	size_t nrules;
	int watch;     /* enum watch_mode */
	int settle_ms; /* a file is taken once unchanged this long */
	int rescan_s;  /* full scans of the inbox, on top of inotify */
	long long max_bytes;
	char **ignore; /* file-name globs never taken, on top of the built-in ones */
	size_t nignore;
	int line, col;
};

struct config {
	char *path;
	char *dir; /* the config file's folder: relative paths start here */
	char *rules_dir, *templates_dir, *audit_dir, *tmpdir;
	char *audit_key;       /* HMAC key file, or NULL for plain SHA-256 */
	char *state_dir;       /* the agent's status file; the audit folder when not given */
	char *register_sqlite; /* register: {sqlite: PATH}, or NULL for STATE_DIR/claims.sqlite */
	char *register_pg;     /* register: {postgresql: CONNINFO}, or NULL */
	char **administrators; /* the users whose .allow.txt files are taken */
	size_t nadministrators;
	int stop_grace_ms; /* after SIGTERM, how long the file in hand may take to finish */
	int retry_ms;      /* how often suspended intake tries again to write */
	int workers;       /* threads that process files (workers.h): default the cores */
	/* print: LibreOffice for the print output: the program (NULL: soffice on PATH) and how
	 * long one conversion may take. */
	char *soffice;
	int print_timeout_s;
	char *language;    /* of the reasons clerks read: "ja" (the default) or "en" */
	struct eras eras;  /* the built-in eras and the configuration's own */
	struct era *era_v; /* eras.v, owned */
	struct spool *spools;
	size_t nspools;
	struct rule **rules; /* sorted by name */
	size_t nrules;
	struct template **templates;
	size_t ntemplates;
};

/* Loads path and everything it names. NULL with every problem in d. Free with config_free(). */
struct config *config_load(const char *path, struct diags *d);
void config_free(struct config *c);
const struct rule *config_rule(const struct config *c, const char *name);

extern const char *const config_keys[];
extern const char *const config_spool_keys[];
extern const char *const config_print_keys[];
extern const char *const config_audit_keys[];
extern const char *const config_register_keys[];
extern const char *const config_era_keys[];

#endif
