/*
 * The output kind "print": one PDF/A per file for the clerk to print and the archive to keep,
 * every claim's form in row order, one page each, then the ledger. The forms and ledger go again
 * into one batch workbook (drawn: render.c; the office's own workbooks: wbbatch.c), which
 * LibreOffice converts once (office.c): a merge of PDFs would lose the PDF/A metadata. The
 * conversion takes seconds, so the agent runs it beside its other files (intake.c parks the file
 * until it ends); `process` waits for it. A PDF that LibreOffice cannot make costs no claim: the
 * file completes with its forms, and a note in rejected/ says the print failed and why; a disk
 * fault of the agent's own is retried like any other (docs/rules.md, "The print PDF").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "i18n.h"
#include "log.h"
#include "mapper.h"
#include "office.h"
#include "outputs.h"
#include "render.h"
#include "workbook.h"
#include "xmalloc.h"

static const char *const print_keys[] = {"name", NULL};

/* Where the rule's print section is, for check's messages. */
struct print_conf {
	int line, col;
};

static void *
print_load(struct rule *r, const struct ynode *section, struct diags *d)
{
	struct print_conf *pc = xcalloc(1, sizeof *pc);

	(void)r, (void)d;
	pc->line = section->line;
	pc->col = section->col;
	return pc;
}

static void
print_conf_free(void *conf)
{
	free(conf);
}

/* The forms and ledger it prints are the rule's own. */
static void
print_resolve(struct rule *r, struct rule_output *ro, struct template *const *t, size_t n,
              const char *dir, struct diags *d)
{
	const struct rule_output *form = rule_output(r, &form_kind),
	                         *ledger = rule_output(r, &ledger_kind);
	const struct rule_output *each[] = {form, ledger};
	const struct print_conf *pc = ro->conf;
	const struct template_out *to;
	int office[2];
	size_t i;

	(void)t, (void)n, (void)dir;
	if (form == NULL && ledger == NULL) {
		diags_add(d, r->path, pc->line, pc->col,
		          "the print output prints the rule's forms and ledger; rule '%s' has "
		          "neither",
		          r->name);
		return;
	}
	/* One batch workbook: drawn by libxlsxwriter, or made of the office's workbooks. */
	for (i = 0; i < 2; i++)
		office[i] = each[i] != NULL && (to = each[i]->conf) != NULL && to->t != NULL &&
		            to->t->wb != NULL;
	if (form != NULL && ledger != NULL && office[0] != office[1])
		diags_add(d, r->path, pc->line, pc->col,
		          "the print output cannot print a drawn %s with the office's own %s "
		          "workbook: make both templates drawn, or both workbooks",
		          office[0] ? "ledger" : "form", office[0] ? "form" : "ledger");
}

/* One file's print: its batch workbook, and the claims its ledger sheet lists. */
struct print_state {
	const struct rule_output *ro;
	const struct template_out *form, *ledger;
	int office;           /* the templates are the office's workbooks (else drawn) */
	int open;             /* the batch is started */
	struct batch *b;      /* drawn: the batch workbook being drawn */
	struct wbbatch *wbb;  /* the office's: the form's filled copies, */
	struct wbledger *wbl; /* and the ledger filled */
	struct wbvalue *fv, *lv;
	char *xlsx;            /* the batch workbook's path, in the scratch folder */
	char *name;            /* the PDF's, from the first claim */
	size_t n;              /* claims printed */
	struct mapped *claims; /* copies, for the ledger's sheet (none without a ledger) */
	size_t nclaims;
	int64_t created;
	char *failed; /* why no PDF can be made of this file */
};

static void *
print_open(struct outputs *o, const struct rule_output *ro)
{
	struct print_state *st = xcalloc(1, sizeof *st);
	const struct rule_output *f = rule_output(o->r, &form_kind),
	                         *l = rule_output(o->r, &ledger_kind);

	st->ro = ro;
	st->form = f != NULL ? f->conf : NULL;
	st->ledger = l != NULL ? l->conf : NULL;
	st->office = (st->form != NULL && st->form->t->wb != NULL) ||
	             (st->ledger != NULL && st->ledger->t->wb != NULL);
	st->created = -1;
	return st;
}

