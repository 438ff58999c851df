/*
 * The rule test runner. A case's CSV text is written to a temporary folder in the encoding the
 * case names, processed by pipeline_file() with its rule (the same code the agent runs), and the
 * rows come back in the rowset the pipeline reports them to. Values compare as the text `convert`
 * prints: numbers plain, dates YYYY-MM-DD.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "export.h"
#include "mapper.h"
#include "outputs.h"
#include "render.h"
#include "pipeline.h"
#include "reader.h"
#include "ruletest.h"
#include "xmalloc.h"
#include "record.h"
#include "yamldoc.h"

const char *const ruletest_keys[] = {"tests", NULL};
const char *const ruletest_case_keys[] = {"name", "file",  "encoding", "csv",
                                          "rows", "cells", "import",   NULL};
const char *const ruletest_row_keys[] = {"row", "fields", "rejected", NULL};
const char *const ruletest_cell_keys[] = {"row", "cell", "value", NULL};

/* What the pipeline said about one row. */
struct seen_row {
	unsigned long row;
	char **names, **values; /* the rule's fields as text ("" when empty) */
	size_t n;
	char *reasons; /* every reason, joined; NULL when produced */
	const struct mapped *m;
	char **cells; /* per form template cell: the text written there */
};

struct run {
	const struct rule *r;
	struct seen_row *rows;
	size_t nrows;
	const struct template_out *form; /* the rule's form output, or NULL */
};

static char *
cell_text(const struct template_out *form, const struct mapped *m, size_t i)
{
	const struct tcell *c = &form->t->cells[i];
	int f = form->bind[i];

	if (c->text != NULL)
		return xstrdup(c->text);
	if (f == FIELD_NONE)
		return xstrdup("");
	if (f >= 0 && m->v[f].t == V_DATE)
		return mapped_text(m, f, c->as == AS_WAREKI ? VF_WAREKI : VF_ISO);
	return mapped_text(m, f, VF_AUTO);
}

/* One row the pipeline reported, as the test compares it. */
static void
seen_add(struct run *run, const struct mapped *m)
{
	const struct rule *r = m->rule;
	struct seen_row *sr;
	struct buf b = {0};
	size_t i;
	char *v;

	run->rows = xreallocarray(run->rows, run->nrows + 1, sizeof *run->rows);
	sr = &run->rows[run->nrows++];
	memset(sr, 0, sizeof *sr);
	sr->row = m->row;
	sr->n = r->nfields;
	sr->names = xcalloc(r->nfields + 1, sizeof *sr->names);
	sr->values = xcalloc(r->nfields + 1, sizeof *sr->values);
	for (i = 0; i < r->nfields; i++) {
		sr->names[i] = xstrdup(r->fields[i].name);
		v = mapped_text(m, (int)i, VF_AUTO);
		sr->values[i] = v != NULL ? v : xstrdup("");
	}
	for (i = 0; i < m->nerrs; i++) {
		if (i > 0)
			buf_add(&b, "; ", 2);
		buf_add(&b, m->errs[i].message, strlen(m->errs[i].message));
	}
	sr->reasons = b.p;
	if (run->form != NULL && m->nerrs == 0) {
		sr->cells = xcalloc(run->form->t->ncells + 1, sizeof *sr->cells);
		for (i = 0; i < run->form->t->ncells; i++)
			sr->cells[i] = cell_text(run->form, m, i);
	}
}

static void
run_clear(struct run *run)
{
	size_t i, j;

	for (i = 0; i < run->nrows; i++) {
		for (j = 0; j < run->rows[i].n; j++) {
			free(run->rows[i].names[j]);
			free(run->rows[i].values[j]);
		}
		if (run->rows[i].cells != NULL && run->form != NULL)
			for (j = 0; j < run->form->t->ncells; j++)
				free(run->rows[i].cells[j]);
		free(run->rows[i].cells);
		free(run->rows[i].names);
		free(run->rows[i].values);
		free(run->rows[i].reasons);
	}
	free(run->rows);
	run->rows = NULL;
	run->nrows = 0;
}

static const struct seen_row *
find_row(const struct run *run, int64_t row)
{
	size_t i;

	for (i = 0; i < run->nrows; i++)
		if ((int64_t)run->rows[i].row == row)
			return &run->rows[i];
	return NULL;
}

