/* SPDX-License-Identifier: MIT */
/*
 * External programs for `ringplane bench proxy`: started pinned to one CPU
 * (the proxies, the backends, the load generators), their output captured
 * and parsed (iperf3 -J, wrk --latency), and the CPU time a process and its
 * children used, from /proc/PID/stat.
 */
#ifndef RP_BENCH_PROXY_TOOLS_H
#define RP_BENCH_PROXY_TOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* argv[0] found on PATH (or as a path)? */
bool pt_have(const char *prog);

/* fork + exec argv pinned to cpu, stdout/stderr to `log` (NULL: /dev/null).
 * The pid, or -errno. */
pid_t pt_spawn(const char *const *argv, unsigned cpu, const char *log);
/* SIGTERM, wait up to 5 s, then SIGKILL; reaps it. */
void pt_stop(pid_t pid);
/* Until something accepts on host:port (IPv4 text; up to 10 s). 0 or -1. */
int pt_wait_port(const char *host, unsigned port);

/* Run argv pinned to cpu, its stdout into out (NUL-terminated, truncated to
 * len - 1), wait for it. Its exit status (0..255), or -1. */
int pt_run_capture(const char *const *argv, unsigned cpu, char *out, size_t len);

/* CPU seconds pid has used: its threads (schedstat, ns) and its children
 * (live ones the same way, reaped ones from cutime + cstime: socat forks
 * per connection). */
double pt_cpu_s(pid_t pid);

/* Time CPU `cpu` was busy (user + system + irq + softirq from /proc/stat,
 * in seconds, tick resolution), whoever ran there; -1 if unreadable. Niced
 * time is left out. Catches what a process's own time misses: receive
 * softirqs that run on the CPU while the process sleeps. */
double pt_cpu_busy_s(unsigned cpu);

/* iperf3 -J: the receiver's bits per second (end.sum_received), or -1. */
double pt_iperf3_bps(const char *json);

/* wrk --latency: requests/s and the 50% / 99% latencies in microseconds.
 * false when the output has none of them. */
struct pt_wrk {
	double req_s, p50_us, p99_us;
	unsigned long errors;	/* socket errors + non-2xx responses */
};
bool pt_wrk_parse(const char *out, struct pt_wrk *w);

#endif
