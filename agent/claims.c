/*
 * `formagent claims`: the claims register for clerks, auditors and administrators. show lists
 * what was paid for a case, when, from which file and row, under which claim id; check compares
 * this agent's entries with its audit log, which stays the truth, and names every difference;
 * rebuild remakes them from the log, with the agent stopped. Only audited fields are shown: the
 * register holds no names.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "config.h"
#include "record.h"
#include "register.h"
#include "xmalloc.h"

/* One payment as a line: when, key, payment number, where it came from, the values. */
static void
print_entry(FILE *fp, const struct reg_entry *e)
{
	fprintf(fp, "%.10s %.5s  %s", e->paid_at, strlen(e->paid_at) >= 16 ? e->paid_at + 11 : "",
	        e->key);
	if (e->seq > 1)
		fprintf(fp, "  (payment %lu, allowed by %s)", e->seq,
		        e->allowance != NULL ? e->allowance : "?");
	fprintf(fp, "\n  %s, row %lu, claim %s\n  %s\n", e->input, e->row, e->claim, e->fields);
}

struct show {
	const char *of;
	unsigned long n;
};

static int
show_one(void *ctx, const struct reg_entry *e)
{
	struct show *s = ctx;

	if (s->of == NULL || reg_key_has(e->key, s->of)) {
		print_entry(stdout, e);
		s->n++;
	}
	return 0;
}

/* A payment the audit log records, as `claims check` compares them. */
struct want {
	char *key, *claim, *input, *fields, *allowance;
	unsigned long row;
	int matched;
};

/* The log's payments, found by key, claim and row; and the claim ids of its files. */
struct wants {
	struct want *v;
	size_t n, cap;
	json_t *index;  /* "KEY\x1fCLAIM\x1fROW" -> the payment's place in v */
	json_t *claims; /* claim id -> true */
	json_t *allows; /* "KEY\x1fCLAIM" -> {key, claim, input, matched} */
	unsigned long allowances;
};

static void
wants_init(struct wants *w)
{
	memset(w, 0, sizeof *w);
	w->index = json_object();
	w->claims = json_object();
	w->allows = json_object();
}

static struct want *
want_find(struct wants *w, const char *key, const char *claim, unsigned long row)
{
	char *id = xasprintf("%s\x1f%s\x1f%lu", key, claim, row);
	json_t *at = json_object_get(w->index, id);

	free(id);
	return at != NULL ? &w->v[json_integer_value(at)] : NULL;
}

static int
take_want(void *ctx, const struct paid *p)
{
	struct wants *w = ctx;
	struct want *x;
	char *id;

	json_object_set_new(w->claims, p->claim, json_true());
	if (p->reason != NULL) {
		id = xasprintf("%s\x1f%s", p->key, p->claim);
		json_object_set_new(w->allows, id,
		                    json_pack("{s:s, s:s, s:s, s:b}", "key", p->key, "claim",
		                              p->claim, "input", p->input, "matched", 0));
		free(id);
		w->allowances++;
		return 0;
	}
	if (want_find(w, p->key, p->claim, p->row) != NULL)
		return 0; /* a file completed again after a crash ("resumed") */
	xgrow(&w->v, &w->cap, w->n, sizeof *w->v);
	x = &w->v[w->n];
	x->key = xstrdup(p->key);
	x->claim = xstrdup(p->claim);
	x->input = xstrdup(p->input);
	x->fields = xstrdup(p->fields);
	x->allowance = p->allowance != NULL ? xstrdup(p->allowance) : NULL;
	x->row = p->row;
	x->matched = 0;
	id = xasprintf("%s\x1f%s\x1f%lu", p->key, p->claim, p->row);
	json_object_set_new(w->index, id, json_integer((json_int_t)w->n++));
	free(id);
	return 0;
}

static void
wants_free(struct wants *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->v[i].key);
		free(w->v[i].claim);
		free(w->v[i].input);
		free(w->v[i].fields);
		free(w->v[i].allowance);
	}
	free(w->v);
	json_decref(w->index);
	json_decref(w->claims);
	json_decref(w->allows);
}

struct compare {
	struct wants *w;
	const char *me;
	unsigned long differences, entries;
};

/*
 * An entry is this agent's when it bears its name, or came from a file its log records (the
 * same agent under another name: its audit folder moved). Another host's are not compared.
 */
