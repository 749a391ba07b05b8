/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/echo_load.h"

#define BATCH 64

struct burst {
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned char *bufs;		/* BATCH x size */
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

static int burst_init(struct burst *b, unsigned size)
{
	b->bufs = calloc(BATCH, size);
	if (!b->bufs)
		return -ENOMEM;
	for (unsigned i = 0; i < BATCH; i++) {
		b->iov[i] = (struct iovec){ b->bufs + (size_t)i * size, size };
		b->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &b->iov[i], .msg_iovlen = 1 };
	}
	return 0;
}

/* Send n requests (n <= BATCH); returns how many the socket took. */
static unsigned send_n(int fd, struct burst *b, unsigned n)
{
	int r = sendmmsg(fd, b->msgs, n, 0);

	return r > 0 ? (unsigned)r : 0;
}

static unsigned fill_window(int fd, struct burst *b, unsigned want)
{
	unsigned sent = 0;

	while (sent < want) {
		unsigned n = want - sent < BATCH ? want - sent : BATCH, got = send_n(fd, b, n);

		if (!got)
			break;
		sent += got;
	}
	return sent;
}

int echo_load_throughput(const struct echo_load_cfg *cfg, struct echo_throughput *out)
{
	struct burst b;
	int fd = load_socket(cfg->server, cfg->server_len);
	unsigned long long start, end;
	unsigned outstanding;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return fd;
	if (burst_init(&b, cfg->size) < 0) {
		close(fd);
		return -ENOMEM;
	}
	start = rp_bench_now_ns();
	end = start + (unsigned long long)(cfg->seconds * 1e9);
	outstanding = fill_window(fd, &b, cfg->window);
	while (rp_bench_now_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n;

		if (poll(&p, 1, cfg->loss_timeout_ms) <= 0) {
			/* silence: whatever was in flight is lost */
			out->refills++;
			outstanding = fill_window(fd, &b, cfg->window);
			continue;
		}
		n = recvmmsg(fd, b.msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		out->replies += (uint64_t)n;
		outstanding -= (unsigned)n < outstanding ? (unsigned)n : outstanding;
		outstanding += send_n(fd, &b, (unsigned)n);
	}
	out->pps = (double)out->replies / ((double)(rp_bench_now_ns() - start) / 1e9);
	free(b.bufs);
	close(fd);
	return 0;
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

int echo_load_latency(const struct echo_load_cfg *cfg, struct echo_latency *out)
{
	unsigned char *req = calloc(1, cfg->size), *rep = malloc(cfg->size);
	int fd = load_socket(cfg->server, cfg->server_len), err = 0;
	unsigned long long end = rp_bench_now_ns() + (unsigned long long)(cfg->seconds * 1e9);
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	if (fd < 0 || !req || !rep)
		err = fd < 0 ? fd : -ENOMEM;
	while (!err && rp_bench_now_ns() < end) {
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
