/* SPDX-License-Identifier: MIT */
/* Channel lifecycle: name -> file, create, attach, detach, destroy, info. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chan/internal.h"

void rp_chan_errf(struct rp_chan_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void rp_chan_params_default(struct rp_chan_params *p)
{
	*p = (struct rp_chan_params){
		.mode = RP_CHAN_UNICAST, .policy = RP_CHAN_BLOCK, .slots = 1024,
		.slot_size = 256, .max_receivers = 16, .block_timeout_ms = 1000,
		.perm = 0600, .gid = (gid_t)-1,
	};
}

int rp_chan_path(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (n == 0 || n > RP_CHAN_NAME_MAX || name[0] == '.')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return -EINVAL;
	}
	if ((size_t)snprintf(buf, len, "%s/%s%s", RP_CHAN_DIR, RP_CHAN_PREFIX, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int name_to_path(const char *name, char *buf, size_t len, struct rp_chan_err *e)
{
	int r = rp_chan_path(name, buf, len);

	if (r)
		rp_chan_errf(e, "channel name '%s': use 1 to %d of [A-Za-z0-9._-], not starting with '.'",
			     name, RP_CHAN_NAME_MAX);
	return r;
}

/* Write the new file under a temporary name, complete, then link it into
 * place: nobody can attach to a half-initialized channel. */
static int create_tmp(const char *tmp, const struct rp_chan_params *p, struct rp_chan_err *e)
{
	struct rp_chan_fixed f;
	struct rp_chan_shm *shm;
	int fd, r = 0;

	rp_chan_layout_fill(&f, p);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		rp_chan_errf(e, "%s: cannot create: %s", tmp, strerror(errno));
		return r;
	}
	if (ftruncate(fd, (off_t)f.file_size) || fchmod(fd, p->perm & 0777) ||
	    (p->gid != (gid_t)-1 && fchown(fd, (uid_t)-1, p->gid))) {
		r = -errno;
		rp_chan_errf(e, "%s: cannot size or set permissions: %s", tmp, strerror(errno));
	} else if ((shm = mmap(NULL, RP_CHAN_HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			       fd, 0)) == MAP_FAILED) {
		r = -errno;
		rp_chan_errf(e, "%s: cannot map: %s", tmp, strerror(errno));
	} else {
		/* The file is zero-filled: every slot seq 0 (free for its first
		 * lap), every counter 0. Only the fixed part needs writing. */
		memcpy(&shm->fixed, &f, sizeof(f));
		atomic_store_explicit(&shm->creator_pid, getpid(), memory_order_relaxed);
		munmap(shm, RP_CHAN_HDR_SIZE);
	}
	close(fd);
	return r;
}

int rp_chan_create(const char *name, const struct rp_chan_params *p, struct rp_chan_err *e)
{
	char path[128], tmp[160];
	int r;

	if (name_to_path(name, path, sizeof(path), e))
		return -EINVAL;
	if ((r = rp_chan_params_check(path, p, e)))
		return r;
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	unlink(tmp);
	if ((r = create_tmp(tmp, p, e)) == 0 && link(tmp, path)) {
		r = -errno;
		rp_chan_errf(e, "%s: %s", path, errno == EEXIST ? "channel exists already"
			     : strerror(errno));
	}
	unlink(tmp);
	return r;
}

static int open_checked(const char *path, struct rp_chan_fixed *f, struct rp_chan_err *e)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW), r;

	if (fd < 0) {
		r = -errno;
		if (errno == ENOENT)
			rp_chan_errf(e, "%s: no such channel", path);
		else
			rp_chan_errf(e, "%s: cannot open for reading and writing: %s", path,
				     strerror(errno));
		return r;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rp_chan_errf(e, "%s: not a regular file", path);
		r = -EPROTO;
	} else if ((uint64_t)st.st_size < sizeof(*f)) {
		rp_chan_errf(e, "%s: truncated file (%lld bytes, smaller than a channel header)",
			     path, (long long)st.st_size);
		r = -EPROTO;
	} else if (pread(fd, f, sizeof(*f), 0) != (ssize_t)sizeof(*f)) {
		rp_chan_errf(e, "%s: cannot read the header", path);
		r = -EIO;
	} else {
		r = rp_chan_fixed_validate(path, f, (uint64_t)st.st_size, e);
	}
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

static struct rp_chan *map_channel(const char *path, struct rp_chan_err *e)
{
	struct rp_chan_fixed f;
	struct rp_chan *ch;
	int fd = open_checked(path, &f, e);

