/* SPDX-License-Identifier: MIT */
/*
 * udp_echo_check HOST:PORT [--sizes SPEC] [--retries N] [--timeout-ms MS]
 *                [--burst N [--mix R] [--gso]] [--bind HOST:PORT]
 *
 * Sends one datagram of every size in SPEC to an echo server and checks that
 * each comes back byte for byte. A datagram that gets no answer is resent
 * (UDP may lose it); one that comes back different is a mismatch. Exit 0
 * when every size was echoed exactly, 1 otherwise, 2 on bad usage.
 *
 * --burst N sends N different datagrams of each size back to back in one
 * sendmmsg, so that the server sees them in one batch (and may answer them
 * with one UDP GSO send), then checks that every answer is one of them, byte
 * for byte, in the order they were sent. Datagrams without an answer are
 * then checked one at a time as above.
 *
 * --mix R (with --burst N) sends R bursts of N datagrams whose sizes cycle
 * through SPEC (datagram i has the (i mod |SPEC|)-th size), e.g. --sizes
 * 100,2000 alternates small and large: the answers must still come in the
 * order sent, whatever size each has.
 *
 * --gso (with --burst N) sends each run of equal-size datagrams of a burst
 * (up to 64, 65000 bytes) in ONE sendmsg cut by UDP_SEGMENT: the network
 * carries it as one packet, and a server asking for UDP GRO receives the
 * run coalesced in one buffer; the answers must still be separate
 * datagrams, in order, byte for byte.
 *
 * --bind sends from the given address (e.g. a second address of the host,
 * to be a second peer of the server).
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define PROG     "udp_echo_check"
#define UDP_MAX  65507
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103	/* linux/udp.h */
#endif
#define GSO_SEGS 64
#define GSO_BYTES 65000

struct sizes {
	unsigned *v;
	size_t n, cap;
};

struct opts {
	const char *addr;
	const char *spec;
	const char *bind_to;	/* --bind HOST:PORT: the source address */
	unsigned retries;
	int timeout_ms;
	uint64_t seed;
	unsigned burst;
	unsigned mix;		/* --mix R: R bursts, each cycling through every size */
	bool gso;		/* --gso: runs of equal sizes in UDP_SEGMENT sends */
	bool verbose;
};

enum outcome { ECHO_OK, ECHO_MISMATCH, ECHO_LOST };

struct tally {
	unsigned n[3];
	unsigned resent;
};

static int sizes_add(struct sizes *s, unsigned v)
{
	if (s->n == s->cap) {
		unsigned *nv = realloc(s->v, (s->cap = s->cap ? 2 * s->cap : 256) * sizeof(*nv));

		if (!nv)
			return -1;
		s->v = nv;
	}
	s->v[s->n++] = v;
	return 0;
}

/* SPEC: comma-separated N, A-B or A-B/STEP, each within 1..65507. */
static int parse_sizes(const char *spec, struct sizes *out)
{
	char *copy = strdup(spec), *save = NULL, *item;
	int rc = 0;

	for (item = strtok_r(copy, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save)) {
		unsigned a, b, step = 1;
		int n = sscanf(item, "%u-%u/%u", &a, &b, &step);

		if (n == 1)
			b = a;
		if (n < 1 || !a || b < a || b > UDP_MAX || !step) {
			fprintf(stderr, PROG ": bad size item '%s' (want N, A-B or A-B/STEP in 1..%d)\n",
				item, UDP_MAX);
			rc = -1;
			break;
		}
		for (unsigned v = a; v <= b && !rc; v += step)
			rc = sizes_add(out, v);
		if (!rc && (b - a) % step)
			rc = sizes_add(out, b);	/* always include the end */
	}
	free(copy);
	return rc;
}

/* Datagram idx of a size (idx 0: the one check_size sends). */
static void payload(const struct opts *o, unsigned size, unsigned idx, unsigned char *buf)
{
	struct tool_stream st;

	tool_stream_init(&st, o->seed ^ ((uint64_t)size << 32) ^ ((uint64_t)idx << 8));
	tool_stream_fill(&st, buf, size);
}

/* Wait up to the timeout for the echo of buf; stale echoes of other sizes
 * (answers to earlier resends) are skipped. */
static enum outcome await_echo(int fd, const struct opts *o, const unsigned char *want,
			       unsigned size, unsigned char *got, size_t *bad_at)
{
	uint64_t deadline = tool_now_ms() + (uint64_t)o->timeout_ms;
	bool corrupt = false;

	for (;;) {
		uint64_t now = tool_now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0)
			return corrupt ? ECHO_MISMATCH : ECHO_LOST;
		n = recv(fd, got, UDP_MAX + 1, MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0)
			continue;	/* ICMP errors of earlier sends surface here */
		if ((size_t)n != size)
			continue;
		if (!memcmp(got, want, size))
			return ECHO_OK;
		for (*bad_at = 0; got[*bad_at] == want[*bad_at]; (*bad_at)++)
			;
		corrupt = true;
	}
}

