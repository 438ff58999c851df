/*
 * Diagnostics: the list of problems found in configuration files, each with the file, line and
 * column it points at. Loaders collect every problem before giving up (STYLE.md 5), so an
 * administrator fixes a rule in one round instead of one error per run.
 */
#ifndef FORMAGENT_DIAG_H
#define FORMAGENT_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct diag {
	char *file;  /* may be NULL for a problem with no file */
	int line;    /* 1-based; 0 when unknown */
	int col;     /* 1-based; 0 when unknown */
	char *msg;   /* lowercase, no full stop */
	size_t seq;  /* the order found in, so sorting keeps it for equal positions */
	int warning; /* advice, not a problem: it does not fail a load */
};

struct diags {
	struct diag *v;
	size_t n, cap;
};

/* Adds a problem; file is copied. */
void diags_add(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The va_list form of diags_add() and diags_warn(). */
void diags_addv(struct diags *d, int warning, const char *file, int line, int col, const char *fmt,
                va_list ap) __attribute__((format(printf, 6, 0)));
/* Adds advice that does not make a load fail. */
void diags_warn(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The problems (not warnings) from index from on. */
size_t diags_errors(const struct diags *d, size_t from);
/* Prints each as "file:line:column: message" ("warning: message" for a warning). */
void diags_print(FILE *fp, const struct diags *d);
/* Sorts by file, line and column so output reads top to bottom; stable for equal positions. */
void diags_sort(struct diags *d);
/* Releases the messages; d itself is the caller's. Accepts an empty list. */
void diags_free(struct diags *d);
/* The word of known (NULL-terminated) closest to word within a small edit distance, or NULL. */
const char *diag_nearest(const char *word, const char *const *known);

#endif
