/*
 * Tests for transform.c: every written form of a date DOMAIN.md lists, era boundaries both ways,
 * the impossible dates that must be refused with their reason, yen amounts, and the text
 * transforms, all table-driven so a new case is one line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transform.h"
#include "utf8.h"

struct date_ok {
	const char *in;
	const char *iso;
};

static const struct date_ok dates_ok[] = {
    /* DOMAIN.md's written forms */
    {"令和6年4月1日", "2024-04-01"},
    {"令和６年４月１日", "2024-04-01"},
    {"R6.4.1", "2024-04-01"},
    {"R06.04.01", "2024-04-01"},
    {"令6.4.1", "2024-04-01"},
    {"R060401", "2024-04-01"},
    {"5060401", "2024-04-01"},
    {"2024/04/01", "2024-04-01"},
    {"2024-04-01", "2024-04-01"},
    {"2024年4月1日", "2024-04-01"},
    {"20240401", "2024-04-01"},
    /* 元年 and the first days of each era */
    {"令和元年5月1日", "2019-05-01"},
    {"R1.5.1", "2019-05-01"},
    {"R元.5.1", "2019-05-01"},
    {"平成元年1月8日", "1989-01-08"},
    {"平成31年4月30日", "2019-04-30"},
    {"昭和64年1月7日", "1989-01-07"},
    {"昭和元年12月25日", "1926-12-25"},
    {"大正15年12月24日", "1926-12-24"},
    {"大正元年7月30日", "1912-07-30"},
    {"明治45年7月29日", "1912-07-29"},
    {"明治6年1月1日", "1873-01-01"},
    {"H31.4.30", "2019-04-30"},
    {"S64.1.7", "1989-01-07"},
    {"T15.12.24", "1926-12-24"},
    {"M45.7.29", "1912-07-29"},
    {"h1.1.8", "1989-01-08"},
    {"4010108", "1989-01-08"},
    {"3640107", "1989-01-07"},
    {"H010108", "1989-01-08"},
    {"平1.1.8", "1989-01-08"},
    {"昭64.1.7", "1989-01-07"},
    /* leap days */
    {"令和2年2月29日", "2020-02-29"},
    {"平成12年2月29日", "2000-02-29"},
    {"2000/02/29", "2000-02-29"},
    {"2024/02/29", "2024-02-29"},
    /* spaces, full width and separators */
    {" 令和6年4月1日 ", "2024-04-01"},
    {"令和 6年 4月 1日", "2024-04-01"},
    {"\u3000R6.4.1\u3000", "2024-04-01"},
    {"Ｒ６．４．１", "2024-04-01"},
    {"２０２４／０４／０１", "2024-04-01"},
    {"R6/4/1", "2024-04-01"},
    {"R6-4-1", "2024-04-01"},
    {"令和6年12月31日", "2024-12-31"},
    {"2024年12月31日", "2024-12-31"},
    {"R6.12.31", "2024-12-31"},
    {"令和6年4月1", "2024-04-01"},
    /* a weekday in brackets, checked against the day */
    {"令和6年4月1日(月)", "2024-04-01"},
    {"令和6年4月1日（月曜日）", "2024-04-01"},
    {"2024/4/7 (日曜)", "2024-04-07"},
};

struct date_bad {
	const char *in;
	const char *why; /* a substring of the reason */
};

