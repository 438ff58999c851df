/*
 * The claims register: every claim formagent paid, by its key (a rule's claim kind and key
 * fields, mapped_claim_key()), with the audited fields it was paid with and where it came from
 * (input, row, claim id, time). The pipeline looks each claim up before making its outputs, so a
 * claim is paid once however often, and under whatever name or encoding, it arrives. SQLite,
 * in WAL mode with one writer, in the agent's state folder.
 *
 * Entries are written in one transaction per file, committed after the file's outputs and before
 * its completed audit record. The audit log stays the truth: at start, entries of a claim the log
 * has no completion of (a crash between the two) are removed, and the claim, still in work/, is
 * done again and entered again.
 */
#ifndef FORMAGENT_REGISTER_H
#define FORMAGENT_REGISTER_H

struct history;
struct reg;

/* Where a key was paid (strings owned: free with reg_entry_clear()). */
struct reg_entry {
	char *fields; /* the audited fields it was paid with: canonical JSON */
	char *claim;  /* the claim id of the file that paid it */
	char *input;  /* that file's name */
	unsigned long row;
	char *paid_at; /* RFC 3339 */
};

/*
 * Opens (creating) the register at path. Refuses a path on NFS, CIFS/SMB or FUSE, where SQLite's
 * locking is not safe. NULL with *cause.
 */
struct reg *reg_open(const char *path, char **cause);
void reg_close(struct reg *g);

/* One file's entries: begin, then add; commit, or roll back (nothing of them stays). */
int reg_begin(struct reg *g, char **cause);
int reg_commit(struct reg *g, char **cause);
void reg_rollback(struct reg *g);

/* Looks key up: 1 with *e filled, 0 when it was never paid, -1 with *cause. */
int reg_find(struct reg *g, const char *key, struct reg_entry *e, char **cause);
/* Enters key as paid, within the file's transaction. 0, or -1 with *cause. */
int reg_add(struct reg *g, const char *kind, const char *key, const char *fields, const char *claim,
            const char *input, unsigned long row, char **cause);
/*
 * Removes the entries of every claim h has no completion of. Returns how many claims, or -1 with
 * *cause.
 */
int reg_reconcile(struct reg *g, const struct history *h, char **cause);
void reg_entry_clear(struct reg_entry *e);

#endif
