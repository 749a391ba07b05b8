/* SPDX-License-Identifier: MIT */
/*
 * The transports of `bench chan`. Fan-out baselines copy each message once
 * per receiver: pipe (a pipe each), unix (a SOCK_SEQPACKET pair each),
 * shm_eventfd (a single-producer ring in MAP_SHARED memory per receiver and
 * an eventfd written only when that receiver said it sleeps). ringplane
 * writes each message once into a channel (chan/chan.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/chan_ops.h"
#include "chan/chan.h"

#define RX_MAX 16
#define SHM_SLOTS 64u
#define POLL_MS 50

/* The _batch variants' receive coalescing (chan_ops.h). */
static unsigned rx_batch = 1, rx_delay_us;

void chan_xp_set_rx_batch(unsigned batch, unsigned delay_us)
{
	rx_batch = batch ? batch : 1;
	rx_delay_us = delay_us;
}

static uint64_t sum_bytes(const uint8_t *b, size_t len)
{
	uint64_t s = 0, v;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&v, b + i, 8);
		s += v;
	}
	for (; i < len; i++)
		s += b[i];
	return s;
}

void chan_rx_use(enum chan_rx_work w, const void *msg, void *buf, size_t len, uint64_t *acc)
{
	if (w == CHAN_RX_COPY && msg != buf)
		memcpy(buf, msg, len);
	else if (w == CHAN_RX_SUM)
		*acc += sum_bytes(msg, len);
}

/* ---- pipe and unix: one fd pair per receiver --------------------------- */

struct fd_xp {
	unsigned nrx;
	int rfd[RX_MAX], wfd[RX_MAX];
};

static void fd_destroy(struct chan_xp *xp)
{
	struct fd_xp *x = (struct fd_xp *)xp;

	for (unsigned i = 0; i < x->nrx; i++) {
		close(x->rfd[i]);
		close(x->wfd[i]);
	}
	free(x);
}

static struct chan_xp *fd_create(unsigned nrx, bool sock, const char **why)
{
	struct fd_xp *x = calloc(1, sizeof(*x));
	int fds[2];

	if (!x || nrx > RX_MAX) {
		free(x);
		*why = "too many receivers";
		return NULL;
	}
	for (unsigned i = 0; i < nrx; i++) {
		int r = sock ? socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds)
			     : pipe2(fds, O_CLOEXEC);

		if (r) {
			*why = "pipe/socketpair failed";
			fd_destroy((struct chan_xp *)x);
			return NULL;
		}
		x->rfd[i] = fds[0];
		x->wfd[i] = fds[1];
		x->nrx = i + 1;
	}
	return (struct chan_xp *)x;
}

static struct chan_xp *pipe_create(unsigned nrx, size_t size, const char **why)
{
	(void)size;
	return fd_create(nrx, false, why);
}

static struct chan_xp *unix_create(unsigned nrx, size_t size, const char **why)
{
	(void)size;
	return fd_create(nrx, true, why);
}