static const struct date_bad dates_bad[] = {
    {"令和3年2月29日", "not a leap year"},
    {"令和6年4月1日(火)", "that day is a 月曜日, not a 火曜日"},
    {"令和6年4月1日(x)", "unexpected"},
    {"令和6年4月1日(月", "not a complete date"},
    {"令和元年4月30日", "began on 2019-05-01"},
    {"平成元年1月7日", "began on 1989-01-08"},
    {"昭和64年1月8日", "ended on 1989-01-07"},
    {"平成31年5月1日", "ended on 2019-04-30"},
    {"大正15年12月25日", "ended on 1926-12-24"},
    {"明治45年7月30日", "ended on 1912-07-29"},
    {"明治5年12月31日", "Western calendar began"},
    {"令和6年13月1日", "month 13 does not exist"},
    {"令和6年0月1日", "month 0 does not exist"},
    {"令和6年4月31日", "month 4 has only 30 days"},
    {"2024/04/31", "month 4 has only 30 days"},
    {"2023/02/29", "2023 is not a leap year"},
    {"1900/02/29", "1900 is not a leap year"},
    {"1872/12/31", "out of range"},
    {"2100/02/29", "out of range"},
    {"22400101", "out of range (1873 to 2099)"},
    {"2099/12/31x", "unexpected"},
    {"令和6年4月0日", "day 0 does not exist"},
    {"令和0年4月1日", "no year 0"},
    {"R060431", "only 30 days"},
    {"5060431", "only 30 days"},
    {"9060401", "era code 9 is not known"},
    {"", "empty"},
    {"   ", "empty"},
    {"令和6年4月", "not a complete date"},
    {"4月1日", "not a date"},
    {"24/04/01", "a year needs an era"},
    {"R6.4.1x", "unexpected 'x'"},
    {"R6.4/1", "not a date"},
    {"R6年4.1", "not a date"},
    {"X6.4.1", "not a date"},
    {"2024.4.1.", "unexpected '.'"},
    {"2024/4/123", "not a date"},
    {"tomorrow", "not a date"},
    {"令和６年２月３０日", "only 29 days"},
    {"R6.2.30", "only 29 days"},
    {"20241301", "month 13"},
    {"20240230", "only 29 days"},
};

/* Generated once from the era table: both sides of every era boundary, in six written forms. */
static const struct date_ok era_edges_ok[] = {
    {"明治45年7月29日", "1912-07-29"},  {"明治４５年７月２９日", "1912-07-29"},
    {"明45.7.29", "1912-07-29"},        {"M45.07.29", "1912-07-29"},
    {"M450729", "1912-07-29"},          {"1450729", "1912-07-29"},
    {"大正元年7月30日", "1912-07-30"},  {"大正１年７月３０日", "1912-07-30"},
    {"大1.7.30", "1912-07-30"},         {"T01.07.30", "1912-07-30"},
    {"T010730", "1912-07-30"},          {"2010730", "1912-07-30"},
    {"大正15年12月24日", "1926-12-24"}, {"大正１５年１２月２４日", "1926-12-24"},
    {"大15.12.24", "1926-12-24"},       {"T15.12.24", "1926-12-24"},
    {"T151224", "1926-12-24"},          {"2151224", "1926-12-24"},
    {"昭和元年12月25日", "1926-12-25"}, {"昭和１年１２月２５日", "1926-12-25"},
    {"昭1.12.25", "1926-12-25"},        {"S01.12.25", "1926-12-25"},
    {"S011225", "1926-12-25"},          {"3011225", "1926-12-25"},
    {"昭和64年1月7日", "1989-01-07"},   {"昭和６４年１月７日", "1989-01-07"},
    {"昭64.1.7", "1989-01-07"},         {"S64.01.07", "1989-01-07"},
    {"S640107", "1989-01-07"},          {"3640107", "1989-01-07"},
    {"平成元年1月8日", "1989-01-08"},   {"平成１年１月８日", "1989-01-08"},
    {"平1.1.8", "1989-01-08"},          {"H01.01.08", "1989-01-08"},
    {"H010108", "1989-01-08"},          {"4010108", "1989-01-08"},
    {"平成31年4月30日", "2019-04-30"},  {"平成３１年４月３０日", "2019-04-30"},
    {"平31.4.30", "2019-04-30"},        {"H31.04.30", "2019-04-30"},
    {"H310430", "2019-04-30"},          {"4310430", "2019-04-30"},
    {"令和元年5月1日", "2019-05-01"},   {"令和１年５月１日", "2019-05-01"},
    {"令1.5.1", "2019-05-01"},          {"R01.05.01", "2019-05-01"},
    {"R010501", "2019-05-01"},          {"5010501", "2019-05-01"},
};

