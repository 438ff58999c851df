/*
 * Scanned claims as text with places, and the finders of a text rule (see scan.h). A label is
 * looked for as printed, and also with the spaces OCR tends to put between characters taken out;
 * what follows it, after any spaces and colons (half- or full-width), is the value, or the next
 * line when the label ends its line (unless that line is empty or starts another label), as on
 * forms with the value in a box below. Every value keeps the spans it was read from, so a
 * reason can say where on the page it was and how sure OCR was of it.
 */
#include <stdint.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "utf8.h"
#include "xmalloc.h"

/* Appends to the text, keeping it NUL-terminated. */
static void
text_add(struct scanned *s, const char *p, size_t n)
{
	buf_add(&s->text, p, n);
	buf_add(&s->text, "", 1);
	s->text.len--;
}

static void
page_begin(struct scanned *s, int ocr)
{
	s->pages = xreallocarray(s->pages, (size_t)s->npages + 1, sizeof *s->pages);
	s->ocr = xreallocarray(s->ocr, (size_t)s->npages + 1, sizeof *s->ocr);
	s->ocr[s->npages] = (char)ocr;
	s->pages[s->npages++] = s->text.len;
	text_add(s, "", 0);
}

static void
span_add(struct scanned *s, const struct span *sp)
{
	if (s->nspans == s->capspans) {
		s->capspans = s->capspans ? 2 * s->capspans : 256;
		s->spans = xreallocarray(s->spans, s->capspans, sizeof *s->spans);
	}
	s->spans[s->nspans++] = *sp;
}

static double
ymid(const struct glyph *g)
{
	return (g->y1 + g->y2) / 2;
}

static int
by_y(const void *a, const void *b)
{
	double x = ymid(a), y = ymid(b);

	return x < y ? -1 : x > y;
}

static int
by_x(const void *a, const void *b)
{
	const struct glyph *x = a, *y = b;

	return x->x1 < y->x1 ? -1 : x->x1 > y->x1;
}

void
scanned_add_page(struct scanned *s, struct glyph *g, size_t n, int ocr)
{
	size_t i, j, k;
	double h;

	page_begin(s, ocr);
	/* Lines: glyphs whose middles lie within half a glyph's height of the line's first one. */
	qsort(g, n, sizeof *g, by_y);
	for (i = 0; i < n; i = k) {
		h = g[i].y2 - g[i].y1;
		for (k = i + 1; k < n && ymid(&g[k]) - ymid(&g[i]) < h / 2; k++)
			;
		/* A line's height of nothing above it is an empty line, as on paper. */
		if (i > 0 && ymid(&g[i]) - ymid(&g[i - 1]) > 2 * h)
			text_add(s, "\n", 1);
		qsort(g + i, k - i, sizeof *g, by_x);
		/* Gaps are measured against the line's tallest glyph, not a hyphen's height. */
		for (j = i; j < k; j++)
			if (g[j].y2 - g[j].y1 > h)
				h = g[j].y2 - g[j].y1;
		for (j = i; j < k; j++) {
			double gap = j > i ? g[j].x1 - g[j - 1].x2 : 0;
			double gh = g[j].y2 - g[j].y1;
			int same = j > i && g[j].run != 0 && g[j].run == g[j - 1].run;

			if (j > i && gap > h && !same)
				text_add(s, "  ", 2); /* a wide gap: another box of the form */
			else if (j > i && (g[j].space >= 0 ? g[j].space : gap > h / 4))
				text_add(s, " ", 1);
			span_add(s, &(struct span){.off = s->text.len,
			                           .len = g[j].len,
			                           .page = s->npages,
			                           .x = (float)g[j].x1,
			                           .y = (float)g[j].y1,
			                           .w = (float)(g[j].x2 - g[j].x1),
			                           .h = (float)gh,
			                           .conf = g[j].conf});
			text_add(s, g[j].p, g[j].len);
		}
		text_add(s, "\n", 1);
	}
	text_add(s, "\n", 1);
}

void
scanned_add_text(struct scanned *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *ff;
	size_t n;

	/* Pages end at a form feed, as pdftotext and scanners' OCR write them. */
	do {
		ff = memchr(p, '\f', (size_t)(end - p));
		n = (size_t)((ff != NULL ? ff : end) - p);
		if (n > 0 || s->npages == 0) {
			page_begin(s, 0);
			text_add(s, p, n);
			if (n > 0 && p[n - 1] != '\n')
				text_add(s, "\n", 1);
		}
		p += n + (ff != NULL);
	} while (ff != NULL && p < end);
}

