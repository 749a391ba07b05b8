// SPDX-License-Identifier: MIT
/*
 * Plan, apply, read back, roll back.
 *
 * A plan is the list of settings the config asks for that the device does
 * not have yet, each with the value it has now ("from") and the one it will
 * get ("to"). Apply makes them one at a time in plan order (channels, rings,
 * features, coalesce, RSS, NAPI, threaded, IRQ), reads the device back after
 * each, and on the first failure puts back every change already made, last
 * first. A plan that asks for something the device cannot do is refused
 * before anything is touched.
 *
 * Each change kind is one row in the ops table: how to set a value and how
 * to read the current one from a fresh rp_nic_read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nicmgr/family.h"

/* The device as it is now, on the heap (an info is large); NULL with *st
 * saying why. */
static struct rp_nic_info *read_fresh(struct rp_nl *nl, const char *dev,
				      struct rp_nic_status *st)
{
	struct rp_nic_info *info = malloc(sizeof(*info));

	if (!info) {
		rp_nic_status_set(st, ENOMEM, "out of memory");
		return NULL;
	}
	if (rp_nic_read(nl, dev, info, st) < 0) {
		free(info);
		return NULL;
	}
	return info;
}

/* ---- the current value of a change's setting in an info ------------------ */

static const struct rp_nic_feature *feature_find(const struct rp_nic_features *f, const char *name)
{
	for (unsigned i = 0; i < f->n; i++)
		if (!strcmp(f->f[i].name, name))
			return &f->f[i];
	return NULL;
}

static const struct rp_nic_queue *rxq_find(const struct rp_nic_info *info, int64_t irq)
{
	for (unsigned i = 0; i < info->n_queues; i++)
		if (info->q[i].type == RP_NIC_QRX && info->q[i].irq == irq)
			return &info->q[i];
	return NULL;
}

static int64_t cur_sect(const struct rp_nic_info *info, const struct rp_nic_change *c)
{
	return info->sect[c->sect].st.err ? RP_NIC_ABSENT : info->sect[c->sect].v[c->field];
}

static int64_t cur_feature(const struct rp_nic_info *info, const struct rp_nic_change *c)
{
	const struct rp_nic_feature *f = feature_find(&info->feat, c->feature);

	return f ? f->active : RP_NIC_ABSENT;
}

static int64_t cur_hfunc(const struct rp_nic_info *info, const struct rp_nic_change *c)
{
	(void)c;
	return info->rss.hfunc;
}

/* 1 when the table equals the change's target, 0 when not. */
static int64_t cur_indir(const struct rp_nic_info *info, const struct rp_nic_change *c)
{
	return info->rss.n_indir == c->n_indir &&
	       !memcmp(info->rss.indir, c->to_indir, c->n_indir * sizeof(uint32_t));
}

/* 1 when every NAPI of the device has the target value. */
static int64_t cur_napi(const struct rp_nic_info *info, const struct rp_nic_change *c)
{
	for (unsigned i = 0; i < info->n_napi; i++)
		if (info->napi[i].v[c->field] != c->to)
			return 0;
	return info->n_napi > 0;
}

static int64_t cur_threaded(const struct rp_nic_info *info, const struct rp_nic_change *c)
{
	(void)c;
	return info->threaded < 0 ? RP_NIC_ABSENT : info->threaded;
}

/* 1 when the IRQ's affinity list is the change's target. */
static int64_t cur_irq(const struct rp_nic_info *info, const struct rp_nic_change *c)
{
	const struct rp_nic_queue *q = rxq_find(info, c->irq);

	return q && !strcmp(q->cpus, c->to_text);
}

/* ---- setting a value ------------------------------------------------------ */

static int set_sect(struct rp_nl *nl, const char *dev, struct rp_nic_change *c, bool undo,
		    struct rp_nic_status *e)
{
	return rp_nic_sect_set(nl, dev, c->sect, c->field, undo ? c->from : c->to, e);
}

