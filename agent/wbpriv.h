/*
 * What workbook.c (reading a template) and wbfill.c (writing filled copies) share about a
 * loaded workbook: its parts, its sheets' parsed XML, its placeholders. Not for other rooms,
 * which see only workbook.h. Everything here is owned by the struct workbook and freed by
 * workbook_free().
 */
#ifndef FORMAGENT_WBPRIV_H
#define FORMAGENT_WBPRIV_H

#include <libxml/tree.h>
#include <stdint.h>

#include "buf.h"
#include "workbook.h"

/* The limits a template must keep: a zip bomb or a runaway file costs no more than these. */
#define WB_MAX_FILE   (16 << 20) /* the xlsx itself */
#define WB_MAX_PARTS  1000
#define WB_MAX_PART   (32 << 20) /* one part, expanded */
#define WB_MAX_TOTAL  (64 << 20) /* all parts, expanded */
#define WB_RATIO_FROM (1 << 20)  /* a part larger than this may expand at most: */
#define WB_MAX_RATIO  100
#define WB_MAX_SHEETS 255

/* One entry of the zip: its header's values, its compressed bytes, and its XML when it is XML. */
struct wbpart {
	char *name;
	int method, level;
	unsigned long crc, dos_date, internal_fa, external_fa;
	uint64_t csize, usize;
	char *raw; /* csize compressed bytes, copied unchanged into filled copies */
	char *xml; /* the inflated text of an .xml or .rels part, NUL-terminated, else NULL */
	size_t xlen;
};

struct wbsheet {
	char *name;
	char *id;       /* its sheetId, as calcChain.xml names it */
	char *part;     /* "xl/worksheets/sheet1.xml" */
	xmlDoc *doc;    /* parsed, with every row and cell numbered; NULL without placeholders */
	size_t nplaces; /* how many placeholders it holds */
};

struct workbook {
	char *shown; /* the name the template gives it */
	struct wbpart *parts;
	size_t nparts;
	struct wbsheet *sheets;
	size_t nsheets;
	struct wbplace *places;
	size_t nplaces;
	char *main;        /* the workbook part, "xl/workbook.xml" */
	xmlDoc *main_doc;  /* parsed */
	char *main_recalc; /* its text asking for recalculation on load, as every form has it */
	size_t main_recalc_len;
	char *drawing;    /* the ledger sheet's drawing part, or NULL */
	char *calc_chain; /* xl/calcChain.xml (Excel's order of formulas), or NULL */
	char **tables;    /* the ledger sheet's tables' parts */
	size_t ntables;
	char **sst;     /* the shared strings' text, to find placeholders */
	char *sst_rich; /* whether each is in runs of several fonts */
	size_t nsst;
	int date1904;
	int lsheet, lrow; /* a ledger's repeated row (0-based), or -1 */
};

struct wbrange {
	int r1, c1, r2, c2; /* 0-based */
};

int wb_is(const xmlNode *n, const char *name);
/* The first child element called name, or NULL. */
xmlNode *wb_child(const xmlNode *n, const char *name);
/* An attribute's value, or NULL; the caller frees it. */
char *wb_attr(const xmlNode *n, const char *name);
struct wbpart *wb_part(const struct workbook *w, const char *name);
/* Parses a part's XML with no network, DTD or entity substitution; NULL if not XML. */
xmlDoc *wb_parse(const struct wbpart *p);
int wb_cell_ref(const char *s, int *r, int *c);
int wb_range(const char *s, struct wbrange *g);
/* The part a relationship of source points at: target resolved against source's folder. */
char *wb_resolve_target(const char *source, const char *target);
/* The relationships part of a part: xl/worksheets/sheet1.xml → xl/worksheets/_rels/sheet1.xml.rels
 */
char *wb_rels_name(const char *part);
/* Fills sheet si's placeholders in doc from v (all but row skip_row, when >= 0). */
void wb_fill_sheet(const struct workbook *w, int si, xmlDoc *doc, const struct wbvalue *v,
                   int skip_row);
/* Asks for a full recalculation when the workbook opens (calcPr fullCalcOnLoad). */
void wb_recalc_on_load(xmlDoc *doc);
/* doc as UTF-8 text; the caller frees it. */
char *wb_dump(xmlDoc *doc, size_t *len);
/* workbook.xml's text asking Excel to recalculate on load (wbfill.c); the caller frees it. */
char *wb_recalc_main(const struct workbook *w, size_t *len);

#endif
