/* SPDX-License-Identifier: MIT */
/*
 * Scalar codecs of the config value types (see value.h).
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "config/value.h"

#define WHY(...) (snprintf(why, RP_WHY_MAX, __VA_ARGS__), -1)

/* ---- integers ---------------------------------------------------------- */

static int check_range(long v, long min, long max, char *why)
{
	if (v < min || v > max)
		return WHY("%ld is out of range %ld..%ld", v, min, max);
	return 0;
}

int rp_parse_long(const char *text, long min, long max, long *out, char *why)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (end == text || *end || (text[0] != '-' && text[0] != '+' && (text[0] < '0' || text[0] > '9')))
		return WHY("expected an integer, got '%.64s'", text);
	if (errno == ERANGE || check_range(v, min, max, why)) {
		snprintf(why, RP_WHY_MAX, "%.64s is out of range %ld..%ld", text, min, max);
		return RP_PARSE_RANGE;
	}
	*out = v;
	return 0;
}

/* Integers live in long fields (may be RP_UNSET) or unsigned ones. */
static void store_long(const struct rp_key *k, void *field, long v)
{
	if (k->width == sizeof(long))
		*(long *)field = v;
	else
		*(unsigned *)field = (unsigned)v;
}

static long load_long(const struct rp_key *k, const void *field)
{
	return k->width == sizeof(long) ? *(const long *)field : (long)*(const unsigned *)field;
}

static int check_pow2(const struct rp_key *k, long v, char *why)
{
	if ((k->flags & RP_K_POW2) && (v & (v - 1)))
		return WHY("%ld is not a power of two", v);
	return 0;
}

static int int_parse(const struct rp_key *k, const char *text, void *field, char *why)
{
	long v;

	if ((k->flags & RP_K_AUTO) && !strcmp(text, "auto")) {
		store_long(k, field, RP_UNSET);
		return 0;
	}
	if (rp_parse_long(text, k->min, k->max, &v, why) || check_pow2(k, v, why))
		return -1;
	store_long(k, field, v);
	return 0;
}

/* "4096", "4k", "2M", "1G": binary multiples. */
static const struct { char suffix; long mult; } size_suffixes[] = {
	{ 'k', 1L << 10 }, { 'K', 1L << 10 },
	{ 'm', 1L << 20 }, { 'M', 1L << 20 },
	{ 'g', 1L << 30 }, { 'G', 1L << 30 },
};

static int size_parse(const struct rp_key *k, const char *text, void *field, char *why)
{
	size_t len = strlen(text);
	char num[32];
	long v, mult = 1;
	int rc;

	for (size_t i = 0; len > 1 && i < sizeof(size_suffixes) / sizeof(size_suffixes[0]); i++)
		if (text[len - 1] == size_suffixes[i].suffix) {
			mult = size_suffixes[i].mult;
			len--;
			break;
		}
	if (len >= sizeof(num))
		return WHY("expected a size (4096, 4k, 2M), got '%.64s'", text);
	memcpy(num, text, len);
	num[len] = '\0';
	rc = rp_parse_long(num, LONG_MIN, LONG_MAX, &v, why);
	if (rc == RP_PARSE_RANGE || (!rc && (v > LONG_MAX / mult || v < LONG_MIN / mult)))
		return WHY("%.64s is out of range %ld..%ld", text, k->min, k->max);
	if (rc)
		return WHY("expected a size (4096, 4k, 2M), got '%.64s'", text);
	v *= mult;
	if (v < k->min || v > k->max)
		return WHY("%.64s is out of range %ld..%ld", text, k->min, k->max);
	if (check_pow2(k, v, why))
		return -1;
	store_long(k, field, v);
	return 0;
}

static void int_format(const struct rp_key *k, const void *field, char *buf, size_t n)
{
	if ((k->flags & RP_K_AUTO) && load_long(k, field) == RP_UNSET)
		snprintf(buf, n, "auto");
	else
		snprintf(buf, n, "%ld", load_long(k, field));
}

