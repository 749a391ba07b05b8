/* SPDX-License-Identifier: MIT */
/*
 * config/ unit tests: every example loads; each error class is reported at
 * the exact line:column with its message; malformed input (a corpus on disk
 * plus generated cases) gives errors and never crashes; print -> load gives
 * the same structs; reference.yaml is what `check --reference` prints.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "config/config.h"
#include "config/print.h"

/* ---- helpers ------------------------------------------------------------ */

static const char *top(void)
{
	const char *t = getenv("RP_TOP");

	assert_non_null(t);
	return t;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The .yaml files of a directory, sorted; returns how many. */
#define NAME_LEN 1024

static unsigned yaml_files(const char *dir, char names[][NAME_LEN], unsigned max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) && n < max) {
		size_t l = strlen(e->d_name);

		if (l > 5 && !strcmp(e->d_name + l - 5, ".yaml"))
			snprintf(names[n++], NAME_LEN, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, n, NAME_LEN, (int (*)(const void *, const void *))strcmp);
	return n;
}

static int load(const char *yaml, struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	return rp_config_load_string("t.yaml", yaml, strlen(yaml), cfg, errs);
}

static void print_errors(const struct rp_cfg_errors *errs)
{
	rp_cfg_errors_print(stderr, errs);
}

static void load_ok(const char *yaml, struct rp_config *cfg)
{
	struct rp_cfg_errors errs = { 0 };

	if (load(yaml, cfg, &errs))
		print_errors(&errs);
	assert_int_equal(errs.n, 0);
	rp_cfg_errors_free(&errs);
}

static bool has_error(const struct rp_cfg_errors *errs, unsigned line, unsigned col,
		      const char *needle)
{
	for (unsigned i = 0; i < errs->n; i++)
		if (errs->v[i].line == line && errs->v[i].column == col &&
		    strstr(errs->v[i].msg, needle))
			return true;
	return false;
}

/* Loading yaml fails with (at least) this error at line:col. */
static void expect_error(const char *yaml, unsigned line, unsigned col, const char *needle)
{
	struct rp_cfg_errors errs = { 0 };
	struct rp_config cfg;

	assert_int_equal(load(yaml, &cfg, &errs), -1);
	if (!has_error(&errs, line, col, needle)) {
		fprintf(stderr, "wanted %u:%u '%s', got:\n", line, col, needle);
		print_errors(&errs);
		fail();
	}
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
}

/* ---- examples and defaults ------------------------------------------------ */

static void test_examples_load(void **state)
{
	char dir[512], names[64][NAME_LEN];
	unsigned n;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/config/examples", top());
	n = yaml_files(dir, names, 64);
	assert_true(n >= 4);	/* default, reference, sockperf, zerocopy */
	for (unsigned i = 0; i < n; i++) {
		struct rp_cfg_errors errs = { 0 };
		struct rp_config cfg;

		if (rp_config_load_file(names[i], &cfg, &errs))
			print_errors(&errs);
		assert_int_equal(errs.n, 0);
		rp_config_free(&cfg);
	}
}

/* Generated at build time from config/examples/default.yaml. */
extern const char rp_default_yaml[];
extern const size_t rp_default_yaml_len;

