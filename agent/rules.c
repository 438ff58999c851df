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

#include "hash.h"
#include "outputs.h"
#include "rules.h"
#include "transform.h"
#include "xmalloc.h"
#include "yamldoc.h"

const char *const rule_keys[] = {"name",   "title",  "match",   "input", "lookups",
                                 "fields", "checks", "outputs", NULL};
const char *const rule_match_keys[] = {"glob", "header", NULL};
const char *const rule_input_keys[] = {"format",         "encoding", "per",
                                       "min_confidence", "replace",  NULL};
const char *const rule_area_keys[] = {"page", "label", "x", "y", "width", "height", NULL};
const char *const rule_field_keys[] = {
    "from", "expr", "label",  "type",  "transforms", "required", "audit",          "pattern",
    "min",  "max",  "lookup", "after", "regex",      "area",     "min_confidence", NULL};
const char *const rule_lookup_keys[] = {"file", NULL};
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

static void load_finder(struct rule *r, struct field_def *f, const struct ynode *m,
                        struct diags *d);

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
		load_finder(r, f, m, d);
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

/*
 * A field printed in a fixed place: area: {page, x, y, width, height}, millimetres from the
 * page's top left corner. Only pages with places have it: a PDF or an image, not OCR text.
 */
static void
load_area(struct rule *r, struct field_def *f, const struct ynode *m, struct diags *d)
{
	const struct ynode *v;
	double *at[] = {&f->area_x, &f->area_y, &f->area_w, &f->area_h};
	const char *names[] = {"x", "y", "width", "height"};
	int64_t page = 1;
	size_t i;

	if (m->kind != Y_MAP) {
		ydiag(d, m, "'area' is {page: N, x: MM, y: MM, width: MM, height: MM}");
		return;
	}
	if (ymap_check_keys(m, rule_area_keys, "an area", d) == -1)
		return;
	if (r->input == IN_TEXT)
		ydiag(d, m,
		      "'area' needs the places on a page: 'input: {format: pdf}' or '{format: "
		      "image}'; OCR text has none");
	if ((v = ymap_get(m, "page")) != NULL && yget_int(v, "page", 1, 9999, &page, d) == -1)
		return;
	if ((v = ymap_get(m, "label")) != NULL) {
		if (v->kind != Y_SCALAR || v->value[0] == '\0') {
			ydiag(d, v,
			      "'label' is the text printed on the form to measure the area from");
			return;
		}
		f->area_label = xstrdup(v->value);
	}
	/* From a label, the area may lie left of or above its corner. */
	for (i = 0; i < 4; i++) {
		if ((v = ymap_get(m, names[i])) == NULL) {
			ydiag(d, m, "'area' needs '%s' (millimetres)", names[i]);
			return;
		}
		if (yget_double(v, names[i],
		                i >= 2                  ? 0.1
		                : f->area_label != NULL ? -2000
		                                        : 0,
		                2000, at[i], d) == -1)
			return;
	}
	f->area_page = (int)page;
	f->from = xstrdup(f->name);
}

/*
 * A text rule's field: found after a printed label, by a regular expression with one group, or
 * computed. f->from gets the label (or the field's name) so reasons can name where it was looked
 * for.
 */
static void
load_finder(struct rule *r, struct field_def *f, const struct ynode *m, struct diags *d)
{
	const struct ynode *a = ymap_get(m, "after"), *x = ymap_get(m, "regex"), *v;
	const struct ynode *ar = ymap_get(m, "area");
	const char *s;
	char err[256];
	int64_t i;
	int rc;

	f->min_confidence = -1;
	if ((v = ymap_get(m, "min_confidence")) != NULL &&
	    yget_int(v, "min_confidence", 0, 100, &i, d) == 0)
		f->min_confidence = (int)i;
	if ((v = ymap_get(m, "from")) != NULL) {
		ydiag(d, v,
		      "field '%s': a scanned claim has no columns; find the value with 'after: "
		      "LABEL', 'regex:' or 'area:'",
		      f->name);
		return;
	}
	if ((a != NULL) + (x != NULL) + (ar != NULL) + (ymap_get(m, "expr") != NULL) != 1) {
		ydiag(d, m,
		      "field '%s' needs one of 'after' (the printed label it follows), 'regex' (a "
		      "pattern with one group), 'area' (where it is printed) or 'expr' (how it is "
		      "computed)",
		      f->name);
		return;
	}
	if (ar != NULL) {
		load_area(r, f, ar, d);
		return;
	}
	if (a != NULL && yget_str(a, "after", &s, d) == 0) {
		if (s[0] == '\0')
			ydiag(d, a, "'after' needs the label's text");
		else {
			f->after = xstrdup(s);
			f->from = xstrdup(s);
		}
	}
	if (x != NULL && yget_str(x, "regex", &s, d) == 0) {
		if ((rc = regcomp(&f->finder, s, REG_EXTENDED | REG_NEWLINE)) != 0) {
			regerror(rc, &f->finder, err, sizeof err);
			ydiag(d, x, "the regex '%s' does not compile: %s", s, err);
			return;
		}
		if (f->finder.re_nsub < 1) {
			ydiag(
			    d, x,
			    "the regex '%s' needs one group in parentheses: the value is what the "
			    "group matches",
			    s);
			regfree(&f->finder);
			return;
		}
		f->finder_src = xstrdup(s);
		f->from = xstrdup(f->name);
	}
}

