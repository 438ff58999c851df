/*
 * Reads a rule file into struct rule: every key checked, every problem reported at its position,
 * every name resolved once at load time. Regular expressions are POSIX extended (regcomp), checks
 * are expr.c expressions, and a file-name pattern may only use fields, so no output name is ever
 * taken from a file's text without passing through the safe-name filter of spool.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ruleload.h"
#include "rules.h"
#include "transform.h"
#include "xmalloc.h"
#include "yamldoc.h"

const char *const rule_keys[] = {"name",   "title",  "match", "input",   "lookups",
                                 "fields", "checks", "claim", "outputs", NULL};
const char *const rule_claim_keys[] = {"kind", "key", "amount", NULL};
const char *const rule_match_keys[] = {"glob", "header", NULL};
const char *const rule_input_keys[] = {"format",         "encoding", "per",
                                       "min_confidence", "replace",  NULL};
const char *const rule_field_keys[] = {
    "from", "expr", "label",  "type",  "transforms", "required", "audit",          "pattern",
    "min",  "max",  "lookup", "after", "regex",      "area",     "min_confidence", NULL};
const char *const rule_check_keys[] = {"expr", "message", NULL};

static const char *const ftype_names[FT_COUNT] = {
    [FT_TEXT] = "text",
    [FT_INT] = "int",
    [FT_YEN] = "yen",
    [FT_DATE] = "date",
};
static const char *const vformat_words[VF_COUNT] = {
    [VF_AUTO] = "auto",    [VF_ISO] = "iso",          [VF_WAREKI] = "wareki",
    [VF_YMD] = "yyyymmdd", [VF_SLASH] = "yyyy/mm/dd", [VF_GROUPED] = "grouped",
};

const char *
ftype_name(enum ftype t)
{
	return t < FT_COUNT ? ftype_names[t] : "?";
}

const char *
vformat_name(enum vformat f)
{
	return f < VF_COUNT ? vformat_words[f] : "?";
}

const char *const *
vformat_names(void)
{
	return vformat_words;
}

static int
name_ok(const char *s)
{
	if (!islower((unsigned char)*s))
		return 0;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

int
rule_field(const struct rule *r, const char *name)
{
	size_t i;

	if (strcmp(name, "_row") == 0)
		return FIELD_ROW;
	if (strcmp(name, "_input") == 0)
		return FIELD_INPUT;
	for (i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].name, name) == 0)
			return (int)i;
	return FIELD_NONE;
}

const char *
rule_field_name(const struct rule *r, int field)
{
	if (field == FIELD_ROW)
		return "_row";
	if (field == FIELD_INPUT)
		return "_input";
	if (field >= 0 && (size_t)field < r->nfields)
		return r->fields[field].name;
	return "?";
}

/* Reports an unknown field name, suggesting the nearest. */
void
rule_no_field(const struct rule *r, const struct ynode *at, const char *name, struct diags *d)
{
	const char **names = xcalloc(r->nfields + 3, sizeof *names);
	const char *near;
	size_t i;

	for (i = 0; i < r->nfields; i++)
		names[i] = r->fields[i].name;
	names[i++] = "_row";
	names[i++] = "_input";
	if ((near = diag_nearest(name, names)) != NULL)
		ydiag(d, at, "no field named '%s' in rule '%s': did you mean '%s'?", name, r->name,
		      near);
	else
		ydiag(d, at, "no field named '%s' in rule '%s'", name, r->name);
	free(names);
}

static char **
string_list(const struct ynode *n, const char *what, size_t *count, struct diags *d)
{
	char **v;
	const char *s;
	size_t i;

	*count = 0;
	if (n->kind == Y_SCALAR) {
		v = xcalloc(1, sizeof *v);
		v[(*count)++] = xstrdup(n->value);
		return v;
	}
	if (n->kind != Y_SEQ) {
		ydiag(d, n, "expected a list of strings for '%s', got %s", what,
		      ynode_kind_name(n));
		return NULL;
	}
	v = xcalloc(n->n, sizeof *v);
	for (i = 0; i < n->n; i++)
		if (yget_str(n->items[i], what, &s, d) == 0)
			v[(*count)++] = xstrdup(s);
	return v;
}

