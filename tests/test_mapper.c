/*
 * Tests for mapper.c and export.c on a small rule: each kind of field problem with its message,
 * checks skipped when a field they read already failed, and the import line's bytes (libcsv's
 * quoting, CP932, a character CP932 lacks refused by name and code point).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "export.h"
#include "mapper.h"
#include "outputs.h"
#include "testutil.h"
#include "transform.h"

static const char rule_yaml[] =
    "match: {header: [番号]}\n"
    "fields:\n"
    "  no:     {from: 番号, type: text, transforms: [halfwidth, dash, trim], required: true, "
    "pattern: '^[0-9]{4}-[0-9]{5}$'}\n"
    "  name:   {from: 氏名, type: text, transforms: [space, trim], max: 10}\n"
    "  on:     {from: 日付, type: date, min: 令和6年1月1日}\n"
    "  price:  {from: 単価, type: yen, required: true, min: 1}\n"
    "  qty:    {from: 数量, type: int, max: 99}\n"
    "  total:  {from: 金額, type: yen}\n"
    "checks:\n"
    "  - {expr: total == price * qty, message: \"金額 {total} は 単価 {price} × 数量 {qty} "
    "と違います\"}\n"
    "outputs:\n"
    "  import:\n"
    "    name: \"{_input}.csv\"\n"
    "    columns: [{field: no}, {header: 名前, field: name}, {field: on, format: wareki},\n"
    "              {field: total, format: grouped}, {field: _row}]\n";

static struct rule *rule;
static char *dir;

static int
setup(void **state)
{
	struct diags d = {0};
	char *path;

	(void)state;
	dir = tmpdir_new();
	if (asprintf(&path, "%s/r.yaml", dir) == -1)
		abort();
	spits(path, rule_yaml);
	rule = rule_load(path, eras_builtin(), &d);
	if (rule == NULL) {
		diags_print(stderr, &d);
		return -1;
	}
	diags_free(&d);
	free(path);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rule_free(rule);
	rmtree(dir);
	free(dir);
	return 0;
}

/* Maps one row given as UTF-8 strings in the header's order. */
static void
map_row(const char *const *cells, size_t n, struct mapped *m)
{
	static char *header[] = {"番号", "氏名", "日付", "単価", "数量", "金額"};
	struct rfield f[8];
	struct record rec = {7, f, n};
	struct decoder *dc = decoder_new(ENC_UTF8);
	struct binding b;
	char *cause = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		f[i].p = (char *)cells[i];
		f[i].len = strlen(cells[i]);
	}
	assert_int_equal(mapper_bind(rule, header, 6, &b, &cause), 0);
	memset(m, 0, sizeof *m);
	mapper_map(rule, &b, &rec, dc, "in", m);
	binding_clear(&b);
	decoder_free(dc);
}

static void
test_good_row(void **state)
{
	const char *row[] = {
	    "０１０１－００２３１", "札幌\u3000\u3000太郎 ", "R6.4.1", "￥1,000", "２", "2,000円"};
	struct mapped m;
	char *s;

	(void)state;
	map_row(row, 6, &m);
	assert_int_equal(m.nerrs, 0);
	assert_string_equal(m.v[0].s, "0101-00231");
	assert_string_equal(m.v[1].s, "札幌 太郎");
	assert_int_equal(m.v[3].i, 1000);
	assert_int_equal(m.v[4].i, 2);
	s = mapped_text(&m, 2, VF_WAREKI);
	assert_string_equal(s, "令和6年4月1日");
	free(s);
	s = mapped_text(&m, FIELD_ROW, VF_AUTO);
	assert_string_equal(s, "7");
	free(s);
	mapped_free(&m);
}

static void
test_field_errors(void **state)
{
	const char *row[] = {"0101-231", "あいうえおかきくけこさ", "令和5年12月31日", "", "100",
	                     "abc"};
	struct mapped m;

	(void)state;
	map_row(row, 6, &m);
	assert_int_equal(m.nerrs, 6);
	assert_string_equal(m.errs[0].message,
	                    "番号 '0101-231' is not in the expected form (^[0-9]{4}-[0-9]{5}$)");
	assert_string_equal(m.errs[0].column, "番号");
	assert_string_equal(m.errs[0].value, "0101-231");
	assert_string_equal(m.errs[1].message, "氏名 has 11 characters; it must have at most 10");
	assert_string_equal(m.errs[2].message,
	                    "日付 2023-12-31 is below the lowest allowed, 2024-01-01");
	assert_string_equal(m.errs[3].message, "単価 is required but empty");
	assert_string_equal(m.errs[4].message, "数量 100 is above the highest allowed, 99");
	assert_string_equal(m.errs[5].message, "金額: 'abc' is not an amount: unexpected 'a'");
	/* The check reads fields that failed: it is not evaluated, so no seventh message. */
	mapped_free(&m);
}

