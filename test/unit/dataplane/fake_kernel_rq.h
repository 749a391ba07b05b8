/* SPDX-License-Identifier: MIT */
/*
 * FAKE_KERNEL_RQ: a test double of the kernel's side of a zcrx refill ring,
 * shared by the tests that need one (zcrx_acct_test.c, proxy_zcrx_test.c).
 * It owns the head/tail/rqe memory the real kernel would map, hands out
 * completions on pages of an area of PAGES pages (counting a user
 * reference per completion, like io_zcrx_get_niov_uref), and consumes
 * refill entries the way io_zcrx_ring_refill() does (area id and page
 * checked, one user reference dropped per entry, head published). It is
 * the only "kernel" in those tests; what it checks is what the real one
 * would silently skip (a bad entry) or leak (a lost return).
 * Include after <cmocka.h> (it asserts).
 */
#ifndef RP_TEST_FAKE_KERNEL_RQ_H
#define RP_TEST_FAKE_KERNEL_RQ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/zcrx_acct.h"

#define PAGES 16u
#define TOKEN (UINT64_C(3) << 48)	/* area id 3: the low 48 bits must stay clear */

struct fake_kernel_rq {
	uint32_t head, tail;		/* the shared indices */
	struct rp_zcrx_rqe *rqes;
	uint32_t entries;
	uint32_t user_refs[PAGES];	/* the kernel's per-niov user reference counts */
	unsigned bad_entries;		/* entries the real kernel would skip */
};

static inline void fake_init(struct fake_kernel_rq *k, uint32_t entries, uint32_t start)
{
	memset(k, 0, sizeof(*k));
	k->entries = entries;
	k->head = k->tail = start;	/* indices are free-running u32s */
	k->rqes = calloc(entries, sizeof(*k->rqes));
	assert_non_null(k->rqes);
}

static inline struct rp_zcrx_ring_view fake_view(struct fake_kernel_rq *k)
{
	return (struct rp_zcrx_ring_view){ .khead = &k->head, .ktail = &k->tail,
					   .rqes = k->rqes, .entries = k->entries };
}

/* A completion of len bytes at byte `at` of page `page`: its cqe off. */
static inline uint64_t fake_deliver(struct fake_kernel_rq *k, uint32_t page, uint32_t at)
{
	k->user_refs[page]++;
	return TOKEN | ((uint64_t)page * RP_ZCRX_PAGE + at);
}

/* Consume up to max entries, as io_zcrx_ring_refill does. */
static inline unsigned fake_consume(struct fake_kernel_rq *k, unsigned max)
{
	uint32_t tail = __atomic_load_n(&k->tail, __ATOMIC_ACQUIRE);
	unsigned n = 0;

	while (k->head != tail && n < max) {
		const struct rp_zcrx_rqe *e = &k->rqes[k->head++ & (k->entries - 1)];
		uint64_t page = (e->off & ((UINT64_C(1) << 48) - 1)) / RP_ZCRX_PAGE;

		n++;
		if ((e->off & ~((UINT64_C(1) << 48) - 1)) != TOKEN || e->pad || page >= PAGES ||
		    !k->user_refs[page]) {
			k->bad_entries++;
			continue;
		}
		k->user_refs[page]--;
	}
	return n;
}

static inline uint32_t fake_refs_total(const struct fake_kernel_rq *k)
{
	uint32_t t = 0;

	for (unsigned i = 0; i < PAGES; i++)
		t += k->user_refs[i];
	return t;
}

#endif
