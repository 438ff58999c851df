/*
 * CSV writing through libcsv's csv_write2, which quotes a field and doubles its quotes. Every
 * field is quoted, so a value holding a comma, a quote or a line break survives the round trip.
 */
#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "transform.h"
#include "utf8.h"
#include "i18n.h"
#include "xmalloc.h"

static void
add_field(struct buf *b, const char *p, size_t n, int first)
{
	size_t need;
	char *q;

	if (!first)
		buf_add(b, ",", 1);
	need = csv_write2(NULL, 0, p, n, '"');
	q = xmalloc(need + 1);
	csv_write2(q, need, p, n, '"');
	buf_add(b, q, need);
	free(q);
}

/* Encodes s into the rule's import encoding and adds it as a field. */
static int
add_text(const struct rule *r, struct buf *b, const char *s, const char *column, int first,
         char **cause)
{
	size_t len, bad;
	uint32_t cp = 0;
	char *enc;

	if (encode_utf8(r->import_encoding, s, &enc, &len, &bad) == -1) {
		utf8_decode(s + bad, strlen(s + bad), &cp);
		*cause = xasprintf(_("%s: the character '%.*s' (U+%04X) has no code in %s, the "
		                     "import file's encoding"),
		                   column, (int)utf8_decode(s + bad, strlen(s + bad), &cp), s + bad,
		                   cp, encoding_name(r->import_encoding));
		return -1;
	}
	add_field(b, enc, len, first);
	free(enc);
	return 0;
}

int
export_header(const struct rule *r, struct buf *b, char **cause)
{
	size_t i, start = b->len;

	for (i = 0; i < r->nimport; i++)
		if (add_text(r, b, r->import_cols[i].header, r->import_cols[i].header, i == 0,
		             cause) == -1) {
			b->len = start;
			return -1;
		}
	buf_add(b, "\r\n", 2);
	return 0;
}

int
export_line(const struct rule *r, const struct mapped *m, struct buf *b, char **cause)
{
	const struct import_col *c;
	size_t i, start = b->len;
	char *s;
	int rc;

	for (i = 0; i < r->nimport; i++) {
		c = &r->import_cols[i];
		if (c->format == VF_WAREKI && !c->gannen && c->field >= 0 &&
		    m->v[c->field].t == V_DATE)
			s = tf_wareki(r->eras, m->v[c->field].i, 0);
		else
			s = mapped_text(m, c->field, c->format);
		rc = add_text(r, b, s != NULL ? s : "", c->header, i == 0, cause);
		free(s);
		if (rc == -1) {
			b->len = start;
			if (b->p != NULL)
				b->p[start] = '\0';
			return -1;
		}
	}
	buf_add(b, "\r\n", 2);
	return 0;
}

void
export_raw(const struct record *rec, struct buf *b)
{
	size_t i;

	for (i = 0; i < rec->n; i++)
		add_field(b, rec->f[i].p, rec->f[i].len, i == 0);
	buf_add(b, "\r\n", 2);
}
