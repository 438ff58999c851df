/*
 * The agent's event loop. One loop thread: ppoll over the inotify descriptor, the workers' eventfd
 * and the pidfd of the LibreOffice child making a print PDF, with a timeout from the nearest
 * settle, rescan, retry, conversion or watchdog deadline, and the stop and reload signals let in
 * only while it waits or while it claims a file. Each settled file is claimed and gated by intake
 * here, processed on a worker thread (workers.c), and recorded and moved here again, so the audit
 * log keeps one writer. Intake reports how each step ended; the agent acts on that report
 * (suspends intake when an output or the log cannot be written, retries later; queues a file
 * that waits for its PDF or for its twin, and finishes it when the child or the twin ends) and
 * is never called back.
 *
 * Fatal only at start: a bad configuration, an audit log that cannot be opened, a spool folder
 * that cannot be made. Afterwards a bad file is rejected with its reason and the loop goes on;
 * an output or audit record that cannot be written suspends intake until it can.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/inotify.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "audit.h"
#include "config.h"
#include "i18n.h"
#include "intake.h"
#include "log.h"
#include "ocr.h"
#include "office.h"
#include "outputs.h"
#include "record.h"
#include "register.h"
#include "spool.h"
#include "status.h"
#include "watch.h"
#include "workbook.h"
#include "workers.h"
#include "xmalloc.h"

#define RELOAD_MS      300 /* rule edits come in bursts: wait for the last */
#define STATUS_MS      10000
#define STATUS_SOON_MS 1000 /* after an outcome, the status file shows it within this */

/*
 * Set by the signal handlers (STYLE.md 7), read by the loop and, for a stop, by the pipeline
 * between rows: stop requests so far, and whether a reload was asked.
 */
static volatile sig_atomic_t stop_requests, reload_asked;

struct agent {
	const char *cfg_path;
	struct config *cfg;
	struct recorder *rec;
	struct reg *reg; /* the claims register */
	struct intake in;
	struct status *status;
	int ifd;
	int wd_rules, wd_templates;
	struct watch **w; /* one per spool of cfg, same order; NULL when it could not be set up */
	size_t nw;
	int once;
	int stopping;
	int suspended;
	char *suspend_cause;
	char suspended_at[32];
	int64_t retry_at;
	int held;          /* suspended until an administrator acts: never retried */
	int64_t rescan_at; /* a file that could not be claimed is looked at again then */
	int64_t reload_at; /* 0: none pending */
	int64_t status_at;
	uint64_t watchdog_usec;
	int64_t watchdog_at;
	char started[32];
	char loaded[32];
	char *host_tag;   /* the host name as claims carry it: no '.', which ends a claim id */
	sigset_t waiting; /* the signal mask while waiting or working: the signals let in */
	/*
	 * Files waiting for their print PDF, oldest first; the first is being converted when the
	 * runner is busy. Other files go on meanwhile.
	 */
	struct office *office;
	struct intake_parked **printq;
	size_t nprint, capprint;
	/*
	 * The threads that run the pipeline (intake_work()), each with its own connection to the
	 * register; and the files that wait for a twin in hand (the same bytes) to end.
	 */
	struct workers *pool;   /* as many as workers: said at start (a reload keeps them) */
	struct workers *render; /* as many again, drawing the forms of the files in hand */
	struct reg **regs;
	unsigned nregs;
	struct intake_parked **twins;
	size_t ntwins, captwins;
	int resume_more; /* files left in work/ wait for room (resume_work()) */
};

/* A file handed to a worker thread. */
struct job {
	struct agent *a;
	struct intake_parked *f;
};

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_asked = 1;
	else if (stop_requests < 2)
		stop_requests++;
}

/* Acts on the signals that came since it last looked. */
static void
take_signals(struct agent *a)
{
	if (reload_asked) {
		reload_asked = 0;
		a->reload_at = now_ms();
	}
	if (stop_requests > 0 && !a->stopping) {
		a->stopping = 1;
		log_info("stopping");
		sd_notify(0, "STOPPING=1");
	}
}

/*
 * Stops intake (files wait in the inbox) until a retry succeeds; takes cause. The suspension is
 * recorded now when the log works, else in the intake_resumed record later.
 */
