// SPDX-License-Identifier: MIT
/*
 * zcrx queues (nicmgr/zcrxq.h) on made-up devices, no kernel involved: the
 * judgement gives the first missing piece as the reason, and the plan
 * prepares a capable NIC's queue (header split on, threshold 0, ntuple on,
 * the queue out of RSS, a steering rule) or, on a device like veth, lists
 * each piece as not supported, which apply refuses before touching
 * anything (no netlink socket is even opened here).
 */
#include <arpa/inet.h>
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
#include "nicmgr/zcrxq.h"

#define NQ 4

static struct rp_nic_info *dev;
static struct rp_iface_cfg ifc;
static struct rp_nic_plan plan;

static int ring_field(const char *name)
{
	const struct rp_nic_sect_desc *d = rp_nic_sects[RP_NIC_RINGS];

	for (unsigned i = 0; i < d->n_fields; i++)
		if (!strcmp(d->fields[i].name, name))
			return (int)i;
	fail_msg("no rings field %s", name);
	return -1;
}

static void set_ring(const char *name, int64_t v)
{
	dev->sect[RP_NIC_RINGS].v[ring_field(name)] = v;
}

/* A capable NIC "hw0" (driver "fastnic"): 4 rx queues, header split
 * supported but off, threshold 256, ntuple changeable but off, a 16-entry
 * RSS table over the 4 queues, no ntuple rules yet. */
