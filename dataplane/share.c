/* SPDX-License-Identifier: MIT */
/*
 * Fair sharing of a worker's buffer pool (see share.h).
 */
#include "dataplane/share.h"

unsigned rp_fair_cap(const struct rp_limits_cfg *lc, unsigned count)
{
	unsigned cap;

	if (lc->conn_buffers != RP_UNSET)
		return (unsigned)lc->conn_buffers;
	/* A sixteenth of the pool: a 512-buffer worker serves 14 peers that
	 * never read with the reserve intact, and a connection still has
	 * 128 KiB of 4 KiB buffers in flight, enough for line rate here. */
	cap = count / 16;
	return cap < 4 ? 4 : cap;
}

unsigned rp_fair_reserve(const struct rp_limits_cfg *lc, unsigned count)
{
	if (lc->reserve_buffers != RP_UNSET)
		return (unsigned)lc->reserve_buffers;
	return count / 8;
}

void rp_fair_init(struct rp_fair *f, const struct rp_bufpool *pool,
		  const struct rp_limits_cfg *lc)
{
	*f = (struct rp_fair){
		.pool = pool,
		.cap = rp_fair_cap(lc, pool->ring_count),
		.reserve = rp_fair_reserve(lc, pool->ring_count),
	};
	f->resume_at = f->cap / 2;
}

bool rp_fair_relieved(struct rp_fair *f)
{
	bool was = f->pressure;

	f->pressure = rp_fair_under_pressure(f);
	return was && !f->pressure && f->n_throttled;
}

/* Free ring buffers beyond the reserve that no armed receive was granted. */
static unsigned credit(const struct rp_fair *f)
{
	unsigned free_bufs = rp_bufpool_ring_free(f->pool), kept = f->reserve + f->granted;

	return free_bufs > kept ? free_bufs - kept : 0;
}

unsigned rp_share_grant(struct rp_fair *f, struct rp_share *s)
{
	unsigned g;

	if (s->held >= f->cap)
		return 0;
	if (rp_fair_under_pressure(f))
		g = s->held <= RP_SHARE_FLOOR ? RP_SHARE_FLOOR + 1 - s->held : 0;
	else
		g = credit(f) < f->cap - s->held ? credit(f) : f->cap - s->held;
	if (!g && !rp_fair_under_pressure(f))
		g = 1;	/* every connection progresses; the reserve absorbs this */
	s->grant += g;
	f->granted += g;
	return g;
}

bool rp_share_took(struct rp_fair *f, struct rp_share *s)
{
	s->held++;
	if (!s->grant)
		return false;
	s->grant--;
	f->granted--;
	return !s->grant;
}

void rp_share_receive_ended(struct rp_fair *f, struct rp_share *s)
{
	f->granted -= s->grant;
	s->grant = 0;
}

bool rp_share_over(const struct rp_fair *f, const struct rp_share *s)
{
	return s->held >= f->cap ||
	       (s->held > RP_SHARE_FLOOR && rp_fair_under_pressure(f));
}

bool rp_share_may_resume(const struct rp_fair *f, const struct rp_share *s)
{
	return s->held == 0 || (s->held <= f->resume_at && !rp_fair_under_pressure(f));
}

void rp_share_throttle(struct rp_fair *f, struct rp_share *s, uint64_t now_ms,
		       struct rp_counters *c)
{
	if (s->throttled)
		return;
	s->throttled = true;
	s->throttled_since_ms = now_ms;
	f->n_throttled++;
	rp_count(c, RP_C_CONNS_THROTTLED, 1);
}

void rp_share_resume(struct rp_fair *f, struct rp_share *s, uint64_t now_ms,
		     struct rp_counters *c)
{
	if (!s->throttled)
		return;
	s->throttled = false;
	f->n_throttled--;
	s->throttled_ms += now_ms - s->throttled_since_ms;
	rp_count(c, RP_C_THROTTLED_MS, now_ms - s->throttled_since_ms);
}

void rp_share_end(struct rp_fair *f, struct rp_share *s, uint64_t now_ms,
		  struct rp_counters *c)
{
	rp_share_receive_ended(f, s);
	rp_share_resume(f, s, now_ms, c);
	s->held = 0;
}
