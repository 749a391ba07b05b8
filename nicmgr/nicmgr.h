/* SPDX-License-Identifier: MIT */
/*
 * nicmgr: what ringplane knows about a NIC, and the changes it makes to it.
 *
 * Reads (rp_nic_read) and changes (plan/apply) go over the ethtool and
 * netdev generic netlink families (libmnl), plus /proc/irq for IRQ affinity
 * and /sys/class/net/DEV/threaded where the kernel has no per-NAPI switch.
 * A setting the driver does not have is "not supported" in its section's
 * status, never a failure of the whole read.
 *
 * For the dataplane start-up (dataplane/appliance.c):
 *
 *	struct rp_nic_qmap map;
 *	char err[512];
 *
 *	for (unsigned i = 0; i < cfg->n_interfaces; i++) {
 *		if (rp_nic_setup(cfg->file, &cfg->interfaces[i], false, &map,
 *				 err, sizeof(err)) < 0)
 *			return rp_err("%s", err), -1;   // nothing was left changed
 *		if (!map.has_napi)
 *			rp_info("%s", map.note);         // "no NAPI/IRQ ...: using configured CPUs"
 *		// worker q: pin to map.q[q].cpu when >= 0, else workers.cpus
 *	}
 */
#ifndef RP_NICMGR_H
#define RP_NICMGR_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

/* ---- types ------------------------------------------------------------- */

#define RP_NIC_ABSENT		(-1LL)	/* value the driver does not report */
#define RP_NIC_FIELDS_MAX	16
#define RP_NIC_FEATURES_MAX	128
#define RP_NIC_NAPI_MAX		64
#define RP_NIC_QUEUES_MAX	128
#define RP_NIC_QSTATS_MAX	40	/* > NETDEV_A_QSTATS_TX_WAKE */
#define RP_NIC_RSS_KEY_MAX	256
#define RP_NIC_HFUNCS_MAX	8
#define RP_NIC_NTUPLE_MAX	64	/* ntuple rules read per device */

/* How a part of the device answered, or what went wrong: err 0 fine;
 * EOPNOTSUPP (and friends, see rp_nic_unsupported) the device or kernel
 * lacks it; else a failure (errno). msg: the kernel's ext-ack text, or
 * our explanation. */
struct rp_nic_status {
	int err;
	char msg[256];
};

/* One numeric setting inside a netlink message (a table row in
 * channels.c, rings.c, coalesce.c, napi.c). */
enum rp_nic_cfg_kind {
	RP_CFG_NONE,		/* read-only (a maximum, a counter) */
	RP_CFG_LONG,		/* long in rp_iface_cfg, RP_UNSET = leave */
	RP_CFG_TRI,		/* enum rp_tristate, mapped to tri_off/tri_on */
};

struct rp_nic_field {
	const char *name;	/* ethtool's name: "combined", "rx-usecs" */
	const char *key;	/* config key for messages: "channels.combined" */
	uint16_t attr;
	uint8_t nla;		/* enum rp_nla_type */
	enum rp_nic_cfg_kind cfg_kind;
	size_t cfg_off;		/* offsetof(struct rp_iface_cfg, ...) */
	uint8_t tri_off, tri_on;
};

/* channels, rings and coalesce: one ethtool message each, numbers only. */
enum rp_nic_sect_id {
	RP_NIC_CHANNELS,
	RP_NIC_RINGS,
	RP_NIC_COALESCE,
	RP_NIC_SECT__COUNT,
};

struct rp_nic_sect_desc {
	const char *name;
	uint8_t get_cmd, set_cmd;
	uint16_t max_attr;
	const struct rp_nic_field *fields;
	unsigned n_fields;
};

struct rp_nic_sect {
	struct rp_nic_status st;
	int64_t v[RP_NIC_FIELDS_MAX];	/* RP_NIC_ABSENT when not reported */
};

struct rp_nic_feature {
	char name[RP_FEAT_NAME];
	bool active;
	bool wanted;
	bool fixed;		/* not changeable on this device */
};

struct rp_nic_features {
	struct rp_nic_status st;
	unsigned n;
	struct rp_nic_feature f[RP_NIC_FEATURES_MAX];
};

