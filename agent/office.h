/*
 * LibreOffice as a supervised child: the renderer the print output (issue 19) will use, since it
 * lays out an xlsx as Excel does. One `soffice --convert-to` per document, never a shared server.
 * Each runner has a profile folder of its own (-env:UserInstallation): runs sharing one fail
 * silently, one in four when measured. Each conversion has a hard timeout, after which the
 * child's whole process group is killed; a conversion that fails, or writes something that is not
 * a PDF, is tried again in a fresh profile; the profile is made anew after a number of
 * conversions; and no LibreOffice process outlives a conversion or office_free().
 */
#ifndef FORMAGENT_OFFICE_H
#define FORMAGENT_OFFICE_H

struct office_opts {
	const char *soffice;    /* the program; NULL: "soffice" on PATH */
	const char *fonts_conf; /* FONTCONFIG_FILE for the child (templates/fonts.conf), or NULL */
	const char *scratch;    /* an existing folder for profiles and results */
	int timeout_ms;         /* per attempt; 0: 120 s */
	int retries;            /* attempts after a failed one, each in a fresh profile */
	int renew_after;        /* conversions before the profile is made anew; 0: 50 */
};

struct office;

/* A runner; nothing is started until a conversion. Free with office_free(). */
struct office *office_new(const struct office_opts *o);
/*
 * Converts the workbook at xlsx into a PDF/A-2b (fonts embedded, text searchable) written at
 * pdf. Returns 0, or -1 with a new *cause saying what the last attempt did wrong.
 */
int office_pdf(struct office *of, const char *xlsx, const char *pdf, char **cause);
/* How many attempts the last office_pdf() made (for the log and the tests). */
int office_attempts(const struct office *of);
/* Removes the profile; no child is running after office_pdf() returns. Accepts NULL. */
void office_free(struct office *of);

#endif
