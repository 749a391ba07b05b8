/* SPDX-License-Identifier: MIT */
/*
 * zc-tx targets: where the benchmark's sends go (shared/field-notes.md).
 *
 *   ifb   UDP to a neighbour behind an ifb device. ifb drops every frame
 *         handed to it, like the kernel's dummy device the SEND_ZC series was
 *         measured on (this kernel has no dummy). MTU 65535 so no size is
 *         fragmented (fragments are copied), and a permanent neighbour so no
 *         ARP is needed.
 *   veth  TCP over a veth pair to a sink socket in the peer namespace. The
 *         kernel copies zerocopy data that loops back to a local receiver,
 *         so zerocopy is expected to be reported copied here: that is what a
 *         user of this machine sees, and the benchmark reports it as measured.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/zc_tx.h"

#define IFB_PEER "10.77.0.2"
#define VETH_PEER "10.78.0.2"
#define UDP_DISCARD_PORT 9
#define TCP_SINK_PORT 5009
#define SINK_BUF (256 * 1024)

/* Run a list of `ip` commands; stop at the first failure. */
struct ip_step {
	enum bench_ns_which ns;
	const char *args;
};

static int run_steps(struct zc_tx_env *env, const struct ip_step *s, unsigned n,
		     char *err, size_t errlen)
{
	for (unsigned i = 0; i < n; i++)
		if (bench_netns_ip(&env->ns, s[i].ns, err, errlen, s[i].args) < 0)
			return -1;
	return 0;
}

static int connect_to(int fd, const char *addr, unsigned short port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* ---- ifb ------------------------------------------------------------------ */

static int ifb_setup(struct zc_tx_env *env, char *err, size_t errlen)
{
	static const struct ip_step steps[] = {
		{ BENCH_NS_SELF, "link add zcsink type ifb" },
		{ BENCH_NS_SELF, "link set zcsink mtu 65535 up" },
		{ BENCH_NS_SELF, "addr add 10.77.0.1/24 dev zcsink" },
		{ BENCH_NS_SELF, "neigh add " IFB_PEER " lladdr 02:00:00:00:00:02 dev zcsink nud permanent" },
	};

	return run_steps(env, steps, sizeof(steps) / sizeof(steps[0]), err, errlen);
}

static int ifb_open(struct zc_tx_env *env)
{
	int fd = bench_netns_socket(&env->ns, BENCH_NS_SELF, AF_INET, SOCK_DGRAM, 0);

	return fd < 0 ? fd : connect_to(fd, IFB_PEER, UDP_DISCARD_PORT);
}

static void ifb_teardown(struct zc_tx_env *env)
{
	(void)env;	/* the device goes with the namespace */
}

/* ---- veth + TCP sink ------------------------------------------------------ */

/* Accept connections one after another and throw their bytes away. MSG_TRUNC
 * on TCP discards in the kernel without copying to user space, so the sink
 * costs as little as a receiver can. Ends when the listener is shut down. */
static void *sink_main(void *arg)
{
	struct zc_tx_env *env = arg;
	static char buf[SINK_BUF];

	rp_bench_pin_self((unsigned)env->sink_cpu);
	for (;;) {
		int fd = accept(env->listen_fd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		while (recv(fd, buf, sizeof(buf), MSG_TRUNC) > 0)
			;
		close(fd);
	}
}

static int sink_listen(struct zc_tx_env *env, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(TCP_SINK_PORT) };
	int one = 1, fd;

	fd = bench_netns_socket(&env->ns, BENCH_NS_PEER, AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		snprintf(err, errlen, "TCP sink: socket in the peer namespace: %s", strerror(-fd));
		return -1;
	}
	inet_pton(AF_INET, VETH_PEER, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "TCP sink: bind/listen %s:%d: %s", VETH_PEER, TCP_SINK_PORT,
			 strerror(errno));
		close(fd);
		return -1;
	}
	env->listen_fd = fd;
	return 0;
}

static int veth_setup(struct zc_tx_env *env, char *err, size_t errlen)
{
	static const struct ip_step steps[] = {
		{ BENCH_NS_SELF, "link add zcv0 type veth peer name zcv1 netns %peer" },
		{ BENCH_NS_SELF, "addr add 10.78.0.1/24 dev zcv0" },
		{ BENCH_NS_PEER, "addr add " VETH_PEER "/24 dev zcv1" },
		{ BENCH_NS_SELF, "link set zcv0 up" },
		{ BENCH_NS_PEER, "link set zcv1 up" },
	};
	int ret;

	env->listen_fd = -1;
	if (run_steps(env, steps, sizeof(steps) / sizeof(steps[0]), err, errlen) < 0 ||
	    sink_listen(env, err, errlen) < 0)
		return -1;
	ret = pthread_create(&env->sink, NULL, sink_main, env);
	if (ret) {
		snprintf(err, errlen, "TCP sink: pthread_create: %s", strerror(ret));
		return -1;
	}
	env->sink_running = true;
	return 0;
}

static int veth_open(struct zc_tx_env *env)
{
	int fd = bench_netns_socket(&env->ns, BENCH_NS_SELF, AF_INET, SOCK_STREAM, 0);
	int one = 1;

	if (fd < 0)
		return fd;
	/* Each request is a message to push now, as an echo or proxy reply is:
	 * with Nagle a send's short tail waits for the peer's delayed ACK, and
	 * the benchmark would measure that timer (measured: 64000 B sends went
	 * from ~25k to ~115k req/s with TCP_NODELAY). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return connect_to(fd, VETH_PEER, TCP_SINK_PORT);
}

static void veth_teardown(struct zc_tx_env *env)
{
	if (env->listen_fd >= 0)
		shutdown(env->listen_fd, SHUT_RDWR);	/* wakes the sink's accept() */
	if (env->sink_running)
		pthread_join(env->sink, NULL);
	env->sink_running = false;
	if (env->listen_fd >= 0)
		close(env->listen_fd);
	env->listen_fd = -1;
}

const struct zc_tx_target zc_tx_targets[] = {
	{ "ifb", "UDP to " IFB_PEER " behind an ifb device (drops every frame; MTU 65535, "
		 "permanent neighbour): the stand-in for the seed's dummy device",
	  ifb_setup, ifb_open, ifb_teardown },
	{ "veth", "TCP (TCP_NODELAY) over a veth pair to a sink socket in a peer namespace (the kernel "
		  "copies zerocopy data bound for a local receiver: expect zc reported copied)",
	  veth_setup, veth_open, veth_teardown },
};
const unsigned zc_tx_n_targets = sizeof(zc_tx_targets) / sizeof(zc_tx_targets[0]);
