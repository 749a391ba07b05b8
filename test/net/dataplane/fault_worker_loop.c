/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for the test binary `ringplane_faulty` only (it is never
 * installed): this strong rp_worker_fault_loop() replaces worker.c's weak
 * one, which always returns 0. RP_TEST_FAIL_WORKER=N makes worker N's loop
 * fail with EIO as soon as it would start, after the worker set itself up
 * and reported itself running; no other worker is touched.
 * RP_TEST_HANG_WORKER=N makes worker N hang there instead (it never reads
 * its ring again: what the systemd watchdog's liveness pings must notice;
 * only SIGKILL ends such a process). No run-time
 * error of the real loop can be caused from outside on demand, which is why
 * a test needs this to see the appliance's reaction to a failed worker.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "dataplane/worker.h"

/* Is the variable set to this worker's id? */
static bool names_worker(const char *var, const struct rp_worker *w)
{
	const char *v = getenv(var);
	char *end;
	unsigned long id;

	if (!v || !*v)
		return false;
	id = strtoul(v, &end, 10);
	return !*end && id == w->id;
}

int rp_worker_fault_loop(const struct rp_worker *w)
{
	if (names_worker("RP_TEST_HANG_WORKER", w))
		for (;;)
			pause();	/* every signal is blocked: for good */
	return names_worker("RP_TEST_FAIL_WORKER", w) ? -EIO : 0;
}
