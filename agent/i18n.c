/*
 * gettext set-up. glibc ignores $LANGUAGE in the "C" locale but not in "C.UTF-8", which every
 * glibc has built in: so a Japanese catalog works on a machine with no Japanese locale
 * generated, and formagent's own formatting (numbers, dates) never depends on the locale.
 */
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "xmalloc.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

static int
has_catalog(const char *dir)
{
	char *p = xasprintf("%s/ja/LC_MESSAGES/formagent.mo", dir);
	struct stat st;
	int ok = stat(p, &st) == 0;

	free(p);
	return ok;
}

void
i18n_init(const char *language)
{
	char exe[PATH_MAX], *slash, *dir = NULL, *cand;
	const char *env = getenv("FORMAGENT_LOCALEDIR");
	ssize_t n;

	setenv("LANGUAGE", language, 1);
	if (setlocale(LC_MESSAGES, "C.UTF-8") == NULL)
		setlocale(LC_MESSAGES, "");
	if (env != NULL && env[0] != '\0')
		dir = xstrdup(env);
	else if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		cand = xasprintf("%s/locale", exe);
		if (has_catalog(cand))
			dir = cand;
		else {
			free(cand);
			cand = xasprintf("%s/../share/locale", exe);
			if (has_catalog(cand))
				dir = cand;
			else
				free(cand);
		}
	}
	bindtextdomain("formagent", dir != NULL ? dir : LOCALEDIR);
	bind_textdomain_codeset("formagent", "UTF-8");
	textdomain("formagent");
	free(dir);
}
