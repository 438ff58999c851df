/*
 * The office's own workbooks as templates (templates/様式第3号.xlsx and 様式第3号の2.xlsx, with
 * the transport-office rule): a filled form holds the claim's values as the office's formats
 * expect them (numbers and dates as numbers, in the template's styles), its formulas left to be
 * recalculated, and every part the fill does not touch the template's bytes exactly; a ledger
 * grows to the batch with everything below its repeated row moved; and `formagent check` names a
 * bad placeholder by its cell, and refuses what a workbook must not hold (macros, DDE, a
 * placeholder split across fonts, in a header, a table or a merged range's inner cell).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unzip.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "testutil.h"
#include "xlsxread.h"

struct part {
	char *name;
	char *bytes;
	size_t len;
};

/* Every part of the xlsx at path, inflated; n set. The test fails if it is not a zip. */
static struct part *
parts_of(const char *path, size_t *n)
{
	unzFile zf = unzOpen64(path);
	struct part *v = NULL;
	char name[512], chunk[65536];
	int rc, k;

	assert_non_null(zf);
	*n = 0;
	for (rc = unzGoToFirstFile(zf); rc == UNZ_OK; rc = unzGoToNextFile(zf)) {
		struct part *p;

		assert_int_equal(
		    unzGetCurrentFileInfo64(zf, NULL, name, sizeof name, NULL, 0, NULL, 0), UNZ_OK);
		v = realloc(v, (*n + 1) * sizeof *v);
		p = &v[(*n)++];
		p->name = strdup(name);
		p->bytes = NULL;
		p->len = 0;
		assert_int_equal(unzOpenCurrentFile(zf), UNZ_OK);
		while ((k = unzReadCurrentFile(zf, chunk, sizeof chunk)) > 0) {
			p->bytes = realloc(p->bytes, p->len + (size_t)k + 1);
			memcpy(p->bytes + p->len, chunk, (size_t)k);
			p->len += (size_t)k;
			p->bytes[p->len] = '\0';
		}
		assert_int_equal(k, 0);
		assert_int_equal(unzCloseCurrentFile(zf), UNZ_OK);
	}
	unzClose(zf);
	return v;
}

static void
parts_free(struct part *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].bytes);
	}
	free(v);
}

