/*
 * End-to-end tests: the real formagent binary on the shipped configuration and the samples, in
 * temporary folders, checked the way a user checks them: the value and type of a form's cells,
 * the ledger's total, the bytes of the import file, the reason file of a broken row, exit
 * statuses, and `check` on broken configurations against the exact messages beside them.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "testutil.h"
#include "xlsxread.h"

static char *config;

static char *
path2(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) == -1)
		abort();
	return p;
}

static void
assert_number(const char *xlsx, const char *addr, double want)
{
	struct xcell c;

	assert_int_equal(xlsx_cell(xlsx, addr, &c), 0);
	if (c.type != 'n' || c.num != want)
		fail_msg("%s %s: expected the number %g, got type %c (%g, %s)", xlsx, addr, want,
		         c.type, c.num, c.text ? c.text : "");
	xcell_clear(&c);
}

static void
assert_text(const char *xlsx, const char *addr, const char *want)
{
	struct xcell c;

	assert_int_equal(xlsx_cell(xlsx, addr, &c), 0);
	if (c.type != 's' || strcmp(c.text, want) != 0)
		fail_msg("%s %s: expected the text '%s', got type %c ('%s')", xlsx, addr, want,
		         c.type, c.text ? c.text : "");
	xcell_clear(&c);
}

static char *config_dir;

static int
setup(void **state)
{
	(void)state;
	config_dir = tmpdir_new();
	config = example_config(config_dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(config);
	rmtree(config_dir);
	free(config_dir);
	return 0;
}

static const struct {
	const char *case_no, *visit;
	double amount, fare, trips;
	const char *clinic;
} transport_rows[] = {
    {"0101-00231", "2024-04-01", 2000, 250, 4, "東区中央病院"},
    {"0101-00487", "2024-04-02", 4000, 250, 8, "札幌北整形外科"},
    {"0102-01102", "2024-04-04", 840, 210, 2, "苗穂内科クリニック"},
    {"0102-01345", "2024-04-05", 5040, 210, 12, "札幌東徳洲会病院"},
};

/* The transport sample: 4 forms with their amounts, a ledger totalling 11880, a CP932 import. */
static void
test_transport_sample(void **state)
{
	char *dir = tmpdir_new(), *in = samplepath("transport-2024-04.cp932.csv"), *out, *err;
	char *form, *name, *ledger, *imp, *bytes, *utf8, *fmt;
	struct xcell c;
	size_t i, len;

	(void)state;
	assert_int_equal(
	    run_agent(NULL, &out, &err, "process -c '%s' --out '%s' '%s'", config, dir, in), 0);
	assert_non_null(strstr(out, "4 rows: 4 produced, 0 rejected"));
	assert_int_equal(count_files(dir, ".xlsx"), 5);
	assert_int_equal(count_files(dir, ".tmp"), 0);
	assert_int_equal(count_files(dir, ".reason.txt"), 0);
	for (i = 0; i < 4; i++) {
		if (asprintf(&name, "transport-%s-%s.xlsx", transport_rows[i].case_no,
		             transport_rows[i].visit) == -1)
			abort();
		form = path2(dir, name);
		assert_number(form, "C12", transport_rows[i].amount);
		assert_number(form, "C11", transport_rows[i].fare);
		assert_number(form, "E11", transport_rows[i].trips);
		assert_text(form, "C6", transport_rows[i].case_no);
		assert_text(form, "C9", transport_rows[i].clinic);
		assert_text(form, "B4", "通院移送費 支給決定書");
		/* The approval box: labels over empty boxes for the stamps. */
		assert_text(form, "E1", "係長");
		assert_text(form, "F1", "課長");
		/* Dates are real dates shown in 和暦 by the cell's number format. */
		assert_int_equal(xlsx_cell(form, "E6", &c), 0);
		assert_int_equal(c.type, 'n');
		fmt = xlsx_numfmt(form, c.style);
		assert_non_null(fmt);
		assert_string_equal(fmt, "[$-411]ggge\"年\"m\"月\"d\"日\"");
		free(fmt);
		xcell_clear(&c);
		assert_int_equal(xlsx_cell(form, "C12", &c), 0);
		fmt = xlsx_numfmt(form, c.style);
		assert_string_equal(fmt, "#,##0\"円\"");
		free(fmt);
		xcell_clear(&c);
		/* A4 portrait. */
		bytes = xlsx_part(form, "xl/worksheets/sheet1.xml");
		assert_non_null(strstr(bytes, "paperSize=\"9\""));
		assert_non_null(strstr(bytes, "orientation=\"portrait\""));
		free(bytes);
		free(form);
		free(name);
	}
	/* 2024-04-03 is serial 45385: the first claim's 申請日. */
	form = path2(dir, "transport-0101-00231-2024-04-01.xlsx");
	assert_number(form, "E6", 45385);
	assert_number(form, "C8", 45383);
	free(form);

	ledger = path2(dir, "transport-2024-04.cp932.ledger.xlsx");
	assert_text(ledger, "A1", "通院移送費 支給一覧");
	assert_text(ledger, "I3", "支給額");
	assert_number(ledger, "I4", 2000);
	assert_number(ledger, "I7", 5040);
	assert_text(ledger, "A8", "合計");
	assert_int_equal(xlsx_cell(ledger, "I8", &c), 0);
	assert_int_equal(c.type, 'n');
	assert_true(c.num == 11880);
	assert_string_equal(c.formula, "SUM(I4:I7)");
	xcell_clear(&c);
	free(ledger);

	imp = path2(dir, "transport-2024-04.cp932.import.csv");
	bytes = slurp(imp, &len);
	assert_non_null(bytes);
	/* CP932, CRLF, a header and 4 rows in the rule's column order. */
	utf8 = from_cp932(bytes, len);
	assert_non_null(utf8);
	assert_string_equal(
	    utf8,
	    "\"ケース番号\",\"申請日\",\"通院日\",\"交通機関コード\",\"片道運賃\",\"往復回数\","
	    "\"支給額\","
	    "\"入力行\"\r\n"
	    "\"0101-00231\",\"20240403\",\"20240401\",\"01\",\"250\",\"4\",\"2000\",\"2\"\r\n"
	    "\"0101-00487\",\"20240405\",\"20240402\",\"01\",\"250\",\"8\",\"4000\",\"3\"\r\n"
	    "\"0102-01102\",\"20240408\",\"20240404\",\"02\",\"210\",\"2\",\"840\",\"4\"\r\n"
	    "\"0102-01345\",\"20240409\",\"20240405\",\"01\",\"210\",\"12\",\"5040\",\"5\"\r\n");
	/* The header's first bytes are ケ (0x8350) in CP932, not UTF-8. */
	assert_memory_equal(bytes, "\"\x83\x50", 3);
	free(utf8);
	free(bytes);
	free(imp);
	free(out);
	free(err);
	free(in);
	rmtree(dir);
	free(dir);
}

