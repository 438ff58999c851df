/*
 * Mapped claims × templates → xlsx workbooks through libxlsxwriter: one A4 form per claim, and
 * per batch a ledger (一覧) with a row per claim and a total. Workbooks are written to the path
 * given (a temporary name from spool.c); where they go afterwards is not this room's business.
 * Text from claims is always written as a string cell, never as a formula.
 */
#ifndef FORMAGENT_RENDER_H
#define FORMAGENT_RENDER_H

#include <stdint.h>
#include <time.h>

#include "mapper.h"
#include "rules.h"

/*
 * A rule's form or ledger output (the output kinds "form" and "ledger", in forms.c): the
 * template, and the field each of its cells (a form) or columns (a ledger) shows.
 */
struct template_out {
	char *template;           /* the template's name */
	const struct template *t; /* resolved by rule_resolve() */
	int *bind;                /* per cell or column: a field, a pseudo-field or FIELD_NONE */
};

struct wbvalue;
/*
 * The values of an office's workbook's placeholders (to->t->wb) for claim m, one per cell of
 * to->t: numbers and dates as numbers, so the workbook's own formats show them (forms.c).
 */
void template_values(const struct template_out *to, const struct mapped *m, struct wbvalue *v);

/*
 * Writes the claim's form to path. created is the workbook's creation time (the claim's date),
 * so the same claim always gives the same bytes. Returns 0, or -1 with *cause.
 */
int render_form(const struct rule *r, const struct template_out *form, const struct mapped *m,
                const char *path, const char *tmpdir, time_t created, char **cause);

struct ledger;
/* Starts the batch's ledger at path, in libxlsxwriter's constant-memory mode. NULL with *cause. */
struct ledger *ledger_open(const struct rule *r, const struct template_out *lo, const char *path,
                           const char *tmpdir, const char *input_name, char **cause);
int ledger_add(struct ledger *l, const struct mapped *m, char **cause);
/* Writes the total row and closes the workbook; frees l either way. */
int ledger_close(struct ledger *l, time_t created, char **cause);
/* Abandons the workbook (the caller removes the file); frees l. Accepts NULL. */
void ledger_abort(struct ledger *l);

/*
 * The print output's batch workbook (print.c): every claim's form as a sheet of its own, fitted
 * to one page, in the order added, then the ledger's sheet, in one workbook that LibreOffice
 * converts once. Not in constant-memory mode (forms are not written row by row): it grows with
 * the claims, which print.c bounds.
 */
struct batch;
/* NULL with *cause. Ended by batch_close() or batch_abort(), which free it. */
struct batch *batch_open(const struct rule *r, const char *path, const char *tmpdir, char **cause);
int batch_form(struct batch *b, const struct template_out *form, const struct mapped *m,
               char **cause);
/*
 * Adds the ledger (lo, or none when NULL) of the n claims, then writes the workbook; frees b
 * either way. 0, or -1 with *cause.
 */
int batch_close(struct batch *b, const struct template_out *lo, const struct mapped *claims,
                size_t n, const char *input_name, time_t created, char **cause);
/* Abandons the workbook (the caller removes the file); frees b. Accepts NULL. */
void batch_abort(struct batch *b);

/*
 * The width, in Excel's column unit, that a cell needs to show text whole in a font of size_pt
 * with indent levels: how a ledger's columns are sized. An estimate from the characters (their
 * Unicode East Asian width), the same on every machine.
 */
double render_units(const char *text, double size_pt, int indent);

/* The total of the ledger column that totals the rule's amount, for summaries. */
int64_t ledger_total(const struct ledger *l, int column);

#endif
