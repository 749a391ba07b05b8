/* SPDX-License-Identifier: MIT */
/*
 * What a channel file must be before anyone uses it, and what a hostile
 * co-tenant writing into a valid one can do to a reader (lose messages, not
 * crash it): foreign, truncated, wrong-version and corrupted files refused
 * with a message naming the path and the problem; fuzzed headers; fuzzed
 * shared state under live handles; bad names and parameters.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "chan/internal.h"

static char name[64], path[128];

static void fresh(enum rp_chan_mode mode)
{
	struct rp_chan_params p;
	struct rp_chan_err e;

	rp_chan_params_default(&p);
	p.mode = mode;
	p.slots = 16;
	p.slot_size = 48;
	p.block_timeout_ms = 5;
	rp_chan_destroy(name, &e);
	unlink(path);
	assert_int_equal(rp_chan_create(name, &p, &e), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(name, sizeof(name), "safety-%d", (int)getpid());
	assert_int_equal(rp_chan_path(name, path, sizeof(path)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void patch(off_t off, const void *b, size_t n)
{
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b, n, off), (ssize_t)n);
	close(fd);
}

/* Attach must fail, and say the path and `want`. */
static void refused(const char *want)
{
	struct rp_chan_err e = { "" };

	assert_null(rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	print_message("refused: %s\n", e.msg);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, want));
}

static void test_foreign(void **state)
{
	FILE *f = fopen(path, "w");

	(void)state;
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is somebody else's file\n", f);
	fclose(f);
	refused("not a ringplane channel");
}

static void test_truncated(void **state)
{
	struct stat st;

	(void)state;
	fresh(RP_CHAN_BROADCAST);
	assert_int_equal(truncate(path, 100), 0);
	refused("truncated");
	fresh(RP_CHAN_BROADCAST);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 4096), 0);
	refused("size does not match");
	assert_int_equal(truncate(path, 0), 0);
	refused("truncated");
}

/* The next version, and the previous one (whose processes would not
 * follow this one's protocol: version 3 multicast receivers store their
 * cursor where version 4 senders move it by CAS). */
static void test_wrong_version(void **state)
{
	uint32_t vs[] = { RP_CHAN_VERSION + 1, RP_CHAN_VERSION - 1 };
	char want[64];

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		fresh(i ? RP_CHAN_MULTICAST : RP_CHAN_UNICAST);
		patch(offsetof(struct rp_chan_fixed, version), &vs[i], sizeof(vs[i]));
		snprintf(want, sizeof(want), "unsupported channel version %u (this build reads %d)",
			 vs[i], RP_CHAN_VERSION);
		refused(want);
	}
}

static void test_corrupted(void **state)
{
	uint32_t slots = 1u << 30, big = 4096;
	struct rp_chan_fixed f;
	int fd;

	(void)state;
	fresh(RP_CHAN_UNICAST);
	patch(offsetof(struct rp_chan_fixed, slots), &slots, sizeof(slots));
	refused("checksum");
	/* A header consistent with its checksum but not with the file. */
	fresh(RP_CHAN_UNICAST);
	fd = open(path, O_RDWR);
	assert_int_equal(pread(fd, &f, sizeof(f), 0), (ssize_t)sizeof(f));
	f.slot_size = big;
	f.check = rp_chan_fixed_check(&f);
	assert_int_equal(pwrite(fd, &f, sizeof(f), 0), (ssize_t)sizeof(f));
	close(fd);
	refused("corrupted header");
}

/* Random bytes over the fixed header, sometimes with a matching checksum
 * so the later checks are reached too: refused or attached, never a crash. */
static void test_fuzz_fixed(void **state)
{
	unsigned accepted = 0;

	(void)state;
	srand(1234);
	for (int it = 0; it < 400; it++) {
		struct rp_chan_fixed f;
		struct rp_chan_err e;
		struct rp_chan *ch;
		int fd, n = 1 + rand() % 8;

		fresh((enum rp_chan_mode)(1 + it % 3));
		fd = open(path, O_RDWR);
		assert_int_equal(pread(fd, &f, sizeof(f), 0), (ssize_t)sizeof(f));
		for (int k = 0; k < n; k++)
			((uint8_t *)&f)[rand() % offsetof(struct rp_chan_fixed, check)] = (uint8_t)rand();
		if (it % 2)
			f.check = rp_chan_fixed_check(&f);
		assert_int_equal(pwrite(fd, &f, sizeof(f), 0), (ssize_t)sizeof(f));
		close(fd);
		if ((ch = rp_chan_attach(name, RP_CHAN_RECEIVER, &e))) {
			char buf[64];

			accepted++;
			rp_chan_recv(ch, buf, sizeof(buf), NULL);
			rp_chan_detach(ch);
		}
	}
	print_message("fuzzed fixed headers: %u of 400 still valid (bytes rewritten to their value)\n",
		      accepted);
}

