/*
 * Which rule takes a file: for an export, the first rule whose globs take its name and whose
 * columns its header has, with the reason each other rule declined; for a scanned claim, the first
 * scanned-claim rule whose globs take its name. `--rule` forces one.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "i18n.h"
#include "mapper.h"
#include "match.h"
#include "xmalloc.h"

const struct rule *
match_export(const struct config *c, const char *forced, const char *name, const struct record *hdr,
             enum encoding sniffed, struct decoder **dcp, char ***names, char **cause)
{
	struct buf why = {0};
	const struct rule *r;
	const char *missing;
	struct decoder *dc;
	char *line, **hn = NULL;
	size_t i, j;
	int globbed;

	for (i = 0; i < c->nrules; i++) {
		r = c->rules[i];
		if (r->input != IN_CSV || (forced != NULL && strcmp(forced, r->name) != 0))
			continue;
		globbed = r->nglobs == 0 || forced != NULL;
		for (j = 0; j < r->nglobs && !globbed; j++)
			/* Windows does not care about case: TRANSPORT-2024-04.CSV is a *.csv. */
			if (fnmatch(r->globs[j], name, FNM_CASEFOLD) == 0)
				globbed = 1;
		if (!globbed) {
			line = xasprintf(_("%s rule %s: the file name does not match %s%s"),
			                 why.len ? ";" : "", r->name, r->globs[0],
			                 r->nglobs > 1 ? _(" (or its other globs)") : "");
			buf_add(&why, line, strlen(line));
			free(line);
			continue;
		}
		dc = decoder_new(r->encoding == ENC_AUTO ? sniffed : r->encoding);
		if (header_names(hdr, dc, &hn, cause) == -1) {
			decoder_free(dc);
			free(why.p);
			return NULL;
		}
		if (!rule_header_matches(r, hn, hdr->n, &missing)) {
			line = xasprintf(_("%s rule %s: the header has no column '%s'"),
			                 why.len ? ";" : "", r->name, missing);
			buf_add(&why, line, strlen(line));
			free(line);
			names_free(hn, hdr->n);
			decoder_free(dc);
			continue;
		}
		*dcp = dc;
		*names = hn;
		free(why.p);
		return r;
	}
	if (forced != NULL && why.len == 0)
		*cause = xasprintf(_("there is no rule named '%s'"), forced);
	else
		*cause = xasprintf(_("no rule accepts this file:%s"),
		                   why.p != NULL ? why.p : _(" no rules"));
	free(why.p);
	return NULL;
}

const struct rule *
match_scanned(const struct config *c, const char *forced, const char *name)
{
	const struct rule *r;
	size_t i, j;

	for (i = 0; i < c->nrules; i++) {
		r = c->rules[i];
		if (r->input == IN_CSV)
			continue;
		if (forced != NULL) {
			if (strcmp(forced, r->name) == 0)
				return r;
			continue;
		}
		for (j = 0; j < r->nglobs; j++)
			if (fnmatch(r->globs[j], name, FNM_CASEFOLD) == 0)
				return r;
	}
	return NULL;
}
