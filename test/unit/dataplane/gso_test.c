/* SPDX-License-Identifier: MIT */
/*
 * UDP GSO trains (dataplane/gso.c) on a real ring over 127.0.0.1: several
 * trains in flight at once, grouping by peer and length, the datagrams a
 * receiver sees (each one separate, in order, byte for byte), the counters,
 * and every buffer back in the pool. Every reply goes through the gather
 * list, so trains, single copies and zerocopy singles leave in arrival
 * order; zerocopy and GSO fallbacks belong to one peer (peer.h). A buffer
 * of coalesced datagrams (UDP GRO) leaves as one train, or datagram by
 * datagram where a train may not go or the kernel refuses it. Connected
 * mode (many sockets, one list: udp-relay's sessions).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dataplane/gso.h"
#include "dataplane/udata.h"

#define N_BUFS 256
#define TAG ((uint64_t)7 << 32)	/* a service tag: the low 32 bits name the peer */

struct fixture {
	struct io_uring ring;
	struct rp_bufpool pool;
	struct rp_counters ctr;
	struct rp_tx tx;
	struct rp_zc_sock zs;
	struct rp_peer_table peers;
	struct rp_gso gso;
	int tx_fd;
	int rx_fd[2];			/* two peers: 127.0.0.2 and 127.0.0.3 */
	struct sockaddr_in rx_addr[2];
};

/* A UDP socket on 127.0.0.host: peers are hosts (peer.h), so each test
 * peer has its own loopback address. */
static int udp_bound(struct sockaddr_in *a, unsigned host)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 4 << 20;
	socklen_t len = sizeof(*a);

	*a = (struct sockaddr_in){ .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK - 1 + host) };
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)a, &len), 0);
	return fd;
}

static int setup(void **state)
{
	static struct fixture f;
	struct rp_zerocopy_cfg zc = { .mode = RP_ZC_AUTO, .threshold = 4096, .sample_every = 4,
				      .fallback_retry_ms = 60000 };
	struct rp_bufpool_params prm = { .size = 2048, .count = N_BUFS, .spare = N_BUFS };
	struct sockaddr_in any;
	char err[256];

	memset(&f, 0, sizeof(f));
	assert_int_equal(io_uring_queue_init(256, &f.ring, 0), 0);
	assert_int_equal(rp_bufpool_init(&f.pool, &f.ring, &prm, err, sizeof(err)), 0);
	f.tx = (struct rp_tx){ .ring = &f.ring, .pool = &f.pool, .ctr = &f.ctr };
	rp_zc_sock_init(&f.zs, &zc, RP_UNSET);
	f.tx_fd = udp_bound(&any, 1);
	for (int i = 0; i < 2; i++)
		f.rx_fd[i] = udp_bound(&f.rx_addr[i], 2 + (unsigned)i);
	rp_peer_table_init(&f.peers, &f.zs, 60000);
	assert_int_equal(rp_gso_init(&f.gso, f.tx_fd, TAG, true, &f.peers, &f.zs), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rp_gso_destroy(&f->gso);
	close(f->tx_fd);
	close(f->rx_fd[0]);
	close(f->rx_fd[1]);
	rp_bufpool_destroy(&f->pool);
	io_uring_queue_exit(&f->ring);
	return 0;
}

/* Datagram `seq` of a test: its bytes say who it is. */
static void fill(unsigned char *p, unsigned len, unsigned seq)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (unsigned char)(seq * 31 + i);
}

/* A reply to peer `to` of len bytes, gathered; the address lives in the
 * buffer, after the payload, as the recvmsg layout has it inside. */
static void add(struct fixture *f, int to, unsigned len, unsigned seq)
{
	unsigned bid = rp_buf_take(&f->pool);
	unsigned char *b;

	assert_int_not_equal(bid, RP_BID_NONE);
	b = rp_buf_addr(&f->pool, bid);
	fill(b, len, seq);
	memcpy(b + 1600, &f->rx_addr[to], sizeof(f->rx_addr[to]));
	rp_gso_add(&f->gso, &f->tx, &(struct rp_tx_req){
		.fd = f->tx_fd, .flags = RP_TX_PUT_ON_SENT, .bid = bid, .len = len,
		.dst = (struct sockaddr *)(b + 1600), .dstlen = sizeof(struct sockaddr_in) });
}

