/*
 * SHA-256 and HMAC-SHA-256 through OpenSSL's EVP interface, as lowercase hex: for input and
 * output files, rule versions and the audit log's chain. No hashing is written by hand.
 */
#ifndef FORMAGENT_HASH_H
#define FORMAGENT_HASH_H

#include <stddef.h>
#include <sys/types.h>

#define HASH_HEX 65 /* 64 hex digits and the NUL */

/* SHA-256 of len bytes, or HMAC-SHA-256 when key is not NULL. Returns 0, or -1 (library error). */
int hash_buf(const void *key, size_t keylen, const void *buf, size_t len, char hex[HASH_HEX]);
/* SHA-256 of everything readable from fd (from its start); *size gets the byte count. -1 on error.
 */
int hash_fd(int fd, char hex[HASH_HEX], off_t *size);

/* An incremental SHA-256, for several files hashed as one (a rule and its templates). */
struct hash_ctx;
struct hash_ctx *hash_begin(void);
void hash_add(struct hash_ctx *h, const void *buf, size_t len);
/* Finishes and frees h. */
int hash_end(struct hash_ctx *h, char hex[HASH_HEX]);

#endif
