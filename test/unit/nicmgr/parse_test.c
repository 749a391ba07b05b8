// SPDX-License-Identifier: MIT
/*
 * nicmgr's parsers against malformed netlink answers.
 *
 * Each case builds a well-formed answer the way the kernel does (genl
 * header, then attributes), checks it parses to the right values, then:
 *  - cuts it at every length: each copy lives in a heap block of exactly
 *    that size, so a read past the end is an ASan error; a cut inside an
 *    attribute must be refused (-1), a cut between attributes (or of only
 *    the last one's padding) may parse;
 *  - gives a key attribute a wrong length: refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/genetlink.h>

#include "nicmgr/family.h"

#define MSG_MAX 8192
#define BOUNDS_MAX 64

struct msg {
	char buf[MSG_MAX];
	struct nlmsghdr *nlh;
	unsigned bound[BOUNDS_MAX];	/* lengths at which the message ends cleanly */
	unsigned n_bound;
};

static void msg_start(struct msg *m)
{
	struct genlmsghdr *g;

	memset(m->buf, 0, sizeof(m->buf));
	m->nlh = mnl_nlmsg_put_header(m->buf);
	m->nlh->nlmsg_type = 0x20;
	g = mnl_nlmsg_put_extra_header(m->nlh, sizeof(*g));
	g->cmd = 1;
	m->n_bound = 0;
	m->bound[m->n_bound++] = m->nlh->nlmsg_len;
}

/* Call after each top-level attribute. */
static void msg_mark(struct msg *m)
{
	assert_true(m->n_bound < BOUNDS_MAX);
	m->bound[m->n_bound++] = m->nlh->nlmsg_len;
}

/* A clean end, or one that lacks only the last attribute's padding. */
static bool at_bound(const struct msg *m, unsigned len)
{
	for (unsigned i = 0; i < m->n_bound; i++)
		if (m->bound[i] == MNL_ALIGN(len))
			return true;
	return false;
}

typedef int (*parse_fn)(const struct nlmsghdr *nlh, void *out);

/* Every cut of m: refused inside an attribute, never a crash or overread. */
static void check_cuts(const struct msg *m, parse_fn fn, void *out)
{
	unsigned full = m->nlh->nlmsg_len;

	for (unsigned len = sizeof(struct nlmsghdr); len < full; len++) {
		struct nlmsghdr *copy = malloc(len);
		int ret;

		assert_non_null(copy);
		memcpy(copy, m->buf, len);
		copy->nlmsg_len = len;
		ret = fn(copy, out);
		if (!at_bound(m, len)) {
			if (ret != -1)
				fail_msg("cut at %u of %u parsed (ret %d)", len, full, ret);
		}
		free(copy);
	}
}

/* ---- parser adapters ---------------------------------------------------- */

static int p_channels(const struct nlmsghdr *nlh, void *out)
{
	return rp_nic_sect_parse(nlh, rp_nic_sects[RP_NIC_CHANNELS], out);
}

static int p_rings(const struct nlmsghdr *nlh, void *out)
{
	return rp_nic_sect_parse(nlh, rp_nic_sects[RP_NIC_RINGS], out);
}

static int p_link(const struct nlmsghdr *nlh, void *out)
{
	return rp_nic_linkstate_parse(nlh, out);
}

static int p_rss(const struct nlmsghdr *nlh, void *out)
{
	return rp_nic_rss_parse(nlh, out);
}

static int p_napi(const struct nlmsghdr *nlh, void *out)
{
	unsigned ifindex;

	return rp_nic_napi_parse(nlh, &ifindex, out);
}

static int p_queue(const struct nlmsghdr *nlh, void *out)
{
	unsigned ifindex;

	return rp_nic_queue_parse(nlh, &ifindex, out);
}

static int p_qstats(const struct nlmsghdr *nlh, void *out)
{
	unsigned ifindex;

	return rp_nic_qstats_parse(nlh, &ifindex, out);
}

static char names[RP_NIC_FEATURES_MAX][RP_SS_NAME];

static int p_strset(const struct nlmsghdr *nlh, void *out)
{
	return rp_nic_strset_parse(nlh, names, RP_NIC_FEATURES_MAX, out);
}

static int p_features(const struct nlmsghdr *nlh, void *out)
{
	return rp_nic_features_parse(nlh, names, 3, out);
}

static void put_header(struct msg *m)
{
	struct nlattr *h = mnl_attr_nest_start(m->nlh, 1);

	mnl_attr_put_strz(m->nlh, ETHTOOL_A_HEADER_DEV_NAME, "veth0");
	mnl_attr_nest_end(m->nlh, h);
	msg_mark(m);
}