/* One replacement over the whole text; map[i] is where old byte i went. */
static void
replace_one(struct scanned *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), len = s->text.len, o, k, i;
	size_t *map = xmalloc((len + 1) * sizeof *map);
	unsigned char *touched = xcalloc(len + 1, 1);
	struct buf out = {0};

	for (o = 0; o < len;) {
		if (fl > 0 && o + fl <= len && memcmp(s->text.p + o, from, fl) == 0) {
			for (k = 0; k < fl; k++) {
				map[o + k] = out.len;
				touched[o + k] = 1;
			}
			buf_add(&out, to, tl);
			o += fl;
		} else {
			map[o] = out.len;
			buf_add(&out, s->text.p + o, 1);
			o++;
		}
	}
	map[len] = out.len;
	buf_add(&out, "", 1);
	out.len--;
	for (i = 0; i < s->nspans; i++) {
		struct span *sp = &s->spans[i];
		size_t end = sp->off + sp->len, b;

		/* A piece wholly put right is sure; one with other characters keeps its doubt. */
		for (b = sp->off; b < end && touched[b]; b++)
			;
		if (b == end)
			sp->conf = 100;
		/* A span that ends inside a replacement takes the whole replacement. */
		sp->off = map[sp->off];
		sp->len = (touched[end - 1] ? map[end - 1] + tl : map[end - 1] + 1) - sp->off;
	}
	for (i = 0; i < (size_t)s->npages; i++)
		s->pages[i] = map[s->pages[i]];
	free(s->text.p);
	s->text = out;
	free(map);
	free(touched);
}

void
scanned_replace(struct scanned *s, const struct rule *r)
{
	size_t i;

	for (i = 0; i < r->nreplace; i++)
		replace_one(s, r->replace_from[i], r->replace_to[i]);
}

void
scanned_page(const struct scanned *s, int p, struct scanned *one)
{
	size_t from = s->pages[p - 1], to = p < s->npages ? s->pages[p] : s->text.len, i;

	memset(one, 0, sizeof *one);
	page_begin(one, s->ocr[p - 1]);
	text_add(one, s->text.p + from, to - from);
	for (i = 0; i < s->nspans; i++)
		if (s->spans[i].page == p) {
			struct span sp = s->spans[i];

			sp.off -= from;
			sp.page = 1;
			span_add(one, &sp);
		}
}

void
scanned_free(struct scanned *s)
{
	free(s->text.p);
	free(s->spans);
	free(s->pages);
	free(s->ocr);
	memset(s, 0, sizeof *s);
}

/* Skips spaces (ASCII, U+3000), colons (: and U+FF1A) and tabs. */
static const char *
skip_separators(const char *p)
{
	for (;;) {
		if (*p == ' ' || *p == '\t' || *p == ':')
			p++;
		else if (strncmp(p, "\xe3\x80\x80", 3) == 0 || strncmp(p, "\xef\xbc\x9a", 3) == 0)
			p += 3;
		else
			return p;
	}
}

/* s without spaces, for a label that OCR spread out; positions map back through *map. */
static char *
squeeze(const char *s, size_t n, size_t **map)
{
	char *out = xmalloc(n + 1);
	size_t i, o = 0;

	*map = xmalloc((n + 1) * sizeof **map);
	for (i = 0; i < n;) {
		if (s[i] == ' ' || s[i] == '\t') {
			i++;
			continue;
		}
		if (strncmp(s + i, "\xe3\x80\x80", 3) == 0) {
			i += 3;
			continue;
		}
		(*map)[o] = i;
		out[o++] = s[i++];
	}
	(*map)[o] = n;
	out[o] = '\0';
	return out;
}

/* A value's bytes in the text: where it starts and how long it is. */
struct range {
	const char *p;
	size_t n;
};

static struct range
trimmed(const char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	return (struct range){p, n};
}

/*
 * The value that starts at v and runs to end: cut at a wide gap (two spaces, a tab, a full-width
 * space), where OCR separates the boxes of a printed form, or where another field's label starts.
 */
static struct range
value_at(const struct rule *r, const char *v, const char *end)
{
	const char *cut = end, *p;
	size_t i;

	for (p = v; p < cut; p++)
		if ((p[0] == ' ' && p + 1 < end && p[1] == ' ') || p[0] == '\t' ||
		    strncmp(p, "\xe3\x80\x80", 3) == 0) {
			cut = p;
			break;
		}
	for (i = 0; i < r->nfields; i++)
		if (r->fields[i].after != NULL && (p = strstr(v, r->fields[i].after)) != NULL &&
		    p > v && p < cut)
			cut = p;
	return trimmed(v, (size_t)(cut - v));
}

