/*
 * Drawing forms and ledgers with libxlsxwriter. libxlsxwriter's lxw_error (0 for success) stops
 * here: callers see 0 / -1 and a cause. Dates are written as Excel serial numbers under the
 * template's number format (`[$-411]ggge"年"m"月"d"日"` shows 令和6年4月1日 in Excel and
 * LibreOffice), or as 和暦 text where a cell asks for it (元年 needs text: DOMAIN.md).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

#include <unicode/uchar.h>

#include "buf.h"
#include "render.h"
#include "transform.h"
#include "utf8.h"
#include "xlsxcheck.h"
#include "xmalloc.h"

/*
 * libxlsxwriter 1.1 writes a workbook's dates (docProps/core.xml) through gmtime(), whose result
 * glibc keeps in one buffer for every thread: two forms closed at once on two workers swapped
 * their created dates. The dynamic linker gives libxlsxwriter this definition before glibc's,
 * and it keeps one buffer per thread (test_e2e's test_forms_drawn_at_once caught the swap).
 * helgrind also names libxlsxwriter's scratch-file namer (tmpfileplus: an unlocked seed for
 * rand()); that race is benign, since a name taken twice fails O_EXCL and is drawn again.
 */
struct tm *
gmtime(const time_t *t)
{
	static __thread struct tm tm;

	return gmtime_r(t, &tm);
}

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

/*
 * One lxw_format per template style, plus a plain one in the template's font; with wrap, each
 * wraps its text (a ledger's long values). Caller frees the array; the formats are the workbook's.
 */
static lxw_format **
make_formats(lxw_workbook *wb, const struct template *t, int wrap, lxw_format **plain)
{
	lxw_format **f = xcalloc(t->nstyles + 1, sizeof *f);
	const struct tstyle *s;
	size_t i;

	*plain = workbook_add_format(wb);
	format_set_font_name(*plain, t->font);
	format_set_font_size(*plain, t->font_size);
	if (wrap)
		format_set_text_wrap(*plain);
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
		if (s->wrap || wrap)
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

/*
 * The text a value is written as, when it is written as text: a string, a date asked for as 和暦
 * or ISO text, a number asked for as text. NULL when it is written as a number (or is empty);
 * *num then holds the number. A text made here is also put in *made, for the caller to free;
 * else *made is NULL and the text is the claim's own.
 */
static const char *
cell_text(const struct mapped *m, int field, enum tas as, int gannen, double *num, char **made)
{
	const struct value *v;

	*num = 0;
	*made = NULL;
	if (field == FIELD_ROW) {
		*num = (double)m->row;
		return NULL;
	}
	if (field == FIELD_INPUT)
		return m->input;
	v = &m->v[field];
	switch (v->t) {
	case V_TEXT:
		return v->s;
	case V_INT:
		if (as == AS_TEXT)
			return *made = xasprintf("%lld", (long long)v->i);
		*num = (double)v->i;
		return NULL;
	case V_DATE:
		if (as == AS_AUTO) {
			*num = tf_excel_serial(v->i);
			return NULL;
		}
		*made = as == AS_ISO ? tf_iso(v->i) : tf_wareki(m->rule->eras, v->i, gannen);
		if (*made == NULL)
			*made = tf_iso(v->i);
		return *made;
	default:
		return NULL;
	}
}

/* Whether the value is written as a number (a date's serial included) rather than left empty. */
static int
is_number(const struct mapped *m, int field)
{
	return field == FIELD_ROW ||
	       (field >= 0 && (m->v[field].t == V_INT || m->v[field].t == V_DATE));
}

/*
 * Writes a value as cell_text() gave it: text always as a string, so "=..." never becomes a
 * formula; else the number, or an empty cell.
 */
static lxw_error
put_value(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const struct mapped *m, int field,
          const char *text, double num, lxw_format *fmt)
{
	if (text != NULL)
		return worksheet_write_string(ws, row, col, text, fmt);
	if (is_number(m, field))
		return worksheet_write_number(ws, row, col, num, fmt);
	return worksheet_write_blank(ws, row, col, fmt);
}

/* Writes one value into a cell. */
static lxw_error
put(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const struct mapped *m, int field, enum tas as,
    int gannen, lxw_format *fmt)
{
	double num;
	char *made;
	const char *s = cell_text(m, field, as, gannen, &num, &made);
	lxw_error e = put_value(ws, row, col, m, field, s, num, fmt);

	free(made);
	return e;
}

/*
 * How wide a ledger column must be to show a text, in Excel's unit (a column's width counts
 * digits of the workbook's default font, Calibri 11; templates/fonts.conf prints it in Carlito,
 * which has Calibri's metrics). The estimate comes from each character's Unicode East Asian width
 * (ICU), never from a font on this machine, so the same claims give the same workbook bytes
 * everywhere: a wide character (kanji, kana, full-width forms) takes one em of the cell's font,
 * any other at most NARROW_EM of one (a digit of IPAPGothic, which MS PGothic prints in, is half
 * an em). EXCEL_UNIT_PT is what one unit measured as printed by LibreOffice (a 10 pt kanji takes
 * 1.66 units: 6.0 pt), a little less so that the estimate errs wide. CELL_PAD covers the cell's own
 * margins; an indent level is INDENT_UNITS more.
 */
#define EXCEL_UNIT_PT 5.8
#define NARROW_EM     0.6
#define CELL_PAD      1.5
#define INDENT_UNITS  2.0
/* A text column grows to this times its template width; a longer value wraps inside it. */
#define WRAP_GROWTH 1.5
/* A wrapped row: each line one LINE_EM of the largest font, and ROW_PAD_PT for the margins. */
#define LINE_EM    1.3
#define ROW_PAD_PT 3.0
/* The width of a column the template gives none: Excel's default. */
#define DEFAULT_UNITS 8.43

double
render_units(const char *s, double size_pt, int indent)
{
	double em = 0;
	size_t n = strlen(s), i = 0, k;
	uint32_t cp;
	int w;

	while (i < n) {
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0) {
			i++;
			em += NARROW_EM;
			continue;
		}
		i += k;
		w = u_getIntPropertyValue((UChar32)cp, UCHAR_EAST_ASIAN_WIDTH);
		em += w == U_EA_WIDE || w == U_EA_FULLWIDTH ? 1.0 : NARROW_EM;
	}
	return em * size_pt / EXCEL_UNIT_PT + CELL_PAD + indent * INDENT_UNITS;
}

