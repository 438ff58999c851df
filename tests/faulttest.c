/*
 * make faulttest: the no-loss promise when the disk says no. The agent runs (run --once) over a
 * fixed set of claim files with tests/faultshim.so preloaded, which makes exactly one of its
 * open, fopen, write, fsync, rename or close calls on the spool fail, by count, with EIO, ENOSPC
 * or EACCES. A first run only counts the calls and gives the reference end state; then every call
 * of every kind fails in turn, each in a fresh spool. After each run:
 *
 *   stopped     the agent did not finish on its own (it must retry, and exit 0 once done)
 *   lost        an input in none of done/, rejected/ and review/, or left in the inbox or work/
 *   doubled     an input in two of them, or with two completions that are not "resumed"
 *   unrecorded  an output in out/ that no completed audit record names, or a claim in the
 *               claims register that the audit log does not record as paid
 *   (lost also counts a payment the audit log records that the register lacks)
 *   differs     out/, done/, rejected/ or review/ not as in the reference run, names and bytes;
 *               the one other outcome allowed is a file the agent may not open (EACCES)
 *               rejected with that reason
 *   broken      `audit verify` fails, or a temporary file is left
 *
 * Prints "faulttest: N cases, M faults fired, failed F" and exits non-zero if F is not 0.
 * FAULT_PER_OP=k tries at most k calls of each kind, spread evenly from the first to the last
 * (default 200: the zip writer's thousands of fwrites are sampled; make test uses a short form);
 * FAULT_KEEP=1 keeps the folders of failed cases.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define CASE_TIMEOUT_MS 30000

static const char *bin, *shim, *src;
static char *dir, *inputs;
static const char *const ops[] = {"open", "fopen", "write", "fsync", "rename", "close"};
#define NOPS (sizeof ops / sizeof *ops)
static const struct {
	int e;
	const char *name;
} errnos[] = {{EIO, "EIO"}, {ENOSPC, "ENOSPC"}, {EACCES, "EACCES"}};
#define NERRNOS (sizeof errnos / sizeof *errnos)

/*
 * The claim files: good, one row wrong, a broken quote, a symbolic link, one for the office's
 * own workbooks, and two scanned claims, one of them for review.
 */
static void
make_inputs(void)
{
	static const char header[] = "ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,"
	                             "通院日,医療機関名,経路,交通機関,片道運賃,往復回数,支給額,"
	                             "担当CW,備考\r\n";
	static const char row[] = "0101-%05d,a,,a,通院移送費,R6.4.3,R6.4.%d,病院,経路,地下鉄,"
	                          "250,4,%d,山田,%s\r\n";
	const char *names[] = {"transport-good.csv", "transport-partly.csv",
	                       "transport-broken.csv"};
	char buf[4096], *p;
	size_t len;
	int f, i;

	inputs = pathf("%s/inputs", dir);
	mkdir(inputs, 0755);
	for (f = 0; f < 3; f++) {
		len = (size_t)snprintf(buf, sizeof buf, "%s", header);
		for (i = 0; i < 3; i++)
			len += (size_t)snprintf(buf + len, sizeof buf - len, row, f * 10 + i, i + 1,
			                        f == 1 && i == 1 ? 2100 : 2000,
			                        f == 2 && i == 2 ? "\"open" : "");
		p = pathf("%s/%s", inputs, names[f]);
		spit(p, buf, len);
		free(p);
	}
	/* The office's own form and ledger (templates/様式第3号*.xlsx): zips written by minizip. */
	len = (size_t)snprintf(buf, sizeof buf, "%s", header);
	for (i = 0; i < 3; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, row, 200 + i, i + 1, 2000, "");
	p = pathf("%s/office-transport-good.csv", inputs);
	spit(p, buf, len);
	free(p);
	p = pathf("%s/transport-link.csv", inputs);
	if (symlink("/etc/hostname", p) != 0)
		perror("symlink");
	free(p);
	/* Scanned claims: one sure, one with an amount OCR misread, which goes to review. */
	for (f = 0; f < 2; f++) {
		p = pathf("%s/scan-transport-%s.txt", inputs, f == 0 ? "sure" : "doubt");
		len = (size_t)snprintf(buf, sizeof buf,
		                       "ケース番号  0102-0000%d        申請日  令和6年4月3日\n"
		                       "対象者氏名  札幌 花子\n"
		                       "通院日  令和6年4月1日          交通機関  地下鉄\n"
		                       "医療機関名  東区中央病院\n"
		                       "片道運賃  250円               往復回数  4回\n"
		                       "支給額  %s円\n",
		                       f, f == 0 ? "2,000" : "2,OOO");
		spit(p, buf, len);
		free(p);
	}
}

