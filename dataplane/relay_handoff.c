/* SPDX-License-Identifier: MIT */
/*
 * udp-relay between workers (relay_svc.h): RP_MSG_RELAY messages and the
 * rings of buffer references they wake (relay_handq.h).
 *
 *   DGRAM    origin -> owner: "relay the datagram in my buffer bid" (res:
 *            recvmsg's length). The origin counts the buffer lent and holds
 *            one unit of its `pending` until it is back.
 *   BUFBACK  owner -> origin: the send from that buffer completed (and, if
 *            it was zerocopy, its notification came: the kernel let go).
 *   KICK     a wake: take what my ring to you holds.
 *   READY    the last member to join -> the others: start receiving.
 *   QUIET    a member whose service socket stopped -> every other: nothing
 *            more comes from me (after my last DGRAM to you: msg.c keeps one
 *            sender's messages to one target in order, and every message
 *            from a member first takes what its ring holds).
 *
 * DGRAMs and BUFBACKs are items in the pair's ring, not messages: pushed
 * during the completion batch, woken by one KICK per pair when the batch is
 * done (relay_send_wakes), none while an earlier one is still on its way.
 * Only should a ring be full (it is sized not to be) does an item go as a
 * message of its own, which the receiver handles after the ring's items:
 * the pair's order holds either way.
 *
 * With handoff: copy (relay_copy.c) no DGRAM, BUFBACK or KICK is sent: the
 * datagram goes through the pair's copy queue; READY and QUIET stay (a
 * QUIET also tells the owner to take what that queue still holds).
 *
 * A message the outbox has no room for is kept and posted at the next flush
 * (wakes, returns and QUIETs only: a DGRAM that finds no room is dropped,
 * counted, and its buffer put back, as a full socket buffer would drop it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/log.h"
#include "dataplane/relay_svc.h"
#include "dataplane/worker.h"

static int member_fd(const struct relay *r, unsigned k)
{
	return r->group->m[k].ring_fd;
}

/* ---- messages out ---------------------------------------------------------- */

static void send_or_later(struct rp_worker *w, struct rp_svc_inst *si, unsigned target,
			  uint64_t payload)
{
	struct relay *r = si->priv;
	struct rp_msg m = { .type = RP_MSG_RELAY, .payload = payload };

	if (rp_relay_msg_sub(payload) != RP_RELAY_QUIET)
		rp_count(si->ctr, RP_C_HANDOFF_MSGS, 1);

	if (!r->n_later && rp_msg_send(&w->msg, member_fd(r, target), &m) == 0)
		return;
	if (r->n_later == r->cap_later) {
		/* cannot happen: one entry per foreign buffer held, plus QUIETs
		 * and wakes */
		rp_err("udp-relay: deferred message queue full (%u); message lost", r->cap_later);
		return;
	}
	r->later[r->n_later++] = (struct relay_later){ .payload = payload, .target = target };
}

void relay_send_later(struct rp_worker *w, struct relay *r)
{
	unsigned done = 0;

	while (done < r->n_later) {
		struct rp_msg m = { .type = RP_MSG_RELAY, .payload = r->later[done].payload };

		if (rp_msg_send(&w->msg, member_fd(r, r->later[done].target), &m))
			break;
		done++;
	}
	memmove(r->later, r->later + done, (r->n_later - done) * sizeof(*r->later));
	r->n_later -= done;
}

/* An item for target's ring, woken when the batch is done; false: the
 * ring is full (cannot happen: relay_group.c sizes it for two pools). */
static bool push_item(struct rp_worker *w, struct relay *r, unsigned target, uint64_t item)
{
	if (!rp_handq_push(r->handq, w->id, target, item))
		return false;
	r->wake_due[target] = true;
	return true;
}