/*
 * The text a number shows under the number format fmt, near enough to size its column: digits
 * grouped when the format groups them, with the format's quoted literals ("円", "回"); a date as
 * 和暦 when the format is an era format, else as ISO. Caller frees.
 */
static char *
number_shown(const struct mapped *m, int field, double num, const char *fmt)
{
	struct buf b = {0};
	const char *p, *q;
	char *s;

	if (field >= 0 && m->v[field].t == V_DATE) {
		s = fmt != NULL && strstr(fmt, "ggg") != NULL
		        ? tf_wareki(m->rule->eras, m->v[field].i, 0)
		        : NULL;
		if (s == NULL)
			s = tf_iso(m->v[field].i);
		return s;
	}
	s = fmt != NULL && strchr(fmt, ',') != NULL ? tf_group((int64_t)num)
	                                            : xasprintf("%lld", (long long)num);
	buf_add(&b, s, strlen(s));
	free(s);
	for (p = fmt; p != NULL && (p = strchr(p, '"')) != NULL; p = q + 1) {
		if ((q = strchr(p + 1, '"')) == NULL)
			break;
		buf_add(&b, p + 1, (size_t)(q - p - 1));
	}
	buf_add(&b, "", 1);
	return b.p;
}

/* The width a cell in style (an index into t's styles, or -1) needs to show s whole. */
static double
units_needed(const struct template *t, int style, const char *s)
{
	const struct tstyle *st = style >= 0 ? &t->styles[style] : NULL;
	double size = st != NULL && st->size > 0 ? st->size : t->font_size;

	return render_units(s, size, st != NULL ? st->indent : 0);
}

static int
lxw_fail(lxw_error e, const char *what, char **cause)
{
	*cause = xasprintf("%s: %s", what, lxw_strerror(e));
	return -1;
}