/* A coalesced reply to peer `to`: one buffer holding n datagrams of seg
 * bytes, the last `last` bytes, datagram k numbered seq0 + k; the address
 * after them. */
static void add_coalesced(struct fixture *f, int to, unsigned n, unsigned seg, unsigned last,
			  unsigned seq0)
{
	unsigned bid = rp_buf_take(&f->pool), len = (n - 1) * seg + last;
	unsigned char *b;

	assert_int_not_equal(bid, RP_BID_NONE);
	assert_true(len <= 1800);
	b = rp_buf_addr(&f->pool, bid);
	for (unsigned k = 0; k < n; k++)
		fill(b + k * seg, k + 1 < n ? seg : last, seq0 + k);
	memcpy(b + 1800, &f->rx_addr[to], sizeof(f->rx_addr[to]));
	rp_gso_gather(&f->gso, &f->tx, &(struct rp_gso_reply){
		.bid = (uint16_t)bid, .len = len, .dst = (struct sockaddr *)(b + 1800),
		.dstlen = sizeof(struct sockaddr_in), .seg = (uint16_t)seg });
}

/* The policy a single's CQE belongs to, as udp-echo's svc_ops.zc_sock finds it. */
static struct rp_zc_sock *zs_of(struct fixture *f, const struct io_uring_cqe *cqe)
{
	uint32_t ref = (uint32_t)rp_tx_ud_tag(rp_ud_data(cqe->user_data));
	struct rp_peer *p;

	if (!ref)
		return &f->zs;
	p = rp_peer_by_ref(&f->peers, ref);
	return p ? &p->zs : NULL;
}

static struct rp_peer *peer(struct fixture *f, int who)
{
	return rp_peer_get(&f->peers, (struct sockaddr *)&f->rx_addr[who], sizeof(f->rx_addr[who]));
}

/* Reap until nothing is in flight: trains through rp_gso_complete, singles
 * through rp_tx_complete. */
static void reap(struct fixture *f, unsigned expect_cqes)
{
	for (unsigned got = 0; got < expect_cqes; got++) {
		struct io_uring_cqe *cqe;
		struct rp_tx_event ev;

		assert_int_equal(io_uring_wait_cqe(&f->ring, &cqe), 0);
		if (rp_ud_op(cqe->user_data) == RP_OP_SEND_GSO)
			rp_gso_complete(&f->gso, &f->tx, cqe);
		else
			rp_tx_complete(&f->tx, zs_of(f, cqe), cqe, &ev);
		io_uring_cqe_seen(&f->ring, cqe);
	}
}

/* Flush what was gathered, submit (it must make `sqes` SQEs) and reap. */
static void flush_send_reap(struct fixture *f, int sqes)
{
	rp_gso_flush(&f->gso, &f->tx);
	assert_int_equal(io_uring_submit(&f->ring), sqes);
	reap(f, (unsigned)sqes);
}

/* Peer `who` must receive exactly these (len, seq) datagrams, in order. */
static void expect(struct fixture *f, int who, const unsigned (*want)[2], unsigned n)
{
	unsigned char got[2048], ref[2048];

	for (unsigned i = 0; i < n; i++) {
		ssize_t r = recv(f->rx_fd[who], got, sizeof(got), MSG_DONTWAIT);

		assert_int_equal(r, want[i][0]);
		fill(ref, want[i][0], want[i][1]);
		assert_memory_equal(got, ref, want[i][0]);
	}
	assert_int_equal(recv(f->rx_fd[who], got, sizeof(got), MSG_DONTWAIT), -1);
}

static void trains_in_flight_together(void **state)
{
	struct fixture *f = *state;
	unsigned want0[130][2], n0 = 0;
	static const unsigned warm[][2] = { { 80, 1000 }, { 80, 1001 } };
	unsigned seq = 0;

	/* A train that completes first: its slot must come back to the free
	 * list as one slot, not be handed out twice afterwards. */
	add(f, 0, 80, 1000);
	add(f, 0, 80, 1001);
	flush_send_reap(f, 1);
	expect(f, 0, warm, 2);

	/* Three flushes before any completion is reaped: 3 trains of 40 x 100 B
	 * plus a short tail (last segment may be shorter) to peer 0. */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 40; i++, seq++) {
			add(f, 0, 100, seq);
			want0[n0][0] = 100, want0[n0++][1] = seq;
		}
		add(f, 0, 60, seq);
		want0[n0][0] = 60, want0[n0++][1] = seq++;
		rp_gso_flush(&f->gso, &f->tx);
	}
	assert_int_equal(io_uring_submit(&f->ring), 3);
	assert_int_equal(f->gso.in_flight, 3);
	reap(f, 3);
	expect(f, 0, want0, n0);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_SENDS), 4);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_TX_PACKETS), n0 + 2);
	assert_int_equal(f->gso.in_flight, 0);
	assert_int_equal(rp_bufpool_free(&f->pool), N_BUFS);
}

