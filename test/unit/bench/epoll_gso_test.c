/* SPDX-License-Identifier: MIT */
/*
 * The epoll reference server's reply grouping (bench/baselines/epoll_gso.c)
 * with UDP GRO: a coalesced receive goes back as one entry of its own, its
 * buffer cut at its gso_size (UDP_SEGMENT), carrying ceil(len / seg)
 * datagrams; singles around it still form trains; the UDP_GRO control
 * message is read back as the segment size (0 for one datagram).
 */
#include <netinet/in.h>
#include <netinet/udp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bench/baselines/epoll_gso.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define N 5

struct rx {
	struct mmsghdr in[N];
	struct iovec iov[N];
	struct sockaddr_in peer;
	char bufs[N][4096];
	unsigned seg[N];
	struct mmsghdr out_msgs[N];
	char out_cmsg[N][64];
	unsigned datagrams[N];
	struct rp_epoll_gso_out out;
};

/* n messages from one peer with these lengths and segment sizes. */
static void rx_fill(struct rx *r, const unsigned *len, const unsigned *seg, unsigned n)
{
	memset(r, 0, sizeof(*r));
	r->peer = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(9) };
	for (unsigned i = 0; i < n; i++) {
		r->iov[i] = (struct iovec){ r->bufs[i], sizeof(r->bufs[i]) };
		r->in[i].msg_hdr = (struct msghdr){ .msg_name = &r->peer, .msg_namelen = sizeof(r->peer),
						    .msg_iov = &r->iov[i], .msg_iovlen = 1 };
		r->in[i].msg_len = len[i];
		r->seg[i] = seg[i];
	}
	r->out = (struct rp_epoll_gso_out){ .msgs = r->out_msgs, .cmsg = r->out_cmsg, .cap = N };
}

/* The UDP_SEGMENT size an outgoing entry carries; 0: none. */
static unsigned segment_of(const struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR((struct msghdr *)mh, cm))
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_SEGMENT) {
			uint16_t seg;

			memcpy(&seg, CMSG_DATA(cm), sizeof(seg));
			return seg;
		}
	return 0;
}

static void coalesced_alone_between_trains(void **state)
{
	/* two singles, a 10-datagram coalesced buffer (last one shorter), two singles */
	static const unsigned len[N] = { 64, 64, 9 * 64 + 30, 64, 64 };
	static const unsigned seg[N] = { 0, 0, 64, 0, 0 };
	struct rx r;
	unsigned n;

	(void)state;
	rx_fill(&r, len, seg, N);
	n = rp_epoll_gso_build(&r.out, r.in, r.iov, r.seg, N, r.datagrams);
	assert_int_equal(n, 3);
	assert_int_equal(r.datagrams[0], 2);
	assert_int_equal(r.datagrams[1], 10);
	assert_int_equal(r.datagrams[2], 2);
	assert_int_equal(r.out_msgs[1].msg_hdr.msg_iovlen, 1);
	assert_ptr_equal(r.out_msgs[1].msg_hdr.msg_iov, &r.iov[2]);
	assert_int_equal(r.iov[2].iov_len, len[2]);
	assert_int_equal(segment_of(&r.out_msgs[1].msg_hdr), 64);
	assert_int_equal(segment_of(&r.out_msgs[0].msg_hdr), 64);
	assert_int_equal(r.out_msgs[0].msg_hdr.msg_iovlen, 2);
}

static void without_gro_one_train(void **state)
{
	static const unsigned len[N] = { 64, 64, 64, 64, 64 };
	static const unsigned seg[N] = { 0 };
	struct rx r;

	(void)state;
	rx_fill(&r, len, seg, N);
	assert_int_equal(rp_epoll_gso_build(&r.out, r.in, r.iov, NULL, N, r.datagrams), 1);
	assert_int_equal(r.datagrams[0], 5);
}

/* A receive's UDP_GRO message, as recvmmsg leaves it. */
static void gro_cmsg(struct msghdr *mh, char *buf, size_t size, int seg)
{
	struct cmsghdr *cm;

	mh->msg_control = buf;
	mh->msg_controllen = size;
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_GRO;
	cm->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
	mh->msg_controllen = CMSG_SPACE(sizeof(seg));
}

static void gro_seg_read_back(void **state)
{
	char buf[64] __attribute__((aligned(8)));
	struct msghdr mh = { 0 };

	(void)state;
	assert_int_equal(rp_epoll_gro_seg(&mh, 640), 0);	/* no control message */
	gro_cmsg(&mh, buf, sizeof(buf), 64);
	assert_int_equal(rp_epoll_gro_seg(&mh, 640), 64);
	assert_int_equal(rp_epoll_gro_seg(&mh, 64), 0);		/* one datagram */
	gro_cmsg(&mh, buf, sizeof(buf), 0);
	assert_int_equal(rp_epoll_gro_seg(&mh, 640), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(coalesced_alone_between_trains),
		cmocka_unit_test(without_gro_one_train),
		cmocka_unit_test(gro_seg_read_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
