/* SPDX-License-Identifier: MIT */
/*
 * Knobs: the parameters a benchmark lets a user set with
 * `--set key=value[,value...]` (bench.h). Values are parsed and checked
 * against the benchmark's table when given, so a bad one is a usage error
 * before anything runs; benchmarks read them already parsed.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "bench/harness_int.h"

/*
 * Knobs every benchmark has, after its own. `cpus` replaces the list
 * rp_bench_cpu() hands out (default: the process's affinity), so one knob
 * moves every benchmark's pinning the same way.
 */
static const struct rp_bench_knob common[] = {
	{ "cpus", "CPUs to pin to, in the order the benchmark uses them (its first CPU, "
		  "second, ...; one CPU: everything shares it)", "the CPUs this process may run on",
	  NULL, 0, CPU_SETSIZE - 1, NULL, true },
};
#define N_COMMON (sizeof(common) / sizeof(common[0]))
#define CPUS_KNOB (&common[0])

/* The benchmark's knobs, then the common ones: index i of n_all(). */
static unsigned n_all(const struct rp_bench_def *def)
{
	return def->n_knobs + (unsigned)N_COMMON;
}

static const struct rp_bench_knob *knob_at(const struct rp_bench_def *def, unsigned i)
{
	return i < def->n_knobs ? &def->knobs[i] : &common[i - def->n_knobs];
}

static const struct rp_bench_knob *knob_def(const struct rp_bench_def *def, const char *key,
					    size_t keylen, unsigned *idx)
{
	for (unsigned i = 0; i < n_all(def); i++) {
		const struct rp_bench_knob *k = knob_at(def, i);

		if (strlen(k->key) == keylen && !strncmp(k->key, key, keylen)) {
			*idx = i;
			return k;
		}
	}
	return NULL;
}

static void val_clear(struct rp_bench_knob_val *v)
{
	for (size_t i = 0; i < v->words.n; i++)
		free(v->words.v[i]);
	free(v->words.v);
	free(v->nums.v);
	free(v->text);
	memset(v, 0, sizeof(*v));
}

static bool is_word(const struct rp_bench_knob *k, const char *w)
{
	for (const char *const *p = k->words; *p; p++)
		if (!strcmp(*p, w))
			return true;
	return false;
}

static void words_list(const struct rp_bench_knob *k, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const char *const *p = k->words; *p && off < len; p++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", p == k->words ? "" : ", ", *p);
}

/* One value of knob k: a word from its list, or a number in range. */
static int parse_one(const struct rp_bench_knob *k, const char *s, struct rp_bench_knob_val *v,
		     char *err, size_t errlen)
{
	char *end, choices[256];
	double d;

	if (!*s) {
		snprintf(err, errlen, "%s: empty value", k->key);
		return -1;
	}
	if (k->words) {
		if (!is_word(k, s)) {
			words_list(k, choices, sizeof(choices));
			snprintf(err, errlen, "%s: '%s' is not one of %s", k->key, s, choices);
			return -1;
		}
		*(char **)RP_VEC_PUSH(v->words) = rp_bench_strdup(s);
		return 0;
	}
	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || !isfinite(d)) {
		snprintf(err, errlen, "%s: '%s' is not a number", k->key, s);
		return -1;
	}
	if (!k->real && d != floor(d)) {
		snprintf(err, errlen, "%s: '%s' is not a whole number", k->key, s);
		return -1;
	}
	if (d < k->min || d > k->max) {
		snprintf(err, errlen, "%s: %s is out of range %.15g..%.15g", k->key, s, k->min, k->max);
		return -1;
	}
	*(double *)RP_VEC_PUSH(v->nums) = d;
	return 0;
}

/* "a,b,c" into v (cleared first); 0 or -1 with err. */
static int parse_values(const struct rp_bench_knob *k, const char *text, struct rp_bench_knob_val *v,
			char *err, size_t errlen)
{
	char *copy = rp_bench_strdup(text), *save = NULL, *tok;
	unsigned n = 0;
	int ret = 0;

	val_clear(v);
	v->text = rp_bench_strdup(text);
	if (!*text || text[strlen(text) - 1] == ',' || text[0] == ',' || strstr(text, ",,")) {
		snprintf(err, errlen, "%s: empty value in '%s'", k->key, text);
		ret = -1;
	}
	for (tok = strtok_r(copy, ",", &save); !ret && tok; tok = strtok_r(NULL, ",", &save), n++)
		ret = parse_one(k, tok, v, err, errlen);
	if (!ret && n > 1 && !k->list) {
		snprintf(err, errlen, "%s takes one value, not %u ('%s')", k->key, n, text);
		ret = -1;
	}
	/* cpus defaults to every allowed CPU, however many; a list the
	 * benchmark reads (rp_bench_knob_uints) has a fixed room */
	if (!ret && n > RP_BENCH_KNOB_MAX_VALUES && k != CPUS_KNOB) {
		snprintf(err, errlen, "%s takes at most %d values, not %u", k->key,
			 RP_BENCH_KNOB_MAX_VALUES, n);
		ret = -1;
	}
	free(copy);
	return ret;
}

