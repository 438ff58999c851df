/*
 * The agent's event loop and the folder protocol around the pipeline. One loop, one thread: poll
 * over the inotify descriptor and a signalfd, with a timeout from the nearest settle, rescan,
 * retry or watchdog deadline. A file goes inbox → work (claim) → pipeline → audit record →
 * done/ or rejected/, in that order, so a crash at any point leaves it either in the inbox or in
 * work/, and work/ is finished first at the next start. Outputs are deterministic, so doing a
 * file again gives the same bytes, and the audit log marks the second completion "resumed".
 *
 * Fatal only at start: a bad configuration, an audit log that cannot be opened, a spool folder
 * that cannot be made. Afterwards a bad file is rejected with its reason and the loop goes on;
 * an output or audit record that cannot be written suspends intake until it can.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "agent.h"
#include "audit.h"
#include "config.h"
#include "hash.h"
#include "i18n.h"
#include "log.h"
#include "mapper.h"
#include "pipeline.h"
#include "spool.h"
#include "watch.h"
#include "utf8.h"
#include "i18n.h"
#include "xmalloc.h"

#ifndef FORMAGENT_VERSION
#define FORMAGENT_VERSION "0.0.0"
#endif

#define RELOAD_MS      300 /* rule edits come in bursts: wait for the last */
#define STATUS_MS      10000
#define STATUS_SOON_MS 1000 /* after an outcome, the status file shows it within this */
#define NLAST          10
#define STATUS_FILE    "status.json"

struct last {
	char time[32];
	char *name;
	char *outcome;
};

struct sstate {
	char *name; /* the spool's name: states survive a reload by it */
	struct watch *w;
	struct last last[NLAST];
	size_t nlast;
};

struct agent {
	const char *cfg_path;
	struct config *cfg;
	struct audit *audit;
	int ifd, sfd;
	int wd_rules, wd_templates;
	struct sstate *ss; /* one per spool of cfg, same order */
	size_t nss;
	int once;
	int stopping;
	int64_t stop_deadline;
	int cancel_now;
	int suspended;
	char *suspend_cause;
	char suspended_at[32];
	int64_t retry_at;
	int64_t rescan_at; /* a file that could not be claimed is looked at again then */
	int64_t reload_at; /* 0: none pending */
	int64_t status_at;
	uint64_t watchdog_usec;
	int64_t watchdog_at;
	char started[32];
	time_t started_t;
	char loaded[32];
	unsigned long seq;
	char host[256];
	char *host_tag; /* the host name as claims carry it: no '.', which ends a claim id */
	json_t *rows;   /* the audit rows of the file in hand */
	const struct rule *rule_in_hand;
};

/* Takes the signals waiting on the signalfd into the agent's flags. */
static void
drain_signals(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (a->stopping) {
				a->cancel_now = 1; /* a second request: stop the file in hand too */
				break;
			}
			a->stopping = 1;
			a->stop_deadline = now_ms() + a->cfg->stop_grace_ms;
			log_info("stopping: finishing the file in hand (at most %d ms)",
			         a->cfg->stop_grace_ms);
			sd_notify(0, "STOPPING=1");
			break;
		case SIGHUP:
			a->reload_at = now_ms();
			break;
		default:
			break;
		}
	}
}

static int
cancelled(void *ctx)
{
	struct agent *a = ctx;

	drain_signals(a);
	return a->cancel_now || (a->stopping && now_ms() >= a->stop_deadline);
}

static json_t *
agent_info(struct agent *a)
{
	return json_pack("{s:s, s:s, s:I}", "version", FORMAGENT_VERSION, "host", a->host, "pid",
	                 (json_int_t)getpid());
}

/*
 * Stops intake (files wait in the inbox) until a retry succeeds; takes cause. The suspension
 * is recorded now when the log works, else in the intake_resumed record later.
 */
static void suspend(struct agent *a, char *cause, int log_works);

/* Appends a record; on failure suspends intake. Returns 0 or -1. */
static int
record(struct agent *a, const char *event, json_t *rec)
{
	char *cause = NULL;
	int rc;

	json_object_set_new(rec, "agent", agent_info(a));
	rc = audit_append(a->audit, event, rec, &cause);
	json_decref(rec);
	if (rc == -1)
		suspend(a, cause, 0); /* the log itself failed: nothing more can go into it now */
	return rc;
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
	a->retry_at = now_ms() + a->cfg->retry_ms;
	sd_notify(0, "STATUS=intake suspended: see the log");
	if (log_works)
		record(a, "intake_suspended", json_pack("{s:s}", "reason", cause));
}

static json_t *
rules_json(const struct config *c)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < c->nrules; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "name", c->rules[i]->name,
		                                     "version", c->rules[i]->version));
	return arr;
}

