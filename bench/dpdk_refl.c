/* SPDX-License-Identifier: MIT */
/*
 * The reflectors of `bench dpdk` (see dpdk.h), one at a time in the peer
 * namespace, every thread of each on the reflector CPU:
 *
 *   ringplane   the appliance (one worker) with one udp-echo service, forked
 *               from this process: its io_uring path, the defaults plus what
 *               a user would set here (worker count and CPU, buffer size for
 *               the largest datagram)
 *   af_packet   dpdk-testpmd --forward-mode=macswap on net_af_packet
 *   af_xdp      dpdk-testpmd --forward-mode=macswap on net_af_xdp
 *   kernel      the recvmmsg/sendmmsg loop of bench echo's baseline
 *               (bench/baselines/epoll_echo.c), forked
 *
 * testpmd runs with the flags of shared/field-notes.md: no huge pages, no
 * PCI, both lcores on one CPU (the main lcore only waits on stdin). Closing
 * its stdin stops it, and it detaches its XDP program as it goes.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/appliance_child.h"
#include "bench/baselines/epoll_echo.h"
#include "bench/bench.h"
#include "bench/dpdk.h"

#define XDP_MAX_MTU 3000	/* veth refuses XDP when the peer MTU is above ~3500 */
#define STOP_WAIT_MS 10000

static const char *const names[DPDK_REFL__COUNT] = {
	[DPDK_REFL_RINGPLANE] = "ringplane",
	[DPDK_REFL_AF_PACKET] = "dpdk-af_packet",
	[DPDK_REFL_AF_XDP] = "dpdk-af_xdp",
	[DPDK_REFL_KERNEL] = "kernel-recvmmsg",
};

const char *dpdk_refl_name(enum dpdk_refl_kind k)
{
	return names[k];
}

const char *dpdk_refl_unsupported(enum dpdk_refl_kind k, unsigned size)
{
	if (k == DPDK_REFL_AF_XDP && dpdk_mtu_for(size) > XDP_MAX_MTU)
		return "net_af_xdp: veth refuses XDP with a peer MTU above ~3500 B, and DPDK "
		       "22.11's af_xdp PMD has no multi-buffer frames";
	return NULL;
}

/* ---- testpmd ------------------------------------------------------------- */

void dpdk_argv_add(struct dpdk_argv *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->n + 1 >= sizeof(a->v) / sizeof(a->v[0]) || a->used >= sizeof(a->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->used, sizeof(a->buf) - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || a->used + (size_t)n >= sizeof(a->buf))
		return;
	a->v[a->n++] = a->buf + a->used;
	a->v[a->n] = NULL;
	a->used += (size_t)n + 1;
}

void dpdk_testpmd_argv(struct dpdk_argv *a, bool af_xdp, const char *ifname,
		       unsigned cpu, unsigned mtu, const char *tag)
{
	/* af_packet: ring frames that hold a jumbo frame. The PMD wants a whole
	 * ring frame to fit an mbuf, and finds frame i at i * frame size, so
	 * frames must tile the blocks (whole pages) exactly. af_xdp keeps its
	 * defaults (its frames are the mbufs, at most a page). */
	unsigned frame = mtu > 1500 ? (mtu + 512 + 4095) / 4096 * 4096 : 2048;
	unsigned block = frame > 4096 ? frame : 4096;

	a->n = 0;
	a->used = 0;
	dpdk_argv_add(a, DPDK_TESTPMD);
	dpdk_argv_add(a, "--no-huge");
	dpdk_argv_add(a, "-m");
	dpdk_argv_add(a, "256");
	dpdk_argv_add(a, "--no-pci");
	dpdk_argv_add(a, "--no-telemetry");
	/* no shared config: no config or fbarray files (3 MB a run) left in
	 * the runtime directory; dpdk_testpmd_cleanup() removes the directory */
	dpdk_argv_add(a, "--no-shconf");	/* --in-memory refuses --no-huge */
	dpdk_argv_add(a, "--file-prefix=rpdk-%d-%s", (int)getpid(), tag);
	dpdk_argv_add(a, "--lcores=0@%u,1@%u", cpu, cpu);
	if (af_xdp)
		dpdk_argv_add(a, "--vdev=net_af_xdp0,iface=%s", ifname);
	else
		dpdk_argv_add(a, "--vdev=net_af_packet0,iface=%s,blocksz=%u,framesz=%u,framecnt=512",
			      ifname, block, frame);
	dpdk_argv_add(a, "--");
	dpdk_argv_add(a, "--total-num-mbufs=8192");
	if (!af_xdp && mtu > 1500)
		dpdk_argv_add(a, "--mbuf-size=%u", frame + 256);
	/* af_xdp: the port MTU testpmd sets (on the device itself); af_packet
	 * 22.11 says its largest frame is 1518 whatever the ring frame size, and
	 * leaves the device MTU alone without this option */
	if (af_xdp)
		dpdk_argv_add(a, "--max-pkt-len=%u", mtu + 18);
}

