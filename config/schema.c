/* SPDX-License-Identifier: MIT */
/*
 * The config schema as one table (see schema.h). Every key the YAML file may
 * hold is one row below; the loader, the normalized printer and the
 * documented reference (`ringplane check --reference`) all read these rows.
 */
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include "config/schema.h"

/* Where a key's value lives: its offset and storage width in struct ST. */
#define AT(st, m)	.offset = offsetof(st, m), .width = sizeof(((st *)0)->m)
#define COUNT(st, m)	.count_offset = offsetof(st, m)
#define RANGE(lo, hi)	.min = (lo), .max = (hi)
#define N_KEYS(t)	(sizeof(t) / sizeof((t)[0]))
#define SECTION(nm, st, t, ...) { .name = (nm), .keys = (t), .n_keys = N_KEYS(t), \
				  .size = sizeof(st), __VA_ARGS__ }

#define KiB 1024L
#define MiB (1024L * 1024)

/* ---- enum names (index = enum value) ------------------------------------ */

static const char *const hugepages_names[] = {
	[RP_HUGE_AUTO] = "auto", [RP_HUGE_ON] = "on", [RP_HUGE_OFF] = "off", NULL,
};
static const char *const zc_mode_names[] = {
	[RP_ZC_AUTO] = "auto", [RP_ZC_ALWAYS] = "always", [RP_ZC_NEVER] = "never", NULL,
};
/* The spelling dataplane/steer.c uses for the same policies. */
static const char *const steer_names[] = {
	[RP_STEER_NAPI] = "napi", [RP_STEER_ROUND_ROBIN] = "round-robin",
	[RP_STEER_LEAST_LOADED] = "least-loaded", [RP_STEER_HASH] = "hash", NULL,
};
static const char *const local_cpu_names[] = {
	[RP_LOCAL_CPU_AUTO] = "auto", [RP_LOCAL_CPU_ON] = "on", [RP_LOCAL_CPU_OFF] = "off", NULL,
};
static const char *const rx_zc_names[] = {
	[RP_RXZC_OFF] = "off", [RP_RXZC_AUTO] = "auto", [RP_RXZC_ON] = "on", NULL,
};
static const char *const rx_zc_src_names[] = {
	[RP_RXZC_SRC_MEMORY] = "memory", [RP_RXZC_SRC_DMABUF] = "dmabuf", NULL,
};
static const char *const balance_names[] = {
	[RP_BAL_ROUND_ROBIN] = "round-robin", [RP_BAL_LEAST_CONN] = "least-connections",
	[RP_BAL_HASH] = "hash", NULL,
};
static const char *const forward_names[] = {
	[RP_FWD_SERIALIZED] = "serialized", [RP_FWD_BUNDLE] = "bundle", NULL,
};
static const char *const proxy_protocol_names[] = {
	[RP_PP_NONE] = "none", [RP_PP_V2] = "v2", NULL,
};
static const char *const handoff_names[] = {
	[RP_HANDOFF_MSG_RING] = "msg-ring", [RP_HANDOFF_COPY] = "copy", NULL,
};
static const char *const log_level_names[] = {
	[RP_LOG_ERROR] = "error", [RP_LOG_WARN] = "warn",
	[RP_LOG_INFO] = "info", [RP_LOG_DEBUG] = "debug", NULL,
};
static const char *const log_format_names[] = {
	[RP_LOG_TEXT] = "text", [RP_LOG_JSON] = "json", NULL,
};

/* Only service types that actually run are listed: the loader accepts
 * exactly these names. */
const char *const rp_svc_type_names[RP_SVC__COUNT + 1] = {
	[RP_SVC_UDP_ECHO] = "udp-echo",
	[RP_SVC_TCP_ECHO] = "tcp-echo",
	[RP_SVC_TCP_PROXY] = "tcp-proxy",
	[RP_SVC_UDP_RELAY] = "udp-relay",
};
const struct rp_svc_type_info rp_svc_types[RP_SVC__COUNT] = {
	[RP_SVC_UDP_ECHO] = { .socktype = SOCK_DGRAM },
	[RP_SVC_TCP_ECHO] = { .socktype = SOCK_STREAM },
	[RP_SVC_TCP_PROXY] = { .socktype = SOCK_STREAM },
	[RP_SVC_UDP_RELAY] = { .socktype = SOCK_DGRAM },
};

/* ---- interfaces[] --------------------------------------------------------- */

#define IF struct rp_iface_cfg