/* The audit row of one claim: only fields marked audit, and reasons that quote nothing else. */
static void
on_row(void *ctx, const struct mapped *m)
{
	struct agent *a = ctx;
	const struct rule *r = m->rule;
	json_t *row, *fields = json_object(), *reasons = json_array();
	const struct map_error *e;
	const char *msg;
	char *v;
	size_t i, j;
	int quotable;

	a->rule_in_hand = r;
	for (i = 0; i < r->nfields; i++) {
		if (!r->fields[i].audit || m->v[i].t == V_NULL)
			continue;
		if (m->v[i].t == V_INT)
			json_object_set_new(fields, r->fields[i].name, json_integer(m->v[i].i));
		else {
			v = mapped_text(m, (int)i, VF_ISO);
			json_object_set_new(fields, r->fields[i].name, json_string(v));
			free(v);
		}
	}
	for (i = 0; i < m->nerrs; i++) {
		e = &m->errs[i];
		/* A message may quote a value; keep it only when every value it can quote is
		 * audited. */
		quotable = 1;
		if (e->check >= 0) {
			for (j = 0; j < r->nfields; j++)
				if (r->checks[e->check].uses[j] && !r->fields[j].audit)
					quotable = 0;
		} else if (e->field >= 0)
			quotable = r->fields[e->field].audit;
		msg = quotable ? e->message
		               : "the value was refused (not recorded: the field is not audited)";
		json_array_append_new(reasons,
		                      json_pack("{s:s?, s:s}", "field",
		                                e->field >= 0 ? r->fields[e->field].name : NULL,
		                                "message", msg));
	}
	row = json_pack("{s:I, s:s, s:o}", "row", (json_int_t)m->row, "outcome",
	                m->nerrs == 0 ? "produced" : "rejected", "fields", fields);
	if (m->nerrs > 0)
		json_object_set_new(row, "reasons", reasons);
	else
		json_decref(reasons);
	json_array_append_new(a->rows, row);
}

static struct sstate *
state_of(struct agent *a, const struct spool *sp)
{
	return &a->ss[sp - a->cfg->spools];
}

static void
remember(struct agent *a, const struct spool *sp, const char *name, const char *outcome)
{
	struct sstate *s = state_of(a, sp);
	struct last *l;

	if (s->nlast == NLAST) {
		free(s->last[0].name);
		free(s->last[0].outcome);
		memmove(&s->last[0], &s->last[1], (NLAST - 1) * sizeof s->last[0]);
		s->nlast--;
	}
	l = &s->last[s->nlast++];
	audit_now(l->time);
	l->name = xstrdup(name);
	l->outcome = xstrdup(outcome);
	/* Soon, but at most once a second in a burst. */
	if (a->status_at > now_ms() + STATUS_SOON_MS)
		a->status_at = now_ms() + STATUS_SOON_MS;
}

static size_t
count_dir(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dp);
	return n;
}

static void
write_status(struct agent *a)
{
	json_t *st, *spools = json_array(), *last;
	char *text, *cause = NULL;
	size_t i, j, waiting = 0, work = 0, nw, nk;

	for (i = 0; i < a->cfg->nspools; i++) {
		const struct spool *sp = &a->cfg->spools[i];

		last = json_array();
		for (j = 0; j < a->ss[i].nlast; j++)
			json_array_append_new(last, json_pack("{s:s, s:s, s:s}", "time",
			                                      a->ss[i].last[j].time, "name",
			                                      a->ss[i].last[j].name, "outcome",
			                                      a->ss[i].last[j].outcome));
		nw = count_dir(sp->inbox);
		nk = count_dir(sp->work);
		waiting += nw;
		work += nk;
		json_array_append_new(spools,
		                      json_pack("{s:s, s:s, s:I, s:I, s:o}", "name", sp->name,
		                                "inbox", sp->inbox, "waiting", (json_int_t)nw,
		                                "work", (json_int_t)nk, "last", last));
	}
	st = json_pack("{s:I, s:s, s:s, s:s, s:o, s:b, s:o}", "pid", (json_int_t)getpid(),
	               "started", a->started, "config", a->cfg_path, "rules_loaded", a->loaded,
	               "rules", rules_json(a->cfg), "suspended", a->suspended, "spools", spools);
	text = json_dumps(st, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(st);
	if (spool_replace(a->cfg->state_dir, STATUS_FILE, text, strlen(text), &cause) == -1) {
		log_warn("cannot write the status file: %s", cause);
		free(cause);
	}
	free(text);
	sd_notifyf(0, "STATUS=%s%zu waiting, %zu in work", a->suspended ? "intake suspended; " : "",
	           waiting, work);
	a->status_at = now_ms() + STATUS_MS;
}

/*
 * The reason file for a file rejected without being read. Returns 0, or -1 with *cause: the file
 * must then stay where it is, since a rejected file without its reason tells the clerk nothing.
 */
static int
write_reason(const struct spool *sp, const char *name, const char *shown, const char *reason,
             char **cause)
{
	char *safe = spool_safe_name(name, 180), *fname = xasprintf("%s.reason.txt", safe);
	char *text = xasprintf(_("file: %s\nthe file was not processed: %s\n"), shown, reason);
	struct outfile o;
	int rc = -1;

	if (out_begin(sp->rejected, fname, &o, cause) == 0) {
		if (out_write(&o, text, strlen(text), cause) == 0 && out_commit(&o, cause) == 0)
			rc = 0;
		else
			out_abort(&o);
		free(o.final);
	}
	free(safe);
	free(fname);
	free(text);
	return rc;
}

static void
owner_json(json_t *input, unsigned uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	json_object_set_new(input, "uid", json_integer(uid));
	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof buf, &res) == 0 && res != NULL)
		json_object_set_new(input, "owner", json_string(pw.pw_name));
}

