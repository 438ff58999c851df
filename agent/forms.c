/*
 * The output kinds "form" (one workbook per claim) and "ledger" (one workbook per file, a row per
 * claim): their sections name a template, resolved and bound to the rule's fields when the
 * configuration loads, and their writers hand each claim to render.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapper.h"
#include "outputs.h"
#include "render.h"
#include "workbook.h"
#include "workers.h"
#include "xmalloc.h"

static const char *const sheet_keys[] = {"template", "name", NULL};

static void
sheet_free(void *conf)
{
	struct template_out *to = conf;

	if (to == NULL)
		return;
	free(to->template);
	free(to->bind);
	free(to);
}

static void *
load_sheet(const char *kind, const struct ynode *o, struct diags *d)
{
	struct template_out *to = xcalloc(1, sizeof *to);
	const struct ynode *v;
	const char *s;

	if ((v = ymap_get(o, "template")) == NULL)
		ydiag(d, o, "the %s output needs 'template'", kind);
	else if (yget_str(v, "template", &s, d) == 0)
		to->template = xstrdup(s);
	return to;
}

static void *
form_load(struct rule *r, const struct ynode *o, struct diags *d)
{
	(void)r;
	return load_sheet("form", o, d);
}

static void *
ledger_load(struct rule *r, const struct ynode *o, struct diags *d)
{
	(void)r;
	return load_sheet("ledger", o, d);
}

/*
 * The template named, of kind want, among t[n]; NULL with the problem in d. A template whose file
 * is in dir but did not load is not reported again: its own problems say why.
 */
static const struct template *
find_template(const struct rule *r, const struct template_out *to, enum tkind want,
              struct template *const *t, size_t n, const char *dir, struct diags *d)
{
	const char *what = want == TK_FORM ? "form" : "ledger";
	char *p;
	size_t i;
	int exists;

	if (to->template == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(t[i]->name, to->template) == 0) {
			if (t[i]->kind == want)
				return t[i];
			diags_add(d, r->path, r->line_outputs, r->col_outputs,
			          "'%s' is a %s template, not a %s", t[i]->name,
			          want == TK_FORM ? "ledger" : "form", what);
			return NULL;
		}
	p = dir != NULL ? xasprintf("%s/%s.yaml", dir, to->template) : NULL;
	exists = p != NULL && access(p, F_OK) == 0;
	free(p);
	if (!exists)
		diags_add(d, r->path, r->line_outputs, r->col_outputs,
		          "rule '%s' names the %s template '%s', which does not exist", r->name,
		          what, to->template);
	return NULL;
}

/* Binds each cell that shows a field to the rule's field of that name. */
static void
bind_cells(struct rule *r, struct template_out *to, struct diags *d)
{
	const struct tcell *c;
	size_t i;

	to->bind = xcalloc(to->t->ncells + 1, sizeof *to->bind);
	for (i = 0; i < to->t->ncells; i++) {
		c = &to->t->cells[i];
		to->bind[i] = FIELD_NONE;
		if (c->field == NULL || (to->bind[i] = rule_field(r, c->field)) != FIELD_NONE)
			continue;
		if (to->t->wb != NULL)
			diags_add(d, c->file, 0, 0, "no field '%s' in rule %s", c->field, r->name);
		else
			diags_add(d, to->t->path, c->line, c->col,
			          "the cell shows field '%s', which rule '%s' does not produce",
			          c->field, r->name);
	}
}

/*
 * An office's form that leaves out a field the rule requires is probably missing a cell: the
 * administrator hears of it, though it is not an error (a form may leave a field to the import
 * file).
 */
static void
warn_unshown(const struct rule *r, const struct template_out *to, struct diags *d)
{
	size_t i, k;

	for (i = 0; i < r->nfields; i++) {
		if (!r->fields[i].required)
			continue;
		for (k = 0; k < to->t->ncells; k++)
			if (to->bind[k] == (int)i)
				break;
		if (k == to->t->ncells)
			diags_warn(d, to->t->path, 0, 0,
			           "rule %s requires field '%s', which no cell of %s shows",
			           r->name, r->fields[i].name,
			           to->t->wb != NULL ? workbook_name(to->t->wb) : "the form");
	}
}

static void
form_resolve(struct rule *r, struct rule_output *ro, struct template *const *t, size_t n,
             const char *dir, struct diags *d)
{
	struct template_out *to = ro->conf;

	if ((to->t = find_template(r, to, TK_FORM, t, n, dir, d)) == NULL)
		return;
	bind_cells(r, to, d);
	if (to->t->wb != NULL)
		warn_unshown(r, to, d);
}

