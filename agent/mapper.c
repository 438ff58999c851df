/*
 * Field mapping: decode, transform, parse by type, check limits and patterns, then the rule's
 * checks. A check is only evaluated when every field it reads was mapped cleanly, so a clerk sees
 * the first cause of a problem, not its echoes.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mapper.h"
#include "transform.h"
#include "i18n.h"
#include "xmalloc.h"

int
header_names(const struct record *hdr, struct decoder *dc, char ***names, char **cause)
{
	char **v = xcalloc(hdr->n + 1, sizeof *v), *s;
	size_t i, bad;

	for (i = 0; i < hdr->n; i++) {
		if (decoder_run(dc, hdr->f[i].p, hdr->f[i].len, &s, &bad) == -1) {
			*cause =
			    xasprintf(_("the header's column %zu has a byte (0x%02x at offset %zu) "
			                "that is not valid in the file's encoding"),
			              i + 1, (unsigned char)hdr->f[i].p[bad], bad);
			names_free(v, i);
			return -1;
		}
		v[i] = tf_apply(TT_TRIM, s);
		free(s);
	}
	*names = v;
	return 0;
}

/* The first C0 control (other than tab, CR and LF) or DEL in s, or -1. */
static int
control_char(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n') || *p == 0x7f)
			return *p;
	return -1;
}

void
names_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
rule_header_matches(const struct rule *r, char *const *names, size_t n, const char **missing)
{
	size_t i, j;

	for (i = 0; i < r->nheader; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(r->header[i], names[j]) == 0)
				break;
		if (j == n) {
			*missing = r->header[i];
			return 0;
		}
	}
	return 1;
}

int
mapper_bind(const struct rule *r, char *const *names, size_t n, struct binding *b, char **cause)
{
	size_t i, j, found;

	b->col = xcalloc(r->nfields + 1, sizeof *b->col);
	b->ncols = n;
	for (i = 0; i < r->nfields; i++) {
		if (r->fields[i].from == NULL)
			continue; /* computed, not read */
		found = 0;
		for (j = 0; j < n; j++)
			if (strcmp(r->fields[i].from, names[j]) == 0) {
				if (found++ > 0) {
					*cause = xasprintf(
					    _("the column '%s' appears twice in the header "
					      "(columns %zu and %zu): which one to use is not "
					      "clear"),
					    names[j], b->col[i] + 1, j + 1);
					binding_clear(b);
					return -1;
				}
				b->col[i] = j;
			}
		if (!found) {
			*cause =
			    xasprintf(_("the header has no column '%s' (needed for field '%s')"),
			              r->fields[i].from, r->fields[i].name);
			binding_clear(b);
			return -1;
		}
	}
	return 0;
}

void
binding_clear(struct binding *b)
{
	free(b->col);
	b->col = NULL;
	b->ncols = 0;
}

static const char *const fault_names[] = {
    [MF_EMPTY] = "empty",       [MF_FORM] = "form",     [MF_ENCODING] = "encoding",
    [MF_RANGE] = "range",       [MF_TABLE] = "table",   [MF_CHECK] = "check",
    [MF_ROW] = "row",           [MF_DOUBT] = "doubt",   [MF_PAID] = "paid",
    [MF_CONFLICT] = "conflict", [MF_OUTPUT] = "output",
};

const char *
map_fault_name(enum map_fault k)
{
	return k < MF_COUNT && fault_names[k] != NULL ? fault_names[k] : "?";
}

void
mapper_add_error(struct mapped *m, enum map_fault kind, int field, const char *column,
                 const char *value, char *message)
{
	struct map_error *e;

	xgrow(&m->errs, &m->caperrs, m->nerrs, sizeof *m->errs);
	e = &m->errs[m->nerrs++];
	e->kind = kind;
	e->field = field;
	e->column = column != NULL ? xstrdup(column) : NULL;
	e->value = value != NULL ? xstrdup(value) : NULL;
	e->message = message;
	e->check = -1;
}

