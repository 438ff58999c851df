/*
 * Atomic outputs after git's lockfile and maildir: temporary name in the same folder, fsync,
 * rename without replacing, fsync of the folder. A failed fsync is never retried on the same
 * file: the caller starts the output again from scratch.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "spool.h"
#include "utf8.h"
#include "xmalloc.h"

#define MAX_SUFFIX 1000

static unsigned long tmp_counter; /* taken by several threads at once: atomically */
static char tmp_tag[64] = "local";

void
spool_set_tmp_tag(const char *tag)
{
	snprintf(tmp_tag, sizeof tmp_tag, "%s", tag);
}

int
spool_clean_tmp(const char *dir)
{
	char *suffix = xasprintf(".%s-", tmp_tag), *p, *end;
	struct dirent *de;
	size_t len;
	long pid;
	int n = 0;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL) {
		free(suffix);
		return 0;
	}
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] != '.' || len < 5 || strcmp(de->d_name + len - 4, ".tmp") != 0)
			continue;
		/* .NAME.HOST-PID-N.tmp: ours if HOST is this host's, stale if PID is gone. */
		if ((p = strstr(de->d_name, suffix)) == NULL)
			continue;
		pid = strtol(p + strlen(suffix), &end, 10);
		if (end == p + strlen(suffix) || *end != '-' || pid <= 0)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
			continue; /* still running: its file in hand */
		if (unlinkat(dirfd(dp), de->d_name, 0) == 0)
			n++;
	}
	closedir(dp);
	free(suffix);
	return n;
}