static int write_all(int fd, const char *b, size_t len)
{
	while (len) {
		ssize_t n = write(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fd_send(struct chan_xp *xp, const void *buf, size_t len)
{
	struct fd_xp *x = (struct fd_xp *)xp;
	int r = 0;

	for (unsigned i = 0; i < x->nrx && !r; i++)
		r = write_all(x->wfd[i], buf, len);
	return r;
}

/* A pipe is a byte stream: read the whole message; SEQPACKET gives it in
 * one. The read is the mechanism's copy: `none` does nothing more. */
static int fd_recv(struct chan_xp *xp, unsigned rx, void *buf, size_t len, enum chan_rx_work w,
		   uint64_t *acc)
{
	struct fd_xp *x = (struct fd_xp *)xp;
	struct pollfd p = { .fd = x->rfd[rx], .events = POLLIN };
	size_t got = 0;

	if (poll(&p, 1, POLL_MS) == 0)
		return -EAGAIN;
	while (got < len) {
		ssize_t n = read(x->rfd[rx], (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EPIPE;
		got += (size_t)n;
	}
	chan_rx_use(w, buf, buf, len, acc);
	return 0;
}

const struct chan_xp_ops chan_xp_pipe = {
	.name = "pipe", .how = "pipe: one pipe per receiver, the sender writes each message to every pipe",
	.create = pipe_create, .send = fd_send, .recv = fd_recv, .destroy = fd_destroy,
};

const struct chan_xp_ops chan_xp_unix = {
	.name = "unix", .how = "unix: one SOCK_SEQPACKET socketpair per receiver, one send per receiver",
	.create = unix_create, .send = fd_send, .recv = fd_recv, .destroy = fd_destroy,
};

/* ---- shm + eventfd: a ring per receiver, wake only sleepers ------------ */

struct shm_ring {
	_Alignas(64) _Atomic uint32_t head;	/* sender's */
	_Alignas(64) _Atomic uint32_t tail;	/* receiver's */
	_Atomic uint32_t sleeping;
	_Atomic uint32_t wake_at;		/* coalescing: the head it wants */
	int efd;
};

struct shm_xp {
	unsigned nrx;
	unsigned batch, delay_us;		/* batch 1: no coalescing */
	size_t size, map_len;
	struct shm_ring *ring[RX_MAX];
	uint8_t *data[RX_MAX];
	void *map;
};

static void shm_destroy(struct chan_xp *xp)
{
	struct shm_xp *x = (struct shm_xp *)xp;

	for (unsigned i = 0; i < x->nrx; i++)
		close(x->ring[i]->efd);
	if (x->map)
		munmap(x->map, x->map_len);
	free(x);
}

static struct chan_xp *shm_create_with(unsigned nrx, size_t size, unsigned batch,
				       const char **why)
{
	struct shm_xp *x = calloc(1, sizeof(*x));
	size_t per = 128 + SHM_SLOTS * size;

	per = (per + 4095) & ~(size_t)4095;
	if (!x || nrx > RX_MAX) {
		free(x);
		*why = "too many receivers";
		return NULL;
	}
	x->size = size;
	/* As chan/: a batch is at most half the ring, so it is due before
	 * the ring is full. */
	x->batch = batch < SHM_SLOTS / 2 ? batch : SHM_SLOTS / 2;
	x->delay_us = rx_delay_us;
	x->map_len = per * nrx;
	x->map = mmap(NULL, x->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (x->map == MAP_FAILED) {
		free(x);
		*why = "mmap failed";
		return NULL;
	}
	for (unsigned i = 0; i < nrx; i++) {
		x->ring[i] = (struct shm_ring *)((uint8_t *)x->map + per * i);
		x->data[i] = (uint8_t *)x->ring[i] + 128;
		x->ring[i]->efd = eventfd(0, EFD_CLOEXEC);
		x->nrx = i + 1;
	}
	return (struct chan_xp *)x;
}

static struct chan_xp *shm_create(unsigned nrx, size_t size, const char **why)
{
	return shm_create_with(nrx, size, 1, why);
}

static struct chan_xp *shm_create_batch(unsigned nrx, size_t size, const char **why)
{
	return shm_create_with(nrx, size, rx_batch, why);
}

static void shm_signal(struct shm_ring *r)
{
	uint64_t one = 1;

	if (write(r->efd, &one, sizeof(one)) < 0)
		return;
}

static void shm_push(struct shm_xp *x, unsigned i, const void *buf, size_t len)
{
	struct shm_ring *r = x->ring[i];
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	/* Full: let the receiver run (a sleeper waiting for its batch is
	 * woken: it cannot come). */
	while (h - atomic_load_explicit(&r->tail, memory_order_acquire) >= SHM_SLOTS) {
		if (atomic_load_explicit(&r->sleeping, memory_order_relaxed))
			shm_signal(r);
		sched_yield();
	}
	memcpy(x->data[i] + (h % SHM_SLOTS) * x->size, buf, len);
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	/* A sleeper is woken when its batch is there (1: every message). */
	if (atomic_load_explicit(&r->sleeping, memory_order_relaxed) &&
	    (int32_t)(h + 1 - atomic_load_explicit(&r->wake_at, memory_order_relaxed)) >= 0)
		shm_signal(r);
}

static int shm_send(struct chan_xp *xp, const void *buf, size_t len)
{
	struct shm_xp *x = (struct shm_xp *)xp;

	for (unsigned i = 0; i < x->nrx; i++)
		shm_push(x, i, buf, len);
	return 0;
}

/* The message is used where it lies, then its slot given back. */
static int shm_recv(struct chan_xp *xp, unsigned rx, void *buf, size_t len, enum chan_rx_work w,
		    uint64_t *acc)
{
	struct shm_xp *x = (struct shm_xp *)xp;
	struct shm_ring *r = x->ring[rx];
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct pollfd p = { .fd = r->efd, .events = POLLIN };
	/* Coalescing: the sleep ends at the max delay at the latest. */
	struct timespec most = x->batch > 1
		? (struct timespec){ x->delay_us / 1000000, (long)(x->delay_us % 1000000) * 1000 }
		: (struct timespec){ 0, POLL_MS * 1000000L };
	uint64_t v;

	if (atomic_load_explicit(&r->head, memory_order_acquire) == t) {
		atomic_store_explicit(&r->wake_at, t + x->batch, memory_order_relaxed);
		atomic_store_explicit(&r->sleeping, 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(&r->head, memory_order_acquire) == t &&
		    ppoll(&p, 1, &most, NULL) == 1 && read(r->efd, &v, sizeof(v)) < 0)
			return -errno;
		atomic_store_explicit(&r->sleeping, 0, memory_order_relaxed);
		if (atomic_load_explicit(&r->head, memory_order_acquire) == t)
			return -EAGAIN;
	}
	chan_rx_use(w, x->data[rx] + (t % SHM_SLOTS) * x->size, buf, len, acc);
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return 0;
}

const struct chan_xp_ops chan_xp_shm_eventfd = {
	.name = "shm_eventfd",
	.how = "shm_eventfd: a 64-slot ring in MAP_SHARED memory per receiver, the sender "
	       "copies into each, receivers read in place, eventfd written only for a receiver "
	       "that said it sleeps",
	.create = shm_create, .send = shm_send, .recv = shm_recv, .destroy = shm_destroy,
};

const struct chan_xp_ops chan_xp_shm_eventfd_batch = {
	.name = "shm_eventfd_batch",
	.how = "shm_eventfd_batch: shm_eventfd with receive coalescing: a sleeping receiver is "
	       "signalled once rx_batch messages wait in its ring (at most half the ring) or "
	       "the ring is full, its poll times out at rx_batch_delay_us",
	.create = shm_create_batch, .send = shm_send, .recv = shm_recv, .destroy = shm_destroy,
};

/* ---- ringplane channels ------------------------------------------------ */

#define RP_SLOTS 256

struct rp_xp {
	char name[64];
	unsigned nrx;
	struct rp_chan *tx, *rx[RX_MAX];
	/* by reference: RP_SLOTS buffers of `size` in the sender's region,
	 * each reused once the message last sent from it is released */
	uint8_t *region;
	size_t size;
	bool in_place;			/* broadcast: receivers read in place */
	uint64_t sent, last_pos[RP_SLOTS];
};

static void rp_destroy(struct chan_xp *xp)
{
	struct rp_xp *x = (struct rp_xp *)xp;
	struct rp_chan_err e;

	for (unsigned i = 0; i < x->nrx; i++)
		rp_chan_detach(x->rx[i]);
	rp_chan_detach(x->tx);
	rp_chan_destroy(x->name, &e);
	free(x);
}

static struct chan_xp *rp_create(unsigned nrx, size_t size, enum rp_chan_mode mode,
				 bool by_ref, unsigned batch, const char **why)
{
	static _Atomic unsigned seq;
	struct rp_xp *x = calloc(1, sizeof(*x));
	struct rp_chan_params p;
	struct rp_chan_err e;

	if (!x || nrx > RX_MAX) {
		free(x);
		*why = "too many receivers";
		return NULL;
	}
	snprintf(x->name, sizeof(x->name), "bench-%d-%u", (int)getpid(), atomic_fetch_add(&seq, 1));
	rp_chan_params_default(&p);
	p.mode = mode;
	p.slots = RP_SLOTS;
	p.slot_size = by_ref ? 64 : (uint32_t)size;
	p.block_timeout_ms = 60000;
	if (rp_chan_create(x->name, &p, &e) ||
	    !(x->tx = rp_chan_attach(x->name, RP_CHAN_SENDER, &e))) {
		*why = "rp_chan_create/attach failed";
		free(x);
		return NULL;
	}
	x->size = size;
	x->in_place = mode == RP_CHAN_BROADCAST;
	if (by_ref && !(x->region = rp_chan_region_create(x->tx, RP_SLOTS * size, &e))) {
		*why = "rp_chan_region_create failed";
		rp_destroy((struct chan_xp *)x);
		return NULL;
	}
	for (unsigned i = 0; i < nrx; i++) {
		if (!(x->rx[i] = rp_chan_attach(x->name, RP_CHAN_RECEIVER, &e))) {
			*why = "rp_chan_attach (receiver) failed";
			rp_destroy((struct chan_xp *)x);
			return NULL;
		}
		x->nrx = i + 1;
		if (rp_chan_set_rx_batch(x->rx[i], batch, rx_delay_us)) {
			*why = "rp_chan_set_rx_batch failed";
			rp_destroy((struct chan_xp *)x);
			return NULL;
		}
	}
	return (struct chan_xp *)x;
}

static struct chan_xp *rpu_create(unsigned nrx, size_t size, const char **why)
{
	return rp_create(nrx, size, RP_CHAN_UNICAST, false, 1, why);
}

static struct chan_xp *rpb_create(unsigned nrx, size_t size, const char **why)
{
	return rp_create(nrx, size, RP_CHAN_BROADCAST, false, 1, why);
}

static struct chan_xp *rpb_create_batch(unsigned nrx, size_t size, const char **why)
{
	return rp_create(nrx, size, RP_CHAN_BROADCAST, false, rx_batch, why);
}

static struct chan_xp *rpr_create(unsigned nrx, size_t size, const char **why)
{
	return rp_create(nrx, size, RP_CHAN_BROADCAST, true, 1, why);
}

static struct chan_xp *rpm_create(unsigned nrx, size_t size, const char **why)
{
	return rp_create(nrx, size, RP_CHAN_MULTICAST, false, 1, why);
}

static struct chan_xp *rpm_create_batch(unsigned nrx, size_t size, const char **why)
{
	return rp_create(nrx, size, RP_CHAN_MULTICAST, false, rx_batch, why);
}

static int rp_send(struct chan_xp *xp, const void *buf, size_t len)
{
	return rp_chan_send(((struct rp_xp *)xp)->tx, buf, len);
}

/* Like iceoryx's loan: write the message once into shared memory (a buffer
 * of the region that every receiver is done with), publish a reference. */
static int rpr_send(struct chan_xp *xp, const void *buf, size_t len)
{
	struct rp_xp *x = (struct rp_xp *)xp;
	unsigned b = (unsigned)(x->sent % RP_SLOTS);

	while (x->sent >= RP_SLOTS && !rp_chan_released(x->tx, x->last_pos[b]))
		sched_yield();
	memcpy(x->region + (size_t)b * x->size, buf, len);
	x->sent++;
	return rp_chan_send_ref(x->tx, (size_t)b * x->size, len, &x->last_pos[b]);
}

/* One message: read in place (broadcast: rp_chan_peek, released after
 * use, as iceoryx's take/release) or received into buf (unicast,
 * multicast: rp_chan_recv copies, the mechanism's copy as a pipe's read). */
static int rp_take(const struct rp_xp *x, struct rp_chan *ch, void *buf, size_t len,
		   enum chan_rx_work w, uint64_t *acc)
{
	struct rp_chan_view v;
	ssize_t n;

	if (!x->in_place) {
		if ((n = rp_chan_recv(ch, buf, len, NULL)) >= 0)
			chan_rx_use(w, buf, buf, (size_t)n < len ? (size_t)n : len, acc);
		return n < 0 ? (int)n : 0;
	}
	if ((n = rp_chan_peek(ch, &v)) < 0)
		return (int)n;
	chan_rx_use(w, v.data, buf, v.len < len ? v.len : len, acc);
	return rp_chan_release(ch, &v);
}

static int rp_recv(struct chan_xp *xp, unsigned rx, void *buf, size_t len, enum chan_rx_work w,
		   uint64_t *acc)
{
	struct rp_xp *x = (struct rp_xp *)xp;

	for (int tries = 0; tries < 2; tries++) {
		int r = rp_take(x, x->rx[rx], buf, len, w, acc);

		if (r != -EAGAIN)
			return r;
		if (tries == 0 && rp_chan_wait(x->rx[rx], POLL_MS) == -ETIMEDOUT)
			return -EAGAIN;
	}
	return -EAGAIN;
}

const struct chan_xp_ops chan_xp_ringplane_unicast = {
	.name = "ringplane_unicast", .how = "ringplane_unicast: chan/ unicast channel, 256 slots",
	.create = rpu_create, .send = rp_send, .recv = rp_recv, .destroy = rp_destroy,
};

const struct chan_xp_ops chan_xp_ringplane_broadcast = {
	.name = "ringplane_broadcast",
	.how = "ringplane_broadcast: chan/ broadcast channel, 256 slots, each message written once, "
	       "receivers read it in place (rp_chan_peek/rp_chan_release)",
	.create = rpb_create, .send = rp_send, .recv = rp_recv, .destroy = rp_destroy,
};

const struct chan_xp_ops chan_xp_ringplane_broadcast_ref = {
	.name = "ringplane_broadcast_ref",
	.how = "ringplane_broadcast_ref: chan/ broadcast channel, 256 slots of references; "
	       "the sender writes each message once into its region, receivers read it in place",
	.create = rpr_create, .send = rpr_send, .recv = rp_recv, .destroy = rp_destroy,
};

const struct chan_xp_ops chan_xp_ringplane_multicast = {
	.name = "ringplane_multicast",
	.how = "ringplane_multicast: chan/ multicast channel, 256 slots, round-robin over receivers",
	.create = rpm_create, .send = rp_send, .recv = rp_recv, .destroy = rp_destroy,
};

const struct chan_xp_ops chan_xp_ringplane_broadcast_batch = {
	.name = "ringplane_broadcast_batch",
	.how = "ringplane_broadcast_batch: ringplane_broadcast with receive coalescing "
	       "(rp_chan_set_rx_batch: woken once rx_batch messages wait, at most half the ring, "
	       "or after rx_batch_delay_us)",
	.create = rpb_create_batch, .send = rp_send, .recv = rp_recv, .destroy = rp_destroy,
};

const struct chan_xp_ops chan_xp_ringplane_multicast_batch = {
	.name = "ringplane_multicast_batch",
	.how = "ringplane_multicast_batch: ringplane_multicast with receive coalescing "
	       "(rp_chan_set_rx_batch: a sleeping receiver woken once rx_batch messages are "
	       "given to it, or after rx_batch_delay_us; a sleeper's turn goes to one collecting)",
	.create = rpm_create_batch, .send = rp_send, .recv = rp_recv, .destroy = rp_destroy,
};
