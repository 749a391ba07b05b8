/* SPDX-License-Identifier: MIT */
/*
 * Private network namespaces for a benchmark.
 *
 * A benchmark that needs devices (an ifb sink, a veth pair) must never touch
 * the machine's own namespace. bench_netns_enter() moves the calling thread
 * into a fresh, unnamed namespace ("self") and creates a second one ("peer")
 * for the far end of a veth pair. They are unnamed on purpose: nothing is
 * bind-mounted under /run/netns, so nothing outlives the process, even when
 * it crashes: the kernel frees a namespace, and the devices in it, when its
 * last thread, file descriptor and socket are gone.
 *
 * Only the calling thread changes namespace (network namespaces are per
 * thread); threads it creates afterwards inherit "self". Sockets stay in the
 * namespace they were created in, so bench_netns_socket() can make one in
 * "peer" and hand it to any thread.
 */
#ifndef RP_BENCH_NETNS_H
#define RP_BENCH_NETNS_H

#include <stdbool.h>
#include <stddef.h>

enum bench_ns_which {
	BENCH_NS_SELF,		/* where the benchmark's sender runs */
	BENCH_NS_PEER,		/* the far end of a veth pair */
	BENCH_NS__COUNT,
};

struct bench_netns {
	int home_fd;			/* the namespace the thread came from */
	bool moved;			/* the thread left it */
	int fd[BENCH_NS__COUNT];
};

/*
 * Create both namespaces and move the calling thread into "self" (lo up in
 * both). Needs CAP_SYS_ADMIN; without it fails with a sentence saying so.
 * 0 or -errno; err gets the reason.
 */
int bench_netns_enter(struct bench_netns *ns, char *err, size_t errlen);
/* Move the thread home and drop the namespaces (they vanish with their last
 * socket). Safe on a zeroed or half-entered struct. */
void bench_netns_leave(struct bench_netns *ns);

/*
 * Run `ip ARGS...` inside namespace `which` (args: one string, split on
 * spaces; no quoting). "%peer" in args is replaced by a path to the peer
 * namespace, for `ip link add ... peer name X netns %peer`. ip's own error
 * message goes to stderr; 0, or -1 with err naming the command.
 */
int bench_netns_ip(const struct bench_netns *ns, enum bench_ns_which which,
		   char *err, size_t errlen, const char *args);

/* socket(2) inside namespace `which`: fd or -errno. */
int bench_netns_socket(const struct bench_netns *ns, enum bench_ns_which which,
		       int domain, int type, int protocol);

#endif
