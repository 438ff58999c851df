/*
 * Tesseract and Leptonica behind ocr.h. Tesseract's Japanese model takes about a second to load,
 * so one instance is kept for the life of each thread that reads (ocr_end() at its end) and
 * cleared between pages. Words come back
 * with boxes in pixels, turned into millimetres by the image's resolution (an A4 page's width when
 * the file does not say it), and are laid out by scanned_add_page() like a PDF's characters.
 */
#include <leptonica/allheaders.h>
#include <stdlib.h>
#include <string.h>
#include <tesseract/capi.h>

#include "i18n.h"
#include "ocr.h"
#include "utf8.h"
#include "xmalloc.h"

#define OCR_LANGUAGE "jpn"
/* Larger pages are refused: an A4 page at 600 dpi has 35 million pixels. */
#define OCR_MAX_PIXELS (80L * 1000 * 1000)
#define A4_WIDTH_MM    210.0
#define OCR_DPI        300.0

/* Each thread its own: a Tesseract instance is not to be shared between threads. */
static __thread TessBaseAPI *api;

static int
ocr_start(char **cause)
{
	if (api != NULL)
		return 0;
	setMsgSeverity(L_SEVERITY_NONE); /* Leptonica would print its complaints on stderr */
	api = TessBaseAPICreate();
	/* Tesseract's own notices ("Estimating resolution…") go nowhere. */
	TessBaseAPISetVariable(api, "debug_file", "/dev/null");
	if (TessBaseAPIInit3(api, NULL, OCR_LANGUAGE) != 0) {
		TessBaseAPIDelete(api);
		api = NULL;
		*cause = xasprintf(_("Tesseract cannot load its '%s' model (is tesseract-ocr-jpn "
		                     "installed?)"),
		                   OCR_LANGUAGE);
		return -1;
	}
	/*
	 * A form is labels and values in boxes, in no reading order: sparse text finds them all,
	 * and the lines are laid out again by their places (scanned_add_page). Tesseract's noise
	 * filter takes a short label alone in its box (経路) for a smudge; it stays off.
	 */
	TessBaseAPISetPageSegMode(api, PSM_SPARSE_TEXT);
	TessBaseAPISetVariable(api, "textord_noise_rejrows", "0");
	return 0;
}

void
ocr_end(void)
{
	if (api != NULL) {
		TessBaseAPIEnd(api);
		TessBaseAPIDelete(api);
		api = NULL;
	}
}

/*
 * The page in black and white without a form's ruled lines. Tesseract takes a cell's border
 * beside a value for a character ('|', or a stroke of the next one) and a table for a picture;
 * runs of black longer than any stroke of a character (RULE_MM) are the lines, taken out with a
 * pixel to spare on each side.
 */
#define RULE_MM     5.0
#define BLACK_BELOW 150

static PIX *
without_rules(PIX *grey, double dpi)
{
	int len = (int)(RULE_MM / 25.4 * dpi);
	PIX *bw, *h, *v, *lines, *out = NULL;

	if ((bw = pixConvertTo1(grey, BLACK_BELOW)) == NULL)
		return NULL;
	h = pixOpenBrick(NULL, bw, len, 1);
	v = pixOpenBrick(NULL, bw, 1, len);
	if (h != NULL && v != NULL && (lines = pixOr(NULL, h, v)) != NULL) {
		pixDilateBrick(lines, lines, 3, 3);
		out = pixSubtract(NULL, bw, lines);
		pixDestroy(&lines);
	}
	pixDestroy(&h);
	pixDestroy(&v);
	pixDestroy(&bw);
	if (out != NULL)
		pixCopyResolution(out, grey);
	return out;
}

/* Recognises pix (8-bit grey) at dpi and adds it to s as a page. */
static int
ocr_pix(PIX *pix, double dpi, struct scanned *s, char **cause)
{
	TessResultIterator *ri;
	TessPageIterator *pi;
	struct glyph *g = NULL;
	size_t n = 0, cap = 0, i;
	double mm = 25.4 / dpi;
	PIX *straight, *clean, *big = NULL;
	char *line = NULL;
	const char *at = NULL;
	int l, t, r, b, run = 0;

	if (ocr_start(cause) == -1)
		return -1;
	/*
	 * A scanner's 200 dpi gives Japanese print strokes a pixel or two wide; Tesseract reads
	 * it far better drawn larger, at 300 dpi, before it is made black and white.
	 */
	if (dpi < OCR_DPI - 1) {
		big = pixScale(pix, (float)(OCR_DPI / dpi), (float)(OCR_DPI / dpi));
		if (big != NULL) {
			pix = big;
			mm = 25.4 / OCR_DPI;
			dpi = OCR_DPI;
		}
	}
	/* pixDeskew() gives a copy of its input when it finds no skew worth turning. */
	straight = pixDeskew(pix, 0);
	clean = without_rules(straight != NULL ? straight : pix, dpi);
	TessBaseAPISetImage2(api, clean != NULL ? clean : straight != NULL ? straight : pix);
	TessBaseAPISetSourceResolution(api, (int)(dpi + 0.5));
	if (TessBaseAPIRecognize(api, NULL) != 0) {
		TessBaseAPIClear(api);
		pixDestroy(&clean);
		pixDestroy(&straight);
		pixDestroy(&big);
		*cause = xstrdup(_("Tesseract could not read the page"));
		return -1;
	}
	if ((ri = TessBaseAPIGetIterator(api)) != NULL) {
		pi = TessResultIteratorGetPageIterator(ri);
		do {
			char *w = TessResultIteratorGetUTF8Text(ri, RIL_WORD);
			int space = 0;

			/*
			 * Tesseract knows which Japanese words run on and which have a space
			 * between them (北野 美咲, 令和6年), better than their gaps tell: its
			 * line's text says.
			 */
			if (TessPageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE)) {
				run++;
				TessDeleteText(line);
				line = TessResultIteratorGetUTF8Text(ri, RIL_TEXTLINE);
				at = line;
			}
			if (at != NULL && w != NULL) {
				while (*at == ' ') {
					at++;
					space = 1;
				}
				if (strncmp(at, w, strlen(w)) == 0)
					at += strlen(w);
				else
					space = -1, at = NULL; /* lost: the gaps decide */
			} else
				space = -1;

			/*
			 * A form's ruled lines come back as words of no text, or spaces. The text
			 * goes into reasons and the audit log, which take only UTF-8.
			 */
			if (w != NULL && w[strspn(w, " ")] != '\0' &&
			    utf8_valid(w, strlen(w), NULL) &&
			    TessPageIteratorBoundingBox(pi, RIL_WORD, &l, &t, &r, &b)) {
				if (n == cap) {
					cap = cap ? 2 * cap : 256;
					g = xreallocarray(g, cap, sizeof *g);
				}
				g[n].x1 = l * mm;
				g[n].y1 = t * mm;
				g[n].x2 = r * mm;
				g[n].y2 = b * mm;
				g[n].conf = TessResultIteratorConfidence(ri, RIL_WORD);
				g[n].space = space;
				g[n].run = run;
				g[n].len = strlen(w);
				g[n].p = xstrdup(w);
				n++;
			}
			TessDeleteText(w);
		} while (TessPageIteratorNext(pi, RIL_WORD));
		TessResultIteratorDelete(ri);
		TessDeleteText(line);
	}
	TessBaseAPIClear(api);
	pixDestroy(&clean);
	pixDestroy(&straight);
	pixDestroy(&big);
	scanned_add_page(s, g, n, 1);
	for (i = 0; i < n; i++)
		free((char *)g[i].p);
	free(g);
	return 0;
}

