/*
 * The diagnostics list behind `formagent check`: appends problems with their position and prints
 * them the way compilers do, so editors can jump to them.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "xmalloc.h"

void
diags_addv(struct diags *d, int warning, const char *file, int line, int col, const char *fmt,
           va_list ap)
{
	struct diag *g;

	xgrow(&d->v, &d->cap, d->n, sizeof *d->v);
	g = &d->v[d->n++];
	g->file = file != NULL ? xstrdup(file) : NULL;
	g->line = line;
	g->col = col;
	g->seq = d->n - 1;
	g->warning = warning;
	if (vasprintf(&g->msg, fmt, ap) == -1)
		g->msg = xstrdup("(message lost: out of memory)");
}

void
diags_add(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_addv(d, 0, file, line, col, fmt, ap);
	va_end(ap);
}

void
diags_warn(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_addv(d, 1, file, line, col, fmt, ap);
	va_end(ap);
}

size_t
diags_errors(const struct diags *d, size_t from)
{
	size_t i, n = 0;

	for (i = from; i < d->n; i++)
		if (!d->v[i].warning)
			n++;
	return n;
}

void
diags_print(FILE *fp, const struct diags *d)
{
	const struct diag *g;
	size_t i;

	for (i = 0; i < d->n; i++) {
		g = &d->v[i];
		if (g->file != NULL && g->line > 0)
			fprintf(fp, "%s:%d:%d: %s%s\n", g->file, g->line, g->col,
			        g->warning ? "warning: " : "", g->msg);
		else if (g->file != NULL)
			fprintf(fp, "%s: %s%s\n", g->file, g->warning ? "warning: " : "", g->msg);
		else
			fprintf(fp, "%s%s\n", g->warning ? "warning: " : "", g->msg);
	}
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int c;

	c = strcmp(x->file ? x->file : "", y->file ? y->file : "");
	if (c != 0)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	/* Equal positions keep the order they were found in. */
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
diags_sort(struct diags *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof *d->v, diag_cmp);
}

void
diags_free(struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

/*
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbouring letters each cost one, so "tpye" is one step from "type", as a person sees it.
 */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[65][65], best;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const char *
diag_nearest(const char *word, const char *const *known)
{
	const char *best = NULL;
	size_t bd = SIZE_MAX, dist, limit;

	for (; *known != NULL; known++) {
		dist = edit_distance(word, *known);
		if (dist < bd) {
			bd = dist;
			best = *known;
		}
	}
	limit = strlen(word) <= 4 ? 1 : strlen(word) <= 8 ? 2 : 3;
	return bd <= limit ? best : NULL;
}
