/*
 * Scanned claims through the pipeline: a scanner's OCR text, a PDF or an image read into text
 * with places (scanread.c), each claim's fields found (scan.c), then mapped and checked like an
 * export's row. A claim with a field missing or in doubt makes no form: it waits in review with a
 * .review.txt naming each doubt (review.c writes its lines), until a correction file settles it.
 */
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "mapper.h"
#include "preview.h"
#include "record.h"
#include "run.h"
#include "scan.h"
#include "scanread.h"
#include "xmalloc.h"

/* Whether m already has an error about field i, or about a field read from i's label. */
static int
has_doubt(const struct rule *r, const struct mapped *m, size_t i)
{
	size_t k;
	int f;

	for (k = 0; k < m->nerrs; k++) {
		f = m->errs[k].field;
		if (f == (int)i)
			return 1;
		/* Two fields read from one label (交通機関 and its code) make one doubt. */
		if (f >= 0 && r->fields[f].after != NULL && r->fields[i].after != NULL &&
		    strcmp(r->fields[f].after, r->fields[i].after) == 0)
			return 1;
	}
	return 0;
}

/*
 * What the page leaves in doubt beyond a value's own errors: on a page read by OCR, a printed
 * label not found (that part of the page could not be read, so an empty field cannot be told
 * from a lost one), and a field read with less confidence than the rule asks.
 */
static void
add_doubts(const struct rule *r, const struct scanned *sc, const struct found *found,
           struct mapped *m)
{
	size_t i;
	int min, ocr = 0, p;

	for (p = 0; p < sc->npages; p++)
		ocr |= sc->ocr[p];
	for (i = 0; i < r->nfields; i++) {
		min = r->fields[i].min_confidence >= 0 ? r->fields[i].min_confidence
		                                       : r->min_confidence;
		if (has_doubt(r, m, i))
			continue;
		if (found[i].value == NULL && r->fields[i].after != NULL && ocr)
			mapper_add_error(m, MF_DOUBT, (int)i, r->fields[i].from, NULL,
			                 xasprintf(_("%s cannot be read"), r->fields[i].label));
		else if (found[i].value != NULL && found[i].value[0] != '\0' &&
		         found[i].conf < (float)min)
			mapper_add_error(m, MF_DOUBT, (int)i, r->fields[i].from, found[i].value,
			                 xasprintf(_("%s was read as '%s' but OCR is only %.0f%% "
			                             "sure of it (the rule asks for %d%%)"),
			                           r->fields[i].label, found[i].value,
			                           found[i].conf, min));
	}
}

/* A paid claim's reasons, for the reason file: under its page (0: the file is one claim). */
static void
paid_lines(struct run *run, const struct mapped *m, unsigned long page)
{
	char *line;
	size_t i;

	for (i = 0; i < m->nerrs; i++) {
		line = page > 0 ? xasprintf(_("page %lu: %s\n"), page, m->errs[i].message)
		                : xasprintf("%s\n", m->errs[i].message);
		buf_add(&run->reasons, line, strlen(line));
		free(line);
	}
}

/*
 * One claim of a scanned file (the whole file, or one page of it): its fields found, mapped and
 * checked like a CSV row, and its form made when nothing is in doubt. 0 when made, 1 when a
 * person must look at it (its lines added to review), 2 when it was already paid (its lines
 * added to the reasons), -1 with *cause when it could not be written.
 */
static int
scan_claim(struct run *run, const struct scanned *sc, unsigned long row, int check_only,
           struct buf *review, char **cause)
{
	const struct rule *r = run->r;
	struct found *found = scan_find(r, sc);
	const struct fixset *fs = review_fixes_for(run, row);
	char *const *fix = fs != NULL ? fs->vals : NULL;
	struct record rec;
	struct mapped m;
	size_t i;
	int rc = 0;

