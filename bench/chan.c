/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench chan`: message channels (chan/) against the classic ways
 * to move messages between threads of different processes' kind, in the
 * same run (seed 002's method, issue 14):
 *   p2p        ping-pong between two pinned threads, one-way ns per message
 *              (half a round trip), 64 B .. 32 KB: pipe, unix, shm_eventfd,
 *              ringplane_unicast;
 *   broadcast  one sender, 1..16 receivers, sender ns per message at 64 B,
 *              4 KB, 32 KB: a pipe / socket / shm ring per receiver (the
 *              sender copies into each) against one ringplane broadcast
 *              channel (written once); the receivers' work is the same for
 *              every mechanism and named in the case (rx_work, chan_ops.h:
 *              none, or sum every byte); also the sender's CPU time per
 *              message, the receivers' (all of them), and the time until
 *              every receiver had every message (delivered: not helped by
 *              a deeper ring letting the sender run ahead);
 *              The _batch variants (shm_eventfd_batch,
 *              ringplane_broadcast_batch) are the same with receive
 *              coalescing (rx_batch, rx_batch_delay_us: chan_ops.h), side by
 *              side with the defaults in the same groups; pipes and sockets
 *              have no such mechanism;
 *   multicast  ringplane multicast, 1..16 receivers, sender ns per message
 *              (ringplane_multicast_batch: with receive coalescing);
 *   wake       delivery latency to a sleeping receiver: a 64 B message with
 *              the sender's timestamp every 200 us, the receiver's clock
 *              at its return from the receive (p50, p99).
 * Receivers are threads of this process; every ringplane handle maps the
 * channel file on its own, as another process would. With 2 vCPUs, more
 * than one receiver oversubscribes the machine: compare ratios. Fan-out
 * receivers run on the CPUs other than the sender's by default (rx_cpus):
 * left to the scheduler, a single receiver lands on the sender's CPU in some
 * runs and on the other in others, and the 1-receiver cost (the base of
 * every "16 over 1" ratio) flips by 2-3x between them. Where the
 * sender's time goes with many receivers is the scheduler's, so fan-out
 * cases also count, per message, the receivers' sleeps (voluntary context
 * switches: one per wake-up) and the sender's preemptions (involuntary).
 */
#include <errno.h>
#include <sched.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench/bench.h"
#include "bench/chan_ops.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_SIZE (1u << 20)
/* A receiver or ping-pong that gets nothing for this long fails its case
 * (a transport that stopped delivering must not hang the run). */
#define STALL_NS (20ull * 1000000000)

static const char *const variant_words[] = {
	"pipe", "unix", "shm_eventfd", "ringplane_unicast", "ringplane_broadcast",
	"ringplane_broadcast_ref", "ringplane_multicast", "iceoryx", "shm_eventfd_batch",
	"ringplane_broadcast_batch", "ringplane_multicast_batch", NULL,
};
static const char *const test_words[] = { "p2p", "wake", "fanout", NULL };
static const char *const rx_cpu_words[] = { "all", "sender", "other", NULL };
/* In enum chan_rx_work's order. */
static const char *const work_words[] = { "copy", "none", "sum", NULL };

static const struct rp_bench_knob knobs[] = {
	{ "variants", "the channels measured (p2p and wake: unicast ones; fan-out: broadcast "
	  "ones; multicast up to 4 KB, by reference above it; iceoryx when built in)",
	  "pipe,unix,shm_eventfd,ringplane_unicast,ringplane_broadcast,ringplane_broadcast_ref,"
	  "ringplane_multicast,iceoryx,shm_eventfd_batch,ringplane_broadcast_batch,"
	  "ringplane_multicast_batch", NULL, 0, 0,
	  variant_words, true },
	{ "tests", "point to point, wake-up of a sleeping receiver, fan-out", "p2p,wake,fanout",
	  NULL, 0, 0, test_words, true },
	{ "sizes", "point-to-point message sizes (bytes)", "64,256,1024,4096,16384,32768", NULL,
	  8, MAX_SIZE, NULL, true },
	{ "fanout_sizes", "fan-out message sizes (bytes)", "64,4096,32768", NULL, 8, MAX_SIZE,
	  NULL, true },
	{ "receivers", "fan-out receivers (threads)", "1,2,4,8,16", NULL, 1, 16, NULL, true },
	{ "rx_work", "fan-out: what every receiver does with each message (copy: into its own "
	  "buffer; none: only what the mechanism forces; sum: add up every byte where it lies)",
	  "none,sum", NULL, 0, 0, work_words, true },
	{ "rx_cpus", "fan-out receivers run on every CPU of the run (all: the scheduler places "
	  "them), share the sender's (sender: how every run before 2026-12-08 ran them, by "
	  "inheriting its pin), or run on the run's CPUs but the sender's (other: a fixed "
	  "placement, the sender alone on its CPU: the default, as with 'all' the one-receiver cases "
	  "flip between two placements)", "other", NULL,
	  0, 0, rx_cpu_words, false },
	{ "rx_batch", "fan-out, the _batch variants: a sleeping receiver is woken once this many "
	  "messages wait for it (receive coalescing; capped at half the ring)", "32", NULL, 2,
	  4096, NULL, false },
	{ "rx_batch_delay_us", "fan-out, the _batch variants: the longest a receiver waiting "
	  "for its batch sleeps", "1000", NULL, 1, 1e6, NULL, false },
	{ "messages", "messages per repetition (0: 16 MiB / (size x receivers), 1000..5000)",
	  "0", "500", 0, 1e7, NULL, false },
};

/* The knobs, read once. */
static unsigned p2p_sizes[RP_BENCH_KNOB_MAX_VALUES], n_p2p_sizes;
static unsigned fan_sizes[RP_BENCH_KNOB_MAX_VALUES], n_fan_sizes;
static unsigned fan_rx[RP_BENCH_KNOB_MAX_VALUES], n_fan_rx;

#define MAX_OPS 8
/* The variants of this run: iceoryx joins when its daemon could be started. */
static const struct chan_xp_ops *p2p_ops[MAX_OPS] = {
	&chan_xp_pipe, &chan_xp_unix, &chan_xp_shm_eventfd, &chan_xp_ringplane_unicast,
};
static const struct chan_xp_ops *fan_ops[MAX_OPS] = {
	&chan_xp_pipe, &chan_xp_unix, &chan_xp_shm_eventfd, &chan_xp_ringplane_broadcast,
	&chan_xp_shm_eventfd_batch, &chan_xp_ringplane_broadcast_batch,
};
static unsigned n_p2p = 4, n_fan = 6;

struct chan_case {
	struct rp_bench_ctx *ctx;
	const struct chan_xp_ops *ops;
	size_t size;
	unsigned nrx;
	unsigned long msgs;
	bool multicast;
	enum chan_rx_work work;
};

struct rx_thread {
	struct chan_case *c;
	struct chan_xp *xp, *back;	/* back: p2p echo direction */
	unsigned idx;
	_Atomic unsigned long *total;	/* multicast: received by all */
	int err;
	long sleeps;			/* voluntary context switches while receiving */
	unsigned long long cpu_ns;	/* its CPU time while receiving */
	uint64_t acc;			/* sums (rx_work sum) */
	pthread_t t;
};

/* Where the sums go, so that no work is optimized away. */
static _Atomic uint64_t sum_sink;

static unsigned long long thread_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

/* Nothing received since *since (0: not waiting yet) for STALL_NS? */
static bool stalled(unsigned long long *since)
{
	unsigned long long now = rp_bench_now_ns();

	if (!*since)
		*since = now;
	return now - *since > STALL_NS;
}

/* A receive that waits at most STALL_NS: -ETIMEDOUT then. */
static int recv_one(const struct chan_case *c, struct chan_xp *xp, unsigned idx, void *buf,
		    size_t len, enum chan_rx_work w, uint64_t *acc)
{
	unsigned long long since = 0;
	int e;

	while ((e = c->ops->recv(xp, idx, buf, len, w, acc)) == -EAGAIN)
		if (stalled(&since))
			return -ETIMEDOUT;
	return e;
}

/* This thread's context switches so far: voluntary (it slept) or not
 * (preempted). */
static void thread_switches(long *vol, long *invol)
{
	struct rusage u;

	getrusage(RUSAGE_THREAD, &u);
	*vol = u.ru_nvcsw;
	*invol = u.ru_nivcsw;
}

static unsigned long msgs_for(const struct rp_bench_ctx *ctx, size_t size, unsigned nrx)
{
	unsigned long budget = (16ul << 20) / (size * nrx);
	unsigned long set = (unsigned long)rp_bench_knob_num(ctx, "messages", 0);

	/* Wake-ups cost 10-40 us on this VM: a few thousand messages per
	 * repetition already take seconds. */
	if (set)
		return set;
	return budget < 1000 ? 1000 : budget > 5000 ? 5000 : budget;
}

/* Fan-out receivers may run on the run's CPUs from index `first` on (0:
 * every CPU; 1: all but the sender's): a thread inherits its creator's
 * affinity, and the sender pinned itself to CPU index 0 before creating
 * them. With one CPU, "all but the sender's" is the sender's. */
static void pin_from(const struct rp_bench_ctx *ctx, unsigned first)
{
	cpu_set_t set;

	if (first >= rp_bench_ncpus(ctx))
		first = 0;
	CPU_ZERO(&set);
	for (unsigned i = first; i < rp_bench_ncpus(ctx); i++)
		CPU_SET(rp_bench_cpu(ctx, i), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Receive until told how many (fan-out, p2p) or until all were taken. */
static void *rx_main(void *arg)
{
	struct rx_thread *r = arg;
	char *buf = malloc(r->c->size);
	unsigned long got = 0;
	unsigned long long since = 0, cpu0;
	long v0, v1, unused;

	if (r->back)	/* the p2p echo: on the other CPU than the sender */
		rp_bench_pin_self(rp_bench_cpu(r->c->ctx, rp_bench_ncpus(r->c->ctx) > 1));
	else if (rp_bench_knob_has(r->c->ctx, "rx_cpus", "all"))
		pin_from(r->c->ctx, 0);
	else if (rp_bench_knob_has(r->c->ctx, "rx_cpus", "other"))
		pin_from(r->c->ctx, 1);
	else		/* rx_cpus=sender */
		rp_bench_pin_self(rp_bench_cpu(r->c->ctx, 0));
	thread_switches(&v0, &unused);
	cpu0 = thread_cpu_ns();
	while (buf && !r->err) {
		bool done = r->total ? atomic_load(r->total) >= r->c->msgs : got >= r->c->msgs;
		int e;

		if (done)
			break;
		e = r->c->ops->recv(r->xp, r->idx, buf, r->c->size, r->c->work, &r->acc);
		/* Multicast: the others' receives are progress too. */
		if (e == -EAGAIN && !stalled(&since))
			continue;
		if (e) {
			r->err = e == -EAGAIN ? -ETIMEDOUT : e;
			break;
		}
		since = 0;
		got++;
		if (r->total)
			atomic_fetch_add(r->total, 1);
		if (r->back)
			r->err = r->c->ops->send(r->back, buf, r->c->size);
	}
	r->cpu_ns = thread_cpu_ns() - cpu0;
	thread_switches(&v1, &unused);
	r->sleeps = v1 - v0;
	atomic_fetch_add(&sum_sink, r->acc);
	free(buf);
	return NULL;
}

static int start_rx(struct rx_thread *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&r[i].t, NULL, rx_main, &r[i]))
			return -1;
	return 0;
}

static int join_rx(struct rx_thread *r, unsigned n)
{
	int err = 0;

	for (unsigned i = 0; i < n; i++) {
		pthread_join(r[i].t, NULL);
		if (r[i].err)
			err = r[i].err;
	}
	return err;
}

/* One-way latency: half the round trip of a ping-pong. */
static int rep_p2p(void *arg, struct rp_bench_sample *s)
{
	struct chan_case *c = arg;
	const char *why = "?";
	struct chan_xp *fwd = c->ops->create(1, c->size, &why), *back = NULL;
	struct rx_thread echo = { .c = c, .xp = fwd };
	char *buf = calloc(1, c->size);
	unsigned long long t0, t1;
	int err = 0;

	if (!fwd || !(back = c->ops->create(1, c->size, &why)) || !buf) {
		if (fwd)
			c->ops->destroy(fwd);
		free(buf);
		return rp_bench_fail(c->ctx, "%s: create: %s", c->ops->name, why);
	}
	echo.back = back;
	rp_bench_pin_self(rp_bench_cpu(c->ctx, 0));
	start_rx(&echo, 1);
	t0 = rp_bench_now_ns();
	for (unsigned long i = 0; i < c->msgs && !err; i++) {
		if ((err = c->ops->send(fwd, buf, c->size)))
			break;
		err = recv_one(c, back, 0, buf, c->size, CHAN_RX_COPY, NULL);
	}
	t1 = rp_bench_now_ns();
	if (!err)
		err = join_rx(&echo, 1);
	c->ops->destroy(fwd);
	c->ops->destroy(back);
	free(buf);
	if (err)
		return rp_bench_fail(c->ctx, "%s p2p: %s", c->ops->name, strerror(-err));
	rp_bench_metric(s, "ns_per_msg", "ns", (double)(t1 - t0) / (2.0 * (double)c->msgs));
	return 0;
}

/*
 * The fan-out sender: a thread of its own per repetition, pinned to the
 * first CPU, so that no case inherits the main thread's scheduling history
 * from the cases before it (the scheduler keeps a thread's lag across
 * them); receivers are created before it and unpin themselves.
 */
struct fan_sender {
	struct chan_case *c;
	struct chan_xp *xp;
	const char *buf;
	unsigned long long t0, t1, cpu0, cpu1;
	long p0, p1;
	int err;
};

static void *fan_sender_main(void *arg)
{
	struct fan_sender *f = arg;
	long unused;

	rp_bench_pin_self(rp_bench_cpu(f->c->ctx, 0));
	thread_switches(&unused, &f->p0);
	f->cpu0 = thread_cpu_ns();
	f->t0 = rp_bench_now_ns();
	for (unsigned long i = 0; i < f->c->msgs && !f->err; i++)
		f->err = f->c->ops->send(f->xp, f->buf, f->c->size);
	f->t1 = rp_bench_now_ns();
	f->cpu1 = thread_cpu_ns();
	thread_switches(&unused, &f->p1);
	return NULL;
}

/* Sender cost per message with nrx receivers taking every (or one) message. */
static int rep_fan(void *arg, struct rp_bench_sample *s)
{
	struct chan_case *c = arg;
	const char *why = "?";
	struct chan_xp *xp = c->ops->create(c->nrx, c->size, &why);
	struct rx_thread rx[16];
	_Atomic unsigned long total = 0;
	char *buf = calloc(1, c->size);
	struct fan_sender f = { .c = c, .xp = xp, .buf = buf };
	unsigned long long t2, rx_cpu = 0;
	long sleeps = 0;
	pthread_t st;
	int err = 0;

	if (!xp || !buf) {
		if (xp)
			c->ops->destroy(xp);
		free(buf);
		return rp_bench_fail(c->ctx, "%s: create: %s", c->ops->name, why);
	}
	for (unsigned i = 0; i < c->nrx; i++)
		rx[i] = (struct rx_thread){ .c = c, .xp = xp, .idx = i,
					    .total = c->multicast ? &total : NULL };
	start_rx(rx, c->nrx);
	if (pthread_create(&st, NULL, fan_sender_main, &f))
		f.err = -EAGAIN;
	else
		pthread_join(st, NULL);
	/* A failed sender leaves the receivers waiting: they give up after
	 * STALL_NS (-ETIMEDOUT), so the case fails instead of hanging. */
	err = join_rx(rx, c->nrx);
	if (f.err)
		err = f.err;
	t2 = rp_bench_now_ns();
	for (unsigned i = 0; i < c->nrx; i++) {
		sleeps += rx[i].sleeps;
		rx_cpu += rx[i].cpu_ns;
	}
	c->ops->destroy(xp);
	free(buf);
	if (err)
		return rp_bench_fail(c->ctx, "%s fan-out: %s", c->ops->name, strerror(-err));
	rp_bench_metric(s, "sender_ns_per_msg", "ns", (double)(f.t1 - f.t0) / (double)c->msgs);
	rp_bench_metric(s, "sender_cpu_ns_per_msg", "ns", (double)(f.cpu1 - f.cpu0) / (double)c->msgs);
	rp_bench_metric(s, "rx_cpu_ns_per_msg", "ns", (double)rx_cpu / (double)c->msgs);
	rp_bench_metric(s, "delivered_ns_per_msg", "ns", (double)(t2 - f.t0) / (double)c->msgs);
	rp_bench_metric(s, "rx_sleeps_per_msg", "", (double)sleeps / (double)c->msgs);
	rp_bench_metric(s, "sender_preempted_per_msg", "", (double)(f.p1 - f.p0) / (double)c->msgs);
	return 0;
}

struct wake_rx {
	struct chan_case *c;
	struct chan_xp *xp;
	double *lat;
	int err;
};

static void *wake_rx_main(void *arg)
{
	struct wake_rx *w = arg;
	unsigned long long stamp[8];

	rp_bench_pin_self(rp_bench_cpu(w->c->ctx, rp_bench_ncpus(w->c->ctx) > 1));
	for (unsigned long i = 0; i < w->c->msgs && !w->err; i++) {
		if ((w->err = recv_one(w->c, w->xp, 0, stamp, sizeof(stamp), CHAN_RX_COPY, NULL)))
			break;
		w->lat[i] = (double)(rp_bench_now_ns() - stamp[0]);
	}
	return NULL;
}

/* Delivery latency to a receiver that sleeps between messages. */
static int rep_wake(void *arg, struct rp_bench_sample *s)
{
	struct chan_case *c = arg;
	const char *why = "?";
	struct wake_rx w = { .c = c, .xp = c->ops->create(1, 64, &why),
			     .lat = calloc(c->msgs, sizeof(double)) };
	const struct timespec gap = { 0, 200000 };
	unsigned long long stamp[8] = { 0 };
	pthread_t t;
	int err = 0;

	if (!w.xp || !w.lat || pthread_create(&t, NULL, wake_rx_main, &w)) {
		if (w.xp)
			c->ops->destroy(w.xp);
		free(w.lat);
		return rp_bench_fail(c->ctx, "%s: create: %s", c->ops->name, why);
	}
	rp_bench_pin_self(rp_bench_cpu(c->ctx, 0));
	for (unsigned long i = 0; i < c->msgs && !err; i++) {
		nanosleep(&gap, NULL);
		stamp[0] = rp_bench_now_ns();
		err = c->ops->send(w.xp, stamp, sizeof(stamp));
	}
	pthread_join(t, NULL);
	c->ops->destroy(w.xp);
	if (!err)
		err = w.err;
	if (!err) {
		rp_bench_cdf_add(c->ctx, "wake-cdf", c->ops->name, w.lat, c->msgs);
		rp_bench_metric(s, "p50", "ns", rp_bench_percentile(w.lat, c->msgs, 50));
		rp_bench_metric(s, "p99", "ns", rp_bench_percentile(w.lat, c->msgs, 99));
	}
	free(w.lat);
	return err ? rp_bench_fail(c->ctx, "%s wake: %s", c->ops->name, strerror(-err)) : 0;
}

static void wake_cases(struct rp_bench_ctx *ctx)
{
	struct chan_case cs[MAX_OPS];
	struct rp_bench_case_def defs[MAX_OPS];
	struct rp_bench_kv kv[2] = { RP_KV_STR("test", "wake"), RP_KV_NUM("size", 64) };
	unsigned long n = rp_bench_quick(ctx) ? 100 : 1000;

	for (size_t o = 0; o < n_p2p; o++) {
		cs[o] = (struct chan_case){ ctx, p2p_ops[o], 64, 1, n, false, CHAN_RX_COPY };
		defs[o] = (struct rp_bench_case_def){ p2p_ops[o]->name, kv, 2, rep_wake, &cs[o] };
	}
	rp_bench_cases_interleaved(ctx, defs, n_p2p);
	rp_bench_plot_cdf(ctx, "wake-cdf", "delivery to a sleeping receiver, 64 B every 200 us",
			  "ns", true);
}

static void p2p_cases(struct rp_bench_ctx *ctx)
{
	for (size_t z = 0; z < n_p2p_sizes; z++) {
		struct chan_case cs[MAX_OPS];
		struct rp_bench_case_def defs[MAX_OPS];
		struct rp_bench_kv kv[2] = { RP_KV_STR("test", "p2p"), RP_KV_NUM("size", (double)p2p_sizes[z]) };

		for (size_t o = 0; o < n_p2p; o++) {
			cs[o] = (struct chan_case){ ctx, p2p_ops[o], p2p_sizes[z], 1,
						    msgs_for(ctx, p2p_sizes[z], 1), false, CHAN_RX_COPY };
			defs[o] = (struct rp_bench_case_def){ p2p_ops[o]->name, kv, 2, rep_p2p, &cs[o] };
		}
		rp_bench_cases_interleaved(ctx, defs, n_p2p);
	}
}

/* The cases of one size, receiver count and receiver work, interleaved. */
static void fan_group(struct rp_bench_ctx *ctx, size_t size, unsigned nrx, enum chan_rx_work w)
{
	/* Multicast up to 4 KB; large messages also by reference. */
	const struct chan_xp_ops *extras[] = {
		size <= 4096 ? &chan_xp_ringplane_multicast : NULL,
		size <= 4096 ? &chan_xp_ringplane_multicast_batch : NULL,
		size > 4096 ? &chan_xp_ringplane_broadcast_ref : NULL,
	};
	struct chan_case cs[MAX_OPS + N_OF(extras)];
	struct rp_bench_case_def defs[MAX_OPS + N_OF(extras)];
	struct rp_bench_kv kv[4] = { RP_KV_STR("test", "fanout"), RP_KV_NUM("size", (double)size),
				     RP_KV_NUM("receivers", nrx), RP_KV_STR("rx_work", work_words[w]) };
	unsigned long m = msgs_for(ctx, size, nrx);
	size_t k = 0;

	for (size_t o = 0; o < n_fan; o++, k++)
		cs[k] = (struct chan_case){ ctx, fan_ops[o], size, nrx, m, false, w };
	for (size_t x = 0; x < N_OF(extras); x++)
		if (extras[x] && rp_bench_knob_has(ctx, "variants", extras[x]->name))
			cs[k++] = (struct chan_case){ ctx, extras[x], size, nrx, m,
						      extras[x] != &chan_xp_ringplane_broadcast_ref,
						      w };
	for (size_t i = 0; i < k; i++)
		defs[i] = (struct rp_bench_case_def){ cs[i].ops->name, kv, 4, rep_fan, &cs[i] };
	rp_bench_cases_interleaved(ctx, defs, (unsigned)k);
}

static void fan_cases(struct rp_bench_ctx *ctx)
{
	for (size_t z = 0; z < n_fan_sizes; z++)
		for (size_t n = 0; n < n_fan_rx; n++)
			for (unsigned w = 0; work_words[w]; w++)
				if (rp_bench_knob_has(ctx, "rx_work", work_words[w]))
					fan_group(ctx, fan_sizes[z], fan_rx[n], (enum chan_rx_work)w);
}

static void fan_kv(struct rp_bench_kv *kv, size_t size, unsigned nrx, unsigned w)
{
	kv[0] = RP_KV_STR("test", "fanout");
	kv[1] = RP_KV_NUM("size", (double)size);
	kv[2] = RP_KV_NUM("receivers", nrx);
	kv[3] = RP_KV_STR("rx_work", work_words[w]);
}

/* b's metric over a's, same case. */
static void ratio_note(struct rp_bench_ctx *ctx, const char *a, const char *b, size_t size,
		       unsigned nrx, unsigned w, const char *metric)
{
	struct rp_bench_kv kv[4];
	double va, vb;

	fan_kv(kv, size, nrx, w);
	if (rp_bench_median(ctx, a, kv, 4, metric, &va) &&
	    rp_bench_median(ctx, b, kv, 4, metric, &vb) && va > 0)
		rp_bench_note(ctx, "fan-out %zu B to %u receivers, rx_work %s: %s / %s %s = %.2f",
			      size, nrx, work_words[w], b, a, metric, vb / va);
}

/* Sender cost with 16 receivers over that with 1 (seed 002's degradation). */
static void degrade_note(struct rp_bench_ctx *ctx, const char *v, size_t size, unsigned w)
{
	struct rp_bench_kv k1[4], k16[4];
	double one, sixteen;

	fan_kv(k1, size, 1, w);
	fan_kv(k16, size, 16, w);
	if (rp_bench_median(ctx, v, k1, 4, "sender_ns_per_msg", &one) &&
	    rp_bench_median(ctx, v, k16, 4, "sender_ns_per_msg", &sixteen) && one > 0)
		rp_bench_note(ctx, "%s %zu B, rx_work %s: sender cost with 16 receivers / with 1 = %.2f",
			      v, size, work_words[w], sixteen / one);
}

/* The goals' ratios (issue 14), for one receiver work. */
static void work_notes(struct rp_bench_ctx *ctx, unsigned w)
{
	static const char *const metrics[] = { "sender_ns_per_msg", "sender_cpu_ns_per_msg",
					       "delivered_ns_per_msg" };
	static const char *const versus[] = { "pipe", "shm_eventfd", "iceoryx" };

	for (size_t m = 0; m < N_OF(metrics); m++) {
		for (size_t v = 0; v < N_OF(versus); v++) {
			ratio_note(ctx, "ringplane_broadcast", versus[v], 64, 16, w, metrics[m]);
			ratio_note(ctx, "ringplane_broadcast", versus[v], 32768, 16, w, metrics[m]);
			ratio_note(ctx, "ringplane_broadcast_ref", versus[v], 32768, 16, w, metrics[m]);
		}
		/* Coalescing: against pipe (which has none) and like for like. */
		for (size_t z = 0; z < 2; z++) {
			size_t size = z ? 32768 : 64;

			ratio_note(ctx, "ringplane_broadcast_batch", "pipe", size, 16, w, metrics[m]);
			ratio_note(ctx, "ringplane_broadcast_batch", "shm_eventfd_batch", size, 16, w,
				   metrics[m]);
		}
	}
	degrade_note(ctx, "ringplane_multicast", 64, w);
	degrade_note(ctx, "ringplane_multicast_batch", 64, w);
	degrade_note(ctx, "ringplane_broadcast", 64, w);
	degrade_note(ctx, "pipe", 64, w);
}

static void notes(struct rp_bench_ctx *ctx)
{
	const struct chan_xp_ops *all[] = { &chan_xp_pipe, &chan_xp_unix, &chan_xp_shm_eventfd,
					    &chan_xp_ringplane_unicast, &chan_xp_ringplane_broadcast,
					    &chan_xp_ringplane_broadcast_ref, &chan_xp_ringplane_multicast,
					    &chan_xp_shm_eventfd_batch,
					    &chan_xp_ringplane_broadcast_batch,
					    &chan_xp_ringplane_multicast_batch };

	for (size_t i = 0; i < N_OF(all); i++)
		rp_bench_note(ctx, "%s", all[i]->how);
	for (unsigned w = 0; work_words[w]; w++)
		if (rp_bench_knob_has(ctx, "rx_work", work_words[w]))
			work_notes(ctx, w);
	rp_bench_note(ctx, "receive coalescing (the _batch variants): rx_batch %g, "
		      "rx_batch_delay_us %g; pipe and unix have no such mechanism",
		      rp_bench_knob_num(ctx, "rx_batch", 0),
		      rp_bench_knob_num(ctx, "rx_batch_delay_us", 0));
	rp_bench_note(ctx, "receivers are threads; fan-out receivers placed by rx_cpus=%s (the "
		      "sender pinned to the run's first CPU; other: receivers on the rest, all: "
		      "the scheduler places them on any, sender: on the sender's); %u CPUs: more "
		      "receivers than CPUs oversubscribe the machine.",
		      rp_bench_knob_has(ctx, "rx_cpus", "other") ? "other" :
		      rp_bench_knob_has(ctx, "rx_cpus", "all") ? "all" : "sender",
		      rp_bench_ncpus(ctx));
}

static void plots(struct rp_bench_ctx *ctx)
{
	static const struct rp_bench_kv p2p = RP_KV_STR("test", "p2p");
	const struct rp_bench_plot pp = { "p2p", "point to point, one-way ns per message", "size",
					  "ns_per_msg", true, true, &p2p, 1 };
	static const unsigned sizes[] = { 64, 32768 };

	rp_bench_plot_lines(ctx, &pp);
	for (unsigned w = 0; work_words[w]; w++) {
		if (!rp_bench_knob_has(ctx, "rx_work", work_words[w]))
			continue;
		for (size_t z = 0; z < N_OF(sizes); z++) {
			struct rp_bench_kv where[3] = { RP_KV_STR("test", "fanout"),
							RP_KV_NUM("size", sizes[z]),
							RP_KV_STR("rx_work", work_words[w]) };
			char id[32], title[96];
			struct rp_bench_plot p = { id, title, "receivers", "sender_ns_per_msg",
						   true, true, where, 3 };

			snprintf(id, sizeof(id), "fanout-%s-%s", z ? "32k" : "64", work_words[w]);
			snprintf(title, sizeof(title), "sender ns per message, %s, receivers: %s, by receivers",
				 z ? "32 KB" : "64 B", work_words[w]);
			rp_bench_plot_lines(ctx, &p);
		}
	}
}

/* iceoryx, when built in and its daemon starts: a fifth variant. */
static void iceoryx_join(struct rp_bench_ctx *ctx)
{
#ifdef RP_HAVE_ICEORYX
	const char *why = "?";

	if (chan_iox_start(&why) == 0) {
		p2p_ops[n_p2p++] = fan_ops[n_fan++] = &chan_xp_iceoryx;
		rp_bench_note(ctx, "%s; RouDi's log: %s", chan_xp_iceoryx.how, chan_iox_log());
		return;
	}
	rp_bench_note(ctx, "iceoryx not measured: %s", why);
#else
	rp_bench_note(ctx, "iceoryx not measured: this build has no iceoryx C binding "
		      "(apt-get install libiceoryx-binding-c-dev, then meson setup again)");
#endif
}

/* Keep the transports the variants knob names. */
static unsigned keep_wanted(const struct rp_bench_ctx *ctx, const struct chan_xp_ops **ops,
			    unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		if (rp_bench_knob_has(ctx, "variants", ops[i]->name))
			ops[k++] = ops[i];
	return k;
}

static int chan_run(struct rp_bench_ctx *ctx)
{
	bool p2p = rp_bench_knob_has(ctx, "tests", "p2p");
	bool wake = rp_bench_knob_has(ctx, "tests", "wake");
	bool fan = rp_bench_knob_has(ctx, "tests", "fanout");
	unsigned n_works = 0;

	if (rp_bench_quick(ctx))
		rp_bench_quick_reps(ctx, 1);
	n_p2p_sizes = rp_bench_knob_uints(ctx, "sizes", p2p_sizes);
	n_fan_sizes = rp_bench_knob_uints(ctx, "fanout_sizes", fan_sizes);
	n_fan_rx = rp_bench_knob_uints(ctx, "receivers", fan_rx);
	chan_xp_set_rx_batch((unsigned)rp_bench_knob_num(ctx, "rx_batch", 0),
			     (unsigned)rp_bench_knob_num(ctx, "rx_batch_delay_us", 0));
	if (rp_bench_knob_has(ctx, "variants", "iceoryx"))
		iceoryx_join(ctx);
	n_p2p = keep_wanted(ctx, p2p_ops, n_p2p);
	n_fan = keep_wanted(ctx, fan_ops, n_fan);
	for (unsigned w = 0; work_words[w]; w++)
		n_works += rp_bench_knob_has(ctx, "rx_work", work_words[w]);
	rp_bench_expect_cases(ctx, (p2p ? n_p2p_sizes * n_p2p : 0) + (wake ? n_p2p : 0) +
				   (fan ? n_fan_sizes * n_fan_rx * (n_fan + 2) * n_works : 0));
	rp_bench_param(ctx, RP_KV_NUM("ringplane_slots", 256));
	if (p2p)
		p2p_cases(ctx);
	if (wake)
		wake_cases(ctx);
	if (fan)
		fan_cases(ctx);
	plots(ctx);
	notes(ctx);
	return 0;
}

const struct rp_bench_def rp_bench_chan = {
	.name = "chan",
	.summary = "message channels vs pipe, unix socket, shm+eventfd: p2p and fan-out",
	.run = chan_run,
	.knobs = knobs,
	.n_knobs = N_OF(knobs),
};
