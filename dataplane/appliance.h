/* SPDX-License-Identifier: MIT */
/*
 * The appliance: `ringplane run`. Start-up order: config -> feature probe ->
 * nicmgr applies interfaces[] and maps rx queue -> CPU (nic_start.h) ->
 * worker count and CPUs (rp_worker_count, rp_pick_worker_cpus) ->
 * workers (each creates its ring, pool, services) -> metrics -> wait for a
 * signal. Shutdown order (SIGINT/SIGTERM): every worker is told by ring-less
 * MSG_RING to stop accepting and receiving, finish in-flight sends, wait for
 * every zerocopy notification, unregister its buffers and close its files;
 * then the process exits 0. When the drain outlasts shutdown.drain-timeout-ms
 * (a peer that never reads holds its sends forever), workers reset the
 * connections still open (RST), log what they abandoned, and still wait for
 * every notification before freeing buffers: exit 0 all the same. A second
 * signal abandons the drain: a log line
 * says what was left (operations, buffers per worker) and the exit is 1.
 */
#ifndef RP_APPLIANCE_H
#define RP_APPLIANCE_H

#include "config/config.h"
#include "dataplane/counters.h"
#include "dataplane/nic_start.h"

struct rp_appliance;
struct rp_worker;

/* Run until signalled. 0: clean shutdown; 1: failed to start or forced. */
int rp_appliance_run(const struct rp_config *cfg);

/* ---- read-only views for metrics (any thread, while running) ---------- */

unsigned rp_appliance_n_workers(const struct rp_appliance *a);
struct rp_worker *rp_appliance_worker(struct rp_appliance *a, unsigned i);
/* Worker i's counter blocks: [0, n_services) per service, then one
 * worker-level block; *n_blocks = n_services + 1. */
const struct rp_counters *rp_appliance_counters(const struct rp_appliance *a,
						unsigned worker, unsigned *n_blocks);
const struct rp_config *rp_appliance_config(const struct rp_appliance *a);

/*
 * CPUs for n workers: worker i goes to the CPU that services NIC queue i
 * (qc, from nicmgr; may be NULL or empty), else workers.cpus when given,
 * else the CPUs the process may run on, in turn. 0 or -errno.
 */
int rp_pick_worker_cpus(const struct rp_config *cfg, const struct rp_queue_cpus *qc,
			unsigned n, int *cpus);
/* Number of workers: workers.count, else one per served NIC queue (qc),
 * else one per allowed CPU. */
unsigned rp_worker_count(const struct rp_config *cfg, const struct rp_queue_cpus *qc);

#endif
