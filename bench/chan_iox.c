/* SPDX-License-Identifier: MIT */
/*
 * The iceoryx transport of `bench chan` (Eclipse iceoryx 2.0, C binding):
 * one publisher, a subscriber per receiver, each with its own wait set. The
 * sender loans a chunk in iceoryx's shared memory, writes the message into it
 * and publishes it: the message is written once, whatever the number of
 * subscribers (zero-copy, by reference). The receiver takes the chunk,
 * does the case's work with it in place (chan_ops.h: copy, none, sum) and
 * releases it. Blocking like the block policy: the publisher waits for a
 * full subscriber queue (WAIT_FOR_CONSUMER / BLOCK_PRODUCER).
 *
 * iceoryx needs its daemon: chan_iox_start() runs its own `iox-roudi` (under
 * a watcher that stops it when this process exits) and registers this
 * process, once per run.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "iceoryx_binding_c/publisher.h"
#include "iceoryx_binding_c/runtime.h"
#include "iceoryx_binding_c/subscriber.h"
#include "iceoryx_binding_c/wait_set.h"

#include "bench/chan_ops.h"

#define RX_MAX 16
#define QUEUE 64		/* per subscriber: below the default 128 KiB pool's 200 chunks */
#define SUBSCRIBE_TRIES 500	/* x 10 ms */

static pid_t roudi_pid = -1;

struct iox_xp {
	unsigned nrx;
	iox_pub_storage_t pub_st;
	iox_pub_t pub;
	iox_sub_storage_t sub_st[RX_MAX];
	iox_sub_t sub[RX_MAX];
	iox_ws_storage_t ws_st[RX_MAX];
	iox_ws_t ws[RX_MAX];
};

/* RouDi's shared memory: its management segment, made when it is ready,
 * and the data segment of the built-in config (named after the user). */
#define ROUDI_MGMT "/dev/shm/iceoryx_mgmt"
#define ROUDI_DATA "/dev/shm/$(id -un)"

static bool roudi_up(void)
{
	struct stat st;

	return stat(ROUDI_MGMT, &st) == 0;
}

/* RouDi's output, for when a case fails (chan_iox_log). */
static char roudi_log[64];

/*
 * RouDi cannot be stopped under a registered process: it sends SIGTERM, then
 * SIGKILL, to every process still registered (and a process cannot
 * unregister). So a small watcher shell runs it and stops it once this
 * process has exited.
 *
 * Monitoring off (-m off): with it on, RouDi removes a process whose
 * runtime thread sent no keepalive for 1.5 s (5 x 300 ms) and frees its
 * publishers and subscribers; the process is not told, so its subscribers
 * wait for ever for data that no longer reaches them. On this 2-vCPU
 * machine shared by other work, a process starved of CPU that long (or
 * stopped: SIGSTOP for 3 s reproduces it) made the iceoryx cases hang with
 * every thread in a futex wait ("Application ... not responding (last
 * response 1591 milliseconds ago) --> removing it" in RouDi's log). The
 * benchmark stops its RouDi itself, so liveness monitoring has no job here.
 * Without it RouDi does not notice a client killed by a signal, and at its
 * own shutdown it fails an assertion trying to stop it, leaving its shared
 * memory files behind (which would keep iceoryx out of the next run): the
 * watcher removes them once RouDi has exited (they are this RouDi's: it
 * was started only when they did not exist).
 */
