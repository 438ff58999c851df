/*
 * audit show and audit export. The log holds only what the audit needs (the fields a rule marks
 * audit: true), so everything in it can be shown to an auditor; what is not in it cannot leak
 * from here.
 */
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "audit.h"
#include "auditview.h"
#include "record.h"
#include "utf8.h"
#include "xmalloc.h"

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* Whether a completed record has a row for this case number. */
static int
row_has_case(json_t *row, const char *case_no)
{
	json_t *fields = json_object_get(row, "fields");

	return strcmp(str(fields, "case_no"), case_no) == 0;
}

static int
passes(json_t *rec, const struct audit_filter *f)
{
	const char *time = str(rec, "time");
	json_t *row;
	size_t i;
	int found;

	if (f->since != NULL && strncmp(time, f->since, 10) < 0)
		return 0;
	if (f->until != NULL && strncmp(time, f->until, 10) > 0)
		return 0;
	if (f->event != NULL && strcmp(str(rec, "event"), f->event) != 0)
		return 0;
	if (f->rule != NULL && strcmp(str(json_object_get(rec, "rule"), "name"), f->rule) != 0)
		return 0;
	if (f->case_no != NULL) {
		found = 0;
		json_array_foreach(json_object_get(rec, "rows"), i,
		                   row) if (row_has_case(row, f->case_no)) found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

struct show {
	const struct audit_filter *f;
	int json;
	FILE *out;
	size_t count;
};

static void
cell(FILE *fp, const char *s, size_t w)
{
	utf8_pad(fp, s, w);
	fputc(' ', fp);
}

static int
show_one(void *ctx, json_t *rec)
{
	struct show *sh = ctx;
	json_t *totals = json_object_get(rec, "totals"), *row;
	char time[20], num[32], *text;
	size_t i;

	if (!passes(rec, sh->f))
		return 0;
	sh->count++;
	if (sh->json) {
		text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
		fprintf(sh->out, "%s\n", text);
		free(text);
		return 0;
	}
	if (sh->count == 1) {
		cell(sh->out, "seq", 6);
		cell(sh->out, "time", 19);
		cell(sh->out, "event", 14);
		cell(sh->out, "outcome", 15);
		cell(sh->out, "rule", 15);
		cell(sh->out, "input", 30);
		cell(sh->out, "rows", 5);
		cell(sh->out, "rej", 4);
		fprintf(sh->out, "%10s\n", "amount");
	}
	snprintf(num, sizeof num, "%lld",
	         (long long)json_integer_value(json_object_get(rec, "seq")));
	cell(sh->out, num, 6);
	snprintf(time, sizeof time, "%.19s", str(rec, "time"));
	if (strlen(time) > 10)
		time[10] = ' ';
	cell(sh->out, time, 19);
	cell(sh->out, str(rec, "event"), 14);
	cell(sh->out, str(rec, "outcome"), 15);
	cell(sh->out, str(json_object_get(rec, "rule"), "name"), 15);
	cell(sh->out, str(json_object_get(rec, "input"), "name"), 30);
	if (totals != NULL) {
		snprintf(num, sizeof num, "%lld",
		         (long long)json_integer_value(json_object_get(totals, "rows")));
		cell(sh->out, num, 5);
		snprintf(num, sizeof num, "%lld",
		         (long long)json_integer_value(json_object_get(totals, "rejected")));
		cell(sh->out, num, 4);
		fprintf(sh->out, "%10lld",
		        (long long)json_integer_value(json_object_get(totals, "amount")));
	}
	fputc('\n', sh->out);
	if (sh->f->case_no != NULL)
		json_array_foreach(json_object_get(rec, "rows"), i,
		                   row) if (row_has_case(row, sh->f->case_no))
		{
			fprintf(sh->out, "       row %lld: %s",
			        (long long)json_integer_value(json_object_get(row, "row")),
			        str(row, "outcome"));
			text = json_dumps(json_object_get(row, "fields"),
			                  JSON_COMPACT | JSON_SORT_KEYS);
			fprintf(sh->out, " %s\n", text);
			free(text);
		}
	return 0;
}

int
audit_show(char *const *files, size_t n, const struct audit_filter *f, int json, FILE *out)
{
	struct show sh = {f, json, out, 0};

	if (record_each(files, n, show_one, &sh) == -1)
		return 1;
	if (!json)
		fprintf(out, "%zu record%s\n", sh.count, sh.count == 1 ? "" : "s");
	return 0;
}

/* The audited field names met in the claims, in order of first appearance. */
struct names {
	char **v;
	size_t n, cap;
};

struct total {
	char day[11];
	char *rule;
	long long claims, rejected, amount;
};

struct export
{
	const struct audit_filter *f;
	struct names fields;
	struct total *t;
	size_t nt, capt;
	lxw_workbook *wb;
	lxw_worksheet *claims, *filesheet;
	lxw_format *head, *datetime, *date, *yen;
	lxw_row_t crow, frow;
	int pass;
};

static void
name_add(struct names *nm, const char *s)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		if (strcmp(nm->v[i], s) == 0)
			return;
	xgrow(&nm->v, &nm->cap, nm->n, sizeof *nm->v);
	nm->v[nm->n++] = xstrdup(s);
}

static int
is_iso_date(const char *s)
{
	int y, m, d;
	char end;

	return strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &end) == 3;
}

