// SPDX-License-Identifier: MIT
/*
 * Driver and bus, and link state.
 *
 * Driver name, version, firmware and bus address are not in ethtool netlink
 * (not even on 6.18: `ethtool -i` still uses the ioctl), so this one read
 * uses the ETHTOOL_GDRVINFO ioctl. Link state is ETHTOOL_MSG_LINKSTATE_GET.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "nicmgr/family.h"

static void drvinfo_read(struct rp_nic_info *info)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		rp_nic_status_set(&info->drv, errno, "socket: %s", strerror(errno));
		return;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", info->dev);
	ifr.ifr_data = (void *)&di;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
		rp_nic_status_set(&info->drv, errno, "ETHTOOL_GDRVINFO: %s", strerror(errno));
	} else {
		/* the kernel NUL-terminates each (strscpy), and each fits */
		memcpy(info->driver, di.driver, sizeof(di.driver));
		memcpy(info->version, di.version, sizeof(di.version));
		memcpy(info->firmware, di.fw_version, sizeof(di.fw_version));
		memcpy(info->bus, di.bus_info, sizeof(di.bus_info));
		info->driver[sizeof(info->driver) - 1] = info->version[sizeof(info->version) - 1] = '\0';
		info->firmware[sizeof(info->firmware) - 1] = info->bus[sizeof(info->bus) - 1] = '\0';
	}
	close(fd);
}

int rp_nic_linkstate_parse(const struct nlmsghdr *nlh, int *up)
{
	static const uint8_t policy[ETHTOOL_A_LINKSTATE_MAX + 1] = {
		[ETHTOOL_A_LINKSTATE_LINK] = RP_NLA_U8,
	};
	const struct nlattr *tb[ETHTOOL_A_LINKSTATE_MAX + 1];

	if (rp_nl_parse_msg(nlh, policy, ETHTOOL_A_LINKSTATE_MAX, tb) < 0)
		return -1;
	*up = tb[ETHTOOL_A_LINKSTATE_LINK] ? mnl_attr_get_u8(tb[ETHTOOL_A_LINKSTATE_LINK]) : -1;
	return 0;
}

static int linkstate_cb(const struct nlmsghdr *nlh, void *data)
{
	return rp_nic_linkstate_parse(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

void rp_nic_link_read(struct rp_nl *nl, struct rp_nic_info *info)
{

	drvinfo_read(info);
	info->link_up = -1;
	if (!nl->ethtool_family) {
		rp_nic_status_set(&info->link, EOPNOTSUPP, "kernel has no ethtool netlink family");
		return;
	}
	rp_nl_talk(nl, rp_nl_ethtool_req(nl, ETHTOOL_MSG_LINKSTATE_GET, info->dev, 0),
		       linkstate_cb, &info->link_up, &info->link);
}
