// SPDX-License-Identifier: MIT
/* Statuses and the numeric field tables shared by every section. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nicmgr/family.h"

void rp_nic_status_set(struct rp_nic_status *st, int err, const char *fmt, ...)
{
	va_list ap;

	st->err = err;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
}

/* EOPNOTSUPP is the usual answer; a driver without the ethtool op at all
 * can also give ENODEV-free EINVAL-less variants, so list them once here. */
bool rp_nic_unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOTSUP || err == ENOENT ||
	       err == EPROTONOSUPPORT || err == ENOSYS;
}

void rp_nic_fields_get(const struct rp_nic_field *f, unsigned n, const struct nlattr *const *tb,
		       int64_t *v)
{
	for (unsigned i = 0; i < n; i++) {
		const struct nlattr *a = tb[f[i].attr];

		if (!a) {
			v[i] = RP_NIC_ABSENT;
			continue;
		}
		switch (f[i].nla) {
		case RP_NLA_U8:   v[i] = mnl_attr_get_u8(a); break;
		case RP_NLA_U32:  v[i] = mnl_attr_get_u32(a); break;
		case RP_NLA_UINT: v[i] = (int64_t)rp_nl_get_uint(a); break;
		default:          v[i] = RP_NIC_ABSENT; break;
		}
	}
}

void rp_nic_field_put(struct nlmsghdr *nlh, const struct rp_nic_field *f, int64_t v)
{
	switch (f->nla) {
	case RP_NLA_U8:   mnl_attr_put_u8(nlh, f->attr, (uint8_t)v); break;
	case RP_NLA_U32:  mnl_attr_put_u32(nlh, f->attr, (uint32_t)v); break;
	case RP_NLA_UINT: mnl_attr_put_u64(nlh, f->attr, (uint64_t)v); break;
	default: break;
	}
}

int64_t rp_nic_field_wanted(const struct rp_nic_field *f, const struct rp_iface_cfg *cfg)
{
	const char *base = (const char *)cfg;
	long l;
	enum rp_tristate t;

	switch (f->cfg_kind) {
	case RP_CFG_LONG:
		memcpy(&l, base + f->cfg_off, sizeof(l));
		return l == RP_UNSET ? RP_NIC_ABSENT : l;
	case RP_CFG_TRI:
		memcpy(&t, base + f->cfg_off, sizeof(t));
		if (t == RP_TRI_UNSET)
			return RP_NIC_ABSENT;
		return t == RP_TRI_ON ? f->tri_on : f->tri_off;
	default:
		return RP_NIC_ABSENT;
	}
}
