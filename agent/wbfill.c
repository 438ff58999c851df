/*
 * Writing filled copies of an office's workbook (see workbook.h). A form's copy has its
 * placeholders' cells set and its formulas' cached results dropped; a ledger's has its repeated
 * row written once per claim and everything below moved down as Excel moves it when rows are
 * inserted: cells, merged ranges, conditional formats, validations, the print area, drawings,
 * Excel's calculation chain, and the formulas that point below or across the row (a SUM over
 * the row grows to cover every claim). workbook.xml is rewritten to ask Excel to recalculate on
 * load; every other part the fill does not touch is copied as the template's compressed bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "spool.h"
#include "template.h"
#include "wbpriv.h"
#include "xlsxcheck.h"
#include "xmalloc.h"

/* Where the repeated rows go in a ledger sheet's text, between the halves written around it. */
#define ROWS_MARK "<?formagent-rows?>"

/* A part written anew: its text, and for the ledger's sheet the rows in fd between two halves. */
struct repl {
	const char *part;
	const char *pre;
	size_t prelen;
	int fd; /* -1: none */
	const char *post;
	size_t postlen;
};

/* Text a cell may hold: XML 1.0 has no C0 controls but tab and line ends. */
static char *
xml_text(const char *s)
{
	char *t = xstrdup(s), *q = t;

	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n' || *s == '\r')
			*q++ = *s;
	*q = '\0';
	return t;
}

static void
drop_children(xmlNode *n)
{
	xmlNode *c, *next;

	for (c = n->children; c != NULL; c = next) {
		next = c->next;
		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
}

/*
 * Sets a cell to v, keeping its style (s=""): a number as a number, text as an inline string
 * (so the shared strings, with their furigana, stay the template's bytes), nothing as nothing.
 */
static void
set_cell(xmlNode *c, const struct wbvalue *v)
{
	char num[40], *text;
	xmlNode *is, *t;

	drop_children(c);
	xmlUnsetProp(c, (const xmlChar *)"t");
	switch (v->kind) {
	case WB_NUMBER:
		if (v->num < 1e15 && v->num > -1e15 && v->num == (double)(long long)v->num)
			snprintf(num, sizeof num, "%lld", (long long)v->num);
		else
			snprintf(num, sizeof num, "%.17g", v->num);
		xmlNewChild(c, c->ns, (const xmlChar *)"v", (const xmlChar *)num);
		break;
	case WB_TEXT:
		xmlSetProp(c, (const xmlChar *)"t", (const xmlChar *)"inlineStr");
		is = xmlNewChild(c, c->ns, (const xmlChar *)"is", NULL);
		text = xml_text(v->text != NULL ? v->text : "");
		t = xmlNewTextChild(is, c->ns, (const xmlChar *)"t", (const xmlChar *)text);
		xmlNodeSetSpacePreserve(t, 1);
		free(text);
		break;
	case WB_EMPTY:
		break;
	}
}

/* A formula cell loses its cached result, so Excel and LibreOffice work it out again. */
static void
drop_result(xmlNode *c)
{
	xmlNode *k, *next;

	for (k = c->children; k != NULL; k = next) {
		next = k->next;
		if (wb_is(k, "v")) {
			xmlUnlinkNode(k);
			xmlFreeNode(k);
		}
	}
	xmlUnsetProp(c, (const xmlChar *)"t");
}

/* The placeholder at (sheet, r, c), or -1. */
static int
place_at(const struct workbook *w, int sheet, int r, int c)
{
	size_t i;

	for (i = 0; i < w->nplaces; i++)
		if (w->places[i].sheet == sheet && w->places[i].r == r && w->places[i].c == c)
			return (int)i;
	return -1;
}

/* Fills a sheet's placeholders from v (all but the ledger's repeated row when skip_row >= 0). */
void
wb_fill_sheet(const struct workbook *w, int si, xmlDoc *doc, const struct wbvalue *v, int skip_row)
{
	xmlNode *sd = wb_child(xmlDocGetRootElement(doc), "sheetData"), *row, *c;
	char *ref;
	int r, col, k;

	for (row = sd != NULL ? sd->children : NULL; row != NULL; row = row->next)
		for (c = wb_is(row, "row") ? row->children : NULL; c != NULL; c = c->next) {
			if (!wb_is(c, "c") || (ref = wb_attr(c, "r")) == NULL)
				continue;
			k = wb_cell_ref(ref, &r, &col) == 0 ? place_at(w, si, r, col) : -1;
			free(ref);
			if (k >= 0 && r != skip_row)
				set_cell(c, &v[k]);
			else if (wb_child(c, "f") != NULL)
				drop_result(c);
		}
}

/*
 * Asks for a full recalculation when the workbook opens (calcPr fullCalcOnLoad), so formulas on
 * sheets the fill did not touch see the filled values too. calcPr has its place in the
 * workbook's sequence: after definedNames, or sheets.
 */
void
wb_recalc_on_load(xmlDoc *doc)
{
	xmlNode *root = xmlDocGetRootElement(doc), *calc = wb_child(root, "calcPr"), *after;

	if (calc == NULL) {
		calc = xmlNewNode(root->ns, (const xmlChar *)"calcPr");
		if ((after = wb_child(root, "definedNames")) == NULL &&
		    (after = wb_child(root, "externalReferences")) == NULL)
			after = wb_child(root, "sheets");
		if (after != NULL)
			xmlAddNextSibling(after, calc);
		else
			xmlAddChild(root, calc);
	}
	xmlSetProp(calc, (const xmlChar *)"fullCalcOnLoad", (const xmlChar *)"1");
}

char *
wb_dump(xmlDoc *doc, size_t *len)
{
	xmlChar *mem = NULL;
	int n = 0;
	char *s;

	xmlDocDumpMemoryEnc(doc, &mem, &n, "UTF-8");
	s = xmalloc((size_t)n + 1);
	memcpy(s, mem, (size_t)n);
	s[n] = '\0';
	xmlFree(mem);
	*len = (size_t)n;
	return s;
}

static int
zfail(const char *what, const char *path, char **cause)
{
	*cause = xasprintf("cannot write the workbook %s: %s", path, what);
	return -1;
}

/* Copies the rows waiting in fd into the open zip entry. */
static int
copy_rows(zipFile zf, int fd)
{
	char chunk[65536];
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) == -1)
		return -1;
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || zipWriteInFileInZip(zf, chunk, (unsigned)n) != ZIP_OK)
			return -1;
	}
	return 0;
}

