/* SPDX-License-Identifier: MIT */
/* `ringplane features [--json]`: the feature table, probed on this machine. */
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "dataplane/cli.h"
#include "dataplane/features.h"
#include "dataplane/features_def.h"
#include "dataplane/zcrx_start.h"

/* zcrx per interface of this namespace (not lo), rx queue 0: read-only. */
struct zcrx_row {
	char name[IF_NAMESIZE];
	struct rp_zcrx_verdict v;
};

static unsigned zcrx_rows(struct zcrx_row *rows, unsigned max)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	unsigned n = 0;

	for (i = ifs; i && i->if_index && n < max; i++) {
		if (!strcmp(i->if_name, "lo"))
			continue;
		snprintf(rows[n].name, sizeof(rows[n].name), "%s", i->if_name);
		rp_zcrx_verdict(i->if_name, 0, &rows[n++].v);
	}
	if (ifs)
		if_freenameindex(ifs);
	return n;
}

static void print_zcrx_table(const struct zcrx_row *rows, unsigned n)
{
	printf("\nzcrx per interface (rx queue 0; read-only: nothing is changed):\n");
	printf("%-16s %-14s %-3s  %s\n", "INTERFACE", "DRIVER", "OK", "WHY NOT / STATE");
	for (unsigned i = 0; i < n; i++)
		printf("%-16s %-14s %-3s  %s\n", rows[i].name,
		       rows[i].v.driver[0] ? rows[i].v.driver : "-",
		       rows[i].v.why == RP_ZCRX_USABLE ? "yes" : "no", rows[i].v.text);
	if (!n)
		printf("(no interfaces besides lo)\n");
}

static json_t *zcrx_json(const struct zcrx_row *rows, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "interface", json_string(rows[i].name));
		json_object_set_new(o, "driver", json_string(rows[i].v.driver));
		json_object_set_new(o, "queue", json_integer(0));
		json_object_set_new(o, "usable", json_boolean(rows[i].v.why == RP_ZCRX_USABLE));
		json_object_set_new(o, "reason", json_string(rp_zcrx_why_name(rows[i].v.why)));
		json_object_set_new(o, "why", json_string(rows[i].v.text));
		json_array_append_new(a, o);
	}
	return a;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ringplane features [--json]\n\n"
		   "Probe what the running kernel and the linked liburing support, for what\n"
		   "the dataplane uses (ring setup flags, opcodes, registrations), by trying\n"
		   "each on a scratch ring over loopback; then, per interface of this network\n"
		   "namespace, whether io_uring zero-copy receive (zcrx) could use its rx queue\n"
		   "0 and why not (read-only: header split, ntuple, RSS are read, not set).\n\n"
		   "  --json   one JSON object instead of the table\n"
		   "  --help   this text\n\n"
		   "Exit status: 0 when every required feature works, 1 when one is missing\n"
		   "(the dataplane would refuse to start), 2 usage error.\n");
}

static void print_table(const struct rp_features *f)
{
	printf("kernel %s, liburing %d.%d (built against %d.%d)\n\n", f->kernel,
	       f->liburing_run_major, f->liburing_run_minor,
	       f->liburing_build_major, f->liburing_build_minor);
	printf("%-22s %-30s %-8s %-8s %-3s  %s\n",
	       "ID", "FEATURE", "KIND", "NEED", "OK", "WHY NOT / USED FOR");
	for (unsigned i = 0; i < RP_FEAT__COUNT; i++) {
		const struct rp_feature_def *d = &rp_feature_defs[i];
		const struct rp_feature_result *r = &f->r[i];

		printf("%-22s %-30s %-8s %-8s %-3s  %s\n", d->key, d->name, d->kind,
		       d->required ? "required" : "optional", r->supported ? "yes" : "no",
		       r->supported ? d->used_for : r->why);
	}
}

static json_t *version_json(int major, int minor)
{
	return json_sprintf("%d.%d", major, minor);
}

static json_t *feature_json(const struct rp_feature_def *d, const struct rp_feature_result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(d->key));
	json_object_set_new(o, "name", json_string(d->name));
	json_object_set_new(o, "kind", json_string(d->kind));
	json_object_set_new(o, "required", json_boolean(d->required));
	json_object_set_new(o, "supported", json_boolean(r->supported));
	if (!r->supported) {
		json_object_set_new(o, "why", json_string(r->why));
		json_object_set_new(o, "errno", json_integer(r->err));
		if (!d->required)
			json_object_set_new(o, "fallback", json_string(d->fallback));
	}
	json_object_set_new(o, "since_kernel", json_string(d->kernel));
	json_object_set_new(o, "since_liburing", version_json(d->lib_major, d->lib_minor));
	json_object_set_new(o, "used_for", json_string(d->used_for));
	return o;
}

static int print_json(const struct rp_features *f, bool required_ok,
		      const struct zcrx_row *zr, unsigned n_zr)
{
	json_t *root = json_object(), *lib = json_object(), *rows = json_array();
	int ret;

	json_object_set_new(lib, "build", version_json(f->liburing_build_major,
						       f->liburing_build_minor));
	json_object_set_new(lib, "runtime", version_json(f->liburing_run_major,
							 f->liburing_run_minor));
	json_object_set_new(root, "kernel", json_string(f->kernel));
	json_object_set_new(root, "liburing", lib);
	json_object_set_new(root, "required_ok", json_boolean(required_ok));
	for (unsigned i = 0; i < RP_FEAT__COUNT; i++)
		json_array_append_new(rows, feature_json(&rp_feature_defs[i], &f->r[i]));
	json_object_set_new(root, "features", rows);
	json_object_set_new(root, "zcrx_interfaces", zcrx_json(zr, n_zr));
	ret = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
	return ret;
}

int cmd_features(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct rp_features f;
	static struct zcrx_row zr[64];
	unsigned n_zr;
	char msg[512];
	bool json = false, required_ok;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': usage(stdout); return RP_EXIT_OK;
		default: return rp_usage_error("features", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return rp_usage_error("features", "unexpected argument '%s'", argv[optind]);

	rp_features_probe(&f);
	n_zr = zcrx_rows(zr, sizeof(zr) / sizeof(zr[0]));
	required_ok = rp_features_check_required(&f, msg, sizeof(msg)) == 0;
	if (json ? print_json(&f, required_ok, zr, n_zr) :
		   (print_table(&f), print_zcrx_table(zr, n_zr), 0)) {
		fprintf(stderr, "ringplane features: writing the JSON failed\n");
		return RP_EXIT_FAIL;
	}
	if (!required_ok) {
		fprintf(stderr, "ringplane features: %s\n", msg);
		return RP_EXIT_FAIL;
	}
	return RP_EXIT_OK;
}
