/*
 * CSV writing through libcsv's csv_write2, which quotes a field and doubles its quotes. Every
 * field is quoted, so a value holding a comma, a quote or a line break survives the round trip.
 */
#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "outputs.h"
#include "rules.h"
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
add_text(const struct import_out *io, struct buf *b, const char *s, const char *column, int first,
         char **cause)
{
	size_t len, bad;
	uint32_t cp = 0;
	char *enc;

	if (encode_utf8(io->encoding, s, &enc, &len, &bad) == -1) {
		utf8_decode(s + bad, strlen(s + bad), &cp);
		*cause = xasprintf(_("%s: the character '%.*s' (U+%04X) has no code in %s, the "
		                     "import file's encoding"),
		                   column, (int)utf8_decode(s + bad, strlen(s + bad), &cp), s + bad,
		                   cp, encoding_name(io->encoding));
		return -1;
	}
	add_field(b, enc, len, first);
	free(enc);
	return 0;
}

int
export_header(const struct import_out *io, struct buf *b, char **cause)
{
	size_t i, start = b->len;

	for (i = 0; i < io->ncols; i++)
		if (add_text(io, b, io->cols[i].header, io->cols[i].header, i == 0, cause) == -1) {
			b->len = start;
			return -1;
		}
	buf_add(b, "\r\n", 2);
	return 0;
}

int
export_line(const struct import_out *io, const struct mapped *m, struct buf *b, char **cause)
{
	const struct import_col *c;
	size_t i, start = b->len;
	char *s;
	int rc;

	for (i = 0; i < io->ncols; i++) {
		c = &io->cols[i];
		if (c->format == VF_WAREKI && !c->gannen && c->field >= 0 &&
		    m->v[c->field].t == V_DATE)
			s = tf_wareki(m->rule->eras, m->v[c->field].i, 0);
		else
			s = mapped_text(m, c->field, c->format);
		rc = add_text(io, b, s != NULL ? s : "", c->header, i == 0, cause);
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

/* The output kind "import": its section, and its writer. */

const char *const import_keys[] = {"name", "encoding", "header", "columns", NULL};
const char *const import_column_keys[] = {"header", "field", "format", "gannen", NULL};

#define FLUSH_AT 65536

static void
import_free(void *conf)
{
	struct import_out *io = conf;
	size_t i;

	if (io == NULL)
		return;
	for (i = 0; i < io->ncols; i++)
		free(io->cols[i].header);
	free(io->cols);
	free(io);
}

static void
load_column(struct rule *r, struct import_col *ic, const struct ynode *c, struct diags *d)
{
	const struct ynode *v;
	const char *s;
	int x;

	ic->field = FIELD_NONE;
	ic->gannen = 1;
	if (ymap_check_keys(c, import_column_keys, "an import column", d) == -1 && c->kind != Y_MAP)
		return;
	if ((v = ymap_get(c, "header")) != NULL && yget_str(v, "header", &s, d) == 0)
		ic->header = xstrdup(s);
	if ((v = ymap_get(c, "field")) == NULL)
		ydiag(d, c, "an import column needs 'field'");
	else if (yget_str(v, "field", &s, d) == 0 && (ic->field = rule_field(r, s)) == FIELD_NONE)
		rule_no_field(r, v, s, d);
	if ((v = ymap_get(c, "format")) != NULL &&
	    yget_enum(v, "format", vformat_names(), VF_COUNT, &x, d) == 0)
		ic->format = (enum vformat)x;
	if ((v = ymap_get(c, "gannen")) != NULL)
		yget_bool(v, "gannen", &ic->gannen, d);
	if (ic->header == NULL)
		ic->header = xstrdup(rule_field_name(r, ic->field));
}

static void *
import_load(struct rule *r, const struct ynode *o, struct diags *d)
{
	struct import_out *io = xcalloc(1, sizeof *io);
	const char *words[ENC_COUNT];
	const struct ynode *v, *cols;
	size_t i;
	int x;

	io->encoding = ENC_CP932;
	io->header = 1;
	if ((v = ymap_get(o, "encoding")) != NULL &&
	    yget_enum(v, "encoding", encoding_words(words, 0), ENC_COUNT, &x, d) == 0)
		io->encoding = (enum encoding)x;
	if ((v = ymap_get(o, "header")) != NULL)
		yget_bool(v, "header", &io->header, d);
	if ((cols = ymap_get(o, "columns")) == NULL || cols->kind != Y_SEQ || cols->n == 0) {
		ydiag(d, cols != NULL ? cols : o,
		      "the import output needs 'columns': a list of {header, field}");
		return io;
	}
	io->cols = xcalloc(cols->n, sizeof *io->cols);
	for (i = 0; i < cols->n; i++)
		load_column(r, &io->cols[io->ncols++], cols->items[i], d);
	return io;
}

/* One file's import: opened with its first claim, whose fields may name it. */
struct import_state {
	const struct rule_output *ro;
	struct outfile f;
	int open;
	struct buf b;
	unsigned long lines;
};

static void *
import_open(struct outputs *o, const struct rule_output *ro)
{
	struct import_state *st = xcalloc(1, sizeof *st);

	(void)o;
	st->ro = ro;
	return st;
}

static int
flush(struct import_state *st, int force, char **cause)
{
	if (st->b.len == 0 || (!force && st->b.len < FLUSH_AT))
		return 0;
	if (out_write(&st->f, st->b.p, st->b.len, cause) == -1)
		return -1;
	st->b.len = 0;
	return 0;
}

static int
import_row(void *state, struct outputs *o, const struct mapped *m, char **cause)
{
	struct import_state *st = state;
	const struct import_out *io = st->ro->conf;
	char *name;
	int rc;

	if (!st->open) {
		name = outputs_name(&st->ro->name, m);
		rc = outputs_begin(&o->out, name, &st->f, cause);
		free(name);
		if (rc == -1)
			return -1;
		st->open = 1;
		if (io->header && export_header(io, &st->b, cause) == -1)
			return -1;
	}
	/* A character the import encoding lacks refuses the claim, before any form is made. */
	if (export_line(io, m, &st->b, cause) == -1)
		return 1;
	st->lines++;
	return flush(st, 0, cause);
}

static void
import_abort(void *state)
{
	struct import_state *st = state;

	if (st->open)
		out_abort(&st->f);
	free(st->b.p);
	free(st);
}

static int
import_close(void *state, struct outputs *o, char **cause)
{
	struct import_state *st = state;
	int rc = 0;

	if (st->open && st->lines > 0) {
		if ((rc = flush(st, 1, cause)) == 0) {
			rc = outputs_commit(o, &o->out, &st->f, cause);
			st->open = 0; /* committed or removed, either way */
		}
	}
	import_abort(st);
	return rc;
}

const struct output_kind import_kind = {
    .key = "import",
    .keys = import_keys,
    .inner_keys = import_column_keys,
    .example = "{_input}.import.csv",
    .refuses = 1,
    .load = import_load,
    .free = import_free,
    .open = import_open,
    .row = import_row,
    .close = import_close,
    .abort = import_abort,
};
