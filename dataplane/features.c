/* SPDX-License-Identifier: MIT */
/*
 * The feature table: one row per kernel/liburing capability the dataplane
 * uses, named once here and read by the probe, `ringplane features`, the
 * start-up check and the start-up log.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <liburing.h>

#include "dataplane/bufpool.h"
#include "dataplane/features.h"
#include "dataplane/features_def.h"
#include "dataplane/features_probe.h"
#include "dataplane/log.h"

#define NO_OP (-1)

#define SETUP(flags) .opcode = NO_OP, .probe = rp_probe_setup, .arg = (flags)
#define OPCODE(op, fn, a) .opcode = (op), .probe = (fn), .arg = (a)
#define REGISTER(fn, a) .opcode = NO_OP, .probe = (fn), .arg = (a)

/* Rows that nothing in this build uses are still probed, so that `features`
 * tells what this kernel could do; they say so instead of naming a use. */
#define NO_USE   "nothing in this build uses it (probed for information)"
#define NO_NEED  "nothing in this build needs it"

const struct rp_feature_def rp_feature_defs[RP_FEAT__COUNT] = {
	[RP_FEAT_SINGLE_ISSUER] = { "single_issuer", "SINGLE_ISSUER", "setup", true, "6.0", 2, 3,
		SETUP(IORING_SETUP_SINGLE_ISSUER),
		"one ring per pinned worker thread, no ring locking", NULL },
	[RP_FEAT_DEFER_TASKRUN] = { "defer_taskrun", "DEFER_TASKRUN", "setup", true, "6.1", 2, 3,
		SETUP(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN),
		"completions run only when the worker waits: no IPIs, batched task work", NULL },
	[RP_FEAT_COOP_TASKRUN] = { "coop_taskrun", "COOP_TASKRUN", "setup", false, "5.19", 2, 2,
		SETUP(IORING_SETUP_COOP_TASKRUN),
		NO_USE, NO_NEED },
	[RP_FEAT_CQSIZE] = { "cqsize", "CQSIZE", "setup", true, "5.5", 2, 0,
		SETUP(IORING_SETUP_CQSIZE),
		"worker rings: completion queue of workers.cq-factor x ring-entries (multishot bursts)",
		NULL },
	[RP_FEAT_SUBMIT_ALL] = { "submit_all", "SUBMIT_ALL", "setup", true, "5.18", 2, 2,
		SETUP(IORING_SETUP_SUBMIT_ALL),
		"worker rings: one bad request does not stall the rest of a batch", NULL },
	[RP_FEAT_NO_SQARRAY] = { "no_sqarray", "NO_SQARRAY", "setup", false, "6.6", 2, 5,
		SETUP(IORING_SETUP_NO_SQARRAY),
		"bench msg-ring: one sender ring variant", "only that benchmark variant is affected" },

	[RP_FEAT_NOP] = { "nop", "NOP", "opcode", false, "5.1", 2, 0,
		OPCODE(IORING_OP_NOP, rp_probe_nop, 0),
		"ring round-trip benchmark (bench nop)", "bench nop cannot run" },
	[RP_FEAT_SEND_ZC] = { "send_zc", "SEND_ZC", "opcode", true, "6.0", 2, 3,
		OPCODE(IORING_OP_SEND_ZC, rp_probe_send_zc, 0),
		"zerocopy send, buffer recycled on IORING_CQE_F_NOTIF", NULL },
	[RP_FEAT_SENDMSG_ZC] = { "sendmsg_zc", "SENDMSG_ZC", "opcode", false, "6.1", 2, 3,
		OPCODE(IORING_OP_SENDMSG_ZC, rp_probe_send_zc, RP_ZC_MSG),
		"bench zc-tx: the raw loop's SENDMSG_ZC mode", "only that benchmark mode is affected" },
	[RP_FEAT_SEND_ZC_FIXED] = { "send_zc_fixed", "SEND_ZC with fixed buffers", "opcode", false,
		"6.0", 2, 3,
		OPCODE(IORING_OP_SEND_ZC, rp_probe_send_zc, RP_ZC_FIXED),
		"zerocopy from registered buffers: no page pinning per send",
		"SEND_ZC from unregistered memory (pages pinned per send)" },
	[RP_FEAT_SENDMSG_ZC_FIXED] = { "sendmsg_zc_fixed", "SENDMSG_ZC with fixed buffers", "opcode",
		false, "6.15", 2, 10,
		OPCODE(IORING_OP_SENDMSG_ZC, rp_probe_send_zc, RP_ZC_MSG | RP_ZC_FIXED),
		NO_USE, NO_NEED },
	[RP_FEAT_SEND_ZC_REPORT_USAGE] = { "send_zc_report_usage", "SEND_ZC REPORT_USAGE", "opcode",
		false, "6.2", 2, 4,
		OPCODE(IORING_OP_SEND_ZC, rp_probe_send_zc, RP_ZC_USAGE),
		"learn whether the kernel copied anyway (zerocopy auto policy)",
		"zerocopy policy 'auto' behaves as 'always'" },
	[RP_FEAT_RECV_MULTISHOT] = { "recv_multishot", "RECV multishot", "opcode", true, "6.0", 2, 3,
		OPCODE(IORING_OP_RECV, rp_probe_recv_multishot, RP_RECV_PLAIN),
		"TCP receive into provided buffers, one request per connection", NULL },
	[RP_FEAT_RECVMSG_MULTISHOT] = { "recvmsg_multishot", "RECVMSG multishot", "opcode", true,
		"6.0", 2, 3,
		OPCODE(IORING_OP_RECVMSG, rp_probe_recv_multishot, RP_RECV_MSG),
		"UDP receive with the peer address, one request per socket", NULL },
	[RP_FEAT_RECV_MSHOT_LIMIT] = { "recv_mshot_limit", "RECV multishot byte limit", "opcode",
		false, "6.17", 2, 3,
		OPCODE(IORING_OP_RECV, rp_probe_recv_multishot, RP_RECV_LIMIT),
		"fair sharing: a TCP receive ends at its grant of buffers (limits.conn-buffers)",
		"each receive runs until its grant's buffers are used, then is cancelled: a burst "
		"already posted can take a few buffers past the share" },
	[RP_FEAT_ACCEPT_MULTISHOT] = { "accept_multishot", "ACCEPT multishot", "opcode", true,
		"5.19", 2, 2,
		OPCODE(IORING_OP_ACCEPT, rp_probe_accept_multishot, 0),
		"one accept request per listener", NULL },
	[RP_FEAT_MSG_RING] = { "msg_ring", "MSG_RING", "opcode", true, "5.18", 2, 2,
		OPCODE(IORING_OP_MSG_RING, rp_probe_msg_ring, RP_MSG_DATA),
		"the signal thread stops workers; the acceptor hands them connections; udp-relay workers hand each other datagrams by buffer reference; bench msg-ring", NULL },
	[RP_FEAT_MSG_RING_FD] = { "msg_ring_fd", "MSG_RING fd passing", "opcode", true, "6.0", 2, 4,
		OPCODE(IORING_OP_MSG_RING, rp_probe_msg_ring, RP_MSG_FD),
		"hand an accepted connection to the worker that owns its queue", NULL },
	[RP_FEAT_MSG_RING_CQE_FLAGS] = { "msg_ring_cqe_flags", "MSG_RING CQE flags", "opcode", false,
		"6.3", 2, 4,
		OPCODE(IORING_OP_MSG_RING, rp_probe_msg_ring, RP_MSG_CQE_FLAGS),
		NO_USE " (messages carry their type in the user_data)", NO_NEED },
	[RP_FEAT_MSG_RING_SYNC] = { "msg_ring_sync", "ring-less MSG_RING", "register", false,
		"6.13", 2, 12,
		REGISTER(rp_probe_msg_ring, RP_MSG_SYNC),
		"the signal thread sends workers STOP without a ring of its own",
		"the signal thread uses a small ring of its own" },
	[RP_FEAT_FUTEX_WAIT] = { "futex_wait", "FUTEX_WAIT", "opcode", false, "6.7", 2, 5,
		OPCODE(IORING_OP_FUTEX_WAIT, rp_probe_futex, IORING_OP_FUTEX_WAIT),
		NO_USE, NO_NEED },
	[RP_FEAT_FUTEX_WAKE] = { "futex_wake", "FUTEX_WAKE", "opcode", false, "6.7", 2, 5,
		OPCODE(IORING_OP_FUTEX_WAKE, rp_probe_futex, IORING_OP_FUTEX_WAKE),
		NO_USE, NO_NEED },
	[RP_FEAT_FUTEX_WAITV] = { "futex_waitv", "FUTEX_WAITV", "opcode", false, "6.7", 2, 5,
		OPCODE(IORING_OP_FUTEX_WAITV, rp_probe_futex, IORING_OP_FUTEX_WAITV),
		NO_USE, NO_NEED },
	[RP_FEAT_URING_CMD_SOCK] = { "uring_cmd_sock", "URING_CMD getsockopt", "opcode", false,
		"6.7", 2, 5,
		OPCODE(IORING_OP_URING_CMD, rp_probe_cmd_sock, 0),
		"acceptor: SO_INCOMING_NAPI_ID and SO_PEERNAME of a direct descriptor; TCP_NODELAY in "
		"sockperf mode; tcp-proxy: TCP_NODELAY, SO_LINGER (resets), SO_PEERNAME (balance: hash)",
		"the acceptor cannot read a connection's NAPI id or peer address, which napi and hash steering need" },
	[RP_FEAT_SOCKET_DIRECT] = { "socket_direct", "SOCKET direct + CONNECT",
		"opcode", false, "5.19", 2, 3,
		OPCODE(IORING_OP_SOCKET, rp_probe_socket_direct, 0),
		"tcp-proxy: backend connections made straight into the worker's fixed-file table, "
		"connected (linked timeout) and half-closed on it",
		"tcp-proxy cannot open backend connections: its clients are closed (err_connect)" },
	[RP_FEAT_BUNDLE] = { "bundle", "RECVSEND_BUNDLE", "feature", false, "6.10", 2, 7,
		REGISTER(rp_probe_feat_bit, IORING_FEAT_RECVSEND_BUNDLE),
		"tcp-proxy forward: bundle: one send takes every buffer queued on a leg's send ring; "
		"one receive completion carries several buffers",
		"tcp-proxy forward: bundle legs forward serialized (logged once) and receive one "
		"buffer per completion" },

	[RP_FEAT_FIXED_BUFFERS] = { "fixed_buffers", "fixed buffers", "register", true, "5.1", 2, 0,
		REGISTER(rp_probe_fixed_buffers, 0),
		"registered buffer pool for receive and zerocopy send", NULL },
	[RP_FEAT_SPARSE_FILES] = { "sparse_files", "sparse fixed files", "register", true,
		"5.19", 2, 2,
		REGISTER(rp_probe_sparse_files, 0),
		"direct descriptors for connections (worker and acceptor tables)", NULL },
	[RP_FEAT_FILE_ALLOC_RANGE] = { "file_alloc_range", "file index alloc range", "register",
		false, "6.0", 2, 3,
		REGISTER(rp_probe_sparse_files, 1),
		NO_USE, NO_NEED },
	[RP_FEAT_PBUF_RING] = { "pbuf_ring", "provided buffer rings", "register", true, "5.19", 2, 4,
		REGISTER(rp_probe_pbuf_ring, 0),
		"receive buffers picked by the kernel from the worker's pool", NULL },
	[RP_FEAT_PBUF_RING_INC] = { "pbuf_ring_inc", "incremental buffer rings", "register", false,
		"6.12", 2, 8,
		REGISTER(rp_probe_pbuf_ring, IOU_PBUF_RING_INC),
		"tcp-proxy forward: bundle: a leg's send ring (the rest of a partly sent buffer stays on it while the send retries)",
		"tcp-proxy forward: bundle legs forward serialized (logged once)" },
	[RP_FEAT_NAPI] = { "napi", "NAPI busy poll", "register", false, "6.9", 2, 6,
		REGISTER(rp_probe_napi, 0),
		"busy-poll the worker's NIC queue from its ring", "no busy polling" },
	[RP_FEAT_CLONE_BUFFERS] = { "clone_buffers", "clone buffers (at an offset, replacing)",
		"register", false, "6.13", 2, 9,
		REGISTER(rp_probe_clone_buffers, 0),
		"udp-relay: every worker's pool is a fixed buffer of every worker's ring, so a "
		"datagram handed to its owner is sent zerocopy from the receiving worker's buffer",
		"udp-relay: handed datagrams are copy-sent from the receiving worker's buffer "
		"(logged per worker)" },
	[RP_FEAT_ZCRX] = { "zcrx", "zero-copy receive (zcrx)", "register", false, "6.15", 2, 10,
		REGISTER(rp_probe_zcrx, 0),
		"services[].rx-zerocopy: hardware receive zerocopy on a prepared NIC queue "
		"(per interface below)", "provided-buffer receive" },
	[RP_FEAT_ZCRX_DMABUF] = { "zcrx_dmabuf", "zcrx dmabuf area (udmabuf)", "feature", false,
		"6.16", 2, 10,
		REGISTER(rp_probe_zcrx_dmabuf, 0),
		"services[].rx-zerocopy-area-source: dmabuf: the zcrx area is a udmabuf over a memfd",
		"rx-zerocopy-area-source: dmabuf: auto falls back to provided-buffer receive, on "
		"refuses to start; memory areas are unaffected" },
};