static const struct part *
part_named(const struct part *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* Writes parts as a new zip at path. */
static void
zip_parts(const char *path, const struct part *v, size_t n)
{
	zipFile zf = zipOpen64(path, APPEND_STATUS_CREATE);
	size_t i;

	assert_non_null(zf);
	for (i = 0; i < n; i++) {
		assert_int_equal(zipOpenNewFileInZip64(zf, v[i].name, NULL, NULL, 0, NULL, 0, NULL,
		                                       Z_DEFLATED, 6, 0),
		                 ZIP_OK);
		assert_int_equal(zipWriteInFileInZip(zf, v[i].bytes, (unsigned)v[i].len), ZIP_OK);
		assert_int_equal(zipCloseFileInZip(zf), ZIP_OK);
	}
	assert_int_equal(zipClose(zf, NULL), ZIP_OK);
}

/* Adds a part named name holding text to v[*n] (grown). */
static struct part *
add_part(struct part *v, size_t *n, const char *name, const char *text)
{
	v = realloc(v, (*n + 1) * sizeof *v);
	v[*n].name = strdup(name);
	v[*n].bytes = strdup(text);
	v[*n].len = strlen(text);
	(*n)++;
	return v;
}

/* Replaces the first `at` in a part's text by with (the part must hold it). */
static void
part_edit(struct part *p, const char *at, const char *with)
{
	char *hit = strstr(p->bytes, at), *text;

	if (hit == NULL)
		fail_msg("%s has no '%s'", p->name, at);
	text = pathf("%.*s%s%s", (int)(hit - p->bytes), p->bytes, with, hit + strlen(at));
	free(p->bytes);
	p->bytes = text;
	p->len = strlen(text);
}

/*
 * Asserts that filled has exactly the template's parts, and that each one but the names in
 * edited (NULL-terminated) holds the template's bytes.
 */
static void
assert_parts_kept(const char *template, const char *filled, const char *const *edited)
{
	size_t nt, nf, i, k;
	struct part *t = parts_of(template, &nt), *f = parts_of(filled, &nf);
	const struct part *p;

	assert_int_equal(nt, nf);
	for (i = 0; i < nt; i++) {
		for (k = 0; edited[k] != NULL && strcmp(edited[k], t[i].name) != 0; k++)
			;
		p = part_named(f, nf, t[i].name);
		if (p == NULL)
			fail_msg("the filled copy has no part %s", t[i].name);
		if (edited[k] != NULL)
			continue;
		if (p->len != t[i].len || memcmp(p->bytes, t[i].bytes, p->len) != 0)
			fail_msg("the part %s is not the template's bytes", t[i].name);
	}
	parts_free(t, nt);
	parts_free(f, nf);
}

/* Removes and frees the two folders a test made. */
static void
remove_dirs(char *a, char *b)
{
	rmtree(a);
	rmtree(b);
	free(a);
	free(b);
}

/* The sample's transport claims, through the transport-office rule, into a new folder. */
static char *
office_outputs(char **cdir)
{
	char *dir = tmpdir_new(), *cfg, *in;

	*cdir = tmpdir_new();
	cfg = example_config(*cdir);
	in = samplepath("transport-2024-04.cp932.csv");
	assert_int_equal(run_agent(NULL, NULL, NULL,
	                           "process -c '%s' --rule transport-office --out '%s' '%s' "
	                           "--quiet",
	                           cfg, dir, in),
	                 0);
	free(in);
	free(cfg);
	return dir;
}

static void
assert_number(const char *path, const char *addr, double want)
{
	struct xcell c;

	assert_int_equal(xlsx_cell(path, addr, &c), 0);
	if (c.type != 'n' || c.num != want)
		fail_msg("%s: want the number %g, got type %c", addr, want, c.type);
	xcell_clear(&c);
}

static void
assert_text(const char *path, const char *addr, const char *want)
{
	struct xcell c;

	assert_int_equal(xlsx_cell(path, addr, &c), 0);
	if (c.type != 's' || strcmp(c.text, want) != 0)
		fail_msg("%s: want '%s', got type %c '%s'", addr, want, c.type,
		         c.text != NULL ? c.text : "");
	xcell_clear(&c);
}

static int
style_of(const char *path, const char *addr)
{
	struct xcell c;
	int s;

	assert_int_equal(xlsx_cell(path, addr, &c), 0);
	s = c.style;
	xcell_clear(&c);
	return s;
}

static void
test_form_filled_in_the_office_workbook(void **state)
{
	char *cdir, *dir = office_outputs(&cdir), *tpl = srcpath("templates/様式第3号.xlsx");
	char *form = pathf("%s/office-transport-0101-00231-2024-04-01.xlsx", dir), *sheet, *fmt,
	     *book;
	static const char *const edited[] = {"xl/worksheets/sheet1.xml", "xl/workbook.xml", NULL};
	struct xcell c;

	(void)state;
	assert_text(form, "C6", "0101-00231");
	assert_number(form, "E6", 45385); /* 2024-04-03, the date a number */
	assert_number(form, "C8", 45383);
	assert_text(form, "E7", "札幌 太郎");
	assert_number(form, "C11", 250);
	assert_number(form, "E11", 4);
	assert_number(form, "C12", 2000);
	assert_text(form, "E13", "保護一係 山田");
	/* Each filled cell keeps the template's style, so the office's number formats show it. */
	assert_int_equal(style_of(form, "E6"), style_of(tpl, "E6"));
	assert_int_equal(style_of(form, "C12"), style_of(tpl, "C12"));
	fmt = xlsx_numfmt(form, style_of(form, "E6"));
	assert_non_null(fmt);
	assert_non_null(strstr(fmt, "ggge"));
	free(fmt);
	fmt = xlsx_numfmt(form, style_of(form, "C12"));
	assert_non_null(fmt);
	assert_non_null(strstr(fmt, "#,##0"));
	free(fmt);
	/* The note is empty in the claim: the cell is emptied, its box kept. */
	assert_int_equal(xlsx_cell(form, "C14", &c), 0);
	assert_int_equal(c.type, 'e');
	assert_int_equal(c.style, style_of(tpl, "C14"));
	xcell_clear(&c);
	/* The check amount stays a formula, without the template's stale result. */
	assert_int_equal(xlsx_cell(form, "C13", &c), 0);
	assert_non_null(c.formula);
	assert_string_equal(c.formula, "C11*E11*2");
	xcell_clear(&c);
	sheet = xlsx_part(form, "xl/worksheets/sheet1.xml");
	assert_non_null(sheet);
	assert_non_null(strstr(sheet, "<c r=\"C13\" s=\"7\"><f aca=\"false\">C11*E11*2</f></c>"));
	assert_null(strstr(sheet, "{{"));
	free(sheet);
	book = xlsx_part(form, "xl/workbook.xml");
	assert_non_null(strstr(book, "fullCalcOnLoad=\"1\""));
	free(book);
	/* Everything else is the template's: the logo, the stamp boxes, the furigana. */
	assert_parts_kept(tpl, form, edited);
	book = xlsx_part(form, "xl/sharedStrings.xml");
	assert_non_null(strstr(book, "<rPh sb=\"0\" eb=\"3\"><t>セタイヌシ</t></rPh>"));
	free(book);
	free(form);
	free(tpl);
	remove_dirs(dir, cdir);
}

static void
test_ledger_grows_to_the_batch(void **state)
{
	char *cdir, *dir = office_outputs(&cdir), *tpl = srcpath("templates/様式第3号の2.xlsx");
	char *ledger = pathf("%s/transport-2024-04.cp932.ledger.xlsx", dir), *sheet, *book, *t6, *p;
	static const char *const edited[] = {"xl/worksheets/sheet1.xml", "xl/workbook.xml", NULL};
	static const char *const cases[] = {"0101-00231", "0101-00487", "0102-01102", "0102-01345"};
	static const double amounts[] = {2000, 4000, 840, 5040};
	char addr[8];
	struct xcell c;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(addr, sizeof addr, "B%d", 6 + i);
		assert_text(ledger, addr, cases[i]);
		snprintf(addr, sizeof addr, "F%d", 6 + i);
		assert_number(ledger, addr, amounts[i]);
		assert_int_equal(style_of(ledger, addr), style_of(tpl, "F6"));
	}
	assert_number(ledger, "D9", 45387); /* 2024-04-05 */
	/* Above the rows, {{_input}}: which file the ledger lists. */
	assert_text(ledger, "B4", "transport-2024-04.cp932");
	/* The total row moved from 7 to 10, its SUM grown over every claim. */
	assert_int_equal(xlsx_cell(ledger, "F10", &c), 0);
	assert_non_null(c.formula);
	assert_string_equal(c.formula, "SUM(F6:F9)");
	xcell_clear(&c);
	assert_int_equal(xlsx_cell(ledger, "E10", &c), 0);
	assert_string_equal(c.formula, "COUNTA(B6:B9)");
	xcell_clear(&c);
	assert_text(ledger, "B10", "合計");
	assert_text(ledger, "B12", "上記のとおり支給してよろしいか伺います。");
	sheet = xlsx_part(ledger, "xl/worksheets/sheet1.xml");
	/* Merged ranges below move; the conditional format grows with the rows. */
	assert_non_null(strstr(sheet, "<mergeCell ref=\"B10:D10\"/>"));
	assert_non_null(strstr(sheet, "<mergeCell ref=\"B12:F12\"/>"));
	assert_non_null(strstr(sheet, "<mergeCell ref=\"B3:F3\"/>"));
	assert_non_null(strstr(sheet, "<conditionalFormatting sqref=\"F6:F9\">"));
	/* Each copy of the row keeps the template row's height. */
	t6 = xlsx_part(tpl, "xl/worksheets/sheet1.xml");
	p = strstr(t6, "<row r=\"6\"");
	assert_non_null(p);
	p = strstr(p, " ht=\"");
	assert_non_null(p);
	for (i = 6; i <= 9; i++) {
		char *want = pathf("<row r=\"%d\"", i), *q = strstr(sheet, want);

		assert_non_null(q);
		assert_memory_equal(strstr(q, " ht=\""), p, 12);
		free(want);
	}
	free(t6);
	free(sheet);
	book = xlsx_part(ledger, "xl/workbook.xml");
	assert_non_null(strstr(book, "一覧!$A$1:$F$13</definedName>"));
	free(book);
	assert_parts_kept(tpl, ledger, edited);
	free(ledger);
	free(tpl);
	remove_dirs(dir, cdir);
}

