// SPDX-License-Identifier: MIT
/*
 * rp_nic_plan_make on made-up devices: what is already in place is left
 * out, what the device lacks is marked unsupported with the reason, every
 * kind of change gets its from/to, and apply refuses a plan with an
 * unsupported change before touching anything (no netlink socket at all).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nicmgr/family.h"
#include "test/unit/nicmgr/plan_find.h"

static struct rp_nic_info *info;
static struct rp_iface_cfg cfg;
static struct rp_nic_plan plan;

/* An interface entry that asks for nothing. */
static void cfg_blank(void)
{
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "nic0");
	cfg.mark = (struct rp_mark){ 3, 5 };
	cfg.queues = cfg.channels_rx = cfg.channels_tx = cfg.channels_combined = RP_UNSET;
	cfg.ring_rx = cfg.ring_tx = cfg.hds_threshold = RP_UNSET;
	cfg.coalesce_rx_usecs = cfg.coalesce_tx_usecs = RP_UNSET;
	cfg.coalesce_rx_frames = cfg.coalesce_tx_frames = RP_UNSET;
	cfg.rss_equal = RP_UNSET;
	cfg.napi_defer_hard_irqs = cfg.napi_gro_flush_timeout = RP_UNSET;
	cfg.napi_irq_suspend_timeout = RP_UNSET;
	cfg.tcp_data_split = cfg.adaptive_rx = cfg.adaptive_tx = cfg.threaded_napi = RP_TRI_UNSET;
}

/* A NIC with 2 rx queues, 2 NAPIs with IRQs 30/31 on CPUs 0-1, channels,
 * no rings, 3 features, an 8-entry RSS table. */
static int setup(void **state)
{
	(void)state;
	info = calloc(1, sizeof(*info));
	assert_non_null(info);
	snprintf(info->dev, sizeof(info->dev), "nic0");
	for (unsigned s = 0; s < RP_NIC_SECT__COUNT; s++)
		for (unsigned i = 0; i < RP_NIC_FIELDS_MAX; i++)
			info->sect[s].v[i] = RP_NIC_ABSENT;
	info->sect[RP_NIC_CHANNELS].v[0] = 4;	/* rx-max */
	info->sect[RP_NIC_CHANNELS].v[4] = 2;	/* rx */
	rp_nic_status_set(&info->sect[RP_NIC_RINGS].st, EOPNOTSUPP, "Operation not supported");
	info->feat.n = 3;
	info->feat.f[0] = (struct rp_nic_feature){ "rx-gro", true, true, false };
	info->feat.f[1] = (struct rp_nic_feature){ "tx-checksum-ip-generic", false, false, false };
	info->feat.f[2] = (struct rp_nic_feature){ "highdma", true, true, true };
	info->rss.hfunc = 0;
	snprintf(info->rss.hfunc_name, sizeof(info->rss.hfunc_name), "toeplitz");
	info->rss.n_hfuncs = 2;
	snprintf(info->rss.hfuncs[0], sizeof(info->rss.hfuncs[0]), "toeplitz");
	snprintf(info->rss.hfuncs[1], sizeof(info->rss.hfuncs[1]), "xor");
	info->rss.n_indir = 8;
	for (unsigned i = 0; i < 8; i++)
		info->rss.indir[i] = i % 2;
	info->n_napi = 2;
	for (unsigned i = 0; i < 2; i++) {
		for (unsigned k = 0; k < RP_NAPI__COUNT; k++)
			info->napi[i].v[k] = 0;
		info->napi[i].v[RP_NAPI_ID] = 8193 + i;
		info->napi[i].v[RP_NAPI_IRQ] = 30 + i;
		info->napi[i].v[RP_NAPI_PID] = RP_NIC_ABSENT;
	}
	info->threaded = 0;
	info->n_queues = 2;
	for (unsigned i = 0; i < 2; i++) {
		info->q[i] = (struct rp_nic_queue){ .type = RP_NIC_QRX, .id = i, .napi_id = 8193 + i,
						    .irq = 30 + i };
		snprintf(info->q[i].cpus, sizeof(info->q[i].cpus), "0-1");
	}
	cfg_blank();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rp_nic_plan_free(&plan);
	free(info);
	return 0;
}

