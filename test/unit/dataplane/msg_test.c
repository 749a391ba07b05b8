/* SPDX-License-Identifier: MIT */
/*
 * dataplane/msg.c between two real rings of this process (both
 * SINGLE_ISSUER|DEFER_TASKRUN, as workers make them): delivery, ordering,
 * CONN handoff, the full-table and gone-target error paths, and the retry
 * path driven by an injected -EAGAIN completion.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/msg.h"

#define N_SEEN 4096

/* What the handlers saw: the test's stand-in for a worker. */
struct seen {
	unsigned n;
	struct rp_msg m[N_SEEN];
};

static int record(void *worker, const struct rp_msg *m)
{
	struct seen *s = worker;

	if (s->n < N_SEEN)
		s->m[s->n] = *m;
	s->n++;
	return 0;
}

struct pair {
	struct io_uring tx, rx;
	struct rp_msg_port port;
	struct rp_counters ctr;
	struct seen tx_seen;	/* bounces come back to the port's on_bounce */
	struct seen rx_seen;
};

static int ring_init(struct io_uring *r)
{
	return io_uring_queue_init(64, r, IORING_SETUP_SINGLE_ISSUER |
				   IORING_SETUP_DEFER_TASKRUN);
}

/* Static: the counter block wants 64-byte alignment, test_calloc gives 16. */
static struct pair the_pair;

static int setup(void **state)
{
	struct pair *p = &the_pair;

	memset(p, 0, sizeof(*p));
	assert_int_equal(ring_init(&p->tx), 0);
	assert_int_equal(ring_init(&p->rx), 0);
	assert_int_equal(rp_msg_port_init(&p->port, &p->tx, 32, &p->ctr), 0);
	p->port.on_bounce = record;
	p->port.owner = &p->tx_seen;
	for (int t = RP_MSG_STOP; t < RP_MSG__COUNT; t++)
		rp_msg_set_handler(t, record);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	rp_msg_port_fini(&p->port);
	io_uring_queue_exit(&p->tx);
	io_uring_queue_exit(&p->rx);
	return 0;
}

/* Run the sender's side once: submit, wait for one CQE at most `wait`
 * times, dispatch its completions. Returns CQEs handled. */
static unsigned pump(struct io_uring *ring, struct rp_msg_port *port, void *worker, bool wait)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	if (wait)
		io_uring_submit_and_wait(ring, 1);
	else
		io_uring_submit_and_get_events(ring);
	io_uring_for_each_cqe(ring, head, cqe) {
		if (rp_ud_op(cqe->user_data) == RP_OP_MSG)
			assert_true(rp_msg_dispatch(port, worker, cqe) >= 0);
		n++;
	}
	io_uring_cq_advance(ring, n);
	return n;
}

/* Let the sender finish everything in flight. */
static void drain_sender(struct pair *p)
{
	for (int i = 0; i < 1000 && rp_msg_port_in_flight(&p->port); i++)
		pump(&p->tx, &p->port, NULL, true);
	assert_int_equal(rp_msg_port_in_flight(&p->port), 0);
}

/* Until the receiver's CQ (and its overflow list) is empty. */
static void drain_receiver(struct pair *p)
{
	while (pump(&p->rx, NULL, &p->rx_seen, false))
		;
}

static void test_encode_decode(void **state)
{
	struct io_uring_cqe cqe = { .res = -7, .flags = 0x10000 };
	struct rp_msg m;

	(void)state;
	cqe.user_data = rp_msg_ud(RP_MSG_WORK, 0xba9876543210ULL | (1ULL << 50));
	assert_true(rp_msg_decode(&cqe, &m));
	assert_int_equal(m.type, RP_MSG_WORK);
	assert_int_equal(m.payload, 0xba9876543210ULL);	/* bit 50 masked off */
	assert_int_equal(m.arg, -7);
	assert_int_equal(m.cqe_flags, 0x10000);
	assert_int_equal(rp_ud_op(cqe.user_data), RP_OP_MSG);

	cqe.user_data = rp_ud(RP_OP_RECV, 5);
	assert_false(rp_msg_decode(&cqe, &m));
	assert_string_equal(rp_msg_type_name(RP_MSG_CONN), "conn");
	assert_string_equal(rp_msg_type_name(200), "unknown");
}

