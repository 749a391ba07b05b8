/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a channel file (chan/) written by a hostile co-tenant.
 * The input is a list of (offset, byte) patches applied to a valid channel
 * file of 16 slots x 48 B, 4 receivers, whose slots hold 12 messages; its
 * first byte picks the mode and whether the header checksum is recomputed
 * after patching (so the checks behind it are reached too; the block
 * timeout is then kept at its 1 ms). Then a
 * receiver attaches (validation), receives, waits without sleeping, reads
 * the stats, reaps, and a sender sends: every path that reads shared
 * memory runs over the patched bytes. Refusals and lost messages are
 * fine; a bad access (ASan), undefined behaviour (UBSan) or a hang (the
 * -timeout) is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "chan/internal.h"

static char name[64];
static uint8_t *image[3];	/* a valid file with 12 messages, per mode */
static size_t image_len;

static void make_image(int m)
{
	struct rp_chan_params p;
	struct rp_chan_err e;
	struct rp_chan *tx, *rx;

	rp_chan_params_default(&p);
	p.mode = (enum rp_chan_mode)(m + 1);
	p.slots = 16;
	p.slot_size = 48;
	p.max_receivers = 4;
	p.block_timeout_ms = 1;
	rp_chan_destroy(name, &e);
	if (rp_chan_create(name, &p, &e) || !(rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e)) ||
	    !(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e)))
		abort();
	for (int i = 0; i < 12; i++)
		rp_chan_send(tx, "0123456789abcdef", 1 + (size_t)i);
	image_len = tx->map_len;
	image[m] = malloc(image_len);
	memcpy(image[m], tx->map, image_len);
	rp_chan_detach(tx);
	rp_chan_detach(rx);
}

static void cleanup(void)
{
	struct rp_chan_err e;

	if (rp_chan_destroy(name, &e)) {	/* a patched file may not validate */
		char path[128];

		rp_chan_path(name, path, sizeof(path));
		unlink(path);
	}
}

static void setup(void)
{
	snprintf(name, sizeof(name), "fuzz-%d", (int)getpid());
	atexit(cleanup);
	for (int m = 0; m < 3; m++)
		make_image(m);
}

static void use(void)
{
	struct rp_chan_err e;
	struct rp_chan_info *info = malloc(sizeof(*info));
	struct rp_chan *rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e), *tx;
	char buf[48] = "x";

	if (!rx || !info) {
		free(info);
		return;
	}
	for (int i = 0; i < 20; i++)
		rp_chan_recv(rx, buf, sizeof(buf), NULL);
	rp_chan_wait(rx, 0);
	rp_chan_reap(rx);
	if ((tx = rp_chan_attach(name, RP_CHAN_SENDER, &e))) {
		rp_chan_send(tx, buf, 8);
		rp_chan_info(tx, info);
		rp_chan_detach(tx);
	}
	rp_chan_recv(rx, buf, sizeof(buf), NULL);
	rp_chan_detach(rx);
	free(info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[128];
	uint8_t *file;
	FILE *f;
	int m;

	if (!image[0])
		setup();
	if (size < 1)
		return 0;
	m = data[0] % 3;
	if (!(file = malloc(image_len)))
		return 0;
	memcpy(file, image[m], image_len);
	for (size_t i = 1; i + 3 <= size; i += 3)
		file[((size_t)data[i] | (size_t)data[i + 1] << 8) % image_len] = data[i + 2];
	if (data[0] & 4) {
		struct rp_chan_fixed *fx = (struct rp_chan_fixed *)file;

		/* The block timeout is the channel's own setting: a long one
		 * makes a send wait that long, rightly. Kept at 1 ms. */
		fx->block_timeout_ms = 1;
		fx->check = rp_chan_fixed_check(fx);
	}
	rp_chan_path(name, path, sizeof(path));
	if ((f = fopen(path, "w"))) {
		fwrite(file, 1, image_len, f);
		fclose(f);
		use();
	}
	free(file);
	return 0;
}
