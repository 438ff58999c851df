/*
 * Pure value functions for the data Japanese offices write: era (和暦) and Western dates, yen
 * amounts, full-width text and look-alike dashes. No I/O and no knowledge of rules: a value goes
 * in, a normalized value or the reason it is wrong comes out. Dates are whole days since
 * 1970-01-01 (proleptic Gregorian); amounts are whole yen in int64_t, never floating point.
 */
#ifndef FORMAGENT_TRANSFORM_H
#define FORMAGENT_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

struct civil {
	int y, m, d;
};

struct era {
	const char *name;   /* 令和 */
	const char *kanji;  /* 令: the one-character abbreviation */
	char letter;        /* R */
	int code;           /* 5: the era code of YYMMDD-style system exports */
	struct civil start; /* first day a date in this era is valid */
	int year1;          /* the Western year of the era's year 1 */
};

struct eras {
	const struct era *v; /* ordered by start, oldest first */
	size_t n;
};

/* Meiji (from 1873-01-01, when Japan took the Gregorian calendar) to Reiwa. */
const struct eras *eras_builtin(void);

int64_t days_from_civil(int y, int m, int d);
void civil_from_days(int64_t days, struct civil *c);
int days_in_month(int y, int m);

/*
 * Parses a date in any of the forms of DOMAIN.md: 令和6年4月1日, 令和６年４月１日, 令和元年5月1日,
 * R6.4.1, R06.04.01, 令6.4.1, R060401, 5060401 (era code + YYMMDD), 2024/04/01, 2024-04-01,
 * 2024年4月1日, 20240401. Returns 0 and sets *days, or -1 and sets *cause to why (a date that
 * does not exist is never rolled over). The caller frees *cause.
 */
int tf_date(const struct eras *eras, const char *s, int64_t *days, char **cause);
/* 令和6年4月1日 (元年 for year 1 when gannen); NULL for a day before the first era. Caller frees.
 */
char *tf_wareki(const struct eras *eras, int64_t days, int gannen);
/* YYYY-MM-DD; the caller frees. */
char *tf_iso(int64_t days);
/* Excel's serial day number (1900 date system) for days. */
double tf_excel_serial(int64_t days);

/*
 * Parses a yen amount: 2000, 2,000, ２，０００, ￥840, ¥840, \840, 5,040円, △500, ▲500, -500.
 * Anything else in the string is an error, never dropped. Returns 0 / -1 with *cause.
 */
int tf_yen(const char *s, int64_t *out, char **cause);
/* The same for a plain integer: digits, separators and a sign, no currency marks. */
int tf_int(const char *s, int64_t *out, char **cause);
/* 12,345 with thousands separators; the caller frees. */
char *tf_group(int64_t v);

/* Text transforms: each returns a new string the caller frees. */
enum text_transform {
	TT_TRIM,           /* spaces (ASCII and U+3000) off both ends */
	TT_HALFWIDTH,      /* full-width ASCII (Ａ１－) to ASCII, U+3000 to a space */
	TT_SPACE,          /* U+3000 to a space; runs of spaces to one */
	TT_DASH,           /* look-alike dashes to '-' (ー only between digits) */
	TT_UPPER,          /* ASCII letters to upper case */
	TT_FULLWIDTH_KANA, /* half-width katakana to full width, voiced marks joined: ｶﾞ → ガ */
	TT_KATAKANA, /* hiragana (and half-width katakana) to katakana: さっぽろ → サッポロ */
	TT_HIRAGANA, /* katakana (and half-width katakana) to hiragana */
	TT_COUNT
};
/* The transform's name in rules ("trim"), kept in sync with the enum by a test. */
/* Full-width ASCII to ASCII and U+3000 to a space: the first step of every parser here. */
char *tf_fold_width(const char *s);
/* s without leading and trailing spaces (ASCII and U+3000) and line ends. */
char *tf_trim(const char *s);

/* textfold.c: */
const char *text_transform_name(enum text_transform t);
/* Looks a name up; -1 if there is no such transform. */
int text_transform_find(const char *name);
char *tf_apply(enum text_transform t, const char *s);
/* Releases what ICU keeps between calls (for a clean exit under valgrind). */
void tf_cleanup(void);

#endif