static void suspend(struct agent *a, char *cause, int log_works);

/* Appends a record of the agent's own; on failure suspends intake. Returns 0 or -1. */
static int
record(struct agent *a, const char *event, json_t *rec)
{
	char *cause = NULL;

	if (record_event(a->rec, event, rec, &cause) == 0)
		return 0;
	suspend(a, cause, 0); /* the log itself failed: nothing more can go into it now */
	return -1;
}

static void
suspend(struct agent *a, char *cause, int log_works)
{
	char *esc = log_escape(cause, 0);

	if (!a->suspended) {
		log_msg(LOG_LV_CRIT, "intake suspended: %s", esc);
		audit_now(a->suspended_at);
	}
	free(esc);
	free(a->suspend_cause);
	a->suspend_cause = cause;
	a->suspended = 1;
	a->retry_at = a->held ? INT64_MAX : now_ms() + a->cfg->retry_ms;
	sd_notify(0, "STATUS=intake suspended: see the log");
	if (log_works)
		record(a, "intake_suspended", json_pack("{s:s}", "reason", cause));
}

static void
write_status(struct agent *a)
{
	char *cause = NULL;
	size_t waiting, work;

	if (status_write(a->status, a->cfg, a->loaded,
	                 a->suspended ? (a->suspend_cause != NULL ? a->suspend_cause : "") : NULL,
	                 &waiting, &work, &cause) == -1) {
		log_warn("cannot write the status file: %s", cause);
		free(cause);
	}
	sd_notifyf(0, "STATUS=%s%zu waiting, %zu in work", a->suspended ? "intake suspended; " : "",
	           waiting, work);
	a->status_at = now_ms() + STATUS_MS;
}

static void start_print(struct agent *a);

static void
run_job(void *arg, unsigned slot)
{
	struct job *j = arg;

	intake_work(j->f, j->a->regs[slot], j->a->render);
}

/* Acts on what intake reports of one file. */
static void
after(struct agent *a, const struct spool *sp, struct intake_result *r)
{
	struct job *j;

	/* Stopping: a file not started yet stays in work/, finished at the next start. */
	if (a->stopping && (r->next == INTAKE_WORK || r->next == INTAKE_TWIN)) {
		intake_parked_free(r->parked);
		r->parked = NULL;
		r->next = INTAKE_STOPPED;
	}
	switch (r->next) {
	case INTAKE_WORK:
		j = xmalloc(sizeof *j);
		j->a = a;
		j->f = r->parked;
		r->parked = NULL;
		workers_submit(a->pool, run_job, j, r->heavy);
		break;
	case INTAKE_TWIN:
		xgrow(&a->twins, &a->captwins, a->ntwins, sizeof *a->twins);
		a->twins[a->ntwins++] = r->parked;
		r->parked = NULL;
		break;
	case INTAKE_PRINTING:
		xgrow(&a->printq, &a->capprint, a->nprint, sizeof *a->printq);
		a->printq[a->nprint++] = r->parked;
		r->parked = NULL;
		if (!a->stopping) /* else it waits in work/ for the next start (drop_prints()) */
			start_print(a);
		break;
	case INTAKE_DONE:
		status_note(a->status, sp->name, r->name, outcome_name(r->outcome));
		/* Soon, but at most once a second in a burst. */
		if (a->status_at > now_ms() + STATUS_SOON_MS)
			a->status_at = now_ms() + STATUS_SOON_MS;
		break;
	case INTAKE_SUSPEND:
		suspend(a, r->cause, !r->log_failed);
		r->cause = NULL;
		break;
	case INTAKE_LATER:
		if (a->rescan_at == 0)
			a->rescan_at = now_ms() + a->cfg->retry_ms;
		break;
	default:
		break;
	}
	intake_result_clear(r);
}

/*
 * Claims (or resumes) a file and takes it through the gate, with the stop and reload signals let
 * in meanwhile (hashing a large file takes a moment); the handlers only set flags, and system
 * calls restart. The workers read the stop flag between rows.
 */
static void
work(struct agent *a, const struct spool *sp, const char *name, int claimed)
{
	struct intake_result r;
	sigset_t blocked;

	sigprocmask(SIG_SETMASK, &a->waiting, &blocked);
	if (claimed)
		intake_resume(&a->in, sp, name, &r);
	else
		intake_take(&a->in, sp, name, &r);
	sigprocmask(SIG_SETMASK, &blocked, NULL);
	after(a, sp, &r);
	take_signals(a);
}