struct rp_nic_rss {
	struct rp_nic_status st;
	int64_t hfunc;			/* bit index, RP_NIC_ABSENT */
	char hfunc_name[RP_NAME_MAX];
	unsigned n_hfuncs;		/* the device's hash function names */
	char hfuncs[RP_NIC_HFUNCS_MAX][32];
	unsigned n_indir;
	uint32_t indir[RP_INDIR_MAX];
	unsigned key_len;
	uint8_t key[RP_NIC_RSS_KEY_MAX];
};

/* An ntuple (ethtool -N flow-type tcp4) rule: TCP to ip4:port (ip4 0: any
 * address) goes to rx queue `queue`; loc is its place in the device's
 * rule table (RP_NIC_ABSENT until the device has it). */
struct rp_nic_ntuple {
	int64_t loc;
	uint32_t ip4;		/* network order */
	uint16_t port;		/* host order */
	unsigned queue;
};

/* napi.c's field table indexes these. */
enum rp_nic_napi_field {
	RP_NAPI_ID,
	RP_NAPI_IRQ,
	RP_NAPI_PID,
	RP_NAPI_DEFER_HARD_IRQS,
	RP_NAPI_GRO_FLUSH_TIMEOUT,
	RP_NAPI_IRQ_SUSPEND_TIMEOUT,
	RP_NAPI_THREADED,
	RP_NAPI__COUNT,
};

struct rp_nic_napi {
	int64_t v[RP_NAPI__COUNT];
};

enum rp_nic_qtype { RP_NIC_QRX, RP_NIC_QTX };

struct rp_nic_queue {
	enum rp_nic_qtype type;
	unsigned id;
	int64_t napi_id;		/* RP_NIC_ABSENT: none reported */
	int64_t irq;			/* from the NAPI, else /proc/interrupts */
	char cpus[64];			/* smp_affinity_list of irq, "" */
	uint64_t stats_mask;		/* bit a: stats[a] present (qstats attr a) */
	uint64_t stats[RP_NIC_QSTATS_MAX];
};

struct rp_nic_info {
	char dev[IFNAMSIZ];
	unsigned ifindex;

	struct rp_nic_status drv;	/* ETHTOOL_GDRVINFO */
	char driver[32], version[32], firmware[32], bus[32];
	struct rp_nic_status link;
	int link_up;

	struct rp_nic_sect sect[RP_NIC_SECT__COUNT];
	struct rp_nic_features feat;
	struct rp_nic_rss rss;
	struct rp_nic_status ntuple_st;	/* ntuple.c: ETHTOOL_GRXCLSRLALL */
	unsigned n_ntuple;
	struct rp_nic_ntuple ntuple[RP_NIC_NTUPLE_MAX];

	struct rp_nic_status napi_st;
	unsigned n_napi;
	struct rp_nic_napi napi[RP_NIC_NAPI_MAX];
	struct rp_nic_status threaded_st;	/* /sys/class/net/DEV/threaded */
	int threaded;

	bool napi_inferred;	/* queue-get gave no NAPI ids: rx queue i ->
				 * i-th NAPI by id (how veth creates them) */
	struct rp_nic_status queue_st;
	struct rp_nic_status qstats_st;
	struct rp_nic_status irq_st;
	unsigned n_queues;
	struct rp_nic_queue q[RP_NIC_QUEUES_MAX];
};

/* The queue -> NAPI -> IRQ -> CPU map the appliance pins workers by. */
struct rp_nic_qmap_entry {
	unsigned queue;		/* rx queue index */
	int64_t napi_id;	/* RP_NIC_ABSENT: none */
	int64_t irq;		/* RP_NIC_ABSENT: none */
	int cpu;		/* first CPU of the IRQ's affinity, -1: unknown */
};

struct rp_nic_qmap {
	char dev[IFNAMSIZ];
	bool has_napi;		/* false: software device, use configured CPUs */
	bool has_irq;
	unsigned n;
	struct rp_nic_qmap_entry q[RP_NIC_QUEUES_MAX];
	char note[160];
};

/* One change of a plan: a setting, where the config asked for it, the
 * value the device has and the one it will get. */
enum rp_nic_change_kind {
	RP_CHG_SECT,		/* channels/rings/coalesce field */
	RP_CHG_FEATURE,
	RP_CHG_RSS_HFUNC,
	RP_CHG_RSS_INDIR,
	RP_CHG_NAPI,		/* a field of every NAPI of the device, via napi-set */
	RP_CHG_THREADED,	/* device-wide /sys/class/net/DEV/threaded */
	RP_CHG_IRQ,		/* /proc/irq/N/smp_affinity_list */
	RP_CHG_NTUPLE,		/* an ntuple rule (zcrx queue steering, zcrxq.c) */
	RP_CHG__COUNT,
};