static void
test_household_sample(void **state)
{
	char *dir = tmpdir_new(), *in = samplepath("household-goods-2024-04.cp932.csv"), *form;
	char *ledger;

	(void)state;
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", config, dir, in), 0);
	assert_int_equal(count_files(dir, ".xlsx"), 3);
	form = path2(dir, "household-goods-0101-00231-2024-04-10.xlsx");
	assert_number(form, "C10", 19800);
	assert_text(form, "C8", "石油ストーブ");
	assert_text(form, "E7", "家具什器費");
	free(form);
	form = path2(dir, "household-goods-0103-00077-2024-04-11.xlsx");
	assert_number(form, "C10", 18000);
	free(form);
	ledger = path2(dir, "household-goods-2024-04.cp932.ledger.xlsx");
	assert_number(ledger, "I6", 37800);
	free(ledger);
	free(in);
	rmtree(dir);
	free(dir);
}

/* The same claims in UTF-8 with a BOM give the same forms, byte for byte. */
static void
test_utf8_same_bytes(void **state)
{
	char *a = tmpdir_new(), *b = tmpdir_new(), *in1, *in2, *fa, *fb, *ba, *bb;
	size_t la, lb;

	(void)state;
	in1 = samplepath("transport-2024-04.cp932.csv");
	in2 = samplepath("transport-2024-04.utf8.csv");
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", config, a, in1), 0);
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", config, b, in2), 0);
	fa = path2(a, "transport-0102-01345-2024-04-05.xlsx");
	fb = path2(b, "transport-0102-01345-2024-04-05.xlsx");
	ba = slurp(fa, &la);
	bb = slurp(fb, &lb);
	assert_non_null(ba);
	assert_non_null(bb);
	assert_int_equal(la, lb);
	assert_memory_equal(ba, bb, la);
	/* The note holds a quoted line break; it survives into the cell. */
	assert_text(fa, "C14", "週3回通院\n（人工透析）");
	free(ba);
	free(bb);
	free(fa);
	free(fb);
	free(in1);
	free(in2);
	rmtree(a);
	rmtree(b);
	free(a);
	free(b);
}

/* A second run over the same input gives the same bytes and writes nothing new. */
static void
test_rerun_is_idempotent(void **state)
{
	char *dir = tmpdir_new(), *in = samplepath("transport-2024-04.cp932.csv");

	(void)state;
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", config, dir, in), 0);
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", config, dir, in), 0);
	/* 4 forms, the ledger, the import file and the print PDF (the stand-in's: same bytes). */
	assert_int_equal(count_files(dir, ""), 7);
	free(in);
	rmtree(dir);
	free(dir);
}

static const char bad_csv[] =
    "ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,通院日,医療機関名,経路,交通機関,"
    "片道運賃,往復回数,支給額,担当CW,備考\r\n"
    /* row 2: the amount does not match the fare */
    "0101-00231,札幌 太郎,,札幌 太郎,通院移送費,令和6年4月3日,R6.4.1,東区中央病院,a,地下鉄,250,"
    "4,\"2,100\",山田,\r\n"
    /* row 3: a date that does not exist */
    "0101-00232,札幌 花子,,札幌 花子,通院移送費,令和3年2月29日,R6.4.1,東区中央病院,a,地下鉄,250,"
    "4,\"2,000\",山田,\r\n"
    /* row 4: good, with full-width digits and a formula-like clinic */
    "０１０１－００２３３,札幌 次郎,,札幌 次郎,通院移送費,令和6年4月3日,R6.4.1,"
    "\"=HYPERLINK(\"\"http://x\"\")\",a,地下鉄,２５０,４,\"2,000\",山田,\r\n"
    /* row 5: too few columns */
    "0101-00234,x\r\n"
    /* row 6: not an amount, and a case number in the wrong form */
    "0101-2,札幌 三郎,,札幌 三郎,通院移送費,令和6年4月3日,R6.4.1,東区中央病院,a,地下鉄,250,4,"
    "二千円,山田,\r\n";

static void
test_rejected_rows(void **state)
{
	char *dir = tmpdir_new(), *in = path2(dir, "transport-bad.csv"), *out = path2(dir, "out");
	char *reason, *rej, *text, *form, *utf8;
	size_t len;

	(void)state;
	spit(in, bad_csv, sizeof bad_csv - 1);
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", config, out, in), 1);
	/* The good row still produced its form. */
	form = path2(out, "transport-0101-00233-2024-04-01.xlsx");
	assert_number(form, "C12", 2000);
	/* A formula-like value is a string cell, never a formula. */
	assert_text(form, "C9", "=HYPERLINK(\"http://x\")");
	free(form);
	reason = path2(out, "transport-bad.csv.reason.txt");
	text = slurp(reason, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "5 件のうち 4 件を受け付けませんでした"));
	assert_non_null(
	    strstr(text, "2 行目、列「支給額」、値「2,100」: 支給額 2,100円 が 片道運賃 250円 × "
	                 "往復回数 4回 × 2 と一致しません\n"));
	assert_non_null(strstr(text, "3 行目、列「申請日」、値「令和3年2月29日」: "));
	assert_non_null(strstr(text, "2021年はうるう年ではないため、2月は28日までです"));
	assert_non_null(strstr(text, "5 行目: この行は 2 列ですが、見出しは 15 列です"));
	assert_non_null(strstr(text, "6 行目、列「ケース番号」、値「0101-2」: "));
	assert_non_null(strstr(
	    text, "6 行目、列「支給額」、値「二千円」: 支給額: 「二千円」は金額として読めません"));
	free(text);
	/* The rejected rows, with the header, in the input's encoding (UTF-8 here). */
	rej = path2(out, "transport-bad.csv.rejected.csv");
	text = slurp(rej, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"ケース番号\",\"世帯主氏名\""));
	assert_non_null(strstr(text, "\"0101-00231\""));
	assert_non_null(strstr(text, "\"0101-00234\",\"x\"\r\n"));
	assert_null(strstr(text, "00233"));
	utf8 = from_cp932(text, len);
	free(utf8);
	free(text);
	free(rej);
	free(reason);
	free(out);
	free(in);
	rmtree(dir);
	free(dir);
}

