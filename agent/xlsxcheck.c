/*
 * The read-back of a written workbook (see xlsxcheck.h): minizip's unzip over the parts, each
 * part's bytes pushed through libxml2's SAX parser with no callbacks, so nothing is built and
 * memory stays at one buffer whatever the part's size. What it cannot see: a write lost inside a
 * part that happens to drop whole elements and leave well-formed XML. make faulttest, which
 * drops each of libxlsxwriter's fwrite calls in turn, found only lost XML declarations of that
 * kind, and those are checked for.
 */
#include <libxml/parser.h>
#include <string.h>
#include <unzip.h>

#include "xlsxcheck.h"
#include "xmalloc.h"

static int
is_xml(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && strcmp(name + n - 4, ".xml") == 0) ||
	       (n > 5 && strcmp(name + n - 5, ".rels") == 0);
}

/* Reads the current part whole; parses it when it is XML. 0, or -1 with *why (static). */
static int
check_part(unzFile zf, const char *name, const char **why)
{
	static char buf[65536];
	xmlSAXHandler sax;
	xmlParserCtxtPtr ctx = NULL;
	int n, bad = 0, rc, first = 1;

	if (unzOpenCurrentFile(zf) != UNZ_OK) {
		*why = "cannot be opened";
		return -1;
	}
	if (is_xml(name)) {
		memset(&sax, 0, sizeof sax);
		ctx = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, name);
		if (ctx == NULL) {
			unzCloseCurrentFile(zf);
			*why = "cannot be parsed (no memory)";
			return -1;
		}
		xmlCtxtUseOptions(ctx, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
		                           XML_PARSE_HUGE);
	}
	while ((n = unzReadCurrentFile(zf, buf, sizeof buf)) > 0) {
		/*
		 * libxlsxwriter opens every part with an XML declaration; XML does not require one,
		 * so a lost first write would otherwise leave a well-formed part.
		 */
		if (ctx != NULL && first && (n < 6 || memcmp(buf, "<?xml ", 6) != 0))
			bad = 1;
		first = 0;
		if (ctx != NULL && !bad && xmlParseChunk(ctx, buf, n, 0) != 0)
			bad = 1;
	}
	if (n < 0) {
		*why = "is damaged (it does not inflate)";
		bad = 2;
	}
	rc = unzCloseCurrentFile(zf);
	if (!bad && rc == UNZ_CRCERROR) {
		*why = "is damaged (its checksum does not match)";
		bad = 2;
	}
	if (ctx != NULL) {
		if (!bad && xmlParseChunk(ctx, NULL, 0, 1) != 0)
			bad = 1;
		xmlFreeParserCtxt(ctx);
	}
	if (bad == 1)
		*why = "is not whole XML";
	return bad ? -1 : 0;
}

int
xlsx_check(const char *path, char **cause)
{
	char name[512];
	const char *why = NULL;
	unzFile zf = unzOpen64(path);
	int rc;

	if (zf == NULL) {
		*cause =
		    xasprintf("the workbook %s came out damaged: it is not a readable zip (a write "
		              "into the scratch folder was lost: is it full?)",
		              path);
		return -1;
	}
	for (rc = unzGoToFirstFile(zf); rc == UNZ_OK; rc = unzGoToNextFile(zf)) {
		if (unzGetCurrentFileInfo64(zf, NULL, name, sizeof name, NULL, 0, NULL, 0) !=
		        UNZ_OK ||
		    check_part(zf, name, &why) == -1) {
			*cause =
			    xasprintf("the workbook %s came out damaged: its part %s %s (a write "
			              "into the scratch folder was lost: is it full?)",
			              path, name, why != NULL ? why : "cannot be read");
			unzClose(zf);
			return -1;
		}
	}
	unzClose(zf);
	if (rc != UNZ_END_OF_LIST_OF_FILE) {
		*cause = xasprintf("the workbook %s came out damaged: its list of parts cannot be "
		                   "read",
		                   path);
		return -1;
	}
	return 0;
}