/* Whether another field's label starts at p. */
static int
starts_label(const struct rule *r, const char *p)
{
	size_t i;

	for (i = 0; i < r->nfields; i++)
		if (r->fields[i].after != NULL &&
		    strncmp(p, r->fields[i].after, strlen(r->fields[i].after)) == 0)
			return 1;
	return 0;
}

/* Code points of s (n bytes), with where each starts; returns how many. */
static size_t
code_points(const char *s, size_t n, uint32_t *cp, size_t *at)
{
	size_t i = 0, k, c = 0;

	while (i < n) {
		if ((k = utf8_decode(s + i, n - i, &cp[c])) == 0)
			k = 1, cp[c] = 0xfffd;
		at[c++] = i;
		i += k;
	}
	at[c] = n;
	return c;
}

/*
 * Where the label (code points lab[0..ln)) ends in the line (ln code points, squeezed) when one
 * character of it is misread, missing or doubled (OCR's ケースズ番号 for ケース番号): the index of
 * the first code point after it, or 0 when it is not there even so.
 */
static size_t
near_label(const uint32_t *line, size_t n, const uint32_t *lab, size_t ln)
{
	size_t i, j, k, miss;

	for (i = 0; i < n; i++) {
		/* One character misread. */
		for (j = 0, miss = 0; j < ln && i + j < n && miss <= 1; j++)
			miss += line[i + j] != lab[j];
		if (j == ln && miss <= 1)
			return i + ln;
		/* One extra character read (k in the line), or one missing (k in the label). */
		for (k = 1; k < ln; k++) {
			if (i + ln + 1 <= n && memcmp(line + i, lab, k * sizeof *lab) == 0 &&
			    memcmp(line + i + k + 1, lab + k, (ln - k) * sizeof *lab) == 0)
				return i + ln + 1;
			if (i + ln - 1 <= n && memcmp(line + i, lab, k * sizeof *lab) == 0 &&
			    memcmp(line + i + k, lab + k + 1, (ln - k - 1) * sizeof *lab) == 0)
				return i + ln - 1;
		}
	}
	return 0;
}

/* Labels this long or longer are still found with one character misread. */
#define NEAR_LABEL_MIN 4

/*
 * Whether p..q is a box of its own on the line l..end: from the line's start or a space, to a wide
 * gap (two spaces, a tab, a full-width space) or the line's end.
 */
static int
alone(const char *l, const char *end, const char *p, const char *q)
{
	int before = p == l || p[-1] == ' ' || p[-1] == '\t' ||
	             (p - l >= 3 && memcmp(p - 3, "\xe3\x80\x80", 3) == 0);
	int after = q == end || *q == '\r' || *q == '\t' ||
	            (end - q >= 2 && memcmp(q, "  ", 2) == 0) ||
	            (end - q >= 3 && memcmp(q, "\xe3\x80\x80", 3) == 0);

	return before && after;
}

/*
 * A label of NEAR_LABEL_MIN - 1 characters that OCR read without its last one (申請日 as 申請, the
 * 日 lost against the box's edge): the rest must stand alone as a box of the form, so 申請者 is
 * never taken for it. Returns the end of what was read, or NULL. A shorter label is never guessed.
 */
static const char *
truncated_label(const char *l, const char *end, const char *lab)
{
	size_t n = strlen(lab), cut = n, chars = 0, i;
	const char *p;

	for (i = 0; i < n; i++)
		chars += ((unsigned char)lab[i] & 0xc0) != 0x80;
	if (chars != NEAR_LABEL_MIN - 1)
		return NULL;
	while (cut > 0 && ((unsigned char)lab[cut - 1] & 0xc0) == 0x80)
		cut--;
	cut--; /* the lead byte of the last character */
	for (p = l;
	     (size_t)(end - p) >= cut && (p = memmem(p, (size_t)(end - p), lab, cut)) != NULL; p++)
		if (alone(l, end, p, p + cut))
			return p + cut;
	return NULL;
}

/*
 * The label's end in the line l..end (just past its last character, before any space after
 * it), or NULL: as printed (spaces OCR put in taken out), or, when near is set, with one
 * character wrong (a short label: its last character lost).
 */
