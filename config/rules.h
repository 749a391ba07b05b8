/* SPDX-License-Identifier: MIT */
/*
 * Whole-config rules, checked after the walk: things no single key can know
 * (names and listen addresses unique across entries), and defaults that
 * depend on an entry's place (a service's name: <type>-<index>).
 */
#ifndef RP_CONFIG_RULES_H
#define RP_CONFIG_RULES_H

#include "config/config.h"

void rp_config_check_rules(struct rp_config *cfg, struct rp_cfg_errors *errs);
/* services[].rx-zerocopy (rules_zcrx.c); resolves rx_zc_iface_idx. */
void rp_config_check_rx_zc(struct rp_config *cfg, struct rp_cfg_errors *errs);

#endif
