/*
 * The folder protocol's output half: files appear whole or not at all. An output is written under
 * a hidden temporary name in its final folder, fsynced, renamed into place without ever
 * replacing a file (renameat2 RENAME_NOREPLACE), and the folder is fsynced. Output names made
 * from claim data pass through spool_safe_name() first. The input half: spool_claim() takes an
 * inbox file by a rename into work/, and spool_move() takes it on to done/ or rejected/.
 */
#ifndef FORMAGENT_SPOOL_H
#define FORMAGENT_SPOOL_H

#include <stddef.h>

struct outfile {
	int dirfd;
	int fd; /* open on the temporary file, or -1 once closed */
	char *dir;
	char *name;    /* the name wanted */
	char *tmp;     /* the temporary name, in dir */
	char *tmppath; /* dir/tmp, for libraries that take a path */
	char *final;   /* the name it got, after out_commit() */
	/*
	 * Set after out_begin(): out_commit() leaves the folder's fsync to one spool_sync_dir() for
	 * many outputs. Each output still appears whole or not at all; only its name's durability
	 * waits, and the caller syncs before anything (an audit record) says the outputs exist.
	 */
	int defer_dirsync;
};

/*
 * Creates dir/.name.HOST-PID-N.tmp (mode 0640) and opens it for writing. Returns 0, or -1 with
 * *cause. Afterwards call out_commit() or out_abort().
 */
int out_begin(const char *dir, const char *name, struct outfile *o, char **cause);
/*
 * Makes the file visible as name. If a file of that name exists: with the same bytes, this output
 * is already there (a rerun) and the temporary file goes; with other bytes, the output takes the
 * first free "stem-2.ext", "stem-3.ext" ... so nothing is overwritten. o->final holds the name
 * used (the caller frees it). Returns 0, or -1 with *cause (the temporary file is removed). Either
 * way o is released: out_abort() afterwards does nothing.
 */
int out_commit(struct outfile *o, char **cause);
/* Removes the temporary file and releases o. Safe after out_commit() (then it only releases). */
void out_abort(struct outfile *o);
/* Writes all of buf to o's file; -1 with *cause. */
int out_write(struct outfile *o, const void *buf, size_t len, char **cause);
/* Writes all len bytes of buf to fd, again after a short write or EINTR; 0, or -1 with errno. */
int write_all(int fd, const void *buf, size_t len);
/*
 * An unlinked scratch file in dir ($TMPDIR or /tmp when NULL), open for reading and writing;
 * the caller closes it. -1 with *cause.
 */
int spool_scratch(const char *dir, char **cause);

/*
 * Reduces s to a safe file-name part: letters, digits (any script), '-', '_', '.', and '_' for
 * everything else; no leading '.', never empty, at most max bytes (cut at a character boundary).
 */
char *spool_safe_name(const char *s, size_t max);

/* The host's tag in temporary names (several hosts may write into one folder). */
void spool_set_tmp_tag(const char *tag);
/*
 * Removes the temporary files this host left in dir when a process died mid-write (its pid is
 * gone); another host's, and a running process's, are left alone. Returns how many went.
 */
int spool_clean_tmp(const char *dir);

/* Creates dir and its parents (mode 0750) if missing; -1 with *cause. */
int spool_mkdirs(const char *dir, char **cause);

/*
 * Claims inbox/name as work/wname with one rename that never replaces (renameat2 with
 * RENAME_NOREPLACE); the folders are not synced (see spool.c). Returns 0; 1 if the file is gone
 * (another agent took it); -1 with *cause.
 */
int spool_claim(const char *inbox, const char *name, const char *work, const char *wname,
                char **cause);
/*
 * Moves from_dir/from to to_dir/want, or want-2, want-3 ... when the name is taken: nothing is
 * replaced. *final (caller frees) gets the name used. Both folders are fsynced. -1 with *cause.
 */
int spool_move(const char *from_dir, const char *from, const char *to_dir, const char *want,
               char **final, char **cause);
/*
 * Replaces dir/name with buf atomically (temporary file, rename), for state that is rebuilt at
 * start and so need not be durable (the status file): no fsync, which would cost a clerk's form
 * two disk flushes.
 */
int spool_replace(const char *dir, const char *name, const void *buf, size_t len, char **cause);

/*
 * Whether errno e says nothing about the file itself (an I/O error, a full disk, no memory): the
 * file is tried again later rather than rejected. A file the service may not read (EACCES) is
 * the clerk's to fix, so it is rejected with that reason.
 */
int spool_transient(int e);

/*
 * What kind of shared filesystem path is on, when it is one ("the inbox is on NFS" is said as
 * "NFS", "CIFS/SMB", "FUSE" or "9p"), or NULL for a local one. inotify does not see other hosts'
 * writes there, and SQLite's locking is not safe there.
 */
const char *spool_remote_fs(const char *path);

/* fsync of the folder dir: makes the renames into it durable. 0, or -1 with *cause. */
int spool_sync_dir(const char *dir, char **cause);

/*
 * path as one absolute path without ".", ".." and doubled slashes: its real path when it exists
 * (a symbolic link to another folder is that folder), else as written against the current
 * folder. Caller frees.
 */
char *spool_folder_path(const char *path);

#endif
