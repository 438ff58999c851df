/*
 * formagent's command line: `run`, `check`, `process`, `test`, `convert`, `scan`, `audit` and
 * `status`. This file parses options and reports; the work is done by the rooms it calls (config,
 * agent, pipeline, ruletest, auditview, scanread).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "audit.h"
#include "auditview.h"
#include "config.h"
#include "i18n.h"
#include "log.h"
#include "ocr.h"
#include "scanread.h"
#include "pipeline.h"
#include "ruletest.h"
#include "transform.h"
#include "spool.h"
#include "status.h"
#include "record.h"
#include "xmalloc.h"

#ifndef FORMAGENT_VERSION
#define FORMAGENT_VERSION "0.0.0"
#endif

#define DEFAULT_CONFIG "/etc/formagent/formagent.yaml"

static void
usage(FILE *fp)
{
	fputs(
	    "usage: formagent [--help] [--version] COMMAND [OPTIONS]\n"
	    "\n"
	    "commands:\n"
	    "  check   -c CONFIG            load and check the configuration, rules and templates\n"
	    "  process -c CONFIG [--out DIR] [--rule NAME] [--dry-run [--json] [--row N "
	    "[--cells]]]\n"
	    "          FILE...\n"
	    "                               turn claim files into forms, a ledger and an import "
	    "file\n"
	    "  test    -c CONFIG [RULE...]  run the rules' test cases (rules/NAME.test.yaml)\n"
	    "  run     -c CONFIG [--once]   watch the spools' inboxes (the daemon)\n"
	    "  status  -c CONFIG            the running agent, its queues and last outcomes\n"
	    "  scan    [--places] [--encoding E] FILE\n"
	    "                               a scanned claim's text as the finders of a rule see "
	    "it,\n"
	    "                               or every word with its place (mm) and OCR confidence\n"
	    "  convert [-c CONFIG] TYPE VALUE...\n"
	    "                               try values: date, wareki, yen, int, text, dash, kana\n"
	    "  audit verify [--head SEQ:HASH] [--key FILE] [--partial] [-c CONFIG | FILE...]\n"
	    "                               check every record and the chain of the audit log\n"
	    "  audit show [--since DATE] [--until DATE] [--rule R] [--event E] [--case NO] "
	    "[--json]\n"
	    "             [-c CONFIG | FILE...]  the log as a table, or JSON Lines\n"
	    "  audit export --xlsx OUT.xlsx [the same filters] [-c CONFIG | FILE...]\n"
	    "                               the log as a workbook to filter and sum in Excel\n"
	    "  audit head [-c CONFIG | FILE...]\n"
	    "                               the log's last SEQ:HASH, to keep off the machine\n"
	    "\n"
	    "-c defaults to $FORMAGENT_CONFIG, then " DEFAULT_CONFIG ".\n"
	    "process exits 0 when every row produced its form, 1 when some rows were rejected,\n"
	    "2 when a file could not be processed or the command was used wrongly.\n",
	    fp);
}

static const char *
config_path(const char *opt)
{
	const char *env;

	if (opt != NULL)
		return opt;
	if ((env = getenv("FORMAGENT_CONFIG")) != NULL && env[0] != '\0')
		return env;
	return DEFAULT_CONFIG;
}

/*
 * Loads the configuration and reports: every problem, or the warnings of a load that worked. With
 * json, the report is a JSON array on stdout (empty when all is well).
 */
static struct config *
load(const char *path, int json)
{
	struct diags d = {0};
	struct config *c;
	json_t *arr, *o;
	size_t i;

	c = config_load(path, &d);
	diags_sort(&d);
	if (json) {
		arr = json_array();
		for (i = 0; i < d.n; i++) {
			o = json_object();
			json_object_set_new(o, "file",
			                    d.v[i].file ? json_string(d.v[i].file) : json_null());
			json_object_set_new(o, "line", json_integer(d.v[i].line));
			json_object_set_new(o, "column", json_integer(d.v[i].col));
			json_object_set_new(o, "severity",
			                    json_string(d.v[i].warning ? "warning" : "error"));
			json_object_set_new(o, "message", json_string(d.v[i].msg));
			json_array_append_new(arr, o);
		}
		json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(arr);
	} else {
		diags_print(stderr, &d);
		if (c == NULL)
			fprintf(stderr, "formagent: %zu problem%s in the configuration\n",
			        diags_errors(&d, 0), diags_errors(&d, 0) == 1 ? "" : "s");
	}
	diags_free(&d);
	return c;
}

