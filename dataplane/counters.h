/* SPDX-License-Identifier: MIT */
/*
 * Counters. Each worker owns one block per service it runs plus one for
 * worker-level events (slot n_services). A block has exactly one writer, its
 * worker; readers (metrics exporter, tests) load with relaxed atomics, so the
 * hot path takes no lock and no atomic RMW.
 *
 * Every counter is named once, in the table in counters.c (name, kind, help),
 * the way the kernel's opdef.c names each io_uring operation once: the
 * exporter, `ringplane stats` and the tests all read that table.
 */
#ifndef RP_COUNTERS_H
#define RP_COUNTERS_H

#include <stdint.h>

enum rp_counter {
	/* traffic */
	RP_C_RX_PACKETS,
	RP_C_RX_BYTES,
	RP_C_TX_PACKETS,
	RP_C_TX_BYTES,
	RP_C_CONNS_ACCEPTED,
	RP_C_CONNS_CLOSED,
	RP_C_NAPI_LOCAL,	/* handed-off connections whose NAPI id is this worker's queue */
	RP_C_NAPI_FALLBACKS,	/* napi steering had no mapped id: hashed instead */
	/* limits and fair sharing (dataplane/share.h, limits.*) */
	RP_C_CONNS_REFUSED,	/* accepted past a connection limit and closed at once */
	RP_C_CONNS_THROTTLED,	/* times a connection stopped being read (its share) */
	RP_C_THROTTLED_MS,	/* time connections spent stopped */
	RP_C_IDLE_TIMEOUTS,	/* connections closed for idleness */
	RP_C_WRITE_STALLS,	/* connections reset: replies not taken in time */
	/* zerocopy */
	RP_C_COPY_SENDS,	/* sends that copied by policy */
	RP_C_ZC_SENDS,		/* SEND_ZC / SENDMSG_ZC issued */
	RP_C_ZC_COPIED,		/* REPORT_USAGE said the kernel copied anyway */
	RP_C_ZC_FALLBACKS,	/* connections / UDP peers switched to copy by auto policy */
	RP_C_NOTIFS,		/* IORING_CQE_F_NOTIF completions */
	RP_C_GSO_SENDS,		/* UDP GSO sends, each carrying several datagrams */
	RP_C_GSO_FALLBACKS,	/* UDP peers switched off GSO after the kernel refused it */
	RP_C_GSO_DATAGRAMS,	/* datagrams those GSO sends carried */
	RP_C_GRO_RECEIVES,	/* UDP receives that carried several datagrams (UDP_GRO) */
	/* receive zerocopy (io_uring zcrx, dataplane/zcrx.h) */
	RP_C_RX_ZC_BYTES,	/* bytes received into the zcrx area (RECV_ZC) */
	RP_C_RX_ZC_FALLBACK_BYTES,	/* bytes an rx-zerocopy service received by provided buffers */
	RP_C_ZCRX_REFILL_STALLS,	/* buffer returns that found the refill ring full */
	RP_C_ZCRX_REARMS,	/* RECV_ZC re-armed after ENOSPC (CQ full) or ENOMEM (area dry) */
	/* tcp-proxy (dataplane/svc_tcp_proxy.c) */
	RP_C_UP_BYTES,		/* bytes forwarded client -> backend */
	RP_C_DOWN_BYTES,	/* bytes forwarded backend -> client */
	RP_C_BACKEND_CONNECTS,	/* backend connections established */
	RP_C_CONNECT_RETRIES,	/* connects tried again on another backend */
	RP_C_CONNECT_TIMEOUTS,	/* backend connects that took connect-timeout-ms */
	RP_C_HALF_CLOSES,	/* FINs forwarded (SHUT_WR once a direction's data was through) */
	RP_C_CONNECT_REFUSED,	/* backend connects refused (ECONNREFUSED) */
	RP_C_HEALTH_CHECKS,	/* active health checks done (dataplane/proxy_health.h) */
	RP_C_HEALTH_FAILS,	/* ... that failed */
	RP_C_HEALTH_DOWNS,	/* backends marked down by their checks */
	RP_C_HEALTH_UPS,	/* backends put back */
	RP_C_BACKEND_MARKED_DOWN,	/* gauge, backend rows: 1 while marked down (this worker's view) */
	/* live reload (dataplane/reload.h): worker 0's own block only */
	RP_C_RELOADS_OK,	/* reloads applied on every worker */
	RP_C_RELOADS_REJECTED,	/* reloads refused: config invalid, or not live-changeable */
	/* udp-relay (dataplane/svc_udp_relay.c) */
	RP_C_SESSIONS_OPENED,
	RP_C_SESSIONS_EXPIRED,	/* ended by idle-timeout-ms */
	RP_C_SESSIONS_ENDED,	/* ended otherwise: backend refused, shutdown */
	RP_C_SESSIONS_REFUSED,	/* a new session past max-sessions: datagram dropped */
	RP_C_CLIENT_REFUSED,	/* a new session past max-client-sessions: dropped */
	RP_C_SESSIONS_ACTIVE,	/* gauge */
	RP_C_HANDOFFS_OUT,	/* datagrams handed to their session's owner (MSG_RING or copy) */
	RP_C_HANDOFFS_IN,	/* datagrams taken from another worker's pool or copy queue */
	RP_C_HANDOFF_DROPS,	/* handed-off datagrams that could not be delivered */
	RP_C_HANDOFF_WAKES,	/* handoff: copy: eventfd writes to wake a sleeping owner */
	RP_C_HANDOFF_MSGS,	/* handoff: msg-ring: MSG_RINGs posted for handoffs and buffer returns */
	RP_C_BUFS_LENT,		/* gauge: our pool buffers another worker holds now */
	RP_C_BUFS_RETURNED,	/* lent buffers that came home */
	RP_C_HANDOFF_ZC_SENDS,	/* handed datagrams sent zerocopy from the origin's buffer */
	RP_C_HANDOFF_COPY_SENDS, /* handed datagrams sent as copies */
	RP_C_HANDOFF_GSO_DATAGRAMS, /* ... of them, sent in a GSO train */
	RP_C_BACKEND_DOWN,	/* times a backend was taken out (it refused) */
	RP_C_BUNDLE_RESYNCS,	/* forward: bundle: a short bundle's rest published again */
	RP_C_RX_BUNDLES,	/* receive completions that carried more than one buffer */
	/* buffers (gauges) */
	RP_C_CQ_OVERFLOWS,	/* loop turns that found completions held back (CQ full) */
	RP_C_BUFS_FREE,
	RP_C_BUFS_IN_FLIGHT,
	/* errors by kind */
	RP_C_ERR_RECV,
	RP_C_ERR_SEND,
	RP_C_ERR_SEND_FULL,	/* UDP reply dropped: socket send buffer full (RP_TX_NOWAIT) */
	RP_C_ERR_ACCEPT,
	RP_C_ERR_ENOBUFS,	/* buffer ring empty: receive re-armed later */
	RP_C_ERR_TRUNCATED,	/* datagram larger than a buffer */
	RP_C_ERR_BAD_FRAME,	/* malformed sockperf frame */
	RP_C_ERR_CONN_RESET,
	RP_C_ERR_NO_SLOT,	/* fixed file table full */
	RP_C_ERR_BAD_BUFFER,	/* a receive named a buffer that is not the kernel's */
	RP_C_ERR_CQ_DROPPED,	/* completions the kernel dropped (gauge: its CQ overflow count) */
	RP_C_ERR_CONNECT,	/* backend connects that failed (refused, unreachable, timed out) */
	RP_C_ERR_NO_BACKEND,	/* clients closed: no backend could be connected */
	RP_C__COUNT,
};

enum rp_counter_kind {
	RP_CK_COUNTER,	/* only goes up; Prometheus "_total" */
	RP_CK_GAUGE,
};

struct rp_counter_desc {
	const char *name;	/* Prometheus name without the ringplane_ prefix */
	enum rp_counter_kind kind;
	const char *help;
};

extern const struct rp_counter_desc rp_counter_table[RP_C__COUNT];

struct rp_counters {
	uint64_t v[RP_C__COUNT];
} __attribute__((aligned(64)));

/* Writer side: only the owning worker calls these. */
static inline void rp_count(struct rp_counters *c, enum rp_counter k, uint64_t n)
{
	__atomic_store_n(&c->v[k], c->v[k] + n, __ATOMIC_RELAXED);
}

static inline void rp_gauge_set(struct rp_counters *c, enum rp_counter k, uint64_t val)
{
	__atomic_store_n(&c->v[k], val, __ATOMIC_RELAXED);
}

/* Reader side: any thread. */
static inline uint64_t rp_counter_read(const struct rp_counters *c, enum rp_counter k)
{
	return __atomic_load_n(&c->v[k], __ATOMIC_RELAXED);
}

#endif
