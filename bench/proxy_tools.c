/* SPDX-License-Identifier: MIT */
/*
 * External programs for `ringplane bench proxy` (see proxy_tools.h).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/proxy_tools.h"

bool pt_have(const char *prog)
{
	char path[4096];
	const char *p = getenv("PATH");

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	/* root's PATH may lack sbin (haproxy, nginx live there) */
	for (const char *d = p ? p : "/usr/bin:/bin"; ; ) {
		size_t n = strcspn(d, ":");

		snprintf(path, sizeof(path), "%.*s/%s", (int)n, d, prog);
		if (access(path, X_OK) == 0)
			return true;
		if (!d[n])
			break;
		d += n + 1;
	}
	for (unsigned i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", i ? "/sbin" : "/usr/sbin", prog);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

static void child_exec(const char *const *argv, unsigned cpu, int out_fd)
{
	cpu_set_t set;
	int null = open("/dev/null", O_RDWR);

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	dup2(null, STDIN_FILENO);
	dup2(out_fd >= 0 ? out_fd : null, STDOUT_FILENO);
	dup2(out_fd >= 0 ? out_fd : null, STDERR_FILENO);
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

pid_t pt_spawn(const char *const *argv, unsigned cpu, const char *log)
{
	int fd = log ? open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	pid_t pid = fork();

	if (pid == 0)
		child_exec(argv, cpu, fd);
	if (fd >= 0)
		close(fd);
	return pid < 0 ? -errno : pid;
}

void pt_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (unsigned i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int pt_wait_port(const char *host, unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -1;
	for (unsigned i = 0; i < 200; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

		if (fd >= 0)
			close(fd);
		if (ok)
			return 0;
		usleep(50000);
	}
	return -1;
}

int pt_run_capture(const char *const *argv, unsigned cpu, char *out, size_t len)
{
	int p[2], st = 0;
	size_t got = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0)
		child_exec(argv, cpu, p[1]);	/* dup2 onto stdout clears CLOEXEC */
	close(p[1]);
	for (ssize_t n; pid > 0 && (n = read(p[0], out + got, len - 1 - got)) > 0; )
		got += (size_t)n;
	out[got] = '\0';
	close(p[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A process's parent, and its reaped children's CPU (cutime + cstime) in
 * seconds, from /proc/PID/stat. false: it is gone. */
static bool stat_of(pid_t pid, pid_t *ppid, double *children_s)
{
	char path[64], buf[1024], *p;
	long long cut, cst;
	int pp = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* comm may hold spaces */
	if (!p || sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %lld %lld",
			 &pp, &cut, &cst) != 3)
		return false;
	*ppid = pp;
	*children_s = (double)(cut + cst) / (double)sysconf(_SC_CLK_TCK);
	return true;
}

/* Time on CPU of every thread of pid, in seconds: /proc/PID/task/TID/schedstat
 * counts nanoseconds (stat's utime/stime count 10 ms ticks, too coarse for a
 * repetition of a few seconds). */
static double threads_s(pid_t pid)
{
	char path[64];
	unsigned long long ns, sum = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return 0;
	while ((e = readdir(d))) {
		char sp[320];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(sp, sizeof(sp), "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
		if ((f = fopen(sp, "r"))) {
			if (fscanf(f, "%llu", &ns) == 1)
				sum += ns;
			fclose(f);
		}
	}
	closedir(d);
	return (double)sum / 1e9;
}

double pt_cpu_s(pid_t pid)
{
	double reaped = 0, total;
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t pp;

	if (!stat_of(pid, &pp, &reaped))
		return 0;
	total = threads_s(pid) + reaped;
	while (d && (e = readdir(d))) {
		pid_t c = (pid_t)atoi(e->d_name);
		double ignored;

		if (c > 0 && c != pid && stat_of(c, &pp, &ignored) && pp == pid)
			total += threads_s(c);
	}
	if (d)
		closedir(d);
	return total;
}

double pt_cpu_busy_s(unsigned cpu)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq;
	char line[256], name[16];
	FILE *f = fopen("/proc/stat", "r");
	double busy = -1;

	snprintf(name, sizeof(name), "cpu%u ", cpu);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)) &&
		    sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu", &user, &nice,
			   &sys, &idle, &iowait, &irq, &softirq) == 7) {
			/* nice left out: the other work on a shared machine runs niced */
			busy = (double)(user + sys + irq + softirq) / (double)sysconf(_SC_CLK_TCK);
			break;
		}
	if (f)
		fclose(f);
	return busy;
}

double pt_iperf3_bps(const char *json)
{
	const char *p = strstr(json, "\"sum_received\"");

	p = p ? strstr(p, "\"bits_per_second\"") : NULL;
	return p ? strtod(strchr(p, ':') + 1, NULL) : -1;
}

/* "123.45us" / "1.2ms" / "3s" in microseconds, or -1. */
static double wrk_time_us(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s)
		return -1;
	if (!strncmp(end, "us", 2))
		return v;
	if (!strncmp(end, "ms", 2))
		return v * 1e3;
	if (*end == 's')
		return v * 1e6;
	if (*end == 'm')
		return v * 60e6;
	return -1;
}

static double after(const char *out, const char *key, double (*conv)(const char *))
{
	const char *p = strstr(out, key);

	if (!p)
		return -1;
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	return conv ? conv(p) : strtod(p, NULL);
}

bool pt_wrk_parse(const char *out, struct pt_wrk *w)
{
	const char *p;

	*w = (struct pt_wrk){ 0 };
	w->req_s = after(out, "Requests/sec:", NULL);
	w->p50_us = after(out, "     50%", wrk_time_us);
	w->p99_us = after(out, "     99%", wrk_time_us);
	if ((p = strstr(out, "Socket errors:"))) {
		unsigned long a = 0, b = 0, c = 0, d = 0;

		sscanf(p, "Socket errors: connect %lu, read %lu, write %lu, timeout %lu",
		       &a, &b, &c, &d);
		w->errors += a + b + c + d;
	}
	if ((p = strstr(out, "Non-2xx or 3xx responses:")))
		w->errors += strtoul(p + strlen("Non-2xx or 3xx responses:"), NULL, 10);
	return w->req_s >= 0 && w->p50_us >= 0 && w->p99_us >= 0;
}
