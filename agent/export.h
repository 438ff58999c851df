/*
 * The import file for the case-management system: one CSV line per produced claim, columns in the
 * order the rule names, encoded as the rule says (CP932 by default) with CRLF line ends. Quoting
 * is libcsv's (csv_write2); no quoting is written by hand here. This room is also the output kind
 * "import": its section's settings and its writer (outputs.h).
 */
#ifndef FORMAGENT_EXPORT_H
#define FORMAGENT_EXPORT_H

#include <stddef.h>

#include "buf.h"
#include "mapper.h"
#include "rules.h"

struct import_col {
	char *header;
	int field;
	enum vformat format;
	int gannen; /* with wareki: year 1 as 元年 (the default) or 1年 */
};

/* A rule's import output: its section's settings (the output kind "import", in export.c). */
struct import_out {
	enum encoding encoding;
	int header; /* the first line names the columns */
	struct import_col *cols;
	size_t ncols;
};

/* The keys of an import output's section, and of each of its columns. */
extern const char *const import_keys[];
extern const char *const import_column_keys[];

/* Appends the header line of the import file to b; -1 with *cause if it cannot be encoded. */
int export_header(const struct import_out *io, struct buf *b, char **cause);
/*
 * Appends the claim's line to b. Returns 0, or -1 with *cause naming the column and the
 * character the import encoding cannot hold (nothing is substituted); b is then unchanged.
 */
int export_line(const struct import_out *io, const struct mapped *m, struct buf *b, char **cause);
/* Appends the raw fields of a record as a CSV line (for <input>.rejected.csv), bytes unchanged. */
void export_raw(const struct record *rec, struct buf *b);

#endif
