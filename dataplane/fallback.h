/* SPDX-License-Identifier: MIT */
/*
 * An expiring fallback: "use the slow, safe way for this destination until
 * time T". The kernel's answer that made us fall back (a zerocopy send it
 * copied, a GSO send it refused) describes a path, and paths change: a
 * permanent switch would punish a peer forever for one route or one local
 * hop. So every fallback ends after a configured retry time and the fast
 * way is tried again; if the reason persists, the next report trips it
 * again.
 *
 * One mechanism for every user: the zerocopy policy of a TCP connection
 * (struct rp_zc_sock, zc.h), and the zerocopy and GSO switches of each UDP
 * destination (struct rp_peer, peer.h).
 *
 * Time is CLOCK_MONOTONIC_COARSE milliseconds (a vDSO read, no syscall),
 * and it is read only while a fallback is active: the hot path of a
 * destination that never fell back tests one integer.
 */
#ifndef RP_FALLBACK_H
#define RP_FALLBACK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct rp_fallback {
	uint64_t until_ms;	/* 0: not active; UINT64_MAX: until the process ends */
};

static inline uint64_t rp_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Active at now_ms? An expired fallback clears itself (tests pass now_ms). */
static inline bool rp_fallback_active_at(struct rp_fallback *f, uint64_t now_ms)
{
	if (now_ms < f->until_ms)
		return true;
	f->until_ms = 0;
	return false;
}

static inline bool rp_fallback_active(struct rp_fallback *f)
{
	return f->until_ms && rp_fallback_active_at(f, rp_clock_ms());
}

/*
 * Fall back from now_ms for retry_ms (0: for good). Returns true when this
 * switched it on (it was not active): callers count and log switches, not
 * every report of the same condition.
 */
static inline bool rp_fallback_trip_at(struct rp_fallback *f, uint64_t now_ms, unsigned retry_ms)
{
	bool was = f->until_ms && rp_fallback_active_at(f, now_ms);

	f->until_ms = retry_ms ? now_ms + retry_ms : UINT64_MAX;
	return !was;
}

static inline bool rp_fallback_trip(struct rp_fallback *f, unsigned retry_ms)
{
	return rp_fallback_trip_at(f, rp_clock_ms(), retry_ms);
}

#endif
