/* SPDX-License-Identifier: MIT */
/* The zcrx area: anonymous memory or a udmabuf over a memfd (see zcrx_area.h). */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/udmabuf.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "dataplane/zcrx_area.h"

#define UDMABUF_DEV "/dev/udmabuf"

const char *rp_zcrx_area_src_name(enum rp_rx_zc_src src)
{
	return src == RP_RXZC_SRC_DMABUF ? "dmabuf" : "memory";
}

/* Built as a module that is not loaded, or not built at all? */
static bool udmabuf_module_present(void)
{
	static const char *const ext[] = { "", ".xz", ".zst", ".gz" };
	struct utsname u;
	char path[512];

	if (uname(&u))
		return false;
	for (unsigned i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(path, sizeof(path), "/lib/modules/%s/kernel/drivers/dma-buf/udmabuf.ko%s",
			 u.release, ext[i]);
		if (!access(path, F_OK))
			return true;
	}
	return false;
}

int rp_zcrx_area_probe(enum rp_rx_zc_src src, char *why, size_t len)
{
	struct stat st;

	if (src != RP_RXZC_SRC_DMABUF)
		return 0;
	if (stat(UDMABUF_DEV, &st) == 0)
		return S_ISCHR(st.st_mode) ? 0 : (snprintf(why, len, UDMABUF_DEV " is not a "
							   "character device"), -ENODEV);
	if (errno != ENOENT)
		return snprintf(why, len, UDMABUF_DEV ": %s", strerror(errno)), -errno;
	if (udmabuf_module_present())
		snprintf(why, len, "no " UDMABUF_DEV ": the udmabuf module is not loaded "
			 "(modprobe udmabuf), or use rx-zerocopy-area-source: memory");
	else
		snprintf(why, len, "no " UDMABUF_DEV ": kernel without CONFIG_UDMABUF; use "
			 "rx-zerocopy-area-source: memory");
	return -ENODEV;
}

static int open_memory(struct rp_zcrx_area *a, char *why, size_t why_len)
{
	void *p = mmap(NULL, a->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return snprintf(why, why_len, "area of %zu bytes: %s", a->len, strerror(errno)),
		       -errno;
	a->base = p;
	return 0;
}

/* udmabuf wants a shmem memfd sealed against shrinking (and not against
 * writing), page-aligned offset and size. */
static int make_memfd(size_t len, char *why, size_t why_len)
{
	int fd = memfd_create("ringplane-zcrx", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return snprintf(why, why_len, "memfd_create: %s", strerror(errno)), -errno;
	if (ftruncate(fd, (off_t)len) || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		int err = errno;

		close(fd);
		return snprintf(why, why_len, "memfd of %zu bytes: %s", len, strerror(err)), -err;
	}
	return fd;
}

static int make_udmabuf(int memfd, size_t len, char *why, size_t why_len)
{
	struct udmabuf_create c = { .memfd = (uint32_t)memfd, .flags = UDMABUF_FLAGS_CLOEXEC,
				    .offset = 0, .size = len };
	int dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC), fd;

	if (dev < 0)
		return snprintf(why, why_len, "open " UDMABUF_DEV ": %s", strerror(errno)), -errno;
	fd = ioctl(dev, UDMABUF_CREATE, &c);	/* the dma-buf's fd */
	if (fd < 0)
		snprintf(why, why_len, UDMABUF_DEV ": UDMABUF_CREATE of %zu bytes: %s", len,
			 strerror(errno));
	fd = fd < 0 ? -errno : fd;
	close(dev);
	return fd;
}

static int open_dmabuf(struct rp_zcrx_area *a, char *why, size_t why_len)
{
	void *p;
	int ret = rp_zcrx_area_probe(RP_RXZC_SRC_DMABUF, why, why_len);

	if (ret)
		return ret;
	if ((a->memfd = make_memfd(a->len, why, why_len)) < 0)
		return a->memfd;
	if ((a->dmabuf_fd = make_udmabuf(a->memfd, a->len, why, why_len)) < 0)
		return a->dmabuf_fd;
	p = mmap(NULL, a->len, PROT_READ | PROT_WRITE, MAP_SHARED, a->memfd, 0);
	if (p == MAP_FAILED)
		return snprintf(why, why_len, "mapping the memfd: %s", strerror(errno)), -errno;
	a->base = p;
	return 0;
}

int rp_zcrx_area_open(struct rp_zcrx_area *a, enum rp_rx_zc_src src, size_t len, char *why,
		      size_t why_len)
{
	int ret;

	*a = (struct rp_zcrx_area){ .src = src, .len = len, .memfd = -1, .dmabuf_fd = -1 };
	ret = src == RP_RXZC_SRC_DMABUF ? open_dmabuf(a, why, why_len) : open_memory(a, why, why_len);
	if (ret)
		rp_zcrx_area_close(a);
	return ret;
}

void rp_zcrx_area_reg(const struct rp_zcrx_area *a, struct io_uring_zcrx_area_reg *reg)
{
	memset(reg, 0, sizeof(*reg));
	reg->len = a->len;
	if (a->src == RP_RXZC_SRC_DMABUF) {
		reg->addr = 0;	/* an offset into the dma-buf: the kernel takes only 0 */
		reg->flags = IORING_ZCRX_AREA_DMABUF;
		reg->dmabuf_fd = (uint32_t)a->dmabuf_fd;
	} else {
		reg->addr = (uintptr_t)a->base;
	}
}

void rp_zcrx_area_close(struct rp_zcrx_area *a)
{
	if (a->base)
		munmap(a->base, a->len);
	if (a->dmabuf_fd >= 0)
		close(a->dmabuf_fd);
	if (a->memfd >= 0)
		close(a->memfd);
	a->base = NULL;
	a->memfd = a->dmabuf_fd = -1;
}
