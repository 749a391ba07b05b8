/* SPDX-License-Identifier: MIT */
/*
 * tcp-proxy's own types, shared by its files: svc_tcp_proxy.c (pairs,
 * forwarding, half-close, resets, the service's ops), proxy_backend.c
 * (the client's address, the backend socket, connect and retries, the
 * PROXY protocol header), proxy_reload.c (a live reload's new backends and
 * balancing) and proxy_health.c (health checks). Not an API: nothing else
 * includes it.
 */
#ifndef RP_PROXY_H
#define RP_PROXY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <liburing.h>

#include "dataplane/balance.h"
#include "dataplane/conn.h"
#include "dataplane/proxy_forward.h"
#include "dataplane/proxy_health.h"
#include "dataplane/proxy_protocol.h"
#include "dataplane/zcrx_rx.h"

struct io_uring_cqe;
struct rp_worker;

enum { CLI, BE };

struct pconn;

struct leg {
	struct pconn *pc;
	struct rp_rx rx;		/* name, receive, share of what it received */
	bool open;			/* has a slot of ours */
	bool rd_eof;			/* its peer sent FIN */
	bool sending;			/* a send (serialized) or bundle send is in flight */
	bool shut_sent, shut_pending;	/* our SHUT_WR on this socket */
	bool close_sent;
	unsigned notifs;		/* zerocopy notifications still to come */
	struct rp_zc_sock zs;
	struct rp_txq q;		/* what the other leg received, to send here */
	struct proxy_sendring sr;	/* forward: bundle (proxy_forward.h) */
	bool zc;			/* receives by RECV_ZC (zrx, proxy_zcrx.c), not rx's ring */
	struct rp_zrx zrx;
	uint64_t tx_since_ms;		/* data pending since, or last taken at */
};

enum pc_state {
	PC_PEER,		/* reading the client's address (balance: hash) */
	PC_SOCKET,		/* IORING_OP_SOCKET for the backend in flight */
	PC_CONNECTING,
	PC_HEADER,		/* the PROXY protocol header being sent (proxy-protocol: v2) */
	PC_UP,
};

struct pconn {
	struct leg leg[2];
	struct pconn *prev, *next;	/* the service's list of pairs */
	enum pc_state state;
	bool op_pending;		/* PEER / SOCKET / CONNECT outstanding */
	bool abort;			/* finishing: no more reading */
	bool reset;			/* RST both legs, do not wait for notifications */
	bool timed_out;			/* idle or write stall: counted once */
	bool balanced;			/* counted open with the balancer */
	int backend;			/* index in cfg->backends, -1: none yet */
	uint64_t tried;			/* backends tried (bit i) */
	uint64_t active_ms;		/* last byte received or sent */
	struct __kernel_timespec cto;	/* connect timeout, read when submitted */
	struct sockaddr_storage peer;	/* the client (balance: hash, proxy-protocol) */
	socklen_t peer_len;
	struct sockaddr_storage local;	/* where the client connected (proxy-protocol) */
	socklen_t local_len;
	bool addrs_by_fd;		/* the address read in flight is a FIXED_FD_INSTALL */
	uint8_t pp[RP_PP2_MAX];		/* the PROXY header: sent from here */
	unsigned pp_len, pp_off;
	uint64_t throttled_ms_counted;	/* of the legs' throttled time, on the backend's row */
};

struct tcp_proxy {
	int lfd;
	bool accept_armed;
	struct leg **legs;		/* by fixed-file slot */
	unsigned n_slots, n_pairs;
	struct pconn *pairs;
	struct rp_balancer bal;
	struct rp_ratelimit refused_log;
	uint32_t next_gen;
	unsigned n_reset;		/* pairs reset when the drain timed out */
	uint64_t bytes_abandoned;
	bool peer_warned;
	bool bundle_warned;		/* a leg fell back to serialized (logged once) */
	unsigned be_block0;		/* backend slot 0's counter block (svc.h) */
	bool want_addrs;		/* client addresses read before connecting */
	bool pp_any;			/* some backend speaks the PROXY protocol */
	struct rp_health health;	/* backends marked down (proxy_health.h) */
};

