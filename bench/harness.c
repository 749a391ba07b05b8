/* SPDX-License-Identifier: MIT */
/*
 * The benchmark harness: runs a benchmark's cases, repeats each, keeps every
 * repetition and summarizes them (min/median/max). Output files are written
 * by harness_out.c and harness_plot.c once the run is over.
 *
 * Out of memory is the one error the harness does not carry back to the
 * benchmark: a benchmark is a command-line tool, and a half-recorded result
 * is worse than none, so it exits 1 saying so.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/harness_int.h"

void rp_bench_oom(void)
{
	fputs("ringplane bench: out of memory\n", stderr);
	exit(1);
}

void rp_vec_grow(void **v, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 8;
	void *nv = realloc(*v, ncap * elem);

	if (!nv)
		rp_bench_oom();
	*v = nv;
	*cap = ncap;
}

char *rp_bench_strdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		rp_bench_oom();
	return d;
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		rp_bench_oom();
	return s;
}

static struct rp_bench_kv kv_copy(struct rp_bench_kv kv)
{
	return (struct rp_bench_kv){ .key = rp_bench_strdup(kv.key),
				     .str = kv.str ? rp_bench_strdup(kv.str) : NULL,
				     .num = kv.num };
}

static void kv_free(struct rp_bench_kv *kv)
{
	free((char *)kv->key);
	free((char *)kv->str);
}

/* ---- context ------------------------------------------------------------ */

bool rp_bench_quick(const struct rp_bench_ctx *ctx) { return ctx->quick; }
unsigned rp_bench_reps(const struct rp_bench_ctx *ctx) { return ctx->reps; }
const char *rp_bench_outdir(const struct rp_bench_ctx *ctx) { return ctx->outdir; }
unsigned rp_bench_ncpus(const struct rp_bench_ctx *ctx) { return (unsigned)ctx->cpus.n; }

unsigned rp_bench_cpu(const struct rp_bench_ctx *ctx, unsigned i)
{
	/* Past the end wraps around: a benchmark asking for CPU 1 on a
	 * one-CPU machine shares CPU 0 rather than failing. */
	return ctx->cpus.n ? (unsigned)ctx->cpus.v[i % ctx->cpus.n] : 0;
}

