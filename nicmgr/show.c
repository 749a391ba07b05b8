// SPDX-License-Identifier: MIT
/*
 * `nic show` output: text for people, JSON for scripts. A part the device
 * does not have reads "not supported" (JSON: status "not supported", its
 * values null); so does a value inside a supported part that the driver
 * does not report (ethtool's "n/a"; JSON null).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nicmgr/family.h"

#define NOT_SUPPORTED "not supported"

/* qstats attribute -> name, as in the netdev spec. */
static const char *const qstat_names[RP_NIC_QSTATS_MAX] = {
	[NETDEV_A_QSTATS_RX_PACKETS] = "rx-packets",
	[NETDEV_A_QSTATS_RX_BYTES] = "rx-bytes",
	[NETDEV_A_QSTATS_TX_PACKETS] = "tx-packets",
	[NETDEV_A_QSTATS_TX_BYTES] = "tx-bytes",
	[NETDEV_A_QSTATS_RX_ALLOC_FAIL] = "rx-alloc-fail",
	[NETDEV_A_QSTATS_RX_HW_DROPS] = "rx-hw-drops",
	[NETDEV_A_QSTATS_RX_HW_DROP_OVERRUNS] = "rx-hw-drop-overruns",
	[NETDEV_A_QSTATS_RX_CSUM_COMPLETE] = "rx-csum-complete",
	[NETDEV_A_QSTATS_RX_CSUM_UNNECESSARY] = "rx-csum-unnecessary",
	[NETDEV_A_QSTATS_RX_CSUM_NONE] = "rx-csum-none",
	[NETDEV_A_QSTATS_RX_CSUM_BAD] = "rx-csum-bad",
	[NETDEV_A_QSTATS_RX_HW_GRO_PACKETS] = "rx-hw-gro-packets",
	[NETDEV_A_QSTATS_RX_HW_GRO_BYTES] = "rx-hw-gro-bytes",
	[NETDEV_A_QSTATS_RX_HW_GRO_WIRE_PACKETS] = "rx-hw-gro-wire-packets",
	[NETDEV_A_QSTATS_RX_HW_GRO_WIRE_BYTES] = "rx-hw-gro-wire-bytes",
	[NETDEV_A_QSTATS_RX_HW_DROP_RATELIMITS] = "rx-hw-drop-ratelimits",
	[NETDEV_A_QSTATS_TX_HW_DROPS] = "tx-hw-drops",
	[NETDEV_A_QSTATS_TX_HW_DROP_ERRORS] = "tx-hw-drop-errors",
	[NETDEV_A_QSTATS_TX_CSUM_NONE] = "tx-csum-none",
	[NETDEV_A_QSTATS_TX_NEEDS_CSUM] = "tx-needs-csum",
	[NETDEV_A_QSTATS_TX_HW_GSO_PACKETS] = "tx-hw-gso-packets",
	[NETDEV_A_QSTATS_TX_HW_GSO_BYTES] = "tx-hw-gso-bytes",
	[NETDEV_A_QSTATS_TX_HW_GSO_WIRE_PACKETS] = "tx-hw-gso-wire-packets",
	[NETDEV_A_QSTATS_TX_HW_GSO_WIRE_BYTES] = "tx-hw-gso-wire-bytes",
	[NETDEV_A_QSTATS_TX_HW_DROP_RATELIMITS] = "tx-hw-drop-ratelimits",
	[NETDEV_A_QSTATS_TX_STOP] = "tx-stop",
	[NETDEV_A_QSTATS_TX_WAKE] = "tx-wake",
};

static const char *status_word(const struct rp_nic_status *st)
{
	if (!st->err)
		return "ok";
	return rp_nic_unsupported(st->err) ? NOT_SUPPORTED : "error";
}

/* ---- text ---------------------------------------------------------------- */

static bool text_status(FILE *f, const char *title, const struct rp_nic_status *st)
{
	fprintf(f, "%s:", title);
	if (!st->err) {
		fprintf(f, "\n");
		return true;
	}
	fprintf(f, " %s (%s)\n", status_word(st), st->msg);
	return false;
}

static void text_value(FILE *f, const char *name, int64_t v)
{
	if (v == RP_NIC_ABSENT)
		fprintf(f, "  %-22s " NOT_SUPPORTED "\n", name);
	else
		fprintf(f, "  %-22s %" PRId64 "\n", name, v);
}

