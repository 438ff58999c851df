/*
 * The claimed file's path through the rooms: admit → pipeline → record → spool move. Each step
 * reports to this one, and this one reports to the agent; nothing here knows of signals, timers
 * or the status file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admit.h"
#include "hash.h"
#include "intake.h"
#include "match.h"
#include "log.h"
#include "pipeline.h"
#include "record.h"
#include "register.h"
#include "spool.h"
#include "utf8.h"
#include "xmalloc.h"

/* Longest name a claimed file keeps: its claim id (about 50 bytes) must fit in NAME_MAX too. */
#define MAX_KEPT_NAME 180

void
intake_result_clear(struct intake_result *r)
{
	free(r->name);
	free(r->cause);
	memset(r, 0, sizeof *r);
}

static void
suspend(struct intake_result *r, char *cause, int log_failed)
{
	r->next = INTAKE_SUSPEND;
	free(r->cause);
	r->cause = cause;
	r->log_failed = log_failed;
}

const char *
intake_name_of(const char *wname)
{
	const char *dot = strchr(wname, '.');

	return dot != NULL && dot[1] != '\0' ? dot + 1 : wname;
}

char *
intake_claim_of(const char *wname)
{
	const char *dot = strchr(wname, '.');

	return dot != NULL ? xstrndup(wname, (size_t)(dot - wname)) : xstrdup(wname);
}

int
intake_ours(const struct intake *in, const char *wname)
{
	char *claim = intake_claim_of(wname), *tag = xasprintf("-%s-", in->host_tag);
	int ours = strstr(claim, tag) != NULL;

	free(tag);
	free(claim);
	return ours;
}

/*
 * A claim in review whose correction made its forms leaves review for done/, and its .review.txt
 * goes. Done after the correction's record: a crash before leaves it in review, where the record
 * says it was settled, and the gate takes it out then.
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

static const char *
folder_for(const struct spool *sp, enum outcome o)
{
	switch (o) {
	case OUTCOME_REVIEW:
		return sp->review;
	case OUTCOME_REJECTED:
	case OUTCOME_DUPLICATE:
		return sp->rejected;
	default:
		return sp->done;
	}
}

static void
log_outcome(const struct spool *sp, const char *esc, const struct file_result *res, int resumed)
{
	if (res->outcome == OUTCOME_REVIEW)
		log_info("spool %s: %s: review (in %s, with its .review.txt)", sp->name, esc,
		         sp->review);
	else if (res->outcome != OUTCOME_PRODUCED && res->outcome != OUTCOME_PARTLY_REJECTED)
		log_info("spool %s: %s: %s (the reason is in its .reason.txt)", sp->name, esc,
		         outcome_name(res->outcome));
	else if (res->allowed_key != NULL) {
		char *key = log_escape(res->allowed_key, 200),
		     *by = log_escape(res->allowed_by, 64);

		log_info("spool %s: %s: allowance: %s may be paid once more (by %s)", sp->name, esc,
		         key, by);
		free(key);
		free(by);
	} else
		log_info("spool %s: %s: %s (rule %s: %lu rows, %lu produced, %lu rejected)%s",
		         sp->name, esc, outcome_name(res->outcome), res->rule->name, res->rows,
		         res->produced, res->rejected, resumed ? ", resumed" : "");
}

/*
 * A claimed file on its way: what the pipeline made of it, kept whole while its print PDF is
 * made (struct intake_parked) and then finished by the same tail.
 */
struct intake_parked {
	struct intake *in;
	const struct spool *sp;
	char *wname;      /* in work/ */
	const char *name; /* the file's bytes: its name in the inbox, within wname */
	char *claim, *esc;
	struct admitted ad;
	int admitted;
	int gated;             /* through the gate: its bytes are in hand (twin()) */
	int heavy;             /* by its name, a scan or a correction (intake_heavy()) */
	int printing;          /* parked for its PDF */
	char sha256[HASH_HEX]; /* a twin's bytes, while it waits (INTAKE_TWIN) */
	struct file_result res;
	struct rowset *rows;
	struct intake_result worked; /* what intake_work() made of it, when it ended the file */
	int go_on;                   /* intake_work() left it to be recorded (or printed) */
};

/* f is in hand from its claim to its end: resume_work() passes it over, a twin waits for it. */
static void
hold(struct intake *in, struct intake_parked *f)
{
	xgrow(&in->held, &in->capheld, in->nheld, sizeof *in->held);
	in->held[in->nheld++] = f;
}