static void int_unset(const struct rp_key *k, void *field)
{
	store_long(k, field, RP_UNSET);
}

/* "auto" is a value the printer spells out, not an absence. */
static bool int_is_unset(const struct rp_key *k, const void *field)
{
	return !(k->flags & RP_K_AUTO) && k->width == sizeof(long) && load_long(k, field) == RP_UNSET;
}

/* ---- booleans: bool fields, or enum rp_tristate fields that may be unset */

static const struct { const char *word; bool value; } bool_words[] = {
	{ "true", true }, { "yes", true }, { "on", true },
	{ "false", false }, { "no", false }, { "off", false },
};

static bool is_tristate(const struct rp_key *k)
{
	return k->width == sizeof(enum rp_tristate);
}

static int bool_parse(const struct rp_key *k, const char *text, void *field, char *why)
{
	for (size_t i = 0; i < sizeof(bool_words) / sizeof(bool_words[0]); i++) {
		if (strcasecmp(text, bool_words[i].word))
			continue;
		if (is_tristate(k))
			*(enum rp_tristate *)field = bool_words[i].value ? RP_TRI_ON : RP_TRI_OFF;
		else
			*(bool *)field = bool_words[i].value;
		return 0;
	}
	return WHY("expected a boolean (true/false), got '%.64s'", text);
}

static void bool_format(const struct rp_key *k, const void *field, char *buf, size_t n)
{
	bool on = is_tristate(k) ? *(const enum rp_tristate *)field == RP_TRI_ON : *(const bool *)field;

	snprintf(buf, n, "%s", on ? "true" : "false");
}

static void bool_unset(const struct rp_key *k, void *field)
{
	if (is_tristate(k))
		*(enum rp_tristate *)field = RP_TRI_UNSET;
	else
		*(bool *)field = false;
}

static bool bool_is_unset(const struct rp_key *k, const void *field)
{
	return is_tristate(k) && *(const enum rp_tristate *)field == RP_TRI_UNSET;
}

/* ---- enums: an int field holding the index of the name, or -1 ----------- */

static int enum_parse(const struct rp_key *k, const char *text, void *field, char *why)
{
	size_t off = 0;

	for (int i = 0; k->names[i]; i++) {
		if (!strcmp(text, k->names[i])) {
			*(int *)field = i;
			return 0;
		}
	}
	off = (size_t)snprintf(why, RP_WHY_MAX, "unknown value '%.64s' (allowed:", text);
	for (int i = 0; k->names[i] && off < RP_WHY_MAX; i++)
		off += (size_t)snprintf(why + off, RP_WHY_MAX - off, "%s %s", i ? "," : "", k->names[i]);
	if (off < RP_WHY_MAX)
		snprintf(why + off, RP_WHY_MAX - off, ")");
	return -1;
}

static void enum_format(const struct rp_key *k, const void *field, char *buf, size_t n)
{
	snprintf(buf, n, "%s", k->names[*(const int *)field]);
}

static void enum_unset(const struct rp_key *k, void *field)
{
	(void)k;
	*(int *)field = -1;
}

static bool enum_is_unset(const struct rp_key *k, const void *field)
{
	(void)k;
	return *(const int *)field < 0;
}

/* ---- strings ---------------------------------------------------------------- */

static int string_parse(const struct rp_key *k, const char *text, void *field, char *why)
{
	size_t len = strlen(text);

	if (!len)
		return WHY("expected a non-empty string");
	if (len >= k->width)
		return WHY("'%.64s' is too long (at most %zu characters)", text, k->width - 1);
	memcpy(field, text, len + 1);
	return 0;
}

