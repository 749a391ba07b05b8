/* SPDX-License-Identifier: MIT */
/*
 * Other workers' registered pool buffers as fixed buffers of this worker's
 * ring (IORING_REGISTER_CLONE_BUFFERS), so that a buffer another worker
 * received into can be sent with SEND_ZC by index from this one.
 *
 * Why a staging ring: every worker ring is SINGLE_ISSUER, and the kernel
 * (6.18, io_register_clone_buffers) refuses a clone whose *source* ring has
 * a submitter task other than the caller (-EEXIST), as it refuses any
 * registration on a SINGLE_ISSUER ring from another thread. So no worker can
 * clone straight from another's ring. Each member instead clones its own
 * pool, on its own thread, into one plain ring of the group (the staging
 * ring: no submitter task, any thread may register into it), at slot
 * k * stride; once every member has, each clones the whole staging table,
 * on its own thread, into its own ring after its own pool. The pages are
 * pinned once, by the member's registration; clones share them (and the
 * memlock accounting: all rings are the process's).
 *
 * A member's fixed-buffer table afterwards (stride: registered iovecs per
 * pool, the same for all members: one pool config):
 *
 *   [0, own)                          its own pool (bufpool.c registers it)
 *   [stride * (k + 1), + stride)      member k's pool (its own included again)
 *
 * Probed on this kernel: a clone with dst_off past the table and
 * IORING_REGISTER_DST_REPLACE keeps the entries before dst_off (the own
 * pool) and the staging table's entries of other members; without
 * DST_REPLACE a ring that has buffers refuses (-EBUSY); nr must be given
 * with offsets (-EINVAL otherwise). The source ring need not be idle (its
 * uring_lock is taken; a DEFER_TASKRUN ring waiting does not hold it).
 *
 * Lifetime: a clone holds references to the member's pinned pages, so the
 * kernel never sends from freed memory, even after the member's ring is
 * gone; user space must still not read a buffer after its member exited
 * (the relay's lending rules see to that).
 */
#ifndef RP_BUFCLONE_H
#define RP_BUFCLONE_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#include "dataplane/bufpool.h"

struct rp_bufclone {
	struct io_uring staging;	/* valid when staging_ok */
	bool staging_ok;
	unsigned n;			/* members */
	unsigned stride;		/* table slots per member (the first one staged's n_reg) */
	unsigned nr;			/* staging table entries: (last staged + 1) * stride */
	bool *staged;			/* n: member k's pool is at k * stride */
	char why[160];			/* the first refusal (staging); "" when none */
};

/* n members; nothing is registered yet. 0 or -ENOMEM. */
int rp_bufclone_init(struct rp_bufclone *c, unsigned n);
/* Close the staging ring (after every member is done taking). */
void rp_bufclone_free(struct rp_bufclone *c);

/*
 * On member k's own thread (ring is its ring: only its submitter may be a
 * clone source), serialized by the caller among members: put pool's
 * registration into the staging table. Makes the staging ring on first use
 * (on a worker thread: its accounting user is the workers'). 0 or -errno,
 * with the reason in c->why (the first one only).
 */
int rp_bufclone_stage(struct rp_bufclone *c, unsigned k, struct io_uring *ring,
		      const struct rp_bufpool *pool);

/*
 * On a member's own thread, after every member staged (or failed to): the
 * staging table into ring, after its own pool. 0 or -errno, with why
 * written (a sentence for the log).
 */
int rp_bufclone_take(struct rp_bufclone *c, struct io_uring *ring, const struct rp_bufpool *own,
		     char *why, size_t len);

/* The table slot of member k's registered chunk `chunk`, in a taker's ring. */
static inline unsigned rp_bufclone_slot(unsigned stride, unsigned k, unsigned chunk)
{
	return stride * (k + 1) + chunk;
}

/* The fixed-buffer index, in a taker's ring, of addr inside member k's pool;
 * false when that pool is not in the table (the caller copy-sends). */
static inline bool rp_bufclone_index(const struct rp_bufclone *c, unsigned k,
				     const struct rp_bufpool *pool, const void *addr, unsigned *idx)
{
	if (k >= c->n || !c->staged[k])
		return false;
	*idx = rp_bufclone_slot(c->stride, k, rp_buf_reg_index(pool, addr));
	return true;
}

#endif
