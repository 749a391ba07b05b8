/* SPDX-License-Identifier: MIT */
/*
 * process.user (dataplane/privdrop.c): the /proc status parser, the
 * refusals of prepare, and, as root, a real drop in a forked child with
 * two threads already running: each thread reads its own status after
 * the switch and must be the user with no capability (the setxid
 * broadcast reached it; the kernel cleared its sets).
 */
#include <pthread.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "dataplane/log.h"
#include "dataplane/privdrop.h"

static const char status_text[] =
	"Name:\tringplane\nUmask:\t0022\nState:\tS (sleeping)\n"
	"Uid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\n"
	"Groups:\t\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
	"CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n"
	"CapAmb:\t0000000000001000\nNoNewPrivs:\t1\n";

static void test_parse(void **state)
{
	struct rp_task_creds c;

	(void)state;
	assert_int_equal(rp_task_creds_parse(status_text, &c), 0);
	assert_int_equal(c.ruid, 65534);
	assert_int_equal(c.suid, 65534);
	assert_int_equal(c.egid, 65534);
	assert_true(c.cap_prm == 0 && c.cap_eff == 0);
	assert_true(c.cap_amb == 0x1000);
	/* a field missing: unparsable, not "no capabilities" */
	assert_int_equal(rp_task_creds_parse("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n", &c), -1);
	assert_int_equal(rp_task_creds_parse("", &c), -1);
}

static void cfg_user(struct rp_config *cfg, const char *user)
{
	*cfg = (struct rp_config){ 0 };
	snprintf(cfg->file, sizeof(cfg->file), "t.yaml");
	snprintf(cfg->process.user, sizeof(cfg->process.user), "%s", user);
	cfg->process.user_mark = (struct rp_mark){ 7, 9 };
}

static void test_prepare_refusals(void **state)
{
	struct rp_privdrop pd;
	struct rp_config cfg;

	(void)state;
	cfg_user(&cfg, "");
	assert_int_equal(rp_privdrop_prepare(&cfg, &pd), 0);
	assert_false(pd.active);
	assert_int_equal(rp_privdrop_apply(&pd), 0);	/* inactive: nothing */
	cfg_user(&cfg, "rp-no-such-user");
	assert_int_equal(rp_privdrop_prepare(&cfg, &pd), -1);
	if (geteuid() == 0) {
		cfg_user(&cfg, "root");	/* dropping to root drops nothing */
		assert_int_equal(rp_privdrop_prepare(&cfg, &pd), -1);
	}
}

static pthread_barrier_t dropped;

/* A thread that existed before the drop checks itself after it. */
static void *thread_self_check(void *arg)
{
	const struct passwd *pw = arg;
	struct rp_task_creds c;
	char text[4096];
	FILE *f;
	size_t n;

	pthread_barrier_wait(&dropped);
	f = fopen("/proc/thread-self/status", "re");
	if (!f)
		return (void *)1;
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	if (rp_task_creds_parse(text, &c) || c.euid != pw->pw_uid || c.ruid != pw->pw_uid ||
	    c.cap_prm || c.cap_eff)
		return (void *)1;
	return NULL;
}

/* In a child: two threads, prepare, apply, the threads check themselves. */
static int drop_in_child(const struct passwd *pw)
{
	struct rp_privdrop pd;
	struct rp_config cfg;
	pthread_t t[2];
	int bad = 0;

	cfg_user(&cfg, pw->pw_name);
	if (rp_privdrop_prepare(&cfg, &pd) || !pd.active)
		return 10;
	pthread_barrier_init(&dropped, NULL, 3);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, thread_self_check, (void *)pw);
	if (rp_privdrop_apply(&pd))
		bad = 20;
	pthread_barrier_wait(&dropped);
	for (int i = 0; i < 2; i++) {
		void *r;

		pthread_join(t[i], &r);
		bad += r != NULL;
	}
	return bad;
}

static void test_drop_all_threads(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	int st;
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || !pw)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(drop_in_child(pw));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_prepare_refusals),
		cmocka_unit_test(test_drop_all_threads),
	};

	rp_log_setup(RP_LOG_ERROR, RP_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
