/*
 * A rule's code tables (lookups): a value as the export writes it, and the code the
 * case-management system wants, inline in the rule or from a CSV file beside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"
#include "ruleload.h"
#include "rules.h"
#include "xmalloc.h"
#include "yamldoc.h"

const char *const rule_lookup_keys[] = {"file", NULL};

/* Reads a lookup file: CSV, a header row, then value and code per row. */
static void
load_lookup_file(struct lookup *lk, const char *rule_path, const struct ynode *at, struct diags *d)
{
	char *dir = xstrdup(rule_path), *slash = strrchr(dir, '/'), *path, *cause = NULL, *k, *v;
	const struct record *rec;
	struct decoder *dc = NULL;
	struct reader *rd;
	enum encoding enc;
	unsigned long *rows = NULL; /* of each value, for a repeat's message */
	size_t bad, i;
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
		/* The first would win without a word, and the second's code never be used. */
		for (i = 0; i < lk->n && strcmp(lk->keys[i], k) != 0; i++)
			;
		if (i < lk->n) {
			ydiag(
			    d, at,
			    "%s: row %lu repeats the value '%s' of row %lu (code %s): a value has "
			    "one code",
			    path, rec->row, k, rows[i], lk->vals[i]);
			free(k);
			free(v);
			continue;
		}
		lk->keys = xreallocarray(lk->keys, lk->n + 1, sizeof *lk->keys);
		lk->vals = xreallocarray(lk->vals, lk->n + 1, sizeof *lk->vals);
		rows = xreallocarray(rows, lk->n + 1, sizeof *rows);
		rows[lk->n] = rec->row;
		lk->keys[lk->n] = k;
		lk->vals[lk->n++] = v;
	}
	if (rc == -1)
		ydiag(d, at, "%s: %s", path, cause);
out:
	free(rows);
	free(cause);
	decoder_free(dc);
	reader_free(rd);
	close(fd);
	free(path);
}

void
rule_load_lookups(struct rule *r, const struct ynode *m, struct diags *d)
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
