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

#include "export.h"
#include "hash.h"
#include "log.h"
#include "mapper.h"
#include "pipeline.h"
#include "render.h"
#include "spool.h"
#include "transform.h"
#include "pdftext.h"
#include "scan.h"
#include "utf8.h"
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
		const char *dot = strrchr(b.p, '.');
		int k = 180;
		char *cut;

		while (k > 0 && ((unsigned char)b.p[k] & 0xc0) == 0x80)
			k--; /* not inside a character */
		cut = xasprintf("%.*s%s", k, b.p, dot != NULL ? dot : "");

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

static int
fail_file(struct run *run, char *cause)
{
	char *err = NULL, *summary;

	run->res->failed = 1;
	run->res->reason = cause;
	if (!run->o->dry_run && run->o->reject_dir != NULL) {
		summary = xasprintf(_("the file was not processed: %s"), cause);
		if (write_reason_file(run, summary, &err) == -1) {
			/* Without its reason the file must not be moved: retry it later. */
			log_err("%s", err);
			free(err);
			run->res->io_error = 1;
		}
		free(summary);
	}
	return 2;
}

/* An output could not be written: the file is not at fault, and nothing is said to the clerk. */
static int
io_fail(struct run *run, char *cause)
{
	run->res->failed = 1;
	run->res->io_error = 1;
	free(run->res->reason); /* a rejection said first no longer stands */
	run->res->reason = cause;
	return 2;
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
		if (run->o->cancelled != NULL && run->o->cancelled(run->o->ctx)) {
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
		if (run->o->on_row != NULL)
			run->o->on_row(run->o->ctx, &m);
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

/* The text rule that takes this file by its name (or the one forced), or NULL. */
static const struct rule *
text_rule(const struct run *run)
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
			if (fnmatch(r->globs[j], run->base, 0) == 0)
				return r;
	}
	return NULL;
}

/*
 * The .review.txt of a text claim that is not sure enough to pay: every field in doubt, what was
 * read and where, so a clerk can compare it with the paper.
 */
static int
write_review(struct run *run, const struct mapped *m, const struct found *found, char **cause)
{
	const char *dir = run->o->review_dir != NULL ? run->o->review_dir : run->o->reject_dir;
	struct buf b = {0};
	char *head, *line;
	size_t i;
	int f, rc;

	head = xasprintf(_("file: %s\nrule: %s\nNo form was made: a person must look at this claim "
	                   "first. Check the fields below against the paper, then drop a corrected "
	                   "file.\n\n"),
	                 run->base, run->r->name);
	for (i = 0; i < m->nerrs; i++) {
		f = m->errs[i].field;
		if (f >= 0 && found[f].value == NULL && run->r->fields[f].after != NULL)
			line = xasprintf(_("%s: not found (looked for the label '%s')\n"),
			                 m->errs[i].message, run->r->fields[f].after);
		else if (f >= 0 && found[f].value == NULL && run->r->fields[f].finder_src != NULL)
			line = xasprintf(_("%s: not found (looked for /%s/)\n"), m->errs[i].message,
			                 run->r->fields[f].finder_src);
		else if (f >= 0 && found[f].line > 0)
			line = xasprintf(_("%s (read on line %d)\n"), m->errs[i].message,
			                 found[f].line);
		else
			line = xasprintf("%s\n", m->errs[i].message);
		buf_add(&b, line, strlen(line));
		free(line);
	}
	rc = write_note(run, dir, ".review.txt", head, &b, cause);
	free(head);
	free(b.p);
	return rc;
}

/*
 * One claim's text (a scanner's OCR output): its fields found by the rule's labels and patterns,
 * then mapped and checked like a CSV row. A claim with any field missing or in doubt makes no
 * form: it goes to review.
 */
