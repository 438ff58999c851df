/*
 * The text transforms a rule's field may name (trim, halfwidth, space, dash, fullwidth_kana,
 * katakana, hiragana, upper): how a name or an address written a dozen ways by hand becomes one
 * way of writing it. ICU does the Unicode work (NFKC, the kana transliterators); nothing here
 * reads a file.
 */
#include <stdlib.h>
#include <string.h>

#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "transform.h"
#include "utf8.h"
#include "xmalloc.h"

/* clang-format off */
static const char *const tt_names[TT_COUNT] = {
	[TT_TRIM] = "trim",
	[TT_HALFWIDTH] = "halfwidth",
	[TT_SPACE] = "space",
	[TT_DASH] = "dash",
	[TT_UPPER] = "upper",
	[TT_FULLWIDTH_KANA] = "fullwidth_kana",
	[TT_KATAKANA] = "katakana",
	[TT_HIRAGANA] = "hiragana",
};
/* clang-format on */

const char *
text_transform_name(enum text_transform t)
{
	return t < TT_COUNT ? tt_names[t] : NULL;
}

int
text_transform_find(const char *name)
{
	int i;

	for (i = 0; i < TT_COUNT; i++)
		if (tt_names[i] != NULL && strcmp(tt_names[i], name) == 0)
			return i;
	return -1;
}

static int
is_digit_cp(uint32_t cp)
{
	return (cp >= '0' && cp <= '9') || (cp >= 0xff10 && cp <= 0xff19);
}

static int
is_dash_cp(uint32_t cp)
{
	return cp == 0x2010 || cp == 0x2011 || cp == 0x2012 || cp == 0x2013 || cp == 0x2014 ||
	       cp == 0x2015 || cp == 0x2212 || cp == 0xff0d || cp == 0xfe63 || cp == 0xfe58;
}

/* The code point that ends just before byte i of s, or 0 at the start. */
static uint32_t
prev_cp(const char *s, size_t i)
{
	size_t j = i;
	uint32_t cp = 0;

	while (j > 0) {
		j--;
		if (((unsigned char)s[j] & 0xc0) != 0x80)
			break;
	}
	if (j == i || utf8_decode(s + j, i - j, &cp) != i - j)
		return 0;
	return cp;
}

static char *
fold_dashes(const char *s)
{
	size_t n = strlen(s), i = 0, o = 0, k, k2;
	char *out = xmalloc(n + 1);
	uint32_t cp, next;

	while (i < n) {
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0) {
			out[o++] = s[i++];
			continue;
		}
		/* ー and ｰ are the long vowel mark in words, a dash only between digits. */
		if (cp == 0x30fc || cp == 0xff70) {
			k2 = utf8_decode(s + i + k, n - i - k, &next);
			if (is_digit_cp(prev_cp(s, i)) && k2 > 0 && is_digit_cp(next))
				cp = '-';
		} else if (is_dash_cp(cp))
			cp = '-';
		o += utf8_encode(cp, out + o);
		i += k;
	}
	out[o] = '\0';
	return out;
}

static char *
fold_spaces(const char *s)
{
	size_t n = strlen(s), i, o = 0, k;
	char *out = xmalloc(n + 1);
	uint32_t cp;

	/* Only U+3000 changes here; other full-width characters are left for halfwidth. */
	for (i = 0; i < n;) {
		if ((k = utf8_decode(s + i, n - i, &cp)) == 3 && cp == 0x3000) {
			cp = ' ';
		} else if (k == 0) {
			out[o++] = s[i++];
			continue;
		}
		if (cp == ' ' && o > 0 && out[o - 1] == ' ') {
			i += k;
			continue;
		}
		o += utf8_encode(cp, out + o);
		i += k;
	}
	out[o] = '\0';
	return out;
}

/*
 * Kana through ICU (STYLE: a well-kept library over hand-written tables): NFKC for half-width
 * katakana, which joins ｶ + ﾞ into ガ, applied only to runs of U+FF61..U+FF9F so that ①, ㈱ and
 * the rest are left as they are; ICU's Hiragana-Katakana transliterators for kana.
 */
static UTransliterator *to_katakana, *to_hiragana;

static UChar *
to_u16(const char *s, int32_t *n)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t len = 0;
	UChar *u;

	u_strFromUTF8(NULL, 0, &len, s, -1, &e);
	e = U_ZERO_ERROR;
	/* Room to grow: a transliteration can lengthen the text (ゟ becomes ヨリ). */
	u = xcalloc((size_t)len * 2 + 8, sizeof *u);
	u_strFromUTF8(u, len * 2 + 8, n, s, -1, &e);
	return U_SUCCESS(e) ? u : (free(u), NULL);
}