static int
compare_one(void *ctx, const struct reg_entry *e)
{
	struct compare *k = ctx;
	struct want *x = want_find(k->w, e->key, e->claim, e->row);

	if (strcmp(e->agent, k->me) != 0 && json_object_get(k->w->claims, e->claim) == NULL)
		return 0;
	k->entries++;
	if (x == NULL) {
		printf("in the register, not in the audit log: %s: %s, row %lu, claim %s\n", e->key,
		       e->input, e->row, e->claim);
		k->differences++;
	} else {
		x->matched = 1;
		if (strcmp(x->fields, e->fields) != 0) {
			printf("paid with other values in the register than in the audit log: %s: "
			       "%s, row %lu, claim %s: register %s, log %s\n",
			       e->key, e->input, e->row, e->claim, e->fields, x->fields);
			k->differences++;
		}
		if (strcmp(x->allowance != NULL ? x->allowance : "",
		           e->allowance != NULL ? e->allowance : "") != 0) {
			printf(
			    "paid under another allowance in the register than in the audit log: "
			    "%s: %s, row %lu, claim %s: register %s, log %s\n",
			    e->key, e->input, e->row, e->claim,
			    e->allowance != NULL ? e->allowance : "none",
			    x->allowance != NULL ? x->allowance : "none");
			k->differences++;
		}
	}
	return 0;
}

/* An allowance lets a claim be paid again: one the log does not record is the worst difference. */
static int
compare_allowance(void *ctx, const struct reg_allowance *al, const char *agent)
{
	struct compare *k = ctx;
	char *id = xasprintf("%s\x1f%s", al->key, al->claim);
	json_t *x = json_object_get(k->w->allows, id);

	free(id);
	if (strcmp(agent, k->me) != 0 && json_object_get(k->w->claims, al->claim) == NULL)
		return 0;
	if (x == NULL) {
		printf(
		    "an allowance in the register, not in the audit log: %s: %s, claim %s, by %s\n",
		    al->key, al->input, al->claim, al->by);
		k->differences++;
	} else
		json_object_set_new(x, "matched", json_true());
	return 0;
}

static int
check(struct config *c, struct reg *g)
{
	struct wants w;
	struct compare k = {&w, g != NULL ? reg_agent(g) : "", 0, 0};
	char *cause = NULL;
	const char *id;
	json_t *x;
	size_t i;
	int rc = 2;

	wants_init(&w);
	/* No register yet (g NULL): every payment the log records is missing from it. */
	if (record_each_payment(c->audit_dir, take_want, &w, &cause) == -1 ||
	    (g != NULL && (reg_each(g, compare_one, &k, &cause) == -1 ||
	                   reg_each_allowance(g, compare_allowance, &k, &cause) == -1))) {
		fprintf(stderr, "formagent: claims check: %s\n", cause);
		free(cause);
		goto out;
	}
	for (i = 0; i < w.n; i++)
		if (!w.v[i].matched) {
			printf("in the audit log, not in the register: %s: %s, row %lu, claim %s\n",
			       w.v[i].key, w.v[i].input, w.v[i].row, w.v[i].claim);
			k.differences++;
		}
	json_object_foreach(w.allows, id, x)
	{
		if (!json_is_true(json_object_get(x, "matched"))) {
			printf("an allowance in the audit log, not in the register: %s: %s, claim "
			       "%s\n",
			       json_string_value(json_object_get(x, "key")),
			       json_string_value(json_object_get(x, "input")),
			       json_string_value(json_object_get(x, "claim")));
			k.differences++;
		}
	}
	printf("%lu payment%s in the audit log, %lu in the register (%s): %lu difference%s\n", w.n,
	       w.n == 1 ? "" : "s", k.entries, g != NULL ? reg_where(g) : "none yet", k.differences,
	       k.differences == 1 ? "" : "s");
	rc = k.differences > 0 ? 1 : 0;
out:
	wants_free(&w);
	return rc;
}

struct rebuild {
	struct reg *g;
	unsigned long payments, allowances, twice;
	char *cause;
};

static int
enter_one(void *ctx, const struct paid *p)
{
	struct rebuild *b = ctx;
	struct reg_allowance al = {0};
	struct reg_entry found, e = {0};
	char *kind;
	int rc;

	if (p->reason != NULL) {
		al.key = p->key;
		al.reason = p->reason;
		al.by = p->by;
		al.claim = p->claim;
		al.input = p->input;
		al.at = p->at;
		b->allowances++;
		return reg_allow(b->g, &al, &b->cause) == -1 ? -1 : 0;
	}
	if ((rc = reg_find(b->g, p->key, &found, &b->cause)) == -1)
		return -1;
	if (rc == 1 && strcmp(found.claim, p->claim) == 0 && found.row == p->row) {
		reg_entry_clear(&found);
		return 0; /* a file completed again after a crash ("resumed") */
	}
	if (rc == 1 && p->allowance == NULL) {
		printf("the audit log records %s paid twice without an allowance: %s, row %lu, and "
		       "%s, row %lu (claim %s)\n",
		       p->key, found.input, found.row, p->input, p->row, p->claim);
		b->twice++;
	}
	kind = xstrndup(p->key, strcspn(p->key, "|"));
	e.key = (char *)p->key;
	e.kind = kind;
	e.seq = rc == 1 ? found.seq + 1 : 1;
	e.fields = (char *)p->fields;
	e.claim = (char *)p->claim;
	e.input = (char *)p->input;
	e.row = p->row;
	e.paid_at = (char *)p->at;
	e.allowance = (char *)p->allowance;
	reg_entry_clear(&found);
	b->payments++;
	rc = reg_add(b->g, &e, &b->cause) == -1 ? -1 : 0;
	free(kind);
	return rc;
}

