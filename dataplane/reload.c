/* SPDX-License-Identifier: MIT */
/*
 * Live reload, the control thread's side (see reload.h): load, check,
 * number backends, post the generation, collect acknowledgements, free.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/diff.h"
#include "dataplane/events.h"
#include "dataplane/log.h"
#include "dataplane/reload.h"
#include "dataplane/sdnotify.h"
#include "dataplane/worker.h"

#define ASKERS_MAX 8
#define SLOT_NAME  (RP_NAME_MAX + RP_ADDR_TEXT)

/* One tcp-proxy service's backend counter slots: the address each has
 * stood for since start (a slot is never given to another address). */
struct slot_tab {
	bool used[RP_BACKEND_SLOTS];
	struct rp_addr addr[RP_BACKEND_SLOTS];
	char name[RP_BACKEND_SLOTS][SLOT_NAME];	/* "<service>/<address>" */
};

struct rp_reload {
	const struct rp_config *base;	/* generation 0: what `run` started with */
	struct rp_cfg_gen *cur;		/* running; NULL: generation 0 */
	struct rp_cfg_gen *next;	/* posted, not acknowledged by every worker yet */
	uint64_t seq;
	struct slot_tab *slots;		/* per service (tcp-proxy ones used) */
	const char **names;		/* the exporter's backend names */
	bool again;			/* asked again while one was being applied */
	/* `ringplane reload`s waiting: for the reload in progress, and for the
	 * one that follows it */
	pid_t askers[ASKERS_MAX], queued[ASKERS_MAX];
	unsigned n_askers, n_queued;
	bool stopping;
	struct rp_chan *events;		/* the event channel's control-thread sender; NULL: none */
};

static const char *const live_keys[] = {
	"services\\[*\\].backends",
	"services\\[*\\].balance",
	"services\\[*\\].connect-timeout-ms",
	"services\\[*\\].retries",
	"services\\[*\\].nodelay",
	"services\\[*\\].max-connections",
	"services\\[*\\].idle-timeout-ms",
	"services\\[*\\].write-stall-timeout-ms",
	"services\\[*\\].health-check.*",
	NULL,
};

/* the backends list is compared by address, not entry by entry */
static const char *const skip_backends[] = { "services\\[*\\].backends", NULL };

bool rp_reload_key_is_live(const char *path)
{
	for (unsigned i = 0; live_keys[i]; i++)
		if (!fnmatch(live_keys[i], path, 0))
			return true;
	return false;
}

static const struct rp_config *running(const struct rp_reload *r)
{
	return r->cur ? &r->cur->cfg : r->base;
}

static bool same_addr(const struct rp_addr *a, const struct rp_addr *b)
{
	return a->len == b->len && !memcmp(&a->ss, &b->ss, a->len);
}

/* ---- backend slots ------------------------------------------------------- */

static unsigned name_index(const struct rp_config *cfg, unsigned svc, unsigned slot)
{
	return rp_svc_backend_block(cfg, svc, slot) - cfg->n_services - 1;
}

static void slot_take(struct rp_reload *r, unsigned svc, unsigned slot, const struct rp_addr *a)
{
	struct slot_tab *t = &r->slots[svc];

	t->used[slot] = true;
	t->addr[slot] = *a;
	snprintf(t->name[slot], sizeof(t->name[slot]), "%s/%s", r->base->services[svc].name,
		 a->text);
	/* the exporter reads it from its own thread: name first, then publish */
	__atomic_store_n(&r->names[name_index(r->base, svc, slot)], t->name[slot],
			 __ATOMIC_RELEASE);
}

static int slot_find(const struct slot_tab *t, const struct rp_addr *a)
{
	for (unsigned s = 0; s < RP_BACKEND_SLOTS; s++)
		if (t->used[s] && same_addr(&t->addr[s], a))
			return (int)s;
	return -1;
}

/* Services whose backends have counter slots and may change live. */
static bool has_backends(const struct rp_service_cfg *s)
{
	return rp_svc_has_backends(s->type);
}

struct rp_reload *rp_reload_new(const struct rp_config *cfg, const char **names)
{
	struct rp_reload *r = calloc(1, sizeof(*r));

