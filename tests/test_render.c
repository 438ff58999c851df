/*
 * What a person sees: the forms and the ledger rendered by LibreOffice (the office's other
 * reader besides Excel), converted to text as shown and printed to PDF with the project's fonts
 * (templates/fonts.conf). Dates must read as 和暦 (令和6年4月3日), amounts with separators and 円,
 * the ledger's total must show without a recalculation, the PDF must embed a Japanese face, and
 * no printed text may cross a ruled line of the ledger into the next column.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cmocka.h>
#include <poppler.h>
#include <unzip.h>
#include <zip.h>

#include "testutil.h"

/*
 * The xlsx at dir/name converted by LibreOffice with filter, as every LibreOffice run of the
 * project is made: its own profile, and the project's fonts (FONTCONFIG_FILE). Returns the path of
 * the result, dir/NAME.ext; the test fails if soffice did.
 */
static char *
soffice(const char *dir, const char *name, const char *ext, const char *filter)
{
	char *fonts = srcpath("templates/fonts.conf"), *base = strdup(name), *cmd, *out;

	base[strlen(base) - strlen(".xlsx")] = '\0';
	cmd = pathf("cd '%s' && HOME='%s' FONTCONFIG_FILE='%s' timeout 180 soffice --headless "
	            "-env:UserInstallation=file://%s/lo-profile --convert-to '%s' '%s' "
	            ">/dev/null 2>&1",
	            dir, dir, fonts, dir, filter, name);
	if (system(cmd) != 0)
		fail_msg("soffice could not convert %s", name);
	out = pathf("%s/%s.%s", dir, base, ext);
	free(cmd);
	free(base);
	free(fonts);
	return out;
}

