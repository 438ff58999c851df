/*
 * The supervised LibreOffice child (office.c), against the real soffice and against stand-ins
 * that hang, crash, fail, write nothing or write garbage. Each must end in a clear cause, a second
 * attempt in a fresh profile, no file where the PDF was to be, and no process left running; the
 * real one must give a PDF/A-2 with its fonts embedded, a Japanese face among them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <poppler.h>

#include "office.h"
#include "testutil.h"

static char *dir; /* the stand-ins, their call log, the scratch folder */

/*
 * A stand-in soffice called name: it logs its profile argument to calls, then does what body
 * says with $out (its --outdir) and $base (the input's name without .xlsx) set.
 */
static char *
stand_in(const char *name, const char *body)
{
	char *path = pathf("%s/%s", dir, name);
	char *text = pathf("#!/bin/sh\n"
	                   "for a; do case $prev in --outdir) out=$a;; esac; prev=$a; done\n"
	                   "for a; do case $a in -env:*) echo \"$a\" >> '%s/calls';; esac; done\n"
	                   "for a; do base=$a; done; base=$(basename \"$base\" .xlsx)\n"
	                   "%s\n",
	                   dir, body);

	spits(path, text);
	chmod(path, 0755);
	free(text);
	return path;
}

/* The lines of the call log (one per attempt), and the log emptied. */
static int
calls(char **first, char **last)
{
	char *p = pathf("%s/calls", dir), *text = slurp(p, NULL), *line, *save = NULL;
	int n = 0;

	if (first != NULL)
		*first = NULL;
	if (last != NULL)
		*last = NULL;
	for (line = text != NULL ? strtok_r(text, "\n", &save) : NULL; line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (n++ == 0 && first != NULL)
			*first = strdup(line);
		if (last != NULL) {
			free(*last);
			*last = strdup(line);
		}
	}
	unlink(p);
	free(text);
	free(p);
	return n;
}

/* Converts the shipped form with the stand-in (or soffice when NULL); returns office_pdf's rc. */
static int
convert(const char *prog, int timeout_ms, char **cause, int *attempts)
{
	char *xlsx = srcpath("templates/様式第3号.xlsx"), *fonts = srcpath("templates/fonts.conf");
	char *pdf = pathf("%s/form.pdf", dir);
	struct office_opts o = {prog, fonts, dir, timeout_ms, 1, 0};
	struct office *of = office_new(&o);
	int rc;

	*cause = NULL;
	rc = office_pdf(of, xlsx, pdf, cause);
	*attempts = office_attempts(of);
	office_free(of);
	if (rc != 0)
		assert_int_equal(access(pdf, F_OK), -1); /* nothing where the PDF was to be */
	free(pdf);
	free(fonts);
	free(xlsx);
	return rc;
}

/* Asserts a failure with cause, two attempts in two profiles, and nothing left running. */
static void
assert_fails(const char *prog, int timeout_ms, const char *cause_has, const char *leftover)
{
	char *cause, *first, *last;
	int attempts;

	assert_int_equal(convert(prog, timeout_ms, &cause, &attempts), -1);
	assert_non_null(cause);
	if (strstr(cause, cause_has) == NULL)
		fail_msg("the cause '%s' does not say '%s'", cause, cause_has);
	assert_int_equal(attempts, 2);
	if (prog != NULL && strstr(prog, "missing") == NULL) {
		assert_int_equal(calls(&first, &last), 2);
		assert_string_not_equal(first, last); /* the retry ran in a fresh profile */
		free(first);
		free(last);
	}
	if (leftover != NULL)
		assert_int_equal(processes_running(leftover), 0);
	free(cause);
}

static void
test_hang_is_stopped_with_its_children(void **state)
{
	/* soffice starts soffice.bin; this one starts a sleeper and then sleeps itself. */
	char *p = stand_in("hang", "sh -c 'sleep 31.25' \"$out\" & sleep 31.5");

	(void)state;
	/* Its child names the result folder, in this test's folder: no other test's is counted. */
	assert_fails(p, 500, "did not finish within 1 s", dir);
	free(p);
}

