/* SPDX-License-Identifier: MIT */
/*
 * The start-up step between config and workers: nicmgr applies each
 * interface's settings (channels, features, NAPI, IRQ affinity, ...) and
 * reports which CPU services each rx queue, so worker q can run where its
 * queue's packets arrive.
 */
#ifndef RP_NIC_START_H
#define RP_NIC_START_H

#include "config/config.h"

/* The served rx queues of every interface, in config order: worker q
 * serves queue q (rp_steer_queue_worker() when there are fewer workers). */
struct rp_queue_cpus {
	unsigned n;
	int cpu[RP_CPUS_MAX];		/* -1: the device has no IRQ to follow */
	unsigned napi_id[RP_CPUS_MAX];	/* 0: no NAPI (tap, ifb, GRO off on veth) */
	unsigned iface_first[RP_CPUS_MAX];	/* interface i's queue 0 is served queue iface_first[i] */
};

/*
 * Apply cfg->interfaces and fill *qc (CPU and NAPI id per queue: the
 * acceptor's napi steering maps ids to workers with it); logs the queue map of each device
 * (and says so plainly for devices without NAPI or IRQs: tap, ifb). No
 * interfaces: qc->n = 0 and nothing is touched. 0, or -1 after logging why
 * (nicmgr has then rolled back what it changed). zcrx_prepare (NULL: none)
 * says per interface whether nicmgr also prepares the rx-zerocopy queue a
 * service asks for (nicmgr/zcrxq.h), with that service's mode: where the
 * preparation fails, `auto` is set back to RP_RXZC_OFF (logged) and the
 * interface set up without it; `on` fails the start.
 */
int rp_nic_start(const struct rp_config *cfg, enum rp_rx_zc *zcrx_prepare, struct rp_queue_cpus *qc);

#endif
