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
	int attempts;  /* of the last office_pdf() */
};

struct office *
office_new(const struct office_opts *o)
{
	struct office *of = xcalloc(1, sizeof *of);

	of->o = *o;
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

/*
 * Waits for the child until timeout_ms: 1 once it has exited (not reaped yet, so its process
 * group still stands), 0 at the timeout. A pidfd when the kernel has them, else a short poll.
 */
static int
wait_exit(pid_t pid, int timeout_ms)
{
	struct timespec step = {0, 10 * 1000 * 1000};
	struct pollfd p = {(int)pidfd_open(pid, 0), POLLIN, 0};
	siginfo_t si;
	int rc, waited = 0;

	if (p.fd != -1) {
		do
			rc = poll(&p, 1, timeout_ms);
		while (rc == -1 && errno == EINTR);
		close(p.fd);
		return rc != 0;
	}
	for (;;) {
		memset(&si, 0, sizeof si);
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid != 0)
			return 1;
		if (waited >= timeout_ms)
			return 0;
		nanosleep(&step, NULL);
		waited += 10;
	}
}

/*
 * Runs one attempt; 0 when the child exited with 0 in time, else -1 with *cause. The child's
 * process group is killed before it is reaped, whatever happened, so nothing it started stays.
 */
static int
run(struct office *of, const char *xlsx, const char *outdir, char **cause)
{
	const char *prog = of->o.soffice != NULL ? of->o.soffice : "soffice";
	char *profile = xasprintf("-env:UserInstallation=file://%s", of->profile);
	char *argv[] = {(char *)prog,  "--headless",   "--norestore",  "--nolockcheck",
	                "--nodefault", profile,        "--convert-to", PDF_FILTER,
	                "--outdir",    (char *)outdir, (char *)xlsx,   NULL};
	char **env = child_env(of);
	int status = 0, exited, fd;
	pid_t pid;

	if ((pid = fork()) == -1) {
		*cause = xasprintf("cannot start LibreOffice: %s", strerror(errno));
		free(profile);
		free_env(env);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvpe(prog, argv, env);
		_exit(127);
	}
	setpgid(pid, pid); /* here too, so the group exists whichever runs first */
	free(profile);
	free_env(env);
	exited = wait_exit(pid, of->o.timeout_ms);
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!exited)
		*cause = xasprintf("LibreOffice did not finish within %d s, and was stopped",
		                   (of->o.timeout_ms + 999) / 1000);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		*cause = xasprintf("cannot run %s (is libreoffice-calc-nogui installed?)", prog);
	else if (WIFSIGNALED(status))
		*cause = xasprintf("LibreOffice crashed (signal %d)", WTERMSIG(status));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		*cause = xasprintf("LibreOffice failed (exit status %d)", WEXITSTATUS(status));
	else
		return 0;
	return -1;
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

/* One attempt in the current profile: convert into a folder of its own, check, copy out. */
static int
attempt(struct office *of, const char *xlsx, const char *pdf, char **cause)
{
	char *outdir, *base, *made, *dot, *name = xstrdup(xlsx);
	int rc = -1;

	if (of->profile == NULL) {
		of->profile =
		    xasprintf("%s/lo-profile-%ld-%d", of->o.scratch, (long)getpid(), ++of->serial);
		mkdir(of->profile, 0700);
	}
	outdir = xasprintf("%s/lo-out-%ld-%d", of->o.scratch, (long)getpid(), ++of->serial);
	mkdir(outdir, 0700);
	base = basename(name);
	if ((dot = strrchr(base, '.')) != NULL)
		*dot = '\0';
	made = xasprintf("%s/%s.pdf", outdir, base);
	if (run(of, xlsx, outdir, cause) == 0) {
		if (access(made, F_OK) != 0)
			*cause = xstrdup("LibreOffice finished but wrote no PDF");
		else if (!is_pdf(made))
			*cause = xstrdup("LibreOffice wrote a file that is not a readable PDF");
		else if (copy_file(made, pdf) == -1)
			*cause = xasprintf("cannot write %s: %s", pdf, strerror(errno));
		else
			rc = 0;
	}
	rm_tree(outdir);
	free(outdir);
	free(made);
	free(name);
	of->uses++;
	return rc;
}

int
office_pdf(struct office *of, const char *xlsx, const char *pdf, char **cause)
{
	char *last = NULL;
	int i;

	if (of->uses >= of->o.renew_after)
		drop_profile(of);
	for (i = 0; i <= of->o.retries; i++) {
		of->attempts = i + 1;
		if (attempt(of, xlsx, pdf, &last) == 0) {
			free(last);
			return 0;
		}
		/* A profile a failed run may have left half-written is not used again. */
		drop_profile(of);
		if (i < of->o.retries) {
			free(last);
			last = NULL;
		}
	}
	unlink(pdf);
	*cause = last;
	return -1;
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
	drop_profile(of);
	free(of);
}
