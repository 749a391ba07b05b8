/* SPDX-License-Identifier: MIT */
/*
 * The benchmark harness without a benchmark: percentiles, what a case keeps,
 * median lookup, failed repetitions, CDF and time-series plots and their
 * JSON, and that the JSON and the table survive
 * names full of quotes, backslashes, control characters and pipes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "bench/harness_int.h"

static int fake_run(struct rp_bench_ctx *ctx) { (void)ctx; return 0; }

static const struct rp_bench_def fake = { "fake", "a harness test", fake_run };

static struct rp_bench_ctx *new_ctx(unsigned reps)
{
	struct rp_bench_opts o = { .reps = reps, .outdir = "/tmp" };

	return rp_bench_ctx_new(&fake, &o);
}

/* ---- percentile --------------------------------------------------------- */

static void test_percentile(void **state)
{
	double v[] = { 5, 1, 4, 2, 3 };
	double even[] = { 4, 1, 3, 2 };
	double one[] = { 7 };

	(void)state;
	assert_float_equal(rp_bench_percentile(v, 5, 50), 3, 1e-12);
	assert_float_equal(v[0], 1, 0);		/* sorted in place */
	assert_float_equal(rp_bench_percentile(v, 5, 0), 1, 1e-12);
	assert_float_equal(rp_bench_percentile(v, 5, 100), 5, 1e-12);
	assert_float_equal(rp_bench_percentile(v, 5, 25), 2, 1e-12);
	assert_float_equal(rp_bench_percentile(v, 5, 90), 4.6, 1e-12);
	assert_float_equal(rp_bench_percentile(even, 4, 50), 2.5, 1e-12);
	assert_float_equal(rp_bench_percentile(one, 1, 99.9), 7, 1e-12);
	assert_true(isnan(rp_bench_percentile(NULL, 0, 50)));
	assert_float_equal(rp_bench_percentile(v, 5, 150), 5, 1e-12);	/* clamped */
}

/* ---- cases and medians -------------------------------------------------- */

struct counter {
	int calls;
	int fail_at;		/* 0: never */
	struct rp_bench_ctx *ctx;
	const char *metric;
};

/* Reports 10, 30, 20, ... so min, median and max are all different. */
static int rep_values(void *arg, struct rp_bench_sample *s)
{
	static const double values[] = { 10, 30, 20, 50, 40 };
	struct counter *c = arg;

	if (++c->calls == c->fail_at)
		return rp_bench_fail(c->ctx, "rep %d broke", c->calls);
	rp_bench_metric(s, c->metric ? c->metric : "rate", "op/s", values[(c->calls - 1) % 5]);
	rp_bench_metric(s, "constant", "", 1);
	return 0;
}

static void test_case_keeps_every_rep(void **state)
{
	struct rp_bench_ctx *ctx = new_ctx(3);
	struct rp_bench_kv kv[] = { RP_KV_NUM("size", 64), RP_KV_STR("mode", "copy") };
	struct counter c = { .ctx = ctx };
	const struct rp_bench_series *s;

	(void)state;
	assert_int_equal(rp_bench_case(ctx, "v", kv, 2, rep_values, &c), 0);
	assert_int_equal(c.calls, 3);
	assert_int_equal(ctx->results.n, 1);
	assert_int_equal(ctx->results.v[0].reps_ok, 3);
	s = rp_bench_find_metric(&ctx->results.v[0], "rate");
	assert_non_null(s);
	assert_int_equal(s->reps.n, 3);
	assert_float_equal(s->reps.v[0], 10, 0);	/* in the order they ran */
	assert_float_equal(s->reps.v[1], 30, 0);
	assert_float_equal(s->min, 10, 0);
	assert_float_equal(s->median, 20, 0);
	assert_float_equal(s->max, 30, 0);
	assert_string_equal(s->unit, "op/s");
	rp_bench_ctx_free(ctx);
}

