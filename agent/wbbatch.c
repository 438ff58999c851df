/*
 * The print output's batch for an office's own workbooks (workbook.h): the form's sheets once
 * per claim, each filled, then the sheets of the filled ledger workbook, in one workbook that
 * LibreOffice converts once. The form's workbook is the base: its untouched parts are copied
 * raw, its sheets are written once per claim (each copy keeps the sheet's relationships, so the
 * logo's drawing and image are shared), and its print areas are repeated for every copy. The
 * ledger's sheets come over with the parts they point at (drawings, images) under names of their
 * own, and with their styles and shared strings appended to the base's: every style index and
 * string index in their cells is moved by as much.
 */
#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <minizip/unzip.h>
#include <minizip/zip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "spool.h"
#include "utf8.h"
#include "wbpriv.h"
#include "xlsxcheck.h"
#include "xmalloc.h"

#define NS_REL   "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define T_SHEET  NS_REL "/worksheet"
#define T_SST    NS_REL "/sharedStrings"
#define CT_SHEET "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
#define CT_SST   "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
/* A ledger's parts come over under their names with this in front of the file's name. */
#define LEDGER_PREFIX "ledger-"
/* The filled ledger is formagent's own file, but still read under a bound. */
#define MAX_LEDGER (256 << 20)

struct span {
	off_t off;
	size_t len; /* 0: the sheet has no placeholder, and is the template's text */
};

struct wbbatch {
	const struct workbook *w;
	int fd; /* the filled form sheets' texts, one after another, unlinked */
	off_t end;
	struct span *spans; /* per claim, per sheet of the form */
	size_t n;           /* claims */
};

struct wbbatch *
wbbatch_open(const struct workbook *w, const char *tmpdir, char **cause)
{
	struct wbbatch *b;
	int fd;

	if ((fd = spool_scratch(tmpdir, cause)) == -1)
		return NULL;
	b = xcalloc(1, sizeof *b);
	b->w = w;
	b->fd = fd;
	return b;
}

int
wbbatch_form(struct wbbatch *b, const struct wbvalue *v, char **cause)
{
	const struct workbook *w = b->w;
	struct span *sp;
	xmlDoc *doc;
	char *text;
	size_t i, len;
	int rc = 0;

	b->spans = xreallocarray(b->spans, (b->n + 1) * w->nsheets + 1, sizeof *b->spans);
	sp = &b->spans[b->n * w->nsheets];
	for (i = 0; i < w->nsheets && rc == 0; i++) {
		sp[i] = (struct span){0, 0};
		if (w->sheets[i].doc == NULL)
			continue;
		doc = xmlCopyDoc(w->sheets[i].doc, 1);
		wb_fill_sheet(w, (int)i, doc, v, -1);
		text = wb_dump(doc, &len);
		xmlFreeDoc(doc);
		if (lseek(b->fd, b->end, SEEK_SET) == -1 || write_all(b->fd, text, len) == -1) {
			*cause = xasprintf("cannot keep a form for the print workbook: %s",
			                   strerror(errno));
			rc = -1;
		}
		sp[i] = (struct span){b->end, len};
		b->end += (off_t)len;
		free(text);
	}
	if (rc == 0)
		b->n++;
	return rc;
}

void
wbbatch_free(struct wbbatch *b)
{
	if (b == NULL)
		return;
	close(b->fd);
	free(b->spans);
	free(b);
}

/* ---- the parts: the form's workbook, the filled ledger, and the batch being made ---- */

struct zent {
	char *name, *data;
	size_t len;
};

/* Every entry of the xlsx at path, inflated. 0, or -1 with *cause. */
static int
read_all(const char *path, struct zent **out, size_t *n, char **cause)
{
	unzFile zf = unzOpen64(path);
	unz_file_info64 fi;
	char name[1024];
	size_t total = 0, cap = 0;
	int rc, got;

	*out = NULL;
	*n = 0;
	if (zf == NULL) {
		*cause = xasprintf("cannot read the ledger %s", path);
		return -1;
	}
	for (rc = unzGoToFirstFile(zf); rc == UNZ_OK; rc = unzGoToNextFile(zf)) {
		struct zent *e;

		if (unzGetCurrentFileInfo64(zf, &fi, name, sizeof name, NULL, 0, NULL, 0) !=
		        UNZ_OK ||
		    (total += fi.uncompressed_size) > MAX_LEDGER ||
		    unzOpenCurrentFile(zf) != UNZ_OK)
			break;
		xgrow(out, &cap, *n, sizeof **out);
		e = &(*out)[(*n)++];
		e->name = xstrdup(name);
		e->data = xmalloc(fi.uncompressed_size + 1);
		e->len = 0;
		while (e->len < fi.uncompressed_size &&
		       (got = unzReadCurrentFile(zf, e->data + e->len,
		                                 (unsigned)(fi.uncompressed_size - e->len))) > 0)
			e->len += (size_t)got;
		e->data[e->len] = '\0';
		unzCloseCurrentFile(zf);
		if (e->len != fi.uncompressed_size)
			break;
	}
	unzClose(zf);
	if (rc != UNZ_END_OF_LIST_OF_FILE) {
		*cause = xasprintf("cannot read the ledger %s back", path);
		return -1;
	}
	return 0;
}

static void
zents_free(struct zent *z, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(z[i].name);
		free(z[i].data);
	}
	free(z);
}

static const struct zent *
zfind(const struct zent *z, size_t n, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < n; i++)
		if (strcmp(z[i].name, name) == 0)
			return &z[i];
	return NULL;
}

static xmlDoc *
parse(const char *text, size_t len, const char *name)
{
	xmlDoc *doc;

	if (text == NULL || !utf8_valid(text, len, NULL))
		return NULL;
	doc = xmlReadMemory(text, (int)len, name, "UTF-8",
	                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc != NULL && xmlDocGetRootElement(doc) == NULL) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	return doc;
}

/* A new part of the batch: a text (taken), or a part of the form's workbook copied raw. */
struct opart {
	char *name;
	char *text;
	size_t len;
	const struct wbpart *raw;
};