/* The files waiting for a twin go through the gate again: the twin may have ended. */
static void
regate(struct agent *a)
{
	struct intake_parked **v = a->twins;
	struct intake_result r;
	size_t i, n = a->ntwins;

	if (n == 0)
		return;
	a->twins = NULL;
	a->ntwins = a->captwins = 0;
	for (i = 0; i < n; i++) {
		const struct spool *sp = intake_parked_spool(v[i]);

		intake_regate(&a->in, v[i], &r);
		after(a, sp, &r);
	}
	free(v);
}

/* Finishes the files the workers are done with: recorded and moved, or parked for a PDF. */
static void
take_worked(struct agent *a)
{
	struct intake_result r;
	struct job *j;
	int ended = 0;

	while ((j = workers_done(a->pool)) != NULL) {
		const struct spool *sp = intake_parked_spool(j->f);

		intake_worked(&a->in, j->f, &r);
		free(j);
		after(a, sp, &r);
		ended = 1;
	}
	if (ended)
		regate(a);
}

/*
 * On a stop: the files not started stay in work/, and the ones running end (a stop asked twice,
 * or the grace time past, abandons them between rows) and are finished as usual.
 */
static void
drain(struct agent *a)
{
	struct pollfd pfd;
	struct job *j;
	size_t i;

	while ((j = workers_unstart(a->pool)) != NULL) {
		intake_parked_free(j->f);
		free(j);
	}
	while (workers_pending(a->pool) > 0) {
		pfd = (struct pollfd){workers_fd(a->pool), POLLIN, 0};
		/* The signals come in here too: a second stop request reaches the pipeline. */
		if (ppoll(&pfd, 1, NULL, &a->waiting) == -1 && errno != EINTR)
			break;
		take_worked(a);
	}
	for (i = 0; i < a->ntwins; i++)
		intake_parked_free(a->twins[i]);
	free(a->twins);
	a->twins = NULL;
	a->ntwins = a->captwins = 0;
}

/* The oldest parked file, taken off the queue. */
static struct intake_parked *
print_pop(struct agent *a)
{
	struct intake_parked *f = a->printq[0];

	memmove(a->printq, a->printq + 1, --a->nprint * sizeof *a->printq);
	return f;
}

/* Finishes the oldest parked file: with its PDF, or with failed saying why there is none. */
static void
print_ended(struct agent *a, const char *failed)
{
	struct intake_parked *f = print_pop(a);
	const struct spool *sp = intake_parked_spool(f);
	struct intake_result r;

	intake_printed(&a->in, f, failed, failed != NULL && office_failed_io(a->office), &r);
	after(a, sp, &r);
	regate(a);
}

/* Starts converting the oldest parked file, unless a conversion runs. */
static void
start_print(struct agent *a)
{
	char *cause = NULL;

	while (a->nprint > 0 && !office_busy(a->office)) {
		if (office_start(a->office, intake_parked_xlsx(a->printq[0]),
		                 intake_parked_pdf(a->printq[0]), &cause) == 0)
			return;
		print_ended(a, cause);
		free(cause);
		cause = NULL;
	}
}

/* Looks at the running conversion, and finishes its file once it has ended. */
static void
step_print(struct agent *a)
{
	char *cause = NULL;
	int rc;

	if (a->nprint == 0 || !office_busy(a->office) || (rc = office_step(a->office, &cause)) == 1)
		return;
	print_ended(a, rc == 0 ? NULL : cause);
	free(cause);
	start_print(a);
}

/* On a stop: parked files stay in work/, finished again at the next start. */
static void
drop_prints(struct agent *a)
{
	struct intake_parked *f;

	if (a->office != NULL)
		office_cancel(a->office);
	while (a->nprint > 0) {
		f = print_pop(a);
		log_info(
		    "spool %s: a file waiting for its print PDF stays in work/; it is finished "
		    "at the next start",
		    intake_parked_spool(f)->name);
		intake_parked_free(f);
	}
	free(a->printq);
	a->printq = NULL;
	a->capprint = 0;
}

