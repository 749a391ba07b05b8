/* SPDX-License-Identifier: MIT */
/* ringplane: the subcommand table, and nothing else (man.c prints it too). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/cli.h"

const struct rp_cmd rp_commands[] = {
	{ "run",      cmd_run,      "run the appliance (-c FILE; default: the embedded default config)" },
	{ "check",    cmd_check,    "validate a config file and print it normalized" },
	{ "features", cmd_features, "show which io_uring features this kernel and liburing support" },
	{ "reload",   cmd_reload,   "reload a running appliance's config live (as SIGHUP) and report the outcome" },
	{ "stats",    cmd_stats,    "show a running appliance's counters" },
	{ "nic",      cmd_nic,      "show, plan and apply NIC queue/NAPI/IRQ settings" },
	{ "bench",    cmd_bench,    "run a named benchmark and write JSON, a table and a plot" },
	{ "chan",     cmd_chan,     "message channels between processes: create, send, listen, stats, destroy" },
	{ "man",      cmd_man,      "print the ringplane(8) manual page (roff), made from these tables" },
};
const size_t rp_n_commands = sizeof(rp_commands) / sizeof(rp_commands[0]);

static void usage(FILE *f)
{
	fprintf(f, "usage: ringplane COMMAND [OPTIONS]\n"
		   "       ringplane COMMAND --help\n"
		   "       ringplane --version\n\n"
		   "An io_uring network-appliance dataplane.\n\ncommands:\n");
	for (size_t i = 0; i < rp_n_commands; i++)
		fprintf(f, "  %-9s %s\n", rp_commands[i].name, rp_commands[i].summary);
	fprintf(f, "\nExit status: 0 success, 1 failure, 2 usage error.\n");
}

int rp_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ringplane %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try 'ringplane %s --help')\n", cmd);
	return RP_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return RP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return RP_EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("ringplane %s\n", RP_VERSION);
		return RP_EXIT_OK;
	}
	for (size_t i = 0; i < rp_n_commands; i++)
		if (!strcmp(argv[1], rp_commands[i].name))
			return rp_commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "ringplane: unknown command '%s' (try 'ringplane --help')\n", argv[1]);
	return RP_EXIT_USAGE;
}
