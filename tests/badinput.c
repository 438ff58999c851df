/*
 * make badinput: a running agent against the corpus of tests/bad/. Every input listed in
 * tests/bad/EXPECTED (files from tests/bad/inputs/, and @NAME entries this program makes: a
 * 100 MB line, a sparse 20 GB file, links, a pipe, a device, a socket, odd file names) is dropped
 * into the inbox of one agent, which must give each the outcome listed: rejected or partly
 * rejected with the reason named, produced, or left alone. Then each rule of
 * tests/bad/rules-bad/ must be refused by `formagent check` with its message, and, dropped into
 * the running agent's rules folder, refused while the agent goes on. Throughout:
 *
 *   - the agent keeps running, and its peak memory stays under BADINPUT_MAX_RSS_MIB;
 *   - nothing is written outside the spool (a canary folder beside it stays empty, /etc/shadow
 *     is untouched), and every name in out/ and rejected/ is plain (no leading dot, at most
 *     255 bytes);
 *   - no form holds a formula (only ledgers' totals are formulas) but those its template has;
 *   - the audit log verifies.
 *
 * Prints "badinput: N inputs and M rules, as expected K, failed F; ..." and exits non-zero if F
 * is not 0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zip.h>

#include "spool.h"
#include "testutil.h"

#define BADINPUT_MAX_RSS_MIB 128
#define MAX_BYTES            (200LL * 1024 * 1024)

static const char *bin, *src;
static char *root, *sp;
static pid_t agent;
static int failed, passed, skipped;

static const char header[] = "ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,"
                             "通院日,医療機関名,経路,交通機関,片道運賃,往復回数,支給額,"
                             "担当CW,備考\r\n";

static void fail(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail(const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "badinput: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failed++;
}

/* One good claim file with its own case number, as text. */
static char *
good_claim(int n, const char *clinic)
{
	return pathf("%s0301-%05d,札幌 太郎,,札幌 花子,通院移送費,R6.4.3,R6.4.1,%s,自宅-病院,"
	             "地下鉄,250,4,2000,山田,\r\n",
	             header, n, clinic);
}

static char *
inbox_path(const char *name)
{
	return pathf("%s/inbox/%s", sp, name);
}

/* Writes beside the inbox and renames in, as a finished copy arrives. */
static void
drop(const char *name, const void *buf, size_t len)
{
	char *tmp = pathf("%s/stage", root), *dst = inbox_path(name);

	spit(tmp, buf, len);
	if (rename(tmp, dst) != 0)
		fail(name, "cannot drop: %s", strerror(errno));
	free(tmp);
	free(dst);
}

static void
drop_text(const char *name, const char *text)
{
	drop(name, text, strlen(text));
}

