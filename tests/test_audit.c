/*
 * Tests for audit.c: a log written by audit_append() verifies; every single-byte change anywhere
 * in it, every deleted line and every pair of swapped lines is caught; a truncated tail is caught
 * given a head taken earlier; a chain across two day files verifies as one; an HMAC-chained log
 * needs its key, and a key others can read is refused; a half-written last line is cut on open;
 * a large file's rows in parts are joined to its completion, and parts that do not match are named.
 */
#include <fcntl.h>
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

#include "audit.h"
#include "buf.h"
#include "hash.h"
#include "record.h"
#include "auditview.h"
#include "testutil.h"
#include "xlsxread.h"

/* Writes n records into dir; returns the one log file's path. */
static char *
write_log(const char *dir, const char *key, int n)
{
	struct audit *a;
	char *cause = NULL, **files;
	size_t nf;
	json_t *rec;
	int i;

	a = audit_open(dir, key, &cause);
	if (a == NULL)
		fail_msg("audit_open: %s", cause);
	for (i = 0; i < n; i++) {
		rec = json_pack("{s:s, s:i, s:{s:s, s:s}, s:s, s:s}", "spool", "s", "n", i, "input",
		                "name", "札幌\x01.csv", "sha256", i == 1 ? "abc" : "def", "claim",
		                i % 2 ? "c1" : "c2", "result", "produced");
		assert_int_equal(audit_append(a, i == n - 1 ? "completed" : "claimed", rec, &cause),
		                 0);
		json_decref(rec);
	}
	audit_close(a);
	files = audit_files(dir, &nf);
	assert_int_equal(nf, 1);
	{
		char *p = files[0];

		free(files);
		return p;
	}
}

static int
verify1(const char *path, const char *head, const char *key, char **out)
{
	char *files[1] = {(char *)path}, *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	int rc = audit_verify(files, 1, head, key, 0, fp);

	fclose(fp);
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return rc;
}

static void
test_append_and_verify(void **state)
{
	char *dir = tmpdir_new(), *path = write_log(dir, NULL, 5), *out, *text;
	struct stat st;

	(void)state;
	assert_int_equal(verify1(path, NULL, NULL, &out), 0);
	assert_non_null(strstr(out, "OK: 5 records, first 1, last 5, head 5:"));
	free(out);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	text = slurp(path, NULL);
	/* A control character from outside is escaped by JSON, never written raw. */
	assert_null(strchr(text, '\x01'));
	assert_non_null(strstr(text, "\\u0001"));
	assert_non_null(strstr(text, "\"prev\":\"0000000000000000"));
	free(text);
	free(path);
	rmtree(dir);
	free(dir);
}

/* Every byte of the log, changed in turn, breaks verification. */
static void
test_every_byte(void **state)
{
	char *dir = tmpdir_new(), *path = write_log(dir, NULL, 4), *orig, *copy;
	size_t len, i;
	int changed;

	(void)state;
	orig = slurp(path, &len);
	copy = malloc(len);
	for (i = 0; i < len; i++) {
		memcpy(copy, orig, len);
		/* Change the byte to a neighbour that keeps it printable where it was. */
		copy[i] = (char)(orig[i] == 'a' ? 'b' : orig[i] == '\n' ? ' ' : orig[i] ^ 0x01);
		spit(path, copy, len);
		changed = verify1(path, NULL, NULL, NULL);
		if (changed != 1)
			fail_msg("a change of byte %zu ('%c' to '%c') was not caught", i, orig[i],
			         copy[i]);
	}
	spit(path, orig, len);
	assert_int_equal(verify1(path, NULL, NULL, NULL), 0);
	free(copy);
	free(orig);
	free(path);
	rmtree(dir);
	free(dir);
}

/* The log's lines, for rearranging. */
static size_t
lines_of(char *text, char **line, size_t max)
{
	size_t n = 0;
	char *p = text, *nl;

	while (n < max && (nl = strchr(p, '\n')) != NULL) {
		*nl = '\0';
		line[n++] = p;
		p = nl + 1;
	}
	return n;
}

