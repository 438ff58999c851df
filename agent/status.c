/*
 * status.json and `formagent status`. The file is replaced whole (spool_replace()) and never
 * fsynced: it is rebuilt at every start, and a clerk's form must not wait for its disk flush.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "record.h"
#include "status.h"
#include "spool.h"
#include "xmalloc.h"

#define NLAST       10
#define STATUS_FILE "status.json"

struct last {
	char time[32];
	char *name;
	char *outcome;
};

struct history_of {
	char *spool;
	struct last last[NLAST];
	size_t nlast;
};

struct status {
	struct status_info info;
	struct history_of *h;
	size_t nh, caph;
};

struct status *
status_new(const struct status_info *info)
{
	struct status *st = xcalloc(1, sizeof *st);

	st->info = *info;
	return st;
}

void
status_free(struct status *st)
{
	size_t i, j;

	if (st == NULL)
		return;
	for (i = 0; i < st->nh; i++) {
		for (j = 0; j < st->h[i].nlast; j++) {
			free(st->h[i].last[j].name);
			free(st->h[i].last[j].outcome);
		}
		free(st->h[i].spool);
	}
	free(st->h);
	free(st);
}

static struct history_of *
history_of(struct status *st, const char *spool, int make)
{
	size_t i;

	for (i = 0; i < st->nh; i++)
		if (strcmp(st->h[i].spool, spool) == 0)
			return &st->h[i];
	if (!make)
		return NULL;
	xgrow(&st->h, &st->caph, st->nh, sizeof *st->h);
	memset(&st->h[st->nh], 0, sizeof st->h[st->nh]);
	st->h[st->nh].spool = xstrdup(spool);
	return &st->h[st->nh++];
}

void
status_note(struct status *st, const char *spool, const char *name, const char *outcome)
{
	struct history_of *h = history_of(st, spool, 1);
	struct last *l;

	if (h->nlast == NLAST) {
		free(h->last[0].name);
		free(h->last[0].outcome);
		memmove(&h->last[0], &h->last[1], (NLAST - 1) * sizeof h->last[0]);
		h->nlast--;
	}
	l = &h->last[h->nlast++];
	audit_now(l->time);
	l->name = xstrdup(name);
	l->outcome = xstrdup(outcome);
}

size_t
status_count_dir(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dp);
	return n;
}

int
status_write(struct status *st, const struct config *c, const char *loaded, const char *suspended,
             size_t *waiting, size_t *work, char **cause)
{
	json_t *doc, *spools = json_array(), *last;
	const struct history_of *h;
	char *text;
	size_t i, j, nw, nk;
	int rc;

	*waiting = *work = 0;
	for (i = 0; i < c->nspools; i++) {
		const struct spool *sp = &c->spools[i];

		last = json_array();
		for (j = 0; (h = history_of(st, sp->name, 0)) != NULL && j < h->nlast; j++)
			json_array_append_new(
			    last, json_pack("{s:s, s:s, s:s}", "time", h->last[j].time, "name",
			                    h->last[j].name, "outcome", h->last[j].outcome));
		nw = status_count_dir(sp->inbox);
		nk = status_count_dir(sp->work);
		*waiting += nw;
		*work += nk;
		json_array_append_new(spools,
		                      json_pack("{s:s, s:s, s:I, s:I, s:o}", "name", sp->name,
		                                "inbox", sp->inbox, "waiting", (json_int_t)nw,
		                                "work", (json_int_t)nk, "last", last));
	}
	doc =
	    json_pack("{s:I, s:s, s:s, s:s, s:o, s:b, s:o}", "pid", (json_int_t)getpid(), "started",
	              st->info.started, "config", st->info.config_path, "rules_loaded", loaded,
	              "rules", record_rules(c), "suspended", suspended != NULL, "spools", spools);
	/* Why, for the administrator who runs formagent status: the log says it once, at crit. */
	if (suspended != NULL)
		json_object_set_new(doc, "suspended_because", json_string(suspended));
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	rc = spool_replace(c->state_dir, STATUS_FILE, text, strlen(text), cause);
	free(text);
	return rc;
}

static void
print_duration(FILE *out, long s)
{
	if (s >= 86400)
		fprintf(out, "%ldd %ldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		fprintf(out, "%ldh %ldm", s / 3600, s % 3600 / 60);
	else
		fprintf(out, "%ldm %lds", s / 60, s % 60);
}

int
status_print(const char *config_path, FILE *out)
{
	struct diags d = {0};
	struct config *c;
	json_t *st, *sp, *l;
	json_error_t err;
	char *path;
	size_t i, j, k;
	pid_t pid;
	int alive;

	if ((c = config_load(config_path, &d)) == NULL) {
		diags_print(stderr, &d);
		diags_free(&d);
		return 2;
	}
	path = xasprintf("%s/%s", c->state_dir, STATUS_FILE);
	st = json_load_file(path, 0, &err);
	if (st == NULL) {
		fprintf(out, "no agent has run with this configuration (%s: %s)\n", path, err.text);
	} else {
		pid = (pid_t)json_integer_value(json_object_get(st, "pid"));
		alive = pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
		fprintf(out, "agent: pid %ld, %s, started %s\n", (long)pid,
		        alive ? "running" : "not running",
		        json_string_value(json_object_get(st, "started")));
		if (alive) {
			struct stat sb;

			if (stat(path, &sb) == 0) {
				fprintf(out, "status written ");
				print_duration(out, (long)(time(NULL) - sb.st_mtime));
				fprintf(out, " ago\n");
			}
		}
		if (json_is_true(json_object_get(st, "suspended")))
			fprintf(out, "INTAKE SUSPENDED: %s\n",
			        json_string_value(json_object_get(st, "suspended_because")) != NULL
			            ? json_string_value(json_object_get(st, "suspended_because"))
			            : "see the agent's log");
		fprintf(out,
		        "rules loaded %s:", json_string_value(json_object_get(st, "rules_loaded")));
		json_array_foreach(json_object_get(st, "rules"), i, l)
		    fprintf(out, " %s (%.12s)", json_string_value(json_object_get(l, "name")),
		            json_string_value(json_object_get(l, "version")));
		fputc('\n', out);
	}
	for (i = 0; i < c->nspools; i++) {
		fprintf(out, "spool %s: %zu waiting in %s, %zu in work\n", c->spools[i].name,
		        status_count_dir(c->spools[i].inbox), c->spools[i].inbox,
		        status_count_dir(c->spools[i].work));
		if (st == NULL)
			continue;
		json_array_foreach(json_object_get(st, "spools"), k, sp)
		{
			if (strcmp(json_string_value(json_object_get(sp, "name")) ?: "",
			           c->spools[i].name) != 0)
				continue;
			json_array_foreach(json_object_get(sp, "last"), j, l) fprintf(
			    out, "  %s  %-16s %s\n", json_string_value(json_object_get(l, "time")),
			    json_string_value(json_object_get(l, "outcome")),
			    json_string_value(json_object_get(l, "name")));
			break;
		}
	}
	json_decref(st);
	free(path);
	config_free(c);
	return 0;
}