/* Filling is a function of the claim: the same file gives the same bytes, so reruns find them. */
static void
test_same_claims_same_bytes(void **state)
{
	char *c1, *c2, *d1 = office_outputs(&c1), *d2 = office_outputs(&c2);
	const char *names[] = {"office-transport-0102-01102-2024-04-04.xlsx",
	                       "transport-2024-04.cp932.ledger.xlsx"};
	size_t i, n1, n2;

	(void)state;
	for (i = 0; i < 2; i++) {
		char *a = pathf("%s/%s", d1, names[i]), *b = pathf("%s/%s", d2, names[i]);
		char *x = slurp(a, &n1), *y = slurp(b, &n2);

		assert_non_null(x);
		assert_non_null(y);
		assert_int_equal(n1, n2);
		assert_memory_equal(x, y, n1);
		free(x);
		free(y);
		free(a);
		free(b);
	}
	remove_dirs(d1, c1);
	remove_dirs(d2, c2);
}

/*
 * A folder to check a changed copy of the shipped configuration in: the rules and templates
 * copied, so a test may replace the office's workbook. Returns the configuration's path.
 */
static char *
check_dir(const char *dir)
{
	char *cfg = pathf("%s/formagent.yaml", dir), *src = srcpath("formagent.yaml"),
	     *rules = srcpath("rules"), *tpl = srcpath("templates");
	char *cmd = pathf("cp -r '%s' '%s/rules' && cp -r '%s' '%s/templates' && cp '%s' '%s'",
	                  rules, dir, tpl, dir, src, cfg);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(src);
	free(rules);
	free(tpl);
	return cfg;
}

