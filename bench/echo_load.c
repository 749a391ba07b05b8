/* SPDX-License-Identifier: MIT */
/* The echo load generator: sockets, framing, closed loop, ping-pong; see
 * echo_load.h. The open loop is in echo_load_open.c. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/echo_load_int.h"
#include "dataplane/sockperf.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103	/* linux/udp.h */
#endif

#define GSO_MAX_BYTES 65000	/* one GSO send stays below the 64 KiB IP limit */
#define RTT_SAMPLES_MAX (8u << 20)

static int load_socket(const struct sockaddr *server, socklen_t len)
{
	int fd = socket(server->sa_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int big = 8 << 20, err;

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
	*b = (struct burst){ .size = size, .bufs = calloc(LOAD_BATCH, size) };
	if (!b->bufs)
		return -ENOMEM;
	for (unsigned i = 0; i < LOAD_BATCH; i++) {
		b->iov[i] = (struct iovec){ b->bufs + (size_t)i * size, size };
		b->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &b->iov[i], .msg_iovlen = 1 };
	}
	return 0;
}

/* A request: sockperf header asking for a reply, then when it was due and
 * when it left. */
static void frame(unsigned char *p, unsigned size, uint64_t seq, unsigned long long due,
		  unsigned long long sent)
{
	rp_sp_build(p, &(struct rp_sp_hdr){ .seq = seq, .len = size,
					    .flags = RP_SP_F_CLIENT | RP_SP_F_PONG_REQUEST });
	memcpy(p + TS_OFF, &due, sizeof(due));
	memcpy(p + SENT_OFF, &sent, sizeof(sent));
}

void peers_frame_one(struct peers *ps, unsigned i, unsigned long long due, unsigned long long sent)
{
	frame(ps->tx.iov[i].iov_base, ps->tx.size, ps->seq++, due, sent);
}

void peers_frame(struct peers *ps, unsigned n, unsigned long long ts)
{
	for (unsigned i = 0; i < n; i++)
		peers_frame_one(ps, i, ts, ts);
}

void peers_close(struct peers *ps)
{
	for (unsigned i = 0; ps->p && i < ps->n; i++)
		if (ps->p[i].fd >= 0)
			close(ps->p[i].fd);
	if (ps->ep >= 0)
		close(ps->ep);
	free(ps->p);
	free(ps->tx.bufs);
	free(ps->rx.bufs);
	memset(ps, 0, sizeof(*ps));
	ps->ep = -1;
}

