/* SPDX-License-Identifier: MIT */
/*
 * Benchmark knobs (`--set key=value[,value...]`, bench/harness_knobs.c):
 * defaults and --quick defaults, values read back parsed, every kind of bad
 * input refused with a message naming the key, a refused --set leaving the
 * previous value, and what the JSON parameters record.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bench/harness_int.h"

static int fake_run(struct rp_bench_ctx *ctx) { (void)ctx; return 0; }

static const char *const modes[] = { "copy", "zc", NULL };
static const struct rp_bench_knob knobs[] = {
	{ "sizes", "payload sizes", "64,1024", "64", 16, 9000, NULL, true },
	{ "mode", "send mode", "copy", NULL, 0, 0, modes, false },
	{ "seconds", "run length", "2", NULL, 0.1, 60, NULL, false, true },
};
static const struct rp_bench_def fake = { "fake", "a knob test", fake_run, knobs, 3 };

static struct rp_bench_ctx *new_ctx(bool quick)
{
	struct rp_bench_opts o = { .quick = quick, .outdir = "/tmp" };

	return rp_bench_ctx_new(&fake, &o);
}

static void test_defaults(void **state)
{
	struct rp_bench_ctx *full = new_ctx(false), *quick = new_ctx(true);

	(void)state;
	assert_int_equal(rp_bench_knob_n(full, "sizes"), 2);
	assert_float_equal(rp_bench_knob_num(full, "sizes", 1), 1024, 0);
	assert_int_equal(rp_bench_knob_n(quick, "sizes"), 1);	/* the --quick default */
	assert_string_equal(rp_bench_knob_word(full, "mode", 0), "copy");
	assert_true(rp_bench_knob_has(full, "mode", "copy"));
	assert_false(rp_bench_knob_has(full, "mode", "zc"));
	assert_null(rp_bench_knob_word(full, "sizes", 0));	/* numbers are no words */
	assert_int_equal(rp_bench_knob_n(full, "nosuch"), 0);
	assert_true(isnan(rp_bench_knob_num(full, "sizes", 5)));
	rp_bench_ctx_free(full);
	rp_bench_ctx_free(quick);
}

static void test_set_values(void **state)
{
	struct rp_bench_ctx *ctx = new_ctx(false);
	char err[256];

	(void)state;
	assert_int_equal(rp_bench_knobs_set(ctx, "sizes=600,8000,16", err, sizeof(err)), 0);
	assert_int_equal(rp_bench_knob_n(ctx, "sizes"), 3);
	assert_float_equal(rp_bench_knob_num(ctx, "sizes", 0), 600, 0);
	assert_float_equal(rp_bench_knob_num(ctx, "sizes", 2), 16, 0);
	assert_int_equal(rp_bench_knobs_set(ctx, "mode=zc", err, sizeof(err)), 0);
	assert_true(rp_bench_knob_has(ctx, "mode", "zc"));
	assert_int_equal(rp_bench_knobs_set(ctx, "seconds=0.5", err, sizeof(err)), 0);
	assert_float_equal(rp_bench_knob_num(ctx, "seconds", 0), 0.5, 0);
	rp_bench_ctx_free(ctx);
}

/* Each bad --set: refused, the message names the problem, the value stays. */
static void test_bad_values(void **state)
{
	static const struct { const char *arg, *want; } bad[] = {
		{ "nosuch=1", "no parameter 'nosuch' (it has: sizes, mode, seconds, cpus)" },
		{ "sizes=16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32",
		  "sizes takes at most 16 values, not 17" },
		{ "cpus=1024", "cpus: 1024 is out of range 0..1023" },
		{ "cpus=1023", "cpus: CPU 1023 is not one this process may run on" },
		{ "cpus=x", "cpus: 'x' is not a number" },
		{ "sizes", "--set needs key=value" },
		{ "=64", "--set needs key=value" },
		{ "sizes=", "sizes: empty value" },
		{ "sizes=64,", "sizes: empty value in '64,'" },
		{ "sizes=,64", "sizes: empty value" },
		{ "sizes=64,,128", "sizes: empty value" },
		{ "sizes=6x", "sizes: '6x' is not a number" },
		{ "sizes=nan", "sizes: 'nan' is not a number" },
		{ "sizes=64.5", "sizes: '64.5' is not a whole number" },
		{ "sizes=8", "sizes: 8 is out of range 16..9000" },
		{ "sizes=9001", "out of range" },
		{ "mode=copy,zc", "mode takes one value, not 2" },
		{ "mode=fast", "mode: 'fast' is not one of copy, zc" },
		{ "seconds=0", "seconds: 0 is out of range 0.1..60" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rp_bench_ctx *ctx = new_ctx(false);

		err[0] = '\0';
		assert_int_equal(rp_bench_knobs_set(ctx, bad[i].arg, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].want))
			fail_msg("--set %s: '%s' lacks '%s'", bad[i].arg, err, bad[i].want);
		assert_int_equal(rp_bench_knob_n(ctx, "sizes"), 2);
		assert_string_equal(rp_bench_knob_word(ctx, "mode", 0), "copy");
		rp_bench_ctx_free(ctx);
	}
}

