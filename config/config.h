/* SPDX-License-Identifier: MIT */
/*
 * ringplane configuration: the typed result of loading a YAML file.
 *
 * The config is parsed once (config/load.c, driven by the table in
 * config/schema.c) into these plain structs. Workers get a read-only pointer;
 * nothing here is mutated after rp_config_load*() returns, except by a live
 * reload on its own fresh copy, before any worker sees it (backend slots,
 * dataplane/reload.c).
 *
 * Optional numbers use RP_UNSET (-1) for "not given: leave the device or the
 * kernel default alone"; optional on/off settings are enum rp_tristate.
 * Every section and list entry keeps the mark (line:column) it was read at,
 * so later stages (nicmgr, service start-up) can name the place in the file
 * when something it asks for turns out to be impossible.
 */
#ifndef RP_CONFIG_H
#define RP_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#define RP_UNSET      (-1L)
#define RP_NAME_MAX   64
#define RP_CPUS_MAX   256
#define RP_ADDR_TEXT  64
#define RP_FEAT_NAME  32	/* ETH_GSTRING_LEN */
#define RP_INDIR_MAX  512

/* Limits `ringplane run` enforces, kept here so the schema and the whole-
 * config rules refuse the same configs `check` sees (the dataplane asserts
 * that its own constants agree, at compile time). */
#define RP_BUFFERS_MAX        32768u	/* buffers per worker: 16-bit buffer ids (RP_BUFPOOL_MAX) */
#define RP_RING_SQ_MAX        32768u	/* kernel IORING_MAX_ENTRIES */
#define RP_RING_CQ_MAX        65536u	/* kernel IORING_MAX_CQ_ENTRIES (2 x SQ max); no SETUP_CLAMP */
#define RP_ACCEPTOR_WORKERS_MAX 256u	/* workers one acceptor hands to (RP_ACCEPTOR_MAX_TARGETS) */

/* ---- types ------------------------------------------------------------- */

/* A place in a config file; 1-based. line == 0: a default, not from a file. */
struct rp_mark {
	unsigned line;
	unsigned column;
};

enum rp_tristate {
	RP_TRI_UNSET = -1,
	RP_TRI_OFF = 0,
	RP_TRI_ON = 1,
};

/* A resolved socket address plus the text it came from ("127.0.0.1:7007"). */
struct rp_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[RP_ADDR_TEXT];
};

/* An ordered CPU list: worker i is pinned to cpus[i % n]. auto: spread over
 * the CPUs the process may run on (sched_getaffinity), or the CPUs nicmgr
 * maps to the interface's queues when it knows them. */
struct rp_cpulist {
	bool is_auto;
	unsigned n;
	unsigned cpu[RP_CPUS_MAX];
};

/* interfaces[].features: ethtool feature name -> wanted state. */
struct rp_feature_cfg {
	char name[RP_FEAT_NAME];
	bool on;
	struct rp_mark mark;
};

/*
 * interfaces[]: a NIC the dataplane serves, and the settings nicmgr applies
 * to it at start-up (`ringplane nic plan/apply` show and make the same
 * changes). Every setting is optional: unset leaves the device as it is.
 */
struct rp_iface_cfg {
	char name[IFNAMSIZ];
	struct rp_mark mark;
	struct rp_mark name_mark;	/* of the name's value */
	long queues;			/* rx queues served (one worker each); RP_UNSET: all */

	/* channels (ethtool -L) */
	long channels_rx, channels_tx, channels_combined;
	/* rings (ethtool -G) */
	long ring_rx, ring_tx;
	enum rp_tristate tcp_data_split;	/* header split */
	long hds_threshold;
	/* features (ethtool -K) */
	struct rp_feature_cfg *features;
	unsigned n_features;
	/* coalescing (ethtool -C) */
	long coalesce_rx_usecs, coalesce_tx_usecs;
	long coalesce_rx_frames, coalesce_tx_frames;
	enum rp_tristate adaptive_rx, adaptive_tx;
	/* RSS (ethtool -X): spread equally over the first rss_equal queues, or
	 * an explicit indirection table; hash function by name ("toeplitz"). */
	long rss_equal;
	unsigned rss_indir[RP_INDIR_MAX];
	unsigned n_rss_indir;
	char rss_hfunc[RP_NAME_MAX];
	/* NAPI (netdev netlink) */
	enum rp_tristate threaded_napi;
	long napi_defer_hard_irqs;
	long napi_gro_flush_timeout;	/* ns */
	long napi_irq_suspend_timeout;	/* ns */
	/* IRQ affinity: queue i's IRQ goes to irq_cpus.cpu[i % n]. */
	struct rp_cpulist irq_cpus;
	bool irq_cpus_set;
	/* Not keys: set from a service's rx-zerocopy (nicmgr/zcrxq.h) for the
	 * interface copy nicmgr plans: prepare this rx queue for zcrx. */
	bool zcrx;			/* false: no queue to prepare */
	unsigned zcrx_queue;
	struct rp_addr zcrx_listen;	/* the service's address: the ntuple rule */
	struct rp_mark zcrx_mark;
};