/*
 * Why a file is rejected without being opened: not a plain regular file, linked elsewhere, or too
 * large. NULL when it may be read; else a new string. Asked again of the claimed file in work/,
 * so a resumed claim gets the same answer.
 */
static char *
unopened_reason(const struct spool *sp, const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return xstrdup(_("it is a symbolic link; links are not followed"));
	if (S_ISDIR(st->st_mode))
		return xstrdup(_("it is a folder, not a file"));
	if (!S_ISREG(st->st_mode))
		return xstrdup(_("it is not a regular file (a pipe, socket or device)"));
	if (st->st_nlink > 1)
		return xstrdup(_("it has more than one hard link: a file that is also elsewhere "
		                 "is not taken"));
	if (st->st_size > sp->max_bytes)
		return xasprintf(_("the file is %lld bytes, more than the %lld allowed"),
		                 (long long)st->st_size, sp->max_bytes);
	return NULL;
}

/* The original name of a work file: the part after the claim id. */
static const char *
work_name_of(const char *wname)
{
	const char *dot = strchr(wname, '.');

	return dot != NULL && dot[1] != '\0' ? dot + 1 : wname;
}

static char *
claim_of(const char *wname)
{
	const char *dot = strchr(wname, '.');

	return dot != NULL ? xstrndup(wname, (size_t)(dot - wname)) : xstrdup(wname);
}

static json_t *
outputs_json(const struct file_result *res)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < res->noutputs; i++)
		json_array_append_new(arr,
		                      json_pack("{s:s, s:s, s:I}", "name", res->outputs[i].name,
		                                "sha256", res->outputs[i].sha256, "size",
		                                (json_int_t)res->outputs[i].size));
	return arr;
}

/* What a correction file put right, for its completed record. */
static json_t *
corrects_json(const struct file_result *res)
{
	json_t *fields = json_array(), *f;
	char *shown = utf8_repair(res->corrects);
	size_t i;

	for (i = 0; i < res->ncorrections; i++) {
		const struct correction *c = &res->corrections[i];

		f = json_pack("{s:s, s:I}", "field", c->field, "claim", (json_int_t)c->claim);
		/* Values only of audited fields: never a name. */
		if (c->fixed != NULL) {
			json_object_set_new(f, "read",
			                    c->read != NULL ? json_string(c->read) : json_null());
			json_object_set_new(f, "fixed", json_string(c->fixed));
		}
		json_array_append_new(fields, f);
	}
	f = json_pack("{s:s, s:s, s:o}", "name", shown, "sha256", res->corrects_sha256, "fields",
	              fields);
	free(shown);
	return f;
}

/*
 * A claim in review whose correction made its forms leaves review for done/, and its
 * .review.txt goes. Done after the correction's record: a crash before leaves it in review,
 * where the record says it was settled.
 */
static void
out_of_review(const struct spool *sp, const char *name)
{
	char *final = NULL, *cause = NULL, *safe, *note, *esc;

	if (spool_move(sp->review, name, sp->done, name, &final, &cause) == -1) {
		esc = log_escape(cause, 0);
		log_err("spool %s: %s", sp->name, esc);
		free(esc);
		free(cause);
		return;
	}
	free(final);
	safe = spool_safe_name(name, 180);
	note = xasprintf("%s/%s.review.txt", sp->review, safe);
	if (unlink(note) == -1 && errno != ENOENT)
		log_err("spool %s: cannot remove %s: %s", sp->name, note, strerror(errno));
	free(note);
	free(safe);
}

/* Whether a claim of this name waits in the spool's review folder. */
static int
waits_in_review(const struct spool *sp, const char *name)
{
	char *p = xasprintf("%s/%s", sp->review, name);
	struct stat st;
	int waits = lstat(p, &st) == 0 && S_ISREG(st.st_mode);

	free(p);
	return waits;
}

/*
 * For a correction file whose claim another correction already settled (made its forms): the
 * reason it is refused, or NULL. The claim is taken out of review now, should a crash have left
 * it there after that correction moved to done/. A correction settled by its own claim is being
 * resumed after a crash before its move: it is done again (its forms come out the same bytes), and
 * the claim it settled is still in review for that.
 */
