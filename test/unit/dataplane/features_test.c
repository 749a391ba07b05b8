/* SPDX-License-Identifier: MIT */
/*
 * The feature probe, cross-checked against tiny independent probes written
 * here with the raw system calls (not through features_probe.c), and the
 * start-up check's sentences.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "test/unit/child.h"
#include <liburing.h>

#include "dataplane/features.h"

static struct rp_features probed;

static int setup_probe(void **state)
{
	(void)state;
	return rp_features_probe(&probed);
}

/* io_uring_setup(2) by hand: 0 if the kernel takes these flags. */
static int raw_setup(unsigned flags)
{
	struct io_uring_params p = { .flags = flags };
	int fd = (int)syscall(__NR_io_uring_setup, 4, &p);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void test_setup_flags_match_raw_setup(void **state)
{
	(void)state;
	assert_int_equal(rp_feature_has(&probed, RP_FEAT_SINGLE_ISSUER),
			 raw_setup(IORING_SETUP_SINGLE_ISSUER) == 0);
	assert_int_equal(rp_feature_has(&probed, RP_FEAT_DEFER_TASKRUN),
			 raw_setup(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) == 0);
	assert_int_equal(rp_feature_has(&probed, RP_FEAT_NO_SQARRAY),
			 raw_setup(IORING_SETUP_NO_SQARRAY) == 0);
}

/* A flag no kernel knows must be refused by the kernel and is not a row:
 * this proves raw_setup can say no, so the matches above mean something. */
static void test_raw_setup_can_refuse(void **state)
{
	(void)state;
	assert_int_equal(raw_setup(1U << 31), -EINVAL);
}

static void test_send_zc_matches_opcode_probe(void **state)
{
	struct io_uring_probe *p = io_uring_get_probe();

	(void)state;
	assert_non_null(p);
	assert_int_equal(rp_feature_has(&probed, RP_FEAT_SEND_ZC),
			 io_uring_opcode_supported(p, IORING_OP_SEND_ZC));
	assert_int_equal(rp_feature_has(&probed, RP_FEAT_MSG_RING),
			 io_uring_opcode_supported(p, IORING_OP_MSG_RING));
	assert_int_equal(rp_feature_has(&probed, RP_FEAT_FUTEX_WAIT),
			 io_uring_opcode_supported(p, IORING_OP_FUTEX_WAIT));
	io_uring_free_probe(p);
}

/* IORING_REGISTER_PBUF_RING by hand, with memory we map ourselves. */
static int raw_register_buf_ring(unsigned flags)
{
	struct io_uring_params p = { 0 };
	size_t len = 8 * sizeof(struct io_uring_buf);
	int fd = (int)syscall(__NR_io_uring_setup, 4, &p), ret;
	void *mem;

	if (fd < 0)
		return -errno;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	assert_true(mem != MAP_FAILED);
	struct io_uring_buf_reg reg = { .ring_addr = (uintptr_t)mem, .ring_entries = 8,
					.bgid = 3, .flags = (uint16_t)flags };
	ret = (int)syscall(__NR_io_uring_register, fd, IORING_REGISTER_PBUF_RING, &reg, 1);
	ret = ret < 0 ? -errno : 0;
	close(fd);
	munmap(mem, len);
	return ret;
}

static void test_buf_rings_match_raw_register(void **state)
{
	(void)state;
	assert_int_equal(rp_feature_has(&probed, RP_FEAT_PBUF_RING), raw_register_buf_ring(0) == 0);
	assert_int_equal(rp_feature_has(&probed, RP_FEAT_PBUF_RING_INC),
			 raw_register_buf_ring(IOU_PBUF_RING_INC) == 0);
}

static void test_every_row_named_and_why_iff_missing(void **state)
{
	(void)state;
	for (unsigned i = 0; i < RP_FEAT__COUNT; i++) {
		const char *why = rp_feature_why(&probed, i);

		assert_non_null(rp_feature_name(i));
		assert_true(rp_feature_name(i)[0] != '\0');
		if (rp_feature_has(&probed, i))
			assert_string_equal(why, "");
		else
			assert_true(why[0] != '\0');
	}
	assert_false(rp_feature_has(&probed, RP_FEAT__COUNT));
	assert_false(rp_feature_required(RP_FEAT__COUNT));
}

static void test_required_rows(void **state)
{
	(void)state;
	assert_true(rp_feature_required(RP_FEAT_SINGLE_ISSUER));
	assert_true(rp_feature_required(RP_FEAT_SEND_ZC));
	assert_true(rp_feature_required(RP_FEAT_MSG_RING_FD));
	assert_false(rp_feature_required(RP_FEAT_ZCRX));
	assert_false(rp_feature_required(RP_FEAT_NAPI));
}

static void test_check_required_names_the_missing_one(void **state)
{
	struct rp_features f = probed;
	char msg[512] = "";

	(void)state;
	for (unsigned i = 0; i < RP_FEAT__COUNT; i++)
		f.r[i] = (struct rp_feature_result){ .supported = true };
	assert_int_equal(rp_features_check_required(&f, msg, sizeof(msg)), 0);

	/* an optional row missing is not a reason to refuse */
	f.r[RP_FEAT_ZCRX] = (struct rp_feature_result){ .err = EOPNOTSUPP, .why = "no device" };
	assert_int_equal(rp_features_check_required(&f, msg, sizeof(msg)), 0);

	f.r[RP_FEAT_SEND_ZC] = (struct rp_feature_result){ .err = EINVAL, .why = "EINVAL (Invalid argument)" };
	assert_int_equal(rp_features_check_required(&f, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "io_uring SEND_ZC not supported by this kernel (6.0+ needed): "
				 "EINVAL (Invalid argument)");

	f.r[RP_FEAT_SEND_ZC].liburing_too_old = true;
	assert_int_equal(rp_features_check_required(&f, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "not supported by this liburing (2.3+ needed)"));

	/* io_uring switched off: one sentence about that, not about a row */
	f.ring_err = EPERM;
	assert_int_equal(rp_features_check_required(&f, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "io_uring unavailable: no ring can be set up (EPERM: Operation "
				 "not permitted); is sysctl kernel.io_uring_disabled set?");
}

/*
 * io_uring switched off, for real: a child process installs a seccomp filter
 * that answers io_uring_setup(2) with EPERM (what kernel.io_uring_disabled=2
 * does), then probes. The machine's sysctl is not touched.
 */
#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef TEST_AUDIT_ARCH
static int deny_io_uring_setup(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* In the child: 0 when every expectation holds, else the failing step. */
static int probe_without_io_uring(void)
{
	struct rp_features f;
	char msg[512];

	if (deny_io_uring_setup())
		return 10;
	if (raw_setup(0) != -EPERM)
		return 11;	/* the filter works, or the test means nothing */
	rp_features_probe(&f);
	if (f.ring_err != EPERM)
		return 12;
	for (unsigned i = 0; i < RP_FEAT__COUNT; i++)
		if (rp_feature_has(&f, i) || !strstr(rp_feature_why(&f, i), "no io_uring ring"))
			return 13;
	if (rp_features_check_required(&f, msg, sizeof(msg)) != -1 ||
	    !strstr(msg, "io_uring unavailable: no ring can be set up (EPERM"))
		return 14;
	return 0;
}

static void test_io_uring_disabled(void **state)
{
	(void)state;
	rp_assert_child_ok(probe_without_io_uring);
}
#else
static void test_io_uring_disabled(void **state)
{
	(void)state;
	fail_msg("no seccomp audit arch known for this CPU: add it to features_test.c");
}
#endif

static void test_versions_recorded(void **state)
{
	(void)state;
	assert_int_equal(probed.ring_err, 0);
	assert_int_equal(probed.liburing_build_major, IO_URING_VERSION_MAJOR);
	assert_int_equal(probed.liburing_build_minor, IO_URING_VERSION_MINOR);
	assert_int_equal(probed.liburing_run_major, io_uring_major_version());
	assert_true(probed.kernel[0] != '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_flags_match_raw_setup),
		cmocka_unit_test(test_raw_setup_can_refuse),
		cmocka_unit_test(test_send_zc_matches_opcode_probe),
		cmocka_unit_test(test_buf_rings_match_raw_register),
		cmocka_unit_test(test_every_row_named_and_why_iff_missing),
		cmocka_unit_test(test_required_rows),
		cmocka_unit_test(test_check_required_names_the_missing_one),
		cmocka_unit_test(test_io_uring_disabled),
		cmocka_unit_test(test_versions_recorded),
	};

	return cmocka_run_group_tests(tests, setup_probe, NULL);
}
