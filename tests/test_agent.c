/*
 * End-to-end tests of `formagent run` on real folders: what a clerk drops is taken once and
 * whole, odd files are rejected without being opened, a broken rule does not replace working
 * ones, SIGTERM leaves nothing half-written, polling works without inotify, status shows the
 * queue, a restart finishes work/, and a burst larger than the inotify queue loses nothing.
 * Each test starts the real binary with its own configuration in a temporary folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "hash.h"
#include "testutil.h"
#include "xlsxread.h"

struct env {
	char *dir, *cfg, *err;
	pid_t pid;
};

/*
 * A failed assertion jumps out of the test: the teardown then stops the agent it left running
 * and unmounts what it mounted.
 */
static pid_t running, running2;
static char *mounted;

static const char tiny_rule[] = "match: {glob: \"tiny-*.csv\", header: [a, b]}\n"
                                "fields:\n"
                                "  a: {from: a, type: text, required: true, audit: true}\n"
                                "  b: {from: b, type: int, audit: true}\n"
                                "outputs:\n"
                                "  import: {name: \"{_input}.import.csv\", encoding: utf-8, "
                                "columns: [{field: a}, {field: b}]}\n";

/* A configuration in a new folder: the shipped rules plus a tiny one, and the given options. */
static void
env_new(struct env *e, const char *spool_opts, const char *top_opts)
{
	char *rules, *src, *text, *p, *office, *print;

	memset(e, 0, sizeof *e);
	e->dir = tmpdir_new();
	rules = pathf("%s/rules", e->dir);
	mkdir(rules, 0755);
	src = srcpath("rules");
	text = pathf("cp %s/transport.yaml %s/household-goods.yaml %s/transport-scan.yaml %s/", src,
	             src, src, rules);
	assert_int_equal(system(text), 0);
	free(text);
	free(src);
	p = pathf("%s/tiny.yaml", rules);
	spits(p, tiny_rule);
	free(p);
	src = srcpath("templates");
	e->cfg = pathf("%s/formagent.yaml", e->dir);
	/*
	 * The print PDFs come from a stand-in LibreOffice, unless the test says otherwise: set
	 * last, so that the other lines keep their numbers for the messages tests expect.
	 */
	office = srcpath("tests/fixtures/office/soffice");
	print =
	    top_opts != NULL && strstr(top_opts, "print:") != NULL
	        ? pathf("tmpdir: %s/tmp\n", e->dir)
	        : pathf("print: {soffice: %s, timeout_s: 10}\ntmpdir: %s/tmp\n", office, e->dir);
	text = pathf(
	    "rules: rules\ntemplates: %s\naudit: {dir: audit}\n%s\nspools:\n"
	    "  - {name: s, inbox: inbox, work: work, out: out, done: done, rejected: rejected,\n"
	    "     rules: [transport, household-goods, transport-scan, tiny]%s%s}\n%s",
	    src, top_opts != NULL ? top_opts : "", spool_opts != NULL ? ", " : "",
	    spool_opts != NULL ? spool_opts : "", print);
	spits(e->cfg, text);
	free(text);
	free(src);
	free(office);
	free(print);
	free(rules);
	e->err = pathf("%s/agent.log", e->dir);
	p = pathf("%s/inbox", e->dir);
	mkdir(p, 0755);
	free(p);
	/* The scratch folder, LibreOffice's profiles among it: one per test, as pgrep can tell. */
	p = pathf("%s/tmp", e->dir);
	mkdir(p, 0755);
	free(p);
}

