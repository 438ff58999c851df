/*
 * The benchmark's helper programs, one binary with subcommands (bench/run drives them):
 *
 *   gen-export N SEED FILE      a transport export of N claims, CP932 with CRLF, as the
 *                               case-management system writes it
 *   gen-singles N SEED DIR      N files of one claim each, each written beside DIR and renamed in
 *   floor N SEED NAME OUT [TMP] the floor: the same forms and ledger formagent makes of that
 *                               export, with bare libxlsxwriter calls, one fsync and rename each
 *   latency N SEED INBOX OUT DONE  drops N single-claim files into a running agent's inbox one
 *                               at a time and prints, per file, the milliseconds from its rename
 *                               into the inbox to its form's rename into OUT, seen through
 *                               inotify; the next is dropped once the last is in DONE
 *   measure CMD ARGS...         runs CMD; prints its wall, user and system ms and its peak
 *                               resident set in KiB (wait4)
 *   count DIR                   the number of entries in DIR
 *   img2pdf PNG DPI PDF         the PNG as a one-page PDF of pictures only, no text layer, as a
 *                               scanner that does no OCR makes (for make scantest)
 *   watch-scan DIR              the agent's watch (watch.c) over DIR: one scan, then every file
 *                               offered and taken in turn; prints the milliseconds it took
 */
#include <cairo-pdf.h>
#include <cairo.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "claims.h"
#include "watch.h"
#include "xmalloc.h"
#include "render.h"    /* render_units: the ledger's columns sized as formagent sizes them */
#include "transform.h" /* days_from_civil, as formagent counts days */

static const char header[] = "ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,通院日,"
                             "医療機関名,経路,交通機関,片道運賃,往復回数,支給額,担当CW,備考\r\n";

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

/* UTF-8 to CP932, appended to fp. */
static void
put_cp932(FILE *fp, iconv_t cd, const char *s)
{
	char out[4096], *in = (char *)s, *o = out;
	size_t il = strlen(s), ol = sizeof out;

	if (iconv(cd, &in, &il, &o, &ol) == (size_t)-1)
		die("iconv");
	fwrite(out, 1, (size_t)(o - out), fp);
}

static void
claim_row(FILE *fp, iconv_t cd, const struct claim *c)
{
	char line[1024];

	snprintf(line, sizeof line,
	         "%s,%s,,%s,通院移送費,R%d.%d.%d,R%d.%d.%d,%s,%s,%s,%ld,%ld,%ld,%s,\r\n",
	         c->case_no, c->householder, c->name, c->applied_y - 2018, c->applied_m,
	         c->applied_d, c->visit_y - 2018, c->visit_m, c->visit_d, c->clinic, c->route,
	         c->transport, c->fare, c->trips, c->amount, c->caseworker);
	put_cp932(fp, cd, line);
}

static int
gen_export(long n, unsigned seed, const char *file)
{
	iconv_t cd = iconv_open("CP932", "UTF-8");
	FILE *fp = fopen(file, "wb");
	struct claim c;
	long i;

	if (fp == NULL || cd == (iconv_t)-1)
		die(file);
	put_cp932(fp, cd, header);
	for (i = 0; i < n; i++) {
		claim_gen(seed, i, &c);
		claim_row(fp, cd, &c);
	}
	if (fclose(fp) != 0)
		die(file);
	iconv_close(cd);
	return 0;
}

static void
single_file(unsigned seed, long i, const char *dir, const char *stage)
{
	iconv_t cd = iconv_open("CP932", "UTF-8");
	char *dst;
	struct claim c;
	FILE *fp = fopen(stage, "wb");

	if (fp == NULL)
		die(stage);
	claim_gen(seed, i, &c);
	put_cp932(fp, cd, header);
	claim_row(fp, cd, &c);
	fclose(fp);
	iconv_close(cd);
	if (asprintf(&dst, "%s/transport-single-%06ld.csv", dir, i) < 0)
		die("asprintf");
	if (rename(stage, dst) != 0)
		die(dst);
	free(dst);
}

