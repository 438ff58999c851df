/*
 * Scanned claims below the OCR: how glyphs with places become lines, how a rule's finders read
 * them (a label with a character misread, a rectangle, a known misreading put right), what
 * confidence a value carries, and a file of one claim per page through `formagent process`,
 * with a correction of one page. Tesseract itself is exercised by make scantest, on images made
 * from printed forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rules.h"
#include "scan.h"
#include "testutil.h"
#include "transform.h"

static char *dir;

static int
setup(void **state)
{
	(void)state;
	dir = tmpdir_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rmtree(dir);
	free(dir);
	return 0;
}

static struct rule *
load_rule(const char *yaml)
{
	struct diags d = {0};
	char *path = pathf("%s/r.yaml", dir);
	char *whole = pathf("%soutputs: {import: {name: x.csv, columns: [{field: _row}]}}\n", yaml);
	struct rule *r;

	spits(path, whole);
	free(whole);
	r = rule_load(path, eras_builtin(), &d);
	if (r == NULL || d.n > 0)
		diags_print(stderr, &d);
	assert_non_null(r);
	diags_free(&d);
	free(path);
	return r;
}

/* s with the first from made to; a new string. */
static char *
replace_once(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);

	assert_non_null(p);
	return pathf("%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
}

static const char rule_head[] =
    "match: {glob: ['*.pdf']}\n"
    "input: {format: image, min_confidence: 80, replace: {金和: 令和}}\n";

static int
field_of(const struct rule *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].name, name) == 0)
			return (int)i;
	fail_msg("no field %s", name);
	return -1;
}

/* A word as OCR gives it: text, left edge and top in mm (5 mm high, 4 mm a character). */
static struct glyph
word(const char *text, double x, double y, float conf)
{
	size_t chars = 0, i;

	for (i = 0; text[i] != '\0'; i++)
		chars += ((unsigned char)text[i] & 0xc0) != 0x80;
	return (struct glyph){.x1 = x,
	                      .y1 = y,
	                      .x2 = x + 4.0 * (double)chars,
	                      .y2 = y + 5,
	                      .conf = conf,
	                      .space = -1,
	                      .p = text,
	                      .len = strlen(text)};
}

/*
 * Glyphs given in no order come out as lines by their middles, left to right: a narrow gap is
 * one space, a wide one (another box of the form) two, and empty height an empty line.
 */
static void
test_layout(void **state)
{
	struct glyph g[] = {
	    word("2,000円", 60, 40.6, 90), word("支給額", 20, 40, 95),     word("札幌", 60, 20, 90),
	    word("花子", 69.5, 20.4, 90),  word("対象者氏名", 20, 20, 95),
	};
	struct scanned s = {0};

	(void)state;
	scanned_add_page(&s, g, sizeof g / sizeof *g, 1);
	assert_string_equal(s.text.p, "対象者氏名  札幌 花子\n\n支給額  2,000円\n\n");
	assert_int_equal(s.npages, 1);
	assert_int_equal(s.nspans, 5);
	/* Every span points at its own bytes. */
	assert_memory_equal(s.text.p + s.spans[4].off, "2,000円", s.spans[4].len);
	assert_true(s.spans[4].x == 60.0f);
	scanned_free(&s);
}

/*
 * A value carries the least confidence of its words and the place of its first; below the
 * rule's min_confidence is for the pipeline to send to review.
 */
