/* SPDX-License-Identifier: MIT */
/*
 * CPU-local delivery in a SO_REUSEPORT group: see reuseport.h.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dataplane/log.h"
#include "dataplane/reuseport.h"
#include "dataplane/svc.h"

/* ---- the program ---------------------------------------------------------- */

int rp_reuseport_prog(const int *cpus, unsigned n, struct sock_filter *prog, unsigned max)
{
	unsigned len = 0;

	if (!n || n > RP_REUSEPORT_MAX_SOCKS || max < RP_REUSEPORT_PROG_LEN(n))
		return -EINVAL;
	prog[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						   (__u32)(SKF_AD_OFF + SKF_AD_CPU));
	for (unsigned i = 0; i < n; i++) {
		/* equal: fall into the return below; else skip it */
		prog[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							   (__u32)cpus[i], 0, 1);
		prog[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, i);
	}
	prog[len++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n);
	prog[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	return (int)len;
}

int rp_reuseport_layout_problem(const int *cpus, unsigned n, char *why, size_t len)
{
	if (n > RP_REUSEPORT_MAX_SOCKS) {
		snprintf(why, len, "%u sockets in the group, at most %d are steered", n,
			 RP_REUSEPORT_MAX_SOCKS);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		if (cpus[i] < 0) {
			snprintf(why, len, "socket %u's worker is not pinned to one CPU", i);
			return -1;
		}
		for (unsigned j = 0; j < i; j++) {
			if (cpus[j] != cpus[i])
				continue;
			snprintf(why, len, "sockets %u and %u both belong to workers on CPU %d "
				 "(more workers than CPUs): the program could only ever pick "
				 "one of them", j, i, cpus[i]);
			return -1;
		}
	}
	return 0;
}

int rp_reuseport_attach(int fd, const int *cpus, unsigned n)
{
	struct sock_filter prog[RP_REUSEPORT_PROG_LEN(RP_REUSEPORT_MAX_SOCKS)];
	int len = rp_reuseport_prog(cpus, n, prog, RP_REUSEPORT_PROG_LEN(RP_REUSEPORT_MAX_SOCKS));
	struct sock_fprog fp = { .filter = prog };

	if (len < 0)
		return len;
	fp.len = (unsigned short)len;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fp, sizeof(fp)))
		return -errno;
	return 0;
}

int rp_reuseport_thread_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) || CPU_COUNT(&set) != 1)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

/* ---- groups of the running appliance -------------------------------------- */

/* One service's group: the CPU of each socket, in the order they joined
 * (= their index in the kernel's group). */
struct group {
	unsigned joined;
	int *cpus;
};

static struct {
	pthread_mutex_t lock;
	unsigned n_workers, n_svc;
	struct group *g;		/* NULL: not begun */
	bool takeover;			/* run --takeover: steer by SO_INCOMING_CPU */
} rs = { .lock = PTHREAD_MUTEX_INITIALIZER };

int rp_reuseport_begin(const struct rp_config *cfg, unsigned n_workers)
{
	bool oom;

	rp_reuseport_end();
	pthread_mutex_lock(&rs.lock);
	rs.n_svc = cfg->n_services;
	rs.n_workers = n_workers;
	rs.g = calloc(rs.n_svc ? rs.n_svc : 1, sizeof(*rs.g));
	oom = !rs.g;
	for (unsigned i = 0; !oom && i < rs.n_svc; i++)
		oom = !(rs.g[i].cpus = calloc(n_workers ? n_workers : 1, sizeof(int)));
	pthread_mutex_unlock(&rs.lock);
	if (oom) {
		rp_reuseport_end();
		return -ENOMEM;
	}
	return 0;
}

void rp_reuseport_end(void)
{
	pthread_mutex_lock(&rs.lock);
	for (unsigned i = 0; rs.g && i < rs.n_svc; i++)
		free(rs.g[i].cpus);
	free(rs.g);
	rs.g = NULL;
	rs.n_svc = rs.n_workers = 0;
	rs.takeover = false;
	pthread_mutex_unlock(&rs.lock);
}

void rp_reuseport_set_takeover(void)
{
	pthread_mutex_lock(&rs.lock);
	rs.takeover = true;
	pthread_mutex_unlock(&rs.lock);
}

/* "cpu 0 -> socket 0, cpu 1 -> socket 1" for the start-up log. */
static void describe(const int *cpus, unsigned n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && off < len; i++) {
		int k = snprintf(buf + off, len - off, "%scpu %d -> socket %u", i ? ", " : "",
				 cpus[i], i);
		off += k > 0 ? (size_t)k : 0;
	}
}