/* The checked configuration's messages (stderr and stdout), and check's exit status. */
static char *
check_says(const char *cfg, int *rc)
{
	char *out = NULL, *err = NULL, *all;

	*rc = run_agent(NULL, &out, &err, "check -c '%s'", cfg);
	all = pathf("%s%s", err != NULL ? err : "", out != NULL ? out : "");
	free(out);
	free(err);
	return all;
}

static void
assert_says(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("check does not say \"%s\"; it says:\n%s", want, text);
}

static void
test_check_names_a_bad_placeholder_by_its_cell(void **state)
{
	char *dir = tmpdir_new(), *cfg = check_dir(dir), *xl, *said;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	int rc;

	(void)state;
	xl = pathf("%s/templates/様式第3号.xlsx", dir);
	wb = workbook_new(xl);
	ws = workbook_add_worksheet(wb, "支給決定書");
	worksheet_write_string(ws, 5, 2, "{{case_no}}", NULL);
	worksheet_write_string(ws, 9, 2, "{{fares}}", NULL);
	worksheet_write_string(ws, 11, 2, "{{amount}}", NULL);
	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
	said = check_says(cfg, &rc);
	assert_int_equal(rc, 1);
	assert_says(said,
	            "様式第3号.xlsx!支給決定書!C10: no field 'fares' in rule transport-office");
	/* Not an error, but an administrator should know: a required field no cell shows. */
	assert_says(said, "warning: rule transport-office requires field 'visit_on', which no cell "
	                  "of");
	free(said);
	free(xl);
	free(cfg);
	rmtree(dir);
	free(dir);
}

static void
test_check_refuses_what_cannot_be_filled(void **state)
{
	char *dir = tmpdir_new(), *cfg = check_dir(dir), *xl, *said;
	lxw_rich_string_tuple a = {NULL, "{{case"}, b = {NULL, "_no}}"}, *runs[] = {&a, &b, NULL};
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *bold;
	int rc;

	(void)state;
	xl = pathf("%s/templates/様式第3号.xlsx", dir);
	wb = workbook_new(xl);
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	b.format = bold;
	ws = workbook_add_worksheet(wb, "支給決定書");
	worksheet_write_rich_string(ws, 5, 2, runs, NULL);            /* C6 */
	worksheet_write_string(ws, 6, 2, "金額 {{amount}} 円", NULL); /* C7 */
	worksheet_merge_range(ws, 7, 1, 7, 3, "", NULL);              /* B8:D8 */
	worksheet_write_string(ws, 7, 2, "{{clinic}}", NULL);         /* C8 */
	worksheet_write_formula(ws, 8, 2, "=cmd|'/c calc'!A1", NULL); /* C9 */
	worksheet_write_string(ws, 20, 2, "{{fare}}", NULL);          /* C21, in the table */
	worksheet_add_table(ws, 19, 1, 22, 3, NULL);                  /* B20:D23 */
	worksheet_set_header(ws, "&C{{name}}");
	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
	said = check_says(cfg, &rc);
	assert_int_equal(rc, 1);
	assert_says(said, "様式第3号.xlsx!支給決定書!C6: the placeholder is split across runs");
	assert_says(said, "様式第3号.xlsx!支給決定書!C7: a placeholder must be the cell's whole "
	                  "text, as {{field}}: '金額 {{amount}} 円'");
	assert_says(said, "様式第3号.xlsx!支給決定書!C8: {{clinic}} is inside a merged range");
	assert_says(said, "様式第3号.xlsx!支給決定書!C9: a DDE formula");
	assert_says(said, "様式第3号.xlsx!支給決定書!C21: {{fare}} is inside the table 'Table1'");
	assert_says(said,
	            "様式第3号.xlsx: its sheet '支給決定書' has a placeholder in its header or "
	            "footer");
	free(said);
	free(xl);
	/* Macros: by the name, and by what the workbook holds. */
	xl = pathf("%s/templates/transport-office-form.yaml", dir);
	spits(xl, "kind: form\nworkbook: 様式第3号.xlsm\n");
	free(xl);
	xl = pathf("%s/templates/様式第3号.xlsm", dir);
	spits(xl, "");
	said = check_says(cfg, &rc);
	assert_int_equal(rc, 1);
	assert_says(said, "様式第3号.xlsm: is a workbook with macros (.xlsm)");
	free(said);
	free(xl);
	free(cfg);
	rmtree(dir);
	free(dir);
}

