/*
 * The LD_PRELOAD shim of make faulttest: makes one chosen call of the agent fail, by count. It
 * stands in front of open, openat, fopen (and their 64 forms), write, fwrite, fsync, fdatasync,
 * rename, renameat, renameat2, close and fclose, and counts only calls on paths under $FAULT_DIR
 * (for a descriptor, the path it was opened on), and only once the process has renamed something
 * into a path holding $FAULT_ARM (the first claim), so start-up is never hit. With
 * $FAULT_OP=NAME and $FAULT_AT=N the Nth counted call of NAME fails with errno $FAULT_ERRNO and
 * does nothing else (a failing close still closes, as Linux's does). At exit the counts, and
 * whether the fault fired, go to $FAULT_REPORT as "NAME COUNT" lines and a "fired 0|1" line: a
 * first run with $FAULT_AT=0 only counts, and tells the test how many cases there are.
 *
 * Calls that glibc makes inside itself (stdio's own flushes, tmpfile, mkstemp) do not pass through
 * here; libxlsxwriter's zip is reached through its fopen64, fwrite and fclose. With several
 * workers, which call is the Nth depends on how the threads ran: each run still fails one call.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum op { OP_OPEN, OP_FOPEN, OP_WRITE, OP_FSYNC, OP_RENAME, OP_CLOSE, NOPS };
static const char *const op_names[NOPS] = {"open", "fopen", "write", "fsync", "rename", "close"};

/* The agent's workers make calls from several threads: counts are atomic, busy per thread. */
static unsigned long counts[NOPS];
static int target = -1, fired, armed, fault_errno = EIO;
static __thread int busy;
static unsigned long fault_at;
static const char *dir, *arm, *report;
static size_t dirlen;

__attribute__((constructor)) static void
shim_init(void)
{
	const char *op = getenv("FAULT_OP"), *at = getenv("FAULT_AT"), *e = getenv("FAULT_ERRNO");
	int i;

	dir = getenv("FAULT_DIR");
	arm = getenv("FAULT_ARM");
	report = getenv("FAULT_REPORT");
	dirlen = dir != NULL ? strlen(dir) : 0;
	for (i = 0; op != NULL && i < NOPS; i++)
		if (strcmp(op, op_names[i]) == 0)
			target = i;
	fault_at = at != NULL ? strtoul(at, NULL, 10) : 0;
	if (e != NULL)
		fault_errno = atoi(e);
	armed = arm == NULL;
}

static int
under_dir(const char *path)
{
	return dir != NULL && path != NULL && strncmp(path, dir, dirlen) == 0 &&
	       (path[dirlen] == '/' || path[dirlen] == '\0');
}

/* A relative path is taken against the descriptor's folder (or the current one). */
static int
at_under_dir(int dfd, const char *path)
{
	char link[64], buf[4096];
	ssize_t n;

	if (path != NULL && path[0] == '/')
		return under_dir(path);
	if (dfd == AT_FDCWD)
		n = getcwd(buf, sizeof buf) != NULL ? (ssize_t)strlen(buf) : -1;
	else {
		snprintf(link, sizeof link, "/proc/self/fd/%d", dfd);
		n = readlink(link, buf, sizeof buf - 1);
	}
	if (n < 0)
		return 0;
	buf[n] = '\0';
	return under_dir(buf);
}

static __thread int last_fd = -1; /* for FAULT_DEBUG's message */

static int
fd_under_dir(int fd)
{
	last_fd = fd;
	return at_under_dir(fd, NULL);
}

/* Whether this call is the one to fail; sets errno when it is. */
static int
hit(enum op op, int ours)
{
	if (busy || !__atomic_load_n(&armed, __ATOMIC_SEQ_CST) || !ours)
		return 0;
	if (__atomic_add_fetch(&counts[op], 1, __ATOMIC_SEQ_CST) == fault_at && (int)op == target) {
		__atomic_store_n(&fired, 1, __ATOMIC_SEQ_CST);
		if (getenv("FAULT_DEBUG") != NULL) {
			char link[64], buf[4096];
			ssize_t n;

			snprintf(link, sizeof link, "/proc/self/fd/%d", last_fd);
			n = readlink(link, buf, sizeof buf - 1);
			buf[n > 0 ? n : 0] = '\0';
			fprintf(stderr, "faultshim: %s #%lu fails (last descriptor: %s)\n",
			        op_names[op], fault_at, buf);
		}
		errno = fault_errno;
		return 1;
	}
	return 0;
}

