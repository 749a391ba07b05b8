/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench handoff`: what an MSG_RING connection handoff adds to a
 * new TCP connection, from connect() to the first echoed byte, against the
 * same connection accepted and served on one worker's own ring.
 *
 *   direct   services[].acceptor: false: the worker's SO_REUSEPORT listener
 *            accepts on the worker ring and serves there
 *   handoff  services[].acceptor: true, steering round-robin: the acceptor
 *            ring accepts and passes the socket to the worker by MSG_RING
 *            (dataplane/acceptor.h), which then serves it
 *
 * The server (ringplane, in-process in a forked child, tcp-echo on
 * 127.0.0.1, one worker) runs on the first CPU, the client (this process)
 * on the second. Per connection: t0, blocking connect(), send 8 bytes,
 * receive the 8 echoed back, t1, close. The latency is t1 - t0; the rate is
 * connections over the repetition's wall time. The "handoff/direct" rows
 * divide the medians of p50 and p99.
 *
 * A separate case file rather than more cases in msg_ring.c: msg_ring.c
 * measures ring-to-ring wake-ups inside one process; this one needs a
 * server process, a config and TCP, i.e. echo.c's machinery.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/appliance_child.h"
#include "bench/bench.h"

#define PAYLOAD 8

/* One server configuration: how the tcp-echo service accepts. */
struct handoff_variant {
	const char *name;
	const char *service_extra;	/* YAML lines appended to the service */
};

static const struct handoff_variant variants[] = {
	{ "direct",  "    acceptor: false\n" },
	{ "handoff", "    acceptor: true\n    steering: round-robin\n" },
};
#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))

static const char *const variant_words[] = { "direct", "handoff", NULL };

static const struct rp_bench_knob knobs[] = {
	{ "variants", "accepting worker serves (direct), or an acceptor ring hands off (handoff); "
	  "the ratio row needs both", "direct,handoff", NULL, 0, 0, variant_words, true },
	{ "connections", "connections per repetition, one at a time", "2000", "200", 10, 1000000,
	  NULL, false },
};

/* One run of the benchmark. */
struct handoff_bench {
	struct rp_bench_ctx *ctx;
	struct sockaddr_in addr;	/* 127.0.0.1:port of the running server */
	unsigned server_cpu, client_cpu;
	unsigned conns;			/* per repetition */
	const struct handoff_variant *v;	/* the running server's */
	double *lat_ns;			/* conns samples of the current rep */
	bool cdf_added;			/* first rep of this variant kept for the CDF */
};

/* ---- server ------------------------------------------------------------ */

/* In the child: a one-worker appliance with the variant's tcp-echo service. */
static int serve(void *arg)
{
	const struct handoff_bench *b = arg;
	char yaml[1024];
	int n = snprintf(yaml, sizeof(yaml),
			 "workers:\n  count: 1\n  cpus: [%u]\n"
			 "services:\n  - name: echo\n    type: tcp-echo\n    listen: 127.0.0.1:%u\n%s"
			 "metrics:\n  enabled: false\n"
			 "logging:\n  level: warn\n",
			 b->server_cpu, ntohs(b->addr.sin_port), b->v->service_extra);

	return rp_bench_appliance_serve("bench-handoff", yaml, (size_t)n);
}

/*
 * One connection: connect, send PAYLOAD bytes, read them back. Returns the
 * ns from connect() to the last echoed byte, or -errno.
 */
static long long one_connection(const struct sockaddr_in *a)
{
	char out[PAYLOAD] = "ringplan", in[PAYLOAD];
	int one = 1;
	size_t got = 0;
	unsigned long long t0;
	long long rc;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t0 = rp_bench_now_ns();
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0 ||
	    send(fd, out, sizeof(out), MSG_NOSIGNAL) != (ssize_t)sizeof(out)) {
		rc = -errno;
		goto out;
	}
	while (got < sizeof(in)) {
		ssize_t r = recv(fd, in + got, sizeof(in) - got, 0);

		if (r <= 0) {
			rc = r < 0 ? -errno : -ECONNRESET;
			goto out;
		}
		got += (size_t)r;
	}
	rc = (long long)(rp_bench_now_ns() - t0);
	if (memcmp(in, out, sizeof(in)))
		rc = -EBADMSG;
out:
	close(fd);
	return rc;
}

/* Up when one full connection echoes. */
static bool echoes(void *arg)
{
	const struct handoff_bench *b = arg;

	return one_connection(&b->addr) >= 0;
}

static pid_t server_start(struct handoff_bench *b)
{
	const struct rp_bench_child child = {
		.what = b->v->name, .sock_type = SOCK_STREAM, .cpu = b->server_cpu,
		.addr = &b->addr, .serve = serve, .ready = echoes, .arg = b,
	};

	return rp_bench_child_start(b->ctx, &child);
}

/* ---- cases ------------------------------------------------------------- */

static int rep_connections(void *arg, struct rp_bench_sample *s)
{
	struct handoff_bench *b = arg;
	unsigned long long start = rp_bench_now_ns();
	double wall;

	for (unsigned i = 0; i < b->conns; i++) {
		long long ns = one_connection(&b->addr);

		if (ns < 0) {
			fprintf(stderr, "bench handoff: %s: connection %u of %u: %s\n",
				b->v->name, i + 1, b->conns, strerror((int)-ns));
			return -1;
		}
		b->lat_ns[i] = (double)ns;
	}
	wall = (double)(rp_bench_now_ns() - start) / 1e9;
	if (!b->cdf_added) {
		rp_bench_cdf_add(b->ctx, "latency-cdf", b->v->name, b->lat_ns, b->conns);
		b->cdf_added = true;
	}
	rp_bench_metric(s, "p50", "ns", rp_bench_percentile(b->lat_ns, b->conns, 50));
	rp_bench_metric(s, "p99", "ns", rp_bench_percentile(b->lat_ns, b->conns, 99));
	rp_bench_metric(s, "p999", "ns", rp_bench_percentile(b->lat_ns, b->conns, 99.9));
	rp_bench_metric(s, "conn_rate", "conn/s", wall > 0 ? b->conns / wall : 0);
	rp_bench_metric(s, "connections", "count", b->conns);
	return 0;
}

static int rep_ratio(void *arg, struct rp_bench_sample *s)
{
	static const char *const metrics[] = { "p50", "p99" };
	const struct handoff_bench *b = arg;
	char name[32];

	for (unsigned i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		double h, d;

		if (!rp_bench_median(b->ctx, "handoff", NULL, 0, metrics[i], &h) ||
		    !rp_bench_median(b->ctx, "direct", NULL, 0, metrics[i], &d) || !d)
			continue;
		snprintf(name, sizeof(name), "%s_ratio", metrics[i]);
		rp_bench_metric(s, name, "x", h / d);
	}
	return 0;
}

static int handoff_run(struct rp_bench_ctx *ctx)
{
	struct handoff_bench b = {
		.ctx = ctx,
		.server_cpu = rp_bench_cpu(ctx, 0),
		.client_cpu = rp_bench_cpu(ctx, rp_bench_ncpus(ctx) > 1 ? 1 : 0),
		.conns = (unsigned)rp_bench_knob_num(ctx, "connections", 0),
	};
	int rc = 0;

	b.lat_ns = calloc(b.conns, sizeof(*b.lat_ns));
	if (!b.lat_ns)
		return rp_bench_fail(ctx, "out of memory for %u samples", b.conns);
	rp_bench_expect_cases(ctx, rp_bench_knob_n(ctx, "variants") +
				   (rp_bench_knob_n(ctx, "variants") == N_VARIANTS));
	rp_bench_param(ctx, RP_KV_STR("transport", "tcp over 127.0.0.1 (loopback, root namespace)"));
	rp_bench_param(ctx, RP_KV_NUM("payload", PAYLOAD));
	rp_bench_param(ctx, RP_KV_NUM("server_cpu", b.server_cpu));
	rp_bench_param(ctx, RP_KV_NUM("client_cpu", b.client_cpu));
	rp_bench_param(ctx, RP_KV_STR("ringplane_config", "1 worker, tcp-echo; handoff: acceptor ring + round-robin"));
	if (b.server_cpu == b.client_cpu)
		rp_bench_note(ctx, "only one CPU available: server and client share CPU %u",
			      b.server_cpu);
	rp_bench_pin_self(b.client_cpu);
	for (unsigned i = 0; i < N_VARIANTS && !rc; i++) {
		pid_t pid;

		if (!rp_bench_knob_has(ctx, "variants", variants[i].name))
			continue;
		b.v = &variants[i];
		b.cdf_added = false;
		pid = server_start(&b);
		if (pid < 0) {
			rc = -1;
			break;
		}
		rp_bench_case(ctx, b.v->name, NULL, 0, rep_connections, &b);
		rp_bench_child_stop(ctx, b.v->name, pid);
	}
	if (!rc && rp_bench_knob_n(ctx, "variants") == N_VARIANTS)
		rp_bench_case(ctx, "handoff/direct", NULL, 0, rep_ratio, &b);
	if (!rc) {
		rp_bench_plot_cdf(ctx, "latency-cdf", "TCP connect to first echoed byte",
				  "latency (ns)", true);
		rp_bench_note(ctx, "latency: connect() start to the 8-byte echo received, one "
			      "connection at a time (accept + first serve, incl. the handshake)");
		rp_bench_note(ctx, "handoff/direct rows: p50_ratio, p99_ratio > 1 is what the "
			      "MSG_RING handoff adds");
	}
	free(b.lat_ns);
	return rc;
}

const struct rp_bench_def rp_bench_handoff = {
	.name = "handoff",
	.summary = "TCP accept-to-first-byte: MSG_RING handoff from an acceptor vs the worker's own ring",
	.run = handoff_run,
	.knobs = knobs,
	.n_knobs = sizeof(knobs) / sizeof(knobs[0]),
};
