// SPDX-License-Identifier: MIT
/*
 * Queue -> IRQ -> CPU. The IRQ comes from the queue's NAPI (netdev napi-get
 * reports it since 6.8); where it does not, from /proc/interrupts by the
 * names drivers give their queue vectors: "DEV-rx-N", "DEV-TxRx-N",
 * "DEV-N", or virtio's "virtioK-input.N" (virtioK being the device behind
 * /sys/class/net/DEV/device). Affinity is /proc/irq/N/smp_affinity_list.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nicmgr/family.h"

/* Vector names for rx queue q of dev, in the order drivers use them. */
static unsigned irq_names(const char *dev, unsigned q, char names[][64])
{
	char link[PATH_MAX], path[128];
	unsigned n = 0;
	ssize_t len;

	snprintf(names[n++], 64, "%s-rx-%u", dev, q);
	snprintf(names[n++], 64, "%s-TxRx-%u", dev, q);
	snprintf(names[n++], 64, "%s-%u", dev, q);
	snprintf(path, sizeof(path), "/sys/class/net/%s/device", dev);
	len = readlink(path, link, sizeof(link) - 1);
	if (len > 0) {
		link[len] = '\0';
		if (!strncmp(basename(link), "virtio", 6))
			snprintf(names[n++], 64, "%s-input.%u", basename(link), q);
	}
	return n;
}

/* IRQ number whose /proc/interrupts line ends in one of names. */
static int64_t irq_by_name(char names[][64], unsigned n)
{
	FILE *f = fopen("/proc/interrupts", "re");
	char line[1024];
	int64_t irq = RP_NIC_ABSENT;

	if (!f)
		return RP_NIC_ABSENT;
	while (irq == RP_NIC_ABSENT && fgets(line, sizeof(line), f)) {
		char *end = line + strcspn(line, "\n"), *last;
		long num;

		*end = '\0';
		last = strrchr(line, ' ');
		if (!last || sscanf(line, " %ld:", &num) != 1)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (!strcmp(last + 1, names[i]))
				irq = num;
	}
	fclose(f);
	return irq;
}

int rp_nic_irq_affinity_get(int64_t irq, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/irq/%lld/smp_affinity_list", (long long)irq);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int rp_nic_irq_affinity_set(int64_t irq, const char *cpus, struct rp_nic_status *e)
{
	char path[64];
	size_t len = strlen(cpus);
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/irq/%lld/smp_affinity_list", (long long)irq);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, cpus, len) != (ssize_t)len) {
		rp_nic_status_set(e, errno, "%s: %s", path, strerror(errno));
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

static int64_t napi_irq(const struct rp_nic_info *info, int64_t napi_id)
{
	for (unsigned i = 0; i < info->n_napi; i++)
		if (info->napi[i].v[RP_NAPI_ID] == napi_id)
			return info->napi[i].v[RP_NAPI_IRQ];
	return RP_NIC_ABSENT;
}

void rp_nic_irq_read(struct rp_nic_info *info)
{
	unsigned found = 0;

	for (unsigned i = 0; i < info->n_queues; i++) {
		struct rp_nic_queue *q = &info->q[i];
		char names[4][64];

		q->cpus[0] = '\0';
		if (q->type != RP_NIC_QRX)
			continue;
		q->irq = q->napi_id != RP_NIC_ABSENT ? napi_irq(info, q->napi_id) : RP_NIC_ABSENT;
		if (q->irq == RP_NIC_ABSENT)
			q->irq = irq_by_name(names, irq_names(info->dev, q->id, names));
		if (q->irq == RP_NIC_ABSENT)
			continue;
		found++;
		if (rp_nic_irq_affinity_get(q->irq, q->cpus, sizeof(q->cpus)) < 0)
			q->cpus[0] = '\0';
	}
	if (!found)
		rp_nic_status_set(&info->irq_st, EOPNOTSUPP, "no IRQ for any queue (software device)");
}
