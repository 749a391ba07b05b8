/* SPDX-License-Identifier: MIT */
/*
 * `ringplane run`: start-up and shutdown order (see appliance.h).
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/addr_owner.h"
#include "dataplane/appliance.h"
#include "dataplane/cli.h"
#include "dataplane/events.h"
#include "dataplane/features.h"
#include "dataplane/log.h"
#include "dataplane/metrics.h"
#include "dataplane/nic_start.h"
#include "dataplane/privdrop.h"
#include "dataplane/sdnotify.h"
#include "dataplane/acceptor.h"
#include "dataplane/reload.h"
#include "dataplane/reuseport.h"
#include "dataplane/takeover.h"
#include "dataplane/relay.h"
#include "dataplane/worker.h"
#include "dataplane/zcrx_start.h"

struct rp_appliance {
	const struct rp_config *cfg;
	unsigned n;
	struct rp_worker *workers;
	struct rp_counters *ctr;	/* n x blocks_per_worker() */
	int *cpus;
	const char **svc_names;		/* services, then backend slots (metrics; reload.h) */
	struct rp_reload *reload;	/* live reload: generations, backend slots */
	struct rp_metrics *metrics;
	struct rp_acceptor **acceptors;	/* per service; NULL: none */
	struct acc_load *loads;		/* per service: what least-loaded reads */
	struct rp_queue_cpus qc;	/* served rx queues (nicmgr): CPU, NAPI id */
	struct rp_zcrx_plan zp;		/* services[].rx-zerocopy: per worker jobs */
	struct rp_steer_napi napi[RP_STEER_NAPI_MAX];	/* napi steering: id -> queue */
	unsigned n_napi;
	struct rp_sd_watchdog watchdog;	/* systemd's WatchdogSec; zero: off */
	uint64_t ping_seq;		/* the last liveness ping sent to the workers */
	struct rp_ratelimit ping_log;
	bool start_failed;		/* workers are stopped because start-up failed */
	struct rp_events events;	/* the event channel's control-thread side */
	struct rp_takeover *tk;		/* run --takeover: the old appliance; NULL: none */
	struct rp_metrics_source *msrc;
	uint64_t leave_until;		/* SIGUSR2: leaving, stop by then (UINT64_MAX: never) */
};

struct acc_load {
	struct rp_appliance *a;
	unsigned svc;
};

/* ---- views --------------------------------------------------------------- */

unsigned rp_appliance_n_workers(const struct rp_appliance *a)
{
	return a->n;
}

struct rp_worker *rp_appliance_worker(struct rp_appliance *a, unsigned i)
{
	return i < a->n ? &a->workers[i] : NULL;
}

/* Services, the worker's own block, tcp-proxy backends (svc.h). */
static unsigned blocks_per_worker(const struct rp_config *cfg)
{
	return cfg->n_services + 1 + rp_svc_backend_blocks(cfg);
}

const struct rp_counters *rp_appliance_counters(const struct rp_appliance *a,
						unsigned worker, unsigned *n_blocks)
{
	unsigned per = blocks_per_worker(a->cfg);

	if (n_blocks)
		*n_blocks = per;
	return worker < a->n ? &a->ctr[worker * per] : NULL;
}

const struct rp_config *rp_appliance_config(const struct rp_appliance *a)
{
	return a->cfg;
}

/* The exporter sees backends as more services, and the worker's own block
 * last: slot n_services + backends is block n_services, backend k is
 * block n_services + 1 + k. */
static const struct rp_counters *metrics_block(void *arg, unsigned worker, unsigned slot)
{
	const struct rp_appliance *a = arg;
	unsigned n_svc = a->cfg->n_services, n_be = rp_svc_backend_blocks(a->cfg), n_blocks;
	const struct rp_counters *c = rp_appliance_counters(a, worker, &n_blocks);

	if (!c || slot > n_svc + n_be)
		return NULL;
	/* a backend slot no backend has had yet: not exported */
	if (slot >= n_svc && slot < n_svc + n_be &&
	    !__atomic_load_n(&a->svc_names[slot], __ATOMIC_ACQUIRE))
		return NULL;
	return &c[slot < n_svc ? slot : slot == n_svc + n_be ? n_svc : slot + 1];
}

/* ---- worker placement ---------------------------------------------------- */

