/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench zc-tx`: zerocopy send requests/s, reproducing the tables
 * of the SEND_ZC series (shared/seeds/004): copy vs SEND_ZC at sizes 64 B to
 * 64000 B and queue depths 1..64, on a dummy-like sink (ifb, UDP) and on veth
 * (TCP to a local sink), through
 *   path=ringplane  the appliance's transmit path (zc_tx_app.c): copy,
 *                   send_zc_fixed (policy always), auto (policy auto);
 *   path=raw        a raw liburing loop (baselines/raw_zc.c): copy, send_zc,
 *                   send_zc_fixed, sendmsg_zc, auto; plus sendmsg(2) with
 *                   MSG_ZEROCOPY (baselines/msg_zerocopy.c).
 *
 * Per case: req_s, req_per_cpu_s, gbit_s, cpu_ns_per_req (the sending
 * thread's user+system time) and user_ns_per_req, notifs_per_req,
 * zc_copied_frac (every zerocopy send asks IORING_SEND_ZC_REPORT_USAGE),
 * ratio_vs_copy (same target/path/size/batch), auto_vs_best (auto vs the
 * better of copy and send_zc_fixed), ringplane_vs_raw and auto_vs_twin (auto
 * vs the mode it sends with: the noise); the same ratios by CPU time
 * (cpu_ratio_vs_copy, ...). The variants of one size and batch run
 * interleaved and every ratio is taken within a repetition (zc_tx_group.c).
 * At the end the benchmark derives the size from which zerocopy wins (ifb,
 * deepest batch) and records it as the suggested auto threshold.
 *
 * Everything runs in private network namespaces (bench/netns.h): root only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/zc_tx.h"
#include "config/config.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define FULL_BUDGET_S	480.0	/* the whole matrix's measured time */
#define WARMUP_S	0.02
#define REP_OVERHEAD_S	0.01	/* ring, registration, socket, drain */
#define MIN_SECONDS	0.05
#define MAX_SECONDS	0.5

static const char *const mode_names[ZC_MODE__COUNT] = {
	[ZC_MODE_COPY] = "copy",
	[ZC_MODE_SEND_ZC] = "send_zc",
	[ZC_MODE_SEND_ZC_FIXED] = "send_zc_fixed",
	[ZC_MODE_SENDMSG_ZC] = "sendmsg_zc",
	[ZC_MODE_AUTO] = "auto",
	[ZC_MODE_MSG_ZEROCOPY] = "msg_zerocopy",
};

const char *zc_tx_mode_name(enum zc_tx_mode m)
{
	return m < ZC_MODE__COUNT ? mode_names[m] : "?";
}

const char *const zc_tx_paths[] = { "raw", "ringplane", NULL };	/* also the paths knob's words */
const unsigned zc_tx_n_paths = N_OF(zc_tx_paths) - 1;

static const char *const mode_words[] = {
	"copy", "send_zc", "send_zc_fixed", "sendmsg_zc", "auto", "msg_zerocopy", NULL,
};
static const char *const target_words[] = { "ifb", "veth", NULL };

static const struct rp_bench_knob knobs[] = {
	{ "sizes", "request sizes (bytes)", "64,600,1000,1200,1500,4000,8000,16000,32000,64000",
	  "600,8000,64000", 1, ZC_TX_MAX_SIZE, NULL, true },
	{ "batches", "requests submitted per io_uring_enter", "1,8,32,64", "64", 1, 256, NULL, true },
	{ "modes", "send modes (the ringplane path has copy, send_zc_fixed and auto)",
	  "copy,send_zc,send_zc_fixed,sendmsg_zc,auto,msg_zerocopy", "copy,send_zc_fixed,auto",
	  0, 0, mode_words, true },
	{ "paths", "the raw liburing loop, the appliance's transmit path", "raw,ringplane", NULL,
	  0, 0, zc_tx_paths, true },
	{ "targets", "where the sends go", "ifb,veth", NULL, 0, 0, target_words, true },
	{ "seconds", "measured time per repetition (s); 0: the full run's 480 s budget over "
	  "every repetition (0.05..0.5 each)", "0", "0.2", 0, 60, NULL, false, true },
};

static const struct zc_tx_plan full_plan = { .budget_s = FULL_BUDGET_S };

/* ---- the matrix ------------------------------------------------------------ */

static bool target_runs(const struct zc_tx_bench *b, const struct zc_tx_target *t)
{
	return (!b->plan->only_target || !strcmp(b->plan->only_target, t->name)) &&
	       rp_bench_knob_allows(b->ctx, "targets", t->name);
}

static void sort_sizes(unsigned *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			unsigned t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

void zc_tx_plan_knobs(struct zc_tx_bench *b, const struct zc_tx_plan *base)
{
	struct zc_tx_plan *p = &b->plan_knobs;
	unsigned n;

	*p = *base;
	n = rp_bench_knob_uints(b->ctx, "sizes", b->sizes);
	if (n) {
		sort_sizes(b->sizes, n);	/* the crossover walks them in order */
		p->sizes = b->sizes;
		p->n_sizes = n;
	}
	n = rp_bench_knob_uints(b->ctx, "batches", b->batches);
	if (n) {
		p->batches = b->batches;
		p->n_batches = n;
	}
	if (rp_bench_knob_n(b->ctx, "seconds") && rp_bench_knob_num(b->ctx, "seconds", 0) > 0) {
		p->budget_s = 0;
		p->seconds = rp_bench_knob_num(b->ctx, "seconds", 0);
	}
	b->plan = p;
}

static unsigned count_cases(const struct zc_tx_bench *b)
{
	unsigned targets = 0;

	for (unsigned i = 0; i < zc_tx_n_targets; i++)
		targets += target_runs(b, &zc_tx_targets[i]);
	return zc_tx_group_variants(b) * b->plan->n_sizes * b->plan->n_batches * targets;
}

static int run_target(struct zc_tx_bench *b, const struct zc_tx_target *t)
{
	char err[256];
	int ret;

	b->target = t;
	ret = t->setup(&b->env, err, sizeof(err));
	if (ret == 0) {
		rp_bench_note(b->ctx, "target %s: %s", t->name, t->what);
		/* the run's first repetitions came out slowest: in the first
		 * goals run, raw copy and auto at 64 B had 475k and 491k req/s in
		 * repetition 1 against medians of 577k and 657k */
		if (b->plan->warm_round)
			zc_tx_group_warm(b, b->plan->sizes[0], b->plan->batches[0]);
		for (unsigned bi = 0; bi < b->plan->n_batches; bi++)
			for (unsigned si = 0; si < b->plan->n_sizes; si++)
				zc_tx_group_run(b, b->plan->sizes[si], b->plan->batches[bi]);
	} else {
		rp_bench_note(b->ctx, "target %s could not be set up: %s", t->name, err);
	}
	t->teardown(&b->env);
	return ret;
}

/* ---- the auto threshold ------------------------------------------------------ */

/*
 * The smallest size from which send_zc_fixed is at least as fast as copy at
 * every larger measured size (ifb, deepest batch), by the median of the
 * per-repetition ratio: below it, the per-request notification costs more
 * than the copy it saves. 0: zerocopy never catches up within the measured
 * sizes.
 */
static unsigned crossover(const struct zc_tx_bench *b, const char *path, const char *ratio)
{
	unsigned batch = b->plan->batches[b->plan->n_batches - 1], found = 0;

	for (unsigned i = b->plan->n_sizes; i-- > 0;) {
		struct rp_bench_kv p[] = {
			RP_KV_STR("target", "ifb"), RP_KV_STR("path", path),
			RP_KV_NUM("size", b->plan->sizes[i]), RP_KV_NUM("batch", batch),
		};
		double x;

		if (!rp_bench_median(b->ctx, "send_zc_fixed", p, N_OF(p), ratio, &x) || x < 1)
			break;
		found = b->plan->sizes[i];
	}
	return found;
}

static void report_threshold(struct zc_tx_bench *b)
{
	unsigned batch = b->plan->batches[b->plan->n_batches - 1];
	char key[48];

	for (unsigned i = 0; i < zc_tx_n_paths; i++)
		for (unsigned m = 0; m < zc_tx_n_measures; m++) {
			const char *metric = zc_tx_measures[m].metric;
			unsigned t = crossover(b, zc_tx_paths[i], zc_tx_measures[m].vs_copy);

			snprintf(key, sizeof(key), "crossover_size_%s%s", zc_tx_paths[i],
				 zc_tx_measures[m].suffix);
			rp_bench_param(b->ctx, RP_KV_NUM(key, t));
			if (t)
				rp_bench_note(b->ctx, "%s path, ifb, batch %u, by %s: send_zc_fixed >= "
					      "copy from %u B on (every larger size measured): suggested "
					      "auto threshold %u (auto used %u in this run)", zc_tx_paths[i],
					      batch, metric, t, t, b->threshold);
			else
				rp_bench_note(b->ctx, "%s path, ifb, batch %u, by %s: send_zc_fixed is "
					      "below copy at the largest size measured: no crossover",
					      zc_tx_paths[i], batch, metric);
		}
}

/* ---- plots ----------------------------------------------------------------- */

static void plots(struct zc_tx_bench *b)
{
	unsigned batch = b->plan->batches[b->plan->n_batches - 1];

	for (unsigned i = 0; i < zc_tx_n_paths; i++) {
		struct rp_bench_kv where[] = {
			RP_KV_STR("target", "ifb"), RP_KV_STR("path", zc_tx_paths[i]),
			RP_KV_NUM("batch", batch),
		};
		char id[2][32], title[2][96];
		struct rp_bench_plot p[2] = {
			{ .id = id[0], .title = title[0], .x_param = "size", .y_metric = "req_s",
			  .log_x = true, .where = where, .n_where = 3 },
			{ .id = id[1], .title = title[1], .x_param = "size", .y_metric = "ratio_vs_copy",
			  .log_x = true, .where = where, .n_where = 3 },
		};

		snprintf(id[0], sizeof(id[0]), "req-s-ifb-%s", zc_tx_paths[i]);
		snprintf(id[1], sizeof(id[1]), "ratio-ifb-%s", zc_tx_paths[i]);
		snprintf(title[0], sizeof(title[0]), "requests/s by size, ifb, %s path, batch %u",
			 zc_tx_paths[i], batch);
		snprintf(title[1], sizeof(title[1]), "requests/s relative to copy, ifb, %s path, batch %u",
			 zc_tx_paths[i], batch);
		rp_bench_plot_lines(b->ctx, &p[0]);
		rp_bench_plot_lines(b->ctx, &p[1]);
	}
}

/* ---- run ------------------------------------------------------------------- */

static int default_threshold(struct zc_tx_bench *b)
{
	struct rp_config cfg;
	struct rp_cfg_errors errs = { 0 };
	int ret = rp_config_load_default(&cfg, &errs);

	if (ret == 0)
		b->threshold = cfg.zerocopy.threshold;
	else
		rp_cfg_errors_print(stderr, &errs);
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
	return ret == 0 ? 0 : rp_bench_fail(b->ctx, "cannot load the default config "
					   "(for the auto threshold)");
}

static void set_duration(struct zc_tx_bench *b, unsigned cases)
{
	double per;

	if (b->plan->budget_s <= 0) {
		b->seconds = b->plan->seconds;
		return;
	}
	/* fit the whole matrix in the budget, whatever --reps says */
	per = b->plan->budget_s / ((double)cases * rp_bench_reps(b->ctx)) - WARMUP_S -
	      REP_OVERHEAD_S;
	b->seconds = per < MIN_SECONDS ? MIN_SECONDS : per > MAX_SECONDS ? MAX_SECONDS : per;
}

static void record_params(struct zc_tx_bench *b, unsigned sender_cpu)
{
	rp_bench_param(b->ctx, RP_KV_NUM("seconds_per_rep", b->seconds));
	rp_bench_param(b->ctx, RP_KV_NUM("warmup_s", b->warmup_s));
	rp_bench_param(b->ctx, RP_KV_STR("method", "interleaved: each repetition runs every "
				      "variant of a size and batch back to back, order rotated per "
				      "repetition; ratios per repetition, then median (min..max)"));
	rp_bench_param(b->ctx, RP_KV_NUM("auto_threshold", b->threshold));
	rp_bench_param(b->ctx, RP_KV_NUM("sender_cpu", sender_cpu));
	rp_bench_param(b->ctx, RP_KV_NUM("sink_cpu", b->env.sink_cpu));
	rp_bench_param(b->ctx, RP_KV_STR("buffers", "2 x batch per sender, reused only after the "
				      "kernel is done (send CQE for copy, F_NOTIF for zerocopy)"));
}

static void goal_notes(struct rp_bench_ctx *ctx)
{
	rp_bench_note(ctx, "goals (reported, not asserted): ringplane send_zc_fixed >= 1.25x copy "
		      "at 8000 B and >= 1.4x at 16000 B on ifb (ratio_vs_copy); auto_vs_best "
		      ">= 0.95; ringplane_vs_raw >= 0.95");
	rp_bench_note(ctx, "cpu_ns_per_req is the sending thread's user+system time "
		      "(getrusage RUSAGE_THREAD); io_uring work done inline is included");
	rp_bench_note(ctx, "zc_copied_frac: zerocopy sends whose notification said "
		      "IORING_NOTIF_USAGE_ZC_COPIED (SO_EE_CODE_ZEROCOPY_COPIED for msg_zerocopy)");
}

int zc_tx_bench_run(struct zc_tx_bench *b)
{
	struct rp_bench_ctx *ctx = b->ctx;
	unsigned sender_cpu = rp_bench_cpu(ctx, 0), cases, tried = 0;
	char err[256];
	int failed = 0;

	b->warmup_s = WARMUP_S;
	b->env.sink_cpu = (int)rp_bench_cpu(ctx, rp_bench_ncpus(ctx) > 1 ? 1 : 0);
	b->env.listen_fd = -1;
	if (default_threshold(b) < 0)
		return -1;
	cases = count_cases(b);
	rp_bench_expect_cases(ctx, cases);
	set_duration(b, cases);
	record_params(b, sender_cpu);
	if (bench_netns_enter(&b->env.ns, err, sizeof(err)) < 0)
		return rp_bench_fail(ctx, "%s", err);
	rp_bench_pin_self(sender_cpu);
	for (unsigned i = 0; i < zc_tx_n_targets; i++) {
		if (!target_runs(b, &zc_tx_targets[i]))
			continue;
		tried++;
		failed += run_target(b, &zc_tx_targets[i]) < 0;
	}
	bench_netns_leave(&b->env.ns);
	if (failed == (int)tried)
		return rp_bench_fail(ctx, "no target could be set up (see the notes)");
	report_threshold(b);
	plots(b);
	return 0;
}

static int zc_tx_run(struct rp_bench_ctx *ctx)
{
	struct zc_tx_bench b = { .ctx = ctx };

	zc_tx_plan_knobs(&b, &full_plan);
	rp_bench_quick_reps(ctx, 1);
	if (zc_tx_bench_run(&b) < 0)
		return -1;
	goal_notes(ctx);
	return 0;
}

const struct rp_bench_def rp_bench_zc_tx = {
	.name = "zc-tx",
	.summary = "zerocopy send requests/s (SEND_ZC vs copy vs MSG_ZEROCOPY) on ifb and veth",
	.run = zc_tx_run,
	.knobs = knobs,
	.n_knobs = N_OF(knobs),
};