/* Reads a lookup file: CSV, a header row, then value and code per row. */
static void
load_lookup_file(struct lookup *lk, const char *rule_path, const struct ynode *at, struct diags *d)
{
	char *dir = xstrdup(rule_path), *slash = strrchr(dir, '/'), *path, *cause = NULL, *k, *v;
	const struct record *rec;
	struct decoder *dc = NULL;
	struct reader *rd;
	enum encoding enc;
	size_t bad;
	int fd, rc;

	if (slash != NULL)
		*slash = '\0';
	/*
	 * A rule reads its tables from its own folder and nowhere else: a rule file must not be a
	 * way to read (and report on) other files the service can see.
	 */
	if (at->value[0] == '/' || strcmp(at->value, "..") == 0 ||
	    strncmp(at->value, "../", 3) == 0 || strstr(at->value, "/../") != NULL ||
	    (strlen(at->value) >= 3 && strcmp(at->value + strlen(at->value) - 3, "/..") == 0)) {
		ydiag(
		    d, at,
		    "the lookup file '%s' must be inside the rules folder (a name relative to it, "
		    "without '..')",
		    at->value);
		free(dir);
		return;
	}
	path = xasprintf("%s/%s", slash != NULL ? dir : ".", at->value);
	free(dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		ydiag(d, at, "cannot open the lookup file %s: %s", path, strerror(errno));
		free(path);
		return;
	}
	rd = reader_new(fd);
	if (reader_sniff(rd, &enc, &cause) == -1) {
		ydiag(d, at, "%s: %s", path, cause);
		goto out;
	}
	dc = decoder_new(enc);
	while ((rc = reader_next(rd, &rec, &cause)) == 1) {
		if (rec->row == 1)
			continue; /* the header */
		if (rec->n != 2) {
			ydiag(d, at,
			      "%s: row %lu has %zu columns; a lookup file has two (value, code)",
			      path, rec->row, rec->n);
			continue;
		}
		if (decoder_run(dc, rec->f[0].p, rec->f[0].len, &k, &bad) == -1) {
			ydiag(d, at, "%s: row %lu: not valid text", path, rec->row);
			continue;
		}
		if (decoder_run(dc, rec->f[1].p, rec->f[1].len, &v, &bad) == -1) {
			ydiag(d, at, "%s: row %lu: not valid text", path, rec->row);
			free(k);
			continue;
		}
		lk->keys = xreallocarray(lk->keys, lk->n + 1, sizeof *lk->keys);
		lk->vals = xreallocarray(lk->vals, lk->n + 1, sizeof *lk->vals);
		lk->keys[lk->n] = k;
		lk->vals[lk->n++] = v;
	}
	if (rc == -1)
		ydiag(d, at, "%s: %s", path, cause);
out:
	free(cause);
	decoder_free(dc);
	reader_free(rd);
	close(fd);
	free(path);
}