static void
test_check_message(void **state)
{
	const char *row[] = {"0101-00231", "x", "R6.4.1", "1,000", "2", "2,500"};
	struct mapped m;

	(void)state;
	map_row(row, 6, &m);
	assert_int_equal(m.nerrs, 1);
	assert_string_equal(m.errs[0].message, "金額 2,500 は 単価 1,000 × 数量 2 と違います");
	assert_string_equal(m.errs[0].column, "金額");
	assert_string_equal(m.errs[0].value, "2,500");
	mapped_free(&m);
}

static void
test_ragged_and_bytes(void **state)
{
	const char *shortrow[] = {"0101-00231", "x"};
	const char *badbytes[] = {"0101-00231", "x\xff", "R6.4.1", "1", "1", "1"};
	struct mapped m;

	(void)state;
	map_row(shortrow, 2, &m);
	assert_int_equal(m.nerrs, 1);
	assert_string_equal(m.errs[0].message,
	                    "the row has 2 columns but the header has 6: a comma "
	                    "or quotation mark may be missing or extra");
	mapped_free(&m);
	map_row(badbytes, 6, &m);
	assert_int_equal(m.nerrs, 1);
	assert_string_equal(m.errs[0].message, "氏名 has a byte (0xff at byte 2 of the value) that "
	                                       "is not valid in the file's encoding (utf-8)");
	mapped_free(&m);
}

static void
test_bind(void **state)
{
	char *dup[] = {"番号", "氏名", "日付", "単価", "数量", "金額", "氏名"};
	char *missing[] = {"番号", "氏名", "日付", "単価", "数量"};
	struct binding b;
	char *cause = NULL;
	const char *absent;

	(void)state;
	assert_int_equal(mapper_bind(rule, dup, 7, &b, &cause), -1);
	assert_string_equal(cause,
	                    "the column '氏名' appears twice in the header (columns 2 and 7): "
	                    "which one to use is not clear");
	free(cause);
	assert_int_equal(mapper_bind(rule, missing, 5, &b, &cause), -1);
	assert_string_equal(cause, "the header has no column '金額' (needed for field 'total')");
	free(cause);
	assert_int_equal(rule_header_matches(rule, missing, 5, &absent), 1);
	assert_int_equal(rule_header_matches(rule, missing + 1, 4, &absent), 0);
	assert_string_equal(absent, "番号");
}

static void
test_export_line(void **state)
{
	const char *row[] = {"0101-00231", "札幌,\"太郎\"", "R6.4.1", "1,000", "2", "2,000"};
	const char *emoji[] = {"0101-00231", "吉田𠮷", "R6.4.1", "1,000", "2", "2,000"};
	struct buf b = {0};
	struct mapped m;
	char *cause = NULL, *utf8;

	(void)state;
	assert_int_equal(export_header(rule_output(rule, &import_kind)->conf, &b, &cause), 0);
	map_row(row, 6, &m);
	assert_int_equal(export_line(rule_output(rule, &import_kind)->conf, &m, &b, &cause), 0);
	mapped_free(&m);
	utf8 = from_cp932(b.p, b.len);
	assert_string_equal(
	    utf8, "\"no\",\"名前\",\"on\",\"total\",\"_row\"\r\n"
	          "\"0101-00231\",\"札幌,\"\"太郎\"\"\",\"令和6年4月1日\",\"2,000\",\"7\"\r\n");
	free(utf8);
	/* 𠮷 has no CP932 code: the line is refused and the buffer left as it was. */
	map_row(emoji, 6, &m);
	b.len = 0;
	assert_int_equal(export_line(rule_output(rule, &import_kind)->conf, &m, &b, &cause), -1);
	assert_int_equal(b.len, 0);
	assert_string_equal(cause, "名前: the character '𠮷' (U+20BB7) has no code in cp932, the "
	                           "import file's encoding");
	free(cause);
	mapped_free(&m);
	free(b.p);
}