/*
 * A ledger's workbook: its repeated row shows the claims' fields; outside it there is no one
 * claim to show, so only {{_input}}, the file's name.
 */
static void
ledger_resolve_workbook(struct rule *r, struct template_out *to, struct diags *d)
{
	const struct wbplace *p;
	size_t i, n;

	bind_cells(r, to, d);
	p = workbook_places(to->t->wb, &n);
	for (i = 0; i < n && i < to->t->ncells; i++)
		if (!p[i].rows && to->bind[i] != FIELD_NONE && to->bind[i] != FIELD_INPUT)
			diags_add(
			    d, p[i].where, 0, 0,
			    "{{%s}} is outside the repeated row, where no one claim is shown; "
			    "write {{rows.%s}} on that row, or {{_input}} for the file's name",
			    p[i].field, p[i].field);
}

static void
ledger_resolve(struct rule *r, struct rule_output *ro, struct template *const *t, size_t n,
               const char *dir, struct diags *d)
{
	struct template_out *to = ro->conf;
	const struct tcolumn *c;
	size_t i;
	int f;

	if ((to->t = find_template(r, to, TK_LEDGER, t, n, dir, d)) == NULL)
		return;
	if (to->t->wb != NULL) {
		ledger_resolve_workbook(r, to, d);
		return;
	}
	to->bind = xcalloc(to->t->ncolumns + 1, sizeof *to->bind);
	for (i = 0; i < to->t->ncolumns; i++) {
		c = &to->t->columns[i];
		f = to->bind[i] = rule_field(r, c->field);
		if (f == FIELD_NONE)
			diags_add(d, to->t->path, c->line, c->col,
			          "the column shows field '%s', which rule '%s' does not produce",
			          c->field, r->name);
		else if (c->total &&
		         (f < 0 || (r->fields[f].type != FT_INT && r->fields[f].type != FT_YEN)))
			diags_add(d, to->t->path, c->line, c->col,
			          "the column totals field '%s', which is not a number", c->field);
	}
}

/* The template's file, then its workbook's, make part of the rule's version. */
static const char *
sheet_version_file(const struct rule_output *ro, int i)
{
	const struct template_out *to = ro->conf;

	if (to->t == NULL)
		return NULL;
	return i == 0 ? to->t->path : i == 1 ? to->t->workbook : NULL;
}

/* The claim's date that makes the workbooks' created time, or -1 (see rule.created_field). */
static int64_t
created_day(const struct mapped *m)
{
	int f = m->rule->created_field;

	return f >= 0 && m->v[f].t == V_DATE ? m->v[f].i : -1;
}

/*
 * The values of an office's workbook's placeholders for claim m: numbers and dates as numbers,
 * so the workbook's own number formats show them. A ledger's cells outside its repeated row
 * (only {{_input}}) take theirs from the first claim.
 */
void
template_values(const struct template_out *to, const struct mapped *m, struct wbvalue *v)
{
	size_t i;
	int f;

	for (i = 0; i < to->t->ncells; i++) {
		f = to->bind[i];
		v[i] = (struct wbvalue){WB_EMPTY, 0, NULL};
		if (f == FIELD_INPUT)
			v[i] = (struct wbvalue){WB_TEXT, 0, m->input};
		else if (f == FIELD_ROW)
			v[i] = (struct wbvalue){WB_NUMBER, (double)m->row, NULL};
		else if (f >= 0 && m->v[f].t == V_TEXT)
			v[i] = (struct wbvalue){WB_TEXT, 0, m->v[f].s};
		else if (f >= 0 && m->v[f].t == V_INT)
			v[i] = (struct wbvalue){WB_NUMBER, (double)m->v[f].i, NULL};
		else if (f >= 0 && m->v[f].t == V_DATE)
			v[i] = (struct wbvalue){WB_NUMBER, workbook_serial(to->t->wb, m->v[f].i),
			                        NULL};
	}
}

/* Writes claim m's form to path: the office's workbook filled, or the drawn form. */
static int
write_form(const struct outputs *o, const struct template_out *to, const struct mapped *m,
           const char *path, int64_t day, char **cause)
{
	struct wbvalue *v;
	int rc;

	if (to->t->wb == NULL)
		return render_form(o->r, to, m, path, o->tmpdir,
		                   day >= 0 ? (time_t)(day * 86400) : 0, cause);
	v = xcalloc(to->t->ncells + 1, sizeof *v);
	template_values(to, m, v);
	rc = workbook_fill(to->t->wb, v, path, cause);
	free(v);
	return rc;
}