static int peer_open(struct peers *ps, unsigned i, const struct echo_load_cfg *cfg)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
	int seg = (int)cfg->size, fd = load_socket(cfg->server, cfg->server_len);

	ps->p[i].fd = fd;
	if (fd < 0)
		return fd;
	if (ps->gso_per_send && setsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg)))
		ps->gso_per_send = 0;	/* refused: sendmmsg instead, for every peer */
	return epoll_ctl(ps->ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int peers_open(struct peers *ps, const struct echo_load_cfg *cfg, unsigned n, bool gso)
{
	int err = 0;

	*ps = (struct peers){ .n = n, .ep = epoll_create1(EPOLL_CLOEXEC),
			      .p = calloc(n, sizeof(*ps->p)) };
	if (gso && cfg->size <= GSO_MAX_BYTES)
		ps->gso_per_send = GSO_MAX_BYTES / cfg->size < LOAD_BATCH ? GSO_MAX_BYTES / cfg->size
									  : LOAD_BATCH;
	if (!ps->p || ps->ep < 0)
		err = ps->p ? -errno : -ENOMEM;
	for (unsigned i = 0; ps->p && i < n; i++)
		ps->p[i].fd = -1;
	for (unsigned i = 0; !err && i < n; i++)
		err = peer_open(ps, i, cfg);
	if (!err)
		err = burst_init(&ps->tx, cfg->size);
	if (!err)
		err = burst_init(&ps->rx, cfg->size);
	if (err)
		peers_close(ps);
	return err;
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

int load_lat_push(struct echo_latency *lat, size_t *cap, double v)
{
	int err = grow(lat, cap);

	if (!err && lat->n < RTT_SAMPLES_MAX)
		lat->rtt_ns[lat->n++] = v;
	return err;
}

/* The round trip from the stamp at `off` of a reply, into lat. */
static int record(struct peers *ps, size_t *cap, struct echo_latency *lat, unsigned i, size_t off,
		  unsigned long long now)
{
	unsigned long long t;
	int err = grow(lat, cap);

	if (err || lat->n >= RTT_SAMPLES_MAX || ps->rx.msgs[i].msg_len < SENT_OFF + sizeof(t))
		return err;
	memcpy(&t, (unsigned char *)ps->rx.iov[i].iov_base + off, sizeof(t));
	if (t <= now)
		lat->rtt_ns[lat->n++] = (double)(now - t);
	return 0;
}

int peers_receive(struct peers *ps, struct peer *p, struct echo_latency *lat,
		  struct echo_latency *sent_lat, unsigned long long now)
{
	int n = recvmmsg(p->fd, ps->rx.msgs, LOAD_BATCH, MSG_DONTWAIT, NULL), err = 0;

	for (int i = 0; i < n && !err; i++) {
		err = record(ps, &ps->rtt_cap, lat, (unsigned)i, TS_OFF, now);
		if (!err && sent_lat)
			err = record(ps, &ps->sent_cap, sent_lat, (unsigned)i, SENT_OFF, now);
	}
	return err ? err : n < 0 ? 0 : n;
}

double load_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- closed loop -------------------------------------------------------- */

/* Send up to n requests on one peer (GSO trains or sendmmsg); how many left. */
static unsigned send_some(struct peers *ps, struct peer *p, unsigned n)
{
	unsigned per = ps->gso_per_send ? ps->gso_per_send : LOAD_BATCH;
	int r;

	n = n < per ? n : per;
	peers_frame(ps, n, rp_bench_now_ns());
	if (ps->gso_per_send) {
		struct msghdr mh = { .msg_iov = ps->tx.iov, .msg_iovlen = n };

		return sendmsg(p->fd, &mh, 0) > 0 ? n : 0;
	}
	r = sendmmsg(p->fd, ps->tx.msgs, n, 0);
	return r > 0 ? (unsigned)r : 0;
}

/* Bring one peer's requests in flight back up to its window. */
static uint64_t refill(struct peers *ps, struct peer *p)
{
	uint64_t sent = 0;

	while (p->outstanding < p->window) {
		unsigned got = send_some(ps, p, p->window - p->outstanding);

		if (!got)
			break;
		p->outstanding += got;
		sent += got;
	}
	return sent;
}

/* Peers silent for the loss timeout lost what they had in flight. */
static void refill_silent(struct peers *ps, struct echo_throughput *out,
			  unsigned long long now, unsigned long long timeout_ns)
{
	for (unsigned i = 0; i < ps->n; i++) {
		struct peer *p = &ps->p[i];

		if (now - p->last_ns < timeout_ns)
			continue;
		p->outstanding = 0;
		p->last_ns = now;
		out->refills++;
		out->sent += refill(ps, p);
	}
}

static int closed_loop(struct peers *ps, const struct echo_load_cfg *cfg,
		       struct echo_throughput *out)
{
	unsigned long long start = rp_bench_now_ns(), end = start + (unsigned long long)(cfg->seconds * 1e9);
	unsigned long long timeout_ns = (unsigned long long)cfg->loss_timeout_ms * 1000000ULL;
	double cpu0 = load_thread_cpu_ns();
	struct epoll_event evs[64];
	int err = 0;

	for (unsigned i = 0; i < ps->n; i++) {
		ps->p[i].last_ns = start;
		out->sent += refill(ps, &ps->p[i]);
	}
	while (!err) {
		unsigned long long now = rp_bench_now_ns();
		int n;

		if (now >= end && (out->replies || now >= end + SILENT_GRACE_NS))
			break;
		n = epoll_wait(ps->ep, evs, 64, cfg->loss_timeout_ms);
		now = rp_bench_now_ns();
		for (int e = 0; e < n && !err; e++) {
			struct peer *p = &ps->p[evs[e].data.u32];
			int got = peers_receive(ps, p, &out->rtt, NULL, now);

			err = got < 0 ? got : 0;
			if (got <= 0)
				continue;
			out->replies += (uint64_t)got;
			p->outstanding = p->outstanding > (unsigned)got ? p->outstanding - (unsigned)got : 0;
			p->last_ns = now;
			out->sent += refill(ps, p);
		}
		refill_silent(ps, out, now, timeout_ns);
	}
	out->seconds = (double)(rp_bench_now_ns() - start) / 1e9;
	out->pps = (double)out->replies / out->seconds;
	out->load_cpu = (load_thread_cpu_ns() - cpu0) / 1e9 / out->seconds;
	return err;
}

int echo_load_throughput(const struct echo_load_cfg *cfg, struct echo_throughput *out)
{
	unsigned peers = cfg->peers ? cfg->peers : 1;
	struct peers ps;
	int err;

	memset(out, 0, sizeof(*out));
	err = peers_open(&ps, cfg, peers, cfg->gso);
	if (err)
		return err;
	/* the window spread over the peers, the first ones taking the rest */
	for (unsigned i = 0; i < peers; i++)
		ps.p[i].window = cfg->window / peers + (i < cfg->window % peers) + (cfg->window < peers);
	out->gso = ps.gso_per_send != 0;
	err = closed_loop(&ps, cfg, out);
	peers_close(&ps);
	return err;
}

/* ---- ping-pong ---------------------------------------------------------- */

/* Wait (up to the loss timeout from t0) for the echo of the request sent
 * at t0, skipping late echoes of earlier ones: reading one stale reply per
 * request would leave every later round trip one behind. 1 or 0 (lost). */
static int await_echo(int fd, unsigned char *rep, const struct echo_load_cfg *cfg,
		      unsigned long long t0)
{
	unsigned long long deadline = t0 + (unsigned long long)cfg->loss_timeout_ms * 1000000ULL;

	for (;;) {
		unsigned long long now = rp_bench_now_ns(), t_rep;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (now >= deadline || poll(&p, 1, (int)((deadline - now) / 1000000ULL) + 1) <= 0)
			return 0;
		if (recv(fd, rep, cfg->size, MSG_DONTWAIT) < (ssize_t)(TS_OFF + sizeof(t_rep)))
			continue;
		memcpy(&t_rep, rep + TS_OFF, sizeof(t_rep));
		if (t_rep == t0)
			return 1;
	}
}

/* One round trip on the socket: 1 done, 0 lost (resend), <0 -errno. */
static int ping(int fd, unsigned char *req, unsigned char *rep, const struct echo_load_cfg *cfg,
		uint64_t seq, struct echo_latency *out, size_t *cap)
{
	unsigned long long t0 = rp_bench_now_ns();
	int err;

	frame(req, cfg->size, seq, t0, t0);
	if (send(fd, req, cfg->size, 0) < 0 || !await_echo(fd, rep, cfg, t0))
		return 0;
	err = grow(out, cap);
	if (err)
		return err;
	out->rtt_ns[out->n++] = (double)(rp_bench_now_ns() - t0);
	return 1;
}

int echo_load_latency(const struct echo_load_cfg *cfg, struct echo_latency *out)
{
	unsigned char *req = calloc(1, cfg->size), *rep = malloc(cfg->size);
	int fd = load_socket(cfg->server, cfg->server_len), err = 0;
	unsigned long long end = rp_bench_now_ns() + (unsigned long long)(cfg->seconds * 1e9);
	size_t cap = 0;
	uint64_t seq = 0;

	memset(out, 0, sizeof(*out));
	if (fd < 0 || !req || !rep)
		err = fd < 0 ? fd : -ENOMEM;
	/* every round trip of a short run may outlast the loss timeout */
	while (!err && (rp_bench_now_ns() < end ||
			(!out->n && rp_bench_now_ns() < end + SILENT_GRACE_NS))) {
		int r = ping(fd, req, rep, cfg, seq++, out, &cap);

		if (r < 0)
			err = r;
		else if (!r)
			out->resent++;
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
	unsigned char buf[32];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (fd < 0)
		return fd;
	frame(buf, sizeof(buf), 0, 0, 0);
	if (send(fd, buf, sizeof(buf), 0) == sizeof(buf) && poll(&p, 1, timeout_ms) > 0 &&
	    recv(fd, buf, sizeof(buf), MSG_DONTWAIT) == sizeof(buf))
		rc = 0;
	close(fd);
	return rc;
}
