// SPDX-License-Identifier: MIT
/* `ringplane nic show|plan|apply`: the nicmgr library on the command line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/cli.h"
#include "nicmgr/zcrxq.h"
#include "nicmgr/family.h"

static const char nic_usage[] =
	"usage: ringplane nic show DEV [--json]\n"
	"       ringplane nic plan -c FILE\n"
	"       ringplane nic apply -c FILE [--dry-run]\n\n"
	"NIC queues, NAPI, IRQs and offloads over ethtool and netdev netlink.\n"
	"  show   driver, link, channels, rings, coalescing, features, RSS, NAPI,\n"
	"         and the queue -> NAPI -> IRQ -> CPU map with per-queue stats.\n"
	"         What the device does not have reads \"not supported\".\n"
	"  plan   the config's interfaces section against each device, as a diff.\n"
	"  apply  make those changes, reading each back; on any failure put back\n"
	"         what was changed, last first. --dry-run: plan only.\n\n"
	"Exit status: 0 success, 1 failure, 2 usage error.\n";

static const struct option show_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const struct option cfg_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static int nic_open(struct rp_nl *nl)
{
	struct rp_nic_status e;

	if (rp_nl_open(nl, &e) == 0)
		return 0;
	fprintf(stderr, "ringplane nic: %s\n", e.msg);
	return -1;
}

static int nic_show(int argc, char **argv)
{
	bool json = false;
	struct rp_nic_info *info;
	struct rp_nic_status st;
	struct rp_nl nl;
	int opt, ret = RP_EXIT_FAIL;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "jh", show_opts, NULL)) != -1) {
		switch (opt) {
		case 'j': json = true; break;
		case 'h': fputs(nic_usage, stdout); return RP_EXIT_OK;
		default: return rp_usage_error("nic", "bad option for 'show'");
		}
	}
	if (argc - optind != 1)
		return rp_usage_error("nic", "'show' takes one device name");
	if (!(info = malloc(sizeof(*info)))) {
		fprintf(stderr, "ringplane nic: out of memory\n");
		return RP_EXIT_FAIL;
	}
	if (nic_open(&nl) == 0) {
		if (rp_nic_read(&nl, argv[optind], info, &st) < 0) {
			fprintf(stderr, "ringplane nic: %s\n", st.msg);
		} else {
			(json ? rp_nic_print_json : rp_nic_print_text)(stdout, info);
			ret = RP_EXIT_OK;
		}
		rp_nl_close(&nl);
	}
	free(info);
	return ret;
}

/* The interface's settings plus the zcrx queue preparation a service's
 * rx-zerocopy asks of it (nicmgr/zcrxq.h): planned here even where the
 * device refuses, so `plan` shows why. */
static int plan_one(const struct rp_config *cfg, unsigned i, const struct rp_nic_info *info,
		    struct rp_nic_plan *plan)
{
	struct rp_iface_cfg *ifc = malloc(sizeof(*ifc));
	int ret;

	if (!ifc)
		return -1;
	rp_nic_zcrx_iface(cfg, i, true, ifc);
	ret = rp_nic_plan_make(cfg->file, ifc, info, plan);
	free(ifc);
	return ret;
}

/* Read, plan (and print) every interface of cfg. plans[] has n_interfaces. */
static int plan_all(struct rp_nl *nl, const struct rp_config *cfg, struct rp_nic_plan *plans)
{
	struct rp_nic_info *info = malloc(sizeof(*info));
	struct rp_nic_status st;
	int ret = 0;

	if (!info)
		return -1;
	for (unsigned i = 0; i < cfg->n_interfaces && ret == 0; i++) {
		if (rp_nic_read(nl, cfg->interfaces[i].name, info, &st) < 0) {
			fprintf(stderr, "ringplane nic: %s:%u:%u: %s\n", cfg->file,
				cfg->interfaces[i].mark.line, cfg->interfaces[i].mark.column, st.msg);
			ret = -1;
		} else if (plan_one(cfg, i, info, &plans[i]) < 0) {
			perror("ringplane nic: plan");
			ret = -1;
		} else {
			rp_nic_plan_print(stdout, &plans[i]);
		}
	}
	free(info);
	return ret;
}