static int
by_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * Whether a file of this name may be claimed now: each lane (scans, the rest) holds at most
 * twice as many files as there are workers, so a burst is claimed as the workers can take it
 * (each file in hand holds a descriptor), and scans waiting never keep an export out.
 */
static int
room_for(void *ctx, const char *name)
{
	struct agent *a = ctx;

	return intake_held_working(&a->in, intake_heavy(&a->in, name)) <
	       2 * (size_t)workers_count(a->pool);
}

/*
 * Finishes whatever an earlier run on this host left in work/, oldest claim first; after a
 * suspension, what the failed write left there, but not the files in hand (with a worker, or
 * waiting for their PDFs or a twin).
 */
static void
resume_work(struct agent *a)
{
	struct dirent *de;
	char **names = NULL;
	size_t i, n, cap = 0, k;
	DIR *dp;

	for (i = 0; i < a->cfg->nspools && !a->suspended && !a->stopping; i++) {
		const struct spool *sp = &a->cfg->spools[i];

		if ((dp = opendir(sp->work)) == NULL)
			continue;
		n = 0;
		while ((de = readdir(dp)) != NULL)
			if (de->d_name[0] != '.' && intake_ours(&a->in, de->d_name) &&
			    !intake_holds(&a->in, sp, de->d_name)) {
				xgrow(&names, &cap, n, sizeof *names);
				names[n++] = xstrdup(de->d_name);
			}
		closedir(dp);
		qsort(names, n, sizeof *names, by_name);
		for (k = 0; k < n; k++) {
			/* Many left there (files waiting for PDFs, say): the rest as room comes. */
			if (!a->suspended && !a->stopping && !room_for(a, intake_name_of(names[k])))
				a->resume_more = 1;
			else if (!a->suspended && !a->stopping)
				work(a, sp, names[k], 1);
			free(names[k]);
		}
	}
	free(names);
}

static void
log_diags(struct diags *d)
{
	size_t i;
	char *esc;

	diags_sort(d);
	for (i = 0; i < d->n; i++) {
		esc = log_escape(d->v[i].msg, 0);
		log_err("%s:%d:%d: %s", d->v[i].file ? d->v[i].file : "", d->v[i].line, d->v[i].col,
		        esc);
		free(esc);
	}
}

static void
watches_free(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->nw; i++)
		watch_free(a->w[i], a->ifd);
	free(a->w);
	a->w = NULL;
	a->nw = 0;
	if (a->wd_rules != -1)
		inotify_rm_watch(a->ifd, a->wd_rules);
	if (a->wd_templates != -1)
		inotify_rm_watch(a->ifd, a->wd_templates);
	a->wd_rules = a->wd_templates = -1;
}

/* Creates the spools' folders and watches for a->cfg. */
static int
setup_spools(struct agent *a, char **cause)
{
	const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE;
	const char *why;
	size_t i;

	a->nw = a->cfg->nspools;
	a->w = xcalloc(a->nw + 1, sizeof *a->w);
	for (i = 0; i < a->cfg->nspools; i++) {
		const struct spool *sp = &a->cfg->spools[i];

		if (spool_mkdirs(sp->inbox, cause) == -1 || spool_mkdirs(sp->work, cause) == -1 ||
		    spool_mkdirs(sp->out, cause) == -1 || spool_mkdirs(sp->done, cause) == -1 ||
		    spool_mkdirs(sp->rejected, cause) == -1 ||
		    spool_mkdirs(sp->review, cause) == -1)
			return -1;
		a->w[i] = watch_new(sp->inbox, (enum watch_mode)sp->watch, sp->settle_ms,
		                    sp->rescan_s, sp->ignore, sp->nignore, a->ifd, cause);
		if (a->w[i] == NULL)
			return -1;
		if (watch_polling(a->w[i], &why))
			log_info(
			    "spool %s: polling %s every 500 ms (%s): inotify does not see other "
			    "hosts' writes there",
			    sp->name, sp->inbox, why);
		else
			log_info("spool %s: watching %s", sp->name, sp->inbox);
		watch_scan(a->w[i], now_ms());
	}
	a->wd_rules = inotify_add_watch(a->ifd, a->cfg->rules_dir, mask);
	a->wd_templates = inotify_add_watch(a->ifd, a->cfg->templates_dir, mask);
	return 0;
}

