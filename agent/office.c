/*
 * The supervised LibreOffice child (see office.h): fork, a process group of its own, exec of
 * soffice with the runner's profile, and a wait on a pidfd with the timeout, after which the
 * group is killed. The group is killed after every attempt, finished or not, so nothing that
 * soffice started (oosplash starts soffice.bin) is left. A result counts only if poppler opens it
 * as a PDF with pages; the PDF/A-2b export is asked for by its filter option.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <poppler.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "office.h"
#include "spool.h"
#include "xmalloc.h"

/* calc_pdf_Export's option for PDF/A-2b (SelectPdfVersion 2), as LibreOffice 7 takes it. */
#define PDF_FILTER "pdf:calc_pdf_Export:{\"SelectPdfVersion\":{\"type\":\"long\",\"value\":\"2\"}}"

struct office {
	struct office_opts o;
	char *profile; /* the current profile folder, or NULL before the first conversion */
	int uses;      /* conversions in it */
	int serial;    /* for the names of profiles and result folders */
	int attempts;  /* of the conversion running or last run */
	/* The conversion running, if any. */
	pid_t pid; /* 0: none */
	int pidfd; /* -1 where the kernel (or valgrind) gives none */
	long long deadline;
	char *xlsx, *pdf, *outdir, *made;
	int io; /* the last attempt failed in the agent's own doing: fork, writing the PDF */
};

struct office *
office_new(const struct office_opts *o)
{
	struct office *of = xcalloc(1, sizeof *of);

	of->o = *o;
	/* Its own copies: the caller's strings need not outlive the runner. */
	of->o.soffice = o->soffice != NULL ? xstrdup(o->soffice) : NULL;
	of->o.fonts_conf = o->fonts_conf != NULL ? xstrdup(o->fonts_conf) : NULL;
	/*
	 * Absolute: the profile goes to LibreOffice, and the result to poppler, as file:// URIs,
	 * in which a relative path would read as a host name.
	 */
	if ((of->o.scratch = realpath(o->scratch, NULL)) == NULL)
		of->o.scratch = xstrdup(o->scratch);
	of->pidfd = -1;
	if (of->o.timeout_ms <= 0)
		of->o.timeout_ms = 120000;
	if (of->o.renew_after <= 0)
		of->o.renew_after = 50;
	if (of->o.retries < 0)
		of->o.retries = 0;
	return of;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void
rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Drops the profile, so the next attempt starts LibreOffice with a fresh one. */
static void
drop_profile(struct office *of)
{
	if (of->profile != NULL) {
		rm_tree(of->profile);
		free(of->profile);
		of->profile = NULL;
	}
	of->uses = 0;
}

/*
 * The child's environment: the agent's, with HOME in the profile (LibreOffice writes there) and
 * the project's fonts. Made before the fork, so the child only execs.
 */
static char **
child_env(const struct office *of)
{
	extern char **environ;
	size_t n = 0, k = 0, i;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 3, sizeof *env);
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "HOME=", 5) != 0 &&
		    strncmp(environ[i], "FONTCONFIG_FILE=", 16) != 0)
			env[k++] = xstrdup(environ[i]);
	env[k++] = xasprintf("HOME=%s", of->profile);
	if (of->o.fonts_conf != NULL)
		env[k++] = xasprintf("FONTCONFIG_FILE=%s", of->o.fonts_conf);
	return env;
}

static void
free_env(char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* Whether poppler reads path as a PDF with pages. */
static int
is_pdf(const char *path)
{
	char *uri = xasprintf("file://%s", path);
	PopplerDocument *doc = poppler_document_new_from_file(uri, NULL, NULL);
	int ok = doc != NULL && poppler_document_get_n_pages(doc) > 0;

	if (doc != NULL)
		g_object_unref(doc);
	free(uri);
	return ok;
}

/* Copies from into to (created or truncated); 0 or -1. */
static int
copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC), out, rc = 0;

	if (in == -1)
		return -1;
	if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) == -1) {
		close(in);
		return -1;
	}
	while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0)
		if (n == -1 ? errno != EINTR : write_all(out, buf, (size_t)n) == -1)
			rc = -1;
	close(in);
	if (close(out) == -1)
		rc = -1;
	return rc;
}

