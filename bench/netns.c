/* SPDX-License-Identifier: MIT */
/*
 * Private network namespaces for benchmarks (see netns.h).
 *
 * Devices are made by running iproute2's `ip`, not by speaking rtnetlink
 * through libmnl: the benchmark needs a handful of one-off set-up commands
 * (ifb, veth, address, permanent neighbour, link up) that run once per
 * benchmark, where `ip` is already a dependency (deploy/setup.sh), is exactly
 * the recipe in shared/field-notes.md a reader can replay by hand, and prints
 * the kernel's extended-ack error text itself. A netlink builder for veth
 * peers and neighbours would be more code than the benchmark it serves.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/netns.h"

#define NS_SELF_PATH "/proc/thread-self/ns/net"
#define IP_MAX_ARGS 32
#define IP_ARGS_LEN 512

static int open_current_ns(void)
{
	return open(NS_SELF_PATH, O_RDONLY | O_CLOEXEC);
}

static int new_ns(struct bench_netns *ns, int *fd, char *err, size_t errlen)
{
	if (unshare(CLONE_NEWNET) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: unshare(CLONE_NEWNET): %s",
			 e == EPERM ? "the benchmark needs root (CAP_SYS_ADMIN) to create its "
				      "private network namespaces" : "cannot create a network namespace",
			 strerror(e));
		return -e;
	}
	ns->moved = true;
	*fd = open_current_ns();
	if (*fd < 0) {
		int e = errno;

		snprintf(err, errlen, "open %s: %s", NS_SELF_PATH, strerror(e));
		return -e;
	}
	return 0;
}

int bench_netns_enter(struct bench_netns *ns, char *err, size_t errlen)
{
	/* The peer first, so that the thread ends up in "self". */
	static const enum bench_ns_which order[] = { BENCH_NS_PEER, BENCH_NS_SELF };
	int ret;

	ns->fd[BENCH_NS_SELF] = ns->fd[BENCH_NS_PEER] = -1;
	ns->moved = false;
	ns->home_fd = open_current_ns();
	if (ns->home_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "open %s: %s", NS_SELF_PATH, strerror(-ret));
		return ret;
	}
	for (unsigned i = 0; i < 2; i++) {
		ret = new_ns(ns, &ns->fd[order[i]], err, errlen);
		if (ret < 0)
			goto fail;
		ret = bench_netns_ip(ns, order[i], err, errlen, "link set lo up");
		if (ret < 0)
			goto fail;
	}
	return 0;
fail:
	bench_netns_leave(ns);
	return ret;
}

void bench_netns_leave(struct bench_netns *ns)
{
	if (ns->home_fd >= 0) {
		if (ns->moved && setns(ns->home_fd, CLONE_NEWNET) < 0)
			perror("bench: setns back to the original network namespace");
		close(ns->home_fd);
		ns->home_fd = -1;
		ns->moved = false;
	}
	for (unsigned i = 0; i < BENCH_NS__COUNT; i++) {
		if (ns->fd[i] >= 0)
			close(ns->fd[i]);
		ns->fd[i] = -1;
	}
}

/* Split args on spaces into argv (after "ip"), replacing "%peer". */
static int build_argv(const struct bench_netns *ns, const char *args, char *buf,
		      size_t buflen, char *peer_path, size_t peer_len, char **argv)
{
	unsigned argc = 0;

	snprintf(peer_path, peer_len, "/proc/self/fd/%d", ns->fd[BENCH_NS_PEER]);
	if (snprintf(buf, buflen, "%s", args) >= (int)buflen)
		return -1;
	argv[argc++] = "ip";
	for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (argc >= IP_MAX_ARGS - 1)
			return -1;
		argv[argc++] = strcmp(tok, "%peer") ? tok : peer_path;
	}
	argv[argc] = NULL;
	return 0;
}

/* In the child: enter the namespace, keep the peer fd across exec (its path
 * may be an argument), silence stdout, exec ip. */
static void exec_ip(const struct bench_netns *ns, enum bench_ns_which which, char **argv)
{
	int devnull = open("/dev/null", O_WRONLY);

	if (setns(ns->fd[which], CLONE_NEWNET) < 0)
		_exit(126);
	fcntl(ns->fd[BENCH_NS_PEER], F_SETFD, 0);
	if (devnull >= 0)
		dup2(devnull, STDOUT_FILENO);
	execvp("ip", argv);
	_exit(127);
}

int bench_netns_ip(const struct bench_netns *ns, enum bench_ns_which which,
		   char *err, size_t errlen, const char *args)
{
	static const char *const ns_name[BENCH_NS__COUNT] = { "self", "peer" };
	char buf[IP_ARGS_LEN], peer_path[64];
	char *argv[IP_MAX_ARGS];
	int status;
	pid_t pid;

	if (build_argv(ns, args, buf, sizeof(buf), peer_path, sizeof(peer_path), argv) < 0) {
		snprintf(err, errlen, "ip %s: too many or too long arguments", args);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "ip %s: fork: %s", args, strerror(errno));
		return -1;
	}
	if (pid == 0)
		exec_ip(ns, which, argv);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "ip %s: waitpid: %s", args, strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(err, errlen, "ip %s: cannot run ip (is iproute2 installed?)", args);
	else
		snprintf(err, errlen, "ip %s (in the %s namespace) failed (status %d; ip's message is above)",
			 args, ns_name[which], status);
	return -1;
}

int bench_netns_socket(const struct bench_netns *ns, enum bench_ns_which which,
		       int domain, int type, int protocol)
{
	int fd, e;

	if (which == BENCH_NS_SELF) {
		fd = socket(domain, type, protocol);
		return fd < 0 ? -errno : fd;
	}
	if (setns(ns->fd[which], CLONE_NEWNET) < 0)
		return -errno;
	fd = socket(domain, type, protocol);
	e = errno;
	if (setns(ns->fd[BENCH_NS_SELF], CLONE_NEWNET) < 0) {
		/* Cannot go back: this thread would make every later socket in
		 * the wrong namespace. Refuse loudly rather than measure nonsense. */
		perror("bench: setns back to the benchmark's namespace");
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	return fd < 0 ? -e : fd;
}
