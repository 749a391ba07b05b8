/* SPDX-License-Identifier: MIT */
/*
 * `ringplane chan create|send|listen|stats|destroy`: the channel library
 * (chan/chan.h) on the command line, for scripts, monitoring and tests.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "chan/chan.h"
#include "dataplane/cli.h"

static const char chan_usage[] =
	"usage: ringplane chan create NAME [--mode M] [--policy P] [--slots N] [--slot-size B]\n"
	"                      [--max-receivers N] [--block-timeout-ms MS] [--perm OCTAL] [--group G]\n"
	"       ringplane chan send NAME [MESSAGE] [--count N] [--to ID]\n"
	"       ringplane chan listen NAME [--count N] [--timeout-ms MS] [--batch K]\n"
	"                      [--batch-delay-us US]\n"
	"       ringplane chan stats NAME [--json]\n"
	"       ringplane chan destroy NAME\n\n"
	"Message channels between processes: a ring of slots in the file\n"
	"/dev/shm/ringplane-chan.NAME, whose owner, group and mode bits decide who may\n"
	"attach. Modes: unicast (each message to one receiver; receivers share one\n"
	"head), broadcast (every receiver gets every message), multicast (round-robin\n"
	"over the receivers). Policies when the ring is full: block (the sender waits\n"
	"--block-timeout-ms for the slowest live receiver, then fails) or overwrite\n"
	"(slow receivers lose the oldest messages, counted). Dead receivers are\n"
	"detected and detached.\n\n"
	"  create   make the channel (defaults: unicast, block, 1024 slots of 256 B,\n"
	"           16 receivers, 1000 ms, mode 0600, the caller's group)\n"
	"  send     send MESSAGE (--count times), or each line of stdin; --to ID: only\n"
	"           to the receiver with that id (broadcast and multicast channels;\n"
	"           ids are listed by stats)\n"
	"  listen   print each message received on its own line (also those sent by\n"
	"           reference, read in place); stop after --count\n"
	"           messages, when the channel is destroyed (exit 0) or after\n"
	"           --timeout-ms without a message (exit 1). Gaps go to stderr.\n"
	"           --batch K (broadcast, multicast): receive coalescing, be woken only\n"
	"           once K messages wait, or after --batch-delay-us (default 1000)\n"
	"           asleep; senders then make one wake-up call per K messages\n"
	"  stats    the channel's parameters, counters and receivers\n"
	"  destroy  remove the channel; attached receivers drain it and stop\n\n"
	"Every subcommand answers --help. Exit status: 0 success, 1 failure, 2 usage error.\n";

static const struct option help_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static int fail(const struct rp_chan_err *e)
{
	fprintf(stderr, "ringplane chan: %s\n", e->msg);
	return RP_EXIT_FAIL;
}

static int parse_u32(const char *s, unsigned base, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, (int)base);
	if (errno || end == s || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_group(const char *s, gid_t *gid)
{
	struct group *g = getgrnam(s);
	uint32_t v;

	if (g) {
		*gid = g->gr_gid;
		return 0;
	}
	if (parse_u32(s, 10, &v))
		return -1;
	*gid = (gid_t)v;
	return 0;
}

/* One name after the options, or a usage error. */
static const char *one_name(int argc, char **argv, const char *sub)
{
	if (argc - optind != 1) {
		rp_usage_error("chan", "'%s' takes one channel name", sub);
		return NULL;
	}
	return argv[optind];
}

static int create_opt(int opt, const char *arg, struct rp_chan_params *p)
{
	uint32_t v = 0;

	switch (opt) {
	case 'm': return rp_chan_mode_parse(arg, &p->mode);
	case 'p': return rp_chan_policy_parse(arg, &p->policy);
	case 's': return parse_u32(arg, 10, &p->slots);
	case 'z': return parse_u32(arg, 10, &p->slot_size);
	case 'r': return parse_u32(arg, 10, &p->max_receivers);
	case 't': return parse_u32(arg, 10, &p->block_timeout_ms);
	case 'g': return parse_group(arg, &p->gid);
	case 'P':
		if (parse_u32(arg, 8, &v) || v > 0777)
			return -1;
		p->perm = v;
		return 0;
	}
	return -1;
}

