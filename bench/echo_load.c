/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/echo_load.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103	/* linux/udp.h */
#endif

#define BATCH 64
#define GSO_MAX_BYTES 65000	/* one GSO send stays below the 64 KiB IP limit */
#define RTT_SAMPLES_MAX (8u << 20)

/* The requests of one send (or the replies of one receive). */
struct burst {
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned char *bufs;		/* BATCH x size */
	unsigned size;
	unsigned per_send;		/* requests per send call */
	bool gso;
};

static int load_socket(const struct sockaddr *server, socklen_t len)
{
	int fd = socket(server->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), big = 8 << 20, err;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (connect(fd, server, len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* gso: every send call carries several requests cut by UDP_SEGMENT (the
 * server still receives separate datagrams); when the kernel refuses the
 * option, requests go out by sendmmsg. */
static int burst_init(struct burst *b, int fd, unsigned size, bool gso)
{
	int seg = (int)size;

	*b = (struct burst){ .size = size, .per_send = BATCH, .bufs = calloc(BATCH, size) };
	if (!b->bufs)
		return -ENOMEM;
	for (unsigned i = 0; i < BATCH; i++) {
		b->iov[i] = (struct iovec){ b->bufs + (size_t)i * size, size };
		b->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &b->iov[i], .msg_iovlen = 1 };
	}
	if (gso && setsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg)) == 0) {
		b->gso = true;
		b->per_send = GSO_MAX_BYTES / size < BATCH ? GSO_MAX_BYTES / size : BATCH;
	}
	return 0;
}

static void burst_free(struct burst *b)
{
	free(b->bufs);
}

/* Each request carries its send time in its first 8 bytes. */
static void stamp(struct burst *b, unsigned n)
{
	unsigned long long now = rp_bench_now_ns();

	for (unsigned i = 0; i < n; i++)
		memcpy(b->iov[i].iov_base, &now, sizeof(now));
}

/* Send n requests (n <= BATCH); returns how many the socket took. */
static unsigned send_n(int fd, struct burst *b, unsigned n)
{
	unsigned sent = 0;

	if (n > b->per_send)
		n = b->per_send;
	stamp(b, n);
	if (b->gso) {
		struct msghdr mh = { .msg_iov = b->iov, .msg_iovlen = n };

		sent = sendmsg(fd, &mh, 0) > 0 ? n : 0;
	} else {
		int r = sendmmsg(fd, b->msgs, n, 0);

		sent = r > 0 ? (unsigned)r : 0;
	}
	return sent;
}

static unsigned fill_window(int fd, struct burst *b, unsigned want)
{
	unsigned sent = 0;

	while (sent < want) {
		unsigned got = send_n(fd, b, want - sent < BATCH ? want - sent : BATCH);

		if (!got)
			break;
		sent += got;
	}
	return sent;
}