static void test_median_lookup(void **state)
{
	struct rp_bench_ctx *ctx = new_ctx(5);
	struct rp_bench_kv a[] = { RP_KV_NUM("size", 64), RP_KV_STR("mode", "copy") };
	struct rp_bench_kv a_swapped[] = { RP_KV_STR("mode", "copy"), RP_KV_NUM("size", 64) };
	struct rp_bench_kv b[] = { RP_KV_NUM("size", 128), RP_KV_STR("mode", "copy") };
	struct rp_bench_kv partial[] = { RP_KV_NUM("size", 64) };
	struct counter ca = { .ctx = ctx }, cb = { .ctx = ctx, .calls = 3 };
	double m;

	(void)state;
	rp_bench_case(ctx, "zc", a, 2, rep_values, &ca);	/* 10 30 20 50 40 */
	rp_bench_case(ctx, "zc", b, 2, rep_values, &cb);	/* 50 40 10 30 20 */
	assert_true(rp_bench_median(ctx, "zc", a, 2, "rate", &m));
	assert_float_equal(m, 30, 0);
	assert_true(rp_bench_median(ctx, "zc", a_swapped, 2, "rate", &m));
	assert_float_equal(m, 30, 0);
	assert_true(rp_bench_median(ctx, "zc", b, 2, "constant", &m));
	assert_float_equal(m, 1, 0);
	/* not there: other variant, other metric, fewer parameters */
	assert_false(rp_bench_median(ctx, "copy", a, 2, "rate", &m));
	assert_false(rp_bench_median(ctx, "zc", a, 2, "nosuch", &m));
	assert_false(rp_bench_median(ctx, "zc", partial, 1, "rate", &m));
	rp_bench_ctx_free(ctx);
}

static void test_failed_rep_is_recorded(void **state)
{
	struct rp_bench_ctx *ctx = new_ctx(5);
	struct counter c = { .ctx = ctx, .fail_at = 3 };
	struct rp_bench_kv kv = RP_KV_NUM("batch", 1);
	double m;

	(void)state;
	assert_int_equal(rp_bench_case(ctx, "broken", &kv, 1, rep_values, &c), -1);
	assert_int_equal(c.calls, 3);			/* stopped at the failure */
	assert_int_equal(ctx->results.v[0].reps_ok, 2);
	assert_string_equal(ctx->results.v[0].error, "rep 3 broke");
	assert_null(ctx->failure);			/* the case's, not the run's */
	assert_int_equal(ctx->cases_failed, 1);
	assert_int_equal(ctx->notes.n, 1);
	assert_non_null(strstr(ctx->notes.v[0], "rep 3 broke"));
	assert_true(rp_bench_median(ctx, "broken", &kv, 1, "rate", &m));	/* 10, 30 */
	assert_float_equal(m, 20, 0);
	rp_bench_ctx_free(ctx);
}

/* ---- interleaved cases --------------------------------------------------- */

/* Appends its id to a shared log, so the test sees the order of repetitions. */
struct logged {
	struct rp_bench_ctx *ctx;
	char id;
	int calls, fail_at;
	char *log;
};

static int rep_logged(void *arg, struct rp_bench_sample *s)
{
	struct logged *l = arg;

	l->log[strlen(l->log)] = l->id;
	if (++l->calls == l->fail_at)
		return rp_bench_fail(l->ctx, "%c broke", l->id);
	rp_bench_metric(s, "n", "", l->calls);
	return 0;
}

static void test_interleaved_rotates_and_isolates_failure(void **state)
{
	struct rp_bench_ctx *ctx = new_ctx(3);
	struct rp_bench_kv kv = RP_KV_NUM("size", 64);
	char log[16] = "";
	struct logged a = { ctx, 'a', 0, 0, log }, b = { ctx, 'b', 0, 2, log }, c = { ctx, 'c', 0, 0, log };
	const struct rp_bench_case_def defs[] = {
		{ "a", &kv, 1, rep_logged, &a },
		{ "b", &kv, 1, rep_logged, &b },
		{ "c", &kv, 1, rep_logged, &c },
	};
	double m;

	(void)state;
	assert_int_equal(rp_bench_cases_interleaved(ctx, defs, 3), -1);
	/* rep 1: a b c; rep 2: b (fails) c a; rep 3: c a (b stopped) */
	assert_string_equal(log, "abcbcaca");
	assert_int_equal(ctx->results.n, 3);
	assert_string_equal(ctx->results.v[0].variant, "a");
	assert_int_equal(ctx->results.v[0].reps_ok, 3);
	assert_int_equal(ctx->results.v[1].reps_ok, 1);
	assert_string_equal(ctx->results.v[1].error, "b broke");
	assert_int_equal(ctx->results.v[2].reps_ok, 3);
	assert_true(rp_bench_median(ctx, "c", &kv, 1, "n", &m));	/* 1 2 3 */
	assert_float_equal(m, 2, 0);
	assert_int_equal(ctx->cases_failed, 1);
	rp_bench_ctx_free(ctx);
}

