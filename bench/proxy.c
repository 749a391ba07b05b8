/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench proxy`: TCP proxies side by side in a private network
 * namespace over loopback, the proxy pinned to the first CPU, backends and
 * load generators on the second:
 *
 *   variants  ringplane-bundle (forward: bundle), ringplane-serialized
 *             (forward: serialized), haproxy (Debian's, mode tcp, one
 *             thread), haproxy-splice (the same with option splice-auto),
 *             socat (fork per connection)
 *   loads     iperf3 through the proxy with 1 and 8 streams (Gbit/s), and
 *             wrk with 64 connections fetching a 128-byte file from
 *             nginx-light (requests/s, p50/p99 latency)
 *   cost      the proxy's CPU seconds from /proc/PID/stat (all threads;
 *             socat's children too): Gbit and requests per proxy CPU-second
 *
 * Every proxy runs for the whole benchmark (idle when not measured); each
 * case's repetitions are interleaved across the variants. The goals of
 * issue 13 are computed in the same run as ratio rows (goal-*): reported,
 * not asserted. A missing program (iperf3, wrk, nginx, haproxy, socat) is
 * named and the run fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/appliance_child.h"
#include "bench/bench.h"
#include "bench/netns.h"
#include "bench/proxy_tools.h"

enum px_kind { PX_RP_BUNDLE, PX_RP_SERIAL, PX_HAPROXY, PX_HAPROXY_SPLICE, PX_SOCAT, PX__N };

static const char *const px_names[PX__N] = {
	[PX_RP_BUNDLE] = "ringplane-bundle", [PX_RP_SERIAL] = "ringplane-serialized",
	[PX_HAPROXY] = "haproxy", [PX_HAPROXY_SPLICE] = "haproxy-splice", [PX_SOCAT] = "socat",
};

enum px_load { LOAD_STREAM, LOAD_HTTP, LOAD__N };

/* One proxy of the run: a listener per load, each forwarding to its backend. */
struct px_proxy {
	enum px_kind kind;
	struct sockaddr_in addr[LOAD__N];	/* 127.0.0.1:its ports */
	pid_t pid[LOAD__N];			/* socat: one process per listener */
};

struct px_bench {
	struct rp_bench_ctx *ctx;
	unsigned proxy_cpu, load_cpu;
	double seconds;
	char dir[64];				/* configs, logs, the 128-byte file */
	unsigned backend_port[LOAD__N];		/* iperf3 -s, nginx */
	pid_t backend_pid[LOAD__N];
	struct px_proxy px[PX__N];
};

struct px_case {
	struct px_bench *b;
	struct px_proxy *p;
	enum px_load load;
	unsigned streams;
};

static const char *const variant_words[] = {
	"ringplane-bundle", "ringplane-serialized", "haproxy", "haproxy-splice", "socat", NULL,
};

static const struct rp_bench_knob knobs[] = {
	{ "variants", "the proxies measured", "ringplane-bundle,ringplane-serialized,haproxy,"
	  "haproxy-splice,socat", NULL, 0, 0, variant_words, true },
	{ "streams", "iperf3 parallel streams (-P) through the proxy", "1,8", NULL, 1, 128, NULL,
	  true },
	{ "seconds", "measuring time per repetition (s)", "5", "2", 1, 600, NULL, false },
};

static bool px_wanted(const struct rp_bench_ctx *ctx, unsigned i)
{
	return rp_bench_knob_has(ctx, "variants", px_names[i]);
}

static const char *const tools[] = { "iperf3", "wrk", "nginx", "haproxy", "socat" };

/* ---- programs ------------------------------------------------------------ */

static int missing_tools(struct rp_bench_ctx *ctx)
{
	char miss[128] = "";

	for (unsigned i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		if (!pt_have(tools[i]))
			snprintf(miss + strlen(miss), sizeof(miss) - strlen(miss), "%s%s",
				 *miss ? ", " : "", tools[i]);
	if (!*miss)
		return 0;
	return rp_bench_fail(ctx, "bench proxy needs %s, not installed (deploy/setup.sh installs "
			     "them: apt-get install iperf3 wrk nginx-light haproxy socat)", miss);
}

static unsigned free_port(void)
{
	struct sockaddr_in a;

	return rp_bench_free_port(SOCK_STREAM, &a) ? 0 : ntohs(a.sin_port);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok = f && fputs(text, f) >= 0;

	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

static int start_backends(struct px_bench *b)
{
	char port[16], conf[1024], path[128];
	const char *iperf[] = { "iperf3", "-s", "-p", port, NULL };
	const char *nginx[] = { "nginx", "-c", path, NULL };
	char body[129];

	memset(body, 'x', 127);
	body[127] = '\n';
	body[128] = '\0';
	for (unsigned l = 0; l < LOAD__N; l++)
		b->backend_port[l] = free_port();
	snprintf(port, sizeof(port), "%u", b->backend_port[LOAD_STREAM]);
	b->backend_pid[LOAD_STREAM] = pt_spawn(iperf, b->load_cpu, NULL);
	snprintf(path, sizeof(path), "%s/b128", b->dir);
	if (write_file(path, body))
		return rp_bench_fail(b->ctx, "cannot write %s", path);
	/* one process (no master), as root (the files are in a 0700 directory) */
	snprintf(conf, sizeof(conf),
		 "user root;\ndaemon off;\nmaster_process off;\nworker_processes 1;\n"
		 "pid %s/nginx.pid;\nerror_log %s/nginx.err;\n"
		 "events { worker_connections 4096; }\n"
		 "http { access_log off; keepalive_requests 100000000;\n"
		 "  client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s;\n"
		 "  uwsgi_temp_path %s; scgi_temp_path %s;\n"
		 "  server { listen 127.0.0.1:%u; root %s; } }\n",
		 b->dir, b->dir, b->dir, b->dir, b->dir, b->dir, b->dir,
		 b->backend_port[LOAD_HTTP], b->dir);
	snprintf(path, sizeof(path), "%s/nginx.conf", b->dir);
	if (write_file(path, conf))
		return rp_bench_fail(b->ctx, "cannot write %s", path);
	b->backend_pid[LOAD_HTTP] = pt_spawn(nginx, b->load_cpu, NULL);
	for (unsigned l = 0; l < LOAD__N; l++)
		if (b->backend_pid[l] < 0 || pt_wait_port(b->backend_port[l]))
			return rp_bench_fail(b->ctx, "backend %s did not come up on port %u",
					     l == LOAD_STREAM ? "iperf3 -s" : "nginx",
					     b->backend_port[l]);
	return 0;
}

/* ---- proxies ------------------------------------------------------------- */

struct rp_child_arg {
	struct px_bench *b;
	struct px_proxy *p;
};

static int serve_ringplane(void *arg)
{
	const struct rp_child_arg *a = arg;
	const struct px_bench *b = a->b;
	char yaml[2048];
	const char *fwd = a->p->kind == PX_RP_BUNDLE ? "bundle" : "serialized";
	int n = snprintf(yaml, sizeof(yaml),
			 "workers:\n  count: 1\n  cpus: [%u]\n"
			 "buffers:\n  size: 16384\n  count: 2048\n"
			 "zerocopy:\n  mode: never\n"
			 "services:\n"
			 "  - name: stream\n    type: tcp-proxy\n    listen: 127.0.0.1:%u\n"
			 "    forward: %s\n    backends:\n      - address: 127.0.0.1:%u\n"
			 "  - name: http\n    type: tcp-proxy\n    listen: 127.0.0.1:%u\n"
			 "    forward: %s\n    backends:\n      - address: 127.0.0.1:%u\n"
			 "metrics:\n  enabled: false\nlogging:\n  level: warn\n",
			 b->proxy_cpu, ntohs(a->p->addr[LOAD_STREAM].sin_port), fwd,
			 b->backend_port[LOAD_STREAM], ntohs(a->p->addr[LOAD_HTTP].sin_port), fwd,
			 b->backend_port[LOAD_HTTP]);

	return rp_bench_appliance_serve(px_names[a->p->kind], yaml, (size_t)n);
}

static bool rp_ready(void *arg)
{
	const struct rp_child_arg *a = arg;

	return !pt_wait_port(ntohs(a->p->addr[LOAD_HTTP].sin_port));
}

static int start_ringplane(struct px_bench *b, struct px_proxy *p)
{
	static struct rp_child_arg args[PX__N];
	struct rp_bench_child c = {
		.what = px_names[p->kind], .sock_type = SOCK_STREAM, .cpu = b->proxy_cpu,
		.addr = &p->addr[LOAD_STREAM], .serve = serve_ringplane, .ready = rp_ready,
		.arg = &args[p->kind],
	};

	args[p->kind] = (struct rp_child_arg){ b, p };
	/* the child picks the stream port; the http one is picked here */
	if (rp_bench_free_port(SOCK_STREAM, &p->addr[LOAD_HTTP]))
		return rp_bench_fail(b->ctx, "no free port");
	p->pid[LOAD_STREAM] = rp_bench_child_start(b->ctx, &c);
	p->pid[LOAD_HTTP] = p->pid[LOAD_STREAM];
	return p->pid[LOAD_STREAM] < 0 ? -1 : 0;
}

/* HAProxy as its management guide advises for one thread: mode tcp,
 * nbthread 1 (pinned by affinity), no logging; -db keeps it in the
 * foreground as one process. The splice variant adds option splice-auto. */
static int start_haproxy(struct px_bench *b, struct px_proxy *p)
{
	char conf[1536], path[128], log[128];
	const char *argv[] = { "haproxy", "-db", "-f", path, NULL };

	snprintf(conf, sizeof(conf),
		 "global\n  nbthread 1\n  maxconn 4096\n\n"
		 "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n"
		 "  timeout server 60s\n%s\n"
		 "frontend stream\n  bind 127.0.0.1:%u\n  default_backend stream\n"
		 "backend stream\n  server s 127.0.0.1:%u\n"
		 "frontend http\n  bind 127.0.0.1:%u\n  default_backend http\n"
		 "backend http\n  server s 127.0.0.1:%u\n",
		 p->kind == PX_HAPROXY_SPLICE ? "  option splice-auto\n" : "",
		 ntohs(p->addr[LOAD_STREAM].sin_port), b->backend_port[LOAD_STREAM],
		 ntohs(p->addr[LOAD_HTTP].sin_port), b->backend_port[LOAD_HTTP]);
	snprintf(path, sizeof(path), "%s/%s.cfg", b->dir, px_names[p->kind]);
	if (write_file(path, conf))
		return rp_bench_fail(b->ctx, "cannot write %s", path);
	snprintf(log, sizeof(log), "%s/%s.log", b->dir, px_names[p->kind]);
	p->pid[LOAD_STREAM] = p->pid[LOAD_HTTP] = pt_spawn(argv, b->proxy_cpu, log);
	return p->pid[LOAD_STREAM] < 0 ? -1 : 0;
}

static int start_socat(struct px_bench *b, struct px_proxy *p)
{
	for (unsigned l = 0; l < LOAD__N; l++) {
		char listen[96], to[96];
		const char *argv[] = { "socat", listen, to, NULL };

		snprintf(listen, sizeof(listen), "TCP-LISTEN:%u,bind=127.0.0.1,reuseaddr,fork,nodelay",
			 ntohs(p->addr[l].sin_port));
		snprintf(to, sizeof(to), "TCP:127.0.0.1:%u,nodelay", b->backend_port[l]);
		p->pid[l] = pt_spawn(argv, b->proxy_cpu, NULL);
		if (p->pid[l] < 0)
			return -1;
	}
	return 0;
}

static int start_proxy(struct px_bench *b, struct px_proxy *p)
{
	int ret;

	if (p->kind == PX_RP_BUNDLE || p->kind == PX_RP_SERIAL)
		return start_ringplane(b, p);
	for (unsigned l = 0; l < LOAD__N; l++)
		if (rp_bench_free_port(SOCK_STREAM, &p->addr[l]))
			return rp_bench_fail(b->ctx, "no free port");
	ret = p->kind == PX_SOCAT ? start_socat(b, p) : start_haproxy(b, p);
	for (unsigned l = 0; !ret && l < LOAD__N; l++)
		if (pt_wait_port(ntohs(p->addr[l].sin_port)))
			ret = rp_bench_fail(b->ctx, "%s did not listen on port %u (its output: "
					    "%s/%s.log)", px_names[p->kind],
					    ntohs(p->addr[l].sin_port), b->dir, px_names[p->kind]);
	return ret;
}

static void stop_all(struct px_bench *b)
{
	for (unsigned i = 0; i < PX__N; i++) {
		struct px_proxy *p = &b->px[i];

		if (p->kind == PX_RP_BUNDLE || p->kind == PX_RP_SERIAL) {
			if (p->pid[LOAD_STREAM] > 0)
				rp_bench_child_stop(b->ctx, px_names[i], p->pid[LOAD_STREAM]);
		} else {
			pt_stop(p->pid[LOAD_STREAM]);
			if (p->pid[LOAD_HTTP] != p->pid[LOAD_STREAM])
				pt_stop(p->pid[LOAD_HTTP]);
		}
	}
	for (unsigned l = 0; l < LOAD__N; l++)
		pt_stop(b->backend_pid[l]);
}

/* ---- repetitions ---------------------------------------------------------- */

/*
 * The readiness probes opened and closed connections to `iperf3 -s` (the
 * proxies' stream listeners lead there): it takes each for a test that
 * failed and the next real test can come back empty. One short direct run
 * settles it before the first measurement.
 */
static int warm_up(struct px_bench *b)
{
	char port[16], out[1 << 16];
	const char *argv[] = { "iperf3", "-c", "127.0.0.1", "-p", port, "-t", "1", "-J", NULL };

	snprintf(port, sizeof(port), "%u", b->backend_port[LOAD_STREAM]);
	for (unsigned i = 0; i < 5; i++) {
		if (!pt_run_capture(argv, b->load_cpu, out, sizeof(out)) && pt_iperf3_bps(out) > 0)
			return 0;
		sleep(1);
	}
	return rp_bench_fail(b->ctx, "iperf3 straight to its server (no proxy) does not work: "
			     "%.200s", out);
}

static int rep_stream(void *arg, struct rp_bench_sample *s)
{
	const struct px_case *c = arg;
	char port[16], secs[16], streams[16], out[1 << 16];
	const char *argv[] = { "iperf3", "-c", "127.0.0.1", "-p", port, "-t", secs, "-P", streams,
			       "-J", NULL };
	pid_t pid = c->p->pid[LOAD_STREAM];
	double cpu0, cpu1, bps;
	int st;

	snprintf(port, sizeof(port), "%u", ntohs(c->p->addr[LOAD_STREAM].sin_port));
	snprintf(secs, sizeof(secs), "%g", c->b->seconds);
	snprintf(streams, sizeof(streams), "%u", c->streams);
	/* iperf3's server refuses a test now and then ("busy", a control
	 * message lost to an earlier test's teardown): tried once more, and
	 * counted */
	for (unsigned t = 0; t < 2; t++) {
		cpu0 = pt_cpu_s(pid);
		st = pt_run_capture(argv, c->b->load_cpu, out, sizeof(out));
		cpu1 = pt_cpu_s(pid);
		bps = pt_iperf3_bps(out);
		if (!st && bps > 0)
			break;
		rp_bench_metric(s, "iperf3_retries", "count", 1);
		sleep(1);
	}
	if (st || bps <= 0) {
		const char *e = strstr(out, "\"error\"");

		fprintf(stderr, "bench proxy: %s: iperf3 exit %d: %.200s\n", px_names[c->p->kind],
			st, e ? e : out);
		return -1;
	}
	rp_bench_metric(s, "gbit_s", "Gbit/s", bps / 1e9);
	rp_bench_metric(s, "proxy_cpu_s", "s", cpu1 - cpu0);
	if (cpu1 > cpu0)
		rp_bench_metric(s, "gbit_per_cpu_s", "Gbit/CPU-s",
				bps / 1e9 * c->b->seconds / (cpu1 - cpu0));
	return 0;
}

static int rep_http(void *arg, struct rp_bench_sample *s)
{
	const struct px_case *c = arg;
	char url[64], secs[16], out[1 << 14];
	const char *argv[] = { "wrk", "-t1", "-c64", "-d", secs, "--latency", url, NULL };
	pid_t pid = c->p->pid[LOAD_HTTP];
	double cpu0, cpu1;
	struct pt_wrk w;
	int st;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/b128", ntohs(c->p->addr[LOAD_HTTP].sin_port));
	snprintf(secs, sizeof(secs), "%us", (unsigned)(c->b->seconds + 0.5));
	cpu0 = pt_cpu_s(pid);
	st = pt_run_capture(argv, c->b->load_cpu, out, sizeof(out));
	cpu1 = pt_cpu_s(pid);
	if (st || !pt_wrk_parse(out, &w)) {
		fprintf(stderr, "bench proxy: %s: wrk exit %d: %.300s\n", px_names[c->p->kind], st, out);
		return -1;
	}
	rp_bench_metric(s, "req_s", "req/s", w.req_s);
	rp_bench_metric(s, "p50_us", "us", w.p50_us);
	rp_bench_metric(s, "p99_us", "us", w.p99_us);
	rp_bench_metric(s, "errors", "count", (double)w.errors);
	rp_bench_metric(s, "proxy_cpu_s", "s", cpu1 - cpu0);
	if (cpu1 > cpu0)
		rp_bench_metric(s, "req_per_cpu_s", "req/CPU-s",
				w.req_s * (unsigned)(c->b->seconds + 0.5) / (cpu1 - cpu0));
	return 0;
}

static void run_load(struct px_bench *b, enum px_load load, unsigned streams)
{
	struct px_case cases[PX__N];
	struct rp_bench_case_def defs[PX__N];
	struct rp_bench_kv stream_kv[] = { RP_KV_STR("load", "iperf3"), RP_KV_NUM("streams", streams) };
	struct rp_bench_kv http_kv[] = { RP_KV_STR("load", "http-128B"), RP_KV_NUM("connections", 64) };
	unsigned n = 0;

	for (unsigned i = 0; i < PX__N; i++) {
		if (!px_wanted(b->ctx, i))
			continue;
		cases[n] = (struct px_case){ b, &b->px[i], load, streams };
		defs[n] = (struct rp_bench_case_def){
			px_names[i], load == LOAD_STREAM ? stream_kv : http_kv, 2,
			load == LOAD_STREAM ? rep_stream : rep_http, &cases[n] };
		n++;
	}
	rp_bench_cases_interleaved(b->ctx, defs, n);
}

/* ---- goals ------------------------------------------------------------------ */

struct px_goal {
	const char *name;	/* the ratio row's variant */
	const char *num, *den;	/* variants */
	const char *load;
	double param;		/* streams or connections */
	const char *metric;
	bool lower_better;	/* ratio den/num then */
	double target;
};

static const struct px_goal goals[] = {
	{ "goal-bundle/serialized", "ringplane-bundle", "ringplane-serialized", "iperf3", 1,
	  "gbit_per_cpu_s", false, 1.68 },
	{ "goal-bundle/serialized", "ringplane-bundle", "ringplane-serialized", "iperf3", 8,
	  "gbit_per_cpu_s", false, 1.68 },
	{ "goal-bundle/haproxy-splice", "ringplane-bundle", "haproxy-splice", "iperf3", 1,
	  "gbit_per_cpu_s", false, 1.0 },
	{ "goal-bundle/haproxy-splice", "ringplane-bundle", "haproxy-splice", "iperf3", 8,
	  "gbit_per_cpu_s", false, 1.0 },
	{ "goal-bundle/haproxy", "ringplane-bundle", "haproxy", "http-128B", 64, "req_s", false, 1.0 },
	{ "goal-bundle/haproxy", "ringplane-bundle", "haproxy", "http-128B", 64, "p99_us", true, 1.0 },
	{ "goal-serialized/haproxy", "ringplane-serialized", "haproxy", "http-128B", 64, "req_s",
	  false, 1.0 },
	{ "goal-serialized/haproxy", "ringplane-serialized", "haproxy", "http-128B", 64, "p99_us",
	  true, 1.0 },
};

struct px_goal_case {
	const struct px_goal *g;
	struct rp_bench_ctx *ctx;
};

static int rep_goal(void *arg, struct rp_bench_sample *s)
{
	const struct px_goal_case *gc = arg;
	const struct px_goal *g = gc->g;
	struct rp_bench_ctx *ctx = gc->ctx;
	bool stream = !strcmp(g->load, "iperf3");
	struct rp_bench_kv kv[] = { RP_KV_STR("load", g->load),
				    RP_KV_NUM(stream ? "streams" : "connections", g->param) };
	double a, d, r;
	char name[64];

	if (!rp_bench_median(ctx, g->num, kv, 2, g->metric, &a) ||
	    !rp_bench_median(ctx, g->den, kv, 2, g->metric, &d) || !a || !d)
		return -1;
	r = g->lower_better ? d / a : a / d;
	snprintf(name, sizeof(name), "%s_ratio", g->metric);
	rp_bench_metric(s, name, "x", r);
	rp_bench_metric(s, "target", "x", g->target);
	rp_bench_metric(s, "met", "bool", r >= g->target);
	return 0;
}

/* A goal whose variants or stream count this run's knobs left out. */
static bool goal_left_out(const struct rp_bench_ctx *ctx, const struct px_goal *g)
{
	bool streams = strcmp(g->load, "iperf3");

	for (unsigned i = 0; !streams && i < rp_bench_knob_n(ctx, "streams"); i++)
		streams = rp_bench_knob_num(ctx, "streams", i) == g->param;
	return !streams || !rp_bench_knob_has(ctx, "variants", g->num) ||
	       !rp_bench_knob_has(ctx, "variants", g->den);
}

static void run_goals(struct rp_bench_ctx *ctx)
{
	for (unsigned i = 0; i < sizeof(goals) / sizeof(goals[0]); i++) {
		const struct px_goal *g = &goals[i];
		struct px_goal_case arg = { g, ctx };
		bool stream = !strcmp(g->load, "iperf3");

		if (goal_left_out(ctx, g))
			continue;
		struct rp_bench_kv kv[] = { RP_KV_STR("load", g->load),
					    RP_KV_NUM(stream ? "streams" : "connections", g->param),
					    RP_KV_STR("metric", g->metric) };

		rp_bench_case(ctx, g->name, kv, 3, rep_goal, &arg);
	}
}

/* ---- the run ------------------------------------------------------------------ */

static void plots(struct rp_bench_ctx *ctx)
{
	struct rp_bench_kv where[] = { RP_KV_STR("load", "iperf3") };
	struct rp_bench_plot gbit = { .id = "gbit", .title = "iperf3 through the proxy: Gbit/s",
				      .x_param = "streams", .y_metric = "gbit_s", .log_x = true,
				      .where = where, .n_where = 1 };
	struct rp_bench_plot eff = { .id = "gbit-per-cpu",
				     .title = "iperf3 through the proxy: Gbit per proxy CPU-second",
				     .x_param = "streams", .y_metric = "gbit_per_cpu_s",
				     .log_x = true, .where = where, .n_where = 1 };

	rp_bench_plot_lines(ctx, &gbit);
	rp_bench_plot_lines(ctx, &eff);
}

static void loadavg_param(struct rp_bench_ctx *ctx, const char *key)
{
	char buf[128] = "";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	rp_bench_param(ctx, RP_KV_STR(key, buf));	/* the harness copies it */
}

static void describe(struct px_bench *b)
{
	struct rp_bench_ctx *ctx = b->ctx;

	rp_bench_param(ctx, RP_KV_STR("topology", "loopback in a private network namespace"));
	rp_bench_param(ctx, RP_KV_NUM("proxy_cpu", b->proxy_cpu));
	rp_bench_param(ctx, RP_KV_NUM("load_cpu", b->load_cpu));
	rp_bench_param(ctx, RP_KV_STR("ringplane", "1 worker, buffers 2048 x 16 KiB, zerocopy never "
				      "(loopback copies anyway), TCP_NODELAY (default)"));
	rp_bench_param(ctx, RP_KV_STR("haproxy", "mode tcp, nbthread 1, -db; haproxy-splice: "
				      "option splice-auto"));
	rp_bench_param(ctx, RP_KV_STR("socat", "TCP-LISTEN fork,nodelay -> TCP nodelay"));
	rp_bench_param(ctx, RP_KV_STR("loads", "iperf3 -P 1 / -P 8 (-J, receiver's rate); "
				      "wrk -t1 -c64 --latency GET of a 128-byte file from nginx "
				      "(one process, keepalive)"));
	loadavg_param(ctx, "loadavg_start");
	if (b->proxy_cpu == b->load_cpu)
		rp_bench_note(ctx, "only one CPU available: proxy and load share CPU %u", b->proxy_cpu);
	rp_bench_note(ctx, "cost: the proxy process's time on CPU over the repetition "
		      "(/proc/PID/task/*/schedstat, ns, all threads; socat: its forked children "
		      "too, live ones the same way, reaped ones from /proc/PID/stat cutime+cstime); on "
		      "loopback the sender's CPU also runs the receiver's softirq, so part of "
		      "the TCP receive work of the proxy's peers lands on the proxy CPU, alike "
		      "for every variant");
	rp_bench_note(ctx, "goal-* rows: ratio of medians in this run (p99: den/num, so > 1 "
		      "means the first variant is lower); met = ratio >= target");
}

static int proxy_run(struct rp_bench_ctx *ctx)
{
	struct px_bench b = {
		.ctx = ctx,
		.proxy_cpu = rp_bench_cpu(ctx, 0),
		.load_cpu = rp_bench_cpu(ctx, rp_bench_ncpus(ctx) > 1 ? 1 : 0),
		.seconds = rp_bench_knob_num(ctx, "seconds", 0),
	};
	unsigned streams[RP_BENCH_KNOB_MAX_VALUES];
	unsigned n_streams = rp_bench_knob_uints(ctx, "streams", streams);
	struct bench_netns ns = { 0 };
	char err[256];
	int ret;

	if (missing_tools(ctx))
		return -1;
	rp_bench_quick_reps(ctx, 1);
	snprintf(b.dir, sizeof(b.dir), "/tmp/rp-bench-proxy.XXXXXX");
	if (!mkdtemp(b.dir))
		return rp_bench_fail(ctx, "mkdtemp: %s", strerror(errno));
	if (bench_netns_enter(&ns, err, sizeof(err))) {
		rmdir(b.dir);
		return rp_bench_fail(ctx, "%s", err);
	}
	describe(&b);
	rp_bench_pin_self(b.load_cpu);
	ret = start_backends(&b);
	for (unsigned i = 0; i < PX__N; i++)
		b.px[i].kind = (enum px_kind)i;
	for (unsigned i = 0; !ret && i < PX__N; i++)
		if (px_wanted(ctx, i))
			ret = start_proxy(&b, &b.px[i]);
	if (!ret)
		ret = warm_up(&b);
	rp_bench_expect_cases(ctx, rp_bench_knob_n(ctx, "variants") * (n_streams + 1));
	for (unsigned i = 0; !ret && i < n_streams; i++)
		run_load(&b, LOAD_STREAM, streams[i]);
	if (!ret)
		run_load(&b, LOAD_HTTP, 64);
	stop_all(&b);
	bench_netns_leave(&ns);
	loadavg_param(ctx, "loadavg_end");
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", b.dir);
		if (system(cmd))
			rp_bench_note(ctx, "could not remove %s", b.dir);
	}
	if (ret)
		return ret;
	run_goals(ctx);
	plots(ctx);
	return 0;
}

const struct rp_bench_def rp_bench_proxy = {
	.name = "proxy",
	.summary = "TCP proxy: ringplane bundle / serialized vs HAProxy (+splice) and socat "
		   "(iperf3 1/8 streams, wrk 128 B HTTP): Gbit/s, per CPU-second, req/s, p99",
	.run = proxy_run,
	.knobs = knobs,
	.n_knobs = sizeof(knobs) / sizeof(knobs[0]),
};