/*
 * The encodings' names (reader.c's table) for yget_enum in w of ENC_COUNT: without "auto" where a
 * file written must name its encoding. Returns w.
 */
const char *const *
encoding_words(const char **w, int with_auto)
{
	int i;

	for (i = 0; i < ENC_COUNT; i++)
		w[i] = i == ENC_AUTO && !with_auto ? NULL : encoding_name((enum encoding)i);
	return w;
}

/* min/max of a field: numbers for int and yen, dates for date, lengths for text. */
static int
get_limit(const struct eras *eras, const struct field_def *f, const struct ynode *n,
          const char *what, int64_t *out, struct diags *d)
{
	char *cause;

	if (f->type == FT_DATE) {
		if (n->kind != Y_SCALAR || tf_date(eras, n->value, out, &cause) == -1) {
			ydiag(d, n, "expected a date for '%s'%s%s", what,
			      n->kind == Y_SCALAR ? ": " : "", n->kind == Y_SCALAR ? cause : "");
			if (n->kind == Y_SCALAR)
				free(cause);
			return -1;
		}
		return 0;
	}
	return yget_int(n, what, f->type == FT_TEXT ? 0 : -INT64_C(999999999999),
	                INT64_C(999999999999), out, d);
}

static void
load_field(struct rule *r, struct field_def *f, const struct ynode *key, const struct ynode *m,
           struct diags *d)
{
	const struct ynode *v;
	const char *s;
	char err[256];
	size_t i;
	int x, rc;

	f->name = xstrdup(key->value);
	f->line = key->line;
	f->col = key->col;
	if (!name_ok(f->name))
		ydiag(d, key,
		      "a field name is lowercase letters, digits and '_', starting with a "
		      "letter; got '%s'",
		      f->name);
	if (ymap_check_keys(m, rule_field_keys, "a field", d) == -1 && m->kind != Y_MAP)
		return;
	f->lookup = -1;
	if (r->input != IN_CSV) {
		rule_load_finder(r, f, m, d);
		goto finder_done;
	}
	if ((v = ymap_get(m, "after")) != NULL || (v = ymap_get(m, "regex")) != NULL ||
	    (v = ymap_get(m, "area")) != NULL || (v = ymap_get(m, "min_confidence")) != NULL) {
		ydiag(d, v,
		      "'after', 'regex', 'area' and 'min_confidence' are for scanned claims: they "
		      "need 'input: {format: text, pdf or image}'; a CSV rule reads columns with "
		      "'from'");
		return;
	}
	if ((v = ymap_get(m, "from")) == NULL && ymap_get(m, "expr") == NULL)
		ydiag(d, m,
		      "field '%s' needs 'from' (the column it is read from) or 'expr' (how it is "
		      "computed)",
		      f->name);
	else if (v != NULL && ymap_get(m, "expr") != NULL)
		ydiag(d, v,
		      "field '%s' has both 'from' and 'expr': it is read or computed, not both",
		      f->name);
	else if (v != NULL && yget_str(v, "from", &s, d) == 0)
		f->from = xstrdup(s);
finder_done:
	if ((v = ymap_get(m, "lookup")) != NULL && yget_str(v, "lookup", &s, d) == 0) {
		size_t k;

		for (k = 0; k < r->nlookups; k++)
			if (strcmp(r->lookups[k].name, s) == 0)
				f->lookup = (int)k;
		if (f->lookup == -1) {
			const char **names = xcalloc(r->nlookups + 1, sizeof *names), *near;

			for (k = 0; k < r->nlookups; k++)
				names[k] = r->lookups[k].name;
			if ((near = diag_nearest(s, names)) != NULL)
				ydiag(d, v,
				      "no lookup table named '%s' in this rule's 'lookups': did "
				      "you mean '%s'?",
				      s, near);
			else
				ydiag(d, v, "no lookup table named '%s' in this rule's 'lookups'",
				      s);
			free(names);
		}
	}
	if ((v = ymap_get(m, "label")) != NULL && yget_str(v, "label", &s, d) == 0)
		f->label = xstrdup(s);
	if ((v = ymap_get(m, "type")) != NULL &&
	    yget_enum(v, "type", ftype_names, FT_COUNT, &x, d) == 0)
		f->type = (enum ftype)x;
	if ((v = ymap_get(m, "transforms")) != NULL) {
		if (v->kind != Y_SEQ || v->n > MAX_TRANSFORMS)
			ydiag(d, v, "expected a list of at most %d transforms for 'transforms'",
			      MAX_TRANSFORMS);
		else {
			const char *names[TT_COUNT];

			for (i = 0; i < TT_COUNT; i++)
				names[i] = text_transform_name((enum text_transform)i);
			for (i = 0; i < v->n; i++)
				if (yget_enum(v->items[i], "transform", names, TT_COUNT, &x, d) ==
				    0)
					f->transforms[f->ntransforms++] = x;
		}
	}
	if ((v = ymap_get(m, "required")) != NULL)
		yget_bool(v, "required", &f->required, d);
	if ((v = ymap_get(m, "audit")) != NULL)
		yget_bool(v, "audit", &f->audit, d);
	if ((v = ymap_get(m, "pattern")) != NULL && yget_str(v, "pattern", &s, d) == 0) {
		if ((rc = regcomp(&f->pattern, s, REG_EXTENDED | REG_NOSUB)) != 0) {
			regerror(rc, &f->pattern, err, sizeof err);
			ydiag(d, v, "the pattern '%s' is not a valid regular expression: %s", s,
			      err);
		} else {
			f->pattern_src = xstrdup(s);
			if (f->type != FT_TEXT)
				ydiag(d, v, "'pattern' applies to text fields; '%s' is %s", f->name,
				      ftype_name(f->type));
		}
	}
	if ((v = ymap_get(m, "min")) != NULL && get_limit(r->eras, f, v, "min", &f->min, d) == 0)
		f->has_min = 1;
	if ((v = ymap_get(m, "max")) != NULL && get_limit(r->eras, f, v, "max", &f->max, d) == 0)
		f->has_max = 1;
	if (f->has_min && f->has_max && f->min > f->max)
		ydiag(d, m, "field '%s': 'min' is greater than 'max'", f->name);
	if (f->lookup >= 0 && f->type != FT_TEXT)
		ydiag(d, m, "field '%s': 'lookup' applies to text fields", f->name);
	if (f->label == NULL)
		f->label = xstrdup(f->from != NULL ? f->from : f->name);
}