static const struct date_bad era_edges_bad[] = {
    {"明治45年7月30日", "ended on 1912-07-29"},  {"明治４５年７月３０日", "ended on 1912-07-29"},
    {"明45.7.30", "ended on 1912-07-29"},        {"M45.07.30", "ended on 1912-07-29"},
    {"大正元年7月29日", "began on 1912-07-30"},  {"大正１年７月２９日", "began on 1912-07-30"},
    {"大1.7.29", "began on 1912-07-30"},         {"T01.07.29", "began on 1912-07-30"},
    {"大正15年12月25日", "ended on 1926-12-24"}, {"大正１５年１２月２５日", "ended on 1926-12-24"},
    {"大15.12.25", "ended on 1926-12-24"},       {"T15.12.25", "ended on 1926-12-24"},
    {"昭和元年12月24日", "began on 1926-12-25"}, {"昭和１年１２月２４日", "began on 1926-12-25"},
    {"昭1.12.24", "began on 1926-12-25"},        {"S01.12.24", "began on 1926-12-25"},
    {"昭和64年1月8日", "ended on 1989-01-07"},   {"昭和６４年１月８日", "ended on 1989-01-07"},
    {"昭64.1.8", "ended on 1989-01-07"},         {"S64.01.08", "ended on 1989-01-07"},
    {"平成元年1月7日", "began on 1989-01-08"},   {"平成１年１月７日", "began on 1989-01-08"},
    {"平1.1.7", "began on 1989-01-08"},          {"H01.01.07", "began on 1989-01-08"},
    {"平成31年5月1日", "ended on 2019-04-30"},   {"平成３１年５月１日", "ended on 2019-04-30"},
    {"平31.5.1", "ended on 2019-04-30"},         {"H31.05.01", "ended on 2019-04-30"},
    {"令和元年4月30日", "began on 2019-05-01"},  {"令和１年４月３０日", "began on 2019-05-01"},
    {"令1.4.30", "began on 2019-05-01"},         {"R01.04.30", "began on 2019-05-01"},
};

static void
test_era_edges(void **state)
{
	char *cause = NULL, *iso;
	int64_t days;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof era_edges_ok / sizeof era_edges_ok[0]; i++) {
		if (tf_date(eras_builtin(), era_edges_ok[i].in, &days, &cause) != 0)
			fail_msg("'%s' was refused: %s", era_edges_ok[i].in, cause);
		iso = tf_iso(days);
		if (strcmp(iso, era_edges_ok[i].iso) != 0)
			fail_msg("'%s' gave %s, expected %s", era_edges_ok[i].in, iso,
			         era_edges_ok[i].iso);
		free(iso);
	}
	for (i = 0; i < sizeof era_edges_bad / sizeof era_edges_bad[0]; i++) {
		if (tf_date(eras_builtin(), era_edges_bad[i].in, &days, &cause) == 0)
			fail_msg("'%s' was accepted", era_edges_bad[i].in);
		if (strstr(cause, era_edges_bad[i].why) == NULL)
			fail_msg("'%s': \"%s\" does not say \"%s\"", era_edges_bad[i].in, cause,
			         era_edges_bad[i].why);
		free(cause);
	}
}

static void
test_dates_ok(void **state)
{
	char *cause = NULL, *iso;
	int64_t days;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof dates_ok / sizeof dates_ok[0]; i++) {
		if (tf_date(eras_builtin(), dates_ok[i].in, &days, &cause) != 0)
			fail_msg("'%s' was refused: %s", dates_ok[i].in, cause);
		iso = tf_iso(days);
		if (strcmp(iso, dates_ok[i].iso) != 0)
			fail_msg("'%s' gave %s, expected %s", dates_ok[i].in, iso, dates_ok[i].iso);
		free(iso);
	}
}

static void
test_dates_bad(void **state)
{
	char *cause = NULL;
	int64_t days;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof dates_bad / sizeof dates_bad[0]; i++) {
		if (tf_date(eras_builtin(), dates_bad[i].in, &days, &cause) == 0)
			fail_msg("'%s' was accepted as a date", dates_bad[i].in);
		if (strstr(cause, dates_bad[i].why) == NULL)
			fail_msg("'%s': reason \"%s\" does not say \"%s\"", dates_bad[i].in, cause,
			         dates_bad[i].why);
		free(cause);
	}
}