static int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *cfg = NULL;
	struct config *c;
	int ch, json = 0;

	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfg = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if ((c = load(config_path(cfg), json)) == NULL)
		return 1;
	if (!json)
		printf("configuration OK: %zu rule%s, %zu template%s, %zu spool%s\n", c->nrules,
		       c->nrules == 1 ? "" : "s", c->ntemplates, c->ntemplates == 1 ? "" : "s",
		       c->nspools, c->nspools == 1 ? "" : "s");
	config_free(c);
	return 0;
}

/* The name a path was given as: what the gate and the reasons call the file. */
static const char *
base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* Where `process` writes when --out is not given: the spool whose rules take the file. */
static const struct spool *
spool_for(const struct config *c, const char *rule)
{
	size_t i, j;

	for (i = 0; i < c->nspools; i++)
		for (j = 0; j < c->spools[i].nrules; j++)
			if (rule == NULL || strcmp(c->spools[i].rules[j], rule) == 0)
				return &c->spools[i];
	return c->nspools > 0 ? &c->spools[0] : NULL;
}

static int
cmd_process(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'}, {"out", required_argument, NULL, 'o'},
	    {"rule", required_argument, NULL, 'r'},   {"dry-run", no_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},         {"row", required_argument, NULL, 'R'},
	    {"cells", no_argument, NULL, 'C'},        {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	struct pipeline_opts o;
	struct file_result res;
	struct admit_opts ao = {0};
	struct admitted ad;
	struct history *hist = NULL;
	const struct spool *sp;
	const char *cfg = NULL, *out = NULL;
	struct config *c;
	char *cause = NULL;
	int ch, worst = 0, quiet = 0, i;
	enum outcome oc;
	size_t k;

	memset(&o, 0, sizeof o);
	while ((ch = getopt_long(argc, argv, "c:o:r:nqh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfg = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'r':
			o.rule = optarg;
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'R':
			o.only_row = strtoul(optarg, NULL, 10);
			if (o.only_row < 2) {
				fputs(
				    "formagent: process: --row takes a row number (2 or more: the "
				    "header is row 1)\n",
				    stderr);
				return 2;
			}
			break;
		case 'C':
			o.cells = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind == argc) {
		fputs("formagent: process: no input files given\n", stderr);
		usage(stderr);
		return 2;
	}
	if ((o.json || o.only_row || o.cells) && !o.dry_run) {
		fputs("formagent: process: --json, --row and --cells go with --dry-run\n", stderr);
		return 2;
	}
	if (o.cells && o.only_row == 0) {
		fputs("formagent: process: --cells shows one row's form: give --row N\n", stderr);
		return 2;
	}
	if ((c = load(config_path(cfg), 0)) == NULL)
		return 2;
	i18n_init(c->language);
	o.preview = stdout;
	o.tmpdir = c->tmpdir;
	o.progress = !o.dry_run && !quiet && isatty(STDERR_FILENO);
	/*
	 * Writing where the agent does (no --out), what the audit log says was processed is refused
	 * as it would be in the inbox: it must not be paid twice. With --out the forms go to a
	 * folder of the user's choosing (a reprint, a look), and the log is not asked.
	 */
	if (out == NULL && (hist = history_load(c->audit_dir, &cause)) == NULL) {
		fprintf(stderr, "formagent: %s\n", cause);
		free(cause);
		config_free(c);
		return 2;
	}
	ao.history = hist;
	if ((sp = spool_for(c, o.rule)) != NULL) {
		ao.max_bytes = sp->max_bytes;
		ao.review_dir = sp->review;
	}
	for (i = optind; i < argc; i++) {
		if (out != NULL) {
			o.out_dir = o.reject_dir = out;
		} else if ((sp = spool_for(c, o.rule)) != NULL) {
			o.out_dir = sp->out;
			o.reject_dir = sp->rejected;
			o.review_dir = sp->review;
		} else {
			fputs("formagent: process: no --out and no spool in the configuration\n",
			      stderr);
			history_free(hist);
			config_free(c);
			return 2;
		}
		if (!o.dry_run &&
		    (spool_mkdirs(o.out_dir, &cause) == -1 ||
		     spool_mkdirs(o.reject_dir, &cause) == -1 ||
		     (o.review_dir != NULL && spool_mkdirs(o.review_dir, &cause) == -1))) {
			fprintf(stderr, "formagent: %s\n", cause);
			free(cause);
			history_free(hist);
			config_free(c);
			return 2;
		}
		/* The same gate as the agent's: a refusal has one wording. */
		if (admit(argv[i], base_of(argv[i]), &ao, &ad, &cause) == -1) {
			fprintf(stderr, "formagent: %s\n", cause);
			free(cause);
			cause = NULL;
			worst = 2;
			continue;
		}
		oc = pipeline_file(c, &ad, &o, &res);
		admitted_clear(&ad);
		if (outcome_exit(oc) > worst)
			worst = outcome_exit(oc);
		if (!quiet && !(o.dry_run && o.json)) {
			FILE *fp = o.dry_run ? stderr : stdout;

			if (res.outcome != OUTCOME_PRODUCED && res.outcome != OUTCOME_PARTLY_REJECTED)
				fprintf(stderr, "%s: not processed: %s\n", argv[i], res.reason);
			else
				fprintf(fp, "%s: rule %s, %lu rows: %lu produced, %lu rejected\n",
				        argv[i], res.rule->name, res.rows, res.produced,
				        res.rejected);
			for (k = 0; k < res.noutputs; k++)
				fprintf(fp, "  wrote %s\n", res.outputs[k].name);
		}
		file_result_free(&res);
	}
	history_free(hist);
	config_free(c);
	return worst;
}

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

static int
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
			usage(stderr);
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

static int
cmd_test(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *cfg = NULL;
	struct config *c;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		if (ch != 'c') {
			usage(stderr);
			return 2;
		}
		cfg = optarg;
	}
	if ((c = load(config_path(cfg), 0)) == NULL)
		return 2;
	i18n_init(c->language);
	rc = ruletest_run(c, argv + optind, (size_t)(argc - optind), stdout);
	config_free(c);
	tf_cleanup();
	return rc < 0 ? 2 : rc > 0 ? 1 : 0;
}

static int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"once", no_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct agent_opts o = {0};
	const char *cfg = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfg = optarg;
			break;
		case 'o':
			o.once = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return agent_run(config_path(cfg), &o);
}

static int
cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *cfg = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		if (ch != 'c') {
			usage(stderr);
			return 2;
		}
		cfg = optarg;
	}
	return status_print(config_path(cfg), stdout);
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
	if ((c = config_load(config_path(cfg), &d)) == NULL) {
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

static int
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
	size_t n, i;
	int ch, rc;

	if (argc < 2) {
		usage(stderr);
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
			usage(stderr);
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
	if (strcmp(verb, "verify") == 0)
		rc = audit_verify(files, n, head, key, partial, stdout);
	else if (strcmp(verb, "head") == 0)
		rc = audit_head(files, n, stdout);
	else if (strcmp(verb, "show") == 0)
		rc = audit_show(files, n, &f, json, stdout);
	else if ((rc = audit_export(files, n, &f, xlsx, &cause)) == -1) {
		fprintf(stderr, "formagent: audit export: %s\n", cause);
		free(cause);
		rc = 1;
	}
	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
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
static int
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
			usage(stderr);
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

static int
command(int argc, char **argv)
{
	/* For wcwidth() and regcomp() over UTF-8; the data's own encodings are handled explicitly.
	 */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		setlocale(LC_CTYPE, "");
	umask(027);
	log_init(0, LOG_LV_INFO);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("formagent %s\n", FORMAGENT_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "process") == 0)
		return cmd_process(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "scan") == 0)
		return cmd_scan(argc - 1, argv + 1);
	if (strcmp(argv[1], "convert") == 0)
		return cmd_convert(argc - 1, argv + 1);
	if (strcmp(argv[1], "test") == 0)
		return cmd_test(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "audit") == 0)
		return cmd_audit(argc - 1, argv + 1);
	fprintf(stderr, "formagent: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	int rc = command(argc, argv);

	/*
	 * Tesseract, if a scanned page was read, is released here and not by atexit(): its own
	 * static data is destroyed by then, and its End() would read freed memory.
	 */
	ocr_end();
	return rc;
}
