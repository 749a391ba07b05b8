/* SPDX-License-Identifier: MIT */
/* Buffer pool: ownership accounting, exhaustion and backpressure, and the
 * RLIMIT_MEMLOCK error path with a real ring. */
#include <errno.h>
#include <liburing.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "test/unit/child.h"

#include "dataplane/bufpool.h"

static struct rp_bufpool_params recv_params(unsigned count, unsigned spare)
{
	return (struct rp_bufpool_params){ .size = 2048, .count = count,
		.hugepages = RP_HUGE_OFF, .recv_ring = true, .bgid = 1, .spare = spare };
}

static void assert_states(const struct rp_bufpool *p, unsigned fr, unsigned h,
			  unsigned s, unsigned n)
{
	assert_int_equal(p->n_state[RP_BUF_FREE], fr);
	assert_int_equal(p->n_state[RP_BUF_HANDLER], h);
	assert_int_equal(p->n_state[RP_BUF_SEND], s);
	assert_int_equal(p->n_state[RP_BUF_NOTIF], n);
}

static void copy_send_cycle(void **state)
{
	struct rp_bufpool p;
	struct rp_bufpool_params prm = recv_params(8, 0);
	char err[256];

	(void)state;
	assert_int_equal(rp_bufpool_init(&p, NULL, &prm, err, sizeof(err)), 0);
	assert_states(&p, 8, 0, 0, 0);
	assert_true(rp_buf_got(&p, 3));
	assert_false(rp_buf_got(&p, 3));	/* not free any more */
	assert_false(rp_buf_got(&p, 8));	/* out of range */
	assert_states(&p, 7, 1, 0, 0);
	rp_buf_sending(&p, 3);
	assert_states(&p, 7, 0, 1, 0);
	rp_buf_sent(&p, 3, false);
	rp_buf_put(&p, 3);
	assert_states(&p, 8, 0, 0, 0);
	rp_bufpool_destroy(&p);
}

static void zerocopy_waits_for_notification(void **state)
{
	struct rp_bufpool p;
	struct rp_bufpool_params prm = recv_params(4, 0);
	char err[256];

	(void)state;
	assert_int_equal(rp_bufpool_init(&p, NULL, &prm, err, sizeof(err)), 0);
	assert_true(rp_buf_got(&p, 0));
	/* a short zerocopy send, then the rest: two notifications to come */
	rp_buf_sending(&p, 0);
	rp_buf_sent(&p, 0, true);
	rp_buf_sending(&p, 0);
	rp_buf_sent(&p, 0, true);
	rp_buf_notif(&p, 0);			/* first notification while still held */
	assert_states(&p, 3, 1, 0, 0);
	rp_buf_put(&p, 0);
	assert_states(&p, 3, 0, 0, 1);		/* waits: one notification still out */
	assert_int_equal(rp_bufpool_in_flight(&p), 1);
	rp_buf_notif(&p, 0);
	assert_states(&p, 4, 0, 0, 0);
	assert_int_equal(rp_bufpool_in_flight(&p), 0);
	rp_bufpool_destroy(&p);
}

static void exhaustion_is_backpressure(void **state)
{
	struct rp_bufpool p;
	struct rp_bufpool_params prm = recv_params(32, 0);
	char err[256];

	(void)state;
	assert_int_equal(rp_bufpool_init(&p, NULL, &prm, err, sizeof(err)), 0);
	for (unsigned b = 0; b < 32; b++)
		assert_true(rp_buf_got(&p, b));
	assert_int_equal(rp_bufpool_ring_free(&p), 0);
	assert_false(rp_bufpool_should_rearm(&p));	/* not starved yet */
	rp_bufpool_starve(&p);
	rp_bufpool_starve(&p);				/* one episode, counted once */
	assert_int_equal(p.enobufs, 1);
	assert_false(rp_bufpool_should_rearm(&p));	/* nothing came back */
	rp_buf_put(&p, 5);				/* 1 back: threshold is 32/16 = 2 */
	assert_false(rp_bufpool_should_rearm(&p));
	rp_buf_put(&p, 6);
	assert_true(rp_bufpool_should_rearm(&p));
	rp_bufpool_rearmed(&p);
	assert_false(rp_bufpool_should_rearm(&p));
	assert_int_equal(p.count, 32);			/* never grew */
	rp_bufpool_destroy(&p);
}

static void spare_buffers_for_senders(void **state)
{
	struct rp_bufpool p;
	struct rp_bufpool_params prm = recv_params(8, 2);
	char err[256];
	unsigned a, b;

	(void)state;
	assert_int_equal(rp_bufpool_init(&p, NULL, &prm, err, sizeof(err)), 0);
	assert_int_equal(rp_bufpool_ring_free(&p), 6);
	a = rp_buf_take(&p);
	b = rp_buf_take(&p);
	assert_true(a >= 6 && b >= 6 && a != b);
	assert_int_equal(rp_buf_take(&p), RP_BID_NONE);	/* spare stack empty */
	assert_false(rp_buf_got(&p, a));		/* spare ids never come from the ring */
	rp_buf_put(&p, a);
	assert_int_equal(rp_bufpool_ring_free(&p), 6);	/* went back to the stack */
	assert_int_equal(rp_buf_take(&p), a);
	rp_buf_put(&p, a);
	rp_buf_put(&p, b);
	assert_states(&p, 8, 0, 0, 0);
	rp_bufpool_destroy(&p);
}

static void bad_params_named(void **state)
{
	struct rp_bufpool p;
	struct rp_bufpool_params prm = recv_params(0, 0);
	char err[256];

	(void)state;
	assert_int_equal(rp_bufpool_init(&p, NULL, &prm, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "count"));
	prm = recv_params(4, 4);
	assert_int_equal(rp_bufpool_init(&p, NULL, &prm, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "spare"));
}

