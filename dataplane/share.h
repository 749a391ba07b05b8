/* SPDX-License-Identifier: MIT */
/*
 * Fair sharing of a worker's buffer pool between the connections on it.
 *
 * Why: a multishot receive takes a buffer from the worker's buffer ring for
 * every chunk a peer sends, and an echo (or a proxy) holds that buffer until
 * the reply has left: a peer that sends and never reads holds every buffer
 * it gets, for as long as it likes. Without a limit a few such peers own the
 * whole pool and everyone else on the worker (UDP, other connections, new
 * connections) gets -ENOBUFS.
 *
 * How: every holder (a connection) counts the pool buffers it holds
 * (struct rp_share: received and not yet given back: queued, being sent,
 * or awaiting a zerocopy notification). A receive is armed with a GRANT:
 * the buffers it may fill before it must come back for more. The grant is
 * the multishot receive's byte limit (sqe->optlen, kernel 6.17+), so the
 * kernel itself ends the receive there (no F_MORE); should a peer's small
 * segments use up the grant's buffers before its bytes, the receive is
 * cancelled. The worker's struct rp_fair sizes grants:
 *   - up to the holder's cap (limits.conn-buffers) less what it holds;
 *   - out of the free receive buffers beyond the reserve
 *     (limits.reserve-buffers) that other armed receives have not been
 *     granted (at least one buffer, so that every connection progresses;
 *     the reserve absorbs that overcommit);
 *   - under pressure (fewer free than the reserve), only to holders of at
 *     most RP_SHARE_FLOOR buffers, up to FLOOR + 1: the reserve is for UDP
 *     and for connections that hold next to nothing.
 * A holder that gets no grant is THROTTLED: not read; its peer's data
 * waits in the socket (TCP flow control slows that peer, and only it). It
 * is offered a grant again once it has drained to half its cap with no
 * pressure, or to nothing. Hysteresis keeps a busy connection from
 * flapping.
 *
 * Counted per service: conns_throttled (times a holder was stopped) and
 * throttled_ms (time spent stopped).
 *
 * Single-threaded: one worker owns its rp_fair and its holders.
 */
#ifndef RP_SHARE_H
#define RP_SHARE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "dataplane/bufpool.h"
#include "dataplane/counters.h"

/* Under pressure a holder may keep this many buffers and still be read. */
#define RP_SHARE_FLOOR 2u

/* One holder (a connection). Zero-initialised is a holder of nothing. */
struct rp_share {
	unsigned held;			/* pool buffers it holds */
	unsigned grant;			/* buffers its armed receive may still fill */
	bool throttled;			/* refused a grant: not read until it drains */
	uint64_t throttled_since_ms;
	uint64_t throttled_ms;		/* time stopped, ended stretches (also in throttled_ms) */
};

/* The worker's policy. */
struct rp_fair {
	const struct rp_bufpool *pool;
	unsigned cap;			/* buffers one holder may hold */
	unsigned resume_at;		/* offered a grant again at or below this (cap / 2) */
	unsigned reserve;		/* free ring buffers kept back */
	unsigned granted;		/* sum of the armed receives' grants */
	bool pressure;			/* the reserve was being eaten at the last check */
	unsigned n_throttled;		/* holders stopped now (all services) */
};

/* The effective cap and reserve for a pool of `count` buffers (auto rules). */
unsigned rp_fair_cap(const struct rp_limits_cfg *lc, unsigned count);
unsigned rp_fair_reserve(const struct rp_limits_cfg *lc, unsigned count);

void rp_fair_init(struct rp_fair *f, const struct rp_bufpool *pool,
		  const struct rp_limits_cfg *lc);

static inline bool rp_fair_under_pressure(const struct rp_fair *f)
{
	return rp_bufpool_ring_free(f->pool) < f->reserve;
}

/*
 * Once per completion batch: true when pressure has just lifted and some
 * holder is stopped, i.e. it is time to offer stopped holders a grant
 * again (the worker's re-arm path).
 */
bool rp_fair_relieved(struct rp_fair *f);

/*
 * A grant for the receive about to be armed, recorded in s->grant and
 * f->granted; 0: no grant now (do not arm; throttle). A holder that is
 * throttled gets none until rp_share_may_resume().
 */
unsigned rp_share_grant(struct rp_fair *f, struct rp_share *s);
/* The armed receive delivered a buffer: the holder holds one more. Returns
 * true when the grant is used up while the receive may still be armed (the
 * kernel's byte limit has not ended it): the caller cancels it. */
bool rp_share_took(struct rp_fair *f, struct rp_share *s);
/* The armed receive ended (no F_MORE): its unused grant goes back. */
void rp_share_receive_ended(struct rp_fair *f, struct rp_share *s);
/* A buffer the holder held is free again. */
static inline void rp_share_release(struct rp_share *s)
{
	if (s->held)
		s->held--;
}

/* Must this holder stop being read now (cap, or pressure)? */
bool rp_share_over(const struct rp_fair *f, const struct rp_share *s);
/* May a stopped holder be offered a grant again? */
bool rp_share_may_resume(const struct rp_fair *f, const struct rp_share *s);

/* The holder was stopped / resumed / is going away (counts into c). */
void rp_share_throttle(struct rp_fair *f, struct rp_share *s, uint64_t now_ms,
		       struct rp_counters *c);
void rp_share_resume(struct rp_fair *f, struct rp_share *s, uint64_t now_ms,
		     struct rp_counters *c);
/* A holder that ends: its grant goes back, its stopped time still counts. */
void rp_share_end(struct rp_fair *f, struct rp_share *s, uint64_t now_ms,
		  struct rp_counters *c);

#endif
