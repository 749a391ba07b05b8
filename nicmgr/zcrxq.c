// SPDX-License-Identifier: MIT
/* zcrx queues: judgement and preparation (see zcrxq.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nicmgr/family.h"
#include "nicmgr/zcrxq.h"

#define HDS_UNKNOWN 0		/* ETHTOOL_TCP_DATA_SPLIT_UNKNOWN: the driver has none */
#define HDS_ENABLED 2

static const char *const why_names[RP_ZCRX__COUNT] = {
	[RP_ZCRX_USABLE] = "usable", [RP_ZCRX_NO_KERNEL] = "no-kernel",
	[RP_ZCRX_NO_DMABUF] = "no-udmabuf",
	[RP_ZCRX_NO_DEVICE] = "no-device", [RP_ZCRX_SOFTWARE] = "software-device",
	[RP_ZCRX_NO_QUEUE] = "no-queue", [RP_ZCRX_NO_HDS] = "no-tcp-data-split",
	[RP_ZCRX_NO_NTUPLE] = "no-ntuple", [RP_ZCRX_NO_RSS] = "no-rss",
	[RP_ZCRX_REFUSED] = "registration-refused",
};

const char *rp_zcrx_why_name(enum rp_zcrx_why why)
{
	return (unsigned)why < RP_ZCRX__COUNT ? why_names[why] : "?";
}

static void say(struct rp_zcrx_verdict *v, enum rp_zcrx_why why, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void say(struct rp_zcrx_verdict *v, enum rp_zcrx_why why, int err, const char *fmt, ...)
{
	va_list ap;

	v->why = why;
	v->err = err;
	va_start(ap, fmt);
	vsnprintf(v->text, sizeof(v->text), fmt, ap);
	va_end(ap);
}

static int rings_field(const char *name)
{
	const struct rp_nic_sect_desc *d = rp_nic_sects[RP_NIC_RINGS];

	for (unsigned i = 0; i < d->n_fields; i++)
		if (!strcmp(d->fields[i].name, name))
			return (int)i;
	return -1;
}

static int64_t rings_value(const struct rp_nic_info *info, const char *name)
{
	int f = rings_field(name);

	return f < 0 || info->sect[RP_NIC_RINGS].st.err ? RP_NIC_ABSENT
							 : info->sect[RP_NIC_RINGS].v[f];
}

static const struct rp_nic_feature *feature(const struct rp_nic_info *info, const char *name)
{
	for (unsigned i = 0; !info->feat.st.err && i < info->feat.n; i++)
		if (!strcmp(info->feat.f[i].name, name))
			return &info->feat.f[i];
	return NULL;
}

/* rx queues from netdev queue-get, else the channel counts. */
static unsigned rx_queues(const struct rp_nic_info *info)
{
	const struct rp_nic_sect *ch = &info->sect[RP_NIC_CHANNELS];
	unsigned n = 0;

	for (unsigned i = 0; i < info->n_queues; i++)
		n += info->q[i].type == RP_NIC_QRX;
	if (n || ch->st.err)
		return n;
	for (unsigned i = 0; i < rp_nic_sects[RP_NIC_CHANNELS]->n_fields; i++) {
		const char *name = rp_nic_sects[RP_NIC_CHANNELS]->fields[i].name;

		if ((!strcmp(name, "rx") || !strcmp(name, "combined")) && ch->v[i] > 0)
			n += (unsigned)ch->v[i];
	}
	return n;
}

static bool ntuple_ok(const struct rp_nic_info *info)
{
	const struct rp_nic_feature *f = feature(info, "rx-ntuple-filter");

	return f && (f->active || !f->fixed);
}

void rp_nic_zcrx_judge(const struct rp_nic_info *info, bool dma_device, unsigned queue,
		       struct rp_zcrx_verdict *v)
{
	const char *drv = info->driver[0] ? info->driver : "an unknown driver";
	int64_t hds = rings_value(info, "tcp-data-split");
	unsigned n_rx = rx_queues(info);

	memset(v, 0, sizeof(*v));
	snprintf(v->driver, sizeof(v->driver), "%s", info->driver);
	if (!dma_device)
		say(v, RP_ZCRX_SOFTWARE, EOPNOTSUPP, "%s: software device (driver %s): no DMA "
		    "device for the receive area; zcrx needs a NIC", info->dev, drv);
	else if (n_rx && queue >= n_rx)
		say(v, RP_ZCRX_NO_QUEUE, ERANGE, "%s: rx queue %u missing: %s has %u rx queue%s",
		    info->dev, queue, info->dev, n_rx, n_rx == 1 ? "" : "s");
	else if (hds == RP_NIC_ABSENT || hds == HDS_UNKNOWN)
		say(v, RP_ZCRX_NO_HDS, EOPNOTSUPP, "%s: tcp-data-split not supported by %s",
		    info->dev, drv);
	else if (!ntuple_ok(info))
		say(v, RP_ZCRX_NO_NTUPLE, EOPNOTSUPP, "%s: no ntuple support (rx-ntuple-filter %s on %s)",
		    info->dev, feature(info, "rx-ntuple-filter") ? "fixed off" : "not offered", drv);
	else if (info->rss.st.err || !info->rss.n_indir || n_rx < 2)
		say(v, RP_ZCRX_NO_RSS, EOPNOTSUPP, "%s: rx queue %u cannot be taken out of RSS (%s)",
		    info->dev, queue, n_rx < 2 ? "it is the only rx queue" :
		    info->rss.st.err ? info->rss.st.msg : "no indirection table");
	else
		say(v, RP_ZCRX_USABLE, 0, "%s: rx queue %u: header split, ntuple and RSS available "
		    "(driver %s); registration decides", info->dev, queue, drv);
}

/* The kernel maps the area for netdev->dev.parent: sysfs shows it as the
 * device link; veth, ifb, tun, bridges have none. */
static bool has_dma_device(const char *dev)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/net/%s/device", dev);
	return stat(path, &st) == 0;
}

