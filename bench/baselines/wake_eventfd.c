/* SPDX-License-Identifier: MIT */
/*
 * Baseline: lock-free SPSC queue + eventfd. The sender pushes, then writes
 * the eventfd for every message (the classic "queue and kick" pattern); the
 * receiver blocks in read() and drains the queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench/baselines/spsc.h"
#include "bench/baselines/wake.h"

struct wake_eventfd {
	struct rp_spsc q;
	int efd;
};

static void *efd_create(const void *arg)
{
	struct wake_eventfd *w = aligned_alloc(64, sizeof(*w));

	(void)arg;
	if (!w)
		return NULL;
	atomic_init(&w->q.head, 0);
	atomic_init(&w->q.tail, 0);
	w->efd = eventfd(0, EFD_CLOEXEC);
	if (w->efd < 0) {
		free(w);
		return NULL;
	}
	return w;
}

static int efd_send(void *st, uint64_t stamp)
{
	struct wake_eventfd *w = st;
	uint64_t one = 1;

	if (!rp_spsc_push(&w->q, stamp))
		return -ENOBUFS;
	return write(w->efd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

static int efd_recv(void *st, uint64_t *stamps, unsigned max)
{
	struct wake_eventfd *w = st;
	uint64_t count;
	unsigned n;

	for (;;) {
		n = rp_spsc_pop(&w->q, stamps, max);
		if (n)
			return (int)n;
		if (read(w->efd, &count, sizeof(count)) < 0 && errno != EINTR)
			return -errno;
	}
}

static void efd_destroy(void *st)
{
	struct wake_eventfd *w = st;

	close(w->efd);
	free(w);
}

const struct rp_wake_ops rp_wake_eventfd = {
	.name = "eventfd_spsc",
	.how = "eventfd_spsc: lock-free SPSC queue, eventfd write per message, receiver blocks in read()",
	.create = efd_create,
	.send = efd_send,
	.recv = efd_recv,
	.destroy = efd_destroy,
};