static void
write_lines(const char *path, char **line, size_t n)
{
	FILE *fp = fopen(path, "w");
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(fp, "%s\n", line[i]);
	fclose(fp);
}

static void
test_deleted_and_swapped(void **state)
{
	char *dir = tmpdir_new(), *path = write_log(dir, NULL, 6), *text, *line[16], *sub[16];
	char *out;
	size_t n, i, j, k;

	(void)state;
	text = slurp(path, NULL);
	n = lines_of(text, line, 16);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++) {
		for (k = 0, j = 0; j < n; j++)
			if (j != i)
				sub[k++] = line[j];
		write_lines(path, sub, k);
		if (i == n - 1) {
			/* A deleted last line looks like a shorter log: only a head catches it. */
			assert_int_equal(verify1(path, NULL, NULL, NULL), 0);
			continue;
		}
		assert_int_equal(verify1(path, NULL, NULL, &out), 1);
		assert_non_null(strstr(out, "missing"));
		free(out);
	}
	for (i = 0; i + 1 < n; i++) {
		memcpy(sub, line, n * sizeof *line);
		sub[i] = line[i + 1];
		sub[i + 1] = line[i];
		write_lines(path, sub, n);
		assert_int_equal(verify1(path, NULL, NULL, &out), 1);
		assert_true(strstr(out, "reordered") != NULL || strstr(out, "missing") != NULL);
		free(out);
	}
	free(text);
	free(path);
	rmtree(dir);
	free(dir);
}

static void
test_head_catches_truncation(void **state)
{
	char *dir = tmpdir_new(), *path = write_log(dir, NULL, 5), *text, *head = NULL, *out;
	char *files[1];
	size_t hl = 0, len;
	FILE *fp;

	(void)state;
	files[0] = path;
	fp = open_memstream(&head, &hl);
	assert_int_equal(audit_head(files, 1, fp), 0);
	fclose(fp);
	head[strcspn(head, "\n")] = '\0';
	assert_int_equal(strncmp(head, "5:", 2), 0);
	assert_int_equal(verify1(path, head, NULL, NULL), 0);
	/* Cut the last record: the chain is still whole, but the head is gone. */
	text = slurp(path, &len);
	len--;
	while (len > 0 && text[len - 1] != '\n')
		len--;
	spit(path, text, len);
	assert_int_equal(verify1(path, NULL, NULL, NULL), 0);
	assert_int_equal(verify1(path, head, NULL, &out), 1);
	assert_non_null(strstr(out, "truncated or rewritten"));
	free(out);
	/* A cut inside a line is caught even without a head. */
	spit(path, text, len + 20);
	assert_int_equal(verify1(path, NULL, NULL, &out), 1);
	assert_non_null(strstr(out, "truncated"));
	free(out);
	free(text);
	free(head);
	free(path);
	rmtree(dir);
	free(dir);
}

