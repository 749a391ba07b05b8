/* SPDX-License-Identifier: MIT */
/*
 * Where config text comes from: a file, stdin ("-"), or the default compiled
 * into the binary; and freeing what loading allocated.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/errors.h"

#define FILE_MAX	(16UL << 20)	/* no config is anywhere near this */

/* The whole stream into memory ("-": stdin); NULL with errno set. */
static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *bigger;

	errno = 0;
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (ferror(f)) {
			int err = errno ? errno : EIO;	/* EISDIR for a directory */

			free(buf);
			errno = err;
			return NULL;
		}
		if (n < cap)
			break;
		if (cap >= FILE_MAX) {
			free(buf);
			errno = EFBIG;
			return NULL;
		}
		bigger = realloc(buf, cap * 2);
		if (!bigger)
			free(buf);
		buf = bigger;
		cap *= 2;
	}
	*len = n;
	return buf;
}

int rp_config_load_file(const char *path, struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	size_t len = 0;
	char *text;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (!f) {
		rp_cfg_error_add(errs, name, (struct rp_mark){ 0, 0 }, "cannot open: %s", strerror(errno));
		return -1;
	}
	text = read_all(f, &len);
	if (!text)
		rp_cfg_error_add(errs, name, (struct rp_mark){ 0, 0 }, "cannot read: %s",
				 errno == EFBIG ? "file too large (over 16 MiB)" : strerror(errno));
	if (!is_stdin)
		fclose(f);
	if (!text)
		return -1;
	ret = rp_config_load_string(name, text, len, cfg, errs);
	free(text);
	return ret;
}

/* config/examples/default.yaml, compiled in (default_yaml.c, generated). */
extern const char rp_default_yaml[];
extern const size_t rp_default_yaml_len;

int rp_config_load_default(struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	return rp_config_load_string("<embedded default.yaml>", rp_default_yaml,
				     rp_default_yaml_len, cfg, errs);
}

void rp_config_free(struct rp_config *cfg)
{
	for (unsigned i = 0; cfg->interfaces && i < cfg->n_interfaces; i++)
		free(cfg->interfaces[i].features);
	free(cfg->interfaces);
	for (unsigned i = 0; cfg->services && i < cfg->n_services; i++)
		free(cfg->services[i].backends);
	free(cfg->services);
	memset(cfg, 0, sizeof(*cfg));
}