/* Makes the generated input kind; returns its name in the inbox, or NULL if it cannot be made. */
static char *
generate(const char *kind, int n)
{
	char *name = NULL, *p, *text;

	if (strcmp(kind, "big-field") == 0) {
		char *big = malloc(2 * 1024 * 1024 + 1);

		memset(big, 'x', 2 * 1024 * 1024);
		big[2 * 1024 * 1024] = '\0';
		text = good_claim(n, big);
		drop_text(name = pathf("transport-gen-big-field.csv"), text);
		free(text);
		free(big);
	} else if (strcmp(kind, "huge-line") == 0) {
		/* 100 MB without a line break, written in pieces: never held whole here either. */
		char chunk[1 << 16];
		int fd, i;

		name = pathf("transport-gen-huge-line.csv");
		p = pathf("%s/stage", root);
		memset(chunk, 'a', sizeof chunk);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		for (i = 0; i < 1600; i++)
			if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
				break;
		close(fd);
		text = inbox_path(name);
		rename(p, text);
		free(text);
		free(p);
	} else if (strcmp(kind, "named-nul") == 0) {
		text =
		    pathf("%s0301-%05d,a,,a,通院移送費,R6.4.3,R6.4.1,病院,r,地下鉄,250,4,2000,y,a",
		          header, n);
		{
			size_t len = strlen(text);

			text = realloc(text, len + 8);
			memcpy(text + len, "\0b\r\n", 4);
			drop(name = pathf("named-nul.csv"), text, len + 4);
		}
		free(text);
	} else if (strcmp(kind, "sparse-20g") == 0) {
		int fd;

		name = pathf("transport-gen-sparse.csv");
		p = inbox_path(name);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd == -1 || ftruncate(fd, 20LL * 1024 * 1024 * 1024) != 0) {
			fprintf(stderr, "badinput: %s: this filesystem has no sparse files: %s\n",
			        kind, strerror(errno));
			unlink(p);
			free(name);
			name = NULL;
		}
		if (fd != -1)
			close(fd);
		free(p);
	} else if (strncmp(kind, "symlink-", 8) == 0) {
		const char *target = strcmp(kind, "symlink-shadow") == 0 ? "/etc/shadow"
		                     : strcmp(kind, "symlink-loop") == 0
		                         ? "transport-gen-loop.csv"
		                         : "/nonexistent/claims.csv";

		name = strcmp(kind, "symlink-shadow") == 0 ? pathf("transport-gen-shadow.csv")
		       : strcmp(kind, "symlink-loop") == 0 ? pathf("transport-gen-loop.csv")
		                                           : pathf("transport-gen-dangling.csv");
		p = inbox_path(name);
		if (symlink(target, p) != 0)
			fail(kind, "symlink: %s", strerror(errno));
		free(p);
	} else if (strcmp(kind, "fifo") == 0) {
		p = inbox_path(name = pathf("transport-gen-fifo.csv"));
		if (mkfifo(p, 0600) != 0)
			fail(kind, "mkfifo: %s", strerror(errno));
		free(p);
	} else if (strcmp(kind, "device") == 0) {
		p = inbox_path(name = pathf("transport-gen-device.csv"));
		if (mknod(p, S_IFCHR | 0600, makedev(1, 3)) != 0) {
			fprintf(stderr, "badinput: %s: cannot make a device node here (%s)\n", kind,
			        strerror(errno));
			free(name);
			name = NULL;
		}
		free(p);
	} else if (strcmp(kind, "socket") == 0) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		p = inbox_path(name = pathf("transport-gen-socket.csv"));
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", p);
		if (strlen(p) >= sizeof sa.sun_path ||
		    bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
			fprintf(stderr, "badinput: %s: cannot bind a socket here\n", kind);
			free(name);
			name = NULL;
		}
		close(fd);
		free(p);
	} else if (strcmp(kind, "hardlink") == 0) {
		char *orig = pathf("%s/elsewhere/hard.csv", root);

		text = good_claim(n, "病院");
		spits(orig, text);
		free(text);
		p = inbox_path(name = pathf("transport-gen-hardlink.csv"));
		if (link(orig, p) != 0)
			fail(kind, "link: %s", strerror(errno));
		free(p);
		free(orig);
	} else if (strcmp(kind, "directory") == 0) {
		p = inbox_path(name = pathf("transport-gen-dir.csv"));
		mkdir(p, 0755);
		text = pathf("%s/inside.csv", p);
		spits(text, header);
		free(text);
		free(p);
	} else if (strcmp(kind, "renamed-in-inbox") == 0) {
		char *a = inbox_path("transport-gen-rename-a.csv");

		text = good_claim(n, "病院");
		drop_text("transport-gen-rename-a.csv", text);
		free(text);
		usleep(20000);
		p = inbox_path(name = pathf("transport-gen-rename-b.csv"));
		rename(a, p);
		free(p);
		free(a);
	} else {
		static const struct {
			const char *kind, *name;
		} plain[] = {
		    {"hidden", ".transport-gen-hidden.csv"},
		    {"lockfile", "~$transport-gen-lock.csv"},
		    {"newline-name", "transport-gen-new\nline.csv"},
		    {"long-name",
		     "transport-gen-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.csv"},
		    {"non-utf8-name", "transport-gen-\x83\x65\x83\x58\x83\x67.csv"},
		    {"no-rule", "claims-gen-no-rule.csv"},
		};
		size_t i;

		for (i = 0; i < sizeof plain / sizeof *plain; i++)
			if (strcmp(kind, plain[i].kind) == 0) {
				text = good_claim(n, "病院");
				drop_text(name = pathf("%s", plain[i].name), text);
				free(text);
			}
		if (name == NULL)
			fail(kind, "no such generated input");
	}
	return name;
}

static int
exists(const char *dir, const char *name)
{
	char *p = pathf("%s/%s/%s", sp, dir, name);
	struct stat st;
	int ok = lstat(p, &st) == 0;

	free(p);
	return ok;
}

static char *
reason_of(const char *name)
{
	char *safe = spool_safe_name(name, 180), *p = pathf("%s/rejected/%s.reason.txt", sp, safe);
	char *text = slurp(p, NULL);

	free(safe);
	free(p);
	return text;
}

