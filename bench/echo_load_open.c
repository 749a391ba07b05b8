/* SPDX-License-Identifier: MIT */
/*
 * The open loop of the echo load generator (echo_load.h): requests leave
 * on a fixed schedule whatever the replies do, each stamped with the time
 * it was due, so a round trip is measured from the schedule (no
 * coordinated omission). The thread sends what is due, then waits for
 * replies until the next request is due (epoll_pwait2, timer slack 1 ns).
 * It used to spin (epoll with no wait); on a shared machine a spinning
 * thread uses up its CPU share and is then preempted for milliseconds,
 * while a thread that sleeps between requests is run as soon as it wakes.
 * While the schedule runs the thread is SCHED_FIFO (when allowed), so a
 * wake-up is not queued behind other tasks on its CPU (on this machine
 * other helpers' builds and benchmarks). Whatever it cannot avoid
 * (being off its CPU when something is due):
 * everything due meanwhile leaves at once, and each request's lateness is
 * recorded, with the thread's involuntary context switches, to tell a late
 * generator from a slow server.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "bench/bench.h"
#include "bench/echo_load_int.h"

#define DRAIN_NS 50000000ULL		/* replies still missing after this are lost */

/* The schedule: request q is due interval_ns * q after start. */
struct schedule {
	unsigned long long start;
	double interval_ns;
};

static unsigned long long due_at(const struct schedule *sc, uint64_t q)
{
	return sc->start + (unsigned long long)((double)q * sc->interval_ns);
}

/* Requests due by `now` from request `first` on, at most cap. */
static unsigned due_count(const struct schedule *sc, uint64_t first, unsigned long long now,
			  unsigned cap)
{
	unsigned n = 0;

	while (n < cap && due_at(sc, first + n) <= now)
		n++;
	return n;
}

/* Frame peer j's share of the `due` requests from `first` (round robin:
 * every ps->n-th) and record how late each leaves; how many. */
static unsigned frame_share(struct peers *ps, struct echo_throughput *out, const struct schedule *sc,
			    uint64_t first, unsigned due, unsigned j, unsigned long long now)
{
	unsigned k = 0;

	for (uint64_t q = first + j; q < first + due; q += ps->n) {
		unsigned long long at = due_at(sc, q);
		double lag = (double)(now - at);

		peers_frame_one(ps, k++, at, now);
		if (lag > out->send_lag_max_ns)
			out->send_lag_max_ns = lag;
		out->late += now - at > ECHO_LOAD_LATE_NS;
		(void)load_lat_push(&out->send_lag, &ps->lag_cap, lag); /* full: fewer samples */
	}
	return k;
}

/* Send every request due by now, all at once: each peer's share (round
 * robin) in one sendmmsg, so a generator that fell behind catches up in
 * `peers` calls, not one per request. */
static void send_due(struct peers *ps, struct echo_throughput *out, const struct schedule *sc)
{
	unsigned long long now = rp_bench_now_ns();
	uint64_t first = out->sent;
	unsigned due = due_count(sc, first, now, ps->n * LOAD_BATCH);

	for (unsigned j = 0; j < ps->n && j < due; j++) {
		unsigned k = frame_share(ps, out, sc, first, due, j, now);

		/* a request the socket refuses is lost, and stays counted as sent */
		if (k)
			(void)sendmmsg(ps->p[(first + j) % ps->n].fd, ps->tx.msgs, k, 0);
		now = rp_bench_now_ns();
	}
	out->sent += due;
}

/* ns from now to t, 0 when t is past. */
static unsigned long long until(unsigned long long t)
{
	unsigned long long now = rp_bench_now_ns();

	return t > now ? t - now : 0;
}

/* The thread's scheduling while the schedule runs: SCHED_FIFO 1, so that a
 * request's timer wakes it at once rather than after whatever else runs
 * on its CPU (it sleeps between requests, so it takes no more CPU than it
 * uses). Best effort: without the privilege it stays as it was, and the
 * run says so (echo_throughput.realtime). */
struct sched_was {
	int policy;
	struct sched_param param;
	bool changed;
};

static bool go_realtime(struct sched_was *was)
{
	const struct sched_param fifo = { .sched_priority = 1 };

	was->changed = !pthread_getschedparam(pthread_self(), &was->policy, &was->param) &&
		       !pthread_setschedparam(pthread_self(), SCHED_FIFO, &fifo);
	return was->changed;
}

static void sched_restore(const struct sched_was *was)
{
	if (was->changed)
		pthread_setschedparam(pthread_self(), was->policy, &was->param);
}

static long involuntary_switches(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) ? 0 : ru.ru_nivcsw;
}

/* Take every ready reply, waiting for one at most wait_ns; 0 or -errno. */
static int take_replies(struct peers *ps, struct echo_throughput *out, unsigned long long wait_ns)
{
	struct epoll_event evs[64];
	struct timespec ts = { (time_t)(wait_ns / 1000000000ULL), (long)(wait_ns % 1000000000ULL) };
	int n = epoll_pwait2(ps->ep, evs, 64, &ts, NULL);
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
	struct schedule sc = { .interval_ns = 1e9 / cfg->rate };
	unsigned long long start, end;
	struct sched_was was;
	long ivcsw0;
	int slack;
	struct peers ps;
	double cpu0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!(cfg->rate > 0))
		return -EINVAL;
	err = peers_open(&ps, cfg, cfg->peers ? cfg->peers : 1, false);
	if (err)
		return err;
	slack = prctl(PR_GET_TIMERSLACK);
	prctl(PR_SET_TIMERSLACK, 1UL);	/* wake on time, not up to 50 us after */
	out->realtime = go_realtime(&was);
	cpu0 = load_thread_cpu_ns();
	ivcsw0 = involuntary_switches();
	start = sc.start = rp_bench_now_ns();
	end = start + (unsigned long long)(cfg->seconds * 1e9);
	while (!err && rp_bench_now_ns() < end) {
		send_due(&ps, out, &sc);
		err = take_replies(&ps, out, until(due_at(&sc, out->sent)));
	}
	out->preempted = involuntary_switches() - ivcsw0;
	out->seconds = (double)(rp_bench_now_ns() - start) / 1e9;
	while (!err && out->replies < out->sent &&
	       (rp_bench_now_ns() < end + DRAIN_NS ||
		(!out->replies && rp_bench_now_ns() < end + SILENT_GRACE_NS)))
		err = take_replies(&ps, out, 1000000);
	out->pps = (double)out->replies / out->seconds;
	out->load_cpu = (load_thread_cpu_ns() - cpu0) / 1e9 / ((double)(rp_bench_now_ns() - start) / 1e9);
	peers_close(&ps);
	sched_restore(&was);
	if (slack > 0)
		prctl(PR_SET_TIMERSLACK, (unsigned long)slack);
	return err;
}