/* Loads everything anew and swaps it in only when the whole load succeeded. */
static void
reload(struct agent *a)
{
	struct diags d = {0};
	struct config *c;
	size_t i;
	char *cause = NULL;
	json_t *probs;

	a->reload_at = 0;
	if ((c = config_load(a->cfg_path, &d)) == NULL) {
		log_err("the changed configuration has %zu problem%s; the rules loaded before stay "
		        "in use",
		        d.n, d.n == 1 ? "" : "s");
		log_diags(&d);
		probs = json_array();
		for (i = 0; i < d.n; i++)
			json_array_append_new(probs,
			                      json_pack("{s:s?, s:i, s:i, s:s}", "file",
			                                d.v[i].file, "line", d.v[i].line, "column",
			                                d.v[i].col, "message", d.v[i].msg));
		record(a, "rules_rejected", json_pack("{s:o}", "problems", probs));
		diags_free(&d);
		return;
	}
	watches_free(a);
	config_free(a->cfg);
	a->cfg = c;
	a->in.cfg = c;
	/* No conversion runs (reloads wait for them): the new rules may print, or not. */
	office_free(a->office);
	a->in.office = a->office = print_office(c);
	if (setup_spools(a, &cause) == -1) {
		/* Folders of a new spool that cannot be made: that spool waits, the rest go on. */
		log_err("%s", cause);
		free(cause);
	}
	audit_now(a->loaded);
	log_info("rules loaded: %zu rules, %zu templates", c->nrules, c->ntemplates);
	record(a, "rules_loaded", json_pack("{s:o}", "rules", record_rules(c)));
	write_status(a);
}

static void
handle_inotify(struct agent *a)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	int64_t now = now_ms();
	ssize_t n;
	size_t i;
	char *p;

	while ((n = read(a->ifd, buf, sizeof buf)) > 0) {
		for (p = buf; p < buf + n; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				log_warn("the inotify queue overflowed: scanning every inbox");
				for (i = 0; i < a->nw; i++)
					if (a->w[i] != NULL)
						watch_scan(a->w[i], now);
				continue;
			}
			if (ev->wd == a->wd_rules || ev->wd == a->wd_templates) {
				if (ev->len > 0 && ev->name[0] != '.')
					a->reload_at = now + RELOAD_MS;
				continue;
			}
			for (i = 0; i < a->nw; i++)
				if (a->w[i] != NULL && watch_event(a->w[i], ev, now))
					break;
		}
	}
}

/* Takes every settled file there is room for, one at a time, minding signals between files. */
static void
take_ready(struct agent *a)
{
	const char *name;
	char *copy;
	size_t i;

	for (i = 0; i < a->nw && !a->stopping && !a->suspended; i++) {
		if (a->w[i] == NULL)
			continue;
		while (!a->stopping && !a->suspended &&
		       (name = watch_ready(a->w[i], now_ms(), room_for, a)) != NULL) {
			copy = xstrdup(name);
			watch_done(a->w[i], copy);
			work(a, &a->cfg->spools[i], copy, 0);
			free(copy);
			if (a->reload_at != 0 && a->reload_at <= now_ms() &&
			    intake_held(&a->in) == 0)
				return; /* reload before the next file */
		}
	}
}

static int
idle(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->nw; i++)
		if ((a->w[i] != NULL && watch_pending(a->w[i]) > 0) ||
		    status_count_dir(a->cfg->spools[i].work) > 0 ||
		    status_count_dir(a->cfg->spools[i].inbox) > 0)
			return 0;
	return 1;
}

static int
next_timeout(struct agent *a)
{
	int64_t now = now_ms(), t, best = a->status_at - now;
	size_t i;

	for (i = 0; i < a->nw; i++)
		if (a->w[i] != NULL && (t = watch_next_ms(a->w[i], now)) >= 0 && t < best)
			best = t;
	/* A reload waits for the files in hand (parked for their PDFs too): their rules must stay.
	 */
	if (a->reload_at != 0 && intake_held(&a->in) == 0 && a->reload_at - now < best)
		best = a->reload_at - now;
	if (a->nprint > 0 && (t = office_timeout_ms(a->office)) >= 0 && t < best)
		best = t;
	if (a->suspended && a->retry_at - now < best)
		best = a->retry_at - now;
	if (a->rescan_at != 0 && a->rescan_at - now < best)
		best = a->rescan_at - now;
	if (a->watchdog_usec > 0 && a->watchdog_at - now < best)
		best = a->watchdog_at - now;
	if (a->once && best > 200)
		best = 200;
	return best < 0 ? 0 : best > 60000 ? 60000 : (int)best;
}