static void grouping_by_peer_and_length(void **state)
{
	struct fixture *f = *state;
	static const unsigned want0[][2] = { { 200, 1 }, { 200, 2 }, { 300, 3 }, { 500, 6 } };
	static const unsigned want1[][2] = { { 300, 4 }, { 300, 5 } };

	/* peer 0: 200 200 (train) 300 (alone: the next goes elsewhere);
	 * peer 1: 300 300 (train); peer 0: 500 (alone). 4 SQEs: 2 trains, 2 singles. */
	add(f, 0, 200, 1);
	add(f, 0, 200, 2);
	add(f, 0, 300, 3);
	add(f, 1, 300, 4);
	add(f, 1, 300, 5);
	add(f, 0, 500, 6);
	flush_send_reap(f, 4);
	expect(f, 0, want0, 4);
	expect(f, 1, want1, 2);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_SENDS), 2);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_TX_PACKETS), 6);
	assert_int_equal(rp_bufpool_free(&f->pool), N_BUFS);
}

/* Sizes and send modes mixed: every reply leaves in arrival order. */
static void mixed_sizes_leave_in_order(void **state)
{
	struct fixture *f = *state;
	static const unsigned want[][2] = { { 100, 1 }, { 100, 2 }, { 1473, 3 }, { 100, 4 },
					    { 100, 5 }, { 60, 6 }, { 1500, 7 }, { 100, 8 } };

	/* train (100 100), single (1473: over the IPv4 segment size), train
	 * (100 100 60), single (1500), single (100: alone). */
	for (unsigned i = 0; i < 8; i++)
		add(f, 0, want[i][0], want[i][1]);
	flush_send_reap(f, 5);
	expect(f, 0, want, 8);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_SENDS), 2);
	assert_int_equal(rp_bufpool_free(&f->pool), N_BUFS);
}

/* Zerocopy singles among trains, and a copy report that switches one peer
 * only: loopback makes the kernel copy, the first zerocopy send of a peer
 * is sampled. */
static void zerocopy_fallback_is_per_peer(void **state)
{
	struct fixture *f = *state;
	static const unsigned want0[][2] = { { 100, 1 }, { 100, 2 }, { 1200, 3 }, { 100, 4 } };
	static const unsigned want0b[][2] = { { 1200, 5 }, { 1200, 6 } };
	static const unsigned want1[][2] = { { 1200, 7 } };

	f->zs.threshold = 1000;		/* zerocopy from 1000 B: within a 2 KB buffer */
	rp_peer_table_init(&f->peers, &f->zs, 60000);
	add(f, 0, 100, 1);
	add(f, 0, 100, 2);
	add(f, 0, 1200, 3);		/* zerocopy single between two copies */
	add(f, 0, 100, 4);
	flush_send_reap(f, 3);
	reap(f, 1);			/* the zerocopy send's notification */
	expect(f, 0, want0, 4);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_ZC_SENDS), 1);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_ZC_FALLBACKS), 1);
	assert_true(rp_fallback_active(&peer(f, 0)->zs.fell_back));

	/* Peer 0 now copies, so its 1200 B replies ride in a train; peer 1
	 * still gets zerocopy. */
	add(f, 0, 1200, 5);
	add(f, 0, 1200, 6);
	add(f, 1, 1200, 7);
	flush_send_reap(f, 2);
	reap(f, 1);
	expect(f, 0, want0b, 2);
	expect(f, 1, want1, 1);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_SENDS), 2);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_ZC_SENDS), 2);
	assert_int_equal(rp_bufpool_free(&f->pool), N_BUFS);
}

/* GSO refused for one peer: its replies leave one by one, the other peer
 * keeps its trains; once the retry time is over, peer 0 gets trains again. */
