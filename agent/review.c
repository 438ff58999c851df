/*
 * A scanned claim a person must look at, and its correction. The .review.txt says what is in
 * doubt and where it was read, and gives the lines a correction file starts from; a correction
 * file (NAME.fix.txt, "label: value" lines, or "page N:" mappings of them) names the claim in
 * review and puts its fields right, and the claim is then read again with those values. The gate
 * (admit.c) refuses a correction of a claim already settled; intake takes the claim out of review
 * once its correction made its forms.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "i18n.h"
#include "match.h"
#include "mapper.h"
#include "run.h"
#include "scan.h"
#include "xmalloc.h"
#include "yamldoc.h"

int
pipeline_is_fix(const char *name)
{
	size_t n = strlen(name), k = strlen(PIPELINE_FIX_SUFFIX);

	return n > k && strcmp(name + n - k, PIPELINE_FIX_SUFFIX) == 0;
}

const struct fixset *
review_fixes_for(const struct run *run, unsigned long claim)
{
	const struct fixset *fix = NULL;
	size_t i;

	for (i = 0; i < run->nfixes; i++)
		if (run->fixes[i].claim == 0 || run->fixes[i].claim == claim)
			fix = &run->fixes[i];
	return fix;
}

void
review_doubted(const struct rule *r, const struct mapped *m, unsigned char *doubted)
{
	const struct map_error *e;
	size_t i, j;

	for (i = 0; i < m->nerrs; i++) {
		e = &m->errs[i];
		for (j = 0; j < r->nfields; j++)
			if ((e->check >= 0 && r->checks[e->check].uses[j]) || (int)j == e->field ||
			    (e->field >= 0 && r->fields[e->field].after != NULL &&
			     r->fields[j].after != NULL &&
			     strcmp(r->fields[e->field].after, r->fields[j].after) == 0))
				doubted[j] = 1;
	}
}

/* Where a reading was, for a clerk holding the paper: the page and place, or the line. */
static char *
place_of(const struct found *f, int pages)
{
	if (f->page > 0 && pages > 1)
		return xasprintf(_("page %d, %.0f mm from the left and %.0f mm from the top"),
		                 f->page, f->x, f->y);
	if (f->page > 0)
		return xasprintf(_("%.0f mm from the left and %.0f mm from the top"), f->x, f->y);
	return xasprintf(_("line %d"), f->line);
}

/*
 * The lines of the .review.txt for one claim that is not sure enough to pay: every field in
 * doubt, what was read and where, so a clerk can compare it with the paper.
 */
void
review_lines(const struct rule *r, const struct mapped *m, const struct found *found, int pages,
             struct buf *b)
{
	char *line, *at;
	size_t i;
	int f;

	for (i = 0; i < m->nerrs; i++) {
		f = m->errs[i].field;
		if (f >= 0 && found[f].value == NULL && r->fields[f].after != NULL)
			line = xasprintf(_("%s: not found (looked for the label '%s')\n"),
			                 m->errs[i].message, r->fields[f].after);
		else if (f >= 0 && found[f].value == NULL && r->fields[f].finder_src != NULL)
			line = xasprintf(_("%s: not found (looked for /%s/)\n"), m->errs[i].message,
			                 r->fields[f].finder_src);
		else if (f >= 0 && found[f].value == NULL && r->fields[f].area_page > 0)
			line = xasprintf(_("%s: nothing read in its area (page %d, %g mm from the "
			                   "left and %g mm from the top, %g × %g mm)\n"),
			                 m->errs[i].message, r->fields[f].area_page,
			                 r->fields[f].area_x, r->fields[f].area_y,
			                 r->fields[f].area_w, r->fields[f].area_h);
		else if (f >= 0 && found[f].fixed)
			line = xasprintf(_("%s (as corrected)\n"), m->errs[i].message);
		else if (f >= 0 && found[f].value != NULL) {
			at = place_of(&found[f], pages);
			line = xasprintf(_("%s (read at %s)\n"), m->errs[i].message, at);
			free(at);
		} else
			line = xasprintf("%s\n", m->errs[i].message);
		buf_add(b, line, strlen(line));
		free(line);
	}
}

void
review_correction(struct run *run, unsigned long claim, size_t field, const char *read,
                  const char *fixed)
{
	const struct field_def *f = &run->r->fields[field];
	struct file_result *res = run->res;
	struct correction *c;

	res->corrections =
	    xreallocarray(res->corrections, res->ncorrections + 1, sizeof *res->corrections);
	c = &res->corrections[res->ncorrections++];
	c->field = xstrdup(f->name);
	c->claim = claim;
	c->read = f->audit && read != NULL ? xstrdup(read) : NULL;
	c->fixed = f->audit ? xstrdup(fixed) : NULL;
}

