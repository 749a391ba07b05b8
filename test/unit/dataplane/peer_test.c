/* SPDX-License-Identifier: MIT */
/*
 * The per-destination peer table (dataplane/peer.c): insert and lookup by
 * address, handles that die with their slot, the clock eviction and its
 * bound, and fallbacks that belong to one destination.
 */
#include <arpa/inet.h>
#include <liburing.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/peer.h"

static struct rp_peer_table table;

static struct sockaddr_in v4(uint32_t host, uint16_t port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(host) };
}

static struct rp_peer *get4(uint32_t host, uint16_t port)
{
	struct sockaddr_in a = v4(host, port);

	return rp_peer_get(&table, (struct sockaddr *)&a, sizeof(a));
}

static struct rp_peer *find4(uint32_t host, uint16_t port)
{
	struct sockaddr_in a = v4(host, port);

	return rp_peer_find(&table, (struct sockaddr *)&a, sizeof(a));
}

static int setup(void **state)
{
	struct rp_zerocopy_cfg c = { .mode = RP_ZC_AUTO, .threshold = 4096, .sample_every = 4,
				     .fallback_retry_ms = 60000 };
	struct rp_zc_sock zs;

	(void)state;
	rp_zc_sock_init(&zs, &c, RP_UNSET);
	zs.sample_left = 3;		/* a new peer must not inherit sampling state */
	rp_peer_table_init(&table, &zs, 30000);
	return 0;
}

static void insert_and_lookup(void **state)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	struct sockaddr_un_like { sa_family_t family; char path[20]; } unix_addr = { AF_UNIX, "x" };
	struct rp_peer *p, *q;

	(void)state;
	assert_null(find4(0x0a000001, 9));
	p = get4(0x0a000001, 9);
	assert_non_null(p);
	assert_ptr_equal(get4(0x0a000001, 9), p);
	assert_ptr_equal(find4(0x0a000001, 9), p);
	assert_ptr_equal(get4(0x0a000001, 10), p);		/* a host, whatever the port */
	assert_ptr_not_equal(get4(0x0a000002, 9), p);
	memcpy(&a6.sin6_addr.s6_addr[12], "\x0a\x00\x00\x01", 4);	/* same bytes, other family */
	q = rp_peer_get(&table, (struct sockaddr *)&a6, sizeof(a6));
	assert_non_null(q);
	assert_ptr_not_equal(q, p);
	assert_null(rp_peer_get(&table, (struct sockaddr *)&unix_addr, sizeof(unix_addr)));
	/* a new peer starts from the configured policy */
	assert_int_equal(p->zs.mode, RP_ZC_AUTO);
	assert_int_equal(p->zs.threshold, 4096);
	assert_int_equal(p->zs.retry_ms, 60000);
	assert_int_equal(p->zs.sample_left, 0);
	assert_false(rp_fallback_active(&p->zs.fell_back));
	assert_false(rp_fallback_active(&p->gso_off));
}

static void handles(void **state)
{
	struct rp_peer *p = get4(0x0a000001, 9);
	uint32_t ref = rp_peer_ref(&table, p);

	(void)state;
	assert_int_not_equal(ref, 0);
	assert_ptr_equal(rp_peer_by_ref(&table, ref), p);
	assert_null(rp_peer_by_ref(&table, 0));
	assert_null(rp_peer_by_ref(&table, 0xffff));
	/* flood until p's slot goes to another destination (a handle lookup
	 * does not count as a use): the old handle dies with it */
	for (uint32_t h = 1; h < 100000 && rp_peer_by_ref(&table, ref); h++)
		get4(0x0b000000 + h, 9);
	assert_null(rp_peer_by_ref(&table, ref));
	assert_null(find4(0x0a000001, 9));
}

/* Memory is bounded whatever the traffic: 20000 destinations fill at most
 * RP_PEER_SLOTS entries, every insert beyond a full set evicts one, and a
 * destination in use keeps its entry (second chance) while strangers come
 * and go; one not used again is forgotten. */
static void eviction_bound_and_clock(void **state)
{
	struct rp_peer *busy = get4(0x0a000001, 9);
	unsigned used = 0, inserts = 0;

	(void)state;
	busy->zs.fell_back.until_ms = UINT64_MAX;	/* state worth keeping */
	get4(0x0a000002, 9);				/* used once only */
	inserts = 2;
	for (uint32_t h = 1; h <= 20000; h++, inserts++) {
		get4(0x0c000000 + h, (uint16_t)h);
		assert_ptr_equal(find4(0x0a000001, 9), busy);	/* touched: stays */
	}
	assert_true(rp_fallback_active(&busy->zs.fell_back));
	assert_null(find4(0x0a000002, 9));
	for (unsigned i = 0; i < RP_PEER_SLOTS; i++)
		used += table.slot[i].key.family != 0;
	assert_true(used <= RP_PEER_SLOTS);
	assert_int_equal(table.evictions + used, inserts);
}

/* A fallback belongs to one destination and expires. */
static void fallbacks_per_peer(void **state)
{
	struct rp_counters ctr = { 0 };
	struct rp_peer *a = get4(0x0a000001, 9), *b = get4(0x0a000002, 9);

	(void)state;
	assert_true(rp_zc_on_notif(&a->zs, (int32_t)IORING_NOTIF_USAGE_ZC_COPIED, &ctr));
	assert_true(rp_zc_would_copy(&a->zs, 65536));
	assert_false(rp_zc_would_copy(&b->zs, 65536));
	assert_true(rp_peer_gso_refused(&table, b));
	assert_false(rp_peer_gso_refused(&table, b));		/* one switch */
	assert_true(rp_fallback_active(&b->gso_off));
	assert_false(rp_fallback_active(&a->gso_off));
	/* gso-retry-ms 30000: on until then, off after */
	assert_true(rp_fallback_active_at(&b->gso_off, b->gso_off.until_ms - 1));
	assert_false(rp_fallback_active_at(&b->gso_off, b->gso_off.until_ms));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(insert_and_lookup, setup),
		cmocka_unit_test_setup(handles, setup),
		cmocka_unit_test_setup(eviction_bound_and_clock, setup),
		cmocka_unit_test_setup(fallbacks_per_peer, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