const char *rp_feature_name(enum rp_feature id)
{
	return id < RP_FEAT__COUNT ? rp_feature_defs[id].name : "?";
}

bool rp_feature_required(enum rp_feature id)
{
	return id < RP_FEAT__COUNT && rp_feature_defs[id].required;
}

bool rp_feature_has(const struct rp_features *f, enum rp_feature id)
{
	return id < RP_FEAT__COUNT && f->r[id].supported;
}

const char *rp_feature_why(const struct rp_features *f, enum rp_feature id)
{
	return id < RP_FEAT__COUNT ? f->r[id].why : "unknown feature";
}

/* ---- probing ------------------------------------------------------------ */

static bool liburing_at_least(const struct rp_features *f, int major, int minor)
{
	return f->liburing_run_major > major ||
	       (f->liburing_run_major == major && f->liburing_run_minor >= minor);
}

/* What stops a row before its probe runs: the library, or a missing opcode. */
static bool precheck(const struct rp_features *f, const struct rp_feature_def *d,
		     const struct io_uring_probe *op_probe, struct rp_feature_result *r)
{
	if (!liburing_at_least(f, d->lib_major, d->lib_minor)) {
		r->liburing_too_old = true;
		r->err = ENOSYS;
		snprintf(r->why, sizeof(r->why), "liburing %d.%d too old (%d.%d+ needed)",
			 f->liburing_run_major, f->liburing_run_minor, d->lib_major, d->lib_minor);
		return false;
	}
	if (d->opcode == NO_OP)
		return true;
	if (!op_probe) {
		r->err = ENOSYS;
		snprintf(r->why, sizeof(r->why), "io_uring_get_probe failed: cannot list opcodes");
		return false;
	}
	if (!io_uring_opcode_supported(op_probe, d->opcode)) {
		r->err = EOPNOTSUPP;
		snprintf(r->why, sizeof(r->why), "kernel lacks opcode %s (%s+ needed)",
			 d->name, d->kernel);
		return false;
	}
	return true;
}