static enum outcome check_size(int fd, const struct opts *o, unsigned size,
			       unsigned char *want, unsigned char *got, struct tally *t)
{
	enum outcome r = ECHO_LOST;
	size_t bad_at = 0;

	for (unsigned attempt = 0; attempt <= o->retries && r != ECHO_OK; attempt++) {
		if (attempt)
			t->resent++;
		if (send(fd, want, size, 0) < 0 && errno != ECONNREFUSED) {
			fprintf(stderr, PROG ": send %u bytes: %s\n", size, strerror(errno));
			continue;
		}
		r = await_echo(fd, o, want, size, got, &bad_at);
		if (r == ECHO_MISMATCH)
			break;		/* wrong bytes: resending would hide it */
	}
	if (r == ECHO_MISMATCH)
		fprintf(stderr, PROG ": size %u: echo differs at byte %zu (sent 0x%02x, got 0x%02x)\n",
			size, bad_at, want[bad_at], got[bad_at]);
	else if (r == ECHO_LOST)
		fprintf(stderr, PROG ": size %u: no echo after %u tries\n", size, o->retries + 1);
	else if (o->verbose)
		printf("size %u ok\n", size);
	return r;
}

/* ---- --burst ------------------------------------------------------------- */

/* One burst: n datagrams, datagram i of size[i], sent back to back. */
struct burst {
	unsigned n;
	unsigned *size;		/* per datagram */
	size_t *at;		/* offset of datagram i in data */
	const unsigned *sizes_sent;	/* the sizes sent so far (a late echo of one is no error) */
	size_t n_sizes_sent;
	unsigned seq;		/* payload index of datagram 0 (distinct per burst) */
	unsigned char *data;	/* what was sent */
	bool *answered;
	unsigned next;		/* answers must come in send order: first index allowed */
	bool bad;
};

static unsigned char *burst_dgram(struct burst *b, unsigned i)
{
	return b->data + b->at[i];
}

/* Sizes (one per datagram, cycling through pick[0..n_pick)), offsets and
 * payloads; -1 when out of memory. */
static int burst_fill(const struct opts *o, struct burst *b, const unsigned *pick, size_t n_pick)
{
	size_t total = 0;

	b->size = malloc(b->n * sizeof(*b->size));
	b->at = malloc(b->n * sizeof(*b->at));
	b->answered = calloc(b->n, sizeof(*b->answered));
	if (!b->size || !b->at || !b->answered)
		return -1;
	for (unsigned i = 0; i < b->n; i++) {
		b->size[i] = pick[i % n_pick];
		b->at[i] = total;
		total += b->size[i];
	}
	b->data = malloc(total);
	if (!b->data)
		return -1;
	for (unsigned i = 0; i < b->n; i++)
		payload(o, b->size[i], b->seq + i + 1, burst_dgram(b, i));
	return 0;
}

static void burst_free(struct burst *b)
{
	free(b->size);
	free(b->at);
	free(b->answered);
	free(b->data);
}