void dpdk_testpmd_cleanup(const char *tag)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "/var/run/dpdk/rpdk-%d-%s", (int)getpid(), tag);
	rmdir(dir);
}

/* The last lines of testpmd's output, for an error message. */
static void log_tail(const char *path, char *out, size_t len)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	out[0] = '\0';
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	if (ftell(f) > (long)sizeof(buf) - 1)
		fseek(f, -(long)sizeof(buf) + 1, SEEK_END);
	else
		rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	snprintf(out, len, "%s", n > 300 ? buf + n - 300 : buf);
}

static int testpmd_start(struct dpdk_refl *r, struct dpdk_link *l, bool af_xdp,
			 char *err, size_t errlen)
{
	struct dpdk_argv a;
	int in[2], out;

	snprintf(r->log, sizeof(r->log), "/tmp/rp-bench-dpdk-%d.log", (int)getpid());
	dpdk_testpmd_argv(&a, af_xdp, l->refl_if, l->refl_cpu, l->mtu, "refl");
	dpdk_argv_add(&a, "--forward-mode=macswap");
	out = open(r->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0 || pipe2(in, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "testpmd: %s: %s", r->log, strerror(errno));
		if (out >= 0)
			close(out);
		return -1;
	}
	r->pid = dpdk_spawn(l, BENCH_NS_PEER, l->refl_cpu, in[0], out, a.v, err, errlen);
	close(in[0]);
	close(out);
	r->stdin_fd = in[1];
	return r->pid < 0 ? -1 : 0;
}

/* ---- forked L4 reflectors ------------------------------------------------------ */

static volatile sig_atomic_t kernel_stop;

static void on_term(int sig)
{
	(void)sig;
	kernel_stop = 1;
}

static int serve_kernel(void)
{
	struct sigaction sa = { .sa_handler = on_term };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(DPDK_PORT),
				 .sin_addr.s_addr = htonl(INADDR_ANY) };
	int fd = rp_epoll_echo_bind((struct sockaddr *)&a, sizeof(a));

	if (fd < 0) {
		fprintf(stderr, "bench dpdk: kernel loop: bind: %s\n", strerror(-fd));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	return rp_epoll_echo_serve(fd, &kernel_stop, NULL) ? 1 : 0;
}

/* One worker on the reflector CPU, one udp-echo service; everything else
 * the defaults (zerocopy auto, GSO replies on). */
static int serve_ringplane(const struct dpdk_link *l, unsigned size)
{
	char yaml[768];
	int n = snprintf(yaml, sizeof(yaml),
			 "workers:\n  count: 1\n  cpus: [%u]\n"
			 "buffers:\n  size: %u\n"
			 "services:\n  - name: reflect\n    type: udp-echo\n"
			 "    listen: 0.0.0.0:%u\n"
			 "metrics:\n  enabled: false\n"
			 "logging:\n  level: warn\n",
			 l->refl_cpu, size < 4096 ? 4096 : 16384, DPDK_PORT);

	return rp_bench_appliance_serve("bench-dpdk", yaml, (size_t)n);
}