static void
env_start(struct env *e, const char *extra)
{
	const char *bin = getenv("FORMAGENT");
	int fd;

	if (bin == NULL)
		bin = "./build/formagent";
	if ((e->pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* not outliving a crashed test */
		fd = open(e->err, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 2);
		dup2(fd, 1);
		if (extra != NULL)
			execl(bin, bin, "run", "-c", e->cfg, extra, (char *)NULL);
		else
			execl(bin, bin, "run", "-c", e->cfg, (char *)NULL);
		_exit(127);
	}
	assert_true(e->pid > 0);
	running = e->pid;
}

/* Waits for the agent to exit; returns its status, or -1 after timeout_ms. */
static int
env_wait(struct env *e, int timeout_ms)
{
	int st, waited = 0;
	pid_t r;

	while ((r = waitpid(e->pid, &st, WNOHANG)) == 0 && waited < timeout_ms) {
		usleep(20000);
		waited += 20;
	}
	if (r != e->pid)
		return -1;
	e->pid = 0;
	running = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int
env_stop(struct env *e)
{
	int rc;

	if (e->pid <= 0)
		return 0;
	kill(e->pid, SIGCONT);
	kill(e->pid, SIGTERM);
	if ((rc = env_wait(e, 30000)) == -1) {
		kill(e->pid, SIGKILL);
		env_wait(e, 5000);
	}
	return rc;
}

static void
env_free(struct env *e)
{
	env_stop(e);
	rmtree(e->dir);
	free(e->dir);
	free(e->cfg);
	free(e->err);
}

static int
cleanup(void **state)
{
	char *cmd;

	(void)state;
	if (running > 0) {
		kill(running, SIGKILL);
		waitpid(running, NULL, 0);
		running = 0;
	}
	if (running2 > 0) {
		kill(running2, SIGKILL);
		waitpid(running2, NULL, 0);
		running2 = 0;
	}
	if (mounted != NULL) {
		cmd = pathf("umount -l '%s'", mounted);
		if (system(cmd) != 0)
			print_message("could not unmount %s\n", mounted);
		free(cmd);
		free(mounted);
		mounted = NULL;
	}
	return 0;
}

static int
count_in(struct env *e, const char *sub, const char *suffix)
{
	char *p = pathf("%s/%s", e->dir, sub);
	int n = count_files(p, suffix);

	free(p);
	return n;
}

/* Polls until sub/ holds at least n files ending in suffix; 0, or -1 after timeout_ms. */
static int
wait_count(struct env *e, const char *sub, const char *suffix, int n, int timeout_ms)
{
	int waited = 0;

	while (count_in(e, sub, suffix) < n) {
		if (waited >= timeout_ms)
			return -1;
		usleep(20000);
		waited += 20;
	}
	return 0;
}

/* Polls until sub/ holds no file ending in suffix; 0, or -1 after timeout_ms. */
static int
wait_empty(struct env *e, const char *sub, const char *suffix, int timeout_ms)
{
	int waited = 0;

	while (count_in(e, sub, suffix) > 0) {
		if (waited >= timeout_ms)
			return -1;
		usleep(20000);
		waited += 20;
	}
	return 0;
}

static int
log_has(struct env *e, const char *text)
{
	char *log = slurp(e->err, NULL);
	int found = log != NULL && strstr(log, text) != NULL;

	free(log);
	return found;
}

static int
wait_log(struct env *e, const char *text, int timeout_ms)
{
	int waited = 0;

	while (!log_has(e, text)) {
		if (waited >= timeout_ms)
			return -1;
		usleep(20000);
		waited += 20;
	}
	return 0;
}

/* Counts audit records with this event (and, if not NULL, this input name and outcome). */
static int
audit_count(struct env *e, const char *event, const char *name, const char *outcome)
{
	char *cmd = pathf("cat %s/audit/*.jsonl 2>/dev/null", e->dir), *line = NULL;
	size_t cap = 0;
	json_t *rec;
	FILE *fp = popen(cmd, "r");
	int n = 0;

	free(cmd);
	/* A completed record holds every row: lines can be long. */
	while (getline(&line, &cap, fp) != -1) {
		if ((rec = json_loads(line, 0, NULL)) == NULL)
			continue;
		if (strcmp(json_string_value(json_object_get(rec, "event")), event) == 0 &&
		    (name == NULL || strcmp(json_string_value(json_object_get(
		                                json_object_get(rec, "input"), "name"))
		                                ?: "",
		                            name) == 0) &&
		    (outcome == NULL ||
		     strcmp(json_string_value(json_object_get(rec, "outcome")) ?: "", outcome) ==
		         0))
			n++;
		json_decref(rec);
	}
	free(line);
	pclose(fp);
	return n;
}

/* Asserts that the file at rel (under the test's folder) holds text. */
static void
assert_file_says(struct env *e, const char *rel, const char *text)
{
	char *p = pathf("%s/%s", e->dir, rel), *got = slurp(p, NULL);

	assert_non_null(got);
	if (strstr(got, text) == NULL)
		print_error("%s does not say \"%s\"; it says:\n%s\n", rel, text, got);
	assert_non_null(strstr(got, text));
	free(got);
	free(p);
}

/* Asserts that rel (under the test's folder) exists. */
static void
assert_exists(struct env *e, const char *rel)
{
	char *p = pathf("%s/%s", e->dir, rel);

	if (access(p, F_OK) != 0)
		print_error("%s does not exist\n", rel);
	assert_int_equal(access(p, F_OK), 0);
	free(p);
}

static void
assert_log_verifies(struct env *e)
{
	char *out;

	assert_int_equal(run_agent(NULL, &out, NULL, "audit verify -c '%s'", e->cfg), 0);
	assert_non_null(strstr(out, "OK: "));
	free(out);
}

static void
drop(struct env *e, const char *name, const char *text)
{
	char *tmp = pathf("%s/.%s.part", e->dir, name), *dst = pathf("%s/inbox/%s", e->dir, name);

	spits(tmp, text);
	assert_int_equal(rename(tmp, dst), 0);
	free(tmp);
	free(dst);
}

static void
test_files_before_start(void **state)
{
	char *sample = samplepath("transport-2024-04.cp932.csv"), *cmd;
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 100", NULL);
	cmd = pathf("cp '%s' '%s/inbox/'", sample, e.dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	env_start(&e, NULL);
	assert_int_equal(wait_count(&e, "done", ".csv", 1, 30000), 0);
	assert_int_equal(count_in(&e, "out", ".xlsx"), 5);
	assert_int_equal(count_in(&e, "out", ".import.csv"), 1);
	assert_int_equal(count_in(&e, "work", ""), 0);
	assert_int_equal(count_in(&e, "inbox", ""), 0);
	assert_int_equal(env_stop(&e), 0);
	assert_int_equal(audit_count(&e, "completed", "transport-2024-04.cp932.csv", "produced"),
	                 1);
	assert_int_equal(audit_count(&e, "started", NULL, NULL), 1);
	assert_int_equal(audit_count(&e, "stopped", NULL, NULL), 1);
	assert_log_verifies(&e);
	/* Names, clinics and notes never reach the audit log or the agent's log. */
	cmd = pathf("grep -rlE '札幌|北野|石狩|東区中央病院|人工透析|佐藤' '%s/audit' '%s'", e.dir,
	            e.err);
	assert_int_not_equal(system(cmd), 0);
	free(cmd);
	free(sample);
	env_free(&e);
}

/* A file written in five pieces over three seconds, closed between pieces, is taken once, whole. */
static void
test_written_in_pieces(void **state)
{
	char *path, *done, *text;
	struct env e;
	int fd, i;

	(void)state;
	env_new(&e, "settle_ms: 1000", NULL);
	env_start(&e, NULL);
	path = pathf("%s/inbox/tiny-pieces.csv", e.dir);
	for (i = 0; i < 5; i++) {
		char piece[64];

		snprintf(piece, sizeof piece, i == 0 ? "a,b\r\n" : "row%d,%d\r\n", i, i);
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		assert_int_equal(write(fd, piece, strlen(piece)), (ssize_t)strlen(piece));
		close(fd);
		usleep(650000);
	}
	free(path);
	assert_int_equal(wait_count(&e, "done", ".csv", 1, 30000), 0);
	done = pathf("%s/done/tiny-pieces.csv", e.dir);
	text = slurp(done, NULL);
	assert_string_equal(text, "a,b\r\nrow1,1\r\nrow2,2\r\nrow3,3\r\nrow4,4\r\n");
	free(text);
	free(done);
	assert_int_equal(env_stop(&e), 0);
	assert_int_equal(audit_count(&e, "claimed", "tiny-pieces.csv", NULL), 1);
	assert_int_equal(audit_count(&e, "completed", "tiny-pieces.csv", "produced"), 1);
	env_free(&e);
}

/* The reason text after "not processed: " (or "was not processed: ") up to its line's end. */
static char *
reason_in(const char *text)
{
	const char *p = strstr(text, "not processed: ");

	if (p == NULL)
		return NULL;
	p += strlen("not processed: ");
	return strndup(p, strcspn(p, "\n"));
}

/*
 * `process` and the agent go through one gate: a symbolic link, a hard link and a file too
 * large are refused by both with the same reason, word for word (what process prints, and what
 * the agent's reason file says); a duplicate by the agent.
 */
static void
test_one_gate(void **state)
{
	static const char *const names[] = {"tiny-link.csv", "tiny-hard.csv", "tiny-large.csv",
	                                    "tiny-again.csv"};
	char *p, *q, *err, *text, *by_process[3], *by_agent;
	struct env e;
	size_t i;

	(void)state;
	env_new(&e, "settle_ms: 100, max_bytes: 64", "language: en");
	/* A first file the agent pays; the same bytes come back as tiny-again.csv. */
	env_start(&e, "--once");
	drop(&e, "tiny-first.csv", "a,b\r\nx,1\r\n");
	assert_int_equal(env_wait(&e, 30000), 0);
	assert_int_equal(count_in(&e, "done", "tiny-first.csv"), 1);

	p = pathf("%s/tiny-link.csv", e.dir);
	assert_int_equal(symlink("/etc/hostname", p), 0);
	free(p);
	p = pathf("%s/hard-target.csv", e.dir);
	spits(p, "a,b\r\ny,2\r\n");
	q = pathf("%s/tiny-hard.csv", e.dir);
	assert_int_equal(link(p, q), 0);
	free(p);
	free(q);
	p = pathf("%s/tiny-large.csv", e.dir);
	spits(p, "a,b\r\nzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz,3\r\n");
	free(p);
	p = pathf("%s/tiny-again.csv", e.dir);
	spits(p, "a,b\r\nx,1\r\n");
	free(p);
	for (i = 0; i < 4; i++) {
		p = pathf("%s/%s", e.dir, names[i]);
		/*
		 * The first three, refused by the gate. The fourth is a trial run's to make again
		 * (a reprint): process reads no audit log; the agent refuses it as a duplicate.
		 */
		if (i < 3) {
			assert_int_equal(run_agent(NULL, NULL, &err,
			                           "process -c '%s' --out '%s/p' '%s'", e.cfg,
			                           e.dir, p),
			                 2);
			by_process[i] = reason_in(err);
			assert_non_null(by_process[i]);
			free(err);
		}
		/* The same file into the inbox, the link and the hard link as they are. */
		q = pathf("mv '%s' '%s/inbox/'", p, e.dir);
		assert_int_equal(system(q), 0);
		free(q);
		free(p);
	}
	env_start(&e, "--once");
	assert_int_equal(env_wait(&e, 30000), 0);
	for (i = 0; i < 3; i++) {
		p = pathf("rejected/%s.reason.txt", names[i]);
		q = pathf("%s/%s", e.dir, p);
		text = slurp(q, NULL);
		assert_non_null(text);
		by_agent = reason_in(text);
		assert_non_null(by_agent);
		assert_string_equal(by_agent, by_process[i]);
		free(by_agent);
		free(by_process[i]);
		free(text);
		free(q);
		free(p);
	}
	assert_file_says(&e, "rejected/tiny-link.csv.reason.txt", "symbolic link");
	assert_file_says(&e, "rejected/tiny-hard.csv.reason.txt", "more than one hard link");
	assert_file_says(&e, "rejected/tiny-large.csv.reason.txt", "more than the 64 allowed");
	assert_file_says(&e, "rejected/tiny-again.csv.reason.txt",
	                 "was already processed as claim");
	assert_int_equal(audit_count(&e, "completed", "tiny-again.csv", "duplicate"), 1);
	/* A dry run writes nothing and pays nothing: it shows a processed file's rows. */
	p = pathf("%s/done/tiny-first.csv", e.dir);
	assert_int_equal(run_agent(NULL, NULL, NULL, "process -c '%s' --dry-run '%s'", e.cfg, p),
	                 0);
	free(p);
	assert_log_verifies(&e);
	env_free(&e);
}

static void
test_renamed_in_and_special_files(void **state)
{
	char *target, *p, *q, *text;
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 100", NULL);
	target = pathf("%s/secret.txt", e.dir);
	spits(target, "not for the agent\n");
	p = pathf("%s/inbox/tiny-link.csv", e.dir);
	assert_int_equal(symlink(target, p), 0);
	free(p);
	p = pathf("%s/inbox/tiny-fifo.csv", e.dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
	p = pathf("%s/hard.csv", e.dir);
	spits(p, "a,b\r\nx,1\r\n");
	q = pathf("%s/inbox/tiny-hard.csv", e.dir);
	assert_int_equal(link(p, q), 0);
	free(p);
	free(q);
	p = pathf("%s/inbox/tiny-folder.csv", e.dir);
	mkdir(p, 0755);
	free(p);
	env_start(&e, NULL);
	drop(&e, "tiny-renamed.csv", "a,b\r\nx,1\r\n");
	assert_int_equal(wait_count(&e, "done", ".csv", 1, 30000), 0);
	assert_int_equal(wait_count(&e, "rejected", ".reason.txt", 4, 30000), 0);
	/* The link was moved as a link; its target is untouched. */
	p = pathf("%s/rejected/tiny-link.csv", e.dir);
	{
		struct stat st;

		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISLNK(st.st_mode));
	}
	free(p);
	text = slurp(target, NULL);
	assert_string_equal(text, "not for the agent\n");
	free(text);
	assert_file_says(&e, "rejected/tiny-link.csv.reason.txt",
	                 "シンボリックリンクです。リンク先は読みません");
	assert_file_says(&e, "rejected/tiny-hard.csv.reason.txt", "ハードリンクが複数あります");
	assert_file_says(&e, "rejected/tiny-folder.csv.reason.txt", "フォルダです");
	assert_file_says(&e, "rejected/tiny-fifo.csv.reason.txt", "通常のファイルではありません");
	assert_int_equal(env_stop(&e), 0);
	assert_log_verifies(&e);
	free(target);
	env_free(&e);
}

/*
 * Scanned claims (a text rule): a clean one becomes its form; one whose amount OCR misread makes
 * no form and goes to review/ with a reason naming the field, the reading and its line, and the
 * audit log says "review".
 */
static void
test_scanned_claims_and_review(void **state)
{
	static const char good[] = "ケース番号  0101-00231        申請日  令和6年4月3日\n"
	                           "対象者氏名  札幌 花子\n"
	                           "通院日  令和6年4月1日          交通機関  地下鉄\n"
	                           "医療機関名  東区中央病院\n"
	                           "片道運賃  250円               往復回数  4回\n"
	                           "支給額  2,000円\n";
	char *bad, *p, *text;
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 50", "language: en");
	env_start(&e, NULL);
	drop(&e, "scan-transport-good.txt", good);
	bad = pathf("%.*s支給額  2,OOO円\n", (int)(strstr(good, "支給額") - good), good);
	drop(&e, "scan-transport-misread.txt", bad);
	free(bad);
	assert_int_equal(wait_count(&e, "done", ".txt", 1, 30000), 0);
	assert_int_equal(wait_count(&e, "review", ".txt", 2, 30000), 0);
	assert_exists(&e, "out/transport-0101-00231-2024-04-01.xlsx");
	assert_exists(&e, "review/scan-transport-misread.txt");
	p = pathf("%s/review/scan-transport-misread.txt.review.txt", e.dir);
	text = slurp(p, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "No form was made"));
	assert_non_null(strstr(text, "'2,OOO円' is not an amount"));
	assert_non_null(strstr(text, "(read at line 6)"));
	free(text);
	free(p);
	/* Exactly one form: the misread claim made none. */
	p = pathf("%s/out", e.dir);
	assert_int_equal(count_files(p, ".xlsx"), 1);
	free(p);
	assert_int_equal(env_stop(&e), 0);
	assert_int_equal(audit_count(&e, "completed", "scan-transport-misread.txt", "review"), 1);
	assert_int_equal(audit_count(&e, "completed", "scan-transport-good.txt", "produced"), 1);
	assert_log_verifies(&e);
	env_free(&e);
}

/* The last record of event for the input name with this result, or NULL; the caller decrefs it. */
static json_t *
audit_record(struct env *e, const char *event, const char *name, const char *result)
{
	char *cmd = pathf("cat %s/audit/*.jsonl 2>/dev/null", e->dir), *line = NULL;
	size_t cap = 0;
	json_t *rec, *last = NULL;
	FILE *fp = popen(cmd, "r");

	free(cmd);
	while (getline(&line, &cap, fp) != -1) {
		if ((rec = json_loads(line, 0, NULL)) == NULL)
			continue;
		if (strcmp(json_string_value(json_object_get(rec, "event")), event) == 0 &&
		    strcmp(json_string_value(json_object_get(json_object_get(rec, "input"), "name"))
		               ?: "",
		           name) == 0 &&
		    strcmp(json_string_value(json_object_get(rec, "result")) ?: "", result) == 0) {
			json_decref(last);
			last = rec;
		} else
			json_decref(rec);
	}
	free(line);
	pclose(fp);
	return last;
}

static const char misread_claim[] = "ケース番号  0101-00231        申請日  令和6年4月3日\n"
                                    "対象者氏名  札幌 花子\n"
                                    "通院日  令和6年4月1日          交通機関  地下鉄\n"
                                    "医療機関名  東区中央病院\n"
                                    "片道運賃  250円               往復回数  4回\n"
                                    "支給額  2,OOO円\n";

/*
 * A scanned claim in review, settled by a second, corrected scan, and then its correction file
 * as well: the claim is paid once. The correction is refused with where it was paid, and the
 * first scan leaves review (nothing is left to do for it) instead of waiting there for ever.
 */
static void
test_settled_by_second_scan(void **state)
{
	struct env e;
	json_t *rec;
	char *p;

	(void)state;
	env_new(&e, "settle_ms: 50", "language: en");
	env_start(&e, NULL);
	drop(&e, "scan-transport-m.txt", misread_claim);
	assert_int_equal(wait_count(&e, "review", ".review.txt", 1, 30000), 0);
	drop(&e, "scan-transport-m2.txt",
	     "ケース番号  0101-00231        申請日  令和6年4月3日\n"
	     "対象者氏名  札幌 花子\n"
	     "通院日  令和6年4月1日          交通機関  地下鉄\n"
	     "医療機関名  東区中央病院\n"
	     "片道運賃  250円               往復回数  4回\n"
	     "支給額  2,000円\n");
	assert_int_equal(wait_count(&e, "done", "scan-transport-m2.txt", 1, 30000), 0);
	assert_file_says(&e, "out/scan-transport-m2.import.csv", "0101-00231");
	drop(&e, "scan-transport-m.txt.fix.txt", "支給額: 2000\n");
	assert_int_equal(
	    wait_count(&e, "rejected", "scan-transport-m.txt.fix.txt.reason.txt", 1, 30000), 0);
	assert_file_says(&e, "rejected/scan-transport-m.txt.fix.txt.reason.txt",
	                 "already paid: scan-transport-m2.txt, ");
	assert_int_equal(wait_empty(&e, "review", ".txt", 30000), 0);
	assert_exists(&e, "done/scan-transport-m.txt");
	assert_int_equal(env_stop(&e), 0);
	/* One import line for the claim, in all of out/. */
	p = pathf("cat '%s'/out/*.import.csv | grep -c '0101-00231' | grep -qx 1", e.dir);
	assert_int_equal(system(p), 0);
	free(p);
	/* What the scan paid is in its record's totals, though it has no ledger to total. */
	rec = audit_record(&e, "completed", "scan-transport-m2.txt", "produced");
	assert_non_null(rec);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(rec, "totals"), "amount")), 2000);
	json_decref(rec);
	assert_log_verifies(&e);
	env_free(&e);
}

/*
 * A claim in review put right by a correction file (NAME.fix.txt): ones that name no claim,
 * name an unknown field or still leave a doubt come back in rejected/ with the reason, and the
 * claim stays in review; the right one makes the form, takes the claim out of review, and its
 * record says which claim it settled and what was read and written.
 */
