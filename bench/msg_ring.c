/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench msg-ring`: how fast one thread can hand a message to
 * another thread that sleeps until it arrives. Reproduces the measurement in
 * seed 000 (the MSG_RING rework, kernel 6.11): a sender pinned on one CPU
 * posts timestamped messages to a receiver pinned on the other, with a fixed
 * delay between sends (10 us ~ 100K msg/s, 20 us ~ 50K msg/s).
 *
 * Per variant and delay it reports the sender's cost (prepare + submit one
 * message), the receiver's delivery latency (stamp taken just before the
 * send -> message in the receiver's hands), and messages delivered against
 * the target (duration / delay). Variants, in the same loop:
 *   msg_ring       raw io_uring_prep_msg_ring, IOSQE_CQE_SKIP_SUCCESS
 *   msg_ring_port  ringplane's protocol (dataplane/msg.c: outbox, typed
 *                  user_data); the sender reaps its own completions between
 *                  sends, outside the timed section
 *   eventfd_spsc, pipe, futex_spsc   bench/baselines/wake_*.c
 * MSG_RING receivers wait in io_uring_wait_cqe on a SINGLE_ISSUER |
 * DEFER_TASKRUN ring, as ringplane's workers do.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liburing.h>

#include "bench/baselines/wake.h"
#include "bench/bench.h"
#include "dataplane/msg.h"

#define MR_SECONDS       3.0
#define MR_QUICK_SECONDS 0.3
#define MR_RECV_BATCH    64
#define MR_OUTBOX        256

/* ---- the MSG_RING transports ------------------------------------------ */

struct mr_ring {
	struct io_uring rx, tx;
	_Atomic int rx_fd;		/* published by the receiver thread */
	struct rp_msg_port port;	/* msg_ring_port only */
};

static void *mr_create(void)
{
	return calloc(1, sizeof(struct mr_ring));
}

static int mr_rx_init(void *st)
{
	struct mr_ring *r = st;
	int ret = io_uring_queue_init(256, &r->rx, IORING_SETUP_SINGLE_ISSUER |
				      IORING_SETUP_DEFER_TASKRUN);

	if (ret == 0)
		atomic_store(&r->rx_fd, r->rx.ring_fd);
	return ret;
}

static int mr_tx_init_raw(void *st)
{
	struct mr_ring *r = st;

	return io_uring_queue_init(256, &r->tx, IORING_SETUP_SINGLE_ISSUER);
}

static int mr_tx_init_port(void *st)
{
	struct mr_ring *r = st;
	int ret = mr_tx_init_raw(st);

	if (ret == 0) {
		ret = rp_msg_port_init(&r->port, &r->tx, MR_OUTBOX, NULL);
		if (ret < 0)
			io_uring_queue_exit(&r->tx);
	}
	return ret;
}

/* Our own completions: only failures for the raw variant (SKIP_SUCCESS;
 * a lost message shows as delivered < sent), every send for the port
 * variant (msg.c frees its outbox entry). */
static void mr_reap(struct mr_ring *r, bool port)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&r->tx, &cqe) == 0) {
		if (port)
			rp_msg_dispatch(&r->port, NULL, cqe);
		io_uring_cqe_seen(&r->tx, cqe);
	}
}

static void mr_between_port(void *st)
{
	mr_reap(st, true);
}

/* Ring-less: the thread that calls this owns no ring. */
static int mr_stop_any(void *st)
{
	struct mr_ring *r = st;

	return rp_msg_send_sync(r->rx_fd, &(struct rp_msg){ .type = RP_MSG_STOP });
}

static enum rp_msg_type mr_type(uint64_t stamp)
{
	return stamp == RP_WAKE_STOP ? RP_MSG_STOP : RP_MSG_WORK;
}

static int mr_send_raw(void *st, uint64_t stamp)
{
	struct mr_ring *r = st;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->tx);
	int ret;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_msg_ring(sqe, r->rx_fd, 0, rp_msg_ud(mr_type(stamp), stamp), 0);
	io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
	ret = io_uring_submit(&r->tx);
	return ret < 0 ? ret : 0;
}

static int mr_send_port(void *st, uint64_t stamp)
{
	struct mr_ring *r = st;
	struct rp_msg m = { .type = mr_type(stamp), .payload = stamp };
	int ret = rp_msg_send(&r->port, r->rx_fd, &m);

	if (ret == 0)
		ret = io_uring_submit(&r->tx);
	return ret < 0 ? ret : 0;
}

static int mr_recv(void *st, uint64_t *stamps, unsigned max)
{
	struct mr_ring *r = st;
	struct io_uring_cqe *cqe;
	unsigned head, n = 0, seen = 0;
	int ret = io_uring_wait_cqe(&r->rx, &cqe);

	if (ret < 0)
		return ret;
	io_uring_for_each_cqe(&r->rx, head, cqe) {
		struct rp_msg m;

		if (n == max)
			break;
		seen++;
		if (!rp_msg_decode(cqe, &m))
			continue;
		stamps[n++] = m.type == RP_MSG_STOP ? RP_WAKE_STOP : m.payload;
	}
	io_uring_cq_advance(&r->rx, seen);
	return (int)n;
}

static void mr_tx_fini_raw(void *st)
{
	struct mr_ring *r = st;

	mr_reap(r, false);
	io_uring_queue_exit(&r->tx);
}

static void mr_tx_fini_port(void *st)
{
	struct mr_ring *r = st;

	while (rp_msg_port_in_flight(&r->port)) {
		io_uring_submit_and_wait(&r->tx, 1);
		mr_reap(r, true);
	}
	rp_msg_port_fini(&r->port);
	io_uring_queue_exit(&r->tx);
}

static void mr_rx_fini(void *st)
{
	struct mr_ring *r = st;

	io_uring_queue_exit(&r->rx);
}

static const struct rp_wake_ops mr_raw = {
	.name = "msg_ring",
	.how = "msg_ring: io_uring_prep_msg_ring + IOSQE_CQE_SKIP_SUCCESS, one submit per message; "
	       "receiver io_uring_wait_cqe on SINGLE_ISSUER|DEFER_TASKRUN",
	.create = mr_create, .rx_init = mr_rx_init, .tx_init = mr_tx_init_raw,
	.send = mr_send_raw, .recv = mr_recv, .stop_any = mr_stop_any,
	.tx_fini = mr_tx_fini_raw, .rx_fini = mr_rx_fini, .destroy = free,
};

static const struct rp_wake_ops mr_port = {
	.name = "msg_ring_port",
	.how = "msg_ring_port: ringplane's rp_msg_send (outbox entry + typed user_data) + submit; "
	       "sender reaps its own CQEs between sends, untimed",
	.create = mr_create, .rx_init = mr_rx_init, .tx_init = mr_tx_init_port,
	.send = mr_send_port, .recv = mr_recv, .between = mr_between_port,
	.stop_any = mr_stop_any,
	.tx_fini = mr_tx_fini_port, .rx_fini = mr_rx_fini, .destroy = free,
};

static const struct rp_wake_ops *const mr_variants[] = {
	&mr_raw, &mr_port, &rp_wake_eventfd, &rp_wake_pipe, &rp_wake_futex,
};
#define MR_N_VARIANTS (sizeof(mr_variants) / sizeof(mr_variants[0]))

static const unsigned mr_delays_us[] = { 10, 20 };
#define MR_N_DELAYS (sizeof(mr_delays_us) / sizeof(mr_delays_us[0]))

/* ---- one repetition ----------------------------------------------------- */

/* Latency samples in ns, capacity fixed before the threads start. */
struct mr_samples {
	double *v;
	size_t n, cap;
	unsigned long long total;	/* also those that did not fit */
};

struct mr_case {
	struct rp_bench_ctx *ctx;
	const struct rp_wake_ops *ops;
	unsigned delay_us;
	double seconds;
	unsigned cpu_tx, cpu_rx;
	bool cdf_added;		/* raw samples of the first repetition go to the CDF */
};

struct mr_run {
	const struct mr_case *c;
	void *st;
	unsigned long long base;	/* stamps are ns since base, + 1 (never 0) */
	_Atomic int rx_state;		/* 0 starting, 1 ready, <0 -errno */
	int tx_err, rx_err;
	unsigned long long sent;
	struct mr_samples send_ns, deliver_ns;
};

static void mr_sample(struct mr_samples *s, double v)
{
	if (s->n < s->cap)
		s->v[s->n++] = v;
	s->total++;
}

static int mr_samples_alloc(struct mr_samples *s, size_t cap)
{
	*s = (struct mr_samples){ .v = malloc(cap * sizeof(double)), .cap = cap };
	return s->v ? 0 : -ENOMEM;
}

static uint64_t mr_stamp(const struct mr_run *run)
{
	return rp_bench_now_ns() - run->base + 1;
}

static void *mr_receiver(void *arg)
{
	struct mr_run *run = arg;
	const struct rp_wake_ops *ops = run->c->ops;
	uint64_t stamps[MR_RECV_BATCH];
	int ret = rp_bench_pin_self(run->c->cpu_rx);

	if (ret == 0 && ops->rx_init)
		ret = ops->rx_init(run->st);
	atomic_store(&run->rx_state, ret < 0 ? ret : 1);
	if (ret < 0)
		return NULL;
	for (;;) {
		int n = ops->recv(run->st, stamps, MR_RECV_BATCH);

		if (n < 0) {
			run->rx_err = n;
			break;
		}
		uint64_t now = mr_stamp(run);
		bool stop = false;

		for (int i = 0; i < n; i++) {
			if (stamps[i] == RP_WAKE_STOP)
				stop = true;
			else
				mr_sample(&run->deliver_ns, (double)(now - stamps[i]));
		}
		if (stop)
			break;
	}
	if (ops->rx_fini)
		ops->rx_fini(run->st);
	return NULL;
}

/* Paced sends: the next send starts `delay` after the previous one started
 * (busy-waiting: a sleep's wakeup slack would be larger than the delay). */
/* End the receiver from a thread that is not (or failed to become) the sender. */
static void mr_stop_receiver(struct mr_run *run)
{
	const struct rp_wake_ops *ops = run->c->ops;

	if (atomic_load(&run->rx_state) <= 0)
		return;		/* never started, or already failed */
	if (ops->stop_any)
		ops->stop_any(run->st);
	else
		ops->send(run->st, RP_WAKE_STOP);
}

static void *mr_sender(void *arg)
{
	struct mr_run *run = arg;
	const struct rp_wake_ops *ops = run->c->ops;
	const unsigned long long delay = run->c->delay_us * 1000ULL;
	unsigned long long end, next;
	int ret = rp_bench_pin_self(run->c->cpu_tx);

	while (ret == 0 && atomic_load(&run->rx_state) == 0)
		sched_yield();
	if (ret == 0 && atomic_load(&run->rx_state) < 0)
		ret = atomic_load(&run->rx_state);
	if (ret == 0 && ops->tx_init)
		ret = ops->tx_init(run->st);
	if (ret < 0) {
		run->tx_err = ret;
		mr_stop_receiver(run);
		return NULL;
	}
	next = rp_bench_now_ns();
	end = next + (unsigned long long)(run->c->seconds * 1e9);
	while (next < end) {
		while (rp_bench_now_ns() < next)
			;
		unsigned long long t0 = rp_bench_now_ns();

		ret = ops->send(run->st, t0 - run->base + 1);
		mr_sample(&run->send_ns, (double)(rp_bench_now_ns() - t0));
		if (ret < 0) {
			run->tx_err = ret;
			break;
		}
		run->sent++;
		if (ops->between)
			ops->between(run->st);	/* outside the timed section */
		next = t0 + delay;
	}
	/* the stop marker goes even after an error, so the receiver ends */
	ret = ops->send(run->st, RP_WAKE_STOP);
	if (ret < 0 && !run->tx_err)
		run->tx_err = ret;
	if (ops->tx_fini)
		ops->tx_fini(run->st);
	return NULL;
}

static void mr_metrics(struct mr_run *run, struct rp_bench_sample *s)
{
	const struct mr_case *c = run->c;
	double target = c->seconds * 1e6 / c->delay_us;
	double delivered = (double)run->deliver_ns.total;

	rp_bench_metric(s, "send_p50", "ns", rp_bench_percentile(run->send_ns.v, run->send_ns.n, 50));
	rp_bench_metric(s, "send_p99", "ns", rp_bench_percentile(run->send_ns.v, run->send_ns.n, 99));
	rp_bench_metric(s, "deliver_p50", "ns",
			rp_bench_percentile(run->deliver_ns.v, run->deliver_ns.n, 50));
	rp_bench_metric(s, "deliver_p99", "ns",
			rp_bench_percentile(run->deliver_ns.v, run->deliver_ns.n, 99));
	rp_bench_metric(s, "deliver_p999", "ns",
			rp_bench_percentile(run->deliver_ns.v, run->deliver_ns.n, 99.9));
	rp_bench_metric(s, "sent", "msgs", (double)run->sent);
	rp_bench_metric(s, "delivered", "msgs", delivered);
	rp_bench_metric(s, "target", "msgs", target);
	rp_bench_metric(s, "delivered_pct", "%", 100.0 * delivered / target);
	rp_bench_metric(s, "rate", "msg/s", delivered / c->seconds);
}

static void mr_cdf(struct mr_case *c, struct mr_run *run)
{
	char id[32], series[48];

	if (c->cdf_added)
		return;
	c->cdf_added = true;
	snprintf(series, sizeof(series), "%s", c->ops->name);
	snprintf(id, sizeof(id), "deliver-%uus", c->delay_us);
	rp_bench_cdf_add(c->ctx, id, series, run->deliver_ns.v, run->deliver_ns.n);
	snprintf(id, sizeof(id), "send-%uus", c->delay_us);
	rp_bench_cdf_add(c->ctx, id, series, run->send_ns.v, run->send_ns.n);
}

static int mr_rep(void *arg, struct rp_bench_sample *s)
{
	struct mr_case *c = arg;
	size_t cap = (size_t)(c->seconds * 1e6 / c->delay_us) + 1024;
	struct mr_run run = { .c = c };
	pthread_t rx, tx;
	int ret = -ENOMEM;

	run.st = c->ops->create();
	if (!run.st || mr_samples_alloc(&run.send_ns, cap) || mr_samples_alloc(&run.deliver_ns, cap))
		goto out;
	run.base = rp_bench_now_ns();
	ret = -pthread_create(&rx, NULL, mr_receiver, &run);
	if (ret)
		goto out;
	ret = -pthread_create(&tx, NULL, mr_sender, &run);
	if (ret) {
		/* no sender: end the receiver with a stop of our own */
		while (atomic_load(&run.rx_state) == 0)
			sched_yield();
		mr_stop_receiver(&run);
		pthread_join(rx, NULL);
		goto out;
	}
	pthread_join(tx, NULL);
	pthread_join(rx, NULL);
	ret = run.tx_err ? run.tx_err : run.rx_err;
	if (ret == 0 && atomic_load(&run.rx_state) < 0)
		ret = atomic_load(&run.rx_state);
	if (ret == 0) {
		mr_cdf(c, &run);
		mr_metrics(&run, s);
	}
out:
	if (ret)
		fprintf(stderr, "bench msg-ring: %s at %u us: %s\n", c->ops->name,
			c->delay_us, strerror(-ret));
	if (run.st)
		c->ops->destroy(run.st);
	free(run.send_ns.v);
	free(run.deliver_ns.v);
	return ret ? -1 : 0;
}

/* ---- the run ------------------------------------------------------------ */

static double mr_median(struct rp_bench_ctx *ctx, const char *variant, unsigned delay_us,
			const char *metric)
{
	struct rp_bench_kv kv = RP_KV_NUM("delay_us", delay_us);
	double v = -1;

	if (!rp_bench_median(ctx, variant, &kv, 1, metric, &v))
		return -1;
	return v;
}

/* The goals from the issue, reported (never asserted) per delay. */
static void mr_goals(struct rp_bench_ctx *ctx, unsigned delay_us)
{
	double ring = mr_median(ctx, mr_raw.name, delay_us, "deliver_p50");
	double send = mr_median(ctx, mr_raw.name, delay_us, "send_p50");
	double pct = mr_median(ctx, mr_raw.name, delay_us, "delivered_pct");
	double best = -1;
	const char *best_name = "none";

	if (ring < 0)
		return;
	for (unsigned i = 0; i < MR_N_VARIANTS; i++) {
		const char *name = mr_variants[i]->name;
		double p50 = mr_median(ctx, name, delay_us, "deliver_p50");

		if (mr_variants[i] == &mr_raw || mr_variants[i] == &mr_port || p50 < 0)
			continue;
		if (best < 0 || p50 < best) {
			best = p50;
			best_name = name;
		}
	}
	rp_bench_note(ctx, "%u us: goal msg_ring delivery p50 below every baseline: %s "
		      "(msg_ring %.0f ns, best baseline %s %.0f ns)", delay_us,
		      best < 0 ? "no baseline ran" : ring < best ? "met" : "NOT met",
		      ring, best_name, best);
	rp_bench_note(ctx, "%u us: goal msg_ring sender cost p50 < 500 ns: %s (%.0f ns)",
		      delay_us, send < 500 ? "met" : "NOT met", send);
	rp_bench_note(ctx, "%u us: goal delivered within 5%% of target: %s (%.1f%%)",
		      delay_us, pct >= 95 ? "met" : "NOT met", pct);
}

static int mr_run(struct rp_bench_ctx *ctx)
{
	double seconds = rp_bench_quick(ctx) ? MR_QUICK_SECONDS : MR_SECONDS;
	unsigned ncpu = rp_bench_ncpus(ctx);
	unsigned cpu_tx = rp_bench_cpu(ctx, 0);
	unsigned cpu_rx = rp_bench_cpu(ctx, ncpu > 1 ? 1 : 0);
	int failed = 0;

	rp_bench_param(ctx, RP_KV_NUM("seconds", seconds));
	rp_bench_param(ctx, RP_KV_NUM("cpu_sender", cpu_tx));
	rp_bench_param(ctx, RP_KV_NUM("cpu_receiver", cpu_rx));
	if (ncpu < 2)
		rp_bench_note(ctx, "only one CPU allowed: sender and receiver share CPU %u, "
			      "latencies include scheduling", cpu_tx);
	for (unsigned i = 0; i < MR_N_VARIANTS; i++)
		rp_bench_note(ctx, "%s", mr_variants[i]->how);
	rp_bench_note(ctx, "seed 000 (patched kernel, 10 us delay, 3 s): sender p50 290 ns "
		      "p99 1032 ns; receiver p50 764 ns p99 2448 ns p99.9 3184 ns; "
		      "247931 of 299926 expected messages");

	for (unsigned d = 0; d < MR_N_DELAYS; d++) {
		for (unsigned i = 0; i < MR_N_VARIANTS; i++) {
			struct mr_case c = {
				.ctx = ctx, .ops = mr_variants[i], .delay_us = mr_delays_us[d],
				.seconds = seconds, .cpu_tx = cpu_tx, .cpu_rx = cpu_rx,
			};
			struct rp_bench_kv kv = RP_KV_NUM("delay_us", c.delay_us);

			if (rp_bench_case(ctx, c.ops->name, &kv, 1, mr_rep, &c) < 0)
				failed++;
		}
		mr_goals(ctx, mr_delays_us[d]);
	}
	for (unsigned d = 0; d < MR_N_DELAYS; d++) {
		char id[32], title[96];

		snprintf(id, sizeof(id), "deliver-%uus", mr_delays_us[d]);
		snprintf(title, sizeof(title), "Delivery latency, %u us between sends", mr_delays_us[d]);
		rp_bench_plot_cdf(ctx, id, title, "ns", true);
		snprintf(id, sizeof(id), "send-%uus", mr_delays_us[d]);
		snprintf(title, sizeof(title), "Sender cost per message, %u us between sends",
			 mr_delays_us[d]);
		rp_bench_plot_cdf(ctx, id, title, "ns", true);
	}
	if (failed == (int)(MR_N_VARIANTS * MR_N_DELAYS))
		return rp_bench_fail(ctx, "every case failed (see the messages above)");
	return 0;
}

const struct rp_bench_def rp_bench_msg_ring = {
	.name = "msg-ring",
	.summary = "MSG_RING between two pinned threads vs eventfd+queue, pipe, futex+queue",
	.run = mr_run,
};
