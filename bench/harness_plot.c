/* SPDX-License-Identifier: MIT */
/*
 * Plots, drawn by gnuplot (SVG terminal) from a script fed on its stdin; the
 * data travel inline as gnuplot datablocks, so no temporary files. Without
 * gnuplot (RP_GNUPLOT names another program, default "gnuplot" in PATH) the
 * run still writes its JSON and table, and a note says why there is no plot.
 */
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/harness_int.h"

#define CDF_POINTS 1000		/* points per CDF line: enough to look smooth */

extern char **environ;

static const char *gnuplot_prog(void)
{
	const char *p = getenv("RP_GNUPLOT");

	return p && *p ? p : "gnuplot";
}

/* Is prog an executable, by path or in PATH? */
static bool executable_found(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
		if (n && access(buf, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

static bool gnuplot_available(struct rp_bench_ctx *ctx)
{
	if (!ctx->gnuplot) {
		ctx->gnuplot = executable_found(gnuplot_prog()) ? 1 : -1;
		if (ctx->gnuplot < 0)
			rp_bench_note(ctx, "gnuplot not found ('%s'; Debian package gnuplot-nox): "
				      "no plots drawn, the JSON and the table are complete",
				      gnuplot_prog());
	}
	return ctx->gnuplot > 0;
}

/* A gnuplot single-quoted string: only the quote itself needs doubling. */
static void gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
	fputc('\'', f);
}

/* A script in memory, then handed to gnuplot on its stdin. */
struct script {
	FILE *f;
	char *text;
	size_t len;
	char *svg;		/* file name inside outdir */
};

static void script_begin(struct script *s, const struct rp_bench_ctx *ctx, const char *id,
			 const char *title)
{
	char *path;

	if (asprintf(&s->svg, "%s-%s.svg", ctx->def->name, id) < 0 ||
	    asprintf(&path, "%s/%s", ctx->outdir, s->svg) < 0)
		rp_bench_oom();
	s->f = open_memstream(&s->text, &s->len);
	if (!s->f)
		rp_bench_oom();
	fputs("set terminal svg size 900,540 dynamic noenhanced font 'sans,12' background 'white'\n",
	      s->f);
	fputs("set output ", s->f);
	gp_str(s->f, path);
	fputs("\nset title ", s->f);
	gp_str(s->f, title);
	fputs("\nset grid\nset key outside right top\n", s->f);
	free(path);
}

/* The script goes over a socket, not a pipe: MSG_NOSIGNAL keeps a gnuplot
 * that dies early from killing the benchmark with SIGPIPE. */
static int send_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = send(fd, text, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Runs gnuplot on the script: its exit status, or -errno. */
static int run_gnuplot(const char *text, size_t len)
{
	const char *prog = gnuplot_prog();
	char *argv[] = { (char *)prog, NULL };
	posix_spawn_file_actions_t fa;
	int sv[2], status, ret;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[0], STDIN_FILENO);
	ret = -posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[0]);
	if (!ret)
		send_all(sv[1], text, len);	/* gnuplot's status tells */
	close(sv[1]);
	if (ret)
		return ret;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Nothing to draw: say why instead. */
static void script_drop(struct script *s, struct rp_bench_ctx *ctx, const char *why)
{
	fclose(s->f);
	rp_bench_note(ctx, "%s not drawn: %s", s->svg, why);
	free(s->svg);
	free(s->text);
}

/* Draw, and record the file; a failed plot is a note, not a failed run. */
static void script_end(struct script *s, struct rp_bench_ctx *ctx)
{
	int ret;

	fclose(s->f);
	ret = run_gnuplot(s->text, s->len);
	if (ret < 0)
		rp_bench_note(ctx, "%s not drawn: cannot run %s: %s", s->svg, gnuplot_prog(),
			      strerror(-ret));
	else if (ret > 0)
		rp_bench_note(ctx, "%s not drawn: %s exited with status %d", s->svg,
			      gnuplot_prog(), ret);
	else
		*(char **)RP_VEC_PUSH(ctx->plots) = rp_bench_strdup(s->svg);
	free(s->svg);
	free(s->text);
}

/* ---- lines: metric median against a parameter, one line per variant ----- */

struct point {
	double x, med, lo, hi;
};

static int cmp_point(const void *a, const void *b)
{
	double x = ((const struct point *)a)->x, y = ((const struct point *)b)->x;

	return (x > y) - (x < y);
}

static bool result_point(const struct rp_bench_result *r, const struct rp_bench_plot *p,
			 struct point *pt)
{
	const struct rp_bench_series *s;
	unsigned j;

	if (!rp_bench_params_match(r, p->where, p->n_where, false))
		return false;
	for (j = 0; j < r->n_params; j++)
		if (!strcmp(r->params[j].key, p->x_param) && !r->params[j].str)
			break;
	s = rp_bench_find_metric(r, p->y_metric);
	if (j == r->n_params || !s || !s->reps.n)
		return false;
	*pt = (struct point){ r->params[j].num, s->median, s->min, s->max };
	return true;
}

/* Writes one datablock per variant; returns how many, and their names. */
static size_t lines_data(FILE *f, const struct rp_bench_ctx *ctx, const struct rp_bench_plot *p,
			 const char **variants, size_t max, const char **unit)
{
	size_t nv = 0;

	for (size_t i = 0; i < ctx->results.n && nv < max; i++) {
		const char *v = ctx->results.v[i].variant;
		RP_VEC(struct point) pts = { 0 };
		size_t k;

		for (k = 0; k < nv && strcmp(variants[k], v); k++)
			;
		if (k < nv)
			continue;
		for (size_t j = i; j < ctx->results.n; j++) {
			struct point pt;

			if (!strcmp(ctx->results.v[j].variant, v) &&
			    result_point(&ctx->results.v[j], p, &pt)) {
				*(struct point *)RP_VEC_PUSH(pts) = pt;
				*unit = rp_bench_find_metric(&ctx->results.v[j], p->y_metric)->unit;
			}
		}
		if (pts.n) {
			qsort(pts.v, pts.n, sizeof(*pts.v), cmp_point);
			fprintf(f, "$d%zu << EOD\n", nv);
			for (k = 0; k < pts.n; k++)
				fprintf(f, "%.10g %.10g %.10g %.10g\n", pts.v[k].x, pts.v[k].med,
					pts.v[k].lo, pts.v[k].hi);
			fputs("EOD\n", f);
			variants[nv++] = v;
		}
		free(pts.v);
	}
	return nv;
}

void rp_bench_plot_lines(struct rp_bench_ctx *ctx, const struct rp_bench_plot *p)
{
	const char *variants[32], *unit = "";
	struct script s;
	size_t nv;

	if (!gnuplot_available(ctx))
		return;
	script_begin(&s, ctx, p->id, p->title);
	nv = lines_data(s.f, ctx, p, variants, sizeof(variants) / sizeof(variants[0]), &unit);
	if (!nv) {
		script_drop(&s, ctx, "no case has that numeric parameter and metric");
		return;
	}
	fputs("set xlabel ", s.f);
	gp_str(s.f, p->x_param);
	fprintf(s.f, "\nset ylabel ");
	gp_str(s.f, unit[0] ? unit : p->y_metric);
	fprintf(s.f, "\n%s%s", p->log_x ? "set logscale x 2\n" : "", p->log_y ? "set logscale y\n" : "");
	/* keep the end points and their error bars off the frame */
	fputs("set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n", s.f);
	fputs("plot ", s.f);
	for (size_t k = 0; k < nv; k++) {
		fprintf(s.f, "%s$d%zu using 1:2:3:4 with yerrorlines title ", k ? ", " : "", k);
		gp_str(s.f, variants[k]);
	}
	fputc('\n', s.f);
	script_end(&s, ctx);
}

/* The k-th line of a plot command, from the data block $<var><k>. */
static void plot_line(FILE *f, char var, size_t k, const char *title)
{
	fprintf(f, "%s$%c%zu using 1:2 with lines lw 2 title ", k ? ", " : "", var, k);
	gp_str(f, title);
}

/* ---- CDF ---------------------------------------------------------------- */

void rp_bench_cdf_add(struct rp_bench_ctx *ctx, const char *id, const char *series,
		      const double *samples, size_t n)
{
	struct rp_bench_cdf *c = NULL;

	for (size_t i = 0; i < ctx->cdfs.n && !c; i++)
		if (!strcmp(ctx->cdfs.v[i].id, id) && !strcmp(ctx->cdfs.v[i].series, series))
			c = &ctx->cdfs.v[i];
	if (!c) {
		c = RP_VEC_PUSH(ctx->cdfs);
		c->id = rp_bench_strdup(id);
		c->series = rp_bench_strdup(series);
	}
	for (size_t i = 0; i < n; i++)
		if (isfinite(samples[i]))
			*(double *)RP_VEC_PUSH(c->samples) = samples[i];
}

static void cdf_data(FILE *f, size_t k, struct rp_bench_cdf *c)
{
	size_t n = c->samples.n, m = n < CDF_POINTS ? n : CDF_POINTS;

	rp_bench_percentile(c->samples.v, n, 0);	/* sorts */
	fprintf(f, "$c%zu << EOD\n", k);
	for (size_t i = 0; i < m; i++) {
		size_t idx = m > 1 ? i * (n - 1) / (m - 1) : 0;

		fprintf(f, "%.10g %.6f\n", c->samples.v[idx], (double)(idx + 1) / (double)n);
	}
	fputs("EOD\n", f);
}

void rp_bench_plot_cdf(struct rp_bench_ctx *ctx, const char *id, const char *title,
		       const char *x_label, bool log_x)
{
	struct script s;
	size_t k = 0;

	if (!gnuplot_available(ctx))
		return;
	script_begin(&s, ctx, id, title);
	for (size_t i = 0; i < ctx->cdfs.n; i++)
		if (!strcmp(ctx->cdfs.v[i].id, id) && ctx->cdfs.v[i].samples.n)
			cdf_data(s.f, k++, &ctx->cdfs.v[i]);
	if (!k) {
		script_drop(&s, ctx, "no samples were added for it");
		return;
	}
	fputs("set xlabel ", s.f);
	gp_str(s.f, x_label);
	fprintf(s.f, "\nset ylabel 'fraction of samples <= x'\nset yrange [0:1]\n%s",
		log_x ? "set logscale x\n" : "");
	fputs("plot ", s.f);
	k = 0;
	for (size_t i = 0; i < ctx->cdfs.n; i++) {
		if (strcmp(ctx->cdfs.v[i].id, id) || !ctx->cdfs.v[i].samples.n)
			continue;
		plot_line(s.f, 'c', k++, ctx->cdfs.v[i].series);
	}
	fputc('\n', s.f);
	script_end(&s, ctx);
}

void rp_bench_cdf_free(struct rp_bench_ctx *ctx)
{
	for (size_t i = 0; i < ctx->cdfs.n; i++) {
		free(ctx->cdfs.v[i].id);
		free(ctx->cdfs.v[i].series);
		free(ctx->cdfs.v[i].samples.v);
	}
	free(ctx->cdfs.v);
	ctx->cdfs.v = NULL;
	ctx->cdfs.n = ctx->cdfs.cap = 0;
}

/* ---- time series --------------------------------------------------------- */

static struct rp_bench_ts *ts_find(struct rp_bench_ctx *ctx, const char *id, const char *series)
{
	for (size_t i = 0; i < ctx->ts.n; i++)
		if (!strcmp(ctx->ts.v[i].id, id) && !strcmp(ctx->ts.v[i].series, series))
			return &ctx->ts.v[i];
	return NULL;
}

void rp_bench_ts_add(struct rp_bench_ctx *ctx, const char *id, const char *series,
		     double t, double v)
{
	struct rp_bench_ts *ts = ts_find(ctx, id, series);

	if (!isfinite(t) || !isfinite(v))
		return;
	if (!ts) {
		ts = RP_VEC_PUSH(ctx->ts);
		ts->id = rp_bench_strdup(id);
		ts->series = rp_bench_strdup(series);
	}
	*(double *)RP_VEC_PUSH(ts->t) = t;
	*(double *)RP_VEC_PUSH(ts->v) = v;
}

static void ts_data(FILE *f, size_t k, const struct rp_bench_ts *ts)
{
	fprintf(f, "$t%zu << EOD\n", k);
	for (size_t i = 0; i < ts->t.n; i++)
		fprintf(f, "%.10g %.10g\n", ts->t.v[i], ts->v.v[i]);
	fputs("EOD\n", f);
}

void rp_bench_plot_ts(struct rp_bench_ctx *ctx, const char *id, const char *title,
		      const char *x_label, const char *y_label)
{
	struct script s;
	size_t k = 0;

	if (!gnuplot_available(ctx))
		return;
	script_begin(&s, ctx, id, title);
	for (size_t i = 0; i < ctx->ts.n; i++)
		if (!strcmp(ctx->ts.v[i].id, id) && ctx->ts.v[i].t.n)
			ts_data(s.f, k++, &ctx->ts.v[i]);
	if (!k) {
		script_drop(&s, ctx, "no points were added for it");
		return;
	}
	fputs("set xlabel ", s.f);
	gp_str(s.f, x_label);
	fputs("\nset ylabel ", s.f);
	gp_str(s.f, y_label);
	fputs("\nset yrange [0:*]\nplot ", s.f);
	k = 0;
	for (size_t i = 0; i < ctx->ts.n; i++) {
		if (strcmp(ctx->ts.v[i].id, id) || !ctx->ts.v[i].t.n)
			continue;
		plot_line(s.f, 't', k++, ctx->ts.v[i].series);
	}
	fputc('\n', s.f);
	script_end(&s, ctx);
}

void rp_bench_ts_free(struct rp_bench_ctx *ctx)
{
	for (size_t i = 0; i < ctx->ts.n; i++) {
		free(ctx->ts.v[i].id);
		free(ctx->ts.v[i].series);
		free(ctx->ts.v[i].t.v);
		free(ctx->ts.v[i].v.v);
	}
	free(ctx->ts.v);
	ctx->ts.v = NULL;
	ctx->ts.n = ctx->ts.cap = 0;
}
