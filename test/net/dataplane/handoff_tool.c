/* SPDX-License-Identifier: MIT */
/*
 * Connection handoff under test: dataplane/acceptor.c + steer.c + msg.c with
 * real TCP connections.
 *
 *   handoff_tool server --listen IP:PORT --workers N --policy P [--work]
 *                       [--worker-files N] [--hold] [--napi-map ID:QUEUE,...]
 *     N worker threads (SINGLE_ISSUER|DEFER_TASKRUN rings, sparse fixed
 *     files) and an acceptor. A worker answers each connection it is handed
 *     with its id (4 bytes) and closes it. With --work, a producer thread
 *     also streams WORK messages to the workers until shutdown. Prints
 *     "ready" when accepting; on SIGTERM/SIGINT shuts down in order
 *     (acceptor, producer, workers) and prints key=value lines: what was
 *     accepted, handed off, served per worker, work sent/done/bounced, and
 *     the process's open descriptors before start and after shutdown.
 *     With --hold, workers keep every connection open until shutdown (to
 *     fill their fixed-file tables). --napi-map tells the napi policy which
 *     rx queue each NAPI id serves; napi.<id>=conns lines say which NAPI
 *     ids the connections arrived on.
 *
 *   handoff_tool client --connect IP:PORT --count N --workers N [--port P]
 *     N connections, one after another; reads the worker id from each and
 *     resets the connection (so a fixed local --port can be reused at once).
 *     Prints conns.<worker>=count and errors=count.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane/acceptor.h"
#include "dataplane/msg.h"

#define MAX_WORKERS 16

/* ---- workers ------------------------------------------------------------ */

struct worker {
	unsigned id;
	pthread_t thread;
	struct io_uring ring;
	_Atomic int ring_fd;		/* 0 until set up, <0 on failure */
	unsigned files;
	uint32_t id_be;			/* what we answer, network order */
	unsigned pending;		/* our sends and closes in flight */
	bool stop;
	_Atomic bool senders_done;	/* nobody will message us any more */
	_Atomic uint64_t served, closed, work_done, close_errors;
	unsigned *held;			/* --hold: slots kept until stop */
	unsigned n_held;
};

static bool hold;
static unsigned adopt_delay_us;	/* --adopt-delay-us: a worker slow to adopt */
static struct rp_steer_napi napi_map[RP_STEER_NAPI_MAX];
static unsigned n_napi_map;

/* "8193:0,8194:1" */
static int parse_napi_map(const char *text)
{
	const char *p = text;

	while (*p && n_napi_map < RP_STEER_NAPI_MAX) {
		unsigned id, queue;
		int used;

		if (sscanf(p, "%u:%u%n", &id, &queue, &used) != 2)
			return -1;
		napi_map[n_napi_map++] = (struct rp_steer_napi){ .napi_id = id, .queue = queue };
		p += used;
		if (*p == ',')
			p++;
	}
	return *p ? -1 : 0;
}

static struct worker workers[MAX_WORKERS];
static unsigned n_workers;

static struct io_uring_sqe *worker_sqe(struct worker *w, uint64_t ud, unsigned flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	if (!sqe)
		abort();	/* a 256-entry SQ just submitted cannot be full */
	io_uring_sqe_set_data64(sqe, ud);
	sqe->flags |= flags;
	w->pending++;
	return sqe;
}

static void worker_close(struct worker *w, unsigned slot)
{
	io_uring_prep_close_direct(worker_sqe(w, rp_ud(RP_OP_CLOSE, 0), 0), slot);
}

/* CONN: answer with our id, then close (hard link: closes even if the send
 * fails, so no slot is ever left behind). */
static int on_conn(void *arg, const struct rp_msg *m)
{
	struct worker *w = arg;
	unsigned link = hold ? 0 : IOSQE_IO_HARDLINK;

	if (adopt_delay_us)
		usleep(adopt_delay_us);

	io_uring_prep_send(worker_sqe(w, rp_ud(RP_OP_SEND, 0), IOSQE_FIXED_FILE | link),
			   m->arg, &w->id_be, sizeof(w->id_be), MSG_NOSIGNAL);
	if (hold)
		w->held[w->n_held++] = (unsigned)m->arg;
	else
		worker_close(w, (unsigned)m->arg);
	atomic_fetch_add(&w->served, 1);
	return 0;
}

static int on_work(void *arg, const struct rp_msg *m)
{
	struct worker *w = arg;

	(void)m;
	atomic_fetch_add(&w->work_done, 1);
	return 0;
}

static int on_stop(void *arg, const struct rp_msg *m)
{
	struct worker *w = arg;

	(void)m;
	w->stop = true;
	while (w->n_held)
		worker_close(w, w->held[--w->n_held]);
	return 0;
}