/*
 * A line break inside a quoted CSV field is CRLF from Windows; a cell's line break is LF, and a
 * CR shows in Excel as a stray character. Changes s in place and returns it.
 */
static char *
unify_newlines(char *s)
{
	char *r = s, *w = s;

	for (; *r != '\0'; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r[1] == '\n')
				r++;
		} else
			*w++ = *r;
	}
	*w = '\0';
	return s;
}

/* Replaces *s by its code in the table; -1 if the table does not have it. */
static int
lookup(const struct lookup *lk, char **s)
{
	size_t i;

	for (i = 0; i < lk->n; i++)
		if (strcmp(lk->keys[i], *s) == 0) {
			free(*s);
			*s = xstrdup(lk->vals[i]);
			return 0;
		}
	return -1;
}

/* Checks a number or date against the field's limits; -1 after adding the error. */
static int
check_limits(const struct field_def *f, int fi, const char *raw, int64_t x, struct mapped *m)
{
	char *have, *lim;

	if (!((f->has_min && x < f->min) || (f->has_max && x > f->max)))
		return 0;
	if (f->type == FT_DATE) {
		have = tf_iso(x);
		lim = tf_iso(f->has_min && x < f->min ? f->min : f->max);
	} else {
		have = tf_group(x);
		lim = tf_group(f->has_min && x < f->min ? f->min : f->max);
	}
	if (f->has_min && x < f->min)
		mapper_add_error(
		    m, MF_RANGE, fi, f->from, raw,
		    xasprintf(_("%s %s is below the lowest allowed, %s"), f->label, have, lim));
	else
		mapper_add_error(
		    m, MF_RANGE, fi, f->from, raw,
		    xasprintf(_("%s %s is above the highest allowed, %s"), f->label, have, lim));
	free(have);
	free(lim);
	return -1;
}

/*
 * Computes the rule's computed fields in order, from the fields above each; one whose inputs
 * failed or are empty stays empty (an error if it is required).
 */
static void
compute(const struct rule *r, struct mapped *m, int *bad)
{
	const struct field_def *f;
	struct value res;
	char *cause;
	size_t i, j;
	int skip;

	for (i = 0; i < r->nfields; i++) {
		f = &r->fields[i];
		if (f->expr == NULL)
			continue;
		for (skip = 0, j = 0; j < r->nfields; j++)
			if (f->uses[j] && bad[j])
				skip = 1;
		if (skip) {
			bad[i] = 1;
			continue;
		}
		if (expr_eval(f->expr, m->v, &res, &cause) == -1) {
			mapper_add_error(m, MF_FORM, (int)i, NULL, NULL,
			                 xasprintf("%s: %s", f->label, cause));
			free(cause);
			bad[i] = 1;
			continue;
		}
		if (res.t == V_NULL) {
			if (f->required) {
				mapper_add_error(
				    m, MF_EMPTY, (int)i, NULL, NULL,
				    xasprintf(
				        _("%s is required but cannot be computed: a value it needs "
				          "is empty"),
				        f->label));
				bad[i] = 1;
			}
			continue;
		}
		if ((res.t == V_INT || res.t == V_DATE) &&
		    check_limits(f, (int)i, NULL, res.i, m) == -1) {
			value_clear(&res);
			bad[i] = 1;
			continue;
		}
		m->v[i] = res;
	}
}

