/*
 * A PDF as a scanned claim: each page's text layer (a searchable scan, or a form printed to PDF)
 * with the place of every character, or, for a page without one, the page drawn and read by OCR.
 */
#ifndef FORMAGENT_PDFTEXT_H
#define FORMAGENT_PDFTEXT_H

#include <stddef.h>

#include "scan.h"

/*
 * Adds every page of the PDF in buf to s; *ocr_pages counts those read by OCR. -1 with *cause
 * (a new string) when it is not a PDF poppler can read, or a page cannot be read.
 */
int pdf_read(const char *buf, size_t len, struct scanned *s, int *ocr_pages, char **cause);

#endif