	if (!r || !(r->slots = calloc(cfg->n_services ? cfg->n_services : 1, sizeof(*r->slots)))) {
		free(r);
		return NULL;
	}
	r->base = cfg;
	r->names = names;
	for (unsigned i = 0; i < cfg->n_services; i++)
		for (unsigned b = 0; has_backends(&cfg->services[i]) && b < cfg->services[i].n_backends; b++)
			slot_take(r, i, cfg->services[i].backends[b].slot,
				  &cfg->services[i].backends[b].addr);
	return r;
}

static void gen_free(struct rp_cfg_gen *g)
{
	if (!g)
		return;
	rp_config_free(&g->cfg);
	free(g);
}

void rp_reload_free(struct rp_reload *r)
{
	if (!r)
		return;
	gen_free(r->next);
	gen_free(r->cur);
	free(r->slots);
	free(r);
}

/* Each backend gets the slot its address had (kept, or back after a
 * removal), else a never-used one. -1: slots used up (logged). */
static int number_service(struct rp_reload *r, unsigned svc, struct rp_service_cfg *s,
			  const char *file)
{
	const struct slot_tab *t = &r->slots[svc];
	unsigned next_free = 0;

	for (unsigned b = 0; b < s->n_backends; b++) {
		const struct rp_backend_cfg *be = &s->backends[b];
		int slot = slot_find(t, &be->addr);

		while (slot < 0 && next_free < RP_BACKEND_SLOTS)
			if (!t->used[next_free++])
				slot = (int)next_free - 1;
		if (slot < 0) {
			rp_err("reload rejected: %s:%u:%u: service %s: backend %s: the service has "
			       "had %u backend addresses since start, as many as its counters "
			       "keep: restart to apply it", file, be->mark.line, be->mark.column,
			       s->name, be->addr.text, RP_BACKEND_SLOTS);
			return -1;
		}
		s->backends[b].slot = (unsigned)slot;
		if (!t->used[slot])
			slot_take(r, svc, (unsigned)slot, &be->addr);
	}
	return 0;
}

/* Removed backends stay after the live ones, so connections still open to
 * them are counted under them and finish (reload.h). */
static int keep_retired(struct rp_reload *r, unsigned svc, struct rp_service_cfg *s)
{
	const struct slot_tab *t = &r->slots[svc];
	struct rp_backend_cfg *v = realloc(s->backends, RP_BACKEND_SLOTS * sizeof(*v));
	unsigned n = s->n_backends;

	if (!v)
		return -ENOMEM;
	s->backends = v;
	for (unsigned slot = 0; slot < RP_BACKEND_SLOTS; slot++) {
		bool live = false;

		for (unsigned b = 0; b < s->n_backends && !live; b++)
			live = v[b].slot == slot;
		if (t->used[slot] && !live)
			v[n++] = (struct rp_backend_cfg){ .addr = t->addr[slot], .slot = slot };
	}
	s->n_backends_all = n;
	return 0;
}

static int number_backends(struct rp_reload *r, struct rp_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_services; i++) {
		struct rp_service_cfg *s = &cfg->services[i];

		if (!has_backends(s))
			continue;
		if (number_service(r, i, s, cfg->file))
			return -1;
		if (keep_retired(r, i, s)) {
			rp_err("reload rejected: out of memory");
			return -1;
		}
	}
	return 0;
}

/* ---- checks --------------------------------------------------------------- */

static int load(const char *path, struct rp_config *cfg)
{
	struct rp_cfg_errors errs = { 0 };
	int ret = rp_config_load_file(path, cfg, &errs);

	for (unsigned i = 0; ret && i < errs.n; i++) {
		const struct rp_cfg_error *e = &errs.v[i];

		if (e->line)
			rp_err("reload rejected: %s:%u:%u: %s", e->file, e->line, e->column, e->msg);
		else
			rp_err("reload rejected: %s: %s", e->file, e->msg);
	}
	rp_cfg_errors_free(&errs);
	return ret;
}

struct verdict {
	const char *file;
	unsigned n_fixed;	/* changes that cannot be applied live */
	unsigned n_live;
	bool log_live;
};

