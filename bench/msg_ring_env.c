/* SPDX-License-Identifier: MIT */
/*
 * The machine around `bench msg-ring`. On a VM a sleeping receiver's vCPU
 * halts; waking it takes an IPI, which the guest cannot send without leaving
 * to the hypervisor, and the sender pays for that inside its send. So the
 * run counts, per message, the IPIs the receiver's CPU took and the halts it
 * entered, and runs a second time with halting forbidden.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/msg_ring.h"

/*
 * The CPU's column of the "CAL" (function call: remote wake-ups queued on
 * the target CPU) and "RES" (rescheduling) rows of /proc/interrupts. The
 * header names the online CPUs in column order.
 */
/* Which column of /proc/interrupts is this CPU's: -1 when not listed. */
static int mr_irq_column(const char *header, unsigned cpu)
{
	char want[16], tok[32];
	int off, col = 0;

	snprintf(want, sizeof(want), "CPU%u", cpu);
	for (; sscanf(header, "%31s%n", tok, &off) == 1; header += off, col++)
		if (strcmp(tok, want) == 0)
			return col;
	return -1;
}

static long long mr_ipis(unsigned cpu)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[4096];
	long long total = -1;
	int col = -1;

	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		col = mr_irq_column(line, cpu);
	while (col >= 0 && fgets(line, sizeof(line), f)) {
		char label[16];
		long long v = 0;
		int pos, off, i;

		if (sscanf(line, " %15s%n", label, &pos) != 1 ||
		    (strcmp(label, "CAL:") && strcmp(label, "RES:")))
			continue;
		for (i = 0; i <= col && sscanf(line + pos, "%lld%n", &v, &off) == 1; i++)
			pos += off;
		if (i > col)
			total = (total < 0 ? 0 : total) + v;
	}
	fclose(f);
	return total;
}

static long long mr_read_ll(const char *path)
{
	FILE *f = fopen(path, "r");
	long long v = -1;

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Entries into every cpuidle state but POLL (polling needs no IPI). */
static long long mr_halts(unsigned cpu)
{
	long long total = -1;

	for (unsigned s = 0;; s++) {
		char path[128], state[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/cpuidle/state%u/name",
			 cpu, s);
		f = fopen(path, "r");
		if (!f)
			break;
		if (fscanf(f, "%31s", state) != 1)
			state[0] = 0;
		fclose(f);
		if (strcmp(state, "POLL") == 0)
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/cpuidle/state%u/usage",
			 cpu, s);
		long long v = mr_read_ll(path);

		if (v >= 0)
			total = (total < 0 ? 0 : total) + v;
	}
	return total;
}

void rp_mr_cpu_count(unsigned cpu, struct rp_mr_cpu_count *out)
{
	out->ipis = mr_ipis(cpu);
	out->halts = mr_halts(cpu);
}

int rp_mr_no_idle_hold(void)
{
	int32_t zero = 0;
	int fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (write(fd, &zero, sizeof(zero)) != sizeof(zero)) {
		int err = errno ? -errno : -EIO;

		close(fd);
		return err;
	}
	return fd;
}

void rp_mr_no_idle_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
