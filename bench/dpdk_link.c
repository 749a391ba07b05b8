/* SPDX-License-Identifier: MIT */
/*
 * The link of `bench dpdk` (see dpdk.h): a veth pair between the benchmark's
 * two private namespaces (bench/netns.h), set up like a NIC pair:
 *
 *   - GRO on and threaded NAPI on both devices, each NAPI thread pinned to
 *     its side's CPU at real-time priority (as softirq would run there). Without this veth delivers a frame on the *sending*
 *     CPU, so the generator's CPU would pay the reflector's receive path
 *     (and the reflector the generator's): with it, each side's receive
 *     runs on that side's CPU, as a NIC's IRQ affinity would place it.
 *   - IPv6 address generation off (no DAD, router or MLD chatter).
 *   - tx-udp-segmentation off on the reflector: UDP GSO replies are split
 *     before the wire, as a NIC would, so the generator sees datagrams.
 *   - No IPv4 address on the generator side: replies end at its AF_PACKET
 *     socket; the kernel drops them in routing, without ICMP.
 *
 * Device names carry the benchmark's pid (in hex) so that NAPI threads,
 * which are named after their device in every namespace, are ours.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/dpdk.h"

#define GEN_IP "10.253.0.2"
#define REFL_IP "10.253.0.1"
#define GEN_MAC "02:72:70:00:00:01"
#define REFL_MAC "02:72:70:00:00:02"

static int ip(struct dpdk_link *l, enum bench_ns_which w, char *err, size_t errlen,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int ip(struct dpdk_link *l, enum bench_ns_which w, char *err, size_t errlen,
	      const char *fmt, ...)
{
	char args[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return bench_netns_ip(&l->ns, w, err, errlen, args);
}

/* ---- children in a namespace --------------------------------------------- */

pid_t dpdk_spawn(const struct dpdk_link *l, enum bench_ns_which which, unsigned cpu,
		 int in_fd, int out_fd, char *const argv[], char *err, size_t errlen)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "%s: fork: %s", argv[0], strerror(errno));
		return -1;
	}
	if (pid)
		return pid;
	if (setns(l->ns.fd[which], CLONE_NEWNET) < 0)
		_exit(126);
	rp_bench_pin_self(cpu);
	if (in_fd >= 0)
		dup2(in_fd, STDIN_FILENO);
	if (out_fd >= 0) {
		dup2(out_fd, STDOUT_FILENO);
		dup2(out_fd, STDERR_FILENO);
	}
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	_exit(127);
}

int dpdk_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Run a tool to completion in a namespace, its output to stderr. */
static int run_tool(struct dpdk_link *l, enum bench_ns_which w, char *const argv[],
		    char *err, size_t errlen)
{
	pid_t pid = dpdk_spawn(l, w, w == BENCH_NS_SELF ? l->gen_cpu : l->refl_cpu, -1,
			       STDERR_FILENO, argv, err, errlen);
	int rc;

	if (pid < 0)
		return -1;
	rc = dpdk_wait(pid);
	if (!rc)
		return 0;
	snprintf(err, errlen, "%s %s %s %s failed (status %d%s)", argv[0], argv[1], argv[2],
		 argv[3] ? argv[3] : "", rc, rc == 127 ? ": not installed?" : "");
	return -1;
}

static int ethtool_k(struct dpdk_link *l, enum bench_ns_which w, const char *ifname,
		     const char *feature, const char *onoff, char *err, size_t errlen)
{
	char *argv[] = { "ethtool", "-K", (char *)ifname, (char *)feature, (char *)onoff, NULL };

	return run_tool(l, w, argv, err, errlen);
}

/*
 * Write a file of a namespace's own: /sys/class/net shows the namespace of
 * whoever mounted sysfs, so a child enters the namespace and a mount
 * namespace of its own, mounts a fresh sysfs there and writes the file.
 */
static int sysfs_write(struct dpdk_link *l, enum bench_ns_which w, const char *path,
		    const char *val, char *err, size_t errlen)
{
	pid_t pid = fork();
	int rc;

	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		int fd;

		if (setns(l->ns.fd[w], CLONE_NEWNET) < 0 || unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
			_exit(2);
		fd = open(path, O_WRONLY);
		_exit(fd < 0 || write(fd, val, strlen(val)) < 0 ? 3 : 0);
	}
	rc = dpdk_wait(pid);
	if (rc) {
		snprintf(err, errlen, "writing %s to %s in its namespace failed (%d)", val, path, rc);
		return -1;
	}
	return 0;
}

