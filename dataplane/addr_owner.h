/* SPDX-License-Identifier: MIT */
/*
 * One appliance per address. Every worker socket sets SO_REUSEPORT (one
 * socket per worker in a group), so a second `ringplane run` with the same
 * config would join the running one's groups and silently take half of its
 * traffic. Before any worker binds, each service's address is probed with
 * a socket that cannot join a group (no SO_REUSEPORT; for UDP no
 * SO_REUSEADDR either, for TCP SO_REUSEADDR so that a previous run's
 * TIME_WAIT connections do not count): EADDRINUSE means some socket holds
 * the address, and the error names the process that owns it (the socket's
 * inode from /proc/net/{tcp,udp}{,6}, found among /proc/PID/fd). Nothing
 * is left behind to go stale: after a crash the kernel closes the
 * sockets, though a killed process's io_uring may hold some for a moment
 * longer (its teardown runs after the process is gone), so an address held
 * by no process is probed again for up to 5 s before it counts as taken.
 */
#ifndef RP_ADDR_OWNER_H
#define RP_ADDR_OWNER_H

#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"

/* 0: every service's address is free; -1: one is not (logged: service,
 * address, owning PID and its name when found). */
int rp_addr_probe_services(const struct rp_config *cfg);

/* Can a socket that joins no group bind addr? 0 free, -EADDRINUSE held,
 * other -errno: the probe itself failed. */
int rp_addr_probe(const struct rp_addr *addr, int socktype);

/* The PID of a process holding a socket of this type (SOCK_DGRAM or
 * SOCK_STREAM, listening) bound to addr's port and family; 0: not found
 * (another user's process, or gone). comm gets its name. */
pid_t rp_addr_owner(const struct rp_addr *addr, int socktype, char *comm, size_t n);

#endif