static int
text_claim(struct run *run, int fd)
{
	const struct rule *r = run->r;
	struct buf raw = {0};
	struct record rec;
	struct mapped m;
	struct found *found;
	enum encoding enc;
	char chunk[65536], *text = NULL, *cause = NULL;
	const char *t;
	size_t i, bad;
	ssize_t n;
	int rc;

	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_add(&raw, chunk, (size_t)n);
	if (n == -1) {
		free(raw.p);
		return spool_transient(errno)
		           ? io_fail(run,
		                     xasprintf("cannot read %s: %s", run->base, strerror(errno)))
		           : fail_file(run, xasprintf(_("cannot read: %s"), strerror(errno)));
	}
	if (raw.len >= 5 && memcmp(raw.p, "%PDF-", 5) == 0) {
		char *pt = pdf_text(raw.p, raw.len, &cause);

		free(raw.p);
		if (pt == NULL) {
			rc = fail_file(run, xasprintf(_("the PDF cannot be read: %s"), cause));
			free(cause);
			return rc;
		}
		raw.p = pt;
		raw.len = strlen(pt);
		if (raw.len == 0) {
			/* A scan without a text layer: OCR of images is not done yet. */
			free(raw.p);
			return fail_file(run,
			                 xstrdup(_("the PDF has no text layer (a scanned image); "
			                           "formagent does not read images yet")));
		}
	}
	if (raw.len == 0 || memchr(raw.p, '\0', raw.len) != NULL) {
		free(raw.p);
		return fail_file(run, xstrdup(raw.len == 0 ? _("the file is empty")
		                                           : _("the file holds NUL bytes: it is a "
		                                               "binary file, not CSV text")));
	}
	enc = r->encoding != ENC_AUTO            ? r->encoding
	      : utf8_valid(raw.p, raw.len, NULL) ? ENC_UTF8
	                                         : ENC_CP932;
	run->dc = decoder_new(enc);
	if (decoder_run(run->dc, raw.p, raw.len, &text, &bad) == -1) {
		rc =
		    fail_file(run, xasprintf(_("the text has a byte (0x%02x at offset %zu) that is "
		                               "not valid in its encoding (%s)"),
		                             (unsigned char)raw.p[bad], bad, encoding_name(enc)));
		free(raw.p);
		return rc;
	}
	free(raw.p);
	decoder_free(run->dc);
	run->dc = decoder_new(ENC_UTF8); /* the values below are UTF-8 already */
	t = strncmp(text, "\xef\xbb\xbf", 3) == 0 ? text + 3 : text;
	found = scan_find(r, t);
	rec.row = 1;
	rec.n = r->nfields;
	rec.f = xcalloc(r->nfields + 1, sizeof *rec.f);
	run->bind.col = xcalloc(r->nfields + 1, sizeof *run->bind.col);
	run->bind.ncols = r->nfields;
	for (i = 0; i < r->nfields; i++) {
		rec.f[i].p = found[i].value != NULL ? found[i].value : "";
		rec.f[i].len = strlen(rec.f[i].p);
		run->bind.col[i] = i;
	}
	memset(&m, 0, sizeof m);
	mapper_map(r, &run->bind, &rec, run->dc, run->stem, &m);
	run->res->rows = 1;
	if (m.nerrs == 0 && !run->o->dry_run) {
		if ((rc = produce(run, &m, &cause)) == -1) {
			rc = io_fail(run, cause);
			goto out;
		}
		if (rc == 1) { /* a character the import encoding lacks: a person decides */
			mapper_add_error(&m, FIELD_NONE, NULL, NULL, cause);
			cause = NULL;
		}
	}
	preview_row(run, &m);
	if (m.nerrs == 0) {
		run->res->produced = 1;
		if (run->o->on_row != NULL)
			run->o->on_row(run->o->ctx, &m);
		rc = run->o->dry_run || finish(run, &cause) == 0 ? 0 : io_fail(run, cause);
		goto out;
	}
	/* Not sure enough to pay: nothing is produced, and a person looks at it. */
	if (run->o->on_row != NULL)
		run->o->on_row(run->o->ctx, &m); /* what was read goes on record */
	run->res->review = 1;
	run->res->failed = 1;
	free(run->res->reason);
	run->res->reason =
	    xstrdup(_("the claim needs a person to look at it (see its .review.txt)"));
	rc = 4;
	if (!run->o->dry_run && write_review(run, &m, found, &cause) == -1)
		rc = io_fail(run, cause);
out:
	mapped_free(&m);
	found_free(found, r->nfields);
	free(rec.f);
	free(text);
	return rc;
}