/* Yesterday's file and today's verify as one chain; alone, today's file starts mid-chain. */
static void
test_day_boundary(void **state)
{
	char *dir = tmpdir_new(), *path = write_log(dir, NULL, 3), *old, *out, *files[2];
	struct audit *a;
	char *cause = NULL, **names;
	json_t *rec;
	size_t n;

	(void)state;
	if (asprintf(&old, "%s/audit-2000-01-01.jsonl", dir) == -1)
		abort();
	assert_int_equal(rename(path, old), 0);
	a = audit_open(dir, NULL, &cause);
	rec = json_pack("{s:s}", "spool", "s");
	assert_int_equal(audit_append(a, "stopped", rec, &cause), 0);
	json_decref(rec);
	audit_close(a);
	names = audit_files(dir, &n);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], old);
	files[0] = names[0];
	files[1] = names[1];
	{
		size_t len = 0;
		char *buf = NULL;
		FILE *fp = open_memstream(&buf, &len);

		assert_int_equal(audit_verify(files, 2, NULL, NULL, 0, fp), 0);
		fclose(fp);
		assert_non_null(strstr(buf, "OK: 4 records, first 1, last 4"));
		free(buf);
	}
	assert_int_equal(verify1(names[1], NULL, NULL, &out), 1);
	assert_non_null(strstr(out, "records 1 to 3 are not in the files given"));
	free(out);
	{
		char *one[1] = {names[1]}, *buf = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&buf, &len);

		assert_int_equal(audit_verify(one, 1, NULL, NULL, 1, fp), 0);
		fclose(fp);
		assert_non_null(strstr(buf, "first 4"));
		free(buf);
	}
	free(names[0]);
	free(names[1]);
	free(names);
	free(old);
	free(path);
	rmtree(dir);
	free(dir);
}

static void
test_hmac(void **state)
{
	char *dir = tmpdir_new(), *key, *logdir, *path, *out, *cause = NULL;

	(void)state;
	if (asprintf(&key, "%s/key", dir) == -1 || asprintf(&logdir, "%s/log", dir) == -1)
		abort();
	spits(key, "0123456789abcdef0123456789abcdef");
	chmod(key, 0644);
	assert_null(audit_open(logdir, key, &cause));
	assert_non_null(strstr(cause, "readable by others"));
	free(cause);
	chmod(key, 0600);
	path = write_log(logdir, key, 3);
	assert_int_equal(verify1(path, NULL, key, NULL), 0);
	assert_int_equal(verify1(path, NULL, NULL, &out), 1);
	assert_non_null(strstr(out, "altered"));
	free(out);
	assert_int_equal(verify1(path, NULL, key, &out), 0);
	assert_non_null(strstr(out, "checked as an HMAC-SHA-256 chain with the key"));
	free(out);
	spits(key, "another key of the same lengthxx");
	assert_int_equal(verify1(path, NULL, key, &out), 1);
	assert_non_null(strstr(out, "HMAC does not match"));
	free(out);
	free(path);
	/* A plain chain where a key is configured: anyone could have written it. */
	path = write_log(dir, NULL, 2);
	assert_int_equal(verify1(path, NULL, NULL, &out), 0);
	assert_non_null(strstr(out, "checked as a plain SHA-256 chain (no key"));
	free(out);
	assert_int_equal(verify1(path, NULL, key, &out), 1);
	assert_non_null(strstr(out, "not made with the key: a plain SHA-256 chain, where the "
	                            "configuration names a key_file"));
	free(out);
	free(path);
	free(key);
	free(logdir);
	rmtree(dir);
	free(dir);
}

static void
test_index_and_repair(void **state)
{
	char *dir = tmpdir_new(), *path = write_log(dir, NULL, 3), *cause = NULL, *text;
	struct history *h;
	struct audit *a;
	size_t len;
	int fd;

	(void)state;
	/* A crash mid-append leaves a line without its end. */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "{\"agent\":", 9), 9);
	close(fd);
	assert_int_equal(verify1(path, NULL, NULL, NULL), 1);
	a = audit_open(dir, NULL, &cause);
	assert_non_null(a);
	assert_int_equal(verify1(path, NULL, NULL, NULL), 0);
	text = slurp(path, &len);
	assert_int_equal(text[len - 1], '\n');
	free(text);
	audit_close(a);
	/* The last record was a completion of claim c2 with input hash def. */
	h = history_load(dir, &cause);
	assert_non_null(h);
	assert_int_equal(history_completed(h, "c2"), 1);
	assert_int_equal(history_completed(h, "c1"), 0);
	assert_string_equal(history_seen(h, "def"), "c2");
	assert_null(history_seen(h, "abc"));
	history_free(h);
	free(path);
	rmtree(dir);
	free(dir);
}

