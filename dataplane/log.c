/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dataplane/log.h"

static enum rp_log_level log_level = RP_LOG_INFO;
static enum rp_log_format log_format = RP_LOG_TEXT;
static __thread int log_worker = -1;

static const char *const level_names[] = {
	[RP_LOG_ERROR] = "error",
	[RP_LOG_WARN] = "warn",
	[RP_LOG_INFO] = "info",
	[RP_LOG_DEBUG] = "debug",
};

void rp_log_setup(enum rp_log_level level, enum rp_log_format format)
{
	log_level = level;
	log_format = format;
}

void rp_log_set_worker(int worker_id)
{
	log_worker = worker_id;
}

bool rp_log_enabled(enum rp_log_level level)
{
	return level <= log_level;
}

/* JSON string body: escape what JSON requires, nothing more. */
static void json_escape(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	for (; *src && o + 7 < cap; src++) {
		unsigned char c = (unsigned char)*src;

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", c);
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}

void rp_log(enum rp_log_level level, const char *fmt, ...)
{
	char msg[1024], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (!rp_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	if (log_format == RP_LOG_JSON) {
		char esc[2048];

		json_escape(esc, sizeof(esc), msg);
		fprintf(stderr, "{\"ts\":\"%s.%06ldZ\",\"level\":\"%s\",\"worker\":%d,\"msg\":\"%s\"}\n",
			ts, now.tv_nsec / 1000, level_names[level], log_worker, esc);
	} else if (log_worker >= 0) {
		fprintf(stderr, "%s.%06ldZ %-5s [w%d] %s\n", ts, now.tv_nsec / 1000,
			level_names[level], log_worker, msg);
	} else {
		fprintf(stderr, "%s.%06ldZ %-5s %s\n", ts, now.tv_nsec / 1000,
			level_names[level], msg);
	}
}

bool rp_ratelimit_now(struct rp_ratelimit *rl, unsigned interval_ms, unsigned *missed)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return rp_ratelimit_ok(rl, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000,
			       interval_ms, missed);
}

bool rp_ratelimit_ok(struct rp_ratelimit *rl, uint64_t now_ms, unsigned interval_ms,
		     unsigned *missed)
{
	if (now_ms < rl->next_ms) {
		rl->missed++;
		return false;
	}
	*missed = rl->missed;
	rl->missed = 0;
	rl->next_ms = now_ms + interval_ms;
	return true;
}