static void worker_reap(struct worker *w)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&w->ring, head, cqe) {
		switch (rp_ud_op(cqe->user_data)) {
		case RP_OP_MSG:
			rp_msg_dispatch(NULL, w, cqe);
			break;
		case RP_OP_CLOSE:
			atomic_fetch_add(cqe->res < 0 ? &w->close_errors : &w->closed, 1);
			w->pending--;
			break;
		default:
			w->pending--;
		}
		n++;
	}
	io_uring_cq_advance(&w->ring, n);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct __kernel_timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int ret = io_uring_queue_init(256, &w->ring, IORING_SETUP_SINGLE_ISSUER |
				      IORING_SETUP_DEFER_TASKRUN);

	if (ret == 0)
		ret = io_uring_register_files_sparse(&w->ring, w->files);
	if (ret == 0 && !(w->held = calloc(w->files, sizeof(*w->held))))
		ret = -ENOMEM;
	atomic_store(&w->ring_fd, ret < 0 ? ret : w->ring.ring_fd);
	if (ret < 0)
		return NULL;
	/* Serve until told to stop and nothing of ours is in flight, then
	 * until the senders are done: a message that comes after our stop is
	 * still handled (a CONN answered and closed, a WORK item done). */
	while (!(w->stop && !w->pending && atomic_load(&w->senders_done))) {
		struct io_uring_cqe *cqe;

		io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &tick, NULL);
		worker_reap(w);
	}
	io_uring_get_events(&w->ring);
	worker_reap(w);
	io_uring_unregister_files(&w->ring);
	io_uring_queue_exit(&w->ring);
	free(w->held);
	return NULL;
}

/* ---- the WORK producer ----------------------------------------------------- */

struct producer {
	pthread_t thread;
	_Atomic bool stop;
	uint64_t sent, bounced;
	int err;
};

static int on_bounce(void *arg, const struct rp_msg *m)
{
	struct producer *p = arg;

	(void)m;
	p->bounced++;
	return 0;
}

static void producer_reap(struct io_uring *ring, struct rp_msg_port *port)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(ring, &cqe) == 0) {
		if (rp_ud_op(cqe->user_data) == RP_OP_MSG)
			rp_msg_dispatch(port, NULL, cqe);
		io_uring_cqe_seen(ring, cqe);
	}
}

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	struct io_uring ring;
	struct rp_msg_port port;
	int ret = io_uring_queue_init(64, &ring, IORING_SETUP_SINGLE_ISSUER);

	if (ret == 0)
		ret = rp_msg_port_init(&port, &ring, 64, NULL);
	if (ret < 0) {
		p->err = ret;
		return NULL;
	}
	port.on_bounce = on_bounce;
	port.owner = p;
	while (!atomic_load(&p->stop)) {
		struct rp_msg m = { .type = RP_MSG_WORK, .payload = p->sent };
		unsigned w = (unsigned)(p->sent % n_workers);

		if (rp_msg_send(&port, workers[w].ring_fd, &m) == 0)
			p->sent++;
		io_uring_submit(&ring);
		producer_reap(&ring, &port);
		usleep(50);
	}
	while (rp_msg_port_in_flight(&port)) {
		io_uring_submit_and_wait(&ring, 1);
		producer_reap(&ring, &port);
	}
	rp_msg_port_fini(&port);
	io_uring_queue_exit(&ring);
	return NULL;
}

/* ---- server ------------------------------------------------------------------ */

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3;	/* ".", "..", and the directory's own descriptor */
}

static int parse_addr(const char *text, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(text, ':');

	if (!colon || (size_t)(colon - text) >= sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = 0;
	*sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1)) };
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static int listen_on(const struct sockaddr_in *sa)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) || listen(fd, 4096)) {
		perror("handoff_tool: listen");
		return -1;
	}
	return fd;
}

static int start_workers(unsigned files, int *fds)
{
	for (unsigned i = 0; i < n_workers; i++) {
		struct worker *w = &workers[i];

		w->id = i;
		w->id_be = htonl(i);
		w->files = files;
		if (pthread_create(&w->thread, NULL, worker_main, w))
			return -1;
		while (atomic_load(&w->ring_fd) == 0)
			usleep(1000);
		if (atomic_load(&w->ring_fd) < 0) {
			fprintf(stderr, "handoff_tool: worker %u ring: %s\n", i,
				strerror(-atomic_load(&w->ring_fd)));
			return -1;
		}
		fds[i] = w->ring_fd;
	}
	return 0;
}

