/* SPDX-License-Identifier: MIT */
/*
 * UAPI values newer than the installed headers (linux-libc-dev 6.12) while
 * the kernel we run on (6.18) has them. They are ABI: numbered as in the
 * kernel's Documentation/netlink/specs/{netdev,ethtool}.yaml. A kernel that
 * lacks one answers "unknown attribute/command", which nicmgr reports as
 * "not supported by this kernel".
 */
#ifndef RP_NIC_UAPI_H
#define RP_NIC_UAPI_H

#include <linux/ethtool_netlink.h>
#include <linux/netdev.h>

enum {
	/* netdev: napi attributes (6.13: defer/gro/suspend, 6.18: threaded) */
	RP_NETDEV_A_NAPI_DEFER_HARD_IRQS = NETDEV_A_NAPI_PID + 1,
	RP_NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT,
	RP_NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT,
	RP_NETDEV_A_NAPI_THREADED,
	RP_NETDEV_A_NAPI_MAX = RP_NETDEV_A_NAPI_THREADED,

	/* netdev: commands (6.13: napi-set) */
	RP_NETDEV_CMD_NAPI_SET = NETDEV_CMD_BIND_RX + 1,

	/* ethtool rings: header-data-split threshold (6.14) */
	RP_ETHTOOL_A_RINGS_HDS_THRESH = ETHTOOL_A_RINGS_TX_PUSH_BUF_LEN_MAX + 1,
	RP_ETHTOOL_A_RINGS_HDS_THRESH_MAX,
	RP_ETHTOOL_A_RINGS_MAX = RP_ETHTOOL_A_RINGS_HDS_THRESH_MAX,

	/* ethtool: RSS configuration over netlink (6.17); before it only the
	 * ETHTOOL_SRXFHINDIR ioctl could set it. */
	RP_ETHTOOL_MSG_RSS_SET = ETHTOOL_MSG_PHY_GET + 3,
};

#endif
