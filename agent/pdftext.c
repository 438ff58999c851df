/*
 * A PDF's pages as a scanned claim (see pdftext.h). poppler gives each character of a page's text
 * layer with its box, and scanned_add_page() lays them out as printed. A page without a text layer
 * (a scanner's image in a PDF wrapper) is drawn by poppler through cairo at 300 dpi and read by
 * OCR.
 */
#include <cairo.h>
#include <math.h>
#include <poppler.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "ocr.h"
#include "pdftext.h"
#include "utf8.h"
#include "xmalloc.h"

#define PT_MM           (25.4 / 72)
#define OCR_DPI         300.0
#define MAX_PAGE_PIXELS (60.0 * 1000 * 1000)
/* A claim with its receipts is a few pages; the finders read the whole text for each field. */
#define PDF_MAX_PAGES 200

/* The page's text layer as glyphs; 0 when it has none. */
static size_t
page_glyphs(PopplerPage *page, char **text, struct glyph **out)
{
	PopplerRectangle *rects = NULL;
	guint nrects = 0;
	struct glyph *g;
	size_t n = 0, i, off = 0, k, len;
	uint32_t cp;

	*out = NULL;
	*text = poppler_page_get_text(page);
	if (*text == NULL || !poppler_page_get_text_layout(page, &rects, &nrects))
		return 0;
	len = strlen(*text);
	g = xcalloc(nrects + 1, sizeof *g);
	/* One box per character of the text, in order. */
	for (i = 0; i < nrects && off < len; i++) {
		if ((k = utf8_decode(*text + off, len - off, &cp)) == 0) {
			off++; /* poppler gives UTF-8; a stray byte is dropped, not passed on */
			continue;
		}
		if (cp != '\n' && rects[i].y2 > rects[i].y1) {
			g[n].x1 = rects[i].x1 * PT_MM;
			g[n].x2 = rects[i].x2 * PT_MM;
			g[n].y1 = rects[i].y1 * PT_MM;
			g[n].y2 = rects[i].y2 * PT_MM;
			g[n].conf = 100;
			g[n].space = -1;
			g[n].p = *text + off;
			g[n].len = k;
			n++;
		}
		off += k;
	}
	g_free(rects);
	*out = g;
	return n;
}

/* Draws the page in grey at OCR_DPI (less for a huge page) and reads it by OCR. */
static int
page_ocr(PopplerPage *page, struct scanned *s, char **cause)
{
	double pw, ph, dpi = OCR_DPI;
	cairo_surface_t *surf;
	cairo_t *cr;
	unsigned char *grey, *row;
	int w, h, x, y, stride, rc;

	poppler_page_get_size(page, &pw, &ph);
	if (pw <= 0 || ph <= 0) {
		*cause = xstrdup(_("a page of the PDF has no size"));
		return -1;
	}
	if (pw / 72 * dpi * ph / 72 * dpi > MAX_PAGE_PIXELS)
		dpi = 72 * sqrt(MAX_PAGE_PIXELS / (pw * ph));
	w = (int)(pw / 72 * dpi);
	h = (int)(ph / 72 * dpi);
	if (w < 1 || h < 1) {
		*cause = xstrdup(_("a page of the PDF is too small to read"));
		return -1;
	}
	surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(surf);
		*cause = xstrdup(_("a page of the PDF cannot be drawn"));
		return -1;
	}
	cr = cairo_create(surf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, dpi / 72, dpi / 72);
	poppler_page_render_for_printing(page, cr);
	cairo_destroy(cr);
	cairo_surface_flush(surf);
	row = cairo_image_surface_get_data(surf);
	stride = cairo_image_surface_get_stride(surf);
	grey = xmalloc((size_t)w * (size_t)h);
	for (y = 0; y < h; y++, row += stride)
		for (x = 0; x < w; x++) {
			uint32_t v = ((const uint32_t *)(const void *)row)[x];

			grey[(size_t)y * (size_t)w + (size_t)x] =
			    (unsigned char)((((v >> 16) & 255) * 299 + ((v >> 8) & 255) * 587 +
			                     (v & 255) * 114) /
			                    1000);
		}
	cairo_surface_destroy(surf);
	rc = ocr_grey(grey, w, h, w, dpi, s, cause);
	free(grey);
	return rc;
}

int
pdf_read(const char *data, size_t len, struct scanned *s, int *ocr_pages, char **cause)
{
	GBytes *bytes = g_bytes_new(data, len);
	GError *err = NULL;
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &err);
	struct glyph *g;
	char *text;
	int i, n, rc = 0;
	size_t ng;

	*ocr_pages = 0;
	g_bytes_unref(bytes);
	if (doc == NULL) {
		*cause = xasprintf("%s", err != NULL ? err->message : "not a PDF");
		if (err != NULL)
			g_error_free(err);
		return -1;
	}
	n = poppler_document_get_n_pages(doc);
	if (n > PDF_MAX_PAGES) {
		g_object_unref(doc);
		*cause =
		    xasprintf(_("it has %d pages, more than the %d of a claim"), n, PDF_MAX_PAGES);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);

		if (page == NULL) {
			*cause = xasprintf(_("page %d of the PDF cannot be read"), i + 1);
			rc = -1;
			break;
		}
		if ((ng = page_glyphs(page, &text, &g)) > 0)
			scanned_add_page(s, g, ng, 0);
		else if (*ocr_pages == OCR_MAX_PAGES) {
			*cause =
			    xasprintf(_("more than %d of its pages have no text and would have to "
			                "be read by OCR; split it"),
			              OCR_MAX_PAGES);
			rc = -1;
		} else if ((rc = page_ocr(page, s, cause)) == 0)
			++*ocr_pages;
		free(g);
		g_free(text);
		g_object_unref(page);
	}
	g_object_unref(doc);
	if (rc == 0 && n == 0) {
		*cause = xstrdup(_("the PDF has no pages"));
		rc = -1;
	}
	return rc;
}