int rp_bench_pin_self(unsigned cpu)
{
	cpu_set_t set;

	if (cpu >= CPU_SETSIZE)
		return -EINVAL;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

void rp_bench_expect_cases(struct rp_bench_ctx *ctx, unsigned n)
{
	ctx->cases_expected = n;
}

void rp_bench_quick_reps(struct rp_bench_ctx *ctx, unsigned n)
{
	if (ctx->quick && !ctx->reps_forced && n >= 1 && n < ctx->reps)
		ctx->reps = n;
}

void rp_bench_single_rep(struct rp_bench_ctx *ctx)
{
	if (!ctx->reps_forced)
		ctx->reps = 1;
}

void rp_bench_default_reps(struct rp_bench_ctx *ctx, unsigned n)
{
	if (!ctx->quick && !ctx->reps_forced && n > ctx->reps)
		ctx->reps = n;
}

void rp_bench_param(struct rp_bench_ctx *ctx, struct rp_bench_kv kv)
{
	for (size_t i = 0; i < ctx->params.n; i++) {
		if (!strcmp(ctx->params.v[i].key, kv.key)) {
			kv_free(&ctx->params.v[i]);
			ctx->params.v[i] = kv_copy(kv);
			return;
		}
	}
	*(struct rp_bench_kv *)RP_VEC_PUSH(ctx->params) = kv_copy(kv);
}

void rp_bench_note(struct rp_bench_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*(char **)RP_VEC_PUSH(ctx->notes) = vformat(fmt, ap);
	va_end(ap);
}

int rp_bench_fail(struct rp_bench_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	free(ctx->failure);
	va_start(ap, fmt);
	ctx->failure = vformat(fmt, ap);
	va_end(ap);
	if (!ctx->in_rep)
		fprintf(stderr, "ringplane bench %s: %s\n", ctx->def->name, ctx->failure);
	return -1;
}

/* ---- numbers ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Linear interpolation between closest ranks (numpy's default). */
double rp_bench_percentile(double *v, size_t n, double pct)
{
	double rank, frac;
	size_t lo;

	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	pct = pct < 0 ? 0 : pct > 100 ? 100 : pct;
	rank = pct / 100.0 * (double)(n - 1);
	lo = (size_t)rank;
	frac = rank - (double)lo;
	return lo + 1 < n ? v[lo] + (v[lo + 1] - v[lo]) * frac : v[lo];
}

/* p50, p99 and p999 of v as metrics <prefix>p50 ... in ns. */
void rp_bench_pct_metrics(struct rp_bench_sample *s, const char *prefix, double *v, size_t n)
{
	static const struct { const char *name; double pct; } pcts[] = {
		{ "p50", 50 }, { "p99", 99 }, { "p999", 99.9 },
	};
	char name[32];

	for (unsigned i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", prefix, pcts[i].name);
		rp_bench_metric(s, name, "ns", rp_bench_percentile(v, n, pcts[i].pct));
	}
}

unsigned long long rp_bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

void rp_bench_summarize(struct rp_bench_series *s)
{
	size_t n = s->reps.n;
	double *sorted;

	if (!n) {
		s->min = s->median = s->max = NAN;
		return;
	}
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		rp_bench_oom();
	memcpy(sorted, s->reps.v, n * sizeof(*sorted));
	s->median = rp_bench_percentile(sorted, n, 50);
	s->min = sorted[0];
	s->max = sorted[n - 1];
	free(sorted);
}

/* ---- cases -------------------------------------------------------------- */

void rp_bench_metric(struct rp_bench_sample *s, const char *name, const char *unit, double value)
{
	if (s->n >= RP_BENCH_SAMPLE_MAX) {
		s->dropped++;
		return;
	}
	snprintf(s->m[s->n].name, sizeof(s->m[s->n].name), "%s", name);
	snprintf(s->m[s->n].unit, sizeof(s->m[s->n].unit), "%s", unit ? unit : "");
	s->m[s->n].value = value;
	s->n++;
}

static bool kv_equal(const struct rp_bench_kv *a, const struct rp_bench_kv *b)
{
	if (strcmp(a->key, b->key) || !a->str != !b->str)
		return false;
	return a->str ? !strcmp(a->str, b->str) : a->num == b->num;
}

/* Every kv[] is among r's parameters; with `exact`, and nothing else. */
bool rp_bench_params_match(const struct rp_bench_result *r, const struct rp_bench_kv *kv,
			   unsigned n, bool exact)
{
	if (exact && n != r->n_params)
		return false;
	for (unsigned i = 0; i < n; i++) {
		unsigned j = 0;

		while (j < r->n_params && !kv_equal(&kv[i], &r->params[j]))
			j++;
		if (j == r->n_params)
			return false;
	}
	return true;
}

const struct rp_bench_series *rp_bench_find_metric(const struct rp_bench_result *r,
						   const char *name)
{
	for (size_t i = 0; i < r->metrics.n; i++)
		if (!strcmp(r->metrics.v[i].name, name))
			return &r->metrics.v[i];
	return NULL;
}

bool rp_bench_median(const struct rp_bench_ctx *ctx, const char *variant,
		     const struct rp_bench_kv *params, unsigned n_params,
		     const char *metric, double *out)
{
	/* Latest first: a case run twice answers with its last run. */
	for (size_t i = ctx->results.n; i-- > 0;) {
		const struct rp_bench_result *r = &ctx->results.v[i];
		const struct rp_bench_series *s;

		if (strcmp(r->variant, variant) || !rp_bench_params_match(r, params, n_params, true))
			continue;
		s = rp_bench_find_metric(r, metric);
		if (!s || !s->reps.n)
			continue;
		*out = s->median;
		return true;
	}
	return false;
}

static void record_sample(struct rp_bench_result *r, const struct rp_bench_sample *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct rp_bench_series *m = (struct rp_bench_series *)rp_bench_find_metric(r, s->m[i].name);

		if (!m) {
			m = RP_VEC_PUSH(r->metrics);
			m->name = rp_bench_strdup(s->m[i].name);
			m->unit = rp_bench_strdup(s->m[i].unit);
		}
		*(double *)RP_VEC_PUSH(m->reps) = s->m[i].value;
	}
}

/* "[case 3/24 rep 2/3] zc-tx send_zc_fixed size=8000 batch=64 ..." */
static void progress_begin(const struct rp_bench_ctx *ctx, size_t idx, unsigned rep)
{
	const struct rp_bench_result *r = &ctx->results.v[idx];
	char params[256], total[16] = "";

	if (ctx->cases_expected)
		snprintf(total, sizeof(total), "/%u", ctx->cases_expected);
	rp_bench_fmt_params(params, sizeof(params), r->params, r->n_params);
	fprintf(stderr, "[case %zu%s rep %u/%u] %s %s%s%s ...", idx + 1, total, rep, ctx->reps,
		ctx->def->name, r->variant, params[0] ? " " : "", params);
	fflush(stderr);
}

