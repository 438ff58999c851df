/*
 * Tests of what `make install` lays out and of the systemd unit: the files land where the issue
 * says, the installed configuration checks OK with its paths under /var/lib/formagent, and
 * systemd-analyze accepts the unit (verify) and scores its exposure at 1.0 or lower.
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

#include "testutil.h"

static char *sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command and returns its standard output and error. */
static char *
sh(const char *fmt, ...)
{
	char *cmd, *full, *dir = tmpdir_new(), *outp, *out;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) == -1)
		abort();
	va_end(ap);
	if (asprintf(&outp, "%s/out", dir) == -1 ||
	    asprintf(&full, "(%s) >'%s' 2>&1", cmd, outp) == -1)
		abort();
	if (system(full) == -1)
		abort();
	out = slurp(outp, NULL);
	rmtree(dir);
	free(dir);
	free(outp);
	free(full);
	free(cmd);
	return out;
}

static int
exists(const char *root, const char *rel)
{
	char *p;
	struct stat st;
	int ok;

	if (asprintf(&p, "%s%s", root, rel) == -1)
		abort();
	ok = stat(p, &st) == 0;
	free(p);
	return ok;
}

static void
test_install_layout(void **state)
{
	char *src = srcpath(""), *dest = tmpdir_new(), *out, *cfg;

	(void)state;
	out = sh("make -s -C '%s' install DESTDIR='%s' PREFIX=/usr/local", src, dest);
	free(out);
	assert_true(exists(dest, "/usr/local/bin/formagent"));
	assert_true(exists(dest, "/usr/local/share/man/man1/formagent.1"));
	assert_true(exists(dest, "/usr/local/share/formagent/fonts.conf"));
	assert_true(exists(dest, "/etc/formagent/formagent.yaml"));
	assert_true(exists(dest, "/etc/formagent/rules/transport.yaml"));
	assert_true(exists(dest, "/etc/formagent/rules/household-goods.yaml"));
	assert_true(exists(dest, "/etc/formagent/templates/transport-form.yaml"));
	/* Beside the templates, where the print output's LibreOffice finds it. */
	assert_true(exists(dest, "/etc/formagent/templates/fonts.conf"));
	assert_true(exists(dest, "/var/lib/formagent"));
	assert_true(exists(dest, "/usr/local/lib/systemd/system/formagent.service"));
	assert_true(exists(dest, "/usr/local/lib/sysusers.d/formagent.conf"));
	assert_true(exists(dest, "/usr/local/lib/tmpfiles.d/formagent.conf"));
	if (asprintf(&cfg, "%s/etc/formagent/formagent.yaml", dest) == -1)
		abort();
	out = slurp(cfg, NULL);
	assert_non_null(strstr(out, "inbox: /var/lib/formagent/inbox"));
	assert_non_null(strstr(out, "dir: /var/lib/formagent/audit"));
	assert_null(strstr(out, "demo/"));
	free(out);
	/* The installed configuration loads: its rules and templates are beside it. */
	assert_int_equal(run_agent(NULL, &out, NULL, "check -c '%s'", cfg), 0);
	assert_non_null(strstr(out, "configuration OK"));
	free(out);
	out = sh("grep -c ExecStart=/usr/local/bin/formagent "
	         "'%s/usr/local/lib/systemd/system/formagent.service'",
	         dest);
	assert_string_equal(out, "1\n");
	free(out);
	free(cfg);
	free(src);
	rmtree(dest);
	free(dest);
}

static void
test_unit(void **state)
{
	char *dir = tmpdir_new(), *src = srcpath(""), *out, *bin = getenv("FORMAGENT");
	double score = 99;
	const char *p;

	(void)state;
	if (system("command -v systemd-analyze >/dev/null") != 0) {
		print_message("test_unit: systemd-analyze is not installed: not checked\n");
		skip();
	}
	/* ExecStart and Documentation must resolve: the built binary, and the man page. */
	out = sh("mkdir -p '%s/man/man1' && cp '%s/docs/formagent.1' '%s/man/man1/' && "
	         "sed 's|@BINDIR@/formagent|%s|' '%s/systemd/formagent.service' > "
	         "'%s/formagent.service' && MANPATH='%s/man' systemd-analyze verify "
	         "'%s/formagent.service' && echo VERIFIED",
	         dir, src, dir, bin != NULL ? bin : "/usr/bin/true", src, dir, dir, dir);
	if (strstr(out, "VERIFIED") == NULL)
		fail_msg("systemd-analyze verify: %s", out);
	free(out);
	out = sh("systemd-analyze security --offline=yes '%s/formagent.service'", dir);
	if ((p = strstr(out, "Overall exposure level for formagent.service: ")) == NULL)
		fail_msg("no exposure level in: %s", out);
	score = strtod(p + strlen("Overall exposure level for formagent.service: "), NULL);
	if (score > 1.0)
		fail_msg("exposure %.1f is above 1.0:\n%s", score, out);
	free(out);
	free(src);
	rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_install_layout),
	    cmocka_unit_test(test_unit),
	};

	return cmocka_run_group_tests_name("install", tests, NULL, NULL);
}