static const struct rp_counters *events_block(void *arg, unsigned worker, unsigned svc)
{
	const struct rp_counters *c = rp_appliance_counters(arg, worker, NULL);

	return c ? &c[svc] : NULL;
}

static unsigned allowed_cpus(int *out, unsigned max)
{
	cpu_set_t set;
	unsigned n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			out[n++] = c;
	return n;
}

unsigned rp_worker_count(const struct rp_config *cfg, const struct rp_queue_cpus *qc)
{
	int cpus[RP_CPUS_MAX];
	unsigned n;

	if (cfg->workers.count != RP_UNSET && cfg->workers.count > 0)
		return (unsigned)cfg->workers.count;
	if (qc && qc->n)	/* one worker per served NIC queue */
		return qc->n;
	n = allowed_cpus(cpus, RP_CPUS_MAX);
	return n ? n : 1;
}

/* Worker i goes to: the CPU that services NIC queue i (nicmgr's map), else
 * workers.cpus, else the allowed CPUs in turn. */
int rp_pick_worker_cpus(const struct rp_config *cfg, const struct rp_queue_cpus *qc,
			unsigned n, int *cpus)
{
	const struct rp_cpulist *cl = &cfg->workers.cpus;
	int allowed[RP_CPUS_MAX];
	unsigned n_allowed = 0;

	if (cl->is_auto || !cl->n) {
		n_allowed = allowed_cpus(allowed, RP_CPUS_MAX);
		if (!n_allowed)
			return -errno;
	}
	for (unsigned i = 0; i < n; i++) {
		if (qc && i < qc->n && qc->cpu[i] >= 0)
			cpus[i] = qc->cpu[i];
		else if (n_allowed)
			cpus[i] = allowed[i % n_allowed];
		else
			cpus[i] = (int)cl->cpu[i % cl->n];
	}
	return 0;
}

/* ---- start ---------------------------------------------------------------- */

static void log_worker(const struct rp_appliance *a, const struct rp_worker *w)
{
	char svcs[512] = "";
	size_t off = 0;

	for (unsigned i = 0; i < a->cfg->n_services && off < sizeof(svcs); i++) {
		const struct rp_service_cfg *s = &a->cfg->services[i];
		int k = snprintf(svcs + off, sizeof(svcs) - off, "%s%s %s@%s%s", i ? ", " : "",
				 rp_svc_type_name(s->type), s->name, s->listen.text,
				 s->sockperf ? " (sockperf)" : "");
		off += k > 0 ? (size_t)k : 0;
	}
	rp_info("worker %u: cpu %d, ring fd %d, %u buffers x %u B%s, services: %s", w->id,
		w->cpu, w->ring_fd, w->pool.count, w->pool.size,
		w->pool.hugepages ? " (huge pages)" : "", svcs[0] ? svcs : "none");
}

/* napi steering: NAPI id -> served queue (worker rp_steer_queue_worker()). */
static void build_napi_map(struct rp_appliance *a)
{
	for (unsigned q = 0; q < a->qc.n && a->n_napi < RP_STEER_NAPI_MAX; q++)
		if (a->qc.napi_id[q])
			a->napi[a->n_napi++] = (struct rp_steer_napi){ .napi_id = a->qc.napi_id[q],
								       .queue = q };
}

/* The NAPI ids of the queues worker w serves, straight from nicmgr's queue
 * list (not from the acceptor's map, which the worker's count checks): it
 * counts the connections that arrive on them (napi_local). */
static void own_napi_ids(const struct rp_appliance *a, struct rp_worker *w)
{
	for (unsigned q = 0; q < a->qc.n && w->n_napi_ids < RP_WORKER_NAPI_MAX; q++)
		if (a->qc.napi_id[q] && rp_steer_queue_worker(q, a->n) == w->id)
			w->napi_ids[w->n_napi_ids++] = a->qc.napi_id[q];
}

