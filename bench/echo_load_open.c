/* SPDX-License-Identifier: MIT */
/*
 * The open loop of the echo load generator (echo_load.h): requests leave
 * on a fixed schedule whatever the replies do, each stamped with the time
 * it was due, so a round trip is measured from the schedule (no
 * coordinated omission). The thread spins: it sends what is due, then
 * takes what replies are ready (epoll with no wait), so neither a sleep nor
 * a timer's slack adds to the numbers.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "bench/bench.h"
#include "bench/echo_load_int.h"

#define DRAIN_NS 50000000ULL		/* replies still missing after this are lost */

/* Send every request due by `now`, round robin over the peers; requests
 * due together on one peer (one peer only) leave in one sendmmsg. */
static void send_due(struct peers *ps, struct echo_throughput *out, unsigned long long *next,
		     double interval_ns, unsigned long long start, unsigned long long now)
{
	while (*next <= now) {
		struct peer *p = &ps->p[out->sent % ps->n];
		unsigned n = 0;

		do {
			double lag = (double)(now - *next);

			peers_frame_one(ps, n++, *next, now);
			if (lag > out->send_lag_max_ns)
				out->send_lag_max_ns = lag;
			out->sent++;
			*next = start + (unsigned long long)((double)out->sent * interval_ns);
		} while (ps->n == 1 && n < LOAD_BATCH && *next <= now);
		/* a request the socket refuses is lost, and stays counted as sent */
		(void)sendmmsg(p->fd, ps->tx.msgs, n, 0);
	}
}

/* Take every ready reply; 0 or -errno. */
static int take_replies(struct peers *ps, struct echo_throughput *out)
{
	struct epoll_event evs[64];
	int n = epoll_wait(ps->ep, evs, 64, 0);
	unsigned long long now = rp_bench_now_ns();

	for (int e = 0; e < n; e++) {
		int got = peers_receive(ps, &ps->p[evs[e].data.u32], &out->rtt, &out->rtt_sent, now);

		if (got < 0)
			return got;
		out->replies += (uint64_t)got;
	}
	return 0;
}

int echo_load_open(const struct echo_load_cfg *cfg, struct echo_throughput *out)
{
	double interval_ns = 1e9 / cfg->rate, cpu0;
	unsigned long long start, end, next;
	struct peers ps;
	int err;

	memset(out, 0, sizeof(*out));
	if (!(cfg->rate > 0))
		return -EINVAL;
	err = peers_open(&ps, cfg, cfg->peers ? cfg->peers : 1, false);
	if (err)
		return err;
	cpu0 = load_thread_cpu_ns();
	start = next = rp_bench_now_ns();
	end = start + (unsigned long long)(cfg->seconds * 1e9);
	while (!err && rp_bench_now_ns() < end) {
		send_due(&ps, out, &next, interval_ns, start, rp_bench_now_ns());
		err = take_replies(&ps, out);
	}
	out->seconds = (double)(rp_bench_now_ns() - start) / 1e9;
	while (!err && out->replies < out->sent &&
	       (rp_bench_now_ns() < end + DRAIN_NS ||
		(!out->replies && rp_bench_now_ns() < end + SILENT_GRACE_NS)))
		err = take_replies(&ps, out);
	out->pps = (double)out->replies / out->seconds;
	out->load_cpu = (load_thread_cpu_ns() - cpu0) / 1e9 / ((double)(rp_bench_now_ns() - start) / 1e9);
	peers_close(&ps);
	return err;
}