static char *
settled_claim(struct agent *a, const struct spool *sp, const char *name, const char *claim)
{
	size_t n = strlen(name), k = strlen(PIPELINE_FIX_SUFFIX);
	char *orig, *path, *shown, *reason = NULL, sha[HASH_HEX];
	const char *by;
	int fd;

	if (n <= k || strcmp(name + n - k, PIPELINE_FIX_SUFFIX) != 0)
		return NULL;
	orig = xstrndup(name, n - k);
	path = xasprintf("%s/%s", sp->review, orig);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd != -1 && hash_fd(fd, sha, NULL) == 0 &&
	    (by = audit_claim_settled(a->audit, sha)) != NULL && strcmp(by, claim) != 0) {
		shown = utf8_repair(orig);
		reason = xasprintf(_("%s was settled by the correction of claim %s, which made its "
		                     "forms; it is not corrected twice"),
		                   shown, by);
		free(shown);
		out_of_review(sp, orig);
	}
	if (fd != -1)
		close(fd);
	free(path);
	free(orig);
	return reason;
}

/*
 * Finishes a claimed file: pipeline, audit record, move. Leaves it in work/ when it cannot be
 * finished now (cancelled, an output or the record cannot be written).
 */
static void
complete(struct agent *a, const struct spool *sp, const char *wname)
{
	/* name is the file's bytes, for moving it; shown is the text that goes into records. */
	const char *name = work_name_of(wname), *seen, *outcome, *result;
	char *shown = utf8_repair(name);
	char *claim = claim_of(wname), *path = xasprintf("%s/%s", sp->work, wname);
	char *final = NULL, *cause = NULL, *esc = log_escape(name, 200), *reason = NULL;
	struct pipeline_opts o;
	struct file_result res;
	json_t *rec, *input;
	char sha[HASH_HEX];
	struct stat st;
	int rc, dup = 0;

	memset(&o, 0, sizeof o);
	memset(&res, 0, sizeof res);
	sha[0] = '\0';
	o.out_dir = sp->out;
	o.reject_dir = sp->rejected;
	o.review_dir = sp->review;
	o.tmpdir = a->cfg->tmpdir;
	o.input_name = shown;
	o.max_bytes = sp->max_bytes;
	o.single_link = 1;
	o.cancelled = cancelled;
	o.on_row = on_row;
	o.ctx = a;
	a->rows = json_array();
	a->rule_in_hand = NULL;

	if (lstat(path, &st) == -1) {
		if (spool_transient(errno))
			suspend(a,
			        xasprintf("cannot look at %s in %s: %s", esc, sp->work,
			                  strerror(errno)),
			        1);
		else
			log_err("spool %s: %s: %s", sp->name, esc, strerror(errno));
		goto out;
	}
	res.size = (long long)st.st_size;
	res.uid = (unsigned)st.st_uid;
	if ((reason = unopened_reason(sp, &st)) != NULL)
		res.failed = 1;
	/*
	 * A file already completed under another claim would be paid twice: refuse it unread. The
	 * check cannot be skipped, so a file that cannot be read now waits for a retry; any other
	 * failure to read is the pipeline's to report, as the file's reason.
	 */
	if (reason == NULL) {
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK), e;

		if (fd != -1 && hash_fd(fd, sha, NULL) != 0) {
			e = errno;
			close(fd);
			fd = -1;
			sha[0] = '\0';
			errno = e;
		}
		if (fd == -1 && spool_transient(errno)) {
			suspend(
			    a,
			    xasprintf("cannot read %s in %s: %s", esc, sp->work, strerror(errno)),
			    1);
			goto out;
		}
		if (fd != -1 && (seen = audit_input_seen(a->audit, sha)) != NULL &&
		    strcmp(seen, claim) != 0) {
			dup = 1;
			reason =
			    waits_in_review(sp, name)
			        ? xasprintf(_("this claim already waits in review; to correct "
			                      "it, drop %s%s alone"),
			                    shown, PIPELINE_FIX_SUFFIX)
			        : xasprintf(_("the same file (SHA-256 %.16s...) was already "
			                      "processed as claim %s; it is not processed twice"),
			                    sha, seen);
			res.failed = 1;
			snprintf(res.sha256, sizeof res.sha256, "%s", sha);
		}
		if (fd != -1)
			close(fd);
	}
	if (reason == NULL && (reason = settled_claim(a, sp, name, claim)) != NULL)
		res.failed = 1;
	if (reason != NULL) {
		/* Refused unread: the reason file first, as for any rejected file. */
		if (write_reason(sp, name, shown, reason, &cause) == -1) {
			suspend(a, cause, 1);
			goto out;
		}
		rc = 2;
	} else {
		/* work/ is written by this agent alone: the hash just taken is the file's. */
		o.input_sha256 = sha[0] != '\0' ? sha : NULL;
		rc = pipeline_file(a->cfg, path, &o, &res);
		if (rc == 3) {
			log_info("spool %s: %s: stopped; it is finished at the next start",
			         sp->name, esc);
			goto out;
		}
		if (res.io_error) {
			suspend(a, xasprintf("cannot write the outputs of %s: %s", esc, res.reason),
			        1);
			goto out;
		}
	}
	result = dup                ? "duplicate"
	         : res.review       ? "review"
	         : res.failed       ? "rejected"
	         : res.rejected > 0 ? "partly_rejected"
	                            : "produced";
	outcome = audit_claim_completed(a->audit, claim) ? "resumed" : result;
	input = json_pack("{s:s, s:I, s:s}", "name", shown, "size", (json_int_t)res.size, "sha256",
	                  res.sha256);
	owner_json(input, res.uid);
	rec = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:o}", "spool",
	                sp->name, "claim", claim, "outcome", outcome, "result", result, "input",
	                input, "rows", a->rows, "totals", "rows", (json_int_t)res.rows, "produced",
	                (json_int_t)res.produced, "rejected", (json_int_t)res.rejected, "amount",
	                (json_int_t)res.total, "outputs", outputs_json(&res));
	a->rows = NULL;
	if (res.rule != NULL)
		json_object_set_new(
		    rec, "rule",
		    json_pack("{s:s, s:s}", "name", res.rule->name, "version", res.rule->version));
	if (res.failed)
		json_object_set_new(rec, "reason",
		                    json_string(reason != NULL ? reason : res.reason));
	if (res.corrects != NULL && res.corrects_sha256[0] != '\0')
		json_object_set_new(rec, "corrects", corrects_json(&res));
	if (record(a, "completed", rec) == -1)
		goto out; /* stays in work/: done again, and recorded, once the log can be written
		           */
	/* The inbox too: its entry's removal by the claim must not come back after a crash. */
	if (spool_move(sp->work, wname,
	               res.review   ? sp->review
	               : res.failed ? sp->rejected
	                            : sp->done,
	               name, &final, &cause) == -1 ||
	    spool_sync_dir(sp->inbox, &cause) == -1) {
		/* Recorded but still in work/: the retry finishes it again, as "resumed". */
		suspend(a, cause, 1);
		goto out;
	}
	if (res.corrects != NULL && !res.failed)
		out_of_review(sp, res.corrects);
	if (res.review)
		log_info("spool %s: %s: review (in %s, with its .review.txt)", sp->name, esc,
		         sp->review);
	else if (res.failed)
		log_info("spool %s: %s: %s (the reason is in its .reason.txt)", sp->name, esc,
		         result);
	else
		log_info("spool %s: %s: %s (rule %s: %lu rows, %lu produced, %lu rejected)%s",
		         sp->name, esc, result, res.rule->name, res.rows, res.produced,
		         res.rejected, strcmp(outcome, "resumed") == 0 ? ", resumed" : "");
	remember(a, sp, shown, result);
