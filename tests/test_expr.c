/*
 * Tests for expr.c: the transport and household checks as rules write them, arithmetic limits,
 * date arithmetic, empty fields, and type errors with the offset `check` turns into a column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr.h"
#include "transform.h"

static const char *const names[] = {"amount",   "fare",       "round_trips",
                                    "visit_on", "applied_on", "name"};
static const enum vtype types[] = {V_INT, V_INT, V_INT, V_DATE, V_DATE, V_TEXT};
static const struct expr_env env = {names, types, 6};

/* Evaluates src over the values; returns the truth value, or -1 for empty, -2 for an error. */
static int
eval(const char *src, struct value *vals, char **cause)
{
	struct value out;
	struct expr *e;
	enum vtype t;
	size_t off;
	int rc;

	e = expr_parse(src, &env, &t, cause, &off);
	if (e == NULL)
		fail_msg("'%s' does not parse: %s", src, *cause);
	if (expr_eval(e, vals, &out, cause) == -1)
		rc = -2;
	else if (out.t == V_NULL)
		rc = -1;
	else if (out.t == V_BOOL)
		rc = (int)out.i;
	else
		rc = (int)out.i;
	value_clear(&out);
	expr_free(e);
	return rc;
}

static void
test_transport_check(void **state)
{
	struct value v[6] = {{V_INT, 2000, NULL}, {V_INT, 250, NULL}, {V_INT, 4, NULL},
	                     {V_DATE, 0, NULL},   {V_DATE, 0, NULL},  {V_TEXT, 0, "札幌 太郎"}};
	char *cause = NULL;

	(void)state;
	assert_int_equal(eval("amount == fare * round_trips * 2", v, &cause), 1);
	v[0].i = 2100;
	assert_int_equal(eval("amount == fare * round_trips * 2", v, &cause), 0);
	assert_int_equal(eval("amount != fare*round_trips*2 and fare > 0", v, &cause), 1);
	assert_int_equal(eval("not (amount == 2100)", v, &cause), 0);
	assert_int_equal(eval("(1 + 2) * 3 == 9 and 7 / 2 == 3 and 7 % 2 == 1", v, &cause), 1);
	assert_int_equal(eval("-fare + 250 == 0", v, &cause), 1);
	assert_int_equal(eval("len(name) == 5", v, &cause), 1);
	assert_int_equal(eval("name == \"札幌 太郎\"", v, &cause), 1);
	assert_int_equal(eval("1 < 2 or amount / 0 == 1", v, &cause), 1);
	/* An empty field makes the result empty, so the check does not apply. */
	v[1].t = V_NULL;
	assert_int_equal(eval("amount == fare * round_trips * 2", v, &cause), -1);
}

static void
test_dates(void **state)
{
	struct value v[6] = {{V_INT, 0, NULL},
	                     {V_INT, 0, NULL},
	                     {V_INT, 0, NULL},
	                     {V_DATE, days_from_civil(2024, 4, 1), NULL},
	                     {V_DATE, days_from_civil(2024, 4, 3), NULL},
	                     {V_TEXT, 0, ""}};
	char *cause = NULL;

	(void)state;
	assert_int_equal(eval("applied_on - visit_on == 2", v, &cause), 1);
	assert_int_equal(eval("visit_on <= applied_on + 31", v, &cause), 1);
	assert_int_equal(eval("visit_on + 2 == applied_on", v, &cause), 1);
	assert_int_equal(eval("visit_on >= date(\"令和6年4月1日\")", v, &cause), 1);
	assert_int_equal(eval("visit_on > date('2024-04-01')", v, &cause), 0);
}

static void
test_runtime_errors(void **state)
{
	struct value v[6] = {{V_INT, INT64_MAX, NULL}, {V_INT, 0, NULL},  {V_INT, 2, NULL},
	                     {V_DATE, 0, NULL},        {V_DATE, 0, NULL}, {V_TEXT, 0, ""}};
	char *cause = NULL;

	(void)state;
	assert_int_equal(eval("amount * round_trips == 1", v, &cause), -2);
	assert_non_null(strstr(cause, "too large"));
	free(cause);
	assert_int_equal(eval("amount / fare == 1", v, &cause), -2);
	assert_string_equal(cause, "division by zero");
	free(cause);
}

static void
test_parse_errors(void **state)
{
	static const struct {
		const char *src;
		size_t off;
		const char *why;
	} cases[] = {
	    {"amount == fare * round_trip * 2", 17, "no field named 'round_trip'"},
	    {"amount == name", 7, "cannot compare a number with a text"},
	    {"amount + name == 1", 7, "cannot add a number and a text"},
	    {"amount ==", 9, "ends too early"},
	    {"amount == (fare", 15, "expected ')'"},
	    {"amount = fare", 7, "write '=='"},
	    {"amount == fare)", 14, "after the expression"},
	    {"len(amount) == 1", 0, "len() takes a text"},
	    {"year(name) > 2000", 0, "year() takes a date"},
	    {"matches(name, \"(\")", 0, "the pattern is not valid"},
	    {"today(1)", 6, "today() takes nothing"},
	    {"foo(1)", 0, "unknown function 'foo'"},
	    {"visit_on == date(\"令和3年2月29日\")", 12, "not a leap year"},
	    {"not amount", 0, "true/false"},
	    {"amount and fare", 7, "needs true/false"},
	    {"\"abc", 0, "unterminated string"},
	    {"amount == 99999999999999999999", 10, "number too large"},
	};
	enum vtype t;
	char *cause;
	size_t off, i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		if (expr_parse(cases[i].src, &env, &t, &cause, &off) != NULL)
			fail_msg("'%s' parsed", cases[i].src);
		if (strstr(cause, cases[i].why) == NULL)
			fail_msg("'%s': \"%s\" does not say \"%s\"", cases[i].src, cause,
			         cases[i].why);
		if (off != cases[i].off)
			fail_msg("'%s': error at %zu, expected %zu (%s)", cases[i].src, off,
			         cases[i].off, cause);
		free(cause);
	}
}

static void
test_types(void **state)
{
	struct expr *e;
	enum vtype t;
	char *cause;
	size_t off;
	int used[6] = {0};

	(void)state;
	e = expr_parse("fare * round_trips * 2", &env, &t, &cause, &off);
	assert_non_null(e);
	assert_int_equal(t, V_INT);
	expr_fields(e, used);
	assert_int_equal(used[0], 0);
	assert_int_equal(used[1], 1);
	assert_int_equal(used[2], 1);
	expr_free(e);
	e = expr_parse("applied_on - visit_on", &env, &t, &cause, &off);
	assert_int_equal(t, V_INT);
	expr_free(e);
	e = expr_parse("visit_on + 1", &env, &t, &cause, &off);
	assert_int_equal(t, V_DATE);
	expr_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transport_check), cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_runtime_errors),  cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_types),
	};

	return cmocka_run_group_tests_name("expr", tests, NULL, NULL);
}