static void put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	mnl_attr_put_u32(m->nlh, type, v);
	msg_mark(m);
}

/* ---- cases -------------------------------------------------------------- */

static void test_channels(void **state)
{
	struct rp_nic_sect s;
	struct msg m;

	(void)state;
	msg_start(&m);
	put_header(&m);
	put_u32(&m, ETHTOOL_A_CHANNELS_RX_MAX, 4);
	put_u32(&m, ETHTOOL_A_CHANNELS_RX_COUNT, 2);
	put_u32(&m, ETHTOOL_A_CHANNELS_COMBINED_COUNT, 7);
	assert_int_equal(p_channels(m.nlh, &s), 0);
	assert_int_equal(s.v[0], 4);			/* rx-max */
	assert_int_equal(s.v[1], RP_NIC_ABSENT);	/* tx-max: not sent */
	assert_int_equal(s.v[4], 2);			/* rx */
	assert_int_equal(s.v[7], 7);			/* combined */
	check_cuts(&m, p_channels, &s);

	/* a u32 sent as two bytes */
	msg_start(&m);
	mnl_attr_put_u16(m.nlh, ETHTOOL_A_CHANNELS_RX_COUNT, 2);
	assert_int_equal(p_channels(m.nlh, &s), -1);
	/* an attribute whose length runs past the message */
	msg_start(&m);
	put_u32(&m, ETHTOOL_A_CHANNELS_TX_COUNT, 1);
	((struct nlattr *)((char *)m.nlh + m.bound[0]))->nla_len = 200;
	assert_int_equal(p_channels(m.nlh, &s), -1);
}

static void test_rings(void **state)
{
	struct rp_nic_sect s;
	struct msg m;

	(void)state;
	msg_start(&m);
	put_header(&m);
	put_u32(&m, ETHTOOL_A_RINGS_RX, 256);
	mnl_attr_put_u8(m.nlh, ETHTOOL_A_RINGS_TCP_DATA_SPLIT, ETHTOOL_TCP_DATA_SPLIT_ENABLED);
	msg_mark(&m);
	put_u32(&m, RP_ETHTOOL_A_RINGS_HDS_THRESH, 128);
	assert_int_equal(p_rings(m.nlh, &s), 0);
	assert_int_equal(s.v[4], 256);
	assert_int_equal(s.v[9], ETHTOOL_TCP_DATA_SPLIT_ENABLED);
	assert_int_equal(s.v[13], 128);
	check_cuts(&m, p_rings, &s);

	msg_start(&m);	/* u8 sent as u32 */
	put_u32(&m, ETHTOOL_A_RINGS_TCP_DATA_SPLIT, 2);
	assert_int_equal(p_rings(m.nlh, &s), -1);
}

static void test_linkstate(void **state)
{
	struct msg m;
	int up = -1;

	(void)state;
	msg_start(&m);
	put_header(&m);
	mnl_attr_put_u8(m.nlh, ETHTOOL_A_LINKSTATE_LINK, 1);
	msg_mark(&m);
	assert_int_equal(p_link(m.nlh, &up), 0);
	assert_int_equal(up, 1);
	check_cuts(&m, p_link, &up);

	msg_start(&m);
	put_u32(&m, ETHTOOL_A_LINKSTATE_LINK, 1);
	assert_int_equal(p_link(m.nlh, &up), -1);
}

static void test_rss(void **state)
{
	static struct rp_nic_rss rss;
	uint32_t indir[8] = { 0, 1, 2, 3, 0, 1, 2, 3 };
	uint8_t key[40] = { 0x6d, 0x5a };
	struct msg m;

	(void)state;
	msg_start(&m);
	put_header(&m);
	put_u32(&m, ETHTOOL_A_RSS_HFUNC, 1u << 0);
	mnl_attr_put(m.nlh, ETHTOOL_A_RSS_INDIR, sizeof(indir), indir);
	msg_mark(&m);
	mnl_attr_put(m.nlh, ETHTOOL_A_RSS_HKEY, sizeof(key), key);
	msg_mark(&m);
	assert_int_equal(p_rss(m.nlh, &rss), 0);
	assert_int_equal(rss.hfunc, 0);
	assert_int_equal(rss.n_indir, 8);
	assert_int_equal(rss.indir[3], 3);
	assert_int_equal(rss.key_len, 40);
	check_cuts(&m, p_rss, &rss);

	/* an indirection table that is not whole u32s */
	msg_start(&m);
	mnl_attr_put(m.nlh, ETHTOOL_A_RSS_INDIR, 6, indir);
	assert_int_equal(p_rss(m.nlh, &rss), -1);
}