static int
gen_singles(long n, unsigned seed, const char *dir)
{
	char *stage;
	long i;

	if (asprintf(&stage, "%s/../.bench-stage.csv", dir) < 0)
		die("asprintf");
	for (i = 0; i < n; i++)
		single_file(seed, i, dir, stage);
	free(stage);
	return 0;
}

/* ---- the floor ---- */

static double
serial(int y, int m, int d)
{
	return (double)(days_from_civil(y, m, d) + 25569);
}

static lxw_format *
fmt(lxw_workbook *wb, double size, int bold, uint8_t border, int fill, uint8_t align,
    uint8_t valign, const char *num, int wrap, int indent)
{
	lxw_format *f = workbook_add_format(wb);

	format_set_font_name(f, "MS PGothic");
	format_set_font_size(f, size);
	if (bold)
		format_set_bold(f);
	if (wrap)
		format_set_text_wrap(f);
	if (border)
		format_set_border(f, border);
	if (align)
		format_set_align(f, align);
	if (valign)
		format_set_align(f, valign);
	if (num != NULL)
		format_set_num_format(f, num);
	if (fill) {
		format_set_pattern(f, LXW_PATTERN_SOLID);
		format_set_bg_color(f, 0xEDEDED);
	}
	if (indent)
		format_set_indent(f, (uint8_t)indent);
	return f;
}

static void
props(lxw_workbook *wb, time_t created)
{
	lxw_doc_properties p;

	memset(&p, 0, sizeof p);
	p.title = "通院移送費";
	p.created = created;
	workbook_set_properties(wb, &p);
}

/*
 * Publishes tmp as name in dir: one fsync and one rename per file; the folder is synced once,
 * after the last file (floor_run), as formagent does before its audit record.
 */
static void
publish(int dirfd, const char *tmp, const char *name)
{
	int fd = openat(dirfd, tmp, O_RDONLY);

	if (fd == -1 || fsync(fd) != 0)
		die(tmp);
	close(fd);
	if (renameat(dirfd, tmp, dirfd, name) != 0)
		die(name);
}

static const char *const date_fmt = "[$-411]ggge\"年\"m\"月\"d\"日\"";

