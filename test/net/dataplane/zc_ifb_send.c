/* SPDX-License-Identifier: MIT */
/*
 * Drives the dataplane's own transmit path (bufpool + zc policy + tx
 * completion handling, dataplane/zc.h) the way a worker does, and checks its
 * bookkeeping against what the kernel reports:
 *
 *   zc_ifb_send sink DST_IP PORT COUNT SIZE
 *       COUNT zerocopy UDP datagrams (policy "always", usage reported on
 *       every send) to DST_IP, which the test routes into an ifb device that
 *       drops them. Asserts: every send completed without error, exactly one
 *       notification per zerocopy send whose CQE had F_MORE, none reported
 *       copied, and the pool full again at the end.
 *   zc_ifb_send loopback PORT COUNT SIZE
 *       COUNT datagrams under policy "auto" to a local UDP socket on
 *       127.0.0.1:PORT: the kernel copies skbs that loop back to a local
 *       receiver, so the socket must switch to copy sends (zc_fallbacks 1),
 *       and still every notification arrives and every buffer comes back.
 *
 * Prints one line of counters; exit 0 when every assertion held, 1 if not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/bufpool.h"
#include "dataplane/udata.h"
#include "dataplane/zc.h"

#define POOL_BUFS 512

struct run {
	struct io_uring ring;
	struct rp_bufpool pool;
	struct rp_counters ctr;
	struct rp_tx tx;
	struct rp_zc_sock zs;
	int fd;
	struct sockaddr_in dst;
	unsigned long sent_ok, more, notifs;
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "zc_ifb_send: %s: %s\n", what, strerror(err));
	return 1;
}

static void reap(struct run *r)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&r->ring, head, cqe) {
		enum rp_op op = rp_ud_op(cqe->user_data);
		struct rp_tx_event ev;

		n++;
		if (op != RP_OP_SEND && op != RP_OP_SEND_ZC)
			continue;
		rp_tx_complete(&r->tx, &r->zs, cqe, &ev);
		if (ev.what == RP_TX_NOTIF) {
			r->notifs++;
			continue;
		}
		r->sent_ok += ev.res >= 0;
		r->more += ev.notif_follows;
	}
	io_uring_cq_advance(&r->ring, n);
}

static int send_all(struct run *r, unsigned long count, unsigned size)
{
	unsigned long queued = 0;

	while (queued < count || rp_bufpool_in_flight(&r->pool)) {
		unsigned bid;

		while (queued < count && (bid = rp_buf_take(&r->pool)) != RP_BID_NONE) {
			memset(rp_buf_addr(&r->pool, bid), (int)(queued & 0xff), size);
			if (rp_tx_send(&r->tx, &r->zs, &(struct rp_tx_req){
					.fd = r->fd, .flags = RP_TX_PUT_ON_SENT, .bid = bid,
					.len = size, .dst = (struct sockaddr *)&r->dst,
					.dstlen = sizeof(r->dst) })) {
				rp_buf_put(&r->pool, bid);
				break;
			}
			queued++;
		}
		int ret = io_uring_submit_and_wait(&r->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EBUSY)
			return fail("io_uring_submit_and_wait", -ret);
		reap(r);
	}
	return 0;
}

static int setup(struct run *r, const char *ip, int port, unsigned size,
		 const struct rp_zerocopy_cfg *zc)
{
	struct io_uring_params p = { .flags = IORING_SETUP_SINGLE_ISSUER |
					      IORING_SETUP_DEFER_TASKRUN };
	struct rp_bufpool_params prm = { .size = size, .count = POOL_BUFS,
					 .hugepages = RP_HUGE_AUTO };
	char err[512];
	int ret = io_uring_queue_init_params(256, &r->ring, &p);

	if (ret)
		return fail("io_uring_queue_init", -ret);
	if (rp_bufpool_init(&r->pool, &r->ring, &prm, err, sizeof(err))) {
		fprintf(stderr, "zc_ifb_send: %s\n", err);
		return 1;
	}
	r->tx = (struct rp_tx){ .ring = &r->ring, .pool = &r->pool, .ctr = &r->ctr };
	rp_zc_sock_init(&r->zs, zc, RP_UNSET);
	r->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (r->fd < 0)
		return fail("socket", errno);
	r->dst.sin_family = AF_INET;
	r->dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &r->dst.sin_addr) != 1)
		return fail(ip, EINVAL);
	return 0;
}

static int check(const char *what, unsigned long got, unsigned long want)
{
	if (got == want)
		return 0;
	fprintf(stderr, "zc_ifb_send: %s: %lu, expected %lu\n", what, got, want);
	return 1;
}

static void report(const char *mode, struct run *r)
{
	printf("%s: sent_ok %lu zc_sends %lu copy_sends %lu f_more %lu notifs %lu "
	       "zc_copied %lu zc_fallbacks %lu err_send %lu bufs_free %u/%u\n", mode,
	       r->sent_ok, (unsigned long)rp_counter_read(&r->ctr, RP_C_ZC_SENDS),
	       (unsigned long)rp_counter_read(&r->ctr, RP_C_COPY_SENDS), r->more, r->notifs,
	       (unsigned long)rp_counter_read(&r->ctr, RP_C_ZC_COPIED),
	       (unsigned long)rp_counter_read(&r->ctr, RP_C_ZC_FALLBACKS),
	       (unsigned long)rp_counter_read(&r->ctr, RP_C_ERR_SEND),
	       rp_bufpool_free(&r->pool), r->pool.count);
}

static void teardown(struct run *r)
{
	rp_bufpool_destroy(&r->pool);
	io_uring_queue_exit(&r->ring);
	if (r->fd >= 0)
		close(r->fd);
}

/* What both modes promise. */
static int check_common(struct run *r, unsigned long count)
{
	int bad = 0;

	bad |= check("sends completed without error", r->sent_ok, count);
	bad |= check("notifications == zerocopy sends with F_MORE", r->notifs, r->more);
	bad |= check("notifications counted", rp_counter_read(&r->ctr, RP_C_NOTIFS), r->notifs);
	bad |= check("buffers free at the end", rp_bufpool_free(&r->pool), r->pool.count);
	bad |= check("spare stack full at the end", r->pool.n_spare, r->pool.count);
	return bad;
}