/* Ends the progress line with the repetition's metrics (the first few). */
static void progress_end(const struct rp_bench_sample *s, double seconds)
{
	char num[32];

	for (unsigned i = 0; i < s->n && i < 3; i++) {
		rp_bench_fmt_num(num, sizeof(num), s->m[i].value);
		fprintf(stderr, " %s=%s%s%s", s->m[i].name, num, s->m[i].unit[0] ? " " : "",
			s->m[i].unit);
	}
	fprintf(stderr, " (%.2f s)\n", seconds);
}

static int case_failed(struct rp_bench_ctx *ctx, size_t idx, unsigned rep, char *why)
{
	struct rp_bench_result *r = &ctx->results.v[idx];
	char params[256];

	if (!why && asprintf(&why, "repetition %u failed", rep) < 0)
		rp_bench_oom();
	r->error = why;
	rp_bench_fmt_params(params, sizeof(params), r->params, r->n_params);
	fprintf(stderr, " FAILED: %s\n", why);
	rp_bench_note(ctx, "case %s %s failed at repetition %u/%u: %s", r->variant, params,
		      rep, ctx->reps, why);
	ctx->cases_failed++;
	return -1;
}

static int run_rep(struct rp_bench_ctx *ctx, size_t idx, unsigned rep,
		   rp_bench_rep_fn fn, void *arg)
{
	struct rp_bench_sample s = { .n = 0 };
	char *outer_failure = ctx->failure;
	unsigned long long t0;
	int ret;

	/* A failure reported inside the repetition belongs to this case. */
	ctx->failure = NULL;
	progress_begin(ctx, idx, rep);
	t0 = rp_bench_now_ns();
	ctx->in_rep = true;
	ret = fn(arg, &s);
	ctx->in_rep = false;
	if (ret) {
		char *why = ctx->failure;

		ctx->failure = outer_failure;
		return case_failed(ctx, idx, rep, why);
	}
	if (ctx->failure) {
		free(outer_failure);
	} else {
		ctx->failure = outer_failure;
	}
	progress_end(&s, (double)(rp_bench_now_ns() - t0) / 1e9);
	if (s.dropped)
		rp_bench_note(ctx, "%s: %u metrics past the first %d were dropped",
			      ctx->results.v[idx].variant, s.dropped, RP_BENCH_SAMPLE_MAX);
	record_sample(&ctx->results.v[idx], &s);
	ctx->results.v[idx].reps_ok++;
	return 0;
}

/* A new result row for (variant, params); its index (rows may move). */
static size_t case_open(struct rp_bench_ctx *ctx, const char *variant,
			const struct rp_bench_kv *params, unsigned n_params)
{
	struct rp_bench_result *r = RP_VEC_PUSH(ctx->results);

	r->variant = rp_bench_strdup(variant);
	r->n_params = n_params;
	r->params = calloc(n_params ? n_params : 1, sizeof(*r->params));
	if (!r->params)
		rp_bench_oom();
	for (unsigned i = 0; i < n_params; i++)
		r->params[i] = kv_copy(params[i]);
	return ctx->results.n - 1;
}

static void case_close(struct rp_bench_ctx *ctx, size_t idx)
{
	struct rp_bench_result *r = &ctx->results.v[idx];

	for (size_t i = 0; i < r->metrics.n; i++)
		rp_bench_summarize(&r->metrics.v[i]);
}

int rp_bench_case(struct rp_bench_ctx *ctx, const char *variant,
		  const struct rp_bench_kv *params, unsigned n_params,
		  rp_bench_rep_fn fn, void *arg)
{
	size_t idx = case_open(ctx, variant, params, n_params);
	int ret = 0;

	for (unsigned rep = 1; rep <= ctx->reps && !ret; rep++)
		ret = run_rep(ctx, idx, rep, fn, arg);
	/* fn may have added results (nested cases): case_close looks idx up */
	case_close(ctx, idx);
	return ret;
}

int rp_bench_cases_interleaved(struct rp_bench_ctx *ctx, const struct rp_bench_case_def *cases,
			       unsigned n)
{
	size_t first = ctx->results.n;
	bool *failed = calloc(n ? n : 1, sizeof(*failed));
	int ret = 0;

	if (!failed)
		rp_bench_oom();
	for (unsigned i = 0; i < n; i++)
		case_open(ctx, cases[i].variant, cases[i].params, cases[i].n_params);
	for (unsigned rep = 1; rep <= ctx->reps; rep++) {
		for (unsigned k = 0; k < n; k++) {
			unsigned i = (k + rep - 1) % n;	/* rotate who goes first */

			if (!failed[i] && run_rep(ctx, first + i, rep, cases[i].fn, cases[i].arg)) {
				failed[i] = true;
				ret = -1;
			}
		}
	}
	for (unsigned i = 0; i < n; i++)
		case_close(ctx, first + i);
	free(failed);
	return ret;
}

