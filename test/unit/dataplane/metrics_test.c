/* SPDX-License-Identifier: MIT */
/*
 * metrics: what the exporter renders parses back to the same numbers, label
 * escaping survives the trip, the parser names bad lines, and the HTTP
 * endpoint answers /metrics (and refuses an address already in use).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/metrics.h"

#define N_WORKERS 2
#define N_SVC 2

static struct rp_counters blocks[N_WORKERS][N_SVC + 1];
static const char *const svc_names[N_SVC] = { "udp", "we\"ird\\name" };
static const int cpus[N_WORKERS] = { 3, 5 };

static const struct rp_counters *block(void *arg, unsigned w, unsigned slot)
{
	(void)arg;
	return &blocks[w][slot];
}

static const struct rp_metrics_source source = {
	.n_workers = N_WORKERS, .n_services = N_SVC, .service_names = svc_names,
	.block = block, .worker_cpus = cpus,
};

static void fill_blocks(void)
{
	for (unsigned w = 0; w < N_WORKERS; w++)
		for (unsigned s = 0; s <= N_SVC; s++)
			for (unsigned k = 0; k < RP_C__COUNT; k++)
				blocks[w][s].v[k] = 1000000ull * w + 1000ull * s + k;
}

static char *render(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(rp_metrics_render(f, &source), 0);
	fclose(f);
	return text;
}

static const struct rp_metrics_row *row(const struct rp_metrics_snapshot *s, int w,
					const char *svc)
{
	for (unsigned i = 0; i < s->n_rows; i++)
		if (s->rows[i].worker == w && !strcmp(s->rows[i].service, svc))
			return &s->rows[i];
	return NULL;
}

static void render_parses_back(void **state)
{
	struct rp_metrics_snapshot snap;
	char err[128], *text;

	(void)state;
	fill_blocks();
	text = render();
	assert_int_equal(rp_metrics_parse(text, &snap, err, sizeof(err)), 0);
	assert_int_equal(snap.n_rows, N_WORKERS * (N_SVC + 1));
	assert_string_equal(snap.version, RP_VERSION);
	for (int w = 0; w < N_WORKERS; w++) {
		for (unsigned s = 0; s <= N_SVC; s++) {
			const struct rp_metrics_row *r = row(&snap, w, s < N_SVC ? svc_names[s] : "");

			assert_non_null(r);
			for (unsigned k = 0; k < RP_C__COUNT; k++) {
				assert_true(r->has[k]);
				assert_int_equal(r->v[k], blocks[w][s].v[k]);
			}
		}
	}
	rp_metrics_snapshot_free(&snap);
	free(text);
}

static void names_and_types_follow_the_table(void **state)
{
	char *text, bufs_free[96];

	(void)state;
	fill_blocks();
	text = render();
	/* worker 1's worker-level block (index N_SVC) holds 1000000 + 1000 * N_SVC + k */
	snprintf(bufs_free, sizeof(bufs_free), "ringplane_bufs_free{worker=\"1\"} %u\n",
		 1000000u + 1000u * N_SVC + RP_C_BUFS_FREE);
	assert_non_null(strstr(text, "# TYPE ringplane_rx_packets_total counter\n"));
	assert_non_null(strstr(text, "# TYPE ringplane_bufs_free gauge\n"));
	assert_non_null(strstr(text, bufs_free));
	assert_non_null(strstr(text, "ringplane_rx_packets_total{worker=\"0\",service=\"udp\"} 0\n"));
	assert_non_null(strstr(text, "service=\"we\\\"ird\\\\name\""));
	assert_non_null(strstr(text, "ringplane_worker_cpu{worker=\"1\"} 5\n"));
	assert_non_null(strstr(text, "ringplane_info{version=\"" RP_VERSION "\",kernel=\""));
	assert_null(strstr(text, "ringplane_bufs_free_total"));
	free(text);
}

static void parser_skips_what_it_does_not_know(void **state)
{
	static const char text[] =
		"# HELP go_gc_duration_seconds foo\n"
		"go_gc_duration_seconds{quantile=\"0.5\"} 0.25\n"
		"\n"
		"ringplane_rx_packets_total{worker=\"2\",service=\"a\"} 17 1700000000000\n"
		"ringplane_rx_packets{worker=\"2\",service=\"a\"} 99\n"	/* wrong kind: skipped */
		"ringplane_unknown_total{worker=\"2\"} 5\n";
	struct rp_metrics_snapshot snap;
	char err[128];

	(void)state;
	assert_int_equal(rp_metrics_parse(text, &snap, err, sizeof(err)), 0);
	assert_int_equal(snap.n_rows, 1);
	assert_int_equal(snap.rows[0].worker, 2);
	assert_string_equal(snap.rows[0].service, "a");
	assert_int_equal(snap.rows[0].v[RP_C_RX_PACKETS], 17);
	rp_metrics_snapshot_free(&snap);
}

