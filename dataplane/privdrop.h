/* SPDX-License-Identifier: MIT */
/*
 * Dropping root after start-up (process.user). Started as root without a
 * service manager, the appliance needs its privileges only to start:
 * CAP_NET_ADMIN for nicmgr's NIC settings, CAP_IPC_LOCK to register buffers
 * past RLIMIT_MEMLOCK, CAP_NET_BIND_SERVICE for ports below 1024. Once every
 * worker has registered its buffers and bound its sockets, nothing it does
 * needs one (no NIC change, no new ring or registration, no bind), so the
 * switch keeps none.
 *
 * Two steps, because threads matter:
 *  - prepare, before any thread exists: look the user up (a typo fails the
 *    start, not the drop), set no_new_privs and empty the capability
 *    bounding set (both are per thread and inherited by the threads created
 *    afterwards, so every worker gets them);
 *  - apply, once started: setgroups/setresgid/setresuid, which glibc
 *    applies to every thread of the process; leaving uid 0 without
 *    SECBIT_KEEP_CAPS makes the kernel clear each thread's permitted,
 *    effective and ambient capabilities. Then every task of the process
 *    (/proc/self/task, which also lists io_uring's own io-wq threads) is
 *    checked: one still privileged fails the start.
 */
#ifndef RP_PRIVDROP_H
#define RP_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

#include "config/config.h"

struct rp_privdrop {
	bool active;		/* a switch is due in apply */
	uid_t uid;
	gid_t gid;
	char user[RP_NAME_MAX];
};

/* Before any thread: 0 (nothing to do, or ready to apply), or -1 logged. */
int rp_privdrop_prepare(const struct rp_config *cfg, struct rp_privdrop *pd);
/* After start-up: 0 (switched and checked, or inactive), or -1 logged. */
int rp_privdrop_apply(const struct rp_privdrop *pd);

/*
 * One task's identity and capabilities as /proc/PID/task/TID/status shows
 * them (the check above, and tests). 0, or -1 when unreadable.
 */
struct rp_task_creds {
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	unsigned long long cap_prm, cap_eff, cap_amb;
};
int rp_task_creds_parse(const char *status_text, struct rp_task_creds *c);

#endif