/* Checks one input against its expected outcome. */
static void
check_outcome(const char *label, const char *name, const char *outcome, const char *text)
{
	char *reason = reason_of(name);
	int ok = 1;

	if (strcmp(outcome, "rejected") == 0 || strcmp(outcome, "partly") == 0) {
		const char *where = outcome[0] == 'r' ? "rejected" : "done";

		if (!exists(where, name)) {
			fail(label, "expected in %s/, but it is not there", where);
			ok = 0;
		} else if (reason == NULL) {
			fail(label, "no reason file");
			ok = 0;
		} else if (strstr(reason, text) == NULL) {
			fail(label, "the reason does not say \"%s\"; it says:\n%s", text, reason);
			ok = 0;
		}
		if (ok && outcome[0] == 'p') {
			char *safe = spool_safe_name(name, 180);
			char *rej = pathf("%s/rejected/%s.rejected.csv", sp, safe);

			if (access(rej, F_OK) != 0) {
				fail(label, "no .rejected.csv beside the reason");
				ok = 0;
			}
			free(rej);
			free(safe);
		}
	} else if (strcmp(outcome, "review") == 0) {
		char *safe = spool_safe_name(name, 180);
		char *rp = pathf("%s/review/%s.review.txt", sp, safe);
		char *note = slurp(rp, NULL);

		if (!exists("review", name) || note == NULL) {
			fail(label, "expected in review/ with its .review.txt, but it is not");
			ok = 0;
		} else if (strstr(note, text) == NULL) {
			fail(label, "the review file does not say \"%s\"; it says:\n%s", text,
			     note);
			ok = 0;
		}
		free(note);
		free(rp);
		free(safe);
	} else if (strcmp(outcome, "produced") == 0) {
		if (!exists("done", name) || reason != NULL) {
			fail(label, "expected produced, but it is %s%s%s",
			     exists("done", name) ? "in done/" : "not in done/",
			     reason != NULL ? " with a reason: " : "",
			     reason != NULL ? reason : "");
			ok = 0;
		}
	} else if (strcmp(outcome, "ignored") == 0) {
		if (!exists("inbox", name)) {
			fail(label, "expected left in the inbox, but it was taken");
			ok = 0;
		}
	} else if (strcmp(outcome, "cut") == 0) {
		char *cut = pathf("%.*s.csv", 176, name);

		if (!exists("done", cut)) {
			fail(label, "expected in done/ as %s", cut);
			ok = 0;
		}
		free(cut);
	} else if (strcmp(outcome, "once") == 0) {
		int n = exists("done", "transport-gen-rename-a.csv") +
		        exists("done", "transport-gen-rename-b.csv");

		if (n != 1) {
			fail(label, "processed %d times under its two names", n);
			ok = 0;
		}
	} else {
		fail(label, "unknown outcome '%s' in EXPECTED", outcome);
		ok = 0;
	}
	passed += ok;
	free(reason);
}

/* Whether the inbox holds nothing but the left-alone files, and work/ nothing. */
static int
settled(void)
{
	char *in = pathf("%s/inbox", sp), *wk = pathf("%s/work", sp);
	int n = count_files(in, "") - count_files(in, ".transport-gen-hidden.csv") -
	        (exists("inbox", "~$transport-gen-lock.csv") ? 1 : 0);
	int w = count_files(wk, "");

	free(in);
	free(wk);
	return n == 0 && w == 0;
}

static long
peak_rss_kib(pid_t pid)
{
	char *p = pathf("/proc/%ld/status", (long)pid), *text = slurp(p, NULL), *hwm;
	long kib = -1;

	if (text != NULL && (hwm = strstr(text, "VmHWM:")) != NULL)
		kib = strtol(hwm + 6, NULL, 10);
	free(text);
	free(p);
	return kib;
}

static int
alive(void)
{
	return waitpid(agent, NULL, WNOHANG) == 0;
}

static int
wait_for(int (*cond)(void), int ms)
{
	for (; ms > 0; ms -= 20) {
		if (cond())
			return 1;
		usleep(20000);
	}
	return cond();
}