int
out_begin(const char *dir, const char *name, struct outfile *o, char **cause)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	if ((o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot open folder %s: %s", dir, strerror(errno));
		return -1;
	}
	o->dir = xstrdup(dir);
	o->name = xstrdup(name);
	o->tmp = xasprintf(".%s.%s-%ld-%lu.tmp", name, tmp_tag, (long)getpid(),
	                   __atomic_fetch_add(&tmp_counter, 1, __ATOMIC_RELAXED));
	o->tmppath = xasprintf("%s/%s", dir, o->tmp);
	o->fd =
	    openat(o->dirfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (o->fd == -1) {
		*cause = xasprintf("cannot create %s: %s", o->tmppath, strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		out_abort(o);
		return -1;
	}
	/* The umask may be wider than the group-only rule for personal data. */
	(void)fchmod(o->fd, 0640);
	return 0;
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
out_write(struct outfile *o, const void *buf, size_t len, char **cause)
{
	if (write_all(o->fd, buf, len) == -1) {
		*cause = xasprintf("cannot write %s: %s", o->tmppath, strerror(errno));
		return -1;
	}
	return 0;
}

/* 1 if the two open files hold the same bytes, 0 if not, -1 on a read error. */
static int
same_bytes(int a, int b)
{
	char ba[65536], bb[65536];
	ssize_t na, nb;
	off_t off = 0;

	for (;;) {
		na = pread(a, ba, sizeof ba, off);
		nb = pread(b, bb, sizeof bb, off);
		if (na == -1 || nb == -1)
			return -1;
		if (na != nb || memcmp(ba, bb, (size_t)na) != 0)
			return 0;
		if (na == 0)
			return 1;
		off += na;
	}
}

static char *
suffixed(const char *name, int k)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL || dot == name)
		return xasprintf("%s-%d", name, k);
	return xasprintf("%.*s-%d%s", (int)(dot - name), name, k, dot);
}

int
out_commit(struct outfile *o, char **cause)
{
	char *try;
	int k, fd, same;

	if (o->fd == -1 && (o->fd = openat(o->dirfd, o->tmp, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot reopen %s: %s", o->tmppath, strerror(errno));
		goto fail;
	}
	if (fsync(o->fd) == -1) {
		*cause = xasprintf("cannot fsync %s: %s", o->tmppath, strerror(errno));
		goto fail;
	}
	for (k = 1; k <= MAX_SUFFIX; k++) {
		try = k == 1 ? xstrdup(o->name) : suffixed(o->name, k);
		if (renameat2(o->dirfd, o->tmp, o->dirfd, try, RENAME_NOREPLACE) == 0) {
			o->final = try;
			break;
		}
		if (errno != EEXIST) {
			*cause = xasprintf("cannot rename %s to %s: %s", o->tmppath, try,
			                   strerror(errno));
			free(try);
			goto fail;
		}
		/* The name is taken: by this very output (a rerun), or by a different file. */
		same = -1;
		if ((fd = openat(o->dirfd, try, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) != -1) {
			/* o->fd may be write-only: compare through a reading descriptor. */
			int mine = openat(o->dirfd, o->tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

			if (mine != -1) {
				same = same_bytes(mine, fd);
				close(mine);
			}
			close(fd);
		}
		if (same == 1) {
			(void)unlinkat(o->dirfd, o->tmp, 0);
			o->final = try;
			break;
		}
		free(try);
	}
	if (o->final == NULL) {
		*cause = xasprintf("cannot name %s: %d files of that name already exist", o->name,
		                   MAX_SUFFIX);
		goto fail;
	}
	free(o->tmp);
	o->tmp = NULL;
	if (!o->defer_dirsync && fsync(o->dirfd) == -1) {
		/* The name is in place but not durable: the caller redoes the output. */
		*cause = xasprintf("cannot fsync folder %s: %s", o->dir, strerror(errno));
		free(o->final);
		o->final = NULL;
		goto fail;
	}
	out_abort(o); /* releases all but o->final */
	return 0;
fail:
	out_abort(o);
	return -1;
}

void
out_abort(struct outfile *o)
{
	if (o->fd != -1)
		close(o->fd);
	if (o->tmp != NULL && o->dirfd != -1)
		(void)unlinkat(o->dirfd, o->tmp, 0);
	if (o->dirfd != -1)
		close(o->dirfd);
	free(o->dir);
	free(o->name);
	free(o->tmp);
	free(o->tmppath);
	o->fd = o->dirfd = -1;
	o->dir = o->name = o->tmp = o->tmppath = NULL;
	/* o->final stays for the caller, who frees it. */
}

char *
spool_safe_name(const char *s, size_t max)
{
	size_t n = strlen(s), i = 0, o = 0, k;
	char *out = xmalloc(n * 3 + 2);
	uint32_t cp;
	int ok;

	while (i < n) {
		k = utf8_decode(s + i, n - i, &cp);
		if (k == 0) {
			i++;
			cp = '_';
			k = 0;
			ok = 0;
		} else if (cp < 0x80)
			ok = (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') ||
			     (cp >= 'a' && cp <= 'z') || cp == '-' || cp == '_' || cp == '.';
		else
			/* Letters of other scripts are fine in names; odd spaces and marks are not.
			 */
			ok = cp > 0x9f && cp != 0x3000 && cp != 0xfeff &&
			     !(cp >= 0x2000 && cp <= 0x206f) && !(cp >= 0xff01 && cp <= 0xff0f);
		if (o + (ok ? k : 1) > max)
			break;
		if (ok) {
			memcpy(out + o, s + i, k);
			o += k;
		} else
			out[o++] = '_';
		i += k;
	}
	out[o] = '\0';
	if (o == 0 || out[0] == '.')
		out[0] = '_', out[o == 0 ? 1 : o] = '\0';
	return out;
}

int
spool_transient(int e)
{
	return e == EIO || e == ENOMEM || e == EMFILE || e == ENFILE || e == EAGAIN || e == EINTR ||
	       e == ENOSPC || e == EDQUOT || e == ESTALE || e == ETIMEDOUT;
}

int
spool_mkdirs(const char *dir, char **cause)
{
	char *p = xstrdup(dir), *s;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0750) == -1 && errno != EEXIST) {
			*cause = xasprintf("cannot create folder %s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	if (mkdir(p, 0750) == -1 && errno != EEXIST) {
		*cause = xasprintf("cannot create folder %s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
spool_sync_dir(const char *dir, char **cause)
{
	if (fsync_dir(dir) == -1) {
		/* Not retried on this descriptor: the caller redoes the outputs (see the header).
		 */
		*cause = xasprintf("cannot fsync folder %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
spool_claim(const char *inbox, const char *name, const char *work, const char *wname, char **cause)
{
	char *from = xasprintf("%s/%s", inbox, name), *to = xasprintf("%s/%s", work, wname);
	int rc = 0;

	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == -1) {
		if (errno == ENOENT)
			rc = 1;
		else {
			int e = errno;

			*cause = xasprintf("cannot claim %s as %s: %s", from, to, strerror(e));
			errno = e; /* for the caller: retry (transient) or skip the file */
			rc = -1;
		}
	}
	/*
	 * No fsync here, so a clerk's form is not kept waiting for two: a crash that undoes the
	 * rename leaves the file in the inbox, where it is simply claimed again; one that keeps it
	 * leaves it in work/, where it is resumed. The inbox is synced when the file is finished.
	 */
	free(from);
	free(to);
	return rc;
}

int
spool_move(const char *from_dir, const char *from, const char *to_dir, const char *want,
           char **final, char **cause)
{
	char *src = xasprintf("%s/%s", from_dir, from), *dst, *name;
	int k;

	for (k = 1; k <= MAX_SUFFIX; k++) {
		name = k == 1 ? xstrdup(want) : suffixed(want, k);
		dst = xasprintf("%s/%s", to_dir, name);
		if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) == 0) {
			free(dst);
			free(src);
			if (fsync_dir(to_dir) == -1 || fsync_dir(from_dir) == -1) {
				*cause = xasprintf("cannot fsync %s: %s", to_dir, strerror(errno));
				free(name);
				return -1;
			}
			*final = name;
			return 0;
		}
		free(dst);
		free(name);
		if (errno != EEXIST) {
			*cause =
			    xasprintf("cannot move %s to %s: %s", src, to_dir, strerror(errno));
			free(src);
			return -1;
		}
	}
	*cause = xasprintf("cannot move %s: %d files of that name in %s", src, MAX_SUFFIX, to_dir);
	free(src);
	return -1;
}

int
spool_replace(const char *dir, const char *name, const void *buf, size_t len, char **cause)
{
	struct outfile o;
	char *dst;
	int rc = -1;

	if (out_begin(dir, name, &o, cause) == -1)
		return -1;
	if (out_write(&o, buf, len, cause) == -1)
		goto out;
	dst = xasprintf("%s/%s", dir, name);
	if (rename(o.tmppath, dst) == -1) {
		*cause = xasprintf("cannot replace %s: %s", dst, strerror(errno));
		free(dst);
		goto out;
	}
	free(dst);
	free(o.tmp);
	o.tmp = NULL; /* renamed: nothing to remove */
	rc = 0;
out:
	out_abort(&o);
	return rc;
}

/* Filesystem magic numbers (statfs(2)) of the shared filesystems. */
#define MAGIC_NFS  0x6969
#define MAGIC_SMB  0x517b
#define MAGIC_CIFS 0xff534d42
#define MAGIC_SMB2 0xfe534d42
#define MAGIC_FUSE 0x65735546
#define MAGIC_9P   0x01021997

const char *
spool_remote_fs(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) == -1)
		return NULL;
	switch ((unsigned long)sf.f_type) {
	case MAGIC_NFS:
		return "NFS";
	case MAGIC_SMB:
	case MAGIC_CIFS:
	case MAGIC_SMB2:
		return "CIFS/SMB";
	case MAGIC_FUSE:
		return "FUSE";
	case MAGIC_9P:
		return "9p";
	default:
		return NULL;
	}
}

char *
spool_folder_path(const char *path)
{
	char *real = realpath(path, NULL), *cwd, *abs, *out, *tok, *save = NULL;
	size_t n = 0, len;

	if (real != NULL)
		return real;
	if (path[0] == '/' || (cwd = getcwd(NULL, 0)) == NULL)
		abs = xstrdup(path);
	else {
		abs = xasprintf("%s/%s", cwd, path);
		free(cwd);
	}
	out = xcalloc(strlen(abs) + 2, 1);
	for (tok = strtok_r(abs, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			while (n > 0 && out[--n] != '/')
				;
			out[n] = '\0';
			continue;
		}
		len = strlen(tok);
		out[n++] = '/';
		memcpy(out + n, tok, len);
		n += len;
		out[n] = '\0';
	}
	if (n == 0)
		out[n++] = '/';
	free(abs);
	return out;
}

/*
 * An unlinked file in dir ($TMPDIR or /tmp when NULL): O_TMPFILE, or where the filesystem lacks
 * it, a named one unlinked. -1 with *cause.
 */
int
spool_scratch(const char *dir, char **cause)
{
	char *name;
	int fd;

	if (dir == NULL && (dir = getenv("TMPDIR")) == NULL)
		dir = P_tmpdir;
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) == -1 &&
	    (errno == EOPNOTSUPP || errno == EISDIR)) {
		name = xasprintf("%s/.formagent-scratch-XXXXXX", dir);
		if ((fd = mkostemp(name, O_CLOEXEC)) != -1)
			unlink(name);
		free(name);
	}
	if (fd == -1)
		*cause = xasprintf("cannot make a scratch file in %s: %s", dir, strerror(errno));
	return fd;
}