static void gso_fallback_is_per_peer_and_expires(void **state)
{
	struct fixture *f = *state;
	static const unsigned want[][2] = { { 100, 1 }, { 100, 2 } };
	static const unsigned want1[][2] = { { 100, 3 }, { 100, 4 } };

	assert_true(rp_peer_gso_refused(&f->peers, peer(f, 0)));
	assert_false(rp_peer_gso_refused(&f->peers, peer(f, 0)));	/* one switch */
	add(f, 0, 100, 1);
	add(f, 0, 100, 2);
	add(f, 1, 100, 3);
	add(f, 1, 100, 4);
	flush_send_reap(f, 3);		/* 2 singles, 1 train */
	expect(f, 0, want, 2);
	expect(f, 1, want1, 2);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_SENDS), 1);

	peer(f, 0)->gso_off.until_ms = 1;	/* the retry time has passed */
	add(f, 0, 100, 1);
	add(f, 0, 100, 2);
	flush_send_reap(f, 1);
	expect(f, 0, want, 2);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_SENDS), 2);
	assert_int_equal(rp_bufpool_free(&f->pool), N_BUFS);
}

/* gso: false still gathers (that keeps the order) but sends singles. */
static void disabled_sends_singles_in_order(void **state)
{
	struct fixture *f = *state;
	static const unsigned want[][2] = { { 100, 1 }, { 2000 - 400, 2 }, { 100, 3 } };

	rp_gso_destroy(&f->gso);
	assert_int_equal(rp_gso_init(&f->gso, f->tx_fd, TAG, false, &f->peers, &f->zs), 0);
	for (unsigned i = 0; i < 3; i++)
		add(f, 0, want[i][0], want[i][1]);
	flush_send_reap(f, 3);
	expect(f, 0, want, 3);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_SENDS), 0);
	assert_int_equal(rp_gso_max_seg(AF_INET6), 1452);
	assert_int_equal(rp_gso_max_seg(AF_INET), 1472);
}

/* Coalesced buffers of several shapes (n datagrams of seg bytes, the last
 * `last`), each between two singles of 100 bytes. */
static const struct coalesced_shape {
	unsigned n, seg, last;
} coalesced_shapes[] = { { 5, 100, 60 }, { 4, 300, 50 }, { 4, 200, 200 }, { 2, 1472, 7 } };

/* Single, coalesced, single to peer 0 (numbered 1, 10.., 2), sent and reaped
 * in `sqes` sends; the peer gets exactly those datagrams, in that order. */
static void between_singles(struct fixture *f, const struct coalesced_shape *c, int sqes)
{
	unsigned want[8][2], k = 0;

	assert_true(c->n + 2 <= 8);
	want[k][0] = 100, want[k++][1] = 1;
	for (unsigned i = 0; i < c->n; i++)
		want[k][0] = i + 1 < c->n ? c->seg : c->last, want[k++][1] = 10 + i;
	want[k][0] = 100, want[k++][1] = 2;
	add(f, 0, 100, 1);
	add_coalesced(f, 0, c->n, c->seg, c->last, 10);
	add(f, 0, 100, 2);
	flush_send_reap(f, sqes);
	expect(f, 0, (const unsigned (*)[2])want, k);
	assert_int_equal(f->gso.in_flight, 0);
	assert_int_equal(rp_bufpool_free(&f->pool), N_BUFS);
}

/* A coalesced buffer between two singles: one train of one buffer, cut at
 * its segment size, in its place (single, train, single: never merged). */
static void coalesced_reply_is_one_train(void **state)
{
	struct fixture *f = *state;
	uint64_t dgrams = 0, tx = 0;
	unsigned i;

	assert_int_equal(rp_gso_dgrams(460, 100), 5);
	assert_int_equal(rp_gso_dgrams(100, 100), 1);
	assert_int_equal(rp_gso_dgrams(100, 0), 1);
	for (i = 0; i < sizeof(coalesced_shapes) / sizeof(coalesced_shapes[0]); i++) {
		between_singles(f, &coalesced_shapes[i], 3);
		dgrams += coalesced_shapes[i].n;
		tx += coalesced_shapes[i].n + 2;
		assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_SENDS), i + 1);
		assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_DATAGRAMS), dgrams);
		assert_int_equal(rp_counter_read(&f->ctr, RP_C_TX_PACKETS), tx);
		assert_int_equal(rp_counter_read(&f->ctr, RP_C_COPY_SENDS), tx);
	}
}

/* The peer's GSO is off: each coalesced buffer leaves datagram by datagram
 * (one send each, the buffer back after the last), in its place; so does
 * one whose segments are over the family's size (1472 for IPv4), at once,
 * without a refused train first or a fallback. */