struct rp_workers_cfg {
	struct rp_mark mark;
	long count;			/* RP_UNSET: one per queue, or per allowed CPU */
	struct rp_mark count_mark;	/* of count's value; line 0: not given */
	struct rp_cpulist cpus;
	unsigned ring_entries;		/* SQ size; CQ is cq_factor x that */
	unsigned cq_factor;
	struct rp_mark ring_entries_mark, cq_factor_mark;	/* line 0: defaulted */
	long busy_poll_usec;		/* 0: no NAPI busy polling */
	bool prefer_busy_poll;
};

enum rp_hugepages {
	RP_HUGE_AUTO,	/* try MAP_HUGETLB, fall back to normal pages */
	RP_HUGE_ON,	/* huge pages or fail */
	RP_HUGE_OFF,
};

struct rp_buffers_cfg {
	struct rp_mark mark;
	unsigned size;			/* bytes per buffer */
	unsigned count;			/* buffers per worker */
	enum rp_hugepages hugepages;
};

/* services[].local-cpu: CPU-local delivery in a SO_REUSEPORT group
 * (dataplane/reuseport.h). */
enum rp_local_cpu {
	RP_LOCAL_CPU_AUTO,	/* steer when the layout allows, else the hash (logged) */
	RP_LOCAL_CPU_ON,	/* steer or refuse to start */
	RP_LOCAL_CPU_OFF,	/* the kernel's reuseport hash */
};

/* services[].rx-zerocopy: io_uring zcrx on a NIC queue (dataplane/zcrx.h). */
enum rp_rx_zc {
	RP_RXZC_OFF,	/* provided-buffer receive (the default) */
	RP_RXZC_AUTO,	/* zcrx where the interface can, else the fallback (reason logged) */
	RP_RXZC_ON,	/* zcrx or refuse to start, with the reason */
};

/* services[].rx-zerocopy-area-source: what the zcrx area is made of. */
enum rp_rx_zc_src {
	RP_RXZC_SRC_MEMORY,	/* anonymous pages, pinned by the registration */
	RP_RXZC_SRC_DMABUF,	/* a udmabuf over a memfd (IORING_ZCRX_AREA_DMABUF) */
};

enum rp_zc_mode {
	RP_ZC_AUTO,
	RP_ZC_ALWAYS,
	RP_ZC_NEVER,
};

struct rp_zerocopy_cfg {
	struct rp_mark mark;
	enum rp_zc_mode mode;
	unsigned threshold;		/* auto: copy below, zerocopy at or above */
	unsigned sample_every;		/* REPORT_USAGE on 1 in N zerocopy sends */
	unsigned fallback_retry_ms;	/* auto: zerocopy again this long after a copy report; 0 never */
};

/* Which worker owns a new connection (dataplane/steer.c has the policies). */
enum rp_steer_policy {
	RP_STEER_NAPI,		/* the worker of the rx queue it arrived on; else hash */
	RP_STEER_ROUND_ROBIN,
	RP_STEER_LEAST_LOADED,
	RP_STEER_HASH,		/* 4-tuple */
	RP_STEER__COUNT,
};

/* Service types: one row each in the service table (dataplane/svc.c). */
enum rp_svc_type {
	RP_SVC_UDP_ECHO,
	RP_SVC_TCP_ECHO,
	RP_SVC_TCP_PROXY,
	RP_SVC_UDP_RELAY,
	RP_SVC__COUNT,
};

/* tcp-proxy: which backend a new connection goes to (dataplane/balance.h). */
enum rp_balance {
	RP_BAL_ROUND_ROBIN,	/* smooth weighted round-robin */
	RP_BAL_LEAST_CONN,	/* fewest open connections per unit of weight (this worker's) */
	RP_BAL_HASH,		/* rendezvous hash of the client address, weighted */
};

/* tcp-proxy: how received data is forwarded to the other leg. */
enum rp_forward {
	RP_FWD_SERIALIZED,	/* one send in flight per direction, from the receive buffers */
	RP_FWD_BUNDLE,		/* a send buffer ring per leg, bundle sends (proxy_forward.h) */
};

/* udp-relay: how a datagram reaches its session's owner (relay.h). */
enum rp_relay_handoff {
	RP_HANDOFF_MSG_RING,	/* a MSG_RING message naming the origin's buffer: no copy */
	RP_HANDOFF_COPY,	/* copied into a queue per worker pair, eventfd wake (for comparison) */
};