static char *
from_u16(const UChar *u, int32_t n)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t len = 0;
	char *s;

	u_strToUTF8(NULL, 0, &len, u, n, &e);
	e = U_ZERO_ERROR;
	s = xmalloc((size_t)len + 1);
	u_strToUTF8(s, len + 1, &len, u, n, &e);
	return s;
}

static char *
fullwidth_kana(const char *s)
{
	const UNormalizer2 *nfkc;
	UErrorCode e = U_ZERO_ERROR;
	UChar *u, *out, buf[64];
	int32_t n, i = 0, j, o = 0, k;
	char *res;

	if ((nfkc = unorm2_getNFKCInstance(&e)) == NULL || U_FAILURE(e) ||
	    (u = to_u16(s, &n)) == NULL)
		return xstrdup(s);
	out = xcalloc((size_t)n * 2 + 8, sizeof *out);
	while (i < n) {
		if (u[i] < 0xff61 || u[i] > 0xff9f) {
			out[o++] = u[i++];
			continue;
		}
		for (j = i; j < n && j - i < 30 && u[j] >= 0xff61 && u[j] <= 0xff9f; j++)
			;
		e = U_ZERO_ERROR;
		k = unorm2_normalize(nfkc, u + i, j - i, buf, 64, &e);
		if (U_FAILURE(e))
			k = 0;
		memcpy(out + o, buf, (size_t)k * sizeof *buf);
		o += k;
		i = j;
	}
	res = from_u16(out, o);
	free(out);
	free(u);
	return res;
}

static char *
transliterate(UTransliterator **t, const char *id, const char *s)
{
	UErrorCode e = U_ZERO_ERROR;
	char *wide = fullwidth_kana(s), *res;
	int32_t n, limit, cap;
	UChar uid[32], *u;

	if (*t == NULL) {
		u_uastrcpy(uid, id);
		*t = utrans_openU(uid, -1, UTRANS_FORWARD, NULL, 0, NULL, &e);
		if (U_FAILURE(e))
			*t = NULL;
	}
	if (*t == NULL || (u = to_u16(wide, &n)) == NULL)
		return wide;
	/*
	 * The small ka and ke (ゕ ゖ / ヵ ヶ) are left alone by ICU one way and folded to plain け
	 * the other; map the pairs first, so every kana of both ranges has its twin.
	 */
	for (limit = 0; limit < n; limit++) {
		if (t == &to_katakana && (u[limit] == 0x3095 || u[limit] == 0x3096))
			u[limit] = (UChar)(u[limit] + 0x60);
		else if (t == &to_hiragana && (u[limit] == 0x30f5 || u[limit] == 0x30f6))
			u[limit] = (UChar)(u[limit] - 0x60);
	}
	cap = n * 2 + 8;
	limit = n;
	e = U_ZERO_ERROR;
	utrans_transUChars(*t, u, &n, cap, 0, &limit, &e);
	res = U_SUCCESS(e) ? from_u16(u, n) : xstrdup(wide);
	free(u);
	free(wide);
	return res;
}

void
tf_cleanup(void)
{
	if (to_katakana != NULL)
		utrans_close(to_katakana);
	if (to_hiragana != NULL)
		utrans_close(to_hiragana);
	to_katakana = to_hiragana = NULL;
}

char *
tf_apply(enum text_transform t, const char *s)
{
	char *out;
	size_t i;

	switch (t) {
	case TT_TRIM:
		return tf_trim(s);
	case TT_HALFWIDTH:
		return tf_fold_width(s);
	case TT_SPACE:
		return fold_spaces(s);
	case TT_DASH:
		return fold_dashes(s);
	case TT_FULLWIDTH_KANA:
		return fullwidth_kana(s);
	case TT_KATAKANA:
		return transliterate(&to_katakana, "Hiragana-Katakana", s);
	case TT_HIRAGANA:
		return transliterate(&to_hiragana, "Katakana-Hiragana", s);
	case TT_UPPER:
		out = xstrdup(s);
		for (i = 0; out[i] != '\0'; i++)
			if (out[i] >= 'a' && out[i] <= 'z')
				out[i] = (char)(out[i] - 'a' + 'A');
		return out;
	case TT_COUNT:
		break;
	}
	return xstrdup(s);
}
