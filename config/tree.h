/* SPDX-License-Identifier: MIT */
/*
 * A YAML document as a small tree of nodes with marks, built from libyaml's
 * events (internal to config/). Unlike libyaml's own document loader it
 * keeps where each alias was written (an error in an aliased value points at
 * the alias, not only at the anchor), caps nesting depth and anchors (the
 * inputs that make libyaml slow), and refuses a second document.
 */
#ifndef RP_CONFIG_TREE_H
#define RP_CONFIG_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

#define RP_YTREE_DEPTH_MAX	64	/* the schema needs 5 levels */
#define RP_YTREE_ANCHORS_MAX	256	/* a config uses a handful */
#define RP_YTREE_NONE		(~0u)

enum rp_ynode_type {
	RP_Y_SCALAR,
	RP_Y_SEQ,
	RP_Y_MAP,
};

struct rp_ynode {
	enum rp_ynode_type type;
	struct rp_mark mark;	/* of the node, or of the alias that names it */
	bool plain;		/* scalar: plain style (only those can be null) */
	bool done;		/* container: its end was seen */
	size_t text;		/* scalar: offset of its NUL-terminated text */
	size_t len;		/* scalar: bytes (a "\0" escape makes it > strlen) */
	unsigned first;		/* container: first index in kids[] */
	unsigned n;		/* SEQ: items; MAP: pairs (key, value in kids[]) */
};

struct rp_ytree {
	struct rp_ynode *nodes;
	size_t n_nodes, cap_nodes;
	unsigned *kids;
	size_t n_kids, cap_kids;
	char *texts;
	size_t n_texts, cap_texts;
	unsigned root;		/* RP_YTREE_NONE: no document */
};

/* Parse text into t. 0, or -1 with the problems added to errs (file names
 * them). Either way rp_ytree_free(t) after. */
int rp_ytree_load(struct rp_ytree *t, const char *text, size_t len, const char *file,
		  struct rp_cfg_errors *errs);
void rp_ytree_free(struct rp_ytree *t);

static inline const struct rp_ynode *rp_ynode(const struct rp_ytree *t, unsigned id)
{
	return &t->nodes[id];
}

static inline const char *rp_ynode_text(const struct rp_ytree *t, const struct rp_ynode *n)
{
	return t->texts + n->text;
}

/* SEQ: item i. MAP: key or value of pair i. */
static inline const struct rp_ynode *rp_ynode_item(const struct rp_ytree *t,
						   const struct rp_ynode *n, unsigned i)
{
	return &t->nodes[t->kids[n->first + i]];
}

static inline const struct rp_ynode *rp_ynode_key(const struct rp_ytree *t,
						  const struct rp_ynode *n, unsigned i)
{
	return &t->nodes[t->kids[n->first + 2 * i]];
}

static inline const struct rp_ynode *rp_ynode_value(const struct rp_ytree *t,
						    const struct rp_ynode *n, unsigned i)
{
	return &t->nodes[t->kids[n->first + 2 * i + 1]];
}

#endif
