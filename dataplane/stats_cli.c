/* SPDX-License-Identifier: MIT */
/*
 * `ringplane stats`: fetch /metrics from a running appliance (libcurl), parse
 * it (metrics_parse.c) and show one row per worker and service, as a table
 * or JSON, once or every few seconds with rates.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/cli.h"
#include "dataplane/metrics.h"
#include "dataplane/stats_backends.h"

struct stats_opts {
	const char *config;
	const char *addr;
	bool json;
	double watch;		/* seconds between refreshes; 0: once */
	long count;		/* refreshes with --watch; 0: until interrupted */
};

/* The table's columns; RP_C__COUNT stands for "all err_* counters summed". */
#define COL_ERRORS RP_C__COUNT

static const struct column {
	const char *head;
	unsigned counter;
} columns[] = {
	{ "rx_pkts",   RP_C_RX_PACKETS },
	{ "rx_bytes",  RP_C_RX_BYTES },
	{ "tx_pkts",   RP_C_TX_PACKETS },
	{ "tx_bytes",  RP_C_TX_BYTES },
	{ "zc_sends",  RP_C_ZC_SENDS },
	{ "zc_copied", RP_C_ZC_COPIED },
	{ "notifs",    RP_C_NOTIFS },
	{ "bufs_free", RP_C_BUFS_FREE },
	{ "in_flight", RP_C_BUFS_IN_FLIGHT },
	{ "errors",    COL_ERRORS },
};
#define N_COLUMNS (sizeof(columns) / sizeof(columns[0]))

static bool is_error_counter(unsigned k)
{
	return !strncmp(rp_counter_table[k].name, "err_", 4);
}

static double column_value(const struct rp_metrics_row *r, unsigned counter)
{
	double sum = 0;

	if (counter != COL_ERRORS)
		return (double)r->v[counter];
	for (unsigned k = 0; k < RP_C__COUNT; k++)
		if (is_error_counter(k))
			sum += (double)r->v[k];
	return sum;
}

static bool column_is_rate(unsigned counter)
{
	return counter == COL_ERRORS || rp_counter_table[counter].kind == RP_CK_COUNTER;
}

/* ---- fetching ---------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	return fwrite(data, size, n, arg) * size;
}

char *rp_metrics_fetch(const char *addr, char *err, size_t errlen)
{
	char url[256], curl_err[CURL_ERROR_SIZE] = "";
	char *body = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&body, &len);
	CURL *c = curl_easy_init();
	CURLcode rc = CURLE_FAILED_INIT;
	long status = 0, os_errno = 0;

	if (!out || !c) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	snprintf(url, sizeof(url), "http://%s/metrics", addr);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");	/* a local appliance, never a proxy */
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	if (rc == CURLE_COULDNT_CONNECT && os_errno)
		snprintf(err, errlen, "no ringplane metrics at %s: %s — is `ringplane run` running?",
			 addr, strerror((int)os_errno));
	else if (rc != CURLE_OK)
		snprintf(err, errlen, "no ringplane metrics at %s: %s", addr,
			 curl_err[0] ? curl_err : curl_easy_strerror(rc));
	else if (status != 200)
		snprintf(err, errlen, "%s answered HTTP %ld for /metrics (not a ringplane exporter?)",
			 url, status);
done:
	if (c)
		curl_easy_cleanup(c);
	if (out)
		fclose(out);
	if (rc != CURLE_OK || status != 200) {
		free(body);
		return NULL;
	}
	return body;
}

static int snapshot(const char *addr, struct rp_metrics_snapshot *snap)
{
	char err[512] = "";
	char *text = rp_metrics_fetch(addr, err, sizeof(err));

	if (!text) {
		fprintf(stderr, "ringplane stats: %s\n", err);
		return -1;
	}
	if (rp_metrics_parse(text, snap, err, sizeof(err)) < 0) {
		fprintf(stderr, "ringplane stats: %s/metrics: %s\n", addr, err);
		free(text);
		return -1;
	}
	free(text);
	if (!snap->n_rows) {
		fprintf(stderr, "ringplane stats: %s/metrics has no ringplane counters\n", addr);
		rp_metrics_snapshot_free(snap);
		return -1;
	}
	return 0;
}

/* ---- output ------------------------------------------------------------ */

static const struct rp_metrics_row *find_row(const struct rp_metrics_snapshot *s,
					     const struct rp_metrics_row *like)
{
	for (unsigned i = 0; s && i < s->n_rows; i++)
		if (s->rows[i].worker == like->worker && !strcmp(s->rows[i].service, like->service))
			return &s->rows[i];
	return NULL;
}