/* A workbook template holds its layout: a drawn form's keys beside 'workbook' are refused. */
static void
test_workbook_template_takes_no_layout(void **state)
{
	char *dir = tmpdir_new(), *cfg = check_dir(dir), *y, *said;
	int rc;

	(void)state;
	y = pathf("%s/templates/transport-office-form.yaml", dir);
	spits(y, "kind: form\nworkbook: 様式第3号.xlsx\npaper: A4\n");
	said = check_says(cfg, &rc);
	assert_int_equal(rc, 1);
	assert_says(said, "transport-office-form.yaml:3:1: 'paper' does not go with 'workbook'");
	free(said);
	spits(y, "kind: form\nworkbook: ../rules/x.xlsx\n");
	said = check_says(cfg, &rc);
	assert_int_equal(rc, 1);
	assert_says(said, "name a workbook in the templates folder, without '..'");
	free(said);
	free(y);
	free(cfg);
	rmtree(dir);
	free(dir);
}

/*
 * What Excel's own workbooks hold and LibreOffice's do not: a calculation chain naming the
 * formula cells, a shape anchored below the repeated row (a stamp box under the total), a table
 * under the rows, a data bar (Excel 2010's extensions), a chart of the amounts, and another
 * sheet summing the ledger.
 * All move with the rows, or Excel would repair the workbook, the box sit over a claim and the
 * summary miss claims.
 */
