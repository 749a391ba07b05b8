/* SPDX-License-Identifier: MIT */
/* A channel's snapshot for `ringplane chan stats`, and the enum names. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "chan/internal.h"

static const char *const mode_names[] = {
	[RP_CHAN_UNICAST] = "unicast",
	[RP_CHAN_BROADCAST] = "broadcast",
	[RP_CHAN_MULTICAST] = "multicast",
};

static const char *const policy_names[] = {
	[RP_CHAN_BLOCK] = "block",
	[RP_CHAN_OVERWRITE] = "overwrite",
};

const char *rp_chan_mode_name(enum rp_chan_mode m)
{
	return m >= RP_CHAN_UNICAST && m <= RP_CHAN_MULTICAST ? mode_names[m] : "?";
}

const char *rp_chan_policy_name(enum rp_chan_policy p)
{
	return p == RP_CHAN_BLOCK || p == RP_CHAN_OVERWRITE ? policy_names[p] : "?";
}

int rp_chan_mode_parse(const char *s, enum rp_chan_mode *m)
{
	for (int i = RP_CHAN_UNICAST; i <= RP_CHAN_MULTICAST; i++)
		if (!strcmp(s, mode_names[i])) {
			*m = (enum rp_chan_mode)i;
			return 0;
		}
	return -EINVAL;
}

int rp_chan_policy_parse(const char *s, enum rp_chan_policy *p)
{
	for (int i = RP_CHAN_BLOCK; i <= RP_CHAN_OVERWRITE; i++)
		if (!strcmp(s, policy_names[i])) {
			*p = (enum rp_chan_policy)i;
			return 0;
		}
	return -EINVAL;
}

static void info_rx(struct rp_chan *ch, struct rp_chan_info *out)
{
	uint64_t m = rp_chan_live_mask(ch);

	out->n_rx = 0;
	while (m) {
		int i = __builtin_ctzll(m);
		struct rp_chan_shm_rx *r = &ch->rx[i];
		struct rp_chan_rx_info *o = &out->rx[out->n_rx++];
		uint64_t owner = atomic_load_explicit(&r->owner, memory_order_relaxed);

		m &= m - 1;
		o->index = i;
		o->pid = (pid_t)(uint32_t)owner;
		o->id = (uint32_t)(owner >> 32) << 8 | (uint32_t)i;
		o->cursor = atomic_load_explicit(&r->cursor, memory_order_relaxed);
		o->received = atomic_load_explicit(&r->received, memory_order_relaxed);
		o->lost = atomic_load_explicit(&r->lost, memory_order_relaxed);
		o->sleeping = atomic_load_explicit(&r->sleeping, memory_order_relaxed);
	}
}

void rp_chan_info(struct rp_chan *ch, struct rp_chan_info *out)
{
	struct rp_chan_shm *s = ch->shm;
	struct stat st;

	memset(out, 0, sizeof(*out));
	snprintf(out->path, sizeof(out->path), "%s", ch->path);
	out->params = (struct rp_chan_params){
		.mode = ch->mode, .policy = ch->policy, .slots = ch->nslots,
		.slot_size = ch->slot_size, .max_receivers = ch->max_rx,
		.block_timeout_ms = ch->block_timeout_ms, .gid = (gid_t)-1,
	};
	if (stat(ch->path, &st) == 0) {
		out->params.perm = st.st_mode & 0777;
		out->params.gid = st.st_gid;
		out->uid = st.st_uid;
	}
	rp_chan_reap(ch);
	out->tail = atomic_load_explicit(&s->tail, memory_order_relaxed);
	out->head = rp_chan_floor_refresh(ch);
	out->send_timeouts = atomic_load_explicit(&s->send_timeouts, memory_order_relaxed);
	out->sleepers = atomic_load_explicit(&s->data_sleepers, memory_order_relaxed);
	out->destroyed = atomic_load_explicit(&s->destroyed, memory_order_relaxed);
	info_rx(ch, out);
}
