/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench soak`, inside: what the load side does each second
 * (soak_load.c) and how the appliance process is sampled (soak_probe.c);
 * soak.c runs the appliance, the loop and the end checks.
 */
#ifndef RP_BENCH_SOAK_H
#define RP_BENCH_SOAK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

/* ---- the appliance process, sampled ------------------------------------- */

struct soak_sample {
	double rss_kib;			/* /proc/PID/status VmRSS */
	double fds;			/* entries of /proc/PID/fd */
	/* From its metrics endpoint, summed over workers and services: */
	double bufs_free, bufs_in_flight;
	double conns_open;		/* accepted - closed */
	double errors;			/* every err_* counter */
	double write_stalls, idle_timeouts, refused;
	double rx_packets;
};

/* 0, or -1 with why in err (process gone, metrics unreachable). */
int soak_sample_take(pid_t pid, const char *metrics_addr, struct soak_sample *s,
		     char *err, size_t errlen);

/* ---- the load side -------------------------------------------------------- */

/* The appliance's services, on 127.0.0.1. */
struct soak_targets {
	struct sockaddr_in udp, echo, proxy;
};

/* What the clients did (and saw) so far. */
struct soak_counts {
	double udp_sent, udp_replies, udp_oversize;
	double echo_ok, echo_bad;	/* TCP round trips to tcp-echo */
	double proxy_ok, proxy_bad;	/* the same through tcp-proxy */
	double vanished;		/* connected, sent, reset without reading */
	double stuck;			/* sent until the window closed, never read */
	double idle;			/* connected and said nothing */
};

struct soak_load;

struct soak_load *soak_load_new(const struct soak_targets *t);
/* One second's worth of traffic, good and bad; returns within about 0.5 s. */
void soak_load_tick(struct soak_load *l, unsigned second);
/* Close every client socket still open (stuck and idle ones included). */
void soak_load_close_all(struct soak_load *l);
const struct soak_counts *soak_load_counts(const struct soak_load *l);
void soak_load_free(struct soak_load *l);

#endif
