/*
 * formagent's tools for administrators and auditors: `convert` (a value through a rule's types,
 * to try a date or an amount), `scan` (what OCR reads of a page, with places and confidence) and
 * `audit` (verify, head, show, export). Options are parsed here; the work is done by the rooms
 * they call (transform, scanread, audit, auditview).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "auditview.h"
#include "cli.h"
#include "config.h"
#include "i18n.h"
#include "log.h"
#include "ocr.h"
#include "record.h"
#include "scanread.h"
#include "transform.h"
#include "xmalloc.h"

/* One value through the named type; prints the result or "error: VALUE: reason". */
static int
convert_one(const char *type, const struct eras *eras, const char *v, FILE *out)
{
	static const enum text_transform text_steps[] = {TT_HALFWIDTH, TT_FULLWIDTH_KANA, TT_SPACE,
	                                                 TT_TRIM};
	char *cause = NULL, *s, *t;
	int64_t x;
	size_t i;

	if (strcmp(type, "date") == 0 || strcmp(type, "wareki") == 0) {
		if (tf_date(eras, v, &x, &cause) == -1)
			goto bad;
		s = strcmp(type, "date") == 0 ? tf_iso(x) : tf_wareki(eras, x, 1);
		fprintf(out, "%s\n", s != NULL ? s : "");
		free(s);
		return 0;
	}
	if (strcmp(type, "yen") == 0 || strcmp(type, "int") == 0) {
		if ((type[0] == 'y' ? tf_yen(v, &x, &cause) : tf_int(v, &x, &cause)) == -1)
			goto bad;
		fprintf(out, "%lld\n", (long long)x);
		return 0;
	}
	if (strcmp(type, "text") == 0) {
		s = xstrdup(v);
		for (i = 0; i < sizeof text_steps / sizeof text_steps[0]; i++) {
			t = tf_apply(text_steps[i], s);
			free(s);
			s = t;
		}
	} else if (strcmp(type, "dash") == 0)
		s = tf_apply(TT_DASH, v);
	else if (strcmp(type, "kana") == 0)
		s = tf_apply(TT_KATAKANA, v);
	else if (strcmp(type, "hiragana") == 0)
		s = tf_apply(TT_HIRAGANA, v);
	else {
		fprintf(stderr,
		        "formagent: convert: unknown type '%s' (date, wareki, yen, int, text, "
		        "dash, kana, hiragana)\n",
		        type);
		return 2;
	}
	fprintf(out, "%s\n", s);
	free(s);
	return 0;
bad:
	/* Date reasons already begin with the value ("令和3年2月29日: ..."). */
	t = log_escape(v, 0);
	if (strncmp(cause, v, strlen(v)) == 0 && cause[strlen(v)] == ':')
		fprintf(out, "error: %s\n", cause);
	else
		fprintf(out, "error: %s: %s\n", t, cause);
	free(t);
	free(cause);
	return 1;
}

int
cmd_convert(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const struct eras *eras = eras_builtin();
	struct diags d = {0};
	struct config *c = NULL;
	const char *cfg = NULL;
	int ch, i, rc, worst = 0;

	while ((ch = getopt_long(argc, argv, "+c:", longopts, NULL)) != -1) {
		if (ch != 'c') {
			cli_usage(stderr);
			return 2;
		}
		cfg = optarg;
	}
	if (argc - optind < 2) {
		fputs("formagent: convert TYPE VALUE...: give a type and at least one value\n",
		      stderr);
		return 2;
	}
	/* With a configuration, its eras (and the language of its reasons) apply. */
	if (cfg != NULL) {
		if ((c = config_load(cfg, &d)) == NULL) {
			diags_print(stderr, &d);
			diags_free(&d);
			return 2;
		}
		eras = &c->eras;
		i18n_init(c->language);
	}
	for (i = optind + 1; i < argc; i++) {
		if ((rc = convert_one(argv[optind], eras, argv[i], stdout)) == 2) {
			worst = 2;
			break;
		}
		if (rc > worst)
			worst = rc;
	}
	config_free(c);
	tf_cleanup();
	return worst;
}

/*
 * The audit files named on the command line, or else those of the configuration's audit.dir
 * (and its key file, into *key_owned when --key was not given). NULL when there are none.
 */
static char **
audit_inputs(int argc, char **argv, const char *cfg, char **key_owned, size_t *n)
{
	struct diags d = {0};
	struct config *c;
	char **files;
	int i;

	*n = 0;
	if (optind < argc) {
		*n = (size_t)(argc - optind);
		files = xcalloc(*n, sizeof *files);
		for (i = optind; i < argc; i++)
			files[i - optind] = xstrdup(argv[i]);
		return files;
	}
	if ((c = config_load(cli_config_path(cfg), &d)) == NULL) {
		diags_print(stderr, &d);
		diags_free(&d);
		return NULL;
	}
	files = audit_files(c->audit_dir, n);
	if (c->audit_key != NULL)
		*key_owned = xstrdup(c->audit_key);
	config_free(c);
	return files;
}

