/* SPDX-License-Identifier: MIT */
/*
 * libyaml events -> struct rp_ytree (see tree.h). One handler per event
 * type; children are collected on a pending stack and copied into kids[]
 * when their container ends, so each container's children are contiguous.
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/errors.h"
#include "config/tree.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

struct anchor {
	char *name;
	unsigned id;
};

struct open_node {
	unsigned id;
	size_t start;		/* its first child in pending[] */
};

struct builder {
	struct rp_ytree *t;
	const char *file;
	struct rp_cfg_errors *errs;
	unsigned *pending;
	size_t n_pending, cap_pending;
	struct open_node stack[RP_YTREE_DEPTH_MAX];
	unsigned depth;
	struct anchor anchors[RP_YTREE_ANCHORS_MAX];
	unsigned n_anchors;
	unsigned documents;
};

static struct rp_mark event_mark(const yaml_event_t *ev)
{
	return (struct rp_mark){ (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1 };
}

static int fail(struct builder *b, const yaml_event_t *ev, const char *msg)
{
	rp_cfg_error_add(b->errs, b->file, event_mark(ev), "%s", msg);
	return -1;
}

/* Room for need elements of size elem in *v (capacity *cap). */
static bool reserve(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	p = realloc(*v, n * elem);
	if (!p)
		return false;
	*v = p;
	*cap = n;
	return true;
}

#define RESERVE(arr, cap, need) reserve((void **)&(arr), &(cap), (need), sizeof(*(arr)))

static unsigned new_node(struct builder *b, enum rp_ynode_type type, const yaml_event_t *ev)
{
	struct rp_ytree *t = b->t;

	if (!RESERVE(t->nodes, t->cap_nodes, t->n_nodes + 1))
		return RP_YTREE_NONE;
	t->nodes[t->n_nodes] = (struct rp_ynode){ .type = type, .mark = event_mark(ev) };
	return (unsigned)t->n_nodes++;
}

/* The new node is the root, or the next child of the open container. */
static int attach(struct builder *b, const yaml_event_t *ev, unsigned id)
{
	if (id == RP_YTREE_NONE)
		return fail(b, ev, "out of memory");
	if (!b->depth) {
		b->t->root = id;
		return 0;
	}
	if (!RESERVE(b->pending, b->cap_pending, b->n_pending + 1))
		return fail(b, ev, "out of memory");
	b->pending[b->n_pending++] = id;
	return 0;
}

static int add_anchor(struct builder *b, const yaml_event_t *ev, const yaml_char_t *name, unsigned id)
{
	if (!name)
		return 0;
	if (b->n_anchors == RP_YTREE_ANCHORS_MAX)
		return fail(b, ev, "more than " STR(RP_YTREE_ANCHORS_MAX) " anchors (&name): not a ringplane config");
	b->anchors[b->n_anchors] = (struct anchor){ strdup((const char *)name), id };
	if (!b->anchors[b->n_anchors].name)
		return fail(b, ev, "out of memory");
	b->n_anchors++;
	return 0;
}

/* ---- one handler per event type ---------------------------------------------- */

static int on_document(struct builder *b, const yaml_event_t *ev)
{
	if (++b->documents > 1)
		return fail(b, ev, "a second YAML document: a config file holds exactly one");
	return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct rp_ytree *t = b->t;
	size_t len = ev->data.scalar.length;
	unsigned id = new_node(b, RP_Y_SCALAR, ev);

	if (id == RP_YTREE_NONE || !RESERVE(t->texts, t->cap_texts, t->n_texts + len + 1))
		return fail(b, ev, "out of memory");
	memcpy(t->texts + t->n_texts, ev->data.scalar.value, len);
	t->texts[t->n_texts + len] = '\0';
	t->nodes[id].text = t->n_texts;
	t->nodes[id].len = len;
	t->nodes[id].plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	t->n_texts += len + 1;
	if (add_anchor(b, ev, ev->data.scalar.anchor, id))
		return -1;
	return attach(b, ev, id);
}

static int open_container(struct builder *b, const yaml_event_t *ev, enum rp_ynode_type type,
			  const yaml_char_t *anchor)
{
	unsigned id;

	if (b->depth == RP_YTREE_DEPTH_MAX)
		return fail(b, ev, "nested deeper than " STR(RP_YTREE_DEPTH_MAX) " levels: not a ringplane config");
	id = new_node(b, type, ev);
	if (attach(b, ev, id) || add_anchor(b, ev, anchor, id))
		return -1;
	b->stack[b->depth++] = (struct open_node){ id, b->n_pending };
	return 0;
}

static int on_seq_start(struct builder *b, const yaml_event_t *ev)
{
	return open_container(b, ev, RP_Y_SEQ, ev->data.sequence_start.anchor);
}

static int on_map_start(struct builder *b, const yaml_event_t *ev)
{
	return open_container(b, ev, RP_Y_MAP, ev->data.mapping_start.anchor);
}

/* The container's children move from pending[] into kids[], in order. */
static int on_end(struct builder *b, const yaml_event_t *ev)
{
	struct rp_ytree *t = b->t;
	struct open_node o = b->stack[--b->depth];
	size_t count = b->n_pending - o.start;
	struct rp_ynode *n = &t->nodes[o.id];

	if (!RESERVE(t->kids, t->cap_kids, t->n_kids + count))
		return fail(b, ev, "out of memory");
	if (count)	/* an empty container has no pending array to copy from */
		memcpy(t->kids + t->n_kids, b->pending + o.start, count * sizeof(*t->kids));
	n->first = (unsigned)t->n_kids;
	n->n = (unsigned)(n->type == RP_Y_MAP ? count / 2 : count);
	n->done = true;
	t->n_kids += count;
	b->n_pending = o.start;
	return 0;
}

/* A copy of the anchored node that remembers where the alias was written. */
static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	unsigned id;