static void
test_confidence_and_place(void **state)
{
	struct rule *r = load_rule("match: {glob: ['*.pdf']}\n"
	                           "input: {format: image}\n"
	                           "fields:\n"
	                           "  name: {after: 対象者氏名}\n"
	                           "  amount: {after: 支給額, type: yen}\n");
	struct glyph g[] = {word("対象者氏名", 20, 20, 95), word("札幌", 60, 20, 91),
	                    word("花子", 69.5, 20, 37), word("支給額", 20, 40, 95),
	                    word("2,000円", 60, 40, 88)};
	struct scanned s = {0};
	struct found *f;

	(void)state;
	scanned_add_page(&s, g, sizeof g / sizeof *g, 1);
	f = scan_find(r, &s);
	assert_string_equal(f[0].value, "札幌 花子");
	assert_true(f[0].conf == 37.0f);
	assert_int_equal(f[0].page, 1);
	assert_true(f[0].x == 60.0f && f[0].y == 20.0f);
	assert_int_equal(f[0].line, 1);
	assert_string_equal(f[1].value, "2,000円");
	assert_true(f[1].conf == 88.0f);
	assert_int_equal(f[1].line, 3);
	assert_int_equal(r->min_confidence, RULE_MIN_CONFIDENCE);
	found_free(f, r->nfields);
	scanned_free(&s);
	rule_free(r);
}

/*
 * A label of four or more characters is found with one character misread, doubled or missing,
 * but only when it is nowhere as printed; a shorter one only as printed.
 */
static void
test_label_near(void **state)
{
	char *yaml = pathf("%sfields:\n"
	                   "  case_no: {after: ケース番号}\n"
	                   "  applied_on: {after: 申請日}\n"
	                   "  clinic: {after: 医療機関名}\n"
	                   "  route: {after: 経路}\n",
	                   rule_head);
	/* OCR's ケースズ番号 (one doubled), 申諸日 (a short label misread), 医療関名 (missing). */
	static const char text[] = "ケースズ番号  0101-00231  申諸日  令和6年4月3日\n"
	                           "医療関名  東区中央病院\n"
	                           "経略  自宅-病院\n";
	static const char twice[] = "ケース番 0000-00000\nケース番号 0101-00231\n";
	struct rule *r = load_rule(yaml);
	struct scanned s = {0};
	struct found *f;

	(void)state;
	scanned_add_text(&s, text, strlen(text));
	f = scan_find(r, &s);
	assert_string_equal(f[field_of(r, "case_no")].value, "0101-00231");
	assert_null(f[field_of(r, "applied_on")].value);
	assert_string_equal(f[field_of(r, "clinic")].value, "東区中央病院");
	assert_null(f[field_of(r, "route")].value);
	found_free(f, r->nfields);
	scanned_free(&s);

	/* Printed right somewhere, it is taken there, not where a near miss is. */
	scanned_add_text(&s, twice, strlen(twice));
	f = scan_find(r, &s);
	assert_string_equal(f[field_of(r, "case_no")].value, "0101-00231");
	found_free(f, r->nfields);
	scanned_free(&s);
	rule_free(r);
	free(yaml);
}

/*
 * A label printed with its box empty gives an empty value (an empty field), not a missing one
 * (a part of the page not read).
 */
static void
test_label_with_empty_box(void **state)
{
	char *yaml = pathf("%sfields:\n  note: {after: 備考}\n  cw: {after: 担当CW}\n", rule_head);
	struct rule *r = load_rule(yaml);
	static const char text[] = "備考\n\n担当CW  山田\n";
	struct scanned s = {0};
	struct found *f;

	(void)state;
	scanned_add_text(&s, text, strlen(text));
	f = scan_find(r, &s);
	assert_non_null(f[0].value);
	assert_string_equal(f[0].value, "");
	assert_string_equal(f[1].value, "山田");
	found_free(f, r->nfields);
	scanned_free(&s);
	rule_free(r);
	free(yaml);
}

/*
 * area: the words whose middles lie in the rectangle, in reading order, one space where the
 * text has one; words half outside by their middle are not taken.
 */
