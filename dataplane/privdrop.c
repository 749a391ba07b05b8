/* SPDX-License-Identifier: MIT */
/*
 * process.user: drop root after start-up (see privdrop.h for the order and
 * why no capability is kept).
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "dataplane/log.h"
#include "dataplane/privdrop.h"

/* ---- /proc status ----------------------------------------------------------- */

/* The text after "Name:" at the start of a line of status, or NULL. */
static const char *field(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p = text;

	while (p) {
		if (!strncmp(p, name, n))
			return p + n;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int rp_task_creds_parse(const char *text, struct rp_task_creds *c)
{
	const char *uid = field(text, "Uid:"), *gid = field(text, "Gid:");
	const char *prm = field(text, "CapPrm:"), *eff = field(text, "CapEff:");
	const char *amb = field(text, "CapAmb:");

	if (!uid || !gid || !prm || !eff || !amb)
		return -1;
	if (sscanf(uid, "%u %u %u", &c->ruid, &c->euid, &c->suid) != 3 ||
	    sscanf(gid, "%u %u %u", &c->rgid, &c->egid, &c->sgid) != 3 ||
	    sscanf(prm, "%llx", &c->cap_prm) != 1 || sscanf(eff, "%llx", &c->cap_eff) != 1 ||
	    sscanf(amb, "%llx", &c->cap_amb) != 1)
		return -1;
	return 0;
}

static int read_text(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "re");
	size_t got;

	if (!f)
		return -1;
	got = fread(buf, 1, n - 1, f);
	buf[got] = '\0';
	fclose(f);
	return 0;
}

/* ---- prepare ------------------------------------------------------------------ */

/* Nothing may gain a capability again: not a later capset, not an exec of
 * a file with capabilities (no_new_privs also stops set-uid binaries). */
static int seal_gains(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		rp_err("process.user: cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		if (!CAP_IS_SUPPORTED(c))
			continue;
		if (cap_drop_bound(c) && errno != EINVAL) {
			char *name = cap_to_name(c);

			rp_err("process.user: cannot drop %s from the bounding set: %s",
			       name ? name : "?", strerror(errno));
			cap_free(name);
			return -1;
		}
	}
	return 0;
}

static int lookup_user(const struct rp_process_cfg *p, const char *file, struct rp_privdrop *pd)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(p->user);
	if (!pw) {
		rp_err("%s:%u:%u: process.user: no such user '%s'%s%s", file, p->user_mark.line,
		       p->user_mark.column, p->user, errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	pd->uid = pw->pw_uid;
	pd->gid = pw->pw_gid;
	snprintf(pd->user, sizeof(pd->user), "%s", p->user);
	return 0;
}

int rp_privdrop_prepare(const struct rp_config *cfg, struct rp_privdrop *pd)
{
	*pd = (struct rp_privdrop){ 0 };
	if (!cfg->process.user[0])
		return 0;
	if (lookup_user(&cfg->process, cfg->file, pd))
		return -1;
	if (geteuid() != 0) {
		if (getuid() == pd->uid && geteuid() == pd->uid)
			return 0;	/* already that user (e.g. systemd's User=) */
		rp_err("process.user '%s': switching user needs root; running as uid %u",
		       pd->user, (unsigned)geteuid());
		return -1;
	}
	if (pd->uid == 0) {
		rp_err("process.user '%s' is root: nothing would be dropped (unset it to stay root)",
		       pd->user);
		return -1;
	}
	if (seal_gains())
		return -1;
	pd->active = true;
	return 0;
}

/* ---- apply --------------------------------------------------------------------- */

static int switch_ids(const struct rp_privdrop *pd)
{
	/* glibc runs each of these on every thread of the process (its setxid
	 * broadcast): no worker keeps root. */
	if (setgroups(0, NULL)) {
		rp_err("process.user: setgroups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(pd->gid, pd->gid, pd->gid)) {
		rp_err("process.user: setresgid(%u): %s", (unsigned)pd->gid, strerror(errno));
		return -1;
	}
	if (setresuid(pd->uid, pd->uid, pd->uid)) {
		rp_err("process.user: setresuid(%u): %s", (unsigned)pd->uid, strerror(errno));
		return -1;
	}
	return 0;
}

/* The kernel cleared them with uid 0; say so through libcap as well, so a
 * thread that somehow kept one is caught by the check below anyway. */
static int clear_own_caps(void)
{
	cap_t none = cap_init();
	int ret = none ? cap_set_proc(none) : -1;

	if (ret)
		rp_err("process.user: cannot clear capabilities: %s", strerror(errno));
	cap_free(none);
	return ret;
}

static bool task_dropped(const struct rp_task_creds *c, const struct rp_privdrop *pd)
{
	return c->ruid == pd->uid && c->euid == pd->uid && c->suid == pd->uid &&
	       c->rgid == pd->gid && c->egid == pd->gid && c->sgid == pd->gid &&
	       !c->cap_prm && !c->cap_eff && !c->cap_amb;
}

/* One task of this process: 1 dropped, 0 not (logged), -1 gone meanwhile. */
static int check_task(const char *tid, const struct rp_privdrop *pd)
{
	char path[64], text[4096], comm[64] = "?";
	struct rp_task_creds c;

	snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
	if (read_text(path, text, sizeof(text)))
		return -1;
	if (rp_task_creds_parse(text, &c)) {
		rp_err("process.user: cannot parse %s", path);
		return 0;
	}
	if (task_dropped(&c, pd))
		return 1;
	snprintf(path, sizeof(path), "/proc/self/task/%s/comm", tid);
	if (!read_text(path, comm, sizeof(comm)))
		comm[strcspn(comm, "\n")] = '\0';
	rp_err("process.user: thread %s (%s) still uid %u, CapPrm %llx, CapEff %llx after the "
	       "switch", tid, comm, c.euid, c.cap_prm, c.cap_eff);
	return 0;
}

/* Every task: the threads this process made and the kernel's io-wq threads
 * of its rings (these run requests with their own credentials). */
static int check_all_tasks(const struct rp_privdrop *pd, unsigned *n)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int bad = 0;

	if (!d) {
		rp_err("process.user: cannot check the threads: /proc/self/task: %s", strerror(errno));
		return -1;
	}
	*n = 0;
	while ((e = readdir(d))) {
		int r;

		if (e->d_name[0] == '.')
			continue;
		r = check_task(e->d_name, pd);
		*n += r >= 0;
		bad += r == 0;
	}
	closedir(d);
	return bad ? -1 : 0;
}

/* The uid change made the process undumpable, which is right: nobody of
 * that uid may attach to it. A sanitizer build's leak check attaches to its
 * own threads at exit and would then fail, so that build (tests only) opts
 * back in. */
static void sanitizer_dumpable(void)
{
#if defined(__SANITIZE_ADDRESS__)
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
}

int rp_privdrop_apply(const struct rp_privdrop *pd)
{
	unsigned n;

	if (!pd->active)
		return 0;
	if (switch_ids(pd) || clear_own_caps() || check_all_tasks(pd, &n))
		return -1;
	sanitizer_dumpable();
	rp_info("process: now user %s (uid %u, gid %u), no supplementary groups, no "
		"capabilities (%u threads checked)", pd->user, (unsigned)pd->uid,
		(unsigned)pd->gid, n);
	return 0;
}