static void
test_scanned_correction(void **state)
{
	char *p, hex[HASH_HEX];
	json_t *rec, *fix;
	struct env e;
	int fd;

	(void)state;
	env_new(&e, "settle_ms: 50", "language: en");
	env_start(&e, NULL);
	drop(&e, "scan-transport-m.txt", misread_claim);
	assert_int_equal(wait_count(&e, "review", ".review.txt", 1, 30000), 0);
	/* The review file ends with the correction file to write, starting from what was read. */
	assert_file_says(&e, "review/scan-transport-m.txt.review.txt",
	                 "a file named scan-transport-m.txt.fix.txt");
	assert_file_says(&e, "review/scan-transport-m.txt.review.txt", "\n支給額: 2,OOO円\n");
	/* The claim itself dropped again (with its correction, say) is told where it is. */
	drop(&e, "scan-transport-m.txt", misread_claim);
	assert_int_equal(wait_count(&e, "rejected", ".reason.txt", 1, 30000), 0);
	assert_file_says(&e, "rejected/scan-transport-m.txt.reason.txt",
	                 "this claim already waits in review; to correct it, drop "
	                 "scan-transport-m.txt.fix.txt alone");

	drop(&e, "nothing.txt.fix.txt", "支給額: 2000\n");
	drop(&e, "scan-transport-m.txt.fix.txt", "金額: 2000\n");
	assert_int_equal(wait_count(&e, "rejected", ".reason.txt", 3, 30000), 0);
	assert_file_says(&e, "rejected/nothing.txt.fix.txt.reason.txt",
	                 "no claim named nothing.txt waits in review");
	assert_file_says(&e, "rejected/scan-transport-m.txt.fix.txt.reason.txt",
	                 "line 1: '金額' is not a field of rule transport-scan");
	/* A value that parses but fails the rule's check: still in doubt, no form. */
	drop(&e, "scan-transport-m.txt.fix.txt", "支給額: 3000\n");
	assert_int_equal(wait_count(&e, "rejected", ".txt", 8, 30000), 0);
	/* Its name was taken in rejected/ by the one before: the second gets -2. */
	assert_file_says(&e, "rejected/scan-transport-m.txt.fix.txt.reason-2.txt",
	                 "still has fields in doubt");
	assert_file_says(&e, "rejected/scan-transport-m.txt.fix.txt.reason-2.txt",
	                 "支給額 3,000円 が 片道運賃 250円 × 往復回数 4回 × 2 と一致しません "
	                 "(as corrected)");
	/* A field read without doubt is not the clerk's to change: 250円 must not become 100,000円.
	 */
	drop(&e, "scan-transport-m.txt.fix.txt", "支給額: 2000\n片道運賃: 100000\n");
	assert_int_equal(wait_count(&e, "rejected", ".txt", 10, 30000), 0);
	assert_file_says(&e, "rejected/scan-transport-m.txt.fix.txt.reason-3.txt",
	                 "line 2: 片道運賃 was read without doubt");
	/* Nor is a field set twice, by its label and by its name. */
	drop(&e, "scan-transport-m.txt.fix.txt", "支給額: 2000\namount: 3000\n");
	assert_int_equal(wait_count(&e, "rejected", ".txt", 12, 30000), 0);
	assert_file_says(&e, "rejected/scan-transport-m.txt.fix.txt.reason-4.txt",
	                 "line 2: 支給額 is set twice (first on line 1)");
	p = pathf("%s/out", e.dir);
	assert_int_equal(count_files(p, ".xlsx"), 0);
	free(p);

	/* In CP932, as Notepad may save it. */
	drop(&e, "scan-transport-m.txt.fix.txt", "\x8e\x78\x8b\x8b\x8a\x7a: 2000\n");
	assert_int_equal(wait_count(&e, "done", ".txt", 2, 30000), 0);
	assert_file_says(&e, "done/scan-transport-m.txt", "2,OOO円");
	/* The claim leaves review first, then its .review.txt goes. */
	assert_int_equal(wait_empty(&e, "review", ".txt", 30000), 0);
	assert_exists(&e, "out/transport-0101-00231-2024-04-01.xlsx");
	/* The import file goes by the claim's name, as it would have without a doubt. */
	assert_exists(&e, "out/scan-transport-m.import.csv");

	/*
	 * A crash after the correction's record could leave the claim in review: another
	 * correction of it is refused, not paid again, and the claim leaves review.
	 */
	p = pathf("cp %s/done/scan-transport-m.txt %s/review/", e.dir, e.dir);
	assert_int_equal(system(p), 0);
	free(p);
	drop(&e, "scan-transport-m.txt.fix.txt", "支給額: 2000\n担当CW: 山田\n");
	assert_int_equal(wait_count(&e, "rejected", ".txt", 14, 30000), 0);
	assert_file_says(&e, "rejected/scan-transport-m.txt.fix.txt.reason-5.txt",
	                 "scan-transport-m.txt was settled by the correction of claim");
	assert_int_equal(wait_count(&e, "done", ".txt", 3, 30000), 0);
	assert_int_equal(wait_empty(&e, "review", ".txt", 30000), 0);
	p = pathf("%s/out", e.dir);
	assert_int_equal(count_files(p, ".xlsx"), 1);
	free(p);
	assert_int_equal(env_stop(&e), 0);

	rec = audit_record(&e, "completed", "scan-transport-m.txt.fix.txt", "produced");
	assert_non_null(rec);
	fix = json_object_get(rec, "corrects");
	assert_string_equal(json_string_value(json_object_get(fix, "name")),
	                    "scan-transport-m.txt");
	p = pathf("%s/done/scan-transport-m.txt", e.dir);
	fd = open(p, O_RDONLY);
	assert_int_equal(hash_fd(fd, hex, NULL), 0);
	close(fd);
	free(p);
	assert_string_equal(json_string_value(json_object_get(fix, "sha256")), hex);
	fix = json_array_get(json_object_get(fix, "fields"), 0);
	assert_string_equal(json_string_value(json_object_get(fix, "field")), "amount");
	assert_string_equal(json_string_value(json_object_get(fix, "read")), "2,OOO円");
	assert_string_equal(json_string_value(json_object_get(fix, "fixed")), "2000");
	/*
	 * A crash after the correction's record, before its move: the correction is resumed from
	 * work/ and done again, with the claim it settled still in review, not refused as settled.
	 */
	p = pathf("mv %s/done/scan-transport-m.txt.fix.txt %s/work/%s.scan-transport-m.txt.fix.txt "
	          "&& mv %s/done/scan-transport-m.txt %s/review/",
	          e.dir, e.dir, json_string_value(json_object_get(rec, "claim")), e.dir, e.dir);
	assert_int_equal(system(p), 0);
	free(p);
	json_decref(rec);
	env_start(&e, NULL);
	assert_int_equal(wait_empty(&e, "work", ".txt", 30000), 0);
	assert_int_equal(wait_empty(&e, "review", ".txt", 30000), 0);
	assert_int_equal(env_stop(&e), 0);
	assert_exists(&e, "done/scan-transport-m.txt.fix.txt");
	assert_int_equal(count_in(&e, "rejected", ".txt"), 14);
	assert_int_equal(count_in(&e, "out", ".xlsx"), 1);
	assert_int_equal(audit_count(&e, "completed", "scan-transport-m.txt.fix.txt", "resumed"),
	                 1);
	assert_int_equal(audit_count(&e, "completed", "scan-transport-m.txt", "review"), 1);
	assert_log_verifies(&e);
	env_free(&e);
}

/*
 * The claims register: a claim is paid once, whatever file it comes in. The same month saved as
 * CP932 and as UTF-8, a re-export with a fare corrected (a conflict, showing what differs), an
 * export pasted twice into one file, and a scan of a claim already paid from the export: each
 * pays nothing a second time, and each reason says where and when it was paid.
 */
static void
test_paid_once(void **state)
{
	static const char header[] =
	    "ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,通院日,医療機関名,経路,"
	    "交通機関,片道運賃,往復回数,支給額,担当CW,備考\r\n";
	static const char row_new[] = "0101-00777,a,a,清田 陽菜,通院移送費,R6.5.2,R6.5.1,東区病院,"
	                              "x,地下鉄,250,4,\"2,000\",山田,\r\n";
	char *p, *text, *cp932, *utf8;
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 50", "language: en");
	env_start(&e, NULL);
	cp932 = samplepath("transport-2024-04.cp932.csv");
	utf8 = samplepath("transport-2024-04.utf8.csv");
	p = pathf("cp '%s' '%s/inbox/'", cp932, e.dir);
	assert_int_equal(system(p), 0);
	free(p);
	assert_int_equal(wait_count(&e, "done", ".csv", 1, 30000), 0);
	assert_exists(&e, "out/transport-2024-04.cp932.import.csv");

	/* The same month as UTF-8: other bytes, the same four claims. */
	p = pathf("cp '%s' '%s/inbox/'", utf8, e.dir);
	assert_int_equal(system(p), 0);
	free(p);
	assert_int_equal(wait_count(&e, "done", ".csv", 2, 30000), 0);
	assert_file_says(&e, "rejected/transport-2024-04.utf8.csv.reason.txt",
	                 "all 4 claims were already paid, each as its line below says: nothing was "
	                 "made, and nothing needs doing.");
	assert_file_says(&e, "rejected/transport-2024-04.utf8.csv.reason.txt",
	                 "row 2: already paid: transport-2024-04.cp932.csv, row 2, on ");
	assert_file_says(&e, "rejected/transport-2024-04.utf8.csv.reason.txt",
	                 "row 5: already paid: transport-2024-04.cp932.csv, row 5, on ");
	p = pathf("%s/out/transport-2024-04.utf8.import.csv", e.dir);
	assert_int_not_equal(access(p, F_OK), 0);
	free(p);

	/* A re-export with one fare corrected, and a new claim beside it. */
	text = pathf("%s0101-00231,札幌 太郎,サッポロ タロウ,札幌 太郎,通院移送費,令和6年4月3日,"
	             "令和6年4月1日,東区中央病院,元町駅→環状通東駅,地下鉄,300,4,\"2,400\",山田,\r\n"
	             "%s",
	             header, row_new);
	drop(&e, "transport-2024-04-fixed.csv", text);
	free(text);
	assert_int_equal(wait_count(&e, "done", ".csv", 3, 30000), 0);
	assert_file_says(&e, "rejected/transport-2024-04-fixed.csv.reason.txt",
	                 "row 2: a claim of the same key was paid with other values: "
	                 "transport-2024-04.cp932.csv, row 2, on ");
	assert_file_says(&e, "rejected/transport-2024-04-fixed.csv.reason.txt",
	                 "片道運賃 250 → 300, 支給額 2000 → 2400");
	assert_file_says(&e, "out/transport-2024-04-fixed.import.csv", "0101-00777");

	/* A conflict is not for the clerk to fix and drop again. */
	assert_file_says(&e, "rejected/transport-2024-04-fixed.csv.reason.txt",
	                 "1 of 2 claims were paid before, each as its line below says; the other 1 "
	                 "produced their forms. Dropping the file again pays none of them");
	/* An export pasted twice into one file: its second half pays nothing. */
	text = pathf("%s%s%s", header,
	             "0101-00888,a,a,b,通院移送費,R6.5.2,R6.5.1,病院,x,バス,210,2,840,山田,\r\n",
	             "0101-00888,a,a,b,通院移送費,R6.5.2,R6.5.1,病院,x,バス,210,2,840,山田,\r\n");
	drop(&e, "transport-2024-05.csv", text);
	free(text);
	assert_int_equal(wait_count(&e, "done", ".csv", 4, 30000), 0);
	assert_file_says(&e, "rejected/transport-2024-05.csv.reason.txt",
	                 "row 3: already paid: transport-2024-05.csv, row 2, on ");

	/* A scan of a claim paid from the export is refused, with where it was paid. */
	drop(&e, "scan-transport-paid.txt",
	     "ケース番号  0101-00231        申請日  令和6年4月3日\n"
	     "対象者氏名  札幌 太郎\n"
	     "通院日  令和6年4月1日          交通機関  地下鉄\n"
	     "医療機関名  東区中央病院\n"
	     "片道運賃  250円               往復回数  4回\n"
	     "支給額  2,000円\n");
	assert_int_equal(wait_count(&e, "rejected", "scan-transport-paid.txt.reason.txt", 1, 30000),
	                 0);
	assert_file_says(&e, "rejected/scan-transport-paid.txt.reason.txt",
	                 "its claims were already paid (below); they are not paid twice");
	assert_file_says(&e, "rejected/scan-transport-paid.txt.reason.txt",
	                 "already paid: transport-2024-04.cp932.csv, row 2, on ");
	assert_int_equal(count_in(&e, "review", ""), 0);
	p = pathf("%s/out/scan-transport-paid.import.csv", e.dir);
	assert_int_not_equal(access(p, F_OK), 0);
	free(p);
	assert_int_equal(env_stop(&e), 0);
	assert_log_verifies(&e);
	free(cp932);
	free(utf8);
	env_free(&e);
}

/* The transport export of one claim, 0101-00777, visit 2024-05-01; a note makes each file's bytes
 * its own. */
static char *
one_claim(const char *note)
{
	return pathf("ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,通院日,医療機関名,"
	             "経路,交通機関,片道運賃,往復回数,支給額,担当CW,備考\r\n"
	             "0101-00777,a,a,清田 陽菜,通院移送費,R6.5.2,R6.5.1,東区病院,x,地下鉄,250,4,"
	             "\"2,000\",山田,%s\r\n",
	             note);
}

static void
drop_claim(struct env *e, const char *name)
{
	char *text = one_claim(name);

	drop(e, name, text);
	free(text);
}
#define ONE_KEY "transport|0101-00777|2024-05-01"

/*
 * An intended repeat is a deliberate act: an allowance from an administrator, naming the claim
 * and why, pays the claim once more and is recorded with who and why. A file from anyone else,
 * for a claim never paid, or with a line it does not know is refused; dropping the claim a
 * third time is refused again. Then `claims show`, `check` and `rebuild` as an auditor uses them.
 */
