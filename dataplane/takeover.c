/* SPDX-License-Identifier: MIT */
/* `run --takeover`: see takeover.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dataplane/addr_owner.h"
#include "dataplane/log.h"
#include "dataplane/takeover.h"

#define MIGRATE_SYSCTL "/proc/sys/net/ipv4/tcp_migrate_req"

/* The owner of one service's address: 0 free, 1 held by *pid, -1 logged. */
static int service_owner(const struct rp_service_cfg *s, pid_t *pid, char *comm, size_t n)
{
	int type = rp_svc_type_socktype(s->type);
	const char *proto = type == SOCK_STREAM ? "tcp" : "udp";

	if (rp_addr_probe(&s->listen, type) != -EADDRINUSE)
		return 0;
	*pid = rp_addr_owner(&s->listen, type, comm, n);
	if (!*pid) {
		rp_err("run --takeover: service %s: %s %s is in use by a process not found in "
		       "/proc (another user's?): cannot take it over", s->name, proto,
		       s->listen.text);
		return -1;
	}
	if (strcmp(comm, "ringplane")) {
		rp_err("run --takeover: service %s: %s %s is served by PID %d (%s), not by a "
		       "ringplane: cannot take it over", s->name, proto, s->listen.text,
		       (int)*pid, comm);
		return -1;
	}
	return 1;
}

/* Every held address belongs to one ringplane; tk->old names it. */
static int find_owner(const struct rp_config *cfg, struct rp_takeover *tk)
{
	const char *first = NULL;
	int bad = 0;

	for (unsigned i = 0; i < cfg->n_services; i++) {
		const struct rp_service_cfg *s = &cfg->services[i];
		char comm[64];
		pid_t pid = 0;
		int r = service_owner(s, &pid, comm, sizeof(comm));

		if (r <= 0) {
			bad |= r;
			continue;
		}
		if (tk->old && pid != tk->old) {
			rp_err("run --takeover: service %s is served by PID %d, service %s by PID %d: "
			       "only one appliance can be taken over", first, (int)tk->old, s->name,
			       (int)pid);
			bad = -1;
			continue;
		}
		tk->old = pid;
		first = first ? first : s->name;
		tk->tcp |= rp_svc_type_socktype(s->type) == SOCK_STREAM;
	}
	if (!bad && !tk->old) {
		rp_err("run --takeover: no service address is in use: nothing to take over "
		       "(start without --takeover)");
		bad = -1;
	}
	return bad;
}

int rp_takeover_find(const struct rp_config *cfg, struct rp_takeover *tk)
{
	*tk = (struct rp_takeover){ .pidfd = -1 };
	if (find_owner(cfg, tk))
		return -1;
	if (tk->old == getpid()) {
		rp_err("run --takeover: the addresses are this process's own");
		return -1;
	}
	tk->pidfd = (int)syscall(SYS_pidfd_open, tk->old, 0);
	if (tk->pidfd < 0) {
		rp_err("run --takeover: pidfd_open(PID %d): %s", (int)tk->old, strerror(errno));
		return -1;
	}
	rp_info("run --takeover: taking over from PID %d", (int)tk->old);
	return 0;
}

int rp_takeover_prepare(const struct rp_takeover *tk)
{
	char v = '0';
	int fd;

	if (!tk->tcp)
		return 0;
	fd = open(MIGRATE_SYSCTL, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && pread(fd, &v, 1, 0) == 1 && v != '0') {
		close(fd);
		return 0;
	}
	if (fd < 0 || pwrite(fd, "1", 1, 0) != 1) {
		rp_err("run --takeover: net.ipv4.tcp_migrate_req is 0 and cannot be set (%s): "
		       "without it the old appliance's listeners reset the connections queued "
		       "in them as they close; run as root or set it first (sysctl -w "
		       "net.ipv4.tcp_migrate_req=1)", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	rp_info("run --takeover: set net.ipv4.tcp_migrate_req=1 in this network namespace: "
		"connections queued on a closing listener move to another of its group");
	return 0;
}

int rp_takeover_signal(const struct rp_takeover *tk)
{
	if (syscall(SYS_pidfd_send_signal, tk->pidfd, SIGUSR2, NULL, 0)) {
		rp_err("run --takeover: cannot signal PID %d (SIGUSR2): %s; it keeps serving "
		       "alongside this one", (int)tk->old, strerror(errno));
		return -1;
	}
	rp_info("run --takeover: every worker serves; SIGUSR2 sent to PID %d: it leaves the "
		"reuseport groups, drains and exits", (int)tk->old);
	return 0;
}

bool rp_takeover_old_exited(struct rp_takeover *tk)
{
	struct pollfd p = { .fd = tk->pidfd, .events = POLLIN };

	if (tk->exited || tk->pidfd < 0)
		return tk->exited;
	if (poll(&p, 1, 0) == 1) {
		tk->exited = true;
		rp_info("run --takeover: PID %d has exited: the takeover is complete",
			(int)tk->old);
	}
	return tk->exited;
}

void rp_takeover_close(struct rp_takeover *tk)
{
	if (tk->pidfd >= 0)
		close(tk->pidfd);
	tk->pidfd = -1;
}
