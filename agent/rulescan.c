/*
 * The parts of a rule that read scanned claims: where each field is found on the page (after a
 * printed label, by a regular expression, or in an area of a page), and the misreadings of the
 * form's print put right before any field is looked for.
 */
#include <stdlib.h>
#include <string.h>

#include "ruleload.h"
#include "rules.h"
#include "xmalloc.h"
#include "yamldoc.h"

const char *const rule_area_keys[] = {"page", "label", "x", "y", "width", "height", NULL};

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
void
rule_load_finder(struct rule *r, struct field_def *f, const struct ynode *m, struct diags *d)
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

/*
 * input.replace: {MISREAD: RIGHT, ...}, what OCR is known to read wrongly in this form's print
 * (令和 read as 金和), put right in the page's text before any field is looked for.
 */
void
rule_load_replace(struct rule *r, const struct ynode *m, struct diags *d)
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