static void test_napi(void **state)
{
	struct rp_nic_napi n;
	struct msg m;

	(void)state;
	msg_start(&m);
	put_u32(&m, NETDEV_A_NAPI_IFINDEX, 3);
	put_u32(&m, NETDEV_A_NAPI_ID, 8193);
	put_u32(&m, NETDEV_A_NAPI_IRQ, 38);
	put_u32(&m, RP_NETDEV_A_NAPI_DEFER_HARD_IRQS, 2);
	mnl_attr_put_u64(m.nlh, RP_NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT, 20000);	/* uint as 8 bytes */
	msg_mark(&m);
	put_u32(&m, RP_NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT, 5);			/* uint as 4 bytes */
	assert_int_equal(p_napi(m.nlh, &n), 0);
	assert_int_equal(n.v[RP_NAPI_ID], 8193);
	assert_int_equal(n.v[RP_NAPI_IRQ], 38);
	assert_int_equal(n.v[RP_NAPI_PID], RP_NIC_ABSENT);
	assert_int_equal(n.v[RP_NAPI_GRO_FLUSH_TIMEOUT], 20000);
	assert_int_equal(n.v[RP_NAPI_IRQ_SUSPEND_TIMEOUT], 5);
	check_cuts(&m, p_napi, &n);

	/* uint of 2 bytes */
	msg_start(&m);
	put_u32(&m, NETDEV_A_NAPI_IFINDEX, 3);
	put_u32(&m, NETDEV_A_NAPI_ID, 1);
	mnl_attr_put_u16(m.nlh, RP_NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT, 7);
	assert_int_equal(p_napi(m.nlh, &n), -1);
	/* no id: not a NAPI */
	msg_start(&m);
	put_u32(&m, NETDEV_A_NAPI_IFINDEX, 3);
	assert_int_equal(p_napi(m.nlh, &n), -1);
}

static void test_queue_qstats(void **state)
{
	struct rp_nic_queue q;
	struct msg m;

	(void)state;
	msg_start(&m);
	put_u32(&m, NETDEV_A_QUEUE_ID, 2);
	put_u32(&m, NETDEV_A_QUEUE_IFINDEX, 3);
	put_u32(&m, NETDEV_A_QUEUE_TYPE, NETDEV_QUEUE_TYPE_RX);
	put_u32(&m, NETDEV_A_QUEUE_NAPI_ID, 8195);
	assert_int_equal(p_queue(m.nlh, &q), 0);
	assert_int_equal(q.id, 2);
	assert_int_equal(q.napi_id, 8195);
	check_cuts(&m, p_queue, &q);

	msg_start(&m);
	put_u32(&m, NETDEV_A_QSTATS_IFINDEX, 3);
	put_u32(&m, NETDEV_A_QSTATS_QUEUE_TYPE, NETDEV_QUEUE_TYPE_TX);
	put_u32(&m, NETDEV_A_QSTATS_QUEUE_ID, 1);
	mnl_attr_put_u64(m.nlh, NETDEV_A_QSTATS_TX_BYTES, 1ULL << 40);
	msg_mark(&m);
	put_u32(&m, NETDEV_A_QSTATS_TX_PACKETS, 9);
	assert_int_equal(p_qstats(m.nlh, &q), 0);
	assert_true(q.type == RP_NIC_QTX);
	assert_true(q.stats[NETDEV_A_QSTATS_TX_BYTES] == 1ULL << 40);
	assert_int_equal(q.stats[NETDEV_A_QSTATS_TX_PACKETS], 9);
	assert_true(q.stats_mask & (1ULL << NETDEV_A_QSTATS_TX_PACKETS));
	assert_false(q.stats_mask & (1ULL << NETDEV_A_QSTATS_RX_PACKETS));
	check_cuts(&m, p_qstats, &q);

	msg_start(&m);	/* queue type of one byte */
	put_u32(&m, NETDEV_A_QUEUE_ID, 2);
	put_u32(&m, NETDEV_A_QUEUE_IFINDEX, 3);
	mnl_attr_put_u8(m.nlh, NETDEV_A_QUEUE_TYPE, 0);
	assert_int_equal(p_queue(m.nlh, &q), -1);
}

