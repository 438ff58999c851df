/*
 * Rules: one form type each (rules/<name>.yaml). A rule says how to recognise its files, how to
 * read them, which fields to take from which columns with which transforms and limits, which
 * checks a claim must pass, and which outputs to produce. Loading checks every key and resolves
 * every name (fields in checks, templates and output names) so that nothing is discovered
 * missing while a claim is being processed.
 */
#ifndef FORMAGENT_RULES_H
#define FORMAGENT_RULES_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "expr.h"
#include "reader.h"
#include "template.h"
#include "transform.h"
#include "yamldoc.h"

enum ftype { FT_TEXT, FT_INT, FT_YEN, FT_DATE, FT_COUNT };

/* Pseudo-fields every rule has, usable wherever a field is named. */
#define FIELD_ROW   (-2) /* _row: the claim's row in the input, as Excel numbers it */
#define FIELD_INPUT (-3) /* _input: the input file's name without its extension */
#define FIELD_NONE  (-1)

#define MAX_TRANSFORMS 8
/*
 * OCR's confidence (0 to 100) a reading needs to be paid without a person looking at it, unless
 * the rule says otherwise. Tesseract gives 90 and more to clean print; the characters it misreads
 * mostly come well below 80.
 */
#define RULE_MIN_CONFIDENCE 80

struct field_def {
	char *name;
	char *from;  /* the column header */
	char *label; /* how reasons name it; the column header when not given */
	enum ftype type;
	int transforms[MAX_TRANSFORMS];
	size_t ntransforms;
	int required;
	int audit;
	regex_t pattern;
	char *pattern_src;
	int has_min, has_max;
	int64_t min, max;  /* values for numbers and dates (days), characters for text */
	int lookup;        /* index into the rule's lookups, or -1 */
	struct expr *expr; /* a computed field: its expression (from is NULL) */
	int *uses;         /* with expr: per field, 1 when the expression reads it */
	/*
	 * In a text rule (input format text), where the value is found on the page: after a
	 * printed label (after), or as the first group of a regular expression (finder_src). from
	 * then holds the label, or the field's name, to name it in reasons.
	 */
	char *after;
	regex_t finder;
	char *finder_src;
	/* Or inside a rectangle of a page (area): page 1-based, the rest in mm from its top left.
	 */
	int area_page;
	double area_x, area_y, area_w, area_h;
	char *area_label;   /* or NULL: x and y are from this printed label's top right corner */
	int min_confidence; /* below it, OCR's reading goes to review; -1: the rule's */
	int line, col;
};

/*
 * What a rule reads: an export's rows, or scanned claims: a scanner's OCR text, a PDF (its text
 * layer, or its pages read by OCR when it has none) or an image read by OCR. The three scanned
 * kinds are told apart by the file's first bytes, so a rule for one takes the others too; the
 * finders work on all of them the same way.
 */
enum rinput { IN_CSV, IN_TEXT, IN_PDF, IN_IMAGE };

/* A code table: a value as the export writes it, and what the case-management system wants. */
struct lookup {
	char *name;
	char **keys, **vals;
	size_t n;
};

struct check_def {
	struct expr *expr;
	char *src;
	char *message; /* may hold {field} placeholders */
	int *uses;     /* per field: 1 when the check reads it */
	int line, col;
};

/* How a value is written as text (import CSV, file names). */
enum vformat { VF_AUTO, VF_ISO, VF_WAREKI, VF_YMD, VF_SLASH, VF_GROUPED, VF_COUNT };

/* A file-name pattern: literal parts and fields, "transport-{case_no}-{visit_on}.xlsx". */
struct name_part {
	char *lit; /* literal text, or NULL for a field */
	int field;
};
struct name_pattern {
	struct name_part *parts;
	size_t n;
};

struct output_kind; /* outputs.h: the table of kinds */

/* One output a rule asks for (a section of its outputs). */
struct rule_output {
	const struct output_kind *kind;
	struct name_pattern name;
	void *conf; /* the kind's own settings: made by its load(), freed by its free() */
};

struct rule {
	char *name; /* the file name without .yaml */
	char *path;
	char *title;
	char version[65];        /* SHA-256 of the rule file and its templates' files, as loaded */
	const struct eras *eras; /* the configuration's era table (borrowed) */
	char **globs;
	size_t nglobs;
	int match_line, match_col; /* where 'match' is, for advice about it */
	char **header;             /* columns a file must have to be this rule's */
	size_t nheader;
	enum encoding encoding;
	enum rinput input;
	/* Scanned claims: */
	int per_page;        /* one claim per page, not per file */
	int min_confidence;  /* 0 to 100: OCR's readings below it go to review */
	char **replace_from; /* known misreadings of this form's print, put right before */
	char **replace_to;   /* finding (input.replace) */
	size_t nreplace;
	struct field_def *fields;
	size_t nfields;
	struct check_def *checks;
	size_t nchecks;
	struct lookup *lookups;
	size_t nlookups;
	int created_field; /* a date field: the workbooks' creation time, for reproducible bytes */
	/*
	 * What makes two claims the same payment (claim: {kind, key}): rules that describe the same
	 * payments share a kind, and the key's fields, after every transform, name one payment.
	 * claim_kind is NULL when the rule has no claim section.
	 */
	char *claim_kind;
	int *claim_key; /* field indexes */
	size_t nclaim_key;
	int claim_amount; /* claim: {amount: FIELD}: what a claim pays, or FIELD_NONE */

	struct rule_output *outputs; /* in the order of the table of kinds */
	size_t noutputs;
	int line_outputs, col_outputs;
};

/* Loads one rule; NULL with every problem in d. Free with rule_free(). */
struct rule *rule_load(const char *path, const struct eras *eras, struct diags *d);
void rule_free(struct rule *r);
/*
 * Resolves the templates a rule names among templates[n] and binds their fields. Returns 0, or
 * -1 with the problems (at the rule's or the template's positions) in d. A template whose file
 * is in templates_dir but did not load is not reported again: its own problems say why.
 */
int rule_resolve(struct rule *r, struct template *const *templates, size_t n,
                 const char *templates_dir, struct diags *d);

/* Computes r->version from the files' bytes; -1 (with a problem in d) if one cannot be read. */
int rule_version(struct rule *r, struct diags *d);

/* The rule's output of this kind, or NULL when it has none. */
const struct rule_output *rule_output(const struct rule *r, const struct output_kind *kind);
/* Reports name as no field of r (with the fields it has) at at. */
void rule_no_field(const struct rule *r, const struct ynode *at, const char *name, struct diags *d);

/* The index of the field called name (or a pseudo-field), or FIELD_NONE. */
int rule_field(const struct rule *r, const char *name);
/* The field's name for messages, including the pseudo-fields. */
const char *rule_field_name(const struct rule *r, int field);

const char *ftype_name(enum ftype t);
const char *vformat_name(enum vformat f);
/* The words of the formats, VF_COUNT of them, for yget_enum(). */
const char *const *vformat_names(void);
/*
 * The encodings' words into w (ENC_COUNT of them, for yget_enum()): "auto" among them only with
 * with_auto. Returns w.
 */
const char *const *encoding_words(const char **w, int with_auto);

/* Keys the loader accepts, per section, NULL-terminated: for docs and tests. */
extern const char *const rule_keys[];
extern const char *const rule_match_keys[];
extern const char *const rule_input_keys[];
extern const char *const rule_field_keys[];
extern const char *const rule_area_keys[];
extern const char *const rule_check_keys[];
extern const char *const rule_claim_keys[];
extern const char *const rule_lookup_keys[];

#endif