/* Two completed files of one rule, as the agent writes them, for show and export. */
static char *
write_claims(const char *dir)
{
	struct audit *a;
	char *cause = NULL, **files, *p;
	json_t *rec;
	size_t nf;
	int i;

	a = audit_open(dir, NULL, &cause);
	for (i = 0; i < 2; i++) {
		rec = json_pack(
		    "{s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:i, s:i, s:i, s:i}, "
		    "s:[{s:i, s:s, s:{s:s, s:i, s:s}}, {s:i, s:s, s:{s:s, s:i}, s:[{s:s, s:s, "
		    "s:s}]}]}",
		    "spool", "s", "claim", i == 0 ? "c1" : "c2", "outcome", "partly_rejected",
		    "input", "name", i == 0 ? "交通費4月.csv" : "b.csv", "owner", "yamada", "rule",
		    "name", "transport", "version", "abcdef", "totals", "rows", 2, "produced", 1,
		    "rejected", 1, "amount", i == 0 ? 2000 : 840, "rows", "row", 2, "outcome",
		    "produced", "fields", "case_no", i == 0 ? "0101-00231" : "0102-01102", "amount",
		    i == 0 ? 2000 : 840, "visit_on", "2024-04-01", "row", 3, "outcome", "rejected",
		    "fields", "case_no", "0101-00999", "amount", 5, "reasons", "kind", "range",
		    "field", "amount", "column", "支給額");
		assert_int_equal(audit_append(a, "completed", rec, &cause), 0);
		json_decref(rec);
	}
	audit_close(a);
	files = audit_files(dir, &nf);
	p = files[0];
	free(files);
	return p;
}

static void
test_show(void **state)
{
	char *dir = tmpdir_new(), *path = write_claims(dir), *buf = NULL, *line;
	struct audit_filter f = {NULL, NULL, NULL, NULL, NULL};
	char *files[1];
	size_t len = 0;
	FILE *fp;

	(void)state;
	files[0] = path;
	fp = open_memstream(&buf, &len);
	assert_int_equal(audit_show(files, 1, &f, 0, fp), 0);
	fclose(fp);
	/* Japanese names take two columns each, and the table stays aligned. */
	line = strstr(buf, "交通費4月.csv");
	assert_non_null(line);
	assert_non_null(strstr(buf, "交通費4月.csv                  2     1          2000\n"));
	assert_non_null(strstr(buf, "b.csv                          2     1           840\n"));
	assert_non_null(strstr(buf, "2 records"));
	free(buf);
	f.case_no = "0102-01102";
	buf = NULL;
	fp = open_memstream(&buf, &len);
	assert_int_equal(audit_show(files, 1, &f, 0, fp), 0);
	fclose(fp);
	assert_null(strstr(buf, "交通費"));
	assert_non_null(strstr(buf, "row 2: produced {\"amount\":840,\"case_no\":\"0102-01102\""));
	assert_non_null(strstr(buf, "1 record\n"));
	free(buf);
	f.case_no = NULL;
	f.since = "2999-01-01";
	buf = NULL;
	fp = open_memstream(&buf, &len);
	assert_int_equal(audit_show(files, 1, &f, 1, fp), 0);
	fclose(fp);
	assert_string_equal(buf, "");
	free(buf);
	free(path);
	rmtree(dir);
	free(dir);
}

