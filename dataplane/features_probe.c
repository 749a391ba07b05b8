/* SPDX-License-Identifier: MIT */
/*
 * Feature probes: each tries the real operation on a scratch ring, over
 * loopback sockets, and cleans up after itself. A probe never guesses from
 * version numbers: a kernel may have a backported feature or a disabled one.
 */
#include <errno.h>
#include <linux/futex.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liburing.h>

#include "dataplane/features_probe.h"
#include "dataplane/zcrx.h"

#define PROBE_ENTRIES	8
#define PROBE_BGID	7
#define PROBE_PAYLOAD	64
#define PROBE_BUF_SIZE	4096
#define PROBE_MSG_DATA	0x5150ULL	/* user_data of MSG_RING probes */
#define PROBE_MSG_LEN	0x2a		/* res of MSG_RING probes */
#define PROBE_CQE_FLAGS	(1U << 16)	/* flags passed by IORING_MSG_RING_FLAGS_PASS */

/* Every wait is bounded: a probe must answer, even on a broken kernel. */
static const struct __kernel_timespec probe_timeout = { .tv_sec = 1 };

struct probe_cqe {
	int res;
	unsigned flags;
	__u64 data;
};

static int ring_open(struct io_uring *ring, unsigned setup_flags)
{
	struct io_uring_params p = { .flags = setup_flags, .cq_entries = 4 * PROBE_ENTRIES };

	return io_uring_queue_init_params(PROBE_ENTRIES, ring, &p);
}

/* Two scratch rings, for the probes that talk from one to the other. */
static int ring_pair_open(struct io_uring *src, struct io_uring *dst)
{
	int ret = ring_open(src, 0);

	if (ret)
		return ret;
	ret = ring_open(dst, 0);
	if (ret)
		io_uring_queue_exit(src);
	return ret;
}

static void ring_pair_close(struct io_uring *src, struct io_uring *dst)
{
	io_uring_queue_exit(dst);
	io_uring_queue_exit(src);
}

/* Submit what is queued, then wait (bounded) for one completion. */
static int reap(struct io_uring *ring, struct probe_cqe *out)
{
	struct __kernel_timespec ts = probe_timeout;
	struct io_uring_cqe *cqe = NULL;
	int ret;

	ret = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, NULL);
	if (ret < 0)
		return ret;
	if (!cqe)
		return -ETIME;
	*out = (struct probe_cqe){ cqe->res, cqe->flags, cqe->user_data };
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/* Reap one completion and fail with its error, if it carries one. */
static int reap_ok(struct io_uring *ring, struct probe_cqe *out)
{
	int ret = reap(ring, out);

	if (ret)
		return ret;
	return out->res < 0 ? out->res : 0;
}