static void test_embedded_default(void **state)
{
	struct rp_cfg_errors errs = { 0 };
	struct rp_config cfg;
	const struct sockaddr_in *sin;
	char path[512], *text;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/config/examples/default.yaml", top());
	text = slurp(path, &len);
	assert_int_equal(rp_default_yaml_len, len);
	assert_memory_equal(rp_default_yaml, text, len);
	free(text);
	assert_int_equal(rp_config_load_default(&cfg, &errs), 0);
	assert_int_equal(cfg.n_interfaces, 0);
	assert_int_equal(cfg.n_services, 2);
	assert_int_equal(cfg.services[0].type, RP_SVC_UDP_ECHO);
	assert_int_equal(cfg.services[1].type, RP_SVC_TCP_ECHO);
	for (unsigned i = 0; i < 2; i++) {
		sin = (const void *)&cfg.services[i].listen.ss;
		assert_int_equal(sin->sin_family, AF_INET);
		assert_int_equal(ntohs(sin->sin_port), 7007);
		assert_int_equal(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
	}
	assert_true(cfg.metrics.enabled);
	assert_string_equal(cfg.metrics.listen.text, "127.0.0.1:9107");
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
}

static void test_defaults(void **state)
{
	struct rp_config cfg;

	(void)state;
	load_ok("{}", &cfg);
	assert_int_equal(cfg.workers.count, RP_UNSET);
	assert_true(cfg.workers.cpus.is_auto);
	assert_int_equal(cfg.workers.ring_entries, 1024);
	assert_int_equal(cfg.workers.cq_factor, 4);
	assert_int_equal(cfg.workers.busy_poll_usec, 0);
	assert_false(cfg.workers.prefer_busy_poll);
	assert_int_equal(cfg.buffers.size, 4096);
	assert_int_equal(cfg.buffers.count, 2048);
	assert_int_equal(cfg.buffers.hugepages, RP_HUGE_AUTO);
	assert_int_equal(cfg.zerocopy.mode, RP_ZC_AUTO);
	assert_int_equal(cfg.zerocopy.threshold, 4000);
	assert_int_equal(cfg.zerocopy.sample_every, 64);
	assert_true(cfg.metrics.enabled);
	assert_string_equal(cfg.metrics.listen.text, "127.0.0.1:9107");
	assert_int_equal(cfg.logging.level, RP_LOG_INFO);
	assert_int_equal(cfg.logging.format, RP_LOG_TEXT);
	assert_int_equal(cfg.n_services, 0);
	rp_config_free(&cfg);
	load_ok("workers: {count: auto}", &cfg);
	assert_int_equal(cfg.workers.count, RP_UNSET);
	rp_config_free(&cfg);
}

static void test_value_forms(void **state)
{
	struct rp_config cfg;
	const struct rp_iface_cfg *ifc;

	(void)state;
	load_ok("buffers: {size: 64k, count: 32k}\n"
		"zerocopy: {threshold: 2M, mode: never}\n"
		"workers: {cpus: \"0-3,6\", count: 3}\n"
		"interfaces:\n"
		"  - name: veth0\n"
		"    tcp-data-split: off\n"
		"    coalesce: {adaptive-rx: on}\n"
		"    features: {rx-gro: yes, tx-tcp-segmentation: false}\n"
		"    rss: {indirection: [0, 1, 1, 0], hfunc: toeplitz}\n"
		"    irq-cpus: 1\n"
		"services:\n"
		"  - {type: udp-echo, listen: \"[::1]:7007\", zerocopy: always}\n"
		"  - {type: tcp-echo, listen: 127.0.0.1:7007, acceptor: true, steering: round-robin}\n",
		&cfg);
	assert_int_equal(cfg.buffers.size, 65536);
	assert_int_equal(cfg.buffers.count, 32768);
	assert_int_equal(cfg.zerocopy.threshold, 2 << 20);
	assert_int_equal(cfg.zerocopy.mode, RP_ZC_NEVER);
	assert_false(cfg.workers.cpus.is_auto);
	assert_int_equal(cfg.workers.cpus.n, 5);
	assert_int_equal(cfg.workers.cpus.cpu[3], 3);
	assert_int_equal(cfg.workers.cpus.cpu[4], 6);
	assert_int_equal(cfg.n_interfaces, 1);
	ifc = &cfg.interfaces[0];
	assert_string_equal(ifc->name, "veth0");
	assert_int_equal(ifc->tcp_data_split, RP_TRI_OFF);
	assert_int_equal(ifc->adaptive_rx, RP_TRI_ON);
	assert_int_equal(ifc->adaptive_tx, RP_TRI_UNSET);
	assert_int_equal(ifc->queues, RP_UNSET);
	assert_int_equal(ifc->n_features, 2);
	assert_string_equal(ifc->features[1].name, "tx-tcp-segmentation");
	assert_false(ifc->features[1].on);
	assert_int_equal(ifc->features[0].mark.line, 8);
	assert_int_equal(ifc->n_rss_indir, 4);
	assert_int_equal(ifc->rss_indir[1], 1);
	assert_string_equal(ifc->rss_hfunc, "toeplitz");
	assert_true(ifc->irq_cpus_set);
	assert_int_equal(ifc->irq_cpus.n, 1);
	assert_int_equal(ifc->mark.line, 5);
	assert_int_equal(ifc->mark.column, 5);
	/* UDP and TCP on the same port is fine; names default to <type>-<index>. */
	assert_string_equal(cfg.services[0].name, "udp-echo-0");
	assert_string_equal(cfg.services[1].name, "tcp-echo-1");
	assert_int_equal(cfg.services[0].listen.ss.ss_family, AF_INET6);
	assert_int_equal(cfg.services[0].zerocopy, RP_ZC_ALWAYS);
	assert_int_equal(cfg.services[1].zerocopy, RP_UNSET);
	assert_true(cfg.services[1].acceptor);
	assert_int_equal(cfg.services[1].steering, RP_STEER_ROUND_ROBIN);
	assert_int_equal(cfg.services[1].listen_mark.line, 13);
	assert_int_equal(rp_svc_type_socktype(cfg.services[1].type), SOCK_STREAM);
	rp_config_free(&cfg);
}

/* Anchors and aliases work; errors in aliased values point at the alias. */
static void test_aliases(void **state)
{
	struct rp_config cfg;

	(void)state;
	load_ok("interfaces:\n"
		"  - {name: a, coalesce: &c {rx-usecs: 8, adaptive-rx: on}}\n"
		"  - {name: b, coalesce: *c}\n", &cfg);
	assert_int_equal(cfg.interfaces[1].coalesce_rx_usecs, 8);
	assert_int_equal(cfg.interfaces[1].adaptive_rx, RP_TRI_ON);
	rp_config_free(&cfg);
	expect_error("x: &n 70000\nworkers:\n  ring-entries: *n\n", 3, 17, "70000 is out of range 8..32768");
	expect_error("workers:\n  count: *nope\n", 2, 10, "undefined alias '*nope'");
	expect_error("a: &a [1, *a]\n", 1, 11, "recursive alias");
}

/* ---- one test per error class: exact line:column and message ---------------- */

static void test_err_syntax(void **state)
{
	(void)state;
	expect_error("workers:\n  count: [1, 2\n", 3, 1, "YAML syntax error: did not find expected ',' or ']'");
	/* The reader's errors come as a byte offset; still a line:column. */
	expect_error("workers:\n  count: 1\nlogging: {level: \xff}\n", 3, 18, "invalid leading UTF-8 octet (byte 0xff)");
}

static void test_err_unknown_key(void **state)
{
	(void)state;
	expect_error("workers:\n  ring-entires: 8\n", 2, 3, "unknown key 'ring-entires' (did you mean 'ring-entries'?)");
	expect_error("servics: []\n", 1, 1, "unknown key 'servics' at the top level (did you mean 'services'?)");
	/* Nothing close: no suggestion. */
	expect_error("logging:\n  zzzzzzzz: 1\n", 2, 3, "unknown key 'zzzzzzzz'");
	/* A key of another service type says which. */
	expect_error("services:\n  - {type: udp-echo, listen: 127.0.0.1:7000, acceptor: true}\n",
		     2, 46, "unknown key 'acceptor' for this type (it belongs to type: tcp-echo)");
}

static void test_err_wrong_type(void **state)
{
	(void)state;
	expect_error("workers:\n  count: abc\n", 2, 10, "expected an integer, got 'abc'");
	expect_error("workers:\n  prefer-busy-poll: maybe\n", 2, 21, "expected a boolean (true/false), got 'maybe'");
	expect_error("buffers:\n  size: lots\n", 2, 9, "expected a size (4096, 4k, 2M), got 'lots'");
	expect_error("services: {a: 1}\n", 1, 11, "expected a list, got a mapping");
	expect_error("logging:\n  level: [info]\n", 2, 10, "expected a name, got a list");
	expect_error("services:\n  -\n  - {type: udp-echo, listen: 127.0.0.1:1}\n", 2, 4, "services[0]: expected a mapping, got nothing (null)");
}

static void test_err_range(void **state)
{
	(void)state;
	expect_error("workers:\n  cq-factor: 17\n", 2, 14, "17 is out of range 1..16");
	expect_error("buffers:\n  size: 2M\n", 2, 9, "2M is out of range 512..1048576");
	expect_error("buffers:\n  count: 33k\n", 2, 10, "33k is out of range 16..32768");
	expect_error("workers:\n  cq-factor: 16\n  ring-entries: 8192\n", 3, 17, "8192 x 16 = 131072 completion queue entries");
	expect_error("workers:\n  ring-entries: 1000\n", 2, 17, "1000 is not a power of two");
	expect_error("workers:\n  count: 99999999999999999999999\n", 2, 10, "is out of range 1..1024");
	expect_error("workers:\n  cpus: [0, 999]\n", 2, 13, "999 is out of range 0..255");
}

static void test_err_duplicate_key(void **state)
{
	(void)state;
	expect_error("workers:\n  count: 1\n  count: 2\n", 3, 3, "duplicate key 'count' (first at line 2, column 3)");
	expect_error("workers: {}\nworkers: {}\n", 2, 1, "duplicate key 'workers' (first at line 1, column 1)");
}

static void test_err_duplicate_listen(void **state)
{
	(void)state;
	expect_error("services:\n"
		     "  - {name: a, type: tcp-echo, listen: 127.0.0.1:7000}\n"
		     "  - {name: b, type: tcp-echo, listen: 127.0.0.1:7000}\n",
		     3, 39, "duplicate listen address 127.0.0.1:7000/tcp: service 'a' already listens there (line 2, column 39)");
	/* The metrics endpoint is a TCP listener too. */
	expect_error("services:\n  - {type: tcp-echo, listen: 127.0.0.1:9107}\n",
		     2, 30, "service 'metrics' already listens there (by default)");
}

static void test_err_unresolvable(void **state)
{
	(void)state;
	expect_error("metrics:\n  listen: no-such-host.invalid:80\n", 2, 11, "cannot resolve 'no-such-host.invalid'");
	expect_error("metrics:\n  listen: 127.0.0.1\n", 2, 11, "expected host:port or [v6-address]:port");
	expect_error("metrics:\n  listen: 127.0.0.1:99999\n", 2, 11, "bad port");
}

static void test_err_missing_required(void **state)
{
	(void)state;
	/* Points at the mapping that lacks the key. */
	expect_error("services:\n  - type: udp-echo\n", 2, 5, "missing required key 'listen' in services entry");
	expect_error("interfaces:\n  - queues: 2\n", 2, 5, "missing required key 'name' in interfaces entry");
	expect_error("services:\n  - type: udp-echo\n    listen:\n", 3, 12, "missing value (this key is required)");
}

static void test_err_enum(void **state)
{
	(void)state;
	expect_error("zerocopy:\n  mode: sometimes\n", 2, 9, "unknown value 'sometimes' (allowed: auto, always, never)");
	expect_error("services:\n  - {type: http, listen: 127.0.0.1:80}\n", 2, 12, "(allowed: udp-echo, tcp-echo, tcp-proxy, udp-relay)");
}

/* tcp-proxy: its keys and defaults, a nested list of backends, and the
 * rules (backends needed, not itself, no sockperf). */
static void test_tcp_proxy(void **state)
{
	struct rp_config cfg;

	(void)state;
	load_ok("services:\n"
		"  - name: p\n"
		"    type: tcp-proxy\n"
		"    listen: 127.0.0.1:7000\n"
		"    balance: hash\n"
		"    backends:\n"
		"      - address: 127.0.0.1:7001\n"
		"      - {address: 127.0.0.1:7002, weight: 3}\n", &cfg);
	assert_int_equal(cfg.services[0].type, RP_SVC_TCP_PROXY);
	assert_int_equal(cfg.services[0].n_backends, 2);
	assert_int_equal(cfg.services[0].backends[0].weight, 1);
	assert_int_equal(cfg.services[0].backends[1].weight, 3);
	assert_string_equal(cfg.services[0].backends[1].addr.text, "127.0.0.1:7002");
	assert_int_equal(cfg.services[0].balance, RP_BAL_HASH);
	assert_int_equal(cfg.services[0].connect_timeout_ms, 2000);
	assert_int_equal(cfg.services[0].retries, 2);
	assert_true(cfg.services[0].nodelay);
	assert_int_equal(cfg.services[0].forward, RP_FWD_BUNDLE);
	assert_int_equal(cfg.services[0].idle_timeout_ms, 300000);
	assert_int_equal(cfg.services[0].backends[0].proxy_protocol, RP_PP_NONE);
	assert_false(cfg.services[0].health.enabled);
	assert_int_equal(cfg.services[0].health.interval_ms, 2000);
	assert_int_equal(cfg.services[0].health.timeout_ms, 1000);
	assert_int_equal(cfg.services[0].health.rise, 2);
	assert_int_equal(cfg.services[0].health.fall, 3);
	rp_config_free(&cfg);
	/* health checks and the PROXY protocol, per service and per backend */
	load_ok("services:\n"
		"  - type: tcp-proxy\n"
		"    listen: 127.0.0.1:7000\n"
		"    health-check: {enabled: true, interval-ms: 500, timeout-ms: 200, rise: 1, fall: 4}\n"
		"    nodelay: false\n"
		"    backends:\n"
		"      - {address: 127.0.0.1:7001, proxy-protocol: v2}\n"
		"      - address: 127.0.0.1:7002\n", &cfg);
	assert_true(cfg.services[0].health.enabled);
	assert_int_equal(cfg.services[0].health.interval_ms, 500);
	assert_int_equal(cfg.services[0].health.timeout_ms, 200);
	assert_int_equal(cfg.services[0].health.rise, 1);
	assert_int_equal(cfg.services[0].health.fall, 4);
	assert_false(cfg.services[0].nodelay);
	assert_int_equal(cfg.services[0].backends[0].proxy_protocol, RP_PP_V2);
	assert_int_equal(cfg.services[0].backends[1].proxy_protocol, RP_PP_NONE);
	rp_config_free(&cfg);
	expect_error("services:\n  - {type: tcp-proxy, listen: 127.0.0.1:7000,\n"
		     "     health-check: {enabled: true, interval-ms: 100, timeout-ms: 200},\n"
		     "     backends: [{address: 127.0.0.1:7001}]}\n", 3, 20,
		     "health-check.timeout-ms (200) is longer than its interval-ms (100)");
	expect_error("services:\n  - {type: tcp-proxy, listen: 127.0.0.1:7000,\n"
		     "     backends: [{address: 127.0.0.1:7001, proxy-protocol: v1}]}\n", 3, 59,
		     "unknown value 'v1' (allowed: none, v2)");
	expect_error("services:\n  - {type: tcp-proxy, listen: 127.0.0.1:7000,\n"
		     "     health-check: {rise: 0}, backends: [{address: 127.0.0.1:7001}]}\n", 3, 27,
		     "health-check.rise: 0 is out of range 1..100");
	expect_error("services:\n  - {type: tcp-proxy, listen: 127.0.0.1:7000}\n", 2, 5,
		     "tcp-proxy needs 1 to 64 backends (has 0)");
	expect_error("services:\n  - {type: tcp-proxy, listen: 127.0.0.1:7000, backends: []}\n", 2, 5,
		     "tcp-proxy needs 1 to 64 backends (has 0)");
	expect_error("services:\n  - {type: tcp-proxy, listen: 127.0.0.1:7000,\n"
		     "     backends: [{address: 127.0.0.1:7000}]}\n", 3, 17,
		     "is the proxy's own listen address");
	/* behind an acceptor ring, like tcp-echo (the worker adopts the pair) */
	load_ok("services:\n  - {type: tcp-proxy, listen: 127.0.0.1:7000, acceptor: true,\n"
		"     steering: round-robin, backends: [{address: 127.0.0.1:7001}]}\n", &cfg);
	assert_true(cfg.services[0].acceptor);
	assert_int_equal(cfg.services[0].steering, RP_STEER_ROUND_ROBIN);
	rp_config_free(&cfg);
	expect_error("workers: {count: 300}\nservices:\n  - {type: tcp-proxy, listen: 127.0.0.1:7000,\n"
		     "     acceptor: true, backends: [{address: 127.0.0.1:7001}]}\n", 1, 18,
		     "has acceptor: true, and an acceptor hands connections to at most");
}

/* udp-relay: its keys and defaults, the backends rules it shares with
 * tcp-proxy, and the keys it does not take. */
static void test_udp_relay(void **state)
{
	struct rp_config cfg;

	(void)state;
	load_ok("services:\n"
		"  - name: r\n"
		"    type: udp-relay\n"
		"    listen: 127.0.0.1:7000\n"
		"    max-client-sessions: 0\n"
		"    backends:\n"
		"      - address: 127.0.0.1:7001\n"
		"      - {address: 127.0.0.1:7002, weight: 3}\n", &cfg);
	assert_int_equal(cfg.services[0].type, RP_SVC_UDP_RELAY);
	assert_int_equal(cfg.services[0].n_backends, 2);
	assert_int_equal(cfg.services[0].backends[1].weight, 3);
	assert_int_equal(cfg.services[0].max_sessions, 4096);
	assert_int_equal(cfg.services[0].max_client_sessions, 0);
	assert_int_equal(cfg.services[0].idle_timeout_ms, 30000);
	assert_int_equal(cfg.services[0].backend_down_ms, 10000);
	assert_string_equal(cfg.services[0].health_probe, "");
	assert_int_equal(cfg.services[0].health_interval_ms, 1000);
	assert_true(cfg.services[0].gso);
	rp_config_free(&cfg);
	expect_error("services:\n  - {type: udp-relay, listen: 127.0.0.1:7000}\n", 2, 5,
		     "udp-relay needs 1 to 64 backends (has 0)");
	expect_error("services:\n  - {type: udp-relay, listen: 127.0.0.1:7000,\n"
		     "     backends: [{address: 127.0.0.1:7000}]}\n", 3, 17,
		     "is the proxy's own listen address");
	expect_error("services:\n  - {type: udp-relay, listen: 127.0.0.1:7000, max-sessions: 70000,\n"
		     "     backends: [{address: 127.0.0.1:7001}]}\n", 2, 61, "max-sessions");
	expect_error("services:\n  - {type: udp-relay, listen: 127.0.0.1:7000, balance: hash,\n"
		     "     backends: [{address: 127.0.0.1:7001}]}\n", 2, 47,
		     "unknown key 'balance' for this type");
}

static void test_err_duplicate_names(void **state)
{
	(void)state;
	expect_error("services:\n"
		     "  - {name: x, type: udp-echo, listen: 127.0.0.1:7001}\n"
		     "  - {name: x, type: udp-echo, listen: 127.0.0.1:7002}\n",
		     3, 12, "duplicate service name 'x' (first at line 2, column 12)");
	expect_error("interfaces:\n  - name: a\n  - name: a\n", 3, 11, "duplicate interface 'a' (first at line 2, column 11)");
	/* A defaulted name has no place of its own: its entry is named. */
	expect_error("services:\n"
		     "  - {name: udp-echo-1, type: udp-echo, listen: 127.0.0.1:7001}\n"
		     "  - {type: udp-echo, listen: 127.0.0.1:7002}\n",
		     3, 5, "duplicate service name 'udp-echo-1' (first at line 2, column 12)");
}

static void test_err_collects_all(void **state)
{
	struct rp_cfg_errors errs = { 0 };
	struct rp_config cfg;
	char *yaml = malloc(200 * 16 + 32), *p = yaml;

	(void)state;
	assert_int_equal(load("workers:\n  count: x\n  cq-factor: 0\nlogging: {level: loud}\n",
			      &cfg, &errs), -1);
	assert_int_equal(errs.n, 3);
	assert_int_equal(errs.v[0].line, 2);	/* in file order */
	assert_int_equal(errs.v[2].line, 4);
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);

	/* 200 bad keys: capped, with a last line that says so. */
	p += sprintf(p, "workers:\n");
	for (int i = 0; i < 200; i++)
		p += sprintf(p, "  bad%03d: 1\n", i);
	assert_int_equal(load(yaml, &cfg, &errs), -1);
	assert_int_equal(errs.n, 51);
	assert_non_null(strstr(errs.v[50].msg, "too many errors"));
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
	free(yaml);
}