struct ctx {
	const struct workbook *w;
	struct zent *l; /* the filled ledger's entries, or NULL */
	size_t nl;
	struct opart *out;
	size_t nout, capout;
	xmlDoc *ct;     /* the batch's [Content_Types].xml */
	xmlDoc *lct;    /* the ledger's */
	char **brought; /* the ledger's parts already copied */
	size_t nbrought, capbrought;
	char *cause;
	int io; /* the cause is a read or write that failed (else what the workbooks hold) */
};

static void
add_text(struct ctx *x, const char *name, char *text, size_t len)
{
	xgrow(&x->out, &x->capout, x->nout, sizeof *x->out);
	x->out[x->nout++] = (struct opart){xstrdup(name), text, len, NULL};
}

static void
add_doc(struct ctx *x, const char *name, xmlDoc *doc)
{
	size_t len;
	char *text = wb_dump(doc, &len);

	add_text(x, name, text, len);
}

static int
int_attr(const xmlNode *n, const char *name, long *v)
{
	char *s = wb_attr(n, name), *end;
	int ok;

	if (s == NULL)
		return 0;
	*v = strtol(s, &end, 10);
	ok = end != s && *end == '\0';
	free(s);
	return ok;
}

static void
set_int(xmlNode *n, const char *name, long v)
{
	char s[24];

	snprintf(s, sizeof s, "%ld", v);
	xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)s);
}

/* Moves the integer attribute name of n by by, when it has one. */
static void
shift_int(xmlNode *n, const char *name, long by)
{
	long v;

	if (int_attr(n, name, &v))
		set_int(n, name, v + by);
}

static size_t
elements(const xmlNode *n)
{
	size_t k = 0;

	for (n = n != NULL ? n->children : NULL; n != NULL; n = n->next)
		k += n->type == XML_ELEMENT_NODE;
	return k;
}

/* ---- styles ---- */

/* What the ledger's styles became in the batch's styles.xml. */
struct smap {
	long fonts, fills, borders, style_xfs, xfs, dxfs; /* offsets */
	long *num_from, *num_to;                          /* custom number formats renumbered */
	size_t nnum;
};

static const char *const style_order[] = {"numFmts",      "fonts",   "fills",      "borders",
                                          "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                                          "tableStyles",  "colors",  "extLst",     NULL};

/* The styleSheet's child called name, made in its place in the schema's order when missing. */
static xmlNode *
section(xmlDoc *doc, const char *name)
{
	xmlNode *root = xmlDocGetRootElement(doc), *n, *c;
	size_t i, k;

	if ((n = wb_child(root, name)) != NULL)
		return n;
	n = xmlNewNode(root->ns, (const xmlChar *)name);
	for (i = 0; style_order[i] != NULL && strcmp(style_order[i], name) != 0; i++)
		;
	for (k = i + 1; style_order[i] != NULL && style_order[k] != NULL; k++)
		if ((c = wb_child(root, style_order[k])) != NULL)
			return xmlAddPrevSibling(c, n);
	return xmlAddChild(root, n);
}

static long
num_id(const struct smap *m, long id)
{
	size_t i;

	for (i = 0; i < m->nnum; i++)
		if (m->num_from[i] == id)
			return m->num_to[i];
	return id;
}

static void
remap_xf(xmlNode *xf, const struct smap *m, int cell)
{
	long v;

	shift_int(xf, "fontId", m->fonts);
	shift_int(xf, "fillId", m->fills);
	shift_int(xf, "borderId", m->borders);
	if (int_attr(xf, "numFmtId", &v))
		set_int(xf, "numFmtId", num_id(m, v));
	if (cell)
		shift_int(xf, "xfId", m->style_xfs);
}

/* Appends the ledger's section name to the base's, each copy put through fix. */
static long
append_section(xmlDoc *fdoc, xmlDoc *ldoc, const char *name, const struct smap *m,
               void (*fix)(xmlNode *n, const struct smap *m))
{
	xmlNode *to, *from = wb_child(xmlDocGetRootElement(ldoc), name), *c, *copy;
	long before;

	if (from == NULL || elements(from) == 0)
		return elements(wb_child(xmlDocGetRootElement(fdoc), name));
	to = section(fdoc, name);
	before = (long)elements(to);
	for (c = from->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		copy = xmlDocCopyNode(c, fdoc, 1);
		if (fix != NULL)
			fix(copy, m);
		xmlAddChild(to, copy);
	}
	set_int(to, "count", (long)elements(to));
	return before;
}

static void
fix_style_xf(xmlNode *n, const struct smap *m)
{
	remap_xf(n, m, 0);
}

static void
fix_cell_xf(xmlNode *n, const struct smap *m)
{
	remap_xf(n, m, 1);
}

static void
fix_dxf(xmlNode *n, const struct smap *m)
{
	xmlNode *f = wb_child(n, "numFmt");
	long v;

	if (f != NULL && int_attr(f, "numFmtId", &v))
		set_int(f, "numFmtId", num_id(m, v));
}

static void
fix_num(xmlNode *n, const struct smap *m)
{
	long v;

	if (int_attr(n, "numFmtId", &v))
		set_int(n, "numFmtId", num_id(m, v));
}

/* The ledger's styles appended to the base's; m says where each kind of index went. */
static void
merge_styles(xmlDoc *fdoc, xmlDoc *ldoc, struct smap *m)
{
	xmlNode *fn = wb_child(xmlDocGetRootElement(fdoc), "numFmts"),
	        *ln = wb_child(xmlDocGetRootElement(ldoc), "numFmts"), *c;
	long top = 163, v;

	/* Custom number formats (164 and up) are renumbered past the base's. */
	for (c = fn != NULL ? fn->children : NULL; c != NULL; c = c->next)
		if (wb_is(c, "numFmt") && int_attr(c, "numFmtId", &v) && v > top)
			top = v;
	for (c = ln != NULL ? ln->children : NULL; c != NULL; c = c->next)
		if (wb_is(c, "numFmt") && int_attr(c, "numFmtId", &v) && v >= 164) {
			m->num_from = xreallocarray(m->num_from, m->nnum + 1, sizeof *m->num_from);
			m->num_to = xreallocarray(m->num_to, m->nnum + 1, sizeof *m->num_to);
			m->num_from[m->nnum] = v;
			m->num_to[m->nnum++] = ++top;
		}
	append_section(fdoc, ldoc, "numFmts", m, fix_num);
	m->fonts = append_section(fdoc, ldoc, "fonts", m, NULL);
	m->fills = append_section(fdoc, ldoc, "fills", m, NULL);
	m->borders = append_section(fdoc, ldoc, "borders", m, NULL);
	m->style_xfs = append_section(fdoc, ldoc, "cellStyleXfs", m, fix_style_xf);
	m->xfs = append_section(fdoc, ldoc, "cellXfs", m, fix_cell_xf);
	m->dxfs = append_section(fdoc, ldoc, "dxfs", m, fix_dxf);
}

/* A ledger sheet's cells, rows, columns and conditional formats moved to the batch's indices. */
static void
remap_sheet(xmlNode *n, const struct smap *m, long sst)
{
	xmlNode *v;
	char *t, num[24];
	long k;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (wb_is(n, "c")) {
			/* A cell without a style has the ledger's first: not the base's. */
			if (!int_attr(n, "s", &k))
				k = 0;
			set_int(n, "s", k + m->xfs);
			t = wb_attr(n, "t");
			if (t != NULL && strcmp(t, "s") == 0 && (v = wb_child(n, "v")) != NULL) {
				xmlChar *s = xmlNodeGetContent(v);

				k = strtol((const char *)s, NULL, 10);
				xmlFree(s);
				snprintf(num, sizeof num, "%ld", k + sst);
				xmlNodeSetContent(v, (const xmlChar *)num);
			}
			free(t);
			continue;
		}
		if (wb_is(n, "row"))
			shift_int(n, "s", m->xfs);
		else if (wb_is(n, "col"))
			shift_int(n, "style", m->xfs);
		else if (wb_is(n, "cfRule"))
			shift_int(n, "dxfId", m->dxfs);
		remap_sheet(n->children, m, sst);
	}
}

