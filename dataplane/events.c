/* SPDX-License-Identifier: MIT */
/* The appliance's event channel (events.h). */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chan/chan.h"
#include "dataplane/counters.h"
#include "dataplane/events.h"
#include "dataplane/log.h"
#include "dataplane/privdrop.h"
#include "dataplane/svc.h"
#include "dataplane/worker.h"

/* One event: a JSON object of a few hundred bytes; the stats event of a
 * busy proxy, with every nonzero counter, is the longest. */
#define EVENT_SLOT_SIZE 1024

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The group receivers may belong to: 0 and *gid set, or -1 logged. */
static int events_gid(const struct rp_config *cfg, const struct rp_privdrop *pd, gid_t *gid)
{
	const struct rp_events_cfg *e = &cfg->events;
	struct group *g;

	*gid = pd && pd->active ? pd->gid : getegid();
	if (!e->group[0])
		return 0;
	errno = 0;
	if (!(g = getgrnam(e->group))) {
		rp_err("%s:%u:%u: events.group: no group '%s' on this system%s%s", cfg->file,
		       e->group_mark.line, e->group_mark.column, e->group,
		       errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	*gid = g->gr_gid;
	return 0;
}

/* The file must outlive a drop of root: hand it to the user the appliance
 * becomes, or it could not even unlink it from the sticky /dev/shm. */
static int events_chown(const char *name, const struct rp_privdrop *pd, gid_t gid)
{
	char path[128];

	if (rp_chan_path(name, path, sizeof(path)))
		return -1;
	if (chown(path, pd && pd->active ? pd->uid : (uid_t)-1, gid)) {
		rp_err("events: %s: cannot hand it to uid %u gid %u: %s", path,
		       pd && pd->active ? (unsigned)pd->uid : (unsigned)geteuid(), (unsigned)gid,
		       strerror(errno));
		return -1;
	}
	return 0;
}

static void stale_remove(const char *name)
{
	struct rp_chan_err e;

	if (rp_chan_destroy(name, &e) == 0)
		rp_info("events: removed channel '%s' left by an earlier run (its receivers see it end)",
			name);
}

int rp_events_open(struct rp_events *ev, const struct rp_config *cfg,
		   const struct rp_privdrop *pd)
{
	const struct rp_events_cfg *e = &cfg->events;
	struct rp_chan_params p;
	struct rp_chan_err err;
	gid_t gid;

	*ev = (struct rp_events){ 0 };
	if (!e->channel[0])
		return 0;
	if (events_gid(cfg, pd, &gid))
		return -1;
	rp_chan_params_default(&p);
	p.mode = RP_CHAN_BROADCAST;
	p.policy = RP_CHAN_OVERWRITE;
	p.slots = e->slots;
	p.slot_size = EVENT_SLOT_SIZE;
	p.max_receivers = RP_CHAN_MAX_RECEIVERS;
	p.perm = e->group[0] ? 0660 : 0600;
	p.gid = gid;
	stale_remove(e->channel);
	if (rp_chan_create(e->channel, &p, &err) || events_chown(e->channel, pd, gid) ||
	    !(ev->ch = rp_chan_attach(e->channel, RP_CHAN_SENDER, &err))) {
		rp_err("%s:%u:%u: events.channel '%s': %s", cfg->file, e->channel_mark.line,
		       e->channel_mark.column, e->channel, err.msg);
		rp_chan_destroy(e->channel, &err);
		return -1;
	}
	rp_info("events: publishing on channel '%s' (%u slots, %s)", e->channel, e->slots,
		e->group[0] ? "group may attach" : "owner only");
	ev->next_stats_ms = mono_ms() + e->stats_interval_ms;
	return 0;
}

void rp_events_close(struct rp_events *ev, const struct rp_config *cfg, bool clean)
{
	struct rp_chan_err err;

	if (!ev->ch)
		return;
	rp_events_emit(ev->ch, "stop", "\"pid\":%d,\"clean\":%s", (int)getpid(),
		       clean ? "true" : "false");
	rp_chan_detach(ev->ch);
	ev->ch = NULL;
	if (rp_chan_destroy(cfg->events.channel, &err))
		rp_warn("events: %s", err.msg);
}

struct rp_chan *rp_events_attach(const struct rp_config *cfg)
{
	struct rp_chan_err err;
	struct rp_chan *ch;

	if (!cfg->events.channel[0])
		return NULL;
	if (!(ch = rp_chan_attach(cfg->events.channel, RP_CHAN_SENDER, &err)))
		rp_warn("events: this worker publishes nothing: %s", err.msg);
	return ch;
}

void rp_events_detach(struct rp_chan *ch)
{
	if (ch)
		rp_chan_detach(ch);
}

void rp_events_emit(struct rp_chan *ch, const char *event, const char *fmt, ...)
{
	char buf[EVENT_SLOT_SIZE];
	int n, m;
	va_list ap;

	if (!ch)
		return;
	n = snprintf(buf, sizeof(buf), "{\"t\":%llu,\"event\":\"%s\"%s",
		     (unsigned long long)wall_ms(), event, fmt[0] ? "," : "");
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)n + (size_t)m + 2 > sizeof(buf))
		return;		/* cannot happen for the events above: their fields are bounded */
	n += m;
	buf[n++] = '}';
	/* Overwrite policy: never waits for receivers; a failure (the channel
	 * destroyed under us) only loses this event. */
	(void)rp_chan_send(ch, buf, (size_t)n);
}

