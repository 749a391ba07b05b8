/* SPDX-License-Identifier: MIT */
/* sockperf framing: header encode/decode, reply bits, malformed frames, and
 * TCP stream framing across every possible split point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/sockperf.h"

static void header_round_trip(void **state)
{
	uint8_t b[RP_SP_HDR_LEN];
	struct rp_sp_hdr h = { .seq = 0x0102030405060708ULL, .flags = 3, .len = 64 }, g;
	static const uint8_t wire[RP_SP_HDR_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 0, 3, 0, 0, 0, 64 };

	(void)state;
	rp_sp_build(b, &h);
	assert_memory_equal(b, wire, sizeof(wire));	/* big endian on the wire */
	assert_true(rp_sp_parse(b, &g));
	assert_true(g.seq == h.seq && g.flags == 3 && g.len == 64);
	assert_true(rp_sp_wants_reply(&g));
	rp_sp_make_reply(b);
	assert_true(rp_sp_parse(b, &g));
	assert_int_equal(g.flags, RP_SP_F_PONG_REQUEST);	/* CLIENT cleared, rest kept */
	assert_int_equal(b[8], 0);
}

static void malformed_lengths(void **state)
{
	uint8_t b[RP_SP_HDR_LEN];
	struct rp_sp_hdr h = { .flags = RP_SP_F_CLIENT }, g;

	(void)state;
	h.len = RP_SP_HDR_LEN - 1;
	rp_sp_build(b, &h);
	assert_false(rp_sp_parse(b, &g));
	h.len = RP_SP_MAX_LEN + 1;
	rp_sp_build(b, &h);
	assert_false(rp_sp_parse(b, &g));
	h.len = RP_SP_HDR_LEN;
	rp_sp_build(b, &h);
	assert_true(rp_sp_parse(b, &g));
}

/* A stream of messages of varied sizes; every third asks no reply. */
#define N_MSG 12
static size_t make_stream(uint8_t *s)
{
	size_t off = 0;

	for (unsigned i = 0; i < N_MSG; i++) {
		struct rp_sp_hdr h = { .seq = i, .len = RP_SP_HDR_LEN + i * 7,
			.flags = RP_SP_F_CLIENT | (i % 3 ? RP_SP_F_PONG_REQUEST : 0) };

		rp_sp_build(s + off, &h);
		memset(s + off + RP_SP_HDR_LEN, (int)('a' + i), i * 7);
		off += h.len;
	}
	return off;
}

struct seen {
	unsigned n, in_chunk;
	uint64_t seq[64];
	uint32_t len[64];
	int payload_ok;
};

static void on_msg(void *arg, const struct rp_sp_msg *m)
{
	struct seen *s = arg;
	struct rp_sp_hdr h;

	assert_true(rp_sp_parse(m->data, &h));
	assert_int_equal(h.len, m->len);
	s->seq[s->n] = h.seq;
	s->len[s->n] = m->len;
	for (uint32_t i = RP_SP_HDR_LEN; i < m->len; i++)
		if (m->data[i] != 'a' + h.seq)
			s->payload_ok = 0;
	s->in_chunk += m->in_chunk;
	s->n++;
}

static void check_seen(const struct seen *s)
{
	assert_int_equal(s->n, N_MSG);
	assert_true(s->payload_ok);
	for (unsigned i = 0; i < N_MSG; i++) {
		assert_int_equal(s->seq[i], i);
		assert_int_equal(s->len[i], RP_SP_HDR_LEN + i * 7);
	}
}

static void whole_chunk_in_place(void **state)
{
	uint8_t s[4096];
	size_t len = make_stream(s);
	struct rp_sp_framer f;
	struct seen seen = { .payload_ok = 1 };

	(void)state;
	rp_sp_framer_init(&f);
	assert_int_equal(rp_sp_framer_feed(&f, s, len, on_msg, &seen), 0);
	check_seen(&seen);
	assert_int_equal(seen.in_chunk, N_MSG);		/* nothing copied */
	rp_sp_framer_free(&f);
}

static void every_split_point(void **state)
{
	uint8_t s[4096], a[4096], b[4096];
	size_t len = make_stream(s);

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		struct rp_sp_framer f;
		struct seen seen = { .payload_ok = 1 };

		memcpy(a, s, cut);
		memcpy(b, s + cut, len - cut);
		rp_sp_framer_init(&f);
		assert_int_equal(rp_sp_framer_feed(&f, a, cut, on_msg, &seen), 0);
		assert_int_equal(rp_sp_framer_feed(&f, b, len - cut, on_msg, &seen), 0);
		check_seen(&seen);
		assert_int_equal(f.have, 0);
		rp_sp_framer_free(&f);
	}
}

static void byte_by_byte(void **state)
{
	uint8_t s[4096];
	size_t len = make_stream(s);
	struct rp_sp_framer f;
	struct seen seen = { .payload_ok = 1 };

	(void)state;
	rp_sp_framer_init(&f);
	for (size_t i = 0; i < len; i++) {
		uint8_t byte = s[i];
		assert_int_equal(rp_sp_framer_feed(&f, &byte, 1, on_msg, &seen), 0);
	}
	check_seen(&seen);
	rp_sp_framer_free(&f);
}