/* ctx->cpus as "0,1": the cpus knob's default. */
static void cpus_text(const struct rp_bench_ctx *ctx, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ctx->cpus.n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%d", i ? "," : "", ctx->cpus.v[i]);
}

void rp_bench_knobs_init(struct rp_bench_ctx *ctx)
{
	const struct rp_bench_def *def = ctx->def;
	char err[256], cpus[1024];

	ctx->knobs = calloc(n_all(def), sizeof(*ctx->knobs));
	if (!ctx->knobs)
		rp_bench_oom();
	for (unsigned i = 0; i < n_all(def); i++) {
		const struct rp_bench_knob *k = knob_at(def, i);
		const char *text = ctx->quick && k->quick ? k->quick : k->dflt;

		if (k == CPUS_KNOB) {
			cpus_text(ctx, cpus, sizeof(cpus));
			text = cpus;
		}

		/* a default that does not parse is the benchmark's bug */
		if (parse_values(k, text ? text : "", &ctx->knobs[i], err, sizeof(err))) {
			fprintf(stderr, "ringplane bench %s: bad default: %s\n", def->name, err);
			abort();
		}
	}
}

void rp_bench_knobs_free(struct rp_bench_ctx *ctx)
{
	if (!ctx->knobs)
		return;
	for (unsigned i = 0; i < n_all(ctx->def); i++)
		val_clear(&ctx->knobs[i]);
	free(ctx->knobs);
	ctx->knobs = NULL;
}

static void known_keys(const struct rp_bench_def *def, char *buf, size_t len)
{
	size_t off = 0;

	for (unsigned i = 0; i < n_all(def) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					knob_at(def, i)->key);
}

/* cpus: each one the process may run on (the affinity, still in ctx->cpus),
 * none twice; then they are the CPUs rp_bench_cpu() hands out. */
static int cpus_apply(struct rp_bench_ctx *ctx, const struct rp_bench_knob_val *v, char *err,
		      size_t errlen)
{
	char allowed[1024];

	for (size_t i = 0; i < v->nums.n; i++) {
		bool ok = false;

		for (size_t j = 0; j < ctx->cpus.n; j++)
			ok |= ctx->cpus.v[j] == (int)v->nums.v[i];
		for (size_t j = 0; j < i; j++)
			if (v->nums.v[j] == v->nums.v[i]) {
				snprintf(err, errlen, "cpus: CPU %.15g given twice", v->nums.v[i]);
				return -1;
			}
		if (!ok) {
			cpus_text(ctx, allowed, sizeof(allowed));
			snprintf(err, errlen, "cpus: CPU %.15g is not one this process may run on (%s)",
				 v->nums.v[i], allowed);
			return -1;
		}
	}
	ctx->cpus.n = 0;
	for (size_t i = 0; i < v->nums.n; i++)
		*(int *)RP_VEC_PUSH(ctx->cpus) = (int)v->nums.v[i];
	return 0;
}

int rp_bench_knobs_set(struct rp_bench_ctx *ctx, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	const struct rp_bench_knob *k;
	struct rp_bench_knob_val v = { 0 };
	char keys[512];
	unsigned idx;

	if (!eq || eq == arg) {
		snprintf(err, errlen, "--set needs key=value[,value...], not '%s'", arg);
		return -1;
	}
	k = knob_def(ctx->def, arg, (size_t)(eq - arg), &idx);
	if (!k) {
		known_keys(ctx->def, keys, sizeof(keys));
		snprintf(err, errlen, "benchmark %s has no parameter '%.*s' (it has: %s)",
			 ctx->def->name, (int)(eq - arg), arg, keys);
		return -1;
	}
	if (ctx->knobs[idx].set) {
		snprintf(err, errlen, "%s set twice", k->key);
		return -1;
	}
	/* parsed aside: a refused value leaves the knob as it was */
	if (parse_values(k, eq + 1, &v, err, errlen) ||
	    (k == CPUS_KNOB && cpus_apply(ctx, &v, err, errlen))) {
		val_clear(&v);
		return -1;
	}
	val_clear(&ctx->knobs[idx]);
	ctx->knobs[idx] = v;
	ctx->knobs[idx].set = true;
	return 0;
}

