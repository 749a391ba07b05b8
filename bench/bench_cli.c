/* SPDX-License-Identifier: MIT */
/* `ringplane bench NAME [--quick] [--out DIR] [--reps N] [--seconds S]
 * [--set KEY=VALUE...]`, `--list`, `ringplane bench NAME --help`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/compare.h"
#include "bench/harness_int.h"
#include "dataplane/cli.h"

#define MAX_SETS 32

static void usage(FILE *f)
{
	fprintf(f, "usage: ringplane bench NAME [--quick] [--out DIR] [--reps N] [--seconds S]\n"
		   "                       [--set KEY=VALUE[,VALUE...]]...\n"
		   "       ringplane bench NAME --help\n"
		   "       ringplane bench compare A.json B.json\n"
		   "       ringplane bench --list\n\n"
		   "Run a benchmark: every case is repeated (5 times, 3 with --quick) and\n"
		   "summarized as min/median/max. Progress goes to stderr; the results to\n"
		   "DIR/NAME.json (every repetition, machine, kernel, liburing), DIR/NAME.md\n"
		   "(a table) and DIR/NAME-*.svg (gnuplot). Their paths go to stdout.\n\n"
		   "  --quick    tiny run (seconds): checks that the benchmark works\n"
		   "  --out DIR  output directory (default: results)\n"
		   "  --reps N   repetitions per case (1..%d)\n"
		   "  --seconds S  the same as --set seconds=S (measuring time per\n"
		   "             repetition; soak: the run's length)\n"
		   "  --set KEY=VALUE[,VALUE...]  a benchmark parameter (variants, sizes,\n"
		   "             seconds, cpus, ...): `ringplane bench NAME --help` lists\n"
		   "             them with their defaults; the JSON records every value\n"
		   "  --list     the benchmarks, with a line each\n"
		   "  --help     this text (with NAME: and that benchmark's parameters)\n\n"
		   "compare: the cases two result files of one benchmark share, each metric's\n"
		   "ratio of medians B/A with its spread (B.min/A.max .. B.max/A.min), as a\n"
		   "markdown table on stdout.\n\n"
		   "Exit status: 0 success, 1 the benchmark or a case failed (outputs are\n"
		   "still written), 2 usage error or unknown benchmark.\n", RP_BENCH_MAX_REPS);
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

/* `ringplane bench compare A.json B.json` (argv from "compare" on). */
static int cmd_compare(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return RP_EXIT_OK;
	}
	if (argc != 3)
		return rp_usage_error("bench", "compare needs two result files: A.json B.json");
	return rp_bench_compare(stdout, stderr, argv[1], argv[2]) ? RP_EXIT_FAIL : RP_EXIT_OK;
}

int cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "out", required_argument, NULL, 'o' },
		{ "reps", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "set", required_argument, NULL, 'S' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct rp_bench_opts o = { .outdir = "results" };
	const struct rp_bench_def *def;
	struct rp_bench_ctx *ctx;
	const char *sets[MAX_SETS];
	char seconds_set[64];
	unsigned n_sets = 0;
	bool help = false;
	char err[1024];
	int c, ret;

	if (argc > 1 && !strcmp(argv[1], "compare"))
		return cmd_compare(argc - 1, argv + 1);
	opterr = 0;
	optind = 0;	/* full reset: options may follow NAME */
	while ((c = getopt_long(argc, argv, ":qo:r:s:S:lh", opts, NULL)) != -1) {
		switch (c) {
		case 'q': o.quick = true; break;
		case 'o': o.outdir = optarg; break;
		case 'r':
			if (parse_reps(optarg, &o.reps))
				return rp_usage_error("bench", "--reps needs a number from 1 to %d, not '%s'",
						      RP_BENCH_MAX_REPS, optarg);
			break;
		case 's':	/* checked as the seconds knob */
			snprintf(seconds_set, sizeof(seconds_set), "seconds=%s", optarg);
			/* fall through */
		case 'S':
			if (n_sets == MAX_SETS)
				return rp_usage_error("bench", "at most %d --set options", MAX_SETS);
			sets[n_sets++] = c == 's' ? seconds_set : optarg;
			break;
		case 'l': list(stdout); return RP_EXIT_OK;
		case 'h': help = true; break;
		case ':': return rp_usage_error("bench", "option '%s' needs a value", argv[optind - 1]);
		default: return rp_usage_error("bench", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (help && optind >= argc) {
		usage(stdout);
		return RP_EXIT_OK;
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
	if (help) {
		usage(stdout);
		rp_bench_knobs_help(stdout, def);
		return RP_EXIT_OK;
	}
	ctx = rp_bench_ctx_new(def, &o);
	for (unsigned i = 0; i < n_sets; i++) {
		if (rp_bench_knobs_set(ctx, sets[i], err, sizeof(err))) {
			rp_bench_ctx_free(ctx);
			return rp_usage_error("bench", "%s", err);
		}
	}
	ret = rp_bench_execute(ctx);
	rp_bench_ctx_free(ctx);
	return ret ? RP_EXIT_FAIL : RP_EXIT_OK;
}
