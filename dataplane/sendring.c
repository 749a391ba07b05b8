/* SPDX-License-Identifier: MIT */
/*
 * Send buffer rings with bundles (see sendring.h).
 */
#include <errno.h>
#include <sys/socket.h>

#include <liburing.h>

#include "dataplane/sendring.h"

#define SENDRING_BGID_BASE 2u	/* group 1: the worker's receive ring */

static unsigned pow2_at_least(unsigned n)
{
	unsigned p = 1;

	while (p < n && p < 32768)
		p <<= 1;
	return p;
}

int rp_sendring_open(struct rp_sendring *s, struct io_uring *ring, unsigned slot,
		     unsigned entries)
{
	int err = 0;

	*s = (struct rp_sendring){ 0 };
	if (slot + SENDRING_BGID_BASE > UINT16_MAX)
		return -ERANGE;
	s->entries = pow2_at_least(entries);
	s->bgid = (uint16_t)(slot + SENDRING_BGID_BASE);
	s->br = io_uring_setup_buf_ring(ring, s->entries, s->bgid, 0, &err);
	return s->br ? 0 : (err ? err : -ENOMEM);
}

void rp_sendring_close(struct rp_sendring *s, struct io_uring *ring)
{
	if (s->br)
		io_uring_free_buf_ring(ring, s->br, s->entries, s->bgid);
	s->br = NULL;
	s->published = 0;
}

void rp_sendring_add(struct rp_sendring *s, void *addr, unsigned len, unsigned bid)
{
	io_uring_buf_ring_add(s->br, addr, len, (unsigned short)bid,
			      io_uring_buf_ring_mask(s->entries), 0);
	io_uring_buf_ring_advance(s->br, 1);
	s->published++;
}

void rp_sendring_prep_send(struct io_uring_sqe *sqe, const struct rp_sendring *s, int fd)
{
	io_uring_prep_send_bundle(sqe, fd, 0, MSG_NOSIGNAL | MSG_WAITALL);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = s->bgid;
}