void rp_nic_zcrx_probe(const char *dev, unsigned queue, struct rp_zcrx_verdict *v)
{
	struct rp_nic_info *info = malloc(sizeof(*info));
	struct rp_nic_status st;
	struct rp_nl nl;

	memset(v, 0, sizeof(*v));
	if (!info) {
		say(v, RP_ZCRX_NO_DEVICE, ENOMEM, "%s: out of memory", dev);
		return;
	}
	if (rp_nl_open(&nl, &st) < 0) {
		say(v, RP_ZCRX_NO_DEVICE, st.err, "%s: %s", dev, st.msg);
	} else {
		if (rp_nic_read(&nl, dev, info, &st) < 0)
			say(v, RP_ZCRX_NO_DEVICE, st.err, "%s", st.msg);
		else
			rp_nic_zcrx_judge(info, has_dma_device(dev), queue, v);
		rp_nl_close(&nl);
	}
	free(info);
}

void rp_nic_zcrx_iface(const struct rp_config *cfg, unsigned idx, bool prepare,
		       struct rp_iface_cfg *out)
{
	*out = cfg->interfaces[idx];
	out->zcrx = false;
	for (unsigned i = 0; prepare && i < cfg->n_services; i++) {
		const struct rp_service_cfg *s = &cfg->services[i];

		if (s->rx_zc == RP_RXZC_OFF || s->rx_zc_iface_idx != (int)idx)
			continue;
		out->zcrx = true;
		out->zcrx_queue = (unsigned)s->rx_zc_queue;
		out->zcrx_listen = s->listen;
		out->zcrx_mark = s->rx_zc_mark.line ? s->rx_zc_mark : s->mark;
		return;
	}
}

/* ---- preparation: plan changes ------------------------------------------ */

static struct rp_nic_change *zadd(struct rp_nic_plan *p, enum rp_nic_change_kind kind,
				  const struct rp_iface_cfg *cfg, const char *what)
{
	struct rp_nic_change *c = rp_nic_plan_add(p, kind, cfg, "zcrx: %s", what);

	if (c)
		c->mark = cfg->zcrx_mark;
	return c;
}

/* A rings field to `want` unless the config sets it itself (then the
 * interface's own change covers it) or it already has it. */
static int plan_ring(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
		     const struct rp_nic_info *info, const char *name, int64_t want, bool cfg_sets)
{
	int f = rings_field(name);
	int64_t have = rings_value(info, name);
	struct rp_nic_change *c;

	if (cfg_sets || f < 0 || have == want)
		return 0;
	if (!strcmp(name, "hds-thresh") && have == RP_NIC_ABSENT)
		return 0;	/* no threshold to set: the kernel's is 0 */
	if (!(c = zadd(p, RP_CHG_SECT, cfg, name)))
		return -1;
	c->sect = RP_NIC_RINGS;
	c->field = f;
	c->from = have;
	c->to = want;
	snprintf(c->from_text, sizeof(c->from_text), "%" PRId64, have);
	snprintf(c->to_text, sizeof(c->to_text), "%" PRId64, want);
	if (have == RP_NIC_ABSENT || have == HDS_UNKNOWN)
		rp_nic_plan_unsupported(p, c, "%s not supported by %s", name,
					info->driver[0] ? info->driver : p->dev);
	return 0;
}

static int plan_ntuple_feature(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
			       const struct rp_nic_info *info)
{
	const struct rp_nic_feature *f = feature(info, "rx-ntuple-filter");
	struct rp_nic_change *c;

	if (f && f->active)
		return 0;
	if (!(c = zadd(p, RP_CHG_FEATURE, cfg, "features.rx-ntuple-filter")))
		return -1;
	snprintf(c->feature, sizeof(c->feature), "rx-ntuple-filter");
	c->from = 0;
	c->to = 1;
	snprintf(c->from_text, sizeof(c->from_text), "off");
	snprintf(c->to_text, sizeof(c->to_text), "on");
	if (!f || f->fixed)
		rp_nic_plan_unsupported(p, c, "no ntuple support (rx-ntuple-filter %s on %s)",
					f ? "fixed off" : "not offered", p->dev);
	return 0;
}

