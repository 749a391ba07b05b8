/* SPDX-License-Identifier: MIT */
/* The appliance as a benchmark's server child; see appliance_child.h. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/appliance_child.h"
#include "bench/bench.h"
#include "config/config.h"
#include "dataplane/appliance.h"
#include "dataplane/log.h"

int rp_bench_appliance_serve(const char *name, const char *yaml, size_t len)
{
	struct rp_config cfg;
	struct rp_cfg_errors errs = { 0 };
	int rc;

	if (rp_config_load_string(name, yaml, len, &cfg, &errs) < 0) {
		rp_cfg_errors_print(stderr, &errs);
		rc = 1;
	} else {
		rp_log_setup(cfg.logging.level, cfg.logging.format);
		rc = rp_appliance_run(&cfg);
	}
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
	return rc;
}

void rp_bench_child_stop(struct rp_bench_ctx *ctx, const char *what, pid_t pid)
{
	int status = 0;

	kill(pid, SIGTERM);
	for (int i = 0; i < 200 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(50 * 1000);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		rp_bench_note(ctx, "%s server did not stop within 10 s of SIGTERM (killed)", what);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		rp_bench_note(ctx, "%s server ended with status 0x%x after SIGTERM", what, status);
	}
}