static const struct rp_nic_change *find(const char *what)
{
	return plan_find(&plan, what);
}

static void make(void)
{
	rp_nic_plan_free(&plan);
	assert_int_equal(rp_nic_plan_make("t.yaml", &cfg, info, &plan), 0);
}

static void test_nothing_asked(void **state)
{
	(void)state;
	make();
	assert_int_equal(plan.n, 0);
}

static void test_numbers(void **state)
{
	const struct rp_nic_change *c;

	(void)state;
	cfg.channels_rx = 2;		/* already */
	cfg.channels_tx = 1;		/* not reported by the device */
	cfg.channels_combined = RP_UNSET;
	cfg.ring_rx = 512;		/* section unsupported */
	make();
	assert_int_equal(plan.n, 2);
	assert_int_equal(plan.n_unsupported, 2);
	c = find("channels.tx");
	assert_true(c->unsupported);
	assert_string_equal(c->why, "nic0 does not report this setting");
	c = find("rings.rx");
	assert_true(c->unsupported);
	assert_string_equal(c->why, "Operation not supported");
	assert_int_equal(c->mark.line, 3);

	cfg_blank();
	cfg.channels_rx = 3;
	make();
	c = find("channels.rx");
	assert_false(c->unsupported);
	assert_int_equal(c->from, 2);
	assert_int_equal(c->to, 3);
	assert_string_equal(c->to_text, "3");
}

static void test_features(void **state)
{
	struct rp_feature_cfg f[4] = {
		{ "rx-gro", true, { 7, 7 } },			/* already on */
		{ "tx-checksum-ip-generic", true, { 8, 7 } },	/* off -> on */
		{ "highdma", false, { 9, 7 } },			/* fixed */
		{ "rx-nosuch", true, { 10, 7 } },		/* unknown */
	};
	const struct rp_nic_change *c;

	(void)state;
	cfg.features = f;
	cfg.n_features = 4;
	make();
	assert_int_equal(plan.n, 3);
	c = find("features.tx-checksum-ip-generic");
	assert_false(c->unsupported);
	assert_string_equal(c->from_text, "off");
	assert_string_equal(c->to_text, "on");
	assert_int_equal(c->mark.line, 8);	/* the feature's own line */
	assert_string_equal(find("features.highdma")->why, "'highdma' is fixed on nic0");
	assert_string_equal(find("features.rx-nosuch")->why, "nic0 has no feature named 'rx-nosuch'");
}

static void test_napi(void **state)
{
	const struct rp_nic_change *c;

	(void)state;
	cfg.napi_defer_hard_irqs = 0;		/* both already 0 */
	cfg.napi_gro_flush_timeout = 20000;
	make();
	assert_int_equal(plan.n, 1);
	c = find("napi.gro-flush-timeout (every NAPI)");
	assert_int_equal(c->kind, RP_CHG_NAPI);
	assert_string_equal(c->from_text, "0");

	info->napi[1].v[RP_NAPI_DEFER_HARD_IRQS] = 5;	/* now mixed */
	make();
	c = find("napi.defer-hard-irqs (every NAPI)");
	assert_string_equal(c->from_text, "mixed");

	/* a kernel without the per-NAPI threaded attribute: sysfs */
	cfg_blank();
	cfg.threaded_napi = RP_TRI_ON;
	info->napi[0].v[RP_NAPI_THREADED] = info->napi[1].v[RP_NAPI_THREADED] = RP_NIC_ABSENT;
	make();
	c = find("napi.threaded (sysfs)");
	assert_int_equal(c->kind, RP_CHG_THREADED);
	assert_int_equal(c->to, 1);

	/* no NAPI at all: refused, with the reason read */
	info->n_napi = 0;
	rp_nic_status_set(&info->napi_st, EOPNOTSUPP, "no NAPI instance");
	make();
	c = find("napi.threaded (every NAPI)");
	assert_true(c->unsupported);
	assert_string_equal(c->why, "no NAPI instance");
}

