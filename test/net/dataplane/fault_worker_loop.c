/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for the test binary `ringplane_faulty` only (it is never
 * installed): this strong rp_worker_fault_loop() replaces worker.c's weak
 * one, which always returns 0. RP_TEST_FAIL_WORKER=N makes worker N's loop
 * fail with EIO as soon as it would start, after the worker set itself up
 * and reported itself running; no other worker is touched. No run-time
 * error of the real loop can be caused from outside on demand, which is why
 * a test needs this to see the appliance's reaction to a failed worker.
 */
#include <errno.h>
#include <stdlib.h>

#include "dataplane/worker.h"

int rp_worker_fault_loop(const struct rp_worker *w)
{
	const char *v = getenv("RP_TEST_FAIL_WORKER");
	char *end;
	unsigned long id;

	if (!v || !*v)
		return 0;
	id = strtoul(v, &end, 10);
	return !*end && id == w->id ? -EIO : 0;
}
