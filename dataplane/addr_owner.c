/* SPDX-License-Identifier: MIT */
/* One appliance per address (see addr_owner.h). */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane/addr_owner.h"
#include "dataplane/log.h"

#define TCP_LISTEN 0x0A	/* st column of /proc/net/tcp */

static unsigned addr_port(const struct rp_addr *a)
{
	const struct sockaddr_in *in = (const void *)&a->ss;
	const struct sockaddr_in6 *in6 = (const void *)&a->ss;

	return ntohs(a->ss.ss_family == AF_INET6 ? in6->sin6_port : in->sin_port);
}

/* The inode of a socket bound to port in one /proc/net table; 0: none. */
static unsigned long table_inode(const char *table, unsigned port, bool tcp)
{
	FILE *f = fopen(table, "re");
	unsigned long inode = 0;
	char line[512];

	if (!f)
		return 0;
	while (!inode && fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned lport, st;
		unsigned long ino;

		/* sl local rem st tx:rx tr:when retr uid timeout inode */
		if (sscanf(line, " %*u: %63[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*u %*u %lu",
			   local, &lport, &st, &ino) != 4)
			continue;
		if (lport == port && (!tcp || st == TCP_LISTEN))
			inode = ino;
	}
	fclose(f);
	return inode;
}

static bool pid_has_socket(const char *pid, const char *want)
{
	char dir[300], path[sizeof(dir) + 256], target[64];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	d = opendir(dir);
	if (!d)
		return false;	/* another user's process, or gone */
	while (!found && (e = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = !strcmp(target, want);
		}
	}
	closedir(d);
	return found;
}

static pid_t inode_owner(unsigned long inode, char *comm, size_t n)
{
	char want[64], path[300];
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t pid = 0;

	if (!d)
		return 0;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (!pid && (e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && pid_has_socket(e->d_name, want))
			pid = (pid_t)atoi(e->d_name);
	closedir(d);
	snprintf(comm, n, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (pid) {
		FILE *f = fopen(path, "re");

		if (f && fgets(comm, (int)n, f))
			comm[strcspn(comm, "\n")] = '\0';
		if (f)
			fclose(f);
	}
	return pid;
}

pid_t rp_addr_owner(const struct rp_addr *addr, int socktype, char *comm, size_t n)
{
	bool tcp = socktype == SOCK_STREAM, v6 = addr->ss.ss_family == AF_INET6;
	char table[32];
	unsigned long inode;

	snprintf(table, sizeof(table), "/proc/net/%s%s", tcp ? "tcp" : "udp", v6 ? "6" : "");
	inode = table_inode(table, addr_port(addr), tcp);
	return inode ? inode_owner(inode, comm, n) : 0;
}

int rp_addr_probe(const struct rp_addr *addr, int socktype)
{
	int one = 1, ret = 0;
	int fd = socket(addr->ss.ss_family, socktype | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (socktype == SOCK_STREAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		ret = -errno;
	else if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * A socket nobody in /proc holds is, most often, one a process that just
 * died still had in its io_uring: the kernel tears a ring down in a work
 * item after the process is gone, and its fixed files and pending
 * receives keep their sockets bound until it runs (a second, more under
 * load). So an unowned address is probed again for a while before it
 * counts as another user's.
 */
#define ORPHAN_WAIT_MS	 5000
#define ORPHAN_RETRY_MS	 100

static int probe_until_owned_or_free(const struct rp_service_cfg *s, int type,
				     char *comm, size_t n, pid_t *pid)
{
	int ret = rp_addr_probe(&s->listen, type);

	for (unsigned waited = 0; ret == -EADDRINUSE; waited += ORPHAN_RETRY_MS) {
		*pid = rp_addr_owner(&s->listen, type, comm, n);
		if (*pid || waited >= ORPHAN_WAIT_MS)
			break;
		if (!waited)
			rp_info("service %s: %s is held by no process yet; waiting up to %u ms "
				"for a departed one's sockets to close", s->name, s->listen.text,
				ORPHAN_WAIT_MS);
		usleep(ORPHAN_RETRY_MS * 1000);
		ret = rp_addr_probe(&s->listen, type);
	}
	return ret;
}

static int probe_service(const struct rp_service_cfg *s)
{
	int type = rp_svc_type_socktype(s->type);
	char comm[64];
	pid_t pid = 0;

	if (probe_until_owned_or_free(s, type, comm, sizeof(comm), &pid) != -EADDRINUSE)
		return 0;	/* free; any other failure is the workers' to report */
	if (pid)
		rp_err("service %s: %s %s is already served by PID %d (%s): one appliance per "
		       "address (a second would take half of its traffic); stop it first",
		       s->name, type == SOCK_STREAM ? "tcp" : "udp", s->listen.text, (int)pid, comm);
	else
		rp_err("service %s: %s %s is already in use by another process (not found in "
		       "/proc after %u ms: another user's?)", s->name,
		       type == SOCK_STREAM ? "tcp" : "udp", s->listen.text, ORPHAN_WAIT_MS);
	return -1;
}

int rp_addr_probe_services(const struct rp_config *cfg)
{
	int bad = 0;

	for (unsigned i = 0; i < cfg->n_services; i++)
		bad |= probe_service(&cfg->services[i]);
	return bad ? -1 : 0;
}
