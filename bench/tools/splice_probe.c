/* SPDX-License-Identifier: MIT */
/*
 * splice_probe: would a `forward: splice` mode pay for ringplane's tcp-proxy?
 * A one-stream, one-direction io_uring proxy on loopback in two forms, the
 * same loop shape (one operation in flight, 256 KiB at a time):
 *
 *   copy    IORING_OP_RECV into a 256 KiB buffer, IORING_OP_SEND of it
 *   splice  IORING_OP_SPLICE socket -> pipe (1 MiB), pipe -> socket
 *
 * The proxy is a child process pinned to one CPU; the sender and the sink
 * are threads of the parent pinned to another. Cost: the child's CPU time
 * from wait4() (every thread, io-wq workers included: io_uring runs every
 * splice in an io-wq worker, REQ_F_FORCE_ASYNC). Not part of the product
 * and not built by meson; a probe to run by hand:
 *
 *   cc -O2 -Wall -Wextra -o /tmp/splice_probe bench/tools/splice_probe.c -luring -lpthread
 *   for i in 1 2 3 4 5; do for m in copy splice; do
 *     ip netns exec NS /tmp/splice_probe $m 5 0 1; done; done
 *
 * Over veth: a 4th..6th argument PROXY_NETNS PROXY_ADDR BACKEND_ADDR puts
 * the proxy in /run/netns/PROXY_NETNS listening on PROXY_ADDR, the sink
 * listening on BACKEND_ADDR in the caller's namespace.
 *
 * SPLICE_PROBE_GBIT=R in the environment paces the sender to R Gbit/s: the
 * cost per Gbit depends on the rate (a faster stream moves more bytes per
 * operation), so the two modes are compared at the same rate too.
 *
 * prints: mode Gbit/s proxy_cpu_s Gbit_per_cpu_s
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

static void pin(unsigned cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static int listener(struct sockaddr_in *a, const char *host)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	*a = (struct sockaddr_in){ .sin_family = AF_INET };
	if (fd < 0 || inet_pton(AF_INET, host, &a->sin_addr) != 1 || bind(fd, (struct sockaddr *)a, sizeof(*a)) || listen(fd, 4) ||
	    getsockname(fd, (struct sockaddr *)a, &len)) {
		perror("listener");
		exit(1);
	}
	return fd;
}

/* One op, waited for: the loop shape both modes share. */
static int run1(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int res;

	io_uring_submit_and_wait(ring, 1);
	if (io_uring_wait_cqe(ring, &cqe))
		return -1;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static int send_all(struct io_uring *ring, int out, const char *buf, int n, int pipe_in)
{
	for (int done = 0; done < n; ) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
		int r;

		if (pipe_in >= 0)
			io_uring_prep_splice(sqe, pipe_in, -1, out, -1, (unsigned)(n - done), SPLICE_F_MOVE);
		else
			io_uring_prep_send(sqe, out, buf + done, (size_t)(n - done), 0);
		r = run1(ring);
		if (r <= 0)
			return -1;
		done += r;
	}
	return 0;
}

static void proxy(int lp, const struct sockaddr_in *backend, bool splice)
{
	static char buf[CHUNK];
	int in = accept(lp, NULL, NULL), out = socket(AF_INET, SOCK_STREAM, 0), p[2], one = 1;
	struct io_uring ring;

	if (in < 0 || out < 0 || connect(out, (const struct sockaddr *)backend, sizeof(*backend)) ||
	    pipe(p) || io_uring_queue_init(8, &ring, 0))
		_exit(2);
	setsockopt(out, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	for (;;) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		int n;

		if (splice)
			io_uring_prep_splice(sqe, in, -1, p[1], -1, CHUNK, SPLICE_F_MOVE);
		else
			io_uring_prep_recv(sqe, in, buf, CHUNK, 0);
		n = run1(&ring);
		if (n <= 0)
			break;
		if (send_all(&ring, out, buf, n, splice ? p[0] : -1))
			_exit(3);
	}
	shutdown(out, SHUT_WR);
	_exit(0);
}

struct sink {
	int lb;
	unsigned cpu;
	unsigned long long bytes;
};

static void *sink_main(void *arg)
{
	static char buf[CHUNK];
	struct sink *s = arg;
	int fd = accept(s->lb, NULL, NULL);
	ssize_t n;

	pin(s->cpu);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		s->bytes += (unsigned long long)n;
	return NULL;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char block[64 * 1024];
	struct sockaddr_in ab, ap;
	struct sink s = { 0 };
	struct rusage ru;
	pthread_t th;
	double secs, t0, t1, cpu, rate;
	bool splice;
	pid_t pid;
	int lp, fd, st, nsfd = -1;

	if ((argc != 5 && argc != 8) || (strcmp(argv[1], "copy") && strcmp(argv[1], "splice"))) {
		fprintf(stderr, "usage: splice_probe copy|splice SECONDS PROXY_CPU LOAD_CPU "
			"[PROXY_NETNS PROXY_ADDR BACKEND_ADDR]\n");
		return 2;
	}
	splice = !strcmp(argv[1], "splice");
	secs = atof(argv[2]);
	s.lb = listener(&ab, argc == 8 ? argv[7] : "127.0.0.1");
	if (argc == 8) {
		char path[128];
		int home = open("/proc/self/ns/net", O_RDONLY);

		snprintf(path, sizeof(path), "/run/netns/%s", argv[5]);
		nsfd = open(path, O_RDONLY);
		if (home < 0 || nsfd < 0 || setns(nsfd, CLONE_NEWNET))
			return perror(path), 1;
		lp = listener(&ap, argv[6]);
		if (setns(home, CLONE_NEWNET))
			return perror("setns home"), 1;
	} else {
		lp = listener(&ap, "127.0.0.1");
	}
	s.cpu = (unsigned)atoi(argv[4]);
	pid = fork();
	if (pid == 0) {
		/* its backend socket crosses the veth from the proxy's side */
		if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET))
			_exit(4);
		pin((unsigned)atoi(argv[3]));
		proxy(lp, &ab, splice);
	}
	pin(s.cpu);
	pthread_create(&th, NULL, sink_main, &s);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&ap, sizeof(ap)))
		return perror("connect"), 1;
	rate = getenv("SPLICE_PROBE_GBIT") ? atof(getenv("SPLICE_PROBE_GBIT")) * 1e9 / 8 : 0;
	t0 = now_s();
	for (double sent = 0; (t1 = now_s()) - t0 < secs; ) {
		if (rate > 0 && sent > rate * (t1 - t0)) {
			usleep(200);
			continue;
		}
		if (write(fd, block, sizeof(block)) <= 0)
			return perror("write"), 1;
		sent += sizeof(block);
	}
	close(fd);
	pthread_join(th, NULL);
	t1 = now_s();
	if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return fprintf(stderr, "proxy failed (status %d)\n", st), 1;
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("%s %.3f %.3f %.2f\n", argv[1], (double)s.bytes * 8 / 1e9 / (t1 - t0), cpu,
	       (double)s.bytes * 8 / 1e9 / cpu);
	return 0;
}
