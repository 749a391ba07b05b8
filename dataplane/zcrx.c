/* SPDX-License-Identifier: MIT */
/* Hardware receive zerocopy, the io_uring half (see zcrx.h). */
#include <errno.h>
#include <liburing.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dataplane/log.h"
#include "dataplane/worker.h"
#include "dataplane/zcrx.h"

#define PAGE 4096u
#define RESERVE_SHARE 16	/* 1/16 of the area kept free before backpressure */

static size_t page_up(size_t n)
{
	return (n + PAGE - 1) / PAGE * PAGE;
}

static int probe_ring(struct io_uring *ring)
{
	return io_uring_queue_init(8, ring, IORING_SETUP_SINGLE_ISSUER |
				   IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQE32);
}

int rp_zcrx_kernel_probe(char *why, size_t len)
{
	enum { RQ = 64 };
	size_t rq_len = page_up(PAGE + RQ * sizeof(struct io_uring_zcrx_rqe));
	void *mem = mmap(NULL, rq_len + PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct io_uring_zcrx_area_reg area = { .len = PAGE };
	struct io_uring_region_desc rd = { .size = rq_len, .flags = IORING_MEM_REGION_TYPE_USER };
	struct io_uring_zcrx_ifq_reg reg = { .if_idx = 0, .if_rxq = 0, .rq_entries = RQ };
	struct io_uring ring;
	int ret;

	if (mem == MAP_FAILED)
		return snprintf(why, len, "mmap: %s", strerror(errno)), -errno;
	rd.user_addr = (uintptr_t)mem;
	area.addr = (uintptr_t)mem + rq_len;
	reg.area_ptr = (uintptr_t)&area;
	reg.region_ptr = (uintptr_t)&rd;
	ret = probe_ring(&ring);
	if (ret) {
		snprintf(why, len, "kernel without zcrx: no DEFER_TASKRUN|CQE32 ring (%s)",
			 strerror(-ret));
	} else {
		/* ifindex 0 names no device: a kernel with zcrx gets that far */
		ret = io_uring_register_ifq(&ring, &reg);
		io_uring_queue_exit(&ring);
		if (ret == -ENODEV)
			ret = 0;
		else if (ret == -EINVAL)
			snprintf(why, len, "kernel without zcrx (IORING_REGISTER_ZCRX_IFQ unknown: "
				 "needs 6.15+)");
		else if (ret == -EOPNOTSUPP)
			snprintf(why, len, "kernel without zcrx (built without CONFIG_IO_URING_ZCRX)");
		else if (ret == -EPERM)
			snprintf(why, len, "zcrx needs CAP_NET_ADMIN");
		else if (ret)
			snprintf(why, len, "zcrx probe registration: %s", strerror(-ret));
		else
			ret = -EINVAL;	/* registered without a device: not a kernel we know */
	}
	munmap(mem, rq_len + PAGE);
	return ret;
}

static void unmap(struct rp_zcrx *z)
{
	rp_zcrx_area_close(&z->mem);
	if (z->rq_mem)
		munmap(z->rq_mem, z->rq_len);
	z->area = NULL;
	z->rq_mem = NULL;
}

static int map(struct rp_zcrx *z, const struct rp_zcrx_job *job, char *why, size_t len)
{
	char area_why[200];
	int ret;

	z->area_len = job->area_len / PAGE * PAGE;
	z->rq_len = page_up(PAGE + job->refill_entries * sizeof(struct io_uring_zcrx_rqe));
	z->rq_mem = mmap(NULL, z->rq_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (z->rq_mem == MAP_FAILED) {
		z->rq_mem = NULL;
		return snprintf(why, len, "%s: refill ring: %s", job->dev, strerror(errno)), -ENOMEM;
	}
	ret = rp_zcrx_area_open(&z->mem, job->area_src, z->area_len, area_why, sizeof(area_why));
	if (ret)
		snprintf(why, len, "%s: %s area: %s", job->dev, rp_zcrx_area_src_name(job->area_src),
			 area_why);
	z->area = z->mem.base;
	return ret;
}

/* Re-registration after a restart: the previous process's ring lets go
 * of the queue in its exit work, which may still be running (the queue is
 * then bound: EEXIST). Wait for it a little, never for long. */
#define REBIND_TRIES 20
#define REBIND_WAIT_US 50000

static int register_retrying(struct io_uring *ring, struct io_uring_zcrx_ifq_reg *reg)
{
	int ret = -EEXIST;

	for (unsigned i = 0; i < REBIND_TRIES && (ret == -EEXIST || ret == -EBUSY); i++) {
		if (i)
			usleep(REBIND_WAIT_US);
		ret = io_uring_register_ifq(ring, reg);
	}
	return ret;
}

int rp_zcrx_register(struct io_uring *ring, const struct rp_zcrx_job *job, struct rp_zcrx *z,
		     char *why, size_t len)
{
	struct io_uring_zcrx_area_reg area;
	struct io_uring_region_desc rd = { .flags = IORING_MEM_REGION_TYPE_USER };
	struct io_uring_zcrx_ifq_reg reg = { .if_idx = if_nametoindex(job->dev),
					     .if_rxq = job->queue,
					     .rq_entries = job->refill_entries };
	struct rp_zcrx_ring_view view;
	int ret;

	memset(z, 0, sizeof(*z));
	z->mem.memfd = z->mem.dmabuf_fd = -1;	/* nothing open yet */
	z->svc = job->svc;
	if (sysconf(_SC_PAGESIZE) != PAGE)	/* the kernel's niovs are PAGE_SIZE */
		return snprintf(why, len, "page size %ld: this build counts 4096-byte niovs",
				sysconf(_SC_PAGESIZE)), -EOPNOTSUPP;
	if (!reg.if_idx)
		return snprintf(why, len, "%s: no such device", job->dev), -ENODEV;
	if ((ret = map(z, job, why, len))) {
		unmap(z);
		return ret;
	}
	rp_zcrx_area_reg(&z->mem, &area);
	rd.user_addr = (uintptr_t)z->rq_mem;
	rd.size = z->rq_len;
	reg.area_ptr = (uintptr_t)&area;
	reg.region_ptr = (uintptr_t)&rd;
	ret = register_retrying(ring, &reg);
	if (ret) {
		unmap(z);
		return snprintf(why, len, "%s: rx queue %u: registration (%s area) refused by the "
				"kernel (IORING_REGISTER_ZCRX_IFQ): %s", job->dev, job->queue,
				rp_zcrx_area_src_name(job->area_src), strerror(-ret)), ret;
	}
	view = (struct rp_zcrx_ring_view){
		.khead = (uint32_t *)((char *)z->rq_mem + reg.offsets.head),
		.ktail = (uint32_t *)((char *)z->rq_mem + reg.offsets.tail),
		.rqes = (struct rp_zcrx_rqe *)((char *)z->rq_mem + reg.offsets.rqes),
		.entries = reg.rq_entries,
	};
	z->id = reg.zcrx_id;
	ret = rp_zcrx_acct_init(&z->acct, &view, z->area_len, area.rq_area_token,
				(uint32_t)(z->area_len / PAGE / RESERVE_SHARE));
	if (ret)	/* the ring's exit drops the registered queue */
		snprintf(why, len, "%s: refill accounting: %s", job->dev, strerror(-ret));
	return ret;
}

void rp_zcrx_release(struct rp_zcrx *z)
{
	rp_zcrx_acct_free(&z->acct);
	unmap(z);
}

_Static_assert(sizeof(struct rp_zcrx_rqe) == sizeof(struct io_uring_zcrx_rqe) &&
	       offsetof(struct rp_zcrx_rqe, len) == offsetof(struct io_uring_zcrx_rqe, len),
	       "rp_zcrx_rqe mirrors the kernel's refill entry");

void rp_zcrx_prep_recv(struct io_uring_sqe *sqe, const struct rp_zcrx *z, unsigned slot)
{
	/* liburing 2.15 has no prep helper for RECV_ZC (examples/zcrx.c: prep_rw) */
	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, (int)slot, NULL, 0, 0);
	sqe->ioprio |= IORING_RECV_MULTISHOT;
	sqe->zcrx_ifq_idx = z->id;
	sqe->flags |= IOSQE_FIXED_FILE;
}

int rp_zcrx_data(struct rp_zcrx *z, const struct io_uring_cqe *cqe, struct rp_zcrx_ref *ref,
		 const uint8_t **data)
{
	const struct io_uring_zcrx_cqe *rcqe = (const void *)(cqe + 1);
	int ret = rp_zcrx_take(&z->acct, rcqe->off, (uint32_t)cqe->res, ref);

	if (!ret)
		*data = z->area + ref->off;
	return ret;
}

/* ---- the worker ----------------------------------------------------------- */

int rp_zcrx_worker_open(struct rp_worker *w)
{
	const struct rp_zcrx_job *job = w->zcrx_job;
	char why[256];
	int ret;

	if (!job)
		return 0;
	if (!(w->zcrx = calloc(1, sizeof(*w->zcrx))))
		return -ENOMEM;
	ret = rp_zcrx_register(&w->ring, job, w->zcrx, why, sizeof(why));
	if (!ret) {
		rp_info("worker %u: service %s: hardware receive zerocopy active on %s rx queue %u "
			"(zcrx id %u, %s area %zu bytes, refill ring %u entries)", w->id,
			w->cfg->services[job->svc].name, job->dev, job->queue, w->zcrx->id,
			rp_zcrx_area_src_name(job->area_src), w->zcrx->area_len,
			w->zcrx->acct.rq.entries);
		return 0;
	}
	free(w->zcrx);
	w->zcrx = NULL;
	if (job->mode == RP_RXZC_ON) {
		snprintf(w->fail_reason, sizeof(w->fail_reason), "rx-zerocopy on: %.140s", why);
		rp_err("worker %u: service %s: %s", w->id, w->cfg->services[job->svc].name,
		       w->fail_reason);
		return ret;
	}
	rp_warn("worker %u: service %s: rx-zerocopy auto: falling back to provided-buffer "
		"receive: %s", w->id, w->cfg->services[job->svc].name, why);
	return 0;
}

static void publish_stats(struct rp_worker *w, struct rp_zcrx *z)
{
	struct rp_counters *c = &w->ctr[z->svc];

	rp_count(c, RP_C_ZCRX_REFILL_STALLS, z->acct.st.refill_stalls - z->published.refill_stalls);
	rp_count(c, RP_C_ZCRX_REARMS, z->acct.st.rearms - z->published.rearms);
	rp_count(c, RP_C_ERR_BAD_BUFFER, z->acct.st.bad_cqes - z->published.bad_cqes);
	z->published = z->acct.st;
}

bool rp_zcrx_worker_tick(struct rp_worker *w)
{
	struct rp_zcrx *z = w->zcrx;
	bool exhausted, relieved;

	if (!z)
		return false;
	rp_zcrx_flush(&z->acct);
	publish_stats(w, z);
	exhausted = rp_zcrx_exhausted(&z->acct);
	relieved = z->was_exhausted && !exhausted;
	z->was_exhausted = exhausted;
	if (z->n_starved && z->acct.st.returned != z->returned_seen) {
		z->n_starved = 0;	/* the re-arm clears each connection's flag */
		relieved = true;
	}
	z->returned_seen = z->acct.st.returned;
	return relieved;
}

void rp_zcrx_worker_close(struct rp_worker *w)
{
	if (!w->zcrx)
		return;
	if (rp_zcrx_outstanding(&w->zcrx->acct))
		rp_warn("worker %u: zcrx: %llu buffer references still out at exit (the ring's "
			"exit reclaims them)", w->id,
			(unsigned long long)rp_zcrx_outstanding(&w->zcrx->acct));
	rp_zcrx_release(w->zcrx);
	free(w->zcrx);
	w->zcrx = NULL;
}