static void test_err_file(void **state)
{
	struct rp_cfg_errors errs = { 0 };
	struct rp_config cfg;
	char buf[512];
	FILE *f;

	(void)state;
	assert_int_equal(rp_config_load_file("/nonexistent/x.yaml", &cfg, &errs), -1);
	assert_int_equal(errs.n, 1);
	f = fmemopen(buf, sizeof(buf), "w");
	rp_cfg_errors_print(f, &errs);
	fclose(f);
	assert_string_equal(buf, "/nonexistent/x.yaml: error: cannot open: No such file or directory\n");
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);

	assert_int_equal(rp_config_load_file(top(), &cfg, &errs), -1);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].msg, "cannot read: Is a directory");
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
}

/* ---- malformed input: errors, never a crash (also run under ASan) ------------- */

/* "# expect: LINE:COL TEXT" on a corpus file's first line. */
static void check_expectation(const char *path, const char *text, const struct rp_cfg_errors *errs)
{
	unsigned line, col;
	int off = 0;

	if (sscanf(text, "# expect: %u:%u %n", &line, &col, &off) != 2 || !off)
		return;
	char needle[200];
	const char *end = strchr(text + off, '\n');
	size_t len = end ? (size_t)(end - text - off) : strlen(text + off);

	snprintf(needle, sizeof(needle), "%.*s", (int)len, text + off);
	if (!has_error(errs, line, col, needle)) {
		fprintf(stderr, "%s: wanted %u:%u '%s', got:\n", path, line, col, needle);
		print_errors(errs);
		fail();
	}
}