int
ocr_grey(const unsigned char *px, int w, int h, int stride, double dpi, struct scanned *s,
         char **cause)
{
	PIX *pix;
	l_uint32 *line;
	int x, y, rc;

	if ((long)w * h > OCR_MAX_PIXELS || (pix = pixCreate(w, h, 8)) == NULL) {
		*cause = xasprintf(_("the page is too large to read (%d × %d pixels)"), w, h);
		return -1;
	}
	for (y = 0; y < h; y++) {
		line = pixGetData(pix) + (size_t)y * pixGetWpl(pix);
		for (x = 0; x < w; x++)
			SET_DATA_BYTE(line, x, px[(size_t)y * (size_t)stride + (size_t)x]);
	}
	rc = ocr_pix(pix, dpi, s, cause);
	pixDestroy(&pix);
	return rc;
}

int
ocr_is_image(const char *buf, size_t len)
{
	return (len >= 8 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0) ||
	       (len >= 3 && memcmp(buf, "\xff\xd8\xff", 3) == 0) ||
	       (len >= 4 && (memcmp(buf, "II*\0", 4) == 0 || memcmp(buf, "MM\0*", 4) == 0));
}

/* Page n of the image (TIFFs have several), as 8-bit grey; NULL after the last. */
static PIX *
image_page(const l_uint8 *data, size_t len, int format, int n)
{
	PIX *pix, *grey;

	if (L_FORMAT_IS_TIFF(format))
		pix = pixReadMemTiff(data, len, n);
	else
		pix = n == 0 ? pixReadMem(data, len) : NULL;
	if (pix == NULL)
		return NULL;
	grey = pixConvertTo8(pix, 0);
	if (grey != NULL)
		pixCopyResolution(grey, pix);
	pixDestroy(&pix);
	return grey;
}

int
ocr_image(const char *buf, size_t len, struct scanned *s, char **cause)
{
	const l_uint8 *data = (const l_uint8 *)buf;
	l_int32 format, w, h, bps, spp, cmap;
	PIX *pix;
	double dpi;
	int n;

	setMsgSeverity(L_SEVERITY_NONE);
	/* The size first, from the header: a small file can claim a huge picture. */
	if (pixReadHeaderMem(data, len, &format, &w, &h, &bps, &spp, &cmap) != 0 || w <= 0 ||
	    h <= 0) {
		*cause = xstrdup(_("it is damaged, or not PNG, JPEG or TIFF"));
		return -1;
	}
	if ((long)w * h > OCR_MAX_PIXELS) {
		*cause = xasprintf(_("the image is too large to read (%d × %d pixels)"), w, h);
		return -1;
	}
	for (n = 0; (pix = image_page(data, len, format, n)) != NULL; n++) {
		if (n == OCR_MAX_PAGES ||
		    (long)pixGetWidth(pix) * pixGetHeight(pix) > OCR_MAX_PIXELS) {
			pixDestroy(&pix);
			*cause =
			    n == OCR_MAX_PAGES
			        ? xasprintf(_("the image has more than %d pages"), OCR_MAX_PAGES)
			        : xstrdup(_("a page of the image is too large to read"));
			return -1;
		}
		dpi =
		    pixGetXRes(pix) > 0 ? pixGetXRes(pix) : pixGetWidth(pix) / (A4_WIDTH_MM / 25.4);
		if (ocr_pix(pix, dpi, s, cause) == -1) {
			pixDestroy(&pix);
			return -1;
		}
		pixDestroy(&pix);
	}
	if (n == 0) {
		*cause = xstrdup(_("it is damaged, or not PNG, JPEG or TIFF"));
		return -1;
	}
	return 0;
}