static void
floor_form(const struct claim *c, long row, const char *dir, int dirfd, const char *tmpdir)
{
	lxw_workbook_options opt = {0, (char *)tmpdir, 0};
	char tmp[512], name[128];
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *title, *label, *value, *wrap, *date, *yen, *count, *total, *plain, *appr;

	snprintf(name, sizeof name, "transport-%s-%04d-%02d-%02d.xlsx", c->case_no, c->visit_y,
	         c->visit_m, c->visit_d);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
	wb = workbook_new_opt(tmp, &opt);
	props(wb, (time_t)days_from_civil(c->applied_y, c->applied_m, c->applied_d) * 86400);
	ws = workbook_add_worksheet(wb, "支給決定書");
	plain = workbook_add_format(wb);
	format_set_font_name(plain, "MS PGothic");
	format_set_font_size(plain, 11);
	title = fmt(wb, 18, 1, 0, 0, LXW_ALIGN_CENTER, LXW_ALIGN_VERTICAL_CENTER, NULL, 0, 0);
	label = fmt(wb, 11, 0, LXW_BORDER_THIN, 1, LXW_ALIGN_CENTER, LXW_ALIGN_VERTICAL_CENTER,
	            NULL, 0, 0);
	value = fmt(wb, 11, 0, LXW_BORDER_THIN, 0, 0, LXW_ALIGN_VERTICAL_CENTER, NULL, 0, 1);
	wrap = fmt(wb, 11, 0, LXW_BORDER_THIN, 0, 0, LXW_ALIGN_VERTICAL_TOP, NULL, 1, 1);
	date = fmt(wb, 11, 0, LXW_BORDER_THIN, 0, LXW_ALIGN_CENTER, LXW_ALIGN_VERTICAL_CENTER,
	           date_fmt, 0, 0);
	yen = fmt(wb, 11, 0, LXW_BORDER_THIN, 0, LXW_ALIGN_RIGHT, LXW_ALIGN_VERTICAL_CENTER,
	          "#,##0\"円\"", 0, 0);
	count = fmt(wb, 11, 0, LXW_BORDER_THIN, 0, LXW_ALIGN_RIGHT, LXW_ALIGN_VERTICAL_CENTER,
	            "#,##0\"回\"", 0, 0);
	total = fmt(wb, 14, 1, LXW_BORDER_MEDIUM, 0, LXW_ALIGN_RIGHT, LXW_ALIGN_VERTICAL_CENTER,
	            "#,##0\"円\"", 0, 0);
	(void)plain;
	plain = fmt(wb, 11, 0, 0, 0, 0, LXW_ALIGN_VERTICAL_CENTER, NULL, 0, 0);
	appr = fmt(wb, 10, 0, LXW_BORDER_THIN, 0, LXW_ALIGN_CENTER, LXW_ALIGN_VERTICAL_CENTER, NULL,
	           0, 0);
	worksheet_set_paper(ws, 9);
	worksheet_set_portrait(ws);
	worksheet_set_margins(ws, 15 / 25.4, 15 / 25.4, 15 / 25.4, 15 / 25.4);
	worksheet_fit_to_pages(ws, 1, 0);
	worksheet_center_horizontally(ws);
	worksheet_set_column(ws, 0, 0, 2, NULL);
	worksheet_set_column(ws, 1, 1, 14, NULL);
	worksheet_set_column(ws, 2, 2, 24, NULL);
	worksheet_set_column(ws, 3, 3, 14, NULL);
	worksheet_set_column(ws, 4, 4, 12, NULL);
	worksheet_set_column(ws, 5, 5, 12, NULL);
	worksheet_set_row(ws, 3, 36, NULL);
	for (int r = 5; r <= 14; r++)
		worksheet_set_row(ws, (lxw_row_t)r, r == 11 ? 32 : 24, NULL);
	worksheet_merge_range(ws, 3, 1, 3, 5, "", title);
	worksheet_write_string(ws, 3, 1, "通院移送費 支給決定書", title);
	worksheet_write_string(ws, 5, 1, "ケース番号", label);
	worksheet_write_string(ws, 5, 2, c->case_no, value);
	worksheet_write_string(ws, 5, 3, "申請日", label);
	worksheet_merge_range(ws, 5, 4, 5, 5, "", date);
	worksheet_write_number(ws, 5, 4, serial(c->applied_y, c->applied_m, c->applied_d), date);
	worksheet_write_string(ws, 6, 1, "世帯主氏名", label);
	worksheet_write_string(ws, 6, 2, c->householder, value);
	worksheet_write_string(ws, 6, 3, "対象者氏名", label);
	worksheet_merge_range(ws, 6, 4, 6, 5, "", value);
	worksheet_write_string(ws, 6, 4, c->name, value);
	worksheet_write_string(ws, 7, 1, "通院日", label);
	worksheet_write_number(ws, 7, 2, serial(c->visit_y, c->visit_m, c->visit_d), date);
	worksheet_write_string(ws, 7, 3, "交通機関", label);
	worksheet_merge_range(ws, 7, 4, 7, 5, "", value);
	worksheet_write_string(ws, 7, 4, c->transport, value);
	worksheet_write_string(ws, 8, 1, "医療機関名", label);
	worksheet_merge_range(ws, 8, 2, 8, 5, "", value);
	worksheet_write_string(ws, 8, 2, c->clinic, value);
	worksheet_write_string(ws, 9, 1, "経路", label);
	worksheet_merge_range(ws, 9, 2, 9, 5, "", value);
	worksheet_write_string(ws, 9, 2, c->route, value);
	worksheet_write_string(ws, 10, 1, "片道運賃", label);
	worksheet_write_number(ws, 10, 2, (double)c->fare, yen);
	worksheet_write_string(ws, 10, 3, "往復回数", label);
	worksheet_merge_range(ws, 10, 4, 10, 5, "", count);
	worksheet_write_number(ws, 10, 4, (double)c->trips, count);
	worksheet_write_string(ws, 11, 1, "支給額", label);
	worksheet_merge_range(ws, 11, 2, 11, 5, "", total);
	worksheet_write_number(ws, 11, 2, (double)c->amount, total);
	worksheet_write_string(ws, 12, 1, "担当CW", label);
	worksheet_write_string(ws, 12, 2, c->caseworker, value);
	worksheet_write_string(ws, 12, 3, "入力行", label);
	worksheet_merge_range(ws, 12, 4, 12, 5, "", value);
	worksheet_write_number(ws, 12, 4, (double)row, value);
	worksheet_merge_range(ws, 13, 1, 14, 1, "", label);
	worksheet_write_string(ws, 13, 1, "備考", label);
	worksheet_merge_range(ws, 13, 2, 14, 5, "", wrap);
	worksheet_write_string(ws, 13, 2, "", wrap);
	worksheet_merge_range(ws, 16, 1, 16, 5, "", plain);
	worksheet_write_string(ws, 16, 1, "上記のとおり支給してよろしいか伺います。", plain);
	worksheet_write_string(ws, 0, 4, "係長", appr);
	worksheet_write_blank(ws, 1, 4, appr);
	worksheet_write_string(ws, 0, 5, "課長", appr);
	worksheet_write_blank(ws, 1, 5, appr);
	worksheet_set_row(ws, 1, 44, NULL);
	if (workbook_close(wb) != LXW_NO_ERROR)
		die(tmp);
	publish(dirfd, strrchr(tmp, '/') + 1, name);
}

