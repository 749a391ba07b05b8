/* SPDX-License-Identifier: MIT */
/*
 * The zerocopy send benchmark (`ringplane bench zc-tx`): what its senders
 * share. One sender = one function that pushes `size`-byte requests on a
 * connected socket, `batch` at a time, for a measured window, and reports
 * what it saw in a struct zc_tx_result:
 *
 *   zc_tx_app.c             the appliance's transmit path (dataplane/zc.h)
 *   baselines/raw_zc.c      the same loop written directly on liburing
 *   baselines/msg_zerocopy.c  sendmsg(MSG_ZEROCOPY) + the error queue
 *
 * zc_tx.c runs the matrix (targets x sizes x batches), zc_tx_group.c one
 * group of it (every mode at one size and batch, interleaved) and turns
 * results into metrics; zc_tx_target.c builds the targets (ifb, veth).
 */
#ifndef RP_BENCH_ZC_TX_H
#define RP_BENCH_ZC_TX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/bench.h"
#include "bench/netns.h"

#define ZC_TX_MAX_SIZE 64000u	/* largest request: fits one UDP datagram */

enum zc_tx_mode {
	ZC_MODE_COPY,		/* IORING_OP_SEND from normal memory */
	ZC_MODE_SEND_ZC,	/* IORING_OP_SEND_ZC from normal memory */
	ZC_MODE_SEND_ZC_FIXED,	/* IORING_OP_SEND_ZC from registered buffers */
	ZC_MODE_SENDMSG_ZC,	/* IORING_OP_SENDMSG_ZC from normal memory */
	ZC_MODE_AUTO,		/* copy below the threshold, SEND_ZC fixed at/above */
	ZC_MODE_MSG_ZEROCOPY,	/* sendmsg(2) with MSG_ZEROCOPY: the outside baseline */
	ZC_MODE__COUNT,
};

const char *zc_tx_mode_name(enum zc_tx_mode m);

/* One repetition's work order. */
struct zc_tx_case {
	enum zc_tx_mode mode;
	int fd;			/* connected socket (UDP or TCP); bytes are counted
				 * from results, so a short TCP send is no error */
	unsigned size;
	unsigned batch;		/* sends submitted per round (queue depth) */
	unsigned auto_threshold;
	double warmup_s, seconds;
};

/* What a sender saw in its measured window. */
struct zc_tx_result {
	uint64_t requests;	/* completed sends */
	uint64_t bytes;
	uint64_t zc_sends;	/* zerocopy sends whose usage report arrived */
	uint64_t zc_copied;	/* ... saying the kernel copied */
	uint64_t notifs;	/* buffer-free notifications (CQEs or errqueue messages) */
	uint64_t wall_ns;
	uint64_t cpu_ns;	/* the sending thread's user + system time */
	uint64_t user_ns;	/* ... of which user space */
	char err[200];		/* set when the sender returns -1 */
};

/*
 * The measured window: a warm-up (not counted), then `seconds` of counting.
 * A sender calls zc_tx_window_tick() once per round: it zeroes the result's
 * counters when the warm-up ends, records wall and CPU time when the window
 * closes, and returns false from then on. Counters are bumped directly in
 * the result; work that completes after the window (the drain) is not.
 */
struct zc_tx_window {
	uint64_t warm_end_ns, len_ns;
	uint64_t t0_ns, cpu0_ns, user0_ns;
	bool measuring, done;
};

void zc_tx_window_start(struct zc_tx_window *w, const struct zc_tx_case *c);
bool zc_tx_window_tick(struct zc_tx_window *w, struct zc_tx_result *r);

/*
 * The loop of the io_uring senders: rounds of fill (queue up to a batch of
 * sends, as many as buffers are free) + submit-and-wait + one cqe() per CQE,
 * until the window closes; then wait until in_flight() is 0. 0, or -1 with
 * r->err set.
 */
struct io_uring;
struct io_uring_cqe;
struct zc_tx_ring_ops {
	const char *name;	/* for errors */
	unsigned (*fill)(void *s, const struct zc_tx_case *c);
	int (*cqe)(void *s, const struct io_uring_cqe *cqe, struct zc_tx_result *r);
	unsigned (*in_flight)(void *s);
};

int zc_tx_ring_loop(struct io_uring *ring, const struct zc_tx_ring_ops *ops, void *s,
		    const struct zc_tx_case *c, struct zc_tx_result *r);

/* Sender entry points: 0, or -1 with r->err set. */
typedef int (*zc_tx_sender_fn)(const struct zc_tx_case *c, struct zc_tx_result *r);