static const struct rp_key channels_keys[] = {
	{ "rx", RP_V_INT, 0, RANGE(0, 65535), NULL, "rx-only channels (ethtool -L rx)", AT(IF, channels_rx) },
	{ "tx", RP_V_INT, 0, RANGE(0, 65535), NULL, "tx-only channels (ethtool -L tx)", AT(IF, channels_tx) },
	{ "combined", RP_V_INT, 0, RANGE(0, 65535), NULL, "combined rx+tx channels (ethtool -L combined)", AT(IF, channels_combined) },
};
static const struct rp_key rings_keys[] = {
	{ "rx", RP_V_INT, 0, RANGE(1, 1 << 20), NULL, "rx ring size in descriptors (ethtool -G rx)", AT(IF, ring_rx) },
	{ "tx", RP_V_INT, 0, RANGE(1, 1 << 20), NULL, "tx ring size in descriptors (ethtool -G tx)", AT(IF, ring_tx) },
};
static const struct rp_key coalesce_keys[] = {
	{ "rx-usecs", RP_V_INT, 0, RANGE(0, 1000000), NULL, "rx interrupt delay in microseconds", AT(IF, coalesce_rx_usecs) },
	{ "tx-usecs", RP_V_INT, 0, RANGE(0, 1000000), NULL, "tx interrupt delay in microseconds", AT(IF, coalesce_tx_usecs) },
	{ "rx-frames", RP_V_INT, 0, RANGE(0, 1000000), NULL, "rx frames per interrupt", AT(IF, coalesce_rx_frames) },
	{ "tx-frames", RP_V_INT, 0, RANGE(0, 1000000), NULL, "tx frames per interrupt", AT(IF, coalesce_tx_frames) },
	{ "adaptive-rx", RP_V_BOOL, 0, RANGE(0, 0), NULL, "adaptive rx coalescing", AT(IF, adaptive_rx) },
	{ "adaptive-tx", RP_V_BOOL, 0, RANGE(0, 0), NULL, "adaptive tx coalescing", AT(IF, adaptive_tx) },
};
static const struct rp_key rss_keys[] = {
	{ "equal", RP_V_INT, 0, RANGE(1, 65535), NULL, "spread flows equally over the first N rx queues (ethtool -X equal N)", AT(IF, rss_equal) },
	{ "indirection", RP_V_U32LIST, 0, RANGE(0, 65535), NULL, "explicit indirection table: rx queue per hash bucket (at most 512 entries)", AT(IF, rss_indir), COUNT(IF, n_rss_indir) },
	{ "hfunc", RP_V_STRING, 0, RANGE(0, 0), NULL, "hash function by its kernel name (toeplitz, xor, crc32)", AT(IF, rss_hfunc) },
};
static const struct rp_key napi_keys[] = {
	{ "threaded", RP_V_BOOL, 0, RANGE(0, 0), NULL, "run NAPI polling in kernel threads", AT(IF, threaded_napi) },
	{ "defer-hard-irqs", RP_V_INT, 0, RANGE(0, INT_MAX), NULL, "polls without an interrupt before re-enabling it", AT(IF, napi_defer_hard_irqs) },
	{ "gro-flush-timeout", RP_V_INT, 0, RANGE(0, UINT_MAX), NULL, "GRO flush timeout in nanoseconds", AT(IF, napi_gro_flush_timeout) },
	{ "irq-suspend-timeout", RP_V_INT, 0, RANGE(0, UINT_MAX), NULL, "IRQ suspension while busy polling, in nanoseconds", AT(IF, napi_irq_suspend_timeout) },
};

static const struct rp_section channels_section = SECTION("channels", IF, channels_keys);
static const struct rp_section rings_section = SECTION("rings", IF, rings_keys);
static const struct rp_section coalesce_section = SECTION("coalesce", IF, coalesce_keys);
static const struct rp_section rss_section = SECTION("rss", IF, rss_keys);
static const struct rp_section napi_section = SECTION("napi", IF, napi_keys);

/* Sub-sections of an interface are groups of fields of the same struct:
 * their rows hold offsets into struct rp_iface_cfg, so the row that names
 * the group sits at offset 0. */
#define GROUP(sec) .child = &(sec)

