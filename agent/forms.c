/*
 * The output kinds "form" (one workbook per claim) and "ledger" (one workbook per file, a row per
 * claim): their sections name a template, resolved and bound to the rule's fields when the
 * configuration loads, and their writers hand each claim to render.c.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapper.h"
#include "outputs.h"
#include "render.h"
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

static void
form_resolve(struct rule *r, struct rule_output *ro, struct template *const *t, size_t n,
             const char *dir, struct diags *d)
{
	struct template_out *to = ro->conf;
	size_t i;

	if ((to->t = find_template(r, to, TK_FORM, t, n, dir, d)) == NULL)
		return;
	to->bind = xcalloc(to->t->ncells + 1, sizeof *to->bind);
	for (i = 0; i < to->t->ncells; i++) {
		to->bind[i] = FIELD_NONE;
		if (to->t->cells[i].field == NULL)
			continue;
		if ((to->bind[i] = rule_field(r, to->t->cells[i].field)) == FIELD_NONE)
			diags_add(d, to->t->path, to->t->cells[i].line, to->t->cells[i].col,
			          "the cell shows field '%s', which rule '%s' does not produce",
			          to->t->cells[i].field, r->name);
	}
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

static const char *
sheet_version_file(const struct rule_output *ro)
{
	const struct template_out *to = ro->conf;

	return to->t != NULL ? to->t->path : NULL;
}

/* The claim's date that makes the workbooks' created time, or -1 (see rule.created_field). */
static int64_t
created_day(const struct mapped *m)
{
	int f = m->rule->created_field;

	return f >= 0 && m->v[f].t == V_DATE ? m->v[f].i : -1;
}

/* A form's writer holds nothing between claims: each claim is its own workbook. */
static void *
form_open(struct outputs *o, const struct rule_output *ro)
{
	(void)o;
	return (void *)ro;
}

static int
form_row(void *state, struct outputs *o, const struct mapped *m, char **cause)
{
	const struct rule_output *ro = state;
	int64_t day = created_day(m);
	struct outfile f;
	char *name = outputs_name(&ro->name, m);
	int rc = outputs_begin(&o->out, name, &f, cause);

	free(name);
	if (rc == -1)
		return -1;
	close(f.fd);
	f.fd = -1;
	if (render_form(o->r, ro->conf, m, f.tmppath, o->tmpdir,
	                day >= 0 ? (time_t)(day * 86400) : 0, cause) == -1) {
		out_abort(&f);
		return -1;
	}
	return outputs_commit(o, &o->out, &f, cause);
}

static int
form_close(void *state, struct outputs *o, char **cause)
{
	(void)state;
	(void)o;
	(void)cause;
	return 0;
}

static void
form_abort(void *state)
{
	(void)state;
}

/* One file's ledger: opened with its first claim, whose fields may name it. */
struct ledger_state {
	const struct rule_output *ro;
	struct ledger *l;
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
	char *name;
	int rc;

	if (st->l == NULL) {
		name = outputs_name(&st->ro->name, m);
		rc = outputs_begin(&o->out, name, &st->f, cause);
		free(name);
		if (rc == -1)
			return -1;
		close(st->f.fd);
		st->f.fd = -1;
		st->l = ledger_open(o->r, st->ro->conf, st->f.tmppath, o->tmpdir, o->input, cause);
		if (st->l == NULL) {
			out_abort(&st->f);
			return -1;
		}
	}
	if (ledger_add(st->l, m, cause) == -1)
		return -1;
	if (created_day(m) > st->created)
		st->created = created_day(m);
	return 0;
}

static void
ledger_abort_state(void *state)
{
	struct ledger_state *st = state;

	if (st->l != NULL) {
		ledger_abort(st->l);
		out_abort(&st->f);
	}
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