static const char *
label_end(const char *l, const char *end, const char *lab, int near)
{
	size_t *map, labn = strlen(lab), n, ln, hit;
	char *sq = squeeze(l, (size_t)(end - l), &map);
	const char *p, *out = NULL;
	uint32_t *cp, *lcp;
	size_t *at, *lat;

	if (!near) {
		if (labn > 0 && (p = strstr(sq, lab)) != NULL)
			out = l + map[(size_t)(p - sq) + labn - 1] + 1;
		free(sq);
		free(map);
		return out;
	}
	cp = xcalloc(strlen(sq) + 1, sizeof *cp);
	at = xcalloc(strlen(sq) + 1, sizeof *at);
	lcp = xcalloc(labn + 1, sizeof *lcp);
	lat = xcalloc(labn + 1, sizeof *lat);
	n = code_points(sq, strlen(sq), cp, at);
	ln = code_points(lab, labn, lcp, lat);
	if (ln >= NEAR_LABEL_MIN && (hit = near_label(cp, n, lcp, ln)) > 0)
		out = l + map[at[hit] - 1] + 1;
	else
		out = truncated_label(l, end, lab);
	free(cp);
	free(at);
	free(lcp);
	free(lat);
	free(sq);
	free(map);
	return out;
}

/*
 * Where label is printed in text: as printed first, anywhere on the page; only then with a
 * character misread. Returns the end of the label, and its line in *line..*end; NULL when it is
 * nowhere.
 */
static const char *
find_label(const char *text, const char *label, const char **line, const char **end)
{
	const char *l, *e, *v = NULL;
	size_t *map;
	char *lab = squeeze(label, strlen(label), &map);
	int near;

	free(map);
	for (near = 0; near <= 1 && v == NULL; near++)
		for (l = text; *l != '\0'; l = *e == '\n' ? e + 1 : e) {
			e = strchr(l, '\n');
			if (e == NULL)
				e = l + strlen(l);
			if ((v = label_end(l, e, lab, near)) != NULL) {
				*line = l;
				*end = e;
				break;
			}
		}
	free(lab);
	return v;
}

/*
 * The value after label in text: {NULL} when the label is not there, an empty range at the label
 * when its box is empty.
 */
static struct range
find_after(const struct rule *r, const char *text, const char *label)
{
	const char *l, *end, *v = find_label(text, label, &l, &end);

	if (v == NULL)
		return (struct range){NULL, 0};
	v = skip_separators(v);
	if (v < end && *v != '\r')
		return value_at(r, v, end);
	/*
	 * The label ends its line: the value is on the next line, unless that line is empty or
	 * starts with another label (an empty box on the form).
	 */
	if (*end == '\n') {
		const char *l2 = end + 1, *end2 = strchr(l2, '\n');

		if (end2 == NULL)
			end2 = l2 + strlen(l2);
		v = skip_separators(l2);
		if (v < end2 && *v != '\r' && !starts_label(r, v))
			return value_at(r, v, end2);
	}
	return (struct range){end, 0};
}

