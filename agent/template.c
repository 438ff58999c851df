/*
 * Reads a template file into struct template, checking every key and value and reporting each
 * problem at its position. Sizes in the file are in the units a person measures a printed form
 * with (millimetres for margins, points for row heights, characters for column widths).
 */
#include <ctype.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "workbook.h"
#include "xmalloc.h"
#include "yamldoc.h"

#define MAX_ROWS 1000
#define MAX_COLS 100

const char *const template_keys[] = {"kind",        "sheet",        "paper",       "orientation",
                                     "margins_mm",  "fit_to_width", "font",        "columns",
                                     "rows",        "styles",       "cells",       "approval",
                                     "title",       "total_label",  "title_style", "header_style",
                                     "total_style", "workbook",     NULL};
static const char *const kinds[] = {"form", "ledger", NULL};
const char *const template_style_keys[] = {"font",       "size",   "bold",   "italic", "underline",
                                           "wrap",       "shrink", "border", "align",  "valign",
                                           "num_format", "fill",   "color",  "indent", NULL};
const char *const template_cell_keys[] = {"at", "text", "field", "style", "as", "gannen", NULL};
const char *const template_column_keys[] = {"header", "field", "width",  "style",
                                            "as",     "total", "gannen", NULL};
const char *const template_approval_keys[] = {"at", "labels", "height", "style", NULL};
const char *const template_margin_keys[] = {"top", "bottom", "left", "right", NULL};
const char *const template_font_keys[] = {"name", "size", NULL};

