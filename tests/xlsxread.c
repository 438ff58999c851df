/*
 * A minimal xlsx cell reader for tests: shared strings, inline strings, numbers and formulas with
 * their cached results, and number formats by style index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "xlsxread.h"

char *
xlsx_part(const char *path, const char *part)
{
	char *cmd, *buf;
	size_t n;
	FILE *fp;

	if (asprintf(&cmd, "unzip -p '%s' '%s' 2>/dev/null", path, part) == -1)
		abort();
	fp = popen(cmd, "r");
	free(cmd);
	if (fp == NULL)
		return NULL;
	buf = slurp_fp(fp, &n);
	if (pclose(fp) != 0 || n == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static char *
unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t i = 0, o = 0;

	if (out == NULL)
		abort();
	while (i < n) {
		if (s[i] == '&') {
			if (strncmp(s + i, "&amp;", 5) == 0)
				out[o++] = '&', i += 5;
			else if (strncmp(s + i, "&lt;", 4) == 0)
				out[o++] = '<', i += 4;
			else if (strncmp(s + i, "&gt;", 4) == 0)
				out[o++] = '>', i += 4;
			else if (strncmp(s + i, "&quot;", 6) == 0)
				out[o++] = '"', i += 6;
			else if (strncmp(s + i, "&apos;", 6) == 0)
				out[o++] = '\'', i += 6;
			else
				out[o++] = s[i++];
		} else
			out[o++] = s[i++];
	}
	out[o] = '\0';
	return out;
}

/* The concatenated text of every <t> between p and end. */
static char *
text_of(const char *p, const char *end)
{
	char *out = calloc(1, 1), *piece;
	const char *t, *gt, *close;
	size_t len = 0;

	while ((t = strstr(p, "<t")) != NULL && t < end) {
		if (t[2] != '>' && t[2] != ' ') {
			p = t + 2;
			continue;
		}
		gt = strchr(t, '>');
		close = strstr(gt, "</t>");
		if (gt == NULL || close == NULL || close > end)
			break;
		piece = unescape(gt + 1, (size_t)(close - gt - 1));
		out = realloc(out, len + strlen(piece) + 1);
		strcpy(out + len, piece);
		len += strlen(piece);
		free(piece);
		p = close + 4;
	}
	return out;
}

static char *
shared_string(const char *path, long idx)
{
	char *sst = xlsx_part(path, "xl/sharedStrings.xml"), *res = NULL;
	const char *p, *end;
	long i = 0;

	if (sst == NULL)
		return NULL;
	p = sst;
	while ((p = strstr(p, "<si>")) != NULL) {
		end = strstr(p, "</si>");
		if (end == NULL)
			break;
		if (i++ == idx) {
			res = text_of(p, end);
			break;
		}
		p = end;
	}
	free(sst);
	return res;
}

int
xlsx_cell(const char *path, const char *addr, struct xcell *c)
{
	return xlsx_sheet_cell(path, 1, addr, c);
}

int
xlsx_sheet_cell(const char *path, int n, const char *addr, struct xcell *c)
{
	char part[64], *sheet, *needle, *v;
	const char *p, *gt, *end, *t, *f, *s;
	char type[16] = "";

	snprintf(part, sizeof part, "xl/worksheets/sheet%d.xml", n);
	sheet = xlsx_part(path, part);
	memset(c, 0, sizeof *c);
	c->type = 'e';
	c->style = -1;
	if (sheet == NULL)
		return -1;
	if (asprintf(&needle, "<c r=\"%s\"", addr) == -1)
		abort();
	p = sheet;
	while ((p = strstr(p, needle)) != NULL && p[strlen(needle)] != ' ' &&
	       p[strlen(needle)] != '>' && p[strlen(needle)] != '/')
		p += strlen(needle);
	free(needle);
	if (p == NULL) {
		free(sheet);
		return 0;
	}
	gt = strchr(p, '>');
	if ((s = strstr(p, " s=\"")) != NULL && s < gt)
		c->style = atoi(s + 4);
	if ((t = strstr(p, " t=\"")) != NULL && t < gt)
		sscanf(t + 4, "%15[^\"]", type);
	if (gt[-1] == '/') {
		free(sheet);
		return 0;
	}
	end = strstr(gt, "</c>");
	/* <f> as libxlsxwriter writes it, or <f aca="false"> as LibreOffice does. */
	if (((f = strstr(gt, "<f>")) != NULL || (f = strstr(gt, "<f ")) != NULL) && f < end) {
		f = strchr(f, '>') + 1;
		c->formula = unescape(f, (size_t)(strstr(f, "</f>") - f));
	}
	if (strcmp(type, "inlineStr") == 0) {
		c->type = 's';
		c->text = text_of(gt, end);
	} else if ((v = strstr(gt, "<v>")) != NULL && v < end) {
		char *val = unescape(v + 3, (size_t)(strstr(v, "</v>") - v - 3));

		if (strcmp(type, "s") == 0) {
			c->type = 's';
			c->text = shared_string(path, strtol(val, NULL, 10));
			free(val);
		} else if (strcmp(type, "str") == 0) {
			c->type = 's';
			c->text = val;
		} else {
			c->type = 'n';
			c->num = strtod(val, NULL);
			free(val);
		}
	}
	free(sheet);
	return 0;
}

void
xcell_clear(struct xcell *c)
{
	free(c->text);
	free(c->formula);
	c->text = c->formula = NULL;
}

char *
xlsx_numfmt(const char *path, int style)
{
	char *styles = xlsx_part(path, "xl/styles.xml"), *res = NULL, *needle;
	const char *xfs, *p, *nf;
	int i, id = -1;

	if (styles == NULL || style < 0)
		goto out;
	if ((xfs = strstr(styles, "<cellXfs")) == NULL)
		goto out;
	p = xfs;
	for (i = 0; i <= style; i++)
		if ((p = strstr(p + 1, "<xf ")) == NULL)
			goto out;
	if ((nf = strstr(p, "numFmtId=\"")) != NULL)
		id = atoi(nf + 10);
	if (asprintf(&needle, "<numFmt numFmtId=\"%d\" formatCode=\"", id) == -1)
		abort();
	if ((p = strstr(styles, needle)) != NULL) {
		p += strlen(needle);
		res = unescape(p, (size_t)(strchr(p, '"') - p));
	}
	free(needle);
out:
	free(styles);
	return res;
}
