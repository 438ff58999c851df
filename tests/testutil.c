/*
 * Test helpers: the plumbing end-to-end tests need to run formagent on real folders and read
 * back what it wrote.
 */
#include <dirent.h>
#include <errno.h>
#include <iconv.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

char *
tmpdir_new(void)
{
	const char *base = getenv("TMPDIR");
	char *t;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if (asprintf(&t, "%s/formagent-test.XXXXXX", base) == -1 || mkdtemp(t) == NULL)
		abort();
	return t;
}

void
rmtree(const char *dir)
{
	char *cmd;

	if (dir == NULL || strncmp(dir, "/tmp", 4) != 0 || strstr(dir, "formagent-test") == NULL)
		return;
	if (asprintf(&cmd, "rm -rf '%s'", dir) == -1)
		abort();
	if (system(cmd) != 0)
		fprintf(stderr, "rmtree: could not remove %s\n", dir);
	free(cmd);
}

char *
pathf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) == -1)
		abort();
	va_end(ap);
	return p;
}

char *
slurp_fp(FILE *fp, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, n = 0, k;

	for (;;) {
		if (n + 65536 + 1 > cap) {
			cap = (n + 65536 + 1) * 2;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		if ((k = fread(buf + n, 1, 65536, fp)) == 0)
			break;
		n += k;
	}
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;

	if (fp == NULL)
		return NULL;
	buf = slurp_fp(fp, len);
	fclose(fp);
	return buf;
}

void
spit(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || fwrite(buf, 1, len, fp) != len || fclose(fp) != 0)
		abort();
}

void
spits(const char *path, const char *s)
{
	spit(path, s, strlen(s));
}

char *
srcpath(const char *rel)
{
	const char *src = getenv("SRCDIR");
	char *p;

	if (asprintf(&p, "%s/%s", src != NULL ? src : ".", rel) == -1)
		abort();
	return p;
}

char *
samplepath(const char *name)
{
	char *rel, *p;

	if (asprintf(&rel, "../shared/samples/%s", name) == -1)
		abort();
	p = srcpath(rel);
	free(rel);
	return p;
}

int
run_agent(const char *dir, char **out, char **err, const char *fmt, ...)
{
	char *args, *cmd, *tdir, *of, *ef;
	const char *bin = getenv("FORMAGENT");
	va_list ap;
	int st;

	if (bin == NULL)
		bin = "./build/formagent";
	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) == -1)
		abort();
	va_end(ap);
	tdir = tmpdir_new();
	if (asprintf(&of, "%s/out", tdir) == -1 || asprintf(&ef, "%s/err", tdir) == -1)
		abort();
	if (asprintf(&cmd, "%s%s%s'%s' %s >'%s' 2>'%s' </dev/null", dir ? "cd '" : "",
	             dir ? dir : "", dir ? "' && " : "", bin, args, of, ef) == -1)
		abort();
	st = system(cmd);
	if (out != NULL)
		*out = slurp(of, NULL);
	if (err != NULL)
		*err = slurp(ef, NULL);
	rmtree(tdir);
	free(tdir);
	free(of);
	free(ef);
	free(cmd);
	free(args);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int
count_files(const char *dir, const char *suffix)
{
	struct dirent *de;
	size_t sl = strlen(suffix), l;
	int n = 0;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		l = strlen(de->d_name);
		if (l >= sl && strcmp(de->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(dp);
	return n;
}

char *
from_cp932(const char *s, size_t len)
{
	iconv_t cd = iconv_open("UTF-8", "CP932");
	size_t inleft = len, outleft = len * 2 + 1;
	char *out = malloc(outleft + 1), *o = out, *in = (char *)s;

	if (cd == (iconv_t)-1 || out == NULL)
		abort();
	if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1) {
		free(out);
		iconv_close(cd);
		return NULL;
	}
	iconv_close(cd);
	*o = '\0';
	return out;
}

char *
pg_database(void)
{
	static unsigned n;
	const char *server = getenv("FORMAGENT_TEST_PG");
	char *sql, *conninfo, *db;
	PGconn *pg;
	PGresult *res;
	int ok;

	if (server == NULL) {
		fputs("FORMAGENT_TEST_PG is not set: run the tests with make unit, whose "
		      "tests/pgserver starts a PostgreSQL server\n",
		      stderr);
		return NULL;
	}
	if (PQstatus(pg = PQconnectdb(server)) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect to %s: %s", server, PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	db = pathf("t_%ld_%u", (long)getpid(), n++);
	sql = pathf("CREATE DATABASE %s", db);
	res = PQexec(pg, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	free(sql);
	/* The server's conninfo with dbname=postgres replaced: a later keyword wins in libpq. */
	conninfo = ok ? pathf("%s dbname=%s", server, db) : NULL;
	free(db);
	return conninfo;
}

int
claims_differences(const char *bin, const char *cfg, int *log_only, int *reg_only)
{
	char *cmd = pathf("'%s' claims check -c '%s' 2>&1", bin, cfg), *line = NULL;
	size_t cap = 0;
	FILE *fp = popen(cmd, "r");
	int st;

	*log_only = *reg_only = 0;
	free(cmd);
	if (fp == NULL)
		return -1;
	while (getline(&line, &cap, fp) != -1) {
		if (strncmp(line, "in the audit log, not in the register", 37) == 0)
			++*log_only;
		else if (strncmp(line, "in the register, not in the audit log", 37) == 0 ||
		         strncmp(line, "paid with other values", 22) == 0)
			++*reg_only;
		else if (strstr(line, "difference") == NULL)
			fprintf(stderr, "claims check: %s", line);
	}
	free(line);
	st = pclose(fp);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *
example_config(const char *dir)
{
	char *src = srcpath("formagent.yaml"), *text = slurp(src, NULL), *rules = srcpath("rules");
	char *templates = srcpath("templates"), *path = pathf("%s/formagent.yaml", dir);
	char *p, *mine;

	if (text == NULL || (p = strstr(text, "rules: rules\ntemplates: templates\n")) == NULL) {
		fprintf(stderr, "example_config: %s does not start as expected\n", src);
		abort();
	}
	/* The print PDFs from a stand-in LibreOffice (test_e2e prints): last, keeping line numbers.
	 */
	mine = pathf("%.*srules: %s\ntemplates: %s\n%sprint: {soffice: %s/../tests/fixtures/office/"
	             "soffice}\n",
	             (int)(p - text), text, rules, templates,
	             p + strlen("rules: rules\ntemplates: templates\n"), rules);
	spits(path, mine);
	free(mine);
	free(text);
	free(src);
	free(rules);
	free(templates);
	return path;
}

int
processes_running(const char *pattern)
{
	char *cmd = pathf("pgrep -fc '[%c]%s'", pattern[0], pattern + 1);
	FILE *fp = popen(cmd, "r");
	int n = 0;

	if (fp == NULL || fscanf(fp, "%d", &n) != 1)
		n = 0;
	if (fp != NULL)
		pclose(fp);
	free(cmd);
	return n;
}

const char *
workers_line(void)
{
	static char line[32];
	const char *n = getenv("WORKERS");

	if (n == NULL || *n == '\0')
		return "";
	snprintf(line, sizeof line, "workers: %d\n", atoi(n));
	return line;
}