/* A buffer (ours or another member's) we are done with. */
void relay_buf_done(struct rp_worker *w, struct rp_svc_inst *si, unsigned origin, unsigned bid)
{
	struct relay *r = si->priv;

	if (origin == w->id)
		rp_buf_put(&w->pool, bid);
	else if (r->copy)
		relay_copy_done(w, si, origin, bid);
	else if (!push_item(w, r, origin, rp_handq_item(RP_RELAY_BUFBACK, bid, 0)))
		send_or_later(w, si, origin, rp_relay_msg(RP_RELAY_BUFBACK, si->idx, w->id, bid));
}

void relay_send_wakes(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;

	for (unsigned k = 0; r->wake_due && k < r->n_workers; k++) {
		if (!r->wake_due[k])
			continue;
		r->wake_due[k] = false;
		if (rp_handq_need_wake(r->handq, w->id, k))
			send_or_later(w, si, k, rp_relay_msg(RP_RELAY_KICK, si->idx, w->id, k));
	}
}

void relay_tell_others(struct rp_worker *w, struct rp_svc_inst *si, enum rp_relay_sub sub)
{
	struct relay *r = si->priv;

	for (unsigned k = 0; r->group && k < r->n_workers; k++) {
		if (k == w->id)
			continue;
		/* any message takes what our ring to k holds: no wake for it */
		if (r->wake_due)
			r->wake_due[k] = false;
		send_or_later(w, si, k, rp_relay_msg(sub, si->idx, w->id, 0));
	}
}

void relay_send_quiet(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;

	if (r->quiet_sent || !r->group)
		return;
	r->quiet_sent = true;
	relay_tell_others(w, si, RP_RELAY_QUIET);
}

void relay_release_hold(struct rp_worker *w, struct relay *r)
{
	if (!r->hold)
		return;
	r->hold = false;
	w->pending--;
}

bool relay_hand_over(struct rp_worker *w, struct rp_svc_inst *si, unsigned owner, unsigned bid,
		     int res)
{
	struct relay *r = si->priv;

	if (r->copy) {
		relay_copy_hand_over(w, si, owner, bid, res);
		return false;
	}
	if (!push_item(w, r, owner, rp_handq_item(RP_RELAY_DGRAM, bid, res))) {
		if (rp_msg_send(&w->msg, member_fd(r, owner), &(struct rp_msg){
				.type = RP_MSG_RELAY, .arg = res,
				.payload = rp_relay_msg(RP_RELAY_DGRAM, si->idx, w->id, bid) })) {
			rp_count(si->ctr, RP_C_HANDOFF_DROPS, 1);
			return false;
		}
		rp_count(si->ctr, RP_C_HANDOFF_MSGS, 1);
	}
	rp_count(si->ctr, RP_C_HANDOFFS_OUT, 1);
	r->lent++;
	w->pending++;		/* released by its BUFBACK: we may not exit before */
	rp_gauge_set(si->ctr, RP_C_BUFS_LENT, r->lent);
	return true;
}

unsigned relay_foreign_fixed(const struct relay *r, const struct relay_dgram *d, unsigned *idx)
{
	if (!r->zc_foreign || d->origin >= r->n_workers)
		return 0;
	return rp_bufclone_index(r->group->clone, d->origin, r->group->m[d->origin].pool,
				 d->payload, idx) ? RP_TX_HEAP_FIXED : 0;
}

void relay_foreign_tx(struct rp_worker *w, struct rp_svc_inst *si, unsigned origin, unsigned ref,
		      const struct rp_tx_event *ev)
{
	if (ev->what == RP_TX_SENT) {
		rp_count(si->ctr, ev->zc ? RP_C_HANDOFF_ZC_SENDS : RP_C_HANDOFF_COPY_SENDS, 1);
		/* zerocopy: the kernel holds the pages until the notification */
		if (ev->notif_follows)
			return;
	}
	relay_buf_done(w, si, origin, ref);
}

/* ---- the group complete: other members' buffers as ours ---------------------- */

/*
 * Every member has staged its pool (bufclone.h): take them all into our
 * ring's fixed-buffer table, so a datagram handed to us is sent from its
 * origin's buffer by index, zerocopy where the policy says so. Refused
 * (an old kernel, a pool not registered): copy sends from that memory, as
 * before, said once per worker.
 */
