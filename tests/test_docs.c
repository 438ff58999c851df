/*
 * docs/rules.md and the loader cannot drift apart: every key any loader accepts, every type,
 * transform, format, encoding and check function has a row in the document ("| `key` |"), and
 * every such row names something the loader knows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "expr.h"
#include "outputs.h"
#include "reader.h"
#include "ruletest.h"
#include "rules.h"
#include "template.h"
#include "testutil.h"
#include "transform.h"

static const char *const *const key_lists[] = {
    config_keys,          config_spool_keys,    config_audit_keys,
    config_register_keys, config_era_keys,      rule_keys,
    rule_match_keys,      rule_input_keys,      rule_lookup_keys,
    rule_field_keys,      rule_area_keys,       rule_check_keys,
    rule_claim_keys,      template_keys,        template_style_keys,
    template_cell_keys,   template_column_keys, template_approval_keys,
    template_margin_keys, template_font_keys,   ruletest_keys,
    ruletest_case_keys,   ruletest_row_keys,    ruletest_cell_keys,
    expr_functions,
};

/* Every word the document may name: keys, types, transforms, formats, encodings, functions. */
static char **
known_words(size_t *n)
{
	char **v = calloc(512, sizeof *v);
	size_t i, j;

	*n = 0;
	for (i = 0; i < sizeof key_lists / sizeof key_lists[0]; i++)
		for (j = 0; key_lists[i][j] != NULL; j++)
			v[(*n)++] = strdup(key_lists[i][j]);
	/* The output kinds, from their table: a new kind's keys are found here without a word. */
	for (j = 0; output_section_keys()[j] != NULL; j++)
		v[(*n)++] = strdup(output_section_keys()[j]);
	for (i = 0; output_kinds[i] != NULL; i++) {
		for (j = 0; output_kinds[i]->keys[j] != NULL; j++)
			v[(*n)++] = strdup(output_kinds[i]->keys[j]);
		for (j = 0; output_kinds[i]->inner_keys != NULL && output_kinds[i]->inner_keys[j];
		     j++)
			v[(*n)++] = strdup(output_kinds[i]->inner_keys[j]);
	}
	for (i = 0; i < TT_COUNT; i++)
		v[(*n)++] = strdup(text_transform_name((enum text_transform)i));
	for (i = 0; i < FT_COUNT; i++)
		v[(*n)++] = strdup(ftype_name((enum ftype)i));
	for (i = 0; i < VF_COUNT; i++)
		v[(*n)++] = strdup(vformat_name((enum vformat)i));
	return v;
}

static int
in_doc(const char *doc, const char *word)
{
	char *row;
	int found;

	if (asprintf(&row, "\n| `%s` |", word) == -1)
		abort();
	found = strstr(doc, row) != NULL;
	free(row);
	return found;
}

static void
test_every_key_documented(void **state)
{
	char *path = srcpath("docs/rules.md"), *doc = slurp(path, NULL), **words;
	size_t n, i, missing = 0;

	(void)state;
	assert_non_null(doc);
	words = known_words(&n);
	for (i = 0; i < n; i++) {
		if (!in_doc(doc, words[i])) {
			print_message("docs/rules.md has no row for `%s`\n", words[i]);
			missing++;
		}
		free(words[i]);
	}
	free(words);
	assert_int_equal(missing, 0);
	free(doc);
	free(path);
}

static void
test_every_documented_key_known(void **state)
{
	char *path = srcpath("docs/rules.md"), *doc = slurp(path, NULL), **words, *p, *end;
	size_t n, i, unknown = 0, rows = 0;
	int found;

	(void)state;
	words = known_words(&n);
	for (p = doc; (p = strstr(p, "\n| `")) != NULL; p = end) {
		p += 4;
		if ((end = strchr(p, '`')) == NULL)
			break;
		rows++;
		for (found = 0, i = 0; i < n; i++)
			if (strlen(words[i]) == (size_t)(end - p) &&
			    strncmp(words[i], p, (size_t)(end - p)) == 0)
				found = 1;
		if (!found) {
			print_message("docs/rules.md documents `%.*s`, which no loader accepts\n",
			              (int)(end - p), p);
			unknown++;
		}
	}
	for (i = 0; i < n; i++)
		free(words[i]);
	free(words);
	assert_true(rows > 100);
	assert_int_equal(unknown, 0);
	free(doc);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_key_documented),
	    cmocka_unit_test(test_every_documented_key_known),
	};

	return cmocka_run_group_tests_name("docs", tests, NULL, NULL);
}
