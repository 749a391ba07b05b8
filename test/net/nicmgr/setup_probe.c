// SPDX-License-Identifier: MIT
/*
 * Drives rp_nic_setup() the way the appliance does at start-up and prints
 * the queue map, for setup.sh:
 *
 *   nic_setup_probe FILE [--dry-run]
 *
 * Per interface: "DEV napi=0|1 irq=0|1 n=N", one "rx Q napi ID irq N cpu C"
 * line per queue, "note: ...". On failure the error on stderr, exit 1.
 */
#include <stdio.h>
#include <string.h>

#include "nicmgr/nicmgr.h"

int main(int argc, char **argv)
{
	struct rp_config cfg = { 0 };
	struct rp_cfg_errors errs = { 0 };
	bool dry_run = argc > 2 && !strcmp(argv[2], "--dry-run");
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: nic_setup_probe FILE [--dry-run]\n");
		return 2;
	}
	if (rp_config_load_file(argv[1], &cfg, &errs) < 0) {
		rp_cfg_errors_print(stderr, &errs);
		rp_cfg_errors_free(&errs);
		return 1;
	}
	for (unsigned i = 0; i < cfg.n_interfaces && ret == 0; i++) {
		struct rp_nic_qmap map;
		char err[512];

		if (rp_nic_setup(cfg.file, &cfg.interfaces[i], dry_run, &map, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			ret = 1;
			break;
		}
		printf("%s napi=%d irq=%d n=%u\n", map.dev, map.has_napi, map.has_irq, map.n);
		for (unsigned q = 0; q < map.n; q++)
			printf("rx %u napi %lld irq %lld cpu %d\n", map.q[q].queue,
			       (long long)map.q[q].napi_id, (long long)map.q[q].irq, map.q[q].cpu);
		printf("note: %s\n", map.note);
	}
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
	return ret;
}