out:
	json_decref(a->rows);
	a->rows = NULL;
	file_result_free(&res);
	free(final);
	free(reason);
	free(esc);
	free(shown);
	free(path);
	free(claim);
}

/* Longest name a claimed file keeps: its claim id (about 50 bytes) must fit in NAME_MAX too. */
#define MAX_KEPT_NAME 180

/* Takes one settled file from the inbox. */
static void
take(struct agent *a, const struct spool *sp, const char *name)
{
	char *path = xasprintf("%s/%s", sp->inbox, name), *wname, *cause = NULL, *claim, *shown;
	char stamp[32], *kept, *in_work, *esc;
	struct stat st;
	struct tm tm;
	json_t *rec;
	time_t t;
	int rc, e;

	if (lstat(path, &st) == -1) {
		free(path);
		return; /* gone */
	}
	free(path);
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	claim = xasprintf("%s-%s-%ld-%lu", stamp, a->host_tag, (long)getpid(), ++a->seq);
	/*
	 * A name too long to carry a claim id is cut (keeping its extension): from here on the file
	 * goes by the cut name, and the claimed record keeps the whole one.
	 */
	kept = strlen(name) > MAX_KEPT_NAME ? utf8_cut_name(name, MAX_KEPT_NAME) : xstrdup(name);
	wname = xasprintf("%s.%s", claim, kept);
	rc = spool_claim(sp->inbox, name, sp->work, wname, &cause);
	e = errno;
	in_work = xasprintf("%s/%s", sp->work, wname);
	if (rc == -1 && !spool_transient(e) && access(in_work, F_OK) != 0) {
		/*
		 * This one file cannot be moved (the share's permissions, say): it stays in the
		 * inbox, the log says why, and the other files go on; it is tried again after
		 * retry_ms.
		 */
		esc = log_escape(cause, 0);
		log_err("spool %s: %s", sp->name, esc);
		free(esc);
		free(cause);
		if (a->rescan_at == 0)
			a->rescan_at = now_ms() + a->cfg->retry_ms;
		rc = 1;
	} else if (rc == -1) {
		/*
		 * Not claimed for want of disk (still in the inbox, taken again after the retry),
		 * or claimed but not durably (in work/, where the retry's resume finishes it).
		 */
		suspend(a, cause, 1);
		rc = 1;
	}
	free(in_work);
	if (rc == 1) { /* not ours now, or another agent was first */
		free(kept);
		free(claim);
		free(wname);
		return;
	}
	shown = utf8_repair(kept);
	rec = json_pack("{s:s, s:s, s:{s:s, s:I}}", "spool", sp->name, "claim", claim, "input",
	                "name", shown, "size", (json_int_t)st.st_size);
	free(shown);
	if (strcmp(kept, name) != 0) {
		shown = utf8_repair(name);
		json_object_set_new(json_object_get(rec, "input"), "original_name",
		                    json_string(shown));
		free(shown);
	}
	free(kept);
	if (record(a, "claimed", rec) == 0)
		complete(a, sp, wname);
	free(claim);
	free(wname);
}