/* Every day across each era boundary maps back to the same text through wareki and parsing. */
static void
test_wareki_round_trip(void **state)
{
	const struct eras *e = eras_builtin();
	char *w, *cause;
	int64_t d, start, back;
	size_t i;

	(void)state;
	for (i = 0; i < e->n; i++) {
		start = days_from_civil(e->v[i].start.y, e->v[i].start.m, e->v[i].start.d);
		for (d = start - 400; d < start + 400; d++) {
			if ((w = tf_wareki(e, d, 1)) == NULL) {
				assert_true(i == 0 && d < start);
				continue;
			}
			if (tf_date(e, w, &back, &cause) != 0)
				fail_msg("%s does not parse back: %s", w, cause);
			assert_int_equal(back, d);
			free(w);
		}
	}
}

static void
test_wareki_text(void **state)
{
	const struct eras *e = eras_builtin();
	char *w;

	(void)state;
	w = tf_wareki(e, days_from_civil(2024, 4, 1), 1);
	assert_string_equal(w, "令和6年4月1日");
	free(w);
	w = tf_wareki(e, days_from_civil(2019, 5, 1), 1);
	assert_string_equal(w, "令和元年5月1日");
	free(w);
	w = tf_wareki(e, days_from_civil(2019, 5, 1), 0);
	assert_string_equal(w, "令和1年5月1日");
	free(w);
	w = tf_wareki(e, days_from_civil(2019, 4, 30), 1);
	assert_string_equal(w, "平成31年4月30日");
	free(w);
	w = tf_wareki(e, days_from_civil(1989, 1, 7), 1);
	assert_string_equal(w, "昭和64年1月7日");
	free(w);
	assert_null(tf_wareki(e, days_from_civil(1872, 12, 31), 1));
	/* Excel's serial numbers: 2024-04-01 is 45383, as DOMAIN.md says LibreOffice shows it. */
	assert_true(tf_excel_serial(days_from_civil(2024, 4, 1)) == 45383.0);
	assert_true(tf_excel_serial(days_from_civil(1900, 3, 1)) == 61.0);
}

static void
test_civil(void **state)
{
	struct civil c;
	int64_t d;

	(void)state;
	assert_int_equal(days_from_civil(1970, 1, 1), 0);
	assert_int_equal(days_from_civil(2000, 3, 1), 11017);
	for (d = -800000; d < 800000; d += 97) {
		civil_from_days(d, &c);
		assert_int_equal(days_from_civil(c.y, c.m, c.d), d);
	}
	assert_int_equal(days_in_month(2024, 2), 29);
	assert_int_equal(days_in_month(2023, 2), 28);
	assert_int_equal(days_in_month(1900, 2), 28);
	assert_int_equal(days_in_month(2000, 2), 29);
}

struct amount {
	const char *in;
	int ok;
	int64_t v;
	const char *why;
};

static const struct amount yen_cases[] = {
    {"2000", 1, 2000, NULL},
    {"2,000", 1, 2000, NULL},
    {"２，０００", 1, 2000, NULL},
    {"２５０", 1, 250, NULL},
    {"￥840", 1, 840, NULL},
    {"¥840", 1, 840, NULL},
    {"\\840", 1, 840, NULL},
    {"＼840", 1, 840, NULL},
    {"5,040円", 1, 5040, NULL},
    {"5040 円", 1, 5040, NULL},
    {"△500", 1, -500, NULL},
    {"▲1,500", 1, -1500, NULL},
    {"\u2212500", 1, -500, NULL},
    {"－500", 1, -500, NULL},
    {"-500", 1, -500, NULL},
    {"￥-500", 1, -500, NULL},
    {"-￥500", 1, -500, NULL},
    {" 1,234,567 ", 1, 1234567, NULL},
    {"0", 1, 0, NULL},
    {"999,999,999,999", 1, INT64_C(999999999999), NULL},
    {"1,000,000,000,000", 0, 0, "too large"},
    {"", 0, 0, "empty"},
    {"円", 0, 0, "unexpected '円'"},
    {"￥", 0, 0, "no digits"},
    {"20,00", 0, 0, "misplaced thousands separator"},
    {"2,0000", 0, 0, "misplaced thousands separator"},
    {",200", 0, 0, "misplaced"},
    {"1,,000", 0, 0, "misplaced"},
    {"1000,", 0, 0, "misplaced"},
    {"840.5", 0, 0, "whole numbers"},
    {"840円也", 0, 0, "unexpected '也'"},
    {"約840", 0, 0, "unexpected '約'"},
    {"840-", 0, 0, "unexpected '-'"},
    {"--840", 0, 0, "unexpected '-'"},
    {"$840", 0, 0, "unexpected '$'"},
    {"8 40", 0, 0, "unexpected '4'"},
    {"１２３４５６７８９０", 1, INT64_C(1234567890), NULL},
};

