/*
 * Choosing the rule for a file, by its name and (for an export) its header row, or the rule
 * forced by name. Nothing here reads a file: the pipeline hands in what it read.
 */
#ifndef FORMAGENT_MATCH_H
#define FORMAGENT_MATCH_H

#include "config.h"
#include "reader.h"

/*
 * The export rule for a file called name whose header row is hdr (sniffed: the encoding the file
 * looks like), or the rule forced (NULL: none). On a match, *dc gets the decoder of the rule's
 * encoding and *names the header's column names (free both: decoder_free(), names_free() with
 * hdr->n). NULL with *cause when no rule takes it, naming why each declined.
 */
const struct rule *match_export(const struct config *c, const char *forced, const char *name,
                                const struct record *hdr, enum encoding sniffed,
                                struct decoder **dc, char ***names, char **cause);
/* The scanned-claim rule that takes a file of this name (or the one forced), or NULL. */
const struct rule *match_scanned(const struct config *c, const char *forced, const char *name);

#endif