static int setup(void **state)
{
	(void)state;
	dev = calloc(1, sizeof(*dev));
	assert_non_null(dev);
	snprintf(dev->dev, sizeof(dev->dev), "hw0");
	snprintf(dev->driver, sizeof(dev->driver), "fastnic");
	for (unsigned s = 0; s < RP_NIC_SECT__COUNT; s++)
		for (unsigned i = 0; i < RP_NIC_FIELDS_MAX; i++)
			dev->sect[s].v[i] = RP_NIC_ABSENT;
	set_ring("tcp-data-split", 1);
	set_ring("hds-thresh", 256);
	dev->feat.n = 2;
	dev->feat.f[0] = (struct rp_nic_feature){ "rx-gro", true, true, false };
	dev->feat.f[1] = (struct rp_nic_feature){ "rx-ntuple-filter", false, false, false };
	dev->rss.n_indir = 16;
	for (unsigned i = 0; i < 16; i++)
		dev->rss.indir[i] = i % NQ;
	dev->n_queues = NQ;
	for (unsigned i = 0; i < NQ; i++)
		dev->q[i] = (struct rp_nic_queue){ .type = RP_NIC_QRX, .id = i };
	memset(&ifc, 0, sizeof(ifc));
	snprintf(ifc.name, sizeof(ifc.name), "hw0");
	ifc.queues = ifc.ring_rx = ifc.ring_tx = ifc.hds_threshold = RP_UNSET;
	ifc.channels_rx = ifc.channels_tx = ifc.channels_combined = RP_UNSET;
	ifc.coalesce_rx_usecs = ifc.coalesce_tx_usecs = RP_UNSET;
	ifc.coalesce_rx_frames = ifc.coalesce_tx_frames = ifc.rss_equal = RP_UNSET;
	ifc.napi_defer_hard_irqs = ifc.napi_gro_flush_timeout = RP_UNSET;
	ifc.napi_irq_suspend_timeout = RP_UNSET;
	ifc.tcp_data_split = ifc.adaptive_rx = ifc.adaptive_tx = ifc.threaded_napi = RP_TRI_UNSET;
	ifc.zcrx = true;
	ifc.zcrx_queue = 2;
	ifc.zcrx_mark = (struct rp_mark){ 9, 18 };
	{
		struct sockaddr_in *sin = (struct sockaddr_in *)&ifc.zcrx_listen.ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(7400);
		inet_pton(AF_INET, "10.0.0.1", &sin->sin_addr);
		ifc.zcrx_listen.len = sizeof(*sin);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rp_nic_plan_free(&plan);
	free(dev);
	return 0;
}

static enum rp_zcrx_why judge(bool dma, unsigned queue, char *text, size_t len)
{
	struct rp_zcrx_verdict v;

	rp_nic_zcrx_judge(dev, dma, queue, &v);
	snprintf(text, len, "%s", v.text);
	return v.why;
}

/* Each missing piece in turn, first one named. */
static void test_judge_reasons(void **state)
{
	char t[256];

	(void)state;
	assert_int_equal(judge(true, 2, t, sizeof(t)), RP_ZCRX_USABLE);
	assert_int_equal(judge(false, 2, t, sizeof(t)), RP_ZCRX_SOFTWARE);
	assert_non_null(strstr(t, "software device (driver fastnic)"));
	assert_int_equal(judge(true, NQ, t, sizeof(t)), RP_ZCRX_NO_QUEUE);
	assert_non_null(strstr(t, "rx queue 4 missing: hw0 has 4 rx queues"));
	dev->feat.f[1].fixed = true;	/* ntuple: off [fixed] */
	assert_int_equal(judge(true, 2, t, sizeof(t)), RP_ZCRX_NO_NTUPLE);
	assert_non_null(strstr(t, "no ntuple support"));
	dev->feat.n = 1;		/* not offered at all */
	assert_int_equal(judge(true, 2, t, sizeof(t)), RP_ZCRX_NO_NTUPLE);
	dev->feat.n = 2;
	dev->feat.f[1].fixed = false;
	rp_nic_status_set(&dev->rss.st, EOPNOTSUPP, "Operation not supported");
	assert_int_equal(judge(true, 2, t, sizeof(t)), RP_ZCRX_NO_RSS);
	memset(&dev->rss.st, 0, sizeof(dev->rss.st));
	set_ring("tcp-data-split", 0);	/* ETHTOOL_TCP_DATA_SPLIT_UNKNOWN */
	assert_int_equal(judge(true, 2, t, sizeof(t)), RP_ZCRX_NO_HDS);
	assert_string_equal(t, "hw0: tcp-data-split not supported by fastnic");
	rp_nic_status_set(&dev->sect[RP_NIC_RINGS].st, EOPNOTSUPP, "Operation not supported");
	assert_int_equal(judge(true, 2, t, sizeof(t)), RP_ZCRX_NO_HDS);
	assert_string_equal(rp_zcrx_why_name(RP_ZCRX_NO_HDS), "no-tcp-data-split");
	assert_string_equal(rp_zcrx_why_name(RP_ZCRX_NO_DMABUF), "no-udmabuf");
}

static const struct rp_nic_change *find(const char *what)
{
	return plan_find(&plan, what);
}

static void make(void)
{
	rp_nic_plan_free(&plan);
	assert_int_equal(rp_nic_plan_make("t.yaml", &ifc, dev, &plan), 0);
}

/* A capable NIC: every piece of the preparation, from -> to. */
static void test_plan_capable(void **state)
{
	const struct rp_nic_change *c;

	(void)state;
	make();
	assert_int_equal(plan.n, 5);
	assert_int_equal(plan.n_unsupported, 0);
	c = find("zcrx: tcp-data-split");
	assert_int_equal(c->from, 1);
	assert_int_equal(c->to, 2);
	assert_int_equal(c->mark.line, 9);
	c = find("zcrx: hds-thresh");
	assert_int_equal(c->from, 256);
	assert_int_equal(c->to, 0);
	c = find("zcrx: features.rx-ntuple-filter");
	assert_int_equal(c->to, 1);
	c = find("zcrx: rss.indirection without the queue");
	assert_int_equal(c->n_indir, 16);
	for (unsigned i = 0; i < 16; i++) {
		assert_int_not_equal(c->to_indir[i], 2);	/* queue 2 out of RSS */
		if (c->from_indir[i] != 2)
			assert_int_equal(c->to_indir[i], c->from_indir[i]);
	}
	c = find("zcrx: ntuple rule");
	assert_string_equal(c->to_text, "tcp4 dst 10.0.0.1:7400 -> queue 2");
	assert_int_equal(c->nt.queue, 2);
	assert_int_equal(c->nt.port, 7400);
}

/* What is already in place is left out; no zcrx asked: nothing at all. */
static void test_plan_in_place(void **state)
{
	(void)state;
	set_ring("tcp-data-split", 2);
	set_ring("hds-thresh", 0);
	dev->feat.f[1].active = true;
	for (unsigned i = 0; i < 16; i++)
		dev->rss.indir[i] = i % 2;	/* queues 0 and 1 only */
	dev->n_ntuple = 1;
	dev->ntuple[0] = (struct rp_nic_ntuple){ .loc = 5, .port = 7400, .queue = 2 };
	inet_pton(AF_INET, "10.0.0.1", &dev->ntuple[0].ip4);
	make();
	assert_int_equal(plan.n, 0);
	ifc.zcrx = false;
	set_ring("tcp-data-split", 1);
	make();
	assert_int_equal(plan.n, 0);
}

/* The interface's own RSS setting gets the queue taken out of it, rather
 * than a second, conflicting table. */
static void test_plan_own_rss(void **state)
{
	const struct rp_nic_change *c;

	(void)state;
	ifc.rss_equal = 4;
	for (unsigned i = 0; i < 16; i++)
		dev->rss.indir[i] = 0;
	make();
	c = find("rss.indirection");
	for (unsigned i = 0; i < 16; i++)
		assert_int_not_equal(c->to_indir[i], 2);
	for (unsigned i = 0; i < plan.n; i++)
		assert_null(strstr(plan.c[i].what, "without the queue"));
}

/* A veth-like device: each piece not supported, with the reason; apply
 * refuses before changing anything. */
static void test_plan_refused(void **state)
{
	struct rp_nic_status st;

	(void)state;
	snprintf(dev->driver, sizeof(dev->driver), "veth");
	rp_nic_status_set(&dev->sect[RP_NIC_RINGS].st, EOPNOTSUPP, "Operation not supported");
	dev->feat.f[1].fixed = true;
	rp_nic_status_set(&dev->rss.st, EOPNOTSUPP, "Operation not supported");
	rp_nic_status_set(&dev->ntuple_st, EOPNOTSUPP, "ETHTOOL_GRXCLSRLCNT: ntuple rules not "
			  "supported by the driver");
	make();
	assert_int_equal(plan.n_unsupported, 4);
	assert_non_null(strstr(find("zcrx: tcp-data-split")->why, "not supported by veth"));
	assert_non_null(strstr(find("zcrx: features.rx-ntuple-filter")->why, "fixed off"));
	assert_true(find("zcrx: rss.indirection without the queue")->unsupported);
	assert_non_null(strstr(find("zcrx: ntuple rule")->why, "ntuple rules not supported"));
	assert_int_equal(rp_nic_plan_apply(NULL, &plan, NULL, &st), -1);
	assert_non_null(strstr(st.msg, "nothing changed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_judge_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_capable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_own_rss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