	/* A clerk's value stands for what was read, and is sure. */
	for (i = 0; fix != NULL && i < r->nfields; i++) {
		if (fix[i] == NULL)
			continue;
		if (!check_only)
			review_correction(run, row, i, found[i].value, fix[i]);
		free(found[i].value);
		found[i] = (struct found){.value = xstrdup(fix[i]), .conf = 100, .fixed = 1};
	}

	rec.row = row;
	rec.n = r->nfields;
	rec.f = xcalloc(r->nfields + 1, sizeof *rec.f);
	for (i = 0; i < r->nfields; i++) {
		rec.f[i].p = found[i].value != NULL ? found[i].value : "";
		rec.f[i].len = strlen(rec.f[i].p);
	}
	memset(&m, 0, sizeof m);
	mapper_map(r, &run->bind, &rec, run->dc, run->stem, &m);
	add_doubts(r, sc, found, &m);
	if (check_only) {
		if (run->doubted != NULL)
			review_doubted(r, &m, run->doubted);
		rc = m.nerrs > 0;
		goto doubts;
	}
	run->res->rows++;
	if (m.nerrs == 0 && !run->o->dry_run) {
		/* A character the import encoding lacks is a doubt: a person decides. */
		if ((rc = run_claim(run, &m, cause)) == -1)
			goto out;
	}
	preview_row(run->o, run->base, &m, run->res->rows == 1);
	/* What was read goes on record, paid or not. */
	if (run->o->rows != NULL && rowset_add(run->o->rows, &m, run->allowance, cause) == -1) {
		rc = -1;
		goto out;
	}
	if (m.nerrs == 0) {
		run->res->produced++;
		rc = 0;
		goto out;
	}
	if (rc == 2) {
		/* Already paid: refused, with its reason; not for a person to correct. */
		paid_lines(run, &m, r->per_page ? row : 0);
		run->res->rejected++;
		goto out;
	}
	/* Not sure enough to pay: nothing is produced, and a person looks at it. */
	rc = 1;
doubts:
	if (rc == 1 && r->per_page) {
		char *h = xasprintf(_("page %lu:\n"), row);

		buf_add(review, h, strlen(h));
		free(h);
	}
	if (rc == 1) {
		review_lines(r, &m, found, sc->npages, review);
		if (!check_only)
			review_fix_lines(run, &m, found, row);
	}
out:
	mapped_free(&m);
	found_free(found, r->nfields);
	free(rec.f);
	return rc;
}

/*
 * A scanned file's text with places: a PDF through poppler (and OCR for pages without text), an
 * image through OCR, anything else as a scanner's OCR text in UTF-8 or CP932. 0, or the pipeline's
 * code for a file refused.
 */
static enum outcome
scan_read(struct run *run, struct buf *raw, struct scanned *sc)
{
	char *reason;

	if (scan_read_bytes(raw->p, raw->len, run->r->encoding, sc, &reason) == -1)
		return run_fail(run, reason);
	return 0;
}

/* Binds every field to "its column": a scanned claim's record holds the fields in order. */
static void
bind_found(struct run *run)
{
	size_t i;

	run->bind.col = xcalloc(run->r->nfields + 1, sizeof *run->bind.col);
	run->bind.ncols = run->r->nfields;
	for (i = 0; i < run->r->nfields; i++)
		run->bind.col[i] = i;
}

/* The claims of sc to read: every page or the whole file, or only those a correction names. */
static int
claims_of(const struct run *run, const struct scanned *sc, unsigned long **out)
{
	unsigned long *c = xcalloc((size_t)sc->npages + run->nfixes + 1, sizeof *c);
	size_t i;
	int n = 0, p;

	if (run->nfixes > 0 && run->r->per_page)
		for (i = 0; i < run->nfixes; i++)
			c[n++] = run->fixes[i].claim;
	else if (run->r->per_page)
		for (p = 1; p <= sc->npages; p++)
			c[n++] = (unsigned long)p;
	else
		c[n++] = 1;
	*out = c;
	return n;
}

