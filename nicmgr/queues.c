// SPDX-License-Identifier: MIT
/*
 * Queues (netdev queue-get: id, type, NAPI) and per-queue statistics
 * (netdev qstats-get, scope queue). Devices whose driver has no queue
 * reporting fall back to the queue directories in sysfs, which every
 * device has.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nicmgr/family.h"
#include "nicmgr/uapi.h"

#define QSTATS_FIRST NETDEV_A_QSTATS_RX_PACKETS
#define QSTATS_LAST  NETDEV_A_QSTATS_TX_WAKE

int rp_nic_queue_parse(const struct nlmsghdr *nlh, unsigned *ifindex, struct rp_nic_queue *q)
{
	static const uint8_t policy[NETDEV_A_QUEUE_MAX + 1] = {
		[NETDEV_A_QUEUE_ID] = RP_NLA_U32,
		[NETDEV_A_QUEUE_IFINDEX] = RP_NLA_U32,
		[NETDEV_A_QUEUE_TYPE] = RP_NLA_U32,
		[NETDEV_A_QUEUE_NAPI_ID] = RP_NLA_U32,
	};
	const struct nlattr *tb[NETDEV_A_QUEUE_MAX + 1];

	if (rp_nl_parse_msg(nlh, policy, NETDEV_A_QUEUE_MAX, tb) < 0 ||
	    !tb[NETDEV_A_QUEUE_ID] || !tb[NETDEV_A_QUEUE_IFINDEX] || !tb[NETDEV_A_QUEUE_TYPE])
		return -1;
	memset(q, 0, sizeof(*q));
	*ifindex = mnl_attr_get_u32(tb[NETDEV_A_QUEUE_IFINDEX]);
	q->id = mnl_attr_get_u32(tb[NETDEV_A_QUEUE_ID]);
	q->type = mnl_attr_get_u32(tb[NETDEV_A_QUEUE_TYPE]) == NETDEV_QUEUE_TYPE_TX ? RP_NIC_QTX
										    : RP_NIC_QRX;
	q->napi_id = tb[NETDEV_A_QUEUE_NAPI_ID] ? mnl_attr_get_u32(tb[NETDEV_A_QUEUE_NAPI_ID])
						: RP_NIC_ABSENT;
	q->irq = RP_NIC_ABSENT;
	return 0;
}

int rp_nic_qstats_parse(const struct nlmsghdr *nlh, unsigned *ifindex, struct rp_nic_queue *q)
{
	uint8_t policy[QSTATS_LAST + 1] = {
		[NETDEV_A_QSTATS_IFINDEX] = RP_NLA_U32,
		[NETDEV_A_QSTATS_QUEUE_TYPE] = RP_NLA_U32,
		[NETDEV_A_QSTATS_QUEUE_ID] = RP_NLA_U32,
	};
	const struct nlattr *tb[QSTATS_LAST + 1];

	for (unsigned a = QSTATS_FIRST; a <= QSTATS_LAST; a++)
		policy[a] = RP_NLA_UINT;
	if (rp_nl_parse_msg(nlh, policy, QSTATS_LAST, tb) < 0 || !tb[NETDEV_A_QSTATS_IFINDEX] ||
	    !tb[NETDEV_A_QSTATS_QUEUE_TYPE] || !tb[NETDEV_A_QSTATS_QUEUE_ID])
		return -1;
	*ifindex = mnl_attr_get_u32(tb[NETDEV_A_QSTATS_IFINDEX]);
	q->type = mnl_attr_get_u32(tb[NETDEV_A_QSTATS_QUEUE_TYPE]) == NETDEV_QUEUE_TYPE_TX
		  ? RP_NIC_QTX : RP_NIC_QRX;
	q->id = mnl_attr_get_u32(tb[NETDEV_A_QSTATS_QUEUE_ID]);
	q->stats_mask = 0;
	for (unsigned a = QSTATS_FIRST; a <= QSTATS_LAST; a++) {
		if (!tb[a])
			continue;
		q->stats[a] = rp_nl_get_uint(tb[a]);
		q->stats_mask |= 1ULL << a;
	}
	return 0;
}

static int queue_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rp_nic_info *info = data;
	struct rp_nic_queue q;
	unsigned ifindex;

	if (rp_nic_queue_parse(nlh, &ifindex, &q) < 0)
		return MNL_CB_ERROR;
	if (ifindex == info->ifindex && info->n_queues < RP_NIC_QUEUES_MAX)
		info->q[info->n_queues++] = q;
	return MNL_CB_OK;
}

static struct rp_nic_queue *queue_find(struct rp_nic_info *info, enum rp_nic_qtype t, unsigned id)
{
	for (unsigned i = 0; i < info->n_queues; i++)
		if (info->q[i].type == t && info->q[i].id == id)
			return &info->q[i];
	return NULL;
}

static int qstats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rp_nic_info *info = data;
	struct rp_nic_queue s, *q;
	unsigned ifindex;

	if (rp_nic_qstats_parse(nlh, &ifindex, &s) < 0)
		return MNL_CB_ERROR;
	if (ifindex == info->ifindex && (q = queue_find(info, s.type, s.id))) {
		q->stats_mask = s.stats_mask;
		memcpy(q->stats, s.stats, sizeof(q->stats));
	}
	return MNL_CB_OK;
}

/* rx-0, tx-3 ... from /sys/class/net/DEV/queues. */
static void queues_from_sysfs(struct rp_nic_info *info)
{
	char path[128];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", info->dev);
	if (!(dir = opendir(path)))
		return;
	while ((d = readdir(dir)) && info->n_queues < RP_NIC_QUEUES_MAX) {
		struct rp_nic_queue *q = &info->q[info->n_queues];
		unsigned id;

		if (sscanf(d->d_name, "rx-%u", &id) == 1)
			q->type = RP_NIC_QRX;
		else if (sscanf(d->d_name, "tx-%u", &id) == 1)
			q->type = RP_NIC_QTX;
		else
			continue;
		memset(q->cpus, 0, sizeof(q->cpus));
		q->id = id;
		q->napi_id = q->irq = RP_NIC_ABSENT;
		q->stats_mask = 0;
		info->n_queues++;
	}
	closedir(dir);
}

