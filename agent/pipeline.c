/*
 * The pipeline for one file. It reads the file twice: first only its structure (a malformed file
 * is refused before anything is written, so no forms exist for a file that is then rejected
 * whole), then row by row, mapping and writing as it goes. Memory holds one row at a time, plus
 * what the ledger's constant-memory writer keeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "export.h"
#include "hash.h"
#include "log.h"
#include "mapper.h"
#include "pipeline.h"
#include "record.h"
#include "render.h"
#include "spool.h"
#include "transform.h"
#include "scan.h"
#include "scanread.h"
#include "utf8.h"
#include "yamldoc.h"
#include "i18n.h"
#include "xmalloc.h"

#define FLUSH_AT 65536

/* Everything one run over a file holds. */
struct run {
	const struct config *c;
	const struct pipeline_opts *o;
	struct file_result *res;
	const char *base;                    /* the input's file name, as UTF-8 text */
	char *base_owned;                    /* base when it had to be repaired */
	int sync_out, sync_rej, sync_review; /* outputs renamed into these, not yet synced */
	char *stem;                          /* without its extension: {_input} */
	const struct rule *r;
	struct binding bind;
	struct decoder *dc;
	const struct record *hdr;
	struct buf hdr_raw; /* the header line as read, for the rejected file */

	struct outfile imp, rej;
	int imp_open, rej_open;
	struct buf impbuf, rejbuf, reasons;
	struct ledger *ledger;
	struct outfile led;
	int64_t created_max;
	int has_created;

	struct timespec t0, tlast;
	unsigned long total_rows; /* claims in the file, from the first pass */
	int stop_seen;            /* a stop request was seen, at stop_at */
	struct timespec stop_at;

	/* A correction file's values: per claim (a page, or 0 for the whole file), per field. */
	struct fixset *fixes;
	size_t nfixes;
	struct buf fixlines; /* for the review file: the correction file's lines to start from */
};

struct fixset {
	unsigned long claim;
	char **vals; /* per field: the clerk's value, or NULL */
};

static void
add_output(struct file_result *res, const char *name, const char *sha256, long long size)
{
	struct output *o;

	res->outputs = xreallocarray(res->outputs, res->noutputs + 1, sizeof *res->outputs);
	o = &res->outputs[res->noutputs++];
	o->name = xstrdup(name);
	snprintf(o->sha256, sizeof o->sha256, "%s", sha256);
	o->size = size;
}

void
file_result_free(struct file_result *res)
{
	size_t i;

	for (i = 0; i < res->noutputs; i++)
		free(res->outputs[i].name);
	free(res->outputs);
	free(res->reason);
	for (i = 0; i < res->ncorrections; i++) {
		free(res->corrections[i].field);
		free(res->corrections[i].read);
		free(res->corrections[i].fixed);
	}
	free(res->corrections);
	free(res->corrects);
	memset(res, 0, sizeof *res);
}

static char *
stem_of(const char *base)
{
	const char *dot = strrchr(base, '.');

	if (dot == NULL || dot == base)
		return xstrdup(base);
	return xstrndup(base, (size_t)(dot - base));
}

