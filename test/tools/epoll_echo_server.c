/* SPDX-License-Identifier: MIT */
/*
 * epoll_echo_server HOST:PORT: the benchmark's reference UDP echo
 * (bench/baselines/epoll_echo.c) as a program, so the test clients can be
 * checked against a server that is not ringplane. Stops on SIGTERM/SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench/baselines/epoll_echo.h"
#include "tool.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct rp_epoll_echo_stats st = { 0 };
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, rc;

	if (argc != 2 || !strcmp(argv[1], "--help")) {
		fprintf(argc == 2 ? stdout : stderr, "usage: epoll_echo_server HOST:PORT\n");
		return argc == 2 ? 0 : 2;
	}
	if (tool_parse_addr("epoll_echo_server", argv[1], &ss, &len) < 0)
		return 1;
	fd = rp_epoll_echo_bind((struct sockaddr *)&ss, len);
	if (fd < 0) {
		fprintf(stderr, "epoll_echo_server: bind %s: %s\n", argv[1], strerror(-fd));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	rc = rp_epoll_echo_serve(fd, &stop, &st);
	close(fd);
	fprintf(stderr, "epoll_echo_server: %llu echoed, %llu dropped%s%s\n",
		(unsigned long long)st.echoed, (unsigned long long)st.dropped,
		rc ? ": " : "", rc ? strerror(-rc) : "");
	return rc ? 1 : 0;
}
