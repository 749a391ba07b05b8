/* SPDX-License-Identifier: MIT */
/*
 * Reading the exposition text back: enough of the Prometheus text format to
 * read what metrics.c writes (and tolerate what it does not: other metric
 * families, timestamps, comments), into one row per (worker, service).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/metrics.h"

#define LABEL_MAX 8

struct label {
	char key[32];
	char val[128];
};

struct sample {
	char name[128];
	struct label labels[LABEL_MAX];
	unsigned n_labels;
	double value;
};

int rp_counter_by_name(const char *name)
{
	for (unsigned k = 0; k < RP_C__COUNT; k++)
		if (!strcmp(rp_counter_table[k].name, name))
			return (int)k;
	return -1;
}

/* Copy [s, s+n) into dst (size cap) with the format's escapes undone. */
static void unescape(char *dst, size_t cap, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < n) {
			c = s[++i];
			if (c == 'n')
				c = '\n';
		}
		dst[o++] = c;
	}
	dst[o] = '\0';
}

/* labels: key="value",...}  — p points after '{'; returns after '}'. */
static const char *parse_labels(const char *p, struct sample *s)
{
	while (*p && *p != '}') {
		struct label *l = &s->labels[s->n_labels < LABEL_MAX ? s->n_labels : LABEL_MAX - 1];
		const char *k = p, *v;
		size_t kn;

		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		kn = (size_t)(p - k);
		if (!kn || *p != '=' || p[1] != '"')
			return NULL;
		p += 2;
		v = p;
		while (*p && *p != '"')
			p += (*p == '\\' && p[1]) ? 2 : 1;
		if (*p != '"')
			return NULL;
		snprintf(l->key, sizeof(l->key), "%.*s", (int)kn, k);
		unescape(l->val, sizeof(l->val), v, (size_t)(p - v));
		if (s->n_labels < LABEL_MAX)
			s->n_labels++;
		p++;
		if (*p == ',')
			p++;
	}
	return *p == '}' ? p + 1 : NULL;
}

/* One sample line; 0 or -1 when it is malformed. */
static int parse_sample(const char *line, struct sample *s)
{
	const char *p = line, *n = line;
	char *end;

	memset(s, 0, sizeof(*s));
	while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
		p++;
	if (p == n || (size_t)(p - n) >= sizeof(s->name))
		return -1;
	memcpy(s->name, n, (size_t)(p - n));
	if (*p == '{' && !(p = parse_labels(p + 1, s)))
		return -1;
	if (*p != ' ' && *p != '\t')
		return -1;
	s->value = strtod(p, &end);
	if (end == p)
		return -1;
	return 0;
}

static const char *label(const struct sample *s, const char *key)
{
	for (unsigned i = 0; i < s->n_labels; i++)
		if (!strcmp(s->labels[i].key, key))
			return s->labels[i].val;
	return NULL;
}

static struct rp_metrics_row *row_for(struct rp_metrics_snapshot *snap,
				      int worker, const char *service)
{
	struct rp_metrics_row *r;

	for (unsigned i = 0; i < snap->n_rows; i++) {
		r = &snap->rows[i];
		if (r->worker == worker && !strcmp(r->service, service))
			return r;
	}
	r = realloc(snap->rows, (snap->n_rows + 1) * sizeof(*r));
	if (!r)
		return NULL;
	snap->rows = r;
	r = &snap->rows[snap->n_rows++];
	memset(r, 0, sizeof(*r));
	r->worker = worker;
	snprintf(r->service, sizeof(r->service), "%s", service);
	return r;
}

/* "rx_packets_total" -> RP_C_RX_PACKETS; the suffix must match the kind. */
static int counter_of(const char *name)
{
	char base[128];
	size_t n = strlen(name);
	int k;

	if (n > 6 && !strcmp(name + n - 6, "_total")) {
		snprintf(base, sizeof(base), "%.*s", (int)(n - 6), name);
		k = rp_counter_by_name(base);
		return k >= 0 && rp_counter_table[k].kind == RP_CK_COUNTER ? k : -1;
	}
	k = rp_counter_by_name(name);
	return k >= 0 && rp_counter_table[k].kind == RP_CK_GAUGE ? k : -1;
}

static int apply_sample(struct rp_metrics_snapshot *snap, const struct sample *s)
{
	const char *name = s->name + strlen("ringplane_");
	const char *w, *svc;
	struct rp_metrics_row *r;
	int k;

	if (strncmp(s->name, "ringplane_", strlen("ringplane_")))
		return 0;
	if (!strcmp(name, "info")) {
		snprintf(snap->version, sizeof(snap->version), "%s", label(s, "version") ?: "");
		snprintf(snap->kernel, sizeof(snap->kernel), "%s", label(s, "kernel") ?: "");
		return 0;
	}
	w = label(s, "worker");
	if (!strcmp(name, "worker_cpu") && w) {
		if (!(r = row_for(snap, atoi(w), "")))
			return -1;
		r->has_cpu = true;
		r->cpu = (int)s->value;
		return 0;
	}
	k = counter_of(name);
	if (k < 0)
		return 0;
	svc = label(s, "service");
	r = row_for(snap, w ? atoi(w) : -1, svc ?: "");
	if (!r)
		return -1;
	r->has[k] = true;
	r->v[k] = (uint64_t)s->value;
	return 0;
}

int rp_metrics_parse(const char *text, struct rp_metrics_snapshot *snap,
		     char *err, size_t errlen)
{
	unsigned lineno = 0;

	memset(snap, 0, sizeof(*snap));
	while (*text) {
		const char *eol = strchrnul(text, '\n');
		char line[1024];
		struct sample s;

		lineno++;
		snprintf(line, sizeof(line), "%.*s", (int)(eol - text), text);
		text = *eol ? eol + 1 : eol;
		if (!line[0] || line[0] == '#')
			continue;
		if (parse_sample(line, &s) < 0) {
			snprintf(err, errlen, "line %u: not a metric sample: '%.60s'", lineno, line);
			goto fail;
		}
		if (apply_sample(snap, &s) < 0) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	return 0;
fail:
	rp_metrics_snapshot_free(snap);
	return -1;
}

void rp_metrics_snapshot_free(struct rp_metrics_snapshot *snap)
{
	free(snap->rows);
	memset(snap, 0, sizeof(*snap));
}
