/* SPDX-License-Identifier: MIT */
/*
 * Key-by-key config comparison (see diff.h): both configs are walked along
 * the schema; scalars are compared as the printer formats them, so "equal"
 * means "prints the same" and marks (where a key sits in the file) never
 * count as a change.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "config/diff.h"
#include "config/value.h"

struct walk {
	const char *const *skip;
	rp_cfg_change_fn fn;
	void *arg;
	bool stopped;
};

static const void *at(const void *base, size_t offset)
{
	return (const char *)base + offset;
}

static unsigned count_of(const struct rp_key *k, const void *base)
{
	return *(const unsigned *)at(base, k->count_offset);
}

static bool skipped(const struct walk *wk, const char *path)
{
	for (unsigned i = 0; wk->skip && wk->skip[i]; i++)
		if (!fnmatch(wk->skip[i], path, 0))
			return true;
	return false;
}

static void report(struct walk *wk, const char *path, const char *was, const char *now,
		   struct rp_mark mark)
{
	struct rp_cfg_change c = { .at = mark };

	if (wk->stopped)
		return;
	snprintf(c.path, sizeof(c.path), "%s", path);
	snprintf(c.was, sizeof(c.was), "%s", was);
	snprintf(c.now, sizeof(c.now), "%s", now);
	wk->stopped = !wk->fn(wk->arg, &c);
}

/* ethtool feature maps: "name=on name=off ..." */
static void format_features(const struct rp_key *k, const void *base, char *buf, size_t n)
{
	const struct rp_feature_cfg *v = *(const struct rp_feature_cfg *const *)at(base, k->offset);
	size_t off = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < count_of(k, base) && off < n; i++) {
		int w = snprintf(buf + off, n - off, "%s%s=%s", i ? " " : "", v[i].name,
				 v[i].on ? "on" : "off");
		off += w > 0 ? (size_t)w : 0;
	}
}

static void format_scalar(const struct rp_key *k, const void *base, char *buf, size_t n)
{
	const struct rp_vcodec *c = &rp_vcodecs[k->type];
	const void *field = at(base, k->offset);

	if (k->type == RP_V_FEATURES)
		format_features(k, base, buf, n);
	else if (c->is_unset(k, field))
		snprintf(buf, n, "~");
	else
		c->format(k, field, buf, n);
}

/* The name an entry goes by in paths: its "name" key, else its index. */
static void entry_label(const struct rp_section *sec, const void *e, unsigned i, char *buf,
			size_t n)
{
	const struct rp_key *k = rp_section_find(sec, "name");
	const char *name = k && k->type == RP_V_STRING ? at(e, k->offset) : NULL;

	if (name && name[0])
		snprintf(buf, n, "%s", name);
	else
		snprintf(buf, n, "%u", i);
}

static struct rp_mark mark_of(const struct rp_section *sec, const void *base,
			      const struct rp_key *k, struct rp_mark outer)
{
	struct rp_mark m = outer;

	if (sec->has_mark)
		m = *(const struct rp_mark *)at(base, sec->mark_offset);
	if (k && (k->flags & RP_K_HAS_MARK)) {
		struct rp_mark km = *(const struct rp_mark *)at(base, k->mark_offset);

		if (km.line)
			m = km;
	}
	return m.line ? m : outer;
}

static void walk_section(struct walk *wk, const struct rp_section *sec, const void *was,
			 const void *now, const char *path, struct rp_mark outer);

/* The entries' labels, "a, b, c" (or their count): what a list was/is. */
static void list_summary(const struct rp_key *k, const void *base, char *buf, size_t n)
{
	const char *arr = *(const char *const *)at(base, k->offset);
	unsigned cnt = count_of(k, base);
	size_t off = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < cnt && off < n; i++) {
		char label[RP_NAME_MAX + 16];
		int w;

		entry_label(k->child, arr + (size_t)i * k->child->size, i, label, sizeof(label));
		w = snprintf(buf + off, n - off, "%s%s", i ? ", " : "", label);
		off += w > 0 ? (size_t)w : 0;
	}
	if (!cnt)
		snprintf(buf, n, "none");
}

