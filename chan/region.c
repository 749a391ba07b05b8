/* SPDX-License-Identifier: MIT */
/*
 * By-reference messages (chan.h): a sender's region is a file of its own,
 * /dev/shm/ringplane-chanref.NAME.K, K the index it took in the channel's
 * region table:
 *
 *   [header: magic, version, index, generation, data size, checksum][pad to 4 KiB][data]
 *
 * A message is a struct rp_chan_ref in a slot (the slot length carries
 * RP_CHAN_LEN_REF). Receivers map a region read-only the first time a
 * reference names it, check its header like the channel's, and check every
 * reference against their own copy of its size: a co-tenant scribbling
 * references costs messages, never a bad access.
 *
 * Reuse of the bytes: a receiver marks the position it reads by reference
 * in its table entry (hold) before its cursor, or the shared head, passes
 * it, and clears the mark when done; the sender's rp_chan_released(pos)
 * needs the floor past pos and no live receiver holding pos.
 *
 * A sender that detaches leaves its region file in place (messages still in
 * the ring name it); the next sender to take the index replaces it, and
 * destroy removes them all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chan/internal.h"

#define REGION_DATA_OFF	4096
#define REGION_MAX	(1ull << 30)
#define REGION_VERSION	1

static const uint8_t region_magic[8] = { 'R', 'P', 'C', 'H', 'R', 'E', 'F', '\n' };

struct region_hdr {
	uint8_t magic[8];
	uint32_t version, index;
	uint32_t gen, reserved;
	uint64_t data_size;
	uint64_t check;		/* FNV-1a 64 of the fields above */
};

static uint64_t hdr_check(const struct region_hdr *h)
{
	return rp_chan_fnv(h, offsetof(struct region_hdr, check));
}

int rp_chan_region_path(const struct rp_chan *ch, unsigned idx, char *buf, size_t len)
{
	const char *name = ch->path + strlen(RP_CHAN_DIR "/" RP_CHAN_PREFIX);

	if ((size_t)snprintf(buf, len, "%s/ringplane-chanref.%s.%u", RP_CHAN_DIR, name, idx) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- the sender ------------------------------------------------------------ */

/* Take a free index (or one whose sender died): its new generation, or -1. */
static int take_index(struct rp_chan *ch, uint32_t *gen)
{
	for (unsigned i = 0; i < RP_CHAN_MAX_REGIONS; i++) {
		_Atomic uint64_t *o = &ch->shm->region_owner[i];
		uint64_t cur = atomic_load_explicit(o, memory_order_relaxed);
		pid_t pid = (pid_t)(uint32_t)cur;
		uint64_t next = (((cur >> 32) + 1) & 0xffffffffu) << 32 | (uint32_t)ch->pid;

		if (pid && !rp_chan_pid_gone(pid))
			continue;
		if (atomic_compare_exchange_strong_explicit(o, &cur, next, memory_order_acq_rel,
							    memory_order_relaxed)) {
			*gen = (uint32_t)(next >> 32);
			return (int)i;
		}
	}
	return -1;
}

static void give_index(struct rp_chan *ch, int idx)
{
	uint64_t v = atomic_load_explicit(&ch->shm->region_owner[idx], memory_order_relaxed);

	/* Only our own entry: a reaper may have handed it on already. */
	if ((pid_t)(uint32_t)v == ch->pid)
		atomic_compare_exchange_strong_explicit(&ch->shm->region_owner[idx], &v,
							v & ~0xffffffffull, memory_order_release,
							memory_order_relaxed);
}

/* Write the file under a temporary name, then rename it into place: a
 * receiver maps a whole region or none (an old one keeps its mapping). */
static int write_region(struct rp_chan *ch, const char *path, unsigned idx, uint32_t gen,
			uint64_t size, struct rp_chan_err *e)
{
	struct region_hdr h = { .version = REGION_VERSION, .index = idx, .gen = gen,
				.data_size = size };
	char tmp[200];
	struct stat st;
	int fd;

	memcpy(h.magic, region_magic, sizeof(h.magic));
	h.check = hdr_check(&h);
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)ch->pid);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rp_chan_errf(e, "%s: cannot create: %s", tmp, strerror(errno));
		return -1;
	}
	/* The channel file's group and mode: who may attach may read. */
	if (stat(ch->path, &st) || ftruncate(fd, (off_t)(REGION_DATA_OFF + size)) ||
	    fchmod(fd, st.st_mode & 0777) || fchown(fd, (uid_t)-1, st.st_gid) ||
	    pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		rp_chan_errf(e, "%s: cannot size, write or set permissions: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	ch->region_map = mmap(NULL, REGION_DATA_OFF + size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (ch->region_map == MAP_FAILED || rename(tmp, path)) {
		rp_chan_errf(e, "%s: cannot map or rename: %s", path, strerror(errno));
		if (ch->region_map != MAP_FAILED)
			munmap(ch->region_map, REGION_DATA_OFF + size);
		ch->region_map = NULL;
		unlink(tmp);
		return -1;
	}
	return 0;
}

