/* SPDX-License-Identifier: MIT */
/*
 * Pools of other workers as fixed buffers of this one's ring (bufclone.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/bufclone.h"

/* The kernel's cap on one ring's fixed-buffer table (IORING_MAX_REG_BUFFERS). */
#define TABLE_MAX (1u << 14)

int rp_bufclone_init(struct rp_bufclone *c, unsigned n)
{
	*c = (struct rp_bufclone){ .n = n };
	c->staged = calloc(n ? n : 1, sizeof(*c->staged));
	return c->staged ? 0 : -ENOMEM;
}

void rp_bufclone_free(struct rp_bufclone *c)
{
	if (c->staging_ok)
		io_uring_queue_exit(&c->staging);
	free(c->staged);
	*c = (struct rp_bufclone){ 0 };
}

/* Keep the first reason only: later ones are usually the same one again. */
static int refuse(struct rp_bufclone *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (c->why[0])
		return err;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return err;
}

int rp_bufclone_stage(struct rp_bufclone *c, unsigned k, struct io_uring *ring,
		      const struct rp_bufpool *pool)
{
	int ret;

	if (k >= c->n)
		return -EINVAL;
	if (!pool->registered)
		return refuse(c, -ENXIO, "worker %u's pool is not registered with its ring", k);
	if (!c->stride)
		c->stride = pool->n_reg;
	if (pool->n_reg != c->stride)
		return refuse(c, -EINVAL, "worker %u's pool has %u registered chunks, another's %u",
			      k, pool->n_reg, c->stride);
	if ((uint64_t)c->stride * (c->n + 1) > TABLE_MAX)
		return refuse(c, -E2BIG, "%u workers x %u chunks exceed a ring's %u fixed buffers",
			      c->n, c->stride, TABLE_MAX);
	if (!c->staging_ok) {
		ret = io_uring_queue_init(1, &c->staging, 0);
		if (ret)
			return refuse(c, ret, "the staging ring: %s", strerror(-ret));
		c->staging_ok = true;
	}
	/* DST_REPLACE: the table may hold members staged before; it keeps
	 * them (only [k * stride, + stride) is replaced) */
	ret = __io_uring_clone_buffers_offset(&c->staging, ring, k * c->stride, 0, c->stride,
					      IORING_REGISTER_DST_REPLACE);
	if (ret)
		return refuse(c, ret, "cloning worker %u's buffers into the staging ring "
			      "(IORING_REGISTER_CLONE_BUFFERS, kernel 6.13+): %s", k, strerror(-ret));
	c->staged[k] = true;
	if ((k + 1) * c->stride > c->nr)
		c->nr = (k + 1) * c->stride;
	return 0;
}

int rp_bufclone_take(struct rp_bufclone *c, struct io_uring *ring, const struct rp_bufpool *own,
		     char *why, size_t len)
{
	int ret;

	if (!c->nr) {
		snprintf(why, len, "no worker's buffers could be staged: %s",
			 c->why[0] ? c->why : "none registered");
		return -ENXIO;
	}
	if (own->registered && own->n_reg > c->stride) {
		snprintf(why, len, "this worker's pool has %u registered chunks, the table's stride "
			 "is %u", own->n_reg, c->stride);
		return -EINVAL;
	}
	ret = __io_uring_clone_buffers_offset(ring, &c->staging, c->stride, 0, c->nr,
					      IORING_REGISTER_DST_REPLACE);
	if (ret)
		snprintf(why, len, "cloning the staging table into this worker's ring "
			 "(IORING_REGISTER_CLONE_BUFFERS): %s", strerror(-ret));
	return ret;
}
