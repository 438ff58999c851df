/*
 * Tests for yamldoc.c: positions (1-based, in characters), the limits that keep a hostile YAML
 * file from exploding (aliases, depth, size), repeated and unknown keys with suggestions, and the
 * typed getters' messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "yamldoc.h"

static struct ynode *
load(const char *text, struct diags *d)
{
	return ydoc_load_mem("t.yaml", text, strlen(text), d);
}

static void
test_positions(void **state)
{
	struct diags d = {0};
	struct ynode *root = load("a: 1\nb:\n  - x\n  - {k: 札幌, v: \"2\"}\n", &d);
	const struct ynode *b, *m;

	(void)state;
	assert_non_null(root);
	assert_int_equal(root->kind, Y_MAP);
	assert_int_equal(root->n, 2);
	b = ymap_get(root, "b");
	assert_int_equal(b->kind, Y_SEQ);
	assert_int_equal(b->line, 3);
	assert_int_equal(b->col, 3);
	m = b->items[1];
	assert_int_equal(ymap_get(m, "v")->line, 4);
	/* Columns count characters: 札幌 is two, as an editor shows it. */
	assert_int_equal(ymap_get(m, "v")->col, 16);
	assert_int_equal(ymap_get(m, "v")->quoted, 1);
	assert_null(ymap_get(root, "c"));
	ydoc_free(root);
}

static void
test_refusals(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	    {"a: &x [1, 2]\nb: *x\n", "t.yaml:1:4: anchors are not supported"},
	    {"a: *x\n", "t.yaml:1:4: "},
	    {"a: [1, 2\n", "t.yaml:2:1: did not find expected ',' or ']'"},
	    {"a: 1\n---\nb: 2\n", "t.yaml:2:1: a second document in one file"},
	    {"", "t.yaml:1:1: the file is empty"},
	    {"? [a, b]\n: 1\n", "t.yaml:1:3: a key must be a plain word, not a list"},
	    {"a: \"x\\0y\"\n", "t.yaml:1:4: a NUL character inside a value"},
	};
	struct diags d = {0};
	char line[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_null(load(cases[i].text, &d));
		assert_true(d.n >= 1);
		snprintf(line, sizeof line, "%s:%d:%d: %s", d.v[0].file, d.v[0].line, d.v[0].col,
		         d.v[0].msg);
		if (strncmp(line, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("case %zu: got '%s', expected '%s'", i, line, cases[i].msg);
		diags_free(&d);
	}
}

static void
test_depth_limit(void **state)
{
	char deep[400];
	struct diags d = {0};
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	deep[100] = '\0';
	assert_null(load(deep, &d));
	assert_non_null(strstr(d.v[0].msg, "nesting deeper than"));
	diags_free(&d);
}

static void
test_node_limit(void **state)
{
	size_t n = YDOC_MAX_NODES + 10, i, o = 0;
	char *big = malloc(n * 3 + 8);
	struct diags d = {0};

	(void)state;
	big[o++] = '[';
	for (i = 0; i < n; i++) {
		big[o++] = '1';
		big[o++] = ',';
	}
	big[o++] = ']';
	big[o] = '\0';
	assert_null(load(big, &d));
	assert_non_null(strstr(d.v[0].msg, "more than"));
	diags_free(&d);
	free(big);
}

static void
test_keys(void **state)
{
	static const char *const known[] = {"fields", "checks", "outputs", NULL};
	struct diags d = {0};
	struct ynode *root = load("fileds: 1\nchecks: 2\nchecks: 3\nzzz: 4\n", &d);

	(void)state;
	assert_int_equal(ymap_check_keys(root, known, "a rule", &d), -1);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.v[0].msg, "unknown key 'fileds' in a rule: did you mean 'fields'?");
	assert_int_equal(d.v[0].line, 1);
	assert_string_equal(d.v[1].msg, "key 'checks' repeated (first at line 2)");
	assert_int_equal(d.v[1].line, 3);
	assert_string_equal(d.v[2].msg, "unknown key 'zzz' in a rule");
	diags_free(&d);
	ydoc_free(root);
	assert_string_equal(diag_nearest("outptus", known), "outputs");
	assert_null(diag_nearest("x", known));
}

static void
test_getters(void **state)
{
	struct diags d = {0};
	struct ynode *root = load("i: 12\nq: \"12\"\nb: true\nl: [1]\nf: 2.5\nbig: 99\n", &d);
	const char *s;
	int64_t i;
	double f;
	int b;

	(void)state;
	assert_int_equal(yget_int(ymap_get(root, "i"), "i", 0, 100, &i, &d), 0);
	assert_int_equal(i, 12);
	assert_int_equal(yget_int(ymap_get(root, "q"), "q", 0, 100, &i, &d), -1);
	assert_string_equal(d.v[0].msg, "expected an integer for 'q', got '12'");
	assert_int_equal(yget_bool(ymap_get(root, "b"), "b", &b, &d), 0);
	assert_int_equal(b, 1);
	assert_int_equal(yget_str(ymap_get(root, "l"), "l", &s, &d), -1);
	assert_string_equal(d.v[1].msg, "expected a string for 'l', got a list");
	assert_int_equal(yget_double(ymap_get(root, "f"), "f", 0, 10, &f, &d), 0);
	assert_true(f == 2.5);
	assert_int_equal(yget_int(ymap_get(root, "big"), "big", 0, 50, &i, &d), -1);
	assert_string_equal(d.v[2].msg, "'big' must be between 0 and 50, got 99");
	assert_int_equal(yget_bool(ymap_get(root, "i"), "i", &b, &d), -1);
	diags_free(&d);
	ydoc_free(root);
}

/* A rule's or template's name is its file's, without the folder and the final .yaml only. */
static void
test_name(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(ydoc_name("rules/transport.yaml", buf, sizeof buf), "transport");
	assert_string_equal(ydoc_name("/etc/formagent/templates/a.yamlx.yaml", buf, sizeof buf),
	                    "a.yamlx");
	assert_string_equal(ydoc_name("school-entry.v2.yaml", buf, sizeof buf), "school-entry.v2");
	assert_string_equal(ydoc_name(".yaml", buf, sizeof buf), ".yaml");
	assert_string_equal(ydoc_name("plain", buf, sizeof buf), "plain");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_positions),   cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_depth_limit), cmocka_unit_test(test_node_limit),
	    cmocka_unit_test(test_keys),        cmocka_unit_test(test_getters),
	    cmocka_unit_test(test_name),
	};

	return cmocka_run_group_tests_name("yamldoc", tests, NULL, NULL);
}
