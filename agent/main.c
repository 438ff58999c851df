/*
 * formagent's command line: `run`, `check`, `process`, `test`, `convert`, `scan`, `audit` and
 * `status`. This file parses options and reports; the work is done by the rooms it calls (config,
 * agent, pipeline, ruletest, auditview, scanread).
 */
#include <getopt.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "config.h"
#include "i18n.h"
#include "log.h"
#include "ocr.h"
#include "office.h"
#include "pipeline.h"
#include "ruletest.h"
#include "spool.h"
#include "status.h"
#include "record.h"
#include "register.h"
#include "workbook.h"
#include "workers.h"
#include "xmalloc.h"

#ifndef FORMAGENT_VERSION
#define FORMAGENT_VERSION "0.0.0"
#endif

#define DEFAULT_CONFIG "/etc/formagent/formagent.yaml"

void
cli_usage(FILE *fp)
{
	fputs(
	    "usage: formagent [--help] [--version] COMMAND [OPTIONS]\n"
	    "\n"
	    "commands:\n"
	    "  check   -c CONFIG            load and check the configuration, rules and templates\n"
	    "  process -c CONFIG (--out DIR | --dry-run [--json] [--row N [--cells]])\n"
	    "          [--rule NAME] FILE...\n"
	    "                               a trial run: forms, a ledger and an import file in "
	    "DIR;\n"
	    "                               claims already paid are refused, nothing is paid\n"
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
	    "  claims show -c CONFIG [--case NO]\n"
	    "                               what the claims register says was paid, and where\n"
	    "  claims check -c CONFIG       compare the register with the audit log\n"
	    "  claims rebuild -c CONFIG     remake the register from the audit log (agent "
	    "stopped)\n"
	    "\n"
	    "-c defaults to $FORMAGENT_CONFIG, then " DEFAULT_CONFIG ".\n"
	    "process exits 0 when every row produced its form, 1 when some rows were rejected,\n"
	    "2 when a file could not be processed or the command was used wrongly.\n",
	    fp);
}

