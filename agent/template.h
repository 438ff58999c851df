/*
 * Form and ledger templates: the A4 layout of a form, written by administrators in YAML
 * (templates/<name>.yaml) and checked here with precise positions. A template names the fields
 * it shows but knows nothing of rules; rules.c checks that a rule produces every field its
 * templates name, and render.c draws them with libxlsxwriter.
 */
#ifndef FORMAGENT_TEMPLATE_H
#define FORMAGENT_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum tkind { TK_FORM, TK_LEDGER };
enum tborder { TB_NONE, TB_THIN, TB_MEDIUM, TB_THICK, TB_DOUBLE, TB_HAIR, TB_DOTTED };
enum talign { TA_DEFAULT, TA_LEFT, TA_CENTER, TA_RIGHT, TA_TOP, TA_BOTTOM };
/* How a bound value is written into a cell. */
enum tas {
	AS_AUTO, /* numbers and dates as real cells (the style's number format shows them) */
	AS_WAREKI, /* a date as the text 令和6年4月1日 (with 元年, which no number format shows) */
	AS_ISO,  /* a date as the text 2024-04-01 */
	AS_TEXT, /* anything as text */
};

struct tstyle {
	char *name;
	char *font;
	double size; /* points; 0 keeps the template's default */
	int bold, italic, underline, wrap, shrink;
	enum tborder border;
	enum talign align, valign;
	char *num_format;
	uint32_t fill, color;
	int has_fill, has_color;
	int indent;
};

struct tcell {
	int r1, c1, r2, c2; /* 0-based; a range larger than one cell is merged */
	char *text;         /* fixed text, or NULL */
	char *field;        /* the field shown, or NULL */
	int style;          /* index into styles, -1 for none */
	enum tas as;
	int gannen; /* with as: wareki, year 1 as 元年 (the default) or 1年 */
	const char
	    *file; /* for messages: the template's path, or a workbook's "様式.xlsx!SHEET!C6" */
	int line, col;
};

struct tcolumn {
	char *header;
	char *field;
	double width;
	int style;
	enum tas as;
	int total; /* a SUM in the total row */
	int gannen;
	const char *file;
	int line, col;
};

struct template
{
	char *name; /* the file name without .yaml */
	char *path;
	enum tkind kind;
	char *sheet;
	int paper; /* libxlsxwriter's paper code: 9 is A4 */
	int landscape;
	double margin[4]; /* top, bottom, left, right, in inches (the file says millimetres) */
	int fit_width;
	char *font;
	double font_size;
	double *col_width; /* by column index; 0 keeps the default */
	size_t ncol_width;
	double *row_height; /* by row index; 0 keeps the default */
	size_t nrow_height;
	struct tstyle *styles;
	size_t nstyles;
	struct tcell *cells; /* forms */
	size_t ncells;
	/* The approval box (決裁欄): a row of labels and, under it, empty boxes for stamps. */
	int has_approval;
	int appr_r, appr_c;
	char **appr_labels;
	size_t nappr;
	double appr_height;
	int appr_style;
	/* Ledgers: a title, a header row, one row per claim, a total row. */
	char *title;
	struct tcolumn *columns;
	size_t ncolumns;
	int title_style, header_style, total_style;
	char *total_label;
	/*
	 * An office's workbook (workbook: 様式.xlsx) instead of the layout above: its path, and
	 * the workbook read. Its placeholders are the cells, in the workbook's order, with line 0.
	 */
	char *workbook;
	struct workbook *wb;
};

/* Loads and checks one template; NULL with every problem in d. Free with template_free(). */
struct template *template_load(const char *path, struct diags *d);
void template_free(struct template *t);
/* The keys the loader accepts, for docs and tests: a NULL-terminated list per section. */
extern const char *const template_keys[];
extern const char *const template_style_keys[];
extern const char *const template_cell_keys[];
extern const char *const template_column_keys[];
extern const char *const template_approval_keys[];
extern const char *const template_margin_keys[];
extern const char *const template_font_keys[];

/* "B5" → row 4, column 1; "B5:D6" → a range. Returns 0 or -1. */
int cell_ref_parse(const char *s, int *r1, int *c1, int *r2, int *c2);
/* Column letters for index c (0 → "A"); buf holds at least 4 bytes. */
void col_name(int c, char *buf);

#endif