static int queue_cmp(const void *a, const void *b)
{
	const struct rp_nic_queue *x = a, *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void rp_nic_queues_read(struct rp_nl *nl, struct rp_nic_info *info)
{
	struct nlmsghdr *nlh;

	info->n_queues = 0;
	if (!nl->netdev_family) {
		rp_nic_status_set(&info->queue_st, EOPNOTSUPP, "kernel has no netdev netlink family");
	} else {
		nlh = rp_nl_req(nl, nl->netdev_family, NETDEV_CMD_QUEUE_GET, NLM_F_DUMP);
		mnl_attr_put_u32(nlh, NETDEV_A_QUEUE_IFINDEX, info->ifindex);
		if (rp_nl_talk(nl, nlh, queue_cb, info, &info->queue_st) < 0)
			info->n_queues = 0;	/* half a dump: take sysfs's list */
	}
	if (!info->n_queues)
		queues_from_sysfs(info);
	qsort(info->q, info->n_queues, sizeof(info->q[0]), queue_cmp);

	if (!nl->netdev_family) {
		rp_nic_status_set(&info->qstats_st, EOPNOTSUPP, "kernel has no netdev netlink family");
		return;
	}
	nlh = rp_nl_req(nl, nl->netdev_family, NETDEV_CMD_QSTATS_GET, NLM_F_DUMP);
	mnl_attr_put_u32(nlh, NETDEV_A_QSTATS_IFINDEX, info->ifindex);
	mnl_attr_put_u32(nlh, NETDEV_A_QSTATS_SCOPE, NETDEV_QSTATS_SCOPE_QUEUE);
	rp_nl_talk(nl, nlh, qstats_cb, info, &info->qstats_st);
}