static int loopback_socket(int type, struct sockaddr_in *addr)
{
	socklen_t alen = sizeof(*addr);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	*addr = (struct sockaddr_in){ .sin_family = AF_INET,
				      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    getsockname(fd, (struct sockaddr *)addr, &alen)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Two UDP sockets on 127.0.0.1, connected to each other. */
static int udp_pair(int fd[2])
{
	struct sockaddr_in a[2];

	fd[0] = loopback_socket(SOCK_DGRAM, &a[0]);
	if (fd[0] < 0)
		return fd[0];
	fd[1] = loopback_socket(SOCK_DGRAM, &a[1]);
	if (fd[1] < 0) {
		close(fd[0]);
		return fd[1];
	}
	if (connect(fd[0], (struct sockaddr *)&a[1], sizeof(a[1])) ||
	    connect(fd[1], (struct sockaddr *)&a[0], sizeof(a[0]))) {
		int err = -errno;

		close(fd[0]);
		close(fd[1]);
		return err;
	}
	return 0;
}

static void udp_pair_close(int fd[2])
{
	close(fd[0]);
	close(fd[1]);
}

bool rp_probe_loopback_works(void)
{
	struct pollfd pfd;
	int fd[2];
	bool ok;

	if (udp_pair(fd))
		return false;
	pfd = (struct pollfd){ .fd = fd[1], .events = POLLIN };
	ok = send(fd[0], "p", 1, 0) == 1 && poll(&pfd, 1, 200) == 1;
	udp_pair_close(fd);
	return ok;
}

/* ---- setup flags and feature bits --------------------------------------- */

int rp_probe_setup(unsigned setup_flags, char *why, size_t len)
{
	struct io_uring ring;
	int ret = ring_open(&ring, setup_flags);

	(void)why, (void)len;
	if (!ret)
		io_uring_queue_exit(&ring);
	return ret;
}

int rp_probe_feat_bit(unsigned feat_bit, char *why, size_t len)
{
	struct io_uring_params p = { 0 };
	struct io_uring ring;
	int ret = io_uring_queue_init_params(PROBE_ENTRIES, &ring, &p);

	if (ret)
		return ret;
	io_uring_queue_exit(&ring);
	if (p.features & feat_bit)
		return 0;
	snprintf(why, len, "kernel does not report the feature bit 0x%x", feat_bit);
	return -EOPNOTSUPP;
}

int rp_probe_nop(unsigned arg, char *why, size_t len)
{
	struct probe_cqe c;
	struct io_uring ring;
	int ret = ring_open(&ring, 0);

	(void)arg, (void)why, (void)len;
	if (ret)
		return ret;
	io_uring_prep_nop(io_uring_get_sqe(&ring));
	ret = reap_ok(&ring, &c);
	io_uring_queue_exit(&ring);
	return ret;
}

/* ---- zerocopy send ------------------------------------------------------ */

static int prep_send_zc(struct io_uring *ring, int fd, unsigned variant, void *buf,
			char *why, size_t len)
{
	static struct iovec iov;
	static struct msghdr msg;
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	unsigned zc_flags = variant & RP_ZC_USAGE ? IORING_SEND_ZC_REPORT_USAGE : 0;

	iov = (struct iovec){ buf, PROBE_PAYLOAD };
	msg = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
	switch (variant & (RP_ZC_MSG | RP_ZC_FIXED)) {
	case 0:
		io_uring_prep_send_zc(sqe, fd, buf, PROBE_PAYLOAD, 0, zc_flags);
		return 0;
	case RP_ZC_FIXED:
		io_uring_prep_send_zc_fixed(sqe, fd, buf, PROBE_PAYLOAD, 0, zc_flags, 0);
		return 0;
	case RP_ZC_MSG:
		io_uring_prep_sendmsg_zc(sqe, fd, &msg, 0);
		sqe->ioprio |= zc_flags;
		return 0;
	default:
#if IO_URING_CHECK_VERSION(2, 10)
		snprintf(why, len, "liburing too old at build time (2.10+ needed)");
		return -ENOSYS;
#else
		(void)why, (void)len;
		io_uring_prep_sendmsg_zc_fixed(sqe, fd, &msg, 0, 0);
		sqe->ioprio |= zc_flags;
		return 0;
#endif
	}
}

/* The send completes with F_MORE, then the notification with F_NOTIF. */
static int check_send_zc(struct io_uring *ring, char *why, size_t len)
{
	struct probe_cqe c;
	int ret = reap_ok(ring, &c);

	if (ret)
		return ret;
	if (c.res != PROBE_PAYLOAD) {
		snprintf(why, len, "sent %d of %d bytes", c.res, PROBE_PAYLOAD);
		return -EIO;
	}
	if (!(c.flags & IORING_CQE_F_MORE)) {
		snprintf(why, len, "completed without a notification to follow (no IORING_CQE_F_MORE)");
		return -EPROTO;
	}
	ret = reap(ring, &c);
	if (ret)
		return ret;
	if (!(c.flags & IORING_CQE_F_NOTIF)) {
		snprintf(why, len, "second completion is not a notification (no IORING_CQE_F_NOTIF)");
		return -EPROTO;
	}
	return 0;
}

int rp_probe_send_zc(unsigned variant, char *why, size_t len)
{
	struct iovec iov;
	struct io_uring ring;
	int fd[2], ret;
	void *buf;

	buf = aligned_alloc(PROBE_BUF_SIZE, PROBE_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	memset(buf, 'z', PROBE_BUF_SIZE);
	ret = ring_open(&ring, 0);
	if (ret)
		goto out_buf;
	ret = udp_pair(fd);
	if (ret)
		goto out_ring;
	iov = (struct iovec){ buf, PROBE_BUF_SIZE };
	if (variant & RP_ZC_FIXED) {
		ret = io_uring_register_buffers(&ring, &iov, 1);
		if (ret) {
			snprintf(why, len, "registering the send buffer failed: %s", strerror(-ret));
			goto out_fds;
		}
	}
	ret = prep_send_zc(&ring, fd[0], variant, buf, why, len);
	if (!ret)
		ret = check_send_zc(&ring, why, len);
out_fds:
	udp_pair_close(fd);
out_ring:
	io_uring_queue_exit(&ring);
out_buf:
	free(buf);
	return ret;
}

/* ---- multishot receive and accept --------------------------------------- */

/* A multishot request stays armed: its completion must carry F_MORE. */
static int check_multishot(const struct probe_cqe *c, char *why, size_t len)
{
	if (c->res < 0)
		return c->res;
	if (!(c->flags & IORING_CQE_F_MORE)) {
		snprintf(why, len, "completed once without IORING_CQE_F_MORE (not multishot)");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* A multishot receive with a byte limit (sqe->optlen) smaller than what
 * arrives must end with that completion: no F_MORE. A kernel without the
 * limit ignores optlen and keeps the receive armed. */
static int check_limited(const struct probe_cqe *c, char *why, size_t len)
{
	if (c->res < 0)
		return c->res;
	if (c->flags & IORING_CQE_F_MORE) {
		snprintf(why, len, "the receive stayed armed past its byte limit (optlen ignored)");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int recv_multishot_on(struct io_uring *ring, int fd[2], unsigned variant,
			     char *why, size_t len)
{
	static struct msghdr msg;
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct probe_cqe c;
	int ret;

	msg = (struct msghdr){ 0 };
	if (variant == RP_RECV_MSG)
		io_uring_prep_recvmsg_multishot(sqe, fd[1], &msg, 0);
	else
		io_uring_prep_recv_multishot(sqe, fd[1], NULL, 0, 0);
	if (variant == RP_RECV_LIMIT)
		sqe->optlen = 3;	/* less than the 5 bytes sent */
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = PROBE_BGID;
	ret = io_uring_submit(ring);
	if (ret < 0)
		return ret;
	if (send(fd[0], "probe", 5, 0) < 0)
		return -errno;
	ret = reap(ring, &c);
	if (ret)
		return ret;
	return variant == RP_RECV_LIMIT ? check_limited(&c, why, len) : check_multishot(&c, why, len);
}

int rp_probe_recv_multishot(unsigned variant, char *why, size_t len)
{
	enum { NBUF = 4, BUFSZ = 256 };
	static char bufs[NBUF][BUFSZ];
	struct io_uring_buf_ring *br;
	struct io_uring ring;
	int fd[2], ret;

	ret = ring_open(&ring, 0);
	if (ret)
		return ret;
	br = io_uring_setup_buf_ring(&ring, NBUF, PROBE_BGID, 0, &ret);
	if (!br) {
		snprintf(why, len, "provided buffer ring unavailable: %s", strerror(-ret));
		goto out_ring;
	}
	for (int i = 0; i < NBUF; i++)
		io_uring_buf_ring_add(br, bufs[i], BUFSZ, i, io_uring_buf_ring_mask(NBUF), i);
	io_uring_buf_ring_advance(br, NBUF);
	ret = udp_pair(fd);
	if (!ret) {
		ret = recv_multishot_on(&ring, fd, variant, why, len);
		udp_pair_close(fd);
	}
	io_uring_free_buf_ring(&ring, br, NBUF, PROBE_BGID);
out_ring:
	io_uring_queue_exit(&ring);
	return ret;
}

/*
 * connect, bounded like every other wait here: with lo down a blocking
 * connect waits out every SYN retry (minutes). Non-blocking + poll rather
 * than SO_SNDTIMEO, which turns the ring's task-work interruption of the
 * connect into a spurious EINTR.
 */
static int connect_bounded(int fd, const struct sockaddr_in *addr)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int err = 0, n;
	socklen_t elen = sizeof(err);

	if (!connect(fd, (const struct sockaddr *)addr, sizeof(*addr)))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	do
		n = poll(&pfd, 1, (int)probe_timeout.tv_sec * 1000);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n ? -errno : -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
		return -errno;
	return -err;
}

static int accept_multishot_on(struct io_uring *ring, int lfd,
			       const struct sockaddr_in *addr, char *why, size_t len)
{
	struct probe_cqe c;
	int cfd, ret;

	io_uring_prep_multishot_accept(io_uring_get_sqe(ring), lfd, NULL, NULL, 0);
	ret = io_uring_submit(ring);
	if (ret < 0)
		return ret;
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cfd < 0)
		return -errno;
	ret = connect_bounded(cfd, addr);
	if (!ret)
		ret = reap(ring, &c);
	if (!ret) {
		if (c.res >= 0)
			close(c.res);
		ret = check_multishot(&c, why, len);
	}
	close(cfd);
	return ret;
}

typedef int (*listener_probe_fn)(struct io_uring *ring, int lfd,
				 const struct sockaddr_in *addr, char *why, size_t len);

/* fn with a listening TCP socket on 127.0.0.1 and a scratch ring. */
static int on_listener(listener_probe_fn fn, char *why, size_t len)
{
	struct sockaddr_in addr;
	struct io_uring ring;
	int lfd = loopback_socket(SOCK_STREAM, &addr), ret;

	if (lfd < 0)
		return lfd;
	ret = listen(lfd, 4) ? -errno : ring_open(&ring, 0);
	if (!ret) {
		ret = fn(&ring, lfd, &addr, why, len);
		io_uring_queue_exit(&ring);
	}
	close(lfd);
	return ret;
}

int rp_probe_accept_multishot(unsigned arg, char *why, size_t len)
{
	(void)arg;
	return on_listener(accept_multishot_on, why, len);
}

/* ---- outgoing connections (tcp-proxy) ------------------------------------ */

static int direct_step(struct io_uring *ring, const char *what, struct probe_cqe *c,
		       char *why, size_t len)
{
	int ret = reap_ok(ring, c);

	if (ret)
		snprintf(why, len, "%s: %s", what, strerror(-ret));
	return ret;
}

/* Make a socket in a sparse table (the kernel picks the slot), connect it
 * to a loopback listener and shut its sending side, all on the slot. */
static int socket_direct_on(struct io_uring *ring, int lfd, const struct sockaddr_in *addr,
			    char *why, size_t len)
{
	struct io_uring_sqe *sqe;
	struct probe_cqe c;
	int ret = io_uring_register_files_sparse(ring, 4), slot;

	(void)lfd;
	if (ret)
		return ret;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_socket_direct_alloc(sqe, AF_INET, SOCK_STREAM, 0, 0);
	ret = direct_step(ring, "IORING_OP_SOCKET into the fixed-file table", &c, why, len);
	if (ret)
		return ret;
	slot = c.res;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_connect(sqe, slot, (const struct sockaddr *)addr, sizeof(*addr));
	sqe->flags |= IOSQE_FIXED_FILE;
	ret = direct_step(ring, "CONNECT on the direct descriptor", &c, why, len);
	if (ret)
		return ret;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_shutdown(sqe, slot, SHUT_WR);
	sqe->flags |= IOSQE_FIXED_FILE;
	return direct_step(ring, "SHUTDOWN on the direct descriptor", &c, why, len);
}

int rp_probe_socket_direct(unsigned arg, char *why, size_t len)
{
	(void)arg;
	return on_listener(socket_direct_on, why, len);
}

/* ---- MSG_RING ----------------------------------------------------------- */

/* The sender's side of a MSG_RING probe, by variant. */
static int msg_ring_send(struct io_uring *src, struct io_uring *dst, unsigned variant,
			 char *why, size_t len)
{
	struct io_uring_sqe *sqe;
	struct probe_cqe c;

	if (variant == RP_MSG_SYNC) {
#if IO_URING_CHECK_VERSION(2, 12)
		(void)src;
		snprintf(why, len, "liburing too old at build time (2.12+ needed)");
		return -ENOSYS;
#else
		struct io_uring_sqe s = { 0 };

		(void)src, (void)why, (void)len;
		io_uring_prep_msg_ring(&s, dst->ring_fd, PROBE_MSG_LEN, PROBE_MSG_DATA, 0);
		return io_uring_register_sync_msg(&s);
#endif
	}
	sqe = io_uring_get_sqe(src);
	if (variant == RP_MSG_FD)
		io_uring_prep_msg_ring_fd(sqe, dst->ring_fd, 0, 0, PROBE_MSG_DATA, 0);
	else if (variant == RP_MSG_CQE_FLAGS)
		io_uring_prep_msg_ring_cqe_flags(sqe, dst->ring_fd, PROBE_MSG_LEN, PROBE_MSG_DATA,
						 IORING_MSG_RING_FLAGS_PASS, PROBE_CQE_FLAGS);
	else
		io_uring_prep_msg_ring(sqe, dst->ring_fd, PROBE_MSG_LEN, PROBE_MSG_DATA, 0);
	return reap_ok(src, &c);
}

/* The receiver's side: the message arrived, with what the variant passes. */
static int msg_ring_check(struct io_uring *dst, unsigned variant, char *why, size_t len)
{
	struct probe_cqe c;
	int ret = reap(dst, &c);

	if (ret)
		return ret;
	if (c.data != PROBE_MSG_DATA) {
		snprintf(why, len, "target ring got user_data 0x%llx", (unsigned long long)c.data);
		return -EPROTO;
	}
	if (variant == RP_MSG_FD)
		return c.res < 0 ? c.res : 0;
	if (c.res != PROBE_MSG_LEN) {
		snprintf(why, len, "target ring got res %d, sent %d", c.res, PROBE_MSG_LEN);
		return -EPROTO;
	}
	if (variant == RP_MSG_CQE_FLAGS && c.flags != PROBE_CQE_FLAGS) {
		snprintf(why, len, "target ring got flags 0x%x, passed 0x%x", c.flags, PROBE_CQE_FLAGS);
		return -EPROTO;
	}
	return 0;
}

/* Fixed file tables on both rings and a socket in the sender's slot 0. */
static int msg_ring_fd_setup(struct io_uring *src, struct io_uring *dst)
{
	int ret, fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	ret = io_uring_register_files_sparse(src, 2);
	if (!ret)
		ret = io_uring_register_files_sparse(dst, 2);
	if (!ret)
		ret = io_uring_register_files_update(src, 0, &fd, 1);
	close(fd);	/* the table holds its own reference */
	return ret < 0 ? ret : 0;
}

int rp_probe_msg_ring(unsigned variant, char *why, size_t len)
{
	struct io_uring src, dst;
	int ret = ring_pair_open(&src, &dst);

	if (ret)
		return ret;
	if (variant == RP_MSG_FD)
		ret = msg_ring_fd_setup(&src, &dst);
	if (!ret)
		ret = msg_ring_send(&src, &dst, variant, why, len);
	if (!ret)
		ret = msg_ring_check(&dst, variant, why, len);
	ring_pair_close(&src, &dst);
	return ret;
}

/* ---- futex, uring_cmd --------------------------------------------------- */

/*
 * Waits are asked to wait for a value the word does not hold, so a kernel
 * that implements them answers EAGAIN at once; a wake with no waiter wakes 0.
 */
int rp_probe_futex(unsigned opcode, char *why, size_t len)
{
	static uint32_t word = 1;
	static struct futex_waitv wv;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct probe_cqe c;
	int ret = ring_open(&ring, 0);

	if (ret)
		return ret;
	sqe = io_uring_get_sqe(&ring);
	wv = (struct futex_waitv){ .val = 0, .uaddr = (uintptr_t)&word, .flags = FUTEX2_SIZE_U32 };
	if (opcode == IORING_OP_FUTEX_WAKE)
		io_uring_prep_futex_wake(sqe, &word, 1, FUTEX_BITSET_MATCH_ANY, FUTEX2_SIZE_U32, 0);
	else if (opcode == IORING_OP_FUTEX_WAIT)
		io_uring_prep_futex_wait(sqe, &word, 0, FUTEX_BITSET_MATCH_ANY, FUTEX2_SIZE_U32, 0);
	else
		io_uring_prep_futex_waitv(sqe, &wv, 1, 0);
	ret = reap(&ring, &c);
	io_uring_queue_exit(&ring);
	if (ret)
		return ret;
	if (c.res >= 0 || c.res == -EAGAIN)
		return 0;
	snprintf(why, len, "futex request failed: %s", strerror(-c.res));
	return c.res;
}

int rp_probe_cmd_sock(unsigned arg, char *why, size_t len)
{
	static int type;
	struct io_uring ring;
	struct probe_cqe c;
	int fd, ret;

	(void)arg;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = ring_open(&ring, 0);
	if (ret)
		goto out_fd;
	type = 0;
	io_uring_prep_cmd_sock(io_uring_get_sqe(&ring), SOCKET_URING_OP_GETSOCKOPT, fd,
			       SOL_SOCKET, SO_TYPE, &type, sizeof(type));
	ret = reap_ok(&ring, &c);
	if (!ret && type != SOCK_DGRAM) {
		snprintf(why, len, "getsockopt(SO_TYPE) answered %d, not SOCK_DGRAM", type);
		ret = -EPROTO;
	}
	io_uring_queue_exit(&ring);
out_fd:
	close(fd);
	return ret;
}

/* ---- registration ------------------------------------------------------- */

static int register_one_buffer(struct io_uring *ring, void **buf)
{
	struct iovec iov;

	*buf = aligned_alloc(PROBE_BUF_SIZE, PROBE_BUF_SIZE);
	if (!*buf)
		return -ENOMEM;
	iov = (struct iovec){ *buf, PROBE_BUF_SIZE };
	return io_uring_register_buffers(ring, &iov, 1);
}

int rp_probe_fixed_buffers(unsigned arg, char *why, size_t len)
{
	struct io_uring ring;
	void *buf = NULL;
	int ret = ring_open(&ring, 0);

	(void)arg, (void)why, (void)len;
	if (ret)
		return ret;
	ret = register_one_buffer(&ring, &buf);
	io_uring_queue_exit(&ring);
	free(buf);
	return ret;
}

int rp_probe_sparse_files(unsigned alloc_range, char *why, size_t len)
{
	struct io_uring ring;
	int ret = ring_open(&ring, 0);

	if (ret)
		return ret;
	ret = io_uring_register_files_sparse(&ring, 16);
	if (ret)
		snprintf(why, len, "sparse file table refused: %s", strerror(-ret));
	else if (alloc_range)
		ret = io_uring_register_file_alloc_range(&ring, 8, 8);
	io_uring_queue_exit(&ring);
	return ret;
}

int rp_probe_pbuf_ring(unsigned ring_flags, char *why, size_t len)
{
	struct io_uring_buf_ring *br;
	struct io_uring ring;
	int ret = ring_open(&ring, 0);

	(void)why, (void)len;
	if (ret)
		return ret;
	br = io_uring_setup_buf_ring(&ring, 8, PROBE_BGID, ring_flags, &ret);
	if (br)
		io_uring_free_buf_ring(&ring, br, 8, PROBE_BGID);
	io_uring_queue_exit(&ring);
	return br ? 0 : ret;
}

int rp_probe_napi(unsigned arg, char *why, size_t len)
{
	struct io_uring_napi napi = { .busy_poll_to = 50, .prefer_busy_poll = 1 };
	struct io_uring ring;
	int ret = ring_open(&ring, 0);

	(void)arg, (void)why, (void)len;
	if (ret)
		return ret;
	ret = io_uring_register_napi(&ring, &napi);
	if (!ret)
		io_uring_unregister_napi(&ring, &napi);
	io_uring_queue_exit(&ring);
	return ret;
}

/* What udp-relay does (bufclone.h): a ring that has its own buffer takes
 * another's after it (dst_off 1, IORING_REGISTER_DST_REPLACE: 6.13). */
int rp_probe_clone_buffers(unsigned arg, char *why, size_t len)
{
	struct io_uring src, dst;
	void *buf = NULL, *own = NULL;
	int ret = ring_pair_open(&src, &dst);

	(void)arg;
	if (ret)
		return ret;
	ret = register_one_buffer(&src, &buf);
	if (!ret)
		ret = register_one_buffer(&dst, &own);
	if (ret)
		snprintf(why, len, "registering the probe's buffers failed: %s", strerror(-ret));
	else
		ret = __io_uring_clone_buffers_offset(&dst, &src, 1, 0, 1,
						      IORING_REGISTER_DST_REPLACE);
	ring_pair_close(&src, &dst);
	free(buf);
	free(own);
	return ret;
}

/*
 * Does the kernel have zcrx registration? Asked with a registration that
 * names no device (dataplane/zcrx.c): nothing is taken over, so a
 * read-only `features` may ask. Whether an interface queue can take it is
 * the per-interface table `ringplane features` prints below this one.
 */
int rp_probe_zcrx(unsigned arg, char *why, size_t len)
{
	(void)arg;
	return rp_zcrx_kernel_probe(why, len);
}

/*
 * A zcrx area from a dma-buf (kernel 6.16+) is registered only together
 * with a device, so the kernel's side cannot be asked without one; what
 * this machine can answer is whether the udmabuf it would be made of can
 * exist (dataplane/zcrx_area.c).
 */
int rp_probe_zcrx_dmabuf(unsigned arg, char *why, size_t len)
{
	(void)arg;
	return rp_zcrx_area_probe(RP_RXZC_SRC_DMABUF, why, len);
}
