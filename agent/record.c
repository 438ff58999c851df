/*
 * The records formagent writes about claims, and the history it reads back from the log. Values
 * reach a record only from fields a rule marks audit: a claimant's name never does, nor does a
 * reason that could quote one.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "hash.h"
#include "mapper.h"
#include "pipeline.h"
#include "record.h"
#include "spool.h"
#include "utf8.h"
#include "xmalloc.h"

#ifndef FORMAGENT_VERSION
#define FORMAGENT_VERSION "0.0.0"
#endif

struct pair {
	char *sha256;
	char *claim;
};

struct history {
	char **claims; /* claim ids with a completion */
	size_t nclaims, capclaims;
	struct pair *seen; /* input hashes with a completion */
	size_t nseen, capseen;
	struct pair *settled; /* scanned claims a correction made the forms of */
	size_t nsettled, capsettled;
};

struct recorder {
	struct audit *audit;
	struct history *h;
	char host[256];
};

/*
 * A file's rows in parts of ROWS_PER_RECORD. A file of one part keeps its rows in its completed
 * record, as every record did before 2026-12; a larger one gives each part a "rows" record of
 * its own, written just before the completed record, which names their count and digest. The
 * parts filled wait in a scratch file, a line each, so a file of a million rows holds one part
 * in memory, here and in the agent that writes them.
 */
#define ROWS_PER_RECORD 1000

struct rowset {
	int keep;
	char *tmpdir;
	json_t *rows; /* the part being filled */
	int fd;       /* the parts filled before it, a line each; -1 until the first */
	size_t nparts;
	size_t written; /* parts record_rows() wrote, and their digest */
	char digest[HASH_HEX];
	struct mapped *kept;
	size_t nkept, capkept;
};

static int
take(void *ctx, json_t *rec)
{
	history_add(ctx, rec);
	return 0;
}

struct history *
history_load(const char *dir, char **cause)
{
	struct history *h = xcalloc(1, sizeof *h);
	char **files;
	size_t n;
	int rc;

	files = audit_files(dir, &n);
	rc = audit_each(files, n, take, h);
	audit_files_free(files, n);
	if (rc == -1) {
		*cause = xasprintf("cannot read the audit log in %s", dir);
		history_free(h);
		return NULL;
	}
	return h;
}

static void
pairs_free(struct pair *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(p[i].sha256);
		free(p[i].claim);
	}
	free(p);
}

void
history_free(struct history *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nclaims; i++)
		free(h->claims[i]);
	free(h->claims);
	pairs_free(h->seen, h->nseen);
	pairs_free(h->settled, h->nsettled);
	free(h);
}

int
history_completed(const struct history *h, const char *claim)
{
	size_t i;

	for (i = 0; i < h->nclaims; i++)
		if (strcmp(h->claims[i], claim) == 0)
			return 1;
	return 0;
}

static const char *
find(const struct pair *p, size_t n, const char *sha256)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(p[i].sha256, sha256) == 0)
			return p[i].claim;
	return NULL;
}

const char *
history_seen(const struct history *h, const char *sha256)
{
	return find(h->seen, h->nseen, sha256);
}

const char *
history_settled(const struct history *h, const char *sha256)
{
	return find(h->settled, h->nsettled, sha256);
}

static void
add_pair(struct pair **v, size_t *n, size_t *cap, const char *sha256, const char *claim)
{
	xgrow(v, cap, *n, sizeof **v);
	(*v)[*n].sha256 = xstrdup(sha256);
	(*v)[(*n)++].claim = xstrdup(claim);
}