static int set_feature(struct rp_nl *nl, const char *dev, struct rp_nic_change *c,
		       bool undo, struct rp_nic_status *e)
{
	return rp_nic_feature_set(nl, dev, c->feature, undo ? c->from : c->to, e);
}

static int set_hfunc(struct rp_nl *nl, const char *dev, struct rp_nic_change *c, bool undo,
		     struct rp_nic_status *e)
{
	return rp_nic_rss_set(nl, dev, undo ? c->from : c->to, NULL, 0, e);
}

static int set_indir(struct rp_nl *nl, const char *dev, struct rp_nic_change *c, bool undo,
		     struct rp_nic_status *e)
{
	return rp_nic_rss_set(nl, dev, RP_NIC_ABSENT, undo ? c->from_indir : c->to_indir,
			      c->n_indir, e);
}

/* Undo: put back each NAPI's old value (one that is gone is skipped). Do:
 * note every current NAPI's value, then set them all. */
static int set_napi(struct rp_nl *nl, const char *dev, struct rp_nic_change *c, bool undo,
		    struct rp_nic_status *e)
{
	struct rp_nic_info *info;
	int ret = 0;

	if (undo) {
		for (unsigned i = 0; i < c->n_napi_old; i++)
			if (rp_nic_napi_set(nl, c->napi_old[i].id, c->field, c->napi_old[i].v, e) < 0 &&
			    e->err != ENOENT)
				ret = -1;
		return ret;
	}
	if (!(info = read_fresh(nl, dev, e)))
		return -1;
	free(c->napi_old);
	c->n_napi_old = 0;
	if (!(c->napi_old = calloc(info->n_napi + 1, sizeof(*c->napi_old)))) {
		rp_nic_status_set(e, ENOMEM, "out of memory");
		ret = -1;
	}
	for (unsigned i = 0; ret == 0 && i < info->n_napi; i++) {
		const struct rp_nic_napi *n = &info->napi[i];

		c->napi_old[i].id = n->v[RP_NAPI_ID];
		c->napi_old[i].v = n->v[c->field];
		if (rp_nic_napi_set(nl, n->v[RP_NAPI_ID], c->field, c->to, e) < 0)
			ret = -1;
		else
			c->n_napi_old = i + 1;
	}
	free(info);
	return ret;
}

static int set_threaded(struct rp_nl *nl, const char *dev, struct rp_nic_change *c,
			bool undo, struct rp_nic_status *e)
{
	(void)nl;
	return rp_nic_threaded_set(dev, (int)(undo ? c->from : c->to), e);
}

static int set_irq(struct rp_nl *nl, const char *dev, struct rp_nic_change *c, bool undo,
		   struct rp_nic_status *e)
{
	(void)nl;
	(void)dev;
	return rp_nic_irq_affinity_set(c->irq, undo ? c->from_text : c->to_text, e);
}

/* Undo deletes the rule by the place the driver gave it. */
static int set_ntuple(struct rp_nl *nl, const char *dev, struct rp_nic_change *c, bool undo,
		      struct rp_nic_status *e)
{
	(void)nl;
	return undo ? rp_nic_ntuple_delete(dev, &c->nt, e) : rp_nic_ntuple_insert(dev, &c->nt, e);
}

static int64_t cur_ntuple(const struct rp_nic_info *info, const struct rp_nic_change *c)
{
	return rp_nic_ntuple_find(info, &c->nt) != NULL;
}

struct change_ops {
	int (*set)(struct rp_nl *nl, const char *dev, struct rp_nic_change *c, bool undo,
		   struct rp_nic_status *e);
	int64_t (*current)(const struct rp_nic_info *info, const struct rp_nic_change *c);
	bool by_match;		/* current() answers "equals target" (1/0) */
};

static const struct change_ops change_ops[RP_CHG__COUNT] = {
	[RP_CHG_SECT]      = { set_sect, cur_sect, false },
	[RP_CHG_FEATURE]   = { set_feature, cur_feature, false },
	[RP_CHG_RSS_HFUNC] = { set_hfunc, cur_hfunc, false },
	[RP_CHG_RSS_INDIR] = { set_indir, cur_indir, true },
	[RP_CHG_NAPI]      = { set_napi, cur_napi, true },
	[RP_CHG_THREADED]  = { set_threaded, cur_threaded, false },
	[RP_CHG_IRQ]       = { set_irq, cur_irq, true },
	[RP_CHG_NTUPLE]    = { set_ntuple, cur_ntuple, true },
};

