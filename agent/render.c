/*
 * Drawing forms and ledgers with libxlsxwriter. libxlsxwriter's lxw_error (0 for success) stops
 * here: callers see 0 / -1 and a cause. Dates are written as Excel serial numbers under the
 * template's number format (`[$-411]ggge"年"m"月"d"日"` shows 令和6年4月1日 in Excel and
 * LibreOffice), or as 和暦 text where a cell asks for it (元年 needs text: DOMAIN.md).
 */
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "render.h"
#include "transform.h"
#include "xlsxcheck.h"
#include "xmalloc.h"

/* A fixed date for workbooks whose rule names no creation date: still reproducible. */
#define DEFAULT_CREATED ((time_t)946684800) /* 2000-01-01T00:00:00Z */

static uint8_t
border_of(enum tborder b)
{
	switch (b) {
	case TB_THIN:
		return LXW_BORDER_THIN;
	case TB_MEDIUM:
		return LXW_BORDER_MEDIUM;
	case TB_THICK:
		return LXW_BORDER_THICK;
	case TB_DOUBLE:
		return LXW_BORDER_DOUBLE;
	case TB_HAIR:
		return LXW_BORDER_HAIR;
	case TB_DOTTED:
		return LXW_BORDER_DOTTED;
	default:
		return LXW_BORDER_NONE;
	}
}

/* One lxw_format per template style, plus a plain one in the template's font. */
static lxw_format **
make_formats(lxw_workbook *wb, const struct template *t, lxw_format **plain)
{
	lxw_format **f = xcalloc(t->nstyles + 1, sizeof *f);
	const struct tstyle *s;
	size_t i;

	*plain = workbook_add_format(wb);
	format_set_font_name(*plain, t->font);
	format_set_font_size(*plain, t->font_size);
	for (i = 0; i < t->nstyles; i++) {
		s = &t->styles[i];
		f[i] = workbook_add_format(wb);
		format_set_font_name(f[i], s->font != NULL ? s->font : t->font);
		format_set_font_size(f[i], s->size > 0 ? s->size : t->font_size);
		if (s->bold)
			format_set_bold(f[i]);
		if (s->italic)
			format_set_italic(f[i]);
		if (s->underline)
			format_set_underline(f[i], LXW_UNDERLINE_SINGLE);
		if (s->wrap)
			format_set_text_wrap(f[i]);
		if (s->shrink)
			format_set_shrink(f[i]);
		if (s->border != TB_NONE)
			format_set_border(f[i], border_of(s->border));
		if (s->align == TA_LEFT)
			format_set_align(f[i], LXW_ALIGN_LEFT);
		else if (s->align == TA_CENTER)
			format_set_align(f[i], LXW_ALIGN_CENTER);
		else if (s->align == TA_RIGHT)
			format_set_align(f[i], LXW_ALIGN_RIGHT);
		if (s->valign == TA_TOP)
			format_set_align(f[i], LXW_ALIGN_VERTICAL_TOP);
		else if (s->valign == TA_CENTER)
			format_set_align(f[i], LXW_ALIGN_VERTICAL_CENTER);
		else if (s->valign == TA_BOTTOM)
			format_set_align(f[i], LXW_ALIGN_VERTICAL_BOTTOM);
		if (s->num_format != NULL)
			format_set_num_format(f[i], s->num_format);
		if (s->has_fill) {
			format_set_pattern(f[i], LXW_PATTERN_SOLID);
			format_set_bg_color(f[i], s->fill);
		}
		if (s->has_color)
			format_set_font_color(f[i], s->color);
		if (s->indent > 0)
			format_set_indent(f[i], (uint8_t)s->indent);
	}
	return f;
}

static void
page_setup(lxw_worksheet *ws, const struct template *t)
{
	size_t i;

	worksheet_set_paper(ws, (uint8_t)t->paper);
	if (t->landscape)
		worksheet_set_landscape(ws);
	else
		worksheet_set_portrait(ws);
	worksheet_set_margins(ws, t->margin[2], t->margin[3], t->margin[0], t->margin[1]);
	if (t->fit_width)
		worksheet_fit_to_pages(ws, 1, 0);
	worksheet_center_horizontally(ws);
	for (i = 0; i < t->ncol_width; i++)
		if (t->col_width[i] > 0)
			worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, t->col_width[i], NULL);
	for (i = 0; i < t->nrow_height; i++)
		if (t->row_height[i] > 0)
			worksheet_set_row(ws, (lxw_row_t)i, t->row_height[i], NULL);
}

static void
set_created(lxw_workbook *wb, const struct rule *r, time_t created)
{
	lxw_doc_properties p;

	memset(&p, 0, sizeof p);
	p.title = r->title;
	p.created = created != 0 ? created : DEFAULT_CREATED;
	workbook_set_properties(wb, &p);
}