/* Double-quoted, so any name reads back as the same string. */
static void string_format(const struct rp_key *k, const void *field, char *buf, size_t n)
{
	const char *s = field;
	size_t o = 0;

	(void)k;
	if (n < 3)
		return;
	buf[o++] = '"';
	for (; *s && o + 6 < n; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\', buf[o++] = *s;
		else if ((unsigned char)*s < 0x20)
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", (unsigned char)*s);
		else
			buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

static void string_unset(const struct rp_key *k, void *field)
{
	(void)k;
	*(char *)field = '\0';
}

static bool string_is_unset(const struct rp_key *k, const void *field)
{
	(void)k;
	return !*(const char *)field;
}

/* ---- addresses: "host:port", "[v6]:port", resolved now ---------------------- */

static int split_host_port(const char *text, char *host, size_t hn, const char **port, char *why)
{
	const char *colon, *h = text;
	size_t len;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':')
			return WHY("expected [v6-address]:port, got '%.64s'", text);
		h = text + 1;
		len = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon)
			return WHY("expected host:port or [v6-address]:port, got '%.64s'", text);
		len = (size_t)(colon - text);
	}
	if (!len || len >= hn)
		return WHY("expected host:port or [v6-address]:port, got '%.64s'", text);
	memcpy(host, h, len);
	host[len] = '\0';
	*port = colon + 1;
	return 0;
}

static int addr_parse(const struct rp_key *k, const char *text, void *field, char *why)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct rp_addr *a = field;
	struct addrinfo *res;
	char host[RP_ADDR_TEXT];
	const char *port;
	long pnum;
	int rc;

	(void)k;
	if (strlen(text) >= sizeof(a->text))
		return WHY("address '%.64s' is too long", text);
	if (split_host_port(text, host, sizeof(host), &port, why))
		return -1;
	if (rp_parse_long(port, 1, 65535, &pnum, why))
		return WHY("bad port in '%.64s' (expected 1..65535)", text);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc)
		return WHY("cannot resolve '%s': %s", host, gai_strerror(rc));
	memset(a, 0, sizeof(*a));
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	snprintf(a->text, sizeof(a->text), "%s", text);
	freeaddrinfo(res);
	return 0;
}

static void addr_format(const struct rp_key *k, const void *field, char *buf, size_t n)
{
	string_format(k, ((const struct rp_addr *)field)->text, buf, n);
}

static void addr_unset(const struct rp_key *k, void *field)
{
	(void)k;
	memset(field, 0, sizeof(struct rp_addr));
}

static bool addr_is_unset(const struct rp_key *k, const void *field)
{
	(void)k;
	return !((const struct rp_addr *)field)->len;
}

/* ---- unsigned lists: CPU lists and the RSS indirection table ----------------- */

int rp_ulist_push(unsigned *arr, unsigned *n, unsigned cap, unsigned v, char *why)
{
	if (*n >= cap)
		return WHY("too many entries (at most %u)", cap);
	arr[(*n)++] = v;
	return 0;
}

/* One "a" or "a-b" of a "0-3,6" list. */
static int cpus_parse_range(const struct rp_key *k, char *item, struct rp_cpulist *cl, char *why)
{
	char *dash = strchr(item + 1, '-');
	long lo, hi;

	if (dash)
		*dash = '\0';
	if (rp_parse_long(item, k->min, k->max, &lo, why))
		return -1;
	hi = lo;
	if (dash && rp_parse_long(dash + 1, k->min, k->max, &hi, why))
		return -1;
	if (hi < lo)
		return WHY("CPU range %ld-%ld is backwards", lo, hi);
	for (long c = lo; c <= hi; c++)
		if (rp_ulist_push(cl->cpu, &cl->n, RP_CPUS_MAX, (unsigned)c, why))
			return -1;
	return 0;
}

