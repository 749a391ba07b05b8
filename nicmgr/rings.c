// SPDX-License-Identifier: MIT
/* ethtool rings (ethtool -g/-G): ring sizes, header split and its threshold. */
#include <stddef.h>

#include "nicmgr/family.h"
#include "nicmgr/uapi.h"

#define RG(n, a, t) { n, "rings." n, a, t, RP_CFG_NONE, 0, 0, 0 }
#define RGSET(n, key, a, m) { n, key, a, RP_NLA_U32, RP_CFG_LONG, offsetof(struct rp_iface_cfg, m), 0, 0 }

static const struct rp_nic_field rings_fields[] = {
	RG("rx-max", ETHTOOL_A_RINGS_RX_MAX, RP_NLA_U32),
	RG("rx-mini-max", ETHTOOL_A_RINGS_RX_MINI_MAX, RP_NLA_U32),
	RG("rx-jumbo-max", ETHTOOL_A_RINGS_RX_JUMBO_MAX, RP_NLA_U32),
	RG("tx-max", ETHTOOL_A_RINGS_TX_MAX, RP_NLA_U32),
	RGSET("rx", "rings.rx", ETHTOOL_A_RINGS_RX, ring_rx),
	RG("rx-mini", ETHTOOL_A_RINGS_RX_MINI, RP_NLA_U32),
	RG("rx-jumbo", ETHTOOL_A_RINGS_RX_JUMBO, RP_NLA_U32),
	RGSET("tx", "rings.tx", ETHTOOL_A_RINGS_TX, ring_tx),
	RG("rx-buf-len", ETHTOOL_A_RINGS_RX_BUF_LEN, RP_NLA_U32),
	/* 0 unknown, 1 disabled, 2 enabled (enum in ethtool_netlink.h) */
	{ "tcp-data-split", "tcp-data-split", ETHTOOL_A_RINGS_TCP_DATA_SPLIT, RP_NLA_U8,
	  RP_CFG_TRI, offsetof(struct rp_iface_cfg, tcp_data_split),
	  ETHTOOL_TCP_DATA_SPLIT_DISABLED, ETHTOOL_TCP_DATA_SPLIT_ENABLED },
	RG("cqe-size", ETHTOOL_A_RINGS_CQE_SIZE, RP_NLA_U32),
	RG("tx-push", ETHTOOL_A_RINGS_TX_PUSH, RP_NLA_U8),
	RG("rx-push", ETHTOOL_A_RINGS_RX_PUSH, RP_NLA_U8),
	RGSET("hds-thresh", "hds-threshold", RP_ETHTOOL_A_RINGS_HDS_THRESH, hds_threshold),
	RG("hds-thresh-max", RP_ETHTOOL_A_RINGS_HDS_THRESH_MAX, RP_NLA_U32),
};

const struct rp_nic_sect_desc rp_nic_rings_desc = {
	.name = "rings",
	.get_cmd = ETHTOOL_MSG_RINGS_GET,
	.set_cmd = ETHTOOL_MSG_RINGS_SET,
	.max_attr = RP_ETHTOOL_A_RINGS_MAX,
	.fields = rings_fields,
	.n_fields = sizeof(rings_fields) / sizeof(rings_fields[0]),
};