/* Milliseconds on the monotonic clock: the attempts' deadlines. */
static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts one attempt in the current profile, converting into a result folder of its own. */
static int
spawn(struct office *of, char **cause)
{
	const char *prog = of->o.soffice != NULL ? of->o.soffice : "soffice";
	char *base, *dot, *name = xstrdup(of->xlsx), *profile, **env;
	char *argv[12];
	int fd;

	if (of->profile == NULL) {
		of->profile =
		    xasprintf("%s/lo-profile-%ld-%d", of->o.scratch, (long)getpid(), ++of->serial);
		mkdir(of->profile, 0700);
	}
	of->outdir = xasprintf("%s/lo-out-%ld-%d", of->o.scratch, (long)getpid(), ++of->serial);
	mkdir(of->outdir, 0700);
	base = basename(name);
	if ((dot = strrchr(base, '.')) != NULL)
		*dot = '\0';
	of->made = xasprintf("%s/%s.pdf", of->outdir, base);
	free(name);
	profile = xasprintf("-env:UserInstallation=file://%s", of->profile);
	memcpy(argv,
	       (char *[]){(char *)prog, "--headless", "--norestore", "--nolockcheck", "--nodefault",
	                  profile, "--convert-to", PDF_FILTER, "--outdir", of->outdir, of->xlsx,
	                  NULL},
	       sizeof argv);
	env = child_env(of);
	of->uses++;
	of->io = 0;
	if ((of->pid = fork()) == -1) {
		*cause = xasprintf("cannot start LibreOffice: %s", strerror(errno));
		of->io = 1;
		free(profile);
		free_env(env);
		return -1;
	}
	if (of->pid == 0) {
		setpgid(0, 0);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvpe(prog, argv, env);
		_exit(127);
	}
	setpgid(of->pid, of->pid); /* here too, so the group exists whichever runs first */
	free(profile);
	free_env(env);
	/* Valgrind has no pidfd: then the caller polls (office_timeout_ms()). */
	of->pidfd = (int)pidfd_open(of->pid, 0);
	of->deadline = mono_ms() + of->o.timeout_ms;
	return 0;
}

/* Whether the child has exited (not reaped yet, so its process group still stands). */
static int
exited(const struct office *of)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	return waitid(P_PID, (id_t)of->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid != 0;
}

/*
 * Ends the running attempt: its process group killed before the child is reaped, whatever
 * happened, so nothing it started stays. The status, or -1 when it had not exited by itself.
 */
static int
reap(struct office *of, int *status)
{
	int done = exited(of);

	kill(-of->pid, SIGKILL);
	while (waitpid(of->pid, status, 0) == -1 && errno == EINTR)
		;
	if (of->pidfd != -1)
		close(of->pidfd);
	of->pid = 0;
	of->pidfd = -1;
	return done ? 0 : -1;
}

