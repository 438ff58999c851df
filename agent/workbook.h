/*
 * The office's own Excel workbooks (様式) as templates. A workbook is read once, when its
 * template loads: its zip checked against bombs and odd part names, its XML against DOCTYPEs and
 * entities, its cells searched for {{field}} placeholders. Filling it writes a new zip in which
 * every part the fill does not touch is the template's compressed bytes, copied unchanged, and
 * only the sheets holding placeholders (and workbook.xml, which asks for recalculation) are
 * written anew. No Debian library edits an existing xlsx (libxlsxwriter only writes new ones),
 * so the zip is handled with minizip and the sheets with libxml2.
 */
#ifndef FORMAGENT_WORKBOOK_H
#define FORMAGENT_WORKBOOK_H

#include <stddef.h>

#include "diag.h"

/* A placeholder: a cell whose whole text is {{field}} or, in a ledger, {{rows.field}}. */
struct wbplace {
	char *field; /* the name inside the braces, without "rows." */
	int rows;    /* {{rows.field}}: a cell of the ledger's repeated row */
	int sheet;   /* the sheet's index in the workbook */
	int r, c;    /* 0-based */
	char *where; /* "様式第3号.xlsx!支給決定書!C6", for messages */
};

struct workbook;

/*
 * Reads the workbook at path (shown in messages by its name relative to the templates folder,
 * as written in the template) and finds its placeholders. ledger says whether it is a ledger's
 * workbook, which must have one repeated row. NULL with every problem in d. Free with
 * workbook_free().
 */
struct workbook *workbook_load(const char *path, const char *shown, int ledger, struct diags *d);
void workbook_free(struct workbook *w);
/*
 * Readies libxml2 for threads: once, on the main thread, before the agent's workers start
 * (libxml2 2.9's own lazy start is not safe when two threads first parse at once).
 */
void workbook_threads(void);
/* The name the template gives the workbook ("様式第3号.xlsx"); owned by w. */
const char *workbook_name(const struct workbook *w);
/* The placeholders, in sheet order and then row by row; owned by w. */
const struct wbplace *workbook_places(const struct workbook *w, size_t *n);

/* A value for a placeholder: a number (a date as its serial day) is written as a number. */
enum wbkind { WB_EMPTY, WB_NUMBER, WB_TEXT };
struct wbvalue {
	enum wbkind kind;
	double num;
	const char *text; /* borrowed */
};
/* The serial day Excel shows for days since 1970-01-01, in w's date system (1900 or 1904). */
double workbook_serial(const struct workbook *w, long long days);

/*
 * Writes a filled copy of w to path: v holds one value per placeholder (of workbook_places()).
 * Returns 0, or -1 with a new *cause.
 */
int workbook_fill(const struct workbook *w, const struct wbvalue *v, const char *path,
                  char **cause);

/*
 * A ledger's workbook filled row by row: the repeated row once per claim, everything below it
 * moved down. The rows wait in an unlinked file in tmpdir, so a batch of any size costs one
 * row's memory (tmpdir NULL: $TMPDIR or /tmp). fixed holds a value for every placeholder outside
 * the repeated row.
 */
struct wbledger;
struct wbledger *wbledger_open(const struct workbook *w, const struct wbvalue *fixed,
                               const char *tmpdir, char **cause);
/* v holds one value per placeholder; those outside the repeated row are ignored. */
int wbledger_add(struct wbledger *l, const struct wbvalue *v, char **cause);
/* Writes the workbook to path. Returns 0, or -1 with a new *cause; l is still the caller's. */
int wbledger_write(struct wbledger *l, const char *path, char **cause);
/* Accepts NULL. */
void wbledger_free(struct wbledger *l);

/*
 * The print output's batch (wbbatch.c): w's sheets once per claim, filled, then the sheets of a
 * filled ledger workbook, in one workbook. The filled sheets wait in an unlinked file in tmpdir.
 */
struct wbbatch;
struct wbbatch *wbbatch_open(const struct workbook *w, const char *tmpdir, char **cause);
/* One claim's copy of the form: v holds a value per placeholder. 0, or -1 with *cause. */
int wbbatch_form(struct wbbatch *b, const struct wbvalue *v, char **cause);
/*
 * Writes the batch to path, with the sheets of the workbook at ledger after the forms' (none
 * when NULL). 0; -1 with a new *cause when a read or write failed (it may work again); -2 with
 * a new *cause when the workbooks hold what a batch cannot copy. b is still the caller's.
 */
int wbbatch_write(struct wbbatch *b, const char *ledger, const char *path, char **cause);
/* Accepts NULL. */
void wbbatch_free(struct wbbatch *b);

#endif
