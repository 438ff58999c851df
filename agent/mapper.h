/*
 * One record × one rule → the rule's fields as typed values, or every reason the record fails:
 * a missing or undecodable column, a value that is not a date or an amount, a limit, a pattern,
 * a check. Nothing here touches files or workbooks.
 */
#ifndef FORMAGENT_MAPPER_H
#define FORMAGENT_MAPPER_H

#include <stddef.h>

#include "reader.h"
#include "rules.h"
#include "value.h"

/*
 * What kind of reason a row was refused for: all the audit log keeps of it, since a reason's
 * text may quote a value (a name that slipped into an audited column, say).
 */
enum map_fault {
	MF_EMPTY,    /* a required value is empty */
	MF_FORM,     /* not a date, amount or number, or not in the expected form */
	MF_ENCODING, /* a byte not valid in the file's encoding, or a control character */
	MF_RANGE,    /* below the lowest or above the highest allowed */
	MF_TABLE,    /* not in the lookup table */
	MF_CHECK,    /* a check of the rule failed */
	MF_ROW,      /* the row as a whole: its columns do not fit the header */
	MF_DOUBT,    /* a scanned value not read surely enough */
	MF_PAID,     /* the claim was paid before, with the same values */
	MF_CONFLICT, /* the claim was paid before, with other values */
	MF_OUTPUT,   /* an output cannot take the value (a character the import encoding lacks) */
	MF_COUNT
};

/* The kind's name in the audit log ("empty", "form", ...). */
const char *map_fault_name(enum map_fault k);

struct map_error {
	enum map_fault kind;
	int field;     /* the field it concerns, or FIELD_NONE for the whole row */
	char *column;  /* the column header as the file has it, or NULL */
	char *value;   /* the value as read (UTF-8), or NULL */
	char *message; /* lowercase, for the reason file */
	int check;     /* the index of the rule's check that failed, or -1 */
};

struct mapped {
	const struct rule *rule;
	unsigned long row;
	const char *input; /* the input's name without extension: borrowed */
	struct value *v;   /* one per rule field */
	struct map_error *errs;
	size_t nerrs, caperrs;
};

/* Where each field's column is in a file: built once from the header row. */
struct binding {
	size_t *col;  /* per field */
	size_t ncols; /* columns in the header */
};

/*
 * Decodes the header names (UTF-8, trimmed) into *names (caller frees with names_free). Returns 0,
 * or -1 with *cause when a header cell is not valid in the encoding.
 */
int header_names(const struct record *hdr, struct decoder *dc, char ***names, char **cause);
void names_free(char **names, size_t n);
/* Whether the header has every column of the rule's match.header; *missing names the first absent.
 */
int rule_header_matches(const struct rule *r, char *const *names, size_t n, const char **missing);
/* Binds the rule's fields to columns; -1 with *cause naming a missing or repeated column. */
int mapper_bind(const struct rule *r, char *const *names, size_t n, struct binding *b,
                char **cause);
void binding_clear(struct binding *b);

/* Maps rec into m (zeroed or cleared before); m->nerrs says whether the row is rejected. */
void mapper_map(const struct rule *r, const struct binding *b, const struct record *rec,
                struct decoder *dc, const char *input, struct mapped *m);
/*
 * Adds a reason of kind the row is rejected: about field (or FIELD_NONE), naming column and
 * value (both copied, either may be NULL); message is taken and freed with m.
 */
void mapper_add_error(struct mapped *m, enum map_fault kind, int field, const char *column,
                      const char *value, char *message);
/* Releases values and errors; m can be mapped again. */
void mapped_clear(struct mapped *m);
/* Releases everything mapper_map() allocated. */
void mapped_free(struct mapped *m);
/*
 * The claim's key: its rule's claim kind, then each key field's value as the audit log writes it
 * (dates as 2024-04-01, numbers plain), separated by '|' and with '|' and '\\' in values
 * escaped, so 令和6年4月1日 and R6.4.1 give one key. NULL when the rule has no claim section.
 * Caller frees.
 */
char *mapped_claim_key(const struct mapped *m);
/* A deep copy of src into dst (free with mapped_free()); dst->input stays borrowed from src's. */
void mapped_copy(struct mapped *dst, const struct mapped *src);

/* A field (or pseudo-field) as text in the given format; NULL when empty. Caller frees. */
char *mapped_text(const struct mapped *m, int field, enum vformat f);

#endif