/*
 * The lines a correction file for this claim starts from: each field in doubt as "label: what
 * was read", for the clerk to put right (under "page N:" for a rule of one claim per page).
 */
void
review_fix_lines(struct run *run, const struct mapped *m, const struct found *found,
                 unsigned long claim)
{
	const struct rule *r = run->r;
	char *line;
	size_t i, k;
	int f;

	if (r->per_page) {
		line = xasprintf("page %lu:\n", claim);
		buf_add(&run->fixlines, line, strlen(line));
		free(line);
	}
	for (i = 0; i < m->nerrs; i++) {
		f = m->errs[i].field;
		if (f < 0 || r->fields[f].expr != NULL)
			continue;
		for (k = 0; k < i && m->errs[k].field != f; k++)
			;
		if (k < i)
			continue; /* one line per field */
		line = xasprintf("%s%s: %s\n", r->per_page ? "  " : "", r->fields[f].label,
		                 found[f].value != NULL ? found[f].value : "");
		buf_add(&run->fixlines, line, strlen(line));
		free(line);
	}
}

void
review_advice(struct run *run, struct buf *b)
{
	char *t = xasprintf(_("To put it right, drop into the inbox a file named %s%s holding the "
	                      "fields to correct, one per line as 'label: value'. These lines are "
	                      "a start: make each value what the paper says.\n\n"),
	                    run->base, PIPELINE_FIX_SUFFIX);

	buf_add(b, t, strlen(t));
	free(t);
	buf_add(b, run->fixlines.p, run->fixlines.len);
	t = xstrdup(_("\nThe claim waits here until its correction is read. A corrected text or "
	              "CSV file of the claim does as well; this file then stays here, for the "
	              "record.\n"));
	buf_add(b, t, strlen(t));
	free(t);
}

/* The field a correction file's key names: its label as the reasons give it, or its name. */
static int
fix_field(const struct rule *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nfields; i++)
		if (r->fields[i].expr == NULL &&
		    (strcmp(key, r->fields[i].label) == 0 || strcmp(key, r->fields[i].name) == 0 ||
		     (r->fields[i].after != NULL && strcmp(key, r->fields[i].after) == 0)))
			return (int)i;
	return -1;
}

void
review_fixset_clear(struct fixset *fs, size_t nfields)
{
	size_t i;

	for (i = 0; fs->vals != NULL && i < nfields; i++)
		free(fs->vals[i]);
	free(fs->vals);
	free(fs->lines);
	fs->vals = NULL;
	fs->lines = NULL;
}

/*
 * One claim's corrections, a mapping of field to value, into fs. -1 with *cause when it is wrong:
 * not a mapping, a key that is no field, a value that is not one line, or a field set twice (by
 * its label and its name, say), which would leave the clerk's meaning to the order of the lines.
 */
static int
load_fixset(const struct rule *r, const struct ynode *m, struct fixset *fs, char **cause)
{
	const struct ynode *k, *v;
	size_t i;
	int f;

	if (m->kind != Y_MAP || m->n == 0) {
		*cause = xasprintf(_("line %d: expected lines of 'label: value'"), m->line);
		return -1;
	}
	fs->vals = xcalloc(r->nfields + 1, sizeof *fs->vals);
	fs->lines = xcalloc(r->nfields + 1, sizeof *fs->lines);
	for (i = 0; i < m->n; i++) {
		k = YMAP_KEY(m, i);
		v = YMAP_VAL(m, i);
		if ((f = fix_field(r, k->value)) == -1)
			*cause = xasprintf(_("line %d: '%s' is not a field of rule %s"), k->line,
			                   k->value, r->name);
		else if (v->kind != Y_SCALAR)
			*cause = xasprintf(_("line %d: the value of '%s' is one line of text"),
			                   v->line, k->value);
		else if (fs->vals[f] != NULL)
			*cause = xasprintf(_("line %d: %s is set twice (first on line %d)"),
			                   k->line, r->fields[f].label, fs->lines[f]);
		if (f == -1 || v->kind != Y_SCALAR || fs->vals[f] != NULL) {
			review_fixset_clear(fs, r->nfields);
			return -1;
		}
		fs->vals[f] = xstrdup(v->value);
		fs->lines[f] = k->line;
	}
	return 0;
}

/*
 * A correction file's values into run->fixes: "label: value" lines (YAML), or for a rule of one
 * claim per page, "page N:" mappings of them. -1 with *cause.
 */