static void coalesced_split_when_peer_gso_off(void **state)
{
	struct fixture *f = *state;
	static const struct coalesced_shape over = { 2, 1500, 200 };
	uint64_t tx = 0;

	assert_true(rp_peer_gso_refused(&f->peers, peer(f, 0)));
	for (unsigned i = 0; i < sizeof(coalesced_shapes) / sizeof(coalesced_shapes[0]); i++) {
		between_singles(f, &coalesced_shapes[i], (int)coalesced_shapes[i].n + 2);
		tx += coalesced_shapes[i].n + 2;
	}
	peer(f, 0)->gso_off.until_ms = 0;
	between_singles(f, &over, (int)over.n + 2);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_SENDS), 0);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_FALLBACKS), 0);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_TX_PACKETS), tx + over.n + 2);
}

/* More segments than a train may carry (RP_GSO_MAX_SEGS; the kernel's
 * UDP_MAX_SEGMENTS is 64 or 128 by version): the buffer is split at once,
 * datagram by datagram, without a refused train first or a fallback. */
static void coalesced_over_max_segs_is_split(void **state)
{
	struct fixture *f = *state;
	unsigned want[150][2];

	for (unsigned i = 0; i < 150; i++)
		want[i][0] = 10, want[i][1] = 100 + i;
	add_coalesced(f, 0, 150, 10, 10, 100);
	flush_send_reap(f, 150);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_FALLBACKS), 0);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_SENDS), 0);
	expect(f, 0, want, 150);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_TX_PACKETS), 150);
	assert_int_equal(f->gso.in_flight, 0);
	assert_int_equal(rp_bufpool_free(&f->pool), N_BUFS);
}

/* ---- connected sockets (udp-relay's sessions) --------------------------- */

static bool open_answer;

static bool sock_open(void *arg, uint32_t obj, int fd)
{
	(void)arg;
	(void)fd;
	return obj == 42 && open_answer;
}

/* A socket connected to peer `to`; the connected gso in place of f->gso. */
static int connected_to(struct fixture *f, int to)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&f->rx_addr[to], sizeof(f->rx_addr[to])), 0);
	return fd;
}

static void use_connected(struct fixture *f)
{
	rp_gso_destroy(&f->gso);
	assert_int_equal(rp_gso_init_connected(&f->gso, TAG, 3, true, &f->peers, &f->zs, sock_open,
					       NULL), 0);
}

/* A datagram for socket fd (peer `to`): the address names the peer only. */
static void add_on(struct fixture *f, int fd, int to, unsigned len, unsigned seq,
		   struct rp_counters *ctr)
{
	unsigned bid = rp_buf_take(&f->pool);

	assert_int_not_equal(bid, RP_BID_NONE);
	fill(rp_buf_addr(&f->pool, bid), len, seq);
	rp_gso_gather(&f->gso, &f->tx, &(struct rp_gso_reply){
		.bid = (uint16_t)bid, .len = len, .dst = (struct sockaddr *)&f->rx_addr[to],
		.dstlen = sizeof(f->rx_addr[to]), .fd = fd, .obj = 42, .ctr = ctr });
}

/* Runs of one socket's datagrams ride in trains, in order, whatever the
 * other sockets' datagrams between them; the counts go to the entries'
 * block; the trains' user_data carry the gso's id. */
static void connected_trains_per_socket(void **state)
{
	struct fixture *f = *state;
	struct rp_counters be = { 0 };
	static const unsigned want0[][2] = { { 300, 1 }, { 300, 2 }, { 200, 3 }, { 300, 5 } };
	static const unsigned want1[][2] = { { 300, 4 } };
	int fd0 = connected_to(f, 0), fd1 = connected_to(f, 1);

	use_connected(f);
	add_on(f, fd0, 0, 300, 1, &be);
	add_on(f, fd0, 0, 300, 2, &be);
	add_on(f, fd0, 0, 200, 3, &be);	/* a shorter last one */
	add_on(f, fd1, 1, 300, 4, &be);
	add_on(f, fd0, 0, 300, 5, &be);
	rp_gso_flush(&f->gso, &f->tx);
	assert_int_equal(io_uring_submit(&f->ring), 3);	/* a train, two singles */
	reap(f, 3);
	expect(f, 0, want0, 4);
	expect(f, 1, want1, 1);
	assert_int_equal(rp_counter_read(&be, RP_C_GSO_SENDS), 1);
	assert_int_equal(rp_counter_read(&be, RP_C_GSO_DATAGRAMS), 3);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_SENDS), 0);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_TX_PACKETS), 5);
	assert_int_equal(rp_bufpool_free(&f->pool), N_BUFS);
	close(fd0);
	close(fd1);
}