void rp_events_conn(struct rp_worker *w, const struct rp_svc_inst *si, bool open, uint32_t conn)
{
	rp_events_emit(w->events, open ? "conn-open" : "conn-close",
		       "\"service\":\"%s\",\"worker\":%u,\"conn\":%u", si->cfg->name, w->id, conn);
}

void rp_events_backend(struct rp_worker *w, const struct rp_svc_inst *si, const char *backend,
		       bool up, const char *why)
{
	/* names and addresses are plain (config-checked, numeric); why is one
	 * of our own fixed strings */
	rp_events_emit(w->events, up ? "backend-up" : "backend-down",
		       "\"service\":\"%s\",\"worker\":%u,\"backend\":\"%s\"%s%s%s", si->cfg->name,
		       w->id, backend, why ? ",\"why\":\"" : "", why ? why : "", why ? "\"" : "");
}

/* The service's counters over every worker, nonzero ones only. */
static void emit_stats(struct rp_chan *ch, const struct rp_service_cfg *s, unsigned svc,
		       unsigned n_workers, rp_events_block_fn block, void *arg)
{
	uint64_t sum[RP_C__COUNT] = { 0 };
	char body[EVENT_SLOT_SIZE - 64];
	size_t n;

	for (unsigned w = 0; w < n_workers; w++) {
		const struct rp_counters *c = block(arg, w, svc);

		for (unsigned k = 0; c && k < RP_C__COUNT; k++)
			sum[k] += rp_counter_read(c, (enum rp_counter)k);
	}
	n = (size_t)snprintf(body, sizeof(body), "\"service\":\"%s\",\"conns_open\":%llu", s->name,
			     (unsigned long long)(sum[RP_C_CONNS_ACCEPTED] - sum[RP_C_CONNS_CLOSED]));
	for (unsigned k = 0; k < RP_C__COUNT; k++) {
		char one[96];
		int m;

		if (!sum[k] || rp_counter_table[k].kind != RP_CK_COUNTER)
			continue;
		m = snprintf(one, sizeof(one), ",\"%s\":%llu", rp_counter_table[k].name,
			     (unsigned long long)sum[k]);
		/* what does not fit is left to the metrics endpoint, and said */
		if (n + (size_t)m + sizeof(",\"more\":true") > sizeof(body)) {
			n += (size_t)snprintf(body + n, sizeof(body) - n, ",\"more\":true");
			break;
		}
		memcpy(body + n, one, (size_t)m + 1);
		n += (size_t)m;
	}
	rp_events_emit(ch, "stats", "%s", body);
}

void rp_events_tick(struct rp_events *ev, const struct rp_config *cfg, unsigned n_workers,
		    rp_events_block_fn block, void *arg)
{
	uint64_t now;

	if (!ev->ch || !cfg->events.stats_interval_ms || (now = mono_ms()) < ev->next_stats_ms)
		return;
	ev->next_stats_ms = now + cfg->events.stats_interval_ms;
	for (unsigned s = 0; s < cfg->n_services; s++)
		emit_stats(ev->ch, &cfg->services[s], s, n_workers, block, arg);
}
