/* SPDX-License-Identifier: MIT */
/*
 * The backends' table of `ringplane stats` (see stats_backends.h). A
 * backend's rows are the ones whose service is "<service>/<address>" (svc.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/stats_backends.h"

/* Summed over the workers' rows of one backend. */
static const struct {
	const char *head;
	enum rp_counter counter;
} cols[] = {
	{ "connects", RP_C_BACKEND_CONNECTS },
	{ "refused",  RP_C_CONNECT_REFUSED },
	{ "timeouts", RP_C_CONNECT_TIMEOUTS },
	{ "resets",   RP_C_ERR_CONN_RESET },
	{ "checks",   RP_C_HEALTH_CHECKS },
	{ "fails",    RP_C_HEALTH_FAILS },
	{ "downs",    RP_C_HEALTH_DOWNS },
	{ "ups",      RP_C_HEALTH_UPS },
};
#define N_COLS (sizeof(cols) / sizeof(cols[0]))

static bool is_backend(const struct rp_metrics_row *r)
{
	return strchr(r->service, '/') != NULL;
}

/* The first row of this backend's name? (Its line is printed there.) */
static bool first_of(const struct rp_metrics_snapshot *s, unsigned i)
{
	for (unsigned j = 0; j < i; j++)
		if (!strcmp(s->rows[j].service, s->rows[i].service))
			return false;
	return true;
}

static uint64_t sum(const struct rp_metrics_snapshot *s, const char *name, enum rp_counter k,
		    unsigned *n_rows)
{
	uint64_t v = 0;

	*n_rows = 0;
	for (unsigned i = 0; i < s->n_rows; i++) {
		if (strcmp(s->rows[i].service, name))
			continue;
		v += s->rows[i].v[k];
		(*n_rows)++;
	}
	return v;
}

/* "up", "down", or "down 1/2" while the change is on its way to the others. */
static void health_text(char *out, size_t len, uint64_t down, unsigned workers)
{
	if (!down)
		snprintf(out, len, "up");
	else if (down == workers)
		snprintf(out, len, "down");
	else
		snprintf(out, len, "down %llu/%u", (unsigned long long)down, workers);
}

static void print_line(const struct rp_metrics_snapshot *s, const char *name)
{
	unsigned workers;
	uint64_t down = sum(s, name, RP_C_BACKEND_MARKED_DOWN, &workers);
	uint64_t open = sum(s, name, RP_C_BACKEND_CONNECTS, &workers) -
			sum(s, name, RP_C_CONNS_CLOSED, &workers);
	char health[32];

	health_text(health, sizeof(health), down, workers);
	printf("%-32s %-9s %8llu", name, health, (unsigned long long)open);
	for (unsigned c = 0; c < N_COLS; c++)
		printf(" %9llu", (unsigned long long)sum(s, name, cols[c].counter, &workers));
	putchar('\n');
}

void rp_stats_print_backends(const struct rp_metrics_snapshot *s)
{
	bool header = false;

	for (unsigned i = 0; i < s->n_rows; i++) {
		if (!is_backend(&s->rows[i]) || !first_of(s, i))
			continue;
		if (!header) {
			printf("\n%-32s %-9s %8s", "backend (all workers)", "health", "open");
			for (unsigned c = 0; c < N_COLS; c++)
				printf(" %9s", cols[c].head);
			putchar('\n');
			header = true;
		}
		print_line(s, s->rows[i].service);
	}
}
