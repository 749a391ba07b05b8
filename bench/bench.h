/* SPDX-License-Identifier: MIT */
/*
 * The benchmark harness: what a benchmark file sees.
 *
 * A benchmark is one row in the table in bench/benches.c, one file of its
 * own (echo.c, msg_ring.c, zc_tx.c, ...). Its run() declares parameters,
 * then runs cases. A case is one variant ("copy", "send_zc_fixed",
 * "ringplane", "epoll") at one set of case parameters (size=8000, batch=64);
 * the harness repeats it rp_bench_reps() times, prints a progress line per
 * repetition on stderr, keeps every repetition, and summarizes each metric as
 * min/median/max.
 *
 * At the end the harness writes, in the --out directory:
 *   NAME.json  machine, kernel, liburing version, parameters, every
 *              repetition, and "results": [{variant, params, metrics}];
 *              CDF series as percentiles ("cdfs": {id: {series: {n, p50,
 *              p90, p99, p999, max}}})
 *   NAME.md    a markdown table (one row per case, medians with min..max)
 *   NAME-*.svg plots the benchmark asked for (gnuplot)
 *
 * Benchmarks never judge their numbers; ratios and goals are computed by the
 * benchmark as metrics of their own (e.g. "ratio_vs_copy") so they land in
 * the JSON and the table like any other number.
 */
#ifndef RP_BENCH_H
#define RP_BENCH_H

#include <stdbool.h>
#include <stddef.h>

struct rp_bench_ctx;		/* one run of one benchmark */
struct rp_bench_sample;		/* the metrics of one repetition */

struct rp_bench_knob;

struct rp_bench_def {
	const char *name;
	const char *summary;
	int (*run)(struct rp_bench_ctx *ctx);	/* 0, or -1 after rp_bench_fail() */
	/* Optional: what `--set key=value[,value...]` may change; listed by
	 * `ringplane bench NAME --help`, recorded in the JSON parameters. */
	const struct rp_bench_knob *knobs;
	unsigned n_knobs;
};

/*
 * The table (bench/benches.c): pointers, because its rows are defined in
 * the benchmarks' own files, and C cannot copy an extern object into a
 * static initializer.
 */
extern const struct rp_bench_def *const rp_benches[];
extern const unsigned rp_n_benches;

/* One case parameter: numbers or text. */
struct rp_bench_kv {
	const char *key;
	const char *str;	/* set for text, NULL for numbers */
	double num;
};
#define RP_KV_NUM(k, v) ((struct rp_bench_kv){ .key = (k), .num = (v) })
#define RP_KV_STR(k, v) ((struct rp_bench_kv){ .key = (k), .str = (v) })

/* ---- context ----------------------------------------------------------- */

bool rp_bench_quick(const struct rp_bench_ctx *ctx);
unsigned rp_bench_reps(const struct rp_bench_ctx *ctx);
const char *rp_bench_outdir(const struct rp_bench_ctx *ctx);
/* CPUs the benchmark may pin to, in order (sched_getaffinity). */
unsigned rp_bench_ncpus(const struct rp_bench_ctx *ctx);
unsigned rp_bench_cpu(const struct rp_bench_ctx *ctx, unsigned i);
/* Pin the calling thread to one CPU; 0 or -errno. */
int rp_bench_pin_self(unsigned cpu);

/*
 * Optional (additive): how many cases the run will have, for the "case 3/24"
 * progress counter; without it the counter shows "case 3".
 */
void rp_bench_expect_cases(struct rp_bench_ctx *ctx, unsigned n);
/*
 * Optional (additive): a slow benchmark may lower the --quick repetition
 * count (default 3) to n >= 1. No effect without --quick or with --reps.
 */
void rp_bench_quick_reps(struct rp_bench_ctx *ctx, unsigned n);
/*
 * Optional (additive): a benchmark that decides on many repetitions may
 * raise the full-run default (5) to n. No effect with --quick or --reps.
 */
void rp_bench_default_reps(struct rp_bench_ctx *ctx, unsigned n);

/*
 * Optional (additive): a benchmark whose single long run is the measurement
 * (soak) runs each case once, also in full runs; --reps still overrides.
 */
void rp_bench_single_rep(struct rp_bench_ctx *ctx);

