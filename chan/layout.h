/* SPDX-License-Identifier: MIT */
/*
 * The channel file: what lives in shared memory, and how it is checked.
 *
 *   [header 512 B][receiver table: max_receivers x 64 B][slots x stride]
 *
 * The header's first part is written once by the creator and never again;
 * attach validates it (magic, version, sizes, offsets, the file's size and a
 * checksum) and copies what it needs into the handle, so no size, count or
 * offset is ever re-read from shared memory. Everything else is atomics.
 *
 * Slot sequence numbers (64 bits, per slot), for position pos of the ring:
 *   4*pos + 1   a sender is writing pos
 *   4*pos + 2   pos is published
 * A slot only ever holds positions congruent to its index modulo the slot
 * count, so a value names its lap unambiguously. Readers use it as a
 * seqlock: read seq, copy, read seq again; a change means the slot was
 * overwritten during the copy and the copy is discarded.
 */
#ifndef RP_CHAN_LAYOUT_H
#define RP_CHAN_LAYOUT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chan/chan.h"

#define RP_CHAN_VERSION		6	/* 2: by-reference messages (regions, holds);
					 * 3: wake epochs (data_armed, rx armed);
					 * 4: multicast cursors moved by others
					 * (skip.c), advanced by CAS; space_armed;
					 * 5: receive coalescing (data_wake);
					 * 6: multicast receive coalescing (rx
					 * batch, pending) */
#define RP_CHAN_HDR_SIZE	512
#define RP_CHAN_RX_SIZE		64
#define RP_CHAN_SLOT_HDR	32
#define RP_CHAN_MAX_SLOTS	(1u << 20)
#define RP_CHAN_MAX_SLOT_SIZE	(1u << 20)
#define RP_CHAN_MAX_REGIONS	8	/* senders with a region at a time */
#define RP_CHAN_TARGET_ANY	0xffffffffu	/* multicast: no receiver was live */
#define RP_CHAN_TARGET_HOLE	0xfffffffeu	/* published by a receiver for a dead sender */
#define RP_CHAN_LEN_REF		0x80000000u	/* slot len flag: data is a struct rp_chan_ref */
#define RP_CHAN_TARGET_TO	0x80000000u	/* | (gen & 0x7fff) << 8 | index: addressed */

extern const uint8_t rp_chan_magic[8];

/* Written once at create; validated at attach. */
struct rp_chan_fixed {
	uint8_t magic[8];
	uint32_t version;
	uint32_t hdr_size, rx_size, slot_hdr_size;
	uint32_t mode, policy;
	uint32_t slots, slot_size, slot_stride;
	uint32_t max_receivers, block_timeout_ms;
	uint32_t reserved;	/* 0; keeps the 64-bit fields aligned, no padding */
	uint64_t rx_off, ring_off, file_size;
	uint64_t check;		/* FNV-1a 64 of the fields above */
};

struct rp_chan_shm {
	struct rp_chan_fixed fixed;
	/* Senders' line: taken by CAS on every send. */
	alignas(64) _Atomic uint64_t tail;
	_Atomic uint32_t rr;			/* multicast round-robin counter */
	/* Consumers' line: unicast head, or the lazily advanced slowest cursor. */
	alignas(64) _Atomic uint64_t head;
	/* Waiting: futex words and the sleeper counts that gate the wake-ups. */
	alignas(64) _Atomic uint32_t data_futex;
	_Atomic uint32_t data_sleepers;
	_Atomic uint32_t space_futex;
	_Atomic uint32_t space_sleepers;
	_Atomic uint32_t destroyed;
	/* Broadcast: the newest data_futex value a receiver armed its sleep
	 * at (wait.c: a sender wakes only when it is the current value). */
	_Atomic uint32_t data_armed;
	/* The newest space_futex value a blocked sender armed its sleep at
	 * (receivers wake senders once per sleep, as senders wake receivers). */
	_Atomic uint32_t space_armed;
	/* Broadcast receive coalescing (wait.c): (epoch + 1) << 32 | the low
	 * 32 bits of the smallest tail any sleeper at that epoch asked to be
	 * woken at (its cursor + its batch). */
	_Atomic uint64_t data_wake;
	/* Receiver table: a bit per entry taken, and per entry live. */
	alignas(64) _Atomic uint64_t alloc_mask;
	_Atomic uint64_t live_mask;
	_Atomic uint64_t send_timeouts;
	_Atomic int32_t creator_pid;
	/* Senders' regions for by-reference messages (region.c): per index,
	 * gen << 32 | pid of its sender; pid 0: free (gen kept, so a reused
	 * index gets a new generation). */
	alignas(64) _Atomic uint64_t region_owner[RP_CHAN_MAX_REGIONS];
};

