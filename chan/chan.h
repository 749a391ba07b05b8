/* SPDX-License-Identifier: MIT */
/*
 * Message channels between processes on shared memory (seed 002 built on what
 * the kernel has): a named channel is a file under /dev/shm whose owner, group
 * and mode bits are its access control. Senders and receivers attach to it;
 * messages up to the slot size are copied inline into a ring of slots, larger
 * ones go by reference to the sender's region (below).
 *
 *   unicast    every message goes to exactly one receiver: receivers share
 *              one consumer head (a work queue); messages sent while no
 *              receiver is attached wait for one.
 *   broadcast  every receiver gets every message published after it
 *              attached (each has its own cursor).
 *   multicast  messages are spread round-robin over the receivers attached
 *              when each is sent; each is received exactly once. A turn
 *              that falls on a sleeping receiver goes to the next receiver
 *              that is awake (or already woken) and keeping up, if any, so
 *              a busy channel does not wake a sleeper per message. A
 *              sleeper no message is for is never woken: senders move its
 *              cursor past the others' messages (it loses nothing).
 *   Broadcast and multicast channels also carry messages addressed to one
 *   receiver (rp_chan_send_to).
 *
 * Full ring, per channel: `block` (a sender waits, at most block_timeout_ms,
 * for the slowest live receiver, then gets -ETIMEDOUT) or `overwrite` (the
 * sender never waits; a receiver that was lapped loses the overwritten
 * messages, counted, and never reads a torn one).
 *
 * Waiting: a receiver sleeps on a futex word of the channel (broadcast: one
 * shared by all receivers; unicast, multicast: its own, so a message wakes
 * only the receiver it is for), either through its own io_uring
 * (rp_chan_wait_arm + rp_chan_prep_wait: channel messages and network
 * completions in one ring) or with rp_chan_wait. Senders make a wake-up
 * syscall only when some receiver said it sleeps and was not woken since:
 * once per sleep, however many messages are sent meanwhile. A broadcast
 * receiver may also ask to sleep until K messages wait (receive
 * coalescing, rp_chan_set_rx_batch).
 *
 * A receiver whose process died is detached by whoever notices (a blocked
 * sender, rp_chan_reap, stats), so it blocks nobody. A sender that died
 * while writing a slot leaves a hole that receivers skip (counted as lost)
 * once they find its pid gone.
 *
 * A truncated file: a co-tenant with write access may truncate the channel
 * file, or a sender's region file, under attached handles. The library
 * guards its mappings against the SIGBUS that follows (chan/guard.c, the
 * wl_shm design): attach installs a SIGBUS handler (unless it is already
 * the current one) that replaces a truncated mapping of ours with zero
 * pages and passes every other SIGBUS to the handler it replaced (or the
 * default action). The handle's next operation returns -EIO and
 * rp_chan_broken() says why; only detach is left to do. A program that
 * installs its own SIGBUS handler while attached must chain to the
 * previous one, or truncation kills its readers again.
 *
 * Threads: a handle is used by one thread at a time; any number of handles
 * (in any processes) may be attached to one channel.
 */
#ifndef RP_CHAN_H
#define RP_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RP_CHAN_NAME_MAX	64	/* [A-Za-z0-9._-], not starting with '.' */
#define RP_CHAN_MAX_RECEIVERS	64
#define RP_CHAN_DIR		"/dev/shm"
#define RP_CHAN_PREFIX		"ringplane-chan."

enum rp_chan_mode {
	RP_CHAN_UNICAST = 1,
	RP_CHAN_BROADCAST = 2,
	RP_CHAN_MULTICAST = 3,
};

enum rp_chan_policy {
	RP_CHAN_BLOCK = 1,
	RP_CHAN_OVERWRITE = 2,
};

enum rp_chan_role {
	RP_CHAN_SENDER = 1,
	RP_CHAN_RECEIVER = 2,
};

struct rp_chan_params {
	enum rp_chan_mode mode;
	enum rp_chan_policy policy;
	uint32_t slots;			/* power of two, 2 .. 1<<20 */
	uint32_t slot_size;		/* payload bytes per slot, 1 .. 1 MiB */
	uint32_t max_receivers;		/* 1 .. RP_CHAN_MAX_RECEIVERS */
	uint32_t block_timeout_ms;	/* the longest a send waits (block policy:
					 * for room; both: for a sender a lap
					 * behind still writing the slot) */
	mode_t perm;			/* file mode bits, e.g. 0600 or 0660 */
	gid_t gid;			/* (gid_t)-1: the creator's */
};

/* Every failing call fills one of these: what failed, naming the path. */
struct rp_chan_err {
	char msg[384];
};

struct rp_chan_rx_info {
	int index;
	uint32_t id;			/* for rp_chan_send_to */
	pid_t pid;
	uint64_t cursor, received, lost;
	bool sleeping;
};

struct rp_chan_info {
	char path[128];
	struct rp_chan_params params;
	uid_t uid;
	uint64_t tail;			/* messages ever sent (positions taken) */
	uint64_t head;			/* unicast: consumed; else the slowest cursor seen */
	uint64_t send_timeouts;
	uint32_t sleepers;
	bool destroyed;
	unsigned n_rx;
	struct rp_chan_rx_info rx[RP_CHAN_MAX_RECEIVERS];
};

