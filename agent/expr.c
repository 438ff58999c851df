/*
 * A recursive-descent parser and tree evaluator for check expressions. Types are settled at parse
 * time, so evaluation only meets the run-time faults a value can cause: overflow and division by
 * zero. An empty field makes the whole expression empty (V_NULL): whether a field must be present
 * is the field's `required`, not every check's business.
 */
#include <ctype.h>
#include <regex.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "expr.h"
#include "transform.h"
#include "utf8.h"
#include "i18n.h"
#include "xmalloc.h"

enum op {
	OP_INT,
	OP_TEXT,
	OP_DATE,
	OP_FIELD,
	OP_NEG,
	OP_NOT,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_MOD,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_AND,
	OP_OR,
	OP_LEN,
	OP_YEAR,
	OP_MONTH,
	OP_DAY,
	OP_TODAY,
	OP_MATCH,
};

const char *const expr_functions[] = {"len",  "year",  "month",   "day",
                                      "date", "today", "matches", NULL};

/* Functions of one argument: name, argument type, result type. */
static const struct {
	const char *name;
	enum vtype arg, result;
	enum op op;
} unary_fns[] = {
    {"len", V_TEXT, V_INT, OP_LEN},
    {"year", V_DATE, V_INT, OP_YEAR},
    {"month", V_DATE, V_INT, OP_MONTH},
    {"day", V_DATE, V_INT, OP_DAY},
};

struct expr {
	enum op op;
	enum vtype type;
	int64_t i;
	char *s;
	size_t field;
	regex_t *re; /* OP_MATCH */
	struct expr *l, *r;
};

struct parser {
	const char *src, *p;
	const struct expr_env *env;
	char *cause;
	size_t off;
};

const char *
vtype_name(enum vtype t)
{
	switch (t) {
	case V_NULL:
		return "empty";
	case V_BOOL:
		return "true/false";
	case V_INT:
		return "number";
	case V_DATE:
		return "date";
	case V_TEXT:
		return "text";
	}
	return "?";
}

void
value_clear(struct value *v)
{
	if (v->t == V_TEXT)
		free(v->s);
	v->s = NULL;
	v->t = V_NULL;
	v->i = 0;
}

static struct expr *
node(enum op op, enum vtype type, struct expr *l, struct expr *r)
{
	struct expr *e = xcalloc(1, sizeof *e);

	e->op = op;
	e->type = type;
	e->l = l;
	e->r = r;
	return e;
}

void
expr_free(struct expr *e)
{
	if (e == NULL)
		return;
	expr_free(e->l);
	expr_free(e->r);
	if (e->re != NULL) {
		regfree(e->re);
		free(e->re);
	}
	free(e->s);
	free(e);
}