#define RP_BACKENDS_MAX 64u	/* per tcp-proxy or udp-relay service (a retry excludes by a 64-bit mask) */
/* Counter blocks per tcp-proxy or udp-relay service and worker: one per backend address
 * the service has had since start (a reload keeps a kept backend's block
 * and gives a new one a fresh block; dataplane/reload.h). */
#define RP_BACKEND_SLOTS (2 * RP_BACKENDS_MAX)

/* What a tcp-proxy sends a backend ahead of the client's bytes. */
enum rp_proxy_protocol {
	RP_PP_NONE,
	RP_PP_V2,		/* the PROXY protocol v2 binary header (dataplane/proxy_protocol.h) */
};

/* tcp-proxy: active health checks of its backends (dataplane/proxy_health.h). */
struct rp_health_cfg {
	struct rp_mark mark;
	bool enabled;
	unsigned interval_ms;		/* between the starts of two checks of one backend */
	unsigned timeout_ms;		/* a connect not done by then failed */
	unsigned rise;			/* successes in a row that put a down backend back */
	unsigned fall;			/* failures in a row that take an up backend out */
};

/* services[].backends[]: a server a tcp-proxy forwards to. */
struct rp_backend_cfg {
	struct rp_mark mark;
	struct rp_addr addr;
	unsigned weight;
	enum rp_proxy_protocol proxy_protocol;
	unsigned slot;			/* its counter block in the service's RP_BACKEND_SLOTS:
					 * the loader sets its index; a reload keeps a kept
					 * backend's slot (dataplane/reload.c) */
};

/*
 * limits: what one worker, and one connection on it, may hold. Every
 * service's connections share their worker's buffer pool through these
 * (dataplane/share.h): a connection at its cap is not read again until its
 * sends drain, and the pool keeps a reserve that only connections holding
 * little may use, so UDP and well-behaved peers always find buffers.
 */
struct rp_limits_cfg {
	struct rp_mark mark;
	long conn_buffers;		/* RP_UNSET (auto): buffers.count / 16, at least 4 */
	long reserve_buffers;		/* RP_UNSET (auto): buffers.count / 8 */
	struct rp_mark conn_buffers_mark, reserve_buffers_mark;	/* line 0: defaulted */
	unsigned connections;		/* per worker; sizes the fixed-file table */
};

struct rp_service_cfg {
	char name[RP_NAME_MAX];
	struct rp_mark mark;
	struct rp_mark name_mark;	/* of the name's value; line 0: defaulted */
	enum rp_svc_type type;
	struct rp_addr listen;
	struct rp_mark listen_mark;
	bool sockperf;			/* speak sockperf's framing */
	int zerocopy;			/* RP_UNSET or enum rp_zc_mode: per-service override */
	/* Without acceptor: the worker sockets' reuseport group hands a packet
	 * to the socket of the worker on the CPU that received it. */
	enum rp_local_cpu local_cpu;
	bool gso;			/* udp: coalesce replies per peer (dataplane/gso.h) */
	unsigned gso_retry_ms;		/* udp: GSO again this long after a peer refused it; 0 never */
	/* tcp: one acceptor ring accepts and hands each connection to a worker
	 * by MSG_RING (dataplane/acceptor.h) instead of a SO_REUSEPORT listener
	 * per worker; steering picks the worker (dataplane/steer.h). */
	bool acceptor;
	enum rp_steer_policy steering;
	/* tcp: limits and timeouts per connection (dataplane/svc_tcp_echo.c) */
	unsigned max_connections;	/* per worker; 0: only limits.connections */
	unsigned backlog;		/* listen(2) backlog (the kernel caps it at somaxconn) */
	unsigned idle_timeout_ms;	/* nothing received or sent for this long: closed; 0: never */
	unsigned write_stall_ms;	/* replies pending, none taken for this long: reset; 0: never */
	/* tcp-proxy (dataplane/svc_tcp_proxy.c) */
	struct rp_backend_cfg *backends;
	unsigned n_backends;
	/* backends[n_backends, n_backends_all): removed by a live reload, kept
	 * for the connections still open to them; never picked. The loader
	 * sets n_backends_all = n_backends (dataplane/reload.h). */
	unsigned n_backends_all;
	enum rp_balance balance;
	unsigned connect_timeout_ms;	/* a backend that has not answered the SYN by then: next one */
	unsigned retries;		/* other backends tried after a failed connect */
	bool nodelay;			/* TCP_NODELAY on both legs */
	enum rp_forward forward;
	struct rp_health_cfg health;
	/* udp-relay (dataplane/svc_udp_relay.c); backends above, idle_timeout_ms
	 * is a session's */
	unsigned max_sessions;		/* per worker */
	unsigned max_client_sessions;	/* per client IP address; 0: only max_sessions */
	unsigned backend_down_ms;	/* a backend that refused (ICMP) gets no new sessions this long */
	char health_probe[RP_NAME_MAX];	/* probe payload; "": no health probes */
	char health_expect[RP_NAME_MAX];	/* a healthy reply contains this; "": any reply */
	unsigned health_interval_ms;	/* a probe per backend this often; its reply within it */
	enum rp_relay_handoff handoff;
	/* tcp-echo, tcp-proxy: hardware receive zerocopy (io_uring zcrx) on one rx queue
	 * of an interfaces[] entry, which nicmgr prepares (header split, the
	 * queue out of RSS, an ntuple rule for listen's port). */
	enum rp_rx_zc rx_zc;
	char rx_zc_iface[IFNAMSIZ];
	struct rp_mark rx_zc_mark;	/* of rx-zerocopy's value */
	long rx_zc_queue;		/* rx queue index */
	unsigned rx_zc_area;		/* bytes of the receive area per queue */
	enum rp_rx_zc_src rx_zc_src;
	struct rp_mark rx_zc_src_mark;	/* of rx-zerocopy-area-source's value */
	unsigned rx_zc_refill;		/* refill ring entries (power of two) */
	int rx_zc_iface_idx;		/* rules: index in interfaces[], -1 none */
};

