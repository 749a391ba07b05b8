/* SPDX-License-Identifier: MIT */
/*
 * Config error list: collect, print as FILE:LINE:COL: error: MESSAGE, free.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/errors.h"

bool rp_cfg_errors_full(const struct rp_cfg_errors *errs)
{
	return errs->n > RP_CFG_ERRORS_MAX;
}

static struct rp_cfg_error *grow(struct rp_cfg_errors *errs)
{
	struct rp_cfg_error *v = realloc(errs->v, (errs->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	errs->v = v;
	return memset(&v[errs->n++], 0, sizeof(*v));
}

void rp_cfg_error_add(struct rp_cfg_errors *errs, const char *file, struct rp_mark at,
		      const char *fmt, ...)
{
	struct rp_cfg_error *e;
	va_list ap;

	if (rp_cfg_errors_full(errs))
		return;
	e = grow(errs);
	if (!e) {
		/* Out of memory: the errors already collected still stand. */
		return;
	}
	snprintf(e->file, sizeof(e->file), "%s", file);
	e->line = at.line;
	e->column = at.column;
	if (rp_cfg_errors_full(errs)) {
		snprintf(e->msg, sizeof(e->msg), "too many errors, stopped after %d",
			 RP_CFG_ERRORS_MAX);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

static bool before(const struct rp_cfg_error *a, const struct rp_cfg_error *b)
{
	return a->line < b->line || (a->line == b->line && a->column < b->column);
}

/* Insertion sort: stable, and there are at most RP_CFG_ERRORS_MAX + 1. */
void rp_cfg_errors_sort(struct rp_cfg_errors *errs, unsigned from)
{
	for (unsigned i = from + 1; i < errs->n; i++) {
		struct rp_cfg_error e = errs->v[i];
		unsigned j = i;

		for (; j > from && before(&e, &errs->v[j - 1]); j--)
			errs->v[j] = errs->v[j - 1];
		errs->v[j] = e;
	}
}

void rp_cfg_errors_print(FILE *f, const struct rp_cfg_errors *errs)
{
	for (unsigned i = 0; i < errs->n; i++) {
		const struct rp_cfg_error *e = &errs->v[i];

		if (e->line)
			fprintf(f, "%s:%u:%u: error: %s\n", e->file, e->line, e->column, e->msg);
		else	/* about the file as a whole (cannot open, too large) */
			fprintf(f, "%s: error: %s\n", e->file, e->msg);
	}
}

void rp_cfg_errors_free(struct rp_cfg_errors *errs)
{
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}
