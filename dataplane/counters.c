/* SPDX-License-Identifier: MIT */
#include "dataplane/counters.h"

#define C(id, n, h) [id] = { .name = n, .kind = RP_CK_COUNTER, .help = h }
#define G(id, n, h) [id] = { .name = n, .kind = RP_CK_GAUGE, .help = h }

const struct rp_counter_desc rp_counter_table[RP_C__COUNT] = {
	C(RP_C_RX_PACKETS,      "rx_packets",      "Packets (datagrams or recv completions) received"),
	C(RP_C_RX_BYTES,        "rx_bytes",        "Payload bytes received"),
	C(RP_C_TX_PACKETS,      "tx_packets",      "Packets (datagrams or send completions) sent"),
	C(RP_C_TX_BYTES,        "tx_bytes",        "Payload bytes sent"),
	C(RP_C_CONNS_ACCEPTED,  "conns_accepted",  "TCP connections accepted and admitted (those past a limit are conns_refused)"),
	C(RP_C_CONNS_CLOSED,    "conns_closed",    "TCP connections closed"),
	C(RP_C_NAPI_LOCAL,      "napi_local",      "Connections handed over whose NAPI id is one of this worker's rx queues"),
	C(RP_C_NAPI_FALLBACKS,  "napi_fallbacks",  "Connections napi steering could not map (no or unknown NAPI id): steered by hash"),
	C(RP_C_CONNS_REFUSED,   "conns_refused",   "TCP connections accepted past a limit (limits.connections, max-connections) and closed at once"),
	C(RP_C_CONNS_THROTTLED, "conns_throttled", "Times a connection stopped being read: at its buffer cap (limits.conn-buffers) or eating into the reserve"),
	C(RP_C_THROTTLED_MS,    "throttled_ms",    "Milliseconds connections spent not being read because of their buffer share"),
	C(RP_C_IDLE_TIMEOUTS,   "idle_timeouts",   "Connections closed after idle-timeout-ms without traffic"),
	C(RP_C_WRITE_STALLS,    "write_stalls",    "Connections reset after write-stall-timeout-ms with replies the peer would not take"),
	C(RP_C_COPY_SENDS,      "copy_sends",      "Sends that copied (policy chose copy)"),
	C(RP_C_ZC_SENDS,        "zc_sends",        "Zerocopy sends issued (SEND_ZC/SENDMSG_ZC)"),
	C(RP_C_ZC_COPIED,       "zc_copied",       "Zerocopy sends the kernel reported as copied (REPORT_USAGE)"),
	C(RP_C_ZC_FALLBACKS,    "zc_fallbacks",    "TCP connections or UDP peers the auto policy switched to copy sends (for zerocopy.fallback-retry-ms)"),
	C(RP_C_NOTIFS,          "notifs",          "Buffer-free notifications (IORING_CQE_F_NOTIF)"),
	C(RP_C_GSO_SENDS,       "gso_sends",       "UDP GSO sends (UDP_SEGMENT), each carrying several datagrams"),
	C(RP_C_GSO_FALLBACKS,   "gso_fallbacks",   "UDP peers switched off GSO after the kernel refused a GSO send (for gso-retry-ms)"),
	C(RP_C_CQ_OVERFLOWS,    "cq_overflows",    "Loop turns that found the completion queue full, the kernel holding completions back (none lost: they are delivered as the queue drains; workers.cq-factor sizes it)"),
	G(RP_C_BUFS_FREE,       "bufs_free",       "Registered buffers free in the pool"),
	G(RP_C_BUFS_IN_FLIGHT,  "bufs_in_flight",  "Registered buffers owned by the kernel or a handler"),
	C(RP_C_ERR_RECV,        "err_recv",        "Receive errors"),
	C(RP_C_ERR_SEND,        "err_send",        "Send errors"),
	C(RP_C_ERR_SEND_FULL,   "err_send_full",   "UDP replies dropped because the socket send buffer was full (UDP sends never wait, so that replies leave in order)"),
	C(RP_C_ERR_ACCEPT,      "err_accept",      "Accept errors"),
	C(RP_C_ERR_ENOBUFS,     "err_enobufs",     "Receives stopped by an empty buffer ring (re-armed later)"),
	C(RP_C_ERR_TRUNCATED,   "err_truncated",   "Datagrams larger than a buffer (truncated)"),
	C(RP_C_ERR_BAD_FRAME,   "err_bad_frame",   "Malformed sockperf frames"),
	C(RP_C_ERR_CONN_RESET,  "err_conn_reset",  "Connections reset by the peer"),
	C(RP_C_ERR_BAD_BUFFER,  "err_bad_buffer",  "Receive completions naming a buffer the kernel does not own (dropped; a bug if ever non-zero)"),
	G(RP_C_ERR_CQ_DROPPED,  "err_cq_dropped",  "Completions the kernel dropped for want of memory to hold them back (its CQ overflow count; a lost completion is a lost buffer or send)"),
	C(RP_C_ERR_NO_SLOT,     "err_no_slot",     "Connections closed because the fixed file table was full"),
};