static const struct rp_key iface_keys[] = {
	{ "name", RP_V_STRING, RP_K_REQUIRED | RP_K_HAS_MARK, RANGE(0, 0), NULL, "network device name (eth0, ens1f0, ...)", AT(IF, name), .mark_offset = offsetof(IF, name_mark) },
	{ "queues", RP_V_INT, 0, RANGE(1, RP_CPUS_MAX), NULL, "rx queues served, one worker each (unset: all)", AT(IF, queues) },
	{ "channels", RP_V_SECTION, 0, RANGE(0, 0), NULL, "channel counts (ethtool -L)", GROUP(channels_section) },
	{ "rings", RP_V_SECTION, 0, RANGE(0, 0), NULL, "ring sizes (ethtool -G)", GROUP(rings_section) },
	{ "tcp-data-split", RP_V_BOOL, 0, RANGE(0, 0), NULL, "header/data split (needed by zero-copy receive)", AT(IF, tcp_data_split) },
	{ "hds-threshold", RP_V_INT, 0, RANGE(0, UINT_MAX), NULL, "header/data split threshold in bytes", AT(IF, hds_threshold) },
	{ "features", RP_V_FEATURES, 0, RANGE(0, 0), NULL, "ethtool features to set, name: on/off (ethtool -K)", AT(IF, features), COUNT(IF, n_features) },
	{ "coalesce", RP_V_SECTION, 0, RANGE(0, 0), NULL, "interrupt coalescing (ethtool -C)", GROUP(coalesce_section) },
	{ "rss", RP_V_SECTION, 0, RANGE(0, 0), NULL, "receive side scaling (ethtool -X)", GROUP(rss_section) },
	{ "napi", RP_V_SECTION, 0, RANGE(0, 0), NULL, "NAPI settings (netdev netlink)", GROUP(napi_section) },
	{ "irq-cpus", RP_V_CPUS, RP_K_HAS_SET, RANGE(0, RP_CPUS_MAX - 1), NULL, "CPUs for the queues' IRQs: queue i -> cpus[i % n] (unset: leave)", AT(IF, irq_cpus), .set_offset = offsetof(IF, irq_cpus_set) },
};
static const struct rp_section iface_section =
	SECTION("interfaces entry", IF, iface_keys, .has_mark = true, .mark_offset = offsetof(IF, mark));
#undef IF

/* ---- workers, buffers, zerocopy ----------------------------------------------- */

#define W struct rp_workers_cfg
static const struct rp_key workers_keys[] = {
	{ "count", RP_V_INT, RP_K_AUTO | RP_K_HAS_MARK, RANGE(1, 1024), "auto", "worker threads, one io_uring each (auto: one per queue, or per allowed CPU; at most 256 with a tcp acceptor)", AT(W, count), .mark_offset = offsetof(W, count_mark) },
	{ "cpus", RP_V_CPUS, 0, RANGE(0, RP_CPUS_MAX - 1), "auto", "CPUs to pin workers to: worker i -> cpus[i % n]; auto: the allowed CPUs", AT(W, cpus) },
	{ "ring-entries", RP_V_INT, RP_K_POW2 | RP_K_HAS_MARK, RANGE(8, RP_RING_SQ_MAX), "1024", "submission queue entries per ring (a power of two)", AT(W, ring_entries), .mark_offset = offsetof(W, ring_entries_mark) },
	{ "cq-factor", RP_V_INT, RP_K_HAS_MARK, RANGE(1, 16), "4", "completion queue size as a multiple of ring-entries (ring-entries x cq-factor at most 65536, the kernel's limit)", AT(W, cq_factor), .mark_offset = offsetof(W, cq_factor_mark) },
	{ "busy-poll-usec", RP_V_INT, 0, RANGE(0, 1000000), "0", "NAPI busy poll time in microseconds (0: off)", AT(W, busy_poll_usec) },
	{ "prefer-busy-poll", RP_V_BOOL, 0, RANGE(0, 0), "false", "prefer busy polling over interrupts", AT(W, prefer_busy_poll) },
};
#undef W

#define B struct rp_buffers_cfg
static const struct rp_key buffers_keys[] = {
	{ "size", RP_V_SIZE, 0, RANGE(512, MiB), "4096", "bytes per registered buffer (largest datagram a worker receives)", AT(B, size) },
	{ "count", RP_V_SIZE, 0, RANGE(16, RP_BUFFERS_MAX), "2048", "buffers per worker, at most 32768 (16-bit buffer ids; the receive ring hands them out in turn, so every one is touched: more than what is in flight only costs cache)", AT(B, count) },
	{ "hugepages", RP_V_ENUM, 0, RANGE(0, 0), "auto", "back the buffer region with huge pages (auto: try, fall back)", AT(B, hugepages), .names = hugepages_names },
};
#undef B

#define Z struct rp_zerocopy_cfg
static const struct rp_key zerocopy_keys[] = {
	{ "mode", RP_V_ENUM, 0, RANGE(0, 0), "auto", "zerocopy sends: auto (by size), always, never", AT(Z, mode), .names = zc_mode_names },
	{ "threshold", RP_V_SIZE, 0, RANGE(0, 1L << 30), "4000", "auto: copy below this many bytes, zerocopy at or above (measured here: zerocopy loses 2-7% below ~1500 B, ties or wins from 4000 B; bench zc-tx-goals)", AT(Z, threshold) },
	{ "sample-every", RP_V_INT, 0, RANGE(1, 65536), "64", "ask the kernel whether it really avoided the copy on 1 in N zerocopy sends", AT(Z, sample_every) },
	{ "fallback-retry-ms", RP_V_INT, 0, RANGE(0, 86400000), "60000", "auto: when the kernel reports it copied a zerocopy send (a local peer, a fragmented datagram), copy sends are used for that TCP connection or UDP peer (destination address) only, and zerocopy is tried again after this many milliseconds (0: never again)", AT(Z, fallback_retry_ms) },
};
#undef Z

