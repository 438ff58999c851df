/*
 * A rule's outputs: its outputs section loaded through the table of output kinds (outputs.h),
 * the templates they name resolved, and the files that make the rule's version.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "hash.h"
#include "outputs.h"
#include "ruleload.h"
#include "rules.h"
#include "xmalloc.h"
#include "yamldoc.h"

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
void
rule_load_outputs(struct rule *r, const struct ynode *m, struct diags *d)
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
		buf_add(&kinds,
		        i == 0                        ? ""
		        : output_kinds[i + 1] == NULL ? " or "
		                                      : ", ",
		        i == 0                        ? 0
		        : output_kinds[i + 1] == NULL ? 4
		                                      : 2);
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

int
rule_resolve(struct rule *r, struct template *const *templates, size_t n, const char *templates_dir,
             struct diags *d)
{
	size_t before = d->n, i;

	for (i = 0; i < r->noutputs; i++)
		if (r->outputs[i].kind->resolve != NULL)
			r->outputs[i].kind->resolve(r, &r->outputs[i], templates, n, templates_dir,
			                            d);
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
	int rc = 0, k;

	if (hash_file_into(h, r->path, d) == -1)
		rc = -1;
	for (i = 0; i < r->noutputs; i++)
		for (k = 0; r->outputs[i].kind->version_file != NULL &&
		            (file = r->outputs[i].kind->version_file(&r->outputs[i], k)) != NULL;
		     k++)
			if (hash_file_into(h, file, d) == -1)
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
rule_outputs_free(struct rule *r)
{
	size_t i;

	for (i = 0; i < r->noutputs; i++) {
		name_free(&r->outputs[i].name);
		r->outputs[i].kind->free(r->outputs[i].conf);
	}
	free(r->outputs);
}