/*
 * Spool folders inside one another, or shared: out/ inside the inbox would have the agent take
 * its own outputs; check refuses each, and says which folder and where.
 */
static void
test_check_spool_places(void **state)
{
	char *dir = tmpdir_new(), *cfg = pathf("%s/formagent.yaml", dir), *rules = srcpath("rules");
	char *templates = srcpath("templates"), *text, *err;

	(void)state;
	text =
	    pathf("rules: %s\ntemplates: %s\naudit: {dir: audit}\nspools:\n"
	          "  - {name: a, inbox: in, work: work, out: in/out, done: done, rejected: rej,\n"
	          "     rules: [transport]}\n"
	          "  - {name: b, inbox: in2, work: work2, out: out2, done: ./done/../done,\n"
	          "     rejected: rej2, rules: [transport]}\n",
	          rules, templates);
	spits(cfg, text);
	free(text);
	assert_int_equal(run_agent(NULL, NULL, &err, "check -c '%s'", cfg), 1);
	text = pathf("formagent.yaml:5:43: spool 'a': its out folder %s/in/out is inside the inbox "
	             "folder of spool 'a'",
	             dir);
	assert_non_null(strstr(err, text));
	free(text);
	text = pathf("formagent.yaml:7:57: spool 'b': its done folder %s/done is also the done "
	             "folder of spool 'a'",
	             dir);
	assert_non_null(strstr(err, text));
	free(text);
	/* Two spools' rejected folders side by side: their default review folder is one. */
	text =
	    pathf("formagent.yaml:7:5: spool 'b': its review (by default beside rejected) folder "
	          "%s/review is also the review (by default beside rejected) folder of spool 'a'",
	          dir);
	assert_non_null(strstr(err, text));
	free(text);
	free(err);
	/* The agent will not start on it either. */
	assert_int_not_equal(run_agent(NULL, NULL, NULL, "run --once -c '%s'", cfg), 0);
	free(rules);
	free(templates);
	free(cfg);
	rmtree(dir);
	free(dir);
}

/*
 * A register that cannot be reached, or one put on a folder SQLite cannot lock safely, is found
 * by check, before the agent would stop at start on it.
 */
static void
test_check_register(void **state)
{
	char *dir = tmpdir_new(), *cfg = example_config(dir), *text = slurp(cfg, NULL), *err;
	char *with;

	(void)state;
	with = pathf("%sregister: {postgresql: \"host=%s/none dbname=x\"}\n", text, dir);
	spits(cfg, with);
	free(with);
	assert_int_equal(run_agent(NULL, NULL, &err, "check -c '%s'", cfg), 1);
	assert_non_null(strstr(err, "the claims register (PostgreSQL): cannot connect: "));
	assert_null(strchr(err, '\t')); /* libpq's second line joined to the first */
	free(err);
	with = pathf("%sregister: {sqlite: a.sqlite, postgresql: \"dbname=x\"}\n", text);
	spits(cfg, with);
	free(with);
	assert_int_equal(run_agent(NULL, NULL, &err, "check -c '%s'", cfg), 1);
	assert_non_null(
	    strstr(err, "'register' takes one of sqlite: PATH or postgresql: CONNINFO"));
	free(err);
	free(text);
	free(cfg);
	rmtree(dir);
	free(dir);
}

/*
 * Only the agent writes into a spool's folders: process without --out is refused and writes
 * nothing; with --out the forms and the reasons go there.
 */
static void
test_spool_folders(void **state)
{
	char *dir = tmpdir_new(), *cfg = path2(dir, "formagent.yaml"), *rules, *templates, *text;
	char *in = samplepath("transport-2024-04.cp932.csv"),
	     *bad = path2(dir, "transport-bad.csv"), *err;
	char *p;

	(void)state;
	rules = srcpath("rules");
	templates = srcpath("templates");
	if (asprintf(&text,
	             "rules: %s\ntemplates: %s\nlanguage: en\naudit: {dir: audit}\nspools:\n"
	             "  - {name: s, inbox: in, work: work, out: forms, done: done, rejected: rej, "
	             "rules: [transport]}\n",
	             rules, templates) == -1)
		abort();
	spits(cfg, text);
	free(text);
	spit(bad, bad_csv, sizeof bad_csv - 1);
	assert_int_equal(run_agent(NULL, NULL, &err, "process -c '%s' '%s'", cfg, in), 2);
	assert_non_null(
	    strstr(err, "give --out DIR: only the agent writes into a spool's folders"));
	free(err);
	p = path2(dir, "forms");
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s' '%s'", cfg, p, in, bad),
	    1);
	assert_int_equal(count_files(p, ".xlsx"), 5 + 2);
	assert_int_equal(count_files(p, ".reason.txt"), 1);
	assert_int_equal(count_files(p, ".rejected.csv"), 1);
	free(p);
	p = path2(dir, "rej");
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	p = path2(dir, "forms/transport-bad.csv.reason.txt");
	/* language: en: the same reasons in English. */
	text = slurp(p, NULL);
	assert_non_null(strstr(text, "4 of 5 claims were rejected"));
	assert_non_null(strstr(text, "row 3, column 申請日, value \"令和3年2月29日\": "));
	assert_non_null(strstr(text, "2021 is not a leap year, so February has 28 days"));
	free(text);
	free(p);
	free(rules);
	free(templates);
	free(in);
	free(bad);
	free(cfg);
	rmtree(dir);
	free(dir);
}