/* A fresh spool in case/ with the inputs in its inbox; returns the configuration's path. */
static char *
new_case(const char *cdir)
{
	char *cmd, *cfg, *text;

	rmtree(cdir);
	cmd = pathf("mkdir -p '%s/s/inbox' '%s/s/tmp' && cp -P '%s'/* '%s/s/inbox/'", cdir, cdir,
	            inputs, cdir);
	if (system(cmd) != 0) {
		fprintf(stderr, "faulttest: cannot set up %s\n", cdir);
		exit(2);
	}
	free(cmd);
	cfg = pathf("%s/formagent.yaml", cdir);
	text = pathf("rules: %s/rules\ntemplates: %s/templates\nlanguage: en\nretry_ms: 20\n"
	             "state_dir: s/state\ntmpdir: s/tmp\naudit: {dir: s/audit}\n"
	             "print: {soffice: %s/tests/fixtures/office/soffice}\n%s"
	             "spools:\n  - {name: s, inbox: s/inbox, work: s/work, out: s/out, "
	             "done: s/done, rejected: s/rejected, review: s/review, "
	             "rules: [transport, transport-scan, transport-office], settle_ms: 0}\n",
	             src, src, src, workers_line());
	spits(cfg, text);
	free(text);
	return cfg;
}

/* Runs the agent once under the shim; returns its exit status, or -1 if it had to be killed. */
static int
run_case(const char *cdir, const char *cfg, const char *op, unsigned long at, int e)
{
	struct timespec ts = {0, 2000000};
	pid_t pid = fork();
	int st, waited = 0;

	if (pid == 0) {
		/* An agent must not outlive a test that crashed or was stopped. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		char *log = pathf("%s/agent.log", cdir), *fdir = pathf("%s/s", cdir);
		char *rep = pathf("%s/report", cdir), *num = pathf("%lu", at), *en = pathf("%d", e);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		setenv("LD_PRELOAD", shim, 1);
		setenv("FAULT_DIR", fdir, 1);
		setenv("FAULT_ARM", "/work/", 1);
		setenv("FAULT_REPORT", rep, 1);
		setenv("FAULT_OP", op, 1);
		setenv("FAULT_AT", num, 1);
		setenv("FAULT_ERRNO", en, 1);
		execl(bin, bin, "run", "--once", "-c", cfg, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (waited >= CASE_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		nanosleep(&ts, NULL);
		waited += 2;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The shim's report: the count of op, or of "fired". */
static unsigned long
report_value(const char *cdir, const char *key)
{
	char *p = pathf("%s/report", cdir), *text = slurp(p, NULL), *line;
	unsigned long v = 0;
	size_t kl = strlen(key);

	for (line = text; line != NULL && *line != '\0'; line = strchr(line, '\n'), line += !!line)
		if (strncmp(line, key, kl) == 0 && line[kl] == ' ')
			v = strtoul(line + kl + 1, NULL, 10);
	free(text);
	free(p);
	return v;
}

/* Whether two entries hold the same bytes (files) or the same target (links). */
static int
same_entry(const char *a, const char *b)
{
	struct stat sa, sb;
	char *x, *y;
	size_t lx, ly;
	int same;

	if (lstat(a, &sa) != 0 || lstat(b, &sb) != 0 ||
	    (sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT))
		return 0;
	if (S_ISLNK(sa.st_mode)) {
		char ta[4096], tb[4096];
		ssize_t na = readlink(a, ta, sizeof ta), nb = readlink(b, tb, sizeof tb);

		return na == nb && na >= 0 && memcmp(ta, tb, (size_t)na) == 0;
	}
	x = slurp(a, &lx);
	y = slurp(b, &ly);
	same = x != NULL && y != NULL && lx == ly && memcmp(x, y, lx) == 0;
	free(x);
	free(y);
	return same;
}

/* Names in got and want that are missing, extra or different; each printed with why. */
static int
tree_diff(const char *got, const char *want, const char *label, int quiet)
{
	struct dirent *de;
	struct stat st;
	char *a, *b;
	int n = 0, pass;
	DIR *dp;

	for (pass = 0; pass < 2; pass++) {
		if ((dp = opendir(pass == 0 ? want : got)) == NULL)
			continue;
		while ((de = readdir(dp)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			a = pathf("%s/%s", got, de->d_name);
			b = pathf("%s/%s", want, de->d_name);
			if (pass == 0 && !same_entry(a, b)) {
				if (!quiet)
					fprintf(stderr, "faulttest: %s: %s %s\n", label, a,
					        access(a, F_OK) == 0 ? "differs" : "missing");
				n++;
			} else if (pass == 1 && lstat(b, &st) != 0) {
				if (!quiet)
					fprintf(stderr, "faulttest: %s: %s is extra\n", label, a);
				n++;
			}
			free(a);
			free(b);
		}
		closedir(dp);
	}
	return n;
}

/* Whether any reason file in rejected/ says the file could not be opened for want of access. */
static int
rejected_for_access(const char *cdir)
{
	char *cmd = pathf("grep -lq 'cannot open: %s' '%s'/s/rejected/*.reason.txt 2>/dev/null",
	                  strerror(EACCES), cdir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0;
}

struct tally {
	int stopped, lost, doubled, unrecorded, differs, broken;
};

/* The audit log's completions against the folders: one per input, every output named. */
static void
check_audit(const char *cdir, const char *label, struct tally *t)
{
	char *adir = pathf("%s/s/audit", cdir), *p, *text, *line, *nl, *cmd;
	json_t *named = json_object(), *per_input = json_object(), *rec, *o;
	struct dirent *de;
	size_t i;
	DIR *dp;

	if ((dp = opendir(adir)) != NULL) {
		while ((de = readdir(dp)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			p = pathf("%s/%s", adir, de->d_name);
			text = slurp(p, NULL);
			for (line = text; line != NULL && *line != '\0'; line = nl) {
				nl = strchr(line, '\n');
				if (nl != NULL)
					*nl++ = '\0';
				rec = json_loads(line, 0, NULL);
				if (rec != NULL &&
				    strcmp(json_string_value(json_object_get(rec, "event")),
				           "completed") == 0) {
					const char *name = json_string_value(
					    json_object_get(json_object_get(rec, "input"), "name"));
					const char *outcome =
					    json_string_value(json_object_get(rec, "outcome"));

					if (name != NULL && outcome != NULL &&
					    strcmp(outcome, "resumed") != 0)
						json_object_set_new(
						    per_input, name,
						    json_integer(json_integer_value(json_object_get(
						                     per_input, name)) +
						                 1));
					json_array_foreach(json_object_get(rec, "outputs"), i, o)
					    json_object_set(
					        named,
					        json_string_value(json_object_get(o, "name")),
					        json_true());
				}
				json_decref(rec);
			}
			free(text);
			free(p);
		}
		closedir(dp);
	}
	if ((dp = opendir(inputs)) != NULL) {
		while ((de = readdir(dp)) != NULL) {
			json_int_t n;

			if (de->d_name[0] == '.')
				continue;
			n = json_integer_value(json_object_get(per_input, de->d_name));
			if (n != 1) {
				fprintf(stderr, "faulttest: %s: %s has %lld completions\n", label,
				        de->d_name, (long long)n);
				if (n == 0)
					t->lost++;
				else
					t->doubled++;
			}
		}
		closedir(dp);
	}
	p = pathf("%s/s/out", cdir);
	if ((dp = opendir(p)) != NULL) {
		while ((de = readdir(dp)) != NULL)
			if (de->d_name[0] != '.' && json_object_get(named, de->d_name) == NULL) {
				fprintf(stderr, "faulttest: %s: out/%s has no audit record\n",
				        label, de->d_name);
				t->unrecorded++;
			}
		closedir(dp);
	}
	free(p);
	cmd = pathf("'%s' audit verify -c '%s/formagent.yaml' >/dev/null 2>&1", bin, cdir);
	if (system(cmd) != 0) {
		fprintf(stderr, "faulttest: %s: the audit log does not verify\n", label);
		t->broken++;
	}
	free(cmd);
	/* A claim entered without its record, or recorded without its entry, is lost for good. */
	{
		char *cfg = pathf("%s/formagent.yaml", cdir);
		int log_only, reg_only, rc = claims_differences(bin, cfg, &log_only, &reg_only);

		if (rc != 0) {
			fprintf(stderr,
			        "faulttest: %s: the claims register and the audit log differ: %d "
			        "payments not entered, %d entries not recorded\n",
			        label, log_only, reg_only);
			t->lost += log_only;
			t->unrecorded += reg_only;
			t->broken += log_only + reg_only == 0;
		}
		free(cfg);
	}
	json_decref(named);
	json_decref(per_input);
	free(adir);
}

/* Checks one finished case against the reference; returns the number of problems. */
static int
check_case(const char *cdir, const char *ref, const char *label, int rc, int e, struct tally *t)
{
	static const char *const subs[] = {"out", "done", "rejected", "review"};
	struct tally before = *t;
	char *a, *b;
	int d = 0;
	size_t i;

	if (rc != 0) {
		fprintf(stderr, "faulttest: %s: the agent %s (see %s/agent.log)\n", label,
		        rc == -1 ? "did not finish" : "failed", cdir);
		t->stopped++;
	}
	for (i = 0; i < 2; i++) {
		const char *sub = i == 0 ? "inbox" : "work";

		a = pathf("%s/s/%s", cdir, sub);
		if (count_files(a, "") > 0) {
			fprintf(stderr, "faulttest: %s: files left in %s/\n", label, sub);
			t->lost++;
		}
		free(a);
	}
	for (i = 0; i < 4; i++) {
		a = pathf("%s/s/%s", cdir, subs[i]);
		if (count_files(a, ".tmp") > 0) {
			fprintf(stderr, "faulttest: %s: a temporary file is left in %s/\n", label,
			        subs[i]);
			t->broken++;
		}
		free(a);
	}
	for (i = 0; i < 4; i++) {
		a = pathf("%s/s/%s", cdir, subs[i]);
		b = pathf("%s/s/%s", ref, subs[i]);
		d += tree_diff(a, b, label, 1);
		free(a);
		free(b);
	}
	/* A file the agent may not open is rejected with that reason: the clerk's to look at. */
	if (d > 0 && !(e == EACCES && rejected_for_access(cdir))) {
		for (i = 0; i < 4; i++) {
			a = pathf("%s/s/%s", cdir, subs[i]);
			b = pathf("%s/s/%s", ref, subs[i]);
			tree_diff(a, b, label, 0);
			free(a);
			free(b);
		}
		t->differs++;
	}
	/* Each input in exactly one of done/, rejected/ and review/. */
	{
		DIR *dp = opendir(inputs);
		struct dirent *de;

		while ((de = readdir(dp)) != NULL) {
			struct stat st;
			int in = 0;

			if (de->d_name[0] == '.')
				continue;
			for (i = 1; i < 4; i++) {
				a = pathf("%s/s/%s/%s", cdir, subs[i], de->d_name);
				in += lstat(a, &st) == 0;
				free(a);
			}
			if (in == 0) {
				fprintf(stderr, "faulttest: %s: lost input %s\n", label,
				        de->d_name);
				t->lost++;
			} else if (in > 1) {
				fprintf(stderr,
				        "faulttest: %s: %s in more than one of done/, rejected/, "
				        "review/\n",
				        label, de->d_name);
				t->doubled++;
			}
		}
		closedir(dp);
	}
	check_audit(cdir, label, t);
	return (t->stopped - before.stopped) + (t->lost - before.lost) +
	       (t->doubled - before.doubled) + (t->unrecorded - before.unrecorded) +
	       (t->differs - before.differs) + (t->broken - before.broken);
}

int
main(void)
{
	const char *s = getenv("FAULT_PER_OP"), *keep = getenv("FAULT_KEEP");
	unsigned long per_op = s != NULL && atol(s) > 0 ? (unsigned long)atol(s) : 200, n, j, tries,
	              total[NOPS];
	struct tally t = {0};
	int cases = 0, fired = 0, failed = 0, rc;
	char *ref, *cdir, *cfg, *label;
	size_t i, k;

	bin = getenv("FORMAGENT");
	shim = getenv("FAULT_SHIM");
	src = getenv("SRCDIR");
	if (bin == NULL || shim == NULL || src == NULL) {
		fprintf(stderr, "faulttest: set FORMAGENT, FAULT_SHIM and SRCDIR (make faulttest "
		                "does)\n");
		return 2;
	}
	dir = tmpdir_new();
	make_inputs();
	/* The reference: the same inputs with nothing failing, which also counts the calls. */
	ref = pathf("%s/reference", dir);
	cfg = new_case(ref);
	if ((rc = run_case(ref, cfg, "none", 0, 0)) != 0 ||
	    check_case(ref, ref, "reference", rc, 0, &t)) {
		fprintf(stderr, "faulttest: the run without faults fails (see %s)\n", ref);
		return 2;
	}
	free(cfg);
	for (i = 0; i < NOPS; i++)
		total[i] = report_value(ref, ops[i]);
	printf("faulttest: calls on the spool per run:");
	for (i = 0; i < NOPS; i++)
		printf(" %s %lu", ops[i], total[i]);
	printf(" (at most %lu of each tried)\n", per_op);
	cdir = pathf("%s/case", dir);
	for (i = 0; i < NOPS; i++)
		for (tries = total[i] < per_op ? total[i] : per_op, j = 0; j < tries; j++)
			for (k = 0; k < NERRNOS; k++) {
				/* Call 1 to call total[i], evenly; all of them when there are few.
				 */
				n = tries == 1 ? 1 : 1 + j * (total[i] - 1) / (tries - 1);
				label = pathf("%s #%lu %s", ops[i], n, errnos[k].name);
				cfg = new_case(cdir);
				rc = run_case(cdir, cfg, ops[i], n, errnos[k].e);
				cases++;
				fired += report_value(cdir, "fired") == 1;
				if (check_case(cdir, ref, label, rc, errnos[k].e, &t) > 0) {
					failed++;
					if (keep != NULL) {
						char *cmd = pathf("cp -a '%s' '%s/failed-%d'", cdir,
						                  dir, failed);

						if (system(cmd) != 0)
							perror("cp");
						free(cmd);
					}
				}
				free(cfg);
				free(label);
			}
	printf("faulttest: stopped %d, lost %d, doubled %d, unrecorded %d, differs %d, broken %d\n",
	       t.stopped, t.lost, t.doubled, t.unrecorded, t.differs, t.broken);
	printf("faulttest: %d cases, %d faults fired, failed %d\n", cases, fired, failed);
	if (failed == 0 || keep == NULL)
		rmtree(dir);
	else
		fprintf(stderr, "faulttest: the failed cases are kept in %s\n", dir);
	free(cdir);
	free(ref);
	return failed > 0 ? 1 : 0;
}
