/*
 * Tests for spool.c: outputs appear whole under their name, with group-only permissions; a
 * rerun that writes the same bytes adds nothing; different bytes never overwrite; names made
 * from claim data cannot leave the folder or hide.
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

#include "spool.h"
#include "testutil.h"

static int
write_output(const char *dir, const char *name, const char *bytes, char **final)
{
	struct outfile o;
	char *cause = NULL;

	if (out_begin(dir, name, &o, &cause) == -1) {
		free(cause);
		return -1;
	}
	if (out_write(&o, bytes, strlen(bytes), &cause) == -1 || out_commit(&o, &cause) == -1) {
		free(cause);
		return -1;
	}
	*final = o.final;
	out_abort(&o);
	return 0;
}

static void
test_commit(void **state)
{
	char *dir = tmpdir_new(), *final, *p, *text;
	struct stat st;

	(void)state;
	umask(0);
	assert_int_equal(write_output(dir, "a.csv", "one", &final), 0);
	umask(022);
	assert_string_equal(final, "a.csv");
	free(final);
	p = srcpath("");
	free(p);
	if (asprintf(&p, "%s/a.csv", dir) == -1)
		abort();
	assert_int_equal(stat(p, &st), 0);
	/* Personal data: readable by the group only, whatever the umask. */
	assert_int_equal(st.st_mode & 0777, 0640);
	/* The same bytes again: the existing file is this output. */
	assert_int_equal(write_output(dir, "a.csv", "one", &final), 0);
	assert_string_equal(final, "a.csv");
	free(final);
	/* Different bytes: never overwritten, a new name instead. */
	assert_int_equal(write_output(dir, "a.csv", "two", &final), 0);
	assert_string_equal(final, "a-2.csv");
	free(final);
	text = slurp(p, NULL);
	assert_string_equal(text, "one");
	free(text);
	assert_int_equal(write_output(dir, "a.csv", "two", &final), 0);
	assert_string_equal(final, "a-2.csv");
	free(final);
	assert_int_equal(write_output(dir, "a.csv", "three", &final), 0);
	assert_string_equal(final, "a-3.csv");
	free(final);
	/* No temporary name is left behind. */
	assert_int_equal(count_files(dir, ""), 3);
	free(p);
	rmtree(dir);
	free(dir);
}

static void
test_abort(void **state)
{
	char *dir = tmpdir_new(), *cause = NULL;
	struct outfile o;

	(void)state;
	assert_int_equal(out_begin(dir, "b.xlsx", &o, &cause), 0);
	assert_int_equal(out_write(&o, "partial", 7, &cause), 0);
	assert_int_equal(count_files(dir, ".tmp"), 1);
	out_abort(&o);
	assert_int_equal(count_files(dir, ""), 0);
	assert_int_equal(out_begin("/nonexistent/dir", "b.xlsx", &o, &cause), -1);
	assert_non_null(strstr(cause, "cannot open folder /nonexistent/dir"));
	free(cause);
	rmtree(dir);
	free(dir);
}

static void
test_safe_names(void **state)
{
	static const struct {
		const char *in, *out;
		size_t max;
	} cases[] = {
	    {"0101-00231", "0101-00231", 80},
	    {"../../etc/passwd", "_._.._etc_passwd", 80},
	    {"..", "_.", 80},
	    {".hidden", "_hidden", 80},
	    {"a/b\\c", "a_b_c", 80},
	    {"a\x01"
	     "b\x7f",
	     "a_b_", 80},
	    {"", "_", 80},
	    {"札幌 太郎", "札幌_太郎", 80},
	    {"札幌\u3000太郎", "札幌_太郎", 80},
	    {"ｶﾅ①", "ｶﾅ①", 80},
	    {"a\xff"
	     "b",
	     "a_b", 80},
	    {"abcdef", "abc", 3},
	    {"札幌", "札", 4},
	    {"C:file*?<>|\"", "C_file______", 80},
	    {"\u202eevil", "_evil", 80},
	};
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = spool_safe_name(cases[i].in, cases[i].max);
		if (strcmp(s, cases[i].out) != 0)
			fail_msg("safe name of '%s' is '%s', expected '%s'", cases[i].in, s,
			         cases[i].out);
		free(s);
	}
}

static void
test_mkdirs(void **state)
{
	char *dir = tmpdir_new(), *deep, *cause = NULL;
	struct stat st;

	(void)state;
	if (asprintf(&deep, "%s/a/b/c", dir) == -1)
		abort();
	assert_int_equal(spool_mkdirs(deep, &cause), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(spool_mkdirs(deep, &cause), 0);
	free(deep);
	rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_commit),
	    cmocka_unit_test(test_abort),
	    cmocka_unit_test(test_safe_names),
	    cmocka_unit_test(test_mkdirs),
	};

	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
