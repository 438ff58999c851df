/*
 * An administrator's allowance (NAME.allow.txt): one more payment of a claim the register says
 * was paid, a genuine second payment or a correction replacing the first. It is a deliberate
 * act with a name on it: the file must come from a user the configuration lists under
 * administrators, say which claim (key:, as `formagent claims show` prints it) and why
 * (reason:), and the claim must have been paid and have no allowance waiting. The agent enters
 * it in the register and records it, with who and why, in the audit log. Dropping the same file
 * again is a duplicate; dropping the claim again without one is refused as before.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "config.h"
#include "diag.h"
#include "i18n.h"
#include "register.h"
#include "run.h"
#include "xmalloc.h"
#include "yamldoc.h"

int
pipeline_is_allowance(const char *name)
{
	size_t n = strlen(name), s = strlen(PIPELINE_ALLOW_SUFFIX);

	return n > s && strcmp(name + n - s, PIPELINE_ALLOW_SUFFIX) == 0;
}

/* The one-line text value of key in root, or NULL with *cause naming the line. */
static const char *
line_value(const struct ynode *root, const char *key, char **cause)
{
	const struct ynode *v = ymap_get(root, key);

	if (v == NULL)
		*cause = xasprintf(_("'%s:' is missing"), key);
	else if (v->kind != Y_SCALAR || v->value[0] == '\0')
		*cause = xasprintf(_("line %d: '%s:' takes one line of text"), v->line, key);
	else
		return v->value;
	return NULL;
}

/* Reads key: and reason: into *key and *why (owned by *root). -1 with *cause naming the line. */
static int
parse(const char *name, const char *text, struct ynode **root, const char **key, const char **why,
      char **cause)
{
	struct diags d = {0};
	const struct ynode *k;
	size_t i, j;

	*root = ydoc_load_mem(name, text, strlen(text), &d);
	if (*root == NULL || d.n > 0 || (*root)->kind != Y_MAP) {
		*cause = d.n > 0 ? xasprintf(_("line %d: %s"), d.v[0].line, d.v[0].msg)
		                 : xstrdup(_("expected the lines 'key: ...' and 'reason: ...'"));
		diags_free(&d);
		return -1;
	}
	for (i = 0; i < (*root)->n; i++) {
		k = YMAP_KEY(*root, i);
		if (strcmp(k->value, "key") != 0 && strcmp(k->value, "reason") != 0) {
			*cause =
			    xasprintf(_("line %d: '%s' is not known here: an allowance has the "
			                "lines 'key:' and 'reason:'"),
			              k->line, k->value);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(YMAP_KEY(*root, j)->value, k->value) == 0) {
				*cause =
				    xasprintf(_("line %d: '%s' is given twice (first on line %d)"),
				              k->line, k->value, YMAP_KEY(*root, j)->line);
				return -1;
			}
	}
	if ((*key = line_value(*root, "key", cause)) == NULL ||
	    (*why = line_value(*root, "reason", cause)) == NULL)
		return -1;
	return 0;
}

/* The user name of uid (its number when it has none): caller frees. */
static char *
user_name(unsigned uid)
{
	struct passwd pw, *found = NULL;
	char buf[1024];

	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof buf, &found) != 0 || found == NULL)
		return xasprintf("%u", uid);
	return xstrdup(pw.pw_name);
}

static int
administrator(const struct config *c, const char *user)
{
	size_t i;

	for (i = 0; i < c->nadministrators; i++)
		if (strcmp(c->administrators[i], user) == 0)
			return 1;
	return 0;
}

enum outcome
allow_file(struct run *run, int fd)
{
	struct reg_allowance al = {0};
	struct ynode *root = NULL;
	struct reg_entry e = {0};
	char *text = NULL, *cause = NULL, *by = NULL, now[32];
	const char *key = NULL, *why = NULL;
	int rc;

	if (run->o->reg == NULL || run->o->trial || run->o->dry_run)
		return run_fail(run, xstrdup(_("an allowance is taken only by the agent, from its "
		                               "inbox")));
	if ((rc = run_read_text(run, fd, &text)) != 0)
		return rc;
	if (parse(run->base, text, &root, &key, &why, &cause) == -1) {
		rc = run_fail(run, cause);
		goto out;
	}
	by = user_name(run->res->uid);
	if (!administrator(run->c, by)) {
		rc =
		    run_fail(run, xasprintf(_("the file's owner (%s, uid %u) is not one of the "
		                              "configuration's administrators: only they may let a "
		                              "claim be paid again"),
		                            by, run->res->uid));
		goto out;
	}
	if ((rc = reg_find(run->o->reg, key, &e, &cause)) == -1) {
		rc = run_io_fail(run, cause);
		goto out;
	}
	if (rc == 0) {
		rc =
		    run_fail(run, xasprintf(_("nothing was paid under the key %s: there is nothing "
		                              "to allow (formagent claims show lists the keys)"),
		                            key));
		goto out;
	}
	if (e.allowed != NULL) {
		rc = run_fail(run, xasprintf(_("%s already has an allowance not used yet (%s, by "
		                               "%s)"),
		                             key, e.allowed_why, e.allowed_by));
		goto out;
	}
	audit_now(now);
	al.key = key;
	al.reason = why;
	al.by = by;
	al.claim = run->o->claim != NULL ? run->o->claim : "";
	al.input = run->base;
	al.at = now;
	if (reg_allow(run->o->reg, &al, &cause) == -1) {
		rc = run_io_fail(run, cause);
		goto out;
	}
	run->res->allowed_key = xstrdup(key);
	run->res->allowed_why = xstrdup(why);
	run->res->allowed_by = xstrdup(by);
	rc = OUTCOME_PRODUCED;
out:
	reg_entry_clear(&e);
	ydoc_free(root);
	free(text);
	free(by);
	return rc;
}