static struct range
find_regex(const char *text, const regex_t *re)
{
	regmatch_t m[2];

	if (regexec(re, text, 2, m, 0) != 0 || m[1].rm_so < 0)
		return (struct range){NULL, 0};
	return trimmed(text + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
}

/* What was read at bytes [off, off + n) of the text: its line, place and least confidence. */
static void
found_at(const struct scanned *s, size_t off, size_t n, struct found *f)
{
	const char *p;
	size_t i, start = 0;

	f->value = xstrndup(s->text.p + off, n);
	/* Lines count from the start of the page the value is on. */
	for (i = 0; i < (size_t)s->npages; i++)
		if (s->pages[i] <= off)
			start = s->pages[i];
	f->line = 1;
	for (p = s->text.p + start; p < s->text.p + off; p++)
		f->line += *p == '\n';
	f->conf = 100;
	for (i = 0; i < s->nspans; i++) {
		const struct span *sp = &s->spans[i];

		if (sp->off + sp->len <= off || sp->off >= off + n)
			continue;
		if (f->page == 0) {
			f->page = sp->page;
			f->x = sp->x;
			f->y = sp->y;
		}
		if (sp->conf < f->conf)
			f->conf = sp->conf;
	}
}

/*
 * Where a labelled area is measured from: the top right corner of the printed label (the piece
 * that holds its last character), on its page. 0 when the label is nowhere.
 */
static int
label_corner(const struct scanned *s, const char *label, int *page, double *x, double *y)
{
	const char *l, *end, *v = find_label(s->text.p, label, &l, &end);
	size_t off, i;

	if (v == NULL || v == l)
		return 0;
	off = (size_t)(v - s->text.p) - 1;
	for (i = 0; i < s->nspans; i++) {
		const struct span *sp = &s->spans[i];

		if (sp->off <= off && off < sp->off + sp->len) {
			*page = sp->page;
			*x = sp->x + sp->w;
			*y = sp->y;
			return 1;
		}
	}
	return 0;
}

/*
 * The pieces whose middles lie inside the field's rectangle, in reading order, one space where
 * the text has space or a line break between them. The rectangle is on its page, or, with a
 * label, measured from the label's top right corner: a form printed a little larger or smaller
 * (another font, another scale) still has the value on the label's own line.
 */
static void
find_area(const struct scanned *s, const struct field_def *fd, struct found *f)
{
	struct buf v = {0};
	const struct span *prev = NULL;
	double ax = fd->area_x, ay = fd->area_y, lx, ly;
	int page = fd->area_page;
	size_t i, k;

	if (fd->area_label != NULL) {
		if (!label_corner(s, fd->area_label, &page, &lx, &ly))
			return;
		ax += lx;
		ay += ly;
	}
	for (i = 0; i < s->nspans; i++) {
		const struct span *sp = &s->spans[i];
		double cx = sp->x + sp->w / 2, cy = sp->y + sp->h / 2;

		if (sp->page != page || cx < ax || cx > ax + fd->area_w || cy < ay ||
		    cy > ay + fd->area_h)
			continue;
		if (prev == NULL) {
			f->conf = 100;
			f->page = sp->page;
			f->x = (float)ax;
			f->y = (float)ay;
		} else {
			for (k = prev->off + prev->len; k < sp->off; k++)
				if (strchr(" \t\n", s->text.p[k]) != NULL) {
					buf_add(&v, " ", 1);
					break;
				}
		}
		buf_add(&v, s->text.p + sp->off, sp->len);
		if (sp->conf < f->conf)
			f->conf = sp->conf;
		prev = sp;
	}
	if (prev != NULL) {
		buf_add(&v, "", 1);
		f->value = v.p;
	}
}

/*
 * A yen amount read by OCR from an image: Tesseract reads the thousands comma of a printed amount
 * as a full stop (1.220円), or as a comma and a full stop both (1,.220円) on a noisy scan. Yen have
 * no fractions, so one or two of those marks between a digit and exactly three digits are taken
 * as the comma that was printed; any other full stop stays and the value fails to parse (review).
 * Text layers and OCR text files are taken as written.
 */
static void
ocr_thousands(const struct scanned *s, struct found *f)
{
	char *p, *q, *w;
	size_t n;

	if (f->value == NULL || f->page < 1 || f->page > s->npages || !s->ocr[f->page - 1])
		return;
	for (p = w = f->value; *p != '\0';) {
		for (n = 0; (p[n] == '.' || p[n] == ',') && n < 3; n++)
			;
		q = p + n;
		if (n > 0 && n <= 2 && w > f->value && isdigit((unsigned char)w[-1]) &&
		    isdigit((unsigned char)q[0]) && isdigit((unsigned char)q[1]) &&
		    isdigit((unsigned char)q[2]) && !isdigit((unsigned char)q[3])) {
			*w++ = ',';
			p = q;
		} else
			*w++ = *p++;
	}
	*w = '\0';
}

struct found *
scan_find(const struct rule *r, const struct scanned *s)
{
	struct found *f = xcalloc(r->nfields + 1, sizeof *f);
	const struct field_def *fd;
	struct range v;
	size_t i;

	for (i = 0; i < r->nfields; i++) {
		fd = &r->fields[i];
		if (fd->area_page > 0)
			find_area(s, fd, &f[i]);
		else {
			if (fd->after != NULL)
				v = find_after(r, s->text.p, fd->after);
			else if (fd->finder_src != NULL)
				v = find_regex(s->text.p, &fd->finder);
			else
				continue; /* computed, not read */
			if (v.p != NULL)
				found_at(s, (size_t)(v.p - s->text.p), v.n, &f[i]);
		}
		if (fd->type == FT_YEN)
			ocr_thousands(s, &f[i]);
	}
	return f;
}

void
found_free(struct found *f, size_t n)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < n; i++)
		free(f[i].value);
	free(f);
}