	for (unsigned i = b->n_anchors; i-- > 0;) {	/* the latest definition wins */
		if (strcmp(b->anchors[i].name, name))
			continue;
		if (b->t->nodes[b->anchors[i].id].type != RP_Y_SCALAR &&
		    !b->t->nodes[b->anchors[i].id].done)
			return fail(b, ev, "an alias inside the node it names (a recursive alias)");
		id = new_node(b, RP_Y_SCALAR, ev);
		if (id != RP_YTREE_NONE) {
			struct rp_mark at = b->t->nodes[id].mark;

			b->t->nodes[id] = b->t->nodes[b->anchors[i].id];
			b->t->nodes[id].mark = at;
		}
		return attach(b, ev, id);
	}
	rp_cfg_error_add(b->errs, b->file, event_mark(ev), "undefined alias '*%.64s'", name);
	return -1;
}

typedef int (*event_fn)(struct builder *b, const yaml_event_t *ev);

static const event_fn on_event[] = {
	[YAML_DOCUMENT_START_EVENT] = on_document,
	[YAML_SCALAR_EVENT]         = on_scalar,
	[YAML_SEQUENCE_START_EVENT] = on_seq_start,
	[YAML_SEQUENCE_END_EVENT]   = on_end,
	[YAML_MAPPING_START_EVENT]  = on_map_start,
	[YAML_MAPPING_END_EVENT]    = on_end,
	[YAML_ALIAS_EVENT]          = on_alias,
};

/* ---- syntax errors ------------------------------------------------------------- */

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
	const char *problem = p->problem ? p->problem : "unknown problem";

	if (p->error == YAML_READER_ERROR)
		rp_cfg_error_add(errs, file, reader_mark(p), "YAML syntax error: %s (byte 0x%02x)",
				 problem, (unsigned)p->problem_value & 0xff);
	else if (p->context)
		rp_cfg_error_add(errs, file, at, "YAML syntax error: %s %s (line %u, column %u)",
				 problem, p->context, (unsigned)p->context_mark.line + 1,
				 (unsigned)p->context_mark.column + 1);
	else
		rp_cfg_error_add(errs, file, at, "YAML syntax error: %s", problem);
}

/* ---- API ---------------------------------------------------------------------- */

int rp_ytree_load(struct rp_ytree *t, const char *text, size_t len, const char *file,
		  struct rp_cfg_errors *errs)
{
	struct builder b = { .t = t, .file = file, .errs = errs };
	unsigned n_before = errs->n;
	yaml_parser_t p;
	yaml_event_t ev;
	bool end = false;

	memset(t, 0, sizeof(*t));
	t->root = RP_YTREE_NONE;
	if (!yaml_parser_initialize(&p)) {
		rp_cfg_error_add(errs, file, (struct rp_mark){ 0, 0 }, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!end) {
		event_fn fn;

		if (!yaml_parser_parse(&p, &ev)) {
			parser_error(&p, file, errs);
			break;
		}
		fn = (size_t)ev.type < sizeof(on_event) / sizeof(on_event[0]) ? on_event[ev.type] : NULL;
		end = ev.type == YAML_STREAM_END_EVENT || (fn && fn(&b, &ev));
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	for (unsigned i = 0; i < b.n_anchors; i++)
		free(b.anchors[i].name);
	free(b.pending);
	return errs->n > n_before ? -1 : 0;
}

void rp_ytree_free(struct rp_ytree *t)
{
	free(t->nodes);
	free(t->kids);
	free(t->texts);
	memset(t, 0, sizeof(*t));
	t->root = RP_YTREE_NONE;
}
