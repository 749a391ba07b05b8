/* SPDX-License-Identifier: MIT */
/*
 * The zcrx area (services[].rx-zerocopy-area-source): the memory the NIC
 * writes payload into and RECV_ZC completions point into (zcrx.h).
 *
 *   memory  anonymous pages of the worker; the registration pins them
 *           (kernel io_uring/zcrx.c io_import_umem).
 *   dmabuf  a udmabuf made over a sealed memfd through /dev/udmabuf
 *           (UDMABUF_CREATE, linux/udmabuf.h) and registered with
 *           IORING_ZCRX_AREA_DMABUF (io_import_dmabuf: the address is an
 *           offset into the dma-buf, 0 here, and the length must be the
 *           whole dma-buf). The CPU reads the same pages through a shared
 *           mapping of the memfd, so a completion's offset is also the
 *           offset in that mapping. The kernel cannot copy into a dma-buf
 *           area (io_zcrx_copy_chunk refuses with EFAULT): data that did
 *           not arrive on the zcrx queue fails the receive instead of being
 *           copied.
 *
 * The dmabuf path follows the kernel's uapi and io_uring/zcrx.c; it has not
 * run here: the machines this was written on have no CONFIG_UDMABUF (no
 * /dev/udmabuf), which rp_zcrx_area_probe reports.
 */
#ifndef RP_ZCRX_AREA_H
#define RP_ZCRX_AREA_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct io_uring_zcrx_area_reg;

struct rp_zcrx_area {
	enum rp_rx_zc_src src;
	uint8_t *base;		/* the CPU's view of the whole area */
	size_t len;		/* whole pages */
	int memfd, dmabuf_fd;	/* dmabuf only; -1 otherwise */
};

/* Can this machine make an area of this source at all? 0, or -errno with
 * why ("no /dev/udmabuf: kernel without CONFIG_UDMABUF; use
 * rx-zerocopy-area-source: memory"). Reads only. */
int rp_zcrx_area_probe(enum rp_rx_zc_src src, char *why, size_t len);
/* Make it: 0, or -errno with why and nothing left open. */
int rp_zcrx_area_open(struct rp_zcrx_area *a, enum rp_rx_zc_src src, size_t len, char *why,
		      size_t why_len);
/* The registration's description of it (struct io_uring_zcrx_area_reg). */
void rp_zcrx_area_reg(const struct rp_zcrx_area *a, struct io_uring_zcrx_area_reg *reg);
/* After the ring that registered it is gone. */
void rp_zcrx_area_close(struct rp_zcrx_area *a);
/* The source's name in config spelling ("memory", "dmabuf"). */
const char *rp_zcrx_area_src_name(enum rp_rx_zc_src src);

#endif
