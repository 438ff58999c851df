/*
 * The pipeline for one file. An export is read twice: first only its structure (a malformed
 * file is refused before anything is written, so no forms exist for a file that is then rejected
 * whole), then row by row, mapping and writing as it goes. Memory holds one row at a time, plus
 * what the ledger's constant-memory writer keeps. A scanned claim goes to scanclaim.c, and a
 * correction to review.c; the rule comes from match.c, and every output goes through outputs.c.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "export.h"
#include "i18n.h"
#include "log.h"
#include "mapper.h"
#include "match.h"
#include "preview.h"
#include "record.h"
#include "register.h"
#include "run.h"
#include "spool.h"
#include "utf8.h"
#include "xmalloc.h"

#define FLUSH_AT 65536

void
file_result_free(struct file_result *res)
{
	size_t i;

	for (i = 0; i < res->noutputs; i++)
		free(res->outputs[i].name);
	free(res->outputs);
	print_job_free(res->print);
	free(res->reason);
	for (i = 0; i < res->ncorrections; i++) {
		free(res->corrections[i].field);
		free(res->corrections[i].read);
		free(res->corrections[i].fixed);
	}
	free(res->corrections);
	free(res->corrects);
	free(res->allowed_key);
	free(res->allowed_why);
	free(res->allowed_by);
	memset(res, 0, sizeof *res);
}

char *
run_stem(const char *base)
{
	const char *dot = strrchr(base, '.');

	if (dot == NULL || dot == base)
		return xstrdup(base);
	return xstrndup(base, (size_t)(dot - base));
}

/* Writes buf to the output when it has grown, or always with force. */
static int
flush(struct outfile *o, struct buf *b, int force, char **cause)
{
	if (b->len == 0 || (!force && b->len < FLUSH_AT))
		return 0;
	if (out_write(o, b->p, b->len, cause) == -1)
		return -1;
	b->len = 0;
	return 0;
}

/* One line of the reason file for each problem of a rejected row. */
static void
add_reasons(struct run *run, const struct mapped *m)
{
	const struct map_error *e;
	char *line;
	size_t i;

	for (i = 0; i < m->nerrs; i++) {
		e = &m->errs[i];
		if (e->column != NULL && e->value != NULL)
			line = xasprintf(_("row %lu, column %s, value \"%s\": %s\n"), m->row,
			                 e->column, e->value, e->message);
		else if (e->column != NULL)
			line =
			    xasprintf(_("row %lu, column %s: %s\n"), m->row, e->column, e->message);
		else
			line = xasprintf(_("row %lu: %s\n"), m->row, e->message);
		buf_add(&run->reasons, line, strlen(line));
		free(line);
	}
}

static int
reject_row(struct run *run, const struct record *rec, const struct mapped *m, char **cause)
{
	char *name, *safe;

	add_reasons(run, m);
	if (run->o->dry_run)
		return 0;
	if (!run->rej_open) {
		safe = spool_safe_name(run->base, 180);
		name = xasprintf("%s.rejected.csv", safe);
		free(safe);
		if (outputs_begin(&run->out.rejected, name, &run->rej, cause) == -1) {
			free(name);
			return -1;
		}
		free(name);
		run->rej_open = 1;
		buf_add(&run->rejbuf, run->hdr_raw.p, run->hdr_raw.len);
	}
	export_raw(rec, &run->rejbuf);
	return flush(&run->rej, &run->rejbuf, 0, cause);
}

static int
write_reason_file(struct run *run, const char *summary, char **cause)
{
	char *head = xasprintf(_("file: %s\nrule: %s\n%s\n\n"), run->base,
	                       run->r != NULL ? run->r->name : _("(none)"), summary);
	int rc =
	    outputs_note(&run->out, &run->out.rejected, ".reason.txt", head, &run->reasons, cause);

	free(head);
	return rc;
}