/*
 * The ledger's columns, sized as formagent sizes them (render.c): the widest of the template's
 * width, the header (up to 1.5 times it), every value as shown and the total, all at 10 pt.
 */
static void
grow(double *width, long col, const char *shown, double cap)
{
	double need = render_units(shown, 10, 0);

	if (cap > 0 && need > cap)
		need = cap;
	if (need > width[col])
		width[col] = need;
}

/* A number as "#,##0" shows it, with a suffix. Caller frees. */
static char *
shown_yen(long v, const char *suffix)
{
	char *g = tf_group(v), *s;

	if (asprintf(&s, "%s%s", g, suffix) < 0)
		die("asprintf");
	free(g);
	return s;
}

/* Widens the columns for one claim's row as it shows. */
static void
size_row(double *width, long row, const struct claim *c)
{
	char *s;

	s = shown_yen(row, "");
	grow(width, 0, s, 0);
	free(s);
	grow(width, 1, c->case_no, 0);
	grow(width, 2, c->name, 0);
	s = tf_wareki(eras_builtin(), days_from_civil(c->applied_y, c->applied_m, c->applied_d), 0);
	grow(width, 3, s, 0);
	free(s);
	s = tf_wareki(eras_builtin(), days_from_civil(c->visit_y, c->visit_m, c->visit_d), 0);
	grow(width, 4, s, 0);
	free(s);
	grow(width, 5, c->clinic, 0);
	s = shown_yen(c->fare, "円");
	grow(width, 6, s, 0);
	free(s);
	s = shown_yen(c->trips, "");
	grow(width, 7, s, 0);
	free(s);
	s = shown_yen(c->amount, "円");
	grow(width, 8, s, 0);
	free(s);
	grow(width, 9, c->caseworker, 0);
}

