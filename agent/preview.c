/*
 * What `process --dry-run` shows of each row (a table, JSON Lines, or one row's form cells), and
 * the progress line of a long file on a terminal. Nothing here writes a file.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mapper.h"
#include "outputs.h"
#include "preview.h"
#include "render.h"
#include "transform.h"
#include "utf8.h"
#include "xmalloc.h"

static void
preview_json(const struct pipeline_opts *o, const char *input, const struct mapped *m)
{
	json_t *obj = json_object(), *fields = json_object(), *errs = json_array(), *e;
	const struct rule *r = m->rule;
	char *iso;
	size_t i;

	json_object_set_new(obj, "input", json_string(input));
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
	json_dumpf(obj, o->preview, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', o->preview);
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
preview_table(const struct pipeline_opts *o, const char *input, const struct mapped *m, int first)
{
	const struct rule *r = m->rule;
	FILE *fp = o->preview;
	char *s;
	size_t i;

	if (first) {
		fprintf(fp, "%s (rule %s)\n", input, r->name);
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
preview_cells(const struct pipeline_opts *o, const char *input, const struct mapped *m)
{
	const struct rule *r = m->rule;
	const struct rule_output *ro = rule_output(r, &form_kind);
	const struct template_out *form = ro != NULL ? ro->conf : NULL;
	const struct template *t = form != NULL ? form->t : NULL;
	FILE *fp = o->preview;
	char addr[32], col[8], *v;
	size_t i;
	int f;

	fprintf(fp, "%s, row %lu (rule %s, form %s):\n", input, m->row, r->name,
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
		if ((f = form->bind[i]) == FIELD_NONE)
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

void
preview_row(const struct pipeline_opts *o, const char *input, const struct mapped *m, int first)
{
	if (!o->dry_run)
		return;
	if (o->json)
		preview_json(o, input, m);
	else if (o->cells)
		preview_cells(o, input, m);
	else
		preview_table(o, input, m, first);
}

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
progress_show(const struct pipeline_opts *o, struct progress *p, const char *input,
              unsigned long rows, int final)
{
	struct timespec now;
	double t, rate, left;

	if (!o->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && elapsed(&p->tlast, &now) < 0.25)
		return;
	p->tlast = now;
	t = elapsed(&p->t0, &now);
	if (final) {
		fputs("\r\033[K", stderr);
		return;
	}
	/* The first pass counted the rows, so the estimate needs no guess at bytes per row. */
	rate = t > 0 ? (double)rows / t : 0;
	left = rate > 0 && p->total > rows ? (double)(p->total - rows) / rate : 0;
	fprintf(stderr, "\r\033[K%s: %lu of %lu rows, %.0f rows/s, %.0f s left", input, rows,
	        p->total, rate, left);
	fflush(stderr);
}
