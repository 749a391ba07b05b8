/* SPDX-License-Identifier: MIT */
/*
 * A benchmark's server child running the appliance in-process: the config
 * comes as generated YAML, the child runs until SIGTERM. Shared by the
 * benchmarks that fork ringplane as their server (echo, handoff).
 */
#ifndef RP_BENCH_APPLIANCE_CHILD_H
#define RP_BENCH_APPLIANCE_CHILD_H

#include <stddef.h>
#include <sys/types.h>

struct rp_bench_ctx;

/* In the child: load `yaml` (named `name` in errors), run the appliance;
 * the exit code for _exit(): 0 after a clean stop, 1 on any failure. */
int rp_bench_appliance_serve(const char *name, const char *yaml, size_t len);

/* In the parent: SIGTERM, then wait; a child that does not stop in 10 s is
 * killed. Either, or an unclean exit, becomes a note naming `what`. */
void rp_bench_child_stop(struct rp_bench_ctx *ctx, const char *what, pid_t pid);

#endif
