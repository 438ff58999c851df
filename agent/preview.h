/*
 * The dry run's view of a file's rows, and the progress line: what a person sees of a file while
 * the pipeline works on it, on stdout or stderr, never in a file.
 */
#ifndef FORMAGENT_PREVIEW_H
#define FORMAGENT_PREVIEW_H

#include <time.h>

#include "pipeline.h"

struct mapped;

/*
 * With o->dry_run, the row as o asks to o->preview: JSON Lines (o->json), the form's cells
 * (o->cells), or a table line (headed, for the file's first row, by its columns).
 */
void preview_row(const struct pipeline_opts *o, const char *input, const struct mapped *m,
                 int first);

/* The progress line's clock: start t0 and tlast at the file's start; total from the first pass. */
struct progress {
	struct timespec t0, tlast;
	unsigned long total;
};

/* With o->progress, rows done of p->total, the rate and the time left, at most 4 times a second;
 * final clears the line. */
void progress_show(const struct pipeline_opts *o, struct progress *p, const char *input,
                   unsigned long rows, int final);

#endif
