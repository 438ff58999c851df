/*
 * Dates, amounts and text the way a Japanese welfare office writes them. Parsing is strict: a
 * value is accepted only if every character of it is understood, and a date that does not exist
 * is refused with the reason, because a payment form must never carry a guessed value.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform.h"
#include "utf8.h"
#include "i18n.h"
#include "xmalloc.h"

static const struct era builtin_eras[] = {
    {"明治", "明", 'M', 1, {1873, 1, 1}, 1868},   {"大正", "大", 'T', 2, {1912, 7, 30}, 1912},
    {"昭和", "昭", 'S', 3, {1926, 12, 25}, 1926}, {"平成", "平", 'H', 4, {1989, 1, 8}, 1989},
    {"令和", "令", 'R', 5, {2019, 5, 1}, 2019},
};
static const struct eras builtin = {builtin_eras, sizeof builtin_eras / sizeof builtin_eras[0]};

/*
 * The latest year a date is accepted: beyond it a typo is likelier than a claim, and every era
 * year stays two digits, so any accepted date can be written back as 和暦 and read again.
 */
#define LAST_YEAR 2099

const struct eras *
eras_builtin(void)
{
	return &builtin;
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t
days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2), era, yoe, doy, doe;

	era = (yy >= 0 ? yy : yy - 399) / 400;
	yoe = yy - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
civil_from_days(int64_t z, struct civil *c)
{
	int64_t era, doe, yoe, y, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	c->y = (int)(y + (m <= 2));
	c->m = (int)m;
	c->d = (int)d;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
days_in_month(int y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && is_leap(y))
		return 29;
	return dim[m - 1];
}

char *
tf_fold_width(const char *s)
{
	size_t n = strlen(s), i = 0, o = 0, k;
	char *out = xmalloc(n + 1);
	uint32_t cp;

	while (i < n) {
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0) {
			out[o++] = s[i++];
			continue;
		}
		if (cp >= 0xff01 && cp <= 0xff5e)
			out[o++] = (char)(cp - 0xff01 + 0x21);
		else if (cp == 0x3000)
			out[o++] = ' ';
		else {
			memcpy(out + o, s + i, k);
			o += k;
		}
		i += k;
	}
	out[o] = '\0';
	return out;
}

static int
is_space_at(const char *p, size_t *len)
{
	if (*p == ' ' || *p == '\t') {
		*len = 1;
		return 1;
	}
	if (strncmp(p, "\u3000", 3) == 0) {
		*len = 3;
		return 1;
	}
	return 0;
}