/* The table with every bucket of queue q moved to the other queues in the
 * table, in turn; false when no other queue is in it. */
static bool indir_without(const uint32_t *from, uint32_t *to, unsigned n, unsigned q)
{
	unsigned others = 0, k = 0;

	for (unsigned i = 0; i < n; i++)
		others += from[i] != q;
	if (!others)
		return false;
	for (unsigned i = 0; i < n; i++) {
		to[i] = from[i];
		while (to[i] == q)
			to[i] = from[k++ % n];
	}
	return true;
}

static struct rp_nic_change *find_kind(struct rp_nic_plan *p, enum rp_nic_change_kind kind)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->c[i].kind == kind && !p->c[i].unsupported)
			return &p->c[i];
	return NULL;
}

static int plan_rss(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
		    const struct rp_nic_info *info)
{
	struct rp_nic_change *c = find_kind(p, RP_CHG_RSS_INDIR);
	unsigned n = info->rss.n_indir;
	const uint32_t *base;

	if (c) {	/* the interface's own RSS change: take the queue out of its table */
		if (!indir_without(c->to_indir, c->to_indir, c->n_indir, cfg->zcrx_queue))
			rp_nic_plan_unsupported(p, c, "rx queue %u is the only queue in the table",
						cfg->zcrx_queue);
		return 0;
	}
	if (!(c = zadd(p, RP_CHG_RSS_INDIR, cfg, "rss.indirection without the queue")))
		return -1;
	if (info->rss.st.err || !n) {
		rp_nic_plan_unsupported(p, c, "%s", info->rss.st.err ? info->rss.st.msg :
					"device has no indirection table");
		return 0;
	}
	base = info->rss.indir;
	c->from_indir = malloc(n * sizeof(uint32_t));
	c->to_indir = malloc(n * sizeof(uint32_t));
	if (!c->from_indir || !c->to_indir)
		return -1;
	c->n_indir = n;
	memcpy(c->from_indir, base, n * sizeof(uint32_t));
	if (!indir_without(base, c->to_indir, n, cfg->zcrx_queue)) {
		rp_nic_plan_unsupported(p, c, "rx queue %u is the only queue in the table",
					cfg->zcrx_queue);
		return 0;
	}
	if (!memcmp(c->from_indir, c->to_indir, n * sizeof(uint32_t))) {
		free(c->from_indir);
		free(c->to_indir);
		p->n--;		/* already without it */
		return 0;
	}
	snprintf(c->from_text, sizeof(c->from_text), "queue %u in RSS", cfg->zcrx_queue);
	snprintf(c->to_text, sizeof(c->to_text), "queue %u out of RSS", cfg->zcrx_queue);
	return 0;
}

static int plan_rule(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
		     const struct rp_nic_info *info)
{
	const struct sockaddr_in *sin = (const void *)&cfg->zcrx_listen.ss;
	struct rp_nic_ntuple want = { .loc = RP_NIC_ABSENT, .queue = cfg->zcrx_queue };
	struct rp_nic_change *c;

	if (cfg->zcrx_listen.ss.ss_family == AF_INET) {
		want.port = ntohs(sin->sin_port);
		want.ip4 = sin->sin_addr.s_addr;
	} else {
		want.port = ntohs(((const struct sockaddr_in6 *)(const void *)&cfg->zcrx_listen.ss)->sin6_port);
	}
	if (!info->ntuple_st.err && rp_nic_ntuple_find(info, &want))
		return 0;
	if (!(c = zadd(p, RP_CHG_NTUPLE, cfg, "ntuple rule")))
		return -1;
	c->nt = want;
	snprintf(c->from_text, sizeof(c->from_text), "none");
	rp_nic_ntuple_text(c->to_text, sizeof(c->to_text), &want);
	if (cfg->zcrx_listen.ss.ss_family != AF_INET)
		rp_nic_plan_unsupported(p, c, "only IPv4 listen addresses are steered (tcp4 rules)");
	else if (info->ntuple_st.err)
		rp_nic_plan_unsupported(p, c, "%s", info->ntuple_st.msg);
	return 0;
}

int rp_nic_plan_zcrx(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
		     const struct rp_nic_info *info)
{
	if (!cfg->zcrx)
		return 0;
	if (plan_ring(p, cfg, info, "tcp-data-split", HDS_ENABLED,
		      cfg->tcp_data_split != RP_TRI_UNSET) < 0 ||
	    plan_ring(p, cfg, info, "hds-thresh", 0, cfg->hds_threshold != RP_UNSET) < 0 ||
	    plan_ntuple_feature(p, cfg, info) < 0 ||
	    plan_rss(p, cfg, info) < 0 ||
	    plan_rule(p, cfg, info) < 0)
		return -1;
	return 0;
}