static int grow(struct echo_latency *out, size_t *cap)
{
	double *v;

	if (out->n < *cap)
		return 0;
	*cap = *cap ? 2 * *cap : 65536;
	v = realloc(out->rtt_ns, *cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	out->rtt_ns = v;
	return 0;
}


/* The round trip of each reply, from the send time it carries. */
static int record_rtts(struct echo_latency *lat, size_t *cap, const struct burst *rx,
		       unsigned n, unsigned long long now)
{
	for (unsigned i = 0; i < n && lat->n < RTT_SAMPLES_MAX; i++) {
		unsigned long long sent;
		int err = grow(lat, cap);

		if (err)
			return err;
		if (rx->msgs[i].msg_len < sizeof(sent))
			continue;
		memcpy(&sent, rx->iov[i].iov_base, sizeof(sent));
		if (sent <= now)
			lat->rtt_ns[lat->n++] = (double)(now - sent);
	}
	return 0;
}

static double thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Keep the window full until the time is up; 0 or -errno. */
static int throughput_loop(int fd, const struct echo_load_cfg *cfg, struct burst *tx,
			   struct burst *rx, struct echo_throughput *out)
{
	unsigned long long start = rp_bench_now_ns(), end = start + (unsigned long long)(cfg->seconds * 1e9);
	double cpu0 = thread_cpu_ns();
	size_t cap = 0;
	int err = 0;

	fill_window(fd, tx, cfg->window);
	while (!err && rp_bench_now_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n;

		if (poll(&p, 1, cfg->loss_timeout_ms) <= 0) {
			/* silence: whatever was in flight is lost */
			out->refills++;
			fill_window(fd, tx, cfg->window);
			continue;
		}
		n = recvmmsg(fd, rx->msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		out->replies += (uint64_t)n;
		err = record_rtts(&out->rtt, &cap, rx, (unsigned)n, rp_bench_now_ns());
		fill_window(fd, tx, (unsigned)n);
	}
	out->seconds = (double)(rp_bench_now_ns() - start) / 1e9;
	out->pps = (double)out->replies / out->seconds;
	out->load_cpu = (thread_cpu_ns() - cpu0) / 1e9 / out->seconds;
	return err;
}

int echo_load_throughput(const struct echo_load_cfg *cfg, struct echo_throughput *out)
{
	struct burst tx, rx;
	int fd = load_socket(cfg->server, cfg->server_len), err;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return fd;
	err = burst_init(&tx, fd, cfg->size, cfg->gso);
	if (!err)
		err = burst_init(&rx, fd, cfg->size, false);
	if (!err)
		err = throughput_loop(fd, cfg, &tx, &rx, out);
	out->gso = tx.gso;
	burst_free(&tx);
	burst_free(&rx);
	close(fd);
	return err;
}

int echo_load_latency(const struct echo_load_cfg *cfg, struct echo_latency *out)
{
	unsigned char *req = calloc(1, cfg->size), *rep = malloc(cfg->size);
	int fd = load_socket(cfg->server, cfg->server_len), err = 0;
	unsigned long long end = rp_bench_now_ns() + (unsigned long long)(cfg->seconds * 1e9);
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	if (fd < 0 || !req || !rep)
		err = fd < 0 ? fd : -ENOMEM;
	/* A repetition needs one round trip at least: on a loaded machine every
	 * one of a short (--quick) repetition's may outlast the loss timeout, so
	 * it goes on (5 s at most) until one comes back. */
	while (!err && (rp_bench_now_ns() < end ||
			(!out->n && rp_bench_now_ns() < end + 5000000000ULL))) {
		unsigned long long t0 = rp_bench_now_ns(), t_rep;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		memcpy(req, &t0, sizeof(t0));
		if (send(fd, req, cfg->size, 0) < 0 || poll(&p, 1, cfg->loss_timeout_ms) <= 0) {
			out->resent++;
			continue;
		}
		if (recv(fd, rep, cfg->size, MSG_DONTWAIT) < (ssize_t)sizeof(t_rep))
			continue;
		memcpy(&t_rep, rep, sizeof(t_rep));
		if (t_rep != t0)	/* a late echo of a resent request */
			continue;
		err = grow(out, &cap);
		if (!err)
			out->rtt_ns[out->n++] = (double)(rp_bench_now_ns() - t0);
	}
	if (fd >= 0)
		close(fd);
	free(req);
	free(rep);
	return err;
}

int echo_load_probe(const struct sockaddr *server, socklen_t len, int timeout_ms)
{
	int fd = load_socket(server, len), rc = -ETIMEDOUT;
	char buf[16] = "probe";
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (fd < 0)
		return fd;
	if (send(fd, buf, sizeof(buf), 0) == sizeof(buf) && poll(&p, 1, timeout_ms) > 0 &&
	    recv(fd, buf, sizeof(buf), MSG_DONTWAIT) == sizeof(buf))
		rc = 0;
	close(fd);
	return rc;
}
