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
};
const struct rp_svc_type_info rp_svc_types[RP_SVC__COUNT] = {
	[RP_SVC_UDP_ECHO] = { .socktype = SOCK_DGRAM },
	[RP_SVC_TCP_ECHO] = { .socktype = SOCK_STREAM },
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
	{ "queues", RP_V_INT, 0, RANGE(1, 4096), NULL, "rx queues served, one worker each (unset: all)", AT(IF, queues) },
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
	{ "count", RP_V_INT, RP_K_AUTO, RANGE(1, 1024), "auto", "worker threads, one io_uring each (auto: one per queue, or per allowed CPU)", AT(W, count) },
	{ "cpus", RP_V_CPUS, 0, RANGE(0, RP_CPUS_MAX - 1), "auto", "CPUs to pin workers to: worker i -> cpus[i % n]; auto: the allowed CPUs", AT(W, cpus) },
	{ "ring-entries", RP_V_INT, RP_K_POW2, RANGE(8, 32768), "1024", "submission queue entries per ring (a power of two)", AT(W, ring_entries) },
	{ "cq-factor", RP_V_INT, 0, RANGE(1, 16), "4", "completion queue size as a multiple of ring-entries", AT(W, cq_factor) },
	{ "busy-poll-usec", RP_V_INT, 0, RANGE(0, 1000000), "0", "NAPI busy poll time in microseconds (0: off)", AT(W, busy_poll_usec) },
	{ "prefer-busy-poll", RP_V_BOOL, 0, RANGE(0, 0), "false", "prefer busy polling over interrupts", AT(W, prefer_busy_poll) },
};
#undef W

#define B struct rp_buffers_cfg
static const struct rp_key buffers_keys[] = {
	{ "size", RP_V_SIZE, 0, RANGE(512, MiB), "4096", "bytes per registered buffer (largest datagram a worker receives)", AT(B, size) },
	{ "count", RP_V_SIZE, 0, RANGE(16, MiB), "2048", "buffers per worker (the receive ring hands them out in turn, so every one is touched: more than what is in flight only costs cache)", AT(B, count) },
	{ "hugepages", RP_V_ENUM, 0, RANGE(0, 0), "auto", "back the buffer region with huge pages (auto: try, fall back)", AT(B, hugepages), .names = hugepages_names },
};
#undef B

#define Z struct rp_zerocopy_cfg
static const struct rp_key zerocopy_keys[] = {
	{ "mode", RP_V_ENUM, 0, RANGE(0, 0), "auto", "zerocopy sends: auto (by size), always, never", AT(Z, mode), .names = zc_mode_names },
	{ "threshold", RP_V_SIZE, 0, RANGE(0, 1L << 30), "4096", "auto: copy below this many bytes, zerocopy at or above (zerocopy loses below ~4 KB)", AT(Z, threshold) },
	{ "sample-every", RP_V_INT, 0, RANGE(1, 65536), "64", "ask the kernel whether it really avoided the copy on 1 in N zerocopy sends", AT(Z, sample_every) },
	{ "fallback-retry-ms", RP_V_INT, 0, RANGE(0, 86400000), "60000", "auto: when the kernel reports it copied a zerocopy send (a local peer, a fragmented datagram), copy sends are used for that TCP connection or UDP peer (destination address) only, and zerocopy is tried again after this many milliseconds (0: never again)", AT(Z, fallback_retry_ms) },
};
#undef Z

/* ---- services[] ------------------------------------------------------------ */

#define S struct rp_service_cfg
static const struct rp_key service_keys[] = {
	{ "name", RP_V_STRING, RP_K_HAS_MARK, RANGE(0, 0), NULL, "unique name (unset: <type>-<index>)", AT(S, name), .mark_offset = offsetof(S, name_mark) },
	{ "type", RP_V_ENUM, RP_K_REQUIRED, RANGE(0, 0), NULL, "what the service does", AT(S, type), .names = rp_svc_type_names },
	{ "listen", RP_V_ADDR, RP_K_REQUIRED | RP_K_HAS_MARK, RANGE(0, 0), NULL, "address to listen on", AT(S, listen), .mark_offset = offsetof(S, listen_mark) },
	{ "sockperf", RP_V_BOOL, 0, RANGE(0, 0), "false", "speak sockperf's ping-pong framing", AT(S, sockperf) },
	{ "zerocopy", RP_V_ENUM, 0, RANGE(0, 0), NULL, "per-service zerocopy mode (unset: the global zerocopy.mode)", AT(S, zerocopy), .names = zc_mode_names },
};
/* Per-type keys, selected by `type`: a type with keys of its own points its
 * entry at a section of rows (offsets into the same struct). */
