/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: sockperf's TCP framing (rp_sp_framer_feed). The input
 * is a stream; its first byte picks the mode (pieces or reassembly) and
 * the seed of the chunk sizes the stream is cut into, as recv boundaries
 * would cut it. Every message handed over must lie inside its chunk or
 * the framer's carry, and a whole message must be as long as its header
 * says: the callback checks both (ASan catches reads past either).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/sockperf.h"

struct seen {
	const uint8_t *chunk;
	size_t chunk_len;
};

static void on_msg(void *arg, const struct rp_sp_msg *m)
{
	const struct seen *s = arg;
	struct rp_sp_hdr h;

	if (m->in_chunk && (m->chunk_off > s->chunk_len || m->len > s->chunk_len - m->chunk_off ||
			    m->data != s->chunk + m->chunk_off))
		abort();	/* points outside the chunk it was fed */
	if (m->part == RP_SP_WHOLE && (m->len < RP_SP_HDR_LEN || !rp_sp_parse(m->data, &h) ||
				       h.len != m->len))
		abort();	/* a whole message that is not what its header says */
	if (m->len) {	/* touch every byte: ASan checks the span */
		volatile uint8_t x = m->data[0] ^ m->data[m->len - 1];
		(void)x;
	}
	if (m->part == RP_SP_WHOLE || m->part == RP_SP_FIRST)
		rp_sp_make_reply(m->data);	/* the echo writes in place */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_sp_framer f;
	unsigned seed;
	size_t off = 1;

	if (size < 1)
		return 0;
	seed = data[0];
	rp_sp_framer_init(&f);
	f.pieces = seed & 1;
	while (off < size && !f.bad) {
		size_t n = 1 + (seed * 131u + off) % 97u;	/* 1..97 bytes per recv */
		uint8_t *chunk;
		struct seen s;

		if (n > size - off)
			n = size - off;
		chunk = malloc(n);	/* exact size: a read past the chunk is caught */
		memcpy(chunk, data + off, n);
		s = (struct seen){ .chunk = chunk, .chunk_len = n };
		rp_sp_framer_feed(&f, chunk, n, on_msg, &s);
		free(chunk);
		off += n;
		seed = seed * 1103515245u + 12345u;
	}
	rp_sp_framer_free(&f);
	return 0;
}