/* The xlsx at dir/name as LibreOffice shows it, as UTF-8 CSV. */
static char *
as_shown(const char *dir, const char *name)
{
	char *csv = soffice(dir, name, "csv",
	                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true");
	char *text = slurp(csv, NULL);

	free(csv);
	return text;
}

/* The first page of the xlsx at dir/name as LibreOffice prints it. Unref it. */
static PopplerPage *
printed(const char *dir, const char *name, PopplerDocument **doc)
{
	char *pdf = soffice(dir, name, "pdf", "pdf"), *uri = pathf("file://%s", pdf);
	GError *err = NULL;
	PopplerPage *page;

	*doc = poppler_document_new_from_file(uri, NULL, &err);
	if (*doc == NULL)
		fail_msg("%s: %s", pdf, err->message);
	page = poppler_document_get_page(*doc, 0);
	assert_non_null(page);
	free(uri);
	free(pdf);
	return page;
}

static void
test_libreoffice_shows_wareki(void **state)
{
	char *dir, *cdir = tmpdir_new(), *cfg = example_config(cdir), *in, *text;

	(void)state;
	dir = tmpdir_new();
	in = samplepath("transport-2024-04.cp932.csv");
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", cfg, dir, in), 0);
	text = as_shown(dir, "transport-2024-04.cp932.ledger.xlsx");
	assert_non_null(text);
	assert_non_null(
	    strstr(text, "2,0101-00231,札幌 太郎,令和6年4月3日,令和6年4月1日,東区中央病院,250円,4,"
	                 "\"2,000円\""));
	assert_non_null(strstr(text, "合計,,,,,,,,\"11,880円\""));
	free(text);
	text = as_shown(dir, "transport-0102-01345-2024-04-05.xlsx");
	assert_non_null(text);
	assert_non_null(strstr(text, ",係長,課長"));
	assert_non_null(strstr(text, "通院移送費 支給決定書"));
	assert_non_null(strstr(text, ",申請日,令和6年4月9日"));
	assert_non_null(strstr(text, ",通院日,令和6年4月5日"));
	assert_non_null(strstr(text, "\"5,040円\""));
	assert_non_null(strstr(text, "12回"));
	free(text);
	free(in);
	free(cfg);
	rmtree(cdir);
	free(cdir);
	rmtree(dir);
	free(dir);
}

/* Whether the document embeds a face that has Japanese glyphs: one the fonts file binds to. */
static int
embeds_japanese_face(PopplerDocument *doc)
{
	PopplerFontInfo *fi = poppler_font_info_new(doc);
	PopplerFontsIter *it = NULL;
	const char *name;
	int found = 0;

	while (poppler_font_info_scan(fi, 1, &it) && it != NULL) {
		do {
			name = poppler_fonts_iter_get_name(it);
			if (name != NULL && poppler_fonts_iter_is_embedded(it) &&
			    (strstr(name, "IPA") != NULL || strstr(name, "Gothic") != NULL ||
			     strstr(name, "Mincho") != NULL))
				found = 1;
		} while (poppler_fonts_iter_next(it));
		poppler_fonts_iter_free(it);
		it = NULL;
	}
	poppler_font_info_free(fi);
	return found;
}

/*
 * Asserts that the xlsx at dir/name prints with a Japanese face embedded and every string of
 * want (NULL-terminated) as text a clerk can select and search.
 */
static void
assert_prints(const char *dir, const char *name, const char *const *want)
{
	PopplerDocument *doc;
	PopplerPage *page = printed(dir, name, &doc);
	char *text = poppler_page_get_text(page);

	assert_true(embeds_japanese_face(doc));
	for (; *want != NULL; want++)
		if (strstr(text, *want) == NULL)
			fail_msg("%s prints without '%s':\n%s", name, *want, text);
	g_free(text);
	g_object_unref(page);
	g_object_unref(doc);
}

/* A form and the ledger printed: a Japanese face embedded, and the text a clerk reads. */
static void
test_printed_in_japanese(void **state)
{
	char *dir = tmpdir_new(), *cdir = tmpdir_new(), *cfg = example_config(cdir);
	char *in = samplepath("transport-2024-04.cp932.csv");
	static const char *const form[] = {"通院移送費 支給決定書", "令和6年4月1日", "2,000円",
	                                   NULL};
	static const char *const ledger[] = {"令和6年4月1日", "2,000円", "11,880円", NULL};

	(void)state;
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", cfg, dir, in), 0);
	assert_prints(dir, "transport-0101-00231-2024-04-01.xlsx", form);
	assert_prints(dir, "transport-2024-04.cp932.ledger.xlsx", ledger);
	free(in);
	free(cfg);
	rmtree(cdir);
	free(cdir);
	rmtree(dir);
	free(dir);
}

/* Points per millimetre, and the drawing's scale (pixels per point) for finding the ruled lines. */
#define PT_PER_MM (72.0 / 25.4)
#define SCALE     4.0

/*
 * The x (in points) of each vertical ruled line of a printed page: a column of dark pixels at
 * least min_mm long without a break. A glyph is never that tall; a table's column rule is. The
 * lines' top and bottom (points) are returned too: the table's extent.
 */
static size_t
vertical_rules(PopplerPage *page, double min_mm, double *xs, size_t max, double *top,
               double *bottom)
{
	double w, h;
	int pw, ph, x, y, run, stride, start, first = -2, last = -2;
	cairo_surface_t *surf;
	cairo_t *cr;
	unsigned char *px;
	size_t n = 0;

	poppler_page_get_size(page, &w, &h);
	pw = (int)(w * SCALE);
	ph = (int)(h * SCALE);
	surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph);
	cr = cairo_create(surf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, SCALE, SCALE);
	poppler_page_render_for_printing(page, cr);
	cairo_surface_flush(surf);
	px = cairo_image_surface_get_data(surf);
	stride = cairo_image_surface_get_stride(surf);
	*top = h;
	*bottom = 0;
	for (x = 0; x < pw; x++) {
		int longest = 0, lstart = 0;

		for (y = 0, run = 0, start = 0; y <= ph; y++) {
			/* Green of the RGB24 pixel: dark under 128 is ink. */
			if (y < ph && px[y * stride + x * 4 + 1] < 128) {
				if (run++ == 0)
					start = y;
				continue;
			}
			if (run > longest) {
				longest = run;
				lstart = start;
			}
			run = 0;
		}
		if (longest / SCALE < min_mm * PT_PER_MM)
			continue;
		/* One line is several pixels wide: keep its middle. */
		if (n > 0 && x == last + 1) {
			xs[n - 1] = (first + x) / 2.0 / SCALE;
			last = x;
			continue;
		}
		if (n < max) {
			first = last = x;
			xs[n++] = x / SCALE;
		}
		if (lstart / SCALE < *top)
			*top = lstart / SCALE;
		if ((lstart + longest) / SCALE > *bottom)
			*bottom = (lstart + longest) / SCALE;
	}
	cairo_destroy(cr);
	cairo_surface_destroy(surf);
	return n;
}

