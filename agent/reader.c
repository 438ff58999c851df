/*
 * The CSV reader over libcsv, and the encodings around it. libcsv parses the raw bytes: CP932's
 * second bytes never take the values of a comma, a quote, CR or LF, so the structure of a CP932
 * file is the structure of its bytes, and decoding can wait until a field is needed. libcsv's
 * convention (bytes consumed, csv_error()) stops at this file's boundary.
 */
#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"
#include "utf8.h"
#include "i18n.h"
#include "xmalloc.h"

#define CHUNK      65536
#define MAX_FIELDS 1000

struct reader {
	int fd;
	struct csv_parser csv;
	int eof, failed;
	char *cause;
	unsigned long row; /* rows seen so far */
	int last_term;     /* what ended the previous record: '\r', '\n' or -1 */
	struct record cur; /* being filled by the callbacks */
	size_t cur_cap;
	struct record *queue;
	size_t qhead, qlen, qcap;
	struct record out; /* handed to the caller until the next call */
	int first;         /* the next field is the file's first */
	char sniff[CHUNK];
	size_t nsniff;
	int sniffed;
};

static const char *const enc_names[ENC_COUNT] = {
    [ENC_AUTO] = "auto",      [ENC_UTF8] = "utf-8",   [ENC_CP932] = "cp932",
    [ENC_SJIS] = "shift_jis", [ENC_EUCJP] = "euc-jp",
};

/*
 * iconv's names. CP932 is Microsoft's Shift_JIS: it has NEC and IBM extensions (①, ㈱, 髙) and
 * maps 0x5C to a backslash and 0x8160 to FULLWIDTH TILDE, where JIS Shift_JIS has a yen sign
 * and WAVE DASH. Windows writes CP932 even when it says "Shift_JIS".
 */
static const char *const iconv_names[ENC_COUNT] = {
    [ENC_CP932] = "CP932",
    [ENC_SJIS] = "SHIFT_JIS",
    [ENC_EUCJP] = "EUC-JP",
};

const char *
encoding_name(enum encoding e)
{
	return e < ENC_COUNT ? enc_names[e] : "?";
}

int
encoding_find(const char *name)
{
	int i;

	for (i = 0; i < ENC_COUNT; i++)
		if (strcmp(enc_names[i], name) == 0)
			return i;
	return -1;
}

/* libcsv grows its field buffer with this; refusing past the limit bounds memory per field. */
static void *
bounded_realloc(void *p, size_t size)
{
	if (size > READER_MAX_FIELD + 1024)
		return NULL;
	return realloc(p, size);
}

static int
no_space(unsigned char c)
{
	/* Spaces around a field are data (a value may be checked for them); keep them all. */
	(void)c;
	return 0;
}

static void
record_clear(struct record *rec)
{
	size_t i;

	for (i = 0; i < rec->n; i++)
		free(rec->f[i].p);
	rec->n = 0;
}

static void
on_field(void *s, size_t len, void *data)
{
	struct reader *r = data;
	struct rfield *f;

	if (r->failed)
		return;
	if (r->cur.n >= MAX_FIELDS) {
		r->failed = 1;
		r->cause = xasprintf(_("row %lu has more than %d columns"), r->row + 1, MAX_FIELDS);
		return;
	}
	xgrow(&r->cur.f, &r->cur_cap, r->cur.n, sizeof *r->cur.f);
	f = &r->cur.f[r->cur.n++];
	if (r->first && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s = (char *)s + 3;
		len -= 3;
	}
	r->first = 0;
	f->p = xmalloc(len + 1);
	if (len > 0)
		memcpy(f->p, s, len);
	f->p[len] = '\0';
	f->len = len;
}

static void
on_record(int c, void *data)
{
	struct reader *r = data;
	struct record *q;

	if (r->failed)
		return;
	if (r->cur.n == 0) {
		/* The LF of a CRLF arrives as an empty record after the CR: not a row. */
		if (c == '\n' && r->last_term == '\r') {
			r->last_term = -1;
			return;
		}
		r->last_term = c;
		r->row++; /* a blank line is a row in Excel too */
		return;
	}
	r->last_term = c;
	r->row++;
	xgrow(&r->queue, &r->qcap, r->qlen, sizeof *r->queue);
	q = &r->queue[r->qlen++];
	*q = r->cur;
	q->row = r->row;
	r->cur.f = NULL;
	r->cur.n = 0;
	r->cur_cap = 0;
}

struct reader *
reader_new(int fd)
{
	struct reader *r = xcalloc(1, sizeof *r);

	r->fd = fd;
	r->first = 1;
	r->last_term = -1;
	if (csv_init(&r->csv, CSV_STRICT | CSV_REPALL_NL | CSV_STRICT_FINI) != 0) {
		free(r);
		return NULL;
	}
	csv_set_space_func(&r->csv, no_space);
	csv_set_realloc_func(&r->csv, bounded_realloc);
	return r;
}