/*
 * A file's forms. Each claim is its own workbook, and workbooks share nothing: with render
 * threads (outputs.render), several are drawn at once while the pipeline maps the next rows,
 * and each is committed in row order once it and every one before it is drawn. So the names
 * (a collision's "-2" goes to the later row), the record's list and every byte are a one-thread
 * run's. A failed drawing fails the file at the next commit, as it would have at its own row.
 */
struct drawing {
	struct form_state *st;
	struct outfile f;
	struct mapped m; /* the claim's own copy: the pipeline reuses its own for the next row */
	int64_t day;
	int rc;
	char *cause;
	int done;
};

struct form_state {
	const struct rule_output *ro;
	const struct outputs *o;
	struct drawing **q; /* drawn or being drawn, oldest first */
	size_t n, cap, ahead;
};

/*
 * One lock and one condition for every file's drawings, never destroyed: a file's state goes as
 * soon as its last drawing is settled, while the thread that drew it may still be leaving the
 * lock. Each waiter looks at its own drawing's done.
 */
static pthread_mutex_t draw_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t drawn = PTHREAD_COND_INITIALIZER;

static void *
form_open(struct outputs *o, const struct rule_output *ro)
{
	struct form_state *st = xcalloc(1, sizeof *st);

	st->ro = ro;
	st->o = o;
	/* Enough drawings ahead to keep every thread busy while the oldest is committed. */
	st->ahead = o->render != NULL ? 2 * (size_t)workers_count(o->render) : 0;
	return st;
}

/* On a render thread. */
static void
draw(void *arg, unsigned slot)
{
	struct drawing *d = arg;
	struct form_state *st = d->st;
	char *cause = NULL;
	int rc;

	(void)slot;
	rc = write_form(st->o, st->ro->conf, &d->m, d->f.tmppath, d->day, &cause);
	pthread_mutex_lock(&draw_lock);
	d->rc = rc;
	d->cause = cause;
	d->done = 1;
	pthread_cond_broadcast(&drawn);
	pthread_mutex_unlock(&draw_lock);
}

/* Waits for the oldest drawing; commits it with keep, else removes it. 0, or -1 with *cause. */
static int
settle_oldest(struct form_state *st, struct outputs *o, int keep, char **cause)
{
	struct drawing *d = st->q[0];
	int rc = 0;

	pthread_mutex_lock(&draw_lock);
	while (!d->done)
		pthread_cond_wait(&drawn, &draw_lock);
	pthread_mutex_unlock(&draw_lock);
	memmove(st->q, st->q + 1, --st->n * sizeof *st->q);
	if (keep && d->rc == 0)
		rc = outputs_commit(o, &o->out, &d->f, cause);
	else {
		out_abort(&d->f);
		if (keep) {
			*cause = d->cause;
			d->cause = NULL;
			rc = -1;
		}
	}
	mapped_free(&d->m);
	free(d->cause);
	free(d);
	return rc;
}

static int
form_row(void *state, struct outputs *o, const struct mapped *m, char **cause)
{
	struct form_state *st = state;
	struct drawing *d;
	struct outfile f;
	char *name = outputs_name(&st->ro->name, m);
	int rc = outputs_begin(&o->out, name, &f, cause);

	free(name);
	if (rc == -1)
		return -1;
	close(f.fd);
	f.fd = -1;
	if (o->render == NULL) {
		if (write_form(o, st->ro->conf, m, f.tmppath, created_day(m), cause) == -1) {
			out_abort(&f);
			return -1;
		}
		return outputs_commit(o, &o->out, &f, cause);
	}
	d = xcalloc(1, sizeof *d);
	d->st = st;
	d->f = f;
	d->day = created_day(m);
	mapped_copy(&d->m, m);
	xgrow(&st->q, &st->cap, st->n, sizeof *st->q);
	st->q[st->n++] = d;
	workers_run(o->render, draw, d);
	while (st->n > st->ahead)
		if (settle_oldest(st, o, 1, cause) == -1)
			return -1;
	return 0;
}

static void
form_free(struct form_state *st)
{
	free(st->q);
	free(st);
}

static void
form_abort(void *state)
{
	struct form_state *st = state;

	while (st->n > 0)
		settle_oldest(st, NULL, 0, NULL);
	form_free(st);
}

static int
form_flush(void *state, struct outputs *o, char **cause)
{
	struct form_state *st = state;

	while (st->n > 0)
		if (settle_oldest(st, o, 1, cause) == -1)
			return -1; /* the rest are removed by form_abort() */
	return 0;
}