static void
test_yen(void **state)
{
	char *cause = NULL;
	int64_t v;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof yen_cases / sizeof yen_cases[0]; i++) {
		rc = tf_yen(yen_cases[i].in, &v, &cause);
		if (yen_cases[i].ok) {
			if (rc != 0)
				fail_msg("'%s' refused: %s", yen_cases[i].in, cause);
			if (v != yen_cases[i].v)
				fail_msg("'%s' gave %lld", yen_cases[i].in, (long long)v);
		} else {
			if (rc == 0)
				fail_msg("'%s' accepted as %lld", yen_cases[i].in, (long long)v);
			if (strstr(cause, yen_cases[i].why) == NULL)
				fail_msg("'%s': \"%s\" does not say \"%s\"", yen_cases[i].in, cause,
				         yen_cases[i].why);
			free(cause);
		}
	}
}

static void
test_int(void **state)
{
	char *cause;
	int64_t v;

	(void)state;
	assert_int_equal(tf_int("１２", &v, &cause), 0);
	assert_int_equal(v, 12);
	assert_int_equal(tf_int("1,200", &v, &cause), 0);
	assert_int_equal(v, 1200);
	assert_int_equal(tf_int("￥12", &v, &cause), -1);
	assert_non_null(strstr(cause, "not a whole number"));
	free(cause);
	assert_int_equal(tf_int("12円", &v, &cause), -1);
	free(cause);
	assert_int_equal(tf_int("12回", &v, &cause), -1);
	assert_non_null(strstr(cause, "unexpected '回'"));
	free(cause);
}

static void
test_group(void **state)
{
	static const struct {
		int64_t v;
		const char *s;
	} cases[] = {
	    {0, "0"},          {999, "999"},           {1000, "1,000"},
	    {-1500, "-1,500"}, {1234567, "1,234,567"}, {INT64_MIN, "-9,223,372,036,854,775,808"}};
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = tf_group(cases[i].v);
		assert_string_equal(s, cases[i].s);
		free(s);
	}
}

struct text_case {
	enum text_transform t;
	const char *in, *out;
};

static const struct text_case text_cases[] = {
    {TT_TRIM, "  abc  ", "abc"},
    {TT_TRIM, "\u3000札幌\u3000太郎\u3000", "札幌\u3000太郎"},
    {TT_TRIM, "", ""},
    {TT_HALFWIDTH, "０１０１－００２３１", "0101-00231"},
    {TT_HALFWIDTH, "ＡＢＣａｂｃ！～", "ABCabc!~"},
    {TT_HALFWIDTH, "札幌\u3000太郎", "札幌 太郎"},
    {TT_HALFWIDTH, "ｶﾀｶﾅ", "ｶﾀｶﾅ"},
    {TT_SPACE, "札幌\u3000\u3000太郎", "札幌 太郎"},
    {TT_SPACE, "a  b", "a b"},
    {TT_DASH, "0101‐00231", "0101-00231"},
    {TT_DASH, "0101−00231", "0101-00231"},
    {TT_DASH, "0101－00231", "0101-00231"},
    {TT_DASH, "0101ー00231", "0101-00231"},
    {TT_DASH, "0101―00231", "0101-00231"},
    {TT_DASH, "0101–00231", "0101-00231"},
    {TT_DASH, "サッポロー", "サッポロー"},
    {TT_DASH, "ーー", "ーー"},
    {TT_DASH, "1ーa", "1ーa"},
    {TT_DASH, "１ー２", "１-２"},
    {TT_UPPER, "r6.4.1", "R6.4.1"},
};

