/*
 * YAML documents as a small tree whose every node remembers its file, line and column, so the
 * schema checkers (config.c, rules.c, template.c) can point at the exact key or value that is
 * wrong. This room knows YAML, not what any key means. Anchors and aliases are refused (a rule
 * has no use for them, and they are how "billion laughs" documents explode), and depth and size
 * are bounded.
 */
#ifndef FORMAGENT_YAMLDOC_H
#define FORMAGENT_YAMLDOC_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum ynode_kind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ynode_kind kind;
	const char *file; /* shared with the document; valid while the root lives */
	int line, col;    /* 1-based */
	char *value;      /* Y_SCALAR: the text */
	int quoted;       /* Y_SCALAR: written in quotes or as a block, so never a number or bool */
	size_t n;         /* Y_SEQ: items; Y_MAP: pairs */
	struct ynode **items; /* Y_SEQ: n items; Y_MAP: 2n nodes, key then value */
	size_t nitems;        /* the length of items, even while a mapping is half built */
};

#define YDOC_MAX_DEPTH 32
#define YDOC_MAX_NODES 100000
#define YDOC_MAX_BYTES (4 * 1024 * 1024)

/*
 * Parses the file at path (one document). Returns the root, or NULL with the problems added to d.
 * Free with ydoc_free().
 */
struct ynode *ydoc_load(const char *path, struct diags *d);
/* The same over len bytes in memory; name stands for the file in positions. */
struct ynode *ydoc_load_mem(const char *name, const char *buf, size_t len, struct diags *d);
void ydoc_free(struct ynode *root);
/*
 * A document's name: path without its folder and its final ".yaml" (rules/transport.yaml is
 * transport), written into buf of len bytes, which is returned.
 */
const char *ydoc_name(const char *path, char *buf, size_t len);

/* The kind as a word for messages: "a string", "a list", "a mapping". */
const char *ynode_kind_name(const struct ynode *n);

/* Map access: the value under key, or NULL. */
const struct ynode *ymap_get(const struct ynode *map, const char *key);
#define YMAP_KEY(m, i) ((m)->items[2 * (i)])
#define YMAP_VAL(m, i) ((m)->items[2 * (i) + 1])

/*
 * Checks map is a mapping whose keys are all in known (NULL-terminated), none repeated. An
 * unknown key is reported with the nearest known key when one is close. Returns 0 if all is well,
 * -1 if anything was reported.
 */
int ymap_check_keys(const struct ynode *map, const char *const *known, const char *what,
                    struct diags *d);

/*
 * Typed scalar access. Each returns 0 and sets *out, or -1 after reporting at the node what was
 * expected ("expected an integer for 'size', got a list").
 */
int yget_str(const struct ynode *n, const char *what, const char **out, struct diags *d);
int yget_int(const struct ynode *n, const char *what, int64_t min, int64_t max, int64_t *out,
             struct diags *d);
int yget_double(const struct ynode *n, const char *what, double min, double max, double *out,
                struct diags *d);
int yget_bool(const struct ynode *n, const char *what, int *out, struct diags *d);
/*
 * One of nwords words (a NULL among them is a hole, never matched): *out gets its index. An
 * unknown word is reported with the nearest one, or with the whole list.
 */
int yget_enum(const struct ynode *n, const char *what, const char *const *words, size_t nwords,
              int *out, struct diags *d);
/* The words of a NULL-terminated array, for yget_enum. */
#define YWORDS(a) (sizeof(a) / sizeof *(a)-1)

/* Reports a problem at node n. */
void ydiag(struct diags *d, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