static void
test_crash_fail_garbage_nothing(void **state)
{
	char *crash = stand_in("crash", "kill -SEGV $$");
	char *failing = stand_in("failing", "exit 3");
	char *garbage = stand_in("garbage", "echo 'not a PDF' > \"$out/$base.pdf\"");
	char *nothing = stand_in("nothing", "exit 0");
	char *half = stand_in("half", "printf '%%PDF-1.7\\n1 0 obj\\n' > \"$out/$base.pdf\"");

	(void)state;
	assert_fails(crash, 10000, "LibreOffice crashed (signal 11)", NULL);
	assert_fails(failing, 10000, "LibreOffice failed (exit status 3)", NULL);
	assert_fails(garbage, 10000, "wrote a file that is not a readable PDF", NULL);
	assert_fails(nothing, 10000, "finished but wrote no PDF", NULL);
	assert_fails(half, 10000, "wrote a file that is not a readable PDF", NULL);
	free(crash);
	free(failing);
	free(garbage);
	free(nothing);
	free(half);
}

static void
test_missing_soffice(void **state)
{
	char *p = pathf("%s/missing-soffice", dir);

	(void)state;
	assert_fails(p, 10000, "cannot run", NULL);
	free(p);
}

/* The profile is used again across conversions, and made anew after renew_after of them. */
static void
test_profile_renewed(void **state)
{
	char *good, *real = srcpath("tests/fixtures/office/one-page.pdf"), *body, *xlsx, *pdf;
	char *cause = NULL, *first, *last;
	struct office_opts o = {NULL, NULL, NULL, 10000, 1, 2};
	struct office *of;
	int i;

	(void)state;
	body = pathf("cp '%s' \"$out/$base.pdf\"", real);
	good = stand_in("good", body);
	o.soffice = good;
	o.scratch = dir;
	of = office_new(&o);
	xlsx = srcpath("templates/様式第3号.xlsx");
	pdf = pathf("%s/out.pdf", dir);
	for (i = 0; i < 3; i++) {
		assert_int_equal(office_pdf(of, xlsx, pdf, &cause), 0);
		assert_int_equal(office_attempts(of), 1);
	}
	assert_int_equal(calls(&first, &last), 3);
	assert_string_not_equal(first, last); /* the third in a new profile */
	office_free(of);
	free(first);
	free(last);
	free(pdf);
	free(xlsx);
	free(good);
	free(body);
	free(real);
}

/* The real LibreOffice: the office's form as a PDF/A-2 with its faces embedded. */
static void
test_real_soffice_pdf_a(void **state)
{
	char *cause = NULL, *uri = pathf("file://%s/form.pdf", dir), *xmp, *text;
	PopplerDocument *doc;
	PopplerPage *page;
	PopplerFontInfo *fi;
	PopplerFontsIter *it = NULL;
	int attempts, japanese = 0, all = 1;

	(void)state;
	if (convert(NULL, 180000, &cause, &attempts) != 0)
		fail_msg("soffice: %s", cause);
	assert_int_equal(attempts, 1);
	doc = poppler_document_new_from_file(uri, NULL, NULL);
	assert_non_null(doc);
	assert_int_equal(poppler_document_get_n_pages(doc), 1);
	xmp = poppler_document_get_metadata(doc);
	assert_non_null(xmp);
	assert_true(strstr(xmp, "pdfaid:part>2<") != NULL ||
	            strstr(xmp, "pdfaid:part=\"2\"") != NULL);
	g_free(xmp);
	page = poppler_document_get_page(doc, 0);
	text = poppler_page_get_text(page);
	assert_non_null(strstr(text, "通院移送費 支給決定書"));
	g_free(text);
	g_object_unref(page);
	fi = poppler_font_info_new(doc);
	while (poppler_font_info_scan(fi, 1, &it) && it != NULL) {
		do {
			const char *name = poppler_fonts_iter_get_name(it);

			all &= poppler_fonts_iter_is_embedded(it);
			japanese |= name != NULL && strstr(name, "IPA") != NULL;
		} while (poppler_fonts_iter_next(it));
		poppler_fonts_iter_free(it);
		it = NULL;
	}
	poppler_font_info_free(fi);
	assert_true(all);
	assert_true(japanese);
	/* Its own profile's, so another suite's LibreOffice running meanwhile is not counted. */
	assert_int_equal(processes_running(dir), 0);
	g_object_unref(doc);
	free(uri);
}

static int
setup(void **state)
{
	(void)state;
	dir = tmpdir_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rmtree(dir);
	free(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hang_is_stopped_with_its_children),
	    cmocka_unit_test(test_crash_fail_garbage_nothing),
	    cmocka_unit_test(test_missing_soffice),
	    cmocka_unit_test(test_profile_renewed),
	    cmocka_unit_test(test_real_soffice_pdf_a),
	};

	return cmocka_run_group_tests_name("office", tests, setup, teardown);
}
