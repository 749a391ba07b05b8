// SPDX-License-Identifier: MIT
/* ethtool channels (ethtool -l/-L): queue counts per kind and their maxima. */
#include <stddef.h>

#include "nicmgr/family.h"

#define CH(n, a) { n, "channels." n, ETHTOOL_A_CHANNELS_##a, RP_NLA_U32, RP_CFG_NONE, 0, 0, 0 }
#define CHSET(n, a, m) { n, "channels." n, ETHTOOL_A_CHANNELS_##a, RP_NLA_U32, RP_CFG_LONG, \
			 offsetof(struct rp_iface_cfg, m), 0, 0 }

static const struct rp_nic_field channels_fields[] = {
	CH("rx-max", RX_MAX),
	CH("tx-max", TX_MAX),
	CH("other-max", OTHER_MAX),
	CH("combined-max", COMBINED_MAX),
	CHSET("rx", RX_COUNT, channels_rx),
	CHSET("tx", TX_COUNT, channels_tx),
	CH("other", OTHER_COUNT),
	CHSET("combined", COMBINED_COUNT, channels_combined),
};

const struct rp_nic_sect_desc rp_nic_channels_desc = {
	.name = "channels",
	.get_cmd = ETHTOOL_MSG_CHANNELS_GET,
	.set_cmd = ETHTOOL_MSG_CHANNELS_SET,
	.max_attr = ETHTOOL_A_CHANNELS_MAX,
	.fields = channels_fields,
	.n_fields = sizeof(channels_fields) / sizeof(channels_fields[0]),
};
