// SPDX-License-Identifier: MIT
/*
 * NAPI instances (netdev napi-get / napi-set): id, IRQ, poll thread, and the
 * per-NAPI knobs: defer-hard-irqs, gro-flush-timeout, irq-suspend-timeout,
 * threaded. The device-wide threaded switch is /sys/class/net/DEV/threaded,
 * used where the kernel has no per-NAPI "threaded" attribute (< 6.18).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nicmgr/family.h"
#include "nicmgr/uapi.h"

#define NP(n, a, t) { n, "napi." n, a, t, RP_CFG_NONE, 0, 0, 0 }
#define NPSET(n, a, t, m) { n, "napi." n, a, t, RP_CFG_LONG, offsetof(struct rp_iface_cfg, m), 0, 0 }

const struct rp_nic_field rp_nic_napi_fields[RP_NAPI__COUNT] = {
	[RP_NAPI_ID] = NP("id", NETDEV_A_NAPI_ID, RP_NLA_U32),
	[RP_NAPI_IRQ] = NP("irq", NETDEV_A_NAPI_IRQ, RP_NLA_U32),
	[RP_NAPI_PID] = NP("pid", NETDEV_A_NAPI_PID, RP_NLA_U32),
	[RP_NAPI_DEFER_HARD_IRQS] = NPSET("defer-hard-irqs", RP_NETDEV_A_NAPI_DEFER_HARD_IRQS,
					  RP_NLA_U32, napi_defer_hard_irqs),
	[RP_NAPI_GRO_FLUSH_TIMEOUT] = NPSET("gro-flush-timeout", RP_NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT,
					    RP_NLA_UINT, napi_gro_flush_timeout),
	[RP_NAPI_IRQ_SUSPEND_TIMEOUT] = NPSET("irq-suspend-timeout",
					      RP_NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT,
					      RP_NLA_UINT, napi_irq_suspend_timeout),
	[RP_NAPI_THREADED] = { "threaded", "napi.threaded", RP_NETDEV_A_NAPI_THREADED, RP_NLA_U32,
			       RP_CFG_TRI, offsetof(struct rp_iface_cfg, threaded_napi), 0, 1 },
};

int rp_nic_napi_parse(const struct nlmsghdr *nlh, unsigned *ifindex, struct rp_nic_napi *napi)
{
	uint8_t policy[RP_NETDEV_A_NAPI_MAX + 1] = { [NETDEV_A_NAPI_IFINDEX] = RP_NLA_U32 };
	const struct nlattr *tb[RP_NETDEV_A_NAPI_MAX + 1];

	for (unsigned i = 0; i < RP_NAPI__COUNT; i++)
		policy[rp_nic_napi_fields[i].attr] = rp_nic_napi_fields[i].nla;
	if (rp_nl_parse_msg(nlh, policy, RP_NETDEV_A_NAPI_MAX, tb) < 0 ||
	    !tb[NETDEV_A_NAPI_ID] || !tb[NETDEV_A_NAPI_IFINDEX])
		return -1;
	*ifindex = mnl_attr_get_u32(tb[NETDEV_A_NAPI_IFINDEX]);
	rp_nic_fields_get(rp_nic_napi_fields, RP_NAPI__COUNT, tb, napi->v);
	return 0;
}

static int napi_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rp_nic_info *info = data;
	struct rp_nic_napi napi;
	unsigned ifindex;

	if (rp_nic_napi_parse(nlh, &ifindex, &napi) < 0)
		return MNL_CB_ERROR;
	if (ifindex == info->ifindex && info->n_napi < RP_NIC_NAPI_MAX)
		info->napi[info->n_napi++] = napi;
	return MNL_CB_OK;
}

static void threaded_read(struct rp_nic_info *info)
{
	char path[128], buf[16] = "";
	ssize_t n;
	int fd;

	info->threaded = -1;
	snprintf(path, sizeof(path), "/sys/class/net/%s/threaded", info->dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rp_nic_status_set(&info->threaded_st, errno, "%s: %s", path, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		rp_nic_status_set(&info->threaded_st, errno, "%s: %s", path, strerror(errno));
	else
		info->threaded = buf[0] == '1';
	close(fd);
}

void rp_nic_napi_read(struct rp_nl *nl, struct rp_nic_info *info)
{
	struct nlmsghdr *nlh;

	info->n_napi = 0;
	threaded_read(info);
	if (!nl->netdev_family) {
		rp_nic_status_set(&info->napi_st, EOPNOTSUPP, "kernel has no netdev netlink family");
		return;
	}
	nlh = rp_nl_req(nl, nl->netdev_family, NETDEV_CMD_NAPI_GET, NLM_F_DUMP);
	mnl_attr_put_u32(nlh, NETDEV_A_NAPI_IFINDEX, info->ifindex);
	if (rp_nl_talk(nl, nlh, napi_cb, info, &info->napi_st) == 0 && !info->n_napi)
		rp_nic_status_set(&info->napi_st, EOPNOTSUPP,
				  "no NAPI instance (software device, or link down / GRO off)");
}

int rp_nic_napi_set(struct rp_nl *nl, int64_t napi_id, unsigned field, int64_t v,
		    struct rp_nic_status *e)
{
	struct nlmsghdr *nlh = rp_nl_req(nl, nl->netdev_family, RP_NETDEV_CMD_NAPI_SET, 0);

	mnl_attr_put_u32(nlh, NETDEV_A_NAPI_ID, (uint32_t)napi_id);
	rp_nic_field_put(nlh, &rp_nic_napi_fields[field], v);
	return rp_nl_talk(nl, nlh, NULL, NULL, e);
}

int rp_nic_threaded_set(const char *dev, int on, struct rp_nic_status *e)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/class/net/%s/threaded", dev);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, on ? "1" : "0", 1) != 1) {
		rp_nic_status_set(e, errno, "%s: %s", path, strerror(errno));
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}