/* ---- one run ------------------------------------------------------------ */

static void cpus_init(struct rp_bench_ctx *ctx)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set)) {
		*(int *)RP_VEC_PUSH(ctx->cpus) = 0;
		return;
	}
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			*(int *)RP_VEC_PUSH(ctx->cpus) = c;
}

struct rp_bench_ctx *rp_bench_ctx_new(const struct rp_bench_def *def,
				      const struct rp_bench_opts *opts)
{
	struct rp_bench_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		rp_bench_oom();
	ctx->def = def;
	ctx->quick = opts->quick;
	ctx->reps_forced = opts->reps != 0;
	ctx->reps = opts->reps ? opts->reps
			       : opts->quick ? RP_BENCH_QUICK_REPS : RP_BENCH_DEFAULT_REPS;
	ctx->outdir = rp_bench_strdup(opts->outdir ? opts->outdir : "results");
	clock_gettime(CLOCK_REALTIME, &ctx->started);
	ctx->started_ns = rp_bench_now_ns();
	cpus_init(ctx);
	rp_bench_knobs_init(ctx);
	return ctx;
}

static void result_free(struct rp_bench_result *r)
{
	for (unsigned i = 0; i < r->n_params; i++)
		kv_free(&r->params[i]);
	free(r->params);
	for (size_t i = 0; i < r->metrics.n; i++) {
		free(r->metrics.v[i].name);
		free(r->metrics.v[i].unit);
		free(r->metrics.v[i].reps.v);
	}
	free(r->metrics.v);
	free(r->variant);
	free(r->error);
}

static void strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void rp_bench_ctx_free(struct rp_bench_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->results.n; i++)
		result_free(&ctx->results.v[i]);
	free(ctx->results.v);
	for (size_t i = 0; i < ctx->params.n; i++)
		kv_free(&ctx->params.v[i]);
	free(ctx->params.v);
	strings_free(ctx->notes.v, ctx->notes.n);
	strings_free(ctx->plots.v, ctx->plots.n);
	rp_bench_cdf_free(ctx);
	rp_bench_ts_free(ctx);
	rp_bench_knobs_free(ctx);
	free(ctx->cpus.v);
	free(ctx->outdir);
	free(ctx->failure);
	free(ctx);
}

/* mkdir -p */
static int make_dirs(const char *path)
{
	char *p = rp_bench_strdup(path);
	int ret = 0;

	for (char *s = p + 1; ; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST) {
			ret = -errno;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return ret;
}

static int write_outputs(struct rp_bench_ctx *ctx)
{
	char *json, *md;
	int ret;

	if (asprintf(&json, "%s/%s.json", ctx->outdir, ctx->def->name) < 0 ||
	    asprintf(&md, "%s/%s.md", ctx->outdir, ctx->def->name) < 0)
		rp_bench_oom();
	ret = rp_bench_write_json(ctx, json);
	if (!ret)
		ret = rp_bench_write_table(ctx, md);
	if (!ret) {
		printf("%s\n%s\n", json, md);
		for (size_t i = 0; i < ctx->plots.n; i++)
			printf("%s/%s\n", ctx->outdir, ctx->plots.v[i]);
	}
	free(json);
	free(md);
	return ret;
}

int rp_bench_execute(struct rp_bench_ctx *ctx)
{
	int ret = make_dirs(ctx->outdir);

	if (ret) {
		fprintf(stderr, "ringplane bench: cannot create output directory %s: %s\n",
			ctx->outdir, strerror(-ret));
		return -1;
	}
	rp_bench_knobs_record(ctx);
	ret = ctx->def->run(ctx);
	ctx->duration_s = (double)(rp_bench_now_ns() - ctx->started_ns) / 1e9;
	if (ret && !ctx->failure)
		ctx->failure = rp_bench_strdup("the benchmark failed without saying why");
	if (write_outputs(ctx))
		return -1;
	if (ctx->failure)
		fprintf(stderr, "ringplane bench %s: FAILED: %s\n", ctx->def->name, ctx->failure);
	else if (ctx->cases_failed)
		fprintf(stderr, "ringplane bench %s: %u case(s) failed (see notes)\n",
			ctx->def->name, ctx->cases_failed);
	return ret || ctx->failure || ctx->cases_failed ? -1 : 0;
}