/* Whether rp[n] already writes part anew. */
static int
edited(const struct repl *rp, size_t n, const char *part)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rp[i].part, part) == 0)
			return 1;
	return 0;
}

/* Writes the zip: each part in the template's order, anew when rp has it, else copied raw. */
static int
zip_write(const struct workbook *w, const char *path, const struct repl *rp, size_t nrp,
          char **cause)
{
	zipFile zf = zipOpen64(path, APPEND_STATUS_CREATE);
	const struct repl *r;
	size_t i, k;
	int ok = 1;

	if (zf == NULL)
		return zfail(strerror(errno), path, cause);
	for (i = 0; i < w->nparts && ok; i++) {
		const struct wbpart *p = &w->parts[i];
		zip_fileinfo zi;

		memset(&zi, 0, sizeof zi);
		zi.dosDate = p->dos_date;
		zi.internal_fa = p->internal_fa;
		zi.external_fa = p->external_fa;
		for (r = NULL, k = 0; k < nrp; k++)
			if (strcmp(rp[k].part, p->name) == 0)
				r = &rp[k];
		if (r != NULL)
			ok =
			    zipOpenNewFileInZip64(zf, p->name, &zi, NULL, 0, NULL, 0, NULL,
			                          Z_DEFLATED, Z_DEFAULT_COMPRESSION, 0) == ZIP_OK &&
			    zipWriteInFileInZip(zf, r->pre, (unsigned)r->prelen) == ZIP_OK &&
			    (r->fd < 0 || copy_rows(zf, r->fd) == 0) &&
			    (r->post == NULL ||
			     zipWriteInFileInZip(zf, r->post, (unsigned)r->postlen) == ZIP_OK) &&
			    zipCloseFileInZip(zf) == ZIP_OK;
		else
			ok = zipOpenNewFileInZip2_64(zf, p->name, &zi, NULL, 0, NULL, 0, NULL,
			                             p->method, p->level, 1, 0) == ZIP_OK &&
			     zipWriteInFileInZip(zf, p->raw, (unsigned)p->csize) == ZIP_OK &&
			     zipCloseFileInZipRaw64(zf, p->usize, p->crc) == ZIP_OK;
	}
	if (zipClose(zf, NULL) != ZIP_OK || !ok)
		return zfail("a write failed (is the scratch folder full?)", path, cause);
	return xlsx_check_copy(path, cause);
}