/* STRSET_GET reply with the three names; returns the message. */
static void build_strset(struct msg *m)
{
	static const char *const s[] = { "rx-gro", "tx-checksum-ip-generic", "highdma" };
	struct nlattr *sets, *set, *strings, *str;

	msg_start(m);
	put_header(m);
	sets = mnl_attr_nest_start(m->nlh, ETHTOOL_A_STRSET_STRINGSETS);
	set = mnl_attr_nest_start(m->nlh, ETHTOOL_A_STRINGSETS_STRINGSET);
	mnl_attr_put_u32(m->nlh, ETHTOOL_A_STRINGSET_ID, ETH_SS_FEATURES);
	mnl_attr_put_u32(m->nlh, ETHTOOL_A_STRINGSET_COUNT, 3);
	strings = mnl_attr_nest_start(m->nlh, ETHTOOL_A_STRINGSET_STRINGS);
	for (unsigned i = 0; i < 3; i++) {
		str = mnl_attr_nest_start(m->nlh, ETHTOOL_A_STRINGS_STRING);
		mnl_attr_put_u32(m->nlh, ETHTOOL_A_STRING_INDEX, i);
		mnl_attr_put_strz(m->nlh, ETHTOOL_A_STRING_VALUE, s[i]);
		mnl_attr_nest_end(m->nlh, str);
	}
	mnl_attr_nest_end(m->nlh, strings);
	mnl_attr_nest_end(m->nlh, set);
	mnl_attr_nest_end(m->nlh, sets);
	msg_mark(m);
}

static void test_strset(void **state)
{
	unsigned n = 0;
	struct msg m;
	struct nlattr *a;

	(void)state;
	build_strset(&m);
	assert_int_equal(p_strset(m.nlh, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[1], "tx-checksum-ip-generic");
	check_cuts(&m, p_strset, &n);

	/* a string without its terminating NUL: find the last value attribute
	 * and drop its NUL by shortening its length (the nests stay framed). */
	build_strset(&m);
	a = (struct nlattr *)((char *)m.nlh + m.nlh->nlmsg_len - MNL_ALIGN(sizeof("highdma")) -
			      MNL_ATTR_HDRLEN);
	assert_int_equal(mnl_attr_get_type(a), ETHTOOL_A_STRING_VALUE);
	a->nla_len = MNL_ATTR_HDRLEN + strlen("highdma");
	memset((char *)mnl_attr_get_payload(a) + strlen("highdma"), 'x', 1);
	assert_int_equal(p_strset(m.nlh, &n), -1);
}

static void put_bitset(struct msg *m, uint16_t type, uint32_t bits, uint32_t value_len)
{
	struct nlattr *b = mnl_attr_nest_start(m->nlh, type);

	mnl_attr_put(m->nlh, ETHTOOL_A_BITSET_NOMASK, 0, NULL);
	mnl_attr_put_u32(m->nlh, ETHTOOL_A_BITSET_SIZE, 3);
	mnl_attr_put(m->nlh, ETHTOOL_A_BITSET_VALUE, value_len, &bits);
	mnl_attr_nest_end(m->nlh, b);
	msg_mark(m);
}

static void test_features(void **state)
{
	static struct rp_nic_features f;
	unsigned n;
	struct msg m;

	(void)state;
	build_strset(&m);
	assert_int_equal(p_strset(m.nlh, &n), 0);

	msg_start(&m);
	put_header(&m);
	put_bitset(&m, ETHTOOL_A_FEATURES_HW, 0x3, 4);		/* rx-gro, csum changeable */
	put_bitset(&m, ETHTOOL_A_FEATURES_WANTED, 0x5, 4);
	put_bitset(&m, ETHTOOL_A_FEATURES_ACTIVE, 0x5, 4);	/* rx-gro, highdma on */
	put_bitset(&m, ETHTOOL_A_FEATURES_NOCHANGE, 0x0, 4);
	assert_int_equal(p_features(m.nlh, &f), 0);
	assert_int_equal(f.n, 3);
	assert_true(f.f[0].active && !f.f[0].fixed);
	assert_true(!f.f[1].active && !f.f[1].fixed);
	assert_true(f.f[2].active && f.f[2].fixed);
	check_cuts(&m, p_features, &f);

	/* value shorter than the bitset's size needs */
	msg_start(&m);
	put_bitset(&m, ETHTOOL_A_FEATURES_ACTIVE, 0x5, 2);
	assert_int_equal(p_features(m.nlh, &f), -1);
}

/* Messages shorter than a genl header never reach an attribute. */
static void test_short_header(void **state)
{
	struct rp_nic_sect s;
	struct nlmsghdr *h = malloc(sizeof(*h) + 2);

	(void)state;
	assert_non_null(h);
	memset(h, 0, sizeof(*h) + 2);
	h->nlmsg_len = sizeof(*h) + 2;
	assert_int_equal(p_channels(h, &s), -1);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_channels),
		cmocka_unit_test(test_rings),
		cmocka_unit_test(test_linkstate),
		cmocka_unit_test(test_rss),
		cmocka_unit_test(test_napi),
		cmocka_unit_test(test_queue_qstats),
		cmocka_unit_test(test_strset),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_short_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