struct rp_chan;
struct io_uring_sqe;

/* Defaults: unicast, block, 1024 slots of 256 B, 16 receivers, 1000 ms, 0600. */
void rp_chan_params_default(struct rp_chan_params *p);

/* Lifecycle. Create fails if the channel exists (EEXIST). Destroy unlinks the
 * file and marks the channel destroyed: attached senders get -EPIPE, attached
 * receivers drain what is left and then get -EPIPE; their mappings stay valid
 * until they detach. */
int rp_chan_create(const char *name, const struct rp_chan_params *p, struct rp_chan_err *e);
struct rp_chan *rp_chan_attach(const char *name, enum rp_chan_role role, struct rp_chan_err *e);
void rp_chan_detach(struct rp_chan *ch);
int rp_chan_destroy(const char *name, struct rp_chan_err *e);
/* The file behind a name (for error messages and tests). -ENAMETOOLONG/-EINVAL. */
int rp_chan_path(const char *name, char *buf, size_t len);

/* Send len bytes (<= slot_size). 0, or -EMSGSIZE, -ETIMEDOUT (block policy,
 * no room within block_timeout_ms), -EPIPE (destroyed), -EINVAL (not a
 * sender), -EIO (a file truncated under the handle: rp_chan_broken). */
int rp_chan_send(struct rp_chan *ch, const void *buf, size_t len);

/* Addressed messages (broadcast and multicast channels): a receiver's id,
 * which it hands to senders by its own means (`ringplane chan stats` lists
 * them); only that receiver gets a message sent to it, the others walk
 * past. 0 for a handle that is not a receiver. */
uint32_t rp_chan_rx_id(const struct rp_chan *ch);
/* 0, -ENOENT (no such receiver attached now: it detached, or the id is of
 * an earlier receiver in its entry), -EINVAL (a unicast channel, whose
 * receivers share one head, or a bad id), or what rp_chan_send returns. */
int rp_chan_send_to(struct rp_chan *ch, uint32_t rx_id, const void *buf, size_t len);

/* Receive one message into buf (cap >= slot size). Its length, or -EAGAIN
 * (nothing now), -EPIPE (destroyed and drained), -EINVAL, -EIO (a file
 * truncated under the handle: rp_chan_broken). *lost (may be
 * NULL) is set to the messages this receiver lost to overwrites just before
 * this one (a counted gap). */
ssize_t rp_chan_recv(struct rp_chan *ch, void *buf, size_t cap, uint64_t *lost);

/*
 * By reference: messages larger than a slot, written once into shared memory
 * and read in place. A sender makes one region (a file beside the channel's,
 * /dev/shm/ringplane-chanref.NAME.K, with the channel's owner, group and
 * mode) and manages its buffers in it; a message names bytes of it. The
 * sender may reuse those bytes once rp_chan_released() says every receiver
 * is done with the message (like a zerocopy send's notification). Receivers
 * map a region read-only on first use and check every reference against it.
 * Block policy only: with overwrite a lapped receiver could read bytes the
 * sender already reused.
 */
/* The sender's region of size data bytes (page-aligned, up to 1 GiB; one
 * per sender handle, up to RP_CHAN_MAX_REGIONS senders at a time): where to
 * write, or NULL. */
void *rp_chan_region_create(struct rp_chan *ch, size_t size, struct rp_chan_err *e);
/* Send bytes [off, off + len) of the sender's region. 0 and *pos (for
 * rp_chan_released), or -EINVAL (no region, out of bounds, not the block
 * policy), -EMSGSIZE (slot smaller than a reference, 24 B), and what
 * rp_chan_send returns. */
int rp_chan_send_ref(struct rp_chan *ch, size_t off, size_t len, uint64_t *pos);
/* Has every receiver that will ever read the message at pos finished with
 * it? (Its bytes may then be rewritten.) */
bool rp_chan_released(struct rp_chan *ch, uint64_t pos);
/*
 * Receive without copying: *data points at the message, either in the
 * referenced region (by reference) or in buf (an inline message, copied as
 * by rp_chan_recv). By-reference bytes stay valid and unchanged until this
 * handle's next receive or detach. Returns the length, or as rp_chan_recv.
 * rp_chan_recv itself copies a referenced message into buf when it fits
 * (cap), and otherwise skips it as lost.
 */
ssize_t rp_chan_recv_ref(struct rp_chan *ch, void *buf, size_t cap, const void **data,
			 uint64_t *lost);

/*
 * Reading in place (broadcast channels; chan/view.c): a view of the next
 * message where it lies in shared memory, its slot or (by reference) the
 * sender's region, without a copy; iceoryx's take/release and seed 002's
 * shared ring work this way. The receiver's cursor stays at the message
 * until rp_chan_release, so with the block policy no sender rewrites its
 * bytes meanwhile. With the overwrite policy a sender may lap the slot
 * while it is read: rp_chan_release then returns -ESTALE (counted as lost)
 * and what was read must be thrown away (it may be torn). The view's
 * pointer and length are checked against this handle's own mappings and
 * sizes, whatever another process writes into the file, so reading it never
 * faults (a truncated file reads as zeros, above); a co-tenant writing into
 * a slot without its sequence can change the bytes unnoticed.
 * One view at a time: while it is open, receives return -EBUSY and
 * rp_chan_wait returns at once. The fields after len are the library's.
 */
