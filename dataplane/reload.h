/* SPDX-License-Identifier: MIT */
/*
 * Live reload (`ringplane run`, on SIGHUP; `ringplane reload` sends it).
 *
 * The control thread re-reads the file the appliance was started with,
 * with the same loader and rules as `ringplane check`. An invalid file is
 * rejected with its FILE:LINE:COLUMN errors logged. The new config is then
 * compared with the running one key by key (config/diff.h): only the keys
 * below may change live; any other change (a listen address, a service
 * added or removed, workers, buffers, interfaces, ...) is reported by name
 * and place and the whole reload is rejected: nothing is half-applied, the
 * running config stays.
 *
 *   services[].backends                     tcp-proxy: added, removed, re-weighted
 *   services[].balance, connect-timeout-ms, retries, nodelay
 *   services[].max-connections, idle-timeout-ms, write-stall-timeout-ms
 *
 * What applies is a generation: a config the workers run. The control thread
 * posts it to every worker by MSG_RING (RP_MSG_RELOAD); a worker switches
 * between two completion batches (svc ops->reload, svc.h) and acknowledges
 * by storing the generation's number (a release store the control thread
 * reads); the previous generation is freed once every worker has
 * acknowledged the next. Workers take no lock and share nothing mutable.
 *
 * Backends keep their identity by address across reloads: a kept backend
 * keeps its counter slot (rp_backend_cfg.slot, svc.h) and so its counters
 * and Prometheus label; a new address gets a fresh slot (at most
 * RP_BACKEND_SLOTS addresses per service since start; beyond that a reload
 * is rejected). A removed backend stays in the generation after the live
 * ones (backends[n_backends .. n_backends_all)), where the balancer never
 * looks, so connections still open to it finish and are counted under it.
 *
 * Outcome: logged (what changed, or why rejected), counted (reloads_ok /
 * reloads_rejected), told to systemd (RELOADING=1 ... READY=1), and
 * answered to a `ringplane reload` that asked (a SIGHUP sent with
 * sigqueue and RP_RELOAD_ASK; the answer is RP_RELOAD_ANSWER_SIG with an
 * enum rp_reload_outcome).
 */
#ifndef RP_RELOAD_H
#define RP_RELOAD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

#define RP_RELOAD_ASK        0x52504c44	/* "RPLD": sigqueue value of an asking SIGHUP */
#define RP_RELOAD_ANSWER_SIG SIGUSR1

enum rp_reload_outcome {
	RP_RELOAD_APPLIED,
	RP_RELOAD_REJECTED,	/* invalid, or not live: the log says which key where */
	RP_RELOAD_STOPPING,	/* the appliance is shutting down */
};

/* A config the workers run. Generation 0 is the one `run` started with
 * (owned by its caller); later ones are owned by the reload state. */
struct rp_cfg_gen {
	struct rp_config cfg;
	uint64_t seq;
};

struct rp_worker;
struct rp_reload;

/* At start, before the workers: slot names for the metrics exporter go to
 * names[k] for backend block k of rp_svc_backend_blocks() (published with
 * a release store; unused slots stay NULL). NULL on ENOMEM. */
struct rp_reload *rp_reload_new(const struct rp_config *cfg, const char **names);
/* After the workers ended. */
void rp_reload_free(struct rp_reload *r);

/* SIGHUP arrived (from pid `asker` if it asked for an answer, else 0). */
void rp_reload_request(struct rp_reload *r, struct rp_worker *workers, unsigned n,
		       pid_t asker);
/* Every control tick: finish a reload every worker has acknowledged, run
 * the next one asked for meanwhile. */
void rp_reload_poll(struct rp_reload *r, struct rp_worker *workers, unsigned n);
/* Shutting down: answer whoever waits (RP_RELOAD_STOPPING). */
void rp_reload_cancel(struct rp_reload *r);
/* A generation posted and not yet acknowledged by every worker (the
 * control thread then looks more often). */
bool rp_reload_in_flight(const struct rp_reload *r);
/* Publish each outcome on the event channel too ("reload" events). */
struct rp_chan;
void rp_reload_set_events(struct rp_reload *r, struct rp_chan *events);

/* Live-changeable keys: is this diff path one? (config/diff.h paths) */
bool rp_reload_key_is_live(const char *path);

#endif