void rp_bench_knobs_record(struct rp_bench_ctx *ctx)
{
	char set[1024] = "";
	size_t off = 0;

	for (unsigned i = 0; i < n_all(ctx->def); i++) {
		const struct rp_bench_knob_val *v = &ctx->knobs[i];
		const char *key = knob_at(ctx->def, i)->key;

		/* one number stays a number; lists and words are text */
		if (v->nums.n == 1 && !v->words.n)
			rp_bench_param(ctx, RP_KV_NUM(key, v->nums.v[0]));
		else
			rp_bench_param(ctx, RP_KV_STR(key, v->text));
		if (v->set && off < sizeof(set))
			off += (size_t)snprintf(set + off, sizeof(set) - off, "%s%s=%s",
						off ? " " : "", key, v->text);
	}
	rp_bench_param(ctx, RP_KV_STR("set", set));
}

static void knob_help(FILE *f, const struct rp_bench_knob *k)
{
	char choices[256];

	fprintf(f, "  %-16s %s\n", k->key, k->help);
	if (k->words) {
		words_list(k, choices, sizeof(choices));
		fprintf(f, "  %-16s %s of: %s\n", "", k->list ? "any" : "one", choices);
	} else {
		fprintf(f, "  %-16s %s %.15g..%.15g\n", "", k->list ? "numbers" : "a number",
			k->min, k->max);
	}
	fprintf(f, "  %-16s default %s%s%s\n", "", k->dflt, k->quick ? ", --quick " : "",
		k->quick ? k->quick : "");
}

void rp_bench_knobs_help(FILE *f, const struct rp_bench_def *def)
{
	fprintf(f, "\nParameters of %s (--set KEY=VALUE[,VALUE...] where a list is allowed, "
		"at most %d values;\nrepeat --set for more keys; the JSON records every value "
		"and \"set\"):\n", def->name, RP_BENCH_KNOB_MAX_VALUES);
	if (!def->n_knobs)
		fprintf(f, "  (none of its own)\n");
	for (unsigned i = 0; i < def->n_knobs; i++)
		knob_help(f, &def->knobs[i]);
	fprintf(f, "\nParameters of every benchmark:\n");
	for (unsigned i = 0; i < N_COMMON; i++)
		knob_help(f, &common[i]);
}

/* ---- reading ------------------------------------------------------------ */

static const struct rp_bench_knob_val *val_of(const struct rp_bench_ctx *ctx, const char *key)
{
	unsigned idx;

	if (!ctx->knobs || !knob_def(ctx->def, key, strlen(key), &idx))
		return NULL;
	return &ctx->knobs[idx];
}

unsigned rp_bench_knob_uints(const struct rp_bench_ctx *ctx, const char *key,
			     unsigned out[RP_BENCH_KNOB_MAX_VALUES])
{
	const struct rp_bench_knob_val *v = val_of(ctx, key);
	unsigned n = v ? (unsigned)v->nums.n : 0;

	n = n < RP_BENCH_KNOB_MAX_VALUES ? n : RP_BENCH_KNOB_MAX_VALUES;
	for (unsigned i = 0; i < n; i++)
		out[i] = (unsigned)v->nums.v[i];
	return n;
}

unsigned rp_bench_knob_n(const struct rp_bench_ctx *ctx, const char *key)
{
	const struct rp_bench_knob_val *v = val_of(ctx, key);

	return v ? (unsigned)(v->nums.n + v->words.n) : 0;
}

double rp_bench_knob_num(const struct rp_bench_ctx *ctx, const char *key, unsigned i)
{
	const struct rp_bench_knob_val *v = val_of(ctx, key);

	return v && i < v->nums.n ? v->nums.v[i] : NAN;
}

const char *rp_bench_knob_word(const struct rp_bench_ctx *ctx, const char *key, unsigned i)
{
	const struct rp_bench_knob_val *v = val_of(ctx, key);

	return v && i < v->words.n ? v->words.v[i] : NULL;
}

bool rp_bench_knob_has(const struct rp_bench_ctx *ctx, const char *key, const char *word)
{
	const struct rp_bench_knob_val *v = val_of(ctx, key);

	for (size_t i = 0; v && i < v->words.n; i++)
		if (!strcmp(v->words.v[i], word))
			return true;
	return false;
}

bool rp_bench_knob_allows(const struct rp_bench_ctx *ctx, const char *key, const char *word)
{
	return !val_of(ctx, key) || rp_bench_knob_has(ctx, key, word);
}
