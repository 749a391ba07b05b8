/* SPDX-License-Identifier: MIT */
/*
 * The small netlink layer under nicmgr: one libmnl socket, generic netlink
 * family ids resolved once ("ethtool", "netdev"), request building, and one
 * talk() that sends a request and runs the answers (a reply, a dump, an ack)
 * through a callback. Every request asks for an ack with extended ack TLVs,
 * so a refusal comes back as errno + the kernel's own message, verbatim.
 *
 * Attribute parsing goes through rp_nl_parse(): a table of expected types
 * per attribute, checked for type and length before anyone reads a value,
 * so a truncated or malformed answer is an error (EBADMSG), never a crash.
 */
#ifndef RP_NIC_NL_H
#define RP_NIC_NL_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stdint.h>

#include "nicmgr/nicmgr.h"	/* struct rp_nic_status: errno + message */

/* ---- types ------------------------------------------------------------- */

struct rp_nl {
	struct mnl_socket *sk;
	unsigned portid;
	unsigned seq;
	uint16_t ethtool_family;	/* 0: this kernel lacks it */
	uint16_t netdev_family;
	char *buf;			/* request and receive buffer */
	size_t buf_len;
};

/* Expected attribute types for rp_nl_parse(): libmnl's, plus "uint", the
 * kernel's variable-width unsigned (4 or 8 bytes). RP_NLA_NONE: ignored. */
enum rp_nla_type {
	RP_NLA_NONE = 0,
	RP_NLA_U8,
	RP_NLA_U16,
	RP_NLA_U32,
	RP_NLA_U64,
	RP_NLA_UINT,
	RP_NLA_FLAG,
	RP_NLA_STRING,
	RP_NLA_NESTED,
	RP_NLA_BINARY,
};

/* ---- API --------------------------------------------------------------- */

int rp_nl_open(struct rp_nl *nl, struct rp_nic_status *e);
void rp_nl_close(struct rp_nl *nl);

/* Start a generic netlink request in nl->buf. */
struct nlmsghdr *rp_nl_req(struct rp_nl *nl, uint16_t family, uint8_t cmd,
			   uint16_t flags);
/* Start an ethtool request: genl header + ETHTOOL_A_*_HEADER nest naming
 * the device (every ethtool message has its header as attribute 1). */
struct nlmsghdr *rp_nl_ethtool_req(struct rp_nl *nl, uint8_t cmd, const char *dev,
				   uint32_t hdr_flags);

/*
 * Send req and run every answer through cb (NULL: expect only an ack).
 * Returns 0, or -1 with *e filled: the kernel's errno and ext-ack message,
 * or EBADMSG when cb found the answer malformed (cb returns MNL_CB_ERROR and
 * may leave its own text in e->msg beforehand).
 */
int rp_nl_talk(struct rp_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data,
	       struct rp_nic_status *e);

/*
 * Validate and index the attributes of a genl message (after its genl
 * header) or of a nest. policy[type] gives the expected type of each
 * attribute up to max; unknown (newer) attributes are skipped. tb has
 * max + 1 entries. Returns 0, or -1 with errno EBADMSG.
 */
int rp_nl_parse_msg(const struct nlmsghdr *nlh, const uint8_t *policy, unsigned max,
		    const struct nlattr **tb);
int rp_nl_parse_nest(const struct nlattr *nest, const uint8_t *policy, unsigned max,
		     const struct nlattr **tb);
/* Call fn for each attribute inside nest; -1 (EBADMSG) when one is cut
 * short, or when fn returns < 0. */
int rp_nl_nest_each(const struct nlattr *nest, int (*fn)(const struct nlattr *, void *),
		    void *data);
/* The value of an RP_NLA_UINT attribute (validated: 4 or 8 bytes). */
uint64_t rp_nl_get_uint(const struct nlattr *a);

#endif
