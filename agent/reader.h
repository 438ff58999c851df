/*
 * Bytes to records: a CSV file read in chunks through libcsv, each record with its row number as
 * Excel shows it (the header is row 1; a quoted line break does not start a new row; blank lines
 * count). Fields stay raw bytes here, decoded to UTF-8 one at a time by a decoder, so an invalid
 * byte is reported against its row and column and the other rows go on. Memory does not grow
 * with the number of rows: a record lives until the next call.
 */
#ifndef FORMAGENT_READER_H
#define FORMAGENT_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum encoding { ENC_AUTO, ENC_UTF8, ENC_CP932, ENC_SJIS, ENC_EUCJP, ENC_COUNT };

/* "auto", "utf-8", "cp932", "shift_jis", "euc-jp": the names rules use; -1 for an unknown name. */
const char *encoding_name(enum encoding e);
int encoding_find(const char *name);

struct rfield {
	char *p; /* raw bytes, NUL-terminated for convenience (a NUL inside is kept in len) */
	size_t len;
};

struct record {
	unsigned long row; /* Excel's row number */
	struct rfield *f;
	size_t n;
};

/* A field longer than this is an error, so a 100 MB line cannot take 100 MB of memory. */
#define READER_MAX_FIELD (1024 * 1024)

struct reader;

/* Reads fd (owned by the caller, left open). Free with reader_free(). */
struct reader *reader_new(int fd);
/*
 * The next record: 1 and *rec (valid until the next call), 0 at the end, -1 with *cause (a
 * malformed file: the caller frees *cause). The UTF-8 byte-order mark is removed from the first
 * field of the first record.
 */
int reader_next(struct reader *r, const struct record **rec, char **cause);
/* What the first bytes suggest: ENC_UTF8 (a BOM, or valid UTF-8) or ENC_CP932; -1 with *cause for
 * UTF-16. */
int reader_sniff(struct reader *r, enum encoding *enc, char **cause);
void reader_free(struct reader *r);

/* Decodes fields from one encoding to UTF-8. */
struct decoder;
struct decoder *decoder_new(enum encoding enc);
/*
 * Returns 0 and *out (caller frees), or -1 with *bad the offset of the first byte that is not
 * valid in the encoding.
 */
int decoder_run(struct decoder *dc, const char *p, size_t len, char **out, size_t *bad);
void decoder_free(struct decoder *dc);
enum encoding dc_encoding(const struct decoder *dc);

/* Encodes UTF-8 to enc; -1 with *bad the offset in s of the first character enc cannot hold. */
int encode_utf8(enum encoding enc, const char *s, char **out, size_t *outlen, size_t *bad);

#endif