/* Why an attempt that ended with status failed, or NULL when it wrote a readable PDF. */
static char *
judge(struct office *of, int timed_out, int status)
{
	const char *prog = of->o.soffice != NULL ? of->o.soffice : "soffice";

	if (timed_out)
		return xasprintf("LibreOffice did not finish within %d s, and was stopped",
		                 (of->o.timeout_ms + 999) / 1000);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return xasprintf("cannot run %s (is libreoffice-calc-nogui installed?)", prog);
	if (WIFSIGNALED(status))
		return xasprintf("LibreOffice crashed (signal %d)", WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return xasprintf("LibreOffice failed (exit status %d)", WEXITSTATUS(status));
	if (access(of->made, F_OK) != 0)
		return xstrdup("LibreOffice finished but wrote no PDF");
	if (!is_pdf(of->made))
		return xstrdup("LibreOffice wrote a file that is not a readable PDF");
	if (copy_file(of->made, of->pdf) == -1) {
		of->io = 1;
		return xasprintf("cannot write %s: %s", of->pdf, strerror(errno));
	}
	return NULL;
}

static void
drop_outdir(struct office *of)
{
	if (of->outdir != NULL)
		rm_tree(of->outdir);
	free(of->outdir);
	free(of->made);
	of->outdir = of->made = NULL;
}

static void
drop_job(struct office *of)
{
	drop_outdir(of);
	free(of->xlsx);
	free(of->pdf);
	of->xlsx = of->pdf = NULL;
}

int
office_start(struct office *of, const char *xlsx, const char *pdf, char **cause)
{
	if (of->pid != 0)
		office_cancel(of);
	if (of->uses >= of->o.renew_after)
		drop_profile(of);
	of->xlsx = xstrdup(xlsx);
	of->pdf = xstrdup(pdf);
	of->attempts = 1;
	if (spawn(of, cause) == -1) {
		drop_job(of);
		return -1;
	}
	return 0;
}

int
office_fd(const struct office *of)
{
	return of->pid != 0 ? of->pidfd : -1;
}

int
office_timeout_ms(const struct office *of)
{
	long long left;

	if (of->pid == 0)
		return -1;
	left = of->deadline - mono_ms();
	if (left < 0)
		left = 0;
	/* Without a pidfd nothing wakes the caller when the child exits: look every 20 ms. */
	if (of->pidfd == -1 && left > 20)
		left = 20;
	return left > INT_MAX ? INT_MAX : (int)left;
}

int
office_step(struct office *of, char **cause)
{
	int status = 0, timed_out;
	char *why;

	if (of->pid == 0) {
		*cause = xstrdup("no conversion is running");
		return -1;
	}
	if (!exited(of) && mono_ms() < of->deadline)
		return 1;
	timed_out = reap(of, &status) == -1;
	if ((why = judge(of, timed_out, status)) == NULL) {
		drop_job(of);
		return 0;
	}
	/* A profile a failed run may have left half-written is not used again. */
	drop_profile(of);
	drop_outdir(of);
	if (of->attempts <= of->o.retries) {
		of->attempts++;
		free(why);
		why = NULL;
		if (spawn(of, &why) == 0)
			return 1;
	}
	unlink(of->pdf);
	drop_job(of);
	*cause = why;
	return -1;
}

void
office_cancel(struct office *of)
{
	int status;

	if (of->pid != 0)
		reap(of, &status);
	if (of->pdf != NULL)
		unlink(of->pdf);
	drop_job(of);
}

int
office_pdf(struct office *of, const char *xlsx, const char *pdf, char **cause)
{
	struct pollfd p;
	int rc;

	if (office_start(of, xlsx, pdf, cause) == -1)
		return -1;
	while ((rc = office_step(of, cause)) == 1) {
		p = (struct pollfd){office_fd(of), POLLIN, 0};
		if (poll(&p, p.fd != -1, office_timeout_ms(of)) == -1 && errno != EINTR)
			break;
	}
	return rc;
}

int
office_available(const struct office *of)
{
	const char *prog = of->o.soffice != NULL ? of->o.soffice : "soffice",
	           *path = getenv("PATH");
	char *dirs, *dir, *save = NULL, *full;
	int found = 0;

	if (strchr(prog, '/') != NULL)
		return access(prog, X_OK) == 0;
	dirs = xstrdup(path != NULL ? path : "/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir != NULL && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		full = xasprintf("%s/%s", *dir != '\0' ? dir : ".", prog);
		found = access(full, X_OK) == 0;
		free(full);
	}
	free(dirs);
	return found;
}

int
office_failed_io(const struct office *of)
{
	return of->io;
}

int
office_busy(const struct office *of)
{
	return of->pid != 0;
}

int
office_attempts(const struct office *of)
{
	return of->attempts;
}

void
office_free(struct office *of)
{
	if (of == NULL)
		return;
	office_cancel(of);
	drop_profile(of);
	free((char *)of->o.soffice);
	free((char *)of->o.fonts_conf);
	free((char *)of->o.scratch);
	free(of);
}