static int
by_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * Whether a work file is this host's claim. Several hosts may share one spool: a claim in hand
 * on another host is not ours to finish, and that host finishes its own at its next start.
 */
static int
own_claim(const struct agent *a, const char *wname)
{
	char *claim = claim_of(wname), *tag = xasprintf("-%s-", a->host_tag);
	int ours = strstr(claim, tag) != NULL;

	free(tag);
	free(claim);
	return ours;
}

/* Finishes whatever an earlier run on this host left in work/, oldest claim first. */
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
			if (de->d_name[0] != '.' && own_claim(a, de->d_name)) {
				xgrow(&names, &cap, n, sizeof *names);
				names[n++] = xstrdup(de->d_name);
			}
		closedir(dp);
		qsort(names, n, sizeof *names, by_name);
		for (k = 0; k < n; k++) {
			if (!a->suspended && !a->stopping)
				complete(a, sp, names[k]);
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
	size_t i, j;

	for (i = 0; i < a->nss; i++) {
		watch_free(a->ss[i].w, a->ifd);
		for (j = 0; j < a->ss[i].nlast; j++) {
			free(a->ss[i].last[j].name);
			free(a->ss[i].last[j].outcome);
		}
		free(a->ss[i].name);
	}
	free(a->ss);
	a->ss = NULL;
	a->nss = 0;
	if (a->wd_rules != -1)
		inotify_rm_watch(a->ifd, a->wd_rules);
	if (a->wd_templates != -1)
		inotify_rm_watch(a->ifd, a->wd_templates);
	a->wd_rules = a->wd_templates = -1;
}

/* Creates the spools' folders and watches for cfg; keeps the outcome history of old by name. */
static int
setup_spools(struct agent *a, struct sstate *old, size_t nold, char **cause)
{
	const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE;
	const char *why;
	size_t i, j;

	a->nss = a->cfg->nspools;
	a->ss = xcalloc(a->nss + 1, sizeof *a->ss);
	for (i = 0; i < a->cfg->nspools; i++) {
		const struct spool *sp = &a->cfg->spools[i];

		a->ss[i].name = xstrdup(sp->name);
		for (j = 0; j < nold; j++)
			if (strcmp(old[j].name, sp->name) == 0) {
				memcpy(a->ss[i].last, old[j].last, sizeof old[j].last);
				a->ss[i].nlast = old[j].nlast;
				old[j].nlast = 0;
			}
		if (spool_mkdirs(sp->inbox, cause) == -1 || spool_mkdirs(sp->work, cause) == -1 ||
		    spool_mkdirs(sp->out, cause) == -1 || spool_mkdirs(sp->done, cause) == -1 ||
		    spool_mkdirs(sp->rejected, cause) == -1 ||
		    spool_mkdirs(sp->review, cause) == -1)
			return -1;
		a->ss[i].w = watch_new(sp->inbox, (enum watch_mode)sp->watch, sp->settle_ms,
		                       sp->rescan_s, sp->ignore, sp->nignore, a->ifd, cause);
		if (a->ss[i].w == NULL)
			return -1;
		if (watch_polling(a->ss[i].w, &why))
			log_info(
			    "spool %s: polling %s every 500 ms (%s): inotify does not see other "
			    "hosts' writes there",
			    sp->name, sp->inbox, why);
		else
			log_info("spool %s: watching %s", sp->name, sp->inbox);
		watch_scan(a->ss[i].w, now_ms());
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
	struct sstate *old;
	size_t nold, i, j;
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
	old = a->ss;
	nold = a->nss;
	a->ss = NULL;
	for (i = 0; i < nold; i++)
		watch_free(old[i].w, a->ifd);
	if (a->wd_rules != -1)
		inotify_rm_watch(a->ifd, a->wd_rules);
	if (a->wd_templates != -1)
		inotify_rm_watch(a->ifd, a->wd_templates);
	config_free(a->cfg);
	a->cfg = c;
	if (setup_spools(a, old, nold, &cause) == -1) {
		/* Folders of a new spool that cannot be made: that spool waits, the rest go on. */
		log_err("%s", cause);
		free(cause);
	}
	for (i = 0; i < nold; i++) {
		for (j = 0; j < old[i].nlast; j++) {
			free(old[i].last[j].name);
			free(old[i].last[j].outcome);
		}
		free(old[i].name);
	}
	free(old);
	audit_now(a->loaded);
	log_info("rules loaded: %zu rules, %zu templates", c->nrules, c->ntemplates);
	record(a, "rules_loaded", json_pack("{s:o}", "rules", rules_json(c)));
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
				for (i = 0; i < a->nss; i++)
					if (a->ss[i].w != NULL)
						watch_scan(a->ss[i].w, now);
				continue;
			}
			if (ev->wd == a->wd_rules || ev->wd == a->wd_templates) {
				if (ev->len > 0 && ev->name[0] != '.')
					a->reload_at = now + RELOAD_MS;
				continue;
			}
			for (i = 0; i < a->nss; i++)
				if (a->ss[i].w != NULL && watch_event(a->ss[i].w, ev, now))
					break;
		}
	}
}