static void test_corpus_bad(void **state)
{
	char dir[512], names[128][NAME_LEN];
	unsigned n;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test/corpus/config/bad", top());
	n = yaml_files(dir, names, 128);
	assert_true(n >= 20);
	for (unsigned i = 0; i < n; i++) {
		struct rp_cfg_errors errs = { 0 };
		struct rp_config cfg;
		size_t len;
		char *text = slurp(names[i], &len);

		if (rp_config_load_file(names[i], &cfg, &errs) != -1 || !errs.n) {
			fprintf(stderr, "%s: loaded without an error\n", names[i]);
			fail();
		}
		check_expectation(names[i], text, &errs);
		free(text);
		rp_config_free(&cfg);
		rp_cfg_errors_free(&errs);
	}
}

static void load_fails(const char *what, const char *text, size_t len)
{
	struct rp_cfg_errors errs = { 0 };
	struct rp_config cfg;

	if (rp_config_load_string(what, text, len, &cfg, &errs) != -1 || !errs.n) {
		fprintf(stderr, "%s: loaded without an error\n", what);
		fail();
	}
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
}

static char *repeat(const char *head, const char *unit, unsigned times, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(hl + ul * times + tl + 1), *p = s;

	assert_non_null(s);
	memcpy(p, head, hl);
	p += hl;
	for (unsigned i = 0; i < times; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static const char laughs[] =
	"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
	"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
	"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
	"services: *i\ninterfaces: *i\n";

static void test_generated_bad(void **state)
{
	static const char *const small[] = {
		"", "\n\n", "~", "[]", "- a\n- b\n", "42", "'just a string'",
		"workers: {count: 1e999}\n",
		"workers: {count: -1}\n",
		"buffers: {size: -4k}\n",
		"buffers: {size: 9999999999999G}\n",
		"logging: {level: \"in\\0fo\"}\n",
		"logging: {level: \xff\xfe}\n",
		"workers:\n\tcount: 1\n",
		"workers: {count: 1\n",
		"services:\n  - type: udp-echo\n    listen: \"127.0.0.1:7007\n",
		"? [a, b]\n: c\n",
		"workers: !!binary aGVsbG8=\n",
		"a: &x 1\nb: *y\n",
		"interfaces:\n  - name: a-very-long-interface-name-that-does-not-fit\n",
		"interfaces:\n  - {name: eth0, features: [rx-gro]}\n",
		"interfaces:\n  - {name: eth0, features: {rx-gro: 2}}\n",
		"interfaces:\n  - {name: eth0, rss: {indirection: 5}}\n",
		"interfaces:\n  - {name: eth0, irq-cpus: []}\n",
		"interfaces:\n  - {name: eth0, irq-cpus: \"3-1\"}\n",
		"interfaces:\n  - {name: eth0, irq-cpus: \"0,,1\"}\n",
		"workers: {cpus: [a]}\n",
		"services: [1, 2]\n",
		"services:\n  - {type: udp-echo, listen: \"[::1\"}\n",
		"services:\n  - {type: udp-echo, listen: \":7007\"}\n",
		"services:\n  - {type: udp-echo, listen: \"::1:7007\"}\n",
		"%YAML 9.9\n---\na: 1\n",
		"---\n...\n---\n",
	};
	uint32_t seed = 0x12345678;
	char *s;

	(void)state;
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		load_fails(small[i], small[i], strlen(small[i]));

	/* Deep nesting: refused at the level past the limit. */
	s = repeat("workers: ", "[", 100000, "");
	expect_error(s, 1, 10 + 63, "nested deeper than 64 levels");	/* the root map is level 1 */
	free(s);
	s = repeat("workers: ", "{a: ", 20000, "1");
	load_fails("deep-map-open", s, strlen(s));
	free(s);
	s = repeat("", "- ", 65, "x\n");
	expect_error(s, 1, 1 + 2 * 64, "nested deeper than 64 levels");
	free(s);
	s = repeat("", "- ", 63, "x\n");	/* 63 lists + nothing else: deep, but allowed */
	expect_error(s, 1, 1, "expected a mapping, got a list");
	free(s);

	/* A 1 MiB key list, a 1 MiB scalar, 1 MiB of random bytes. */
	s = repeat("workers:\n", "  kkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: 1\n", 30000, "");
	load_fails("many-keys", s, strlen(s));
	free(s);
	s = repeat("logging: {level: ", "x", 1 << 20, "}\n");
	load_fails("huge-scalar", s, strlen(s));
	free(s);
	s = repeat("", "k", 1 << 16, ": 1\n");
	load_fails("huge-key", s, strlen(s));
	free(s);
	s = malloc(1 << 20);
	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < 1 << 20; i++)
			s[i] = (char)(round & 1 ? 0x20 + xorshift(&seed) % 0x5f : xorshift(&seed));
		load_fails("junk", s, 1 << 20);
	}
	free(s);

	/* Anchors: a few are fine, thousands are refused at the one too many. */
	s = repeat("", "- &a x\n", 300, "");
	expect_error(s, 257, 3, "more than 256 anchors (&name)");
	free(s);

	/* Billion laughs: aliases that would expand to 10^9 nodes. */
	load_fails("laughs", laughs, strlen(laughs));
}