static bool judge(void *arg, const struct rp_cfg_change *c)
{
	struct verdict *v = arg;

	if (rp_reload_key_is_live(c->path)) {
		v->n_live++;
		if (v->log_live)
			rp_info("reload: %s: %s -> %s", c->path, c->was, c->now);
		return true;
	}
	v->n_fixed++;
	rp_err("reload rejected: %s:%u:%u: %s changed (%s -> %s): it cannot change while "
	       "running; restart to apply it", v->file, c->at.line, c->at.column, c->path,
	       c->was, c->now);
	return true;
}

/* ---- what changed, for the log ---------------------------------------------- */

static const struct rp_backend_cfg *find_backend(const struct rp_service_cfg *s,
						 const struct rp_addr *a)
{
	for (unsigned b = 0; b < s->n_backends; b++)
		if (same_addr(&s->backends[b].addr, a))
			return &s->backends[b];
	return NULL;
}

/* Returns how many backends changed. */
static unsigned log_backends(const struct rp_service_cfg *was, const struct rp_service_cfg *now)
{
	unsigned n = 0;

	for (unsigned b = 0; b < now->n_backends; b++) {
		const struct rp_backend_cfg *nb = &now->backends[b];
		const struct rp_backend_cfg *ob = find_backend(was, &nb->addr);

		if (!ob)
			rp_info("reload: service %s: backend %s added (weight %u)", now->name,
				nb->addr.text, nb->weight);
		else if (ob->weight != nb->weight)
			rp_info("reload: service %s: backend %s weight %u -> %u", now->name,
				nb->addr.text, ob->weight, nb->weight);
		n += !ob || ob->weight != nb->weight;
	}
	for (unsigned b = 0; b < was->n_backends; b++)
		if (!find_backend(now, &was->backends[b].addr)) {
			rp_info("reload: service %s: backend %s removed (its open connections "
				"finish)", now->name, was->backends[b].addr.text);
			n++;
		}
	return n;
}

/* 0: every change is live; -1: rejected (each offending key logged). */
static int check_live(const struct rp_reload *r, const struct rp_config *now)
{
	struct verdict v = { .file = now->file };

	rp_config_diff(running(r), now, skip_backends, judge, &v);
	return v.n_fixed ? -1 : 0;
}

/* What a reload that passed every check changes, for the log. */
static void log_changes(const struct rp_reload *r, const struct rp_config *now)
{
	const struct rp_config *was = running(r);
	struct verdict v = { .file = now->file, .log_live = true };

	rp_config_diff(was, now, skip_backends, judge, &v);
	for (unsigned i = 0; i < now->n_services; i++)
		if (has_backends(&now->services[i]))
			v.n_live += log_backends(&was->services[i], &now->services[i]);
	if (!v.n_live)
		rp_info("reload: %s: nothing changed", now->file);
}

/* ---- outcome ---------------------------------------------------------------- */

static void answer(struct rp_reload *r, enum rp_reload_outcome o)
{
	for (unsigned i = 0; i < r->n_askers; i++)
		if (sigqueue(r->askers[i], RP_RELOAD_ANSWER_SIG, (union sigval){ .sival_int = (int)o }))
			rp_warn("reload: cannot answer pid %d: %s", (int)r->askers[i],
				strerror(errno));
	r->n_askers = 0;
}

/* Those who asked for the next reload now wait for this one (answered). */
static void take_queued(struct rp_reload *r)
{
	memcpy(r->askers, r->queued, r->n_queued * sizeof(*r->askers));
	r->n_askers = r->n_queued;
	r->n_queued = 0;
}

static struct rp_counters *reload_ctr(struct rp_worker *workers)
{
	return rp_worker_ctr(&workers[0]);
}

static void rejected(struct rp_reload *r, struct rp_worker *workers, struct rp_cfg_gen *g)
{
	gen_free(g);
	rp_count(reload_ctr(workers), RP_C_RELOADS_REJECTED, 1);
	rp_warn("reload rejected: still running the previous config");
	rp_sd_reloaded(false);
	rp_events_emit(r->events, "reload", "\"applied\":false");
	answer(r, RP_RELOAD_REJECTED);
}

