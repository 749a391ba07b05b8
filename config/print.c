/* SPDX-License-Identifier: MIT */
/*
 * Normalized config printer, driven by the schema table: every key with its
 * effective value (defaults filled in, "~" for unset), in table order, as
 * YAML that loads back to the same structs. In documented mode each key is
 * preceded by its doc string, syntax, range and default.
 */
#include <stdbool.h>
#include <stdio.h>

#include "config/print.h"
#include "config/value.h"

#define VALUE_MAX 8192	/* a 512-entry indirection table fits */

struct printer {
	FILE *f;
	bool docs;
	bool dash;		/* the next line starts a list entry */
};

/* How each value type is written, for the documented reference. */
static const char *const syntax[RP_V__COUNT] = {
	[RP_V_STRING]   = "string",
	[RP_V_INT]      = "integer",
	[RP_V_SIZE]     = "integer, suffixes k, M, G allowed (4k = 4096)",
	[RP_V_BOOL]     = "boolean",
	[RP_V_ENUM]     = "one of",
	[RP_V_ADDR]     = "address: host:port or [v6-address]:port, resolved at load",
	[RP_V_CPUS]     = "CPU list: [0, 1], \"0-3,6\" or auto",
	[RP_V_FEATURES] = "map of ethtool feature name: true/false",
	[RP_V_U32LIST]  = "list of integers",
	[RP_V_SECTION]  = "section",
	[RP_V_LIST]     = "list of entries",
};

static void start_line(struct printer *p, int indent)
{
	if (p->dash)
		fprintf(p->f, "%*s- ", indent - 2, "");
	else
		fprintf(p->f, "%*s", indent, "");
	p->dash = false;
}

void rp_key_describe(const struct rp_key *k, char *buf, size_t n)
{
	size_t o = (size_t)snprintf(buf, n, "%s", syntax[k->type]);

	if (k->type == RP_V_ENUM)
		for (int i = 0; k->names[i] && o < n; i++)
			o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? "|" : " ", k->names[i]);
	if ((k->type == RP_V_INT || k->type == RP_V_SIZE || k->type == RP_V_U32LIST) && o < n)
		o += (size_t)snprintf(buf + o, n - o, ", %ld..%ld", k->min, k->max);
	if ((k->flags & RP_K_POW2) && o < n)
		o += (size_t)snprintf(buf + o, n - o, ", a power of two");
	if ((k->flags & RP_K_AUTO) && o < n)
		o += (size_t)snprintf(buf + o, n - o, ", or auto");
	if (o >= n)
		return;
	if (k->flags & RP_K_REQUIRED)
		snprintf(buf + o, n - o, "; required");
	else if (k->def)
		snprintf(buf + o, n - o, "; default %s", k->def);
	else if (k->type != RP_V_SECTION)
		snprintf(buf + o, n - o, "; optional");
}

static void print_doc(struct printer *p, const struct rp_key *k, int indent)
{
	char spec[256];

	if (!p->docs)
		return;
	rp_key_describe(k, spec, sizeof(spec));
	if (!indent)	/* a blank line between top-level sections */
		fputc('\n', p->f);
	start_line(p, indent);
	fprintf(p->f, "# %s\n%*s# %s\n", k->doc, indent, "", spec);
}

static void print_section(struct printer *p, const struct rp_section *sec, const void *base,
			  int indent);

static const void *at(const void *base, size_t offset)
{
	return (const char *)base + offset;
}

static unsigned count_of(const struct rp_key *k, const void *base)
{
	return *(const unsigned *)at(base, k->count_offset);
}

static void print_features(struct printer *p, const struct rp_key *k, const void *base, int indent)
{
	const struct rp_feature_cfg *v = *(const struct rp_feature_cfg *const *)at(base, k->offset);
	const struct rp_key name_key = { .width = RP_FEAT_NAME };
	unsigned n = count_of(k, base);
	char name[2 * RP_FEAT_NAME + 8];

	fprintf(p->f, "%s:%s\n", k->key, n ? "" : " {}");
	for (unsigned i = 0; i < n; i++) {
		rp_vcodecs[RP_V_STRING].format(&name_key, v[i].name, name, sizeof(name));
		fprintf(p->f, "%*s%s: %s\n", indent + 2, "", name, v[i].on ? "true" : "false");
	}
}

static void print_list(struct printer *p, const struct rp_key *k, const void *base, int indent)
{
	const char *arr = *(const char *const *)at(base, k->offset);
	unsigned n = count_of(k, base);

	fprintf(p->f, "%s:%s\n", k->key, n ? "" : " []");
	for (unsigned i = 0; i < n; i++) {
		p->dash = true;
		print_section(p, k->child, arr + (size_t)i * k->child->size, indent + 4);
	}
}

static void print_key(struct printer *p, const struct rp_key *k, const void *base, int indent)
{
	const struct rp_vcodec *c = &rp_vcodecs[k->type];
	const void *field = at(base, k->offset);
	char value[VALUE_MAX];

	print_doc(p, k, indent);
	start_line(p, indent);
	switch (k->type) {
	case RP_V_SECTION:
		fprintf(p->f, "%s:\n", k->key);
		print_section(p, k->child, field, indent + 2);
		return;
	case RP_V_LIST:
		print_list(p, k, base, indent);
		return;
	case RP_V_FEATURES:
		print_features(p, k, base, indent);
		return;
	default:
		if (c->is_unset(k, field))
			fprintf(p->f, "%s: ~\n", k->key);
		else {
			c->format(k, field, value, sizeof(value));
			fprintf(p->f, "%s: %s\n", k->key, value);
		}
	}
}

static void print_keys(struct printer *p, const struct rp_section *sec, const void *base, int indent)
{
	for (unsigned i = 0; sec && i < sec->n_keys; i++)
		print_key(p, &sec->keys[i], base, indent);
}

static void print_section(struct printer *p, const struct rp_section *sec, const void *base,
			  int indent)
{
	print_keys(p, sec, base, indent);
	if (sec->variant_key) {
		const struct rp_key *k = rp_section_find(sec, sec->variant_key);
		int v = *(const int *)at(base, k->offset);

		if (v >= 0)
			print_keys(p, sec->variants[v], base, indent);
	}
}

void rp_config_print(FILE *f, const struct rp_config *cfg)
{
	struct printer p = { .f = f };

	fprintf(f, "# ringplane config from %s, normalized: every key, defaults filled in\n", cfg->file);
	print_section(&p, &rp_schema_root, cfg, 0);
}

void rp_config_print_documented(FILE *f, const struct rp_config *cfg)
{
	struct printer p = { .f = f, .docs = true };

	fprintf(f, "# ringplane reference config: every key, with its type, range and default.\n"
		   "#\n"
		   "# Generated from the schema table (config/schema.c) by\n"
		   "#   ringplane check --reference config/examples/reference.yaml\n"
		   "# so doc and table cannot drift (a unit test compares the two). Edit the\n"
		   "# values here, or the table, then regenerate. \"~\" means unset: leave\n"
		   "# the device or kernel default alone.\n");
	print_section(&p, &rp_schema_root, cfg, 0);
}