#define LM struct rp_limits_cfg
static const struct rp_key limits_keys[] = {
	{ "conn-buffers", RP_V_INT, RP_K_AUTO | RP_K_HAS_MARK, RANGE(1, 32768), "auto", "pool buffers one connection may hold (queued replies, sends in flight, zerocopy buffers awaiting their notification); at the cap it is not read until they drain (auto: buffers.count / 16, at least 4)", AT(LM, conn_buffers), .mark_offset = offsetof(LM, conn_buffers_mark) },
	{ "reserve-buffers", RP_V_INT, RP_K_AUTO | RP_K_HAS_MARK, RANGE(0, 32768), "auto", "free receive buffers kept for UDP and for connections holding at most 2: when fewer are free, every connection holding more stops being read until it drains (auto: buffers.count / 8)", AT(LM, reserve_buffers), .mark_offset = offsetof(LM, reserve_buffers_mark) },
	{ "connections", RP_V_INT, 0, RANGE(1, 1000000), "4096", "connections per worker, all services together; sizes the fixed-file table (which RLIMIT_NOFILE also caps); more are accepted and closed at once (conns_refused)", AT(LM, connections) },
};
#undef LM

/* ---- services[] ------------------------------------------------------------ */

#define S struct rp_service_cfg
static const struct rp_key service_keys[] = {
	{ "name", RP_V_STRING, RP_K_HAS_MARK, RANGE(0, 0), NULL, "unique name (unset: <type>-<index>)", AT(S, name), .mark_offset = offsetof(S, name_mark) },
	{ "type", RP_V_ENUM, RP_K_REQUIRED, RANGE(0, 0), NULL, "what the service does", AT(S, type), .names = rp_svc_type_names },
	{ "listen", RP_V_ADDR, RP_K_REQUIRED | RP_K_HAS_MARK, RANGE(0, 0), NULL, "address to listen on", AT(S, listen), .mark_offset = offsetof(S, listen_mark) },
	{ "sockperf", RP_V_BOOL, 0, RANGE(0, 0), "false", "speak sockperf's ping-pong framing", AT(S, sockperf) },
	{ "zerocopy", RP_V_ENUM, 0, RANGE(0, 0), NULL, "per-service zerocopy mode (unset: the global zerocopy.mode)", AT(S, zerocopy), .names = zc_mode_names },
	{ "local-cpu", RP_V_ENUM, 0, RANGE(0, 0), "auto", "without acceptor: each packet or connection goes to the worker pinned to the CPU that received it (SO_ATTACH_REUSEPORT_CBPF; a CPU without a worker: socket cpu % workers); auto: if every worker has a CPU of its own and the kernel takes the program, else the kernel's hash (reason logged); on: that or refuse to start; off: the hash", AT(S, local_cpu), .names = local_cpu_names },
};
/* Per-type keys, selected by `type`: a type with keys of its own points its
 * entry at a section of rows (offsets into the same struct). */
/* Limits and timeouts of every TCP service's connections (dataplane/conn.h). */
#define TCP_CONN_KEYS \
	{ "max-connections", RP_V_INT, 0, RANGE(0, 1 << 20), "0", "connections of this service per worker; more are accepted and closed at once (conns_refused); 0: only limits.connections", AT(S, max_connections) }, \
	{ "backlog", RP_V_INT, 0, RANGE(1, 65535), "1024", "listen backlog (the kernel caps it at net.core.somaxconn)", AT(S, backlog) }, \
	{ "idle-timeout-ms", RP_V_INT, 0, RANGE(0, 86400000), "300000", "a connection that receives and sends nothing for this long is closed (idle_timeouts); 0: never", AT(S, idle_timeout_ms) }, \
	{ "write-stall-timeout-ms", RP_V_INT, 0, RANGE(0, 86400000), "30000", "a connection whose replies (tcp-proxy: forwarded data) wait this long without the peer taking a byte (its window closed) is reset (write_stalls); 0: never", AT(S, write_stall_ms) }

/* Every TCP service can take its connections from an acceptor ring. */
#define TCP_ACCEPTOR_KEYS \
	{ "acceptor", RP_V_BOOL, 0, RANGE(0, 0), "false", "one acceptor ring accepts and hands connections to workers by MSG_RING (false: a SO_REUSEPORT listener per worker)", AT(S, acceptor) }, \
	{ "steering", RP_V_ENUM, 0, RANGE(0, 0), "napi", "with acceptor: which worker owns a new connection (tcp-proxy: and opens its backend connection)", AT(S, steering), .names = steer_names }

/* Hardware receive zerocopy (io_uring zcrx, dataplane/zcrx.h): tcp-echo
 * echoes from the area, tcp-proxy forwards client data from it. */