static int
floor_run(long n, unsigned seed, const char *input, const char *dir, const char *tmpdir)
{
	lxw_workbook_options opt = {1, (char *)tmpdir, 0};
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	char tmp[1024], name[512], stem[256], *s, *dot;
	lxw_format *title, *head, *cell, *date, *yen, *count, *total, *plain;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	struct claim c;
	long i, sum = 0, created = 0, d;
	static const double widths[] = {5, 12, 14, 15, 15, 22, 10, 8, 12, 14};
	double width[10];
	static const char *const heads[] = {"行",     "ケース番号", "対象者氏名", "申請日",
	                                    "通院日", "医療機関名", "片道運賃",   "往復回数",
	                                    "支給額", "担当CW"};

	if (dirfd == -1)
		die(dir);
	snprintf(stem, sizeof stem, "%s", input);
	if ((dot = strrchr(stem, '.')) != NULL)
		*dot = '\0';
	snprintf(name, sizeof name, "%s.ledger.xlsx", stem);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
	wb = workbook_new_opt(tmp, &opt);
	ws = workbook_add_worksheet(wb, "一覧");
	plain = workbook_add_format(wb);
	format_set_font_name(plain, "MS PGothic");
	format_set_font_size(plain, 10);
	title = fmt(wb, 14, 1, 0, 0, 0, 0, NULL, 0, 0);
	head = fmt(wb, 10, 1, LXW_BORDER_THIN, 1, LXW_ALIGN_CENTER, 0, NULL, 1, 0);
	cell = fmt(wb, 10, 0, LXW_BORDER_THIN, 0, 0, 0, NULL, 0, 0);
	date = fmt(wb, 10, 0, LXW_BORDER_THIN, 0, LXW_ALIGN_CENTER, 0, date_fmt, 0, 0);
	yen = fmt(wb, 10, 0, LXW_BORDER_THIN, 0, 0, 0, "#,##0\"円\"", 0, 0);
	count = fmt(wb, 10, 0, LXW_BORDER_THIN, 0, 0, 0, "#,##0", 0, 0);
	total = fmt(wb, 10, 1, LXW_BORDER_MEDIUM, 0, 0, 0, "#,##0\"円\"", 0, 0);
	worksheet_set_paper(ws, 9);
	worksheet_set_landscape(ws);
	worksheet_set_margins(ws, 10 / 25.4, 10 / 25.4, 12 / 25.4, 12 / 25.4);
	worksheet_fit_to_pages(ws, 1, 0);
	worksheet_center_horizontally(ws);
	for (i = 0; i < 10; i++) {
		width[i] = widths[i];
		grow(width, i, heads[i], widths[i] * 1.5);
	}
	worksheet_write_string(ws, 0, 0, "通院移送費 支給一覧", title);
	if (asprintf(&s, "通院移送費: %s", input) < 0)
		die("asprintf");
	worksheet_write_string(ws, 1, 0, s, plain);
	free(s);
	for (i = 0; i < 10; i++)
		worksheet_write_string(ws, 2, (lxw_col_t)i, heads[i], head);
	worksheet_freeze_panes(ws, 3, 0);
	worksheet_repeat_rows(ws, 2, 2);
	for (i = 0; i < n; i++) {
		lxw_row_t r = (lxw_row_t)(3 + i);

		claim_gen(seed, i, &c);
		floor_form(&c, i + 2, dir, dirfd, tmpdir);
		worksheet_write_number(ws, r, 0, (double)(i + 2), count);
		worksheet_write_string(ws, r, 1, c.case_no, cell);
		worksheet_write_string(ws, r, 2, c.name, cell);
		worksheet_write_number(ws, r, 3, serial(c.applied_y, c.applied_m, c.applied_d),
		                       date);
		worksheet_write_number(ws, r, 4, serial(c.visit_y, c.visit_m, c.visit_d), date);
		worksheet_write_string(ws, r, 5, c.clinic, cell);
		worksheet_write_number(ws, r, 6, (double)c.fare, yen);
		worksheet_write_number(ws, r, 7, (double)c.trips, count);
		worksheet_write_number(ws, r, 8, (double)c.amount, yen);
		worksheet_write_string(ws, r, 9, c.caseworker, cell);
		size_row(width, i + 2, &c);
		sum += c.amount;
		d = days_from_civil(c.applied_y, c.applied_m, c.applied_d);
		if (d > created)
			created = d;
	}
	{
		lxw_row_t r = (lxw_row_t)(3 + n);
		char formula[64];

		worksheet_write_string(ws, r, 0, "合計", total);
		grow(width, 0, "合計", 0);
		s = shown_yen(sum, "円");
		grow(width, 8, s, 0);
		free(s);
		for (i = 1; i < 10; i++)
			if (i == 8) {
				snprintf(formula, sizeof formula, "=SUM(I4:I%ld)", 3 + n);
				worksheet_write_formula_num(ws, r, 8, formula, yen, (double)sum);
			} else
				worksheet_write_blank(ws, r, (lxw_col_t)i, total);
	}
	for (i = 0; i < 10; i++)
		worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, width[i], NULL);
	props(wb, (time_t)created * 86400);
	if (workbook_close(wb) != LXW_NO_ERROR)
		die(tmp);
	publish(dirfd, strrchr(tmp, '/') + 1, name);
	if (fsync(dirfd) != 0)
		die(dir);
	close(dirfd);
	return 0;
}