/* Claim k of sc (a page of its own, or the whole file) through scan_claim(). */
static int
one_claim(struct run *run, const struct scanned *sc, unsigned long k, int check_only,
          struct buf *review, char **cause)
{
	struct scanned page;
	int rc;

	if (!run->r->per_page)
		return scan_claim(run, sc, 1, check_only, review, cause);
	scanned_page(sc, (int)k, &page);
	rc = scan_claim(run, &page, k, check_only, review, cause);
	scanned_free(&page);
	return rc;
}

/*
 * A correction of a file of one claim per page must name exactly the pages in review: a page
 * without doubt made its form when the file was first read, and correcting it would pay it twice;
 * a page in doubt left out would be lost when the file leaves review. 0, or the pipeline's code
 * for the correction refused.
 */
static int
pages_to_fix(struct run *run, const struct scanned *sc, const unsigned long *claims, int n)
{
	struct fixset *fixes = run->fixes;
	size_t nfixes = run->nfixes;
	struct buf none = {0};
	char *cause = NULL;
	int p, i, named, doubt, rc = 0;

	run->fixes = NULL; /* the pages as they were first read */
	run->nfixes = 0;
	for (p = 1; p <= sc->npages && rc == 0; p++) {
		for (i = 0, named = 0; i < n; i++)
			named |= claims[i] == (unsigned long)p;
		doubt = one_claim(run, sc, (unsigned long)p, 1, &none, &cause) == 1;
		if (named && !doubt)
			rc = run_fail(run, xasprintf(_("page %d of %s made its form when the file "
			                               "was read; only pages in review can be "
			                               "corrected"),
			                             p, run->res->corrects));
		else if (!named && doubt)
			rc = run_fail(run, xasprintf(_("page %d of %s is in review too: correct it "
			                               "in the same file"),
			                             p, run->res->corrects));
	}
	run->fixes = fixes;
	run->nfixes = nfixes;
	free(none.p);
	return rc;
}

/*
 * A correction sets only what the claim's .review.txt put in doubt. A field read without doubt
 * (a fare of 2,000円 read at 96%) is not the clerk's to change here: else a correction could turn
 * it into 100,000円, and it would be paid. 0, or the outcome of the correction refused.
 */
static enum outcome
only_doubted(struct run *run, const struct scanned *sc, const unsigned long *claims, int n)
{
	const struct rule *r = run->r;
	struct fixset *fixes = run->fixes;
	size_t nfixes = run->nfixes, f;
	const struct fixset *fs;
	struct buf none = {0};
	enum outcome rc = OUTCOME_PRODUCED;
	char *cause = NULL;
	int i;

	run->doubted = xcalloc(r->nfields + 1, 1);
	for (i = 0; i < n && rc == OUTCOME_PRODUCED; i++) {
		memset(run->doubted, 0, r->nfields);
		run->fixes = NULL; /* the claim as it was first read */
		run->nfixes = 0;
		one_claim(run, sc, claims[i], 1, &none, &cause);
		run->fixes = fixes;
		run->nfixes = nfixes;
		fs = review_fixes_for(run, claims[i]);
		for (f = 0; fs != NULL && f < r->nfields && rc == OUTCOME_PRODUCED; f++)
			if (fs->vals[f] != NULL && !run->doubted[f])
				rc = run_fail(run,
				              xasprintf(_("line %d: %s was read without doubt; a "
				                          "correction sets only the fields its "
				                          ".review.txt names"),
				                        fs->lines[f], r->fields[f].label));
	}
	free(run->doubted);
	run->doubted = NULL;
	free(none.p);
	return rc;
}

/*
 * The claims of a scanned file made into forms. Claims with any field missing or in doubt make
 * no form: the file goes to review with a .review.txt naming each doubt. A correction file is
 * all or nothing: when its values still leave a doubt, no form is made, and the correction comes
 * back in rejected/ with the doubts as its reason.
 */
