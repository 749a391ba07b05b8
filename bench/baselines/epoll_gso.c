/* SPDX-License-Identifier: MIT */
/* Trains for the epoll reference server; see epoll_gso.h. */
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#include "bench/baselines/epoll_gso.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103	/* linux/udp.h */
#endif
#ifndef UDP_GRO
#define UDP_GRO 104	/* linux/udp.h */
#endif

static int same_peer(const struct msghdr *a, const struct msghdr *b)
{
	return a->msg_namelen == b->msg_namelen && !memcmp(a->msg_name, b->msg_name, a->msg_namelen);
}

/* How many messages from in[0] form one train (same rule as gso.c); a
 * coalesced message (seg[i] set) is never part of one. */
static unsigned train_len(const struct mmsghdr *in, const unsigned *seg, unsigned avail)
{
	unsigned n = 1, len = in[0].msg_len, bytes = len;

	if (len > RP_EPOLL_GSO_SEG_MAX || !len || (seg && seg[0]))
		return 1;
	while (n < avail && n < RP_EPOLL_GSO_SEGS && bytes + in[n].msg_len <= RP_EPOLL_GSO_BYTES &&
	       !(seg && seg[n]) &&
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

unsigned rp_epoll_gro_seg(const struct msghdr *mh, unsigned len)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR((struct msghdr *)mh, cm))
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
			int seg;

			memcpy(&seg, CMSG_DATA(cm), sizeof(seg));
			return seg > 0 && (unsigned)seg < len ? (unsigned)seg : 0;
		}
	return 0;
}

/* A coalesced buffer goes back as it came: one iovec cut every seg bytes. */
static unsigned gro_entry(struct rp_epoll_gso_out *o, unsigned out, struct mmsghdr *in,
			  struct iovec *iov, unsigned seg)
{
	struct msghdr *mh = &o->msgs[out].msg_hdr;

	iov->iov_len = in->msg_len;
	*mh = (struct msghdr){ .msg_name = in->msg_hdr.msg_name,
			       .msg_namelen = in->msg_hdr.msg_namelen, .msg_iov = iov, .msg_iovlen = 1 };
	set_segment(mh, o->cmsg[out], (uint16_t)seg);
	return (in->msg_len + seg - 1) / seg;
}

unsigned rp_epoll_gso_build(struct rp_epoll_gso_out *o, struct mmsghdr *in, struct iovec *iov,
			    const unsigned *seg, unsigned n, unsigned *datagrams)
{
	unsigned out = 0;

	for (unsigned i = 0; i < n && out < o->cap;) {
		unsigned k = train_len(&in[i], seg ? &seg[i] : NULL, n - i);
		struct msghdr *mh = &o->msgs[out].msg_hdr;

		if (seg && seg[i]) {
			datagrams[out] = gro_entry(o, out, &in[i], &iov[i], seg[i]);
			out++;
			i++;
			continue;
		}
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
