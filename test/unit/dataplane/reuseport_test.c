/* SPDX-License-Identifier: MIT */
/*
 * dataplane/reuseport.c: the program's shape, the layout checks, and the
 * program at work in real SO_REUSEPORT groups on 127.0.0.1 (ephemeral
 * ports): a sender pinned to CPU k reaches the socket mapped to CPU k, for
 * UDP datagrams and TCP connections, and through the appliance's join path
 * (index = join order, CPU = the joining thread's pinning). Loopback delivers
 * on the sending CPU. Needs CPUs 0 and 1; skipped without.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/reuseport.h"
#include "dataplane/svc.h"

#define N_SENDERS 32	/* source ports: the kernel's hash would spread them */

/* ---- helpers -------------------------------------------------------------- */

static struct sockaddr_in loopback(unsigned port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

/* A member of the group on port (0: pick one; returned in *port). */
static int member(int type, unsigned *port)
{
	struct sockaddr_in a = loopback(*port);
	socklen_t len = sizeof(a);
	int one = 1, fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

static cpu_set_t allowed;	/* the test's own affinity, restored by unpin() */

static void unpin(void)
{
	assert_int_equal(sched_setaffinity(0, sizeof(allowed), &allowed), 0);
}

/* Take whatever arrived on fd (a datagram or a connection); how many. */
static unsigned drain(int fd, int type)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned n = 0;
	char b[16];

	while (poll(&p, 1, n ? 0 : 200) > 0) {
		if (type == SOCK_DGRAM)
			assert_true(recv(fd, b, sizeof(b), MSG_DONTWAIT) >= 0);
		else
			assert_int_equal(close(accept(fd, NULL, NULL)), 0);
		n++;
	}
	return n;
}

/* From CPU `cpu`, N_SENDERS new sockets each send one datagram or open one
 * connection to port; counts what each of the group's fds received. */
static void send_from(int cpu, int type, unsigned port, const int *fds, unsigned n_fds,
		      unsigned *got)
{
	struct sockaddr_in to = loopback(port);
	int c[N_SENDERS];

	pin(cpu);
	for (unsigned i = 0; i < N_SENDERS; i++) {
		c[i] = socket(AF_INET, type | SOCK_CLOEXEC, 0);
		assert_true(c[i] >= 0);
		if (type == SOCK_DGRAM)
			assert_int_equal(sendto(c[i], "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
		else
			assert_int_equal(connect(c[i], (struct sockaddr *)&to, sizeof(to)), 0);
	}
	unpin();
	for (unsigned i = 0; i < n_fds; i++)
		got[i] = drain(fds[i], type);
	for (unsigned i = 0; i < N_SENDERS; i++)
		close(c[i]);
}

static bool cpus_0_and_1(void)
{
	return !sched_getaffinity(0, sizeof(allowed), &allowed) && CPU_ISSET(0, &allowed) &&
	       CPU_ISSET(1, &allowed);
}

/* ---- the program ------------------------------------------------------------ */

static void prog_shape(void **state)
{
	struct sock_filter p[RP_REUSEPORT_PROG_LEN(3)];
	int cpus[3] = { 4, 2, 7 };

	(void)state;
	assert_int_equal(rp_reuseport_prog(cpus, 3, p, RP_REUSEPORT_PROG_LEN(3)), 9);
	assert_int_equal(p[0].code, BPF_LD | BPF_W | BPF_ABS);
	assert_int_equal(p[0].k, (uint32_t)(SKF_AD_OFF + SKF_AD_CPU));
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(p[1 + 2 * i].k, (uint32_t)cpus[i]);
		assert_int_equal(p[2 + 2 * i].code, BPF_RET | BPF_K);
		assert_int_equal(p[2 + 2 * i].k, i);
	}
	assert_int_equal(p[7].code, BPF_ALU | BPF_MOD | BPF_K);
	assert_int_equal(p[7].k, 3);
	assert_int_equal(p[8].code, BPF_RET | BPF_A);
	assert_int_equal(rp_reuseport_prog(cpus, 0, p, 9), -EINVAL);
	assert_int_equal(rp_reuseport_prog(cpus, 3, p, 8), -EINVAL);
}

static void layout_problems(void **state)
{
	int ok[2] = { 0, 1 }, shared[3] = { 0, 1, 0 }, unpinned[2] = { 0, -1 };
	char why[256];

	(void)state;
	assert_int_equal(rp_reuseport_layout_problem(ok, 2, why, sizeof(why)), 0);
	assert_int_equal(rp_reuseport_layout_problem(shared, 3, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "sockets 0 and 2 both belong to workers on CPU 0"));
	assert_int_equal(rp_reuseport_layout_problem(unpinned, 2, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "socket 1's worker is not pinned"));
}

/* ---- real groups -------------------------------------------------------------- */

/* cpus {1, 0}: socket 0 is CPU 1's, so the answer cannot come from the hash
 * or from "index = CPU" by accident. */
static void group_steers_by_cpu(int type)
{
	int cpus[2] = { 1, 0 }, fds[2];
	unsigned port = 0, got[2];

	fds[0] = member(type, &port);
	fds[1] = member(type, &port);
	/* attached through the second socket: the group's program */
	assert_int_equal(rp_reuseport_attach(fds[1], cpus, 2), 0);
	for (int cpu = 0; cpu < 2; cpu++) {
		unsigned want = cpu == 1 ? 0 : 1;

		send_from(cpu, type, port, fds, 2, got);
		assert_int_equal(got[want], N_SENDERS);
		assert_int_equal(got[1 - want], 0);
	}
	close(fds[0]);
	close(fds[1]);
}

static void udp_group_steers(void **state)
{
	(void)state;
	group_steers_by_cpu(SOCK_DGRAM);
}

static void tcp_group_steers(void **state)
{
	(void)state;
	group_steers_by_cpu(SOCK_STREAM);
}

/* A CPU with no socket of its own goes to socket cpu % n: one socket for
 * CPU 1 only, so CPU 0's packets take 0 % 1 = socket 0 as well. */
static void cpu_without_socket_falls_back(void **state)
{
	int cpus[1] = { 1 }, fd;
	unsigned port = 0, got;

	(void)state;
	fd = member(SOCK_DGRAM, &port);
	assert_int_equal(rp_reuseport_attach(fd, cpus, 1), 0);
	send_from(0, SOCK_DGRAM, port, &fd, 1, &got);
	assert_int_equal(got, N_SENDERS);
	close(fd);
}

/* The appliance's path: joins record the joining thread's CPU, in join
 * order; the last join attaches. Socket 0 joins from CPU 1, socket 1 from
 * CPU 0. */
static void join_path_attaches(void **state)
{
	struct rp_service_cfg svc = { .name = "u", .type = RP_SVC_UDP_ECHO,
				      .local_cpu = RP_LOCAL_CPU_ON };
	struct rp_config cfg = { .services = &svc, .n_services = 1 };
	struct rp_svc_inst si = { .cfg = &svc, .idx = 0 };
	unsigned port = 0, got[2];
	int fds[2];

	(void)state;
	snprintf(svc.listen.text, sizeof(svc.listen.text), "127.0.0.1");
	assert_int_equal(rp_reuseport_begin(&cfg, 2), 0);
	pin(1);
	fds[0] = member(SOCK_DGRAM, &port);
	assert_int_equal(rp_reuseport_join(&si, fds[0]), 0);
	pin(0);
	fds[1] = member(SOCK_DGRAM, &port);
	assert_int_equal(rp_reuseport_join(&si, fds[1]), 0);
	unpin();
	send_from(0, SOCK_DGRAM, port, fds, 2, got);
	assert_int_equal(got[1], N_SENDERS);
	assert_int_equal(got[0], 0);
	rp_reuseport_end();
	close(fds[0]);
	close(fds[1]);
}

/* local-cpu on with a joiner that is not pinned: the join that completes
 * the group fails with -EINVAL, and nothing was attached. */
static void join_on_refuses_unpinned(void **state)
{
	struct rp_service_cfg svc = { .name = "u", .type = RP_SVC_UDP_ECHO,
				      .local_cpu = RP_LOCAL_CPU_ON };
	struct rp_config cfg = { .services = &svc, .n_services = 1 };
	struct rp_svc_inst si = { .cfg = &svc, .idx = 0 };
	unsigned port = 0;
	int fds[2];

	(void)state;
	assert_int_equal(rp_reuseport_begin(&cfg, 2), 0);
	pin(0);
	fds[0] = member(SOCK_DGRAM, &port);
	assert_int_equal(rp_reuseport_join(&si, fds[0]), 0);
	unpin();
	fds[1] = member(SOCK_DGRAM, &port);
	assert_int_equal(rp_reuseport_join(&si, fds[1]), -EINVAL);
	svc.local_cpu = RP_LOCAL_CPU_AUTO;	/* auto: same layout, hash, no error */
	assert_int_equal(rp_reuseport_begin(&cfg, 1), 0);
	assert_int_equal(rp_reuseport_join(&si, fds[1]), 0);
	rp_reuseport_end();
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(prog_shape),
		cmocka_unit_test(layout_problems),
	};
	const struct CMUnitTest sockets[] = {
		cmocka_unit_test(udp_group_steers),
		cmocka_unit_test(tcp_group_steers),
		cmocka_unit_test(cpu_without_socket_falls_back),
		cmocka_unit_test(join_path_attaches),
		cmocka_unit_test(join_on_refuses_unpinned),
	};
	int failed = cmocka_run_group_tests_name("reuseport program", pure, NULL, NULL);

	if (!cpus_0_and_1()) {
		printf("reuseport groups: skipped (CPUs 0 and 1 are not both allowed)\n");
		return failed ? 1 : 0;
	}
	return failed + cmocka_run_group_tests_name("reuseport groups", sockets, NULL, NULL) ? 1 : 0;
}
