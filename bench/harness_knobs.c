/* SPDX-License-Identifier: MIT */
/*
 * Knobs: the parameters a benchmark lets a user set with
 * `--set key=value[,value...]` (bench.h). Values are parsed and checked
 * against the benchmark's table when given, so a bad one is a usage error
 * before anything runs; benchmarks read them already parsed.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/harness_int.h"

static const struct rp_bench_knob *knob_def(const struct rp_bench_def *def, const char *key,
					    size_t keylen, unsigned *idx)
{
	for (unsigned i = 0; i < def->n_knobs; i++) {
		if (strlen(def->knobs[i].key) == keylen && !strncmp(def->knobs[i].key, key, keylen)) {
			*idx = i;
			return &def->knobs[i];
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
		snprintf(err, errlen, "%s: %s is out of range %g..%g", k->key, s, k->min, k->max);
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
	free(copy);
	return ret;
}

void rp_bench_knobs_init(struct rp_bench_ctx *ctx)
{
	const struct rp_bench_def *def = ctx->def;
	char err[256];

	ctx->knobs = calloc(def->n_knobs ? def->n_knobs : 1, sizeof(*ctx->knobs));
	if (!ctx->knobs)
		rp_bench_oom();
	for (unsigned i = 0; i < def->n_knobs; i++) {
		const struct rp_bench_knob *k = &def->knobs[i];
		const char *text = ctx->quick && k->quick ? k->quick : k->dflt;

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
	for (unsigned i = 0; i < ctx->def->n_knobs; i++)
		val_clear(&ctx->knobs[i]);
	free(ctx->knobs);
	ctx->knobs = NULL;
}

static void known_keys(const struct rp_bench_def *def, char *buf, size_t len)
{
	size_t off = 0;

	snprintf(buf, len, "none");
	for (unsigned i = 0; i < def->n_knobs && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", def->knobs[i].key);
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
	if (parse_values(k, eq + 1, &v, err, errlen)) {
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

	for (unsigned i = 0; i < ctx->def->n_knobs; i++) {
		const struct rp_bench_knob_val *v = &ctx->knobs[i];
		const char *key = ctx->def->knobs[i].key;

		/* one number stays a number; lists and words are text */
		if (v->nums.n == 1 && !v->words.n)
			rp_bench_param(ctx, RP_KV_NUM(key, v->nums.v[0]));
		else
			rp_bench_param(ctx, RP_KV_STR(key, v->text));
		if (v->set && off < sizeof(set))
			off += (size_t)snprintf(set + off, sizeof(set) - off, "%s%s=%s",
						off ? " " : "", key, v->text);
	}
	if (ctx->def->n_knobs)
		rp_bench_param(ctx, RP_KV_STR("set", set));
}

void rp_bench_knobs_help(FILE *f, const struct rp_bench_def *def)
{
	char choices[256];

	if (!def->n_knobs) {
		fprintf(f, "\n%s: no parameters to --set.\n", def->name);
		return;
	}
	fprintf(f, "\nParameters of %s (--set KEY=VALUE%s; repeat --set for more keys):\n",
		def->name, "[,VALUE...] where a list is allowed");
	for (unsigned i = 0; i < def->n_knobs; i++) {
		const struct rp_bench_knob *k = &def->knobs[i];

		fprintf(f, "  %-10s %s\n", k->key, k->help);
		if (k->words) {
			words_list(k, choices, sizeof(choices));
			fprintf(f, "             %s of: %s\n", k->list ? "any" : "one", choices);
		} else {
			fprintf(f, "             %s %g..%g\n", k->list ? "numbers" : "a number",
				k->min, k->max);
		}
		fprintf(f, "             default %s%s%s\n", k->dflt, k->quick ? ", --quick " : "",
			k->quick ? k->quick : "");
	}
}

/* ---- reading ------------------------------------------------------------ */

static const struct rp_bench_knob_val *val_of(const struct rp_bench_ctx *ctx, const char *key)
{
	unsigned idx;

	if (!ctx->knobs || !knob_def(ctx->def, key, strlen(key), &idx))
		return NULL;
	return &ctx->knobs[idx];
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