static void
arm_on(const char *newpath)
{
	if (!armed && newpath != NULL && strstr(newpath, arm) != NULL)
		__atomic_store_n(&armed, 1, __ATOMIC_SEQ_CST);
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (hit(OP_OPEN, at_under_dir(AT_FDCWD, path)))
		return -1;
	return REAL(open)(path, flags, mode);
}

int
openat(int dfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (hit(OP_OPEN, at_under_dir(dfd, path)))
		return -1;
	return REAL(openat)(dfd, path, flags, mode);
}

FILE *
fopen(const char *path, const char *mode)
{
	if (hit(OP_FOPEN, at_under_dir(AT_FDCWD, path)))
		return NULL;
	return REAL(fopen)(path, mode);
}

FILE *
fopen64(const char *path, const char *mode)
{
	if (hit(OP_FOPEN, at_under_dir(AT_FDCWD, path)))
		return NULL;
	return REAL(fopen64)(path, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (hit(OP_OPEN, at_under_dir(AT_FDCWD, path)))
		return -1;
	return REAL(open64)(path, flags, mode);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	if (hit(OP_WRITE, fd > 2 && fd_under_dir(fd)))
		return -1;
	return REAL(write)(fd, buf, len);
}

size_t
fwrite(const void *buf, size_t size, size_t n, FILE *fp)
{
	if (hit(OP_WRITE, fileno(fp) > 2 && fd_under_dir(fileno(fp))))
		return 0;
	return REAL(fwrite)(buf, size, n, fp);
}

int
fsync(int fd)
{
	if (hit(OP_FSYNC, fd_under_dir(fd)))
		return -1;
	return REAL(fsync)(fd);
}

int
fdatasync(int fd)
{
	if (hit(OP_FSYNC, fd_under_dir(fd)))
		return -1;
	return REAL(fdatasync)(fd);
}

int
rename(const char *from, const char *to)
{
	arm_on(to);
	if (hit(OP_RENAME, at_under_dir(AT_FDCWD, to)))
		return -1;
	return REAL(rename)(from, to);
}

int
renameat(int fdf, const char *from, int fdt, const char *to)
{
	arm_on(to);
	if (hit(OP_RENAME, at_under_dir(fdt, to)))
		return -1;
	return REAL(renameat)(fdf, from, fdt, to);
}

int
renameat2(int fdf, const char *from, int fdt, const char *to, unsigned flags)
{
	arm_on(to);
	if (hit(OP_RENAME, at_under_dir(fdt, to)))
		return -1;
	return REAL(renameat2)(fdf, from, fdt, to, flags);
}

int
close(int fd)
{
	int e;

	if (hit(OP_CLOSE, fd > 2 && fd_under_dir(fd))) {
		e = errno;
		REAL(close)(fd);
		errno = e;
		return -1;
	}
	return REAL(close)(fd);
}

int
fclose(FILE *fp)
{
	int e;

	if (hit(OP_CLOSE, fileno(fp) > 2 && fd_under_dir(fileno(fp)))) {
		e = errno;
		REAL(fclose)(fp);
		errno = e;
		return EOF;
	}
	return REAL(fclose)(fp);
}

__attribute__((destructor)) static void
shim_report(void)
{
	FILE *fp;
	int i;

	if (report == NULL)
		return;
	busy = 1;
	if ((fp = REAL(fopen)(report, "w")) == NULL)
		return;
	for (i = 0; i < NOPS; i++)
		fprintf(fp, "%s %lu\n", op_names[i], counts[i]);
	fprintf(fp, "fired %d\n", fired);
	fclose(fp);
}
