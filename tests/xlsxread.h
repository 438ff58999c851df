/*
 * Reading cells back from an xlsx the way a user would check them: the value and type of a cell
 * by address. The parts come out of the zip through unzip(1); the XML is searched, not parsed in
 * full, which is enough for the workbooks libxlsxwriter writes. For tests only.
 */
#ifndef FORMAGENT_XLSXREAD_H
#define FORMAGENT_XLSXREAD_H

struct xcell {
	char type;     /* 'n' number, 's' string, 'e' empty or absent */
	double num;    /* 'n' */
	char *text;    /* 's': the string (caller frees via xcell_clear) */
	char *formula; /* the formula, when the cell has one */
	int style;     /* the s="" index, -1 if none */
};

/* A part of the workbook ("xl/worksheets/sheet1.xml") as a string, or NULL. Caller frees. */
char *xlsx_part(const char *path, const char *part);
/* Reads cell addr ("C12") of the first sheet. Returns 0, or -1 if the workbook cannot be read. */
int xlsx_cell(const char *path, const char *addr, struct xcell *c);
/* The same on sheet number sheet (1 is the first). */
int xlsx_sheet_cell(const char *path, int sheet, const char *addr, struct xcell *c);
void xcell_clear(struct xcell *c);
/* The number format string of style index s, or NULL. Caller frees. */
char *xlsx_numfmt(const char *path, int style);

#endif