static void probe_one(const struct rp_features *f, const struct rp_feature_def *d,
		      const struct io_uring_probe *op_probe, struct rp_feature_result *r)
{
	char detail[RP_FEATURE_WHY_MAX - 32] = "";	/* room for ": ERRNAME" */
	int ret;

	*r = (struct rp_feature_result){ 0 };
	if (!precheck(f, d, op_probe, r))
		return;
	ret = d->probe(d->arg, detail, sizeof(detail));
	if (!ret) {
		r->supported = true;
		return;
	}
	if (!f->loopback_ok && d->opcode != NO_OP) {
		/* The socket probes run over this namespace's loopback; when it
		 * carries no traffic (lo down) they prove nothing about the
		 * kernel, which has already listed the opcode. Saying
		 * "unsupported" would stop `run` for a reason that is not true. */
		r->supported = true;
		snprintf(r->why, sizeof(r->why),
			 "not exercised (%s): loopback carries no traffic in this network "
			 "namespace; the kernel lists the opcode", strerrorname_np(-ret) ?: "?");
		return;
	}
	r->err = -ret;
	if (detail[0])
		snprintf(r->why, sizeof(r->why), "%s: %.24s", detail, strerrorname_np(-ret) ?: "?");
	else
		snprintf(r->why, sizeof(r->why), "%s (%s)", strerrorname_np(-ret) ?: "?",
			 strerror(-ret));
	r->liburing_too_old = ret == -ENOSYS && strstr(detail, "liburing");
}

