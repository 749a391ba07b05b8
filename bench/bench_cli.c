/* SPDX-License-Identifier: MIT */
/* `ringplane bench NAME [--quick] [--out DIR] [--reps N] [--seconds S]`, `--list`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/harness_int.h"
#include "dataplane/cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ringplane bench NAME [--quick] [--out DIR] [--reps N] [--seconds S]\n"
		   "       ringplane bench --list\n\n"
		   "Run a benchmark: every case is repeated (5 times, 3 with --quick) and\n"
		   "summarized as min/median/max. Progress goes to stderr; the results to\n"
		   "DIR/NAME.json (every repetition, machine, kernel, liburing), DIR/NAME.md\n"
		   "(a table) and DIR/NAME-*.svg (gnuplot). Their paths go to stdout.\n\n"
		   "  --quick    tiny run (seconds): checks that the benchmark works\n"
		   "  --out DIR  output directory (default: results)\n"
		   "  --reps N   repetitions per case (1..%d)\n"
		   "  --seconds S  run length of a benchmark that has one (soak: default\n"
		   "             600, --quick 8), 1..%d\n"
		   "  --list     the benchmarks, with a line each\n"
		   "  --help     this text\n\n"
		   "Exit status: 0 success, 1 the benchmark or a case failed (outputs are\n"
		   "still written), 2 usage error or unknown benchmark.\n", RP_BENCH_MAX_REPS,
		RP_BENCH_MAX_SECONDS);
}

static void list(FILE *f)
{
	for (unsigned i = 0; i < rp_n_benches; i++)
		fprintf(f, "  %-10s %s\n", rp_benches[i]->name, rp_benches[i]->summary);
}

static const struct rp_bench_def *find(const char *name)
{
	for (unsigned i = 0; i < rp_n_benches; i++)
		if (!strcmp(rp_benches[i]->name, name))
			return rp_benches[i];
	return NULL;
}

/* A whole number from 1 to max. */
static int parse_num(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < 1 || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_reps(const char *s, unsigned *out)
{
	return parse_num(s, RP_BENCH_MAX_REPS, out);
}

static int parse_seconds(const char *s, double *out)
{
	unsigned v;

	if (parse_num(s, RP_BENCH_MAX_SECONDS, &v))
		return -1;
	*out = v;
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "out", required_argument, NULL, 'o' },
		{ "reps", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct rp_bench_opts o = { .outdir = "results" };
	const struct rp_bench_def *def;
	struct rp_bench_ctx *ctx;
	int c, ret;

	opterr = 0;
	optind = 0;	/* full reset: options may follow NAME */
	while ((c = getopt_long(argc, argv, ":qo:r:s:lh", opts, NULL)) != -1) {
		switch (c) {
		case 'q': o.quick = true; break;
		case 'o': o.outdir = optarg; break;
		case 'r':
			if (parse_reps(optarg, &o.reps))
				return rp_usage_error("bench", "--reps needs a number from 1 to %d, not '%s'",
						      RP_BENCH_MAX_REPS, optarg);
			break;
		case 's':
			if (parse_seconds(optarg, &o.seconds))
				return rp_usage_error("bench", "--seconds needs a number from 1 to %d, not '%s'",
						      RP_BENCH_MAX_SECONDS, optarg);
			break;
		case 'l': list(stdout); return RP_EXIT_OK;
		case 'h': usage(stdout); return RP_EXIT_OK;
		case ':': return rp_usage_error("bench", "option '%s' needs a value", argv[optind - 1]);
		default: return rp_usage_error("bench", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return rp_usage_error("bench", "which benchmark? (ringplane bench --list)");
	if (optind + 1 < argc)
		return rp_usage_error("bench", "one benchmark at a time, not '%s' too", argv[optind + 1]);
	if (!o.outdir[0])
		return rp_usage_error("bench", "--out needs a directory");
	def = find(argv[optind]);
	if (!def) {
		fprintf(stderr, "ringplane bench: unknown benchmark '%s'; known:\n", argv[optind]);
		list(stderr);
		return RP_EXIT_USAGE;
	}
	ctx = rp_bench_ctx_new(def, &o);
	ret = rp_bench_execute(ctx);
	rp_bench_ctx_free(ctx);
	return ret ? RP_EXIT_FAIL : RP_EXIT_OK;
}