static int start_workers(struct rp_appliance *a)
{
	unsigned per = blocks_per_worker(a->cfg);
	unsigned started = 0;
	int ret = 0;

	rp_worker_init_handlers();
	/* every worker's struct before any runs: a running one may look at its
	 * peers' phase (proxy_health.c) */
	for (unsigned i = 0; i < a->n; i++) {
		a->workers[i] = (struct rp_worker){ .id = i, .cpu = a->cpus[i], .cfg = a->cfg,
						    .ctr = &a->ctr[i * per],
						    .peers = a->workers, .n_peers = a->n };
		own_napi_ids(a, &a->workers[i]);
		a->workers[i].zcrx_job = rp_zcrx_job_for(&a->zp, a->cfg->n_services, i);
	}
	for (unsigned i = 0; i < a->n; i++) {
		struct rp_worker *w = &a->workers[i];

		ret = rp_worker_start(w);
		if (ret) {
			rp_err("worker %u: cannot start thread: %s", i, strerror(-ret));
			break;
		}
		started++;
		ret = rp_worker_wait_started(w);
		if (ret)
			break;
		log_worker(a, w);
	}
	if (!ret)
		return 0;
	/* Undo: running workers drain (nothing came in yet) and exit. */
	for (unsigned i = 0; i < started; i++) {
		if (__atomic_load_n(&a->workers[i].phase, __ATOMIC_ACQUIRE) == RP_WP_RUNNING)
			rp_worker_request_stop(&a->workers[i]);
		rp_worker_join(&a->workers[i]);
	}
	return ret;
}

/* ---- acceptors (services[].acceptor) ---------------------------------------- */

static const struct rp_counters *acceptor_svc_ctr(const struct acc_load *l, unsigned worker)
{
	return rp_appliance_counters(l->a, worker, NULL) + l->svc;
}

/* least-loaded: the service's live connections on a worker */
static unsigned acceptor_load(void *arg, unsigned worker)
{
	const struct rp_counters *c = acceptor_svc_ctr(arg, worker);

	return (unsigned)(rp_counter_read(c, RP_C_CONNS_ACCEPTED) -
			  rp_counter_read(c, RP_C_CONNS_CLOSED));
}

/* ... and the handoffs it adopted (the acceptor is its only source) */
static uint64_t acceptor_adopted(void *arg, unsigned worker)
{
	return rp_counter_read(acceptor_svc_ctr(arg, worker), RP_C_CONNS_ACCEPTED);
}

/* Before the workers: no CONN is ever sent to a worker that has left. */
static void stop_acceptors(struct rp_appliance *a)
{
	for (unsigned i = 0; a->acceptors && i < a->cfg->n_services; i++) {
		if (!a->acceptors[i])
			continue;
		rp_acceptor_stop(a->acceptors[i]);
		rp_acceptor_free(a->acceptors[i]);
		a->acceptors[i] = NULL;
	}
}

static bool any_acceptor(const struct rp_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_services; i++)
		if (cfg->services[i].acceptor)
			return true;
	return false;
}

static int start_acceptors(struct rp_appliance *a)
{
	int fds[RP_ACCEPTOR_MAX_TARGETS];

	if (!any_acceptor(a->cfg))
		return 0;
	/* `check` refuses more (config/rules.c); say so should one slip by */
	_Static_assert(RP_ACCEPTOR_WORKERS_MAX == RP_ACCEPTOR_MAX_TARGETS, "acceptor limit");
	if (a->n > RP_ACCEPTOR_MAX_TARGETS) {
		rp_err("%u workers: an acceptor hands connections to at most %u",
		       a->n, RP_ACCEPTOR_MAX_TARGETS);
		return -EINVAL;
	}
	for (unsigned i = 0; i < a->n; i++)
		fds[i] = a->workers[i].ring_fd;
	for (unsigned i = 0; i < a->cfg->n_services; i++) {
		const struct rp_service_cfg *svc = &a->cfg->services[i];
		int ret;

		if (!svc->acceptor)
			continue;
		a->loads[i] = (struct acc_load){ .a = a, .svc = i };
		ret = rp_acceptor_start_service(&a->acceptors[i], svc, i, &(struct rp_acceptor_params){
			.target_ring_fds = fds, .n_targets = a->n,
			.napi = a->napi, .n_napi = a->n_napi,
			.load = acceptor_load, .adopted = acceptor_adopted,
			.load_arg = &a->loads[i] });
		if (ret) {
			stop_acceptors(a);
			return ret;
		}
	}
	return 0;
}