static void
test_allowed_again(void **state)
{
	struct passwd *pw = getpwuid(getuid());
	char *top, *p, *out = NULL, *err = NULL, *text;
	struct env e;

	(void)state;
	assert_non_null(pw);
	top = pathf("language: en\nadministrators: [not-%s]", pw->pw_name);
	env_new(&e, "settle_ms: 50", top);
	free(top);
	env_start(&e, NULL);
	drop_claim(&e, "transport-first.csv");
	assert_int_equal(wait_count(&e, "done", ".csv", 1, 30000), 0);
	drop_claim(&e, "transport-again.csv");
	assert_int_equal(wait_count(&e, "rejected", "transport-again.csv.reason.txt", 1, 30000), 0);
	assert_file_says(&e, "rejected/transport-again.csv.reason.txt",
	                 "already paid: transport-first.csv, row 2, on ");
	/* Not an administrator: refused, and nothing is allowed. */
	drop(&e, "second-visit.allow.txt", "key: " ONE_KEY "\nreason: a second visit that day\n");
	assert_int_equal(wait_count(&e, "rejected", "second-visit.allow.txt.reason.txt", 1, 30000),
	                 0);
	assert_file_says(&e, "rejected/second-visit.allow.txt.reason.txt",
	                 "is not one of the configuration's administrators: only they may let a "
	                 "claim be paid again");
	assert_int_equal(env_stop(&e), 0);

	/* The same user made an administrator. */
	text = slurp(e.cfg, NULL);
	p = strstr(text, "[not-");
	assert_non_null(p);
	memmove(p + 1, p + 5, strlen(p + 5) + 1);
	spits(e.cfg, text);
	free(text);
	env_start(&e, NULL);
	drop(&e, "never.allow.txt", "key: transport|0101-99999|2024-05-01\nreason: x\n");
	drop(&e, "extra.allow.txt", "key: " ONE_KEY "\nreason: x\namount: 5000\n");
	assert_int_equal(wait_count(&e, "rejected", ".allow.txt.reason.txt", 3, 30000), 0);
	assert_file_says(&e, "rejected/never.allow.txt.reason.txt",
	                 "nothing was paid under the key transport|0101-99999|2024-05-01");
	assert_file_says(&e, "rejected/extra.allow.txt.reason.txt",
	                 "line 3: 'amount' is not known here");
	/* The refused file again, the same bytes: refused for its owner, it paid nothing. */
	drop(&e, "visit-2.allow.txt", "key: " ONE_KEY "\nreason: a second visit that day\n");
	assert_int_equal(wait_count(&e, "done", "visit-2.allow.txt", 1, 30000), 0);
	/* Now the claim is paid once more, and once only. */
	drop_claim(&e, "transport-third.csv");
	assert_int_equal(wait_count(&e, "done", "transport-third.csv", 1, 30000), 0);
	assert_file_says(&e, "out/transport-third.import.csv", "0101-00777");
	drop_claim(&e, "transport-fourth.csv");
	assert_int_equal(wait_count(&e, "rejected", "transport-fourth.csv.reason.txt", 1, 30000),
	                 0);
	assert_file_says(&e, "rejected/transport-fourth.csv.reason.txt",
	                 "already paid: transport-third.csv, row 2");
	/* The same allowance dropped again is a duplicate, not a third payment. */
	drop(&e, "visit-2-copy.allow.txt", "key: " ONE_KEY "\nreason: a second visit that day\n");
	assert_int_equal(wait_count(&e, "rejected", "visit-2-copy.allow.txt.reason.txt", 1, 30000),
	                 0);
	assert_int_equal(audit_count(&e, "completed", "visit-2-copy.allow.txt", "duplicate"), 1);
	/* Who and why, in the audit log. */
	p = pathf("grep -h '\"name\":\"visit-2.allow.txt\"' '%s'/audit/*.jsonl | grep -c "
	          "'\"allowance\":{\"by\":\"%s\",\"key\":\"" ONE_KEY
	          "\",\"reason\":\"a second visit that day\"}' >/dev/null",
	          e.dir, pw->pw_name);
	assert_int_equal(system(p), 0);
	free(p);
	/* A rebuild with the agent running is refused: it is half way through files. */
	assert_int_equal(run_agent(NULL, NULL, &err, "claims rebuild -c '%s'", e.cfg), 2);
	assert_non_null(strstr(err, "is in use by another formagent (pid "));
	assert_non_null(strstr(err, "stop the agent first"));
	free(err);
	assert_int_equal(env_stop(&e), 0);

	/* For the auditor: both payments, where from, and the allowance. */
	assert_int_equal(
	    run_agent(NULL, &out, NULL, "claims show -c '%s' --case 0101-00777", e.cfg), 0);
	assert_non_null(strstr(out, ONE_KEY "\n  transport-first.csv, row 2, claim "));
	assert_non_null(strstr(out, ONE_KEY "  (payment 2, allowed by "));
	assert_non_null(strstr(out, "  transport-third.csv, row 2, claim "));
	assert_null(strstr(out, "清田")); /* no names: only audited fields */
	free(out);
	assert_int_equal(
	    run_agent(NULL, &out, NULL, "claims show -c '%s' --case 0101-00778", e.cfg), 0);
	assert_string_equal(out, "nothing was paid for 0101-00778\n");
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "claims check -c '%s'", e.cfg), 0);
	assert_non_null(strstr(out, "2 payments in the audit log, 2 in the register"));
	free(out);
	/* The same agent, named by a relative -c from its own folder. */
	assert_int_equal(run_agent(e.dir, &out, NULL, "claims check -c formagent.yaml"), 0);
	assert_non_null(strstr(out, "2 payments in the audit log, 2 in the register"));
	free(out);
	/* The register lost: check names what is missing; rebuild makes it again from the log. */
	p = pathf("rm -f '%s'/audit/claims.sqlite*", e.dir);
	assert_int_equal(system(p), 0);
	free(p);
	assert_int_equal(run_agent(NULL, &out, NULL, "claims check -c '%s'", e.cfg), 1);
	assert_non_null(strstr(out, "in the audit log, not in the register: " ONE_KEY
	                            ": transport-first.csv, row 2, claim "));
	assert_non_null(strstr(out, "in the audit log, not in the register: " ONE_KEY
	                            ": transport-third.csv, row 2, claim "));
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "claims rebuild -c '%s'", e.cfg), 0);
	assert_non_null(strstr(out, "rebuilt from the audit log"));
	assert_non_null(strstr(out, ": 2 payments, 1 allowance"));
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "claims check -c '%s'", e.cfg), 0);
	assert_non_null(strstr(out, ": 0 differences"));
	free(out);
	/* An allowance slipped into the register by hand would pay a claim again: check names it.
	 */
	p = pathf("sqlite3 '%s/audit/claims.sqlite' \"INSERT INTO allowances SELECT key, 'forged', "
	          "'x', 'mallory', 'f.allow.txt', at, agent, NULL FROM allowances LIMIT 1\"",
	          e.dir);
	assert_int_equal(system(p), 0);
	free(p);
	assert_int_equal(run_agent(NULL, &out, NULL, "claims check -c '%s'", e.cfg), 1);
	assert_non_null(strstr(out, "an allowance in the register, not in the audit log: " ONE_KEY
	                            ": f.allow.txt, claim forged, by mallory"));
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "claims rebuild -c '%s'", e.cfg), 0);
	free(out);
	/* Rebuilt, the allowance is used up as before: a trial run says the claim was paid. */
	p = pathf("%s/done/transport-fourth.csv", e.dir);
	assert_int_equal(
	    run_agent(NULL, &out, NULL, "process -c '%s' --out '%s/trial' '%s'", e.cfg, e.dir, p),
	    1);
	free(p);
	assert_non_null(strstr(out, "0 produced, 1 rejected (some already paid: see the reason"));
	free(out);
	assert_file_says(&e, "trial/transport-fourth.csv.reason.txt",
	                 "already paid: transport-third.csv, row 2");
	/* ... and entered nothing. */
	assert_int_equal(run_agent(NULL, &out, NULL, "claims check -c '%s'", e.cfg), 0);
	free(out);
	assert_log_verifies(&e);
	env_free(&e);
}

/*
 * Two hosts on one inbox's claims, as PostgreSQL lets them share one register: two agents, each
 * with its own spool and audit log, are fed the same files at the same moment, and every claim
 * is paid once across both (one import line per claim), each agent's register entries matching
 * its own log.
 */
static void
test_two_hosts_postgresql(void **state)
{
	enum { FILES = 12, ROWS = 5 };
	char *conninfo = pg_database(), *top, *name, *text, *p, *out;
	struct env e1, e2;
	struct buf b;
	int i, r, st;

	(void)state;
	assert_non_null(conninfo);
	top = pathf("language: en\nregister: {postgresql: \"%s\"}", conninfo);
	env_new(&e1, "settle_ms: 0", top);
	env_new(&e2, "settle_ms: 0", top);
	free(top);
	env_start(&e1, NULL);
	env_start(&e2, NULL);
	assert_int_equal(wait_log(&e1, "started", 10000), 0);
	assert_int_equal(wait_log(&e2, "started", 10000), 0);
	for (i = 0; i < FILES; i++) {
		b.p = pathf("ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,通院日,"
		            "医療機関名,経路,交通機関,片道運賃,往復回数,支給額,担当CW,備考\r\n");
		b.len = strlen(b.p);
		for (r = 0; r < ROWS; r++) {
			text = pathf(
			    "%s0201-%05d,a,,a,通院移送費,R6.4.3,R6.4.1,c,x,地下鉄,250,4,2000,w,"
			    "\r\n",
			    b.p, i * ROWS + r);
			free(b.p);
			b.p = text;
		}
		/* The same claims, under another name for the second host (another export). */
		name = pathf("transport-h-%02d.csv", i);
		drop(&e1, name, b.p);
		free(name);
		name = pathf("transport-h-%02d-copy.csv", i);
		drop(&e2, name, b.p);
		free(name);
		free(b.p);
	}
	assert_int_equal(wait_count(&e1, "done", ".csv", FILES, 60000), 0);
	assert_int_equal(wait_count(&e2, "done", ".csv", FILES, 60000), 0);
	assert_int_equal(env_stop(&e1), 0);
	assert_int_equal(env_stop(&e2), 0);
	/* Every case number on exactly one import line, across both hosts. */
	p = pathf("cat '%s'/out/*.import.csv '%s'/out/*.import.csv | grep -o '0201-[0-9]*' | "
	          "sort | uniq -c | awk '$1 == 1' | wc -l",
	          e1.dir, e2.dir);
	{
		FILE *fp = popen(p, "r");
		int once = -1;

		assert_non_null(fp);
		assert_int_equal(fscanf(fp, "%d", &once), 1);
		pclose(fp);
		assert_int_equal(once, FILES * ROWS);
	}
	free(p);
	p = pathf("cat '%s'/out/*.import.csv '%s'/out/*.import.csv | grep -c '0201-'", e1.dir,
	          e2.dir);
	{
		FILE *fp = popen(p, "r");
		int lines = -1;

		assert_int_equal(fscanf(fp, "%d", &lines), 1);
		st = pclose(fp);
		(void)st;
		assert_int_equal(lines, FILES * ROWS);
	}
	free(p);
	/* Each agent's entries are its log's; claims show sees both hosts' payments. */
	assert_int_equal(run_agent(NULL, &out, NULL, "claims check -c '%s'", e1.cfg), 0);
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "claims check -c '%s'", e2.cfg), 0);
	free(out);
	assert_int_equal(
	    run_agent(NULL, &out, NULL, "claims show -c '%s' --case 0201-00007", e2.cfg), 0);
	assert_non_null(strstr(out, "transport|0201-00007|2024-04-01\n  transport-h-01"));
	free(out);
	assert_log_verifies(&e1);
	assert_log_verifies(&e2);
	env_free(&e1);
	env_free(&e2);
	free(conninfo);
}

/*
 * Two agents started on one configuration would share one audit log, each cutting the day's file
 * back to its own idea of its end: the second refuses to start, naming the first's pid, and the
 * first goes on with its log whole.
 */
static void
test_second_agent_refused(void **state)
{
	char *err = NULL, *want;
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 0", NULL);
	env_start(&e, NULL);
	assert_int_equal(wait_log(&e, "started", 10000), 0);
	assert_int_not_equal(run_agent(NULL, NULL, &err, "run --once -c '%s'", e.cfg), 0);
	want = pathf("the audit folder %s/audit is in use by another formagent (pid %ld)", e.dir,
	             (long)e.pid);
	assert_non_null(strstr(err, want));
	free(want);
	free(err);
	drop(&e, "tiny-after.csv", "a,b\r\nx,1\r\n");
	assert_int_equal(wait_count(&e, "done", ".csv", 1, 30000), 0);
	assert_int_equal(env_stop(&e), 0);
	assert_log_verifies(&e);
	/* Stopped, the folder is free again. */
	assert_int_equal(run_agent(NULL, NULL, NULL, "run --once -c '%s'", e.cfg), 0);
	env_free(&e);
}

/*
 * A file refused for its name paid nothing: the same bytes dropped again under the right name are
 * taken, not refused as a duplicate. And a name in capitals, as Windows may save it, is the
 * rule's *.csv.
 */
static void
test_refused_then_renamed(void **state)
{
	char *text = one_claim("renamed");
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 0", "language: en");
	env_start(&e, NULL);
	drop(&e, "april.csv", text);
	assert_int_equal(wait_count(&e, "rejected", "april.csv.reason.txt", 1, 30000), 0);
	assert_file_says(&e, "rejected/april.csv.reason.txt", "april.csv");
	drop(&e, "transport-april.csv", text);
	assert_int_equal(wait_count(&e, "done", "transport-april.csv", 1, 30000), 0);
	assert_file_says(&e, "out/transport-april.import.csv", "0101-00777");
	free(text);
	text = one_claim("capitals");
	drop(&e, "TRANSPORT-MAY.CSV", text);
	assert_int_equal(wait_count(&e, "done", "TRANSPORT-MAY.CSV", 1, 30000), 0);
	/* Its claim was paid by transport-april.csv: refused as such, by the transport rule. */
	assert_file_says(&e, "rejected/TRANSPORT-MAY.CSV.reason.txt",
	                 "already paid: transport-april.csv, row 2");
	assert_int_equal(env_stop(&e), 0);
	assert_int_equal(audit_count(&e, "completed", "transport-april.csv", "produced"), 1);
	assert_log_verifies(&e);
	free(text);
	env_free(&e);
}

/*
 * The log's end cut while the agent was stopped: the agent notices at start (the head it last
 * wrote is gone), takes nothing and keeps every register entry, so the claim whose record was
 * cut is not paid again; once an administrator has looked and removed the kept head, the claim
 * dropped again is refused as paid.
 */