static int chan_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "slots", required_argument, NULL, 's' },
		{ "slot-size", required_argument, NULL, 'z' },
		{ "max-receivers", required_argument, NULL, 'r' },
		{ "block-timeout-ms", required_argument, NULL, 't' },
		{ "perm", required_argument, NULL, 'P' },
		{ "group", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct rp_chan_params p;
	struct rp_chan_err e;
	const char *name;
	int opt;

	rp_chan_params_default(&p);
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(chan_usage, stdout);
			return RP_EXIT_OK;
		}
		if (opt == '?' || create_opt(opt, optarg, &p))
			return rp_usage_error("chan", "bad option or value for 'create'");
	}
	if (!(name = one_name(argc, argv, "create")))
		return RP_EXIT_USAGE;
	if (rp_chan_create(name, &p, &e))
		return fail(&e);
	return RP_EXIT_OK;
}

/* To every receiver the mode says, or (to != 0) to that receiver only. */
static int send_one(struct rp_chan *ch, uint32_t to, const char *msg, size_t len)
{
	return to ? rp_chan_send_to(ch, to, msg, len) : rp_chan_send(ch, msg, len);
}

static int send_lines(struct rp_chan *ch, uint32_t to)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;

	while (!r && (n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = 0;
		r = send_one(ch, to, line, (size_t)n);
	}
	free(line);
	return r;
}

static int chan_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "to", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct rp_chan_err e;
	struct rp_chan *ch;
	uint32_t count = 1, to = 0;
	int opt, r = 0;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(chan_usage, stdout);
			return RP_EXIT_OK;
		}
		if ((opt != 'c' && opt != 'T') ||
		    parse_u32(optarg, 10, opt == 'c' ? &count : &to) || (opt == 'T' && !to))
			return rp_usage_error("chan", "bad option or value for 'send'");
	}
	if (argc - optind < 1 || argc - optind > 2)
		return rp_usage_error("chan", "'send' takes a channel name and at most one message");
	if (!(ch = rp_chan_attach(argv[optind], RP_CHAN_SENDER, &e)))
		return fail(&e);
	if (argc - optind == 1)
		r = send_lines(ch, to);
	for (uint32_t i = 0; argc - optind == 2 && i < count && !r; i++)
		r = send_one(ch, to, argv[optind + 1], strlen(argv[optind + 1]));
	if (r)
		fprintf(stderr, "ringplane chan: send to '%s': %s\n", argv[optind],
			r == -ETIMEDOUT ? "timed out waiting for room (block policy: a receiver is slow)"
			: r == -ENOENT ? "no receiver with that id is attached (see `chan stats`)"
			: r == -EIO && rp_chan_broken(ch) ? rp_chan_broken(ch)
			: r == -EINVAL && to ? "not a receiver id of this channel (a unicast "
					       "channel's receivers cannot be addressed)"
			: strerror(-r));
	rp_chan_detach(ch);
	return r ? RP_EXIT_FAIL : RP_EXIT_OK;
}