/* zip_write(), then frees the n texts of the parts written anew and both arrays. */
static int
write_parts(const struct workbook *w, const char *path, struct repl *rp, char **texts, size_t n,
            char **cause)
{
	int rc = zip_write(w, path, rp, n, cause);
	size_t i;

	for (i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(rp);
	return rc;
}

int
workbook_fill(const struct workbook *w, const struct wbvalue *v, const char *path, char **cause)
{
	struct repl *rp = xcalloc(w->nsheets + 1, sizeof *rp);
	char **texts = xcalloc(w->nsheets + 1, sizeof *texts);
	xmlDoc *doc;
	size_t i, n = 0, len;

	for (i = 0; i < w->nsheets; i++) {
		if (w->sheets[i].doc == NULL)
			continue;
		doc = xmlCopyDoc(w->sheets[i].doc, 1);
		wb_fill_sheet(w, (int)i, doc, v, -1);
		texts[n] = wb_dump(doc, &len);
		xmlFreeDoc(doc);
		rp[n] = (struct repl){w->sheets[i].part, texts[n], len, -1, NULL, 0};
		n++;
	}
	/* A form's workbook.xml is the same for every claim: made once, when the template loaded.
	 */
	rp[n] = (struct repl){w->main, w->main_recalc, w->main_recalc_len, -1, NULL, 0};
	return write_parts(w, path, rp, texts, n + 1, cause);
}

char *
wb_recalc_main(const struct workbook *w, size_t *len)
{
	xmlDoc *main = xmlCopyDoc(w->main_doc, 1);
	char *text;

	wb_recalc_on_load(main);
	text = wb_dump(main, len);
	xmlFreeDoc(main);
	return text;
}

/*
 * Moving references when the repeated row (row at, 1-based, on sheet ledger) becomes n rows:
 * rows below it move down by by = n - 1, and a range that ends on it grows to end on its last
 * copy. In copy number copy (0 for the first) of the row itself, relative references move down
 * with it as Excel's fill-down moves them; copy is -1 elsewhere.
 */
struct shift {
	const char *ledger; /* the sheet whose rows move */
	const char *cur;    /* the sheet the formula is on; NULL in a defined name */
	int at, by, copy;
};

static int
moved_row(const struct shift *s, int row, int absolute, int end, int start)
{
	int down = row > s->at ? s->by : 0;

	if (s->copy >= 0)
		return row + down + (absolute ? 0 : s->copy);
	if (end && row == s->at && start <= s->at)
		return row + s->by;
	return row + down;
}

/* Reads "$A$1"-style: letters (with an optional $) then digits (with an optional $). */
static int
parse_ref(const char *p, size_t len, int *col_abs, size_t *ncol, int *row_abs, int *row)
{
	size_t i = 0, k;
	long r = 0;

	*col_abs = *row_abs = 0;
	if (i < len && p[i] == '$')
		*col_abs = 1, i++;
	for (k = i; i < len && ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z'));)
		i++;
	*ncol = i - k;
	if (*ncol > 3)
		return -1;
	if (i < len && p[i] == '$')
		*row_abs = 1, i++;
	for (k = i; i < len && p[i] >= '0' && p[i] <= '9' && r <= 1048576; i++)
		r = r * 10 + (p[i] - '0');
	if (i != len || i == k || r == 0 || r > 1048576)
		return -1;
	*row = (int)r;
	return 0;
}

static int
token_char(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.' || ch == '$' || ch == '\\' || ch >= 0x80;
}

/* Writes a cell reference token with its row moved; start_row is the range's start, or 0. */
static void
put_ref(struct buf *b, const char *p, size_t len, const struct shift *s, int applies, int end,
        int start_row)
{
	int ca, ra, row;
	size_t nc;
	char num[16];

	if (!applies || parse_ref(p, len, &ca, &nc, &ra, &row) == -1) {
		buf_add(b, p, len);
		return;
	}
	row = moved_row(s, row, ra, end, start_row);
	buf_add(b, p, (size_t)(ca + (int)nc + ra));
	snprintf(num, sizeof num, "%d", row);
	buf_add(b, num, strlen(num));
}

static size_t
token_len(const char *p)
{
	size_t n = 0;

	while (p[n] != '\0' && token_char((unsigned char)p[n]))
		n++;
	return n;
}

/* The row of a token that is a cell reference ($A$1) or a whole row ($5 or 5), else 0. */
static int
token_row(const char *p, size_t len, int whole_row)
{
	int ca, ra, row;
	size_t nc;

	if (parse_ref(p, len, &ca, &nc, &ra, &row) == -1 || (whole_row ? nc != 0 || ca : nc == 0))
		return 0;
	return row;
}

/* A formula (or a defined name's text) with its references moved as s says. */
static char *
shift_formula(const char *f, const struct shift *s)
{
	struct buf b = {0};
	const char *p = f, *sheet = NULL;
	char *quoted = NULL;
	size_t n, m;
	int applies, start, whole;

	while (*p != '\0') {
		if (*p == '"' || *p == '[') {
			char close = *p == '"' ? '"' : ']';
			const char *q = p + 1;

			while (*q != '\0' && !(*q == close && !(close == '"' && q[1] == '"')))
				q += *q == '"' && q[1] == '"' ? 2 : 1;
			if (*q != '\0')
				q++;
			buf_add(&b, p, (size_t)(q - p));
			p = q;
			sheet = NULL;
			continue;
		}
		if (*p == '\'') {
			struct buf nm = {0};
			const char *q = p + 1;

			for (; *q != '\0'; q++) {
				if (*q == '\'' && q[1] == '\'')
					buf_add(&nm, q++, 1);
				else if (*q == '\'')
					break;
				else
					buf_add(&nm, q, 1);
			}
			if (*q == '\'')
				q++;
			buf_add(&b, p, (size_t)(q - p));
			p = q;
			free(quoted);
			quoted = nm.p;
			sheet = *p == '!' ? (quoted != NULL ? quoted : "") : NULL;
			if (*p == '!')
				buf_add(&b, p++, 1);
			continue;
		}
		if (!token_char((unsigned char)*p)) {
			buf_add(&b, p++, 1);
			sheet = NULL;
			continue;
		}
		n = token_len(p);
		if (p[n] == '!') {
			free(quoted);
			quoted = xstrndup(p, n);
			sheet = quoted;
			buf_add(&b, p, n + 1);
			p += n + 1;
			continue;
		}
		applies = (sheet != NULL ? sheet : s->cur) != NULL &&
		          strcmp(sheet != NULL ? sheet : s->cur, s->ledger) == 0;
		sheet = NULL;
		if (p[n] == '(') {
			buf_add(&b, p, n);
			p += n;
			continue;
		}
		/* A range: A1:B5, or rows 5:9; its end may grow. */
		whole = token_row(p, n, 1) != 0;
		start = whole ? token_row(p, n, 1) : token_row(p, n, 0);
		m = p[n] == ':' ? token_len(p + n + 1) : 0;
		if (start != 0 && m > 0 && token_row(p + n + 1, m, whole) != 0) {
			put_ref(&b, p, n, s, applies, 0, 0);
			buf_add(&b, ":", 1);
			put_ref(&b, p + n + 1, m, s, applies, 1, start);
			p += n + 1 + m;
			continue;
		}
		if (!whole)
			put_ref(&b, p, n, s, applies, 0, 0);
		else
			buf_add(&b, p, n);
		p += n;
	}
	free(quoted);
	if (b.p == NULL)
		buf_add(&b, "", 0);
	return b.p;
}

/* A list of ranges ("A1:B2 C5"), as merged ranges and conditional formats give them, moved. */
static char *
shift_refs(const char *list, const struct shift *s, int grow)
{
	struct buf b = {0};
	struct wbrange g;
	char *copy = xstrdup(list), *tok, *save = NULL, c1[8], c2[8], one[48];
	struct shift t = *s;

	t.copy = -1;
	for (tok = strtok_r(copy, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		if (b.len > 0)
			buf_add(&b, " ", 1);
		if (wb_range(tok, &g) == -1) {
			buf_add(&b, tok, strlen(tok));
			continue;
		}
		g.r1 = moved_row(&t, g.r1 + 1, 0, 0, 0) - 1;
		g.r2 = grow ? moved_row(&t, g.r2 + 1, 0, 1, g.r1 + 1) - 1
		            : moved_row(&t, g.r2 + 1, 0, 0, 0) - 1;
		if (s->copy >= 0)
			g.r1 += s->copy, g.r2 += s->copy;
		col_name(g.c1, c1);
		col_name(g.c2, c2);
		if (g.r1 == g.r2 && g.c1 == g.c2)
			snprintf(one, sizeof one, "%s%d", c1, g.r1 + 1);
		else
			snprintf(one, sizeof one, "%s%d:%s%d", c1, g.r1 + 1, c2, g.r2 + 1);
		buf_add(&b, one, strlen(one));
	}
	free(copy);
	if (b.p == NULL)
		buf_add(&b, "", 0);
	return b.p;
}

static void
shift_attr(xmlNode *n, const char *name, const struct shift *s, int grow)
{
	char *v = wb_attr(n, name), *moved;

	if (v == NULL)
		return;
	moved = shift_refs(v, s, grow);
	xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)moved);
	free(moved);
	free(v);
}

/* Shifts the formula that is n's text; returns whether it changed. */
static int
shift_text(xmlNode *n, const struct shift *s)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *moved;
	int changed;

	if (v == NULL)
		return 0;
	moved = shift_formula((const char *)v, s);
	if ((changed = strcmp(moved, (const char *)v) != 0)) {
		xmlNodeSetContent(n, NULL);
		xmlNodeAddContent(n, (const xmlChar *)moved);
	}
	free(moved);
	xmlFree(v);
	return changed;
}