static void
test_ledger_moves_what_excel_keeps(void **state)
{
	char *dir = tmpdir_new(), *cdir = tmpdir_new(), *cfg = check_dir(cdir), *xl, *in, *ledger;
	char *text;
	struct part *v;
	size_t n, i;

	(void)state;
	xl = pathf("%s/templates/様式第3号の2.xlsx", cdir);
	v = parts_of(xl, &n);
	v = add_part(v, &n, "xl/calcChain.xml",
	             "<?xml version=\"1.0\"?><calcChain xmlns=\"http://schemas.openxmlformats"
	             ".org/spreadsheetml/2006/main\"><c r=\"E7\" i=\"1\"/><c r=\"F7\"/>"
	             "</calcChain>");
	/* A summary sheet that sums the ledger's amounts, and a table under the ledger's rows. */
	v = add_part(v, &n, "xl/charts/chart1.xml",
	             "<?xml version=\"1.0\"?><c:chartSpace xmlns:c=\"http://schemas."
	             "openxmlformats.org/drawingml/2006/chart\"><c:chart><c:plotArea>"
	             "<c:barChart><c:ser><c:val><c:numRef><c:f>一覧!$F$6:$F$6</c:f>"
	             "</c:numRef></c:val></c:ser></c:barChart></c:plotArea></c:chart>"
	             "</c:chartSpace>");
	v = add_part(v, &n, "xl/worksheets/sheet2.xml",
	             "<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats"
	             ".org/spreadsheetml/2006/main\"><sheetData><row r=\"1\"><c r=\"A1\">"
	             "<f>SUM('一覧'!F6:F6)</f></c><c r=\"B1\"><f>一覧!F7</f></c></row>"
	             "</sheetData></worksheet>");
	v = add_part(v, &n, "xl/tables/table1.xml",
	             "<?xml version=\"1.0\"?><table xmlns=\"http://schemas.openxmlformats.org"
	             "/spreadsheetml/2006/main\" id=\"1\" name=\"T\" displayName=\"T\" "
	             "ref=\"H9:I10\"><autoFilter ref=\"H9:I10\"/><tableColumns count=\"2\">"
	             "<tableColumn id=\"1\" name=\"a\"/><tableColumn id=\"2\" name=\"b\"/>"
	             "</tableColumns></table>");
	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, "xl/_rels/workbook.xml.rels") == 0)
			part_edit(
			    &v[i], "</Relationships>",
			    "<Relationship Id=\"rId9\" Type=\"http://schemas.openxmlformats.org/"
			    "officeDocument/2006/relationships/calcChain\" "
			    "Target=\"calcChain.xml\"/>"
			    "<Relationship Id=\"rId8\" Type=\"http://schemas.openxmlformats.org/"
			    "officeDocument/2006/relationships/worksheet\" "
			    "Target=\"worksheets/sheet2.xml\"/></Relationships>");
		else if (strcmp(v[i].name, "xl/workbook.xml") == 0)
			part_edit(&v[i], "</sheets>",
			          "<sheet name=\"集計\" sheetId=\"2\" r:id=\"rId8\"/></sheets>");
		else if (strcmp(v[i].name, "xl/worksheets/_rels/sheet1.xml.rels") == 0)
			part_edit(
			    &v[i], "</Relationships>",
			    "<Relationship Id=\"rId7\" Type=\"http://schemas.openxmlformats.org/"
			    "officeDocument/2006/relationships/table\" "
			    "Target=\"../tables/table1.xml\"/></Relationships>");
		else if (strcmp(v[i].name, "xl/worksheets/sheet1.xml") == 0) {
			/* A table below the rows, and a data bar as Excel 2010 writes it. */
			part_edit(
			    &v[i], "<drawing r:id=\"rId1\"/></worksheet>",
			    "<drawing r:id=\"rId1\"/><tableParts count=\"1\"><tablePart "
			    "r:id=\"rId7\"/></tableParts><extLst><ext uri=\"{78C0D931-6437-407d-"
			    "A8EE-F0AAD7539E65}\" xmlns:x14=\"http://schemas.microsoft.com/office/"
			    "spreadsheetml/2009/9/main\"><x14:conditionalFormattings>"
			    "<x14:conditionalFormatting xmlns:xm=\"http://schemas.microsoft.com/"
			    "office/excel/2006/main\"><x14:cfRule type=\"dataBar\" id=\"{1}\">"
			    "<x14:dataBar><x14:cfvo type=\"autoMin\"/><x14:cfvo type=\"autoMax\"/>"
			    "</x14:dataBar></x14:cfRule><xm:sqref>F6</xm:sqref>"
			    "</x14:conditionalFormatting></x14:conditionalFormattings></ext></"
			    "extLst>"
			    "</worksheet>");
		} else if (strcmp(v[i].name, "xl/drawings/drawing1.xml") == 0)
			part_edit(
			    &v[i], "</xdr:wsDr>",
			    "<xdr:twoCellAnchor><xdr:from><xdr:col>5</xdr:col><xdr:colOff>0"
			    "</xdr:colOff><xdr:row>9</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
			    "<xdr:to><xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>10"
			    "</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to><xdr:sp><xdr:nvSpPr>"
			    "<xdr:cNvPr id=\"99\" name=\"担当印\"/><xdr:cNvSpPr/></xdr:nvSpPr>"
			    "<xdr:spPr><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></xdr:spPr>"
			    "</xdr:sp><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>");
	zip_parts(xl, v, n);
	parts_free(v, n);
	in = samplepath("transport-2024-04.cp932.csv");
	assert_int_equal(
	    run_agent(NULL, NULL, NULL,
	              "process -c '%s' --rule transport-office --out '%s' '%s' --quiet", cfg, dir,
	              in),
	    0);
	ledger = pathf("%s/transport-2024-04.cp932.ledger.xlsx", dir);
	/* Four claims: the total row moves from 7 to 10, the box from row 10 to 13. */
	text = xlsx_part(ledger, "xl/calcChain.xml");
	assert_non_null(text);
	assert_non_null(strstr(text, "<c r=\"E10\" i=\"1\"/><c r=\"F10\"/>"));
	free(text);
	text = xlsx_part(ledger, "xl/drawings/drawing1.xml");
	assert_non_null(strstr(text, "<xdr:row>12</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"));
	assert_non_null(strstr(text, "<xdr:row>13</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"));
	/* The logo and the stamp box above the row stay where they were. */
	assert_non_null(strstr(text, "<xdr:row>0</xdr:row>"));
	free(text);
	/* The summary's sum grows over the claims and follows the total; the table moves down. */
	text = xlsx_part(ledger, "xl/worksheets/sheet2.xml");
	assert_non_null(strstr(text, "<f>SUM('一覧'!F6:F9)</f>"));
	assert_non_null(strstr(text, "<f>一覧!F10</f>"));
	free(text);
	text = xlsx_part(ledger, "xl/charts/chart1.xml");
	assert_non_null(strstr(text, "<c:f>一覧!$F$6:$F$9</c:f>"));
	free(text);
	text = xlsx_part(ledger, "xl/tables/table1.xml");
	assert_non_null(strstr(text, "ref=\"H12:I13\"><autoFilter ref=\"H12:I13\"/>"));
	free(text);
	text = xlsx_part(ledger, "xl/worksheets/sheet1.xml");
	assert_non_null(strstr(text, "<xm:sqref>F6:F9</xm:sqref>"));
	free(text);
	free(ledger);
	free(in);
	free(xl);
	free(cfg);
	remove_dirs(dir, cdir);
}

