/* SPDX-License-Identifier: MIT */
/*
 * Baseline: a pipe. The message is the data: the sender writes the 8-byte
 * stamp, the receiver blocks in read() and takes whatever is there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench/baselines/wake.h"

struct wake_pipe {
	int fd[2];
};

static void *pipe_create(const void *arg)
{
	struct wake_pipe *w = malloc(sizeof(*w));

	(void)arg;
	if (w && pipe2(w->fd, O_CLOEXEC) == 0)
		return w;
	free(w);
	return NULL;
}

static int pipe_send(void *st, uint64_t stamp)
{
	struct wake_pipe *w = st;

	return write(w->fd[1], &stamp, sizeof(stamp)) == sizeof(stamp) ? 0 : -errno;
}

static int pipe_recv(void *st, uint64_t *stamps, unsigned max)
{
	struct wake_pipe *w = st;
	size_t got = 0, want = (size_t)max * sizeof(*stamps);
	ssize_t n;

	/* whole stamps only: a pipe write of 8 bytes is atomic, but one read
	 * may end between two of them when the buffer holds many */
	do {
		n = read(w->fd[0], (char *)stamps + got, want - got);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0)
			return -EPIPE;
		if (n > 0)
			got += (size_t)n;
	} while (got == 0 || got % sizeof(*stamps));
	return (int)(got / sizeof(*stamps));
}

static void pipe_destroy(void *st)
{
	struct wake_pipe *w = st;

	close(w->fd[0]);
	close(w->fd[1]);
	free(w);
}

const struct rp_wake_ops rp_wake_pipe = {
	.name = "pipe",
	.how = "pipe: 8-byte stamp written per message, receiver blocks in read()",
	.create = pipe_create,
	.send = pipe_send,
	.recv = pipe_recv,
	.destroy = pipe_destroy,
};
