// SPDX-License-Identifier: MIT
/* ethtool string sets: the names behind feature bits and RSS hash functions. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nicmgr/family.h"

struct strset_out {
	char (*names)[RP_SS_NAME];
	unsigned max;
	unsigned *n;
};

static int string_parse(const struct nlattr *nest, void *data)
{
	struct strset_out *o = data;
	static const uint8_t policy[ETHTOOL_A_STRING_MAX + 1] = {
		[ETHTOOL_A_STRING_INDEX] = RP_NLA_U32,
		[ETHTOOL_A_STRING_VALUE] = RP_NLA_STRING,
	};
	const struct nlattr *tb[ETHTOOL_A_STRING_MAX + 1];
	uint32_t i;

	if (rp_nl_parse_nest(nest, policy, ETHTOOL_A_STRING_MAX, tb) < 0 ||
	    !tb[ETHTOOL_A_STRING_INDEX])
		return -1;
	i = mnl_attr_get_u32(tb[ETHTOOL_A_STRING_INDEX]);
	if (i >= o->max)
		return 0;	/* more strings than we keep: not an error */
	snprintf(o->names[i], RP_SS_NAME, "%s",
		 tb[ETHTOOL_A_STRING_VALUE] ? mnl_attr_get_str(tb[ETHTOOL_A_STRING_VALUE]) : "");
	if (i + 1 > *o->n)
		*o->n = i + 1;
	return 0;
}

static int strings_each(const struct nlattr *a, void *data)
{
	return mnl_attr_get_type(a) == ETHTOOL_A_STRINGS_STRING ? string_parse(a, data) : 0;
}

static int stringset_parse(const struct nlattr *nest, void *data)
{
	static const uint8_t policy[ETHTOOL_A_STRINGSET_MAX + 1] = {
		[ETHTOOL_A_STRINGSET_ID] = RP_NLA_U32,
		[ETHTOOL_A_STRINGSET_COUNT] = RP_NLA_U32,
		[ETHTOOL_A_STRINGSET_STRINGS] = RP_NLA_NESTED,
	};
	const struct nlattr *tb[ETHTOOL_A_STRINGSET_MAX + 1];

	if (rp_nl_parse_nest(nest, policy, ETHTOOL_A_STRINGSET_MAX, tb) < 0)
		return -1;
	if (!tb[ETHTOOL_A_STRINGSET_STRINGS])
		return 0;
	return rp_nl_nest_each(tb[ETHTOOL_A_STRINGSET_STRINGS], strings_each, data);
}

static int stringsets_each(const struct nlattr *a, void *data)
{
	return mnl_attr_get_type(a) == ETHTOOL_A_STRINGSETS_STRINGSET ? stringset_parse(a, data) : 0;
}

int rp_nic_strset_parse(const struct nlmsghdr *nlh, char (*names)[RP_SS_NAME], unsigned max,
			unsigned *n)
{
	static const uint8_t policy[ETHTOOL_A_STRSET_MAX + 1] = {
		[ETHTOOL_A_STRSET_STRINGSETS] = RP_NLA_NESTED,
	};
	const struct nlattr *tb[ETHTOOL_A_STRSET_MAX + 1];
	struct strset_out o = { names, max, n };

	*n = 0;
	if (rp_nl_parse_msg(nlh, policy, ETHTOOL_A_STRSET_MAX, tb) < 0 ||
	    !tb[ETHTOOL_A_STRSET_STRINGSETS])
		return -1;
	return rp_nl_nest_each(tb[ETHTOOL_A_STRSET_STRINGSETS], stringsets_each, &o);
}

static int strset_cb(const struct nlmsghdr *nlh, void *data)
{
	struct strset_out *o = data;

	return rp_nic_strset_parse(nlh, o->names, o->max, o->n) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int rp_nic_strset_read(struct rp_nl *nl, const char *dev, unsigned id,
		       char (*names)[RP_SS_NAME], unsigned max, unsigned *n, struct rp_nic_status *e)
{
	struct nlmsghdr *nlh = rp_nl_ethtool_req(nl, ETHTOOL_MSG_STRSET_GET, dev, 0);
	struct nlattr *sets = mnl_attr_nest_start(nlh, ETHTOOL_A_STRSET_STRINGSETS);
	struct nlattr *set = mnl_attr_nest_start(nlh, ETHTOOL_A_STRINGSETS_STRINGSET);
	struct strset_out o = { names, max, n };

	mnl_attr_put_u32(nlh, ETHTOOL_A_STRINGSET_ID, id);
	mnl_attr_nest_end(nlh, set);
	mnl_attr_nest_end(nlh, sets);
	memset(names, 0, max * sizeof(*names));
	return rp_nl_talk(nl, nlh, strset_cb, &o, e);
}
