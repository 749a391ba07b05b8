/* SPDX-License-Identifier: MIT */
/*
 * Whole-config rules (see rules.h).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "chan/chan.h"
#include "config/errors.h"
#include "config/rules.h"

static void default_service_names(struct rp_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_services; i++) {
		struct rp_service_cfg *s = &cfg->services[i];

		if (!s->name[0])
			snprintf(s->name, sizeof(s->name), "%s-%u", rp_svc_type_name(s->type), i);
	}
}

/* Same family, address and port. */
static bool same_sockaddr(const struct rp_addr *a, const struct rp_addr *b)
{
	const struct sockaddr_in *a4 = (const void *)&a->ss, *b4 = (const void *)&b->ss;
	const struct sockaddr_in6 *a6 = (const void *)&a->ss, *b6 = (const void *)&b->ss;

	if (!a->len || a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
}

/* Something that binds a socket: a service, or the metrics endpoint. */
struct listener {
	const char *name;
	int socktype;
	const struct rp_addr *addr;
	struct rp_mark mark;
};

static unsigned collect_listeners(const struct rp_config *cfg, struct listener *v)
{
	unsigned n = 0;

	if (cfg->metrics.enabled && cfg->metrics.listen.len)
		v[n++] = (struct listener){ "metrics", SOCK_STREAM, &cfg->metrics.listen, cfg->metrics.mark };
	for (unsigned i = 0; i < cfg->n_services; i++) {
		const struct rp_service_cfg *s = &cfg->services[i];

		v[n++] = (struct listener){ s->name, rp_svc_type_socktype(s->type), &s->listen,
					    s->listen_mark };
	}
	return n;
}

static const char *proto_name(int socktype)
{
	return socktype == SOCK_DGRAM ? "udp" : "tcp";
}

/* UDP and TCP on one port is fine; the same protocol twice is not. */
static void check_listen_unique(const struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	struct listener v[cfg->n_services + 1];
	unsigned n = collect_listeners(cfg, v);

	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < i; j++) {
			if (v[i].socktype != v[j].socktype || !same_sockaddr(v[i].addr, v[j].addr))
				continue;
			char where[48] = "by default";

			if (v[j].mark.line)
				snprintf(where, sizeof(where), "line %u, column %u",
					 v[j].mark.line, v[j].mark.column);
			rp_cfg_error_add(errs, cfg->file, v[i].mark,
					 "duplicate listen address %s/%s: service '%s' already listens there (%s)",
					 v[i].addr->text, proto_name(v[i].socktype), v[j].name, where);
			break;
		}
	}
}

/* Entries of an array of structs whose name field must be unique. */
struct named_array {
	const char *what;		/* "service name" */
	const void *base;
	unsigned n;
	size_t stride, name_offset, name_mark_offset, mark_offset;
};

static const char *name_at(const struct named_array *a, unsigned i)
{
	return (const char *)a->base + i * a->stride + a->name_offset;
}

/* Where the name was written; a defaulted name points at its entry. */
static struct rp_mark mark_at(const struct named_array *a, unsigned i)
{
	const char *elem = (const char *)a->base + i * a->stride;
	const struct rp_mark *name = (const void *)(elem + a->name_mark_offset);

	return name->line ? *name : *(const struct rp_mark *)(elem + a->mark_offset);
}

static void check_names_unique(const char *file, const struct named_array *a,
			       struct rp_cfg_errors *errs)
{
	for (unsigned i = 0; i < a->n; i++) {
		for (unsigned j = 0; j < i; j++) {
			if (!name_at(a, i)[0] || strcmp(name_at(a, i), name_at(a, j)))
				continue;
			rp_cfg_error_add(errs, file, mark_at(a, i),
					 "duplicate %s '%s' (first at line %u, column %u)",
					 a->what, name_at(a, i), mark_at(a, j).line, mark_at(a, j).column);
			break;
		}
	}
}