static void test_quick_reps(void **state)
{
	struct rp_bench_opts quick = { .quick = true }, forced = { .quick = true, .reps = 4 };
	struct rp_bench_ctx *ctx = rp_bench_ctx_new(&fake, &quick);

	(void)state;
	assert_int_equal(rp_bench_reps(ctx), RP_BENCH_QUICK_REPS);
	rp_bench_quick_reps(ctx, 1);
	assert_int_equal(rp_bench_reps(ctx), 1);
	rp_bench_quick_reps(ctx, 0);			/* ignored */
	assert_int_equal(rp_bench_reps(ctx), 1);
	rp_bench_ctx_free(ctx);
	ctx = rp_bench_ctx_new(&fake, &forced);
	rp_bench_quick_reps(ctx, 1);			/* --reps wins */
	assert_int_equal(rp_bench_reps(ctx), 4);
	rp_bench_ctx_free(ctx);
}

static void test_default_reps(void **state)
{
	struct rp_bench_opts full = { 0 }, quick = { .quick = true }, forced = { .reps = 2 };
	struct rp_bench_ctx *ctx = rp_bench_ctx_new(&fake, &full);

	(void)state;
	assert_int_equal(rp_bench_reps(ctx), RP_BENCH_DEFAULT_REPS);
	rp_bench_default_reps(ctx, 15);
	assert_int_equal(rp_bench_reps(ctx), 15);
	rp_bench_default_reps(ctx, 1);			/* only raises */
	assert_int_equal(rp_bench_reps(ctx), 15);
	rp_bench_ctx_free(ctx);
	ctx = rp_bench_ctx_new(&fake, &quick);
	rp_bench_default_reps(ctx, 15);			/* --quick stays small */
	assert_int_equal(rp_bench_reps(ctx), RP_BENCH_QUICK_REPS);
	rp_bench_ctx_free(ctx);
	ctx = rp_bench_ctx_new(&fake, &forced);
	rp_bench_default_reps(ctx, 15);			/* --reps wins */
	assert_int_equal(rp_bench_reps(ctx), 2);
	rp_bench_ctx_free(ctx);
}

/* A soak's one long run: one repetition in full runs too, --reps still wins. */
static void test_single_rep(void **state)
{
	struct rp_bench_opts full = { 0 }, forced = { .reps = 2 };
	struct rp_bench_ctx *ctx = rp_bench_ctx_new(&fake, &full);

	(void)state;
	rp_bench_single_rep(ctx);
	assert_int_equal(rp_bench_reps(ctx), 1);
	rp_bench_ctx_free(ctx);
	ctx = rp_bench_ctx_new(&fake, &forced);
	rp_bench_single_rep(ctx);
	assert_int_equal(rp_bench_reps(ctx), 2);
	rp_bench_ctx_free(ctx);
}

/* ---- output ------------------------------------------------------------- */

static const char nasty[] = "q\"uo\\te\n\ttab\x01|pipe µs";
static const char nasty_unit[] = "\"µs\\\n";	/* units are short */

static int rep_nasty(void *arg, struct rp_bench_sample *s)
{
	(void)arg;
	rp_bench_metric(s, nasty, nasty_unit, 1.5);
	rp_bench_metric(s, "nan", "x", NAN);
	return 0;
}

static char *tmp_path(const char *suffix)
{
	char *p;

	assert_true(asprintf(&p, "/tmp/rp-harness-test-%d%s", getpid(), suffix) > 0);
	return p;
}

static void test_json_escapes_and_round_trips(void **state)
{
	struct rp_bench_ctx *ctx = new_ctx(2);
	struct rp_bench_kv kv = RP_KV_STR(nasty, nasty);
	char *path = tmp_path(".json");
	json_error_t err;
	json_t *doc, *r, *m;

	(void)state;
	rp_bench_param(ctx, RP_KV_STR("p", nasty));
	rp_bench_note(ctx, "%s", nasty);
	assert_int_equal(rp_bench_case(ctx, nasty, &kv, 1, rep_nasty, NULL), 0);
	assert_int_equal(rp_bench_write_json(ctx, path), 0);

	doc = json_load_file(path, 0, &err);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "benchmark")), "fake");
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "parameters"), "p")), nasty);
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "notes"), 0)), nasty);
	r = json_array_get(json_object_get(doc, "results"), 0);
	assert_string_equal(json_string_value(json_object_get(r, "variant")), nasty);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "params"), nasty)), nasty);
	m = json_object_get(json_object_get(r, "metrics"), nasty);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "unit")), nasty_unit);
	assert_float_equal(json_real_value(json_object_get(m, "median")), 1.5, 0);
	assert_int_equal(json_array_size(json_object_get(m, "reps")), 2);
	/* JSON has no NaN: a metric that is not a number is null */
	m = json_object_get(json_object_get(r, "metrics"), "nan");
	assert_true(json_is_null(json_object_get(m, "median")));
	assert_true(json_is_object(json_object_get(doc, "machine")));
	json_decref(doc);
	unlink(path);
	free(path);
	rp_bench_ctx_free(ctx);
}