static void
parse_fail(struct reader *r)
{
	int e = csv_error(&r->csv);

	r->failed = 1;
	if (r->cause != NULL)
		return;
	if (e == CSV_ENOMEM || e == CSV_ETOOBIG)
		r->cause = xasprintf(_("row %lu has a field longer than %d bytes"), r->row + 1,
		                     READER_MAX_FIELD);
	else if (e == CSV_EPARSE)
		r->cause = xasprintf(_("row %lu: a quotation mark is not closed, or a quote stands "
		                       "inside a field that is not quoted"),
		                     r->row + 1);
	else
		r->cause = xasprintf("row %lu: %s", r->row + 1, csv_strerror(e));
}

/* Reads and parses one chunk; 0 on progress, -1 on error (r->cause set). */
static int
fill(struct reader *r)
{
	char buf[CHUNK];
	ssize_t n;
	const char *p;

	if (r->nsniff > 0) {
		p = r->sniff;
		n = (ssize_t)r->nsniff;
		r->nsniff = 0;
	} else {
		do
			n = read(r->fd, buf, sizeof buf);
		while (n == -1 && errno == EINTR);
		if (n == -1) {
			r->failed = 1;
			r->cause = xasprintf("read error: %s", strerror(errno));
			return -1;
		}
		p = buf;
	}
	if (n == 0) {
		r->eof = 1;
		if (csv_fini(&r->csv, on_field, on_record, r) != 0) {
			if (csv_error(&r->csv) == CSV_EPARSE && r->cause == NULL) {
				r->failed = 1;
				r->cause =
				    xasprintf(_("row %lu: a quotation mark opened here is never "
				                "closed"),
				              r->row + 1);
			} else
				parse_fail(r);
			return -1;
		}
		return r->failed ? -1 : 0;
	}
	if (csv_parse(&r->csv, p, (size_t)n, on_field, on_record, r) != (size_t)n) {
		parse_fail(r);
		return -1;
	}
	return r->failed ? -1 : 0;
}

int
reader_next(struct reader *r, const struct record **rec, char **cause)
{
	record_clear(&r->out);
	free(r->out.f);
	r->out.f = NULL;
	while (r->qhead == r->qlen) {
		r->qhead = r->qlen = 0;
		if (r->failed || r->eof) {
			if (r->failed) {
				*cause = xstrdup(r->cause != NULL ? r->cause : "unreadable file");
				return -1;
			}
			return 0;
		}
		if (fill(r) == -1 && r->qlen == 0) {
			*cause = xstrdup(r->cause);
			return -1;
		}
	}
	r->out = r->queue[r->qhead++];
	*rec = &r->out;
	return 1;
}

/* The multi-byte UTF-8 characters in the first n bytes of u, all of which are valid UTF-8. */
static size_t
utf8_chars_before(const unsigned char *u, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (u[i] >= 0xc2 && u[i] <= 0xf4)
			k++;
	return k;
}

/* Text in UTF-16 has a NUL in every other byte where it is ASCII: most of one parity. */
static int
utf16_without_bom(const unsigned char *u, size_t n)
{
	size_t i, z[2] = {0, 0};

	for (i = 0; i < n; i++)
		if (u[i] == 0)
			z[i % 2]++;
	return (z[0] > n / 8 && z[1] * 4 < z[0]) || (z[1] > n / 8 && z[0] * 4 < z[1]);
}

