/*
 * Loads formagent.yaml, then every rule and template in the folders it names, then resolves the
 * references between them. Every problem in every file is collected before the load fails, so
 * `check` shows an administrator the whole list at once.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "xmalloc.h"
#include "yamldoc.h"

const char *const config_keys[] = {"rules",  "templates", "audit",         "spools",
                                   "tmpdir", "state_dir", "stop_grace_ms", NULL};
const char *const config_spool_keys[] = {"name",      "inbox",  "work",  "out",       "done",
                                         "rejected",  "rules",  "watch", "settle_ms", "rescan_s",
                                         "max_bytes", "ignore", NULL};
const char *const config_audit_keys[] = {"dir", "key_file", NULL};

static char *
resolve(const struct config *c, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	return xasprintf("%s/%s", c->dir, p);
}

static char *
get_path(const struct config *c, const struct ynode *m, const char *key, int required,
         struct diags *d)
{
	const struct ynode *v;
	const char *s;

	if ((v = ymap_get(m, key)) == NULL) {
		if (required)
			ydiag(d, m, "'%s' is required here", key);
		return NULL;
	}
	if (yget_str(v, key, &s, d) == -1)
		return NULL;
	if (s[0] == '\0') {
		ydiag(d, v, "'%s' is empty", key);
		return NULL;
	}
	return resolve(c, s);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml files of dir, sorted, without rule tests (*.test.yaml). */