static int
form_close(void *state, struct outputs *o, char **cause)
{
	int rc = form_flush(state, o, cause);

	if (rc == 0)
		form_free(state);
	else
		form_abort(state);
	return rc;
}

/* One file's ledger: opened with its first claim, whose fields may name it. */
struct ledger_state {
	const struct rule_output *ro;
	struct ledger *l;    /* a drawn ledger, or */
	struct wbledger *wl; /* an office's workbook */
	struct wbvalue *v;   /* its placeholders' values for the claim at hand */
	struct outfile f;
	int64_t created; /* the latest claim's date: the workbook's created time; -1: none */
};

static void *
ledger_open_state(struct outputs *o, const struct rule_output *ro)
{
	struct ledger_state *st = xcalloc(1, sizeof *st);

	(void)o;
	st->ro = ro;
	st->created = -1;
	return st;
}

static int
ledger_row(void *state, struct outputs *o, const struct mapped *m, char **cause)
{
	struct ledger_state *st = state;
	const struct template_out *to = st->ro->conf;
	char *name;
	int rc;

	if (st->l == NULL && st->wl == NULL) {
		name = outputs_name(&st->ro->name, m);
		rc = outputs_begin(&o->out, name, &st->f, cause);
		free(name);
		if (rc == -1)
			return -1;
		close(st->f.fd);
		st->f.fd = -1;
		if (to->t->wb != NULL) {
			st->v = xcalloc(to->t->ncells + 1, sizeof *st->v);
			template_values(to, m, st->v);
			st->wl = wbledger_open(to->t->wb, st->v, o->tmpdir, cause);
		} else
			st->l = ledger_open(o->r, to, st->f.tmppath, o->tmpdir, o->input, cause);
		if (st->l == NULL && st->wl == NULL) {
			out_abort(&st->f);
			return -1;
		}
	}
	if (st->wl != NULL) {
		template_values(to, m, st->v);
		if (wbledger_add(st->wl, st->v, cause) == -1)
			return -1;
	} else if (ledger_add(st->l, m, cause) == -1)
		return -1;
	if (created_day(m) > st->created)
		st->created = created_day(m);
	return 0;
}

static void
ledger_abort_state(void *state)
{
	struct ledger_state *st = state;

	if (st->l != NULL || st->wl != NULL) {
		ledger_abort(st->l);
		wbledger_free(st->wl);
		out_abort(&st->f);
	}
	free(st->v);
	free(st);
}

static int
ledger_close_state(void *state, struct outputs *o, char **cause)
{
	struct ledger_state *st = state;
	const struct template_out *to = st->ro->conf;
	struct ledger *l = st->l;
	size_t i;
	int rc;

	if (st->wl != NULL) {
		rc = wbledger_write(st->wl, st->f.tmppath, cause);
		wbledger_free(st->wl);
		st->wl = NULL;
		if (rc == -1)
			out_abort(&st->f);
		else
			rc = outputs_commit(o, &o->out, &st->f, cause);
		free(st->v);
		free(st);
		return rc;
	}
	if (l == NULL) {
		free(st);
		return 0;
	}
	st->l = NULL;
	for (i = 0; i < to->t->ncolumns; i++)
		if (to->t->columns[i].total) {
			o->total = ledger_total(l, (int)i);
			break;
		}
	/* ledger_close() frees l either way. */
	if ((rc = ledger_close(l, st->created >= 0 ? (time_t)(st->created * 86400) : 0, cause)) ==
	    -1)
		out_abort(&st->f); /* its temporary file, written or not */
	else
		rc = outputs_commit(o, &o->out, &st->f, cause);
	free(st);
	return rc;
}

const struct output_kind form_kind = {
    .key = "form",
    .keys = sheet_keys,
    .ext = ".xlsx",
    .example = "RULE-{case_no}.xlsx",
    .load = form_load,
    .resolve = form_resolve,
    .version_file = sheet_version_file,
    .free = sheet_free,
    .open = form_open,
    .row = form_row,
    .close = form_close,
    .abort = form_abort,
    .flush = form_flush,
};

const struct output_kind ledger_kind = {
    .key = "ledger",
    .keys = sheet_keys,
    .ext = ".xlsx",
    .example = "{_input}.ledger.xlsx",
    .load = ledger_load,
    .resolve = ledger_resolve,
    .version_file = sheet_version_file,
    .free = sheet_free,
    .open = ledger_open_state,
    .row = ledger_row,
    .close = ledger_close_state,
    .abort = ledger_abort_state,
};
