/* SPDX-License-Identifier: MIT */
/*
 * proxy_load HOST:PORT [-c CONNS] [--min-bytes N] [--max-bytes N] [--max-write N]
 *            [--pace-ms MS] [--hold] [--duration-s S] [--timeout-s S] [--seed N]
 *
 * Load for an echo behind a proxy, every byte checked. CONNS connections
 * at once; each sends its own pseudo-random stream of a size drawn from
 * [min-bytes, max-bytes], in writes of 1..max-write bytes, and reads the
 * echo back in reads of 1..max-write bytes. With --pace-ms each write and
 * each read is followed by a pause of 0..MS ms (drawn per connection), so
 * the connections write and read at different, changing paces. Once a
 * connection has written everything it half-closes (SHUT_WR) and reads
 * until the server's EOF: it is ok when the echo was exactly what it sent.
 *
 * --hold: no connection half-closes before every connection has its whole
 * echo back (all CONNS are open at once), then all do.
 * --duration-s S: streaming: every connection writes for S seconds (sizes
 * are ignored), then half-closes and reads the rest of its echo.
 * --timeout-s S: give up when for S seconds no byte came back and no
 * connection ended (a hang guard, not a time limit for the run).
 *
 * Prints one line: connections, ok / failed by kind, bytes echoed (checked)
 * and, with --hold, how many were open at once. Exit 0 when every
 * connection is ok, 1 otherwise, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

#define PROG "proxy_load"

struct opts {
	const char *addr;
	unsigned conns;
	size_t min_bytes, max_bytes, max_write;
	unsigned pace_ms, duration_s, timeout_s;
	bool hold;
	uint64_t seed;
};


struct conn {
	unsigned id;
	int fd;
	enum tool_outcome state;
	struct tool_stream tx, rx, rnd;	/* what it sends, what it expects, its choices */
	size_t size, sent, recvd;
	unsigned char *pend;		/* generated, not yet taken by send() */
	size_t pend_off, pend_len;
	uint64_t wr_at, rd_at;		/* paused until */
	uint32_t events;		/* what epoll watches for it now */
	bool shut;
};

struct load {
	struct opts o;
	struct conn *c;
	int ep;
	unsigned running, echoed_all, reported;
	bool release;			/* --hold: everyone has its echo */
	uint64_t stream_end_ms;		/* --duration-s */
	uint64_t bytes;
	unsigned char *rbuf, *want;
};

static void conn_finish(struct load *l, struct conn *c, enum tool_outcome st, const char *why)
{
	if (c->state != TOOL_RUNNING)
		return;
	c->state = st;
	l->running--;
	if (st != TOOL_OK && l->reported++ < 10)
		fprintf(stderr, PROG ": connection %u: %s after %zu of %zu bytes sent, %zu echoed%s%s\n",
			c->id, tool_outcome_name[st], c->sent, c->size, c->recvd, why ? ": " : "",
			why ? why : "");
	close(c->fd);
	c->fd = -1;
	free(c->pend);
	c->pend = NULL;
}

static uint64_t pause_ms(struct load *l, struct conn *c, uint64_t now)
{
	return l->o.pace_ms ? now + tool_stream_between(&c->rnd, 0, l->o.pace_ms) : 0;
}

static bool may_shut(const struct load *l, const struct conn *c)
{
	return c->sent == c->size && (!l->o.hold || l->release);
}

/* What epoll should wait for, given the pauses and what is left to do. */
static void conn_watch(struct load *l, struct conn *c, uint64_t now)
{
	uint32_t ev = 0;
	struct epoll_event e = { .data.ptr = c };

	if (c->state != TOOL_RUNNING)
		return;
	if (c->sent < c->size && now >= c->wr_at)
		ev |= EPOLLOUT;
	if (now >= c->rd_at)
		ev |= EPOLLIN;
	if (ev == c->events)
		return;
	e.events = ev;
	epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &e);
	c->events = ev;
}