/* A refused train of a connected socket goes out again datagram by
 * datagram only while its owner says the socket is still the entry's. The
 * kernel does not refuse on loopback: the train's own CQE is reaped and a
 * copy of it with -EINVAL handed over instead. */
static void connected_refusal_asks_the_owner(void **state)
{
	struct fixture *f = *state;
	static const unsigned want[][2] = { { 100, 1 }, { 100, 2 } };
	int fd0 = connected_to(f, 0);

	use_connected(f);
	for (int round = 0; round < 2; round++) {
		struct io_uring_cqe *cqe, fake;

		open_answer = round == 0;
		add_on(f, fd0, 0, 100, 1, NULL);
		add_on(f, fd0, 0, 100, 2, NULL);
		rp_gso_flush(&f->gso, &f->tx);
		assert_int_equal(io_uring_submit(&f->ring), 1);
		assert_int_equal(io_uring_wait_cqe(&f->ring, &cqe), 0);
		assert_int_equal(rp_gso_ud_id(rp_ud_data(cqe->user_data)), 3);
		fake = *cqe;
		fake.res = -EINVAL;
		io_uring_cqe_seen(&f->ring, cqe);
		expect(f, 0, want, 2);	/* what the kernel did send */
		rp_gso_complete(&f->gso, &f->tx, &fake);
		peer(f, 0)->gso_off.until_ms = 0;	/* trains again next round */
		if (round == 0) {
			assert_int_equal(io_uring_submit(&f->ring), 2);
			reap(f, 2);
			expect(f, 0, want, 2);	/* sent again */
		} else {
			assert_int_equal(io_uring_submit(&f->ring), 0);
			assert_int_equal(rp_counter_read(&f->ctr, RP_C_ERR_SEND), 2);
		}
	}
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_FALLBACKS), 2);
	assert_int_equal(rp_bufpool_free(&f->pool), N_BUFS);
	close(fd0);
}

/* ---- lent memory (udp-relay's handed-over datagrams) ------------------------ */

static unsigned char lent_mem[4][2048];
static uint32_t lent_got[8];
static int lent_res[8];
static unsigned n_lent_got;

static void lent_done(void *arg, uint32_t lent, int res)
{
	(void)arg;
	assert_true(n_lent_got < 8);
	lent_got[n_lent_got] = lent;
	lent_res[n_lent_got++] = res;
}

/* Lent memory k (its name: 100 + k) holding datagram seq, for socket fd. */
static void add_lent(struct fixture *f, int fd, int to, unsigned k, unsigned len, unsigned seq)
{
	fill(lent_mem[k], len, seq);
	rp_gso_gather(&f->gso, &f->tx, &(struct rp_gso_reply){
		.len = len, .dst = (struct sockaddr *)&f->rx_addr[to],
		.dstlen = sizeof(f->rx_addr[to]), .fd = fd, .obj = 42,
		.mem = lent_mem[k], .lent = 100 + k });
}

/* Pool buffers and lent memory ride in one train, in order; each lent one
 * goes back to its owner (lent_done) when the train completed, each pool
 * buffer to the pool. Lent memory alone is a copy send tagged with its
 * name, whose completion is the owner's (no lent_done); lent memory of a
 * refused train whose socket is gone goes back with the refusal. */