static void text_sect(FILE *f, const struct rp_nic_info *info, enum rp_nic_sect_id id)
{
	const struct rp_nic_sect_desc *d = rp_nic_sects[id];

	if (!text_status(f, d->name, &info->sect[id].st))
		return;
	for (unsigned i = 0; i < d->n_fields; i++)
		text_value(f, d->fields[i].name, info->sect[id].v[i]);
}

static void text_features(FILE *f, const struct rp_nic_features *ft)
{
	if (!text_status(f, "features", &ft->st))
		return;
	for (unsigned i = 0; i < ft->n; i++)
		fprintf(f, "  %-32s %s%s\n", ft->f[i].name, ft->f[i].active ? "on" : "off",
			ft->f[i].fixed ? " [fixed]" : "");
}

static void text_rss(FILE *f, const struct rp_nic_rss *r)
{
	if (!text_status(f, "rss", &r->st))
		return;
	fprintf(f, "  hash function: %s\n  key: ", r->hfunc_name[0] ? r->hfunc_name : NOT_SUPPORTED);
	for (unsigned i = 0; i < r->key_len; i++)
		fprintf(f, "%02x%s", r->key[i], i + 1 < r->key_len ? ":" : "");
	fprintf(f, "%s\n  indirection (%u):", r->key_len ? "" : NOT_SUPPORTED, r->n_indir);
	for (unsigned i = 0; i < r->n_indir; i++)
		fprintf(f, "%s%u", i % 16 ? " " : "\n    ", r->indir[i]);
	fprintf(f, "\n");
}

static void text_ntuple(FILE *f, const struct rp_nic_info *info)
{
	char rule[96];

	if (!text_status(f, "ntuple rules", &info->ntuple_st))
		return;
	for (unsigned i = 0; i < info->n_ntuple; i++) {
		rp_nic_ntuple_text(rule, sizeof(rule), &info->ntuple[i]);
		fprintf(f, "  %-6" PRId64 " %s\n", info->ntuple[i].loc, rule);
	}
}

static void text_napi(FILE *f, const struct rp_nic_info *info)
{
	fprintf(f, "threaded (sysfs): %s\n",
		info->threaded < 0 ? NOT_SUPPORTED : info->threaded ? "on" : "off");
	if (!text_status(f, "napi", &info->napi_st))
		return;
	for (unsigned i = 0; i < info->n_napi; i++) {
		fprintf(f, "  napi");
		for (unsigned k = 0; k < RP_NAPI__COUNT; k++) {
			int64_t v = info->napi[i].v[k];

			if (v == RP_NIC_ABSENT)
				fprintf(f, " %s=" NOT_SUPPORTED, rp_nic_napi_fields[k].name);
			else
				fprintf(f, " %s=%" PRId64, rp_nic_napi_fields[k].name, v);
		}
		fprintf(f, "\n");
	}
}

static void text_queues(FILE *f, const struct rp_nic_info *info)
{
	if (info->queue_st.err)
		fprintf(f, "queue-get: %s (%s); queues from sysfs\n",
			status_word(&info->queue_st), info->queue_st.msg);
	if (info->irq_st.err)
		fprintf(f, "irq: %s (%s)\n", status_word(&info->irq_st), info->irq_st.msg);
	if (info->qstats_st.err)
		fprintf(f, "qstats: %s (%s)\n", status_word(&info->qstats_st), info->qstats_st.msg);
	fprintf(f, "queues:%s\n", info->napi_inferred ? " (NAPI ids inferred from order)" : "");
	for (unsigned i = 0; i < info->n_queues; i++) {
		const struct rp_nic_queue *q = &info->q[i];

		fprintf(f, "  %s-%u", q->type == RP_NIC_QRX ? "rx" : "tx", q->id);
		if (q->napi_id != RP_NIC_ABSENT)
			fprintf(f, " napi %" PRId64, q->napi_id);
		if (q->irq != RP_NIC_ABSENT)
			fprintf(f, " irq %" PRId64 " cpus %s", q->irq, q->cpus[0] ? q->cpus : "?");
		for (unsigned a = 0; a < RP_NIC_QSTATS_MAX; a++)
			if (q->stats_mask & (1ULL << a))
				fprintf(f, " %s=%" PRIu64, qstat_names[a], q->stats[a]);
		fprintf(f, "\n");
	}
}

