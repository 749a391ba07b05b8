/* SPDX-License-Identifier: MIT */
/*
 * The appliance's event channel (config `events`): a broadcast message
 * channel (chan/chan.h) on which the appliance publishes what happens, one
 * JSON object per message, so that monitoring processes can follow it
 * without touching the dataplane (`ringplane chan listen NAME`, or any
 * program on chan.h):
 *
 *   {"t":MS,"event":"start","pid":P,"workers":N,"services":N}
 *   {"t":MS,"event":"conn-open","service":S,"worker":W,"conn":ID}
 *   {"t":MS,"event":"conn-close","service":S,"worker":W,"conn":ID}
 *   {"t":MS,"event":"stats","service":S,"conns_open":N,"rx_bytes":N,...}
 *   {"t":MS,"event":"reload","applied":true,"generation":N}  (or "applied":false)
 *   {"t":MS,"event":"stop","pid":P,"clean":true|false}
 *
 * t is the wall clock in milliseconds since the epoch; conn is the
 * connection's name on its worker (fixed-file slot and generation), the
 * same in its open and close events.
 *
 * The channel uses the overwrite policy: a receiver that falls behind loses
 * the oldest events (its receive reports the gap) and never makes a worker
 * wait. Each worker publishes through its own sender handle (the channel's
 * producers are lock-free); the control thread has one more for start,
 * stop and stats.
 */
#ifndef RP_EVENTS_H
#define RP_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

struct rp_chan;
struct rp_privdrop;
struct rp_counters;
struct rp_svc_inst;
struct rp_worker;

/* The control thread's side. */
struct rp_events {
	struct rp_chan *ch;		/* its sender handle; NULL: no channel */
	uint64_t next_stats_ms;		/* CLOCK_MONOTONIC */
};

/* Create the channel (replacing a stale one of a previous run), owned by
 * the user the appliance will run as. 0 (also when none is configured), or
 * -1 logged naming the channel. */
int rp_events_open(struct rp_events *ev, const struct rp_config *cfg,
		   const struct rp_privdrop *pd);
/* Publish "stop" and destroy the channel: receivers drain, then see its end. */
void rp_events_close(struct rp_events *ev, const struct rp_config *cfg, bool clean);

/* A sender handle of the calling thread (a worker's), or NULL: none
 * configured, or it could not attach (logged; the worker runs without). */
struct rp_chan *rp_events_attach(const struct rp_config *cfg);
void rp_events_detach(struct rp_chan *ch);

/* One event, printf-style: the members after "t" and "event". Dropped
 * (counted by the channel as a failed send, never waited for) if it does
 * not fit a slot or the channel is gone. No-op when ch is NULL. */
void rp_events_emit(struct rp_chan *ch, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A TCP connection of a service opened or closed on a worker. */
void rp_events_conn(struct rp_worker *w, const struct rp_svc_inst *si, bool open, uint32_t conn);

/* A backend of a service taken out (up false) or put back by its health
 * checks, on the worker that judged it; why: the last failure, or NULL. */
void rp_events_backend(struct rp_worker *w, const struct rp_svc_inst *si, const char *backend,
		       bool up, const char *why);

/* Every stats-interval-ms (call it from the control loop): one stats event
 * per service, its counters summed over the workers. block(arg, worker,
 * service) gives a worker's counter block of a service. */
typedef const struct rp_counters *(*rp_events_block_fn)(void *arg, unsigned worker, unsigned svc);
void rp_events_tick(struct rp_events *ev, const struct rp_config *cfg, unsigned n_workers,
		    rp_events_block_fn block, void *arg);

#endif