static void
try_resume_intake(struct agent *a)
{
	size_t i;

	a->suspended = 0;
	if (record(a, "intake_resumed",
	           json_pack("{s:s, s:s}", "suspended", a->suspended_at, "reason",
	                     a->suspend_cause != NULL ? a->suspend_cause : "")) == -1)
		return; /* record() suspended again */
	log_info("intake resumed");
	free(a->suspend_cause);
	a->suspend_cause = NULL;
	resume_work(a);
	/* A file whose claim failed is no longer a candidate: look at every inbox again. */
	for (i = 0; i < a->nw; i++)
		if (a->w[i] != NULL)
			watch_scan(a->w[i], now_ms());
	write_status(a);
}

/* Handlers for the stop and reload signals, blocked but while waiting or working. */
static int
setup_signals(struct agent *a)
{
	struct sigaction sa;
	sigset_t mask;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &a->waiting) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 || sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		return -1;
	sigdelset(&a->waiting, SIGTERM);
	sigdelset(&a->waiting, SIGINT);
	sigdelset(&a->waiting, SIGHUP);
	return 0;
}

/* The host name as claims carry it: no '.' (which ends a claim id) and no '-'. */
static char *
host_tag(void)
{
	char host[256] = "";
	char *tag;
	size_t i;

	gethostname(host, sizeof host - 1);
	tag = spool_safe_name(host, 40);
	for (i = 0; tag[i] != '\0'; i++)
		if (tag[i] == '.' || tag[i] == '-')
			tag[i] = '_';
	return tag;
}

/* The claim ids of the files in every spool's work/ (intake_claim_of()). */
struct in_work {
	char **v;
	size_t n, cap;
};

static int
claim_in_work(void *ctx, const char *claim)
{
	const struct in_work *w = ctx;
	size_t i;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->v[i], claim) == 0)
			return 1;
	return 0;
}

static void
list_work(const struct config *c, struct in_work *w)
{
	struct dirent *de;
	size_t i;
	DIR *dp;

	for (i = 0; i < c->nspools; i++) {
		if ((dp = opendir(c->spools[i].work)) == NULL)
			continue;
		while ((de = readdir(dp)) != NULL)
			if (de->d_name[0] != '.') {
				xgrow(&w->v, &w->cap, w->n, sizeof *w->v);
				w->v[w->n++] = intake_claim_of(de->d_name);
			}
		closedir(dp);
	}
}

/*
 * The claims register, with the entries of claims the audit log has no completion of and whose
 * file is still in work/ removed: a crash came between the two, and the claim is done again.
 * With held (the log is not what this agent last wrote), nothing is removed.
 */
static struct reg *
open_register(struct agent *a, int held, char **cause)
{
	struct reg *g = reg_open(a->cfg, 0, cause);
	struct in_work w = {0};
	unsigned long kept = 0;
	size_t i;
	int n;

	if (g == NULL || held)
		return g;
	list_work(a->cfg, &w);
	n = reg_reconcile(g, recorder_history(a->rec), claim_in_work, &w, &kept, cause);
	for (i = 0; i < w.n; i++)
		free(w.v[i]);
	free(w.v);
	if (n == -1) {
		reg_close(g);
		return NULL;
	}
	if (n > 0)
		log_info("claims register: removed the entries of %d claim%s the audit log has no "
		         "completion of; they are done again",
		         n, n == 1 ? "" : "s");
	if (kept > 0)
		log_warn(
		    "claims register: %lu claim%s entered as paid that the audit log has no "
		    "completion of, and whose files are not in work/, are kept, so none is paid "
		    "again: formagent claims check names them",
		    kept, kept == 1 ? "" : "s");
	return g;
}