/*
 * io_uring switched off (sysctl kernel.io_uring_disabled, a seccomp filter,
 * a kernel built without it) fails every row the same way: say that once
 * rather than thirty times "not supported by this kernel".
 */
static bool ring_unavailable(struct rp_features *f)
{
	char why[8];
	int ret = rp_probe_setup(0, why, sizeof(why));

	if (!ret)
		return false;
	f->ring_err = -ret;
	for (unsigned i = 0; i < RP_FEAT__COUNT; i++) {
		f->r[i].err = -ret;
		snprintf(f->r[i].why, sizeof(f->r[i].why), "no io_uring ring can be set up: %s",
			 strerrorname_np(-ret) ?: "?");
	}
	return true;
}

static void probe_all(struct rp_features *f);

static void *probe_thread(void *arg)
{
	probe_all(arg);
	return NULL;
}

/*
 * The probes run in a thread of their own, joined before this returns:
 * io_uring's async workers (the iou-wrk threads that run what cannot
 * complete inline, e.g. every SHUTDOWN) belong to the thread that
 * submitted, keep the credentials it had when they were made, and live as
 * long as it does. Probed from the main thread they would stay behind,
 * privileged, after process.user has dropped root; a probe thread takes
 * them with it when it exits.
 */
int rp_features_probe(struct rp_features *f)
{
	pthread_t t;

	if (pthread_create(&t, NULL, probe_thread, f)) {
		probe_all(f);
		return 0;
	}
	pthread_join(t, NULL);
	return 0;
}

