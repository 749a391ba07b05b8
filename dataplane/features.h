/* SPDX-License-Identifier: MIT */
/*
 * What the running kernel and the linked liburing can do, for what the
 * dataplane uses. Probed once at start (`ringplane features`, and `run`
 * before it builds any worker), decided once: the dataplane asks
 * rp_feature_has() instead of retrying on EINVAL here and there.
 *
 * Every feature is one row in the table in features.c (id, name, required or
 * optional, kernel/liburing version it appeared in, probe function, what the
 * dataplane uses it for, what it does without it). Probes are real: they
 * set up scratch rings, register buffers, send a datagram over loopback and
 * look at the completion; nothing is inferred from version numbers.
 */
#ifndef RP_FEATURES_H
#define RP_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

enum rp_feature {
	/* ring setup flags */
	RP_FEAT_SINGLE_ISSUER,
	RP_FEAT_DEFER_TASKRUN,
	RP_FEAT_COOP_TASKRUN,
	RP_FEAT_CQSIZE,
	RP_FEAT_SUBMIT_ALL,
	RP_FEAT_NO_SQARRAY,
	/* opcodes */
	RP_FEAT_NOP,
	RP_FEAT_SEND_ZC,
	RP_FEAT_SENDMSG_ZC,
	RP_FEAT_SEND_ZC_FIXED,
	RP_FEAT_SENDMSG_ZC_FIXED,
	RP_FEAT_SEND_ZC_REPORT_USAGE,
	RP_FEAT_RECV_MULTISHOT,
	RP_FEAT_RECVMSG_MULTISHOT,
	RP_FEAT_RECV_MSHOT_LIMIT,
	RP_FEAT_ACCEPT_MULTISHOT,
	RP_FEAT_MSG_RING,
	RP_FEAT_MSG_RING_FD,
	RP_FEAT_MSG_RING_CQE_FLAGS,
	RP_FEAT_MSG_RING_SYNC,
	RP_FEAT_FUTEX_WAIT,
	RP_FEAT_FUTEX_WAKE,
	RP_FEAT_FUTEX_WAITV,
	RP_FEAT_URING_CMD_SOCK,
	RP_FEAT_SOCKET_DIRECT,
	RP_FEAT_BUNDLE,
	/* registration */
	RP_FEAT_FIXED_BUFFERS,
	RP_FEAT_SPARSE_FILES,
	RP_FEAT_FILE_ALLOC_RANGE,
	RP_FEAT_PBUF_RING,
	RP_FEAT_PBUF_RING_INC,
	RP_FEAT_NAPI,
	RP_FEAT_CLONE_BUFFERS,
	RP_FEAT_ZCRX,
	RP_FEAT_ZCRX_DMABUF,
	RP_FEAT__COUNT
};

#define RP_FEATURE_WHY_MAX 160

/* The outcome of one probe. */
struct rp_feature_result {
	bool supported;
	bool liburing_too_old;		/* missing in the library, not the kernel */
	int err;			/* errno the probe saw; 0 when supported */
	char why[RP_FEATURE_WHY_MAX];	/* empty when supported */
};

struct rp_features {
	struct rp_feature_result r[RP_FEAT__COUNT];
	int liburing_build_major, liburing_build_minor;	/* headers compiled against */
	int liburing_run_major, liburing_run_minor;	/* library loaded at run time */
	char kernel[65];				/* uname -r */
	int ring_err;	/* errno when not even a plain ring can be set up, else 0 */
	bool loopback_ok;	/* a datagram to ourselves arrived: socket probes mean something */
};

/*
 * Probe everything (a few milliseconds). Returns 0; each row says for itself
 * whether it works. Call it from one thread at a time: the probes share
 * static buffers the kernel writes into.
 */
int rp_features_probe(struct rp_features *f);

bool rp_feature_has(const struct rp_features *f, enum rp_feature id);
/* Why a feature is missing ("" when it is supported). */
const char *rp_feature_why(const struct rp_features *f, enum rp_feature id);

/* Table lookups. */
const char *rp_feature_name(enum rp_feature id);
bool rp_feature_required(enum rp_feature id);

/*
 * Checks every REQUIRED row; on the first missing one fills msg with a clear
 * sentence ("io_uring SEND_ZC not supported by this kernel (6.0+ needed):
 * EINVAL ...") and returns -1; 0 when all are there.
 */
int rp_features_check_required(const struct rp_features *f, char *msg, size_t len);

/* Logs (rp_warn) one line per missing OPTIONAL feature: "X unavailable, <fallback>". */
void rp_features_log_optional(const struct rp_features *f);

#endif
