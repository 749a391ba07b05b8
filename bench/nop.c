/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench nop`: what an io_uring round trip costs on this machine.
 * NOPs are submitted and reaped in batches of 1, 8 and 32 on a
 * SINGLE_ISSUER | DEFER_TASKRUN ring (as ringplane's workers set theirs up),
 * against the cheapest real system call, getppid(2), issued the same number
 * of times. The ratio row says what one ring operation costs in syscalls:
 * the floor under every request the dataplane makes.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <liburing.h>

#include "bench/bench.h"

#define NOP_RING	64
#define NOP_FLAGS	(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)

static const struct rp_bench_knob knobs[] = {
	{ "batches", "NOPs per io_uring_enter", "1,8,32", NULL, 1, NOP_RING, NULL, true },
	{ "ops", "operations per repetition", "1000000", "20000", 1000, 1e9, NULL, false },
};

struct nop_case {
	struct rp_bench_ctx *ctx;
	struct io_uring *ring;
	unsigned batch;
	unsigned long ops;
};

static void nop_metrics(struct rp_bench_sample *s, unsigned long ops, unsigned long long ns)
{
	rp_bench_metric(s, "ns_per_op", "ns", (double)ns / (double)ops);
	rp_bench_metric(s, "ops_per_s", "op/s", (double)ops * 1e9 / (double)ns);
}

/* Reap what the batch completed; a NOP never fails, so a failure is news. */
static int nop_reap(struct nop_case *c, unsigned long *done)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	int res = 0;

	io_uring_for_each_cqe(c->ring, head, cqe) {
		if (cqe->res < 0)
			res = cqe->res;
		seen++;
	}
	io_uring_cq_advance(c->ring, seen);
	*done += seen;
	return res ? rp_bench_fail(c->ctx, "IORING_OP_NOP completed with %s", strerror(-res)) : 0;
}

static int rep_ring(void *arg, struct rp_bench_sample *s)
{
	struct nop_case *c = arg;
	unsigned long done = 0;
	unsigned long long t0 = rp_bench_now_ns();

	while (done < c->ops) {
		int ret;

		for (unsigned i = 0; i < c->batch; i++)
			io_uring_prep_nop(io_uring_get_sqe(c->ring));
		ret = io_uring_submit_and_wait(c->ring, c->batch);
		if (ret < 0)
			return rp_bench_fail(c->ctx, "io_uring_submit_and_wait (NOP x%u): %s",
					     c->batch, strerror(-ret));
		if (nop_reap(c, &done))
			return -1;
	}
	nop_metrics(s, done, rp_bench_now_ns() - t0);
	return 0;
}

static int rep_syscall(void *arg, struct rp_bench_sample *s)
{
	struct nop_case *c = arg;
	unsigned long long t0 = rp_bench_now_ns();

	/* syscall(2) directly: nothing in libc may cache the answer. */
	for (unsigned long i = 0; i < c->ops; i++)
		syscall(SYS_getppid);
	nop_metrics(s, c->ops, rp_bench_now_ns() - t0);
	return 0;
}

static int rep_ratio(void *arg, struct rp_bench_sample *s)
{
	struct nop_case *c = arg;
	struct rp_bench_kv kv = RP_KV_NUM("batch", c->batch);
	double ring, sys;

	if (!rp_bench_median(c->ctx, "nop", &kv, 1, "ns_per_op", &ring) ||
	    !rp_bench_median(c->ctx, "syscall", &kv, 1, "ns_per_op", &sys) || sys <= 0)
		return rp_bench_fail(c->ctx, "no nop and syscall medians for batch %u", c->batch);
	rp_bench_metric(s, "ratio_vs_syscall", "x", ring / sys);
	return 0;
}

static void nop_plot(struct rp_bench_ctx *ctx)
{
	struct rp_bench_plot p = {
		.id = "cost",
		.title = "io_uring NOP round trip vs getppid(2), per operation",
		.x_param = "batch",
		.y_metric = "ns_per_op",
		.log_x = true,
	};

	rp_bench_plot_lines(ctx, &p);
}

static void nop_cases(struct rp_bench_ctx *ctx, struct io_uring *ring, unsigned long ops)
{
	unsigned batches[RP_BENCH_KNOB_MAX_VALUES];
	unsigned n_batches = rp_bench_knob_uints(ctx, "batches", batches);
	static const struct {
		const char *variant;
		rp_bench_rep_fn fn;
	} kinds[] = {
		{ "nop", rep_ring }, { "syscall", rep_syscall }, { "nop/syscall", rep_ratio },
	};
	/* A failed case is recorded by the harness; the others still run. */
	rp_bench_expect_cases(ctx, n_batches * 3);
	for (size_t k = 0; k < 3; k++) {
		for (size_t b = 0; b < n_batches; b++) {
			struct nop_case c = { ctx, ring, batches[b], ops };
			struct rp_bench_kv kv = RP_KV_NUM("batch", batches[b]);

			rp_bench_case(ctx, kinds[k].variant, &kv, 1, kinds[k].fn, &c);
		}
	}
}

static int nop_run(struct rp_bench_ctx *ctx)
{
	unsigned long ops = (unsigned long)rp_bench_knob_num(ctx, "ops", 0);
	unsigned cpu = rp_bench_cpu(ctx, 0);
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(NOP_RING, &ring, NOP_FLAGS);
	if (ret)
		return rp_bench_fail(ctx, "io_uring_queue_init(SINGLE_ISSUER|DEFER_TASKRUN): %s",
				     strerror(-ret));
	ret = rp_bench_pin_self(cpu);
	if (ret)
		rp_bench_note(ctx, "could not pin to CPU %u (%s): ran unpinned", cpu, strerror(-ret));
	rp_bench_param(ctx, RP_KV_NUM("ring_entries", NOP_RING));
	rp_bench_param(ctx, RP_KV_STR("ring_flags", "SINGLE_ISSUER|DEFER_TASKRUN"));
	rp_bench_param(ctx, RP_KV_NUM("cpu", cpu));
	rp_bench_param(ctx, RP_KV_STR("syscall", "getppid"));
	nop_cases(ctx, &ring, ops);
	io_uring_queue_exit(&ring);
	nop_plot(ctx);
	rp_bench_note(ctx, "ns_per_op: one NOP submitted and reaped (batch = NOPs per "
		      "io_uring_enter), or one getppid(2) (batch means nothing there: the same "
		      "loop, repeated as a reference line); ratio_vs_syscall = nop / syscall");
	return 0;
}

const struct rp_bench_def rp_bench_nop = {
	.name = "nop",
	.summary = "io_uring NOP submit+reap (batch 1, 8, 32) vs one getppid(2) per op",
	.run = nop_run,
	.knobs = knobs,
	.n_knobs = sizeof(knobs) / sizeof(knobs[0]),
};
