/* SPDX-License-Identifier: MIT */
/* Pools cloned between worker rings (dataplane/bufclone.h), on real
 * SINGLE_ISSUER | DEFER_TASKRUN rings, one thread each, as the workers do:
 * after staging and taking, every member sends zerocopy, by the index the
 * mapping gives, from another member's buffer and from its own, and the
 * bytes that arrive are that buffer's; a member staged from a thread that
 * is not its ring's submitter is refused, and the reason says so. */
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "dataplane/bufclone.h"

#define MEMBERS 3
#define BUFS 8
#define LEN 200

struct member {
	unsigned k;
	struct io_uring ring;
	struct rp_bufpool pool;
	int rc_stage, rc_take;
	char got_foreign, got_own;	/* first byte received from each send */
	int res_foreign, res_own;	/* the sends' results */
};

static struct rp_bufclone cl;
static struct member mem[MEMBERS];
static pthread_mutex_t stage_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t staged, done;

static int ring_open(struct io_uring *ring)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	};

	return io_uring_queue_init_params(8, ring, &p);
}

static int pool_open(struct member *m)
{
	struct rp_bufpool_params prm = { .size = 2048, .count = BUFS, .hugepages = RP_HUGE_OFF,
					 .spare = BUFS };
	char err[256];
	int ret = rp_bufpool_init(&m->pool, &m->ring, &prm, err, sizeof(err));

	if (!ret)
		memset(m->pool.base, 'A' + (int)m->k, m->pool.region_len);
	return ret;
}

/* One zerocopy send of LEN bytes from addr (fixed buffer idx) over a UDP
 * socket pair: the send's result, and the first byte that arrived in *got. */
static int send_fixed(struct io_uring *ring, const void *addr, unsigned idx, char *got)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0), res = -EIO;
	struct io_uring_cqe *cqe;
	char buf[LEN + 1];
	bool more = true;

	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&sa, sl) ||
	    getsockname(rx, (struct sockaddr *)&sa, &sl) || connect(tx, (struct sockaddr *)&sa, sl))
		goto out;
	io_uring_prep_send_zc_fixed(io_uring_get_sqe(ring), tx, addr, LEN, 0, 0, idx);
	io_uring_submit(ring);
	/* the send's CQE, then (F_MORE) its notification */
	while (more && !io_uring_wait_cqe(ring, &cqe)) {
		if (!(cqe->flags & IORING_CQE_F_NOTIF))
			res = cqe->res;
		more = cqe->flags & IORING_CQE_F_MORE;
		io_uring_cqe_seen(ring, cqe);
	}
	*got = recv(rx, buf, sizeof(buf), MSG_DONTWAIT) == LEN ? buf[0] : 0;
out:
	close(rx);
	close(tx);
	return res;
}

static void *member_main(void *arg)
{
	struct member *m = arg;
	unsigned origin = (m->k + 1) % MEMBERS, idx = 0;
	const struct rp_bufpool *op = &mem[origin].pool;
	const unsigned char *faddr;
	char why[256];

	m->rc_stage = ring_open(&m->ring);
	if (!m->rc_stage)
		m->rc_stage = pool_open(m);
	if (!m->rc_stage) {
		pthread_mutex_lock(&stage_lock);
		m->rc_stage = rp_bufclone_stage(&cl, m->k, &m->ring, &m->pool);
		pthread_mutex_unlock(&stage_lock);
	}
	pthread_barrier_wait(&staged);
	m->rc_take = rp_bufclone_take(&cl, &m->ring, &m->pool, why, sizeof(why));
	faddr = (const unsigned char *)rp_buf_addr(op, 5) + 100;
	if (!m->rc_take && rp_bufclone_index(&cl, origin, op, faddr, &idx))
		m->res_foreign = send_fixed(&m->ring, faddr, idx, &m->got_foreign);
	m->res_own = send_fixed(&m->ring, rp_buf_addr(&m->pool, 2),
				rp_buf_reg_index(&m->pool, rp_buf_addr(&m->pool, 2)), &m->got_own);
	/* nobody's pool goes away while another may still send from it */
	pthread_barrier_wait(&done);
	rp_bufpool_destroy(&m->pool);
	io_uring_queue_exit(&m->ring);
	return NULL;
}

static void members_send_from_each_other(void **state)
{
	pthread_t t[MEMBERS];

	(void)state;
	assert_int_equal(rp_bufclone_init(&cl, MEMBERS), 0);
	pthread_barrier_init(&staged, NULL, MEMBERS);
	pthread_barrier_init(&done, NULL, MEMBERS);
	for (unsigned k = 0; k < MEMBERS; k++) {
		mem[k] = (struct member){ .k = k };
		assert_int_equal(pthread_create(&t[k], NULL, member_main, &mem[k]), 0);
	}
	for (unsigned k = 0; k < MEMBERS; k++)
		pthread_join(t[k], NULL);
	for (unsigned k = 0; k < MEMBERS; k++) {
		assert_int_equal(mem[k].rc_stage, 0);
		assert_int_equal(mem[k].rc_take, 0);
		assert_int_equal(mem[k].res_foreign, LEN);
		assert_int_equal(mem[k].got_foreign, 'A' + (int)((k + 1) % MEMBERS));
		assert_int_equal(mem[k].res_own, LEN);
		assert_int_equal(mem[k].got_own, 'A' + (int)k);
	}
	/* the table: own pool first, then member k at stride * (k + 1) */
	assert_int_equal(cl.stride, 1);
	assert_int_equal(cl.nr, MEMBERS);
	assert_int_equal(rp_bufclone_slot(cl.stride, 2, 0), 3);
	assert_int_equal(rp_bufclone_slot(4, 1, 3), 11);
	rp_bufclone_free(&cl);
	pthread_barrier_destroy(&staged);
	pthread_barrier_destroy(&done);
}

static void *open_only(void *arg)
{
	struct member *m = arg;

	m->rc_stage = ring_open(&m->ring);
	if (!m->rc_stage)
		m->rc_stage = pool_open(m);
	return NULL;
}

static void staging_from_another_thread_refused(void **state)
{
	struct member *m = &mem[0];
	struct io_uring mine;
	char why[256];
	pthread_t t;

	(void)state;
	*m = (struct member){ .k = 0 };
	assert_int_equal(rp_bufclone_init(&cl, 2), 0);
	assert_int_equal(pthread_create(&t, NULL, open_only, m), 0);
	pthread_join(t, NULL);
	assert_int_equal(m->rc_stage, 0);
	/* the ring's submitter is the thread that made it, not us */
	assert_int_equal(rp_bufclone_stage(&cl, 0, &m->ring, &m->pool), -EEXIST);
	assert_non_null(strstr(cl.why, "worker 0's buffers into the staging ring"));
	assert_false(cl.staged[0]);
	assert_int_equal(ring_open(&mine), 0);
	assert_int_equal(rp_bufclone_take(&cl, &mine, &m->pool, why, sizeof(why)), -ENXIO);
	assert_non_null(strstr(why, "could be staged"));
	io_uring_queue_exit(&mine);
	rp_bufpool_destroy(&m->pool);
	io_uring_queue_exit(&m->ring);
	rp_bufclone_free(&cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(members_send_from_each_other),
		cmocka_unit_test(staging_from_another_thread_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
