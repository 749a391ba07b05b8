/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench compare A.json B.json` (bench/compare.c) on small files
 * written here: ratios of medians and their spread per matched case, cases
 * matched by variant and parameters (not by order), notes for differing
 * parameters and unmatched cases, and clear errors for a missing file,
 * broken JSON, a file that is no result, two different benchmarks and no
 * case in common.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench/compare.h"

/* {"variant", params, pps min/median/max} as a result entry */
#define CASE(v, size, lo, med, hi) \
	"{\"variant\": \"" v "\", \"params\": {\"size\": " size ", \"load\": \"tp\"}, " \
	"\"metrics\": {\"pps\": {\"unit\": \"pkt/s\", \"min\": " lo ", \"median\": " med \
	", \"max\": " hi ", \"reps\": [" lo ", " med ", " hi "]}}}"

static const char *doc_a =
	"{\"benchmark\": \"echo\", \"started\": \"t0\", \"quick\": false, "
	"\"parameters\": {\"batch\": 256, \"seconds\": 2}, \"results\": ["
	CASE("ringplane", "64", "90", "100", "110") ", "
	CASE("epoll", "64", "45", "50", "55") ", "
	CASE("ringplane", "1024", "10", "20", "30") "]}";

/* B: other order, ringplane 64 B 1.5x, a parameter changed, a case A lacks */
static const char *doc_b =
	"{\"benchmark\": \"echo\", \"started\": \"t1\", \"quick\": false, "
	"\"parameters\": {\"batch\": 64, \"seconds\": 2}, \"results\": ["
	CASE("epoll", "64", "50", "50", "50") ", "
	CASE("ringplane", "64", "140", "150", "165") ", "
	CASE("sockperf", "64", "1", "2", "3") "]}";

struct files { char dir[64]; char a[96], b[96]; };

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void files_make(struct files *f, const char *a, const char *b)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/rp-compare.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->a, sizeof(f->a), "%s/a.json", f->dir);
	snprintf(f->b, sizeof(f->b), "%s/b.json", f->dir);
	if (a)
		write_file(f->a, a);
	if (b)
		write_file(f->b, b);
}

static void files_rm(struct files *f)
{
	unlink(f->a);
	unlink(f->b);
	rmdir(f->dir);
}

/* Run the comparison; its stdout and stderr into the buffers. */
static int run(const struct files *f, char *out, size_t outlen, char *err, size_t errlen)
{
	FILE *o = fmemopen(out, outlen - 1, "w"), *e = fmemopen(err, errlen - 1, "w");
	int ret;

	memset(out, 0, outlen);
	memset(err, 0, errlen);
	ret = rp_bench_compare(o, e, f->a, f->b);
	fclose(o);
	fclose(e);
	return ret;
}

static void test_ratios_and_spread(void **state)
{
	char out[8192], err[1024];
	struct files f;

	(void)state;
	files_make(&f, doc_a, doc_b);
	assert_int_equal(run(&f, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(err, "");
	/* 150/100, spread 140/110 .. 165/90 */
	assert_non_null(strstr(out, "| ringplane | size=64 load=tp | pps (pkt/s) | 100 | 150 | **1.500** | 1.273..1.833 |"));
	assert_non_null(strstr(out, "| epoll | size=64 load=tp | pps (pkt/s) | 50 | 50 | **1.000** | 0.909..1.111 |"));
	assert_null(strstr(out, "size=1024"));		/* only in A */
	assert_null(strstr(out, "| sockperf"));		/* only in B */
	assert_non_null(strstr(out, "2 case(s) in common"));
	assert_non_null(strstr(out, "parameter `batch` differs"));
	assert_null(strstr(out, "parameter `seconds`"));
	assert_non_null(strstr(out, "cases only in A: 1, only in B: 1"));
	files_rm(&f);
}

static void expect_error(const char *a, const char *b, const char *want)
{
	char out[8192], err[1024];
	struct files f;

	files_make(&f, a, b);
	assert_int_equal(run(&f, out, sizeof(out), err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
	files_rm(&f);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(NULL, doc_b, "a.json:");			/* missing */
	expect_error(doc_a, "{\"benchmark\": ", "b.json:1:");	/* broken JSON, with where */
	expect_error(doc_a, "{\"results\": []}", "not a benchmark result");
	expect_error(doc_a, "{\"benchmark\": \"chan\", \"results\": []}",
		     "is benchmark 'echo'");
	expect_error(doc_a, "{\"benchmark\": \"echo\", \"results\": ["
		     CASE("nginx", "64", "1", "2", "3") "]}", "no case in common");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratios_and_spread),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
