/* SPDX-License-Identifier: MIT */
/* Two benchmark result files side by side; see compare.h. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "bench/compare.h"

/* A result file, checked to be one: {benchmark, parameters, results: [...]}. */
static json_t *load(FILE *err, const char *path)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);

	if (!root) {
		fprintf(err, "ringplane bench compare: %s:%d:%d: %s\n", path, je.line, je.column,
			je.text);
		return NULL;
	}
	if (!json_is_string(json_object_get(root, "benchmark")) ||
	    !json_is_array(json_object_get(root, "results"))) {
		fprintf(err, "ringplane bench compare: %s: not a benchmark result "
			"(no \"benchmark\" name or \"results\" list)\n", path);
		json_decref(root);
		return NULL;
	}
	return root;
}

static const char *str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The case of `doc` with this variant and these parameters, or NULL. */
static json_t *find_case(const json_t *doc, const json_t *c)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(doc, "results"), i, r)
		if (!strcmp(str_of(r, "variant"), str_of(c, "variant")) &&
		    json_equal(json_object_get(r, "params"), json_object_get(c, "params")))
			return r;
	return NULL;
}

static void fmt_params(const json_t *params, char *buf, size_t len)
{
	const char *key;
	json_t *v;
	size_t off = 0;

	buf[0] = '\0';
	json_object_foreach((json_t *)params, key, v) {
		if (off >= len)
			break;
		if (json_is_string(v))
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "", key,
						json_string_value(v));
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%g", off ? " " : "", key,
						json_number_value(v));
	}
}

static bool stat_of(const json_t *m, const char *which, double *out)
{
	json_t *v = json_object_get(m, which);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

/* One row per metric both cases have, with finite nonzero A. */
static unsigned compare_case(FILE *out, const json_t *ca, const json_t *cb)
{
	const json_t *ma = json_object_get(ca, "metrics"), *mb = json_object_get(cb, "metrics");
	char params[512];
	const char *name;
	json_t *a;
	unsigned rows = 0;

	fmt_params(json_object_get(ca, "params"), params, sizeof(params));
	json_object_foreach((json_t *)ma, name, a) {
		json_t *b = json_object_get(mb, name);
		double amed, bmed, amin, amax, bmin, bmax;

		if (!b || !stat_of(a, "median", &amed) || !stat_of(b, "median", &bmed) || amed == 0)
			continue;
		fprintf(out, "| %s | %s | %s (%s) | %.4g | %.4g | **%.3f** |", str_of(ca, "variant"),
			params, name, str_of(a, "unit"), amed, bmed, bmed / amed);
		if (stat_of(a, "min", &amin) && stat_of(a, "max", &amax) && amin > 0 && amax > 0 &&
		    stat_of(b, "min", &bmin) && stat_of(b, "max", &bmax))
			fprintf(out, " %.3f..%.3f |\n", bmin / amax, bmax / amin);
		else
			fputs(" |\n", out);
		rows++;
	}
	return rows;
}

/* Run parameters whose values differ between the files: worth knowing. */
static void param_notes(FILE *out, const json_t *a, const json_t *b)
{
	const json_t *pa = json_object_get(a, "parameters"), *pb = json_object_get(b, "parameters");
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)pa, key, v)
		if (!json_equal(v, json_object_get(pb, key)))
			fprintf(out, "- parameter `%s` differs between the files\n", key);
	json_object_foreach((json_t *)pb, key, v)
		if (!json_object_get(pa, key))
			fprintf(out, "- parameter `%s` only in B\n", key);
	if (!json_equal(json_object_get(a, "quick"), json_object_get(b, "quick")))
		fputs("- one file is a --quick run, the other is not\n", out);
}

static unsigned only_in(const json_t *doc, const json_t *other)
{
	unsigned n = 0;
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(doc, "results"), i, r)
		n += !find_case(other, r);
	return n;
}

static int compare_docs(FILE *out, FILE *err, const json_t *a, const json_t *b,
			const char *path_a, const char *path_b)
{
	unsigned cases = 0, rows = 0;
	size_t i;
	json_t *ca;

	if (strcmp(str_of(a, "benchmark"), str_of(b, "benchmark"))) {
		fprintf(err, "ringplane bench compare: %s is benchmark '%s', %s is '%s': "
			"only results of one benchmark compare\n", path_a, str_of(a, "benchmark"),
			path_b, str_of(b, "benchmark"));
		return -1;
	}
	fprintf(out, "# ringplane bench compare: %s\n\nA = %s (%s), B = %s (%s). "
		"Ratio = B/A of the medians; spread = B.min/A.max .. B.max/A.min.\n\n"
		"| variant | params | metric | A | B | B/A | spread |\n"
		"|---|---|---|---:|---:|---:|---:|\n", str_of(a, "benchmark"), path_a,
		str_of(a, "started"), path_b, str_of(b, "started"));
	json_array_foreach(json_object_get(a, "results"), i, ca) {
		json_t *cb = find_case(b, ca);

		if (!cb)
			continue;
		cases++;
		rows += compare_case(out, ca, cb);
	}
	if (!cases) {
		fprintf(err, "ringplane bench compare: %s and %s have no case in common "
			"(same variant and parameters)\n", path_a, path_b);
		return -1;
	}
	fprintf(out, "\n%u case(s) in common, %u metric row(s).\n\n", cases, rows);
	param_notes(out, a, b);
	if (only_in(a, b) || only_in(b, a))
		fprintf(out, "- cases only in A: %u, only in B: %u\n", only_in(a, b), only_in(b, a));
	return 0;
}

int rp_bench_compare(FILE *out, FILE *err, const char *path_a, const char *path_b)
{
	json_t *a = load(err, path_a), *b = a ? load(err, path_b) : NULL;
	int ret = a && b ? compare_docs(out, err, a, b, path_a, path_b) : -1;

	json_decref(a);
	json_decref(b);
	return ret;
}