static void
test_text(void **state)
{
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof text_cases / sizeof text_cases[0]; i++) {
		s = tf_apply(text_cases[i].t, text_cases[i].in);
		if (strcmp(s, text_cases[i].out) != 0)
			fail_msg("%s('%s') gave '%s', expected '%s'",
			         text_transform_name(text_cases[i].t), text_cases[i].in, s,
			         text_cases[i].out);
		free(s);
	}
}

static char *
cp_str(uint32_t cp)
{
	char *s = calloc(1, 5);

	if (cp < 0x80)
		s[0] = (char)cp;
	else if (cp < 0x800) {
		s[0] = (char)(0xc0 | (cp >> 6));
		s[1] = (char)(0x80 | (cp & 0x3f));
	} else {
		s[0] = (char)(0xe0 | (cp >> 12));
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
	}
	return s;
}

/* Every full-width ASCII code point becomes its ASCII twin; U+3000 a space. */
static void
test_fullwidth_range(void **state)
{
	char *in, *out, want[2] = {0};
	uint32_t cp;

	(void)state;
	for (cp = 0xff01; cp <= 0xff5e; cp++) {
		in = cp_str(cp);
		out = tf_apply(TT_HALFWIDTH, in);
		want[0] = (char)(cp - 0xff01 + 0x21);
		if (strcmp(out, want) != 0)
			fail_msg("halfwidth(U+%04X) gave '%s'", cp, out);
		free(out);
		free(in);
	}
	out = tf_apply(TT_HALFWIDTH, "\u3000");
	assert_string_equal(out, " ");
	free(out);
}

/*
 * Every half-width katakana code point (U+FF61..U+FF9F) becomes one full-width character, and
 * every voiced and semi-voiced pair joins into one: ｶﾞ → ガ, ﾊﾟ → パ, ｳﾞ → ヴ.
 */
static void
test_halfwidth_kana_range(void **state)
{
	static const char *const voiced[] = {"ｶ", "ｷ", "ｸ", "ｹ", "ｺ", "ｻ", "ｼ", "ｽ", "ｾ", "ｿ", "ﾀ",
	                                     "ﾁ", "ﾂ", "ﾃ", "ﾄ", "ﾊ", "ﾋ", "ﾌ", "ﾍ", "ﾎ", "ｳ"};
	static const char *const voiced_out[] = {"ガ", "ギ", "グ", "ゲ", "ゴ", "ザ", "ジ",
	                                         "ズ", "ゼ", "ゾ", "ダ", "ヂ", "ヅ", "デ",
	                                         "ド", "バ", "ビ", "ブ", "ベ", "ボ", "ヴ"};
	static const char *const semi[] = {"ﾊ", "ﾋ", "ﾌ", "ﾍ", "ﾎ"};
	static const char *const semi_out[] = {"パ", "ピ", "プ", "ペ", "ポ"};
	char *in, *out, pair[16];
	uint32_t cp, o;
	size_t i, n;

	(void)state;
	for (cp = 0xff61; cp <= 0xff9f; cp++) {
		in = cp_str(cp);
		out = tf_apply(TT_FULLWIDTH_KANA, in);
		n = strlen(out);
		o = n == 3 ? ((uint32_t)(out[0] & 0x0f) << 12) | ((uint32_t)(out[1] & 0x3f) << 6) |
		                 (uint32_t)(out[2] & 0x3f)
		           : 0;
		/* One full-width character, in CJK punctuation, kana or their combining marks. */
		if (n != 3 || o < 0x3000 || o > 0x30ff)
			fail_msg("fullwidth_kana(U+%04X) gave '%s'", cp, out);
		free(out);
		free(in);
	}
	for (i = 0; i < sizeof voiced / sizeof voiced[0]; i++) {
		snprintf(pair, sizeof pair, "%sﾞ", voiced[i]);
		out = tf_apply(TT_FULLWIDTH_KANA, pair);
		assert_string_equal(out, voiced_out[i]);
		free(out);
	}
	for (i = 0; i < sizeof semi / sizeof semi[0]; i++) {
		snprintf(pair, sizeof pair, "%sﾟ", semi[i]);
		out = tf_apply(TT_FULLWIDTH_KANA, pair);
		assert_string_equal(out, semi_out[i]);
		free(out);
	}
	/* Only half-width katakana changes: full-width digits, ① and ㈱ stay. */
	out = tf_apply(TT_FULLWIDTH_KANA, "ｻｯﾎﾟﾛ ２５０①㈱");
	assert_string_equal(out, "サッポロ ２５０①㈱");
	free(out);
}