static void take_clones(struct rp_worker *w, struct rp_svc_inst *si, struct relay *r)
{
	struct rp_bufclone *c = r->group ? r->group->clone : NULL;
	char why[256];

	if (!c)
		return;
	r->zc_foreign = rp_bufclone_take(c, &w->ring, &w->pool, why, sizeof(why)) == 0;
	if (!r->zc_foreign)
		rp_warn("service %s: worker %u: datagrams handed over from other workers are sent "
			"as copies: %s", si->cfg->name, w->id, why);
	else if (c->why[0])
		rp_warn("service %s: worker %u: datagrams handed over from some workers are sent "
			"as copies: %s", si->cfg->name, w->id, c->why);
	else
		rp_dbg("service %s: worker %u: %u workers' buffers cloned into this ring's fixed "
		       "buffers", si->cfg->name, w->id, r->n_workers);
}

/* ---- messages in ------------------------------------------------------------------ */

/* A buffer we lent is ours again: returned by its owner, or (returned
 * false) its DGRAM never reached one. */
static void lent_back(struct rp_worker *w, struct rp_svc_inst *si, unsigned bid, bool returned)
{
	struct relay *r = si->priv;

	if (!r->lent) {
		rp_err("service %s: buffer %u came back but none was lent", si->cfg->name, bid);
		return;
	}
	r->lent--;
	w->pending--;
	if (returned)
		rp_count(si->ctr, RP_C_BUFS_RETURNED, 1);
	rp_gauge_set(si->ctr, RP_C_BUFS_LENT, r->lent);
	rp_buf_put(&w->pool, bid);
}

/* One item of another member's ring to us (or, it gone, of ours to it). */
static void take_item(struct rp_worker *w, struct rp_svc_inst *si, unsigned from, uint64_t it)
{
	unsigned bid = rp_handq_item_bid(it);

	if (rp_handq_item_sub(it) == RP_RELAY_BUFBACK) {
		lent_back(w, si, bid, true);
		return;
	}
	rp_count(si->ctr, RP_C_HANDOFFS_IN, 1);
	relay_up(w, si, from, bid, rp_handq_item_res(it));
}

/* Everything `from` pushed to us before its message: the pair's order. */
static void take_items(struct rp_worker *w, struct rp_svc_inst *si, unsigned from, bool kick)
{
	struct relay *r = si->priv;
	uint64_t it;

	if (!r->handq)
		return;
	if (kick)
		rp_handq_woken(r->handq, from, w->id);
	while (rp_handq_pop(r->handq, from, w->id, &it))
		take_item(w, si, from, it);
}

static int on_relay_msg(void *worker, const struct rp_msg *m)
{
	struct rp_worker *w = worker;
	unsigned svc = rp_relay_msg_svc(m->payload), from = rp_relay_msg_worker(m->payload);
	struct rp_svc_inst *si = svc < w->n_svc ? &w->svc[svc] : NULL;
	struct relay *r = si && si->ops == &rp_svc_udp_relay ? si->priv : NULL;

	if (!r || !r->group || from >= r->n_workers)
		return -EINVAL;
	take_items(w, si, from, rp_relay_msg_sub(m->payload) == RP_RELAY_KICK);
	switch (rp_relay_msg_sub(m->payload)) {
	case RP_RELAY_KICK:
		return 0;
	case RP_RELAY_DGRAM:
		rp_count(si->ctr, RP_C_HANDOFFS_IN, 1);
		relay_up(w, si, from, rp_relay_msg_bid(m->payload), m->arg);
		return 0;
	case RP_RELAY_BUFBACK:
		lent_back(w, si, rp_relay_msg_bid(m->payload), true);
		return 0;
	case RP_RELAY_READY:
		r->ready = true;
		take_clones(w, si, r);
		relay_arm(w, si);
		return 0;
	case RP_RELAY_QUIET:
		if (r->copy)
			relay_copy_drain(w, si, from);
		if (++r->quiet_got >= r->n_workers - 1)
			relay_release_hold(w, r);
		return 0;
	case RP_RELAY_LEFT:
		relay_takeover_on_left(w, si, from);
		return 0;
	}
	return -EINVAL;
}

