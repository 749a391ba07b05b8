/* SPDX-License-Identifier: MIT */
/*
 * A run's outputs: NAME.json (everything, every repetition; written with
 * jansson, which does the escaping) and NAME.md (one row per case, medians
 * with min..max).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <liburing.h>

#include "bench/harness_int.h"

/* ---- formatting --------------------------------------------------------- */

void rp_bench_fmt_num(char *buf, size_t len, double v)
{
	/* Below 10000 plain digits read best; above, 3 digits and a suffix. */
	static const struct { double from, scale; const char *suffix; } big[] = {
		{ 1e9, 1e9, "G" }, { 1e6, 1e6, "M" }, { 1e4, 1e3, "k" },
	};

	if (!isfinite(v)) {
		snprintf(buf, len, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
		return;
	}
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		if (fabs(v) >= big[i].from) {
			snprintf(buf, len, "%.3g%s", v / big[i].scale, big[i].suffix);
			return;
		}
	}
	snprintf(buf, len, "%.4g", v);
}

static void fmt_value(char *buf, size_t len, const struct rp_bench_kv *kv)
{
	if (kv->str)
		snprintf(buf, len, "%s", kv->str);
	else
		snprintf(buf, len, "%.10g", kv->num);
}

void rp_bench_fmt_params(char *buf, size_t len, const struct rp_bench_kv *kv, unsigned n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && off < len; i++) {
		char v[128];

		fmt_value(v, sizeof(v), &kv[i]);
		off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", i ? " " : "", kv[i].key, v);
	}
}

/* ---- machine ------------------------------------------------------------ */

/* The value of the first "key<spaces>: value" line of a /proc file. */
static void proc_field(const char *path, const char *key, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t klen = strlen(key);

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, key, klen) || !colon)
			continue;
		colon += strspn(colon + 1, " \t") + 1;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, len, "%s", colon);
		break;
	}
	fclose(f);
}

static json_t *machine_json(void)
{
	char host[256] = "unknown", model[256], mem[64];

	gethostname(host, sizeof(host) - 1);
	proc_field("/proc/cpuinfo", "model name", model, sizeof(model));
	proc_field("/proc/meminfo", "MemTotal", mem, sizeof(mem));
	return json_pack("{s:s, s:I, s:s, s:s}", "hostname", host,
			 "cpus", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
			 "cpu_model", model, "mem", mem);
}

static const char *kernel_release(char *buf, size_t len)
{
	struct utsname u;

	snprintf(buf, len, "%s", uname(&u) ? "unknown" : u.release);
	return buf;
}

/* ---- JSON --------------------------------------------------------------- */

/* JSON has no NaN or infinity: a metric that has none is null. */
static json_t *num_json(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *kv_value_json(const struct rp_bench_kv *kv)
{
	return kv->str ? json_string(kv->str) : num_json(kv->num);
}

static json_t *kvs_json(const struct rp_bench_kv *kv, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, kv[i].key, kv_value_json(&kv[i]));
	return o;
}

static json_t *strings_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *series_json(const struct rp_bench_series *s)
{
	json_t *o = json_object(), *reps = json_array();

	for (size_t i = 0; i < s->reps.n; i++)
		json_array_append_new(reps, num_json(s->reps.v[i]));
	json_object_set_new(o, "unit", json_string(s->unit));
	json_object_set_new(o, "min", num_json(s->min));
	json_object_set_new(o, "median", num_json(s->median));
	json_object_set_new(o, "max", num_json(s->max));
	json_object_set_new(o, "reps", reps);
	return o;
}

static json_t *result_json(const struct rp_bench_result *r)
{
	json_t *o = json_object(), *metrics = json_object();

	for (size_t i = 0; i < r->metrics.n; i++)
		json_object_set_new(metrics, r->metrics.v[i].name, series_json(&r->metrics.v[i]));
	json_object_set_new(o, "variant", json_string(r->variant));
	json_object_set_new(o, "params", kvs_json(r->params, r->n_params));
	json_object_set_new(o, "metrics", metrics);
	json_object_set_new(o, "reps_ok", json_integer(r->reps_ok));
	if (r->error)
		json_object_set_new(o, "error", json_string(r->error));
	return o;
}