static const char *
member(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

void
history_add(struct history *h, json_t *rec)
{
	const char *claim = json_string_value(json_object_get(rec, "claim")), *sha, *result;

	if (strcmp(member(rec, "event"), "completed") != 0 || claim == NULL)
		return;
	xgrow(&h->claims, &h->capclaims, h->nclaims, sizeof *h->claims);
	h->claims[h->nclaims++] = xstrdup(claim);
	/* A correction that made its forms settled the claim it names, for good. */
	sha = json_string_value(json_object_get(json_object_get(rec, "corrects"), "sha256"));
	if (sha != NULL && strcmp(member(rec, "result"), "produced") == 0)
		add_pair(&h->settled, &h->nsettled, &h->capsettled, sha, claim);
	/*
	 * Only a file that paid, or waits in review, makes its bytes a duplicate: one refused whole
	 * (a wrong name, say) paid nothing, and dropped again under the right name it must be
	 * taken. A duplicate's hash is already known under the first claim.
	 */
	sha = json_string_value(json_object_get(json_object_get(rec, "input"), "sha256"));
	result = member(rec, "result");
	if (sha != NULL && history_seen(h, sha) == NULL && outcome_name_paid(result))
		add_pair(&h->seen, &h->nseen, &h->capseen, sha, claim);
}

json_t *
record_rules(const struct config *c)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < c->nrules; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "name", c->rules[i]->name,
		                                     "version", c->rules[i]->version));
	return arr;
}

struct recorder *
recorder_open(const char *dir, const char *key_file, char **cause)
{
	struct recorder *rc = xcalloc(1, sizeof *rc);

	if ((rc->audit = audit_open(dir, key_file, cause)) == NULL ||
	    (rc->h = history_load(dir, cause)) == NULL) {
		recorder_close(rc);
		return NULL;
	}
	gethostname(rc->host, sizeof rc->host - 1);
	return rc;
}

void
recorder_close(struct recorder *rc)
{
	if (rc == NULL)
		return;
	audit_close(rc->audit);
	history_free(rc->h);
	free(rc);
}

int
recorder_keep_head(struct recorder *rc, const char *path, const char *key_file, char **cause)
{
	return audit_keep_head(rc->audit, path, key_file, cause);
}

const struct history *
recorder_history(const struct recorder *rc)
{
	return rc->h;
}

/* record_event(), or with sync 0 a record made durable by the next one's fsync. */
static int
append(struct recorder *rc, const char *event, json_t *rec, int sync, char **cause)
{
	int ret;

	json_object_set_new(rec, "agent",
	                    json_pack("{s:s, s:s, s:I}", "version", FORMAGENT_VERSION, "host",
	                              rc->host, "pid", (json_int_t)getpid()));
	if ((ret = (sync ? audit_append : audit_append_unsynced)(rc->audit, event, rec, cause)) ==
	    0) {
		json_object_set_new(rec, "event", json_string(event));
		history_add(rc->h, rec);
	}
	json_decref(rec);
	return ret;
}

int
record_event(struct recorder *rc, const char *event, json_t *rec, char **cause)
{
	return append(rc, event, rec, 1, cause);
}

struct rowset *
rowset_new(int keep, const char *tmpdir)
{
	struct rowset *rs = xcalloc(1, sizeof *rs);

	rs->keep = keep;
	rs->tmpdir = tmpdir != NULL ? xstrdup(tmpdir) : NULL;
	rs->rows = json_array();
	rs->fd = -1;
	return rs;
}

void
rowset_free(struct rowset *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	json_decref(rs->rows);
	if (rs->fd != -1)
		close(rs->fd);
	for (i = 0; i < rs->nkept; i++)
		mapped_free(&rs->kept[i]);
	free(rs->kept);
	free(rs->tmpdir);
	free(rs);
}

size_t
rowset_count(const struct rowset *rs)
{
	return rs->nkept;
}

const struct mapped *
rowset_mapped(const struct rowset *rs, size_t i)
{
	return &rs->kept[i];
}

/* A part's rows as records hold them and their digest covers them: canonical JSON. */
static char *
part_text(json_t *rows)
{
	return json_dumps(rows, JSON_COMPACT | JSON_SORT_KEYS);
}

/* Moves the full part in memory to the scratch file. */
static int
spill(struct rowset *rs, char **cause)
{
	char *text;
	int rc;

	if (rs->fd == -1 && (rs->fd = spool_scratch(rs->tmpdir, cause)) == -1)
		return -1;
	if ((text = part_text(rs->rows)) == NULL) {
		*cause = xstrdup("cannot encode a part of the rows");
		return -1;
	}
	rc = write_all(rs->fd, text, strlen(text)) == 0 && write_all(rs->fd, "\n", 1) == 0;
	free(text);
	if (!rc) {
		*cause = xasprintf("cannot write the rows to a scratch file: %s", strerror(errno));
		return -1;
	}
	json_array_clear(rs->rows);
	rs->nparts++;
	return 0;
}