static void conn_write(struct load *l, struct conn *c, uint64_t now)
{
	ssize_t n;

	if (c->pend_off == c->pend_len) {
		size_t left = c->size - c->sent;
		size_t want = tool_stream_between(&c->rnd, 1, l->o.max_write);

		c->pend_len = want < left ? want : left;
		c->pend_off = 0;
		tool_stream_fill(&c->tx, c->pend, c->pend_len);
	}
	n = send(c->fd, c->pend + c->pend_off, c->pend_len - c->pend_off, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN)
			conn_finish(l, c, TOOL_ERROR, strerror(errno));
		return;
	}
	c->pend_off += (size_t)n;
	c->sent += (size_t)n;
	c->wr_at = pause_ms(l, c, now);
}

static void conn_verify(struct load *l, struct conn *c, size_t n)
{
	char why[96];

	if (c->recvd + n > c->sent) {
		conn_finish(l, c, TOOL_EXTRA, NULL);
		return;
	}
	if (tool_stream_check(&c->rx, l->rbuf, l->want, n, c->recvd, why, sizeof(why))) {
		conn_finish(l, c, TOOL_MISMATCH, why);
		return;
	}
	c->recvd += n;
	l->bytes += n;
	if (c->recvd == c->size)
		l->echoed_all++;
}

static void conn_read(struct load *l, struct conn *c, uint64_t now)
{
	size_t want = tool_stream_between(&c->rnd, 1, l->o.max_write);
	ssize_t n = read(c->fd, l->rbuf, want);

	if (n > 0) {
		conn_verify(l, c, (size_t)n);
		c->rd_at = pause_ms(l, c, now);
	} else if (n == 0) {
		conn_finish(l, c, c->shut && c->recvd == c->size ? TOOL_OK : TOOL_SHORT, NULL);
	} else if (errno != EAGAIN) {
		conn_finish(l, c, TOOL_ERROR, strerror(errno));
	}
}

static void conn_maybe_shut(struct load *l, struct conn *c)
{
	if (c->state == TOOL_RUNNING && !c->shut && may_shut(l, c)) {
		shutdown(c->fd, SHUT_WR);
		c->shut = true;
	}
}