int
cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'}, {"head", required_argument, NULL, 'H'},
	    {"key", required_argument, NULL, 'k'},    {"partial", no_argument, NULL, 'p'},
	    {"since", required_argument, NULL, 's'},  {"until", required_argument, NULL, 'u'},
	    {"rule", required_argument, NULL, 'r'},   {"event", required_argument, NULL, 'e'},
	    {"case", required_argument, NULL, 'C'},   {"json", no_argument, NULL, 'j'},
	    {"xlsx", required_argument, NULL, 'x'},   {NULL, 0, NULL, 0},
	};
	struct audit_filter f = {NULL, NULL, NULL, NULL, NULL};
	const char *xlsx = NULL;
	char *cause = NULL;
	int json = 0;
	const char *cfg = NULL, *head = NULL, *key = NULL, *verb;
	int partial = 0;
	char **files, *key_owned = NULL;
	size_t n;
	int ch, rc;

	if (argc < 2) {
		cli_usage(stderr);
		return 2;
	}
	verb = argv[1];
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfg = optarg;
			break;
		case 'H':
			head = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'p':
			partial = 1;
			break;
		case 's':
			f.since = optarg;
			break;
		case 'u':
			f.until = optarg;
			break;
		case 'r':
			f.rule = optarg;
			break;
		case 'e':
			f.event = optarg;
			break;
		case 'C':
			f.case_no = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'x':
			xlsx = optarg;
			break;
		default:
			cli_usage(stderr);
			return 2;
		}
	}
	if (strcmp(verb, "verify") != 0 && strcmp(verb, "head") != 0 && strcmp(verb, "show") != 0 &&
	    strcmp(verb, "export") != 0) {
		fprintf(stderr,
		        "formagent: unknown audit command '%s' (verify, head, show, export)\n",
		        verb);
		return 2;
	}
	if (strcmp(verb, "export") == 0 && xlsx == NULL) {
		fputs("formagent: audit export needs --xlsx OUT.xlsx\n", stderr);
		return 2;
	}
	if ((files = audit_inputs(argc, argv, cfg, &key_owned, &n)) == NULL || n == 0) {
		fprintf(stderr, "formagent: audit %s: no audit log files\n", verb);
		free(files);
		free(key_owned);
		return 2;
	}
	if (key == NULL)
		key = key_owned;
	if (strcmp(verb, "verify") == 0) {
		rc = audit_verify(files, n, head, key, partial, stdout);
		/* A part of the log alone may begin within a large file's rows records. */
		if (rc == 0 && !partial)
			rc = record_check_rows(files, n, stdout);
	} else if (strcmp(verb, "head") == 0)
		rc = audit_head(files, n, stdout);
	else if (strcmp(verb, "show") == 0)
		rc = audit_show(files, n, &f, json, stdout);
	else if ((rc = audit_export(files, n, &f, xlsx, &cause)) == -1) {
		fprintf(stderr, "formagent: audit export: %s\n", cause);
		free(cause);
		rc = 1;
	}
	audit_files_free(files, n);
	free(key_owned);
	return rc;
}

/* The whole of fp, NUL-terminated; *len leaves the NUL out. */
static char *
read_stream(FILE *fp, size_t *len)
{
	size_t cap = 65536, n;
	char *buf = xmalloc(cap);

	*len = 0;
	while ((n = fread(buf + *len, 1, cap - *len - 1, fp)) > 0) {
		*len += n;
		if (cap - *len == 1)
			buf = xreallocarray(buf, cap *= 2, 1);
	}
	buf[*len] = '\0';
	return buf;
}

/*
 * formagent scan: the text of a scanned claim (OCR text, PDF, image) as a rule's finders see it,
 * or with --places each piece with its page, rectangle in millimetres and OCR confidence, for
 * writing 'after', 'regex' and 'area'.
 */
int
cmd_scan(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"places", no_argument, NULL, 'p'},
	    {"encoding", required_argument, NULL, 'e'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const encs[] = {"auto", "utf-8", "cp932", "shift_jis", "euc-jp", NULL};
	struct scanned sc = {0};
	enum encoding enc = ENC_AUTO;
	char *buf, *reason = NULL;
	size_t len, i, k;
	int ch, places = 0;
	FILE *fp;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch == 'p')
			places = 1;
		else if (ch == 'e') {
			for (k = 0; encs[k] != NULL && strcmp(encs[k], optarg) != 0; k++)
				;
			if (encs[k] == NULL) {
				fprintf(stderr, "formagent: scan: unknown encoding '%s'\n", optarg);
				return 2;
			}
			enc = (enum encoding)k;
		} else {
			cli_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fputs("formagent: scan FILE: give one scanned claim\n", stderr);
		return 2;
	}
	if ((fp = fopen(argv[optind], "rb")) == NULL) {
		fprintf(stderr, "formagent: %s: %s\n", argv[optind], strerror(errno));
		return 2;
	}
	buf = read_stream(fp, &len);
	fclose(fp);
	if (scan_read_bytes(buf, len, enc, &sc, &reason) == -1) {
		fprintf(stderr, "formagent: %s: %s\n", argv[optind], reason);
		free(reason);
		free(buf);
		return 2;
	}
	free(buf);
	if (!places)
		fputs(sc.text.p, stdout);
	else if (sc.nspans == 0)
		fputs("formagent: scan: OCR text has no places; its lines are all there is\n",
		      stderr);
	for (i = 0; places && i < sc.nspans; i++) {
		const struct span *sp = &sc.spans[i];

		printf("page %d  x %6.1f  y %6.1f  w %5.1f  h %5.1f  %3.0f%%  %.*s\n", sp->page,
		       sp->x, sp->y, sp->w, sp->h, sp->conf, (int)sp->len, sc.text.p + sp->off);
	}
	scanned_free(&sc);
	return 0;
}
