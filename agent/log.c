/*
 * Operational log lines on stderr. systemd's journal reads a "<N>" prefix as the priority, which
 * keeps levels without linking the journal API; on a terminal the prefix is left out.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

static int log_prefix;
static enum log_level log_max = LOG_LV_INFO;

void
log_init(int journal_prefix, enum log_level max_level)
{
	log_prefix = journal_prefix;
	log_max = max_level;
}

void
log_msg(enum log_level lv, const char *fmt, ...)
{
	va_list ap;

	if (lv > log_max)
		return;
	va_start(ap, fmt);
	/* One line whole, whichever thread logs: the workers' lines never interleave. */
	flockfile(stderr);
	if (log_prefix)
		fprintf(stderr, "<%d>", (int)lv);
	else
		fputs("formagent: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}

char *
log_escape(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, o = 0, k;
	uint32_t cp;
	char *out = xmalloc(n * 4 + 4);

	while (i < n) {
		if (max > 0 && o >= max) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		k = utf8_decode(s + i, n - i, &cp);
		/* C1 controls (U+0080..U+009F) are as dangerous to a terminal as C0 ones. */
		if (k > 0 && (cp < 0x20 || cp == 0x7f || cp == '\\' || (cp >= 0x80 && cp <= 0x9f)))
			k = 0;
		if (k == 0) {
			o += (size_t)sprintf(out + o, "\\x%02x", p[i]);
			i++;
			continue;
		}
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return out;
}