/* Receive until count messages, the destroy, or timeout_ms of silence. */
static int listen_loop(struct rp_chan *ch, const char *name, uint32_t count, int timeout_ms,
		       char *buf, size_t cap)
{
	uint64_t got = 0, lost;

	for (;;) {
		const void *msg;
		/* in place: a message sent by reference may be larger than cap */
		ssize_t n = rp_chan_recv_ref(ch, buf, cap, &msg, &lost);
		int w;

		if (lost)
			fprintf(stderr, "ringplane chan: '%s': lost %" PRIu64 " messages (overwritten, "
				"or references that could not be read)\n", name, lost);
		if (n >= 0) {
			fwrite(msg, 1, (size_t)n, stdout);
			fputc('\n', stdout);
			fflush(stdout);
			if (count && ++got >= count)
				return RP_EXIT_OK;
			continue;
		}
		if (n == -EPIPE)
			return RP_EXIT_OK;
		if (n != -EAGAIN)
			break;
		if ((w = rp_chan_wait(ch, timeout_ms)) == -ETIMEDOUT) {
			fprintf(stderr, "ringplane chan: '%s': no message for %d ms\n", name, timeout_ms);
			return RP_EXIT_FAIL;
		}
		if (w && w != -EINTR)
			break;
	}
	fprintf(stderr, "ringplane chan: '%s': receive failed: %s\n", name,
		rp_chan_broken(ch) ? rp_chan_broken(ch) : "unexpected error");
	return RP_EXIT_FAIL;
}

struct listen_opts {
	uint32_t count, tmo, batch, delay_us;
};

/* listen's options into o; -1 on a bad one. */
static int listen_parse(int argc, char **argv, struct listen_opts *o)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "batch-delay-us", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	*o = (struct listen_opts){ .batch = 1, .delay_us = 1000 };
	while ((opt = getopt_long(argc, argv, "c:t:b:d:h", opts, NULL)) != -1) {
		uint32_t *to = opt == 'c' ? &o->count : opt == 't' ? &o->tmo
			: opt == 'b' ? &o->batch : opt == 'd' ? &o->delay_us : NULL;

		if (opt == 'h')
			return 1;
		if (!to || parse_u32(optarg, 10, to))
			return -1;
	}
	return o->tmo > INT32_MAX || !o->batch || !o->delay_us ? -1 : 0;
}

static int chan_listen(int argc, char **argv)
{
	struct listen_opts o;
	struct rp_chan_info info;
	struct rp_chan_err e;
	struct rp_chan *ch;
	const char *name;
	char *buf;
	int r;

	if ((r = listen_parse(argc, argv, &o)) == 1) {
		fputs(chan_usage, stdout);
		return RP_EXIT_OK;
	}
	if (r < 0)
		return rp_usage_error("chan", "bad option or value for 'listen'");
	if (!(name = one_name(argc, argv, "listen")))
		return RP_EXIT_USAGE;
	if (!(ch = rp_chan_attach(name, RP_CHAN_RECEIVER, &e)))
		return fail(&e);
	if ((r = rp_chan_set_rx_batch(ch, o.batch, o.delay_us))) {
		fprintf(stderr, "ringplane chan: '%s': --batch %u: %s\n", name, o.batch,
			r == -EOPNOTSUPP ? "unicast channels do not coalesce" : strerror(-r));
		rp_chan_detach(ch);
		return RP_EXIT_FAIL;
	}
	rp_chan_info(ch, &info);
	if (!(buf = malloc(info.params.slot_size))) {
		rp_chan_detach(ch);
		return RP_EXIT_FAIL;
	}
	r = listen_loop(ch, name, o.count, o.tmo ? (int)o.tmo : -1, buf, info.params.slot_size);
	free(buf);
	rp_chan_detach(ch);
	return r;
}

static void stats_text(const struct rp_chan_info *i)
{
	const struct rp_chan_params *p = &i->params;

	printf("channel %s%s\n", i->path, i->destroyed ? " (destroyed)" : "");
	printf("  mode %s, policy %s, %u slots of %u B, block timeout %u ms\n",
	       rp_chan_mode_name(p->mode), rp_chan_policy_name(p->policy), p->slots, p->slot_size,
	       p->block_timeout_ms);
	printf("  owner uid %u gid %u mode %04o, receivers %u of %u\n", (unsigned)i->uid,
	       (unsigned)p->gid, (unsigned)p->perm, i->n_rx, p->max_receivers);
	printf("  sent %" PRIu64 ", head %" PRIu64 ", send timeouts %" PRIu64 ", sleepers %u\n",
	       i->tail, i->head, i->send_timeouts, i->sleepers);
	for (unsigned k = 0; k < i->n_rx; k++)
		printf("  receiver %d: id %" PRIu32 " pid %d cursor %" PRIu64 " received %" PRIu64
		       " lost %" PRIu64 "%s\n",
		       i->rx[k].index, i->rx[k].id, (int)i->rx[k].pid, i->rx[k].cursor, i->rx[k].received,
		       i->rx[k].lost, i->rx[k].sleeping ? " sleeping" : "");
}

