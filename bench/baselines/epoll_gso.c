/* SPDX-License-Identifier: MIT */
/* Trains for the epoll reference server; see epoll_gso.h. */
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#include "bench/baselines/epoll_gso.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103	/* linux/udp.h */
#endif

static int same_peer(const struct msghdr *a, const struct msghdr *b)
{
	return a->msg_namelen == b->msg_namelen && !memcmp(a->msg_name, b->msg_name, a->msg_namelen);
}

/* How many messages from in[0] form one train (same rule as gso.c). */
static unsigned train_len(const struct mmsghdr *in, unsigned avail)
{
	unsigned n = 1, len = in[0].msg_len, bytes = len;

	if (len > RP_EPOLL_GSO_SEG_MAX || !len)
		return 1;
	while (n < avail && n < RP_EPOLL_GSO_SEGS && bytes + in[n].msg_len <= RP_EPOLL_GSO_BYTES &&
	       in[n].msg_len && in[n].msg_len <= len && same_peer(&in[0].msg_hdr, &in[n].msg_hdr)) {
		bytes += in[n].msg_len;
		if (in[n++].msg_len < len)
			break;
	}
	return n;
}

static void set_segment(struct msghdr *mh, char *buf, uint16_t seg)
{
	struct cmsghdr *cm;

	mh->msg_control = buf;
	mh->msg_controllen = CMSG_SPACE(sizeof(seg));
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
}

unsigned rp_epoll_gso_build(struct rp_epoll_gso_out *o, struct mmsghdr *in, struct iovec *iov,
			    unsigned n, unsigned *datagrams)
{
	unsigned out = 0;

	for (unsigned i = 0; i < n && out < o->cap;) {
		unsigned k = train_len(&in[i], n - i);
		struct msghdr *mh = &o->msgs[out].msg_hdr;

		for (unsigned j = 0; j < k; j++)
			iov[i + j].iov_len = in[i + j].msg_len;
		/* the received iovecs are consecutive: a train points at them */
		*mh = (struct msghdr){ .msg_name = in[i].msg_hdr.msg_name,
				       .msg_namelen = in[i].msg_hdr.msg_namelen,
				       .msg_iov = &iov[i], .msg_iovlen = k };
		if (k > 1)
			set_segment(mh, o->cmsg[out], (uint16_t)in[i].msg_len);
		datagrams[out++] = k;
		i += k;
	}
	return out;
}
