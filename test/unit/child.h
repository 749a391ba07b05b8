/* SPDX-License-Identifier: MIT */
/*
 * Run part of a cmocka test in a child process, for what must not touch the
 * test runner itself (lowered rlimits, dropped privileges, a seccomp
 * filter). The child returns 0 for success or a small code naming the step
 * that failed; the parent asserts it exited normally with 0, so the failing
 * code shows in cmocka's message.
 *
 * Include after <cmocka.h>.
 */
#ifndef RP_TEST_CHILD_H
#define RP_TEST_CHILD_H

#include <sys/wait.h>
#include <unistd.h>

static inline void rp_assert_child_ok(int (*child)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#endif
