/*
 * The claims register: every claim formagent paid, by its key (a rule's claim kind and key
 * fields, mapped_claim_key()), with the audited fields it was paid with and where it came from
 * (input, row, claim id, time). The pipeline looks each claim up before making its outputs, so a
 * claim is paid once however often, and under whatever name or encoding, it arrives. SQLite by
 * default (WAL, one writer, in the agent's state folder); PostgreSQL when several hosts share an
 * inbox, so that each sees what the others paid.
 *
 * Entries are written in one transaction per file, committed after the file's outputs and before
 * its completed audit record. The audit log stays the truth: at start, entries this agent made
 * of a claim its log has no completion of (a crash between the two) are removed, and the claim,
 * still in work/, is done again and entered again. `formagent claims rebuild` remakes this
 * agent's entries from its log; `claims check` names every difference.
 *
 * A key is paid once, unless an administrator allows it again (an allowance: an .allow.txt file
 * the agent took, in its audit log with who and why). The next payment of that key uses the
 * allowance up.
 */
#ifndef FORMAGENT_REGISTER_H
#define FORMAGENT_REGISTER_H

struct config;
struct history;
struct reg;

/* One payment of a key (strings owned: free with reg_entry_clear()). */
struct reg_entry {
	char *key;
	char *kind;
	unsigned long seq; /* 1 for the first payment of a key, 2 for the one an allowance let... */
	char *fields;      /* the audited fields it was paid with: canonical JSON */
	char *claim;       /* the claim id of the file that paid it */
	char *input;       /* that file's name */
	unsigned long row;
	char *paid_at;   /* RFC 3339 */
	char *agent;     /* which agent entered it: host and audit folder (reg_agent()) */
	char *allowance; /* the claim id of the allowance it used, or NULL */
	/* From reg_find() only: an allowance not used yet, or NULL. */
	char *allowed;    /* its claim id */
	char *allowed_by; /* who wrote it */
	char *allowed_why;
};

/* An administrator's allowance of one more payment of a key (strings borrowed). */
struct reg_allowance {
	const char *key;
	const char *reason;
	const char *by; /* the user who wrote the file */
	const char *claim;
	const char *input;
	const char *at;      /* RFC 3339 */
	const char *used_by; /* the claim id of the payment that used it, or NULL */
};

#define REG_READONLY 0x1 /* look up only; a register that does not exist yet is empty */

/*
 * Opens the register c names: register: {postgresql: CONNINFO}, register: {sqlite: PATH}, or
 * STATE_DIR/claims.sqlite. SQLite is refused on NFS, CIFS/SMB or FUSE, where its locking is not
 * safe. With REG_READONLY, a SQLite register that does not exist gives NULL with *cause NULL:
 * nothing was paid. NULL with *cause otherwise.
 */
struct reg *reg_open(const struct config *c, int flags, char **cause);
void reg_close(struct reg *g);
/* Where the register is, for messages: "SQLite PATH" or "PostgreSQL". Borrowed. */
const char *reg_where(const struct reg *g);

/*
 * One file's entries: begin (the register's one writer until commit or rollback), then add;
 * commit, or roll back (nothing of them stays; nothing when there is no transaction). One
 * transaction runs at a time in a process, whichever of its connections begins it: the others
 * wait in reg_begin().
 */
int reg_begin(struct reg *g, char **cause);
/*
 * Puts the file's transaction off until its first look-up or entry (reg_find(), reg_add(),
 * reg_allow()), which then begins it: a file's reading (a scan's OCR) holds no lock, and a
 * file refused before any claim takes none. reg_commit() and reg_rollback() end it either way.
 */
void reg_begin_later(struct reg *g);
int reg_commit(struct reg *g, char **cause);
void reg_rollback(struct reg *g);

/*
 * Looks key up: 1 with *e filled (its latest payment, and an allowance not used yet), 0 when it
 * was never paid, -1 with *cause.
 */
int reg_find(struct reg *g, const char *key, struct reg_entry *e, char **cause);
/*
 * Enters a payment within the file's transaction: e's key, kind, seq, fields, claim, input, row
 * and allowance (which it marks used); the time and the agent are the register's. Refused (-1
 * with *cause) when the key and seq are in already, whatever the caller believed.
 */
int reg_add(struct reg *g, const struct reg_entry *e, char **cause);
/* Enters an allowance, within a transaction. -1 with *cause when the key has one unused. */
int reg_allow(struct reg *g, const struct reg_allowance *al, char **cause);

/*
 * Removes the entries this agent made of every claim h has no completion of whose file in_work
 * says is still in work/ (a crash between entry and record: it is done again), and gives back
 * the allowances they used. The entries of such a claim whose file is not in work/ are kept (the
 * claim is not paid again) and counted in *kept. Returns how many claims were removed, or -1
 * with *cause.
 */
int reg_reconcile(struct reg *g, const struct history *h,
                  int (*in_work)(void *ctx, const char *claim), void *ctx, unsigned long *kept,
                  char **cause);

/*
 * Calls fn with each payment, every agent's, oldest first. Stops at fn's first non-zero, which it
 * returns; -1 with *cause on a register error.
 */
int reg_each(struct reg *g, int (*fn)(void *ctx, const struct reg_entry *e), void *ctx,
             char **cause);
/* reg_each() for allowances, every agent's, with the name of the agent that entered each. */
int reg_each_allowance(struct reg *g,
                       int (*fn)(void *ctx, const struct reg_allowance *al, const char *agent),
                       void *ctx, char **cause);
/* Removes every payment and allowance this agent made, within a transaction (for rebuild). */
int reg_clear_mine(struct reg *g, char **cause);
/*
 * Removes what the file of claim id claim entered, whichever agent's name it bears, and gives
 * back the allowances its payments used; within a transaction. 0, or -1 with *cause.
 */
int reg_forget(struct reg *g, const char *claim, char **cause);
/* This agent's name in its entries (reg_entry.agent). Borrowed. */
const char *reg_agent(const struct reg *g);
/* Whether a key's values (after the kind) include v: `claims show --case`. */
int reg_key_has(const char *key, const char *v);

void reg_entry_clear(struct reg_entry *e);

#endif
