/*
 * Hashes over OpenSSL 3's EVP: EVP_Q_digest and EVP_Q_mac for one-shot values, an EVP_MD_CTX
 * for streams. OpenSSL's 1-for-success convention stops here.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hash.h"
#include "xmalloc.h"

struct hash_ctx {
	EVP_MD_CTX *md;
	int failed;
};

static void
to_hex(const unsigned char *d, size_t n, char hex[HASH_HEX])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && i < 32; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * i] = '\0';
}

int
hash_buf(const void *key, size_t keylen, const void *buf, size_t len, char hex[HASH_HEX])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	size_t n = 0;

	if (key != NULL) {
		if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, buf, len, d,
		              sizeof d, &n) == NULL)
			return -1;
	} else if (EVP_Q_digest(NULL, "SHA256", NULL, buf, len, d, &n) != 1)
		return -1;
	to_hex(d, n, hex);
	return 0;
}

struct hash_ctx *
hash_begin(void)
{
	struct hash_ctx *h = xcalloc(1, sizeof *h);

	if ((h->md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1)
		h->failed = 1;
	return h;
}

void
hash_add(struct hash_ctx *h, const void *buf, size_t len)
{
	if (!h->failed && EVP_DigestUpdate(h->md, buf, len) != 1)
		h->failed = 1;
}

int
hash_end(struct hash_ctx *h, char hex[HASH_HEX])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc = -1;

	if (!h->failed && EVP_DigestFinal_ex(h->md, d, &n) == 1) {
		to_hex(d, n, hex);
		rc = 0;
	}
	EVP_MD_CTX_free(h->md);
	free(h);
	return rc;
}

int
hash_fd(int fd, char hex[HASH_HEX], off_t *size)
{
	struct hash_ctx *h = hash_begin();
	char buf[65536];
	off_t off = 0;
	ssize_t n;

	for (;;) {
		n = pread(fd, buf, sizeof buf, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			hash_end(h, hex);
			return -1;
		}
		if (n == 0)
			break;
		hash_add(h, buf, (size_t)n);
		off += n;
	}
	if (size != NULL)
		*size = off;
	return hash_end(h, hex);
}
