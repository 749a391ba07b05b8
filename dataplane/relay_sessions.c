/* SPDX-License-Identifier: MIT */
/*
 * One worker's udp-relay sessions (relay.h): fixed arrays allocated once,
 * chained lookup by a keyed hash, a doubly linked idle order (touch moves a
 * session to the end, expiry takes from the front), and per client IP
 * address a count of its sessions. Nothing grows: cap sessions, at most cap
 * clients (each client has a session).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dataplane/balance.h"
#include "dataplane/relay.h"

static unsigned key_hash(const struct rp_relay_sessions *t, const struct rp_relay_key *k)
{
	uint64_t a, b;

	memcpy(&a, k->addr, 8);
	memcpy(&b, k->addr + 8, 8);
	return (unsigned)(rp_mix64(t->seed ^ rp_mix64(a ^ rp_mix64(b ^ ((uint64_t)k->family << 48 |
							     (uint64_t)k->port << 32 | k->scope_id))))) &
	       t->mask;
}

static bool key_eq(const struct rp_relay_key *a, const struct rp_relay_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

bool rp_relay_key_of(const struct sockaddr *sa, socklen_t len, struct rp_relay_key *k)
{
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s = (const void *)sa;

		k->family = AF_INET;
		k->port = s->sin_port;
		memcpy(k->addr, &s->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s = (const void *)sa;

		k->family = AF_INET6;
		k->port = s->sin6_port;
		k->scope_id = s->sin6_scope_id;
		memcpy(k->addr, &s->sin6_addr, 16);
		return true;
	}
	return false;
}

int rp_relay_sessions_init(struct rp_relay_sessions *t, unsigned cap, unsigned per_client)
{
	unsigned buckets = 1;

	while (buckets < 2 * cap)
		buckets <<= 1;
	*t = (struct rp_relay_sessions){ .cap = cap, .per_client = per_client, .mask = buckets - 1,
					 .lru_head = RP_RELAY_NIL, .lru_tail = RP_RELAY_NIL };
	t->s = calloc(cap, sizeof(*t->s));
	t->c = calloc(cap, sizeof(*t->c));
	t->bucket = malloc(buckets * sizeof(*t->bucket));
	t->cbucket = malloc(buckets * sizeof(*t->cbucket));
	if (!cap || !t->s || !t->c || !t->bucket || !t->cbucket) {
		rp_relay_sessions_free(t);
		return -ENOMEM;
	}
	if (getrandom(&t->seed, sizeof(t->seed), 0) != sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t ^ 0x9e3779b97f4a7c15ULL;
	memset(t->bucket, 0xff, buckets * sizeof(*t->bucket));
	memset(t->cbucket, 0xff, buckets * sizeof(*t->cbucket));
	for (unsigned i = 0; i < cap; i++) {
		t->s[i].fd = -1;
		t->s[i].next = i + 1 < cap ? i + 1 : RP_RELAY_NIL;
		t->c[i].hnext = i + 1 < cap ? i + 1 : RP_RELAY_NIL;
	}
	return 0;
}

void rp_relay_sessions_free(struct rp_relay_sessions *t)
{
	free(t->s);
	free(t->c);
	free(t->bucket);
	free(t->cbucket);
	memset(t, 0, sizeof(*t));
}

struct rp_relay_sess *rp_relay_sess_find(struct rp_relay_sessions *t, const struct rp_relay_key *k)
{
	for (uint32_t i = t->bucket[key_hash(t, k)]; i != RP_RELAY_NIL; i = t->s[i].hnext)
		if (key_eq(&t->s[i].key, k))
			return &t->s[i];
	return NULL;
}

/* ---- per-client counts -------------------------------------------------- */

static uint32_t client_find(struct rp_relay_sessions *t, const struct rp_relay_key *ck)
{
	for (uint32_t i = t->cbucket[key_hash(t, ck)]; i != RP_RELAY_NIL; i = t->c[i].hnext)
		if (key_eq(&t->c[i].key, ck))
			return i;
	return RP_RELAY_NIL;
}

static uint32_t client_add(struct rp_relay_sessions *t, const struct rp_relay_key *ck)
{
	uint32_t i = t->free_c;
	unsigned h = key_hash(t, ck);

	/* never empty here: a client needs a session, and a session slot is free */
	t->free_c = t->c[i].hnext;
	t->c[i] = (struct rp_relay_client){ .key = *ck, .hnext = t->cbucket[h] };
	t->cbucket[h] = i;
	return i;
}

static void unlink_chain(uint32_t *head, uint32_t i, uint32_t *(*next_of)(void *, uint32_t),
			 void *arr)
{
	for (uint32_t *p = head; *p != RP_RELAY_NIL; p = next_of(arr, *p))
		if (*p == i) {
			*p = *next_of(arr, i);
			return;
		}
}

