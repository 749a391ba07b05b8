/* SPDX-License-Identifier: MIT */
/* The handle, and what the chan/ files call of each other. Not public. */
#ifndef RP_CHAN_INTERNAL_H
#define RP_CHAN_INTERNAL_H

#include <limits.h>
#include <stdarg.h>

#include "chan/layout.h"

struct io_uring;

struct rp_chan {
	char path[128];
	void *map;
	size_t map_len;
	struct rp_chan_shm *shm;
	/* guard.c: the SIGBUS handler sets RP_CHAN_BROKEN_* here when a file
	 * behind one of this handle's mappings was truncated under it. */
	_Atomic uint32_t broken;
	int guard;			/* the channel mapping's guard id, 0 none */
	struct rp_chan_shm_rx *rx;		/* the receiver table */
	uint8_t *slots;
	/* Private copies of the validated header: never re-read. */
	enum rp_chan_mode mode;
	enum rp_chan_policy policy;
	uint32_t nslots, mask, slot_size, stride, max_rx, block_timeout_ms;
	enum rp_chan_role role;
	pid_t pid;		/* at attach: getpid() is a system call in glibc */
	/* Receiver state: its entry and its own cursor (the shared copy is
	 * only published for senders; a co-tenant may scribble on it). */
	int rx_idx;
	uint32_t rx_gen;		/* its entry's generation when it registered */
	uint64_t cursor;
	unsigned since_floor;
	/* Multicast sender: the next position at which it may run a floor
	 * round (producer.c: at most one per FLOOR_ROUND_EVERY messages). */
	uint64_t floor_next;
	/* Multicast sender: the receiver that last took a sleeper's turn
	 * (producer.c: pick_target asks it first). */
	unsigned turn_hint;
	/* Receive coalescing (broadcast, wait.c): wake at rx_batch messages
	 * waiting, or after rx_delay_us asleep. rx_batch 1: off. */
	uint32_t rx_batch, rx_delay_us;
	/* rp_chan_wait's own ring, made on first use. */
	struct io_uring *wring;
	/* By reference (region.c). A sender's own region: */
	int region_idx;			/* -1: none */
	uint32_t region_gen;
	void *region_map;
	size_t region_map_len;
	uint8_t *region_data;
	uint64_t region_size;
	int region_guard;
	/* A receiver's mappings of the senders' regions, by index, and whether
	 * its table entry holds a by-reference message now. */
	struct rp_chan_rmap {
		void *map;
		size_t map_len;
		const uint8_t *data;
		uint64_t size;
		uint32_t gen;
		int guard;
	} rmap[RP_CHAN_MAX_REGIONS];
	bool holding;
	/* view.c: a view is open at the cursor (rp_chan_peek). */
	bool viewing;
};