/* Prints a failed expectation at its node; counts it. */
static void fail_at(FILE *out, const struct ynode *n, int *failed, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
fail_at(FILE *out, const struct ynode *n, int *failed, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%s:%d:%d: ", n->file, n->line, n->col);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	(*failed)++;
}

static void
check_rows(const struct run *run, const struct ynode *rows, FILE *out, int *failed)
{
	const struct ynode *e, *v, *fields;
	const struct seen_row *sr;
	int64_t row;
	size_t i, j, k;
	struct diags d = {0};

	for (i = 0; i < rows->n; i++) {
		e = rows->items[i];
		if (ymap_check_keys(e, ruletest_row_keys, "a row expectation", &d) == -1 ||
		    (v = ymap_get(e, "row")) == NULL ||
		    yget_int(v, "row", 1, INT64_C(10000000), &row, &d) == -1) {
			if (d.n > 0) {
				diags_print(out, &d);
				(*failed)++;
			} else
				fail_at(out, e, failed,
				        "a row expectation needs 'row' (its number: the "
				        "header is row 1) and 'fields' or 'rejected'");
			diags_free(&d);
			continue;
		}
		if ((sr = find_row(run, row)) == NULL) {
			fail_at(out, v, failed, "row %lld: no such row in the input",
			        (long long)row);
			continue;
		}
		if ((v = ymap_get(e, "rejected")) != NULL && v->kind == Y_SCALAR) {
			if (sr->reasons == NULL)
				fail_at(out, v, failed,
				        "row %lld: expected it rejected (\"%s\"), but it "
				        "produced its form",
				        (long long)row, v->value);
			else if (strstr(sr->reasons, v->value) == NULL)
				fail_at(out, v, failed,
				        "row %lld: expected a reason with \"%s\", got: %s",
				        (long long)row, v->value, sr->reasons);
		} else if (sr->reasons != NULL)
			fail_at(out, e, failed, "row %lld: rejected: %s", (long long)row,
			        sr->reasons);
		if ((fields = ymap_get(e, "fields")) == NULL || fields->kind != Y_MAP)
			continue;
		for (j = 0; j < fields->n; j++) {
			const char *name = YMAP_KEY(fields, j)->value;
			const struct ynode *want = YMAP_VAL(fields, j);

			for (k = 0; k < sr->n; k++)
				if (strcmp(sr->names[k], name) == 0)
					break;
			if (k == sr->n)
				fail_at(out, YMAP_KEY(fields, j), failed,
				        "row %lld: the rule has no field '%s'", (long long)row,
				        name);
			else if (want->kind != Y_SCALAR || strcmp(want->value, sr->values[k]) != 0)
				fail_at(out, want, failed, "row %lld, %s: expected '%s', got '%s'",
				        (long long)row, name,
				        want->kind == Y_SCALAR ? want->value : "?", sr->values[k]);
		}
	}
}

static void
check_cells(const struct run *run, const struct ynode *cells, FILE *out, int *failed)
{
	const struct template *t = run->form != NULL ? run->form->t : NULL;
	const struct ynode *e, *v, *c, *val;
	const struct seen_row *sr;
	int r1, c1, r2, c2;
	int64_t row;
	size_t i, j;
	struct diags d = {0};

	for (i = 0; i < cells->n; i++) {
		e = cells->items[i];
		if (ymap_check_keys(e, ruletest_cell_keys, "a cell expectation", &d) == -1 ||
		    (v = ymap_get(e, "row")) == NULL || (c = ymap_get(e, "cell")) == NULL ||
		    (val = ymap_get(e, "value")) == NULL || c->kind != Y_SCALAR ||
		    val->kind != Y_SCALAR ||
		    yget_int(v, "row", 1, INT64_C(10000000), &row, &d) == -1 ||
		    cell_ref_parse(c->value, &r1, &c1, &r2, &c2) == -1) {
			fail_at(out, e, failed,
			        "a cell expectation is {row: N, cell: C12, value: V}");
			diags_free(&d);
			continue;
		}
		if (t == NULL) {
			fail_at(out, e, failed, "the rule has no form");
			continue;
		}
		if ((sr = find_row(run, row)) == NULL || sr->cells == NULL) {
			fail_at(out, v, failed, "row %lld produced no form", (long long)row);
			continue;
		}
		for (j = 0; j < t->ncells; j++)
			if (t->cells[j].r1 == r1 && t->cells[j].c1 == c1)
				break;
		if (j == t->ncells)
			fail_at(out, c, failed, "the form has nothing at %s", c->value);
		else if (strcmp(sr->cells[j], val->value) != 0)
			fail_at(out, val, failed, "row %lld, cell %s: expected '%s', got '%s'",
			        (long long)row, c->value, val->value, sr->cells[j]);
	}
}

static void
check_import(const struct rule *r, const char *dir, const char *input, const struct ynode *lines,
             FILE *out, int *failed)
{
	const struct rule_output *ro = rule_output(r, &import_kind);
	char *stem, *dot, *path, *raw, *text, *nl;
	struct decoder *dc = NULL;
	struct stat st;
	size_t i, bad;
	FILE *fp;

	if (ro == NULL) {
		fail_at(out, lines, failed, "rule %s has no import output", r->name);
		return;
	}
	stem = xstrdup(input);
	dot = strrchr(stem, '.');

	if (dot != NULL)
		*dot = '\0';
	/* The import file's name: the rule's pattern with {_input}. */
	{
		struct buf b = {0};

		for (i = 0; i < ro->name.n; i++) {
			const char *part = ro->name.parts[i].lit != NULL ? ro->name.parts[i].lit
			                   : ro->name.parts[i].field == FIELD_INPUT ? stem
			                                                            : "";
			buf_add(&b, part, strlen(part));
		}
		path = xasprintf("%s/%s", dir, b.p != NULL ? b.p : "");
		free(b.p);
	}
	free(stem);
	raw = NULL;
	if (stat(path, &st) == 0 && (fp = fopen(path, "rb")) != NULL) {
		raw = xmalloc((size_t)st.st_size + 1);
		raw[fread(raw, 1, (size_t)st.st_size, fp)] = '\0';
		fclose(fp);
	}
	if (raw == NULL) {
		fail_at(out, lines, failed, "no import file was written");
		free(path);
		return;
	}
	dc = decoder_new(((const struct import_out *)ro->conf)->encoding);
	if (decoder_run(dc, raw, strlen(raw), &text, &bad) == -1)
		text = xstrdup("");
	for (i = 0; i < lines->n; i++) {
		const struct ynode *l = lines->items[i];
		char *want;

		if (l->kind != Y_SCALAR)
			continue;
		want = xasprintf("%s\r\n", l->value);
		if (strstr(text, want) == NULL) {
			nl = strchr(text, '\n');
			fail_at(out, l, failed,
			        "the import file has no line %s (its lines are: %s)", l->value,
			        nl != NULL ? text : "(none)");
		}
		free(want);
	}
	free(text);
	free(raw);
	free(path);
	decoder_free(dc);
}

/* Writes the case's CSV text (UTF-8 in the YAML) to path in the encoding named, CRLF ends. */
static int
write_input(const char *path, const char *csv, enum encoding enc, char **cause)
{
	struct buf b = {0};
	char *bytes;
	size_t i, len, bad;
	FILE *fp;
	int rc = 0;

	for (i = 0; csv[i] != '\0'; i++) {
		if (csv[i] == '\n' && (i == 0 || csv[i - 1] != '\r'))
			buf_add(&b, "\r", 1);
		buf_add(&b, &csv[i], 1);
	}
	if (encode_utf8(enc == ENC_AUTO ? ENC_UTF8 : enc, b.p != NULL ? b.p : "", &bytes, &len,
	                &bad) == -1) {
		*cause = xasprintf("the CSV text has a character %s cannot hold, at byte %zu",
		                   encoding_name(enc), bad);
		free(b.p);
		return -1;
	}
	if ((fp = fopen(path, "wb")) == NULL || fwrite(bytes, 1, len, fp) != len ||
	    fclose(fp) != 0) {
		*cause = xasprintf("cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	free(bytes);
	free(b.p);
	return rc;
}

static void
remove_dir(const char *dir)
{
	char *cmd;

	/* Only what mkdtemp made below; the name is ours, no quoting problem. */
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "formagent: test: cannot remove %s\n", dir);
	free(cmd);
}

/* Runs one case; returns 1 if every expectation held. */
static int
run_case(const struct config *c, const struct rule *r, const struct ynode *tc, FILE *out)
{
	const struct ynode *v, *csv;
	struct pipeline_opts o;
	struct file_result res;
	const struct rule_output *form = rule_output(r, &form_kind);
	struct run run = {r, NULL, 0, form != NULL ? form->conf : NULL};
	struct diags d = {0};
	struct admit_opts ao = {0};
	struct admitted ad;
	struct rowset *rows = NULL;
	char tmpl[] = "/tmp/formagent-ruletest.XXXXXX", *dir, *input, *path, *cause = NULL;
	char *stem = NULL;
	const char *file = NULL, *s, *dot;
	enum encoding enc = ENC_UTF8;
	int failed = 0, x;
	size_t k;

	if (ymap_check_keys(tc, ruletest_case_keys, "a test case", &d) == -1) {
		diags_print(out, &d);
		diags_free(&d);
		return 0;
	}
	if ((v = ymap_get(tc, "file")) != NULL && yget_str(v, "file", &file, &d) == -1)
		file = NULL;
	if ((v = ymap_get(tc, "encoding")) != NULL && yget_str(v, "encoding", &s, &d) == 0) {
		if ((x = encoding_find(s)) < 0 || x == ENC_AUTO)
			fail_at(out, v, &failed,
			        "'%s' is not an encoding (utf-8, cp932, shift_jis, "
			        "euc-jp)",
			        s);
		else
			enc = (enum encoding)x;
	}
	if ((csv = ymap_get(tc, "csv")) == NULL || csv->kind != Y_SCALAR) {
		fail_at(out, tc, &failed, "a test case needs 'csv': the input's text");
		diags_free(&d);
		return 0;
	}
	diags_free(&d);
	if (failed)
		return 0;
	if ((dir = mkdtemp(tmpl)) == NULL) {
		fail_at(out, tc, &failed, "cannot make a temporary folder: %s", strerror(errno));
		return 0;
	}
	input = file != NULL ? xstrdup(file) : xasprintf("%s-test.csv", r->name);
	path = xasprintf("%s/%s", dir, input);
	if (write_input(path, csv->value, enc, &cause) == -1) {
		fail_at(out, csv, &failed, "%s", cause);
		free(cause);
		goto out;
	}
	memset(&o, 0, sizeof o);
	o.out_dir = o.reject_dir = dir;
	o.rule = r->name;
	o.rows = rows = rowset_new(1, NULL);
	o.tmpdir = c->tmpdir;
	if (admit(path, input, &ao, &ad, &cause) == -1) {
		fail_at(out, tc, &failed, "%s", cause);
		free(cause);
		goto out;
	}
	pipeline_file(c, &ad, &o, &res);
	admitted_clear(&ad);
	/* A scanned claim sent to review is checked like a rejected row, by its reasons. */
	if (res.outcome != OUTCOME_PRODUCED && res.outcome != OUTCOME_PARTLY_REJECTED &&
	    res.outcome != OUTCOME_REVIEW) {
		fail_at(out, tc, &failed, "the file was not processed: %s", res.reason);
		file_result_free(&res);
		goto out;
	}
	file_result_free(&res);
	/* {_input}: the name without its extension, as the pipeline gives it. */
	dot = strrchr(input, '.');
	stem =
	    dot != NULL && dot != input ? xstrndup(input, (size_t)(dot - input)) : xstrdup(input);
	for (k = 0; k < rowset_count(rows); k++) {
		struct mapped m = *rowset_mapped(rows, k);

		m.input = stem;
		seen_add(&run, &m);
	}
	if ((v = ymap_get(tc, "rows")) != NULL && v->kind == Y_SEQ)
		check_rows(&run, v, out, &failed);
	if ((v = ymap_get(tc, "cells")) != NULL && v->kind == Y_SEQ)
		check_cells(&run, v, out, &failed);
	if ((v = ymap_get(tc, "import")) != NULL && v->kind == Y_SEQ)
		check_import(r, dir, input, v, out, &failed);
out:
	run_clear(&run);
	rowset_free(rows);
	remove_dir(dir);
	free(stem);
	free(path);
	free(input);
	return failed == 0;
}

int
ruletest_run(const struct config *c, char *const *names, size_t n, FILE *out)
{
	struct diags d = {0};
	const struct ynode *tests, *name;
	struct ynode *doc;
	size_t i, j, passed = 0, failed = 0;
	const struct rule *r;
	struct stat st;
	char *path;

	for (i = 0; i < n; i++)
		if (config_rule(c, names[i]) == NULL) {
			fprintf(out, "no rule named '%s'\n", names[i]);
			return -1;
		}
	for (i = 0; i < c->nrules; i++) {
		r = c->rules[i];
		for (j = 0; j < n; j++)
			if (strcmp(names[j], r->name) == 0)
				break;
		if (n > 0 && j == n)
			continue;
		path = xasprintf("%s/%s.test.yaml", c->rules_dir, r->name);
		if (stat(path, &st) == -1) {
			fprintf(out, "%s: rule %s has no tests\n", path, r->name);
			failed++;
			free(path);
			continue;
		}
		if ((doc = ydoc_load(path, &d)) == NULL ||
		    ymap_check_keys(doc, ruletest_keys, "a test file", &d) == -1 ||
		    (tests = ymap_get(doc, "tests")) == NULL || tests->kind != Y_SEQ) {
			if (d.n == 0)
				diags_add(&d, path, 1, 1,
				          "a test file holds 'tests': a list of cases");
			diags_print(out, &d);
			diags_free(&d);
			ydoc_free(doc);
			free(path);
			failed++;
			continue;
		}
		for (j = 0; j < tests->n; j++) {
			name = ymap_get(tests->items[j], "name");
			if (run_case(c, r, tests->items[j], out)) {
				passed++;
			} else {
				fprintf(out, "  in %s, test %s\n", r->name,
				        name != NULL && name->kind == Y_SCALAR ? name->value : "?");
				failed++;
			}
		}
		ydoc_free(doc);
		free(path);
	}
	fprintf(out, "%zu passed, %zu failed\n", passed, failed);
	return (int)failed;
}
