/* SPDX-License-Identifier: MIT */
/*
 * udp-relay in a takeover (takeover.h): the leaving appliance keeps its
 * sessions until their replies are in.
 *
 * On SIGUSR2 each worker's service socket leaves its reuseport group as
 * udp-echo's does (connected to itself, udp_sock.h): a client's next
 * datagram reaches the successor, which opens its own session to the same
 * backend (the hash of the client's IP picks it in both processes). The
 * old session's backend socket stays open and armed, and its replies still
 * leave from the old service socket, to the client's address (a sendmsg
 * with an address is not bound by the connect: probed on 6.18).
 *
 * A session is *drained* when every datagram relayed to its backend has
 * been matched by one from it (`awaiting` 0: +1 per datagram sent up,
 * -1 per datagram received, never below 0; a coalesced receive counts its
 * datagrams). A session whose backend never answers one drains by ending:
 * its idle-timeout-ms still runs while leaving (sessions_expired); and the
 * whole leave is bounded by shutdown.drain-timeout-ms (appliance.c), after
 * which the normal drain ends what is left.
 *
 * A worker has left (svc left(), which lets the appliance stop it) when
 *   1. its service socket's queue has been read to the end (nothing more
 *      arrives on it: it is out of the group);
 *   2. every other member said RP_RELAY_LEFT: it will hand us nothing more
 *      (sent once its own queue is empty, after its last DGRAM to us: msg.c
 *      keeps one sender's messages to one target in order; handoff: copy,
 *      the LEFT also makes us take what its queue to us still holds);
 *   3. every open session is drained.
 * Until then nothing stops, so no datagram is dropped by a stopping worker
 * (relay_dgram_up) and no reply by a closed session socket.
 *
 * Assumed: a backend answers a request with one datagram (DNS, NTP,
 * RADIUS, an echo). One that sends more may still have some on the way
 * when the count says drained; those are lost as before.
 */
#include "dataplane/log.h"
#include "dataplane/relay_svc.h"
#include "dataplane/worker.h"

void relay_takeover_leave(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;
	unsigned n = 0;

	rp_udp_sock_leave(&r->us, si);
	for (uint32_t i = r->t.lru_head; i != RP_RELAY_NIL; i = r->t.s[i].next)
		n += r->t.s[i].awaiting != 0;
	rp_info("service %s: worker %u: takeover: %u of %u sessions await replies from their "
		"backends; kept until they are answered", si->cfg->name, w->id, n, r->t.n_open);
}

/* An open session still waiting for its backend, or NULL. */
static const struct rp_relay_sess *first_awaiting(const struct relay *r)
{
	for (uint32_t i = r->t.lru_head; i != RP_RELAY_NIL; i = r->t.s[i].next)
		if (r->t.s[i].awaiting)
			return &r->t.s[i];
	return NULL;
}

bool relay_takeover_left(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;

	if (!r->left_sent) {
		if (!rp_udp_sock_left(&r->us))
			return false;
		r->left_sent = true;
		relay_tell_others(w, si, RP_RELAY_LEFT);
	}
	if (r->left_got < r->n_workers - 1 || r->up.n_gather || first_awaiting(r))
		return false;
	rp_info("service %s: worker %u: takeover: queue read, every member left, every session "
		"answered", si->cfg->name, w->id);
	return true;
}

void relay_takeover_on_left(struct rp_worker *w, struct rp_svc_inst *si, unsigned from)
{
	struct relay *r = si->priv;

	if (r->copy)
		relay_copy_drain(w, si, from);
	r->left_got++;
}

void relay_sess_sent_up(struct rp_relay_sess *s, unsigned datagrams)
{
	s->awaiting = s->awaiting < UINT32_MAX - datagrams ? s->awaiting + datagrams : UINT32_MAX;
}

void relay_sess_answered(struct rp_relay_sess *s, unsigned datagrams)
{
	s->awaiting = s->awaiting > datagrams ? s->awaiting - datagrams : 0;
}