/* A column's shown value: rate since prev (counters) or the value itself. */
static double shown(const struct rp_metrics_row *r, const struct rp_metrics_row *prev,
		    unsigned counter, double secs)
{
	double v = column_value(r, counter);

	if (prev && secs > 0 && column_is_rate(counter))
		return (v - column_value(prev, counter)) / secs;
	return v;
}

static void print_table(const char *addr, const struct rp_metrics_snapshot *s,
			const struct rp_metrics_snapshot *prev, double secs)
{
	bool rates = prev && secs > 0;

	printf("ringplane %s (kernel %s) at %s%s\n", s->version[0] ? s->version : "?",
	       s->kernel[0] ? s->kernel : "?", addr,
	       rates ? ": counters per second, gauges as they are" : "");
	printf("%-6s %-16s", "worker", "service");
	for (unsigned c = 0; c < N_COLUMNS; c++)
		printf(" %12s", columns[c].head);
	putchar('\n');
	for (unsigned i = 0; i < s->n_rows; i++) {
		const struct rp_metrics_row *r = &s->rows[i];
		const struct rp_metrics_row *p = rates ? find_row(prev, r) : NULL;

		printf("%-6d %-16s", r->worker, r->service[0] ? r->service : "(worker)");
		for (unsigned c = 0; c < N_COLUMNS; c++)
			printf(" %12.0f", shown(r, p, columns[c].counter, secs));
		putchar('\n');
	}
}

static void print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* The CPU a row's worker is pinned to (its worker-level row has it). */
static const struct rp_metrics_row *worker_row(const struct rp_metrics_snapshot *s, int worker)
{
	return find_row(s, &(struct rp_metrics_row){ .worker = worker });
}

static void print_json_row(const struct rp_metrics_snapshot *s, const struct rp_metrics_row *r,
			   const struct rp_metrics_row *p, double secs)
{
	const struct rp_metrics_row *wr = worker_row(s, r->worker);
	bool first = true;

	printf("{\"worker\":%d,", r->worker);
	if (wr && wr->has_cpu)
		printf("\"cpu\":%d,", wr->cpu);
	printf("\"service\":");
	print_json_string(r->service);
	printf(",\"values\":{");
	for (unsigned k = 0; k < RP_C__COUNT; k++) {
		if (!r->has[k])
			continue;
		printf("%s\"%s\":%llu", first ? "" : ",", rp_counter_table[k].name,
		       (unsigned long long)r->v[k]);
		first = false;
	}
	printf("}");
	if (p) {
		first = true;
		printf(",\"rates\":{");
		for (unsigned k = 0; k < RP_C__COUNT; k++) {
			if (!r->has[k] || rp_counter_table[k].kind != RP_CK_COUNTER)
				continue;
			printf("%s\"%s\":%.3f", first ? "" : ",", rp_counter_table[k].name,
			       ((double)r->v[k] - (double)p->v[k]) / secs);
			first = false;
		}
		printf("}");
	}
	printf("}");
}

static void print_json(const char *addr, const struct rp_metrics_snapshot *s,
		       const struct rp_metrics_snapshot *prev, double secs)
{
	bool rates = prev && secs > 0;

	printf("{\"source\":");
	print_json_string(addr);
	printf(",\"version\":");
	print_json_string(s->version);
	printf(",\"kernel\":");
	print_json_string(s->kernel);
	if (rates)
		printf(",\"interval_s\":%.3f", secs);
	printf(",\"rows\":[");
	for (unsigned i = 0; i < s->n_rows; i++) {
		if (i)
			putchar(',');
		print_json_row(s, &s->rows[i], rates ? find_row(prev, &s->rows[i]) : NULL, secs);
	}
	printf("]}\n");
}

