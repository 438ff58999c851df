/*
 * libFuzzer harness: any bytes as a claim file, through the reader and every decoder. A crash, a
 * hang or unbounded memory here is a bad file taking the agent down.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct record *rec;
	struct decoder *dc[3];
	struct reader *r;
	enum encoding enc;
	char *cause = NULL, *out;
	size_t i, j, bad;
	int fd = memfd_create("fuzz", 0);

	if (fd == -1 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	dc[0] = decoder_new(ENC_UTF8);
	dc[1] = decoder_new(ENC_CP932);
	dc[2] = decoder_new(ENC_EUCJP);
	r = reader_new(fd);
	if (reader_sniff(r, &enc, &cause) == -1)
		free(cause);
	else {
		while (reader_next(r, &rec, &cause) == 1)
			for (i = 0; i < rec->n; i++)
				for (j = 0; j < 3; j++)
					if (decoder_run(dc[j], rec->f[i].p, rec->f[i].len, &out,
					                &bad) == 0)
						free(out);
		free(cause);
	}
	reader_free(r);
	for (j = 0; j < 3; j++)
		decoder_free(dc[j]);
	close(fd);
	return 0;
}