static void test_delivery_in_order(void **state)
{
	struct pair *p = *state;
	unsigned sent = 0;

	/* 1000 messages through a 32-entry outbox: the sender reaps as it goes */
	while (sent < 1000) {
		struct rp_msg m = { .type = RP_MSG_WORK, .payload = sent, .arg = (int)sent * 3 };
		int ret = rp_msg_send(&p->port, p->rx.ring_fd, &m);

		if (ret == -ENOSPC) {
			pump(&p->tx, &p->port, NULL, true);
			continue;
		}
		assert_int_equal(ret, 0);
		sent++;
	}
	drain_sender(p);
	drain_receiver(p);
	assert_int_equal(p->rx_seen.n, 1000);
	for (unsigned i = 0; i < 1000; i++) {
		assert_int_equal(p->rx_seen.m[i].type, RP_MSG_WORK);
		assert_int_equal(p->rx_seen.m[i].payload, i);
		assert_int_equal(p->rx_seen.m[i].arg, (int)i * 3);
		assert_int_equal(p->rx_seen.m[i].err, 0);
	}
	assert_int_equal(p->port.stats.delivered, 1000);
	assert_int_equal(p->tx_seen.n, 0);
}

static void test_cqe_flags_pass(void **state)
{
	struct pair *p = *state;
	struct rp_msg m = { .type = RP_MSG_WORK, .payload = 9, .cqe_flags = 1U << 16 };

	assert_int_equal(rp_msg_send(&p->port, p->rx.ring_fd, &m), 0);
	drain_sender(p);
	drain_receiver(p);
	assert_int_equal(p->rx_seen.n, 1);
	assert_int_equal(p->rx_seen.m[0].cqe_flags, 1U << 16);
}

static void test_conn_handoff(void **state)
{
	struct pair *p = *state;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(io_uring_register_files_sparse(&p->tx, 4), 0);
	assert_int_equal(io_uring_register_files_sparse(&p->rx, 4), 0);
	assert_int_equal(io_uring_register_files_update(&p->tx, 2, sv, 1), 1);
	close(sv[0]);	/* the fixed table holds the only reference now */

	assert_int_equal(rp_msg_send(&p->port, p->rx.ring_fd,
				     &(struct rp_msg){ .type = RP_MSG_CONN }), -EINVAL);
	assert_int_equal(rp_msg_send_conn(&p->port, p->rx.ring_fd, 2, 77), 0);
	drain_sender(p);
	drain_receiver(p);
	assert_int_equal(p->rx_seen.n, 1);
	assert_int_equal(p->rx_seen.m[0].type, RP_MSG_CONN);
	assert_int_equal(p->rx_seen.m[0].payload, 77);
	assert_true(p->rx_seen.m[0].arg >= 0 && p->rx_seen.m[0].arg < 4);

	/* our slot was closed after the handoff: passing it again fails */
	pump(&p->tx, &p->port, NULL, false);
	assert_int_equal(rp_msg_send_conn(&p->port, p->rx.ring_fd, 2, 78), 0);
	drain_sender(p);
	assert_int_equal(p->tx_seen.n, 1);
	assert_int_equal(p->tx_seen.m[0].err, -EBADF);

	/* the target's slot holds the connection: it still talks to sv[1] */
	struct io_uring_sqe *sqe = io_uring_get_sqe(&p->rx);
	io_uring_prep_send(sqe, p->rx_seen.m[0].arg, "hi", 2, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_submit_and_wait(&p->rx, 1);
	char buf[4];
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 2);
	close(sv[1]);
}

