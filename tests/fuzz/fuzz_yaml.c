/*
 * libFuzzer harness: any bytes as a rule file, through the YAML loader and the rule schema (and
 * as a template). A hostile rule must give diagnostics, never a crash or an explosion.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rules.h"
#include "template.h"
#include "transform.h"
#include "yamldoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = {0};
	struct ynode *doc;
	struct rule *r;
	struct template *t;
	char path[64];
	int fd = memfd_create("rule", 0);

	if (fd == -1 || write(fd, data, size) != (ssize_t)size)
		abort();
	if ((doc = ydoc_load_mem("fuzz.yaml", (const char *)data, size, &d)) != NULL)
		ydoc_free(doc);
	diags_free(&d);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if ((r = rule_load(path, eras_builtin(), &d)) != NULL)
		rule_free(r);
	diags_free(&d);
	if ((t = template_load(path, &d)) != NULL)
		template_free(t);
	diags_free(&d);
	close(fd);
	return 0;
}