static int start_metrics(struct rp_appliance *a, struct rp_metrics_source *src)
{
	char err[256];

	if (!a->cfg->metrics.enabled)
		return 0;
	*src = (struct rp_metrics_source){
		.n_workers = a->n, .n_services = a->cfg->n_services + rp_svc_backend_blocks(a->cfg),
		.service_names = a->svc_names, .block = metrics_block,
		.worker_cpus = a->cpus, .arg = a,
	};
	a->metrics = rp_metrics_start(&a->cfg->metrics, src, err, sizeof(err));
	if (!a->metrics) {
		char comm[64] = "";
		pid_t owner = rp_addr_owner(&a->cfg->metrics.listen, SOCK_STREAM, comm, sizeof(comm));

		if (owner > 0)
			rp_err("metrics: %s is in use by PID %d (%s): set metrics.listen to a free "
			       "address or metrics.enabled: false", a->cfg->metrics.listen.text,
			       (int)owner, comm);
		else
			rp_err("%s", err);
		return -1;
	}
	rp_info("metrics: serving on %s", a->cfg->metrics.listen.text);
	return 0;
}

/* ---- shutdown ------------------------------------------------------------- */

static bool all_done(const struct rp_appliance *a)
{
	for (unsigned i = 0; i < a->n; i++) {
		int ph = __atomic_load_n(&a->workers[i].phase, __ATOMIC_ACQUIRE);

		if (ph != RP_WP_DONE && ph != RP_WP_FAILED)
			return false;
	}
	return true;
}

/* Not to a worker that has ended: its ring fd is closed, and the number
 * may already name another ring. */
static void stop_workers(struct rp_appliance *a)
{
	for (unsigned i = 0; i < a->n; i++) {
		int ph = __atomic_load_n(&a->workers[i].phase, __ATOMIC_ACQUIRE);
		int ret = ph == RP_WP_DONE || ph == RP_WP_FAILED ? 0
				: rp_worker_request_stop(&a->workers[i]);

		if (ret < 0)
			rp_err("worker %u: cannot send stop message: %s", i, strerror(-ret));
	}
}

static void __attribute__((noreturn)) abandon(const struct rp_appliance *a, int sig)
{
	for (unsigned i = 0; i < a->n; i++) {
		const struct rp_worker *w = &a->workers[i];

		if (__atomic_load_n(&w->phase, __ATOMIC_ACQUIRE) == RP_WP_DONE)
			continue;
		rp_err("worker %u: abandoned %u outstanding operations, %u buffers not back in "
		       "the pool", i, __atomic_load_n(&w->pending_seen, __ATOMIC_RELAXED),
		       __atomic_load_n(&w->bufs_out_seen, __ATOMIC_RELAXED));
	}
	rp_err("second signal (%s): exiting without finishing the drain", strsignal(sig));
	fflush(stderr);
	_exit(RP_EXIT_FAIL);
}

