/*
 * Loads formagent.yaml, then every rule and template in the folders it names, then resolves the
 * references between them. Every problem in every file is collected before the load fails, so
 * `check` shows an administrator the whole list at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "spool.h"
#include "xmalloc.h"
#include "yamldoc.h"

const char *const config_keys[] = {"rules",     "templates",      "audit",    "spools",  "tmpdir",
                                   "state_dir", "stop_grace_ms",  "language", "eras",    "retry_ms",
                                   "register",  "administrators", "print",    "workers", NULL};
const char *const config_print_keys[] = {"soffice", "timeout_s", NULL};
const char *const config_spool_keys[] = {"name",     "inbox",     "work",   "out",   "done",
                                         "rejected", "review",    "rules",  "watch", "settle_ms",
                                         "rescan_s", "max_bytes", "ignore", NULL};
const char *const config_audit_keys[] = {"dir", "key_file", NULL};
const char *const config_register_keys[] = {"sqlite", "postgresql", NULL};
const char *const config_era_keys[] = {"name",      "kanji",    "letter", "code",
                                       "first_day", "last_day", NULL};

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
	int watch;

	sp->settle_ms = 1000;
	sp->rescan_s = 60;
	sp->max_bytes = 64LL * 1024 * 1024;
	if ((v = ymap_get(s, "watch")) != NULL &&
	    yget_enum(v, "watch", modes, YWORDS(modes), &watch, d) == 0)
		sp->watch = watch;
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

/* A YYYY-MM-DD (or any date form) value; -1 after reporting. */
static int
get_day(const struct ynode *n, const char *what, struct civil *out, struct diags *d)
{
	char *cause = NULL;
	int64_t days;

	if (n->kind != Y_SCALAR || tf_date(eras_builtin(), n->value, &days, &cause) == -1) {
		ydiag(d, n, "expected a date (YYYY-MM-DD) for '%s'%s%s", what, cause ? ": " : "",
		      cause ? cause : "");
		free(cause);
		return -1;
	}
	civil_from_days(days, out);
	return 0;
}

/*
 * The era table: the built-in eras, then the configuration's, each beginning after the one
 * before and, where that one names its last day, on the day after it: no overlap, no gap.
 * The next era needs no rebuild, only these lines.
 */
