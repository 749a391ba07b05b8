/* SPDX-License-Identifier: MIT */
/*
 * Loading: libyaml builds the document tree (with marks), then one walk,
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
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/errors.h"
#include "config/rules.h"
#include "config/value.h"

#define LIST_MAX	256	/* entries in a list (services index fits 8 bits) */
#define FEATURES_MAX	256
#define KEYS_MAX	64	/* per section, variant keys included */
#define PATH_MAX_LEN	160
#define DEPTH_MAX	64	/* the schema needs 5 levels */
#define ANCHORS_MAX	256	/* a config uses a handful */
#define STR_(x)		#x
#define STR(x)		STR_(x)

struct loader {
	yaml_document_t *doc;
	const char *file;
	struct rp_cfg_errors *errs;
};

/* ---- errors ---------------------------------------------------------------- */

static struct rp_mark mark_of(const yaml_node_t *n)
{
	return (struct rp_mark){ (unsigned)n->start_mark.line + 1, (unsigned)n->start_mark.column + 1 };
}

static void node_error(struct loader *l, const yaml_node_t *n, const char *path,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void node_error(struct loader *l, const yaml_node_t *n, const char *path,
		       const char *fmt, ...)
{
	char msg[RP_WHY_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && *path)
		rp_cfg_error_add(l->errs, l->file, mark_of(n), "%s: %s", path, msg);
	else
		rp_cfg_error_add(l->errs, l->file, mark_of(n), "%s", msg);
}

static bool stopped(struct loader *l)
{
	return rp_cfg_errors_full(l->errs);
}

/* ---- nodes ----------------------------------------------------------------- */

static const char *const null_words[] = { "", "~", "null", "Null", "NULL" };

static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(null_words) / sizeof(null_words[0]); i++)
		if (!strcmp((const char *)n->data.scalar.value, null_words[i]))
			return true;
	return false;
}