static void
release(struct intake *in, const struct intake_parked *f)
{
	size_t i;

	for (i = 0; i < in->nheld; i++)
		if (in->held[i] == f) {
			in->held[i] = in->held[--in->nheld];
			return;
		}
}

int
intake_holds(const struct intake *in, const struct spool *sp, const char *wname)
{
	size_t i;

	for (i = 0; i < in->nheld; i++)
		if (in->held[i]->sp == sp && strcmp(in->held[i]->wname, wname) == 0)
			return 1;
	return 0;
}

size_t
intake_held(const struct intake *in)
{
	return in->nheld;
}

int
intake_heavy(const struct intake *in, const char *name)
{
	return match_scanned(in->cfg, NULL, name) != NULL || pipeline_is_fix(name);
}

size_t
intake_held_working(const struct intake *in, int heavy)
{
	size_t i, n = 0;

	for (i = 0; i < in->nheld; i++)
		n += !in->held[i]->printing && in->held[i]->heavy == heavy;
	return n;
}

static struct intake_parked *
parked_new(struct intake *in, const struct spool *sp, const char *wname)
{
	struct intake_parked *f = xcalloc(1, sizeof *f);

	f->in = in;
	hold(in, f);
	f->sp = sp;
	f->wname = xstrdup(wname);
	f->name = intake_name_of(f->wname);
	f->heavy = intake_heavy(in, f->name);
	f->claim = intake_claim_of(wname);
	f->esc = log_escape(f->name, 200);
	f->rows = rowset_new(0, in->cfg->tmpdir);
	return f;
}

void
intake_parked_free(struct intake_parked *f)
{
	if (f == NULL)
		return;
	release(f->in, f);
	intake_result_clear(&f->worked);
	if (f->admitted)
		admitted_clear(&f->ad);
	rowset_free(f->rows);
	file_result_free(&f->res); /* a print job still held is removed */
	free(f->wname);
	free(f->claim);
	free(f->esc);
	free(f);
}

/* Whether a file of these bytes went through the gate and is still in hand. */
static int
twin(const struct intake *in, const char *sha256)
{
	size_t i;

	for (i = 0; i < in->nheld; i++)
		if (in->held[i]->gated && strcmp(in->held[i]->ad.sha256, sha256) == 0)
			return 1;
	return 0;
}

/*
 * The gate, on the loop's thread, where the history is: 0 when the file goes on to intake_work();
 * -1 when r says already how it ended (f freed), or that it waits for a twin (f in r->parked).
 */
static int
gate(struct intake *in, struct intake_parked *f, struct intake_result *r)
{
	const struct spool *sp = f->sp;
	char *path = xasprintf("%s/%s", sp->work, f->wname), *cause = NULL;
	struct admit_opts ao = {0};
	int rc;

	ao.max_bytes = sp->max_bytes;
	ao.history = recorder_history(in->rec);
	ao.claim = f->claim;
	ao.review_dir = sp->review;
	rc = admit(path, f->name, &ao, &f->ad, &cause);
	free(path);
	if (rc == -1) {
		if (spool_transient(errno))
			suspend(r, cause, 0);
		else {
			r->next = INTAKE_SKIPPED;
			log_err("spool %s: %s: %s", sp->name, f->esc, strerror(errno));
			free(cause);
		}
		intake_parked_free(f);
		return -1;
	}
	f->admitted = 1;
	/*
	 * The same bytes in hand under another name (copied in twice at once): the history knows
	 * them only once the first is recorded, so this one waits for it, and is then refused as
	 * its duplicate (or taken, if the first was not paid).
	 */
	if (f->ad.refusal == ADMIT_OK && twin(in, f->ad.sha256)) {
		memcpy(f->sha256, f->ad.sha256, sizeof f->sha256);
		admitted_clear(&f->ad);
		f->admitted = 0;
		r->next = INTAKE_TWIN;
		r->parked = f;
		return -1;
	}
	f->gated = 1;
	r->next = INTAKE_WORK;
	r->parked = f;
	/* A scan's OCR, or a correction's, takes seconds: the workers keep a thread for others. */
	r->heavy = f->ad.refusal == ADMIT_OK && f->heavy;
	return 0;
}