static void
test_log_cut_while_stopped(void **state)
{
	char *p, *text = one_claim("cut"), *out = NULL;
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 0", "language: en");
	drop(&e, "transport-cut.csv", text);
	env_start(&e, "--once");
	assert_int_equal(env_wait(&e, 30000), 0);
	assert_exists(&e, "done/transport-cut.csv");
	/* Cut the day's file back to before the file's completion and the stop. */
	p = pathf("cd '%s/audit' && f=$(ls audit-*.jsonl | tail -n 1) && "
	          "n=$(grep -n '\"event\":\"completed\"' \"$f\" | tail -n 1 | cut -d: -f1) && "
	          "head -n $((n - 1)) \"$f\" > cut && mv cut \"$f\"",
	          e.dir);
	assert_int_equal(system(p), 0);
	free(p);
	/* The chain alone still verifies: only the kept head tells. */
	assert_int_equal(run_agent(NULL, NULL, NULL, "audit verify -c '%s'", e.cfg), 0);
	drop(&e, "transport-cut-again.csv", text);
	env_start(&e, "--once");
	assert_int_not_equal(env_wait(&e, 30000), 0);
	assert_true(log_has(&e, "the audit log is not what this agent last wrote"));
	assert_int_equal(count_in(&e, "inbox", ".csv"), 1);
	/* The daemon waits, suspended, and says so. */
	env_start(&e, NULL);
	assert_int_equal(wait_log(&e, "intake suspended: the audit log is not what", 10000), 0);
	usleep(300000);
	assert_int_equal(count_in(&e, "inbox", ".csv"), 1);
	assert_int_equal(run_agent(NULL, &out, NULL, "status -c '%s'", e.cfg), 0);
	assert_non_null(strstr(out, "INTAKE SUSPENDED: the audit log is not what this agent last "
	                            "wrote"));
	free(out);
	assert_int_equal(env_stop(&e), 0);
	/* The administrator has looked, and lets it go on: the claim is still paid once. */
	p = pathf("%s/audit/audit.head", e.dir);
	assert_int_equal(unlink(p), 0);
	free(p);
	env_start(&e, "--once");
	assert_int_equal(env_wait(&e, 30000), 0);
	assert_file_says(&e, "rejected/transport-cut-again.csv.reason.txt",
	                 "already paid: transport-cut.csv, row 2");
	free(text);
	env_free(&e);
}

/*
 * A day of a CSV export and a scanned claim: what `audit export` says was paid that day, by rule,
 * adds up to what the import files pay, the scan (which has no ledger) included.
 */
static void
test_export_totals_mixed_day(void **state)
{
	char *p, *xlsx, *out = NULL, *csv, *scan;
	struct xcell c;
	double sum = 0;
	long paid = -1;
	struct env e;
	int row;

	(void)state;
	env_new(&e, "settle_ms: 0", "language: en");
	csv = samplepath("transport-2024-04.cp932.csv");
	scan = srcpath("tests/samples/scan-transport-0103-00412.txt");
	p = pathf("cp '%s' '%s' '%s/inbox/'", csv, scan, e.dir);
	assert_int_equal(system(p), 0);
	free(p);
	free(csv);
	free(scan);
	env_start(&e, "--once");
	assert_int_equal(env_wait(&e, 60000), 0);
	assert_int_equal(count_in(&e, "done", ""), 2);
	/* The amounts of every import line (支給額 is the seventh column). */
	p = pathf("cat '%s'/out/*.import.csv | awk -F'\",\"' '/^\"0/ {s += $7} END {print s}'",
	          e.dir);
	{
		FILE *fp = popen(p, "r");

		assert_int_equal(fscanf(fp, "%ld", &paid), 1);
		pclose(fp);
	}
	free(p);
	assert_int_equal(paid, 11880 + 840);
	xlsx = pathf("%s/export.xlsx", e.dir);
	assert_int_equal(
	    run_agent(NULL, &out, NULL, "audit export --xlsx '%s' -c '%s'", xlsx, e.cfg), 0);
	free(out);
	for (row = 2; row < 10; row++) {
		char addr[8];

		snprintf(addr, sizeof addr, "F%d", row);
		assert_int_equal(xlsx_sheet_cell(xlsx, 3, addr, &c), 0);
		if (c.type == 'n')
			sum += c.num;
		xcell_clear(&c);
	}
	assert_int_equal((long)sum, paid);
	free(xlsx);
	env_free(&e);
}

/*
 * A file refused whole lies in rejected/ under the name its reason file pairs with: a name with
 * a space, and one of spaces only, as a clerk's Windows allows.
 */
static void
test_refused_names_pair(void **state)
{
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 0", "language: en");
	drop(&e, "   ", "a,b\r\n1,2\r\n");
	drop(&e, "交通費 4月.csv", "a,b\r\n1,2\r\n");
	env_start(&e, "--once");
	assert_int_equal(env_wait(&e, 30000), 0);
	assert_exists(&e, "rejected/___");
	assert_file_says(&e, "rejected/___.reason.txt", "no rule accepts this file");
	assert_exists(&e, "rejected/交通費_4月.csv");
	assert_file_says(&e, "rejected/交通費_4月.csv.reason.txt", "交通費 4月.csv");
	assert_int_equal(count_in(&e, "inbox", ""), 0);
	assert_log_verifies(&e);
	env_free(&e);
}

/*
 * A row whose values slipped a column: a name lands in ケース番号 and a clinic in 通院日, both
 * audited fields. The reason file the clerk reads shows them; the audit log and the journal
 * keep only each reason's kind and column, never the text.
 */
static void
test_slipped_values_stay_out_of_the_log(void **state)
{
	static const char text[] =
	    "ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,通院日,医療機関名,経路,"
	    "交通機関,片道運賃,往復回数,支給額,担当CW,備考\r\n"
	    "札幌 太郎,0101-00231,サッポロ タロウ,札幌 太郎,通院移送費,令和6年4月3日,東区中央病院,"
	    "令和6年4月1日,元町駅→環状通東駅,地下鉄,250,4,\"2,000\",山田,\r\n";
	char *p;
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 0", "language: en");
	drop(&e, "transport-slipped.csv", text);
	env_start(&e, "--once");
	assert_int_equal(env_wait(&e, 30000), 0);
	assert_file_says(&e, "rejected/transport-slipped.csv.reason.txt", "札幌 太郎");
	assert_file_says(&e, "rejected/transport-slipped.csv.reason.txt", "東区中央病院");
	p = pathf(
	    "cat '%s'/audit/*.jsonl '%s/agent.log' | grep -c '札幌\\|東区中央病院\\|サッポロ' "
	    "| grep -qx 0",
	    e.dir, e.dir);
	assert_int_equal(system(p), 0);
	free(p);
	p = pathf("grep -c '\"reasons\":\\[{\"column\":\"ケース番号\",\"field\":\"case_no\","
	          "\"kind\":\"form\"}' '%s'/audit/*.jsonl | grep -qx 1",
	          e.dir);
	assert_int_equal(system(p), 0);
	free(p);
	assert_log_verifies(&e);
	env_free(&e);
}

/* SIGHUP with a broken rule keeps the old rules, and the log says where the problem is. */
static void
test_reload_keeps_old_rules(void **state)
{
	char *rule;
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 100", NULL);
	env_start(&e, NULL);
	assert_int_equal(wait_log(&e, "started", 10000), 0);
	rule = pathf("%s/rules/tiny.yaml", e.dir);
	spits(rule, "match: {glob: \"tiny-*.csv\"}\nfields:\n  a: {from: a, tpye: text}\n");
	kill(e.pid, SIGHUP);
	assert_int_equal(
	    wait_log(&e,
	             "rules/tiny.yaml:3:16: unknown key 'tpye' in a field: did you mean 'type'?",
	             10000),
	    0);
	assert_true(log_has(&e, "the rules loaded before stay in use"));
	/* The old tiny rule still works. */
	drop(&e, "tiny-after.csv", "a,b\r\nx,1\r\n");
	assert_int_equal(wait_count(&e, "done", ".csv", 1, 30000), 0);
	assert_int_equal(count_in(&e, "out", ".import.csv"), 1);
	/* A fixed rule is picked up from the folder's change, without a signal. */
	spits(rule, tiny_rule);
	assert_int_equal(wait_log(&e, "rules loaded:", 10000), 0);
	assert_int_equal(env_stop(&e), 0);
	assert_int_equal(audit_count(&e, "rules_rejected", NULL, NULL), 1);
	assert_true(audit_count(&e, "rules_loaded", NULL, NULL) >= 2);
	free(rule);
	env_free(&e);
}

static char *
big_transport(int rows)
{
	size_t cap = (size_t)rows * 200 + 512, len = 0;
	char *buf = malloc(cap);
	int i;

	len += (size_t)sprintf(buf,
	                       "ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,通院日,"
	                       "医療機関名,経路,交通機関,片道運賃,往復回数,支給額,担当CW,備考\r\n");
	for (i = 0; i < rows; i++)
		len += (size_t)sprintf(
		    buf + len,
		    "0101-%05d,a,,a,通院移送費,R6.4.3,R6.4.1,c,r,地下鉄,250,4,2000,w,\r\n", i);
	return buf;
}

/*
 * A copy that pauses longer than settle_ms: the agent takes the file, and the rest is written
 * while it reads. Nothing of what was read is published as the file's import; the file is done
 * again from the start once it holds still, and every row, the late one too, is paid once.
 */
static void
test_copy_pauses(void **state)
{
	static const char late[] =
	    "0101-99999,a,,a,通院移送費,R6.4.3,R6.4.1,c,r,地下鉄,250,4,2000,w,\r\n";
	char *text = big_transport(800), *p;
	struct env e;
	int fd;

	(void)state;
	env_new(&e, "settle_ms: 200", "language: en\nretry_ms: 500");
	env_start(&e, NULL);
	assert_int_equal(wait_log(&e, "started", 10000), 0);
	p = pathf("%s/inbox/transport-slow.csv", e.dir);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	free(p);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	/* The writer pauses; the agent takes the file and starts on its forms. */
	assert_int_equal(wait_count(&e, "out", ".xlsx", 2, 30000), 0);
	assert_int_equal(write(fd, late, strlen(late)), (ssize_t)strlen(late));
	close(fd);
	assert_int_equal(wait_count(&e, "done", "transport-slow.csv", 1, 120000), 0);
	assert_int_equal(env_stop(&e), 0);
	assert_true(log_has(&e, "changed while it was read"));
	assert_file_says(&e, "out/transport-slow.import.csv", "0101-99999");
	assert_int_equal(count_in(&e, "out", ".xlsx"), 801 + 1);
	assert_int_equal(count_in(&e, "out", "-2.xlsx"), 0);
	assert_int_equal(audit_count(&e, "completed", "transport-slow.csv", "produced"), 1);
	p = pathf("grep -c '^\"0101-' '%s/out/transport-slow.import.csv' | grep -qx 801", e.dir);
	assert_int_equal(system(p), 0);
	free(p);
	assert_log_verifies(&e);
	free(text);
	env_free(&e);
}

/* SIGTERM during a large file: nothing half-written, and the file is finished at the next start. */
static void
test_sigterm_mid_file(void **state)
{
	char *text = big_transport(400);
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 50", "stop_grace_ms: 0");
	env_start(&e, NULL);
	assert_int_equal(wait_log(&e, "started", 10000), 0);
	drop(&e, "transport-big.csv", text);
	assert_int_equal(wait_count(&e, "out", ".xlsx", 3, 30000), 0);
	kill(e.pid, SIGTERM);
	assert_int_equal(env_wait(&e, 30000), 0);
	assert_true(log_has(&e, "it is finished at the next start"));
	assert_int_equal(count_in(&e, "out", ".tmp"), 0);
	assert_int_equal(count_in(&e, "out", ".ledger.xlsx"), 0);
	assert_int_equal(count_in(&e, "work", ".csv"), 1);
	assert_int_equal(audit_count(&e, "completed", "transport-big.csv", NULL), 0);
	env_start(&e, "--once");
	assert_int_equal(env_wait(&e, 120000), 0);
	assert_int_equal(count_in(&e, "work", ""), 0);
	assert_int_equal(count_in(&e, "done", ".csv"), 1);
	assert_int_equal(count_in(&e, "out", ".xlsx"), 401);
	assert_int_equal(count_in(&e, "out", ".tmp"), 0);
	assert_int_equal(audit_count(&e, "completed", "transport-big.csv", "produced"), 1);
	assert_log_verifies(&e);
	free(text);
	env_free(&e);
}

static void
test_polling_and_status(void **state)
{
	struct env e;
	char *out;
	int i, found = 0;

	(void)state;
	env_new(&e, "settle_ms: 100, watch: poll", NULL);
	env_start(&e, NULL);
	assert_int_equal(wait_log(&e, "polling", 10000), 0);
	drop(&e, "tiny-polled.csv", "a,b\r\nx,1\r\n");
	assert_int_equal(wait_count(&e, "done", ".csv", 1, 30000), 0);
	/* The status file follows the move to done/ by a moment: wait for it. */
	for (i = 0; i < 500; i++) {
		assert_int_equal(run_agent(NULL, &out, NULL, "status -c '%s'", e.cfg), 0);
		found = strstr(out, "tiny-polled.csv") != NULL;
		free(out);
		if (found)
			break;
		usleep(20000);
	}
	/* Stopped, the agent leaves files waiting; status shows them. */
	kill(e.pid, SIGSTOP);
	drop(&e, "tiny-w1.csv", "a,b\r\nx,2\r\n");
	drop(&e, "tiny-w2.csv", "a,b\r\nx,3\r\n");
	drop(&e, "tiny-w3.csv", "a,b\r\nx,4\r\n");
	assert_int_equal(run_agent(NULL, &out, NULL, "status -c '%s'", e.cfg), 0);
	assert_non_null(strstr(out, "running"));
	assert_non_null(strstr(out, "spool s: 3 waiting in"));
	assert_non_null(strstr(out, "produced         tiny-polled.csv"));
	free(out);
	kill(e.pid, SIGCONT);
	assert_int_equal(wait_count(&e, "done", ".csv", 4, 30000), 0);
	assert_int_equal(env_stop(&e), 0);
	assert_int_equal(run_agent(NULL, &out, NULL, "status -c '%s'", e.cfg), 0);
	assert_non_null(strstr(out, "not running"));
	assert_non_null(strstr(out, "spool s: 0 waiting in"));
	free(out);
	env_free(&e);
}