/* The group of si is complete: attach, or say why the hash stays. */
static int steer_group(const struct rp_service_cfg *svc, const int *cpus, unsigned n, int fd)
{
	bool must = svc->local_cpu == RP_LOCAL_CPU_ON;
	char why[256], map[512];
	int ret;

	if (svc->local_cpu == RP_LOCAL_CPU_OFF) {
		rp_info("service %s: local-cpu off: the kernel's reuseport hash spreads %s over "
			"the %u worker sockets", svc->name,
			svc->type == RP_SVC_UDP_ECHO ? "datagrams" : "connections", n);
		return 0;
	}
	ret = rp_reuseport_layout_problem(cpus, n, why, sizeof(why)) ? -EINVAL : 0;
	if (!ret && (ret = rp_reuseport_attach(fd, cpus, n)))
		snprintf(why, sizeof(why), "setsockopt(SO_ATTACH_REUSEPORT_CBPF) on %s: %s",
			 svc->listen.text, strerror(-ret));
	if (ret) {
		rp_log(must ? RP_LOG_ERROR : RP_LOG_WARN, "service %s: local-cpu %s: no CPU-local "
		       "delivery%s: %s", svc->name, must ? "on" : "auto",
		       must ? "" : ", the kernel's reuseport hash picks the worker", why);
		return must ? ret : 0;
	}
	describe(cpus, n, map, sizeof(map));
	rp_info("service %s: local-cpu: reuseport group steered by receiving CPU (%s; "
		"other CPUs -> socket cpu %% %u)", svc->name, map, n);
	return 0;
}

/* Takeover: the group also holds the old appliance's sockets, at indices
 * this process cannot know, and they leave one by one (the kernel moves its
 * last member into each hole), so no index program can follow. The old
 * program is detached (through any member: it is the group's), and each
 * socket claims its worker's CPU with SO_INCOMING_CPU, which the kernel's
 * own selection honours when no program is attached. */
static int takeover_join(const struct rp_service_cfg *svc, struct group *g, int fd)
{
	bool must = svc->local_cpu == RP_LOCAL_CPU_ON;
	int cpu = rp_reuseport_thread_cpu(), zero = 0;
	char why[256], map[512];

	if (!g->joined && !setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &zero, sizeof(zero)))
		rp_info("service %s: takeover: detached the old appliance's reuseport program",
			svc->name);
	g->cpus[g->joined++] = cpu;
	if (svc->local_cpu == RP_LOCAL_CPU_OFF)
		return 0;
	if (cpu >= 0 && setsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, sizeof(cpu)))
		rp_warn("service %s: setsockopt(SO_INCOMING_CPU, %d): %s", svc->name, cpu,
			strerror(errno));
	if (g->joined < rs.n_workers)
		return 0;
	if (rp_reuseport_layout_problem(g->cpus, g->joined, why, sizeof(why))) {
		rp_log(must ? RP_LOG_ERROR : RP_LOG_WARN, "service %s: local-cpu %s: no CPU-local "
		       "delivery: %s", svc->name, must ? "on" : "auto", why);
		return must ? -EINVAL : 0;
	}
	describe(g->cpus, g->joined, map, sizeof(map));
	rp_info("service %s: local-cpu (takeover): each socket claims its CPU with "
		"SO_INCOMING_CPU (%s; other CPUs: the kernel's hash)", svc->name, map);
	return 0;
}

int rp_reuseport_join(const struct rp_svc_inst *si, int fd)
{
	struct group *g;
	int ret = 0;

	pthread_mutex_lock(&rs.lock);
	if (!rs.g || si->idx >= rs.n_svc || si->cfg->acceptor)
		goto out;
	g = &rs.g[si->idx];
	if (rs.takeover && g->joined < rs.n_workers) {
		ret = takeover_join(si->cfg, g, fd);
		goto out;
	}
	if (g->joined >= rs.n_workers) {
		/* Not expected: the group is larger than the workers, so the
		 * indices no longer name workers. Stop steering it. */
		rp_warn("service %s: socket %u joined a reuseport group of %u: detaching the "
			"local-cpu program, the kernel's hash decides", si->cfg->name,
			g->joined, rs.n_workers);
		setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &(int){ 0 }, sizeof(int));
		goto out;
	}
	g->cpus[g->joined] = rp_reuseport_thread_cpu();
	rp_dbg("service %s: socket joined its reuseport group as index %u (cpu %d)",
	       si->cfg->name, g->joined, g->cpus[g->joined]);
	if (++g->joined == rs.n_workers)
		ret = steer_group(si->cfg, g->cpus, g->joined, fd);
out:
	pthread_mutex_unlock(&rs.lock);
	return ret;
}