/* Writes one value into a cell; strings always as strings, so "=..." never becomes a formula. */
static lxw_error
put(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const struct mapped *m, int field, enum tas as,
    int gannen, lxw_format *fmt)
{
	const struct value *v;
	char *s;
	lxw_error e;

	if (field == FIELD_ROW)
		return worksheet_write_number(ws, row, col, (double)m->row, fmt);
	if (field == FIELD_INPUT)
		return worksheet_write_string(ws, row, col, m->input, fmt);
	v = &m->v[field];
	switch (v->t) {
	case V_TEXT:
		return worksheet_write_string(ws, row, col, v->s, fmt);
	case V_INT:
		if (as == AS_TEXT) {
			s = xasprintf("%lld", (long long)v->i);
			e = worksheet_write_string(ws, row, col, s, fmt);
			free(s);
			return e;
		}
		return worksheet_write_number(ws, row, col, (double)v->i, fmt);
	case V_DATE:
		if (as == AS_AUTO)
			return worksheet_write_number(ws, row, col, tf_excel_serial(v->i), fmt);
		s = as == AS_ISO ? tf_iso(v->i) : tf_wareki(m->rule->eras, v->i, gannen);
		if (s == NULL)
			s = tf_iso(v->i);
		e = worksheet_write_string(ws, row, col, s, fmt);
		free(s);
		return e;
	default:
		return worksheet_write_blank(ws, row, col, fmt);
	}
}

static int
lxw_fail(lxw_error e, const char *what, char **cause)
{
	*cause = xasprintf("%s: %s", what, lxw_strerror(e));
	return -1;
}

int
render_form(const struct rule *r, const struct mapped *m, const char *path, const char *tmpdir,
            time_t created, char **cause)
{
	const struct template *t = r->form;
	lxw_workbook_options opt = {0, (char *)tmpdir, 0};
	const struct tcell *c;
	lxw_format **fmts, *plain, *f, *box;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_error e = LXW_NO_ERROR;
	size_t i;

	if ((wb = workbook_new_opt(path, &opt)) == NULL) {
		*cause = xasprintf("cannot create the workbook %s", path);
		return -1;
	}
	set_created(wb, r, created);
	ws = workbook_add_worksheet(wb, t->sheet);
	fmts = make_formats(wb, t, &plain);
	page_setup(ws, t);
	for (i = 0; i < t->ncells && e == LXW_NO_ERROR; i++) {
		c = &t->cells[i];
		f = c->style >= 0 ? fmts[c->style] : plain;
		if (c->r2 > c->r1 || c->c2 > c->c1)
			e = worksheet_merge_range(ws, (lxw_row_t)c->r1, (lxw_col_t)c->c1,
			                          (lxw_row_t)c->r2, (lxw_col_t)c->c2, "", f);
		if (e != LXW_NO_ERROR)
			break;
		if (c->text != NULL)
			e = worksheet_write_string(ws, (lxw_row_t)c->r1, (lxw_col_t)c->c1, c->text,
			                           f);
		else if (r->form_bind[i] != FIELD_NONE)
			e = put(ws, (lxw_row_t)c->r1, (lxw_col_t)c->c1, m, r->form_bind[i], c->as,
			        c->gannen, f);
		else if (c->r2 == c->r1 && c->c2 == c->c1)
			e = worksheet_write_blank(ws, (lxw_row_t)c->r1, (lxw_col_t)c->c1, f);
	}
	if (e == LXW_NO_ERROR && t->has_approval) {
		box = t->appr_style >= 0 ? fmts[t->appr_style] : NULL;
		if (box == NULL) {
			box = workbook_add_format(wb);
			format_set_font_name(box, t->font);
			format_set_font_size(box, t->font_size);
			format_set_border(box, LXW_BORDER_THIN);
			format_set_align(box, LXW_ALIGN_CENTER);
			format_set_align(box, LXW_ALIGN_VERTICAL_CENTER);
		}
		for (i = 0; i < t->nappr && e == LXW_NO_ERROR; i++) {
			e = worksheet_write_string(ws, (lxw_row_t)t->appr_r,
			                           (lxw_col_t)(t->appr_c + (int)i),
			                           t->appr_labels[i], box);
			if (e == LXW_NO_ERROR)
				e = worksheet_write_blank(ws, (lxw_row_t)t->appr_r + 1,
				                          (lxw_col_t)(t->appr_c + (int)i), box);
		}
		if (e == LXW_NO_ERROR)
			worksheet_set_row(ws, (lxw_row_t)t->appr_r + 1, t->appr_height, NULL);
	}
	free(fmts);
	if (e != LXW_NO_ERROR) {
		workbook_close(wb);
		return lxw_fail(e, "cannot fill the form", cause);
	}
	if ((e = workbook_close(wb)) != LXW_NO_ERROR)
		return lxw_fail(e, "cannot write the form", cause);
	return xlsx_check(path, cause);
}

struct ledger {
	const struct rule *r;
	char *path;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format **fmts, *plain;
	lxw_row_t row;   /* the next row to write */
	lxw_row_t first; /* the first claim row */
	int64_t *totals;
	int overflow;
};

