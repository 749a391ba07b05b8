/* SPDX-License-Identifier: MIT */
/*
 * The benchmark table: one row per benchmark, each defined in its own file.
 * Adding a benchmark adds its file to bench/meson.build, an extern here and
 * a row below; nothing else.
 */
#include "bench/bench.h"

extern const struct rp_bench_def rp_bench_nop;
extern const struct rp_bench_def rp_bench_msg_ring;
extern const struct rp_bench_def rp_bench_zc_tx;
extern const struct rp_bench_def rp_bench_zc_tx_goals;
extern const struct rp_bench_def rp_bench_echo;
extern const struct rp_bench_def rp_bench_handoff;
extern const struct rp_bench_def rp_bench_chan;
extern const struct rp_bench_def rp_bench_soak;
extern const struct rp_bench_def rp_bench_udp_relay;
extern const struct rp_bench_def rp_bench_proxy;
extern const struct rp_bench_def rp_bench_dpdk;

const struct rp_bench_def *const rp_benches[] = {
	&rp_bench_nop,
	&rp_bench_msg_ring,
	&rp_bench_zc_tx,
	&rp_bench_zc_tx_goals,
	&rp_bench_echo,
	&rp_bench_handoff,
	&rp_bench_chan,
	&rp_bench_soak,
	&rp_bench_udp_relay,
	&rp_bench_proxy,
	&rp_bench_dpdk,
};

const unsigned rp_n_benches = sizeof(rp_benches) / sizeof(rp_benches[0]);
