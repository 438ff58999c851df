/*
 * The text layer of a PDF (a searchable scan, or a form printed to PDF), read with poppler and
 * laid out as lines the way it is printed: characters grouped by their baseline, left to right,
 * with a wide gap where boxes of a form are apart. The text rules' finders then read it like a
 * scanner's OCR text.
 */
#ifndef FORMAGENT_PDFTEXT_H
#define FORMAGENT_PDFTEXT_H

#include <stddef.h>

/*
 * The text of every page of the PDF in buf (pages separated by a blank line), as new UTF-8; an
 * empty string when the PDF has no text layer. NULL with *cause when it is not a PDF poppler
 * can read.
 */
char *pdf_text(const char *buf, size_t len, char **cause);

#endif
