/* SPDX-License-Identifier: MIT */
/*
 * The zcrx area's sources (dataplane/zcrx_area.h): a memory area is
 * mapped and described to the kernel by its address; a dmabuf area by its
 * dma-buf fd with address 0 and IORING_ZCRX_AREA_DMABUF. Whether this
 * machine can make a udmabuf decides what the probe and open must say:
 * without /dev/udmabuf, the reason users are told, and nothing left open.
 */
#include <dirent.h>
#include <errno.h>
#include <liburing.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dataplane/zcrx_area.h"

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_memory(void **state)
{
	struct io_uring_zcrx_area_reg reg;
	struct rp_zcrx_area a;
	char why[256] = "";

	(void)state;
	assert_int_equal(rp_zcrx_area_probe(RP_RXZC_SRC_MEMORY, why, sizeof(why)), 0);
	assert_int_equal(rp_zcrx_area_open(&a, RP_RXZC_SRC_MEMORY, 16 * 4096, why, sizeof(why)), 0);
	assert_non_null(a.base);
	a.base[16 * 4096 - 1] = 1;	/* all of it is ours */
	rp_zcrx_area_reg(&a, &reg);
	assert_true(reg.addr == (uintptr_t)a.base);
	assert_int_equal(reg.len, 16 * 4096);
	assert_int_equal(reg.flags, 0);
	assert_int_equal(reg.dmabuf_fd, 0);	/* the kernel refuses a memory area with one */
	rp_zcrx_area_close(&a);
	assert_null(a.base);
}

/* What the kernel is told about a dmabuf area (io_import_dmabuf). */
static void test_dmabuf_reg(void **state)
{
	struct rp_zcrx_area a = { .src = RP_RXZC_SRC_DMABUF, .base = (uint8_t *)0x1000,
				  .len = 1 << 20, .memfd = 5, .dmabuf_fd = 7 };
	struct io_uring_zcrx_area_reg reg;

	(void)state;
	rp_zcrx_area_reg(&a, &reg);
	assert_int_equal(reg.addr, 0);		/* an offset into the dma-buf */
	assert_int_equal(reg.len, 1 << 20);
	assert_int_equal(reg.flags, IORING_ZCRX_AREA_DMABUF);
	assert_int_equal(reg.dmabuf_fd, 7);
	assert_int_equal(reg.rq_area_token, 0);
}

/* This machine with or without /dev/udmabuf: the probe and open agree
 * with it, and a failed open leaves no fd behind. */
static void test_dmabuf_here(void **state)
{
	bool have = access("/dev/udmabuf", F_OK) == 0;
	unsigned fds = open_fds();
	struct rp_zcrx_area a;
	char why[256] = "";
	int ret;

	(void)state;
	ret = rp_zcrx_area_probe(RP_RXZC_SRC_DMABUF, why, sizeof(why));
	if (!have) {
		assert_int_equal(ret, -ENODEV);
		assert_non_null(strstr(why, "no /dev/udmabuf: "));
		assert_non_null(strstr(why, "rx-zerocopy-area-source: memory"));
	}
	ret = rp_zcrx_area_open(&a, RP_RXZC_SRC_DMABUF, 16 * 4096, why, sizeof(why));
	if (!have) {
		assert_int_equal(ret, -ENODEV);
		assert_null(a.base);
		assert_int_equal(open_fds(), fds);
		return;
	}
	if (ret) {	/* e.g. not allowed to open it: said, nothing left open */
		assert_true(why[0] != '\0');
		assert_int_equal(open_fds(), fds);
		return;
	}
	assert_true(a.memfd >= 0 && a.dmabuf_fd >= 0);
	a.base[0] = 1;
	rp_zcrx_area_close(&a);
	assert_int_equal(open_fds(), fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_dmabuf_reg),
		cmocka_unit_test(test_dmabuf_here),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
