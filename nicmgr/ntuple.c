// SPDX-License-Identifier: MIT
/*
 * ntuple flow-steering rules (ethtool -n/-N flow-type tcp4 ... action Q).
 *
 * Classification rules are not in ethtool netlink (6.18 still has only the
 * ETHTOOL_{G,S}RXCLSRL* ioctls, which `ethtool -N` uses too), so this file
 * talks SIOCETHTOOL. Only what zcrx queue steering needs: TCP over IPv4 to
 * one port (and address), read, inserted at a place the driver picks
 * (RX_CLS_LOC_ANY), deleted by place for rollback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "nicmgr/family.h"

static int rxnfc(const char *dev, void *arg, const char *what, struct rp_nic_status *e)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0) {
		rp_nic_status_set(e, errno, "socket: %s", strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = arg;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
		rp_nic_status_set(e, errno, "%s: %s", what, rp_nic_unsupported(errno) ?
				  "ntuple rules not supported by the driver" : strerror(errno));
		ret = -1;
	}
	close(fd);
	return ret;
}

/* A rule we understand (tcp4, exact port); others are skipped. */
static bool rule_parse(const struct ethtool_rx_flow_spec *fs, struct rp_nic_ntuple *r)
{
	if ((fs->flow_type & ~(FLOW_EXT | FLOW_MAC_EXT | FLOW_RSS)) != TCP_V4_FLOW ||
	    fs->m_u.tcp_ip4_spec.pdst != 0xffff || fs->ring_cookie == RX_CLS_FLOW_DISC)
		return false;
	r->loc = fs->location;
	r->port = ntohs(fs->h_u.tcp_ip4_spec.pdst);
	r->ip4 = fs->m_u.tcp_ip4_spec.ip4dst ? fs->h_u.tcp_ip4_spec.ip4dst : 0;
	r->queue = (unsigned)ethtool_get_flow_spec_ring(fs->ring_cookie);
	return true;
}

void rp_nic_ntuple_read(struct rp_nic_info *info)
{
	struct ethtool_rxnfc cnt = { .cmd = ETHTOOL_GRXCLSRLCNT };
	struct ethtool_rxnfc *all;
	unsigned n;

	info->n_ntuple = 0;
	if (rxnfc(info->dev, &cnt, "ETHTOOL_GRXCLSRLCNT", &info->ntuple_st) < 0)
		return;
	n = cnt.rule_cnt;
	all = calloc(1, sizeof(*all) + n * sizeof(__u32));
	if (!all) {
		rp_nic_status_set(&info->ntuple_st, ENOMEM, "out of memory");
		return;
	}
	all->cmd = ETHTOOL_GRXCLSRLALL;
	all->rule_cnt = n;
	if (n && rxnfc(info->dev, all, "ETHTOOL_GRXCLSRLALL", &info->ntuple_st) < 0)
		n = 0;
	for (unsigned i = 0; i < n && info->n_ntuple < RP_NIC_NTUPLE_MAX; i++) {
		struct ethtool_rxnfc one = { .cmd = ETHTOOL_GRXCLSRULE };
		struct rp_nic_status e;

		one.fs.location = all->rule_locs[i];
		if (rxnfc(info->dev, &one, "ETHTOOL_GRXCLSRULE", &e) == 0 &&
		    rule_parse(&one.fs, &info->ntuple[info->n_ntuple]))
			info->n_ntuple++;
	}
	free(all);
}

int rp_nic_ntuple_insert(const char *dev, struct rp_nic_ntuple *r, struct rp_nic_status *e)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_SRXCLSRLINS };

	nfc.fs.flow_type = TCP_V4_FLOW;
	nfc.fs.h_u.tcp_ip4_spec.pdst = htons(r->port);
	nfc.fs.m_u.tcp_ip4_spec.pdst = 0xffff;	/* mask: bits that must match */
	if (r->ip4) {
		nfc.fs.h_u.tcp_ip4_spec.ip4dst = r->ip4;
		nfc.fs.m_u.tcp_ip4_spec.ip4dst = 0xffffffff;
	}
	nfc.fs.ring_cookie = r->queue;
	nfc.fs.location = RX_CLS_LOC_ANY;
	if (rxnfc(dev, &nfc, "ETHTOOL_SRXCLSRLINS", e) < 0)
		return -1;
	r->loc = nfc.fs.location;
	return 0;
}

int rp_nic_ntuple_delete(const char *dev, const struct rp_nic_ntuple *r, struct rp_nic_status *e)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_SRXCLSRLDEL };

	nfc.fs.location = (__u32)r->loc;
	return rxnfc(dev, &nfc, "ETHTOOL_SRXCLSRLDEL", e);
}

const struct rp_nic_ntuple *rp_nic_ntuple_find(const struct rp_nic_info *info,
					       const struct rp_nic_ntuple *want)
{
	for (unsigned i = 0; i < info->n_ntuple; i++) {
		const struct rp_nic_ntuple *r = &info->ntuple[i];

		if (r->port == want->port && r->ip4 == want->ip4 && r->queue == want->queue)
			return r;
	}
	return NULL;
}

void rp_nic_ntuple_text(char *buf, size_t len, const struct rp_nic_ntuple *r)
{
	char ip[INET_ADDRSTRLEN] = "any";

	if (r->ip4)
		inet_ntop(AF_INET, &r->ip4, ip, sizeof(ip));
	snprintf(buf, len, "tcp4 dst %s:%u -> queue %u", ip, r->port, r->queue);
}