/* ---- relationships, content types ---- */

/* The part a relationship of source points at, by the last word of its type; caller frees. */
static char *
rel_of(const char *rels_text, size_t len, const char *source, const char *type)
{
	xmlDoc *doc = parse(rels_text, len, "rels");
	xmlNode *n;
	char *t, *target, *found = NULL;
	const char *slash;

	for (n = doc != NULL ? xmlDocGetRootElement(doc)->children : NULL; n != NULL && !found;
	     n = n->next) {
		if (!wb_is(n, "Relationship") || (t = wb_attr(n, "Type")) == NULL)
			continue;
		slash = strrchr(t, '/');
		if (strcmp(slash != NULL ? slash + 1 : t, type) == 0 &&
		    (target = wb_attr(n, "Target")) != NULL) {
			found = wb_resolve_target(source, target);
			free(target);
		}
		free(t);
	}
	xmlFreeDoc(doc);
	return found;
}

/* The text of a part of the form's workbook, or NULL. */
static const char *
ftext(const struct ctx *x, const char *name, size_t *len)
{
	const struct wbpart *p = name != NULL ? wb_part(x->w, name) : NULL;

	if (p == NULL || p->xml == NULL)
		return NULL;
	*len = p->xlen;
	return p->xml;
}

/* The batch's name of a ledger part: LEDGER_PREFIX before its file's name. */
static char *
ledger_name(const char *name)
{
	const char *slash = strrchr(name, '/');

	if (slash == NULL)
		return xasprintf(LEDGER_PREFIX "%s", name);
	return xasprintf("%.*s/" LEDGER_PREFIX "%s", (int)(slash - name), name, slash + 1);
}

/* Adds to the batch's content types what the ledger's say of part from, for part to. */
static void
type_of(struct ctx *x, const char *from, const char *to)
{
	xmlNode *root = xmlDocGetRootElement(x->lct), *n, *o, *froot = xmlDocGetRootElement(x->ct);
	const char *dot = strrchr(to, '.');
	char *pn, *ext, *ctype;
	int have = 0;

	for (n = root->children; n != NULL; n = n->next) {
		if (!wb_is(n, "Override") || (pn = wb_attr(n, "PartName")) == NULL)
			continue;
		if (strcmp(pn + (pn[0] == '/'), from) == 0 && (ctype = wb_attr(n, "ContentType"))) {
			char *to_name = xasprintf("/%s", to);

			o = xmlNewChild(froot, froot->ns, (const xmlChar *)"Override", NULL);
			xmlSetProp(o, (const xmlChar *)"PartName", (const xmlChar *)to_name);
			xmlSetProp(o, (const xmlChar *)"ContentType", (const xmlChar *)ctype);
			free(to_name);
			free(ctype);
			have = 1;
		}
		free(pn);
	}
	if (have || dot == NULL)
		return;
	/* Else it goes by its extension: the ledger's Default for it, unless the base has one. */
	for (n = froot->children; n != NULL; n = n->next)
		if (wb_is(n, "Default") && (ext = wb_attr(n, "Extension")) != NULL) {
			have = strcasecmp(ext, dot + 1) == 0;
			free(ext);
			if (have)
				return;
		}
	for (n = root->children; n != NULL; n = n->next)
		if (wb_is(n, "Default") && (ext = wb_attr(n, "Extension")) != NULL) {
			if (strcasecmp(ext, dot + 1) == 0 && (ctype = wb_attr(n, "ContentType"))) {
				o = xmlNewChild(froot, froot->ns, (const xmlChar *)"Default", NULL);
				xmlSetProp(o, (const xmlChar *)"Extension", (const xmlChar *)ext);
				xmlSetProp(o, (const xmlChar *)"ContentType",
				           (const xmlChar *)ctype);
				free(ctype);
				free(ext);
				return;
			}
			free(ext);
		}
}

/* What a printed sheet may point at and be copied with; anything else is refused. */
static int
may_bring(const char *type)
{
	static const char *const ok[] = {"drawing",    "image",           "printerSettings",
	                                 "chart",      "chartUserShapes", "themeOverride",
	                                 "chartStyle", "chartColorStyle", NULL};
	size_t i;

	for (i = 0; ok[i] != NULL; i++)
		if (strcmp(type, ok[i]) == 0)
			return 1;
	return 0;
}

/*
 * Copies the ledger's part from into the batch as to, with text (its own, or NULL for the
 * ledger's), and what its relationships point at, each under its LEDGER_PREFIX name. 0, or -1
 * with x->cause.
 */