/* ---- latency ---- */

static double
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Waits for IN_MOVED_TO of name on ifd; 0, or -1 after 10 s. Events of other names are
 * dropped.
 */
static int
wait_moved(int ifd, const char *name)
{
	char buf[65536] __attribute__((aligned(8))), *q;
	struct pollfd p = {ifd, POLLIN, 0};
	ssize_t len;

	for (;;) {
		if (poll(&p, 1, 10000) <= 0)
			return -1;
		len = read(ifd, buf, sizeof buf);
		for (q = buf; len > 0 && q < buf + len;) {
			struct inotify_event *ev = (struct inotify_event *)q;

			if (ev->len > 0 && strcmp(ev->name, name) == 0)
				return 0;
			q += sizeof *ev + ev->len;
		}
	}
}

/*
 * One claim at a time: the clock runs from the file's rename into the inbox to its form's rename
 * into out/; the next file is dropped once this one is finished (in done/), as a clerk who drops
 * one file and waits for its form would.
 */
static int
latency(long n, unsigned seed, const char *inbox, const char *out, const char *done)
{
	char want[128], input[64], *stage;
	int ifd = inotify_init1(IN_CLOEXEC), dfd = inotify_init1(IN_CLOEXEC);
	struct claim c;
	long i;

	if (ifd == -1 || inotify_add_watch(ifd, out, IN_MOVED_TO) == -1)
		die(out);
	if (dfd == -1 || inotify_add_watch(dfd, done, IN_MOVED_TO) == -1)
		die(done);
	if (asprintf(&stage, "%s/../.bench-stage.csv", inbox) < 0)
		die("asprintf");
	for (i = 0; i < n; i++) {
		double t0, t1;

		claim_gen(seed, i, &c);
		snprintf(want, sizeof want, "transport-%s-%04d-%02d-%02d.xlsx", c.case_no,
		         c.visit_y, c.visit_m, c.visit_d);
		t0 = clock_ms();
		single_file(seed, i, inbox, stage);
		if (wait_moved(ifd, want) == -1) {
			fprintf(stderr, "latency: no form for claim %ld within 10 s\n", i);
			return 1;
		}
		t1 = clock_ms();
		snprintf(input, sizeof input, "transport-single-%06ld.csv", i);
		if (wait_moved(dfd, input) == -1) {
			fprintf(stderr, "latency: claim %ld not finished within 10 s\n", i);
			return 1;
		}
		printf("%.3f\n", t1 - t0);
	}
	free(stage);
	return 0;
}

/* Runs argv; prints its wall, user and system milliseconds and peak RSS in KiB (wait4). */
static int
measure(char **argv)
{
	struct rusage ru;
	double t0 = clock_ms();
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) == -1)
		die("wait4");
	printf("%.0f %.0f %.0f %ld\n", clock_ms() - t0,
	       ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3,
	       ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3, ru.ru_maxrss);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int
