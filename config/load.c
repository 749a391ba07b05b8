/* SPDX-License-Identifier: MIT */
/*
 * Loading: tree.c builds the document tree (with marks), then one walk,
 * driven by the schema tables, fills the structs of config.h. Every problem
 * becomes an error at the line:column of the offending key or value, and the
 * walk goes on, so a run reports them all (up to RP_CFG_ERRORS_MAX).
 *
 * The walk only descends where the schema has sections or lists, so its
 * depth is the schema's, whatever the nesting of the input. Aliases can make
 * a small document expand into a huge one, but every list and map the walk
 * enters has a size cap (LIST_MAX, FEATURES_MAX, the arrays of config.h)
 * or ends at the error cap, so the work stays bounded (well under a million
 * nodes) however the aliases nest.
 *
 * Reading files and the embedded default is file.c; this file turns text
 * into a config.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/errors.h"
#include "config/rules.h"
#include "config/tree.h"
#include "config/value.h"

#define LIST_MAX	256	/* entries in a list (services index fits 8 bits) */
#define FEATURES_MAX	256
#define KEYS_MAX	64	/* per section, variant keys included */
#define PATH_MAX_LEN	160

struct loader {
	const struct rp_ytree *tree;
	const char *file;
	struct rp_cfg_errors *errs;
};

/* ---- errors ---------------------------------------------------------------- */

