/* SPDX-License-Identifier: MIT */
/*
 * NAPI busy polling per ring: when workers.busy-poll-usec > 0 the ring
 * registers IORING_REGISTER_NAPI so that waiting for completions busy-polls
 * the NAPI instances of the sockets it serves instead of sleeping.
 */
#ifndef RP_NAPI_H
#define RP_NAPI_H

#include "config/config.h"

struct io_uring;

/* Register when configured. 0 (also when not configured), or -errno after
 * logging that the kernel refused (the worker runs on without it). */
int rp_napi_setup(struct io_uring *ring, const struct rp_workers_cfg *wc);

#endif
