/* SPDX-License-Identifier: MIT */
/*
 * Hardware receive zerocopy (io_uring zcrx), the io_uring half; the
 * accounting is zcrx_acct.h, the per-connection receive zcrx_rx.h, the NIC
 * side nicmgr/zcrxq.h.
 *
 * What it needs: kernel 6.15+ with CONFIG_IO_URING_ZCRX, CAP_NET_ADMIN, and
 * a NIC whose driver has header split and queue management ops (bnxt_en,
 * mlx5, fbnic, gve, ... : `ethtool -g DEV` shows "TCP data split"). None of
 * that exists on the machines this was written on (virtio_net, veth, tun,
 * ifb): there the probe names the reason and `auto` falls back; the
 * registration and RECV_ZC code below has run only as far as the kernel's
 * refusal. It follows the kernel's io_uring/zcrx.c and liburing's
 * examples/zcrx.c: a ring with DEFER_TASKRUN and CQE32, one area of pinned
 * pages per interface queue, a user-memory region for the refill ring.
 *
 * The area (zcrx_area.h: anonymous memory, or a udmabuf) is its own
 * mapping, not a slice of the worker's buffer pool:
 * pool buffers belong to the provided-buffer ring, and a page owned by
 * both the NIC and that ring would have two writers.
 */
#ifndef RP_ZCRX_H
#define RP_ZCRX_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "dataplane/zcrx_acct.h"
#include "dataplane/zcrx_area.h"
#include "nicmgr/zcrxq.h"

struct io_uring;
struct io_uring_cqe;
struct io_uring_sqe;
struct rp_worker;

/* ---- types ------------------------------------------------------------- */

/* What the appliance asks of the worker serving a zcrx queue. */
struct rp_zcrx_job {
	unsigned svc;			/* service index */
	enum rp_rx_zc mode;		/* auto or on */
	char dev[IFNAMSIZ];
	unsigned queue;
	size_t area_len;
	enum rp_rx_zc_src area_src;
	unsigned refill_entries;
};

/* A registered interface queue: the area, the refill ring, its accounting. */
struct rp_zcrx {
	uint32_t id;			/* zcrx_id: sqe->zcrx_ifq_idx */
	unsigned svc;
	struct rp_zcrx_area mem;	/* what area points into (memory or a udmabuf) */
	uint8_t *area;			/* the CPU's view: completions' offsets are into it */
	size_t area_len;
	void *rq_mem;			/* the refill ring region (user memory) */
	size_t rq_len;
	struct rp_zcrx_acct acct;
	bool was_exhausted;
	unsigned n_starved;		/* receives that ended on ENOMEM, waiting for returns */
	uint64_t returned_seen;		/* acct.st.returned at the last tick */
	struct rp_zcrx_stats published;	/* what the counters have of acct.st */
};

/* ---- API --------------------------------------------------------------- */

/* Does the kernel have zcrx registration? A registration naming no
 * device answers: ENODEV (yes), EINVAL (kernel before 6.15), EOPNOTSUPP
 * (built without CONFIG_IO_URING_ZCRX), EPERM (no CAP_NET_ADMIN). 0 or
 * -errno, why filled when not 0. */
int rp_zcrx_kernel_probe(char *why, size_t len);

/* Register job's queue on ring (DEFER_TASKRUN + CQE32). 0, or -errno with
 * why ("registration refused by the kernel: ...") and nothing left held. */
int rp_zcrx_register(struct io_uring *ring, const struct rp_zcrx_job *job, struct rp_zcrx *z,
		     char *why, size_t len);
/* After the ring is gone (its exit drops the queue): unmap, free. */
void rp_zcrx_release(struct rp_zcrx *z);

/* A multishot RECV_ZC on a fixed-file slot, no byte limit (a limit's end
 * reads like EOF: res 0 without F_MORE). */
void rp_zcrx_prep_recv(struct io_uring_sqe *sqe, const struct rp_zcrx *z, unsigned slot);
/* The data of a RECV_ZC completion (a CQE32): 0 with *ref and *data, or
 * -EFAULT (not in the area; counted bad_cqes). */
int rp_zcrx_data(struct rp_zcrx *z, const struct io_uring_cqe *cqe, struct rp_zcrx_ref *ref,
		 const uint8_t **data);

/* ---- the worker (worker thread only) --------------------------------------- */

/* At start-up, before services open: register w->zcrx_job if any. auto:
 * a refusal is logged with its reason and the worker runs without zcrx;
 * on: it fails the worker. */
int rp_zcrx_worker_open(struct rp_worker *w);
/* Once per loop turn: owed returns onto the refill ring, counters; true
 * when the area just stopped being exhausted, or buffers went back while
 * receives wait after ENOMEM (re-arm the receives). */
bool rp_zcrx_worker_tick(struct rp_worker *w);
void rp_zcrx_worker_close(struct rp_worker *w);

#endif
