/* SPDX-License-Identifier: MIT */
/*
 * A co-tenant with write access truncates a channel file, or a sender's
 * region file, while a receiver in another process is attached and in the
 * middle of a stream (chan/guard.c): the receiver must get -EIO with
 * rp_chan_broken() naming the truncation and exit normally, not die of
 * SIGBUS; the sender's next send gets -EIO too. And the handler must not
 * swallow a SIGBUS that is not ours: a handler installed before the first
 * attach still gets its faults, and without one the process still dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "chan/chan.h"

#define BEFORE	40	/* messages the receiver gets before the truncation */
#define REGION	(64 * 1024)

/* Receiver exit codes: how it ended. */
enum { RX_EIO = 0, RX_ATTACH = 10, RX_OTHER_ERR, RX_NO_REASON, RX_TOO_FEW, RX_NOT_ZEROS };

static char name[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(name, sizeof(name), "trunc-%d", (int)getpid());
	assert_int_equal(rp_chan_path(name, path, sizeof(path)), 0);
	return 0;
}

static void make(enum rp_chan_mode mode)
{
	struct rp_chan_params p;
	struct rp_chan_err e;

	rp_chan_params_default(&p);
	p.mode = mode;
	p.slots = 64;
	p.slot_size = 64;
	p.block_timeout_ms = 5000;
	rp_chan_destroy(name, &e);
	unlink(path);
	assert_int_equal(rp_chan_create(name, &p, &e), 0);
}

static void tell(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		_exit(RX_OTHER_ERR);
}

/* The receiver process: reports 'a' once attached and 'g' after BEFORE
 * messages, then receives (and waits) until an error. in_place: read
 * by-reference messages where they lie (the fault is in this code, not
 * the library's); the last one before -EIO must then read as zeros. */
static int receiver(int fd, bool in_place)
{
	struct rp_chan_err e;
	struct rp_chan *ch = rp_chan_attach(name, RP_CHAN_RECEIVER, &e);
	char buf[REGION];
	unsigned got = 0, sum = 1;
	ssize_t r;

	if (!ch)
		return RX_ATTACH;
	tell(fd, 'a');
	for (;;) {
		const void *d = buf;

		r = in_place ? rp_chan_recv_ref(ch, buf, sizeof(buf), &d, NULL)
			     : rp_chan_recv(ch, buf, sizeof(buf), NULL);
		if (r == -EAGAIN) {
			if ((r = rp_chan_wait(ch, 10000)) && r != -EINTR)
				break;
			continue;
		}
		if (r < 0)
			break;
		sum = 0;
		for (ssize_t i = 0; i < r; i++)
			sum |= ((const uint8_t *)d)[i];
		if (++got == BEFORE)
			tell(fd, 'g');
	}
	if (r != -EIO)
		return RX_OTHER_ERR;
	if (!rp_chan_broken(ch) || !strstr(rp_chan_broken(ch), "truncated by another process"))
		return RX_NO_REASON;
	if (in_place && sum)
		return RX_NOT_ZEROS;
	rp_chan_detach(ch);	/* must not fault either */
	return got >= BEFORE ? RX_EIO : RX_TOO_FEW;
}

static pid_t start_receiver(int *rfd, bool in_place)
{
	int p[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(p), 0);
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(receiver(p[1], in_place));
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'a');
	*rfd = p[0];
	return pid;
}