/* One receiver. owner = generation << 32 | pid: whoever detaches an entry
 * (its receiver, or a reaper that found the pid dead) must CAS the owner it
 * saw to 0, so an entry reused by a new receiver is never detached for the
 * old one. */
struct rp_chan_shm_rx {
	_Atomic uint64_t owner;
	_Atomic uint32_t gen;
	_Atomic uint32_t sleeping;
	_Atomic uint64_t cursor;		/* broadcast/multicast: next position (multicast:
					 * a sleeper's is moved on by others, skip.c) */
	_Atomic uint64_t received, lost;
	_Atomic uint32_t futex;			/* unicast/multicast: its own wait word */
	_Atomic uint32_t armed;			/* the futex value it armed its sleep at */
	/* By-reference message it is reading: position + 1, 0 none. Set before
	 * its cursor (or the head) passes the position, cleared once it is
	 * done with the referenced bytes (rp_chan_released). */
	_Atomic uint64_t hold;
	/* Multicast receive coalescing (wait.c), set when it arms a sleep:
	 * the batch it asked for (0 or 1: wake at once), and how many messages
	 * senders gave it since (counted only while it sleeps). */
	_Atomic uint32_t batch;
	_Atomic uint32_t pending;
};

/* A by-reference message's slot data: bytes [off, off + len) of the data
 * area of region `region`, generation `gen` (region.c). */
struct rp_chan_ref {
	uint32_t region, gen;
	uint64_t off, len;
};

struct rp_chan_slot {
	_Atomic uint64_t seq;
	_Atomic uint64_t claim;		/* multicast: claim_open(pos) until taken */
	_Atomic uint32_t len;
	_Atomic uint32_t target;	/* multicast: receiver index or TARGET_ANY */
	_Atomic int32_t sender;		/* pid */
	uint32_t pad;
	uint8_t data[];
};

_Static_assert(sizeof(struct rp_chan_shm) <= RP_CHAN_HDR_SIZE, "header fits");
_Static_assert(sizeof(struct rp_chan_fixed) == 88, "fixed header has no padding");
_Static_assert(sizeof(struct rp_chan_shm_rx) == RP_CHAN_RX_SIZE, "rx entry size");
_Static_assert(sizeof(struct rp_chan_slot) == RP_CHAN_SLOT_HDR, "slot header size");

/* A message addressed to one receiver (rp_chan_send_to): its entry index
 * and the low bits of its generation, so a later receiver in the same entry
 * does not take it. */
static inline uint32_t rp_chan_target_to(uint32_t gen, unsigned idx)
{
	return RP_CHAN_TARGET_TO | (gen & 0x7fff) << 8 | (idx & 0xff);
}
static inline bool rp_chan_target_is_to(uint32_t t)
{
	return (t & RP_CHAN_TARGET_TO) && t < RP_CHAN_TARGET_HOLE;
}

static inline uint64_t rp_chan_seq_writing(uint64_t pos) { return 4 * pos + 1; }
static inline uint64_t rp_chan_seq_ready(uint64_t pos)   { return 4 * pos + 2; }
/* Multicast claims name the position, so a claim on a slot that was
 * rewritten for a later lap fails instead of taking the new message. */
static inline uint64_t rp_chan_claim_open(uint64_t pos)  { return 2 * pos; }
static inline uint64_t rp_chan_claim_taken(uint64_t pos) { return 2 * pos + 1; }

/* Sizes and offsets of a file for these parameters (p already checked). */
void rp_chan_layout_fill(struct rp_chan_fixed *f, const struct rp_chan_params *p);
/* Parameters inside their ranges? Fills e on failure. */
int rp_chan_params_check(const char *path, const struct rp_chan_params *p,
			 struct rp_chan_err *e);
/* FNV-1a 64: the checksum of the channel's and the regions' headers. */
uint64_t rp_chan_fnv(const void *p, size_t n);
uint64_t rp_chan_fixed_check(const struct rp_chan_fixed *f);
/* Is this header one of ours, whole and consistent with a file of
 * file_size bytes? -EPROTO / -EINVAL with e filled. */
int rp_chan_fixed_validate(const char *path, const struct rp_chan_fixed *f,
			   uint64_t file_size, struct rp_chan_err *e);

#endif