static char **
list_yaml(const char *dir, size_t *n, struct diags *d)
{
	struct dirent *de;
	char **v = NULL;
	size_t cap = 0, len;
	DIR *dp;

	*n = 0;
	if ((dp = opendir(dir)) == NULL) {
		diags_add(d, dir, 0, 0, "cannot open the folder: %s", strerror(errno));
		return NULL;
	}
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		if (len > 10 && strcmp(de->d_name + len - 10, ".test.yaml") == 0)
			continue;
		xgrow(&v, &cap, *n, sizeof *v);
		v[(*n)++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(dp);
	if (*n > 0)
		qsort(v, *n, sizeof *v, by_name);
	return v;
}

static void
load_spool_options(struct spool *sp, const struct ynode *s, struct diags *d)
{
	static const char *const modes[] = {"auto", "inotify", "poll", NULL};
	const struct ynode *v;
	const char *str;
	int64_t x;
	size_t i;

	sp->settle_ms = 1000;
	sp->rescan_s = 60;
	sp->max_bytes = 64LL * 1024 * 1024;
	if ((v = ymap_get(s, "watch")) != NULL && yget_str(v, "watch", &str, d) == 0) {
		for (i = 0; modes[i] != NULL; i++)
			if (strcmp(str, modes[i]) == 0)
				sp->watch = (int)i;
		if (modes[sp->watch] == NULL || strcmp(str, modes[sp->watch]) != 0)
			ydiag(d, v, "'%s' is not a valid watch (one of: auto, inotify, poll)", str);
	}
	if ((v = ymap_get(s, "settle_ms")) != NULL &&
	    yget_int(v, "settle_ms", 0, 600000, &x, d) == 0)
		sp->settle_ms = (int)x;
	if ((v = ymap_get(s, "rescan_s")) != NULL && yget_int(v, "rescan_s", 0, 86400, &x, d) == 0)
		sp->rescan_s = (int)x;
	if ((v = ymap_get(s, "max_bytes")) != NULL &&
	    yget_int(v, "max_bytes", 1, INT64_C(1) << 40, &x, d) == 0)
		sp->max_bytes = x;
	if ((v = ymap_get(s, "ignore")) != NULL) {
		if (v->kind != Y_SEQ) {
			ydiag(d, v, "expected a list of file-name patterns for 'ignore'");
			return;
		}
		sp->ignore = xcalloc(v->n + 1, sizeof *sp->ignore);
		for (i = 0; i < v->n; i++)
			if (yget_str(v->items[i], "ignore", &str, d) == 0)
				sp->ignore[sp->nignore++] = xstrdup(str);
	}
}

/*
 * A claim is one rename from inbox to work, which only works within one filesystem; say so now
 * rather than at the first file.
 */
static void
check_spool_filesystems(const struct spool *sp, const struct ynode *at, struct diags *d)
{
	struct stat a, b;

	if (sp->inbox == NULL || sp->work == NULL)
		return;
	if (stat(sp->inbox, &a) == 0 && stat(sp->work, &b) == 0 && a.st_dev != b.st_dev)
		ydiag(d, at,
		      "spool '%s': work (%s) is on another filesystem than inbox (%s); a file is "
		      "claimed by renaming it, so both must be on the same one",
		      sp->name != NULL ? sp->name : "?", sp->work, sp->inbox);
}

static void
load_spools(struct config *c, const struct ynode *m, struct diags *d)
{
	const struct ynode *s, *v;
	const char *str;
	struct spool *sp;
	size_t i, j;

	if (m->kind != Y_SEQ || m->n == 0) {
		ydiag(d, m, "expected a list of spools for 'spools'");
		return;
	}
	c->spools = xcalloc(m->n, sizeof *c->spools);
	for (i = 0; i < m->n; i++) {
		s = m->items[i];
		sp = &c->spools[c->nspools++];
		sp->line = s->line;
		sp->col = s->col;
		if (ymap_check_keys(s, config_spool_keys, "a spool", d) == -1 && s->kind != Y_MAP)
			continue;
		if ((v = ymap_get(s, "name")) == NULL)
			ydiag(d, s, "a spool needs 'name'");
		else if (yget_str(v, "name", &str, d) == 0)
			sp->name = xstrdup(str);
		sp->inbox = get_path(c, s, "inbox", 1, d);
		sp->work = get_path(c, s, "work", 1, d);
		sp->out = get_path(c, s, "out", 1, d);
		sp->done = get_path(c, s, "done", 1, d);
		sp->rejected = get_path(c, s, "rejected", 1, d);
		load_spool_options(sp, s, d);
		if ((v = ymap_get(s, "rules")) == NULL || v->kind != Y_SEQ || v->n == 0) {
			ydiag(d, v != NULL ? v : s,
			      "a spool needs 'rules': the list of rule names it "
			      "accepts");
			continue;
		}
		check_spool_filesystems(sp, s, d);
		sp->rules = xcalloc(v->n, sizeof *sp->rules);
		for (j = 0; j < v->n; j++)
			if (yget_str(v->items[j], "rules", &str, d) == 0)
				sp->rules[sp->nrules++] = xstrdup(str);
	}
}

/* Whether dir/name.yaml exists: a file that failed to load has reported its own problems. */
static int
file_exists(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s.yaml", dir, name);
	int ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

/* Checks every rule a spool names exists, reporting at the name. */
static void
check_spool_rules(struct config *c, const struct ynode *m, struct diags *d)
{
	const struct ynode *v;
	size_t i, j;

	for (i = 0; i < c->nspools && i < m->n; i++) {
		if ((v = ymap_get(m->items[i], "rules")) == NULL || v->kind != Y_SEQ)
			continue;
		for (j = 0; j < v->n; j++)
			if (v->items[j]->kind == Y_SCALAR &&
			    config_rule(c, v->items[j]->value) == NULL &&
			    !file_exists(c->rules_dir, v->items[j]->value))
				ydiag(d, v->items[j],
				      "spool '%s' names rule '%s', which is not in %s",
				      c->spools[i].name != NULL ? c->spools[i].name : "?",
				      v->items[j]->value, c->rules_dir);
	}
}

struct config *
config_load(const char *path, struct diags *d)
{
	struct ynode *root;
	const struct ynode *m;
	struct config *c;
	struct template *t;
	struct rule *r;
	char **files, *tmp;
	size_t before = d->n, n, i;

	if ((root = ydoc_load(path, d)) == NULL)
		return NULL;
	c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	tmp = xstrdup(path);
	c->dir = xstrdup(dirname(tmp));
	free(tmp);
	if (ymap_check_keys(root, config_keys, "the configuration", d) == -1 &&
	    root->kind != Y_MAP) {
		ydoc_free(root);
		config_free(c);
		return NULL;
	}
	c->rules_dir = get_path(c, root, "rules", 1, d);
	c->templates_dir = get_path(c, root, "templates", 1, d);
	c->tmpdir = get_path(c, root, "tmpdir", 0, d);
	c->state_dir = get_path(c, root, "state_dir", 0, d);
	c->stop_grace_ms = 5000;
	if ((m = ymap_get(root, "stop_grace_ms")) != NULL) {
		int64_t x;

		if (yget_int(m, "stop_grace_ms", 0, 3600000, &x, d) == 0)
			c->stop_grace_ms = (int)x;
	}
	if ((m = ymap_get(root, "audit")) == NULL)
		ydiag(d, root, "'audit' is required: {dir: FOLDER}");
	else if (ymap_check_keys(m, config_audit_keys, "audit", d) == 0) {
		c->audit_dir = get_path(c, m, "dir", 1, d);
		c->audit_key = get_path(c, m, "key_file", 0, d);
	}
	if (c->state_dir == NULL && c->audit_dir != NULL)
		c->state_dir = xstrdup(c->audit_dir);
	if ((m = ymap_get(root, "spools")) == NULL)
		ydiag(d, root, "'spools' is required: a list of drop folders");
	else
		load_spools(c, m, d);
	if (c->templates_dir != NULL && (files = list_yaml(c->templates_dir, &n, d)) != NULL) {
		c->templates = xcalloc(n, sizeof *c->templates);
		for (i = 0; i < n; i++) {
			if ((t = template_load(files[i], d)) != NULL)
				c->templates[c->ntemplates++] = t;
			free(files[i]);
		}
		free(files);
	}
	if (c->rules_dir != NULL && (files = list_yaml(c->rules_dir, &n, d)) != NULL) {
		c->rules = xcalloc(n, sizeof *c->rules);
		for (i = 0; i < n; i++) {
			if ((r = rule_load(files[i], d)) != NULL) {
				c->rules[c->nrules++] = r;
				if (rule_resolve(r, c->templates, c->ntemplates, c->templates_dir,
				                 d) == 0)
					rule_version(r, d);
			}
			free(files[i]);
		}
		free(files);
		if (n == 0)
			diags_add(d, c->rules_dir, 0, 0, "no rules (*.yaml) in this folder");
	}
	if ((m = ymap_get(root, "spools")) != NULL && m->kind == Y_SEQ && c->rules_dir != NULL)
		check_spool_rules(c, m, d);
	ydoc_free(root);
	if (d->n != before) {
		config_free(c);
		return NULL;
	}
	return c;
}

const struct rule *
config_rule(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nrules; i++)
		if (strcmp(c->rules[i]->name, name) == 0)
			return c->rules[i];
	return NULL;
}

void
config_free(struct config *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nspools; i++) {
		struct spool *sp = &c->spools[i];

		free(sp->name);
		free(sp->inbox);
		free(sp->work);
		free(sp->out);
		free(sp->done);
		free(sp->rejected);
		for (j = 0; j < sp->nrules; j++)
			free(sp->rules[j]);
		free(sp->rules);
		for (j = 0; j < sp->nignore; j++)
			free(sp->ignore[j]);
		free(sp->ignore);
	}
	for (i = 0; i < c->nrules; i++)
		rule_free(c->rules[i]);
	for (i = 0; i < c->ntemplates; i++)
		template_free(c->templates[i]);
	free(c->spools);
	free(c->rules);
	free(c->templates);
	free(c->path);
	free(c->dir);
	free(c->rules_dir);
	free(c->templates_dir);
	free(c->audit_dir);
	free(c->tmpdir);
	free(c->audit_key);
	free(c->state_dir);
	free(c);
}
