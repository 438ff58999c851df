/*
 * Check expressions of rules: `amount == fare * round_trips * 2`. Whole-number arithmetic (yen are
 * whole; there is no floating point), date arithmetic in days, comparisons, and/or/not, len() and
 * date("YYYY-MM-DD"). Expressions are parsed and type-checked when a rule loads, so a mistake is
 * reported by `check` at its position; they cannot reach files, the environment or the shell.
 */
#ifndef FORMAGENT_EXPR_H
#define FORMAGENT_EXPR_H

#include <stddef.h>

#include "value.h"

struct expr;

/* The identifiers an expression may use: the rule's fields, in order, with their types. */
struct expr_env {
	const char *const *names;
	const enum vtype *types;
	size_t n;
};

/*
 * Parses src. Returns the expression (free with expr_free) and its type in *type, or NULL with
 * *cause (caller frees) and *off, the byte offset in src the problem is at.
 */
struct expr *expr_parse(const char *src, const struct expr_env *env, enum vtype *type, char **cause,
                        size_t *off);
/*
 * Evaluates e over vals (indexed like env). Returns 0 and *out (V_NULL when a field it needs is
 * empty), or -1 with *cause (overflow, division by zero). The caller clears *out and frees *cause.
 */
int expr_eval(const struct expr *e, const struct value *vals, struct value *out, char **cause);
/* Marks in used[i] each field e refers to. */
void expr_fields(const struct expr *e, int *used);
void expr_free(struct expr *e);
/* The functions expressions may call, NULL-terminated: for docs and tests. */
extern const char *const expr_functions[];

#endif