static void
test_file_level_failures(void **state)
{
	char *dir = tmpdir_new(), *out = path2(dir, "out"), *p, *text, *err;

	(void)state;
	/* A quote left open: nothing is produced, the reason names the row. */
	p = path2(dir, "transport-open.csv");
	spits(p, "ケース番号,通院日,片道運賃,往復回数,支給額\r\n\"0101-00231,R6.4.1,1,1,2\r\n");
	assert_int_equal(
	    run_agent(NULL, NULL, &err, "process -c '%s' --out '%s' '%s'", config, out, p), 2);
	assert_non_null(strstr(err, "2 行目"));
	free(err);
	free(p);
	assert_int_equal(count_files(out, ".xlsx"), 0);
	p = path2(out, "transport-open.csv.reason.txt");
	text = slurp(p, NULL);
	assert_non_null(
	    strstr(text, "このファイルは処理されませんでした: 2 行目: ここで始まった引用符"));
	free(text);
	free(p);
	/* A file no rule accepts. */
	p = path2(dir, "other.csv");
	spits(p, "a,b\r\n1,2\r\n");
	assert_int_equal(
	    run_agent(NULL, NULL, &err, "process -c '%s' --out '%s' '%s'", config, out, p), 2);
	assert_non_null(strstr(err, "このファイルを受け付ける規則がありません"));
	assert_non_null(strstr(err, "規則 transport: ファイル名が transport*.csv"));
	free(err);
	free(p);
	/* A name that matches but a header without a needed column. */
	p = path2(dir, "transport-x.csv");
	spits(p, "ケース番号,通院日,片道運賃,往復回数\r\n1,2,3,4\r\n");
	assert_int_equal(
	    run_agent(NULL, NULL, &err, "process -c '%s' --out '%s' '%s'", config, out, p), 2);
	assert_non_null(strstr(err, "見出しに列「支給額」がありません"));
	free(err);
	free(p);
	/* Empty, header only, UTF-16, a symlink and a folder. */
	p = path2(dir, "transport-empty.csv");
	spits(p, "");
	assert_int_equal(
	    run_agent(NULL, NULL, &err, "process -c '%s' --out '%s' '%s'", config, out, p), 2);
	assert_non_null(strstr(err, "ファイルが空です"));
	free(err);
	free(p);
	p = path2(dir, "transport-head.csv");
	spits(p, "ケース番号,通院日\r\n");
	assert_int_equal(
	    run_agent(NULL, NULL, &err, "process -c '%s' --out '%s' '%s'", config, out, p), 2);
	assert_non_null(strstr(err, "見出しの行だけで、請求の行がありません"));
	free(err);
	free(p);
	p = path2(dir, "transport-utf16.csv");
	spit(p, "\xff\xfe\x31\x00\x2c\x00\x32\x00\r\0\n\0\x31\x00", 14);
	assert_int_equal(
	    run_agent(NULL, NULL, &err, "process -c '%s' --out '%s' '%s'", config, out, p), 2);
	assert_non_null(strstr(err, "UTF-16"));
	free(err);
	free(p);
	p = path2(dir, "transport-link.csv");
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(
	    run_agent(NULL, NULL, &err, "process -c '%s' --out '%s' '%s'", config, out, p), 2);
	assert_non_null(strstr(err, "シンボリックリンク"));
	free(err);
	free(p);
	assert_int_equal(
	    run_agent(NULL, NULL, &err, "process -c '%s' --out '%s' '%s'", config, out, dir), 2);
	assert_non_null(strstr(err, "フォルダです"));
	free(err);
	assert_int_equal(count_files(out, ".tmp"), 0);
	free(out);
	rmtree(dir);
	free(dir);
}

/* Field values never name an output that leaves the folder or hides itself. */
static void
test_unsafe_names(void **state)
{
	static const char csv[] = "ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,"
	                          "通院日,医療機関名,経路,交通機関,"
	                          "片道運賃,往復回数,支給額,担当CW,備考\r\n"
	                          "0101-00231,a,,a,x,R6.4.3,R6.4.1,c,r,地下鉄,250,4,2000,w,\r\n";
	char *dir = tmpdir_new(), *p = path2(dir, "transport-../../..\x01name.csv"), *out;

	(void)state;
	/* A file name with control characters and dots: the outputs' names are made safe. */
	free(p);
	p = path2(dir, "transport-\x01..csv");
	spit(p, csv, sizeof csv - 1);
	out = path2(dir, "out");
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", config, out, p), 0);
	assert_int_equal(count_files(out, ""), 4);
	assert_int_equal(count_files(out, "transport-_..ledger.xlsx"), 1);
	assert_int_equal(count_files(out, "transport-_..print.pdf"), 1);
	free(out);
	free(p);
	rmtree(dir);
	free(dir);
}

static void
test_dry_run_json(void **state)
{
	char *in = samplepath("transport-2024-04.cp932.csv"), *out, *line;

	(void)state;
	assert_int_equal(
	    run_agent(NULL, &out, NULL, "process -c '%s' --dry-run --json '%s'", config, in), 0);
	line = strtok(out, "\n");
	assert_non_null(line);
	assert_string_equal(
	    line,
	    "{\"input\":\"transport-2024-04.cp932.csv\",\"row\":2,\"rule\":\"transport\",\"ok\":"
	    "true,"
	    "\"fields\":{\"case_no\":\"0101-00231\",\"householder\":\"札幌 太郎\",\"name\":\"札幌 "
	    "太郎\","
	    "\"applied_on\":\"2024-04-03\",\"visit_on\":\"2024-04-01\",\"clinic\":\"東区中央病院\","
	    "\"route\":\"元町駅→環状通東駅\",\"transport\":\"地下鉄\",\"transport_code\":\"01\","
	    "\"fare\":250,\"round_trips\":"
	    "4,"
	    "\"amount\":2000,\"caseworker\":\"保護一係 山田\",\"note\":null},\"errors\":[]}");
	assert_non_null(strtok(NULL, "\n"));
	assert_non_null(strtok(NULL, "\n"));
	assert_non_null(line = strtok(NULL, "\n"));
	assert_non_null(strstr(line, "\"row\":5"));
	assert_non_null(strstr(line, "\"amount\":5040"));
	assert_null(strtok(NULL, "\n"));
	free(out);
	free(in);
}

static void
test_dry_run_writes_nothing(void **state)
{
	char *dir = tmpdir_new(), *in = path2(dir, "transport-bad.csv"), *out = path2(dir, "out");
	char *text, *err;

	(void)state;
	spit(in, bad_csv, sizeof bad_csv - 1);
	assert_int_equal(run_agent(NULL, &text, &err, "process -c '%s' --out '%s' --dry-run '%s'",
	                           config, out, in),
	                 1);
	assert_int_equal(count_files(out, ""), -1); /* not even created */
	assert_non_null(strstr(text, "row 2: 支給額 2,100円 が"));
	assert_non_null(strstr(text, "0101-00233"));
	free(text);
	free(err);
	free(out);
	free(in);
	rmtree(dir);
	free(dir);
}

