// SPDX-License-Identifier: MIT
/* nicmgr's netlink layer: socket, family resolve, request/ack/dump, ext-ack. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nicmgr/nl.h"

/* Big enough for a dump batch of the kernel's (it fills up to 32 KiB). */
#define RP_NL_BUF (64 * 1024)

/* ---- attribute validation ----------------------------------------------- */

struct parse_ctx {
	const uint8_t *policy;
	unsigned max;
	const struct nlattr **tb;
};

/* Payload length each fixed-size type must have exactly. */
static const unsigned fixed_len[] = {
	[RP_NLA_U8] = 1, [RP_NLA_U16] = 2, [RP_NLA_U32] = 4, [RP_NLA_U64] = 8,
};

static bool attr_ok(const struct nlattr *a, uint8_t type)
{
	uint16_t len = mnl_attr_get_payload_len(a);
	const char *p = mnl_attr_get_payload(a);

	switch (type) {
	case RP_NLA_U8: case RP_NLA_U16: case RP_NLA_U32: case RP_NLA_U64:
		return len == fixed_len[type];
	case RP_NLA_UINT:
		return len == 4 || len == 8;
	case RP_NLA_FLAG:
		return len == 0;
	case RP_NLA_STRING:	/* NUL-terminated inside the payload */
		return len > 0 && memchr(p, '\0', len) != NULL;
	case RP_NLA_NESTED:
		return len == 0 || len >= MNL_ATTR_HDRLEN;
	default:
		return true;
	}
}

/*
 * Walk the attributes in [start, start + len). libmnl's own loops stop
 * quietly at an attribute that runs past the end; here that is an error, so
 * a truncated answer is reported instead of read as "attribute absent".
 */
static int walk(const void *start, int len, int (*fn)(const struct nlattr *, void *), void *data)
{
	const struct nlattr *a = start;

	while (mnl_attr_ok(a, len)) {
		if (fn(a, data) < 0)
			return -1;
		len -= MNL_ALIGN(a->nla_len);
		a = mnl_attr_next(a);
	}
	if (len > 0) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

static int parse_one(const struct nlattr *a, void *data)
{
	struct parse_ctx *c = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type > c->max || c->policy[type] == RP_NLA_NONE)
		return 0;	/* newer than us, or not needed */
	if (!attr_ok(a, c->policy[type])) {
		errno = EBADMSG;
		return -1;
	}
	c->tb[type] = a;
	return 0;
}

/*
 * libmnl's mnl_nlmsg_ok() compares nlmsg_len with the bytes received as an
 * int: a length of 2 GiB or more passes as negative, and whatever reads the
 * message by that length then runs past the buffer. Such a message is
 * malformed, whoever sent it (found by test/fuzz, fuzz_netlink).
 */
static bool msg_len_sane(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_len <= INT_MAX;
}

int rp_nl_parse_msg(const struct nlmsghdr *nlh, const uint8_t *policy, unsigned max,
		    const struct nlattr **tb)
{
	struct parse_ctx c = { policy, max, tb };
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr));

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (nlh->nlmsg_len < hdr || !msg_len_sane(nlh)) {
		errno = EBADMSG;
		return -1;
	}
	return walk((const char *)nlh + hdr, (int)(nlh->nlmsg_len - hdr), parse_one, &c);
}

int rp_nl_parse_nest(const struct nlattr *nest, const uint8_t *policy, unsigned max,
		     const struct nlattr **tb)
{
	struct parse_ctx c = { policy, max, tb };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return rp_nl_nest_each(nest, parse_one, &c);
}

int rp_nl_nest_each(const struct nlattr *nest, int (*fn)(const struct nlattr *, void *),
		    void *data)
{
	return walk(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), fn, data);
}

uint64_t rp_nl_get_uint(const struct nlattr *a)
{
	if (mnl_attr_get_payload_len(a) == 8)
		return mnl_attr_get_u64(a);
	return mnl_attr_get_u32(a);
}

/* ---- requests ----------------------------------------------------------- */

struct nlmsghdr *rp_nl_req(struct rp_nl *nl, uint16_t family, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

struct nlmsghdr *rp_nl_ethtool_req(struct rp_nl *nl, uint8_t cmd, const char *dev,
				   uint32_t hdr_flags)
{
	struct nlmsghdr *nlh = rp_nl_req(nl, nl->ethtool_family, cmd, 0);
	struct nlattr *hdr = mnl_attr_nest_start(nlh, 1 /* ETHTOOL_A_*_HEADER */);

	mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, dev);
	if (hdr_flags)
		mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_FLAGS, hdr_flags);
	mnl_attr_nest_end(nlh, hdr);
	return nlh;
}

/* ---- answers: replies, acks, ext-ack ------------------------------------ */

struct talk {
	mnl_cb_t cb;
	void *data;
	struct rp_nic_status *e;
	bool cut_short;		/* stopped at a bad answer: more may be queued */
};

static int ext_ack_cb(const struct nlattr *a, void *data)
{
	struct rp_nic_status *e = data;

	/* "Invalid argument: requested channel count exceeds maximum" */
	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    attr_ok(a, RP_NLA_STRING))
		snprintf(e->msg, sizeof(e->msg), "%s: %s", strerror(e->err), mnl_attr_get_str(a));
	return MNL_CB_OK;
}