static void real_ring_registers_and_feeds(void **state)
{
	struct io_uring ring;
	struct rp_bufpool p;
	struct rp_bufpool_params prm = recv_params(64, 8);
	char err[512];

	(void)state;
	assert_int_equal(io_uring_queue_init(8, &ring, 0), 0);
	assert_int_equal(rp_bufpool_init(&p, &ring, &prm, err, sizeof(err)), 0);
	assert_true(p.registered);
	assert_non_null(p.br);
	assert_int_equal(p.br_entries, 64);
	assert_int_equal(rp_bufpool_ring_free(&p), 56);
	rp_bufpool_destroy(&p);
	io_uring_queue_exit(&ring);
}

/* One receive bundle (IORING_RECVSEND_BUNDLE) on fd into the pool's ring:
 * its bytes, checked against want[] buffer by buffer, the further buffers
 * found by ring position (rp_buf_ring_next); every buffer is given back in
 * the order given by `order` (a permutation of its buffers' indexes). The
 * ids it used are appended to ids[]. */
static unsigned bundle_recv(struct io_uring *ring, struct rp_bufpool *p, int fd,
			    const unsigned char *want, const unsigned *order, unsigned *ids)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	unsigned res, n, bid0, bids[8];

	io_uring_prep_recv(sqe, fd, NULL, 0, 0);
	sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = p->bgid;
	assert_int_equal(io_uring_submit_and_wait(ring, 1), 1);
	assert_int_equal(io_uring_peek_cqe(ring, &cqe), 0);
	assert_true(cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER));
	res = (unsigned)cqe->res;
	bid0 = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	io_uring_cqe_seen(ring, cqe);
	n = (res + p->size - 1) / p->size;
	assert_true(n <= 8);
	for (unsigned i = 0; i < n; i++) {
		unsigned len = res - i * p->size < p->size ? res - i * p->size : p->size;

		bids[i] = i ? rp_buf_ring_next(p, bid0, i) : bid0;
		assert_true(rp_buf_got(p, bids[i]));
		assert_memory_equal(rp_buf_addr(p, bids[i]), want + i * p->size, len);
		ids[i] = bids[i];
	}
	for (unsigned i = 0; i < n; i++)
		if (order[i] < n)
			rp_buf_put(p, bids[order[i]]);
	return res;
}

/* Buffers come back out of order (the ring's order is not id order); a
 * receive bundle across them still reads in stream order by position. */
static void bundle_follows_ring_order(void **state)
{
	static const unsigned rev[8] = { 2, 0, 3, 1, 7, 6, 5, 4 }, fwd[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	struct io_uring ring;
	struct rp_bufpool p;
	struct rp_bufpool_params prm = recv_params(8, 0);
	unsigned char data[8 * 2048];
	unsigned ids[8], got;
	char err[512];
	int sv[2];

	(void)state;
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	assert_int_equal(io_uring_queue_init(8, &ring, 0), 0);
	if (!(ring.features & IORING_FEAT_RECVSEND_BUNDLE)) {
		io_uring_queue_exit(&ring);
		skip();
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(rp_bufpool_init(&p, &ring, &prm, err, sizeof(err)), 0);
	/* 4 buffers (ids 0-3) taken and given back as 2, 0, 3, 1 */
	assert_int_equal(write(sv[0], data, 4 * 2048), 4 * 2048);
	assert_int_equal(bundle_recv(&ring, &p, sv[1], data, rev, ids), 4 * 2048);
	/* the next 8 buffers in the ring: 4-7, then 2, 0, 3, 1 */
	assert_int_equal(write(sv[0], data, sizeof(data) - 100), sizeof(data) - 100);
	for (got = 0; got < sizeof(data) - 100;)
		got += bundle_recv(&ring, &p, sv[1], data + got, fwd, ids);
	assert_int_equal(got, sizeof(data) - 100);
	assert_int_equal(rp_bufpool_free(&p), 8);
	rp_bufpool_destroy(&p);
	io_uring_queue_exit(&ring);
	close(sv[0]);
	close(sv[1]);
}

/* Run in a child: lower RLIMIT_MEMLOCK and, as root, drop to an unprivileged
 * uid (no CAP_IPC_LOCK) so the limit applies; registration must then fail
 * with a message that names the limit and the size needed. */
static int memlock_child(void)
{
	struct rlimit rl = { 64 << 10, 64 << 10 };
	struct io_uring ring;
	struct rp_bufpool p;
	struct rp_bufpool_params prm = recv_params(1024, 0);	/* 2 MiB */
	char err[512];
	int ret;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return 10;
	if (getuid() == 0 && (setgid(65534) || setuid(65534)))
		return 11;
	if (io_uring_queue_init(8, &ring, 0))
		return 12;
	ret = rp_bufpool_init(&p, &ring, &prm, err, sizeof(err));
	if (ret != -ENOMEM && ret != -EPERM)
		return 13;
	if (!strstr(err, "RLIMIT_MEMLOCK is 65536 bytes") || !strstr(err, "2097152 bytes are needed"))
		return 14;
	io_uring_queue_exit(&ring);
	return 0;
}

static void memlock_error_names_limit(void **state)
{
	(void)state;
	rp_assert_child_ok(memlock_child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copy_send_cycle),
		cmocka_unit_test(zerocopy_waits_for_notification),
		cmocka_unit_test(exhaustion_is_backpressure),
		cmocka_unit_test(spare_buffers_for_senders),
		cmocka_unit_test(bad_params_named),
		cmocka_unit_test(real_ring_registers_and_feeds),
		cmocka_unit_test(bundle_follows_ring_order),
		cmocka_unit_test(memlock_error_names_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
