/*
 * Builds the position-keeping YAML tree from libyaml's event stream. libyaml returns 1 for
 * success; that convention stops here (STYLE.md 3): everything above sees 0 / -1 and diagnostics.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "xmalloc.h"
#include "yamldoc.h"

struct builder {
	yaml_parser_t parser;
	const char *file;
	struct diags *d;
	size_t nodes;
	int failed;
};

static struct ynode *
node_new(struct builder *b, enum ynode_kind kind, const yaml_mark_t *m)
{
	struct ynode *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->file = b->file;
	n->line = (int)m->line + 1; /* libyaml's marks are 0-based */
	n->col = (int)m->column + 1;
	b->nodes++;
	return n;
}

static void
node_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nitems; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

static int
next_event(struct builder *b, yaml_event_t *ev)
{
	const yaml_mark_t *m;

	if (yaml_parser_parse(&b->parser, ev) == 1)
		return 0;
	m = b->parser.problem != NULL ? &b->parser.problem_mark : &b->parser.context_mark;
	diags_add(b->d, b->file, (int)m->line + 1, (int)m->column + 1, "%s%s%s",
	          b->parser.problem != NULL ? b->parser.problem : "invalid YAML",
	          b->parser.context != NULL ? " " : "",
	          b->parser.context != NULL ? b->parser.context : "");
	b->failed = 1;
	return -1;
}

/* Builds the node that starts with ev (already taken); NULL on error. */
static struct ynode *
build(struct builder *b, yaml_event_t *ev, int depth)
{
	struct ynode *n, *child;
	yaml_event_t sub;
	size_t cap = 0, count;
	yaml_event_type_t end;

	if (depth > YDOC_MAX_DEPTH) {
		diags_add(b->d, b->file, (int)ev->start_mark.line + 1,
		          (int)ev->start_mark.column + 1, "nesting deeper than %d levels",
		          YDOC_MAX_DEPTH);
		return NULL;
	}
	if (b->nodes >= YDOC_MAX_NODES) {
		diags_add(b->d, b->file, (int)ev->start_mark.line + 1,
		          (int)ev->start_mark.column + 1, "more than %d values in one file",
		          YDOC_MAX_NODES);
		return NULL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		diags_add(
		    b->d, b->file, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
		    "aliases (*%s) are not supported: write the value out", ev->data.alias.anchor);
		return NULL;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor != NULL) {
			diags_add(b->d, b->file, (int)ev->start_mark.line + 1,
			          (int)ev->start_mark.column + 1, "anchors (&%s) are not supported",
			          ev->data.scalar.anchor);
			return NULL;
		}
		n = node_new(b, Y_SCALAR, &ev->start_mark);
		n->value = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (strlen(n->value) != ev->data.scalar.length) {
			ydiag(b->d, n, "a NUL character inside a value");
			node_free(n);
			return NULL;
		}
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if ((ev->type == YAML_SEQUENCE_START_EVENT
		         ? ev->data.sequence_start.anchor
		         : ev->data.mapping_start.anchor) != NULL) {
			diags_add(b->d, b->file, (int)ev->start_mark.line + 1,
			          (int)ev->start_mark.column + 1, "anchors are not supported");
			return NULL;
		}
		n = node_new(b, ev->type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP,
		             &ev->start_mark);
		end = ev->type == YAML_SEQUENCE_START_EVENT ? YAML_SEQUENCE_END_EVENT
		                                            : YAML_MAPPING_END_EVENT;
		count = 0;
		for (;;) {
			if (next_event(b, &sub) == -1) {
				node_free(n);
				return NULL;
			}
			if (sub.type == end) {
				yaml_event_delete(&sub);
				break;
			}
			child = build(b, &sub, depth + 1);
			yaml_event_delete(&sub);
			if (child == NULL) {
				node_free(n);
				return NULL;
			}
			xgrow(&n->items, &cap, count, sizeof *n->items);
			n->items[count++] = child;
			n->nitems = count;
			if (n->kind == Y_MAP && child->kind != Y_SCALAR && count % 2 == 1) {
				ydiag(b->d, child, "a key must be a plain word, not %s",
				      ynode_kind_name(child));
				node_free(n);
				return NULL;
			}
		}
		n->n = n->kind == Y_MAP ? count / 2 : count;
		return n;
	default:
		diags_add(b->d, b->file, (int)ev->start_mark.line + 1,
		          (int)ev->start_mark.column + 1, "unexpected YAML event");
		return NULL;
	}
}