static enum vtype
field_vtype(const struct field_def *f)
{
	switch (f->type) {
	case FT_INT:
	case FT_YEN:
		return V_INT;
	case FT_DATE:
		return V_DATE;
	default:
		return V_TEXT;
	}
}

/*
 * Compiles the expression at v over the rule's fields. Returns it and its type in *t, or NULL
 * after reporting the problem at its column in the file.
 */
static struct expr *
compile_expr(const struct rule *r, const struct ynode *v, enum vtype *t, struct diags *d)
{
	const char **names = xcalloc(r->nfields + 1, sizeof *names);
	enum vtype *types = xcalloc(r->nfields + 1, sizeof *types);
	struct expr_env env;
	struct expr *e;
	char *cause;
	size_t i, off;

	for (i = 0; i < r->nfields; i++) {
		names[i] = r->fields[i].name != NULL ? r->fields[i].name : "";
		types[i] = field_vtype(&r->fields[i]);
	}
	env.names = names;
	env.types = types;
	env.n = r->nfields;
	if ((e = expr_parse(v->value, &env, t, &cause, &off)) == NULL) {
		/* A plain one-line scalar starts at its column; quotes add one. */
		diags_add(d, v->file, v->line, v->col + (int)off + (v->quoted ? 1 : 0), "%s",
		          cause);
		free(cause);
	}
	free(names);
	free(types);
	return e;
}

/*
 * Compiles the expressions of computed fields. A computed field may use the fields above it
 * only, so it is computed once, in order, from values already there.
 */