const char *
cli_config_path(const char *opt)
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
struct config *
cli_load(const char *path, int json)
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
	struct reg *reg;
	char *cause = NULL;
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
			cli_usage(stdout);
			return 0;
		default:
			cli_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		cli_usage(stderr);
		return 2;
	}
	if ((c = cli_load(cli_config_path(cfg), json)) == NULL)
		return 1;
	/* A PostgreSQL register named wrong would stop the agent at start: say so now. */
	if ((reg = reg_open(c, REG_READONLY, &cause)) == NULL && cause != NULL) {
		fprintf(stderr, "formagent: check: %s\n", cause);
		free(cause);
		config_free(c);
		return 1;
	}
	reg_close(reg);
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
	const struct spool *sp;
	struct reg *reg;
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
			cli_usage(stdout);
			return 0;
		default:
			cli_usage(stderr);
			return 2;
		}
	}
	if (optind == argc) {
		fputs("formagent: process: no input files given\n", stderr);
		cli_usage(stderr);
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
	if ((c = cli_load(cli_config_path(cfg), 0)) == NULL)
		return 2;
	i18n_init(c->language);
	o.preview = stdout;
	o.tmpdir = c->tmpdir;
	o.progress = !o.dry_run && !quiet && isatty(STDERR_FILENO);
	/*
	 * Only the agent writes into a spool's folders: it is the one writer of the audit log and
	 * the claims register, and a claim is paid by dropping its file into the inbox. process is
	 * a trial run (--out, or --dry-run): it looks every claim up in the register and refuses
	 * what was paid, as the agent would, but enters nothing and records nothing.
	 */
	if (out == NULL && !o.dry_run) {
		fputs("formagent: process: give --out DIR: only the agent writes into a spool's "
		      "folders (drop the file into its inbox to pay it); process --out is a trial "
		      "run that pays nothing\n",
		      stderr);
		config_free(c);
		return 2;
	}
	if ((reg = reg_open(c, REG_READONLY, &cause)) == NULL && cause != NULL) {
		fprintf(stderr, "formagent: process: %s\n", cause);
		free(cause);
		config_free(c);
		return 2;
	}
	o.reg = reg;
	o.trial = 1;
	/* A rule's print PDF is waited for here: process has nothing else to do meanwhile. */
	o.office = o.dry_run ? NULL : print_office(c);
	/* The forms of a file are drawn as the agent draws them: on workers threads at once. */
	workbook_threads();
	if (!o.dry_run && (o.render = workers_new((unsigned)c->workers, NULL, &cause)) == NULL) {
		fprintf(stderr, "formagent: process: %s\n", cause);
		free(cause);
		office_free(o.office);
		reg_close(reg);
		config_free(c);
		return 2;
	}
	if ((sp = spool_for(c, o.rule)) != NULL)
		ao.max_bytes = sp->max_bytes;
	for (i = optind; i < argc; i++) {
		o.out_dir = o.reject_dir = out;
		if (!o.dry_run && spool_mkdirs(out, &cause) == -1) {
			fprintf(stderr, "formagent: %s\n", cause);
			free(cause);
			workers_free(o.render);
			office_free(o.office);
			reg_close(reg);
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

			if (res.outcome != OUTCOME_PRODUCED &&
			    res.outcome != OUTCOME_PARTLY_REJECTED)
				fprintf(stderr, "%s: not processed: %s\n", argv[i], res.reason);
			else
				fprintf(fp, "%s: rule %s, %lu rows: %lu produced, %lu rejected%s\n",
				        argv[i], res.rule->name, res.rows, res.produced,
				        res.rejected,
				        res.paid > 0 ? " (some already paid: see the reason file)"
				                     : "");
			for (k = 0; k < res.noutputs; k++)
				fprintf(fp, "  wrote %s\n", res.outputs[k].name);
		}
		file_result_free(&res);
	}
	workers_free(o.render);
	office_free(o.office);
	reg_close(reg);
	config_free(c);
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
			cli_usage(stderr);
			return 2;
		}
		cfg = optarg;
	}
	if ((c = cli_load(cli_config_path(cfg), 0)) == NULL)
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
			cli_usage(stdout);
			return 0;
		default:
			cli_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		cli_usage(stderr);
		return 2;
	}
	return agent_run(cli_config_path(cfg), &o);
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
			cli_usage(stderr);
			return 2;
		}
		cfg = optarg;
	}
	return status_print(cli_config_path(cfg), stdout);
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
		cli_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		cli_usage(stdout);
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
	if (strcmp(argv[1], "claims") == 0)
		return cmd_claims(argc - 1, argv + 1);
	fprintf(stderr, "formagent: unknown command '%s'\n", argv[1]);
	cli_usage(stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	int rc;

	/*
	 * Tesseract's OpenMP threads spin while they wait, and compete with the agent's workers:
	 * six scans took 7.4 s with them and 3.0 s without (bench/README.md). libgomp reads
	 * OMP_THREAD_LIMIT when it loads, before main(), so the program sets it and starts itself
	 * again, once; an administrator's own setting stays. Should exec fail, it goes on as it is.
	 */
	if (getenv("OMP_THREAD_LIMIT") == NULL && setenv("OMP_THREAD_LIMIT", "1", 1) == 0)
		execv("/proc/self/exe", argv);
	/*
	 * Each form's workbook allocates and frees some hundreds of KiB (zlib's state,
	 * libxlsxwriter's buffers). glibc gave the top of the heap back to the kernel after every
	 * one and took it again for the next, and two thirds of a run of forms went to the kernel
	 * unmapping pages and faulting them in (bench/README.md, "Profile"): freed memory now stays
	 * for the next form. The peak is the same; only its return is later.
	 */
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	rc = command(argc, argv);

	/*
	 * Tesseract, if a scanned page was read, is released here and not by atexit(): its own
	 * static data is destroyed by then, and its End() would read freed memory.
	 */
	ocr_end();
	return rc;
}
