/*
 * libFuzzer harness: any text as a date, an amount, a number and through every text transform.
 * A parser either accepts a value it understood completely, or gives a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *cause, *w;
	int64_t v;
	int i;

	memcpy(s, data, size);
	s[size] = '\0';
	if (tf_date(eras_builtin(), s, &v, &cause) == 0) {
		w = tf_wareki(eras_builtin(), v, 1);
		/* What was accepted reads back as the same day. */
		if (w != NULL) {
			int64_t back;
			char *c2;

			if (tf_date(eras_builtin(), w, &back, &c2) != 0 || back != v)
				abort();
			free(w);
		}
	} else
		free(cause);
	if (tf_yen(s, &v, &cause) == -1)
		free(cause);
	if (tf_int(s, &v, &cause) == -1)
		free(cause);
	for (i = 0; i < TT_COUNT; i++)
		free(tf_apply((enum text_transform)i, s));
	free(s);
	return 0;
}
