/*
 * Tests for transform.c: every written form of a date DOMAIN.md lists, era boundaries both ways,
 * the impossible dates that must be refused with their reason, yen amounts, and the text
 * transforms, all table-driven so a new case is one line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transform.h"

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
};

struct date_bad {
	const char *in;
	const char *why; /* a substring of the reason */
};

static const struct date_bad dates_bad[] = {
    {"令和3年2月29日", "not a leap year"},
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
    {"2100/02/29", "2100 is not a leap year"},
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dates_ok),
	    cmocka_unit_test(test_dates_bad),
	    cmocka_unit_test(test_wareki_round_trip),
	    cmocka_unit_test(test_wareki_text),
	    cmocka_unit_test(test_civil),
	    cmocka_unit_test(test_yen),
	    cmocka_unit_test(test_int),
	    cmocka_unit_test(test_group),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_transform_names),
	};

	return cmocka_run_group_tests_name("transform", tests, NULL, NULL);
}