/* NLMSG_ERROR: error 0 is the ack that ends a request; otherwise keep the
 * errno and the kernel's message (the TLVs after the echoed request). */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*err);

	if (!msg_len_sane(nlh) || mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		rp_nic_status_set(t->e, EBADMSG, "truncated netlink error message");
		return MNL_CB_ERROR;
	}
	if (err->error == 0)
		return MNL_CB_STOP;
	rp_nic_status_set(t->e, -err->error, "%s", strerror(-err->error));
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* capped: only the request's header was echoed */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += err->msg.nlmsg_len - sizeof(err->msg);
		if (off <= mnl_nlmsg_get_payload_len(nlh))
			mnl_attr_parse(nlh, off, ext_ack_cb, t->e);
	}
	errno = t->e->err;
	return MNL_CB_ERROR;
}

/* NLMSG_DONE ends a dump; it carries an error code when the dump failed. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int ret = 0;

	if (!msg_len_sane(nlh)) {
		rp_nic_status_set(t->e, EBADMSG, "netlink message length out of range");
		return MNL_CB_ERROR;
	}
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
		memcpy(&ret, mnl_nlmsg_get_payload(nlh), sizeof(ret));
	if (ret >= 0)
		return MNL_CB_STOP;
	rp_nic_status_set(t->e, -ret, "%s", strerror(-ret));
	errno = t->e->err;
	return MNL_CB_ERROR;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int ret;

	if (!t->cb)
		return MNL_CB_OK;
	ret = t->cb(nlh, t->data);
	if (ret == MNL_CB_ERROR) {
		t->cut_short = true;
		if (!t->e->err)
			rp_nic_status_set(t->e, EBADMSG, "malformed netlink answer");
	}
	return ret;
}

/* After a request was abandoned at a bad answer, the rest of it (more of
 * a dump, its DONE, the ack) is still queued: read it away, without
 * waiting, so the next request does not get it (a netlink dump queues its
 * next batch as each one is read, so nothing is left behind). */
static void drain(struct rp_nl *nl)
{
	while (recv(mnl_socket_get_fd(nl->sk), nl->buf, nl->buf_len, MSG_DONTWAIT) > 0)
		;
}

int rp_nl_talk(struct rp_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data,
	       struct rp_nic_status *e)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	struct talk t = { cb, data, e, false };
	unsigned seq = req->nlmsg_seq;
	ssize_t n;
	int ret;

	e->err = 0;
	e->msg[0] = '\0';
	if (mnl_socket_sendto(nl->sk, req, req->nlmsg_len) < 0) {
		rp_nic_status_set(e, errno, "netlink send: %s", strerror(errno));
		return -1;
	}
	do {
		n = mnl_socket_recvfrom(nl->sk, nl->buf, nl->buf_len);
		if (n < 0) {
			rp_nic_status_set(e, errno, "netlink receive: %s", strerror(errno));
			return -1;
		}
		ret = mnl_cb_run2(nl->buf, n, seq, nl->portid, data_cb, &t,
				  ctl, NLMSG_MIN_TYPE);
	} while (ret == MNL_CB_OK);
	if (ret == MNL_CB_ERROR) {
		if (t.cut_short)
			drain(nl);
		if (!e->err)
			rp_nic_status_set(e, errno ? errno : EBADMSG, "%s",
				      strerror(errno ? errno : EBADMSG));
		return -1;
	}
	return 0;
}

/* ---- socket and families ------------------------------------------------ */

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	static const uint8_t policy[CTRL_ATTR_FAMILY_ID + 1] = {
		[CTRL_ATTR_FAMILY_ID] = RP_NLA_U16,
	};
	const struct nlattr *tb[CTRL_ATTR_FAMILY_ID + 1];

	if (rp_nl_parse_msg(nlh, policy, CTRL_ATTR_FAMILY_ID, tb) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_ID])
		return MNL_CB_ERROR;
	*(uint16_t *)data = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return MNL_CB_OK;
}

/* 0 when the kernel has no such family (ENOENT): callers report the
 * sections that need it as unsupported, not the whole command as failed. */
static int resolve(struct rp_nl *nl, const char *name, uint16_t *id, struct rp_nic_status *e)
{
	struct nlmsghdr *nlh = rp_nl_req(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	*id = 0;
	if (rp_nl_talk(nl, nlh, family_cb, id, e) == 0)
		return 0;
	if (e->err == ENOENT) {
		e->err = 0;
		return 0;
	}
	return -1;
}

int rp_nl_open(struct rp_nl *nl, struct rp_nic_status *e)
{
	int on = 1;

	memset(nl, 0, sizeof(*nl));
	nl->buf_len = RP_NL_BUF;
	nl->buf = malloc(nl->buf_len);
	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->buf || !nl->sk) {
		rp_nic_status_set(e, errno, "generic netlink socket: %s", strerror(errno));
		rp_nl_close(nl);
		return -1;
	}
	/* Ext-ack for the kernel's own words; capped acks so a refused big
	 * request does not come back whole. */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &on, sizeof(on));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &on, sizeof(on));
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		rp_nic_status_set(e, errno, "bind generic netlink socket: %s", strerror(errno));
		rp_nl_close(nl);
		return -1;
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (unsigned)getpid() << 8;
	if (resolve(nl, "ethtool", &nl->ethtool_family, e) < 0 ||
	    resolve(nl, "netdev", &nl->netdev_family, e) < 0) {
		rp_nl_close(nl);
		return -1;
	}
	return 0;
}

void rp_nl_close(struct rp_nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	free(nl->buf);
	nl->sk = NULL;
	nl->buf = NULL;
}