/* A rule with a code table from a file, a computed field, and 和暦 text without 元年. */
static void
test_lookup_and_computed(void **state)
{
	static const char yaml[] =
	    "match: {header: [種別]}\n"
	    "lookups:\n"
	    "  kinds: {file: kinds.csv}\n"
	    "  ways: {徒歩: \"9\"}\n"
	    "fields:\n"
	    "  kind: {from: 種別, type: text, lookup: kinds}\n"
	    "  way:  {from: 手段, type: text, lookup: ways}\n"
	    "  fare: {from: 運賃, type: yen}\n"
	    "  trips: {from: 回数, type: int}\n"
	    "  on:   {from: 日付, type: date}\n"
	    "  total: {expr: fare * trips * 2, type: yen, max: 5000}\n"
	    "  due:  {expr: on + 30, type: date}\n"
	    "outputs:\n"
	    "  import: {name: \"{_input}.csv\", encoding: utf-8, header: false,\n"
	    "           columns: [{field: kind}, {field: total}, {field: on, format: wareki, "
	    "gannen: false},\n"
	    "                     {field: due, format: wareki}]}\n";
	char *header[] = {"種別", "手段", "運賃", "回数", "日付"};
	struct diags d = {0};
	struct rule *r;
	struct binding b;
	struct decoder *dc = decoder_new(ENC_UTF8);
	struct rfield f[5];
	struct record rec = {2, f, 5};
	struct mapped m;
	struct buf out = {0};
	char *path, *cause = NULL;
	const char *row1[] = {"家具", "徒歩", "250", "4", "R1.5.1"};
	const char *row2[] = {"車", "自転車", "2,000", "2", "R6.4.1"};
	size_t i;

	(void)state;
	if (asprintf(&path, "%s/kinds.csv", dir) == -1)
		abort();
	spits(path, "種別,コード\r\n家具,21\r\n被服,22\r\n");
	free(path);
	if (asprintf(&path, "%s/lk.yaml", dir) == -1)
		abort();
	spits(path, yaml);
	r = rule_load(path, eras_builtin(), &d);
	if (r == NULL) {
		diags_print(stderr, &d);
		fail();
	}
	free(path);
	assert_int_equal(mapper_bind(r, header, 5, &b, &cause), 0);
	for (i = 0; i < 5; i++) {
		f[i].p = (char *)row1[i];
		f[i].len = strlen(row1[i]);
	}
	memset(&m, 0, sizeof m);
	mapper_map(r, &b, &rec, dc, "in", &m);
	assert_int_equal(m.nerrs, 0);
	assert_string_equal(m.v[0].s, "21");
	assert_string_equal(m.v[1].s, "9");
	assert_int_equal(m.v[5].i, 2000);
	assert_int_equal(export_line(rule_output(r, &import_kind)->conf, &m, &out, &cause), 0);
	assert_string_equal(out.p, "\"21\",\"2000\",\"令和1年5月1日\",\"令和元年5月31日\"\r\n");
	mapped_free(&m);
	for (i = 0; i < 5; i++) {
		f[i].p = (char *)row2[i];
		f[i].len = strlen(row2[i]);
	}
	memset(&m, 0, sizeof m);
	mapper_map(r, &b, &rec, dc, "in", &m);
	assert_int_equal(m.nerrs, 3);
	assert_string_equal(m.errs[0].message, "種別 '車' is not in the table 'kinds'");
	assert_string_equal(m.errs[1].message, "手段 '自転車' is not in the table 'ways'");
	/* A computed field keeps its limits: 2,000 × 2 × 2 is over 5,000. */
	assert_string_equal(m.errs[2].message, "total 8,000 is above the highest allowed, 5,000");
	mapped_free(&m);
	free(out.p);
	binding_clear(&b);
	decoder_free(dc);
	rule_free(r);
	/* A value twice in the file (地下鉄→01, 地下鉄→09): the rule is refused, not the first
	 * kept. */
	if (asprintf(&path, "%s/kinds.csv", dir) == -1)
		abort();
	spits(path, "種別,コード\r\n家具,21\r\n被服,22\r\n家具,29\r\n");
	free(path);
	if (asprintf(&path, "%s/lk.yaml", dir) == -1)
		abort();
	assert_null(rule_load(path, eras_builtin(), &d));
	free(path);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "kinds.csv: row 4 repeats the value '家具' of row 2 "
	                                   "(code 21): a value has one code"));
	diags_free(&d);
}

/* Every kind of reason has its own name in the audit log. */
static void
test_fault_names(void **state)
{
	int k, j;

	(void)state;
	for (k = 0; k < MF_COUNT; k++) {
		assert_string_not_equal(map_fault_name((enum map_fault)k), "?");
		for (j = 0; j < k; j++)
			assert_string_not_equal(map_fault_name((enum map_fault)k),
			                        map_fault_name((enum map_fault)j));
	}
	assert_string_equal(map_fault_name(MF_COUNT), "?");
}