static struct expr *fail(struct parser *ps, const char *at, struct expr *a, struct expr *b,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static struct expr *
fail(struct parser *ps, const char *at, struct expr *a, struct expr *b, const char *fmt, ...)
{
	va_list ap;

	if (ps->cause == NULL) {
		va_start(ap, fmt);
		if (vasprintf(&ps->cause, fmt, ap) == -1)
			ps->cause = NULL;
		va_end(ap);
		ps->off = (size_t)(at - ps->src);
	}
	expr_free(a);
	expr_free(b);
	return NULL;
}

static void
skip(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

/* Takes tok if it comes next; words must not run on into an identifier. */
static int
accept(struct parser *ps, const char *tok)
{
	size_t n = strlen(tok);

	skip(ps);
	if (strncmp(ps->p, tok, n) != 0)
		return 0;
	if (isalpha((unsigned char)tok[0]) && (isalnum((unsigned char)ps->p[n]) || ps->p[n] == '_'))
		return 0;
	ps->p += n;
	return 1;
}

static struct expr *parse_or(struct parser *ps);

static struct expr *
parse_primary(struct parser *ps)
{
	const char *start, *at;
	struct expr *e, *arg;
	char *name, *cause;
	size_t i, n;
	int64_t v;

	skip(ps);
	at = ps->p;
	if (accept(ps, "(")) {
		if ((e = parse_or(ps)) == NULL)
			return NULL;
		if (!accept(ps, ")"))
			return fail(ps, ps->p, e, NULL, "expected ')'");
		return e;
	}
	if (isdigit((unsigned char)*ps->p)) {
		v = 0;
		while (isdigit((unsigned char)*ps->p)) {
			if (v > (INT64_MAX - (*ps->p - '0')) / 10)
				return fail(ps, at, NULL, NULL, "number too large");
			v = v * 10 + (*ps->p++ - '0');
		}
		e = node(OP_INT, V_INT, NULL, NULL);
		e->i = v;
		return e;
	}
	if (*ps->p == '"' || *ps->p == '\'') {
		char q = *ps->p++;

		start = ps->p;
		while (*ps->p != '\0' && *ps->p != q)
			ps->p++;
		if (*ps->p != q)
			return fail(ps, at, NULL, NULL, "unterminated string");
		e = node(OP_TEXT, V_TEXT, NULL, NULL);
		e->s = xstrndup(start, (size_t)(ps->p - start));
		ps->p++;
		return e;
	}
	if (isalpha((unsigned char)*ps->p) || *ps->p == '_') {
		start = ps->p;
		while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
			ps->p++;
		n = (size_t)(ps->p - start);
		name = xstrndup(start, n);
		skip(ps);
		if (*ps->p == '(') {
			ps->p++;
			for (i = 0; i < sizeof unary_fns / sizeof unary_fns[0]; i++) {
				if (strcmp(name, unary_fns[i].name) != 0)
					continue;
				free(name);
				if ((arg = parse_or(ps)) == NULL)
					return NULL;
				if (arg->type != unary_fns[i].arg)
					return fail(ps, at, arg, NULL, "%s() takes a %s, not a %s",
					            unary_fns[i].name, vtype_name(unary_fns[i].arg),
					            vtype_name(arg->type));
				if (!accept(ps, ")"))
					return fail(ps, ps->p, arg, NULL, "expected ')'");
				return node(unary_fns[i].op, unary_fns[i].result, arg, NULL);
			}
			if (strcmp(name, "today") == 0) {
				free(name);
				if (!accept(ps, ")"))
					return fail(ps, ps->p, NULL, NULL,
					            "today() takes nothing: write today()");
				return node(OP_TODAY, V_DATE, NULL, NULL);
			}
			if (strcmp(name, "matches") == 0) {
				char err[128];
				int rc;

				free(name);
				if ((arg = parse_or(ps)) == NULL)
					return NULL;
				if (arg->type != V_TEXT)
					return fail(ps, at, arg, NULL,
					            "matches() takes text first");
				if (!accept(ps, ","))
					return fail(ps, ps->p, arg, NULL,
					            "expected ',' and a quoted pattern");
				skip(ps);
				if ((e = parse_primary(ps)) == NULL) {
					expr_free(arg);
					return NULL;
				}
				if (e->op != OP_TEXT)
					return fail(ps, at, arg, e,
					            "matches() takes a quoted pattern second");
				e->re = xcalloc(1, sizeof *e->re);
				if ((rc = regcomp(e->re, e->s, REG_EXTENDED | REG_NOSUB)) != 0) {
					regerror(rc, e->re, err, sizeof err);
					free(e->re);
					e->re = NULL;
					return fail(ps, at, arg, e, "the pattern is not valid: %s",
					            err);
				}
				e->op = OP_MATCH;
				e->type = V_BOOL;
				e->l = arg;
				if (!accept(ps, ")"))
					return fail(ps, ps->p, e, NULL, "expected ')'");
				return e;
			}
			if (strcmp(name, "date") == 0) {
				free(name);
				skip(ps);
				if ((arg = parse_primary(ps)) == NULL)
					return NULL;
				if (arg->op != OP_TEXT)
					return fail(ps, at, arg, NULL,
					            "date() takes a quoted date");
				e = node(OP_DATE, V_DATE, NULL, NULL);
				if (tf_date(eras_builtin(), arg->s, &e->i, &cause) == -1) {
					ps->cause = cause;
					ps->off = (size_t)(at - ps->src);
					expr_free(arg);
					expr_free(e);
					return NULL;
				}
				expr_free(arg);
				if (!accept(ps, ")"))
					return fail(ps, ps->p, e, NULL, "expected ')'");
				return e;
			}
			e = fail(ps, at, NULL, NULL,
			         "unknown function '%s' (known: len, year, month, day, date, "
			         "today, matches)",
			         name);
			free(name);
			return e;
		}
		if (strcmp(name, "true") == 0 || strcmp(name, "false") == 0) {
			e = node(OP_INT, V_BOOL, NULL, NULL);
			e->i = name[0] == 't';
			free(name);
			return e;
		}
		for (i = 0; i < ps->env->n; i++)
			if (strcmp(ps->env->names[i], name) == 0) {
				e = node(OP_FIELD, ps->env->types[i], NULL, NULL);
				e->field = i;
				free(name);
				return e;
			}
		{
			const char **known = xcalloc(ps->env->n + 1, sizeof *known);
			const char *near;

			for (i = 0; i < ps->env->n; i++)
				known[i] = ps->env->names[i];
			near = diag_nearest(name, known);
			if (near != NULL)
				e = fail(ps, at, NULL, NULL,
				         "no field named '%s' in this rule: did you mean '%s'?",
				         name, near);
			else
				e = fail(ps, at, NULL, NULL, "no field named '%s' in this rule",
				         name);
			free(known);
		}
		free(name);
		return e;
	}
	if (*ps->p == '\0')
		return fail(ps, at, NULL, NULL, "expression ends too early");
	{
		char c[5] = {0};
		uint32_t cp;
		size_t k = utf8_decode(ps->p, strlen(ps->p), &cp);

		memcpy(c, ps->p, k > 0 ? k : 1);
		return fail(ps, at, NULL, NULL, "unexpected '%s'", c);
	}
}

static struct expr *
parse_unary(struct parser *ps)
{
	const char *at;
	struct expr *e;

	skip(ps);
	at = ps->p;
	if (accept(ps, "-")) {
		if ((e = parse_unary(ps)) == NULL)
			return NULL;
		if (e->type != V_INT)
			return fail(ps, at, e, NULL, "'-' needs a number, not %s",
			            vtype_name(e->type));
		return node(OP_NEG, V_INT, e, NULL);
	}
	return parse_primary(ps);
}

static struct expr *
parse_mul(struct parser *ps)
{
	struct expr *l, *r;
	const char *at;
	enum op op;

	if ((l = parse_unary(ps)) == NULL)
		return NULL;
	for (;;) {
		skip(ps);
		at = ps->p;
		if (accept(ps, "*"))
			op = OP_MUL;
		else if (accept(ps, "/"))
			op = OP_DIV;
		else if (accept(ps, "%"))
			op = OP_MOD;
		else
			return l;
		if ((r = parse_unary(ps)) == NULL)
			return fail(ps, at, l, NULL, "%s", "");
		if (l->type != V_INT || r->type != V_INT)
			return fail(ps, at, l, r, "'%s' needs two numbers",
			            op == OP_MUL   ? "*"
			            : op == OP_DIV ? "/"
			                           : "%");
		l = node(op, V_INT, l, r);
	}
}

static struct expr *
parse_add(struct parser *ps)
{
	struct expr *l, *r;
	const char *at;
	enum vtype t;
	int sub;

	if ((l = parse_mul(ps)) == NULL)
		return NULL;
	for (;;) {
		skip(ps);
		at = ps->p;
		if (accept(ps, "+"))
			sub = 0;
		else if (accept(ps, "-"))
			sub = 1;
		else
			return l;
		if ((r = parse_mul(ps)) == NULL)
			return fail(ps, at, l, NULL, "%s", "");
		if (l->type == V_INT && r->type == V_INT)
			t = V_INT;
		else if (l->type == V_DATE && r->type == V_INT)
			t = V_DATE; /* a date plus or minus days */
		else if (sub && l->type == V_DATE && r->type == V_DATE)
			t = V_INT; /* days between two dates */
		else
			return fail(ps, at, l, r, "cannot %s a %s and a %s",
			            sub ? "subtract" : "add", vtype_name(l->type),
			            vtype_name(r->type));
		l = node(sub ? OP_SUB : OP_ADD, t, l, r);
	}
}

static struct expr *
parse_cmp(struct parser *ps)
{
	static const struct {
		const char *tok;
		enum op op;
	} ops[] = {{"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE},
	           {">=", OP_GE}, {"<", OP_LT},  {">", OP_GT}};
	struct expr *l, *r;
	const char *at;
	size_t i;

	if ((l = parse_add(ps)) == NULL)
		return NULL;
	skip(ps);
	at = ps->p;
	for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (accept(ps, ops[i].tok))
			break;
	if (i == sizeof ops / sizeof ops[0])
		return l;
	if ((r = parse_add(ps)) == NULL)
		return fail(ps, at, l, NULL, "%s", "");
	if (l->type != r->type)
		return fail(ps, at, l, r, "cannot compare a %s with a %s", vtype_name(l->type),
		            vtype_name(r->type));
	if (l->type == V_BOOL || (l->type == V_TEXT && ops[i].op != OP_EQ && ops[i].op != OP_NE))
		return fail(ps, at, l, r, "'%s' cannot compare these values", ops[i].tok);
	return node(ops[i].op, V_BOOL, l, r);
}

static struct expr *
parse_not(struct parser *ps)
{
	const char *at;
	struct expr *e;

	skip(ps);
	at = ps->p;
	if (accept(ps, "not")) {
		if ((e = parse_not(ps)) == NULL)
			return NULL;
		if (e->type != V_BOOL)
			return fail(ps, at, e, NULL, "'not' needs a true/false value");
		return node(OP_NOT, V_BOOL, e, NULL);
	}
	return parse_cmp(ps);
}

static struct expr *
parse_logic(struct parser *ps, int is_or)
{
	struct expr *l, *r;
	const char *at;

	if ((l = is_or ? parse_logic(ps, 0) : parse_not(ps)) == NULL)
		return NULL;
	for (;;) {
		skip(ps);
		at = ps->p;
		if (!accept(ps, is_or ? "or" : "and"))
			return l;
		if ((r = is_or ? parse_logic(ps, 0) : parse_not(ps)) == NULL)
			return fail(ps, at, l, NULL, "%s", "");
		if (l->type != V_BOOL || r->type != V_BOOL)
			return fail(ps, at, l, r, "'%s' needs true/false values on both sides",
			            is_or ? "or" : "and");
		l = node(is_or ? OP_OR : OP_AND, V_BOOL, l, r);
	}
}

static struct expr *
parse_or(struct parser *ps)
{
	return parse_logic(ps, 1);
}

struct expr *
expr_parse(const char *src, const struct expr_env *env, enum vtype *type, char **cause, size_t *off)
{
	struct parser ps = {src, src, env, NULL, 0};
	struct expr *e;

	e = parse_or(&ps);
	if (e != NULL) {
		skip(&ps);
		if (*ps.p == '=')
			e = fail(&ps, ps.p, e, NULL, "'=' is not a comparison: write '=='");
		else if (*ps.p != '\0')
			e = fail(&ps, ps.p, e, NULL, "unexpected '%.8s' after the expression",
			         ps.p);
	}
	if (e == NULL) {
		*cause = ps.cause != NULL ? ps.cause : xstrdup("invalid expression");
		*off = ps.off;
		return NULL;
	}
	*type = e->type;
	return e;
}

static int
arith(enum op op, int64_t a, int64_t b, int64_t *r, char **cause)
{
	int over = 0;

	switch (op) {
	case OP_ADD:
		over = __builtin_add_overflow(a, b, r);
		break;
	case OP_SUB:
		over = __builtin_sub_overflow(a, b, r);
		break;
	case OP_MUL:
		over = __builtin_mul_overflow(a, b, r);
		break;
	case OP_DIV:
	case OP_MOD:
		if (b == 0) {
			*cause = xstrdup(_("division by zero"));
			return -1;
		}
		if (a == INT64_MIN && b == -1) {
			over = 1;
			break;
		}
		*r = op == OP_DIV ? a / b : a % b;
		break;
	default:
		break;
	}
	if (over) {
		*cause = xstrdup(_("the numbers are too large to compute"));
		return -1;
	}
	return 0;
}

int
expr_eval(const struct expr *e, const struct value *vals, struct value *out, char **cause)
{
	struct value a = {V_NULL, 0, NULL}, b = {V_NULL, 0, NULL};
	int c, rc = 0;

	out->t = V_NULL;
	out->s = NULL;
	out->i = 0;
	switch (e->op) {
	case OP_INT:
	case OP_DATE:
		out->t = e->type;
		out->i = e->i;
		return 0;
	case OP_TEXT:
		out->t = V_TEXT;
		out->s = xstrdup(e->s);
		return 0;
	case OP_TODAY: {
		time_t t = time(NULL);
		struct tm tm;

		localtime_r(&t, &tm);
		out->t = V_DATE;
		out->i = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		return 0;
	}
	case OP_FIELD:
		out->t = vals[e->field].t;
		out->i = vals[e->field].i;
		if (out->t == V_TEXT)
			out->s = xstrdup(vals[e->field].s);
		return 0;
	default:
		break;
	}
	if (expr_eval(e->l, vals, &a, cause) == -1)
		return -1;
	/* and/or short-circuit; everything else needs both sides. */
	if (e->op == OP_AND || e->op == OP_OR) {
		if (a.t == V_BOOL && a.i == (e->op == OP_OR)) {
			*out = a;
			return 0;
		}
	}
	if (e->r != NULL && (rc = expr_eval(e->r, vals, &b, cause)) == -1)
		goto out;
	if (a.t == V_NULL || (e->r != NULL && b.t == V_NULL))
		goto out; /* an empty field makes the result empty */
	out->t = e->type;
	switch (e->op) {
	case OP_NEG:
		rc = arith(OP_SUB, 0, a.i, &out->i, cause);
		break;
	case OP_NOT:
		out->i = !a.i;
		break;
	case OP_LEN: {
		/* Characters, not bytes: 山田 has length 2. */
		const char *s = a.s;
		int64_t n = 0;

		for (; *s != '\0'; s++)
			if (((unsigned char)*s & 0xc0) != 0x80)
				n++;
		out->i = n;
		break;
	}
	case OP_YEAR:
	case OP_MONTH:
	case OP_DAY: {
		struct civil cv;

		civil_from_days(a.i, &cv);
		out->i = e->op == OP_YEAR ? cv.y : e->op == OP_MONTH ? cv.m : cv.d;
		break;
	}
	case OP_MATCH:
		out->i = regexec(e->re, a.s, 0, NULL, 0) == 0;
		break;
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_MOD:
		rc = arith(e->op, a.i, b.i, &out->i, cause);
		break;
	case OP_AND:
	case OP_OR:
		out->i = b.i;
		break;
	default: /* comparisons */
		c = a.t == V_TEXT ? strcmp(a.s, b.s) : (a.i > b.i) - (a.i < b.i);
		out->i = e->op == OP_EQ   ? c == 0
		         : e->op == OP_NE ? c != 0
		         : e->op == OP_LT ? c < 0
		         : e->op == OP_LE ? c <= 0
		         : e->op == OP_GT ? c > 0
		                          : c >= 0;
		break;
	}
out:
	if (rc == -1)
		out->t = V_NULL;
	value_clear(&a);
	value_clear(&b);
	return rc;
}

void
expr_fields(const struct expr *e, int *used)
{
	if (e == NULL)
		return;
	if (e->op == OP_FIELD)
		used[e->field] = 1;
	expr_fields(e->l, used);
	expr_fields(e->r, used);
}