#define TCP_RX_ZC_KEYS \
	{ "rx-zerocopy", RP_V_ENUM, RP_K_HAS_MARK, RANGE(0, 0), "off", "hardware receive zerocopy (io_uring zcrx: kernel 6.15+, a NIC whose driver has header split and queue management, e.g. bnxt_en, mlx5, fbnic, gve) on rx-zerocopy-queue of rx-zerocopy-interface (tcp-proxy: what clients send); nicmgr turns header split on, takes the queue out of RSS and steers the listen port to it (ntuple). auto: where the interface can, else provided-buffer receive with the reason logged; on: that or refuse to start with the reason; off: provided-buffer receive", AT(S, rx_zc), .names = rx_zc_names, .mark_offset = offsetof(S, rx_zc_mark) }, \
	{ "rx-zerocopy-interface", RP_V_STRING, 0, RANGE(0, 0), NULL, "the interfaces[] entry whose queue receives this service's traffic (needed unless rx-zerocopy is off)", AT(S, rx_zc_iface) }, \
	{ "rx-zerocopy-queue", RP_V_INT, 0, RANGE(0, 65535), "0", "the rx queue given to zcrx; served by the worker of that queue (use acceptor with steering napi so its connections land there; others use provided-buffer receive)", AT(S, rx_zc_queue) }, \
	{ "rx-zerocopy-area", RP_V_SIZE, 0, RANGE(64 * KiB, 1L << 30), "16777216", "bytes of the receive area the NIC writes into (pinned, page-granular); when all of it is held by data not yet echoed or forwarded (tcp-proxy: a page goes back only once the send reading it has completed, and its notification has come when that send was zerocopy) the queue stops receiving until buffers return (backpressure: nothing is dropped)", AT(S, rx_zc_area) }, \
	{ "rx-zerocopy-area-source", RP_V_ENUM, RP_K_HAS_MARK, RANGE(0, 0), "memory", "where the area comes from: memory (anonymous pages of the worker, pinned at registration); dmabuf (a udmabuf made over a memfd through /dev/udmabuf, registered with IORING_ZCRX_AREA_DMABUF; needs CONFIG_UDMABUF; data that must be copied into the area, e.g. of a connection on another queue, cannot be: such a connection's receive fails)", AT(S, rx_zc_src), .names = rx_zc_src_names, .mark_offset = offsetof(S, rx_zc_src_mark) }, \
	{ "rx-zerocopy-refill", RP_V_INT, RP_K_POW2, RANGE(64, 32768), "4096", "refill ring entries (a power of two): how many consumed buffers can be handed back to the kernel at once", AT(S, rx_zc_refill) }

static const struct rp_key tcp_service_keys[] = {
	TCP_ACCEPTOR_KEYS,
	TCP_RX_ZC_KEYS,
	TCP_CONN_KEYS,
};
static const struct rp_section tcp_service_section = SECTION("tcp service entry", S, tcp_service_keys);

#define BE struct rp_backend_cfg
static const struct rp_key backend_keys[] = {
	{ "address", RP_V_ADDR, RP_K_REQUIRED, RANGE(0, 0), NULL, "the backend server, host:port", AT(BE, addr) },
	{ "weight", RP_V_INT, 0, RANGE(1, 1000), "1", "share of new connections relative to the other backends", AT(BE, weight) },
	{ "proxy-protocol", RP_V_ENUM, 0, RANGE(0, 0), "none", "v2: every connection to this backend starts with a PROXY protocol v2 header (the client's address and port, and the address and port it connected to) before any client byte; none: nothing is added", AT(BE, proxy_protocol), .names = proxy_protocol_names },
};
#undef BE
static const struct rp_section backend_section = SECTION("backends entry", struct rp_backend_cfg, backend_keys,
	.has_mark = true, .mark_offset = offsetof(struct rp_backend_cfg, mark));
#define HC struct rp_health_cfg
static const struct rp_key health_keys[] = {
	{ "enabled", RP_V_BOOL, 0, RANGE(0, 0), "false", "check every backend with a TCP connect (one worker checks, the others learn each change by MSG_RING); a backend marked down gets no new connection until it is put back", AT(HC, enabled) },
	{ "interval-ms", RP_V_INT, 0, RANGE(10, 3600000), "2000", "time between the starts of two checks of one backend", AT(HC, interval_ms) },
	{ "timeout-ms", RP_V_INT, 0, RANGE(1, 600000), "1000", "a check whose connect has not completed by then failed (at most interval-ms)", AT(HC, timeout_ms) },
	{ "rise", RP_V_INT, 0, RANGE(1, 100), "2", "checks in a row that must succeed to put a backend marked down back", AT(HC, rise) },
	{ "fall", RP_V_INT, 0, RANGE(1, 100), "3", "checks in a row that must fail to mark a backend down", AT(HC, fall) },
};
#undef HC
static const struct rp_section health_section = SECTION("health-check", struct rp_health_cfg, health_keys,
	.has_mark = true, .mark_offset = offsetof(struct rp_health_cfg, mark));
