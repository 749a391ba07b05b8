/* SPDX-License-Identifier: MIT */
/*
 * systemd's service notification protocol (Type=notify), through
 * libsystemd's sd_notify: READY=1 once every worker runs (and after the
 * privilege drop), WATCHDOG=1 from the control thread while every worker
 * answers (the appliance decides: see its liveness pings), when the unit
 * sets WatchdogSec=; STOPPING=1 when the drain begins. Without
 * NOTIFY_SOCKET in the environment every call does nothing.
 */
#ifndef RP_SDNOTIFY_H
#define RP_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

void rp_sd_ready(unsigned workers, unsigned services);
void rp_sd_stopping(void);
/* A reload begins (RELOADING=1, MONOTONIC_USEC) / ends (READY=1, and
 * STATUS= says whether it was applied or rejected). */
void rp_sd_reloading(void);
void rp_sd_reloaded(bool applied);

struct rp_sd_watchdog {
	uint64_t interval_ms;	/* between pings: half of WatchdogSec; 0: off */
	uint64_t next_ms;
};

/* Reads WATCHDOG_USEC / WATCHDOG_PID (sd_watchdog_enabled). */
void rp_sd_watchdog_init(struct rp_sd_watchdog *wd);
/* Is a ping due? (false when the watchdog is off). */
bool rp_sd_watchdog_due(const struct rp_sd_watchdog *wd, uint64_t now_ms);
/* A due ping: WATCHDOG=1 if healthy, else none (systemd restarts the unit
 * after WatchdogSec); either way the next is due one interval later. */
void rp_sd_watchdog_ping(struct rp_sd_watchdog *wd, uint64_t now_ms, bool healthy);

#endif