/* Every prefix of a valid file either loads or reports errors; none crashes. */
static void test_truncations(void **state)
{
	char path[512];
	size_t len;
	char *text;

	(void)state;
	snprintf(path, sizeof(path), "%s/config/examples/reference.yaml", top());
	text = slurp(path, &len);
	for (size_t cut = 0; cut < len; cut += 53) {
		struct rp_cfg_errors errs = { 0 };
		struct rp_config cfg;
		int ret = rp_config_load_string("cut", text, cut, &cfg, &errs);

		assert_int_equal(ret == -1, errs.n > 0);
		rp_config_free(&cfg);
		rp_cfg_errors_free(&errs);
	}
	free(text);
}

/* ---- print -> load round trip ------------------------------------------------ */

static char *print_to_string(const struct rp_config *cfg, bool documented)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	(documented ? rp_config_print_documented : rp_config_print)(f, cfg);
	fclose(f);
	return buf;
}

/* Where things were read differs between the two texts; the values must not. */
static void strip_marks(struct rp_config *c)
{
	static const struct rp_mark none;

	c->workers.mark = c->buffers.mark = c->zerocopy.mark = none;
	c->workers.count_mark = c->workers.ring_entries_mark = c->workers.cq_factor_mark = none;
	c->metrics.mark = c->logging.mark = none;
	for (unsigned i = 0; i < c->n_services; i++)
		c->services[i].mark = c->services[i].listen_mark = c->services[i].name_mark =
			c->services[i].health.mark = c->services[i].rx_zc_mark =
			c->services[i].rx_zc_src_mark = none;
	for (unsigned i = 0; i < c->n_interfaces; i++)
		c->interfaces[i].mark = c->interfaces[i].name_mark = none;
}