/* pieces: reassemble what the framer hands over, to check it is the stream;
 * count the messages that still went through carry. */
struct pieced {
	struct seen seen;
	uint8_t msg[4096];
	uint32_t have, want;
	unsigned carried, first, more, last;
};

static void on_piece(void *arg, const struct rp_sp_msg *m)
{
	struct pieced *p = arg;
	struct rp_sp_hdr h;

	if (m->part == RP_SP_WHOLE) {
		p->carried += !m->in_chunk;
		on_msg(&p->seen, m);
		return;
	}
	assert_true(m->in_chunk);
	if (m->part == RP_SP_FIRST) {
		assert_true(rp_sp_parse(m->data, &h));	/* the header is whole */
		assert_true(m->len < h.len);
		p->want = h.len;
		p->have = 0;
		p->first++;
	} else {
		assert_int_equal(m->chunk_off, 0);	/* continues at the chunk start */
		p->more += m->part == RP_SP_MORE;
	}
	memcpy(p->msg + p->have, m->data, m->len);
	p->have += m->len;
	if (m->part == RP_SP_LAST) {
		assert_int_equal(p->have, p->want);
		p->last++;
		on_msg(&p->seen, &(struct rp_sp_msg){ .data = p->msg, .len = p->have });
	} else {
		assert_true(p->have < p->want);
	}
}

/* Every cut: a message cut in its body goes out in place (FIRST + LAST);
 * only one whose header is cut goes through carry. */
static void pieces_every_split_point(void **state)
{
	uint8_t s[4096], a[4096], b[4096];
	size_t len = make_stream(s);

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		struct rp_sp_framer f;
		struct pieced p = { .seen = { .payload_ok = 1 } };
		size_t start = 0;
		unsigned hdr_cut = 0, body_cut = 0;

		for (unsigned i = 0; i < N_MSG; start += RP_SP_HDR_LEN + i * 7, i++) {
			hdr_cut += cut > start && cut < start + RP_SP_HDR_LEN;
			body_cut += cut >= start + RP_SP_HDR_LEN && cut < start + RP_SP_HDR_LEN + i * 7;
		}
		memcpy(a, s, cut);
		memcpy(b, s + cut, len - cut);
		rp_sp_framer_init(&f);
		f.pieces = true;
		assert_int_equal(rp_sp_framer_feed(&f, a, cut, on_piece, &p), 0);
		assert_int_equal(rp_sp_framer_feed(&f, b, len - cut, on_piece, &p), 0);
		check_seen(&p.seen);
		assert_int_equal(p.carried, hdr_cut);
		assert_int_equal(p.first, body_cut);
		assert_int_equal(p.last, body_cut);
		assert_int_equal(f.have + f.rest, 0);
		rp_sp_framer_free(&f);
	}
}

/* A message longer than a chunk: FIRST, MORE..., LAST, in place. */
static void pieces_span_many_chunks(void **state)
{
	uint8_t s[4096];
	struct rp_sp_hdr h = { .seq = 5, .len = 3000, .flags = RP_SP_F_CLIENT };
	struct rp_sp_framer f;
	struct pieced p = { .seen = { .payload_ok = 1 } };

	(void)state;
	rp_sp_build(s, &h);
	memset(s + RP_SP_HDR_LEN, 'a' + 5, h.len - RP_SP_HDR_LEN);
	rp_sp_framer_init(&f);
	f.pieces = true;
	for (size_t off = 0; off < h.len; off += 500)	/* 6 chunks */
		assert_int_equal(rp_sp_framer_feed(&f, s + off, 500, on_piece, &p), 0);
	assert_int_equal(p.first, 1);
	assert_int_equal(p.more, 4);
	assert_int_equal(p.last, 1);
	assert_int_equal(p.carried, 0);
	assert_int_equal(p.seen.n, 1);
	assert_true(p.seen.payload_ok);
	rp_sp_framer_free(&f);
}

static void malformed_stream_stops(void **state)
{
	uint8_t s[4096];
	size_t len = make_stream(s);
	struct rp_sp_hdr bad = { .seq = 99, .len = 3 };
	struct rp_sp_framer f;
	struct seen seen = { .payload_ok = 1 };

	(void)state;
	rp_sp_build(s + len, &bad);
	rp_sp_framer_init(&f);
	/* split inside the bad header too: the carry path must refuse it */
	assert_int_equal(rp_sp_framer_feed(&f, s, len + 5, on_msg, &seen), 0);
	assert_int_equal(rp_sp_framer_feed(&f, s + len + 5, RP_SP_HDR_LEN - 5, on_msg, &seen), -1);
	assert_true(f.bad);
	assert_int_equal(seen.n, N_MSG);		/* the good ones before it got out */
	assert_int_equal(rp_sp_framer_feed(&f, s, len, on_msg, &seen), -1);
	assert_int_equal(seen.n, N_MSG);
	rp_sp_framer_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_round_trip),
		cmocka_unit_test(malformed_lengths),
		cmocka_unit_test(whole_chunk_in_place),
		cmocka_unit_test(every_split_point),
		cmocka_unit_test(byte_by_byte),
		cmocka_unit_test(malformed_stream_stops),
		cmocka_unit_test(pieces_every_split_point),
		cmocka_unit_test(pieces_span_many_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
