/* SPDX-License-Identifier: MIT */
/*
 * `ringplane stats`: the tcp-proxy backends' table under the main one, one
 * line per backend summed over the workers: its health state as the
 * workers see it, its checks, connections and errors by kind.
 */
#ifndef RP_STATS_BACKENDS_H
#define RP_STATS_BACKENDS_H

#include "dataplane/metrics.h"

/* Prints nothing when the snapshot has no backend rows. */
void rp_stats_print_backends(const struct rp_metrics_snapshot *s);

#endif
