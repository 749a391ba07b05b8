/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench msg-ring`: how fast one thread can hand a message to
 * another thread that sleeps until it arrives. Reproduces the measurement in
 * seed 000 (the MSG_RING rework, kernel 6.11): a sender pinned on one CPU
 * posts timestamped messages to a receiver pinned on the other, with a fixed
 * delay between sends (10 us ~ 100K msg/s, 20 us ~ 50K msg/s).
 *
 * Per variant, delay and idle condition it reports the sender's cost
 * (prepare + submit one message), the receiver's delivery latency (stamp
 * taken just before the send -> message in the receiver's hands), messages
 * delivered against the target (duration / delay), and how often the
 * receiver's CPU halted and had to be woken by an IPI (msg_ring_env.c).
 * Variants, interleaved per repetition:
 *   msg_ring, msg_ring_*  MSG_RING transports (msg_ring_ops.c); msg_ring is
 *                         the reference the goals are judged on
 *   eventfd_spsc, pipe, futex_spsc   bench/baselines/wake_*.c
 * Conditions: CPUs may idle (halt) as configured, and halting forbidden by
 * holding /dev/cpu_dma_latency at 0 (skipped with a note when not allowed).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/msg_ring.h"

#define MR_RECV_BATCH    64
#define MR_MAX_VARIANTS  16
#define MR_MAX_ROUNDS    64	/* repetitions remembered for paired comparisons */

/* Every transport's name (rp_mr_variants, then the baselines); a name
 * missing here is caught by mr_setup_variants. */
static const char *const variant_words[] = {
	"msg_ring", "msg_ring_tx0", "msg_ring_txdt", "msg_ring_regfd", "msg_ring_sync",
	"msg_ring_plain_rx", "msg_ring_port", "eventfd_spsc", "pipe", "futex_spsc", NULL,
};
static const char *const idle_words[] = { "allowed", "dma_lat_0", NULL };

static const struct rp_bench_knob knobs[] = {
	{ "variants", "the transports measured", "msg_ring,msg_ring_tx0,msg_ring_txdt,"
	  "msg_ring_regfd,msg_ring_sync,msg_ring_plain_rx,msg_ring_port,eventfd_spsc,pipe,futex_spsc",
	  NULL, 0, 0, variant_words, true },
	{ "delays", "microseconds between sends", "10,20", NULL, 1, 1000000, NULL, true },
	{ "cpu_idle", "idle conditions: CPUs may idle, or /dev/cpu_dma_latency held at 0",
	  "allowed,dma_lat_0", NULL, 0, 0, idle_words, true },
	{ "seconds", "measuring time per repetition (s)", "3", "0.3", 0.05, 600, NULL, false, true },
};

/* The idle condition: a case parameter, and a suffix for the plot ids. */
struct mr_cond {
	const char *cpu_idle;	/* case parameter value */
	const char *suffix;	/* plot id suffix */
	const char *title;	/* plot title suffix */
	bool no_idle;		/* hold /dev/cpu_dma_latency at 0 */
};

static const struct mr_cond mr_conds[] = {
	{ "allowed", "", "", false },
	{ "dma_lat_0", "-no-idle", ", CPUs kept out of idle", true },
};
#define MR_N_CONDS (sizeof(mr_conds) / sizeof(mr_conds[0]))

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
	const struct mr_cond *cond;
	unsigned delay_us;
	double seconds;
	unsigned cpu_tx, cpu_rx;
	bool cdf_added;		/* raw samples of the first repetition go to the CDF */
	/* deliver p50 per repetition: repetition k of every case ran in round
	 * k, so variants compare pairwise within a round (same machine state) */
	double round_deliver_p50[MR_MAX_ROUNDS];
	unsigned rounds;
};

struct mr_run {
	const struct mr_case *c;
	void *st;
	unsigned long long base;	/* stamps are ns since base, + 1 (never 0) */
	_Atomic int rx_state;		/* 0 starting, 1 ready, <0 -errno */
	int tx_err, rx_err;
	unsigned long long sent;
	struct mr_samples send_ns, deliver_ns;
	struct rp_mr_cpu_count rx_cpu0, rx_cpu1;	/* receiver CPU, before/after */
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

/* How the receiver's CPU was woken, per message sent (missing counters: no
 * metric). A halted vCPU needs an IPI, which the sender pays for. */
static void mr_wake_metrics(const struct mr_run *run, struct rp_bench_sample *s)
{
	const struct rp_mr_cpu_count *a = &run->rx_cpu0, *b = &run->rx_cpu1;
	double sent = run->sent ? (double)run->sent : 1;

	if (a->ipis >= 0 && b->ipis >= a->ipis)
		rp_bench_metric(s, "rx_ipi_per_msg", "IPI/msg", (double)(b->ipis - a->ipis) / sent);
	if (a->halts >= 0 && b->halts >= a->halts)
		rp_bench_metric(s, "rx_halt_per_msg", "halt/msg",
				(double)(b->halts - a->halts) / sent);
}

/* The metrics of one repetition; returns its deliver p50. */
static double mr_metrics(struct mr_run *run, struct rp_bench_sample *s)
{
	const struct mr_case *c = run->c;
	double deliver_p50 = rp_bench_percentile(run->deliver_ns.v, run->deliver_ns.n, 50);
	double target = c->seconds * 1e6 / c->delay_us;
	double delivered = (double)run->deliver_ns.total;

	rp_bench_metric(s, "send_p50", "ns", rp_bench_percentile(run->send_ns.v, run->send_ns.n, 50));
	rp_bench_metric(s, "send_p99", "ns", rp_bench_percentile(run->send_ns.v, run->send_ns.n, 99));
	rp_bench_metric(s, "deliver_p50", "ns", deliver_p50);
	rp_bench_metric(s, "deliver_p99", "ns",
			rp_bench_percentile(run->deliver_ns.v, run->deliver_ns.n, 99));
	rp_bench_metric(s, "deliver_p999", "ns",
			rp_bench_percentile(run->deliver_ns.v, run->deliver_ns.n, 99.9));
	rp_bench_metric(s, "sent", "msgs", (double)run->sent);
	rp_bench_metric(s, "delivered", "msgs", delivered);
	rp_bench_metric(s, "target", "msgs", target);
	rp_bench_metric(s, "delivered_pct", "%", 100.0 * delivered / target);
	rp_bench_metric(s, "rate", "msg/s", delivered / c->seconds);
	mr_wake_metrics(run, s);
	return deliver_p50;
}

static void mr_cdf(struct mr_case *c, struct mr_run *run)
{
	char id[32], series[48];

	if (c->cdf_added)
		return;
	c->cdf_added = true;
	snprintf(series, sizeof(series), "%s", c->ops->name);
	snprintf(id, sizeof(id), "deliver-%uus%s", c->delay_us, c->cond->suffix);
	rp_bench_cdf_add(c->ctx, id, series, run->deliver_ns.v, run->deliver_ns.n);
	snprintf(id, sizeof(id), "send-%uus%s", c->delay_us, c->cond->suffix);
	rp_bench_cdf_add(c->ctx, id, series, run->send_ns.v, run->send_ns.n);
}

static int mr_rep(void *arg, struct rp_bench_sample *s)
{
	struct mr_case *c = arg;
	size_t cap = (size_t)(c->seconds * 1e6 / c->delay_us) + 1024;
	struct mr_run run = { .c = c };
	pthread_t rx, tx;
	int ret = -ENOMEM;

	run.st = c->ops->create(c->ops->arg);
	if (!run.st || mr_samples_alloc(&run.send_ns, cap) || mr_samples_alloc(&run.deliver_ns, cap))
		goto out;
	rp_mr_cpu_count(c->cpu_rx, &run.rx_cpu0);
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
	rp_mr_cpu_count(c->cpu_rx, &run.rx_cpu1);
	ret = run.tx_err ? run.tx_err : run.rx_err;
	if (ret == 0 && atomic_load(&run.rx_state) < 0)
		ret = atomic_load(&run.rx_state);
	if (ret == 0) {
		mr_cdf(c, &run);
		double p50 = mr_metrics(&run, s);

		if (c->rounds < MR_MAX_ROUNDS)
			c->round_deliver_p50[c->rounds++] = p50;
	}
out:
	if (ret)
		fprintf(stderr, "bench msg-ring: %s at %u us (cpu idle %s): %s\n", c->ops->name,
			c->delay_us, c->cond->cpu_idle, strerror(-ret));
	if (run.st)
		c->ops->destroy(run.st);
	free(run.send_ns.v);
	free(run.deliver_ns.v);
	return ret ? -1 : 0;
}

/* ---- the run ------------------------------------------------------------ */

struct mr_setup {
	struct rp_bench_ctx *ctx;
	const struct rp_wake_ops *v[MR_MAX_VARIANTS];	/* MSG_RING first, then baselines */
	unsigned n, n_ring;				/* all, MSG_RING ones */
	double seconds;
	unsigned cpu_tx, cpu_rx;
	unsigned delays[RP_BENCH_KNOB_MAX_VALUES], n_delays;	/* us between sends */
};

static double mr_median(struct rp_bench_ctx *ctx, const char *variant, unsigned delay_us,
			const struct mr_cond *cond, const char *metric)
{
	struct rp_bench_kv kv[] = {
		RP_KV_NUM("delay_us", delay_us), RP_KV_STR("cpu_idle", cond->cpu_idle),
	};
	double v = -1;

	if (!rp_bench_median(ctx, variant, kv, 2, metric, &v))
		return -1;
	return v;
}

/* The lowest median of a metric among variants [from, to); -1 if none ran. */
static double mr_lowest(const struct mr_setup *su, unsigned from, unsigned to, unsigned delay_us,
			const struct mr_cond *cond, const char *metric, const char **name)
{
	double best = -1;

	*name = "none";
	for (unsigned i = from; i < to; i++) {
		double v = mr_median(su->ctx, su->v[i]->name, delay_us, cond, metric);

		if (v >= 0 && (best < 0 || v < best)) {
			best = v;
			*name = su->v[i]->name;
		}
	}
	return best;
}

/* The goals from the issue, reported (never asserted) per condition and delay. */
static void mr_goals(const struct mr_setup *su, unsigned delay_us, const struct mr_cond *cond)
{
	struct rp_bench_ctx *ctx = su->ctx;
	const char *raw = rp_mr_raw.name, *base_name, *ring_d, *ring_s;
	double ring = mr_median(ctx, raw, delay_us, cond, "deliver_p50");
	double send = mr_median(ctx, raw, delay_us, cond, "send_p50");
	double pct = mr_median(ctx, raw, delay_us, cond, "delivered_pct");
	double base = mr_lowest(su, su->n_ring, su->n, delay_us, cond, "deliver_p50", &base_name);
	double best_d = mr_lowest(su, 0, su->n_ring, delay_us, cond, "deliver_p50", &ring_d);
	double best_s = mr_lowest(su, 0, su->n_ring, delay_us, cond, "send_p50", &ring_s);

	if (ring < 0)
		return;
	rp_bench_note(ctx, "[cpu idle %s] %u us: goal msg_ring delivery p50 below every baseline: "
		      "%s (msg_ring %.0f ns, best baseline %s %.0f ns; best MSG_RING variant %s "
		      "%.0f ns)", cond->cpu_idle, delay_us,
		      base < 0 ? "no baseline ran" : ring < base ? "met" : "NOT met",
		      ring, base_name, base, ring_d, best_d);
	rp_bench_note(ctx, "[cpu idle %s] %u us: goal msg_ring sender cost p50 < 500 ns: %s "
		      "(%.0f ns; cheapest MSG_RING variant %s %.0f ns)", cond->cpu_idle, delay_us,
		      send < 500 ? "met" : "NOT met", send, ring_s, best_s);
	rp_bench_note(ctx, "[cpu idle %s] %u us: goal delivered within 5%% of target: %s (%.1f%%)",
		      cond->cpu_idle, delay_us, pct >= 95 ? "met" : "NOT met", pct);
}

/* Range of send_p50 over a group of variants. */
struct mr_range {
	unsigned n;
	double lo, hi;
};

static void mr_range_add(struct mr_range *r, double v)
{
	if (r->n == 0 || v < r->lo)
		r->lo = v;
	if (r->n == 0 || v > r->hi)
		r->hi = v;
	r->n++;
}

static void mr_range_text(const struct mr_range *r, char *buf, size_t len)
{
	if (r->n == 0)
		snprintf(buf, len, "no variant");
	else
		snprintf(buf, len, "%u variant(s), %.0f..%.0f ns", r->n, r->lo, r->hi);
}

/*
 * Where the sender's time goes, from this run's own numbers: a sleeping
 * receiver whose CPU halted must be woken by an IPI, and the sender sends
 * it. Splits the variants by whether the receiver's CPU halted for more
 * than half of the messages (then the median send includes an IPI).
 */
static void mr_wake_note(const struct mr_setup *su, unsigned delay_us, const struct mr_cond *cond)
{
	struct mr_range often = { 0 }, rarely = { 0 };
	char a[64], b[64];

	for (unsigned i = 0; i < su->n; i++) {
		double halts = mr_median(su->ctx, su->v[i]->name, delay_us, cond, "rx_halt_per_msg");
		double send = mr_median(su->ctx, su->v[i]->name, delay_us, cond, "send_p50");

		if (halts >= 0 && send >= 0)
			mr_range_add(halts > 0.5 ? &often : &rarely, send);
	}
	if (often.n + rarely.n == 0)
		return;
	mr_range_text(&often, a, sizeof(a));
	mr_range_text(&rarely, b, sizeof(b));
	rp_bench_note(su->ctx, "[cpu idle %s] %u us: send p50 where the receiver's CPU halted for "
		      "more than half of the messages: %s; for at most half: %s",
		      cond->cpu_idle, delay_us, a, b);
}

/*
 * The delivery goal compared pairwise: in each round, msg_ring's deliver p50
 * over the best baseline's in that same round. On this noisy VM the whole
 * machine shifts between rounds; within a round every variant saw it alike.
 */
static void mr_paired_note(const struct mr_setup *su, const struct mr_case *c,
			   unsigned delay_us, const struct mr_cond *cond)
{
	double ratio[MR_MAX_ROUNDS];
	unsigned rounds = c[0].rounds, below = 0;

	for (unsigned i = su->n_ring; i < su->n; i++)
		rounds = c[i].rounds < rounds ? c[i].rounds : rounds;
	if (rounds == 0 || su->n_ring == 0 || su->n_ring == su->n)
		return;
	for (unsigned k = 0; k < rounds; k++) {
		double best = c[su->n_ring].round_deliver_p50[k];

		for (unsigned i = su->n_ring + 1; i < su->n; i++)
			best = c[i].round_deliver_p50[k] < best ? c[i].round_deliver_p50[k] : best;
		ratio[k] = c[0].round_deliver_p50[k] / best;
		below += ratio[k] < 1;
	}
	rp_bench_note(su->ctx, "[cpu idle %s] %u us: paired by round, %s deliver p50 / the best "
		      "baseline's in the same round: median %.2f (%.2f..%.2f), below 1 in %u of %u "
		      "rounds", cond->cpu_idle, delay_us, c[0].ops->name,
		      rp_bench_percentile(ratio, rounds, 50), rp_bench_percentile(ratio, rounds, 0),
		      rp_bench_percentile(ratio, rounds, 100), below, rounds);
}

/* Every variant at one delay and condition, repetitions interleaved. */
static int mr_cases(struct mr_setup *su, unsigned delay_us, const struct mr_cond *cond)
{
	struct rp_bench_kv kv[] = {
		RP_KV_NUM("delay_us", delay_us), RP_KV_STR("cpu_idle", cond->cpu_idle),
	};
	struct mr_case c[MR_MAX_VARIANTS];
	struct rp_bench_case_def defs[MR_MAX_VARIANTS];
	int ret;

	for (unsigned i = 0; i < su->n; i++) {
		c[i] = (struct mr_case){
			.ctx = su->ctx, .ops = su->v[i], .cond = cond, .delay_us = delay_us,
			.seconds = su->seconds, .cpu_tx = su->cpu_tx, .cpu_rx = su->cpu_rx,
		};
		defs[i] = (struct rp_bench_case_def){
			.variant = su->v[i]->name, .params = kv, .n_params = 2,
			.fn = mr_rep, .arg = &c[i],
		};
	}
	ret = rp_bench_cases_interleaved(su->ctx, defs, su->n);
	mr_paired_note(su, c, delay_us, cond);
	return ret;
}

/* One condition: hold it, run both delays, release. 0 ran, 1 skipped (cannot
 * hold it), -1 every case failed. */
static int mr_condition(struct mr_setup *su, const struct mr_cond *cond)
{
	int fd = -1, failed = 0;

	if (cond->no_idle) {
		fd = rp_mr_no_idle_hold();
		if (fd < 0) {
			rp_bench_note(su->ctx, "[cpu idle %s] condition skipped: cannot hold "
				      "/dev/cpu_dma_latency at 0: %s", cond->cpu_idle, strerror(-fd));
			return 1;
		}
	}
	for (unsigned d = 0; d < su->n_delays; d++) {
		if (mr_cases(su, su->delays[d], cond) < 0)
			failed++;
		mr_goals(su, su->delays[d], cond);
		mr_wake_note(su, su->delays[d], cond);
	}
	rp_mr_no_idle_release(fd);
	return failed == (int)su->n_delays ? -1 : 0;
}

static void mr_plots(const struct mr_setup *su, const struct mr_cond *cond)
{
	struct rp_bench_ctx *ctx = su->ctx;

	for (unsigned d = 0; d < su->n_delays; d++) {
		char id[48], title[128];

		snprintf(id, sizeof(id), "deliver-%uus%s", su->delays[d], cond->suffix);
		snprintf(title, sizeof(title), "Delivery latency, %u us between sends%s",
			 su->delays[d], cond->title);
		rp_bench_plot_cdf(ctx, id, title, "ns", true);
		snprintf(id, sizeof(id), "send-%uus%s", su->delays[d], cond->suffix);
		snprintf(title, sizeof(title), "Sender cost per message, %u us between sends%s",
			 su->delays[d], cond->title);
		rp_bench_plot_cdf(ctx, id, title, "ns", true);
	}
}

/* Add ops when the variants knob has it (a transport the knob's words lack
 * is this file's bug, caught in every run). */
static void mr_add_variant(struct mr_setup *su, const struct rp_wake_ops *ops)
{
	bool known = false;

	for (const char *const *w = variant_words; *w; w++)
		known |= !strcmp(*w, ops->name);
	if (!known) {
		fprintf(stderr, "bench msg-ring: transport %s is not in the variants knob\n", ops->name);
		abort();
	}
	if (rp_bench_knob_has(su->ctx, "variants", ops->name) && su->n < MR_MAX_VARIANTS)
		su->v[su->n++] = ops;
}

static void mr_setup_variants(struct mr_setup *su)
{
	static const struct rp_wake_ops *const baselines[] = {
		&rp_wake_eventfd, &rp_wake_pipe, &rp_wake_futex,
	};

	su->n = 0;
	for (unsigned i = 0; i < rp_mr_n_variants; i++)
		mr_add_variant(su, rp_mr_variants[i]);
	su->n_ring = su->n;
	for (unsigned i = 0; i < 3; i++)
		mr_add_variant(su, baselines[i]);
}

static void mr_notes(const struct mr_setup *su)
{
	char fixed[256];

	if (su->cpu_tx == su->cpu_rx)
		rp_bench_note(su->ctx, "only one CPU allowed: sender and receiver share CPU %u, "
			      "latencies include scheduling", su->cpu_tx);
	for (unsigned i = 0; i < su->n; i++)
		rp_bench_note(su->ctx, "%s", su->v[i]->how);
	rp_mr_fixed_target_probe(fixed, sizeof(fixed));
	rp_bench_note(su->ctx, "%s", fixed);
	rp_bench_note(su->ctx, "rx_ipi_per_msg: function-call + reschedule interrupts the "
		      "receiver's CPU took, per message; rx_halt_per_msg: its entries into "
		      "cpuidle states other than POLL, per message");
	rp_bench_note(su->ctx, "seed 000 (patched kernel, 10 us delay, 3 s): sender p50 290 ns "
		      "p99 1032 ns; receiver p50 764 ns p99 2448 ns p99.9 3184 ns; "
		      "247931 of 299926 expected messages");
}

static int mr_run(struct rp_bench_ctx *ctx)
{
	unsigned ncpu = rp_bench_ncpus(ctx);
	struct mr_setup su = {
		.ctx = ctx,
		.seconds = rp_bench_knob_num(ctx, "seconds", 0),
		.cpu_tx = rp_bench_cpu(ctx, 0),
		.cpu_rx = rp_bench_cpu(ctx, ncpu > 1 ? 1 : 0),
	};
	int failed = 0, ran[MR_N_CONDS];
	unsigned n_conds = 0;

	su.n_delays = rp_bench_knob_uints(ctx, "delays", su.delays);
	mr_setup_variants(&su);
	rp_bench_param(ctx, RP_KV_NUM("cpu_sender", su.cpu_tx));
	rp_bench_param(ctx, RP_KV_NUM("cpu_receiver", su.cpu_rx));
	for (unsigned k = 0; k < MR_N_CONDS; k++)
		n_conds += rp_bench_knob_has(ctx, "cpu_idle", mr_conds[k].cpu_idle);
	rp_bench_expect_cases(ctx, su.n * su.n_delays * n_conds);
	mr_notes(&su);
	for (unsigned k = 0; k < MR_N_CONDS; k++) {
		ran[k] = rp_bench_knob_has(ctx, "cpu_idle", mr_conds[k].cpu_idle)
			 ? mr_condition(&su, &mr_conds[k]) : 1;
		if (ran[k] < 0)
			failed++;
	}
	for (unsigned k = 0; k < MR_N_CONDS; k++)
		if (ran[k] == 0)
			mr_plots(&su, &mr_conds[k]);
	if (failed == (int)n_conds)
		return rp_bench_fail(ctx, "every case failed (see the messages above)");
	return 0;
}

const struct rp_bench_def rp_bench_msg_ring = {
	.name = "msg-ring",
	.summary = "MSG_RING variants between two pinned threads vs eventfd+queue, pipe, "
		   "futex+queue; CPU idle allowed and forbidden",
	.run = mr_run,
	.knobs = knobs,
	.n_knobs = sizeof(knobs) / sizeof(knobs[0]),
};