static void
load_eras(struct config *c, const struct ynode *m, struct diags *d)
{
	const struct eras *b = eras_builtin();
	const struct ynode *e, *v;
	struct era *era, *prev;
	struct civil last;
	int64_t code, start, pstart;
	size_t i, j, n = b->n;
	const char *s;
	int has_last = 0, bad;

	c->era_v = xcalloc(b->n + (m != NULL && m->kind == Y_SEQ ? m->n : 0) + 1, sizeof *c->era_v);
	memcpy(c->era_v, b->v, b->n * sizeof *b->v);
	c->eras.v = c->era_v;
	c->eras.n = n;
	if (m == NULL)
		return;
	if (m->kind != Y_SEQ) {
		ydiag(d, m, "expected a list of eras for 'eras'");
		return;
	}
	for (i = 0; i < m->n; i++) {
		e = m->items[i];
		if (ymap_check_keys(e, config_era_keys, "an era", d) == -1 && e->kind != Y_MAP)
			continue;
		era = &c->era_v[n];
		memset(era, 0, sizeof *era);
		bad = 0;
		if ((v = ymap_get(e, "name")) == NULL || yget_str(v, "name", &s, d) == -1 ||
		    strlen(s) == 0)
			bad = (v == NULL ? (ydiag(d, e, "an era needs 'name' (like 令和)"), 1) : 1);
		else
			era->name = xstrdup(s);
		if ((v = ymap_get(e, "kanji")) == NULL || yget_str(v, "kanji", &s, d) == -1)
			bad = (v == NULL
			           ? (ydiag(d, e, "an era needs 'kanji' (its first character)"), 1)
			           : 1);
		else
			era->kanji = xstrdup(s);
		if ((v = ymap_get(e, "letter")) == NULL || yget_str(v, "letter", &s, d) == -1 ||
		    strlen(s) != 1 || !((s[0] >= 'A' && s[0] <= 'Z'))) {
			if (v != NULL && v->kind == Y_SCALAR)
				ydiag(d, v, "'letter' is one capital letter, like R");
			else if (v == NULL)
				ydiag(d, e, "an era needs 'letter' (like R)");
			bad = 1;
		} else
			era->letter = s[0];
		if ((v = ymap_get(e, "code")) == NULL)
			bad =
			    (ydiag(d, e, "an era needs 'code' (the digit exports use for it)"), 1);
		else if (yget_int(v, "code", 1, 9, &code, d) == -1)
			bad = 1;
		else
			era->code = (int)code;
		if ((v = ymap_get(e, "first_day")) == NULL)
			bad = (ydiag(d, e, "an era needs 'first_day'"), 1);
		else if (get_day(v, "first_day", &era->start, d) == -1)
			bad = 1;
		era->year1 = era->start.y;
		if (bad) {
			free((char *)era->name);
			free((char *)era->kanji);
			continue;
		}
		for (j = 0; j < n; j++)
			if (strcmp(c->era_v[j].name, era->name) == 0 ||
			    strcmp(c->era_v[j].kanji, era->kanji) == 0 ||
			    c->era_v[j].letter == era->letter || c->era_v[j].code == era->code)
				bad = (ydiag(d, e,
				             "era %s repeats the name, kanji, letter or code of %s",
				             era->name, c->era_v[j].name),
				       1);
		prev = &c->era_v[n - 1];
		start = days_from_civil(era->start.y, era->start.m, era->start.d);
		pstart = days_from_civil(prev->start.y, prev->start.m, prev->start.d);
		if (!bad && start <= pstart)
			bad = (ydiag(d, ymap_get(e, "first_day"),
			             "era %s overlaps %s: it must begin after %04d-%02d-%02d",
			             era->name, prev->name, prev->start.y, prev->start.m,
			             prev->start.d),
			       1);
		if (!bad && has_last && start != days_from_civil(last.y, last.m, last.d) + 1)
			bad =
			    (ydiag(d, ymap_get(e, "first_day"),
			           "era %s must begin on the day after %s's last day "
			           "(%04d-%02d-%02d): the table would have a %s",
			           era->name, prev->name, last.y, last.m, last.d,
			           start > days_from_civil(last.y, last.m, last.d) + 1 ? "gap"
			                                                               : "overlap"),
			     1);
		has_last = 0;
		if ((v = ymap_get(e, "last_day")) != NULL &&
		    get_day(v, "last_day", &last, d) == 0) {
			if (days_from_civil(last.y, last.m, last.d) < start)
				bad = (ydiag(d, v, "era %s ends before it begins", era->name), 1);
			has_last = 1;
		}
		if (bad) {
			free((char *)era->name);
			free((char *)era->kanji);
			continue;
		}
		n++;
	}
	c->eras.n = n;
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
		sp->review = get_path(c, s, "review", 0, d);
		if (sp->review == NULL && sp->rejected != NULL) {
			const char *slash = strrchr(sp->rejected, '/');

			sp->review = slash != NULL
			                 ? xasprintf("%.*s/review", (int)(slash - sp->rejected),
			                             sp->rejected)
			                 : xstrdup("review");
		}
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

/* Whether a is b, or inside it. */
static int
within(const char *a, const char *b)
{
	size_t n = strlen(b);

	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || (n == 1 && b[0] == '/'));
}

/*
 * Every folder of every spool in its own place: one equal to or inside another (out/ inside the
 * inbox, say) would have the agent take its own outputs, or move a folder as a claim.
 */