static int
bring(struct ctx *x, const char *from, const char *to, char *text, size_t len)
{
	char *rn = wb_rels_name(from), *trn, *t, *target, *mode, *resolved, *dst, *moved;
	const struct zent *e = zfind(x->l, x->nl, from), *r = zfind(x->l, x->nl, rn);
	const char *word;
	xmlDoc *doc;
	xmlNode *n;
	size_t i;
	int rc = 0;

	for (i = 0; i < x->nbrought; i++)
		if (strcmp(x->brought[i], from) == 0) {
			free(text);
			free(rn);
			return 0;
		}
	xgrow(&x->brought, &x->capbrought, x->nbrought, sizeof *x->brought);
	x->brought[x->nbrought++] = xstrdup(from);
	if (text == NULL && e == NULL) {
		x->cause = xasprintf("the ledger has no part %s", from);
		free(rn);
		return -1;
	}
	if (text == NULL) {
		text = xmalloc(e->len + 1);
		memcpy(text, e->data, e->len + 1);
		len = e->len;
	}
	add_text(x, to, text, len);
	type_of(x, from, to);
	if (r == NULL || (doc = parse(r->data, r->len, rn)) == NULL) {
		free(rn);
		return 0;
	}
	for (n = xmlDocGetRootElement(doc)->children; n != NULL && rc == 0; n = n->next) {
		if (!wb_is(n, "Relationship") || (t = wb_attr(n, "Type")) == NULL)
			continue;
		word = strrchr(t, '/') != NULL ? strrchr(t, '/') + 1 : t;
		mode = wb_attr(n, "TargetMode");
		target = wb_attr(n, "Target");
		if (mode != NULL && strcmp(mode, "External") == 0) {
			/* A link out of the file (a hyperlink) goes as it is. */
		} else if (!may_bring(word) || target == NULL) {
			x->cause = xasprintf("the ledger's workbook has a %s (%s), which the print "
			                     "output cannot copy yet",
			                     word, target != NULL ? target : "?");
			rc = -1;
		} else {
			resolved = wb_resolve_target(from, target);
			dst = ledger_name(resolved);
			rc = bring(x, resolved, dst, NULL, 0);
			/* The target keeps its folder; only its file's name changes. */
			moved = ledger_name(target);
			xmlSetProp(n, (const xmlChar *)"Target", (const xmlChar *)moved);
			free(moved);
			free(resolved);
			free(dst);
		}
		free(mode);
		free(target);
		free(t);
	}
	if (rc == 0) {
		trn = wb_rels_name(to);
		add_doc(x, trn, doc);
		free(trn);
	}
	xmlFreeDoc(doc);
	free(rn);
	return rc;
}

/* ---- workbook.xml: the sheets, and the names that belong to them ---- */

/* The sheet's name for claim k (from 0): the template's, then "NAME (2)", "NAME (3)", … */
static char *
copy_name(const char *name, size_t k)
{
	char suffix[32];
	size_t room, at = 0, chars = 0, step, n = strlen(name);
	uint32_t cp;

	if (k == 0)
		return xstrdup(name);
	snprintf(suffix, sizeof suffix, " (%zu)", k + 1);
	/* Excel's sheet names hold at most 31 characters: the name is cut to leave room. */
	room = 31 - strlen(suffix);
	while (at < n && chars < room && (step = utf8_decode(name + at, n - at, &cp)) > 0) {
		at += step;
		chars++;
	}
	return xasprintf("%.*s%s", (int)at, name, suffix);
}

/* text with every reference to sheet from ("from!", "'from'!") made to sheet to. */
static char *
rename_refs(const char *text, const char *from, const char *to)
{
	char *plain = xasprintf("%s!", from), *quoted = xasprintf("'%s'!", from);
	struct buf b = {0};
	const char *p = text;
	size_t lp = strlen(plain), lq = strlen(quoted);

	while (*p != '\0') {
		if (strncmp(p, quoted, lq) == 0 ||
		    (strncmp(p, plain, lp) == 0 && (p == text || strchr(",(=: ", p[-1]) != NULL))) {
			char *ref = xasprintf("'%s'!", to);

			buf_add(&b, ref, strlen(ref));
			free(ref);
			p += strncmp(p, quoted, lq) == 0 ? lq : lp;
		} else
			buf_add(&b, p++, 1);
	}
	buf_add(&b, "", 0);
	free(plain);
	free(quoted);
	return b.p;
}

/*
 * Adds a copy of name (a definedName) to names: local to sheet at (or as it was, at -1), its
 * references to sheet from made to sheet to (unless from is NULL).
 */
static void
copy_defined(xmlNode *names, const xmlNode *name, long at, const char *from, const char *to)
{
	xmlNode *c = xmlDocCopyNode((xmlNode *)name, names->doc, 1);
	xmlChar *text = xmlNodeGetContent(name);
	char *moved =
	    from != NULL ? rename_refs((const char *)text, from, to) : xstrdup((const char *)text);

	if (at >= 0)
		set_int(c, "localSheetId", at);
	xmlNodeSetContent(c, NULL);
	xmlNodeAddContent(c, (const xmlChar *)moved);
	xmlAddChild(names, c);
	free(moved);
	xmlFree(text);
}

/* Whether names holds a definedName called name with no localSheetId. */
static int
has_global(const xmlNode *names, const char *name)
{
	const xmlNode *n;
	char *s, *local;
	int found = 0;

	for (n = names->children; n != NULL && !found; n = n->next) {
		if (!wb_is(n, "definedName") || (s = wb_attr(n, "name")) == NULL)
			continue;
		local = wb_attr(n, "localSheetId");
		found = local == NULL && strcmp(s, name) == 0;
		free(local);
		free(s);
	}
	return found;
}

struct lsheet {
	char *name, *part, *state;
	char *batch_name; /* its name in the batch (another when a form's copy has it) */
};

/* ---- the batch ---- */

