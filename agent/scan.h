/*
 * Finding a text rule's fields in one claim's text (a scanner's OCR output): after a printed
 * label, on the same line or the next, or as a regular expression's first group. Only finding
 * happens here; the values then go through the same transforms, types and checks as a CSV
 * column's.
 */
#ifndef FORMAGENT_SCAN_H
#define FORMAGENT_SCAN_H

#include "rules.h"

struct found {
	char *value; /* what was read, or NULL when nothing was found */
	int line;    /* where (1-based), or 0 */
};

/*
 * Finds every field of r in text (UTF-8). Returns an array of r->nfields (computed fields get
 * NULL); free with found_free().
 */
struct found *scan_find(const struct rule *r, const char *text);
void found_free(struct found *f, size_t n);

#endif
