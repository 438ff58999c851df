/*
 * libFuzzer harness: any text as a check expression over a rule's fields, parsed and evaluated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"amount", "fare", "trips", "on", "name"};
	static const enum vtype types[] = {V_INT, V_INT, V_INT, V_DATE, V_TEXT};
	const struct expr_env env = {names, types, 5};
	struct value vals[5] = {{V_INT, 2000, NULL},
	                        {V_INT, INT64_MAX, NULL},
	                        {V_INT, 0, NULL},
	                        {V_DATE, 19814, NULL},
	                        {V_TEXT, 0, (char *)"札幌"}};
	struct value out;
	struct expr *e;
	enum vtype t;
	char *s = malloc(size + 1), *cause;
	size_t off;

	memcpy(s, data, size);
	s[size] = '\0';
	if ((e = expr_parse(s, &env, &t, &cause, &off)) == NULL) {
		if (off > size)
			abort();
		free(cause);
	} else {
		if (expr_eval(e, vals, &out, &cause) == -1)
			free(cause);
		else
			value_clear(&out);
		expr_free(e);
	}
	free(s);
	return 0;
}