void
intake_work(struct intake_parked *f, struct reg *reg, struct workers *render)
{
	struct intake *in = f->in;
	struct intake_result *r = &f->worked;
	const struct spool *sp = f->sp;
	struct pipeline_opts o = {0};
	char *cause = NULL;

	o.out_dir = sp->out;
	o.reject_dir = sp->rejected;
	o.review_dir = sp->review;
	o.tmpdir = in->cfg->tmpdir;
	o.stop = in->stop;
	o.stop_grace_ms = in->cfg->stop_grace_ms;
	o.rows = f->rows;
	o.reg = reg;
	o.claim = f->claim;
	o.office = in->office;
	o.print_later = 1;
	o.render = render;
	/*
	 * The file's claims are looked up and entered in one transaction of the register, begun
	 * at its first claim: the reading before (a scan's OCR) holds up no other file.
	 */
	if (reg != NULL)
		reg_begin_later(reg);
	switch (pipeline_file(in->cfg, &f->ad, &o, &f->res)) {
	case OUTCOME_CANCELLED:
		r->next = INTAKE_STOPPED;
		log_info("spool %s: %s: stopped; it is finished at the next start", sp->name,
		         f->esc);
		goto out;
	case OUTCOME_RETRY:
		suspend(
		    r,
		    f->res.changed
		        ? xasprintf("%s: %s; it is done again from the start once it "
		                    "holds still",
		                    f->esc, f->res.reason)
		        : xasprintf("cannot write the outputs of %s: %s", f->esc, f->res.reason),
		    0);
		goto out;
	default:
		break;
	}
	/*
	 * Entered after the outputs, before the record: a crash between the two leaves entries of a
	 * claim the log has no completion of, which the next start removes (reg_reconcile()). A
	 * file whose print PDF is still to be made is in that state meanwhile, and its claims are
	 * already paid for every other file.
	 */
	if (reg != NULL && !outcome_paid(f->res.outcome))
		reg_rollback(reg); /* refused whole: no output of it was published */
	else if (reg != NULL && reg_commit(reg, &cause) == -1) {
		suspend(r, cause, 0);
		goto out;
	}
	f->go_on = 1;
out:
	if (reg != NULL)
		reg_rollback(reg); /* nothing when committed */
}

/* The completed record, then the move out of work/. */
static void
tail(struct intake *in, struct intake_parked *f, struct intake_result *r)
{
	const struct spool *sp = f->sp;
	struct file_result *res = &f->res;
	char *final = NULL, *cause = NULL, *safe;
	const char *dest;
	int resumed, rc;

	if (f->ad.refusal == ADMIT_SETTLED)
		out_of_review(sp, f->ad.settled);
	resumed = history_completed(recorder_history(in->rec), f->claim);
	if (record_rows(in->rec, sp->name, f->claim, f->rows, &cause) == -1 ||
	    record_event(
	        in->rec, "completed",
	        record_completed(sp->name, f->claim, f->name, res->outcome, resumed, res, f->rows),
	        &cause) == -1) {
		/* It stays in work/: done again, and recorded, once the log can be written. */
		suspend(r, cause, 1);
		return;
	}
	/*
	 * A file refused whole lies in rejected/ beside NAME.reason.txt, whose NAME is made safe
	 * (no spaces, no odd characters): it goes there under that name too, so the two pair even
	 * for "交通費 4月.csv" or a name of spaces only. Its reason file says what it was called.
	 * The inbox is synced too: its entry's removal by the claim must not come back after a
	 * crash.
	 */
	dest = folder_for(sp, res->outcome);
	safe = dest == sp->rejected ? spool_safe_name(r->name, 180) : NULL;
	rc = spool_move(sp->work, f->wname, dest, safe != NULL ? safe : f->name, &final, &cause);
	free(safe);
	free(final);
	if (rc == -1 || spool_sync_dir(sp->inbox, &cause) == -1) {
		/* Recorded but still in work/: the retry finishes it again, as "resumed". */
		suspend(r, cause, 0);
		return;
	}
	/*
	 * A correction settles its claim in review when it made the forms, and also when every
	 * claim it would have paid was paid already (by a second scan, an export): nothing is
	 * left to do for it, and it must not wait in review for ever.
	 */
	if (res->corrects != NULL &&
	    (res->outcome == OUTCOME_PRODUCED || res->outcome == OUTCOME_PARTLY_REJECTED ||
	     (res->outcome == OUTCOME_REJECTED && res->produced == 0 && res->paid > 0 &&
	      res->paid == res->rejected)))
		out_of_review(sp, res->corrects);
	log_outcome(sp, f->esc, res, resumed);
	r->next = INTAKE_DONE;
	r->outcome = res->outcome;
}

void
intake_resume(struct intake *in, const struct spool *sp, const char *wname, struct intake_result *r)
{
	struct intake_parked *f = parked_new(in, sp, wname);

	memset(r, 0, sizeof *r);
	/* f->name is the file's bytes, for moving it; records and the status file get text. */
	r->name = utf8_repair(f->name);
	gate(in, f, r);
}