/*
 * Every formula under n (<f> in a sheet, <c:f> in a chart, <xm:f> in Excel 2010's extensions)
 * and, when sqref, every <xm:sqref> range list, moved. Returns whether anything changed.
 */
static int
shift_all(xmlNode *n, const struct shift *s, int sqref)
{
	xmlChar *v;
	char *moved;
	int changed = 0;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (wb_is(n, "f"))
			changed |= shift_text(n, s);
		else if (sqref && wb_is(n, "sqref") && (v = xmlNodeGetContent(n)) != NULL) {
			moved = shift_refs((const char *)v, s, 1);
			changed |= strcmp(moved, (const char *)v) != 0;
			xmlNodeSetContent(n, NULL);
			xmlNodeAddContent(n, (const xmlChar *)moved);
			free(moved);
			xmlFree(v);
		} else
			changed |= shift_all(n->children, s, sqref);
	}
	return changed;
}

/* Moves a row's number and its cells' references; shifts the formulas in it. */
static void
move_row(xmlNode *row, int to, const struct shift *s)
{
	xmlNode *c, *f;
	char num[16], ref[24], col[8], *old;
	int r, k;

	snprintf(num, sizeof num, "%d", to);
	xmlSetProp(row, (const xmlChar *)"r", (const xmlChar *)num);
	for (c = row->children; c != NULL; c = c->next) {
		if (!wb_is(c, "c"))
			continue;
		if ((old = wb_attr(c, "r")) != NULL && wb_cell_ref(old, &r, &k) == 0) {
			col_name(k, col);
			snprintf(ref, sizeof ref, "%s%d", col, to);
			xmlSetProp(c, (const xmlChar *)"r", (const xmlChar *)ref);
		}
		free(old);
		if ((f = wb_child(c, "f")) != NULL) {
			shift_text(f, s);
			shift_attr(f, "ref", s, 0);
		}
	}
}