static pid_t spawn_roudi(void)
{
	char script[384];
	pid_t pid;

	snprintf(roudi_log, sizeof(roudi_log), "/tmp/ringplane-bench-iox-roudi.%d.log", (int)getpid());
	snprintf(script, sizeof(script),
		 "iox-roudi -m off >%s 2>&1 & r=$!; "
		 "while kill -0 %d 2>/dev/null; do sleep 0.2; done; kill $r; wait $r; "
		 "rm -f %s %s",
		 roudi_log, (int)getpid(), ROUDI_MGMT, ROUDI_DATA);
	if ((pid = fork()) == 0) {
		setpgid(0, 0);	/* not in our process group: Ctrl-C goes to us only */
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	return pid;
}

const char *chan_iox_log(void)
{
	return roudi_log;
}

int chan_iox_start(const char **why)
{
	if (access("/usr/bin/iox-roudi", X_OK)) {
		*why = "iox-roudi is not installed (apt-get install iceoryx)";
		return -1;
	}
	if (roudi_up()) {
		*why = "another iox-roudi is running (/dev/shm/iceoryx_mgmt exists): not measured";
		return -1;
	}
	if ((roudi_pid = spawn_roudi()) < 0) {
		*why = "fork failed";
		return -1;
	}
	for (int i = 0; i < 500 && !roudi_up(); i++)
		usleep(10000);
	if (!roudi_up()) {
		*why = "iox-roudi did not come up within 5 s";
		return -1;
	}
	iox_runtime_init("ringplane-bench-chan");
	return 0;
}

static void iox_destroy(struct chan_xp *xp)
{
	struct iox_xp *x = (struct iox_xp *)xp;

	for (unsigned i = 0; i < x->nrx; i++) {
		iox_ws_deinit(x->ws[i]);
		iox_sub_deinit(x->sub[i]);
	}
	iox_pub_deinit(x->pub);
	free(x);
}

static bool all_subscribed(struct iox_xp *x)
{
	for (unsigned i = 0; i < x->nrx; i++)
		if (iox_sub_get_subscription_state(x->sub[i]) != SubscribeState_SUBSCRIBED)
			return false;
	return true;
}

static void make_subs(struct iox_xp *x, unsigned nrx, const char *inst)
{
	iox_sub_options_t so;

	iox_sub_options_init(&so);
	so.queueCapacity = QUEUE;
	so.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
	for (unsigned i = 0; i < nrx; i++) {
		x->sub[i] = iox_sub_init(&x->sub_st[i], "ringplane", "bench-chan", inst, &so);
		x->ws[i] = iox_ws_init(&x->ws_st[i]);
		iox_ws_attach_subscriber_state(x->ws[i], x->sub[i], SubscriberState_HAS_DATA, 0, NULL);
		x->nrx = i + 1;
	}
}

static struct chan_xp *iox_create(unsigned nrx, size_t size, const char **why)
{
	static _Atomic unsigned seq;
	struct iox_xp *x = calloc(1, sizeof(*x));
	iox_pub_options_t po;
	char inst[64];

	(void)size;
	if (!x || nrx > RX_MAX || roudi_pid <= 0) {
		free(x);
		*why = roudi_pid <= 0 ? "no iox-roudi" : "too many receivers";
		return NULL;
	}
	snprintf(inst, sizeof(inst), "x%u", atomic_fetch_add(&seq, 1));
	iox_pub_options_init(&po);
	po.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
	x->pub = iox_pub_init(&x->pub_st, "ringplane", "bench-chan", inst, &po);
	make_subs(x, nrx, inst);
	for (int i = 0; i < SUBSCRIBE_TRIES && !all_subscribed(x); i++)
		usleep(10000);
	if (!all_subscribed(x)) {
		*why = "subscribers not connected within 5 s";
		iox_destroy((struct chan_xp *)x);
		return NULL;
	}
	return (struct chan_xp *)x;
}

static int iox_send(struct chan_xp *xp, const void *buf, size_t len)
{
	struct iox_xp *x = (struct iox_xp *)xp;
	void *chunk;

	/* Out of chunks: the subscribers still hold them; bounded retries. */
	for (int tries = 0; iox_pub_loan_chunk(x->pub, &chunk, (uint32_t)len) != AllocationResult_SUCCESS;
	     tries++) {
		if (tries > 100000)
			return -ENOBUFS;
		usleep(10);
	}
	memcpy(chunk, buf, len);
	iox_pub_publish_chunk(x->pub, chunk);
	return 0;
}

static int iox_recv(struct chan_xp *xp, unsigned rx, void *buf, size_t len, enum chan_rx_work w,
		    uint64_t *acc)
{
	struct iox_xp *x = (struct iox_xp *)xp;
	const void *chunk;
	iox_notification_info_t info[1];
	uint64_t missed;

	if (iox_sub_take_chunk(x->sub[rx], &chunk) != ChunkReceiveResult_SUCCESS) {
		iox_ws_timed_wait(x->ws[rx], (struct timespec){ 0, 50000000 }, info, 1, &missed);
		if (iox_sub_take_chunk(x->sub[rx], &chunk) != ChunkReceiveResult_SUCCESS)
			return -EAGAIN;
	}
	chan_rx_use(w, chunk, buf, len, acc);
	iox_sub_release_chunk(x->sub[rx], chunk);
	return 0;
}

const struct chan_xp_ops chan_xp_iceoryx = {
	.name = "iceoryx",
	.how = "iceoryx: Eclipse iceoryx 2.0.3 C binding, own iox-roudi, publisher + a subscriber "
	       "(queue 64, blocking) and wait set per receiver; loan, write once, publish; take, use "
	       "in place, release; RouDi with monitoring off",
	.create = iox_create, .send = iox_send, .recv = iox_recv, .destroy = iox_destroy,
};