void
intake_regate(struct intake *in, struct intake_parked *f, struct intake_result *r)
{
	memset(r, 0, sizeof *r);
	r->name = utf8_repair(f->name);
	if (twin(in, f->sha256)) {
		r->next = INTAKE_TWIN; /* still in hand: no need to read it again yet */
		r->parked = f;
		return;
	}
	gate(in, f, r);
}

void
intake_worked(struct intake *in, struct intake_parked *f, struct intake_result *r)
{
	*r = f->worked;
	memset(&f->worked, 0, sizeof f->worked);
	free(r->name);
	r->name = utf8_repair(f->name);
	if (f->go_on) {
		if (f->res.print != NULL) {
			log_info("spool %s: %s: outputs written; its print PDF is being made",
			         f->sp->name, f->esc);
			/* Read whole and checked: a queue of files for LibreOffice holds no
			 * descriptor. */
			close(f->ad.fd);
			f->ad.fd = -1;
			f->printing = 1;
			r->next = INTAKE_PRINTING;
			r->parked = f;
			return;
		}
		tail(in, f, r);
	}
	intake_parked_free(f);
}

const char *
intake_parked_xlsx(const struct intake_parked *f)
{
	return f->res.print->xlsx;
}

const char *
intake_parked_pdf(const struct intake_parked *f)
{
	return f->res.print->pdf.tmppath;
}

const struct spool *
intake_parked_spool(const struct intake_parked *f)
{
	return f->sp;
}

void
intake_printed(struct intake *in, struct intake_parked *f, const char *failed, int io,
               struct intake_result *r)
{
	struct outputs o;
	char *cause = NULL;
	int rc;

	memset(r, 0, sizeof *r);
	r->name = utf8_repair(f->name);
	if (failed != NULL && io) {
		/* The agent's own write failed, not LibreOffice: a disk fault, done again. */
		suspend(r, xasprintf("cannot make the print PDF of %s: %s", f->esc, failed), 0);
		intake_parked_free(f);
		return;
	}
	/* The PDF joins the outputs the pipeline committed, synced before the record names it. */
	outputs_init(&o, f->sp->out, f->sp->rejected, f->sp->review, in->cfg->tmpdir, r->name);
	o.r = f->res.rule;
	o.list = f->res.outputs;
	o.n = f->res.noutputs;
	rc = print_end(&o, f->res.print, failed, &cause);
	f->res.print = NULL;
	if (rc == 0)
		rc = outputs_sync(&o, &cause);
	f->res.outputs = o.list;
	f->res.noutputs = o.n;
	o.list = NULL;
	o.n = 0;
	outputs_clear(&o);
	if (rc == -1)
		/* Still in work/: done again, PDF and all, once the folder can be written. */
		suspend(r, xasprintf("cannot write the print PDF of %s: %s", f->esc, cause), 0);
	else
		tail(in, f, r);
	free(cause);
	intake_parked_free(f);
}

void
intake_take(struct intake *in, const struct spool *sp, const char *name, struct intake_result *r)
{
	char *path = xasprintf("%s/%s", sp->inbox, name), *wname, *cause = NULL, *claim;
	char stamp[32], *kept, *in_work, *esc;
	struct stat st;
	struct tm tm;
	time_t t;
	int rc, e;

	memset(r, 0, sizeof *r);
	r->next = INTAKE_SKIPPED;
	rc = lstat(path, &st);
	free(path);
	if (rc == -1)
		return; /* gone */
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	claim = xasprintf("%s-%s-%ld-%lu", stamp, in->host_tag, (long)getpid(), ++in->seq);
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
		 * inbox, the log says why, and the other files go on; it is tried again later.
		 */
		esc = log_escape(cause, 0);
		log_err("spool %s: %s", sp->name, esc);
		free(esc);
		free(cause);
		r->next = INTAKE_LATER;
	} else if (rc == -1) {
		/*
		 * Not claimed for want of disk (still in the inbox, taken again after the retry),
		 * or claimed but not durably (in work/, where the retry's resume finishes it).
		 */
		suspend(r, cause, 0);
	} else if (rc == 0 && record_event(in->rec, "claimed",
	                                   record_claimed(sp->name, claim, kept,
	                                                  strcmp(kept, name) != 0 ? name : NULL,
	                                                  (long long)st.st_size),
	                                   &cause) == -1) {
		suspend(r, cause, 1);
	} else if (rc == 0) {
		intake_resume(in, sp, wname, r);
	}
	/* rc 1: another agent was first. */
	free(in_work);
	free(kept);
	free(claim);
	free(wname);
}