/* formagent convert: one value per line, errors named, exit 1 if any failed. */
static void
test_convert(void **state)
{
	char *out, *dir = tmpdir_new(), *cfg, *rules, *templates, *text;

	(void)state;
	assert_int_equal(
	    run_agent(NULL, &out, NULL,
	              "convert date 令和6年4月1日 R060401 5060401 2024/04/01 令和元年4月30日"),
	    1);
	assert_string_equal(out,
	                    "2024-04-01\n2024-04-01\n2024-04-01\n2024-04-01\n"
	                    "error: 令和元年4月30日: 令和 began on 2019-05-01, so this day is not "
	                    "in 令和\n");
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "convert wareki 2019-05-01 1989-01-07"), 0);
	assert_string_equal(out, "令和元年5月1日\n昭和64年1月7日\n");
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "convert yen ￥840 5,040円 △500 ２，０００"),
	                 0);
	assert_string_equal(out, "840\n5040\n-500\n2000\n");
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "convert int 12 '1 2'"), 1);
	assert_string_equal(out, "12\nerror: 1 2: '1 2' is not a whole number: unexpected '2'\n");
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "convert text 'ＡＢＣ　ｶﾞｷﾞ①'"), 0);
	assert_string_equal(out, "ABC ガギ①\n");
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "convert kana さっぽろ ｻｯﾎﾟﾛ"), 0);
	assert_string_equal(out, "サッポロ\nサッポロ\n");
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "convert dash 0101ー00231 サッポロー"), 0);
	assert_string_equal(out, "0101-00231\nサッポロー\n");
	free(out);
	assert_int_equal(run_agent(NULL, NULL, NULL, "convert colour red"), 2);
	/* The next era is configuration, not code. */
	rules = srcpath("rules");
	templates = srcpath("templates");
	if (asprintf(&cfg, "%s/formagent.yaml", dir) == -1 ||
	    asprintf(
	        &text,
	        "rules: %s\ntemplates: %s\nlanguage: en\naudit: {dir: a}\n"
	        "eras:\n  - {name: 新元, kanji: 新, letter: N, code: 6, first_day: 2031-05-01}\n"
	        "spools:\n  - {name: s, inbox: i, work: w, out: o, done: d, rejected: r, "
	        "rules: [transport]}\n",
	        rules, templates) == -1)
		abort();
	spits(cfg, text);
	assert_int_equal(
	    run_agent(NULL, &out, NULL,
	              "convert -c '%s' date 新元2年1月1日 N020101 6020101 新元元年4月30日", cfg),
	    1);
	assert_string_equal(
	    out, "2032-01-01\n2032-01-01\n2032-01-01\n"
	         "error: 新元元年4月30日: 新元 began on 2031-05-01, so this day is not in "
	         "新元\n");
	free(out);
	assert_int_equal(
	    run_agent(NULL, &out, NULL, "convert -c '%s' wareki 2031-04-30 2031-05-01", cfg), 0);
	assert_string_equal(out, "令和13年4月30日\n新元元年5月1日\n");
	free(out);
	free(text);
	free(cfg);
	free(rules);
	free(templates);
	rmtree(dir);
	free(dir);
}

/* Harder rows than the samples, through the transport rule, as a clerk's export has them. */
static void
test_hard_rows(void **state)
{
	static const char csv[] =
	    "ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,通院日,医療機関名,経路,"
	    "交通機関,"
	    "片道運賃,往復回数,支給額,担当CW,備考\r\n"
	    /* 2: half-width katakana, an era code date, 元年, full-width amounts */
	    "０１０１－００５００,ｻｯﾎﾟﾛ ﾀﾛｳ,,ｻｯﾎﾟﾛ ﾀﾛｳ,通院移送費,5010510,令和元年5月8日,病院,"
	    "経路,ﾊﾞｽ,２１０,２,８４０円,山田,\r\n"
	    /* 3: a transport the code table does not have */
	    "0101-00501,a,,a,通院移送費,R6.4.3,R6.4.1,病院,経路,自転車,210,2,840,山田,\r\n"
	    /* 4: 𠮷, which CP932 cannot hold: fine on the form; notes are not imported */
	    "0101-00502,吉田,,吉田,通院移送費,R6.4.3,R6.4.1,病院,経路,地下鉄,210,2,840,山田,𠮷\r\n"
	    /* 5: the visit more than a month after the application */
	    "0101-00503,a,,a,通院移送費,R6.4.3,R6.6.1,病院,経路,地下鉄,210,2,840,山田,\r\n";
	char *dir = tmpdir_new(), *in, *out, *form, *text, *p;

	(void)state;
	if (asprintf(&in, "%s/transport-hard.csv", dir) == -1 ||
	    asprintf(&out, "%s/out", dir) == -1)
		abort();
	spits(in, csv);
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", config, out, in), 1);
	if (asprintf(&form, "%s/transport-0101-00500-2019-05-08.xlsx", out) == -1)
		abort();
	assert_text(form, "C7", "サッポロ タロウ");
	assert_text(form, "E8", "バス");
	assert_number(form, "E6", 43595); /* 2019-05-10 */
	assert_number(form, "C12", 840);
	free(form);
	if (asprintf(&form, "%s/transport-0101-00502-2024-04-01.xlsx", out) == -1)
		abort();
	assert_text(form, "C14", "𠮷");
	free(form);
	if (asprintf(&p, "%s/transport-hard.csv.reason.txt", out) == -1)
		abort();
	text = slurp(p, NULL);
	assert_non_null(strstr(text,
	                       "3 行目、列「交通機関」、値「自転車」: 交通機関「自転車」はコード表 "
	                       "transport_codes にありません"));
	assert_non_null(strstr(text, "5 行目、列「通院日」、値「R6.6.1」: 通院日 令和6年6月1日 が "
	                             "申請日 令和6年4月3日 より1か月以上後です"));
	free(text);
	free(p);
	if (asprintf(&p, "%s/transport-hard.import.csv", out) == -1)
		abort();
	text = slurp(p, NULL);
	{
		char *utf8 = from_cp932(text, strlen(text));

		assert_non_null(strstr(utf8,
		                       "\"0101-00500\",\"20190510\",\"20190508\",\"02\",\"210\","
		                       "\"2\",\"840\",\"2\"\r\n"));
		free(utf8);
	}
	free(text);
	free(p);
	free(in);
	free(out);
	rmtree(dir);
	free(dir);
}