/* The first pass: every record parses, there is a header and at least one row. */
static int
check_structure(int fd, unsigned long *rows, char **cause)
{
	struct reader *rd = reader_new(fd);
	const struct record *rec;
	enum encoding enc;
	int rc;

	*rows = 0;
	/* A binary or UTF-16 file is named as such, not by the first quote that does not parse. */
	if (reader_sniff(rd, &enc, cause) == -1) {
		reader_free(rd);
		return -1;
	}
	while ((rc = reader_next(rd, &rec, cause)) == 1)
		(*rows)++;
	reader_free(rd);
	if (rc == -1)
		return -1;
	if (*rows == 0) {
		*cause = xstrdup(_("the file is empty"));
		return -1;
	}
	if (*rows == 1) {
		*cause = xstrdup(_("the file has a header row but no claims"));
		return -1;
	}
	return 0;
}

/*
 * Whether the input is still what the gate admitted (admit_still()): 0, or -1 with *cause,
 * marking the result changed when it was written to meanwhile. A dry run publishes nothing.
 */
static int
still(struct run *run, char **cause)
{
	int rc;

	if (run->in == NULL || run->in->fd == -1 || run->o->dry_run)
		return 0;
	if ((rc = admit_still(run->in, cause)) == 1)
		run->res->changed = 1;
	return rc == 0 ? 0 : -1;
}

enum outcome
run_refuse(struct run *run, enum outcome kind, char *cause)
{
	char *err = NULL, *summary;

	/* Refused for what was read: but more may have been written since (a copy going on). */
	if (kind == OUTCOME_REJECTED && still(run, &err) != 0) {
		free(cause);
		return run_io_fail(run, err);
	}
	run->res->outcome = kind;
	free(run->res->reason);
	run->res->reason = cause;
	if (!run->o->dry_run && run->out.rejected.dir != NULL) {
		summary = xasprintf(_("the file was not processed: %s"), cause);
		if (write_reason_file(run, summary, &err) == -1) {
			/* Without its reason the file must not be moved: retry it later. */
			log_err("%s", err);
			free(err);
			run->res->outcome = OUTCOME_RETRY;
		}
		free(summary);
	}
	return run->res->outcome;
}

enum outcome
run_fail(struct run *run, char *cause)
{
	return run_refuse(run, OUTCOME_REJECTED, cause);
}

enum outcome
run_io_fail(struct run *run, char *cause)
{
	run->res->outcome = OUTCOME_RETRY;
	free(run->res->reason); /* a rejection said first no longer stands */
	run->res->reason = cause;
	return OUTCOME_RETRY;
}

/*
 * Whether the caller asked the file to be abandoned: a second stop request, or a first one the
 * file has not finished within the grace time of.
 */
static int
stop_asked(struct run *run)
{
	struct timespec now;

	if (run->o->stop == NULL || *run->o->stop == 0)
		return 0;
	if (*run->o->stop >= 2)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!run->stop_seen) {
		run->stop_seen = 1;
		run->stop_at = now;
	}
	return (now.tv_sec - run->stop_at.tv_sec) * 1000 +
	           (now.tv_nsec - run->stop_at.tv_nsec) / 1000000 >=
	       run->o->stop_grace_ms;
}

static void
run_clear(struct run *run)
{
	if (run->rej_open)
		out_abort(&run->rej);
	outputs_clear(&run->out);
	free(run->rejbuf.p);
	free(run->reasons.p);
	free(run->hdr_raw.p);
	free(run->stem);
	free(run->allowance);
	free(run->base_owned);
	binding_clear(&run->bind);
	decoder_free(run->dc);
	for (size_t i = 0; i < run->nfixes; i++)
		review_fixset_clear(&run->fixes[i], run->r != NULL ? run->r->nfields : 0);
	free(run->fixes);
	free(run->fixlines.p);
}

void
run_set_rule(struct run *run, const struct rule *r)
{
	run->r = r;
	run->res->rule = r;
	run->out.r = r;
}