static void
put_datetime(struct export *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *t)
{
	lxw_datetime dt = {0, 0, 0, 0, 0, 0};

	if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%lf", &dt.year, &dt.month, &dt.day, &dt.hour, &dt.min,
	           &dt.sec) >= 3)
		worksheet_write_datetime(ws, r, c, &dt, x->datetime);
	else
		worksheet_write_string(ws, r, c, t, NULL);
}

static void
put_value(struct export *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, json_t *v)
{
	lxw_datetime dt = {0, 0, 0, 0, 0, 0};
	const char *s;

	if (json_is_integer(v))
		worksheet_write_number(ws, r, c, (double)json_integer_value(v), NULL);
	else if ((s = json_string_value(v)) != NULL) {
		if (is_iso_date(s) && sscanf(s, "%4d-%2d-%2d", &dt.year, &dt.month, &dt.day) == 3)
			worksheet_write_datetime(ws, r, c, &dt, x->date);
		else
			worksheet_write_string(ws, r, c, s, NULL);
	}
}

static void
add_total(struct export *x, const char *time, const char *rule, long long claims, long long rej,
          long long amount)
{
	struct total *t = NULL;
	size_t i;

	for (i = 0; i < x->nt; i++)
		if (strncmp(x->t[i].day, time, 10) == 0 && strcmp(x->t[i].rule, rule) == 0)
			t = &x->t[i];
	if (t == NULL) {
		xgrow(&x->t, &x->capt, x->nt, sizeof *x->t);
		t = &x->t[x->nt++];
		memset(t, 0, sizeof *t);
		snprintf(t->day, sizeof t->day, "%.10s", time);
		t->rule = xstrdup(rule);
	}
	t->claims += claims;
	t->rejected += rej;
	t->amount += amount;
}

static const char *const claim_cols[] = {"記録番号", "日時", "スプール", "入力ファイル", "提出者",
                                         "受付番号", "規則", "規則の版", "行",           "結果"};
#define NCLAIM_COLS (sizeof claim_cols / sizeof claim_cols[0])
static const char *const file_cols[] = {
    "記録番号", "日時", "スプール", "入力ファイル", "提出者", "SHA-256", "受付番号", "規則",
    "規則の版", "結果", "行数",     "作成",         "却下",   "金額",    "理由"};
#define NFILE_COLS (sizeof file_cols / sizeof file_cols[0])

/* The columns both sheets start with: the record, when, where, which file and whose. */
static void
put_record(struct export *x, lxw_worksheet *ws, lxw_row_t r, json_t *rec)
{
	json_t *input = json_object_get(rec, "input");

	worksheet_write_number(ws, r, 0, (double)json_integer_value(json_object_get(rec, "seq")),
	                       NULL);
	put_datetime(x, ws, r, 1, str(rec, "time"));
	worksheet_write_string(ws, r, 2, str(rec, "spool"), NULL);
	worksheet_write_string(ws, r, 3, str(input, "name"), NULL);
	worksheet_write_string(ws, r, 4, str(input, "owner"), NULL);
}

static void
claim_row(struct export *x, json_t *rec, json_t *row)
{
	json_t *rule = json_object_get(rec, "rule");
	json_t *fields = json_object_get(row, "fields"), *reason;
	lxw_worksheet *ws = x->claims;
	lxw_row_t r = ++x->crow;
	char buf[4096] = "";
	size_t i;

	put_record(x, ws, r, rec);
	worksheet_write_string(ws, r, 5, str(rec, "claim"), NULL);
	worksheet_write_string(ws, r, 6, str(rule, "name"), NULL);
	worksheet_write_string(ws, r, 7, str(rule, "version"), NULL);
	worksheet_write_number(ws, r, 8, (double)json_integer_value(json_object_get(row, "row")),
	                       NULL);
	worksheet_write_string(ws, r, 9, str(row, "outcome"), NULL);
	for (i = 0; i < x->fields.n; i++)
		put_value(x, ws, r, (lxw_col_t)(NCLAIM_COLS + i),
		          json_object_get(fields, x->fields.v[i]));
	/* "kind: field (column)", "check 2: ...": what the log keeps of a reason (not its text). */
	json_array_foreach(json_object_get(row, "reasons"), i, reason)
	{
		size_t at = strlen(buf);

		if (json_object_get(reason, "message") != NULL) /* a log older than 2026-12 */
			snprintf(buf + at, sizeof buf - at, "%s%s", i > 0 ? "; " : "",
			         str(reason, "message"));
		else if (json_object_get(reason, "check") != NULL)
			snprintf(buf + at, sizeof buf - at, "%scheck %lld: %s (%s)",
			         i > 0 ? "; " : "",
			         (long long)json_integer_value(json_object_get(reason, "check")),
			         str(reason, "field"), str(reason, "column"));
		else
			snprintf(buf + at, sizeof buf - at, "%s%s%s%s%s%s%s", i > 0 ? "; " : "",
			         str(reason, "kind"), *str(reason, "field") != '\0' ? ": " : "",
			         str(reason, "field"), *str(reason, "column") != '\0' ? " (" : "",
			         str(reason, "column"), *str(reason, "column") != '\0' ? ")" : "");
	}
	worksheet_write_string(ws, r, (lxw_col_t)(NCLAIM_COLS + x->fields.n), buf, NULL);
}

