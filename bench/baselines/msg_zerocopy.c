/* SPDX-License-Identifier: MIT */
/*
 * The outside baseline for the zc-tx benchmark: zerocopy without io_uring,
 * as the kernel's Documentation/networking/msg_zerocopy.rst describes it.
 * SO_ZEROCOPY on the socket, sendmsg(2) with MSG_ZEROCOPY, and completions
 * read from the socket's error queue: each message there covers a range of
 * send ids [ee_info, ee_data] and says SO_EE_CODE_ZEROCOPY_COPIED when the
 * kernel copied after all.
 *
 * "batch" here means what it means for the io_uring loops as far as a
 * syscall API allows: up to `batch` sends, then a look at the error queue;
 * at most 2 x batch sends' buffers are outstanding (a buffer is reused only
 * after its completion), and the loop blocks in poll() for POLLERR only when
 * all of them are.
 */
#include <errno.h>
#include <time.h>		/* before linux/errqueue.h, which uses struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "bench/zc_tx.h"

#define MSGZC_POLL_MS 5000	/* no completion for this long: something is wrong */

struct msgzc {
	int fd;
	unsigned char *mem;
	unsigned stride, nbufs;
	uint64_t sent, done;	/* send ids issued / completed (ids are sequential) */
	bool optmem_full;	/* the last send got ENOBUFS: completions first */
};

static int fail(struct zc_tx_result *r, const char *what, int err)
{
	snprintf(r->err, sizeof(r->err), "MSG_ZEROCOPY baseline: %s: %s", what, strerror(err));
	return -1;
}

/* One error-queue message: a completed range of send ids. */
static void msgzc_completion(struct msgzc *z, const struct sock_extended_err *ee,
			     struct zc_tx_result *r)
{
	uint64_t n;

	if (ee->ee_errno != 0 || ee->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
		return;
	n = (uint64_t)(ee->ee_data - ee->ee_info) + 1;
	z->done += n;
	r->notifs++;
	r->zc_sends += n;
	if (ee->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
		r->zc_copied += n;
}

/* Read every completion queued now. 0, or -errno. */
static int msgzc_read_errqueue(struct msgzc *z, struct zc_tx_result *r)
{
	for (;;) {
		char control[128];
		struct msghdr msg = { .msg_control = control, .msg_controllen = sizeof(control) };
		struct cmsghdr *cm;

		if (recvmsg(z->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return errno == EAGAIN ? 0 : -errno;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if ((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
			    (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR))
				msgzc_completion(z, (const struct sock_extended_err *)CMSG_DATA(cm), r);
	}
}

/* Wait until the error queue has something (POLLERR is always reported). */
static int msgzc_wait(struct msgzc *z)
{
	struct pollfd pfd = { .fd = z->fd, .events = 0 };
	int n = poll(&pfd, 1, MSGZC_POLL_MS);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

static int msgzc_reap(struct msgzc *z, struct zc_tx_result *r)
{
	bool must_wait = z->optmem_full || z->sent - z->done >= z->nbufs;
	int ret;

	if (must_wait && (ret = msgzc_wait(z)) < 0)
		return ret;
	z->optmem_full = false;
	return msgzc_read_errqueue(z, r);
}

static int msgzc_send_one(struct msgzc *z, unsigned size, struct zc_tx_result *r)
{
	struct iovec iov = { z->mem + (z->sent % z->nbufs) * z->stride, size };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = sendmsg(z->fd, &msg, MSG_ZEROCOPY);

	if (n < 0) {
		/* ENOBUFS: too many completions pending (optmem); read them */
		if (errno == ENOBUFS || errno == EINTR) {
			z->optmem_full = errno == ENOBUFS;
			return 0;
		}
		return -errno;
	}
	z->sent++;
	r->requests++;
	r->bytes += (uint64_t)n;
	return 1;
}

static int msgzc_round(struct msgzc *z, const struct zc_tx_case *c, struct zc_tx_result *r)
{
	int ret = 1;

	for (unsigned i = 0; i < c->batch && ret == 1 && z->sent - z->done < z->nbufs; i++)
		ret = msgzc_send_one(z, c->size, r);
	if (ret < 0)
		return fail(r, "sendmsg(MSG_ZEROCOPY)", -ret);
	ret = msgzc_reap(z, r);
	return ret < 0 ? fail(r, "reading the error queue", -ret) : 0;
}

int msg_zerocopy_run(const struct zc_tx_case *c, struct zc_tx_result *r)
{
	struct msgzc z = { .fd = c->fd, .nbufs = 2 * c->batch };
	struct zc_tx_result scratch = { 0 };
	struct zc_tx_window w;
	int one = 1, ret = 0;

	if (setsockopt(c->fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) < 0)
		return fail(r, "setsockopt(SO_ZEROCOPY)", errno);
	z.mem = zc_tx_buffers(c->size, z.nbufs, &z.stride);
	if (!z.mem)
		return fail(r, "buffers", errno);
	zc_tx_window_start(&w, c);
	while (ret == 0 && zc_tx_window_tick(&w, r))
		ret = msgzc_round(&z, c, r);
	/* the pages stay in use until their completion arrives */
	while (z.done < z.sent && msgzc_wait(&z) == 0 && msgzc_read_errqueue(&z, &scratch) == 0)
		;
	zc_tx_buffers_free(z.mem, z.stride, z.nbufs);
	return ret;
}