struct ledger *
ledger_open(const struct rule *r, const char *path, const char *tmpdir, const char *input_name,
            char **cause)
{
	const struct template *t = r->ledger;
	lxw_workbook_options opt = {1, (char *)tmpdir, 0};
	struct ledger *l;
	size_t i;
	char *s;

	l = xcalloc(1, sizeof *l);
	l->r = r;
	if ((l->wb = workbook_new_opt(path, &opt)) == NULL) {
		*cause = xasprintf("cannot create the workbook %s", path);
		free(l);
		return NULL;
	}
	l->path = xstrdup(path);
	l->ws = workbook_add_worksheet(l->wb, t->sheet);
	l->fmts = make_formats(l->wb, t, &l->plain);
	l->totals = xcalloc(t->ncolumns + 1, sizeof *l->totals);
	page_setup(l->ws, t);
	for (i = 0; i < t->ncolumns; i++)
		if (t->columns[i].width > 0)
			worksheet_set_column(l->ws, (lxw_col_t)i, (lxw_col_t)i, t->columns[i].width,
			                     NULL);
	/* Rows in order, as constant-memory mode requires: title, source, header. */
	worksheet_write_string(l->ws, 0, 0, t->title != NULL ? t->title : r->title,
	                       t->title_style >= 0 ? l->fmts[t->title_style] : l->plain);
	s = xasprintf("%s: %s", r->title, input_name);
	worksheet_write_string(l->ws, 1, 0, s, l->plain);
	free(s);
	for (i = 0; i < t->ncolumns; i++)
		worksheet_write_string(l->ws, 2, (lxw_col_t)i, t->columns[i].header,
		                       t->header_style >= 0 ? l->fmts[t->header_style] : l->plain);
	worksheet_freeze_panes(l->ws, 3, 0);
	worksheet_repeat_rows(l->ws, 2, 2);
	l->row = l->first = 3;
	return l;
}

int
ledger_add(struct ledger *l, const struct mapped *m, char **cause)
{
	const struct template *t = l->r->ledger;
	const struct tcolumn *c;
	lxw_error e = LXW_NO_ERROR;
	int f;
	size_t i;

	for (i = 0; i < t->ncolumns && e == LXW_NO_ERROR; i++) {
		c = &t->columns[i];
		f = l->r->ledger_bind[i];
		e = put(l->ws, l->row, (lxw_col_t)i, m, f, c->as, c->gannen,
		        c->style >= 0 ? l->fmts[c->style] : l->plain);
		if (c->total && f >= 0 && m->v[f].t == V_INT &&
		    __builtin_add_overflow(l->totals[i], m->v[f].i, &l->totals[i]))
			l->overflow = 1;
	}
	if (e != LXW_NO_ERROR)
		return lxw_fail(e, "cannot add a row to the ledger", cause);
	l->row++;
	return 0;
}

int
ledger_close(struct ledger *l, time_t created, char **cause)
{
	const struct template *t = l->r->ledger;
	lxw_format *tf = t->total_style >= 0 ? l->fmts[t->total_style] : l->plain;
	char from[8], *formula;
	lxw_error e = LXW_NO_ERROR;
	size_t i;
	int rc = 0;

	if (l->overflow) {
		*cause = xstrdup("the ledger's total is too large to compute");
		ledger_abort(l);
		return -1;
	}
	for (i = 0; i < t->ncolumns && e == LXW_NO_ERROR; i++) {
		if (t->columns[i].total) {
			col_name((int)i, from);
			/* The cached result makes the total show without a recalculation. */
			formula = xasprintf("=SUM(%s%u:%s%u)", from, l->first + 1, from, l->row);
			e = worksheet_write_formula_num(
			    l->ws, l->row, (lxw_col_t)i, formula,
			    t->columns[i].style >= 0 ? l->fmts[t->columns[i].style] : tf,
			    (double)l->totals[i]);
			free(formula);
		} else if (i == 0)
			e = worksheet_write_string(
			    l->ws, l->row, 0, t->total_label != NULL ? t->total_label : "合計", tf);
		else
			e = worksheet_write_blank(l->ws, l->row, (lxw_col_t)i, tf);
	}
	set_created(l->wb, l->r, created);
	if (e != LXW_NO_ERROR)
		rc = lxw_fail(e, "cannot write the ledger's total", cause);
	if ((e = workbook_close(l->wb)) != LXW_NO_ERROR && rc == 0)
		rc = lxw_fail(e, "cannot write the ledger", cause);
	if (rc == 0)
		rc = xlsx_check(l->path, cause);
	free(l->path);
	free(l->fmts);
	free(l->totals);
	free(l);
	return rc;
}

void
ledger_abort(struct ledger *l)
{
	if (l == NULL)
		return;
	workbook_close(l->wb);
	free(l->path);
	free(l->fmts);
	free(l->totals);
	free(l);
}

int64_t
ledger_total(const struct ledger *l, int column)
{
	return l->totals[column];
}
