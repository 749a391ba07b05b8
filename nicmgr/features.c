// SPDX-License-Identifier: MIT
/*
 * ethtool features (ethtool -k/-K). Read as compact bitsets (hw = the
 * changeable ones, wanted, active, nochange) named by the ETH_SS_FEATURES
 * string set; set one feature by name with a verbose bitset, which carries
 * its own mask, so nothing else is touched.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nicmgr/family.h"

#define FEAT_WORDS ((RP_NIC_FEATURES_MAX + 31) / 32)

struct bits {
	unsigned n;
	uint32_t w[FEAT_WORDS];
};

static int bitset_parse(const struct nlattr *nest, struct bits *b)
{
	static const uint8_t policy[ETHTOOL_A_BITSET_MAX + 1] = {
		[ETHTOOL_A_BITSET_NOMASK] = RP_NLA_FLAG,
		[ETHTOOL_A_BITSET_SIZE] = RP_NLA_U32,
		[ETHTOOL_A_BITSET_VALUE] = RP_NLA_BINARY,
	};
	const struct nlattr *tb[ETHTOOL_A_BITSET_MAX + 1];
	uint32_t size;
	size_t need;

	memset(b, 0, sizeof(*b));
	if (!nest)
		return 0;
	if (rp_nl_parse_nest(nest, policy, ETHTOOL_A_BITSET_MAX, tb) < 0 ||
	    !tb[ETHTOOL_A_BITSET_SIZE] || !tb[ETHTOOL_A_BITSET_VALUE])
		return -1;
	size = mnl_attr_get_u32(tb[ETHTOOL_A_BITSET_SIZE]);
	need = (size + 31) / 32 * 4;
	if (mnl_attr_get_payload_len(tb[ETHTOOL_A_BITSET_VALUE]) < need)
		return -1;	/* fewer value words than the size says */
	b->n = size < RP_NIC_FEATURES_MAX ? size : RP_NIC_FEATURES_MAX;
	memcpy(b->w, mnl_attr_get_payload(tb[ETHTOOL_A_BITSET_VALUE]),
	       need < sizeof(b->w) ? need : sizeof(b->w));
	return 0;
}

static bool bit(const struct bits *b, unsigned i)
{
	return i < b->n && (b->w[i / 32] >> (i % 32)) & 1;
}

int rp_nic_features_parse(const struct nlmsghdr *nlh, char (*names)[RP_SS_NAME],
			  unsigned n_names, struct rp_nic_features *f)
{
	static const uint8_t policy[ETHTOOL_A_FEATURES_MAX + 1] = {
		[ETHTOOL_A_FEATURES_HW] = RP_NLA_NESTED,
		[ETHTOOL_A_FEATURES_WANTED] = RP_NLA_NESTED,
		[ETHTOOL_A_FEATURES_ACTIVE] = RP_NLA_NESTED,
		[ETHTOOL_A_FEATURES_NOCHANGE] = RP_NLA_NESTED,
	};
	const struct nlattr *tb[ETHTOOL_A_FEATURES_MAX + 1];
	struct bits hw, wanted, active, nochange;

	f->n = 0;
	if (rp_nl_parse_msg(nlh, policy, ETHTOOL_A_FEATURES_MAX, tb) < 0 ||
	    !tb[ETHTOOL_A_FEATURES_ACTIVE] ||
	    bitset_parse(tb[ETHTOOL_A_FEATURES_HW], &hw) < 0 ||
	    bitset_parse(tb[ETHTOOL_A_FEATURES_WANTED], &wanted) < 0 ||
	    bitset_parse(tb[ETHTOOL_A_FEATURES_ACTIVE], &active) < 0 ||
	    bitset_parse(tb[ETHTOOL_A_FEATURES_NOCHANGE], &nochange) < 0)
		return -1;
	for (unsigned i = 0; i < n_names && i < RP_NIC_FEATURES_MAX; i++) {
		struct rp_nic_feature *x = &f->f[f->n];

		if (!names[i][0])
			continue;
		snprintf(x->name, sizeof(x->name), "%s", names[i]);
		x->active = bit(&active, i);
		x->wanted = bit(&wanted, i);
		/* what ethtool -k calls [fixed] */
		x->fixed = !bit(&hw, i) || bit(&nochange, i);
		f->n++;
	}
	return 0;
}

struct features_cb {
	char (*names)[RP_SS_NAME];
	unsigned n_names;
	struct rp_nic_features *f;
};

static int features_cb(const struct nlmsghdr *nlh, void *data)
{
	struct features_cb *c = data;

	return rp_nic_features_parse(nlh, c->names, c->n_names, c->f) < 0 ? MNL_CB_ERROR
									   : MNL_CB_OK;
}

void rp_nic_features_read(struct rp_nl *nl, const char *dev, struct rp_nic_features *f)
{
	char names[RP_NIC_FEATURES_MAX][RP_SS_NAME];
	struct features_cb c = { names, 0, f };
	struct nlmsghdr *nlh;

	memset(f, 0, sizeof(*f));
	if (!nl->ethtool_family) {
		rp_nic_status_set(&f->st, EOPNOTSUPP, "kernel has no ethtool netlink family");
		return;
	}
	if (rp_nic_strset_read(nl, dev, ETH_SS_FEATURES, names, RP_NIC_FEATURES_MAX,
			       &c.n_names, &f->st) < 0)
		return;
	nlh = rp_nl_ethtool_req(nl, ETHTOOL_MSG_FEATURES_GET, dev, ETHTOOL_FLAG_COMPACT_BITSETS);
	rp_nl_talk(nl, nlh, features_cb, &c, &f->st);
}

int rp_nic_feature_set(struct rp_nl *nl, const char *dev, const char *name, bool on,
		       struct rp_nic_status *e)
{
	struct nlmsghdr *nlh = rp_nl_ethtool_req(nl, ETHTOOL_MSG_FEATURES_SET, dev,
						 ETHTOOL_FLAG_OMIT_REPLY);
	struct nlattr *wanted = mnl_attr_nest_start(nlh, ETHTOOL_A_FEATURES_WANTED);
	struct nlattr *bits = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS);
	struct nlattr *b = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS_BIT);

	mnl_attr_put_strz(nlh, ETHTOOL_A_BITSET_BIT_NAME, name);
	if (on)
		mnl_attr_put(nlh, ETHTOOL_A_BITSET_BIT_VALUE, 0, NULL);
	mnl_attr_nest_end(nlh, b);
	mnl_attr_nest_end(nlh, bits);
	mnl_attr_nest_end(nlh, wanted);
	return rp_nl_talk(nl, nlh, NULL, NULL, e);
}