/*
 * A wake that did not reach its target: the ring's reader is gone (its
 * ring is closed: a member that failed). Nobody else reads that ring now,
 * so we take it back: our DGRAMs' buffers are ours again (dropped,
 * counted); its buffers going home have no home left.
 */
static void wake_bounced(struct rp_worker *w, struct rp_svc_inst *si, unsigned target)
{
	struct relay *r = si->priv;
	uint64_t it;

	if (!r->handq || target >= r->n_workers || target == w->id)
		return;
	rp_handq_wake_lost(r->handq, w->id, target);
	while (rp_handq_pop(r->handq, w->id, target, &it)) {
		if (rp_handq_item_sub(it) != RP_RELAY_DGRAM)
			continue;
		rp_count(si->ctr, RP_C_HANDOFF_DROPS, 1);
		lent_back(w, si, rp_handq_item_bid(it), false);
	}
}

/* Our message did not reach its target (a member that failed): a DGRAM's
 * buffer is ours again, and a wake's ring ours to empty; the rest needs
 * nothing. */
static int on_relay_bounce(void *worker, const struct rp_msg *m)
{
	struct rp_worker *w = worker;
	unsigned svc = rp_relay_msg_svc(m->payload);
	struct rp_svc_inst *si = svc < w->n_svc ? &w->svc[svc] : NULL;

	if (m->type != RP_MSG_RELAY || !si || si->ops != &rp_svc_udp_relay || !si->priv)
		return 0;
	if (rp_relay_msg_sub(m->payload) == RP_RELAY_KICK) {
		wake_bounced(w, si, rp_relay_msg_bid(m->payload));
		return 0;
	}
	if (rp_relay_msg_sub(m->payload) != RP_RELAY_DGRAM)
		return 0;
	rp_count(si->ctr, RP_C_HANDOFF_DROPS, 1);
	lent_back(w, si, rp_relay_msg_bid(m->payload), false);
	return 0;
}

void rp_relay_init_handlers(void)
{
	rp_msg_set_handler(RP_MSG_RELAY, on_relay_msg);
}

int relay_join_group(struct rp_worker *w, struct rp_svc_inst *si, struct relay *r)
{
	bool complete;

	r->group = rp_relay_join(si->idx, w->id, &w->ring, &w->pool, &complete);
	r->n_workers = r->group ? r->group->n : 1;
	r->copy = r->group ? r->group->copy : NULL;
	r->handq = r->group ? r->group->handq : NULL;
	r->ready = rp_relay_group_complete(r->group);
	if (r->n_workers > 1) {
		/* QUIETs, LEFTs and wakes (one each per member: a wake waits
		 * for the last to arrive) and one return per foreign buffer */
		r->cap_later = 3 * r->n_workers + (r->n_workers - 1) * w->pool.count;
		r->later = calloc(r->cap_later, sizeof(*r->later));
		r->wake_due = r->handq ? calloc(r->n_workers, sizeof(*r->wake_due)) : NULL;
		if (!r->later || (r->handq && !r->wake_due))
			return -ENOMEM;
		r->hold = true;
		w->pending++;
		if (!w->msg.on_bounce) {
			w->msg.on_bounce = on_relay_bounce;
			w->msg.owner = w;
		}
	}
	if (complete)
		take_clones(w, si, r);
	for (unsigned k = 0; complete && k < r->n_workers; k++)
		if (k != w->id)
			rp_msg_send_sync(r->group->m[k].ring_fd, &(struct rp_msg){
				.type = RP_MSG_RELAY,
				.payload = rp_relay_msg(RP_RELAY_READY, si->idx, w->id, 0) });
	return 0;
}