static int burst_send_each(int fd, struct burst *b)
{
	struct mmsghdr m[b->n];
	struct iovec iov[b->n];
	unsigned sent = 0;

	for (unsigned i = 0; i < b->n; i++) {
		iov[i] = (struct iovec){ burst_dgram(b, i), b->size[i] };
		m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	while (sent < b->n) {
		int r = sendmmsg(fd, m + sent, b->n - sent, 0);

		if (r <= 0) {
			fprintf(stderr, PROG ": sendmmsg %u datagrams (first %u bytes): %s\n", b->n,
				b->size[0], strerror(errno));
			return -1;
		}
		sent += (unsigned)r;
	}
	return 0;
}

/* How many datagrams from i on leave in one UDP_SEGMENT send. */
static unsigned gso_run(const struct burst *b, unsigned i)
{
	unsigned n = 1, bytes = b->size[i];

	while (i + n < b->n && n < GSO_SEGS && b->size[i + n] == b->size[i] &&
	       bytes + b->size[i] <= GSO_BYTES)
		bytes += b->size[i + n++];
	return n;
}

/* --gso: every run of equal sizes in one sendmsg (the datagrams are back
 * to back in b->data), cut by UDP_SEGMENT. */
static int burst_send_gso(int fd, struct burst *b)
{
	for (unsigned i = 0, n; i < b->n; i += n) {
		union { char buf[CMSG_SPACE(sizeof(uint16_t))]; struct cmsghdr align; } cm;
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct cmsghdr *c;
		uint16_t seg = (uint16_t)b->size[i];

		n = gso_run(b, i);
		iov = (struct iovec){ burst_dgram(b, i), (size_t)n * b->size[i] };
		if (n > 1) {
			mh.msg_control = cm.buf;
			mh.msg_controllen = sizeof(cm.buf);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		}
		if (sendmsg(fd, &mh, 0) < 0) {
			fprintf(stderr, PROG ": sendmsg %u datagrams of %u bytes (UDP_SEGMENT): %s\n",
				n, b->size[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int burst_send(int fd, const struct opts *o, struct burst *b)
{
	return o->gso ? burst_send_gso(fd, b) : burst_send_each(fd, b);
}

static bool burst_size_sent(const struct burst *b, size_t len)
{
	for (size_t i = 0; i < b->n_sizes_sent; i++)
		if (b->sizes_sent[i] == len)
			return true;
	return false;
}

static bool burst_has_size(const struct burst *b, size_t len)
{
	for (unsigned i = 0; i < b->n; i++)
		if (b->size[i] == len)
			return true;
	return false;
}

/* Is got the payload of a datagram of an earlier burst of this run? Those
 * are regenerated rather than kept: this runs only for stray answers. */
static bool late_echo(const struct opts *o, const struct burst *b, const unsigned char *got,
		      size_t len)
{
	unsigned char *earlier = malloc(len);
	bool found = false;

	for (unsigned idx = 1; earlier && idx <= b->seq && !found; idx++) {
		payload(o, (unsigned)len, idx, earlier);
		found = !memcmp(earlier, got, len);
	}
	free(earlier);
	return found;
}

/* Which sent datagram an answer is: the first unanswered one from b->next
 * on with these bytes. An earlier one would mean reordering. An answer
 * whose length is no size sent so far is corrupt (e.g. cut wrongly), and
 * so is one that matches no datagram of this burst, unless it is a late
 * echo of an earlier burst's (an answer to a resend). */
static void burst_match(const struct opts *o, struct burst *b, const unsigned char *got,
			size_t len)
{
	if (!burst_size_sent(b, len)) {
		fprintf(stderr, PROG ": burst %u: an answer of %zu bytes, a size never sent\n",
			b->seq, len);
		b->bad = true;
		return;
	}
	if (!burst_has_size(b, len))
		return;		/* a late echo of an earlier burst's size */
	for (unsigned i = 0; i < b->n; i++) {
		if (b->answered[i] || b->size[i] != len || memcmp(got, burst_dgram(b, i), len))
			continue;
		if (i < b->next) {
			fprintf(stderr, PROG ": burst %u: answer to datagram %u (%u B) came after "
				"datagram %u's (%u B)\n", b->seq, i, b->size[i], b->next - 1,
				b->size[b->next - 1]);
			b->bad = true;
		}
		b->answered[i] = true;
		b->next = i + 1 > b->next ? i + 1 : b->next;
		return;
	}
	if (!late_echo(o, b, got, len)) {
		fprintf(stderr, PROG ": burst %u: an answer of %zu bytes matches none of the %u "
			"datagrams sent\n", b->seq, len, b->n);
		b->bad = true;
	}
}

static unsigned burst_collect(int fd, const struct opts *o, struct burst *b, unsigned char *got)
{
	uint64_t deadline = tool_now_ms() + (uint64_t)o->timeout_ms;
	unsigned answered = 0;

	while (answered < b->n) {
		uint64_t now = tool_now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0)
			break;
		n = recv(fd, got, UDP_MAX + 1, MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0)
			continue;
		burst_match(o, b, got, (size_t)n);
		answered = 0;
		for (unsigned i = 0; i < b->n; i++)
			answered += b->answered[i];
	}
	return answered;
}

/* Send burst b (filled), check the order of its answers, then resend the
 * unanswered ones one at a time. */
static enum outcome run_burst(int fd, const struct opts *o, struct burst *b,
			      unsigned char *want, unsigned char *got, struct tally *t)
{
	enum outcome r;

	if (burst_send(fd, o, b))
		return ECHO_MISMATCH;
	burst_collect(fd, o, b, got);
	r = b->bad ? ECHO_MISMATCH : ECHO_OK;
	for (unsigned i = 0; i < b->n && r == ECHO_OK; i++) {
		if (b->answered[i])
			continue;
		memcpy(want, burst_dgram(b, i), b->size[i]);
		r = check_size(fd, o, b->size[i], want, got, t);
	}
	if (r == ECHO_OK && o->verbose)
		printf("burst %u of %u datagrams ok\n", b->seq, b->n);
	return r;
}

/* One burst of sizes->v[idx] only. */
static enum outcome check_burst(int fd, const struct opts *o, const struct sizes *sizes,
				size_t idx, unsigned char *want, unsigned char *got, struct tally *t)
{
	struct burst b = { .n = o->burst, .sizes_sent = sizes->v, .n_sizes_sent = idx + 1 };
	enum outcome r = ECHO_MISMATCH;

	if (!burst_fill(o, &b, &sizes->v[idx], 1))
		r = run_burst(fd, o, &b, want, got, t);
	burst_free(&b);
	return r;
}

/* --mix: burst `round` cycles through every size of SPEC. */
static enum outcome check_mixed(int fd, const struct opts *o, const struct sizes *sizes,
				unsigned round, unsigned char *want, unsigned char *got,
				struct tally *t)
{
	struct burst b = { .n = o->burst, .sizes_sent = sizes->v, .n_sizes_sent = sizes->n,
			   .seq = round * o->burst };
	enum outcome r = ECHO_MISMATCH;

	if (!burst_fill(o, &b, sizes->v, sizes->n))
		r = run_burst(fd, o, &b, want, got, t);
	burst_free(&b);
	return r;
}

/* bind_to: HOST:PORT to send from (port 0: any), or NULL. */
static int connect_udp(const char *addr, const char *bind_to)
{
	struct sockaddr_storage ss, src;
	socklen_t len, src_len = 0;
	int fd, big = 4 << 20;

	if (tool_parse_addr(PROG, addr, &ss, &len) < 0 ||
	    (bind_to && tool_parse_addr(PROG, bind_to, &src, &src_len) < 0))
		return -1;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && bind_to && bind(fd, (struct sockaddr *)&src, src_len) < 0) {
		fprintf(stderr, PROG ": bind %s: %s\n", bind_to, strerror(errno));
		close(fd);
		return -1;
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " HOST:PORT [--sizes SPEC] [--retries N] [--timeout-ms MS]\n"
		   "                      [--seed N] [--burst N [--mix R] [--gso]] [--bind HOST:PORT]\n"
		   "                      [--verbose]\n"
		   "  SPEC: comma-separated N, A-B or A-B/STEP (1..%d); default 1-64,1400-1600,65507\n"
		   "Exit: 0 every size echoed exactly, 1 mismatch or loss, 2 usage.\n", UDP_MAX);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "sizes", required_argument, NULL, 's' },
		{ "retries", required_argument, NULL, 'r' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 'S' },
		{ "burst", required_argument, NULL, 'b' },
		{ "mix", required_argument, NULL, 'm' },
		{ "bind", required_argument, NULL, 'B' },
		{ "gso", no_argument, NULL, 'g' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "s:r:t:S:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->spec = optarg; break;
		case 'r': o->retries = (unsigned)atoi(optarg); break;
		case 't': o->timeout_ms = atoi(optarg); break;
		case 'S': o->seed = strtoull(optarg, NULL, 0); break;
		case 'b': o->burst = (unsigned)atoi(optarg); break;
		case 'm': o->mix = (unsigned)atoi(optarg); break;
		case 'B': o->bind_to = optarg; break;
		case 'g': o->gso = true; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc - 1 || o->timeout_ms <= 0 || o->burst > 1024 ||
	    (o->mix && !o->burst) || (o->gso && !o->burst)) {
		usage(stderr);
		return -1;
	}
	o->addr = argv[optind];
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .spec = "1-64,1400-1600,65507", .retries = 5, .timeout_ms = 500, .seed = 1 };
	struct sizes sizes = { 0 };
	struct tally t = { 0 };
	size_t checks;
	unsigned char *want = malloc(UDP_MAX + 1), *got = malloc(UDP_MAX + 1);
	int fd;

	if (!want || !got)
		return 1;
	if (parse_opts(argc, argv, &o) < 0 || parse_sizes(o.spec, &sizes) < 0)
		return 2;
	fd = connect_udp(o.addr, o.bind_to);
	if (fd < 0)
		return 1;
	for (unsigned round = 0; round < o.mix; round++)
		t.n[check_mixed(fd, &o, &sizes, round, want, got, &t)]++;
	for (size_t i = 0; i < sizes.n && !o.mix; i++) {
		if (o.burst) {
			t.n[check_burst(fd, &o, &sizes, i, want, got, &t)]++;
			continue;
		}
		payload(&o, sizes.v[i], 0, want);
		t.n[check_size(fd, &o, sizes.v[i], want, got, &t)]++;
	}
	checks = o.mix ? o.mix : sizes.n;
	printf(PROG ": %zu %s to %s: %u ok, %u mismatched, %u lost (%u resends)\n",
	       checks, o.mix ? "mixed bursts" : "sizes", o.addr, t.n[ECHO_OK], t.n[ECHO_MISMATCH],
	       t.n[ECHO_LOST], t.resent);
	close(fd);
	free(sizes.v);
	free(want);
	free(got);
	return t.n[ECHO_OK] == checks ? 0 : 1;
}