count(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	long n = 0;

	while (dp != NULL && (de = readdir(dp)) != NULL)
		n += de->d_name[0] != '.';
	if (dp != NULL)
		closedir(dp);
	printf("%ld\n", n);
	return 0;
}

static int
img2pdf(const char *png, double dpi, const char *pdf)
{
	cairo_surface_t *img = cairo_image_surface_create_from_png(png), *out;
	double w, h;
	cairo_t *cr;

	if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS || dpi <= 0) {
		fprintf(stderr, "benchtool: cannot read %s\n", png);
		return 1;
	}
	w = cairo_image_surface_get_width(img) * 72 / dpi;
	h = cairo_image_surface_get_height(img) * 72 / dpi;
	out = cairo_pdf_surface_create(pdf, w, h);
	cr = cairo_create(out);
	cairo_scale(cr, 72 / dpi, 72 / dpi);
	cairo_set_source_surface(cr, img, 0, 0);
	cairo_paint(cr);
	cairo_destroy(cr);
	cairo_surface_finish(out);
	if (cairo_surface_status(out) != CAIRO_STATUS_SUCCESS) {
		fprintf(stderr, "benchtool: cannot write %s\n", pdf);
		return 1;
	}
	cairo_surface_destroy(out);
	cairo_surface_destroy(img);
	return 0;
}

/* How long watch.c takes to find, offer and forget every file of dir, in milliseconds. */
static int
watch_scan_ms(const char *dir)
{
	char *cause = NULL, *name;
	struct watch *w = watch_new(dir, WATCH_POLL, 0, 0, NULL, 0, -1, &cause);
	double t0 = clock_ms();
	const char *ready;
	size_t n = 0;

	if (w == NULL) {
		fprintf(stderr, "benchtool: %s\n", cause);
		return 1;
	}
	watch_scan(w, now_ms());
	while ((ready = watch_ready(w, now_ms(), NULL, NULL)) != NULL) {
		name = xstrdup(ready);
		watch_done(w, name);
		free(name);
		n++;
	}
	printf("%.0f %zu\n", clock_ms() - t0, n);
	watch_free(w, -1);
	return 0;
}

int
main(int argc, char **argv)
{
	/*
	 * As formagent's main() does: freed heap stays for the next workbook. Without it the floor
	 * spends two thirds of its time in the kernel giving memory back and taking it again, and
	 * the ratio would measure glibc's trimming, not the work.
	 */
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	if (argc >= 5 && strcmp(argv[1], "gen-export") == 0)
		return gen_export(atol(argv[2]), (unsigned)atol(argv[3]), argv[4]);
	if (argc >= 5 && strcmp(argv[1], "gen-singles") == 0)
		return gen_singles(atol(argv[2]), (unsigned)atol(argv[3]), argv[4]);
	if (argc >= 6 && strcmp(argv[1], "floor") == 0)
		return floor_run(atol(argv[2]), (unsigned)atol(argv[3]), argv[4], argv[5],
		                 argc > 6 ? argv[6] : NULL);
	if (argc >= 7 && strcmp(argv[1], "latency") == 0)
		return latency(atol(argv[2]), (unsigned)atol(argv[3]), argv[4], argv[5], argv[6]);
	if (argc >= 3 && strcmp(argv[1], "measure") == 0)
		return measure(argv + 2);
	if (argc >= 3 && strcmp(argv[1], "count") == 0)
		return count(argv[2]);
	if (argc >= 5 && strcmp(argv[1], "img2pdf") == 0)
		return img2pdf(argv[2], atof(argv[3]), argv[4]);
	if (argc >= 3 && strcmp(argv[1], "watch-scan") == 0)
		return watch_scan_ms(argv[2]);
	fprintf(stderr,
	        "usage: benchtool "
	        "gen-export|gen-singles|floor|latency|measure|count|img2pdf|watch-scan ...\n");
	return 2;
}