static void stats_json(const struct rp_chan_info *i)
{
	json_t *o = json_object(), *rxs = json_array();

	json_object_set_new(o, "path", json_string(i->path));
	json_object_set_new(o, "mode", json_string(rp_chan_mode_name(i->params.mode)));
	json_object_set_new(o, "policy", json_string(rp_chan_policy_name(i->params.policy)));
	json_object_set_new(o, "slots", json_integer(i->params.slots));
	json_object_set_new(o, "slot_size", json_integer(i->params.slot_size));
	json_object_set_new(o, "max_receivers", json_integer(i->params.max_receivers));
	json_object_set_new(o, "sent", json_integer((json_int_t)i->tail));
	json_object_set_new(o, "head", json_integer((json_int_t)i->head));
	json_object_set_new(o, "send_timeouts", json_integer((json_int_t)i->send_timeouts));
	json_object_set_new(o, "destroyed", json_boolean(i->destroyed));
	for (unsigned k = 0; k < i->n_rx; k++) {
		json_t *r = json_object();

		json_object_set_new(r, "index", json_integer(i->rx[k].index));
		json_object_set_new(r, "id", json_integer(i->rx[k].id));
		json_object_set_new(r, "pid", json_integer(i->rx[k].pid));
		json_object_set_new(r, "cursor", json_integer((json_int_t)i->rx[k].cursor));
		json_object_set_new(r, "received", json_integer((json_int_t)i->rx[k].received));
		json_object_set_new(r, "lost", json_integer((json_int_t)i->rx[k].lost));
		json_array_append_new(rxs, r);
	}
	json_object_set_new(o, "receivers", rxs);
	json_dumpf(o, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(o);
}

static int chan_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct rp_chan_info *info;
	struct rp_chan_err e;
	struct rp_chan *ch;
	const char *name;
	bool json = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(chan_usage, stdout);
			return RP_EXIT_OK;
		}
		if (opt != 'j')
			return rp_usage_error("chan", "bad option for 'stats'");
		json = true;
	}
	if (!(name = one_name(argc, argv, "stats")))
		return RP_EXIT_USAGE;
	if (!(ch = rp_chan_attach(name, RP_CHAN_SENDER, &e)))
		return fail(&e);
	if ((info = malloc(sizeof(*info)))) {
		rp_chan_info(ch, info);
		(json ? stats_json : stats_text)(info);
		free(info);
	}
	rp_chan_detach(ch);
	return info ? RP_EXIT_OK : RP_EXIT_FAIL;
}

static int chan_destroy(int argc, char **argv)
{
	struct rp_chan_err e;
	const char *name;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", help_opts, NULL)) != -1) {
		if (opt != 'h')
			return rp_usage_error("chan", "bad option for 'destroy'");
		fputs(chan_usage, stdout);
		return RP_EXIT_OK;
	}
	if (!(name = one_name(argc, argv, "destroy")))
		return RP_EXIT_USAGE;
	return rp_chan_destroy(name, &e) ? fail(&e) : RP_EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} subs[] = {
	{ "create", chan_create },
	{ "send", chan_send },
	{ "listen", chan_listen },
	{ "stats", chan_stats },
	{ "destroy", chan_destroy },
};

int cmd_chan(int argc, char **argv)
{
	if (argc < 2)
		return rp_usage_error("chan", "missing subcommand");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(chan_usage, stdout);
		return RP_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name))
			continue;
		optind = 0;
		return subs[i].fn(argc - 1, argv + 1);
	}
	return rp_usage_error("chan", "unknown subcommand '%s'", argv[1]);
}
