/* SPDX-License-Identifier: MIT */
/*
 * The service table: one row per enum rp_svc_type. A new service is one file
 * with its struct rp_svc_ops and one line here.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/log.h"
#include "dataplane/reuseport.h"
#include "dataplane/svc.h"

static const struct rp_svc_ops *const svc_table[RP_SVC__COUNT] = {
	[RP_SVC_UDP_ECHO] = &rp_svc_udp_echo,
	[RP_SVC_TCP_ECHO] = &rp_svc_tcp_echo,
	[RP_SVC_TCP_PROXY] = &rp_svc_tcp_proxy,
	[RP_SVC_UDP_RELAY] = &rp_svc_udp_relay,
};

const struct rp_svc_ops *rp_svc_ops_for(enum rp_svc_type type)
{
	return (unsigned)type < RP_SVC__COUNT ? svc_table[type] : NULL;
}

unsigned rp_svc_backend_blocks(const struct rp_config *cfg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cfg->n_services; i++)
		n += rp_svc_has_backends(cfg->services[i].type) ? RP_BACKEND_SLOTS : 0;
	return n;
}

unsigned rp_svc_backend_block(const struct rp_config *cfg, unsigned svc, unsigned slot)
{
	unsigned k = cfg->n_services + 1 + slot;

	for (unsigned i = 0; i < svc; i++)
		k += rp_svc_has_backends(cfg->services[i].type) ? RP_BACKEND_SLOTS : 0;
	return k;
}

void rp_svc_backend_slot_map(const struct rp_service_cfg *cfg, int map[RP_BACKEND_SLOTS])
{
	for (unsigned s = 0; s < RP_BACKEND_SLOTS; s++)
		map[s] = -1;
	for (unsigned b = 0; b < cfg->n_backends_all; b++)
		map[cfg->backends[b].slot] = (int)b;
}

static int sock_fail(const struct rp_svc_inst *si, int fd, const char *what)
{
	int err = errno;

	rp_err("service %s: %s on %s: %s", si->cfg->name, what, si->cfg->listen.text,
	       strerror(err));
	if (fd >= 0)
		close(fd);
	return -err;
}

int rp_svc_socket(const struct rp_svc_inst *si)
{
	const struct rp_addr *a = &si->cfg->listen;
	int type = rp_svc_type_socktype(si->cfg->type);
	int one = 1, ret;
	int fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return sock_fail(si, -1, "socket");
	/* One socket per worker on the same address: the kernel spreads
	 * datagrams and connections over them by flow hash, or by receiving
	 * CPU once the group is complete (reuseport.h). */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		return sock_fail(si, fd, "setsockopt(SO_REUSEPORT)");
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len))
		return sock_fail(si, fd, "bind");
	if (type == SOCK_STREAM && listen(fd, (int)si->cfg->backlog))
		return sock_fail(si, fd, "listen");
	ret = rp_reuseport_join(si, fd);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}