/* formagent test names every failed expectation at its position, and exits 1. */
static void
test_rule_tests(void **state)
{
	char *dir = srcpath("tests/fixtures/ruletest"), *want, *out, *wp;

	(void)state;
	if (asprintf(&wp, "%s/expected.txt", dir) == -1)
		abort();
	want = slurp(wp, NULL);
	assert_int_equal(run_agent(dir, &out, NULL, "test -c formagent.yaml"), 1);
	assert_string_equal(out, want);
	free(out);
	/* The shipped rules pass their own tests. */
	assert_int_equal(run_agent(NULL, &out, NULL, "test -c '%s'", config), 0);
	assert_non_null(strstr(out, " passed, 0 failed\n"));
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "test -c '%s' transport", config), 0);
	assert_string_equal(out, "2 passed, 0 failed\n");
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "test -c '%s' nosuch", config), 2);
	free(out);
	free(want);
	free(wp);
	free(dir);
}

/* --row N --cells: one row's form as it would be filled, and nothing written. */
static void
test_dry_run_cells(void **state)
{
	char *in = samplepath("transport-2024-04.cp932.csv"), *out, *err;

	(void)state;
	assert_int_equal(run_agent(NULL, &out, &err,
	                           "process -c '%s' --dry-run --row 5 --cells '%s'", config, in),
	                 0);
	assert_non_null(strstr(out, "  C12      5,040円  [amount]\n"));
	assert_non_null(strstr(out, "  E6       令和6年4月9日  [applied_on]\n"));
	assert_non_null(strstr(out, "  E1       係長 (approval)\n"));
	assert_null(strstr(out, "0101-00231"));
	assert_non_null(strstr(err, "4 rows: 4 produced, 0 rejected"));
	free(out);
	free(err);
	assert_int_equal(run_agent(NULL, NULL, &err, "process -c '%s' --cells '%s'", config, in),
	                 2);
	assert_non_null(strstr(err, "go with --dry-run"));
	free(err);
	free(in);
}

/* Two rules whose globs can take the same file: check warns, says who wins, and passes. */
static void
test_check_glob_warning(void **state)
{
	char *dir = tmpdir_new(), *cmd, *out, *err;

	(void)state;
	if (asprintf(
	        &cmd,
	        "mkdir -p '%s/rules' && cp '%s/rules/transport.yaml' '%s/rules/' && "
	        "sed -e 's/transport\\*.csv/transport-scan*.csv/' -e 's/^name: transport$/name: "
	        "transport-scan/' '%s/rules/transport.yaml' > '%s/rules/transport-scan.yaml' && "
	        "printf 'rules: rules\\ntemplates: %s/templates\\naudit: {dir: a}\\nspools:\\n  - "
	        "{name: s, "
	        "inbox: i, work: w, out: o, done: d, rejected: r, rules: [transport]}\\n' > "
	        "'%s/formagent.yaml'",
	        dir, getenv("SRCDIR"), dir, getenv("SRCDIR"), dir, getenv("SRCDIR"), dir) == -1)
		abort();
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(run_agent(dir, &out, &err, "check -c formagent.yaml"), 0);
	assert_non_null(strstr(out, "configuration OK"));
	assert_non_null(strstr(err, "./rules/transport.yaml:"));
	assert_non_null(strstr(err,
	                       "warning: the glob 'transport*.csv' of rule transport and "
	                       "'transport-scan*.csv' of rule transport-scan can match the same "
	                       "files; rules are tried in name order, so transport-scan takes"));
	free(out);
	free(err);
	assert_int_equal(run_agent(dir, &out, NULL, "check --json -c formagent.yaml"), 0);
	assert_non_null(strstr(out, "\"severity\": \"warning\""));
	free(out);
	rmtree(dir);
	free(dir);
}

static void
test_usage(void **state)
{
	char *out, *err;

	(void)state;
	assert_int_equal(run_agent(NULL, &out, NULL, "--version"), 0);
	assert_non_null(strstr(out, "formagent "));
	free(out);
	assert_int_equal(run_agent(NULL, &out, NULL, "--help"), 0);
	assert_non_null(strstr(out, "process -c CONFIG"));
	free(out);
	assert_int_equal(run_agent(NULL, NULL, &err, "frobnicate"), 2);
	assert_non_null(strstr(err, "unknown command 'frobnicate'"));
	free(err);
	assert_int_equal(run_agent(NULL, NULL, &err, "process -c '%s'", config), 2);
	assert_non_null(strstr(err, "no input files"));
	free(err);
	assert_int_equal(run_agent(NULL, NULL, &err, "check -c /nonexistent.yaml"), 1);
	assert_non_null(strstr(err, "/nonexistent.yaml: cannot open"));
	free(err);
	/* -c falls back to $FORMAGENT_CONFIG. */
	assert_int_equal(run_agent(NULL, &out, NULL, "check"), 1);
	free(out);
	setenv("FORMAGENT_CONFIG", config, 1);
	assert_int_equal(run_agent(NULL, &out, NULL, "check"), 0);
	assert_non_null(strstr(out, "configuration OK"));
	unsetenv("FORMAGENT_CONFIG");
	free(out);
}

/* Each folder of tests/fixtures/check is a broken configuration beside the messages it must give.
 */
static void
test_check_fixtures(void **state)
{
	char *base = srcpath("tests/fixtures/check"), *dir, *want, *err, *wp;
	struct dirent *de;
	int n = 0;
	DIR *dp;

	(void)state;
	assert_non_null(dp = opendir(base));
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		dir = path2(base, de->d_name);
		wp = path2(dir, "expected.txt");
		want = slurp(wp, NULL);
		assert_non_null(want);
		assert_int_equal(run_agent(dir, NULL, &err, "check -c formagent.yaml"), 1);
		if (strcmp(err, want) != 0)
			fail_msg("check in %s printed:\n%s\nexpected:\n%s", dir, err, want);
		free(err);
		free(want);
		free(wp);
		free(dir);
		n++;
	}
	closedir(dp);
	assert_true(n >= 7);
	free(base);
}

