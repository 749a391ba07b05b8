/* SPDX-License-Identifier: MIT */
/*
 * misbehave MODE HOST:PORT [-n COUNT] [--size BYTES] [--hold-s SECONDS]
 *
 * A peer that does what a well-behaved client never does, so a test can
 * check that the server survives it and counts it. One row per mode in the
 * table below. Exit 0 when the misbehaviour was carried out (the server's
 * reaction is the test's to judge), 1 when it could not be (e.g. no
 * connection), 2 on bad usage.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define PROG "misbehave"

/* sockperf's message header, big endian (see shared field notes). */
#define SP_HDR      14
#define SP_F_CLIENT 0x1
#define SP_F_PONG   0x2

struct target {
	struct sockaddr_storage ss;
	socklen_t len;
	size_t size;
	unsigned seq;
	unsigned hold_s;	/* hog: how long the connections are held */
};

struct mode {
	const char *name;
	int socktype;
	int (*fn)(int fd, struct target *t);
	const char *help;
};

static void sp_header(unsigned char *h, uint64_t seq, uint16_t flags, uint32_t len)
{
	seq = htobe64(seq);
	flags = htons(flags);
	len = htonl(len);
	memcpy(h, &seq, 8);
	memcpy(h + 8, &flags, 2);
	memcpy(h + 10, &len, 4);
}

static int send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, PROG ": send: %s\n", strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_random(int fd, struct target *t, size_t n)
{
	struct tool_stream st;
	unsigned char *buf = malloc(n);
	int rc;

	if (!buf)
		return -1;
	tool_stream_init(&st, 0xbad0 + t->seq);
	tool_stream_fill(&st, buf, n);
	rc = send_all(fd, buf, n);
	free(buf);
	return rc;
}

/* Read whatever comes back for a moment; the connection is closed anyway. */
static void drain_briefly(int fd, int ms)
{
	char buf[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, ms) > 0 && read(fd, buf, sizeof(buf)) > 0)
		;
}

/* connect, send a little, then abort: SO_LINGER 0 makes close() send RST. */
static int do_rst(int fd, struct target *t)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (send_random(fd, t, t->size) < 0)
		return -1;
	return setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* send, shut the write side, read the echo until the server closes. */
static int do_half_close(int fd, struct target *t)
{
	if (send_random(fd, t, t->size) < 0 || shutdown(fd, SHUT_WR) < 0)
		return -1;
	drain_briefly(fd, 2000);
	return 0;
}

/* send a lot without ever reading, then disappear: the unread echo makes
 * the kernel answer the server with RST, mid-stream. Sends never block: a
 * correct server stops reading when we stop reading its echo (backpressure),
 * so a blocking send would wait forever. */
static int do_vanish(int fd, struct target *t)
{
	int small = 4096;
	size_t left = t->size * 64;
	char chunk[4096];

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	memset(chunk, 0x5a, sizeof(chunk));
	while (left) {
		ssize_t n = send(fd, chunk, left < sizeof(chunk) ? left : sizeof(chunk),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == ECONNRESET ? 0 : -1;
		left -= (size_t)n;
	}
	return 0;
}

/* a sockperf frame whose length is shorter than its own header. */
static int do_sp_bad_len(int fd, struct target *t)
{
	unsigned char h[SP_HDR];

	sp_header(h, t->seq, SP_F_CLIENT | SP_F_PONG, 3);
	if (send_all(fd, h, sizeof(h)) < 0)
		return -1;
	drain_briefly(fd, 300);
	return 0;
}

/* a sockperf frame that announces 4 GiB. */
static int do_sp_oversize(int fd, struct target *t)
{
	unsigned char h[SP_HDR];

	sp_header(h, t->seq, SP_F_CLIENT | SP_F_PONG, 0xffffffffu);
	if (send_all(fd, h, sizeof(h)) < 0 || send_random(fd, t, t->size) < 0)
		return -1;
	drain_briefly(fd, 300);
	return 0;
}

/* bytes that are no sockperf framing at all. */
static int do_garbage(int fd, struct target *t)
{
	if (send_random(fd, t, t->size) < 0)
		return -1;
	drain_briefly(fd, 300);
	return 0;
}

/* UDP: a sockperf datagram whose header lies about its length. */
static int do_udp_sp_bad(int fd, struct target *t)
{
	unsigned char d[64] = { 0 };

	sp_header(d, t->seq, SP_F_CLIENT | SP_F_PONG, 60000);
	return send(fd, d, sizeof(d), 0) < 0 ? -1 : 0;
}

/* UDP: one datagram of --size bytes (make it larger than the server's
 * buffers). */
static int do_udp_big(int fd, struct target *t)
{
	return send_random(fd, t, t->size);
}

/* hog: COUNT connections at once, each sending as fast as the server takes
 * it and never reading, for --hold-s seconds; then all close. What one
 * such peer may hold of a server is the server's to bound. SIGTERM or
 * SIGINT end the hold early. Prints the bytes the server took and how many
 * connections it closed or reset. */
static volatile sig_atomic_t hog_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	hog_stop = 1;
}