/* Half-written outputs of a run that died here: never published, so simply removed. */
static void
clean_tmp(const struct config *c)
{
	size_t k;
	int removed = spool_clean_tmp(c->state_dir);

	for (k = 0; k < c->nspools; k++)
		removed +=
		    spool_clean_tmp(c->spools[k].out) + spool_clean_tmp(c->spools[k].rejected);
	if (removed > 0)
		log_info("removed %d temporary file%s left by a run that stopped mid-write",
		         removed, removed == 1 ? "" : "s");
}

/* The loop, until a stop request (or, with once, until idle). */
static void
loop(struct agent *a)
{
	struct pollfd pfd[3];
	struct timespec ts;
	size_t i;
	int n, t;

	while (!a->stopping) {
		if (a->watchdog_usec > 0 && now_ms() >= a->watchdog_at) {
			sd_notify(0, "WATCHDOG=1");
			a->watchdog_at = now_ms() + (int64_t)(a->watchdog_usec / 2000);
		}
		if (a->reload_at != 0 && now_ms() >= a->reload_at && intake_held(&a->in) == 0)
			reload(a);
		if (a->suspended && now_ms() >= a->retry_at)
			try_resume_intake(a);
		if (a->rescan_at != 0 && now_ms() >= a->rescan_at) {
			a->rescan_at = 0;
			for (i = 0; i < a->nw; i++)
				if (a->w[i] != NULL)
					watch_scan(a->w[i], now_ms());
		}
		take_ready(a);
		if (a->stopping)
			break;
		if (now_ms() >= a->status_at)
			write_status(a);
		if (a->once && !a->suspended && idle(a))
			break;
		pfd[0] = (struct pollfd){a->ifd, POLLIN, 0};
		/* A conversion's end wakes the loop too (-1, ignored by ppoll, when none runs). */
		pfd[1] = (struct pollfd){a->nprint > 0 ? office_fd(a->office) : -1, POLLIN, 0};
		/* And a worker's end. */
		pfd[2] = (struct pollfd){workers_fd(a->pool), POLLIN, 0};
		t = next_timeout(a);
		ts.tv_sec = t / 1000;
		ts.tv_nsec = (long)(t % 1000) * 1000000;
		/* The signals come in only here (and while working), so none is missed. */
		n = ppoll(pfd, 3, &ts, &a->waiting);
		if (n == -1 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && (pfd[0].revents & POLLIN))
			handle_inotify(a);
		if (n > 0 && (pfd[2].revents & POLLIN))
			take_worked(a);
		if (a->resume_more && !a->suspended && !a->stopping) {
			a->resume_more = 0;
			resume_work(a);
		}
		step_print(a);
		take_signals(a);
	}
}

