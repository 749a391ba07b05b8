/* SPDX-License-Identifier: MIT */
/* The appliance as a benchmark's server child; see appliance_child.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/appliance_child.h"
#include "bench/baselines/epoll_echo.h"
#include "bench/bench.h"
#include "config/config.h"
#include "dataplane/appliance.h"
#include "dataplane/log.h"

int rp_bench_appliance_serve(const char *name, const char *yaml, size_t len)
{
	struct rp_config cfg;
	struct rp_cfg_errors errs = { 0 };
	int rc;

	if (rp_config_load_string(name, yaml, len, &cfg, &errs) < 0) {
		rp_cfg_errors_print(stderr, &errs);
		rc = 1;
	} else {
		rp_log_setup(cfg.logging.level, cfg.logging.format);
		rc = rp_appliance_run(&cfg);
	}
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
	return rc;
}

#define START_TIMEOUT_NS 10000000000ull

int rp_bench_free_port(int sock_type, struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, sock_type | SOCK_CLOEXEC, 0);

	*a = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)a, &len) < 0) {
		int err = -errno;

		if (fd >= 0)
			close(fd);
		return err;
	}
	close(fd);
	return 0;
}

pid_t rp_bench_child_start(struct rp_bench_ctx *ctx, const struct rp_bench_child *c)
{
	pid_t pid;
	int err = rp_bench_free_port(c->sock_type, c->addr);

	if (err < 0) {
		rp_bench_fail(ctx, "no free port on 127.0.0.1: %s", strerror(-err));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rp_bench_fail(ctx, "fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		rp_bench_pin_self(c->cpu);
		_exit(c->serve(c->arg));
	}
	/* Up when it answers (ringplane needs a moment for rings and buffers);
	 * a port nobody bound yet refuses at once, so pace the probes. */
	for (unsigned long long end = rp_bench_now_ns() + START_TIMEOUT_NS; rp_bench_now_ns() < end;) {
		if (c->ready(c->arg))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			rp_bench_fail(ctx, "%s server exited during start-up", c->what);
			return -1;
		}
		usleep(20 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	rp_bench_fail(ctx, "%s server did not answer on 127.0.0.1:%u within 10 s",
		      c->what, ntohs(c->addr->sin_port));
	return -1;
}

void rp_bench_child_stop(struct rp_bench_ctx *ctx, const char *what, pid_t pid)
{
	int status = 0;

	kill(pid, SIGTERM);
	for (int i = 0; i < 200 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(50 * 1000);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		rp_bench_note(ctx, "%s server did not stop within 10 s of SIGTERM (killed)", what);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		rp_bench_note(ctx, "%s server ended with status 0x%x after SIGTERM", what, status);
	}
}

/* CPU time (user + system, all threads) a process has used, in ns; the
 * server's cost per packet holds up better than pps on a busy machine. */
/* The process's CPU-time clock, in ns. Not /proc/PID/stat's utime + stime:
 * those count in clock ticks (10 ms), so a server that ran less than a tick
 * in a short window (--quick, or a busy machine) read as 0 CPU and its
 * per-packet metrics went missing. */
double rp_bench_process_cpu_ns(pid_t pid)
{
	struct timespec ts;
	clockid_t clk;

	if (clock_getcpuclockid(pid, &clk) || clock_gettime(clk, &ts))
		return 0;
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile sig_atomic_t epoll_stop;

static void epoll_on_term(int sig)
{
	(void)sig;
	epoll_stop = 1;
}

int rp_bench_epoll_echo_child(const char *what, const struct sockaddr_in *addr)
{
	struct sigaction sa = { .sa_handler = epoll_on_term };
	int fd = rp_epoll_echo_bind((const struct sockaddr *)addr, sizeof(*addr));

	if (fd < 0) {
		fprintf(stderr, "bench %s: epoll echo server: bind: %s\n", what, strerror(-fd));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	return rp_epoll_echo_serve(fd, &epoll_stop, NULL) ? 1 : 0;
}
