/* SPDX-License-Identifier: MIT */
/*
 * A UDP service socket as udp-echo and udp-relay run it: one socket per
 * worker on the service's address (rp_svc_socket: SO_REUSEPORT, local-cpu
 * steering), datagrams arriving by one multishot recvmsg that picks buffers
 * from the worker's buffer ring, and replies leaving through the gather /
 * GSO / order path (gso.h) with a per-destination policy (peer.h).
 *
 * The receive helpers also serve sockets that are not a service's own
 * (udp-relay's backend sockets): any fd, any recvmsg layout.
 */
#ifndef RP_UDP_SOCK_H
#define RP_UDP_SOCK_H

#include <stdbool.h>
#include <sys/socket.h>

#include "dataplane/gso.h"
#include "dataplane/peer.h"
#include "dataplane/zc.h"

struct io_uring_cqe;
struct rp_worker;
struct rp_svc_inst;

struct rp_udp_sock {
	int fd;
	bool armed;		/* the multishot recvmsg is in the kernel */
	struct msghdr mh;	/* the layout template recvmsg fills each buffer by */
	struct rp_zc_sock zs;	/* the service's policy: what a new peer starts from */
	struct rp_peer_table peers;
	struct rp_gso gso;
};

/* The worker's tx context, counting into this service's block. */
struct rp_tx rp_svc_tx(struct rp_worker *w, struct rp_svc_inst *si);

/* ---- any UDP socket ------------------------------------------------------ */

/* Arm a multishot recvmsg on fd from the worker's buffer ring, user_data ud.
 * false when no SQE was free (logged by rp_worker_sqe). */
bool rp_udp_recv_arm(struct rp_worker *w, int fd, struct msghdr *mh, uint64_t ud);

/*
 * One CQE of such a receive. Clears *armed when the receive ended. Returns
 * the buffer it delivered (now the caller's: HANDLER), or RP_BID_NONE; then
 * *err is the receive's error: 0 none; -ENOBUFS counted err_enobufs, the
 * pool marked starved and *starved set; -ECANCELED not counted; any other
 * counted err_recv (the caller may look at it: a refused destination).
 */
unsigned rp_udp_recv_cqe(struct rp_worker *w, struct rp_svc_inst *si,
			 const struct io_uring_cqe *cqe, bool *armed, bool *starved, int *err);

/* ---- the service socket -------------------------------------------------- */

/* Socket, policy, peers and GSO trains for service si; the recvmsg template
 * names addresses of the listen family. 0 or -errno (nothing left open). */
int rp_udp_sock_open(struct rp_udp_sock *u, struct rp_worker *w, struct rp_svc_inst *si);
/* Receive on it (object 0 in user_data), unless armed or stopping. */
void rp_udp_sock_arm(struct rp_udp_sock *u, struct rp_worker *w, struct rp_svc_inst *si);
/* Cancel that receive (stop). */
void rp_udp_sock_cancel(struct rp_udp_sock *u, struct rp_worker *w, struct rp_svc_inst *si);
/* Send what was gathered (svc_ops.flush), a train's completion (on_gso). */
void rp_udp_sock_flush(struct rp_udp_sock *u, struct rp_worker *w, struct rp_svc_inst *si);
void rp_udp_sock_gso_done(struct rp_udp_sock *u, struct rp_worker *w, struct rp_svc_inst *si,
			  const struct io_uring_cqe *cqe);
/* object: the peer a send was made for (rp_peer_ref), 0 for none: the
 * service's policy. NULL once that peer was evicted. */
struct rp_zc_sock *rp_udp_sock_zc(struct rp_udp_sock *u, uint64_t object);
/* Coalesced receives (UDP_GRO) on the service socket, where they can be
 * taken whole and answered or relayed as trains: GSO on, no sockperf
 * framing, buffers of at least RP_GRO_MIN_BUF bytes, and a zerocopy policy
 * that copies datagrams of train size (a coalesced buffer always leaves as
 * copies). The recvmsg template then leaves room for the UDP_GRO control
 * message (a non-zero msg_controllen says GRO is on). Best effort: a
 * kernel without it delivers datagrams one by one. true: on. */
#define RP_GRO_MIN_BUF 65535u	/* the largest coalesced packet: 64 KiB less headers */
bool rp_udp_sock_gro(struct rp_udp_sock *u, struct rp_worker *w, struct rp_svc_inst *si);
struct io_uring_recvmsg_out;
/* The segment size of a coalesced receive laid out by mh (its UDP_GRO
 * control message), 0: one datagram (or mh has no room for one). */
unsigned rp_udp_gro_seg(struct io_uring_recvmsg_out *out, struct msghdr *mh);
/* Takeover: take the socket out of its SO_REUSEPORT group's selection
 * without closing it, by connecting it to itself (its own address; the
 * loopback when bound to a wildcard): the kernel selects no connected
 * member for others' datagrams, what is queued stays readable, and
 * sendto() another address still works. A failure is logged. */
void rp_udp_sock_leave(struct rp_udp_sock *u, struct rp_svc_inst *si);
/* Nothing is queued on it (a zero-length datagram counts as something). */
bool rp_udp_sock_left(const struct rp_udp_sock *u);
/* After every send completed: free the trains, close. */
void rp_udp_sock_close(struct rp_udp_sock *u);

#endif
