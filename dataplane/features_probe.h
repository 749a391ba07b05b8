/* SPDX-License-Identifier: MIT */
/*
 * The probes behind the feature table (features.c). Each one tries the real
 * thing on a scratch ring and returns 0 when it worked, or a negative errno;
 * it may write a sentence into why when the errno alone would mislead
 * ("completed without IORING_CQE_F_MORE"). `arg` is the row's argument (a
 * setup flag, an opcode variant), so one probe serves several rows.
 */
#ifndef RP_FEATURES_PROBE_H
#define RP_FEATURES_PROBE_H

#include <stdbool.h>
#include <stddef.h>

typedef int (*rp_probe_fn)(unsigned arg, char *why, size_t len);

/* Variants for rp_probe_send_zc's arg. */
enum {
	RP_ZC_MSG = 1 << 0,	/* SENDMSG_ZC rather than SEND_ZC */
	RP_ZC_FIXED = 1 << 1,	/* from a registered buffer */
	RP_ZC_USAGE = 1 << 2,	/* IORING_SEND_ZC_REPORT_USAGE */
};

/* Variants for rp_probe_msg_ring's arg. */
enum {
	RP_MSG_DATA,		/* plain data message */
	RP_MSG_FD,		/* fixed file passing */
	RP_MSG_CQE_FLAGS,	/* IORING_MSG_RING_FLAGS_PASS */
	RP_MSG_SYNC,		/* io_uring_register_sync_msg, no source ring */
};

int rp_probe_setup(unsigned setup_flags, char *why, size_t len);
/* Does loopback carry traffic in this network namespace? (A plain UDP
 * datagram to ourselves, 200 ms.) The socket probes need it. */
bool rp_probe_loopback_works(void);
int rp_probe_feat_bit(unsigned feat_bit, char *why, size_t len);
int rp_probe_nop(unsigned arg, char *why, size_t len);
int rp_probe_send_zc(unsigned variant, char *why, size_t len);
/* Variants for rp_probe_recv_multishot's arg. */
enum {
	RP_RECV_PLAIN,		/* RECV multishot */
	RP_RECV_MSG,		/* RECVMSG multishot */
	RP_RECV_LIMIT,		/* RECV multishot ended by its byte limit (sqe->optlen) */
};

int rp_probe_recv_multishot(unsigned variant, char *why, size_t len);
int rp_probe_accept_multishot(unsigned arg, char *why, size_t len);
int rp_probe_msg_ring(unsigned variant, char *why, size_t len);
int rp_probe_futex(unsigned opcode, char *why, size_t len);
int rp_probe_cmd_sock(unsigned arg, char *why, size_t len);
/* IORING_OP_SOCKET into the fixed-file table, CONNECT and SHUTDOWN on it. */
int rp_probe_socket_direct(unsigned arg, char *why, size_t len);
int rp_probe_fixed_buffers(unsigned arg, char *why, size_t len);
int rp_probe_sparse_files(unsigned alloc_range, char *why, size_t len);
int rp_probe_pbuf_ring(unsigned ring_flags, char *why, size_t len);
int rp_probe_napi(unsigned arg, char *why, size_t len);
int rp_probe_clone_buffers(unsigned arg, char *why, size_t len);
int rp_probe_zcrx(unsigned arg, char *why, size_t len);
/* Can a zcrx area be a udmabuf (is there /dev/udmabuf)? */
int rp_probe_zcrx_dmabuf(unsigned arg, char *why, size_t len);

#endif
