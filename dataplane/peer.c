/* SPDX-License-Identifier: MIT */
/*
 * The per-destination peer table (see peer.h).
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>

#include "dataplane/peer.h"

void rp_peer_table_init(struct rp_peer_table *t, const struct rp_zc_sock *zs_init,
			unsigned gso_retry_ms)
{
	memset(t, 0, sizeof(*t));
	t->zs_init = *zs_init;
	t->zs_init.fell_back = (struct rp_fallback){ 0 };
	t->zs_init.sample_left = 0;	/* a new peer's first zerocopy send is sampled */
	t->gso_retry_ms = gso_retry_ms;
	/* Without entropy the table still works; only collisions get guessable. */
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t ^ rp_clock_ms();
}

/* 0, or -1 for an address family the table does not key. */
static int key_of(const struct sockaddr *sa, socklen_t len, struct rp_peer_key *k)
{
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memcpy(k->addr, &in->sin_addr, sizeof(in->sin_addr));
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		k->scope_id = in6->sin6_scope_id;
		memcpy(k->addr, &in6->sin6_addr, sizeof(in6->sin6_addr));
	} else {
		return -1;
	}
	k->family = sa->sa_family;
	return 0;
}

/* A keyed mix of the key's 24 bytes (splitmix64 finalizer per word). */
static unsigned set_of(const struct rp_peer_table *t, const struct rp_peer_key *k)
{
	uint64_t w[sizeof(*k) / 8], h = t->seed;

	memcpy(w, k, sizeof(w));
	for (unsigned i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		h ^= w[i];
		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
		h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
		h ^= h >> 31;
	}
	return (unsigned)h & (RP_PEER_SETS - 1);
}

static struct rp_peer *find_in_set(struct rp_peer_table *t, unsigned set,
				   const struct rp_peer_key *k)
{
	struct rp_peer *p = &t->slot[set * RP_PEER_WAYS];

	for (unsigned w = 0; w < RP_PEER_WAYS; w++)
		if (p[w].key.family && !memcmp(&p[w].key, k, sizeof(*k))) {
			p[w].referenced = true;
			return &p[w];
		}
	return NULL;
}

/* Second chance within the set: an empty way, else the first way the hand
 * finds not referenced since it last passed (clearing bits as it goes). */
static struct rp_peer *victim(struct rp_peer_table *t, unsigned set)
{
	struct rp_peer *p = &t->slot[set * RP_PEER_WAYS];

	for (unsigned w = 0; w < RP_PEER_WAYS; w++)
		if (!p[w].key.family)
			return &p[w];
	for (;;) {
		struct rp_peer *v = &p[t->hand[set]];

		t->hand[set] = (uint8_t)((t->hand[set] + 1) % RP_PEER_WAYS);
		if (!v->referenced) {
			t->evictions++;
			return v;
		}
		v->referenced = false;
	}
}

struct rp_peer *rp_peer_find(struct rp_peer_table *t, const struct sockaddr *sa, socklen_t len)
{
	struct rp_peer_key k;

	if (key_of(sa, len, &k) < 0)
		return NULL;
	return find_in_set(t, set_of(t, &k), &k);
}

struct rp_peer *rp_peer_get(struct rp_peer_table *t, const struct sockaddr *sa, socklen_t len)
{
	struct rp_peer_key k;
	struct rp_peer *p;
	unsigned set;

	if (key_of(sa, len, &k) < 0)
		return NULL;
	set = set_of(t, &k);
	p = find_in_set(t, set, &k);
	if (p)
		return p;
	p = victim(t, set);
	/* Not referenced yet: a destination seen once (a scan, a one-off
	 * query) is the first to go; a second use earns it the second chance. */
	*p = (struct rp_peer){ .key = k, .gen = (uint16_t)(p->gen + 1), .zs = t->zs_init };
	return p;
}

uint32_t rp_peer_ref(const struct rp_peer_table *t, const struct rp_peer *p)
{
	/* slot + 1: a handle is never 0, which stands for "no peer". */
	return (uint32_t)p->gen << 16 | (uint32_t)(p - t->slot + 1);
}

struct rp_peer *rp_peer_by_ref(struct rp_peer_table *t, uint32_t ref)
{
	uint32_t slot = (ref & 0xffff) - 1;

	if (!(ref & 0xffff) || slot >= RP_PEER_SLOTS || !t->slot[slot].key.family ||
	    t->slot[slot].gen != ref >> 16)
		return NULL;
	return &t->slot[slot];
}

bool rp_peer_gso_refused(struct rp_peer_table *t, struct rp_peer *p)
{
	return rp_fallback_trip(&p->gso_off, t->gso_retry_ms);
}
