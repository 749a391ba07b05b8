/* SPDX-License-Identifier: MIT */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tool.h"

/* splitmix64: tiny, and every seed (even 0) gives a good stream. */
static uint64_t next_word(struct tool_stream *s)
{
	uint64_t z = (s->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void tool_stream_init(struct tool_stream *s, uint64_t seed)
{
	*s = (struct tool_stream){ .state = seed };
}

void tool_stream_fill(struct tool_stream *s, void *buf, size_t n)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < n; i++) {
		if (!s->left) {
			s->word = next_word(s);
			s->left = 8;
		}
		p[i] = (unsigned char)s->word;
		s->word >>= 8;
		s->left--;
	}
}

size_t tool_stream_between(struct tool_stream *s, size_t lo, size_t hi)
{
	return lo + (size_t)(next_word(s) % (hi - lo + 1));
}

const char *const tool_outcome_name[TOOL__OUTCOMES] = {
	[TOOL_RUNNING] = "unfinished", [TOOL_OK] = "ok", [TOOL_MISMATCH] = "mismatch",
	[TOOL_SHORT] = "closed early", [TOOL_EXTRA] = "extra bytes", [TOOL_ERROR] = "socket error",
};

int tool_stream_check(struct tool_stream *rx, const unsigned char *got, unsigned char *want,
		      size_t n, size_t base, char *why, size_t why_len)
{
	tool_stream_fill(rx, want, n);
	for (size_t i = 0; i < n; i++) {
		if (got[i] != want[i]) {
			snprintf(why, why_len, "byte %zu is 0x%02x, sent 0x%02x", base + i, got[i],
				 want[i]);
			return -1;
		}
	}
	return 0;
}

void tool_print_outcomes(const unsigned count[TOOL__OUTCOMES])
{
	for (unsigned s = 0; s < TOOL__OUTCOMES; s++)
		if (s != TOOL_OK && count[s])
			printf(", %u %s", count[s], tool_outcome_name[s]);
}

int tool_parse_addr(const char *prog, const char *text,
		    struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *port = strrchr(text, ':');
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV }, *res;
	int rc;

	if (!port || port == text || (size_t)(port - text) >= sizeof(host)) {
		fprintf(stderr, "%s: '%s' is not HOST:PORT\n", prog, text);
		return -1;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(port - text), text);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	rc = getaddrinfo(host, port + 1, &hints, &res);
	if (rc) {
		fprintf(stderr, "%s: cannot resolve '%s': %s\n", prog, text, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int tool_raise_nofile(const char *prog, unsigned long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want) {
		fprintf(stderr, "%s: need %lu open files, the limit allows %lu\n", prog, want,
			(unsigned long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

uint64_t tool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void tool_guard_start(struct tool_hang_guard *g, unsigned timeout_s, uint64_t now,
		      uint64_t bytes, unsigned running)
{
	g->ms = (uint64_t)timeout_s * 1000;
	g->deadline = now + g->ms;
	g->bytes = bytes;
	g->running = running;
}

bool tool_guard_ok(struct tool_hang_guard *g, uint64_t now, uint64_t bytes, unsigned running)
{
	if (bytes != g->bytes || running != g->running) {
		g->bytes = bytes;
		g->running = running;
		g->deadline = now + g->ms;
	}
	return now < g->deadline;
}