static void assert_same_config(struct rp_config *a, struct rp_config *b)
{
	strip_marks(a);
	strip_marks(b);
	assert_memory_equal(&a->workers, &b->workers, sizeof(a->workers));
	assert_memory_equal(&a->buffers, &b->buffers, sizeof(a->buffers));
	assert_memory_equal(&a->zerocopy, &b->zerocopy, sizeof(a->zerocopy));
	assert_memory_equal(&a->metrics, &b->metrics, sizeof(a->metrics));
	assert_memory_equal(&a->logging, &b->logging, sizeof(a->logging));
	assert_int_equal(a->n_services, b->n_services);
	/* tcp-proxy backends: the same entries, in their own arrays */
	for (unsigned i = 0; i < a->n_services; i++) {
		struct rp_service_cfg *x = &a->services[i], *y = &b->services[i];

		assert_int_equal(x->n_backends, y->n_backends);
		for (unsigned k = 0; k < x->n_backends; k++) {
			assert_memory_equal(&x->backends[k].addr, &y->backends[k].addr,
					    sizeof(x->backends[k].addr));
			assert_int_equal(x->backends[k].weight, y->backends[k].weight);
			assert_int_equal(x->backends[k].proxy_protocol, y->backends[k].proxy_protocol);
		}
		free(x->backends);
		free(y->backends);
		x->backends = y->backends = NULL;
		x->n_backends = y->n_backends = 0;
	}
	assert_memory_equal(a->services, b->services, a->n_services * sizeof(*a->services));
	assert_int_equal(a->n_interfaces, b->n_interfaces);
	for (unsigned i = 0; i < a->n_interfaces; i++) {
		struct rp_iface_cfg x = a->interfaces[i], y = b->interfaces[i];

		assert_int_equal(x.n_features, y.n_features);
		for (unsigned j = 0; j < x.n_features; j++) {
			assert_string_equal(x.features[j].name, y.features[j].name);
			assert_int_equal(x.features[j].on, y.features[j].on);
		}
		x.features = y.features = NULL;
		assert_memory_equal(&x, &y, sizeof(x));
	}
}

