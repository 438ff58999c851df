/*
 * UTF-8 code points: decoding one at a time (strictly: no overlong forms, no surrogates), encoding,
 * and the display width a terminal gives a string (a kanji takes two columns). Every string inside
 * formagent is UTF-8; other encodings exist only at the edges (reader.c, export.c).
 */
#ifndef FORMAGENT_UTF8_H
#define FORMAGENT_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Decodes the sequence at s (n bytes available): returns its length and sets *cp, or 0 if invalid.
 */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Writes cp (at most 4 bytes) into buf; returns the length. */
size_t utf8_encode(uint32_t cp, char *buf);
/* Returns 1 if all n bytes are valid UTF-8, else 0 and the offset of the first bad byte. */
int utf8_valid(const char *s, size_t n, size_t *bad);
/* Terminal columns of s (wcwidth per code point; 1 for anything it does not know). */
size_t utf8_width(const char *s);
/*
 * Prints s in exactly w terminal columns: padded with spaces, or cut with '~' when wider.
 * Control characters and invalid bytes show as '?', so a table stays a table.
 */
void utf8_pad(FILE *fp, const char *s, size_t w);

/*
 * A copy of s with each byte that is not valid UTF-8 replaced by U+FFFD: for names the filesystem
 * gives as bytes (a share's CP932 file name) where text must be UTF-8 (JSON, XML). Caller frees.
 */
char *utf8_repair(const char *s);

/*
 * name cut to at most max bytes at a character boundary, its extension (a final dot and fewer
 * than 16 bytes after it) kept whole, so a cut name still opens in its program. Caller frees.
 */
char *utf8_cut_name(const char *name, size_t max);

#endif