/* ---- command ----------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double secs)
{
	struct timespec ts = { .tv_sec = (time_t)secs,
			       .tv_nsec = (long)((secs - floor(secs)) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int show(const char *addr, const struct stats_opts *o)
{
	struct rp_metrics_snapshot cur, prev = { 0 };
	double t_prev = 0;
	int rc = RP_EXIT_OK;

	for (long n = 0; !o->watch || !o->count || n < o->count; n++) {
		double t;

		if (n)
			sleep_s(o->watch);
		t = now_s();
		if (snapshot(addr, &cur) < 0) {
			rc = RP_EXIT_FAIL;
			break;
		}
		if (o->json)
			print_json(addr, &cur, n ? &prev : NULL, t - t_prev);
		else
			print_table(addr, &cur, n ? &prev : NULL, t - t_prev);
		if (!o->json)	/* JSON has every value of every row already */
			rp_stats_print_backends(&cur);
		fflush(stdout);
		rp_metrics_snapshot_free(&prev);
		prev = cur;
		t_prev = t;
		if (!o->watch)
			break;
		if (!o->json)
			putchar('\n');
	}
	rp_metrics_snapshot_free(&prev);
	return rc;
}

/* The address to read: -m, else the config's metrics.listen, else default. */
static int resolve_addr(const struct stats_opts *o, char *addr, size_t len)
{
	struct rp_config cfg;
	struct rp_cfg_errors errs = { 0 };

	if (o->addr || !o->config) {
		snprintf(addr, len, "%s", o->addr ? o->addr : RP_METRICS_DEFAULT_ADDR);
		return 0;
	}
	if (rp_config_load_file(o->config, &cfg, &errs) < 0) {
		rp_cfg_errors_print(stderr, &errs);
		rp_cfg_errors_free(&errs);
		rp_config_free(&cfg);
		return -1;
	}
	if (!cfg.metrics.enabled) {
		fprintf(stderr, "ringplane stats: %s: metrics are disabled (metrics.enabled: false)\n",
			o->config);
		rp_config_free(&cfg);
		rp_cfg_errors_free(&errs);
		return -1;
	}
	snprintf(addr, len, "%s", cfg.metrics.listen.text);
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
	return 0;
}

static void usage(void)
{
	printf("usage: ringplane stats [-c FILE | -m HOST:PORT] [--json] [--watch SECS [--count N]]\n\n"
	       "Show a running appliance's counters, one row per worker and service.\n\n"
	       "  -c, --config FILE     read metrics.listen from this config\n"
	       "  -m, --metrics ADDR    HOST:PORT of the exporter (default %s)\n"
	       "  -j, --json            print the parsed values as JSON\n"
	       "  -w, --watch SECS      refresh every SECS seconds and show rates\n"
	       "  -n, --count N         with --watch: stop after N refreshes\n"
	       "  -h, --help            this text\n\n"
	       "Exit status: 0 success, 1 nothing to read, 2 usage error.\n",
	       RP_METRICS_DEFAULT_ADDR);
}

/* 0: go on; -1: --help was answered; else the usage-error exit status. */
static int parse_opts(int argc, char **argv, struct stats_opts *o)
{
	static const struct option longopts[] = {
		{ "config",  required_argument, NULL, 'c' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "json",    no_argument,       NULL, 'j' },
		{ "watch",   required_argument, NULL, 'w' },
		{ "count",   required_argument, NULL, 'n' },
		{ "help",    no_argument,       NULL, 'h' },
		{ 0 },
	};
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:m:jw:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'm': o->addr = optarg; break;
		case 'j': o->json = true; break;
		case 'w':
			o->watch = strtod(optarg, &end);
			if (*end || !(o->watch > 0) || o->watch > 86400)
				return rp_usage_error("stats", "--watch wants seconds in (0, 86400], not '%s'", optarg);
			break;
		case 'n':
			o->count = strtol(optarg, &end, 10);
			if (*end || o->count < 1)
				return rp_usage_error("stats", "--count wants a positive number, not '%s'", optarg);
			break;
		case 'h': usage(); return -1;
		case ':': return rp_usage_error("stats", "option '%s' needs a value", argv[optind - 1]);
		default:  return rp_usage_error("stats", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return rp_usage_error("stats", "unexpected argument '%s'", argv[optind]);
	if (o->config && o->addr)
		return rp_usage_error("stats", "give -c FILE or -m HOST:PORT, not both");
	if (o->count && !o->watch)
		return rp_usage_error("stats", "--count only makes sense with --watch");
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	struct stats_opts o = { 0 };
	char addr[RP_ADDR_TEXT + 8];
	int rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc < 0 ? RP_EXIT_OK : rc;
	if (resolve_addr(&o, addr, sizeof(addr)) < 0)
		return RP_EXIT_FAIL;
	if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK) {
		fprintf(stderr, "ringplane stats: libcurl initialisation failed\n");
		return RP_EXIT_FAIL;
	}
	rc = show(addr, &o);
	curl_global_cleanup();
	return rc;
}