static const struct rp_key tcp_proxy_keys[] = {
	{ "backends", RP_V_LIST, RP_K_REQUIRED, RANGE(0, 0), NULL, "servers connections are forwarded to (1 to 64)", AT(S, backends), COUNT(S, n_backends), .child = &backend_section },
	{ "balance", RP_V_ENUM, 0, RANGE(0, 0), "round-robin", "which backend a new connection goes to: round-robin (weighted), least-connections (open connections / weight, counted per worker), hash (of the client address, weighted rendezvous: a client keeps its backend while the set stays)", AT(S, balance), .names = balance_names },
	{ "connect-timeout-ms", RP_V_INT, 0, RANGE(1, 600000), "2000", "a backend that has not accepted the connection by then counts as failed (connect_timeouts) and the next one is tried", AT(S, connect_timeout_ms) },
	{ "retries", RP_V_INT, 0, RANGE(0, 63), "2", "after a failed connect, this many other backends are tried (each at most once) before the client is closed", AT(S, retries) },
	{ "nodelay", RP_V_BOOL, 0, RANGE(0, 0), "true", "TCP_NODELAY on the client and the backend connection (no Nagle delay on forwarded pieces); false: the kernel default (Nagle on)", AT(S, nodelay) },
	{ "forward", RP_V_ENUM, 0, RANGE(0, 0), "bundle", "how data is forwarded: bundle (receive bundles: one receive completion carries several pool buffers; each leg has a send buffer ring with incremental consumption, what waits to be sent is published to it whenever no send is in flight, and one bundle send takes all of it; copy sends; needs kernel 6.12+, else serialized); serialized (one buffer per receive completion, one send in flight per direction, one buffer per send, copy or zerocopy by policy)", AT(S, forward), .names = forward_names },
	{ "health-check", RP_V_SECTION, 0, RANGE(0, 0), NULL, "active health checks of the backends", AT(S, health), .child = &health_section },
	TCP_ACCEPTOR_KEYS,
	TCP_RX_ZC_KEYS,
	TCP_CONN_KEYS,
};
static const struct rp_section tcp_proxy_section = SECTION("tcp-proxy service entry", S, tcp_proxy_keys);
#define UDP_GSO_KEYS \
	{ "gso", RP_V_BOOL, 0, RANGE(0, 0), "true", "send consecutive equal-size replies to one peer from one CQE batch as one UDP GSO send (UDP_SEGMENT; datagrams the zerocopy policy copies, up to 1472 B over IPv4 and 1452 B over IPv6: a 1500-byte MTU); udp-echo with buffers.size >= 65535, no sockperf and zerocopy copying datagrams of 1472 B also takes a peer's datagrams that arrive as one packet in one buffer (UDP_GRO) and answers them as one such send; udp-relay: also a session's datagrams to its backend, and (buffers.size >= 65607) a backend's coalesced replies (UDP_GRO) passed on as such sends", AT(S, gso) }, \
	{ "gso-retry-ms", RP_V_INT, 0, RANGE(0, 86400000), "60000", "when the kernel refuses a GSO send to a peer (e.g. a route with a smaller MTU), that peer (destination address) only is answered datagram by datagram, and GSO is tried again after this many milliseconds (0: never again)", AT(S, gso_retry_ms) }
