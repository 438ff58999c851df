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

/* A runner (o's strings copied); nothing is started until a conversion. Free with office_free(). */
struct office *office_new(const struct office_opts *o);
/*
 * Converts the workbook at xlsx into a PDF/A-2b (fonts embedded, text searchable) written at
 * pdf, and waits for it. Returns 0, or -1 with a new *cause saying what the last attempt did
 * wrong.
 */
int office_pdf(struct office *of, const char *xlsx, const char *pdf, char **cause);

/*
 * The same without waiting, for a caller with other work (the agent): office_start() starts the
 * conversion (0, or -1 with *cause); the caller then waits until office_fd() is readable or
 * office_timeout_ms() have passed, and calls office_step(): 1 while it runs (perhaps a retry), 0
 * once the PDF is written, -1 with *cause once the retries are spent. One conversion at a time
 * per runner; office_cancel() stops it and removes what it wrote.
 */
int office_start(struct office *of, const char *xlsx, const char *pdf, char **cause);
/* Readable when the running attempt's child exits; -1 when there is none to poll. */
int office_fd(const struct office *of);
/* Milliseconds to wait at most before the next office_step(); -1 when nothing runs. */
int office_timeout_ms(const struct office *of);
int office_step(struct office *of, char **cause);
void office_cancel(struct office *of);
/* Whether the program is there to run (on PATH, or at its path), for a warning at start. */
int office_available(const struct office *of);
/*
 * Whether the last conversion that failed did so in the agent's own doing (it could not fork, or
 * write the PDF where it was to go), which may work again, rather than in LibreOffice's.
 */
int office_failed_io(const struct office *of);
/* Whether a conversion is running. */
int office_busy(const struct office *of);
/* How many attempts the running or last conversion made (for the log and the tests). */
int office_attempts(const struct office *of);
/* Removes the profile; no child is running after office_pdf() returns. Accepts NULL. */
void office_free(struct office *of);

#endif