static void
file_row(struct export *x, json_t *rec)
{
	json_t *input = json_object_get(rec, "input"), *rule = json_object_get(rec, "rule");
	json_t *totals = json_object_get(rec, "totals");
	lxw_worksheet *ws = x->filesheet;
	lxw_row_t r = ++x->frow;
	const char *keys[] = {"rows", "produced", "rejected", "amount"};
	size_t i;

	put_record(x, ws, r, rec);
	worksheet_write_string(ws, r, 5, str(input, "sha256"), NULL);
	worksheet_write_string(ws, r, 6, str(rec, "claim"), NULL);
	worksheet_write_string(ws, r, 7, str(rule, "name"), NULL);
	worksheet_write_string(ws, r, 8, str(rule, "version"), NULL);
	worksheet_write_string(ws, r, 9, str(rec, "outcome"), NULL);
	for (i = 0; i < 4; i++)
		worksheet_write_number(ws, r, (lxw_col_t)(10 + i),
		                       (double)json_integer_value(json_object_get(totals, keys[i])),
		                       i == 3 ? x->yen : NULL);
	worksheet_write_string(ws, r, 14, str(rec, "reason"), NULL);
}

static int
export_one(void *ctx, json_t *rec)
{
	struct export *x = ctx;
	json_t *row, *totals;
	const char *key;
	json_t *v;
	size_t i;
	long long claims = 0, rej = 0, amount = 0;

	if (strcmp(str(rec, "event"), "completed") != 0 || !passes(rec, x->f))
		return 0;
	if (x->pass == 0) {
		json_array_foreach(json_object_get(rec, "rows"), i, row)
		    json_object_foreach(json_object_get(row, "fields"), key, v)
		        name_add(&x->fields, key);
		return 0;
	}
	file_row(x, rec);
	/* A resumed completion repeats an earlier one: its claims are not counted twice. */
	if (strcmp(str(rec, "outcome"), "resumed") == 0)
		return 0;
	json_array_foreach(json_object_get(rec, "rows"), i, row)
	{
		if (x->f->case_no != NULL && !row_has_case(row, x->f->case_no))
			continue;
		claim_row(x, rec, row);
		if (strcmp(str(row, "outcome"), "produced") == 0) {
			claims++;
			amount += json_integer_value(
			    json_object_get(json_object_get(row, "fields"), "amount"));
		} else
			rej++;
	}
	/* The file's own total is the ledger's; for one case, the sum of its rows. */
	totals = json_object_get(rec, "totals");
	if (x->f->case_no == NULL)
		amount = json_integer_value(json_object_get(totals, "amount"));
	add_total(x, str(rec, "time"), str(json_object_get(rec, "rule"), "name"), claims, rej,
	          amount);
	return 0;
}

static void
header(struct export *x, lxw_worksheet *ws, const char *const *cols, size_t n,
       const struct names *extra, const char *last)
{
	size_t i;

	for (i = 0; i < n; i++)
		worksheet_write_string(ws, 0, (lxw_col_t)i, cols[i], x->head);
	for (i = 0; extra != NULL && i < extra->n; i++)
		worksheet_write_string(ws, 0, (lxw_col_t)(n + i), extra->v[i], x->head);
	if (last != NULL)
		worksheet_write_string(ws, 0, (lxw_col_t)(n + (extra ? extra->n : 0)), last,
		                       x->head);
	worksheet_freeze_panes(ws, 1, 0);
}