static inline struct tcp_proxy *proxy_of(struct rp_svc_inst *si)
{
	return si->priv;
}

/* ---- svc_tcp_proxy.c ---------------------------------------------------------- */

/* The leg a CQE names, or NULL (gone). */
struct leg *proxy_leg_of(struct rp_svc_inst *si, const struct io_uring_cqe *cqe);
/* A slot of ours becomes leg l. false: the table has it already (a bug). */
bool proxy_leg_bind(struct rp_svc_inst *si, struct leg *l, uint32_t slot);
void proxy_leg_unbind(struct rp_svc_inst *si, struct leg *l);
/* TCP_NODELAY on the leg's socket, if the service wants it. */
void proxy_leg_nodelay(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l);
/* Count into the pair's backend's own counter block too ("<service>/<address>"). */
void proxy_count_backend(struct rp_worker *w, struct rp_svc_inst *si, const struct pconn *pc,
			 enum rp_counter k, uint64_t n);
/* n bytes (at most the head entry's) of leg l's queue went out: counted,
 * the head's buffer given back once all of it went. */
void proxy_leg_sent(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l, unsigned n);
/* A send on l failed (res <= 0): both legs reset unless they are already. */
void proxy_leg_tx_failed(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l, int res);
/* The one place that moves a pair on, after any event (may free it). */
void proxy_progress(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc);

/* ---- proxy_backend.c ---------------------------------------------------------- */

/* balance: hash: read the client's address, then connect. */
void proxy_read_peer(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc);
/* The next backend not tried yet, or the client is closed (err_no_backend). */
void proxy_connect_next(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc);
/* RP_OP_SOCKET and RP_OP_CONNECT completions. */
void proxy_on_socket(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe);
void proxy_on_connect(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe);
/* Whether the service needs the client's addresses read first (balance:
 * hash, a backend with proxy-protocol). */
bool proxy_wants_addrs(const struct rp_service_cfg *cfg);
bool proxy_any_pp(const struct rp_service_cfg *cfg);

/* ---- proxy_health.c ------------------------------------------------------------ */

/* RP_OP_PROBE completions: a health check's connect. */
void proxy_on_probe(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe);

/* ---- proxy_zcrx.c (services[].rx-zerocopy) ------------------------------------- */

struct rp_tx;
struct rp_tx_event;
struct rp_tx_req;

/* A new pair's client leg: RECV_ZC if this worker has the service's zcrx queue. */
void proxy_zc_leg_init(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l);
/* The leg's receive after any event: RECV_ZC by the area it holds, or
 * provided buffers by its share. false: no SQE. */
bool proxy_rx_step(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l, bool may_read);
void proxy_rx_cancel(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l);
/* A RECV_ZC completion on leg l: its piece queued on the backend leg.
 * true: the receive failed (the pair is to be reset). */
bool proxy_zc_on_recv(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l,
		      const struct io_uring_cqe *cqe);
/* An entry from the area leaves leg to's queue (sent in full, or dropped):
 * back through the refill ring once no send may still read its page. */
void proxy_zc_release(struct rp_worker *w, struct leg *to, const struct rp_txq_ent *e);
/* Send e (from the area) on l: its page pinned until the kernel is done. */
int proxy_zc_send(struct rp_worker *w, struct rp_tx *tx, struct leg *l,
		  const struct rp_txq_ent *e, struct rp_tx_req *req);
/* Every send completion and notification of the service, before its leg
 * is looked up (it may be gone): releases the pin of a send from the area. */
void proxy_zc_tx_done(struct rp_worker *w, const struct rp_tx_event *ev);
/* n bytes a client leg received by provided buffers (rx_zerocopy_fallback_bytes). */
void proxy_zc_count_fallback(struct rp_svc_inst *si, const struct leg *l, unsigned n);

/* ---- proxy_reload.c ---------------------------------------------------------- */

/* ops->reload: new backends, weights, balancing (svc.h, reload.h). */
void proxy_reload(struct rp_worker *w, struct rp_svc_inst *si, const struct rp_service_cfg *old);

#endif