static void stop_workers(void)
{
	for (unsigned i = 0; i < n_workers; i++)
		rp_msg_send_sync(workers[i].ring_fd, &(struct rp_msg){ .type = RP_MSG_STOP });
	for (unsigned i = 0; i < n_workers; i++)
		atomic_store(&workers[i].senders_done, true);
	for (unsigned i = 0; i < n_workers; i++)
		pthread_join(workers[i].thread, NULL);
}

static void report(const struct rp_acceptor_stats *st, const struct producer *p,
		   enum rp_steer_policy policy, unsigned fds_before)
{
	uint64_t done = 0;

	printf("policy=%s\naccepted=%llu\nhanded_off=%llu\nerr_no_slot=%llu\n"
	       "err_handoff=%llu\nerr_accept=%llu\nnapi_fallbacks=%llu\nretries=%llu\n",
	       rp_steer_policy_name(policy), (unsigned long long)st->accepted,
	       (unsigned long long)st->handed_off, (unsigned long long)st->err_no_slot,
	       (unsigned long long)st->err_handoff, (unsigned long long)st->err_accept,
	       (unsigned long long)st->napi_fallbacks, (unsigned long long)st->retries);
	for (unsigned i = 0; i < n_workers; i++) {
		printf("served.%u=%llu\nclose_errors.%u=%llu\n", i,
		       (unsigned long long)atomic_load(&workers[i].served), i,
		       (unsigned long long)atomic_load(&workers[i].close_errors));
		done += atomic_load(&workers[i].work_done);
	}
	printf("work_sent=%llu\nwork_done=%llu\nwork_bounced=%llu\n",
	       (unsigned long long)p->sent, (unsigned long long)done,
	       (unsigned long long)p->bounced);
	for (unsigned i = 0; i < RP_ACCEPTOR_NAPI_SEEN && st->napi_seen[i].conns; i++)
		printf("napi.%u=%llu\n", st->napi_seen[i].napi_id,
		       (unsigned long long)st->napi_seen[i].conns);
	printf("fds_before=%u\nfds_after=%u\n", fds_before, count_fds());
}

/* least-loaded: connections a worker holds (served, not yet closed) */
static unsigned worker_load(void *arg, unsigned i)
{
	(void)arg;
	return (unsigned)(atomic_load(&workers[i].served) - atomic_load(&workers[i].closed));
}

/* ... and the handoffs it has adopted */
static uint64_t worker_adopted(void *arg, unsigned i)
{
	(void)arg;
	return atomic_load(&workers[i].served);
}

/* With a NAPI map: the plain API on our own listener. Without: the way the
 * appliance starts a configured service's acceptor. */
static int start_acceptor(struct rp_acceptor **acc, int lfd, const struct sockaddr_in *sa,
			  enum rp_steer_policy policy, const int *fds)
{
	struct rp_service_cfg svc = { .name = "handoff", .type = RP_SVC_TCP_ECHO,
				      .acceptor = true, .steering = policy };

	if (n_napi_map)
		return rp_acceptor_start(acc, &(struct rp_acceptor_params){
			.listen_fd = lfd, .policy = policy, .n_targets = n_workers,
			.target_ring_fds = fds, .cpu = -1,
			.napi = napi_map, .n_napi = n_napi_map });
	memcpy(&svc.listen.ss, sa, sizeof(*sa));
	svc.listen.len = sizeof(*sa);
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
	snprintf(svc.listen.text, sizeof(svc.listen.text), "%s:%u", ip, ntohs(sa->sin_port));
	return rp_acceptor_start_service(acc, &svc, 0, &(struct rp_acceptor_params){
		.target_ring_fds = fds, .n_targets = n_workers, .load = worker_load,
		.adopted = worker_adopted });
}

static int server(const struct sockaddr_in *sa, enum rp_steer_policy policy, bool work,
		  unsigned files)
{
	unsigned fds_before = count_fds();
	struct rp_acceptor_stats st;
	struct producer prod = { 0 };
	struct rp_acceptor *acc;
	int fds[MAX_WORKERS], lfd, sig;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* threads inherit: main takes them */

	rp_msg_set_handler(RP_MSG_CONN, on_conn);
	rp_msg_set_handler(RP_MSG_WORK, on_work);
	rp_msg_set_handler(RP_MSG_STOP, on_stop);
	lfd = n_napi_map ? listen_on(sa) : -1;
	if ((n_napi_map && lfd < 0) || start_workers(files, fds))
		return 1;
	if (start_acceptor(&acc, lfd, sa, policy, fds))
		return 1;
	if (work && pthread_create(&prod.thread, NULL, producer_main, &prod))
		return 1;
	printf("ready\n");
	fflush(stdout);

	sigwait(&set, &sig);
	/* the order that leaves nothing behind: no new handoffs, no new work,
	 * then the workers */
	rp_acceptor_stop(acc);
	rp_acceptor_stats(acc, &st);
	rp_acceptor_free(acc);
	atomic_store(&prod.stop, true);
	if (work)
		pthread_join(prod.thread, NULL);
	stop_workers();
	if (lfd >= 0)
		close(lfd);
	report(&st, &prod, policy, fds_before);
	return prod.err ? 1 : 0;
}

