/*
 * make crashtest: the no-loss, no-double promise under SIGKILL. Each cycle drops a random mix of
 * good, partly bad and broken claim files into a running agent's inbox, kills the agent with
 * SIGKILL at a random moment and starts it again. At the end the agent drains what is left, and
 * the end state is compared with a clean `formagent process` of the same inputs:
 *
 *   lost     an input in neither done/ nor rejected/, or an expected output missing
 *   doubled  an input in both, an output twice (a name-2 copy), or two "produced" completions
 *   stray    a file left in work/, a temporary file, an output a clean run does not make, or
 *            an output whose bytes differ from the clean run's
 *
 * and the audit log must verify, and `claims check` find the claims register and the audit log
 * the same (a payment not entered counts as lost, an entry not recorded as stray). Prints
 * "crashtest: N cycles, lost 0, doubled 0, stray 0" and exits non-zero if any count is not 0.
 * CRASH_CYCLES sets the number of cycles (default 200).
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
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

static const char *bin;
static char *cfg, *dir;
static int lost, doubled, stray;

static pid_t
start(const char *extra)
{
	pid_t pid = fork();
	int fd;

	if (pid == 0) {
		/* An agent must not outlive a test that crashed or was stopped. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		char *log = pathf("%s/agent.log", dir);

		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 2);
		dup2(fd, 1);
		execl(bin, bin, "run", "-c", cfg, extra, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/*
 * A claim file: kind 0 good, 1 some rows wrong, 2 a broken quote (refused whole). Case numbers
 * come from the cycle and the file, so no two inputs are the same file (the agent would rightly
 * refuse the second as a duplicate, which a clean run of each file alone does not).
 */
static char *
claim_file(int cycle, int n, int kind, int rows)
{
	size_t cap = (size_t)rows * 160 + 400, len = 0;
	char *buf = malloc(cap);
	int i, amount;

	len += (size_t)snprintf(buf, cap,
	                        "ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,"
	                        "通院日,医療機関名,経路,交通機関,片道運賃,往復回数,支給額,"
	                        "担当CW,備考\r\n");
	for (i = 0; i < rows; i++) {
		amount = kind == 1 && i % 3 == 1 ? 2100 : 2000;
		len += (size_t)snprintf(buf + len, cap - len,
		                        "%04d-%05d,a,,a,通院移送費,R6.4.3,R6.4.%d,病院,経路,地下鉄,"
		                        "250,4,%d,山田,c%d%s\r\n",
		                        cycle * 10 + n, i, 1 + i % 20, amount, cycle,
		                        kind == 2 && i == rows - 1 ? " \"open" : "");
	}
	return buf;
}

static int
count(const char *sub, const char *suffix)
{
	char *p = pathf("%s/%s", dir, sub);
	int n = count_files(p, suffix);

	free(p);
	return n < 0 ? 0 : n;
}