static void test_conn_no_slot(void **state)
{
	struct pair *p = *state;
	int sv[2], fill[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fill), 0);
	assert_int_equal(io_uring_register_files_sparse(&p->tx, 2), 0);
	assert_int_equal(io_uring_register_files(&p->rx, fill, 2), 0);	/* full */
	assert_int_equal(io_uring_register_files_update(&p->tx, 0, sv, 1), 1);

	assert_int_equal(rp_msg_send_conn(&p->port, p->rx.ring_fd, 0, 5), 0);
	drain_sender(p);
	drain_receiver(p);
	assert_int_equal(p->rx_seen.n, 0);
	assert_int_equal(p->tx_seen.n, 1);
	assert_int_equal(p->tx_seen.m[0].type, RP_MSG_CONN);
	assert_int_equal(p->tx_seen.m[0].err, -ENFILE);
	assert_int_equal(p->port.stats.no_slot, 1);
	assert_int_equal(rp_counter_read(&p->ctr, RP_C_ERR_NO_SLOT), 1);

	/* the connection was closed, not leaked: after our own table lets go,
	 * the peer sees EOF */
	pump(&p->tx, &p->port, NULL, false);
	assert_int_equal(io_uring_unregister_files(&p->tx), 0);
	close(sv[0]);
	char c;
	assert_int_equal(read(sv[1], &c, 1), 0);
	close(sv[1]);
	close(fill[0]);
	close(fill[1]);
}

static void test_bounce_not_a_ring(void **state)
{
	struct pair *p = *state;
	int pfd[2];

	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(rp_msg_send(&p->port, pfd[0],
				     &(struct rp_msg){ .type = RP_MSG_WORK, .payload = 4242 }), 0);
	drain_sender(p);
	/* the work item is not lost: it came back to us with the error */
	assert_int_equal(p->tx_seen.n, 1);
	assert_int_equal(p->tx_seen.m[0].payload, 4242);
	assert_true(p->tx_seen.m[0].err < 0);
	assert_int_equal(p->port.stats.bounced, 1);
	close(pfd[0]);
	close(pfd[1]);
}

/*
 * Retry and ordering: the first message's real completion is replaced by an
 * -EAGAIN one (what a target that cannot take it now answers). Messages sent
 * after it must be parked and reach the target after its retry.
 */