/* An output name from the rule's pattern; field values are reduced to safe characters. */
static char *
output_name(const struct name_pattern *np, const struct mapped *m)
{
	struct buf b = {0};
	char *v, *safe;
	size_t i;

	for (i = 0; i < np->n; i++) {
		if (np->parts[i].lit != NULL) {
			buf_add(&b, np->parts[i].lit, strlen(np->parts[i].lit));
			continue;
		}
		v = mapped_text(m, np->parts[i].field, VF_AUTO);
		safe = spool_safe_name(v != NULL ? v : "", 80);
		buf_add(&b, safe, strlen(safe));
		free(safe);
		free(v);
	}
	if (b.len > 200) {
		/* Keep the extension: a cut name must still open in Excel. */
		char *cut = utf8_cut_name(b.p, 185);

		free(b.p);
		return cut;
	}
	return b.p;
}

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
progress(struct run *run, int final)
{
	struct timespec now;
	double t, rate, left;

	if (!run->o->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && elapsed(&run->tlast, &now) < 0.25)
		return;
	run->tlast = now;
	t = elapsed(&run->t0, &now);
	if (final) {
		fputs("\r\033[K", stderr);
		return;
	}
	/* The first pass counted the rows, so the estimate needs no guess at bytes per row. */
	rate = t > 0 ? (double)run->res->rows / t : 0;
	left = rate > 0 && run->total_rows > run->res->rows
	           ? (double)(run->total_rows - run->res->rows) / rate
	           : 0;
	fprintf(stderr, "\r\033[K%s: %lu of %lu rows, %.0f rows/s, %.0f s left", run->base,
	        run->res->rows, run->total_rows, rate, left);
	fflush(stderr);
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

static int
commit(struct run *run, struct outfile *o, char **cause)
{
	char sha[HASH_HEX];
	off_t size = 0;
	int fd;

	/* The hash of what is published, for the audit record: read back before the rename. */
	if ((fd = open(o->tmppath, O_RDONLY | O_CLOEXEC)) == -1 || hash_fd(fd, sha, &size) == -1) {
		*cause = xasprintf("cannot read back %s: %s", o->tmppath, strerror(errno));
		if (fd != -1)
			close(fd);
		out_abort(o);
		return -1;
	}
	close(fd);
	/* One fsync of each folder at the end (finish_sync), not one per form. */
	o->defer_dirsync = 1;
	if (strcmp(o->dir, run->o->out_dir) == 0)
		run->sync_out = 1;
	else if (run->o->reject_dir != NULL && strcmp(o->dir, run->o->reject_dir) == 0)
		run->sync_rej = 1;
	else
		run->sync_review = 1;
	if (out_commit(o, cause) == -1)
		return -1;
	add_output(run->res, o->final, sha, (long long)size);
	free(o->final);
	o->final = NULL;
	return 0;
}

static void
preview_json(struct run *run, const struct mapped *m)
{
	json_t *obj = json_object(), *fields = json_object(), *errs = json_array(), *e;
	const struct rule *r = run->r;
	char *iso;
	size_t i;

	json_object_set_new(obj, "input", json_string(run->base));
	json_object_set_new(obj, "row", json_integer((json_int_t)m->row));
	json_object_set_new(obj, "rule", json_string(r->name));
	json_object_set_new(obj, "ok", json_boolean(m->nerrs == 0));
	for (i = 0; i < r->nfields; i++) {
		const struct value *v = &m->v[i];

		switch (v->t) {
		case V_TEXT:
			json_object_set_new(fields, r->fields[i].name, json_string(v->s));
			break;
		case V_INT:
			json_object_set_new(fields, r->fields[i].name, json_integer(v->i));
			break;
		case V_DATE:
			iso = tf_iso(v->i);
			json_object_set_new(fields, r->fields[i].name, json_string(iso));
			free(iso);
			break;
		default:
			json_object_set_new(fields, r->fields[i].name, json_null());
			break;
		}
	}
	for (i = 0; i < m->nerrs; i++) {
		e = json_object();
		json_object_set_new(e, "field",
		                    m->errs[i].field >= 0
		                        ? json_string(r->fields[m->errs[i].field].name)
		                        : json_null());
		json_object_set_new(e, "message", json_string(m->errs[i].message));
		json_array_append_new(errs, e);
	}
	json_object_set_new(obj, "fields", fields);
	json_object_set_new(obj, "errors", errs);
	json_dumpf(obj, run->o->preview, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', run->o->preview);
	json_decref(obj);
}

/* A column's width in the preview table: enough for its name and a typical value. */
static size_t
preview_width(const struct field_def *f)
{
	size_t w = utf8_width(f->name), min;

	min = f->type == FT_DATE ? 10 : f->type == FT_TEXT ? 12 : 7;
	return w > min ? w : min;
}

static void
preview_table(struct run *run, const struct mapped *m)
{
	const struct rule *r = run->r;
	FILE *fp = run->o->preview;
	char *s;
	size_t i;

	if (run->res->rows == 1) {
		fprintf(fp, "%s (rule %s)\n", run->base, r->name);
		utf8_pad(fp, "row", 5);
		utf8_pad(fp, " ok", 4);
		for (i = 0; i < r->nfields; i++) {
			fputc(' ', fp);
			utf8_pad(fp, r->fields[i].name, preview_width(&r->fields[i]));
		}
		fputc('\n', fp);
	}
	s = xasprintf("%lu", m->row);
	utf8_pad(fp, s, 5);
	free(s);
	utf8_pad(fp, m->nerrs == 0 ? " ok" : " NG", 4);
	for (i = 0; i < r->nfields; i++) {
		fputc(' ', fp);
		s = mapped_text(m, (int)i, r->fields[i].type == FT_YEN ? VF_GROUPED : VF_AUTO);
		utf8_pad(fp, s != NULL ? s : "", preview_width(&r->fields[i]));
		free(s);
	}
	fputc('\n', fp);
	for (i = 0; i < m->nerrs; i++)
		fprintf(fp, "      row %lu: %s\n", m->row, m->errs[i].message);
}

/* The form's cells for one row, as they would be filled: address, then content. */
static void
preview_cells(struct run *run, const struct mapped *m)
{
	const struct rule *r = run->r;
	const struct template *t = r->form;
	FILE *fp = run->o->preview;
	char addr[32], col[8], *v;
	size_t i;
	int f;

	fprintf(fp, "%s, row %lu (rule %s, form %s):\n", run->base, m->row, r->name,
	        t != NULL ? t->name : "none");
	for (i = 0; i < m->nerrs; i++)
		fprintf(fp, "  rejected: %s\n", m->errs[i].message);
	if (t == NULL)
		return;
	for (i = 0; i < t->nappr; i++) {
		col_name(t->appr_c + (int)i, col);
		snprintf(addr, sizeof addr, "%s%d", col, t->appr_r + 1);
		fprintf(fp, "  %-8s %s (approval)\n", addr, t->appr_labels[i]);
	}
	for (i = 0; i < t->ncells; i++) {
		col_name(t->cells[i].c1, col);
		snprintf(addr, sizeof addr, "%s%d", col, t->cells[i].r1 + 1);
		if (t->cells[i].text != NULL) {
			fprintf(fp, "  %-8s %s\n", addr, t->cells[i].text);
			continue;
		}
		if ((f = r->form_bind[i]) == FIELD_NONE)
			continue;
		if (f >= 0 && m->v[f].t == V_DATE)
			v = mapped_text(m, f, VF_WAREKI);
		else if (f >= 0 && r->fields[f].type == FT_YEN && m->v[f].t == V_INT) {
			char *g = mapped_text(m, f, VF_GROUPED);

			v = xasprintf("%s円", g);
			free(g);
		} else
			v = mapped_text(m, f, VF_AUTO);
		fprintf(fp, "  %-8s %s  [%s]\n", addr, v != NULL ? v : "", rule_field_name(r, f));
		free(v);
	}
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
write_form(struct run *run, const struct mapped *m, char **cause)
{
	const struct rule *r = run->r;
	struct outfile o;
	time_t created = 0;
	char *name;
	int rc;

	if (r->created_field >= 0 && m->v[r->created_field].t == V_DATE)
		created = (time_t)(m->v[r->created_field].i * 86400);
	name = output_name(&r->form_name, m);
	rc = out_begin(run->o->out_dir, name, &o, cause);
	free(name);
	if (rc == -1)
		return -1;
	close(o.fd);
	o.fd = -1;
	if (render_form(r, m, o.tmppath, run->o->tmpdir, created, cause) == -1) {
		out_abort(&o);
		return -1;
	}
	return commit(run, &o, cause);
}

static int
produce(struct run *run, const struct mapped *m, char **cause)
{
	const struct rule *r = run->r;
	char *name;
	size_t before = run->impbuf.len;

	/* The import line first: a character CP932 lacks rejects the row before any form. */
	if (r->has_import) {
		if (!run->imp_open) {
			name = output_name(&r->import_name, m);
			if (out_begin(run->o->out_dir, name, &run->imp, cause) == -1) {
				free(name);
				return -1;
			}
			free(name);
			run->imp_open = 1;
			if (r->import_header && export_header(r, &run->impbuf, cause) == -1)
				return -1;
			before = run->impbuf.len;
		}
		if (export_line(r, m, &run->impbuf, cause) == -1)
			return 1;
	}
	if (r->form != NULL && write_form(run, m, cause) == -1) {
		run->impbuf.len = before;
		return -1;
	}
	if (r->ledger != NULL) {
		if (run->ledger == NULL) {
			name = output_name(&r->ledger_name, m);
			if (out_begin(run->o->out_dir, name, &run->led, cause) == -1) {
				free(name);
				return -1;
			}
			free(name);
			close(run->led.fd);
			run->led.fd = -1;
			run->ledger =
			    ledger_open(r, run->led.tmppath, run->o->tmpdir, run->base, cause);
			if (run->ledger == NULL) {
				out_abort(&run->led);
				return -1;
			}
		}
		if (ledger_add(run->ledger, m, cause) == -1)
			return -1;
	}
	if (r->created_field >= 0 && m->v[r->created_field].t == V_DATE &&
	    (!run->has_created || m->v[r->created_field].i > run->created_max)) {
		run->created_max = m->v[r->created_field].i;
		run->has_created = 1;
	}
	if (r->has_import && flush(&run->imp, &run->impbuf, 0, cause) == -1)
		return -1;
	return 0;
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
		if (out_begin(run->o->reject_dir, name, &run->rej, cause) == -1) {
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

/*
 * A clerk's text file about the input, in dir: BASE + suffix, head then body, committed like any
 * output (hashed for the audit record, its folder synced at the end).
 */
static int
write_note(struct run *run, const char *dir, const char *suffix, const char *head,
           const struct buf *body, char **cause)
{
	struct outfile o;
	char *name, *safe;
	int rc;

	safe = spool_safe_name(run->base, 180);
	name = xasprintf("%s%s", safe, suffix);
	free(safe);
	rc = out_begin(dir, name, &o, cause);
	free(name);
	if (rc == -1)
		return -1;
	if (out_write(&o, head, strlen(head), cause) == -1 ||
	    (body->len > 0 && out_write(&o, body->p, body->len, cause) == -1)) {
		out_abort(&o);
		return -1;
	}
	return commit(run, &o, cause);
}

static int
write_reason_file(struct run *run, const char *summary, char **cause)
{
	char *head = xasprintf(_("file: %s\nrule: %s\n%s\n\n"), run->base,
	                       run->r != NULL ? run->r->name : _("(none)"), summary);
	int rc = write_note(run, run->o->reject_dir, ".reason.txt", head, &run->reasons, cause);

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

/* Picks the rule for the file: by name and header, or the one forced with --rule. */
static const struct rule *
choose_rule(struct run *run, enum encoding sniffed, char ***names, char **cause)
{
	const struct config *c = run->c;
	struct buf why = {0};
	const struct rule *r;
	const char *missing;
	struct decoder *dc;
	char *line, **hn = NULL;
	size_t i, j;
	int globbed;

	for (i = 0; i < c->nrules; i++) {
		r = c->rules[i];
		if (r->input != IN_CSV ||
		    (run->o->rule != NULL && strcmp(run->o->rule, r->name) != 0))
			continue;
		globbed = r->nglobs == 0 || run->o->rule != NULL;
		for (j = 0; j < r->nglobs && !globbed; j++)
			if (fnmatch(r->globs[j], run->base, 0) == 0)
				globbed = 1;
		if (!globbed) {
			line = xasprintf(_("%s rule %s: the file name does not match %s%s"),
			                 why.len ? ";" : "", r->name, r->globs[0],
			                 r->nglobs > 1 ? _(" (or its other globs)") : "");
			buf_add(&why, line, strlen(line));
			free(line);
			continue;
		}
		dc = decoder_new(r->encoding == ENC_AUTO ? sniffed : r->encoding);
		if (header_names(run->hdr, dc, &hn, cause) == -1) {
			decoder_free(dc);
			free(why.p);
			return NULL;
		}
		if (!rule_header_matches(r, hn, run->hdr->n, &missing)) {
			line = xasprintf(_("%s rule %s: the header has no column '%s'"),
			                 why.len ? ";" : "", r->name, missing);
			buf_add(&why, line, strlen(line));
			free(line);
			names_free(hn, run->hdr->n);
			decoder_free(dc);
			continue;
		}
		run->dc = dc;
		*names = hn;
		free(why.p);
		return r;
	}
	if (run->o->rule != NULL && why.len == 0)
		*cause = xasprintf(_("there is no rule named '%s'"), run->o->rule);
	else
		*cause = xasprintf(_("no rule accepts this file:%s"),
		                   why.p != NULL ? why.p : _(" no rules"));
	free(why.p);
	return NULL;
}

/* The file is refused whole (as kind: rejected, or a duplicate), with its reason file. */
static enum outcome
refuse_file(struct run *run, enum outcome kind, char *cause)
{
	char *err = NULL, *summary;

	run->res->outcome = kind;
	free(run->res->reason);
	run->res->reason = cause;
	if (!run->o->dry_run && run->o->reject_dir != NULL) {
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

static enum outcome
fail_file(struct run *run, char *cause)
{
	return refuse_file(run, OUTCOME_REJECTED, cause);
}

/* An output could not be written: the file is not at fault, and nothing is said to the clerk. */
static enum outcome
io_fail(struct run *run, char *cause)
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
	return elapsed(&run->stop_at, &now) * 1000 >= run->o->stop_grace_ms;
}

static void
run_clear(struct run *run)
{
	if (run->imp_open)
		out_abort(&run->imp);
	if (run->rej_open)
		out_abort(&run->rej);
	if (run->ledger != NULL) {
		ledger_abort(run->ledger);
		out_abort(&run->led);
	}
	free(run->impbuf.p);
	free(run->rejbuf.p);
	free(run->reasons.p);
	free(run->hdr_raw.p);
	free(run->stem);
	free(run->base_owned);
	binding_clear(&run->bind);
	decoder_free(run->dc);
	for (size_t i = 0; i < run->nfixes; i++) {
		for (size_t k = 0; run->r != NULL && k < run->r->nfields; k++)
			free(run->fixes[i].vals[k]);
		free(run->fixes[i].vals);
	}
	free(run->fixes);
	free(run->fixlines.p);
}

/* With --dry-run, the row as the preview asks: JSON, its form's cells, or a table line. */
static void
preview_row(struct run *run, const struct mapped *m)
{
	if (!run->o->dry_run)
		return;
	if (run->o->json)
		preview_json(run, m);
	else if (run->o->cells)
		preview_cells(run, m);
	else
		preview_table(run, m);
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
		preview_row(run, &m);
		if (m.nerrs == 0 && !run->o->dry_run) {
			if ((rc = produce(run, &m, cause)) == -1) {
				rc = ROWS_IO_ERROR;
				break;
			}
			if (rc == 1) {
				/* Not writable in the import encoding: the row is rejected. */
				mapper_add_error(&m, FIELD_NONE, NULL, NULL, *cause);
				*cause = NULL;
			}
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
		if (run->o->rows != NULL)
			rowset_add(run->o->rows, &m);
		progress(run, 0);
	}
	mapped_free(&m);
	progress(run, 1);
	return rc == -1 ? ROWS_BAD_FILE : rc;
}

static int
finish(struct run *run, char **cause)
{
	char *summary;
	time_t created = run->has_created ? (time_t)(run->created_max * 86400) : 0;

	if (run->ledger != NULL) {
		run->res->total = 0;
		{
			size_t i;

			for (i = 0; i < run->r->ledger->ncolumns; i++)
				if (run->r->ledger->columns[i].total) {
					run->res->total = ledger_total(run->ledger, (int)i);
					break;
				}
		}
		if (ledger_close(run->ledger, created, cause) == -1) {
			run->ledger = NULL;
			out_abort(&run->led); /* its temporary file, written or not */
			return -1;
		}
		run->ledger = NULL;
		if (commit(run, &run->led, cause) == -1)
			return -1;
	}
	if (run->imp_open) {
		if (run->res->produced == 0) {
			out_abort(&run->imp);
		} else if (flush(&run->imp, &run->impbuf, 1, cause) == -1 ||
		           commit(run, &run->imp, cause) == -1) {
			return -1; /* run_clear() removes the temporary file */
		}
		run->imp_open = 0;
	}
	if (run->rej_open) {
		if (flush(&run->rej, &run->rejbuf, 1, cause) == -1 ||
		    commit(run, &run->rej, cause) == -1)
			return -1;
		run->rej_open = 0;
	}
	if (run->res->rejected > 0 && !run->o->dry_run) {
		if (run->res->produced == 0)
			summary = xasprintf(_("all %lu claims were rejected, and no form was made. "
			                      "Fix the rows below in %s.rejected.csv and drop it "
			                      "again."),
			                    run->res->rejected, run->base);
		else
			summary = xasprintf(
			    _("%lu of %lu claims were rejected; the other %lu produced their "
			      "forms. Fix the rows below in %s.rejected.csv and drop it again."),
			    run->res->rejected, run->res->rows, run->res->produced, run->base);
		if (write_reason_file(run, summary, cause) == -1) {
			free(summary);
			return -1;
		}
		free(summary);
	}
	return 0;
}

/* The scanned-claim rule that takes a file of this name (or the one forced), or NULL. */
static const struct rule *
text_rule(const struct run *run, const char *name)
{
	const struct rule *r;
	size_t i, j;

	for (i = 0; i < run->c->nrules; i++) {
		r = run->c->rules[i];
		if (r->input == IN_CSV)
			continue;
		if (run->o->rule != NULL) {
			if (strcmp(run->o->rule, r->name) == 0)
				return r;
			continue;
		}
		for (j = 0; j < r->nglobs; j++)
			if (fnmatch(r->globs[j], name, 0) == 0)
				return r;
	}
	return NULL;
}

/* Where a reading was, for a clerk holding the paper: the page and place, or the line. */
static char *
place_of(const struct found *f, int pages)
{
	if (f->page > 0 && pages > 1)
		return xasprintf(_("page %d, %.0f mm from the left and %.0f mm from the top"),
		                 f->page, f->x, f->y);
	if (f->page > 0)
		return xasprintf(_("%.0f mm from the left and %.0f mm from the top"), f->x, f->y);
	return xasprintf(_("line %d"), f->line);
}

/*
 * The lines of the .review.txt for one claim that is not sure enough to pay: every field in
 * doubt, what was read and where, so a clerk can compare it with the paper.
 */
static void
review_lines(const struct rule *r, const struct mapped *m, const struct found *found, int pages,
             struct buf *b)
{
	char *line, *at;
	size_t i;
	int f;

	for (i = 0; i < m->nerrs; i++) {
		f = m->errs[i].field;
		if (f >= 0 && found[f].value == NULL && r->fields[f].after != NULL)
			line = xasprintf(_("%s: not found (looked for the label '%s')\n"),
			                 m->errs[i].message, r->fields[f].after);
		else if (f >= 0 && found[f].value == NULL && r->fields[f].finder_src != NULL)
			line = xasprintf(_("%s: not found (looked for /%s/)\n"), m->errs[i].message,
			                 r->fields[f].finder_src);
		else if (f >= 0 && found[f].value == NULL && r->fields[f].area_page > 0)
			line = xasprintf(_("%s: nothing read in its area (page %d, %g mm from the "
			                   "left and %g mm from the top, %g × %g mm)\n"),
			                 m->errs[i].message, r->fields[f].area_page,
			                 r->fields[f].area_x, r->fields[f].area_y,
			                 r->fields[f].area_w, r->fields[f].area_h);
		else if (f >= 0 && found[f].fixed)
			line = xasprintf(_("%s (as corrected)\n"), m->errs[i].message);
		else if (f >= 0 && found[f].value != NULL) {
			at = place_of(&found[f], pages);
			line = xasprintf(_("%s (read at %s)\n"), m->errs[i].message, at);
			free(at);
		} else
			line = xasprintf("%s\n", m->errs[i].message);
		buf_add(b, line, strlen(line));
		free(line);
	}
}

/* Whether m already has an error about field i, or about a field read from i's label. */
static int
has_doubt(const struct rule *r, const struct mapped *m, size_t i)
{
	size_t k;
	int f;

	for (k = 0; k < m->nerrs; k++) {
		f = m->errs[k].field;
		if (f == (int)i)
			return 1;
		/* Two fields read from one label (交通機関 and its code) make one doubt. */
		if (f >= 0 && r->fields[f].after != NULL && r->fields[i].after != NULL &&
		    strcmp(r->fields[f].after, r->fields[i].after) == 0)
			return 1;
	}
	return 0;
}

/*
 * What the page leaves in doubt beyond a value's own errors: on a page read by OCR, a printed
 * label not found (that part of the page could not be read, so an empty field cannot be told
 * from a lost one), and a field read with less confidence than the rule asks.
 */
static void
add_doubts(const struct rule *r, const struct scanned *sc, const struct found *found,
           struct mapped *m)
{
	size_t i;
	int min, ocr = 0, p;

	for (p = 0; p < sc->npages; p++)
		ocr |= sc->ocr[p];
	for (i = 0; i < r->nfields; i++) {
		min = r->fields[i].min_confidence >= 0 ? r->fields[i].min_confidence
		                                       : r->min_confidence;
		if (has_doubt(r, m, i))
			continue;
		if (found[i].value == NULL && r->fields[i].after != NULL && ocr)
			mapper_add_error(m, (int)i, r->fields[i].from, NULL,
			                 xasprintf(_("%s cannot be read"), r->fields[i].label));
		else if (found[i].value != NULL && found[i].value[0] != '\0' &&
		         found[i].conf < (float)min)
			mapper_add_error(m, (int)i, r->fields[i].from, found[i].value,
			                 xasprintf(_("%s was read as '%s' but OCR is only %.0f%% "
			                             "sure of it (the rule asks for %d%%)"),
			                           r->fields[i].label, found[i].value,
			                           found[i].conf, min));
	}
}

/* Keeps what the clerk put right, for the audit record: values only of audited fields. */
static void
add_correction(struct run *run, unsigned long claim, size_t field, const char *read,
               const char *fixed)
{
	const struct field_def *f = &run->r->fields[field];
	struct file_result *res = run->res;
	struct correction *c;

	res->corrections =
	    xreallocarray(res->corrections, res->ncorrections + 1, sizeof *res->corrections);
	c = &res->corrections[res->ncorrections++];
	c->field = xstrdup(f->name);
	c->claim = claim;
	c->read = f->audit && read != NULL ? xstrdup(read) : NULL;
	c->fixed = f->audit ? xstrdup(fixed) : NULL;
}

/*
 * The lines a correction file for this claim starts from: each field in doubt as "label: what
 * was read", for the clerk to put right (under "page N:" for a rule of one claim per page).
 */
static void
add_fix_lines(struct run *run, const struct mapped *m, const struct found *found,
              unsigned long claim)
{
	const struct rule *r = run->r;
	char *line;
	size_t i, k;
	int f;

	if (r->per_page) {
		line = xasprintf("page %lu:\n", claim);
		buf_add(&run->fixlines, line, strlen(line));
		free(line);
	}
	for (i = 0; i < m->nerrs; i++) {
		f = m->errs[i].field;
		if (f < 0 || r->fields[f].expr != NULL)
			continue;
		for (k = 0; k < i && m->errs[k].field != f; k++)
			;
		if (k < i)
			continue; /* one line per field */
		line = xasprintf("%s%s: %s\n", r->per_page ? "  " : "", r->fields[f].label,
		                 found[f].value != NULL ? found[f].value : "");
		buf_add(&run->fixlines, line, strlen(line));
		free(line);
	}
}

/*
 * One claim of a scanned file (the whole file, or one page of it): its fields found, mapped and
 * checked like a CSV row, and its form made when nothing is in doubt. 0 when made, 1 when a
 * person must look at it (its lines added to review), -1 with *cause when it could not be
 * written.
 */
static int
scan_claim(struct run *run, const struct scanned *sc, unsigned long row, int check_only,
           struct buf *review, char **cause)
{
	const struct rule *r = run->r;
	struct found *found = scan_find(r, sc);
	char *const *fix = NULL;
	struct record rec;
	struct mapped m;
	size_t i;
	int rc = 0;

	for (i = 0; i < run->nfixes; i++)
		if (run->fixes[i].claim == 0 || run->fixes[i].claim == row)
			fix = run->fixes[i].vals;
	/* A clerk's value stands for what was read, and is sure. */
	for (i = 0; fix != NULL && i < r->nfields; i++) {
		if (fix[i] == NULL)
			continue;
		if (!check_only)
			add_correction(run, row, i, found[i].value, fix[i]);
		free(found[i].value);
		found[i] = (struct found){.value = xstrdup(fix[i]), .conf = 100, .fixed = 1};
	}

	rec.row = row;
	rec.n = r->nfields;
	rec.f = xcalloc(r->nfields + 1, sizeof *rec.f);
	for (i = 0; i < r->nfields; i++) {
		rec.f[i].p = found[i].value != NULL ? found[i].value : "";
		rec.f[i].len = strlen(rec.f[i].p);
	}
	memset(&m, 0, sizeof m);
	mapper_map(r, &run->bind, &rec, run->dc, run->stem, &m);
	add_doubts(r, sc, found, &m);
	if (check_only) {
		rc = m.nerrs > 0;
		goto doubts;
	}
	run->res->rows++;
	if (m.nerrs == 0 && !run->o->dry_run) {
		if ((rc = produce(run, &m, cause)) == -1)
			goto out;
		if (rc == 1) { /* a character the import encoding lacks: a person decides */
			mapper_add_error(&m, FIELD_NONE, NULL, NULL, *cause);
			*cause = NULL;
		}
	}
	preview_row(run, &m);
	if (run->o->rows != NULL)
		rowset_add(run->o->rows, &m); /* what was read goes on record, paid or not */
	if (m.nerrs == 0) {
		run->res->produced++;
		rc = 0;
		goto out;
	}
	/* Not sure enough to pay: nothing is produced, and a person looks at it. */
	rc = 1;
doubts:
	if (rc == 1 && r->per_page) {
		char *h = xasprintf(_("page %lu:\n"), row);

		buf_add(review, h, strlen(h));
		free(h);
	}
	if (rc == 1) {
		review_lines(r, &m, found, sc->npages, review);
		if (!check_only)
			add_fix_lines(run, &m, found, row);
	}
out:
	mapped_free(&m);
	found_free(found, r->nfields);
	free(rec.f);
	return rc;
}

/*
 * A scanned file's text with places: a PDF through poppler (and OCR for pages without text), an
 * image through OCR, anything else as a scanner's OCR text in UTF-8 or CP932. 0, or the pipeline's
 * code for a file refused.
 */
static int
scan_read(struct run *run, struct buf *raw, struct scanned *sc)
{
	char *reason;

	if (scan_read_bytes(raw->p, raw->len, run->r->encoding, sc, &reason) == -1)
		return fail_file(run, reason);
	return 0;
}

/* Reads the whole of fd into raw; 0, or the pipeline's code for a file that cannot be read. */
static int
read_all(struct run *run, int fd, struct buf *raw)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_add(raw, chunk, (size_t)n);
	if (n == -1) {
		free(raw->p);
		raw->p = NULL;
		return spool_transient(errno)
		           ? io_fail(run,
		                     xasprintf("cannot read %s: %s", run->base, strerror(errno)))
		           : fail_file(run, xasprintf(_("cannot read: %s"), strerror(errno)));
	}
	return 0;
}

/* Binds every field to "its column": a scanned claim's record holds the fields in order. */
static void
bind_found(struct run *run)
{
	size_t i;

	run->bind.col = xcalloc(run->r->nfields + 1, sizeof *run->bind.col);
	run->bind.ncols = run->r->nfields;
	for (i = 0; i < run->r->nfields; i++)
		run->bind.col[i] = i;
}

/* The claims of sc to read: every page or the whole file, or only those a correction names. */
static int
claims_of(const struct run *run, const struct scanned *sc, unsigned long **out)
{
	unsigned long *c = xcalloc((size_t)sc->npages + run->nfixes + 1, sizeof *c);
	size_t i;
	int n = 0, p;

	if (run->nfixes > 0 && run->r->per_page)
		for (i = 0; i < run->nfixes; i++)
			c[n++] = run->fixes[i].claim;
	else if (run->r->per_page)
		for (p = 1; p <= sc->npages; p++)
			c[n++] = (unsigned long)p;
	else
		c[n++] = 1;
	*out = c;
	return n;
}

/* Claim k of sc (a page of its own, or the whole file) through scan_claim(). */
static int
one_claim(struct run *run, const struct scanned *sc, unsigned long k, int check_only,
          struct buf *review, char **cause)
{
	struct scanned page;
	int rc;

	if (!run->r->per_page)
		return scan_claim(run, sc, 1, check_only, review, cause);
	scanned_page(sc, (int)k, &page);
	rc = scan_claim(run, &page, k, check_only, review, cause);
	scanned_free(&page);
	return rc;
}

/* How to put the claim right, at the end of its .review.txt. */
static void
fix_advice(struct run *run, struct buf *b)
{
	char *t = xasprintf(_("To put it right, drop into the inbox a file named %s%s holding the "
	                      "fields to correct, one per line as 'label: value'. These lines are "
	                      "a start: make each value what the paper says.\n\n"),
	                    run->base, PIPELINE_FIX_SUFFIX);

	buf_add(b, t, strlen(t));
	free(t);
	buf_add(b, run->fixlines.p, run->fixlines.len);
	t = xstrdup(_("\nThe claim waits here until its correction is read. A corrected text or "
	              "CSV file of the claim does as well; this file then stays here, for the "
	              "record.\n"));
	buf_add(b, t, strlen(t));
	free(t);
}

/*
 * A correction of a file of one claim per page must name exactly the pages in review: a page
 * without doubt made its form when the file was first read, and correcting it would pay it twice;
 * a page in doubt left out would be lost when the file leaves review. 0, or the pipeline's code
 * for the correction refused.
 */
static int
pages_to_fix(struct run *run, const struct scanned *sc, const unsigned long *claims, int n)
{
	struct fixset *fixes = run->fixes;
	size_t nfixes = run->nfixes;
	struct buf none = {0};
	char *cause = NULL;
	int p, i, named, doubt, rc = 0;

	run->fixes = NULL; /* the pages as they were first read */
	run->nfixes = 0;
	for (p = 1; p <= sc->npages && rc == 0; p++) {
		for (i = 0, named = 0; i < n; i++)
			named |= claims[i] == (unsigned long)p;
		doubt = one_claim(run, sc, (unsigned long)p, 1, &none, &cause) == 1;
		if (named && !doubt)
			rc = fail_file(run, xasprintf(_("page %d of %s made its form when the file "
			                                "was read; only pages in review can be "
			                                "corrected"),
			                              p, run->res->corrects));
		else if (!named && doubt)
			rc =
			    fail_file(run, xasprintf(_("page %d of %s is in review too: correct it "
			                               "in the same file"),
			                             p, run->res->corrects));
	}
	run->fixes = fixes;
	run->nfixes = nfixes;
	free(none.p);
	return rc;
}

/*
 * The claims of a scanned file made into forms. Claims with any field missing or in doubt make
 * no form: the file goes to review with a .review.txt naming each doubt. A correction file is
 * all or nothing: when its values still leave a doubt, no form is made, and the correction comes
 * back in rejected/ with the doubts as its reason.
 */
static int
scan_claims(struct run *run, struct scanned *sc)
{
	const struct rule *r = run->r;
	struct buf review = {0};
	unsigned long *claims;
	char *cause = NULL, *head;
	const char *dir;
	int rc = 0, n, i, inreview = 0;

	scanned_replace(sc, r);
	decoder_free(run->dc);
	run->dc = decoder_new(ENC_UTF8); /* the values below are UTF-8 already */
	bind_found(run);
	n = claims_of(run, sc, &claims);
	for (i = 0; i < n; i++)
		if (claims[i] > (unsigned long)sc->npages) {
			free(claims);
			return fail_file(run,
			                 xasprintf(_("the correction names page %lu, but %s has "
			                             "%d pages"),
			                           claims[i], run->res->corrects, sc->npages));
		}
	if (run->nfixes > 0 && r->per_page && (rc = pages_to_fix(run, sc, claims, n)) != 0) {
		free(claims);
		return rc;
	}
	if (run->nfixes > 0) {
		for (i = 0; i < n; i++)
			inreview |= one_claim(run, sc, claims[i], 1, &review, &cause) == 1;
		if (inreview) {
			free(claims);
			buf_add(&run->reasons, review.p, review.len);
			free(review.p);
			return fail_file(run,
			                 xasprintf(_("with these corrections %s still has fields "
			                             "in doubt (below); correct them in this "
			                             "file and drop it again"),
			                           run->res->corrects));
		}
	}
	for (i = 0; i < n && rc != -1; i++) {
		rc = one_claim(run, sc, claims[i], 0, &review, &cause);
		inreview |= rc == 1;
	}
	free(claims);
	if (rc == -1) {
		free(review.p);
		return io_fail(run, cause);
	}
	if (run->res->produced > 0 && !run->o->dry_run && finish(run, &cause) == -1) {
		free(review.p);
		return io_fail(run, cause);
	}
	if (!inreview) {
		free(review.p);
		return 0;
	}
	run->res->outcome = OUTCOME_REVIEW;
	free(run->res->reason);
	run->res->reason =
	    xstrdup(_("the claim needs a person to look at it (see its .review.txt)"));
	rc = OUTCOME_REVIEW;
	if (!run->o->dry_run) {
		dir = run->o->review_dir != NULL ? run->o->review_dir : run->o->reject_dir;
		if (r->per_page && run->res->produced > 0)
			head = xasprintf(
			    _("file: %s\nrule: %s\n%lu of its %lu claims made their forms; the "
			      "others below made none: a person must look at them first.\n\n"),
			    run->base, r->name, run->res->produced, run->res->rows);
		else
			head =
			    xasprintf(_("file: %s\nrule: %s\nNo form was made: a person must look "
			                "at this claim first.\n\n"),
			              run->base, r->name);
		buf_add(&review, "\n", 1);
		fix_advice(run, &review);
		if (write_note(run, dir, ".review.txt", head, &review, &cause) == -1)
			rc = io_fail(run, cause);
		free(head);
	}
	free(review.p);
	return rc;
}

/* A scanned file: its text and places read, then its claims. */
static int
text_claim(struct run *run, int fd)
{
	struct buf raw = {0};
	struct scanned sc = {0};
	int rc;

	if ((rc = read_all(run, fd, &raw)) != 0)
		return rc;
	rc = scan_read(run, &raw, &sc);
	free(raw.p);
	if (rc == 0 && sc.npages > 0)
		rc = scan_claims(run, &sc);
	scanned_free(&sc);
	return rc;
}

/* The field a correction file's key names: its label as the reasons give it, or its name. */
static int
fix_field(const struct rule *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nfields; i++)
		if (r->fields[i].expr == NULL &&
		    (strcmp(key, r->fields[i].label) == 0 || strcmp(key, r->fields[i].name) == 0 ||
		     (r->fields[i].after != NULL && strcmp(key, r->fields[i].after) == 0)))
			return (int)i;
	return -1;
}

/* One claim's corrections: a mapping of field to value. NULL with *cause when it is wrong. */
static char **
load_fixset(const struct rule *r, const struct ynode *m, char **cause)
{
	char **vals;
	const struct ynode *k, *v;
	size_t i;
	int f;

	if (m->kind != Y_MAP || m->n == 0) {
		*cause = xasprintf(_("line %d: expected lines of 'label: value'"), m->line);
		return NULL;
	}
	vals = xcalloc(r->nfields + 1, sizeof *vals);
	for (i = 0; i < m->n; i++) {
		k = YMAP_KEY(m, i);
		v = YMAP_VAL(m, i);
		if ((f = fix_field(r, k->value)) == -1 || v->kind != Y_SCALAR) {
			*cause =
			    f == -1 ? xasprintf(_("line %d: '%s' is not a field of rule %s"),
			                        k->line, k->value, r->name)
			            : xasprintf(_("line %d: the value of '%s' is one line of text"),
			                        v->line, k->value);
			for (i = 0; i < r->nfields; i++)
				free(vals[i]);
			free(vals);
			return NULL;
		}
		free(vals[f]);
		vals[f] = xstrdup(v->value);
	}
	return vals;
}

/*
 * A correction file's values into run->fixes: "label: value" lines (YAML), or for a rule of one
 * claim per page, "page N:" mappings of them. -1 with *cause.
 */
static int
load_fixes(struct run *run, const char *text, size_t len, char **cause)
{
	const struct rule *r = run->r;
	struct diags d = {0};
	struct ynode *root = ydoc_load_mem(run->base, text, len, &d);
	const struct ynode *m = root;
	unsigned long page = 0;
	size_t i, k, n = 1;
	char *end, **vals;
	const char *key;

	if (root == NULL || d.n > 0) {
		*cause = d.n > 0 ? xasprintf(_("line %d: %s"), d.v[0].line, d.v[0].msg)
		                 : xstrdup(_("the file is empty"));
		diags_free(&d);
		ydoc_free(root);
		return -1;
	}
	if (r->per_page) {
		if (root->kind != Y_MAP || root->n == 0) {
			*cause = xstrdup(_("expected 'page N:' lines, each with lines of "
			                   "'label: value' under it"));
			ydoc_free(root);
			return -1;
		}
		n = root->n;
	}
	run->fixes = xcalloc(n, sizeof *run->fixes);
	for (i = 0; i < n; i++) {
		if (r->per_page) {
			key = YMAP_KEY(root, i)->value;
			if (strncmp(key, "page", 4) == 0)
				key += 4;
			key += strspn(key, " ");
			page = strtoul(key, &end, 10);
			if (*key < '0' || *key > '9' || *end != '\0' || page == 0) {
				*cause =
				    xasprintf(_("line %d: expected 'page N:', not '%s'"),
				              YMAP_KEY(root, i)->line, YMAP_KEY(root, i)->value);
				ydoc_free(root);
				return -1;
			}
			/* Named twice (page 2 and 2), its form would be made twice. */
			for (k = 0; k < run->nfixes; k++)
				if (run->fixes[k].claim == page) {
					*cause = xasprintf(_("line %d: page %lu is named twice"),
					                   YMAP_KEY(root, i)->line, page);
					ydoc_free(root);
					return -1;
				}
			m = YMAP_VAL(root, i);
		}
		if ((vals = load_fixset(r, m, cause)) == NULL) {
			ydoc_free(root);
			return -1;
		}
		run->fixes[run->nfixes].claim = r->per_page ? page : 0;
		run->fixes[run->nfixes++].vals = vals;
	}
	ydoc_free(root);
	return 0;
}

/*
 * A correction file (NAME.fix.txt): the scanned claim NAME waiting in review, read again with
 * the clerk's values for the fields in doubt. The claim stays where it is; the caller moves it
 * out of review once its forms are made (res->corrects).
 */
static int
fix_claim(struct run *run, int fd)
{
	const char *dir = run->o->review_dir != NULL ? run->o->review_dir : run->o->reject_dir;
	struct buf raw = {0};
	struct stat st;
	char *name, *path, *text = NULL, *cause = NULL;
	const char *t;
	size_t bad;
	int rc, ofd;

	name = xstrndup(run->base, strlen(run->base) - strlen(PIPELINE_FIX_SUFFIX));
	run->res->corrects = name;
	/* The outputs go by the claim's name ({_input}), as they would have without doubts. */
	free(run->stem);
	run->stem = stem_of(name);
	if ((rc = read_all(run, fd, &raw)) != 0)
		return rc;
	/* Notepad writes UTF-8, with or without its BOM, or CP932. */
	run->dc = decoder_new(utf8_valid(raw.p, raw.len, NULL) ? ENC_UTF8 : ENC_CP932);
	if (raw.len == 0 || decoder_run(run->dc, raw.p, raw.len, &text, &bad) == -1) {
		free(raw.p);
		free(text);
		return fail_file(run,
		                 xstrdup(raw.len == 0 ? _("the file is empty")
		                                      : _("the file is neither UTF-8 nor CP932 "
		                                          "text")));
	}
	free(raw.p);
	path = xasprintf("%s/%s", dir, name);
	ofd = dir != NULL ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK) : -1;
	free(path);
	if (ofd == -1 || fstat(ofd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (ofd != -1)
			close(ofd);
		free(text);
		return fail_file(run, xasprintf(_("no claim named %s waits in review: a correction "
		                                  "file is named after the claim it corrects, "
		                                  "followed by %s"),
		                                name, PIPELINE_FIX_SUFFIX));
	}
	if ((run->r = text_rule(run, name)) == NULL) {
		close(ofd);
		free(text);
		return fail_file(run, xasprintf(_("no rule for scanned claims takes %s"), name));
	}
	run->res->rule = run->r;
	t = strncmp(text, "\xef\xbb\xbf", 3) == 0 ? text + 3 : text;
	rc = load_fixes(run, t, strlen(t), &cause);
	free(text);
	if (rc == -1) {
		close(ofd);
		return fail_file(run, cause);
	}
	if (hash_fd(ofd, run->res->corrects_sha256, NULL) == -1 || lseek(ofd, 0, SEEK_SET) == -1) {
		rc = io_fail(run, xasprintf("cannot read %s: %s", name, strerror(errno)));
		close(ofd);
		return rc;
	}
	/* The claim is then read as when it was first dropped, with the fixes in run. */
	rc = text_claim(run, ofd);
	close(ofd);
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
	char *cause = NULL, **names = NULL;
	unsigned long nrec;
	int fd = in->fd, rc;

	memset(res, 0, sizeof *res);
	memset(&run, 0, sizeof run);
	run.c = c;
	run.o = o;
	run.res = res;
	run.base = in->name;
	/* The name goes into reasons, records and ledgers, which hold text, not bytes. */
	if (!utf8_valid(run.base, strlen(run.base), NULL))
		run.base = run.base_owned = utf8_repair(run.base);
	run.stem = stem_of(run.base);
	clock_gettime(CLOCK_MONOTONIC, &run.t0);
	run.tlast = run.t0;
	res->size = in->size;
	res->uid = in->uid;
	snprintf(res->sha256, sizeof res->sha256, "%s", in->sha256);
	if (in->refusal != ADMIT_OK) {
		rc = refuse_file(&run,
		                 in->refusal == ADMIT_DUPLICATE || in->refusal == ADMIT_IN_REVIEW
		                     ? OUTCOME_DUPLICATE
		                     : OUTCOME_REJECTED,
		                 xstrdup(in->reason));
		goto out;
	}
	if (strlen(run.base) > strlen(PIPELINE_FIX_SUFFIX) &&
	    strcmp(run.base + strlen(run.base) - strlen(PIPELINE_FIX_SUFFIX),
	           PIPELINE_FIX_SUFFIX) == 0) {
		rc = fix_claim(&run, fd);
		goto out;
	}
	if ((run.r = text_rule(&run, run.base)) != NULL) {
		res->rule = run.r;
		rc = text_claim(&run, fd);
		goto out;
	}
	if (check_structure(fd, &nrec, &cause) == -1) {
		rc = fail_file(&run, cause);
		goto out;
	}
	run.total_rows = nrec - 1;
	if (lseek(fd, 0, SEEK_SET) == -1) {
		rc = fail_file(&run, xasprintf("cannot rewind: %s", strerror(errno)));
		goto out;
	}
	rd = reader_new(fd);
	if (reader_sniff(rd, &sniffed, &cause) == -1 || reader_next(rd, &rec, &cause) != 1) {
		rc = fail_file(&run, cause != NULL ? cause : xstrdup(_("the file is empty")));
		goto out;
	}
	run.hdr = rec;
	export_raw(rec, &run.hdr_raw);
	if ((run.r = choose_rule(&run, sniffed, &names, &cause)) == NULL) {
		rc = fail_file(&run, cause);
		goto out;
	}
	res->rule = run.r;
	rc = mapper_bind(run.r, names, rec->n, &run.bind, &cause);
	names_free(names, rec->n);
	if (rc == -1) {
		rc = fail_file(&run, cause);
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
		rc = fail_file(&run, cause != NULL ? cause : xstrdup("unreadable file"));
		goto out;
	}
	if (rc == ROWS_IO_ERROR || finish(&run, &cause) == -1) {
		rc = io_fail(&run, cause != NULL ? cause : xstrdup("cannot write an output"));
		goto out;
	}
	rc = res->rejected > 0 ? OUTCOME_PARTLY_REJECTED : OUTCOME_PRODUCED;
out:
	/*
	 * Every output is renamed into place; before the caller records them, the renames must be
	 * durable. A failed sync is an I/O error: the file is done again, outputs and all.
	 */
	if (rc != OUTCOME_RETRY && ((run.sync_out && spool_sync_dir(o->out_dir, &cause) == -1) ||
	                       (run.sync_rej && spool_sync_dir(o->reject_dir, &cause) == -1) ||
	                       (run.sync_review && spool_sync_dir(o->review_dir, &cause) == -1)))
		rc = io_fail(&run, cause);
	reader_free(rd);
	run_clear(&run);
	res->outcome = (enum outcome)rc;
	return res->outcome;
}