static void round_trip(const char *what, const char *yaml)
{
	struct rp_cfg_errors errs = { 0 };
	struct rp_config a, b;
	char *text1, *text2;

	if (rp_config_load_string("rt", yaml, strlen(yaml), &a, &errs)) {
		fprintf(stderr, "%s:\n", what);
		print_errors(&errs);
		fail();
	}
	text1 = print_to_string(&a, false);
	if (rp_config_load_string("rt", text1, strlen(text1), &b, &errs)) {
		fprintf(stderr, "%s printed:\n%s", what, text1);
		print_errors(&errs);
		fail();
	}
	text2 = print_to_string(&b, false);
	assert_string_equal(text1, text2);
	assert_same_config(&a, &b);
	free(text1);
	free(text2);
	rp_config_free(&a);
	rp_config_free(&b);
}

static void test_round_trip(void **state)
{
	char dir[512], names[64][NAME_LEN];
	unsigned n;

	(void)state;
	round_trip("empty map", "{}");
	round_trip("everything set",
		   "interfaces:\n"
		   "  - name: \"we\\\"ird:name\"\n    queues: 4\n"
		   "    channels: {rx: 1, tx: 2, combined: 3}\n    rings: {rx: 256, tx: 512}\n"
		   "    tcp-data-split: on\n    hds-threshold: 128\n"
		   "    features: {rx-gro: on, \"tx-udp-segmentation\": off}\n"
		   "    coalesce: {rx-usecs: 1, tx-usecs: 2, rx-frames: 3, tx-frames: 4, adaptive-rx: on, adaptive-tx: off}\n"
		   "    rss: {equal: 2, indirection: [1, 0, 1, 0], hfunc: xor}\n"
		   "    napi: {threaded: on, defer-hard-irqs: 5, gro-flush-timeout: 6, irq-suspend-timeout: 7}\n"
		   "    irq-cpus: \"0-2\"\n"
		   "  - name: eth9\n"
		   "workers: {count: 7, cpus: [1, 0], ring-entries: 64, cq-factor: 2, busy-poll-usec: 50, prefer-busy-poll: yes}\n"
		   "buffers: {size: 2k, count: 16, hugepages: off}\n"
		   "zerocopy: {mode: always, threshold: 0, sample-every: 1}\n"
		   "services:\n"
		   "  - {type: udp-echo, listen: \"[::1]:1\", sockperf: true, zerocopy: never}\n"
		   "  - {type: tcp-echo, listen: localhost:65535, acceptor: true, steering: hash}\n"
		   "metrics: {enabled: false, listen: \"[::]:9000\"}\n"
		   "logging: {level: debug, format: json}\n");
	snprintf(dir, sizeof(dir), "%s/config/examples", top());
	n = yaml_files(dir, names, 64);
	for (unsigned i = 0; i < n; i++) {
		size_t len;
		char *text = slurp(names[i], &len);

		round_trip(names[i], text);
		free(text);
	}
}

