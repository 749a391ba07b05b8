// SPDX-License-Identifier: MIT
/*
 * channels, rings and coalesce share one shape: an ethtool GET answering a
 * flat list of numbers, and a SET taking any subset of them. Each file
 * holds only its table; this one reads, parses and sets them all.
 */
#include <errno.h>
#include <string.h>

#include "nicmgr/family.h"

extern const struct rp_nic_sect_desc rp_nic_channels_desc, rp_nic_rings_desc,
	rp_nic_coalesce_desc;

const struct rp_nic_sect_desc *const rp_nic_sects[RP_NIC_SECT__COUNT] = {
	[RP_NIC_CHANNELS] = &rp_nic_channels_desc,
	[RP_NIC_RINGS] = &rp_nic_rings_desc,
	[RP_NIC_COALESCE] = &rp_nic_coalesce_desc,
};

#define RP_SECT_ATTR_MAX 64

int rp_nic_sect_parse(const struct nlmsghdr *nlh, const struct rp_nic_sect_desc *d,
		      struct rp_nic_sect *s)
{
	uint8_t policy[RP_SECT_ATTR_MAX + 1] = { 0 };
	const struct nlattr *tb[RP_SECT_ATTR_MAX + 1];

	for (unsigned i = 0; i < d->n_fields; i++)
		policy[d->fields[i].attr] = d->fields[i].nla;
	if (rp_nl_parse_msg(nlh, policy, d->max_attr < RP_SECT_ATTR_MAX ? d->max_attr : RP_SECT_ATTR_MAX, tb) < 0)
		return -1;
	rp_nic_fields_get(d->fields, d->n_fields, tb, s->v);
	return 0;
}

struct sect_cb {
	const struct rp_nic_sect_desc *d;
	struct rp_nic_sect *s;
};

static int sect_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sect_cb *c = data;

	return rp_nic_sect_parse(nlh, c->d, c->s) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

void rp_nic_sect_read(struct rp_nl *nl, const char *dev, enum rp_nic_sect_id id,
		      struct rp_nic_sect *s)
{
	struct sect_cb c = { rp_nic_sects[id], s };

	for (unsigned i = 0; i < RP_NIC_FIELDS_MAX; i++)
		s->v[i] = RP_NIC_ABSENT;
	memset(&s->st, 0, sizeof(s->st));
	if (!nl->ethtool_family) {
		rp_nic_status_set(&s->st, EOPNOTSUPP, "kernel has no ethtool netlink family");
		return;
	}
	rp_nl_talk(nl, rp_nl_ethtool_req(nl, c.d->get_cmd, dev, 0), sect_cb, &c, &s->st);
}

int rp_nic_sect_set(struct rp_nl *nl, const char *dev, enum rp_nic_sect_id id,
		    unsigned field, int64_t v, struct rp_nic_status *e)
{
	const struct rp_nic_sect_desc *d = rp_nic_sects[id];
	struct nlmsghdr *nlh = rp_nl_ethtool_req(nl, d->set_cmd, dev, 0);

	rp_nic_field_put(nlh, &d->fields[field], v);
	return rp_nl_talk(nl, nlh, NULL, NULL, e);
}
