/* SPDX-License-Identifier: MIT */
/*
 * nicmgr internals: one reader/parser/setter group per message family file.
 * Parsers take one netlink message and return 0, or -1 (EBADMSG) when it is
 * truncated or an attribute has the wrong type or length; the unit tests
 * feed them broken messages directly.
 */
#ifndef RP_NIC_FAMILY_H
#define RP_NIC_FAMILY_H

#include "nicmgr/nicmgr.h"
#include "nicmgr/nl.h"
#include "nicmgr/uapi.h"

#include <linux/ethtool.h>

#define RP_SS_NAME 32	/* ETH_GSTRING_LEN */

/* status.c: statuses, field tables */
void rp_nic_fields_get(const struct rp_nic_field *f, unsigned n, const struct nlattr *const *tb,
		       int64_t *v);
void rp_nic_field_put(struct nlmsghdr *nlh, const struct rp_nic_field *f, int64_t v);
/* What cfg asks of this field, RP_NIC_ABSENT when it leaves it alone. */
int64_t rp_nic_field_wanted(const struct rp_nic_field *f, const struct rp_iface_cfg *cfg);

/* ethsect.c: channels, rings, coalesce */
int rp_nic_sect_parse(const struct nlmsghdr *nlh, const struct rp_nic_sect_desc *d,
		      struct rp_nic_sect *s);
void rp_nic_sect_read(struct rp_nl *nl, const char *dev, enum rp_nic_sect_id id,
		      struct rp_nic_sect *s);
int rp_nic_sect_set(struct rp_nl *nl, const char *dev, enum rp_nic_sect_id id,
		    unsigned field, int64_t v, struct rp_nic_status *e);

/* strset.c: names of a string set (ETH_SS_FEATURES, ETH_SS_RSS_HASH_FUNCS) */
int rp_nic_strset_parse(const struct nlmsghdr *nlh, char (*names)[RP_SS_NAME], unsigned max,
			unsigned *n);
int rp_nic_strset_read(struct rp_nl *nl, const char *dev, unsigned id,
		       char (*names)[RP_SS_NAME], unsigned max, unsigned *n, struct rp_nic_status *e);

/* features.c */
int rp_nic_features_parse(const struct nlmsghdr *nlh, char (*names)[RP_SS_NAME],
			  unsigned n_names, struct rp_nic_features *f);
void rp_nic_features_read(struct rp_nl *nl, const char *dev, struct rp_nic_features *f);
int rp_nic_feature_set(struct rp_nl *nl, const char *dev, const char *name, bool on,
		       struct rp_nic_status *e);

/* linkinfo.c: driver (ioctl, see there) and link state */
int rp_nic_linkstate_parse(const struct nlmsghdr *nlh, int *up);
void rp_nic_link_read(struct rp_nl *nl, struct rp_nic_info *info);

/* rss.c */
int rp_nic_rss_parse(const struct nlmsghdr *nlh, struct rp_nic_rss *rss);
void rp_nic_rss_read(struct rp_nl *nl, const char *dev, struct rp_nic_rss *rss);
int rp_nic_rss_set(struct rp_nl *nl, const char *dev, int64_t hfunc, const uint32_t *indir,
		   unsigned n_indir, struct rp_nic_status *e);

/* napi.c */
int rp_nic_napi_parse(const struct nlmsghdr *nlh, unsigned *ifindex, struct rp_nic_napi *napi);
void rp_nic_napi_read(struct rp_nl *nl, struct rp_nic_info *info);
int rp_nic_napi_set(struct rp_nl *nl, int64_t napi_id, unsigned field, int64_t v,
		    struct rp_nic_status *e);
int rp_nic_threaded_set(const char *dev, int on, struct rp_nic_status *e);

/* queues.c */
int rp_nic_queue_parse(const struct nlmsghdr *nlh, unsigned *ifindex, struct rp_nic_queue *q);
int rp_nic_qstats_parse(const struct nlmsghdr *nlh, unsigned *ifindex, struct rp_nic_queue *q);
void rp_nic_queues_read(struct rp_nl *nl, struct rp_nic_info *info);

/* ntuple.c: flow-steering rules (ioctl) */
void rp_nic_ntuple_read(struct rp_nic_info *info);
int rp_nic_ntuple_insert(const char *dev, struct rp_nic_ntuple *r, struct rp_nic_status *e);
int rp_nic_ntuple_delete(const char *dev, const struct rp_nic_ntuple *r, struct rp_nic_status *e);
const struct rp_nic_ntuple *rp_nic_ntuple_find(const struct rp_nic_info *info,
					       const struct rp_nic_ntuple *want);
void rp_nic_ntuple_text(char *buf, size_t len, const struct rp_nic_ntuple *r);

/* plan.c: for plan makers in other files (zcrxq.c) */
struct rp_nic_change *rp_nic_plan_add(struct rp_nic_plan *p, enum rp_nic_change_kind kind,
				      const struct rp_iface_cfg *cfg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void rp_nic_plan_unsupported(struct rp_nic_plan *p, struct rp_nic_change *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* zcrxq.c: zcrx queue preparation, after the interface's own settings */
int rp_nic_plan_zcrx(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
		     const struct rp_nic_info *info);

/* irq.c */
void rp_nic_irq_read(struct rp_nic_info *info);
int rp_nic_irq_affinity_get(int64_t irq, char *buf, size_t len);
int rp_nic_irq_affinity_set(int64_t irq, const char *cpus, struct rp_nic_status *e);

#endif