void *rp_chan_region_create(struct rp_chan *ch, size_t size, struct rp_chan_err *e)
{
	char path[160];
	uint32_t gen;
	int idx;

	if (ch->role != RP_CHAN_SENDER || ch->region_map || ch->policy != RP_CHAN_BLOCK ||
	    size < 1 || size > REGION_MAX) {
		rp_chan_errf(e, "%s: a region needs a sender handle without one, the block policy "
			     "and 1 B to 1 GiB", ch->path);
		return NULL;
	}
	if ((idx = take_index(ch, &gen)) < 0) {
		rp_chan_errf(e, "%s: all %d region slots are taken by live senders", ch->path,
			     RP_CHAN_MAX_REGIONS);
		return NULL;
	}
	if (rp_chan_region_path(ch, (unsigned)idx, path, sizeof(path)) ||
	    write_region(ch, path, (unsigned)idx, gen, size, e)) {
		give_index(ch, idx);
		return NULL;
	}
	ch->region_map_len = REGION_DATA_OFF + size;
	if (!(ch->region_guard = rp_chan_guard_add(ch->region_map, ch->region_map_len, &ch->broken,
						   RP_CHAN_BROKEN_REGION))) {
		rp_chan_errf(e, "%s: cannot guard the region against truncation (too many "
			     "channel mappings in this process)", path);
		munmap(ch->region_map, ch->region_map_len);
		ch->region_map = NULL;
		give_index(ch, idx);
		return NULL;
	}
	ch->region_idx = idx;
	ch->region_gen = gen;
	ch->region_data = (uint8_t *)ch->region_map + REGION_DATA_OFF;
	ch->region_size = size;
	return ch->region_data;
}

int rp_chan_send_ref(struct rp_chan *ch, size_t off, size_t len, uint64_t *pos)
{
	struct rp_chan_ref ref = { .region = (uint32_t)ch->region_idx, .gen = ch->region_gen,
				   .off = off, .len = len };

	if (ch->role != RP_CHAN_SENDER || !ch->region_map || off > ch->region_size ||
	    len > ch->region_size - off)
		return -EINVAL;
	if (ch->slot_size < sizeof(ref))
		return -EMSGSIZE;
	return rp_chan_send_slot(ch, &ref, sizeof(ref), RP_CHAN_LEN_REF | (uint32_t)sizeof(ref), NULL,
				 pos);
}

bool rp_chan_released(struct rp_chan *ch, uint64_t pos)
{
	uint64_t m;

	/* Broken: nobody reads through this handle any more; the next send
	 * says so (-EIO) instead of the caller waiting here for ever. */
	if (rp_chan_is_broken(ch))
		return true;
	/* Acquire inside: a receiver's hold is set before its cursor or the
	 * head passed pos, so it is seen here if still set. */
	if (rp_chan_floor_refresh(ch) <= pos)
		return false;
	for (m = rp_chan_live_mask(ch); m; m &= m - 1)
		if (atomic_load_explicit(&ch->rx[__builtin_ctzll(m)].hold, memory_order_acquire) ==
		    pos + 1)
			return false;
	return true;
}

