/* SPDX-License-Identifier: MIT */
/*
 * The generator of `bench dpdk` (see dpdk.h): one thread on the generator's
 * CPU writing whole Ethernet/IPv4/UDP frames to an AF_PACKET socket
 * (sendmmsg, qdisc bypassed) and reading what comes back on a second one.
 *
 * Why raw frames: the reflectors answer at different layers. testpmd's
 * macswap returns the frame itself with the MAC addresses swapped (the IP
 * and UDP headers still point at the reflector), the L4 reflectors send a
 * new datagram back. Both keep the UDP payload, so every frame carries a
 * marker at the start of its payload (magic, run id, phase, sequence, send
 * time) and a reply is counted when a received frame's payload has our
 * marker of the current phase, whatever its headers say. Frames from an
 * earlier phase (late replies) and anything else are ignored.
 *
 * Flows: frame i of the run goes from source port DPDK_SPORT_BASE + i % flows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/dpdk.h"

#define MARK_MAGIC 0x52504b44u	/* "RPKD" */
#define HDR_LEN (sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr))
#define RX_SNAP 128		/* bytes read per received frame: headers + marker */
#define BATCH 64
#define DRAIN_NS 100000000ull	/* replies still counted after the window */
#define SILENT_GRACE_NS 5000000000ull	/* a window with no reply yet runs on this long */

struct mark {
	uint32_t magic, run_id, phase, flow;
	uint64_t seq, t_ns;
};

struct rx_bufs {
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	uint8_t data[BATCH][RX_SNAP];
};