/* "got 'abc'" / "got a list": what the file has where something else belongs. */
static const char *describe(const yaml_node_t *n, char *buf, size_t size)
{
	if (is_null(n))
		return "nothing (null)";
	switch (n->type) {
	case YAML_SCALAR_NODE:
		snprintf(buf, size, "'%.64s'", (const char *)n->data.scalar.value);
		return buf;
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static bool expect(struct loader *l, const yaml_node_t *n, yaml_node_type_t type,
		   const char *what, const char *path)
{
	char buf[80];

	if (n->type == type)
		return true;
	node_error(l, n, path, "expected %s, got %s", what, describe(n, buf, sizeof(buf)));
	return false;
}

/* A scalar's text, refusing embedded NULs (the structs hold C strings). */
static const char *scalar_text(struct loader *l, const yaml_node_t *n, const char *path)
{
	const char *s = (const char *)n->data.scalar.value;

	if (strlen(s) != n->data.scalar.length) {
		node_error(l, n, path, "value contains a NUL character");
		return NULL;
	}
	return s;
}

#define FOREACH_ITEM(l, seq, it) \
	for (yaml_node_item_t *it = (seq)->data.sequence.items.start; \
	     it < (seq)->data.sequence.items.top && !stopped(l); it++)
#define FOREACH_PAIR(l, map, p) \
	for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start; \
	     p < (map)->data.mapping.pairs.top && !stopped(l); p++)

static yaml_node_t *node(struct loader *l, int id)
{
	return yaml_document_get_node(l->doc, id);
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

static void load_section(struct loader *l, const struct rp_section *sec, yaml_node_t *map,
			 void *base, const char *path);

static void join(char *out, const char *path, const char *key)
{
	snprintf(out, PATH_MAX_LEN, "%s%s%s", path, *path ? "." : "", key);
}

static bool parse_scalar(struct loader *l, const struct rp_key *k, yaml_node_t *n,
			 void *field, const char *path)
{
	const struct rp_vcodec *c = &rp_vcodecs[k->type];
	char why[RP_WHY_MAX];
	const char *text;

	if (!expect(l, n, YAML_SCALAR_NODE, c->what, path) || !(text = scalar_text(l, n, path)))
		return false;
	if (c->parse(k, text, field, why)) {
		node_error(l, n, path, "%s", why);
		return false;
	}
	return true;
}

static void load_scalar(struct loader *l, const struct rp_key *k, yaml_node_t *n,
			void *field, const char *path)
{
	parse_scalar(l, k, n, field, path);
}

/* Items of a sequence, each an integer in the row's range, into arr[cap]. */
static void load_ints(struct loader *l, const struct rp_key *k, yaml_node_t *seq,
		      unsigned *arr, unsigned *n, unsigned cap, const char *path)
{
	*n = 0;
	FOREACH_ITEM(l, seq, it) {
		yaml_node_t *item = node(l, *it);
		char why[RP_WHY_MAX];
		const char *text;
		long v;

		if (!expect(l, item, YAML_SCALAR_NODE, "an integer", path) ||
		    !(text = scalar_text(l, item, path)))
			continue;
		if (rp_parse_long(text, k->min, k->max, &v, why) ||
		    rp_ulist_push(arr, n, cap, (unsigned)v, why))
			node_error(l, item, path, "%s", why);
	}
}

/* [0, 1, 2], or a scalar: "0-3,6", 5, auto. */
static void load_cpus(struct loader *l, const struct rp_key *k, yaml_node_t *n,
		      void *field, const char *path)
{
	struct rp_cpulist *cl = field;

	if (n->type != YAML_SEQUENCE_NODE) {
		load_scalar(l, k, n, field, path);
		return;
	}
	memset(cl, 0, sizeof(*cl));
	if (n->data.sequence.items.start == n->data.sequence.items.top)
		node_error(l, n, path, "empty CPU list (use auto, or name at least one CPU)");
	load_ints(l, k, n, cl->cpu, &cl->n, RP_CPUS_MAX, path);
}

static void load_u32list(struct loader *l, const struct rp_key *k, yaml_node_t *n,
			 void *field, const char *path)
{
	unsigned *count = field_at(field, k->count_offset - k->offset);

	if (expect(l, n, YAML_SEQUENCE_NODE, "a list of integers", path))
		load_ints(l, k, n, field, count, (unsigned)(k->width / sizeof(unsigned)), path);
}

static size_t map_size(const yaml_node_t *map)
{
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

static bool feature_seen(struct loader *l, const struct rp_feature_cfg *v, unsigned n,
			 yaml_node_t *key, const char *name, const char *path)
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
static void load_features(struct loader *l, const struct rp_key *k, yaml_node_t *map,
			  void *field, const char *path)
{
	static const struct rp_key feature_value = { .key = "feature", .type = RP_V_BOOL,
						     .width = sizeof(bool) };
	struct rp_feature_cfg **v = field;
	unsigned *n = field_at(field, k->count_offset - k->offset);

	if (!expect(l, map, YAML_MAPPING_NODE, "a map of feature: on/off", path))
		return;
	if (map_size(map) > FEATURES_MAX) {
		node_error(l, map, path, "too many features (at most %d)", FEATURES_MAX);
		return;
	}
	*v = calloc(map_size(map) ? map_size(map) : 1, sizeof(**v));
	if (!*v) {
		node_error(l, map, path, "out of memory");
		return;
	}
	FOREACH_PAIR(l, map, p) {
		yaml_node_t *key = node(l, p->key), *val = node(l, p->value);
		struct rp_feature_cfg *f = &(*v)[*n];
		char sub[PATH_MAX_LEN];
		const char *name;

		if (!expect(l, key, YAML_SCALAR_NODE, "a feature name", path) ||
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
		f->mark = mark_of(key);
		(*n)++;
	}
}

/* services: [...], interfaces: [...]: an array of structs, each a section. */
static void load_list(struct loader *l, const struct rp_key *k, yaml_node_t *seq,
		      void *field, const char *path)
{
	const struct rp_section *sec = k->child;
	size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	unsigned *count = field_at(field, k->count_offset - k->offset);
	char *arr;

	if (!expect(l, seq, YAML_SEQUENCE_NODE, "a list", path))
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
	FOREACH_ITEM(l, seq, it) {
		char sub[PATH_MAX_LEN];
		void *elem = arr + (size_t)*count * sec->size;

		snprintf(sub, sizeof(sub), "%s[%u]", path, *count);
		apply_defaults(sec, elem, l->errs);
		(*count)++;
		load_section(l, sec, node(l, *it), elem, sub);
	}
}

static void load_section_row(struct loader *l, const struct rp_key *k, yaml_node_t *n,
			     void *field, const char *path)
{
	load_section(l, k->child, n, field, path);
}

typedef void (*node_loader_fn)(struct loader *l, const struct rp_key *k, yaml_node_t *n,
			       void *field, const char *path);

/* How each value type is read from its node; the rest are plain scalars. */
static const node_loader_fn node_loaders[RP_V__COUNT] = {
	[RP_V_CPUS]     = load_cpus,
	[RP_V_FEATURES] = load_features,
	[RP_V_U32LIST]  = load_u32list,
	[RP_V_SECTION]  = load_section_row,
	[RP_V_LIST]     = load_list,
};

static void load_value(struct loader *l, const struct rp_key *k, yaml_node_t *n,
		       void *base, const char *path)
{
	void *field = field_at(base, k->offset);
	node_loader_fn fn = node_loaders[k->type] ? node_loaders[k->type] : load_scalar;
	unsigned n_errs = l->errs->n;

	if (k->flags & RP_K_HAS_MARK)
		*(struct rp_mark *)field_at(base, k->mark_offset) = mark_of(n);
	if (is_null(n)) {
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
					   yaml_node_t *map)
{
	const struct rp_key *k;

	if (!sec->variant_key || !(k = rp_section_find(sec, sec->variant_key)))
		return NULL;
	FOREACH_PAIR(l, map, p) {
		yaml_node_t *key = node(l, p->key), *val = node(l, p->value);
		char why[RP_WHY_MAX];
		int v = -1;

		if (key->type != YAML_SCALAR_NODE || val->type != YAML_SCALAR_NODE ||
		    strcmp((const char *)key->data.scalar.value, sec->variant_key))
			continue;
		if (!rp_vcodecs[k->type].parse(k, (const char *)val->data.scalar.value, &v, why) && v >= 0)
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

static void unknown_key(struct loader *l, yaml_node_t *key, const char *name,
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

static void check_required(struct loader *l, const struct rp_section *sec, yaml_node_t *map,
			   yaml_node_t *const *seen, const char *path)
{
	for (unsigned i = 0; i < sec->n_keys; i++)
		if ((sec->keys[i].flags & RP_K_REQUIRED) && !seen[i])
			node_error(l, map, path, "missing required key '%s' in %s",
				   sec->keys[i].key, sec->name);
}

static void load_section(struct loader *l, const struct rp_section *sec, yaml_node_t *map,
			 void *base, const char *path)
{
	const struct rp_section *var;
	yaml_node_t *seen[KEYS_MAX] = { 0 };

	if (!expect(l, map, YAML_MAPPING_NODE, "a mapping", path))
		return;
	if (sec->has_mark)
		*(struct rp_mark *)field_at(base, sec->mark_offset) = mark_of(map);
	var = variant_of(l, sec, map);
	if (var)
		apply_defaults(var, base, l->errs);
	FOREACH_PAIR(l, map, p) {
		yaml_node_t *key = node(l, p->key);
		char sub[PATH_MAX_LEN];
		const struct rp_key *k;
		const char *name;
		unsigned idx;

		if (!expect(l, key, YAML_SCALAR_NODE, "a key name", path) ||
		    !(name = scalar_text(l, key, path)))
			continue;
		k = find_row(sec, var, name, &idx);
		if (!k) {
			unknown_key(l, key, name, sec, var, path);
			continue;
		}
		join(sub, path, name);
		if (idx < KEYS_MAX && seen[idx]) {
			struct rp_mark first = mark_of(seen[idx]);

			node_error(l, key, path, "duplicate key '%s' (first at line %u, column %u)",
				   name, first.line, first.column);
			continue;
		}
		if (idx < KEYS_MAX)
			seen[idx] = key;
		load_value(l, k, node(l, p->value), base, sub);
	}
	if (!stopped(l))
		check_required(l, sec, map, seen, path);
}

/* ---- documents ------------------------------------------------------------------ */

/* The reader (bad UTF-8, control characters) reports a byte offset, not a
 * mark: count lines in the input (always a string here) up to it. */
static struct rp_mark reader_mark(const yaml_parser_t *p)
{
	const unsigned char *s = p->input.string.start;
	struct rp_mark at = { 1, 1 };

	for (size_t i = 0; i < p->problem_offset && s + i < p->input.string.end; i++) {
		if (s[i] == '\n')
			at.line++, at.column = 1;
		else
			at.column++;
	}
	return at;
}

static void parser_error(const yaml_parser_t *p, const char *file, struct rp_cfg_errors *errs)
{
	struct rp_mark at = { (unsigned)p->problem_mark.line + 1, (unsigned)p->problem_mark.column + 1 };

	if (p->error == YAML_READER_ERROR) {
		rp_cfg_error_add(errs, file, reader_mark(p), "YAML syntax error: %s (byte 0x%02x)",
				 p->problem ? p->problem : "unreadable input", (unsigned)p->problem_value & 0xff);
		return;
	}
	if (p->context)
		rp_cfg_error_add(errs, file, at, "YAML syntax error: %s %s (line %u, column %u)",
				 p->problem ? p->problem : "unknown problem", p->context,
				 (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
	else
		rp_cfg_error_add(errs, file, at, "YAML syntax error: %s",
				 p->problem ? p->problem : "unknown problem");
}

static const yaml_char_t *event_anchor(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:         return ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT: return ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:  return ev->data.mapping_start.anchor;
	default:                        return NULL;
	}
}

static void shape_error(struct rp_cfg_errors *errs, const char *file, const yaml_event_t *ev,
			const char *what)
{
	struct rp_mark at = { (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1 };

	rp_cfg_error_add(errs, file, at, "%s: not a ringplane config", what);
}

/*
 * libyaml's scanner does work proportional to the flow nesting depth for
 * every token (100k '[' take it tens of seconds), and its loader looks each
 * alias up among all anchors (1 MB of them: seconds). An event pass that
 * stops at DEPTH_MAX or ANCHORS_MAX refuses such input in microseconds;
 * anything else (syntax errors included) is left to the real load.
 */
static bool shape_ok(const char *text, size_t len, const char *file, struct rp_cfg_errors *errs)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, anchors = 0;
	bool ok = true, done = false;

	if (!yaml_parser_initialize(&p))
		return true;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (ok && !done && yaml_parser_parse(&p, &ev)) {
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		anchors += event_anchor(&ev) != NULL;
		done = ev.type == YAML_STREAM_END_EVENT;
		if (depth > DEPTH_MAX)
			shape_error(errs, file, &ev, "nested deeper than " STR(DEPTH_MAX) " levels"), ok = false;
		else if (anchors > ANCHORS_MAX)
			shape_error(errs, file, &ev, "more than " STR(ANCHORS_MAX) " anchors (&name)"), ok = false;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return ok;
}

/* A config is one document; a second one is most likely a mistake. */
static void check_single_document(yaml_parser_t *p, const char *file, struct rp_cfg_errors *errs)
{
	yaml_document_t next;
	yaml_node_t *root;

	if (!yaml_parser_load(p, &next)) {
		parser_error(p, file, errs);
		return;
	}
	root = yaml_document_get_root_node(&next);
	if (root)
		rp_cfg_error_add(errs, file, mark_of(root),
				 "a second YAML document: a config file holds exactly one");
	yaml_document_delete(&next);
}

static void load_document(yaml_parser_t *p, struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	yaml_document_t doc;
	struct loader l = { .doc = &doc, .file = cfg->file, .errs = errs };
	yaml_node_t *root;

	if (!yaml_parser_load(p, &doc)) {
		parser_error(p, cfg->file, errs);
		return;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root)
		rp_cfg_error_add(errs, cfg->file, (struct rp_mark){ 1, 1 },
				 "empty document: expected a mapping of sections (services, workers, ...)");
	else
		load_section(&l, &rp_schema_root, root, cfg, "");
	yaml_document_delete(&doc);
	if (root && !rp_cfg_errors_full(errs))
		check_single_document(p, cfg->file, errs);
}

int rp_config_load_string(const char *name, const char *text, size_t len,
			  struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	unsigned n_before = errs->n;
	yaml_parser_t parser;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->file, sizeof(cfg->file), "%s", name);
	apply_defaults(&rp_schema_root, cfg, errs);
	if (!yaml_parser_initialize(&parser)) {
		rp_cfg_error_add(errs, cfg->file, (struct rp_mark){ 0, 0 }, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (shape_ok(text, len, cfg->file, errs))
		load_document(&parser, cfg, errs);
	yaml_parser_delete(&parser);
	if (!rp_cfg_errors_full(errs))
		rp_config_check_rules(cfg, errs);
	rp_cfg_errors_sort(errs, n_before);
	return errs->n > n_before ? -1 : 0;
}
