/* SPDX-License-Identifier: MIT */
/* The channel file's header: sizes, offsets, checksum, validation. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "chan/internal.h"

const uint8_t rp_chan_magic[8] = { 'R', 'P', 'C', 'H', 'A', 'N', '\n', 0 };

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

void rp_chan_layout_fill(struct rp_chan_fixed *f, const struct rp_chan_params *p)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->magic, rp_chan_magic, sizeof(f->magic));
	f->version = RP_CHAN_VERSION;
	f->hdr_size = RP_CHAN_HDR_SIZE;
	f->rx_size = RP_CHAN_RX_SIZE;
	f->slot_hdr_size = RP_CHAN_SLOT_HDR;
	f->mode = p->mode;
	f->policy = p->policy;
	f->slots = p->slots;
	f->slot_size = p->slot_size;
	/* 64-byte slots: two senders writing neighbouring slots do not share
	 * a cache line. */
	f->slot_stride = (uint32_t)align_up(RP_CHAN_SLOT_HDR + (uint64_t)p->slot_size, 64);
	f->max_receivers = p->max_receivers;
	f->block_timeout_ms = p->block_timeout_ms;
	f->rx_off = RP_CHAN_HDR_SIZE;
	f->ring_off = align_up(f->rx_off + (uint64_t)RP_CHAN_RX_SIZE * p->max_receivers, 4096);
	f->file_size = align_up(f->ring_off + (uint64_t)f->slot_stride * p->slots, 4096);
	f->check = rp_chan_fixed_check(f);
}

uint64_t rp_chan_fnv(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Over every fixed field before the checksum: a flipped byte in the header
 * is caught before any of it is used. */
uint64_t rp_chan_fixed_check(const struct rp_chan_fixed *f)
{
	return rp_chan_fnv(f, offsetof(struct rp_chan_fixed, check));
}

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

int rp_chan_params_check(const char *path, const struct rp_chan_params *p,
			 struct rp_chan_err *e)
{
	const char *bad = NULL;

	if (p->mode < RP_CHAN_UNICAST || p->mode > RP_CHAN_MULTICAST)
		bad = "mode is not unicast, broadcast or multicast";
	else if (p->policy != RP_CHAN_BLOCK && p->policy != RP_CHAN_OVERWRITE)
		bad = "policy is not block or overwrite";
	else if (!pow2(p->slots) || p->slots < 2 || p->slots > RP_CHAN_MAX_SLOTS)
		bad = "slots must be a power of two from 2 to 1048576";
	else if (p->slot_size < 1 || p->slot_size > RP_CHAN_MAX_SLOT_SIZE)
		bad = "slot size must be 1 B to 1 MiB";
	else if (p->max_receivers < 1 || p->max_receivers > RP_CHAN_MAX_RECEIVERS)
		bad = "max receivers must be 1 to 64";
	else if (p->block_timeout_ms > 3600000)
		bad = "block timeout must be at most 3600000 ms (an hour)";
	else if ((uint64_t)p->slots * (p->slot_size + RP_CHAN_SLOT_HDR) > (1ull << 32))
		bad = "slots x slot size is over 4 GiB";
	if (!bad)
		return 0;
	rp_chan_errf(e, "%s: %s", path, bad);
	return -EINVAL;
}

static const char *fixed_problem(const struct rp_chan_fixed *f, uint64_t file_size)
{
	struct rp_chan_params p = {
		.mode = f->mode, .policy = f->policy, .slots = f->slots,
		.slot_size = f->slot_size, .max_receivers = f->max_receivers,
		.block_timeout_ms = f->block_timeout_ms,
	};
	struct rp_chan_fixed want;
	struct rp_chan_err ignored;

	if (rp_chan_params_check("", &p, &ignored))
		return "corrupted header (parameters out of range)";
	rp_chan_layout_fill(&want, &p);
	if (memcmp(&want, f, sizeof(want)))
		return "corrupted header (sizes or offsets inconsistent)";
	if (f->file_size != file_size)
		return "truncated or extended file (size does not match its header)";
	return NULL;
}

int rp_chan_fixed_validate(const char *path, const struct rp_chan_fixed *f,
			   uint64_t file_size, struct rp_chan_err *e)
{
	const char *why = NULL;

	if (memcmp(f->magic, rp_chan_magic, sizeof(f->magic)))
		why = "not a ringplane channel (bad magic)";
	else if (f->version != RP_CHAN_VERSION)
		why = "unsupported channel version";
	else if (f->hdr_size != RP_CHAN_HDR_SIZE || f->rx_size != RP_CHAN_RX_SIZE ||
		 f->slot_hdr_size != RP_CHAN_SLOT_HDR)
		why = "header of another build (structure sizes differ)";
	else if (f->check != rp_chan_fixed_check(f))
		why = "corrupted header (checksum mismatch)";
	else
		why = fixed_problem(f, file_size);
	if (!why)
		return 0;
	if (f->version != RP_CHAN_VERSION && !memcmp(f->magic, rp_chan_magic, sizeof(f->magic)))
		rp_chan_errf(e, "%s: %s %u (this build reads %d)", path, why, f->version,
			     RP_CHAN_VERSION);
	else
		rp_chan_errf(e, "%s: %s", path, why);
	return -EPROTO;
}
