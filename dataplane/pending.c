/* SPDX-License-Identifier: MIT */
/*
 * Subcommands whose issue has not landed yet. Each says so plainly and
 * exits 1; the implementing change deletes its entry here.
 */
#include <stdio.h>

#include "dataplane/cli.h"

static int not_yet(const char *cmd, const char *what)
{
	fprintf(stderr, "ringplane %s: not available in this version (%s)\n", cmd, what);
	return RP_EXIT_FAIL;
}

int cmd_run(int argc, char **argv) { (void)argc; (void)argv; return not_yet("run", "dataplane core"); }
int cmd_stats(int argc, char **argv) { (void)argc; (void)argv; return not_yet("stats", "metrics"); }