/* The co-tenant: another process that only truncates the file. */
static void cotenant_truncate(const char *file, off_t to)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(truncate(file, to) ? 1 : 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The receiver ended by exiting with RX_EIO, not by a signal. */
static void receiver_exits_cleanly(pid_t pid, int rfd)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fail_msg("receiver killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), RX_EIO);
	close(rfd);
}

static void wait_for_got(int rfd)
{
	char c;

	assert_int_equal(read(rfd, &c, 1), 1);
	assert_int_equal(c, 'g');
}

/* Mid-stream: BEFORE messages delivered, the receiver asleep for more, the
 * file cut to `to` bytes; the sender's next send faults too. */
static void channel_cut(enum rp_chan_mode mode, off_t to)
{
	struct rp_chan_err e;
	struct rp_chan *tx;
	pid_t pid;
	int rfd, r = 0;

	make(mode);
	assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
	pid = start_receiver(&rfd, false);
	for (int i = 0; i < BEFORE; i++)
		assert_int_equal(rp_chan_send(tx, "0123456789", 10), 0);
	wait_for_got(rfd);
	cotenant_truncate(path, to);
	/* A few sends: the one touching a page past the new end fails. */
	for (int i = 0; i < 200 && r == 0; i++)
		r = rp_chan_send(tx, "after", 5);
	assert_int_equal(r, -EIO);
	assert_non_null(strstr(rp_chan_broken(tx), "channel file truncated by another process"));
	assert_int_equal(rp_chan_send(tx, "again", 5), -EIO);
	receiver_exits_cleanly(pid, rfd);
	rp_chan_detach(tx);
	unlink(path);
}

static void test_channel_truncated_to_zero(void **state)
{
	(void)state;
	channel_cut(RP_CHAN_BROADCAST, 0);
	channel_cut(RP_CHAN_UNICAST, 0);
	channel_cut(RP_CHAN_MULTICAST, 0);
}

/* Only the ring cut away: the header page still reads, the slots fault. */
static void test_channel_truncated_to_header(void **state)
{
	(void)state;
	channel_cut(RP_CHAN_BROADCAST, 4096);
}

static void region_cut(bool in_place)
{
	char rpath[160];
	struct rp_chan_err e;
	struct rp_chan *tx;
	uint8_t *reg;
	pid_t pid;
	int rfd;

	make(RP_CHAN_BROADCAST);
	assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
	assert_non_null(reg = rp_chan_region_create(tx, REGION, &e));
	/* The region file of index 0: the only sender of a fresh channel. */
	assert_true(snprintf(rpath, sizeof(rpath), "/dev/shm/ringplane-chanref.%s.0", name) <
		    (int)sizeof(rpath));
	assert_int_equal(access(rpath, F_OK), 0);
	memset(reg, 0x5a, REGION);
	pid = start_receiver(&rfd, in_place);
	/* Each message names the whole region: no reuse to wait for. */
	for (int i = 0; i < BEFORE; i++)
		assert_int_equal(rp_chan_send_ref(tx, 0, 1000, NULL), 0);
	wait_for_got(rfd);
	cotenant_truncate(rpath, 0);
	/* The message the receiver faults on, reading it (the channel itself
	 * is whole: this send succeeds). */
	assert_int_equal(rp_chan_send_ref(tx, 4096, 1000, NULL), 0);
	receiver_exits_cleanly(pid, rfd);
	rp_chan_detach(tx);
	rp_chan_destroy(name, &e);
}

static void test_region_truncated_copy(void **state)
{
	(void)state;
	region_cut(false);
}

static void test_region_truncated_in_place(void **state)
{
	(void)state;
	region_cut(true);
}

static sigjmp_buf jump;
static volatile sig_atomic_t theirs;

static void their_handler(int sig)
{
	(void)sig;
	theirs++;
	siglongjmp(jump, 1);
}

/* A file of our own, mapped, then truncated: touching it is a SIGBUS that
 * no channel guards. */
static volatile uint8_t *foreign_cut_mapping(void)
{
	char tmp[] = "/dev/shm/rp-chan-trunc-XXXXXX";
	int fd = mkstemp(tmp);
	void *m;

	if (fd < 0 || ftruncate(fd, 8192))
		_exit(20);
	m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	unlink(tmp);
	if (m == MAP_FAILED || ftruncate(fd, 0))
		_exit(21);
	close(fd);
	return m;
}

/* Run in a child: a handler installed before the first attach gets the
 * faults that are not in a channel mapping; with none, the default kills. */
static int foreign_fault(bool with_handler)
{
	struct rp_chan_err e;
	struct rp_chan *ch;
	volatile uint8_t *m;

	signal(SIGBUS, with_handler ? their_handler : SIG_DFL);
	if (!(ch = rp_chan_attach(name, RP_CHAN_RECEIVER, &e)))	/* installs ours */
		return 22;
	m = foreign_cut_mapping();
	if (sigsetjmp(jump, 1) == 0)
		(void)m[100];
	rp_chan_detach(ch);
	return theirs == 1 ? 0 : 23;
}

static void test_foreign_sigbus_passed_on(void **state)
{
	int st;
	pid_t pid;

	(void)state;
	make(RP_CHAN_BROADCAST);
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		_exit(foreign_fault(true));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		_exit(foreign_fault(false));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_channel_truncated_to_zero),
		cmocka_unit_test(test_channel_truncated_to_header),
		cmocka_unit_test(test_region_truncated_copy),
		cmocka_unit_test(test_region_truncated_in_place),
		cmocka_unit_test(test_foreign_sigbus_passed_on),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
