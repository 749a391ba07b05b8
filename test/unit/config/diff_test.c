/* SPDX-License-Identifier: MIT */
/*
 * config/diff.c: what differs between two loaded configs, by key path,
 * with the place of the new value; where a key sits in the file is not a
 * change; skipped paths are not descended into.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/diff.h"

#define BASE \
	"workers:\n" \
	"  count: 2\n" \
	"services:\n" \
	"  - name: web\n" \
	"    type: tcp-proxy\n" \
	"    listen: 127.0.0.1:8080\n" \
	"    backends:\n" \
	"      - address: 127.0.0.1:8081\n" \
	"  - name: e\n" \
	"    type: tcp-echo\n" \
	"    listen: 127.0.0.1:8081\n"

struct seen {
	unsigned n;
	struct rp_cfg_change c[8];
};

static bool collect(void *arg, const struct rp_cfg_change *c)
{
	struct seen *s = arg;

	if (s->n < 8)
		s->c[s->n] = *c;
	s->n++;
	return true;
}

static void load(struct rp_config *cfg, const char *text)
{
	struct rp_cfg_errors errs = { 0 };
	int ret = rp_config_load_string("t.yaml", text, strlen(text), cfg, &errs);

	if (ret)
		rp_cfg_errors_print(stderr, &errs);
	rp_cfg_errors_free(&errs);
	assert_int_equal(ret, 0);
}

static struct seen diff(const char *a, const char *b, const char *const *skip)
{
	struct rp_config x, y;
	struct seen s = { 0 };

	load(&x, a);
	load(&y, b);
	rp_config_diff(&x, &y, skip, collect, &s);
	rp_config_free(&x);
	rp_config_free(&y);
	return s;
}

static void test_same(void **state)
{
	/* the same config, moved down two lines and with a comment: no change */
	struct seen s = diff(BASE, "# moved\n\n" BASE, NULL);

	(void)state;
	assert_int_equal(s.n, 0);
}

static void test_scalar(void **state)
{
	char text[1024];
	struct seen s;

	(void)state;
	snprintf(text, sizeof(text), "%s", BASE);
	memcpy(strstr(text, "count: 2") + 7, "3", 1);
	s = diff(BASE, text, NULL);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.c[0].path, "workers.count");
	assert_string_equal(s.c[0].was, "2");
	assert_string_equal(s.c[0].now, "3");
	assert_int_equal(s.c[0].at.line, 2);	/* the value's own mark */
	assert_int_equal(s.c[0].at.column, 10);
}

static void test_service_key_and_skip(void **state)
{
	char text[1024];
	const char *const skip[] = { "services\\[*\\].backends", NULL };
	struct seen s;

	(void)state;
	snprintf(text, sizeof(text), "%s", BASE);
	memcpy(strstr(text, "8080"), "8090", 4);
	memcpy(strstr(text, "address: 127.0.0.1:8081") + strlen("address: 127.0.0.1:"), "8082", 4);
	s = diff(BASE, text, NULL);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.c[0].path, "services[web].listen");
	assert_string_equal(s.c[0].was, "\"127.0.0.1:8080\"");
	assert_int_equal(s.c[0].at.line, 6);
	assert_string_equal(s.c[1].path, "services[web].backends[0].address");
	assert_int_equal(s.c[1].at.line, 8);
	s = diff(BASE, text, skip);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.c[0].path, "services[web].listen");
}

static void test_service_added(void **state)
{
	struct seen s = diff(BASE, BASE "  - name: u\n    type: udp-echo\n    listen: 127.0.0.1:9\n",
			     NULL);

	(void)state;
	assert_int_equal(s.n, 1);
	assert_string_equal(s.c[0].path, "services");
	assert_string_equal(s.c[0].was, "web, e");
	assert_string_equal(s.c[0].now, "web, e, u");
}

static void test_type_changed(void **state)
{
	char text[1024];
	struct seen s;

	(void)state;
	snprintf(text, sizeof(text), "%s", BASE);
	memcpy(strstr(text, "type: tcp-echo") + 6, "udp", 3);
	s = diff(BASE, text, NULL);
	/* the type, and only it: the other type's keys are not compared */
	assert_true(s.n >= 1);
	assert_string_equal(s.c[0].path, "services[e].type");
	for (unsigned i = 1; i < s.n && i < 8; i++)
		assert_string_not_equal(s.c[i].path, "services[e].type");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_scalar),
		cmocka_unit_test(test_service_key_and_skip),
		cmocka_unit_test(test_service_added),
		cmocka_unit_test(test_type_changed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