static int
scan_claims(struct run *run, struct scanned *sc)
{
	const struct rule *r = run->r;
	struct buf review = {0};
	unsigned long *claims;
	char *cause = NULL, *head;
	int rc = 0, n, i, inreview = 0;

	scanned_replace(sc, r);
	decoder_free(run->dc);
	run->dc = decoder_new(ENC_UTF8); /* the values below are UTF-8 already */
	bind_found(run);
	n = claims_of(run, sc, &claims);
	for (i = 0; i < n; i++)
		if (claims[i] > (unsigned long)sc->npages) {
			free(claims);
			return run_fail(run,
			                xasprintf(_("the correction names page %lu, but %s has "
			                            "%d pages"),
			                          claims[i], run->res->corrects, sc->npages));
		}
	if (run->nfixes > 0 && ((r->per_page && (rc = pages_to_fix(run, sc, claims, n)) != 0) ||
	                        (rc = only_doubted(run, sc, claims, n)) != 0)) {
		free(claims);
		return rc;
	}
	if (run->nfixes > 0) {
		for (i = 0; i < n; i++)
			inreview |= one_claim(run, sc, claims[i], 1, &review, &cause) == 1;
		if (inreview) {
			free(claims);
			buf_add(&run->reasons, review.p, review.len);
			free(review.p);
			return run_fail(run,
			                xasprintf(_("with these corrections %s still has fields "
			                            "in doubt (below); correct them in this "
			                            "file and drop it again"),
			                          run->res->corrects));
		}
	}
	for (i = 0; i < n && rc != -1; i++) {
		rc = one_claim(run, sc, claims[i], 0, &review, &cause);
		inreview |= rc == 1;
	}
	free(claims);
	if (rc == -1) {
		free(review.p);
		return run_io_fail(run, cause);
	}
	if (run->res->produced > 0 && !run->o->dry_run && run_finish(run, &cause) == -1) {
		free(review.p);
		return run_io_fail(run, cause);
	}
	if (!inreview) {
		free(review.p);
		/* Every claim of the file was paid before: the file is refused, with where. */
		if (run->res->produced == 0 && run->res->rejected > 0)
			return run_fail(run, xstrdup(_("its claims were already paid (below); they "
			                               "are not paid twice")));
		return 0;
	}
	run->res->outcome = OUTCOME_REVIEW;
	free(run->res->reason);
	run->res->reason =
	    xstrdup(_("the claim needs a person to look at it (see its .review.txt)"));
	rc = OUTCOME_REVIEW;
	if (!run->o->dry_run) {
		if (r->per_page && run->res->produced > 0)
			head = xasprintf(
			    _("file: %s\nrule: %s\n%lu of its %lu claims made their forms; the "
			      "others below made none: a person must look at them first.\n\n"),
			    run->base, r->name, run->res->produced, run->res->rows);
		else
			head =
			    xasprintf(_("file: %s\nrule: %s\nNo form was made: a person must look "
			                "at this claim first.\n\n"),
			              run->base, r->name);
		/* Pages already paid are named too: they wait for nothing. */
		if (run->reasons.len > 0) {
			buf_add(&review, "\n", 1);
			buf_add(&review, run->reasons.p, run->reasons.len);
		}
		buf_add(&review, "\n", 1);
		review_advice(run, &review);
		if (outputs_note(&run->out, &run->out.review, ".review.txt", head, &review,
		                 &cause) == -1)
			rc = run_io_fail(run, cause);
		free(head);
	}
	free(review.p);
	return rc;
}

enum outcome
scan_file(struct run *run, int fd)
{
	struct buf raw = {0};
	struct scanned sc = {0};
	int rc;

	if ((rc = run_read_all(run, fd, &raw)) != 0)
		return rc;
	rc = scan_read(run, &raw, &sc);
	free(raw.p);
	if (rc == 0 && sc.npages > 0)
		rc = scan_claims(run, &sc);
	scanned_free(&sc);
	return rc;
}