	if (fd < 0)
		return NULL;
	if (!(ch = calloc(1, sizeof(*ch)))) {
		rp_chan_errf(e, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	ch->map = mmap(NULL, f.file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (ch->map == MAP_FAILED) {
		rp_chan_errf(e, "%s: cannot map: %s", path, strerror(errno));
		free(ch);
		return NULL;
	}
	snprintf(ch->path, sizeof(ch->path), "%s", path);
	ch->map_len = f.file_size;
	if (!(ch->guard = rp_chan_guard_add(ch->map, ch->map_len, &ch->broken,
					    RP_CHAN_BROKEN_FILE))) {
		rp_chan_errf(e, "%s: cannot guard the mapping against truncation (SIGBUS "
			     "handler not installed, or too many channel mappings in this process)",
			     path);
		munmap(ch->map, ch->map_len);
		free(ch);
		return NULL;
	}
	ch->shm = ch->map;
	ch->rx = (struct rp_chan_shm_rx *)((uint8_t *)ch->map + f.rx_off);
	ch->slots = (uint8_t *)ch->map + f.ring_off;
	ch->mode = f.mode;
	ch->policy = f.policy;
	ch->nslots = f.slots;
	ch->mask = f.slots - 1;
	ch->slot_size = f.slot_size;
	ch->stride = f.slot_stride;
	ch->max_rx = f.max_receivers;
	ch->block_timeout_ms = f.block_timeout_ms;
	ch->rx_idx = -1;
	ch->region_idx = -1;
	ch->rx_batch = 1;
	return ch;
}

static void unmap_channel(struct rp_chan *ch)
{
	rp_chan_wait_release(ch);
	rp_chan_guard_remove(ch->guard);
	munmap(ch->map, ch->map_len);
	free(ch);
}

struct rp_chan *rp_chan_attach(const char *name, enum rp_chan_role role, struct rp_chan_err *e)
{
	char path[128];
	struct rp_chan *ch;

	if (name_to_path(name, path, sizeof(path), e))
		return NULL;
	if (role != RP_CHAN_SENDER && role != RP_CHAN_RECEIVER) {
		rp_chan_errf(e, "%s: role is not sender or receiver", path);
		return NULL;
	}
	if (!(ch = map_channel(path, e)))
		return NULL;
	ch->role = role;
	ch->pid = getpid();
	if (atomic_load_explicit(&ch->shm->destroyed, memory_order_relaxed)) {
		rp_chan_errf(e, "%s: channel is being destroyed", path);
		unmap_channel(ch);
		return NULL;
	}
	if (role == RP_CHAN_RECEIVER && rp_chan_rx_register(ch, e)) {
		unmap_channel(ch);
		return NULL;
	}
	return ch;
}

void rp_chan_detach(struct rp_chan *ch)
{
	if (!ch)
		return;
	if (ch->rx_idx >= 0) {
		rp_chan_hold_clear(ch);
		rp_chan_rx_unregister(ch, ch->rx_idx);
	}
	rp_chan_regions_release(ch);
	unmap_channel(ch);
}

const char *rp_chan_broken(const struct rp_chan *ch)
{
	uint32_t b = atomic_load_explicit(&ch->broken, memory_order_relaxed);

	if (b & RP_CHAN_BROKEN_FILE)
		return "channel file truncated by another process (its pages now read as zeros)";
	if (b & RP_CHAN_BROKEN_REGION)
		return "a by-reference region file truncated by another process (its pages now "
		       "read as zeros)";
	return NULL;
}

int rp_chan_destroy(const char *name, struct rp_chan_err *e)
{
	char path[128];
	struct rp_chan *ch;

	if (name_to_path(name, path, sizeof(path), e))
		return -EINVAL;
	/* Only a file that validates as a channel is removed: a foreign file
	 * under our prefix is left alone and reported. */
	if (!(ch = map_channel(path, e)))
		return -ENOENT;
	if (unlink(path)) {
		int r = -errno;

		rp_chan_errf(e, "%s: cannot remove: %s", path, strerror(errno));
		unmap_channel(ch);
		return r;
	}
	rp_chan_regions_unlink(ch);
	atomic_store_explicit(&ch->shm->destroyed, 1, memory_order_release);
	rp_chan_wake_all(ch);
	rp_chan_wake_senders(ch);
	unmap_channel(ch);
	return 0;
}
