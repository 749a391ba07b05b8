/* SPDX-License-Identifier: MIT */
/*
 * `ringplane chan`: broadcast/multicast message channels between processes
 * (seed 002, the io_uring IPC channel proposal). The name is fixed in the CLI
 * now so scripts and docs can rely on it; the channels themselves are not in
 * this version, and the command says so instead of pretending.
 */
#include <stdio.h>
#include <string.h>

#include "dataplane/cli.h"

static void chan_usage(void)
{
	printf("usage: ringplane chan COMMAND ...\n\n"
	       "Shared-memory broadcast/multicast message channels between processes\n"
	       "(unicast, broadcast and multicast delivery with futex-based waiting),\n"
	       "as in the io_uring IPC channel proposal.\n\n"
	       "Not available in this version: every command exits 1 with a message.\n");
}

int cmd_chan(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		chan_usage();
		return RP_EXIT_OK;
	}
	fprintf(stderr, "ringplane chan: message channels are not available in this version\n");
	return RP_EXIT_FAIL;
}