int raw_zc_run(const struct zc_tx_case *c, struct zc_tx_result *r);
int msg_zerocopy_run(const struct zc_tx_case *c, struct zc_tx_result *r);
int zc_tx_app_run(const struct zc_tx_case *c, struct zc_tx_result *r);

/* ---- targets (zc_tx_target.c) -------------------------------------------- */

/* The world a target lives in: the benchmark's private namespaces and, for
 * TCP, a sink thread in the peer namespace that reads and discards. */
struct zc_tx_env {
	struct bench_netns ns;
	int sink_cpu;
	int listen_fd;
	bool sink_running;
	pthread_t sink;
};

struct zc_tx_target {
	const char *name;	/* case parameter "target" */
	const char *what;	/* one line for the notes */
	int (*setup)(struct zc_tx_env *env, char *err, size_t errlen);
	int (*open)(struct zc_tx_env *env);	/* a connected sender socket, or -errno */
	void (*teardown)(struct zc_tx_env *env);
};

extern const struct zc_tx_target zc_tx_targets[];
extern const unsigned zc_tx_n_targets;

/* Pattern-filled, page-aligned memory for `count` buffers of `size` bytes
 * (stride: size rounded up to a page). NULL on failure (errno set). */
void *zc_tx_buffers(unsigned size, unsigned count, unsigned *stride);
void zc_tx_buffers_free(void *base, unsigned stride, unsigned count);

/* ---- the matrix (zc_tx.c) and its groups (zc_tx_group.c) ------------------ */

struct rp_bench_ctx;

/*
 * What one run measures. Two benchmarks share this code: `zc-tx` (the whole
 * matrix, every mode, both targets, short repetitions from a time budget)
 * and `zc-tx-goals` (zc_tx_goals.c: only what the goals compare, in
 * long repetitions).
 */
struct zc_tx_plan {
	const unsigned *sizes;
	unsigned n_sizes;
	const unsigned *batches;
	unsigned n_batches;
	const char *only_target;	/* NULL: every target */
	bool core_variants;		/* only copy, send_zc_fixed, auto on both paths */
	bool warm_round;		/* before a target's first group, run every
					 * variant once, unrecorded */
	double budget_s;		/* > 0: the run's measured time, split over
					 * every repetition of every case */
	double seconds;			/* budget_s == 0: measured time per repetition */
};

/* One run of the benchmark. */
struct zc_tx_bench {
	struct rp_bench_ctx *ctx;
	const struct zc_tx_plan *plan;	/* &plan_knobs after zc_tx_plan_knobs() */
	struct zc_tx_plan plan_knobs;
	unsigned sizes[RP_BENCH_KNOB_MAX_VALUES], batches[RP_BENCH_KNOB_MAX_VALUES];
	unsigned threshold;		/* auto mode's, from the default config */
	double warmup_s, seconds;	/* per repetition */
	struct zc_tx_env env;
	const struct zc_tx_target *target;	/* the one being measured */
};

/* The paths (the case parameter "path"), for callers that loop over them;
 * NULL after the last. */
extern const char *const zc_tx_paths[];
extern const unsigned zc_tx_n_paths;

/*
 * b->plan: `base` with the sizes (ascending), batches and seconds the run's
 * knobs say (each only where the benchmark has that knob; seconds 0 keeps
 * base's budget). The knobs `modes`, `paths` and `targets` choose variants
 * and targets where the benchmark has them.
 */
void zc_tx_plan_knobs(struct zc_tx_bench *b, const struct zc_tx_plan *base);

/*
 * Set up b (ctx and plan set by the caller), measure the plan in private
 * namespaces, record the crossover parameters and the requests/s and
 * ratio-to-copy plots. 0, or -1 after rp_bench_fail().
 */
int zc_tx_bench_run(struct zc_tx_bench *b);

/* How fast, two ways, and the names of the ratio metrics taken by each. */
struct zc_tx_measure {
	const char *metric;		/* "req_s", "req_per_cpu_s" */
	const char *vs_copy, *auto_vs_best, *vs_raw;
	const char *suffix;		/* of its crossover_size_PATH run parameter */
	const char *auto_vs_twin;	/* auto / the mode it sends with at this size */
};

extern const struct zc_tx_measure zc_tx_measures[];
extern const unsigned zc_tx_n_measures;

/* Variants (path x mode) in each group of this run. */
unsigned zc_tx_group_variants(const struct zc_tx_bench *b);
/* Measure every variant at (b->target, size, batch), interleaved, and record
 * them as harness cases with per-repetition ratios. */
void zc_tx_group_run(struct zc_tx_bench *b, unsigned size, unsigned batch);
/* Run every variant at (b->target, size, batch) once and forget the results. */
void zc_tx_group_warm(struct zc_tx_bench *b, unsigned size, unsigned batch);

#endif