static int fork_l4(struct dpdk_refl *r, struct dpdk_link *l, char *err, size_t errlen)
{
	fflush(NULL);
	r->pid = fork();
	if (r->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (!r->pid) {
		if (setns(l->ns.fd[BENCH_NS_PEER], CLONE_NEWNET) < 0)
			_exit(126);
		rp_bench_pin_self(l->refl_cpu);
		_exit(r->kind == DPDK_REFL_KERNEL ? serve_kernel() : serve_ringplane(l, r->size));
	}
	return 0;
}

/* ---- start / stop ------------------------------------------------------------- */

int dpdk_refl_start(struct dpdk_refl *r, struct dpdk_link *l, enum dpdk_refl_kind k,
		    unsigned size, char *err, size_t errlen)
{
	bool l4 = k == DPDK_REFL_RINGPLANE || k == DPDK_REFL_KERNEL;

	*r = (struct dpdk_refl){ .kind = k, .pid = -1, .stdin_fd = -1, .size = size };
	if (dpdk_link_refl_addr(l, l4, err, errlen) < 0)
		return -1;
	if (l4 ? fork_l4(r, l, err, errlen) : testpmd_start(r, l, k == DPDK_REFL_AF_XDP, err, errlen))
		return -1;
	/* XDP attach can (re)create the device's NAPI thread */
	usleep(k == DPDK_REFL_AF_XDP ? 300000 : 0);
	return 0;
}

/*
 * The receive buffer of the L4 reflector's UDP sockets. What a user sets
 * with `sysctl net.core.rmem_default`; a namespace other than the first
 * cannot set that, so the benchmark sets it on each socket instead: it takes
 * a copy of the reflector's descriptors (pidfd_getfd) and sets SO_RCVBUFFORCE
 * on every IPv4 datagram socket among them. The count of sockets, or -1.
 */
int dpdk_refl_rcvbuf(const struct dpdk_refl *r, int bytes)
{
	char path[64];
	struct dirent *e;
	int pidfd, n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)r->pid);
	pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	d = opendir(path);
	if (pidfd < 0 || !d) {
		if (pidfd >= 0)
			close(pidfd);
		if (d)
			closedir(d);
		return -1;
	}
	while ((e = readdir(d))) {
		int fd, domain = 0, type = 0;
		socklen_t len = sizeof(int);

		if (e->d_name[0] == '.')
			continue;
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
		if (fd < 0)
			continue;
		if (!getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) && domain == AF_INET &&
		    !getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) && type == SOCK_DGRAM &&
		    !setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
			n++;
		close(fd);
	}
	closedir(d);
	close(pidfd);
	return n;
}

double dpdk_refl_cpu_ns(const struct dpdk_refl *r, const struct dpdk_link *l)
{
	return dpdk_proc_cpu_ns(r->pid) + dpdk_link_refl_napi_ns(l);
}

/* Wait up to STOP_WAIT_MS for the child; its status, or -1 if still running. */
static int wait_stop(pid_t pid)
{
	int status;

	for (int i = 0; i < STOP_WAIT_MS / 20; i++) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (w < 0 && errno != EINTR)
			return -1;
		usleep(20000);
	}
	return -1;
}

int dpdk_refl_stop(struct dpdk_refl *r, struct dpdk_link *l, char *err, size_t errlen)
{
	bool testpmd = r->stdin_fd >= 0;
	int rc;

	if (r->pid <= 0) {
		if (r->stdin_fd >= 0)
			close(r->stdin_fd);
		r->stdin_fd = -1;
		return 0;
	}
	if (testpmd)
		close(r->stdin_fd);	/* "Press enter to exit": EOF does */
	else
		kill(r->pid, SIGTERM);
	rc = wait_stop(r->pid);
	if (rc < 0) {
		kill(r->pid, SIGKILL);
		dpdk_wait(r->pid);
	}
	r->pid = -1;
	r->stdin_fd = -1;
	if (r->kind == DPDK_REFL_AF_XDP)
		dpdk_link_xdp_off(l);
	if (testpmd && rc)
		log_tail(r->log, err, errlen);
	if (testpmd) {
		unlink(r->log);
		dpdk_testpmd_cleanup("refl");
	}
	if (rc) {
		char tail[400];

		snprintf(tail, sizeof(tail), "%s", err);
		snprintf(err, errlen, "%s did not stop cleanly (status %d)%s%s", names[r->kind],
			 rc, testpmd ? "; its output ends: " : "", testpmd ? tail : "");
		return -1;
	}
	return 0;
}

void dpdk_refl_why(const struct dpdk_refl *r, char *out, size_t len)
{
	if (r->stdin_fd >= 0)
		log_tail(r->log, out, len);
	else
		snprintf(out, len, "(see stderr)");
}
