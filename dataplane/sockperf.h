/* SPDX-License-Identifier: MIT */
/*
 * sockperf's message framing (so `sockperf ping-pong` can measure ringplane):
 * a 14-byte header, big endian: u64 sequence, u16 flags, u32 length, where
 * length is the whole message including the header. Flags: CLIENT (set by
 * the client), PONG_REQUEST (the client wants this message answered),
 * WARMUP. A server answers only PONG_REQUEST messages, with the same bytes
 * and the CLIENT bit cleared. UDP: one message per datagram. TCP: messages
 * follow each other in the stream, split anywhere by recv boundaries.
 */
#ifndef RP_SOCKPERF_H
#define RP_SOCKPERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RP_SP_HDR_LEN   14
#define RP_SP_MAX_LEN   65536u	/* larger than any sockperf message */

enum {
	RP_SP_F_CLIENT = 1u << 0,
	RP_SP_F_PONG_REQUEST = 1u << 1,
	RP_SP_F_WARMUP = 1u << 2,
};

struct rp_sp_hdr {
	uint64_t seq;
	uint16_t flags;
	uint32_t len;		/* whole message */
};

/* Decode a header from 14 bytes. false: length impossible (malformed). */
bool rp_sp_parse(const void *p, struct rp_sp_hdr *h);
/* Encode. */
void rp_sp_build(void *p, const struct rp_sp_hdr *h);
/* Turn the message at p (header first) into its reply in place. */
void rp_sp_make_reply(void *p);
static inline bool rp_sp_wants_reply(const struct rp_sp_hdr *h)
{
	return h->flags & RP_SP_F_PONG_REQUEST;
}

/*
 * Incremental framing of a TCP stream. Feed each received chunk; for each
 * whole message the callback gets where it is: contiguous inside the chunk
 * (in_chunk, offset) or reassembled in the framer's own memory (a message
 * split across chunks). The callback may modify the message bytes.
 *
 * With `pieces` set (after init), a split message whose 14-byte header
 * arrived whole is not copied: it is handed over where it lies, piece by
 * piece: RP_SP_FIRST (header included, at the end of its chunk; whatever
 * the callback decides for the message holds for its other pieces), then
 * RP_SP_MORE (a whole chunk) or RP_SP_LAST (at the start of a chunk). Only
 * a message whose header itself is split is still reassembled in carry.
 */
struct rp_sp_framer {
	uint32_t have;		/* bytes of a split message held in carry */
	uint32_t need;		/* its length, once its header is complete; else 0 */
	uint8_t *carry;		/* reassembly of a split message */
	size_t carry_cap;
	bool bad;		/* malformed: the stream cannot be framed any more */
	bool pieces;		/* hand split messages over in place (see above) */
	uint32_t rest;		/* pieces: bytes of the current message still to come */
};

enum rp_sp_part {
	RP_SP_WHOLE,		/* the whole message */
	RP_SP_FIRST,		/* pieces: its start, header whole */
	RP_SP_MORE,		/* pieces: a middle part */
	RP_SP_LAST,		/* pieces: its end */
};

struct rp_sp_msg {
	uint8_t *data;		/* the message (or piece), header first if it has one */
	uint32_t len;		/* of what data points to */
	bool in_chunk;		/* data points into the chunk passed to feed */
	size_t chunk_off;	/* if in_chunk */
	enum rp_sp_part part;
};

typedef void (*rp_sp_msg_fn)(void *arg, const struct rp_sp_msg *m);

void rp_sp_framer_init(struct rp_sp_framer *f);
void rp_sp_framer_free(struct rp_sp_framer *f);
/* 0, or -1 when the stream is malformed (f->bad set; nothing more is fed). */
int rp_sp_framer_feed(struct rp_sp_framer *f, uint8_t *chunk, size_t len,
		      rp_sp_msg_fn fn, void *arg);

#endif