static void test_retry_keeps_order(void **state)
{
	struct pair *p = *state;
	struct io_uring_cqe *cqe, fake;

	assert_int_equal(rp_msg_send(&p->port, p->rx.ring_fd,
				     &(struct rp_msg){ .type = RP_MSG_WORK, .payload = 1 }), 0);
	io_uring_submit(&p->tx);
	assert_int_equal(io_uring_wait_cqe(&p->tx, &cqe), 0);
	fake = *cqe;
	io_uring_cqe_seen(&p->tx, cqe);
	drain_receiver(p);
	assert_int_equal(p->rx_seen.n, 1);	/* the real delivery: forget it */
	p->rx_seen.n = 0;

	fake.res = -EAGAIN;
	assert_int_equal(rp_msg_dispatch(&p->port, NULL, &fake), 0);
	for (unsigned i = 2; i <= 4; i++)
		assert_int_equal(rp_msg_send(&p->port, p->rx.ring_fd,
					     &(struct rp_msg){ .type = RP_MSG_WORK, .payload = i }), 0);
	assert_int_equal(p->port.stats.parked, 3);
	drain_sender(p);
	drain_receiver(p);
	assert_int_equal(p->port.stats.retries, 1);
	assert_int_equal(p->rx_seen.n, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(p->rx_seen.m[i].payload, i + 1);
	assert_int_equal(p->tx_seen.n, 0);
}

/*
 * Two messages in flight when both fail: the second was sent before
 * anything parked, so it is retried right after the first and before a
 * message sent later.
 */
static void test_retry_two_in_flight(void **state)
{
	struct pair *p = *state;
	struct io_uring_cqe *cqe, fake[2];

	for (unsigned i = 1; i <= 2; i++)
		assert_int_equal(rp_msg_send(&p->port, p->rx.ring_fd,
					     &(struct rp_msg){ .type = RP_MSG_WORK, .payload = i }), 0);
	io_uring_submit_and_wait(&p->tx, 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(io_uring_wait_cqe(&p->tx, &cqe), 0);
		fake[i] = *cqe;
		fake[i].res = -ENOMEM;
		io_uring_cqe_seen(&p->tx, cqe);
	}
	drain_receiver(p);
	p->rx_seen.n = 0;	/* the real deliveries: forget them */

	assert_int_equal(rp_msg_dispatch(&p->port, NULL, &fake[0]), 0);
	assert_int_equal(rp_msg_dispatch(&p->port, NULL, &fake[1]), 0);
	assert_int_equal(rp_msg_send(&p->port, p->rx.ring_fd,
				     &(struct rp_msg){ .type = RP_MSG_WORK, .payload = 3 }), 0);
	assert_int_equal(p->port.stats.parked, 2);
	drain_sender(p);
	drain_receiver(p);
	assert_int_equal(p->rx_seen.n, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(p->rx_seen.m[i].payload, i + 1);
	assert_int_equal(p->port.stats.retries, 1);
}

static void test_sync_send(void **state)
{
	struct pair *p = *state;

	assert_int_equal(rp_msg_send_sync(p->rx.ring_fd,
					  &(struct rp_msg){ .type = RP_MSG_STOP, .arg = 15 }), 0);
	assert_int_equal(rp_msg_send_sync(p->rx.ring_fd,
					  &(struct rp_msg){ .type = RP_MSG_CONN }), -EINVAL);
	/* the fallback for kernels without io_uring_register_sync_msg */
	assert_int_equal(rp_msg_send_private_ring(p->rx.ring_fd,
						  &(struct rp_msg){ .type = RP_MSG_WORK,
								    .payload = 0x1234 }), 0);
	drain_receiver(p);
	assert_int_equal(p->rx_seen.n, 2);
	assert_int_equal(p->rx_seen.m[0].type, RP_MSG_STOP);
	assert_int_equal(p->rx_seen.m[0].arg, 15);
	assert_int_equal(p->rx_seen.m[1].type, RP_MSG_WORK);
	assert_int_equal(p->rx_seen.m[1].payload, 0x1234);
	/* a descriptor that is no ring: an error, from either path */
	assert_true(rp_msg_send_sync(0, &(struct rp_msg){ .type = RP_MSG_STOP }) < 0);
	assert_true(rp_msg_send_private_ring(0, &(struct rp_msg){ .type = RP_MSG_STOP }) < 0);
}

static void test_unhandled_and_bad(void **state)
{
	struct pair *p = *state;
	struct io_uring_cqe cqe = { .user_data = rp_msg_ud(RP_MSG_WORK, 1) };

	rp_msg_set_handler(RP_MSG_WORK, NULL);
	assert_int_equal(rp_msg_dispatch(&p->port, NULL, &cqe), -ENOSYS);
	rp_msg_set_handler(RP_MSG_WORK, record);
	cqe.user_data = rp_msg_ud(RP_MSG_SENT, 31);	/* entry not in use */
	assert_int_equal(rp_msg_dispatch(&p->port, NULL, &cqe), -EINVAL);
	cqe.user_data = rp_msg_ud(RP_MSG_SENT, 1000);	/* beyond the outbox */
	assert_int_equal(rp_msg_dispatch(&p->port, NULL, &cqe), -EINVAL);
	cqe.user_data = rp_ud(RP_OP_RECV, 0);
	assert_int_equal(rp_msg_dispatch(&p->port, NULL, &cqe), -EINVAL);
	assert_int_equal(rp_msg_send(&p->port, p->rx.ring_fd,
				     &(struct rp_msg){ .type = RP_MSG_NONE }), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_decode),
		cmocka_unit_test_setup_teardown(test_delivery_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cqe_flags_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conn_handoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conn_no_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounce_not_a_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_keeps_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_two_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unhandled_and_bad, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