static uint32_t *client_next(void *arr, uint32_t i) { return &((struct rp_relay_client *)arr)[i].hnext; }
static uint32_t *sess_next(void *arr, uint32_t i) { return &((struct rp_relay_sess *)arr)[i].hnext; }

static void client_drop(struct rp_relay_sessions *t, uint32_t i)
{
	struct rp_relay_client *c = &t->c[i];

	if (--c->sessions)
		return;
	unlink_chain(&t->cbucket[key_hash(t, &c->key)], i, client_next, t->c);
	c->hnext = t->free_c;
	t->free_c = i;
}

/* ---- the idle order ------------------------------------------------------ */

static void lru_unlink(struct rp_relay_sessions *t, struct rp_relay_sess *s)
{
	if (s->prev != RP_RELAY_NIL)
		t->s[s->prev].next = s->next;
	else
		t->lru_head = s->next;
	if (s->next != RP_RELAY_NIL)
		t->s[s->next].prev = s->prev;
	else
		t->lru_tail = s->prev;
}

static void lru_append(struct rp_relay_sessions *t, struct rp_relay_sess *s)
{
	uint32_t i = (uint32_t)(s - t->s);

	s->prev = t->lru_tail;
	s->next = RP_RELAY_NIL;
	if (t->lru_tail != RP_RELAY_NIL)
		t->s[t->lru_tail].next = i;
	else
		t->lru_head = i;
	t->lru_tail = i;
}

void rp_relay_sess_touch(struct rp_relay_sessions *t, struct rp_relay_sess *s, uint64_t now_ms)
{
	s->last_ms = now_ms;
	if (t->lru_tail == (uint32_t)(s - t->s))
		return;
	lru_unlink(t, s);
	lru_append(t, s);
}

struct rp_relay_sess *rp_relay_sess_oldest(struct rp_relay_sessions *t)
{
	return t->lru_head == RP_RELAY_NIL ? NULL : &t->s[t->lru_head];
}

/* ---- sessions ------------------------------------------------------------ */

struct rp_relay_sess *rp_relay_sess_add(struct rp_relay_sessions *t, const struct rp_relay_key *k,
					const struct sockaddr *sa, socklen_t len, uint64_t now_ms,
					int *err)
{
	struct rp_relay_key ck = *k;
	struct rp_relay_sess *s;
	uint32_t i, ci;
	unsigned h;

	ck.port = 0;
	ci = client_find(t, &ck);
	if (t->per_client && ci != RP_RELAY_NIL && t->c[ci].sessions >= t->per_client) {
		*err = -EDQUOT;
		return NULL;
	}
	if (t->free_s == RP_RELAY_NIL || t->n_used >= t->cap) {
		*err = -ENOSPC;
		return NULL;
	}
	if (ci == RP_RELAY_NIL)
		ci = client_add(t, &ck);
	t->c[ci].sessions++;
	i = t->free_s;
	s = &t->s[i];
	t->free_s = s->next;
	h = key_hash(t, k);
	*s = (struct rp_relay_sess){ .key = *k, .clen = len, .fd = -1, .gen = (uint16_t)(s->gen + 1),
				     .state = RP_SESS_OPEN, .hnext = t->bucket[h], .cli = ci,
				     .last_ms = now_ms };
	memcpy(&s->client, sa, len < sizeof(s->client) ? len : sizeof(s->client));
	t->bucket[h] = i;
	lru_append(t, s);
	t->n_open++;
	t->n_used++;
	return s;
}

void rp_relay_sess_close(struct rp_relay_sessions *t, struct rp_relay_sess *s)
{
	uint32_t i = (uint32_t)(s - t->s);

	if (s->state != RP_SESS_OPEN)
		return;
	unlink_chain(&t->bucket[key_hash(t, &s->key)], i, sess_next, t->s);
	lru_unlink(t, s);
	client_drop(t, s->cli);
	s->state = RP_SESS_CLOSING;
	t->n_open--;
}

void rp_relay_sess_release(struct rp_relay_sessions *t, struct rp_relay_sess *s)
{
	uint32_t i = (uint32_t)(s - t->s);

	rp_relay_sess_close(t, s);
	if (s->state == RP_SESS_FREE)
		return;
	s->state = RP_SESS_FREE;
	s->fd = -1;
	s->next = t->free_s;
	t->free_s = i;
	t->n_used--;
}

uint32_t rp_relay_sess_ref(const struct rp_relay_sessions *t, const struct rp_relay_sess *s)
{
	return (uint32_t)s->gen << 16 | (uint32_t)(s - t->s + 1);
}

struct rp_relay_sess *rp_relay_sess_by_ref(struct rp_relay_sessions *t, uint32_t ref)
{
	uint32_t i = (ref & 0xffff) - 1;

	if (!(ref & 0xffff) || i >= t->cap || t->s[i].gen != (uint16_t)(ref >> 16) ||
	    t->s[i].state == RP_SESS_FREE)
		return NULL;
	return &t->s[i];
}