/* The issue's own example: a typo'd key, a wrong type and a missing field, at their positions. */
static void
test_check_three_problems(void **state)
{
	char *dir = srcpath("tests/fixtures/check/three-problems"), *err;

	(void)state;
	assert_int_equal(run_agent(dir, NULL, &err, "check -c formagent.yaml"), 1);
	assert_string_equal(
	    err, "./rules/transport.yaml:19:40: unknown key 'requird' in a field: did you mean "
	         "'required'?\n"
	         "./rules/transport.yaml:20:61: expected an integer for 'min', got 'one'\n"
	         "./rules/transport.yaml:25:28: no field named 'trips' in this rule\n"
	         "formagent: 3 problems in the configuration\n");
	free(err);
	free(dir);
}

/* What a shell command prints. */
static char *
output_of(const char *fmt, ...)
{
	va_list ap;
	char *cmd, *out;
	FILE *fp;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) == -1)
		abort();
	va_end(ap);
	assert_non_null(fp = popen(cmd, "r"));
	out = slurp_fp(fp, NULL);
	pclose(fp);
	free(cmd);
	return out;
}

/*
 * The print PDF of input through `process` with the real LibreOffice, checked as the clerk and
 * the archive would: its pages, that every font is embedded and IPA among them, that it is
 * PDF/A-2, and that its text holds each of says.
 */
static char *
assert_print(const char *cfg, const char *input, const char *pdf, int pages,
             const char *const *says, int keep)
{
	char *out = tmpdir_new(), *path = path2(out, pdf), *text;
	size_t i;

	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", cfg, out, input), 0);
	text = output_of("pdfinfo '%s' | sed -n 's/^Pages: *//p'", path);
	if (atoi(text) != pages)
		fail_msg("%s has %d pages, not %d", pdf, atoi(text), pages);
	free(text);
	text = output_of("pdfinfo '%s' | grep -c 'A4'", path);
	assert_int_equal(atoi(text), 1);
	free(text);
	/* pdffonts: emb is the fifth column from the end (a type may be two words). */
	text = output_of("pdffonts '%s' | awk 'NR > 2 && $(NF-4) != \"yes\"'", path);
	assert_string_equal(text, "");
	free(text);
	text = output_of("pdffonts '%s'", path);
	assert_non_null(strstr(text, "IPA"));
	free(text);
	text = output_of("pdfinfo -meta '%s'", path);
	assert_non_null(strstr(text, "<pdfaid:part>2</pdfaid:part>"));
	free(text);
	text = output_of("pdftotext '%s' -", path);
	for (i = 0; says[i] != NULL; i++)
		if (strstr(text, says[i]) == NULL)
			fail_msg("the text of %s does not hold %s", pdf, says[i]);
	free(text);
	free(path);
	if (keep)
		return out;
	rmtree(out);
	free(out);
	return NULL;
}

/*
 * Page page of the print PDF in dir is, pixel for pixel, the workbook xlsx of dir printed alone
 * by LibreOffice in the project's fonts.
 */
static void
assert_same_page(const char *dir, const char *pdf, int page, const char *xlsx)
{
	char *fonts = srcpath("templates/fonts.conf"), *base = strdup(xlsx), *text;

	base[strlen(base) - strlen(".xlsx")] = '\0';
	text =
	    output_of("cd '%s' && FONTCONFIG_FILE='%s' soffice -env:UserInstallation=file://%s/lo "
	              "--headless --convert-to pdf '%s' > /dev/null 2>&1 && pdftoppm -r 50 -png "
	              "-f %d -l %d '%s' batch && pdftoppm -r 50 -png '%s.pdf' alone && compare "
	              "-metric AE batch-*.png alone-1.png /dev/null 2>&1; rm -f batch-*.png "
	              "alone-*.png '%s.pdf'",
	              dir, fonts, dir, xlsx, page, page, pdf, base, base);
	if (strcmp(text, "0") != 0)
		fail_msg("page %d of %s is not %s printed alone: %s pixels differ", page, pdf, xlsx,
		         text);
	free(text);
	free(base);
	free(fonts);
}

/*
 * The shipped rules print their samples, through LibreOffice itself: a page per form, then the
 * ledger's. A form drawn too large for a page still prints on one.
 */
static void
test_print_pdf(void **state)
{
	static const char *const transport[] = {"令和6年4月1日",         "2,000円",   "11,880円",
	                                        "通院移送費 支給決定書", "札幌 太郎", NULL};
	static const char *const household[] = {"家具什器費", "札幌 太郎", NULL};
	static const char *const office[] = {"令和6年5月1日", "2,000円", "9,980円",
	                                     "通院移送費 支給一覧", NULL};
	char *dir = tmpdir_new(), *cfg = path2(dir, "formagent.yaml"), *rules = srcpath("rules");
	char *templates = srcpath("templates"), *text, *in, *out;

	(void)state;
	/* No print key: soffice on PATH, as installed. */
	text = pathf("rules: %s\ntemplates: %s\naudit: {dir: audit}\nstate_dir: state\n"
	             "spools:\n  - {name: s, inbox: in, work: work, out: out, done: done, "
	             "rejected: rejected, rules: [transport, household-goods, "
	             "transport-office]}\n",
	             rules, templates);
	spits(cfg, text);
	free(text);
	in = samplepath("transport-2024-04.cp932.csv");
	assert_print(cfg, in, "transport-2024-04.cp932.print.pdf", 5, transport, 0);
	free(in);
	in = samplepath("household-goods-2024-04.cp932.csv");
	assert_print(cfg, in, "household-goods-2024-04.cp932.print.pdf", 3, household, 0);
	free(in);
	/* The office's own workbooks: three forms, then the ledger, each as it prints alone. */
	in = srcpath("tests/samples/office-transport-2024-05.cp932.csv");
	out = assert_print(cfg, in, "office-transport-2024-05.cp932.print.pdf", 4, office, 1);
	assert_same_page(out, "office-transport-2024-05.cp932.print.pdf", 1,
	                 "office-transport-0101-00231-2024-05-01.xlsx");
	assert_same_page(out, "office-transport-2024-05.cp932.print.pdf", 4,
	                 "office-transport-2024-05.cp932.ledger.xlsx");
	rmtree(out);
	free(out);
	free(in);
	/* The transport form with columns and rows three times too large for A4. */
	text = output_of("mkdir '%s/t' && cp '%s'/* '%s/t/' && sed -i -e 's/^fit_to_width: .*/"
	                 "fit_to_width: false/' -e 's/^columns: .*/columns: {A: 2, B: 60, C: 90, "
	                 "D: 60, E: 50, F: 50}/' -e 's/^rows: {4: 36,/rows: {4: 400, 5: 400,/' "
	                 "'%s/t/transport-form.yaml' && echo ok",
	                 dir, templates, dir, dir);
	assert_string_equal(text, "ok\n");
	free(text);
	text = pathf("rules: %s\ntemplates: %s/t\naudit: {dir: audit}\nstate_dir: state\n"
	             "spools:\n  - {name: s, inbox: in, work: work, out: out, done: done, "
	             "rejected: rejected, rules: [transport]}\n",
	             rules, dir);
	spits(cfg, text);
	free(text);
	in = samplepath("transport-2024-04.cp932.csv");
	assert_print(cfg, in, "transport-2024-04.cp932.print.pdf", 5, transport, 0);
	free(in);
	free(templates);
	free(rules);
	free(cfg);
	rmtree(dir);
	free(dir);
}