static int conn_open(struct load *l, struct conn *c, const struct sockaddr_storage *ss,
		     socklen_t len)
{
	struct epoll_event ev = { .events = 0, .data.ptr = c };

	tool_stream_init(&c->tx, l->o.seed + c->id);
	tool_stream_init(&c->rx, l->o.seed + c->id);
	tool_stream_init(&c->rnd, ~(l->o.seed + c->id));
	c->size = l->o.duration_s ? SIZE_MAX :
		  tool_stream_between(&c->rnd, l->o.min_bytes, l->o.max_bytes);
	c->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->pend = malloc(l->o.max_write);
	if (c->fd < 0 || !c->pend)
		return -1;
	if (connect(c->fd, (const struct sockaddr *)ss, len) < 0 && errno != EINPROGRESS)
		return -1;
	return epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void on_event(struct load *l, struct conn *c, uint32_t events, uint64_t now)
{
	if (c->state == TOOL_RUNNING && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		conn_read(l, c, now);
	if (c->state == TOOL_RUNNING && (events & EPOLLOUT) && c->sent < c->size)
		conn_write(l, c, now);
}

/* Streaming ends: every connection has sent all it will. */
static void end_streams(struct load *l)
{
	for (unsigned i = 0; i < l->o.conns; i++) {
		struct conn *c = &l->c[i];

		c->size = c->sent;
		if (c->recvd == c->size)
			l->echoed_all++;
	}
	l->stream_end_ms = 0;
}

/* Pauses that ended, half-closes now due, then what epoll watches. */
static void sweep(struct load *l, uint64_t now)
{
	if (l->stream_end_ms && now >= l->stream_end_ms)
		end_streams(l);
	if (l->o.hold && !l->release && l->echoed_all >= l->running) {
		printf(PROG ": %u connections open at once, every echo back\n", l->running);
		l->release = true;
	}
	for (unsigned i = 0; i < l->o.conns; i++) {
		conn_maybe_shut(l, &l->c[i]);
		conn_watch(l, &l->c[i], now);
	}
}

/* --timeout-s is a hang guard (tool.h): from the last byte echoed or
 * connection ended, not from the start. */
static void run(struct load *l)
{
	uint64_t now = tool_now_ms(), next_sweep = 0;
	struct tool_hang_guard guard;
	struct epoll_event evs[256];

	tool_guard_start(&guard, l->o.timeout_s, now, l->bytes, l->running);
	while (l->running && tool_guard_ok(&guard, now, l->bytes, l->running)) {
		int n = epoll_wait(l->ep, evs, 256, l->o.pace_ms ? 1 : 20);

		now = tool_now_ms();
		for (int i = 0; i < n; i++)
			on_event(l, evs[i].data.ptr, evs[i].events, now);
		if (now >= next_sweep || n <= 0) {
			sweep(l, now);
			next_sweep = now + (l->o.pace_ms ? 1 : 5);
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " HOST:PORT [-c CONNS] [--min-bytes N] [--max-bytes N] "
		   "[--max-write N]\n"
		   "          [--pace-ms MS] [--hold] [--duration-s S] [--timeout-s S] [--seed N]\n"
		   "  defaults: 100 connections of 1..65536 bytes, writes and reads of 1..16384, "
		   "no pauses, 60 s without progress\n"
		   "Exit: 0 every connection got exactly its stream back, 1 otherwise, 2 usage.\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "conns", required_argument, NULL, 'c' },
		{ "min-bytes", required_argument, NULL, 'm' },
		{ "max-bytes", required_argument, NULL, 'M' },
		{ "max-write", required_argument, NULL, 'w' },
		{ "pace-ms", required_argument, NULL, 'p' },
		{ "hold", no_argument, NULL, 'H' },
		{ "duration-s", required_argument, NULL, 'd' },
		{ "timeout-s", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->conns = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'm': o->min_bytes = strtoull(optarg, NULL, 0); break;
		case 'M': o->max_bytes = strtoull(optarg, NULL, 0); break;
		case 'w': o->max_write = strtoull(optarg, NULL, 0); break;
		case 'p': o->pace_ms = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'H': o->hold = true; break;
		case 'd': o->duration_s = (unsigned)strtoul(optarg, NULL, 0); break;
		case 't': o->timeout_s = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'S': o->seed = strtoull(optarg, NULL, 0); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc - 1 || !o->conns || !o->max_write || !o->timeout_s ||
	    o->min_bytes > o->max_bytes || (o->hold && o->duration_s)) {
		usage(stderr);
		return -1;
	}
	o->addr = argv[optind];
	return 0;
}

static void report(struct load *l)
{
	unsigned count[TOOL__OUTCOMES] = { 0 };

	for (unsigned i = 0; i < l->o.conns; i++) {
		if (l->c[i].state == TOOL_RUNNING)
			conn_finish(l, &l->c[i], TOOL_RUNNING, "timed out");
		count[l->c[i].state]++;
	}
	printf(PROG ": %u connections to %s: %u ok", l->o.conns, l->o.addr, count[TOOL_OK]);
	tool_print_outcomes(count);
	printf("; bytes echoed %llu\n", (unsigned long long)l->bytes);
	l->running = count[TOOL_OK] == l->o.conns ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct load l = { .o = { .conns = 100, .min_bytes = 1, .max_bytes = 65536,
				 .max_write = 16384, .timeout_s = 60, .seed = 11 } };
	struct sockaddr_storage ss;
	socklen_t len;

	if (parse_opts(argc, argv, &l.o) < 0)
		return 2;
	if (tool_parse_addr(PROG, l.o.addr, &ss, &len) < 0 ||
	    tool_raise_nofile(PROG, l.o.conns + 64) < 0)
		return 1;
	l.c = calloc(l.o.conns, sizeof(*l.c));
	l.rbuf = malloc(l.o.max_write);
	l.want = malloc(l.o.max_write);
	l.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!l.c || !l.rbuf || !l.want || l.ep < 0)
		return 1;
	for (unsigned i = 0; i < l.o.conns; i++) {
		l.c[i].id = i;
		l.running++;
		if (conn_open(&l, &l.c[i], &ss, len) < 0)
			conn_finish(&l, &l.c[i], TOOL_ERROR, strerror(errno));
	}
	if (l.o.duration_s)
		l.stream_end_ms = tool_now_ms() + (uint64_t)l.o.duration_s * 1000;
	run(&l);
	report(&l);
	close(l.ep);
	free(l.c);
	free(l.rbuf);
	free(l.want);
	return l.running ? 1 : 0;
}