int
agent_run(const char *config_path, const struct agent_opts *o)
{
	struct agent a;
	struct diags d = {0};
	struct status_info si;
	char *cause = NULL, *held = NULL, *head;
	int rc = 0;

	memset(&a, 0, sizeof a);
	a.cfg_path = config_path;
	a.once = o->once;
	a.wd_rules = a.wd_templates = -1;
	a.ifd = -1;
	log_init(getenv("JOURNAL_STREAM") != NULL || !isatty(STDERR_FILENO), LOG_LV_INFO);
	a.host_tag = host_tag();
	audit_now(a.started);
	if ((a.cfg = config_load(config_path, &d)) == NULL) {
		log_err("cannot start: the configuration has %zu problem%s", d.n,
		        d.n == 1 ? "" : "s");
		log_diags(&d);
		diags_free(&d);
		free(a.host_tag);
		return 1;
	}
	audit_now(a.loaded);
	i18n_init(a.cfg->language);
	si.config_path = config_path;
	si.started = a.started;
	a.status = status_new(&si);
	if ((a.rec = recorder_open(a.cfg->audit_dir, a.cfg->audit_key, &cause)) == NULL ||
	    spool_mkdirs(a.cfg->state_dir, &cause) == -1) {
		log_err("cannot start: %s", cause);
		rc = 1;
		goto out;
	}
	/*
	 * The log must still hold the head this agent last wrote: one cut or rewritten while it
	 * was stopped could have lost the records of files it paid. Then nothing is taken, and the
	 * register keeps every entry, until an administrator acts (README, "The audit log").
	 */
	head = xasprintf("%s/audit.head", a.cfg->state_dir);
	rc = recorder_keep_head(a.rec, head, a.cfg->audit_key, &cause);
	free(head);
	if (rc == -1) {
		log_err("cannot start: %s", cause);
		rc = 1;
		goto out;
	}
	if (rc == 1) {
		held = cause;
		cause = NULL;
	}
	rc = 0;
	if ((a.reg = open_register(&a, held != NULL, &cause)) == NULL) {
		log_err("cannot start: %s", cause);
		rc = 1;
		goto out;
	}
	workbook_threads();
	if ((a.pool = workers_new((unsigned)a.cfg->workers, ocr_end, &cause)) == NULL ||
	    (a.render = workers_new((unsigned)a.cfg->workers, NULL, &cause)) == NULL) {
		log_err("cannot start: %s", cause);
		rc = 1;
		goto out;
	}
	/* Each worker its own connection: a transaction belongs to the thread that began it. */
	a.nregs = workers_count(a.pool);
	a.regs = xcalloc(a.nregs, sizeof *a.regs);
	for (unsigned k = 0; k < a.nregs; k++)
		if ((a.regs[k] = reg_open(a.cfg, 0, &cause)) == NULL) {
			log_err("cannot start: %s", cause);
			rc = 1;
			goto out;
		}
	a.in.cfg = a.cfg;
	a.in.rec = a.rec;
	a.in.host_tag = a.host_tag;
	a.in.stop = &stop_requests;
	a.in.office = a.office = print_office(a.cfg);
	if (a.office != NULL && !office_available(a.office))
		log_warn("LibreOffice (%s) is not installed: rules that print will make their "
		         "forms, but each file gets a .print-failed.txt note instead of its PDF "
		         "(install libreoffice-calc-nogui)",
		         a.cfg->soffice != NULL ? a.cfg->soffice : "soffice");
	if (setup_signals(&a) == -1 || (a.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_err("cannot start: %s", strerror(errno));
		rc = 1;
		goto out;
	}
	spool_set_tmp_tag(a.host_tag);
	if (setup_spools(&a, &cause) == -1) {
		log_err("cannot start: %s", cause);
		rc = 1;
		goto out;
	}
	clean_tmp(a.cfg);
	if (record(&a, "started", json_pack("{s:s}", "config", config_path)) == -1 ||
	    record(&a, "rules_loaded", json_pack("{s:o}", "rules", record_rules(a.cfg))) == -1) {
		log_err("cannot start: %s", a.suspend_cause);
		rc = 1;
		goto out;
	}
	log_info("started: %zu spool%s, %zu rules", a.cfg->nspools, a.cfg->nspools == 1 ? "" : "s",
	         a.cfg->nrules);
	if (held != NULL) {
		/* Not retried: no write the agent could make again would put it right. */
		a.held = 1;
		suspend(&a, held, 1);
		held = NULL;
		if (a.once) {
			record(&a, "stopped", json_pack("{s:s}", "reason", "held"));
			rc = 1;
			goto out;
		}
	}
	resume_work(&a);
	if (sd_watchdog_enabled(0, &a.watchdog_usec) <= 0)
		a.watchdog_usec = 0;
	a.watchdog_at = now_ms();
	write_status(&a);
	sd_notify(0, "READY=1");
	loop(&a);
	sd_notify(0, "STOPPING=1");
	drain(&a);
	record(&a, "stopped", json_pack("{s:s}", "reason", a.once ? "idle" : "signal"));
	write_status(&a);
	log_info("stopped");
out:
	if (a.pool != NULL)
		drain(&a);
	drop_prints(&a);
	free(a.in.held);      /* every file in hand was let go by now */
	workers_free(a.pool); /* before the connections its threads use */
	workers_free(a.render);
	for (unsigned k = 0; k < a.nregs; k++)
		reg_close(a.regs[k]);
	free(a.regs);
	office_free(a.office);
	free(cause);
	free(held);
	free(a.suspend_cause);
	free(a.host_tag);
	watches_free(&a);
	if (a.ifd != -1)
		close(a.ifd);
	recorder_close(a.rec);
	reg_close(a.reg);
	status_free(a.status);
	config_free(a.cfg);
	return rc;
}