struct wbledger {
	const struct workbook *w;
	xmlDoc **docs; /* per sheet with placeholders: its copy, fixed values filled */
	xmlNode *row;  /* the repeated row, in docs[lsheet] */
	int fd;        /* the rows written so far, unlinked */
	unsigned long n;
};

struct wbledger *
wbledger_open(const struct workbook *w, const struct wbvalue *fixed, const char *tmpdir,
              char **cause)
{
	struct wbledger *l;
	xmlNode *sd, *row;
	char rr[16], *s;
	size_t i;
	int fd;

	if ((fd = spool_scratch(tmpdir, cause)) == -1)
		return NULL;
	l = xcalloc(1, sizeof *l);
	l->w = w;
	l->fd = fd;
	l->docs = xcalloc(w->nsheets + 1, sizeof *l->docs);
	for (i = 0; i < w->nsheets; i++)
		if (w->sheets[i].doc != NULL) {
			l->docs[i] = xmlCopyDoc(w->sheets[i].doc, 1);
			wb_fill_sheet(w, (int)i, l->docs[i], fixed,
			              (int)i == w->lsheet ? w->lrow : -1);
		}
	snprintf(rr, sizeof rr, "%d", w->lrow + 1);
	sd = wb_child(xmlDocGetRootElement(l->docs[w->lsheet]), "sheetData");
	for (row = sd->children; row != NULL && l->row == NULL; row = row->next)
		if (wb_is(row, "row") && (s = wb_attr(row, "r")) != NULL) {
			if (strcmp(s, rr) == 0)
				l->row = row;
			free(s);
		}
	return l;
}

