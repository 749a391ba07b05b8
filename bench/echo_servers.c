/* SPDX-License-Identifier: MIT */
/*
 * The servers of `ringplane bench echo`, each a forked child pinned to the
 * server CPU on its own port of 127.0.0.1:
 *   ringplane        one worker, zerocopy auto, UDP GSO replies (the default)
 *   ringplane-nogso  the same with `gso: false`: what io_uring alone gives
 *   epoll            epoll + recvmmsg/sendmmsg, no GSO
 *   epoll-gso        the same plus the kernel features ringplane uses: the
 *                    replies to one peer from one batch in UDP_SEGMENT trains,
 *                    and UDP_GRO (coalesced requests back as one train each)
 *   sockperf         Debian's `sockperf server` (an outside peer), exec'd
 * ringplane's buffers.count and the epoll servers' batch (= their buffers)
 * are the same number. The epoll servers' stats live in a shared page the
 * bench reads (echo_running.stats): how many receives came coalesced.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/appliance_child.h"
#include "bench/baselines/epoll_echo.h"
#include "bench/bench.h"
#include "bench/echo_int.h"
#include "bench/echo_load.h"

static volatile sig_atomic_t epoll_stop;

static void on_term(int sig)
{
	(void)sig;
	epoll_stop = 1;
}

static int serve_epoll_with(const struct echo_running *r, bool gso)
{
	struct sigaction sa = { .sa_handler = on_term };
	/* GRO under ringplane's own condition: GSO replies, 64 KiB buffers */
	const struct rp_epoll_echo_cfg cfg = { .batch = r->batch, .gso = gso, .gro = gso };
	int fd = rp_epoll_echo_bind((const struct sockaddr *)&r->addr, sizeof(r->addr)), err;

	if (fd < 0) {
		fprintf(stderr, "bench echo: %s server: bind: %s\n", r->variant, strerror(-fd));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	err = rp_epoll_echo_serve_cfg(fd, &cfg, &epoll_stop, r->stats);
	if (err)
		fprintf(stderr, "bench echo: %s server: %s\n", r->variant, strerror(-err));
	return err ? 1 : 0;
}

static int serve_epoll(const struct echo_running *r) { return serve_epoll_with(r, false); }
static int serve_epoll_gso(const struct echo_running *r) { return serve_epoll_with(r, true); }

/* A one-worker appliance with one udp-echo service on the server's address. */
static int serve_appliance(const struct echo_running *r, bool gso)
{
	char yaml[1024];
	int n = snprintf(yaml, sizeof(yaml),
			 "workers:\n  count: 1\n  cpus: [%u]\n"
			 "buffers:\n  size: 65536\n  count: %u\n"
			 "zerocopy:\n  mode: auto\n"
			 "services:\n  - name: echo\n    type: udp-echo\n    listen: 127.0.0.1:%u\n"
			 "    gso: %s\n"
			 "metrics:\n  enabled: false\n"
			 "logging:\n  level: warn\n",
			 r->cpu, r->batch, ntohs(r->addr.sin_port), gso ? "true" : "false");

	return rp_bench_appliance_serve("bench-echo", yaml, (size_t)n);
}

static int serve_ringplane(const struct echo_running *r) { return serve_appliance(r, true); }
static int serve_ringplane_nogso(const struct echo_running *r) { return serve_appliance(r, false); }

/* Debian's sockperf server, its output discarded; the exec keeps the pid,
 * so its CPU time is read like the others'. */
static int serve_sockperf(const struct echo_running *r)
{
	char port[16];
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	snprintf(port, sizeof(port), "%u", ntohs(r->addr.sin_port));
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	execlp("sockperf", "sockperf", "server", "-i", "127.0.0.1", "-p", port, (char *)NULL);
	return 127;
}

static const struct echo_server {
	const char *variant;
	const char *about;
	int (*serve)(const struct echo_running *r);
} servers[] = {
	{ "ringplane", "1 worker, zerocopy auto, UDP GSO replies, buffers 64 KiB x batch",
	  serve_ringplane },
	{ "ringplane-nogso", "as ringplane with gso: false", serve_ringplane_nogso },
	{ "epoll", "1 thread, epoll + recvmmsg/sendmmsg of `batch` 64 KiB buffers, no GSO",
	  serve_epoll },
	{ "epoll-gso", "as epoll plus GSO and GRO: replies to one peer from one batch in "
	  "UDP_SEGMENT trains (<= 64 segments, 65000 B, segments <= 1472 B), UDP_GRO on (a "
	  "coalesced request goes back as one train cut at its gso_size), all in one sendmmsg",
	  serve_epoll_gso },
	{ "sockperf", "Debian's `sockperf server -i 127.0.0.1 -p PORT` (defaults: epoll, one "
	  "recvfrom/sendto per message)", serve_sockperf },
};
#define N_SERVERS (sizeof(servers) / sizeof(servers[0]))

unsigned echo_server_count(void) { return N_SERVERS; }
const char *echo_server_name(unsigned i) { return servers[i].variant; }
const char *echo_server_about(unsigned i) { return servers[i].about; }

static int serve_child(void *arg)
{
	const struct echo_running *r = arg;

	return r->def->serve(r);
}

static bool answers(void *arg)
{
	const struct echo_running *r = arg;

	return !echo_load_probe((const struct sockaddr *)&r->addr, sizeof(r->addr), 100);
}

/* Is `prog` on PATH? */
static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, p, prog);
		if (!access(buf, X_OK))
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

int echo_server_start(struct rp_bench_ctx *ctx, unsigned i, unsigned cpu, unsigned batch,
		      struct echo_running *r)
{
	const struct rp_bench_child child = {
		.what = servers[i].variant, .sock_type = SOCK_DGRAM, .cpu = cpu,
		.addr = &r->addr, .serve = serve_child, .ready = answers, .arg = r,
	};

	*r = (struct echo_running){ .def = &servers[i], .variant = servers[i].variant,
				    .cpu = cpu, .batch = batch, .pid = 0 };
	if (servers[i].serve == serve_epoll || servers[i].serve == serve_epoll_gso) {
		void *page = mmap(NULL, sizeof(*r->stats), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (page == MAP_FAILED)
			return rp_bench_fail(ctx, "%s: shared stats: %s", r->variant, strerror(errno));
		r->stats = page;
	}
	if (servers[i].serve == serve_sockperf && !on_path("sockperf"))
		return rp_bench_fail(ctx, "sockperf is not installed (Debian: apt-get install "
				     "sockperf; deploy/setup.sh does), or leave it out: "
				     "--set servers=ringplane,ringplane-nogso,epoll,epoll-gso");
	r->pid = rp_bench_child_start(ctx, &child);
	return r->pid < 0 ? -1 : 0;
}

/* sockperf stops cleanly on SIGINT (SIGTERM kills it): ask that way first. */
static bool sockperf_stopped(struct rp_bench_ctx *ctx, pid_t pid)
{
	int status = 0;

	kill(pid, SIGINT);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				rp_bench_note(ctx, "sockperf server ended with status 0x%x after SIGINT",
					      status);
			return true;
		}
		usleep(20 * 1000);
	}
	return false;
}

void echo_server_stop(struct rp_bench_ctx *ctx, struct echo_running *r)
{
	if (r->pid > 0 && !(r->def->serve == serve_sockperf && sockperf_stopped(ctx, r->pid)))
		rp_bench_child_stop(ctx, r->variant, r->pid);
	r->pid = 0;
	if (r->stats)
		munmap(r->stats, sizeof(*r->stats));
	r->stats = NULL;
}

