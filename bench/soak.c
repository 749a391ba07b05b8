/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench soak`: the appliance (udp-echo, tcp-echo, and tcp-proxy
 * in front of a second tcp-echo) under mixed traffic with misbehaving
 * clients (bench/soak_load.c) for --seconds (default 10 minutes, --quick
 * 8 s), sampled every second from outside (bench/soak_probe.c): resident
 * memory, fds, the pool and the error counters, each a time series in the
 * JSON and a plot.
 *
 * Afterwards the load side closes every client and waits (up to QUIESCE_S)
 * for the appliance to settle, then checks what a leak would break:
 *   - fds back to their level before any traffic (exactly); accepted
 *     sockets are direct descriptors in the workers' fixed file tables, not
 *     fds, so also:
 *   - no connection open (opened - closed, from the metrics, is 0);
 *   - the pool full: bufs_free back to its level before any traffic;
 *   - resident memory at most RSS_TOL_PCT above its level after the
 *     warm-up (the first tenth of the run, at least WARMUP_MIN_S): the first
 *     traffic faults in buffer pages and grows tables, which is not a leak.
 *     Not judged with --quick: a few seconds have no meaningful warm-up.
 * A failed check fails the run (exit 1) and says which.
 */
#include <arpa/inet.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench/appliance_child.h"
#include "bench/bench.h"
#include "bench/soak.h"
#include "dataplane/metrics.h"

#define WARMUP_MIN_S	2
#define QUIESCE_S	30
#define RSS_TOL_PCT	10.0
#define BUF_SIZE	4096
#define BUF_COUNT	1024
#define STALL_MS	2000	/* write-stall-timeout-ms: stuck clients reset */
#define IDLE_MS		3000	/* idle-timeout-ms: silent clients closed */

struct soak_run {
	struct rp_bench_ctx *ctx;
	struct soak_targets t;
	struct sockaddr_in echo_backend, metrics;
	char metrics_addr[32];
	unsigned server_cpu, load_cpu;
	unsigned seconds, warmup;
	pid_t pid;
};

/* ---- the appliance ------------------------------------------------------- */

static int serve(void *arg)
{
	const struct soak_run *r = arg;
	char yaml[2048];
	int n = snprintf(yaml, sizeof(yaml),
		"workers:\n  count: 1\n  cpus: [%u]\n"
		"buffers:\n  size: %u\n  count: %u\n"
		"services:\n"
		"  - name: udp\n    type: udp-echo\n    listen: 127.0.0.1:%u\n"
		"  - name: echo\n    type: tcp-echo\n    listen: 127.0.0.1:%u\n"
		"    idle-timeout-ms: %u\n    write-stall-timeout-ms: %u\n"
		"  - name: proxy\n    type: tcp-proxy\n    listen: 127.0.0.1:%u\n"
		"    idle-timeout-ms: %u\n    write-stall-timeout-ms: %u\n"
		"    backends:\n      - address: 127.0.0.1:%u\n"
		"  - name: backend\n    type: tcp-echo\n    listen: 127.0.0.1:%u\n"
		"    idle-timeout-ms: %u\n    write-stall-timeout-ms: %u\n"
		"metrics:\n  enabled: true\n  listen: %s\n"
		"logging:\n  level: error\n",
		r->server_cpu, BUF_SIZE, BUF_COUNT, ntohs(r->t.udp.sin_port),
		ntohs(r->t.echo.sin_port), IDLE_MS, STALL_MS,
		ntohs(r->t.proxy.sin_port), IDLE_MS, STALL_MS, ntohs(r->echo_backend.sin_port),
		ntohs(r->echo_backend.sin_port), IDLE_MS, STALL_MS, r->metrics_addr);

	return rp_bench_appliance_serve("bench-soak", yaml, (size_t)n);
}

/* Up once its metrics answer: the exporter starts after every worker has
 * bound its sockets. */
static bool answers(void *arg)
{
	const struct soak_run *r = arg;
	char err[256], *text = rp_metrics_fetch(r->metrics_addr, err, sizeof(err));

	free(text);
	return text != NULL;
}

/* Every port before the fork: the child binds them all. */
static int pick_ports(struct soak_run *r)
{
	int err = rp_bench_free_port(SOCK_DGRAM, &r->t.udp);

	if (!err)
		err = rp_bench_free_port(SOCK_STREAM, &r->t.echo);
	if (!err)
		err = rp_bench_free_port(SOCK_STREAM, &r->echo_backend);
	if (!err)
		err = rp_bench_free_port(SOCK_STREAM, &r->metrics);
	if (err)
		return rp_bench_fail(r->ctx, "no free port on 127.0.0.1: %s", strerror(-err));
	snprintf(r->metrics_addr, sizeof(r->metrics_addr), "127.0.0.1:%u", ntohs(r->metrics.sin_port));
	return 0;
}

static int appliance_start(struct soak_run *r)
{
	const struct rp_bench_child child = {
		.what = "soak appliance", .sock_type = SOCK_STREAM, .cpu = r->server_cpu,
		.addr = &r->t.proxy, .serve = serve, .ready = answers, .arg = r,
	};

	if (pick_ports(r))
		return -1;
	r->pid = rp_bench_child_start(r->ctx, &child);
	return r->pid < 0 ? -1 : 0;
}

/* ---- sampling -------------------------------------------------------------- */

/* One point of every series at time t. */
static void record(struct rp_bench_ctx *ctx, double t, const struct soak_sample *s)
{
	rp_bench_ts_add(ctx, "memory", "VmRSS (MiB)", t, s->rss_kib / 1024);
	rp_bench_ts_add(ctx, "fds", "open fds", t, s->fds);
	rp_bench_ts_add(ctx, "fds", "open connections", t, s->conns_open);
	rp_bench_ts_add(ctx, "pool", "buffers free", t, s->bufs_free);
	rp_bench_ts_add(ctx, "pool", "buffers in flight", t, s->bufs_in_flight);
	rp_bench_ts_add(ctx, "errors", "err_* counters", t, s->errors);
	rp_bench_ts_add(ctx, "errors", "write stalls (reset)", t, s->write_stalls);
	rp_bench_ts_add(ctx, "errors", "idle timeouts", t, s->idle_timeouts);
}

/* The extremes over the run. */
struct soak_span {
	double rss_max, fds_max, bufs_free_min;
};

static void span_add(struct soak_span *sp, const struct soak_sample *s)
{
	sp->rss_max = fmax(sp->rss_max, s->rss_kib);
	sp->fds_max = fmax(sp->fds_max, s->fds);
	sp->bufs_free_min = fmin(sp->bufs_free_min, s->bufs_free);
}

static int take(struct soak_run *r, struct soak_sample *s)
{
	char err[256];

	if (soak_sample_take(r->pid, r->metrics_addr, s, err, sizeof(err)))
		return rp_bench_fail(r->ctx, "sampling the appliance: %s", err);
	return 0;
}

/* Sleep until `deadline_ns` (monotonic). */
static void sleep_until(unsigned long long deadline_ns)
{
	unsigned long long now = rp_bench_now_ns();

	if (deadline_ns > now)
		usleep((useconds_t)((deadline_ns - now) / 1000));
}

/* ---- the run --------------------------------------------------------------- */

struct soak_result {
	struct soak_sample start, warm, end;
	struct soak_span span;
	double quiesce_s;
	struct soak_counts counts;
};

static bool settled(const struct soak_result *res, const struct soak_sample *s)
{
	return s->fds == res->start.fds && s->bufs_free == res->start.bufs_free &&
	       s->conns_open == 0;
}

/* After the load: every client closed, then wait for the appliance. */
static int quiesce(struct soak_run *r, struct soak_result *res, unsigned long long t0)
{
	unsigned long long q0 = rp_bench_now_ns();

	for (;;) {
		double t = (double)(rp_bench_now_ns() - t0) / 1e9;

		if (take(r, &res->end))
			return -1;
		record(r->ctx, t, &res->end);
		res->quiesce_s = (double)(rp_bench_now_ns() - q0) / 1e9;
		if (settled(res, &res->end) || res->quiesce_s >= QUIESCE_S)
			return 0;
		sleep_until(rp_bench_now_ns() + 500000000ull);
	}
}

/* The level before any traffic, once the worker has published its pool
 * gauges (its first tick: until then they read 0). */
static int take_start(struct soak_run *r, struct soak_sample *s)
{
	for (unsigned i = 0; i < 50; i++) {
		if (take(r, s))
			return -1;
		if (s->bufs_free + s->bufs_in_flight > 0)
			return 0;
		usleep(100 * 1000);
	}
	return rp_bench_fail(r->ctx, "the appliance published no pool gauges within 5 s");
}

static int drive(struct soak_run *r, struct soak_load *l, struct soak_result *res)
{
	unsigned long long t0 = rp_bench_now_ns();

	if (take_start(r, &res->start))
		return -1;
	record(r->ctx, 0, &res->start);
	res->span = (struct soak_span){ .bufs_free_min = res->start.bufs_free };
	span_add(&res->span, &res->start);
	for (unsigned sec = 1; sec <= r->seconds; sec++) {
		struct soak_sample s;

		soak_load_tick(l, sec);
		sleep_until(t0 + sec * 1000000000ull);
		if (take(r, &s))
			return -1;
		record(r->ctx, sec, &s);
		span_add(&res->span, &s);
		if (sec == r->warmup)
			res->warm = s;
		if (sec % 60 == 0)
			fprintf(stderr, "bench soak: %u/%u s, RSS %.0f KiB, %.0f fds, %.0f buffers free\n",
				sec, r->seconds, s.rss_kib, s.fds, s.bufs_free);
	}
	res->counts = *soak_load_counts(l);
	soak_load_close_all(l);
	return quiesce(r, res, t0);
}

/* ---- what the run reports and checks --------------------------------------- */

static void count_metrics(struct rp_bench_sample *m, const struct soak_counts *c)
{
	rp_bench_metric(m, "udp_sent", "datagrams", c->udp_sent);
	rp_bench_metric(m, "udp_replies", "datagrams", c->udp_replies);
	rp_bench_metric(m, "udp_oversize", "datagrams", c->udp_oversize);
	rp_bench_metric(m, "echo_ok", "round trips", c->echo_ok);
	rp_bench_metric(m, "echo_bad", "round trips", c->echo_bad);
	rp_bench_metric(m, "proxy_ok", "round trips", c->proxy_ok);
	rp_bench_metric(m, "proxy_bad", "round trips", c->proxy_bad);
	rp_bench_metric(m, "vanished", "clients", c->vanished);
	rp_bench_metric(m, "stuck", "clients", c->stuck);
	rp_bench_metric(m, "idle", "clients", c->idle);
}

static double rss_growth_pct(const struct soak_result *res)
{
	return res->warm.rss_kib > 0 ? 100.0 * (res->end.rss_kib - res->warm.rss_kib) /
				       res->warm.rss_kib : 0;
}

static void level_metrics(struct rp_bench_sample *m, const struct soak_result *res)
{
	rp_bench_metric(m, "rss_start", "KiB", res->start.rss_kib);
	rp_bench_metric(m, "rss_warm", "KiB", res->warm.rss_kib);
	rp_bench_metric(m, "rss_max", "KiB", res->span.rss_max);
	rp_bench_metric(m, "rss_end", "KiB", res->end.rss_kib);
	rp_bench_metric(m, "rss_growth", "%", rss_growth_pct(res));
	rp_bench_metric(m, "fds_start", "fds", res->start.fds);
	rp_bench_metric(m, "fds_max", "fds", res->span.fds_max);
	rp_bench_metric(m, "fds_end", "fds", res->end.fds);
	rp_bench_metric(m, "bufs_free_start", "buffers", res->start.bufs_free);
	rp_bench_metric(m, "bufs_free_min", "buffers", res->span.bufs_free_min);
	rp_bench_metric(m, "bufs_free_end", "buffers", res->end.bufs_free);
	rp_bench_metric(m, "conns_open_end", "connections", res->end.conns_open);
	rp_bench_metric(m, "errors", "count", res->end.errors);
	rp_bench_metric(m, "write_stalls", "count", res->end.write_stalls);
	rp_bench_metric(m, "idle_timeouts", "count", res->end.idle_timeouts);
	rp_bench_metric(m, "quiesce", "s", res->quiesce_s);
}

/* The end checks (see the top of the file); 1/0 metrics, a failure each. */
static int judge(struct soak_run *r, struct rp_bench_sample *m, const struct soak_result *res)
{
	bool fds = res->end.fds == res->start.fds;
	bool pool = res->end.bufs_free == res->start.bufs_free;
	bool conns = res->end.conns_open == 0;
	bool rss = rss_growth_pct(res) <= RSS_TOL_PCT;
	int ret = 0;

	rp_bench_metric(m, "fds_back", "bool", fds);
	rp_bench_metric(m, "pool_full", "bool", pool);
	rp_bench_metric(m, "conns_closed", "bool", conns);
	rp_bench_metric(m, "rss_within", "bool", rss);
	if (!fds)
		ret = rp_bench_fail(r->ctx, "fds not back: %.0f at the start, %.0f after %.1f s quiet",
				    res->start.fds, res->end.fds, res->quiesce_s);
	if (!conns)
		ret = rp_bench_fail(r->ctx, "%.0f connections still open %.1f s after the last client closed",
				    res->end.conns_open, res->quiesce_s);
	if (!pool)
		ret = rp_bench_fail(r->ctx, "pool not full: %.0f buffers free at the start, %.0f at the end",
				    res->start.bufs_free, res->end.bufs_free);
	if (!rss && rp_bench_quick(r->ctx))
		rp_bench_note(r->ctx, "RSS %.1f%% above its warm-up level (not judged with --quick)",
			      rss_growth_pct(res));
	else if (!rss)
		ret = rp_bench_fail(r->ctx, "RSS %.0f KiB at the end, %.1f%% above %.0f KiB after the warm-up (tolerance %.0f%%)",
				    res->end.rss_kib, rss_growth_pct(res), res->warm.rss_kib, RSS_TOL_PCT);
	return ret;
}

static int soak_rep(void *arg, struct rp_bench_sample *m)
{
	struct soak_run *r = arg;
	struct soak_result res = { 0 };
	struct soak_load *l;
	int ret;

	if (appliance_start(r))
		return -1;
	l = soak_load_new(&r->t);
	ret = l ? drive(r, l, &res) : rp_bench_fail(r->ctx, "load side: cannot open its UDP socket");
	soak_load_free(l);
	if (!ret) {
		count_metrics(m, &res.counts);
		level_metrics(m, &res);
		ret = judge(r, m, &res);
	}
	rp_bench_child_stop(r->ctx, "soak appliance", r->pid);
	r->pid = -1;
	return ret;
}

static void plots(struct rp_bench_ctx *ctx)
{
	rp_bench_plot_ts(ctx, "memory", "soak: appliance resident memory", "seconds", "MiB");
	rp_bench_plot_ts(ctx, "fds", "soak: appliance fds and connections", "seconds", "count");
	rp_bench_plot_ts(ctx, "pool", "soak: registered buffer pool", "seconds", "buffers");
	rp_bench_plot_ts(ctx, "errors", "soak: error and timeout counters (cumulative)",
			 "seconds", "count");
}

static const struct rp_bench_knob knobs[] = {
	{ "seconds", "the run's length (s): one long repetition, warm-up included", "600", "8",
	  1, 86400, NULL, false },
};

static int soak_run(struct rp_bench_ctx *ctx)
{
	struct soak_run r = { .ctx = ctx, .pid = -1 };
	int ret;

	if (rp_bench_ncpus(ctx) < 2)
		return rp_bench_fail(ctx, "needs 2 CPUs (appliance and load side apart)");
	r.server_cpu = rp_bench_cpu(ctx, 0);
	r.load_cpu = rp_bench_cpu(ctx, 1);
	r.seconds = (unsigned)rp_bench_knob_num(ctx, "seconds", 0);
	r.warmup = r.seconds / 10 > WARMUP_MIN_S ? r.seconds / 10 : WARMUP_MIN_S;
	if (r.warmup > r.seconds)
		r.warmup = r.seconds;
	rp_bench_single_rep(ctx);
	rp_bench_pin_self(r.load_cpu);
	rp_bench_param(ctx, RP_KV_NUM("warmup_s", r.warmup));
	rp_bench_param(ctx, RP_KV_NUM("rss_tolerance_pct", RSS_TOL_PCT));
	rp_bench_param(ctx, RP_KV_NUM("buffers", BUF_COUNT));
	rp_bench_param(ctx, RP_KV_NUM("write_stall_timeout_ms", STALL_MS));
	rp_bench_param(ctx, RP_KV_NUM("idle_timeout_ms", IDLE_MS));
	ret = rp_bench_case(ctx, "soak", NULL, 0, soak_rep, &r);
	plots(ctx);
	return ret;
}

const struct rp_bench_def rp_bench_soak = {
	.name = "soak",
	.summary = "udp/tcp echo + tcp-proxy under mixed and misbehaving clients: memory, fds, pool over time",
	.run = soak_run,
	.knobs = knobs,
	.n_knobs = sizeof(knobs) / sizeof(knobs[0]),
};
