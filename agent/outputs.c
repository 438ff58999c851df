/*
 * The table of output kinds, and what every output shares: its name, its commit into a place,
 * and the one fsync of each place's folder at the end of a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapper.h"
#include "outputs.h"
#include "utf8.h"
#include "xmalloc.h"

/* A kind that may refuse a claim comes before those that write as they go. */
const struct output_kind *const output_kinds[] = {&import_kind, &form_kind, &ledger_kind,
                                                  &print_kind, NULL};

const char *const *
output_section_keys(void)
{
	static const char *keys[16];
	size_t i;

	if (keys[0] == NULL) {
		keys[0] = "created";
		for (i = 0; output_kinds[i] != NULL && i + 2 < sizeof keys / sizeof keys[0]; i++)
			keys[i + 1] = output_kinds[i]->key;
	}
	return keys;
}

void
outputs_init(struct outputs *o, const char *out_dir, const char *reject_dir, const char *review_dir,
             const char *tmpdir, const char *input)
{
	memset(o, 0, sizeof *o);
	o->out.dir = out_dir;
	o->rejected.dir = reject_dir;
	o->review.dir = review_dir != NULL ? review_dir : reject_dir;
	o->tmpdir = tmpdir;
	o->input = input;
}

int
outputs_row(struct outputs *o, const struct mapped *m, char **cause)
{
	const struct rule *r = o->r;
	const struct rule_output *ro;
	size_t i;
	int rc;

	if (o->state == NULL)
		o->state = xcalloc(r->noutputs + 1, sizeof *o->state);
	for (i = 0; i < r->noutputs; i++) {
		ro = &r->outputs[i];
		if (o->state[i] == NULL)
			o->state[i] = ro->kind->open(o, ro);
		if ((rc = ro->kind->row(o->state[i], o, m, cause)) != 0)
			return rc;
	}
	return 0;
}

int
outputs_close(struct outputs *o, char **cause)
{
	size_t i, n = o->r != NULL && o->state != NULL ? o->r->noutputs : 0;
	void *st;

	for (i = 0; i < n; i++)
		if ((st = o->state[i]) != NULL && o->r->outputs[i].kind->flush != NULL &&
		    o->r->outputs[i].kind->flush(st, o, cause) == -1)
			return -1;
	for (i = n; i > 0; i--) {
		if ((st = o->state[i - 1]) == NULL)
			continue;
		o->state[i - 1] = NULL;
		if (o->r->outputs[i - 1].kind->close(st, o, cause) == -1)
			return -1;
	}
	return 0;
}

int
outputs_sync(struct outputs *o, char **cause)
{
	struct place *p[] = {&o->out, &o->rejected, &o->review};
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!p[i]->renamed)
			continue;
		if (spool_sync_dir(p[i]->dir, cause) == -1)
			return -1;
		p[i]->renamed = 0;
	}
	return 0;
}

void
outputs_clear(struct outputs *o)
{
	size_t i;

	for (i = 0; o->r != NULL && o->state != NULL && i < o->r->noutputs; i++)
		if (o->state[i] != NULL)
			o->r->outputs[i].kind->abort(o->state[i]);
	free(o->state);
	print_job_free(o->print);
	for (i = 0; i < o->n; i++)
		free(o->list[i].name);
	free(o->list);
	memset(o, 0, sizeof *o);
}

int
outputs_begin(struct place *p, const char *name, struct outfile *f, char **cause)
{
	return out_begin(p->dir, name, f, cause);
}

int
outputs_commit(struct outputs *o, struct place *p, struct outfile *f, char **cause)
{
	char sha[HASH_HEX];
	off_t size = 0;
	int fd;

	/* The hash of what is published, for the audit record: read back before the rename. */
	if ((fd = open(f->tmppath, O_RDONLY | O_CLOEXEC)) == -1 || hash_fd(fd, sha, &size) == -1) {
		*cause = xasprintf("cannot read back %s: %s", f->tmppath, strerror(errno));
		if (fd != -1)
			close(fd);
		out_abort(f);
		return -1;
	}
	close(fd);
	/* One fsync of each folder at the end (outputs_sync()), not one per form. */
	f->defer_dirsync = 1;
	p->renamed = 1;
	if (out_commit(f, cause) == -1)
		return -1;
	o->list = xreallocarray(o->list, o->n + 1, sizeof *o->list);
	o->list[o->n].name = f->final;
	snprintf(o->list[o->n].sha256, sizeof o->list[o->n].sha256, "%s", sha);
	o->list[o->n++].size = (long long)size;
	f->final = NULL;
	return 0;
}

int
outputs_note(struct outputs *o, struct place *p, const char *suffix, const char *head,
             const struct buf *body, char **cause)
{
	struct outfile f;
	char *name, *safe;
	int rc;

	safe = spool_safe_name(o->input, 180);
	name = xasprintf("%s%s", safe, suffix);
	free(safe);
	rc = outputs_begin(p, name, &f, cause);
	free(name);
	if (rc == -1)
		return -1;
	if (out_write(&f, head, strlen(head), cause) == -1 ||
	    (body != NULL && body->len > 0 && out_write(&f, body->p, body->len, cause) == -1)) {
		out_abort(&f);
		return -1;
	}
	return outputs_commit(o, p, &f, cause);
}

char *
outputs_name(const struct name_pattern *np, const struct mapped *m)
{
	struct buf b = {0};
	char *v, *safe, *cut;
	size_t i;

	for (i = 0; i < np->n; i++) {
		if (np->parts[i].lit != NULL) {
			buf_add(&b, np->parts[i].lit, strlen(np->parts[i].lit));
			continue;
		}
		v = mapped_text(m, np->parts[i].field, VF_AUTO);
		safe = spool_safe_name(v != NULL ? v : "", 80);
		buf_add(&b, safe, strlen(safe));
		free(safe);
		free(v);
	}
	if (b.len <= 200)
		return b.p;
	/* Keep the extension: a cut name must still open in Excel. */
	cut = utf8_cut_name(b.p, 185);
	free(b.p);
	return cut;
}
