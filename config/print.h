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

void rp_config_print_documented(FILE *f, const struct rp_config *cfg);

#endif
