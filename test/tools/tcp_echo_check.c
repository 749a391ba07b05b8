/* SPDX-License-Identifier: MIT */
/*
 * tcp_echo_check HOST:PORT [-c CONNS] [-b BYTES] [--max-write N] [--half-close]
 *                [--timeout-s S] [--seed N]
 *
 * Opens CONNS connections at once, sends each its own pseudo-random stream of
 * BYTES bytes in writes of varying size, and checks that every byte comes
 * back in order. With --half-close each connection shuts down its sending
 * side once everything is written and then expects the server to finish the
 * echo and close. Exit 0 when every connection got its stream back exactly,
 * 1 otherwise, 2 on bad usage.
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

#define PROG "tcp_echo_check"

struct opts {
	const char *addr;
	unsigned conns;
	size_t bytes;
	size_t max_write;
	bool half_close;
	unsigned timeout_s;
	uint64_t seed;
};


struct conn {
	unsigned id;
	int fd;
	enum tool_outcome state;
	struct tool_stream tx, rx, sizes;
	size_t sent, recvd;
	unsigned char *pend;		/* generated, not yet accepted by write() */
	size_t pend_off, pend_len;
	bool shut_wr;
};

struct client {
	struct opts o;
	struct conn *c;
	int ep;
	unsigned running;
	uint64_t echoed;		/* bytes checked, all connections: progress */
	unsigned reported;		/* failures described so far */
	unsigned char *rbuf, *want;
};

static void conn_finish(struct client *cl, struct conn *c, enum tool_outcome st, const char *why)
{
	if (c->state != TOOL_RUNNING)
		return;
	c->state = st;
	cl->running--;
	/* Describe the first few failures; the summary counts the rest. */
	if (st != TOOL_OK && cl->reported++ < 10)
		fprintf(stderr, PROG ": connection %u: %s after %zu bytes sent, %zu echoed%s%s\n",
			c->id, tool_outcome_name[st], c->sent, c->recvd, why ? ": " : "", why ? why : "");
	close(c->fd);
	c->fd = -1;
	free(c->pend);
	c->pend = NULL;
}

/*
 * A socket error. A server that closes while our data is still unread in
 * its socket answers with a reset rather than a FIN, so whether its early
 * close shows as EOF or as ECONNRESET/EPIPE depends on timing: both are a
 * stream that ended early, not a different finding.
 */
static void conn_failed(struct client *cl, struct conn *c, int err)
{
	bool reset = err == ECONNRESET || err == EPIPE;

	conn_finish(cl, c, reset && c->recvd < cl->o.bytes ? TOOL_SHORT : TOOL_ERROR, strerror(err));
}

static void conn_want(struct client *cl, struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	epoll_ctl(cl->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Everything written: half-close if asked, and stop waiting for EPOLLOUT. */
static void conn_sent_all(struct client *cl, struct conn *c)
{
	if (cl->o.half_close && !c->shut_wr) {
		shutdown(c->fd, SHUT_WR);
		c->shut_wr = true;
	}
	conn_want(cl, c, EPOLLIN);
}

static void conn_write(struct client *cl, struct conn *c)
{
	while (c->sent < cl->o.bytes) {
		ssize_t n;

		if (c->pend_off == c->pend_len) {
			size_t left = cl->o.bytes - c->sent;
			size_t want = tool_stream_between(&c->sizes, 1, cl->o.max_write);

			c->pend_len = want < left ? want : left;
			c->pend_off = 0;
			tool_stream_fill(&c->tx, c->pend, c->pend_len);
		}
		/* MSG_NOSIGNAL: a server that closes early is a finding, not a SIGPIPE */
		n = send(c->fd, c->pend + c->pend_off, c->pend_len - c->pend_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN)
				conn_failed(cl, c, errno);
			return;
		}
		c->pend_off += (size_t)n;
		c->sent += (size_t)n;
	}
	conn_sent_all(cl, c);
}

/* Compare a received chunk with the stream we sent. */
static void conn_verify(struct client *cl, struct conn *c, size_t n)
{
	char why[96];

	if (c->recvd + n > cl->o.bytes) {
		conn_finish(cl, c, TOOL_EXTRA, NULL);
		return;
	}
	if (tool_stream_check(&c->rx, cl->rbuf, cl->want, n, c->recvd, why, sizeof(why))) {
		conn_finish(cl, c, TOOL_MISMATCH, why);
		return;
	}
	c->recvd += n;
	cl->echoed += n;
	/* Without half-close we are done at the last byte; with it, the
	 * server's close (EOF) ends the connection. */
	if (c->recvd == cl->o.bytes && !cl->o.half_close)
		conn_finish(cl, c, TOOL_OK, NULL);
}

static void conn_read(struct client *cl, struct conn *c)
{
	while (c->state == TOOL_RUNNING) {
		ssize_t n = read(c->fd, cl->rbuf, cl->o.max_write);

		if (n > 0) {
			conn_verify(cl, c, (size_t)n);
		} else if (n == 0) {
			conn_finish(cl, c, c->recvd == cl->o.bytes ? TOOL_OK : TOOL_SHORT, NULL);
		} else {
			if (errno != EAGAIN)
				conn_failed(cl, c, errno);
			return;
		}
	}
}

static int conn_open(struct client *cl, struct conn *c, const struct sockaddr_storage *ss,
		     socklen_t len)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };

	c->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->pend = malloc(cl->o.max_write);
	if (c->fd < 0 || !c->pend) {
		fprintf(stderr, PROG ": connection %u: %s\n", c->id, strerror(errno));
		return -1;
	}
	tool_stream_init(&c->tx, cl->o.seed + c->id);
	tool_stream_init(&c->rx, cl->o.seed + c->id);
	tool_stream_init(&c->sizes, ~(cl->o.seed + c->id));
	if (connect(c->fd, (const struct sockaddr *)ss, len) < 0 && errno != EINPROGRESS) {
		fprintf(stderr, PROG ": connection %u: connect: %s\n", c->id, strerror(errno));
		return -1;
	}
	return epoll_ctl(cl->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void on_event(struct client *cl, struct conn *c, uint32_t events)
{
	if (c->state != TOOL_RUNNING)
		return;
	if (events & EPOLLIN)
		conn_read(cl, c);
	if (c->state == TOOL_RUNNING && (events & EPOLLOUT))
		conn_write(cl, c);
	if (c->state == TOOL_RUNNING && (events & EPOLLERR) && !(events & EPOLLIN)) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		conn_failed(cl, c, err ? err : EIO);
	}
}