static bool has_target(const struct rp_nic_info *info, const struct rp_nic_change *c)
{
	const struct change_ops *ops = &change_ops[c->kind];
	int64_t v = ops->current(info, c);

	return ops->by_match ? v == 1 : v == c->to;
}

/* ---- making the plan ---------------------------------------------------- */

struct rp_nic_change *rp_nic_plan_add(struct rp_nic_plan *p, enum rp_nic_change_kind kind,
				      const struct rp_iface_cfg *cfg, const char *fmt, ...)
{
	struct rp_nic_change *c, *v = realloc(p->c, (p->n + 1) * sizeof(*p->c));
	va_list ap;

	if (!v)
		return NULL;
	p->c = v;
	c = &p->c[p->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->mark = cfg->mark;
	c->napi_id = c->irq = RP_NIC_ABSENT;
	va_start(ap, fmt);
	vsnprintf(c->what, sizeof(c->what), fmt, ap);
	va_end(ap);
	return c;
}

void rp_nic_plan_unsupported(struct rp_nic_plan *p, struct rp_nic_change *c, const char *fmt, ...)
{
	va_list ap;

	c->unsupported = true;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	p->n_unsupported++;
}

static void num_texts(struct rp_nic_change *c)
{
	snprintf(c->from_text, sizeof(c->from_text), "%" PRId64, c->from);
	snprintf(c->to_text, sizeof(c->to_text), "%" PRId64, c->to);
}

static void onoff_texts(struct rp_nic_change *c)
{
	snprintf(c->from_text, sizeof(c->from_text), "%s", c->from ? "on" : "off");
	snprintf(c->to_text, sizeof(c->to_text), "%s", c->to ? "on" : "off");
}

/* A numeric setting: skip when unset or already in place, else a change or
 * a refusal. */
static int plan_number(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
		       const struct rp_nic_status *st, int64_t have, int64_t want, bool in_place,
		       struct rp_nic_change *proto)
{
	struct rp_nic_change *c;

	if (want == RP_NIC_ABSENT || (!st->err && in_place))
		return 0;
	if (!(c = rp_nic_plan_add(p, proto->kind, cfg, "%s", proto->what)))
		return -1;
	c->sect = proto->sect;
	c->field = proto->field;
	c->napi_id = proto->napi_id;
	c->from = have;
	c->to = want;
	num_texts(c);
	if (st->err)
		rp_nic_plan_unsupported(p, c, "%s", st->msg);
	else if (have == RP_NIC_ABSENT)
		rp_nic_plan_unsupported(p, c, "%s does not report this setting", p->dev);
	return 0;
}

static int plan_sects(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
		      const struct rp_nic_info *info, enum rp_nic_sect_id id)
{
	const struct rp_nic_sect_desc *d = rp_nic_sects[id];

	for (unsigned i = 0; i < d->n_fields; i++) {
		struct rp_nic_change proto = { .kind = RP_CHG_SECT, .sect = id, .field = i };

		int64_t want = rp_nic_field_wanted(&d->fields[i], cfg);

		snprintf(proto.what, sizeof(proto.what), "%s", d->fields[i].key);
		if (plan_number(p, cfg, &info->sect[id].st, info->sect[id].v[i], want,
				info->sect[id].v[i] == want, &proto) < 0)
			return -1;
	}
	return 0;
}

static int plan_features(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
			 const struct rp_nic_info *info)
{
	for (unsigned i = 0; i < cfg->n_features; i++) {
		const struct rp_feature_cfg *w = &cfg->features[i];
		const struct rp_nic_feature *f = feature_find(&info->feat, w->name);
		struct rp_nic_change *c;

		if (f && !info->feat.st.err && f->active == w->on)
			continue;
		if (!(c = rp_nic_plan_add(p, RP_CHG_FEATURE, cfg, "features.%s", w->name)))
			return -1;
		c->mark = w->mark;
		snprintf(c->feature, sizeof(c->feature), "%s", w->name);
		c->from = f ? f->active : 0;
		c->to = w->on;
		onoff_texts(c);
		if (info->feat.st.err)
			rp_nic_plan_unsupported(p, c, "%s", info->feat.st.msg);
		else if (!f)
			rp_nic_plan_unsupported(p, c, "%s has no feature named '%s'", p->dev, w->name);
		else if (f->fixed)
			rp_nic_plan_unsupported(p, c, "'%s' is fixed on %s", w->name, p->dev);
	}
	return 0;
}

static int plan_hfunc(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
		      const struct rp_nic_info *info)
{
	const struct rp_nic_rss *r = &info->rss;
	struct rp_nic_change *c;
	int64_t want = RP_NIC_ABSENT;

	if (!cfg->rss_hfunc[0] || (!r->st.err && !strcmp(r->hfunc_name, cfg->rss_hfunc)))
		return 0;
	for (unsigned i = 0; i < r->n_hfuncs; i++)
		if (!strcmp(r->hfuncs[i], cfg->rss_hfunc))
			want = i;
	if (!(c = rp_nic_plan_add(p, RP_CHG_RSS_HFUNC, cfg, "rss.hfunc")))
		return -1;
	c->from = r->hfunc;
	c->to = want;
	snprintf(c->from_text, sizeof(c->from_text), "%s", r->hfunc_name[0] ? r->hfunc_name : "n/a");
	snprintf(c->to_text, sizeof(c->to_text), "%s", cfg->rss_hfunc);
	if (r->st.err)
		rp_nic_plan_unsupported(p, c, "%s", r->st.msg);
	else if (want == RP_NIC_ABSENT)
		rp_nic_plan_unsupported(p, c, "%s has no hash function '%s'", p->dev, cfg->rss_hfunc);
	return 0;
}

static void indir_text(char *buf, size_t len, const uint32_t *t, unsigned n)
{
	size_t off = snprintf(buf, len, "[");

	for (unsigned i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%u", i ? " " : "", t[i]);
	if (off < len)
		snprintf(buf + off, len - off, "]");
}

static int plan_indir(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
		      const struct rp_nic_info *info)
{
	const struct rp_nic_rss *r = &info->rss;
	unsigned n = r->n_indir;
	struct rp_nic_change *c;

	if (cfg->rss_equal == RP_UNSET && !cfg->n_rss_indir)
		return 0;
	if (!(c = rp_nic_plan_add(p, RP_CHG_RSS_INDIR, cfg, "rss.indirection")))
		return -1;
	if (r->st.err || !n) {
		rp_nic_plan_unsupported(p, c, "%s", r->st.err ? r->st.msg : "device has no indirection table");
		return 0;
	}
	if (cfg->n_rss_indir && cfg->n_rss_indir != n) {
		rp_nic_plan_unsupported(p, c, "table has %u entries, %s's has %u", cfg->n_rss_indir, p->dev, n);
		return 0;
	}
	c->from_indir = malloc(n * sizeof(uint32_t));
	c->to_indir = malloc(n * sizeof(uint32_t));
	if (!c->from_indir || !c->to_indir)
		return -1;
	c->n_indir = n;
	memcpy(c->from_indir, r->indir, n * sizeof(uint32_t));
	for (unsigned i = 0; i < n; i++)
		c->to_indir[i] = cfg->n_rss_indir ? cfg->rss_indir[i] : i % (unsigned)cfg->rss_equal;
	if (cur_indir(info, c)) {	/* already so: drop the change */
		free(c->from_indir);
		free(c->to_indir);
		p->n--;
		return 0;
	}
	indir_text(c->from_text, sizeof(c->from_text), c->from_indir, n);
	indir_text(c->to_text, sizeof(c->to_text), c->to_indir, n);
	return 0;
}

/* One change per field for all of the device's NAPIs; "threaded" goes
 * device-wide through sysfs when the kernel has no per-NAPI attribute. */
static int plan_napi(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
		     const struct rp_nic_info *info)
{
	for (unsigned k = RP_NAPI_DEFER_HARD_IRQS; k < RP_NAPI__COUNT; k++) {
		const struct rp_nic_field *f = &rp_nic_napi_fields[k];
		struct rp_nic_change proto = { .kind = RP_CHG_NAPI, .field = k };
		int64_t want = rp_nic_field_wanted(f, cfg), have;
		struct rp_nic_change *c;
		unsigned n;

		if (want == RP_NIC_ABSENT)
			continue;
		/* sysfs only where NAPIs exist: without any, the kernel refuses
		 * the write (EIO), so say why up front */
		if (k == RP_NAPI_THREADED && info->n_napi && info->napi[0].v[k] == RP_NIC_ABSENT) {
			proto.kind = RP_CHG_THREADED;
			have = info->threaded < 0 ? RP_NIC_ABSENT : info->threaded;
			snprintf(proto.what, sizeof(proto.what), "napi.threaded (sysfs)");
			if (plan_number(p, cfg, &info->threaded_st, have, want, have == want, &proto) < 0)
				return -1;
			continue;
		}
		snprintf(proto.what, sizeof(proto.what), "%s (every NAPI)", f->key);
		proto.to = want;
		/* from: the first NAPI's value; "mixed" if they differ */
		have = info->n_napi ? info->napi[0].v[k] : RP_NIC_ABSENT;
		n = p->n;
		if (plan_number(p, cfg, &info->napi_st, have, want, cur_napi(info, &proto), &proto) < 0)
			return -1;
		if (p->n == n)
			continue;
		c = &p->c[n];
		for (unsigned i = 1; i < info->n_napi; i++)
			if (info->napi[i].v[k] != have)
				snprintf(c->from_text, sizeof(c->from_text), "mixed");
	}
	return 0;
}

static int plan_irq(struct rp_nic_plan *p, const struct rp_iface_cfg *cfg,
		    const struct rp_nic_info *info)
{
	unsigned rx = 0;
	struct rp_nic_change *c;

	if (!cfg->irq_cpus_set || cfg->irq_cpus.is_auto || !cfg->irq_cpus.n)
		return 0;
	for (unsigned i = 0; i < info->n_queues; i++) {
		const struct rp_nic_queue *q = &info->q[i];
		char want[16];

		if (q->type != RP_NIC_QRX || q->irq == RP_NIC_ABSENT)
			continue;
		if (cfg->queues != RP_UNSET && rx >= (unsigned)cfg->queues)
			break;
		snprintf(want, sizeof(want), "%u", cfg->irq_cpus.cpu[rx++ % cfg->irq_cpus.n]);
		if (!strcmp(q->cpus, want))
			continue;
		if (!(c = rp_nic_plan_add(p, RP_CHG_IRQ, cfg, "irq %" PRId64 " (rx-%u) cpus", q->irq, q->id)))
			return -1;
		c->irq = q->irq;
		snprintf(c->from_text, sizeof(c->from_text), "%s", q->cpus);
		snprintf(c->to_text, sizeof(c->to_text), "%s", want);
	}
	if (!rx && (c = rp_nic_plan_add(p, RP_CHG_IRQ, cfg, "irq-cpus")))
		rp_nic_plan_unsupported(p, c, "%s", info->irq_st.err ? info->irq_st.msg : "no queue IRQ found");
	return 0;
}

int rp_nic_plan_make(const char *file, const struct rp_iface_cfg *cfg,
		     const struct rp_nic_info *info, struct rp_nic_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	snprintf(plan->dev, sizeof(plan->dev), "%s", info->dev);
	snprintf(plan->file, sizeof(plan->file), "%s", file ? file : "config");
	if (plan_sects(plan, cfg, info, RP_NIC_CHANNELS) < 0 ||
	    plan_sects(plan, cfg, info, RP_NIC_RINGS) < 0 ||
	    plan_features(plan, cfg, info) < 0 ||
	    plan_sects(plan, cfg, info, RP_NIC_COALESCE) < 0 ||
	    plan_hfunc(plan, cfg, info) < 0 ||
	    plan_indir(plan, cfg, info) < 0 ||
	    plan_napi(plan, cfg, info) < 0 ||
	    plan_irq(plan, cfg, info) < 0 ||
	    rp_nic_plan_zcrx(plan, cfg, info) < 0) {
		rp_nic_plan_free(plan);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void rp_nic_plan_free(struct rp_nic_plan *plan)
{
	for (unsigned i = 0; i < plan->n; i++) {
		free(plan->c[i].from_indir);
		free(plan->c[i].to_indir);
		free(plan->c[i].napi_old);
	}
	free(plan->c);
	free(plan->napi_before);
	plan->napi_before = NULL;
	plan->c = NULL;
	plan->n = 0;
}

static void where(char *buf, size_t len, const char *file, const struct rp_mark *m)
{
	if (m->line)
		snprintf(buf, len, " (%s:%u:%u)", file, m->line, m->column);
	else
		buf[0] = '\0';
}

void rp_nic_plan_print(FILE *f, const struct rp_nic_plan *plan)
{
	char at[300];

	if (!plan->n) {
		fprintf(f, "%s: no changes\n", plan->dev);
		return;
	}
	fprintf(f, "%s: %u change%s, %u not supported\n", plan->dev, plan->n - plan->n_unsupported,
		plan->n - plan->n_unsupported == 1 ? "" : "s", plan->n_unsupported);
	for (unsigned i = 0; i < plan->n; i++) {
		const struct rp_nic_change *c = &plan->c[i];

		where(at, sizeof(at), plan->file, &c->mark);
		if (c->unsupported)
			fprintf(f, "  ! %s: not supported: %s%s\n", c->what, c->why, at);
		else
			fprintf(f, "  ~ %s: %s -> %s%s\n", c->what, c->from_text, c->to_text, at);
	}
}

/* ---- applying ----------------------------------------------------------- */

static int readback(struct rp_nl *nl, const char *dev, const struct rp_nic_change *c,
		    struct rp_nic_status *e)
{
	struct rp_nic_info *info = read_fresh(nl, dev, e);
	int ret = -1;

	if (!info)
		return -1;
	if (!has_target(info, c))
		rp_nic_status_set(e, EIO, "set to %s but the device reads back otherwise", c->to_text);
	else
		ret = 0;
	free(info);
	return ret;
}

static const struct rp_nic_napi *napi_of(const struct rp_nic_info *info, int64_t id)
{
	for (unsigned i = 0; i < info->n_napi; i++)
		if (info->napi[i].v[RP_NAPI_ID] == id)
			return &info->napi[i];
	return NULL;
}

/* plan->napi_before[q]: the NAPI settings of rx queue q, id ABSENT if none. */
static void napi_remember(struct rp_nl *nl, struct rp_nic_plan *plan)
{
	struct rp_nic_status st;
	struct rp_nic_info *info = read_fresh(nl, plan->dev, &st);

	free(plan->napi_before);
	plan->napi_before = NULL;
	plan->n_napi_before = 0;
	if (!info || !(plan->napi_before = calloc(info->n_queues + 1, sizeof(*plan->napi_before)))) {
		free(info);
		return;
	}
	for (unsigned i = 0; i <= info->n_queues; i++)
		plan->napi_before[i].v[RP_NAPI_ID] = RP_NIC_ABSENT;
	for (unsigned i = 0; i < info->n_queues; i++) {
		const struct rp_nic_queue *q = &info->q[i];
		const struct rp_nic_napi *n = napi_of(info, q->napi_id);

		if (q->type != RP_NIC_QRX || q->id >= info->n_queues)
			continue;
		if (n && q->napi_id != RP_NIC_ABSENT)
			plan->napi_before[q->id] = *n;
		if (q->id + 1 > plan->n_napi_before)
			plan->n_napi_before = q->id + 1;
	}
	free(info);
}

static void napi_restore(struct rp_nl *nl, struct rp_nic_plan *plan, FILE *log,
			 struct rp_nic_status *st)
{
	struct rp_nic_status rd;
	struct rp_nic_info *info = read_fresh(nl, plan->dev, &rd);
	size_t len = strlen(st->msg);

	if (!info)
		snprintf(st->msg + len, sizeof(st->msg) - len,
			 "; cannot re-read to restore NAPI settings: %s", rd.msg);
	for (unsigned i = 0; info && i < info->n_queues; i++) {
		const struct rp_nic_queue *q = &info->q[i];
		const struct rp_nic_napi *now = napi_of(info, q->napi_id), *was;

		if (q->type != RP_NIC_QRX || !now || q->id >= plan->n_napi_before)
			continue;
		was = &plan->napi_before[q->id];
		if (was->v[RP_NAPI_ID] == RP_NIC_ABSENT)
			continue;
		for (unsigned k = RP_NAPI_DEFER_HARD_IRQS; k < RP_NAPI__COUNT; k++) {
			struct rp_nic_status e;

			len = strlen(st->msg);
			if (was->v[k] == RP_NIC_ABSENT || now->v[k] == was->v[k])
				continue;
			if (rp_nic_napi_set(nl, q->napi_id, k, was->v[k], &e) < 0)
				snprintf(st->msg + len, sizeof(st->msg) - len,
					 "; restoring rx-%u napi %s failed: %s", q->id,
					 rp_nic_napi_fields[k].name, e.msg);
			else if (log)
				fprintf(log, "%s: restored rx-%u napi %s to %" PRId64 "\n", plan->dev,
					q->id, rp_nic_napi_fields[k].name, was->v[k]);
		}
	}
	free(info);
}

void rp_nic_plan_undo(struct rp_nl *nl, struct rp_nic_plan *plan, FILE *log,
		      struct rp_nic_status *st)
{
	bool undone = false;

	for (unsigned i = plan->n; i-- > 0;) {
		struct rp_nic_change *c = &plan->c[i];
		struct rp_nic_status e;
		size_t len = strlen(st->msg);

		if (!c->applied)
			continue;
		if (change_ops[c->kind].set(nl, plan->dev, c, true, &e) < 0) {
			snprintf(st->msg + len, sizeof(st->msg) - len, "; rollback of %s failed: %s",
				 c->what, e.msg);
			continue;
		}
		c->applied = false;
		undone = true;
		if (log)
			fprintf(log, "%s: rolled back %s to %s\n", plan->dev, c->what, c->from_text);
	}
	if (undone)
		napi_restore(nl, plan, log, st);
}

int rp_nic_plan_apply(struct rp_nl *nl, struct rp_nic_plan *plan, FILE *log,
		      struct rp_nic_status *st)
{
	char at[300];

	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < plan->n; i++)
		if (plan->c[i].unsupported) {
			where(at, sizeof(at), plan->file, &plan->c[i].mark);
			rp_nic_status_set(st, EOPNOTSUPP, "%s: %s%s: not supported: %s (nothing changed)",
					  plan->dev, plan->c[i].what, at, plan->c[i].why);
			return -1;
		}
	if (plan->n)
		napi_remember(nl, plan);
	for (unsigned i = 0; i < plan->n; i++) {
		struct rp_nic_change *c = &plan->c[i];
		struct rp_nic_status e;

		where(at, sizeof(at), plan->file, &c->mark);
		if (change_ops[c->kind].set(nl, plan->dev, c, false, &e) == 0)
			c->applied = true;
		if (!c->applied || readback(nl, plan->dev, c, &e) < 0) {
			rp_nic_status_set(st, e.err, "%s: %s%s %s -> %s: %s", plan->dev, c->what,
					  at, c->from_text, c->to_text, e.msg);
			rp_nic_plan_undo(nl, plan, log, st);
			return -1;
		}
		if (log)
			fprintf(log, "%s: %s %s -> %s\n", plan->dev, c->what, c->from_text, c->to_text);
	}
	return 0;
}