int
wbledger_add(struct wbledger *l, const struct wbvalue *v, char **cause)
{
	const struct workbook *w = l->w;
	struct shift s = {w->sheets[w->lsheet].name, w->sheets[w->lsheet].name, w->lrow + 1, 0,
	                  (int)l->n};
	xmlDoc *doc = l->docs[w->lsheet];
	xmlNode *row = NULL, *c;
	xmlBuffer *xb = xmlBufferCreate();
	char *ref;
	int r, col, k, rc;

	/*
	 * Cloned as if under the row's parent, so the copy uses the sheet's namespace declarations
	 * rather than repeating them on itself.
	 */
	if (xmlDOMWrapCloneNode(NULL, doc, l->row, &row, doc, l->row->parent, 1, 0) != 0 ||
	    row == NULL) {
		xmlBufferFree(xb);
		*cause = xstrdup("cannot copy the ledger's repeated row (out of memory)");
		return -1;
	}
	/* Rows below are not moved yet (that waits for the count), so only the copy's own. */
	move_row(row, w->lrow + 1 + (int)l->n, &s);
	for (c = row->children; c != NULL; c = c->next) {
		if (!wb_is(c, "c") || (ref = wb_attr(c, "r")) == NULL)
			continue;
		k = wb_cell_ref(ref, &r, &col) == 0 ? place_at(w, w->lsheet, w->lrow, col) : -1;
		free(ref);
		if (k >= 0)
			set_cell(c, &v[k]);
		else if (wb_child(c, "f") != NULL)
			drop_result(c);
	}
	xmlNodeDump(xb, doc, row, 0, 0);
	xmlFreeNode(row);
	rc = write_all(l->fd, (const char *)xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
	xmlBufferFree(xb);
	if (rc == -1) {
		*cause = xasprintf("cannot write the ledger's rows to the scratch folder: %s",
		                   strerror(errno));
		return -1;
	}
	l->n++;
	return 0;
}

/* Merged ranges: those below move; those inside the repeated row are repeated with it. */
static void
move_merges(xmlNode *root, const struct shift *s, unsigned long n)
{
	xmlNode *mc = wb_child(root, "mergeCells"), *m, *next, *copy;
	struct shift t = *s;
	struct wbrange g;
	unsigned long i;
	char *ref, num[16];
	size_t count = 0;

	for (m = mc != NULL ? mc->children : NULL; m != NULL; m = next) {
		next = m->next;
		if (!wb_is(m, "mergeCell") || (ref = wb_attr(m, "ref")) == NULL)
			continue;
		if (wb_range(ref, &g) == 0 && g.r1 == s->at - 1 && g.r2 == s->at - 1)
			for (i = 1; i < n; i++) {
				copy = xmlCopyNode(m, 1);
				t.copy = (int)i;
				shift_attr(copy, "ref", &t, 0);
				xmlAddNextSibling(m, copy);
				count++;
			}
		else
			shift_attr(m, "ref", s, 0);
		free(ref);
		count++;
	}
	if (mc != NULL) {
		snprintf(num, sizeof num, "%zu", count);
		xmlSetProp(mc, (const xmlChar *)"count", (const xmlChar *)num);
	}
}

/* Everything of the ledger sheet that names rows, moved for n copies of the repeated row. */
static void
move_below(xmlNode *root, xmlNode *lrow, const struct shift *s, unsigned long n)
{
	xmlNode *sd = wb_child(root, "sheetData"), *row, *k, *e;
	char *v;
	int r;

	for (row = sd->children; row != NULL; row = row->next) {
		if (!wb_is(row, "row") || row == lrow || (v = wb_attr(row, "r")) == NULL)
			continue;
		r = atoi(v);
		free(v);
		move_row(row, r > s->at ? r + s->by : r, s);
	}
	move_merges(root, s, n);
	for (k = root->children; k != NULL; k = k->next) {
		if (wb_is(k, "dimension"))
			shift_attr(k, "ref", s, 1);
		else if (wb_is(k, "autoFilter"))
			shift_attr(k, "ref", s, 0);
		else if (wb_is(k, "conditionalFormatting") || wb_is(k, "dataValidations")) {
			shift_attr(k, "sqref", s, 1);
			for (e = k->children; e != NULL; e = e->next) {
				xmlNode *f;

				shift_attr(e, "sqref", s, 1);
				for (f = e->children; f != NULL; f = f->next)
					if (wb_is(f, "formula") || wb_is(f, "formula1") ||
					    wb_is(f, "formula2"))
						shift_text(f, s);
			}
		} else if (wb_is(k, "extLst")) {
			/* Excel 2010's conditional formats and validations (data bars, icons). */
			shift_all(k->children, s, 1);
		} else if (wb_is(k, "hyperlinks")) {
			for (e = k->children; e != NULL; e = e->next)
				shift_attr(e, "ref", s, 0);
		} else if (wb_is(k, "rowBreaks")) {
			for (e = k->children; e != NULL; e = e->next)
				if (wb_is(e, "brk") && (v = wb_attr(e, "id")) != NULL) {
					char num[16];

					r = atoi(v);
					free(v);
					snprintf(num, sizeof num, "%d", r >= s->at ? r + s->by : r);
					xmlSetProp(e, (const xmlChar *)"id", (const xmlChar *)num);
				}
		}
	}
}

/* The print area and other defined names that point at the ledger sheet's rows. */
static void
move_names(xmlDoc *main, const struct shift *s)
{
	xmlNode *dn = wb_child(xmlDocGetRootElement(main), "definedNames"), *n;

	for (n = dn != NULL ? dn->children : NULL; n != NULL; n = n->next)
		if (wb_is(n, "definedName"))
			shift_text(n, s);
}

/* Shapes and pictures anchored below the repeated row move down with it (rows are 0-based). */
static char *
move_drawing(const struct workbook *w, const struct shift *s, size_t *len)
{
	struct wbpart *p = w->drawing != NULL ? wb_part(w, w->drawing) : NULL;
	xmlDoc *doc;
	xmlNode *a, *pos, *row;
	char *text = NULL, num[16];
	xmlChar *v;
	int moved = 0;

	if (p == NULL || p->xml == NULL || (doc = wb_parse(p)) == NULL)
		return NULL;
	for (a = xmlDocGetRootElement(doc)->children; a != NULL; a = a->next)
		for (pos = a->type == XML_ELEMENT_NODE ? a->children : NULL; pos != NULL;
		     pos = pos->next)
			if ((wb_is(pos, "from") || wb_is(pos, "to")) &&
			    (row = wb_child(pos, "row")) != NULL &&
			    (v = xmlNodeGetContent(row)) != NULL) {
				int r = atoi((const char *)v);

				xmlFree(v);
				if (r >= s->at && s->by > 0) {
					snprintf(num, sizeof num, "%d", r + s->by);
					xmlNodeSetContent(row, (const xmlChar *)num);
					moved = 1;
				}
			}
	/* A drawing nothing in moved stays the template's bytes. */
	if (moved)
		text = wb_dump(doc, len);
	xmlFreeDoc(doc);
	return text;
}

/*
 * Excel's calculation chain (calcChain.xml, which LibreOffice does not write) lists formula
 * cells by place; one left naming a moved cell makes Excel repair the workbook. Its cells of the
 * ledger sheet below the repeated row move as the sheet's did. A cell's i (the sheet) may be left
 * out, meaning the one before's.
 */
static char *
move_calc_chain(const struct workbook *w, const struct shift *s, size_t *len)
{
	struct wbpart *p = w->calc_chain != NULL ? wb_part(w, w->calc_chain) : NULL;
	const char *id = w->sheets[w->lsheet].id;
	xmlDoc *doc;
	xmlNode *c;
	char *sheet = NULL, *v, *text = NULL;
	int moved = 0;

	if (p == NULL || p->xml == NULL || id == NULL || (doc = wb_parse(p)) == NULL)
		return NULL;
	for (c = xmlDocGetRootElement(doc)->children; c != NULL; c = c->next) {
		if (!wb_is(c, "c"))
			continue;
		if ((v = wb_attr(c, "i")) != NULL) {
			free(sheet);
			sheet = v;
		}
		if (sheet != NULL && strcmp(sheet, id) == 0 && s->by > 0) {
			shift_attr(c, "r", s, 0);
			moved = 1;
		}
	}
	free(sheet);
	if (moved)
		text = wb_dump(doc, len);
	xmlFreeDoc(doc);
	return text;
}

/*
 * A part other than the ledger sheet whose formulas may point at its rows: another sheet (a
 * summary of the ledger), a chart over its amounts, a table on it. Returns its text moved, or
 * NULL when nothing in it moved (it stays the template's bytes).
 */
static char *
move_part(const struct workbook *w, const struct wbpart *p, const struct shift *s, size_t *len)
{
	struct shift t = *s;
	xmlDoc *doc;
	xmlNode *root, *af;
	char *text = NULL, *before, *after;
	size_t i;
	int changed;

	t.cur = NULL;
	for (i = 0; i < w->nsheets; i++)
		if (strcmp(w->sheets[i].part, p->name) == 0)
			t.cur = w->sheets[i].name;
	if ((doc = wb_parse(p)) == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	changed = shift_all(root->children, &t, 0);
	if (wb_is(root, "table") && (before = wb_attr(root, "ref")) != NULL) {
		/* A table on the ledger sheet (never over the repeated row: load refuses that). */
		t.cur = s->ledger;
		shift_attr(root, "ref", &t, 0);
		if ((af = wb_child(root, "autoFilter")) != NULL)
			shift_attr(af, "ref", &t, 0);
		after = wb_attr(root, "ref");
		changed |= strcmp(after, before) != 0;
		free(after);
		free(before);
	}
	if (changed)
		text = wb_dump(doc, len);
	xmlFreeDoc(doc);
	return text;
}

/* Whether part may point at the ledger sheet's rows: a table on it, or a sheet or chart naming it.
 */
static int
may_point_at(const struct workbook *w, const struct wbpart *p)
{
	size_t i;

	if (p->xml == NULL || strcmp(p->name, w->sheets[w->lsheet].part) == 0)
		return 0;
	for (i = 0; i < w->ntables; i++)
		if (strcmp(w->tables[i], p->name) == 0)
			return 1;
	return strstr(p->xml, w->sheets[w->lsheet].name) != NULL &&
	       (strncmp(p->name, "xl/worksheets/", 14) == 0 ||
	        strncmp(p->name, "xl/charts/", 10) == 0);
}

int
wbledger_write(struct wbledger *l, const char *path, char **cause)
{
	const struct workbook *w = l->w;
	struct shift s = {w->sheets[w->lsheet].name, w->sheets[w->lsheet].name, w->lrow + 1,
	                  l->n > 0 ? (int)l->n - 1 : 0, -1};
	struct repl *rp = xcalloc(w->nsheets + w->nparts + 4, sizeof *rp);
	char **texts = xcalloc(w->nsheets + w->nparts + 4, sizeof *texts), *mark;
	xmlDoc *main = xmlCopyDoc(w->main_doc, 1);
	xmlNode *pi;
	size_t i, n = 0, len;

	move_below(xmlDocGetRootElement(l->docs[w->lsheet]), l->row, &s, l->n);
	pi = xmlNewDocPI(l->docs[w->lsheet], (const xmlChar *)"formagent-rows", NULL);
	xmlReplaceNode(l->row, pi);
	xmlFreeNode(l->row);
	l->row = pi;
	for (i = 0; i < w->nsheets; i++) {
		if (l->docs[i] == NULL)
			continue;
		if ((int)i != w->lsheet) {
			/* Another sheet with placeholders may sum the ledger's rows too. */
			struct shift t = s;

			t.cur = w->sheets[i].name;
			shift_all(xmlDocGetRootElement(l->docs[i])->children, &t, 0);
		}
		texts[n] = wb_dump(l->docs[i], &len);
		rp[n] = (struct repl){w->sheets[i].part, texts[n], len, -1, NULL, 0};
		if ((int)i == w->lsheet && (mark = strstr(texts[n], ROWS_MARK)) != NULL) {
			rp[n].prelen = (size_t)(mark - texts[n]);
			rp[n].fd = l->fd;
			rp[n].post = mark + strlen(ROWS_MARK);
			rp[n].postlen = len - rp[n].prelen - strlen(ROWS_MARK);
		}
		n++;
	}
	s.cur = NULL;
	move_names(main, &s);
	wb_recalc_on_load(main);
	texts[n] = wb_dump(main, &len);
	rp[n] = (struct repl){w->main, texts[n], len, -1, NULL, 0};
	n++;
	if ((texts[n] = move_drawing(w, &s, &len)) != NULL) {
		rp[n] = (struct repl){w->drawing, texts[n], len, -1, NULL, 0};
		n++;
	}
	if ((texts[n] = move_calc_chain(w, &s, &len)) != NULL) {
		rp[n] = (struct repl){w->calc_chain, texts[n], len, -1, NULL, 0};
		n++;
	}
	for (i = 0; i < w->nparts && s.by > 0; i++)
		if (may_point_at(w, &w->parts[i]) && !edited(rp, n, w->parts[i].name) &&
		    (texts[n] = move_part(w, &w->parts[i], &s, &len)) != NULL) {
			rp[n] = (struct repl){w->parts[i].name, texts[n], len, -1, NULL, 0};
			n++;
		}
	xmlFreeDoc(main);
	return write_parts(w, path, rp, texts, n, cause);
}

void
wbledger_free(struct wbledger *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->w->nsheets; i++)
		xmlFreeDoc(l->docs[i]);
	free(l->docs);
	close(l->fd);
	free(l);
}