struct rp_nic_change {
	enum rp_nic_change_kind kind;
	char what[96];			/* "channels.combined", "napi.defer-hard-irqs" */
	struct rp_mark mark;
	int sect, field;		/* RP_CHG_SECT / RP_CHG_NAPI */
	int64_t napi_id, irq;
	char feature[RP_FEAT_NAME];
	int64_t from, to;
	char from_text[64], to_text[64];	/* IRQ cpu lists */
	uint32_t *from_indir, *to_indir;	/* RP_CHG_RSS_INDIR, n_indir each */
	struct rp_nic_ntuple nt;		/* RP_CHG_NTUPLE: the rule (loc once made) */
	unsigned n_indir;
	/* RP_CHG_NAPI: NAPI ids change with the channel count, so the NAPIs
	 * are found when the change is made; their old values, for undo. */
	struct rp_nic_napi_old { int64_t id, v; } *napi_old;
	unsigned n_napi_old;
	bool unsupported;		/* the device cannot do this */
	char why[256];
	bool applied;
};

struct rp_nic_plan {
	char dev[IFNAMSIZ];
	char file[256];			/* the config, for file:line:column */
	struct rp_nic_change *c;
	unsigned n;
	unsigned n_unsupported;
	/* Each rx queue's NAPI settings when apply began: undoing a channel
	 * change recreates NAPIs with new ids and default settings, so undo
	 * puts these back by queue. */
	struct rp_nic_napi *napi_before;
	unsigned n_napi_before;
};

struct rp_nl;

/* ---- API --------------------------------------------------------------- */

/* Read everything nicmgr knows about dev. -1 only when the device does not
 * exist or netlink cannot be used at all (msg in *st). */
int rp_nic_read(struct rp_nl *nl, const char *dev, struct rp_nic_info *info,
		struct rp_nic_status *st);

/* The changes cfg (loaded from file) asks of the device described by info. */
int rp_nic_plan_make(const char *file, const struct rp_iface_cfg *cfg,
		     const struct rp_nic_info *info, struct rp_nic_plan *plan);
void rp_nic_plan_free(struct rp_nic_plan *plan);
void rp_nic_plan_print(FILE *f, const struct rp_nic_plan *plan);

/* Make the plan's changes in order, reading each back; on the first failure
 * undo what was changed, in reverse order. 0, or -1 with *st naming the
 * device, the setting and the kernel's ext-ack. log (may be NULL) gets one
 * line per step. */
int rp_nic_plan_apply(struct rp_nl *nl, struct rp_nic_plan *plan, FILE *log,
		      struct rp_nic_status *st);

/* Put back, last first, every change of plan that apply made; failures
 * are appended to st->msg. */
void rp_nic_plan_undo(struct rp_nl *nl, struct rp_nic_plan *plan, FILE *log,
		      struct rp_nic_status *st);

/* Queue map from what rp_nic_read found. */
void rp_nic_qmap_from_info(const struct rp_nic_info *info, struct rp_nic_qmap *map);

/*
 * Start-up in one call: open netlink, read dev, plan and (unless dry_run)
 * apply cfg's settings, read back, and fill the queue map (the first
 * cfg->queues rx queues when that is set). Returns 0, or -1
 * with a message in err ("DEV: channels.combined (FILE:7:5) 1 -> 9: ext-ack")
 * after rolling back whatever it had changed.
 */
int rp_nic_setup(const char *cfg_file, const struct rp_iface_cfg *cfg, bool dry_run,
		 struct rp_nic_qmap *map, char *err, size_t errlen);

/* Output for `ringplane nic show`. */
void rp_nic_print_text(FILE *f, const struct rp_nic_info *info);
void rp_nic_print_json(FILE *f, const struct rp_nic_info *info);

void rp_nic_status_set(struct rp_nic_status *st, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True for errno values that mean "this device/kernel does not have it". */
bool rp_nic_unsupported(int err);

/* The section descriptors (channels.c, rings.c, coalesce.c) and the NAPI
 * field table (napi.c). */
extern const struct rp_nic_sect_desc *const rp_nic_sects[RP_NIC_SECT__COUNT];
extern const struct rp_nic_field rp_nic_napi_fields[RP_NAPI__COUNT];

#endif
