/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench echo`: UDP echo packets/s and round-trip latency of
 * ringplane's udp-echo service against the epoll + recvmmsg/sendmmsg
 * reference server (bench/baselines/epoll_echo.c), in the same run with the
 * same pinning: the server (a forked child) on the first CPU, the load
 * generator (this process) on the second, over 127.0.0.1.
 *
 * ringplane runs in-process in its child through rp_appliance_run() with a
 * one-worker config (zerocopy auto); the epoll server runs in its child the
 * same way. Both children are stopped with SIGTERM after their cases.
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

/* One run of the benchmark: where the servers listen, which CPUs. */
struct echo_bench {
	struct rp_bench_ctx *ctx;
	struct sockaddr_in addr;	/* 127.0.0.1:port of the running server */
	pid_t server;			/* its process */
	const struct echo_server *running;	/* which server it is */
	unsigned server_cpu, load_cpu;
	double seconds;			/* per repetition */
	const unsigned *sizes;
	unsigned n_sizes;
	const unsigned *windows;
	unsigned n_windows;
};

struct echo_server;

/* What one case's repetitions need. */
struct echo_case {
	struct echo_bench *b;
	const char *variant;
	unsigned size, window;
};

/* ---- servers ----------------------------------------------------------- */

static volatile sig_atomic_t epoll_stop;

static void on_term(int sig)
{
	(void)sig;
	epoll_stop = 1;
}

static int serve_epoll(const struct echo_bench *b)
{
	struct sigaction sa = { .sa_handler = on_term };
	int fd = rp_epoll_echo_bind((const struct sockaddr *)&b->addr, sizeof(b->addr));

	if (fd < 0) {
		fprintf(stderr, "bench echo: epoll server: bind: %s\n", strerror(-fd));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	return rp_epoll_echo_serve(fd, &epoll_stop, NULL) ? 1 : 0;
}

/* A one-worker appliance with one udp-echo service on our address. */
static int serve_ringplane(const struct echo_bench *b)
{
	char yaml[1024];
	int n = snprintf(yaml, sizeof(yaml),
			 "workers:\n  count: 1\n  cpus: [%u]\n"
			 "buffers:\n  size: 65536\n  count: 1024\n"
			 "zerocopy:\n  mode: auto\n"
			 "services:\n  - name: echo\n    type: udp-echo\n    listen: 127.0.0.1:%u\n"
			 "metrics:\n  enabled: false\n"
			 "logging:\n  level: warn\n",
			 b->server_cpu, ntohs(b->addr.sin_port));

	return rp_bench_appliance_serve("bench-echo", yaml, (size_t)n);
}

static const struct echo_server {
	const char *variant;
	int (*serve)(const struct echo_bench *b);
} servers[] = {
	{ "ringplane", serve_ringplane },
	{ "epoll",     serve_epoll },
};
#define N_SERVERS (sizeof(servers) / sizeof(servers[0]))

static int serve_child(void *arg)
{
	const struct echo_bench *b = arg;

	return b->running->serve(b);
}

static bool answers(void *arg)
{
	const struct echo_bench *b = arg;

	return !echo_load_probe((const struct sockaddr *)&b->addr, sizeof(b->addr), 100);
}

static pid_t server_start(struct echo_bench *b, const struct echo_server *s)
{
	const struct rp_bench_child child = {
		.what = s->variant, .sock_type = SOCK_DGRAM, .cpu = b->server_cpu,
		.addr = &b->addr, .serve = serve_child, .ready = answers, .arg = b,
	};

	b->running = s;
	return rp_bench_child_start(b->ctx, &child);
}

/* ---- cases ------------------------------------------------------------- */

static struct echo_load_cfg load_cfg(const struct echo_case *c)
{
	return (struct echo_load_cfg){
		.server = (const struct sockaddr *)&c->b->addr,
		.server_len = sizeof(c->b->addr),
		.size = c->size,
		.window = c->window,
		.seconds = c->b->seconds,
		.loss_timeout_ms = LOSS_TIMEOUT_MS,
	};
}

/* CPU time (user + system, all threads) a process has used, in ns; the
 * server's cost per packet holds up better than pps on a busy machine. */
static double process_cpu_ns(pid_t pid)
{
	char path[64];
	unsigned long long utime = 0, stime = 0;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* fields 14 and 15 (utime, stime), after "pid (comm) state ..." */
	n = fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &utime, &stime);
	fclose(f);
	return n == 2 ? (double)(utime + stime) * 1e9 / (double)sysconf(_SC_CLK_TCK) : 0;
}

static int rep_throughput(void *arg, struct rp_bench_sample *s)
{
	const struct echo_case *c = arg;
	struct echo_load_cfg cfg = load_cfg(c);
	struct echo_throughput t;
	double cpu0 = process_cpu_ns(c->b->server), cpu1;

	if (echo_load_throughput(&cfg, &t) < 0)
		return -1;
	cpu1 = process_cpu_ns(c->b->server);
	rp_bench_metric(s, "pps", "pkt/s", t.pps);
	if (t.replies && cpu1 > cpu0)
		rp_bench_metric(s, "server_cpu_per_pkt", "ns", (cpu1 - cpu0) / (double)t.replies);
	rp_bench_metric(s, "refills", "count", (double)t.refills);
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
		snprintf(series, sizeof(series), "%s %u B", c->variant, c->size);
		rp_bench_cdf_add(c->b->ctx, "latency-cdf", series, l.rtt_ns, l.n);
	}
	rp_bench_metric(s, "p50", "ns", rp_bench_percentile(l.rtt_ns, l.n, 50));
	rp_bench_metric(s, "p99", "ns", rp_bench_percentile(l.rtt_ns, l.n, 99));
	rp_bench_metric(s, "p999", "ns", rp_bench_percentile(l.rtt_ns, l.n, 99.9));
	rp_bench_metric(s, "round_trips", "count", (double)l.n);
	free(l.rtt_ns);
	return 0;
}

static void run_variant_cases(struct echo_bench *b, const char *variant)
{
	for (unsigned i = 0; i < b->n_sizes; i++) {
		struct echo_case c = { .b = b, .variant = variant, .size = b->sizes[i] };
		struct rp_bench_kv lat[] = { RP_KV_STR("load", "latency"), RP_KV_NUM("size", c.size) };

		for (unsigned w = 0; w < b->n_windows; w++) {
			struct rp_bench_kv tp[] = { RP_KV_STR("load", "throughput"),
						    RP_KV_NUM("size", c.size),
						    RP_KV_NUM("window", b->windows[w]) };

			c.window = b->windows[w];
			rp_bench_case(b->ctx, variant, tp, 3, rep_throughput, &c);
		}
		c.window = 1;
		rp_bench_case(b->ctx, variant, lat, 2, rep_latency, &c);
	}
}

/* ---- ratios ringplane / epoll ------------------------------------------ */

struct ratio_case {
	struct echo_bench *b;
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

		if (!rp_bench_median(r->b->ctx, "ringplane", r->params, r->n_params, *m, &rp) ||
		    !rp_bench_median(r->b->ctx, "epoll", r->params, r->n_params, *m, &ep) || !ep)
			continue;
		snprintf(name, sizeof(name), "%s_ratio", *m);
		rp_bench_metric(s, name, "x", rp / ep);
	}
	return 0;
}

static void run_ratios(struct echo_bench *b)
{
	static const char *const tp_metrics[] = { "pps", "server_cpu_per_pkt", NULL };
	static const char *const lat_metrics[] = { "p50", "p99", "p999", NULL };

	for (unsigned i = 0; i < b->n_sizes; i++) {
		struct rp_bench_kv lat[] = { RP_KV_STR("load", "latency"), RP_KV_NUM("size", b->sizes[i]) };
		struct ratio_case r = { b, lat, 2, lat_metrics };

		for (unsigned w = 0; w < b->n_windows; w++) {
			struct rp_bench_kv tp[] = { RP_KV_STR("load", "throughput"),
						    RP_KV_NUM("size", b->sizes[i]),
						    RP_KV_NUM("window", b->windows[w]) };
			struct ratio_case t = { b, tp, 3, tp_metrics };

			rp_bench_case(b->ctx, "ringplane/epoll", tp, 3, rep_ratio, &t);
		}
		rp_bench_case(b->ctx, "ringplane/epoll", lat, 2, rep_ratio, &r);
	}
}

static void plots(struct echo_bench *b)
{
	struct rp_bench_kv where[] = { RP_KV_STR("load", "throughput"),
				       RP_KV_NUM("window", b->windows[0]) };
	struct rp_bench_plot pps = {
		.id = "pps", .title = "UDP echo packets/s by payload size",
		.x_param = "size", .y_metric = "pps", .log_x = true,
		.where = where, .n_where = 2,
	};

	rp_bench_plot_lines(b->ctx, &pps);
	rp_bench_plot_cdf(b->ctx, "latency-cdf", "UDP echo round trip, 64 B payload",
			  "round trip (ns)", true);
}

static int echo_run(struct rp_bench_ctx *ctx)
{
	static const unsigned sizes_full[] = { 64, 1024, 8192 }, sizes_quick[] = { 64, 1024 };
	static const unsigned windows_full[] = { 32, 256 }, windows_quick[] = { 32 };
	bool quick = rp_bench_quick(ctx);
	struct echo_bench b = {
		.ctx = ctx,
		.server_cpu = rp_bench_cpu(ctx, 0),
		.load_cpu = rp_bench_cpu(ctx, rp_bench_ncpus(ctx) > 1 ? 1 : 0),
		.seconds = quick ? 0.5 : 3.0,
		.sizes = quick ? sizes_quick : sizes_full,
		.n_sizes = quick ? 2 : 3,
		.windows = quick ? windows_quick : windows_full,
		.n_windows = quick ? 1 : 2,
	};

	rp_bench_param(ctx, RP_KV_STR("transport", "udp over 127.0.0.1 (loopback, root namespace)"));
	rp_bench_param(ctx, RP_KV_NUM("server_cpu", b.server_cpu));
	rp_bench_param(ctx, RP_KV_NUM("load_cpu", b.load_cpu));
	rp_bench_param(ctx, RP_KV_NUM("seconds_per_rep", b.seconds));
	rp_bench_param(ctx, RP_KV_STR("ringplane_config", "1 worker, zerocopy auto, buffers 1024 x 64 KiB"));
	rp_bench_param(ctx, RP_KV_NUM("epoll_batch", RP_EPOLL_ECHO_BATCH));
	if (b.server_cpu == b.load_cpu)
		rp_bench_note(ctx, "only one CPU available: server and load generator share CPU %u",
			      b.server_cpu);
	rp_bench_pin_self(b.load_cpu);
	for (unsigned i = 0; i < N_SERVERS; i++) {
		b.server = server_start(&b, &servers[i]);
		if (b.server < 0)
			return -1;
		run_variant_cases(&b, servers[i].variant);
		rp_bench_child_stop(ctx, servers[i].variant, b.server);
	}
	run_ratios(&b);
	plots(&b);
	rp_bench_note(ctx, "goal (reported, not asserted): ringplane >= 1.5x epoll pps at 64 B, "
		      "and a lower p99; see the ringplane/epoll rows (pps_ratio > 1 and "
		      "latency ratios < 1 favour ringplane)");
	rp_bench_note(ctx, "transport: UDP over 127.0.0.1 in the root namespace (loopback, no veth)");
	rp_bench_note(ctx, "one load-generator thread (sendmmsg/recvmmsg, batch 64) drives both "
		      "servers; it can be the bottleneck, equally for both");
	return 0;
}

const struct rp_bench_def rp_bench_echo = {
	.name = "echo",
	.summary = "UDP echo pps and latency: ringplane vs epoll+recvmmsg/sendmmsg",
	.run = echo_run,
};
