/* SPDX-License-Identifier: MIT */
/*
 * TX only (see dpdk.h): how fast one CPU puts UDP datagrams on the veth,
 * the far end dropping them (no address there, so the kernel drops them in
 * routing, on the far side's own CPU):
 *
 *   ringplane-auto  the appliance's transmit path (bench/zc_tx_app.c) with
 *                   the default zerocopy policy (copy below the threshold,
 *                   SEND_ZC from registered buffers at or above it)
 *   ringplane-zc    the same path, SEND_ZC from registered buffers always
 *   dpdk-af_packet  testpmd --forward-mode=flowgen on net_af_packet
 *   dpdk-af_xdp     testpmd --forward-mode=flowgen on net_af_xdp
 *   raw-generator   the reflector cases' generator (dpdk_gen.c) alone: what
 *                   it offers the reflectors at most
 *
 * testpmd reports its rate once a second (--stats-period 1); its first
 * nonzero period (start-up) is dropped and the median of the rest taken.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/dpdk.h"
#include "bench/zc_tx.h"
#include "config/config.h"

#define TESTPMD_WAIT_S 60	/* start-up and the periods, at most */

struct tx_bench {
	struct rp_bench_ctx *ctx;
	struct dpdk_link *l;
	double seconds;
	unsigned threshold;
};

struct tx_case {
	struct tx_bench *b;
	const char *variant;
	unsigned size;
	int mode;		/* enum zc_tx_mode for ringplane */
	bool af_xdp;
};

/* Every case starts from the same link: up, the generator side addressed
 * with its permanent neighbour (a testpmd that ran before took it down). */
