/* SPDX-License-Identifier: MIT */
/*
 * Shared bits of the echo test clients: address parsing, a reproducible
 * byte stream (so a checker can regenerate what it sent instead of keeping
 * it), and the file-descriptor limit.
 */
#ifndef RP_TOOL_H
#define RP_TOOL_H

#include <stddef.h>
#include <stdbool.h>
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

/* How one echo-checked connection ended (tcp_echo_check, proxy_load). */
enum tool_outcome {
	TOOL_RUNNING, TOOL_OK, TOOL_MISMATCH, TOOL_SHORT, TOOL_EXTRA, TOOL_ERROR, TOOL__OUTCOMES,
};
extern const char *const tool_outcome_name[TOOL__OUTCOMES];

/* got[0, n) against the next n bytes of the stream rx (want: n bytes of
 * scratch). 0 when equal; -1 with why set ("byte K is .., sent ..", K
 * counted from `base`) at the first difference. */
int tool_stream_check(struct tool_stream *rx, const unsigned char *got, unsigned char *want,
		      size_t n, size_t base, char *why, size_t why_len);
/* ", 2 mismatch, 1 closed early": every outcome but ok that has a count. */
void tool_print_outcomes(const unsigned count[TOOL__OUTCOMES]);

/* HOST:PORT or [V6]:PORT; 0, or -1 with a message on stderr. */
int tool_parse_addr(const char *prog, const char *text,
		    struct sockaddr_storage *ss, socklen_t *len);
/* Raise RLIMIT_NOFILE to at least want (up to the hard limit); 0 or -1. */
int tool_raise_nofile(const char *prog, unsigned long want);
/* Monotonic milliseconds. */
uint64_t tool_now_ms(void);

/* A hang guard (--timeout-s): it expires after ms without progress, not ms
 * after the start. A total deadline also failed runs that were only slow
 * (a busy machine, the sanitizer build) with every connection still moving;
 * slowness is bounded by the test's own timeout. Progress is any change of
 * the bytes checked or of the connections still running. */
struct tool_hang_guard {
	uint64_t ms, deadline, bytes;
	unsigned running;
};

void tool_guard_start(struct tool_hang_guard *g, unsigned timeout_s, uint64_t now,
		      uint64_t bytes, unsigned running);
/* false once the guard expired; progress since the last call restarts it. */
bool tool_guard_ok(struct tool_hang_guard *g, uint64_t now, uint64_t bytes, unsigned running);

#endif