void rp_chan_errf(struct rp_chan_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline struct rp_chan_slot *rp_chan_slot_at(const struct rp_chan *ch, uint64_t pos)
{
	return (struct rp_chan_slot *)(ch->slots + (size_t)(pos & ch->mask) * ch->stride);
}

/* guard.c: mappings whose truncation must not kill us (SIGBUS). */
#define RP_CHAN_BROKEN_FILE	1u	/* the channel file */
#define RP_CHAN_BROKEN_REGION	2u	/* a region file (by reference) */
/* Guard [start, start + len): a SIGBUS there replaces the whole range with
 * zero pages and ors bit into *flag. Installs the handler on first use. The
 * guard's id, or 0 (table full, or no handler could be installed). */
int rp_chan_guard_add(const void *start, size_t len, _Atomic uint32_t *flag, uint32_t bit);
/* Before the range is unmapped. id 0: nothing. */
void rp_chan_guard_remove(int id);
static inline bool rp_chan_is_broken(const struct rp_chan *ch)
{
	return atomic_load_explicit(&ch->broken, memory_order_relaxed) != 0;
}

/* liveness.c: the receiver table. */
int rp_chan_rx_register(struct rp_chan *ch, struct rp_chan_err *e);
void rp_chan_rx_unregister(struct rp_chan *ch, int idx);
uint64_t rp_chan_live_mask(const struct rp_chan *ch);
bool rp_chan_pid_gone(pid_t pid);
/* Receiver: the slot at its position is being written by a sender that
 * died; publish it as a hole (received as a lost message). true if so. */
bool rp_chan_repair_hole(struct rp_chan *ch);

/* consumer.c: the slowest live receiver's position (broadcast/multicast),
 * stored into shm->head if it advanced; returns it. */
uint64_t rp_chan_floor_refresh(struct rp_chan *ch);
/* Is there something for this receiver now (or the channel destroyed)? */
bool rp_chan_rx_ready(struct rp_chan *ch);

/* skip.c: multicast: move the cursors of sleeping receivers past the
 * published positions that hold nothing for them, so they do not hold the
 * floor back and need no wake-up to walk. Returns how many moved. */
int rp_chan_skip_sleepers(struct rp_chan *ch);

/* consumer.c, for view.c: move the cursor on (published for the floor),
 * count lost and received messages, where a lapped reader resumes. */
void rp_chan_cursor_advance(struct rp_chan *ch, uint64_t to);
void rp_chan_count_lost(struct rp_chan *ch, uint64_t n, uint64_t *lost);
void rp_chan_count_received(struct rp_chan *ch);
uint64_t rp_chan_resume_pos(struct rp_chan *ch, uint64_t pos);

/* region.c */
/* Where a region file lives. -ENAMETOOLONG. */
int rp_chan_region_path(const struct rp_chan *ch, unsigned idx, char *buf, size_t len);
/* A receiver: the bytes a reference names, mapped read-only, or NULL when
 * they cannot be (region gone or replaced, out of bounds): a lost message. */
const void *rp_chan_ref_resolve(struct rp_chan *ch, const struct rp_chan_ref *ref);
/* A receiver is done with what it held (release: the bytes were read). */
void rp_chan_hold_clear(struct rp_chan *ch);
void rp_chan_hold_set(struct rp_chan *ch, uint64_t pos);
/* Detach: a sender frees its region's index, a receiver its mappings. */
void rp_chan_regions_release(struct rp_chan *ch);
/* Destroy: remove every region file of the channel. */
void rp_chan_regions_unlink(const struct rp_chan *ch);

/* producer.c: a send of len bytes stored with the slot length `stored`
 * (len, or RP_CHAN_LEN_REF | len for a reference), to the receiver target
 * names (rp_chan_target_to) or, NULL, as the mode says; *pos its position. */
int rp_chan_send_slot(struct rp_chan *ch, const void *buf, size_t len, uint32_t stored,
		      const uint32_t *target, uint64_t *pos);

/* wait.c */
/* After publishing: wake who should look (target: the multicast receiver
 * the message is for, or RP_CHAN_TARGET_ANY). */
void rp_chan_wake_receivers(struct rp_chan *ch, uint32_t target);
/* Every live receiver, sleeping or about to (destroy, a sender waiting
 * for room). */
void rp_chan_wake_all(struct rp_chan *ch);
/* Multicast: the receivers whose cursor is dist or more behind pos (they
 * hold the floor and have something to take: skip.c moved the others on),
 * if asleep and not yet woken; force: all of them, unconditionally. */
void rp_chan_wake_behind(struct rp_chan *ch, uint64_t pos, uint32_t dist, bool force);
void rp_chan_wake_senders(struct rp_chan *ch);
/* The same once per sleep (a receiver whose progress made room: every one
 * of them would otherwise make a wake-up call until the sender runs). */
void rp_chan_wake_senders_armed(struct rp_chan *ch);
/* A sender about to sleep for room: the space_futex value to sleep at,
 * announced in space_armed. */
uint32_t rp_chan_space_arm(struct rp_chan *ch);
int rp_chan_futex_wait(_Atomic uint32_t *word, uint32_t val, int timeout_ms);
void rp_chan_wait_release(struct rp_chan *ch);

#endif