/* The inputs of EXPECTED: dropped, waited for, checked. Returns the number of entries. */
static int
run_inputs(void)
{
	char *manifest = pathf("%s/tests/bad/EXPECTED", src), *text = slurp(manifest, NULL);
	char *line, *nl, **names = NULL, **outcomes = NULL, **texts = NULL, *p;
	int n = 0, i;

	if (text == NULL) {
		fail("EXPECTED", "cannot read %s", manifest);
		return 0;
	}
	for (line = text; *line != '\0'; line = nl) {
		char name[256], outcome[32];
		int used = 0;

		nl = strchr(line, '\n');
		nl = nl != NULL ? (*nl = '\0', nl + 1) : line + strlen(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (sscanf(line, "%255s %31s %n", name, outcome, &used) < 2) {
			fail("EXPECTED", "cannot read the line '%s'", line);
			continue;
		}
		names = realloc(names, (size_t)(n + 1) * sizeof *names);
		outcomes = realloc(outcomes, (size_t)(n + 1) * sizeof *outcomes);
		texts = realloc(texts, (size_t)(n + 1) * sizeof *texts);
		outcomes[n] = pathf("%s", outcome);
		texts[n] = pathf("%s", used > 0 ? line + used : "");
		if (name[0] == '@') {
			names[n] = generate(name + 1, 900 + n);
			if (names[n] == NULL) {
				skipped++;
				names[n] = pathf("%s", name);
				free(outcomes[n]);
				outcomes[n] = pathf("skipped");
			}
		} else {
			size_t len;
			char *from = pathf("%s/tests/bad/inputs/%s", src, name), *buf;

			buf = slurp(from, &len);
			if (buf == NULL)
				fail(name, "listed in EXPECTED but not in tests/bad/inputs/");
			else
				drop(name, buf, len);
			free(buf);
			free(from);
			names[n] = pathf("%s", name);
		}
		n++;
	}
	if (!wait_for(settled, 180000))
		fail("agent", "the inbox or work/ did not empty within 180 s");
	for (i = 0; i < n; i++) {
		if (strcmp(outcomes[i], "skipped") != 0) {
			p = pathf("%s (%s)", names[i], outcomes[i]);
			check_outcome(p, names[i], outcomes[i], texts[i]);
			free(p);
		}
		free(names[i]);
		free(outcomes[i]);
		free(texts[i]);
	}
	free(names);
	free(outcomes);
	free(texts);
	free(text);
	free(manifest);
	return n;
}

static const char *log_wanted;

static int
log_mentions(void)
{
	char *p = pathf("%s/agent.log", root), *text = slurp(p, NULL);
	int found = text != NULL && strstr(text, log_wanted) != NULL;

	free(text);
	free(p);
	return found;
}

/* A part of a zip made by zip_write(); method 0 stores it, so its bytes lie in the file. */
struct zpart {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen(text) */
	int stored;
};

static void
zip_write(const char *path, const struct zpart *p, size_t n)
{
	zipFile zf = zipOpen64(path, APPEND_STATUS_CREATE);
	size_t i;

	for (i = 0; zf != NULL && i < n; i++) {
		zipOpenNewFileInZip64(zf, p[i].name, NULL, NULL, 0, NULL, 0, NULL,
		                      p[i].stored ? 0 : Z_DEFLATED, p[i].stored ? 0 : 6, 0);
		zipWriteInFileInZip(zf, p[i].text,
		                    (unsigned)(p[i].len ? p[i].len : strlen(p[i].text)));
		zipCloseFileInZip(zf);
	}
	if (zf == NULL || zipClose(zf, NULL) != ZIP_OK)
		fail(path, "cannot write the zip");
}

#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL  "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG  "http://schemas.openxmlformats.org/package/2006/relationships"

static const char wb_types[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats."
    "org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/"
    "vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType="
    "\"application/xml\"/></Types>";
static const char wb_rels[] = "<?xml version=\"1.0\"?><Relationships xmlns=\"" NS_PKG
                              "\"><Relationship Id=\"rId1\" Type=\"" NS_REL
                              "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
static const char wb_book[] = "<?xml version=\"1.0\"?><workbook xmlns=\"" NS_MAIN
                              "\" xmlns:r=\"" NS_REL "\"><sheets><sheet name=\"支給決定書\" "
                              "sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char wb_book_rels[] =
    "<?xml version=\"1.0\"?><Relationships xmlns=\"" NS_PKG
    "\"><Relationship Id=\"rId1\" Type=\"" NS_REL "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "</Relationships>";
static const char wb_sheet[] =
    "<?xml version=\"1.0\"?><worksheet xmlns=\"" NS_MAIN "\"><sheetData><row r=\"6\"><c "
    "r=\"C6\" t=\"inlineStr\"><is><t>{{case_no}}</t></is></c></row></sheetData></worksheet>";

/*
 * Makes the bad workbook called name (from tests/bad/templates-bad/EXPECTED) at path: the
 * smallest workbook with one placeholder, and what makes it bad.
 */
static void
bad_workbook(const char *name, const char *path)
{
	struct zpart p[8] = {{"[Content_Types].xml", wb_types, 0, 0},
	                     {"_rels/.rels", wb_rels, 0, 0},
	                     {"xl/workbook.xml", wb_book, 0, 0},
	                     {"xl/_rels/workbook.xml.rels", wb_book_rels, 0, 0},
	                     {"xl/worksheets/sheet1.xml", wb_sheet, 0, 0}};
	size_t n = 5, len, i;
	char *big = NULL, *book = NULL, *rels = NULL, *text;
	struct zpart *many;

	if (strcmp(name, "not-a-zip") == 0) {
		spits(path, "PK\003\004 this is not a zip, though it starts as one");
		return;
	}
	if (strcmp(name, "zip-bomb") == 0) {
		big = malloc(40 << 20);
		memset(big, ' ', 40 << 20);
		p[4].text = big;
		p[4].len = 40 << 20;
	} else if (strcmp(name, "billion-laughs") == 0)
		p[4].text =
		    "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
		    "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 "
		    "\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
		    "<worksheet xmlns=\"" NS_MAIN "\"><sheetData><row r=\"6\"><c r=\"C6\" "
		    "t=\"inlineStr\"><is><t>&lol3;{{case_no}}</t></is></c></row></sheetData>"
		    "</worksheet>";
	else if (strcmp(name, "external-entity") == 0)
		p[4].text =
		    "<?xml version=\"1.0\"?><!DOCTYPE w [<!ENTITY x SYSTEM "
		    "\"file:///etc/shadow\">]><worksheet xmlns=\"" NS_MAIN "\"><sheetData><row "
		    "r=\"6\"><c r=\"C6\" t=\"inlineStr\"><is><t>&x;</t></is></c></row>"
		    "</sheetData></worksheet>";
	else if (strcmp(name, "10000-sheets") == 0) {
		book = pathf("<?xml version=\"1.0\"?><workbook xmlns=\"" NS_MAIN
		             "\" xmlns:r=\"" NS_REL "\"><sheets>");
		rels = pathf("<?xml version=\"1.0\"?><Relationships xmlns=\"" NS_PKG "\">");
		for (i = 1; i <= 10000; i++) {
			text = pathf("%s<sheet name=\"s%zu\" sheetId=\"%zu\" r:id=\"rId%zu\"/>",
			             book, i, i, i);
			free(book);
			book = text;
			text = pathf("%s<Relationship Id=\"rId%zu\" Type=\"" NS_REL "/worksheet\" "
			             "Target=\"worksheets/sheet1.xml\"/>",
			             rels, i);
			free(rels);
			rels = text;
		}
		text = pathf("%s</sheets></workbook>", book);
		free(book);
		p[2].text = book = text;
		text = pathf("%s</Relationships>", rels);
		free(rels);
		p[3].text = rels = text;
	} else if (strcmp(name, "10000-parts") == 0) {
		many = calloc(10005, sizeof *many);
		memcpy(many, p, 5 * sizeof *p);
		for (i = 5; i < 10005; i++) {
			many[i].name = pathf("xl/media/image%zu.png", i);
			many[i].text = "not an image";
		}
		zip_write(path, many, 10005);
		for (i = 5; i < 10005; i++)
			free((char *)many[i].name);
		free(many);
		return;
	} else if (strcmp(name, "dotdot-part") == 0)
		p[n++] = (struct zpart){"../../etc/cron.d/formagent", "* * * * * root id\n", 0, 0};
	else if (strcmp(name, "long-part-name") == 0) {
		/* Longer than minizip's name buffer: minizip would not end it. */
		big = malloc(601);
		memset(big, 'x', 600);
		memcpy(big, "xl/", 3);
		big[600] = '\0';
		p[n++] = (struct zpart){big, "x", 0, 0};
	} else if (strcmp(name, "macros") == 0)
		p[n++] = (struct zpart){"xl/vbaProject.bin", "Attribute VB_Name", 0, 0};
	else if (strcmp(name, "dde-link") == 0)
		p[n++] = (struct zpart){"xl/externalLinks/externalLink1.xml",
		                        "<?xml version=\"1.0\"?><externalLink xmlns=\"" NS_MAIN
		                        "\"><ddeLink ddeService=\"cmd\" ddeTopic=\"/c calc\"/>"
		                        "</externalLink>",
		                        0, 0};
	else if (strcmp(name, "damaged-part") == 0)
		p[4].stored = 1;
	else if (strcmp(name, "not-xml") == 0)
		p[4].text = "<?xml version=\"1.0\"?><worksheet><sheetData><row r=\"6\">{{case_no}}";
	else if (strcmp(name, "no-placeholder") == 0)
		p[4].text = "<?xml version=\"1.0\"?><worksheet xmlns=\"" NS_MAIN "\"><sheetData>"
		            "<row r=\"6\"><c r=\"C6\" t=\"inlineStr\"><is><t>case_no</t></is></c>"
		            "</row></sheetData></worksheet>";
	zip_write(path, p, n);
	free(big);
	free(book);
	free(rels);
	if (strcmp(name, "damaged-part") == 0) {
		/* A changed byte in the stored sheet: its checksum no longer holds. */
		char *bytes = slurp(path, &len),
		     *at = bytes != NULL ? memmem(bytes, len, "{{case_no}}", 11) : NULL;

		if (at == NULL)
			fail(name, "cannot spoil the zip");
		else {
			at[2] = 'C';
			spit(path, bytes, len);
		}
		free(bytes);
	} else if (strcmp(name, "cut-short") == 0) {
		/* Half a file, as a copy that stopped: no list of parts at its end. */
		char *bytes = slurp(path, &len);

		spit(path, bytes, len / 2);
		free(bytes);
	}
}

/* How many times the agent's log says text. */
static int
log_count(const char *text)
{
	char *p = pathf("%s/agent.log", root), *log = slurp(p, NULL), *at;
	int n = 0;

	for (at = log; at != NULL && (at = strstr(at, text)) != NULL; at++)
		n++;
	free(log);
	free(p);
	return n;
}

static const char *count_text;
static int count_before;

static int
log_count_grew(void)
{
	return log_count(count_text) > count_before;
}

/*
 * The workbooks of templates-bad/: in place of the office's form, refused by check, and by the
 * running agent, which goes on with the templates it had.
 */
static int
run_templates(void)
{
	char *manifest = pathf("%s/tests/bad/templates-bad/EXPECTED", src),
	     *text = slurp(manifest, NULL), *line, *nl, *out = NULL, *err = NULL;
	char *live = pathf("%s/templates/様式第3号.xlsx", root),
	     *spare = pathf("%s/templates/.spare.xlsx", root), *cmd;
	int n = 0, rc;

	cmd = pathf("cp '%s' '%s'", live, spare);
	if (system(cmd) != 0)
		fail("templates", "cannot keep the office's form aside");
	free(cmd);
	for (line = text; line != NULL && *line != '\0'; line = nl) {
		char name[128], *chk, *cfg, *bad, *msg, *yaml, *tmp;
		int used = 0, ok;

		nl = strchr(line, '\n');
		nl = nl != NULL ? (*nl = '\0', nl + 1) : line + strlen(line);
		if (line[0] == '#' || line[0] == '\0' || sscanf(line, "@%127s %n", name, &used) < 1)
			continue;
		msg = line + used;
		ok = strcmp(msg, "configuration OK") == 0;
		n++;
		chk = pathf("%s/check", root);
		rmtree(chk);
		cmd = pathf("mkdir -p '%s' && cp -r '%s/templates' '%s/'", chk, src, chk);
		if (system(cmd) != 0)
			fail(name, "cannot copy the templates");
		free(cmd);
		bad = pathf("%s/templates/様式第3号.xlsx", chk);
		bad_workbook(name, bad);
		cfg = pathf("%s/check.yaml", chk);
		yaml =
		    pathf("rules: %s/rules\ntemplates: templates\nlanguage: en\n"
		          "audit: {dir: audit}\nspools:\n  - {name: s, inbox: in, work: w, out: o, "
		          "done: d, rejected: r, rules: [transport-office]}\n",
		          src);
		spits(cfg, yaml);
		free(yaml);
		rc = run_agent(NULL, &out, &err, "check -c '%s'", cfg);
		if ((rc == 0) != ok ||
		    strstr(ok ? (out != NULL ? out : "") : (err != NULL ? err : ""), msg) == NULL)
			fail(name, "check exits %d and does not say \"%s\"; it says:\n%s%s", rc,
			     msg, err != NULL ? err : "", out != NULL ? out : "");
		else
			passed++;
		free(out);
		free(err);
		out = err = NULL;
		/* Live: put in place whole (a rename), as an administrator's copy would land. */
		count_text = ok ? "rules loaded" : msg;
		count_before = log_count(count_text);
		tmp = pathf("%s/templates/.incoming.xlsx", root);
		cmd = pathf("cp '%s' '%s' && mv '%s' '%s'", bad, tmp, tmp, live);
		if (system(cmd) != 0)
			fail(name, "cannot drop it into the live templates");
		free(cmd);
		free(tmp);
		if (!wait_for(log_count_grew, 10000))
			fail(name, "the running agent did not report the workbook within 10 s");
		if (!alive())
			fail(name, "the agent stopped after the workbook was dropped in");
		free(bad);
		free(cfg);
		rmtree(chk);
		free(chk);
	}
	/* The office's form back in place, loaded again. */
	count_text = "rules loaded";
	count_before = log_count(count_text);
	cmd = pathf("mv '%s' '%s'", spare, live);
	if (system(cmd) != 0 || !wait_for(log_count_grew, 10000))
		fail("templates", "the office's form did not load again");
	free(cmd);
	free(live);
	free(spare);
	free(text);
	free(manifest);
	return n;
}

/* The rules of rules-bad/: refused by check, and by the running agent, which goes on. */
static int
run_rules(void)
{
	char *manifest = pathf("%s/tests/bad/rules-bad/EXPECTED", src),
	     *text = slurp(manifest, NULL);
	char *line, *nl, *out = NULL, *err = NULL;
	int n = 0, rc;

	for (line = text; line != NULL && *line != '\0'; line = nl) {
		char file[128], *from, *chk, *cfg, *live, *msg;
		int used = 0;

		nl = strchr(line, '\n');
		nl = nl != NULL ? (*nl = '\0', nl + 1) : line + strlen(line);
		if (line[0] == '#' || line[0] == '\0' || sscanf(line, "%127s %n", file, &used) < 1)
			continue;
		msg = line + used;
		n++;
		chk = pathf("%s/check", root);
		rmtree(chk);
		mkdir(chk, 0755);
		from = pathf("%s/rules", chk);
		mkdir(from, 0755);
		free(from);
		from = pathf("%s/rules/%s", chk, file[0] == '@' ? "huge-rule.yaml" : file);
		if (file[0] == '@') {
			/* 20 MB of comments after a name: over the loader's size limit. */
			FILE *fp = fopen(from, "w");
			int i;

			fprintf(fp, "name: huge-rule\n");
			for (i = 0; i < 20000; i++)
				fprintf(fp, "# %01000d\n", i);
			fclose(fp);
		} else {
			char *cmd =
			    pathf("mkdir -p '%s/rules' && cp '%s/tests/bad/rules-bad/%s' '%s'", chk,
			          src, file, from);

			if (system(cmd) != 0)
				fail(file, "cannot copy");
			free(cmd);
		}
		cfg = pathf("%s/check.yaml", chk);
		{
			char *yaml =
			    pathf("rules: rules\ntemplates: %s/templates\nlanguage: en\n"
			          "audit: {dir: audit}\nspools:\n  - {name: s, inbox: in, "
			          "work: w, out: o, done: d, rejected: r, rules: [transport]}\n",
			          src);

			spits(cfg, yaml);
			free(yaml);
		}
		rc = run_agent(NULL, &out, &err, "check -c '%s'", cfg);
		if (rc == 0 || err == NULL || strstr(err, msg) == NULL)
			fail(file, "check exits %d and does not say \"%s\"; it says:\n%s", rc, msg,
			     err != NULL ? err : "");
		else
			passed++;
		free(out);
		free(err);
		out = err = NULL;
		/* Live: the agent refuses the reload, logs where, and keeps its rules. */
		live = pathf("%s/rules/%s", root, file[0] == '@' ? "huge-rule.yaml" : file);
		{
			char *cmd = pathf("cp '%s' '%s'", from, live);

			if (system(cmd) != 0)
				fail(file, "cannot copy into the live rules");
			free(cmd);
		}
		log_wanted = live;
		if (!wait_for(log_mentions, 10000))
			fail(file, "the running agent did not report the rule within 10 s");
		unlink(live);
		if (!alive())
			fail(file, "the agent stopped after the rule was dropped in");
		free(live);
		free(cfg);
		free(from);
		rmtree(chk);
		free(chk);
	}
	free(text);
	free(manifest);
	return n;
}

static int
after_rules_done(void)
{
	return exists("done", "transport-gen-after-rules.csv");
}

static int
after_templates_done(void)
{
	return exists("done", "office-transport-gen-after-templates.csv") &&
	       exists("out", "office-transport-0301-01998-2024-04-01.xlsx");
}

/* Names in dir: none hidden, none longer than a filesystem allows. */
static void
check_names(const char *sub)
{
	char *d = pathf("%s/%s", sp, sub);
	struct dirent *de;
	DIR *dp = opendir(d);

	while (dp != NULL && (de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_name[0] == '.' || strlen(de->d_name) > 255)
			fail(sub, "the name '%s' is not plain", de->d_name);
		if (strcmp(sub, "out") == 0 && strstr(de->d_name, ".xlsx") != NULL &&
		    strstr(de->d_name, ".ledger.xlsx") == NULL) {
			char *cmd =
			    pathf("unzip -p '%s/%s' 'xl/worksheets/*.xml' | grep -c '<f[ >]'", d,
			          de->d_name);
			FILE *fp = popen(cmd, "r");
			int k = -1;

			/* The office's form (templates/様式第3号.xlsx) has one formula of its own.
			 */
			int want = strncmp(de->d_name, "office-transport-", 17) == 0 ? 1 : 0;

			if (fp == NULL || fscanf(fp, "%d", &k) != 1 || k != want)
				fail(de->d_name, "the form holds %d formula cells", k);
			if (fp != NULL)
				pclose(fp);
			free(cmd);
		}
	}
	if (dp != NULL)
		closedir(dp);
	free(d);
}

int
main(void)
{
	struct stat shadow_before, shadow_after;
	char *cfg, *text, *p, *cmd;
	long rss;
	int ninputs, nrules, st;

	bin = getenv("FORMAGENT");
	src = getenv("SRCDIR");
	if (bin == NULL || src == NULL) {
		fprintf(stderr, "badinput: set FORMAGENT and SRCDIR (make badinput does)\n");
		return 2;
	}
	root = tmpdir_new();
	sp = pathf("%s/spool", root);
	cmd = pathf("mkdir -p '%s/inbox' '%s/outside' '%s/elsewhere' '%s/rules' && cp "
	            "'%s'/rules/*.yaml '%s/tests/bad/rules/named.yaml' '%s/rules/' && cp -r "
	            "'%s/templates' '%s/'",
	            sp, root, root, root, src, src, root, src, root);
	if (system(cmd) != 0)
		return 2;
	free(cmd);
	cfg = pathf("%s/formagent.yaml", root);
	text = pathf("rules: rules\ntemplates: templates\nlanguage: en\nretry_ms: 100\n"
	             "audit: {dir: spool/audit}\nstate_dir: spool/state\n"
	             "print: {soffice: %s/tests/fixtures/office/soffice}\n%s"
	             "spools:\n  - {name: s, inbox: spool/inbox, work: spool/work, out: spool/out, "
	             "done: spool/done, rejected: spool/rejected, review: spool/review, settle_ms: "
	             "200, max_bytes: %lld, "
	             "rules: [transport, household-goods, school-entry, named, transport-scan, "
	             "transport-office]}\n",
	             src, workers_line(), MAX_BYTES);
	spits(cfg, text);
	free(text);
	stat("/etc/shadow", &shadow_before);
	agent = fork();
	if (agent == 0) {
		/* An agent must not outlive a test that crashed or was stopped. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd;

		p = pathf("%s/agent.log", root);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, "run", "-c", cfg, (char *)NULL);
		_exit(127);
	}
	usleep(300000);
	ninputs = run_inputs();
	nrules = run_rules() + run_templates();
	/* The rules it had still work. */
	text = good_claim(999, "病院");
	drop_text("transport-gen-after-rules.csv", text);
	free(text);
	if (!wait_for(after_rules_done, 30000))
		fail("after the bad rules", "a good file was not produced");
	else
		passed++;
	/* And the office's form, after every bad workbook. */
	text = good_claim(1998, "病院");
	drop_text("office-transport-gen-after-templates.csv", text);
	free(text);
	if (!wait_for(after_templates_done, 30000))
		fail("after the bad workbooks", "a good file was not produced");
	else
		passed++;
	check_names("out");
	check_names("rejected");
	p = pathf("%s/outside", root);
	if (count_files(p, "") != 0)
		fail("outside", "something was written beside the spool");
	free(p);
	stat("/etc/shadow", &shadow_after);
	if (shadow_before.st_mtim.tv_sec != shadow_after.st_mtim.tv_sec ||
	    shadow_before.st_size != shadow_after.st_size)
		fail("/etc/shadow", "changed during the run");
	rss = peak_rss_kib(agent);
	if (!alive())
		fail("agent", "it is not running at the end (see %s/agent.log)", root);
	else if (rss < 0 || rss > BADINPUT_MAX_RSS_MIB * 1024L)
		fail("agent", "peak memory %ld KiB, more than %d MiB", rss, BADINPUT_MAX_RSS_MIB);
	kill(agent, SIGTERM);
	waitpid(agent, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail("agent", "it did not stop cleanly on SIGTERM");
	if (run_agent(NULL, NULL, NULL, "audit verify -c '%s'", cfg) != 0)
		fail("audit", "the log does not verify");
	printf("badinput: %d inputs and %d rules, as expected %d, skipped %d, failed %d; agent "
	       "running throughout, peak RSS %.1f MiB\n",
	       ninputs, nrules, passed, skipped, failed, rss / 1024.0);
	if (failed == 0)
		rmtree(root);
	else
		fprintf(stderr, "badinput: the folders are kept in %s\n", root);
	free(cfg);
	free(sp);
	free(root);
	return failed > 0 ? 1 : 0;
}