static void
check_spool_places(struct config *c, const struct ynode *m, struct diags *d)
{
	static const char *const keys[] = {"inbox", "work", "out", "done", "rejected", "review"};
	struct place {
		char *path;
		const char *key, *spool;
		const struct ynode *at;
	} *v = xcalloc(c->nspools * 6 + 1, sizeof *v);
	const struct spool *sp;
	const char *given[6];
	size_t n = 0, i, j, k;

	for (i = 0; i < c->nspools && i < m->n; i++) {
		sp = &c->spools[i];
		given[0] = sp->inbox;
		given[1] = sp->work;
		given[2] = sp->out;
		given[3] = sp->done;
		given[4] = sp->rejected;
		given[5] = sp->review;
		for (k = 0; k < 6; k++) {
			if (given[k] == NULL)
				continue;
			v[n].path = spool_folder_path(given[k]);
			v[n].key = keys[k];
			v[n].spool = sp->name != NULL ? sp->name : "?";
			v[n].at = ymap_get(m->items[i], keys[k]);
			if (v[n].at == NULL) { /* review, by default beside rejected */
				v[n].at = m->items[i];
				v[n].key = "review (by default beside rejected)";
			}
			n++;
		}
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (i != j && within(v[j].path, v[i].path) &&
			    (strcmp(v[i].path, v[j].path) != 0 || j > i))
				ydiag(d, v[j].at,
				      "spool '%s': its %s folder %s is %s the %s folder of spool "
				      "'%s': "
				      "every spool folder needs its own place, outside the others",
				      v[j].spool, v[j].key, v[j].path,
				      strcmp(v[i].path, v[j].path) == 0 ? "also" : "inside",
				      v[i].key, v[i].spool);
	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
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

/*
 * Two rules whose file-name globs can match the same name: not an error (the header may tell
 * the files apart), but the administrator should know which rule a file meets first.
 */
static void
check_globs(const struct config *c, struct diags *d)
{
	const struct rule *a, *b;
	size_t i, j, k, l;

	for (i = 0; i < c->nrules; i++)
		for (j = i + 1; j < c->nrules; j++) {
			a = c->rules[i];
			b = c->rules[j];
			for (k = 0; k < a->nglobs; k++)
				for (l = 0; l < b->nglobs; l++)
					if (fnmatch(a->globs[k], b->globs[l], FNM_CASEFOLD) == 0 ||
					    fnmatch(b->globs[l], a->globs[k], FNM_CASEFOLD) == 0)
						diags_warn(d, b->path, b->match_line, b->match_col,
						           "the glob '%s' of rule %s and '%s' of "
						           "rule %s can match "
						           "the same files; rules are tried in "
						           "name order, so %s "
						           "takes such a file when its header "
						           "fits, and %s only "
						           "when it does not",
						           b->globs[l], b->name, a->globs[k],
						           a->name, a->name, b->name);
		}
}

/*
 * register: {sqlite: PATH} or {postgresql: CONNINFO}; without it, STATE_DIR/claims.sqlite. A
 * SQLite register on NFS, CIFS/SMB or FUSE is refused here, before any file is taken.
 */
static void
load_register(struct config *c, const struct ynode *root, struct diags *d)
{
	const struct ynode *m = ymap_get(root, "register"), *at = m;
	const char *conninfo, *fs;
	char *dir, *slash;

	if (m != NULL && ymap_check_keys(m, config_register_keys, "register", d) == 0) {
		c->register_sqlite = get_path(c, m, "sqlite", 0, d);
		if (ymap_get(m, "postgresql") != NULL &&
		    yget_str(ymap_get(m, "postgresql"), "postgresql", &conninfo, d) == 0)
			c->register_pg = xstrdup(conninfo);
		if ((c->register_sqlite != NULL) == (c->register_pg != NULL))
			ydiag(d, m, "'register' takes one of sqlite: PATH or postgresql: CONNINFO");
		at = ymap_get(m, "sqlite");
	}
	if (c->register_pg != NULL || c->state_dir == NULL)
		return;
	dir = xstrdup(c->register_sqlite != NULL ? c->register_sqlite : c->state_dir);
	if (c->register_sqlite != NULL && (slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((fs = spool_remote_fs(dir)) != NULL)
		ydiag(d,
		      at != NULL                            ? at
		      : ymap_get(root, "state_dir") != NULL ? ymap_get(root, "state_dir")
		                                            : root,
		      "the claims register's folder %s is on %s, where SQLite's locking is not "
		      "safe: give a folder on a local disk, or register: {postgresql: CONNINFO}",
		      dir, fs);
	free(dir);
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
	/*
	 * Under systemd with RuntimeDirectory=, a tmpfs of the service's own: libxlsxwriter's ten
	 * scratch files per workbook cost far less there than on the disk (bench/README.md).
	 */
	if (c->tmpdir == NULL && getenv("RUNTIME_DIRECTORY") != NULL &&
	    getenv("RUNTIME_DIRECTORY")[0] == '/' &&
	    strchr(getenv("RUNTIME_DIRECTORY"), ':') == NULL)
		c->tmpdir = xstrdup(getenv("RUNTIME_DIRECTORY"));
	load_eras(c, ymap_get(root, "eras"), d);
	c->language = xstrdup("ja");
	if ((m = ymap_get(root, "language")) != NULL) {
		const char *lang;

		if (yget_str(m, "language", &lang, d) == 0) {
			if (strcmp(lang, "ja") != 0 && strcmp(lang, "en") != 0)
				ydiag(d, m, "'%s' is not a language formagent speaks (ja, en)",
				      lang);
			else {
				free(c->language);
				c->language = xstrdup(lang);
			}
		}
	}
	c->state_dir = get_path(c, root, "state_dir", 0, d);
	c->stop_grace_ms = 5000;
	if ((m = ymap_get(root, "stop_grace_ms")) != NULL) {
		int64_t x;

		if (yget_int(m, "stop_grace_ms", 0, 3600000, &x, d) == 0)
			c->stop_grace_ms = (int)x;
	}
	c->retry_ms = 5000;
	if ((m = ymap_get(root, "retry_ms")) != NULL) {
		int64_t x;

		if (yget_int(m, "retry_ms", 10, 3600000, &x, d) == 0)
			c->retry_ms = (int)x;
	}
	/* One thread per core: OCR and forms are CPU work; the loop's own share is small. */
	c->workers = sysconf(_SC_NPROCESSORS_ONLN) > 0 ? (int)sysconf(_SC_NPROCESSORS_ONLN) : 1;
	if (c->workers > 64)
		c->workers = 64;
	if ((m = ymap_get(root, "workers")) != NULL) {
		int64_t x;

		if (yget_int(m, "workers", 1, 64, &x, d) == 0)
			c->workers = (int)x;
	}
	c->print_timeout_s = 120;
	if ((m = ymap_get(root, "print")) != NULL &&
	    ymap_check_keys(m, config_print_keys, "print", d) == 0) {
		const struct ynode *v;
		const char *prog;
		int64_t x;

		if ((v = ymap_get(m, "timeout_s")) != NULL &&
		    yget_int(v, "timeout_s", 1, 3600, &x, d) == 0)
			c->print_timeout_s = (int)x;
		/* A program name is looked up on PATH; a path is the configuration's. */
		if ((v = ymap_get(m, "soffice")) != NULL && yget_str(v, "soffice", &prog, d) == 0)
			c->soffice = strchr(prog, '/') != NULL ? get_path(c, m, "soffice", 0, d)
			                                       : xstrdup(prog);
	}
	if ((m = ymap_get(root, "audit")) == NULL)
		ydiag(d, root, "'audit' is required: {dir: FOLDER}");
	else if (ymap_check_keys(m, config_audit_keys, "audit", d) == 0) {
		c->audit_dir = get_path(c, m, "dir", 1, d);
		c->audit_key = get_path(c, m, "key_file", 0, d);
	}
	if (c->state_dir == NULL && c->audit_dir != NULL)
		c->state_dir = xstrdup(c->audit_dir);
	load_register(c, root, d);
	if ((m = ymap_get(root, "administrators")) != NULL) {
		const char *user;
		size_t k;

		if (m->kind != Y_SEQ)
			ydiag(d, m, "expected a list of user names for 'administrators'");
		else {
			c->administrators = xcalloc(m->n + 1, sizeof *c->administrators);
			for (k = 0; k < m->n; k++)
				if (yget_str(m->items[k], "administrators", &user, d) == 0)
					c->administrators[c->nadministrators++] = xstrdup(user);
		}
	}
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
			if ((r = rule_load(files[i], &c->eras, d)) != NULL) {
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
	if (m != NULL && m->kind == Y_SEQ)
		check_spool_places(c, m, d);
	check_globs(c, d);
	ydoc_free(root);
	if (diags_errors(d, before) > 0) {
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
		free(sp->review);
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
	free(c->soffice);
	free(c->audit_key);
	free(c->state_dir);
	free(c->register_sqlite);
	free(c->register_pg);
	for (i = 0; i < c->nadministrators; i++)
		free(c->administrators[i]);
	free(c->administrators);
	free(c->language);
	for (i = eras_builtin()->n; i < c->eras.n; i++) {
		free((char *)c->era_v[i].name);
		free((char *)c->era_v[i].kanji);
	}
	free(c->era_v);
	free(c);
}
