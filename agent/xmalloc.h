/*
 * Allocation that cannot fail: running out of memory is fatal here, in one place, so the rest of
 * formagent never checks for NULL after allocating (STYLE.md 8). Everything returned is the
 * caller's to release with free(3).
 */
#ifndef FORMAGENT_XMALLOC_H
#define FORMAGENT_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Out of memory in a library's own allocation (tsearch): the same fatal end. */
void xalloc_die(void) __attribute__((noreturn));

/* Grow *v (holding *n of *cap elements of size sz) so one more fits. */
void xgrow(void *v, size_t *cap, size_t n, size_t sz);

#endif
