/*
 * What a person sees: the forms and the ledger rendered by LibreOffice (the office's other
 * reader besides Excel), converted to text as shown. Dates must read as 和暦 (令和6年4月3日),
 * amounts with separators and 円, and the ledger's total must show without a recalculation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

/* The xlsx at dir/name as LibreOffice shows it, as UTF-8 CSV; NULL if soffice failed. */
static char *
as_shown(const char *dir, const char *name)
{
	char *cmd, *csv, *text, *base = strdup(name);

	base[strlen(base) - strlen(".xlsx")] = '\0';
	if (asprintf(&cmd,
	             "cd '%s' && HOME='%s' timeout 180 soffice --headless "
	             "-env:UserInstallation=file://%s/lo-profile "
	             "--convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true' "
	             "'%s' >/dev/null 2>&1",
	             dir, dir, dir, name) == -1 ||
	    asprintf(&csv, "%s/%s.csv", dir, base) == -1)
		abort();
	if (system(cmd) != 0)
		fail_msg("soffice could not convert %s", name);
	text = slurp(csv, NULL);
	free(cmd);
	free(csv);
	free(base);
	return text;
}

static void
test_libreoffice_shows_wareki(void **state)
{
	char *dir, *cfg = srcpath("formagent.yaml"), *in, *text;

	(void)state;
	if (system("command -v soffice >/dev/null 2>&1") != 0) {
		print_message(
		    "test_libreoffice_shows_wareki: soffice is not installed: not checked\n");
		free(cfg);
		skip();
	}
	dir = tmpdir_new();
	in = samplepath("transport-2024-04.cp932.csv");
	assert_int_equal(
	    run_agent(NULL, NULL, NULL, "process -c '%s' --out '%s' '%s'", cfg, dir, in), 0);
	text = as_shown(dir, "transport-2024-04.cp932.ledger.xlsx");
	assert_non_null(text);
	assert_non_null(
	    strstr(text, "2,0101-00231,札幌 太郎,令和6年4月3日,令和6年4月1日,東区中央病院,250円,4,"
	                 "\"2,000円\""));
	assert_non_null(strstr(text, "合計,,,,,,,,\"11,880円\""));
	free(text);
	text = as_shown(dir, "transport-0102-01345-2024-04-05.xlsx");
	assert_non_null(text);
	assert_non_null(strstr(text, ",係長,課長"));
	assert_non_null(strstr(text, "通院移送費 支給決定書"));
	assert_non_null(strstr(text, ",申請日,令和6年4月9日"));
	assert_non_null(strstr(text, ",通院日,令和6年4月5日"));
	assert_non_null(strstr(text, "\"5,040円\""));
	assert_non_null(strstr(text, "12回"));
	free(text);
	free(in);
	free(cfg);
	rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_libreoffice_shows_wareki),
	};

	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
