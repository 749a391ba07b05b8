/* SPDX-License-Identifier: MIT */
/*
 * Shared bits of the echo test clients: address parsing, a reproducible
 * byte stream (so a checker can regenerate what it sent instead of keeping
 * it), and the file-descriptor limit.
 */
#ifndef RP_TOOL_H
#define RP_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A deterministic byte stream: the same seed gives the same bytes however
 * the reads are chunked. */
struct tool_stream {
	uint64_t state;
	uint64_t word;
	unsigned left;		/* bytes of word not yet handed out */
};

void tool_stream_init(struct tool_stream *s, uint64_t seed);
void tool_stream_fill(struct tool_stream *s, void *buf, size_t n);
/* A number in [lo, hi] from the stream. */
size_t tool_stream_between(struct tool_stream *s, size_t lo, size_t hi);

/* HOST:PORT or [V6]:PORT; 0, or -1 with a message on stderr. */
int tool_parse_addr(const char *prog, const char *text,
		    struct sockaddr_storage *ss, socklen_t *len);
/* Raise RLIMIT_NOFILE to at least want (up to the hard limit); 0 or -1. */
int tool_raise_nofile(const char *prog, unsigned long want);
/* Monotonic milliseconds. */
uint64_t tool_now_ms(void);

#endif
