/* SPDX-License-Identifier: MIT */
/*
 * Logging: one line per event on stderr, text or JSON (logging.format).
 * Each line carries the worker id of the calling thread (rp_log_set_worker)
 * so a multi-ring log reads per queue. Safe from any thread: one fprintf per
 * line, and stdio locks the stream.
 */
#ifndef RP_LOG_H
#define RP_LOG_H

#include <stdint.h>

#include "config/config.h"

void rp_log_setup(enum rp_log_level level, enum rp_log_format format);
/* -1: not a worker (main, control, metrics threads). */
void rp_log_set_worker(int worker_id);
bool rp_log_enabled(enum rp_log_level level);

void rp_log(enum rp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Rate limiting for events a peer can cause at will (an accept flood, a
 * stream of bad frames): at most one line per interval; the events not
 * logged are counted and said with the next line that is. The counters
 * count every event regardless. One limiter per place, owned by one thread.
 */
struct rp_ratelimit {
	uint64_t next_ms;
	unsigned missed;
};

/* May this event be logged now? *missed: events suppressed since the last
 * line that was. */
bool rp_ratelimit_ok(struct rp_ratelimit *rl, uint64_t now_ms, unsigned interval_ms,
		     unsigned *missed);
/* The same, reading CLOCK_MONOTONIC itself: for threads without a loop
 * clock of their own (the acceptor, the message port). */
bool rp_ratelimit_now(struct rp_ratelimit *rl, unsigned interval_ms, unsigned *missed);

#define rp_err(...)  rp_log(RP_LOG_ERROR, __VA_ARGS__)
#define rp_warn(...) rp_log(RP_LOG_WARN, __VA_ARGS__)
#define rp_info(...) rp_log(RP_LOG_INFO, __VA_ARGS__)
#define rp_dbg(...)  do { if (rp_log_enabled(RP_LOG_DEBUG)) rp_log(RP_LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
