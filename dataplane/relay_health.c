/* SPDX-License-Identifier: MIT */
/*
 * udp-relay health probes (services[].health-probe): every
 * health-interval-ms each worker sends the probe payload to every backend
 * from a UDP socket of its own, connected to that backend, and at the next
 * round judges what came back: an answer that contains health-expect (any
 * answer when unset) keeps the backend up; none, or a refusal (ICMP port
 * unreachable: ECONNREFUSED), takes it down: no new sessions go there and
 * its sessions end, so their clients move to the next backend by hash,
 * until a probe is answered again. Each worker judges for itself (no shared
 * state); the cost is one datagram per backend, worker and interval.
 *
 * Plain non-blocking send/recv on the tick: a handful of syscalls per
 * interval, not worth ring traffic.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/events.h"
#include "dataplane/log.h"
#include "dataplane/relay_svc.h"
#include "dataplane/worker.h"

int relay_health_socket(const struct rp_svc_inst *si, const struct rp_addr *a)
{
	int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)&a->ss, a->len)) {
		int err = -errno;

		rp_err("service %s: health probe socket for backend %s: %s", si->cfg->name, a->text,
		       strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

int relay_health_open(struct rp_svc_inst *si, struct relay *r)
{
	const struct rp_service_cfg *c = si->cfg;

	for (unsigned i = 0; i < RP_BACKENDS_MAX; i++)
		r->hc.fd[i] = -1;
	if (!c->health_probe[0])
		return 0;
	for (unsigned i = 0; i < r->n_be; i++) {
		int fd = relay_health_socket(si, &r->be[i].addr);

		if (fd < 0) {
			relay_health_close(r);
			return fd;
		}
		r->hc.fd[i] = fd;
	}
	return 0;
}

void relay_health_close(struct relay *r)
{
	for (unsigned i = 0; i < RP_BACKENDS_MAX; i++)
		if (r->hc.fd[i] >= 0) {
			close(r->hc.fd[i]);
			r->hc.fd[i] = -1;
		}
}

/* Did backend i answer the last probe as it should? Reads all there is. */
static bool answered(const struct rp_service_cfg *c, int fd)
{
	size_t want = strlen(c->health_expect);
	char buf[2048];
	bool ok = false;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0 || errno == ECONNREFUSED)
		if (n >= 0 && (!want || memmem(buf, (size_t)n, c->health_expect, want)))
			ok = true;
	return ok;
}

static void judge(struct rp_worker *w, struct rp_svc_inst *si, unsigned i, bool ok)
{
	struct relay *r = si->priv;

	if (ok == !r->hc.down[i])
		return;
	r->hc.down[i] = !ok;
	rp_events_backend(w, si, r->be[i].addr.text, ok, ok ? NULL : "no answer to the probe");
	if (ok) {
		rp_info("service %s: backend %s answers its health probe again", si->cfg->name,
			r->be[i].addr.text);
		return;
	}
	rp_count(relay_be_ctr(w, si, i), RP_C_BACKEND_DOWN, 1);
	rp_warn("service %s: backend %s did not answer its health probe within %u ms: taken out",
		si->cfg->name, r->be[i].addr.text, si->cfg->health_interval_ms);
	relay_end_backend(w, si, i);
}

void relay_health_tick(struct rp_worker *w, struct rp_svc_inst *si)
{
	const struct rp_service_cfg *c = si->cfg;
	struct relay *r = si->priv;
	size_t len = strlen(c->health_probe);

	if (!len || w->now_ms < r->hc.next_ms)
		return;
	r->hc.next_ms = w->now_ms + c->health_interval_ms;
	for (unsigned i = 0; i < r->n_be; i++) {
		if (r->hc.waiting[i])
			judge(w, si, i, answered(c, r->hc.fd[i]));
		/* a refusal reported here is the last probe's: judged above */
		r->hc.waiting[i] = send(r->hc.fd[i], c->health_probe, len, MSG_DONTWAIT) >= 0 ||
				   send(r->hc.fd[i], c->health_probe, len, MSG_DONTWAIT) >= 0;
	}
}