json_t *
record_fields(const struct mapped *m)
{
	const struct rule *r = m->rule;
	json_t *fields = json_object();
	char *v;
	size_t i;

	for (i = 0; i < r->nfields; i++) {
		if (!r->fields[i].audit || m->v[i].t == V_NULL)
			continue;
		/*
		 * A refused row may have its values in the wrong columns: of its text, only what a
		 * pattern or a table proved the form of is kept (a name in ケース番号 is not).
		 */
		if (m->nerrs > 0 && r->fields[i].type == FT_TEXT &&
		    r->fields[i].pattern_src == NULL && r->fields[i].lookup < 0)
			continue;
		if (m->v[i].t == V_INT)
			json_object_set_new(fields, r->fields[i].name, json_integer(m->v[i].i));
		else {
			v = mapped_text(m, (int)i, VF_ISO);
			json_object_set_new(fields, r->fields[i].name, json_string(v));
			free(v);
		}
	}
	return fields;
}

int
rowset_add(struct rowset *rs, const struct mapped *m, const char *allowance, char **cause)
{
	const struct rule *r = m->rule;
	json_t *row, *fields = record_fields(m), *reasons = json_array(), *reason;
	const struct map_error *e;
	char *key;
	size_t i;

	if (rs->keep) {
		xgrow(&rs->kept, &rs->capkept, rs->nkept, sizeof *rs->kept);
		mapped_copy(&rs->kept[rs->nkept], m);
		rs->kept[rs->nkept++].input = NULL;
	}
	/*
	 * A reason's kind and where, never its text: a text quotes the value, and a value in the
	 * wrong column (a name one comma to the left) would reach the log as an audited field.
	 */
	for (i = 0; i < m->nerrs; i++) {
		e = &m->errs[i];
		reason = json_pack("{s:s}", "kind", map_fault_name(e->kind));
		if (e->field >= 0)
			json_object_set_new(reason, "field", json_string(r->fields[e->field].name));
		if (e->column != NULL)
			json_object_set_new(reason, "column", json_string(e->column));
		if (e->check >= 0)
			json_object_set_new(reason, "check", json_integer(e->check + 1));
		json_array_append_new(reasons, reason);
	}
	row = json_pack("{s:I, s:s, s:o}", "row", (json_int_t)m->row, "outcome",
	                m->nerrs == 0 ? "produced" : "rejected", "fields", fields);
	if (m->nerrs > 0)
		json_object_set_new(row, "reasons", reasons);
	else
		json_decref(reasons);
	/* A claim paid: the register's key, so that `claims rebuild` can enter it again. */
	if (m->nerrs == 0 && r->claim_kind != NULL) {
		json_object_set_new(row, "key", json_string(key = mapped_claim_key(m)));
		free(key);
		if (allowance != NULL)
			json_object_set_new(row, "allowance", json_string(allowance));
	}
	json_array_append_new(rs->rows, row);
	return json_array_size(rs->rows) < ROWS_PER_RECORD ? 0 : spill(rs, cause);
}

/* One part's "rows" record, its text added to the digest. */
static int
write_part(struct recorder *rc, const char *spool, const char *claim, size_t k, json_t *rows,
           struct hash_ctx *h, char **cause)
{
	char *text = part_text(rows);

	if (text == NULL) {
		*cause = xstrdup("cannot encode a part of the rows");
		return -1;
	}
	hash_add(h, text, strlen(text));
	hash_add(h, "\n", 1);
	free(text);
	return append(rc, "rows",
	              json_pack("{s:s, s:s, s:I, s:O}", "spool", spool, "claim", claim, "part",
	                        (json_int_t)k, "rows", rows),
	              0, cause);
}