static const struct rp_bench_kv *param(const struct rp_bench_ctx *ctx, const char *key);

/* Lists come back as whole numbers; a knob the benchmark lacks allows all. */
static void test_uints_and_allows(void **state)
{
	struct rp_bench_ctx *ctx = new_ctx(false);
	unsigned v[RP_BENCH_KNOB_MAX_VALUES];
	char err[256];

	(void)state;
	assert_int_equal(rp_bench_knob_uints(ctx, "sizes", v), 2);
	assert_int_equal(v[0], 64);
	assert_int_equal(v[1], 1024);
	assert_int_equal(rp_bench_knob_uints(ctx, "nosuch", v), 0);
	assert_true(rp_bench_knob_allows(ctx, "nosuch", "anything"));
	assert_true(rp_bench_knob_allows(ctx, "mode", "copy"));
	assert_false(rp_bench_knob_allows(ctx, "mode", "zc"));
	assert_int_equal(rp_bench_knobs_set(ctx, "sizes=16,17,18,19,20,21,22,23,24,25,26,27,28,29,"
					    "30,31", err, sizeof(err)), 0);	/* 16: the most */
	assert_int_equal(rp_bench_knob_uints(ctx, "sizes", v), 16);
	assert_int_equal(v[15], 31);
	rp_bench_ctx_free(ctx);
}

/* cpus (every benchmark's): defaults to the affinity, recorded; set, it is
 * what rp_bench_cpu hands out, wrapping past its end; the same CPU twice is
 * refused. */
static void test_cpus(void **state)
{
	struct rp_bench_ctx *ctx = new_ctx(false);
	const struct rp_bench_kv *kv;
	unsigned first = rp_bench_cpu(ctx, 0), n = rp_bench_ncpus(ctx);
	char err[256], arg[64];

	(void)state;
	assert_true(n >= 1);
	assert_int_equal(rp_bench_knob_n(ctx, "cpus"), n);
	snprintf(arg, sizeof(arg), "cpus=%u,%u", first, first);
	assert_int_equal(rp_bench_knobs_set(ctx, arg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "given twice"));
	assert_int_equal(rp_bench_ncpus(ctx), n);		/* refused: unchanged */
	snprintf(arg, sizeof(arg), "cpus=%u", first);
	assert_int_equal(rp_bench_knobs_set(ctx, arg, err, sizeof(err)), 0);
	assert_int_equal(rp_bench_ncpus(ctx), 1);
	assert_int_equal(rp_bench_cpu(ctx, 1), first);		/* one CPU: shared */
	rp_bench_knobs_record(ctx);
	kv = param(ctx, "cpus");
	assert_non_null(kv);
	assert_null(kv->str);
	assert_float_equal(kv->num, first, 0);
	assert_non_null(strstr(param(ctx, "set")->str, arg));
	rp_bench_ctx_free(ctx);
}

static void test_set_twice(void **state)
{
	struct rp_bench_ctx *ctx = new_ctx(false);
	char err[256];

	(void)state;
	assert_int_equal(rp_bench_knobs_set(ctx, "mode=zc", err, sizeof(err)), 0);
	assert_int_equal(rp_bench_knobs_set(ctx, "mode=copy", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode set twice"));
	rp_bench_ctx_free(ctx);
}

static const struct rp_bench_kv *param(const struct rp_bench_ctx *ctx, const char *key)
{
	for (size_t i = 0; i < ctx->params.n; i++)
		if (!strcmp(ctx->params.v[i].key, key))
			return &ctx->params.v[i];
	return NULL;
}

static void test_recorded(void **state)
{
	struct rp_bench_ctx *ctx = new_ctx(false);
	char err[256];

	(void)state;
	assert_int_equal(rp_bench_knobs_set(ctx, "sizes=600,8000", err, sizeof(err)), 0);
	assert_int_equal(rp_bench_knobs_set(ctx, "seconds=3", err, sizeof(err)), 0);
	rp_bench_knobs_record(ctx);
	assert_string_equal(param(ctx, "sizes")->str, "600,8000");	/* a list is text */
	assert_string_equal(param(ctx, "mode")->str, "copy");
	assert_null(param(ctx, "seconds")->str);			/* one number stays one */
	assert_float_equal(param(ctx, "seconds")->num, 3, 0);
	assert_string_equal(param(ctx, "set")->str, "sizes=600,8000 seconds=3");
	rp_bench_ctx_free(ctx);
}

static void test_help_lists_every_knob(void **state)
{
	char buf[4096] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	(void)state;
	rp_bench_knobs_help(f, &fake);
	fclose(f);
	assert_non_null(strstr(buf, "sizes"));
	assert_non_null(strstr(buf, "default 64,1024, --quick 64"));
	assert_non_null(strstr(buf, "one of: copy, zc"));
	assert_non_null(strstr(buf, "a number 0.1..60"));
	assert_non_null(strstr(buf, "Parameters of every benchmark"));
	assert_non_null(strstr(buf, "cpus"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set_values),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_uints_and_allows),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_set_twice),
		cmocka_unit_test(test_recorded),
		cmocka_unit_test(test_help_lists_every_knob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
