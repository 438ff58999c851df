/*
 * A mapped field's value: text, a whole number (counts and yen), a date (days since 1970-01-01)
 * or a truth value. Text is owned by whoever owns the value; value_clear() releases it.
 */
#ifndef FORMAGENT_VALUE_H
#define FORMAGENT_VALUE_H

#include <stdint.h>

enum vtype { V_NULL, V_BOOL, V_INT, V_DATE, V_TEXT };

struct value {
	enum vtype t;
	int64_t i; /* V_BOOL, V_INT, V_DATE */
	char *s;   /* V_TEXT */
};

/* "text", "integer", ... for messages. */
const char *vtype_name(enum vtype t);
void value_clear(struct value *v);

#endif
