/* SPDX-License-Identifier: MIT */
/*
 * Inside the benchmark harness: the run context and what it collects.
 * harness.c runs cases and keeps every repetition; harness_out.c writes the
 * JSON and the markdown table; harness_plot.c draws with gnuplot;
 * bench_cli.c drives one run. Benchmarks see only bench.h.
 */
#ifndef RP_BENCH_HARNESS_INT_H
#define RP_BENCH_HARNESS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "bench/bench.h"

#define RP_BENCH_DEFAULT_REPS	5
#define RP_BENCH_QUICK_REPS	3
#define RP_BENCH_MAX_REPS	1000
#define RP_BENCH_SAMPLE_MAX	64	/* metrics per repetition */

/* A growable array of owned things; `n` used, `cap` allocated. */
#define RP_VEC(type) struct { type *v; size_t n, cap; }

/* One metric over the repetitions of a case. */
struct rp_bench_series {
	char *name, *unit;
	RP_VEC(double) reps;
	double min, median, max;	/* of reps, set by rp_bench_summarize() */
};

/* One case: a variant at one set of parameters. */
struct rp_bench_result {
	char *variant;
	struct rp_bench_kv *params;	/* deep copies */
	unsigned n_params;
	RP_VEC(struct rp_bench_series) metrics;
	unsigned reps_ok;
	char *error;			/* why a repetition failed, or NULL */
};

/* What one repetition reports (rp_bench_metric). */
struct rp_bench_sample {
	struct {
		char name[64], unit[16];
		double value;
	} m[RP_BENCH_SAMPLE_MAX];
	unsigned n;
	unsigned dropped;		/* metrics beyond RP_BENCH_SAMPLE_MAX */
};

/* Raw samples for one line of a CDF plot. */
struct rp_bench_cdf {
	char *id, *series;
	RP_VEC(double) samples;
};

/* One line of a time-series plot: (t, v) points in the order added. */
struct rp_bench_ts {
	char *id, *series;
	RP_VEC(double) t;
	RP_VEC(double) v;
};

/* A knob's current values (bench.h: struct rp_bench_knob). */
struct rp_bench_knob_val {
	RP_VEC(double) nums;
	RP_VEC(char *) words;
	char *text;			/* as typed (or the default) */
	bool set;			/* given with --set */
};

struct rp_bench_opts {
	bool quick;
	unsigned reps;			/* 0: the default for the mode */
	const char *outdir;
};

struct rp_bench_ctx {
	const struct rp_bench_def *def;
	bool quick;
	bool reps_forced;		/* --reps given: benchmarks cannot lower it */
	unsigned reps;
	char *outdir;
	RP_VEC(int) cpus;		/* sched_getaffinity, in order */
	RP_VEC(struct rp_bench_kv) params;
	RP_VEC(char *) notes;
	RP_VEC(char *) plots;		/* svg file names written */
	RP_VEC(struct rp_bench_result) results;
	RP_VEC(struct rp_bench_cdf) cdfs;
	RP_VEC(struct rp_bench_ts) ts;
	struct rp_bench_knob_val *knobs;	/* def->n_knobs, same order */
	char *failure;			/* rp_bench_fail's last message */
	unsigned cases_expected;	/* 0: unknown */
	unsigned cases_failed;
	int gnuplot;			/* 0 not looked for yet, 1 found, -1 missing */
	bool in_rep;			/* failures print at the end of the progress line */
	struct timespec started;	/* wall clock */
	unsigned long long started_ns;	/* monotonic */
	double duration_s;
};

/* Append one zeroed element to a RP_VEC and return it (never NULL: running
 * out of memory ends the run, see rp_bench_oom). */
#define RP_VEC_PUSH(vec) \
	((vec).n < (vec).cap ? (void)0 : rp_vec_grow((void **)&(vec).v, &(vec).cap, \
						      sizeof(*(vec).v)), \
	 memset(&(vec).v[(vec).n++], 0, sizeof(*(vec).v)))
void rp_vec_grow(void **v, size_t *cap, size_t elem);

/* harness.c */
/* Says so on stderr and exits 1: see harness.c. */
void rp_bench_oom(void) __attribute__((noreturn));
struct rp_bench_ctx *rp_bench_ctx_new(const struct rp_bench_def *def,
				      const struct rp_bench_opts *opts);
void rp_bench_ctx_free(struct rp_bench_ctx *ctx);
/* Run def->run and write every output; 0 when the run and all cases succeeded. */
int rp_bench_execute(struct rp_bench_ctx *ctx);
bool rp_bench_params_match(const struct rp_bench_result *r, const struct rp_bench_kv *kv,
			   unsigned n, bool exact);
const struct rp_bench_series *rp_bench_find_metric(const struct rp_bench_result *r,
						   const char *name);
void rp_bench_summarize(struct rp_bench_series *s);
char *rp_bench_strdup(const char *s);

/* harness_out.c */
int rp_bench_write_json(const struct rp_bench_ctx *ctx, const char *path);
int rp_bench_write_table(const struct rp_bench_ctx *ctx, const char *path);
/* "12.3M", "456", "0.0123": short numbers for tables and progress lines. */
void rp_bench_fmt_num(char *buf, size_t len, double v);
/* "size=8000 batch=64" */
void rp_bench_fmt_params(char *buf, size_t len, const struct rp_bench_kv *kv, unsigned n);

/* harness_knobs.c */
/* Every knob at its default (--quick's where it has one). */
void rp_bench_knobs_init(struct rp_bench_ctx *ctx);
void rp_bench_knobs_free(struct rp_bench_ctx *ctx);
/* One `--set key=value[,value...]`: 0, or -1 with err saying what is wrong. */
int rp_bench_knobs_set(struct rp_bench_ctx *ctx, const char *arg, char *err, size_t errlen);
/* Every knob's value into the run's parameters, and "set": what the user changed. */
void rp_bench_knobs_record(struct rp_bench_ctx *ctx);
/* The --help lines of a benchmark's knobs. */
void rp_bench_knobs_help(FILE *f, const struct rp_bench_def *def);

/* harness_plot.c */
void rp_bench_cdf_free(struct rp_bench_ctx *ctx);
void rp_bench_ts_free(struct rp_bench_ctx *ctx);

#endif