static void scribble(uint8_t *b, size_t len, int n)
{
	for (int k = 0; k < n; k++) {
		size_t at = (size_t)rand() % len;

		if (rand() % 2)
			b[at] = (uint8_t)rand();
		else		/* small values: counters near each other */
			b[at] = (uint8_t)(rand() % 4);
	}
}

/* A co-tenant with write access scribbles over the shared state while a
 * sender and receivers of each mode are attached: they may lose messages
 * or time out, they must not crash or hang. */
static void test_fuzz_shared_state(void **state)
{
	(void)state;
	srand(99);
	for (int it = 0; it < 300; it++) {
		struct rp_chan_err e;
		struct rp_chan *tx, *rx;
		struct rp_chan_info *info = malloc(sizeof(*info));
		char buf[64] = "x";
		uint8_t *map;

		fresh((enum rp_chan_mode)(1 + it % 3));
		assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
		assert_non_null(rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
		for (int i = 0; i < 20; i++)
			rp_chan_send(tx, buf, 1 + (size_t)i);
		map = tx->map;
		/* Dynamic header, receiver table, slot headers and data. */
		scribble(map + sizeof(struct rp_chan_fixed),
			 RP_CHAN_HDR_SIZE - sizeof(struct rp_chan_fixed), 1 + it % 16);
		scribble(map + RP_CHAN_HDR_SIZE, (size_t)RP_CHAN_RX_SIZE * tx->max_rx, it % 8);
		scribble(tx->slots, (size_t)tx->stride * tx->nslots, it % 32);
		for (int i = 0; i < 40; i++) {
			rp_chan_recv(rx, buf, sizeof(buf), NULL);
			if (i % 8 == 0)
				rp_chan_send(tx, buf, 8);
		}
		rp_chan_wait(rx, 0);
		rp_chan_info(tx, info);
		free(info);
		rp_chan_detach(rx);
		rp_chan_detach(tx);
	}
}

static void test_names_and_params(void **state)
{
	struct rp_chan_params p;
	struct rp_chan_err e;
	char buf[128];

	(void)state;
	assert_int_equal(rp_chan_path("../etc/passwd", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(rp_chan_path(".hidden", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(rp_chan_path("", buf, sizeof(buf)), -EINVAL);
	assert_null(rp_chan_attach("a/b", RP_CHAN_SENDER, &e));
	assert_non_null(strstr(e.msg, "channel name"));
	rp_chan_params_default(&p);
	p.slots = 1000;
	assert_int_equal(rp_chan_create(name, &p, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "power of two"));
	rp_chan_params_default(&p);
	p.max_receivers = 65;
	assert_int_equal(rp_chan_create(name, &p, &e), -EINVAL);
	fresh(RP_CHAN_UNICAST);
	rp_chan_params_default(&p);
	assert_int_equal(rp_chan_create(name, &p, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "exists"));
	assert_null(rp_chan_attach("no-such-channel-here", RP_CHAN_SENDER, &e));
	assert_non_null(strstr(e.msg, "no such channel"));
}

/* Sizes, roles, and a receive buffer smaller than a slot. */
static void test_api_errors(void **state)
{
	struct rp_chan_err e;
	struct rp_chan *tx, *rx;
	char big[49] = { 0 }, buf[64];

	(void)state;
	fresh(RP_CHAN_UNICAST);
	assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
	assert_non_null(rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	assert_int_equal(rp_chan_send(tx, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(rp_chan_send(rx, big, 1), -EINVAL);
	assert_int_equal(rp_chan_recv(tx, buf, sizeof(buf), NULL), -EINVAL);
	assert_int_equal(rp_chan_recv(rx, buf, 8, NULL), -EINVAL);
	assert_int_equal(rp_chan_recv(rx, buf, sizeof(buf), NULL), -EAGAIN);
	assert_int_equal(rp_chan_send(tx, "hello", 5), 0);
	assert_int_equal(rp_chan_recv(rx, buf, sizeof(buf), NULL), 5);
	assert_memory_equal(buf, "hello", 5);
	rp_chan_detach(rx);
	rp_chan_detach(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_wrong_version),
		cmocka_unit_test(test_corrupted),
		cmocka_unit_test(test_fuzz_fixed),
		cmocka_unit_test(test_fuzz_shared_state),
		cmocka_unit_test(test_names_and_params),
		cmocka_unit_test(test_api_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