static const struct rp_key udp_service_keys[] = {
	UDP_GSO_KEYS,
};
static const struct rp_key udp_relay_keys[] = {
	{ "backends", RP_V_LIST, RP_K_REQUIRED, RANGE(0, 0), NULL, "servers datagrams are relayed to (1 to 64); a client IP address keeps its backend while the set stays (weighted rendezvous hashing: a backend added or removed moves only its share of clients)", AT(S, backends), COUNT(S, n_backends), .child = &backend_section },
	{ "max-sessions", RP_V_INT, 0, RANGE(1, 65535), "4096", "sessions (client address and port) one worker owns at once, each with its own backend socket; datagrams of a new client beyond it are dropped (sessions_refused)", AT(S, max_sessions) },
	{ "max-client-sessions", RP_V_INT, 0, RANGE(0, 65535), "64", "sessions of one client IP address (all its ports) at once; datagrams of more are dropped (client_refused); 0: only max-sessions", AT(S, max_client_sessions) },
	{ "idle-timeout-ms", RP_V_INT, 0, RANGE(0, 86400000), "30000", "a session without a datagram either way for this long ends and frees its backend socket (sessions_expired); 0: never", AT(S, idle_timeout_ms) },
	{ "backend-down-ms", RP_V_INT, 0, RANGE(0, 86400000), "10000", "a backend that refuses a datagram (ICMP port unreachable) gets no new sessions for this long, on the worker that saw it (backend_down); its sessions end at once", AT(S, backend_down_ms) },
	{ "health-probe", RP_V_STRING, 0, RANGE(0, 0), NULL, "a datagram each worker sends every backend every health-interval-ms from a socket of its own; a backend that does not answer it in time (or answers without health-expect) gets no new sessions and its sessions end, until it answers again (backend_down); unset: no probes", AT(S, health_probe) },
	{ "health-expect", RP_V_STRING, 0, RANGE(0, 0), NULL, "a healthy answer to health-probe contains these bytes (unset: any answer is healthy)", AT(S, health_expect) },
	{ "health-interval-ms", RP_V_INT, 0, RANGE(10, 3600000), "1000", "how often each backend is probed; the answer must come within the same interval", AT(S, health_interval_ms) },
	{ "handoff", RP_V_ENUM, 0, RANGE(0, 0), "msg-ring", "how a datagram received by a worker that does not own its session reaches the owner: msg-ring (a MSG_RING message naming the receiving worker's buffer; no copy, the buffer comes back the same way); copy (exists for comparison, the classic design: the payload and client address are copied into a bounded queue per pair of workers, the owner is woken by an eventfd only when it said it sleeps; a full queue drops the datagram, handoff_drops)", AT(S, handoff), .names = handoff_names },
	UDP_GSO_KEYS,
};
static const struct rp_section udp_relay_section = SECTION("udp-relay service entry", S, udp_relay_keys);
static const struct rp_section udp_service_section = SECTION("udp service entry", S, udp_service_keys);
static const struct rp_section *const service_variants[RP_SVC__COUNT] = {
	[RP_SVC_UDP_ECHO] = &udp_service_section,
	[RP_SVC_TCP_ECHO] = &tcp_service_section,
	[RP_SVC_TCP_PROXY] = &tcp_proxy_section,
	[RP_SVC_UDP_RELAY] = &udp_relay_section,
};
static const struct rp_section service_section =
	SECTION("services entry", S, service_keys, .has_mark = true, .mark_offset = offsetof(S, mark),
		.variant_key = "type", .variants = service_variants);
#undef S

/* ---- metrics, logging ---------------------------------------------------------- */

#define M struct rp_metrics_cfg
static const struct rp_key metrics_keys[] = {
	{ "enabled", RP_V_BOOL, 0, RANGE(0, 0), "true", "serve Prometheus metrics over HTTP", AT(M, enabled) },
	{ "listen", RP_V_ADDR, 0, RANGE(0, 0), "127.0.0.1:9107", "address of the metrics endpoint", AT(M, listen) },
};
#undef M

#define L struct rp_logging_cfg
static const struct rp_key logging_keys[] = {
	{ "level", RP_V_ENUM, 0, RANGE(0, 0), "info", "least severe level logged", AT(L, level), .names = log_level_names },
	{ "format", RP_V_ENUM, 0, RANGE(0, 0), "text", "log line format", AT(L, format), .names = log_format_names },
};
#undef L

#define SD struct rp_shutdown_cfg
static const struct rp_key shutdown_keys[] = {
	{ "drain-timeout-ms", RP_V_INT, 0, RANGE(0, 3600000), "5000", "after SIGINT/SIGTERM, how long in-flight sends may take before the connections still holding them are reset (every zerocopy notification is still awaited); 0: wait forever", AT(SD, drain_timeout_ms) },
};
#undef SD

#define P struct rp_process_cfg
static const struct rp_key process_keys[] = {
	{ "user", RP_V_STRING, RP_K_HAS_MARK, RANGE(0, 0), NULL, "started as root: once NIC settings are applied, buffers registered and sockets bound, switch every thread to this user (its primary group, no supplementary groups) and keep no capabilities; unset: stay root. Under systemd use User= instead", AT(P, user), .mark_offset = offsetof(P, user_mark) },
};
#undef P

#define E struct rp_events_cfg
static const struct rp_key events_keys[] = {
	{ "channel", RP_V_STRING, RP_K_HAS_MARK, RANGE(0, 0), NULL, "name of a broadcast message channel (/dev/shm/ringplane-chan.NAME; `ringplane chan listen NAME`) on which the appliance publishes one JSON object per event: start, stop, connections opened and closed, and stats per service every stats-interval-ms. It is created at start (replacing one a previous run left) and destroyed at exit; slow receivers lose old events (counted), never slow the dataplane. Unset: no channel", AT(E, channel), .mark_offset = offsetof(E, channel_mark) },
	{ "slots", RP_V_INT, RP_K_POW2, RANGE(64, 65536), "4096", "events kept for a receiver that is behind (a power of two; 1 KiB each)", AT(E, slots) },
	{ "stats-interval-ms", RP_V_INT, 0, RANGE(0, 3600000), "1000", "how often a stats event per service is published; 0: never", AT(E, stats_interval_ms) },
	{ "group", RP_V_STRING, RP_K_HAS_MARK, RANGE(0, 0), NULL, "members of this group may attach as receivers (file mode 0660); unset: only the appliance's user (0600)", AT(E, group), .mark_offset = offsetof(E, group_mark) },
};
#undef E