/* ---- the receiver ---------------------------------------------------------- */

void rp_chan_hold_set(struct rp_chan *ch, uint64_t pos)
{
	/* Relaxed: the cursor or head store that follows is a release. */
	atomic_store_explicit(&ch->rx[ch->rx_idx].hold, pos + 1, memory_order_relaxed);
	ch->holding = true;
}

void rp_chan_hold_clear(struct rp_chan *ch)
{
	if (!ch->holding)
		return;
	/* Release: every read of the held bytes is done before a sender sees
	 * them free. */
	atomic_store_explicit(&ch->rx[ch->rx_idx].hold, 0, memory_order_release);
	ch->holding = false;
}

static void unmap_rmap(struct rp_chan_rmap *r)
{
	rp_chan_guard_remove(r->guard);
	if (r->map)
		munmap(r->map, r->map_len);
	*r = (struct rp_chan_rmap){ 0 };
}

static bool hdr_ok(const struct region_hdr *h, unsigned idx, uint64_t file_size)
{
	return !memcmp(h->magic, region_magic, sizeof(h->magic)) && h->version == REGION_VERSION &&
	       h->index == idx && h->check == hdr_check(h) && h->data_size <= REGION_MAX &&
	       file_size == REGION_DATA_OFF + h->data_size;
}

/* Map region idx if its file is the generation wanted. */
static bool map_region(struct rp_chan *ch, unsigned idx, uint32_t gen)
{
	struct rp_chan_rmap *r = &ch->rmap[idx];
	struct region_hdr h;
	char path[160];
	struct stat st;
	void *map;
	int fd, guard;

	if (rp_chan_region_path(ch, idx, path, sizeof(path)) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return false;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    !hdr_ok(&h, idx, (uint64_t)st.st_size) || h.gen != gen ||
	    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		close(fd);
		return false;
	}
	close(fd);
	/* No guard, no mapping: an unguarded truncation would kill us. */
	if (!(guard = rp_chan_guard_add(map, (size_t)st.st_size, &ch->broken,
					RP_CHAN_BROKEN_REGION))) {
		munmap(map, (size_t)st.st_size);
		return false;
	}
	unmap_rmap(r);
	*r = (struct rp_chan_rmap){ .map = map, .map_len = (size_t)st.st_size,
				    .data = (const uint8_t *)map + REGION_DATA_OFF,
				    .size = h.data_size, .gen = gen, .guard = guard };
	return true;
}

const void *rp_chan_ref_resolve(struct rp_chan *ch, const struct rp_chan_ref *ref)
{
	struct rp_chan_rmap *r;

	if (ref->region >= RP_CHAN_MAX_REGIONS)
		return NULL;
	r = &ch->rmap[ref->region];
	if ((!r->map || r->gen != ref->gen) && !map_region(ch, ref->region, ref->gen))
		return NULL;
	if (ref->off > r->size || ref->len > r->size - ref->off)
		return NULL;
	return r->data + ref->off;
}

void rp_chan_regions_release(struct rp_chan *ch)
{
	if (ch->region_map) {
		rp_chan_guard_remove(ch->region_guard);
		ch->region_guard = 0;
		munmap(ch->region_map, ch->region_map_len);
		give_index(ch, ch->region_idx);
		ch->region_map = NULL;
	}
	for (unsigned i = 0; i < RP_CHAN_MAX_REGIONS; i++)
		unmap_rmap(&ch->rmap[i]);
}

void rp_chan_regions_unlink(const struct rp_chan *ch)
{
	char path[160];

	for (unsigned i = 0; i < RP_CHAN_MAX_REGIONS; i++)
		if (!rp_chan_region_path(ch, i, path, sizeof(path)))
			unlink(path);
}