/* CDF samples are too many to keep in the JSON: their percentiles are. */
static json_t *cdf_json(struct rp_bench_cdf *c)
{
	static const struct { const char *name; double pct; } pcts[] = {
		{ "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 }, { "max", 100 },
	};
	json_t *o = json_object();

	json_object_set_new(o, "n", json_integer((json_int_t)c->samples.n));
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		json_object_set_new(o, pcts[i].name, num_json(rp_bench_percentile(
					    c->samples.v, c->samples.n, pcts[i].pct)));
	return o;
}

/* {"id": {"series": {n, p50, ...}}} */
static json_t *cdfs_json(const struct rp_bench_ctx *ctx)
{
	json_t *all = json_object();

	for (size_t i = 0; i < ctx->cdfs.n; i++) {
		struct rp_bench_cdf *c = &ctx->cdfs.v[i];
		json_t *id = json_object_get(all, c->id);

		if (!id) {
			id = json_object();
			json_object_set_new(all, c->id, id);
		}
		json_object_set_new(id, c->series, cdf_json(c));
	}
	return all;
}

static json_t *doubles_json(const double *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, num_json(v[i]));
	return a;
}

/* {"id": {"series": {"t": [...], "v": [...]}}}: every point. */
static json_t *ts_json(const struct rp_bench_ctx *ctx)
{
	json_t *all = json_object();

	for (size_t i = 0; i < ctx->ts.n; i++) {
		const struct rp_bench_ts *ts = &ctx->ts.v[i];
		json_t *id = json_object_get(all, ts->id), *o = json_object();

		if (!id) {
			id = json_object();
			json_object_set_new(all, ts->id, id);
		}
		json_object_set_new(o, "t", doubles_json(ts->t.v, ts->t.n));
		json_object_set_new(o, "v", doubles_json(ts->v.v, ts->v.n));
		json_object_set_new(id, ts->series, o);
	}
	return all;
}

static json_t *run_json(const struct rp_bench_ctx *ctx)
{
	json_t *root = json_object(), *results = json_array();
	char started[32], kernel[128];
	struct tm tm;

	gmtime_r(&ctx->started.tv_sec, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t i = 0; i < ctx->results.n; i++)
		json_array_append_new(results, result_json(&ctx->results.v[i]));
	json_object_set_new(root, "benchmark", json_string(ctx->def->name));
	json_object_set_new(root, "summary", json_string(ctx->def->summary));
	json_object_set_new(root, "started", json_string(started));
	json_object_set_new(root, "duration_s", num_json(ctx->duration_s));
	json_object_set_new(root, "quick", json_boolean(ctx->quick));
	json_object_set_new(root, "reps", json_integer(ctx->reps));
	json_object_set_new(root, "machine", machine_json());
	json_object_set_new(root, "kernel", json_string(kernel_release(kernel, sizeof(kernel))));
	json_object_set_new(root, "liburing", json_sprintf("%d.%d", io_uring_major_version(),
							   io_uring_minor_version()));
	json_object_set_new(root, "parameters", kvs_json(ctx->params.v, ctx->params.n));
	json_object_set_new(root, "notes", strings_json(ctx->notes.v, ctx->notes.n));
	json_object_set_new(root, "plots", strings_json(ctx->plots.v, ctx->plots.n));
	json_object_set_new(root, "cdfs", cdfs_json(ctx));
	json_object_set_new(root, "timeseries", ts_json(ctx));
	json_object_set_new(root, "failure", ctx->failure ? json_string(ctx->failure) : json_null());
	json_object_set_new(root, "results", results);
	return root;
}

int rp_bench_write_json(const struct rp_bench_ctx *ctx, const char *path)
{
	json_t *root = run_json(ctx);
	int ret = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				 JSON_REAL_PRECISION(10));

	json_decref(root);
	if (ret)
		fprintf(stderr, "ringplane bench: writing %s failed: %s\n", path, strerror(errno));
	return ret ? -1 : 0;
}

/* ---- markdown table ----------------------------------------------------- */

/* Column names: the union over all cases, in order of first appearance. */
struct columns {
	RP_VEC(const char *) params;
	RP_VEC(const struct rp_bench_series *) metrics;	/* first of each name */
};

static void columns_collect(const struct rp_bench_ctx *ctx, struct columns *c)
{
	for (size_t i = 0; i < ctx->results.n; i++) {
		const struct rp_bench_result *r = &ctx->results.v[i];
		size_t j, k;

		for (j = 0; j < r->n_params; j++) {
			for (k = 0; k < c->params.n && strcmp(c->params.v[k], r->params[j].key); k++)
				;
			if (k == c->params.n)
				*(const char **)RP_VEC_PUSH(c->params) = r->params[j].key;
		}
		for (j = 0; j < r->metrics.n; j++) {
			for (k = 0; k < c->metrics.n &&
				    strcmp(c->metrics.v[k]->name, r->metrics.v[j].name); k++)
				;
			if (k == c->metrics.n)
				*(const struct rp_bench_series **)RP_VEC_PUSH(c->metrics) =
					&r->metrics.v[j];
		}
	}
}

