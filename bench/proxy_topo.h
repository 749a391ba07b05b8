/* SPDX-License-Identifier: MIT */
/*
 * Where `ringplane bench proxy` runs its proxies: the topologies.
 *
 *   loopback  proxies, backends and load generators in one private
 *             namespace, everything on 127.0.0.1
 *   veth      the proxies in a namespace of their own ("peer"), joined to
 *             the load namespace ("self": clients and backends) by two veth
 *             pairs, one towards the clients and one towards the backends:
 *
 *               self (iperf3 -c, wrk | iperf3 -s, nginx)      peer (proxies)
 *               10.213.1.2  rpc0 ========================= rpp0  10.213.1.1
 *               10.213.2.2  rpb0 ========================= rpq0  10.213.2.1
 *
 *             with RPS on every veth end sending its receive work to the
 *             CPU of the side it belongs to (rpp0/rpq0: the proxy CPU;
 *             rpc0/rpb0: the load CPU).
 *
 * Why one load namespace and not three (client | proxy | backend): CPU cost
 * does not depend on how many namespaces the far ends sit in, but on where
 * the receive softirq runs. veth (like loopback) delivers a packet on the
 * sending CPU, so without RPS the proxy CPU would do its peers' TCP receive
 * work and the load CPU the proxy's: RPS puts each side's receive on its own
 * CPU, so the proxy CPU does the proxy's send and receive and nothing else.
 * One load namespace lets both topologies share the same backend processes,
 * so backends never differ between the two.
 */
#ifndef RP_BENCH_PROXY_TOPO_H
#define RP_BENCH_PROXY_TOPO_H

#include <stddef.h>

#include "bench/netns.h"

enum px_topo { TOPO_LOOPBACK, TOPO_VETH, TOPO__N };

struct px_topo_def {
	const char *name;		/* the `topology` knob's word, the case parameter */
	const char *proxy_host;		/* the proxies bind it; clients dial it */
	const char *backend_host;	/* the proxies dial it (backends listen on any) */
	enum bench_ns_which ns;		/* where the proxies run */
};

extern const struct px_topo_def px_topos[TOPO__N];

/* Create the two veth pairs, their addresses and RPS masks (see above);
 * scratch_dir: a private directory for sysfs mounts. 0, or -1 with err. */
int px_topo_veth_setup(const struct bench_netns *ns, unsigned proxy_cpu, unsigned load_cpu,
		       const char *scratch_dir, char *err, size_t errlen);

/* Move the calling thread into the namespace where topology t's proxies run
 * (children it forks start there) and back home ("self"). 0 or -errno. */
int px_topo_enter(const struct bench_netns *ns, enum px_topo t);
int px_topo_leave(const struct bench_netns *ns);

#endif