/*
 * Whether two characters are printed over each other: their boxes meet by more than a hair
 * across, and by more than a third of a line down (poppler's boxes are the font's whole height,
 * so the lines of one wrapped value touch a little).
 */
static int
overlap(const PopplerRectangle *a, const PopplerRectangle *b)
{
	double h = fmin(a->y2 - a->y1, b->y2 - b->y1);

	return a->x1 + 0.3 < b->x2 && b->x1 + 0.3 < a->x2 &&
	       fmin(a->y2, b->y2) - fmax(a->y1, b->y1) > h / 3;
}

/*
 * Asserts that no printed character of the table crosses a vertical rule or comes nearer to one
 * than clear_mm, and that none is printed over another: each cell's text stays inside its own
 * column, apart from the next one's, and a wrapped value inside its own row.
 */
static void
assert_text_inside_columns(PopplerPage *page, double clear_mm)
{
	double xs[64], top, bottom, clear = clear_mm * PT_PER_MM;
	size_t nx = vertical_rules(page, 12, xs, 64, &top, &bottom), k;
	PopplerRectangle *rects;
	guint nrects, i;
	char *text = poppler_page_get_text(page);
	const char *p = text;
	gunichar ch;
	guint j;

	assert_true(nx >= 5);
	assert_true(poppler_page_get_text_layout(page, &rects, &nrects));
	for (i = 0; i < nrects && *p != '\0'; i++, p = g_utf8_next_char(p)) {
		PopplerRectangle *r = &rects[i];
		double cy = (r->y1 + r->y2) / 2;

		ch = g_utf8_get_char(p);
		if (g_unichar_isspace(ch) || cy < top || cy > bottom)
			continue;
		for (k = 0; k < nx; k++)
			if (r->x1 < xs[k] + clear && r->x2 > xs[k] - clear) {
				char c[8] = {0};

				g_unichar_to_utf8(ch, c);
				fail_msg(
				    "'%s' at %.1f-%.1f mm crosses or touches the rule at %.1f mm "
				    "(line: %.40s)",
				    c, r->x1 / PT_PER_MM, r->x2 / PT_PER_MM, xs[k] / PT_PER_MM, p);
			}
		for (j = 0; j < i; j++)
			if (rects[j].x2 - rects[j].x1 > 0.5 && overlap(r, &rects[j]))
				fail_msg(
				    "characters %u and %u are printed over each other at %.1f, "
				    "%.1f mm (line: %.40s)",
				    j, i, r->x1 / PT_PER_MM, r->y1 / PT_PER_MM, p);
	}
	g_free(rects);
	g_free(text);
}

/*
 * The ledger's columns fit what they hold when LibreOffice prints it: long names, a long clinic
 * (wrapped inside its column), large amounts and a long caseworker beside the amount.
 */