/* A table cell: '|' would end the cell, a line break the row. */
static void cell(FILE *f, const char *s)
{
	fputs("| ", f);
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);	/* controls */
	}
	fputc(' ', f);
}

static void metric_cell(FILE *f, const struct rp_bench_series *s)
{
	char med[32], lo[32], hi[32], buf[160];

	if (!s || !s->reps.n) {
		cell(f, "");
		return;
	}
	rp_bench_fmt_num(med, sizeof(med), s->median);
	rp_bench_fmt_num(lo, sizeof(lo), s->min);
	rp_bench_fmt_num(hi, sizeof(hi), s->max);
	snprintf(buf, sizeof(buf), "%s <sub>%s..%s</sub>", med, lo, hi);
	cell(f, buf);
}

static void table_header(FILE *f, const struct columns *c)
{
	char name[160];

	cell(f, "variant");
	for (size_t i = 0; i < c->params.n; i++)
		cell(f, c->params.v[i]);
	for (size_t i = 0; i < c->metrics.n; i++) {
		const struct rp_bench_series *s = c->metrics.v[i];

		snprintf(name, sizeof(name), s->unit[0] ? "%s (%s)" : "%s", s->name, s->unit);
		cell(f, name);
	}
	fputs("|\n", f);
	for (size_t i = 0; i < 1 + c->params.n + c->metrics.n; i++)
		fputs(i < 1 + c->params.n ? "|---" : "|---:", f);
	fputs("|\n", f);
}

static void table_row(FILE *f, const struct columns *c, const struct rp_bench_result *r)
{
	char v[128];

	cell(f, r->variant);
	for (size_t i = 0; i < c->params.n; i++) {
		unsigned j = 0;

		while (j < r->n_params && strcmp(r->params[j].key, c->params.v[i]))
			j++;
		if (j < r->n_params)
			fmt_value(v, sizeof(v), &r->params[j]);
		cell(f, j < r->n_params ? v : "");
	}
	for (size_t i = 0; i < c->metrics.n; i++)
		metric_cell(f, rp_bench_find_metric(r, c->metrics.v[i]->name));
	fputs("|\n", f);
}

static void table_preamble(FILE *f, const struct rp_bench_ctx *ctx)
{
	char kernel[128], params[1024];

	fprintf(f, "# ringplane bench %s\n\n%s\n\n", ctx->def->name, ctx->def->summary);
	fprintf(f, "Kernel %s, liburing %d.%d, %u repetition(s)%s, %.1f s. "
		   "Each cell: median <sub>min..max</sub>.\n\n",
		kernel_release(kernel, sizeof(kernel)), io_uring_major_version(),
		io_uring_minor_version(), ctx->reps, ctx->quick ? " (--quick)" : "", ctx->duration_s);
	rp_bench_fmt_params(params, sizeof(params), ctx->params.v, (unsigned)ctx->params.n);
	if (params[0])
		fprintf(f, "Parameters: %s\n\n", params);
	if (ctx->failure)
		fprintf(f, "**FAILED:** %s\n\n", ctx->failure);
}

static void table_footer(FILE *f, const struct rp_bench_ctx *ctx)
{
	if (ctx->plots.n) {
		fputs("\n## Plots\n\n", f);
		for (size_t i = 0; i < ctx->plots.n; i++)
			fprintf(f, "![%s](%s)\n", ctx->plots.v[i], ctx->plots.v[i]);
	}
	if (ctx->notes.n) {
		fputs("\n## Notes\n\n", f);
		for (size_t i = 0; i < ctx->notes.n; i++)
			fprintf(f, "- %s\n", ctx->notes.v[i]);
	}
}

int rp_bench_write_table(const struct rp_bench_ctx *ctx, const char *path)
{
	struct columns c = { 0 };
	FILE *f = fopen(path, "w");
	int ret;

	if (!f) {
		fprintf(stderr, "ringplane bench: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	columns_collect(ctx, &c);
	table_preamble(f, ctx);
	if (ctx->results.n) {
		table_header(f, &c);
		for (size_t i = 0; i < ctx->results.n; i++)
			table_row(f, &c, &ctx->results.v[i]);
	} else {
		fputs("No case ran.\n", f);
	}
	table_footer(f, ctx);
	free(c.params.v);
	free(c.metrics.v);
	ret = ferror(f) | fclose(f);
	if (ret)
		fprintf(stderr, "ringplane bench: writing %s failed\n", path);
	return ret ? -1 : 0;
}
