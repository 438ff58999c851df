/*
 * The finders of a text rule (see scan.h). A label is looked for as printed, and also with the
 * spaces a scanner's OCR tends to put between characters taken out; what follows it, after any
 * spaces and colons (half- or full-width), is the value, or the next line when the label ends its
 * line (unless that line is empty or starts another label), as on forms with the value in a box
 * below.
 */
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "xmalloc.h"

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

static char *
trimmed(const char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	return xstrndup(p, n);
}

/*
 * The value that starts at v and runs to end: cut at a wide gap (two spaces, a tab, a full-width
 * space), where OCR separates the boxes of a printed form, or where another field's label starts.
 */
static char *
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

/* The value after label in text, and its line; NULL when the label is not there. */
static char *
find_after(const struct rule *r, const char *text, const char *label, int *line)
{
	const char *l = text, *end, *hit, *v;
	char *sq, *lab;
	size_t *map, labn;
	int no = 1;

	lab = squeeze(label, strlen(label), &map);
	free(map);
	labn = strlen(lab);
	for (; *l != '\0'; l = *end == '\n' ? end + 1 : end, no++) {
		end = strchr(l, '\n');
		if (end == NULL)
			end = l + strlen(l);
		sq = squeeze(l, (size_t)(end - l), &map);
		hit = labn > 0 ? strstr(sq, lab) : NULL;
		if (hit != NULL) {
			v = skip_separators(l + map[(size_t)(hit - sq) + labn]);
			free(sq);
			free(map);
			if (v < end && *v != '\r') {
				*line = no;
				free(lab);
				return value_at(r, v, end);
			}
			/*
			 * The label ends its line: the value is on the next line, unless that line
			 * is empty or starts with another label (an empty box on the form).
			 */
			if (*end == '\n') {
				l = end + 1;
				end = strchr(l, '\n');
				if (end == NULL)
					end = l + strlen(l);
				v = skip_separators(l);
				if (v < end && *v != '\r' && !starts_label(r, v)) {
					*line = no + 1;
					free(lab);
					return value_at(r, v, end);
				}
			}
			break;
		}
		free(sq);
		free(map);
	}
	free(lab);
	return NULL;
}

static char *
find_regex(const char *text, const regex_t *re, int *line)
{
	regmatch_t m[2];
	const char *p;

	if (regexec(re, text, 2, m, 0) != 0 || m[1].rm_so < 0)
		return NULL;
	*line = 1;
	for (p = text; p < text + m[1].rm_so; p++)
		*line += *p == '\n';
	return trimmed(text + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
}

struct found *
scan_find(const struct rule *r, const char *text)
{
	struct found *f = xcalloc(r->nfields + 1, sizeof *f);
	size_t i;

	for (i = 0; i < r->nfields; i++) {
		if (r->fields[i].after != NULL)
			f[i].value = find_after(r, text, r->fields[i].after, &f[i].line);
		else if (r->fields[i].finder_src != NULL)
			f[i].value = find_regex(text, &r->fields[i].finder, &f[i].line);
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