/* A file left in work/ after its completion was recorded: done again, recorded as resumed. */
static void
test_resumed_and_duplicate(void **state)
{
	char *sample = samplepath("transport-2024-04.cp932.csv"), *cmd, *text, *p;
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 50", NULL);
	cmd = pathf("cp '%s' '%s/inbox/'", sample, e.dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	env_start(&e, "--once");
	assert_int_equal(env_wait(&e, 60000), 0);
	assert_int_equal(count_in(&e, "done", ".csv"), 1);
	/* As if the agent died between the record and the move. */
	cmd = pathf(
	    "mv '%s/done/transport-2024-04.cp932.csv' "
	    "\"%s/work/$(grep -o '\"claim\":\"[^\"]*' %s/audit/*.jsonl | head -1 | cut -d'\"' -f4)"
	    ".transport-2024-04.cp932.csv\"",
	    e.dir, e.dir, e.dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	env_start(&e, "--once");
	assert_int_equal(env_wait(&e, 60000), 0);
	assert_int_equal(count_in(&e, "done", ".csv"), 1);
	assert_int_equal(count_in(&e, "out", "-2.xlsx"), 0);
	assert_int_equal(count_in(&e, "out", ".xlsx"), 5);
	assert_int_equal(audit_count(&e, "completed", "transport-2024-04.cp932.csv", "produced"),
	                 1);
	assert_int_equal(audit_count(&e, "completed", "transport-2024-04.cp932.csv", "resumed"), 1);
	/* The same bytes dropped again under another name would be paid twice: refused. */
	cmd = pathf("cp '%s' '%s/inbox/transport-again.csv'", sample, e.dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	env_start(&e, "--once");
	assert_int_equal(env_wait(&e, 60000), 0);
	p = pathf("%s/rejected/transport-again.csv.reason.txt", e.dir);
	text = slurp(p, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "同じファイルはすでに処理済みです"));
	free(text);
	free(p);
	assert_int_equal(audit_count(&e, "completed", "transport-again.csv", "duplicate"), 1);
	assert_log_verifies(&e);
	free(sample);
	env_free(&e);
}

/* 2,000 files dropped while the agent is stopped, with a small inotify queue: none lost. */
static void
test_burst(void **state)
{
	const char *qpath = "/proc/sys/fs/inotify/max_queued_events";
	char *saved = slurp(qpath, NULL), name[64], body[64];
	int i, small = 0;
	struct env e;

	(void)state;
	if (geteuid() == 0 && saved != NULL) {
		FILE *fp = fopen(qpath, "w");

		if (fp != NULL && fputs("64\n", fp) >= 0 && fclose(fp) == 0)
			small = 1;
	}
	if (!small)
		print_message("test_burst: not root: the inotify queue keeps its size, so the "
		              "overflow path is not exercised\n");
	env_new(&e, "settle_ms: 0", NULL);
	env_start(&e, NULL);
	assert_int_equal(wait_log(&e, "started", 10000), 0);
	kill(e.pid, SIGSTOP);
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof name, "tiny-%04d.csv", i);
		snprintf(body, sizeof body, "a,b\r\nx%d,%d\r\n", i, i);
		drop(&e, name, body);
	}
	kill(e.pid, SIGCONT);
	assert_int_equal(wait_count(&e, "done", ".csv", 2000, 600000), 0);
	assert_int_equal(env_stop(&e), 0);
	if (small) {
		FILE *fp = fopen(qpath, "w");

		fputs(saved, fp);
		fclose(fp);
		assert_true(log_has(&e, "overflowed"));
	}
	assert_int_equal(count_in(&e, "inbox", ""), 0);
	assert_int_equal(count_in(&e, "work", ""), 0);
	assert_int_equal(count_in(&e, "out", ".import.csv"), 2000);
	assert_int_equal(audit_count(&e, "claimed", NULL, NULL), 2000);
	assert_int_equal(audit_count(&e, "completed", NULL, "produced"), 2000);
	assert_log_verifies(&e);
	free(saved);
	env_free(&e);
}

/*
 * Mounts a tmpfs of size on e's folder sub (so it can fill up, or be another filesystem), and
 * remembers it for the teardown. NULL, having said why, when that cannot be done here: the
 * caller skips.
 */
static char *
mount_small(struct env *e, const char *sub, const char *size, const char *test)
{
	char *path, *cmd;

	if (geteuid() != 0) {
		print_message("%s: not root: cannot mount a small tmpfs; skipped\n", test);
		return NULL;
	}
	path = pathf("%s/%s", e->dir, sub);
	mkdir(path, 0750);
	cmd = pathf("mount -t tmpfs -o size=%s tmpfs '%s'", size, path);
	if (system(cmd) != 0) {
		print_message("%s: mount refused here; skipped\n", test);
		free(cmd);
		free(path);
		return NULL;
	}
	free(cmd);
	mounted = strdup(path);
	return path;
}

/* Fills the filesystem of dir with dir/filler; returns the filler's path. */
static char *
fill(const char *dir)
{
	char *filler = pathf("%s/filler", dir), *cmd;

	cmd = pathf("dd if=/dev/zero of='%s' bs=4k 2>/dev/null; true", filler);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return filler;
}

/* The audit folder fills up: intake stops, no input is lost, and it all goes on once there is room.
 */