static void
load_lookups(struct rule *r, const struct ynode *m, struct diags *d)
{
	const struct ynode *t, *f;
	struct lookup *lk;
	const char *s;
	size_t i, j;

	if (m == NULL)
		return;
	if (m->kind != Y_MAP) {
		ydiag(d, m, "expected a mapping of table names for 'lookups'");
		return;
	}
	r->lookups = xcalloc(m->n, sizeof *r->lookups);
	for (i = 0; i < m->n; i++) {
		t = YMAP_VAL(m, i);
		lk = &r->lookups[r->nlookups++];
		lk->name = xstrdup(YMAP_KEY(m, i)->value);
		if (t->kind != Y_MAP) {
			ydiag(d, t, "lookup '%s' is a mapping of values to codes, or {file: CSV}",
			      lk->name);
			continue;
		}
		if ((f = ymap_get(t, "file")) != NULL && t->n == 1) {
			if (f->kind == Y_SCALAR)
				load_lookup_file(lk, r->path, f, d);
			else
				ydiag(d, f, "expected a file name for 'file'");
			continue;
		}
		lk->keys = xcalloc(t->n, sizeof *lk->keys);
		lk->vals = xcalloc(t->n, sizeof *lk->vals);
		for (j = 0; j < t->n; j++)
			if (yget_str(YMAP_VAL(t, j), "code", &s, d) == 0) {
				lk->keys[lk->n] = xstrdup(YMAP_KEY(t, j)->value);
				lk->vals[lk->n++] = xstrdup(s);
			}
	}
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

/* Parses "a-{case_no}.xlsx" into parts, checking the literal parts cannot leave the folder. */
static void
load_name(struct rule *r, struct name_pattern *np, const struct ynode *n, const char *ext,
          struct diags *d)
{
	const char *s, *p, *b;
	char *name;
	int f;

	if (yget_str(n, "name", &s, d) == -1)
		return;
	if (s[0] == '\0' || s[0] == '.' || strchr(s, '/') != NULL || strchr(s, '\\') != NULL) {
		ydiag(d, n,
		      "the output name '%s' must not be empty, start with '.' or hold '/' or "
		      "'\\': outputs stay in the out folder",
		      s);
		return;
	}
	if (ext != NULL &&
	    (strlen(s) < strlen(ext) || strcmp(s + strlen(s) - strlen(ext), ext) != 0))
		ydiag(d, n, "the output name '%s' must end in '%s'", s, ext);
	p = s;
	while (*p != '\0') {
		np->parts = xreallocarray(np->parts, np->n + 1, sizeof *np->parts);
		if (*p == '{') {
			if ((b = strchr(p, '}')) == NULL) {
				ydiag(d, n, "a '{' in the output name is not closed");
				return;
			}
			name = xstrndup(p + 1, (size_t)(b - p - 1));
			if ((f = rule_field(r, name)) == FIELD_NONE)
				rule_no_field(r, n, name, d);
			free(name);
			np->parts[np->n].lit = NULL;
			np->parts[np->n++].field = f;
			p = b + 1;
		} else {
			b = strchr(p, '{');
			if (b == NULL)
				b = p + strlen(p);
			np->parts[np->n].lit = xstrndup(p, (size_t)(b - p));
			np->parts[np->n++].field = FIELD_NONE;
			p = b;
		}
	}
}

/* The outputs section: "created", and a section for each kind of the table it names. */
static void
load_outputs(struct rule *r, const struct ynode *m, struct diags *d)
{
	const struct output_kind *k;
	const struct ynode *o, *v;
	struct rule_output *ro;
	struct buf kinds = {0};
	const char *s;
	char *what;
	size_t i;

	r->line_outputs = m->line;
	r->col_outputs = m->col;
	if (ymap_check_keys(m, output_section_keys(), "outputs", d) == -1 && m->kind != Y_MAP)
		return;
	if ((v = ymap_get(m, "created")) != NULL && yget_str(v, "created", &s, d) == 0) {
		if ((r->created_field = rule_field(r, s)) < 0)
			rule_no_field(r, v, s, d);
		else if (r->fields[r->created_field].type != FT_DATE)
			ydiag(d, v, "'created' names a date field; '%s' is %s", s,
			      ftype_name(r->fields[r->created_field].type));
	}
	for (i = 0; output_kinds[i] != NULL; i++) {
		k = output_kinds[i];
		buf_add(&kinds, i == 0 ? "" : output_kinds[i + 1] == NULL ? " or " : ", ",
		        i == 0 ? 0 : output_kinds[i + 1] == NULL ? 4 : 2);
		buf_add(&kinds, k->key, strlen(k->key));
		if ((o = ymap_get(m, k->key)) == NULL)
			continue;
		what = xasprintf("the %s output", k->key);
		if (ymap_check_keys(o, k->keys, what, d) == -1 && o->kind != Y_MAP) {
			free(what);
			continue;
		}
		r->outputs = xreallocarray(r->outputs, r->noutputs + 1, sizeof *r->outputs);
		ro = &r->outputs[r->noutputs++];
		memset(ro, 0, sizeof *ro);
		ro->kind = k;
		if ((v = ymap_get(o, "name")) == NULL)
			ydiag(d, o, "%s needs 'name' (like \"%s\")", what, k->example);
		else
			load_name(r, &ro->name, v, k->ext, d);
		ro->conf = k->load(r, o, d);
		free(what);
	}
	if (r->noutputs == 0)
		ydiag(d, m, "a rule needs at least one output: %s", kinds.p);
	free(kinds.p);
}

/*
 * input.replace: {MISREAD: RIGHT, ...}, what OCR is known to read wrongly in this form's print
 * (令和 read as 金和), put right in the page's text before any field is looked for.
 */
static void
load_replace(struct rule *r, const struct ynode *m, struct diags *d)
{
	const char *s;
	size_t i;

	if (m == NULL)
		return;
	if (m->kind != Y_MAP) {
		ydiag(d, m, "expected a mapping for 'replace': {MISREAD: RIGHT, ...}");
		return;
	}
	r->replace_from = xcalloc(m->n + 1, sizeof *r->replace_from);
	r->replace_to = xcalloc(m->n + 1, sizeof *r->replace_to);
	for (i = 0; i < m->n; i++) {
		if (YMAP_KEY(m, i)->value[0] == '\0') {
			ydiag(d, YMAP_KEY(m, i), "'replace' needs the misread text as the key");
			continue;
		}
		if (yget_str(YMAP_VAL(m, i), "replace", &s, d) == 0) {
			r->replace_from[r->nreplace] = xstrdup(YMAP_KEY(m, i)->value);
			r->replace_to[r->nreplace++] = xstrdup(s);
		}
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
		load_replace(r, ymap_get(m, "replace"), d);
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
	load_lookups(r, ymap_get(root, "lookups"), d);
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
	if ((m = ymap_get(root, "outputs")) == NULL)
		ydiag(d, root, "a rule needs 'outputs'");
	else
		load_outputs(r, m, d);
out:
	ydoc_free(doc);
	if (d->n != before) {
		rule_free(r);
		return NULL;
	}
	return r;
}

int
rule_resolve(struct rule *r, struct template *const *templates, size_t n, const char *templates_dir,
             struct diags *d)
{
	size_t before = d->n, i;

	for (i = 0; i < r->noutputs; i++)
		if (r->outputs[i].kind->resolve != NULL)
			r->outputs[i].kind->resolve(r, &r->outputs[i], templates, n, templates_dir, d);
	return d->n == before ? 0 : -1;
}

const struct rule_output *
rule_output(const struct rule *r, const struct output_kind *kind)
{
	size_t i;

	for (i = 0; i < r->noutputs; i++)
		if (r->outputs[i].kind == kind)
			return &r->outputs[i];
	return NULL;
}

static int
hash_file_into(struct hash_ctx *h, const char *path, struct diags *d)
{
	char buf[65536];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		diags_add(d, path, 0, 0, "cannot read: %s", strerror(errno));
		return -1;
	}
	/* The name too, so moving a form from one template file to another is a new version. */
	hash_add(h, path, strlen(path) + 1);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		hash_add(h, buf, (size_t)n);
	close(fd);
	return n == 0 ? 0 : -1;
}

int
rule_version(struct rule *r, struct diags *d)
{
	struct hash_ctx *h = hash_begin();
	const char *file;
	size_t i;
	int rc = 0;

	if (hash_file_into(h, r->path, d) == -1)
		rc = -1;
	for (i = 0; i < r->noutputs; i++)
		if (r->outputs[i].kind->version_file != NULL &&
		    (file = r->outputs[i].kind->version_file(&r->outputs[i])) != NULL &&
		    hash_file_into(h, file, d) == -1)
			rc = -1;
	if (hash_end(h, r->version) == -1)
		rc = -1;
	return rc;
}

static void
name_free(struct name_pattern *np)
{
	size_t i;

	for (i = 0; i < np->n; i++)
		free(np->parts[i].lit);
	free(np->parts);
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
	for (i = 0; i < r->nchecks; i++) {
		expr_free(r->checks[i].expr);
		free(r->checks[i].src);
		free(r->checks[i].message);
		free(r->checks[i].uses);
	}
	for (i = 0; i < r->noutputs; i++) {
		name_free(&r->outputs[i].name);
		r->outputs[i].kind->free(r->outputs[i].conf);
	}
	free(r->outputs);
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
