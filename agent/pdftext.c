/*
 * PDF text with its layout (see pdftext.h). poppler gives each character of a page with its box;
 * they are sorted by the middle of their boxes, cut into lines where the middle moves by more
 * than half a character, and each line sorted by left edge. A gap wider than a character becomes
 * two spaces, the finders' sign that a value has ended.
 */
#include <poppler.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "pdftext.h"
#include "utf8.h"
#include "xmalloc.h"

struct ch {
	double x1, x2, ymid, h;
	const char *p; /* the character's UTF-8 bytes in the page text */
	size_t len;
};

static int
by_y(const void *a, const void *b)
{
	const struct ch *x = a, *y = b;

	return x->ymid < y->ymid ? -1 : x->ymid > y->ymid;
}

static int
by_x(const void *a, const void *b)
{
	const struct ch *x = a, *y = b;

	return x->x1 < y->x1 ? -1 : x->x1 > y->x1;
}

static void
page_text(PopplerPage *page, struct buf *out)
{
	PopplerRectangle *rects = NULL;
	guint nrects = 0;
	char *text = poppler_page_get_text(page);
	struct ch *cs;
	size_t n = 0, i, off = 0, k, len = text != NULL ? strlen(text) : 0;
	uint32_t cp;

	if (text == NULL || !poppler_page_get_text_layout(page, &rects, &nrects)) {
		g_free(text);
		return;
	}
	cs = xcalloc(nrects + 1, sizeof *cs);
	/* One box per character of the text, in order. */
	for (i = 0; i < nrects && off < len; i++) {
		if ((k = utf8_decode(text + off, len - off, &cp)) == 0) {
			off++; /* poppler gives UTF-8; a stray byte is dropped, not passed on */
			continue;
		}
		if (cp != '\n' && rects[i].y2 > rects[i].y1) {
			cs[n].x1 = rects[i].x1;
			cs[n].x2 = rects[i].x2;
			cs[n].ymid = (rects[i].y1 + rects[i].y2) / 2;
			cs[n].h = rects[i].y2 - rects[i].y1;
			cs[n].p = text + off;
			cs[n].len = k;
			n++;
		}
		off += k;
	}
	/* Lines: characters whose middles lie within half a character of the line's first one. */
	qsort(cs, n, sizeof *cs, by_y);
	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && cs[k].ymid - cs[i].ymid < cs[i].h / 2; k++)
			;
		/* A line's height of nothing above it is an empty line, as on paper. */
		if (i > 0 && cs[i].ymid - cs[i - 1].ymid > 2 * cs[i].h)
			buf_add(out, "\n", 1);
		qsort(cs + i, k - i, sizeof *cs, by_x);
		for (size_t j = i; j < k; j++) {
			if (j > i && cs[j].x1 - cs[j - 1].x2 > cs[j].h)
				buf_add(out, "  ", 2); /* a wide gap: another box of the form */
			else if (j > i && cs[j].x1 - cs[j - 1].x2 > cs[j].h / 4)
				buf_add(out, " ", 1);
			buf_add(out, cs[j].p, cs[j].len);
		}
		buf_add(out, "\n", 1);
	}
	buf_add(out, "\n\n", 2);
	free(cs);
	g_free(rects);
	g_free(text);
}

char *
pdf_text(const char *data, size_t len, char **cause)
{
	GBytes *bytes = g_bytes_new(data, len);
	GError *err = NULL;
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &err);
	struct buf out = {0};
	int i, n;

	g_bytes_unref(bytes);
	if (doc == NULL) {
		*cause = xasprintf("%s", err != NULL ? err->message : "not a PDF");
		if (err != NULL)
			g_error_free(err);
		return NULL;
	}
	n = poppler_document_get_n_pages(doc);
	for (i = 0; i < n; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);

		if (page != NULL) {
			page_text(page, &out);
			g_object_unref(page);
		}
	}
	g_object_unref(doc);
	buf_add(&out, "", 1);
	return out.p;
}
