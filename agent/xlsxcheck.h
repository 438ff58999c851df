/*
 * Reading back a workbook libxlsxwriter has just written. libxlsxwriter writes each part into a
 * scratch file without checking those writes, so a full or failing scratch folder can give a zip
 * whose parts are cut short while workbook_close() reports success. Before a form or ledger is
 * committed, every part is inflated (minizip checks its CRC) and parsed as XML (libxml2, as a
 * stream, so a ledger of a million rows is never held whole). A filled copy of an office's
 * workbook (workbook.h), written through minizip's stdio, is read back the same way.
 */
#ifndef FORMAGENT_XLSXCHECK_H
#define FORMAGENT_XLSXCHECK_H

#include <unzip.h>

/* 0 if every part of the workbook at path is whole; else -1 and a new *cause naming the part. */
int xlsx_check(const char *path, char **cause);
/*
 * The same for a filled copy of an office's workbook (workbook.h), whose parts are the
 * template's and need not open with an XML declaration.
 */
int xlsx_check_copy(const char *path, char **cause);
/* Whether a part is XML by its name (.xml, .rels, in any case), so it is parsed. */
int xlsx_is_xml(const char *name);
/* minizip's unzip over path through the reads above; NULL if it is not a zip. unzClose() it. */
unzFile xlsx_unzopen(const char *path);

#endif
