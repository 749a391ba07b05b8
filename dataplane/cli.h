/* SPDX-License-Identifier: MIT */
/*
 * The `ringplane` subcommands. Each lives in the file of the concept it
 * drives; main.c only holds the table. Every command parses its own options
 * (getopt_long), answers --help on stdout with exit 0, and reports bad usage
 * on stderr with exit RP_EXIT_USAGE.
 */
#ifndef RP_CLI_H
#define RP_CLI_H

enum {
	RP_EXIT_OK = 0,
	RP_EXIT_FAIL = 1,	/* ran, and something failed */
	RP_EXIT_USAGE = 2,	/* bad command line or unknown subcommand */
};

typedef int (*rp_cmd_fn)(int argc, char **argv);

struct rp_cmd {
	const char *name;
	rp_cmd_fn fn;
	const char *summary;
};

int cmd_run(int argc, char **argv);	 /* dataplane/appliance.c */
int cmd_check(int argc, char **argv);	 /* config/check_cli.c */
int cmd_reload(int argc, char **argv);	 /* dataplane/reload_cli.c */
int cmd_features(int argc, char **argv); /* dataplane/features.c */
int cmd_stats(int argc, char **argv);	 /* dataplane/stats_cli.c */
int cmd_nic(int argc, char **argv);	 /* nicmgr/nic_cli.c */
int cmd_bench(int argc, char **argv);	 /* bench/bench_cli.c */
int cmd_chan(int argc, char **argv);	 /* dataplane/chan_cli.c */
int cmd_man(int argc, char **argv);	 /* dataplane/man.c */

/* The table main.c dispatches on, for the man page. */
extern const struct rp_cmd rp_commands[];
extern const size_t rp_n_commands;

/*
 * Shared usage helper: "ringplane CMD: MSG (try 'ringplane CMD --help')" on
 * stderr; returns RP_EXIT_USAGE so callers can `return rp_usage_error(...)`.
 */
int rp_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