struct ynode *
ydoc_load_mem(const char *name, const char *buf, size_t len, struct diags *d)
{
	struct builder b;
	yaml_event_t ev;
	struct ynode *root = NULL;
	char *file;
	size_t before = d->n;

	memset(&b, 0, sizeof b);
	file = xstrdup(name);
	b.file = file;
	b.d = d;
	if (yaml_parser_initialize(&b.parser) != 1) {
		diags_add(d, name, 0, 0, "cannot initialise the YAML parser");
		free(file);
		return NULL;
	}
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);
	/* Stream start, document start, the root node, document end, stream end. */
	while (next_event(&b, &ev) == 0) {
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (root != NULL) {
				diags_add(d, name, (int)ev.start_mark.line + 1,
				          (int)ev.start_mark.column + 1,
				          "a second document in one file (remove the '---')");
				yaml_event_delete(&ev);
				break;
			}
			yaml_event_delete(&ev);
			continue;
		}
		root = build(&b, &ev, 0);
		yaml_event_delete(&ev);
		if (root == NULL)
			break;
	}
	yaml_parser_delete(&b.parser);
	if (d->n != before) {
		node_free(root);
		free(file);
		return NULL;
	}
	if (root == NULL) {
		diags_add(d, name, 1, 1, "the file is empty");
		free(file);
		return NULL;
	}
	return root;
}

struct ynode *
ydoc_load(const char *path, struct diags *d)
{
	struct ynode *root;
	struct stat st;
	char *buf;
	ssize_t r;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		diags_add(d, path, 0, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		diags_add(d, path, 0, 0, "not a regular file");
		close(fd);
		return NULL;
	}
	if (st.st_size > YDOC_MAX_BYTES) {
		diags_add(d, path, 0, 0, "larger than %d bytes", YDOC_MAX_BYTES);
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			diags_add(d, path, 0, 0, "cannot read: %s",
			          r == 0 ? "file shrank while reading" : strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		off += (size_t)r;
	}
	close(fd);
	root = ydoc_load_mem(path, buf, off, d);
	free(buf);
	return root;
}

void
ydoc_free(struct ynode *root)
{
	const char *file;

	if (root == NULL)
		return;
	file = root->file;
	node_free(root);
	free((char *)file);
}

const char *
ynode_kind_name(const struct ynode *n)
{
	switch (n->kind) {
	case Y_SCALAR:
		return "a single value";
	case Y_SEQ:
		return "a list";
	case Y_MAP:
		return "a mapping";
	}
	return "?";
}

const struct ynode *
ymap_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->kind != Y_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(YMAP_KEY(map, i)->value, key) == 0)
			return YMAP_VAL(map, i);
	return NULL;
}

int
ymap_check_keys(const struct ynode *map, const char *const *known, const char *what,
                struct diags *d)
{
	const struct ynode *k;
	const char *near;
	size_t i, j;
	int bad = 0, found;

	if (map->kind != Y_MAP) {
		ydiag(d, map, "expected a mapping for %s, got %s", what, ynode_kind_name(map));
		return -1;
	}
	for (i = 0; i < map->n; i++) {
		k = YMAP_KEY(map, i);
		for (found = 0, j = 0; known[j] != NULL; j++)
			if (strcmp(k->value, known[j]) == 0)
				found = 1;
		if (!found) {
			if ((near = diag_nearest(k->value, known)) != NULL)
				ydiag(d, k, "unknown key '%s' in %s: did you mean '%s'?", k->value,
				      what, near);
			else
				ydiag(d, k, "unknown key '%s' in %s", k->value, what);
			bad = 1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(k->value, YMAP_KEY(map, j)->value) == 0) {
				ydiag(d, k, "key '%s' repeated (first at line %d)", k->value,
				      YMAP_KEY(map, j)->line);
				bad = 1;
				break;
			}
	}
	return bad ? -1 : 0;
}