static bool ends_row(const char *line)
{
	size_t n = strlen(line);

	return n >= 2 && !strcmp(line + n - 2, "|\n");
}

static void test_table_cells_stay_cells(void **state)
{
	struct rp_bench_ctx *ctx = new_ctx(1);
	struct rp_bench_kv kv = RP_KV_STR("mode", "a|b");
	char *path = tmp_path(".md"), line[1024];
	int rows = 0, headers = 0;
	FILE *f;

	(void)state;
	rp_bench_case(ctx, "x|y", &kv, 1, rep_nasty, NULL);
	assert_int_equal(rp_bench_write_table(ctx, path), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "| variant ", 10)) {
			/* the metric's name has a newline and a pipe: still one cell */
			headers++;
			assert_true(ends_row(line));
			assert_non_null(strstr(line, "\\|pipe"));
		} else if (!strncmp(line, "| x\\|y ", 7)) {
			rows++;
			assert_true(ends_row(line));
			assert_non_null(strstr(line, "| a\\|b "));
		}
	}
	fclose(f);
	assert_int_equal(headers, 1);
	assert_int_equal(rows, 1);
	unlink(path);
	free(path);
	rp_bench_ctx_free(ctx);
}

/* ---- plots (gnuplot is a setup dependency: deploy/setup.sh) ------------- */

static char *tmp_dir(void)
{
	char *d = tmp_path(".d");

	assert_int_equal(mkdir(d, 0755), 0);
	return d;
}

static void remove_dir(char *d, const struct rp_bench_ctx *ctx)
{
	for (size_t i = 0; i < ctx->plots.n; i++) {
		char *f;

		assert_true(asprintf(&f, "%s/%s", d, ctx->plots.v[i]) > 0);
		unlink(f);
		free(f);
	}
	rmdir(d);
	free(d);
}

/* One repetition per case, outputs in dir. */
static struct rp_bench_ctx *ctx_in(char *dir)
{
	struct rp_bench_opts o = { .reps = 1, .outdir = dir };

	return rp_bench_ctx_new(&fake, &o);
}

/* The JSON keeps each CDF series as percentiles of all its samples. */
static void check_cdf_json(const struct rp_bench_ctx *ctx)
{
	char *path = tmp_path(".cdf.json");
	json_t *doc, *ring;

	assert_int_equal(rp_bench_write_json(ctx, path), 0);
	doc = json_load_file(path, 0, NULL);
	assert_non_null(doc);
	ring = json_object_get(json_object_get(json_object_get(doc, "cdfs"), "lat"), "ring");
	assert_int_equal(json_integer_value(json_object_get(ring, "n")), 5);	/* 1 2 3 4 5 */
	assert_float_equal(json_real_value(json_object_get(ring, "p50")), 3, 1e-9);
	assert_float_equal(json_real_value(json_object_get(ring, "max")), 5, 1e-9);
	assert_non_null(json_object_get(json_object_get(json_object_get(doc, "cdfs"), "lat"), "epoll"));
	json_decref(doc);
	unlink(path);
	free(path);
}

