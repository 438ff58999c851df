/*
 * A scanned claim as text with its places: the lines of each page as printed, and for every piece
 * of them (a character of a PDF's text layer, a word read by OCR) where it was on the page and how
 * sure the reader was. Then finding a text rule's fields in it: after a printed label, as a
 * regular expression's first group, or inside a rectangle of the page. Only finding happens here;
 * the values then go through the same transforms, types and checks as a CSV column's.
 */
#ifndef FORMAGENT_SCAN_H
#define FORMAGENT_SCAN_H

#include "buf.h"
#include "rules.h"

/* Where a piece of the text was read, and how sure the reader was of it. */
struct span {
	size_t off, len;  /* bytes of scanned.text */
	int page;         /* 1-based */
	float x, y, w, h; /* millimetres from the page's top left corner */
	float conf;       /* 0 to 100: OCR's confidence; 100 for a text layer */
};

/*
 * A claim's text (UTF-8, NUL-terminated) and its spans in text order. A scanner's OCR text file
 * has no spans: it is taken as sure, and its values have lines but no places.
 */
struct scanned {
	struct buf text;
	struct span *spans;
	size_t nspans, capspans;
	size_t *pages; /* where each page's text starts */
	char *ocr;     /* per page: 1 when it was read by OCR from an image */
	int npages;
};

/* One character or word as a reader gives it: its UTF-8 bytes (borrowed) and its box in mm. */
struct glyph {
	double x1, y1, x2, y2;
	float conf;
	int space; /* whether a space comes before it on its line: 1 or 0 as the reader says, or
	              -1 to be judged by the gap */
	int run;   /* the reader's line it belongs to (1, 2, ...), or 0: glyphs of one run are
	              never two boxes of a form, whatever their gap */
	const char *p;
	size_t len;
};

/*
 * Adds a page: its glyphs laid out as lines the way they are printed (grouped by the middles of
 * their boxes, left to right, two spaces where the boxes of a form are apart, an empty line for
 * vertical space). g is reordered.
 */
void scanned_add_page(struct scanned *s, struct glyph *g, size_t n, int ocr);
/* Adds plain text (a scanner's OCR text file) without places: a page per form feed. */
void scanned_add_text(struct scanned *s, const char *text, size_t len);
/*
 * The rule's known misreadings put right (input.replace). A piece wholly put right is taken as
 * sure, since the rule's author vouches for it; one that also holds other characters keeps its
 * confidence.
 */
void scanned_replace(struct scanned *s, const struct rule *r);
/* Page p (1-based) of s as a claim of its own, in *one (freed with scanned_free). */
void scanned_page(const struct scanned *s, int p, struct scanned *one);
void scanned_free(struct scanned *s);

struct found {
	char *value; /* what was read, or NULL when nothing was found */
	int line;    /* where (1-based), or 0 */
	int page;    /* 0 when the place is not known (a text file) */
	float x, y;  /* the place, in mm from the page's top left corner */
	float conf;  /* the least sure piece of what was read: 0 to 100 */
	int fixed;   /* the value is a clerk's, from a correction file */
};

/*
 * Finds every field of r in s. Returns an array of r->nfields (computed fields get NULL values);
 * free with found_free().
 */
struct found *scan_find(const struct rule *r, const struct scanned *s);
void found_free(struct found *f, size_t n);

#endif