/* Takes every settled file, one at a time, minding signals between files. */
static int
take_ready(struct agent *a)
{
	const char *name;
	char *copy;
	size_t i;
	int took = 0;

	for (i = 0; i < a->nss && !a->stopping && !a->suspended; i++) {
		if (a->ss[i].w == NULL)
			continue;
		while (!a->stopping && !a->suspended &&
		       (name = watch_ready(a->ss[i].w, now_ms())) != NULL) {
			copy = xstrdup(name);
			watch_done(a->ss[i].w, copy);
			take(a, &a->cfg->spools[i], copy);
			free(copy);
			took = 1;
			drain_signals(a);
			if (a->reload_at != 0 && a->reload_at <= now_ms())
				return took; /* reload before the next file */
		}
	}
	return took;
}

static int
idle(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->nss; i++)
		if ((a->ss[i].w != NULL && watch_pending(a->ss[i].w) > 0) ||
		    count_dir(a->cfg->spools[i].work) > 0 || count_dir(a->cfg->spools[i].inbox) > 0)
			return 0;
	return 1;
}

static int
next_timeout(struct agent *a)
{
	int64_t now = now_ms(), t, best = a->status_at - now;
	size_t i;

	for (i = 0; i < a->nss; i++)
		if (a->ss[i].w != NULL && (t = watch_next_ms(a->ss[i].w, now)) >= 0 && t < best)
			best = t;
	if (a->reload_at != 0 && a->reload_at - now < best)
		best = a->reload_at - now;
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
	for (i = 0; i < a->nss; i++)
		if (a->ss[i].w != NULL)
			watch_scan(a->ss[i].w, now_ms());
	write_status(a);
}