struct rp_chan_view {
	const void *data;
	size_t len;
	uint64_t lost;		/* messages lost to overwrites just before this one */
	uint64_t pos, seq;
};
/* The next message's view: its length, or -EAGAIN, -EPIPE, -EIO, -EINVAL as
 * rp_chan_recv; -EBUSY (a view is open), -EOPNOTSUPP (not broadcast). */
ssize_t rp_chan_peek(struct rp_chan *ch, struct rp_chan_view *v);
/* Done with the view: 0; -ESTALE (overwritten while it was read); -EIO
 * (a file truncated under it: the bytes read may be zeros); -EINVAL (no
 * view open). Either way the view is closed. */
int rp_chan_release(struct rp_chan *ch, struct rp_chan_view *v);

/* Wait until a message may be ready (0), -ETIMEDOUT, -EPIPE, -EIO (truncated
 * under the handle), or another negative errno. timeout_ms < 0: no limit. Uses an io_uring FUTEX_WAIT of
 * the handle's own small ring, or futex(2) where the kernel lacks the op. */
int rp_chan_wait(struct rp_chan *ch, int timeout_ms);

/*
 * Receive coalescing (broadcast and multicast channels; a receiver's
 * handle): be woken only once `batch` messages wait for this receiver, or after
 * max_delay_us asleep, so senders wake sleepers once per batch instead of
 * once per message (interrupt coalescing; io_uring's min-wait). batch 1
 * (the default): woken by the first message, max_delay_us ignored. A
 * batch is capped at half the ring. Receivers share the broadcast wait
 * word, and a wake-up wakes all of its sleepers: the smallest batch among
 * the sleepers decides when. rp_chan_wait cuts its sleeps at max_delay_us
 * and returns 0 when one ends with messages waiting; a receiver waiting in
 * its own io_uring must bound that wait by max_delay_us itself (a linked
 * or min-wait timeout). A sender that finds a block-policy ring full wakes
 * every sleeper. Multicast (format 6): the count is the receiver's own
 * (messages given to it while it sleeps), and a sleeper's round-robin turn
 * goes to a sleeper already collecting a batch, so one receiver is woken
 * per batch instead of each being given one message in n; a sleeper whose
 * oldest message is half a ring behind is woken whatever its count.
 * 0, -EINVAL (not a receiver, batch 0, or batch > 1 with max_delay_us 0),
 * -EOPNOTSUPP (batch > 1 on a unicast channel: its receivers share one
 * head, not built).
 */
int rp_chan_set_rx_batch(struct rp_chan *ch, uint32_t batch, uint32_t max_delay_us);

/*
 * Waiting in the caller's io_uring:
 *   if (rp_chan_wait_arm(ch, &v) == 0) { sqe = ...; rp_chan_prep_wait(ch, sqe, v); }
 *   ... on its CQE (any res, also after a cancel): rp_chan_wait_disarm(ch);
 * arm returns 1 when a message (or the destroy) is already there: nothing
 * armed, receive now. Several channels: one SQE each, or FUTEX_WAITV with
 * rp_chan_waitv_fill.
 */
int rp_chan_wait_arm(struct rp_chan *ch, uint32_t *val);
void rp_chan_prep_wait(struct rp_chan *ch, struct io_uring_sqe *sqe, uint32_t val);
void rp_chan_wait_disarm(struct rp_chan *ch);
struct futex_waitv;
void rp_chan_waitv_fill(struct rp_chan *ch, struct futex_waitv *wv, uint32_t val);

/* How receivers wait here: "io_uring FUTEX_WAIT" or "futex(2): WHY". */
const char *rp_chan_wait_backend(void);

/* Detach receivers whose process is gone; returns how many. Called by a
 * receiver, it also repairs the slot it waits at if that slot's sender died
 * while writing it (rp_chan_wait does this by itself every second; a
 * receiver waiting in its own io_uring should call this now and then; it
 * also finds a truncated file then: -EIO). */
int rp_chan_reap(struct rp_chan *ch);

/* Why the handle's operations return -EIO: a file behind it was truncated
 * by another process ("channel file truncated by another process", or a
 * region file's), or NULL while it is whole. */
const char *rp_chan_broken(const struct rp_chan *ch);

/* A snapshot of the channel (any role). */
void rp_chan_info(struct rp_chan *ch, struct rp_chan_info *out);

const char *rp_chan_mode_name(enum rp_chan_mode m);
const char *rp_chan_policy_name(enum rp_chan_policy p);
int rp_chan_mode_parse(const char *s, enum rp_chan_mode *m);
int rp_chan_policy_parse(const char *s, enum rp_chan_policy *p);

#endif
