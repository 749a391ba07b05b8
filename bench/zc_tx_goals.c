/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench zc-tx-goals`: the goals of issue #7, decided on long,
 * interleaved repetitions. It measures only what the goals compare, with
 * the zc-tx code (zc_tx.h): target ifb, batch 64, the ten sizes, the modes
 * copy / send_zc_fixed / auto on the appliance path and on the raw loop,
 * every repetition 0.5 s, at least 7 repetitions, the six senders of a size
 * interleaved (zc_tx_group.c). Goals (reported, never asserted):
 *
 *   (a) ringplane send_zc_fixed >= 1.25x copy at 8000 B, >= 1.4x at 16000 B
 *   (b) ringplane auto >= 0.95x the better of copy and send_zc_fixed, every size
 *   (c) ringplane >= 0.95x the raw loop, every mode and size
 *
 * Why a second benchmark: the full zc-tx matrix (720 cases) splits its time
 * budget into 0.1 s repetitions, and on this machine's two shared vCPUs a
 * 0.1 s repetition spreads about +-15%: goals that ask for 5% cannot be
 * decided from it. Here each ratio is taken within one repetition, on 0.5 s
 * windows, and judged by its median over the repetitions; min..max shows
 * what the noise still does.
 */
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/zc_tx.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define MIN_REPS	7	/* fewer cannot decide a 5% goal on this noise */
#define DEFAULT_REPS	15	/* what the committed results used: ~8 min */
#define BATCH		64
#define AUTO_GOAL	0.95
#define RAW_GOAL	0.95

static const unsigned batches[] = { BATCH };

/* The goals fix the target, batch and modes; sizes and length are knobs
 * (--quick: the same cases, briefly, for the suite's shape test and
 * callgrind). */
static const struct rp_bench_knob knobs[] = {
	{ "sizes", "request sizes (bytes)", "64,600,1000,1200,1500,4000,8000,16000,32000,64000",
	  NULL, 1, ZC_TX_MAX_SIZE, NULL, true },
	{ "seconds", "measured time per repetition (s): 5x the full zc-tx matrix's", "0.5", "0.05",
	  0.01, 60, NULL, false, true },
};

static const struct zc_tx_plan goals_plan = {
	.batches = batches, .n_batches = 1,
	.only_target = "ifb", .core_variants = true, .warm_round = true,
};

/* Goal (a): send_zc_fixed over copy at a size, per path. */
static const struct { unsigned size; double at_least; } zc_goals[] = {
	{ 8000, 1.25 }, { 16000, 1.4 },
};

static const char *const modes[] = { "copy", "send_zc_fixed", "auto" };

/* The median over repetitions of a per-repetition metric, ifb, batch 64. */
static bool median_at(const struct zc_tx_bench *b, const char *variant, const char *path,
		      unsigned size, const char *metric, double *out)
{
	struct rp_bench_kv p[] = {
		RP_KV_STR("target", "ifb"), RP_KV_STR("path", path),
		RP_KV_NUM("size", size), RP_KV_NUM("batch", BATCH),
	};

	return rp_bench_median(b->ctx, variant, p, N_OF(p), metric, out);
}

static const char *verdict(double x, double goal)
{
	return x >= goal ? "met" : "NOT met";
}

static void goal_zc(struct zc_tx_bench *b, const char *path)
{
	for (unsigned i = 0; i < N_OF(zc_goals); i++) {
		unsigned size = zc_goals[i].size;
		double x, cpu = 0;
		char key[48];

		if (!median_at(b, "send_zc_fixed", path, size, "ratio_vs_copy", &x))
			continue;
		median_at(b, "send_zc_fixed", path, size, "cpu_ratio_vs_copy", &cpu);
		snprintf(key, sizeof(key), "goal_zc_vs_copy_%u_%s", size, path);
		rp_bench_param(b->ctx, RP_KV_NUM(key, x));
		rp_bench_note(b->ctx, "goal (a), %s path: send_zc_fixed / copy at %u B, median of "
			      "per-repetition ratios %.2f (per CPU-s %.2f), goal >= %.2f: %s", path,
			      size, x, cpu, zc_goals[i].at_least, verdict(x, zc_goals[i].at_least));
	}
}

/*
 * The worst size of a ratio metric that must stay >= goal at every size:
 * recorded as goal_KEY (the worst median) and goal_KEY_size, with a note
 * that names every size below the goal.
 */
static void goal_every_size(struct zc_tx_bench *b, const char *label, const char *variant,
			    const char *path, const char *metric, double goal, const char *key)
{
	char below[256] = "", name[64];
	double worst = 0;
	unsigned worst_size = 0, n = 0, n_below = 0;
	size_t len = 0;

	for (unsigned i = 0; i < b->plan->n_sizes; i++) {
		unsigned size = b->plan->sizes[i];
		double x;

		if (!median_at(b, variant, path, size, metric, &x))
			continue;
		if (!n++ || x < worst) {
			worst = x;
			worst_size = size;
		}
		if (x < goal && len < sizeof(below)) {
			len += (size_t)snprintf(below + len, sizeof(below) - len, "%s%u B %.2f",
						n_below ? ", " : "", size, x);
			n_below++;
		}
	}
	if (!n)
		return;
	snprintf(name, sizeof(name), "goal_%s", key);
	rp_bench_param(b->ctx, RP_KV_NUM(name, worst));
	snprintf(name, sizeof(name), "goal_%s_size", key);
	rp_bench_param(b->ctx, RP_KV_NUM(name, worst_size));
	rp_bench_note(b->ctx, "%s: worst median %.2f at %u B; %u of %u sizes below %.2f%s%s%s: %s",
		      label, worst, worst_size, n_below, n, goal, n_below ? " (" : "",
		      below, n_below ? ")" : "", verdict(worst, goal));
}

/*
 * The yardstick: auto and its twin (copy below the threshold, send_zc_fixed
 * at or above) do identical work, so how far the median of their ratio
 * strays from 1.00 is how far any median here can stray by noise alone.
 */
static void noise_floor(struct zc_tx_bench *b, const char *path)
{
	double lo = 0, hi = 0;
	unsigned n = 0, lo_size = 0, hi_size = 0;
	char key[48];

	for (unsigned i = 0; i < b->plan->n_sizes; i++) {
		unsigned size = b->plan->sizes[i];
		double x;

		if (!median_at(b, "auto", path, size, "auto_vs_twin", &x))
			continue;
		if (!n || x < lo)
			lo = x, lo_size = size;
		if (!n++ || x > hi)
			hi = x, hi_size = size;
	}
	if (!n)
		return;
	snprintf(key, sizeof(key), "noise_twin_min_%s", path);
	rp_bench_param(b->ctx, RP_KV_NUM(key, lo));
	snprintf(key, sizeof(key), "noise_twin_max_%s", path);
	rp_bench_param(b->ctx, RP_KV_NUM(key, hi));
	rp_bench_note(b->ctx, "noise, %s path: auto / the mode it sends with (identical work), "
		      "median by size %.2f (%u B) .. %.2f (%u B); a goal missed by less than "
		      "this is not resolved", path, lo, lo_size, hi, hi_size);
}

static void goals(struct zc_tx_bench *b)
{
	char label[96], key[48];

	for (unsigned i = 0; i < zc_tx_n_paths; i++) {
		goal_zc(b, zc_tx_paths[i]);
		snprintf(label, sizeof(label), "goal (b), %s path: auto / max(copy, send_zc_fixed)",
			 zc_tx_paths[i]);
		snprintf(key, sizeof(key), "auto_vs_best_%s", zc_tx_paths[i]);
		goal_every_size(b, label, "auto", zc_tx_paths[i], "auto_vs_best", AUTO_GOAL, key);
	}
	for (unsigned i = 0; i < zc_tx_n_paths; i++)
		noise_floor(b, zc_tx_paths[i]);
	for (unsigned m = 0; m < N_OF(modes); m++) {
		snprintf(label, sizeof(label), "goal (c), %s: ringplane / raw", modes[m]);
		snprintf(key, sizeof(key), "vs_raw_%s", modes[m]);
		goal_every_size(b, label, modes[m], "ringplane", "ringplane_vs_raw", RAW_GOAL, key);
	}
	rp_bench_note(b->ctx, "every goal is judged on the median over repetitions of a ratio "
		      "taken within one repetition (the table shows its min..max)%s",
		      rp_bench_quick(b->ctx) ? "; --quick is far too short to decide any of them" : "");
}

/* Ratio-to-raw and auto-to-best by size, one line per mode (ringplane path). */
static void goal_plots(struct zc_tx_bench *b)
{
	struct rp_bench_kv where[] = {
		RP_KV_STR("target", "ifb"), RP_KV_STR("path", "ringplane"),
		RP_KV_NUM("batch", BATCH),
	};
	const struct rp_bench_plot p[] = {
		{ .id = "vs-raw-ifb", .title = "ringplane path / raw loop, requests/s, ifb, batch 64",
		  .x_param = "size", .y_metric = "ringplane_vs_raw", .log_x = true,
		  .where = where, .n_where = N_OF(where) },
		{ .id = "auto-vs-best-ifb", .title = "auto / max(copy, send_zc_fixed), ringplane "
		  "path, ifb, batch 64", .x_param = "size", .y_metric = "auto_vs_best",
		  .log_x = true, .where = where, .n_where = N_OF(where) },
	};

	for (unsigned i = 0; i < N_OF(p); i++)
		rp_bench_plot_lines(b->ctx, &p[i]);
}

static int zc_tx_goals_run(struct rp_bench_ctx *ctx)
{
	struct zc_tx_bench b = { .ctx = ctx };

	zc_tx_plan_knobs(&b, &goals_plan);
	if (rp_bench_quick(ctx))
		b.plan_knobs.warm_round = false;
	rp_bench_quick_reps(ctx, 1);
	rp_bench_default_reps(ctx, DEFAULT_REPS);
	if (!rp_bench_quick(ctx) && rp_bench_reps(ctx) < MIN_REPS)
		return rp_bench_fail(ctx, "zc-tx-goals decides on at least %u interleaved "
				     "repetitions: run it with --reps %u or more (this run has %u)",
				     MIN_REPS, MIN_REPS, rp_bench_reps(ctx));
	rp_bench_param(ctx, RP_KV_NUM("min_reps", MIN_REPS));
	if (zc_tx_bench_run(&b) < 0)
		return -1;
	goals(&b);
	goal_plots(&b);
	return 0;
}

const struct rp_bench_def rp_bench_zc_tx_goals = {
	.name = "zc-tx-goals",
	.summary = "issue #7's zerocopy goals on ifb, batch 64: long interleaved repetitions "
		   "(15 repetitions of 0.5 s by default, 7 at least)",
	.run = zc_tx_goals_run,
	.knobs = knobs,
	.n_knobs = N_OF(knobs),
};