static void
test_ledger_columns_fit_printed(void **state)
{
	char *dir = tmpdir_new(), *cdir = tmpdir_new(), *cfg = example_config(cdir),
	     *in = pathf("%s/transport-wide.csv", dir);
	PopplerDocument *doc;
	PopplerPage *page;
	char *text;

	(void)state;
	spits(in,
	      "ケース番号,世帯主氏名,対象者氏名,申請日,通院日,医療機関名,経路,交通機関,"
	      "片道運賃,往復回数,支給額,担当CW,備考\n"
	      "0101-00231,札幌 太郎,札幌 太郎,令和6年4月3日,R6.4.1,東区中央病院,"
	      "元町駅→環状通東駅,地下鉄,250,4,\"2,000\",保護一係 山田,\n"
	      "0101-00488,長谷川部 由紀子衛門,長谷川部 由紀子衛門,令和6年12月23日,令和6年12月22日,"
	      "独立行政法人地域医療機能推進機構札幌北辰病院附属リハビリテーションセンター,"
	      "自宅→病院,タクシー,\"99,999\",5,\"999,990\",保護十二係 長谷川部 由紀子衛門,\n"
	      "0102-01102,東 次郎,東 次郎,R6.4.8,令和6年4月4日,苗穂内科クリニック,"
	      "東区役所前→苗穂駅前,バス,210,2,￥840,保護二係 鈴木,\n");
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", cfg, dir, in), 0);
	page = printed(dir, "transport-wide.ledger.xlsx", &doc);
	text = poppler_page_get_text(page);
	assert_non_null(strstr(text, "999,990円"));
	assert_non_null(strstr(text, "1,002,830円"));
	g_free(text);
	assert_text_inside_columns(page, 0.1);
	g_object_unref(page);
	g_object_unref(doc);
	free(in);
	free(cfg);
	rmtree(cdir);
	free(cdir);
	rmtree(dir);
	free(dir);
}

/*
 * The office's own form and ledger, filled, as LibreOffice shows them: the date in the
 * workbook's 和暦 format, the amount in its yen format, and the formulas recalculated from the
 * filled values (the check amount beside the form's cells, the ledger's count and total).
 */
static void
test_office_workbook_shown(void **state)
{
	char *dir = tmpdir_new(), *cdir = tmpdir_new(), *cfg = example_config(cdir), *text;
	char *in = samplepath("transport-2024-04.cp932.csv");

	(void)state;
	assert_int_equal(
	    run_agent(NULL, NULL, NULL,
	              "process -c '%s' --rule transport-office --out '%s' '%s' --quiet", cfg, dir,
	              in),
	    0);
	text = as_shown(dir, "office-transport-0101-00231-2024-04-01.xlsx");
	assert_non_null(text);
	assert_non_null(strstr(text, ",ケース番号,0101-00231,申請日,令和6年4月3日"));
	assert_non_null(strstr(text, ",支給額,\"2,000円\""));
	assert_non_null(strstr(text, ",確認額,\"2,000円\",担当CW,保護一係 山田"));
	free(text);
	text = as_shown(dir, "transport-2024-04.cp932.ledger.xlsx");
	assert_non_null(text);
	assert_non_null(
	    strstr(text, ",0102-01345,石狩 三郎,令和6年4月5日,札幌東徳洲会病院,\"5,040円\""));
	assert_non_null(strstr(text, ",合計,,,4件,\"11,880円\""));
	free(text);
	free(in);
	free(cfg);
	rmtree(cdir);
	free(cdir);
	rmtree(dir);
	free(dir);
}

/*
 * The office's workbook with every cell the fill may change (its placeholders, and the formulas
 * that are recalculated from them) painted black and emptied: printed, it shows where the filled
 * copy may differ from the template. Made here, from the template's parts, by text edits of its
 * styles (a black fill and a style using it) and of its sheet.
 */