/* Draws claim m's form on ws, a sheet of wb, in the template's formats fmts and plain. */
static lxw_error
draw_form(lxw_workbook *wb, lxw_worksheet *ws, const struct template_out *form,
          const struct mapped *m, lxw_format **fmts, lxw_format *plain)
{
	const struct template *t = form->t;
	const struct tcell *c;
	lxw_format *f, *box;
	lxw_error e = LXW_NO_ERROR;
	size_t i;

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
		else if (form->bind[i] != FIELD_NONE)
			e = put(ws, (lxw_row_t)c->r1, (lxw_col_t)c->c1, m, form->bind[i], c->as,
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
	return e;
}

int
render_form(const struct rule *r, const struct template_out *form, const struct mapped *m,
            const char *path, const char *tmpdir, time_t created, char **cause)
{
	lxw_workbook_options opt = {0, (char *)tmpdir, 0};
	lxw_format **fmts, *plain;
	lxw_workbook *wb;
	lxw_error e;

	if ((wb = workbook_new_opt(path, &opt)) == NULL) {
		*cause = xasprintf("cannot create the workbook %s", path);
		return -1;
	}
	set_created(wb, r, created);
	fmts = make_formats(wb, form->t, 0, &plain);
	e = draw_form(wb, workbook_add_worksheet(wb, form->t->sheet), form, m, fmts, plain);
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
	const struct template_out *lo;
	char *path;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format **fmts, *plain;
	lxw_format **wraps, *wrap_plain; /* the same styles, wrapping a value too long to fit */
	double *width;                   /* per column: what its values need so far */
	struct lcell {                   /* per column: the row being added */
		const char *text;        /* as cell_text() gives it */
		char *made;
		double num;
		lxw_format *fmt;
	} * cells;
	int own;         /* wb is the ledger's own (else a batch's, which closes it) */
	lxw_row_t row;   /* the next row to write */
	lxw_row_t first; /* the first claim row */
	int64_t *totals;
	int overflow;
};

/* The widest a column of the template may grow for text before its values wrap. */
static double
wrap_at(const struct template *t, size_t i)
{
	return (t->columns[i].width > 0 ? t->columns[i].width : DEFAULT_UNITS) * WRAP_GROWTH;
}

/*
 * Widens column i to show text in style whole, or, for text too long, wraps it: the format, and
 * in *lines the lines the value then takes.
 */
static lxw_format *
fit(struct ledger *l, size_t i, int style, const char *shown, int is_text, int *lines)
{
	const struct template *t = l->lo->t;
	double need = units_needed(t, style, shown), at = wrap_at(t, i);

	*lines = 1;
	if (is_text && need > at) {
		/* Broken anywhere, as Japanese text is: the lines the text fills at that width. */
		*lines = (int)((need - CELL_PAD) / (at - CELL_PAD)) + 1;
		need = at;
	}
	if (need > l->width[i])
		l->width[i] = need;
	if (*lines > 1)
		return style >= 0 ? l->wraps[style] : l->wrap_plain;
	return style >= 0 ? l->fmts[style] : l->plain;
}

/* Starts the ledger's sheet, named sheet, in wb. */
static struct ledger *
ledger_in(const struct rule *r, const struct template_out *lo, lxw_workbook *wb, const char *sheet,
          const char *input_name)
{
	const struct template *t = lo->t;
	struct ledger *l;
	size_t i;
	char *s;
	int lines;

	l = xcalloc(1, sizeof *l);
	l->r = r;
	l->lo = lo;
	l->wb = wb;
	l->ws = workbook_add_worksheet(l->wb, sheet);
	l->fmts = make_formats(l->wb, t, 0, &l->plain);
	l->wraps = make_formats(l->wb, t, 1, &l->wrap_plain);
	l->totals = xcalloc(t->ncolumns + 1, sizeof *l->totals);
	l->width = xcalloc(t->ncolumns + 1, sizeof *l->width);
	l->cells = xcalloc(t->ncolumns + 1, sizeof *l->cells);
	page_setup(l->ws, t);
	/* A column is at least as wide as the template says and its header needs (up to the
	 * growth a text column may take: a header wraps). Its width is set when the ledger is
	 * closed, from every value it then holds. */
	for (i = 0; i < t->ncolumns; i++) {
		l->width[i] = t->columns[i].width > 0 ? t->columns[i].width : DEFAULT_UNITS;
		fit(l, i, t->header_style, t->columns[i].header, 1, &lines);
	}
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

struct ledger *
ledger_open(const struct rule *r, const struct template_out *lo, const char *path,
            const char *tmpdir, const char *input_name, char **cause)
{
	lxw_workbook_options opt = {1, (char *)tmpdir, 0};
	struct ledger *l;
	lxw_workbook *wb;

	if ((wb = workbook_new_opt(path, &opt)) == NULL) {
		*cause = xasprintf("cannot create the workbook %s", path);
		return NULL;
	}
	l = ledger_in(r, lo, wb, lo->t->sheet, input_name);
	l->own = 1;
	l->path = xstrdup(path);
	return l;
}

/* The height in points of a claim's row of lines lines, in the largest font of its columns. */
static double
row_height(const struct template *t, int lines)
{
	double size = t->font_size;
	size_t i;
	int st;

	for (i = 0; i < t->ncolumns; i++)
		if ((st = t->columns[i].style) >= 0 && t->styles[st].size > size)
			size = t->styles[st].size;
	return lines * size * LINE_EM + ROW_PAD_PT;
}

int
ledger_add(struct ledger *l, const struct mapped *m, char **cause)
{
	const struct template *t = l->lo->t;
	const struct tcolumn *c;
	lxw_error e = LXW_NO_ERROR;
	struct lcell *cell;
	char *shown;
	int f, lines, most = 1;
	size_t i;

	/* What each cell shows decides the row's height, which is set before its cells. */
	for (i = 0; i < t->ncolumns; i++) {
		c = &t->columns[i];
		f = l->lo->bind[i];
		cell = &l->cells[i];
		cell->text = cell_text(m, f, c->as, c->gannen, &cell->num, &cell->made);
		cell->fmt = c->style >= 0 ? l->fmts[c->style] : l->plain;
		if (cell->text != NULL)
			cell->fmt = fit(l, i, c->style, cell->text, 1, &lines);
		else if (is_number(m, f)) {
			shown = number_shown(m, f, cell->num,
			                     c->style >= 0 ? t->styles[c->style].num_format : NULL);
			cell->fmt = fit(l, i, c->style, shown, 0, &lines);
			free(shown);
		} else
			lines = 1;
		if (lines > most)
			most = lines;
	}
	if (most > 1)
		worksheet_set_row(l->ws, l->row, row_height(t, most), NULL);
	for (i = 0; i < t->ncolumns; i++) {
		c = &t->columns[i];
		f = l->lo->bind[i];
		cell = &l->cells[i];
		if (e == LXW_NO_ERROR)
			e = put_value(l->ws, l->row, (lxw_col_t)i, m, f, cell->text, cell->num,
			              cell->fmt);
		free(cell->made);
		cell->made = NULL;
		if (c->total && f >= 0 && m->v[f].t == V_INT &&
		    __builtin_add_overflow(l->totals[i], m->v[f].i, &l->totals[i]))
			l->overflow = 1;
	}
	if (e != LXW_NO_ERROR)
		return lxw_fail(e, "cannot add a row to the ledger", cause);
	l->row++;
	return 0;
}

static void
ledger_free(struct ledger *l)
{
	free(l->path);
	free(l->fmts);
	free(l->wraps);
	free(l->width);
	free(l->cells);
	free(l->totals);
	free(l);
}

/* Writes the total row and sets the columns' widths. 0, or -1 with *cause. */
static int
ledger_finish(struct ledger *l, char **cause)
{
	const struct template *t = l->lo->t;
	lxw_format *tf = t->total_style >= 0 ? l->fmts[t->total_style] : l->plain;
	const char *label = t->total_label != NULL ? t->total_label : "合計";
	char from[8], *formula, *shown;
	lxw_error e = LXW_NO_ERROR;
	size_t i;
	int style, lines;

	if (l->overflow) {
		*cause = xstrdup("the ledger's total is too large to compute");
		return -1;
	}
	for (i = 0; i < t->ncolumns && e == LXW_NO_ERROR; i++) {
		if (t->columns[i].total) {
			style = t->columns[i].style;
			shown = number_shown(NULL, FIELD_NONE, (double)l->totals[i],
			                     style >= 0 ? t->styles[style].num_format : NULL);
			fit(l, i, style, shown, 0, &lines);
			free(shown);
			col_name((int)i, from);
			/* The cached result makes the total show without a recalculation. */
			formula = xasprintf("=SUM(%s%u:%s%u)", from, l->first + 1, from, l->row);
			e = worksheet_write_formula_num(
			    l->ws, l->row, (lxw_col_t)i, formula,
			    t->columns[i].style >= 0 ? l->fmts[t->columns[i].style] : tf,
			    (double)l->totals[i]);
			free(formula);
		} else if (i == 0) {
			fit(l, 0, t->total_style, label, 0, &lines);
			e = worksheet_write_string(l->ws, l->row, 0, label, tf);
		} else
			e = worksheet_write_blank(l->ws, l->row, (lxw_col_t)i, tf);
	}
	for (i = 0; i < t->ncolumns; i++)
		worksheet_set_column(l->ws, (lxw_col_t)i, (lxw_col_t)i, l->width[i], NULL);
	if (e != LXW_NO_ERROR)
		return lxw_fail(e, "cannot write the ledger's total", cause);
	return 0;
}

int
ledger_close(struct ledger *l, time_t created, char **cause)
{
	lxw_error e;
	int rc;

	if ((rc = ledger_finish(l, cause)) == -1) {
		ledger_abort(l);
		return -1;
	}
	set_created(l->wb, l->r, created);
	if ((e = workbook_close(l->wb)) != LXW_NO_ERROR)
		rc = lxw_fail(e, "cannot write the ledger", cause);
	if (rc == 0)
		rc = xlsx_check(l->path, cause);
	ledger_free(l);
	return rc;
}

void
ledger_abort(struct ledger *l)
{
	if (l == NULL)
		return;
	if (l->own)
		workbook_close(l->wb);
	ledger_free(l);
}

struct batch {
	const struct rule *r;
	char *path;
	lxw_workbook *wb;
	const struct template *t; /* the form's, whose formats fmts are */
	lxw_format **fmts, *plain;
	unsigned long sheets;
};

struct batch *
batch_open(const struct rule *r, const char *path, const char *tmpdir, char **cause)
{
	lxw_workbook_options opt = {0, (char *)tmpdir, 0};
	struct batch *b = xcalloc(1, sizeof *b);

	if ((b->wb = workbook_new_opt(path, &opt)) == NULL) {
		*cause = xasprintf("cannot create the workbook %s", path);
		free(b);
		return NULL;
	}
	b->r = r;
	b->path = xstrdup(path);
	return b;
}

int
batch_form(struct batch *b, const struct template_out *form, const struct mapped *m, char **cause)
{
	lxw_worksheet *ws;
	char name[32];
	lxw_error e;

	if (b->t != form->t) {
		free(b->fmts);
		b->fmts = make_formats(b->wb, form->t, 0, &b->plain);
		b->t = form->t;
	}
	/* A sheet per claim, named by its row: unique, and within Excel's 31 characters. */
	snprintf(name, sizeof name, "%lu", m->row);
	if ((ws = workbook_add_worksheet(b->wb, name)) == NULL) {
		*cause = xasprintf("cannot add the sheet of row %lu to the print workbook", m->row);
		return -1;
	}
	if ((e = draw_form(b->wb, ws, form, m, b->fmts, b->plain)) != LXW_NO_ERROR)
		return lxw_fail(e, "cannot fill the form", cause);
	/* A form is one page: one that would spill onto a second is printed smaller. */
	worksheet_fit_to_pages(ws, 1, 1);
	b->sheets++;
	return 0;
}

static void
batch_free(struct batch *b)
{
	free(b->fmts);
	free(b->path);
	free(b);
}

int
batch_close(struct batch *b, const struct template_out *lo, const struct mapped *claims, size_t n,
            const char *input_name, time_t created, char **cause)
{
	const char *sheet = lo != NULL ? lo->t->sheet : NULL;
	struct ledger *l = NULL;
	lxw_error e;
	size_t i;
	int rc = 0;

	if (lo != NULL) {
		/* Form sheets are named by their rows: a ledger's sheet named like one is renamed.
		 */
		if (workbook_validate_sheet_name(b->wb, sheet) != LXW_NO_ERROR)
			sheet = "ledger";
		l = ledger_in(b->r, lo, b->wb, sheet, input_name);
		worksheet_fit_to_pages(l->ws, 1, 0);
		for (i = 0; i < n && rc == 0; i++)
			rc = ledger_add(l, &claims[i], cause);
		if (rc == 0)
			rc = ledger_finish(l, cause);
		ledger_free(l);
	}
	set_created(b->wb, b->r, created);
	e = workbook_close(b->wb);
	if (rc == 0 && e != LXW_NO_ERROR)
		rc = lxw_fail(e, "cannot write the print workbook", cause);
	if (rc == 0)
		rc = xlsx_check(b->path, cause);
	batch_free(b);
	return rc;
}

void
batch_abort(struct batch *b)
{
	if (b == NULL)
		return;
	workbook_close(b->wb);
	batch_free(b);
}

int64_t
ledger_total(const struct ledger *l, int column)
{
	return l->totals[column];
}