static void
test_area(void **state)
{
	char *yaml = pathf("%sfields:\n"
	                   "  name: {area: {page: 1, x: 55, y: 18, width: 40, height: 9}}\n"
	                   "  amount: {area: {x: 55, y: 38, width: 40, height: 9}, type: yen}\n"
	                   "  other: {area: {page: 2, x: 0, y: 0, width: 200, height: 200}}\n",
	                   rule_head);
	struct rule *r = load_rule(yaml);
	struct glyph g[] = {word("対象者氏名", 20, 20, 95), word("札幌", 60, 20, 91),
	                    word("花子", 69.5, 20, 85),     word("様", 94, 20, 99),
	                    word("支給額", 20, 40, 95),     word("2,000円", 60, 40, 88)};
	struct scanned s = {0};
	struct found *f;

	(void)state;
	scanned_add_page(&s, g, sizeof g / sizeof *g, 1);
	f = scan_find(r, &s);
	assert_string_equal(f[0].value, "札幌 花子");
	assert_true(f[0].conf == 85.0f);
	assert_string_equal(f[1].value, "2,000円");
	assert_null(f[2].value); /* there is no page 2 */
	found_free(f, r->nfields);
	scanned_free(&s);
	rule_free(r);
	free(yaml);
}

/*
 * A three-character label OCR read without its last character (申請日 as 申請) is found when
 * what is left stands alone as a box; 申請者 is not taken for it, and the label as printed
 * anywhere on the page comes first.
 */
static void
test_label_truncated(void **state)
{
	char *yaml = pathf("%sfields:\n  applied_on: {after: 申請日, type: date}\n", rule_head);
	struct rule *r = load_rule(yaml);
	static const char *const pages[][3] = {
	    {"申請", "令和6年4月25日", "2024-04-25"},
	    {"申請者", "令和6年4月25日", NULL},
	    {"申", "令和6年4月25日", NULL},
	};
	struct scanned s;
	struct found *f;
	size_t i;
	int64_t d;
	char *cause = NULL, *iso;

	(void)state;
	for (i = 0; i < sizeof pages / sizeof *pages; i++) {
		struct glyph g[] = {word("ケース番号", 20, 40, 95), word("0100-00007", 60, 40, 90),
		                    word(pages[i][0], 116, 40, 95), word(pages[i][1], 146, 40, 90)};

		memset(&s, 0, sizeof s);
		scanned_add_page(&s, g, sizeof g / sizeof *g, 1);
		f = scan_find(r, &s);
		if (pages[i][2] == NULL)
			assert_null(f[0].value);
		else {
			assert_non_null(f[0].value);
			assert_int_equal(tf_date(r->eras, f[0].value, &d, &cause), 0);
			iso = tf_iso(d);
			assert_string_equal(iso, pages[i][2]);
			free(iso);
		}
		found_free(f, r->nfields);
		scanned_free(&s);
	}
	rule_free(r);
	free(yaml);
}

/*
 * An area measured from its label: the same rectangle finds the amount on a form printed as
 * measured and on one printed 12% larger (the label and the amount both moved), and never the
 * row above or below; with the label nowhere on the page, nothing is found.
 */
static void
test_area_from_label(void **state)
{
	char *yaml = pathf("%sfields:\n"
	                   "  amount: {area: {label: 支給額, x: 5, y: -2, width: 160, height: 8},"
	                   " type: yen}\n",
	                   rule_head);
	struct rule *r = load_rule(yaml);
	double scale[] = {1.0, 1.12};
	struct glyph none[] = {word("片道運賃", 20, 40, 95), word("250円", 150, 40, 95)};
	struct scanned s;
	struct found *f;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		double k = scale[i];
		struct glyph g[] = {
		    word("片道運賃", 20 * k, 92 * k, 95), word("250円", 90 * k, 92 * k, 95),
		    word("支給額", 30 * k, 101 * k, 95),  word("2,000円", 170 * k, 101 * k, 90),
		    word("担当CW", 30 * k, 110 * k, 95),  word("111", 170 * k, 110 * k, 95)};

		memset(&s, 0, sizeof s);
		scanned_add_page(&s, g, sizeof g / sizeof *g, 1);
		f = scan_find(r, &s);
		assert_string_equal(f[0].value, "2,000円");
		found_free(f, r->nfields);
		scanned_free(&s);
	}
	memset(&s, 0, sizeof s);
	scanned_add_page(&s, none, sizeof none / sizeof *none, 1);
	f = scan_find(r, &s);
	assert_null(f[0].value);
	found_free(f, r->nfields);
	scanned_free(&s);
	rule_free(r);
	free(yaml);
}