/* reference.yaml is exactly what `check --reference` prints for it: the
 * documentation in it comes from the schema table and cannot drift. */
static void test_reference_matches_schema(void **state)
{
	struct rp_cfg_errors errs = { 0 };
	struct rp_config cfg;
	char path[512], *text, *printed;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/config/examples/reference.yaml", top());
	text = slurp(path, &len);
	assert_int_equal(rp_config_load_file(path, &cfg, &errs), 0);
	printed = print_to_string(&cfg, true);
	assert_string_equal(printed, text);
	free(printed);
	free(text);
	rp_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_load),
		cmocka_unit_test(test_embedded_default),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_value_forms),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_err_syntax),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_wrong_type),
		cmocka_unit_test(test_err_range),
		cmocka_unit_test(test_err_duplicate_key),
		cmocka_unit_test(test_err_duplicate_listen),
		cmocka_unit_test(test_err_unresolvable),
		cmocka_unit_test(test_err_missing_required),
		cmocka_unit_test(test_err_enum),
		cmocka_unit_test(test_err_duplicate_names),
		cmocka_unit_test(test_tcp_proxy),
		cmocka_unit_test(test_udp_relay),
		cmocka_unit_test(test_err_collects_all),
		cmocka_unit_test(test_err_file),
		cmocka_unit_test(test_corpus_bad),
		cmocka_unit_test(test_generated_bad),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_reference_matches_schema),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