/* Apply each interface's plan; when one fails, undo the ones before it. */
static int apply_all(struct rp_nl *nl, const struct rp_config *cfg, struct rp_nic_plan *plans)
{
	struct rp_nic_status st;

	for (unsigned i = 0; i < cfg->n_interfaces; i++) {
		if (rp_nic_plan_apply(nl, &plans[i], stdout, &st) == 0)
			continue;
		while (i-- > 0)
			rp_nic_plan_undo(nl, &plans[i], stdout, &st);
		fprintf(stderr, "ringplane nic: %s\n", st.msg);
		return -1;
	}
	return 0;
}

static int nic_plan_apply(int argc, char **argv, bool apply)
{
	const char *file = NULL;
	bool dry_run = !apply;
	struct rp_config cfg = { 0 };
	struct rp_cfg_errors errs = { 0 };
	struct rp_nic_plan *plans = NULL;
	struct rp_nl nl;
	int opt, ret = RP_EXIT_FAIL;

	optind = 0;
	while ((opt = getopt_long(argc, argv, apply ? "c:nh" : "c:h", cfg_opts, NULL)) != -1) {
		switch (opt) {
		case 'c': file = optarg; break;
		case 'n':
			if (!apply)	/* plan is always dry */
				return rp_usage_error("nic", "'plan' takes no --dry-run");
			dry_run = true;
			break;
		case 'h': fputs(nic_usage, stdout); return RP_EXIT_OK;
		default: return rp_usage_error("nic", "bad option for '%s'", argv[0]);
		}
	}
	if (!file)
		return rp_usage_error("nic", "'%s' needs -c FILE", argv[0]);
	if (optind != argc)
		return rp_usage_error("nic", "unexpected argument '%s'", argv[optind]);
	if (rp_config_load_file(file, &cfg, &errs) < 0) {
		rp_cfg_errors_print(stderr, &errs);
		goto out;
	}
	if (!cfg.n_interfaces) {
		printf("%s: no interfaces section: nothing to do\n", file);
		ret = RP_EXIT_OK;
		goto out;
	}
	if (!(plans = calloc(cfg.n_interfaces, sizeof(*plans))) || nic_open(&nl) < 0)
		goto out;
	if (plan_all(&nl, &cfg, plans) == 0 && (dry_run || apply_all(&nl, &cfg, plans) == 0))
		ret = RP_EXIT_OK;
	rp_nl_close(&nl);
out:
	for (unsigned i = 0; plans && i < cfg.n_interfaces; i++)
		rp_nic_plan_free(&plans[i]);
	free(plans);
	rp_config_free(&cfg);
	rp_cfg_errors_free(&errs);
	return ret;
}

static int nic_plan(int argc, char **argv) { return nic_plan_apply(argc, argv, false); }
static int nic_apply(int argc, char **argv) { return nic_plan_apply(argc, argv, true); }

static const struct rp_cmd nic_cmds[] = {
	{ "show", nic_show, "show a device" },
	{ "plan", nic_plan, "show what apply would change" },
	{ "apply", nic_apply, "apply the config's interface settings" },
};

int cmd_nic(int argc, char **argv)
{
	if (argc < 2)
		return rp_usage_error("nic", "missing subcommand (show, plan, apply)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(nic_usage, stdout);
		return RP_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(nic_cmds) / sizeof(nic_cmds[0]); i++)
		if (!strcmp(argv[1], nic_cmds[i].name))
			return nic_cmds[i].fn(argc - 1, argv + 1);
	return rp_usage_error("nic", "unknown subcommand '%s'", argv[1]);
}