static void test_cdf_accumulates_and_plots(void **state)
{
	double a[] = { 3, 1, 2 }, b[] = { 5, NAN, 4 };
	char *dir = tmp_dir();
	struct rp_bench_ctx *ctx = ctx_in(dir);

	(void)state;
	rp_bench_cdf_add(ctx, "lat", "ring", a, 3);
	rp_bench_cdf_add(ctx, "lat", "ring", b, 3);	/* a second repetition */
	rp_bench_cdf_add(ctx, "lat", "epoll", a, 3);
	rp_bench_cdf_add(ctx, "other", "ring", a, 1);
	assert_int_equal(ctx->cdfs.n, 3);
	assert_int_equal(ctx->cdfs.v[0].samples.n, 5);	/* NaN left out */
	rp_bench_plot_cdf(ctx, "lat", "latency", "ns", true);
	assert_int_equal(ctx->plots.n, 1);
	assert_string_equal(ctx->plots.v[0], "fake-lat.svg");
	rp_bench_plot_cdf(ctx, "none", "nothing", "ns", false);
	assert_int_equal(ctx->plots.n, 1);
	assert_int_equal(ctx->notes.n, 1);
	assert_non_null(strstr(ctx->notes.v[0], "fake-none.svg not drawn"));
	check_cdf_json(ctx);
	remove_dir(dir, ctx);
	rp_bench_ctx_free(ctx);
}

/* The JSON keeps every point of a time series, in order. */
static void check_ts_json(const struct rp_bench_ctx *ctx)
{
	char *path = tmp_path(".ts.json");
	json_t *doc, *rss, *t, *v;

	assert_int_equal(rp_bench_write_json(ctx, path), 0);
	doc = json_load_file(path, 0, NULL);
	assert_non_null(doc);
	rss = json_object_get(json_object_get(json_object_get(doc, "timeseries"), "mem"), "rss");
	t = json_object_get(rss, "t");
	v = json_object_get(rss, "v");
	assert_int_equal(json_array_size(t), 3);	/* the NaN point left out */
	assert_int_equal(json_array_size(v), 3);
	assert_float_equal(json_number_value(json_array_get(t, 2)), 3, 0);
	assert_float_equal(json_number_value(json_array_get(v, 2)), 12.5, 0);
	assert_non_null(json_object_get(json_object_get(json_object_get(doc, "timeseries"), "mem"), "fds"));
	json_decref(doc);
	unlink(path);
	free(path);
}

static void test_ts_accumulates_and_plots(void **state)
{
	char *dir = tmp_dir();
	struct rp_bench_ctx *ctx = ctx_in(dir);

	(void)state;
	rp_bench_ts_add(ctx, "mem", "rss", 0, 10);
	rp_bench_ts_add(ctx, "mem", "fds", 0, 7);
	rp_bench_ts_add(ctx, "mem", "rss", 1, 11);
	rp_bench_ts_add(ctx, "mem", "rss", 2, NAN);
	rp_bench_ts_add(ctx, "mem", "rss", 3, 12.5);
	assert_int_equal(ctx->ts.n, 2);
	rp_bench_plot_ts(ctx, "mem", "memory", "s", "MiB");
	assert_int_equal(ctx->plots.n, 1);
	assert_string_equal(ctx->plots.v[0], "fake-mem.svg");
	rp_bench_plot_ts(ctx, "none", "nothing", "s", "x");
	assert_int_equal(ctx->plots.n, 1);
	assert_non_null(strstr(ctx->notes.v[0], "fake-none.svg not drawn"));
	check_ts_json(ctx);
	remove_dir(dir, ctx);
	rp_bench_ctx_free(ctx);
}

static void test_lines_filter_by_where(void **state)
{
	struct rp_bench_kv k64[] = { RP_KV_NUM("size", 64), RP_KV_NUM("batch", 8) };
	struct rp_bench_kv k128[] = { RP_KV_NUM("size", 128), RP_KV_NUM("batch", 8) };
	struct rp_bench_kv batch8 = RP_KV_NUM("batch", 8), batch9 = RP_KV_NUM("batch", 9);
	struct rp_bench_plot p = { .id = "rate", .title = "t", .x_param = "size",
				   .y_metric = "rate", .where = &batch8, .n_where = 1 };
	struct rp_bench_opts o = { .reps = 2 };
	struct rp_bench_ctx *ctx;
	char *dir = tmp_dir();
	struct counter c;

	(void)state;
	o.outdir = dir;
	ctx = rp_bench_ctx_new(&fake, &o);
	c = (struct counter){ .ctx = ctx };
	rp_bench_case(ctx, "a", k64, 2, rep_values, &c);
	rp_bench_case(ctx, "a", k128, 2, rep_values, &c);
	rp_bench_plot_lines(ctx, &p);
	assert_int_equal(ctx->plots.n, 1);
	p.id = "nine";
	p.where = &batch9;				/* matches no case */
	rp_bench_plot_lines(ctx, &p);
	assert_int_equal(ctx->plots.n, 1);
	assert_non_null(strstr(ctx->notes.v[ctx->notes.n - 1], "fake-nine.svg not drawn"));
	remove_dir(dir, ctx);
	rp_bench_ctx_free(ctx);
}