static void
test_export(void **state)
{
	char *dir = tmpdir_new(), *path = write_claims(dir), *xlsx, *cause = NULL;
	struct audit_filter f = {NULL, NULL, NULL, NULL, NULL};
	char *files[1];
	struct xcell c;

	(void)state;
	files[0] = path;
	if (asprintf(&xlsx, "%s/audit.xlsx", dir) == -1)
		abort();
	assert_int_equal(audit_export(files, 1, &f, xlsx, &cause), 0);
	/* Claims: one row per claim, fields as real cells. */
	assert_int_equal(xlsx_sheet_cell(xlsx, 1, "D2", &c), 0);
	assert_string_equal(c.text, "交通費4月.csv");
	xcell_clear(&c);
	/* The audited fields, in the log's (sorted) order. */
	assert_int_equal(xlsx_sheet_cell(xlsx, 1, "K1", &c), 0);
	assert_string_equal(c.text, "amount");
	xcell_clear(&c);
	assert_int_equal(xlsx_sheet_cell(xlsx, 1, "K2", &c), 0);
	assert_int_equal(c.type, 'n');
	assert_true(c.num == 2000);
	xcell_clear(&c);
	assert_int_equal(xlsx_sheet_cell(xlsx, 1, "L2", &c), 0);
	assert_string_equal(c.text, "0101-00231");
	xcell_clear(&c);
	assert_int_equal(xlsx_sheet_cell(xlsx, 1, "M2", &c), 0);
	assert_int_equal(c.type, 'n'); /* 2024-04-01 as a date serial */
	assert_true(c.num == 45383);
	xcell_clear(&c);
	assert_int_equal(xlsx_sheet_cell(xlsx, 1, "N3", &c), 0);
	assert_string_equal(c.text, "range: amount (支給額)");
	xcell_clear(&c);
	/* Totals per day and rule: 1 + 1 claims, 1 + 1 rejected, 2000 + 840 yen. */
	assert_int_equal(xlsx_sheet_cell(xlsx, 3, "D2", &c), 0);
	assert_true(c.num == 2);
	xcell_clear(&c);
	assert_int_equal(xlsx_sheet_cell(xlsx, 3, "E2", &c), 0);
	assert_true(c.num == 2);
	xcell_clear(&c);
	assert_int_equal(xlsx_sheet_cell(xlsx, 3, "F2", &c), 0);
	assert_true(c.num == 2840);
	xcell_clear(&c);
	{
		char *sheet = xlsx_part(xlsx, "xl/worksheets/sheet1.xml"), *drawing;

		assert_non_null(strstr(sheet, "<autoFilter"));
		assert_non_null(strstr(sheet, "state=\"frozen\""));
		free(sheet);
		drawing = xlsx_part(xlsx, "xl/charts/chart1.xml");
		assert_non_null(drawing);
		free(drawing);
	}
	free(xlsx);
	free(path);
	rmtree(dir);
	free(dir);
}

/* Appends a "rows" record of claim c: part k, rows {"row": first..first+n-1}; adds its text to d.
 */
static void
append_part(struct audit *a, const char *c, int k, int first, int n, struct buf *d)
{
	json_t *rows = json_array(), *rec;
	char *cause = NULL, *text;
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(
		    rows, json_pack("{s:i, s:s}", "row", first + i, "outcome", "produced"));
	text = json_dumps(rows, JSON_COMPACT | JSON_SORT_KEYS);
	if (d != NULL) {
		buf_add(d, text, strlen(text));
		buf_add(d, "\n", 1);
	}
	free(text);
	rec = json_pack("{s:s, s:i, s:o}", "claim", c, "part", k, "rows", rows);
	assert_int_equal(audit_append_unsynced(a, "rows", rec, &cause), 0);
	json_decref(rec);
}

static void
append_completed(struct audit *a, const char *c, int parts, const struct buf *d)
{
	char *cause = NULL, hex[HASH_HEX];
	json_t *rec;

	assert_int_equal(hash_buf(NULL, 0, d->p, d->len, hex), 0);
	rec = json_pack("{s:s, s:s, s:{s:i, s:s}}", "claim", c, "result", "produced", "row_records",
	                "parts", parts, "sha256", hex);
	assert_int_equal(audit_append(a, "completed", rec, &cause), 0);
	json_decref(rec);
}

struct seen {
	size_t completed, rows, first, last;
};