/* ---- posting and acknowledgements --------------------------------------------- */

static bool worker_runs(const struct rp_worker *w)
{
	return __atomic_load_n(&w->phase, __ATOMIC_ACQUIRE) == RP_WP_RUNNING;
}

/* Post to every worker that has not acknowledged it yet; a worker that
 * could not be reached is tried again on the next tick. */
static void post(struct rp_reload *r, struct rp_worker *workers, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct rp_worker *w = &workers[i];
		int ret;

		if (!worker_runs(w) || w->reload_posted == r->next->seq)
			continue;
		ret = rp_worker_reload(w, r->next);
		if (ret)
			rp_err("reload: worker %u: cannot post the new config (%s): trying again",
			       i, strerror(-ret));
		else
			w->reload_posted = r->next->seq;
	}
}

static bool all_acknowledged(const struct rp_reload *r, struct rp_worker *workers, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (worker_runs(&workers[i]) &&
		    __atomic_load_n(&workers[i].gen_applied, __ATOMIC_ACQUIRE) != r->next->seq)
			return false;
	return true;
}

static void start(struct rp_reload *r, struct rp_worker *workers, unsigned n)
{
	const char *path = r->base->file;
	struct rp_cfg_gen *g = calloc(1, sizeof(*g));

	take_queued(r);

	rp_sd_reloading();
	rp_info("reload: re-reading %s", path);
	if (!g) {
		rp_err("reload rejected: out of memory");
		rejected(r, workers, g);
		return;
	}
	if (path[0] == '<') {	/* the embedded default has no file to re-read */
		rp_err("reload rejected: started with %s (no -c FILE): there is no file to "
		       "re-read", path);
		rejected(r, workers, g);
		return;
	}
	if (load(path, &g->cfg) || check_live(r, &g->cfg) || number_backends(r, &g->cfg)) {
		rejected(r, workers, g);
		return;
	}
	log_changes(r, &g->cfg);
	g->seq = ++r->seq;
	r->next = g;
	post(r, workers, n);
	rp_reload_poll(r, workers, n);
}

void rp_reload_request(struct rp_reload *r, struct rp_worker *workers, unsigned n, pid_t asker)
{
	if (asker > 0 && r->n_queued < ASKERS_MAX)
		r->queued[r->n_queued++] = asker;
	if (r->stopping) {
		rp_warn("SIGHUP: stopping, no reload");
		take_queued(r);
		answer(r, RP_RELOAD_STOPPING);
		return;
	}
	if (r->next) {
		rp_info("SIGHUP: a reload is being applied; another one follows it");
		r->again = true;
		return;
	}
	start(r, workers, n);
}

void rp_reload_poll(struct rp_reload *r, struct rp_worker *workers, unsigned n)
{
	if (!r || !r->next || r->stopping)
		return;
	post(r, workers, n);
	if (!all_acknowledged(r, workers, n))
		return;
	/* no worker holds the previous generation any more */
	gen_free(r->cur);
	r->cur = r->next;
	r->next = NULL;
	rp_count(reload_ctr(workers), RP_C_RELOADS_OK, 1);
	rp_info("reload: applied on every worker (generation %llu)",
		(unsigned long long)r->cur->seq);
	rp_sd_reloaded(true);
	rp_events_emit(r->events, "reload", "\"applied\":true,\"generation\":%llu",
		       (unsigned long long)r->cur->seq);
	answer(r, RP_RELOAD_APPLIED);
	if (r->again) {
		r->again = false;
		start(r, workers, n);
	}
}

void rp_reload_cancel(struct rp_reload *r)
{
	if (!r)
		return;
	r->stopping = true;
	answer(r, RP_RELOAD_STOPPING);	/* the reload in progress */
	take_queued(r);
	answer(r, RP_RELOAD_STOPPING);	/* and the one that would have followed */
}

void rp_reload_set_events(struct rp_reload *r, struct rp_chan *events)
{
	if (r)
		r->events = events;
}

bool rp_reload_in_flight(const struct rp_reload *r)
{
	return r && r->next;
}