void
col_name(int c, char *buf)
{
	char tmp[4];
	int n = 0, i;

	c++;
	while (c > 0 && n < 3) {
		tmp[n++] = (char)('A' + (c - 1) % 26);
		c = (c - 1) / 26;
	}
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

static int
one_ref(const char **p, int *r, int *c)
{
	int col = 0, row = 0, nl = 0, nd = 0;

	while (isupper((unsigned char)**p) && nl < 3) {
		col = col * 26 + (**p - 'A' + 1);
		(*p)++;
		nl++;
	}
	while (isdigit((unsigned char)**p) && nd < 7) {
		row = row * 10 + (**p - '0');
		(*p)++;
		nd++;
	}
	if (nl == 0 || nd == 0 || row == 0)
		return -1;
	*r = row - 1;
	*c = col - 1;
	return 0;
}

int
cell_ref_parse(const char *s, int *r1, int *c1, int *r2, int *c2)
{
	const char *p = s;

	if (one_ref(&p, r1, c1) == -1)
		return -1;
	if (*p == '\0') {
		*r2 = *r1;
		*c2 = *c1;
		return 0;
	}
	if (*p++ != ':' || one_ref(&p, r2, c2) == -1 || *p != '\0')
		return -1;
	if (*r2 < *r1 || *c2 < *c1)
		return -1;
	return 0;
}

static int
get_color(const struct ynode *n, const char *what, uint32_t *out, struct diags *d)
{
	const char *s;
	size_t i;

	if (yget_str(n, what, &s, d) == -1)
		return -1;
	if (s[0] != '#' || strlen(s) != 7)
		goto bad;
	for (i = 1; i < 7; i++)
		if (!isxdigit((unsigned char)s[i]))
			goto bad;
	*out = (uint32_t)strtoul(s + 1, NULL, 16);
	return 0;
bad:
	ydiag(d, n, "expected a colour as \"#RRGGBB\" for '%s', got '%s'", what, s);
	return -1;
}

static const char *const as_words[] = {"auto", "wareki", "iso", "text", NULL};

static int
find_style(const struct template *t, const struct ynode *n, int *out, struct diags *d)
{
	const char *s;
	size_t i;

	if (yget_str(n, "style", &s, d) == -1)
		return -1;
	for (i = 0; i < t->nstyles; i++)
		if (strcmp(t->styles[i].name, s) == 0) {
			*out = (int)i;
			return 0;
		}
	ydiag(d, n, "no style named '%s' in this template", s);
	return -1;
}

static void
load_style(struct tstyle *st, const struct ynode *m, struct diags *d)
{
	static const char *const borders[] = {"none",   "thin", "medium", "thick",
	                                      "double", "hair", "dotted", NULL};
	static const char *const haligns[] = {"default", "left", "center", "right", NULL};
	static const char *const valigns[] = {"default", "top", "center", "bottom", NULL};
	const struct ynode *v;
	const char *s;
	int64_t iv;
	int x;

	if (ymap_check_keys(m, template_style_keys, "a style", d) == -1 && m->kind != Y_MAP)
		return;
	if ((v = ymap_get(m, "font")) != NULL && yget_str(v, "font", &s, d) == 0)
		st->font = xstrdup(s);
	if ((v = ymap_get(m, "size")) != NULL)
		yget_double(v, "size", 4, 100, &st->size, d);
	if ((v = ymap_get(m, "bold")) != NULL)
		yget_bool(v, "bold", &st->bold, d);
	if ((v = ymap_get(m, "italic")) != NULL)
		yget_bool(v, "italic", &st->italic, d);
	if ((v = ymap_get(m, "underline")) != NULL)
		yget_bool(v, "underline", &st->underline, d);
	if ((v = ymap_get(m, "wrap")) != NULL)
		yget_bool(v, "wrap", &st->wrap, d);
	if ((v = ymap_get(m, "shrink")) != NULL)
		yget_bool(v, "shrink", &st->shrink, d);
	if ((v = ymap_get(m, "border")) != NULL &&
	    yget_enum(v, "border", borders, YWORDS(borders), &x, d) == 0)
		st->border = (enum tborder)x;
	if ((v = ymap_get(m, "align")) != NULL &&
	    yget_enum(v, "align", haligns, YWORDS(haligns), &x, d) == 0)
		st->align = x == 0 ? TA_DEFAULT : x == 1 ? TA_LEFT : x == 2 ? TA_CENTER : TA_RIGHT;
	if ((v = ymap_get(m, "valign")) != NULL &&
	    yget_enum(v, "valign", valigns, YWORDS(valigns), &x, d) == 0)
		st->valign = x == 0 ? TA_DEFAULT : x == 1 ? TA_TOP : x == 2 ? TA_CENTER : TA_BOTTOM;
	if ((v = ymap_get(m, "num_format")) != NULL && yget_str(v, "num_format", &s, d) == 0)
		st->num_format = xstrdup(s);
	if ((v = ymap_get(m, "fill")) != NULL && get_color(v, "fill", &st->fill, d) == 0)
		st->has_fill = 1;
	if ((v = ymap_get(m, "color")) != NULL && get_color(v, "color", &st->color, d) == 0)
		st->has_color = 1;
	if ((v = ymap_get(m, "indent")) != NULL && yget_int(v, "indent", 0, 15, &iv, d) == 0)
		st->indent = (int)iv;
}

static void
load_cell(struct template *t, struct tcell *c, const struct ynode *m, struct diags *d)
{
	const struct ynode *v;
	const char *s;
	int x;

	c->style = -1;
	c->file = t->path;
	c->line = m->line;
	c->col = m->col;
	if (ymap_check_keys(m, template_cell_keys, "a cell", d) == -1 && m->kind != Y_MAP)
		return;
	if ((v = ymap_get(m, "at")) == NULL)
		ydiag(d, m, "a cell needs 'at' (its address, like B5 or B5:D5)");
	else if (yget_str(v, "at", &s, d) == 0 &&
	         (cell_ref_parse(s, &c->r1, &c->c1, &c->r2, &c->c2) == -1 || c->r2 >= MAX_ROWS ||
	          c->c2 >= MAX_COLS))
		ydiag(d, v,
		      "'%s' is not a cell address like B5 or a range like B5:D5 within A1:CV1000",
		      s);
	if ((v = ymap_get(m, "text")) != NULL && yget_str(v, "text", &s, d) == 0)
		c->text = xstrdup(s);
	if ((v = ymap_get(m, "field")) != NULL && yget_str(v, "field", &s, d) == 0)
		c->field = xstrdup(s);
	if (c->text != NULL && c->field != NULL)
		ydiag(d, m, "a cell has either 'text' or 'field', not both");
	if ((v = ymap_get(m, "style")) != NULL)
		find_style(t, v, &c->style, d);
	if ((v = ymap_get(m, "as")) != NULL &&
	    yget_enum(v, "as", as_words, YWORDS(as_words), &x, d) == 0)
		c->as = (enum tas)x;
	c->gannen = 1;
	if ((v = ymap_get(m, "gannen")) != NULL)
		yget_bool(v, "gannen", &c->gannen, d);
}

static void
load_column(struct template *t, struct tcolumn *c, const struct ynode *m, struct diags *d)
{
	const struct ynode *v;
	const char *s;
	int x;

	c->style = -1;
	c->file = t->path;
	c->line = m->line;
	c->col = m->col;
	if (ymap_check_keys(m, template_column_keys, "a ledger column", d) == -1 &&
	    m->kind != Y_MAP)
		return;
	if ((v = ymap_get(m, "header")) == NULL)
		ydiag(d, m, "a ledger column needs 'header'");
	else if (yget_str(v, "header", &s, d) == 0)
		c->header = xstrdup(s);
	if ((v = ymap_get(m, "field")) == NULL)
		ydiag(d, m, "a ledger column needs 'field'");
	else if (yget_str(v, "field", &s, d) == 0)
		c->field = xstrdup(s);
	if ((v = ymap_get(m, "width")) != NULL)
		yget_double(v, "width", 0.5, 255, &c->width, d);
	if ((v = ymap_get(m, "style")) != NULL)
		find_style(t, v, &c->style, d);
	if ((v = ymap_get(m, "as")) != NULL &&
	    yget_enum(v, "as", as_words, YWORDS(as_words), &x, d) == 0)
		c->as = (enum tas)x;
	c->gannen = 1;
	if ((v = ymap_get(m, "gannen")) != NULL)
		yget_bool(v, "gannen", &c->gannen, d);
	if ((v = ymap_get(m, "total")) != NULL)
		yget_bool(v, "total", &c->total, d);
}

static void
load_sizes(const struct ynode *m, int by_letter, double **out, size_t *n, double max,
           struct diags *d)
{
	const struct ynode *k;
	int r1, c1, r2, c2, idx;
	int64_t row;
	double v;
	size_t i;

	if (m->kind != Y_MAP) {
		ydiag(d, m, "expected a mapping of %s to sizes, got %s",
		      by_letter ? "column letters" : "row numbers", ynode_kind_name(m));
		return;
	}
	for (i = 0; i < m->n; i++) {
		k = YMAP_KEY(m, i);
		if (by_letter) {
			char ref[16];

			snprintf(ref, sizeof ref, "%s1", k->value);
			if (strlen(k->value) > 3 || cell_ref_parse(ref, &r1, &c1, &r2, &c2) == -1 ||
			    c1 >= MAX_COLS) {
				ydiag(d, k, "'%s' is not a column letter (A to CV)", k->value);
				continue;
			}
			idx = c1;
		} else {
			if (yget_int(k, "row", 1, MAX_ROWS, &row, d) == -1)
				continue;
			idx = (int)row - 1;
		}
		if (yget_double(YMAP_VAL(m, i), by_letter ? "width" : "height", 0.5, max, &v, d) ==
		    -1)
			continue;
		if ((size_t)idx >= *n) {
			*out = xreallocarray(*out, (size_t)idx + 1, sizeof **out);
			memset(*out + *n, 0, ((size_t)idx + 1 - *n) * sizeof **out);
			*n = (size_t)idx + 1;
		}
		(*out)[idx] = v;
	}
}

static void
load_approval(struct template *t, const struct ynode *m, struct diags *d)
{
	const struct ynode *v;
	const char *s;
	int r2, c2;
	size_t i;

	if (ymap_check_keys(m, template_approval_keys, "the approval box", d) == -1 &&
	    m->kind != Y_MAP)
		return;
	t->has_approval = 1;
	t->appr_height = 40;
	t->appr_style = -1;
	if ((v = ymap_get(m, "at")) == NULL)
		ydiag(d, m, "the approval box needs 'at' (its top-left cell)");
	else if (yget_str(v, "at", &s, d) == 0 &&
	         (cell_ref_parse(s, &t->appr_r, &t->appr_c, &r2, &c2) == -1 || r2 != t->appr_r ||
	          c2 != t->appr_c || t->appr_c >= MAX_COLS - 10))
		ydiag(d, v, "'%s' is not a single cell address like F1", s);
	if ((v = ymap_get(m, "labels")) == NULL)
		ydiag(d, m, "the approval box needs 'labels' (like [係長, 課長])");
	else if (v->kind != Y_SEQ || v->n == 0 || v->n > 8)
		ydiag(d, v, "expected a list of 1 to 8 labels for 'labels'");
	else {
		t->appr_labels = xcalloc(v->n, sizeof *t->appr_labels);
		for (i = 0; i < v->n; i++)
			if (yget_str(v->items[i], "labels", &s, d) == 0)
				t->appr_labels[t->nappr++] = xstrdup(s);
	}
	if ((v = ymap_get(m, "height")) != NULL)
		yget_double(v, "height", 10, 200, &t->appr_height, d);
	if ((v = ymap_get(m, "style")) != NULL)
		find_style(t, v, &t->appr_style, d);
}

static void
load_body(struct template *t, const struct ynode *root, struct diags *d)
{
	static const char *const orients[] = {"portrait", "landscape", NULL};
	static const char *const papers[] = {"A4", "A3", "B4", "B5", "A5", NULL};
	static const int paper_codes[] = {9, 8, 12, 13, 11};
	const struct ynode *v, *m;
	const char *s;
	int x;
	size_t i;

	if ((v = ymap_get(root, "kind")) == NULL)
		ydiag(d, root, "a template needs 'kind' (form or ledger)");
	else if (yget_enum(v, "kind", kinds, YWORDS(kinds), &x, d) == 0)
		t->kind = (enum tkind)x;
	if ((v = ymap_get(root, "sheet")) != NULL && yget_str(v, "sheet", &s, d) == 0) {
		if (strlen(s) == 0 || strlen(s) > 31 * 3 || strpbrk(s, "[]:*?/\\") != NULL)
			ydiag(d, v,
			      "'%s' is not a valid sheet name (at most 31 characters, none of "
			      "[]:*?/\\)",
			      s);
		else
			t->sheet = xstrdup(s);
	}
	if ((v = ymap_get(root, "paper")) != NULL &&
	    yget_enum(v, "paper", papers, YWORDS(papers), &x, d) == 0)
		t->paper = paper_codes[x];
	if ((v = ymap_get(root, "orientation")) != NULL &&
	    yget_enum(v, "orientation", orients, YWORDS(orients), &x, d) == 0)
		t->landscape = x;
	if ((m = ymap_get(root, "margins_mm")) != NULL &&
	    ymap_check_keys(m, template_margin_keys, "margins_mm", d) == 0) {
		for (i = 0; i < 4; i++)
			if ((v = ymap_get(m, template_margin_keys[i])) != NULL &&
			    yget_double(v, template_margin_keys[i], 0, 100, &t->margin[i], d) == 0)
				t->margin[i] /= 25.4;
	}
	if ((v = ymap_get(root, "fit_to_width")) != NULL)
		yget_bool(v, "fit_to_width", &t->fit_width, d);
	if ((m = ymap_get(root, "font")) != NULL &&
	    ymap_check_keys(m, template_font_keys, "font", d) == 0) {
		if ((v = ymap_get(m, "name")) != NULL && yget_str(v, "name", &s, d) == 0) {
			free(t->font);
			t->font = xstrdup(s);
		}
		if ((v = ymap_get(m, "size")) != NULL)
			yget_double(v, "size", 4, 100, &t->font_size, d);
	}
	if ((m = ymap_get(root, "columns")) != NULL && t->kind == TK_FORM)
		load_sizes(m, 1, &t->col_width, &t->ncol_width, 255, d);
	if ((m = ymap_get(root, "rows")) != NULL)
		load_sizes(m, 0, &t->row_height, &t->nrow_height, 409, d);
	if ((m = ymap_get(root, "styles")) != NULL) {
		if (m->kind != Y_MAP)
			ydiag(d, m, "expected a mapping of style names for 'styles', got %s",
			      ynode_kind_name(m));
		else {
			t->styles = xcalloc(m->n, sizeof *t->styles);
			for (i = 0; i < m->n; i++) {
				t->styles[i].name = xstrdup(YMAP_KEY(m, i)->value);
				t->nstyles++;
				load_style(&t->styles[i], YMAP_VAL(m, i), d);
			}
		}
	}
	if ((m = ymap_get(root, "cells")) != NULL) {
		if (t->kind != TK_FORM)
			ydiag(d, m, "'cells' belong to a form; a ledger has 'columns'");
		else if (m->kind != Y_SEQ)
			ydiag(d, m, "expected a list for 'cells', got %s", ynode_kind_name(m));
		else {
			t->cells = xcalloc(m->n, sizeof *t->cells);
			for (i = 0; i < m->n; i++)
				load_cell(t, &t->cells[t->ncells++], m->items[i], d);
		}
	}
	if ((m = ymap_get(root, "approval")) != NULL)
		load_approval(t, m, d);
	if ((v = ymap_get(root, "title")) != NULL && yget_str(v, "title", &s, d) == 0)
		t->title = xstrdup(s);
	if ((v = ymap_get(root, "total_label")) != NULL && yget_str(v, "total_label", &s, d) == 0)
		t->total_label = xstrdup(s);
	if ((v = ymap_get(root, "title_style")) != NULL)
		find_style(t, v, &t->title_style, d);
	if ((v = ymap_get(root, "header_style")) != NULL)
		find_style(t, v, &t->header_style, d);
	if ((v = ymap_get(root, "total_style")) != NULL)
		find_style(t, v, &t->total_style, d);
	if (t->kind == TK_LEDGER) {
		if ((m = ymap_get(root, "columns")) == NULL)
			ydiag(d, root, "a ledger needs 'columns'");
		else if (m->kind != Y_SEQ || m->n == 0)
			ydiag(d, m, "expected a list of columns for a ledger's 'columns'");
		else {
			t->columns = xcalloc(m->n, sizeof *t->columns);
			for (i = 0; i < m->n; i++)
				load_column(t, &t->columns[t->ncolumns++], m->items[i], d);
		}
	}
}

/*
 * A template that names the office's workbook: 'kind' and 'workbook' only, since the layout is
 * the workbook's. Its placeholders become the template's cells, so rules bind, preview and
 * test them as they do a drawn form's.
 */
static void
load_workbook(struct template *t, const struct ynode *root, const struct ynode *v, struct diags *d)
{
	const struct wbplace *p;
	char *dir, *tmp;
	const char *s;
	size_t i, n;

	/* A drawn form's keys (an unknown key has been reported already). */
	for (i = 0; i < root->n; i++) {
		size_t k;

		s = YMAP_KEY(root, i)->value;
		for (k = 0; template_keys[k] != NULL && strcmp(template_keys[k], s) != 0; k++)
			;
		if (template_keys[k] != NULL && strcmp(s, "kind") != 0 &&
		    strcmp(s, "workbook") != 0)
			ydiag(d, YMAP_KEY(root, i),
			      "'%s' does not go with 'workbook': the workbook holds the layout", s);
	}
	if (yget_str(v, "workbook", &s, d) == -1)
		return;
	if (s[0] == '/' || strstr(s, "..") != NULL || *s == '\0') {
		ydiag(d, v, "'%s': name a workbook in the templates folder, without '..'", s);
		return;
	}
	tmp = xstrdup(t->path);
	dir = dirname(tmp);
	t->workbook = xasprintf("%s/%s", dir, s);
	free(tmp);
	if ((t->wb = workbook_load(t->workbook, s, t->kind == TK_LEDGER, d)) == NULL)
		return;
	p = workbook_places(t->wb, &n);
	t->cells = xcalloc(n + 1, sizeof *t->cells);
	for (i = 0; i < n; i++) {
		struct tcell *c = &t->cells[t->ncells++];

		c->r1 = c->r2 = p[i].r;
		c->c1 = c->c2 = p[i].c;
		c->field = xstrdup(p[i].field);
		c->style = -1;
		c->file = p[i].where;
	}
}

struct template *
template_load(const char *path, struct diags *d)
{
	struct template *t;
	struct ynode *root;
	size_t before = d->n;
	char name[256];

	if ((root = ydoc_load(path, d)) == NULL)
		return NULL;
	t = xcalloc(1, sizeof *t);
	t->name = xstrdup(ydoc_name(path, name, sizeof name));
	t->path = xstrdup(path);
	t->paper = 9;
	t->margin[0] = t->margin[1] = 15 / 25.4;
	t->margin[2] = t->margin[3] = 15 / 25.4;
	t->font = xstrdup("MS PGothic");
	t->font_size = 11;
	t->title_style = t->header_style = t->total_style = -1;
	if (ymap_check_keys(root, template_keys, "a template", d) == 0 || root->kind == Y_MAP) {
		const struct ynode *wb = root->kind == Y_MAP ? ymap_get(root, "workbook") : NULL;
		const struct ynode *k = wb != NULL ? ymap_get(root, "kind") : NULL;
		int x;

		if (wb == NULL)
			load_body(t, root, d);
		else if (k == NULL)
			ydiag(d, root, "a template needs 'kind' (form or ledger)");
		else if (yget_enum(k, "kind", kinds, YWORDS(kinds), &x, d) == 0) {
			t->kind = (enum tkind)x;
			load_workbook(t, root, wb, d);
		}
	}
	ydoc_free(root);
	if (d->n != before) {
		template_free(t);
		return NULL;
	}
	return t;
}

void
template_free(struct template *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nstyles; i++) {
		free(t->styles[i].name);
		free(t->styles[i].font);
		free(t->styles[i].num_format);
	}
	for (i = 0; i < t->ncells; i++) {
		free(t->cells[i].text);
		free(t->cells[i].field);
	}
	for (i = 0; i < t->ncolumns; i++) {
		free(t->columns[i].header);
		free(t->columns[i].field);
	}
	for (i = 0; i < t->nappr; i++)
		free(t->appr_labels[i]);
	free(t->appr_labels);
	free(t->styles);
	free(t->cells);
	free(t->columns);
	free(t->col_width);
	free(t->row_height);
	free(t->name);
	free(t->path);
	free(t->sheet);
	free(t->font);
	free(t->title);
	free(t->total_label);
	free(t->workbook);
	workbook_free(t->wb);
	free(t);
}