/* Maps one field; returns 0 if it is clean. */
static int
map_field(const struct rule *r, size_t fi, const char *raw, struct mapped *m)
{
	const struct field_def *f = &r->fields[fi];
	struct value *v = &m->v[fi];
	char *s, *t, *cause = NULL, *iso;
	const struct eras *eras = r->eras;
	size_t i;
	int64_t x;

	s = xstrdup(raw);
	for (i = 0; i < f->ntransforms; i++) {
		t = tf_apply((enum text_transform)f->transforms[i], s);
		free(s);
		s = t;
	}
	t = tf_apply(TT_TRIM, s);
	if (t[0] == '\0') {
		free(t);
		free(s);
		if (f->required) {
			mapper_add_error(m, MF_EMPTY, (int)fi, f->from, raw,
			                 xasprintf(_("%s is required but empty"), f->label));
			return -1;
		}
		return 0;
	}
	free(t);
	switch (f->type) {
	case FT_TEXT:
		if (f->pattern_src != NULL && regexec(&f->pattern, s, 0, NULL, 0) != 0) {
			mapper_add_error(m, MF_FORM, (int)fi, f->from, raw,
			                 xasprintf(_("%s '%s' is not in the expected form (%s)"),
			                           f->label, s, f->pattern_src));
			free(s);
			return -1;
		}
		x = 0;
		for (i = 0; s[i] != '\0'; i++)
			if (((unsigned char)s[i] & 0xc0) != 0x80)
				x++;
		if ((f->has_min && x < f->min) || (f->has_max && x > f->max)) {
			if (x < f->min)
				mapper_add_error(
				    m, MF_FORM, (int)fi, f->from, raw,
				    xasprintf(
				        _("%s has %lld characters; it must have at least %lld"),
				        f->label, (long long)x, (long long)f->min));
			else
				mapper_add_error(
				    m, MF_FORM, (int)fi, f->from, raw,
				    xasprintf(
				        _("%s has %lld characters; it must have at most %lld"),
				        f->label, (long long)x, (long long)f->max));
			free(s);
			return -1;
		}
		if (f->lookup >= 0 && lookup(&r->lookups[f->lookup], &s) == -1) {
			mapper_add_error(m, MF_TABLE, (int)fi, f->from, raw,
			                 xasprintf(_("%s '%s' is not in the table '%s'"), f->label,
			                           s, r->lookups[f->lookup].name));
			free(s);
			return -1;
		}
		v->t = V_TEXT;
		v->s = unify_newlines(s);
		return 0;
	case FT_INT:
	case FT_YEN:
		if ((f->type == FT_YEN ? tf_yen(s, &x, &cause) : tf_int(s, &x, &cause)) == -1) {
			mapper_add_error(m, MF_FORM, (int)fi, f->from, raw,
			                 xasprintf("%s: %s", f->label, cause));
			free(cause);
			free(s);
			return -1;
		}
		break;
	case FT_DATE:
		if (tf_date(eras, s, &x, &cause) == -1) {
			mapper_add_error(m, MF_FORM, (int)fi, f->from, raw,
			                 xasprintf("%s: %s", f->label, cause));
			free(cause);
			free(s);
			return -1;
		}
		/*
		 * Excel counts 1900-02-29, a day that never was: its serial number of every earlier
		 * day is one off, so such a date would print wrong in every form and ledger.
		 */
		if (x < days_from_civil(1900, 3, 1)) {
			iso = tf_iso(x);
			mapper_add_error(m, MF_RANGE, (int)fi, f->from, raw,
			                 xasprintf(_("%s %s is before 1900-03-01, which a workbook "
			                             "cannot hold"),
			                           f->label, iso));
			free(iso);
			free(s);
			return -1;
		}
		break;
	default:
		free(s);
		return -1;
	}
	free(s);
	if (check_limits(f, (int)fi, raw, x, m) == -1)
		return -1;
	v->t = f->type == FT_DATE ? V_DATE : V_INT;
	v->i = x;
	return 0;
}

