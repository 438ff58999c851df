/*
 * A scanned claim's bytes as text with places (struct scanned): a PDF through poppler, with OCR
 * for its pages without text; an image through OCR; anything else as a scanner's OCR text. One
 * reading for the pipeline and for `formagent scan`, which shows an administrator what the
 * finders of a rule will see.
 */
#ifndef FORMAGENT_SCANREAD_H
#define FORMAGENT_SCANREAD_H

#include <stddef.h>

#include "reader.h"
#include "scan.h"

/*
 * Adds the claim in buf to sc, text in enc (ENC_AUTO: valid UTF-8, else CP932). -1 with *reason,
 * a new string a clerk can read, when the file cannot be read as a claim.
 */
int scan_read_bytes(const char *buf, size_t len, enum encoding enc, struct scanned *sc,
                    char **reason);

#endif