void rp_nic_print_text(FILE *f, const struct rp_nic_info *info)
{
	struct rp_nic_qmap map;

	fprintf(f, "device: %s (ifindex %u)\n", info->dev, info->ifindex);
	if (text_status(f, "driver", &info->drv))
		fprintf(f, "  name %s, version %s, firmware %s, bus %s\n", info->driver,
			info->version[0] ? info->version : "n/a",
			info->firmware[0] ? info->firmware : "n/a", info->bus[0] ? info->bus : "n/a");
	if (text_status(f, "link", &info->link))
		fprintf(f, "  %s\n", info->link_up < 0 ? NOT_SUPPORTED : info->link_up ? "up" : "down");
	for (unsigned i = 0; i < RP_NIC_SECT__COUNT; i++)
		text_sect(f, info, i);
	text_features(f, &info->feat);
	text_rss(f, &info->rss);
	text_ntuple(f, info);
	text_napi(f, info);
	text_queues(f, info);
	rp_nic_qmap_from_info(info, &map);
	fprintf(f, "queue map: %s\n", map.note);
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, int64_t v)
{
	if (v == RP_NIC_ABSENT)
		fprintf(f, "null");
	else
		fprintf(f, "%" PRId64, v);
}

/* , "key": value  — inside an object already opened */
static void kv_str(FILE *f, const char *key, const char *v)
{
	fprintf(f, ", \"%s\": ", key);
	json_str(f, v);
}

static void kv_num(FILE *f, const char *key, int64_t v)
{
	fprintf(f, ", \"%s\": ", key);
	json_num(f, v);
}

/* "name": {"status": ..., "message": ... — leaves the object open. */
static bool json_status(FILE *f, const char *name, const struct rp_nic_status *st)
{
	json_str(f, name);
	fprintf(f, ": {\"status\": ");
	json_str(f, status_word(st));
	if (st->err) {
		fprintf(f, ", \"message\": ");
		json_str(f, st->msg);
	}
	return !st->err;
}

static void json_sect(FILE *f, const struct rp_nic_info *info, enum rp_nic_sect_id id)
{
	const struct rp_nic_sect_desc *d = rp_nic_sects[id];
	bool ok = json_status(f, d->name, &info->sect[id].st);

	for (unsigned i = 0; i < d->n_fields; i++)
		kv_num(f, d->fields[i].name, ok ? info->sect[id].v[i] : RP_NIC_ABSENT);
	fprintf(f, "},\n");
}

static void json_features(FILE *f, const struct rp_nic_features *ft)
{
	json_status(f, "features", &ft->st);
	fprintf(f, ", \"list\": {");
	for (unsigned i = 0; i < ft->n; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		json_str(f, ft->f[i].name);
		fprintf(f, ": {\"active\": %s, \"wanted\": %s, \"fixed\": %s}",
			ft->f[i].active ? "true" : "false", ft->f[i].wanted ? "true" : "false",
			ft->f[i].fixed ? "true" : "false");
	}
	fprintf(f, "}},\n");
}

static void json_rss(FILE *f, const struct rp_nic_rss *r)
{
	json_status(f, "rss", &r->st);
	fprintf(f, ", \"hfunc\": ");
	if (r->hfunc_name[0])
		json_str(f, r->hfunc_name);
	else
		fprintf(f, "null");
	fprintf(f, ", \"key\": \"");
	for (unsigned i = 0; i < r->key_len; i++)
		fprintf(f, "%02x", r->key[i]);
	fprintf(f, "\", \"indirection\": [");
	for (unsigned i = 0; i < r->n_indir; i++)
		fprintf(f, "%s%u", i ? ", " : "", r->indir[i]);
	fprintf(f, "]},\n");
}

static void json_ntuple(FILE *f, const struct rp_nic_info *info)
{
	char rule[96];

	json_status(f, "ntuple", &info->ntuple_st);
	fprintf(f, ", \"rules\": [");
	for (unsigned i = 0; i < info->n_ntuple; i++) {
		rp_nic_ntuple_text(rule, sizeof(rule), &info->ntuple[i]);
		fprintf(f, "%s{\"loc\": %" PRId64 ", \"rule\": ", i ? ", " : "", info->ntuple[i].loc);
		json_str(f, rule);
		fprintf(f, "}");
	}
	fprintf(f, "]},\n");
}

