/*
 * Reading an office's workbook template and finding its placeholders (see workbook.h). The zip
 * is read whole when the template loads, under limits on its size, the number of its parts and
 * how far they expand, so a zip bomb costs a bounded amount; each part's compressed bytes are
 * kept, to be copied into every filled copy unchanged. XML is parsed by libxml2 with the network
 * off and no entity substitution, and a part with a DOCTYPE is refused before it is parsed: an
 * xlsx never has one, and one is how entity bombs and external entities arrive. The fill itself
 * is in wbfill.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "template.h"
#include "transform.h"
#include "utf8.h"
#include "wbpriv.h"
#include "xlsxcheck.h"
#include "xmalloc.h"

static const char *const macro_types[] = {"macroEnabled", "vbaProject", NULL};

/* Adds a problem about the workbook, prefixed by its name as the template wrote it. */
static void __attribute__((format(printf, 3, 4)))
wdiag(struct workbook *w, struct diags *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_addv(d, 0, w->shown, 0, 0, fmt, ap);
	va_end(ap);
}

/* A problem at a cell or a place: "様式.xlsx!SHEET!C10: ...". */
static void __attribute__((format(printf, 3, 4)))
pdiag(const char *where, struct diags *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_addv(d, 0, where, 0, 0, fmt, ap);
	va_end(ap);
}