static void
make_mask(const char *template, const char *out)
{
	unzFile in = unzOpen64(template);
	zipFile zo = zipOpen64(out, APPEND_STATUS_CREATE);
	char name[512], chunk[65536], *sst = NULL, *p;
	struct part {
		char name[512];
		char *bytes;
		size_t len;
	} parts[64];
	size_t np = 0, i;
	int rc, k, fills = 0, xfs = 0;

	assert_non_null(in);
	assert_non_null(zo);
	for (rc = unzGoToFirstFile(in); rc == UNZ_OK; rc = unzGoToNextFile(in)) {
		struct part *q = &parts[np++];

		assert_true(np < 64);
		unzGetCurrentFileInfo64(in, NULL, name, sizeof name, NULL, 0, NULL, 0);
		snprintf(q->name, sizeof q->name, "%s", name);
		q->bytes = NULL;
		q->len = 0;
		unzOpenCurrentFile(in);
		while ((k = unzReadCurrentFile(in, chunk, sizeof chunk)) > 0) {
			q->bytes = realloc(q->bytes, q->len + (size_t)k + 1);
			memcpy(q->bytes + q->len, chunk, (size_t)k);
			q->len += (size_t)k;
			q->bytes[q->len] = '\0';
		}
		unzCloseCurrentFile(in);
		if (strcmp(name, "xl/sharedStrings.xml") == 0)
			sst = q->bytes;
	}
	unzClose(in);
	assert_non_null(sst);
	for (i = 0; i < np; i++) {
		char *text = parts[i].bytes, *edited;

		if (strcmp(parts[i].name, "xl/styles.xml") == 0) {
			p = strstr(text, "<fills count=\"");
			assert_non_null(p);
			fills = atoi(p + 14);
			p = strstr(text, "<cellXfs count=\"");
			assert_non_null(p);
			xfs = atoi(p + 16);
			edited = pathf("%.*s<fill><patternFill patternType=\"solid\"><fgColor "
			               "rgb=\"FF000000\"/>"
			               "</patternFill></fill>%.*s<xf numFmtId=\"0\" fontId=\"0\" "
			               "fillId=\"%d\" "
			               "borderId=\"0\" applyFill=\"1\"/>%s",
			               (int)(strstr(text, "</fills>") - text), text,
			               (int)(strstr(text, "</cellXfs>") - strstr(text, "</fills>")),
			               strstr(text, "</fills>"), fills, strstr(text, "</cellXfs>"));
		} else if (strcmp(parts[i].name, "xl/worksheets/sheet1.xml") == 0) {
			/* Each string cell whose text is a placeholder, and each formula cell. */
			struct buf {
				char *p;
				size_t n;
			} b = {NULL, 0};
			const char *c = text, *next, *end;

			while ((next = strstr(c, "<c r=\"")) != NULL) {
				char ref[16], *cell;
				int idx = -1, mark = 0;

				end = strstr(next, "</c>");
				if (end == NULL || strchr(next, '>')[-1] == '/')
					end = strchr(next, '>') + 1;
				else
					end += 4;
				sscanf(next + 6, "%15[^\"]", ref);
				cell = strndup(next, (size_t)(end - next));
				if (strstr(cell, "<f") != NULL)
					mark = 1;
				else if (strstr(cell, " t=\"s\"") != NULL &&
				         sscanf(strstr(cell, "<v>") + 3, "%d", &idx) == 1) {
					const char *si = sst;
					int n;

					for (n = 0; n <= idx && si != NULL; n++)
						si = strstr(si + 1, "<si>");
					mark = si != NULL &&
					       strncmp(strstr(si, "<t") + 2, ">{{", 3) == 0;
					mark = mark ||
					       (si != NULL &&
					        strncmp(strstr(si, "<t"),
					                "<t xml:space=\"preserve\">{{", 26) == 0);
				}
				b.p = realloc(b.p, b.n + (size_t)(end - c) + 64);
				memcpy(b.p + b.n, c, (size_t)(next - c));
				b.n += (size_t)(next - c);
				if (mark)
					b.n += (size_t)sprintf(b.p + b.n, "<c r=\"%s\" s=\"%d\"/>",
					                       ref, xfs);
				else {
					memcpy(b.p + b.n, next, (size_t)(end - next));
					b.n += (size_t)(end - next);
				}
				free(cell);
				c = end;
			}
			edited = pathf("%.*s%s", (int)b.n, b.p, c);
			free(b.p);
		} else
			edited = NULL;
		zipOpenNewFileInZip64(zo, parts[i].name, NULL, NULL, 0, NULL, 0, NULL, Z_DEFLATED,
		                      6, 0);
		if (edited != NULL) {
			zipWriteInFileInZip(zo, edited, (unsigned)strlen(edited));
			free(edited);
		} else
			zipWriteInFileInZip(zo, parts[i].bytes, (unsigned)parts[i].len);
		zipCloseFileInZip(zo);
		free(parts[i].bytes);
	}
	assert_int_equal(zipClose(zo, NULL), ZIP_OK);
	assert_true(fills > 0 && xfs > 0);
}

