/* SPDX-License-Identifier: MIT */
/*
 * zcrx queues: can an interface's rx queue take io_uring zero-copy receive,
 * and preparing it (header split on, threshold 0, the queue out of the RSS
 * indirection table, an ntuple rule steering the service's port to it).
 *
 * The judgement reads only (rp_nic_read, sysfs): safe on any device,
 * including the root namespace's eth0. The preparation is ordinary plan
 * changes (nicmgr.h: read back each, roll back on failure); `ringplane nic
 * plan -c FILE` shows them, with "not supported: why" where the device
 * refuses, without touching it.
 */
#ifndef RP_NIC_ZCRXQ_H
#define RP_NIC_ZCRXQ_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "nicmgr/nicmgr.h"

/* Why a queue cannot take zcrx, the first thing missing in this order. */
enum rp_zcrx_why {
	RP_ZCRX_USABLE,		/* as far as reading can tell: registration decides */
	RP_ZCRX_NO_KERNEL,	/* the kernel has no zcrx (or no CAP_NET_ADMIN) */
	RP_ZCRX_NO_DMABUF,	/* area source dmabuf, but no /dev/udmabuf (zcrx_area.h) */
	RP_ZCRX_NO_DEVICE,	/* no such interface in this namespace */
	RP_ZCRX_SOFTWARE,	/* no DMA device behind it (veth, ifb, tun, bridge, lo) */
	RP_ZCRX_NO_QUEUE,	/* the rx queue does not exist */
	RP_ZCRX_NO_HDS,		/* the driver has no tcp-data-split */
	RP_ZCRX_NO_NTUPLE,	/* no ntuple flow steering to the queue */
	RP_ZCRX_NO_RSS,		/* the queue cannot be taken out of RSS */
	RP_ZCRX_REFUSED,	/* IORING_REGISTER_ZCRX_IFQ refused (worker start) */
	RP_ZCRX__COUNT,
};

struct rp_zcrx_verdict {
	enum rp_zcrx_why why;
	int err;		/* errno behind it, 0 if none */
	char driver[32];
	char text[256];		/* "eth0: tcp-data-split not supported by virtio_net" */
};

/* Short stable name of a reason ("no-hds"), for JSON and tests. */
const char *rp_zcrx_why_name(enum rp_zcrx_why why);

/* Judge queue of a device from what rp_nic_read found; dma_device: the
 * netdev has a parent device (sysfs .../device), which zcrx maps the
 * area for (the kernel refuses EOPNOTSUPP without one). Pure. */
void rp_nic_zcrx_judge(const struct rp_nic_info *info, bool dma_device, unsigned queue,
		       struct rp_zcrx_verdict *v);
/* Read dev (netlink, sysfs: nothing is changed) and judge it. */
void rp_nic_zcrx_probe(const char *dev, unsigned queue, struct rp_zcrx_verdict *v);

/* The copy of interfaces[idx] nicmgr plans: with the zcrx queue of the
 * service that asks for one (prepare: false leaves it out, for `auto`
 * after a probe said no). */
void rp_nic_zcrx_iface(const struct rp_config *cfg, unsigned idx, bool prepare,
		       struct rp_iface_cfg *out);

#endif
