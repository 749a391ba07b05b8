/* SPDX-License-Identifier: MIT */
/*
 * Scalar values of the config: text <-> typed field, one codec per value
 * type (a table indexed by enum rp_vtype). The loader feeds it YAML scalars
 * and the defaults written in the schema; the printer formats with it, so
 * whatever is printed parses back to the same field.
 */
#ifndef RP_CONFIG_VALUE_H
#define RP_CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/schema.h"

#define RP_WHY_MAX 256

struct rp_vcodec {
	const char *what;	/* "an integer": for "expected <what>, got ..." */
	/* Text -> field. 0, or -1 with the reason in why. NULL: not a scalar
	 * type (the loader walks its YAML node itself). */
	int (*parse)(const struct rp_key *k, const char *text, void *field, char *why);
	/* Field -> YAML text that parse() reads back. */
	void (*format)(const struct rp_key *k, const void *field, char *buf, size_t n);
	/* The "not given" state (RP_UNSET, RP_TRI_UNSET, empty). */
	void (*unset)(const struct rp_key *k, void *field);
	bool (*is_unset)(const struct rp_key *k, const void *field);
};

extern const struct rp_vcodec rp_vcodecs[RP_V__COUNT];

/* A decimal integer within [min, max]: 0; else -1 (not an integer) or
 * RP_PARSE_RANGE, with why. */
#define RP_PARSE_RANGE (-2)
int rp_parse_long(const char *text, long min, long max, long *out, char *why);

/* Append v to an unsigned array of capacity cap holding *n. */
int rp_ulist_push(unsigned *arr, unsigned *n, unsigned cap, unsigned v, char *why);

#endif