static void
test_audit_disk_full(void **state)
{
	char *sample = samplepath("transport-2024-04.cp932.csv"), *cmd, *audit, *filler, *big;
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 50", NULL);
	if ((audit = mount_small(&e, "audit", "256k", "test_audit_disk_full")) == NULL) {
		free(sample);
		env_free(&e);
		skip();
	}
	env_start(&e, NULL);
	assert_int_equal(wait_log(&e, "started", 10000), 0);
	filler = fill(audit);
	/* 100 claims: their completed record needs more room than the log's last page has. */
	big = big_transport(100);
	drop(&e, "transport-a.csv", big);
	free(big);
	assert_int_equal(wait_log(&e, "intake suspended", 10000), 0);
	assert_true(log_has(&e, "<2>intake suspended"));
	cmd = pathf("cp '%s' '%s/inbox/transport-b.csv'", sample, e.dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	usleep(1500000);
	/* Nothing is lost: a waits in work/ for its record, b in the inbox. */
	assert_int_equal(count_in(&e, "done", ""), 0);
	assert_int_equal(count_in(&e, "work", "transport-a.csv"), 1);
	assert_int_equal(count_in(&e, "inbox", "transport-b.csv"), 1);
	assert_int_equal(unlink(filler), 0);
	assert_int_equal(wait_log(&e, "intake resumed", 20000), 0);
	assert_int_equal(wait_count(&e, "done", ".csv", 2, 30000), 0);
	assert_int_equal(env_stop(&e), 0);
	assert_int_equal(audit_count(&e, "completed", "transport-a.csv", "produced"), 1);
	assert_int_equal(audit_count(&e, "completed", "transport-b.csv", "produced"), 1);
	assert_int_equal(audit_count(&e, "intake_resumed", NULL, NULL), 1);
	assert_log_verifies(&e);
	cleanup(NULL); /* unmounts, so the folder can go */
	free(filler);
	free(audit);
	free(sample);
	env_free(&e);
}

/* The out folder fills up: the file waits in work/, the suspension is recorded, nothing is lost. */
static void
test_out_disk_full(void **state)
{
	char *sample = samplepath("transport-2024-04.cp932.csv"), *cmd, *out, *filler;
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 50", NULL);
	if ((out = mount_small(&e, "out", "64k", "test_out_disk_full")) == NULL) {
		free(sample);
		env_free(&e);
		skip();
	}
	filler = fill(out);
	env_start(&e, NULL);
	assert_int_equal(wait_log(&e, "started", 10000), 0);
	cmd = pathf("cp '%s' '%s/inbox/transport-a.csv'", sample, e.dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(wait_log(&e, "intake suspended: cannot write the outputs", 10000), 0);
	assert_int_equal(count_in(&e, "work", "transport-a.csv"), 1);
	assert_int_equal(count_in(&e, "out", ".tmp"), 0);
	assert_int_equal(count_in(&e, "rejected", ""), 0);
	assert_int_equal(unlink(filler), 0);
	assert_int_equal(wait_count(&e, "done", ".csv", 1, 30000), 0);
	assert_int_equal(env_stop(&e), 0);
	assert_int_equal(count_in(&e, "out", ".xlsx"), 5);
	assert_int_equal(audit_count(&e, "intake_suspended", NULL, NULL), 1);
	assert_int_equal(audit_count(&e, "intake_resumed", NULL, NULL), 1);
	assert_int_equal(audit_count(&e, "completed", "transport-a.csv", "produced"), 1);
	assert_log_verifies(&e);
	cleanup(NULL);
	free(filler);
	free(out);
	free(sample);
	env_free(&e);
}

/* check says when a spool's work folder is on another filesystem: a claim is a rename. */
static void
test_check_work_filesystem(void **state)
{
	char *work, *err;
	struct env e;

	(void)state;
	env_new(&e, NULL, NULL);
	if ((work = mount_small(&e, "work", "64k", "test_check_work_filesystem")) == NULL) {
		env_free(&e);
		skip();
	}
	assert_int_equal(run_agent(NULL, NULL, &err, "check -c '%s'", e.cfg), 1);
	assert_non_null(strstr(err, "formagent.yaml:6:5: spool 's': work ("));
	assert_non_null(strstr(err, "is on another filesystem than inbox"));
	free(err);
	cleanup(NULL);
	free(work);
	env_free(&e);
}

/*
 * Two agents on one inbox, as two hosts sharing a folder run them (each with its own audit log):
 * every file is processed exactly once, as the two audit logs together show.
 */
static void
test_two_agents(void **state)
{
	char name[64], body[64], *cfg2, *text, *cmd, *out;
	struct env e;
	pid_t second;
	int i, st;

	(void)state;
	env_new(&e, "settle_ms: 0", NULL);
	text = slurp(e.cfg, NULL);
	cfg2 = pathf("%s/formagent2.yaml", e.dir);
	{
		char *p = strstr(text, "audit: {dir: audit}"), *copy;

		assert_non_null(p);
		copy = pathf("%.*saudit: {dir: audit2}%s", (int)(p - text), text,
		             p + strlen("audit: {dir: audit}"));
		spits(cfg2, copy);
		free(copy);
	}
	free(text);
	env_start(&e, NULL);
	if ((second = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		char *log = pathf("%s/agent2.log", e.dir);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(fd, 2);
		execl(getenv("FORMAGENT"), "formagent", "run", "-c", cfg2, (char *)NULL);
		_exit(127);
	}
	running2 = second;
	assert_int_equal(wait_log(&e, "started", 10000), 0);
	usleep(300000);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "tiny-%03d.csv", i);
		snprintf(body, sizeof body, "a,b\r\nx%d,%d\r\n", i, i);
		drop(&e, name, body);
	}
	assert_int_equal(wait_count(&e, "done", ".csv", 300, 120000), 0);
	kill(second, SIGTERM);
	waitpid(second, &st, 0);
	running2 = 0;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(env_stop(&e), 0);
	assert_int_equal(count_in(&e, "work", ""), 0);
	assert_int_equal(count_in(&e, "inbox", ""), 0);
	assert_int_equal(count_in(&e, "out", ".import.csv"), 300);
	/* Every input completed once, across both logs; each log's chain is whole. */
	cmd = pathf(
	    "cd '%s' && cat audit/*.jsonl audit2/*.jsonl | grep '\"event\":\"completed\"' | "
	    "grep -o '\"name\":\"tiny-[0-9]*.csv\"' | sort | uniq -c | awk '$1 != 1' | wc -l; "
	    "cat audit/*.jsonl audit2/*.jsonl | grep -c '\"event\":\"completed\"'",
	    e.dir);
	out = NULL;
	{
		FILE *fp = popen(cmd, "r");
		size_t cap = 0;
		char *line = NULL;
		int lines = 0, doubled = -1, completed = -1;

		while (getline(&line, &cap, fp) != -1) {
			if (lines++ == 0)
				doubled = atoi(line);
			else
				completed = atoi(line);
		}
		free(line);
		pclose(fp);
		assert_int_equal(doubled, 0);
		assert_int_equal(completed, 300);
	}
	free(cmd);
	assert_log_verifies(&e);
	assert_int_equal(run_agent(NULL, &out, NULL, "audit verify -c '%s'", cfg2), 0);
	free(out);
	free(cfg2);
	env_free(&e);
}

/* The host's tag as the agent writes it into claims and temporary names. */
static char *
host_tag(void)
{
	char host[256] = "", *p;

	gethostname(host, sizeof host - 1);
	for (p = host; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			*p = '_';
	return strdup(host);
}

/*
 * SIGKILL at random moments while a file is processed, then a restart: each time the end state is
 * the one a clean run gives: the input done once, every form there once, no temporary file left,
 * one completion (or a resumed one) in a log that verifies.
 */
static void
test_killed_and_restarted(void **state)
{
	char *text = big_transport(60), *tag = host_tag(), *stale, *live;
	struct env e;
	int cycle;

	(void)state;
	srand(20261127);
	for (cycle = 0; cycle < 4; cycle++) {
		env_new(&e, "settle_ms: 0", NULL);
		/* A temporary file of a dead run of this host, and one of a live process. */
		stale = pathf("%s/out/.transport-x.xlsx.%s-999999-1.tmp", e.dir, tag);
		live = pathf("%s/out/.transport-y.xlsx.%s-%ld-1.tmp", e.dir, tag, (long)getpid());
		{
			char *out = pathf("%s/out", e.dir);

			mkdir(out, 0750);
			free(out);
		}
		spits(stale, "half");
		spits(live, "in hand");
		env_start(&e, NULL);
		assert_int_equal(wait_log(&e, "started", 10000), 0);
		drop(&e, "transport-kill.csv", text);
		usleep((useconds_t)(50000 + rand() % 400000));
		kill(e.pid, SIGKILL);
		env_wait(&e, 10000);
		env_start(&e, "--once");
		assert_int_equal(env_wait(&e, 120000), 0);
		assert_int_equal(count_in(&e, "done", "transport-kill.csv"), 1);
		assert_int_equal(count_in(&e, "work", ""), 0);
		assert_int_equal(count_in(&e, "inbox", ""), 0);
		assert_int_equal(count_in(&e, "out", ".xlsx"), 61);
		assert_int_equal(count_in(&e, "out", "-2.xlsx"), 0);
		/* Only the live process's temporary file remains. */
		assert_int_equal(count_in(&e, "out", ".tmp"), 1);
		assert_int_equal(access(live, F_OK), 0);
		assert_int_equal(audit_count(&e, "completed", "transport-kill.csv", "produced"), 1);
		assert_log_verifies(&e);
		free(stale);
		free(live);
		env_free(&e);
	}
	free(tag);
	free(text);
}

/* A transport export of one claim of its own: case 0102-0NNNN, visited 2024-05-01. */
static void
drop_case(struct env *e, const char *name, int n)
{
	char *text = pathf("ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,通院日,"
	                   "医療機関名,経路,交通機関,片道運賃,往復回数,支給額,担当CW,備考\r\n"
	                   "0102-%05d,a,a,清田 陽菜,通院移送費,R6.5.2,R6.5.1,東区病院,x,地下鉄,"
	                   "250,4,\"2,000\",山田,\r\n",
	                   n);

	drop(e, name, text);
	free(text);
}

/* The stand-in LibreOffice's mode (tests/fixtures/office/soffice) for the calls to come. */
static void
soffice_mode(struct env *e, const char *mode)
{
	char *p = pathf("%s/soffice-mode", e->dir);

	spits(p, mode);
	setenv("SOFFICE_MODE_FILE", p, 1);
	free(p);
}

/*
 * An agent whose print PDFs are held: the stand-in LibreOffice waits, once started, until the
 * file it returns (under the test's folder) exists. The caller frees that path.
 */
static char *
start_holding_prints(struct env *e)
{
	char *go;

	env_new(e, "settle_ms: 50", "language: en");
	soffice_mode(e, "slow");
	go = pathf("%s/go", e->dir);
	setenv("SOFFICE_GO", go, 1);
	env_start(e, NULL);
	return go;
}

/* The stand-in's calls so far in mode (one per attempt). */
static int
soffice_calls(struct env *e, const char *mode)
{
	char *p = pathf("%s/soffice-mode.calls", e->dir), *text = slurp(p, NULL), *at;
	size_t len = strlen(mode);
	int n = 0;

	for (at = text; at != NULL && (at = strstr(at, mode)) != NULL; at += len)
		if ((at == text || at[-1] == '\n') && at[len] == '\n')
			n++;
	free(text);
	free(p);
	return n;
}

/* The completed record of name names its print PDF out/pdf, with the file's SHA-256. */
static void
assert_pdf_recorded(struct env *e, const char *name, const char *pdf)
{
	json_t *rec = audit_record(e, "completed", name, "produced"), *o;
	char *p = pathf("%s/out/%s", e->dir, pdf), hex[HASH_HEX];
	int fd = open(p, O_RDONLY), found = 0;
	size_t i;

	assert_non_null(rec);
	assert_true(fd >= 0);
	assert_int_equal(hash_fd(fd, hex, NULL), 0);
	close(fd);
	json_array_foreach(json_object_get(rec, "outputs"), i, o) found +=
	    strcmp(json_string_value(json_object_get(o, "name")), pdf) == 0 &&
	    strcmp(json_string_value(json_object_get(o, "sha256")), hex) == 0;
	assert_int_equal(found, 1);
	json_decref(rec);
	free(p);
}

/*
 * While one file's PDF is being made, the agent goes on: a file dropped after it is finished
 * first, and the first is recorded, with its PDF, only once LibreOffice is done.
 */
static void
test_print_others_do_not_wait(void **state)
{
	char *go, *sample = samplepath("transport-2024-04.cp932.csv"), *text;
	struct env e;

	(void)state;
	go = start_holding_prints(&e);
	text = slurp(sample, NULL);
	drop(&e, "transport-2024-04.csv", text);
	assert_int_equal(wait_log(&e, "its print PDF is being made", 30000), 0);
	drop(&e, "tiny-1.csv", "a,b\nx,1\n");
	assert_int_equal(wait_count(&e, "done", ".csv", 1, 30000), 0);
	/* The tiny file is done; the transport file still waits in work/, unrecorded. */
	assert_exists(&e, "done/tiny-1.csv");
	assert_int_equal(count_in(&e, "work", ".csv"), 1);
	assert_int_equal(audit_count(&e, "completed", "transport-2024-04.csv", NULL), 0);
	assert_int_equal(count_in(&e, "out", ".pdf"), 0);
	/* Its forms are written already. */
	assert_exists(&e, "out/transport-0101-00231-2024-04-01.xlsx");
	spits(go, "");
	assert_int_equal(wait_count(&e, "done", ".csv", 2, 30000), 0);
	assert_pdf_recorded(&e, "transport-2024-04.csv", "transport-2024-04.print.pdf");
	assert_int_equal(env_stop(&e), 0);
	assert_log_verifies(&e);
	unsetenv("SOFFICE_GO");
	unsetenv("SOFFICE_MODE_FILE");
	free(text);
	free(sample);
	free(go);
	env_free(&e);
}

/*
 * LibreOffice hanging, crashing, failing, writing garbage or missing: each file still completes,
 * its forms made and its claim paid, with a note in rejected/ saying why there is no PDF. Each
 * was tried twice, and no stand-in (nor the child a hanging one started) is left running.
 */
static void
test_print_failures(void **state)
{
	static const struct {
		const char *mode, *says;
	} cases[] = {
	    {"hang", "LibreOffice did not finish within 2 s, and was stopped"},
	    {"crash", "LibreOffice crashed (signal 11)"},
	    {"fail", "LibreOffice failed (exit status 3)"},
	    {"garbage", "LibreOffice wrote a file that is not a readable PDF"},
	    {"missing", "(is libreoffice-calc-nogui installed?)"},
	};
	char *office = srcpath("tests/fixtures/office/soffice"), *top, *name, *note, *form, *p;
	struct env e;
	size_t i;

	(void)state;
	top = pathf("language: en\nprint: {soffice: %s, timeout_s: 2}", office);
	env_new(&e, "settle_ms: 50", top);
	soffice_mode(&e, "copy");
	env_start(&e, NULL);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		soffice_mode(&e, cases[i].mode);
		name = pathf("transport-%s.csv", cases[i].mode);
		drop_case(&e, name, (int)i + 1);
		assert_int_equal(wait_count(&e, "done", ".csv", (int)i + 1, 60000), 0);
		note = pathf("rejected/transport-%s.csv.print-failed.txt", cases[i].mode);
		assert_file_says(&e, note, cases[i].says);
		assert_file_says(&e, note, "the claims are recorded as paid");
		form = pathf("out/transport-0102-%05d-2024-05-01.xlsx", (int)i + 1);
		assert_exists(&e, form);
		assert_int_equal(audit_count(&e, "completed", name, "produced"), 1);
		assert_int_equal(soffice_calls(&e, cases[i].mode), 2);
		free(form);
		free(note);
		free(name);
	}
	assert_int_equal(count_in(&e, "out", ".pdf"), 0);
	/* The stand-ins and the hanging one's child name this test's scratch folder. */
	p = pathf("%s/tmp/lo-", e.dir);
	assert_int_equal(processes_running(p), 0);
	free(p);
	assert_int_equal(env_stop(&e), 0);
	assert_log_verifies(&e);
	unsetenv("SOFFICE_MODE_FILE");
	free(top);
	free(office);
	env_free(&e);
}

/*
 * A stop while a file waits for its PDF: LibreOffice is stopped with it, the file stays in work/,
 * and the next start finishes it, paying its claims once.
 */
static void
test_print_stopped_midway(void **state)
{
	struct env e;
	char *p;

	(void)state;
	/* Held, and never let go: the stop comes while the PDF is being made. */
	free(start_holding_prints(&e));
	drop_case(&e, "transport-stopped.csv", 42);
	assert_int_equal(wait_log(&e, "its print PDF is being made", 30000), 0);
	assert_int_equal(env_stop(&e), 0);
	p = pathf("%s/tmp/lo-", e.dir);
	assert_int_equal(processes_running(p), 0);
	free(p);
	assert_int_equal(count_in(&e, "work", ".csv"), 1);
	assert_int_equal(audit_count(&e, "completed", "transport-stopped.csv", NULL), 0);
	soffice_mode(&e, "copy");
	env_start(&e, NULL);
	assert_int_equal(wait_count(&e, "done", ".csv", 1, 30000), 0);
	assert_int_equal(env_stop(&e), 0);
	assert_int_equal(audit_count(&e, "completed", "transport-stopped.csv", "produced"), 1);
	assert_pdf_recorded(&e, "transport-stopped.csv", "transport-stopped.print.pdf");
	assert_int_equal(count_in(&e, "out", ".pdf"), 1);
	assert_log_verifies(&e);
	unsetenv("SOFFICE_GO");
	unsetenv("SOFFICE_MODE_FILE");
	env_free(&e);
}

/*
 * A reload asked for while a file waits for its PDF waits for it in turn (the file holds its
 * rules), and other files go on meanwhile.
 */
static void
test_print_reload_waits(void **state)
{
	char *go, *log, *produced, *loaded;
	struct env e;

	(void)state;
	go = start_holding_prints(&e);
	assert_int_equal(wait_log(&e, "started", 10000), 0);
	drop_case(&e, "transport-reload.csv", 77);
	assert_int_equal(wait_log(&e, "its print PDF is being made", 30000), 0);
	kill(e.pid, SIGHUP);
	drop(&e, "tiny-meanwhile.csv", "a,b\nx,1\n");
	assert_int_equal(wait_count(&e, "done", ".csv", 1, 30000), 0);
	assert_exists(&e, "done/tiny-meanwhile.csv");
	assert_false(log_has(&e, "rules loaded:"));
	spits(go, "");
	assert_int_equal(wait_count(&e, "done", ".csv", 2, 30000), 0);
	assert_int_equal(wait_log(&e, "rules loaded:", 10000), 0);
	/* In that order: the file finished with the rules it started with, then the reload. */
	log = slurp(e.err, NULL);
	produced = strstr(log, "transport-reload.csv: produced");
	loaded = strstr(log, "rules loaded:");
	assert_non_null(produced);
	assert_true(loaded > produced);
	assert_int_equal(env_stop(&e), 0);
	assert_pdf_recorded(&e, "transport-reload.csv", "transport-reload.print.pdf");
	assert_log_verifies(&e);
	unsetenv("SOFFICE_GO");
	unsetenv("SOFFICE_MODE_FILE");
	free(log);
	free(go);
	env_free(&e);
}

/*
 * A file of 2,500 rows: its rows go in three "rows" records just before its completed record,
 * which names their count and digest, so no line of the log holds them all. audit verify checks
 * them, audit show gives the completed record every row, audit export counts every claim, and
 * the register rebuilt from the log
 * holds every claim: the same claims dropped again in another file pay nothing.
 */
static void
test_large_file_rows_in_parts(void **state)
{
	char *p, *text, *out = NULL, *cmd, *line = NULL, *rules;
	struct buf b = {0};
	char row[64];
	size_t cap = 0, longest = 0;
	ssize_t len;
	json_t *rec, *rows, *parts = json_array();
	struct xcell c;
	FILE *fp;
	int i, n, log_only, reg_only, completed = 0;
	struct env e;

	(void)state;
	env_new(&e, "settle_ms: 0", NULL);
	rules = pathf("%s/rules/tiny.yaml", e.dir);
	text = pathf("%sclaim: {kind: tiny, key: [a]}\n", tiny_rule);
	spits(rules, text);
	free(text);
	free(rules);
	buf_add(&b, "a,b\r\n", 5);
	for (i = 0; i < 2500; i++) {
		n = snprintf(row, sizeof row, "k%04d,%d\r\n", i, i);
		buf_add(&b, row, (size_t)n);
	}
	p = pathf("%s/inbox/tiny-big.csv", e.dir);
	spit(p, b.p, b.len);
	free(p);
	assert_int_equal(run_agent(NULL, NULL, NULL, "run --once -c '%s'", e.cfg), 0);

	cmd = pathf("cat %s/audit/*.jsonl", e.dir);
	fp = popen(cmd, "r");
	free(cmd);
	while ((len = getline(&line, &cap, fp)) != -1) {
		if ((size_t)len > longest)
			longest = (size_t)len;
		assert_non_null(rec = json_loads(line, 0, NULL));
		if (strcmp(json_string_value(json_object_get(rec, "event")), "rows") == 0) {
			/* The parts come in order, just before the completion, none after it. */
			assert_int_equal(completed, 0);
			assert_int_equal(json_integer_value(json_object_get(rec, "part")),
			                 json_array_size(parts));
			json_array_append(parts, json_object_get(rec, "rows"));
		} else if (strcmp(json_string_value(json_object_get(rec, "event")), "completed") ==
		           0) {
			completed++;
			assert_null(json_object_get(rec, "rows"));
			assert_int_equal(json_integer_value(json_object_get(
			                     json_object_get(rec, "row_records"), "parts")),
			                 3);
			assert_int_equal(json_integer_value(json_object_get(
			                     json_object_get(rec, "totals"), "produced")),
			                 2500);
		}
		json_decref(rec);
	}
	free(line);
	pclose(fp);
	assert_int_equal(completed, 1);
	assert_int_equal(json_array_size(parts), 3);
	assert_int_equal(json_array_size(json_array_get(parts, 0)), 1000);
	assert_int_equal(json_array_size(json_array_get(parts, 1)), 1000);
	assert_int_equal(json_array_size(json_array_get(parts, 2)), 500);
	/* A row holds its key: `claims rebuild` enters it again from here. */
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_array_get(parts, 2), 499), "key")),
	                    "tiny|k2499");
	json_decref(parts);
	assert_true(longest < 200000);

	assert_int_equal(run_agent(NULL, &out, NULL, "audit verify -c '%s'", e.cfg), 0);
	assert_non_null(strstr(out, "OK: "));
	free(out);
	assert_int_equal(
	    run_agent(NULL, &out, NULL, "audit show --json --event completed -c '%s'", e.cfg), 0);
	assert_non_null(rec = json_loads(out, 0, NULL));
	rows = json_object_get(rec, "rows");
	assert_int_equal(json_array_size(rows), 2500);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "row")), 2);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(json_array_get(rows, 2499), "fields"), "a")),
	                    "k2499");
	json_decref(rec);
	free(out);
	/* audit export counts them all too: 2,500 claims on the day's totals sheet. */
	p = pathf("%s/audit.xlsx", e.dir);
	assert_int_equal(run_agent(NULL, NULL, NULL, "audit export --xlsx '%s' -c '%s'", p, e.cfg),
	                 0);
	assert_int_equal(xlsx_sheet_cell(p, 3, "D2", &c), 0);
	assert_true(c.num == 2500);
	xcell_clear(&c);
	free(p);

	/* The register made again from the log alone holds all 2,500. */
	assert_int_equal(run_agent(NULL, NULL, NULL, "claims rebuild -c '%s'", e.cfg), 0);
	assert_int_equal(claims_differences(getenv("FORMAGENT") ?: "./build/formagent", e.cfg,
	                                    &log_only, &reg_only),
	                 0);
	assert_int_equal(log_only + reg_only, 0);
	b.len = 5;
	buf_add(&b, "k0000,0\r\nk2499,2499\r\nnew,1\r\n", 28);
	p = pathf("%s/inbox/tiny-again.csv", e.dir);
	spit(p, b.p, b.len);
	free(p);
	free(b.p);
	assert_int_equal(run_agent(NULL, NULL, NULL, "run --once -c '%s'", e.cfg), 0);
	p = pathf("%s/out/tiny-again.import.csv", e.dir);
	text = slurp(p, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "new"));
	assert_null(strstr(text, "k0000"));
	assert_null(strstr(text, "k2499"));
	free(text);
	free(p);
	assert_log_verifies(&e);
	env_free(&e);
}

