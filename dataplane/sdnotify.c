/* SPDX-License-Identifier: MIT */
/* systemd notifications (see sdnotify.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-daemon.h>

#include "dataplane/log.h"
#include "dataplane/sdnotify.h"

static void notify(const char *what)
{
	int ret = sd_notify(0, what);

	/* 0: no NOTIFY_SOCKET, not started by systemd: nothing to tell */
	if (ret < 0)
		rp_warn("sd_notify(%s): %s", what, strerror(-ret));
}

void rp_sd_ready(unsigned workers, unsigned services)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=running: %u workers, %u services",
		 workers, services);
	notify(msg);
}

/* RELOADING=1 with MONOTONIC_USEC (what Type=notify-reload requires; a
 * plain Type=notify unit also holds `systemctl reload` until READY=1). */
void rp_sd_reloading(void)
{
	struct timespec ts;
	char msg[128];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	notify(msg);
}

void rp_sd_reloaded(bool applied)
{
	notify(applied ? "READY=1\nSTATUS=running: reload applied"
		       : "READY=1\nSTATUS=running: reload rejected, previous config kept");
}

void rp_sd_stopping(void)
{
	notify("STOPPING=1\nSTATUS=draining");
}

void rp_sd_watchdog_init(struct rp_sd_watchdog *wd)
{
	uint64_t usec = 0;

	*wd = (struct rp_sd_watchdog){ 0 };
	if (sd_watchdog_enabled(0, &usec) <= 0 || !usec)
		return;
	wd->interval_ms = usec / 2000 ? usec / 2000 : 1;
	rp_info("systemd watchdog: %llu ms, pinging every %llu ms",
		(unsigned long long)(usec / 1000), (unsigned long long)wd->interval_ms);
}

bool rp_sd_watchdog_due(const struct rp_sd_watchdog *wd, uint64_t now_ms)
{
	return wd->interval_ms && now_ms >= wd->next_ms;
}

void rp_sd_watchdog_ping(struct rp_sd_watchdog *wd, uint64_t now_ms, bool healthy)
{
	if (healthy)
		notify("WATCHDOG=1");
	wd->next_ms = now_ms + wd->interval_ms;
}
