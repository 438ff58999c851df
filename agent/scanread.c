/*
 * Telling what a scanned file is by its first bytes, and reading it (see scanread.h). The
 * reasons go to clerks, so they say what the file is, not what failed inside.
 */
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "ocr.h"
#include "pdftext.h"
#include "scanread.h"
#include "utf8.h"
#include "xmalloc.h"

/* OCR text of a claim form is a few kilobytes; a hundred pages fit in this. */
#define SCAN_MAX_TEXT (1024 * 1024)

int
scan_read_bytes(const char *buf, size_t len, enum encoding enc, struct scanned *sc, char **reason)
{
	struct decoder *dc;
	char *text = NULL, *cause = NULL;
	const char *t;
	size_t bad;
	int ocr_pages, rc;

	if (len >= 5 && memcmp(buf, "%PDF-", 5) == 0) {
		if (pdf_read(buf, len, sc, &ocr_pages, &cause) == -1) {
			*reason = xasprintf(_("the PDF cannot be read: %s"), cause);
			free(cause);
			return -1;
		}
		return 0;
	}
	if (ocr_is_image(buf, len)) {
		if (ocr_image(buf, len, sc, &cause) == -1) {
			*reason = xasprintf(_("the image cannot be read: %s"), cause);
			free(cause);
			return -1;
		}
		return 0;
	}
	if (len == 0 || memchr(buf, '\0', len) != NULL) {
		*reason = xstrdup(len == 0 ? _("the file is empty")
		                           : _("the file holds NUL bytes: it is a binary file, not "
		                               "text, a PDF or an image"));
		return -1;
	}
	/* Labels are looked for line by line, and again with a character wrong: keep it a page's.
	 */
	if (len > SCAN_MAX_TEXT) {
		*reason =
		    xasprintf(_("the text is %zu bytes: a scanner's OCR text of a claim is far "
		                "less (at most %d)"),
		              len, SCAN_MAX_TEXT);
		return -1;
	}
	if (enc == ENC_AUTO)
		enc = utf8_valid(buf, len, NULL) ? ENC_UTF8 : ENC_CP932;
	dc = decoder_new(enc);
	rc = decoder_run(dc, buf, len, &text, &bad);
	decoder_free(dc);
	if (rc == -1) {
		free(text);
		*reason =
		    xasprintf(_("the text has a byte (0x%02x at offset %zu) that is not valid "
		                "in its encoding (%s)"),
		              (unsigned char)buf[bad], bad, encoding_name(enc));
		return -1;
	}
	t = strncmp(text, "\xef\xbb\xbf", 3) == 0 ? text + 3 : text; /* a BOM is not text */
	scanned_add_text(sc, t, strlen(t));
	free(text);
	return 0;
}