static void reset_workers(struct rp_appliance *a)
{
	rp_warn("drain timeout (shutdown.drain-timeout-ms %u) expired: resetting the "
		"connections that still hold sends", a->cfg->shutdown.drain_timeout_ms);
	for (unsigned i = 0; i < a->n; i++) {
		int ret;

		if (__atomic_load_n(&a->workers[i].phase, __ATOMIC_ACQUIRE) != RP_WP_STOPPING)
			continue;
		ret = rp_worker_request_reset(&a->workers[i]);
		if (ret < 0)
			rp_err("worker %u: cannot send reset message: %s", i, strerror(-ret));
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The drain's deadline, from the first signal; 0: none (wait forever). */
static uint64_t drain_deadline(const struct rp_appliance *a)
{
	unsigned ms = a->cfg->shutdown.drain_timeout_ms;

	return ms ? now_ms() + ms : 0;
}

/* A worker whose loop failed (phase FAILED after it ran); -1: none. */
static int failed_worker(const struct rp_appliance *a)
{
	for (unsigned i = 0; i < a->n; i++)
		if (__atomic_load_n(&a->workers[i].phase, __ATOMIC_ACQUIRE) == RP_WP_FAILED)
			return (int)i;
	return -1;
}

/* Running on with one worker gone would silently drop its share of the
 * traffic (its reuseport sockets and acceptor handoffs): stop them all. */
static void stop_for_failure(struct rp_appliance *a, unsigned i)
{
	rp_err("worker %u failed (%s): stopping the appliance; the other workers drain, "
	       "then exit status 1", i, a->workers[i].fail_reason[0] ?
	       a->workers[i].fail_reason : "no reason recorded");
	stop_acceptors(a);
	stop_workers(a);
}

/* systemd's watchdog, when due: WATCHDOG=1 only if every running worker
 * answered the previous liveness ping (a MSG_RING message its loop
 * echoes), then the next ping. A worker stuck in a handler, or in a loop
 * that no longer reads its ring, stops the pings: systemd restarts the unit
 * after WatchdogSec. While draining, the pings go on unchecked (systemd's
 * stop timeout governs then). */
static bool workers_answered(struct rp_appliance *a)
{
	for (unsigned i = 0; i < a->n; i++) {
		unsigned missed;

		if (__atomic_load_n(&a->workers[i].phase, __ATOMIC_ACQUIRE) != RP_WP_RUNNING ||
		    __atomic_load_n(&a->workers[i].pong, __ATOMIC_ACQUIRE) == a->ping_seq)
			continue;
		if (rp_ratelimit_now(&a->ping_log, 10000, &missed))
			rp_err("worker %u has not answered a liveness ping in %llu ms: no systemd "
			       "watchdog ping (%u such checks not logged)", i,
			       (unsigned long long)a->watchdog.interval_ms, missed);
		return false;
	}
	return true;
}

static void watchdog(struct rp_appliance *a, bool worker_failed, bool stopping)
{
	uint64_t now = now_ms();

	if (!rp_sd_watchdog_due(&a->watchdog, now))
		return;
	if (worker_failed || stopping) {
		rp_sd_watchdog_ping(&a->watchdog, now, !worker_failed);
		return;
	}
	rp_sd_watchdog_ping(&a->watchdog, now, workers_answered(a));
	a->ping_seq++;
	for (unsigned i = 0; i < a->n; i++)
		if (__atomic_load_n(&a->workers[i].phase, __ATOMIC_ACQUIRE) == RP_WP_RUNNING)
			rp_worker_ping(&a->workers[i], a->ping_seq);
}

static void begin_stop(struct rp_appliance *a, uint64_t *deadline)
{
	rp_reload_cancel(a->reload);
	rp_sd_stopping();
	*deadline = drain_deadline(a);
	stop_acceptors(a);
	stop_workers(a);
}

/* How often the control thread looks at the workers and the clock: 100 ms,
 * or more often when systemd's watchdog wants pings sooner, or while the
 * workers switch to a reloaded config (their acknowledgements end it). */
static struct timespec control_tick(const struct rp_appliance *a)
{
	uint64_t ms = rp_reload_in_flight(a->reload) ? 10 : 100;

	if (a->watchdog.interval_ms && a->watchdog.interval_ms < ms)
		ms = a->watchdog.interval_ms;
	return (struct timespec){ .tv_sec = 0, .tv_nsec = (long)ms * 1000 * 1000 };
}

/* ---- takeover (takeover.h) ------------------------------------------------ */

/* SIGUSR2 from a successor: acceptor listeners close (their queues move to
 * the successor's), workers leave their groups and serve on. */
static void begin_leave(struct rp_appliance *a)
{
	unsigned ms = a->cfg->shutdown.drain_timeout_ms;

	rp_info("SIGUSR2: a successor takes over: leaving the reuseport groups; open "
		"connections are served until they end (at most shutdown.drain-timeout-ms), "
		"then the drain");
	a->leave_until = ms ? now_ms() + ms : UINT64_MAX;
	stop_acceptors(a);
	for (unsigned i = 0; i < a->n; i++)
		if (__atomic_load_n(&a->workers[i].phase, __ATOMIC_ACQUIRE) == RP_WP_RUNNING &&
		    rp_worker_request_leave(&a->workers[i]) < 0)
			rp_err("worker %u: cannot send leave message", i);
}

/* Leaving, and every worker has nothing open any more (or time is up). */
static bool leave_done(const struct rp_appliance *a)
{
	bool all = true;

	for (unsigned i = 0; i < a->n && all; i++)
		all = __atomic_load_n(&a->workers[i].phase, __ATOMIC_ACQUIRE) != RP_WP_RUNNING ||
		      rp_worker_has_left(&a->workers[i]);
	if (!all && now_ms() < a->leave_until)
		return false;
	rp_info("takeover: %s: stopping", all ? "every worker left its groups and has nothing "
		"open" : "shutdown.drain-timeout-ms expired with connections still open");
	return true;
}

/* The successor's side: the metrics port is the old one's until it exits. */
static void takeover_tick(struct rp_appliance *a)
{
	if (a->tk && !a->tk->exited && rp_takeover_old_exited(a->tk))
		start_metrics(a, a->msrc);
}

/* SIGHUP: a live reload (reload.h). One sent by `ringplane reload`
 * (sigqueue with RP_RELOAD_ASK) gets the outcome back. */
static void on_sighup(struct rp_appliance *a, const siginfo_t *si)
{
	pid_t asker = si->si_code == SI_QUEUE && si->si_value.sival_int == RP_RELOAD_ASK ?
		      si->si_pid : 0;

	rp_reload_request(a->reload, a->workers, a->n, asker);
}

/* Wait for a signal (or a worker failure, or every worker ending by itself),
 * stop, drain; when the drain outlasts its timeout, reset what holds it.
 * SIGHUP reloads the config (while running; ignored once stopping). */
static int wait_and_drain(struct rp_appliance *a, const sigset_t *sigs)
{
	uint64_t deadline = 0;
	bool stopping = false, worker_failed = false;
	struct timespec tick;
	siginfo_t info;
	int failed = 0;

	for (;;) {
		int sig, bad = stopping ? -1 : failed_worker(a);

		if (bad >= 0) {
			rp_reload_cancel(a->reload);
			rp_sd_stopping();
			stop_for_failure(a, (unsigned)bad);
			worker_failed = stopping = true;
			deadline = drain_deadline(a);
		}
		if (all_done(a))
			break;
		if (a->leave_until && !stopping && leave_done(a)) {
			stopping = true;
			begin_stop(a, &deadline);
		}
		takeover_tick(a);
		watchdog(a, worker_failed, stopping);
		rp_events_tick(&a->events, a->cfg, a->n, events_block, a);
		rp_reload_poll(a->reload, a->workers, a->n);
		tick = control_tick(a);
		sig = sigtimedwait(sigs, &info, &tick);
		if (sig < 0) {
			if (deadline && now_ms() >= deadline) {
				reset_workers(a);
				deadline = 0;
			}
			continue;
		}
		if (sig == SIGHUP) {
			on_sighup(a, &info);
			continue;
		}
		if (sig == SIGUSR2) {
			if (!stopping && !a->leave_until)
				begin_leave(a);
			continue;
		}
		if (stopping)
			abandon(a, sig);
		rp_info("%s: stopping: draining sends and zerocopy notifications "
			"(a second signal forces exit)", strsignal(sig));
		stopping = true;
		begin_stop(a, &deadline);
	}
	for (unsigned i = 0; i < a->n; i++)
		if (rp_worker_join(&a->workers[i]))
			failed++;
	if (!stopping && !a->start_failed)
		rp_err("all workers ended without being asked to");
	return failed || !stopping || worker_failed ? -1 : 0;
}

/* ---- run ------------------------------------------------------------------ */

/* Each worker's fixed-file table (one slot per connection) is capped by
 * RLIMIT_NOFILE: take what the hard limit allows. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		rp_warn("cannot raise RLIMIT_NOFILE to %llu: %s", (unsigned long long)rl.rlim_max,
			strerror(errno));
}

static int check_features(void)
{
	struct rp_features f;
	char msg[512];

	rp_features_probe(&f);
	if (rp_features_check_required(&f, msg, sizeof(msg))) {
		rp_err("cannot run on this system: %s", msg);
		return -1;
	}
	rp_features_log_optional(&f);
	return 0;
}

static int alloc_appliance(struct rp_appliance *a, const struct rp_config *cfg)
{
	unsigned per = cfg->n_services + 1, n_be = rp_svc_backend_blocks(cfg);

	a->cfg = cfg;
	a->n = rp_worker_count(cfg, &a->qc);
	build_napi_map(a);
	a->workers = calloc(a->n, sizeof(*a->workers));
	a->ctr = calloc((size_t)a->n * (per + n_be), sizeof(*a->ctr));
	a->cpus = calloc(a->n, sizeof(*a->cpus));
	a->svc_names = calloc(per + n_be, sizeof(*a->svc_names));
	a->acceptors = calloc(per, sizeof(*a->acceptors));
	a->loads = calloc(per, sizeof(*a->loads));
	if (!a->workers || !a->ctr || !a->cpus || !a->svc_names || !a->acceptors || !a->loads)
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->n_services; i++)
		a->svc_names[i] = cfg->services[i].name;
	a->reload = rp_reload_new(cfg, a->svc_names + cfg->n_services);
	if (!a->reload)
		return -ENOMEM;
	return rp_pick_worker_cpus(cfg, &a->qc, a->n, a->cpus);
}

static void free_appliance(struct rp_appliance *a)
{
	free(a->workers);
	free(a->ctr);
	free(a->cpus);
	rp_reload_free(a->reload);
	free(a->svc_names);
	rp_zcrx_plan_free(&a->zp);
	free(a->acceptors);
	free(a->loads);
}

static int run(const struct rp_config *cfg, bool takeover)
{
	struct rp_appliance a = { 0 };
	struct rp_metrics_source src = { 0 };
	struct rp_takeover tk = { .pidfd = -1 };
	struct rp_privdrop pd;
	sigset_t sigs, old;
	int ret = RP_EXIT_FAIL;

	/* Workers inherit the mask: only this thread takes SIGINT/SIGTERM/SIGHUP. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR2);	/* a successor takes over (takeover.h) */
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	signal(SIGPIPE, SIG_IGN);

	raise_nofile();
	/* Before any thread: what it seals is inherited by every worker. */
	if (rp_privdrop_prepare(cfg, &pd) || check_features())
		goto out;
	/* Before anything is changed or bound: refuse to join a running one. */
	if (takeover ? rp_takeover_find(cfg, &tk) || rp_takeover_prepare(&tk)
		     : rp_addr_probe_services(cfg))
		goto out;
	a.tk = takeover ? &tk : NULL;
	a.msrc = &src;
	if (rp_zcrx_start_probe(cfg, &a.zp) || rp_nic_start(cfg, a.zp.prepare, &a.qc))
		goto out;
	if (alloc_appliance(&a, cfg)) {
		rp_err("cannot set up %u workers: %s", a.n, strerror(ENOMEM));
		goto out;
	}
	/* Before the workers: each attaches to it as a sender. */
	if (rp_events_open(&a.events, cfg, &pd))
		goto out;
	rp_reload_set_events(a.reload, a.events.ch);
	if (rp_zcrx_start_assign(cfg, &a.zp, &a.qc, a.n))
		goto out;
	/* Before the workers: their sockets join the reuseport groups. */
	if (rp_reuseport_begin(cfg, a.n) || rp_relay_begin(cfg, a.n)) {
		rp_err("cannot set up %u workers: %s", a.n, strerror(ENOMEM));
		goto out;
	}
	if (takeover)
		rp_reuseport_set_takeover();
	if (start_workers(&a))
		goto out;
	/* Root is dropped once buffers are registered and sockets bound. */
	if (start_acceptors(&a) || (!takeover && start_metrics(&a, &src)) ||
	    rp_privdrop_apply(&pd) || (takeover && rp_takeover_signal(&tk))) {
		rp_err("start-up failed (above): stopping the workers that started");
		a.start_failed = true;
		stop_acceptors(&a);
		stop_workers(&a);
		wait_and_drain(&a, &sigs);
		if (a.metrics)
			rp_metrics_stop(a.metrics);
		goto out;
	}
	rp_sd_watchdog_init(&a.watchdog);
	rp_sd_ready(a.n, cfg->n_services);
	rp_info("running: %u workers, %u services (SIGINT/SIGTERM to stop; SIGHUP to reload)",
		a.n, cfg->n_services);
	rp_events_emit(a.events.ch, "start", "\"pid\":%d,\"workers\":%u,\"services\":%u",
		       (int)getpid(), a.n, cfg->n_services);
	if (wait_and_drain(&a, &sigs) == 0) {
		rp_info("stopped cleanly: every send completed, every notification in");
		ret = RP_EXIT_OK;
	}
	if (a.metrics)
		rp_metrics_stop(a.metrics);
out:
	rp_events_close(&a.events, cfg, ret == RP_EXIT_OK);
	rp_takeover_close(&tk);
	rp_reuseport_end();
	rp_relay_end();
	free_appliance(&a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

int rp_appliance_run(const struct rp_config *cfg)
{
	return run(cfg, false);
}

/* ---- the command ---------------------------------------------------------- */

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: ringplane run [-c FILE] [--takeover]\n\n"
		"Run the appliance: one pinned worker thread per CPU (or per workers.count),\n"
		"each with its own io_uring, registered buffer pool and an instance of every\n"
		"configured service (udp-echo, tcp-echo, optionally speaking sockperf framing;\n"
		"tcp-proxy, forwarding TCP to backends; udp-relay, a UDP load balancer).\n\n"
		"  -c, --config FILE  YAML config (default: the embedded default config)\n"
		"      --takeover     take over from the ringplane serving these addresses\n"
		"                     without losing a connection or datagram (see below)\n"
		"  -h, --help         this help\n\n"
		"SIGINT/SIGTERM stop it gracefully: no new connections or receives, in-flight\n"
		"sends finish, every zerocopy notification is awaited, then exit 0. Sends that\n"
		"outlast shutdown.drain-timeout-ms (default 5000; 0: no limit) have their\n"
		"connections reset (logged: how many, bytes abandoned); their notifications\n"
		"are still awaited, and the exit is still 0. A second signal exits at once\n"
		"with status 1 and logs what was abandoned.\n\n"
		"SIGHUP (or `ringplane reload`) re-reads FILE and applies it live if it is\n"
		"valid and changes only what can change while running (tcp-proxy backends,\n"
		"weights, balance, connect-timeout-ms, retries, nodelay; per service\n"
		"max-connections, idle-timeout-ms, write-stall-timeout-ms): workers switch\n"
		"between two completion batches, no established connection is dropped, a\n"
		"removed backend's connections finish. Otherwise the reload is rejected as a\n"
		"whole, each error or offending key logged with FILE:LINE:COLUMN, and the\n"
		"running config stays.\n\n"
		"One appliance per address: a service address some process already serves\n"
		"(another ringplane, whose SO_REUSEPORT groups this one would join) is refused\n"
		"at start, naming the address and that process's PID.\n\n"
		"--takeover (zero-downtime upgrade or config change): the new process joins\n"
		"the running one's SO_REUSEPORT groups (detaching its local-cpu program;\n"
		"CPU-local delivery then uses SO_INCOMING_CPU), sets net.ipv4.tcp_migrate_req=1\n"
		"in its network namespace when it takes over a TCP address, and once every\n"
		"worker serves sends the old one SIGUSR2. On SIGUSR2 an appliance leaves its\n"
		"groups: TCP listeners close, and the connections queued on them move to the\n"
		"new one's (tcp_migrate_req); UDP sockets stop receiving new datagrams and read\n"
		"what is queued to the end. It serves its open connections until they end (at\n"
		"most shutdown.drain-timeout-ms), then drains as on SIGTERM and exits 0. The\n"
		"new one starts its metrics server when the old one has exited (the port was\n"
		"its). All service addresses in use must belong to one ringplane; when none\n"
		"is in use, --takeover is an error (nothing to take over: start without it).\n\n"
		"Started as root with process.user set, it switches every thread to that\n"
		"user, with no capabilities, once buffers are registered and sockets bound.\n"
		"Under systemd (Type=notify) it sends READY=1 once every worker runs,\n"
		"WATCHDOG=1 while every worker answers a liveness ping (with WatchdogSec=),\n"
		"STOPPING=1 when the drain begins.\n\n"
		"A worker whose loop fails stops the whole appliance: the error names the\n"
		"worker and the reason, the other workers drain as on SIGTERM, and the exit\n"
		"status is 1 (no running on with fewer workers than configured).\n\n"
		"Exit status: 0 clean shutdown, 1 failure (config, start-up, a worker, forced),\n"
		"2 usage.\n");
}

static int load_config(const char *path, struct rp_config *cfg)
{
	struct rp_cfg_errors errs = { 0 };
	int ret = path ? rp_config_load_file(path, cfg, &errs)
		       : rp_config_load_default(cfg, &errs);

	if (ret)
		rp_cfg_errors_print(stderr, &errs);
	rp_cfg_errors_free(&errs);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "takeover", no_argument, NULL, 'T' },
		{ 0 },
	};
	const char *path = NULL;
	struct rp_config cfg = { 0 };
	bool takeover = false;
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'h': run_usage(stdout); return RP_EXIT_OK;
		case 'T': takeover = true; break;
		case ':': return rp_usage_error("run", "option '%s' needs a FILE", argv[optind - 1]);
		default: return rp_usage_error("run", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return rp_usage_error("run", "unexpected argument '%s'", argv[optind]);
	if (load_config(path, &cfg)) {
		rp_config_free(&cfg);
		return RP_EXIT_FAIL;
	}
	rp_log_setup(cfg.logging.level, cfg.logging.format);
	ret = run(&cfg, takeover);
	rp_config_free(&cfg);
	return ret;
}
