/* SPDX-License-Identifier: MIT */
/* zcrx refill-ring and area accounting (see zcrx_acct.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/zcrx_acct.h"

#define AREA_SHIFT 48		/* IORING_ZCRX_AREA_SHIFT */
#define OFF_MASK ((UINT64_C(1) << AREA_SHIFT) - 1)
#define REFS_MAX UINT16_MAX

int rp_zcrx_acct_init(struct rp_zcrx_acct *a, const struct rp_zcrx_ring_view *rq,
		      uint64_t area_len, uint64_t area_token, uint32_t reserve_pages)
{
	uint64_t pages = area_len / RP_ZCRX_PAGE;

	memset(a, 0, sizeof(*a));
	if (!rq->entries || (rq->entries & (rq->entries - 1)) || !pages ||
	    area_len % RP_ZCRX_PAGE || pages > UINT32_MAX / 2 || reserve_pages >= pages ||
	    area_token & OFF_MASK)
		return -EINVAL;
	a->rq = *rq;
	a->tail = *rq->ktail;
	a->area_token = area_token;
	a->n_pages = (uint32_t)pages;
	a->reserve = reserve_pages;
	while (((pages - 1) >> a->pin_shift) >= RP_ZCRX_PIN_KEYS)
		a->pin_shift++;
	a->refs = calloc(pages, sizeof(*a->refs));
	a->owed = calloc(pages, sizeof(*a->owed));
	a->fifo = calloc(pages, sizeof(*a->fifo));
	a->held = calloc(pages, sizeof(*a->held));
	a->pins = calloc(((pages - 1) >> a->pin_shift) + 1, sizeof(*a->pins));
	if (!a->refs || !a->owed || !a->fifo || !a->held || !a->pins) {
		rp_zcrx_acct_free(a);
		return -ENOMEM;
	}
	return 0;
}

void rp_zcrx_acct_free(struct rp_zcrx_acct *a)
{
	free(a->refs);
	free(a->owed);
	free(a->fifo);
	free(a->held);
	free(a->pins);
	a->refs = a->owed = a->held = NULL;
	a->fifo = a->pins = NULL;
}

static uint32_t page_count(const struct rp_zcrx_acct *a, uint32_t page)
{
	return (uint32_t)a->refs[page] + a->owed[page];
}

int rp_zcrx_take(struct rp_zcrx_acct *a, uint64_t cqe_off, uint32_t len, struct rp_zcrx_ref *ref)
{
	uint64_t off = cqe_off & OFF_MASK;
	uint32_t page = (uint32_t)(off / RP_ZCRX_PAGE);

	/* one niov per completion: the piece lies inside one page */
	if ((cqe_off & ~OFF_MASK) != a->area_token || page >= a->n_pages || !len ||
	    off % RP_ZCRX_PAGE + len > RP_ZCRX_PAGE || page_count(a, page) >= REFS_MAX) {
		a->st.bad_cqes++;
		return -EFAULT;
	}
	if (!page_count(a, page))
		a->pages_busy++;
	a->refs[page]++;
	a->bytes_held += len;
	a->st.taken++;
	*ref = (struct rp_zcrx_ref){ .page = page, .off = (uint32_t)off, .len = len };
	return 0;
}

uint32_t rp_zcrx_ring_queued(const struct rp_zcrx_acct *a)
{
	return a->tail - __atomic_load_n(a->rq.khead, __ATOMIC_ACQUIRE);
}

static bool ring_full(const struct rp_zcrx_acct *a)
{
	return rp_zcrx_ring_queued(a) >= a->rq.entries;
}

/* One refill entry for page; the kernel drops one user reference per entry. */
static void ring_push(struct rp_zcrx_acct *a, uint32_t page)
{
	struct rp_zcrx_rqe *e = &a->rq.rqes[a->tail & (a->rq.entries - 1)];

	e->off = ((uint64_t)page * RP_ZCRX_PAGE) | a->area_token;
	e->len = RP_ZCRX_PAGE;
	e->pad = 0;
	a->tail++;
	a->st.returned++;
}

static void publish(struct rp_zcrx_acct *a)
{
	__atomic_store_n(a->rq.ktail, a->tail, __ATOMIC_RELEASE);
}

static void page_settled(struct rp_zcrx_acct *a, uint32_t page)
{
	if (!page_count(a, page))
		a->pages_busy--;
}

/* One reference on page p goes back: onto the ring, or owed. */
static void put_page(struct rp_zcrx_acct *a, uint32_t p)
{
	a->refs[p]--;
	/* owed returns go first: the ring keeps the order they were consumed in */
	if (!a->fifo_len && !ring_full(a)) {
		ring_push(a, p);
		publish(a);
		page_settled(a, p);
		return;
	}
	a->st.refill_stalls += ring_full(a);
	if (!a->owed[p]++)
		a->fifo[(a->fifo_head + a->fifo_len++) % a->n_pages] = p;
	rp_zcrx_flush(a);
}

void rp_zcrx_put(struct rp_zcrx_acct *a, const struct rp_zcrx_ref *ref)
{
	uint32_t p = ref->page;

	if (p >= a->n_pages || a->refs[p] <= a->held[p])
		return;		/* not ours, or returned twice: the kernel must not see it */
	a->bytes_held -= ref->len;
	if (a->pins[p >> a->pin_shift]) {
		a->held[p]++;	/* a send may still read the page */
		a->st.held_back++;
		return;
	}
	put_page(a, p);
}

uint16_t rp_zcrx_pin(struct rp_zcrx_acct *a, uint32_t page)
{
	uint16_t key = (uint16_t)(page >> a->pin_shift);

	if (page < a->n_pages)
		a->pins[key]++;
	return key;
}

void rp_zcrx_unpin(struct rp_zcrx_acct *a, uint16_t key)
{
	uint32_t first = (uint32_t)key << a->pin_shift, end = first + (1u << a->pin_shift);

	if (first >= a->n_pages || !a->pins[key] || --a->pins[key])
		return;
	for (uint32_t p = first; p < end && p < a->n_pages; p++)
		while (a->held[p]) {
			a->held[p]--;
			put_page(a, p);
		}
}

unsigned rp_zcrx_flush(struct rp_zcrx_acct *a)
{
	unsigned n = 0;

	while (a->fifo_len && !ring_full(a)) {
		uint32_t p = a->fifo[a->fifo_head];

		ring_push(a, p);
		n++;
		if (--a->owed[p])
			continue;	/* more owed on this page: it stays at the head */
		a->fifo_head = (a->fifo_head + 1) % a->n_pages;
		a->fifo_len--;
		page_settled(a, p);
	}
	if (n)
		publish(a);
	return n;
}

bool rp_zcrx_exhausted(const struct rp_zcrx_acct *a)
{
	return a->pages_busy >= a->n_pages - a->reserve;
}

uint64_t rp_zcrx_outstanding(const struct rp_zcrx_acct *a)
{
	return a->st.taken - a->st.returned;
}

enum rp_zcrx_end rp_zcrx_recv_end(struct rp_zcrx_acct *a, int res)
{
	if (res == 0)
		return RP_ZCRX_END_EOF;
	if (res == -ENOSPC || res == -ENOMEM) {
		a->st.rearms++;
		return RP_ZCRX_END_REARM;
	}
	return res == -ECANCELED ? RP_ZCRX_END_CANCELED : RP_ZCRX_END_ERROR;
}
