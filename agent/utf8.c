/*
 * The one UTF-8 decoder of formagent, so that validation, escaping for logs and the text
 * transforms agree on what a valid sequence is.
 */
#include <string.h>
#include <wchar.h>

#include "utf8.h"
#include "xmalloc.h"

size_t
utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i;
	uint32_t c;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

size_t
utf8_encode(uint32_t cp, char *buf)
{
	unsigned char *b = (unsigned char *)buf;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (unsigned char)(0xf0 | (cp >> 18));
	b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int
utf8_valid(const char *s, size_t n, size_t *bad)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0) {
			if (bad != NULL)
				*bad = i;
			return 0;
		}
		i += k;
	}
	return 1;
}

size_t
utf8_width(const char *s)
{
	size_t n = 0, i = 0, len = 0, k;
	uint32_t cp;
	int w;

	while (s[len] != '\0')
		len++;
	while (i < len) {
		if ((k = utf8_decode(s + i, len - i, &cp)) == 0) {
			i++;
			n++;
			continue;
		}
		i += k;
		w = wcwidth((wchar_t)cp);
		/* East Asian wide ranges, for when the locale is not a UTF-8 one. */
		if (w < 0 || (w == 1 && cp >= 0x1100 &&
		              ((cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
		               (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xff00 && cp <= 0xff60) ||
		               (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd))))
			w = cp >= 0x2e80 ? 2 : 1;
		n += (size_t)w;
	}
	return n;
}

/* The columns of one code point as utf8_width() counts them. */
static size_t
cp_width(const char *s, size_t k)
{
	char one[5] = {0};

	memcpy(one, s, k);
	return utf8_width(one);
}

void
utf8_pad(FILE *fp, const char *s, size_t w)
{
	size_t n = strlen(s), i = 0, k, used = 0, cw, total = 0;
	uint32_t cp;

	for (i = 0; i < n; i += k) {
		k = utf8_decode(s + i, n - i, &cp);
		total += k == 0 || cp < 0x20 || cp == 0x7f ? 1 : cp_width(s + i, k);
		if (k == 0)
			k = 1;
	}
	for (i = 0; i < n; i += k) {
		k = utf8_decode(s + i, n - i, &cp);
		cw = k == 0 || cp < 0x20 || cp == 0x7f ? 1 : cp_width(s + i, k);
		if (total > w && used + cw > w - 1) {
			if (w > 0) {
				fputc('~', fp);
				used++;
			}
			break;
		}
		if (k == 0 || cp < 0x20 || cp == 0x7f)
			fputc('?', fp);
		else
			fwrite(s + i, 1, k, fp);
		used += cw;
		if (k == 0)
			k = 1;
	}
	for (; used < w; used++)
		fputc(' ', fp);
}

char *
utf8_repair(const char *s)
{
	size_t n = strlen(s), i = 0, o = 0, k;
	char *out = xmalloc(n * 3 + 1);
	uint32_t cp;

	while (i < n) {
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return out;
}

char *
utf8_cut_name(const char *name, size_t max)
{
	const char *dot = strrchr(name, '.');
	size_t ext = dot != NULL && strlen(dot) < 16 ? strlen(dot) : 0, k;

	if (strlen(name) <= max)
		return xstrdup(name);
	k = max > ext ? max - ext : 0;
	while (k > 0 && ((unsigned char)name[k] & 0xc0) == 0x80)
		k--; /* not inside a character */
	return xasprintf("%.*s%s", (int)k, name, ext > 0 ? dot : "");
}