/* --timeout-s is a hang guard (tool.h): from the last byte echoed or
 * connection ended, not from the start. */
static void run(struct client *cl)
{
	struct tool_hang_guard guard;
	struct epoll_event evs[256];

	tool_guard_start(&guard, cl->o.timeout_s, tool_now_ms(), cl->echoed, cl->running);
	while (cl->running && tool_guard_ok(&guard, tool_now_ms(), cl->echoed, cl->running)) {
		int n = epoll_wait(cl->ep, evs, 256, 200);

		for (int i = 0; i < n; i++)
			on_event(cl, evs[i].data.ptr, evs[i].events);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " HOST:PORT [-c CONNS] [-b BYTES] [--max-write N] [--half-close]\n"
		   "                      [--timeout-s S] [--seed N]\n"
		   "  defaults: 1000 connections, 65536 bytes each, writes of 1..16384 bytes, 60 s without progress\n"
		   "Exit: 0 every byte echoed in order on every connection, 1 otherwise, 2 usage.\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "conns", required_argument, NULL, 'c' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "max-write", required_argument, NULL, 'w' },
		{ "half-close", no_argument, NULL, 'H' },
		{ "timeout-s", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:b:w:Ht:S:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->conns = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'b': o->bytes = strtoull(optarg, NULL, 0); break;
		case 'w': o->max_write = strtoull(optarg, NULL, 0); break;
		case 'H': o->half_close = true; break;
		case 't': o->timeout_s = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'S': o->seed = strtoull(optarg, NULL, 0); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc - 1 || !o->conns || !o->bytes || !o->max_write || !o->timeout_s) {
		usage(stderr);
		return -1;
	}
	o->addr = argv[optind];
	return 0;
}

int main(int argc, char **argv)
{
	struct client cl = { .o = { .conns = 1000, .bytes = 65536, .max_write = 16384,
				    .timeout_s = 60, .seed = 7 } };
	unsigned count[TOOL__OUTCOMES] = { 0 };
	struct sockaddr_storage ss;
	socklen_t len;

	if (parse_opts(argc, argv, &cl.o) < 0)
		return 2;
	if (tool_parse_addr(PROG, cl.o.addr, &ss, &len) < 0 ||
	    tool_raise_nofile(PROG, cl.o.conns + 64) < 0)
		return 1;
	cl.c = calloc(cl.o.conns, sizeof(*cl.c));
	cl.rbuf = malloc(cl.o.max_write);
	cl.want = malloc(cl.o.max_write);
	cl.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cl.c || !cl.rbuf || !cl.want || cl.ep < 0)
		return 1;
	for (unsigned i = 0; i < cl.o.conns; i++) {
		cl.c[i].id = i;
		cl.running++;
		if (conn_open(&cl, &cl.c[i], &ss, len) < 0)
			conn_finish(&cl, &cl.c[i], TOOL_ERROR, "could not open");
	}
	run(&cl);
	for (unsigned i = 0; i < cl.o.conns; i++) {
		if (cl.c[i].state == TOOL_RUNNING)
			conn_finish(&cl, &cl.c[i], TOOL_RUNNING, "timed out");
		count[cl.c[i].state]++;
	}
	printf(PROG ": %u connections x %zu bytes to %s%s: %u ok", cl.o.conns, cl.o.bytes,
	       cl.o.addr, cl.o.half_close ? " (half-close)" : "", count[TOOL_OK]);
	tool_print_outcomes(count);
	printf("\n");
	close(cl.ep);
	free(cl.c);
	free(cl.rbuf);
	free(cl.want);
	return count[TOOL_OK] == cl.o.conns ? 0 : 1;
}