/* UdpRcvbufErrors of the reflector's namespace (/proc/net/snmp follows the
 * reader's namespace: a child reads it there and sends the number back). */
double dpdk_link_refl_rcvbuf_errors(const struct dpdk_link *l)
{
	unsigned long long v = 0;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (!pid) {
		char line[512], *tok, *save = NULL;
		FILE *f;
		int col = -1, i = 0;

		if (setns(l->ns.fd[BENCH_NS_PEER], CLONE_NEWNET) < 0 || !(f = fopen("/proc/net/snmp", "r")))
			_exit(1);
		while (fgets(line, sizeof(line), f)) {
			if (strncmp(line, "Udp: ", 5))
				continue;
			i = 0;
			for (tok = strtok_r(line + 5, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), i++) {
				if (col < 0 && !strcmp(tok, "RcvbufErrors"))
					col = i;
				else if (col >= 0 && i == col)
					v = strtoull(tok, NULL, 10);
			}
		}
		_exit(write(p[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &v, sizeof(v)) != sizeof(v))
		v = 0;
	close(p[0]);
	if (pid > 0)
		dpdk_wait(pid);
	return (double)v;
}

/* ---- NAPI threads --------------------------------------------------------- */

/* Call fn for every kernel thread named napi/IFNAME-*. */
static unsigned napi_threads(const char *ifname, void (*fn)(pid_t pid, void *arg), void *arg)
{
	char prefix[32], path[300], comm[32];
	struct dirent *e;
	unsigned n = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	snprintf(prefix, sizeof(prefix), "napi/%s-", ifname);
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, prefix, strlen(prefix))) {
			fn((pid_t)atoi(e->d_name), arg);
			n++;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/*
 * Pinned, and real-time: a NIC's receive runs in softirq, which preempts the
 * application on its CPU at once. A NAPI thread at normal priority instead
 * waits for its turn behind a busy-polling testpmd or a spinning generator
 * (milliseconds), which would measure the scheduler, not the reflector.
 */
static void pin_pid(pid_t pid, void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(*(unsigned *)arg, &set);
	sched_setaffinity(pid, sizeof(set), &set);
	sched_setscheduler(pid, SCHED_FIFO, &sp);
}

int dpdk_link_pin_napi(struct dpdk_link *l, char *err, size_t errlen)
{
	if (!napi_threads(l->gen_if, pin_pid, &l->gen_cpu) ||
	    !napi_threads(l->refl_if, pin_pid, &l->refl_cpu)) {
		snprintf(err, errlen, "no threaded NAPI kthread (napi/%s-*, napi/%s-*) found",
			 l->gen_if, l->refl_if);
		return -1;
	}
	return 0;
}

static void add_cpu(pid_t pid, void *arg)
{
	*(double *)arg += dpdk_proc_cpu_ns(pid);
}

double dpdk_link_refl_napi_ns(const struct dpdk_link *l)
{
	double ns = 0;

	napi_threads(l->refl_if, add_cpu, &ns);
	return ns;
}

double dpdk_proc_cpu_ns(pid_t pid)
{
	char path[64];
	struct dirent *e;
	double ns = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		unsigned long long run;
		char p[320];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &run) == 1)
			ns += (double)run;
		fclose(f);
	}
	closedir(d);
	return ns;
}

unsigned dpdk_mtu_for(unsigned size)
{
	unsigned l3 = size + 28;	/* + IPv4 and UDP headers */

	return l3 <= 1500 ? 1500 : l3 <= 3000 ? 3000 : 9000;
}

/* ---- set-up ----------------------------------------------------------------- */

static int side_up(struct dpdk_link *l, enum bench_ns_which w, const char *ifname,
		   char *err, size_t errlen)
{
	if (ip(l, w, err, errlen, "link set dev %s addrgenmode none", ifname) < 0 ||
	    ip(l, w, err, errlen, "link set dev %s up", ifname) < 0 ||
	    ethtool_k(l, w, ifname, "gro", "on", err, errlen) < 0)
		return -1;
	char path[64];

	snprintf(path, sizeof(path), "/sys/class/net/%s/threaded", ifname);
	return sysfs_write(l, w, path, "1", err, errlen);
}