/* What differs between the fields a claim was paid with and m's: "片道運賃 250 → 300, ...". */
static char *
differences(const struct mapped *m, const char *paid_json)
{
	const struct rule *r = m->rule;
	json_t *paid = json_loads(paid_json, 0, NULL), *now = record_fields(m), *a, *b;
	struct buf d = {0};
	char *sa, *sb, *line;
	size_t i;

	for (i = 0; i < r->nfields; i++) {
		a = json_object_get(paid, r->fields[i].name);
		b = json_object_get(now, r->fields[i].name);
		if (json_equal(a, b) || (a == NULL && b == NULL))
			continue;
		sa = a != NULL ? json_dumps(a, JSON_ENCODE_ANY) : xstrdup("-");
		sb = b != NULL ? json_dumps(b, JSON_ENCODE_ANY) : xstrdup("-");
		line = xasprintf("%s%s %s → %s", d.len > 0 ? ", " : "", r->fields[i].label, sa, sb);
		buf_add(&d, line, strlen(line));
		free(line);
		free(sa);
		free(sb);
	}
	json_decref(paid);
	json_decref(now);
	return d.p != NULL ? d.p : xstrdup("");
}

/* The claim's audited fields as the register keeps them: canonical JSON; caller frees. */
static char *
fields_json(const struct mapped *m)
{
	json_t *now = record_fields(m);
	char *fields = json_dumps(now, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(now);
	return fields;
}

/* How a claim stands in the register, by paid_before(). */
#define REG_NEW     0 /* never paid, or allowed once more: enter it once its outputs are made */
#define REG_REFUSED 1 /* paid before (its reason added to m): no outputs */
#define REG_OWN     2 /* entered by this very row before a crash: make its outputs again */

/*
 * Whether the claim was paid before: by another file, or by an earlier row of this one. The
 * entry of this very row (a file done again after a crash, under its claim id) is its own; a
 * key an administrator allowed once more is new again, as payment *seq, using *allowance. One
 * look-up per claim: REG_NEW, REG_REFUSED or REG_OWN, or -1 with *cause.
 */
static int
paid_before(struct run *run, struct mapped *m, const char *key, unsigned long *seq,
            char **allowance, char **cause)
{
	struct reg_entry e;
	char *fields, *diff;
	int rc;

	*seq = 1;
	if ((rc = reg_find(run->o->reg, key, &e, cause)) != 1)
		return rc == 0 ? REG_NEW : -1;
	if (run->o->claim != NULL && strcmp(e.claim, run->o->claim) == 0 && e.row == m->row) {
		/* Recorded again as it was entered: with the allowance it used. */
		*allowance = e.allowance;
		e.allowance = NULL;
		reg_entry_clear(&e);
		return REG_OWN;
	}
	if (e.allowed != NULL) {
		*seq = e.seq + 1;
		*allowance = e.allowed;
		e.allowed = NULL;
		reg_entry_clear(&e);
		return REG_NEW;
	}
	fields = fields_json(m);
	if (strcmp(fields, e.fields) == 0) {
		run->paid++;
		mapper_add_error(
		    m, MF_PAID, FIELD_NONE, NULL, NULL,
		    xasprintf(_("already paid: %s, row %lu, on %.10s (claim %s); it is "
		                "not paid twice"),
		              e.input, e.row, e.paid_at, e.claim));
	} else {
		run->conflicts++;
		diff = differences(m, e.fields);
		mapper_add_error(
		    m, MF_CONFLICT, FIELD_NONE, NULL, NULL,
		    xasprintf(_("a claim of the same key was paid with other values: "
		                "%s, row %lu, on %.10s (claim %s): %s; dropping a file "
		                "again does not pay it again: an administrator decides"),
		              e.input, e.row, e.paid_at, e.claim, diff));
		free(diff);
	}
	free(fields);
	reg_entry_clear(&e);
	return REG_REFUSED;
}

int
run_claim(struct run *run, struct mapped *m, char **cause)
{
	char *key = run->o->reg != NULL ? mapped_claim_key(m) : NULL;
	struct reg_entry e = {0};
	int rc, stands = REG_OWN; /* without a register or a claim key: nothing to enter */

	free(run->allowance);
	run->allowance = NULL;
	if (key != NULL &&
	    (stands = paid_before(run, m, key, &e.seq, &run->allowance, cause)) != REG_NEW &&
	    stands != REG_OWN) {
		free(key);
		return stands == REG_REFUSED ? 2 : -1;
	}
	if ((rc = outputs_row(&run->out, m, cause)) == 1) {
		mapper_add_error(m, MF_OUTPUT, FIELD_NONE, NULL, NULL, *cause);
		*cause = NULL;
	}
	/* A trial run (process --out) looks up what was paid but enters nothing. */
	if (rc == 0 && stands == REG_NEW && !run->o->trial) {
		e.key = key;
		e.kind = (char *)m->rule->claim_kind;
		e.fields = fields_json(m);
		e.claim = (char *)(run->o->claim != NULL ? run->o->claim : "");
		e.input = (char *)run->base;
		e.row = m->row;
		e.allowance = run->allowance;
		rc = reg_add(run->o->reg, &e, cause);
		free(e.fields);
	}
	if (rc == 0 && m->rule->claim_amount >= 0 && m->v[m->rule->claim_amount].t == V_INT)
		run->amounts += m->v[m->rule->claim_amount].i;
	free(key);
	return rc;
}

/* How the second pass ended, beside 0 for done. */
#define ROWS_BAD_FILE  (-1)
#define ROWS_IO_ERROR  (-2)
#define ROWS_CANCELLED (-3)

/* The second pass, row by row. */
static int
process_rows(struct run *run, struct reader *rd, char **cause)
{
	const struct record *rec;
	struct mapped m;
	int rc;

	memset(&m, 0, sizeof m);
	while ((rc = reader_next(rd, &rec, cause)) == 1) {
		if (stop_asked(run)) {
			rc = ROWS_CANCELLED;
			break;
		}
		run->res->rows++;
		mapped_clear(&m);
		mapper_map(run->r, &run->bind, rec, run->dc, run->stem, &m);
		if (run->o->dry_run && run->o->only_row != 0 && rec->row != run->o->only_row) {
			if (m.nerrs == 0)
				run->res->produced++;
			else
				run->res->rejected++;
			continue;
		}
		preview_row(run->o, run->base, &m, run->res->rows == 1);
		/* Not writable in the import encoding, say: the row is rejected. */
		if (m.nerrs == 0 && !run->o->dry_run && run_claim(run, &m, cause) == -1) {
			rc = ROWS_IO_ERROR;
			break;
		}
		if (m.nerrs == 0)
			run->res->produced++;
		else {
			run->res->rejected++;
			if (reject_row(run, rec, &m, cause) == -1) {
				rc = ROWS_IO_ERROR;
				break;
			}
		}
		if (run->o->rows != NULL &&
		    rowset_add(run->o->rows, &m, run->allowance, cause) == -1) {
			rc = ROWS_IO_ERROR;
			break;
		}
		progress_show(run->o, &run->progress, run->base, run->res->rows, 0);
	}
	mapped_free(&m);
	progress_show(run->o, &run->progress, run->base, run->res->rows, 1);
	return rc == -1 ? ROWS_BAD_FILE : rc;
}

/*
 * The first line of the reason file of a file with rejected rows. Rows already paid need nothing,
 * and rows paid before with other values are an administrator's: the clerk is sent to fix and
 * drop again only the rows that can be.
 */
static char *
summary_of(const struct run *run)
{
	const struct file_result *res = run->res;

	if (run->paid == res->rejected && res->produced == 0)
		return xasprintf(_("all %lu claims were already paid, each as its line below says: "
		                   "nothing was made, and nothing needs doing."),
		                 res->rejected);
	if (run->paid == res->rejected)
		return xasprintf(
		    _("%lu of %lu claims were already paid, each as its line below "
		      "says; the other %lu produced their forms. Nothing needs doing."),
		    res->rejected, res->rows, res->produced);
	if (run->paid + run->conflicts == res->rejected && res->produced == 0)
		return xasprintf(
		    _("all %lu claims were paid before, each as its line below says, "
		      "and no form was made. Dropping the file again pays none of them: "
		      "where a line shows other values, an administrator decides."),
		    res->rejected);
	if (run->paid + run->conflicts == res->rejected)
		return xasprintf(
		    _("%lu of %lu claims were paid before, each as its line below says; "
		      "the other %lu produced their forms. Dropping the file again pays "
		      "none of them: where a line shows other values, an administrator "
		      "decides."),
		    res->rejected, res->rows, res->produced);
	if (res->produced == 0)
		return xasprintf(
		    _("all %lu claims were rejected, and no form was made. Fix the rows "
		      "below in %s.rejected.csv and drop it again."),
		    res->rejected, run->base);
	return xasprintf(_("%lu of %lu claims were rejected; the other %lu produced their forms. "
	                   "Fix the rows below in %s.rejected.csv and drop it again."),
	                 res->rejected, res->rows, res->produced, run->base);
}

int
run_finish(struct run *run, char **cause)
{
	char *summary;
	int rc;

	/* Nothing is published of a file that changed since the gate hashed it. */
	if (still(run, cause) != 0)
		return -1;
	if (outputs_close(&run->out, cause) == -1)
		return -1;
	/* What the claims paid, when the rule says which field that is; else the ledger's total. */
	run->res->total =
	    run->r != NULL && run->r->claim_amount >= 0 ? run->amounts : run->out.total;
	if (run->rej_open) {
		if (flush(&run->rej, &run->rejbuf, 1, cause) == -1 ||
		    outputs_commit(&run->out, &run->out.rejected, &run->rej, cause) == -1)
			return -1;
		run->rej_open = 0;
	}
	if (run->res->rejected == 0 || run->o->dry_run)
		return 0;
	summary = summary_of(run);
	rc = write_reason_file(run, summary, cause);
	free(summary);
	return rc;
}

enum outcome
run_read_all(struct run *run, int fd, struct buf *raw)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_add(raw, chunk, (size_t)n);
	if (n == -1) {
		free(raw->p);
		raw->p = NULL;
		return spool_transient(errno)
		           ? run_io_fail(
		                 run, xasprintf("cannot read %s: %s", run->base, strerror(errno)))
		           : run_fail(run, xasprintf(_("cannot read: %s"), strerror(errno)));
	}
	return 0;
}