int
record_rows(struct recorder *rc, const char *spool, const char *claim, struct rowset *rs,
            char **cause)
{
	struct hash_ctx *h;
	char *line = NULL;
	size_t cap = 0, k = 0;
	ssize_t len;
	json_t *rows;
	FILE *fp = NULL;
	int fd, rc2 = -1;

	rs->written = 0;
	if (rs->nparts == 0)
		return 0; /* the completed record holds them */
	if (lseek(rs->fd, 0, SEEK_SET) == -1 || (fd = dup(rs->fd)) == -1 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		*cause = xasprintf("cannot read the rows back from their scratch file: %s",
		                   strerror(errno));
		return -1;
	}
	h = hash_begin();
	for (; k < rs->nparts; k++) {
		if ((len = getline(&line, &cap, fp)) <= 0 ||
		    (rows = json_loadb(line, (size_t)len, 0, NULL)) == NULL) {
			*cause = xstrdup("cannot read the rows back from their scratch file");
			goto out;
		}
		rc2 = write_part(rc, spool, claim, k, rows, h, cause);
		json_decref(rows);
		if (rc2 == -1)
			goto out;
	}
	rc2 = json_array_size(rs->rows) == 0
	          ? 0
	          : write_part(rc, spool, claim, k++, rs->rows, h, cause);
out:
	hash_end(h, rs->digest);
	free(line);
	fclose(fp);
	if (rc2 == 0)
		rs->written = k;
	return rc2;
}

json_t *
record_claimed(const char *spool, const char *claim, const char *name, const char *original,
               long long size)
{
	char *shown = utf8_repair(name);
	json_t *rec = json_pack("{s:s, s:s, s:{s:s, s:I}}", "spool", spool, "claim", claim, "input",
	                        "name", shown, "size", (json_int_t)size);

	free(shown);
	if (original != NULL) {
		shown = utf8_repair(original);
		json_object_set_new(json_object_get(rec, "input"), "original_name",
		                    json_string(shown));
		free(shown);
	}
	return rec;
}

/* Who dropped the file: the uid, and the account's name when the host knows it. */
static void
owner_json(json_t *input, unsigned uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	json_object_set_new(input, "uid", json_integer(uid));
	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof buf, &res) == 0 && res != NULL)
		json_object_set_new(input, "owner", json_string(pw.pw_name));
}

static json_t *
outputs_json(const struct file_result *res)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < res->noutputs; i++)
		json_array_append_new(arr,
		                      json_pack("{s:s, s:s, s:I}", "name", res->outputs[i].name,
		                                "sha256", res->outputs[i].sha256, "size",
		                                (json_int_t)res->outputs[i].size));
	return arr;
}

/* What a correction file put right: values only of audited fields, never a name. */
static json_t *
corrects_json(const struct file_result *res)
{
	json_t *fields = json_array(), *f;
	char *shown = utf8_repair(res->corrects);
	size_t i;

	for (i = 0; i < res->ncorrections; i++) {
		const struct correction *c = &res->corrections[i];

		f = json_pack("{s:s, s:I}", "field", c->field, "claim", (json_int_t)c->claim);
		if (c->fixed != NULL) {
			json_object_set_new(f, "read",
			                    c->read != NULL ? json_string(c->read) : json_null());
			json_object_set_new(f, "fixed", json_string(c->fixed));
		}
		json_array_append_new(fields, f);
	}
	f = json_pack("{s:s, s:s, s:o}", "name", shown, "sha256", res->corrects_sha256, "fields",
	              fields);
	free(shown);
	return f;
}

json_t *
record_completed(const char *spool, const char *claim, const char *name, enum outcome result,
                 int resumed, const struct file_result *res, struct rowset *rs)
{
	char *shown = utf8_repair(name);
	json_t *rec, *input;

	input = json_pack("{s:s, s:I, s:s}", "name", shown, "size", (json_int_t)res->size, "sha256",
	                  res->sha256);
	free(shown);
	owner_json(input, res->uid);
	rec = json_pack("{s:s, s:s, s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I}, s:o}", "spool", spool,
	                "claim", claim, "outcome", resumed ? "resumed" : outcome_name(result),
	                "result", outcome_name(result), "input", input, "totals", "rows",
	                (json_int_t)res->rows, "produced", (json_int_t)res->produced, "rejected",
	                (json_int_t)res->rejected, "amount", (json_int_t)res->total, "outputs",
	                outputs_json(res));
	/* A large file's rows are in the "rows" records just before this one (record_rows()). */
	if (rs->written > 0)
		json_object_set_new(rec, "row_records",
		                    json_pack("{s:I, s:s}", "parts", (json_int_t)rs->written,
		                              "sha256", rs->digest));
	else
		json_object_set(rec, "rows", rs->rows);
	if (res->rule != NULL)
		json_object_set_new(rec, "rule",
		                    json_pack("{s:s, s:s}", "name", res->rule->name, "version",
		                              res->rule->version));
	/* Why the file was refused, or waits; a row's reasons are in its row. */
	if (res->reason != NULL &&
	    (result == OUTCOME_REJECTED || result == OUTCOME_REVIEW || result == OUTCOME_DUPLICATE))
		json_object_set_new(rec, "reason", json_string(res->reason));
	if (res->corrects != NULL && res->corrects_sha256[0] != '\0')
		json_object_set_new(rec, "corrects", corrects_json(res));
	/* Who let a claim be paid once more, and why: `claims rebuild` enters it again. */
	if (res->allowed_key != NULL)
		json_object_set_new(rec, "allowance",
		                    json_pack("{s:s, s:s, s:s}", "key", res->allowed_key, "reason",
		                              res->allowed_why, "by", res->allowed_by));
	return rec;
}