/* Compares every file of a with b (names and bytes); counts what is missing, extra or different. */
static void
compare_dirs(const char *got, const char *want, const char *skip_suffix)
{
	struct dirent *de;
	char *a, *b, *x, *y;
	size_t lx, ly;
	DIR *dp;

	if ((dp = opendir(want)) != NULL) {
		while ((de = readdir(dp)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			a = pathf("%s/%s", got, de->d_name);
			b = pathf("%s/%s", want, de->d_name);
			x = slurp(a, &lx);
			y = slurp(b, &ly);
			if (x == NULL) {
				fprintf(stderr, "crashtest: lost output %s\n", de->d_name);
				lost++;
			} else if (lx != ly || memcmp(x, y, lx) != 0) {
				fprintf(stderr, "crashtest: %s differs from a clean run\n",
				        de->d_name);
				stray++;
			}
			free(x);
			free(y);
			free(a);
			free(b);
		}
		closedir(dp);
	}
	if ((dp = opendir(got)) != NULL) {
		while ((de = readdir(dp)) != NULL) {
			size_t l = strlen(de->d_name);

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (skip_suffix != NULL && l > strlen(skip_suffix) &&
			    strcmp(de->d_name + l - strlen(skip_suffix), skip_suffix) == 0)
				continue;
			b = pathf("%s/%s", want, de->d_name);
			if (access(b, F_OK) != 0) {
				fprintf(stderr, "crashtest: stray file %s in %s\n", de->d_name,
				        got);
				if (strstr(de->d_name, "-2.") != NULL)
					doubled++;
				else
					stray++;
			}
			free(b);
		}
		closedir(dp);
	}
}

int
main(void)
{
	const char *cyc = getenv("CRASH_CYCLES");
	int cycles = cyc != NULL ? atoi(cyc) : 200, c, k, files = 0, st;
	char *src = getenv("SRCDIR"), *text, *p, *cmd, *ref, *inputs;
	pid_t pid;

	bin = getenv("FORMAGENT");
	if (bin == NULL || src == NULL) {
		fprintf(stderr, "crashtest: set FORMAGENT and SRCDIR (make crashtest does)\n");
		return 2;
	}
	dir = tmpdir_new();
	srand((unsigned)time(NULL));
	cfg = pathf("%s/formagent.yaml", dir);
	/* The print PDF from a stand-in LibreOffice: a crash may come while a file waits for it. */
	text = pathf("rules: %s/rules\ntemplates: %s/templates\naudit: {dir: audit}\n"
	             "print: {soffice: %s/tests/fixtures/office/soffice}\n%s"
	             "spools:\n  - {name: s, inbox: inbox, work: work, out: out, done: done, "
	             "rejected: rejected, rules: [transport, transport-office], settle_ms: 0}\n",
	             src, src, src, workers_line());
	spits(cfg, text);
	free(text);
	inputs = pathf("%s/inputs", dir);
	mkdir(inputs, 0755);
	p = pathf("%s/inbox", dir);
	mkdir(p, 0755);
	free(p);
	for (c = 0; c < cycles; c++) {
		pid = start(NULL);
		usleep(100000);
		for (k = 0; k < 3; k++) {
			/* The third file of a cycle fills the office's own workbooks. */
			char *name =
			         pathf("%stransport-c%03d-%d.csv", k == 2 ? "office-" : "", c, k),
			     *tmp, *dst, *keep;

			text = claim_file(c, k, rand() % 3, 1 + rand() % 12);
			tmp = pathf("%s/.%s.part", dir, name);
			dst = pathf("%s/inbox/%s", dir, name);
			keep = pathf("%s/%s", inputs, name);
			spits(keep, text);
			spits(tmp, text);
			if (rename(tmp, dst) != 0)
				return 2;
			files++;
			free(text);
			free(tmp);
			free(dst);
			free(keep);
			free(name);
		}
		usleep((useconds_t)(rand() % 250000));
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	pid = start("--once");
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "crashtest: the draining run failed (see %s/agent.log)\n", dir);
		stray++;
	}
	/* Every input in exactly one of done/ and rejected/, nothing left behind. */
	{
		DIR *dp = opendir(inputs);
		struct dirent *de;

		while ((de = readdir(dp)) != NULL) {
			char *d, *r;
			int in_done, in_rej;

			if (de->d_name[0] == '.')
				continue;
			d = pathf("%s/done/%s", dir, de->d_name);
			r = pathf("%s/rejected/%s", dir, de->d_name);
			in_done = access(d, F_OK) == 0;
			in_rej = access(r, F_OK) == 0;
			if (!in_done && !in_rej) {
				fprintf(stderr, "crashtest: lost input %s\n", de->d_name);
				lost++;
			} else if (in_done && in_rej)
				doubled++;
			free(d);
			free(r);
		}
		closedir(dp);
	}
	stray += count("work", "") + count("out", ".tmp") + count("rejected", ".tmp") +
	         count("inbox", "");
	/* The outputs a clean run of the same inputs gives, byte for byte. */
	/*
	 * The claims register against the audit log: a claim entered without its record, or
	 * recorded without its entry (which could then be paid twice), is a failure.
	 */
	{
		int log_only, reg_only, rc = claims_differences(bin, cfg, &log_only, &reg_only);

		if (rc != 0)
			fprintf(stderr,
			        "crashtest: the claims register and the audit log differ: %d "
			        "payments not entered, %d entries not recorded\n",
			        log_only, reg_only);
		lost += log_only;
		stray += reg_only + (rc != 0 && log_only + reg_only == 0);
	}
	/* Its own empty register: a trial run looks the agent's up, which says all was paid. */
	ref = pathf("%s/reference", dir);
	{
		char *base = slurp(cfg, NULL), *rcfg = pathf("%s/reference.yaml", dir);

		p = pathf("%sregister: {sqlite: reference-claims.sqlite}\n", base);
		spits(rcfg, p);
		free(p);
		free(base);
		cmd = pathf("cd '%s' && for f in *.csv; do '%s' process -q -c '%s' --out '%s' "
		            "\"$f\" >/dev/null 2>&1; done",
		            inputs, bin, rcfg, ref);
		free(rcfg);
	}
	if (system(cmd) == -1)
		return 2;
	free(cmd);
	/* rejected/ also holds the refused inputs themselves, which the reference does not. */
	p = pathf("%s/rejected", dir);
	{
		char *rref = pathf("%s/reference-rejected", dir);

		cmd = pathf("mkdir -p '%s' && cd '%s' && for f in *.reason.txt *.rejected.csv; do "
		            "[ -e \"$f\" ] && mv \"$f\" '%s/'; done; true",
		            rref, ref, rref);
		if (system(cmd) == -1)
			return 2;
		free(cmd);
		compare_dirs(p, rref, ".csv");
		free(rref);
	}
	p = pathf("%s/out", dir);
	compare_dirs(p, ref, NULL);
	/* The office's files made its workbooks (not refused whole, which would compare alike). */
	cmd = pathf("ls '%s' | grep -c '^office-transport-.*\\.ledger\\.xlsx$'", p);
	{
		FILE *fp = popen(cmd, "r");
		int n = 0;

		if (fp == NULL || fscanf(fp, "%d", &n) != 1 || n < cycles / 2) {
			fprintf(stderr, "crashtest: only %d office workbook ledgers in out/\n", n);
			stray++;
		}
		if (fp != NULL)
			pclose(fp);
	}
	free(cmd);
	free(p);
	/* Exactly one produced (or rejected) completion per input; resumed ones are the repeats. */
	cmd = pathf("cd '%s' && cat audit/*.jsonl | grep '\"event\":\"completed\"' | grep -v "
	            "'\"outcome\":\"resumed\"' | grep -o "
	            "'\"name\":\"[a-z-]*transport-c[0-9]*-[0-9].csv\"' | "
	            "sort | uniq -c | awk '$1 > 1' | wc -l",
	            dir);
	{
		FILE *fp = popen(cmd, "r");
		int n = 0;

		if (fscanf(fp, "%d", &n) == 1)
			doubled += n;
		pclose(fp);
	}
	free(cmd);
	/* ... and every input has one: an input done without its record is a claim the audit lost.
	 */
	cmd = pathf("cd '%s' && cat audit/*.jsonl | grep '\"event\":\"completed\"' | "
	            "grep -o '\"name\":\"[a-z-]*transport-c[0-9]*-[0-9].csv\"' | sort -u | wc -l",
	            dir);
	{
		FILE *fp = popen(cmd, "r");
		int n = 0;

		if (fscanf(fp, "%d", &n) == 1 && n < files) {
			fprintf(stderr,
			        "crashtest: %d inputs have no completion in the audit log\n",
			        files - n);
			lost += files - n;
		}
		pclose(fp);
	}
	free(cmd);
	cmd = pathf("'%s' audit verify -c '%s' >/dev/null", bin, cfg);
	if (system(cmd) != 0) {
		fprintf(stderr, "crashtest: the audit log does not verify\n");
		stray++;
	}
	free(cmd);
	printf("crashtest: %d files dropped, each cycle killed with SIGKILL\n", files);
	printf("crashtest: %d cycles, lost %d, doubled %d, stray %d\n", cycles, lost, doubled,
	       stray);
	if (lost == 0 && doubled == 0 && stray == 0)
		rmtree(dir);
	else
		fprintf(stderr, "crashtest: the folders are kept in %s\n", dir);
	return lost || doubled || stray ? 1 : 0;
}
