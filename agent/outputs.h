/*
 * The outputs of one file, and the table of output kinds a rule may ask for. A kind is a row of
 * output_kinds[]: the key of its section under a rule's `outputs:`, the keys that section takes,
 * how its settings load and resolve, and its writer (open on a file's first claim, one claim at a
 * time, close at the end, or abort). Adding a kind is its writer, a row here, and its section in
 * docs/rules.md; the loader, the pipeline and the tests of the documentation follow the table.
 *
 * Every output goes through outputs_begin() and outputs_commit() into a place (the out, rejected
 * or review folder): written under a temporary name, hashed for the audit record, renamed into
 * place, and the place's folder synced once, by outputs_sync(), before any record says the
 * outputs exist.
 */
#ifndef FORMAGENT_OUTPUTS_H
#define FORMAGENT_OUTPUTS_H

#include <stdint.h>

#include "buf.h"
#include "diag.h"
#include "hash.h"
#include "rules.h"
#include "spool.h"
#include "template.h"
#include "yamldoc.h"

struct workers;
struct mapped;
struct outputs;

/* One output as the audit record names it. */
struct output {
	char *name; /* in its place's folder */
	char sha256[HASH_HEX];
	long long size;
};

struct output_kind {
	const char *key; /* its section under outputs: */
	const char *const
	    *keys; /* the keys the section takes, 'name' among them; NULL-terminated */
	const char *const
	    *inner_keys;     /* the keys of its inner mappings (import columns), or NULL */
	const char *ext;     /* what its name must end in, or NULL */
	const char *example; /* a name, for the message when 'name' is missing */
	/*
	 * Whether it may refuse a claim (1 from row()). Such a kind writes nothing of a claim it
	 * refuses, and comes before every kind that may not, since those write as they go.
	 */
	int refuses;

	/* The section's own keys into new settings (NULL when there are none); problems into d. */
	void *(*load)(struct rule *r, const struct ynode *section, struct diags *d);
	/* Settings naming templates: resolved among t[n] (see rule_resolve()). May be NULL. */
	void (*resolve)(struct rule *r, struct rule_output *ro, struct template *const *t, size_t n,
	                const char *templates_dir, struct diags *d);
	/*
	 * The i-th file (from 0) whose bytes are part of the rule's version (a template, its
	 * workbook), or NULL after the last. May be NULL.
	 */
	const char *(*version_file)(const struct rule_output *ro, int i);
	void (*free)(void *conf);

	/*
	 * The writer. open() makes the kind's state for one file; row() writes one claim (0), or
	 * refuses it (1, *cause the reason) or fails (-1, *cause); close() commits what it wrote
	 * (through outputs_commit()) and frees the state; abort() removes what it wrote and frees
	 * the state.
	 */
	void *(*open)(struct outputs *o, const struct rule_output *ro);
	int (*row)(void *state, struct outputs *o, const struct mapped *m, char **cause);
	int (*close)(void *state, struct outputs *o, char **cause);
	void (*abort)(void *state);
	/*
	 * Commits what row() left to commit later (forms drawn on other threads), before any kind
	 * closes: the outputs stay listed in a one-thread run's order. May be NULL.
	 */
	int (*flush)(void *state, struct outputs *o, char **cause);
};

/* The kinds, in the order a claim goes through them; NULL-terminated. */
extern const struct output_kind *const output_kinds[];
extern const struct output_kind import_kind, form_kind, ledger_kind, print_kind;
/* The keys of a rule's outputs section: "created" and every kind's key; NULL-terminated. */
const char *const *output_section_keys(void);

/* A folder outputs go to; renamed: a rename into it still waits for the folder's fsync. */
struct place {
	const char *dir;
	int renamed;
};

/* The claims one print PDF holds at most: LibreOffice lays the whole batch out in memory. */
#define PRINT_MAX_CLAIMS 1000

/*
 * A print PDF still to be made (print.c): its batch workbook, converted by LibreOffice into the
 * PDF's temporary file, which print_end() then commits. Free with print_job_free(), which
 * removes both files.
 */
struct print_job {
	char *xlsx;          /* the batch workbook, in the scratch folder */
	struct outfile pdf;  /* begun in the out place, closed */
	unsigned long pages; /* forms in it (the ledger's pages come on top) */
	char *failed;        /* for the caller: why the conversion failed */
};

/* The outputs of one file. Start it with outputs_init(); end it with outputs_clear(). */
struct outputs {
	const struct rule *r; /* set once the file's rule is known */
	struct place out, rejected, review;
	const char *tmpdir; /* libxlsxwriter's scratch files, or NULL */
	const char *input;  /* the input's name as text: reasons, ledger titles */
	void **state;       /* per rule output: its writer's state, once opened */
	int64_t total;      /* the ledger's total, for the record */
	/* The print output's LibreOffice, or NULL: no PDF is made (a rule's tests, a dry run). */
	struct office *office;
	/* With office: the conversion is left to the caller, in print; else it is waited for. */
	int print_later;
	struct print_job *print;
	/* Threads that draw forms, several at once (forms.c), or NULL: one at a time, in turn. */
	struct workers *render;
	struct output *list; /* committed, in order */
	size_t n;
};

/* review_dir NULL: scanned claims wait in reject_dir. */
void outputs_init(struct outputs *o, const char *out_dir, const char *reject_dir,
                  const char *review_dir, const char *tmpdir, const char *input);
/*
 * One claim through every output of o->r, in table order. 0; 1 when a kind refused it (*cause
 * the reason; nothing of it was written); -1 with *cause.
 */
int outputs_row(struct outputs *o, const struct mapped *m, char **cause);
/* Closes every output opened, last kind first. 0, or -1 with *cause. */
int outputs_close(struct outputs *o, char **cause);
/* Syncs every place renamed into. 0, or -1 with *cause. */
int outputs_sync(struct outputs *o, char **cause);
/*
 * Removes every output not yet committed (committed ones stay: a file is done again whole) and
 * frees o's list; o->list may be taken first (then set it NULL).
 */
void outputs_clear(struct outputs *o);

/* Starts an output named name in p (see out_begin()). */
int outputs_begin(struct place *p, const char *name, struct outfile *f, char **cause);
/* Hashes f's bytes, renames it into its place and adds it to the list. 0, or -1 with *cause. */
int outputs_commit(struct outputs *o, struct place *p, struct outfile *f, char **cause);
/*
 * A note for the clerk about the input, in p: the input's name (made safe) + suffix
 * (".reason.txt", ".review.txt"), head then body. The one writer of both.
 */
int outputs_note(struct outputs *o, struct place *p, const char *suffix, const char *head,
                 const struct buf *body, char **cause);
/*
 * Ends a print job: the PDF committed into o's out place when failed is NULL, else a note
 * (NAME.print-failed.txt in o's rejected place) saying why there is none. Frees job. 0, or -1
 * with *cause when neither could be written (the file is then done again).
 */
int print_end(struct outputs *o, struct print_job *job, const char *failed, char **cause);
struct config;
/*
 * The LibreOffice runner for c's print outputs (office.h), with the templates' fonts.conf; NULL
 * when no rule of c prints. Free with office_free().
 */
struct office *print_office(const struct config *c);
/* Abandons a print job, removing its files. Accepts NULL. */
void print_job_free(struct print_job *job);

/* An output's name from its pattern: field values reduced to safe characters; caller frees. */
char *outputs_name(const struct name_pattern *np, const struct mapped *m);

#endif
