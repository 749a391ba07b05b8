/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: nicmgr's netlink answer parsers. The input is one
 * netlink message as the kernel would answer (header, genl header,
 * attributes); every parser of family.h reads it, as a confused or hostile
 * kernel could send any answer to any request. Each must return 0 or -1,
 * reading nothing outside the message.
 *
 * libmnl is not instrumented, so its own reads past the message go
 * unnoticed and return whatever lies there. The message is therefore
 * followed by poisoned bytes that look like valid attributes: libmnl
 * reads them and carries on, and the first read of ours that follows is
 * caught, the same way every run (not only when the heap happens to hold
 * a plausible length there).
 */
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nicmgr/family.h"

static void parse_all(const struct nlmsghdr *nlh)
{
	static char names[64][RP_SS_NAME];
	struct rp_nic_features feats;
	struct rp_nic_queue q;
	struct rp_nic_napi napi;
	struct rp_nic_rss rss;
	struct rp_nic_sect sect;
	unsigned ifindex, n;
	int up;

	for (unsigned i = 0; i < RP_NIC_SECT__COUNT; i++)
		rp_nic_sect_parse(nlh, rp_nic_sects[i], &sect);
	if (rp_nic_strset_parse(nlh, names, 64, &n) == 0)
		rp_nic_features_parse(nlh, names, n, &feats);
	rp_nic_linkstate_parse(nlh, &up);
	rp_nic_rss_parse(nlh, &rss);
	rp_nic_napi_parse(nlh, &ifindex, &napi);
	rp_nic_queue_parse(nlh, &ifindex, &q);
	rp_nic_qstats_parse(nlh, &ifindex, &q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t attr4[4] = { 4, 0, 1, 0 };	/* nla_len 4, type 1 */
	enum { TAIL = 256 };
	struct nlmsghdr *nlh;
	uint8_t *buf;

	/* nl.c hands a parser only what libmnl's mnl_nlmsg_ok accepted */
	if (size < sizeof(*nlh))
		return 0;
	buf = malloc(size + TAIL);
	memcpy(buf, data, size);
	for (size_t i = 0; i < TAIL; i++)
		buf[size + i] = attr4[(size + i) % 4];
	ASAN_POISON_MEMORY_REGION(buf + size, TAIL);
	nlh = (struct nlmsghdr *)buf;
	if (mnl_nlmsg_ok(nlh, (int)size))
		parse_all(nlh);
	ASAN_UNPOISON_MEMORY_REGION(buf + size, TAIL);
	free(buf);
	return 0;
}