struct rp_metrics_cfg {
	struct rp_mark mark;
	bool enabled;
	struct rp_addr listen;
};

enum rp_log_level {
	RP_LOG_ERROR,
	RP_LOG_WARN,
	RP_LOG_INFO,
	RP_LOG_DEBUG,
};

enum rp_log_format {
	RP_LOG_TEXT,
	RP_LOG_JSON,
};

struct rp_logging_cfg {
	struct rp_mark mark;
	enum rp_log_level level;
	enum rp_log_format format;
};

/* What SIGINT/SIGTERM waits for before giving up on slow peers. */
struct rp_shutdown_cfg {
	struct rp_mark mark;
	unsigned drain_timeout_ms;	/* then connections are reset; 0: wait forever */
};

/* The process itself: who it runs as once started (dataplane/privdrop.h). */
struct rp_process_cfg {
	struct rp_mark mark;
	char user[RP_NAME_MAX];		/* "": stay who it was started as */
	struct rp_mark user_mark;
};

/* The appliance's event channel (dataplane/events.h): a broadcast message
 * channel (chan/chan.h) monitoring processes attach to. */
struct rp_events_cfg {
	struct rp_mark mark;
	char channel[RP_NAME_MAX];	/* "": no event channel */
	struct rp_mark channel_mark;
	unsigned slots;			/* messages kept for slow receivers */
	unsigned stats_interval_ms;	/* a stats event per service; 0: none */
	char group[RP_NAME_MAX];	/* may attach as receivers; "": owner only */
	struct rp_mark group_mark;
};

struct rp_config {
	char file[256];			/* where it was loaded from */
	struct rp_iface_cfg *interfaces;
	unsigned n_interfaces;
	struct rp_workers_cfg workers;
	struct rp_buffers_cfg buffers;
	struct rp_zerocopy_cfg zerocopy;
	struct rp_limits_cfg limits;
	struct rp_service_cfg *services;
	unsigned n_services;
	struct rp_metrics_cfg metrics;
	struct rp_logging_cfg logging;
	struct rp_shutdown_cfg shutdown;
	struct rp_process_cfg process;
	struct rp_events_cfg events;
};

/* One problem found while loading, at file:line:column. */
struct rp_cfg_error {
	char file[256];
	unsigned line, column;
	char msg[320];
};

struct rp_cfg_errors {
	struct rp_cfg_error *v;
	unsigned n;
};

/* ---- API --------------------------------------------------------------- */

/*
 * Load and validate. Returns 0 and fills *cfg, or -1 with every problem found
 * in *errs (at least one). Either way the caller frees both.
 */
int rp_config_load_file(const char *path, struct rp_config *cfg,
			struct rp_cfg_errors *errs);
int rp_config_load_string(const char *name, const char *text, size_t len,
			  struct rp_config *cfg, struct rp_cfg_errors *errs);
/* The embedded default (config/examples/default.yaml). */
int rp_config_load_default(struct rp_config *cfg, struct rp_cfg_errors *errs);
void rp_config_free(struct rp_config *cfg);

void rp_cfg_errors_print(FILE *f, const struct rp_cfg_errors *errs);
void rp_cfg_errors_free(struct rp_cfg_errors *errs);

/* Print the config, defaults filled in, as YAML that loads back the same. */
void rp_config_print(FILE *f, const struct rp_config *cfg);

const char *rp_svc_type_name(enum rp_svc_type t);
const char *rp_zc_mode_name(enum rp_zc_mode m);
/* SOCK_DGRAM or SOCK_STREAM: what a service of this type listens on. */
int rp_svc_type_socktype(enum rp_svc_type t);

#endif
