/* SPDX-License-Identifier: MIT */
/*
 * The soak's load side: each second a burst of UDP datagrams (three sizes,
 * plus oversized ones the appliance must count and drop), TCP round trips to
 * tcp-echo and through tcp-proxy (checked byte for byte), and the clients an
 * appliance meets in the wild: ones that send and vanish with a reset, ones
 * that send until the window closes and never read (the appliance's
 * write-stall timeout must reset them), ones that connect and say nothing
 * (its idle timeout must close them). The held ones are closed by the load
 * side after HOLD_S seconds if the appliance has not done it first.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/soak.h"

#define UDP_BURST	64		/* datagrams per second */
#define UDP_OVERSIZE	4		/* of them larger than a buffer */
#define OVERSIZE_LEN	8192		/* > buffers.size in soak.c */
#define ROUND_TRIPS	2		/* per second, to echo and to the proxy each */
#define RT_LEN		16384
#define HELD_MAX	8		/* stuck or idle clients open at once, each */
#define HOLD_S		10
#define IO_TIMEOUT_MS	1000

struct held {
	int fd;
	unsigned since;			/* second it was opened */
};

struct soak_load {
	struct soak_targets t;
	struct soak_counts c;
	int udp;
	struct held stuck[HELD_MAX], idle[HELD_MAX];
	unsigned char out[RT_LEN], in[RT_LEN];
	unsigned char big[OVERSIZE_LEN];
};

/* ---- sockets ------------------------------------------------------------- */

static int tcp_connect(const struct sockaddr_in *a)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_MS / 1000 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Close with a reset instead of a FIN: SO_LINGER with a zero timeout. */
static void close_reset(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static bool send_full(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool recv_full(int fd, unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* ---- good clients ---------------------------------------------------------- */

/* Connect, send RT_LEN bytes, read them back, compare, close. */
static bool round_trip(struct soak_load *l, const struct sockaddr_in *a, unsigned salt)
{
	int fd = tcp_connect(a);
	bool ok;

	if (fd < 0)
		return false;
	for (size_t i = 0; i < RT_LEN; i++)
		l->out[i] = (unsigned char)(i * 31 + salt);
	ok = send_full(fd, l->out, RT_LEN) && recv_full(fd, l->in, RT_LEN) &&
	     !memcmp(l->out, l->in, RT_LEN);
	close(fd);
	return ok;
}

static void udp_burst(struct soak_load *l)
{
	static const size_t sizes[] = { 64, 512, 1400 };
	struct pollfd p = { .fd = l->udp, .events = POLLIN };

	for (unsigned i = 0; i < UDP_BURST; i++) {
		bool over = i < UDP_OVERSIZE;
		size_t len = over ? OVERSIZE_LEN : sizes[i % 3];

		if (send(l->udp, l->big, len, 0) == (ssize_t)len) {
			l->c.udp_sent += !over;
			l->c.udp_oversize += over;
		}
	}
	/* Replies: until the socket stays quiet for 50 ms. */
	while (poll(&p, 1, 50) > 0)
		while (recv(l->udp, l->in, sizeof(l->in), MSG_DONTWAIT) > 0)
			l->c.udp_replies++;
}

/* ---- misbehaving clients --------------------------------------------------- */

static void vanish(struct soak_load *l, const struct sockaddr_in *a)
{
	int fd = tcp_connect(a);

	if (fd < 0)
		return;
	send(fd, l->big, 4096, MSG_NOSIGNAL | MSG_DONTWAIT);
	close_reset(fd);
	l->c.vanished++;
}

/* Send until the socket buffer and the window are full; never read. */
static int stuck_open(struct soak_load *l, const struct sockaddr_in *a)
{
	int fd = tcp_connect(a);

	if (fd < 0)
		return -1;
	for (int i = 0; i < 4096; i++)
		if (send(fd, l->big, sizeof(l->big), MSG_NOSIGNAL | MSG_DONTWAIT) <= 0)
			break;
	return fd;
}

/* Close held clients older than HOLD_S (all with `all`). */
static void held_expire(struct held *h, unsigned now, bool all)
{
	for (unsigned i = 0; i < HELD_MAX; i++)
		if (h[i].fd >= 0 && (all || now - h[i].since >= HOLD_S)) {
			close(h[i].fd);
			h[i].fd = -1;
		}
}

static void held_add(struct held *h, int fd, unsigned now, double *count)
{
	if (fd < 0)
		return;
	for (unsigned i = 0; i < HELD_MAX; i++)
		if (h[i].fd < 0) {
			h[i] = (struct held){ .fd = fd, .since = now };
			(*count)++;
			return;
		}
	close(fd);
}

/* ---- the tick ------------------------------------------------------------- */

void soak_load_tick(struct soak_load *l, unsigned second)
{
	const struct sockaddr_in *tcp = second % 2 ? &l->t.proxy : &l->t.echo;

	udp_burst(l);
	for (unsigned i = 0; i < ROUND_TRIPS; i++) {
		bool e = round_trip(l, &l->t.echo, second + i);
		bool p = round_trip(l, &l->t.proxy, second + i + 7);

		l->c.echo_ok += e;
		l->c.echo_bad += !e;
		l->c.proxy_ok += p;
		l->c.proxy_bad += !p;
	}
	vanish(l, tcp);
	held_expire(l->stuck, second, false);
	held_expire(l->idle, second, false);
	if (second % 3 == 0)
		held_add(l->stuck, stuck_open(l, tcp), second, &l->c.stuck);
	if (second % 3 == 1)
		held_add(l->idle, tcp_connect(tcp), second, &l->c.idle);
}

struct soak_load *soak_load_new(const struct soak_targets *t)
{
	struct soak_load *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->t = *t;
	for (unsigned i = 0; i < HELD_MAX; i++)
		l->stuck[i].fd = l->idle[i].fd = -1;
	memset(l->big, 'x', sizeof(l->big));
	l->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (l->udp < 0 || connect(l->udp, (const struct sockaddr *)&t->udp, sizeof(t->udp))) {
		soak_load_free(l);
		return NULL;
	}
	return l;
}

void soak_load_close_all(struct soak_load *l)
{
	held_expire(l->stuck, 0, true);
	held_expire(l->idle, 0, true);
}

const struct soak_counts *soak_load_counts(const struct soak_load *l)
{
	return &l->c;
}

void soak_load_free(struct soak_load *l)
{
	if (!l)
		return;
	soak_load_close_all(l);
	if (l->udp >= 0)
		close(l->udp);
	free(l);
}
