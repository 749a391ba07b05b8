/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench echo`: UDP echo packets/s and round-trip latency of
 * ringplane's udp-echo service against the epoll + recvmmsg/sendmmsg
 * reference server (bench/baselines/epoll_echo.c), in the same run with the
 * same pinning: every server (a forked child) on the first CPU, the load
 * generator (this process) on the second, over 127.0.0.1.
 *
 * Three servers run side by side, each on its own port: ringplane (one
 * worker, zerocopy auto, UDP GSO replies: the default), ringplane with
 * `gso: false` (what io_uring alone gives), and epoll. An idle server
 * sleeps. Every case is run for all three with the repetitions
 * interleaved (rp_bench_cases_interleaved), so the noise of two shared
 * vCPUs hits them alike. Servers are stopped with SIGTERM at the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/appliance_child.h"
#include "bench/baselines/epoll_echo.h"
#include "bench/bench.h"
#include "bench/echo_load.h"

#define LOSS_TIMEOUT_MS 20

struct echo_server;

/* One server process of the run. */
struct echo_running {
	const struct echo_server *def;
	struct sockaddr_in addr;	/* 127.0.0.1:its port */
	pid_t pid;
	unsigned cpu;
};

/* One run of the benchmark: the servers, the CPUs, the case grid. */
struct echo_bench {
	struct rp_bench_ctx *ctx;
	struct echo_running *servers;	/* N_SERVERS */
	unsigned server_cpu, load_cpu;
	double seconds;			/* per repetition */
	bool load_gso;			/* the generator sends GSO trains */
	const unsigned *sizes;
	unsigned n_sizes;
	const unsigned *windows;
	unsigned n_windows;
};

/* What one case's repetitions need. */
struct echo_case {
	struct echo_bench *b;
	struct echo_running *srv;
	unsigned size, window;
};

/* ---- servers ----------------------------------------------------------- */

static int serve_epoll(const struct echo_running *r)
{
	return rp_bench_epoll_echo_child("echo", &r->addr);
}

/* A one-worker appliance with one udp-echo service on the server's address. */
static int serve_appliance(const struct echo_running *r, bool gso)
{
	char yaml[1024];
	int n = snprintf(yaml, sizeof(yaml),
			 "workers:\n  count: 1\n  cpus: [%u]\n"
			 "buffers:\n  size: 65536\n  count: 1024\n"
			 "zerocopy:\n  mode: auto\n"
			 "services:\n  - name: echo\n    type: udp-echo\n    listen: 127.0.0.1:%u\n"
			 "    gso: %s\n"
			 "metrics:\n  enabled: false\n"
			 "logging:\n  level: warn\n",
			 r->cpu, ntohs(r->addr.sin_port), gso ? "true" : "false");

	return rp_bench_appliance_serve("bench-echo", yaml, (size_t)n);
}

static int serve_ringplane(const struct echo_running *r) { return serve_appliance(r, true); }
static int serve_ringplane_nogso(const struct echo_running *r) { return serve_appliance(r, false); }

static const struct echo_server {
	const char *variant;
	int (*serve)(const struct echo_running *r);
} servers[] = {
	{ "ringplane",       serve_ringplane },
	{ "ringplane-nogso", serve_ringplane_nogso },
	{ "epoll",           serve_epoll },
};
#define N_SERVERS (sizeof(servers) / sizeof(servers[0]))
#define REFERENCE "epoll"

static int serve_child(void *arg)
{
	const struct echo_running *r = arg;

	return r->def->serve(r);
}

static bool answers(void *arg)
{
	const struct echo_running *r = arg;

	return !echo_load_probe((const struct sockaddr *)&r->addr, sizeof(r->addr), 100);
}

static int servers_start(struct echo_bench *b)
{
	for (unsigned i = 0; i < N_SERVERS; i++) {
		struct echo_running *r = &b->servers[i];
		const struct rp_bench_child child = {
			.what = servers[i].variant, .sock_type = SOCK_DGRAM, .cpu = b->server_cpu,
			.addr = &r->addr, .serve = serve_child, .ready = answers, .arg = r,
		};

		*r = (struct echo_running){ .def = &servers[i], .cpu = b->server_cpu, .pid = -1 };
		r->pid = rp_bench_child_start(b->ctx, &child);
		if (r->pid < 0)
			return -1;
	}
	return 0;
}

static void servers_stop(struct echo_bench *b)
{
	for (unsigned i = 0; i < N_SERVERS; i++)
		if (b->servers[i].pid > 0)
			rp_bench_child_stop(b->ctx, servers[i].variant, b->servers[i].pid);
}

/* ---- cases ------------------------------------------------------------- */

static struct echo_load_cfg load_cfg(const struct echo_case *c)
{
	return (struct echo_load_cfg){
		.server = (const struct sockaddr *)&c->srv->addr,
		.server_len = sizeof(c->srv->addr),
		.size = c->size,
		.window = c->window,
		.seconds = c->b->seconds,
		.loss_timeout_ms = LOSS_TIMEOUT_MS,
		.gso = c->b->load_gso,
	};
}

static int rep_throughput(void *arg, struct rp_bench_sample *s)
{
	const struct echo_case *c = arg;
	struct echo_load_cfg cfg = load_cfg(c);
	struct echo_throughput t;
	double cpu0 = rp_bench_process_cpu_ns(c->srv->pid), cpu1;

	if (echo_load_throughput(&cfg, &t) < 0 || !t.rtt.n) {
		free(t.rtt.rtt_ns);
		return -1;
	}
	cpu1 = rp_bench_process_cpu_ns(c->srv->pid);
	rp_bench_metric(s, "pps", "pkt/s", t.pps);
	if (t.replies && cpu1 > cpu0)
		rp_bench_metric(s, "server_cpu_per_pkt", "ns", (cpu1 - cpu0) / (double)t.replies);
	rp_bench_pct_metrics(s, "load_", t.rtt.rtt_ns, t.rtt.n);
	rp_bench_metric(s, "load_cpu", "x", t.load_cpu);
	rp_bench_metric(s, "refills", "count", (double)t.refills);
	free(t.rtt.rtt_ns);
	return 0;
}

static int rep_latency(void *arg, struct rp_bench_sample *s)
{
	const struct echo_case *c = arg;
	struct echo_load_cfg cfg = load_cfg(c);
	struct echo_latency l;
	char series[64];

	if (echo_load_latency(&cfg, &l) < 0 || !l.n) {
		free(l.rtt_ns);
		return -1;
	}
	/* The CDF keeps the raw samples of the 64-byte case (first rep's
	 * order does not matter: the harness sorts). */
	if (c->size == 64) {
		snprintf(series, sizeof(series), "%s %u B", c->srv->def->variant, c->size);
		rp_bench_cdf_add(c->b->ctx, "latency-cdf", series, l.rtt_ns, l.n);
	}
	rp_bench_pct_metrics(s, "", l.rtt_ns, l.n);
	rp_bench_metric(s, "round_trips", "count", (double)l.n);
	free(l.rtt_ns);
	return 0;
}

/* One case (these params) for every server, repetitions interleaved. */
static void run_side_by_side(struct echo_bench *b, const struct rp_bench_kv *params,
			     unsigned n_params, rp_bench_rep_fn fn, unsigned size, unsigned window)
{
	struct echo_case cases[N_SERVERS];
	struct rp_bench_case_def defs[N_SERVERS];

	for (unsigned i = 0; i < N_SERVERS; i++) {
		cases[i] = (struct echo_case){ .b = b, .srv = &b->servers[i], .size = size,
					       .window = window };
		defs[i] = (struct rp_bench_case_def){ servers[i].variant, params, n_params, fn,
						      &cases[i] };
	}
	rp_bench_cases_interleaved(b->ctx, defs, N_SERVERS);
}

static void run_cases(struct echo_bench *b)
{
	for (unsigned i = 0; i < b->n_sizes; i++) {
		unsigned size = b->sizes[i];
		struct rp_bench_kv lat[] = { RP_KV_STR("load", "latency"), RP_KV_NUM("size", size) };

		for (unsigned w = 0; w < b->n_windows; w++) {
			struct rp_bench_kv tp[] = { RP_KV_STR("load", "throughput"),
						    RP_KV_NUM("size", size),
						    RP_KV_NUM("window", b->windows[w]) };

			run_side_by_side(b, tp, 3, rep_throughput, size, b->windows[w]);
		}
		run_side_by_side(b, lat, 2, rep_latency, size, 1);
	}
}

/* ---- ratios ringplane / epoll ------------------------------------------ */

struct ratio_case {
	struct echo_bench *b;
	const char *variant;		/* divided by REFERENCE */
	const struct rp_bench_kv *params;
	unsigned n_params;
	const char *const *metrics;	/* NULL-terminated */
};

static int rep_ratio(void *arg, struct rp_bench_sample *s)
{
	const struct ratio_case *r = arg;
	char name[48];

	for (const char *const *m = r->metrics; *m; m++) {
		double rp, ep;

		if (!rp_bench_median(r->b->ctx, r->variant, r->params, r->n_params, *m, &rp) ||
		    !rp_bench_median(r->b->ctx, REFERENCE, r->params, r->n_params, *m, &ep) || !ep)
			continue;
		snprintf(name, sizeof(name), "%s_ratio", *m);
		rp_bench_metric(s, name, "x", rp / ep);
	}
	return 0;
}

static void run_ratios_of(struct echo_bench *b, const char *variant)
{
	static const char *const tp_metrics[] = { "pps", "server_cpu_per_pkt", "load_p50",
						  "load_p99", "load_p999", NULL };
	static const char *const lat_metrics[] = { "p50", "p99", "p999", NULL };
	char name[64];

	snprintf(name, sizeof(name), "%s/" REFERENCE, variant);
	for (unsigned i = 0; i < b->n_sizes; i++) {
		struct rp_bench_kv lat[] = { RP_KV_STR("load", "latency"), RP_KV_NUM("size", b->sizes[i]) };
		struct ratio_case r = { b, variant, lat, 2, lat_metrics };

		for (unsigned w = 0; w < b->n_windows; w++) {
			struct rp_bench_kv tp[] = { RP_KV_STR("load", "throughput"),
						    RP_KV_NUM("size", b->sizes[i]),
						    RP_KV_NUM("window", b->windows[w]) };
			struct ratio_case t = { b, variant, tp, 3, tp_metrics };

			rp_bench_case(b->ctx, name, tp, 3, rep_ratio, &t);
		}
		rp_bench_case(b->ctx, name, lat, 2, rep_ratio, &r);
	}
}

static void run_ratios(struct echo_bench *b)
{
	for (unsigned i = 0; i < N_SERVERS; i++)
		if (strcmp(servers[i].variant, REFERENCE))
			run_ratios_of(b, servers[i].variant);
}

static void plots(struct echo_bench *b)
{
	/* the largest window: the server, not the round trip, sets the pace */
	struct rp_bench_kv where[] = { RP_KV_STR("load", "throughput"),
				       RP_KV_NUM("window", b->windows[b->n_windows - 1]) };
	struct rp_bench_plot pps = {
		.id = "pps", .title = "UDP echo packets/s by payload size (largest window)",
		.x_param = "size", .y_metric = "pps", .log_x = true,
		.where = where, .n_where = 2,
	};
	struct rp_bench_plot p99 = {
		.id = "load-p99", .title = "UDP echo round trip p99 under load (largest window)",
		.x_param = "size", .y_metric = "load_p99", .log_x = true,
		.where = where, .n_where = 2,
	};

	rp_bench_plot_lines(b->ctx, &pps);
	rp_bench_plot_lines(b->ctx, &p99);
	rp_bench_plot_cdf(b->ctx, "latency-cdf", "UDP echo ping-pong round trip, 64 B payload",
			  "round trip (ns)", true);
}

static void describe(struct echo_bench *b)
{
	struct rp_bench_ctx *ctx = b->ctx;

	rp_bench_param(ctx, RP_KV_STR("transport", "udp over 127.0.0.1 (loopback, root namespace)"));
	rp_bench_param(ctx, RP_KV_NUM("server_cpu", b->server_cpu));
	rp_bench_param(ctx, RP_KV_NUM("load_cpu", b->load_cpu));
	rp_bench_param(ctx, RP_KV_NUM("seconds_per_rep", b->seconds));
	rp_bench_param(ctx, RP_KV_STR("ringplane_config", "1 worker, zerocopy auto, buffers 1024 x 64 KiB; "
				      "ringplane-nogso: the same with gso: false"));
	rp_bench_param(ctx, RP_KV_NUM("epoll_batch", RP_EPOLL_ECHO_BATCH));
	rp_bench_param(ctx, RP_KV_STR("load_generator", b->load_gso
				      ? "1 thread, UDP GSO trains of up to 64 requests, recvmmsg"
				      : "1 thread, sendmmsg/recvmmsg batches of 64"));
	if (b->server_cpu == b->load_cpu)
		rp_bench_note(ctx, "only one CPU available: servers and load generator share CPU %u",
			      b->server_cpu);
}

static void conclude(struct rp_bench_ctx *ctx)
{
	rp_bench_note(ctx, "goal (reported, not asserted): ringplane >= 1.5x epoll pps at 64 B, "
		      "and a lower p99; see the ringplane/epoll rows (pps_ratio > 1 and "
		      "latency ratios < 1 favour ringplane). ringplane-nogso/epoll shows what "
		      "io_uring gives without UDP GSO replies");
	rp_bench_note(ctx, "method: the three servers run side by side on the server CPU; each "
		      "case's repetitions are interleaved across them, rotating who goes first");
	rp_bench_note(ctx, "load: throughput cases keep `window` requests in flight; each request "
		      "carries its send time, so load_p50/p99/p999 are round trips at that load. "
		      "latency cases are closed-loop ping-pong (one request in flight)");
	rp_bench_note(ctx, "load_cpu is the generator's CPU use (0..1): near 1 it, not the "
		      "server, may be the limit. It sends UDP GSO trains so that one thread can "
		      "offer more than one server CPU answers (the servers still receive and "
		      "answer separate datagrams)");
	rp_bench_note(ctx, "on loopback the sender's CPU also runs the receiver's softirq: "
		      "server_cpu_per_pkt includes the client's receive path, alike for all");
}

static int echo_run(struct rp_bench_ctx *ctx)
{
	static const unsigned sizes_full[] = { 64, 1024, 8192 }, sizes_quick[] = { 64, 1024 };
	static const unsigned windows_full[] = { 32, 256 }, windows_quick[] = { 32 };
	struct echo_running running[N_SERVERS] = { { 0 } };	/* pid 0: not started */
	bool quick = rp_bench_quick(ctx);
	struct echo_bench b = {
		.ctx = ctx,
		.servers = running,
		.server_cpu = rp_bench_cpu(ctx, 0),
		.load_cpu = rp_bench_cpu(ctx, rp_bench_ncpus(ctx) > 1 ? 1 : 0),
		.seconds = quick ? 0.5 : 3.0,
		.load_gso = true,
		.sizes = quick ? sizes_quick : sizes_full,
		.n_sizes = quick ? 2 : 3,
		.windows = quick ? windows_quick : windows_full,
		.n_windows = quick ? 1 : 2,
	};
	int ret = 0;

	describe(&b);
	rp_bench_pin_self(b.load_cpu);
	if (servers_start(&b) < 0)
		ret = -1;
	else
		run_cases(&b);
	servers_stop(&b);
	if (ret)
		return ret;
	run_ratios(&b);
	plots(&b);
	conclude(ctx);
	return 0;
}

const struct rp_bench_def rp_bench_echo = {
	.name = "echo",
	.summary = "UDP echo pps and latency: ringplane vs epoll+recvmmsg/sendmmsg",
	.run = echo_run,
};