static int reset(struct tx_bench *b)
{
	char err[256];

	if (dpdk_link_reset(b->l, err, sizeof(err)) < 0 ||
	    dpdk_link_gen_addr(b->l, true, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench dpdk: %s\n", err);
		return -1;
	}
	return 0;
}

static void rate_metrics(struct rp_bench_sample *s, double pps, unsigned size, double cpu)
{
	rp_bench_metric(s, "pps", "pkt/s", pps);
	rp_bench_metric(s, "gbps", "Gbit/s", pps * size * 8 / 1e9);
	if (cpu > 0)
		rp_bench_metric(s, "sender_cpu", "x", cpu);
}

/* ---- ringplane ---------------------------------------------------------------- */

static int rep_ringplane(void *arg, struct rp_bench_sample *s)
{
	const struct tx_case *c = arg;
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(DPDK_PORT),
				   .sin_addr.s_addr = c->b->l->refl_ip };
	struct zc_tx_result r = { 0 };
	struct zc_tx_case zc = { .mode = (enum zc_tx_mode)c->mode, .size = c->size, .batch = 64,
				 .auto_threshold = c->b->threshold, .warmup_s = 0.3,
				 .seconds = c->b->seconds };
	int ret;

	if (reset(c->b) < 0)
		return -1;
	zc.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (zc.fd < 0 || connect(zc.fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		fprintf(stderr, "bench dpdk: tx socket: %s\n", strerror(errno));
		if (zc.fd >= 0)
			close(zc.fd);
		return -1;
	}
	ret = zc_tx_app_run(&zc, &r);
	close(zc.fd);
	if (ret < 0 || !r.wall_ns) {
		fprintf(stderr, "bench dpdk: %s\n", r.err);
		return -1;
	}
	rate_metrics(s, (double)r.requests * 1e9 / (double)r.wall_ns, c->size,
		     (double)r.cpu_ns / (double)r.wall_ns);
	if (r.zc_sends)
		rp_bench_metric(s, "zc_copied_share", "x", (double)r.zc_copied / (double)r.zc_sends);
	return 0;
}

/* ---- testpmd flowgen ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of the "Tx-pps:" lines after the first nonzero one (0: none);
 * how many there were in *n_out. */
static double flowgen_pps(const char *log, unsigned *n_out)
{
	double v[256];
	unsigned n = 0;
	bool started = false;
	char line[256];
	FILE *f = fopen(log, "r");

	*n_out = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && n < 256) {
		char *p = strstr(line, "Tx-pps:");
		double pps;

		if (!p || sscanf(p + 7, "%lf", &pps) != 1 || pps <= 0)
			continue;
		if (started)
			v[n++] = pps;
		started = true;
	}
	fclose(f);
	*n_out = n;
	if (!n)
		return 0;
	qsort(v, n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

static int rep_flowgen(void *arg, struct rp_bench_sample *s)
{
	const struct tx_case *c = arg;
	struct dpdk_link *l = c->b->l;
	char log[64], err[256];
	struct dpdk_argv a;
	bool gone = false;
	unsigned periods, want = (unsigned)(c->b->seconds + 0.999);
	double pps;
	int out;
	pid_t pid;

	if (reset(c->b) < 0)
		return -1;
	snprintf(log, sizeof(log), "/tmp/rp-bench-dpdk-tx-%d.log", (int)getpid());
	dpdk_testpmd_argv(&a, c->af_xdp, l->gen_if, l->gen_cpu, l->mtu, "tx");
	dpdk_argv_add(&a, "--forward-mode=flowgen");
	dpdk_argv_add(&a, "--flowgen-flows=1");
	dpdk_argv_add(&a, "--txpkts=%u", c->size + 46);	/* + Ethernet, IP, UDP, CRC */
	dpdk_argv_add(&a, "--stats-period=1");
	out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return -1;
	pid = dpdk_spawn(l, BENCH_NS_SELF, l->gen_cpu, -1, out, a.v, err, sizeof(err));
	close(out);
	if (pid < 0) {
		fprintf(stderr, "bench dpdk: %s\n", err);
		return -1;
	}
	/* until it has reported `seconds` full periods after its first */
	for (unsigned i = 0; i < TESTPMD_WAIT_S * 10; i++) {
		usleep(100000);
		flowgen_pps(log, &periods);
		if (periods >= want)
			break;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			gone = true;
			break;
		}
	}
	if (!gone) {
		kill(pid, SIGINT);
		dpdk_wait(pid);
	}
	pps = flowgen_pps(log, &periods);
	unlink(log);
	dpdk_testpmd_cleanup("tx");
	if (pps <= 0) {
		fprintf(stderr, "bench dpdk: testpmd flowgen reported no Tx-pps (%s)\n",
			c->variant);
		return -1;
	}
	rate_metrics(s, pps, c->size, 0);
	return 0;
}

/* ---- the raw generator alone -------------------------------------------------------- */

static int rep_raw(void *arg, struct rp_bench_sample *s)
{
	const struct tx_case *c = arg;
	struct dpdk_gen g;
	struct dpdk_gen_stats st;
	char err[256];
	int ret;

	if (reset(c->b) < 0 || dpdk_gen_open(&g, c->b->l, c->size, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench dpdk: %s\n", err);
		return -1;
	}
	ret = dpdk_gen_flood(&g, c->b->seconds, &st);
	dpdk_gen_close(&g);
	if (ret < 0 || st.seconds <= 0)
		return -1;
	rate_metrics(s, (double)st.sent / st.seconds, c->size, st.gen_cpu);
	return 0;
}

/* ---- the run ------------------------------------------------------------------------ */

static int default_threshold(unsigned *out)
{
	struct rp_config cfg;
	struct rp_cfg_errors errs = { 0 };
	int ret = rp_config_load_default(&cfg, &errs);

	if (!ret)
		*out = cfg.zerocopy.threshold;
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
	return ret;
}

static void run_size(struct tx_bench *b, unsigned size)
{
	struct tx_case cases[] = {
		{ b, "ringplane-auto", size, ZC_MODE_AUTO, false },
		{ b, "ringplane-zc", size, ZC_MODE_SEND_ZC_FIXED, false },
		{ b, "dpdk-af_packet", size, 0, false },
		{ b, "dpdk-af_xdp", size, 0, true },
		{ b, "raw-generator", size, 0, false },
	};
	rp_bench_rep_fn fns[] = { rep_ringplane, rep_ringplane, rep_flowgen, rep_flowgen, rep_raw };
	struct rp_bench_kv params[] = { RP_KV_STR("mode", "tx-only"), RP_KV_NUM("size", size),
					RP_KV_NUM("flows", 1) };
	struct rp_bench_case_def defs[5];
	unsigned n = 0;

	for (unsigned i = 0; i < 5; i++) {
		if ((cases[i].af_xdp && dpdk_refl_unsupported(DPDK_REFL_AF_XDP, size)) ||
		    !rp_bench_knob_has(b->ctx, "variants", cases[i].variant))
			continue;
		defs[n++] = (struct rp_bench_case_def){ cases[i].variant, params, 3, fns[i], &cases[i] };
	}
	rp_bench_cases_interleaved(b->ctx, defs, n);
}

int dpdk_tx_run(struct rp_bench_ctx *ctx, struct dpdk_link *l, const unsigned *sizes,
		unsigned n_sizes, double seconds)
{
	struct tx_bench b = { .ctx = ctx, .l = l, .seconds = seconds };
	char err[256];

	if (default_threshold(&b.threshold) < 0)
		return rp_bench_fail(ctx, "cannot load the default config (zerocopy threshold)");
	if (dpdk_link_refl_addr(l, false, err, sizeof(err)) < 0 ||
	    dpdk_link_gen_addr(l, true, err, sizeof(err)) < 0)
		return rp_bench_fail(ctx, "%s", err);
	for (unsigned i = 0; i < n_sizes; i++) {
		if (dpdk_link_mtu(l, dpdk_mtu_for(sizes[i]), err, sizeof(err)) < 0)
			return rp_bench_fail(ctx, "%s", err);
		run_size(&b, sizes[i]);
	}
	dpdk_link_gen_addr(l, false, err, sizeof(err));
	return 0;
}