static int
load_fixes(struct run *run, const char *text, size_t len, char **cause)
{
	const struct rule *r = run->r;
	struct diags d = {0};
	struct ynode *root = ydoc_load_mem(run->base, text, len, &d);
	const struct ynode *m = root;
	unsigned long page = 0;
	size_t i, k, n = 1;
	char *end;
	const char *key;

	if (root == NULL || d.n > 0) {
		*cause = d.n > 0 ? xasprintf(_("line %d: %s"), d.v[0].line, d.v[0].msg)
		                 : xstrdup(_("the file is empty"));
		diags_free(&d);
		ydoc_free(root);
		return -1;
	}
	if (r->per_page) {
		if (root->kind != Y_MAP || root->n == 0) {
			*cause = xstrdup(_("expected 'page N:' lines, each with lines of "
			                   "'label: value' under it"));
			ydoc_free(root);
			return -1;
		}
		n = root->n;
	}
	run->fixes = xcalloc(n, sizeof *run->fixes);
	for (i = 0; i < n; i++) {
		if (r->per_page) {
			key = YMAP_KEY(root, i)->value;
			if (strncmp(key, "page", 4) == 0)
				key += 4;
			key += strspn(key, " ");
			page = strtoul(key, &end, 10);
			if (*key < '0' || *key > '9' || *end != '\0' || page == 0) {
				*cause =
				    xasprintf(_("line %d: expected 'page N:', not '%s'"),
				              YMAP_KEY(root, i)->line, YMAP_KEY(root, i)->value);
				ydoc_free(root);
				return -1;
			}
			/* Named twice (page 2 and 2), its form would be made twice. */
			for (k = 0; k < run->nfixes; k++)
				if (run->fixes[k].claim == page) {
					*cause = xasprintf(_("line %d: page %lu is named twice"),
					                   YMAP_KEY(root, i)->line, page);
					ydoc_free(root);
					return -1;
				}
			m = YMAP_VAL(root, i);
		}
		if (load_fixset(r, m, &run->fixes[run->nfixes], cause) == -1) {
			ydoc_free(root);
			return -1;
		}
		run->fixes[run->nfixes++].claim = r->per_page ? page : 0;
	}
	ydoc_free(root);
	return 0;
}

/*
 * A correction file (NAME.fix.txt): the scanned claim NAME waiting in review, read again with
 * the clerk's values for the fields in doubt. The claim stays where it is; the caller moves it
 * out of review once its forms are made (res->corrects).
 */
enum outcome
review_fix_file(struct run *run, int fd)
{
	const char *dir = run->out.review.dir;
	const struct rule *r;
	struct stat st;
	char *name, *path, *text = NULL, *cause = NULL;
	const char *t;
	int rc, ofd;

	name = xstrndup(run->base, strlen(run->base) - strlen(PIPELINE_FIX_SUFFIX));
	run->res->corrects = name;
	/* The outputs go by the claim's name ({_input}), as they would have without doubts. */
	free(run->stem);
	run->stem = run_stem(name);
	if ((rc = run_read_text(run, fd, &text)) != 0)
		return rc;
	path = xasprintf("%s/%s", dir, name);
	ofd = dir != NULL ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK) : -1;
	free(path);
	if (ofd == -1 || fstat(ofd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (ofd != -1)
			close(ofd);
		free(text);
		return run_fail(run, xasprintf(_("no claim named %s waits in review: a correction "
		                                 "file is named after the claim it corrects, "
		                                 "followed by %s"),
		                               name, PIPELINE_FIX_SUFFIX));
	}
	if ((r = match_scanned(run->c, run->o->rule, name)) == NULL) {
		close(ofd);
		free(text);
		return run_fail(run, xasprintf(_("no rule for scanned claims takes %s"), name));
	}
	run_set_rule(run, r);
	t = strncmp(text, "\xef\xbb\xbf", 3) == 0 ? text + 3 : text;
	rc = load_fixes(run, t, strlen(t), &cause);
	free(text);
	if (rc == -1) {
		close(ofd);
		return run_fail(run, cause);
	}
	if (hash_fd(ofd, run->res->corrects_sha256, NULL) == -1 || lseek(ofd, 0, SEEK_SET) == -1) {
		rc = run_io_fail(run, xasprintf("cannot read %s: %s", name, strerror(errno)));
		close(ofd);
		return rc;
	}
	/* The claim is then read as when it was first dropped, with the fixes in run. */
	rc = scan_file(run, ofd);
	close(ofd);
	return rc;
}