void
ydiag(struct diags *d, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_addv(d, 0, n->file, n->line, n->col, fmt, ap);
	va_end(ap);
}

static int
want_scalar(const struct ynode *n, const char *what, const char *type, struct diags *d)
{
	if (n->kind == Y_SCALAR)
		return 0;
	ydiag(d, n, "expected %s for '%s', got %s", type, what, ynode_kind_name(n));
	return -1;
}

int
yget_str(const struct ynode *n, const char *what, const char **out, struct diags *d)
{
	if (want_scalar(n, what, "a string", d) == -1)
		return -1;
	*out = n->value;
	return 0;
}

int
yget_int(const struct ynode *n, const char *what, int64_t min, int64_t max, int64_t *out,
         struct diags *d)
{
	long long v;
	char *end;

	if (want_scalar(n, what, "an integer", d) == -1)
		return -1;
	errno = 0;
	v = strtoll(n->value, &end, 10);
	if (n->quoted || n->value[0] == '\0' || *end != '\0' || errno == ERANGE) {
		ydiag(d, n, "expected an integer for '%s', got '%s'", what, n->value);
		return -1;
	}
	if (v < min || v > max) {
		ydiag(d, n, "'%s' must be between %" PRId64 " and %" PRId64 ", got %lld", what, min,
		      max, v);
		return -1;
	}
	*out = v;
	return 0;
}

int
yget_double(const struct ynode *n, const char *what, double min, double max, double *out,
            struct diags *d)
{
	double v;
	char *end;

	if (want_scalar(n, what, "a number", d) == -1)
		return -1;
	errno = 0;
	v = strtod(n->value, &end);
	if (n->quoted || n->value[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v)) {
		ydiag(d, n, "expected a number for '%s', got '%s'", what, n->value);
		return -1;
	}
	if (v < min || v > max) {
		ydiag(d, n, "'%s' must be between %g and %g, got %g", what, min, max, v);
		return -1;
	}
	*out = v;
	return 0;
}

int
yget_bool(const struct ynode *n, const char *what, int *out, struct diags *d)
{
	if (want_scalar(n, what, "true or false", d) == -1)
		return -1;
	if (!n->quoted && strcmp(n->value, "true") == 0)
		*out = 1;
	else if (!n->quoted && strcmp(n->value, "false") == 0)
		*out = 0;
	else {
		ydiag(d, n, "expected true or false for '%s', got '%s'", what, n->value);
		return -1;
	}
	return 0;
}

const char *
ydoc_name(const char *path, char *buf, size_t len)
{
	const char *b = strrchr(path, '/');
	size_t n;

	snprintf(buf, len, "%s", b != NULL ? b + 1 : path);
	n = strlen(buf);
	if (n > 5 && strcmp(buf + n - 5, ".yaml") == 0)
		buf[n - 5] = '\0';
	return buf;
}

int
yget_enum(const struct ynode *n, const char *what, const char *const *words, size_t nwords,
          int *out, struct diags *d)
{
	const char *s, *near;
	size_t i;

	if (yget_str(n, what, &s, d) == -1)
		return -1;
	for (i = 0; i < nwords; i++)
		if (words[i] != NULL && strcmp(s, words[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	{
		const char **list = xcalloc(nwords + 1, sizeof *list);
		size_t k = 0;

		for (i = 0; i < nwords; i++)
			if (words[i] != NULL)
				list[k++] = words[i];
		near = diag_nearest(s, list);
		if (near != NULL)
			ydiag(d, n, "'%s' is not a valid %s: did you mean '%s'?", s, what, near);
		else {
			char buf[256] = "";

			for (i = 0; i < k; i++) {
				strncat(buf, i > 0 ? ", " : "", sizeof buf - strlen(buf) - 1);
				strncat(buf, list[i], sizeof buf - strlen(buf) - 1);
			}
			ydiag(d, n, "'%s' is not a valid %s (one of: %s)", s, what, buf);
		}
		free(list);
	}
	return -1;
}