enum outcome
run_read_text(struct run *run, int fd, char **text)
{
	struct buf raw = {0};
	enum outcome rc;
	size_t bad;

	*text = NULL;
	if ((rc = run_read_all(run, fd, &raw)) != 0)
		return rc;
	/* Notepad writes UTF-8, with or without its BOM, or CP932. */
	run->dc = decoder_new(utf8_valid(raw.p, raw.len, NULL) ? ENC_UTF8 : ENC_CP932);
	if (raw.len == 0 || decoder_run(run->dc, raw.p, raw.len, text, &bad) == -1) {
		free(*text);
		*text = NULL;
		rc = run_fail(run, xstrdup(raw.len == 0 ? _("the file is empty")
		                                        : _("the file is neither UTF-8 nor CP932 "
		                                            "text")));
	}
	free(raw.p);
	return rc;
}

enum outcome
pipeline_file(const struct config *c, const struct admitted *in, const struct pipeline_opts *o,
              struct file_result *res)
{
	struct run run;
	struct reader *rd = NULL;
	const struct record *rec;
	enum encoding sniffed;
	const struct rule *r;
	char *cause = NULL, **names = NULL;
	unsigned long nrec;
	int fd = in->fd, rc;

	memset(res, 0, sizeof *res);
	memset(&run, 0, sizeof run);
	run.c = c;
	run.o = o;
	run.res = res;
	run.in = in;
	run.base = in->name;
	/* The name goes into reasons, records and ledgers, which hold text, not bytes. */
	if (!utf8_valid(run.base, strlen(run.base), NULL))
		run.base = run.base_owned = utf8_repair(run.base);
	run.stem = run_stem(run.base);
	outputs_init(&run.out, o->out_dir, o->reject_dir, o->review_dir, o->tmpdir, run.base);
	run.out.office = o->dry_run ? NULL : o->office;
	run.out.print_later = o->print_later;
	run.out.render = o->dry_run ? NULL : o->render;
	clock_gettime(CLOCK_MONOTONIC, &run.progress.t0);
	run.progress.tlast = run.progress.t0;
	res->size = in->size;
	res->uid = in->uid;
	snprintf(res->sha256, sizeof res->sha256, "%s", in->sha256);
	if (in->refusal != ADMIT_OK) {
		rc = run_refuse(&run,
		                in->refusal == ADMIT_DUPLICATE || in->refusal == ADMIT_IN_REVIEW
		                    ? OUTCOME_DUPLICATE
		                    : OUTCOME_REJECTED,
		                xstrdup(in->reason));
		goto out;
	}
	if (pipeline_is_fix(run.base)) {
		rc = review_fix_file(&run, fd);
		goto out;
	}
	if (pipeline_is_allowance(run.base)) {
		rc = allow_file(&run, fd);
		goto out;
	}
	if ((r = match_scanned(c, o->rule, run.base)) != NULL) {
		run_set_rule(&run, r);
		rc = scan_file(&run, fd);
		goto out;
	}
	if (check_structure(fd, &nrec, &cause) == -1) {
		rc = run_fail(&run, cause);
		goto out;
	}
	run.progress.total = nrec - 1;
	if (lseek(fd, 0, SEEK_SET) == -1) {
		rc = run_fail(&run, xasprintf("cannot rewind: %s", strerror(errno)));
		goto out;
	}
	rd = reader_new(fd);
	if (reader_sniff(rd, &sniffed, &cause) == -1 || reader_next(rd, &rec, &cause) != 1) {
		rc = run_fail(&run, cause != NULL ? cause : xstrdup(_("the file is empty")));
		goto out;
	}
	run.hdr = rec;
	export_raw(rec, &run.hdr_raw);
	if ((r = match_export(c, o->rule, run.base, rec, sniffed, &run.dc, &names, &cause)) ==
	    NULL) {
		rc = run_fail(&run, cause);
		goto out;
	}
	run_set_rule(&run, r);
	rc = mapper_bind(run.r, names, rec->n, &run.bind, &cause);
	names_free(names, rec->n);
	if (rc == -1) {
		rc = run_fail(&run, cause);
		goto out;
	}
	run.hdr = NULL; /* the record goes with the next read */
	rc = process_rows(&run, rd, &cause);
	if (rc == ROWS_CANCELLED) {
		rc = OUTCOME_CANCELLED; /* run_clear() removes the temporary outputs */
		goto out;
	}
	if (rc == ROWS_BAD_FILE) {
		/* The file changed after the first pass: it is refused whole, as then. */
		rc = run_fail(&run, cause != NULL ? cause : xstrdup("unreadable file"));
		goto out;
	}
	if (rc == ROWS_IO_ERROR || run_finish(&run, &cause) == -1) {
		rc = run_io_fail(&run, cause != NULL ? cause : xstrdup("cannot write an output"));
		goto out;
	}
	rc = res->rejected > 0 ? OUTCOME_PARTLY_REJECTED : OUTCOME_PRODUCED;
out:
	/*
	 * Every output is renamed into place; before the caller records them, the renames must be
	 * durable. A failed sync is an I/O error: the file is done again, outputs and all.
	 */
	if (rc != OUTCOME_RETRY && outputs_sync(&run.out, &cause) == -1)
		rc = run_io_fail(&run, cause);
	res->paid = run.paid + run.conflicts;
	res->outputs = run.out.list;
	res->noutputs = run.out.n;
	if (rc != OUTCOME_RETRY && rc != OUTCOME_CANCELLED) {
		res->print = run.out.print;
		run.out.print = NULL;
	}
	run.out.list = NULL;
	run.out.n = 0;
	reader_free(rd);
	run_clear(&run);
	res->outcome = (enum outcome)rc;
	return res->outcome;
}
