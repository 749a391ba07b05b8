/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench dpdk`: is ringplane's UDP reflector as fast as DPDK on
 * the same link? (see dpdk.h for the files)
 *
 * One veth pair between two private namespaces; the generator (dpdk_gen.c)
 * on the second CPU, the reflector and its side's NAPI thread on the first.
 * Reflectors run one at a time, each case's repetitions interleaved across
 * them. A repetition starts the reflector, waits until it answers, floods it
 * for `seconds` (reflected packets/s, loss, reflector CPU per packet), then
 * sends at a fixed `rate` for round trips (p50/p99), and stops it.
 *
 * Parameters: the knobs below (`--set key=value`, listed by `--help`,
 * recorded in the JSON).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/dpdk.h"

#define PROBE_MS 20000
#define MAX_LIST RP_BENCH_KNOB_MAX_VALUES

static const char *const variant_words[] = {
	"ringplane", "dpdk-af_packet", "dpdk-af_xdp", "kernel-recvmmsg",	/* reflect */
	"ringplane-auto", "ringplane-zc", "raw-generator", NULL,		/* tx-only too */
};
static const char *const mode_words[] = { "reflect", "tx-only", NULL };

static const struct rp_bench_knob knobs[] = {
	{ "variants", "reflectors (reflect) and senders (tx-only: ringplane-auto, ringplane-zc, "
	  "dpdk-af_packet, dpdk-af_xdp, raw-generator) measured",
	  "ringplane,dpdk-af_packet,dpdk-af_xdp,kernel-recvmmsg,ringplane-auto,ringplane-zc,"
	  "raw-generator", NULL, 0, 0, variant_words, true },
	{ "modes", "reflect (the reflectors) and tx-only (the senders)", "reflect,tx-only", NULL,
	  0, 0, mode_words, true },
	{ "sizes", "UDP payload bytes", "64,1500,8000", "64", 32, 8000, NULL, true },
	{ "flows", "source ports the generator cycles through", "1,64", NULL, 1, DPDK_MAX_FLOWS,
	  NULL, true },
	{ "seconds", "flood length per repetition (s)", "3", "0.5", 0.1, 600, NULL, false, true },
	{ "rate", "round-trip cases: frames/s on a fixed schedule", "20000", "5000", 100, 1e7,
	  NULL, false },
	{ "rtt_seconds", "round-trip phase length per repetition (s)", "2", "0.5", 0.1, 600, NULL,
	  false, true },
	{ "tx_seconds", "TX-only case length per repetition (s)", "2", "0.5", 0.1, 600, NULL,
	  false, true },
	{ "rcvbuf", "L4 reflectors' socket receive buffer in bytes, as net.core.rmem_default "
	  "would set it (0: the kernel default)", "4194304", NULL, 0, 1 << 30, NULL, false },
};

struct bench {
	struct rp_bench_ctx *ctx;
	struct dpdk_link link;
	unsigned sizes[MAX_LIST], n_sizes;
	unsigned flows[MAX_LIST], n_flows;
	double seconds, rate, rtt_seconds, tx_seconds;
	int rcvbuf;
};

struct refl_case {
	struct bench *b;
	enum dpdk_refl_kind kind;
	unsigned size, flows;
};

/* ---- parameters -------------------------------------------------------------- */

static void params(struct bench *b)
{
	struct rp_bench_ctx *ctx = b->ctx;

	b->n_sizes = rp_bench_knob_uints(ctx, "sizes", b->sizes);
	b->n_flows = rp_bench_knob_uints(ctx, "flows", b->flows);
	b->seconds = rp_bench_knob_num(ctx, "seconds", 0);
	b->rate = rp_bench_knob_num(ctx, "rate", 0);
	b->rtt_seconds = rp_bench_knob_num(ctx, "rtt_seconds", 0);
	b->tx_seconds = rp_bench_knob_num(ctx, "tx_seconds", 0);
	b->rcvbuf = (int)rp_bench_knob_num(ctx, "rcvbuf", 0);
}

/* ---- one repetition ------------------------------------------------------------ */

static void rtt_metrics(struct rp_bench_sample *s, const struct dpdk_gen_stats *st)
{
	double *v = st->rtt_ns;

	if (!st->n_rtt)
		return;
	rp_bench_metric(s, "rtt_p50", "ns", rp_bench_percentile(v, st->n_rtt, 50));
	rp_bench_metric(s, "rtt_p99", "ns", rp_bench_percentile(v, st->n_rtt, 99));
	rp_bench_metric(s, "rtt_loss", "x", 1 - (double)st->received / (double)st->sent);
}

/*
 * Wait until a frame sent now comes back: the reflector has worked through
 * what a flood left queued (its socket buffer, testpmd's ring). A loaded
 * reflector can take longer than the flood's drain: the next phase would
 * then measure that backlog (round trips of the queue, or none at all: no
 * rtt metrics) instead of the reflector at the rate.
 */
static bool caught_up(struct dpdk_gen *g, const struct dpdk_refl *r)
{
	char err[256];

	if (dpdk_gen_probe(g, PROBE_MS))
		return true;
	dpdk_refl_why(r, err, sizeof(err));
	fprintf(stderr, "bench dpdk: %s did not answer within %d s after a flood: %s\n",
		dpdk_refl_name(r->kind), PROBE_MS / 1000, err);
	return false;
}

/* Flood, then the fixed rate; the reflector is running and answers. */
static int measure(const struct refl_case *c, struct dpdk_gen *g, const struct dpdk_refl *r,
		   struct rp_bench_sample *s)
{
	const struct dpdk_link *l = &c->b->link;
	struct dpdk_gen_stats st;
	double cpu0, cpu, rcvbuf0;

	if (dpdk_gen_flood(g, 0.2, &st) < 0 || dpdk_gen_finish(g, &st) < 0 ||	/* warm-up */
	    !caught_up(g, r))
		return -1;
	rcvbuf0 = dpdk_link_refl_rcvbuf_errors(l);
	cpu0 = dpdk_refl_cpu_ns(r, l);
	if (dpdk_gen_flood(g, c->b->seconds, &st) < 0)
		return -1;
	cpu = dpdk_refl_cpu_ns(r, l) - cpu0;
	if (dpdk_gen_finish(g, &st) < 0 || !st.sent)
		return -1;
	rp_bench_metric(s, "pps", "pkt/s", (double)st.received / st.seconds);
	rp_bench_metric(s, "offered_pps", "pkt/s", (double)st.sent / st.seconds);
	rp_bench_metric(s, "loss", "x", 1 - (double)st.received / (double)st.sent);
	rp_bench_metric(s, "refl_cpu", "x", cpu / (st.seconds * 1e9));
	if (st.received)
		rp_bench_metric(s, "cpu_per_pkt", "ns", cpu / (double)st.received);
	rp_bench_metric(s, "gen_cpu", "x", st.gen_cpu);
	if (c->kind == DPDK_REFL_RINGPLANE || c->kind == DPDK_REFL_KERNEL)
		rp_bench_metric(s, "sock_drop", "x",
				(dpdk_link_refl_rcvbuf_errors(l) - rcvbuf0) / (double)st.sent);
	if (!caught_up(g, r))
		return -1;
	cpu0 = dpdk_refl_cpu_ns(r, l);
	if (dpdk_gen_paced(g, c->b->rate, c->b->rtt_seconds, &st) < 0) {
		free(st.rtt_ns);
		return -1;
	}
	cpu = dpdk_refl_cpu_ns(r, l) - cpu0;
	rtt_metrics(s, &st);
	if (st.received)
		rp_bench_metric(s, "rtt_cpu_per_pkt", "ns", cpu / (double)st.received);
	free(st.rtt_ns);
	return 0;
}

static int rep_reflect(void *arg, struct rp_bench_sample *s)
{
	const struct refl_case *c = arg;
	struct dpdk_link *l = &c->b->link;
	struct dpdk_refl r;
	struct dpdk_gen g;
	char err[512];
	bool l4 = c->kind == DPDK_REFL_RINGPLANE || c->kind == DPDK_REFL_KERNEL;
	int ret = -1;

	if (dpdk_link_reset(l, err, sizeof(err)) < 0 ||
	    dpdk_gen_open(&g, l, c->size, c->flows, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench dpdk: %s\n", err);
		return -1;
	}
	if (dpdk_refl_start(&r, l, c->kind, c->size, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench dpdk: %s: %s\n", dpdk_refl_name(c->kind), err);
		dpdk_gen_close(&g);
		return -1;
	}
	if (!dpdk_gen_probe(&g, PROBE_MS)) {
		dpdk_refl_why(&r, err, sizeof(err));
		fprintf(stderr, "bench dpdk: %s did not reflect within %d s: %s\n",
			dpdk_refl_name(c->kind), PROBE_MS / 1000, err);
	} else if (dpdk_link_pin_napi(l, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench dpdk: %s\n", err);
	} else if (l4 && c->b->rcvbuf && dpdk_refl_rcvbuf(&r, c->b->rcvbuf) < 1) {
		fprintf(stderr, "bench dpdk: %s: cannot set its sockets' receive buffer\n",
			dpdk_refl_name(c->kind));
	} else {
		ret = measure(c, &g, &r, s);
	}
	if (dpdk_refl_stop(&r, l, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench dpdk: %s\n", err);
		ret = -1;
	}
	dpdk_gen_close(&g);
	return ret;
}

/* ---- the grid ---------------------------------------------------------------------- */

static void run_reflectors(struct bench *b, unsigned size, unsigned flows)
{
	struct rp_bench_kv p[] = { RP_KV_STR("mode", "reflect"), RP_KV_NUM("size", size),
				   RP_KV_NUM("flows", flows) };
	struct refl_case cases[DPDK_REFL__COUNT];
	struct rp_bench_case_def defs[DPDK_REFL__COUNT];
	unsigned n = 0;

	for (unsigned k = 0; k < DPDK_REFL__COUNT; k++) {
		const char *why = dpdk_refl_unsupported((enum dpdk_refl_kind)k, size);

		if (!rp_bench_knob_has(b->ctx, "variants", dpdk_refl_name((enum dpdk_refl_kind)k)))
			continue;
		if (why) {
			if (flows == b->flows[0])
				rp_bench_note(b->ctx, "%s at %u B: not measured: %s",
					      dpdk_refl_name((enum dpdk_refl_kind)k), size, why);
			continue;
		}
		cases[n] = (struct refl_case){ b, (enum dpdk_refl_kind)k, size, flows };
		defs[n] = (struct rp_bench_case_def){ dpdk_refl_name((enum dpdk_refl_kind)k), p, 3,
						      rep_reflect, &cases[n] };
		n++;
	}
	rp_bench_cases_interleaved(b->ctx, defs, n);
}

/* ---- ratios -------------------------------------------------------------------------- */

struct ratio_case {
	struct bench *b;
	const char *peer;
	const struct rp_bench_kv *p;
};

static int rep_ratio(void *arg, struct rp_bench_sample *s)
{
	static const char *const metrics[] = { "pps", "cpu_per_pkt", "rtt_p50", "rtt_p99" };
	const struct ratio_case *r = arg;
	char name[48];

	for (unsigned i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		double rp, peer;

		if (!rp_bench_median(r->b->ctx, "ringplane", r->p, 3, metrics[i], &rp) ||
		    !rp_bench_median(r->b->ctx, r->peer, r->p, 3, metrics[i], &peer) || !peer)
			continue;
		snprintf(name, sizeof(name), "%s_ratio", metrics[i]);
		rp_bench_metric(s, name, "x", rp / peer);
	}
	return 0;
}

static void run_ratios(struct bench *b)
{
	char variant[64];

	for (unsigned i = 0; i < b->n_sizes; i++)
		for (unsigned f = 0; f < b->n_flows; f++)
			for (unsigned k = DPDK_REFL_RINGPLANE + 1; k < DPDK_REFL__COUNT; k++) {
				struct rp_bench_kv p[] = { RP_KV_STR("mode", "reflect"),
							   RP_KV_NUM("size", b->sizes[i]),
							   RP_KV_NUM("flows", b->flows[f]) };
				struct ratio_case r = { b, dpdk_refl_name((enum dpdk_refl_kind)k), p };
				double x;

				if (!rp_bench_median(b->ctx, r.peer, p, 3, "pps", &x) ||
				    !rp_bench_median(b->ctx, "ringplane", p, 3, "pps", &x))
					continue;
				snprintf(variant, sizeof(variant), "ringplane/%s", r.peer);
				rp_bench_case(b->ctx, variant, p, 3, rep_ratio, &r);
			}
}

static void plots(struct bench *b)
{
	for (unsigned f = 0; f < b->n_flows; f++) {
		struct rp_bench_kv where[] = { RP_KV_STR("mode", "reflect"),
					       RP_KV_NUM("flows", b->flows[f]) };
		char id[2][32], title[2][96];
		struct rp_bench_plot p[2] = {
			{ .id = id[0], .title = title[0], .x_param = "size", .y_metric = "pps",
			  .log_x = true, .where = where, .n_where = 2 },
			{ .id = id[1], .title = title[1], .x_param = "size", .y_metric = "cpu_per_pkt",
			  .log_x = true, .where = where, .n_where = 2 },
		};

		snprintf(id[0], sizeof(id[0]), "pps-flows%u", b->flows[f]);
		snprintf(title[0], sizeof(title[0]), "UDP reflector packets/s, %u flow(s)", b->flows[f]);
		snprintf(id[1], sizeof(id[1]), "cpu-flows%u", b->flows[f]);
		snprintf(title[1], sizeof(title[1]), "reflector CPU ns per packet, %u flow(s)",
			 b->flows[f]);
		rp_bench_plot_lines(b->ctx, &p[0]);
		rp_bench_plot_lines(b->ctx, &p[1]);
	}
	{
		struct rp_bench_kv where[] = { RP_KV_STR("mode", "tx-only") };
		struct rp_bench_plot p = { .id = "tx-gbps", .title = "TX only, one CPU: Gbit/s of UDP payload",
					   .x_param = "size", .y_metric = "gbps", .log_x = true,
					   .where = where, .n_where = 1 };

		rp_bench_plot_lines(b->ctx, &p);
	}
}

/* ---- notes ----------------------------------------------------------------------------- */

/* The scheduler autogroup the run is in, with its nice: on a shared machine
 * with autogroups, other sessions' niced builds still get an equal share
 * unless the benchmark's session is given a lower nice. */
static const char *autogroup(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/autogroup", "r");

	snprintf(buf, len, "unknown");
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	return buf;
}

/* /proc/loadavg's first three numbers: how busy the shared machine was. */
static const char *loadavg(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double a = 0, b = 0, c = 0;

	if (!f || fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "%.2f %.2f %.2f", a, b, c);
	if (f)
		fclose(f);
	return buf;
}

static void describe(struct bench *b)
{
	struct rp_bench_ctx *ctx = b->ctx;
	char ag[64];

	rp_bench_param(ctx, RP_KV_STR("link", "veth pair between two private network namespaces; "
				      "GRO on, threaded NAPI pinned to each side's CPU; MTU 1500, "
				      "3000 (1500 B payloads) or 9000 (8000 B)"));
	rp_bench_param(ctx, RP_KV_NUM("gen_cpu", b->link.gen_cpu));
	rp_bench_param(ctx, RP_KV_NUM("refl_cpu", b->link.refl_cpu));
	rp_bench_param(ctx, RP_KV_STR("generator", "1 thread: raw Ethernet/IPv4/UDP frames, "
				      "AF_PACKET sendmmsg batches of 64 (qdisc bypass), replies "
				      "read with recvmmsg on a second AF_PACKET socket"));
	rp_bench_param(ctx, RP_KV_STR("ringplane_config", "workers 1 (refl_cpu), buffers.size "
				      "4096 (16384 above 4 KB), everything else default: "
				      "zerocopy auto (threshold 4000), gso true"));
	rp_bench_param(ctx, RP_KV_STR("testpmd", "--no-huge -m 256 --no-pci --no-shconf --lcores=0@C,1@C "
				      "--vdev=net_af_packet0|net_af_xdp0 --forward-mode=macswap"));
	rp_bench_param(ctx, RP_KV_STR("autogroup", autogroup(ag, sizeof(ag))));
	rp_bench_param(ctx, RP_KV_STR("loadavg_start", loadavg(ag, sizeof(ag))));
	if (b->link.gen_cpu == b->link.refl_cpu)
		rp_bench_note(ctx, "only one CPU: generator and reflector share CPU %u",
			      b->link.gen_cpu);
}

static void conclude(struct rp_bench_ctx *ctx)
{
	char la[64];

	rp_bench_note(ctx, "load average at the end: %s (start: the loadavg_start parameter); "
		      "the machine is shared, so absolute numbers move with it",
		      loadavg(la, sizeof(la)));
	rp_bench_note(ctx, "counting: every frame carries a marker (run, phase, sequence, send "
		      "time) at the start of its UDP payload; the generator counts a frame it "
		      "receives as reflected when its payload has the marker of the current "
		      "phase, so testpmd's L2 reflections (same headers, MACs swapped) and the "
		      "L4 replies (new headers) are counted the same way");
	rp_bench_note(ctx, "pps: reflected frames per second while the generator floods; loss: "
		      "1 - reflected/sent; cpu_per_pkt: reflector CPU time (every thread of "
		      "the process plus the reflector device's NAPI thread) / reflected frames; "
		      "testpmd polls, so its refl_cpu is ~1 at any rate");
	rp_bench_note(ctx, "rtt_p50/p99: round trips at a fixed rate (the rate knob), measured "
		      "from each frame's scheduled send time");
	rp_bench_note(ctx, "sock_drop: datagrams the reflector's namespace dropped for a full "
		      "socket receive buffer (UdpRcvbufErrors) / sent; the L4 reflectors' UDP "
		      "sockets get the rcvbuf knob's receive buffer (set per socket, as "
		      "net.core.rmem_default would, which a namespace cannot set)");
	rp_bench_note(ctx, "UDP GSO replies are segmented before the wire (tx-udp-segmentation "
		      "off on the reflector's veth), as a NIC would, so the generator sees "
		      "datagrams");
	rp_bench_note(ctx, "ratios: ringplane/PEER per metric (pps_ratio > 1 and "
		      "cpu_per_pkt_ratio < 1 favour ringplane). Goals (reported, not asserted): "
		      "64 B pps >= 1.0x dpdk-af_packet and >= 0.8x dpdk-af_xdp; ahead of both at 8000 B");
}

/* ---- run -------------------------------------------------------------------------------- */

static bool have_testpmd(void)
{
	const char *path = getenv("PATH");
	char buf[4096], file[4200], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/bin:/bin");
	for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(file, sizeof(file), "%s/" DPDK_TESTPMD, d);
		if (!access(file, X_OK))
			return true;
	}
	return false;
}

static int dpdk_run(struct rp_bench_ctx *ctx)
{
	struct bench b = { .ctx = ctx };
	unsigned ncpu = rp_bench_ncpus(ctx);
	bool reflect = rp_bench_knob_has(ctx, "modes", "reflect");
	char err[512];
	int ret = 0;

	if (!have_testpmd())
		return rp_bench_fail(ctx, "DPDK is not installed (no " DPDK_TESTPMD " on PATH): "
				     "install Debian's DPDK with `apt-get install dpdk` (deploy/setup.sh "
				     "installs dpdk, dpdk-dev and libdpdk-dev)");
	rp_bench_quick_reps(ctx, 1);
	params(&b);
	if (dpdk_link_up(&b.link, rp_bench_cpu(ctx, ncpu > 1 ? 1 : 0), rp_bench_cpu(ctx, 0),
			 err, sizeof(err)) < 0)
		return rp_bench_fail(ctx, "%s", err);
	rp_bench_pin_self(b.link.gen_cpu);
	describe(&b);
	rp_bench_expect_cases(ctx, b.n_sizes * (b.n_flows * (2 * DPDK_REFL__COUNT - 1) + 5));
	for (unsigned i = 0; reflect && i < b.n_sizes && !ret; i++) {
		if (dpdk_link_mtu(&b.link, dpdk_mtu_for(b.sizes[i]), err, sizeof(err)) < 0) {
			ret = rp_bench_fail(ctx, "%s", err);
			break;
		}
		for (unsigned f = 0; f < b.n_flows; f++)
			run_reflectors(&b, b.sizes[i], b.flows[f]);
	}
	if (!ret && rp_bench_knob_has(ctx, "modes", "tx-only"))
		ret = dpdk_tx_run(ctx, &b.link, b.sizes, b.n_sizes, b.tx_seconds);
	dpdk_link_down(&b.link);
	if (ret)
		return ret;
	run_ratios(&b);
	plots(&b);
	conclude(ctx);
	return 0;
}

const struct rp_bench_def rp_bench_dpdk = {
	.name = "dpdk",
	.summary = "UDP reflector and TX only over veth: ringplane vs DPDK testpmd (af_packet, af_xdp) vs kernel",
	.run = dpdk_run,
	.knobs = knobs,
	.n_knobs = sizeof(knobs) / sizeof(knobs[0]),
};
