/* SPDX-License-Identifier: MIT */
/*
 * The topologies of `ringplane bench proxy` (see proxy_topo.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/proxy_topo.h"

const struct px_topo_def px_topos[TOPO__N] = {
	[TOPO_LOOPBACK] = { "loopback", "127.0.0.1", "127.0.0.1", BENCH_NS_SELF },
	[TOPO_VETH] = { "veth", "10.213.1.1", "10.213.2.2", BENCH_NS_PEER },
};

/* One veth end: its namespace, name, address, and the CPU its receive
 * work goes to (RPS). */
struct veth_end {
	enum bench_ns_which ns;
	const char *dev, *addr;
	int proxy_side;
};

static const struct veth_end ends[] = {
	{ BENCH_NS_SELF, "rpc0", "10.213.1.2/24", 0 },
	{ BENCH_NS_PEER, "rpp0", "10.213.1.1/24", 1 },
	{ BENCH_NS_SELF, "rpb0", "10.213.2.2/24", 0 },
	{ BENCH_NS_PEER, "rpq0", "10.213.2.1/24", 1 },
};

/*
 * Write rx-0/rps_cpus of dev in namespace which. /sys shows the devices of
 * the namespace sysfs was mounted from, so a child enters the namespace,
 * takes a private mount namespace and mounts a sysfs of its own in
 * scratch_dir (gone with the child).
 */
static int set_rps(const struct bench_netns *ns, enum bench_ns_which which, const char *dev,
		   unsigned cpu, const char *scratch_dir)
{
	char mnt[128], path[256], mask[32];
	int status;
	pid_t pid;

	snprintf(mnt, sizeof(mnt), "%s/sys-%s", scratch_dir, dev);
	if (mkdir(mnt, 0700) && errno != EEXIST)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd, ok;

		if (setns(ns->fd[which], CLONE_NEWNET) || unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("sysfs", mnt, "sysfs", 0, NULL))
			_exit(1);
		snprintf(path, sizeof(path), "%s/class/net/%s/queues/rx-0/rps_cpus", mnt, dev);
		snprintf(mask, sizeof(mask), "%llx", 1ULL << cpu);
		fd = open(path, O_WRONLY);
		ok = fd >= 0 && write(fd, mask, strlen(mask)) == (ssize_t)strlen(mask);
		_exit(ok ? 0 : 2);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	rmdir(mnt);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int px_topo_veth_setup(const struct bench_netns *ns, unsigned proxy_cpu, unsigned load_cpu,
		       const char *scratch_dir, char *err, size_t errlen)
{
	char cmd[160];

	if (bench_netns_ip(ns, BENCH_NS_SELF, err, errlen,
			   "link add rpc0 type veth peer name rpp0 netns %peer") ||
	    bench_netns_ip(ns, BENCH_NS_SELF, err, errlen,
			   "link add rpb0 type veth peer name rpq0 netns %peer"))
		return -1;
	for (unsigned i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		const struct veth_end *e = &ends[i];

		snprintf(cmd, sizeof(cmd), "addr add %s dev %s", e->addr, e->dev);
		if (bench_netns_ip(ns, e->ns, err, errlen, cmd))
			return -1;
		snprintf(cmd, sizeof(cmd), "link set %s up", e->dev);
		if (bench_netns_ip(ns, e->ns, err, errlen, cmd))
			return -1;
		if (set_rps(ns, e->ns, e->dev, e->proxy_side ? proxy_cpu : load_cpu, scratch_dir)) {
			snprintf(err, errlen, "cannot set RPS (rx-0/rps_cpus) on veth %s", e->dev);
			return -1;
		}
	}
	return 0;
}

int px_topo_enter(const struct bench_netns *ns, enum px_topo t)
{
	return setns(ns->fd[px_topos[t].ns], CLONE_NEWNET) ? -errno : 0;
}

int px_topo_leave(const struct bench_netns *ns)
{
	return setns(ns->fd[BENCH_NS_SELF], CLONE_NEWNET) ? -errno : 0;
}