char *
mapped_text(const struct mapped *m, int field, enum vformat f)
{
	const struct value *v;

	if (field == FIELD_ROW)
		return xasprintf("%lu", m->row);
	if (field == FIELD_INPUT)
		return xstrdup(m->input != NULL ? m->input : "");
	if (field < 0 || (size_t)field >= m->rule->nfields)
		return NULL;
	v = &m->v[field];
	switch (v->t) {
	case V_TEXT:
		return xstrdup(v->s);
	case V_DATE: {
		struct civil c;

		civil_from_days(v->i, &c);
		if (f == VF_WAREKI)
			return tf_wareki(m->rule->eras, v->i, 1);
		if (f == VF_YMD)
			return xasprintf("%04d%02d%02d", c.y, c.m, c.d);
		if (f == VF_SLASH)
			return xasprintf("%04d/%02d/%02d", c.y, c.m, c.d);
		return tf_iso(v->i);
	}
	case V_INT:
		if (f == VF_GROUPED)
			return tf_group(v->i);
		return xasprintf("%lld", (long long)v->i);
	default:
		return NULL;
	}
}

/* The check's message with each {field} replaced by its value as a clerk writes it. */
static char *
fill_message(const struct mapped *m, const char *msg)
{
	size_t cap = strlen(msg) + 64, len = 0, k;
	const char *p = msg, *e;
	char *out = xmalloc(cap), *name, *val;
	int f;

	while (*p != '\0') {
		if (*p == '{' && (e = strchr(p, '}')) != NULL) {
			name = xstrndup(p + 1, (size_t)(e - p - 1));
			f = rule_field(m->rule, name);
			free(name);
			if (f >= 0 && m->rule->fields[f].type == FT_YEN && m->v[f].t == V_INT)
				val = tf_group(m->v[f].i);
			else if (f >= 0 && m->v[f].t == V_DATE)
				val = tf_wareki(m->rule->eras, m->v[f].i, 1);
			else
				val = mapped_text(m, f, VF_AUTO);
			if (val == NULL)
				val = xstrdup("(empty)");
			k = strlen(val);
			while (len + k + 1 > cap)
				out = xreallocarray(out, cap *= 2, 1);
			memcpy(out + len, val, k);
			len += k;
			free(val);
			p = e + 1;
			continue;
		}
		if (len + 2 > cap)
			out = xreallocarray(out, cap *= 2, 1);
		out[len++] = *p++;
	}
	out[len] = '\0';
	return out;
}

void
mapper_map(const struct rule *r, const struct binding *b, const struct record *rec,
           struct decoder *dc, const char *input, struct mapped *m)
{
	const struct rfield *rf;
	struct value res;
	char *raw, *cause;
	int *bad = xcalloc(r->nfields + 1, sizeof *bad), skip, ctl;
	size_t i, j, off;