static void parse_mac(const char *s, uint8_t *mac)
{
	unsigned v[6];

	sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
}

int dpdk_link_up(struct dpdk_link *l, unsigned gen_cpu, unsigned refl_cpu,
		 char *err, size_t errlen)
{
	*l = (struct dpdk_link){ .gen_cpu = gen_cpu, .refl_cpu = refl_cpu, .mtu = 1500 };
	snprintf(l->gen_if, sizeof(l->gen_if), "rg%x", (unsigned)getpid());
	snprintf(l->refl_if, sizeof(l->refl_if), "rr%x", (unsigned)getpid());
	parse_mac(GEN_MAC, l->gen_mac);
	parse_mac(REFL_MAC, l->refl_mac);
	inet_pton(AF_INET, GEN_IP, &l->gen_ip);
	inet_pton(AF_INET, REFL_IP, &l->refl_ip);
	if (bench_netns_enter(&l->ns, err, errlen) < 0)
		return -1;
	if (ip(l, BENCH_NS_SELF, err, errlen,
	       "link add %s address " GEN_MAC " type veth peer name %s address " REFL_MAC
	       " netns %%peer", l->gen_if, l->refl_if) < 0 ||
	    side_up(l, BENCH_NS_SELF, l->gen_if, err, errlen) < 0 ||
	    side_up(l, BENCH_NS_PEER, l->refl_if, err, errlen) < 0 ||
	    ethtool_k(l, BENCH_NS_PEER, l->refl_if, "tx-udp-segmentation", "off", err, errlen) < 0 ||
	    dpdk_link_pin_napi(l, err, errlen) < 0) {
		dpdk_link_down(l);
		return -1;
	}
	l->gen_ifindex = (int)if_nametoindex(l->gen_if);
	return 0;
}

void dpdk_link_down(struct dpdk_link *l)
{
	bench_netns_leave(&l->ns);
}

int dpdk_link_mtu(struct dpdk_link *l, unsigned mtu, char *err, size_t errlen)
{
	if (ip(l, BENCH_NS_SELF, err, errlen, "link set dev %s mtu %u", l->gen_if, mtu) < 0 ||
	    ip(l, BENCH_NS_PEER, err, errlen, "link set dev %s mtu %u", l->refl_if, mtu) < 0)
		return -1;
	l->mtu = mtu;
	return 0;
}

/* An address on one side's device and the other side as a permanent
 * neighbour (no ARP on the measured link), or the addresses flushed. */
static int side_addr(struct dpdk_link *l, enum bench_ns_which w, bool on, char *err, size_t errlen)
{
	bool gen = w == BENCH_NS_SELF;
	const char *dev = gen ? l->gen_if : l->refl_if;

	if (!on)
		return ip(l, w, err, errlen, "addr flush dev %s", dev);
	if (ip(l, w, err, errlen, "addr replace %s/24 dev %s", gen ? GEN_IP : REFL_IP, dev) < 0)
		return -1;
	return ip(l, w, err, errlen, "neigh replace %s lladdr %s dev %s nud permanent",
		  gen ? REFL_IP : GEN_IP, gen ? REFL_MAC : GEN_MAC, dev);
}

int dpdk_link_refl_addr(struct dpdk_link *l, bool on, char *err, size_t errlen)
{
	return side_addr(l, BENCH_NS_PEER, on, err, errlen);
}

int dpdk_link_gen_addr(struct dpdk_link *l, bool on, char *err, size_t errlen)
{
	return side_addr(l, BENCH_NS_SELF, on, err, errlen);
}

int dpdk_link_reset(struct dpdk_link *l, char *err, size_t errlen)
{
	if (ip(l, BENCH_NS_SELF, err, errlen, "link set dev %s up promisc off", l->gen_if) < 0 ||
	    ip(l, BENCH_NS_PEER, err, errlen, "link set dev %s up promisc off", l->refl_if) < 0)
		return -1;
	return dpdk_link_pin_napi(l, err, errlen);
}

void dpdk_link_xdp_off(struct dpdk_link *l)
{
	char err[256];

	if (ip(l, BENCH_NS_PEER, err, sizeof(err), "link set dev %s xdp off", l->refl_if) < 0)
		fprintf(stderr, "bench dpdk: %s\n", err);
}