/* The seq of the completed record of the input name, or -1. */
static long long
completed_seq(struct env *e, const char *name)
{
	char *cmd = pathf("cat %s/audit/*.jsonl 2>/dev/null", e->dir), *line = NULL;
	size_t cap = 0;
	long long seq = -1;
	json_t *rec;
	FILE *fp = popen(cmd, "r");

	free(cmd);
	while (getline(&line, &cap, fp) != -1) {
		if ((rec = json_loads(line, 0, NULL)) == NULL)
			continue;
		if (strcmp(json_string_value(json_object_get(rec, "event")), "completed") == 0 &&
		    strcmp(json_string_value(json_object_get(json_object_get(rec, "input"), "name"))
		               ?: "",
		           name) == 0)
			seq = json_integer_value(json_object_get(rec, "seq"));
		json_decref(rec);
	}
	free(line);
	pclose(fp);
	return seq;
}

/*
 * Three scanned claims dropped just before an export, with two workers: the export is done
 * while the first scan is still being read, and the scans after it wait for their turn, not it.
 */
static void
test_scans_do_not_hold_up_exports(void **state)
{
	char *png = srcpath("tests/samples/scan-transport-0105-00733.png"), *bytes, *tmp, *dst;
	char name[64];
	size_t len;
	struct env e;
	int i;

	(void)state;
	env_new(&e, "settle_ms: 0", "workers: 2");
	env_start(&e, NULL);
	assert_int_equal(wait_log(&e, "started", 10000), 0);
	assert_non_null(bytes = slurp(png, &len));
	bytes = realloc(bytes, len + 1);
	for (i = 0; i < 3; i++) {
		/* A byte after the image's end: three different files, read alike. */
		bytes[len] = (char)('a' + i);
		snprintf(name, sizeof name, "scan-transport-%d.png", i);
		tmp = pathf("%s/.%s", e.dir, name);
		dst = pathf("%s/inbox/%s", e.dir, name);
		spit(tmp, bytes, len + 1);
		assert_int_equal(rename(tmp, dst), 0);
		free(tmp);
		free(dst);
	}
	drop(&e, "tiny-after-scans.csv", "a,b\r\nx,1\r\n");
	assert_int_equal(wait_count(&e, "done", "tiny-after-scans.csv", 1, 60000), 0);
	assert_int_equal(wait_count(&e, "review", ".png", 3, 180000), 0);
	assert_int_equal(env_stop(&e), 0);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "scan-transport-%d.png", i);
		assert_true(completed_seq(&e, name) > completed_seq(&e, "tiny-after-scans.csv"));
	}
	assert_true(completed_seq(&e, "tiny-after-scans.csv") > 0);
	assert_log_verifies(&e);
	free(bytes);
	free(png);
	env_free(&e);
}

/*
 * The same bytes dropped twice at once under two names, five times, with four workers: each
 * pair is made once, and its other file refused as the duplicate it is, though both were in
 * hand together (the tiny rule has no claim key: only the gate tells them apart).
 */
static void
test_same_bytes_at_once(void **state)
{
	char *text, *tmp[2], *dst[2], name[2][64];
	long long produced, dup;
	struct env e;
	int k, j;

	(void)state;
	env_new(&e, "settle_ms: 0", "workers: 4");
	env_start(&e, NULL);
	assert_int_equal(wait_log(&e, "started", 10000), 0);
	for (k = 0; k < 5; k++) {
		text = pathf("a,b\r\ntwin%d,1\r\n", k);
		for (j = 0; j < 2; j++) {
			snprintf(name[j], sizeof name[j], "tiny-twin%d-%c.csv", k, 'a' + j);
			tmp[j] = pathf("%s/.%s", e.dir, name[j]);
			dst[j] = pathf("%s/inbox/%s", e.dir, name[j]);
			spits(tmp[j], text);
		}
		for (j = 0; j < 2; j++) {
			assert_int_equal(rename(tmp[j], dst[j]), 0);
			free(tmp[j]);
			free(dst[j]);
		}
		free(text);
	}
	assert_int_equal(wait_count(&e, "done", ".csv", 5, 60000), 0);
	assert_int_equal(wait_count(&e, "rejected", ".reason.txt", 5, 60000), 0);
	assert_int_equal(env_stop(&e), 0);
	for (k = 0; k < 5; k++) {
		for (j = 0; j < 2; j++)
			snprintf(name[j], sizeof name[j], "tiny-twin%d-%c.csv", k, 'a' + j);
		produced = audit_count(&e, "completed", name[0], "produced") +
		           audit_count(&e, "completed", name[1], "produced");
		dup = audit_count(&e, "completed", name[0], "duplicate") +
		      audit_count(&e, "completed", name[1], "duplicate");
		assert_int_equal(produced, 1);
		assert_int_equal(dup, 1);
	}
	assert_int_equal(count_in(&e, "out", ".import.csv"), 5);
	assert_log_verifies(&e);
	env_free(&e);
}

/*
 * More files left in work/ by this host than the workers have room for (one worker: two at a
 * time): each is finished once as room comes, none is left behind, and --once still ends.
 */
static void
test_many_left_in_work(void **state)
{
	char *tag = host_tag(), *p, *text;
	struct env e;
	int i;

	(void)state;
	env_new(&e, "settle_ms: 0", "workers: 1");
	p = pathf("%s/work", e.dir);
	mkdir(p, 0750);
	free(p);
	for (i = 0; i < 10; i++) {
		p = pathf("%s/work/20261202T000000Z-%s-1-%d.tiny-left-%d.csv", e.dir, tag, i, i);
		text = pathf("a,b\r\nleft%d,%d\r\n", i, i);
		spits(p, text);
		free(text);
		free(p);
	}
	env_start(&e, "--once");
	assert_int_equal(env_wait(&e, 60000), 0);
	assert_int_equal(count_in(&e, "work", ""), 0);
	assert_int_equal(count_in(&e, "done", ".csv"), 10);
	assert_int_equal(count_in(&e, "out", ".import.csv"), 10);
	for (i = 0; i < 10; i++) {
		p = pathf("tiny-left-%d.csv", i);
		assert_int_equal(audit_count(&e, "completed", p, "produced"), 1);
		free(p);
	}
	assert_log_verifies(&e);
	free(tag);
	env_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_files_before_start, cleanup),
	    cmocka_unit_test_teardown(test_written_in_pieces, cleanup),
	    cmocka_unit_test_teardown(test_renamed_in_and_special_files, cleanup),
	    cmocka_unit_test_teardown(test_one_gate, cleanup),
	    cmocka_unit_test_teardown(test_scanned_claims_and_review, cleanup),
	    cmocka_unit_test_teardown(test_scanned_correction, cleanup),
	    cmocka_unit_test_teardown(test_settled_by_second_scan, cleanup),
	    cmocka_unit_test_teardown(test_paid_once, cleanup),
	    cmocka_unit_test_teardown(test_allowed_again, cleanup),
	    cmocka_unit_test_teardown(test_refused_then_renamed, cleanup),
	    cmocka_unit_test_teardown(test_refused_names_pair, cleanup),
	    cmocka_unit_test_teardown(test_export_totals_mixed_day, cleanup),
	    cmocka_unit_test_teardown(test_slipped_values_stay_out_of_the_log, cleanup),
	    cmocka_unit_test_teardown(test_two_hosts_postgresql, cleanup),
	    cmocka_unit_test_teardown(test_reload_keeps_old_rules, cleanup),
	    cmocka_unit_test_teardown(test_sigterm_mid_file, cleanup),
	    cmocka_unit_test_teardown(test_copy_pauses, cleanup),
	    cmocka_unit_test_teardown(test_polling_and_status, cleanup),
	    cmocka_unit_test_teardown(test_resumed_and_duplicate, cleanup),
	    cmocka_unit_test_teardown(test_burst, cleanup),
	    cmocka_unit_test_teardown(test_two_agents, cleanup),
	    cmocka_unit_test_teardown(test_second_agent_refused, cleanup),
	    cmocka_unit_test_teardown(test_log_cut_while_stopped, cleanup),
	    cmocka_unit_test_teardown(test_killed_and_restarted, cleanup),
	    cmocka_unit_test_teardown(test_audit_disk_full, cleanup),
	    cmocka_unit_test_teardown(test_out_disk_full, cleanup),
	    cmocka_unit_test_teardown(test_check_work_filesystem, cleanup),
	    cmocka_unit_test_teardown(test_print_others_do_not_wait, cleanup),
	    cmocka_unit_test_teardown(test_print_failures, cleanup),
	    cmocka_unit_test_teardown(test_print_stopped_midway, cleanup),
	    cmocka_unit_test_teardown(test_print_reload_waits, cleanup),
	    cmocka_unit_test_teardown(test_large_file_rows_in_parts, cleanup),
	    cmocka_unit_test_teardown(test_scans_do_not_hold_up_exports, cleanup),
	    cmocka_unit_test_teardown(test_same_bytes_at_once, cleanup),
	    cmocka_unit_test_teardown(test_many_left_in_work, cleanup),
	};

	/* TEST_FILTER=test_name (a glob) runs only those: the whole group takes minutes. */
	if (getenv("TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests_name("agent", tests, NULL, NULL);
}
