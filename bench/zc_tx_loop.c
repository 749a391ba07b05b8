/* SPDX-License-Identifier: MIT */
/*
 * What the zc-tx senders share (zc_tx.h): the measured window, the buffer
 * memory, and the submit/reap/drain loop of the two io_uring senders (the
 * appliance path and the raw reference), which differ only in how they queue
 * a send and account a CQE.
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/zc_tx.h"

/* ---- the measured window ------------------------------------------------- */

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

/* The calling thread's CPU time, all and user space only. The kernel splits
 * the two by sampling at ticks, so the user share of a short window is
 * coarse; over a 0.5 s window it still tells the send loop's own code from
 * the kernel's work. */
static uint64_t thread_cpu_ns(uint64_t *user_ns)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	*user_ns = tv_ns(ru.ru_utime);
	return *user_ns + tv_ns(ru.ru_stime);
}

void zc_tx_window_start(struct zc_tx_window *w, const struct zc_tx_case *c)
{
	uint64_t now = rp_bench_now_ns();

	*w = (struct zc_tx_window){
		.warm_end_ns = now + (uint64_t)(c->warmup_s * 1e9),
		.len_ns = (uint64_t)(c->seconds * 1e9),
	};
}

bool zc_tx_window_tick(struct zc_tx_window *w, struct zc_tx_result *r)
{
	uint64_t now;

	if (w->done)
		return false;
	now = rp_bench_now_ns();
	if (!w->measuring && now >= w->warm_end_ns) {
		r->requests = r->bytes = r->zc_sends = r->zc_copied = r->notifs = 0;
		/* the window starts here, not at warm_end: a sender descheduled
		 * across the end of the warm-up still gets a whole window */
		w->t0_ns = now;
		w->cpu0_ns = thread_cpu_ns(&w->user0_ns);
		w->measuring = true;
		return true;
	}
	if (!w->measuring || now - w->t0_ns < w->len_ns)
		return true;
	r->wall_ns = now - w->t0_ns;
	r->cpu_ns = thread_cpu_ns(&r->user_ns) - w->cpu0_ns;
	r->user_ns -= w->user0_ns;
	w->done = true;
	return false;
}

void *zc_tx_buffers(unsigned size, unsigned count, unsigned *stride)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *base;

	*stride = (unsigned)((size + page - 1) / page * page);
	base = mmap(NULL, (size_t)*stride * count, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	memset(base, 0xa5, (size_t)*stride * count);	/* fault every page in now */
	return base;
}

void zc_tx_buffers_free(void *base, unsigned stride, unsigned count)
{
	if (base)
		munmap(base, (size_t)stride * count);
}

/* ---- the io_uring send loop ------------------------------------------------ */

static int ring_reap(struct io_uring *ring, const struct zc_tx_ring_ops *ops, void *s,
		     struct zc_tx_result *r)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	int ret = 0;

	io_uring_for_each_cqe(ring, head, cqe) {
		if (ops->cqe(s, cqe, r) < 0)
			ret = -1;
		seen++;
	}
	io_uring_cq_advance(ring, seen);
	return ret;
}

/* Queue up to a batch, submit, and wait for as many CQEs as were queued (or
 * for one, to get buffers back when none was free). */
static int ring_round(struct io_uring *ring, const struct zc_tx_ring_ops *ops, void *s,
		      const struct zc_tx_case *c, struct zc_tx_result *r)
{
	unsigned n = ops->fill(s, c);
	int ret = io_uring_submit_and_wait(ring, n ? n : 1);

	if (ret < 0 && ret != -EINTR && ret != -ETIME) {
		snprintf(r->err, sizeof(r->err), "%s: io_uring_submit_and_wait: %s", ops->name,
			 strerror(-ret));
		return -1;
	}
	return ring_reap(ring, ops, s, r);
}

int zc_tx_ring_loop(struct io_uring *ring, const struct zc_tx_ring_ops *ops, void *s,
		    const struct zc_tx_case *c, struct zc_tx_result *r)
{
	struct zc_tx_result scratch = { 0 };	/* the drain is not measured */
	struct zc_tx_window w;
	int ret = 0;

	zc_tx_window_start(&w, c);
	while (ret == 0 && zc_tx_window_tick(&w, r))
		ret = ring_round(ring, ops, s, c, r);
	/* every buffer back: the kernel is done with all of them */
	while (ops->in_flight(s)) {
		int err = io_uring_submit_and_wait(ring, 1);

		if (err < 0 && err != -EINTR) {
			if (ret == 0)
				snprintf(r->err, sizeof(r->err), "%s: draining notifications: %s",
					 ops->name, strerror(-err));
			return -1;
		}
		ring_reap(ring, ops, s, &scratch);
	}
	return ret;
}