static void test_irq(void **state)
{
	const struct rp_nic_change *c;

	(void)state;
	cfg.irq_cpus_set = true;
	cfg.irq_cpus.n = 2;
	cfg.irq_cpus.cpu[0] = 1;
	cfg.irq_cpus.cpu[1] = 0;
	make();
	assert_int_equal(plan.n, 2);
	c = find("irq 30 (rx-0) cpus");
	assert_string_equal(c->from_text, "0-1");
	assert_string_equal(c->to_text, "1");
	assert_string_equal(find("irq 31 (rx-1) cpus")->to_text, "0");

	cfg.queues = 1;				/* only the first rx queue */
	make();
	assert_int_equal(plan.n, 1);

	info->q[0].irq = info->q[1].irq = RP_NIC_ABSENT;
	rp_nic_status_set(&info->irq_st, EOPNOTSUPP, "no IRQ for any queue");
	make();
	assert_true(find("irq-cpus")->unsupported);
}

static void test_rss(void **state)
{
	const struct rp_nic_change *c;

	(void)state;
	cfg.rss_equal = 2;			/* the table already is 0 1 0 1 ... */
	snprintf(cfg.rss_hfunc, sizeof(cfg.rss_hfunc), "xor");
	make();
	assert_int_equal(plan.n, 1);
	c = find("rss.hfunc");
	assert_int_equal(c->to, 1);
	assert_string_equal(c->from_text, "toeplitz");

	cfg_blank();
	cfg.rss_equal = 3;
	make();
	c = find("rss.indirection");
	assert_int_equal(c->n_indir, 8);
	assert_int_equal(c->to_indir[5], 2);
	assert_string_equal(c->to_text, "[0 1 2 0 1 2 0 1]");

	cfg_blank();
	cfg.n_rss_indir = 4;			/* the device's table has 8 */
	make();
	assert_true(find("rss.indirection")->unsupported);

	cfg_blank();
	snprintf(cfg.rss_hfunc, sizeof(cfg.rss_hfunc), "crc32");
	make();
	assert_string_equal(find("rss.hfunc")->why, "nic0 has no hash function 'crc32'");
}

static void test_apply_refuses_unsupported(void **state)
{
	struct rp_nic_status st;

	(void)state;
	cfg.channels_rx = 3;			/* fine */
	cfg.ring_rx = 512;			/* not supported */
	make();
	/* no socket: a refusal must come before any netlink use */
	assert_int_equal(rp_nic_plan_apply(NULL, &plan, NULL, &st), -1);
	assert_int_equal(st.err, EOPNOTSUPP);
	assert_string_equal(st.msg, "nic0: rings.rx (t.yaml:3:5): not supported: "
				    "Operation not supported (nothing changed)");
	for (unsigned i = 0; i < plan.n; i++)
		assert_false(plan.c[i].applied);
}

static void test_qmap(void **state)
{
	struct rp_nic_qmap map;

	(void)state;
	snprintf(info->q[0].cpus, sizeof(info->q[0].cpus), "1");
	rp_nic_qmap_from_info(info, &map);
	assert_true(map.has_napi && map.has_irq);
	assert_int_equal(map.n, 2);
	assert_int_equal(map.q[0].cpu, 1);
	assert_int_equal(map.q[1].cpu, 0);	/* "0-1": its first CPU */

	info->q[0].napi_id = info->q[1].napi_id = RP_NIC_ABSENT;
	info->q[0].irq = info->q[1].irq = RP_NIC_ABSENT;
	snprintf(info->driver, sizeof(info->driver), "tun");
	rp_nic_qmap_from_info(info, &map);
	assert_false(map.has_napi);
	assert_int_equal(map.q[0].cpu, -1);
	assert_string_equal(map.note, "nic0: no NAPI/IRQ on this device (tun): using configured CPUs");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_napi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_refuses_unsupported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qmap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