static void walk_list(struct walk *wk, const struct rp_key *k, const void *was, const void *now,
		      const char *path, struct rp_mark m)
{
	const char *a = *(const char *const *)at(was, k->offset);
	const char *b = *(const char *const *)at(now, k->offset);
	unsigned n = count_of(k, was);

	if (n != count_of(k, now)) {
		char sa[RP_DIFF_VALUE], sb[RP_DIFF_VALUE];

		list_summary(k, was, sa, sizeof(sa));
		list_summary(k, now, sb, sizeof(sb));
		report(wk, path, sa, sb, m);
		return;
	}
	for (unsigned i = 0; i < n && !wk->stopped; i++) {
		const void *ea = a + (size_t)i * k->child->size, *eb = b + (size_t)i * k->child->size;
		char la[RP_NAME_MAX + 16], lb[RP_NAME_MAX + 16], sub[RP_DIFF_PATH + RP_NAME_MAX + 24];

		entry_label(k->child, ea, i, la, sizeof(la));
		entry_label(k->child, eb, i, lb, sizeof(lb));
		if (strcmp(la, lb)) {	/* renamed, or another one in its place */
			snprintf(sub, sizeof(sub), "%s[%u]", path, i);
			report(wk, sub, la, lb, mark_of(k->child, eb, NULL, m));
			continue;
		}
		snprintf(sub, sizeof(sub), "%s[%s]", path, lb);
		walk_section(wk, k->child, ea, eb, sub, m);
	}
}

static void walk_key(struct walk *wk, const struct rp_section *sec, const struct rp_key *k,
		     const void *was, const void *now, const char *prefix, struct rp_mark outer)
{
	char path[RP_DIFF_PATH], va[RP_DIFF_VALUE * 8], vb[RP_DIFF_VALUE * 8];
	struct rp_mark m = mark_of(sec, now, k, outer);

	snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", k->key);
	if (skipped(wk, path))
		return;
	switch (k->type) {
	case RP_V_SECTION:
		walk_section(wk, k->child, at(was, k->offset), at(now, k->offset), path, m);
		return;
	case RP_V_LIST:
		walk_list(wk, k, was, now, path, m);
		return;
	default:
		format_scalar(k, was, va, sizeof(va));
		format_scalar(k, now, vb, sizeof(vb));
		if (strcmp(va, vb))
			report(wk, path, va, vb, m);
	}
}

static void walk_keys(struct walk *wk, const struct rp_section *sec, const void *was,
		      const void *now, const char *path, struct rp_mark outer)
{
	for (unsigned i = 0; sec && i < sec->n_keys && !wk->stopped; i++)
		walk_key(wk, sec, &sec->keys[i], was, now, path, outer);
}

static void walk_section(struct walk *wk, const struct rp_section *sec, const void *was,
			 const void *now, const char *path, struct rp_mark outer)
{
	struct rp_mark m = mark_of(sec, now, NULL, outer);

	walk_keys(wk, sec, was, now, path, m);
	if (sec->variant_key && !wk->stopped) {
		const struct rp_key *k = rp_section_find(sec, sec->variant_key);
		int va = *(const int *)at(was, k->offset), vb = *(const int *)at(now, k->offset);

		/* a changed variant key was reported above; its keys differ in kind */
		if (va == vb && va >= 0)
			walk_keys(wk, sec->variants[va], was, now, path, m);
	}
}

void rp_config_diff(const struct rp_config *was, const struct rp_config *now,
		    const char *const *skip, rp_cfg_change_fn fn, void *arg)
{
	struct walk wk = { .skip = skip, .fn = fn, .arg = arg };

	walk_section(&wk, &rp_schema_root, was, now, "", (struct rp_mark){ 1, 1 });
}