/*
 * Reading the log back with each completed record whole: the "rows" parts of a large file are
 * gathered by claim id, and given to its completed record as its "rows" when their count and
 * digest are what it names. A part 0 starts a claim's parts afresh, so the parts of an attempt a
 * crash cut short (no completion) are dropped when the file's next attempt writes its own.
 */
struct gathered {
	char *claim;
	json_t *rows;
	struct hash_ctx *h;
	size_t next; /* the part expected next */
	int broken;  /* a part missing or out of order */
};

struct whole {
	int (*fn)(void *ctx, json_t *rec);
	void *ctx;
	FILE *report; /* where a completion without its parts is named, or NULL */
	unsigned long problems;
	struct gathered *g;
	size_t ng, capg;
};

static void
gathered_drop(struct whole *w, size_t i)
{
	char hex[HASH_HEX];

	free(w->g[i].claim);
	json_decref(w->g[i].rows);
	hash_end(w->g[i].h, hex);
	w->g[i] = w->g[--w->ng];
}

static size_t
gathered_find(const struct whole *w, const char *claim)
{
	size_t i;

	for (i = 0; i < w->ng; i++)
		if (strcmp(w->g[i].claim, claim) == 0)
			return i;
	return (size_t)-1;
}

static void
take_part(struct whole *w, json_t *rec)
{
	const char *claim = member(rec, "claim");
	json_t *rows = json_object_get(rec, "rows");
	size_t i = gathered_find(w, claim);
	json_int_t part = json_integer_value(json_object_get(rec, "part"));
	char *text;

	if (i != (size_t)-1 && part == 0)
		gathered_drop(w, i);
	if (i == (size_t)-1 || part == 0) {
		xgrow(&w->g, &w->capg, w->ng, sizeof *w->g);
		i = w->ng++;
		w->g[i].claim = xstrdup(claim);
		w->g[i].rows = json_array();
		w->g[i].h = hash_begin();
		w->g[i].next = 0;
		w->g[i].broken = 0;
	}
	if (part < 0 || (size_t)part != w->g[i].next || !json_is_array(rows) ||
	    (text = part_text(rows)) == NULL) {
		w->g[i].broken = 1;
		return;
	}
	hash_add(w->g[i].h, text, strlen(text));
	hash_add(w->g[i].h, "\n", 1);
	free(text);
	json_array_extend(w->g[i].rows, rows);
	w->g[i].next++;
}

/* Gives a completed record of a large file its rows, or none when its parts do not match. */
static void
join_parts(struct whole *w, json_t *rec, json_t *rr)
{
	size_t i = gathered_find(w, member(rec, "claim"));
	char hex[HASH_HEX];
	int ok;

	if (i == (size_t)-1) {
		ok = 0;
		json_object_set_new(rec, "rows", json_array());
	} else {
		hash_end(w->g[i].h, hex);
		w->g[i].h = hash_begin();
		ok = !w->g[i].broken &&
		     w->g[i].next == (size_t)json_integer_value(json_object_get(rr, "parts")) &&
		     strcmp(hex, member(rr, "sha256")) == 0;
		json_object_set_new(rec, "rows", ok ? json_incref(w->g[i].rows) : json_array());
		gathered_drop(w, i);
	}
	if (!ok) {
		w->problems++;
		if (w->report != NULL)
			fprintf(
			    w->report,
			    "record %lld: the rows of claim %s are not the %lld parts before it "
			    "that its row_records names (missing, reordered or altered)\n",
			    (long long)json_integer_value(json_object_get(rec, "seq")),
			    member(rec, "claim"),
			    (long long)json_integer_value(json_object_get(rr, "parts")));
	}
}