int
wb_is(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

xmlNode *
wb_child(const xmlNode *n, const char *name)
{
	xmlNode *c;

	for (c = n != NULL ? n->children : NULL; c != NULL; c = c->next)
		if (wb_is(c, name))
			return c;
	return NULL;
}

/* libxml2's string as ours (freed with free()), or NULL. */
static char *
own(xmlChar *v)
{
	char *s;

	if (v == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

char *
wb_attr(const xmlNode *n, const char *name)
{
	return own(xmlGetProp(n, (const xmlChar *)name));
}

/* An attribute in the relationships namespace (r:id), whatever its prefix. */
static char *
rel_attr(const xmlNode *n, const char *name)
{
	return own(xmlGetNsProp(
	    n, (const xmlChar *)name,
	    (const xmlChar
	         *)"http://schemas.openxmlformats.org/officeDocument/2006/relationships"));
}

/*
 * A part name as the zip holds it must be a plain relative path: no "..", no "." segment, no
 * leading or doubled slash, no backslash, no control character. A name that climbs out could be
 * written out of any folder by a careless unzip, and means the zip was not made by Excel.
 */
static int
part_name_ok(const char *s)
{
	const char *seg = s, *p;
	size_t len;

	if (*s == '\0' || strlen(s) > 255)
		return 0;
	for (p = s;; p++) {
		if (*p == '/' || *p == '\0') {
			len = (size_t)(p - seg);
			if (len == 0 || (len == 1 && seg[0] == '.') ||
			    (len == 2 && seg[0] == '.' && seg[1] == '.'))
				return 0;
			if (*p == '\0')
				return 1;
			seg = p + 1;
		} else if (*p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	}
}

struct wbpart *
wb_part(const struct workbook *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->nparts; i++)
		if (strcmp(w->parts[i].name, name) == 0)
			return &w->parts[i];
	return NULL;
}

/* Reads the current entry through its inflater into a new NUL-terminated buffer of at most max
 * bytes. Returns 0, or -1 with *why (static): damaged, or expanding beyond max. */
static int
inflate_part(unzFile zf, size_t max, char **out, size_t *len, const char **why)
{
	struct buf b = {0};
	char chunk[65536];
	int n, rc;

	*out = NULL;
	if (unzOpenCurrentFile(zf) != UNZ_OK) {
		*why = "cannot be opened (an unknown compression or encryption)";
		return -1;
	}
	while ((n = unzReadCurrentFile(zf, chunk, sizeof chunk)) > 0) {
		if (b.len + (size_t)n > max) {
			unzCloseCurrentFile(zf);
			free(b.p);
			*why = "expands beyond the limit";
			return -1;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	rc = unzCloseCurrentFile(zf);
	if (n < 0 || rc != UNZ_OK) {
		free(b.p);
		*why = "is damaged (it does not inflate, or its checksum does not match)";
		return -1;
	}
	if (b.p == NULL)
		buf_add(&b, "", 0);
	*out = b.p;
	*len = b.len;
	return 0;
}

/* The current entry's compressed bytes as they are, to be copied unchanged. */
static int
raw_part(unzFile zf, struct wbpart *p)
{
	int method, level, n;
	size_t got = 0;

	if (unzOpenCurrentFile2(zf, &method, &level, 1) != UNZ_OK)
		return -1;
	p->raw = xmalloc(p->csize > 0 ? p->csize : 1);
	while (got < p->csize &&
	       (n = unzReadCurrentFile(zf, p->raw + got, (unsigned)(p->csize - got))) > 0)
		got += (size_t)n;
	unzCloseCurrentFile(zf);
	p->level = level;
	return got == p->csize ? 0 : -1;
}

/* Reads every entry of the zip under the limits; 0 or -1 with the problem in d. */
static int
read_zip(struct workbook *w, const char *path, struct diags *d)
{
	unz_file_info64 fi;
	unz_global_info64 gi;
	unzFile zf;
	char name[512];
	const char *why;
	size_t total = 0, i;
	int rc;

	if ((zf = xlsx_unzopen(path)) == NULL) {
		wdiag(w, d, "not a workbook: it is not a readable zip (an .xlsx is one)");
		return -1;
	}
	if (unzGetGlobalInfo64(zf, &gi) != UNZ_OK || gi.number_entry > WB_MAX_PARTS) {
		wdiag(w, d, "has %llu parts; a workbook template may have at most %d",
		      (unsigned long long)gi.number_entry, WB_MAX_PARTS);
		unzClose(zf);
		return -1;
	}
	w->parts = xcalloc(gi.number_entry + 1, sizeof *w->parts);
	for (rc = unzGoToFirstFile(zf); rc == UNZ_OK; rc = unzGoToNextFile(zf)) {
		struct wbpart *p;

		if (unzGetCurrentFileInfo64(zf, &fi, name, sizeof name, NULL, 0, NULL, 0) != UNZ_OK)
			break;
		/* minizip leaves a name as long as the buffer without its NUL (found by fuzzing).
		 */
		if (fi.size_filename >= sizeof name) {
			wdiag(w, d, "has a part name of %lu bytes; a workbook's are short",
			      (unsigned long)fi.size_filename);
			goto fail;
		}
		if (w->nparts == gi.number_entry) {
			wdiag(w, d, "its zip lists more parts than it says it has");
			goto fail;
		}
		if (!part_name_ok(name)) {
			wdiag(w, d,
			      "has a part named '%s', which is not a plain path inside the zip",
			      name);
			goto fail;
		}
		if (wb_part(w, name) != NULL) {
			wdiag(w, d, "has two parts named '%s'", name);
			goto fail;
		}
		if (fi.uncompressed_size > WB_MAX_PART ||
		    (fi.uncompressed_size > WB_RATIO_FROM &&
		     fi.uncompressed_size / (fi.compressed_size + 1) > WB_MAX_RATIO)) {
			wdiag(w, d,
			      "its part %s would expand to %llu bytes from %llu: more than a "
			      "template needs (a zip bomb?)",
			      name, (unsigned long long)fi.uncompressed_size,
			      (unsigned long long)fi.compressed_size);
			goto fail;
		}
		p = &w->parts[w->nparts++];
		p->name = xstrdup(name);
		p->method = (int)fi.compression_method;
		p->crc = fi.crc;
		p->csize = fi.compressed_size;
		p->usize = fi.uncompressed_size;
		p->dos_date = fi.dosDate;
		p->internal_fa = fi.internal_fa;
		p->external_fa = fi.external_fa;
		/* Every part is inflated once, whatever its header claims, so a damaged or
		 * lying part is found now rather than in a filled copy; the header's sizes were
		 * held to the limits above, and the part must be what they say. */
		if (inflate_part(zf, WB_MAX_PART, &p->xml, &p->xlen, &why) == -1) {
			wdiag(w, d, "its part %s %s", name, why);
			goto fail;
		}
		if (p->xlen != p->usize) {
			wdiag(w, d, "its part %s is not the size its header says", name);
			goto fail;
		}
		if ((total += p->xlen) > WB_MAX_TOTAL) {
			wdiag(w, d, "expands beyond %d MiB in all (a zip bomb?)",
			      WB_MAX_TOTAL >> 20);
			goto fail;
		}
		if (raw_part(zf, p) == -1) {
			wdiag(w, d, "its part %s cannot be read", name);
			goto fail;
		}
		if (!xlsx_is_xml(name)) {
			free(p->xml);
			p->xml = NULL;
		}
	}
	if (rc != UNZ_END_OF_LIST_OF_FILE) {
		wdiag(w, d, "its zip's list of parts is damaged");
		goto fail;
	}
	unzClose(zf);
	for (i = 0; i < w->nparts; i++)
		if (w->parts[i].xml != NULL &&
		    (memmem(w->parts[i].xml, w->parts[i].xlen, "<!DOCTYPE", 9) != NULL ||
		     memmem(w->parts[i].xml, w->parts[i].xlen, "<!ENTITY", 8) != NULL)) {
			wdiag(w, d,
			      "its part %s declares a DOCTYPE or entities, which no workbook has "
			      "(they can expand without end or read other files)",
			      w->parts[i].name);
			return -1;
		}
	return 0;
fail:
	unzClose(zf);
	return -1;
}

/*
 * Parses a part's XML: no network, no DTD, no entity substitution, and UTF-8 whatever it
 * declares (Excel and LibreOffice write nothing else; a part that is not UTF-8 is refused
 * before, so libxml2 never meets bytes it cannot convert). NULL if it is not XML.
 */
xmlDoc *
wb_parse(const struct wbpart *p)
{
	size_t bad;

	if (!utf8_valid(p->xml, p->xlen, &bad))
		return NULL;
	/*
	 * No dictionary: a template's sheets are copied by several workers at once, and a copy
	 * would share the original's dictionary, which libxml2 does not lock.
	 */
	return xmlReadMemory(p->xml, (int)p->xlen, p->name, "UTF-8",
	                     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                         XML_PARSE_NODICT);
}

static xmlDoc *
parse_or_say(struct workbook *w, const char *name, struct diags *d)
{
	struct wbpart *p = wb_part(w, name);
	xmlDoc *doc;

	if (p == NULL || p->xml == NULL) {
		wdiag(w, d, "has no part %s, which a workbook needs", name);
		return NULL;
	}
	if ((doc = wb_parse(p)) == NULL || xmlDocGetRootElement(doc) == NULL) {
		xmlFreeDoc(doc);
		wdiag(w, d, "its part %s is not well-formed XML in UTF-8", name);
		return NULL;
	}
	return doc;
}

/* The part a relationship of source points at: target resolved against source's folder. */
char *
wb_resolve_target(const char *source, const char *target)
{
	struct buf b = {0};
	const char *slash = strrchr(source, '/'), *seg, *end;
	size_t len;

	if (target[0] == '/')
		target++;
	else if (slash != NULL)
		buf_add(&b, source, (size_t)(slash - source) + 1);
	for (seg = target; *seg != '\0'; seg = *end != '\0' ? end + 1 : end) {
		end = strchr(seg, '/');
		if (end == NULL)
			end = seg + strlen(seg);
		len = (size_t)(end - seg);
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			char *cut;

			if (b.len > 0)
				b.p[--b.len] = '\0';
			cut = b.p != NULL ? strrchr(b.p, '/') : NULL;
			b.len = cut != NULL ? (size_t)(cut - b.p) + 1 : 0;
			if (b.p != NULL)
				b.p[b.len] = '\0';
		} else if (!(len == 1 && seg[0] == '.') && len > 0) {
			buf_add(&b, seg, len);
			if (*end == '/')
				buf_add(&b, "/", 1);
		}
	}
	if (b.p == NULL)
		buf_add(&b, "", 0);
	return b.p;
}

/* The relationships part of a part: xl/worksheets/sheet1.xml → xl/worksheets/_rels/sheet1.xml.rels
 */
char *
wb_rels_name(const char *part)
{
	const char *slash = strrchr(part, '/');

	if (slash == NULL)
		return xasprintf("_rels/%s.rels", part);
	return xasprintf("%.*s/_rels/%s.rels", (int)(slash - part), part, slash + 1);
}

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && strcmp(s + n - k, tail) == 0;
}

/*
 * Calls fn for each relationship of part: its type's last word ("worksheet", "table"), the part
 * it points to (NULL for an external target) and its id. A missing relationships part has none.
 */
static int
each_rel(struct workbook *w, const char *part, struct diags *d,
         void (*fn)(struct workbook *w, const char *type, const char *target, const char *id,
                    void *arg),
         void *arg)
{
	char *rn = wb_rels_name(part), *type, *target, *mode, *id, *resolved;
	xmlDoc *doc;
	xmlNode *n;

	if (wb_part(w, rn) == NULL) {
		free(rn);
		return 0;
	}
	doc = parse_or_say(w, rn, d);
	free(rn);
	if (doc == NULL)
		return -1;
	for (n = xmlDocGetRootElement(doc)->children; n != NULL; n = n->next) {
		if (!wb_is(n, "Relationship"))
			continue;
		type = wb_attr(n, "Type");
		target = wb_attr(n, "Target");
		mode = wb_attr(n, "TargetMode");
		id = wb_attr(n, "Id");
		if (type != NULL && target != NULL && id != NULL) {
			const char *slash = strrchr(type, '/');

			resolved = mode != NULL && strcmp(mode, "External") == 0
			               ? NULL
			               : wb_resolve_target(part, target);
			fn(w, slash != NULL ? slash + 1 : type, resolved, id, arg);
			free(resolved);
		}
		free(type);
		free(target);
		free(mode);
		free(id);
	}
	xmlFreeDoc(doc);
	return 0;
}

struct rel_find {
	const char *type, *id; /* id NULL: any of the type */
	char *found;
};

static void
rel_find_fn(struct workbook *w, const char *type, const char *target, const char *id, void *arg)
{
	struct rel_find *f = arg;

	(void)w;
	if (strcmp(type, f->type) != 0 || (f->id != NULL && strcmp(id, f->id) != 0) ||
	    f->found != NULL)
		return;
	if (target != NULL)
		f->found = xstrdup(target);
}

/* The part the relationship of part with that type (and id, if not NULL) points at, or NULL. */
static char *
rel_target(struct workbook *w, const char *part, const char *type, const char *id, struct diags *d)
{
	struct rel_find f = {type, id, NULL};

	each_rel(w, part, d, rel_find_fn, &f);
	return f.found;
}

/* Refuses a link to another workbook (part, under xl/externalLinks/), naming DDE as such. */
static void
refuse_link(struct workbook *w, const struct wbpart *p, struct diags *d)
{
	if (p->xml != NULL && memmem(p->xml, p->xlen, "ddeLink", 7) != NULL)
		wdiag(w, d,
		      "has a DDE link (%s), which could run a program when the form opens; "
		      "remove it",
		      p->name);
	else
		wdiag(w, d, "links to another workbook (%s); a template must hold its own values",
		      p->name);
}

/* Refuses macros, links to other workbooks and DDE; 0 or -1. */
static int
check_active(struct workbook *w, struct diags *d)
{
	struct wbpart *ct = wb_part(w, "[Content_Types].xml");
	size_t i, k;

	for (i = 0; i < w->nparts; i++) {
		if (ends_with(w->parts[i].name, "vbaProject.bin")) {
			wdiag(w, d, "holds macros (%s); save it as an .xlsx workbook without them",
			      w->parts[i].name);
			return -1;
		}
		if (strncmp(w->parts[i].name, "xl/externalLinks/", 17) == 0 &&
		    !ends_with(w->parts[i].name, ".rels")) {
			refuse_link(w, &w->parts[i], d);
			return -1;
		}
	}
	for (k = 0; ct != NULL && ct->xml != NULL && macro_types[k] != NULL; k++)
		if (strstr(ct->xml, macro_types[k]) != NULL) {
			wdiag(w, d,
			      "is a workbook with macros; save it as an .xlsx workbook without "
			      "them");
			return -1;
		}
	return 0;
}

/* The text of a shared string or inline string: its <t> and its runs' <t>, not its furigana. */
static void
string_text(const xmlNode *si, struct buf *b, int *rich)
{
	const xmlNode *n, *t;
	xmlChar *s;

	*rich = 0;
	for (n = si->children; n != NULL; n = n->next) {
		if (wb_is(n, "t"))
			t = n;
		else if (wb_is(n, "r")) {
			*rich = 1;
			t = wb_child(n, "t");
		} else
			continue;
		if (t != NULL && (s = xmlNodeGetContent(t)) != NULL) {
			buf_add(b, s, strlen((const char *)s));
			xmlFree(s);
		}
	}
	if (b->p == NULL)
		buf_add(b, "", 0);
}

static int
read_shared_strings(struct workbook *w, const char *wbpart, struct diags *d)
{
	char *name = rel_target(w, wbpart, "sharedStrings", NULL, d);
	xmlDoc *doc;
	xmlNode *n;
	size_t cap = 0;

	if (name == NULL)
		return 0;
	doc = parse_or_say(w, name, d);
	free(name);
	if (doc == NULL)
		return -1;
	for (n = xmlDocGetRootElement(doc)->children; n != NULL; n = n->next) {
		struct buf b = {0};
		int rich;

		if (!wb_is(n, "si"))
			continue;
		if (w->nsst == cap) {
			cap = cap ? cap * 2 : 64;
			w->sst = xreallocarray(w->sst, cap, sizeof *w->sst);
			w->sst_rich = xreallocarray(w->sst_rich, cap, sizeof *w->sst_rich);
		}
		string_text(n, &b, &rich);
		w->sst[w->nsst] = b.p;
		w->sst_rich[w->nsst++] = (char)rich;
	}
	xmlFreeDoc(doc);
	return 0;
}

/*
 * The field a text names when the text is a whole placeholder: "{{name}}" or "{{rows.name}}",
 * spaces allowed inside the braces. NULL when it is not one; *partial when the text holds "{{"
 * but is not a placeholder by itself.
 */
static char *
placeholder(const char *text, int *rows, int *partial)
{
	const char *p = text, *start, *end;

	*rows = *partial = 0;
	if (strstr(text, "{{") == NULL)
		return NULL;
	while (*p == ' ')
		p++;
	if (strncmp(p, "{{", 2) != 0)
		goto partial;
	for (p += 2; *p == ' '; p++)
		;
	if (strncmp(p, "rows.", 5) == 0) {
		*rows = 1;
		p += 5;
	}
	start = p;
	if (!(isalpha((unsigned char)*p) || *p == '_'))
		goto partial;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	end = p;
	while (*p == ' ')
		p++;
	if (strncmp(p, "}}", 2) != 0)
		goto partial;
	for (p += 2; *p == ' '; p++)
		;
	if (*p != '\0')
		goto partial;
	return xstrndup(start, (size_t)(end - start));
partial:
	*partial = 1;
	return NULL;
}

/* "B5" → 0-based row and column; -1 if not a cell reference. */
int
wb_cell_ref(const char *s, int *r, int *c)
{
	int r2, c2;

	if (s == NULL || cell_ref_parse(s, r, c, &r2, &c2) == -1 || r2 != *r || c2 != *c)
		return -1;
	return 0;
}

/* A range "B5:D6" or a cell "B5" as a range; -1 if neither. */
int
wb_range(const char *s, struct wbrange *g)
{
	return cell_ref_parse(s, &g->r1, &g->c1, &g->r2, &g->c2);
}

static char *
where_of(const struct workbook *w, int sheet, int r, int c)
{
	char col[8];

	col_name(c, col);
	return xasprintf("%s!%s!%s%d", w->shown, w->sheets[sheet].name, col, r + 1);
}

/* The merged ranges of a sheet, from its <mergeCells>. */
static void
read_merges(const xmlNode *root, struct wbrange **out, size_t *n)
{
	const xmlNode *mc = wb_child(root, "mergeCells"), *m;
	char *ref;

	*out = NULL;
	*n = 0;
	for (m = mc != NULL ? mc->children : NULL; m != NULL; m = m->next) {
		if (!wb_is(m, "mergeCell") || (ref = wb_attr(m, "ref")) == NULL)
			continue;
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		if (wb_range(ref, &(*out)[*n]) == 0)
			(*n)++;
		free(ref);
	}
}

static int
in_range(const struct wbrange *g, int r, int c)
{
	return r >= g->r1 && r <= g->r2 && c >= g->c1 && c <= g->c2;
}

/* Whether formula text f calls another program through DDE (app|topic!item), outside quotes. */
static int
is_dde(const char *f)
{
	int q = 0;

	for (; *f != '\0'; f++) {
		if (*f == '"')
			q = !q;
		else if (*f == '|' && !q)
			return 1;
	}
	return 0;
}

struct tables {
	struct workbook *w;
	struct wbrange *g;
	char **names;
	size_t n;
};

static void
table_fn(struct workbook *w, const char *type, const char *target, const char *id, void *arg)
{
	struct tables *t = arg;
	struct wbpart *p;
	xmlDoc *doc;
	char *ref, *name;

	(void)id;
	if (strcmp(type, "table") != 0 || target == NULL || (p = wb_part(w, target)) == NULL ||
	    p->xml == NULL || (doc = wb_parse(p)) == NULL)
		return;
	ref = wb_attr(xmlDocGetRootElement(doc), "ref");
	name = wb_attr(xmlDocGetRootElement(doc), "displayName");
	t->g = xreallocarray(t->g, t->n + 1, sizeof *t->g);
	t->names = xreallocarray(t->names, t->n + 1, sizeof *t->names);
	if (ref != NULL && wb_range(ref, &t->g[t->n]) == 0)
		t->names[t->n++] = name != NULL ? name : xstrdup(target);
	else
		free(name);
	free(ref);
	xmlFreeDoc(doc);
}

/* Gives every row and cell of sheetData its r, which the file may leave implicit. */
static int
number_cells(xmlNode *sheet_data)
{
	xmlNode *row, *c;
	char ref[24], col[8], *s;
	int rno = 0, cno, r, k;

	for (row = sheet_data->children; row != NULL; row = row->next) {
		if (!wb_is(row, "row"))
			continue;
		s = wb_attr(row, "r");
		if (s != NULL) {
			r = atoi(s);
			free(s);
			if (r <= rno || r > 1048576)
				return -1;
			rno = r;
		} else {
			snprintf(ref, sizeof ref, "%d", ++rno);
			xmlSetProp(row, (const xmlChar *)"r", (const xmlChar *)ref);
		}
		cno = -1;
		for (c = row->children; c != NULL; c = c->next) {
			if (!wb_is(c, "c"))
				continue;
			s = wb_attr(c, "r");
			if (s != NULL) {
				if (wb_cell_ref(s, &r, &k) == -1 || r != rno - 1 || k <= cno) {
					free(s);
					return -1;
				}
				cno = k;
				free(s);
			} else {
				col_name(++cno, col);
				snprintf(ref, sizeof ref, "%s%d", col, rno);
				xmlSetProp(c, (const xmlChar *)"r", (const xmlChar *)ref);
			}
		}
	}
	return 0;
}

/* The text a cell shows when it is a string: shared or inline. NULL for other cells. */
static char *
cell_string(const struct workbook *w, const xmlNode *c, int *rich)
{
	char *t = wb_attr(c, "t"), *s = NULL;
	const xmlNode *v;
	xmlChar *x;
	long i;

	*rich = 0;
	if (t == NULL)
		return NULL;
	if (strcmp(t, "s") == 0 && (v = wb_child(c, "v")) != NULL &&
	    (x = xmlNodeGetContent(v)) != NULL) {
		i = strtol((const char *)x, NULL, 10);
		if (i >= 0 && (size_t)i < w->nsst) {
			s = xstrdup(w->sst[i]);
			*rich = w->sst_rich[i];
		}
		xmlFree(x);
	} else if (strcmp(t, "inlineStr") == 0 && (v = wb_child(c, "is")) != NULL) {
		struct buf b = {0};

		string_text(v, &b, rich);
		s = b.p;
	}
	free(t);
	return s;
}

static void
add_place(struct workbook *w, int sheet, int r, int c, char *field, int rows)
{
	struct wbplace *p;

	w->places = xreallocarray(w->places, w->nplaces + 1, sizeof *w->places);
	p = &w->places[w->nplaces++];
	p->field = field;
	p->rows = rows;
	p->sheet = sheet;
	p->r = r;
	p->c = c;
	p->where = where_of(w, sheet, r, c);
}

/* Finds the placeholders of one sheet, and everything about them that cannot be filled. */
static void
scan_sheet(struct workbook *w, int si, struct diags *d)
{
	struct wbsheet *sh = &w->sheets[si];
	xmlNode *root = xmlDocGetRootElement(sh->doc), *sd = wb_child(root, "sheetData"), *row, *c,
	        *f, *hf;
	struct tables tb = {w, NULL, NULL, 0};
	struct wbrange *merges;
	size_t nmerges, first = w->nplaces, i, k;
	char *text, *field, *where, *ref;
	int rich, rows, partial, r, col;

	if (sd == NULL)
		return; /* no cells, so nothing to fill */
	if (number_cells(sd) == -1) {
		wdiag(w, d, "its sheet '%s' has rows or cells out of order", sh->name);
		return;
	}
	read_merges(root, &merges, &nmerges);
	each_rel(w, sh->part, d, table_fn, &tb);
	for (row = sd->children; row != NULL; row = row->next)
		for (c = wb_is(row, "row") ? row->children : NULL; c != NULL; c = c->next) {
			if (!wb_is(c, "c") || (ref = wb_attr(c, "r")) == NULL)
				continue;
			wb_cell_ref(ref, &r, &col);
			free(ref);
			if ((f = wb_child(c, "f")) != NULL) {
				xmlChar *ft = xmlNodeGetContent(f);

				if (ft != NULL && is_dde((const char *)ft)) {
					where = where_of(w, si, r, col);
					pdiag(where, d,
					      "a DDE formula, which could run a program "
					      "when the form opens; remove it");
					free(where);
				}
				xmlFree(ft);
				continue;
			}
			if ((text = cell_string(w, c, &rich)) == NULL)
				continue;
			field = placeholder(text, &rows, &partial);
			where = where_of(w, si, r, col);
			if ((field != NULL || partial) && rich)
				pdiag(where, d,
				      "the placeholder is split across runs of different fonts; "
				      "type it again in one font");
			else if (partial)
				pdiag(where, d,
				      "a placeholder must be the cell's whole text, as {{field}}: "
				      "'%s'",
				      text);
			else if (field != NULL) {
				for (k = 0; k < nmerges; k++)
					if (in_range(&merges[k], r, col) &&
					    (merges[k].r1 != r || merges[k].c1 != col))
						break;
				for (i = 0; i < tb.n; i++)
					if (in_range(&tb.g[i], r, col))
						break;
				if (k < nmerges)
					pdiag(where, d,
					      "{{%s}} is inside a merged range whose top-left cell "
					      "holds its value; put it there",
					      field);
				else if (i < tb.n)
					pdiag(where, d,
					      "{{%s}} is inside the table '%s', which cannot be "
					      "filled; put it outside the table",
					      field, tb.names[i]);
				else {
					add_place(w, si, r, col, field, rows);
					field = NULL;
				}
			}
			free(field);
			free(where);
			free(text);
		}
	if ((hf = wb_child(root, "headerFooter")) != NULL) {
		xmlChar *s = xmlNodeGetContent(hf);

		if (s != NULL && strstr((const char *)s, "{{") != NULL)
			wdiag(w, d,
			      "its sheet '%s' has a placeholder in its header or footer, which is "
			      "never filled; only cells are",
			      sh->name);
		xmlFree(s);
	}
	sh->nplaces = w->nplaces - first;
	free(merges);
	for (i = 0; i < tb.n; i++)
		free(tb.names[i]);
	free(tb.names);
	free(tb.g);
}

/* The workbook's relationships to its worksheets: id and part. */
struct sheet_rels {
	char **id, **target;
	size_t n;
};

static void
sheet_rel_fn(struct workbook *w, const char *type, const char *target, const char *id, void *arg)
{
	struct sheet_rels *r = arg;

	(void)w;
	if (strcmp(type, "worksheet") != 0 || target == NULL)
		return;
	r->id = xreallocarray(r->id, r->n + 1, sizeof *r->id);
	r->target = xreallocarray(r->target, r->n + 1, sizeof *r->target);
	r->id[r->n] = xstrdup(id);
	r->target[r->n++] = xstrdup(target);
}

/* Reads workbook.xml: its sheets, their parts, its date system. */
static int
read_workbook(struct workbook *w, struct diags *d)
{
	char *main = rel_target(w, "", "officeDocument", NULL, d), *name, *rid;
	struct sheet_rels rels = {NULL, NULL, 0};
	xmlNode *root, *sheets, *n, *pr;
	size_t cap = 0, count = 0, i;

	w->main = main != NULL ? main : xstrdup("xl/workbook.xml");
	if ((w->main_doc = parse_or_say(w, w->main, d)) == NULL)
		return -1;
	root = xmlDocGetRootElement(w->main_doc);
	if (wb_child(root, "externalReferences") != NULL) {
		wdiag(w, d, "links to other workbooks; a template must hold its own values");
		return -1;
	}
	if ((pr = wb_child(root, "workbookPr")) != NULL &&
	    (name = wb_attr(pr, "date1904")) != NULL) {
		w->date1904 = strcmp(name, "1") == 0 || strcmp(name, "true") == 0;
		free(name);
	}
	if ((sheets = wb_child(root, "sheets")) == NULL) {
		wdiag(w, d, "has no sheets");
		return -1;
	}
	for (n = sheets->children; n != NULL; n = n->next)
		if (wb_is(n, "sheet") && ++count > WB_MAX_SHEETS) {
			wdiag(w, d, "has more than %d sheets", WB_MAX_SHEETS);
			return -1;
		}
	/* The workbook's relationships are read once, not once per sheet. */
	each_rel(w, w->main, d, sheet_rel_fn, &rels);
	for (n = sheets->children; n != NULL; n = n->next) {
		struct wbsheet *sh;
		char *part = NULL;
		size_t k;

		if (!wb_is(n, "sheet"))
			continue;
		name = wb_attr(n, "name");
		rid = rel_attr(n, "id");
		for (k = 0; rid != NULL && k < rels.n && part == NULL; k++)
			if (strcmp(rels.id[k], rid) == 0)
				part = xstrdup(rels.target[k]);
		free(rid);
		if (name == NULL || part == NULL || wb_part(w, part) == NULL) {
			/* A chart sheet, or a sheet whose part is missing: nothing to fill. */
			free(name);
			free(part);
			continue;
		}
		if (w->nsheets == cap) {
			cap = cap ? cap * 2 : 4;
			w->sheets = xreallocarray(w->sheets, cap, sizeof *w->sheets);
		}
		sh = &w->sheets[w->nsheets++];
		memset(sh, 0, sizeof *sh);
		sh->name = name;
		sh->id = wb_attr(n, "sheetId");
		sh->part = part;
	}
	for (i = 0; i < rels.n; i++) {
		free(rels.id[i]);
		free(rels.target[i]);
	}
	free(rels.id);
	free(rels.target);
	return 0;
}

/* A placeholder anywhere else (a chart, a pivot table, a drawing, a comment) is never filled. */
static void
scan_other_parts(struct workbook *w, struct diags *d)
{
	size_t i, k;

	for (i = 0; i < w->nparts; i++) {
		const struct wbpart *p = &w->parts[i];

		if (p->xml == NULL || memmem(p->xml, p->xlen, "{{", 2) == NULL ||
		    ends_with(p->name, "sharedStrings.xml"))
			continue;
		for (k = 0; k < w->nsheets; k++)
			if (strcmp(w->sheets[k].part, p->name) == 0)
				break;
		if (k == w->nsheets)
			wdiag(w, d,
			      "its part %s holds a placeholder, which is never filled there (a "
			      "chart, "
			      "a pivot table, a drawing or a comment); only cells are",
			      p->name);
	}
}

/* The ledger's repeated row: every {{rows.x}} on one row of one sheet. */
static void
find_ledger_row(struct workbook *w, int ledger, struct diags *d)
{
	const struct wbplace *first = NULL;
	size_t i;

	w->lsheet = w->lrow = -1;
	for (i = 0; i < w->nplaces; i++) {
		const struct wbplace *p = &w->places[i];

		if (!p->rows)
			continue;
		if (!ledger) {
			pdiag(p->where, d,
			      "{{rows.%s}} repeats a ledger's row, and this is a form's workbook; "
			      "write {{%s}}",
			      p->field, p->field);
			continue;
		}
		if (first == NULL)
			first = p;
		else if (p->sheet != first->sheet || p->r != first->r)
			pdiag(p->where, d,
			      "{{rows.%s}} is not on the row the first {{rows.x}} is on (%s); a "
			      "ledger repeats one row",
			      p->field, first->where);
	}
	if (ledger && first == NULL) {
		wdiag(w, d,
		      "a ledger's workbook needs one row of {{rows.FIELD}} cells, repeated "
		      "once per claim; it has none");
		return;
	}
	if (first != NULL) {
		w->lsheet = first->sheet;
		w->lrow = first->r;
	}
}

/*
 * What the repeated row may not hold: a merged range reaching out of it (it could not be
 * repeated), or a shared formula (its other cells would lose their formula).
 */
static void
check_ledger_row(struct workbook *w, struct diags *d)
{
	struct wbsheet *sh;
	xmlNode *root, *sd, *row, *c, *f;
	struct wbrange *merges;
	size_t n, i;
	char *s, rr[16];
	int here;

	if (w->lsheet < 0)
		return;
	sh = &w->sheets[w->lsheet];
	root = xmlDocGetRootElement(sh->doc);
	read_merges(root, &merges, &n);
	for (i = 0; i < n; i++)
		if ((merges[i].r1 <= w->lrow && merges[i].r2 >= w->lrow) &&
		    (merges[i].r1 != w->lrow || merges[i].r2 != w->lrow)) {
			char c1[8], c2[8];

			col_name(merges[i].c1, c1);
			col_name(merges[i].c2, c2);
			wdiag(w, d,
			      "its sheet '%s' merges %s%d:%s%d across the repeated row %d, which "
			      "could not be repeated",
			      sh->name, c1, merges[i].r1 + 1, c2, merges[i].r2 + 1, w->lrow + 1);
		}
	free(merges);
	snprintf(rr, sizeof rr, "%d", w->lrow + 1);
	sd = wb_child(root, "sheetData");
	for (row = sd->children; row != NULL; row = row->next) {
		if (!wb_is(row, "row") || (s = wb_attr(row, "r")) == NULL)
			continue;
		here = strcmp(s, rr) == 0;
		free(s);
		for (c = here ? row->children : NULL; c != NULL; c = c->next)
			if ((f = wb_child(c, "f")) != NULL && (s = wb_attr(f, "t")) != NULL) {
				if (strcmp(s, "shared") == 0)
					wdiag(
					    w, d,
					    "its repeated row %d holds a shared formula (filled by "
					    "dragging); type each of its formulas in by itself",
					    w->lrow + 1);
				free(s);
			}
	}
}

static void
ledger_table_fn(struct workbook *w, const char *type, const char *target, const char *id, void *arg)
{
	(void)arg, (void)id;
	if (strcmp(type, "table") != 0 || target == NULL)
		return;
	w->tables = xreallocarray(w->tables, w->ntables + 1, sizeof *w->tables);
	w->tables[w->ntables++] = xstrdup(target);
}

static struct workbook *
load_fail(struct workbook *w)
{
	workbook_free(w);
	return NULL;
}

struct workbook *
workbook_load(const char *path, const char *shown, int ledger, struct diags *d)
{
	struct workbook *w = xcalloc(1, sizeof *w);
	size_t before = diags_errors(d, 0), i;
	struct stat st;
	int fd;

	w->shown = xstrdup(shown);
	if (ends_with(path, ".xlsm") || ends_with(path, ".XLSM")) {
		wdiag(w, d, "is a workbook with macros (.xlsm); save it as an .xlsx workbook");
		return load_fail(w);
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		wdiag(w, d, "cannot be read: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return load_fail(w);
	}
	close(fd);
	if (!S_ISREG(st.st_mode) || st.st_size > WB_MAX_FILE) {
		wdiag(w, d, "is not a regular file of at most %d MiB", WB_MAX_FILE >> 20);
		return load_fail(w);
	}
	if (read_zip(w, path, d) == -1 || check_active(w, d) == -1 || read_workbook(w, d) == -1 ||
	    read_shared_strings(w, w->main, d) == -1)
		return load_fail(w);
	for (i = 0; i < w->nsheets; i++) {
		if ((w->sheets[i].doc = parse_or_say(w, w->sheets[i].part, d)) == NULL)
			return load_fail(w);
		scan_sheet(w, (int)i, d);
	}
	scan_other_parts(w, d);
	find_ledger_row(w, ledger, d);
	check_ledger_row(w, d);
	if (diags_errors(d, 0) > before)
		return load_fail(w);
	if (w->nplaces == 0) {
		wdiag(w, d, "has no cell whose text is a placeholder such as {{case_no}}");
		return load_fail(w);
	}
	/* Only the sheets with placeholders are written anew; the others' XML is not needed. */
	for (i = 0; i < w->nsheets; i++)
		if (w->sheets[i].nplaces == 0) {
			xmlFreeDoc(w->sheets[i].doc);
			w->sheets[i].doc = NULL;
		}
	w->main_recalc = wb_recalc_main(w, &w->main_recalc_len);
	if (w->lsheet >= 0) {
		w->drawing = rel_target(w, w->sheets[w->lsheet].part, "drawing", NULL, d);
		w->calc_chain = rel_target(w, w->main, "calcChain", NULL, d);
		each_rel(w, w->sheets[w->lsheet].part, d, ledger_table_fn, w);
	}
	return w;
}

const char *
workbook_name(const struct workbook *w)
{
	return w->shown;
}

const struct wbplace *
workbook_places(const struct workbook *w, size_t *n)
{
	*n = w->nplaces;
	return w->places;
}

double
workbook_serial(const struct workbook *w, long long days)
{
	/* The 1904 date system counts from 1904-01-01, 1,462 days after the 1900 system's day 0. */
	return tf_excel_serial(days) - (w->date1904 ? 1462 : 0);
}

void
workbook_threads(void)
{
	xmlInitParser();
}

void
workbook_free(struct workbook *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nparts; i++) {
		free(w->parts[i].name);
		free(w->parts[i].raw);
		free(w->parts[i].xml);
	}
	for (i = 0; i < w->nsheets; i++) {
		free(w->sheets[i].name);
		free(w->sheets[i].id);
		free(w->sheets[i].part);
		xmlFreeDoc(w->sheets[i].doc);
	}
	for (i = 0; i < w->nplaces; i++) {
		free(w->places[i].field);
		free(w->places[i].where);
	}
	for (i = 0; i < w->nsst; i++)
		free(w->sst[i]);
	xmlFreeDoc(w->main_doc);
	free(w->main_recalc);
	free(w->sst);
	free(w->sst_rich);
	free(w->parts);
	free(w->sheets);
	free(w->places);
	free(w->main);
	free(w->drawing);
	free(w->calc_chain);
	for (i = 0; i < w->ntables; i++)
		free(w->tables[i]);
	free(w->tables);
	free(w->shown);
	free(w);
}