/* A rule with a claim section, loaded from text; NULL with the problems in d. */
static struct rule *
claim_rule(const char *claim, struct diags *d)
{
	char *path, *text;
	struct rule *r;

	if (asprintf(&path, "%s/c.yaml", dir) == -1 ||
	    asprintf(&text,
	             "match: {header: [番号]}\n"
	             "fields:\n"
	             "  no:   {from: 番号, type: text, transforms: [halfwidth, dash, trim], "
	             "required: true, audit: true}\n"
	             "  on:   {from: 日付, type: date, required: true, audit: true}\n"
	             "  who:  {from: 氏名, type: text, required: true}\n"
	             "  note: {from: 備考, type: text, audit: true}\n"
	             "%s"
	             "outputs: {import: {name: x.csv, columns: [{field: no}]}}\n",
	             claim) == -1)
		abort();
	spits(path, text);
	r = rule_load(path, eras_builtin(), d);
	free(path);
	free(text);
	return r;
}

/* The key is made after every transform: one day, one case, however they were written. */
static void
test_claim_key(void **state)
{
	const char *header[] = {"番号", "日付", "氏名", "備考"};
	const char *a[] = {"０１０１－００２３１", "令和6年4月1日", "札幌 太郎", "x|y"};
	const char *b[] = {" 0101-00231", "R6.4.1", "別の人", ""};
	const char *c[] = {"0101-00231", "R6.4.2", "札幌 太郎", ""};
	struct diags d = {0};
	struct binding bd;
	struct decoder *dc = decoder_new(ENC_UTF8);
	struct record rec = {0};
	struct rfield f[4];
	struct mapped m;
	char *cause = NULL, *ka, *kb, *kc;
	struct rule *r = claim_rule("claim: {kind: transport, key: [no, on]}\n", &d);
	size_t i;

	(void)state;
	assert_non_null(r);
	assert_string_equal(r->claim_kind, "transport");
	assert_int_equal(r->nclaim_key, 2);
	assert_int_equal(mapper_bind(r, (char *const *)header, 4, &bd, &cause), 0);
	rec.f = f;
	rec.n = 4;
	rec.row = 2;
	for (i = 0; i < 4; i++)
		f[i] = (struct rfield){(char *)a[i], strlen(a[i])};
	memset(&m, 0, sizeof m);
	mapper_map(r, &bd, &rec, dc, "in", &m);
	assert_int_equal(m.nerrs, 0);
	ka = mapped_claim_key(&m);
	mapped_free(&m);
	for (i = 0; i < 4; i++)
		f[i] = (struct rfield){(char *)b[i], strlen(b[i])};
	mapper_map(r, &bd, &rec, dc, "in", &m);
	kb = mapped_claim_key(&m);
	mapped_free(&m);
	for (i = 0; i < 4; i++)
		f[i] = (struct rfield){(char *)c[i], strlen(c[i])};
	mapper_map(r, &bd, &rec, dc, "in", &m);
	kc = mapped_claim_key(&m);
	mapped_free(&m);
	assert_string_equal(ka, "transport|0101-00231|2024-04-01");
	assert_string_equal(kb, ka);
	assert_string_not_equal(kc, ka);
	free(ka);
	free(kb);
	free(kc);
	binding_clear(&bd);
	decoder_free(dc);
	rule_free(r);
	diags_free(&d);
}

/* A key field must be required and audited; a kind is a plain word. */
static void
test_claim_errors(void **state)
{
	struct diags d = {0};

	(void)state;
	assert_null(claim_rule("claim: {kind: transport, key: [no, note]}\n", &d));
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "'note' must be required"));
	diags_free(&d);
	assert_null(claim_rule("claim: {kind: transport, key: [no, who]}\n", &d));
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "'who' must be audited"));
	diags_free(&d);
	assert_null(claim_rule("claim: {kind: 通院, key: [nx]}\n", &d));
	assert_int_equal(d.n, 2);
	diags_free(&d);
	assert_null(claim_rule("claim: {kind: transport}\n", &d));
	assert_non_null(strstr(d.v[0].msg, "needs 'key'"));
	diags_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_row),      cmocka_unit_test(test_field_errors),
	    cmocka_unit_test(test_check_message), cmocka_unit_test(test_ragged_and_bytes),
	    cmocka_unit_test(test_bind),          cmocka_unit_test(test_export_line),
	    cmocka_unit_test(test_claim_key),     cmocka_unit_test(test_claim_errors),
	    cmocka_unit_test(test_fault_names),   cmocka_unit_test(test_lookup_and_computed),
	};

	return cmocka_run_group_tests_name("mapper", tests, setup, teardown);
}
