/* SPDX-License-Identifier: MIT */
/*
 * `ringplane run --takeover`: a zero-downtime handover from a running
 * appliance to a new one on the same addresses (an upgrade, a new config).
 *
 *   new process                              old process
 *   ---------------------------------------  ------------------------------
 *   finds the old one: the process holding
 *   the service addresses (addr_owner.h)
 *   net.ipv4.tcp_migrate_req = 1 (netns)
 *   workers bind/listen: their sockets join
 *   the old SO_REUSEPORT groups, detach the
 *   old CPU program, steer by SO_INCOMING_CPU
 *   (reuseport.h): both processes now serve
 *   SIGUSR2 (pidfd) ------------------------> leaves every group (svc leave):
 *                                               TCP listener closed: its accept
 *                                               queue and half-open handshakes
 *                                               migrate to a listener left in
 *                                               the group (tcp_migrate_req);
 *                                               UDP socket connected to itself:
 *                                               out of the selection, its queue
 *                                               still read to the end;
 *                                             serves its open connections until
 *                                             they end (or drain-timeout-ms),
 *                                             then the normal drain; exit 0
 *   the old PID has exited: metrics start
 *   (their port was the old one's)
 *
 * Kernel facts (probed on 6.18, 127.0.0.1, two sockets in a group):
 * closing a listener with 64 connections queued reset 31 of them with
 * tcp_migrate_req 0 and none with 1 (all accepted on the other listener);
 * a connected UDP socket in a group gets no datagram of others (0 of 200)
 * yet still returns what was queued before the connect, and sendto() to
 * another address works on it; SO_DETACH_REUSEPORT_BPF through any member
 * detaches the group's program; with SO_INCOMING_CPU set on members and no
 * program, a datagram handled on CPU c goes to the member of CPU c.
 */
#ifndef RP_TAKEOVER_H
#define RP_TAKEOVER_H

#include <stdbool.h>
#include <sys/types.h>

#include "config/config.h"

struct rp_takeover {
	pid_t old;		/* the appliance taken over */
	int pidfd;		/* its pidfd: signalled and watched without PID reuse */
	bool tcp;		/* a TCP address is taken over */
	bool exited;
};

/* Find the one appliance holding the service addresses and open its pidfd.
 * 0, or -1 logged: no address held (nothing to take over), one held by a
 * process that is not a ringplane, or by two different processes. */
int rp_takeover_find(const struct rp_config *cfg, struct rp_takeover *tk);
/* Before any socket: net.ipv4.tcp_migrate_req in this namespace is 1 (set
 * now if it was 0) when a TCP address is taken over. 0, or -1 logged. */
int rp_takeover_prepare(const struct rp_takeover *tk);
/* Once every worker serves: SIGUSR2 to the old one. 0, or -1 logged. */
int rp_takeover_signal(const struct rp_takeover *tk);
/* Has the old one exited? (no wait; true once it has, logged once) */
bool rp_takeover_old_exited(struct rp_takeover *tk);
void rp_takeover_close(struct rp_takeover *tk);

#endif