static void
load_computed(struct rule *r, const struct ynode *fields, struct diags *d)
{
	const struct ynode *v;
	struct field_def *f;
	enum vtype t;
	size_t i, j;

	if (fields == NULL || fields->kind != Y_MAP)
		return;
	for (i = 0; i < r->nfields && i < fields->n; i++) {
		f = &r->fields[i];
		if ((v = ymap_get(YMAP_VAL(fields, i), "expr")) == NULL || v->kind != Y_SCALAR)
			continue;
		if ((f->expr = compile_expr(r, v, &t, d)) == NULL)
			continue;
		if (t != field_vtype(f)) {
			ydiag(d, v, "field '%s' is %s, but its expression gives a %s", f->name,
			      ftype_name(f->type), vtype_name(t));
			continue;
		}
		f->uses = xcalloc(r->nfields + 1, sizeof *f->uses);
		expr_fields(f->expr, f->uses);
		for (j = i; j < r->nfields; j++)
			if (f->uses[j]) {
				ydiag(d, v,
				      "field '%s' uses '%s', which comes after it: a computed "
				      "field uses the fields above it",
				      f->name, r->fields[j].name);
				break;
			}
	}
}

/* Checks every {placeholder} of a check's message names a field. */
static void
check_message(struct rule *r, const struct ynode *at, const char *msg, struct diags *d)
{
	const char *p = msg, *e;
	char *name;

	while ((p = strchr(p, '{')) != NULL) {
		if ((e = strchr(p, '}')) == NULL) {
			ydiag(d, at, "a '{' in the message is not closed");
			return;
		}
		name = xstrndup(p + 1, (size_t)(e - p - 1));
		if (rule_field(r, name) == FIELD_NONE)
			rule_no_field(r, at, name, d);
		free(name);
		p = e + 1;
	}
}

static void
load_check(struct rule *r, struct check_def *c, const struct ynode *m, struct diags *d)
{
	const struct ynode *v;
	const char *s;
	enum vtype t;

	c->line = m->line;
	c->col = m->col;
	if (ymap_check_keys(m, rule_check_keys, "a check", d) == -1 && m->kind != Y_MAP)
		return;
	if ((v = ymap_get(m, "message")) == NULL)
		ydiag(d, m, "a check needs 'message' (what the clerk reads when it fails)");
	else if (yget_str(v, "message", &s, d) == 0) {
		c->message = xstrdup(s);
		check_message(r, v, s, d);
	}
	if ((v = ymap_get(m, "expr")) == NULL) {
		ydiag(d, m, "a check needs 'expr'");
		return;
	}
	if (yget_str(v, "expr", &s, d) == -1)
		return;
	c->src = xstrdup(s);
	if ((c->expr = compile_expr(r, v, &t, d)) == NULL)
		return;
	if (t != V_BOOL)
		ydiag(d, v, "a check must be true or false, but this is a %s", vtype_name(t));
	else {
		c->uses = xcalloc(r->nfields + 1, sizeof *c->uses);
		expr_fields(c->expr, c->uses);
	}
}

/*
 * claim: {kind: KIND, key: [FIELD, ...]}. A key field must be required, or two claims missing it
 * could not be told apart, and audited: the key is kept in the register, which never holds a
 * name.
 */