/* ---- the file --------------------------------------------------------------------- */

#define HAS_MARK(st) .has_mark = true, .mark_offset = offsetof(st, mark)
static const struct rp_section workers_section = SECTION("workers", struct rp_workers_cfg, workers_keys, HAS_MARK(struct rp_workers_cfg));
static const struct rp_section buffers_section = SECTION("buffers", struct rp_buffers_cfg, buffers_keys, HAS_MARK(struct rp_buffers_cfg));
static const struct rp_section zerocopy_section = SECTION("zerocopy", struct rp_zerocopy_cfg, zerocopy_keys, HAS_MARK(struct rp_zerocopy_cfg));
static const struct rp_section limits_section = SECTION("limits", struct rp_limits_cfg, limits_keys, HAS_MARK(struct rp_limits_cfg));
static const struct rp_section metrics_section = SECTION("metrics", struct rp_metrics_cfg, metrics_keys, HAS_MARK(struct rp_metrics_cfg));
static const struct rp_section logging_section = SECTION("logging", struct rp_logging_cfg, logging_keys, HAS_MARK(struct rp_logging_cfg));
static const struct rp_section shutdown_section = SECTION("shutdown", struct rp_shutdown_cfg, shutdown_keys, HAS_MARK(struct rp_shutdown_cfg));
static const struct rp_section process_section = SECTION("process", struct rp_process_cfg, process_keys, HAS_MARK(struct rp_process_cfg));
static const struct rp_section events_section = SECTION("events", struct rp_events_cfg, events_keys, HAS_MARK(struct rp_events_cfg));

#define C struct rp_config
static const struct rp_key root_keys[] = {
	{ "interfaces", RP_V_LIST, 0, RANGE(0, 0), NULL, "NICs served and the settings applied to them at start-up", AT(C, interfaces), COUNT(C, n_interfaces), .child = &iface_section },
	{ "workers", RP_V_SECTION, 0, RANGE(0, 0), NULL, "worker threads and their rings", AT(C, workers), .child = &workers_section },
	{ "buffers", RP_V_SECTION, 0, RANGE(0, 0), NULL, "registered buffer pool, per worker", AT(C, buffers), .child = &buffers_section },
	{ "zerocopy", RP_V_SECTION, 0, RANGE(0, 0), NULL, "zerocopy send policy", AT(C, zerocopy), .child = &zerocopy_section },
	{ "limits", RP_V_SECTION, 0, RANGE(0, 0), NULL, "fair sharing of each worker's buffers and connection limits", AT(C, limits), .child = &limits_section },
	{ "services", RP_V_LIST, 0, RANGE(0, 0), NULL, "what the appliance serves", AT(C, services), COUNT(C, n_services), .child = &service_section },
	{ "metrics", RP_V_SECTION, 0, RANGE(0, 0), NULL, "Prometheus endpoint", AT(C, metrics), .child = &metrics_section },
	{ "logging", RP_V_SECTION, 0, RANGE(0, 0), NULL, "log output", AT(C, logging), .child = &logging_section },
	{ "shutdown", RP_V_SECTION, 0, RANGE(0, 0), NULL, "graceful shutdown on SIGINT/SIGTERM", AT(C, shutdown), .child = &shutdown_section },
	{ "process", RP_V_SECTION, 0, RANGE(0, 0), NULL, "the process: privileges after start-up", AT(C, process), .child = &process_section },
	{ "events", RP_V_SECTION, 0, RANGE(0, 0), NULL, "an event channel for monitoring processes", AT(C, events), .child = &events_section },
};
#undef C

const struct rp_section rp_schema_root = SECTION("top level", struct rp_config, root_keys);

/* ---- lookups ---------------------------------------------------------------------- */

const struct rp_key *rp_section_find(const struct rp_section *s, const char *key)
{
	for (unsigned i = 0; s && i < s->n_keys; i++)
		if (!strcmp(s->keys[i].key, key))
			return &s->keys[i];
	return NULL;
}

const char *rp_svc_type_name(enum rp_svc_type t)
{
	return (unsigned)t < RP_SVC__COUNT ? rp_svc_type_names[t] : "?";
}

const char *rp_zc_mode_name(enum rp_zc_mode m)
{
	return (unsigned)m < RP_ZC_NEVER + 1 ? zc_mode_names[m] : "?";
}

int rp_svc_type_socktype(enum rp_svc_type t)
{
	return (unsigned)t < RP_SVC__COUNT ? rp_svc_types[t].socktype : -1;
}
