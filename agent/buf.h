/*
 * A growable byte buffer: text and files built in memory before they are written whole (import
 * lines, reason files, audit records). The bytes are always NUL-terminated, so b.p can be used as
 * a string when what was added is text.
 */
#ifndef FORMAGENT_BUF_H
#define FORMAGENT_BUF_H

#include <stddef.h>

/* Start it as {0}; the caller owns p and frees it with free(3). */
struct buf {
	char *p;
	size_t len, cap;
};

/* Appends n bytes of p (and keeps a NUL after them). Allocation failure is fatal (xmalloc.h). */
void buf_add(struct buf *b, const void *p, size_t n);

#endif
