/* SPDX-License-Identifier: MIT */
/*
 * What a CQE's user_data means. Every SQE the dataplane submits carries an
 * operation tag in the top 8 bits and 56 bits of operation-specific data
 * (a pointer fits: user-space pointers on x86-64 and arm64 use <= 48 bits, a
 * buffer id, a connection slot, a message type + payload). The worker's
 * completion loop dispatches on the tag through one table (worker.c), the way
 * the kernel's opdef.c names each operation once.
 *
 * Messages from other rings (MSG_RING) arrive with RP_OP_MSG: the sender
 * chooses the target CQE's user_data, so the tag travels with the message.
 */
#ifndef RP_UDATA_H
#define RP_UDATA_H

#include <stdint.h>

enum rp_op {
	RP_OP_NONE = 0,		/* completions nobody waits for */
	RP_OP_MSG,		/* a message from another ring (dataplane/msg.c) */
	RP_OP_ACCEPT,
	RP_OP_RECV,
	RP_OP_SEND,
	RP_OP_SEND_ZC,
	RP_OP_SEND_GSO,		/* a UDP GSO train (dataplane/gso.h) */
	RP_OP_CLOSE,
	RP_OP_CANCEL,
	RP_OP_TIMEOUT,
	RP_OP_SOCK_CMD,		/* URING_CMD on a socket (getsockopt) */
	RP_OP_SOCKET,		/* a socket made straight into the fixed-file table */
	RP_OP_CONNECT,
	RP_OP_SHUTDOWN,
	RP_OP_SEND_BUNDLE,	/* a send from a service's own send buffer ring */
	RP_OP_PROBE,		/* a health check's connect (dataplane/proxy_health.h) */
	RP_OP__COUNT,
};

#define RP_UD_SHIFT 56
#define RP_UD_MASK  ((1ULL << RP_UD_SHIFT) - 1)

static inline uint64_t rp_ud(enum rp_op op, uint64_t data)
{
	return ((uint64_t)op << RP_UD_SHIFT) | (data & RP_UD_MASK);
}

static inline enum rp_op rp_ud_op(uint64_t ud)
{
	return (enum rp_op)(ud >> RP_UD_SHIFT);
}

static inline uint64_t rp_ud_data(uint64_t ud)
{
	return ud & RP_UD_MASK;
}

static inline void *rp_ud_ptr(uint64_t ud)
{
	return (void *)(uintptr_t)(ud & RP_UD_MASK);
}

#endif