static int run_sink(const char *ip, int port, unsigned long count, unsigned size)
{
	struct rp_zerocopy_cfg zc = { .mode = RP_ZC_ALWAYS, .sample_every = 1 };
	struct run r = { .fd = -1 };
	int bad;

	if (setup(&r, ip, port, size, &zc) || send_all(&r, count, size))
		return 1;
	report("sink", &r);
	bad = check_common(&r, count);
	bad |= check("zerocopy sends", rp_counter_read(&r.ctr, RP_C_ZC_SENDS), count);
	bad |= check("zerocopy sends with F_MORE", r.more, count);
	bad |= check("reported copied", rp_counter_read(&r.ctr, RP_C_ZC_COPIED), 0);
	teardown(&r);
	return bad;
}

static int run_loopback(int port, unsigned long count, unsigned size)
{
	struct rp_zerocopy_cfg zc = { .mode = RP_ZC_AUTO, .threshold = 1, .sample_every = 4 };
	struct run r = { .fd = -1 };
	int rx = socket(AF_INET, SOCK_DGRAM, 0), bad;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	if (rx < 0 || bind(rx, (struct sockaddr *)&a, sizeof(a)))
		return fail("bind loopback receiver", errno);
	if (setup(&r, "127.0.0.1", port, size, &zc) || send_all(&r, count, size))
		return 1;
	report("loopback", &r);
	bad = check_common(&r, count);
	bad |= check("sockets switched to copy", rp_counter_read(&r.ctr, RP_C_ZC_FALLBACKS), 1);
	bad |= check("switched for good (fallback-retry-ms 0)", r.zs.fell_back.until_ms == UINT64_MAX, 1);
	if (rp_counter_read(&r.ctr, RP_C_ZC_COPIED) == 0 ||
	    rp_counter_read(&r.ctr, RP_C_COPY_SENDS) == 0) {
		fprintf(stderr, "zc_ifb_send: loopback: expected copied reports and copy sends\n");
		bad = 1;
	}
	close(rx);
	teardown(&r);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "sink"))
		return run_sink(argv[2], atoi(argv[3]), strtoul(argv[4], NULL, 10),
				(unsigned)atoi(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "loopback"))
		return run_loopback(atoi(argv[2]), strtoul(argv[3], NULL, 10),
				    (unsigned)atoi(argv[4]));
	fprintf(stderr, "usage: zc_ifb_send sink DST_IP PORT COUNT SIZE\n"
			"       zc_ifb_send loopback PORT COUNT SIZE\n");
	return 2;
}