int
reader_sniff(struct reader *r, enum encoding *enc, char **cause)
{
	const unsigned char *u = (const unsigned char *)r->sniff;
	size_t bad, n;
	ssize_t k;

	if (!r->sniffed) {
		r->sniffed = 1;
		while (r->nsniff < sizeof r->sniff) {
			k = read(r->fd, r->sniff + r->nsniff, sizeof r->sniff - r->nsniff);
			if (k == -1 && errno == EINTR)
				continue;
			if (k == -1) {
				*cause = xasprintf("read error: %s", strerror(errno));
				return -1;
			}
			if (k == 0)
				break;
			r->nsniff += (size_t)k;
		}
	}
	n = r->nsniff;
	if (n >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff))) {
		*cause = xstrdup(_("the file is UTF-16 (Excel's \"Unicode text\"); save it as "
		                   "\"CSV UTF-8\" or \"CSV (comma delimited)\""));
		return -1;
	}
	if (n >= 4 && memcmp(u, "PK\x03\x04", 4) == 0) {
		*cause = xstrdup(_("the file is an Excel workbook (.xlsx) or another zip file, not "
		                   "CSV text; in Excel, save it as \"CSV (comma delimited)\""));
		return -1;
	}
	if (n >= 16 && utf16_without_bom(u, n)) {
		*cause = xstrdup(_("the file looks like UTF-16 without a byte order mark; save it "
		                   "as \"CSV UTF-8\" or \"CSV (comma delimited)\""));
		return -1;
	}
	if (memchr(u, '\0', n) != NULL) {
		*cause = xstrdup(_("the file holds NUL bytes: it is a binary file, not CSV text"));
		return -1;
	}
	if (n >= 3 && memcmp(u, "\xef\xbb\xbf", 3) == 0) {
		*enc = ENC_UTF8;
		return 0;
	}
	/*
	 * A multi-byte character cut by the end of the sample is not evidence against UTF-8; nor is
	 * a bad byte after a header that is plainly UTF-8 (CP932 text hardly ever forms three
	 * UTF-8 characters in a row): that row is rejected for its byte, not the file for its
	 * header.
	 */
	if (utf8_valid(r->sniff, n, &bad) || (n == sizeof r->sniff && bad + 4 > n) ||
	    utf8_chars_before(u, bad) >= 3)
		*enc = ENC_UTF8;
	else
		*enc = ENC_CP932;
	return 0;
}

void
reader_free(struct reader *r)
{
	size_t i;

	if (r == NULL)
		return;
	csv_free(&r->csv);
	record_clear(&r->cur);
	free(r->cur.f);
	record_clear(&r->out);
	free(r->out.f);
	for (i = r->qhead; i < r->qlen; i++) {
		record_clear(&r->queue[i]);
		free(r->queue[i].f);
	}
	free(r->queue);
	free(r->cause);
	free(r);
}

struct decoder {
	enum encoding enc;
	iconv_t cd;
};

struct decoder *
decoder_new(enum encoding enc)
{
	struct decoder *dc = xcalloc(1, sizeof *dc);

	dc->enc = enc;
	dc->cd = (iconv_t)-1;
	if (iconv_names[enc] != NULL &&
	    (dc->cd = iconv_open("UTF-8", iconv_names[enc])) == (iconv_t)-1) {
		free(dc);
		return NULL;
	}
	return dc;
}

int
decoder_run(struct decoder *dc, const char *p, size_t len, char **out, size_t *bad)
{
	char *in = (char *)p, *o, *buf;
	size_t inleft = len, outleft, cap;

	if (memchr(p, '\0', len) != NULL) {
		*bad = (size_t)((const char *)memchr(p, '\0', len) - p);
		return -1;
	}
	if (dc->cd == (iconv_t)-1) {
		if (!utf8_valid(p, len, bad))
			return -1;
		*out = xstrndup(p, len);
		return 0;
	}
	/* These take at least 2 bytes for a character UTF-8 writes in 3 (EUC-JP's 3-byte JIS X 0212
	 * ones in 3). */
	cap = len * 2 + 4;
	buf = xmalloc(cap);
	o = buf;
	outleft = cap - 1;
	iconv(dc->cd, NULL, NULL, NULL, NULL);
	if (iconv(dc->cd, &in, &inleft, &o, &outleft) == (size_t)-1 ||
	    iconv(dc->cd, NULL, NULL, &o, &outleft) == (size_t)-1) {
		*bad = (size_t)(in - p);
		free(buf);
		return -1;
	}
	*o = '\0';
	*out = buf;
	return 0;
}

enum encoding
dc_encoding(const struct decoder *dc)
{
	return dc->enc;
}

void
decoder_free(struct decoder *dc)
{
	if (dc == NULL)
		return;
	if (dc->cd != (iconv_t)-1)
		iconv_close(dc->cd);
	free(dc);
}

int
encode_utf8(enum encoding enc, const char *s, char **out, size_t *outlen, size_t *bad)
{
	size_t len = strlen(s), inleft = len, outleft, cap;
	char *in = (char *)s, *o, *buf;
	iconv_t cd;

	if (iconv_names[enc] == NULL) {
		*out = xstrndup(s, len);
		*outlen = len;
		return 0;
	}
	if ((cd = iconv_open(iconv_names[enc], "UTF-8")) == (iconv_t)-1) {
		*bad = 0;
		return -1;
	}
	cap = len * 2 + 4; /* one byte can become two (a backslash in Shift_JIS) */
	buf = xmalloc(cap);
	o = buf;
	outleft = cap - 1;
	if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1 ||
	    iconv(cd, NULL, NULL, &o, &outleft) == (size_t)-1) {
		*bad = (size_t)(in - s);
		free(buf);
		iconv_close(cd);
		return -1;
	}
	iconv_close(cd);
	*o = '\0';
	*out = buf;
	*outlen = (size_t)(o - buf);
	return 0;
}
