/*
 * The single place where allocation failure is handled: by ending the program with a message.
 * A daemon that cannot allocate a few bytes cannot write its audit record either, and systemd
 * restarts it; checking every call site would only add untested error paths.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

void
xalloc_die(void)
{
	fputs("formagent: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		xalloc_die();
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if ((p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size)) == NULL)
		xalloc_die();
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void *p;

	if ((p = reallocarray(ptr, nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size)) == NULL)
		xalloc_die();
	return p;
}

char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		xalloc_die();
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	if ((p = strndup(s, n)) == NULL)
		xalloc_die();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		xalloc_die();
	va_end(ap);
	return s;
}

void
xgrow(void *v, size_t *cap, size_t n, size_t sz)
{
	void **vp = v;

	if (n < *cap)
		return;
	*cap = *cap == 0 ? 8 : *cap * 2;
	*vp = xreallocarray(*vp, *cap, sz);
}