	m->rule = r;
	m->row = rec->row;
	m->input = input;
	if (m->v == NULL)
		m->v = xcalloc(r->nfields + 1, sizeof *m->v);
	if (rec->n != b->ncols) {
		mapper_add_error(
		    m, MF_ROW, FIELD_NONE, NULL, NULL,
		    xasprintf(_("the row has %zu columns but the header has %zu: a comma or "
		                "quotation mark may be missing or extra"),
		              rec->n, b->ncols));
		free(bad);
		return;
	}
	for (i = 0; i < r->nfields; i++) {
		if (r->fields[i].from == NULL)
			continue;
		rf = &rec->f[b->col[i]];
		if (decoder_run(dc, rf->p, rf->len, &raw, &off) == -1) {
			mapper_add_error(
			    m, MF_ENCODING, (int)i, r->fields[i].from, NULL,
			    xasprintf(
			        _("%s has a byte (0x%02x at byte %zu of the value) that is not "
			          "valid in the file's encoding (%s)"),
			        r->fields[i].label, (unsigned char)rf->p[off], off + 1,
			        encoding_name(dc_encoding(dc))));
			bad[i] = 1;
			continue;
		}
		if ((ctl = control_char(raw)) >= 0) {
			/* Not text a clerk typed, and not something a form should carry. */
			mapper_add_error(
			    m, MF_ENCODING, (int)i, r->fields[i].from, NULL,
			    xasprintf(_("%s holds a control character (U+%04X); only tab and "
			                "line breaks may stand in text"),
			              r->fields[i].label, (unsigned)ctl));
			bad[i] = 1;
			free(raw);
			continue;
		}
		if (map_field(r, i, raw, m) == -1)
			bad[i] = 1;
		free(raw);
	}
	compute(r, m, bad);
	for (i = 0; i < r->nchecks; i++) {
		const struct check_def *c = &r->checks[i];

		for (skip = 0, j = 0; j < r->nfields; j++)
			if (c->uses[j] && bad[j])
				skip = 1;
		if (skip)
			continue;
		if (expr_eval(c->expr, m->v, &res, &cause) == -1) {
			mapper_add_error(m, MF_CHECK, FIELD_NONE, NULL, NULL,
			                 xasprintf("%s (check: %s)", cause, c->src));
			free(cause);
			continue;
		}
		if (res.t == V_BOOL && res.i == 0) {
			int f = FIELD_NONE;

			for (j = 0; j < r->nfields && f == FIELD_NONE; j++)
				if (c->uses[j] && strstr(c->src, r->fields[j].name) == c->src)
					f = (int)j;
			for (j = 0; j < r->nfields && f == FIELD_NONE; j++)
				if (c->uses[j])
					f = (int)j;
			raw = NULL;
			if (f >= 0)
				(void)decoder_run(dc, rec->f[b->col[f]].p, rec->f[b->col[f]].len,
				                  &raw, &off);
			mapper_add_error(m, MF_CHECK, f, f >= 0 ? r->fields[f].from : NULL, raw,
			                 fill_message(m, c->message));
			m->errs[m->nerrs - 1].check = (int)i;
			free(raw);
		}
		value_clear(&res);
	}
	free(bad);
}

void
mapped_clear(struct mapped *m)
{
	size_t i;

	if (m->v != NULL && m->rule != NULL)
		for (i = 0; i < m->rule->nfields; i++)
			value_clear(&m->v[i]);
	for (i = 0; i < m->nerrs; i++) {
		free(m->errs[i].column);
		free(m->errs[i].value);
		free(m->errs[i].message);
	}
	m->nerrs = 0;
}

void
mapped_free(struct mapped *m)
{
	mapped_clear(m);
	free(m->v);
	free(m->errs);
	m->v = NULL;
	m->errs = NULL;
	m->caperrs = 0;
}

void
mapped_copy(struct mapped *dst, const struct mapped *src)
{
	size_t i, n = src->rule->nfields;

	memset(dst, 0, sizeof *dst);
	dst->rule = src->rule;
	dst->row = src->row;
	dst->input = src->input;
	dst->v = xcalloc(n + 1, sizeof *dst->v);
	for (i = 0; i < n; i++) {
		dst->v[i] = src->v[i];
		if (src->v[i].s != NULL)
			dst->v[i].s = xstrdup(src->v[i].s);
	}
	for (i = 0; i < src->nerrs; i++) {
		mapper_add_error(dst, src->errs[i].kind, src->errs[i].field, src->errs[i].column,
		                 src->errs[i].value, xstrdup(src->errs[i].message));
		dst->errs[i].check = src->errs[i].check;
	}
}

char *
mapped_claim_key(const struct mapped *m)
{
	const struct rule *r = m->rule;
	struct buf b = {0};
	const char *p;
	char *v;
	size_t i;

	if (r->claim_kind == NULL)
		return NULL;
	buf_add(&b, r->claim_kind, strlen(r->claim_kind));
	for (i = 0; i < r->nclaim_key; i++) {
		buf_add(&b, "|", 1);
		v = mapped_text(m, r->claim_key[i], VF_ISO);
		for (p = v != NULL ? v : ""; *p != '\0'; p++) {
			if (*p == '|' || *p == '\\')
				buf_add(&b, "\\", 1);
			buf_add(&b, p, 1);
		}
		free(v);
	}
	return b.p;
}