static void
totals_sheet(struct export *x)
{
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "日別・規則別");
	static const char *const cols[] = {"日付", "規則", "日付・規則", "件数", "却下", "金額"};
	lxw_chart *chart;
	lxw_chart_series *series;
	lxw_datetime dt = {0, 0, 0, 0, 0, 0};
	char *label;
	size_t i;

	header(x, ws, cols, 6, NULL, NULL);
	worksheet_set_landscape(ws);
	worksheet_set_column(ws, 0, 0, 12, NULL);
	worksheet_set_column(ws, 1, 2, 20, NULL);
	worksheet_set_column(ws, 5, 5, 14, NULL);
	for (i = 0; i < x->nt; i++) {
		lxw_row_t r = (lxw_row_t)(i + 1);

		if (sscanf(x->t[i].day, "%4d-%2d-%2d", &dt.year, &dt.month, &dt.day) == 3)
			worksheet_write_datetime(ws, r, 0, &dt, x->date);
		worksheet_write_string(ws, r, 1, x->t[i].rule, NULL);
		label = xasprintf("%s %s", x->t[i].day, x->t[i].rule);
		worksheet_write_string(ws, r, 2, label, NULL);
		free(label);
		worksheet_write_number(ws, r, 3, (double)x->t[i].claims, NULL);
		worksheet_write_number(ws, r, 4, (double)x->t[i].rejected, NULL);
		worksheet_write_number(ws, r, 5, (double)x->t[i].amount, x->yen);
	}
	if (x->nt > 0) {
		worksheet_autofilter(ws, 0, 0, (lxw_row_t)x->nt, 5);
		chart = workbook_add_chart(x->wb, LXW_CHART_COLUMN);
		series = chart_add_series(chart, NULL, NULL);
		chart_series_set_categories(series, "日別・規則別", 1, 2, (lxw_row_t)x->nt, 2);
		chart_series_set_values(series, "日別・規則別", 1, 5, (lxw_row_t)x->nt, 5);
		chart_series_set_name(series, "金額");
		chart_title_set_name(chart, "日別・規則別の支給額");
		chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
		worksheet_insert_chart(ws, 1, 7, chart);
	}
}

int
audit_export(char *const *files, size_t n, const struct audit_filter *f, const char *path,
             char **cause)
{
	struct export x;
	lxw_error e;
	size_t i;
	int rc = 0;

	memset(&x, 0, sizeof x);
	x.f = f;
	if (record_each(files, n, export_one, &x) == -1) {
		*cause = xstrdup("cannot read the audit log");
		return -1;
	}
	if ((x.wb = workbook_new(path)) == NULL) {
		*cause = xasprintf("cannot create %s", path);
		rc = -1;
		goto out;
	}
	x.head = workbook_add_format(x.wb);
	format_set_bold(x.head);
	format_set_bg_color(x.head, 0xEDEDED);
	format_set_border(x.head, LXW_BORDER_THIN);
	x.datetime = workbook_add_format(x.wb);
	format_set_num_format(x.datetime, "yyyy-mm-dd hh:mm:ss");
	x.date = workbook_add_format(x.wb);
	format_set_num_format(x.date, "yyyy-mm-dd");
	x.yen = workbook_add_format(x.wb);
	format_set_num_format(x.yen, "#,##0\"円\"");
	x.claims = workbook_add_worksheet(x.wb, "請求");
	x.filesheet = workbook_add_worksheet(x.wb, "ファイル");
	header(&x, x.claims, claim_cols, NCLAIM_COLS, &x.fields, "理由");
	header(&x, x.filesheet, file_cols, NFILE_COLS, NULL, NULL);
	worksheet_set_landscape(x.claims);
	worksheet_fit_to_pages(x.claims, 1, 0);
	worksheet_set_landscape(x.filesheet);
	worksheet_fit_to_pages(x.filesheet, 1, 0);
	worksheet_set_column(x.claims, 1, 1, 20, NULL);
	worksheet_set_column(x.claims, 3, 3, 30, NULL);
	worksheet_set_column(x.filesheet, 1, 1, 20, NULL);
	worksheet_set_column(x.filesheet, 3, 3, 30, NULL);
	x.pass = 1;
	record_each(files, n, export_one, &x);
	worksheet_autofilter(x.claims, 0, 0, x.crow, (lxw_col_t)(NCLAIM_COLS + x.fields.n));
	worksheet_autofilter(x.filesheet, 0, 0, x.frow, (lxw_col_t)(NFILE_COLS - 1));
	totals_sheet(&x);
	if ((e = workbook_close(x.wb)) != LXW_NO_ERROR) {
		*cause = xasprintf("cannot write %s: %s", path, lxw_strerror(e));
		rc = -1;
	}
out:
	for (i = 0; i < x.fields.n; i++)
		free(x.fields.v[i]);
	free(x.fields.v);
	for (i = 0; i < x.nt; i++)
		free(x.t[i].rule);
	free(x.t);
	return rc;
}