/* The form's sheets, one copy per claim, into x; their names in names[k * nsheets + j]. */
static int
form_sheets(struct ctx *x, const struct wbbatch *b, char **names)
{
	const struct workbook *w = b->w;
	const struct span *sp;
	char *part, *rels, *rn, *text;
	const struct wbpart *r;
	size_t k, j, len;

	for (k = 0; k < b->n; k++)
		for (j = 0; j < w->nsheets; j++) {
			sp = &b->spans[k * w->nsheets + j];
			part = xasprintf("xl/worksheets/form-%zu.xml", k * w->nsheets + j + 1);
			if (sp->len > 0) {
				text = xmalloc(sp->len + 1);
				if (pread(b->fd, text, sp->len, sp->off) != (ssize_t)sp->len) {
					x->cause = xasprintf("cannot read a kept form back: %s",
					                     strerror(errno));
					x->io = 1;
					free(text);
					free(part);
					return -1;
				}
				len = sp->len;
			} else {
				const char *t = ftext(x, w->sheets[j].part, &len);

				if (t == NULL) {
					x->cause = xasprintf("the form's workbook has no sheet %s",
					                     w->sheets[j].part);
					free(part);
					return -1;
				}
				text = xmalloc(len + 1);
				memcpy(text, t, len + 1);
			}
			add_text(x, part, text, len);
			/* Its relationships (the logo's drawing) as they are: same folder. */
			rn = wb_rels_name(w->sheets[j].part);
			if ((r = wb_part(w, rn)) != NULL && r->xml != NULL) {
				rels = wb_rels_name(part);
				text = xmalloc(r->xlen + 1);
				memcpy(text, r->xml, r->xlen + 1);
				add_text(x, rels, text, r->xlen);
				free(rels);
			}
			free(rn);
			names[k * w->nsheets + j] = copy_name(w->sheets[j].name, k);
			free(part);
		}
	return 0;
}

/* A form sheet's relationships must be ones a copy can share. */
static int
form_shareable(struct ctx *x)
{
	const struct workbook *w = x->w;
	size_t j, len;
	char *rn, *t;
	const char *text, *word;
	xmlDoc *doc;
	xmlNode *n;
	int rc = 0;

	for (j = 0; j < w->nsheets && rc == 0; j++) {
		rn = wb_rels_name(w->sheets[j].part);
		doc = (text = ftext(x, rn, &len)) != NULL ? parse(text, len, rn) : NULL;
		for (n = doc != NULL ? xmlDocGetRootElement(doc)->children : NULL;
		     n != NULL && rc == 0; n = n->next)
			if (wb_is(n, "Relationship") && (t = wb_attr(n, "Type")) != NULL) {
				word = strrchr(t, '/') != NULL ? strrchr(t, '/') + 1 : t;
				if (!may_bring(word) && strcmp(word, "hyperlink") != 0) {
					x->cause =
					    xasprintf("the form's workbook has a %s on sheet "
					              "%s, which the print output cannot "
					              "repeat yet",
					              word, w->sheets[j].name);
					rc = -1;
				}
				free(t);
			}
		xmlFreeDoc(doc);
		free(rn);
	}
	return rc;
}

/* The ledger's sheets, from its workbook.xml, in order. */
static struct lsheet *
ledger_sheets(struct ctx *x, const char *lmain, xmlDoc **lmain_doc, size_t *n)
{
	const struct zent *e = zfind(x->l, x->nl, lmain);
	char *rn = wb_rels_name(lmain), *id;
	const struct zent *r = zfind(x->l, x->nl, rn);
	xmlDoc *rels;
	xmlNode *sheets, *s, *rel;
	struct lsheet *out = NULL;
	size_t cap = 0;

	*n = 0;
	*lmain_doc = e != NULL ? parse(e->data, e->len, lmain) : NULL;
	rels = r != NULL ? parse(r->data, r->len, rn) : NULL;
	free(rn);
	if (*lmain_doc == NULL || rels == NULL) {
		xmlFreeDoc(rels);
		return NULL;
	}
	sheets = wb_child(xmlDocGetRootElement(*lmain_doc), "sheets");
	for (s = sheets != NULL ? sheets->children : NULL; s != NULL; s = s->next) {
		if (!wb_is(s, "sheet"))
			continue;
		id = (char *)xmlGetNsProp(s, (const xmlChar *)"id", (const xmlChar *)NS_REL);
		for (rel = xmlDocGetRootElement(rels)->children; id != NULL && rel != NULL;
		     rel = rel->next) {
			char *rid = wb_attr(rel, "Id"), *target;

			if (rid != NULL && strcmp(rid, id) == 0 &&
			    (target = wb_attr(rel, "Target")) != NULL) {
				xgrow(&out, &cap, *n, sizeof *out);
				out[*n].name = wb_attr(s, "name");
				out[*n].state = wb_attr(s, "state");
				out[*n].part = wb_resolve_target(lmain, target);
				out[*n].batch_name = NULL;
				(*n)++;
				free(target);
			}
			free(rid);
		}
		xmlFree(id);
	}
	xmlFreeDoc(rels);
	return out;
}

static void
lsheets_free(struct lsheet *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(s[i].name);
		free(s[i].part);
		free(s[i].state);
		free(s[i].batch_name);
	}
	free(s);
}

/*
 * The ledger's styles and strings into the base's, and its sheets (remapped) with what they
 * point at. fstyles and fsst are the base's parts (NULL when it has none).
 */
