/* SPDX-License-Identifier: MIT */
/*
 * Metrics: the counter blocks (dataplane/counters.h) served as Prometheus
 * text exposition on metrics.listen at /metrics, and read back by
 * `ringplane stats`.
 *
 * The exporter runs on libmicrohttpd's own thread. That thread owns no ring
 * and takes no lock a worker takes: it only loads counters with
 * rp_counter_read(), so a slow scraper can never stall the dataplane.
 *
 * Names: ringplane_<name>_total for counters, ringplane_<name> for gauges,
 * labels worker="N",service="NAME" (the worker-level block, slot
 * n_services, has no service label), plus ringplane_info{version,kernel} and
 * ringplane_worker_cpu{worker}. HELP and TYPE come from rp_counter_table.
 */
#ifndef RP_METRICS_H
#define RP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "dataplane/counters.h"

#define RP_METRICS_DEFAULT_ADDR "127.0.0.1:9107"

/* ---- types ------------------------------------------------------------- */

/* What the exporter reads; it must stay valid until rp_metrics_stop(). */
struct rp_metrics_source {
	unsigned n_workers, n_services;
	const char *const *service_names;	/* n_services names */
	/* Block of (worker, slot); slot == n_services is the worker-level
	 * block. May return NULL for a block that does not exist (a worker
	 * that does not run that service): it is left out. */
	const struct rp_counters *(*block)(void *arg, unsigned worker, unsigned slot);
	const int *worker_cpus;			/* n_workers CPUs, or NULL */
	void *arg;
};

struct rp_metrics;

/* One row of a parsed exposition: a (worker, service) block. */
struct rp_metrics_row {
	int worker;				/* -1: no worker label */
	char service[RP_NAME_MAX];		/* "" for the worker-level block */
	bool has_cpu;				/* worker-level row: ringplane_worker_cpu */
	int cpu;
	bool has[RP_C__COUNT];
	uint64_t v[RP_C__COUNT];
};

struct rp_metrics_snapshot {
	struct rp_metrics_row *rows;
	unsigned n_rows;
	char version[64];
	char kernel[128];
};

/* ---- exporter ---------------------------------------------------------- */

/* Start serving; NULL with a message in err when the address cannot be
 * bound (the message names it). */
struct rp_metrics *rp_metrics_start(const struct rp_metrics_cfg *cfg,
				    const struct rp_metrics_source *src,
				    char *err, size_t errlen);
/* The bound port (useful when the config asked for port 0). */
unsigned rp_metrics_port(const struct rp_metrics *m);
void rp_metrics_stop(struct rp_metrics *m);

/* The exposition text for src, as the exporter serves it. */
int rp_metrics_render(FILE *out, const struct rp_metrics_source *src);

/* ---- reader (`ringplane stats`, tests) --------------------------------- */

/* GET http://ADDR/metrics (libcurl, 5 s timeout) into a NUL-terminated
 * malloc'd string; NULL with a message in err. */
char *rp_metrics_fetch(const char *addr, char *err, size_t errlen);
/* Parse exposition text. Lines that are not ringplane counters are skipped;
 * a malformed sample line is an error naming its line number. */
int rp_metrics_parse(const char *text, struct rp_metrics_snapshot *snap,
		     char *err, size_t errlen);
void rp_metrics_snapshot_free(struct rp_metrics_snapshot *snap);
/* Counter index for a table name ("rx_packets"), or -1. */
int rp_counter_by_name(const char *name);

#endif