char *
tf_trim(const char *s)
{
	const char *b = s, *e;
	size_t k;

	while (*b != '\0' && is_space_at(b, &k))
		b += k;
	e = b + strlen(b);
	while (e > b) {
		if (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')
			e--;
		else if (e - b >= 3 && strncmp(e - 3, "\u3000", 3) == 0)
			e -= 3;
		else
			break;
	}
	return xstrndup(b, (size_t)(e - b));
}

static void
skip_spaces(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

/* Reads 1..max ASCII digits; returns the count (0 if none) and the value. */
static int
read_digits(const char **p, int max, int *v)
{
	int n = 0;

	*v = 0;
	while (n < max && isdigit((unsigned char)**p)) {
		*v = *v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

static int
eat(const char **p, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(*p, word, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/* A short quote of what follows p for messages: the next character. */
static char *
next_char(const char *p)
{
	uint32_t cp;
	size_t k = utf8_decode(p, strlen(p), &cp);

	if (k == 0)
		return xasprintf("\\x%02x", (unsigned char)*p);
	return xstrndup(p, k);
}

static char *
bad_date(const char *orig, const char *p)
{
	char *c, *msg;

	if (*p == '\0')
		return xasprintf(_("'%s' is not a complete date"), orig);
	c = next_char(p);
	msg = xasprintf(_("'%s' is not a date: unexpected '%s'"), orig, c);
	free(c);
	return msg;
}

/* Checks y-m-d exists in the Gregorian calendar; *cause says why not. */
static int
check_civil(int y, int m, int d, const char *label, char **cause)
{
	if (m < 1 || m > 12) {
		*cause = xasprintf(_("%s: month %d does not exist"), label, m);
		return -1;
	}
	if (d < 1) {
		*cause = xasprintf(_("%s: day %d does not exist"), label, d);
		return -1;
	}
	if (d > days_in_month(y, m)) {
		if (m == 2 && d == 29)
			*cause = xasprintf(_("%s: %d is not a leap year, so February has 28 days"),
			                   label, y);
		else
			*cause = xasprintf(_("%s: month %d has only %d days"), label, m,
			                   days_in_month(y, m));
		return -1;
	}
	return 0;
}

static const struct era *
find_era(const struct eras *eras, const char **p)
{
	size_t i;
	char c;

	for (i = 0; i < eras->n; i++)
		if (eat(p, eras->v[i].name))
			return &eras->v[i];
	for (i = 0; i < eras->n; i++)
		if (eat(p, eras->v[i].kanji))
			return &eras->v[i];
	c = (char)toupper((unsigned char)**p);
	for (i = 0; i < eras->n; i++)
		if (c == eras->v[i].letter && (isdigit((unsigned char)(*p)[1]) ||
		                               strncmp(*p + 1, "元", 3) == 0 || (*p)[1] == ' ')) {
			(*p)++;
			return &eras->v[i];
		}
	return NULL;
}

static const struct era *
era_by_code(const struct eras *eras, int code)
{
	size_t i;

	for (i = 0; i < eras->n; i++)
		if (eras->v[i].code == code)
			return &eras->v[i];
	return NULL;
}

/* Turns era year, month, day into days, checking the day lies inside the era. */
static int
era_date(const struct eras *eras, const struct era *e, int ey, int m, int d, const char *orig,
         int64_t *days, char **cause)
{
	const struct era *next = NULL;
	int64_t z, start;
	size_t i;
	int y;

	if (ey < 1) {
		*cause = xasprintf(_("%s: %s has no year %d (year 1 is 元年)"), orig, e->name, ey);
		return -1;
	}
	y = e->year1 + ey - 1;
	if (y > LAST_YEAR) {
		*cause = xasprintf(_("%s: year %d of %s is too far ahead"), orig, ey, e->name);
		return -1;
	}
	if (check_civil(y, m, d, orig, cause) == -1)
		return -1;
	z = days_from_civil(y, m, d);
	start = days_from_civil(e->start.y, e->start.m, e->start.d);
	if (z < start) {
		if (e == &eras->v[0])
			/* Before 明治6年 Japan kept the lunisolar calendar: no Gregorian day to
			 * give. */
			*cause = xasprintf(
			    _("%s: dates are accepted from %04d-%02d-%02d (%s%d年%d月%d日), "
			      "when the Western calendar began"),
			    orig, e->start.y, e->start.m, e->start.d, e->name,
			    e->start.y - e->year1 + 1, e->start.m, e->start.d);
		else
			*cause =
			    xasprintf(_("%s: %s began on %04d-%02d-%02d, so this day is not in %s"),
			              orig, e->name, e->start.y, e->start.m, e->start.d, e->name);
		return -1;
	}
	for (i = 0; i + 1 < eras->n; i++)
		if (&eras->v[i] == e)
			next = &eras->v[i + 1];
	if (next != NULL && z >= days_from_civil(next->start.y, next->start.m, next->start.d)) {
		struct civil last;

		civil_from_days(days_from_civil(next->start.y, next->start.m, next->start.d) - 1,
		                &last);
		*cause = xasprintf(
		    _("%s: %s ended on %04d-%02d-%02d; from %04d-%02d-%02d the era is %s"), orig,
		    e->name, last.y, last.m, last.d, next->start.y, next->start.m, next->start.d,
		    next->name);
		return -1;
	}
	*days = z;
	return 0;
}

static int
western_date(int y, int m, int d, const char *orig, int64_t *days, char **cause)
{
	if (y < 1873 || y > LAST_YEAR) {
		*cause =
		    xasprintf(_("%s: year %d is out of range (1873 to %d)"), orig, y, LAST_YEAR);
		return -1;
	}
	if (check_civil(y, m, d, orig, cause) == -1)
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

/*
 * The value as the parsers read it: full-width ASCII folded, spaces trimmed. NULL, with *cause
 * set to empty_msg, when nothing is left; the caller frees the result.
 */
static char *
normalized(const char *s, const char *empty_msg, char **cause)
{
	char *t = tf_fold_width(s), *norm = tf_trim(t);

	free(t);
	*cause = NULL;
	if (norm[0] == '\0') {
		free(norm);
		*cause = xstrdup(empty_msg);
		return NULL;
	}
	return norm;
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int
tf_date(const struct eras *eras, const char *s, int64_t *days, char **cause)
{
	const struct era *e;
	const char *p;
	char *norm;
	static const char *const weekdays[] = {"日", "月", "火", "水", "木", "金", "土"};
	int y, m, d, ny, n, kanji_sep, wd = -1, rc = -1;
	char sep;

	if ((norm = normalized(s, _("empty: no date given"), cause)) == NULL)
		return -1;
	p = norm;
	n = (int)strlen(p);
	if (all_digits(p) && n == 7) { /* era code + YYMMDD */
		if ((e = era_by_code(eras, p[0] - '0')) == NULL) {
			*cause = xasprintf(_("%s: era code %c is not known"), norm, p[0]);
			goto out;
		}
		y = (p[1] - '0') * 10 + (p[2] - '0');
		m = (p[3] - '0') * 10 + (p[4] - '0');
		d = (p[5] - '0') * 10 + (p[6] - '0');
		rc = era_date(eras, e, y, m, d, norm, days, cause);
		goto out;
	}
	if (all_digits(p) && n == 8) { /* YYYYMMDD */
		y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
		m = (p[4] - '0') * 10 + (p[5] - '0');
		d = (p[6] - '0') * 10 + (p[7] - '0');
		rc = western_date(y, m, d, norm, days, cause);
		goto out;
	}
	e = find_era(eras, &p);
	skip_spaces(&p);
	if (e != NULL && all_digits(p) && strlen(p) == 6 && isalpha((unsigned char)norm[0])) {
		/* R060401: the letter and YYMMDD */
		y = (p[0] - '0') * 10 + (p[1] - '0');
		m = (p[2] - '0') * 10 + (p[3] - '0');
		d = (p[4] - '0') * 10 + (p[5] - '0');
		rc = era_date(eras, e, y, m, d, norm, days, cause);
		goto out;
	}
	if (e != NULL && eat(&p, "元"))
		y = 1, ny = 1;
	else
		ny = read_digits(&p, e != NULL ? 2 : 4, &y);
	if (ny == 0 || (e == NULL && ny != 4) || isdigit((unsigned char)*p)) {
		*cause =
		    e == NULL && ny > 0 && ny < 4
		        ? xasprintf(
		              _("'%s' is not a date: a year needs an era (令和, R) or four digits"),
		              norm)
		        : bad_date(norm, p);
		goto out;
	}
	skip_spaces(&p);
	kanji_sep = eat(&p, "年");
	sep = 0;
	if (!kanji_sep) {
		if (*p != '.' && *p != '/' && *p != '-') {
			*cause = bad_date(norm, p);
			goto out;
		}
		sep = *p++;
	}
	skip_spaces(&p);
	if (read_digits(&p, 2, &m) == 0 || isdigit((unsigned char)*p)) {
		*cause = bad_date(norm, p);
		goto out;
	}
	skip_spaces(&p);
	if (kanji_sep ? !eat(&p, "月") : *p++ != sep) {
		*cause = bad_date(norm, kanji_sep ? p : p - 1);
		goto out;
	}
	skip_spaces(&p);
	if (read_digits(&p, 2, &d) == 0 || isdigit((unsigned char)*p)) {
		*cause = bad_date(norm, p);
		goto out;
	}
	skip_spaces(&p);
	if (kanji_sep)
		eat(&p, "日");
	skip_spaces(&p);
	/* A weekday in brackets, as calendars print it: 令和6年4月1日(月). It must be that day's.
	 */
	if (eat(&p, "(")) {
		skip_spaces(&p);
		for (wd = 0; wd < 7 && !eat(&p, weekdays[wd]); wd++)
			;
		if (wd < 7 && eat(&p, "曜"))
			eat(&p, "日");
		skip_spaces(&p);
		if (wd == 7 || !eat(&p, ")")) {
			*cause = bad_date(norm, p);
			goto out;
		}
	}
	if (*p != '\0') {
		*cause = bad_date(norm, p);
		goto out;
	}
	if (e != NULL)
		rc = era_date(eras, e, y, m, d, norm, days, cause);
	else
		rc = western_date(y, m, d, norm, days, cause);
	/* 1970-01-01 was a Thursday. */
	if (rc == 0 && wd >= 0 && wd < 7 && (((*days + 4) % 7) + 7) % 7 != wd) {
		*cause = xasprintf(_("'%s' is not a date: that day is a %s曜日, not a %s曜日"),
		                   norm, weekdays[(((*days + 4) % 7) + 7) % 7], weekdays[wd]);
		rc = -1;
	}
out:
	free(norm);
	return rc;
}

char *
tf_wareki(const struct eras *eras, int64_t days, int gannen)
{
	const struct era *e = NULL;
	struct civil c;
	size_t i;
	int ey;

	for (i = 0; i < eras->n; i++)
		if (days >=
		    days_from_civil(eras->v[i].start.y, eras->v[i].start.m, eras->v[i].start.d))
			e = &eras->v[i];
	if (e == NULL)
		return NULL;
	civil_from_days(days, &c);
	ey = c.y - e->year1 + 1;
	if (ey == 1 && gannen)
		return xasprintf("%s元年%d月%d日", e->name, c.m, c.d);
	return xasprintf("%s%d年%d月%d日", e->name, ey, c.m, c.d);
}

char *
tf_iso(int64_t days)
{
	struct civil c;

	civil_from_days(days, &c);
	return xasprintf("%04d-%02d-%02d", c.y, c.m, c.d);
}

double
tf_excel_serial(int64_t days)
{
	/* Excel's day 0 is 1899-12-30 once its fictitious 1900-02-29 is accounted for. */
	return (double)(days - days_from_civil(1899, 12, 30));
}

/* The amount parser behind tf_yen and tf_int. */
static int
parse_amount(const char *s, int currency, int64_t *out, char **cause)
{
	char *norm, *t, *c;
	const char *p;
	int neg = 0, signs = 0, mark = 0, group = 0, digits = 0, commas = 0, rc = -1;
	const char *what = currency ? _("an amount") : _("a whole number");
	int64_t v = 0;

	if ((norm = normalized(s, _("empty: no value given"), cause)) == NULL)
		return -1;
	p = norm;
	/* Prefix: at most one sign and, for amounts, one yen mark, in either order. */
	for (;;) {
		/* U+2212, the minus sign proper, which NFKC leaves as it is (U+FF0D it folds). */
		if (signs == 0 &&
		    (eat(&p, "-") || eat(&p, "\u2212") || eat(&p, "△") || eat(&p, "▲"))) {
			neg = 1;
			signs++;
		} else if (currency && mark == 0 &&
		           (eat(&p, "￥") || eat(&p, "¥") || eat(&p, "\\"))) {
			mark++;
		} else
			break;
		skip_spaces(&p);
	}
	while (isdigit((unsigned char)*p) || *p == ',') {
		if (*p == ',') {
			if (digits == 0 || group == 0 || (commas > 0 && group != 3) || group > 3) {
				*cause = xasprintf(
				    _("'%s' is not %s: misplaced thousands separator"), norm, what);
				goto out;
			}
			commas++;
			group = 0;
			p++;
			continue;
		}
		if (v > (INT64_C(999999999999) - (*p - '0')) / 10) {
			*cause = xasprintf(_("'%s' is too large"), norm);
			goto out;
		}
		v = v * 10 + (*p - '0');
		group++;
		digits++;
		p++;
	}
	if (digits == 0) {
		*cause = *p == '\0'
		             ? xasprintf(_("'%s' is not %s: no digits"), norm, what)
		             : (c = next_char(p),
		                t = xasprintf(_("'%s' is not %s: unexpected '%s'"), norm, what, c),
		                free(c), t);
		goto out;
	}
	if (commas > 0 && group != 3) {
		*cause = xasprintf(_("'%s' is not %s: misplaced thousands separator"), norm, what);
		goto out;
	}
	skip_spaces(&p);
	if (currency)
		eat(&p, "円");
	if (*p != '\0') {
		c = next_char(p);
		if (*p == '.')
			*cause = xasprintf(_("'%s' is not %s: only whole numbers are allowed"),
			                   norm, what);
		else
			*cause = xasprintf(_("'%s' is not %s: unexpected '%s'"), norm, what, c);
		free(c);
		goto out;
	}
	*out = neg ? -v : v;
	rc = 0;
out:
	free(norm);
	return rc;
}

int
tf_yen(const char *s, int64_t *out, char **cause)
{
	return parse_amount(s, 1, out, cause);
}

int
tf_int(const char *s, int64_t *out, char **cause)
{
	return parse_amount(s, 0, out, cause);
}

char *
tf_group(int64_t v)
{
	char digits[32], out[48];
	size_t n, i, o = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	n = (size_t)snprintf(digits, sizeof digits, "%" PRIu64, u);
	if (v < 0)
		out[o++] = '-';
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return xstrdup(out);
}
