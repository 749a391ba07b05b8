/* SPDX-License-Identifier: MIT */
/*
 * `ringplane reload`: ask a running appliance to reload its config and
 * report the outcome (reload.h). The config is checked here first with the
 * same loader as `check` (an invalid one is reported and nothing is sent);
 * the appliance is the process serving the config's addresses
 * (addr_owner.h), or -p PID. It gets a SIGHUP sent with sigqueue and
 * RP_RELOAD_ASK, and answers with RP_RELOAD_ANSWER_SIG once every worker
 * has switched, or at once when it rejected the reload.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/addr_owner.h"
#include "dataplane/cli.h"
#include "dataplane/reload.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ringplane reload [-c FILE] [-p PID] [-t SECONDS]\n\n"
		"Reload a running appliance's config, as SIGHUP does, and wait for the outcome.\n"
		"FILE (default: the embedded default config) is checked first, as `ringplane\n"
		"check` does: an invalid one is reported with FILE:LINE:COLUMN and nothing is\n"
		"sent. The appliance is the process serving FILE's service addresses (or PID).\n"
		"It re-reads the file it was started with and applies it only if every change\n"
		"can be applied live (tcp-proxy backends, weights, proxy-protocol, balance,\n"
		"connect-timeout-ms, retries, nodelay, health-check; max-connections,\n"
		"idle-timeout-ms, write-stall-timeout-ms);\n"
		"otherwise it keeps its running config and logs each reason with\n"
		"FILE:LINE:COLUMN.\n\n"
		"  -c, --config FILE    the config the appliance runs\n"
		"  -p, --pid PID        the appliance's process id (skip the address lookup)\n"
		"  -t, --timeout SECS   how long to wait for the answer (default 10)\n"
		"  -h, --help           this help\n\n"
		"Exit status: 0 applied, 1 rejected, no appliance, no answer, 2 usage.\n"
		"An appliance that dropped root (process.user) cannot signal a root caller:\n"
		"run reload as that user, or read the outcome in its log.\n");
}

static int check_config(const char *path, struct rp_config *cfg)
{
	struct rp_cfg_errors errs = { 0 };
	int ret = path ? rp_config_load_file(path, cfg, &errs) : rp_config_load_default(cfg, &errs);

	if (ret) {
		rp_cfg_errors_print(stderr, &errs);
		fprintf(stderr, "ringplane reload: %s is not valid: nothing sent\n", cfg->file);
	}
	rp_cfg_errors_free(&errs);
	return ret;
}

/* The process serving one of the config's service addresses; 0: none. */
static pid_t find_appliance(const struct rp_config *cfg)
{
	char comm[64];

	for (unsigned i = 0; i < cfg->n_services; i++) {
		const struct rp_service_cfg *s = &cfg->services[i];
		pid_t pid = rp_addr_owner(&s->listen, rp_svc_type_socktype(s->type), comm,
					  sizeof(comm));

		if (pid)
			return pid;
	}
	return 0;
}

static void no_appliance(const struct rp_config *cfg)
{
	fprintf(stderr, "ringplane reload: no running ringplane serves the addresses of %s (",
		cfg->file);
	for (unsigned i = 0; i < cfg->n_services; i++)
		fprintf(stderr, "%s%s %s", i ? ", " : "", cfg->services[i].name,
			cfg->services[i].listen.text);
	fprintf(stderr, "): nothing to reload\n");
}

/* The answer from pid, or -1 after timeout_s (or on error). */
static int wait_answer(pid_t pid, const sigset_t *set, unsigned timeout_s)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_s;
	for (;;) {
		struct timespec left;
		siginfo_t si;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0)
			return -1;
		if (sigtimedwait(set, &si, &left) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (si.si_code == SI_QUEUE && si.si_pid == pid)
			return si.si_value.sival_int;
	}
}

static int ask(pid_t pid, const char *file, unsigned timeout_s)
{
	sigset_t set;
	int answer;

	sigemptyset(&set);
	sigaddset(&set, RP_RELOAD_ANSWER_SIG);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (sigqueue(pid, SIGHUP, (union sigval){ .sival_int = RP_RELOAD_ASK })) {
		fprintf(stderr, "ringplane reload: cannot signal pid %d: %s\n", (int)pid,
			strerror(errno));
		return RP_EXIT_FAIL;
	}
	answer = wait_answer(pid, &set, timeout_s);
	switch (answer) {
	case RP_RELOAD_APPLIED:
		printf("reloaded: pid %d re-read its config file (%s here) and applied it on "
		       "every worker\n", (int)pid, file);
		return RP_EXIT_OK;
	case RP_RELOAD_REJECTED:
		fprintf(stderr, "ringplane reload: pid %d rejected the reload and keeps its running "
			"config: the reasons (FILE:LINE:COLUMN) are in its log\n", (int)pid);
		return RP_EXIT_FAIL;
	case RP_RELOAD_STOPPING:
		fprintf(stderr, "ringplane reload: pid %d is shutting down: no reload\n", (int)pid);
		return RP_EXIT_FAIL;
	default:
		fprintf(stderr, "ringplane reload: SIGHUP sent to pid %d, no answer within %u s: "
			"the outcome is in its log\n", (int)pid, timeout_s);
		return RP_EXIT_FAIL;
	}
}

int cmd_reload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = NULL;
	struct rp_config cfg = { 0 };
	long pid = 0, timeout_s = 10;
	char *end;
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:p:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'p':
			pid = strtol(optarg, &end, 10);
			if (*end || pid <= 0)
				return rp_usage_error("reload", "bad PID '%s'", optarg);
			break;
		case 't':
			timeout_s = strtol(optarg, &end, 10);
			if (*end || timeout_s <= 0 || timeout_s > 3600)
				return rp_usage_error("reload", "bad timeout '%s' (1 to 3600 s)", optarg);
			break;
		case 'h': usage(stdout); return RP_EXIT_OK;
		case ':': return rp_usage_error("reload", "option '%s' needs a value", argv[optind - 1]);
		default: return rp_usage_error("reload", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return rp_usage_error("reload", "unexpected argument '%s'", argv[optind]);
	if (check_config(path, &cfg)) {
		rp_config_free(&cfg);
		return RP_EXIT_FAIL;
	}
	if (!pid)
		pid = find_appliance(&cfg);
	if (!pid) {
		no_appliance(&cfg);
		ret = RP_EXIT_FAIL;
	} else {
		ret = ask((pid_t)pid, cfg.file, (unsigned)timeout_s);
	}
	rp_config_free(&cfg);
	return ret;
}