static int
ledger_parts(struct ctx *x, struct lsheet *ls, size_t nls, const char *lmain, const char *fstyles,
             xmlDoc **fsst_doc, int *sst_made)
{
	char *lrels = wb_rels_name(lmain), *lstyles, *lsst_name;
	const struct zent *rl = zfind(x->l, x->nl, lrels), *e;
	xmlDoc *fs, *lsd, *lsst, *sheet;
	struct smap m = {0};
	long sst_off = 0;
	size_t i, len;
	const char *text;
	char *name, *out;
	int rc = 0;

	free(lrels);
	lstyles = rl != NULL ? rel_of(rl->data, rl->len, lmain, "styles") : NULL;
	lsst_name = rl != NULL ? rel_of(rl->data, rl->len, lmain, "sharedStrings") : NULL;
	e = zfind(x->l, x->nl, lstyles);
	fs = (text = ftext(x, fstyles, &len)) != NULL ? parse(text, len, fstyles) : NULL;
	lsd = e != NULL ? parse(e->data, e->len, lstyles) : NULL;
	if (fs == NULL || lsd == NULL) {
		x->cause = xstrdup("the form's or the ledger's workbook has no readable styles");
		rc = -1;
		goto out;
	}
	merge_styles(fs, lsd, &m);
	add_doc(x, fstyles, fs);
	/* Shared strings: the ledger's after the base's. */
	e = zfind(x->l, x->nl, lsst_name);
	lsst = e != NULL ? parse(e->data, e->len, lsst_name) : NULL;
	if (lsst != NULL) {
		xmlNode *to, *c;

		if (*fsst_doc == NULL) {
			*fsst_doc = xmlNewDoc((const xmlChar *)"1.0");
			xmlDocSetRootElement(
			    *fsst_doc, xmlDocCopyNode(xmlDocGetRootElement(lsst), *fsst_doc, 2));
			*sst_made = 1;
		}
		to = xmlDocGetRootElement(*fsst_doc);
		sst_off = (long)elements(to);
		for (c = xmlDocGetRootElement(lsst)->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE)
				xmlAddChild(to, xmlDocCopyNode(c, *fsst_doc, 1));
		set_int(to, "count", (long)elements(to));
		set_int(to, "uniqueCount", (long)elements(to));
		xmlFreeDoc(lsst);
	}
	for (i = 0; i < nls && rc == 0; i++) {
		e = zfind(x->l, x->nl, ls[i].part);
		if (e == NULL || (sheet = parse(e->data, e->len, ls[i].part)) == NULL) {
			x->cause = xasprintf("the ledger's sheet %s cannot be read", ls[i].part);
			rc = -1;
			break;
		}
		remap_sheet(xmlDocGetRootElement(sheet)->children, &m, sst_off);
		out = wb_dump(sheet, &len);
		xmlFreeDoc(sheet);
		name = ledger_name(ls[i].part);
		rc = bring(x, ls[i].part, name, out, len);
		free(name);
	}
out:
	xmlFreeDoc(fs);
	xmlFreeDoc(lsd);
	free(m.num_from);
	free(m.num_to);
	free(lstyles);
	free(lsst_name);
	return rc;
}

/* workbook.xml: the form's copies, then the ledger's sheets, and their names. */
static void
main_part(struct ctx *x, const struct wbbatch *b, char **names, struct lsheet *ls, size_t nls,
          xmlDoc *lmain_doc)
{
	const struct workbook *w = b->w;
	xmlDoc *doc = xmlCopyDoc(w->main_doc, 1);
	xmlNode *root = xmlDocGetRootElement(doc), *sheets = wb_child(root, "sheets"), *s, *next;
	xmlNode *old_names = wb_child(root, "definedNames"), *names_el, *n;
	xmlNode *lnames =
	    lmain_doc != NULL ? wb_child(xmlDocGetRootElement(lmain_doc), "definedNames") : NULL;
	xmlNs *r = xmlSearchNsByHref(doc, root, (const xmlChar *)NS_REL);
	size_t k, j, i, ns = w->nsheets;
	char id[32], *state, *nm, **states;
	long local;

	if (r == NULL)
		r = xmlNewNs(root, (const xmlChar *)NS_REL, (const xmlChar *)"r");
	/* Each copy keeps its sheet's state: a hidden sheet (a list of codes) stays unprinted. */
	states = xcalloc(ns + 1, sizeof *states);
	for (j = 0, s = sheets->children; s != NULL; s = next) {
		next = s->next;
		if (wb_is(s, "sheet") && j < ns)
			states[j++] = wb_attr(s, "state");
		xmlUnlinkNode(s);
		xmlFreeNode(s);
	}
	names_el = xmlNewNode(root->ns, (const xmlChar *)"definedNames");
	for (k = 0; k < b->n; k++)
		for (j = 0; j < ns; j++) {
			s = xmlNewChild(sheets, root->ns, (const xmlChar *)"sheet", NULL);
			xmlSetProp(s, (const xmlChar *)"name", (const xmlChar *)names[k * ns + j]);
			set_int(s, "sheetId", (long)(k * ns + j + 1));
			if (states[j] != NULL)
				xmlSetProp(s, (const xmlChar *)"state", (const xmlChar *)states[j]);
			snprintf(id, sizeof id, "rIdBatch%zu", k * ns + j + 1);
			xmlSetNsProp(s, r, (const xmlChar *)"id", (const xmlChar *)id);
		}
	for (i = 0; i < nls; i++) {
		s = xmlNewChild(sheets, root->ns, (const xmlChar *)"sheet", NULL);
		xmlSetProp(s, (const xmlChar *)"name", (const xmlChar *)ls[i].batch_name);
		set_int(s, "sheetId", (long)(b->n * ns + i + 1));
		if ((state = ls[i].state) != NULL)
			xmlSetProp(s, (const xmlChar *)"state", (const xmlChar *)state);
		snprintf(id, sizeof id, "rIdLedger%zu", i + 1);
		xmlSetNsProp(s, r, (const xmlChar *)"id", (const xmlChar *)id);
	}
	/* The form's names: a sheet's own (its print area) for every copy; the others once. */
	for (n = old_names != NULL ? old_names->children : NULL; n != NULL; n = n->next) {
		if (!wb_is(n, "definedName"))
			continue;
		if (!int_attr(n, "localSheetId", &local)) {
			copy_defined(names_el, n, -1, NULL, NULL);
			continue;
		}
		for (k = 0; local >= 0 && (size_t)local < ns && k < b->n; k++)
			copy_defined(names_el, n, (long)(k * ns + (size_t)local),
			             w->sheets[local].name, names[k * ns + (size_t)local]);
	}
	for (n = lnames != NULL ? lnames->children : NULL; n != NULL; n = n->next) {
		if (!wb_is(n, "definedName"))
			continue;
		if (int_attr(n, "localSheetId", &local) && local >= 0 && (size_t)local < nls)
			copy_defined(names_el, n, (long)(b->n * ns + (size_t)local), ls[local].name,
			             ls[local].batch_name);
		else if ((nm = wb_attr(n, "name")) != NULL) {
			if (!has_global(names_el, nm))
				copy_defined(names_el, n, -1, NULL, NULL);
			free(nm);
		}
	}
	if (old_names != NULL) {
		xmlUnlinkNode(old_names);
		xmlFreeNode(old_names);
	}
	if (names_el->children != NULL)
		xmlAddNextSibling(sheets, names_el);
	else
		xmlFreeNode(names_el);
	wb_recalc_on_load(doc);
	add_doc(x, w->main, doc);
	xmlFreeDoc(doc);
	for (j = 0; j < ns; j++)
		free(states[j]);
	free(states);
}