#define NAMED(w, arr, cnt, type) (struct named_array){ .what = (w), .base = (arr), .n = (cnt), \
	.stride = sizeof(type), .name_offset = offsetof(type, name), \
	.name_mark_offset = offsetof(type, name_mark), .mark_offset = offsetof(type, mark) }

/* Where a limit on two keys is reported: the one the file gave (the later
 * one if both), else the section. */
static struct rp_mark given_mark(struct rp_mark a, struct rp_mark b, struct rp_mark section)
{
	if (!a.line || !b.line)
		return b.line ? b : a.line ? a : section;
	return a.line > b.line || (a.line == b.line && a.column > b.column) ? a : b;
}

/* The kernel refuses a CQ above IORING_MAX_CQ_ENTRIES: worker rings ask for
 * ring-entries x cq-factor with IORING_SETUP_CQSIZE and no SETUP_CLAMP. */
/* A share larger than the pool caps nothing; a reserve as large as the
 * pool leaves every connection unread past RP_SHARE_FLOOR buffers. */
static void check_shares(const struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	const struct rp_limits_cfg *l = &cfg->limits;
	unsigned count = cfg->buffers.count;

	if (l->conn_buffers != RP_UNSET && (unsigned long)l->conn_buffers > count)
		rp_cfg_error_add(errs, cfg->file, l->conn_buffers_mark.line ? l->conn_buffers_mark : l->mark,
				 "limits.conn-buffers %ld is more than the pool's %u buffers "
				 "(buffers.count): one connection could hold all of them",
				 l->conn_buffers, count);
	if (l->reserve_buffers != RP_UNSET && (unsigned long)l->reserve_buffers >= count)
		rp_cfg_error_add(errs, cfg->file,
				 l->reserve_buffers_mark.line ? l->reserve_buffers_mark : l->mark,
				 "limits.reserve-buffers %ld leaves none of the pool's %u buffers "
				 "(buffers.count) to share", l->reserve_buffers, count);
}

static void check_cq_size(const struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	const struct rp_workers_cfg *w = &cfg->workers;
	unsigned long cq = (unsigned long)w->ring_entries * w->cq_factor;

	if (cq <= RP_RING_CQ_MAX)
		return;
	rp_cfg_error_add(errs, cfg->file, given_mark(w->ring_entries_mark, w->cq_factor_mark, w->mark),
			 "workers.ring-entries x workers.cq-factor = %u x %u = %lu completion "
			 "queue entries: the kernel allows at most %u", w->ring_entries,
			 w->cq_factor, cq, RP_RING_CQ_MAX);
}

static const struct rp_service_cfg *first_acceptor(const struct rp_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_services; i++)
		if (cfg->services[i].acceptor)	/* a TCP service's key only */
			return &cfg->services[i];
	return NULL;
}

/* An acceptor hands connections to at most RP_ACCEPTOR_WORKERS_MAX workers
 * (workers.count auto never exceeds RP_CPUS_MAX, the same number). */
static void check_acceptor_workers(const struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	const struct rp_service_cfg *s = first_acceptor(cfg);
	long n = cfg->workers.count;

	if (!s || n == RP_UNSET || n <= (long)RP_ACCEPTOR_WORKERS_MAX)
		return;
	rp_cfg_error_add(errs, cfg->file,
			 given_mark(cfg->workers.count_mark, cfg->workers.count_mark, cfg->workers.mark),
			 "workers.count %ld: service '%s' (line %u) has acceptor: true, and an "
			 "acceptor hands connections to at most %u workers", n, s->name,
			 s->mark.line, RP_ACCEPTOR_WORKERS_MAX);
}