/*
 * A yen amount OCR read with a full stop for its thousands comma (or both marks) is taken as
 * printed; a full stop that cannot be a thousands comma stays, and so does every mark of a text
 * layer (a PDF's text is taken as written).
 */
static void
test_ocr_thousands(void **state)
{
	char *yaml = pathf("%sfields:\n  amount: {after: 支給額, type: yen}\n", rule_head);
	struct rule *r = load_rule(yaml);
	static const char *const cases[][2] = {
	    {"1.220円", "1,220円"}, {"1,.220円", "1,220円"},  {"12.345.678円", "12,345,678円"},
	    {"1.22円", "1.22円"},   {"1.2200円", "1.2200円"}, {"2,000円", "2,000円"},
	};
	struct scanned s;
	struct found *f;
	size_t i;
	int ocr;

	(void)state;
	for (ocr = 0; ocr <= 1; ocr++)
		for (i = 0; i < sizeof cases / sizeof *cases; i++) {
			struct glyph g[] = {word("支給額", 20, 40, 95),
			                    word(cases[i][0], 60, 40, 90)};

			memset(&s, 0, sizeof s);
			scanned_add_page(&s, g, sizeof g / sizeof *g, ocr);
			f = scan_find(r, &s);
			assert_string_equal(f[0].value, ocr ? cases[i][1] : cases[i][0]);
			found_free(f, r->nfields);
			scanned_free(&s);
		}
	rule_free(r);
	free(yaml);
}

/* area needs places: a rule for OCR text is told so, and so is an area without its size. */
static void
test_area_refused(void **state)
{
	struct diags d = {0};
	char *path = pathf("%s/bad.yaml", dir);
	struct rule *r;

	(void)state;
	spits(path, "match: {glob: ['*.txt']}\ninput: {format: text}\n"
	            "fields:\n  a: {area: {x: 1, y: 1, width: 2}}\n"
	            "outputs: {import: {name: x.csv, columns: [{field: _row}]}}\n");
	r = rule_load(path, eras_builtin(), &d);
	assert_int_equal(diags_errors(&d, 0), 2);
	assert_non_null(strstr(d.v[0].msg, "OCR text has none"));
	assert_non_null(strstr(d.v[1].msg, "'area' needs 'height'"));
	rule_free(r);
	diags_free(&d);
	free(path);
}

/*
 * replace: a known misreading is put right before finding, the spans after it still point at
 * their own bytes, and the replaced text counts as sure.
 */
static void
test_replace(void **state)
{
	char *yaml = pathf("%sfields:\n  applied_on: {after: 申請日, type: date}\n"
	                   "  amount: {after: 支給額}\n",
	                   rule_head);
	struct rule *r = load_rule(yaml);
	struct glyph g[] = {word("申請日", 20, 20, 95), word("金", 60, 20, 23),
	                    word("和6年4月3日", 64, 20, 90), word("支給額", 20, 40, 95),
	                    word("2,000円", 60, 40, 88)};
	struct scanned s = {0};
	struct found *f;

	(void)state;
	g[2].space = 0; /* OCR says 金和 is one run */
	scanned_add_page(&s, g, sizeof g / sizeof *g, 1);
	scanned_replace(&s, r);
	assert_non_null(strstr(s.text.p, "申請日  令和6年4月3日"));
	f = scan_find(r, &s);
	assert_string_equal(f[0].value, "令和6年4月3日");
	assert_true(f[0].conf == 90.0f); /* 金 at 23% became the rule's 令, which is sure */
	assert_string_equal(f[1].value, "2,000円");
	assert_true(f[1].conf == 88.0f);
	assert_memory_equal(s.text.p + s.spans[4].off, "2,000円", s.spans[4].len);
	found_free(f, r->nfields);
	scanned_free(&s);
	rule_free(r);
	free(yaml);
}