/* Every hiragana U+3041..U+3096 becomes its katakana U+30A1..U+30F6, and back. */
static void
test_kana_range(void **state)
{
	char *in, *out, *want, *back;
	uint32_t cp;

	(void)state;
	for (cp = 0x3041; cp <= 0x3096; cp++) {
		in = cp_str(cp);
		want = cp_str(cp + 0x60);
		out = tf_apply(TT_KATAKANA, in);
		if (strcmp(out, want) != 0)
			fail_msg("katakana(U+%04X) gave '%s'", cp, out);
		back = tf_apply(TT_HIRAGANA, out);
		if (strcmp(back, in) != 0)
			fail_msg("hiragana(U+%04X) gave '%s'", cp + 0x60, back);
		free(back);
		free(out);
		free(want);
		free(in);
	}
	out = tf_apply(TT_KATAKANA, "さっぽろ たろう");
	assert_string_equal(out, "サッポロ タロウ");
	free(out);
	out = tf_apply(TT_HIRAGANA, "ｻｯﾎﾟﾛ");
	assert_string_equal(out, "さっぽろ");
	free(out);
	tf_cleanup();
}

/* The names rules use stay in step with the enum (STYLE.md 4). */
static void
test_transform_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < TT_COUNT; i++) {
		assert_non_null(text_transform_name((enum text_transform)i));
		assert_int_equal(text_transform_find(text_transform_name((enum text_transform)i)),
		                 i);
	}
	assert_int_equal(text_transform_find("halfwdth"), -1);
	assert_null(text_transform_name(TT_COUNT));
}

/*
 * A long name is cut at a character, never inside one, and keeps its extension; a short name is
 * left whole. (utf8.c, used for claimed names and for output names made from claim data.)
 */
static void
test_cut_name(void **state)
{
	char *cut;
	size_t i;

	(void)state;
	cut = utf8_cut_name("short.csv", 20);
	assert_string_equal(cut, "short.csv");
	free(cut);
	/* 12 bytes of 札幌 and a .csv: 10 bytes leave 6 for the stem, two whole characters. */
	cut = utf8_cut_name("札幌札幌.csv", 10);
	assert_string_equal(cut, "札幌.csv");
	free(cut);
	/* 9 bytes leave 5: one whole character, never a part of the second. */
	cut = utf8_cut_name("札幌札幌.csv", 9);
	assert_string_equal(cut, "札.csv");
	free(cut);
	for (i = 4; i < 30; i++) {
		size_t bad;

		cut = utf8_cut_name("令和6年4月の通院移送費.xlsx", i);
		assert_true(strlen(cut) <= i || i < 5);
		assert_true(utf8_valid(cut, strlen(cut), &bad));
		free(cut);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dates_ok),
	    cmocka_unit_test(test_dates_bad),
	    cmocka_unit_test(test_era_edges),
	    cmocka_unit_test(test_wareki_round_trip),
	    cmocka_unit_test(test_wareki_text),
	    cmocka_unit_test(test_civil),
	    cmocka_unit_test(test_yen),
	    cmocka_unit_test(test_int),
	    cmocka_unit_test(test_group),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_fullwidth_range),
	    cmocka_unit_test(test_halfwidth_kana_range),
	    cmocka_unit_test(test_kana_range),
	    cmocka_unit_test(test_fullwidth_range),
	    cmocka_unit_test(test_halfwidth_kana_range),

	    cmocka_unit_test(test_transform_names),
	    cmocka_unit_test(test_cut_name),
	};

	return cmocka_run_group_tests_name("transform", tests, NULL, NULL);
}
