/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench echo`: UDP echo servers side by side, same pinning:
 * every server (a forked child, echo_servers.c) on the first CPU, the load
 * generator (this process, echo_load.c) on the second, over 127.0.0.1.
 * ringplane with and without GSO replies, epoll with and without the same
 * GSO trains and UDP GRO, and `sockperf server`, all running at once on their own
 * ports (an idle server sleeps), every case's repetitions interleaved
 * across them (rp_bench_cases_interleaved).
 *
 * The cases, each from one client socket and from many (`peers`):
 *   throughput  closed loop, `window` requests in flight: packets/s, server
 *               CPU per packet, round trips under that load;
 *   open        open loop at 25/50/75% of the slowest server's capacity,
 *               measured by the throughput cases of the same run: round
 *               trips from the schedule (no coordinated omission), loss;
 *   pingpong    one request in flight.
 * Then ratio rows (ringplane/epoll-gso, ...) and the goals as notes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/appliance_child.h"
#include "bench/baselines/epoll_echo.h"
#include "bench/bench.h"
#include "bench/echo_int.h"
#include "bench/echo_load.h"

#define LOSS_TIMEOUT_MS 20
#define MAX_LIST RP_BENCH_KNOB_MAX_VALUES

static const char *const server_words[] = {
	"ringplane", "ringplane-nogso", "epoll", "epoll-gso", "sockperf", NULL,
};

static const struct rp_bench_knob knobs[] = {
	{ "variants", "the servers measured (epoll: recvmmsg/sendmmsg, no GSO/GRO; epoll-gso: the same with UDP GSO replies and UDP GRO, as ringplane)", "ringplane,ringplane-nogso,epoll,epoll-gso,sockperf",
	  NULL, 0, 0, server_words, true },
	{ "sizes", "closed-loop payload sizes (bytes)", "64,1024,8192", "64,1024",
	  ECHO_LOAD_MIN_SIZE, 65000, NULL, true },
	{ "peers", "client sockets (source ports) the load comes from", "1,64", "1,64",
	  1, ECHO_LOAD_MAX_PEERS, NULL, true },
	{ "windows", "closed loop: requests in flight, over all peers (at least one each)",
	  "256", "64", 1, 65536, NULL, true },
	{ "rates", "open loop: % of the slowest server's capacity", "25,50,75", "50",
	  1, 100, NULL, true },
	{ "open_size", "open-loop (and capacity) payload size (bytes)", "64", NULL,
	  ECHO_LOAD_MIN_SIZE, 65000, NULL, false },
	{ "pingpong_sizes", "ping-pong payload sizes (bytes)", "64,8192", "64",
	  ECHO_LOAD_MIN_SIZE, 65000, NULL, true },
	{ "batch", "epoll servers' recvmmsg batch and buffers; ringplane's buffers.count",
	  "256", NULL, 16, 4096, NULL, false },
	{ "seconds", "measuring time per repetition (s)", "2", "0.3", 0.1, 60, NULL, false, true },
};

/* One run of the benchmark: the servers, the CPUs, the case grid. */
struct echo_bench {
	struct rp_bench_ctx *ctx;
	struct echo_running srv[ECHO_MAX_SERVERS];
	unsigned n_srv;
	unsigned server_cpu, load_cpu, batch, open_size;
	double seconds;
	unsigned sizes[MAX_LIST + 1], n_sizes;
	unsigned peers[MAX_LIST], n_peers;
	unsigned windows[MAX_LIST], n_windows;
	unsigned rates[MAX_LIST], n_rates;
	unsigned pp_sizes[MAX_LIST], n_pp_sizes;
};

/* What one case's repetitions need. */
struct echo_case {
	struct echo_bench *b;
	struct echo_running *srv;
	struct echo_load_cfg cfg;
};

/* ---- knobs -------------------------------------------------------------- */

static void read_knobs(struct echo_bench *b)
{
	struct rp_bench_ctx *ctx = b->ctx;
	bool has_open = false;

	b->n_sizes = rp_bench_knob_uints(ctx, "sizes", b->sizes);
	b->n_peers = rp_bench_knob_uints(ctx, "peers", b->peers);
	b->n_windows = rp_bench_knob_uints(ctx, "windows", b->windows);
	b->n_rates = rp_bench_knob_uints(ctx, "rates", b->rates);
	b->n_pp_sizes = rp_bench_knob_uints(ctx, "pingpong_sizes", b->pp_sizes);
	b->open_size = (unsigned)rp_bench_knob_num(ctx, "open_size", 0);
	b->batch = (unsigned)rp_bench_knob_num(ctx, "batch", 0);
	b->seconds = rp_bench_knob_num(ctx, "seconds", 0);
	/* the capacity the open loop is paced by comes from a throughput case */
	for (unsigned i = 0; i < b->n_sizes; i++)
		has_open |= b->sizes[i] == b->open_size;
	if (!has_open && b->n_rates)
		b->sizes[b->n_sizes++] = b->open_size;
}

/* ---- metrics ------------------------------------------------------------ */


/* The server's CPU per packet and packets per CPU-second over a window. */
static void cpu_metrics(struct rp_bench_sample *s, double cpu_ns, uint64_t replies)
{
	if (!replies || cpu_ns <= 0)
		return;
	rp_bench_metric(s, "pkts_per_cpu_s", "pkt/CPU-s", (double)replies / (cpu_ns / 1e9));
	rp_bench_metric(s, "server_cpu_per_pkt", "ns", cpu_ns / (double)replies);
}

static uint64_t shared_u64(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

/* An epoll server's coalesced receives (UDP_GRO) during the load: the proof
 * that epoll-gso got what ringplane gets (and plain epoll did not). */
static void gro_metrics(struct rp_bench_sample *s, const struct rp_epoll_echo_stats *st,
			uint64_t recvs0, uint64_t dgrams0)
{
	uint64_t recvs = shared_u64(&st->gro_recvs) - recvs0;

	rp_bench_metric(s, "server_gro_recvs", "count", (double)recvs);
	if (recvs)
		rp_bench_metric(s, "server_gro_dgrams_per_recv", "x",
				(double)(shared_u64(&st->gro_dgrams) - dgrams0) / (double)recvs);
}

/* Run one load against the case's server, with the server's CPU time it
 * cost in *cpu_ns (and an epoll server's GRO counts in s); 0, or -1
 * (failed, *t freed) when no reply came. */
static int measure(struct echo_case *c, int (*load)(const struct echo_load_cfg *,
						    struct echo_throughput *),
		   struct echo_throughput *t, double *cpu_ns, struct rp_bench_sample *s)
{
	const struct rp_epoll_echo_stats *st = c->srv->stats;
	uint64_t recvs0 = st ? shared_u64(&st->gro_recvs) : 0;
	uint64_t dgrams0 = st ? shared_u64(&st->gro_dgrams) : 0;
	double cpu0 = rp_bench_process_cpu_ns(c->srv->pid);
	int err = load(&c->cfg, t);

	*cpu_ns = rp_bench_process_cpu_ns(c->srv->pid) - cpu0;
	if (st)
		gro_metrics(s, st, recvs0, dgrams0);
	if (err < 0 || !t->rtt.n) {
		free(t->rtt.rtt_ns);
		free(t->rtt_sent.rtt_ns);
		free(t->send_lag.rtt_ns);
		return rp_bench_fail(c->b->ctx, "%s: no reply (%s)", c->srv->variant,
				     err < 0 ? strerror(-err) : "silent");
	}
	return 0;
}

static int rep_throughput(void *arg, struct rp_bench_sample *s)
{
	struct echo_case *c = arg;
	struct echo_throughput t;
	double cpu_ns;

	if (measure(c, echo_load_throughput, &t, &cpu_ns, s))
		return -1;
	rp_bench_metric(s, "pps", "pkt/s", t.pps);
	cpu_metrics(s, cpu_ns, t.replies);
	rp_bench_pct_metrics(s, "load_", t.rtt.rtt_ns, t.rtt.n);
	rp_bench_metric(s, "load_cpu", "x", t.load_cpu);
	rp_bench_metric(s, "refills", "count", (double)t.refills);
	free(t.rtt.rtt_ns);
	return 0;
}

static int rep_open(void *arg, struct rp_bench_sample *s)
{
	struct echo_case *c = arg;
	struct echo_throughput t;
	double cpu_ns;

	if (measure(c, echo_load_open, &t, &cpu_ns, s))
		return -1;
	rp_bench_pct_metrics(s, "", t.rtt.rtt_ns, t.rtt.n);
	rp_bench_pct_metrics(s, "sent_", t.rtt_sent.rtt_ns, t.rtt_sent.n);
	rp_bench_metric(s, "offered", "req/s", (double)t.sent / t.seconds);
	rp_bench_metric(s, "pps", "pkt/s", t.pps);
	rp_bench_metric(s, "lost", "ratio", t.sent ? (double)(t.sent - t.replies) / (double)t.sent : 0);
	cpu_metrics(s, cpu_ns, t.replies);
	rp_bench_metric(s, "send_lag_max", "ns", t.send_lag_max_ns);
	rp_bench_pct_metrics(s, "send_lag_", t.send_lag.rtt_ns, t.send_lag.n);
	rp_bench_metric(s, "late_ratio", "ratio", t.sent ? (double)t.late / (double)t.sent : 0);
	rp_bench_metric(s, "preempted", "count", (double)t.preempted);
	rp_bench_metric(s, "load_realtime", "bool", t.realtime);
	rp_bench_metric(s, "load_cpu", "x", t.load_cpu);
	free(t.rtt.rtt_ns);
	free(t.rtt_sent.rtt_ns);
	free(t.send_lag.rtt_ns);
	return 0;
}

static int rep_pingpong(void *arg, struct rp_bench_sample *s)
{
	struct echo_case *c = arg;
	struct echo_latency l;
	char series[64];
	int err = echo_load_latency(&c->cfg, &l);

	if (err < 0 || !l.n) {
		free(l.rtt_ns);
		return rp_bench_fail(c->b->ctx, "%s: no reply (%s)", c->srv->variant,
				     err < 0 ? strerror(-err) : "silent");
	}
	/* the CDF keeps the raw samples of the smallest size */
	if (c->cfg.size == c->b->pp_sizes[0]) {
		snprintf(series, sizeof(series), "%s %u B", c->srv->variant, c->cfg.size);
		rp_bench_cdf_add(c->b->ctx, "latency-cdf", series, l.rtt_ns, l.n);
	}
	rp_bench_pct_metrics(s, "", l.rtt_ns, l.n);
	rp_bench_metric(s, "round_trips", "count", (double)l.n);
	free(l.rtt_ns);
	return 0;
}

/* ---- cases -------------------------------------------------------------- */

/* One case (these params, this load) for every server, repetitions interleaved. */
static void side_by_side(struct echo_bench *b, const struct rp_bench_kv *params, unsigned n_params,
			 rp_bench_rep_fn fn, const struct echo_load_cfg *cfg)
{
	struct echo_case cases[ECHO_MAX_SERVERS];
	struct rp_bench_case_def defs[ECHO_MAX_SERVERS];

	for (unsigned i = 0; i < b->n_srv; i++) {
		cases[i] = (struct echo_case){ .b = b, .srv = &b->srv[i], .cfg = *cfg };
		cases[i].cfg.server = (const struct sockaddr *)&b->srv[i].addr;
		cases[i].cfg.server_len = sizeof(b->srv[i].addr);
		defs[i] = (struct rp_bench_case_def){ b->srv[i].variant, params, n_params, fn,
						      &cases[i] };
	}
	rp_bench_cases_interleaved(b->ctx, defs, b->n_srv);
}

static struct echo_load_cfg base_cfg(const struct echo_bench *b, unsigned size, unsigned peers)
{
	return (struct echo_load_cfg){ .size = size, .peers = peers, .seconds = b->seconds,
				       .loss_timeout_ms = LOSS_TIMEOUT_MS, .gso = true };
}

static void run_throughput(struct echo_bench *b)
{
	for (unsigned s = 0; s < b->n_sizes; s++)
		for (unsigned p = 0; p < b->n_peers; p++)
			for (unsigned w = 0; w < b->n_windows; w++) {
				struct rp_bench_kv kv[] = {
					RP_KV_STR("load", "throughput"), RP_KV_NUM("size", b->sizes[s]),
					RP_KV_NUM("peers", b->peers[p]), RP_KV_NUM("window", b->windows[w]),
				};
				struct echo_load_cfg cfg = base_cfg(b, b->sizes[s], b->peers[p]);

				cfg.window = b->windows[w] > b->peers[p] ? b->windows[w] : b->peers[p];
				side_by_side(b, kv, 4, rep_throughput, &cfg);
			}
}

/* The slowest server's packets/s at open_size from `peers` (largest
 * window): what the open loop's rates are a share of. 0: unknown. */
static double capacity(struct echo_bench *b, unsigned peers)
{
	struct rp_bench_kv kv[] = {
		RP_KV_STR("load", "throughput"), RP_KV_NUM("size", b->open_size),
		RP_KV_NUM("peers", peers), RP_KV_NUM("window", b->windows[b->n_windows - 1]),
	};
	double cap = INFINITY, v;

	for (unsigned i = 0; i < b->n_srv; i++)
		if (rp_bench_median(b->ctx, b->srv[i].variant, kv, 4, "pps", &v) && v < cap)
			cap = v;
	return isfinite(cap) ? cap : 0;
}

static void run_open(struct echo_bench *b)
{
	for (unsigned p = 0; p < b->n_peers; p++) {
		double cap = capacity(b, b->peers[p]);
		char key[48];

		snprintf(key, sizeof(key), "capacity_peers_%u", b->peers[p]);
		rp_bench_param(b->ctx, RP_KV_NUM(key, cap));
		if (!cap) {
			rp_bench_note(b->ctx, "open loop from %u peer(s) skipped: no capacity measured",
				      b->peers[p]);
			continue;
		}
		for (unsigned r = 0; r < b->n_rates; r++) {
			struct rp_bench_kv kv[] = {
				RP_KV_STR("load", "open"), RP_KV_NUM("size", b->open_size),
				RP_KV_NUM("peers", b->peers[p]), RP_KV_NUM("load_pct", b->rates[r]),
			};
			struct echo_load_cfg cfg = base_cfg(b, b->open_size, b->peers[p]);

			cfg.rate = cap * b->rates[r] / 100.0;
			side_by_side(b, kv, 4, rep_open, &cfg);
		}
	}
}

static void run_pingpong(struct echo_bench *b)
{
	for (unsigned s = 0; s < b->n_pp_sizes; s++) {
		struct rp_bench_kv kv[] = { RP_KV_STR("load", "pingpong"),
					    RP_KV_NUM("size", b->pp_sizes[s]) };
		struct echo_load_cfg cfg = base_cfg(b, b->pp_sizes[s], 1);

		side_by_side(b, kv, 2, rep_pingpong, &cfg);
	}
}

/* ---- ratios ------------------------------------------------------------- */

/* Ratio rows "A/B": medians of A's case over B's, same parameters. */
static const struct { const char *a, *b; } pairs[] = {
	{ "ringplane", "epoll-gso" }, { "ringplane", "epoll" }, { "ringplane", "sockperf" },
	{ "ringplane-nogso", "epoll" }, { "epoll-gso", "epoll" },
};

struct ratio_case {
	struct echo_bench *b;
	const char *a, *ref;
	const struct rp_bench_kv *params;
	unsigned n_params;
	const char *const *metrics;	/* NULL-terminated */
};

static int rep_ratio(void *arg, struct rp_bench_sample *s)
{
	const struct ratio_case *r = arg;
	char name[48];

	for (const char *const *m = r->metrics; *m; m++) {
		double a, ref;

		if (!rp_bench_median(r->b->ctx, r->a, r->params, r->n_params, *m, &a) ||
		    !rp_bench_median(r->b->ctx, r->ref, r->params, r->n_params, *m, &ref) || !ref)
			continue;
		snprintf(name, sizeof(name), "%s_ratio", *m);
		rp_bench_metric(s, name, "x", a / ref);
	}
	return 0;
}

static bool running(const struct echo_bench *b, const char *variant)
{
	for (unsigned i = 0; i < b->n_srv; i++)
		if (!strcmp(b->srv[i].variant, variant))
			return true;
	return false;
}

/* Every case the servers ran gets a ratio row for each pair that ran. */
static void run_ratios(struct echo_bench *b)
{
	static const char *const tp[] = { "pps", "pkts_per_cpu_s", "load_p99", NULL };
	static const char *const open[] = { "p50", "p99", "p999", "sent_p99", "pkts_per_cpu_s",
					    "late_ratio", NULL };
	static const char *const pp[] = { "p50", "p99", "p999", NULL };
	const char *first = b->srv[0].variant;
	char name[64];

	for (unsigned k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
		if (!running(b, pairs[k].a) || !running(b, pairs[k].b))
			continue;
		snprintf(name, sizeof(name), "%s/%s", pairs[k].a, pairs[k].b);
		for (unsigned s = 0; s < b->n_sizes; s++)
			for (unsigned p = 0; p < b->n_peers; p++)
				for (unsigned w = 0; w < b->n_windows; w++) {
					struct rp_bench_kv kv[] = {
						RP_KV_STR("load", "throughput"), RP_KV_NUM("size", b->sizes[s]),
						RP_KV_NUM("peers", b->peers[p]),
						RP_KV_NUM("window", b->windows[w]),
					};
					struct ratio_case r = { b, pairs[k].a, pairs[k].b, kv, 4, tp };

					rp_bench_case(b->ctx, name, kv, 4, rep_ratio, &r);
				}
		for (unsigned p = 0; p < b->n_peers; p++)
			for (unsigned q = 0; q < b->n_rates; q++) {
				struct rp_bench_kv kv[] = {
					RP_KV_STR("load", "open"), RP_KV_NUM("size", b->open_size),
					RP_KV_NUM("peers", b->peers[p]), RP_KV_NUM("load_pct", b->rates[q]),
				};
				struct ratio_case r = { b, pairs[k].a, pairs[k].b, kv, 4, open };
				double v;

				/* open cases ran only where a capacity was measured */
				if (rp_bench_median(b->ctx, first, kv, 4, "p99", &v))
					rp_bench_case(b->ctx, name, kv, 4, rep_ratio, &r);
			}
		for (unsigned s = 0; s < b->n_pp_sizes; s++) {
			struct rp_bench_kv kv[] = { RP_KV_STR("load", "pingpong"),
						    RP_KV_NUM("size", b->pp_sizes[s]) };
			struct ratio_case r = { b, pairs[k].a, pairs[k].b, kv, 2, pp };

			rp_bench_case(b->ctx, name, kv, 2, rep_ratio, &r);
		}
	}
}

/* ---- goals, plots, description ------------------------------------------ */

static bool ratio_of(struct echo_bench *b, const char *pair, const struct rp_bench_kv *kv,
		     unsigned n, const char *metric, double *out)
{
	char name[48];

	snprintf(name, sizeof(name), "%s_ratio", metric);
	return rp_bench_median(b->ctx, pair, kv, n, name, out);
}

/* Did the generator hold the schedule for `variant` in this open case? A
 * case where more than OPEN_LATE_MAX of the requests left over
 * ECHO_LOAD_LATE_NS late measured the generator; *late says how many. */
#define OPEN_LATE_MAX 0.01
static bool held(struct echo_bench *b, const char *variant, const struct rp_bench_kv *op,
		 double *late)
{
	return rp_bench_median(b->ctx, variant, op, 4, "late_ratio", late) && *late <= OPEN_LATE_MAX;
}

/* The open-loop p99 goal at one rate: judged only where the generator held
 * the schedule for both servers, else said why not. */
static void open_goal(struct echo_bench *b, const struct rp_bench_kv *op, unsigned pct,
		      unsigned peers)
{
	double v, sent = 0, late_a = 0, late_b = 0;
	bool ok_a = held(b, "ringplane", op, &late_a), ok_b = held(b, "epoll-gso", op, &late_b);

	if (!ratio_of(b, "ringplane/epoll-gso", op, 4, "p99", &v))
		return;
	ratio_of(b, "ringplane/epoll-gso", op, 4, "sent_p99", &sent);
	if (ok_a && ok_b)
		rp_bench_note(b->ctx, "goal: lower p99 than epoll-gso, open loop at %u%% from %u "
			      "peer(s): ringplane/epoll-gso p99 %.2f (%s)", pct, peers, v,
			      v < 1 ? "met" : "not met");
	else
		rp_bench_note(b->ctx, "goal: lower p99 than epoll-gso, open loop at %u%% from %u "
			      "peer(s): not judged, the generator did not hold the schedule "
			      "(requests > %llu us late: ringplane %.1f%%, epoll-gso %.1f%%); "
			      "ringplane/epoll-gso p99 %.2f, from when sent %.2f", pct, peers,
			      ECHO_LOAD_LATE_NS / 1000, 100 * late_a, 100 * late_b, v, sent);
}

/* The goals, as notes with the measured ratios (never asserted). */
static void goals(struct echo_bench *b)
{
	unsigned many = b->peers[b->n_peers - 1];
	struct rp_bench_kv tp[] = {
		RP_KV_STR("load", "throughput"), RP_KV_NUM("size", 64), RP_KV_NUM("peers", many),
		RP_KV_NUM("window", b->windows[b->n_windows - 1]),
	};
	double v;

	if (ratio_of(b, "ringplane/epoll-gso", tp, 4, "pkts_per_cpu_s", &v))
		rp_bench_note(b->ctx, "goal: ringplane >= 1.5x epoll-gso in packets per server "
			      "CPU-second at 64 B from %u peers: %.2fx (%s)", many, v,
			      v >= 1.5 ? "met" : "not met");
	for (unsigned p = 0; p < b->n_peers; p++)
		for (unsigned r = 0; r < b->n_rates; r++) {
			struct rp_bench_kv op[] = {
				RP_KV_STR("load", "open"), RP_KV_NUM("size", b->open_size),
				RP_KV_NUM("peers", b->peers[p]), RP_KV_NUM("load_pct", b->rates[r]),
			};

			open_goal(b, op, b->rates[r], b->peers[p]);
			if (ratio_of(b, "ringplane/sockperf", op, 4, "p99", &v))
				rp_bench_note(b->ctx, "goal: on par with sockperf server under load (%u%%, "
					      "%u peer(s)): ringplane/sockperf p99 %.2f", b->rates[r],
					      b->peers[p], v);
		}
	for (unsigned s = 0; s < b->n_pp_sizes; s++) {
		struct rp_bench_kv pp[] = { RP_KV_STR("load", "pingpong"),
					    RP_KV_NUM("size", b->pp_sizes[s]) };

		if (ratio_of(b, "ringplane/sockperf", pp, 2, "p50", &v))
			rp_bench_note(b->ctx, "goal: on par with sockperf server in ping-pong at %u B: "
				      "ringplane/sockperf p50 %.2f", b->pp_sizes[s], v);
	}
}

static void plots(struct echo_bench *b)
{
	unsigned many = b->peers[b->n_peers - 1];
	struct rp_bench_kv one[] = { RP_KV_STR("load", "throughput"), RP_KV_NUM("peers", b->peers[0]),
				     RP_KV_NUM("window", b->windows[b->n_windows - 1]) };
	struct rp_bench_kv lots[] = { RP_KV_STR("load", "throughput"), RP_KV_NUM("peers", many),
				      RP_KV_NUM("window", b->windows[b->n_windows - 1]) };
	struct rp_bench_kv open[] = { RP_KV_STR("load", "open"), RP_KV_NUM("peers", many) };
	const struct rp_bench_plot p[] = {
		{ .id = "pps", .title = "UDP echo packets/s by payload size, first peers value, largest window",
		  .x_param = "size", .y_metric = "pps", .log_x = true, .where = one, .n_where = 3 },
		{ .id = "cpu-peers", .title = "UDP echo packets per server CPU-second, many peers",
		  .x_param = "size", .y_metric = "pkts_per_cpu_s", .log_x = true, .where = lots,
		  .n_where = 3 },
		{ .id = "open-p99", .title = "UDP echo open loop, many peers: p99 round trip from the schedule",
		  .x_param = "load_pct", .y_metric = "p99", .where = open, .n_where = 2 },
	};

	for (unsigned i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		rp_bench_plot_lines(b->ctx, &p[i]);
	rp_bench_plot_cdf(b->ctx, "latency-cdf", "UDP echo ping-pong round trip, smallest size",
			  "round trip (ns)", true);
}

static void describe(struct echo_bench *b)
{
	struct rp_bench_ctx *ctx = b->ctx;
	char key[48];

	rp_bench_param(ctx, RP_KV_STR("transport", "udp over 127.0.0.1 (loopback, root namespace)"));
	rp_bench_param(ctx, RP_KV_NUM("server_cpu", b->server_cpu));
	rp_bench_param(ctx, RP_KV_NUM("load_cpu", b->load_cpu));
	for (unsigned i = 0; i < echo_server_count(); i++) {
		snprintf(key, sizeof(key), "server_%s", echo_server_name(i));
		if (running(b, echo_server_name(i)))
			rp_bench_param(ctx, RP_KV_STR(key, echo_server_about(i)));
	}
	rp_bench_param(ctx, RP_KV_STR("load_generator",
				      "1 thread, `peers` connected sockets; requests are sockperf "
				      "messages (PONG_REQUEST) carrying their send time; closed loop: "
				      "UDP GSO trains of up to 64 requests, recvmmsg; open loop: what "
				      "is due leaves at once, one sendmmsg per peer, then epoll_pwait2 for "
				      "replies until the next is due (timer slack 1 ns), SCHED_FIFO 1 "
				      "while it runs (load_realtime: 1 if granted)"));
	if (b->server_cpu == b->load_cpu)
		rp_bench_note(ctx, "only one CPU available: servers and load generator share CPU %u",
			      b->server_cpu);
}

static void conclude(struct rp_bench_ctx *ctx)
{
	rp_bench_note(ctx, "ratio rows A/B: medians of A over B in the same case; pps, "
		      "pkts_per_cpu_s > 1 and latency ratios < 1 favour A. ringplane/epoll-gso "
		      "compares like with like (both coalesce replies with UDP_SEGMENT and "
		      "take a peer's trains as one coalesced receive with UDP_GRO, counted for "
		      "the epoll servers as server_gro_recvs); epoll-gso/epoll is what GSO and "
		      "GRO give; ringplane-nogso/epoll what "
		      "io_uring alone gives");
	rp_bench_note(ctx, "method: the servers run side by side on the server CPU; each case's "
		      "repetitions are interleaved across them, rotating who goes first");
	rp_bench_note(ctx, "throughput: closed loop, `window` requests in flight over all peers; "
		      "load_p50/p99/p999 are round trips at that load. open: requests on a fixed "
		      "schedule at load_pct of the slowest server's throughput at that size and "
		      "peers (capacity_peers_N), round trips from each request's scheduled time; "
		      "sent_p50/p99/p999 are from when each request actually left: where they "
		      "differ, the generator (not the server) was late (send_lag_max: the "
		      "latest, send_lag_p50/p99/p999 the spread; all requests due together leave "
		      "at once, one sendmmsg per peer). late_ratio: the share of requests that "
		      "left more than 100 us late, preempted: the generator's involuntary "
		      "context switches; where late_ratio > 1%% the generator could not hold that "
		      "rate on this machine and the p99 goal is not judged. `lost` counts replies "
		      "missing 50 ms after the end. pingpong: one request in flight");
	rp_bench_note(ctx, "load_cpu is the generator's CPU use (0..1): near 1 it, not the "
		      "server, may be the limit (the open loop sleeps until the next request is due or a reply comes)");
	rp_bench_note(ctx, "server CPU from /proc/PID/stat (utime + stime, all threads, clock "
		      "ticks); on loopback a sender's CPU also runs the receiver's softirq, so it "
		      "includes the client's receive path, alike for all");
}

/* The machine's load average (1, 5, 15 min) as text, for the record: the
 * numbers of a run on a busy machine read differently. */
static void record_loadavg(struct rp_bench_ctx *ctx, const char *key)
{
	char buf[128] = "unknown";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	rp_bench_param(ctx, RP_KV_STR(key, buf));
}

static int start_all(struct echo_bench *b)
{
	for (unsigned i = 0; i < echo_server_count(); i++) {
		if (!rp_bench_knob_has(b->ctx, "variants", echo_server_name(i)))
			continue;
		if (echo_server_start(b->ctx, i, b->server_cpu, b->batch, &b->srv[b->n_srv]) < 0)
			return -1;
		b->n_srv++;
	}
	return 0;
}

static void stop_all(struct echo_bench *b)
{
	for (unsigned i = 0; i < b->n_srv; i++)
		echo_server_stop(b->ctx, &b->srv[i]);
	if (b->n_srv < ECHO_MAX_SERVERS)
		echo_server_stop(b->ctx, &b->srv[b->n_srv]);	/* one that failed to start */
}

static int echo_run(struct rp_bench_ctx *ctx)
{
	struct echo_bench b = {
		.ctx = ctx,
		.server_cpu = rp_bench_cpu(ctx, 0),
		.load_cpu = rp_bench_cpu(ctx, rp_bench_ncpus(ctx) > 1 ? 1 : 0),
	};
	int ret = 0;

	rp_bench_quick_reps(ctx, 2);
	read_knobs(&b);
	record_loadavg(ctx, "loadavg_start");
	rp_bench_pin_self(b.load_cpu);
	ret = start_all(&b) < 0 ? -1 : 0;
	describe(&b);	/* after the start: it describes the servers that run */
	if (!ret) {
		run_throughput(&b);
		run_open(&b);
		run_pingpong(&b);
	}
	stop_all(&b);
	record_loadavg(ctx, "loadavg_end");
	if (ret)
		return ret;
	run_ratios(&b);
	goals(&b);
	plots(&b);
	conclude(ctx);
	return 0;
}

const struct rp_bench_def rp_bench_echo = {
	.name = "echo",
	.summary = "UDP echo: ringplane vs epoll (with and without GSO) and sockperf server; "
		   "closed and open loop, one and many peers",
	.run = echo_run,
	.knobs = knobs,
	.n_knobs = sizeof(knobs) / sizeof(knobs[0]),
};
