/* SPDX-License-Identifier: MIT */
/*
 * Collecting config errors (internal to config/): each names a file, a
 * 1-based line:column and what is wrong. Loading goes on after an error so
 * one run shows every problem, up to RP_CFG_ERRORS_MAX.
 */
#ifndef RP_CONFIG_ERRORS_H
#define RP_CONFIG_ERRORS_H

#include <stdbool.h>

#include "config/config.h"

#define RP_CFG_ERRORS_MAX 50

/* Adds one; past the cap, adds a last "too many errors" entry instead. */
void rp_cfg_error_add(struct rp_cfg_errors *errs, const char *file, struct rp_mark at,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The cap is reached: stop looking for more. */
bool rp_cfg_errors_full(const struct rp_cfg_errors *errs);

/* Errors from index `from` on into file order (stable: line, column). */
void rp_cfg_errors_sort(struct rp_cfg_errors *errs, unsigned from);

/* Did-you-mean: offer candidates, then ask for the closest one, if it is
 * close enough to be a plausible typo (edit distance). */
struct rp_suggest {
	const char *word;
	const char *best;
	unsigned best_distance;
};

void rp_suggest_init(struct rp_suggest *s, const char *word);
void rp_suggest_offer(struct rp_suggest *s, const char *candidate);
const char *rp_suggest_result(const struct rp_suggest *s);

#endif