static uint16_t ip_csum(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t sum = 0;

	for (size_t i = 0; i < len / 2; i++)
		sum += w[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The headers of every frame (ports and marker filled per frame). Frames
 * sit at any offset and the IP header 14 bytes in: built in aligned locals
 * and copied. */
static void build_frame(const struct dpdk_gen *g, uint8_t *f)
{
	const struct dpdk_link *l = g->link;
	struct ethhdr eth = { .h_proto = htons(ETH_P_IP) };
	struct iphdr iph = {
		.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP,
		.tot_len = htons((uint16_t)(sizeof(iph) + sizeof(struct udphdr) + g->size)),
		.saddr = l->gen_ip, .daddr = l->refl_ip,
	};
	/* checksum 0: none, valid for UDP over IPv4 */
	struct udphdr udp = { .dest = htons(DPDK_PORT),
			      .len = htons((uint16_t)(sizeof(udp) + g->size)) };

	memcpy(eth.h_dest, l->refl_mac, 6);
	memcpy(eth.h_source, l->gen_mac, 6);
	iph.check = ip_csum(&iph, sizeof(iph));
	memcpy(f, &eth, sizeof(eth));
	memcpy(f + sizeof(eth), &iph, sizeof(iph));
	memcpy(f + sizeof(eth) + sizeof(iph), &udp, sizeof(udp));
	memset(f + HDR_LEN, 0x5a, g->size);
}

static int open_sockets(struct dpdk_gen *g)
{
	struct sockaddr_ll tx = { .sll_family = AF_PACKET, .sll_ifindex = g->link->gen_ifindex };
	struct sockaddr_ll rx = tx;
	int one = 1, rcvbuf = 8 << 20;

	rx.sll_protocol = htons(ETH_P_IP);
	g->tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	g->rx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_IP));
	if (g->tx_fd < 0 || g->rx_fd < 0 ||
	    bind(g->tx_fd, (struct sockaddr *)&tx, sizeof(tx)) < 0 ||
	    setsockopt(g->tx_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0 ||
	    setsockopt(g->tx_fd, SOL_SOCKET, SO_SNDBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 ||
	    setsockopt(g->rx_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(g->rx_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 ||
	    bind(g->rx_fd, (struct sockaddr *)&rx, sizeof(rx)) < 0)
		return -errno;
	return 0;
}

int dpdk_gen_open(struct dpdk_gen *g, const struct dpdk_link *l, unsigned size,
		  unsigned flows, char *err, size_t errlen)
{
	struct rx_bufs *rx;
	int ret;

	*g = (struct dpdk_gen){ .link = l, .size = size, .flows = flows ? flows : 1,
				.batch = BATCH, .tx_fd = -1, .rx_fd = -1,
				.frame_len = (unsigned)HDR_LEN + size };
	g->run_id = (uint32_t)rp_bench_now_ns() ^ (uint32_t)getpid();
	g->frames = malloc((size_t)BATCH * g->frame_len);
	g->rx = rx = calloc(1, sizeof(*rx));
	if (!g->frames || !rx) {
		snprintf(err, errlen, "generator: out of memory");
		dpdk_gen_close(g);
		return -1;
	}
	for (unsigned i = 0; i < BATCH; i++) {
		build_frame(g, g->frames + (size_t)i * g->frame_len);
		rx->iov[i] = (struct iovec){ rx->data[i], RX_SNAP };
		rx->msg[i].msg_hdr = (struct msghdr){ .msg_iov = &rx->iov[i], .msg_iovlen = 1 };
	}
	ret = open_sockets(g);
	if (ret < 0) {
		snprintf(err, errlen, "generator: AF_PACKET sockets on %s: %s", l->gen_if,
			 strerror(-ret));
		dpdk_gen_close(g);
		return -1;
	}
	return 0;
}

void dpdk_gen_close(struct dpdk_gen *g)
{
	if (g->tx_fd >= 0)
		close(g->tx_fd);
	if (g->rx_fd >= 0)
		close(g->rx_fd);
	free(g->frames);
	free(g->rx);
	g->frames = NULL;
	g->rx = NULL;
	g->tx_fd = g->rx_fd = -1;
}

/* Stamp frame i of the batch with the next sequence number and its port. */
static void stamp(struct dpdk_gen *g, unsigned i, uint64_t now)
{
	uint8_t *f = g->frames + (size_t)i * g->frame_len;
	uint32_t flow = (uint32_t)(g->seq % g->flows);
	uint16_t sport = htons((uint16_t)(DPDK_SPORT_BASE + flow));
	struct mark m = { MARK_MAGIC, g->run_id, g->phase, flow, g->seq++, now };

	/* the source port is the UDP header's first field */
	memcpy(f + sizeof(struct ethhdr) + sizeof(struct iphdr), &sport, sizeof(sport));
	memcpy(f + HDR_LEN, &m, sizeof(m) < g->size ? sizeof(m) : g->size);
}

/* Send n stamped frames; how many the device took. */
static int send_batch(struct dpdk_gen *g, unsigned n, struct dpdk_gen_stats *st)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	uint64_t now = rp_bench_now_ns();
	int sent;

	for (unsigned i = 0; i < n; i++) {
		stamp(g, i, now);
		iov[i] = (struct iovec){ g->frames + (size_t)i * g->frame_len, g->frame_len };
		msg[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	sent = sendmmsg(g->tx_fd, msg, n, 0);
	if (sent < 0) {
		if (errno != ENOBUFS && errno != EAGAIN && errno != ENETDOWN && errno != EBUSY)
			return -errno;
		sent = 0;
	}
	/* unsent frames keep their numbers: the next batch restamps them */
	g->seq -= n - (unsigned)sent;
	st->sent += (uint64_t)sent;
	st->send_errors += n - (unsigned)sent;
	return sent;
}

/* Our marker of the current phase in this frame? Its send time in *t. */
static bool is_ours(const struct dpdk_gen *g, const uint8_t *f, size_t len, uint64_t *t)
{
	struct ethhdr eth;
	struct iphdr iph;
	size_t off;
	struct mark m;

	if (len < sizeof(eth) + sizeof(iph))
		return false;
	memcpy(&eth, f, sizeof(eth));
	memcpy(&iph, f + sizeof(eth), sizeof(iph));
	off = sizeof(eth) + (size_t)iph.ihl * 4 + sizeof(struct udphdr);
	if (len < off + sizeof(m) || eth.h_proto != htons(ETH_P_IP) || iph.protocol != IPPROTO_UDP)
		return false;
	memcpy(&m, f + off, sizeof(m));
	*t = m.t_ns;
	return m.magic == MARK_MAGIC && m.run_id == g->run_id && m.phase == g->phase;
}

/* Read what is there; count ours, and keep round trips when rtt != NULL. */
static int drain(struct dpdk_gen *g, struct dpdk_gen_stats *st, size_t rtt_cap)
{
	struct rx_bufs *rx = g->rx;
	int n;

	while ((n = recvmmsg(g->rx_fd, rx->msg, BATCH, MSG_DONTWAIT, NULL)) > 0) {
		uint64_t now = rp_bench_now_ns();

		for (int i = 0; i < n; i++) {
			uint64_t t;
			size_t len = rx->msg[i].msg_len < RX_SNAP ? rx->msg[i].msg_len : RX_SNAP;

			if (!is_ours(g, rx->data[i], len, &t))
				continue;
			st->received++;
			if (st->rtt_ns && st->n_rtt < rtt_cap)
				st->rtt_ns[st->n_rtt++] = (double)(now - t);
		}
		if (n < BATCH)
			break;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}

static double thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Is the window still open? It ends on time once a reply was counted: a
 * reflector that a busy machine did not run for the whole (short, --quick)
 * window would otherwise leave a case with nothing reflected and no
 * per-packet metric. The same rule as bench echo's closed loop. */
static bool window_open(uint64_t now, uint64_t end, const struct dpdk_gen_stats *st)
{
	return now < end || (!st->received && now < end + SILENT_GRACE_NS);
}

/* After the window: keep counting late replies for DRAIN_NS. */
static int finish(struct dpdk_gen *g, struct dpdk_gen_stats *st, size_t cap)
{
	for (uint64_t end = rp_bench_now_ns() + DRAIN_NS; rp_bench_now_ns() < end;) {
		int ret = drain(g, st, cap);

		if (ret < 0)
			return ret;
	}
	g->phase++;
	return 0;
}

int dpdk_gen_flood(struct dpdk_gen *g, double seconds, struct dpdk_gen_stats *st)
{
	uint64_t t0 = rp_bench_now_ns(), end = t0 + (uint64_t)(seconds * 1e9), now;
	double cpu0 = thread_cpu_ns();
	int ret;

	*st = (struct dpdk_gen_stats){ 0 };
	for (now = t0; window_open(now, end, st); now = rp_bench_now_ns()) {
		ret = send_batch(g, BATCH, st);
		if (ret < 0 || (ret = drain(g, st, 0)) < 0)
			return ret;
	}
	st->seconds = (double)(now - t0) / 1e9;
	st->gen_cpu = (thread_cpu_ns() - cpu0) / (st->seconds * 1e9);
	return 0;
}

int dpdk_gen_finish(struct dpdk_gen *g, struct dpdk_gen_stats *st)
{
	return finish(g, st, 0);
}

int dpdk_gen_paced(struct dpdk_gen *g, double rate, double seconds, struct dpdk_gen_stats *st)
{
	uint64_t gap = (uint64_t)(1e9 / rate), t0 = rp_bench_now_ns();
	uint64_t end = t0 + (uint64_t)(seconds * 1e9), next = t0, now;
	size_t cap = (size_t)(rate * seconds) + 16;
	double cpu0 = thread_cpu_ns();
	int ret;

	*st = (struct dpdk_gen_stats){ .rtt_ns = malloc(cap * sizeof(double)) };
	if (!st->rtt_ns)
		return -ENOMEM;
	for (now = t0; window_open(now, end, st); now = rp_bench_now_ns()) {
		/* on schedule: a frame whenever its time has come; a generator
		 * that fell behind sends the late ones at once (no omission) */
		if (now >= next) {
			ret = send_batch(g, 1, st);
			if (ret < 0)
				return ret;
			if (ret == 1)
				next += gap;
		}
		ret = drain(g, st, cap);
		if (ret < 0)
			return ret;
	}
	st->seconds = (double)(now - t0) / 1e9;
	st->gen_cpu = (thread_cpu_ns() - cpu0) / (st->seconds * 1e9);
	return finish(g, st, cap);
}

bool dpdk_gen_probe(struct dpdk_gen *g, int timeout_ms)
{
	struct dpdk_gen_stats st = { 0 };
	uint64_t end = rp_bench_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	while (rp_bench_now_ns() < end) {
		struct pollfd p = { .fd = g->rx_fd, .events = POLLIN };

		if (send_batch(g, 1, &st) < 0)
			return false;
		poll(&p, 1, 50);
		if (drain(g, &st, 0) < 0)
			return false;
		if (st.received) {
			g->phase++;
			return true;
		}
	}
	g->phase++;
	return false;
}
