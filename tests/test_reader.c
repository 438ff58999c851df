/*
 * Tests for reader.c: Excel's row numbers over CRLF, quoted line breaks and blank lines; the BOM;
 * CP932 as Windows writes it (①, ㈱, the yen-sign byte 0x5C, 0x8160 as ～); invalid bytes found
 * with their offset; UTF-16 refused; a field longer than the limit refused without reading it
 * into memory whole.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "reader.h"
#include "testutil.h"

/* A pipe-free way to hand bytes to the reader: a temporary file, opened for reading. */
static int
open_bytes(const char *bytes, size_t len)
{
	char path[] = "/tmp/formagent-reader.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	unlink(path);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void
test_rows_and_fields(void **state)
{
	static const char csv[] = "a,b,c\r\n"
	                          "1,\"x,y\",\"he said \"\"hi\"\"\"\r\n"
	                          "\r\n"
	                          "2,\"line\r\nbreak\",\r\n"
	                          "3, sp ,\n"
	                          "4,last,row";
	const struct record *rec;
	struct reader *r;
	char *cause = NULL;
	int fd = open_bytes(csv, sizeof csv - 1);

	(void)state;
	r = reader_new(fd);
	assert_int_equal(reader_next(r, &rec, &cause), 1);
	assert_int_equal(rec->row, 1);
	assert_int_equal(rec->n, 3);
	assert_string_equal(rec->f[2].p, "c");
	assert_int_equal(reader_next(r, &rec, &cause), 1);
	assert_int_equal(rec->row, 2);
	assert_string_equal(rec->f[1].p, "x,y");
	assert_string_equal(rec->f[2].p, "he said \"hi\"");
	/* Row 3 is blank: it is skipped but still counts, as Excel shows it. */
	assert_int_equal(reader_next(r, &rec, &cause), 1);
	assert_int_equal(rec->row, 4);
	assert_string_equal(rec->f[1].p, "line\r\nbreak");
	assert_int_equal(rec->n, 3);
	assert_int_equal(rec->f[2].len, 0);
	/* A quoted line break is inside row 4, so the next record is row 5. */
	assert_int_equal(reader_next(r, &rec, &cause), 1);
	assert_int_equal(rec->row, 5);
	assert_string_equal(rec->f[1].p, " sp ");
	assert_int_equal(reader_next(r, &rec, &cause), 1);
	assert_int_equal(rec->row, 6);
	assert_string_equal(rec->f[2].p, "row");
	assert_int_equal(reader_next(r, &rec, &cause), 0);
	reader_free(r);
	close(fd);
}

static void
test_bom_and_sniff(void **state)
{
	static const char csv[] = "\xef\xbb\xbf\xe3\x82\xb1\xe3\x83\xbc\xe3\x82\xb9,b\r\n1,2\r\n";
	const struct record *rec;
	enum encoding enc;
	struct reader *r;
	char *cause = NULL;
	int fd = open_bytes(csv, sizeof csv - 1);

	(void)state;
	r = reader_new(fd);
	assert_int_equal(reader_sniff(r, &enc, &cause), 0);
	assert_int_equal(enc, ENC_UTF8);
	assert_int_equal(reader_next(r, &rec, &cause), 1);
	assert_string_equal(rec->f[0].p, "ケース");
	reader_free(r);
	close(fd);

	/* ケース in CP932 is not valid UTF-8. */
	fd = open_bytes("\x83\x50\x81\x5b\x83\x58,b\r\n", 10);
	r = reader_new(fd);
	assert_int_equal(reader_sniff(r, &enc, &cause), 0);
	assert_int_equal(enc, ENC_CP932);
	reader_free(r);
	close(fd);

	fd = open_bytes("\xff\xfe"
	                "a\0,\0b\0",
	                8);
	r = reader_new(fd);
	assert_int_equal(reader_sniff(r, &enc, &cause), -1);
	assert_non_null(strstr(cause, "UTF-16"));
	free(cause);
	reader_free(r);
	close(fd);
}

static void
test_cp932(void **state)
{
	struct decoder *dc = decoder_new(ENC_CP932);
	char *out;
	size_t bad;

	(void)state;
	/* ① ㈱ Ⅲ: NEC special characters plain Shift_JIS lacks. */
	assert_int_equal(decoder_run(dc, "\x87\x40\x87\x8a\x87\x56", 6, &out, &bad), 0);
	assert_string_equal(out, "①㈱Ⅲ");
	free(out);
	/* 0x8160 is FULLWIDTH TILDE in CP932 (WAVE DASH in Shift_JIS). */
	assert_int_equal(decoder_run(dc, "\x81\x60", 2, &out, &bad), 0);
	assert_string_equal(out, "\xef\xbd\x9e");
	free(out);
	/* 0x5C is a backslash in CP932 (a yen sign in JIS X 0201). */
	assert_int_equal(decoder_run(dc, "\\840", 4, &out, &bad), 0);
	assert_string_equal(out, "\\840");
	free(out);
	/* 髙 (IBM extension) */
	assert_int_equal(decoder_run(dc, "\xfb\xfc", 2, &out, &bad), 0);
	assert_string_equal(out, "髙");
	free(out);
	/* A lead byte without its second byte, at offset 2. */
	assert_int_equal(decoder_run(dc, "ab\x83", 3, &out, &bad), -1);
	assert_int_equal(bad, 2);
	/* 0xA0 is not a CP932 character. */
	assert_int_equal(decoder_run(dc, "x\xa0", 2, &out, &bad), -1);
	assert_int_equal(bad, 1);
	decoder_free(dc);

	dc = decoder_new(ENC_UTF8);
	assert_int_equal(decoder_run(dc, "ok\xc3\x28", 4, &out, &bad), -1);
	assert_int_equal(bad, 2);
	assert_int_equal(decoder_run(dc, "a\0b", 3, &out, &bad), -1);
	assert_int_equal(bad, 1);
	/* An overlong '/' is not UTF-8. */
	assert_int_equal(decoder_run(dc, "\xc0\xaf", 2, &out, &bad), -1);
	decoder_free(dc);
}

static void
test_encode(void **state)
{
	char *out;
	size_t len, bad;

	(void)state;
	assert_int_equal(encode_utf8(ENC_CP932, "札幌①", &out, &len, &bad), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(out, "\x8e\x44\x96\x79\x87\x40", 6);
	free(out);
	/* 𠮷 has no CP932 code: refused at its offset, never replaced. */
	assert_int_equal(encode_utf8(ENC_CP932, "吉田𠮷", &out, &len, &bad), -1);
	assert_int_equal(bad, 6);
}

/*
 * CP932 and Shift_JIS differ where DOMAIN.md says, and each round-trips its own bytes: decoded
 * to UTF-8 and encoded back, the bytes come back unchanged.
 */
static void
test_round_trips(void **state)
{
	static const struct {
		enum encoding enc;
		const char *bytes;
		size_t len;
		const char *utf8;
	} cases[] = {
	    {ENC_CP932, "\x5c\x81\x60\x87\x40\x87\x8a\xfb\xfc", 9, "\\～①㈱髙"},
	    {ENC_SJIS, "\x5c\x81\x60\x8e\x44", 5, "¥〜札"},
	    {ENC_EUCJP, "\xa1\xc1\xbb\xa5\xcb\xda", 6, "〜札幌"},
	    {ENC_UTF8, "\xe3\x80\x9c\xef\xbd\x9e", 6, "〜～"},
	};
	struct decoder *dc;
	char *out, *back;
	size_t i, bad, len;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		dc = decoder_new(cases[i].enc);
		if (decoder_run(dc, cases[i].bytes, cases[i].len, &out, &bad) != 0)
			fail_msg("%s: decoding failed at %zu", encoding_name(cases[i].enc), bad);
		if (strcmp(out, cases[i].utf8) != 0)
			fail_msg("%s: decoded '%s', expected '%s'", encoding_name(cases[i].enc),
			         out, cases[i].utf8);
		assert_int_equal(encode_utf8(cases[i].enc, out, &back, &len, &bad), 0);
		assert_int_equal(len, cases[i].len);
		assert_memory_equal(back, cases[i].bytes, len);
		free(back);
		free(out);
		decoder_free(dc);
	}
	/* The same bytes read differently: 0x8160 is ～ in CP932 and 〜 in Shift_JIS. */
	dc = decoder_new(ENC_SJIS);
	assert_int_equal(decoder_run(dc, "\x81\x60", 2, &out, &bad), 0);
	assert_string_equal(out, "〜");
	free(out);
	/* ① is not in JIS Shift_JIS. */
	assert_int_equal(decoder_run(dc, "\x87\x40", 2, &out, &bad), -1);
	decoder_free(dc);
	/* ① has no EUC-JP code: refused, never replaced. */
	assert_int_equal(encode_utf8(ENC_EUCJP, "a①", &out, &len, &bad), -1);
	assert_int_equal(bad, 1);
}

static void
test_malformed(void **state)
{
	const struct record *rec;
	struct reader *r;
	char *cause = NULL;
	int fd;

	(void)state;
	fd = open_bytes("a,b\r\n1,\"open\r\n2,3\r\n", 19);
	r = reader_new(fd);
	assert_int_equal(reader_next(r, &rec, &cause), 1);
	assert_int_equal(reader_next(r, &rec, &cause), -1);
	assert_non_null(strstr(cause, "row 2"));
	assert_non_null(strstr(cause, "never closed"));
	free(cause);
	reader_free(r);
	close(fd);

	fd = open_bytes("a,b\r\n1,x\"y\r\n", 12);
	r = reader_new(fd);
	assert_int_equal(reader_next(r, &rec, &cause), 1);
	assert_int_equal(reader_next(r, &rec, &cause), -1);
	assert_non_null(strstr(cause, "row 2"));
	free(cause);
	reader_free(r);
	close(fd);
}

static void
test_long_field(void **state)
{
	size_t n = READER_MAX_FIELD + 100000;
	const struct record *rec;
	char *big = malloc(n + 8), *cause = NULL;
	struct reader *r;
	int fd, rc;

	(void)state;
	memcpy(big, "a\r\n", 3);
	memset(big + 3, 'x', n);
	fd = open_bytes(big, n + 3);
	free(big);
	r = reader_new(fd);
	assert_int_equal(reader_next(r, &rec, &cause), 1);
	rc = reader_next(r, &rec, &cause);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(cause, "longer than"));
	free(cause);
	reader_free(r);
	close(fd);
}

static void
test_encoding_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < ENC_COUNT; i++)
		assert_int_equal(encoding_find(encoding_name((enum encoding)i)), i);
	assert_int_equal(encoding_find("sjis"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows_and_fields), cmocka_unit_test(test_bom_and_sniff),
	    cmocka_unit_test(test_cp932),           cmocka_unit_test(test_encode),
	    cmocka_unit_test(test_round_trips),     cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_long_field),      cmocka_unit_test(test_encoding_names),
	};

	return cmocka_run_group_tests_name("reader", tests, NULL, NULL);
}
