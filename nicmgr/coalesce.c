// SPDX-License-Identifier: MIT
/* ethtool coalesce (ethtool -c/-C): interrupt moderation. */
#include <stddef.h>

#include "nicmgr/family.h"

#define CO(n, a, t, m) { n, "coalesce." n, ETHTOOL_A_COALESCE_##a, t, RP_CFG_LONG, \
			 offsetof(struct rp_iface_cfg, m), 0, 0 }
#define COTRI(n, a, m) { n, "coalesce." n, ETHTOOL_A_COALESCE_##a, RP_NLA_U8, RP_CFG_TRI, \
			 offsetof(struct rp_iface_cfg, m), 0, 1 }
#define CORO(n, a) { n, "coalesce." n, ETHTOOL_A_COALESCE_##a, RP_NLA_U32, RP_CFG_NONE, 0, 0, 0 }

static const struct rp_nic_field coalesce_fields[] = {
	CO("rx-usecs", RX_USECS, RP_NLA_U32, coalesce_rx_usecs),
	CO("rx-frames", RX_MAX_FRAMES, RP_NLA_U32, coalesce_rx_frames),
	CO("tx-usecs", TX_USECS, RP_NLA_U32, coalesce_tx_usecs),
	CO("tx-frames", TX_MAX_FRAMES, RP_NLA_U32, coalesce_tx_frames),
	COTRI("adaptive-rx", USE_ADAPTIVE_RX, adaptive_rx),
	COTRI("adaptive-tx", USE_ADAPTIVE_TX, adaptive_tx),
	CORO("rx-usecs-irq", RX_USECS_IRQ),
	CORO("rx-frames-irq", RX_MAX_FRAMES_IRQ),
	CORO("tx-usecs-irq", TX_USECS_IRQ),
	CORO("tx-frames-irq", TX_MAX_FRAMES_IRQ),
	CORO("stats-block-usecs", STATS_BLOCK_USECS),
};

const struct rp_nic_sect_desc rp_nic_coalesce_desc = {
	.name = "coalesce",
	.get_cmd = ETHTOOL_MSG_COALESCE_GET,
	.set_cmd = ETHTOOL_MSG_COALESCE_SET,
	.max_attr = ETHTOOL_A_COALESCE_MAX,
	.fields = coalesce_fields,
	.n_fields = sizeof(coalesce_fields) / sizeof(coalesce_fields[0]),
};
