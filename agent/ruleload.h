/*
 * The rule loader's rooms, called by rule_load() (rules.c): the scan finders (rulescan.c), the
 * code tables (rulelookup.c) and the outputs (ruleout.c). Private to the loader.
 */
#ifndef FORMAGENT_RULELOAD_H
#define FORMAGENT_RULELOAD_H

#include "diag.h"
#include "rules.h"
#include "yamldoc.h"

/* A text rule's field: where on the page it is found (after, find or area). */
void rule_load_finder(struct rule *r, struct field_def *f, const struct ynode *m, struct diags *d);
/* input.replace: {MISREAD: RIGHT, ...}; m may be NULL. */
void rule_load_replace(struct rule *r, const struct ynode *m, struct diags *d);
/* The lookups section; m may be NULL. */
void rule_load_lookups(struct rule *r, const struct ynode *m, struct diags *d);
/* The outputs section. */
void rule_load_outputs(struct rule *r, const struct ynode *m, struct diags *d);
/* Frees the rule's outputs and their settings. */
void rule_outputs_free(struct rule *r);

#endif
