/* SPDX-License-Identifier: MIT */
/*
 * sockperf framing (see sockperf.h). A message that arrives whole inside one
 * chunk is handed over where it lies, so the echo can answer from the
 * received buffer; so is, piece by piece, a split one whose header arrived
 * whole when the caller asked for pieces. Any other split message is
 * copied into the framer's carry area, which never grows beyond
 * RP_SP_MAX_LEN.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/sockperf.h"

#define OFF_SEQ   0
#define OFF_FLAGS 8
#define OFF_LEN   10

bool rp_sp_parse(const void *p, struct rp_sp_hdr *h)
{
	const uint8_t *b = p;
	uint64_t seq;
	uint16_t flags;
	uint32_t len;

	memcpy(&seq, b + OFF_SEQ, sizeof(seq));
	memcpy(&flags, b + OFF_FLAGS, sizeof(flags));
	memcpy(&len, b + OFF_LEN, sizeof(len));
	h->seq = be64toh(seq);
	h->flags = be16toh(flags);
	h->len = be32toh(len);
	return h->len >= RP_SP_HDR_LEN && h->len <= RP_SP_MAX_LEN;
}

void rp_sp_build(void *p, const struct rp_sp_hdr *h)
{
	uint8_t *b = p;
	uint64_t seq = htobe64(h->seq);
	uint16_t flags = htobe16(h->flags);
	uint32_t len = htobe32(h->len);

	memcpy(b + OFF_SEQ, &seq, sizeof(seq));
	memcpy(b + OFF_FLAGS, &flags, sizeof(flags));
	memcpy(b + OFF_LEN, &len, sizeof(len));
}

void rp_sp_make_reply(void *p)
{
	uint8_t *b = p;
	uint16_t flags;

	memcpy(&flags, b + OFF_FLAGS, sizeof(flags));
	flags = htobe16(be16toh(flags) & ~RP_SP_F_CLIENT);
	memcpy(b + OFF_FLAGS, &flags, sizeof(flags));
}

/* ---- TCP stream framing -------------------------------------------------- */

void rp_sp_framer_init(struct rp_sp_framer *f)
{
	memset(f, 0, sizeof(*f));
}

void rp_sp_framer_free(struct rp_sp_framer *f)
{
	free(f->carry);
	rp_sp_framer_init(f);
}

static int carry_reserve(struct rp_sp_framer *f, size_t n)
{
	uint8_t *p;

	if (n <= f->carry_cap)
		return 0;
	p = realloc(f->carry, n);
	if (!p)
		return -1;
	f->carry = p;
	f->carry_cap = n;
	return 0;
}

static int fail(struct rp_sp_framer *f)
{
	f->bad = true;
	return -1;
}

/* Append up to what the current split message still needs; deliver it when
 * whole. Returns bytes consumed, or -1 when malformed. */
static long feed_carry(struct rp_sp_framer *f, const uint8_t *p, size_t len,
		       rp_sp_msg_fn fn, void *arg)
{
	uint32_t want = f->need ? f->need : RP_SP_HDR_LEN;
	size_t take = want - f->have < len ? want - f->have : len;
	struct rp_sp_hdr h;

	memcpy(f->carry + f->have, p, take);
	f->have += (uint32_t)take;
	if (!f->need && f->have == RP_SP_HDR_LEN) {
		if (!rp_sp_parse(f->carry, &h) || carry_reserve(f, h.len))
			return fail(f);
		f->need = h.len;
	}
	if (f->need && f->have == f->need) {
		fn(arg, &(struct rp_sp_msg){ .data = f->carry, .len = f->need });
		f->have = f->need = 0;
	}
	return (long)take;
}

/* Start a message at p: whole ones are delivered in place, a partial one
 * starts the carry. Returns bytes consumed, or -1. */
static long feed_fresh(struct rp_sp_framer *f, uint8_t *chunk, size_t pos, size_t len,
		       rp_sp_msg_fn fn, void *arg)
{
	struct rp_sp_hdr h;

	if (len - pos >= RP_SP_HDR_LEN) {
		if (!rp_sp_parse(chunk + pos, &h))
			return fail(f);
		if (len - pos >= h.len) {
			fn(arg, &(struct rp_sp_msg){ .data = chunk + pos, .len = h.len,
						     .in_chunk = true, .chunk_off = pos });
			return h.len;
		}
		if (f->pieces) {
			f->rest = h.len - (uint32_t)(len - pos);
			fn(arg, &(struct rp_sp_msg){ .data = chunk + pos, .len = (uint32_t)(len - pos),
						     .in_chunk = true, .chunk_off = pos,
						     .part = RP_SP_FIRST });
			return (long)(len - pos);
		}
	}
	if (carry_reserve(f, RP_SP_HDR_LEN))
		return fail(f);
	return feed_carry(f, chunk + pos, len - pos, fn, arg);
}

/* pieces: the next part of a message whose start went out in place. */
static long feed_rest(struct rp_sp_framer *f, uint8_t *chunk, size_t pos, size_t len,
		      rp_sp_msg_fn fn, void *arg)
{
	uint32_t take = f->rest < len - pos ? f->rest : (uint32_t)(len - pos);

	f->rest -= take;
	fn(arg, &(struct rp_sp_msg){ .data = chunk + pos, .len = take, .in_chunk = true,
				     .chunk_off = pos,
				     .part = f->rest ? RP_SP_MORE : RP_SP_LAST });
	return take;
}

int rp_sp_framer_feed(struct rp_sp_framer *f, uint8_t *chunk, size_t len,
		      rp_sp_msg_fn fn, void *arg)
{
	size_t pos = 0;

	if (f->bad)
		return -1;
	while (pos < len) {
		long n = f->rest ? feed_rest(f, chunk, pos, len, fn, arg)
		       : f->have ? feed_carry(f, chunk + pos, len - pos, fn, arg)
				 : feed_fresh(f, chunk, pos, len, fn, arg);
		if (n < 0)
			return -1;
		pos += (size_t)n;
	}
	return 0;
}