static int
rebuild(struct config *c, struct reg *g)
{
	struct rebuild b = {g, 0, 0, 0, NULL};
	struct wants w = {0};
	const char *claim;
	json_t *v;
	size_t n;
	char **files = audit_files(c->audit_dir, &n);
	struct audit *lock = NULL;
	int rc, ok;

	/*
	 * The agent enters a file's claims before it records them: it must not be half way, nor
	 * start while this runs. Holding the audit folder's writer lock keeps it out.
	 */
	if ((lock = audit_open(c->audit_dir, c->audit_key, &b.cause)) == NULL) {
		fprintf(stderr, "formagent: claims rebuild: %s; stop the agent first\n", b.cause);
		free(b.cause);
		rc = 2;
		goto out;
	}
	/* A log changed by hand must not become what was paid. */
	if (n > 0 && (audit_verify(files, n, NULL, c->audit_key, 0, stderr) != 0 ||
	              record_check_rows(files, n, stderr) != 0)) {
		fputs("formagent: claims rebuild: the audit log does not verify: nothing was "
		      "changed\n",
		      stderr);
		rc = 2;
		goto out;
	}
	/* This agent's entries, and whatever the files its log records entered, under any name. */
	wants_init(&w);
	ok = record_each_payment(c->audit_dir, take_want, &w, &b.cause) == 0 &&
	     reg_begin(g, &b.cause) == 0 && reg_clear_mine(g, &b.cause) == 0;
	json_object_foreach(w.claims, claim, v)
	{
		if (ok && reg_forget(g, claim, &b.cause) == -1)
			ok = 0;
	}
	ok = ok && record_each_payment(c->audit_dir, enter_one, &b, &b.cause) == 0 &&
	     reg_commit(g, &b.cause) == 0;
	if (!ok) {
		reg_rollback(g);
		fprintf(stderr, "formagent: claims rebuild: %s; nothing was changed\n",
		        b.cause != NULL ? b.cause : "failed");
		free(b.cause);
		rc = 2;
		goto out;
	}
	printf("the claims register (%s) rebuilt from the audit log in %s: %lu payment%s, %lu "
	       "allowance%s\n",
	       reg_where(g), c->audit_dir, b.payments, b.payments == 1 ? "" : "s", b.allowances,
	       b.allowances == 1 ? "" : "s");
	rc = b.twice > 0 ? 1 : 0;
out:
	audit_close(lock);
	wants_free(&w);
	audit_files_free(files, n);
	return rc;
}

int
cmd_claims(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"case", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *cfg = NULL, *of = NULL, *what;
	struct show s = {0};
	struct config *c;
	struct reg *g = NULL;
	char *cause = NULL;
	int ch, rc;

	if (argc < 2 || (strcmp(argv[1], "show") != 0 && strcmp(argv[1], "check") != 0 &&
	                 strcmp(argv[1], "rebuild") != 0)) {
		fputs("formagent: claims: show [--case NO], check or rebuild, with -c CONFIG\n",
		      stderr);
		return 2;
	}
	what = argv[1];
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfg = optarg;
			break;
		case 'k':
			of = optarg;
			break;
		case 'h':
			cli_usage(stdout);
			return 0;
		default:
			cli_usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (of != NULL && strcmp(what, "show") != 0)) {
		cli_usage(stderr);
		return 2;
	}
	if ((c = cli_load(cli_config_path(cfg), 0)) == NULL)
		return 2;
	g = reg_open(c, strcmp(what, "rebuild") == 0 ? 0 : REG_READONLY, &cause);
	if (g == NULL && cause != NULL) {
		fprintf(stderr, "formagent: claims %s: %s\n", what, cause);
		free(cause);
		config_free(c);
		return 2;
	}
	if (strcmp(what, "show") == 0) {
		s.of = of;
		rc = g != NULL ? reg_each(g, show_one, &s, &cause) : 0;
		if (rc == -1) {
			fprintf(stderr, "formagent: claims show: %s\n", cause);
			free(cause);
			rc = 2;
		} else if (s.n == 0)
			printf("nothing was paid%s%s\n", of != NULL ? " for " : "",
			       of != NULL ? of : "");
	} else
		rc = strcmp(what, "check") == 0 ? check(c, g) : rebuild(c, g);
	reg_close(g);
	config_free(c);
	return rc;
}