static int cpus_parse(const struct rp_key *k, const char *text, void *field, char *why)
{
	struct rp_cpulist *cl = field;
	char buf[1024], *rest = buf, *item;

	memset(cl, 0, sizeof(*cl));
	if (!strcmp(text, "auto")) {
		cl->is_auto = true;
		return 0;
	}
	if (strlen(text) >= sizeof(buf))
		return WHY("CPU list is too long");
	snprintf(buf, sizeof(buf), "%s", text);
	while ((item = strsep(&rest, ","))) {
		char inner[RP_WHY_MAX];

		if (cpus_parse_range(k, item, cl, inner))
			return WHY("bad CPU list '%.64s' (expected [0, 1], \"0-3,6\" or auto): %.128s",
				   text, inner);
	}
	if (!cl->n)
		return WHY("expected a CPU list ([0, 1], \"0-3,6\" or auto), got '%.64s'", text);
	return 0;
}

static void ulist_format(const unsigned *arr, unsigned n, char *buf, size_t size)
{
	size_t o = (size_t)snprintf(buf, size, "[");

	for (unsigned i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%u", i ? ", " : "", arr[i]);
	if (o < size)
		snprintf(buf + o, size - o, "]");
}

static void cpus_format(const struct rp_key *k, const void *field, char *buf, size_t n)
{
	const struct rp_cpulist *cl = field;

	(void)k;
	if (cl->is_auto)
		snprintf(buf, n, "auto");
	else
		ulist_format(cl->cpu, cl->n, buf, n);
}

static bool *set_flag(const struct rp_key *k, void *field)
{
	return (k->flags & RP_K_HAS_SET) ? (bool *)((char *)field - k->offset + k->set_offset) : NULL;
}

static void cpus_unset(const struct rp_key *k, void *field)
{
	bool *set = set_flag(k, field);

	memset(field, 0, sizeof(struct rp_cpulist));
	if (set)
		*set = false;
}

static bool cpus_is_unset(const struct rp_key *k, const void *field)
{
	const struct rp_cpulist *cl = field;

	(void)k;
	return !cl->is_auto && !cl->n;
}

static unsigned *ulist_count(const struct rp_key *k, const void *field)
{
	return (unsigned *)((char *)field - k->offset + k->count_offset);
}

static void u32list_format(const struct rp_key *k, const void *field, char *buf, size_t n)
{
	ulist_format(field, *ulist_count(k, field), buf, n);
}

static void u32list_unset(const struct rp_key *k, void *field)
{
	*ulist_count(k, field) = 0;
}

static bool u32list_is_unset(const struct rp_key *k, const void *field)
{
	return !*ulist_count(k, field);
}

/* ---- feature maps and lists: pointer + count, owned by the config ------------ */

static void array_unset(const struct rp_key *k, void *field)
{
	*(void **)field = NULL;
	*ulist_count(k, field) = 0;
}

static bool array_is_unset(const struct rp_key *k, const void *field)
{
	return !*ulist_count(k, field);
}

const struct rp_vcodec rp_vcodecs[RP_V__COUNT] = {
	[RP_V_STRING]   = { "a string", string_parse, string_format, string_unset, string_is_unset },
	[RP_V_INT]      = { "an integer", int_parse, int_format, int_unset, int_is_unset },
	[RP_V_SIZE]     = { "a size", size_parse, int_format, int_unset, int_is_unset },
	[RP_V_BOOL]     = { "a boolean", bool_parse, bool_format, bool_unset, bool_is_unset },
	[RP_V_ENUM]     = { "a name", enum_parse, enum_format, enum_unset, enum_is_unset },
	[RP_V_ADDR]     = { "an address", addr_parse, addr_format, addr_unset, addr_is_unset },
	[RP_V_CPUS]     = { "a CPU list", cpus_parse, cpus_format, cpus_unset, cpus_is_unset },
	[RP_V_FEATURES] = { "a map of feature: on/off", NULL, NULL, array_unset, array_is_unset },
	[RP_V_U32LIST]  = { "a list of integers", NULL, u32list_format, u32list_unset, u32list_is_unset },
	[RP_V_SECTION]  = { "a mapping", NULL, NULL, NULL, NULL },
	[RP_V_LIST]     = { "a list", NULL, NULL, array_unset, array_is_unset },
};