static void json_napi(FILE *f, const struct rp_nic_info *info)
{
	json_status(f, "threaded", &info->threaded_st);
	kv_num(f, "value", info->threaded < 0 ? RP_NIC_ABSENT : info->threaded);
	fprintf(f, "},\n  ");
	json_status(f, "napi", &info->napi_st);
	fprintf(f, ", \"list\": [");
	for (unsigned i = 0; i < info->n_napi; i++) {
		fprintf(f, "%s\n    {\"id\": ", i ? "," : "");
		json_num(f, info->napi[i].v[RP_NAPI_ID]);
		for (unsigned k = RP_NAPI_ID + 1; k < RP_NAPI__COUNT; k++)
			kv_num(f, rp_nic_napi_fields[k].name, info->napi[i].v[k]);
		fprintf(f, "}");
	}
	fprintf(f, "]},\n");
}

static void json_queue(FILE *f, const struct rp_nic_queue *q)
{
	bool first = true;

	fprintf(f, "{\"type\": \"%s\", \"id\": %u", q->type == RP_NIC_QRX ? "rx" : "tx", q->id);
	kv_num(f, "napi-id", q->napi_id);
	kv_num(f, "irq", q->irq);
	kv_str(f, "cpus", q->cpus);
	fprintf(f, ", \"stats\": {");
	for (unsigned a = 0; a < RP_NIC_QSTATS_MAX; a++) {
		if (!(q->stats_mask & (1ULL << a)))
			continue;
		fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", qstat_names[a], q->stats[a]);
		first = false;
	}
	fprintf(f, "}}");
}

static void json_queues(FILE *f, const struct rp_nic_info *info)
{
	json_status(f, "queues", &info->queue_st);
	fprintf(f, ", \"napi-inferred\": %s, \"list\": [", info->napi_inferred ? "true" : "false");
	for (unsigned i = 0; i < info->n_queues; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		json_queue(f, &info->q[i]);
	}
	fprintf(f, "]},\n  ");
	json_status(f, "qstats", &info->qstats_st);
	fprintf(f, "},\n  ");
	json_status(f, "irq", &info->irq_st);
	fprintf(f, "},\n");
}

/* What rp_nic_setup hands the dataplane for this device. */
static void json_qmap(FILE *f, const struct rp_nic_info *info)
{
	struct rp_nic_qmap map;

	rp_nic_qmap_from_info(info, &map);
	fprintf(f, "\"queue-map\": {\"has-napi\": %s, \"has-irq\": %s, \"note\": ",
		map.has_napi ? "true" : "false", map.has_irq ? "true" : "false");
	json_str(f, map.note);
	fprintf(f, ", \"cpus\": [");
	for (unsigned i = 0; i < map.n; i++)
		fprintf(f, "%s%d", i ? ", " : "", map.q[i].cpu);
	fprintf(f, "]}\n");
}

void rp_nic_print_json(FILE *f, const struct rp_nic_info *info)
{
	fprintf(f, "{\"device\": ");
	json_str(f, info->dev);
	fprintf(f, ", \"ifindex\": %u,\n  ", info->ifindex);
	json_status(f, "driver", &info->drv);
	kv_str(f, "name", info->driver);
	kv_str(f, "version", info->version);
	kv_str(f, "firmware", info->firmware);
	kv_str(f, "bus", info->bus);
	fprintf(f, "},\n  ");
	json_status(f, "link", &info->link);
	fprintf(f, ", \"up\": %s},\n  ",
		info->link_up < 0 ? "null" : info->link_up ? "true" : "false");
	for (unsigned i = 0; i < RP_NIC_SECT__COUNT; i++) {
		json_sect(f, info, i);
		fprintf(f, "  ");
	}
	json_features(f, &info->feat);
	fprintf(f, "  ");
	json_rss(f, &info->rss);
	fprintf(f, "  ");
	json_ntuple(f, info);
	fprintf(f, "  ");
	json_napi(f, info);
	fprintf(f, "  ");
	json_queues(f, info);
	fprintf(f, "  ");
	json_qmap(f, info);
	fprintf(f, "}\n");
}
