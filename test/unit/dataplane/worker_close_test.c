/* SPDX-License-Identifier: MIT */
/*
 * A connection handed to a worker that cannot take it is closed even when
 * no SQE is free at that moment (worker.c on_conn_msg): the slot is kept
 * and closed by rp_worker_close_deferred() once the ring takes SQEs again.
 * "No SQE" is real here: a ring created disabled (IORING_SETUP_R_DISABLED)
 * refuses io_uring_enter, so with its SQ full rp_worker_sqe() finds none
 * even after trying to submit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>
#include <cmocka.h>

#include "dataplane/acceptor.h"
#include "dataplane/worker.h"

#define SLOT 3

/* A handoff for service 7, which this worker does not have, into SLOT. */
static void hand_off(struct rp_worker *w)
{
	struct rp_conn_info ci = { .svc = 7 };
	struct io_uring_cqe cqe = {
		.user_data = rp_msg_ud(RP_MSG_CONN, rp_conn_payload(&ci)), .res = SLOT,
	};

	assert_int_equal(rp_msg_dispatch(&w->msg, w, &cqe), 0);
}

/* res of a read from fixed file SLOT: 1 while open, -EBADF once empty */
static int read_slot(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	char b;
	int res;

	io_uring_prep_read(sqe, SLOT, &b, 1, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	assert_int_equal(io_uring_submit_and_wait(ring, 1), 1);
	assert_int_equal(io_uring_peek_cqe(ring, &cqe), 0);
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static void reap(struct io_uring *ring, unsigned n)
{
	struct io_uring_cqe *cqe;

	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(io_uring_wait_cqe(ring, &cqe), 0);
		io_uring_cqe_seen(ring, cqe);
	}
}

static void test_slot_closed_when_sq_was_full(void **state)
{
	uint64_t close_later[1] = { 0 };
	struct rp_worker w = { .id = 0, .n_files = 8, .close_later = close_later };
	int pipefd[2], nops = 0;

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	/* a byte waiting: a read from a still-open slot returns 1, not blocks */
	assert_int_equal(write(pipefd[1], "x", 1), 1);
	assert_int_equal(io_uring_queue_init(4, &w.ring, IORING_SETUP_R_DISABLED), 0);
	assert_int_equal(io_uring_register_files_sparse(&w.ring, w.n_files), 0);
	assert_int_equal(io_uring_register_files_update(&w.ring, SLOT, &pipefd[0], 1), 1);
	rp_worker_init_handlers();
	for (struct io_uring_sqe *sqe; (sqe = io_uring_get_sqe(&w.ring)); nops++)
		io_uring_prep_nop(sqe);

	hand_off(&w);
	assert_int_equal(w.n_close_later, 1);	/* no SQE: kept, not lost */
	hand_off(&w);
	assert_int_equal(w.n_close_later, 1);	/* the same slot once */
	rp_worker_close_deferred(&w);
	assert_int_equal(w.n_close_later, 1);	/* still no SQE: still kept */

	assert_int_equal(io_uring_enable_rings(&w.ring), 0);
	assert_int_equal(io_uring_submit(&w.ring), nops);
	reap(&w.ring, (unsigned)nops);
	rp_worker_close_deferred(&w);
	assert_int_equal(w.n_close_later, 0);
	assert_int_equal(io_uring_submit(&w.ring), 1);
	reap(&w.ring, 1);
	assert_int_equal(read_slot(&w.ring), -EBADF);	/* the slot was closed */

	io_uring_queue_exit(&w.ring);
	close(pipefd[0]);
	close(pipefd[1]);
}

static void test_open_slot_reads(void **state)
{
	struct io_uring ring;
	int pipefd[2];

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(write(pipefd[1], "x", 1), 1);
	assert_int_equal(io_uring_queue_init(4, &ring, 0), 0);
	assert_int_equal(io_uring_register_files_sparse(&ring, 8), 0);
	assert_int_equal(io_uring_register_files_update(&ring, SLOT, &pipefd[0], 1), 1);
	assert_int_equal(read_slot(&ring), 1);	/* the check above can tell */
	io_uring_queue_exit(&ring);
	close(pipefd[0]);
	close(pipefd[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_slot_reads),
		cmocka_unit_test(test_slot_closed_when_sq_was_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