static int
see(void *ctx, json_t *rec)
{
	struct seen *s = ctx;
	json_t *rows = json_object_get(rec, "rows");

	assert_string_not_equal(json_string_value(json_object_get(rec, "event")), "rows");
	s->completed++;
	s->rows = json_array_size(rows);
	s->first = (size_t)json_integer_value(json_object_get(json_array_get(rows, 0), "row"));
	s->last = (size_t)json_integer_value(
	    json_object_get(json_array_get(rows, json_array_size(rows) - 1), "row"));
	return 0;
}

/*
 * A large file's rows in "rows" records: read back, its completed record gets them whole. The
 * parts of an attempt a crash cut short (no completion) are passed over, and a completion whose
 * parts are not all there is named by the check, and given no rows.
 */
static void
test_rows_in_parts(void **state)
{
	char *dir = tmpdir_new(), *cause = NULL, **files, *out = NULL;
	struct buf d = {0};
	struct seen s = {0};
	struct audit *a;
	size_t nf, len = 0;
	FILE *fp;

	(void)state;
	assert_non_null(a = audit_open(dir, NULL, &cause));
	append_part(a, "c1", 0, 100, 5, NULL); /* the attempt a crash cut short */
	append_part(a, "c1", 1, 105, 5, NULL);
	append_part(a, "c1", 0, 2, 3, &d);
	append_part(a, "c1", 1, 5, 3, &d);
	append_part(a, "c1", 2, 8, 2, &d);
	append_completed(a, "c1", 3, &d);
	audit_close(a);
	files = audit_files(dir, &nf);
	assert_int_equal(record_each(files, nf, see, &s), 0);
	assert_int_equal(s.completed, 1);
	assert_int_equal(s.rows, 8);
	assert_int_equal(s.first, 2);
	assert_int_equal(s.last, 9);
	fp = open_memstream(&out, &len);
	assert_int_equal(record_check_rows(files, nf, fp), 0);
	fclose(fp);
	assert_string_equal(out, "");
	free(out);

	/* Part 1 of claim c2 is missing: the chain holds, the rows do not. */
	assert_non_null(a = audit_open(dir, NULL, &cause));
	d.len = 0;
	append_part(a, "c2", 0, 2, 3, &d);
	append_part(a, "c2", 2, 8, 2, &d);
	append_completed(a, "c2", 3, &d);
	/* And one with as many parts as it says, but not the rows its digest is of. */
	d.len = 0;
	append_part(a, "c3", 0, 2, 3, &d);
	append_part(a, "c3", 1, 5, 2, NULL);
	append_completed(a, "c3", 2, &d);
	audit_close(a);
	audit_files_free(files, nf);
	files = audit_files(dir, &nf);
	fp = open_memstream(&out, &len);
	assert_int_equal(audit_verify(files, nf, NULL, NULL, 0, fp), 0);
	fclose(fp);
	free(out);
	fp = open_memstream(&out, &len);
	assert_int_equal(record_check_rows(files, nf, fp), 1);
	fclose(fp);
	assert_non_null(
	    strstr(out, "record 9: the rows of claim c2 are not the 3 parts before it"));
	assert_non_null(
	    strstr(out, "record 12: the rows of claim c3 are not the 2 parts before it"));
	free(out);
	memset(&s, 0, sizeof s);
	assert_int_equal(record_each(files, nf, see, &s), 0);
	assert_int_equal(s.completed, 3);
	assert_int_equal(s.rows, 0); /* c3's: none, rather than some */
	audit_files_free(files, nf);
	free(d.p);
	rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_and_verify),
	    cmocka_unit_test(test_every_byte),
	    cmocka_unit_test(test_deleted_and_swapped),
	    cmocka_unit_test(test_head_catches_truncation),
	    cmocka_unit_test(test_day_boundary),
	    cmocka_unit_test(test_hmac),
	    cmocka_unit_test(test_index_and_repair),
	    cmocka_unit_test(test_show),
	    cmocka_unit_test(test_export),
	    cmocka_unit_test(test_rows_in_parts),
	};

	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