static int hog_connect(struct target *t)
{
	int fd = socket(t->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int small = 4096;

	if (fd < 0 || connect(fd, (struct sockaddr *)&t->ss, t->len) < 0) {
		fprintf(stderr, PROG ": hog: connect: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* a small receive window: the echo backs up in the server at once */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	return fd;
}

static int do_hog_all(struct target *t, unsigned count)
{
	struct pollfd *p = calloc(count, sizeof(*p));
	unsigned long long taken = 0;
	unsigned ended = 0, i;
	uint64_t start = tool_now_ms(), until;
	char chunk[16384];

	if (!p)
		return -1;
	memset(chunk, 0x68, sizeof(chunk));
	signal(SIGTERM, on_stop_signal);
	signal(SIGINT, on_stop_signal);
	for (i = 0; i < count; i++) {
		p[i] = (struct pollfd){ .fd = hog_connect(t), .events = POLLOUT };
		if (p[i].fd < 0)
			break;
	}
	until = start + (uint64_t)t->hold_s * 1000;
	while (i == count && !hog_stop && tool_now_ms() < until && ended < count) {
		poll(p, count, 100);
		for (unsigned k = 0; k < count; k++) {
			ssize_t n;

			if (p[k].fd < 0 || !(p[k].revents & (POLLOUT | POLLERR | POLLHUP)))
				continue;
			n = send(p[k].fd, chunk, sizeof(chunk), MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0) {
				taken += (unsigned long long)n;
			} else if (n < 0 && errno != EAGAIN) {
				close(p[k].fd);	/* the server reset or closed it */
				p[k].fd = -1;
				ended++;
			}
		}
	}
	printf(PROG ": hog: %u connections held %.1f s: server took %llu bytes, ended %u of them\n",
	       i, (double)(tool_now_ms() - start) / 1000, taken, ended);
	for (unsigned k = 0; k < count; k++)
		if (p[k].fd >= 0)
			close(p[k].fd);
	free(p);
	return i == count ? 0 : -1;
}

static const struct mode modes[] = {
	{ "rst",          SOCK_STREAM, do_rst,         "connect, send, close with RST (SO_LINGER 0)" },
	{ "half-close",   SOCK_STREAM, do_half_close,  "send, shutdown(SHUT_WR), read until closed" },
	{ "vanish",       SOCK_STREAM, do_vanish,      "send 64x --size without reading, then go away" },
	{ "sp-bad-len",   SOCK_STREAM, do_sp_bad_len,  "sockperf frame with length < header" },
	{ "sp-oversize",  SOCK_STREAM, do_sp_oversize, "sockperf frame announcing 4 GiB" },
	{ "garbage",      SOCK_STREAM, do_garbage,     "random bytes (no valid sockperf framing)" },
	{ "udp-sp-bad",   SOCK_DGRAM,  do_udp_sp_bad,  "UDP sockperf datagram with a lying length" },
	{ "udp-big",      SOCK_DGRAM,  do_udp_big,     "UDP datagram of --size bytes" },
	{ "hog",          SOCK_STREAM, NULL,           "COUNT connections at once sending without reading for --hold-s" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " MODE HOST:PORT [-n COUNT] [--size BYTES] [--hold-s SECONDS]\nmodes:\n");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		fprintf(f, "  %-12s %s\n", modes[i].name, modes[i].help);
	fprintf(f, "Exit: 0 done, 1 could not do it, 2 usage.\n");
}

static const struct mode *find_mode(const char *name)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	return NULL;
}

static int once(const struct mode *m, struct target *t)
{
	int fd = socket(t->ss.ss_family, m->socktype | SOCK_CLOEXEC, 0), rc;

	if (fd < 0 || connect(fd, (struct sockaddr *)&t->ss, t->len) < 0) {
		fprintf(stderr, PROG ": %s: connect: %s\n", m->name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rc = m->fn(fd, t);
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "hold-s", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct target t = { .size = 1000, .hold_s = 5 };
	const struct mode *m;
	unsigned count = 1, failed = 0;
	int c;

	while ((c = getopt_long(argc, argv, "n:s:hH:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': count = (unsigned)strtoul(optarg, NULL, 0); break;
		case 's': t.size = strtoull(optarg, NULL, 0); break;
		case 'H': t.hold_s = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 2 || !(m = find_mode(argv[optind])) || !t.size) {
		usage(stderr);
		return 2;
	}
	if (tool_parse_addr(PROG, argv[optind + 1], &t.ss, &t.len) < 0)
		return 1;
	if (!m->fn) {
		tool_raise_nofile(PROG, count + 16);
		return do_hog_all(&t, count) ? 1 : 0;
	}
	for (t.seq = 0; t.seq < count; t.seq++)
		failed += once(m, &t) < 0;
	printf(PROG ": %s x%u to %s: %u done, %u failed\n", m->name, count, argv[optind + 1],
	       count - failed, failed);
	return failed ? 1 : 0;
}