static void connected_lent_memory(void **state)
{
	struct fixture *f = *state;
	static const unsigned want[][2] = { { 300, 1 }, { 300, 2 }, { 300, 3 }, { 200, 4 },
					    { 500, 5 } };
	int fd0 = connected_to(f, 0);
	struct io_uring_cqe *cqe, fake;

	use_connected(f);
	f->gso.lent_done = lent_done;
	n_lent_got = 0;
	add_on(f, fd0, 0, 300, 1, NULL);
	add_lent(f, fd0, 0, 0, 300, 2);
	add_lent(f, fd0, 0, 1, 300, 3);
	add_on(f, fd0, 0, 200, 4, NULL);	/* the shorter last one */
	add_lent(f, fd0, 0, 2, 500, 5);		/* longer: alone */
	rp_gso_flush(&f->gso, &f->tx);
	assert_int_equal(io_uring_submit(&f->ring), 2);	/* a train, one single */
	for (int i = 0; i < 2; i++) {
		struct rp_tx_event ev;

		assert_int_equal(io_uring_wait_cqe(&f->ring, &cqe), 0);
		if (rp_ud_op(cqe->user_data) == RP_OP_SEND_GSO) {
			rp_gso_complete(&f->gso, &f->tx, cqe);
		} else {
			rp_tx_complete(&f->tx, &f->zs, cqe, &ev);
			assert_int_equal(ev.what, RP_TX_SENT);
			assert_int_equal(ev.res, 500);
			assert_int_equal(ev.bid, RP_BID_NONE);
			assert_false(ev.zc);
			assert_int_equal(ev.tag, TAG | 102);
		}
		io_uring_cqe_seen(&f->ring, cqe);
	}
	expect(f, 0, want, 5);
	assert_int_equal(n_lent_got, 2);
	assert_true(lent_got[0] == 100 && lent_got[1] == 101 && lent_res[0] > 0 && lent_res[1] > 0);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_DATAGRAMS), 4);
	assert_int_equal(rp_bufpool_free(&f->pool), N_BUFS);

	/* refused, and the socket no longer the entry's: back with the error */
	open_answer = false;
	n_lent_got = 0;
	add_lent(f, fd0, 0, 0, 100, 6);
	add_on(f, fd0, 0, 100, 7, NULL);
	rp_gso_flush(&f->gso, &f->tx);
	assert_int_equal(io_uring_submit(&f->ring), 1);
	assert_int_equal(io_uring_wait_cqe(&f->ring, &cqe), 0);
	fake = *cqe;
	fake.res = -EINVAL;
	io_uring_cqe_seen(&f->ring, cqe);
	rp_gso_complete(&f->gso, &f->tx, &fake);
	assert_int_equal(n_lent_got, 1);
	assert_true(lent_got[0] == 100 && lent_res[0] == -EINVAL);
	assert_int_equal(rp_bufpool_free(&f->pool), N_BUFS);
	close(fd0);
}

/* ---- coalesced receives (seg) ---------------------------------------------- */

/* A refused coalesced train is split; with gso off it is split from the start. */
static void coalesced_refused_and_disabled(void **state)
{
	struct fixture *f = *state;
	static const unsigned want[][2] = { { 400, 30 }, { 400, 31 }, { 10, 32 } };
	struct io_uring_cqe *cqe, fake;

	add_coalesced(f, 1, 3, 400, 10, 30);
	rp_gso_flush(&f->gso, &f->tx);
	assert_int_equal(io_uring_submit(&f->ring), 1);
	assert_int_equal(io_uring_wait_cqe(&f->ring, &cqe), 0);
	fake = *cqe;
	fake.res = -EMSGSIZE;
	io_uring_cqe_seen(&f->ring, cqe);
	expect(f, 1, want, 3);
	rp_gso_complete(&f->gso, &f->tx, &fake);
	assert_int_equal(io_uring_submit(&f->ring), 3);
	reap(f, 3);
	expect(f, 1, want, 3);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_GSO_FALLBACKS), 1);

	rp_gso_destroy(&f->gso);
	assert_int_equal(rp_gso_init(&f->gso, f->tx_fd, TAG, false, &f->peers, &f->zs), 0);
	add_coalesced(f, 0, 3, 400, 10, 30);
	flush_send_reap(f, 3);
	expect(f, 0, want, 3);
	assert_int_equal(rp_bufpool_free(&f->pool), N_BUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(trains_in_flight_together, setup, teardown),
		cmocka_unit_test_setup_teardown(grouping_by_peer_and_length, setup, teardown),
		cmocka_unit_test_setup_teardown(mixed_sizes_leave_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(zerocopy_fallback_is_per_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(gso_fallback_is_per_peer_and_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(disabled_sends_singles_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(coalesced_reply_is_one_train, setup, teardown),
		cmocka_unit_test_setup_teardown(coalesced_split_when_peer_gso_off, setup, teardown),
		cmocka_unit_test_setup_teardown(coalesced_over_max_segs_is_split, setup, teardown),
		cmocka_unit_test_setup_teardown(connected_trains_per_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(connected_refusal_asks_the_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(coalesced_refused_and_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(connected_lent_memory, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