/* Makes the batch workbook's file in the scratch folder; NULL with *cause. */
static char *
scratch_xlsx(const struct outputs *o, char **cause)
{
	char *path =
	    xasprintf("%s/formagent-print-XXXXXX.xlsx", o->tmpdir != NULL ? o->tmpdir : P_tmpdir);
	int fd = mkstemps(path, 5);

	if (fd == -1) {
		*cause = xasprintf("cannot make %s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

static void
drop_batch(struct print_state *st)
{
	size_t i;

	batch_abort(st->b);
	st->b = NULL;
	wbbatch_free(st->wbb);
	st->wbb = NULL;
	wbledger_free(st->wbl);
	st->wbl = NULL;
	free(st->fv);
	free(st->lv);
	st->fv = st->lv = NULL;
	st->open = 0;
	for (i = 0; i < st->nclaims; i++)
		mapped_free(&st->claims[i]);
	free(st->claims);
	st->claims = NULL;
	st->nclaims = 0;
	if (st->xlsx != NULL)
		unlink(st->xlsx);
}

/* The file will have no PDF, for the reason why (taken). */
static void
give_up(struct print_state *st, char *why)
{
	if (st->failed == NULL)
		st->failed = why;
	else
		free(why);
	drop_batch(st);
}

/* Starts the batch with claim m, the file's first. 0, or -1 with *why. */
static int
start(struct print_state *st, struct outputs *o, const struct mapped *m, char **why)
{
	if ((st->xlsx = scratch_xlsx(o, why)) == NULL)
		return -1;
	st->open = 1;
	if (!st->office)
		return (st->b = batch_open(o->r, st->xlsx, o->tmpdir, why)) != NULL ? 0 : -1;
	if (st->form != NULL) {
		st->fv = xcalloc(st->form->t->ncells + 1, sizeof *st->fv);
		if ((st->wbb = wbbatch_open(st->form->t->wb, o->tmpdir, why)) == NULL)
			return -1;
	}
	if (st->ledger != NULL) {
		st->lv = xcalloc(st->ledger->t->ncells + 1, sizeof *st->lv);
		template_values(st->ledger, m, st->lv);
		if ((st->wbl = wbledger_open(st->ledger->t->wb, st->lv, o->tmpdir, why)) == NULL)
			return -1;
	}
	return 0;
}

/*
 * Adds claim m to the batch. 0; -1 with *why when a scratch file could not be written (the file
 * is done again); -2 with *why when the form cannot be drawn into a batch (it has no PDF).
 */
static int
add(struct print_state *st, const struct mapped *m, char **why)
{
	if (st->office) {
		if (st->form != NULL) {
			template_values(st->form, m, st->fv);
			if (wbbatch_form(st->wbb, st->fv, why) == -1)
				return -1;
		}
		if (st->ledger != NULL) {
			template_values(st->ledger, m, st->lv);
			if (wbledger_add(st->wbl, st->lv, why) == -1)
				return -1;
		}
		return 0;
	}
	if (st->form != NULL && batch_form(st->b, st->form, m, why) == -1)
		return -2;
	if (st->ledger != NULL) {
		st->claims = xreallocarray(st->claims, st->nclaims + 1, sizeof *st->claims);
		mapped_copy(&st->claims[st->nclaims++], m);
	}
	return 0;
}

static int
print_row(void *state, struct outputs *o, const struct mapped *m, char **cause)
{
	struct print_state *st = state;
	char *why = NULL;
	int64_t day;
	int rc;

	if (o->office == NULL || st->failed != NULL)
		return 0;
	if (st->name == NULL)
		st->name = outputs_name(&st->ro->name, m);
	/*
	 * A scratch file that cannot be written is a disk fault like any other: the file is done
	 * again once it can be (-1). What cannot be printed at all leaves the file without a PDF.
	 */
	if (!st->open && start(st, o, m, cause) == -1)
		return -1;
	if (st->n >= PRINT_MAX_CLAIMS) {
		give_up(st, xasprintf("the file has more than %d claims, the most one PDF holds",
		                      PRINT_MAX_CLAIMS));
		return 0;
	}
	if ((rc = add(st, m, &why)) == -1) {
		*cause = why;
		return -1;
	}
	if (rc == -2) {
		give_up(st, why);
		return 0;
	}
	st->n++;
	day = m->rule->created_field >= 0 && m->v[m->rule->created_field].t == V_DATE
	          ? m->v[m->rule->created_field].i
	          : -1;
	if (day > st->created)
		st->created = day;
	return 0;
}

/*
 * Writes the batch of the office's workbooks to st->xlsx: the filled ledger first, into a
 * scratch file of its own, whose sheets then follow the forms'. 0; -1 with *why when a read or
 * write failed; -2 with *why when the workbooks hold what a batch cannot copy.
 */
static int
finish_office(struct print_state *st, const struct outputs *o, char **why)
{
	char *ledger = NULL;
	int rc = 0;

	if (st->wbl != NULL &&
	    ((ledger = scratch_xlsx(o, why)) == NULL || wbledger_write(st->wbl, ledger, why) == -1))
		rc = -1;
	else if (st->wbb != NULL)
		rc = wbbatch_write(st->wbb, ledger, st->xlsx, why);
	else if (ledger != NULL && rename(ledger, st->xlsx) == -1) {
		/* A ledger only: it is the batch. */
		*why = xasprintf("cannot rename %s: %s", ledger, strerror(errno));
		rc = -1;
	}
	if (ledger != NULL)
		unlink(ledger);
	free(ledger);
	return rc;
}

static void
print_free_state(struct print_state *st)
{
	drop_batch(st);
	free(st->xlsx);
	free(st->name);
	free(st->failed);
	free(st);
}

void
print_job_free(struct print_job *job)
{
	if (job == NULL)
		return;
	out_abort(&job->pdf);
	if (job->xlsx != NULL)
		unlink(job->xlsx);
	free(job->xlsx);
	free(job->failed);
	free(job);
}

/* The note in rejected/ that says the file has no PDF, and why. */
static int
failed_note(struct outputs *o, const char *why, char **cause)
{
	char *summary = xasprintf(_("the print PDF could not be made: %s"), why);
	char *head = xasprintf(_("file: %s\nrule: %s\n%s\n\n"), o->input, o->r->name, summary);
	const char *text = _("The claims are not affected: their forms, ledger and import file are "
	                     "in the out folder as usual, and the claims are recorded as paid. "
	                     "Print the forms from there, or ask the administrator to look at the "
	                     "agent's log.\n");
	struct buf body = {(char *)text, strlen(text), 0};
	int rc = outputs_note(o, &o->rejected, ".print-failed.txt", head, &body, cause);

	free(summary);
	free(head);
	return rc;
}

int
print_end(struct outputs *o, struct print_job *job, const char *failed, char **cause)
{
	int rc;

	if (failed == NULL) {
		rc = outputs_commit(o, &o->out, &job->pdf, cause);
	} else {
		log_err("%s: no print PDF: %s", o->input, failed);
		out_abort(&job->pdf);
		rc = failed_note(o, failed, cause);
	}
	print_job_free(job);
	return rc;
}

static int
print_close(void *state, struct outputs *o, char **cause)
{
	struct print_state *st = state;
	struct print_job *job;
	char *why = NULL;
	int rc = 0;

	if (st->failed != NULL) {
		rc = failed_note(o, st->failed, cause);
		print_free_state(st);
		return rc;
	}
	if (!st->open) { /* no claim, or nothing to print with */
		print_free_state(st);
		return 0;
	}
	if (st->office)
		rc = finish_office(st, o, &why);
	else {
		rc = batch_close(st->b, st->ledger, st->claims, st->nclaims, o->input,
		                 st->created >= 0 ? (time_t)(st->created * 86400) : 0, &why);
		st->b = NULL;
	}
	if (rc == -1) {
		/* The scratch folder said no: done again, like any output that could not be
		 * written. */
		*cause = why;
		print_free_state(st);
		return -1;
	}
	if (rc == -2) {
		give_up(st, why);
		rc = failed_note(o, st->failed, cause);
		print_free_state(st);
		return rc;
	}
	job = xcalloc(1, sizeof *job);
	if (outputs_begin(&o->out, st->name, &job->pdf, cause) == -1) {
		free(job);
		print_free_state(st);
		return -1;
	}
	/* LibreOffice's result is copied in by name; out_commit() reopens it to sync it. */
	close(job->pdf.fd);
	job->pdf.fd = -1;
	job->xlsx = st->xlsx;
	job->pages = st->n;
	st->xlsx = NULL;
	print_free_state(st);
	if (o->print_later) {
		o->print = job;
		return 0;
	}
	if (office_pdf(o->office, job->xlsx, job->pdf.tmppath, &job->failed) == -1) {
		if (office_failed_io(o->office)) {
			*cause = job->failed;
			job->failed = NULL;
			print_job_free(job);
			return -1;
		}
		return print_end(o, job, job->failed, cause);
	}
	return print_end(o, job, NULL, cause);
}

static void
print_abort(void *state)
{
	print_free_state(state);
}

struct office *
print_office(const struct config *c)
{
	struct office_opts oo = {0};
	struct office *of;
	char *fonts;
	size_t i;

	for (i = 0; i < c->nrules && rule_output(c->rules[i], &print_kind) == NULL; i++)
		;
	if (i == c->nrules)
		return NULL;
	fonts = c->templates_dir != NULL ? xasprintf("%s/fonts.conf", c->templates_dir) : NULL;
	oo.soffice = c->soffice;
	oo.fonts_conf = fonts != NULL && access(fonts, R_OK) == 0 ? fonts : NULL;
	oo.scratch = c->tmpdir != NULL ? c->tmpdir : P_tmpdir;
	oo.timeout_ms = c->print_timeout_s * 1000;
	oo.retries = 1;
	of = office_new(&oo);
	free(fonts);
	return of;
}

const struct output_kind print_kind = {
    .key = "print",
    .keys = print_keys,
    .ext = ".pdf",
    .example = "{_input}.print.pdf",
    .load = print_load,
    .resolve = print_resolve,
    .free = print_conf_free,
    .open = print_open,
    .row = print_row,
    .close = print_close,
    .abort = print_abort,
};
