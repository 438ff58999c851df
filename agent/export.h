/*
 * The import file for the case-management system: one CSV line per produced claim, columns in the
 * order the rule names, encoded as the rule says (CP932 by default) with CRLF line ends. Quoting
 * is libcsv's (csv_write2); no quoting is written by hand here.
 */
#ifndef FORMAGENT_EXPORT_H
#define FORMAGENT_EXPORT_H

#include <stddef.h>

#include "buf.h"
#include "mapper.h"
#include "rules.h"

/* Appends the header line of the rule's import file to b; -1 with *cause if it cannot be encoded.
 */
int export_header(const struct rule *r, struct buf *b, char **cause);
/*
 * Appends the claim's line to b. Returns 0, or -1 with *cause naming the column and the
 * character the import encoding cannot hold (nothing is substituted); b is then unchanged.
 */
int export_line(const struct rule *r, const struct mapped *m, struct buf *b, char **cause);
/* Appends the raw fields of a record as a CSV line (for <input>.rejected.csv), bytes unchanged. */
void export_raw(const struct record *rec, struct buf *b);

#endif