/* workbook.xml.rels: the sheets' relationships anew; no calcChain (the sheets are new). */
static int
main_rels(struct ctx *x, const struct wbbatch *b, const struct lsheet *ls, size_t nls, int sst_made)
{
	char *rn = wb_rels_name(x->w->main), id[32], *t, target[512], *lname;
	const char *slash = strrchr(x->w->main, '/');
	size_t dir = slash != NULL ? (size_t)(slash - x->w->main) + 1 : 0;
	size_t len = 0, k;
	const char *text = ftext(x, rn, &len);
	xmlDoc *doc = parse(text, len, rn);
	xmlNode *root, *n, *next, *rel;

	if (doc == NULL) {
		x->cause = xasprintf("the form's workbook has no readable %s", rn);
		free(rn);
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	for (n = root->children; n != NULL; n = next) {
		next = n->next;
		if (!wb_is(n, "Relationship") || (t = wb_attr(n, "Type")) == NULL)
			continue;
		if (strcmp(t, T_SHEET) == 0 || strstr(t, "/calcChain") != NULL) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
		free(t);
	}
	for (k = 0; k < b->n * b->w->nsheets + nls; k++) {
		rel = xmlNewChild(root, root->ns, (const xmlChar *)"Relationship", NULL);
		if (k < b->n * b->w->nsheets) {
			snprintf(id, sizeof id, "rIdBatch%zu", k + 1);
			snprintf(target, sizeof target, "worksheets/form-%zu.xml", k + 1);
		} else {
			snprintf(id, sizeof id, "rIdLedger%zu", k - b->n * b->w->nsheets + 1);
			/* Relative to workbook.xml's folder when inside it, else from the root. */
			lname = ledger_name(ls[k - b->n * b->w->nsheets].part);
			if (strncmp(lname, x->w->main, dir) == 0)
				snprintf(target, sizeof target, "%s", lname + dir);
			else
				snprintf(target, sizeof target, "/%s", lname);
			free(lname);
		}
		xmlSetProp(rel, (const xmlChar *)"Id", (const xmlChar *)id);
		xmlSetProp(rel, (const xmlChar *)"Type", (const xmlChar *)T_SHEET);
		xmlSetProp(rel, (const xmlChar *)"Target", (const xmlChar *)target);
	}
	if (sst_made) {
		rel = xmlNewChild(root, root->ns, (const xmlChar *)"Relationship", NULL);
		xmlSetProp(rel, (const xmlChar *)"Id", (const xmlChar *)"rIdBatchStrings");
		xmlSetProp(rel, (const xmlChar *)"Type", (const xmlChar *)T_SST);
		xmlSetProp(rel, (const xmlChar *)"Target", (const xmlChar *)"sharedStrings.xml");
	}
	add_doc(x, rn, doc);
	xmlFreeDoc(doc);
	free(rn);
	return 0;
}

/* [Content_Types].xml of the base, less its sheets and calcChain, with the copies'. */
static xmlDoc *
content_types(struct ctx *x, size_t copies)
{
	size_t len = 0, k, j;
	const char *text = ftext(x, "[Content_Types].xml", &len);
	xmlDoc *doc = parse(text, len, "[Content_Types].xml");
	xmlNode *root, *n, *next, *o;
	char *pn, name[64];
	int drop;

	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	for (n = root->children; n != NULL; n = next) {
		next = n->next;
		if (!wb_is(n, "Override") || (pn = wb_attr(n, "PartName")) == NULL)
			continue;
		drop =
		    x->w->calc_chain != NULL && strcmp(pn + (pn[0] == '/'), x->w->calc_chain) == 0;
		/* The sheets, and their relationships, are written anew under other names. */
		for (j = 0; j < x->w->nsheets && !drop; j++) {
			char *rn = wb_rels_name(x->w->sheets[j].part);

			drop = strcmp(pn + (pn[0] == '/'), x->w->sheets[j].part) == 0 ||
			       strcmp(pn + (pn[0] == '/'), rn) == 0;
			free(rn);
		}
		if (drop) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
		free(pn);
	}
	for (k = 0; k < copies; k++) {
		snprintf(name, sizeof name, "/xl/worksheets/form-%zu.xml", k + 1);
		o = xmlNewChild(root, root->ns, (const xmlChar *)"Override", NULL);
		xmlSetProp(o, (const xmlChar *)"PartName", (const xmlChar *)name);
		xmlSetProp(o, (const xmlChar *)"ContentType", (const xmlChar *)CT_SHEET);
	}
	return doc;
}

/* Whether the base's part name is replaced or left out of the batch. */
static int
replaced(const struct ctx *x, const char *name)
{
	char *rn;
	size_t i;
	int hit;

	if (x->w->calc_chain != NULL && strcmp(name, x->w->calc_chain) == 0)
		return 1;
	for (i = 0; i < x->nout; i++)
		if (strcmp(x->out[i].name, name) == 0)
			return 1;
	for (i = 0; i < x->w->nsheets; i++) {
		rn = wb_rels_name(x->w->sheets[i].part);
		hit = strcmp(name, x->w->sheets[i].part) == 0 || strcmp(name, rn) == 0;
		free(rn);
		if (hit)
			return 1;
	}
	return 0;
}

/* Writes the batch's parts, [Content_Types].xml first. 0, or -1 with x->cause. */
static int
zip_out(struct ctx *x, const char *path)
{
	zipFile zf = zipOpen64(path, APPEND_STATUS_CREATE);
	zip_fileinfo zi;
	size_t i, k;
	int ok = 1;

	if (zf == NULL) {
		x->cause =
		    xasprintf("cannot write the print workbook %s: %s", path, strerror(errno));
		x->io = 1;
		return -1;
	}
	memset(&zi, 0, sizeof zi);
	for (k = 0; k < 2; k++)
		for (i = 0; i < x->nout && ok; i++) {
			const struct opart *p = &x->out[i];

			if ((strcmp(p->name, "[Content_Types].xml") == 0) != (k == 0))
				continue;
			if (p->raw != NULL) {
				zi.dosDate = p->raw->dos_date;
				ok = zipOpenNewFileInZip2_64(zf, p->name, &zi, NULL, 0, NULL, 0,
				                             NULL, p->raw->method, p->raw->level, 1,
				                             0) == ZIP_OK &&
				     zipWriteInFileInZip(zf, p->raw->raw,
				                         (unsigned)p->raw->csize) == ZIP_OK &&
				     zipCloseFileInZipRaw64(zf, p->raw->usize, p->raw->crc) ==
				         ZIP_OK;
			} else {
				/* The template's time, as every part of a filled form has. */
				zi.dosDate = x->w->nparts > 0 ? x->w->parts[0].dos_date : 0;
				ok = zipOpenNewFileInZip64(zf, p->name, &zi, NULL, 0, NULL, 0, NULL,
				                           Z_DEFLATED, Z_DEFAULT_COMPRESSION,
				                           0) == ZIP_OK &&
				     zipWriteInFileInZip(zf, p->text, (unsigned)p->len) == ZIP_OK &&
				     zipCloseFileInZip(zf) == ZIP_OK;
			}
		}
	if (zipClose(zf, NULL) != ZIP_OK || !ok) {
		x->io = 1;
		x->cause = xasprintf("cannot write the print workbook %s (is the scratch folder "
		                     "full?)",
		                     path);
		return -1;
	}
	return 0;
}

/* Names the ledger's sheets in the batch: their own, unless a form's copy has it. */
static void
name_ledger_sheets(struct lsheet *ls, size_t nls, char **names, size_t nnames)
{
	size_t i, k, tries;
	char *try;
	int taken;

	for (i = 0; i < nls; i++) {
		for (tries = 0;; tries++) {
			try = tries == 0 ? xstrdup(ls[i].name != NULL ? ls[i].name : "ledger")
			                 : copy_name(ls[i].name != NULL ? ls[i].name : "ledger",
			                             nnames + tries);
			for (taken = 0, k = 0; k < nnames && !taken; k++)
				taken = strcmp(names[k], try) == 0;
			if (!taken)
				break;
			free(try);
		}
		ls[i].batch_name = try;
	}
}

int
wbbatch_write(struct wbbatch *b, const char *ledger, const char *path, char **cause)
{
	const struct workbook *w = b->w;
	size_t ncopies = b->n * w->nsheets, nls = 0, i, len;
	char **names = xcalloc(ncopies + 1, sizeof *names), *frels = wb_rels_name(w->main);
	char *lmain = NULL, *fstyles = NULL, *fsst = NULL;
	struct lsheet *ls = NULL;
	xmlDoc *lmain_doc = NULL, *fsst_doc = NULL;
	const struct zent *e;
	const char *text;
	struct ctx x;
	int rc = -1, sst_made = 0;

	memset(&x, 0, sizeof x);
	x.w = w;
	if ((x.ct = content_types(&x, ncopies)) == NULL) {
		x.cause = xstrdup("the form's workbook has no readable [Content_Types].xml");
		goto out;
	}
	if (form_shareable(&x) == -1 || form_sheets(&x, b, names) == -1)
		goto out;
	if (ledger != NULL) {
		if (read_all(ledger, &x.l, &x.nl, &x.cause) == -1) {
			x.io = 1;
			goto out;
		}
		e = zfind(x.l, x.nl, "[Content_Types].xml");
		x.lct = e != NULL ? parse(e->data, e->len, e->name) : NULL;
		e = zfind(x.l, x.nl, "_rels/.rels");
		lmain = e != NULL ? rel_of(e->data, e->len, "", "officeDocument") : NULL;
		if (x.lct == NULL || lmain == NULL ||
		    (ls = ledger_sheets(&x, lmain, &lmain_doc, &nls)) == NULL) {
			x.cause = xasprintf(
			    "the ledger %s is not a workbook formagent can read back", ledger);
			goto out;
		}
		name_ledger_sheets(ls, nls, names, ncopies);
		if ((text = ftext(&x, frels, &len)) != NULL) {
			fstyles = rel_of(text, len, w->main, "styles");
			fsst = rel_of(text, len, w->main, "sharedStrings");
		}
		if (fsst != NULL && (text = ftext(&x, fsst, &len)) != NULL)
			fsst_doc = parse(text, len, fsst);
		if (ledger_parts(&x, ls, nls, lmain, fstyles, &fsst_doc, &sst_made) == -1)
			goto out;
		if (fsst_doc != NULL)
			add_doc(&x, fsst != NULL ? fsst : "xl/sharedStrings.xml", fsst_doc);
		if (sst_made) {
			xmlNode *root = xmlDocGetRootElement(x.ct),
			        *o = xmlNewChild(root, root->ns, (const xmlChar *)"Override", NULL);

			xmlSetProp(o, (const xmlChar *)"PartName",
			           (const xmlChar *)"/xl/sharedStrings.xml");
			xmlSetProp(o, (const xmlChar *)"ContentType", (const xmlChar *)CT_SST);
		}
	}
	main_part(&x, b, names, ls, nls, lmain_doc);
	if (main_rels(&x, b, ls, nls, sst_made) == -1)
		goto out;
	add_doc(&x, "[Content_Types].xml", x.ct);
	for (i = 0; i < w->nparts; i++)
		if (!replaced(&x, w->parts[i].name)) {
			xgrow(&x.out, &x.capout, x.nout, sizeof *x.out);
			x.out[x.nout++] =
			    (struct opart){xstrdup(w->parts[i].name), NULL, 0, &w->parts[i]};
		}
	if (zip_out(&x, path) == 0 && (rc = xlsx_check_copy(path, &x.cause)) == -1)
		x.io = 1;
out:
	if (rc == -1) {
		*cause = x.cause != NULL ? x.cause : xstrdup("cannot make the print workbook");
		rc = x.io ? -1 : -2;
	} else
		free(x.cause);
	for (i = 0; i < x.nout; i++) {
		free(x.out[i].name);
		free(x.out[i].text);
	}
	free(x.out);
	for (i = 0; i < x.nbrought; i++)
		free(x.brought[i]);
	free(x.brought);
	for (i = 0; i < ncopies; i++)
		free(names[i]);
	free(names);
	zents_free(x.l, x.nl);
	xmlFreeDoc(x.ct);
	xmlFreeDoc(x.lct);
	xmlFreeDoc(lmain_doc);
	xmlFreeDoc(fsst_doc);
	lsheets_free(ls, nls);
	free(lmain);
	free(fstyles);
	free(fsst);
	free(frels);
	return rc;
}