/* The dry run shows a workbook form's cells as it shows a drawn form's. */
static void
test_dry_run_cells_of_a_workbook(void **state)
{
	char *cdir = tmpdir_new(), *cfg = example_config(cdir), *out = NULL;
	char *in = samplepath("transport-2024-04.cp932.csv");

	(void)state;
	assert_int_equal(
	    run_agent(NULL, &out, NULL,
	              "process -c '%s' --rule transport-office --dry-run --row 2 --cells "
	              "'%s'",
	              cfg, in),
	    0);
	assert_non_null(out);
	assert_non_null(strstr(out, "row 2 (rule transport-office, form transport-office-form):"));
	assert_non_null(strstr(out, "  E6       令和6年4月3日  [applied_on]"));
	assert_non_null(strstr(out, "  C12      2,000円  [amount]"));
	free(out);
	free(in);
	free(cfg);
	rmtree(cdir);
	free(cdir);
}

/*
 * The same claims dropped twice, once for the drawn form and once, saved again as UTF-8, for the
 * office's (another name, another rule): the transport-office rule shares the transport rule's
 * claim kind and key, so the second file pays nothing and its reason names where each claim was
 * paid.
 */
static void
test_office_form_does_not_pay_twice(void **state)
{
	char *dir = tmpdir_new(), *cfg = pathf("%s/formagent.yaml", dir), *rules = srcpath("rules"),
	     *tpl = srcpath("templates"), *in = samplepath("transport-2024-04.cp932.csv");
	char *yaml, *cmd, *reason;

	(void)state;
	yaml =
	    pathf("rules: %s\ntemplates: %s\nlanguage: en\nstate_dir: s/state\n"
	          "audit: {dir: s/audit}\nspools:\n  - {name: s, inbox: s/inbox, work: s/work, "
	          "out: s/out, done: s/done, rejected: s/rejected, review: s/review, settle_ms: 0, "
	          "rules: [transport, transport-office]}\n",
	          rules, tpl);
	spits(cfg, yaml);
	cmd = pathf("mkdir -p '%s/s/inbox' && cp '%s' '%s/s/inbox/transport-2024-04.csv'", dir, in,
	            dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(run_agent(NULL, NULL, NULL, "run --once -c '%s'", cfg), 0);
	/* The same claims in other bytes (saved as UTF-8), so the file is not refused whole. */
	free(in);
	in = samplepath("transport-2024-04.utf8.csv");
	cmd = pathf("cp '%s' '%s/s/inbox/office-transport-2024-04.csv'", in, dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(run_agent(NULL, NULL, NULL, "run --once -c '%s'", cfg), 0);
	cmd = pathf("%s/s/out", dir);
	assert_int_equal(count_files(cmd, ".xlsx"), 4 + 1); /* the drawn forms and ledger only */
	free(cmd);
	cmd = pathf("%s/s/rejected/office-transport-2024-04.csv.reason.txt", dir);
	reason = slurp(cmd, NULL);
	assert_non_null(reason);
	assert_non_null(strstr(reason, "all 4 claims were already paid"));
	assert_non_null(strstr(reason, "already paid: transport-2024-04.csv, row 2"));
	free(reason);
	free(cmd);
	free(yaml);
	free(in);
	free(tpl);
	free(rules);
	free(cfg);
	rmtree(dir);
	free(dir);
}

/* Whether text holds s, saying what it lacks when not. */
static int
holds(const char *what, const char *text, const char *s)
{
	if (text != NULL && strstr(text, s) != NULL)
		return 1;
	print_error("%s does not hold %s\n", what, s);
	return 0;
}

/*
 * The print output's batch of the office's workbooks, as LibreOffice is given it: the form's
 * sheet once per claim, each with its claim's values and its own print area, then the ledger's
 * sheet with its drawing, its styles after the form's and its strings after the form's.
 */
static void
test_print_batch_of_office_workbooks(void **state)
{
	char *cdir, *dir, *out, *mode, *batch, *main, *ct, *sheet, *styles, *sst, *p, *s;
	long index;
	int k;

	(void)state;
	dir = tmpdir_new();
	mode = pathf("%s/mode", dir);
	batch = pathf("%s/batch.xlsx", dir);
	spits(mode, "keep");
	setenv("SOFFICE_MODE_FILE", mode, 1);
	setenv("SOFFICE_KEEP", batch, 1);
	out = office_outputs(&cdir);
	unsetenv("SOFFICE_MODE_FILE");
	unsetenv("SOFFICE_KEEP");
	main = xlsx_part(batch, "xl/workbook.xml");
	assert_true(holds("workbook.xml", main, "name=\"支給決定書\" sheetId=\"1\""));
	for (k = 2; k <= 4; k++) {
		p = pathf("name=\"支給決定書 (%d)\" sheetId=\"%d\"", k, k);
		assert_true(holds("workbook.xml", main, p));
		free(p);
		p = pathf("localSheetId=\"%d\" name=\"_xlnm.Print_Area\" vbProcedure=\"false\">"
		          "'支給決定書 (%d)'!$A$1:$F$19",
		          k - 1, k);
		assert_true(holds("workbook.xml", main, p));
		free(p);
	}
	assert_true(holds("workbook.xml", main, "name=\"一覧\" sheetId=\"5\""));
	assert_true(holds("workbook.xml", main, "localSheetId=\"4\" name=\"_xlnm.Print_Area\""));
	/* Each copy holds its own claim. */
	sheet = xlsx_part(batch, "xl/worksheets/form-2.xml");
	assert_true(holds("form-2.xml", sheet, "0101-00487"));
	free(sheet);
	/* The ledger's sheet and what it points at, under names of their own. */
	ct = xlsx_part(batch, "\\[Content_Types\\].xml"); /* unzip's pattern: [ is special */
	assert_true(holds("[Content_Types].xml", ct, "/xl/worksheets/ledger-sheet1.xml"));
	assert_true(holds("[Content_Types].xml", ct, "/xl/drawings/ledger-drawing1.xml"));
	p = xlsx_part(batch, "xl/drawings/_rels/ledger-drawing1.xml.rels");
	assert_true(holds("the ledger's drawing's relationships", p, "../media/ledger-image1.png"));
	free(p);
	/* The form's 12 cell formats and 33 strings, then the ledger's 13 and 17. */
	styles = xlsx_part(batch, "xl/styles.xml");
	assert_true(holds("styles.xml", styles, "<cellXfs count=\"25\""));
	sst = xlsx_part(batch, "xl/sharedStrings.xml");
	assert_true(holds("sharedStrings.xml", sst, "uniqueCount=\"50\""));
	/* Every cell of the ledger's sheet has one of the ledger's formats, and its strings. */
	sheet = xlsx_part(batch, "xl/worksheets/ledger-sheet1.xml");
	assert_non_null(sheet);
	for (s = strstr(sheet, "<c "); s != NULL; s = strstr(s + 1, "<c ")) {
		char *gt = strchr(s, '>'), *at = strstr(s, " s=\"");

		assert_true(at != NULL && at < gt);
		index = strtol(at + 4, NULL, 10);
		assert_true(index >= 12 && index < 25);
		if ((at = strstr(s, " t=\"s\"")) != NULL && at < gt) {
			index = strtol(strstr(s, "<v>") + 3, NULL, 10);
			assert_true(index >= 33 && index < 50);
		}
	}
	free(sheet);
	free(sst);
	free(styles);
	free(ct);
	free(main);
	free(batch);
	free(mode);
	remove_dirs(out, cdir);
	rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_form_filled_in_the_office_workbook),
	    cmocka_unit_test(test_ledger_grows_to_the_batch),
	    cmocka_unit_test(test_same_claims_same_bytes),
	    cmocka_unit_test(test_dry_run_cells_of_a_workbook),
	    cmocka_unit_test(test_office_form_does_not_pay_twice),
	    cmocka_unit_test(test_ledger_moves_what_excel_keeps),
	    cmocka_unit_test(test_check_names_a_bad_placeholder_by_its_cell),
	    cmocka_unit_test(test_check_refuses_what_cannot_be_filled),
	    cmocka_unit_test(test_workbook_template_takes_no_layout),
	    cmocka_unit_test(test_print_batch_of_office_workbooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