/* One worker per served queue, over all interfaces: at most RP_CPUS_MAX. */
static void check_queues_total(const struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	long total = 0;

	for (unsigned i = 0; i < cfg->n_interfaces; i++) {
		const struct rp_iface_cfg *ifc = &cfg->interfaces[i];

		if (ifc->queues == RP_UNSET)
			continue;
		total += ifc->queues;
		if (total <= RP_CPUS_MAX)
			continue;
		rp_cfg_error_add(errs, cfg->file, ifc->mark,
				 "interfaces[%u] (%s): queues add up to %ld over all interfaces; "
				 "at most %d are served (one worker each)", i, ifc->name, total,
				 RP_CPUS_MAX);
		return;
	}
}

/* A tcp-proxy or udp-relay forwards to 1..RP_BACKENDS_MAX backends, never
 * to itself, and does not speak sockperf (it forwards whatever it gets). */
static void check_proxy(const struct rp_config *cfg, const struct rp_service_cfg *s,
			struct rp_cfg_errors *errs)
{
	if (!s->n_backends || s->n_backends > RP_BACKENDS_MAX)
		rp_cfg_error_add(errs, cfg->file, s->mark,
				 "service '%s': %s needs 1 to %u backends (has %u)", s->name,
				 rp_svc_type_name(s->type), RP_BACKENDS_MAX, s->n_backends);
	if (s->sockperf)
		rp_cfg_error_add(errs, cfg->file, s->mark,
				 "service '%s': sockperf framing is for echo services, not %s",
				 s->name, rp_svc_type_name(s->type));
	if (s->health.enabled && s->health.timeout_ms > s->health.interval_ms)
		rp_cfg_error_add(errs, cfg->file, s->health.mark,
				 "service '%s': health-check.timeout-ms (%u) is longer than its "
				 "interval-ms (%u): one backend would have two checks at once",
				 s->name, s->health.timeout_ms, s->health.interval_ms);
	for (unsigned i = 0; i < s->n_backends; i++)
		if (same_sockaddr(&s->backends[i].addr, &s->listen))
			rp_cfg_error_add(errs, cfg->file, s->backends[i].mark,
					 "service '%s': backend %s is the proxy's own listen address",
					 s->name, s->backends[i].addr.text);
}

static void check_proxies(const struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	for (unsigned i = 0; i < cfg->n_services; i++)
		if (cfg->services[i].type == RP_SVC_TCP_PROXY ||
		    cfg->services[i].type == RP_SVC_UDP_RELAY)
			check_proxy(cfg, &cfg->services[i], errs);
}

/* Each backend's counter block starts as its index (config.h). */
static void number_backends(struct rp_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_services; i++) {
		cfg->services[i].n_backends_all = cfg->services[i].n_backends;
		for (unsigned b = 0; b < cfg->services[i].n_backends; b++)
			cfg->services[i].backends[b].slot = b;
	}
}

/* The event channel's name becomes a file name: the channel library's rule. */
static void check_events(const struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	char path[128];

	if (cfg->events.channel[0] && rp_chan_path(cfg->events.channel, path, sizeof(path)))
		rp_cfg_error_add(errs, cfg->file, cfg->events.channel_mark,
				 "events.channel: '%s' is not a channel name (1-%d of A-Z a-z 0-9 . _ -, "
				 "not starting with '.')", cfg->events.channel, RP_CHAN_NAME_MAX);
}

void rp_config_check_rules(struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	default_service_names(cfg);
	number_backends(cfg);
	check_names_unique(cfg->file, &NAMED("service name", cfg->services, cfg->n_services,
					     struct rp_service_cfg), errs);
	check_names_unique(cfg->file, &NAMED("interface", cfg->interfaces, cfg->n_interfaces,
					     struct rp_iface_cfg), errs);
	check_listen_unique(cfg, errs);
	check_cq_size(cfg, errs);
	check_shares(cfg, errs);
	check_acceptor_workers(cfg, errs);
	check_queues_total(cfg, errs);
	check_proxies(cfg, errs);
	check_events(cfg, errs);
	rp_config_check_rx_zc(cfg, errs);
}