int
pipeline_file(const struct config *c, const char *path, const struct pipeline_opts *o,
              struct file_result *res)
{
	struct run run;
	struct reader *rd = NULL;
	const struct record *rec;
	enum encoding sniffed;
	struct stat st;
	char *cause = NULL, **names = NULL;
	const char *slash;
	unsigned long nrec;
	long long max;
	int fd, rc;

	memset(res, 0, sizeof *res);
	memset(&run, 0, sizeof run);
	run.c = c;
	run.o = o;
	run.res = res;
	slash = strrchr(path, '/');
	run.base = o->input_name != NULL ? o->input_name : slash != NULL ? slash + 1 : path;
	/* The name goes into reasons, records and ledgers, which hold text, not bytes. */
	if (!utf8_valid(run.base, strlen(run.base), NULL))
		run.base = run.base_owned = utf8_repair(run.base);
	run.stem = stem_of(run.base);
	clock_gettime(CLOCK_MONOTONIC, &run.t0);
	run.tlast = run.t0;

	/* Only a regular file is read, and never through a symbolic link. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (spool_transient(errno)) {
			rc = io_fail(&run, xasprintf("cannot open %s: %s", path, strerror(errno)));
			goto out;
		}
		rc = fail_file(
		    &run, xasprintf(_("cannot open: %s"),
		                    errno == ELOOP ? _("it is a symbolic link") : strerror(errno)));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		rc = fail_file(&run, xstrdup(_("not a regular file")));
		goto out;
	}
	res->size = (long long)st.st_size;
	res->uid = (unsigned)st.st_uid;
	max = o->max_bytes > 0 ? o->max_bytes : PIPELINE_MAX_BYTES;
	if (st.st_size > max) {
		rc = fail_file(&run,
		               xasprintf(_("the file is %lld bytes, more than the %lld allowed"),
		                         (long long)st.st_size, max));
		goto out;
	}
	if (o->single_link && st.st_nlink > 1) {
		rc = fail_file(&run, xasprintf(_("the file has %lu hard links: a file that is also "
		                                 "elsewhere is not taken"),
		                               (unsigned long)st.st_nlink));
		goto out;
	}
	if (o->input_sha256 != NULL)
		snprintf(res->sha256, sizeof res->sha256, "%s", o->input_sha256);
	else if (hash_fd(fd, res->sha256, NULL) == -1) {
		rc = spool_transient(errno)
		         ? io_fail(&run, xasprintf("cannot read %s: %s", path, strerror(errno)))
		         : fail_file(&run, xasprintf(_("cannot read: %s"), strerror(errno)));
		goto out;
	}
	if ((run.r = text_rule(&run)) != NULL) {
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
		res->cancelled = 1;
		rc = 3; /* run_clear() removes the temporary outputs */
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
	rc = res->rejected > 0 ? 1 : 0;
out:
	/*
	 * Every output is renamed into place; before the caller records them, the renames must be
	 * durable. A failed sync is an I/O error: the file is done again, outputs and all.
	 */
	if (!res->io_error && ((run.sync_out && spool_sync_dir(o->out_dir, &cause) == -1) ||
	                       (run.sync_rej && spool_sync_dir(o->reject_dir, &cause) == -1) ||
	                       (run.sync_review && spool_sync_dir(o->review_dir, &cause) == -1)))
		rc = io_fail(&run, cause);
	reader_free(rd);
	if (fd != -1)
		close(fd);
	run_clear(&run);
	return rc;
}