/* The first page of the xlsx at dir/name printed by LibreOffice, as pixels at 100 dpi. */
static cairo_surface_t *
pixels(const char *dir, const char *name)
{
	PopplerDocument *doc;
	PopplerPage *page = printed(dir, name, &doc);
	double w, h;
	cairo_surface_t *sf;
	cairo_t *cr;

	poppler_page_get_size(page, &w, &h);
	sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)(w * 100 / 72),
	                                (int)(h * 100 / 72));
	cr = cairo_create(sf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, 100.0 / 72, 100.0 / 72);
	poppler_page_render_for_printing(page, cr);
	cairo_destroy(cr);
	cairo_surface_flush(sf);
	g_object_unref(page);
	g_object_unref(doc);
	return sf;
}

static unsigned
px(cairo_surface_t *sf, int x, int y)
{
	const unsigned char *row = cairo_image_surface_get_data(sf) +
	                           (size_t)y * (size_t)cairo_image_surface_get_stride(sf);

	return ((const uint32_t *)(const void *)row)[x] & 0xffffff;
}

static int
dark(unsigned rgb)
{
	return ((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff) < 3 * 80;
}

/*
 * The office's form as printed, empty and filled: every pixel that differs lies inside a cell
 * the fill may change (found by printing the mask above), give or take the 3 pixels a glyph's
 * edge may blur across; and the filled copy does differ, inside them.
 */
static void
test_filled_workbook_differs_only_in_filled_cells(void **state)
{
	char *dir = tmpdir_new(), *cdir = tmpdir_new(), *cfg = example_config(cdir);
	char *in = samplepath("transport-2024-04.cp932.csv"),
	     *tpl = srcpath("templates/様式第3号.xlsx");
	char *cmd, *mask = pathf("%s/mask.xlsx", dir);
	cairo_surface_t *t, *f, *m;
	int w, h, x, y, dx, dy, inside, outside = 0, changed = 0, bx0 = 1 << 30, by0 = 1 << 30,
	                                bx1 = -1, by1 = -1;

	(void)state;
	assert_int_equal(run_agent(NULL, NULL, NULL,
	                           "process -c '%s' --rule transport-office --out '%s' '%s' "
	                           "--quiet",
	                           cfg, dir, in),
	                 0);
	cmd = pathf("cp '%s' '%s/template.xlsx'", tpl, dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	make_mask(tpl, mask);
	t = pixels(dir, "template.xlsx");
	f = pixels(dir, "office-transport-0101-00231-2024-04-01.xlsx");
	m = pixels(dir, "mask.xlsx");
	w = cairo_image_surface_get_width(t);
	h = cairo_image_surface_get_height(t);
	assert_int_equal(cairo_image_surface_get_width(f), w);
	assert_int_equal(cairo_image_surface_get_height(m), h);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			if (px(t, x, y) == px(f, x, y))
				continue;
			changed++;
			/* Inside: the mask is black near here where the template is not. */
			for (inside = 0, dy = -3; dy <= 3 && !inside; dy++)
				for (dx = -3; dx <= 3 && !inside; dx++)
					if (x + dx >= 0 && x + dx < w && y + dy >= 0 &&
					    y + dy < h && dark(px(m, x + dx, y + dy)) &&
					    !dark(px(t, x + dx, y + dy)))
						inside = 1;
			if (!inside) {
				outside++;
				bx0 = x < bx0 ? x : bx0;
				by0 = y < by0 ? y : by0;
				bx1 = x > bx1 ? x : bx1;
				by1 = y > by1 ? y : by1;
			}
		}
	if (outside > 0)
		fail_msg(
		    "%d pixels differ outside the filled cells, within (%d,%d)-(%d,%d) at 100 dpi",
		    outside, bx0, by0, bx1, by1);
	/* The values are there: thousands of pixels of text. */
	assert_true(changed > 2000);
	cairo_surface_destroy(t);
	cairo_surface_destroy(f);
	cairo_surface_destroy(m);
	free(mask);
	free(tpl);
	free(in);
	free(cfg);
	rmtree(cdir);
	free(cdir);
	rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_libreoffice_shows_wareki),
	    cmocka_unit_test(test_printed_in_japanese),
	    cmocka_unit_test(test_ledger_columns_fit_printed),
	    cmocka_unit_test(test_office_workbook_shown),
	    cmocka_unit_test(test_filled_workbook_differs_only_in_filled_cells),
	};

	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
