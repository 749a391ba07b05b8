// SPDX-License-Identifier: MIT
/*
 * RSS (ethtool -x/-X): hash function, key and indirection table of the
 * default context. Read with ETHTOOL_MSG_RSS_GET; set with RSS_SET, which
 * the kernel has over netlink since 6.17 (older ones answer EOPNOTSUPP and
 * nicmgr says so).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nicmgr/family.h"
#include "nicmgr/uapi.h"

int rp_nic_rss_parse(const struct nlmsghdr *nlh, struct rp_nic_rss *rss)
{
	static const uint8_t policy[ETHTOOL_A_RSS_MAX + 1] = {
		[ETHTOOL_A_RSS_HFUNC] = RP_NLA_U32,
		[ETHTOOL_A_RSS_INDIR] = RP_NLA_BINARY,
		[ETHTOOL_A_RSS_HKEY] = RP_NLA_BINARY,
	};
	const struct nlattr *tb[ETHTOOL_A_RSS_MAX + 1];
	const struct nlattr *a;

	if (rp_nl_parse_msg(nlh, policy, ETHTOOL_A_RSS_MAX, tb) < 0)
		return -1;
	rss->hfunc = RP_NIC_ABSENT;
	if (tb[ETHTOOL_A_RSS_HFUNC]) {
		uint32_t v = mnl_attr_get_u32(tb[ETHTOOL_A_RSS_HFUNC]);

		rss->hfunc = v ? __builtin_ctz(v) : RP_NIC_ABSENT;
	}
	rss->n_indir = 0;
	if ((a = tb[ETHTOOL_A_RSS_INDIR])) {
		uint16_t len = mnl_attr_get_payload_len(a);

		if (len % 4 || len / 4 > RP_INDIR_MAX)
			return -1;	/* not a whole u32 table, or absurdly long */
		rss->n_indir = len / 4;
		memcpy(rss->indir, mnl_attr_get_payload(a), len);
	}
	rss->key_len = 0;
	if ((a = tb[ETHTOOL_A_RSS_HKEY])) {
		uint16_t len = mnl_attr_get_payload_len(a);

		if (len > RP_NIC_RSS_KEY_MAX)
			return -1;
		rss->key_len = len;
		memcpy(rss->key, mnl_attr_get_payload(a), len);
	}
	return 0;
}

static int rss_cb(const struct nlmsghdr *nlh, void *data)
{
	return rp_nic_rss_parse(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

void rp_nic_rss_read(struct rp_nl *nl, const char *dev, struct rp_nic_rss *rss)
{
	struct rp_nic_status e;

	memset(rss, 0, sizeof(*rss));
	rss->hfunc = RP_NIC_ABSENT;
	if (!nl->ethtool_family) {
		rp_nic_status_set(&rss->st, EOPNOTSUPP, "kernel has no ethtool netlink family");
		return;
	}
	if (rp_nl_talk(nl, rp_nl_ethtool_req(nl, ETHTOOL_MSG_RSS_GET, dev, 0), rss_cb, rss,
		       &rss->st) < 0)
		return;
	/* The names let a plan turn "toeplitz" into its bit. */
	if (rp_nic_strset_read(nl, dev, ETH_SS_RSS_HASH_FUNCS, rss->hfuncs, RP_NIC_HFUNCS_MAX,
			       &rss->n_hfuncs, &e) == 0 &&	/* without them: no name */
	    rss->hfunc >= 0 && rss->hfunc < rss->n_hfuncs)
		snprintf(rss->hfunc_name, sizeof(rss->hfunc_name), "%s", rss->hfuncs[rss->hfunc]);
}

int rp_nic_rss_set(struct rp_nl *nl, const char *dev, int64_t hfunc, const uint32_t *indir,
		   unsigned n_indir, struct rp_nic_status *e)
{
	struct nlmsghdr *nlh = rp_nl_ethtool_req(nl, RP_ETHTOOL_MSG_RSS_SET, dev, 0);

	if (hfunc != RP_NIC_ABSENT)
		mnl_attr_put_u32(nlh, ETHTOOL_A_RSS_HFUNC, 1u << hfunc);
	if (indir)
		mnl_attr_put(nlh, ETHTOOL_A_RSS_INDIR, n_indir * sizeof(*indir), indir);
	return rp_nl_talk(nl, nlh, NULL, NULL, e);
}