static void probe_all(struct rp_features *f)
{
	struct io_uring_probe *op_probe;
	struct utsname u;

	*f = (struct rp_features){
		.liburing_build_major = IO_URING_VERSION_MAJOR,
		.liburing_build_minor = IO_URING_VERSION_MINOR,
		.liburing_run_major = io_uring_major_version(),
		.liburing_run_minor = io_uring_minor_version(),
	};
	if (!uname(&u))
		snprintf(f->kernel, sizeof(f->kernel), "%s", u.release);
	if (ring_unavailable(f))
		return;
	f->loopback_ok = rp_probe_loopback_works();
	op_probe = io_uring_get_probe();
	for (unsigned i = 0; i < RP_FEAT__COUNT; i++)
		probe_one(f, &rp_feature_defs[i], op_probe, &f->r[i]);
	if (op_probe)
		io_uring_free_probe(op_probe);
}

/* A probe that registers memory fails with ENOMEM when RLIMIT_MEMLOCK is
 * too low (a user without CAP_IPC_LOCK): that is the limit, not the
 * kernel, and the message says how to raise it. */
static void memlock_msg(const struct rp_feature_def *d, const struct rp_feature_result *r,
			char *msg, size_t len)
{
	char lim[32];

	snprintf(msg, len, "io_uring %s: the probe could not lock memory (%s): RLIMIT_MEMLOCK is "
		 "%s " RP_MEMLOCK_FIX, d->name, r->why, rp_memlock_limit(lim, sizeof(lim)));
}

int rp_features_check_required(const struct rp_features *f, char *msg, size_t len)
{
	if (f->ring_err) {
		snprintf(msg, len, "io_uring unavailable: no ring can be set up (%s: %s); "
			 "is sysctl kernel.io_uring_disabled set?",
			 strerrorname_np(f->ring_err) ?: "?", strerror(f->ring_err));
		return -1;
	}
	for (unsigned i = 0; i < RP_FEAT__COUNT; i++) {
		const struct rp_feature_def *d = &rp_feature_defs[i];
		const struct rp_feature_result *r = &f->r[i];

		if (!d->required || r->supported)
			continue;
		if (r->liburing_too_old)
			snprintf(msg, len, "io_uring %s not supported by this liburing (%d.%d+ needed): %s",
				 d->name, d->lib_major, d->lib_minor, r->why);
		else if (r->err == ENOMEM)
			memlock_msg(d, r, msg, len);
		else
			snprintf(msg, len, "io_uring %s not supported by this kernel (%s+ needed): %s",
				 d->name, d->kernel, r->why);
		return -1;
	}
	return 0;
}

void rp_features_log_optional(const struct rp_features *f)
{
	for (unsigned i = 0; i < RP_FEAT__COUNT; i++) {
		const struct rp_feature_def *d = &rp_feature_defs[i];

		if (!d->required && !f->r[i].supported)
			rp_warn("io_uring %s unavailable, %s (%s)", d->name, d->fallback, f->r[i].why);
	}
}