/* OCR text: a page per form feed, and a page taken alone for a claim of its own. */
static void
test_pages(void **state)
{
	static const char text[] = "支給額 100円\f支給額 200円\n\f";
	char *yaml = pathf("%sfields:\n  amount: {after: 支給額}\n", rule_head);
	struct rule *r = load_rule(yaml);
	struct scanned s = {0}, one;
	struct found *f;

	(void)state;
	scanned_add_text(&s, text, strlen(text));
	assert_int_equal(s.npages, 2);
	scanned_page(&s, 2, &one);
	f = scan_find(r, &one);
	assert_string_equal(f[0].value, "200円");
	assert_int_equal(f[0].line, 1);
	found_free(f, r->nfields);
	scanned_free(&one);
	scanned_free(&s);
	rule_free(r);
	free(yaml);
}

static const char page_claim[] = "ケース番号  0101-0023%d        申請日  令和6年4月3日\n"
                                 "対象者氏名  札幌 花子\n"
                                 "通院日  令和6年4月%d日          交通機関  地下鉄\n"
                                 "医療機関名  東区中央病院\n"
                                 "片道運賃  250円               往復回数  4回\n"
                                 "支給額  %s円\n";

/*
 * The shipped rule as "pages", one claim per page (its glob stays scan-transport*), a spool in
 * dir, and at path (under dir) a file of four claims: pages 1 and 3 read surely, 2 and 4 not.
 */
static void
pages_setup(const char *path)
{
	char *src = srcpath("rules/transport-scan.yaml"), *tmpl = srcpath("templates"), *text, *p;
	char *rule, *c1, *c2, *c3, *c4;

	text = slurp(src, NULL);
	p = replace_once(text, "name: transport-scan\n", "name: pages\n");
	rule = replace_once(p, "\ninput:\n", "\ninput:\n  per: page\n");
	free(p);
	p = pathf("%s/rules", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = pathf("%s/rules/pages.yaml", dir);
	spits(p, rule);
	free(p);
	free(rule);
	free(text);
	p = pathf("%s/formagent.yaml", dir);
	text = pathf("rules: rules\ntemplates: %s\nlanguage: en\naudit: {dir: audit}\n"
	             "spools:\n  - {name: s, inbox: in, work: work, out: out, done: done,\n"
	             "     rejected: rejected, review: review, rules: [pages], settle_ms: 0}\n",
	             tmpl);
	spits(p, text);
	free(text);
	free(p);
	c1 = pathf(page_claim, 1, 1, "2,000");
	c2 = pathf(page_claim, 2, 2, "2,OOO");
	c3 = pathf(page_claim, 3, 3, "2,000");
	c4 = pathf(page_claim, 4, 4, "2,0O0");
	text = pathf("%s\f%s\f%s\f%s", c1, c2, c3, c4);
	free(c1);
	free(c2);
	free(c3);
	free(c4);
	p = pathf("%s/%s", dir, path);
	spits(p, text);
	free(p);
	free(text);
	free(src);
	free(tmpl);
}

/*
 * The agent with a file of claims per page, two sure and two in doubt: the file waits in review,
 * yet its two sure claims were paid, and the register and the audit log both say so. Those two
 * claims scanned again pay nothing.
 */
static void
test_per_page_review_pays_sure_pages(void **state)
{
	char *out = NULL, *err = NULL, *p, *c1;
	int rc;

	(void)state;
	p = pathf("%s/in", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	pages_setup("in/scan-transport-pages.txt");
	assert_int_equal(run_agent(dir, NULL, NULL, "run --once -c formagent.yaml"), 0);
	p = pathf("%s/out", dir);
	assert_int_equal(count_files(p, ".xlsx"), 2);
	free(p);
	rc = run_agent(dir, &out, &err, "claims check -c formagent.yaml");
	if (rc != 0)
		print_error("%s%s", out, err);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "2 payments in the audit log, 2 in the register"));
	free(out);
	free(err);
	/* Page 1's claim scanned again, alone. */
	c1 = pathf(page_claim, 1, 1, "2,000");
	p = pathf("%s/in/scan-transport-again.txt", dir);
	spits(p, c1);
	free(p);
	free(c1);
	assert_int_equal(run_agent(dir, NULL, NULL, "run --once -c formagent.yaml"), 0);
	p = pathf("%s/rejected/scan-transport-again.txt.reason.txt", dir);
	c1 = slurp(p, NULL);
	free(p);
	assert_non_null(c1);
	assert_non_null(strstr(c1, "already paid: scan-transport-pages.txt, "));
	free(c1);
	/* Rebuilt from the log, the register holds the same two. */
	assert_int_equal(run_agent(dir, &out, &err, "claims rebuild -c formagent.yaml"), 0);
	assert_non_null(strstr(out, ": 2 payments, 0 allowances"));
	free(out);
	free(err);
}