/* ---- client ------------------------------------------------------------------ */

static int client_one(const struct sockaddr_in *sa, unsigned local_port, uint32_t *id)
{
	struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n = -1;

	if (fd < 0)
		return -1;
	if (local_port) {
		struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(local_port) };

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&me, sizeof(me)))
			goto out;
	}
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		n = recv(fd, id, sizeof(*id), MSG_WAITALL);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
out:
	close(fd);
	*id = ntohl(*id);
	return n == sizeof(*id) ? 0 : -1;
}

/* --burst: open all `count` connections first, then read every answer, so
 * the acceptor sees them as one burst of accepts. ids[i]: UINT32_MAX when
 * connection i got no answer. */
static void client_burst(const struct sockaddr_in *sa, unsigned count, uint32_t *ids)
{
	int *fds = calloc(count, sizeof(*fds));

	for (unsigned i = 0; fds && i < count; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] >= 0 && connect(fds[i], (const struct sockaddr *)sa, sizeof(*sa))) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	for (unsigned i = 0; i < count; i++) {
		ids[i] = UINT32_MAX;
		if (fds && fds[i] >= 0 && recv(fds[i], &ids[i], sizeof(ids[i]), MSG_WAITALL) == sizeof(ids[i]))
			ids[i] = ntohl(ids[i]);
	}
	for (unsigned i = 0; fds && i < count; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

static int client(const struct sockaddr_in *sa, unsigned count, unsigned local_port, bool burst)
{
	unsigned long long per[MAX_WORKERS] = { 0 }, errors = 0;
	uint32_t *ids = calloc(count ? count : 1, sizeof(*ids));

	if (!ids)
		return 1;
	if (burst)
		client_burst(sa, count, ids);
	for (unsigned i = 0; i < count; i++) {
		if (!burst && client_one(sa, local_port, &ids[i]))
			ids[i] = UINT32_MAX;
		if (ids[i] >= n_workers)
			errors++;
		else
			per[ids[i]]++;
	}
	free(ids);
	for (unsigned i = 0; i < n_workers; i++)
		printf("conns.%u=%llu\n", i, per[i]);
	printf("errors=%llu\n", errors);
	return 0;
}

/* ---- main ---------------------------------------------------------------------- */

static int usage(int ret)
{
	fprintf(ret ? stderr : stdout,
		"usage: handoff_tool server --listen IP:PORT --workers N --policy P [--work] "
		"[--worker-files N] [--hold] [--adopt-delay-us N] [--napi-map ID:QUEUE,...]\n"
		"       handoff_tool client --connect IP:PORT --count N --workers N [--port P] [--burst]\n");
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "policy", required_argument, NULL, 'p' },
		{ "work", no_argument, NULL, 'W' },
		{ "worker-files", required_argument, NULL, 'f' },
		{ "hold", no_argument, NULL, 'H' },
		{ "napi-map", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'P' },
		{ "burst", no_argument, NULL, 'B' },
		{ "adopt-delay-us", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum rp_steer_policy policy = RP_STEER_ROUND_ROBIN;
	unsigned count = 1, port = 0, files = 1024;
	struct sockaddr_in sa = { 0 };
	bool work = false, have_addr = false, burst = false;
	int c;

	if (argc < 2)
		return usage(2);
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': have_addr = parse_addr(optarg, &sa) == 0; break;
		case 'w': n_workers = (unsigned)atoi(optarg); break;
		case 'p':
			if (rp_steer_policy_parse(optarg, &policy))
				return usage(2);
			break;
		case 'W': work = true; break;
		case 'f': files = (unsigned)atoi(optarg); break;
		case 'H': hold = true; break;
		case 'n':
			if (parse_napi_map(optarg))
				return usage(2);
			break;
		case 'c': count = (unsigned)atoi(optarg); break;
		case 'P': port = (unsigned)atoi(optarg); break;
		case 'B': burst = true; break;
		case 'D': adopt_delay_us = (unsigned)atoi(optarg); break;
		case 'h': return usage(0);
		default: return usage(2);
		}
	}
	if (!have_addr || !n_workers || n_workers > MAX_WORKERS)
		return usage(2);
	if (strcmp(argv[1], "server") == 0)
		return server(&sa, policy, work, files);
	if (strcmp(argv[1], "client") == 0)
		return client(&sa, count, port, burst);
	return usage(2);
}
