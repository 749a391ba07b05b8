/* SPDX-License-Identifier: MIT */
/*
 * `ringplane check FILE`: load and validate a config; print it normalized
 * (stdout, exit 0) or every error as FILE:LINE:COL (stderr, exit 1).
 */
#include <getopt.h>
#include <stdio.h>

#include "config/config.h"
#include "config/print.h"
#include "dataplane/cli.h"

static void check_usage(FILE *f)
{
	fprintf(f, "usage: ringplane check [OPTIONS] FILE\n\n"
		   "Validate a YAML config file (FILE '-' reads stdin). On success print the\n"
		   "normalized config (every key, defaults filled in) to stdout; otherwise print\n"
		   "every problem found as FILE:LINE:COLUMN: error: MESSAGE to stderr.\n\n"
		   "  -q, --quiet      print nothing on success\n"
		   "  -r, --reference  print the config with every key documented from the\n"
		   "                   schema (type, range, default, meaning)\n"
		   "  -h, --help       this help\n\n"
		   "Exit status: 0 valid, 1 invalid or unreadable, 2 usage error.\n");
}

enum check_output { OUT_NORMALIZED, OUT_QUIET, OUT_REFERENCE };

static void (*const printers[])(FILE *, const struct rp_config *) = {
	[OUT_NORMALIZED] = rp_config_print,
	[OUT_QUIET] = NULL,
	[OUT_REFERENCE] = rp_config_print_documented,
};

static int check_file(const char *path, enum check_output out)
{
	struct rp_cfg_errors errs = { 0 };
	struct rp_config cfg;
	int ret = rp_config_load_file(path, &cfg, &errs);

	if (ret)
		rp_cfg_errors_print(stderr, &errs);
	else if (printers[out])
		printers[out](stdout, &cfg);
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
	return ret ? RP_EXIT_FAIL : RP_EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "reference", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum check_output out = OUT_NORMALIZED;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+qrh", opts, NULL)) != -1) {
		switch (c) {
		case 'q': out = OUT_QUIET; break;
		case 'r': out = OUT_REFERENCE; break;
		case 'h': check_usage(stdout); return RP_EXIT_OK;
		default: return rp_usage_error("check", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return rp_usage_error("check", "missing FILE");
	if (optind + 1 < argc)
		return rp_usage_error("check", "unexpected argument '%s'", argv[optind + 1]);
	return check_file(argv[optind], out);
}