static void
load_claim(struct rule *r, const struct ynode *m, struct diags *d)
{
	const struct ynode *v, *k;
	const char *s;
	size_t i;
	int f;

	if (ymap_check_keys(m, rule_claim_keys, "claim", d) == -1 && m->kind != Y_MAP)
		return;
	if ((v = ymap_get(m, "kind")) == NULL)
		ydiag(d, m, "'claim' needs 'kind': rules of the same payments share it");
	else if (yget_str(v, "kind", &s, d) == 0) {
		if (s[0] == '\0' || s[strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_")] != '\0')
			ydiag(
			    d, v,
			    "the claim kind '%s' may hold only small letters, digits, '-' and '_'",
			    s);
		else
			r->claim_kind = xstrdup(s);
	}
	if ((k = ymap_get(m, "key")) == NULL || k->kind != Y_SEQ || k->n == 0) {
		ydiag(d, k != NULL ? k : m,
		      "'claim' needs 'key': a list of the fields that name one "
		      "payment");
		return;
	}
	r->claim_key = xcalloc(k->n, sizeof *r->claim_key);
	for (i = 0; i < k->n; i++) {
		v = k->items[i];
		if (yget_str(v, "key", &s, d) == -1)
			continue;
		if ((f = rule_field(r, s)) < 0) {
			rule_no_field(r, v, s, d);
			continue;
		}
		if (!r->fields[f].required && r->fields[f].expr == NULL)
			ydiag(
			    d, v,
			    "the claim key's field '%s' must be required: claims without it could "
			    "not be told apart",
			    s);
		else if (!r->fields[f].audit)
			ydiag(d, v,
			      "the claim key's field '%s' must be audited: the register keeps the "
			      "key, "
			      "and it never holds a name",
			      s);
		r->claim_key[r->nclaim_key++] = f;
	}
	/* What a claim pays: the completed record's total is their sum, whatever the outputs. */
	if ((v = ymap_get(m, "amount")) != NULL && yget_str(v, "amount", &s, d) == 0) {
		if ((f = rule_field(r, s)) < 0)
			rule_no_field(r, v, s, d);
		else if (r->fields[f].type != FT_YEN && r->fields[f].type != FT_INT)
			ydiag(d, v, "the claim amount '%s' must be a yen or int field", s);
		else if (!r->fields[f].audit)
			ydiag(d, v,
			      "the claim amount '%s' must be audited: the audit log adds it up", s);
		else
			r->claim_amount = f;
	}
}

struct rule *
rule_load(const char *path, const struct eras *eras, struct diags *d)
{
	const char *words[ENC_COUNT];
	const struct ynode *root, *v, *m;
	struct ynode *doc;
	struct rule *r;
	size_t before = d->n, i;
	char name[256];
	const char *s;
	int64_t n64;
	int x;

	if ((doc = ydoc_load(path, d)) == NULL)
		return NULL;
	root = doc;
	r = xcalloc(1, sizeof *r);
	r->path = xstrdup(path);
	r->name = xstrdup(ydoc_name(path, name, sizeof name));
	r->created_field = FIELD_NONE;
	r->claim_amount = FIELD_NONE;
	r->eras = eras;
	r->encoding = ENC_AUTO;
	r->min_confidence = RULE_MIN_CONFIDENCE;
	if (ymap_check_keys(root, rule_keys, "a rule", d) == -1 && root->kind != Y_MAP)
		goto out;
	if ((v = ymap_get(root, "name")) != NULL && yget_str(v, "name", &s, d) == 0 &&
	    strcmp(s, r->name) != 0)
		ydiag(d, v, "the rule is named '%s' but its file says '%s': make them the same", s,
		      r->name);
	if ((v = ymap_get(root, "title")) != NULL && yget_str(v, "title", &s, d) == 0)
		r->title = xstrdup(s);
	else
		r->title = xstrdup(r->name);
	if ((m = ymap_get(root, "match")) == NULL)
		ydiag(d, root,
		      "a rule needs 'match' (a file-name glob, required header columns, or both)");
	else if (ymap_check_keys(m, rule_match_keys, "match", d) == 0 || m->kind == Y_MAP) {
		r->match_line = m->line;
		r->match_col = m->col;
		if ((v = ymap_get(m, "glob")) != NULL)
			r->globs = string_list(v, "glob", &r->nglobs, d);
		if ((v = ymap_get(m, "header")) != NULL)
			r->header = string_list(v, "header", &r->nheader, d);
		if (r->nglobs == 0 && r->nheader == 0)
			ydiag(d, m, "'match' needs 'glob', 'header' or both");
	}
	if ((m = ymap_get(root, "input")) != NULL &&
	    (ymap_check_keys(m, rule_input_keys, "input", d) == 0 || m->kind == Y_MAP)) {
		if ((v = ymap_get(m, "format")) != NULL &&
		    yget_enum(v, "format", (const char *const[]){"csv", "text", "pdf", "image"}, 4,
		              &x, d) == 0)
			r->input = (enum rinput)x;
		if ((v = ymap_get(m, "per")) != NULL &&
		    yget_enum(v, "per", (const char *const[]){"file", "page"}, 2, &x, d) == 0)
			r->per_page = x == 1;
		if ((v = ymap_get(m, "min_confidence")) != NULL &&
		    yget_int(v, "min_confidence", 0, 100, &n64, d) == 0)
			r->min_confidence = (int)n64;
		rule_load_replace(r, ymap_get(m, "replace"), d);
		if ((v = ymap_get(m, "encoding")) != NULL &&
		    yget_enum(v, "encoding", encoding_words(words, 1), ENC_COUNT, &x, d) == 0)
			r->encoding = (enum encoding)x;
	}
	if (r->input == IN_CSV && (r->per_page || ymap_get(m, "min_confidence") != NULL ||
	                           ymap_get(m, "replace") != NULL))
		ydiag(d, m,
		      "'per', 'min_confidence' and 'replace' are for scanned claims: 'input: "
		      "{format: text, pdf or image}'");
	if (r->input != IN_CSV && (r->nglobs == 0 || r->nheader > 0))
		ydiag(d, ymap_get(root, "match") != NULL ? ymap_get(root, "match") : root,
		      "a text rule is chosen by the file's name: 'match' needs 'glob', and has no "
		      "'header'");
	if ((m = ymap_get(root, "fields")) == NULL || m->kind != Y_MAP || m->n == 0) {
		ydiag(d, m != NULL ? m : root, "a rule needs 'fields': a mapping of field names");
		goto out;
	}
	r->fields = xcalloc(m->n, sizeof *r->fields);
	rule_load_lookups(r, ymap_get(root, "lookups"), d);
	for (i = 0; i < m->n; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (strcmp(YMAP_KEY(m, i)->value, YMAP_KEY(m, j)->value) == 0)
				ydiag(d, YMAP_KEY(m, i), "field '%s' is defined twice",
				      YMAP_KEY(m, i)->value);
		load_field(r, &r->fields[r->nfields++], YMAP_KEY(m, i), YMAP_VAL(m, i), d);
	}
	load_computed(r, ymap_get(root, "fields"), d);
	if ((m = ymap_get(root, "checks")) != NULL) {
		if (m->kind != Y_SEQ)
			ydiag(d, m, "expected a list for 'checks', got %s", ynode_kind_name(m));
		else {
			r->checks = xcalloc(m->n, sizeof *r->checks);
			for (i = 0; i < m->n; i++)
				load_check(r, &r->checks[r->nchecks++], m->items[i], d);
		}
	}
	if ((m = ymap_get(root, "claim")) != NULL)
		load_claim(r, m, d);
	if ((m = ymap_get(root, "outputs")) == NULL)
		ydiag(d, root, "a rule needs 'outputs'");
	else
		rule_load_outputs(r, m, d);
out:
	ydoc_free(doc);
	if (d->n != before) {
		rule_free(r);
		return NULL;
	}
	return r;
}

void
rule_free(struct rule *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nglobs; i++)
		free(r->globs[i]);
	for (i = 0; i < r->nheader; i++)
		free(r->header[i]);
	for (i = 0; i < r->nlookups; i++) {
		size_t j;

		for (j = 0; j < r->lookups[i].n; j++) {
			free(r->lookups[i].keys[j]);
			free(r->lookups[i].vals[j]);
		}
		free(r->lookups[i].keys);
		free(r->lookups[i].vals);
		free(r->lookups[i].name);
	}
	free(r->lookups);
	for (i = 0; i < r->nfields; i++) {
		expr_free(r->fields[i].expr);
		free(r->fields[i].uses);
		free(r->fields[i].name);
		free(r->fields[i].from);
		free(r->fields[i].label);
		if (r->fields[i].pattern_src != NULL) {
			regfree(&r->fields[i].pattern);
			free(r->fields[i].pattern_src);
		}
		if (r->fields[i].finder_src != NULL) {
			regfree(&r->fields[i].finder);
			free(r->fields[i].finder_src);
		}
		free(r->fields[i].after);
		free(r->fields[i].area_label);
	}
	free(r->claim_kind);
	free(r->claim_key);
	for (i = 0; i < r->nchecks; i++) {
		expr_free(r->checks[i].expr);
		free(r->checks[i].src);
		free(r->checks[i].message);
		free(r->checks[i].uses);
	}
	rule_outputs_free(r);
	for (i = 0; i < r->nreplace; i++) {
		free(r->replace_from[i]);
		free(r->replace_to[i]);
	}
	free(r->replace_from);
	free(r->replace_to);
	free(r->globs);
	free(r->header);
	free(r->fields);
	free(r->checks);
	free(r->name);
	free(r->path);
	free(r->title);
	free(r);
}
