/*
 * libFuzzer harness: any bytes as a scanned claim, both as a scanner's OCR text (pages at form
 * feeds) and as OCR words with places (one per line of the input), through the layout, a rule's
 * known misreadings, and its finders: after a label (with a character wrong), a pattern and an
 * area, on the whole and page by page.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "scan.h"
#include "transform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rule_yaml[] =
    "match: {glob: ['*.png']}\n"
    "input: {format: image, replace: {金和: 令和, 'a': 'bb', 'bb': ''}}\n"
    "fields:\n"
    "  case_no: {after: ケース番号}\n"
    "  day: {after: 申請日}\n"
    "  amount: {after: 支給額}\n"
    "  trips: {regex: '往復回数[^0-9]*([0-9]+)'}\n"
    "  boxed: {area: {page: 1, x: 10, y: 5, width: 80, height: 40}}\n"
    "  second: {area: {page: 2, x: 0, y: 0, width: 210, height: 297}}\n"
    "outputs: {import: {name: x.csv, columns: [{field: _row}]}}\n";

static struct rule *
rule(void)
{
	static struct rule *r;
	char path[] = "/tmp/fuzz-scan-XXXXXX";
	struct diags d = {0};
	FILE *fp;
	int fd;

	if (r != NULL)
		return r;
	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		abort();
	fputs(rule_yaml, fp);
	fclose(fp);
	r = rule_load(path, eras_builtin(), &d);
	unlink(path);
	if (r == NULL || d.n > 0)
		abort();
	diags_free(&d);
	return r;
}

static void
find_all(const struct rule *r, struct scanned *s)
{
	struct scanned one;
	int p;

	scanned_replace(s, r);
	found_free(scan_find(r, s), r->nfields);
	for (p = 1; p <= s->npages; p++) {
		scanned_page(s, p, &one);
		found_free(scan_find(r, &one), r->nfields);
		scanned_free(&one);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct rule *r = rule();
	const char *text = (const char *)data, *nl;
	struct scanned s = {0};
	struct glyph *g = calloc(size + 1, sizeof *g);
	size_t n = 0, off = 0, len;

	scanned_add_text(&s, text, size);
	find_all(r, &s);
	scanned_free(&s);

	/* The same bytes as OCR words, a line each, strewn over an A4 page. */
	while (off < size) {
		nl = memchr(text + off, '\n', size - off);
		len = (size_t)((nl != NULL ? nl : text + size) - (text + off));
		if (len > 0) {
			g[n].x1 = (double)((n * 37) % 200);
			g[n].y1 = (double)((n * 11) % 280);
			g[n].x2 = g[n].x1 + (double)(len % 40) + 1;
			g[n].y2 = g[n].y1 + (double)(n % 7) + 1;
			g[n].conf = (float)(n % 101);
			g[n].space = (int)(n % 3) - 1;
			g[n].run = (int)(n % 4);
			g[n].p = text + off;
			g[n].len = len;
			n++;
		}
		off += len + 1;
	}
	scanned_add_page(&s, g, n, 1);
	scanned_add_page(&s, g, n / 2, 1);
	find_all(r, &s);
	scanned_free(&s);
	free(g);
	return 0;
}