/*
 * A transport export of n claims (case numbers 0103-00001 on) at path; with spread, their dates
 * differ from row to row (each form's created date is its claim's).
 */
static void
many_claims(const char *path, int n, int spread)
{
	const char *head = "ケース番号,世帯主氏名,フリガナ,対象者氏名,扶助種別,申請日,通院日,"
	                   "医療機関名,経路,交通機関,片道運賃,往復回数,支給額,担当CW,備考\r\n";
	struct buf b = {0};
	char line[256];
	int i, len;

	buf_add(&b, head, strlen(head));
	for (i = 1; i <= n; i++) {
		len = snprintf(
		    line, sizeof line,
		    "0103-%05d,a,a,清田 陽菜,通院移送費,R6.5.%d,R6.%d.%d,東区病院,x,地下鉄,"
		    "250,4,2000,山田,\r\n",
		    i, spread ? 1 + i % 28 : 2, spread ? 4 : 5, spread ? 1 + i % 30 : 1);
		buf_add(&b, line, (size_t)len);
	}
	spit(path, b.p, b.len);
	free(b.p);
}

/*
 * A file of more claims than one PDF holds: its forms are all made, and instead of a PDF a note
 * says why there is none.
 */
static void
test_print_too_many(void **state)
{
	char *dir = tmpdir_new(), *in = path2(dir, "transport-many.csv"), *out = path2(dir, "out");
	char *note = path2(out, "transport-many.csv.print-failed.txt"), *text;

	(void)state;
	many_claims(in, 1001, 0);
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", config, out, in), 0);
	assert_int_equal(count_files(out, "-2024-05-01.xlsx"), 1001);
	assert_int_equal(count_files(out, ".pdf"), 0);
	text = slurp(note, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "the file has more than 1000 claims, the most one PDF holds"));
	free(text);
	free(note);
	free(out);
	free(in);
	rmtree(dir);
	free(dir);
}

/*
 * A file's forms drawn on four threads at once are the very bytes one thread draws, written in
 * the same order under the same names: each claim's own dates inside it (libxlsxwriter's
 * gmtime() shared one buffer between threads until render.c gave it one each).
 */
static void
test_forms_drawn_at_once(void **state)
{
	char *dir = tmpdir_new(), *in = path2(dir, "transport-many.csv"), *text, *cfg[2], *out[2];
	char *listed[2], *a, *b, *p, *q;
	size_t la, lb;
	int k;

	(void)state;
	many_claims(in, 300, 1);
	text = slurp(config, NULL);
	for (k = 0; k < 2; k++) {
		cfg[k] = pathf("%s/w%d.yaml", config_dir, k);
		p = pathf("%sworkers: %d\n", text, k == 0 ? 1 : 4);
		spits(cfg[k], p);
		free(p);
		out[k] = pathf("%s/out%d", dir, k);
		assert_int_equal(run_agent(NULL, &listed[k], NULL,
		                           "process -c '%s' --out '%s' '%s'", cfg[k], out[k], in),
		                 0);
	}
	free(text);
	/* "wrote NAME" lines: the same names, in the same order. */
	assert_string_equal(listed[0], listed[1]);
	assert_int_equal(count_files(out[0], ".xlsx"), 301);
	for (p = strstr(listed[0], "wrote "); p != NULL; p = strstr(p + 1, "wrote ")) {
		q = strchr(p, '\n');
		text = strndup(p + 6, (size_t)(q - p - 6));
		a = pathf("%s/%s", out[0], text);
		b = pathf("%s/%s", out[1], text);
		free(text);
		text = slurp(a, &la);
		{
			char *t2 = slurp(b, &lb);

			assert_non_null(text);
			assert_non_null(t2);
			if (la != lb || memcmp(text, t2, la) != 0)
				fail_msg("%s and %s differ", a, b);
			free(t2);
		}
		free(text);
		free(a);
		free(b);
	}
	for (k = 0; k < 2; k++) {
		free(cfg[k]);
		free(out[k]);
		free(listed[k]);
	}
	free(in);
	rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transport_sample),
	    cmocka_unit_test(test_forms_drawn_at_once),
	    cmocka_unit_test(test_household_sample),
	    cmocka_unit_test(test_utf8_same_bytes),
	    cmocka_unit_test(test_rerun_is_idempotent),
	    cmocka_unit_test(test_rejected_rows),
	    cmocka_unit_test(test_spool_folders),
	    cmocka_unit_test(test_check_register),
	    cmocka_unit_test(test_check_spool_places),
	    cmocka_unit_test(test_file_level_failures),
	    cmocka_unit_test(test_unsafe_names),
	    cmocka_unit_test(test_dry_run_json),
	    cmocka_unit_test(test_dry_run_writes_nothing),
	    cmocka_unit_test(test_usage),
	    cmocka_unit_test(test_convert),
	    cmocka_unit_test(test_dry_run_cells),
	    cmocka_unit_test(test_check_glob_warning),
	    cmocka_unit_test(test_rule_tests),
	    cmocka_unit_test(test_hard_rows),
	    cmocka_unit_test(test_check_fixtures),
	    cmocka_unit_test(test_check_three_problems),
	    cmocka_unit_test(test_print_pdf),
	    cmocka_unit_test(test_print_too_many),
	};

	/* TEST_FILTER=test_name (a glob) runs only those. */
	if (getenv("TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests_name("e2e", tests, setup, teardown);
}
