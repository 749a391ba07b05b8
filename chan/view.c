/* SPDX-License-Identifier: MIT */
/*
 * Reading in place (chan.h: rp_chan_peek, rp_chan_release), broadcast
 * channels. A view is the receiver's cursor held at a position: the cursor,
 * and so the senders' floor, stays at the viewed message until it is
 * released, so under the block policy no sender takes its slot (nor, by
 * reference, rp_chan_released() its region bytes) while it is read. Under
 * the overwrite policy a sender does not wait for the floor: release reads
 * the slot's sequence again, the seqlock reader's second half with the
 * caller's reads in between, and a change means the bytes read may be
 * torn (-ESTALE, counted as lost).
 *
 * What a view hands out is checked like a copied receive (consumer.c): the
 * length against the handle's own slot size, a reference against the
 * region as this handle mapped it (region.c), so the pointer and length
 * stay inside our own mappings whatever a co-tenant writes into the file.
 */
#include <errno.h>
#include <string.h>

#include "chan/internal.h"

/* The slot at pos as a view, or why not. */
enum view_read { VIEW_OK, VIEW_EMPTY, VIEW_LAPPED, VIEW_SKIP, VIEW_LOST };

/* An addressed message for someone else, or one of ours? */
static bool for_me(const struct rp_chan *ch, uint32_t target)
{
	return !rp_chan_target_is_to(target) ||
	       target == rp_chan_target_to(ch->rx_gen, (unsigned)ch->rx_idx);
}

/* The slot's header fields and, for a reference, the reference itself,
 * read under the seqlock: only a consistent set is looked at further. */
static enum view_read view_slot(struct rp_chan *ch, uint64_t pos, struct rp_chan_view *v)
{
	struct rp_chan_slot *sl = rp_chan_slot_at(ch, pos);
	uint64_t want = rp_chan_seq_ready(pos);
	/* Acquire: pairs with the sender's release publish. */
	uint64_t s1 = atomic_load_explicit(&sl->seq, memory_order_acquire);
	struct rp_chan_ref ref = { 0 };
	uint32_t len, target, n;

	if (s1 != want)
		return s1 > want ? VIEW_LAPPED : VIEW_EMPTY;
	len = atomic_load_explicit(&sl->len, memory_order_relaxed);
	target = atomic_load_explicit(&sl->target, memory_order_relaxed);
	n = len & ~RP_CHAN_LEN_REF;
	if ((len & RP_CHAN_LEN_REF) && n == sizeof(ref))
		memcpy(&ref, sl->data, sizeof(ref));
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&sl->seq, memory_order_relaxed) != s1)
		return VIEW_LAPPED;
	if (target == RP_CHAN_TARGET_HOLE || n > ch->slot_size ||
	    ((len & RP_CHAN_LEN_REF) && n != sizeof(ref)))
		return VIEW_LOST;
	if (!for_me(ch, target))
		return VIEW_SKIP;
	v->pos = pos;
	v->seq = s1;
	if (!(len & RP_CHAN_LEN_REF)) {
		v->data = sl->data;
		v->len = n;
		return VIEW_OK;
	}
	if (!(v->data = rp_chan_ref_resolve(ch, &ref)))
		return VIEW_LOST;
	v->len = (size_t)ref.len;
	return VIEW_OK;
}

/* Walk to the next message for this receiver, at most a ring of slots (as
 * consumer.c's walk), leaving the cursor on it. */
static ssize_t view_next(struct rp_chan *ch, struct rp_chan_view *v)
{
	for (uint32_t i = 0; i <= ch->nslots; i++) {
		uint64_t pos = ch->cursor, to;
		enum view_read r = view_slot(ch, pos, v);

		switch (r) {
		case VIEW_OK:
			return (ssize_t)v->len;
		case VIEW_EMPTY:
			return -EAGAIN;
		case VIEW_SKIP:
			rp_chan_cursor_advance(ch, pos + 1);
			break;
		case VIEW_LAPPED:
		case VIEW_LOST:
			to = r == VIEW_LAPPED ? rp_chan_resume_pos(ch, pos) : pos + 1;
			rp_chan_count_lost(ch, to - pos, &v->lost);
			rp_chan_cursor_advance(ch, to);
			break;
		}
	}
	return -EAGAIN;
}

ssize_t rp_chan_peek(struct rp_chan *ch, struct rp_chan_view *v)
{
	bool destroyed;
	ssize_t r;

	if (ch->role != RP_CHAN_RECEIVER || ch->rx_idx < 0)
		return -EINVAL;
	if (ch->mode != RP_CHAN_BROADCAST)
		return -EOPNOTSUPP;
	if (ch->viewing)	/* v may be the open view: left as it is */
		return -EBUSY;
	memset(v, 0, sizeof(*v));
	if (rp_chan_is_broken(ch))
		return -EIO;
	/* What an rp_chan_recv_ref handed out before is done with. */
	rp_chan_hold_clear(ch);
	/* Read before trying: what was sent before the destroy is drained. */
	destroyed = atomic_load_explicit(&ch->shm->destroyed, memory_order_acquire);
	r = view_next(ch, v);
	if (rp_chan_is_broken(ch))
		return -EIO;
	if (r == -EAGAIN && destroyed)
		return -EPIPE;
	ch->viewing = r >= 0;
	return r;
}

int rp_chan_release(struct rp_chan *ch, struct rp_chan_view *v)
{
	struct rp_chan_slot *sl;
	uint64_t gone = 0;
	bool stale;

	if (!ch->viewing)
		return -EINVAL;
	ch->viewing = false;
	if (v->pos != ch->cursor)	/* not the view peek gave: read it again */
		return -EINVAL;
	sl = rp_chan_slot_at(ch, v->pos);
	/* Seqlock reader, second half: the caller's reads of the bytes are
	 * ordered before this load of the sequence. */
	atomic_thread_fence(memory_order_acquire);
	stale = atomic_load_explicit(&sl->seq, memory_order_relaxed) != v->seq;
	if (stale)	/* the view's own: -ESTALE says so, v->lost is before it */
		rp_chan_count_lost(ch, 1, &gone);
	else
		rp_chan_count_received(ch);
	/* Release (inside): the reads are done before the floor passes. */
	rp_chan_cursor_advance(ch, v->pos + 1);
	v->data = NULL;
	if (rp_chan_is_broken(ch))
		return -EIO;
	return stale ? -ESTALE : 0;
}