static void parser_names_the_bad_line(void **state)
{
	static const char *const bad[] = {
		"ringplane_rx_packets_total{worker=\"0\"}\n",		/* no value */
		"ringplane_rx_packets_total{worker=\"0} 1\n",		/* open quote */
		"ringplane_rx_packets_total{worker=0} 1\n",		/* unquoted */
		"{worker=\"0\"} 1\n",					/* no name */
		"ringplane_rx_packets_total{worker=\"0\"} abc\n",	/* not a number */
	};
	struct rp_metrics_snapshot snap;
	char err[128], text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "# ok\n%s", bad[i]);
		assert_int_equal(rp_metrics_parse(text, &snap, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "line 2"));
		assert_null(snap.rows);
	}
}

/* A plain HTTP/1.0 GET; returns the whole response (caller frees). */
static char *http_get(unsigned port, const char *path)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char req[128], *resp = calloc(1, 1 << 20);
	size_t len = 0;
	ssize_t n;

	assert_true(fd >= 0 && resp);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while ((n = read(fd, resp + len, (1 << 20) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	return resp;
}

static void exporter_serves_metrics(void **state)
{
	struct rp_metrics_cfg cfg = { .enabled = true };
	struct sockaddr_in *sin = (struct sockaddr_in *)&cfg.listen.ss;
	struct rp_metrics *m, *again;
	char err[256], *resp;
	unsigned port;

	(void)state;
	fill_blocks();
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cfg.listen.len = sizeof(*sin);
	strcpy(cfg.listen.text, "127.0.0.1:0");
	m = rp_metrics_start(&cfg, &source, err, sizeof(err));
	assert_non_null(m);
	port = rp_metrics_port(m);
	assert_true(port > 0);

	resp = http_get(port, "/metrics");
	assert_non_null(strstr(resp, "HTTP/1.0 200") ?: strstr(resp, "HTTP/1.1 200"));
	assert_non_null(strstr(resp, "text/plain; version=0.0.4"));
	assert_non_null(strstr(resp, "ringplane_rx_bytes_total{worker=\"1\",service=\"udp\"} 1000001\n"));
	free(resp);
	resp = http_get(port, "/nope");
	assert_non_null(strstr(resp, " 404 "));
	free(resp);

	/* The same address again: refused, and the message says where. */
	sin->sin_port = htons((uint16_t)port);
	snprintf(cfg.listen.text, sizeof(cfg.listen.text), "127.0.0.1:%u", port);
	again = rp_metrics_start(&cfg, &source, err, sizeof(err));
	assert_null(again);
	assert_non_null(strstr(err, cfg.listen.text));
	rp_metrics_stop(m);
}

/* An appliance raises RLIMIT_NOFILE and may hold many descriptors: the
 * exporter's socket can land above FD_SETSIZE, where select() cannot go. */
static void exporter_serves_with_high_descriptors(void **state)
{
	struct rp_metrics_cfg cfg = { .enabled = true };
	struct sockaddr_in *sin = (struct sockaddr_in *)&cfg.listen.ss;
	struct rlimit rl;
	int fillers[FD_SETSIZE + 8], n = 0;
	struct rp_metrics *m;
	char err[256], *resp;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max < FD_SETSIZE + 64)
		skip();
	rl.rlim_cur = FD_SETSIZE + 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (n < FD_SETSIZE + 8 && (fillers[n] = dup(0)) >= 0 && fillers[n] < FD_SETSIZE + 4)
		n++;
	assert_true(n > 0 && fillers[n - 1] >= FD_SETSIZE - 4);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	strcpy(cfg.listen.text, "127.0.0.1:0");
	m = rp_metrics_start(&cfg, &source, err, sizeof(err));
	assert_non_null(m);
	resp = http_get(rp_metrics_port(m), "/metrics");
	assert_non_null(strstr(resp, "ringplane_info{"));
	free(resp);
	rp_metrics_stop(m);
	while (n > 0)
		close(fillers[--n]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_parses_back),
		cmocka_unit_test(names_and_types_follow_the_table),
		cmocka_unit_test(parser_skips_what_it_does_not_know),
		cmocka_unit_test(parser_names_the_bad_line),
		cmocka_unit_test(exporter_serves_metrics),
		cmocka_unit_test(exporter_serves_with_high_descriptors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
