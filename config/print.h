/* SPDX-License-Identifier: MIT */
/*
 * Printing a loaded config as YAML (rp_config_print in config.h), and the
 * same with every key documented from the schema table: what `ringplane
 * check --reference` prints and config/examples/reference.yaml holds.
 */
#ifndef RP_CONFIG_PRINT_H
#define RP_CONFIG_PRINT_H

#include <stdio.h>

#include "config/config.h"
#include "config/schema.h"

void rp_config_print_documented(FILE *f, const struct rp_config *cfg);
/* A key's syntax, range and default in one line ("integer, 1..1024, or
 * auto; default auto"): the reference's second comment line, the man page's. */
void rp_key_describe(const struct rp_key *k, char *buf, size_t n);

#endif
