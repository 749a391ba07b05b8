/* SPDX-License-Identifier: MIT */
/*
 * Sampling the soak's appliance process from outside, as an operator would:
 * its memory and fds from /proc, its pool and error counters from its
 * metrics endpoint (the same parser as `ringplane stats`).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/soak.h"
#include "dataplane/metrics.h"

static int read_rss_kib(pid_t pid, double *out)
{
	char path[64], line[256];
	FILE *f;
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6)) {
			*out = strtod(line + 6, NULL);	/* "   1234 kB" */
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

static int count_fds(pid_t pid, double *out)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	unsigned n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	*out = n;
	return 0;
}

static bool is_error(unsigned k)
{
	return !strncmp(rp_counter_table[k].name, "err_", 4);
}

/* Sum counter k over every row that has it. */
static double total(const struct rp_metrics_snapshot *snap, unsigned k)
{
	double sum = 0;

	for (unsigned i = 0; i < snap->n_rows; i++)
		if (snap->rows[i].has[k])
			sum += (double)snap->rows[i].v[k];
	return sum;
}

/*
 * Connections open: opened - closed over every block. A tcp-proxy's backend
 * blocks ("proxy/ADDR") count the backend legs it connected and closed;
 * the other blocks the connections accepted. (Accepted sockets live in the
 * workers' fixed file tables, not in /proc/PID/fd: this is the count that
 * sees them.)
 */
static double conns_open(const struct rp_metrics_snapshot *snap)
{
	double open = 0;

	for (unsigned i = 0; i < snap->n_rows; i++) {
		const struct rp_metrics_row *r = &snap->rows[i];
		bool backend = strchr(r->service, '/') != NULL;

		open += (double)r->v[backend ? RP_C_BACKEND_CONNECTS : RP_C_CONNS_ACCEPTED];
		open -= (double)r->v[RP_C_CONNS_CLOSED];
	}
	return open;
}

static void from_metrics(const struct rp_metrics_snapshot *snap, struct soak_sample *s)
{
	s->bufs_free = total(snap, RP_C_BUFS_FREE);
	s->bufs_in_flight = total(snap, RP_C_BUFS_IN_FLIGHT);
	s->conns_open = conns_open(snap);
	s->write_stalls = total(snap, RP_C_WRITE_STALLS);
	s->idle_timeouts = total(snap, RP_C_IDLE_TIMEOUTS);
	s->refused = total(snap, RP_C_CONNS_REFUSED);
	s->rx_packets = total(snap, RP_C_RX_PACKETS);
	s->errors = 0;
	for (unsigned k = 0; k < RP_C__COUNT; k++)
		if (is_error(k))
			s->errors += total(snap, k);
}

int soak_sample_take(pid_t pid, const char *metrics_addr, struct soak_sample *s,
		     char *err, size_t errlen)
{
	struct rp_metrics_snapshot snap = { 0 };
	char *text;
	int ret;

	*s = (struct soak_sample){ 0 };
	if (read_rss_kib(pid, &s->rss_kib) || count_fds(pid, &s->fds)) {
		snprintf(err, errlen, "appliance PID %d: /proc: %s", (int)pid, strerror(errno));
		return -1;
	}
	text = rp_metrics_fetch(metrics_addr, err, errlen);
	if (!text)
		return -1;
	ret = rp_metrics_parse(text, &snap, err, errlen);
	free(text);
	if (!ret)
		from_metrics(&snap, s);
	rp_metrics_snapshot_free(&snap);
	return ret ? -1 : 0;
}
