/* SPDX-License-Identifier: MIT */
/*
 * The per-worker buffer pool (see bufpool.h for the ownership states).
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "dataplane/bufpool.h"

/* `check` refuses what the pool would (config/config.h). */
_Static_assert(RP_BUFFERS_MAX == RP_BUFPOOL_MAX, "buffers.count range != pool limit");

#define HUGE_PAGE   (2UL << 20)
#define REG_SHIFT   30		/* the kernel caps one registered iovec at 1 GiB */
#define REG_CHUNK   (1UL << REG_SHIFT)

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

static unsigned pow2_at_least(unsigned n)
{
	unsigned p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* ---- the region --------------------------------------------------------- */

static void *map_huge(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void *map_normal(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Transparent huge pages still cut TLB misses when none are reserved. */
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

static int map_region(struct rp_bufpool *p, enum rp_hugepages huge, char *err, size_t errlen)
{
	size_t want = (size_t)p->size * p->count;

	if (huge != RP_HUGE_OFF) {
		p->region_len = round_up(want, HUGE_PAGE);
		p->base = map_huge(p->region_len);
		if (p->base) {
			p->hugepages = true;
			return 0;
		}
		if (huge == RP_HUGE_ON) {
			snprintf(err, errlen, "buffers.hugepages is on, but %zu bytes of huge pages "
				 "cannot be mapped (%s); reserve them with sysctl vm.nr_hugepages "
				 "or set buffers.hugepages: auto", p->region_len, strerror(errno));
			return -ENOMEM;
		}
	}
	p->region_len = round_up(want, 4096);
	p->base = map_normal(p->region_len);
	if (!p->base) {
		snprintf(err, errlen, "cannot map %zu bytes for %u buffers of %u bytes: %s",
			 p->region_len, p->count, p->size, strerror(errno));
		return -ENOMEM;
	}
	return 0;
}

/* ---- registration -------------------------------------------------------- */

const char *rp_memlock_limit(char *buf, size_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		snprintf(buf, n, "%llu bytes", (unsigned long long)rl.rlim_cur);
	else
		snprintf(buf, n, "unlimited");
	return buf;
}

static void memlock_hint(char *err, size_t errlen, size_t need, int ret)
{
	char lim[32];

	snprintf(err, errlen, "io_uring_register_buffers(%zu bytes): %s; RLIMIT_MEMLOCK is %s "
		 "and %zu bytes are needed per worker " RP_MEMLOCK_FIX, need, strerror(-ret),
		 rp_memlock_limit(lim, sizeof(lim)), need);
}

static int register_region(struct rp_bufpool *p, char *err, size_t errlen)
{
	unsigned n = (unsigned)((p->region_len + REG_CHUNK - 1) / REG_CHUNK);
	struct iovec *iov = calloc(n, sizeof(*iov));
	int ret;

	if (!iov)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		size_t off = (size_t)i * REG_CHUNK;
		iov[i].iov_base = p->base + off;
		iov[i].iov_len = p->region_len - off < REG_CHUNK ? p->region_len - off : REG_CHUNK;
	}
	ret = io_uring_register_buffers(p->ring, iov, n);
	free(iov);
	if (ret == -ENOMEM || ret == -EPERM) {
		memlock_hint(err, errlen, p->region_len, ret);
		return ret;
	}
	if (ret < 0) {
		snprintf(err, errlen, "io_uring_register_buffers(%zu bytes): %s",
			 p->region_len, strerror(-ret));
		return ret;
	}
	p->registered = true;
	p->reg_shift = REG_SHIFT;
	p->n_reg = n;
	return 0;
}

/* The ring position is recorded both ways (see bufpool.h, ring_bid): a
 * bundle receive names only its first buffer. */
static void ring_add(struct rp_bufpool *p, unsigned bid)
{
	uint16_t pos;

	if (!p->br)
		return;
	pos = p->br->tail;
	p->ring_bid[pos & (p->br_entries - 1)] = (uint16_t)bid;
	p->ring_pos[bid] = pos;
	io_uring_buf_ring_add(p->br, rp_buf_addr(p, bid), p->size, (unsigned short)bid,
			      io_uring_buf_ring_mask(p->br_entries), 0);
	io_uring_buf_ring_advance(p->br, 1);
}

static int setup_buf_ring(struct rp_bufpool *p, char *err, size_t errlen)
{
	int ret = 0;

	p->br_entries = pow2_at_least(p->ring_count);
	p->ring_bid = calloc(p->br_entries, sizeof(*p->ring_bid));
	p->ring_pos = calloc(p->ring_count, sizeof(*p->ring_pos));
	p->pieces = calloc(p->ring_count, sizeof(*p->pieces));
	if (!p->ring_bid || !p->ring_pos || !p->pieces) {
		snprintf(err, errlen, "buffer ring: out of memory for %u positions", p->br_entries);
		return -ENOMEM;
	}
	p->br = io_uring_setup_buf_ring(p->ring, p->br_entries, p->bgid, 0, &ret);
	if (!p->br) {
		snprintf(err, errlen, "io_uring_setup_buf_ring(%u entries, group %u): %s",
			 p->br_entries, p->bgid, strerror(-ret));
		return ret ? ret : -ENOMEM;
	}
	return 0;
}

/* ---- init / destroy ------------------------------------------------------ */

static int check_params(const struct rp_bufpool_params *prm, char *err, size_t errlen)
{
	if (!prm->count || prm->count > RP_BUFPOOL_MAX || !prm->size) {
		snprintf(err, errlen, "buffer pool of %u buffers of %u bytes: count must be "
			 "1..%u and size > 0", prm->count, prm->size, RP_BUFPOOL_MAX);
		return -EINVAL;
	}
	if (prm->recv_ring && prm->spare >= prm->count) {
		snprintf(err, errlen, "buffer pool: %u spare buffers leave none of %u for receives",
			 prm->spare, prm->count);
		return -EINVAL;
	}
	return 0;
}

int rp_bufpool_init(struct rp_bufpool *p, struct io_uring *ring,
		    const struct rp_bufpool_params *prm, char *err, size_t errlen)
{
	int ret = check_params(prm, err, errlen);

	memset(p, 0, sizeof(*p));
	if (ret)
		return ret;
	p->size = prm->size;
	p->count = prm->count;
	p->ring = ring;
	p->bgid = prm->bgid;
	p->ring_count = prm->recv_ring ? prm->count - prm->spare : 0;
	p->rearm_at = p->ring_count / 16 ? p->ring_count / 16 : 1;
	p->bufs = calloc(p->count, sizeof(*p->bufs));
	p->spare = calloc(p->count, sizeof(*p->spare));
	if (!p->bufs || !p->spare) {
		snprintf(err, errlen, "buffer pool: out of memory for %u descriptors", p->count);
		ret = -ENOMEM;
		goto fail;
	}
	ret = map_region(p, prm->hugepages, err, errlen);
	if (ret)
		goto fail;
	if (ring) {
		ret = register_region(p, err, errlen);
		if (ret)
			goto fail;
		if (p->ring_count && (ret = setup_buf_ring(p, err, errlen)))
			goto fail;
	}
	for (unsigned bid = 0; bid < p->count; bid++) {
		if (bid < p->ring_count)
			ring_add(p, bid);
		else
			p->spare[p->n_spare++] = (uint16_t)bid;
	}
	p->n_state[RP_BUF_FREE] = p->count;
	return 0;
fail:
	rp_bufpool_destroy(p);
	return ret;
}

void rp_bufpool_destroy(struct rp_bufpool *p)
{
	if (p->br)
		io_uring_free_buf_ring(p->ring, p->br, p->br_entries, p->bgid);
	if (p->registered)
		io_uring_unregister_buffers(p->ring);
	if (p->base)
		munmap(p->base, p->region_len);
	free(p->bufs);
	free(p->spare);
	free(p->ring_bid);
	free(p->ring_pos);
	free(p->pieces);
	memset(p, 0, sizeof(*p));
}

/* ---- ownership ----------------------------------------------------------- */

void rp_buf_give_back(struct rp_bufpool *p, unsigned bid)
{
	rp_buf_move(p, bid, RP_BUF_FREE);
	p->bufs[bid].put_on_sent = 0;
	if (bid < p->ring_count)
		ring_add(p, bid);
	else
		p->spare[p->n_spare++] = (uint16_t)bid;
}

unsigned rp_buf_ring_len(const struct rp_bufpool *p, unsigned bid, unsigned k)
{
	return p->br->bufs[(uint16_t)(p->ring_pos[bid] + k) & (p->br_entries - 1)].len;
}

bool rp_buf_got(struct rp_bufpool *p, unsigned bid)
{
	if (bid >= p->ring_count || p->bufs[bid].state != RP_BUF_FREE)
		return false;
	rp_buf_move(p, bid, RP_BUF_HANDLER);
	return true;
}

unsigned rp_bufpool_ring_free(const struct rp_bufpool *p)
{
	return p->n_state[RP_BUF_FREE] - p->n_spare;
}

/* ---- backpressure -------------------------------------------------------- */

void rp_bufpool_starve(struct rp_bufpool *p)
{
	if (!p->starved)
		p->enobufs++;
	p->starved = true;
}

bool rp_bufpool_should_rearm(const struct rp_bufpool *p)
{
	return p->starved && rp_bufpool_ring_free(p) >= p->rearm_at;
}

void rp_bufpool_rearmed(struct rp_bufpool *p)
{
	p->starved = false;
}
