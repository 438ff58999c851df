/*
 * libFuzzer harness: the office's workbook templates (workbook.c) and their fill (wbfill.c).
 * The first byte chooses what the rest is: a whole xlsx (the zip reader and its limits), or
 * the sheet of a small form's or ledger's workbook, zipped here (the placeholder search, the
 * fill, and the ledger's moving of rows, merged ranges and formulas). Whatever the bytes, a
 * template is refused with diagnostics or filled into a workbook; never a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "workbook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL  "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG  "http://schemas.openxmlformats.org/package/2006/relationships"

static const char *const parts[][2] = {
    {"[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas."
                            "openxmlformats.org/package/2006/content-types\"/>"},
    {"_rels/.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"" NS_PKG
                    "\"><Relationship Id=\"rId1\" Type=\"" NS_REL
                    "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"},
    {"xl/workbook.xml",
     "<?xml version=\"1.0\"?><workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL
     "\"><sheets><sheet name=\"一覧\" sheetId=\"1\" r:id=\"rId1\"/></sheets><definedNames>"
     "<definedName name=\"_xlnm.Print_Area\" localSheetId=\"0\">'一覧'!$A$1:$F$20"
     "</definedName></definedNames></workbook>"},
    {"xl/_rels/workbook.xml.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"" NS_PKG
                                   "\"><Relationship Id=\"rId1\" Type=\"" NS_REL
                                   "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
                                   "</Relationships>"},
};

static void
zip_sheet(const char *path, const uint8_t *sheet, size_t size)
{
	zipFile zf = zipOpen64(path, APPEND_STATUS_CREATE);
	size_t i;

	if (zf == NULL)
		abort();
	for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		zipOpenNewFileInZip64(zf, parts[i][0], NULL, NULL, 0, NULL, 0, NULL, 0, 0, 0);
		zipWriteInFileInZip(zf, parts[i][1], (unsigned)strlen(parts[i][1]));
		zipCloseFileInZip(zf);
	}
	zipOpenNewFileInZip64(zf, "xl/worksheets/sheet1.xml", NULL, NULL, 0, NULL, 0, NULL, 0, 0, 0);
	zipWriteInFileInZip(zf, sheet, (unsigned)size);
	zipCloseFileInZip(zf);
	zipClose(zf, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[] = "/tmp/fuzz-workbook-XXXXXX", out[64];
	struct diags d = {0};
	struct workbook *w;
	struct wbvalue *v;
	struct wbledger *l;
	const struct wbplace *p;
	char *cause = NULL;
	size_t n, i;
	int fd, mode;
	FILE *fp;

	if (size == 0)
		return 0;
	mode = data[0] % 3;
	if ((fd = mkstemp(in)) == -1)
		abort();
	close(fd);
	snprintf(out, sizeof out, "%s.out", in);
	if (mode == 0) {
		if ((fp = fopen(in, "w")) == NULL)
			abort();
		fwrite(data + 1, 1, size - 1, fp);
		fclose(fp);
	} else
		zip_sheet(in, data + 1, size - 1);
	if ((w = workbook_load(in, "fuzz.xlsx", mode == 2, &d)) != NULL) {
		p = workbook_places(w, &n);
		v = calloc(n + 1, sizeof *v);
		for (i = 0; i < n; i++)
			v[i] = i % 2 ? (struct wbvalue){WB_NUMBER, 45385, NULL}
			             : (struct wbvalue){WB_TEXT, 0, "札幌 <太郎> & \"花子\"\001"};
		if (mode != 2 && workbook_fill(w, v, out, &cause) == -1)
			free(cause);
		else if (mode == 2 && (l = wbledger_open(w, v, "/tmp", &cause)) != NULL) {
			for (i = 0; i < 3 && wbledger_add(l, v, &cause) == 0; i++)
				;
			if (i < 3 || wbledger_write(l, out, &cause) == -1)
				free(cause);
			wbledger_free(l);
		} else if (mode == 2)
			free(cause);
		(void)p;
		free(v);
		workbook_free(w);
	}
	diags_free(&d);
	unlink(in);
	unlink(out);
	return 0;
}