/* Writes the correction file of scan-transport-pages.txt and has formagent process it. */
static int
correct(const char *fix, char **out, char **err)
{
	char *p = pathf("%s/scan-transport-pages.txt.fix.txt", dir);

	spits(p, fix);
	free(p);
	return run_agent(dir, out, err,
	                 "process -c formagent.yaml --out out scan-transport-pages.txt.fix.txt");
}

/*
 * per: page through the command: four claims in one OCR text, the two misread in review with
 * their pages named, the others made; a correction must name exactly the pages in review, and
 * then makes their forms.
 */
static void
test_per_page_and_correction(void **state)
{
	char *text, *out = NULL, *err = NULL, *p;
	int rc;

	(void)state;
	pages_setup("scan-transport-pages.txt");
	rc = run_agent(dir, &out, &err,
	               "process -c formagent.yaml --out out scan-transport-pages.txt");
	if (rc != 1)
		print_error("%s%s", out, err);
	assert_int_equal(rc, 1);
	p = pathf("%s/out", dir);
	assert_int_equal(count_files(p, ".xlsx"), 2);
	free(p);
	p = pathf("%s/out/scan-transport-pages.txt.review.txt", dir);
	text = slurp(p, NULL);
	free(p);
	assert_non_null(text);
	assert_non_null(strstr(text, "2 of its 4 claims made their forms"));
	assert_non_null(strstr(text, "page 2:\n  支給額: 2,OOO円\npage 4:\n  支給額: 2,0O0円\n"));
	free(text);
	free(out);
	free(err);

	/* A correction of a page that made its form is refused: it would be paid twice. */
	p = pathf("cp %s/scan-transport-pages.txt %s/out/", dir, dir);
	assert_int_equal(system(p), 0);
	free(p);
	rc = correct("page 2:\n  支給額: 2000\npage 3:\n  支給額: 2000\npage 4:\n  支給額: 2000\n",
	             &out, &err);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, "page 3 of scan-transport-pages.txt made its form when the "
	                            "file was read"));
	free(out);
	free(err);
	/* Nor name a page twice, */
	rc = correct("page 2:\n  支給額: 2000\n2:\n  支給額: 2000\npage 4:\n  支給額: 2000\n", &out,
	             &err);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, "line 3: page 2 is named twice"));
	free(out);
	free(err);
	/* nor leave out a page in review: that page would be lost with the file. */
	rc = correct("page 2:\n  支給額: 2000\n", &out, &err);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, "page 4 of scan-transport-pages.txt is in review too"));
	free(out);
	free(err);
	p = pathf("%s/out", dir);
	assert_int_equal(count_files(p, ".xlsx"), 2);
	free(p);

	/* The pages in review, and only they, are read again and make their forms. */
	rc = correct("page 2:\n  支給額: 2000\npage 4:\n  支給額: 2000\n", &out, &err);
	if (rc != 0)
		print_error("%s%s", out, err);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "2 rows: 2 produced"));
	p = pathf("%s/out/transport-0101-00232-2024-04-02.xlsx", dir);
	assert_int_equal(access(p, F_OK), 0);
	free(p);
	p = pathf("%s/out", dir);
	assert_int_equal(count_files(p, ".xlsx"), 4);
	free(p);
	free(out);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_confidence_and_place, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_label_near, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_label_with_empty_box, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_area, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_label_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_area_from_label, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ocr_thousands, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_area_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_per_page_and_correction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_per_page_review_pays_sure_pages, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