/* ---- a whole run -------------------------------------------------------- */

static int run_with_failed_case(struct rp_bench_ctx *ctx)
{
	struct counter c = { .ctx = ctx, .fail_at = 2 };
	struct rp_bench_kv kv = RP_KV_NUM("n", 1);

	rp_bench_param(ctx, RP_KV_NUM("n", 1));
	rp_bench_case(ctx, "flaky", &kv, 1, rep_values, &c);
	return 0;
}

static int run_silently_failing(struct rp_bench_ctx *ctx)
{
	(void)ctx;
	return -1;
}

/* Runs def into a fresh directory; returns execute's result, loads the JSON. */
static int execute_into(const struct rp_bench_def *def, json_t **doc, char **dir)
{
	struct rp_bench_opts o = { .reps = 3 };
	struct rp_bench_ctx *ctx;
	char *path;
	int ret;

	*dir = tmp_dir();
	o.outdir = *dir;
	ctx = rp_bench_ctx_new(def, &o);
	ret = rp_bench_execute(ctx);
	rp_bench_ctx_free(ctx);
	assert_true(asprintf(&path, "%s/%s.json", *dir, def->name) > 0);
	*doc = json_load_file(path, 0, NULL);
	assert_non_null(*doc);
	unlink(path);
	free(path);
	assert_true(asprintf(&path, "%s/%s.md", *dir, def->name) > 0);
	assert_int_equal(access(path, R_OK), 0);	/* the table too */
	unlink(path);
	free(path);
	return ret;
}

static void test_execute_failed_case_fails_run_keeps_outputs(void **state)
{
	static const struct rp_bench_def def = { "flaky", "one case fails", run_with_failed_case };
	json_t *doc, *r;
	char *dir;

	(void)state;
	assert_int_equal(execute_into(&def, &doc, &dir), -1);
	r = json_array_get(json_object_get(doc, "results"), 0);
	assert_string_equal(json_string_value(json_object_get(r, "error")), "rep 2 broke");
	assert_int_equal(json_integer_value(json_object_get(r, "reps_ok")), 1);
	assert_true(json_is_null(json_object_get(doc, "failure")));
	json_decref(doc);
	rmdir(dir);
	free(dir);
}

static void test_execute_run_failure_is_named(void **state)
{
	static const struct rp_bench_def def = { "silent", "fails mutely", run_silently_failing };
	json_t *doc;
	char *dir;

	(void)state;
	assert_int_equal(execute_into(&def, &doc, &dir), -1);
	assert_string_equal(json_string_value(json_object_get(doc, "failure")),
			    "the benchmark failed without saying why");
	assert_int_equal(json_array_size(json_object_get(doc, "results")), 0);
	json_decref(doc);
	rmdir(dir);
	free(dir);
}

static void test_fmt_num(void **state)
{
	char b[32];

	(void)state;
	rp_bench_fmt_num(b, sizeof(b), 1234567);
	assert_string_equal(b, "1.23M");
	rp_bench_fmt_num(b, sizeof(b), 25.3);
	assert_string_equal(b, "25.3");
	rp_bench_fmt_num(b, sizeof(b), 45678);
	assert_string_equal(b, "45.7k");
	rp_bench_fmt_num(b, sizeof(b), NAN);
	assert_string_equal(b, "nan");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_case_keeps_every_rep),
		cmocka_unit_test(test_median_lookup),
		cmocka_unit_test(test_failed_rep_is_recorded),
		cmocka_unit_test(test_interleaved_rotates_and_isolates_failure),
		cmocka_unit_test(test_quick_reps),
		cmocka_unit_test(test_default_reps),
		cmocka_unit_test(test_single_rep),
		cmocka_unit_test(test_json_escapes_and_round_trips),
		cmocka_unit_test(test_table_cells_stay_cells),
		cmocka_unit_test(test_cdf_accumulates_and_plots),
		cmocka_unit_test(test_ts_accumulates_and_plots),
		cmocka_unit_test(test_lines_filter_by_where),
		cmocka_unit_test(test_execute_failed_case_fails_run_keeps_outputs),
		cmocka_unit_test(test_execute_run_failure_is_named),
		cmocka_unit_test(test_fmt_num),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