static void node_error(struct loader *l, const struct rp_ynode *n, const char *path,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void node_error(struct loader *l, const struct rp_ynode *n, const char *path,
		       const char *fmt, ...)
{
	char msg[RP_WHY_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && *path)
		rp_cfg_error_add(l->errs, l->file, n->mark, "%s: %s", path, msg);
	else
		rp_cfg_error_add(l->errs, l->file, n->mark, "%s", msg);
}

static bool stopped(struct loader *l)
{
	return rp_cfg_errors_full(l->errs);
}

/* ---- nodes ----------------------------------------------------------------- */

static const char *const null_words[] = { "", "~", "null", "Null", "NULL" };

static const char *text_of(const struct loader *l, const struct rp_ynode *n)
{
	return rp_ynode_text(l->tree, n);
}

static bool is_null(const struct loader *l, const struct rp_ynode *n)
{
	if (n->type != RP_Y_SCALAR || !n->plain)
		return false;
	for (size_t i = 0; i < sizeof(null_words) / sizeof(null_words[0]); i++)
		if (!strcmp(text_of(l, n), null_words[i]))
			return true;
	return false;
}

/* "got 'abc'" / "got a list": what the file has where something else belongs. */
static const char *describe(const struct loader *l, const struct rp_ynode *n, char *buf, size_t size)
{
	if (is_null(l, n))
		return "nothing (null)";
	switch (n->type) {
	case RP_Y_SCALAR:
		snprintf(buf, size, "'%.64s'", text_of(l, n));
		return buf;
	case RP_Y_SEQ:
		return "a list";
	default:
		return "a mapping";
	}
}

static bool expect(struct loader *l, const struct rp_ynode *n, enum rp_ynode_type type,
		   const char *what, const char *path)
{
	char buf[80];

	if (n->type == type)
		return true;
	node_error(l, n, path, "expected %s, got %s", what, describe(l, n, buf, sizeof(buf)));
	return false;
}

/* A scalar's text, refusing embedded NULs (the structs hold C strings). */
static const char *scalar_text(struct loader *l, const struct rp_ynode *n, const char *path)
{
	const char *s = text_of(l, n);

	if (strlen(s) != n->len) {
		node_error(l, n, path, "value contains a NUL character");
		return NULL;
	}
	return s;
}

/* Items of a list, pairs of a map; both stop at the error cap. */
#define FOREACH_ITEM(l, seq, i) \
	for (unsigned i = 0; i < (seq)->n && !stopped(l); i++)
#define FOREACH_PAIR(l, map, i) FOREACH_ITEM(l, map, i)

static const struct rp_ynode *item(const struct loader *l, const struct rp_ynode *seq, unsigned i)
{
	return rp_ynode_item(l->tree, seq, i);
}

static const struct rp_ynode *key_of(const struct loader *l, const struct rp_ynode *map, unsigned i)
{
	return rp_ynode_key(l->tree, map, i);
}

static const struct rp_ynode *value_of(const struct loader *l, const struct rp_ynode *map, unsigned i)
{
	return rp_ynode_value(l->tree, map, i);
}

static void *field_at(void *base, size_t offset)
{
	return (char *)base + offset;
}

/* ---- defaults ---------------------------------------------------------------- */

/* Every key's default (or its unset state); groups and sections recurse. */
static void apply_defaults(const struct rp_section *sec, void *base, struct rp_cfg_errors *errs)
{
	for (unsigned i = 0; i < sec->n_keys; i++) {
		const struct rp_key *k = &sec->keys[i];
		const struct rp_vcodec *c = &rp_vcodecs[k->type];
		void *field = field_at(base, k->offset);
		char why[RP_WHY_MAX];

		if (k->type == RP_V_SECTION)
			apply_defaults(k->child, field, errs);
		else if (!k->def)
			c->unset(k, field);
		else if (c->parse(k, k->def, field, why))
			/* A bug in the schema table, not in the file. */
			rp_cfg_error_add(errs, "schema", (struct rp_mark){ 0, 0 },
					 "default of '%s' does not parse: %s", k->key, why);
	}
}

/* ---- values -------------------------------------------------------------------- */

static void load_section(struct loader *l, const struct rp_section *sec, const struct rp_ynode *map,
			 void *base, const char *path);

static void join(char *out, const char *path, const char *key)
{
	snprintf(out, PATH_MAX_LEN, "%s%s%s", path, *path ? "." : "", key);
}

static bool parse_scalar(struct loader *l, const struct rp_key *k, const struct rp_ynode *n,
			 void *field, const char *path)
{
	const struct rp_vcodec *c = &rp_vcodecs[k->type];
	char why[RP_WHY_MAX];
	const char *text;

	if (!expect(l, n, RP_Y_SCALAR, c->what, path) || !(text = scalar_text(l, n, path)))
		return false;
	if (c->parse(k, text, field, why)) {
		node_error(l, n, path, "%s", why);
		return false;
	}
	return true;
}

static void load_scalar(struct loader *l, const struct rp_key *k, const struct rp_ynode *n,
			void *field, const char *path)
{
	parse_scalar(l, k, n, field, path);
}

/* Items of a sequence, each an integer in the row's range, into arr[cap]. */
static void load_ints(struct loader *l, const struct rp_key *k, const struct rp_ynode *seq,
		      unsigned *arr, unsigned *n, unsigned cap, const char *path)
{
	*n = 0;
	FOREACH_ITEM(l, seq, i) {
		const struct rp_ynode *it = item(l, seq, i);
		char why[RP_WHY_MAX];
		const char *text;
		long v;

		if (!expect(l, it, RP_Y_SCALAR, "an integer", path) ||
		    !(text = scalar_text(l, it, path)))
			continue;
		if (rp_parse_long(text, k->min, k->max, &v, why) ||
		    rp_ulist_push(arr, n, cap, (unsigned)v, why))
			node_error(l, it, path, "%s", why);
	}
}

/* [0, 1, 2], or a scalar: "0-3,6", 5, auto. */
static void load_cpus(struct loader *l, const struct rp_key *k, const struct rp_ynode *n,
		      void *field, const char *path)
{
	struct rp_cpulist *cl = field;

	if (n->type != RP_Y_SEQ) {
		load_scalar(l, k, n, field, path);
		return;
	}
	memset(cl, 0, sizeof(*cl));
	if (!n->n)
		node_error(l, n, path, "empty CPU list (use auto, or name at least one CPU)");
	load_ints(l, k, n, cl->cpu, &cl->n, RP_CPUS_MAX, path);
}

static void load_u32list(struct loader *l, const struct rp_key *k, const struct rp_ynode *n,
			 void *field, const char *path)
{
	unsigned *count = field_at(field, k->count_offset - k->offset);

	if (expect(l, n, RP_Y_SEQ, "a list of integers", path))
		load_ints(l, k, n, field, count, (unsigned)(k->width / sizeof(unsigned)), path);
}

static bool feature_seen(struct loader *l, const struct rp_feature_cfg *v, unsigned n,
			 const struct rp_ynode *key, const char *name, const char *path)
{
	for (unsigned i = 0; i < n; i++) {
		if (strcmp(v[i].name, name))
			continue;
		node_error(l, key, path, "duplicate feature '%s' (first at line %u, column %u)",
			   name, v[i].mark.line, v[i].mark.column);
		return true;
	}
	return false;
}

/* features: {name: on/off, ...} */
static void load_features(struct loader *l, const struct rp_key *k, const struct rp_ynode *map,
			  void *field, const char *path)
{
	static const struct rp_key feature_value = { .key = "feature", .type = RP_V_BOOL,
						     .width = sizeof(bool) };
	struct rp_feature_cfg **v = field;
	unsigned *n = field_at(field, k->count_offset - k->offset);

	if (!expect(l, map, RP_Y_MAP, "a map of feature: on/off", path))
		return;
	if (map->n > FEATURES_MAX) {
		node_error(l, map, path, "too many features (at most %d)", FEATURES_MAX);
		return;
	}
	*v = calloc(map->n ? map->n : 1, sizeof(**v));
	if (!*v) {
		node_error(l, map, path, "out of memory");
		return;
	}
	FOREACH_PAIR(l, map, i) {
		const struct rp_ynode *key = key_of(l, map, i), *val = value_of(l, map, i);
		struct rp_feature_cfg *f = &(*v)[*n];
		char sub[PATH_MAX_LEN];
		const char *name;

		if (!expect(l, key, RP_Y_SCALAR, "a feature name", path) ||
		    !(name = scalar_text(l, key, path)))
			continue;
		join(sub, path, name);
		if (!*name || strlen(name) >= sizeof(f->name)) {
			node_error(l, key, path, "bad feature name '%.64s' (1..%zu characters)",
				   name, sizeof(f->name) - 1);
			continue;
		}
		if (feature_seen(l, *v, *n, key, name, path))
			continue;
		if (!parse_scalar(l, &feature_value, val, &f->on, sub))
			continue;
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->mark = key->mark;
		(*n)++;
	}
}

/* services: [...], interfaces: [...]: an array of structs, each a section. */
static void load_list(struct loader *l, const struct rp_key *k, const struct rp_ynode *seq,
		      void *field, const char *path)
{
	const struct rp_section *sec = k->child;
	size_t n = seq->n;
	unsigned *count = field_at(field, k->count_offset - k->offset);
	char *arr;

	if (!expect(l, seq, RP_Y_SEQ, "a list", path))
		return;
	if (n > LIST_MAX) {
		node_error(l, seq, path, "too many entries (%zu, at most %d)", n, LIST_MAX);
		return;
	}
	arr = calloc(n ? n : 1, sec->size);
	if (!arr) {
		node_error(l, seq, path, "out of memory");
		return;
	}
	*(void **)field = arr;
	FOREACH_ITEM(l, seq, i) {
		char sub[PATH_MAX_LEN];
		void *elem = arr + (size_t)*count * sec->size;

		snprintf(sub, sizeof(sub), "%s[%u]", path, *count);
		apply_defaults(sec, elem, l->errs);
		(*count)++;
		load_section(l, sec, item(l, seq, i), elem, sub);
	}
}

static void load_section_row(struct loader *l, const struct rp_key *k, const struct rp_ynode *n,
			     void *field, const char *path)
{
	load_section(l, k->child, n, field, path);
}

typedef void (*node_loader_fn)(struct loader *l, const struct rp_key *k, const struct rp_ynode *n,
			       void *field, const char *path);

/* How each value type is read from its node; the rest are plain scalars. */
static const node_loader_fn node_loaders[RP_V__COUNT] = {
	[RP_V_CPUS]     = load_cpus,
	[RP_V_FEATURES] = load_features,
	[RP_V_U32LIST]  = load_u32list,
	[RP_V_SECTION]  = load_section_row,
	[RP_V_LIST]     = load_list,
};

static void load_value(struct loader *l, const struct rp_key *k, const struct rp_ynode *n,
		       void *base, const char *path)
{
	void *field = field_at(base, k->offset);
	node_loader_fn fn = node_loaders[k->type] ? node_loaders[k->type] : load_scalar;
	unsigned n_errs = l->errs->n;

	if (k->flags & RP_K_HAS_MARK)
		*(struct rp_mark *)field_at(base, k->mark_offset) = n->mark;
	if (is_null(l, n)) {
		/* "key:" or "key: ~" means "not given": its default stays. */
		if (k->flags & RP_K_REQUIRED)
			node_error(l, n, path, "missing value (this key is required)");
		return;
	}
	fn(l, k, n, field, path);
	if ((k->flags & RP_K_HAS_SET) && l->errs->n == n_errs)
		*(bool *)field_at(base, k->set_offset) = true;
}

/* ---- sections ------------------------------------------------------------------ */

/* The section a variant key (services[].type) selects, peeked at before the
 * walk so that the type's own keys are known; errors come from the walk. */
static const struct rp_section *variant_of(struct loader *l, const struct rp_section *sec,
					   const struct rp_ynode *map)
{
	const struct rp_key *k;

	if (!sec->variant_key || !(k = rp_section_find(sec, sec->variant_key)))
		return NULL;
	FOREACH_PAIR(l, map, i) {
		const struct rp_ynode *key = key_of(l, map, i), *val = value_of(l, map, i);
		char why[RP_WHY_MAX];
		int v = -1;

		if (key->type != RP_Y_SCALAR || val->type != RP_Y_SCALAR ||
		    strcmp(text_of(l, key), sec->variant_key))
			continue;
		if (!rp_vcodecs[k->type].parse(k, text_of(l, val), &v, why) && v >= 0)
			return sec->variants[v];
	}
	return NULL;
}

/* A key of another variant (acceptor on a udp-echo service): which one. */
static const char *variant_owning(const struct rp_section *sec, const char *name)
{
	const struct rp_key *vk = sec->variant_key ? rp_section_find(sec, sec->variant_key) : NULL;

	for (int v = 0; vk && vk->names[v]; v++)
		if (rp_section_find(sec->variants[v], name))
			return vk->names[v];
	return NULL;
}

static void unknown_key(struct loader *l, const struct rp_ynode *key, const char *name,
			const struct rp_section *sec, const struct rp_section *var,
			const char *path)
{
	const char *owner = variant_owning(sec, name);
	struct rp_suggest s;
	const char *best;

	if (owner) {
		node_error(l, key, path, "unknown key '%s' for this %s (it belongs to %s: %s)",
			   name, sec->variant_key, sec->variant_key, owner);
		return;
	}
	rp_suggest_init(&s, name);
	for (unsigned i = 0; i < sec->n_keys; i++)
		rp_suggest_offer(&s, sec->keys[i].key);
	for (unsigned i = 0; var && i < var->n_keys; i++)
		rp_suggest_offer(&s, var->keys[i].key);
	best = rp_suggest_result(&s);
	/* A path already says where; the top level has none. */
	node_error(l, key, path, "unknown key '%.64s'%s%s%s%s%s", name,
		   *path ? "" : " at the ", *path ? "" : sec->name,
		   best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "");
}

/* Which row a key names, and its index in the seen[] of this mapping. */
static const struct rp_key *find_row(const struct rp_section *sec, const struct rp_section *var,
				     const char *name, unsigned *idx)
{
	const struct rp_key *k = rp_section_find(sec, name);

	if (k) {
		*idx = (unsigned)(k - sec->keys);
		return k;
	}
	k = rp_section_find(var, name);
	if (k)
		*idx = sec->n_keys + (unsigned)(k - var->keys);
	return k;
}

static void check_required(struct loader *l, const struct rp_section *sec, const struct rp_ynode *map,
			   const struct rp_ynode *const *seen, const char *path)
{
	for (unsigned i = 0; i < sec->n_keys; i++)
		if ((sec->keys[i].flags & RP_K_REQUIRED) && !seen[i])
			node_error(l, map, path, "missing required key '%s' in %s",
				   sec->keys[i].key, sec->name);
}

static void load_section(struct loader *l, const struct rp_section *sec, const struct rp_ynode *map,
			 void *base, const char *path)
{
	const struct rp_section *var;
	const struct rp_ynode *seen[KEYS_MAX] = { 0 };

	if (!expect(l, map, RP_Y_MAP, "a mapping", path))
		return;
	if (sec->has_mark)
		*(struct rp_mark *)field_at(base, sec->mark_offset) = map->mark;
	var = variant_of(l, sec, map);
	if (var)
		apply_defaults(var, base, l->errs);
	FOREACH_PAIR(l, map, i) {
		const struct rp_ynode *key = key_of(l, map, i);
		char sub[PATH_MAX_LEN];
		const struct rp_key *k;
		const char *name;
		unsigned idx;

		if (!expect(l, key, RP_Y_SCALAR, "a key name", path) ||
		    !(name = scalar_text(l, key, path)))
			continue;
		k = find_row(sec, var, name, &idx);
		if (!k) {
			unknown_key(l, key, name, sec, var, path);
			continue;
		}
		join(sub, path, name);
		if (idx < KEYS_MAX && seen[idx]) {
			struct rp_mark first = seen[idx]->mark;

			node_error(l, key, path, "duplicate key '%s' (first at line %u, column %u)",
				   name, first.line, first.column);
			continue;
		}
		if (idx < KEYS_MAX)
			seen[idx] = key;
		load_value(l, k, value_of(l, map, i), base, sub);
	}
	if (!stopped(l))
		check_required(l, sec, map, seen, path);
}

/* ---- documents ------------------------------------------------------------------ */

static void load_tree(const struct rp_ytree *t, struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	struct loader l = { .tree = t, .file = cfg->file, .errs = errs };

	if (t->root == RP_YTREE_NONE)
		rp_cfg_error_add(errs, cfg->file, (struct rp_mark){ 1, 1 },
				 "empty document: expected a mapping of sections (services, workers, ...)");
	else
		load_section(&l, &rp_schema_root, rp_ynode(t, t->root), cfg, "");
}

int rp_config_load_string(const char *name, const char *text, size_t len,
			  struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	unsigned n_before = errs->n;
	struct rp_ytree tree;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->file, sizeof(cfg->file), "%s", name);
	apply_defaults(&rp_schema_root, cfg, errs);
	if (!rp_ytree_load(&tree, text, len, cfg->file, errs))
		load_tree(&tree, cfg, errs);
	rp_ytree_free(&tree);
	if (!rp_cfg_errors_full(errs))
		rp_config_check_rules(cfg, errs);
	rp_cfg_errors_sort(errs, n_before);
	return errs->n > n_before ? -1 : 0;
}