static int
take_whole(void *ctx, json_t *rec)
{
	struct whole *w = ctx;
	const char *event = member(rec, "event");
	json_t *rr;

	if (strcmp(event, "rows") == 0) {
		take_part(w, rec);
		return 0;
	}
	if (strcmp(event, "completed") == 0 && (rr = json_object_get(rec, "row_records")) != NULL)
		join_parts(w, rec, rr);
	return w->fn != NULL ? w->fn(w->ctx, rec) : 0;
}

static int
each_whole(char *const *files, size_t n, int (*fn)(void *ctx, json_t *rec), void *ctx, FILE *report,
           unsigned long *problems)
{
	struct whole w = {fn, ctx, report, 0, NULL, 0, 0};
	int rc = audit_each(files, n, take_whole, &w);

	while (w.ng > 0)
		gathered_drop(&w, 0);
	free(w.g);
	if (problems != NULL)
		*problems = w.problems;
	return rc;
}

int
record_each(char *const *files, size_t n, int (*fn)(void *ctx, json_t *rec), void *ctx)
{
	return each_whole(files, n, fn, ctx, NULL, NULL);
}

int
record_check_rows(char *const *files, size_t n, FILE *out)
{
	unsigned long problems = 0;

	if (each_whole(files, n, NULL, NULL, out, &problems) == -1) {
		fprintf(out, "cannot read the audit log\n");
		return 1;
	}
	return problems > 0;
}

struct payments {
	int (*fn)(void *ctx, const struct paid *p);
	void *ctx;
	int stop;
};

static int
each_paid(void *ctx, json_t *rec)
{
	struct payments *w = ctx;
	const char *result = member(rec, "result");
	json_t *al = json_object_get(rec, "allowance"), *row;
	struct paid p = {0};
	char *fields;
	size_t i;

	/* A file in review may have paid its sure pages; one refused whole paid nothing. */
	if (strcmp(member(rec, "event"), "completed") != 0 || !outcome_name_paid(result))
		return 0;
	p.claim = member(rec, "claim");
	p.input = member(json_object_get(rec, "input"), "name");
	p.at = member(rec, "time");
	if (al != NULL) {
		p.key = member(al, "key");
		p.reason = member(al, "reason");
		p.by = member(al, "by");
		if ((w->stop = w->fn(w->ctx, &p)) != 0)
			return 1;
	}
	p.reason = p.by = NULL;
	json_array_foreach(json_object_get(rec, "rows"), i, row)
	{
		if (json_object_get(row, "key") == NULL ||
		    strcmp(member(row, "outcome"), "produced") != 0)
			continue;
		p.key = member(row, "key");
		p.row = (unsigned long)json_integer_value(json_object_get(row, "row"));
		p.allowance = json_string_value(json_object_get(row, "allowance"));
		/* As fields_json() made them for the register: sorted keys, compact. */
		fields = json_dumps(json_object_get(row, "fields"), JSON_COMPACT | JSON_SORT_KEYS);
		p.fields = fields != NULL ? fields : "{}";
		w->stop = w->fn(w->ctx, &p);
		free(fields);
		if (w->stop != 0)
			return 1;
	}
	return 0;
}

int
record_each_payment(const char *dir, int (*fn)(void *ctx, const struct paid *p), void *ctx,
                    char **cause)
{
	struct payments w = {fn, ctx, 0};
	size_t n;
	char **files = audit_files(dir, &n);
	int rc;

	if (files == NULL && access(dir, R_OK | X_OK) == -1) {
		*cause = xasprintf("cannot read the audit folder %s: %s", dir, strerror(errno));
		return -1;
	}
	rc = record_each(files, n, each_paid, &w);
	audit_files_free(files, n);
	if (rc == -1) {
		*cause = xasprintf("cannot read the audit log in %s", dir);
		return -1;
	}
	return w.stop;
}