static const struct rp_key tcp_service_keys[] = {
	{ "acceptor", RP_V_BOOL, 0, RANGE(0, 0), "false", "one acceptor ring accepts and hands connections to workers by MSG_RING (false: a SO_REUSEPORT listener per worker)", AT(S, acceptor) },
	{ "steering", RP_V_ENUM, 0, RANGE(0, 0), "napi", "with acceptor: which worker owns a new connection", AT(S, steering), .names = steer_names },
};
static const struct rp_section tcp_service_section = SECTION("tcp service entry", S, tcp_service_keys);
static const struct rp_key udp_service_keys[] = {
	{ "gso", RP_V_BOOL, 0, RANGE(0, 0), "true", "send consecutive equal-size replies to one peer from one CQE batch as one UDP GSO send (UDP_SEGMENT; datagrams the zerocopy policy copies, up to 1472 B over IPv4 and 1452 B over IPv6: a 1500-byte MTU)", AT(S, gso) },
	{ "gso-retry-ms", RP_V_INT, 0, RANGE(0, 86400000), "60000", "when the kernel refuses a GSO send to a peer (e.g. a route with a smaller MTU), that peer (destination address) only is answered datagram by datagram, and GSO is tried again after this many milliseconds (0: never again)", AT(S, gso_retry_ms) },
};
static const struct rp_section udp_service_section = SECTION("udp service entry", S, udp_service_keys);
static const struct rp_section *const service_variants[RP_SVC__COUNT] = {
	[RP_SVC_UDP_ECHO] = &udp_service_section,
	[RP_SVC_TCP_ECHO] = &tcp_service_section,
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

/* ---- the file --------------------------------------------------------------------- */

#define HAS_MARK(st) .has_mark = true, .mark_offset = offsetof(st, mark)
static const struct rp_section workers_section = SECTION("workers", struct rp_workers_cfg, workers_keys, HAS_MARK(struct rp_workers_cfg));
static const struct rp_section buffers_section = SECTION("buffers", struct rp_buffers_cfg, buffers_keys, HAS_MARK(struct rp_buffers_cfg));
static const struct rp_section zerocopy_section = SECTION("zerocopy", struct rp_zerocopy_cfg, zerocopy_keys, HAS_MARK(struct rp_zerocopy_cfg));
static const struct rp_section metrics_section = SECTION("metrics", struct rp_metrics_cfg, metrics_keys, HAS_MARK(struct rp_metrics_cfg));
static const struct rp_section logging_section = SECTION("logging", struct rp_logging_cfg, logging_keys, HAS_MARK(struct rp_logging_cfg));
static const struct rp_section shutdown_section = SECTION("shutdown", struct rp_shutdown_cfg, shutdown_keys, HAS_MARK(struct rp_shutdown_cfg));

#define C struct rp_config
static const struct rp_key root_keys[] = {
	{ "interfaces", RP_V_LIST, 0, RANGE(0, 0), NULL, "NICs served and the settings applied to them at start-up", AT(C, interfaces), COUNT(C, n_interfaces), .child = &iface_section },
	{ "workers", RP_V_SECTION, 0, RANGE(0, 0), NULL, "worker threads and their rings", AT(C, workers), .child = &workers_section },
	{ "buffers", RP_V_SECTION, 0, RANGE(0, 0), NULL, "registered buffer pool, per worker", AT(C, buffers), .child = &buffers_section },
	{ "zerocopy", RP_V_SECTION, 0, RANGE(0, 0), NULL, "zerocopy send policy", AT(C, zerocopy), .child = &zerocopy_section },
	{ "services", RP_V_LIST, 0, RANGE(0, 0), NULL, "what the appliance serves", AT(C, services), COUNT(C, n_services), .child = &service_section },
	{ "metrics", RP_V_SECTION, 0, RANGE(0, 0), NULL, "Prometheus endpoint", AT(C, metrics), .child = &metrics_section },
	{ "logging", RP_V_SECTION, 0, RANGE(0, 0), NULL, "log output", AT(C, logging), .child = &logging_section },
	{ "shutdown", RP_V_SECTION, 0, RANGE(0, 0), NULL, "graceful shutdown on SIGINT/SIGTERM", AT(C, shutdown), .child = &shutdown_section },
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