int
agent_run(const char *config_path, const struct agent_opts *o)
{
	struct agent a;
	struct diags d = {0};
	struct pollfd pfd[2];
	sigset_t mask;
	char *cause = NULL;
	int rc = 0, n;

	memset(&a, 0, sizeof a);
	a.cfg_path = config_path;
	a.once = o->once;
	a.wd_rules = a.wd_templates = -1;
	a.ifd = a.sfd = -1;
	log_init(getenv("JOURNAL_STREAM") != NULL || !isatty(STDERR_FILENO), LOG_LV_INFO);
	gethostname(a.host, sizeof a.host - 1);
	a.host_tag = spool_safe_name(a.host, 40);
	for (n = 0; a.host_tag[n] != '\0'; n++)
		if (a.host_tag[n] == '.' || a.host_tag[n] == '-')
			a.host_tag[n] = '_';
	audit_now(a.started);
	a.started_t = time(NULL);
	if ((a.cfg = config_load(config_path, &d)) == NULL) {
		log_err("cannot start: the configuration has %zu problem%s", d.n,
		        d.n == 1 ? "" : "s");
		log_diags(&d);
		diags_free(&d);
		return 1;
	}
	audit_now(a.loaded);
	i18n_init(a.cfg->language);
	if ((a.audit = audit_open(a.cfg->audit_dir, a.cfg->audit_key, &cause)) == NULL) {
		log_err("cannot start: %s", cause);
		rc = 1;
		goto out;
	}
	if (spool_mkdirs(a.cfg->state_dir, &cause) == -1) {
		log_err("cannot start: %s", cause);
		rc = 1;
		goto out;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1 ||
	    (a.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    (a.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_err("cannot start: %s", strerror(errno));
		rc = 1;
		goto out;
	}
	spool_set_tmp_tag(a.host_tag);
	if (setup_spools(&a, NULL, 0, &cause) == -1) {
		log_err("cannot start: %s", cause);
		rc = 1;
		goto out;
	}
	/* Half-written outputs of a run that died here: never published, so simply removed. */
	{
		size_t k;
		int removed = spool_clean_tmp(a.cfg->state_dir);

		for (k = 0; k < a.cfg->nspools; k++)
			removed += spool_clean_tmp(a.cfg->spools[k].out) +
			           spool_clean_tmp(a.cfg->spools[k].rejected);
		if (removed > 0)
			log_info("removed %d temporary file%s left by a run that stopped mid-write",
			         removed, removed == 1 ? "" : "s");
	}
	if (record(&a, "started", json_pack("{s:s}", "config", config_path)) == -1 ||
	    record(&a, "rules_loaded", json_pack("{s:o}", "rules", rules_json(a.cfg))) == -1) {
		log_err("cannot start: %s", a.suspend_cause);
		rc = 1;
		goto out;
	}
	log_info("started: %zu spool%s, %zu rules", a.cfg->nspools, a.cfg->nspools == 1 ? "" : "s",
	         a.cfg->nrules);
	resume_work(&a);
	if (sd_watchdog_enabled(0, &a.watchdog_usec) <= 0)
		a.watchdog_usec = 0;
	a.watchdog_at = now_ms();
	write_status(&a);
	sd_notify(0, "READY=1");
	while (!a.stopping) {
		if (a.watchdog_usec > 0 && now_ms() >= a.watchdog_at) {
			sd_notify(0, "WATCHDOG=1");
			a.watchdog_at = now_ms() + (int64_t)(a.watchdog_usec / 2000);
		}
		if (a.reload_at != 0 && now_ms() >= a.reload_at)
			reload(&a);
		if (a.suspended && now_ms() >= a.retry_at)
			try_resume_intake(&a);
		if (a.rescan_at != 0 && now_ms() >= a.rescan_at) {
			a.rescan_at = 0;
			for (n = 0; n < (int)a.nss; n++)
				if (a.ss[n].w != NULL)
					watch_scan(a.ss[n].w, now_ms());
		}
		take_ready(&a);
		if (now_ms() >= a.status_at)
			write_status(&a);
		if (a.once && !a.suspended && idle(&a))
			break;
		pfd[0].fd = a.ifd;
		pfd[0].events = POLLIN;
		pfd[1].fd = a.sfd;
		pfd[1].events = POLLIN;
		n = poll(pfd, 2, next_timeout(&a));
		if (n == -1 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && (pfd[0].revents & POLLIN))
			handle_inotify(&a);
		if (n > 0 && (pfd[1].revents & POLLIN))
			drain_signals(&a);
	}
	sd_notify(0, "STOPPING=1");
	record(&a, "stopped", json_pack("{s:s}", "reason", a.once ? "idle" : "signal"));
	write_status(&a);
	log_info("stopped");
out:
	free(cause);
	free(a.suspend_cause);
	free(a.host_tag);
	watches_free(&a);
	if (a.ifd != -1)
		close(a.ifd);
	if (a.sfd != -1)
		close(a.sfd);
	audit_close(a.audit);
	config_free(a.cfg);
	return rc;
}

static void
print_duration(FILE *out, long s)
{
	if (s >= 86400)
		fprintf(out, "%ldd %ldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		fprintf(out, "%ldh %ldm", s / 3600, s % 3600 / 60);
	else
		fprintf(out, "%ldm %lds", s / 60, s % 60);
}

int
agent_status(const char *config_path, FILE *out)
{
	struct diags d = {0};
	struct config *c;
	json_t *st, *sp, *l;
	json_error_t err;
	char *path;
	size_t i, j, k;
	pid_t pid;
	int alive;

	if ((c = config_load(config_path, &d)) == NULL) {
		diags_print(stderr, &d);
		diags_free(&d);
		return 2;
	}
	path = xasprintf("%s/%s", c->state_dir, STATUS_FILE);
	st = json_load_file(path, 0, &err);
	if (st == NULL) {
		fprintf(out, "no agent has run with this configuration (%s: %s)\n", path, err.text);
	} else {
		pid = (pid_t)json_integer_value(json_object_get(st, "pid"));
		alive = pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
		fprintf(out, "agent: pid %ld, %s, started %s\n", (long)pid,
		        alive ? "running" : "not running",
		        json_string_value(json_object_get(st, "started")));
		if (alive) {
			struct stat sb;

			if (stat(path, &sb) == 0) {
				fprintf(out, "status written ");
				print_duration(out, (long)(time(NULL) - sb.st_mtime));
				fprintf(out, " ago\n");
			}
		}
		if (json_is_true(json_object_get(st, "suspended")))
			fprintf(out, "INTAKE SUSPENDED: see the agent's log\n");
		fprintf(out,
		        "rules loaded %s:", json_string_value(json_object_get(st, "rules_loaded")));
		json_array_foreach(json_object_get(st, "rules"), i, l)
		    fprintf(out, " %s (%.12s)", json_string_value(json_object_get(l, "name")),
		            json_string_value(json_object_get(l, "version")));
		fputc('\n', out);
	}
	for (i = 0; i < c->nspools; i++) {
		fprintf(out, "spool %s: %zu waiting in %s, %zu in work\n", c->spools[i].name,
		        count_dir(c->spools[i].inbox), c->spools[i].inbox,
		        count_dir(c->spools[i].work));
		if (st == NULL)
			continue;
		json_array_foreach(json_object_get(st, "spools"), k, sp)
		{
			if (strcmp(json_string_value(json_object_get(sp, "name")) ?: "",
			           c->spools[i].name) != 0)
				continue;
			json_array_foreach(json_object_get(sp, "last"), j, l) fprintf(
			    out, "  %s  %-16s %s\n", json_string_value(json_object_get(l, "time")),
			    json_string_value(json_object_get(l, "outcome")),
			    json_string_value(json_object_get(l, "name")));
			break;
		}
	}
	json_decref(st);
	free(path);
	config_free(c);
	return 0;
}