/* A run-wide parameter, recorded in the JSON "parameters" object. */
void rp_bench_param(struct rp_bench_ctx *ctx, struct rp_bench_kv kv);
/* A note for the table's footer and the JSON ("notes": [...]). */
void rp_bench_note(struct rp_bench_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Record why the run failed; run() then returns -1. */
int rp_bench_fail(struct rp_bench_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- knobs: parameters a user sets with --set --------------------------- */

/*
 * A benchmark parameter the user can aim (`--set sizes=600,8000`). Names
 * mean the same in every benchmark: `variants` (which variants run),
 * `sizes` (payload bytes), `seconds` (measuring time per repetition),
 * `batch`/`batches`, `clients`/`peers`/`streams`/`connections` (how many
 * load sources). Every benchmark also has `cpus` (the harness's: the CPUs
 * rp_bench_cpu() hands out, in order). Repetitions are `--reps`;
 * `--seconds S` is `--set seconds=S`. Values
 * are numbers in [min, max] or, with `words`, one of those words. The
 * harness checks every --set against the table before the run (unknown key,
 * bad value, out of range, a list where one value is allowed: a usage error
 * naming the key) and records every knob's value in the JSON parameters
 * ("set" lists what the user changed).
 */
struct rp_bench_knob {
	const char *key;
	const char *help;
	const char *dflt;		/* the full run's value, as typed: "64,1024" */
	const char *quick;		/* with --quick; NULL: dflt */
	double min, max;		/* numbers: each value's range */
	const char *const *words;	/* NULL-terminated choices; NULL: numbers */
	bool list;			/* several comma-separated values allowed */
	bool real;			/* numbers may have fractions (else whole) */
};

#define RP_BENCH_KNOB_MAX_VALUES 16	/* values of one list knob */

/* How many values knob `key` has (0: no such knob); value i as a number
 * or a word (NULL for a number knob). */
unsigned rp_bench_knob_n(const struct rp_bench_ctx *ctx, const char *key);
double rp_bench_knob_num(const struct rp_bench_ctx *ctx, const char *key, unsigned i);
const char *rp_bench_knob_word(const struct rp_bench_ctx *ctx, const char *key, unsigned i);
/* A number knob's values as whole numbers into out; how many. */
unsigned rp_bench_knob_uints(const struct rp_bench_ctx *ctx, const char *key,
			     unsigned out[RP_BENCH_KNOB_MAX_VALUES]);
/* Is `word` among the values of word knob `key`? */
bool rp_bench_knob_has(const struct rp_bench_ctx *ctx, const char *key, const char *word);
/* The same, but also true when the benchmark has no knob `key` (code shared
 * by benchmarks with and without that choice). */
bool rp_bench_knob_allows(const struct rp_bench_ctx *ctx, const char *key, const char *word);

/* ---- cases ------------------------------------------------------------- */

/* Runs one repetition; fills *s with rp_bench_metric(). 0 or -1. */
typedef int (*rp_bench_rep_fn)(void *arg, struct rp_bench_sample *s);

/*
 * Run one case: call fn rp_bench_reps() times, keep and summarize. Returns 0,
 * or -1 when a repetition failed (recorded; the run goes on with other
 * cases unless the benchmark decides otherwise).
 */
int rp_bench_case(struct rp_bench_ctx *ctx, const char *variant,
		  const struct rp_bench_kv *params, unsigned n_params,
		  rp_bench_rep_fn fn, void *arg);

/*
 * Run n cases side by side: repetition 1 of every case, then repetition 2,
 * and so on, rotating which case goes first. On a noisy machine a slow
 * minute then hits every variant alike instead of one. A case whose
 * repetition fails stops; the others go on. Returns 0, or -1 when any
 * failed. (Cases must not add results of their own while running.)
 */
struct rp_bench_case_def {
	const char *variant;
	const struct rp_bench_kv *params;
	unsigned n_params;
	rp_bench_rep_fn fn;
	void *arg;
};
int rp_bench_cases_interleaved(struct rp_bench_ctx *ctx, const struct rp_bench_case_def *cases,
			       unsigned n);

/* Within a repetition: one named metric, with its unit ("req/s", "ns"). */
void rp_bench_metric(struct rp_bench_sample *s, const char *name,
		     const char *unit, double value);

/* After cases ran: the median of a metric for (variant, params), for ratio
 * metrics. Returns false when no such case ran. */
bool rp_bench_median(const struct rp_bench_ctx *ctx, const char *variant,
		     const struct rp_bench_kv *params, unsigned n_params,
		     const char *metric, double *out);

/* ---- plots ------------------------------------------------------------- */

/*
 * A line plot of a metric's median against a numeric case parameter, one
 * line per variant (cases with other parameter values are filtered by
 * `where`, e.g. batch=64). Written as NAME-<id>.svg.
 */
struct rp_bench_plot {
	const char *id;		/* file name part */
	const char *title;
	const char *x_param;	/* numeric case parameter */
	const char *y_metric;
	bool log_x, log_y;
	const struct rp_bench_kv *where;
	unsigned n_where;
};
void rp_bench_plot_lines(struct rp_bench_ctx *ctx, const struct rp_bench_plot *p);

/*
 * A CDF plot from raw samples (e.g. latencies in ns), one line per series.
 * The benchmark hands over samples per series; the harness sorts them and
 * writes NAME-<id>.svg.
 */
void rp_bench_cdf_add(struct rp_bench_ctx *ctx, const char *id, const char *series,
		      const double *samples, size_t n);
void rp_bench_plot_cdf(struct rp_bench_ctx *ctx, const char *id, const char *title,
		       const char *x_label, bool log_x);

/*
 * A time series (e.g. a process's memory, sampled each second), one line per
 * series: points are added in time order; rp_bench_plot_ts() draws every
 * series of `id` against t as NAME-<id>.svg. The JSON keeps every point
 * ("timeseries": {id: {series: {"t": [...], "v": [...]}}}).
 */
void rp_bench_ts_add(struct rp_bench_ctx *ctx, const char *id, const char *series,
		     double t, double v);
void rp_bench_plot_ts(struct rp_bench_ctx *ctx, const char *id, const char *title,
		      const char *x_label, const char *y_label);

/* ---- small shared tools ------------------------------------------------- */

/* Percentile (0..100) of an array, sorting it in place. */
double rp_bench_percentile(double *v, size_t n, double pct);
/* Metrics <prefix>p50, <prefix>p99, <prefix>p999 (ns) of v (sorted in place). */
void rp_bench_pct_metrics(struct rp_bench_sample *s, const char *prefix, double *v, size_t n);
/* Monotonic clock in ns. */
unsigned long long rp_bench_now_ns(void);

#endif
